/*
 * Known-answer tests: every vector of the age testkit (C2SP CCTV, age/testdata).
 *
 * The vectors live outside the repository, in SANCTUM_TESTDATA_DIR "/age-testkit"; see
 * the README there for the file format. Each vector is decrypted with the streaming API,
 * fed in several ways (all at once and in small odd-sized pieces), and with the
 * all-or-nothing sanctum_age_decrypt. Every run must give the expected outcome class,
 * the same error code as the others, and release exactly the plaintext whose SHA-256
 * the vector names.
 *
 * Vectors that supply a hybrid `AGE-SECRET-KEY-PQ-` identity are out of scope and are
 * counted as skipped, as are vectors with a header key this harness does not know.
 * With SANCTUM_TESTKIT_VERBOSE set in the environment, passing vectors are listed too,
 * with the code each one gave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>
#include <zlib.h>

#include "sanctum/sanctum.h"

#define TESTKIT_DIR SANCTUM_TESTDATA_DIR "/age-testkit"
#define MAX_SECRETS 16
#define HASH_SIZE crypto_hash_sha256_BYTES

/* The outcome classes of the README's `expect:` values. */
typedef enum {
	CLASS_SUCCESS = 0,
	CLASS_HEADER,
	CLASS_ARMOR,
	CLASS_PAYLOAD,
	CLASS_NOMATCH,
	CLASS_HMAC,
	CLASS_UNEXPECTED  /* a code that belongs to no class: always a failure */
} outcome_class;

static const char *const class_names[] = {
	"success", "header failure", "armor failure", "payload failure",
	"no match", "HMAC failure", "unexpected error",
};

typedef enum { SECRET_IDENTITY, SECRET_PASSPHRASE } secret_kind;

/* One parsed vector file. Strings point into `file`, which the parser NUL-terminates. */
typedef struct {
	const char *name;
	unsigned char *file;              /* the whole file, owned */
	size_t file_len;
	outcome_class expect;
	int has_payload;
	unsigned char payload[HASH_SIZE]; /* SHA-256 of what a streaming decryptor releases */
	int armored;
	int compressed;
	size_t secret_count;
	secret_kind secret_kinds[MAX_SECRETS];
	const char *secrets[MAX_SECRETS];
	unsigned char *body;              /* the age file; owned when decompressed */
	size_t body_len;
	int body_owned;
} vector;

typedef enum { LOAD_OK, LOAD_SKIP, LOAD_BAD } load_result;

/* The result of one decryption run. */
typedef struct {
	int code;
	unsigned char hash[HASH_SIZE];
	size_t released;                  /* plaintext bytes handed to the write callback */
	char message[256];
} run_result;

/* How the input is fed: one call, fixed-size pieces, or a varying sequence of sizes. */
typedef struct {
	const char *name;
	size_t piece;                     /* 0: everything in one call */
	int varied;
} feed_mode;

static const feed_mode feed_modes[] = {
	{ "whole", 0, 0 },
	{ "1-byte pieces", 1, 0 },
	{ "7-byte pieces", 7, 0 },
	{ "4096-byte pieces", 4096, 0 },
	{ "varied pieces", 0, 1 },
};
#define FEED_MODE_COUNT (sizeof(feed_modes) / sizeof(feed_modes[0]))

static int read_file(const char *path, unsigned char **out, size_t *out_len)
{
	FILE *f = NULL;
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	f = fopen(path, "rb");
	if (!f)
		goto done;
	for (;;) {
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 65536;
			unsigned char *n = realloc(data, ncap + 1);
			if (!n)
				goto done;
			data = n;
			cap = ncap;
		}
		size_t got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				goto done;
			break;
		}
	}
	data[len] = '\0';
	*out = data;
	*out_len = len;
	data = NULL;
	rc = 0;
done:
	free(data);
	if (f)
		fclose(f);
	return rc;
}

/* Inflates a whole zlib stream; the stream must end exactly at the end of the input. */
static int inflate_all(const unsigned char *in, size_t in_len, unsigned char **out,
                       size_t *out_len)
{
	z_stream zs;
	unsigned char *buf = NULL;
	size_t cap = in_len * 4 + 4096, have = 0;
	int zrc, rc = -1;

	memset(&zs, 0, sizeof(zs));
	if (in_len > UINT32_MAX || inflateInit(&zs) != Z_OK)
		return -1;
	buf = malloc(cap);
	if (!buf)
		goto done;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_len;
	for (;;) {
		if (have == cap) {
			unsigned char *n = realloc(buf, cap * 2);
			if (!n)
				goto done;
			buf = n;
			cap *= 2;
		}
		size_t room = cap - have;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		zs.next_out = buf + have;
		zs.avail_out = (uInt)room;
		zrc = inflate(&zs, Z_NO_FLUSH);
		have += room - zs.avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc != Z_OK && !(zrc == Z_BUF_ERROR && zs.avail_out == 0))
			goto done;
	}
	if (zs.avail_in != 0)
		goto done;
	*out = buf;
	*out_len = have;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	inflateEnd(&zs);
	return rc;
}

static int parse_hex32(unsigned char out[HASH_SIZE], const char *hex)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (strlen(hex) != 2 * HASH_SIZE)
		return -1;
	if (sodium_hex2bin(out, HASH_SIZE, hex, 2 * HASH_SIZE, NULL, &bin_len, &end) != 0 ||
	    bin_len != HASH_SIZE || *end != '\0')
		return -1;
	return 0;
}

static int parse_expect(outcome_class *out, const char *value)
{
	for (size_t i = 0; i < CLASS_UNEXPECTED; i++) {
		if (strcmp(value, class_names[i]) == 0) {
			*out = (outcome_class)i;
			return 0;
		}
	}
	return -1;
}

static void vector_dispose(vector *v)
{
	if (v->body_owned)
		free(v->body);
	free(v->file);
	memset(v, 0, sizeof(*v));
}

/*
 * Reads one vector. LOAD_SKIP for a vector this harness must not judge (unknown header
 * key or value, hybrid identity), with the reason in `why`; LOAD_BAD for a file that is
 * not a well-formed vector, which counts as a failure.
 */
static load_result vector_load(vector *v, const char *dir, const char *name, char *why,
                               size_t why_len)
{
	char path[4096];
	unsigned char *sep;
	char *line;
	int have_expect = 0;

	memset(v, 0, sizeof(*v));
	v->name = name;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(why, why_len, "path too long");
		return LOAD_BAD;
	}
	if (read_file(path, &v->file, &v->file_len) != 0) {
		snprintf(why, why_len, "cannot read: %s", strerror(errno));
		return LOAD_BAD;
	}

	/* The header ends at the first empty line; everything after it is raw bytes. */
	sep = NULL;
	for (size_t i = 0; i + 1 < v->file_len; i++) {
		if (v->file[i] == '\n' && v->file[i + 1] == '\n') {
			sep = v->file + i;
			break;
		}
	}
	if (!sep) {
		snprintf(why, why_len, "no blank line after the vector header");
		return LOAD_BAD;
	}
	*sep = '\0';
	v->body = sep + 2;
	v->body_len = v->file_len - (size_t)(v->body - v->file);

	line = (char *)v->file;
	while (line) {
		char *next = strchr(line, '\n');
		char *value;

		if (next)
			*next++ = '\0';
		value = strstr(line, ": ");
		if (!value) {
			snprintf(why, why_len, "header line without ': '");
			return LOAD_BAD;
		}
		*value = '\0';
		value += 2;

		if (strcmp(line, "expect") == 0) {
			if (parse_expect(&v->expect, value) != 0) {
				snprintf(why, why_len, "unknown expect value '%s'", value);
				return LOAD_SKIP;
			}
			have_expect = 1;
		} else if (strcmp(line, "payload") == 0) {
			if (parse_hex32(v->payload, value) != 0) {
				snprintf(why, why_len, "bad payload hash");
				return LOAD_BAD;
			}
			v->has_payload = 1;
		} else if (strcmp(line, "file key") == 0 || strcmp(line, "comment") == 0) {
			/* The decryptor must not be given the file key; comments are for people. */
		} else if (strcmp(line, "identity") == 0 || strcmp(line, "passphrase") == 0) {
			int is_identity = strcmp(line, "identity") == 0;

			if (is_identity && strncmp(value, "AGE-SECRET-KEY-PQ-", 18) == 0) {
				snprintf(why, why_len, "hybrid ML-KEM identity (out of scope)");
				return LOAD_SKIP;
			}
			if (v->secret_count == MAX_SECRETS) {
				snprintf(why, why_len, "more than %d identities", MAX_SECRETS);
				return LOAD_BAD;
			}
			v->secret_kinds[v->secret_count] =
				is_identity ? SECRET_IDENTITY : SECRET_PASSPHRASE;
			v->secrets[v->secret_count++] = value;
		} else if (strcmp(line, "armored") == 0) {
			if (strcmp(value, "yes") != 0) {
				snprintf(why, why_len, "unknown armored value '%s'", value);
				return LOAD_SKIP;
			}
			v->armored = 1;
		} else if (strcmp(line, "compressed") == 0) {
			if (strcmp(value, "zlib") != 0) {
				snprintf(why, why_len, "unknown compression '%s'", value);
				return LOAD_SKIP;
			}
			v->compressed = 1;
		} else {
			snprintf(why, why_len, "unknown header key '%s'", line);
			return LOAD_SKIP;
		}
		line = next;
	}
	if (!have_expect) {
		snprintf(why, why_len, "no expect line");
		return LOAD_BAD;
	}
	if (v->compressed) {
		unsigned char *plain = NULL;
		size_t plain_len = 0;

		if (inflate_all(v->body, v->body_len, &plain, &plain_len) != 0) {
			snprintf(why, why_len, "zlib inflate failed");
			return LOAD_BAD;
		}
		v->body = plain;
		v->body_len = plain_len;
		v->body_owned = 1;
	}
	return LOAD_OK;
}

static outcome_class classify(int code)
{
	switch (code) {
	case 0:
		return CLASS_SUCCESS;
	case SANCTUM_EHEADER:
	case SANCTUM_EWORKFACTOR:
		return CLASS_HEADER;
	case SANCTUM_EARMOR:
		return CLASS_ARMOR;
	case SANCTUM_EPAYLOAD:
	case SANCTUM_ETRUNCATED:
	case SANCTUM_ETRAILING:
		return CLASS_PAYLOAD;
	case SANCTUM_ENOMATCH:
	case SANCTUM_EBADPASS:
		return CLASS_NOMATCH;
	case SANCTUM_EMAC:
		return CLASS_HMAC;
	default:
		return CLASS_UNEXPECTED;
	}
}

typedef struct {
	crypto_hash_sha256_state state;
	size_t released;
} hash_sink;

static int hash_write(const unsigned char *data, size_t len, void *payload)
{
	hash_sink *sink = payload;

	crypto_hash_sha256_update(&sink->state, data, len);
	sink->released += len;
	return 0;
}

static void record_failure(run_result *r, int code)
{
	const sanctum_error *e = sanctum_error_last();

	r->code = code;
	snprintf(r->message, sizeof(r->message), "%s",
	         e->message[0] ? e->message : "(no error message)");
}

/* A deterministic sequence of odd piece sizes, small and large, for the varied mode. */
static size_t varied_piece(size_t i)
{
	static const size_t sizes[] = { 1, 3, 64, 2, 65535, 5, 17, 65553, 127, 1000, 65536, 31 };

	return sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void run_stream(run_result *r, const vector *v,
                       const sanctum_age_identity *const *ids, size_t id_count,
                       sanctum_age_armor_mode armor, const feed_mode *mode)
{
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_age_decryptor *dec = NULL;
	hash_sink sink;
	size_t off = 0, step = 0;
	int code;

	memset(r, 0, sizeof(*r));
	crypto_hash_sha256_init(&sink.state);
	sink.released = 0;
	opts.armor = armor;

	code = sanctum_age_decryptor_new(&dec, ids, id_count, &opts, hash_write, &sink);
	if (code != 0) {
		record_failure(r, code);
		snprintf(r->message + strlen(r->message), sizeof(r->message) - strlen(r->message),
		         " (from decryptor_new)");
		goto done;
	}
	while (off < v->body_len) {
		size_t n = v->body_len - off;

		if (mode->varied) {
			if (n > varied_piece(step))
				n = varied_piece(step);
			step++;
		} else if (mode->piece && n > mode->piece) {
			n = mode->piece;
		}
		code = sanctum_age_decryptor_update(dec, v->body + off, n);
		if (code != 0) {
			/* A failure is final: later calls must report it again. */
			int again = sanctum_age_decryptor_update(dec, v->body, 1);
			int fin = sanctum_age_decryptor_finish(dec);

			record_failure(r, code);
			if (again != code || fin != code)
				snprintf(r->message, sizeof(r->message),
				         "failure not final: update gave %d, then update %d, "
				         "finish %d",
				         code, again, fin);
			goto done;
		}
		off += n;
	}
	code = sanctum_age_decryptor_finish(dec);
	if (code != 0)
		record_failure(r, code);
done:
	sanctum_age_decryptor_free(dec);
	r->released = sink.released;
	crypto_hash_sha256_final(&sink.state, r->hash);
}

static void run_whole(run_result *r, sanctum_buf *out, const vector *v,
                      const sanctum_age_identity *const *ids, size_t id_count,
                      sanctum_age_armor_mode armor)
{
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	int code;

	memset(r, 0, sizeof(*r));
	opts.armor = armor;
	code = sanctum_age_decrypt(out, ids, id_count, &opts, v->body, v->body_len);
	if (code != 0)
		record_failure(r, code);
	r->released = out->size;
	crypto_hash_sha256(r->hash, out->ptr ? out->ptr : (const unsigned char *)"", out->size);
}

static const char *class_of(int code)
{
	return class_names[classify(code)];
}

/*
 * The failures of the vector being run: the first is kept for the one line printed per
 * failing vector, the rest are counted.
 */
static struct {
	char line[640];
	int count;
} verdict;

static void report(const vector *v, const char *where, const char *what, const run_result *r)
{
	if (verdict.count++ > 0)
		return;
	snprintf(verdict.line, sizeof(verdict.line),
	         "FAIL %s [%s]: expected %s, got %s (%d %s): %s%s%s", v->name, where,
	         class_names[v->expect], class_of(r->code), r->code,
	         r->code ? sanctum_error_name(r->code) : "ok", what, r->message[0] ? "; " : "",
	         r->message);
}

/* Checks one run against the vector; prints a line and returns -1 when it disagrees. */
static int check_run(const vector *v, const char *where, const run_result *r, int streaming)
{
	outcome_class got = classify(r->code);

	if (got != v->expect) {
		report(v, where, "wrong outcome", r);
		return -1;
	}
	if (streaming && v->has_payload && memcmp(r->hash, v->payload, HASH_SIZE) != 0) {
		report(v, where, "released plaintext has the wrong SHA-256", r);
		return -1;
	}
	/*
	 * Before the header MAC is checked no plaintext may be released, so these classes
	 * release nothing. Armor failures can be found after some chunks went out.
	 */
	if (streaming && r->released != 0 &&
	    (got == CLASS_HEADER || got == CLASS_NOMATCH || got == CLASS_HMAC)) {
		report(v, where, "plaintext released before the header was authenticated", r);
		return -1;
	}
	return 0;
}

/* Runs every check on one loaded vector. Returns 0 when it passes. */
static int run_vector(const vector *v)
{
	sanctum_age_identity *ids[MAX_SECRETS] = { NULL };
	sanctum_age_armor_mode armor = v->armored ? SANCTUM_AGE_ARMOR_YES : SANCTUM_AGE_ARMOR_NO;
	run_result first, r;
	sanctum_buf out = SANCTUM_BUF_INIT;
	int failed = 0;

	verdict.count = 0;
	verdict.line[0] = '\0';
	for (size_t i = 0; i < v->secret_count; i++) {
		const char *s = v->secrets[i];
		int code = v->secret_kinds[i] == SECRET_IDENTITY
		                   ? sanctum_age_identity_parse(&ids[i], s, strlen(s))
		                   : sanctum_age_identity_from_passphrase(&ids[i], s, strlen(s), 0);
		if (code != 0) {
			memset(&r, 0, sizeof(r));
			record_failure(&r, code);
			report(v, "setup", "the vector's identity or passphrase was refused", &r);
			failed = 1;
			goto done;
		}
	}

	/* Streaming, fed in several ways: each must match the vector and the first run. */
	for (size_t m = 0; m < FEED_MODE_COUNT; m++) {
		run_stream(m == 0 ? &first : &r, v, (const sanctum_age_identity *const *)ids,
		           v->secret_count, armor, &feed_modes[m]);
		const run_result *cur = m == 0 ? &first : &r;

		if (check_run(v, feed_modes[m].name, cur, 1) != 0) {
			failed = 1;
			continue;
		}
		if (m > 0 && (r.code != first.code || r.released != first.released ||
		              memcmp(r.hash, first.hash, HASH_SIZE) != 0)) {
			char what[128];

			snprintf(what, sizeof(what),
			         "disagrees with the whole-input run (code %d, %zu bytes released)",
			         first.code, first.released);
			report(v, feed_modes[m].name, what, &r);
			failed = 1;
		}
	}

	/* All or nothing: same outcome; the full plaintext on success, nothing otherwise. */
	run_whole(&r, &out, v, (const sanctum_age_identity *const *)ids, v->secret_count, armor);
	if (check_run(v, "sanctum_age_decrypt", &r, 0) != 0) {
		failed = 1;
	} else if (r.code != first.code) {
		report(v, "sanctum_age_decrypt", "code differs from the streaming decryptor", &r);
		failed = 1;
	} else if (r.code == 0 && v->has_payload && memcmp(r.hash, v->payload, HASH_SIZE) != 0) {
		report(v, "sanctum_age_decrypt", "plaintext has the wrong SHA-256", &r);
		failed = 1;
	} else if (r.code != 0 && out.size != 0) {
		report(v, "sanctum_age_decrypt", "output not empty after a failure", &r);
		failed = 1;
	}

	/* A success must also be found with armor detection, whether armored or not. */
	if (v->expect == CLASS_SUCCESS) {
		static const feed_mode whole = { "whole", 0, 0 };
		static const feed_mode odd = { "odd", 0, 1 };

		run_stream(&r, v, (const sanctum_age_identity *const *)ids, v->secret_count,
		           SANCTUM_AGE_ARMOR_AUTO, &whole);
		if (check_run(v, "armor auto-detect", &r, 1) != 0)
			failed = 1;
		if (v->armored) {
			/* Armored input split inside lines, across line ends and the END line. */
			run_stream(&r, v, (const sanctum_age_identity *const *)ids, v->secret_count,
			           SANCTUM_AGE_ARMOR_AUTO, &odd);
			if (check_run(v, "armor auto-detect, varied pieces", &r, 1) != 0)
				failed = 1;
		}
	}

done:
	if (verdict.count > 1)
		printf("%s (and %d more failed checks)\n", verdict.line, verdict.count - 1);
	else if (verdict.count == 1)
		printf("%s\n", verdict.line);
	if (!failed && getenv("SANCTUM_TESTKIT_VERBOSE"))
		printf("ok %s: %s (%s, %zu bytes released)\n", v->name, class_names[v->expect],
		       first.code ? sanctum_error_name(first.code) : "ok", first.released);
	sanctum_buf_dispose(&out);
	for (size_t i = 0; i < v->secret_count; i++)
		sanctum_age_identity_free(ids[i]);
	return failed ? -1 : 0;
}

static int is_vector_name(const char *name)
{
	return name[0] != '.' && strcmp(name, "README.md") != 0 && strcmp(name, "LICENSE") != 0;
}

static void test_age_testkit__vectors(void **state)
{
	struct dirent **entries = NULL;
	size_t passed = 0, failed = 0, skipped = 0, files = 0;
	int n;

	(void)state;
	n = scandir(TESTKIT_DIR, &entries, NULL, alphasort);
	if (n < 0)
		fail_msg("cannot list '%s': %s", TESTKIT_DIR, strerror(errno));

	for (int i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		char path[4096], why[160] = "";
		struct stat st;
		vector v;

		snprintf(path, sizeof(path), "%s/%s", TESTKIT_DIR, name);
		if (!is_vector_name(name) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		files++;
		switch (vector_load(&v, TESTKIT_DIR, name, why, sizeof(why))) {
		case LOAD_SKIP:
			skipped++;
			break;
		case LOAD_BAD:
			printf("FAIL %s: not a well-formed vector: %s\n", name, why);
			failed++;
			break;
		case LOAD_OK:
			if (run_vector(&v) == 0)
				passed++;
			else
				failed++;
			break;
		}
		vector_dispose(&v);
	}
	for (int i = 0; i < n; i++)
		free(entries[i]);
	free(entries);

	printf("age-testkit: %zu passed, %zu failed, %zu skipped (%zu files)\n", passed, failed,
	       skipped, files);
	printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
	fflush(stdout);
	if (passed + failed == 0)
		fail_msg("no vector was read from '%s'", TESTKIT_DIR);
	assert_int_equal(failed, 0);
}

static int group_setup(void **state)
{
	(void)state;
	return sanctum_init() == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sanctum_shutdown();
	return 0;
}

int main(void)
{
	struct stat st;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_testkit__vectors),
	};

	if (stat(TESTKIT_DIR, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("age-testkit: folder '%s' not found, skipping "
		       "(configure with -DSANCTUM_TESTDATA_DIR=FOLDER)\n",
		       TESTKIT_DIR);
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

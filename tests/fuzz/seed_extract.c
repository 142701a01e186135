/*
 * seed_extract TESTKIT_DIR OUT_DIR
 *
 * Writes the seed corpora of the fuzz targets into OUT_DIR (in the build tree, never in
 * the repository):
 *   age/     the unarmored age-testkit files, plus files sanctum encrypts to the fixed
 *            fuzz identity and passphrase;
 *   armor/   the same for armored files;
 *   bech32/  every testkit identity, its recipient, and freshly generated keys;
 *   identities.txt  the testkit X25519 identities, for SANCTUM_FUZZ_IDENTITIES.
 * A testkit file is a block of "key: value" lines, a blank line, then the age file
 * (zlib-compressed when it says "compressed: zlib"). Age seeds start with one extra byte,
 * the fuzz targets' piece-cutting mode, derived from the seed's name.
 */
#include "fuzz_age.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define MAX_IDENTITIES 16

typedef struct {
	char *items[MAX_IDENTITIES];   /* owned, NUL-terminated */
	size_t count;
} string_set;

typedef struct {
	int compressed;                /* "compressed: zlib" */
	int armored;                   /* "armored: yes" */
	const unsigned char *body;     /* the age file, borrowed from the file's text */
	size_t body_len;
} vector;

static int fail(const char *what, const char *name)
{
	fprintf(stderr, "seed_extract: %s '%s'\n", what, name);
	return -1;
}

static int read_file(sanctum_buf *out, const char *path)
{
	unsigned char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rc = 0;

	if (!f)
		return fail("cannot open", path);
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = sanctum_buf_put(out, chunk, n);
	if (ferror(f))
		rc = fail("cannot read", path);
	fclose(f);
	return rc;
}

static int write_file(const char *path, int prefix, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return fail("cannot create", path);
	if (prefix >= 0 && fputc(prefix, f) == EOF)
		rc = -1;
	if (len && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc < 0 ? fail("cannot write", path) : 0;
}

/* The piece-cutting byte of a seed: a hash of its name, so runs are reproducible. */
static int mode_byte(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (int)(h & 0xff);
}

static int write_seed(const char *out_dir, const char *sub, const char *name, int with_mode,
                      const void *data, size_t len)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name) >= (int)sizeof(path))
		return fail("path too long for", name);
	return write_file(path, with_mode ? mode_byte(name) : -1, data, len);
}

static int inflate_all(sanctum_buf *out, const unsigned char *in, size_t len)
{
	z_stream z;
	int zrc;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	do {
		if (sanctum_buf_grow(out, out->size + 65536) < 0)
			break;
		z.next_out = out->ptr + out->size;
		z.avail_out = 65536;
		zrc = inflate(&z, Z_NO_FLUSH);
		out->size = (size_t)(z.next_out - out->ptr);
	} while (zrc == Z_OK);
	inflateEnd(&z);
	return zrc == Z_STREAM_END ? 0 : -1;
}

static int has_line(const char *head, size_t len, const char *line)
{
	size_t n = strlen(line);
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l == n && memcmp(p, line, n) == 0)
			return 1;
		p += l + 1;
	}
	return 0;
}

static void add_string(string_set *set, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (strlen(set->items[i]) == len && memcmp(set->items[i], s, len) == 0)
			return;
	if (set->count == MAX_IDENTITIES)
		return;
	set->items[set->count] = malloc(len + 1);
	if (!set->items[set->count])
		return;
	memcpy(set->items[set->count], s, len);
	set->items[set->count++][len] = '\0';
}

/* Records every "identity: " value of the header block. */
static void collect_identities(string_set *set, const char *head, size_t len)
{
	static const char key[] = "identity: ";
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0)
			add_string(set, p + sizeof(key) - 1, l - (sizeof(key) - 1));
		p += l + 1;
	}
}

/* Splits a testkit file; returns 0, or -1 when it is not a vector (README, LICENSE). */
static int split_vector(vector *v, string_set *ids, const sanctum_buf *text)
{
	const char *s = (const char *)text->ptr;
	const char *blank;

	if (text->size < 8 || memcmp(s, "expect: ", 8) != 0)
		return -1;
	blank = strstr(s, "\n\n");
	if (!blank)
		return -1;
	v->compressed = has_line(s, (size_t)(blank - s), "compressed: zlib");
	v->armored = has_line(s, (size_t)(blank - s), "armored: yes");
	v->body = text->ptr + (blank - s) + 2;
	v->body_len = text->size - (size_t)(blank - s) - 2;
	collect_identities(ids, s, (size_t)(blank - s));
	return 0;
}

static int extract_one(const char *dir, const char *name, const char *out_dir, string_set *ids)
{
	sanctum_buf text = SANCTUM_BUF_INIT, inflated = SANCTUM_BUF_INIT;
	char path[4096];
	vector v;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return fail("path too long for", name);
	rc = read_file(&text, path);
	if (rc == 0 && split_vector(&v, ids, &text) == 0) {
		if (v.compressed && inflate_all(&inflated, v.body, v.body_len) < 0)
			rc = fail("cannot inflate", path);
		else if (v.compressed)
			rc = write_seed(out_dir, v.armored ? "armor" : "age", name, 1, inflated.ptr,
			                inflated.size);
		else
			rc = write_seed(out_dir, v.armored ? "armor" : "age", name, 1, v.body,
			                v.body_len);
	}
	sanctum_buf_dispose(&inflated);
	sanctum_buf_dispose(&text);
	return rc;
}

static int extract_testkit(const char *dir, const char *out_dir, string_set *ids)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0, count = 0;

	if (!d)
		return fail("cannot open the testkit folder", dir);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		rc = extract_one(dir, e->d_name, out_dir, ids);
		count++;
	}
	closedir(d);
	if (rc == 0 && count == 0)
		return fail("no vectors in", dir);
	return rc;
}

/* Writes one bech32 seed per identity string, plus the recipient it yields. */
static int bech32_seeds(const char *out_dir, const string_set *ids)
{
	char name[32];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < ids->count; i++) {
		sanctum_age_identity *identity = NULL;
		sanctum_age_recipient *recipient = NULL;
		sanctum_buf enc = SANCTUM_BUF_INIT;

		snprintf(name, sizeof(name), "testkit-id-%zu", i);
		rc = write_seed(out_dir, "bech32", name, 0, ids->items[i], strlen(ids->items[i]));
		if (rc == 0 &&
		    sanctum_age_identity_parse(&identity, ids->items[i], strlen(ids->items[i])) == 0 &&
		    sanctum_age_identity_to_recipient(&recipient, identity) == 0 &&
		    sanctum_age_recipient_encode(&enc, recipient) == 0) {
			snprintf(name, sizeof(name), "testkit-rcpt-%zu", i);
			rc = write_seed(out_dir, "bech32", name, 0, enc.ptr, enc.size);
		}
		sanctum_buf_dispose(&enc);
		sanctum_age_recipient_free(recipient);
		sanctum_age_identity_free(identity);
	}
	return rc;
}

static int write_identities(const char *out_dir, const string_set *ids)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	char path[4096];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < ids->count; i++) {
		if (strncmp(ids->items[i], "AGE-SECRET-KEY-1", 16) != 0)
			continue;               /* post-quantum identities are not supported */
		rc = sanctum_buf_puts(&text, ids->items[i]);
		if (rc == 0)
			rc = sanctum_buf_puts(&text, "\n");
	}
	if (rc == 0 && snprintf(path, sizeof(path), "%s/identities.txt", out_dir) >= (int)sizeof(path))
		rc = fail("path too long", out_dir);
	else if (rc == 0)
		rc = write_file(path, -1, text.ptr, text.size);
	sanctum_buf_dispose(&text);
	return rc;
}

/* Encrypts `len` bytes of a fixed pattern and writes the result as an age/armor seed. */
static int encrypted_seed(const char *out_dir, const char *name,
                          const sanctum_age_recipient *const *rcpts, size_t count,
                          unsigned flags, size_t len)
{
	sanctum_buf out = SANCTUM_BUF_INIT;
	unsigned char *plain = calloc(1, len + 1);
	size_t i;
	int rc;

	if (!plain)
		return fail("out of memory for", name);
	for (i = 0; i < len; i++)
		plain[i] = (unsigned char)(i * 7 + 3);
	rc = sanctum_age_encrypt(&out, rcpts, count, flags, plain, len);
	if (rc < 0)
		fail("cannot encrypt", name);
	else
		rc = write_seed(out_dir, flags & SANCTUM_AGE_ARMOR ? "armor" : "age", name, 1,
		                out.ptr, out.size);
	sanctum_buf_dispose(&out);
	free(plain);
	return rc;
}

/* The fixed identity's files at the sizes around the chunk boundary, both forms. */
static int x25519_seeds(const char *out_dir, const sanctum_age_recipient *const *rcpts,
                        size_t count, const char *tag)
{
	static const size_t sizes[] = { 0, 1, 1000, SANCTUM_AGE_CHUNK_SIZE,
	                                SANCTUM_AGE_CHUNK_SIZE + 1 };
	char name[64];
	size_t i;
	int rc = 0, armor;

	for (armor = 0; armor < 2; armor++)
		for (i = 0; rc == 0 && i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			snprintf(name, sizeof(name), "sanctum-%s-%zu", tag, sizes[i]);
			rc = encrypted_seed(out_dir, name, rcpts, count,
			                    armor ? SANCTUM_AGE_ARMOR : 0, sizes[i]);
		}
	return rc;
}

static int generated_key_seeds(const char *out_dir, sanctum_age_recipient **fresh)
{
	sanctum_age_identity *identity = NULL;
	sanctum_buf enc = SANCTUM_BUF_INIT;
	int rc;

	rc = sanctum_age_identity_generate(&identity);
	if (rc == 0)
		rc = sanctum_age_identity_to_recipient(fresh, identity);
	if (rc == 0)
		rc = sanctum_age_identity_encode(&enc, identity);
	if (rc == 0)
		rc = write_seed(out_dir, "bech32", "generated-id", 0, enc.ptr, enc.size);
	if (rc == 0)
		rc = sanctum_age_recipient_encode(&enc, *fresh);
	if (rc == 0)
		rc = write_seed(out_dir, "bech32", "generated-rcpt", 0, enc.ptr, enc.size);
	sanctum_buf_dispose(&enc);
	sanctum_age_identity_free(identity);
	return rc;
}

static int scrypt_seeds(const char *out_dir)
{
	sanctum_age_recipient *pass = NULL;
	const sanctum_age_recipient *one[1];
	int rc;

	rc = sanctum_age_recipient_from_passphrase(&pass, FUZZ_PASSPHRASE, strlen(FUZZ_PASSPHRASE),
	                                           FUZZ_MAX_WORK_FACTOR);
	one[0] = pass;
	if (rc == 0)
		rc = encrypted_seed(out_dir, "sanctum-scrypt", one, 1, 0, 100);
	if (rc == 0)
		rc = encrypted_seed(out_dir, "sanctum-scrypt-armor", one, 1, SANCTUM_AGE_ARMOR, 100);
	sanctum_age_recipient_free(pass);
	return rc;
}

/* Seeds that sanctum itself encrypts to the fuzz targets' fixed keys. */
static int sanctum_seeds(const char *out_dir)
{
	sanctum_age_identity *fixed = NULL;
	sanctum_age_recipient *rcpt[2] = { NULL, NULL };
	int rc;

	rc = sanctum_age_identity_from_x25519(&fixed, fuzz_fixed_secret);
	if (rc == 0)
		rc = sanctum_age_identity_to_recipient(&rcpt[0], fixed);
	if (rc == 0)
		rc = generated_key_seeds(out_dir, &rcpt[1]);
	if (rc == 0)
		rc = x25519_seeds(out_dir, (const sanctum_age_recipient *const *)rcpt, 1, "x25519");
	if (rc == 0)
		rc = x25519_seeds(out_dir, (const sanctum_age_recipient *const *)rcpt, 2, "two");
	if (rc == 0)
		rc = scrypt_seeds(out_dir);
	sanctum_age_recipient_free(rcpt[1]);
	sanctum_age_recipient_free(rcpt[0]);
	sanctum_age_identity_free(fixed);
	return rc;
}

static int make_dirs(const char *out_dir)
{
	static const char *const subs[] = { "", "/age", "/armor", "/bech32" };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s%s", out_dir, subs[i]) >= (int)sizeof(path))
			return fail("path too long", out_dir);
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return fail("cannot create", path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	string_set ids = { { NULL }, 0 };
	size_t i;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: seed_extract TESTKIT_DIR OUT_DIR\n");
		return 2;
	}
	if (sanctum_init() < 0)
		return 1;
	rc = make_dirs(argv[2]);
	if (rc == 0)
		rc = extract_testkit(argv[1], argv[2], &ids);
	if (rc == 0)
		rc = write_identities(argv[2], &ids);
	if (rc == 0)
		rc = bech32_seeds(argv[2], &ids);
	if (rc == 0)
		rc = sanctum_seeds(argv[2]);
	if (rc < 0 && sanctum_error_last()->code)
		fprintf(stderr, "seed_extract: %s\n", sanctum_error_last()->message);
	for (i = 0; i < ids.count; i++)
		free(ids.items[i]);
	sanctum_shutdown();
	return rc < 0 ? 1 : 0;
}

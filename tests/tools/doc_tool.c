/*
 * A test helper that drives core/src/doc.c from shell tests until the sanctum command line
 * has document commands. Identity files are plain (mode 0600) and hold throwaway keys.
 *
 *     doc_tool keygen IDENTITY_FILE CITY DEVICE     writes a new plain identity file
 *     doc_tool pubkey IDENTITY_FILE                 "ssh-ed25519 AAAA..." of its signing key
 *     doc_tool fingerprint IDENTITY_FILE            "SHA256:..." of its signing key
 *     doc_tool seal IDENTITY_FILE BODY_FILE [OPTION...]
 *                                                   the sealed plaintext on stdout
 *         --title T      the title (default "Untitled")
 *         --tag X        a tag; repeatable
 *         --type T       the MIME type (default text/plain)
 *         --time N       seconds since 1970 (default: now)
 *         --id HEX       the document id (default: a fresh one)
 *         --rev N        the revision (default 1)
 *         --parent HEX   the hash of the revision it replaces (needed when --rev > 1)
 *         --merged HEX   a merge revision's second parent (sorts after --parent)
 *         --deleted      a tombstone (BODY_FILE must be empty)
 *     doc_tool open FILE [--id HEX]                 verifies a sealed plaintext and prints
 *                                                   its header fields and hash; the body
 *                                                   goes to FILE.body
 *
 * Exits 0 on success, 1 when sanctum refuses (the reason, and for `open` the problem, on
 * stderr), 2 on bad usage.
 */
#include "sanctum/sanctum.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(void)
{
	fprintf(stderr,
	        "usage: doc_tool keygen IDENTITY_FILE CITY DEVICE\n"
	        "       doc_tool pubkey IDENTITY_FILE\n"
	        "       doc_tool fingerprint IDENTITY_FILE\n"
	        "       doc_tool seal IDENTITY_FILE BODY_FILE [--title T] [--tag X]... [--type T]\n"
	        "                [--time N] [--id HEX] [--rev N] [--parent HEX] [--merged HEX]\n"
	        "                [--deleted]\n"
	        "       doc_tool open FILE [--id HEX]\n");
	return 2;
}

static int refused(const char *what)
{
	fprintf(stderr, "doc_tool: %s: %s\n", what, sanctum_error_last()->message);
	return 1;
}

/* Reads a whole file into `out`. Returns 0, or -1 after printing why. */
static int read_file(sanctum_buf *out, const char *path)
{
	unsigned char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (sanctum_buf_put(out, chunk, n) < 0) {
			fclose(f);
			fprintf(stderr, "%s: out of memory\n", path);
			return -1;
		}
	}
	if (ferror(f)) {
		perror(path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int write_file(const char *path, const sanctum_buf *buf)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf->ptr, 1, buf->size, f) != buf->size || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int write_out(const void *data, size_t len, const char *end)
{
	if (fwrite(data, 1, len, stdout) != len || fputs(end, stdout) == EOF ||
	    fflush(stdout) != 0) {
		perror("stdout");
		return 1;
	}
	return 0;
}

static int load(sanctum_identity **out, const char *path)
{
	if (sanctum_identity_load(out, path, NULL, NULL) < 0)
		return refused(path);
	return 0;
}

static int cmd_keygen(const char *path, const char *city, const char *device)
{
	sanctum_identity *id = NULL;
	int rc = 0;

	if (sanctum_identity_generate(&id, city, device) < 0)
		return refused("generate");
	if (sanctum_identity_save(id, path, NULL, 0, 0) < 0)
		rc = refused(path);
	sanctum_identity_free(id);
	return rc;
}

static int cmd_key(const char *path, int fingerprint)
{
	sanctum_identity *id = NULL;
	sanctum_buf line = SANCTUM_BUF_INIT;
	char fp[SANCTUM_FINGERPRINT_SIZE];
	sanctum_card card;
	int rc;

	if (load(&id, path) != 0)
		return 1;
	sanctum_identity_card(&card, id);
	if (fingerprint) {
		sanctum_key_fingerprint(fp, card.signing_key);
		rc = write_out(fp, strlen(fp), "\n");
	} else if (sanctum_ssh_public_key_encode(&line, card.signing_key, NULL) < 0) {
		rc = refused("encode the key");
	} else {
		rc = write_out(line.ptr, line.size, "\n");
	}
	sanctum_buf_dispose(&line);
	sanctum_identity_free(id);
	return rc;
}

/* A decimal option value; returns 0 or prints and returns 2. */
static int number(uint64_t *out, const char *s, uint64_t max)
{
	char *end = NULL;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		goto bad;
	v = strtoull(s, &end, 10);
	if (*end || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "doc_tool: '%s' is not a number\n", s);
	return 2;
}

static int parse_hash(unsigned char out[SANCTUM_DOC_HASH_SIZE], const char *hex,
                      const char *option)
{
	size_t len = 0;

	if (strlen(hex) != 2 * SANCTUM_DOC_HASH_SIZE ||
	    sodium_hex2bin(out, SANCTUM_DOC_HASH_SIZE, hex, strlen(hex), NULL, &len, NULL) != 0 ||
	    len != SANCTUM_DOC_HASH_SIZE) {
		fprintf(stderr, "doc_tool: %s needs 64 hex digits\n", option);
		return 2;
	}
	return 0;
}

/* Applies the seal options to `doc`; returns 0, 1 (refused) or 2 (usage). */
static int seal_options(sanctum_doc *doc, int argc, char **argv)
{
	const char *title = "Untitled", *type = "text/plain";
	uint64_t v;
	int rc;

	doc->rev = 1;
	doc->time = (int64_t)time(NULL);
	sanctum_doc_new_id(doc->id);
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "--deleted") == 0) {
			doc->deleted = 1;
			continue;
		}
		if (!val)
			return usage();
		i++;
		if (strcmp(opt, "--title") == 0) {
			title = val;
		} else if (strcmp(opt, "--type") == 0) {
			type = val;
		} else if (strcmp(opt, "--tag") == 0) {
			if (sanctum_doc_add_tag(doc, val) < 0)
				return refused("--tag");
		} else if (strcmp(opt, "--time") == 0) {
			if ((rc = number(&v, val, INT64_MAX)) != 0)
				return rc;
			doc->time = (int64_t)v;
		} else if (strcmp(opt, "--rev") == 0) {
			if ((rc = number(&doc->rev, val, UINT64_MAX)) != 0)
				return rc;
		} else if (strcmp(opt, "--id") == 0) {
			if (sanctum_doc_id_from_hex(doc->id, val) < 0)
				return refused("--id");
		} else if (strcmp(opt, "--parent") == 0) {
			if ((rc = parse_hash(doc->parent, val, opt)) != 0)
				return rc;
			doc->has_parent = 1;
		} else if (strcmp(opt, "--merged") == 0) {
			if ((rc = parse_hash(doc->merged, val, opt)) != 0)
				return rc;
			doc->has_merged = 1;
		} else {
			return usage();
		}
	}
	if (sanctum_doc_set_title(doc, title) < 0)
		return refused("--title");
	if (sanctum_doc_set_type(doc, type) < 0)
		return refused("--type");
	return 0;
}

static int cmd_seal(const char *id_path, const char *body_path, int argc, char **argv)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_identity *id = NULL;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	int rc;

	if ((rc = seal_options(&doc, argc, argv)) != 0)
		goto done;
	rc = 1;
	if (read_file(&doc.body, body_path) < 0 || load(&id, id_path) != 0)
		goto done;
	if (sanctum_doc_seal(&plain, &doc, id) < 0)
		rc = refused("seal");
	else
		rc = write_out(plain.ptr, plain.size, "");
done:
	sanctum_buf_dispose(&plain);
	sanctum_doc_dispose(&doc);
	sanctum_identity_free(id);
	return rc;
}

static const char *problem_name(sanctum_doc_problem p)
{
	static const char *const names[] = {
		"ok", "missing-signature", "bad-signature", "bad-format", "missing-field",
		"duplicate-field", "unknown-field", "bad-utf8", "oversized", "bad-padding",
		"author-mismatch", "id-mismatch",
	};

	return (size_t)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

static int cmd_open(const char *path, const char *id_hex)
{
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	char hex[2 * SANCTUM_DOC_HASH_SIZE + 1];
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_doc_problem problem = SANCTUM_DOC_OK;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	char *body_path = NULL;
	int rc = 1;

	if (id_hex && sanctum_doc_id_from_hex(id, id_hex) < 0)
		return refused("--id");
	if (read_file(&plain, path) < 0)
		goto done;
	if (sanctum_doc_open(&doc, &problem, plain.ptr, plain.size, id_hex ? id : NULL) < 0) {
		fprintf(stderr, "doc_tool: problem %s\n", problem_name(problem));
		rc = refused("open");
		goto done;
	}
	sanctum_doc_id_to_hex(hex, doc.id);
	printf("id %s\nrev %" PRIu64 "\n", hex, doc.rev);
	if (doc.has_parent)
		sodium_bin2hex(hex, sizeof(hex), doc.parent, sizeof(doc.parent));
	printf("parent %s\n", doc.has_parent ? hex : "none");
	if (doc.has_merged) {
		sodium_bin2hex(hex, sizeof(hex), doc.merged, sizeof(doc.merged));
		printf("merged %s\n", hex);
	}
	printf("author %s\ntime %" PRId64 "\ntype %s\ntitle %s\n", doc.author, doc.time,
	       doc.type, doc.title);
	for (size_t i = 0; i < doc.ntags; i++)
		printf("tag %s\n", doc.tags[i]);
	sodium_bin2hex(hex, sizeof(hex), doc.hash, sizeof(doc.hash));
	printf("size %zu\nstate %s\nhash %s\n", doc.body.size, doc.deleted ? "deleted" : "live",
	       hex);
	if (fflush(stdout) != 0) {
		perror("stdout");
		goto done;
	}
	if (!(body_path = malloc(strlen(path) + 6)))
		goto done;
	snprintf(body_path, strlen(path) + 6, "%s.body", path);
	rc = write_file(body_path, &doc.body);
done:
	free(body_path);
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
	return rc;
}

int main(int argc, char **argv)
{
	if (sanctum_init() < 0) {
		fprintf(stderr, "doc_tool: libsodium cannot initialise\n");
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "pubkey") == 0)
		return cmd_key(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "fingerprint") == 0)
		return cmd_key(argv[2], 1);
	if (argc >= 4 && strcmp(argv[1], "seal") == 0)
		return cmd_seal(argv[2], argv[3], argc - 4, argv + 4);
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return cmd_open(argv[2], NULL);
	if (argc == 5 && strcmp(argv[1], "open") == 0 && strcmp(argv[3], "--id") == 0)
		return cmd_open(argv[2], argv[4]);
	return usage();
}

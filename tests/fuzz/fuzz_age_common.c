#include "fuzz_age.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const unsigned char fuzz_fixed_secret[SANCTUM_AGE_X25519_KEY_SIZE] = {
	0x5a, 0x1e, 0x0f, 0x93, 0x27, 0xc4, 0x6b, 0x81, 0x3d, 0xe2, 0x70, 0x19, 0xa6, 0x4c,
	0xb8, 0x02, 0x95, 0x3f, 0xd7, 0x66, 0x1a, 0xc0, 0x58, 0xee, 0x24, 0x8b, 0x71, 0x0d,
	0xf9, 0x46, 0xb3, 0x6a
};

static sanctum_age_identity_list identities = SANCTUM_AGE_LIST_INIT;

static void die(const char *what)
{
	fprintf(stderr, "fuzz setup: %s: %s\n", what, sanctum_error_last()->message);
	abort();
}

static void add_identity(sanctum_age_identity *identity)
{
	if (sanctum_age_identity_list_add(&identities, identity) < 0)
		die("adding an identity");
}

/* Reads the whole file at `path` into `out`; returns 0 or -1. */
static int read_file(sanctum_buf *out, const char *path)
{
	unsigned char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rc = 0;

	if (!f)
		return -1;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = sanctum_buf_put(out, chunk, n);
	if (ferror(f))
		rc = -1;
	fclose(f);
	return rc;
}

static void add_identity_file(const char *path)
{
	sanctum_buf text = SANCTUM_BUF_INIT;

	if (read_file(&text, path) < 0) {
		fprintf(stderr, "fuzz setup: cannot read '%s'\n", path);
		abort();
	}
	if (sanctum_age_identity_list_parse(&identities, (const char *)text.ptr, text.size) < 0)
		die(path);
	sanctum_buf_dispose(&text);
}

void fuzz_age_setup(void)
{
	sanctum_age_identity *identity = NULL;
	const char *path = getenv(FUZZ_IDENTITIES_ENV);

	if (sanctum_init() < 0)
		die("sanctum_init");
	if (sanctum_age_identity_from_x25519(&identity, fuzz_fixed_secret) < 0)
		die("the fixed identity");
	add_identity(identity);
	if (path && *path)
		add_identity_file(path);
	if (sanctum_age_identity_from_passphrase(&identity, FUZZ_PASSPHRASE,
	                                         strlen(FUZZ_PASSPHRASE), FUZZ_MAX_WORK_FACTOR) < 0)
		die("the passphrase identity");
	add_identity(identity);
}

static int sink(const unsigned char *data, size_t len, void *payload)
{
	return sanctum_buf_put(payload, data, len);
}

/*
 * Feeds `in` to the decryptor in pieces. A mode below 128 cuts once, at mode/128 of the
 * length (0 gives an empty first piece); from 128 on, pieces are mode - 127 bytes long.
 */
static int feed(sanctum_age_decryptor *dec, const uint8_t *in, size_t len, uint8_t mode)
{
	size_t step, off = 0;
	int rc;

	if (mode < 128) {
		step = len * mode / 128;
		rc = sanctum_age_decryptor_update(dec, in, step);
		if (rc == 0)
			rc = sanctum_age_decryptor_update(dec, in + step, len - step);
		return rc;
	}
	step = (size_t)mode - 127;
	for (rc = 0; rc == 0 && off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		rc = sanctum_age_decryptor_update(dec, in + off, n);
	}
	return rc;
}

static int decrypt_stream(sanctum_buf *out, const sanctum_age_decrypt_options *opts,
                          const uint8_t *in, size_t len, uint8_t mode)
{
	sanctum_age_decryptor *dec = NULL;
	int rc;

	rc = sanctum_age_decryptor_new(&dec, (const sanctum_age_identity *const *)identities.items,
	                               identities.count, opts, sink, out);
	if (rc == 0)
		rc = feed(dec, in, len, mode);
	if (rc == 0)
		rc = sanctum_age_decryptor_finish(dec);
	sanctum_age_decryptor_free(dec);
	return rc;
}

static void check(int ok, const char *what, int rc_stream, int rc_whole)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz check failed: %s (streaming %d %s, whole buffer %d %s)\n", what,
	        rc_stream, sanctum_error_name(rc_stream), rc_whole, sanctum_error_name(rc_whole));
	abort();
}

void fuzz_age_run(const uint8_t *data, size_t size, sanctum_age_armor_mode armor)
{
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_buf streamed = SANCTUM_BUF_INIT, whole = SANCTUM_BUF_INIT;
	int rc_stream, rc_whole;

	if (size < 1)
		return;
	opts.armor = armor;
	rc_stream = decrypt_stream(&streamed, &opts, data + 1, size - 1, data[0]);
	rc_whole = sanctum_age_decrypt(&whole, (const sanctum_age_identity *const *)identities.items,
	                               identities.count, &opts, data + 1, size - 1);

	check(rc_stream <= 0 && rc_whole <= 0, "a positive return code", rc_stream, rc_whole);
	check(rc_stream == rc_whole, "the two ways return different codes", rc_stream, rc_whole);
	check(rc_whole == 0 || whole.size == 0, "failed whole-buffer decryption left output",
	      rc_stream, rc_whole);
	if (rc_whole == 0)
		check(streamed.size == whole.size &&
		      (whole.size == 0 || memcmp(streamed.ptr, whole.ptr, whole.size) == 0),
		      "the two ways decrypt to different plaintexts", rc_stream, rc_whole);

	sanctum_buf_dispose(&streamed);
	sanctum_buf_dispose(&whole);
	sanctum_error_clear();
}

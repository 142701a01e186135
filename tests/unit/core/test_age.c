/*
 * The public age API: keys and their encodings, key files, encryption and decryption
 * round trips, passphrases and work factors, tampering, and the write callback.
 *
 * The format's corner cases are covered by the testkit vectors (test_age_testkit.c);
 * this file checks what the vectors cannot: files sanctum writes itself, the API's
 * contracts (codes, messages, all-or-nothing lists and buffers) and the streaming calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sanctum/sanctum.h"

#define MAX_KEYS 32
#define CALLBACK_CODE (-4242) /* what failing write callbacks return; no library code */

/* The const views of key arrays that the API takes. */
#define RECIPS(array) ((const sanctum_age_recipient *const *)(array))
#define IDS(array) ((const sanctum_age_identity *const *)(array))

static const char armor_begin[] = "-----BEGIN AGE ENCRYPTED FILE-----\n";
static const char armor_end[] = "-----END AGE ENCRYPTED FILE-----\n";
static const char binary_magic[] = "age-encryption.org/v1\n";

/* The call failed with `want`, and left that code and a message in the last error. */
#define assert_fails_with(expr, want)                                                    \
	do {                                                                             \
		int rc_ = (expr);                                                        \
		assert_int_equal(rc_, (want));                                           \
		assert_int_equal(sanctum_error_last()->code, (want));                    \
		assert_non_null(sanctum_error_last()->message);                          \
		assert_true(sanctum_error_last()->message[0] != '\0');                   \
	} while (0)

/* ---- helpers ------------------------------------------------------------------------ */

/* A small Bech32 encoder (BIP 173), independent of the library, to build test strings. */
static uint32_t bech32_polymod_step(uint32_t chk, uint8_t value)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
		                         0x2a1462b3 };
	uint32_t top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ value;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static void bech32_encode(char *out, size_t out_size, const char *hrp, const uint8_t *data,
                          size_t len, int upper)
{
	static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	uint8_t values[256];
	size_t nvalues = 0, pos = 0;
	uint32_t chk = 1, acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			values[nvalues++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		values[nvalues++] = (acc << (5 - bits)) & 31;

	/* The checksum covers the lowercase human-readable part. */
	for (const char *p = hrp; *p; p++)
		chk = bech32_polymod_step(chk, (uint8_t)(tolower((unsigned char)*p) >> 5));
	chk = bech32_polymod_step(chk, 0);
	for (const char *p = hrp; *p; p++)
		chk = bech32_polymod_step(chk, (uint8_t)(tolower((unsigned char)*p) & 31));
	for (size_t i = 0; i < nvalues; i++)
		chk = bech32_polymod_step(chk, values[i]);
	for (int i = 0; i < 6; i++)
		chk = bech32_polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		values[nvalues++] = (chk >> (5 * (5 - i))) & 31;

	assert_true(strlen(hrp) + 1 + nvalues < out_size);
	for (const char *p = hrp; *p; p++) {
		int c = (unsigned char)*p;

		out[pos++] = (char)(upper ? toupper(c) : tolower(c));
	}
	out[pos++] = '1';
	for (size_t i = 0; i < nvalues; i++)
		out[pos++] = (char)(upper ? toupper((unsigned char)charset[values[i]])
		                          : charset[values[i]]);
	out[pos] = '\0';
}

static char *buf_string(const sanctum_buf *buf)
{
	char *s = malloc(buf->size + 1);

	assert_non_null(s);
	memcpy(s, buf->ptr, buf->size);
	s[buf->size] = '\0';
	return s;
}

/* Generates `n` identities and their recipients. */
static void make_keys(sanctum_age_identity **ids, sanctum_age_recipient **recips, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sanctum_age_identity_generate(&ids[i]), 0);
		assert_int_equal(sanctum_age_identity_to_recipient(&recips[i], ids[i]), 0);
	}
}

static void free_keys(sanctum_age_identity **ids, sanctum_age_recipient **recips, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sanctum_age_identity_free(ids ? ids[i] : NULL);
		sanctum_age_recipient_free(recips ? recips[i] : NULL);
	}
}

static unsigned char *random_bytes(size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	assert_non_null(p);
	randombytes_buf(p, len);
	return p;
}

/* A write callback that collects output and can be told to fail. */
typedef struct {
	sanctum_buf out;
	int calls;
	int fail_at;     /* fail on this call (1-based) and every later one; 0: never */
} sink;

static int sink_write(const unsigned char *data, size_t len, void *payload)
{
	sink *s = payload;

	s->calls++;
	if (s->fail_at && s->calls >= s->fail_at)
		return CALLBACK_CODE;
	return sanctum_buf_put(&s->out, data, len);
}

/* Streams `in` through a decryptor in pieces of `piece` bytes (0: one call). */
static int stream_decrypt(sanctum_buf *out, const sanctum_age_identity *const *ids,
                          size_t count, const sanctum_age_decrypt_options *opts,
                          const unsigned char *in, size_t len, size_t piece)
{
	sanctum_age_decryptor *dec = NULL;
	sink s = { SANCTUM_BUF_INIT, 0, 0 };
	size_t off = 0;
	int rc;

	rc = sanctum_age_decryptor_new(&dec, ids, count, opts, sink_write, &s);
	while (rc == 0 && off < len) {
		size_t n = len - off;

		if (piece && n > piece)
			n = piece;
		rc = sanctum_age_decryptor_update(dec, in + off, n);
		off += n;
	}
	if (rc == 0)
		rc = sanctum_age_decryptor_finish(dec);
	sanctum_age_decryptor_free(dec);
	sanctum_buf_clear(out);
	if (s.out.size)
		assert_int_equal(sanctum_buf_put(out, s.out.ptr, s.out.size), 0);
	sanctum_buf_dispose(&s.out);
	return rc;
}

/* Streams `in` through an encryptor in pieces of `piece` bytes (0: one call). */
static int stream_encrypt(sanctum_buf *out, const sanctum_age_recipient *const *recips,
                          size_t count, unsigned flags, const unsigned char *in, size_t len,
                          size_t piece)
{
	sanctum_age_encryptor *enc = NULL;
	sink s = { SANCTUM_BUF_INIT, 0, 0 };
	size_t off = 0;
	int rc;

	rc = sanctum_age_encryptor_new(&enc, recips, count, flags, sink_write, &s);
	while (rc == 0 && off < len) {
		size_t n = len - off;

		if (piece && n > piece)
			n = piece;
		rc = sanctum_age_encryptor_update(enc, in + off, n);
		off += n;
	}
	if (rc == 0)
		rc = sanctum_age_encryptor_finish(enc);
	sanctum_age_encryptor_free(enc);
	sanctum_buf_clear(out);
	if (s.out.size)
		assert_int_equal(sanctum_buf_put(out, s.out.ptr, s.out.size), 0);
	sanctum_buf_dispose(&s.out);
	return rc;
}

static const unsigned char *find_bytes(const unsigned char *hay, size_t hay_len,
                                       const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Offset of the first payload byte (the nonce) in a binary age file. */
static size_t payload_offset(const sanctum_buf *file)
{
	const unsigned char *mac = find_bytes(file->ptr, file->size, "\n--- ");
	const unsigned char *eol;

	assert_non_null(mac);
	eol = memchr(mac + 1, '\n', file->size - (size_t)(mac + 1 - file->ptr));
	assert_non_null(eol);
	return (size_t)(eol + 1 - file->ptr);
}

/* Number of STREAM chunks for `len` bytes of plaintext: at least one, never an empty last. */
static size_t chunk_count(size_t len)
{
	return len == 0 ? 1 : (len + SANCTUM_AGE_CHUNK_SIZE - 1) / SANCTUM_AGE_CHUNK_SIZE;
}

/* Encrypts `len` random bytes to one fresh identity; returns the plaintext. */
static unsigned char *encrypt_random(sanctum_buf *file, sanctum_age_identity **id_out,
                                     size_t len, unsigned flags)
{
	sanctum_age_recipient *recip = NULL;
	unsigned char *plain = random_bytes(len);

	make_keys(id_out, &recip, 1);
	assert_int_equal(sanctum_age_encrypt(file, RECIPS(&recip), 1, flags, plain, len), 0);
	sanctum_age_recipient_free(recip);
	return plain;
}

/* ---- sizes -------------------------------------------------------------------------- */

static void test_age__size_twins(void **state)
{
	(void)state;
	assert_int_equal(sanctum_age_chunk_size(), SANCTUM_AGE_CHUNK_SIZE);
	assert_int_equal(sanctum_age_tag_size(), SANCTUM_AGE_TAG_SIZE);
	assert_int_equal(sanctum_age_file_key_size(), SANCTUM_AGE_FILE_KEY_SIZE);
	assert_int_equal(SANCTUM_AGE_CHUNK_SIZE, 65536);
	assert_int_equal(SANCTUM_AGE_TAG_SIZE, crypto_aead_chacha20poly1305_ietf_ABYTES);
	assert_int_equal(SANCTUM_AGE_FILE_KEY_SIZE, 16);
	assert_int_equal(SANCTUM_AGE_X25519_KEY_SIZE, crypto_scalarmult_curve25519_BYTES);
}

/* ---- keys and encodings ------------------------------------------------------------- */

static void test_age__keygen_roundtrip(void **state)
{
	sanctum_age_identity *id = NULL, *id2 = NULL;
	sanctum_age_recipient *recip = NULL, *recip2 = NULL, *recip3 = NULL;
	sanctum_buf a = SANCTUM_BUF_INIT, b = SANCTUM_BUF_INIT;
	char *s;

	(void)state;
	assert_int_equal(sanctum_age_identity_generate(&id), 0);
	assert_int_equal(sanctum_age_identity_encode(&a, id), 0);
	s = buf_string(&a);
	assert_int_equal(strlen(s), 74);
	assert_memory_equal(s, "AGE-SECRET-KEY-1", 16);
	for (const char *p = s; *p; p++)
		assert_false(islower((unsigned char)*p));
	assert_int_equal(sanctum_age_identity_parse(&id2, s, strlen(s)), 0);
	assert_int_equal(sanctum_age_identity_encode(&b, id2), 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	free(s);

	/* The recipient, and the recipient of the re-parsed identity, encode alike. */
	assert_int_equal(sanctum_age_identity_to_recipient(&recip, id), 0);
	assert_int_equal(sanctum_age_recipient_encode(&a, recip), 0);
	s = buf_string(&a);
	assert_int_equal(strlen(s), 62);
	assert_memory_equal(s, "age1", 4);
	for (const char *p = s; *p; p++)
		assert_false(isupper((unsigned char)*p));
	assert_int_equal(sanctum_age_recipient_parse(&recip2, s, strlen(s)), 0);
	assert_int_equal(sanctum_age_recipient_encode(&b, recip2), 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	assert_int_equal(sanctum_age_identity_to_recipient(&recip3, id2), 0);
	assert_int_equal(sanctum_age_recipient_encode(&b, recip3), 0);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	free(s);

	/* Two generated identities differ. */
	sanctum_age_identity_free(id2);
	id2 = NULL;
	assert_int_equal(sanctum_age_identity_generate(&id2), 0);
	assert_int_equal(sanctum_age_identity_encode(&a, id), 0);
	assert_int_equal(sanctum_age_identity_encode(&b, id2), 0);
	assert_memory_not_equal(a.ptr, b.ptr, a.size);

	sanctum_buf_dispose(&a);
	sanctum_buf_dispose(&b);
	sanctum_age_recipient_free(recip);
	sanctum_age_recipient_free(recip2);
	sanctum_age_recipient_free(recip3);
	sanctum_age_identity_free(id);
	sanctum_age_identity_free(id2);
}

static void test_age__raw_keys_match_bech32(void **state)
{
	unsigned char secret[SANCTUM_AGE_X25519_KEY_SIZE], pub[SANCTUM_AGE_X25519_KEY_SIZE];
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *from_id = NULL, *from_pub = NULL;
	sanctum_buf a = SANCTUM_BUF_INIT, b = SANCTUM_BUF_INIT;
	char want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (unsigned char)(i * 7 + 1);
	assert_int_equal(crypto_scalarmult_base(pub, secret), 0);

	assert_int_equal(sanctum_age_identity_from_x25519(&id, secret), 0);
	assert_int_equal(sanctum_age_identity_encode(&a, id), 0);
	bech32_encode(want, sizeof(want), "AGE-SECRET-KEY-", secret, sizeof(secret), 1);
	assert_int_equal(a.size, strlen(want));
	assert_memory_equal(a.ptr, want, a.size);

	assert_int_equal(sanctum_age_identity_to_recipient(&from_id, id), 0);
	assert_int_equal(sanctum_age_recipient_from_x25519(&from_pub, pub), 0);
	assert_int_equal(sanctum_age_recipient_encode(&a, from_id), 0);
	assert_int_equal(sanctum_age_recipient_encode(&b, from_pub), 0);
	bech32_encode(want, sizeof(want), "age", pub, sizeof(pub), 0);
	assert_int_equal(a.size, strlen(want));
	assert_memory_equal(a.ptr, want, a.size);
	assert_int_equal(b.size, strlen(want));
	assert_memory_equal(b.ptr, want, b.size);

	sanctum_buf_dispose(&a);
	sanctum_buf_dispose(&b);
	sanctum_age_recipient_free(from_id);
	sanctum_age_recipient_free(from_pub);
	sanctum_age_identity_free(id);
}

static void test_age__key_case_rules(void **state)
{
	sanctum_age_identity *id = NULL, *bad_id = NULL;
	sanctum_age_recipient *recip = NULL, *bad_recip = NULL;
	sanctum_buf a = SANCTUM_BUF_INIT;
	char *ids, *rs;

	(void)state;
	make_keys(&id, &recip, 1);
	assert_int_equal(sanctum_age_identity_encode(&a, id), 0);
	ids = buf_string(&a);
	assert_int_equal(sanctum_age_recipient_encode(&a, recip), 0);
	rs = buf_string(&a);

	/* age1 must be lowercase: all-uppercase and mixed case are refused. */
	for (char *p = rs; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, rs, strlen(rs)), SANCTUM_EKEY);
	assert_null(bad_recip);
	for (char *p = rs + 10; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, rs, strlen(rs)), SANCTUM_EKEY);
	for (char *p = rs; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_int_equal(sanctum_age_recipient_parse(&bad_recip, rs, strlen(rs)), 0);
	sanctum_age_recipient_free(bad_recip);
	bad_recip = NULL;

	/* AGE-SECRET-KEY-1 must be uppercase: all-lowercase and mixed case are refused. */
	for (char *p = ids; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, ids, strlen(ids)), SANCTUM_EKEY);
	assert_null(bad_id);
	for (char *p = ids; p < ids + 20; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, ids, strlen(ids)), SANCTUM_EKEY);
	for (char *p = ids; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_int_equal(sanctum_age_identity_parse(&bad_id, ids, strlen(ids)), 0);
	sanctum_age_identity_free(bad_id);

	free(ids);
	free(rs);
	sanctum_buf_dispose(&a);
	free_keys(&id, &recip, 1);
}

/* Swaps the character at `i` for another Bech32 character of the same case. */
static void mutate_bech32_char(char *s, size_t i)
{
	int upper = isupper((unsigned char)s[i]);
	char c = (char)tolower((unsigned char)s[i]);
	char repl = c == 'q' ? 'p' : 'q';

	s[i] = upper ? (char)toupper((unsigned char)repl) : repl;
}

static void test_age__key_bad_encodings(void **state)
{
	sanctum_age_identity *id = NULL, *bad_id = NULL;
	sanctum_age_recipient *recip = NULL, *bad_recip = NULL;
	sanctum_buf a = SANCTUM_BUF_INIT;
	unsigned char key[33];
	char *ids, *rs, s[256];

	(void)state;
	make_keys(&id, &recip, 1);
	assert_int_equal(sanctum_age_identity_encode(&a, id), 0);
	ids = buf_string(&a);
	assert_int_equal(sanctum_age_recipient_encode(&a, recip), 0);
	rs = buf_string(&a);

	/* Bad checksum: one character changed, in the data and in the checksum. */
	snprintf(s, sizeof(s), "%s", rs);
	mutate_bech32_char(s, 20);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);
	snprintf(s, sizeof(s), "%s", rs);
	mutate_bech32_char(s, strlen(s) - 1);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);
	snprintf(s, sizeof(s), "%s", ids);
	mutate_bech32_char(s, 30);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);
	snprintf(s, sizeof(s), "%s", ids);
	mutate_bech32_char(s, strlen(s) - 1);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);

	/* A character outside the Bech32 set. */
	snprintf(s, sizeof(s), "%s", rs);
	s[10] = 'b';
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);

	/* Truncated, by one character, to the prefix, to nothing. */
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, rs, strlen(rs) - 1),
	                  SANCTUM_EKEY);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, ids, strlen(ids) - 1), SANCTUM_EKEY);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, rs, 4), SANCTUM_EKEY);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, ids, 16), SANCTUM_EKEY);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, "", 0), SANCTUM_EKEY);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, "", 0), SANCTUM_EKEY);

	/* The length argument bounds the string: trailing bytes outside it are not read. */
	snprintf(s, sizeof(s), "%sXYZ", rs);
	assert_int_equal(sanctum_age_recipient_parse(&bad_recip, s, strlen(rs)), 0);
	sanctum_age_recipient_free(bad_recip);
	bad_recip = NULL;

	/* Surrounding whitespace is refused. */
	snprintf(s, sizeof(s), " %s", rs);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);
	snprintf(s, sizeof(s), "%s\n", ids);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);

	/* Wrong human-readable part, with a valid checksum. */
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, ids, strlen(ids)), SANCTUM_EKEY);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, rs, strlen(rs)), SANCTUM_EKEY);
	randombytes_buf(key, sizeof(key));
	bech32_encode(s, sizeof(s), "agf", key, 32, 0);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);
	bech32_encode(s, sizeof(s), "AGE-SECRET-KEY-PQ-", key, 32, 1);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);
	bech32_encode(s, sizeof(s), "AGE-PUBLIC-KEY-", key, 32, 1);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);

	/* Right part, valid checksum, wrong key length. */
	bech32_encode(s, sizeof(s), "age", key, 31, 0);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);
	bech32_encode(s, sizeof(s), "age", key, 33, 0);
	assert_fails_with(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), SANCTUM_EKEY);
	bech32_encode(s, sizeof(s), "AGE-SECRET-KEY-", key, 31, 1);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);
	bech32_encode(s, sizeof(s), "AGE-SECRET-KEY-", key, 33, 1);
	assert_fails_with(sanctum_age_identity_parse(&bad_id, s, strlen(s)), SANCTUM_EKEY);

	/* And the same encoder with 32 bytes is accepted: the failures above are the point. */
	bech32_encode(s, sizeof(s), "age", key, 32, 0);
	assert_int_equal(sanctum_age_recipient_parse(&bad_recip, s, strlen(s)), 0);
	bech32_encode(s, sizeof(s), "AGE-SECRET-KEY-", key, 32, 1);
	assert_int_equal(sanctum_age_identity_parse(&bad_id, s, strlen(s)), 0);

	sanctum_age_recipient_free(bad_recip);
	sanctum_age_identity_free(bad_id);
	free(ids);
	free(rs);
	sanctum_buf_dispose(&a);
	free_keys(&id, &recip, 1);
}

static void test_age__passphrase_keys_have_no_encoding(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *recip = NULL, *r2 = NULL;
	sanctum_buf a = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(sanctum_age_recipient_from_passphrase(&recip, "pw", 2, 10), 0);
	assert_int_equal(sanctum_age_identity_from_passphrase(&id, "pw", 2, 0), 0);
	assert_fails_with(sanctum_age_recipient_encode(&a, recip), SANCTUM_EINVALID);
	assert_fails_with(sanctum_age_identity_encode(&a, id), SANCTUM_EINVALID);
	assert_fails_with(sanctum_age_identity_to_recipient(&r2, id), SANCTUM_EINVALID);
	assert_null(r2);

	/* Empty passphrases and work factors out of 1..30 are refused. */
	assert_fails_with(sanctum_age_recipient_from_passphrase(&r2, "", 0, 10), SANCTUM_EINVALID);
	assert_fails_with(sanctum_age_recipient_from_passphrase(&r2, "pw", 2, 31),
	                  SANCTUM_EINVALID);
	assert_fails_with(sanctum_age_recipient_from_passphrase(&r2, "pw", 2, -1),
	                  SANCTUM_EINVALID);
	assert_null(r2);

	sanctum_buf_dispose(&a);
	sanctum_age_recipient_free(recip);
	sanctum_age_identity_free(id);
}

/* ---- round trips -------------------------------------------------------------------- */

static void check_file_shape(const sanctum_buf *file, size_t plain_len, size_t nrecips,
                             unsigned flags)
{
	if (flags & SANCTUM_AGE_ARMOR) {
		const char *p = (const char *)file->ptr, *end = p + file->size;
		size_t nlines = 0;

		assert_true(file->size > sizeof(armor_begin) + sizeof(armor_end));
		assert_memory_equal(p, armor_begin, strlen(armor_begin));
		assert_memory_equal(end - strlen(armor_end), armor_end, strlen(armor_end));
		/* Body lines are 64 columns, the last one at most 64, all LF-terminated. */
		p += strlen(armor_begin);
		end -= strlen(armor_end);
		while (p < end) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));

			assert_non_null(eol);
			if (eol + 1 < end)
				assert_int_equal(eol - p, 64);
			else
				assert_true(eol - p > 0 && eol - p <= 64);
			p = eol + 1;
			nlines++;
		}
		assert_true(nlines > 0);
	} else {
		size_t off = payload_offset(file);
		size_t stanzas = 0;

		assert_memory_equal(file->ptr, binary_magic, strlen(binary_magic));
		for (const unsigned char *p = file->ptr; p && p < file->ptr + off;) {
			p = find_bytes(p, off - (size_t)(p - file->ptr), "\n-> X25519 ");
			if (p) {
				stanzas++;
				p++;
			}
		}
		assert_int_equal(stanzas, nrecips);
		assert_int_equal(file->size, off + 16 + plain_len +
		                                     SANCTUM_AGE_TAG_SIZE * chunk_count(plain_len));
	}
}

/* Encrypts `plain` to the first `n` recipients and decrypts it with the first and last. */
static void roundtrip_one(sanctum_age_identity *const *ids, sanctum_age_recipient *const *recips,
                          size_t n, unsigned flags, const unsigned char *plain, size_t len)
{
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	const sanctum_age_identity *first = ids[0], *last = ids[n - 1];

	assert_int_equal(sanctum_age_encrypt(&file, RECIPS(recips), n, flags, plain, len), 0);
	check_file_shape(&file, len, n, flags);

	/* Detected armor, with the last recipient's identity. */
	opts.armor = SANCTUM_AGE_ARMOR_AUTO;
	assert_int_equal(sanctum_age_decrypt(&out, &last, 1, &opts, file.ptr, file.size), 0);
	assert_int_equal(out.size, len);
	if (len)
		assert_memory_equal(out.ptr, plain, len);

	/* Declared armor, the first identity, streamed in odd pieces. */
	opts.armor = flags ? SANCTUM_AGE_ARMOR_YES : SANCTUM_AGE_ARMOR_NO;
	assert_int_equal(stream_decrypt(&out, &first, 1, &opts, file.ptr, file.size, 4093), 0);
	assert_int_equal(out.size, len);
	if (len)
		assert_memory_equal(out.ptr, plain, len);

	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
}

static void test_age__roundtrip_sizes_recipients_armor(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536, 1 << 20 };
	static const size_t counts[] = { 1, 2, 30 };
	sanctum_age_identity *ids[30] = { NULL };
	sanctum_age_recipient *recips[30] = { NULL };

	(void)state;
	make_keys(ids, recips, 30);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		unsigned char *plain = random_bytes(sizes[si]);

		for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
			roundtrip_one(ids, recips, counts[ci], 0, plain, sizes[si]);
			roundtrip_one(ids, recips, counts[ci], SANCTUM_AGE_ARMOR, plain, sizes[si]);
		}
		free(plain);
	}
	free_keys(ids, recips, 30);
}

static void test_age__streaming_matches_whole(void **state)
{
	static const size_t pieces[] = { 1, 7, 4096, 65535, 65536, 65537, 0 };
	const size_t len = 3 * 65536 + 5;
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *recip = NULL;
	sanctum_buf whole = SANCTUM_BUF_INIT, streamed = SANCTUM_BUF_INIT,
	            out = SANCTUM_BUF_INIT;
	unsigned char *plain = random_bytes(len);

	(void)state;
	make_keys(&id, &recip, 1);
	for (unsigned flags = 0; flags <= SANCTUM_AGE_ARMOR; flags++) {
		assert_int_equal(sanctum_age_encrypt(&whole, RECIPS(&recip), 1, flags, plain, len),
		                 0);
		for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
			const sanctum_age_identity *cid = id;

			assert_int_equal(stream_encrypt(&streamed, RECIPS(&recip), 1, flags, plain,
			                                len, pieces[i]),
			                 0);
			/* Fresh keys and nonces each time, but the same layout and length. */
			assert_int_equal(streamed.size, whole.size);
			check_file_shape(&streamed, len, 1, flags);
			assert_int_equal(stream_decrypt(&out, &cid, 1, NULL, streamed.ptr,
			                                streamed.size, pieces[i]),
			                 0);
			assert_int_equal(out.size, len);
			assert_memory_equal(out.ptr, plain, len);
		}
	}
	free(plain);
	sanctum_buf_dispose(&whole);
	sanctum_buf_dispose(&streamed);
	sanctum_buf_dispose(&out);
	free_keys(&id, &recip, 1);
}

static void test_age__output_buffer_is_replaced(void **state)
{
	sanctum_age_identity *id = NULL, *other = NULL;
	sanctum_age_recipient *recip = NULL, *other_recip = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	const sanctum_age_identity *cid;

	(void)state;
	make_keys(&id, &recip, 1);
	make_keys(&other, &other_recip, 1);
	assert_int_equal(sanctum_buf_puts(&file, "old contents"), 0);
	assert_int_equal(sanctum_age_encrypt(&file, RECIPS(&recip), 1, 0, "hello", 5), 0);
	assert_memory_equal(file.ptr, binary_magic, strlen(binary_magic));

	assert_int_equal(sanctum_buf_puts(&out, "old contents"), 0);
	cid = id;
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size), 0);
	assert_int_equal(out.size, 5);
	assert_memory_equal(out.ptr, "hello", 5);

	/* On failure the output is left empty, whatever it held before. */
	cid = other;
	assert_fails_with(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size),
	                  SANCTUM_ENOMATCH);
	assert_int_equal(out.size, 0);

	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
	free_keys(&id, &recip, 1);
	free_keys(&other, &other_recip, 1);
}

static void test_age__several_identities_last_matches(void **state)
{
	sanctum_age_identity *ids[5] = { NULL };
	sanctum_age_recipient *recips[5] = { NULL };
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	unsigned char *plain = random_bytes(70000);

	(void)state;
	make_keys(ids, recips, 4);
	/* A passphrase identity among them must simply not match X25519 stanzas. */
	assert_int_equal(sanctum_age_identity_from_passphrase(&ids[4], "pw", 2, 0), 0);
	{
		sanctum_age_identity *tmp = ids[4];

		ids[4] = ids[3];
		ids[3] = tmp;
	}
	/* Encrypted to a key not in the list, and to the key now last in it. */
	{
		sanctum_age_identity *unrelated = NULL;
		sanctum_age_recipient *unrelated_recip = NULL;
		const sanctum_age_recipient *to[2];

		make_keys(&unrelated, &unrelated_recip, 1);
		to[0] = unrelated_recip;
		to[1] = recips[3];
		assert_int_equal(sanctum_age_encrypt(&file, to, 2, 0, plain, 70000), 0);
		free_keys(&unrelated, &unrelated_recip, 1);
	}
	assert_int_equal(sanctum_age_decrypt(&out, IDS(ids), 5, NULL, file.ptr, file.size), 0);
	assert_int_equal(out.size, 70000);
	assert_memory_equal(out.ptr, plain, 70000);

	/* Without it, nothing matches. */
	assert_fails_with(sanctum_age_decrypt(&out, IDS(ids), 4, NULL, file.ptr, file.size),
	                  SANCTUM_ENOMATCH);
	assert_int_equal(out.size, 0);

	free(plain);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
	free_keys(ids, recips, 5);
}

static void test_age__wrong_identity(void **state)
{
	sanctum_age_identity *id = NULL, *other = NULL;
	sanctum_age_recipient *other_recip = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	unsigned char *plain = encrypt_random(&file, &id, 1000, 0);
	const sanctum_age_identity *cid;

	(void)state;
	make_keys(&other, &other_recip, 1);
	cid = other;
	assert_fails_with(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size),
	                  SANCTUM_ENOMATCH);
	assert_int_equal(out.size, 0);
	assert_fails_with(stream_decrypt(&out, &cid, 1, NULL, file.ptr, file.size, 100),
	                  SANCTUM_ENOMATCH);
	assert_int_equal(out.size, 0);

	free(plain);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
	sanctum_age_identity_free(id);
	free_keys(&other, &other_recip, 1);
}

/* ---- passphrases -------------------------------------------------------------------- */

static void encrypt_passphrase(sanctum_buf *file, const char *pw, int wf, const void *plain,
                               size_t len, unsigned flags)
{
	sanctum_age_recipient *recip = NULL;

	assert_int_equal(sanctum_age_recipient_from_passphrase(&recip, pw, strlen(pw), wf), 0);
	assert_int_equal(sanctum_age_encrypt(file, RECIPS(&recip), 1, flags, plain, len), 0);
	sanctum_age_recipient_free(recip);
}

static void test_age__passphrase_roundtrip(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	unsigned char *plain = random_bytes(100000);
	const sanctum_age_identity *cid;

	(void)state;
	for (unsigned flags = 0; flags <= SANCTUM_AGE_ARMOR; flags++) {
		encrypt_passphrase(&file, "correct horse battery staple", 10, plain, 100000, flags);
		if (!flags) {
			/* One scrypt stanza, alone, with the work factor asked for. */
			assert_non_null(find_bytes(file.ptr, file.size, "\n-> scrypt "));
			assert_null(find_bytes(file.ptr, file.size, "\n-> X25519 "));
			const unsigned char *st = find_bytes(file.ptr, file.size, "\n-> scrypt ");
			const unsigned char *eol =
				memchr(st + 1, '\n', file.size - (size_t)(st + 1 - file.ptr));

			assert_non_null(eol);
			assert_memory_equal(eol - 3, " 10", 3);
			check_file_shape(&file, 100000, 0, 0);
		}
		assert_int_equal(sanctum_age_identity_from_passphrase(
					 &id, "correct horse battery staple", 28, 0),
		                 0);
		cid = id;
		assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size), 0);
		assert_int_equal(out.size, 100000);
		assert_memory_equal(out.ptr, plain, 100000);
		assert_int_equal(stream_decrypt(&out, &cid, 1, NULL, file.ptr, file.size, 333), 0);
		assert_int_equal(out.size, 100000);
		assert_memory_equal(out.ptr, plain, 100000);
		sanctum_age_identity_free(id);
		id = NULL;
	}
	free(plain);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
}

static void test_age__passphrase_default_work_factor(void **state)
{
	sanctum_buf file = SANCTUM_BUF_INIT;
	const unsigned char *st, *eol;

	(void)state;
	/* Encrypting only: one scrypt at the default cost, no decryption. */
	encrypt_passphrase(&file, "pw", 0, "x", 1, 0);
	st = find_bytes(file.ptr, file.size, "\n-> scrypt ");
	assert_non_null(st);
	eol = memchr(st + 1, '\n', file.size - (size_t)(st + 1 - file.ptr));
	assert_non_null(eol);
	assert_int_equal(SANCTUM_AGE_DEFAULT_WORK_FACTOR, 18);
	assert_memory_equal(eol - 3, " 18", 3);
	sanctum_buf_dispose(&file);
}

static void test_age__passphrase_mixed_refused(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *x = NULL, *pw = NULL, *pw2 = NULL;
	sanctum_age_encryptor *enc = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;
	sink s = { SANCTUM_BUF_INIT, 0, 0 };
	const sanctum_age_recipient *list[2];

	(void)state;
	make_keys(&id, &x, 1);
	assert_int_equal(sanctum_age_recipient_from_passphrase(&pw, "pw", 2, 10), 0);
	assert_int_equal(sanctum_age_recipient_from_passphrase(&pw2, "pw2", 3, 10), 0);

	list[0] = pw;
	list[1] = x;
	assert_fails_with(sanctum_age_encrypt(&file, list, 2, 0, "x", 1), SANCTUM_EINVALID);
	assert_int_equal(file.size, 0);
	list[0] = x;
	list[1] = pw;
	assert_fails_with(sanctum_age_encrypt(&file, list, 2, 0, "x", 1), SANCTUM_EINVALID);
	list[0] = pw;
	list[1] = pw2;
	assert_fails_with(sanctum_age_encrypt(&file, list, 2, 0, "x", 1), SANCTUM_EINVALID);

	/* The streaming call refuses before writing anything. */
	list[0] = x;
	list[1] = pw;
	assert_fails_with(sanctum_age_encryptor_new(&enc, list, 2, 0, sink_write, &s),
	                  SANCTUM_EINVALID);
	assert_null(enc);
	assert_int_equal(s.out.size, 0);
	/* No recipient at all. */
	assert_fails_with(sanctum_age_encryptor_new(&enc, list, 0, 0, sink_write, &s),
	                  SANCTUM_EINVALID);
	assert_null(enc);

	sanctum_buf_dispose(&s.out);
	sanctum_buf_dispose(&file);
	sanctum_age_recipient_free(pw);
	sanctum_age_recipient_free(pw2);
	free_keys(&id, &x, 1);
}

static void test_age__wrong_passphrase(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	const sanctum_age_identity *cid;

	(void)state;
	encrypt_passphrase(&file, "right", 10, "secret", 6, 0);
	assert_int_equal(sanctum_age_identity_from_passphrase(&id, "wrong", 5, 0), 0);
	cid = id;
	assert_fails_with(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size),
	                  SANCTUM_EBADPASS);
	assert_int_equal(out.size, 0);
	assert_fails_with(stream_decrypt(&out, &cid, 1, NULL, file.ptr, file.size, 0),
	                  SANCTUM_EBADPASS);
	assert_int_equal(out.size, 0);

	sanctum_age_identity_free(id);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
}

static void test_age__work_factor_limit(void **state)
{
	sanctum_age_identity *low = NULL, *enough = NULL, *bad = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	const sanctum_age_identity *cid;

	(void)state;
	encrypt_passphrase(&file, "pw", 12, "secret", 6, 0);
	assert_int_equal(sanctum_age_identity_from_passphrase(&low, "pw", 2, 11), 0);
	assert_int_equal(sanctum_age_identity_from_passphrase(&enough, "pw", 2, 12), 0);

	cid = low;
	assert_fails_with(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size),
	                  SANCTUM_EWORKFACTOR);
	assert_int_equal(out.size, 0);
	/* The work factor is refused even with the wrong passphrase: no scrypt is run. */
	sanctum_age_identity_free(low);
	low = NULL;
	assert_int_equal(sanctum_age_identity_from_passphrase(&low, "other", 5, 11), 0);
	cid = low;
	assert_fails_with(stream_decrypt(&out, &cid, 1, NULL, file.ptr, file.size, 10),
	                  SANCTUM_EWORKFACTOR);

	cid = enough;
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size), 0);
	assert_int_equal(out.size, 6);
	assert_memory_equal(out.ptr, "secret", 6);

	/* The limits themselves are checked. */
	assert_fails_with(sanctum_age_identity_from_passphrase(&bad, "pw", 2, 31),
	                  SANCTUM_EINVALID);
	assert_null(bad);

	sanctum_age_identity_free(low);
	sanctum_age_identity_free(enough);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
}

typedef struct {
	int calls;
	const char *answer;  /* NULL: refuse with CALLBACK_CODE */
} passphrase_prompt;

static int prompt(sanctum_buf *out, void *payload)
{
	passphrase_prompt *p = payload;

	p->calls++;
	if (!p->answer)
		return CALLBACK_CODE;
	return sanctum_buf_puts(out, p->answer);
}

static void test_age__passphrase_callback(void **state)
{
	sanctum_age_identity *x = NULL, *pwid = NULL;
	sanctum_age_recipient *xr = NULL;
	sanctum_buf xfile = SANCTUM_BUF_INIT, pfile = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	passphrase_prompt p = { 0, "pw" };
	const sanctum_age_identity *cid;

	(void)state;
	make_keys(&x, &xr, 1);
	assert_int_equal(sanctum_age_encrypt(&xfile, RECIPS(&xr), 1, 0, "x25519", 6), 0);
	encrypt_passphrase(&pfile, "pw", 10, "scrypt", 6, 0);
	opts.passphrase = prompt;
	opts.passphrase_payload = &p;
	cid = x;

	/* An X25519 file never asks. */
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, &opts, xfile.ptr, xfile.size), 0);
	assert_int_equal(p.calls, 0);
	assert_memory_equal(out.ptr, "x25519", 6);

	/* A passphrase file asks once, when no passphrase identity was given. */
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, &opts, pfile.ptr, pfile.size), 0);
	assert_int_equal(p.calls, 1);
	assert_int_equal(out.size, 6);
	assert_memory_equal(out.ptr, "scrypt", 6);
	p.calls = 0;
	assert_int_equal(stream_decrypt(&out, &cid, 1, &opts, pfile.ptr, pfile.size, 1), 0);
	assert_int_equal(p.calls, 1);
	assert_memory_equal(out.ptr, "scrypt", 6);

	/* A wrong answer is a wrong passphrase. */
	p.calls = 0;
	p.answer = "nope";
	assert_fails_with(sanctum_age_decrypt(&out, &cid, 1, &opts, pfile.ptr, pfile.size),
	                  SANCTUM_EBADPASS);
	assert_int_equal(p.calls, 1);
	assert_int_equal(out.size, 0);

	/* A refusal stops decryption with the callback's code. */
	p.calls = 0;
	p.answer = NULL;
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, &opts, pfile.ptr, pfile.size),
	                 CALLBACK_CODE);
	assert_int_equal(p.calls, 1);
	assert_int_equal(out.size, 0);

	/* The callback's passphrases obey opts.max_work_factor. */
	p.calls = 0;
	p.answer = "pw";
	opts.max_work_factor = 9;
	assert_fails_with(sanctum_age_decrypt(&out, &cid, 1, &opts, pfile.ptr, pfile.size),
	                  SANCTUM_EWORKFACTOR);
	assert_true(p.calls <= 1);
	opts.max_work_factor = 0;

	/* A passphrase identity given up front means no question. */
	p.calls = 0;
	assert_int_equal(sanctum_age_identity_from_passphrase(&pwid, "pw", 2, 0), 0);
	cid = pwid;
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, &opts, pfile.ptr, pfile.size), 0);
	assert_int_equal(p.calls, 0);

	sanctum_age_identity_free(pwid);
	free_keys(&x, &xr, 1);
	sanctum_buf_dispose(&xfile);
	sanctum_buf_dispose(&pfile);
	sanctum_buf_dispose(&out);
}

/* ---- tampering ---------------------------------------------------------------------- */

/* Decrypts `file` both ways and checks both fail with `want`, releasing nothing whole. */
static void expect_decrypt_failure(const sanctum_age_identity *id, const unsigned char *file,
                                   size_t len, sanctum_age_armor_mode armor, int want)
{
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_buf out = SANCTUM_BUF_INIT;

	opts.armor = armor;
	assert_fails_with(sanctum_age_decrypt(&out, &id, 1, &opts, file, len), want);
	assert_int_equal(out.size, 0);
	assert_fails_with(stream_decrypt(&out, &id, 1, &opts, file, len, 1000), want);
	sanctum_buf_dispose(&out);
}

static void test_age__tamper_header_mac(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;
	unsigned char *plain = encrypt_random(&file, &id, 1000, 0);
	unsigned char *mac;

	(void)state;
	mac = (unsigned char *)find_bytes(file.ptr, file.size, "\n--- ");
	assert_non_null(mac);
	mac += 5;
	/* Every bit of the first base64 character is significant: still canonical. */
	*mac = *mac == 'A' ? 'B' : 'A';
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_NO, SANCTUM_EMAC);

	free(plain);
	sanctum_buf_dispose(&file);
	sanctum_age_identity_free(id);
}

static void test_age__tamper_payload(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;
	unsigned char *plain = encrypt_random(&file, &id, 3 * 65536 + 10, 0);
	size_t off = payload_offset(&file);
	sanctum_buf out = SANCTUM_BUF_INIT;
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	const sanctum_age_identity *cid = id;

	(void)state;
	/* The last byte: the final chunk's tag. */
	file.ptr[file.size - 1] ^= 0x01;
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_NO, SANCTUM_EPAYLOAD);
	file.ptr[file.size - 1] ^= 0x01;

	/* A byte of the second chunk: the first chunk may be released by the stream. */
	file.ptr[off + 16 + 65552 + 100] ^= 0x80;
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_NO, SANCTUM_EPAYLOAD);
	opts.armor = SANCTUM_AGE_ARMOR_NO;
	assert_int_equal(stream_decrypt(&out, &cid, 1, &opts, file.ptr, file.size, 0),
	                 SANCTUM_EPAYLOAD);
	assert_true(out.size == 0 || out.size == 65536);
	if (out.size)
		assert_memory_equal(out.ptr, plain, 65536);
	file.ptr[off + 16 + 65552 + 100] ^= 0x80;

	/* The nonce: a different payload key, so the first chunk fails. */
	file.ptr[off + 3] ^= 0x10;
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_NO, SANCTUM_EPAYLOAD);
	file.ptr[off + 3] ^= 0x10;

	/* Restored, it opens again. */
	assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, &opts, file.ptr, file.size), 0);
	assert_int_equal(out.size, 3 * 65536 + 10);

	free(plain);
	sanctum_buf_dispose(&out);
	sanctum_buf_dispose(&file);
	sanctum_age_identity_free(id);
}

static void test_age__truncated(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;
	unsigned char *plain = encrypt_random(&file, &id, 3 * 65536 + 10, 0);
	size_t off = payload_offset(&file);

	(void)state;
	/*
	 * Cut inside a chunk: the short rest is taken as the final chunk, whose tag fails,
	 * so the payload does not authenticate (testkit stream_short_chunk).
	 */
	expect_decrypt_failure(id, file.ptr, off + 16 + 65552 + 1000, SANCTUM_AGE_ARMOR_NO,
	                       SANCTUM_EPAYLOAD);
	expect_decrypt_failure(id, file.ptr, file.size - 1, SANCTUM_AGE_ARMOR_NO,
	                       SANCTUM_EPAYLOAD);
	/*
	 * Cut at a chunk boundary: every chunk present authenticates as a non-final chunk,
	 * and the file ends before its final chunk (testkit stream_no_final*).
	 */
	expect_decrypt_failure(id, file.ptr, off + 16 + 65552, SANCTUM_AGE_ARMOR_NO,
	                       SANCTUM_ETRUNCATED);
	expect_decrypt_failure(id, file.ptr, off + 16 + 2 * 65552, SANCTUM_AGE_ARMOR_NO,
	                       SANCTUM_ETRUNCATED);
	/* Right after the nonce: no chunk at all (testkit stream_no_chunks). */
	expect_decrypt_failure(id, file.ptr, off + 16, SANCTUM_AGE_ARMOR_NO, SANCTUM_ETRUNCATED);
	/* Inside the nonce, or no nonce: the header is incomplete (stream_short_nonce). */
	expect_decrypt_failure(id, file.ptr, off + 5, SANCTUM_AGE_ARMOR_NO, SANCTUM_EHEADER);
	expect_decrypt_failure(id, file.ptr, off, SANCTUM_AGE_ARMOR_NO, SANCTUM_EHEADER);
	/* Inside the header. */
	expect_decrypt_failure(id, file.ptr, off / 2, SANCTUM_AGE_ARMOR_NO, SANCTUM_EHEADER);
	expect_decrypt_failure(id, file.ptr, 0, SANCTUM_AGE_ARMOR_NO, SANCTUM_EHEADER);

	free(plain);
	sanctum_buf_dispose(&file);
	sanctum_age_identity_free(id);
}

static void test_age__trailing_data(void **state)
{
	static const size_t sizes[] = { 0, 10, 65536, 2 * 65536 };
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *plain = encrypt_random(&file, &id, sizes[i], 0);

		assert_int_equal(sanctum_buf_put(&file, "\0", 1), 0);
		/*
		 * A short final chunk grows by a byte and no longer authenticates (EPAYLOAD).
		 * A full final chunk still opens as the final chunk once it fails as a middle
		 * one, and the extra byte is then data after the end (ETRAILING).
		 */
		expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_NO,
		                       sizes[i] % 65536 == 0 && sizes[i] ? SANCTUM_ETRAILING
		                                                         : SANCTUM_EPAYLOAD);
		free(plain);
		sanctum_age_identity_free(id);
		id = NULL;
	}
	sanctum_buf_dispose(&file);
}

static void test_age__armor_mode_mismatch(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	unsigned char *plain = encrypt_random(&file, &id, 100, 0);
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	const sanctum_age_identity *cid = id;

	(void)state;
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_YES, SANCTUM_EARMOR);
	free(plain);
	sanctum_age_identity_free(id);

	plain = encrypt_random(&file, &id, 100, SANCTUM_AGE_ARMOR);
	cid = id;
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_NO, SANCTUM_EHEADER);

	/*
	 * Whitespace lines around the armor are fine (testkit armor_whitespace_outside);
	 * anything else after it is not.
	 */
	opts.armor = SANCTUM_AGE_ARMOR_AUTO;
	{
		sanctum_buf padded = SANCTUM_BUF_INIT;

		assert_int_equal(sanctum_buf_puts(&padded, "\n \t\r\n"), 0);
		assert_int_equal(sanctum_buf_put(&padded, file.ptr, file.size), 0);
		assert_int_equal(sanctum_buf_puts(&padded, "\n  \n"), 0);
		assert_int_equal(
			sanctum_age_decrypt(&out, &cid, 1, &opts, padded.ptr, padded.size), 0);
		assert_int_equal(out.size, 100);
		assert_memory_equal(out.ptr, plain, 100);
		sanctum_buf_dispose(&padded);
	}
	assert_int_equal(sanctum_buf_puts(&file, "garbage"), 0);
	expect_decrypt_failure(id, file.ptr, file.size, SANCTUM_AGE_ARMOR_AUTO, SANCTUM_EARMOR);

	free(plain);
	sanctum_age_identity_free(id);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
}

/* ---- the write callback ------------------------------------------------------------- */

static void test_age__write_callback_error_stops_encryption(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *recip = NULL;
	sanctum_age_encryptor *enc = NULL;
	unsigned char *plain = random_bytes(3 * 65536 + 1);
	sink s = { SANCTUM_BUF_INIT, 0, 1 };
	const sanctum_age_recipient *cr;
	int rc;

	(void)state;
	make_keys(&id, &recip, 1);
	cr = recip;

	/* Failing on the header. */
	assert_int_equal(sanctum_age_encryptor_new(&enc, &cr, 1, 0, sink_write, &s), CALLBACK_CODE);
	assert_null(enc);
	assert_int_equal(s.calls, 1);

	/* Failing on the first payload write: the code comes back from update or finish. */
	for (unsigned flags = 0; flags <= SANCTUM_AGE_ARMOR; flags++) {
		int calls_after_header;

		s.calls = 0;
		s.fail_at = 0;
		sanctum_buf_clear(&s.out);
		assert_int_equal(sanctum_age_encryptor_new(&enc, &cr, 1, flags, sink_write, &s), 0);
		calls_after_header = s.calls;
		s.fail_at = calls_after_header + 1;
		rc = sanctum_age_encryptor_update(enc, plain, 3 * 65536 + 1);
		assert_int_equal(rc, CALLBACK_CODE);
		/* Nothing is written after the failure. */
		assert_int_equal(s.calls, calls_after_header + 1);
		sanctum_age_encryptor_free(enc);
		enc = NULL;

		/* And from finish, when only the final chunk is left to write. */
		s.calls = 0;
		s.fail_at = 0;
		assert_int_equal(sanctum_age_encryptor_new(&enc, &cr, 1, flags, sink_write, &s), 0);
		assert_int_equal(sanctum_age_encryptor_update(enc, plain, 10), 0);
		s.fail_at = s.calls + 1;
		assert_int_equal(sanctum_age_encryptor_finish(enc), CALLBACK_CODE);
		sanctum_age_encryptor_free(enc);
		enc = NULL;
	}

	free(plain);
	sanctum_buf_dispose(&s.out);
	free_keys(&id, &recip, 1);
}

static void test_age__write_callback_error_stops_decryption(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;
	unsigned char *plain = encrypt_random(&file, &id, 3 * 65536 + 1, 0);
	sanctum_age_decryptor *dec = NULL;
	sink s = { SANCTUM_BUF_INIT, 0, 1 };
	const sanctum_age_identity *cid = id;

	(void)state;
	assert_int_equal(sanctum_age_decryptor_new(&dec, &cid, 1, NULL, sink_write, &s), 0);
	assert_int_equal(sanctum_age_decryptor_update(dec, file.ptr, file.size), CALLBACK_CODE);
	assert_int_equal(s.calls, 1);
	/* The failure is final. */
	assert_int_equal(sanctum_age_decryptor_update(dec, file.ptr, 1), CALLBACK_CODE);
	assert_int_equal(sanctum_age_decryptor_finish(dec), CALLBACK_CODE);
	assert_int_equal(s.calls, 1);
	sanctum_age_decryptor_free(dec);
	dec = NULL;

	/* Failing on the final chunk, which only finish releases for certain. */
	s.calls = 0;
	s.fail_at = 0;
	sanctum_buf_clear(&s.out);
	sanctum_buf_dispose(&file);
	free(plain);
	sanctum_age_identity_free(id);
	plain = encrypt_random(&file, &id, 5, 0);
	cid = id;
	s.fail_at = 1;
	assert_int_equal(sanctum_age_decryptor_new(&dec, &cid, 1, NULL, sink_write, &s), 0);
	{
		int rc = sanctum_age_decryptor_update(dec, file.ptr, file.size);

		if (rc == 0)
			rc = sanctum_age_decryptor_finish(dec);
		assert_int_equal(rc, CALLBACK_CODE);
	}
	sanctum_age_decryptor_free(dec);

	free(plain);
	sanctum_buf_dispose(&s.out);
	sanctum_buf_dispose(&file);
	sanctum_age_identity_free(id);
}

/* ---- key files ---------------------------------------------------------------------- */

static void test_age__identity_file(void **state)
{
	sanctum_age_identity *a = NULL, *b = NULL;
	sanctum_age_recipient *ar = NULL, *br = NULL;
	sanctum_age_identity_list list = SANCTUM_AGE_LIST_INIT;
	sanctum_buf as = SANCTUM_BUF_INIT, bs = SANCTUM_BUF_INIT, rs = SANCTUM_BUF_INIT,
	            text = SANCTUM_BUF_INIT, file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	sanctum_age_identity **items_before;
	char line[256];

	(void)state;
	make_keys(&a, &ar, 1);
	make_keys(&b, &br, 1);
	assert_int_equal(sanctum_age_identity_encode(&as, a), 0);
	assert_int_equal(sanctum_age_identity_encode(&bs, b), 0);
	assert_int_equal(sanctum_age_recipient_encode(&rs, ar), 0);

	/* As age-keygen writes it, plus a blank line, a second key and CRLF line ends. */
	snprintf(line, sizeof(line), "# created: 2024-01-01T00:00:00Z\n# public key: %s\n",
	         (const char *)rs.ptr);
	assert_int_equal(sanctum_buf_puts(&text, line), 0);
	assert_int_equal(sanctum_buf_put(&text, as.ptr, as.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n\n\r\n# another\r\n"), 0);
	assert_int_equal(sanctum_buf_put(&text, bs.ptr, bs.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\r\n"), 0);
	assert_int_equal(sanctum_age_identity_list_parse(&list, (const char *)text.ptr, text.size),
	                 0);
	assert_int_equal(list.count, 2);

	/* The parsed keys are the ones written: each opens a file made for its original. */
	assert_int_equal(sanctum_age_encrypt(&file, RECIPS(&br), 1, 0, "b", 1), 0);
	assert_int_equal(
	    sanctum_age_decrypt(&out, IDS(list.items), list.count, NULL, file.ptr, file.size), 0);
	assert_int_equal(
	    sanctum_age_decrypt(&out, IDS(&list.items[1]), 1, NULL, file.ptr, file.size), 0);
	assert_int_equal(sanctum_age_encrypt(&file, RECIPS(&ar), 1, 0, "a", 1), 0);
	assert_int_equal(sanctum_age_decrypt(&out, IDS(list.items), 1, NULL, file.ptr, file.size),
	                 0);

	/* No final newline is fine; the list grows. */
	assert_int_equal(sanctum_age_identity_list_parse(&list, (const char *)as.ptr, as.size), 0);
	assert_int_equal(list.count, 3);

	/* A bad fourth line: refused with its number, and the list is unchanged. */
	items_before = malloc(list.count * sizeof(*items_before));
	assert_non_null(items_before);
	memcpy(items_before, list.items, list.count * sizeof(*items_before));
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_puts(&text, "# comment\r\n"), 0);
	assert_int_equal(sanctum_buf_put(&text, bs.ptr, bs.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\r\n\r\n"), 0);
	assert_int_equal(sanctum_buf_put(&text, rs.ptr, rs.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\r\n"), 0);
	assert_fails_with(sanctum_age_identity_list_parse(&list, (const char *)text.ptr, text.size),
	                  SANCTUM_EKEY);
	assert_non_null(strstr(sanctum_error_last()->message, "line 4"));
	assert_int_equal(list.count, 3);
	assert_memory_equal(list.items, items_before, 3 * sizeof(*items_before));

	/* A broken key on the second line. */
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_put(&text, as.ptr, as.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\nAGE-SECRET-KEY-1QQQQ\n"), 0);
	assert_fails_with(sanctum_age_identity_list_parse(&list, (const char *)text.ptr, text.size),
	                  SANCTUM_EKEY);
	assert_non_null(strstr(sanctum_error_last()->message, "line 2"));
	assert_int_equal(list.count, 3);
	assert_memory_equal(list.items, items_before, 3 * sizeof(*items_before));

	/* Comments and blank lines only: no identity. */
	assert_fails_with(sanctum_age_identity_list_parse(&list, "# nothing\n\n", 11),
	                  SANCTUM_EINVALID);
	assert_fails_with(sanctum_age_identity_list_parse(&list, "", 0), SANCTUM_EINVALID);
	assert_int_equal(list.count, 3);

	free(items_before);
	sanctum_age_identity_list_dispose(&list);
	assert_int_equal(list.count, 0);
	sanctum_age_identity_list_dispose(&list);
	sanctum_buf_dispose(&as);
	sanctum_buf_dispose(&bs);
	sanctum_buf_dispose(&rs);
	sanctum_buf_dispose(&text);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
	free_keys(&a, &ar, 1);
	free_keys(&b, &br, 1);
}

static void test_age__recipients_file(void **state)
{
	sanctum_age_identity *ids[3] = { NULL };
	sanctum_age_recipient *recips[3] = { NULL };
	sanctum_age_recipient_list list = SANCTUM_AGE_LIST_INIT;
	sanctum_buf enc = SANCTUM_BUF_INIT, text = SANCTUM_BUF_INIT, file = SANCTUM_BUF_INIT,
	            out = SANCTUM_BUF_INIT, idtext = SANCTUM_BUF_INIT;
	sanctum_age_recipient **items_before;

	(void)state;
	make_keys(ids, recips, 3);
	assert_int_equal(sanctum_buf_puts(&text, "# the team\n\n"), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(sanctum_age_recipient_encode(&enc, recips[i]), 0);
		assert_int_equal(sanctum_buf_put(&text, enc.ptr, enc.size), 0);
		assert_int_equal(sanctum_buf_puts(&text, i == 1 ? "\r\n# x\r\n" : "\n"), 0);
	}
	assert_int_equal(sanctum_age_recipient_list_parse(&list, (const char *)text.ptr, text.size),
	                 0);
	assert_int_equal(list.count, 3);

	/* Each recipient of the list is the key written at its place. */
	assert_int_equal(sanctum_age_encrypt(&file, RECIPS(list.items), list.count, 0, "hi", 2), 0);
	for (size_t i = 0; i < 3; i++) {
		const sanctum_age_identity *cid = ids[i];
		sanctum_buf re = SANCTUM_BUF_INIT;

		assert_int_equal(sanctum_age_decrypt(&out, &cid, 1, NULL, file.ptr, file.size), 0);
		assert_int_equal(sanctum_age_recipient_encode(&enc, recips[i]), 0);
		assert_int_equal(sanctum_age_recipient_encode(&re, list.items[i]), 0);
		assert_int_equal(enc.size, re.size);
		assert_memory_equal(enc.ptr, re.ptr, enc.size);
		sanctum_buf_dispose(&re);
	}

	/* A secret key in a recipients file, on line 3: refused, list unchanged. */
	items_before = malloc(list.count * sizeof(*items_before));
	assert_non_null(items_before);
	memcpy(items_before, list.items, list.count * sizeof(*items_before));
	assert_int_equal(sanctum_age_identity_encode(&idtext, ids[0]), 0);
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_age_recipient_encode(&enc, recips[0]), 0);
	assert_int_equal(sanctum_buf_put(&text, enc.ptr, enc.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n# then\n"), 0);
	assert_int_equal(sanctum_buf_put(&text, idtext.ptr, idtext.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	assert_fails_with(
	    sanctum_age_recipient_list_parse(&list, (const char *)text.ptr, text.size),
	    SANCTUM_EKEY);
	assert_non_null(strstr(sanctum_error_last()->message, "line 3"));
	assert_int_equal(list.count, 3);
	assert_memory_equal(list.items, items_before, 3 * sizeof(*items_before));

	/* An uppercase recipient on line 1. */
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_put(&text, enc.ptr, enc.size), 0);
	for (size_t i = 0; i < text.size; i++)
		text.ptr[i] = (unsigned char)toupper(text.ptr[i]);
	assert_fails_with(
	    sanctum_age_recipient_list_parse(&list, (const char *)text.ptr, text.size),
	    SANCTUM_EKEY);
	assert_non_null(strstr(sanctum_error_last()->message, "line 1"));
	assert_int_equal(list.count, 3);

	assert_fails_with(sanctum_age_recipient_list_parse(&list, "#\n", 2), SANCTUM_EINVALID);
	assert_int_equal(list.count, 3);

	free(items_before);
	sanctum_age_recipient_list_dispose(&list);
	sanctum_age_recipient_list_dispose(&list);
	sanctum_buf_dispose(&enc);
	sanctum_buf_dispose(&text);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
	sanctum_buf_dispose(&idtext);
	free_keys(ids, recips, 3);
}

static void test_age__list_add(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *recip = NULL;
	sanctum_age_identity_list ids = SANCTUM_AGE_LIST_INIT;
	sanctum_age_recipient_list recips = SANCTUM_AGE_LIST_INIT;

	(void)state;
	for (int i = 0; i < 40; i++) {
		make_keys(&id, &recip, 1);
		assert_int_equal(sanctum_age_identity_list_add(&ids, id), 0);
		assert_int_equal(sanctum_age_recipient_list_add(&recips, recip), 0);
	}
	assert_int_equal(ids.count, 40);
	assert_int_equal(recips.count, 40);
	assert_true(ids.alloc >= ids.count);
	/* The lists own their keys: disposing frees them (the sanitizer build checks it). */
	sanctum_age_identity_list_dispose(&ids);
	sanctum_age_recipient_list_dispose(&recips);
	sanctum_age_identity_list_dispose(NULL);
	sanctum_age_recipient_list_dispose(NULL);
	sanctum_age_identity_free(NULL);
	sanctum_age_recipient_free(NULL);
	sanctum_age_encryptor_free(NULL);
	sanctum_age_decryptor_free(NULL);
}

/* ---- main --------------------------------------------------------------------------- */

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

/* The first_stanza hint changes only where the search starts: right, wrong or out of
 * range, every identity still finds its stanza. */
static void test_age__first_stanza_hint(void **state)
{
	sanctum_age_identity *ids[5] = { NULL };
	sanctum_age_recipient *rs[5] = { NULL };
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	static const size_t hints[] = { 0, 1, 3, 4, 5, 1000 };

	(void)state;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(sanctum_age_identity_generate(&ids[i]), 0);
		assert_int_equal(sanctum_age_identity_to_recipient(&rs[i], ids[i]), 0);
	}
	assert_int_equal(sanctum_age_encrypt(&file, (const sanctum_age_recipient *const *)rs, 5, 0,
	                                     "hint", 4), 0);
	for (int i = 0; i < 5; i++)
		for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++) {
			sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
			const sanctum_age_identity *one[1] = { ids[i] };

			opts.first_stanza = hints[h];
			assert_int_equal(sanctum_age_decrypt(&out, one, 1, &opts, file.ptr, file.size), 0);
			assert_int_equal(out.size, 4);
			assert_memory_equal(out.ptr, "hint", 4);
		}
	for (int i = 0; i < 5; i++) {
		sanctum_age_recipient_free(rs[i]);
		sanctum_age_identity_free(ids[i]);
	}
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age__first_stanza_hint),
		cmocka_unit_test(test_age__size_twins),
		cmocka_unit_test(test_age__keygen_roundtrip),
		cmocka_unit_test(test_age__raw_keys_match_bech32),
		cmocka_unit_test(test_age__key_case_rules),
		cmocka_unit_test(test_age__key_bad_encodings),
		cmocka_unit_test(test_age__passphrase_keys_have_no_encoding),
		cmocka_unit_test(test_age__roundtrip_sizes_recipients_armor),
		cmocka_unit_test(test_age__streaming_matches_whole),
		cmocka_unit_test(test_age__output_buffer_is_replaced),
		cmocka_unit_test(test_age__several_identities_last_matches),
		cmocka_unit_test(test_age__wrong_identity),
		cmocka_unit_test(test_age__passphrase_roundtrip),
		cmocka_unit_test(test_age__passphrase_default_work_factor),
		cmocka_unit_test(test_age__passphrase_mixed_refused),
		cmocka_unit_test(test_age__wrong_passphrase),
		cmocka_unit_test(test_age__work_factor_limit),
		cmocka_unit_test(test_age__passphrase_callback),
		cmocka_unit_test(test_age__tamper_header_mac),
		cmocka_unit_test(test_age__tamper_payload),
		cmocka_unit_test(test_age__truncated),
		cmocka_unit_test(test_age__trailing_data),
		cmocka_unit_test(test_age__armor_mode_mismatch),
		cmocka_unit_test(test_age__write_callback_error_stops_encryption),
		cmocka_unit_test(test_age__write_callback_error_stops_decryption),
		cmocka_unit_test(test_age__identity_file),
		cmocka_unit_test(test_age__recipients_file),
		cmocka_unit_test(test_age__list_add),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * Unit tests for OpenSSH signatures and public key lines (core/src/sshsig.c).
 *
 * The known answers come from OpenSSH 9.2's ssh-keygen, run once on a throwaway key:
 *     ssh-keygen -t ed25519 -N '' -C sanctum-test-key -f k
 *     printf 'hello sanctum\n' > m
 *     ssh-keygen -Y sign -f k -n sanctum-doc m                       (KAT_SIG_SHA512)
 *     ssh-keygen -Y sign -f k -n sanctum-doc -O hashalg=sha256 < m   (KAT_SIG_SHA256)
 * KAT_SEED is that key's 32-byte Ed25519 seed, read out of the unencrypted private key
 * file k by hand (its private section holds string "ssh-ed25519", string(public key),
 * string(seed || public key)); k itself is in tests/resources/sshsig/. The test derives
 * the public key from the seed and checks it against KAT_PUBLIC_LINE, so a wrong seed
 * cannot pass unnoticed. This key protects nothing: never use it for anything else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sanctum/errors.h"
#include "sanctum/sshsig.h"
#include "sshbuf.h"

#define NS "sanctum-doc"
#define BEGIN "-----BEGIN SSH SIGNATURE-----"
#define END "-----END SSH SIGNATURE-----"

static const char KAT_MESSAGE[] = "hello sanctum\n";
static const char KAT_SEED[] =
	"77e793af350c288c0612f3cdaa1e97d8324b35202f954102ee48466acff1f5e1";
static const char KAT_PUBLIC_LINE[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1w "
	"sanctum-test-key";
static const char KAT_SIG_SHA512[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgHjlwvCCaW3x8ul1OL+aQypb+g6\n"
	"dyMoQUYnayP50hXXAAAAALc2FuY3R1bS1kb2MAAAAAAAAABnNoYTUxMgAAAFMAAAALc3No\n"
	"LWVkMjU1MTkAAABA7Or1j01HERrO4mWuEmt6cCHAjPYOfO/ZmtzqRCSPwACrbwLFH3Amth\n"
	"lro+5OKGF7/UwCpm4LJZ0e+Vb/WhYsDg==\n"
	"-----END SSH SIGNATURE-----\n";
static const char KAT_SIG_SHA256[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgHjlwvCCaW3x8ul1OL+aQypb+g6\n"
	"dyMoQUYnayP50hXXAAAAALc2FuY3R1bS1kb2MAAAAAAAAABnNoYTI1NgAAAFMAAAALc3No\n"
	"LWVkMjU1MTkAAABA7lh6GFSudthBG1F96MYKxADr7pMESpRCbcCFKD7TUeURmGo7jphIge\n"
	"UowovRQ7kciT0vvxDAdH6sd1+Q4/hODA==\n"
	"-----END SSH SIGNATURE-----\n";

static void kat_keypair(unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                        unsigned char sk[SANCTUM_ED25519_SECRET_KEY_SIZE])
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	size_t len = 0;

	assert_int_equal(sodium_hex2bin(seed, sizeof(seed), KAT_SEED, strlen(KAT_SEED), NULL,
	                                &len, NULL), 0);
	assert_int_equal(len, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	sodium_memzero(seed, sizeof(seed));
}

static int verify_text(unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE], const char *text,
                       size_t text_len, const char *ns, const void *message, size_t len)
{
	return sanctum_sshsig_verify(signer, text, text_len, ns, message, len);
}

static int verify_kat(const char *text, size_t text_len)
{
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

	return verify_text(signer, text, text_len, NS, KAT_MESSAGE, strlen(KAT_MESSAGE));
}

/* The blob inside an armored signature, decoded by the test's own simple reader. */
static size_t decode_armor(unsigned char *blob, size_t cap, const char *text)
{
	char b64[SANCTUM_SSHSIG_MAX_ARMORED];
	const char *p = text + strlen(BEGIN "\n"), *end = strstr(text, END);
	size_t n = 0, len = 0;

	assert_non_null(end);
	for (; p < end; p++)
		if (*p != '\n')
			b64[n++] = *p;
	assert_int_equal(sodium_base642bin(blob, cap, b64, n, NULL, &len, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL), 0);
	return len;
}

/* Armors a blob with lines of `columns` characters, each ended by `eol`. */
static void armor_blob(sanctum_buf *out, const unsigned char *blob, size_t len, size_t columns,
                       const char *eol)
{
	char b64[SANCTUM_SSHSIG_MAX_ARMORED * 2];
	size_t n;

	sodium_bin2base64(b64, sizeof(b64), blob, len, sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	sanctum_buf_clear(out);
	assert_int_equal(sanctum_buf_puts(out, BEGIN), 0);
	assert_int_equal(sanctum_buf_puts(out, eol), 0);
	for (size_t i = 0; i < n; i += columns) {
		size_t take = n - i < columns ? n - i : columns;

		assert_int_equal(sanctum_buf_put(out, b64 + i, take), 0);
		assert_int_equal(sanctum_buf_puts(out, eol), 0);
	}
	assert_int_equal(sanctum_buf_puts(out, END), 0);
	assert_int_equal(sanctum_buf_puts(out, eol), 0);
}

static int verify_blob(const unsigned char *blob, size_t len)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	int error;

	armor_blob(&text, blob, len, 70, "\n");
	error = verify_kat((const char *)text.ptr, text.size);
	sanctum_buf_dispose(&text);
	return error;
}

static void assert_message_has(const char *needle)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, needle))
		fail_msg("error message '%s' does not mention '%s'", message, needle);
}

static void test_sshsig__key_sizes_match_libsodium(void **state)
{
	(void)state;
	assert_int_equal(SANCTUM_ED25519_PUBLIC_KEY_SIZE, crypto_sign_PUBLICKEYBYTES);
	assert_int_equal(SANCTUM_ED25519_SECRET_KEY_SIZE, crypto_sign_SECRETKEYBYTES);
}

static void test_sshsig__round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 1000, 70000 };
	static unsigned char message[70000];
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

	(void)state;
	randombytes_buf(message, sizeof(message));
	crypto_sign_keypair(pk, sk);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sanctum_buf sig = SANCTUM_BUF_INIT;
		const char *text;

		assert_int_equal(sanctum_sshsig_sign(&sig, sk, NS, message, sizes[i]), 0);
		text = (const char *)sig.ptr;
		assert_int_equal(strncmp(text, BEGIN "\n", strlen(BEGIN) + 1), 0);
		assert_string_equal(text + sig.size - strlen(END) - 1, END "\n");
		assert_int_equal(sanctum_sshsig_verify(signer, text, sig.size, NS, message,
		                                       sizes[i]), 0);
		assert_memory_equal(signer, pk, sizeof(pk));
		sanctum_buf_dispose(&sig);
	}
	/* An empty message may come as NULL. */
	{
		sanctum_buf sig = SANCTUM_BUF_INIT;

		assert_int_equal(sanctum_sshsig_sign(&sig, sk, NS, NULL, 0), 0);
		assert_int_equal(sanctum_sshsig_verify(signer, (const char *)sig.ptr, sig.size, NS,
		                                       "", 0), 0);
		sanctum_buf_dispose(&sig);
	}
	sodium_memzero(sk, sizeof(sk));
}

static void test_sshsig__output_replaces_buffer_and_wraps_at_70(void **state)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	sanctum_buf sig = SANCTUM_BUF_INIT;
	const char *line;

	(void)state;
	crypto_sign_keypair(pk, sk);
	assert_int_equal(sanctum_buf_puts(&sig, "old contents"), 0);
	assert_int_equal(sanctum_sshsig_sign(&sig, sk, "git", "x", 1), 0);
	assert_int_equal(strncmp((char *)sig.ptr, BEGIN, strlen(BEGIN)), 0);
	for (line = (const char *)sig.ptr; *line; line = strchr(line, '\n') + 1)
		assert_true(strcspn(line, "\n") <= 70);
	sanctum_buf_dispose(&sig);
	sodium_memzero(sk, sizeof(sk));
}

static void test_sshsig__signer_key_is_returned(void **state)
{
	unsigned char pk[2][SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	unsigned char sk[2][SANCTUM_ED25519_SECRET_KEY_SIZE];
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

	(void)state;
	for (int k = 0; k < 2; k++) {
		sanctum_buf sig = SANCTUM_BUF_INIT;

		crypto_sign_keypair(pk[k], sk[k]);
		assert_int_equal(sanctum_sshsig_sign(&sig, sk[k], NS, "doc", 3), 0);
		memset(signer, 0xaa, sizeof(signer));
		assert_int_equal(sanctum_sshsig_verify(signer, (char *)sig.ptr, sig.size, NS, "doc",
		                                       3), 0);
		assert_memory_equal(signer, pk[k], sizeof(signer));
		sanctum_buf_dispose(&sig);
	}
	assert_memory_not_equal(pk[0], pk[1], sizeof(pk[0]));
	sodium_memzero(sk, sizeof(sk));
}

static void test_sshsig__wrong_namespace_is_refused(void **state)
{
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

	(void)state;
	memset(signer, 0xaa, sizeof(signer));
	assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), "git",
	                             KAT_MESSAGE, strlen(KAT_MESSAGE)), SANCTUM_EVERIFY);
	assert_message_has("'sanctum-doc'");
	assert_message_has("'git'");
	/* A refused signature names no signer. */
	assert_true(sodium_is_zero(signer, sizeof(signer)));
	/* A prefix or an extension of the namespace is another namespace. */
	assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), "sanctum",
	                             KAT_MESSAGE, strlen(KAT_MESSAGE)), SANCTUM_EVERIFY);
	assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), NS "x",
	                             KAT_MESSAGE, strlen(KAT_MESSAGE)), SANCTUM_EVERIFY);
}

static void test_sshsig__flipped_message_byte_is_refused(void **state)
{
	char message[sizeof(KAT_MESSAGE)];
	size_t len = strlen(KAT_MESSAGE);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

			memcpy(message, KAT_MESSAGE, sizeof(message));
			message[i] = (char)(message[i] ^ (1 << bit));
			assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512),
			                             NS, message, len), SANCTUM_EVERIFY);
		}
	}
	/* A shorter or longer message too. */
	assert_int_equal(verify_kat(KAT_SIG_SHA512, strlen(KAT_SIG_SHA512)), 0);
	{
		unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

		assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), NS,
		                             KAT_MESSAGE, len - 1), SANCTUM_EVERIFY);
		assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), NS,
		                             KAT_MESSAGE, len + 1), SANCTUM_EVERIFY);
	}
}

static void test_sshsig__every_blob_corruption_is_refused(void **state)
{
	static const unsigned char changes[] = { 0x01, 0x80, 0xff };
	unsigned char blob[SANCTUM_SSHSIG_MAX_ARMORED];
	size_t len = decode_armor(blob, sizeof(blob), KAT_SIG_SHA512);

	(void)state;
	/* The test's own armor of the untouched blob verifies, so every refusal below is
	 * caused by the changed byte. */
	assert_int_equal(verify_blob(blob, len), 0);
	for (size_t pos = 0; pos < len; pos++) {
		for (size_t c = 0; c < sizeof(changes); c++) {
			int error;

			blob[pos] ^= changes[c];
			error = verify_blob(blob, len);
			if (error != SANCTUM_EINVALID && error != SANCTUM_EVERIFY)
				fail_msg("byte %zu ^ 0x%02x: got %d", pos, changes[c], error);
			blob[pos] ^= changes[c];
		}
	}
	/* Cut short anywhere, or with a byte added at the end. */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(verify_blob(blob, cut), SANCTUM_EINVALID);
	blob[len] = 0;
	assert_int_equal(verify_blob(blob, len + 1), SANCTUM_EINVALID);
	assert_message_has("bytes follow");
}

static void test_sshsig__truncated_armor_is_refused(void **state)
{
	size_t len = strlen(KAT_SIG_SHA512);

	(void)state;
	/* Every cut before the final newline loses part of the end line or more. */
	for (size_t cut = 0; cut < len - 1; cut++)
		assert_int_equal(verify_kat(KAT_SIG_SHA512, cut), SANCTUM_EINVALID);
	/* The final newline itself is optional. */
	assert_int_equal(verify_kat(KAT_SIG_SHA512, len - 1), 0);
	assert_int_equal(verify_kat(KAT_SIG_SHA512, len), 0);
}

static void test_sshsig__garbage_is_refused(void **state)
{
	static const char *const texts[] = {
		"",
		"\n\n",
		"hello",
		BEGIN "\n",
		BEGIN "\n" END "\n",
		BEGIN "\n\n" END "\n",
		BEGIN "\nAAAA\n" END "\n",
		BEGIN "\nU1NIU0lH\n" END "\n",
		BEGIN "\nU1NIU0lHAAAAAQ==\n" END "\n",
		BEGIN "\nU1NIU0lHAAAAAQ=\n" END "\n",
		BEGIN "\nU1NIU0l$\n" END "\n",
		"-----BEGIN SSH SIGNATURE----- \nU1NIU0lH\n" END "\n",
		"-----BEGIN AGE ENCRYPTED FILE-----\nU1NIU0lH\n-----END AGE ENCRYPTED FILE-----\n",
	};
	unsigned char noise[600];
	sanctum_buf text = SANCTUM_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(verify_kat(texts[i], strlen(texts[i])), SANCTUM_EINVALID);
	for (int round = 0; round < 200; round++) {
		randombytes_buf(noise, sizeof(noise));
		assert_int_equal(verify_kat((const char *)noise, sizeof(noise)), SANCTUM_EINVALID);
		/* The same noise as a well-armored blob. */
		armor_blob(&text, noise, sizeof(noise), 70, "\n");
		assert_int_equal(verify_kat((const char *)text.ptr, text.size), SANCTUM_EINVALID);
	}
	/* Text after the end line. */
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_puts(&text, KAT_SIG_SHA512), 0);
	assert_int_equal(sanctum_buf_puts(&text, "x\n"), 0);
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), SANCTUM_EINVALID);
	sanctum_buf_dispose(&text);
}

static void test_sshsig__oversized_input_is_refused(void **state)
{
	sanctum_buf text = SANCTUM_BUF_INIT;

	(void)state;
	/* A valid signature padded with whitespace up to the limit verifies; a byte more
	 * is refused before anything is parsed. */
	assert_int_equal(sanctum_buf_puts(&text, KAT_SIG_SHA512), 0);
	while (text.size < SANCTUM_SSHSIG_MAX_ARMORED)
		assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), SANCTUM_EINVALID);
	assert_message_has("4096");
	sanctum_buf_dispose(&text);
}

static void test_sshsig__line_lengths_and_line_ends(void **state)
{
	unsigned char blob[SANCTUM_SSHSIG_MAX_ARMORED];
	size_t len = decode_armor(blob, sizeof(blob), KAT_SIG_SHA512);
	sanctum_buf text = SANCTUM_BUF_INIT;
	static const size_t ok_columns[] = { 4, 64, 70, 76 };

	(void)state;
	for (size_t i = 0; i < sizeof(ok_columns) / sizeof(ok_columns[0]); i++) {
		armor_blob(&text, blob, len, ok_columns[i], "\n");
		assert_int_equal(verify_kat((const char *)text.ptr, text.size), 0);
		armor_blob(&text, blob, len, ok_columns[i], "\r\n");
		assert_int_equal(verify_kat((const char *)text.ptr, text.size), 0);
	}
	armor_blob(&text, blob, len, 77, "\n");
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), SANCTUM_EINVALID);
	assert_message_has("76 columns");
	/* Whitespace around the armor is allowed, inside a line it is not. */
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_puts(&text, "\n \t\r\n"), 0);
	assert_int_equal(sanctum_buf_puts(&text, KAT_SIG_SHA512), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\r\n \n"), 0);
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), 0);
	text.ptr[strlen("\n \t\r\n") + strlen(BEGIN) + 5] = ' ';
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), SANCTUM_EINVALID);
	sanctum_buf_dispose(&text);
}

/* Replaces each '/' of `text` by `byte` in turn; every such copy must be refused. */
static void high_bytes_for_slash(const char *text, unsigned char byte, int is_key)
{
	char copy[SANCTUM_SSHSIG_MAX_ARMORED];
	size_t len = strlen(text);
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	int seen = 0;

	assert_true(len < sizeof(copy));
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '/')
			continue;
		memcpy(copy, text, len + 1);
		copy[i] = (char)byte;
		seen = 1;
		if (is_key)
			assert_int_equal(sanctum_ssh_public_key_parse(pk, copy, len), SANCTUM_EKEY);
		else
			assert_int_equal(verify_kat(copy, len), SANCTUM_EINVALID);
	}
	assert_true(seen);
}

static void test_sshsig__non_ascii_base64_is_refused(void **state)
{
	(void)state;
	/* libsodium 1.0.18 decodes any byte from 0x80 up as '/'; such spellings are refused. */
	for (unsigned b = 0x80; b <= 0xff; b += 0x7f) {
		high_bytes_for_slash(KAT_SIG_SHA512, (unsigned char)b, 0);
		high_bytes_for_slash(KAT_PUBLIC_LINE, (unsigned char)b, 1);
	}
}

static void test_sshsig__crlf_armor_is_accepted(void **state)
{
	sanctum_buf text = SANCTUM_BUF_INIT;

	(void)state;
	for (const char *p = KAT_SIG_SHA512; *p; p++) {
		if (*p == '\n')
			assert_int_equal(sanctum_buf_puts(&text, "\r"), 0);
		assert_int_equal(sanctum_buf_put(&text, p, 1), 0);
	}
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), 0);
	/* A lone CR is not a line end. */
	text.ptr[strlen(BEGIN) + 1] = 'A';
	assert_int_equal(verify_kat((const char *)text.ptr, text.size), SANCTUM_EINVALID);
	sanctum_buf_dispose(&text);
}

static void test_sshsig__ssh_keygen_signatures_verify(void **state)
{
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE], pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE];

	(void)state;
	assert_int_equal(sanctum_ssh_public_key_parse(pk, KAT_PUBLIC_LINE, strlen(KAT_PUBLIC_LINE)),
	                 0);
	assert_int_equal(verify_text(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), NS,
	                             KAT_MESSAGE, strlen(KAT_MESSAGE)), 0);
	assert_memory_equal(signer, pk, sizeof(pk));
	memset(signer, 0, sizeof(signer));
	assert_int_equal(verify_text(signer, KAT_SIG_SHA256, strlen(KAT_SIG_SHA256), NS,
	                             KAT_MESSAGE, strlen(KAT_MESSAGE)), 0);
	assert_memory_equal(signer, pk, sizeof(pk));
}

static void test_sshsig__signing_matches_ssh_keygen_byte_for_byte(void **state)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	sanctum_buf sig = SANCTUM_BUF_INIT, line = SANCTUM_BUF_INIT;

	(void)state;
	kat_keypair(pk, sk);
	assert_int_equal(sanctum_ssh_public_key_encode(&line, pk, "sanctum-test-key"), 0);
	assert_string_equal((char *)line.ptr, KAT_PUBLIC_LINE);
	/* Ed25519 is deterministic, and we armor as ssh-keygen does. */
	assert_int_equal(sanctum_sshsig_sign(&sig, sk, NS, KAT_MESSAGE, strlen(KAT_MESSAGE)), 0);
	assert_int_equal(sig.size, strlen(KAT_SIG_SHA512));
	assert_string_equal((char *)sig.ptr, KAT_SIG_SHA512);
	sanctum_buf_dispose(&sig);
	sanctum_buf_dispose(&line);
	sodium_memzero(sk, sizeof(sk));
}

/* Builds a signature blob field by field, for the refusals a corrupted byte cannot reach. */
static void build_blob(sanctum_buf *out, uint32_t version, const char *key_type,
                       const char *reserved, const char *hash_alg, const char *sig_type,
                       const char *trailing)
{
	unsigned char blob[SANCTUM_SSHSIG_MAX_ARMORED];
	size_t len = decode_armor(blob, sizeof(blob), KAT_SIG_SHA512);
	ssh_span r = { blob, len }, magic, key, ns, res, hash, sig, kt, kv, st, sv;
	sanctum_buf inner = SANCTUM_BUF_INIT;
	uint32_t v;

	assert_int_equal(sanctum_sshbuf__get_bytes(&r, &magic, 6), 0);
	assert_int_equal(sanctum_sshbuf__get_u32(&r, &v), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&r, &key), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&r, &ns), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&r, &res), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&r, &hash), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&r, &sig), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&key, &kt), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&key, &kv), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&sig, &st), 0);
	assert_int_equal(sanctum_sshbuf__get_string(&sig, &sv), 0);

	sanctum_buf_clear(out);
	assert_int_equal(sanctum_buf_put(out, "SSHSIG", 6), 0);
	assert_int_equal(sanctum_sshbuf__put_u32(out, version), 0);
	assert_int_equal(sanctum_sshbuf__put_cstring(&inner, key_type), 0);
	assert_int_equal(sanctum_sshbuf__put_string(&inner, kv.ptr, kv.len), 0);
	assert_int_equal(sanctum_sshbuf__put_string(out, inner.ptr, inner.size), 0);
	assert_int_equal(sanctum_sshbuf__put_string(out, ns.ptr, ns.len), 0);
	assert_int_equal(sanctum_sshbuf__put_cstring(out, reserved), 0);
	assert_int_equal(sanctum_sshbuf__put_cstring(out, hash_alg), 0);
	sanctum_buf_clear(&inner);
	assert_int_equal(sanctum_sshbuf__put_cstring(&inner, sig_type), 0);
	assert_int_equal(sanctum_sshbuf__put_string(&inner, sv.ptr, sv.len), 0);
	assert_int_equal(sanctum_sshbuf__put_string(out, inner.ptr, inner.size), 0);
	assert_int_equal(sanctum_buf_puts(out, trailing), 0);
	sanctum_buf_dispose(&inner);
}

static int verify_built(uint32_t version, const char *key_type, const char *reserved,
                        const char *hash_alg, const char *sig_type, const char *trailing)
{
	sanctum_buf blob = SANCTUM_BUF_INIT;
	int error;

	build_blob(&blob, version, key_type, reserved, hash_alg, sig_type, trailing);
	error = verify_blob(blob.ptr, blob.size);
	sanctum_buf_dispose(&blob);
	return error;
}

static void test_sshsig__unsupported_fields_are_refused(void **state)
{
	(void)state;
	/* The builder reproduces the known answer, so each refusal below is the field's. */
	assert_int_equal(verify_built(1, "ssh-ed25519", "", "sha512", "ssh-ed25519", ""), 0);
	assert_int_equal(verify_built(2, "ssh-ed25519", "", "sha512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("version 2");
	assert_int_equal(verify_built(0, "ssh-ed25519", "", "sha512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_int_equal(verify_built(1, "ssh-rsa", "", "sha512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("'ssh-rsa'");
	assert_int_equal(verify_built(1, "ecdsa-sha2-nistp256", "", "sha512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("'ecdsa-sha2-nistp256'");
	assert_int_equal(verify_built(1, "sk-ssh-ed25519@openssh.com", "", "sha512", "ssh-ed25519",
	                              ""), SANCTUM_EINVALID);
	assert_message_has("'sk-ssh-ed25519@openssh.com'");
	assert_int_equal(verify_built(1, "ssh-ed25519", "", "sha384", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("'sha384'");
	assert_int_equal(verify_built(1, "ssh-ed25519", "", "SHA512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_int_equal(verify_built(1, "ssh-ed25519", "", "sha512", "rsa-sha2-512", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("'rsa-sha2-512'");
	assert_int_equal(verify_built(1, "ssh-ed25519", "x", "sha512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("reserved");
	assert_int_equal(verify_built(1, "ssh-ed25519", "", "sha512", "ssh-ed25519", "\x01"),
	                 SANCTUM_EINVALID);
	/* A hostile type name cannot put control characters into the message. */
	assert_int_equal(verify_built(1, "ssh-\x1b[31mrsa\n", "", "sha512", "ssh-ed25519", ""),
	                 SANCTUM_EINVALID);
	assert_message_has("'ssh-?[31mrsa?'");
}

static void test_sshsig__sign_refuses_misuse(void **state)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	unsigned char other[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk2[SANCTUM_ED25519_SECRET_KEY_SIZE];
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_buf sig = SANCTUM_BUF_INIT;

	(void)state;
	crypto_sign_keypair(pk, sk);
	assert_int_equal(sanctum_sshsig_sign(&sig, sk, "", "x", 1), SANCTUM_EINVALID);
	assert_int_equal(sanctum_sshsig_sign(&sig, sk, NULL, "x", 1), SANCTUM_EINVALID);
	assert_int_equal(sanctum_sshsig_verify(signer, KAT_SIG_SHA512, strlen(KAT_SIG_SHA512), "",
	                                       KAT_MESSAGE, strlen(KAT_MESSAGE)), SANCTUM_EINVALID);
	/* A secret key whose public half belongs to another seed signs nothing. */
	crypto_sign_keypair(other, sk2);
	memcpy(sk2 + 32, pk, 32);
	assert_int_equal(sanctum_sshsig_sign(&sig, sk2, NS, "x", 1), SANCTUM_EINVALID);
	assert_int_equal(sig.size, 0);
	sanctum_buf_dispose(&sig);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

static void test_sshsig__public_key_line_round_trip(void **state)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	unsigned char back[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_buf line = SANCTUM_BUF_INIT;
	char padded[256];

	(void)state;
	crypto_sign_keypair(pk, sk);
	assert_int_equal(sanctum_ssh_public_key_encode(&line, pk, NULL), 0);
	assert_int_equal(strncmp((char *)line.ptr, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37), 0);
	assert_null(strchr((char *)line.ptr + 12, ' '));
	assert_int_equal(sanctum_ssh_public_key_parse(back, (char *)line.ptr, line.size), 0);
	assert_memory_equal(back, pk, sizeof(pk));

	assert_int_equal(sanctum_ssh_public_key_encode(&line, pk, ""), 0);
	assert_null(strchr((char *)line.ptr + 12, ' '));
	assert_int_equal(sanctum_ssh_public_key_encode(&line, pk, "alice@city hall"), 0);
	assert_int_equal(sanctum_ssh_public_key_parse(back, (char *)line.ptr, line.size), 0);
	assert_memory_equal(back, pk, sizeof(pk));

	/* Surrounding whitespace, tabs between fields and a line end are fine. */
	snprintf(padded, sizeof(padded), "  \t%.11s\t \t%s\r\n", (char *)line.ptr,
	         (char *)line.ptr + 12);
	memset(back, 0, sizeof(back));
	assert_int_equal(sanctum_ssh_public_key_parse(back, padded, strlen(padded)), 0);
	assert_memory_equal(back, pk, sizeof(pk));

	assert_int_equal(sanctum_ssh_public_key_encode(&line, pk, "two\nlines"), SANCTUM_EINVALID);
	sanctum_buf_dispose(&line);
	sodium_memzero(sk, sizeof(sk));
}

/* "ssh-ed25519 " and the base64 of a blob made of string(type) string(key) and `extra`. */
static void key_line(char *out, size_t cap, const char *line_type, const char *blob_type,
                     size_t key_len, size_t extra)
{
	unsigned char key[64] = { 0 };
	char b64[256];
	sanctum_buf blob = SANCTUM_BUF_INIT;

	assert_int_equal(sanctum_sshbuf__put_cstring(&blob, blob_type), 0);
	assert_int_equal(sanctum_sshbuf__put_string(&blob, key, key_len), 0);
	assert_int_equal(sanctum_buf_put(&blob, key, extra), 0);
	sodium_bin2base64(b64, sizeof(b64), blob.ptr, blob.size, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, cap, "%s %s comment", line_type, b64);
	sanctum_buf_dispose(&blob);
}

static int parse_line(const char *line)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	int error;

	memset(pk, 0xaa, sizeof(pk));
	error = sanctum_ssh_public_key_parse(pk, line, strlen(line));
	if (error < 0)
		assert_true(sodium_is_zero(pk, sizeof(pk)));
	return error;
}

static void test_sshsig__public_key_line_refusals(void **state)
{
	static const char *const bad[] = {
		"",
		"   \n",
		"ssh-ed25519",
		"ssh-ed25519 ",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1w=",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1*",
		"ssh-ed25519 !!!!",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1w\n"
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1w",
		"SSH-ED25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1w",
	};
	char line[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_line(bad[i]), SANCTUM_EKEY);

	assert_int_equal(parse_line("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host"),
	                 SANCTUM_EKEY);
	assert_message_has("'ssh-rsa'");
	key_line(line, sizeof(line), "ssh-ed25519", "ssh-ed25519", 32, 0);
	assert_int_equal(parse_line(line), 0);
	/* The line and its blob must agree on the type. */
	key_line(line, sizeof(line), "ssh-ed25519", "ssh-rsa", 32, 0);
	assert_int_equal(parse_line(line), SANCTUM_EKEY);
	assert_message_has("'ssh-rsa'");
	key_line(line, sizeof(line), "ssh-rsa", "ssh-ed25519", 32, 0);
	assert_int_equal(parse_line(line), SANCTUM_EKEY);
	/* A key of the wrong size, or bytes after it. */
	key_line(line, sizeof(line), "ssh-ed25519", "ssh-ed25519", 31, 0);
	assert_int_equal(parse_line(line), SANCTUM_EKEY);
	key_line(line, sizeof(line), "ssh-ed25519", "ssh-ed25519", 33, 0);
	assert_int_equal(parse_line(line), SANCTUM_EKEY);
	key_line(line, sizeof(line), "ssh-ed25519", "ssh-ed25519", 32, 1);
	assert_int_equal(parse_line(line), SANCTUM_EKEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshsig__key_sizes_match_libsodium),
		cmocka_unit_test(test_sshsig__round_trip),
		cmocka_unit_test(test_sshsig__output_replaces_buffer_and_wraps_at_70),
		cmocka_unit_test(test_sshsig__signer_key_is_returned),
		cmocka_unit_test(test_sshsig__wrong_namespace_is_refused),
		cmocka_unit_test(test_sshsig__flipped_message_byte_is_refused),
		cmocka_unit_test(test_sshsig__every_blob_corruption_is_refused),
		cmocka_unit_test(test_sshsig__truncated_armor_is_refused),
		cmocka_unit_test(test_sshsig__garbage_is_refused),
		cmocka_unit_test(test_sshsig__oversized_input_is_refused),
		cmocka_unit_test(test_sshsig__line_lengths_and_line_ends),
		cmocka_unit_test(test_sshsig__non_ascii_base64_is_refused),
		cmocka_unit_test(test_sshsig__crlf_armor_is_accepted),
		cmocka_unit_test(test_sshsig__ssh_keygen_signatures_verify),
		cmocka_unit_test(test_sshsig__signing_matches_ssh_keygen_byte_for_byte),
		cmocka_unit_test(test_sshsig__unsupported_fields_are_refused),
		cmocka_unit_test(test_sshsig__sign_refuses_misuse),
		cmocka_unit_test(test_sshsig__public_key_line_round_trip),
		cmocka_unit_test(test_sshsig__public_key_line_refusals),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * age recipients and identities: X25519 and scrypt keys, their Bech32 encodings, and the
 * wrapping and unwrapping of a file key in a recipient stanza.
 */
#include "age_internal.h"
#include "bech32.h"
#include "errors_internal.h"
#include "hkdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

size_t sanctum_age_chunk_size(void) { return SANCTUM_AGE_CHUNK_SIZE; }
size_t sanctum_age_tag_size(void) { return SANCTUM_AGE_TAG_SIZE; }
size_t sanctum_age_file_key_size(void) { return SANCTUM_AGE_FILE_KEY_SIZE; }

/* Copies a passphrase into guarded, locked memory. */
static int copy_passphrase(char **out, const char *passphrase, size_t len)
{
	if (!passphrase || len == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the passphrase is empty");
	*out = sodium_malloc(len + 1);
	if (!*out)
		return sanctum_error__nomem();
	memcpy(*out, passphrase, len);
	(*out)[len] = '\0';
	return 0;
}

static int check_work_factor(int work_factor)
{
	if (work_factor < 1 || work_factor > 30)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "scrypt work factor %d is out of range (1 to 30)",
		                          work_factor);
	return 0;
}

/* ---- recipients ---- */

int sanctum_age_recipient_from_x25519(sanctum_age_recipient **out,
                                      const unsigned char public_key[SANCTUM_AGE_X25519_KEY_SIZE])
{
	sanctum_age_recipient *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return sanctum_error__nomem();
	r->type = AGE_KEY_X25519;
	memcpy(r->public_key, public_key, SANCTUM_AGE_X25519_KEY_SIZE);
	*out = r;
	return 0;
}

int sanctum_age_recipient_parse(sanctum_age_recipient **out, const char *str, size_t len)
{
	char hrp[SANCTUM_BECH32_MAX_HRP + 1];
	unsigned char key[SANCTUM_AGE_X25519_KEY_SIZE + 1];
	size_t key_len = 0;

	*out = NULL;
	if (sanctum_bech32__decode(hrp, key, sizeof(key), &key_len, str, len) < 0)
		return sanctum_error__wrap(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID,
		                           "invalid recipient '%.*s'", (int)(len > 80 ? 80 : len), str);
	if (strcmp(hrp, AGE_RECIPIENT_HRP) != 0 || key_len != SANCTUM_AGE_X25519_KEY_SIZE)
		return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID,
		                          "invalid recipient '%.*s': not an X25519 age recipient "
		                          "(expected lowercase 'age1...')",
		                          (int)(len > 80 ? 80 : len), str);
	return sanctum_age_recipient_from_x25519(out, key);
}

int sanctum_age_recipient_from_passphrase(sanctum_age_recipient **out, const char *passphrase,
                                          size_t len, int work_factor)
{
	sanctum_age_recipient *r;

	*out = NULL;
	if (work_factor == 0)
		work_factor = SANCTUM_AGE_DEFAULT_WORK_FACTOR;
	if (check_work_factor(work_factor) < 0)
		return SANCTUM_EINVALID;
	if (!(r = calloc(1, sizeof(*r))))
		return sanctum_error__nomem();
	r->type = AGE_KEY_SCRYPT;
	r->work_factor = work_factor;
	if (copy_passphrase(&r->passphrase, passphrase, len) < 0) {
		free(r);
		return sanctum_error_last()->code;
	}
	r->passphrase_len = len;
	*out = r;
	return 0;
}

int sanctum_age_recipient_encode(sanctum_buf *out, const sanctum_age_recipient *recipient)
{
	if (recipient->type != AGE_KEY_X25519)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a passphrase recipient has no text form");
	return sanctum_bech32__encode(out, AGE_RECIPIENT_HRP, recipient->public_key,
	                              sizeof(recipient->public_key), 0);
}

int sanctum_age_recipient_x25519_key(unsigned char out[SANCTUM_AGE_X25519_KEY_SIZE],
                                     const sanctum_age_recipient *recipient)
{
	if (recipient->type != AGE_KEY_X25519)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a passphrase recipient has no public key");
	memcpy(out, recipient->public_key, SANCTUM_AGE_X25519_KEY_SIZE);
	return 0;
}

void sanctum_age_recipient_free(sanctum_age_recipient *recipient)
{
	if (!recipient)
		return;
	sodium_free(recipient->passphrase);
	sodium_memzero(recipient, sizeof(*recipient));
	free(recipient);
}

/* ---- identities ---- */

static sanctum_age_identity *identity_alloc(age_key_type type)
{
	sanctum_age_identity *id = calloc(1, sizeof(*id));

	if (!id)
		return NULL;
	id->type = type;
	if (type == AGE_KEY_X25519) {
		id->secret_key = sodium_malloc(SANCTUM_AGE_X25519_KEY_SIZE);
		if (!id->secret_key) {
			free(id);
			return NULL;
		}
	}
	return id;
}

int sanctum_age_identity_from_x25519(sanctum_age_identity **out,
                                     const unsigned char secret_key[SANCTUM_AGE_X25519_KEY_SIZE])
{
	sanctum_age_identity *id = identity_alloc(AGE_KEY_X25519);

	*out = NULL;
	if (!id)
		return sanctum_error__nomem();
	memcpy(id->secret_key, secret_key, SANCTUM_AGE_X25519_KEY_SIZE);
	if (crypto_scalarmult_base(id->public_key, id->secret_key) != 0) {
		sanctum_age_identity_free(id);
		return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_CRYPTO,
		                          "invalid X25519 secret key");
	}
	*out = id;
	return 0;
}

int sanctum_age_identity_generate(sanctum_age_identity **out)
{
	unsigned char secret[SANCTUM_AGE_X25519_KEY_SIZE];
	int error;

	randombytes_buf(secret, sizeof(secret));
	error = sanctum_age_identity_from_x25519(out, secret);
	sodium_memzero(secret, sizeof(secret));
	return error;
}

int sanctum_age_identity_parse(sanctum_age_identity **out, const char *str, size_t len)
{
	char hrp[SANCTUM_BECH32_MAX_HRP + 1];
	unsigned char key[SANCTUM_AGE_X25519_KEY_SIZE + 1];
	size_t key_len = 0;
	int error;

	*out = NULL;
	/* Never echo a secret key back in a message: it may land in a log. */
	if (sanctum_bech32__decode(hrp, key, sizeof(key), &key_len, str, len) < 0) {
		sodium_memzero(key, sizeof(key));
		return sanctum_error__wrap(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID, "invalid identity");
	}
	if (strcmp(hrp, "AGE-SECRET-KEY-") != 0 || key_len != SANCTUM_AGE_X25519_KEY_SIZE) {
		sodium_memzero(key, sizeof(key));
		return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID,
		                          "invalid identity: not an X25519 age identity "
		                          "(expected uppercase 'AGE-SECRET-KEY-1...')");
	}
	error = sanctum_age_identity_from_x25519(out, key);
	sodium_memzero(key, sizeof(key));
	return error;
}

int sanctum_age_identity_from_passphrase(sanctum_age_identity **out, const char *passphrase,
                                         size_t len, int max_work_factor)
{
	sanctum_age_identity *id;

	*out = NULL;
	if (max_work_factor == 0)
		max_work_factor = SANCTUM_AGE_MAX_WORK_FACTOR;
	if (check_work_factor(max_work_factor) < 0)
		return SANCTUM_EINVALID;
	if (!(id = identity_alloc(AGE_KEY_SCRYPT)))
		return sanctum_error__nomem();
	id->max_work_factor = max_work_factor;
	if (copy_passphrase(&id->passphrase, passphrase, len) < 0) {
		free(id);
		return sanctum_error_last()->code;
	}
	id->passphrase_len = len;
	*out = id;
	return 0;
}

int sanctum_age_identity_encode(sanctum_buf *out, const sanctum_age_identity *identity)
{
	if (identity->type != AGE_KEY_X25519)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a passphrase identity has no text form");
	return sanctum_bech32__encode(out, AGE_IDENTITY_HRP, identity->secret_key,
	                              SANCTUM_AGE_X25519_KEY_SIZE, 1);
}

int sanctum_age_identity_to_recipient(sanctum_age_recipient **out,
                                      const sanctum_age_identity *identity)
{
	*out = NULL;
	if (identity->type != AGE_KEY_X25519)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a passphrase identity has no recipient");
	return sanctum_age_recipient_from_x25519(out, identity->public_key);
}

void sanctum_age_identity_free(sanctum_age_identity *identity)
{
	if (!identity)
		return;
	sodium_free(identity->secret_key);
	sodium_free(identity->passphrase);
	sodium_memzero(identity, sizeof(*identity));
	free(identity);
}

/* ---- stanzas ---- */

static int span_is(const age_span *span, const char *text)
{
	return span->len == strlen(text) && memcmp(span->ptr, text, span->len) == 0;
}

int sanctum_age__stanza_is_scrypt(const age_stanza *stanza)
{
	return span_is(&stanza->type, "scrypt");
}

static int malformed(const char *what)
{
	return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE,
	                          "malformed age header: %s", what);
}

/* A work factor is a decimal number without sign or leading zero. Returns it, or -1. */
static int parse_work_factor(const age_span *arg)
{
	int value = 0;

	if (arg->len == 0 || arg->len > 2 || arg->ptr[0] < '1' || arg->ptr[0] > '9')
		return -1;
	for (size_t i = 0; i < arg->len; i++) {
		if (arg->ptr[i] < '0' || arg->ptr[i] > '9')
			return -1;
		value = value * 10 + (arg->ptr[i] - '0');
	}
	return value <= AGE_MAX_VALID_WORK_FACTOR ? value : -1;
}

int sanctum_age__stanza_validate(const age_stanza *stanza)
{
	unsigned char scratch[SANCTUM_AGE_X25519_KEY_SIZE];

	if (span_is(&stanza->type, "X25519")) {
		if (stanza->nargs != 1 ||
		    sanctum_age__b64_decode(scratch, SANCTUM_AGE_X25519_KEY_SIZE, stanza->args[0].ptr,
		                            stanza->args[0].len) < 0)
			return malformed("an X25519 stanza needs one 32-byte base64 share");
		if (stanza->body_len != AGE_STANZA_BODY_SIZE)
			return malformed("an X25519 stanza body must wrap a 16-byte file key");
	} else if (sanctum_age__stanza_is_scrypt(stanza)) {
		if (stanza->nargs != 2 ||
		    sanctum_age__b64_decode(scratch, AGE_SCRYPT_SALT_SIZE, stanza->args[0].ptr,
		                            stanza->args[0].len) < 0)
			return malformed("an scrypt stanza needs a 16-byte base64 salt and a work factor");
		if (parse_work_factor(&stanza->args[1]) < 0)
			return malformed("the scrypt work factor is not a plain decimal number from 1 to 63");
		if (stanza->body_len != AGE_STANZA_BODY_SIZE)
			return malformed("an scrypt stanza body must wrap a 16-byte file key");
	}
	return 0;
}

/* Seals the file key under `key` as a stanza body. */
static void seal_file_key(unsigned char body[AGE_STANZA_BODY_SIZE], const unsigned char key[32],
                          const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE])
{
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, SANCTUM_AGE_FILE_KEY_SIZE,
	                                          NULL, 0, NULL, zero_nonce, key);
}

static int open_file_key(unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                         const unsigned char key[32], const unsigned char *body)
{
	return crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body,
	                                                 AGE_STANZA_BODY_SIZE, NULL, 0,
	                                                 zero_nonce, key);
}

/* HKDF(shared, ephemeral || recipient, "age-encryption.org/v1/X25519"). */
static void x25519_wrap_key(unsigned char key[32], const unsigned char shared[32],
                            const unsigned char ephemeral[32], const unsigned char recipient[32])
{
	unsigned char salt[64];

	memcpy(salt, ephemeral, 32);
	memcpy(salt + 32, recipient, 32);
	sanctum_hkdf_sha256(key, 32, shared, 32, salt, sizeof(salt), AGE_X25519_INFO);
}

static int wrap_x25519(sanctum_buf *out, const sanctum_age_recipient *r,
                       const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE])
{
	unsigned char eph_secret[32], eph_public[32], shared[32], key[32];
	unsigned char body[AGE_STANZA_BODY_SIZE];
	char share[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	const char *args[1] = { share };
	int error = 0;

	randombytes_buf(eph_secret, sizeof(eph_secret));
	crypto_scalarmult_base(eph_public, eph_secret);
	if (crypto_scalarmult(shared, eph_secret, r->public_key) != 0) {
		error = sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_CRYPTO,
		                           "the recipient is a low-order X25519 point");
		goto done;
	}
	x25519_wrap_key(key, shared, eph_public, r->public_key);
	seal_file_key(body, key, file_key);
	sodium_bin2base64(share, sizeof(share), eph_public, sizeof(eph_public),
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	error = sanctum_age__stanza_encode(out, "X25519", args, 1, body, sizeof(body));
done:
	sodium_memzero(eph_secret, sizeof(eph_secret));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	return error;
}

static int scrypt_key(unsigned char key[32], const char *passphrase, size_t len,
                      const unsigned char salt[AGE_SCRYPT_SALT_SIZE], int work_factor)
{
	unsigned char full_salt[sizeof(AGE_SCRYPT_LABEL) - 1 + AGE_SCRYPT_SALT_SIZE];

	memcpy(full_salt, AGE_SCRYPT_LABEL, sizeof(AGE_SCRYPT_LABEL) - 1);
	memcpy(full_salt + sizeof(AGE_SCRYPT_LABEL) - 1, salt, AGE_SCRYPT_SALT_SIZE);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)passphrase, len, full_salt,
	                                          sizeof(full_salt), (uint64_t)1 << work_factor,
	                                          8, 1, key, 32) != 0)
		return sanctum_error__set(SANCTUM_ENOMEM, SANCTUM_ERRCLASS_NOMEMORY,
		                          "scrypt with work factor %d needs more memory than is "
		                          "available", work_factor);
	return 0;
}

static int wrap_scrypt(sanctum_buf *out, const sanctum_age_recipient *r,
                       const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE])
{
	unsigned char salt[AGE_SCRYPT_SALT_SIZE], key[32], body[AGE_STANZA_BODY_SIZE];
	char salt64[sodium_base64_ENCODED_LEN(AGE_SCRYPT_SALT_SIZE,
	                                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char factor[4];
	const char *args[2] = { salt64, factor };
	int error;

	randombytes_buf(salt, sizeof(salt));
	error = scrypt_key(key, r->passphrase, r->passphrase_len, salt, r->work_factor);
	if (error == 0) {
		seal_file_key(body, key, file_key);
		sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt),
		                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		snprintf(factor, sizeof(factor), "%d", r->work_factor);
		error = sanctum_age__stanza_encode(out, "scrypt", args, 2, body, sizeof(body));
	}
	sodium_memzero(key, sizeof(key));
	return error;
}

int sanctum_age__wrap(sanctum_buf *out, const sanctum_age_recipient *recipient,
                      const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE])
{
	if (recipient->type == AGE_KEY_SCRYPT)
		return wrap_scrypt(out, recipient, file_key);
	return wrap_x25519(out, recipient, file_key);
}

static int unwrap_x25519(unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                         const sanctum_age_identity *id, const age_stanza *stanza)
{
	unsigned char share[32], shared[32], key[32];
	int error = SANCTUM_ENOMATCH;

	if (sanctum_age__b64_decode(share, sizeof(share), stanza->args[0].ptr,
	                            stanza->args[0].len) < 0)
		return malformed("an X25519 stanza needs one 32-byte base64 share");
	/* A low-order share gives an all-zero secret; age treats it as a broken header. */
	if (crypto_scalarmult(shared, id->secret_key, share) != 0 ||
	    sodium_is_zero(shared, sizeof(shared))) {
		sodium_memzero(shared, sizeof(shared));
		return malformed("an X25519 stanza carries a low-order share");
	}
	x25519_wrap_key(key, shared, share, id->public_key);
	if (open_file_key(file_key, key, stanza->body) == 0)
		error = 0;
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	return error;
}

static int unwrap_scrypt(unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                         const sanctum_age_identity *id, const age_stanza *stanza)
{
	unsigned char salt[AGE_SCRYPT_SALT_SIZE], key[32];
	int work_factor = parse_work_factor(&stanza->args[1]);
	int error;

	if (work_factor < 0 ||
	    sanctum_age__b64_decode(salt, sizeof(salt), stanza->args[0].ptr, stanza->args[0].len) < 0)
		return malformed("an scrypt stanza needs a 16-byte base64 salt and a work factor");
	/* Refuse before any work: a hostile file must not make us allocate gigabytes. */
	if (work_factor > id->max_work_factor)
		return sanctum_error__set(SANCTUM_EWORKFACTOR, SANCTUM_ERRCLASS_AGE,
		                          "the file's scrypt work factor %d is above the limit %d",
		                          work_factor, id->max_work_factor);
	error = scrypt_key(key, id->passphrase, id->passphrase_len, salt, work_factor);
	if (error == 0)
		error = open_file_key(file_key, key, stanza->body) == 0 ? 0 : SANCTUM_ENOMATCH;
	sodium_memzero(key, sizeof(key));
	return error;
}

int sanctum_age__unwrap(unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                        const sanctum_age_identity *identity, const age_stanza *stanza)
{
	if (identity->type == AGE_KEY_X25519 && span_is(&stanza->type, "X25519"))
		return unwrap_x25519(file_key, identity, stanza);
	if (identity->type == AGE_KEY_SCRYPT && sanctum_age__stanza_is_scrypt(stanza))
		return unwrap_scrypt(file_key, identity, stanza);
	return SANCTUM_ENOMATCH;
}

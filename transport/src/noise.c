/*
 * Noise_XX_25519_ChaChaPoly_BLAKE2b (Noise Protocol Framework, revision 34). The names of
 * the static functions follow the spec's sections 5.1 to 5.3 so that the code can be read
 * next to it; the few places where the spec leaves a choice say what we chose and why.
 */
#include "noise.h"

#include "errors_internal.h"

#include <sodium.h>
#include <string.h>

/* RFC 2104's B for BLAKE2b: the block the HMAC key is padded to. */
#define BLOCK_LEN 128
#define NONCE_LEN crypto_aead_chacha20poly1305_ietf_NPUBBYTES

enum { CIPHER_NONE = 0, CIPHER_EMPTY, CIPHER_KEYED };
enum { HS_NONE = 0, HS_RUNNING, HS_DONE, HS_SPLIT, HS_FAILED };
enum { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE };

/* The XX message patterns: -> e; <- e, ee, s, es; -> s, se. */
static const uint8_t xx_pattern[3][5] = {
	{ T_E, T_END },
	{ T_E, T_EE, T_S, T_ES, T_END },
	{ T_S, T_SE, T_END },
};

/* libsodium and memcpy want real pointers even for zero lengths; this stands in for NULL. */
static const uint8_t nothing[1];

static int invalid(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID, "noise: %s", what);
}

static int refused(const char *what)
{
	return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO, "noise: %s", what);
}

/* ---- hashing: HASH, HMAC-HASH and HKDF (spec section 4.3) ---- */

/* HASH(a || b). Writing into an input is fine: the output is produced after both are read. */
static void hash2(uint8_t out[NOISE_HASH_LEN], const uint8_t *a, size_t a_len, const uint8_t *b,
                  size_t b_len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, NOISE_HASH_LEN);
	if (a_len)
		crypto_generichash_update(&st, a, a_len);
	if (b_len)
		crypto_generichash_update(&st, b, b_len);
	crypto_generichash_final(&st, out, NOISE_HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

/*
 * HMAC-BLAKE2b(key, a || b) per RFC 2104 with B = 128. libsodium has no HMAC-BLAKE2b, and
 * BLAKE2b's own keyed mode is not what the spec means by HMAC-HASH. Our keys are always
 * HASHLEN (64) bytes, shorter than the block, so they are only zero-padded.
 */
static void hmac(uint8_t out[NOISE_HASH_LEN], const uint8_t key[NOISE_HASH_LEN], const uint8_t *a,
                 size_t a_len, const uint8_t *b, size_t b_len)
{
	uint8_t pad[BLOCK_LEN], inner[NOISE_HASH_LEN];
	crypto_generichash_state st;
	size_t i;

	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < NOISE_HASH_LEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, NOISE_HASH_LEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	if (a_len)
		crypto_generichash_update(&st, a, a_len);
	if (b_len)
		crypto_generichash_update(&st, b, b_len);
	crypto_generichash_final(&st, inner, sizeof(inner));

	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < NOISE_HASH_LEN; i++)
		pad[i] ^= key[i];
	hash2(out, pad, sizeof(pad), inner, sizeof(inner));

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

/*
 * HKDF(chaining_key, input_key_material, 2) of the spec (not RFC 5869's info-based form).
 * out1 may be ck itself: ck is no longer read once temp_key is made.
 */
static void hkdf2(const uint8_t *ck, const uint8_t *ikm, size_t ikm_len,
                  uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN])
{
	uint8_t temp_key[NOISE_HASH_LEN];
	const uint8_t one = 0x01, two = 0x02;

	hmac(temp_key, ck, ikm, ikm_len, NULL, 0);
	hmac(out1, temp_key, &one, 1, NULL, 0);
	hmac(out2, temp_key, out1, NOISE_HASH_LEN, &two, 1);
	sodium_memzero(temp_key, sizeof(temp_key));
}

/* ---- CipherState (spec section 5.1) ---- */

/* InitializeKey(k) with the first 32 bytes of a HASHLEN output, as MixKey and Split say. */
static void initialize_key(noise_cipher *c, const uint8_t *key)
{
	memcpy(c->k, key, NOISE_KEY_LEN);
	c->n = 0;
	c->state = CIPHER_KEYED;
}

/* ChaChaPoly's nonce: 32 bits of zeros, then n as 64 bits little-endian. */
static void nonce_bytes(uint8_t nonce[NONCE_LEN], uint64_t n)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* n = 2^64-1 is reserved by the spec (section 5.1), so it counts as exhausted. */
static int nonce_usable(const noise_cipher *c)
{
	if (c->n == UINT64_MAX)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                          "noise: nonce exhausted, the connection must be renewed");
	return 0;
}

/* EncryptWithAd. Sizes were checked by the caller; without a key the plaintext passes. */
static int encrypt_with_ad(noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
                           size_t len, uint8_t *out)
{
	uint8_t nonce[NONCE_LEN];

	if (c->state != CIPHER_KEYED) {
		if (len)
			memmove(out, in, len);
		return 0;
	}
	if (nonce_usable(c) < 0)
		return SANCTUM_ERROR;
	nonce_bytes(nonce, c->n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, len ? in : nothing, len,
	                                          ad_len ? ad : nothing, ad_len, NULL, nonce, c->k);
	c->n++;
	return 0;
}

/* DecryptWithAd. On failure n stays where it was, as the spec requires. */
static int decrypt_with_ad(noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
                           size_t len, uint8_t *out)
{
	uint8_t nonce[NONCE_LEN];

	if (c->state != CIPHER_KEYED) {
		if (len)
			memmove(out, in, len);
		return 0;
	}
	if (nonce_usable(c) < 0)
		return SANCTUM_ERROR;
	nonce_bytes(nonce, c->n);
	/* libsodium checks the tag in constant time before it decrypts anything. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len,
	                                              ad_len ? ad : nothing, ad_len, nonce,
	                                              c->k) != 0)
		return refused("message failed authentication");
	c->n++;
	return 0;
}

static size_t tag_len(const noise_cipher *c)
{
	return c->state == CIPHER_KEYED ? NOISE_TAG_LEN : 0;
}

/* ---- SymmetricState (spec section 5.2) ---- */

/* The name is shorter than HASHLEN, so h is the name zero-padded, not its hash. */
static void initialize_symmetric(noise_symmetric *ss)
{
	memset(ss->h, 0, sizeof(ss->h));
	memcpy(ss->h, NOISE_PROTOCOL_NAME, sizeof(NOISE_PROTOCOL_NAME) - 1);
	memcpy(ss->ck, ss->h, sizeof(ss->ck));
	sodium_memzero(&ss->cs, sizeof(ss->cs));
	ss->cs.state = CIPHER_EMPTY;
}

static void mix_hash(noise_symmetric *ss, const uint8_t *data, size_t len)
{
	hash2(ss->h, ss->h, sizeof(ss->h), data, len);
}

static void mix_key(noise_symmetric *ss, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[NOISE_HASH_LEN];

	hkdf2(ss->ck, ikm, len, ss->ck, temp_k);
	initialize_key(&ss->cs, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

/* EncryptAndHash: `out` gets len bytes, plus a tag once there is a key. */
static int encrypt_and_hash(noise_symmetric *ss, const uint8_t *in, size_t len, uint8_t *out,
                            size_t *out_len)
{
	size_t n = len + tag_len(&ss->cs);

	if (encrypt_with_ad(&ss->cs, ss->h, sizeof(ss->h), in, len, out) < 0)
		return SANCTUM_ERROR;
	mix_hash(ss, out, n);
	*out_len = n;
	return 0;
}

/* DecryptAndHash: `in` holds len bytes, a tag included once there is a key. */
static int decrypt_and_hash(noise_symmetric *ss, const uint8_t *in, size_t len, uint8_t *out)
{
	int rc = decrypt_with_ad(&ss->cs, ss->h, sizeof(ss->h), in, len, out);

	if (rc < 0)
		return rc;
	mix_hash(ss, in, len);
	return 0;
}

/* ---- HandshakeState (spec section 5.3) for XX ---- */

/* DH(): a low-order peer key yields all zeros, which would make the key public. */
static int dh(uint8_t out[NOISE_KEY_LEN], const uint8_t priv[NOISE_KEY_LEN],
              const uint8_t pub[NOISE_KEY_LEN])
{
	if (crypto_scalarmult(out, priv, pub) != 0 || sodium_is_zero(out, NOISE_KEY_LEN)) {
		sodium_memzero(out, NOISE_KEY_LEN);
		return refused("peer key is a low-order point");
	}
	return 0;
}

/*
 * The ee, es and se tokens. "es" is always the initiator's e with the responder's s, and
 * "se" the initiator's s with the responder's e, so which key is ours depends on the role.
 */
static int mix_dh(noise_handshake *hs, uint8_t token)
{
	const uint8_t *priv, *pub;
	uint8_t shared[NOISE_KEY_LEN];
	int init = hs->initiator;
	int ours_is_e = token == T_EE || (token == T_ES && init) || (token == T_SE && !init);
	int theirs_is_e = token == T_EE || (token == T_ES && !init) || (token == T_SE && init);

	priv = ours_is_e ? hs->e_priv : hs->s_priv;
	pub = theirs_is_e ? hs->re : hs->rs;
	if ((theirs_is_e ? hs->has_re : hs->has_rs) == 0 || (ours_is_e && !hs->has_e))
		return invalid("internal error: a key is missing for a DH token");
	if (dh(shared, priv, pub) < 0)
		return SANCTUM_EVERIFY;
	mix_key(&hs->ss, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

static int make_ephemeral(noise_handshake *hs)
{
	randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                          "noise: cannot derive the ephemeral key");
	hs->has_e = 1;
	return 0;
}

/* The initiator writes messages 0 and 2, the responder message 1. */
static int writes_next(const noise_handshake *hs)
{
	return (hs->msg % 2 == 0) == (hs->initiator != 0);
}

/* A handshake that can take message `msg` in the given direction, or why not. */
static int check_turn(const noise_handshake *hs, int writing)
{
	if (!hs || hs->stage == HS_NONE)
		return invalid("handshake not initialised");
	if (hs->stage == HS_FAILED)
		return sanctum_error__set(hs->error, SANCTUM_ERRCLASS_INVALID,
		                          "noise: the handshake already failed");
	if (hs->stage != HS_RUNNING)
		return invalid("the handshake is already complete");
	if (writes_next(hs) != writing)
		return invalid(writing ? "it is the peer's turn to send a handshake message"
		                       : "it is our turn to send a handshake message");
	return 0;
}

/* The bytes the next message adds around its payload: keys, and tags once keyed. */
static size_t overhead(const noise_handshake *hs)
{
	const uint8_t *tok = xx_pattern[hs->msg];
	int keyed = hs->ss.cs.state == CIPHER_KEYED;
	size_t n = 0;

	for (; *tok != T_END; tok++) {
		if (*tok == T_E)
			n += NOISE_KEY_LEN;
		else if (*tok == T_S)
			n += NOISE_KEY_LEN + (keyed ? NOISE_TAG_LEN : 0);
		else
			keyed = 1;
	}
	return n + (keyed ? NOISE_TAG_LEN : 0);
}

/* Wipes every key after a failure on a peer's message and keeps its code for later calls. */
static int fail(noise_handshake *hs, int code)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->stage = HS_FAILED;
	hs->error = code;
	return code;
}

/* After the last message the private keys are no longer needed; only Split remains. */
static void advance(noise_handshake *hs)
{
	if (++hs->msg < 3)
		return;
	hs->stage = HS_DONE;
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
}

int noise_handshake_init(noise_handshake *hs, int initiator, const uint8_t static_priv[32],
                         const uint8_t *prologue, size_t prologue_len)
{
	if (!hs || !static_priv || (!prologue && prologue_len))
		return invalid("missing argument to noise_handshake_init");
	sodium_memzero(hs, sizeof(*hs));
	initialize_symmetric(&hs->ss);
	mix_hash(&hs->ss, prologue, prologue_len);
	memcpy(hs->s_priv, static_priv, NOISE_KEY_LEN);
	if (crypto_scalarmult_base(hs->s_pub, hs->s_priv) != 0) {
		sodium_memzero(hs, sizeof(*hs));
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                          "noise: cannot derive the static public key");
	}
	hs->initiator = initiator != 0;
	hs->stage = HS_RUNNING;
	return 0;
}

int noise_handshake_set_ephemeral(noise_handshake *hs, const uint8_t priv[32])
{
	/* Our e goes out in message 0 (initiator) or message 1 (responder). */
	if (!hs || hs->stage != HS_RUNNING || !priv || hs->msg > (hs->initiator ? 0 : 1))
		return invalid("the ephemeral key can only be set before it is sent");
	memcpy(hs->e_priv, priv, NOISE_KEY_LEN);
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                          "noise: cannot derive the ephemeral key");
	hs->has_e = 1;
	return 0;
}

static int write_token(noise_handshake *hs, uint8_t token, uint8_t *out, size_t *pos)
{
	size_t n;

	switch (token) {
	case T_E:
		if (!hs->has_e && make_ephemeral(hs) < 0)
			return SANCTUM_ERROR;
		memcpy(out + *pos, hs->e_pub, NOISE_KEY_LEN);
		mix_hash(&hs->ss, hs->e_pub, NOISE_KEY_LEN);
		*pos += NOISE_KEY_LEN;
		return 0;
	case T_S:
		if (encrypt_and_hash(&hs->ss, hs->s_pub, NOISE_KEY_LEN, out + *pos, &n) < 0)
			return SANCTUM_ERROR;
		*pos += n;
		return 0;
	default:
		return mix_dh(hs, token);
	}
}

int noise_handshake_write_message(noise_handshake *hs, uint8_t *out, size_t cap, size_t *out_len,
                                  const uint8_t *payload, size_t payload_len)
{
	const uint8_t *tok;
	size_t pos = 0, n, need;
	int rc = check_turn(hs, 1);

	if (rc < 0)
		return rc;
	if (!out || !out_len || (!payload && payload_len))
		return invalid("missing argument to noise_handshake_write_message");
	need = overhead(hs);
	if (payload_len > NOISE_MAX_MESSAGE - need)
		return invalid("handshake payload too long for a Noise message");
	if (cap < need + payload_len)
		return invalid("output buffer too small for the handshake message");

	for (tok = xx_pattern[hs->msg]; *tok != T_END; tok++)
		if ((rc = write_token(hs, *tok, out, &pos)) < 0)
			return fail(hs, rc);
	rc = encrypt_and_hash(&hs->ss, payload_len ? payload : nothing, payload_len, out + pos, &n);
	if (rc < 0)
		return fail(hs, rc);
	*out_len = pos + n;
	advance(hs);
	return 0;
}

static int read_token(noise_handshake *hs, uint8_t token, const uint8_t *msg, size_t *pos)
{
	size_t n;

	switch (token) {
	case T_E:
		memcpy(hs->re, msg + *pos, NOISE_KEY_LEN);
		hs->has_re = 1;
		mix_hash(&hs->ss, hs->re, NOISE_KEY_LEN);
		*pos += NOISE_KEY_LEN;
		return 0;
	case T_S:
		n = NOISE_KEY_LEN + tag_len(&hs->ss.cs);
		if (decrypt_and_hash(&hs->ss, msg + *pos, n, hs->rs) < 0)
			return SANCTUM_EVERIFY;
		hs->has_rs = 1;
		*pos += n;
		return 0;
	default:
		return mix_dh(hs, token);
	}
}

int noise_handshake_read_message(noise_handshake *hs, const uint8_t *msg, size_t len,
                                 uint8_t *payload, size_t cap, size_t *payload_len)
{
	const uint8_t *tok;
	size_t pos = 0, need, plain_len;
	int rc = check_turn(hs, 0);

	if (rc < 0)
		return rc;
	if ((!msg && len) || (!payload && cap) || !payload_len)
		return invalid("missing argument to noise_handshake_read_message");
	need = overhead(hs);
	if (len < need || len > NOISE_MAX_MESSAGE)
		return fail(hs, invalid(len < need ? "handshake message too short"
		                                   : "handshake message too long"));
	plain_len = len - need;
	if (cap < plain_len)
		return invalid("payload buffer too small for the handshake message");

	for (tok = xx_pattern[hs->msg]; *tok != T_END; tok++)
		if ((rc = read_token(hs, *tok, msg, &pos)) < 0)
			return fail(hs, rc);
	rc = decrypt_and_hash(&hs->ss, msg + pos, len - pos, payload);
	if (rc < 0)
		return fail(hs, rc);
	*payload_len = plain_len;
	advance(hs);
	return 0;
}

int noise_handshake_is_done(const noise_handshake *hs)
{
	return hs && (hs->stage == HS_DONE || hs->stage == HS_SPLIT);
}

int noise_handshake_split(noise_handshake *hs, noise_cipher *send, noise_cipher *recv)
{
	uint8_t k1[NOISE_HASH_LEN], k2[NOISE_HASH_LEN];

	if (!hs || hs->stage != HS_DONE)
		return invalid("split needs a completed handshake, once");
	if (!send || !recv || send == recv)
		return invalid("split needs two distinct cipher states");
	hkdf2(hs->ss.ck, NULL, 0, k1, k2);
	/* The first key is for initiator-to-responder messages. */
	initialize_key(send, hs->initiator ? k1 : k2);
	initialize_key(recv, hs->initiator ? k2 : k1);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	/* Only h and rs are still of use; everything secret goes. */
	sodium_memzero(&hs->ss.cs, sizeof(hs->ss.cs));
	sodium_memzero(hs->ss.ck, sizeof(hs->ss.ck));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	hs->stage = HS_SPLIT;
	return 0;
}

int noise_handshake_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_LEN])
{
	if (!hs || !out || (hs->stage != HS_DONE && hs->stage != HS_SPLIT))
		return invalid("the handshake hash is known only once the handshake is done");
	memcpy(out, hs->ss.h, NOISE_HASH_LEN);
	return 0;
}

int noise_handshake_current_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_LEN])
{
	if (!hs || !out || hs->stage == HS_NONE || hs->stage == HS_FAILED)
		return invalid("no handshake hash: the handshake is not initialised or failed");
	memcpy(out, hs->ss.h, NOISE_HASH_LEN);
	return 0;
}

int noise_handshake_remote_static(const noise_handshake *hs, uint8_t out[NOISE_KEY_LEN])
{
	if (!hs || !out || hs->stage == HS_NONE || hs->stage == HS_FAILED || !hs->has_rs)
		return invalid("the peer's static key is not known yet");
	memcpy(out, hs->rs, NOISE_KEY_LEN);
	return 0;
}

void noise_handshake_dispose(noise_handshake *hs)
{
	if (hs)
		sodium_memzero(hs, sizeof(*hs));
}

/* ---- transport messages ---- */

int noise_cipher_encrypt(noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
                         size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!c || c->state != CIPHER_KEYED)
		return invalid("cipher state has no key");
	if ((!ad && ad_len) || (!in && len) || !out || !out_len)
		return invalid("missing argument to noise_cipher_encrypt");
	if (len > NOISE_MAX_PLAINTEXT)
		return invalid("plaintext too long for a Noise message");
	if (cap < len + NOISE_TAG_LEN)
		return invalid("output buffer too small for the transport message");
	if (encrypt_with_ad(c, ad, ad_len, len ? in : nothing, len, out) < 0)
		return SANCTUM_ERROR;
	*out_len = len + NOISE_TAG_LEN;
	return 0;
}

int noise_cipher_decrypt(noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
                         size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	int rc;

	if (!c || c->state != CIPHER_KEYED)
		return invalid("cipher state has no key");
	if ((!ad && ad_len) || !in || !out_len || (!out && cap))
		return invalid("missing argument to noise_cipher_decrypt");
	if (len < NOISE_TAG_LEN || len > NOISE_MAX_MESSAGE)
		return invalid(len < NOISE_TAG_LEN ? "transport message too short"
		                                   : "transport message too long");
	if (cap < len - NOISE_TAG_LEN)
		return invalid("output buffer too small for the transport message");
	rc = decrypt_with_ad(c, ad, ad_len, in, len, out);
	if (rc < 0)
		return rc;
	*out_len = len - NOISE_TAG_LEN;
	return 0;
}

void noise_cipher_dispose(noise_cipher *c)
{
	if (c)
		sodium_memzero(c, sizeof(*c));
}

/*
 * Noise_XX_25519_ChaChaPoly_BLAKE2b, exactly as the Noise Protocol Framework specifies it
 * (revision 34): the CipherState, SymmetricState and HandshakeState objects of its
 * section 5, for the XX pattern only, with X25519, ChaCha20-Poly1305 (IETF) and BLAKE2b
 * from libsodium. Pure computation: no I/O, no allocation. docs/protocol.md says how the
 * daemon uses it on the wire.
 *
 * Every function returns 0 (noise_handshake_is_done: 1 or 0) or a negative
 * sanctum_error_code, and records a message for sanctum_error_last():
 *   SANCTUM_EINVALID  a call out of order, a bad argument or buffer size, a malformed or
 *                     oversized message;
 *   SANCTUM_EVERIFY   a message failed authentication, or a peer's key gave an all-zero
 *                     X25519 result (a low-order point);
 *   SANCTUM_ERROR     the nonce counter is exhausted, or libsodium refused a key.
 * A handshake that failed on a peer's message wipes its keys and keeps returning the code
 * of that failure; errors found before anything changed (a buffer too small, a call out
 * of order) leave the state as it was.
 *
 * The structures are the caller's (on the stack or inside a connection); they hold keys,
 * so every one must end with noise_handshake_dispose or noise_cipher_dispose, which wipe
 * it. An all-zero structure is "not initialised" and every call on it is refused.
 */
#ifndef SANCTUM_NOISE_H
#define SANCTUM_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_PROTOCOL_NAME "Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define NOISE_KEY_LEN 32           /* X25519 keys and ChaCha20-Poly1305 keys */
#define NOISE_HASH_LEN 64          /* BLAKE2b-512: HASHLEN of the spec */
#define NOISE_TAG_LEN 16           /* the Poly1305 tag added to every encrypted field */
#define NOISE_MAX_MESSAGE 65535    /* the spec's limit for any Noise message */
#define NOISE_MAX_PLAINTEXT (NOISE_MAX_MESSAGE - NOISE_TAG_LEN) /* one transport message */

/* The fixed part of each XX message around its payload: keys, their tags, the payload's tag. */
#define NOISE_XX_MSG1_OVERHEAD 32                            /* e */
#define NOISE_XX_MSG2_OVERHEAD (32 + 32 + NOISE_TAG_LEN + NOISE_TAG_LEN) /* e, s, payload tag */
#define NOISE_XX_MSG3_OVERHEAD (32 + NOISE_TAG_LEN + NOISE_TAG_LEN)      /* s, payload tag */

/* A CipherState. After noise_handshake_split it encrypts or decrypts one direction. */
typedef struct {
	uint8_t k[NOISE_KEY_LEN];
	uint64_t n;                /* the next nonce; UINT64_MAX is reserved and never used */
	uint8_t state;             /* 0: not initialised; otherwise see noise.c */
} noise_cipher;

/* A SymmetricState: the chaining key, the handshake hash and the current cipher. */
typedef struct {
	noise_cipher cs;
	uint8_t ck[NOISE_HASH_LEN];
	uint8_t h[NOISE_HASH_LEN];
} noise_symmetric;

/* A HandshakeState for XX. Fields are private to noise.c. */
typedef struct {
	noise_symmetric ss;
	uint8_t s_priv[NOISE_KEY_LEN], s_pub[NOISE_KEY_LEN];
	uint8_t e_priv[NOISE_KEY_LEN], e_pub[NOISE_KEY_LEN];
	uint8_t rs[NOISE_KEY_LEN], re[NOISE_KEY_LEN];
	uint8_t stage;             /* 0: not initialised; otherwise see noise.c */
	uint8_t initiator;         /* 1 for the initiator, 0 for the responder */
	uint8_t msg;               /* index of the next message of the pattern, 0 to 3 */
	uint8_t has_e, has_rs, has_re;
	int error;                 /* the sticky code once stage is "failed" */
} noise_handshake;

/**
 * Starts a handshake as initiator (`initiator` nonzero) or responder with our static
 * X25519 private key (any 32 bytes; X25519 clamps them) and the prologue both sides must
 * share (may be NULL when prologue_len is 0). The key is copied; `hs` needs no earlier
 * initialisation and is overwritten (a handshake in use is wiped by it, not leaked).
 */
int noise_handshake_init(noise_handshake *hs, int initiator, const uint8_t static_priv[32],
                         const uint8_t *prologue, size_t prologue_len);

/**
 * FOR TEST VECTORS ONLY: uses `priv` as our ephemeral private key instead of a fresh
 * random one. Allowed only before this side has written its `e`.
 */
int noise_handshake_set_ephemeral(noise_handshake *hs, const uint8_t priv[32]);

/**
 * Writes the next handshake message, which must be ours (messages 1 and 3 for the
 * initiator, 2 for the responder), carrying `payload` (may be NULL when payload_len is
 * 0; must not overlap `out`). Needs cap >= the message length, which is payload_len plus
 * NOISE_XX_MSG1_OVERHEAD, NOISE_XX_MSG2_OVERHEAD or NOISE_XX_MSG3_OVERHEAD; the message
 * may not exceed NOISE_MAX_MESSAGE. Sets *out_len.
 */
int noise_handshake_write_message(noise_handshake *hs, uint8_t *out, size_t cap, size_t *out_len,
                                  const uint8_t *payload, size_t payload_len);

/**
 * Reads the next handshake message, which must be the peer's, and writes its payload to
 * `payload` (cap bytes; may be NULL when cap is 0; must not overlap `msg`). Sets
 * *payload_len. A message that fails authentication, is too short or too long, or whose
 * key is a low-order point fails the handshake for good.
 */
int noise_handshake_read_message(noise_handshake *hs, const uint8_t *msg, size_t len,
                                 uint8_t *payload, size_t cap, size_t *payload_len);

/** 1 once all three messages were written or read (also after a split), else 0. */
int noise_handshake_is_done(const noise_handshake *hs);

/**
 * Split: derives the two transport CipherStates, `send` for our messages and `recv` for
 * the peer's (the initiator sends with the spec's first, the responder with its
 * second). Only once, after the handshake is done; then every key of `hs` is wiped and
 * only the handshake hash and the remote static key stay readable.
 */
int noise_handshake_split(noise_handshake *hs, noise_cipher *send, noise_cipher *recv);

/** The final handshake hash h, the same on both sides; only once the handshake is done. */
int noise_handshake_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_LEN]);

/**
 * The handshake hash h as it stands now, at any point after noise_handshake_init (until
 * a failure or dispose). Both sides hold the same value between the same two messages, so
 * a payload can carry a signature over the handshake so far (channel binding): the writer
 * takes it just before noise_handshake_write_message, the reader just before
 * noise_handshake_read_message. Only noise_handshake_hash covers the whole handshake.
 */
int noise_handshake_current_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_LEN]);

/**
 * The peer's static public key, as soon as it was read (the initiator learns it from
 * message 2, the responder from message 3). It is authenticated by the handshake only in
 * the sense of Noise: the caller still has to decide whether this key is a member.
 */
int noise_handshake_remote_static(const noise_handshake *hs, uint8_t out[NOISE_KEY_LEN]);

/** Wipes every key and the state; `hs` is then "not initialised". NULL is allowed. */
void noise_handshake_dispose(noise_handshake *hs);

/**
 * Encrypts one transport message: `len` bytes of `in` (at most NOISE_MAX_PLAINTEXT) with
 * the associated data `ad` (may be NULL when ad_len is 0) into `out` (cap >= len +
 * NOISE_TAG_LEN; `out` may be `in`, but no other overlap). Sets *out_len.
 */
int noise_cipher_encrypt(noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
                         size_t len, uint8_t *out, size_t cap, size_t *out_len);

/**
 * Decrypts one transport message of `len` bytes (NOISE_TAG_LEN to NOISE_MAX_MESSAGE) into
 * `out` (cap >= len - NOISE_TAG_LEN; `out` may be `in`). A message that fails
 * authentication (tampered, replayed, reordered) returns SANCTUM_EVERIFY and, as the spec
 * says, does not advance the nonce; on a stream transport the connection is then useless
 * and the caller closes it.
 */
int noise_cipher_decrypt(noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
                         size_t len, uint8_t *out, size_t cap, size_t *out_len);

/** Wipes the key; `c` is then "not initialised". NULL is allowed. */
void noise_cipher_dispose(noise_cipher *c);

#endif

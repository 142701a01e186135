/*
 * Internals shared by the age_*.c files: key structures, the parsed header, the STREAM
 * state and the armor codec. Nothing here is part of the public API.
 */
#ifndef SANCTUM_AGE_INTERNAL_H
#define SANCTUM_AGE_INTERNAL_H

#include "sanctum/age.h"

#include <sodium.h>

#define AGE_VERSION_LINE "age-encryption.org/v1"
#define AGE_X25519_INFO "age-encryption.org/v1/X25519"
#define AGE_SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define AGE_RECIPIENT_HRP "age"
#define AGE_IDENTITY_HRP "age-secret-key-"
#define AGE_NONCE_SIZE 16
#define AGE_MAC_SIZE 32
#define AGE_STANZA_BODY_SIZE 32      /* a wrapped file key: 16 bytes + 16-byte tag */
#define AGE_SCRYPT_SALT_SIZE 16
#define AGE_MAX_VALID_WORK_FACTOR 63 /* larger numbers are malformed, not just too high */
#define AGE_ENC_CHUNK_SIZE (SANCTUM_AGE_CHUNK_SIZE + SANCTUM_AGE_TAG_SIZE)

typedef enum { AGE_KEY_X25519 = 1, AGE_KEY_SCRYPT } age_key_type;

struct sanctum_age_recipient {
	age_key_type type;
	unsigned char public_key[SANCTUM_AGE_X25519_KEY_SIZE]; /* X25519 */
	int work_factor;                                       /* scrypt: log2(N) */
	char *passphrase;                                      /* scrypt: sodium_malloc'd */
	size_t passphrase_len;
};

struct sanctum_age_identity {
	age_key_type type;
	unsigned char public_key[SANCTUM_AGE_X25519_KEY_SIZE]; /* X25519: kept for the salt */
	unsigned char *secret_key;                             /* X25519: sodium_malloc'd */
	int max_work_factor;                                   /* scrypt */
	char *passphrase;                                      /* scrypt: sodium_malloc'd */
	size_t passphrase_len;
};

/* A run of bytes borrowed from the header being parsed. */
typedef struct {
	const char *ptr;
	size_t len;
} age_span;

typedef struct {
	age_span type;
	age_span *args;               /* owned array; the bytes are borrowed */
	size_t nargs;
	unsigned char *body;          /* owned, decoded */
	size_t body_len;
} age_stanza;

typedef struct {
	age_stanza *stanzas;          /* owned */
	size_t count;
	size_t mac_input_len;         /* header bytes the MAC covers, through "---" */
	unsigned char mac[AGE_MAC_SIZE];
} age_header;

/* ---- age_header.c ---- */

/**
 * Looks for the end of a header in the bytes received so far. Returns 1 with `*end` set
 * to the offset just past the MAC line, 0 when more bytes are needed, or SANCTUM_EHEADER
 * when the bytes cannot begin an age header (so garbage fails without being buffered).
 */
int sanctum_age__header_find_end(const unsigned char *data, size_t len, size_t *end);

/** Parses a complete header (as delimited by _find_end). Spans borrow from `data`. */
int sanctum_age__header_parse(age_header *out, const unsigned char *data, size_t len);

void sanctum_age__header_dispose(age_header *header);

/** Appends one stanza in canonical form to `out`. */
int sanctum_age__stanza_encode(sanctum_buf *out, const char *type, const char *const *args,
                               size_t nargs, const unsigned char *body, size_t body_len);

/** The header MAC: HMAC-SHA-256 under HKDF(file key, "", "header"). */
void sanctum_age__header_mac(unsigned char mac[AGE_MAC_SIZE],
                             const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                             const unsigned char *header, size_t len);

/** Canonical unpadded base64 of exactly `len` bytes. Returns 0 or -1. */
int sanctum_age__b64_decode(unsigned char *out, size_t len, const char *in, size_t in_len);

/* ---- age_keys.c ---- */

/** Checks the arguments and body of the stanza types we know. Returns 0 or EHEADER. */
int sanctum_age__stanza_validate(const age_stanza *stanza);

/** Appends the stanza that wraps `file_key` for `recipient` to `out`. */
int sanctum_age__wrap(sanctum_buf *out, const sanctum_age_recipient *recipient,
                      const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE]);

/**
 * Tries to unwrap a (validated) stanza. Returns 0 with the file key, SANCTUM_ENOMATCH if
 * the identity does not open it, or a hard error (EHEADER, EWORKFACTOR, ENOMEM).
 */
int sanctum_age__unwrap(unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                        const sanctum_age_identity *identity, const age_stanza *stanza);

/** Whether the stanza's type is exactly "scrypt". */
int sanctum_age__stanza_is_scrypt(const age_stanza *stanza);

/* ---- age_stream.c ---- */

typedef struct {
	unsigned char key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
	uint64_t counter;             /* index of the next chunk */
} age_stream;

/** Derives the payload key from the file key and the 16-byte nonce. */
void sanctum_age__stream_init(age_stream *stream,
                              const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                              const unsigned char nonce[AGE_NONCE_SIZE]);

/** Seals `len` (at most one chunk) bytes into `out` (len + tag). Returns 0 or -1. */
int sanctum_age__stream_seal(age_stream *stream, unsigned char *out,
                             const unsigned char *in, size_t len, int last);

/**
 * Opens one sealed chunk of `len` bytes into `out`. Authenticates before decrypting.
 * Returns 0 (and advances), or -1 leaving the stream where it was.
 */
int sanctum_age__stream_open(age_stream *stream, unsigned char *out,
                             const unsigned char *in, size_t len, int last);

void sanctum_age__stream_wipe(age_stream *stream);

/* ---- age_armor.c ---- */

typedef struct {
	sanctum_write_fn write;       /* where the armored text goes */
	void *payload;
	unsigned char pending[48];    /* bytes waiting for a full 64-column line */
	size_t npending;
	unsigned char *out;           /* lines waiting to be written */
	size_t nout;
} age_armor_writer;

int sanctum_age__armor_writer_init(age_armor_writer *w, sanctum_write_fn write, void *payload);
/** A sanctum_write_fn: `payload` is the age_armor_writer. */
int sanctum_age__armor_write(const unsigned char *data, size_t len, void *payload);
int sanctum_age__armor_writer_finish(age_armor_writer *w);
void sanctum_age__armor_writer_dispose(age_armor_writer *w);

typedef enum {
	ARMOR_LEADING = 0,            /* before the BEGIN line, whitespace allowed */
	ARMOR_DATA,                   /* base64 lines */
	ARMOR_FOOTER,                 /* after a short line: only the END line may follow */
	ARMOR_TRAILING                /* after the END line: whitespace allowed */
} age_armor_state;

typedef struct {
	age_armor_state state;
	char line[1100];              /* the current line, without its newline */
	size_t nline;
	size_t whitespace;            /* whitespace skipped before BEGIN or after END */
	unsigned char *out;           /* decoded bytes waiting to be passed on */
	size_t nout;
} age_armor_reader;

int sanctum_age__armor_reader_init(age_armor_reader *r);
/** Decodes `len` more armored bytes, passing binary to `write`. */
int sanctum_age__armor_reader_update(age_armor_reader *r, const unsigned char *data, size_t len,
                                     sanctum_write_fn write, void *payload);
/** Ends the input: the END line must have been seen. */
int sanctum_age__armor_reader_finish(age_armor_reader *r, sanctum_write_fn write, void *payload);
void sanctum_age__armor_reader_dispose(age_armor_reader *r);

#endif

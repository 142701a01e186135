/*
 * Files that carry their own signature in front: an armored SSHSIG block, then the signed
 * bytes. The group manifest, roster entries and epoch keys use this layout (documents
 * too, in doc.c), so a person can split them with sed and check them with ssh-keygen.
 */
#ifndef SANCTUM_SIGNED_FILE_H
#define SANCTUM_SIGNED_FILE_H

#include "sanctum/identity.h"

/** Writes the signature of `body` under `namespace`, then `body`, into `out`. */
int sanctum_signed__seal(sanctum_buf *out, const sanctum_identity *signer,
                         const char *namespace, const void *body, size_t len);

/**
 * Splits and verifies a signed file. On success `*body` points into `data` and `signer`
 * holds the verifying key. Returns 0, SANCTUM_EINVALID (no signature block) or
 * SANCTUM_EVERIFY; `what` names the file in messages ("group manifest").
 */
int sanctum_signed__open(const unsigned char **body, size_t *body_len,
                         unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                         const char *namespace, const unsigned char *data, size_t len,
                         const char *what);

#define SANCTUM_SIGNED_MAX_SIGNERS 16

/**
 * Like sanctum_signed__open for a file with one or more signature blocks (roster entries
 * approved by several admins): every signature must verify over the same body, no key may
 * sign twice, at most `max` signatures. Writes the keys to `signers` in file order.
 */
int sanctum_signed__open_all(const unsigned char **body, size_t *body_len,
                             unsigned char (*signers)[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                             size_t *nsigners, size_t max, const char *namespace,
                             const unsigned char *data, size_t len, const char *what);

/** Adds `signer`'s signature after the signatures of a signed file that all verify. */
int sanctum_signed__cosign(sanctum_buf *out, const sanctum_identity *signer,
                           const char *namespace, const unsigned char *data, size_t len,
                           const char *what);

/*
 * A tiny reader of "key value" lines for the signed text formats. Each call to
 * sanctum_lines__field takes the next line, which must start with `key` and a space,
 * and returns its value (NUL-terminated, in the reader's scratch buffer, valid until the
 * next call).
 */
typedef struct {
	const char *pos;
	const char *end;
	char value[512];
	const char *what;             /* the file, for messages */
} sanctum_lines;

void sanctum_lines__init(sanctum_lines *lines, const void *data, size_t len, const char *what);
/** Expects the exact line `text`. */
int sanctum_lines__expect(sanctum_lines *lines, const char *text);
/** Returns the next line's value for `key`, or NULL (an error is recorded). */
const char *sanctum_lines__field(sanctum_lines *lines, const char *key);
/** Whether the next line starts with `key` and a space. */
int sanctum_lines__next_is(const sanctum_lines *lines, const char *key);
/** Succeeds only if nothing is left. */
int sanctum_lines__end(sanctum_lines *lines);

/** Parses a decimal number without sign or leading zeros, at most `max`. */
int sanctum_parse_u64(uint64_t *out, const char *text, uint64_t max);

/** Lowercase hex of `len` bytes (2*len+1 bytes of room) and back (exact length). */
void sanctum_hex_encode(char *out, const unsigned char *data, size_t len);
int sanctum_hex_decode(unsigned char *out, size_t len, const char *hex);

#endif

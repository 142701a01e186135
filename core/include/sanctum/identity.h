/*
 * A member's identity: one Ed25519 signing key and one X25519 age key, with the city and
 * device they belong to, kept in one file; and the public member card that others paste
 * into `sanctum member add`.
 *
 * The identity file is an age file encrypted to a passphrase (scrypt), so that stock
 * `age -d` recovers it; with no passphrase it is a plain file that must be mode 0600.
 * Its plaintext (docs/format.md) is:
 *
 *     sanctum-identity v1
 *     city aldport
 *     device server
 *     created 2026-11-29T17:00:00Z
 *     ed25519 <base64 of the 32-byte seed>
 *     age AGE-SECRET-KEY-1...
 */
#ifndef SANCTUM_IDENTITY_H
#define SANCTUM_IDENTITY_H

#include "age.h"
#include "buf.h"
#include "common.h"
#include "sshsig.h"

#define SANCTUM_NAME_MAX 32          /* city and device names: [a-z0-9-], 1..32 bytes */
#define SANCTUM_FINGERPRINT_SIZE 51  /* "SHA256:" + 43 base64 characters + NUL */

typedef struct sanctum_identity sanctum_identity;

/** A member's public card: what `sanctum keys show` prints and `member add` reads. */
typedef struct {
	char city[SANCTUM_NAME_MAX + 1];
	char device[SANCTUM_NAME_MAX + 1];
	unsigned char signing_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];   /* Ed25519 */
	unsigned char age_key[SANCTUM_AGE_X25519_KEY_SIZE];           /* X25519 */
} sanctum_card;

/**
 * Whether `name` is a valid city or device name: 1..SANCTUM_NAME_MAX characters of
 * lowercase ASCII letters, digits and '-', not starting or ending with '-'.
 */
int sanctum_name_is_valid(const char *name);

/**
 * The OpenSSH fingerprint of an Ed25519 key, "SHA256:<base64 without padding>", as
 * `ssh-keygen -l` prints it. This is a member's id.
 */
void sanctum_key_fingerprint(char out[SANCTUM_FINGERPRINT_SIZE],
                             const unsigned char signing_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE]);

/** Generates fresh keys. Returns 0, SANCTUM_EINVALID (bad name) or SANCTUM_ENOMEM. */
SANCTUM_WARN_UNUSED int sanctum_identity_generate(sanctum_identity **out, const char *city,
                                                  const char *device);

/**
 * Writes the identity to `path`, which must not exist (SANCTUM_EEXISTS otherwise): through
 * a temporary file in the same folder with mode 0600, O_EXCL|O_NOFOLLOW, then link(), so
 * nothing is ever overwritten or half-written. With a passphrase (`len` > 0) the file is
 * age-encrypted with scrypt at `work_factor` (0: the default); with `passphrase` NULL it is
 * plain. The file is read back and checked before returning.
 */
SANCTUM_WARN_UNUSED int sanctum_identity_save(const sanctum_identity *identity, const char *path,
                                              const char *passphrase, size_t len,
                                              int work_factor);

/**
 * Replaces the identity file at `path` atomically (temporary file, fsync, rename) with
 * the same keys under a new passphrase (or none). Used by `sanctum keys passwd`.
 */
SANCTUM_WARN_UNUSED int sanctum_identity_replace(const sanctum_identity *identity,
                                                 const char *path, const char *passphrase,
                                                 size_t len, int work_factor);

/**
 * Reads an identity file. An encrypted file asks for its passphrase through `ask` (which
 * may be NULL: then SANCTUM_EBADPASS). A plain file that the group or others can read is
 * refused (SANCTUM_EINVALID, the message says to chmod 600). Returns 0, SANCTUM_ENOTFOUND,
 * SANCTUM_EBADPASS, SANCTUM_EINVALID (corrupt or truncated: the message says which line),
 * or an age error for a damaged encrypted file.
 */
SANCTUM_WARN_UNUSED int sanctum_identity_load(sanctum_identity **out, const char *path,
                                              sanctum_passphrase_fn ask, void *payload);

/** Whether the file at `path` is passphrase-protected (1), plain (0), or an error (< 0). */
int sanctum_identity_file_is_encrypted(const char *path);

/** The city and device. Borrowed, valid as long as the identity. */
const char *sanctum_identity_city(const sanctum_identity *identity);
const char *sanctum_identity_device(const sanctum_identity *identity);

/** This identity's public card. */
void sanctum_identity_card(sanctum_card *out, const sanctum_identity *identity);

/** The age identity, to decrypt with. Borrowed. */
const sanctum_age_identity *sanctum_identity_age(const sanctum_identity *identity);

/** Signs `len` bytes under `namespace` (SSHSIG, armored) into `out`. */
SANCTUM_WARN_UNUSED int sanctum_identity_sign(sanctum_buf *out, const sanctum_identity *identity,
                                              const char *namespace, const void *message,
                                              size_t len);

/** Releases the identity and wipes its keys. NULL is fine. */
void sanctum_identity_free(sanctum_identity *identity);

/**
 * Encodes a card on one line that survives email and chat:
 *     sanctum-card-v1:<city>:<device>:<ed25519 base64url>:<age1...>:<checksum>
 * where the checksum is 8 hex digits of SHA-256 over everything before it, so a typo or
 * a truncated paste is caught.
 */
SANCTUM_WARN_UNUSED int sanctum_card_encode(sanctum_buf *out, const sanctum_card *card);

/**
 * Parses a card; surrounding whitespace is ignored. Returns 0 or SANCTUM_EKEY with a
 * message saying which part is wrong (prefix, names, keys, checksum).
 */
SANCTUM_WARN_UNUSED int sanctum_card_parse(sanctum_card *out, const char *line, size_t len);

#endif

/*
 * age v1 (https://c2sp.org/age): X25519 and scrypt recipients, the header and its MAC,
 * the STREAM payload and the ASCII armor, on libsodium primitives.
 *
 * Encryption and decryption are streaming: the caller pushes input with _update and the
 * library hands output to a write callback as soon as it is ready, so memory stays
 * constant whatever the size of the file. sanctum_age_encrypt and sanctum_age_decrypt
 * wrap them for data held in memory.
 *
 * Ownership: every `**out` object belongs to the caller and is released with its _free
 * (which accepts NULL and wipes secrets). Lists own the keys added to them.
 */
#ifndef SANCTUM_AGE_H
#define SANCTUM_AGE_H

#include "buf.h"
#include "common.h"

#define SANCTUM_AGE_CHUNK_SIZE 65536          /* plaintext bytes per STREAM chunk */
#define SANCTUM_AGE_TAG_SIZE 16               /* Poly1305 tag after each chunk */
#define SANCTUM_AGE_FILE_KEY_SIZE 16
#define SANCTUM_AGE_X25519_KEY_SIZE 32
#define SANCTUM_AGE_DEFAULT_WORK_FACTOR 18    /* scrypt log2(N) used to encrypt */
#define SANCTUM_AGE_MAX_WORK_FACTOR 22        /* largest log2(N) accepted to decrypt */
#define SANCTUM_AGE_MAX_HEADER_SIZE (1u << 20) /* a longer header is refused */

/** Output flag for encryption: write the ASCII-armored (PEM) form. */
#define SANCTUM_AGE_ARMOR 0x1u

/** Function twins of the size macros, for bindings and the consistency test. */
size_t sanctum_age_chunk_size(void);
size_t sanctum_age_tag_size(void);
size_t sanctum_age_file_key_size(void);

typedef struct sanctum_age_recipient sanctum_age_recipient;
typedef struct sanctum_age_identity sanctum_age_identity;

/**
 * Receives output. Returns 0 to go on, or a negative code that stops the operation and
 * is returned by the call that produced the output. Called on the caller's thread.
 */
typedef int (*sanctum_write_fn)(const unsigned char *data, size_t len, void *payload);

/* ---- recipients ------------------------------------------------------------------- */

/**
 * Parses an X25519 recipient (`age1...`, lowercase Bech32). Surrounding whitespace is
 * not accepted. Returns 0, SANCTUM_EKEY for a bad encoding, or SANCTUM_ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_parse(sanctum_age_recipient **out,
                                                    const char *str, size_t len);

/** Makes an X25519 recipient from a raw Curve25519 public key. */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_from_x25519(
	sanctum_age_recipient **out, const unsigned char public_key[SANCTUM_AGE_X25519_KEY_SIZE]);

/**
 * Makes a passphrase (scrypt) recipient. `work_factor` is log2(N), 1..30; 0 picks
 * SANCTUM_AGE_DEFAULT_WORK_FACTOR. The passphrase is copied into locked memory.
 * Returns 0, SANCTUM_EINVALID (empty passphrase, work factor out of range) or ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_from_passphrase(
	sanctum_age_recipient **out, const char *passphrase, size_t len, int work_factor);

/**
 * Writes the `age1...` encoding into `out` (replacing its contents). Returns 0, or
 * SANCTUM_EINVALID for a passphrase recipient, which has no encoding.
 */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_encode(sanctum_buf *out,
                                                     const sanctum_age_recipient *recipient);

/**
 * Copies the raw Curve25519 public key of an X25519 recipient into `out`. Returns 0, or
 * SANCTUM_EINVALID for a passphrase recipient.
 */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_x25519_key(
	unsigned char out[SANCTUM_AGE_X25519_KEY_SIZE], const sanctum_age_recipient *recipient);

/** Releases a recipient, wiping a passphrase it holds. NULL is fine. */
void sanctum_age_recipient_free(sanctum_age_recipient *recipient);

/* ---- identities ------------------------------------------------------------------- */

/** Generates a fresh X25519 identity. Returns 0 or SANCTUM_ENOMEM. */
SANCTUM_WARN_UNUSED int sanctum_age_identity_generate(sanctum_age_identity **out);

/**
 * Parses an X25519 identity (`AGE-SECRET-KEY-1...`, uppercase Bech32). Returns 0,
 * SANCTUM_EKEY for a bad encoding, or SANCTUM_ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_age_identity_parse(sanctum_age_identity **out,
                                                   const char *str, size_t len);

/** Makes an X25519 identity from a raw 32-byte secret scalar (copied, then yours to wipe). */
SANCTUM_WARN_UNUSED int sanctum_age_identity_from_x25519(
	sanctum_age_identity **out, const unsigned char secret_key[SANCTUM_AGE_X25519_KEY_SIZE]);

/**
 * Makes a passphrase identity that opens scrypt stanzas whose work factor is at most
 * `max_work_factor` (0 picks SANCTUM_AGE_MAX_WORK_FACTOR; at most 30). A file whose work
 * factor is higher is refused with SANCTUM_EWORKFACTOR before any scrypt work is done.
 */
SANCTUM_WARN_UNUSED int sanctum_age_identity_from_passphrase(
	sanctum_age_identity **out, const char *passphrase, size_t len, int max_work_factor);

/**
 * Writes the `AGE-SECRET-KEY-1...` encoding into `out` (replacing its contents; `out`
 * then holds a secret). SANCTUM_EINVALID for a passphrase identity.
 */
SANCTUM_WARN_UNUSED int sanctum_age_identity_encode(sanctum_buf *out,
                                                    const sanctum_age_identity *identity);

/**
 * The recipient that encrypts to this identity. SANCTUM_EINVALID for a passphrase
 * identity.
 */
SANCTUM_WARN_UNUSED int sanctum_age_identity_to_recipient(sanctum_age_recipient **out,
                                                          const sanctum_age_identity *identity);

/** Releases an identity and wipes its secret. NULL is fine. */
void sanctum_age_identity_free(sanctum_age_identity *identity);

/* ---- lists and key files ---------------------------------------------------------- */

typedef struct {
	sanctum_age_identity **items;   /* owned */
	size_t count;
	size_t alloc;
} sanctum_age_identity_list;

typedef struct {
	sanctum_age_recipient **items;  /* owned */
	size_t count;
	size_t alloc;
} sanctum_age_recipient_list;

#define SANCTUM_AGE_LIST_INIT { NULL, 0, 0 }

/** Appends `identity`; the list owns it on success, the caller still does on failure. */
SANCTUM_WARN_UNUSED int sanctum_age_identity_list_add(sanctum_age_identity_list *list,
                                                      sanctum_age_identity *identity);

/**
 * Appends every identity of an identity file (as `age-keygen` writes it): one
 * `AGE-SECRET-KEY-1...` per line, blank lines and `#` comments ignored, LF or CRLF.
 * All or nothing: on failure the list is unchanged and the message names the line.
 * Returns 0, SANCTUM_EKEY, SANCTUM_EINVALID (no identity in the file) or ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_age_identity_list_parse(sanctum_age_identity_list *list,
                                                        const char *text, size_t len);

/** Releases every identity in the list and the list's storage. NULL is fine. */
void sanctum_age_identity_list_dispose(sanctum_age_identity_list *list);

/** Appends `recipient`; the list owns it on success, the caller still does on failure. */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_list_add(sanctum_age_recipient_list *list,
                                                       sanctum_age_recipient *recipient);

/**
 * Appends every recipient of a recipients file: one `age1...` per line, blank lines and
 * `#` comments ignored. All or nothing, like sanctum_age_identity_list_parse.
 */
SANCTUM_WARN_UNUSED int sanctum_age_recipient_list_parse(sanctum_age_recipient_list *list,
                                                         const char *text, size_t len);

/** Releases every recipient in the list and the list's storage. NULL is fine. */
void sanctum_age_recipient_list_dispose(sanctum_age_recipient_list *list);

/* ---- streaming encryption --------------------------------------------------------- */

typedef struct sanctum_age_encryptor sanctum_age_encryptor;

/**
 * Starts an age file for `count` recipients (at least one; a passphrase recipient must be
 * the only one) and writes its header through `write`. `flags` is 0 or SANCTUM_AGE_ARMOR.
 * Returns 0, SANCTUM_EINVALID, SANCTUM_ENOMEM, or the write callback's code.
 */
SANCTUM_WARN_UNUSED int sanctum_age_encryptor_new(
	sanctum_age_encryptor **out, const sanctum_age_recipient *const *recipients, size_t count,
	unsigned flags, sanctum_write_fn write, void *payload);

/** Encrypts `len` more bytes; full chunks are written as soon as they are sealed. */
SANCTUM_WARN_UNUSED int sanctum_age_encryptor_update(sanctum_age_encryptor *enc,
                                                     const void *data, size_t len);

/** Seals the final chunk and closes the armor. No update may follow. */
SANCTUM_WARN_UNUSED int sanctum_age_encryptor_finish(sanctum_age_encryptor *enc);

/** Releases the encryptor and wipes its keys and buffers. NULL is fine. */
void sanctum_age_encryptor_free(sanctum_age_encryptor *enc);

/* ---- streaming decryption --------------------------------------------------------- */

/** Whether the input is armored. AUTO looks for `-----BEGIN` after leading whitespace. */
typedef enum {
	SANCTUM_AGE_ARMOR_AUTO = 0,
	SANCTUM_AGE_ARMOR_NO,
	SANCTUM_AGE_ARMOR_YES
} sanctum_age_armor_mode;

/**
 * Asked for a passphrase when the file is passphrase-encrypted and no passphrase identity
 * was given. Put the passphrase in `out` and return 0, or return a negative code to stop.
 */
typedef int (*sanctum_passphrase_fn)(sanctum_buf *out, void *payload);

typedef struct {
	unsigned int version;
	sanctum_age_armor_mode armor;
	int max_work_factor;                /* for passphrases from the callback; 0: default */
	sanctum_passphrase_fn passphrase;   /* optional */
	void *passphrase_payload;
	size_t first_stanza;                /* where to start trying stanzas (a hint: the rest
	                                       are tried after it, so results do not change) */
} sanctum_age_decrypt_options;

#define SANCTUM_AGE_DECRYPT_OPTIONS_VERSION 1
#define SANCTUM_AGE_DECRYPT_OPTIONS_INIT \
	{ SANCTUM_AGE_DECRYPT_OPTIONS_VERSION, SANCTUM_AGE_ARMOR_AUTO, 0, NULL, NULL, 0 }

typedef struct sanctum_age_decryptor sanctum_age_decryptor;

/**
 * Prepares to decrypt with `count` identities (tried in order on each stanza). `opts`
 * may be NULL. Plaintext reaches `write` chunk by chunk, each only after the header MAC
 * and the chunk's tag have been checked; on a later failure what was written stays
 * written, so a caller that needs all-or-nothing output buffers or writes to a temporary
 * file it discards on failure.
 */
SANCTUM_WARN_UNUSED int sanctum_age_decryptor_new(
	sanctum_age_decryptor **out, const sanctum_age_identity *const *identities, size_t count,
	const sanctum_age_decrypt_options *opts, sanctum_write_fn write, void *payload);

/**
 * Feeds `len` more bytes of the file. Returns 0, or the failure: SANCTUM_EARMOR,
 * SANCTUM_EHEADER, SANCTUM_EWORKFACTOR, SANCTUM_ENOMATCH, SANCTUM_EBADPASS, SANCTUM_EMAC,
 * SANCTUM_EPAYLOAD, SANCTUM_ETRAILING, SANCTUM_ENOMEM or the callback's code. A failure
 * is final: every later call returns it again.
 */
SANCTUM_WARN_UNUSED int sanctum_age_decryptor_update(sanctum_age_decryptor *dec,
                                                     const void *data, size_t len);

/** Declares the end of input and checks the file was complete (SANCTUM_ETRUNCATED). */
SANCTUM_WARN_UNUSED int sanctum_age_decryptor_finish(sanctum_age_decryptor *dec);

/** Releases the decryptor and wipes its keys and buffers. NULL is fine. */
void sanctum_age_decryptor_free(sanctum_age_decryptor *dec);

/* ---- whole buffers ---------------------------------------------------------------- */

/** Encrypts `len` bytes into `out` (replacing its contents). */
SANCTUM_WARN_UNUSED int sanctum_age_encrypt(sanctum_buf *out,
                                            const sanctum_age_recipient *const *recipients,
                                            size_t count, unsigned flags,
                                            const void *in, size_t len);

/**
 * Decrypts a whole file into `out` (replacing its contents). All or nothing: on failure
 * `out` is left empty and any partial plaintext has been wiped.
 */
SANCTUM_WARN_UNUSED int sanctum_age_decrypt(sanctum_buf *out,
                                            const sanctum_age_identity *const *identities,
                                            size_t count,
                                            const sanctum_age_decrypt_options *opts,
                                            const void *in, size_t len);

#endif

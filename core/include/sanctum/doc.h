/*
 * One revision of a document: its signed plaintext, as it sits inside the age envelope.
 *
 *     -----BEGIN SSH SIGNATURE-----        SSHSIG, namespace "sanctum-doc", over the
 *     ...                                  signed part below, byte for byte
 *     -----END SSH SIGNATURE-----
 *     sanctum-doc v1                       the signed part starts here: a header in the
 *     id 3f9c0e5a9d7b41c2a8e1f0d2c4b6a8e0  style of a git commit object, one field a line
 *     rev 2
 *     parent <64 hex digits>|none          hash of the signed part it replaces
 *     merged <64 hex digits>               only in a merge revision: the second parent
 *     author SHA256:...                    fingerprint of the signing key
 *     time 1764435600
 *     type text/markdown
 *     title Rapid-response hotline
 *     tag legal-aid                        zero or more
 *     size 1234                            bytes of body
 *     state live|deleted                   a tombstone is a revision with state deleted
 *
 *     <body: size bytes>
 *     <padding: zero bytes up to the PADME bucket of the whole plaintext>
 *
 * The padding is part of the signed bytes, so `ssh-keygen -Y verify` checks everything
 * after the END line as it is. docs/format.md is the full grammar with a worked example.
 */
#ifndef SANCTUM_DOC_H
#define SANCTUM_DOC_H

#include "buf.h"
#include "common.h"
#include "identity.h"

#define SANCTUM_DOC_ID_SIZE 16
#define SANCTUM_DOC_HASH_SIZE 32          /* SHA-256 of a revision's signed part */
#define SANCTUM_DOC_NAMESPACE "sanctum-doc"
#define SANCTUM_DOC_MAX_TITLE 1024        /* bytes */
#define SANCTUM_DOC_MAX_TAG 128
#define SANCTUM_DOC_MAX_TAGS 64
#define SANCTUM_DOC_MAX_TYPE 255
#define SANCTUM_DOC_MAX_BODY (256u << 20) /* 256 MiB */

/** What was wrong with a revision that did not open. */
typedef enum {
	SANCTUM_DOC_OK = 0,
	SANCTUM_DOC_MISSING_SIGNATURE,    /* no signature block */
	SANCTUM_DOC_BAD_SIGNATURE,        /* the signature does not verify */
	SANCTUM_DOC_BAD_FORMAT,           /* a line or value that the grammar does not allow */
	SANCTUM_DOC_MISSING_FIELD,
	SANCTUM_DOC_DUPLICATE_FIELD,
	SANCTUM_DOC_UNKNOWN_FIELD,
	SANCTUM_DOC_BAD_UTF8,             /* title or tag is not valid UTF-8 */
	SANCTUM_DOC_OVERSIZED,            /* a field or the body beyond its limit */
	SANCTUM_DOC_BAD_PADDING,          /* bytes after the body that are not zero */
	SANCTUM_DOC_AUTHOR_MISMATCH,      /* `author` is not the signing key's fingerprint */
	SANCTUM_DOC_ID_MISMATCH           /* the id is not the one its path names */
} sanctum_doc_problem;

/** A revision. Fields marked "set by open" are filled by sanctum_doc_open. */
typedef struct {
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	uint64_t rev;                          /* 1 for a new document */
	int has_parent;                        /* 0 only for rev 1 */
	unsigned char parent[SANCTUM_DOC_HASH_SIZE];
	int has_merged;                        /* a three-way merge of parent and merged */
	unsigned char merged[SANCTUM_DOC_HASH_SIZE]; /* sorts after parent (memcmp) */
	int64_t time;                          /* seconds since 1970, UTC */
	char *type;                            /* owned; MIME type */
	char *title;                           /* owned; UTF-8, no control characters */
	char **tags;                           /* owned */
	size_t ntags;
	int deleted;                           /* a tombstone: empty body */
	sanctum_buf body;
	char author[SANCTUM_FINGERPRINT_SIZE]; /* set by seal and by open */
	unsigned char hash[SANCTUM_DOC_HASH_SIZE];                   /* set by seal and by open */
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];       /* set by seal and by open */
} sanctum_doc;

#define SANCTUM_DOC_INIT { { 0 }, 0, 0, { 0 }, 0, { 0 }, 0, NULL, NULL, NULL, 0, 0, \
                           SANCTUM_BUF_INIT, { 0 }, { 0 }, { 0 } }

/** A fresh random document id. */
void sanctum_doc_new_id(unsigned char id[SANCTUM_DOC_ID_SIZE]);

/** Lowercase hex of an id (33 bytes with the NUL), and back (SANCTUM_EINVALID if bad). */
void sanctum_doc_id_to_hex(char out[2 * SANCTUM_DOC_ID_SIZE + 1],
                           const unsigned char id[SANCTUM_DOC_ID_SIZE]);
SANCTUM_WARN_UNUSED int sanctum_doc_id_from_hex(unsigned char id[SANCTUM_DOC_ID_SIZE],
                                                const char *hex);

/** Sets the title, type, and tags (copies). Return 0 or an error for invalid values. */
SANCTUM_WARN_UNUSED int sanctum_doc_set_title(sanctum_doc *doc, const char *title);
SANCTUM_WARN_UNUSED int sanctum_doc_set_type(sanctum_doc *doc, const char *type);
SANCTUM_WARN_UNUSED int sanctum_doc_add_tag(sanctum_doc *doc, const char *tag);

/**
 * Serialises, signs with `signer` and pads the revision into `out` (replacing its
 * contents; it holds plaintext: dispose of it). Sets doc->author, doc->hash and
 * doc->signer. Returns 0, SANCTUM_EINVALID (a field out of its limits) or ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_doc_seal(sanctum_buf *out, sanctum_doc *doc,
                                         const sanctum_identity *signer);

/**
 * Parses and verifies a revision's plaintext: the signature must verify against the key
 * it carries and `author` must be that key's fingerprint (whether the key belongs to a
 * member is the caller's rule). When `expected_id` is not NULL the id must equal it.
 * On failure `*problem` (if not NULL) says what was wrong and the error message names the
 * field. Returns 0, SANCTUM_EINVALID (format) or SANCTUM_EVERIFY (signature, author, id),
 * or SANCTUM_ENOMEM. `*out` is treated as uninitialised and overwritten: on success it
 * owns the fields (release with sanctum_doc_dispose), on failure it is SANCTUM_DOC_INIT.
 */
SANCTUM_WARN_UNUSED int sanctum_doc_open(sanctum_doc *out, sanctum_doc_problem *problem,
                                         const unsigned char *plaintext, size_t len,
                                         const unsigned char *expected_id);

/** Frees the owned fields (wiping the body) and resets to SANCTUM_DOC_INIT. */
void sanctum_doc_dispose(sanctum_doc *doc);

/**
 * The padded size for a plaintext of `len` bytes: PADME (Nikitin et al.), which leaks
 * O(log log len) bits and costs at most about 12% in size.
 */
size_t sanctum_doc_padded_size(size_t len);

#endif

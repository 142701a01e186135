/*
 * The store: one git repository per group, driven through libgit2.
 *
 * On disk a store is a folder holding `.sanctum/`, a bare git repository whose branch
 * `main` has only this tree (docs/format.md has every file's grammar):
 *
 *     group                 the group manifest, signed by the founder (the trust anchor)
 *     roster/NNNNNN         the membership log: one signed entry per change, hash-chained
 *     epochs/NNNNNN.age     the epoch's age identity, encrypted to its members
 *     docs/xx/ID.age        the current revision of a document, encrypted to an epoch
 *
 * and `.sanctum/sanctum/` for local state that is never pushed (the list index, the
 * lock). Every commit on main is signed (SSHSIG, namespace "git", in the gpgsig header)
 * by the member who made it; its author and committer are that member, and its message
 * has counts only, plus the trailers `Sanctum-Branch: main` and `Sanctum-Seq: N`.
 *
 * A store is not bound to an identity: each call that writes or reads documents takes the
 * identity to act as.
 */
#ifndef SANCTUM_STORE_H
#define SANCTUM_STORE_H

#include "buf.h"
#include "common.h"
#include "doc.h"
#include "identity.h"

#define SANCTUM_STORE_DIRNAME ".sanctum"
#define SANCTUM_STORE_BRANCH "main"
#define SANCTUM_STORE_MAX_DOC_FILE (320u << 20)   /* bigger document files are refused */

typedef struct sanctum_store sanctum_store;

/**
 * Creates a store in `dir` (created if missing; must not already hold a store) for a new
 * group called `group_name`, founded by `founder`: the manifest, roster entry 1 (the
 * founder, an admin), epoch 1 (a fresh age identity encrypted to the founder) in one
 * signed commit. Returns 0, SANCTUM_EEXISTS, SANCTUM_EINVALID or an I/O error.
 */
SANCTUM_WARN_UNUSED int sanctum_store_init(sanctum_store **out, const char *dir,
                                           const char *group_name,
                                           const sanctum_identity *founder);

/**
 * Opens the store in `dir`, or, when `discover` is set, in the nearest parent of `dir`
 * that holds one (as git finds a repository). Returns 0 or SANCTUM_ENOTFOUND.
 */
SANCTUM_WARN_UNUSED int sanctum_store_open(sanctum_store **out, const char *dir, int discover);

/** The folder holding `.sanctum`. Borrowed. */
const char *sanctum_store_path(const sanctum_store *store);

/** The group's name and id (32 hex digits). Borrowed. */
const char *sanctum_store_group_name(const sanctum_store *store);
const char *sanctum_store_group_id(const sanctum_store *store);

/** Main's head commit id in hex. Returns 0 or SANCTUM_ENOTFOUND (no commit yet). */
SANCTUM_WARN_UNUSED int sanctum_store_head(char out[41], sanctum_store *store);

/**
 * Whether main contains commit `hex` (is it or descends from it): 1 yes, 0 no (or the
 * commit is not in the store at all), or a negative error.
 */
SANCTUM_WARN_UNUSED int sanctum_store_contains(sanctum_store *store, const char *hex);

/** Releases the store (and its lock if held). NULL is fine. */
void sanctum_store_free(sanctum_store *store);

/* ---- documents ------------------------------------------------------------------- */

/** What to add: the body, its title, tags and type (type NULL: application/octet-stream). */
typedef struct {
	const unsigned char *body;
	size_t len;
	const char *title;
	const char *const *tags;
	size_t ntags;
	const char *type;
} sanctum_new_doc;

/**
 * Adds `count` documents in one signed commit as `author` (who must be a member), each
 * encrypted to the newest epoch. Writes the new ids to `ids` (room for `count`). All or
 * nothing: on failure main is unchanged and no ref moved.
 */
SANCTUM_WARN_UNUSED int sanctum_store_add(sanctum_store *store,
                                          unsigned char (*ids)[SANCTUM_DOC_ID_SIZE],
                                          const sanctum_new_doc *docs, size_t count,
                                          const sanctum_identity *author);

/**
 * Replaces a document's body (and, when not NULL, its title, tags and type) with a new
 * revision that names the current one as parent. `tags` NULL keeps the tags.
 */
SANCTUM_WARN_UNUSED int sanctum_store_update(sanctum_store *store,
                                             const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                             const sanctum_new_doc *changes,
                                             const sanctum_identity *author);

/** Deletes a document with a signed tombstone revision. */
SANCTUM_WARN_UNUSED int sanctum_store_remove(sanctum_store *store,
                                             const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                             const sanctum_identity *author);

/**
 * Reads and checks the current revision of a document: decrypts it, verifies its
 * signature, that its author is a member, and that its id matches its path. `out` is
 * disposed of by the caller. Returns 0, SANCTUM_ENOTFOUND, SANCTUM_EVERIFY or an age error.
 */
SANCTUM_WARN_UNUSED int sanctum_store_read(sanctum_doc *out, sanctum_store *store,
                                           const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                           const sanctum_identity *reader);

/**
 * Resolves a unique prefix (at least 4 hex digits) of a document id on main. Returns 0,
 * SANCTUM_ENOTFOUND, or SANCTUM_EINVALID when the prefix is ambiguous or malformed.
 */
SANCTUM_WARN_UNUSED int sanctum_store_resolve(unsigned char id[SANCTUM_DOC_ID_SIZE],
                                              sanctum_store *store, const char *prefix);

#endif

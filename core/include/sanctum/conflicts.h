/*
 * Conflicts: the losing revisions that a merge of two diverged copies kept under
 * conflicts/xx/ID/HASH.age (docs/format.md, "Merges and conflicts"), and resolving them.
 *
 * When both copies changed a document and its texts could not be merged, one revision
 * won and stays current; the other is kept whole, so nothing a member wrote is lost,
 * until a member resolves the document: a new revision, extending the current one, made
 * from a conflict revision, from the current one unchanged, or from a new body. The
 * same commit removes every conflict file of that document.
 */
#ifndef SANCTUM_CONFLICTS_H
#define SANCTUM_CONFLICTS_H

#include "common.h"
#include "doc.h"
#include "identity.h"
#include "store.h"

/** One losing revision kept under conflicts/. */
typedef struct {
	unsigned char id[SANCTUM_DOC_ID_SIZE];     /* the document */
	char *title;                               /* owned: the current revision's title */
	uint64_t current_rev;                      /* the current revision's number */
	unsigned char hash[SANCTUM_DOC_HASH_SIZE]; /* the losing revision's hash */
	uint64_t rev;                              /* the losing revision's number */
	char author[SANCTUM_FINGERPRINT_SIZE];     /* who signed the losing revision */
	int64_t time;                              /* its claimed time (seconds, UTC) */
	uint64_t size;                             /* its body bytes */
	int deleted;                               /* it is a tombstone */
} sanctum_conflict;

typedef struct {
	sanctum_conflict *items;                   /* owned, by document id, then hash */
	size_t count;
} sanctum_conflict_list;

/**
 * Lists the conflict revisions on main, each decrypted and checked as `reader` (a
 * member): its signature, its author a member, its id and hash those its path names.
 * Returns 0, SANCTUM_EVERIFY (not a member, or a conflict file that is not what its
 * name says), or an age error. `out` is empty on failure.
 */
SANCTUM_WARN_UNUSED int sanctum_store_conflicts(sanctum_conflict_list *out,
                                                sanctum_store *store,
                                                const sanctum_identity *reader);

void sanctum_conflict_list_dispose(sanctum_conflict_list *list);

/** How to resolve a document's conflicts. */
typedef enum {
	SANCTUM_RESOLVE_TAKE = 1,  /* a conflict revision's body, title, type, tags, state */
	SANCTUM_RESOLVE_CURRENT,   /* the current revision's content as it is */
	SANCTUM_RESOLVE_BODY       /* a new body (a live document); title, type, tags stay */
} sanctum_resolve_kind;

typedef struct {
	sanctum_resolve_kind kind;
	const char *hash;          /* TAKE: the conflict revision's hash, or a unique prefix of
	                              it (4 hex digits or more) */
	const unsigned char *body; /* BODY: the new body (NULL with len 0: empty) */
	size_t len;
} sanctum_resolution;

/**
 * Resolves document `id`: one signed commit as `author` (an active member) that writes
 * the next revision of the document (rev + 1, its parent the current revision) as `how`
 * says, and removes every conflicts/xx/ID/ file. Takes the store's lock. Returns 0,
 * SANCTUM_ENOTFOUND (no such document, it has no conflicts, or no conflict revision
 * starts with the prefix), SANCTUM_EINVALID (an ambiguous or malformed prefix, a body
 * too large), SANCTUM_EVERIFY (not a member), SANCTUM_ELOCKED. On failure main is
 * unchanged.
 */
SANCTUM_WARN_UNUSED int sanctum_store_conflict_resolve(sanctum_store *store,
                                                       const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                                       const sanctum_resolution *how,
                                                       const sanctum_identity *author);

#endif

/*
 * Verifying a store's history: every commit of main from the root, judged by the rules
 * of the group, walking only what each commit changed (tree diffs against its parent).
 */
#ifndef SANCTUM_VERIFY_H
#define SANCTUM_VERIFY_H

#include "store.h"

/** One problem found: the commit, the path (empty for the commit itself), the rule. */
typedef struct {
	char commit[41];
	const char *path;                      /* borrowed for the callback */
	const char *message;                   /* borrowed for the callback */
} sanctum_verify_problem;

typedef int (*sanctum_verify_fn)(const sanctum_verify_problem *problem, void *payload);

typedef struct {
	size_t commits;                        /* commits checked */
	size_t documents;                      /* document revisions decrypted and checked */
	size_t roster_entries;
	size_t unreadable;                     /* revisions in epochs this reader was never given */
	size_t problems;
} sanctum_verify_stats;

/**
 * Verifies main as `reader` (who must be able to read the documents): for each commit,
 * its signature (SSHSIG, namespace "git") by a member active in the roster as of its
 * parent, its author and committer, its branch and sequence trailers; only legal paths;
 * the manifest only in the root commit and never changed; roster entries only appended,
 * each valid; epoch files only with the roster entry that names them; each changed
 * document decrypts, its signature verifies, its author was a member, its id matches its
 * path, and it extends the revision it replaces; no document file ever disappears.
 * Epoch keys come from main's head, where every key a member holds is sealed to it. A
 * member added without history cannot decrypt documents of the epochs before it joined:
 * those are counted as unreadable, not as problems, when the reader lacks some epoch key;
 * a reader holding every epoch key reports any document it cannot decrypt as a problem.
 * Calls `fn` for each problem. Returns 0 when nothing failed, SANCTUM_EVERIFY when
 * something did, or another error if the store could not be read at all.
 */
SANCTUM_WARN_UNUSED int sanctum_store_verify(sanctum_verify_stats *stats, sanctum_store *store,
                                             const sanctum_identity *reader,
                                             sanctum_verify_fn fn, void *payload);

#endif

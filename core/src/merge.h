/*
 * Merging two diverged histories of main (docs/format.md, "Merges and conflicts"): a
 * three-way merge of the trees against their merge base, with the documents both sides
 * changed merged as texts or given a deterministic winner, the loser kept under
 * conflicts/. Used by pull once it has verified the fetched history.
 */
#ifndef SANCTUM_MERGE_H
#define SANCTUM_MERGE_H

#include "store_internal.h"

/** What a merge did, in counts (a commit message never names a document). */
typedef struct {
	size_t taken;          /* paths taken from theirs at tree level */
	size_t texts_merged;   /* documents merged into a new revision signed by the merger */
	size_t conflicts;      /* documents with a winner, the loser kept under conflicts/ */
} sanctum_merge_stats;

/**
 * Merges `theirs` into main, whose head is `ours`: builds the merged tree, writes the
 * merge revisions (signed by `author`, encrypted to the newest epoch of the merged
 * roster), and makes a signed merge commit with parents ours and theirs
 * (sanctum_store__commit_merge), moving main from `ours` to it; `out` is its id.
 *
 * The caller holds the store's lock (taken again here, nested), has verified `theirs`,
 * and has fast-forwarded instead when one commit contains the other. `stats` may be NULL.
 * Returns 0; SANCTUM_ECONFLICT when both sides changed the membership (group, roster/,
 * epochs/) or one proposal differently, the message naming both sides' newest roster
 * entry; SANCTUM_EVERIFY when `author` is not an active member of the merged roster or a
 * side breaks a rule of the store; SANCTUM_EINVALID when there is nothing to merge. On
 * any failure main is unchanged.
 */
int sanctum_store__merge(git_oid *out, sanctum_merge_stats *stats, sanctum_store *store,
                         git_commit *ours, git_commit *theirs, const sanctum_identity *author);

#endif

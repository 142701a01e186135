/*
 * What store_members.c, store_proposals.c and store_rekey.c share: committing a roster
 * entry with the epoch files that go with it, or committing it as a proposal.
 */
#ifndef SANCTUM_STORE_MEMBERS_INTERNAL_H
#define SANCTUM_STORE_MEMBERS_INTERNAL_H

#include "sanctum/members.h"
#include "store_internal.h"

#define SANCTUM_CHANGE_MAX_FILES 64
#define SANCTUM_PROPOSALS_DIR "proposals"

/** The files of one change, as tree updates. */
typedef struct {
	git_tree_update updates[SANCTUM_CHANGE_MAX_FILES];
	char paths[SANCTUM_CHANGE_MAX_FILES][64];
	size_t count;
} sanctum_change_files;

/** A new epoch that an entry starts: its key (when we made it) or its sealed file. */
typedef struct {
	const sanctum_age_identity *key;
	const git_oid *blob;
} sanctum_change_epoch;

/** Seals `key` (epoch `number`) to everyone `readers` lets read it; writes the blob. */
int sanctum_store__seal_epoch(git_oid *out, sanctum_store *store, const sanctum_roster *readers,
                              const sanctum_age_identity *key, uint64_t number,
                              const sanctum_identity *sealer);

/** Adds the removal of `path` to the change. */
int sanctum_store__change_remove(sanctum_change_files *f, const char *path);

/**
 * Commits a complete entry: roster/NNNNNN, the new epoch's file, and old epochs sealed
 * again for their new readers (opened by `sealer`), plus what `f` already holds.
 */
int sanctum_store__commit_entry(sanctum_store *store, const sanctum_snapshot *s,
                                const sanctum_buf *entry, const sanctum_change_epoch *epoch,
                                const sanctum_identity *sealer, sanctum_change_files *f,
                                const char *summary);

/** Commits an entry that lacks approvals as proposals/<id>/ (store_proposals.c). */
int sanctum_store__commit_proposal(sanctum_store *store, const sanctum_snapshot *s,
                                   const sanctum_buf *entry, const sanctum_change_epoch *epoch,
                                   const sanctum_identity *signer, sanctum_change_files *f);

/** Applies `entry` if it has its approvals, or proposes it. */
int sanctum_store__propose_or_apply(sanctum_store *store, const sanctum_snapshot *s,
                                    const sanctum_buf *entry, const sanctum_change_epoch *epoch,
                                    const sanctum_identity *signer, const char *summary,
                                    sanctum_change_result *result);

#endif

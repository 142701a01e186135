/*
 * Internals of history verification shared by verify.c (the walk and each commit),
 * verify_changes.c (what a commit changed) and verify_merge.c (the rules for merges).
 */
#ifndef SANCTUM_VERIFY_INTERNAL_H
#define SANCTUM_VERIFY_INTERNAL_H

#include "store_internal.h"

#include "sanctum/verify.h"

/* The roster after each verified commit, found by commit id. Rosters change rarely, so
 * commits share them: `rosters` owns each distinct one once. */
typedef struct {
	git_oid commit;
	size_t roster;                /* index into rosters */
} commit_state;

typedef struct {
	sanctum_store *store;
	const sanctum_identity *reader;
	sanctum_verify_fn fn;
	void *payload;
	sanctum_verify_stats *stats;
	commit_state *commits;        /* open-addressing table, size commits_cap (a power of 2) */
	size_t ncommits, commits_cap;
	sanctum_roster *rosters;
	size_t nrosters, rosters_cap;
	git_commit *head;             /* the newest commit judged: main's, or a fetched one */
	sanctum_age_identity **keys;  /* the epoch keys at that head this reader opened */
	size_t nkeys;
	int missing_epochs;           /* head epochs this reader cannot open, or bad ones */
	char head_problem[400];       /* why main's head could not be used for keys, or "" */
	int range;                    /* judging new commits on top of known ones (a pull) */
	int roots;
	int stopped;                  /* the callback asked to stop */
	int error;                    /* a failure to read the store at all */
} verifier;

/* One commit being judged: its tree, its first parent's, and for a merge the second. */
typedef struct {
	git_commit *commit;
	git_tree *tree, *parent_tree;
	const sanctum_roster *before;    /* the roster as of the first parent */
	git_tree *other_tree;            /* a merge's second parent's tree, else NULL */
	const sanctum_roster *other;     /* the roster as of the second parent, else NULL */
	const sanctum_roster *signers;   /* who may sign: `before`, or for a merge the longer
	                                    of the parents' rosters (the one it keeps) */
	git_tree *base_tree;             /* a merge's merge base, else NULL */
} change_ctx;

/** Reports one problem of `commit` (at `path`, or the commit itself when NULL). */
void sanctum_verify__problem(verifier *v, const git_oid *commit, const char *path,
                             const char *fmt, ...) SANCTUM_PRINTF(4, 5);

/** Whether `path` is docs/xx/<32 hex>.age with xx its first two digits; yields the id. */
int sanctum_verify__doc_path_id(unsigned char id[SANCTUM_DOC_ID_SIZE], const char *path);

/** Decrypts and checks the revision in blob `oid` (see sanctum_store__open_doc). */
int sanctum_verify__open_revision(sanctum_doc *out, verifier *v, const git_oid *oid,
                                  const unsigned char *id);

/** Whether the roster lets the verifier's reader hold epoch `number`. */
int sanctum_verify__reader_entitled(const verifier *v, const sanctum_roster *roster,
                                    uint64_t number);

/**
 * Judges every change of c->commit against its first parent, applying roster entries to
 * `after` (a copy of c->before); `*changed` is set when the roster moved.
 */
int sanctum_verify__changes(verifier *v, const change_ctx *c, sanctum_roster *after,
                            int *changed);

/** Whether `now` is the next revision after `old`: rev + 1, naming it as its parent. */
int sanctum_verify__extends(const sanctum_doc *now, const sanctum_doc *old);

/** The id of the blob at `path` in `tree`; 0 when there is none (or not a blob). */
int sanctum_verify__blob_at(git_oid *out, git_tree *tree, const char *path);

/**
 * Verifies the commits `tip` reaches and none of `known` does, as sanctum_store_verify
 * verifies main: `known` are commits already verified (main, the last verified heads of
 * remotes), whose trees' rosters are trusted as the starting point. Any root commit among
 * the new ones is refused: a store has one history.
 */
int sanctum_verify__range(sanctum_verify_stats *stats, sanctum_store *store, git_commit *tip,
                          const git_oid *known, size_t nknown, const sanctum_identity *reader,
                          sanctum_verify_fn fn, void *payload);

/* ---- merges (verify_merge.c) ---- */

/**
 * A merge's roster and epochs must each be one parent's as it stands: the merged roster
 * is the longer one, of which the other is a prefix. Sets `after` and `*changed`.
 */
int sanctum_verify__merge_roster(verifier *v, const change_ctx *c, sanctum_roster *after,
                                 int *changed);

/**
 * A merge must keep what each side wrote since the merge base: for every document either
 * side changed, the merge has that revision, or a revision naming it as a parent, or it
 * under conflicts/. Nothing a member wrote may vanish from the tree in a merge.
 */
int sanctum_verify__merge_keeps_both(verifier *v, const change_ctx *c);

/**
 * Judges a new revision `now` that a merge wrote at `path`, replacing `old` (first
 * parent's, NULL when it had none): it extends one parent's revision, or merges both
 * (its parent and merged hashes are the two parents' revisions, its rev one more than
 * the larger).
 */
void sanctum_verify__merge_revision(verifier *v, const change_ctx *c, const char *path,
                                    const unsigned char *id, const sanctum_doc *now,
                                    const sanctum_doc *old);

/**
 * Judges a change under conflicts/: added only by a merge, as the exact file a parent
 * had for that document, under its revision's hash; removed only with a new revision of
 * the document in the same commit, or by a merge whose other side removed it.
 */
void sanctum_verify__conflict_change(verifier *v, const change_ctx *c,
                                     const git_diff_delta *d);

#endif

/*
 * Internals of the store shared by store*.c: the struct, git helpers, the lock, and
 * signed commits.
 */
#ifndef SANCTUM_STORE_INTERNAL_H
#define SANCTUM_STORE_INTERNAL_H

#include "sanctum/store.h"

#include "epoch.h"
#include "manifest.h"
#include "roster.h"

#include <git2.h>

#define SANCTUM_STORE_LOCAL_DIR "sanctum"   /* local state inside .sanctum/ */
#define SANCTUM_ANCHOR_KEY "sanctum.anchor"  /* the pinned trust anchor, in the local config */

struct sanctum_store {
	char *path;                   /* the folder holding .sanctum */
	char *git_dir;                /* path/.sanctum */
	git_repository *repo;
	sanctum_manifest manifest;
	int lock_fd;                  /* -1 unless locked */
	int lock_depth;               /* nested sanctum_store__lock calls holding it */
	sanctum_age_identity **epoch_keys; /* epochs opened this session, by number - 1 */
	size_t nepoch_keys;
	unsigned char epoch_reader[SANCTUM_ED25519_PUBLIC_KEY_SIZE]; /* who opened them */
	sanctum_roster roster_cache;  /* the last roster replayed and verified, for the tree */
	git_oid roster_cache_group;   /* whose `group` blob and `roster` tree are these */
	git_oid roster_cache_tree;
	int has_roster_cache;
};

/** A store struct for `path` with nothing opened, or NULL when out of memory. */
sanctum_store *sanctum_store__alloc(const char *path);

/**
 * Allocates a store for `path` and creates its .sanctum folder, which must not exist
 * (SANCTUM_EEXISTS): init and join build a new store in it.
 */
int sanctum_store__claim(sanctum_store **out, const char *path);

/** Whether `dir` holds a store (a .sanctum repository). */
int sanctum_store__exists(const char *dir);

/** Records the group's trust anchor in the store's local configuration. */
int sanctum_store__pin_anchor(sanctum_store *store, const unsigned char anchor[32]);

/**
 * Creates the bare repository store->git_dir (which must be new or empty) with main as
 * its initial branch and sanctum.version = 1 in its config; sets store->repo.
 */
int sanctum_store__create_repository(sanctum_store *store);

/**
 * Removes the .sanctum folder of a store this process has just created (init, join) and
 * frees the handle. Only for a folder we made ourselves: it deletes all it holds.
 */
void sanctum_store__discard(sanctum_store *store);

/** Records the last libgit2 error under our context and returns SANCTUM_ERROR. */
int sanctum_store__git_error(const char *context);

/** Main's head commit. Returns 0 or SANCTUM_ENOTFOUND (no commit yet). */
int sanctum_store__head(git_commit **out, sanctum_store *store);

/** Reads the blob at `path` in `tree` into `out`, refusing one larger than `max`. */
int sanctum_store__read_blob(sanctum_buf *out, sanctum_store *store, git_tree *tree,
                             const char *path, size_t max);

/** Replays `group` and roster/ of `tree` into `out` (initialised here). */
int sanctum_store__load_roster(sanctum_roster *out, sanctum_store *store, git_tree *tree);

/**
 * Takes the store's lock (SANCTUM_ELOCKED when another process holds it). Nested calls
 * on one handle count: a sync holds it across the commits it makes; each lock call needs
 * its unlock.
 */
int sanctum_store__lock(sanctum_store *store);
void sanctum_store__unlock(sanctum_store *store);

/** The local-state folder .sanctum/sanctum, created if missing. Caller frees. */
char *sanctum_store__local_path(sanctum_store *store, const char *name);

/**
 * Applies `updates` to `parent`'s tree (or an empty tree), and makes a commit signed by
 * `author` with the message `summary` and the branch and sequence trailers; then moves
 * main from `parent` to it atomically (compare and swap). On failure main is unchanged.
 */
int sanctum_store__commit(git_oid *out, sanctum_store *store, git_commit *parent,
                          const git_tree_update *updates, size_t nupdates,
                          const sanctum_identity *author, const char *summary);

/**
 * Makes a signed merge commit of `tree` with parents `ours` (main's head) and `theirs`,
 * its sequence number one more than the larger of theirs, and moves main from `ours`
 * to it (compare and swap). On failure main is unchanged.
 */
int sanctum_store__commit_merge(git_oid *out, sanctum_store *store, git_commit *ours,
                                git_commit *theirs, git_tree *tree,
                                const sanctum_identity *author, const char *summary);

/** The Sanctum-Seq trailer of a commit, or 0 when it has none. */
uint64_t sanctum_store__commit_seq(const git_commit *commit);

/**
 * The epoch identity for `number` as `reader`, opened once per store handle and reader.
 * Borrowed: valid until the handle is freed or this is called as another reader, which
 * drops the keys cached for the previous one.
 */
int sanctum_store__epoch_key(const sanctum_age_identity **out, sanctum_store *store,
                             const sanctum_roster *roster, git_tree *tree, uint64_t number,
                             const sanctum_identity *reader);

/**
 * Whether `who` is a member of `roster` (an active one when `must_be_active`). Returns 0
 * or SANCTUM_EVERIFY naming the identity.
 */
int sanctum_store__check_member(const sanctum_roster *roster, const sanctum_identity *who,
                                int must_be_active);

/**
 * Decrypts and checks one document file (`file`, the blob at `path` of `tree`) as
 * `reader`: with the epoch keys of `roster` newest first, then sanctum_doc_open with the
 * id its path names, and its author must be in `roster`. `out` is disposed of on failure
 * and, when `path` is not NULL, every error message names it. Returns 0, SANCTUM_EVERIFY, SANCTUM_EINVALID or an
 * age error (SANCTUM_ENOMATCH: no epoch this reader can open fits the file).
 */
int sanctum_store__open_doc(sanctum_doc *out, sanctum_store *store, const sanctum_roster *roster,
                            git_tree *tree, const char *path,
                            const unsigned char id[SANCTUM_DOC_ID_SIZE],
                            const unsigned char *file, size_t len,
                            const sanctum_identity *reader);

/** The state every change starts from: main's head, its tree, and the roster there. */
typedef struct {
	git_commit *head;
	git_tree *tree;
	sanctum_roster roster;
} sanctum_snapshot;

/** Loads main's head, tree and roster. */
int sanctum_store__snapshot_load(sanctum_snapshot *s, sanctum_store *store);
void sanctum_store__snapshot_dispose(sanctum_snapshot *s);

/**
 * Decrypts and checks the current revision of document `id` in the snapshot's tree as
 * `reader` (sanctum_store__open_doc). SANCTUM_ENOTFOUND names the id when there is none.
 */
int sanctum_store__read_current(sanctum_doc *out, sanctum_store *store,
                                const sanctum_snapshot *s,
                                const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                const sanctum_identity *reader);

/** The path "docs/xx/<hex id>.age" of a document (48 bytes of room). */
void sanctum_store__doc_path(char out[48], const unsigned char id[SANCTUM_DOC_ID_SIZE]);

/**
 * Seals `doc` as `author` (its time set to now; seal sets its hash), encrypts it to the
 * newest epoch of `roster` and writes it as a blob, whose id goes to `out`. Moves no ref.
 */
int sanctum_store__write_revision(git_oid *out, sanctum_store *store,
                                  const sanctum_roster *roster, sanctum_doc *doc,
                                  const sanctum_identity *author);

#endif

/*
 * Hostile histories for the unit tests of verification (test_verify.c) and pull
 * (test_pull.c): a store in a temporary folder with a known history, and builders that
 * write into its repository with libgit2 directly, as a host or a rogue member could:
 * blobs, signed and unsigned commits with any parents, message, date and signer, forged
 * revisions, roster entries. Every builder asserts (cmocka) instead of returning errors.
 *
 * hostile_setup founds the store with this history on main:
 *
 *     1  group created           manifest, roster/000001, epochs/000001.age
 *     2  2 added                 a (rev 1), b (rev 1)
 *     3  1 added                 c (rev 1)
 *     4  1 updated               a (rev 2)
 *     5  1 removed               b (rev 2, a tombstone)
 */
#ifndef SANCTUM_TEST_HOSTILE_H
#define SANCTUM_TEST_HOSTILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "sanctum/store.h"
#include "sanctum/verify.h"

#include "roster.h"

#define GROUP "river-cities"
#define MAIN_REF "refs/heads/" SANCTUM_STORE_BRANCH
#define MAX_SEEN 16
#define CLEAN_COMMITS 5
#define CLEAN_DOCUMENTS 5     /* revisions the clean history changed: a, b, c, a, b */

/* One problem a verification callback reported, copied. */
typedef struct {
	char commit[41];
	char path[128];
	char message[600];
} seen_problem;

/* A store (the host's copy) and the identities that write into it. */
typedef struct {
	char root[PATH_MAX];                  /* the temporary folder, removed by teardown */
	char dir[PATH_MAX];                   /* the store's folder: root or a folder in it */
	sanctum_identity *founder;
	sanctum_identity *stranger;           /* never in the roster */
	sanctum_identity *member;             /* not in the roster until a test adds it */
	sanctum_store *store;
	git_repository *host;                 /* the same repository, opened as a host would */
	unsigned char a[SANCTUM_DOC_ID_SIZE]; /* rev 2 */
	unsigned char b[SANCTUM_DOC_ID_SIZE]; /* deleted (a tombstone at rev 2) */
	unsigned char c[SANCTUM_DOC_ID_SIZE]; /* rev 1 */
	char path_a[48], path_b[48], path_c[48];
	git_oid a_rev1;                       /* the blob of a's first revision */
	char new_path[48];                    /* the last honest_new_doc's path */
	/* what the problem callback saw */
	seen_problem seen[MAX_SEEN];
	size_t nseen, calls, stop_after;      /* stop_after: return -1 at that call (0: never) */
	sanctum_verify_stats stats;
} fixture;

/* ---- the fixture ---- */

/**
 * Makes a temporary folder named `prefix`-XXXXXX (under $TMPDIR or /tmp) and the store
 * with the history above in it, or in its folder `subdir` when not NULL. Returns 0 or -1
 * (sanctum_error_last says why); hostile_teardown cleans up either way.
 */
int hostile_setup(fixture *f, const char *prefix, const char *subdir);

/** Frees what hostile_setup made and removes the temporary folder (not `f` itself). */
void hostile_teardown(fixture *f);

/** Copies the folder `from` (files, folders, modes) to `to`, which must not exist. */
int copy_tree(const char *from, const char *to);

/* ---- problems reported ---- */

/** A sanctum_verify_fn recording each problem in the fixture (`payload`). */
int on_problem(const sanctum_verify_problem *p, void *payload);

/** Prints the problems seen. */
void dump_seen(const fixture *f);

/** Asserts that one of the problems seen is at `commit` and `path` and says `fragment`. */
void expect_problem(const fixture *f, const git_oid *commit, const char *path,
                    const char *fragment);

/* ---- reading ---- */

sanctum_new_doc new_doc(const char *title, const char *body);

/** The blob at `path` in main's head of `repo`. Returns 0 or -1. */
int blob_at(git_oid *out, git_repository *repo, const char *path);

git_oid head_id(fixture *f);
uint64_t head_seq(fixture *f);

/** The roster as of main's head. */
void head_roster(fixture *f, sanctum_roster *roster);

/** The hash and rev of a document's current revision (read as the founder). */
void current_hash(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                  unsigned char hash[SANCTUM_DOC_HASH_SIZE], uint64_t *rev);

/** The decrypted plaintext of a document file on main (as the founder). Dispose of it. */
void revision_plaintext(fixture *f, const git_oid *blob, sanctum_buf *plain);

void fingerprint_of(char out[SANCTUM_FINGERPRINT_SIZE], const sanctum_identity *who);

/* ---- writing blobs and revisions ---- */

git_oid put_blob(fixture *f, const void *data, size_t len);
git_tree_update upsert(const char *path, git_oid id);
git_tree_update removal(const char *path);

/** Bytes age-encrypted to the newest epoch of main's head, as a blob. */
git_oid encrypt_to_epoch(fixture *f, const void *data, size_t len);

/** A revision of document `id` sealed by `signer`, encrypted as store_docs.c does. */
git_oid sealed_revision(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE], uint64_t rev,
                        const unsigned char *parent, const sanctum_identity *signer);

/**
 * As sealed_revision, with the body `body`, the second parent `merged` (NULL: none),
 * and the revision's hash written to `hash` (when not NULL).
 */
git_oid sealed_revision_with(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                             uint64_t rev, const unsigned char *parent,
                             const unsigned char *merged, const char *body,
                             const sanctum_identity *signer,
                             unsigned char hash[SANCTUM_DOC_HASH_SIZE]);

/** A roster entry, next after main's head, adding `who` (admin or not), signed by `signer`. */
git_oid roster_entry(fixture *f, const sanctum_identity *who, int admin,
                     const sanctum_identity *signer);

void random_doc_path(char out[48], unsigned char id[SANCTUM_DOC_ID_SIZE]);

/** An honest new document (rev 1, sealed by the founder): a change nothing is wrong with. */
git_tree_update honest_new_doc(fixture *f);

/* ---- commits ---- */

/** A commit of `updates` on main, properly signed by `who` (member or not). */
git_oid commit_signed(fixture *f, const sanctum_identity *who, const git_tree_update *updates,
                      size_t n);

/** A message as sanctum_store__commit writes it, with this branch and sequence number. */
void usual_message(char *out, size_t cap, const char *branch, uint64_t seq);

/*
 * A commit made by hand, as a host could: `updates` on main's tree with `message`, its
 * author and committer named as `as` (a member's commits name the member), signed by
 * `signer` under `namespace` (no signature when `signer` is NULL); main is then forced to
 * it.
 */
git_oid commit_by_hand(fixture *f, const git_tree_update *updates, size_t n,
                       const char *message, const sanctum_identity *as,
                       const sanctum_identity *signer, const char *namespace);

/**
 * As commit_by_hand, with any parents (`updates` apply to the first one's tree; no
 * parent: an empty tree) and author and committer time `when`; main is forced to it.
 */
git_oid commit_by_hand_on(fixture *f, const git_oid *parents, size_t nparents,
                          const git_tree_update *updates, size_t n, const char *message,
                          const sanctum_identity *as, const sanctum_identity *signer,
                          const char *namespace, int64_t when);

/** Forces main to `commit`, as a host rewinding or rewriting it. */
void force_main(fixture *f, const git_oid *commit);

/** `who` added by the founder the way `sanctum member add` does (entry and resealed epochs). */
void add_member(fixture *f, const sanctum_identity *who, int admin);

#endif

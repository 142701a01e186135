/*
 * Syncing a store with named git remotes: push, pull (verify first, then merge), sync.
 *
 * Remotes are kept in the store's git configuration as `remote.NAME.url`, as git keeps
 * them, with optional `remote.NAME.sshKey` (a private key file for ssh://; otherwise the
 * ssh-agent is asked). https:// credentials come from git's credential helpers
 * (`git credential fill`). Pulls fetch main into refs/sanctum/quarantine/NAME and change
 * nothing else until every new commit is verified; the last verified head of each
 * remote is kept in refs/sanctum/verified/NAME, and a remote whose main no longer
 * descends from it is refused as a possible rollback.
 */
#ifndef SANCTUM_SYNC_H
#define SANCTUM_SYNC_H

#include "store.h"
#include "verify.h"

#define SANCTUM_REMOTE_NAME_MAX 64
#define SANCTUM_SYNC_DEFAULT_MAX_FETCH (2048ull << 20) /* bytes one fetch may bring */
#define SANCTUM_SYNC_PUSH_RETRIES 3                    /* pull-merge-push rounds in sync */

/* ---- remotes ---------------------------------------------------------------------- */

typedef struct {
	char name[SANCTUM_REMOTE_NAME_MAX + 1];
	char *url;                     /* owned */
	char verified[41];             /* last verified head, or "" */
} sanctum_remote_info;

/**
 * Adds remote `name` (letters, digits, '-', '_' and '.', not starting with '.' or '-')
 * for `url`: a path, file://, git://, ssh:// (or host:path) or http(s):// URL. Returns 0,
 * SANCTUM_EEXISTS or SANCTUM_EINVALID.
 */
SANCTUM_WARN_UNUSED int sanctum_remote_add(sanctum_store *store, const char *name,
                                           const char *url);

/** Removes a remote, its quarantine and its record of the last verified head. */
SANCTUM_WARN_UNUSED int sanctum_remote_remove(sanctum_store *store, const char *name);

/** The store's remotes, sorted by name. Free with sanctum_remote_list_free. */
SANCTUM_WARN_UNUSED int sanctum_remote_list(sanctum_remote_info **out, size_t *count,
                                            sanctum_store *store);
void sanctum_remote_list_free(sanctum_remote_info *list, size_t count);

/* ---- progress and options ----------------------------------------------------------- */

typedef enum {
	SANCTUM_SYNC_FETCHING,         /* objects and bytes received */
	SANCTUM_SYNC_VERIFYING,        /* commits and documents checked */
	SANCTUM_SYNC_PUSHING           /* objects and bytes sent */
} sanctum_sync_stage;

typedef struct {
	sanctum_sync_stage stage;
	const char *remote;
	size_t done, total;            /* objects (fetch, push) or commits (verify) */
	size_t bytes;
	size_t documents;
} sanctum_sync_progress;

/** Progress callback; a negative return cancels the operation (nothing changes). */
typedef int (*sanctum_sync_progress_fn)(const sanctum_sync_progress *progress, void *payload);

typedef struct {
	int allow_rewind;              /* accept a remote head that dropped verified commits */
	unsigned long long max_fetch_bytes; /* 0: SANCTUM_SYNC_DEFAULT_MAX_FETCH */
	sanctum_sync_progress_fn progress;
	sanctum_verify_fn problem;     /* each verification problem found in a pull */
	void *payload;                 /* for both callbacks */
} sanctum_sync_options;

#define SANCTUM_SYNC_OPTIONS_INIT { 0, 0, NULL, NULL, NULL }

/* ---- pull, push, sync --------------------------------------------------------------- */

typedef enum {
	SANCTUM_PULL_UP_TO_DATE,       /* the remote had nothing main lacks */
	SANCTUM_PULL_EMPTY,            /* the remote has no main yet */
	SANCTUM_PULL_FAST_FORWARD,     /* main moved to the remote's head */
	SANCTUM_PULL_MERGED            /* main and the remote were merged */
} sanctum_pull_outcome;

typedef struct {
	sanctum_pull_outcome outcome;
	char old_head[41], new_head[41], remote_head[41];
	size_t objects, bytes;         /* received */
	sanctum_verify_stats verified; /* the new commits checked */
	size_t texts_merged, conflicts; /* from a merge */
	int rewound;                   /* a rollback was accepted with allow_rewind */
} sanctum_pull_result;

/**
 * Pulls main from remote `name` as `member`: fetches into the quarantine ref, checks
 * the rollback record, verifies every new commit, then fast-forwards or merges main
 * (a signed merge commit by `member`). Holds the store's lock throughout. On any
 * failure main is unchanged; refused objects stay under refs/sanctum/quarantine/NAME.
 * Returns 0, SANCTUM_ENOTFOUND (no such remote), SANCTUM_ENETWORK, SANCTUM_EVERIFY,
 * SANCTUM_EROLLBACK, SANCTUM_ECONFLICT (a merge that needs a person), SANCTUM_ELOCKED.
 */
SANCTUM_WARN_UNUSED int sanctum_store_pull(sanctum_pull_result *result, sanctum_store *store,
                                           const char *name, const sanctum_identity *member,
                                           const sanctum_sync_options *options);

typedef enum {
	SANCTUM_PUSH_UP_TO_DATE,       /* the remote already had main */
	SANCTUM_PUSH_PUSHED
} sanctum_push_outcome;

typedef struct {
	sanctum_push_outcome outcome;
	char old_head[41], new_head[41]; /* the remote's main before ("" if none) and after */
	size_t objects, bytes;         /* sent */
} sanctum_push_result;

/**
 * Pushes main to remote `name` (never forced). Returns 0, SANCTUM_ENOTFOUND,
 * SANCTUM_ENETWORK, SANCTUM_ECONFLICT (the remote has commits main lacks: pull first),
 * SANCTUM_ELOCKED.
 */
SANCTUM_WARN_UNUSED int sanctum_store_push(sanctum_push_result *result, sanctum_store *store,
                                           const char *name, const sanctum_sync_options *options);

typedef struct {
	sanctum_pull_result pull;      /* the last pull */
	sanctum_push_result push;
	int rounds;                    /* pulls made (1 + retries after a rejected push) */
} sanctum_sync_result;

/**
 * Pull, then push; when the push is rejected because the remote moved meanwhile, pull
 * (and merge) again and retry, at most SANCTUM_SYNC_PUSH_RETRIES times.
 */
SANCTUM_WARN_UNUSED int sanctum_store_sync(sanctum_sync_result *result, sanctum_store *store,
                                           const char *name, const sanctum_identity *member,
                                           const sanctum_sync_options *options);

/* ---- what a run came to, for timers, logs and exit codes ------------------------------ */

typedef enum {
	SANCTUM_SYNC_CHANGED,          /* main or the remote moved */
	SANCTUM_SYNC_NOTHING,          /* both already had everything */
	SANCTUM_SYNC_REFUSED,          /* verification or the rollback record refused it */
	SANCTUM_SYNC_NETWORK,          /* the remote could not be reached */
	SANCTUM_SYNC_LOCKED,           /* another process held the store */
	SANCTUM_SYNC_FAILED            /* anything else */
} sanctum_sync_verdict;

/**
 * The verdict of a pull, push or sync that returned `code`; `pull` and `push` (NULL when
 * not done) tell "changed" from "nothing" when it succeeded.
 */
sanctum_sync_verdict sanctum_sync_verdict_of(int code, const sanctum_pull_result *pull,
                                             const sanctum_push_result *push);

/** "changed", "nothing", "refused", "network", "locked", "failed". Static. */
const char *sanctum_sync_verdict_name(sanctum_sync_verdict verdict);

/** The verdict of a name sanctum_sync_verdict_name gave; SANCTUM_SYNC_FAILED if none. */
sanctum_sync_verdict sanctum_sync_verdict_parse(const char *name);

#endif

/*
 * Internals of sync shared by remote.c, remote_auth.c, sync_transfer.c, sync_pull.c and
 * sync.c.
 */
#ifndef SANCTUM_SYNC_INTERNAL_H
#define SANCTUM_SYNC_INTERNAL_H

#include "store_internal.h"

#include "sanctum/sync.h"

#define SANCTUM_VERIFIED_REFS "refs/sanctum/verified/"
#define SANCTUM_QUARANTINE_REFS "refs/sanctum/quarantine/"

/** Returns 0 for a valid remote name, else SANCTUM_EINVALID with the rule. */
int sanctum_remote__check_name(const char *name);

/** remote.NAME.url (caller frees). Returns 0, SANCTUM_ENOTFOUND or SANCTUM_EINVALID. */
int sanctum_remote__url(char **out, sanctum_store *store, const char *name);

/** remote.NAME.sshKey, or NULL when unset. Caller frees. */
char *sanctum_remote__ssh_key(sanctum_store *store, const char *name);

/** One conversation with a remote: its URL, credentials, limits and counters. */
typedef struct {
	sanctum_store *store;
	const char *name;
	char *url;                     /* as configured */
	char *target;                  /* what libgit2 is given (a store folder's .sanctum) */
	char *ssh_key;                 /* remote.NAME.sshKey or NULL */
	const sanctum_sync_options *options;
	unsigned long long max_bytes;
	int over_limit;                /* the fetch passed max_bytes */
	int cancelled;                 /* the progress callback asked to stop */
	int ssh_tries, agent_tried, helper_tried;
	size_t objects, bytes;
	char rejected[200];            /* the server's reason for refusing a pushed ref */
} sanctum_transfer;

int sanctum_transfer__open(sanctum_transfer *t, sanctum_store *store, const char *name,
                           const sanctum_sync_options *options);
void sanctum_transfer__close(sanctum_transfer *t);

/**
 * A transfer for a URL that is not (yet) a named remote, as join fetches: the ssh-agent
 * and git's credential helpers, the default fetch limit, no progress. Nothing to close.
 */
void sanctum_transfer__anonymous(sanctum_transfer *t, sanctum_store *store, const char *url);

/** Fills libgit2 callbacks (credentials, progress, limits, push status) for `t`. */
void sanctum_transfer__callbacks(git_remote_callbacks *callbacks, sanctum_transfer *t);

/** The credential callback (remote_auth.c). */
int sanctum_transfer__credentials(git_credential **out, const char *url,
                                  const char *username_from_url, unsigned int allowed,
                                  void *payload);

/**
 * Fetches the remote's main into refs/sanctum/quarantine/NAME. `*head` is its id, or
 * zero when the remote has no main. Returns 0 or SANCTUM_ENETWORK / SANCTUM_ERROR with
 * a message naming the remote.
 */
int sanctum_transfer__fetch(git_oid *head, sanctum_transfer *t);

/**
 * Pushes `head` (main) to the remote's main, never forced; nothing when the remote has
 * it already. `*old_head` is what the remote had (zero: nothing). Records `head` as the
 * remote's verified head. Returns 0, SANCTUM_ECONFLICT (not a fast-forward) or
 * SANCTUM_ENETWORK.
 */
int sanctum_transfer__push(git_oid *old_head, sanctum_transfer *t, const git_oid *head);

/** Records `head` as the last verified head of remote `name`. */
int sanctum_sync__record_verified(sanctum_store *store, const char *name, const git_oid *head);

/** Whether durable writes are on: fsync of objects and refs (GIT_OPT_ENABLE_FSYNC_GITDIR). */
void sanctum_sync__durable_writes(void);

#endif

/*
 * Push, and sync (pull, then push; when the push loses a race with another city, pull
 * and merge again and retry a bounded number of times).
 */
#include "sync_internal.h"

#include "errors_internal.h"

#include <stdio.h>
#include <string.h>

static int push_locked(sanctum_push_result *result, sanctum_store *store, const char *name,
                       const sanctum_sync_options *options)
{
	sanctum_transfer t;
	git_oid head, old;
	int error;

	if ((error = sanctum_transfer__open(&t, store, name, options)) < 0)
		return error;
	if (git_reference_name_to_id(&head, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH) < 0)
		error = sanctum_store__git_error("the store has no main branch to push");
	if (error == 0)
		error = sanctum_transfer__push(&old, &t, &head);
	if (error == 0) {
		result->outcome = git_oid_equal(&old, &head) ? SANCTUM_PUSH_UP_TO_DATE
		                                             : SANCTUM_PUSH_PUSHED;
		if (!git_oid_is_zero(&old))
			git_oid_tostr(result->old_head, sizeof(result->old_head), &old);
		git_oid_tostr(result->new_head, sizeof(result->new_head), &head);
		result->objects = t.objects;
		result->bytes = t.bytes;
	}
	sanctum_transfer__close(&t);
	return error;
}

int sanctum_store_push(sanctum_push_result *result, sanctum_store *store, const char *name,
                       const sanctum_sync_options *options)
{
	int error;

	memset(result, 0, sizeof(*result));
	if (!store || !name)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_store_push needs a store and a remote");
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	sanctum_sync__durable_writes();
	error = push_locked(result, store, name, options);
	sanctum_store__unlock(store);
	return error;
}

/* After a pull that left main exactly at the remote's head there is nothing to push. */
static int remote_has_main(const sanctum_pull_result *pull, sanctum_push_result *push)
{
	if (pull->outcome == SANCTUM_PULL_EMPTY || strcmp(pull->new_head, pull->remote_head) != 0)
		return 0;
	memset(push, 0, sizeof(*push));
	push->outcome = SANCTUM_PUSH_UP_TO_DATE;
	snprintf(push->old_head, sizeof(push->old_head), "%s", pull->remote_head);
	snprintf(push->new_head, sizeof(push->new_head), "%s", pull->remote_head);
	return 1;
}

int sanctum_store_sync(sanctum_sync_result *result, sanctum_store *store, const char *name,
                       const sanctum_identity *member, const sanctum_sync_options *options)
{
	int error;

	memset(result, 0, sizeof(*result));
	if (!store || !name || !member)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_store_sync needs a store, a remote and a member");
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	for (;;) {
		result->rounds++;
		error = sanctum_store_pull(&result->pull, store, name, member, options);
		if (error < 0 || remote_has_main(&result->pull, &result->push))
			break;
		error = sanctum_store_push(&result->push, store, name, options);
		/* Rejected: another city pushed between our pull and push. Pull it, merge, retry. */
		if (error != SANCTUM_ECONFLICT || result->rounds > SANCTUM_SYNC_PUSH_RETRIES)
			break;
		sanctum_error_clear();
	}
	sanctum_store__unlock(store);
	return error;
}

/* ---- verdicts ---- */

static const char *const verdict_names[] = { "changed", "nothing", "refused", "network",
                                             "locked", "failed" };

sanctum_sync_verdict sanctum_sync_verdict_of(int code, const sanctum_pull_result *pull,
                                             const sanctum_push_result *push)
{
	switch (code) {
	case 0: break;
	case SANCTUM_EVERIFY: case SANCTUM_EROLLBACK: return SANCTUM_SYNC_REFUSED;
	case SANCTUM_ENETWORK: return SANCTUM_SYNC_NETWORK;
	case SANCTUM_ELOCKED: return SANCTUM_SYNC_LOCKED;
	default: return SANCTUM_SYNC_FAILED;
	}
	if ((pull && (pull->outcome == SANCTUM_PULL_FAST_FORWARD ||
	              pull->outcome == SANCTUM_PULL_MERGED)) ||
	    (push && push->outcome == SANCTUM_PUSH_PUSHED))
		return SANCTUM_SYNC_CHANGED;
	return SANCTUM_SYNC_NOTHING;
}

const char *sanctum_sync_verdict_name(sanctum_sync_verdict verdict)
{
	return (unsigned)verdict < sizeof(verdict_names) / sizeof(verdict_names[0])
	               ? verdict_names[verdict] : "failed";
}

sanctum_sync_verdict sanctum_sync_verdict_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++)
		if (strcmp(name, verdict_names[i]) == 0)
			return (sanctum_sync_verdict)i;
	return SANCTUM_SYNC_FAILED;
}

/*
 * Talking to a remote through libgit2: fetching its main into the quarantine ref and
 * pushing main. libgit2 speaks every transport (local paths, git://, ssh://, http(s)://);
 * this file adds the limits, the credentials and error messages that say which remote
 * failed and what to try.
 */
#include "sync_internal.h"

#include "errors_internal.h"
#include "remote_url.h"

#define TRANSFER_QUOTE_MAX 300

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * libgit2 writes to sockets with plain send(): a server that hangs up mid-pack would kill
 * the process with SIGPIPE. Blocked on this thread while we talk, and a SIGPIPE raised
 * meanwhile is taken off the queue before the old mask comes back; libgit2 sees EPIPE.
 */
typedef struct {
	sigset_t old;
	int was_pending;
} pipe_guard;

static void guard_pipe(pipe_guard *g)
{
	sigset_t pipe, pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
	g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
}

static void release_pipe(pipe_guard *g)
{
	sigset_t pipe, pending;
	struct timespec none = { 0, 0 };

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	if (!g->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe, NULL, &none);
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

void sanctum_sync__durable_writes(void)
{
	/* As git's core.fsync: objects, packs and refs reach the disk before success. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
}

int sanctum_transfer__open(sanctum_transfer *t, sanctum_store *store, const char *name,
                           const sanctum_sync_options *options)
{
	static const sanctum_sync_options defaults = SANCTUM_SYNC_OPTIONS_INIT;
	char target[PATH_MAX];
	const char *why = NULL;
	int error;

	memset(t, 0, sizeof(*t));
	t->store = store;
	t->name = name;
	t->options = options ? options : &defaults;
	t->max_bytes = t->options->max_fetch_bytes ? t->options->max_fetch_bytes
	                                           : SANCTUM_SYNC_DEFAULT_MAX_FETCH;
	if ((error = sanctum_remote__url(&t->url, store, name)) < 0)
		return error;
	if (sanctum_remote__target(target, t->url, &why) < 0) {
		error = sanctum_error__set(SANCTUM_ENETWORK, SANCTUM_ERRCLASS_INVALID,
		                           "remote '%s' (%s): %s", name, t->url, why);
		sanctum_transfer__close(t);
		return error;
	}
	t->ssh_key = sanctum_remote__ssh_key(store, name);
	if (!(t->target = strdup(target))) {
		sanctum_transfer__close(t);
		return sanctum_error__nomem();
	}
	return 0;
}

void sanctum_transfer__anonymous(sanctum_transfer *t, sanctum_store *store, const char *url)
{
	/* The url only names the connection in messages; libgit2 is given it directly. */
	static const sanctum_sync_options defaults = SANCTUM_SYNC_OPTIONS_INIT;

	memset(t, 0, sizeof(*t));
	t->store = store;
	t->name = "(invitation)";
	t->options = &defaults;
	t->max_bytes = SANCTUM_SYNC_DEFAULT_MAX_FETCH;
	t->url = (char *)url; /* borrowed: never freed, anonymous transfers are not closed */
}

void sanctum_transfer__close(sanctum_transfer *t)
{
	free(t->url);
	free(t->target);
	free(t->ssh_key);
	t->url = t->target = t->ssh_key = NULL;
}

static int report(sanctum_transfer *t, sanctum_sync_stage stage, size_t done, size_t total,
                  size_t bytes)
{
	sanctum_sync_progress p = { stage, t->name, done, total, bytes, 0 };

	if (t->options->progress && t->options->progress(&p, t->options->payload) < 0) {
		t->cancelled = 1;
		return -1;
	}
	return 0;
}

static int on_fetch_progress(const git_indexer_progress *stats, void *payload)
{
	sanctum_transfer *t = payload;

	t->objects = stats->received_objects;
	t->bytes = stats->received_bytes;
	/* Stop an endless or oversized pack before it fills the disk. */
	if ((unsigned long long)stats->received_bytes > t->max_bytes) {
		t->over_limit = 1;
		return -1;
	}
	return report(t, SANCTUM_SYNC_FETCHING, stats->received_objects, stats->total_objects,
	              stats->received_bytes);
}

static int on_push_progress(unsigned int current, unsigned int total, size_t bytes,
                            void *payload)
{
	sanctum_transfer *t = payload;

	t->objects = current;
	t->bytes = bytes;
	return report(t, SANCTUM_SYNC_PUSHING, current, total, bytes);
}

static int on_push_status(const char *ref, const char *status, void *payload)
{
	sanctum_transfer *t = payload;

	(void)ref;
	if (status)
		snprintf(t->rejected, sizeof(t->rejected), "%s", status);
	return 0;
}

void sanctum_transfer__callbacks(git_remote_callbacks *cb, sanctum_transfer *t)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = sanctum_transfer__credentials;
	cb->transfer_progress = on_fetch_progress;
	cb->push_transfer_progress = on_push_progress;
	cb->push_update_reference = on_push_status;
	cb->payload = t;
}

/* Turns libgit2's failure into one message naming the remote and what to do. */
static int transfer_error(sanctum_transfer *t, int rc, const char *doing)
{
	const git_error *e = git_error_last();
	const char *why = e && e->message ? e->message : "unknown error";
	char quoted[TRANSFER_QUOTE_MAX + 4];
	int code = SANCTUM_ENETWORK;

	/* Long enough for a path: a lock file's is what the operator needs to see. */
	sanctum_error__quote(quoted, (const unsigned char *)why, strlen(why), TRANSFER_QUOTE_MAX);
	if (t->over_limit)
		code = sanctum_error__set(SANCTUM_ENETWORK, SANCTUM_ERRCLASS_GIT,
		                          "%s remote '%s' stopped: it sent more than %llu bytes; if "
		                          "the store is really that large, raise --max-fetch",
		                          doing, t->name, t->max_bytes);
	else if (t->cancelled)
		code = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT, "%s remote '%s' was "
		                          "cancelled", doing, t->name);
	else if (rc == GIT_EAUTH || (e && e->klass == GIT_ERROR_SSH && strstr(why, "auth")))
		code = sanctum_error__set(SANCTUM_ENETWORK, SANCTUM_ERRCLASS_GIT,
		                          "%s remote '%s' (%s): authentication failed: %s; %s", doing,
		                          t->name, t->url, quoted, strncmp(t->url, "http", 4) == 0
		                          ? "check git's credential helper (git credential fill)"
		                          : "check the ssh key (remote NAME's sshKey setting) and the "
		                            "ssh-agent");
	else if (rc == GIT_ECERTIFICATE && strncmp(t->url, "http", 4) == 0)
		code = sanctum_error__set(SANCTUM_ENETWORK, SANCTUM_ERRCLASS_GIT,
		                          "%s remote '%s' (%s): the server's certificate is not "
		                          "trusted: %s; check the system's CA certificates", doing,
		                          t->name, t->url, quoted);
	else if (rc == GIT_ECERTIFICATE)
		code = sanctum_error__set(SANCTUM_ENETWORK, SANCTUM_ERRCLASS_GIT,
		                          "%s remote '%s' (%s): the server's host key is not trusted: "
		                          "%s; add it to ~/.ssh/known_hosts (ssh-keyscan, checked by hand)",
		                          doing, t->name, t->url, quoted);
	else if (strstr(why, "failed to lock file"))
		code = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT,
		                          "%s remote '%s' (%s) failed: %s; a git process holds that "
		                          "lock, or one that died left it: remove the file if none "
		                          "runs", doing, t->name, t->url, quoted);
	else
		code = sanctum_error__set(SANCTUM_ENETWORK, SANCTUM_ERRCLASS_GIT,
		                          "%s remote '%s' (%s) failed: %s; check the address and that "
		                          "the server is up, then try again", doing, t->name, t->url,
		                          quoted);
	git_error_clear();
	return code;
}

static int anonymous_remote(git_remote **out, sanctum_transfer *t)
{
	git_remote_create_options create;

	/* Anonymous and without insteadOf: see remote.c on libgit2 1.5's leak. */
	git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	create.repository = t->store->repo;
	create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(out, t->target, &create) < 0)
		return transfer_error(t, -1, "opening");
	return 0;
}

int sanctum_transfer__fetch(git_oid *head, sanctum_transfer *t)
{
	char spec[SANCTUM_REMOTE_NAME_MAX + 64], ref[SANCTUM_REMOTE_NAME_MAX + 32];
	char *specs[1] = { spec };
	git_strarray refspecs = { specs, 1 };
	git_fetch_options opts;
	git_remote *remote = NULL;
	pipe_guard guard;
	int rc, error;

	memset(head, 0, sizeof(*head));
	snprintf(ref, sizeof(ref), SANCTUM_QUARANTINE_REFS "%s", t->name);
	snprintf(spec, sizeof(spec), "+refs/heads/" SANCTUM_STORE_BRANCH ":%s", ref);
	if ((error = anonymous_remote(&remote, t)) < 0)
		return error;
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	sanctum_transfer__callbacks(&opts.callbacks, t);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	opts.prune = GIT_FETCH_NO_PRUNE;
	/* Drop what an earlier pull left, so a remote that lost main does not look current. */
	if (git_reference_remove(t->store->repo, ref) < 0)
		git_error_clear();
	guard_pipe(&guard);
	rc = git_remote_fetch(remote, &refspecs, &opts, "sanctum: fetch");
	release_pipe(&guard);
	git_remote_free(remote);
	if (rc < 0)
		return transfer_error(t, rc, "fetching from");
	if (git_reference_name_to_id(head, t->store->repo, ref) < 0) {
		git_error_clear();
		memset(head, 0, sizeof(*head));
	}
	return 0;
}

/* Whether a server's reason for refusing our ref says it has moved on (pull first), as
 * opposed to a hook, a permission or a lock on its side. */
static int rejected_as_stale(const char *status)
{
	return strstr(status, "non-fast-forward") || strstr(status, "fetch first") ||
	       strstr(status, "stale info");
}

/* The remote's main as it advertises it (zero when it has none). */
static void advertised_main(git_oid *out, git_remote *remote)
{
	const git_remote_head **heads = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (git_remote_ls(&heads, &n, remote) < 0) {
		git_error_clear();
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, "refs/heads/" SANCTUM_STORE_BRANCH) == 0)
			*out = heads[i]->oid;
}

static int upload(sanctum_transfer *t, git_remote *remote, git_remote_callbacks *cb)
{
	char *specs[1] = { "refs/heads/" SANCTUM_STORE_BRANCH ":refs/heads/" SANCTUM_STORE_BRANCH };
	git_strarray refspecs = { specs, 1 };
	git_push_options opts;
	int rc;

	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	opts.callbacks = *cb;
	rc = git_remote_upload(remote, &refspecs, &opts);
	if (rc == GIT_ENONFASTFORWARD || (rc == 0 && rejected_as_stale(t->rejected))) {
		git_error_clear();
		return sanctum_error__set(SANCTUM_ECONFLICT, SANCTUM_ERRCLASS_GIT,
		                          "remote '%s' refused the push (%s): it has commits this "
		                          "store lacks; pull first (`sanctum sync` does both)", t->name,
		                          t->rejected[0] ? t->rejected : "not a fast-forward");
	}
	if (rc == 0 && t->rejected[0]) {
		char quoted[TRANSFER_QUOTE_MAX + 4];

		sanctum_error__quote(quoted, (const unsigned char *)t->rejected, strlen(t->rejected),
		                     TRANSFER_QUOTE_MAX);
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT,
		                          "remote '%s' refused the push: %s; its main did not change",
		                          t->name, quoted);
	}
	if (rc < 0)
		return transfer_error(t, rc, "pushing to");
	return 0;
}

/*
 * libgit2 1.5 leaks its connection when a git:// push cannot connect at all; the fetch
 * side fails cleanly. So for git:// a server that is down is found by a fetch-side
 * connection first (one more round trip when it is up).
 */
static int probe(git_remote *remote, const git_remote_callbacks *cb)
{
	int rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, cb, NULL, NULL);

	git_remote_disconnect(remote);
	return rc;
}

int sanctum_transfer__push(git_oid *old_head, sanctum_transfer *t, const git_oid *head)
{
	git_remote_callbacks cb;
	git_remote *remote = NULL;
	pipe_guard guard;
	int error;

	if ((error = anonymous_remote(&remote, t)) < 0)
		return error;
	sanctum_transfer__callbacks(&cb, t);
	guard_pipe(&guard);
	if (strncmp(t->target, "git://", 6) == 0 && probe(remote, &cb) < 0)
		error = transfer_error(t, -1, "pushing to");
	else if (git_remote_connect(remote, GIT_DIRECTION_PUSH, &cb, NULL, NULL) < 0)
		error = transfer_error(t, -1, "pushing to");
	if (error == 0) {
		advertised_main(old_head, remote);
		if (!git_oid_equal(old_head, head))
			error = upload(t, remote, &cb);
	}
	git_remote_disconnect(remote);
	release_pipe(&guard);
	if (error == 0)
		error = sanctum_sync__record_verified(t->store, t->name, head);
	git_remote_free(remote);
	return error;
}

int sanctum_sync__record_verified(sanctum_store *store, const char *name, const git_oid *head)
{
	char ref[SANCTUM_REMOTE_NAME_MAX + 32];
	git_reference *out = NULL;
	int rc;

	snprintf(ref, sizeof(ref), SANCTUM_VERIFIED_REFS "%s", name);
	rc = git_reference_create(&out, store->repo, ref, head, 1, "sanctum: verified");
	git_reference_free(out);
	if (rc < 0)
		return sanctum_store__git_error("cannot record the remote's verified head");
	return 0;
}

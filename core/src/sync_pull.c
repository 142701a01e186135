/*
 * Pull: fetch into quarantine, refuse a rollback, verify every new commit, and only then
 * move main (a fast-forward or a signed merge). Until that last compare-and-swap nothing
 * a reader sees has changed, so a failure or a kill at any point leaves main as it was.
 */
#include "sync_internal.h"

#include "errors_internal.h"
#include "merge.h"
#include "verify_internal.h"

#include <stdio.h>
#include <string.h>

/* What a pull works with: the fetched head, main, and the remote's verified record. */
typedef struct {
	sanctum_transfer t;
	git_oid theirs, ours, verified;
	int has_ours, has_verified;
} pull_state;

static int read_ref(git_oid *out, sanctum_store *store, const char *prefix, const char *name)
{
	char ref[SANCTUM_REMOTE_NAME_MAX + 32];

	snprintf(ref, sizeof(ref), "%s%s", prefix, name);
	if (git_reference_name_to_id(out, store->repo, ref) == 0)
		return 1;
	git_error_clear();
	return 0;
}

static void drop_quarantine(sanctum_store *store, const char *name)
{
	char ref[SANCTUM_REMOTE_NAME_MAX + 32];

	snprintf(ref, sizeof(ref), SANCTUM_QUARANTINE_REFS "%s", name);
	if (git_reference_remove(store->repo, ref) < 0)
		git_error_clear();
}

/* Whether `a` is `b` or descends from it. */
static int contains(sanctum_store *store, const git_oid *a, const git_oid *b)
{
	int rc;

	if (git_oid_equal(a, b))
		return 1;
	rc = git_graph_descendant_of(store->repo, a, b);
	git_error_clear();
	return rc == 1;
}

static int check_rollback(pull_state *s, sanctum_pull_result *result)
{
	char theirs[41], verified[41];

	if (!s->has_verified || contains(s->t.store, &s->theirs, &s->verified))
		return 0;
	if (s->t.options->allow_rewind) {
		result->rewound = 1;
		return 0;
	}
	git_oid_tostr(theirs, sizeof(theirs), &s->theirs);
	git_oid_tostr(verified, sizeof(verified), &s->verified);
	return sanctum_error__set(SANCTUM_EROLLBACK, SANCTUM_ERRCLASS_CRYPTO,
	                          "remote '%s' has main at %.12s, which does not contain %.12s, the "
	                          "head verified from it before: the host may have rolled it back "
	                          "or rewritten it. main is unchanged; the fetched commits are "
	                          "kept at " SANCTUM_QUARANTINE_REFS "%s. If the group really "
	                          "rewound it, pull with --allow-rewind", s->t.name, theirs,
	                          verified, s->t.name);
}

static int verify_new(pull_state *s, sanctum_pull_result *result, git_commit *theirs,
                      const sanctum_identity *member)
{
	const sanctum_sync_options *o = s->t.options;
	git_oid known[2];
	size_t nknown = 0;
	int error;

	if (s->has_ours)
		known[nknown++] = s->ours;
	if (s->has_verified && contains(s->t.store, &s->theirs, &s->verified))
		known[nknown++] = s->verified;
	error = sanctum_verify__range(&result->verified, s->t.store, theirs, known, nknown, member,
	                              o->problem, o->payload);
	if (o->progress) {
		sanctum_sync_progress p = { SANCTUM_SYNC_VERIFYING, s->t.name, result->verified.commits,
		                            result->verified.commits, 0, result->verified.documents };
		o->progress(&p, o->payload);
	}
	if (error == SANCTUM_EVERIFY)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                          "refused the commits from remote '%s': verification found "
		                          "%zu problem%s. main is unchanged; the fetched commits are "
		                          "kept at " SANCTUM_QUARANTINE_REFS "%s for inspection",
		                          s->t.name, result->verified.problems,
		                          result->verified.problems == 1 ? "" : "s", s->t.name);
	return error;
}

static int fast_forward(sanctum_store *store, const git_oid *from, const git_oid *to)
{
	git_reference *ref = NULL;
	int rc = git_reference_create_matching(&ref, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH,
	                                       to, 1, from, "sanctum: pull (fast-forward)");

	git_reference_free(ref);
	if (rc == GIT_EMODIFIED)
		return sanctum_error__set(SANCTUM_ECONFLICT, SANCTUM_ERRCLASS_GIT,
		                          "main moved during the pull; pull again");
	return rc < 0 ? sanctum_store__git_error("cannot move main") : 0;
}

/* Moves main to include the verified `theirs`: a fast-forward or a merge. */
static int integrate(pull_state *s, sanctum_pull_result *result, git_commit *theirs,
                     const sanctum_identity *member)
{
	sanctum_merge_stats stats = { 0, 0, 0 };
	git_commit *ours = NULL;
	git_oid merged;
	int error;

	if (contains(s->t.store, &s->theirs, &s->ours)) {
		result->outcome = SANCTUM_PULL_FAST_FORWARD;
		git_oid_tostr(result->new_head, sizeof(result->new_head), &s->theirs);
		return fast_forward(s->t.store, &s->ours, &s->theirs);
	}
	if (git_commit_lookup(&ours, s->t.store->repo, &s->ours) < 0)
		return sanctum_store__git_error("cannot read main");
	error = sanctum_store__merge(&merged, &stats, s->t.store, ours, theirs, member);
	git_commit_free(ours);
	if (error < 0)
		return error;
	result->outcome = SANCTUM_PULL_MERGED;
	result->texts_merged = stats.texts_merged;
	result->conflicts = stats.conflicts;
	git_oid_tostr(result->new_head, sizeof(result->new_head), &merged);
	return 0;
}

/* Everything after the fetch, with the lock held. */
static int judge_and_integrate(pull_state *s, sanctum_pull_result *result,
                               const sanctum_identity *member)
{
	git_commit *theirs = NULL;
	int error;

	git_oid_tostr(result->remote_head, sizeof(result->remote_head), &s->theirs);
	if ((error = check_rollback(s, result)) < 0)
		return error;
	if (s->has_ours && contains(s->t.store, &s->ours, &s->theirs)) {
		result->outcome = SANCTUM_PULL_UP_TO_DATE;
		drop_quarantine(s->t.store, s->t.name);
		return sanctum_sync__record_verified(s->t.store, s->t.name, &s->theirs);
	}
	if (!s->has_ours)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_INVALID,
		                          "the store has no main branch to pull into");
	if (git_commit_lookup(&theirs, s->t.store->repo, &s->theirs) < 0)
		return sanctum_store__git_error("cannot read the fetched head");
	error = verify_new(s, result, theirs, member);
	if (error == 0)
		error = integrate(s, result, theirs, member);
	git_commit_free(theirs);
	if (error == 0) {
		drop_quarantine(s->t.store, s->t.name);
		error = sanctum_sync__record_verified(s->t.store, s->t.name, &s->theirs);
	}
	return error;
}

static int pull_locked(sanctum_pull_result *result, sanctum_store *store, const char *name,
                       const sanctum_identity *member, const sanctum_sync_options *options)
{
	pull_state s;
	int error;

	memset(&s, 0, sizeof(s));
	if ((error = sanctum_transfer__open(&s.t, store, name, options)) < 0)
		return error;
	s.has_ours = git_reference_name_to_id(&s.ours, store->repo,
	                                      "refs/heads/" SANCTUM_STORE_BRANCH) == 0;
	git_error_clear();
	git_oid_tostr(result->old_head, sizeof(result->old_head), &s.ours);
	snprintf(result->new_head, sizeof(result->new_head), "%s", result->old_head);
	s.has_verified = read_ref(&s.verified, store, SANCTUM_VERIFIED_REFS, name);
	error = sanctum_transfer__fetch(&s.theirs, &s.t);
	result->objects = s.t.objects;
	result->bytes = s.t.bytes;
	if (error == 0 && git_oid_is_zero(&s.theirs))
		result->outcome = SANCTUM_PULL_EMPTY;
	else if (error == 0)
		error = judge_and_integrate(&s, result, member);
	sanctum_transfer__close(&s.t);
	return error;
}

int sanctum_store_pull(sanctum_pull_result *result, sanctum_store *store, const char *name,
                       const sanctum_identity *member, const sanctum_sync_options *options)
{
	int error;

	memset(result, 0, sizeof(*result));
	if (!store || !name || !member)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_store_pull needs a store, a remote and a member");
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	sanctum_sync__durable_writes();
	error = pull_locked(result, store, name, member, options);
	sanctum_store__unlock(store);
	return error;
}

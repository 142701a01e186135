/*
 * A test helper that merges one copy of a store into another, as pull will once it has
 * fetched and verified, so that shell tests can make conflicts for `sanctum conflicts`
 * and `sanctum resolve` without a remote.
 *
 *     merge_tool STORE IDENTITY_FILE OTHER_STORE
 *
 * copies every object of OTHER_STORE's repository into STORE's, and merges OTHER_STORE's
 * main into STORE's main as the (plain, mode 0600) identity. Prints
 * "<taken> taken, <texts> text merges, <conflicts> conflicts" on success. Exits 0, 1 when
 * sanctum refuses (the reason on stderr), 2 on bad usage.
 */
#include "merge.h"

#include "sanctum/errors.h"
#include "sanctum/identity.h"

#include <stdio.h>

static int refused(const char *what)
{
	fprintf(stderr, "merge_tool: %s: %s\n", what, sanctum_error_last()->message);
	return 1;
}

typedef struct {
	git_odb *from, *into;
} object_copy;

static int copy_object(const git_oid *id, void *payload)
{
	object_copy *c = payload;
	git_odb_object *object = NULL;
	git_oid written;
	int rc;

	if (git_odb_exists(c->into, id))
		return 0;
	if ((rc = git_odb_read(&object, c->from, id)) < 0)
		return rc;
	rc = git_odb_write(&written, c->into, git_odb_object_data(object),
	                   git_odb_object_size(object), git_odb_object_type(object));
	git_odb_object_free(object);
	return rc;
}

/* Brings the other store's objects in; returns its main commit, looked up in `into`. */
static int bring(git_commit **out, sanctum_store *into, sanctum_store *from)
{
	object_copy c = { NULL, NULL };
	git_oid theirs;
	int rc = git_repository_odb(&c.from, from->repo);

	if (rc == 0)
		rc = git_repository_odb(&c.into, into->repo);
	if (rc == 0)
		rc = git_odb_foreach(c.from, copy_object, &c);
	if (rc == 0)
		rc = git_reference_name_to_id(&theirs, from->repo, "refs/heads/main");
	if (rc == 0)
		rc = git_commit_lookup(out, into->repo, &theirs);
	git_odb_free(c.from);
	git_odb_free(c.into);
	if (rc < 0)
		fprintf(stderr, "merge_tool: %s\n",
		        git_error_last() ? git_error_last()->message : "git");
	return rc < 0 ? 1 : 0;
}

static int run(sanctum_store *into, sanctum_store *from, const sanctum_identity *who)
{
	sanctum_merge_stats stats;
	git_commit *ours = NULL, *theirs = NULL;
	git_oid merged;
	int rc = bring(&theirs, into, from);

	if (rc == 0 && sanctum_store__head(&ours, into) < 0)
		rc = refused("main");
	if (rc == 0 && sanctum_store__lock(into) < 0)
		rc = refused("lock");
	if (rc == 0) {
		if (sanctum_store__merge(&merged, &stats, into, ours, theirs, who) < 0)
			rc = refused("merge");
		else
			printf("%zu taken, %zu text merges, %zu conflicts\n", stats.taken,
			       stats.texts_merged, stats.conflicts);
		sanctum_store__unlock(into);
	}
	git_commit_free(ours);
	git_commit_free(theirs);
	return rc;
}

int main(int argc, char **argv)
{
	sanctum_store *into = NULL, *from = NULL;
	sanctum_identity *who = NULL;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: merge_tool STORE IDENTITY_FILE OTHER_STORE\n");
		return 2;
	}
	if (sanctum_init() < 0)
		return refused("init");
	if (sanctum_store_open(&into, argv[1], 0) < 0)
		rc = refused(argv[1]);
	else if (sanctum_identity_load(&who, argv[2], NULL, NULL) < 0)
		rc = refused(argv[2]);
	else if (sanctum_store_open(&from, argv[3], 0) < 0)
		rc = refused(argv[3]);
	else
		rc = run(into, from, who);
	sanctum_store_free(from);
	sanctum_store_free(into);
	sanctum_identity_free(who);
	return rc;
}

/*
 * The history of main: its commits, and the revisions of one document. Both walk main
 * from its head along first parents, newest first, as `git log --first-parent` does.
 */
#include "store_internal.h"

#include "errors_internal.h"
#include "sanctum/history.h"

#include <stdlib.h>
#include <string.h>

/* A walk of main from its head, first parents only, newest first. */
static int walk_main(git_revwalk **out, sanctum_store *store)
{
	git_commit *head = NULL;
	int error;

	*out = NULL;
	if ((error = sanctum_store__head(&head, store)) < 0)
		return error;
	if (git_revwalk_new(out, store->repo) < 0 ||
	    git_revwalk_sorting(*out, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
	    git_revwalk_simplify_first_parent(*out) < 0 ||
	    git_revwalk_push(*out, git_commit_id(head)) < 0) {
		error = sanctum_store__git_error("cannot walk the history of main");
		git_revwalk_free(*out);
		*out = NULL;
	}
	git_commit_free(head);
	return error;
}

/* The next commit of the walk into `*commit`; returns 1 at the end, 0, or an error. */
static int walk_next(git_commit **commit, git_revwalk *walk, sanctum_store *store)
{
	git_oid oid;
	int rc = git_revwalk_next(&oid, walk);

	*commit = NULL;
	if (rc == GIT_ITEROVER)
		return 1;
	if (rc < 0)
		return sanctum_store__git_error("cannot walk the history of main");
	if (git_commit_lookup(commit, store->repo, &oid) < 0)
		return sanctum_store__git_error("cannot read a commit of main");
	return 0;
}

int sanctum_store_log(sanctum_store *store, sanctum_log_fn fn, void *payload)
{
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	int error;

	if ((error = walk_main(&walk, store)) < 0)
		return error;
	while ((error = walk_next(&commit, walk, store)) == 0) {
		const git_signature *author = git_commit_author(commit);
		const char *summary = git_commit_summary(commit);
		sanctum_log_entry entry;

		memset(&entry, 0, sizeof(entry));
		git_oid_tostr(entry.commit, sizeof(entry.commit), git_commit_id(commit));
		entry.seq = sanctum_store__commit_seq(commit);
		entry.time = (int64_t)git_commit_time(commit);
		entry.author = author && author->name ? author->name : "";
		entry.fingerprint = author && author->email ? author->email : "";
		entry.summary = summary ? summary : "";
		error = fn(&entry, payload);
		git_commit_free(commit);
		commit = NULL;
		if (error < 0)
			break;
	}
	git_revwalk_free(walk);
	return error == 1 ? 0 : error;
}

/* ---- revisions of one document ---- */

/* The roster as of a tree, kept while the roster files do not change. */
typedef struct {
	git_oid group;                /* blob id of `group` */
	git_oid roster;               /* tree id of roster/ */
	int loaded;
	sanctum_roster value;
} roster_cache;

static int entry_id(git_oid *out, git_tree *tree, const char *path)
{
	git_tree_entry *entry = NULL;

	if (git_tree_entry_bypath(&entry, tree, path) < 0)
		return -1;
	git_oid_cpy(out, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	return 0;
}

static int roster_at(const sanctum_roster **out, roster_cache *cache, sanctum_store *store,
                     git_tree *tree)
{
	git_oid group, roster;
	int error;

	*out = NULL;
	if (entry_id(&group, tree, "group") < 0 || entry_id(&roster, tree, "roster") < 0)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "a commit of main has no group manifest or roster");
	if (!cache->loaded || !git_oid_equal(&group, &cache->group) ||
	    !git_oid_equal(&roster, &cache->roster)) {
		if (cache->loaded)
			sanctum_roster__dispose(&cache->value);
		cache->loaded = 0;
		if ((error = sanctum_store__load_roster(&cache->value, store, tree)) < 0)
			return error;
		cache->group = group;
		cache->roster = roster;
		cache->loaded = 1;
	}
	*out = &cache->value;
	return 0;
}

/*
 * Whether `commit` changed the document at `path` (its blob differs from the first
 * parent's, or the parent has none); `blob` gets the commit's blob. Returns 1, 0, or
 * SANCTUM_ENOTFOUND when the commit has no such file.
 */
static int changed_here(git_oid *blob, git_tree **tree, git_commit *commit, const char *path)
{
	git_commit *parent = NULL;
	git_tree *parent_tree = NULL;
	git_oid before;
	int changed = 1;

	*tree = NULL;
	if (git_commit_tree(tree, commit) < 0)
		return sanctum_store__git_error("cannot read the tree of a commit of main");
	if (entry_id(blob, *tree, path) < 0)
		return SANCTUM_ENOTFOUND;
	if (git_commit_parentcount(commit) == 0)
		return 1;
	if (git_commit_parent(&parent, commit, 0) < 0 || git_commit_tree(&parent_tree, parent) < 0)
		changed = sanctum_store__git_error("cannot read the parent of a commit of main");
	else if (entry_id(&before, parent_tree, path) == 0)
		changed = !git_oid_equal(&before, blob);
	git_tree_free(parent_tree);
	git_commit_free(parent);
	return changed;
}

/* Decrypts and checks the revision `blob_id` at `path`, then hands it to `fn`. */
static int visit_revision(sanctum_store *store, git_commit *commit, git_tree *tree,
                          const sanctum_roster *roster, const char *path,
                          const unsigned char id[SANCTUM_DOC_ID_SIZE], const git_oid *blob_id,
                          const sanctum_identity *reader, sanctum_revision_fn fn, void *payload)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_revision revision;
	git_blob *blob = NULL;
	int error = 0;

	if (git_blob_lookup(&blob, store->repo, blob_id) < 0)
		error = sanctum_store__git_error("cannot read a document file of the store");
	else if ((uint64_t)git_blob_rawsize(blob) > SANCTUM_STORE_MAX_DOC_FILE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "'%s' is larger than the %u bytes allowed", path,
		                           SANCTUM_STORE_MAX_DOC_FILE);
	else
		error = sanctum_store__open_doc(&doc, store, roster, tree, path, id,
		                                git_blob_rawcontent(blob),
		                                (size_t)git_blob_rawsize(blob), reader);
	if (error == 0) {
		git_oid_tostr(revision.commit, sizeof(revision.commit), git_commit_id(commit));
		revision.doc = &doc;
		if ((error = fn(&revision, payload)) > 0)
			error = 0;
	}
	sanctum_doc_dispose(&doc);
	git_blob_free(blob);
	return error;
}

int sanctum_store_doc_log(sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                          const sanctum_identity *reader, sanctum_revision_fn fn, void *payload)
{
	roster_cache cache;
	const sanctum_roster *roster = NULL;
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char path[48];
	size_t seen = 0;
	int error;

	memset(&cache, 0, sizeof(cache));
	sanctum_store__doc_path(path, id);
	if ((error = walk_main(&walk, store)) < 0)
		return error;
	while (error == 0 && (error = walk_next(&commit, walk, store)) == 0) {
		git_oid blob;
		int changed = changed_here(&blob, &tree, commit, path);

		if (changed == SANCTUM_ENOTFOUND && seen == 0) {
			char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

			sanctum_doc_id_to_hex(hex, id);
			error = sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
			                           "no document '%s' in the store", hex);
		} else if (changed == SANCTUM_ENOTFOUND) {
			error = 1;     /* before the document was created: done */
		} else if (changed < 0) {
			error = changed;
		} else if (changed || seen == 0) {
			/* Each revision is checked against the roster as of its own commit; the
			 * head's roster decides whether the reader may read at all. */
			error = roster_at(&roster, &cache, store, tree);
			if (error == 0 && seen == 0)
				error = sanctum_store__check_member(roster, reader, 0);
			if (error == 0 && changed)
				error = visit_revision(store, commit, tree, roster, path, id, &blob,
				                       reader, fn, payload);
		}
		seen++;
		git_tree_free(tree);
		tree = NULL;
		git_commit_free(commit);
		commit = NULL;
	}
	if (cache.loaded)
		sanctum_roster__dispose(&cache.value);
	git_revwalk_free(walk);
	return error == 1 ? 0 : error;
}

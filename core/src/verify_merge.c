/*
 * The rules for merge commits and for conflict revisions. A merge takes what each parent
 * had (already judged in that parent's history); what it writes itself must be a merge
 * of the two sides' revisions, and the losing side of a conflict must be kept whole
 * under conflicts/, never dropped.
 */
#include "verify_internal.h"

#include "errors_internal.h"
#include "signed_file.h"
#include "tree_changes.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- roster and epochs ---- */

static int subtree_id(git_oid *out, git_tree *tree, const char *name)
{
	const git_tree_entry *entry = git_tree_entry_byname(tree, name);

	if (!entry) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	*out = *git_tree_entry_id(entry);
	return 1;
}

/* Whether `shorter`'s newest entry is the same file in both parents' trees: the chain of
 * hashes then makes the whole shorter roster a prefix of the other. */
static int roster_is_prefix(const change_ctx *c, const sanctum_roster *shorter)
{
	char name[7], path[16];
	git_oid a, b;

	sanctum_roster__entry_name(name, shorter->seq);
	snprintf(path, sizeof(path), "roster/%s", name);
	return sanctum_verify__blob_at(&a, c->parent_tree, path) &&
	       sanctum_verify__blob_at(&b, c->other_tree, path) && git_oid_equal(&a, &b);
}

int sanctum_verify__merge_roster(verifier *v, const change_ctx *c, sanctum_roster *after,
                                 int *changed)
{
	const git_oid *id = git_commit_id(c->commit);
	git_oid mine[2], first[2], second[2];
	static const char *const names[2] = { "roster", "epochs" };
	int kept_first, kept_second, second_longer = c->other->seq > c->before->seq;
	const sanctum_roster *shorter = second_longer ? c->before : c->other;

	for (int i = 0; i < 2; i++) {
		subtree_id(&mine[i], c->tree, names[i]);
		subtree_id(&first[i], c->parent_tree, names[i]);
		subtree_id(&second[i], c->other_tree, names[i]);
	}
	kept_first = git_oid_equal(&mine[0], &first[0]) && git_oid_equal(&mine[1], &first[1]);
	kept_second = git_oid_equal(&mine[0], &second[0]) && git_oid_equal(&mine[1], &second[1]);
	if (!kept_first && !kept_second) {
		sanctum_verify__problem(v, id, "roster", "a merge changed the roster or the epochs "
		                        "beyond taking one parent's as it stands");
		return 0;
	}
	if (!roster_is_prefix(c, shorter)) {
		sanctum_verify__problem(v, id, "roster", "a merge of concurrent membership changes "
		                        "(neither roster extends the other)");
		return 0;
	}
	/* The longer roster is kept: a merge must not undo a removal or an addition. */
	if ((second_longer && !kept_second) ||
	    (!second_longer && c->other->seq < c->before->seq && !kept_first)) {
		sanctum_verify__problem(v, id, "roster", "a merge dropped membership changes that one "
		                        "of its parents made");
		return 0;
	}
	if (!kept_second || kept_first)
		return 0;
	sanctum_roster__dispose(after);
	*changed = 1;
	return sanctum_roster__copy(after, c->other);
}

/* ---- revisions a merge wrote ---- */

static int names_both(const sanctum_doc *now, const sanctum_doc *a, const sanctum_doc *b)
{
	int a_first = sodium_memcmp(now->parent, a->hash, sizeof(now->parent)) == 0 &&
	              sodium_memcmp(now->merged, b->hash, sizeof(now->merged)) == 0;
	int b_first = sodium_memcmp(now->parent, b->hash, sizeof(now->parent)) == 0 &&
	              sodium_memcmp(now->merged, a->hash, sizeof(now->merged)) == 0;
	uint64_t top = a->rev > b->rev ? a->rev : b->rev;

	return now->has_parent && now->has_merged && (a_first || b_first) && now->rev == top + 1;
}

void sanctum_verify__merge_revision(verifier *v, const change_ctx *c, const char *path,
                                    const unsigned char *id, const sanctum_doc *now,
                                    const sanctum_doc *old)
{
	const git_oid *commit = git_commit_id(c->commit);
	sanctum_doc theirs = SANCTUM_DOC_INIT;
	git_oid blob;
	int has_theirs = sanctum_verify__blob_at(&blob, c->other_tree, path);

	if (has_theirs && sanctum_verify__open_revision(&theirs, v, &blob, id) < 0) {
		sanctum_verify__problem(v, commit, path, "the second parent's revision cannot be "
		                        "read: %s", sanctum_error_last()->message);
	} else if (now->has_merged) {
		if (!old || !has_theirs || !names_both(now, old, &theirs))
			sanctum_verify__problem(v, commit, path, "merged revision %llu does not name "
			                        "the revisions of both parents, or does not come after "
			                        "both", (unsigned long long)now->rev);
	} else if (old && has_theirs &&
	           sodium_memcmp(old->hash, theirs.hash, sizeof(old->hash)) != 0) {
		sanctum_verify__problem(v, commit, path, "a merge replaced concurrent revisions "
		                        "with one that merges neither");
	} else if (!(old && sanctum_verify__extends(now, old)) &&
	           !(has_theirs && sanctum_verify__extends(now, &theirs)) &&
	           !(!old && !has_theirs && now->rev == 1 && !now->has_parent)) {
		sanctum_verify__problem(v, commit, path, "revision %llu made in a merge extends "
		                        "neither parent's revision", (unsigned long long)now->rev);
	}
	sanctum_doc_dispose(&theirs);
}

/* ---- conflicts/xx/ID/HASH.age ---- */

/* Parses a conflict path into the document's path and the revision hash it names. */
static int conflict_path(char doc_path[48], char hash_hex[65], const char *path)
{
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	char docs[48];
	size_t len = strlen(path);

	/* "conflicts/" xx "/" 32 hex "/" 64 hex ".age" */
	if (len != 10 + 3 + 32 + 1 + 64 + 4 || strncmp(path, "conflicts/", 10) != 0 ||
	    path[12] != '/' || path[45] != '/' || strcmp(path + 110, ".age") != 0)
		return 0;
	snprintf(docs, sizeof(docs), "docs/%.2s/%.32s.age", path + 10, path + 13);
	if (!sanctum_verify__doc_path_id(id, docs))
		return 0;
	memcpy(hash_hex, path + 46, 64);
	hash_hex[64] = '\0';
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", hash_hex[i]))
			return 0;
	memcpy(doc_path, docs, sizeof(docs));
	return 1;
}

/* A conflict file added by a merge: a parent's document file, filed under its hash. */
static void judge_new_conflict(verifier *v, const change_ctx *c, const git_diff_delta *d,
                               const char *doc_path, const char *hash_hex)
{
	const git_oid *commit = git_commit_id(c->commit);
	const char *path = d->new_file.path;
	sanctum_doc rev = SANCTUM_DOC_INIT;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	char hex[65];
	git_oid a, b;
	int error;

	if (!(sanctum_verify__blob_at(&a, c->parent_tree, doc_path) &&
	      git_oid_equal(&a, &d->new_file.id)) &&
	    !(sanctum_verify__blob_at(&b, c->other_tree, doc_path) &&
	      git_oid_equal(&b, &d->new_file.id))) {
		sanctum_verify__problem(v, commit, path, "a conflict revision that neither parent "
		                        "had as the document's revision");
		return;
	}
	sanctum_verify__doc_path_id(id, doc_path);
	error = sanctum_verify__open_revision(&rev, v, &d->new_file.id, id);
	if (error == SANCTUM_ENOMATCH && v->missing_epochs) {
		v->stats->unreadable++;
		return;
	}
	if (error == 0) {
		sanctum_hex_encode(hex, rev.hash, sizeof(rev.hash));
		if (strcmp(hex, hash_hex) != 0)
			sanctum_verify__problem(v, commit, path, "a conflict revision filed under "
			                        "another revision's hash");
	} else {
		sanctum_verify__problem(v, commit, path, "%s", sanctum_error_last()->message);
	}
	sanctum_doc_dispose(&rev);
}

/* Removing a conflict: with a new revision of its document, or as a merge whose other
 * side removed what the common base still had. */
static int removal_allowed(const change_ctx *c, const char *path, const char *doc_path)
{
	git_oid before, now, blob;

	if (sanctum_verify__blob_at(&now, c->tree, doc_path) &&
	    (!sanctum_verify__blob_at(&before, c->parent_tree, doc_path) ||
	     !git_oid_equal(&before, &now)))
		return 1;
	return c->other_tree && c->base_tree &&
	       !sanctum_verify__blob_at(&blob, c->other_tree, path) &&
	       sanctum_verify__blob_at(&blob, c->base_tree, path);
}

void sanctum_verify__conflict_change(verifier *v, const change_ctx *c, const git_diff_delta *d)
{
	const git_oid *commit = git_commit_id(c->commit);
	const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
	char doc_path[48], hash_hex[65];

	if (!conflict_path(doc_path, hash_hex, path))
		sanctum_verify__problem(v, commit, path, "not a legal path in a store");
	else if (d->status == GIT_DELTA_DELETED) {
		if (!removal_allowed(c, path, doc_path))
			sanctum_verify__problem(v, commit, path, "a conflict revision was removed "
			                        "without resolving its document");
	} else if (d->status != GIT_DELTA_ADDED)
		sanctum_verify__problem(v, commit, path, "a conflict revision was rewritten");
	else if (!c->other_tree)
		sanctum_verify__problem(v, commit, path, "conflict revisions are recorded only by "
		                        "merges");
	else
		judge_new_conflict(v, c, d, doc_path, hash_hex);
}

/* ---- nothing dropped ---- */

/* Whether the merge's revision at `path` (blob `mine`) names revision `theirs` as a
 * parent, or conflicts/ keeps it. */
static int keeps_revision(verifier *v, const change_ctx *c, const char *path,
                          const unsigned char *id, const git_oid *mine,
                          const sanctum_doc *theirs)
{
	sanctum_doc now = SANCTUM_DOC_INIT;
	char hex[65], conflict[160];
	git_oid blob;
	int kept = 0;

	sanctum_hex_encode(hex, theirs->hash, sizeof(theirs->hash));
	snprintf(conflict, sizeof(conflict), "conflicts/%.2s/%.32s/%s.age", path + 5, path + 8, hex);
	if (sanctum_verify__blob_at(&blob, c->tree, conflict))
		return 1;
	if (mine && sanctum_verify__open_revision(&now, v, mine, id) == 0)
		kept = sodium_memcmp(now.hash, theirs->hash, sizeof(now.hash)) == 0 ||
		       (now.has_parent && sodium_memcmp(now.parent, theirs->hash, sizeof(now.parent)) == 0) ||
		       (now.has_merged && sodium_memcmp(now.merged, theirs->hash, sizeof(now.merged)) == 0);
	sanctum_error_clear();
	sanctum_doc_dispose(&now);
	return kept;
}

/* One side's change to a document since the base: kept by the merge, or a problem. */
static void judge_kept(verifier *v, const change_ctx *c, const git_diff_delta *d,
                       const char *side)
{
	const char *path = d->new_file.path;
	sanctum_doc theirs = SANCTUM_DOC_INIT;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	git_oid mine;
	int has_mine = sanctum_verify__blob_at(&mine, c->tree, path);
	int error;

	if ((has_mine && git_oid_equal(&mine, &d->new_file.id)) ||
	    !sanctum_verify__doc_path_id(id, path))
		return; /* taken as it is; or not a document (judged elsewhere) */
	error = sanctum_verify__open_revision(&theirs, v, &d->new_file.id, id);
	if (error == SANCTUM_ENOMATCH && v->missing_epochs) {
		v->stats->unreadable++;
	} else if (error < 0) {
		sanctum_verify__problem(v, git_commit_id(c->commit), path, "the %s parent's revision "
		                        "cannot be read: %s", side, sanctum_error_last()->message);
	} else if (!keeps_revision(v, c, path, id, has_mine ? &mine : NULL, &theirs)) {
		sanctum_verify__problem(v, git_commit_id(c->commit), path, "a merge left out revision "
		                        "%llu that its %s parent wrote (neither kept, merged, nor "
		                        "filed under conflicts/)", (unsigned long long)theirs.rev, side);
	}
	sanctum_error_clear();
	sanctum_doc_dispose(&theirs);
}

int sanctum_verify__merge_keeps_both(verifier *v, const change_ctx *c)
{
	git_tree *sides[2] = { c->parent_tree, c->other_tree };
	static const char *const names[2] = { "first", "second" };
	int error = 0;

	for (int i = 0; error == 0 && i < 2 && !v->stopped; i++) {
		sanctum_tree_changes diff;

		if ((error = sanctum_tree__changes(&diff, v->store->repo, c->base_tree, sides[i])) < 0)
			break;
		for (size_t j = 0; j < diff.count && !v->stopped; j++)
			if (diff.items[j].status == GIT_DELTA_ADDED ||
			    diff.items[j].status == GIT_DELTA_MODIFIED)
				judge_kept(v, c, &diff.items[j], names[i]);
		sanctum_tree__changes_dispose(&diff);
	}
	return error;
}

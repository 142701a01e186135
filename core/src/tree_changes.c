#include "tree_changes.h"

#include "errors_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_delta(sanctum_tree_changes *c, git_delta_t status, const char *path,
                     const git_tree_entry *old_entry, const git_tree_entry *new_entry)
{
	git_diff_delta *d;

	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		git_diff_delta *bigger = realloc(c->items, cap * sizeof(*bigger));

		if (!bigger)
			return sanctum_error__nomem();
		c->items = bigger;
		c->cap = cap;
	}
	d = &c->items[c->count];
	memset(d, 0, sizeof(*d));
	d->status = status;
	d->nfiles = 2;
	if (!(d->new_file.path = strdup(path)))
		return sanctum_error__nomem();
	d->old_file.path = d->new_file.path;
	if (old_entry) {
		d->old_file.id = *git_tree_entry_id(old_entry);
		d->old_file.mode = (uint16_t)git_tree_entry_filemode(old_entry);
	}
	if (new_entry) {
		d->new_file.id = *git_tree_entry_id(new_entry);
		d->new_file.mode = (uint16_t)git_tree_entry_filemode(new_entry);
	}
	c->count++;
	return 0;
}

static int walk(sanctum_tree_changes *c, git_repository *repo, git_tree *old_tree,
                git_tree *new_tree, const char *prefix);

/* Descends into the subtrees of one name (either side may be absent). */
static int descend(sanctum_tree_changes *c, git_repository *repo, const git_tree_entry *o,
                   const git_tree_entry *n, const char *path)
{
	git_tree *old_sub = NULL, *new_sub = NULL;
	char prefix[1024];
	int error = 0;

	if (snprintf(prefix, sizeof(prefix), "%s/", path) >= (int)sizeof(prefix))
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "a path in the store is too long");
	if ((o && git_tree_lookup(&old_sub, repo, git_tree_entry_id(o)) < 0) ||
	    (n && git_tree_lookup(&new_sub, repo, git_tree_entry_id(n)) < 0))
		error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT,
		                           "cannot read a folder of the store");
	if (error == 0)
		error = walk(c, repo, old_sub, new_sub, prefix);
	git_tree_free(old_sub);
	git_tree_free(new_sub);
	return error;
}

/* One name present in the new tree: unchanged, modified, added, or a change of type. */
static int compare(sanctum_tree_changes *c, git_repository *repo, const git_tree_entry *o,
                   const git_tree_entry *n, const char *path)
{
	int n_tree = git_tree_entry_type(n) == GIT_OBJECT_TREE;
	int o_tree = o && git_tree_entry_type(o) == GIT_OBJECT_TREE;

	if (o && git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(n)) &&
	    git_tree_entry_filemode(o) == git_tree_entry_filemode(n))
		return 0;
	if (o && o_tree != n_tree)
		return add_delta(c, GIT_DELTA_TYPECHANGE, path, o, n);
	if (n_tree)
		return descend(c, repo, o, n, path);
	return add_delta(c, o ? GIT_DELTA_MODIFIED : GIT_DELTA_ADDED, path, o, n);
}

static int walk(sanctum_tree_changes *c, git_repository *repo, git_tree *old_tree,
                git_tree *new_tree, const char *prefix)
{
	char path[1024];
	int error = 0;

	for (size_t i = 0; error == 0 && new_tree && i < git_tree_entrycount(new_tree); i++) {
		const git_tree_entry *n = git_tree_entry_byindex(new_tree, i);
		const git_tree_entry *o =
			old_tree ? git_tree_entry_byname(old_tree, git_tree_entry_name(n)) : NULL;

		snprintf(path, sizeof(path), "%s%s", prefix, git_tree_entry_name(n));
		error = compare(c, repo, o, n, path);
	}
	for (size_t i = 0; error == 0 && old_tree && i < git_tree_entrycount(old_tree); i++) {
		const git_tree_entry *o = git_tree_entry_byindex(old_tree, i);

		if (new_tree && git_tree_entry_byname(new_tree, git_tree_entry_name(o)))
			continue;
		snprintf(path, sizeof(path), "%s%s", prefix, git_tree_entry_name(o));
		error = git_tree_entry_type(o) == GIT_OBJECT_TREE
		                ? descend(c, repo, o, NULL, path)
		                : add_delta(c, GIT_DELTA_DELETED, path, o, NULL);
	}
	return error;
}

int sanctum_tree__changes(sanctum_tree_changes *out, git_repository *repo, git_tree *old_tree,
                          git_tree *new_tree)
{
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = walk(out, repo, old_tree, new_tree, "")) < 0)
		sanctum_tree__changes_dispose(out);
	return error;
}

void sanctum_tree__changes_dispose(sanctum_tree_changes *changes)
{
	for (size_t i = 0; i < changes->count; i++)
		free((char *)changes->items[i].new_file.path);
	free(changes->items);
	memset(changes, 0, sizeof(*changes));
}

/*
 * The changes between two trees, descending only into subtrees whose ids differ, so the
 * cost grows with the change and not with the store. (libgit2 1.5's tree-to-tree diff
 * walks every file of both trees, which made verifying a long history cost commits x
 * documents.)
 */
#ifndef SANCTUM_TREE_CHANGES_H
#define SANCTUM_TREE_CHANGES_H

#include <git2.h>

typedef struct {
	git_diff_delta *items;        /* owned; each path is owned (old and new share it) */
	size_t count;
	size_t cap;
} sanctum_tree_changes;

/**
 * Fills `out` with one delta per changed file: ADDED, DELETED, MODIFIED, or TYPECHANGE
 * (a file became a folder or the reverse, reported once at that path). `old_tree` may be
 * NULL (everything added). Returns 0 or an error (out is then empty).
 */
int sanctum_tree__changes(sanctum_tree_changes *out, git_repository *repo, git_tree *old_tree,
                          git_tree *new_tree);

void sanctum_tree__changes_dispose(sanctum_tree_changes *changes);

#endif

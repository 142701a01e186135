/*
 * Listing the documents on main. The list is served from the reader's local index
 * (index.h) and brought up to date with a tree diff limited to docs/: only the document
 * files that changed since the head the index reflects are decrypted and checked, so a
 * listing costs one X25519 operation to open the index plus one per changed document.
 * The store is always the authority: an index that cannot be read, or that does not match
 * the tree it claims to reflect, is rebuilt from scratch.
 */
#include "store_internal.h"

#include "errors_internal.h"
#include "index.h"
#include "signed_file.h"

#include <stdlib.h>
#include <string.h>

/* Returned by update() when the index does not match the tree it claims: rebuild. */
#define STALE 1

/* What an update works against: main's head, its tree, and the roster there. */
typedef struct {
	sanctum_store *store;
	const sanctum_identity *reader;
	git_commit *head;
	git_tree *tree;
	sanctum_roster roster;
} list_state;

static void state_dispose(list_state *st)
{
	sanctum_roster__dispose(&st->roster);
	git_tree_free(st->tree);
	git_commit_free(st->head);
}

static int state_load(list_state *st, sanctum_store *store, const sanctum_identity *reader)
{
	int error;

	memset(st, 0, sizeof(*st));
	st->store = store;
	st->reader = reader;
	if ((error = sanctum_store__head(&st->head, store)) < 0)
		return error;
	if (git_commit_tree(&st->tree, st->head) < 0)
		return sanctum_store__git_error("cannot read the head tree");
	if ((error = sanctum_store__load_roster(&st->roster, store, st->tree)) < 0)
		return error;
	return sanctum_store__check_member(&st->roster, reader, 0);
}

/*
 * The id that a document path names. Returns -1 unless `path` is exactly
 * "docs/xx/<32 lowercase hex digits>.age" with xx the first two digits of the id.
 */
static int path_to_id(unsigned char id[SANCTUM_DOC_ID_SIZE], const char *path)
{
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

	if (strlen(path) != 44 || strncmp(path, "docs/", 5) != 0 || path[7] != '/' ||
	    strcmp(path + 40, ".age") != 0)
		return -1;
	memcpy(hex, path + 8, 2 * SANCTUM_DOC_ID_SIZE);
	hex[2 * SANCTUM_DOC_ID_SIZE] = '\0';
	if (path[5] != hex[0] || path[6] != hex[1])
		return -1;
	return sanctum_hex_decode(id, SANCTUM_DOC_ID_SIZE, hex);
}

/* Decrypts and checks the document file `blob_id` at `path` into a new entry. */
static int read_entry(sanctum_index_entry *out, list_state *st, const char *path,
                      const unsigned char id[SANCTUM_DOC_ID_SIZE], const git_oid *blob_id)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	git_blob *blob = NULL;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (git_blob_lookup(&blob, st->store->repo, blob_id) < 0)
		error = sanctum_store__git_error("cannot read a document file of the store");
	else if ((uint64_t)git_blob_rawsize(blob) > SANCTUM_STORE_MAX_DOC_FILE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "'%s' is larger than the %u bytes allowed", path,
		                           SANCTUM_STORE_MAX_DOC_FILE);
	else
		error = sanctum_store__open_doc(&doc, st->store, &st->roster, st->tree, path, id,
		                                git_blob_rawcontent(blob),
		                                (size_t)git_blob_rawsize(blob), st->reader);
	if (error == 0)
		error = sanctum_index__info_from_doc(&out->info, &doc);
	if (error == 0)
		git_oid_cpy(&out->blob, blob_id);
	sanctum_doc_dispose(&doc);
	git_blob_free(blob);
	return error;
}

/*
 * Applies one changed path to the index: drops a deleted document, re-reads an added or
 * modified one (new documents go to `added`, since `index` must stay sorted while the
 * diff is applied). Returns STALE when the change does not fit what the index holds.
 */
static int apply_delta(sanctum_index *index, sanctum_index *added, list_state *st,
                       const git_diff_delta *delta)
{
	const char *path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path
	                                                      : delta->new_file.path;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	sanctum_index_entry entry;
	long at;
	int error;

	if (path_to_id(id, path) < 0)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' on main is not a document path; "
		                          "run 'sanctum verify'", path);
	at = sanctum_index__find(index, id);
	switch (delta->status) {
	case GIT_DELTA_DELETED:
		if (at < 0 || !git_oid_equal(&index->entries[at].blob, &delta->old_file.id))
			return STALE;
		index->entries[at].dropped = 1;
		return 0;
	case GIT_DELTA_MODIFIED:
		if (at < 0 || !git_oid_equal(&index->entries[at].blob, &delta->old_file.id))
			return STALE;
		break;
	case GIT_DELTA_ADDED:
		if (at >= 0)
			return STALE;
		break;
	default:
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT,
		                          "unexpected kind of change to '%s'", path);
	}
	if (delta->new_file.mode != GIT_FILEMODE_BLOB &&
	    delta->new_file.mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' is not a file", path);
	if ((error = read_entry(&entry, st, path, id, &delta->new_file.id)) < 0)
		return error;
	if (at < 0)
		return sanctum_index__append(added, &entry);
	sanctum_index__info_dispose(&index->entries[at].info);
	index->entries[at] = entry;
	return 0;
}

/*
 * Brings `index` from `old_tree` (NULL: the empty tree, a rebuild) to the head's tree.
 * Returns 0, STALE, or an error naming the document that failed.
 */
static int update(sanctum_index *index, list_state *st, git_tree *old_tree)
{
	static char docs[] = "docs/";
	char *pathspec[1] = { docs };
	git_diff_options opts;
	sanctum_index added;
	git_diff *diff = NULL;
	int error = 0;

	sanctum_index__init(&added, index->group_id);
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.pathspec.strings = pathspec;
	opts.pathspec.count = 1;
	opts.flags = GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	if (git_diff_tree_to_tree(&diff, st->store->repo, old_tree, st->tree, &opts) < 0)
		error = sanctum_store__git_error("cannot compare main with the list index");
	for (size_t i = 0; error == 0 && i < git_diff_num_deltas(diff); i++)
		error = apply_delta(index, &added, st, git_diff_get_delta(diff, i));
	for (size_t i = 0; error == 0 && i < added.count; i++)
		error = sanctum_index__append(index, &added.entries[i]);
	if (error == 0 && (error = sanctum_index__settle(index)) < 0)
		error = STALE;
	sanctum_index__dispose(&added);
	git_diff_free(diff);
	return error;
}

/* Brings the index up to date with main; tells whether it changed in `*changed`. */
static int refresh(sanctum_index *index, list_state *st, int *changed)
{
	const git_oid *head = git_commit_id(st->head);
	git_commit *old = NULL;
	git_tree *old_tree = NULL;
	int error = STALE;

	*changed = 0;
	if (git_oid_equal(&index->head, head))
		return 0;
	*changed = 1;
	if (!git_oid_is_zero(&index->head) &&
	    git_commit_lookup(&old, st->store->repo, &index->head) == 0 &&
	    git_commit_tree(&old_tree, old) == 0)
		error = update(index, st, old_tree);
	git_tree_free(old_tree);
	git_commit_free(old);
	if (error == STALE) {
		/* The recorded head is gone, or the index does not fit it: start over. */
		char group_id[SANCTUM_GROUP_ID_HEX];

		memcpy(group_id, index->group_id, sizeof(group_id));
		sanctum_index__dispose(index);
		sanctum_index__init(index, group_id);
		sanctum_error_clear();
		error = update(index, st, NULL);
		if (error == STALE)
			error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
			                           "main holds one document twice; "
			                           "run 'sanctum verify'");
	}
	if (error == 0)
		git_oid_cpy(&index->head, head);
	return error;
}

static int by_title(const void *a, const void *b)
{
	const sanctum_doc_info *x = a, *y = b;
	int c = strcmp(x->title, y->title);

	return c ? c : memcmp(x->id, y->id, SANCTUM_DOC_ID_SIZE);
}

/* Moves the entries' infos into `out`, sorted by title then id. */
static int to_list(sanctum_doc_list *out, sanctum_index *index)
{
	if (index->count == 0)
		return 0;
	if (!(out->items = calloc(index->count, sizeof(*out->items))))
		return sanctum_error__nomem();
	for (size_t i = 0; i < index->count; i++) {
		out->items[i] = index->entries[i].info;
		memset(&index->entries[i].info, 0, sizeof(index->entries[i].info));
	}
	out->count = index->count;
	qsort(out->items, out->count, sizeof(*out->items), by_title);
	return 0;
}

int sanctum_store_list(sanctum_doc_list *out, sanctum_store *store, const sanctum_identity *reader)
{
	sanctum_index index;
	list_state st;
	char *path = NULL;
	int error, changed = 0;

	memset(out, 0, sizeof(*out));
	sanctum_index__init(&index, store->manifest.id);
	error = state_load(&st, store, reader);
	if (error == 0 && !(path = sanctum_index__path(store, reader)))
		error = sanctum_error__os("cannot create the store's local folder");
	if (error == 0 && (sanctum_index__read(&index, path, reader) < 0 ||
	                   strcmp(index.group_id, store->manifest.id) != 0)) {
		/* Missing, unreadable or another group's: the store will tell. */
		sanctum_index__dispose(&index);
		sanctum_index__init(&index, store->manifest.id);
		sanctum_error_clear();
	}
	if (error == 0)
		error = refresh(&index, &st, &changed);
	/* The index is a cache: failing to save it must not fail the listing. */
	if (error == 0 && changed && sanctum_index__write(&index, path, reader) < 0)
		sanctum_error_clear();
	if (error == 0)
		error = to_list(out, &index);
	sanctum_index__dispose(&index);
	free(path);
	state_dispose(&st);
	return error;
}

void sanctum_doc_list_dispose(sanctum_doc_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		sanctum_index__info_dispose(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

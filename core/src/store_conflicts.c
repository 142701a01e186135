/*
 * Conflicts on main (sanctum/conflicts.h): listing the losing revisions a merge kept
 * under conflicts/xx/ID/HASH.age, and resolving a document with one signed commit that
 * writes its next revision and removes all of its conflict files.
 */
#include "sanctum/conflicts.h"

#include "errors_internal.h"
#include "signed_file.h"
#include "store_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_HEX (2 * SANCTUM_DOC_HASH_SIZE)
#define ID_HEX (2 * SANCTUM_DOC_ID_SIZE)

/* One conflict file of a document: its revision hash (from its name) and its blob. */
typedef struct {
	char name[HASH_HEX + 1];
	git_oid blob;
} conflict_file;

typedef struct {
	conflict_file *items;
	size_t count;
} conflict_files;

/* ---- reading conflicts/ ---- */

static int bad_path(const char *dir, const char *name)
{
	char quoted[SANCTUM_QUOTE_MAX + 4];

	return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
	                          "'%s/%s' is not a legal path in a store", dir,
	                          sanctum_error__quote(quoted, (const unsigned char *)name,
	                                               strlen(name), SANCTUM_QUOTE_MAX));
}

static int is_lower_hex(const char *s, size_t len)
{
	return strlen(s) >= len && strspn(s, "0123456789abcdef") >= len;
}

/* The subtree at `path` of `tree`, or NULL (and 0) when there is none. */
static int subtree(git_tree **out, sanctum_store *store, git_tree *tree, const char *path)
{
	git_tree_entry *entry = NULL;
	int error = 0;

	*out = NULL;
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                           "'%s' in the store is not a folder", path);
	else if (git_tree_lookup(out, store->repo, git_tree_entry_id(entry)) < 0)
		error = sanctum_store__git_error("cannot read the conflicts");
	git_tree_entry_free(entry);
	return error;
}

/* Reads the files of conflicts/xx/ID (`dir`), each named by a revision hash. */
static int read_files(conflict_files *out, sanctum_store *store, git_tree *tree, const char *dir)
{
	git_tree *files = NULL;
	int error = subtree(&files, store, tree, dir);
	size_t n = files ? git_tree_entrycount(files) : 0;

	memset(out, 0, sizeof(*out));
	if (error == 0 && n && !(out->items = calloc(n, sizeof(*out->items))))
		error = sanctum_error__nomem();
	for (size_t i = 0; error == 0 && i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(files, i);
		const char *name = git_tree_entry_name(e);

		if (strlen(name) != HASH_HEX + 4 || !is_lower_hex(name, HASH_HEX) ||
		    strcmp(name + HASH_HEX, ".age") != 0 ||
		    git_tree_entry_type(e) != GIT_OBJECT_BLOB)
			error = bad_path(dir, name);
		else {
			memcpy(out->items[out->count].name, name, HASH_HEX);
			out->items[out->count].name[HASH_HEX] = '\0';
			out->items[out->count++].blob = *git_tree_entry_id(e);
		}
	}
	git_tree_free(files);
	if (error < 0) {
		free(out->items);
		memset(out, 0, sizeof(*out));
	}
	return error;
}

static void conflict_dir(char out[64], const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	char hex[ID_HEX + 1];

	sanctum_doc_id_to_hex(hex, id);
	snprintf(out, 64, "conflicts/%.2s/%s", hex, hex);
}

/* Opens one conflict revision and checks that it is the revision its name says. */
static int open_conflict(sanctum_doc *out, sanctum_store *store, const sanctum_snapshot *s,
                         const unsigned char id[SANCTUM_DOC_ID_SIZE], const conflict_file *f,
                         const sanctum_identity *reader)
{
	char path[160], dir[64], named[HASH_HEX + 1];
	git_blob *blob = NULL;
	int error;

	conflict_dir(dir, id);
	snprintf(path, sizeof(path), "%s/%s.age", dir, f->name);
	if (git_blob_lookup(&blob, store->repo, &f->blob) < 0)
		return sanctum_store__git_error("cannot read a conflict revision");
	if ((size_t)git_blob_rawsize(blob) > SANCTUM_STORE_MAX_DOC_FILE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                           "'%s' is larger than allowed", path);
	else
		error = sanctum_store__open_doc(out, store, &s->roster, s->tree, path, id,
		                                git_blob_rawcontent(blob),
		                                (size_t)git_blob_rawsize(blob), reader);
	git_blob_free(blob);
	if (error == 0) {
		sanctum_hex_encode(named, out->hash, SANCTUM_DOC_HASH_SIZE);
		if (strcmp(named, f->name) != 0) {
			sanctum_doc_dispose(out);
			error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
			                           "'%s' holds another revision than its name says",
			                           path);
		}
	}
	return error;
}

/* ---- listing ---- */

typedef struct {
	sanctum_store *store;
	const sanctum_snapshot *s;
	const sanctum_identity *reader;
	sanctum_conflict_list *out;
} lister;

static int append(lister *l, const sanctum_doc *current, const sanctum_doc *rev)
{
	sanctum_conflict *bigger = realloc(l->out->items, (l->out->count + 1) * sizeof(*bigger));
	sanctum_conflict *c;

	if (!bigger)
		return sanctum_error__nomem();
	l->out->items = bigger;
	c = &bigger[l->out->count];
	memset(c, 0, sizeof(*c));
	if (!(c->title = strdup(current->title)))
		return sanctum_error__nomem();
	memcpy(c->id, rev->id, sizeof(c->id));
	c->current_rev = current->rev;
	memcpy(c->hash, rev->hash, sizeof(c->hash));
	c->rev = rev->rev;
	memcpy(c->author, rev->author, sizeof(c->author));
	c->time = rev->time;
	c->size = rev->body.size;
	c->deleted = rev->deleted;
	l->out->count++;
	return 0;
}

/* Lists the conflict files of one document folder, conflicts/xx/<name>. */
static int list_document(lister *l, const char *bucket, const char *name)
{
	sanctum_doc current = SANCTUM_DOC_INIT;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	conflict_files files;
	char dir[64];
	int error;

	if (strlen(name) != ID_HEX || !is_lower_hex(name, ID_HEX) ||
	    strncmp(name, bucket, 2) != 0 || sanctum_doc_id_from_hex(id, name) < 0)
		return bad_path("conflicts", name);
	conflict_dir(dir, id);
	if ((error = read_files(&files, l->store, l->s->tree, dir)) < 0)
		return error;
	if (files.count)
		error = sanctum_store__read_current(&current, l->store, l->s, id, l->reader);
	for (size_t i = 0; error == 0 && i < files.count; i++) {
		sanctum_doc rev = SANCTUM_DOC_INIT;

		error = open_conflict(&rev, l->store, l->s, id, &files.items[i], l->reader);
		if (error == 0)
			error = append(l, &current, &rev);
		sanctum_doc_dispose(&rev);
	}
	sanctum_doc_dispose(&current);
	free(files.items);
	return error;
}

static int list_bucket(lister *l, const char *bucket)
{
	git_tree *ids = NULL;
	char path[32];
	int error;

	if (strlen(bucket) != 2 || !is_lower_hex(bucket, 2))
		return bad_path("conflicts", bucket);
	snprintf(path, sizeof(path), "conflicts/%s", bucket);
	error = subtree(&ids, l->store, l->s->tree, path);
	for (size_t i = 0; error == 0 && ids && i < git_tree_entrycount(ids); i++) {
		const git_tree_entry *entry = git_tree_entry_byindex(ids, i);

		error = list_document(l, bucket, git_tree_entry_name(entry));
	}
	git_tree_free(ids);
	return error;
}

int sanctum_store_conflicts(sanctum_conflict_list *out, sanctum_store *store,
                            const sanctum_identity *reader)
{
	git_tree *buckets = NULL;
	sanctum_snapshot s;
	lister l = { store, &s, reader, out };
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	error = sanctum_store__check_member(&s.roster, reader, 0);
	if (error == 0)
		error = subtree(&buckets, store, s.tree, "conflicts");
	for (size_t i = 0; error == 0 && buckets && i < git_tree_entrycount(buckets); i++)
		error = list_bucket(&l, git_tree_entry_name(git_tree_entry_byindex(buckets, i)));
	git_tree_free(buckets);
	sanctum_store__snapshot_dispose(&s);
	if (error < 0)
		sanctum_conflict_list_dispose(out);
	return error;
}

void sanctum_conflict_list_dispose(sanctum_conflict_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].title);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* ---- resolving ---- */

/* The one conflict file whose name starts with `prefix` (any case). */
static int find_take(const conflict_file **out, const conflict_files *files, const char *prefix)
{
	char want[HASH_HEX + 1];
	size_t len = strlen(prefix), matches = 0;

	if (len < 4 || len > HASH_HEX)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a revision hash has 4 to 64 hex digits");
	for (size_t i = 0; i <= len; i++)
		want[i] = (char)tolower((unsigned char)prefix[i]);
	if (!is_lower_hex(want, len))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a revision hash is hex digits");
	for (size_t i = 0; i < files->count; i++) {
		if (strncmp(files->items[i].name, want, len) == 0) {
			*out = &files->items[i];
			matches++;
		}
	}
	if (matches == 0)
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                          "no conflict revision of this document starts with '%s'",
		                          want);
	if (matches > 1)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' matches %zu conflict revisions; give more digits",
		                          want, matches);
	return 0;
}

/* Copies what the next revision takes from `from`: type, title, tags, body, state. */
static int copy_content(sanctum_doc *next, const sanctum_doc *from, int with_body)
{
	int error = sanctum_doc_set_type(next, from->type);

	if (error == 0)
		error = sanctum_doc_set_title(next, from->title);
	for (size_t i = 0; error == 0 && i < from->ntags; i++)
		error = sanctum_doc_add_tag(next, from->tags[i]);
	if (error == 0 && with_body) {
		next->deleted = from->deleted;
		error = sanctum_buf_put(&next->body, from->body.ptr, from->body.size);
	}
	return error;
}

/* Fills the next revision of `current` as `how` says. */
static int make_next(sanctum_doc *next, sanctum_store *store, const sanctum_snapshot *s,
                     const sanctum_doc *current, const conflict_files *files,
                     const sanctum_resolution *how, const sanctum_identity *author)
{
	sanctum_doc taken = SANCTUM_DOC_INIT;
	const conflict_file *file = NULL;
	int error = 0;

	memcpy(next->id, current->id, sizeof(next->id));
	next->rev = current->rev + 1;
	next->has_parent = 1;
	memcpy(next->parent, current->hash, sizeof(next->parent));
	if (how->kind == SANCTUM_RESOLVE_TAKE) {
		error = find_take(&file, files, how->hash);
		if (error == 0)
			error = open_conflict(&taken, store, s, current->id, file, author);
		if (error == 0)
			error = copy_content(next, &taken, 1);
	} else if (how->kind == SANCTUM_RESOLVE_CURRENT) {
		error = copy_content(next, current, 1);
	} else {
		error = copy_content(next, current, 0);
		if (error == 0)
			error = sanctum_buf_put(&next->body, how->body, how->len);
	}
	sanctum_doc_dispose(&taken);
	return error;
}

static int check_resolution(const sanctum_resolution *how)
{
	if (!how || (how->kind == SANCTUM_RESOLVE_TAKE && !how->hash) ||
	    (how->kind == SANCTUM_RESOLVE_BODY && !how->body && how->len) ||
	    (how->kind != SANCTUM_RESOLVE_TAKE && how->kind != SANCTUM_RESOLVE_CURRENT &&
	     how->kind != SANCTUM_RESOLVE_BODY))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "invalid argument: an unknown way to resolve");
	if (how->kind == SANCTUM_RESOLVE_BODY && how->len > SANCTUM_DOC_MAX_BODY)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a document body is limited to %u bytes",
		                          SANCTUM_DOC_MAX_BODY);
	return 0;
}

/* The tree updates: the new revision, and the removal of every conflict file. */
static int commit_resolution(sanctum_store *store, const sanctum_snapshot *s,
                             const unsigned char id[SANCTUM_DOC_ID_SIZE], const git_oid *blob,
                             const conflict_files *files, const sanctum_identity *author)
{
	git_tree_update *updates = calloc(files->count + 1, sizeof(*updates));
	char (*paths)[160] = calloc(files->count + 1, sizeof(*paths));
	char dir[64];
	git_oid commit;
	int error = 0;

	if (!updates || !paths)
		error = sanctum_error__nomem();
	conflict_dir(dir, id);
	for (size_t i = 0; error == 0 && i <= files->count; i++) {
		if (i == files->count) {
			sanctum_store__doc_path(paths[i], id);
			updates[i].action = GIT_TREE_UPDATE_UPSERT;
			updates[i].id = *blob;
			updates[i].filemode = GIT_FILEMODE_BLOB;
		} else {
			snprintf(paths[i], sizeof(paths[i]), "%s/%s.age", dir,
			         files->items[i].name);
			updates[i].action = GIT_TREE_UPDATE_REMOVE;
		}
		updates[i].path = paths[i];
	}
	if (error == 0)
		error = sanctum_store__commit(&commit, store, s->head, updates, files->count + 1,
		                              author, "sanctum: 1 resolved");
	free(updates);
	free(paths);
	return error;
}

static int resolve_locked(sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                          const sanctum_resolution *how, const sanctum_identity *author)
{
	sanctum_doc current = SANCTUM_DOC_INIT, next = SANCTUM_DOC_INIT;
	conflict_files files = { NULL, 0 };
	char dir[64], hex[ID_HEX + 1];
	sanctum_snapshot s;
	git_oid blob;
	int error;

	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	error = sanctum_store__check_member(&s.roster, author, 1);
	if (error == 0)
		error = sanctum_store__read_current(&current, store, &s, id, author);
	conflict_dir(dir, id);
	if (error == 0)
		error = read_files(&files, store, s.tree, dir);
	if (error == 0 && files.count == 0) {
		sanctum_doc_id_to_hex(hex, id);
		error = sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                           "document '%s' has no conflicts", hex);
	}
	if (error == 0)
		error = make_next(&next, store, &s, &current, &files, how, author);
	if (error == 0)
		error = sanctum_store__write_revision(&blob, store, &s.roster, &next, author);
	if (error == 0)
		error = commit_resolution(store, &s, id, &blob, &files, author);
	free(files.items);
	sanctum_doc_dispose(&current);
	sanctum_doc_dispose(&next);
	sanctum_store__snapshot_dispose(&s);
	return error;
}

int sanctum_store_conflict_resolve(sanctum_store *store,
                                   const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                   const sanctum_resolution *how,
                                   const sanctum_identity *author)
{
	int error;

	if ((error = check_resolution(how)) < 0)
		return error;
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	error = resolve_locked(store, id, how, author);
	sanctum_store__unlock(store);
	return error;
}

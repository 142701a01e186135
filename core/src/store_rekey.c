/*
 * Rekeying: bringing every document to the newest epoch after a removal. Each document
 * file that the newest epoch key does not open is decrypted with an older epoch key and
 * encrypted again, unchanged, to the newest epoch; all of it in one signed commit, so an
 * interrupted rekey leaves main as it was (the blobs already written are unreferenced).
 */
#include "store_members_internal.h"

#include "errors_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	sanctum_store *store;
	const sanctum_snapshot *s;
	const sanctum_age_identity **keys;   /* newest epoch first */
	size_t nkeys;
	sanctum_age_recipient *newest;
	git_tree_update *updates;
	char (*paths)[48];
	size_t count, cap;
	int error;
} rekey_state;

static int grow(rekey_state *r)
{
	size_t cap = r->cap ? r->cap * 2 : 64;
	git_tree_update *u = realloc(r->updates, cap * sizeof(*u));
	char (*p)[48];

	if (!u)
		return sanctum_error__nomem();
	r->updates = u;
	if (!(p = realloc(r->paths, cap * sizeof(*p))))
		return sanctum_error__nomem();
	r->paths = p;
	r->cap = cap;
	return 0;
}

/* Re-encrypts one document file if the newest key does not open it. */
static int rekey_file(rekey_state *r, const char *path, const git_oid *id)
{
	const sanctum_age_recipient *to[1] = { r->newest };
	sanctum_buf plain = SANCTUM_BUF_INIT, sealed = SANCTUM_BUF_INIT;
	git_blob *blob = NULL;
	git_oid oid;
	int error;

	if (git_blob_lookup(&blob, r->store->repo, id) < 0)
		return sanctum_store__git_error("cannot read a document file");
	error = sanctum_age_decrypt(&plain, r->keys, 1, NULL, git_blob_rawcontent(blob),
	                            (size_t)git_blob_rawsize(blob));
	if (error == SANCTUM_ENOMATCH && r->nkeys > 1) {
		error = sanctum_age_decrypt(&plain, r->keys + 1, r->nkeys - 1, NULL,
		                            git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		if (error == 0)
			error = sanctum_age_encrypt(&sealed, to, 1, 0, plain.ptr, plain.size);
		if (error == 0 && git_blob_create_from_buffer(&oid, r->store->repo, sealed.ptr,
		                                              sealed.size) < 0)
			error = sanctum_store__git_error("cannot write a document file");
		if (error == 0 && r->count == r->cap)
			error = grow(r);
		if (error == 0) {
			snprintf(r->paths[r->count], sizeof(r->paths[0]), "%s", path);
			r->updates[r->count].action = GIT_TREE_UPDATE_UPSERT;
			r->updates[r->count].filemode = GIT_FILEMODE_BLOB;
			r->updates[r->count].id = oid;
			r->count++;
		}
	}
	if (error < 0)
		error = sanctum_error__wrap(error, sanctum_error_last()->klass, "'%s'", path);
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&sealed);
	git_blob_free(blob);
	return error;
}

static int walk_doc(const char *root, const git_tree_entry *entry, void *payload)
{
	rekey_state *r = payload;
	char path[48];

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	snprintf(path, sizeof(path), "docs/%s%s", root, git_tree_entry_name(entry));
	if ((r->error = rekey_file(r, path, git_tree_entry_id(entry))) < 0)
		return -1;
	return 0;
}

static int rekey_locked(rekey_state *r, const sanctum_identity *member)
{
	const sanctum_roster *roster = &r->s->roster;
	const sanctum_epoch_info *newest = sanctum_roster__current_epoch(roster);
	git_tree_entry *docs = NULL;
	git_tree *tree = NULL;
	char summary[64];
	git_oid commit;
	int error = 0;

	if (!(r->keys = calloc(roster->nepochs, sizeof(*r->keys))))
		return sanctum_error__nomem();
	for (size_t i = roster->nepochs; error == 0 && i > 0; i--)
		error = sanctum_store__epoch_key(&r->keys[r->nkeys++], r->store, roster, r->s->tree,
		                                 roster->epochs[i - 1].number, member);
	if (error < 0)
		return sanctum_error__wrap(error, sanctum_error_last()->klass,
		                           "rekeying needs every epoch key");
	if ((error = sanctum_age_recipient_from_x25519(&r->newest, newest->recipient)) < 0)
		return error;
	if (git_tree_entry_bypath(&docs, r->s->tree, "docs") < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_lookup(&tree, r->store->repo, git_tree_entry_id(docs)) < 0)
		error = sanctum_store__git_error("cannot read the documents");
	else if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_doc, r) < 0)
		error = r->error ? r->error : sanctum_store__git_error("cannot walk the documents");
	for (size_t i = 0; error == 0 && i < r->count; i++)
		r->updates[i].path = r->paths[i];
	snprintf(summary, sizeof(summary), "sanctum: %zu rekeyed", r->count);
	if (error == 0 && r->count)
		error = sanctum_store__commit(&commit, r->store, r->s->head, r->updates, r->count,
		                              member, summary);
	git_tree_free(tree);
	git_tree_entry_free(docs);
	return error;
}

int sanctum_store_rekey(sanctum_store *store, const sanctum_identity *member, size_t *count)
{
	rekey_state r;
	sanctum_snapshot s;
	int error;

	memset(&r, 0, sizeof(r));
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	if ((error = sanctum_store__snapshot_load(&s, store)) == 0) {
		r.store = store;
		r.s = &s;
		error = rekey_locked(&r, member);
		sanctum_store__snapshot_dispose(&s);
	}
	if (error == 0 && count)
		*count = r.count;
	sanctum_age_recipient_free(r.newest);
	free(r.keys);
	free(r.updates);
	free(r.paths);
	sanctum_store__unlock(store);
	return error;
}

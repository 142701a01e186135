/*
 * Documents in the store: adding, updating, removing (a signed tombstone), reading and
 * resolving id prefixes. Every change is one signed commit made under the store's lock.
 */
#include "store_internal.h"

#include "errors_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sanctum_store__write_revision(git_oid *out, sanctum_store *store,
                                  const sanctum_roster *roster, sanctum_doc *doc,
                                  const sanctum_identity *author)
{
	const sanctum_epoch_info *epoch = sanctum_roster__current_epoch(roster);
	sanctum_buf plain = SANCTUM_BUF_INIT, sealed = SANCTUM_BUF_INIT;
	sanctum_age_recipient *recipient = NULL;
	const sanctum_age_recipient *recipients[1];
	int error;

	doc->time = (int64_t)time(NULL);
	error = sanctum_doc_seal(&plain, doc, author);
	if (error == 0)
		error = sanctum_age_recipient_from_x25519(&recipient, epoch->recipient);
	recipients[0] = recipient;
	if (error == 0)
		error = sanctum_age_encrypt(&sealed, recipients, 1, 0, plain.ptr, plain.size);
	if (error == 0 && git_blob_create_from_buffer(out, store->repo, sealed.ptr, sealed.size) < 0)
		error = sanctum_store__git_error("cannot write a document into the store");
	sanctum_age_recipient_free(recipient);
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&sealed);
	return error;
}

static int fill_doc(sanctum_doc *doc, const sanctum_new_doc *from)
{
	int error = 0;

	if (from->title)
		error = sanctum_doc_set_title(doc, from->title);
	if (error == 0)
		error = sanctum_doc_set_type(doc, from->type ? from->type : "application/octet-stream");
	for (size_t i = 0; error == 0 && i < from->ntags; i++)
		error = sanctum_doc_add_tag(doc, from->tags[i]);
	if (error == 0 && from->len > SANCTUM_DOC_MAX_BODY)
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "a document body is limited to %u bytes",
		                           SANCTUM_DOC_MAX_BODY);
	if (error == 0 && sanctum_buf_put(&doc->body, from->body, from->len) < 0)
		error = SANCTUM_ENOMEM;
	return error;
}

static void set_update(git_tree_update *u, const git_oid *oid, char *path)
{
	u->action = GIT_TREE_UPDATE_UPSERT;
	u->id = *oid;
	u->filemode = GIT_FILEMODE_BLOB;
	u->path = path;
}

int sanctum_store_add(sanctum_store *store, unsigned char (*ids)[SANCTUM_DOC_ID_SIZE],
                      const sanctum_new_doc *docs, size_t count, const sanctum_identity *author)
{
	git_tree_update *updates = NULL;
	char (*paths)[48] = NULL;
	char summary[64];
	sanctum_snapshot s;
	git_oid commit;
	int error;

	if (count == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "no documents to add");
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	if ((error = sanctum_store__snapshot_load(&s, store)) < 0) {
		sanctum_store__unlock(store);
		return error;
	}
	error = sanctum_store__check_member(&s.roster, author, 1);
	if (error == 0 && (!(updates = calloc(count, sizeof(*updates))) ||
	                   !(paths = calloc(count, sizeof(*paths)))))
		error = sanctum_error__nomem();
	for (size_t i = 0; error == 0 && i < count; i++) {
		sanctum_doc doc = SANCTUM_DOC_INIT;
		git_oid blob;

		sanctum_doc_new_id(doc.id);
		doc.rev = 1;
		error = fill_doc(&doc, &docs[i]);
		if (error == 0)
			error = sanctum_store__write_revision(&blob, store, &s.roster, &doc, author);
		if (error == 0) {
			memcpy(ids[i], doc.id, SANCTUM_DOC_ID_SIZE);
			sanctum_store__doc_path(paths[i], doc.id);
			set_update(&updates[i], &blob, paths[i]);
		}
		sanctum_doc_dispose(&doc);
	}
	snprintf(summary, sizeof(summary), "sanctum: %zu added", count);
	if (error == 0)
		error = sanctum_store__commit(&commit, store, s.head, updates, count, author, summary);
	free(updates);
	free(paths);
	sanctum_store__snapshot_dispose(&s);
	sanctum_store__unlock(store);
	return error;
}

int sanctum_store__read_current(sanctum_doc *out, sanctum_store *store, const sanctum_snapshot *s,
                    const unsigned char id[SANCTUM_DOC_ID_SIZE], const sanctum_identity *reader)
{
	sanctum_buf file = SANCTUM_BUF_INIT;
	char path[48];
	int error;

	sanctum_store__doc_path(path, id);
	error = sanctum_store__read_blob(&file, store, s->tree, path, SANCTUM_STORE_MAX_DOC_FILE);
	if (error == SANCTUM_ENOTFOUND) {
		char hex[2 * SANCTUM_DOC_ID_SIZE + 1];
		sanctum_doc_id_to_hex(hex, id);
		error = sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                           "no document '%s' in the store", hex);
	}
	if (error == 0)
		error = sanctum_store__open_doc(out, store, &s->roster, s->tree, path, id, file.ptr,
		                                file.size, reader);
	sanctum_buf_dispose(&file);
	return error;
}

int sanctum_store_read(sanctum_doc *out, sanctum_store *store,
                       const unsigned char id[SANCTUM_DOC_ID_SIZE], const sanctum_identity *reader)
{
	sanctum_snapshot s;
	int error;

	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	error = sanctum_store__check_member(&s.roster, reader, 0);
	if (error == 0)
		error = sanctum_store__read_current(out, store, &s, id, reader);
	sanctum_store__snapshot_dispose(&s);
	return error;
}

/* Makes the next revision of a document from its current one. */
static int change_doc(sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                      const sanctum_new_doc *changes, const sanctum_identity *author)
{
	sanctum_doc current = SANCTUM_DOC_INIT, next = SANCTUM_DOC_INIT;
	git_tree_update update;
	git_oid blob, commit;
	char path[48];
	sanctum_snapshot s;
	int error;

	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	error = sanctum_store__check_member(&s.roster, author, 1);
	if (error == 0)
		error = sanctum_store__read_current(&current, store, &s, id, author);
	if (error == 0 && current.deleted)
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "the document was deleted; add it again instead");
	if (error == 0) {
		memcpy(next.id, id, SANCTUM_DOC_ID_SIZE);
		next.rev = current.rev + 1;
		next.has_parent = 1;
		memcpy(next.parent, current.hash, sizeof(next.parent));
		sanctum_new_doc merged = *changes;
		if (!merged.title)
			merged.title = current.title;
		if (!merged.type)
			merged.type = current.type;
		if (!changes->tags) {
			merged.tags = (const char *const *)current.tags;
			merged.ntags = current.ntags;
		}
		next.deleted = changes->body == NULL;
		if (next.deleted)
			merged.len = 0;
		error = fill_doc(&next, &merged);
	}
	if (error == 0)
		error = sanctum_store__write_revision(&blob, store, &s.roster, &next, author);
	if (error == 0) {
		sanctum_store__doc_path(path, id);
		set_update(&update, &blob, path);
		error = sanctum_store__commit(&commit, store, s.head, &update, 1, author,
		                              next.deleted ? "sanctum: 1 removed" : "sanctum: 1 updated");
	}
	sanctum_doc_dispose(&current);
	sanctum_doc_dispose(&next);
	sanctum_store__snapshot_dispose(&s);
	return error;
}

int sanctum_store_update(sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                         const sanctum_new_doc *changes, const sanctum_identity *author)
{
	static const unsigned char empty[1];
	sanctum_new_doc body = *changes;
	int error;

	/* A NULL body means a tombstone inside change_doc; an update always has a body. */
	if (!body.body)
		body.body = empty;
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	error = change_doc(store, id, &body, author);
	sanctum_store__unlock(store);
	return error;
}

int sanctum_store_remove(sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                         const sanctum_identity *author)
{
	sanctum_new_doc tombstone = { NULL, 0, NULL, NULL, 0, NULL };
	int error;

	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	error = change_doc(store, id, &tombstone, author);
	sanctum_store__unlock(store);
	return error;
}

/* ---- id prefixes ---- */

int sanctum_store_resolve(unsigned char id[SANCTUM_DOC_ID_SIZE], sanctum_store *store,
                          const char *prefix)
{
	char want[2 * SANCTUM_DOC_ID_SIZE + 1], dir[16], found[2 * SANCTUM_DOC_ID_SIZE + 1] = "";
	size_t len = strlen(prefix), matches = 0;
	git_tree *tree = NULL, *bucket = NULL;
	git_tree_entry *entry = NULL;
	git_commit *head = NULL;
	int error;

	if (len < 4 || len > 2 * SANCTUM_DOC_ID_SIZE)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a document id has 4 to 32 hex digits, not '%s'", prefix);
	for (size_t i = 0; i <= len; i++)
		want[i] = (char)tolower((unsigned char)prefix[i]);
	if (strspn(want, "0123456789abcdef") != len)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' is not a hex document id", prefix);
	snprintf(dir, sizeof(dir), "docs/%.2s", want);
	if ((error = sanctum_store__head(&head, store)) < 0)
		return error;
	if (git_commit_tree(&tree, head) < 0)
		error = sanctum_store__git_error("cannot read the head tree");
	if (error == 0 && git_tree_entry_bypath(&entry, tree, dir) == 0 &&
	    git_tree_lookup(&bucket, store->repo, git_tree_entry_id(entry)) == 0) {
		for (size_t i = 0; i < git_tree_entrycount(bucket); i++) {
			const char *name = git_tree_entry_name(git_tree_entry_byindex(bucket, i));

			if (strncmp(name, want, len) == 0 && strlen(name) == 2 * SANCTUM_DOC_ID_SIZE + 4) {
				matches++;
				memcpy(found, name, 2 * SANCTUM_DOC_ID_SIZE);
			}
		}
	}
	if (error == 0 && matches == 0)
		error = sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                           "no document id starts with '%s'", prefix);
	else if (error == 0 && matches > 1)
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "'%s' matches %zu documents; give more digits", prefix, matches);
	else if (error == 0)
		error = sanctum_doc_id_from_hex(id, found);
	git_tree_free(bucket);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(head);
	return error;
}

/*
 * What one commit changed, judged path by path: documents, roster entries, epoch files.
 * Only the diff of the commit's tree against its first parent's is read.
 */
#include "verify_internal.h"

#include "errors_internal.h"
#include "signed_file.h"
#include "tree_changes.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- documents ---- */

/* Whether `path` is docs/xx/<32 hex>.age with xx its first two digits; yields the id. */
int sanctum_verify__doc_path_id(unsigned char id[SANCTUM_DOC_ID_SIZE], const char *path)
{
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

	if (strlen(path) != 5 + 3 + 2 * SANCTUM_DOC_ID_SIZE + 4 || strncmp(path, "docs/", 5) != 0 ||
	    path[7] != '/' || strcmp(path + 8 + 2 * SANCTUM_DOC_ID_SIZE, ".age") != 0 ||
	    path[5] != path[8] || path[6] != path[9])
		return 0;
	memcpy(hex, path + 8, 2 * SANCTUM_DOC_ID_SIZE);
	hex[2 * SANCTUM_DOC_ID_SIZE] = '\0';
	return sanctum_doc_id_from_hex(id, hex) == 0;
}

/* Decrypts and checks the revision in blob `oid` (see sanctum_store__open_doc). */
int sanctum_verify__open_revision(sanctum_doc *out, verifier *v, const git_oid *oid,
                         const unsigned char *id)
{
	git_blob *blob = NULL;
	int error;

	if (git_blob_lookup(&blob, v->store->repo, oid) < 0)
		return sanctum_store__git_error("cannot read a document file");
	if ((size_t)git_blob_rawsize(blob) > SANCTUM_STORE_MAX_DOC_FILE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "the document file is larger than allowed");
	else if (v->nkeys == 0)
		error = sanctum_error__set(SANCTUM_ENOMATCH, SANCTUM_ERRCLASS_AGE,
		                           "this reader holds no epoch key");
	else {
		sanctum_buf plain = SANCTUM_BUF_INIT;

		error = sanctum_age_decrypt(&plain, (const sanctum_age_identity *const *)v->keys,
		                            v->nkeys, NULL, git_blob_rawcontent(blob),
		                            (size_t)git_blob_rawsize(blob));
		if (error == 0)
			error = sanctum_doc_open(out, NULL, plain.ptr, plain.size, id);
		sanctum_buf_dispose(&plain);
	}
	git_blob_free(blob);
	return error;
}

int sanctum_verify__extends(const sanctum_doc *now, const sanctum_doc *old)
{
	return now->rev == old->rev + 1 && now->has_parent && !now->has_merged &&
	       sodium_memcmp(now->parent, old->hash, sizeof(now->parent)) == 0;
}

int sanctum_verify__blob_at(git_oid *out, git_tree *tree, const char *path)
{
	git_tree_entry *entry = NULL;
	int found = tree && git_tree_entry_bypath(&entry, tree, path) == 0 &&
	            git_tree_entry_type(entry) == GIT_OBJECT_BLOB;

	if (found)
		*out = *git_tree_entry_id(entry);
	git_tree_entry_free(entry);
	git_error_clear();
	return found;
}

/* Whether the signer of `doc` is an active member as of the commit's parents. */
static int signer_active(const change_ctx *c, const sanctum_doc *doc)
{
	const sanctum_member *m = sanctum_roster__member(c->signers, doc->signer);

	return m && m->active;
}

/* Judges the revision a commit wrote at `path` (added or modified). */
static void judge_revision(verifier *v, const change_ctx *c, const git_diff_delta *d,
                           const unsigned char *doc_id, const sanctum_doc *now)
{
	const git_oid *id = git_commit_id(c->commit);
	const char *path = d->new_file.path;
	sanctum_doc old = SANCTUM_DOC_INIT;
	int modified = d->status == GIT_DELTA_MODIFIED;

	if (modified && sanctum_verify__open_revision(&old, v, &d->old_file.id, doc_id) < 0) {
		sanctum_verify__problem(v, id, path, "the revision it replaces cannot be read: %s",
		                        sanctum_error_last()->message);
	} else if (modified && sodium_memcmp(now->hash, old.hash, sizeof(now->hash)) == 0) {
		/* The same revision, re-encrypted (a rekey): nothing new to judge. */
	} else if (!signer_active(c, now)) {
		sanctum_verify__problem(v, id, path, "revision %llu is signed by '%s', who was not "
		                        "a member at that point of the roster",
		                        (unsigned long long)now->rev, now->author);
	} else if (c->other_tree) {
		sanctum_verify__merge_revision(v, c, path, doc_id, now, modified ? &old : NULL);
	} else if (now->has_merged) {
		sanctum_verify__problem(v, id, path, "a merged revision outside a merge commit");
	} else if (!modified && (now->rev != 1 || now->has_parent)) {
		sanctum_verify__problem(v, id, path, "a new document must start at revision 1");
	} else if (modified && !sanctum_verify__extends(now, &old)) {
		sanctum_verify__problem(v, id, path, "revision %llu does not extend revision %llu "
		                        "that it replaces (an old revision replayed, or a forged "
		                        "chain)", (unsigned long long)now->rev,
		                        (unsigned long long)old.rev);
	}
	sanctum_doc_dispose(&old);
}

static void check_doc(verifier *v, const change_ctx *c, const git_diff_delta *d)
{
	const git_oid *id = git_commit_id(c->commit);
	const char *path = d->new_file.path;
	sanctum_doc now = SANCTUM_DOC_INIT;
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	int error;

	if (!sanctum_verify__doc_path_id(doc_id, path)) {
		sanctum_verify__problem(v, id, path, "not a legal path in a store");
		return;
	}
	error = sanctum_verify__open_revision(&now, v, &d->new_file.id, doc_id);
	if (error == SANCTUM_ENOMATCH && v->missing_epochs) {
		/* Encrypted to an epoch this reader was never given: others must judge it. */
		v->stats->unreadable++;
		return;
	}
	if (error < 0) {
		/* A reader holding every epoch key must be able to read every document. */
		sanctum_verify__problem(v, id, path, "%s", sanctum_error_last()->message);
		return;
	}
	v->stats->documents++;
	judge_revision(v, c, d, doc_id, &now);
	sanctum_doc_dispose(&now);
}

/* ---- one commit ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Applies the roster entries a commit added, in order. Returns how many applied. */
static size_t apply_roster(verifier *v, const change_ctx *c, sanctum_roster *after,
                           const char **paths, size_t n)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	size_t applied = 0;

	qsort(paths, n, sizeof(*paths), by_name);
	for (size_t i = 0; i < n; i++) {
		char name[7], want[16];

		/* Readers replay roster/000001, 000002, ... by name: an entry filed under
		 * another name would count here and nowhere else. */
		sanctum_roster__entry_name(name, after->seq + 1);
		snprintf(want, sizeof(want), "roster/%s", name);
		if (strcmp(paths[i], want) != 0) {
			sanctum_verify__problem(v, git_commit_id(c->commit), paths[i],
			        "a roster entry not filed as '%s', the next in the log", want);
			break;
		}
		if (sanctum_store__read_blob(&data, v->store, c->tree, paths[i],
		                             SANCTUM_ROSTER_MAX_ENTRY) < 0 ||
		    sanctum_roster__apply(after, data.ptr, data.size) < 0) {
			sanctum_verify__problem(v, git_commit_id(c->commit), paths[i], "%s", sanctum_error_last()->message);
			break;
		}
		v->stats->roster_entries++;
		applied++;
	}
	sanctum_buf_dispose(&data);
	return applied;
}

/* Whether the roster lets this reader hold epoch `number`. */
int sanctum_verify__reader_entitled(const verifier *v, const sanctum_roster *roster, uint64_t number)
{
	const sanctum_member *m;
	sanctum_card card;

	sanctum_identity_card(&card, v->reader);
	m = sanctum_roster__member(roster, card.signing_key);
	return m && sanctum_roster__can_read_epoch(m, number);
}

/*
 * A changed epoch file must be one the roster names and, where the reader is among its
 * recipients, hold the key the roster names, signed by an admin. Others' copies cannot
 * be opened here; their owners check them the same way.
 */
static void check_epoch(verifier *v, const change_ctx *c, const sanctum_roster *after,
                        const char *path)
{
	sanctum_buf file = SANCTUM_BUF_INIT;
	sanctum_age_identity *key = NULL;
	char name[11];
	uint64_t number = 0;
	int error;

	for (size_t i = 0; i < after->nepochs && !number; i++) {
		sanctum_epoch__file_name(name, after->epochs[i].number);
		if (strcmp(path + 7, name) == 0)
			number = after->epochs[i].number;
	}
	if (!number) {
		sanctum_verify__problem(v, git_commit_id(c->commit), path, "an epoch file that the roster does not name");
		return;
	}
	error = sanctum_store__read_blob(&file, v->store, c->tree, path, SANCTUM_EPOCH_MAX_FILE);
	if (error == 0)
		error = sanctum_epoch__open(&key, after, number, file.ptr, file.size, v->reader);
	if (error == SANCTUM_ENOMATCH && sanctum_verify__reader_entitled(v, after, number))
		sanctum_verify__problem(v, git_commit_id(c->commit), path, "epoch %llu was sealed without this reader, "
		        "whom the roster entitles to it", (unsigned long long)number);
	else if (error < 0 && error != SANCTUM_ENOMATCH)
		sanctum_verify__problem(v, git_commit_id(c->commit), path, "%s", sanctum_error_last()->message);
	sanctum_age_identity_free(key);
	sanctum_buf_dispose(&file);
}

/* Sorts each change of the commit into documents, roster entries and epoch files. */
/* Whether a merge took this file as its second parent has it: judged in that history. */
static int from_other_parent(const change_ctx *c, const git_diff_delta *d)
{
	git_oid theirs;

	return c->other_tree && d->status != GIT_DELTA_DELETED &&
	       sanctum_verify__blob_at(&theirs, c->other_tree, d->new_file.path) &&
	       git_oid_equal(&theirs, &d->new_file.id);
}

typedef struct {
	const char **roster, **epochs;
	size_t nroster, nepochs;
} group_paths;

/* Judges one change, or files it under roster entries and epoch files for later. */
static void sort_change(verifier *v, const change_ctx *c, const git_diff_delta *d,
                        group_paths *g)
{
	const git_oid *id = git_commit_id(c->commit);
	const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
	int group_file = strncmp(path, "roster/", 7) == 0 || strncmp(path, "epochs/", 7) == 0;

	if (strncmp(path, "proposals/", 10) == 0 || from_other_parent(c, d))
		return; /* proposals count only once applied to the roster */
	if (c->other_tree && group_file)
		return; /* a merge takes a parent's roster whole: sanctum_verify__merge_roster */
	if (d->status != GIT_DELTA_DELETED && d->new_file.mode != GIT_FILEMODE_BLOB)
		sanctum_verify__problem(v, id, path, "not a regular file (mode %06o): a store holds "
		                        "only plain files", (unsigned)d->new_file.mode);
	else if (strncmp(path, "conflicts/", 10) == 0)
		sanctum_verify__conflict_change(v, c, d);
	else if (d->status == GIT_DELTA_DELETED)
		sanctum_verify__problem(v, id, path, strncmp(path, "docs/", 5) == 0
		                        ? "a document file was deleted without a tombstone"
		                        : "a file of the group was deleted");
	else if (d->status != GIT_DELTA_ADDED && d->status != GIT_DELTA_MODIFIED)
		sanctum_verify__problem(v, id, path, "a file changed its type");
	else if (strcmp(path, "group") == 0)
		sanctum_verify__problem(v, id, path, "the group manifest changed");
	else if (strncmp(path, "roster/", 7) == 0 && d->status == GIT_DELTA_ADDED)
		g->roster[g->nroster++] = path;
	else if (strncmp(path, "roster/", 7) == 0)
		sanctum_verify__problem(v, id, path, "a roster entry was rewritten (the roster is "
		                        "append-only)");
	else if (strncmp(path, "epochs/", 7) == 0)
		g->epochs[g->nepochs++] = path;
	else
		check_doc(v, c, d);
}

/* Roster entries apply in order; epoch files must come with them. */
static void judge_group_files(verifier *v, const change_ctx *c, sanctum_roster *after,
                              group_paths *g, int *changed)
{
	const git_oid *id = git_commit_id(c->commit);

	if (g->nroster)
		*changed = apply_roster(v, c, after, g->roster, g->nroster) > 0;
	for (size_t i = 0; !g->nroster && i < g->nepochs; i++)
		sanctum_verify__problem(v, id, g->epochs[i], "an epoch file changed without a roster "
		                        "entry to explain it");
	for (size_t i = 0; g->nroster && i < g->nepochs; i++)
		check_epoch(v, c, after, g->epochs[i]);
}

int sanctum_verify__changes(verifier *v, const change_ctx *c, sanctum_roster *after, int *changed)
{
	group_paths g = { NULL, NULL, 0, 0 };
	sanctum_tree_changes diff;
	int error = 0;

	if ((error = sanctum_tree__changes(&diff, v->store->repo, c->parent_tree, c->tree)) < 0)
		return error;
	g.roster = calloc(diff.count + 1, sizeof(*g.roster));
	g.epochs = calloc(diff.count + 1, sizeof(*g.epochs));
	if (!g.roster || !g.epochs)
		error = sanctum_error__nomem();
	for (size_t i = 0; !error && !v->stopped && i < diff.count; i++)
		sort_change(v, c, &diff.items[i], &g);
	if (!error && c->other_tree)
		error = sanctum_verify__merge_roster(v, c, after, changed);
	if (!error && c->other_tree && c->base_tree)
		error = sanctum_verify__merge_keeps_both(v, c);
	else if (!error)
		judge_group_files(v, c, after, &g, changed);
	free(g.roster);
	free(g.epochs);
	sanctum_tree__changes_dispose(&diff);
	return error;
}

/*
 * Proposals: a membership change that lacks admin approvals waits on main under
 * proposals/<id>/ (its entry, and the new epoch's sealed key when it starts one) until
 * enough admins have signed it; the last approval applies it and removes the proposal
 * in the same commit. The id is the start of the SHA-256 of the entry's signed body, so
 * it stays the same as signatures are added.
 */
#include "store_members_internal.h"

#include "errors_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROPOSAL_ID_LEN 16

static int proposal_id(char out[PROPOSAL_ID_LEN + 1], const sanctum_buf *entry)
{
	unsigned char signers[SANCTUM_SIGNED_MAX_SIGNERS][SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	unsigned char hash[32];
	const unsigned char *body;
	size_t body_len, n;
	char hex[65];
	int error = sanctum_signed__open_all(&body, &body_len, signers, &n,
	                                     SANCTUM_SIGNED_MAX_SIGNERS, SANCTUM_ROSTER_NAMESPACE,
	                                     entry->ptr, entry->size, "roster entry");

	if (error < 0)
		return error;
	crypto_hash_sha256(hash, body, body_len);
	sanctum_hex_encode(hex, hash, sizeof(hash));
	memcpy(out, hex, PROPOSAL_ID_LEN);
	out[PROPOSAL_ID_LEN] = '\0';
	return 0;
}

static int put_file(sanctum_change_files *f, sanctum_store *store, const char *path,
                    const unsigned char *data, size_t len)
{
	git_oid oid;

	if (f->count == SANCTUM_CHANGE_MAX_FILES)
		return sanctum_error__nomem();
	if (git_blob_create_from_buffer(&oid, store->repo, data, len) < 0)
		return sanctum_store__git_error("cannot write a proposal");
	snprintf(f->paths[f->count], sizeof(f->paths[0]), "%s", path);
	f->updates[f->count].action = GIT_TREE_UPDATE_UPSERT;
	f->updates[f->count].filemode = GIT_FILEMODE_BLOB;
	f->updates[f->count].id = oid;
	f->updates[f->count].path = f->paths[f->count];
	f->count++;
	return 0;
}

int sanctum_store__commit_proposal(sanctum_store *store, const sanctum_snapshot *s,
                                   const sanctum_buf *entry, const sanctum_change_epoch *epoch,
                                   const sanctum_identity *signer, sanctum_change_files *f)
{
	char id[PROPOSAL_ID_LEN + 1], path[64];
	sanctum_roster after;
	git_oid oid, commit;
	int error;

	if ((error = proposal_id(id, entry)) < 0)
		return error;
	snprintf(path, sizeof(path), SANCTUM_PROPOSALS_DIR "/%s/entry", id);
	error = put_file(f, store, path, entry->ptr, entry->size);
	/* A removal's new epoch is sealed now, by the proposer who made its key, to the
	 * members that will remain; the last approver moves it into epochs/. */
	if (error == 0 && epoch->key) {
		if ((error = sanctum_roster__copy(&after, &s->roster)) < 0)
			return error;
		error = sanctum_roster__preview(&after, entry->ptr, entry->size);
		if (error == 0)
			error = sanctum_store__seal_epoch(&oid, store, &after, epoch->key,
			                                  sanctum_roster__current_epoch(&after)->number,
			                                  signer);
		sanctum_roster__dispose(&after);
		if (error == 0) {
			snprintf(f->paths[f->count], sizeof(f->paths[0]),
			         SANCTUM_PROPOSALS_DIR "/%s/epoch.age", id);
			f->updates[f->count].action = GIT_TREE_UPDATE_UPSERT;
			f->updates[f->count].filemode = GIT_FILEMODE_BLOB;
			f->updates[f->count].id = oid;
			f->updates[f->count].path = f->paths[f->count];
			f->count++;
		}
	}
	if (error == 0)
		error = sanctum_store__commit(&commit, store, s->head, f->updates, f->count, signer,
		                              "sanctum: 1 membership change proposed");
	return error;
}

/* ---- listing ---- */

/* The tree proposals/ of main, or NULL when there is none. */
static git_tree *proposals_tree(sanctum_store *store, git_tree *root)
{
	git_tree_entry *entry = NULL;
	git_tree *tree = NULL;

	if (git_tree_entry_bypath(&entry, root, SANCTUM_PROPOSALS_DIR) == 0)
		git_tree_lookup(&tree, store->repo, git_tree_entry_id(entry));
	git_error_clear();
	git_tree_entry_free(entry);
	return tree;
}

static int describe(sanctum_proposal_info *out, sanctum_store *store, const sanctum_snapshot *s,
                    const char *id)
{
	sanctum_roster_entry_info info;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	char path[64];
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%.16s", id);
	snprintf(path, sizeof(path), SANCTUM_PROPOSALS_DIR "/%s/entry", id);
	error = sanctum_store__read_blob(&entry, store, s->tree, path, SANCTUM_ROSTER_MAX_ENTRY);
	if (error == 0 && sanctum_roster__inspect(&info, &s->roster, entry.ptr, entry.size) == 0) {
		snprintf(out->op, sizeof(out->op), "%s", info.op);
		snprintf(out->summary, sizeof(out->summary), "%s", info.summary);
		memcpy(out->proposer, info.proposer, sizeof(out->proposer));
		out->approvals = info.approvals;
		out->missing = info.missing;
	} else if (error == 0) {
		/* It no longer fits the roster (another change came first): it cannot apply. */
		snprintf(out->op, sizeof(out->op), "stale");
		snprintf(out->summary, sizeof(out->summary), "%s", sanctum_error_last()->message);
		sanctum_error_clear();
	}
	sanctum_buf_dispose(&entry);
	return error;
}

int sanctum_store_proposals(sanctum_proposal_list *out, sanctum_store *store)
{
	sanctum_snapshot s;
	git_tree *tree;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	tree = proposals_tree(store, s.tree);
	if (tree && !(out->items = calloc(git_tree_entrycount(tree) + 1, sizeof(*out->items))))
		error = sanctum_error__nomem();
	for (size_t i = 0; error == 0 && tree && i < git_tree_entrycount(tree); i++)
		if ((error = describe(&out->items[out->count],
		                      store, &s, git_tree_entry_name(git_tree_entry_byindex(tree, i)))) == 0)
			out->count++;
	git_tree_free(tree);
	sanctum_store__snapshot_dispose(&s);
	if (error < 0)
		sanctum_proposal_list_dispose(out);
	return error;
}

void sanctum_proposal_list_dispose(sanctum_proposal_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* ---- approving ---- */

/* Finds the one proposal whose id starts with `prefix`. */
static int find_proposal(char id[PROPOSAL_ID_LEN + 1], sanctum_store *store, git_tree *root,
                         const char *prefix)
{
	git_tree *tree = proposals_tree(store, root);
	size_t matches = 0, len = strlen(prefix);

	for (size_t i = 0; tree && i < git_tree_entrycount(tree); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(tree, i));

		if (len && strncmp(name, prefix, len) == 0 && strlen(name) == PROPOSAL_ID_LEN) {
			memcpy(id, name, PROPOSAL_ID_LEN + 1);
			matches++;
		}
	}
	git_tree_free(tree);
	if (matches == 0)
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                          "no proposal '%s' (see 'sanctum member proposals')", prefix);
	if (matches > 1)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' names %zu proposals; give more of the id", prefix,
		                          matches);
	return 0;
}

/* Applies the approved entry: roster, epochs, and the proposal's files removed. */
static int complete(sanctum_store *store, const sanctum_snapshot *s, const sanctum_buf *entry,
                    const char *id, const sanctum_identity *admin, sanctum_change_files *f)
{
	sanctum_change_epoch epoch = { NULL, NULL };
	git_tree_entry *sealed = NULL;
	git_oid blob;
	char path[64];
	int error;

	snprintf(path, sizeof(path), SANCTUM_PROPOSALS_DIR "/%s/epoch.age", id);
	if (git_tree_entry_bypath(&sealed, s->tree, path) == 0) {
		blob = *git_tree_entry_id(sealed);
		epoch.blob = &blob;
		error = sanctum_store__change_remove(f, path);
	} else {
		git_error_clear();
		error = 0;
	}
	snprintf(path, sizeof(path), SANCTUM_PROPOSALS_DIR "/%s/entry", id);
	if (error == 0)
		error = sanctum_store__change_remove(f, path);
	if (error == 0)
		error = sanctum_store__commit_entry(store, s, entry, &epoch, admin, f,
		                                    "sanctum: 1 membership change approved");
	git_tree_entry_free(sealed);
	return error;
}

static int check_admin(const sanctum_roster *roster, const sanctum_identity *who)
{
	const sanctum_member *m;
	sanctum_card card;

	sanctum_identity_card(&card, who);
	m = sanctum_roster__member(roster, card.signing_key);
	if (!m || !m->active || !m->admin)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "only an admin can approve a membership change, and "
		                          "'%s/%s' is not one", card.city, card.device);
	return 0;
}

static int approve_locked(sanctum_store *store, const char *prefix, const sanctum_identity *admin,
                          sanctum_change_result *result, sanctum_change_files *f)
{
	sanctum_buf entry = SANCTUM_BUF_INIT, signed_again = SANCTUM_BUF_INIT;
	char id[PROPOSAL_ID_LEN + 1] = "", path[64];
	sanctum_roster_entry_info info;
	sanctum_snapshot s;
	git_oid commit;
	int error;

	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	error = check_admin(&s.roster, admin);
	if (error == 0)
		error = find_proposal(id, store, s.tree, prefix);
	/* id is only set when the proposal was found. */
	if (error == 0)
		snprintf(path, sizeof(path), SANCTUM_PROPOSALS_DIR "/%s/entry", id);
	if (error == 0)
		error = sanctum_store__read_blob(&entry, store, s.tree, path, SANCTUM_ROSTER_MAX_ENTRY);
	if (error == 0)
		error = sanctum_signed__cosign(&signed_again, admin, SANCTUM_ROSTER_NAMESPACE, entry.ptr,
		                               entry.size, "proposal");
	if (error == 0)
		error = sanctum_roster__inspect(&info, &s.roster, signed_again.ptr, signed_again.size);
	if (error == 0 && info.missing == 0) {
		error = complete(store, &s, &signed_again, id, admin, f);
		if (error == 0 && result)
			*result = SANCTUM_CHANGE_APPLIED;
	} else if (error == 0) {
		error = put_file(f, store, path, signed_again.ptr, signed_again.size);
		if (error == 0)
			error = sanctum_store__commit(&commit, store, s.head, f->updates, f->count, admin,
			                              "sanctum: 1 approval added");
		if (error == 0 && result)
			*result = SANCTUM_CHANGE_PROPOSED;
	}
	sanctum_buf_dispose(&entry);
	sanctum_buf_dispose(&signed_again);
	sanctum_store__snapshot_dispose(&s);
	return error;
}

int sanctum_store_approve(sanctum_store *store, const char *id, const sanctum_identity *admin,
                          sanctum_change_result *result)
{
	sanctum_change_files *f = calloc(1, sizeof(*f));
	int error;

	if (!f)
		return sanctum_error__nomem();
	if ((error = sanctum_store__lock(store)) == 0) {
		error = approve_locked(store, id, admin, result, f);
		sanctum_store__unlock(store);
	}
	free(f);
	return error;
}

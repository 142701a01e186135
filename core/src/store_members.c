/*
 * Membership changes. Each is one roster entry; the files that go with it (epoch keys
 * sealed again for new readers, a new epoch after a removal) are written in the same
 * commit. When the approval threshold is not met yet the change is committed as a
 * proposal under proposals/<id>/ instead, and store_proposals.c completes it.
 */
#include "store_members_internal.h"

#include "errors_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- listing ---- */

int sanctum_store_members(sanctum_member_list *out, sanctum_store *store)
{
	sanctum_snapshot s;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = sanctum_store__snapshot_load(&s, store)) < 0)
		return error;
	out->items = calloc(s.roster.nmembers + 1, sizeof(*out->items));
	if (!out->items)
		error = sanctum_error__nomem();
	for (size_t i = 0; error == 0 && i < s.roster.nmembers; i++) {
		const sanctum_member *m = &s.roster.members[i];
		sanctum_member_info *info = &out->items[out->count++];

		info->card = m->card;
		memcpy(info->fingerprint, m->fingerprint, sizeof(info->fingerprint));
		info->admin = m->admin;
		info->active = m->active;
		info->history = m->history;
	}
	out->approvals = s.roster.approvals;
	out->epoch = sanctum_roster__current_epoch(&s.roster)->number;
	sanctum_store__snapshot_dispose(&s);
	return error;
}

void sanctum_member_list_dispose(sanctum_member_list *list)
{
	if (!list)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}

int sanctum_store_member_find(sanctum_member_info *out, sanctum_store *store, const char *who)
{
	sanctum_member_list list;
	size_t found = 0, city_len = strcspn(who, "/");
	int error = sanctum_store_members(&list, store);

	for (size_t i = 0; error == 0 && i < list.count; i++) {
		const sanctum_member_info *m = &list.items[i];
		char name[2 * SANCTUM_NAME_MAX + 2];

		snprintf(name, sizeof(name), "%s/%s", m->card.city, m->card.device);
		if (!m->active || !(strcmp(who, m->fingerprint) == 0 || strcmp(who, name) == 0 ||
		                    (who[city_len] == '\0' && strcmp(who, m->card.city) == 0)))
			continue;
		*out = *m;
		found++;
	}
	if (error == 0 && found == 0)
		error = sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                           "no active member '%s' (see 'sanctum member list')", who);
	else if (error == 0 && found > 1)
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "the city '%s' has %zu devices; name one as city/device",
		                           who, found);
	sanctum_member_list_dispose(&list);
	return error;
}

/* ---- sealing epoch keys ---- */

/* The age recipients of everyone in `roster` who may read epoch `number`. */
static int epoch_readers(sanctum_age_recipient_list *out, const sanctum_roster *roster,
                         uint64_t number)
{
	int error = 0;

	for (size_t i = 0; error == 0 && i < roster->nmembers; i++) {
		sanctum_age_recipient *r = NULL;

		if (!sanctum_roster__can_read_epoch(&roster->members[i], number))
			continue;
		error = sanctum_age_recipient_from_x25519(&r, roster->members[i].card.age_key);
		if (error == 0 && (error = sanctum_age_recipient_list_add(out, r)) < 0)
			sanctum_age_recipient_free(r);
	}
	return error;
}

int sanctum_store__seal_epoch(git_oid *out, sanctum_store *store, const sanctum_roster *readers,
                              const sanctum_age_identity *key, uint64_t number,
                              const sanctum_identity *sealer)
{
	sanctum_age_recipient_list list = SANCTUM_AGE_LIST_INIT;
	sanctum_buf file = SANCTUM_BUF_INIT;
	int error = epoch_readers(&list, readers, number);

	if (error == 0)
		error = sanctum_epoch__seal(&file, key, readers->group_id, number,
		                            (const sanctum_age_recipient *const *)list.items,
		                            list.count, sealer);
	if (error == 0 && git_blob_create_from_buffer(out, store->repo, file.ptr, file.size) < 0)
		error = sanctum_store__git_error("cannot write an epoch file");
	sanctum_age_recipient_list_dispose(&list);
	sanctum_buf_dispose(&file);
	return error;
}

/* Whether `after` gives epoch `number` to a member record `before` did not. */
static int has_new_reader(const sanctum_roster *before, const sanctum_roster *after,
                          uint64_t number)
{
	for (size_t i = 0; i < after->nmembers; i++) {
		const sanctum_member *m = &after->members[i];
		const sanctum_member *was = i < before->nmembers ? &before->members[i] : NULL;

		if (sanctum_roster__can_read_epoch(m, number) &&
		    !(was && sanctum_roster__can_read_epoch(was, number)))
			return 1;
	}
	return 0;
}

/* ---- committing a change ---- */

static int add_upsert(sanctum_change_files *f, const git_oid *oid, const char *dir,
                      const char *name)
{
	if (f->count == SANCTUM_CHANGE_MAX_FILES)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "too many epochs to seal in one change");
	snprintf(f->paths[f->count], sizeof(f->paths[0]), "%s/%s", dir, name);
	f->updates[f->count].action = GIT_TREE_UPDATE_UPSERT;
	f->updates[f->count].filemode = GIT_FILEMODE_BLOB;
	f->updates[f->count].id = *oid;
	f->updates[f->count].path = f->paths[f->count];
	f->count++;
	return 0;
}

int sanctum_store__change_remove(sanctum_change_files *f, const char *path)
{
	if (f->count == SANCTUM_CHANGE_MAX_FILES)
		return sanctum_error__nomem();
	snprintf(f->paths[f->count], sizeof(f->paths[0]), "%s", path);
	memset(&f->updates[f->count], 0, sizeof(f->updates[0]));
	f->updates[f->count].action = GIT_TREE_UPDATE_REMOVE;
	f->updates[f->count].path = f->paths[f->count];
	f->count++;
	return 0;
}

/* The epoch files a complete entry brings: a new epoch, and old ones with new readers. */
static int epoch_files(sanctum_change_files *f, sanctum_store *store, const sanctum_snapshot *s,
                       const sanctum_roster *after, const sanctum_change_epoch *epoch,
                       const sanctum_identity *sealer)
{
	char name[11];
	git_oid oid;
	int error = 0;

	for (size_t i = 0; error == 0 && i < after->nepochs; i++) {
		uint64_t number = after->epochs[i].number;
		const sanctum_age_identity *key = NULL;

		sanctum_epoch__file_name(name, number);
		if (i >= s->roster.nepochs) {
			/* A new epoch: its sealed file was made with the entry, or is made now. */
			if (epoch->blob)
				oid = *epoch->blob;
			else if (!epoch->key)
				error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_INVALID,
				                           "internal: a new epoch without its key");
			else
				error = sanctum_store__seal_epoch(&oid, store, after, epoch->key, number,
				                                  sealer);
		} else if (has_new_reader(&s->roster, after, number)) {
			error = sanctum_store__epoch_key(&key, store, &s->roster, s->tree, number, sealer);
			if (error == 0)
				error = sanctum_store__seal_epoch(&oid, store, after, key, number, sealer);
		} else {
			continue;
		}
		if (error == 0)
			error = add_upsert(f, &oid, "epochs", name);
	}
	return error;
}

int sanctum_store__commit_entry(sanctum_store *store, const sanctum_snapshot *s,
                                const sanctum_buf *entry, const sanctum_change_epoch *epoch,
                                const sanctum_identity *sealer, sanctum_change_files *f,
                                const char *summary)
{
	sanctum_roster after;
	char name[7];
	git_oid oid, commit;
	int error;

	if ((error = sanctum_roster__copy(&after, &s->roster)) < 0)
		return error;
	error = sanctum_roster__apply(&after, entry->ptr, entry->size);
	if (error == 0 && git_blob_create_from_buffer(&oid, store->repo, entry->ptr, entry->size) < 0)
		error = sanctum_store__git_error("cannot write a roster entry");
	sanctum_roster__entry_name(name, after.seq);
	if (error == 0)
		error = add_upsert(f, &oid, "roster", name);
	if (error == 0)
		error = epoch_files(f, store, s, &after, epoch, sealer);
	if (error == 0)
		error = sanctum_store__commit(&commit, store, s->head, f->updates, f->count, sealer,
		                              summary);
	sanctum_roster__dispose(&after);
	return error;
}

/* ---- one pipeline for every change ---- */

int sanctum_store__propose_or_apply(sanctum_store *store, const sanctum_snapshot *s,
                                    const sanctum_buf *entry, const sanctum_change_epoch *epoch,
                                    const sanctum_identity *signer, const char *summary,
                                    sanctum_change_result *result)
{
	sanctum_change_files *f = calloc(1, sizeof(*f));
	sanctum_roster_entry_info info;
	size_t missing = 0;
	int error;

	if (!f)
		return sanctum_error__nomem();
	error = sanctum_roster__inspect(&info, &s->roster, entry->ptr, entry->size);
	missing = info.missing;
	if (error == 0 && missing == 0)
		error = sanctum_store__commit_entry(store, s, entry, epoch, signer, f, summary);
	else if (error == 0)
		error = sanctum_store__commit_proposal(store, s, entry, epoch, signer, f);
	if (error == 0 && result)
		*result = missing ? SANCTUM_CHANGE_PROPOSED : SANCTUM_CHANGE_APPLIED;
	free(f);
	return error;
}

/* Refuses, with a plain message, a change its signer may not make, before anything is
 * written: only an active admin proposes a change; a rotation is made by the member. */
static int precheck(const sanctum_roster *roster, const sanctum_roster_change *change,
                    const sanctum_identity *signer)
{
	const sanctum_member *m, *existing;
	sanctum_card card;

	sanctum_identity_card(&card, signer);
	m = sanctum_roster__member(roster, card.signing_key);
	if (strcmp(change->op, "rotate") == 0) {
		if (!m || !m->active)
			return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
			                          "'%s/%s' is not a member of this group", card.city,
			                          card.device);
		return 0;
	}
	if (!m || !m->active || !m->admin)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "only an admin of the group can change its membership, and "
		                          "'%s/%s' is not one", card.city, card.device);
	existing = change->card ? sanctum_roster__member(roster, change->card->signing_key) : NULL;
	if (strcmp(change->op, "add") == 0 && existing && existing->active)
		return sanctum_error__set(SANCTUM_EEXISTS, SANCTUM_ERRCLASS_INVALID,
		                          "'%s/%s' is already a member", change->card->city,
		                          change->card->device);
	return 0;
}

/* Locks, loads main, writes the entry for `change` (with a new epoch if it starts one),
 * cosigns it with `cosigner` if given, and proposes or applies it. */
static int change_roster(sanctum_store *store, sanctum_roster_change *change,
                         const sanctum_identity *signer, const sanctum_identity *cosigner,
                         int new_epoch, const char *summary, sanctum_change_result *result)
{
	sanctum_change_epoch epoch = { NULL, NULL };
	sanctum_age_identity *key = NULL;
	sanctum_age_recipient *recipient = NULL;
	sanctum_buf entry = SANCTUM_BUF_INIT, both = SANCTUM_BUF_INIT;
	unsigned char pub[SANCTUM_AGE_X25519_KEY_SIZE];
	sanctum_snapshot s;
	int error;

	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	if ((error = sanctum_store__snapshot_load(&s, store)) < 0) {
		sanctum_store__unlock(store);
		return error;
	}
	error = precheck(&s.roster, change, signer);
	if (error == 0 && new_epoch) {
		change->epoch = sanctum_roster__current_epoch(&s.roster)->number + 1;
		if ((error = sanctum_age_identity_generate(&key)) == 0 &&
		    (error = sanctum_age_identity_to_recipient(&recipient, key)) == 0)
			error = sanctum_age_recipient_x25519_key(pub, recipient);
		change->epoch_recipient = pub;
		epoch.key = key;
	}
	if (error == 0)
		error = sanctum_roster__write_entry(&entry, &s.roster, change, signer);
	if (error == 0 && cosigner) {
		error = sanctum_signed__cosign(&both, cosigner, SANCTUM_ROSTER_NAMESPACE, entry.ptr,
		                               entry.size, "roster entry");
		sanctum_buf_dispose(&entry);
		entry = both;
		both = (sanctum_buf)SANCTUM_BUF_INIT;
	}
	if (error == 0)
		error = sanctum_store__propose_or_apply(store, &s, &entry, &epoch, signer, summary,
		                                        result);
	sanctum_age_recipient_free(recipient);
	sanctum_age_identity_free(key);
	sanctum_buf_dispose(&entry);
	sanctum_store__snapshot_dispose(&s);
	sanctum_store__unlock(store);
	return error;
}

int sanctum_store_member_add(sanctum_store *store, const sanctum_card *card,
                             const sanctum_member_add_options *opts,
                             const sanctum_identity *admin, sanctum_change_result *result)
{
	sanctum_member_add_options defaults = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	sanctum_roster_change change = { .op = "add", .card = card };

	if (!opts)
		opts = &defaults;
	change.admin = opts->admin;
	change.history = opts->history;
	return change_roster(store, &change, admin, NULL, 0, "sanctum: 1 member added", result);
}

int sanctum_store_member_remove(sanctum_store *store, const char *member,
                                const sanctum_identity *admin, sanctum_change_result *result)
{
	sanctum_roster_change change = { .op = "remove", .member = member };

	return change_roster(store, &change, admin, NULL, 1, "sanctum: 1 member removed", result);
}

int sanctum_store_member_role(sanctum_store *store, const char *member, int make_admin,
                              const sanctum_identity *admin, sanctum_change_result *result)
{
	sanctum_roster_change change = { .op = "role", .member = member, .admin = make_admin };

	return change_roster(store, &change, admin, NULL, 0, "sanctum: 1 role changed", result);
}

int sanctum_store_set_approvals(sanctum_store *store, uint64_t approvals,
                                const sanctum_identity *admin, sanctum_change_result *result)
{
	sanctum_roster_change change = { .op = "threshold", .approvals = approvals };

	return change_roster(store, &change, admin, NULL, 0, "sanctum: approval threshold changed",
	                     result);
}

int sanctum_store_rotate(sanctum_store *store, const sanctum_identity *old_keys,
                         const sanctum_identity *new_keys)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_card old_card, new_card;
	sanctum_roster_change change = { .op = "rotate", .member = fingerprint, .card = &new_card };

	sanctum_identity_card(&old_card, old_keys);
	sanctum_identity_card(&new_card, new_keys);
	sanctum_key_fingerprint(fingerprint, old_card.signing_key);
	/* Signed by the old key and the new one. The old key makes the commit (it is the
	 * member as of the parent) and seals the epochs it can read again for the new key. */
	return change_roster(store, &change, old_keys, new_keys, 0, "sanctum: 1 key rotated", NULL);
}

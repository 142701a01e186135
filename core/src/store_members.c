/*
 * Listing and adding members. Adding one appends a roster entry and seals each epoch key
 * the newcomer may read again, to everyone who may read it, in one signed commit.
 */
#include "store_internal.h"

#include "errors_internal.h"
#include "sanctum/members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Seals epoch `number` again for the readers `after` allows; writes the blob. */
static int reseal_epoch(git_oid *out, sanctum_store *store, const sanctum_snapshot *s,
                        const sanctum_roster *after, uint64_t number,
                        const sanctum_identity *admin)
{
	sanctum_age_recipient_list readers = SANCTUM_AGE_LIST_INIT;
	const sanctum_age_identity *key = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT;
	int error;

	error = sanctum_store__epoch_key(&key, store, &s->roster, s->tree, number, admin);
	if (error == 0)
		error = epoch_readers(&readers, after, number);
	if (error == 0)
		error = sanctum_epoch__seal(&file, key, after->group_id, number,
		                            (const sanctum_age_recipient *const *)readers.items,
		                            readers.count, admin);
	if (error == 0 && git_blob_create_from_buffer(out, store->repo, file.ptr, file.size) < 0)
		error = sanctum_store__git_error("cannot write an epoch file");
	sanctum_age_recipient_list_dispose(&readers);
	sanctum_buf_dispose(&file);
	return error;
}

static int check_admin(const sanctum_roster *roster, const sanctum_identity *who,
                       const sanctum_card *card)
{
	sanctum_card own;
	const sanctum_member *m, *existing = sanctum_roster__member(roster, card->signing_key);

	sanctum_identity_card(&own, who);
	m = sanctum_roster__member(roster, own.signing_key);
	if (!m || !m->active || !m->admin)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "only an admin of the group can add members, and '%s/%s' "
		                          "is not one", own.city, own.device);
	if (existing && existing->active)
		return sanctum_error__set(SANCTUM_EEXISTS, SANCTUM_ERRCLASS_INVALID,
		                          "'%s/%s' is already a member", card->city, card->device);
	return 0;
}

/* Writes the roster entry and the resealed epochs as tree updates (paths in `paths`). */
static int member_changes(git_tree_update *updates, char (*paths)[32], size_t *count,
                          sanctum_store *store, const sanctum_snapshot *s,
                          const sanctum_card *card, const sanctum_member_add_options *opts,
                          const sanctum_identity *admin)
{
	sanctum_roster_change change = { .op = "add", .card = card, .admin = opts->admin,
	                                 .history = opts->history };
	sanctum_buf entry = SANCTUM_BUF_INIT;
	sanctum_roster after;
	char name[11];
	int error;

	*count = 0;
	if ((error = sanctum_roster__write_entry(&entry, &s->roster, &change, admin)) < 0)
		return error;
	/* Apply it to a copy: the new member must be among the readers of the epochs. */
	error = sanctum_store__load_roster(&after, store, s->tree);
	if (error == 0)
		error = sanctum_roster__apply(&after, entry.ptr, entry.size);
	if (error == 0 && git_blob_create_from_buffer(&updates[0].id, store->repo, entry.ptr,
	                                              entry.size) < 0)
		error = sanctum_store__git_error("cannot write a roster entry");
	if (error == 0) {
		sanctum_roster__entry_name(name, after.seq);
		snprintf(paths[0], 32, "roster/%s", name);
		*count = 1;
	}
	for (size_t i = 0; error == 0 && i < after.nepochs; i++) {
		uint64_t number = after.epochs[i].number;

		if (!sanctum_roster__can_read_epoch(&after.members[after.nmembers - 1], number))
			continue;
		error = reseal_epoch(&updates[*count].id, store, s, &after, number, admin);
		sanctum_epoch__file_name(name, number);
		snprintf(paths[*count], 32, "epochs/%s", name);
		(*count)++;
	}
	sanctum_roster__dispose(&after);
	sanctum_buf_dispose(&entry);
	return error;
}

int sanctum_store_member_add(sanctum_store *store, const sanctum_card *card,
                             const sanctum_member_add_options *opts,
                             const sanctum_identity *admin)
{
	sanctum_member_add_options defaults = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	git_tree_update *updates = NULL;
	char (*paths)[32] = NULL;
	sanctum_snapshot s;
	size_t count = 0;
	git_oid commit;
	int error;

	if (!opts)
		opts = &defaults;
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	if ((error = sanctum_store__snapshot_load(&s, store)) < 0) {
		sanctum_store__unlock(store);
		return error;
	}
	error = check_admin(&s.roster, admin, card);
	if (error == 0 && (!(updates = calloc(s.roster.nepochs + 1, sizeof(*updates))) ||
	                   !(paths = calloc(s.roster.nepochs + 1, sizeof(*paths)))))
		error = sanctum_error__nomem();
	if (error == 0)
		error = member_changes(updates, paths, &count, store, &s, card, opts, admin);
	for (size_t i = 0; error == 0 && i < count; i++) {
		updates[i].action = GIT_TREE_UPDATE_UPSERT;
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = paths[i];
	}
	if (error == 0)
		error = sanctum_store__commit(&commit, store, s.head, updates, count, admin,
		                              "sanctum: 1 member added");
	free(updates);
	free(paths);
	sanctum_store__snapshot_dispose(&s);
	sanctum_store__unlock(store);
	return error;
}

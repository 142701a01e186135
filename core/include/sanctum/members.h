/*
 * The members of a store's group, as the roster on main says, and adding one.
 */
#ifndef SANCTUM_MEMBERS_H
#define SANCTUM_MEMBERS_H

#include "store.h"

typedef struct {
	sanctum_card card;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	int admin;
	int active;
	int history;                  /* can read the epochs from before it joined */
} sanctum_member_info;

typedef struct {
	sanctum_member_info *items;   /* owned, in the order the roster added them */
	size_t count;
} sanctum_member_list;

/** The members on main (removed ones too, with active = 0). */
SANCTUM_WARN_UNUSED int sanctum_store_members(sanctum_member_list *out, sanctum_store *store);

void sanctum_member_list_dispose(sanctum_member_list *list);

typedef struct {
	unsigned int version;
	int admin;                    /* the new member is an admin */
	int history;                  /* it receives the earlier epochs (default: yes) */
} sanctum_member_add_options;

#define SANCTUM_MEMBER_ADD_OPTIONS_VERSION 1
#define SANCTUM_MEMBER_ADD_OPTIONS_INIT { SANCTUM_MEMBER_ADD_OPTIONS_VERSION, 0, 1 }

/**
 * Adds the member of `card`, as `admin` (who must be an active admin), in one signed
 * commit: a roster entry, and the epoch files the new member may read sealed again to
 * their readers plus the new member. `opts` may be NULL. Returns 0, SANCTUM_EVERIFY (not
 * an admin), SANCTUM_EEXISTS (already a member), SANCTUM_ELOCKED or an error.
 */
SANCTUM_WARN_UNUSED int sanctum_store_member_add(sanctum_store *store, const sanctum_card *card,
                                                 const sanctum_member_add_options *opts,
                                                 const sanctum_identity *admin);

#endif

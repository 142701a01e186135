/*
 * The members of a store's group, as the roster on main says, and changing them.
 *
 * Every change is one signed roster entry. When the group's approval threshold is above
 * one, an admin's change becomes a proposal (proposals/<id>/ on main) that other admins
 * approve; it takes effect, in the same commit as the last approval, once enough distinct
 * admins have signed it.
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
	uint64_t approvals;           /* admins that must sign a membership change */
	uint64_t epoch;               /* the current epoch */
} sanctum_member_list;

/** The members on main (removed and rotated-away keys too, with active = 0). */
SANCTUM_WARN_UNUSED int sanctum_store_members(sanctum_member_list *out, sanctum_store *store);

void sanctum_member_list_dispose(sanctum_member_list *list);

/**
 * Finds the active member named by `who`: a key fingerprint ("SHA256:..."), "city/device",
 * or a city with a single device. Returns 0, SANCTUM_ENOTFOUND, or SANCTUM_EINVALID when a
 * city has several devices (the message lists them).
 */
SANCTUM_WARN_UNUSED int sanctum_store_member_find(sanctum_member_info *out, sanctum_store *store,
                                                  const char *who);

typedef struct {
	unsigned int version;
	int admin;                    /* the new member is an admin */
	int history;                  /* it receives the earlier epochs (default: yes) */
} sanctum_member_add_options;

#define SANCTUM_MEMBER_ADD_OPTIONS_VERSION 1
#define SANCTUM_MEMBER_ADD_OPTIONS_INIT { SANCTUM_MEMBER_ADD_OPTIONS_VERSION, 0, 1 }

/** What a membership change did. */
typedef enum {
	SANCTUM_CHANGE_APPLIED = 1,   /* committed to the roster */
	SANCTUM_CHANGE_PROPOSED       /* committed as a proposal awaiting approvals */
} sanctum_change_result;

/**
 * Adds the member of `card`, as `admin`: a roster entry, and the epoch keys the newcomer
 * may read sealed again to their readers plus the newcomer. `opts` may be NULL. `result`
 * may be NULL. Returns 0, SANCTUM_EVERIFY (not an admin), SANCTUM_EEXISTS (already a
 * member), SANCTUM_ELOCKED or an error.
 */
SANCTUM_WARN_UNUSED int sanctum_store_member_add(sanctum_store *store, const sanctum_card *card,
                                                 const sanctum_member_add_options *opts,
                                                 const sanctum_identity *admin,
                                                 sanctum_change_result *result);

/**
 * Removes the member with fingerprint `member` and starts a new epoch: a fresh epoch key
 * sealed to the remaining members, so that what is written afterwards is out of the
 * removed key's reach. Other devices of the same city are untouched.
 */
SANCTUM_WARN_UNUSED int sanctum_store_member_remove(sanctum_store *store, const char *member,
                                                    const sanctum_identity *admin,
                                                    sanctum_change_result *result);

/** Makes the member with fingerprint `member` an admin (`admin` = 1) or a plain member. */
SANCTUM_WARN_UNUSED int sanctum_store_member_role(sanctum_store *store, const char *member,
                                                  int make_admin, const sanctum_identity *admin,
                                                  sanctum_change_result *result);

/** Sets how many distinct admins must sign a membership change (1 to the number of admins). */
SANCTUM_WARN_UNUSED int sanctum_store_set_approvals(sanctum_store *store, uint64_t approvals,
                                                    const sanctum_identity *admin,
                                                    sanctum_change_result *result);

/**
 * Replaces a member's keys: `old_keys` (an active member) and `new_keys` (same city) both
 * sign the entry, and every epoch key the member may read is sealed again to the new age
 * key. Other members keep trusting the member without a new card exchange.
 */
SANCTUM_WARN_UNUSED int sanctum_store_rotate(sanctum_store *store,
                                             const sanctum_identity *old_keys,
                                             const sanctum_identity *new_keys);

/** A pending proposal. */
typedef struct {
	char id[17];                  /* 16 hex digits: the start of the entry's hash */
	char op[16];
	char summary[200];            /* what it would do, in words */
	char proposer[SANCTUM_FINGERPRINT_SIZE];
	size_t approvals;             /* admin signatures so far */
	size_t missing;               /* still needed */
} sanctum_proposal_info;

typedef struct {
	sanctum_proposal_info *items; /* owned */
	size_t count;
} sanctum_proposal_list;

/**
 * The proposals on main that still chain to the current roster (older ones are stale
 * and listed with missing = 0 and op "stale").
 */
SANCTUM_WARN_UNUSED int sanctum_store_proposals(sanctum_proposal_list *out, sanctum_store *store);

void sanctum_proposal_list_dispose(sanctum_proposal_list *list);

/**
 * Adds `admin`'s signature to proposal `id` (a unique prefix works); when that completes
 * the approvals, the change is applied in the same commit and the proposal removed.
 */
SANCTUM_WARN_UNUSED int sanctum_store_approve(sanctum_store *store, const char *id,
                                              const sanctum_identity *admin,
                                              sanctum_change_result *result);

/**
 * Re-encrypts every document not already in the newest epoch to the newest epoch, in one
 * signed commit, so that a store is brought to the current epoch after a removal. Safe to
 * interrupt: nothing is visible until the commit moves main. Writes the number of
 * documents re-encrypted to `count` (may be NULL).
 */
SANCTUM_WARN_UNUSED int sanctum_store_rekey(sanctum_store *store, const sanctum_identity *member,
                                            size_t *count);

#endif

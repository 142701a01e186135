/*
 * The roster: the group's membership as an append-only, hash-chained log of signed
 * entries, roster/000001, roster/000002, ... Replaying it from the manifest says, at
 * every point of history, who is a member, who is an admin, which epoch is current and
 * how many admins must approve a change.
 *
 *     <one or more signature blocks>         namespace "sanctum-roster"
 *     sanctum-roster v1
 *     group <group id>
 *     seq <n>                                1, 2, 3, ... without gaps
 *     prev <64 hex>                          SHA-256 of entry n-1 (of the manifest for 1)
 *     time <seconds since 1970>              informative only: never used to decide
 *     signer <fingerprint>                   who proposed it: the first signature's key
 *     op <operation>
 *     <the operation's fields, in this order:>
 *       create      card, role, epoch, recipient     the founder, an admin; epoch 1
 *       add         card, role, history              a new member
 *       remove      member, epoch, recipient         a member leaves; a new epoch starts
 *       role        member, role                     admin or member
 *       rotate      member, card                     a member replaces its own keys
 *       threshold   approvals                        admins needed for a change
 *
 * `member` is a fingerprint; `card` a member card; `role` admin|member; `history`
 * yes|no; `approvals` a number; `recipient` the new epoch's age1 key.
 *
 * Rules: entry 1 is `create`, signed by the manifest's founder. Every other entry except
 * `rotate` needs signatures from at least `approvals` (the current threshold, 1 at the
 * start) distinct admins active at that point. `rotate` is signed by the member's old key
 * and its new one. No change may leave the group without an admin or with fewer admins
 * than the threshold.
 */
#ifndef SANCTUM_ROSTER_H
#define SANCTUM_ROSTER_H

#include "manifest.h"
#include "signed_file.h"

#define SANCTUM_ROSTER_NAMESPACE "sanctum-roster"
#define SANCTUM_ROSTER_MAX_ENTRY 16384

typedef struct {
	sanctum_card card;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	int admin;
	int active;
	uint64_t added;               /* seq of the entry that added it */
	int history;                  /* may read the epochs before first_epoch */
	uint64_t first_epoch;         /* the epoch current when it was added */
} sanctum_member;

typedef struct {
	uint64_t number;
	unsigned char recipient[SANCTUM_AGE_X25519_KEY_SIZE];
} sanctum_epoch_info;

typedef struct {
	char group_id[SANCTUM_GROUP_ID_HEX];
	unsigned char founder_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	uint64_t seq;                 /* entries applied so far */
	unsigned char last_hash[32];  /* of the last entry, or the manifest anchor */
	uint64_t approvals;           /* admins that must sign a change (the threshold) */
	sanctum_member *members;      /* owned, in the order they were added; a key that was
	                                 rotated or removed stays, inactive */
	size_t nmembers;
	sanctum_epoch_info *epochs;   /* owned, epoch 1 first */
	size_t nepochs;
} sanctum_roster;

/** What a new entry changes; the fields its operation does not use are ignored. */
typedef struct {
	const char *op;               /* "create", "add", "remove", "role", "rotate", "threshold" */
	const sanctum_card *card;     /* create, add, rotate (the new keys) */
	const char *member;           /* remove, role, rotate: the member's fingerprint */
	int admin;                    /* create, add, role */
	int history;                  /* add: give the earlier epochs too */
	uint64_t approvals;           /* threshold */
	uint64_t epoch;               /* create, remove: the epoch that starts */
	const unsigned char *epoch_recipient;
} sanctum_roster_change;

/** Starts an empty roster for the group of `manifest`. */
void sanctum_roster__init(sanctum_roster *roster, const sanctum_manifest *manifest);

/**
 * Verifies one entry against the roster so far and applies it. On failure the roster
 * is unchanged and the message names the entry and the rule it broke. Returns 0,
 * SANCTUM_EINVALID or SANCTUM_EVERIFY.
 */
int sanctum_roster__apply(sanctum_roster *roster, const unsigned char *data, size_t len);

/** What an entry would do, for proposals. */
typedef struct {
	char op[16];
	char summary[200];            /* in words: "remove SHA256:...", "add aldport/server" */
	char proposer[SANCTUM_FINGERPRINT_SIZE];
	size_t approvals;             /* admin signatures it carries */
	size_t missing;               /* admin signatures it still needs (0: complete) */
} sanctum_roster_entry_info;

/**
 * Checks an entry against the roster as sanctum_roster__apply does, except that it may
 * still lack admin approvals, and describes it. Returns 0, SANCTUM_EINVALID or
 * SANCTUM_EVERIFY (it breaks a rule, or no longer chains to the roster: stale).
 */
int sanctum_roster__inspect(sanctum_roster_entry_info *out, const sanctum_roster *roster,
                            const unsigned char *data, size_t len);

/** Applies an entry that may still lack admin approvals: what it will do once approved. */
int sanctum_roster__preview(sanctum_roster *roster, const unsigned char *data, size_t len);

/** Writes the next entry (seq + 1, chained to the last) for `change`, signed by `signer`. */
int sanctum_roster__write_entry(sanctum_buf *out, const sanctum_roster *roster,
                                const sanctum_roster_change *change,
                                const sanctum_identity *signer);

/** The latest member record with this signing key (active or not), or NULL. Borrowed. */
const sanctum_member *sanctum_roster__member(const sanctum_roster *roster,
                                             const unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE]);

/** The active member with this fingerprint, or NULL. Borrowed. */
const sanctum_member *sanctum_roster__active(const sanctum_roster *roster, const char *fingerprint);

/** Whether `member` (active) may hold the key of epoch `number`. */
int sanctum_roster__can_read_epoch(const sanctum_member *member, uint64_t number);

/** The number of active admins. */
size_t sanctum_roster__admins(const sanctum_roster *roster);

/** The newest epoch. Borrowed; never NULL once entry 1 is applied. */
const sanctum_epoch_info *sanctum_roster__current_epoch(const sanctum_roster *roster);

/** The file name of entry `seq` inside roster/ ("000001"); 7 bytes of room. */
void sanctum_roster__entry_name(char out[7], uint64_t seq);

/** A deep copy. Returns 0 or SANCTUM_ENOMEM. */
int sanctum_roster__copy(sanctum_roster *out, const sanctum_roster *from);

void sanctum_roster__dispose(sanctum_roster *roster);

#endif

/*
 * The roster: the group's membership as an append-only, hash-chained log of signed
 * entries, roster/000001, roster/000002, ... Replaying it from the manifest says, at
 * every point of history, who is a member, who is an admin, and which epoch is current.
 *
 *     sanctum-roster v1                      signed (namespace "sanctum-roster") by
 *     group <group id>                       the admin who made the change
 *     seq <n>                                1, 2, 3, ... without gaps
 *     prev <64 hex>                          SHA-256 of entry n-1 (of the manifest for 1)
 *     time <seconds since 1970>              informative only: never used to decide
 *     signer <fingerprint>
 *     op create|add
 *     card <member card>
 *     role admin|member
 *     history yes|no                         add: whether it gets the earlier epochs
 *     epoch <n>                              create: the first epoch and its recipient
 *     recipient <age1...>
 *
 * Entry 1 is `create`: the founder (the manifest's signer) as an admin, and epoch 1.
 * Later entries must be signed by an admin active at that point.
 */
#ifndef SANCTUM_ROSTER_H
#define SANCTUM_ROSTER_H

#include "manifest.h"

#define SANCTUM_ROSTER_NAMESPACE "sanctum-roster"
#define SANCTUM_ROSTER_MAX_ENTRY 8192

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
	sanctum_member *members;      /* owned, in the order they were added */
	size_t nmembers;
	sanctum_epoch_info *epochs;   /* owned, epoch 1 first */
	size_t nepochs;
} sanctum_roster;

/** What a new entry changes. */
typedef struct {
	const char *op;               /* "create" or "add" */
	const sanctum_card *card;
	int admin;
	int history;                  /* add: give the earlier epochs too */
	uint64_t epoch;               /* create: 1 */
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

/** Writes the next entry (seq + 1, chained to the last) for `change`, signed by `signer`. */
int sanctum_roster__write_entry(sanctum_buf *out, const sanctum_roster *roster,
                                const sanctum_roster_change *change,
                                const sanctum_identity *signer);

/** The member with this signing key (active or not), or NULL. Borrowed. */
const sanctum_member *sanctum_roster__member(const sanctum_roster *roster,
                                             const unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE]);

/** Whether `member` (active) may hold the key of epoch `number`. */
int sanctum_roster__can_read_epoch(const sanctum_member *member, uint64_t number);

/** The newest epoch. Borrowed; never NULL once entry 1 is applied. */
const sanctum_epoch_info *sanctum_roster__current_epoch(const sanctum_roster *roster);

/** The file name of entry `seq` inside roster/ ("000001"); 7 bytes of room. */
void sanctum_roster__entry_name(char out[7], uint64_t seq);

void sanctum_roster__dispose(sanctum_roster *roster);

#endif

/*
 * Epoch keys: epochs/NNNNNN.age holds the epoch's age identity, age-encrypted to every
 * member of that epoch. Documents are encrypted to the newest epoch's recipient, which
 * the roster names (so a host that swaps an epoch file cannot make members encrypt to a
 * key it chose). The plaintext is a signed file (namespace "sanctum-epoch"):
 *
 *     sanctum-epoch v1
 *     group <group id>
 *     epoch <n>
 *     identity AGE-SECRET-KEY-1...
 */
#ifndef SANCTUM_EPOCH_H
#define SANCTUM_EPOCH_H

#include "roster.h"

#define SANCTUM_EPOCH_NAMESPACE "sanctum-epoch"
#define SANCTUM_EPOCH_MAX_FILE (1u << 20)

/** The file name of epoch `number` inside epochs/ ("000001.age"); 11 bytes of room. */
void sanctum_epoch__file_name(char out[11], uint64_t number);

/**
 * Makes epoch `number` for `group_id`: a fresh age identity (returned in `*identity`),
 * signed by `signer` and encrypted to the `count` recipients, into `out`.
 */
int sanctum_epoch__create(sanctum_buf *out, sanctum_age_identity **identity,
                          const char *group_id, uint64_t number,
                          const sanctum_age_recipient *const *members, size_t count,
                          const sanctum_identity *signer);

/**
 * Seals an existing epoch identity again, signed by `signer` and encrypted to the `count`
 * recipients: how a new member is given an epoch's key.
 */
int sanctum_epoch__seal(sanctum_buf *out, const sanctum_age_identity *identity,
                        const char *group_id, uint64_t number,
                        const sanctum_age_recipient *const *members, size_t count,
                        const sanctum_identity *signer);

/**
 * Opens epoch `number` as `reader`: decrypts, verifies that an admin of `roster` signed
 * it for this group and epoch, and that its key is the one the roster names. Returns 0,
 * SANCTUM_ENOMATCH (the reader is not among its recipients), SANCTUM_EVERIFY, or an age
 * error.
 */
int sanctum_epoch__open(sanctum_age_identity **out, const sanctum_roster *roster,
                        uint64_t number, const unsigned char *file, size_t len,
                        const sanctum_identity *reader);

#endif

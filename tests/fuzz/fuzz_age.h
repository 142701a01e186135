/*
 * Shared pieces of the age decryption fuzz targets and of the seed generator: the fixed
 * keys the targets decrypt with, and the driver that runs one input.
 */
#ifndef SANCTUM_FUZZ_AGE_H
#define SANCTUM_FUZZ_AGE_H

#include "sanctum/sanctum.h"

#include <stddef.h>
#include <stdint.h>

/* The passphrase identity opens scrypt stanzas up to this cheap work factor only. */
#define FUZZ_PASSPHRASE "password"
#define FUZZ_MAX_WORK_FACTOR 10

/*
 * Names a file of extra identities (as age-keygen writes them) that the targets also
 * try; run.sh points it at the age-testkit identities so that its vectors decrypt.
 */
#define FUZZ_IDENTITIES_ENV "SANCTUM_FUZZ_IDENTITIES"

/** The X25519 secret scalar of the fixed identity; seed_extract encrypts to it. */
extern const unsigned char fuzz_fixed_secret[SANCTUM_AGE_X25519_KEY_SIZE];

/**
 * Builds the identity list once per process: the fixed X25519 identity, those of the
 * file named by FUZZ_IDENTITIES_ENV, then the passphrase identity. Aborts on failure,
 * which can only be a broken setup.
 */
void fuzz_age_setup(void);

/**
 * Decrypts one input two ways and checks they agree. The first byte chooses how the
 * rest is cut into pieces for the streaming decryptor; the rest is the file. Aborts when
 * the streaming and the whole-buffer results disagree.
 */
void fuzz_age_run(const uint8_t *data, size_t size, sanctum_age_armor_mode armor);

#endif

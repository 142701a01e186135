/*
 * Bech32 (BIP 173) as age uses it: no 90-character limit, one case per string, the
 * human-readable part returned in the case it was written in so callers can enforce
 * age's rules (`age` lowercase, `AGE-SECRET-KEY-` uppercase).
 */
#ifndef SANCTUM_BECH32_H
#define SANCTUM_BECH32_H

#include "sanctum/buf.h"

#define SANCTUM_BECH32_MAX_HRP 83

/**
 * Encodes `data` under `hrp` into `out` (replacing its contents), uppercase when `upper`.
 * `hrp` must be 1..SANCTUM_BECH32_MAX_HRP printable ASCII characters, lowercase.
 * Returns 0, SANCTUM_EINVALID or SANCTUM_ENOMEM.
 */
int sanctum_bech32__encode(sanctum_buf *out, const char *hrp,
                           const unsigned char *data, size_t len, int upper);

/**
 * Decodes `str` (`len` bytes, no NUL needed). On success writes the human-readable part,
 * NUL-terminated and in its original case, to `hrp` (room for SANCTUM_BECH32_MAX_HRP + 1)
 * and up to `data_cap` bytes to `data`, with the count in `*data_len`. Returns 0 or
 * SANCTUM_EKEY with a message saying what is wrong (mixed case, bad character, bad
 * checksum, bad padding, too long).
 */
int sanctum_bech32__decode(char *hrp, unsigned char *data, size_t data_cap, size_t *data_len,
                           const char *str, size_t len);

#endif

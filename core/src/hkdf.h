/*
 * HKDF-SHA-256 (RFC 5869) on libsodium's HMAC-SHA-256, which libsodium 1.0.18 lacks.
 */
#ifndef SANCTUM_HKDF_H
#define SANCTUM_HKDF_H

#include <stddef.h>

#define SANCTUM_HKDF_MAX_OUTPUT (255u * 32u)

/**
 * Derives `out_len` bytes (at most SANCTUM_HKDF_MAX_OUTPUT) from `ikm`, `salt` (may be
 * empty) and the NUL-terminated `info`. Returns 0, or -1 if `out_len` is too large.
 * The intermediate key is wiped before returning.
 */
int sanctum_hkdf_sha256(unsigned char *out, size_t out_len,
                        const unsigned char *ikm, size_t ikm_len,
                        const unsigned char *salt, size_t salt_len, const char *info);

#endif

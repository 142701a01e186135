/*
 * Strict base64 decoding. libsodium 1.0.18's sodium_base642bin decodes every byte from
 * 0x80 up as '/' instead of refusing it, so one key, MAC or signature would have many
 * spellings. Every base64 decode in core/ goes through here: the alphabet is checked
 * first, then libsodium decodes (refusing non-canonical trailing bits and bad padding).
 */
#ifndef SANCTUM_B64_H
#define SANCTUM_B64_H

#include <stddef.h>

/**
 * Decodes all `in_len` characters of `in` in libsodium `variant` into at most `cap`
 * bytes; the count goes to `*out_len`. Returns 0, or -1 for a character outside the
 * variant's alphabet, bad padding, non-canonical bits, or output larger than `cap`.
 */
int sanctum_b64__decode(unsigned char *out, size_t cap, size_t *out_len, const char *in,
                        size_t in_len, int variant);

#endif

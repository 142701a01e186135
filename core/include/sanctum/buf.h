/*
 * A growable byte buffer that the library fills and the caller owns.
 *
 * Buffers are wiped with sodium_memzero whenever their storage is released or moved, so
 * a buffer may hold plaintext or key material. Initialise with SANCTUM_BUF_INIT and
 * release with sanctum_buf_dispose.
 */
#ifndef SANCTUM_BUF_H
#define SANCTUM_BUF_H

#include "common.h"

typedef struct {
	unsigned char *ptr;          /* the bytes; NUL-terminated for convenience, may be NULL */
	size_t size;                 /* number of bytes used */
	size_t asize;                /* bytes allocated */
} sanctum_buf;

#define SANCTUM_BUF_INIT { NULL, 0, 0 }

/** Ensures room for at least `size` bytes plus a NUL. Returns 0 or SANCTUM_ENOMEM. */
SANCTUM_WARN_UNUSED int sanctum_buf_grow(sanctum_buf *buf, size_t size);

/** Appends `len` bytes. Returns 0 or SANCTUM_ENOMEM (the buffer is then unchanged). */
SANCTUM_WARN_UNUSED int sanctum_buf_put(sanctum_buf *buf, const void *data, size_t len);

/** Appends a NUL-terminated string. Returns 0 or SANCTUM_ENOMEM. */
SANCTUM_WARN_UNUSED int sanctum_buf_puts(sanctum_buf *buf, const char *str);

/** Empties the buffer, wiping the old contents but keeping the allocation. */
void sanctum_buf_clear(sanctum_buf *buf);

/** Wipes and frees the storage and resets the buffer to SANCTUM_BUF_INIT. NULL is fine. */
void sanctum_buf_dispose(sanctum_buf *buf);

#endif

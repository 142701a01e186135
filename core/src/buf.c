#include "sanctum/buf.h"

#include "errors_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int sanctum_buf_grow(sanctum_buf *buf, size_t size)
{
	unsigned char *bigger;
	size_t want;

	if (size < buf->asize)
		return 0;
	if (size > SIZE_MAX / 2 - 1)
		return sanctum_error__nomem();
	want = buf->asize ? buf->asize : 64;
	while (want <= size)
		want *= 2;

	/* No realloc: the old block may hold secrets and must be wiped before it is freed. */
	bigger = malloc(want);
	if (!bigger)
		return sanctum_error__nomem();
	if (buf->ptr) {
		memcpy(bigger, buf->ptr, buf->size);
		sodium_memzero(buf->ptr, buf->asize);
		free(buf->ptr);
	}
	bigger[buf->size] = '\0';
	buf->ptr = bigger;
	buf->asize = want;
	return 0;
}

int sanctum_buf_put(sanctum_buf *buf, const void *data, size_t len)
{
	if (len > SIZE_MAX - buf->size - 1)
		return sanctum_error__nomem();
	if (sanctum_buf_grow(buf, buf->size + len) < 0)
		return SANCTUM_ENOMEM;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int sanctum_buf_puts(sanctum_buf *buf, const char *str)
{
	return sanctum_buf_put(buf, str, strlen(str));
}

void sanctum_buf_clear(sanctum_buf *buf)
{
	if (buf->ptr) {
		sodium_memzero(buf->ptr, buf->asize);
	}
	buf->size = 0;
}

void sanctum_buf_dispose(sanctum_buf *buf)
{
	if (!buf)
		return;
	if (buf->ptr) {
		sodium_memzero(buf->ptr, buf->asize);
		free(buf->ptr);
	}
	buf->ptr = NULL;
	buf->size = 0;
	buf->asize = 0;
}

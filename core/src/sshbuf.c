/*
 * The SSH wire encoding: uint32 values and length-prefixed strings, read bounds-checked
 * from untrusted bytes and appended to a sanctum_buf.
 */
#include "sshbuf.h"

#include "errors_internal.h"

#include <string.h>

int sanctum_sshbuf__get_u32(ssh_span *reader, uint32_t *out)
{
	const unsigned char *p = reader->ptr;

	if (reader->len < 4)
		return -1;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
	reader->ptr += 4;
	reader->len -= 4;
	return 0;
}

int sanctum_sshbuf__get_bytes(ssh_span *reader, ssh_span *out, size_t len)
{
	if (reader->len < len)
		return -1;
	out->ptr = reader->ptr;
	out->len = len;
	reader->ptr += len;
	reader->len -= len;
	return 0;
}

int sanctum_sshbuf__get_string(ssh_span *reader, ssh_span *out)
{
	ssh_span rest = *reader;
	uint32_t len;

	/* Work on a copy so that a failed read leaves the reader where it was. */
	if (sanctum_sshbuf__get_u32(&rest, &len) < 0 ||
	    sanctum_sshbuf__get_bytes(&rest, out, len) < 0)
		return -1;
	*reader = rest;
	return 0;
}

int sanctum_sshbuf__span_is(const ssh_span *span, const char *text)
{
	size_t len = strlen(text);

	return span->len == len && (len == 0 || memcmp(span->ptr, text, len) == 0);
}

int sanctum_sshbuf__put_u32(sanctum_buf *out, uint32_t value)
{
	unsigned char be[4];

	be[0] = (unsigned char)(value >> 24);
	be[1] = (unsigned char)(value >> 16);
	be[2] = (unsigned char)(value >> 8);
	be[3] = (unsigned char)value;
	return sanctum_buf_put(out, be, sizeof(be));
}

int sanctum_sshbuf__put_string(sanctum_buf *out, const void *data, size_t len)
{
	int error;

	if (len > UINT32_MAX)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "an ssh string field is longer than 4 GiB");
	if ((error = sanctum_sshbuf__put_u32(out, (uint32_t)len)) < 0)
		return error;
	return sanctum_buf_put(out, data, len);
}

int sanctum_sshbuf__put_cstring(sanctum_buf *out, const char *str)
{
	return sanctum_sshbuf__put_string(out, str, strlen(str));
}

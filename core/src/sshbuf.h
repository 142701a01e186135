/*
 * The SSH wire encoding (RFC 4251, section 5) that SSH signatures and public key blobs
 * use: big-endian uint32 values and strings prefixed by their uint32 length.
 *
 * Readers work on a span of untrusted bytes. Each checks the length it is about to take
 * against what is left, so hostile input can only make a read fail, never read past the
 * end. A failed read records no error: only the caller knows which field was being read,
 * so the caller writes the message.
 */
#ifndef SANCTUM_SSHBUF_H
#define SANCTUM_SSHBUF_H

#include "sanctum/buf.h"

/* Bytes borrowed from a larger buffer; also the unread rest of that buffer for readers. */
typedef struct {
	const unsigned char *ptr;
	size_t len;
} ssh_span;

/** Takes a uint32. Returns 0, or -1 when fewer than 4 bytes are left. */
int sanctum_sshbuf__get_u32(ssh_span *reader, uint32_t *out);

/** Takes exactly `len` raw bytes into `out`. Returns 0, or -1 when fewer are left. */
int sanctum_sshbuf__get_bytes(ssh_span *reader, ssh_span *out, size_t len);

/**
 * Takes a string (uint32 length, then that many bytes) into `out`, which borrows from the
 * reader's buffer. Returns 0, or -1 when the length runs past the end.
 */
int sanctum_sshbuf__get_string(ssh_span *reader, ssh_span *out);

/** Whether `span` holds exactly the characters of `text`. */
int sanctum_sshbuf__span_is(const ssh_span *span, const char *text);

/** Appends a uint32. Returns 0 or SANCTUM_ENOMEM. */
int sanctum_sshbuf__put_u32(sanctum_buf *out, uint32_t value);

/** Appends a string. Returns 0, SANCTUM_EINVALID (longer than 4 GiB) or SANCTUM_ENOMEM. */
int sanctum_sshbuf__put_string(sanctum_buf *out, const void *data, size_t len);

/** Appends a NUL-terminated string as a string, without its NUL. */
int sanctum_sshbuf__put_cstring(sanctum_buf *out, const char *str);

#endif

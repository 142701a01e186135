/*
 * Length-prefixed frames on the peer stream: a 2-byte big-endian length, then the body.
 */
#include "frame.h"

#include "errors_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The largest length two bytes can say. */
#define LENGTH_LIMIT 65535

static int invalid(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID, "frame: %s", what);
}

static int valid_max(size_t max)
{
	return max >= 1 && max <= LENGTH_LIMIT;
}

int frame_decoder_init(frame_decoder *d, size_t max)
{
	if (!d)
		return invalid("missing decoder");
	memset(d, 0, sizeof(*d));
	if (!valid_max(max))
		return invalid("the frame limit must be 1 to 65535 bytes");
	d->max = max;
	return 0;
}

size_t frame_decoder_pending(const frame_decoder *d)
{
	if (!d || d->delivered)
		return 0;
	return d->header_have + d->have;
}

int frame_decoder_set_max(frame_decoder *d, size_t max)
{
	if (!d || !d->max)
		return invalid("decoder not initialised");
	if (d->error)
		return d->error;
	if (!valid_max(max))
		return invalid("the frame limit must be 1 to 65535 bytes");
	/* A length already read was judged by the old limit; changing it then would lie. */
	if (frame_decoder_pending(d))
		return invalid("the frame limit can change only between frames");
	d->max = max;
	return 0;
}

/* Records the first error of the stream; every later call returns it. */
static int stop(frame_decoder *d, int code)
{
	d->error = code;
	return code;
}

/*
 * The header is complete: judge the length before reading any of the body, so that a
 * peer cannot make us wait for, or buffer, a frame we would refuse anyway.
 */
static int start_body(frame_decoder *d)
{
	size_t len = (size_t)d->header[0] << 8 | d->header[1];

	if (len == 0)
		return stop(d, invalid("empty frame"));
	if (len > d->max)
		return stop(d, sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                                  "frame: %zu bytes, over the limit of %zu", len,
		                                  d->max));
	/* Grow to the limit at once, not to this frame, so the buffer is allocated once. */
	if (len > d->cap) {
		uint8_t *bigger = malloc(d->max);

		if (!bigger)
			return stop(d, sanctum_error__nomem());
		if (d->buf) {
			sodium_memzero(d->buf, d->cap);
			free(d->buf);
		}
		d->buf = bigger;
		d->cap = d->max;
	}
	d->len = len;
	d->have = 0;
	return 0;
}

/* Forgets the frame handed out by the previous call, whose bytes the caller has used. */
static void release(frame_decoder *d)
{
	if (!d->delivered)
		return;
	d->delivered = 0;
	d->header_have = 0;
	d->len = 0;
	d->have = 0;
}

int frame_decoder_next(frame_decoder *d, const uint8_t **in, size_t *in_len,
                       const uint8_t **frame, size_t *frame_len)
{
	size_t take;
	int rc;

	if (!d || !d->max)
		return invalid("decoder not initialised");
	if (!in || !in_len || (!*in && *in_len) || !frame || !frame_len)
		return invalid("missing argument to frame_decoder_next");
	if (d->error)
		return sanctum_error__set(d->error, SANCTUM_ERRCLASS_INVALID,
		                          "frame: the stream is out of step after an earlier error");
	release(d);
	while (*in_len > 0) {
		if (d->header_have < FRAME_HEADER_LEN) {
			d->header[d->header_have++] = **in;
			(*in)++;
			(*in_len)--;
			if (d->header_have == FRAME_HEADER_LEN && (rc = start_body(d)) < 0)
				return rc;
			continue;
		}
		take = d->len - d->have < *in_len ? d->len - d->have : *in_len;
		memcpy(d->buf + d->have, *in, take);
		d->have += take;
		*in += take;
		*in_len -= take;
		if (d->have == d->len) {
			d->delivered = 1;
			*frame = d->buf;
			*frame_len = d->len;
			return 1;
		}
	}
	return 0;
}

int frame_decoder_feed(frame_decoder *d, const uint8_t *data, size_t len, frame_callback cb,
                       void *ctx)
{
	const uint8_t *frame;
	size_t frame_len;
	int rc;

	if (!cb)
		return invalid("missing callback");
	for (;;) {
		rc = frame_decoder_next(d, &data, &len, &frame, &frame_len);
		if (rc <= 0)
			return rc;
		rc = cb(ctx, frame, frame_len);
		if (rc < 0)
			return rc;
	}
}

void frame_decoder_dispose(frame_decoder *d)
{
	if (!d)
		return;
	if (d->buf) {
		sodium_memzero(d->buf, d->cap);
		free(d->buf);
	}
	memset(d, 0, sizeof(*d));
}

int frame_encode_header(uint8_t header[FRAME_HEADER_LEN], size_t len, size_t max)
{
	if (!header || !valid_max(max))
		return invalid("bad argument to frame_encode_header");
	if (len == 0 || len > max)
		return invalid(len ? "frame body over the limit" : "empty frame");
	header[0] = (uint8_t)(len >> 8);
	header[1] = (uint8_t)len;
	return 0;
}

int frame_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *body, size_t len,
                 size_t max)
{
	uint8_t header[FRAME_HEADER_LEN];
	int rc;

	if (!out || !out_len || !body)
		return invalid("missing argument to frame_encode");
	if ((rc = frame_encode_header(header, len, max)) < 0)
		return rc;
	if (cap < len + FRAME_HEADER_LEN)
		return invalid("output buffer too small for the frame");
	memmove(out + FRAME_HEADER_LEN, body, len);
	memcpy(out, header, FRAME_HEADER_LEN);
	*out_len = len + FRAME_HEADER_LEN;
	return 0;
}

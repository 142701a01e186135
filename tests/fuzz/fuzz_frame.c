/*
 * libFuzzer target: the peer stream's frame decoder (transport/src/frame.c) with a small
 * limit. Byte 0 sets the limit (1 to 256 bytes); byte 1 how the rest is cut into pieces
 * (bits 0-5: piece size 1 to 64, or the whole at once when 0) and, with bit 7, a larger
 * limit (twice the first, at most 65535) from the second frame on, as the daemon does
 * after the handshake. The rest is the stream.
 *
 * A plain reference parser reads the same stream in one go. The decoder must hand out
 * exactly its frames, refuse a length of 0 or over the limit as soon as its two bytes
 * were consumed (no body byte read), hold as pending exactly what is left of an
 * incomplete frame, and every frame must encode back to the bytes it came from.
 */
#include "frame.h"
#include "sanctum/sanctum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sanctum_init() < 0)
		abort();
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_frame: %s\n", what);
		abort();
	}
}

/* The reference parser's position in the stream and the limit it applies. */
typedef struct {
	const uint8_t *s;
	size_t len, pos, frames;
	size_t max, later_max;
} reference;

static size_t ref_length(const reference *r)
{
	return (size_t)r->s[r->pos] << 8 | r->s[r->pos + 1];
}

static size_t ref_max(const reference *r)
{
	return r->frames > 0 ? r->later_max : r->max;
}

/* The decoder gave a frame after consuming `consumed` bytes of the stream. */
static void ref_frame(reference *r, const uint8_t *frame, size_t frame_len, size_t consumed)
{
	uint8_t again[FRAME_HEADER_LEN + 256 * 2];
	size_t n;

	check(r->len - r->pos >= FRAME_HEADER_LEN, "a frame out of a partial header");
	check(frame_len == ref_length(r), "a frame of the wrong length");
	check(frame_len >= 1 && frame_len <= ref_max(r), "a frame outside the limit");
	check(consumed == r->pos + FRAME_HEADER_LEN + frame_len, "a frame ended elsewhere");
	check(memcmp(frame, r->s + r->pos + FRAME_HEADER_LEN, frame_len) == 0,
	      "a frame's bytes differ");
	check(frame_encode(again, sizeof(again), &n, frame, frame_len, ref_max(r)) == 0 &&
	              n == frame_len + FRAME_HEADER_LEN &&
	              memcmp(again, r->s + r->pos, n) == 0,
	      "a frame does not encode back to its bytes");
	r->pos += n;
	r->frames++;
}

/* The decoder refused the stream after consuming `consumed` bytes. */
static void ref_error(const reference *r, size_t consumed)
{
	size_t len;

	check(r->len - r->pos >= FRAME_HEADER_LEN, "an error before the header was complete");
	len = ref_length(r);
	check(len == 0 || len > ref_max(r), "a valid length refused");
	check(consumed == r->pos + FRAME_HEADER_LEN, "a bad length not refused at once");
}

/* All input consumed, no error: what is left must be an incomplete, valid frame. */
static void ref_end(const reference *r, const frame_decoder *d)
{
	size_t left = r->len - r->pos;

	check(frame_decoder_pending(d) == left, "pending bytes differ from what is left");
	if (left >= FRAME_HEADER_LEN) {
		size_t len = ref_length(r);
		check(len >= 1 && len <= ref_max(r), "a bad length was not refused");
		check(left < FRAME_HEADER_LEN + len, "a complete frame was not handed out");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	frame_decoder d;
	reference r;
	size_t piece, fed = 0;
	int failed = 0;

	if (size < 2)
		return 0;
	memset(&r, 0, sizeof(r));
	r.s = data + 2;
	r.len = size - 2;
	r.max = (size_t)data[0] + 1;
	r.later_max = data[1] & 0x80 ? 2 * r.max : r.max;
	piece = data[1] & 0x3f ? data[1] & 0x3f : r.len;
	if (frame_decoder_init(&d, r.max) < 0)
		abort();
	while (fed < r.len && !failed) {
		const uint8_t *in = r.s + fed, *frame;
		size_t in_len = piece < r.len - fed ? piece : r.len - fed, frame_len;
		size_t start = fed;
		int rc;

		while (in_len > 0) {
			rc = frame_decoder_next(&d, &in, &in_len, &frame, &frame_len);
			if (rc < 0) {
				ref_error(&r, (size_t)(in - r.s));
				failed = 1;
				break;
			}
			if (rc == 0)
				break;
			ref_frame(&r, frame, frame_len, (size_t)(in - r.s));
			if (r.frames == 1 && frame_decoder_set_max(&d, r.later_max) < 0)
				abort();
		}
		check(failed || in_len == 0, "input left over without a frame or an error");
		fed = start + (size_t)(in - (r.s + start));
	}
	if (!failed)
		ref_end(&r, &d);
	frame_decoder_dispose(&d);
	sanctum_error_clear();
	return 0;
}

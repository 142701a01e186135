/*
 * Unit tests for the length-prefixed framing of the peer stream (transport/src/frame.c):
 * streams of frames fed whole, byte by byte and in random pieces; lengths of 0 and over
 * the limit refused as soon as the header arrives; the limit changed between frames; the
 * encoder's limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sanctum/sanctum.h"
#include "frame.h"

#define MAX_FRAMES 16

/* A stream of frames and the bodies it holds. */
typedef struct {
	uint8_t *bytes;
	size_t len, cap;
	size_t count;
	size_t sizes[MAX_FRAMES];
	size_t offsets[MAX_FRAMES]; /* of each body within bytes */
} stream;

static void stream_add(stream *s, size_t len, size_t max)
{
	size_t n;

	assert_true(s->count < MAX_FRAMES);
	if (s->cap < s->len + len + FRAME_HEADER_LEN) {
		s->cap = s->len + len + FRAME_HEADER_LEN;
		s->bytes = realloc(s->bytes, s->cap);
		assert_non_null(s->bytes);
	}
	randombytes_buf(s->bytes + s->len + FRAME_HEADER_LEN, len);
	/* In place: the body is already where the frame's body goes. */
	assert_int_equal(frame_encode(s->bytes + s->len, s->cap - s->len, &n,
	                              s->bytes + s->len + FRAME_HEADER_LEN, len, max), 0);
	assert_int_equal(n, len + FRAME_HEADER_LEN);
	assert_int_equal(s->bytes[s->len], len >> 8);
	assert_int_equal(s->bytes[s->len + 1], len & 0xff);
	s->sizes[s->count] = len;
	s->offsets[s->count] = s->len + FRAME_HEADER_LEN;
	s->count++;
	s->len += n;
}

static void stream_free(stream *s)
{
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

/* What the callback saw. */
typedef struct {
	const stream *expected;
	size_t seen;
	size_t switch_after; /* set the limit to 65535 after this many frames (0: never) */
	frame_decoder *d;
	int stop_at;         /* return an error from the callback at this frame (0: never) */
} collector;

static int collect(void *ctx, const uint8_t *frame, size_t len)
{
	collector *c = ctx;
	const stream *s = c->expected;

	assert_true(c->seen < s->count);
	assert_int_equal(len, s->sizes[c->seen]);
	assert_memory_equal(frame, s->bytes + s->offsets[c->seen], len);
	c->seen++;
	if (c->stop_at && (int)c->seen == c->stop_at)
		return SANCTUM_ERROR;
	if (c->switch_after && c->seen == c->switch_after)
		assert_int_equal(frame_decoder_set_max(c->d, FRAME_MAX_TRANSPORT), 0);
	return 0;
}

static void make_stream(stream *s, size_t max)
{
	static const size_t sizes[] = { 1, 2, 255, 256, 257, 1000, 4095, 4096, 3, 4000 };

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		stream_add(s, sizes[i] > max ? max : sizes[i], max);
}

static void test_frame__whole_stream(void **state)
{
	stream s;
	frame_decoder d;
	collector c = { &s, 0, 0, &d, 0 };

	(void)state;
	make_stream(&s, FRAME_MAX_HANDSHAKE);
	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
	assert_int_equal(frame_decoder_feed(&d, s.bytes, s.len, collect, &c), 0);
	assert_int_equal(c.seen, s.count);
	assert_int_equal(frame_decoder_pending(&d), 0);
	/* The buffer grew once, to the limit, and no further. */
	assert_int_equal(d.cap, FRAME_MAX_HANDSHAKE);
	frame_decoder_dispose(&d);
	stream_free(&s);
}

/* Byte by byte through the iterator, watching what is pending after every byte. */
static void test_frame__byte_by_byte(void **state)
{
	stream s;
	frame_decoder d;
	size_t frames = 0, pos;

	(void)state;
	make_stream(&s, FRAME_MAX_HANDSHAKE);
	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
	for (pos = 0; pos < s.len; pos++) {
		const uint8_t *in = s.bytes + pos, *frame = NULL;
		size_t in_len = 1, frame_len = 0;
		int rc = frame_decoder_next(&d, &in, &in_len, &frame, &frame_len);

		assert_true(rc == 0 || rc == 1);
		assert_int_equal(in_len, 0);
		if (rc == 1) {
			assert_int_equal(frame_len, s.sizes[frames]);
			assert_memory_equal(frame, s.bytes + s.offsets[frames], frame_len);
			assert_int_equal(pos + 1, s.offsets[frames] + frame_len);
			assert_int_equal(frame_decoder_pending(&d), 0);
			frames++;
		} else {
			size_t start = frames ? s.offsets[frames - 1] + s.sizes[frames - 1] : 0;
			assert_int_equal(frame_decoder_pending(&d), pos + 1 - start);
		}
	}
	assert_int_equal(frames, s.count);
	frame_decoder_dispose(&d);
	stream_free(&s);
}

static void test_frame__random_pieces(void **state)
{
	stream s;
	frame_decoder d;

	(void)state;
	make_stream(&s, FRAME_MAX_HANDSHAKE);
	for (int round = 0; round < 50; round++) {
		collector c = { &s, 0, 0, &d, 0 };
		size_t pos = 0;

		assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
		while (pos < s.len) {
			size_t piece = 1 + randombytes_uniform(round < 25 ? 8 : 3000);

			if (piece > s.len - pos)
				piece = s.len - pos;
			assert_int_equal(frame_decoder_feed(&d, s.bytes + pos, piece, collect, &c), 0);
			pos += piece;
		}
		assert_int_equal(c.seen, s.count);
		frame_decoder_dispose(&d);
	}
	stream_free(&s);
}

/* An empty input is fine, before any frame and in the middle of one. */
static void test_frame__empty_input(void **state)
{
	frame_decoder d;
	const uint8_t one[] = { 0x00 };
	stream s;
	collector c = { &s, 0, 0, &d, 0 };

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(frame_decoder_init(&d, 10), 0);
	assert_int_equal(frame_decoder_feed(&d, NULL, 0, collect, &c), 0);
	assert_int_equal(frame_decoder_feed(&d, one, 1, collect, &c), 0);
	assert_int_equal(frame_decoder_feed(&d, NULL, 0, collect, &c), 0);
	assert_int_equal(frame_decoder_pending(&d), 1);
	assert_int_equal(c.seen, 0);
	frame_decoder_dispose(&d);
}

static void test_frame__zero_length_refused(void **state)
{
	frame_decoder d;
	const uint8_t bytes[] = { 0x00, 0x00, 0x00, 0x01, 0x41 };
	const uint8_t good[] = { 0x00, 0x01, 0x41 };
	stream s;
	collector c = { &s, 0, 0, &d, 0 };

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(frame_decoder_init(&d, 100), 0);
	assert_int_equal(frame_decoder_feed(&d, bytes, 1, collect, &c), 0);
	assert_int_equal(frame_decoder_feed(&d, bytes + 1, 1, collect, &c), SANCTUM_EINVALID);
	assert_int_equal(c.seen, 0);
	/* Sticky: the stream is out of step, even good bytes are refused from now on. */
	assert_int_equal(frame_decoder_feed(&d, good, sizeof(good), collect, &c), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_set_max(&d, 200), SANCTUM_EINVALID);
	assert_true(sanctum_error_last()->message[0] != '\0');
	frame_decoder_dispose(&d);
}

/* The length is judged as soon as its two bytes arrive; no body byte is awaited. */
static void test_frame__oversized_refused_at_once(void **state)
{
	frame_decoder d;
	const uint8_t over[] = { 0x00, 101 };
	const uint8_t huge[] = { 0xff, 0xff };
	const uint8_t exact[] = { 0x00, 100 };
	const uint8_t *in;
	const uint8_t *frame;
	size_t in_len, frame_len;

	(void)state;
	assert_int_equal(frame_decoder_init(&d, 100), 0);
	in = over;
	in_len = sizeof(over);
	assert_int_equal(frame_decoder_next(&d, &in, &in_len, &frame, &frame_len),
	                 SANCTUM_EINVALID);
	assert_null(d.buf); /* nothing was allocated for it */
	frame_decoder_dispose(&d);

	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
	in = huge;
	in_len = sizeof(huge);
	assert_int_equal(frame_decoder_next(&d, &in, &in_len, &frame, &frame_len),
	                 SANCTUM_EINVALID);
	frame_decoder_dispose(&d);

	/* Exactly the limit is fine: it waits for the body. */
	assert_int_equal(frame_decoder_init(&d, 100), 0);
	in = exact;
	in_len = sizeof(exact);
	assert_int_equal(frame_decoder_next(&d, &in, &in_len, &frame, &frame_len), 0);
	assert_int_equal(frame_decoder_pending(&d), 2);
	frame_decoder_dispose(&d);
}

static void test_frame__largest_frames(void **state)
{
	stream s;
	frame_decoder d;
	collector c = { &s, 0, 0, &d, 0 };

	(void)state;
	memset(&s, 0, sizeof(s));
	stream_add(&s, FRAME_MAX_TRANSPORT, FRAME_MAX_TRANSPORT);
	stream_add(&s, FRAME_MAX_TRANSPORT, FRAME_MAX_TRANSPORT);
	stream_add(&s, 1, FRAME_MAX_TRANSPORT);
	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_TRANSPORT), 0);
	assert_int_equal(frame_decoder_feed(&d, s.bytes, s.len, collect, &c), 0);
	assert_int_equal(c.seen, 3);
	frame_decoder_dispose(&d);
	stream_free(&s);
}

/*
 * The daemon's case: three handshake frames under the small limit, then transport frames
 * under the large one, all arriving in one read; the limit changes in the callback.
 */
static void test_frame__limit_changed_between_frames(void **state)
{
	stream s;
	frame_decoder d;
	collector c = { &s, 0, 3, &d, 0 };
	collector strict = { &s, 0, 0, &d, 0 };

	(void)state;
	memset(&s, 0, sizeof(s));
	stream_add(&s, 32, FRAME_MAX_HANDSHAKE);
	stream_add(&s, 200, FRAME_MAX_HANDSHAKE);
	stream_add(&s, 150, FRAME_MAX_HANDSHAKE);
	stream_add(&s, 60000, FRAME_MAX_TRANSPORT);
	stream_add(&s, 5000, FRAME_MAX_TRANSPORT);
	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
	assert_int_equal(frame_decoder_feed(&d, s.bytes, s.len, collect, &c), 0);
	assert_int_equal(c.seen, 5);
	frame_decoder_dispose(&d);

	/* Without the change, the fourth frame is over the limit. */
	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
	assert_int_equal(frame_decoder_feed(&d, s.bytes, s.len, collect, &strict),
	                 SANCTUM_EINVALID);
	assert_int_equal(strict.seen, 3);
	frame_decoder_dispose(&d);

	/* In the middle of a frame the limit cannot change. */
	assert_int_equal(frame_decoder_init(&d, FRAME_MAX_HANDSHAKE), 0);
	assert_int_equal(frame_decoder_feed(&d, s.bytes, 1, collect, &strict), 0);
	assert_int_equal(frame_decoder_set_max(&d, FRAME_MAX_TRANSPORT), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_feed(&d, s.bytes + 1, 10, collect, &strict), 0);
	assert_int_equal(frame_decoder_set_max(&d, FRAME_MAX_TRANSPORT), SANCTUM_EINVALID);
	frame_decoder_dispose(&d);
	stream_free(&s);
}

/* A callback's error stops the feed; the next frame's bytes are left for later. */
static void test_frame__callback_error(void **state)
{
	stream s;
	frame_decoder d;
	collector c = { &s, 0, 0, &d, 2 };
	const uint8_t *in, *frame;
	size_t in_len, frame_len;

	(void)state;
	make_stream(&s, 300);
	assert_int_equal(frame_decoder_init(&d, 300), 0);
	assert_int_equal(frame_decoder_feed(&d, s.bytes, s.len, collect, &c), SANCTUM_ERROR);
	assert_int_equal(c.seen, 2);
	/* The decoder itself is fine: the iterator carries on where the frames left off. */
	in = s.bytes + s.offsets[2] - FRAME_HEADER_LEN;
	in_len = s.len - (s.offsets[2] - FRAME_HEADER_LEN);
	assert_int_equal(frame_decoder_next(&d, &in, &in_len, &frame, &frame_len), 1);
	assert_int_equal(frame_len, s.sizes[2]);
	assert_memory_equal(frame, s.bytes + s.offsets[2], frame_len);
	frame_decoder_dispose(&d);
	stream_free(&s);
}

static void test_frame__encoder_limits(void **state)
{
	uint8_t header[FRAME_HEADER_LEN], out[16];
	const uint8_t body[10] = { 1, 2, 3 };
	size_t n;

	(void)state;
	assert_int_equal(frame_encode_header(header, 0, 100), SANCTUM_EINVALID);
	assert_int_equal(frame_encode_header(header, 101, 100), SANCTUM_EINVALID);
	assert_int_equal(frame_encode_header(header, 100, 100), 0);
	assert_int_equal(header[0], 0);
	assert_int_equal(header[1], 100);
	assert_int_equal(frame_encode_header(header, 65535, 65535), 0);
	assert_int_equal(header[0], 0xff);
	assert_int_equal(header[1], 0xff);
	assert_int_equal(frame_encode_header(header, 65536, 65536), SANCTUM_EINVALID);
	assert_int_equal(frame_encode_header(header, 1, 0), SANCTUM_EINVALID);
	assert_int_equal(frame_encode_header(NULL, 1, 10), SANCTUM_EINVALID);

	assert_int_equal(frame_encode(out, 11, &n, body, 10, 100), SANCTUM_EINVALID);
	assert_int_equal(frame_encode(out, 12, &n, body, 10, 9), SANCTUM_EINVALID);
	assert_int_equal(frame_encode(out, 12, &n, body, 0, 9), SANCTUM_EINVALID);
	assert_int_equal(frame_encode(out, 12, &n, body, 10, 10), 0);
	assert_int_equal(n, 12);
	assert_int_equal(out[1], 10);
	assert_memory_equal(out + 2, body, 10);
}

static void test_frame__bad_setup(void **state)
{
	frame_decoder d, zero;
	const uint8_t byte = 1, *in = &byte, *frame;
	size_t in_len = 1, frame_len;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(frame_decoder_init(&d, 0), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_init(&d, 65536), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_init(NULL, 100), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_next(&zero, &in, &in_len, &frame, &frame_len),
	                 SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_set_max(&zero, 100), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_feed(&zero, &byte, 1, NULL, NULL), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_pending(NULL), 0);
	assert_int_equal(frame_decoder_init(&d, 100), 0);
	assert_int_equal(frame_decoder_set_max(&d, 0), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_set_max(&d, 65536), SANCTUM_EINVALID);
	assert_int_equal(frame_decoder_set_max(&d, 65535), 0);
	frame_decoder_dispose(&d);
	frame_decoder_dispose(NULL);
	/* Disposed means not initialised. */
	assert_int_equal(frame_decoder_next(&d, &in, &in_len, &frame, &frame_len),
	                 SANCTUM_EINVALID);
}

static int group_setup(void **state)
{
	(void)state;
	return sanctum_init() == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sanctum_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame__whole_stream),
		cmocka_unit_test(test_frame__byte_by_byte),
		cmocka_unit_test(test_frame__random_pieces),
		cmocka_unit_test(test_frame__empty_input),
		cmocka_unit_test(test_frame__zero_length_refused),
		cmocka_unit_test(test_frame__oversized_refused_at_once),
		cmocka_unit_test(test_frame__largest_frames),
		cmocka_unit_test(test_frame__limit_changed_between_frames),
		cmocka_unit_test(test_frame__callback_error),
		cmocka_unit_test(test_frame__encoder_limits),
		cmocka_unit_test(test_frame__bad_setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * The framing of the peer connection's TCP stream: every frame is a 2-byte big-endian
 * length, 1 to `max`, followed by that many bytes, which are one Noise message (see
 * docs/protocol.md). Pure computation, no I/O.
 *
 * The decoder is fed whatever a read returned, in pieces of any size, and hands out
 * complete frames one at a time. It buffers at most one frame body (at most `max` bytes,
 * allocated when the first frame needs it). A length of 0 or above `max` is refused as
 * soon as its two bytes arrive, before any of the body is read. Errors are sticky: a
 * decoder that refused its input keeps returning the same code, because the stream is
 * out of step from then on and the connection has to be closed.
 *
 * Functions return 0 (or 1 where said) or a negative sanctum_error_code and record a
 * message for sanctum_error_last(): SANCTUM_EINVALID for a bad length on the wire or a
 * bad argument, SANCTUM_ENOMEM when the body buffer cannot be allocated.
 */
#ifndef SANCTUM_FRAME_H
#define SANCTUM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_LEN 2
#define FRAME_MAX_HANDSHAKE 4096    /* the limit while the Noise handshake runs */
#define FRAME_MAX_TRANSPORT 65535   /* afterwards: the largest Noise message */

typedef struct {
	size_t max;          /* largest body accepted; 0 means "not initialised" */
	size_t len;          /* body length of the current frame, once its header is read */
	size_t have;         /* body bytes of the current frame buffered so far */
	uint8_t header[FRAME_HEADER_LEN];
	uint8_t header_have; /* header bytes of the current frame read so far, 0 to 2 */
	uint8_t delivered;   /* the current frame was handed out; release it on the next call */
	int error;           /* the sticky code, 0 while the stream is fine */
	uint8_t *buf;        /* `cap` bytes, owned */
	size_t cap;
} frame_decoder;

/**
 * Called by frame_decoder_feed for each complete frame. `frame` is borrowed, valid until
 * the callback returns. Return 0 to go on, or a negative code to stop: feed returns it.
 * The callback may call frame_decoder_set_max (to leave the handshake limit).
 */
typedef int (*frame_callback)(void *ctx, const uint8_t *frame, size_t len);

/**
 * Prepares `d` for frames of 1 to `max` (at most 65535) bytes. Allocates nothing yet.
 * `d` is overwritten: dispose of a decoder in use first, or its buffer leaks.
 */
int frame_decoder_init(frame_decoder *d, size_t max);

/**
 * Changes the limit for the frames to come. Allowed only between frames (nothing of a
 * next frame buffered yet), e.g. from the callback of the frame that ended the handshake.
 */
int frame_decoder_set_max(frame_decoder *d, size_t max);

/**
 * The iterator: consumes bytes from *in (advancing *in and decreasing *in_len) until one
 * frame is complete, then returns 1 with the frame in *frame and *frame_len (borrowed,
 * valid until the next call on `d`); bytes after the frame stay in *in for the next call.
 * Returns 0 when all of *in was consumed without completing a frame, or a negative code.
 */
int frame_decoder_next(frame_decoder *d, const uint8_t **in, size_t *in_len,
                       const uint8_t **frame, size_t *frame_len);

/**
 * Feeds `len` bytes (may be NULL when len is 0) and calls `cb` for every frame they
 * complete, in order. Returns 0 when all of it was consumed, the decoder's error, or the
 * callback's negative return (the rest of the input is then not consumed).
 */
int frame_decoder_feed(frame_decoder *d, const uint8_t *data, size_t len, frame_callback cb,
                       void *ctx);

/**
 * The bytes of an incomplete frame held (header and body), 0 at a frame boundary. A peer
 * that closes the connection while this is nonzero cut a frame short.
 */
size_t frame_decoder_pending(const frame_decoder *d);

/** Wipes and frees the buffer; `d` is then "not initialised". NULL is allowed. */
void frame_decoder_dispose(frame_decoder *d);

/**
 * The 2-byte header for a body of `len` bytes, refused unless 1 <= len <= max (max at
 * most 65535). For writing the header and the body as two buffers.
 */
int frame_encode_header(uint8_t header[FRAME_HEADER_LEN], size_t len, size_t max);

/**
 * Header and body into `out` (cap >= len + 2); `body` may lie inside `out` (it is moved),
 * so a message encrypted at out + 2 can be framed in place. Sets *out_len.
 */
int frame_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *body, size_t len,
                 size_t max);

#endif

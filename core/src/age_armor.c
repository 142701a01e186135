/*
 * The age ASCII armor (a strict PEM subset): "-----BEGIN AGE ENCRYPTED FILE-----", base64
 * lines of exactly 64 columns but the last, "-----END AGE ENCRYPTED FILE-----". Only
 * whitespace may surround it (at most 1 KiB each side). Both directions stream.
 */
#include "age_internal.h"
#include "b64.h"
#include "errors_internal.h"

#include <stdlib.h>
#include <string.h>

#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END "-----END AGE ENCRYPTED FILE-----"
#define ARMOR_COLUMNS 64
#define ARMOR_LINE_BYTES 48
#define ARMOR_MAX_WHITESPACE 1024
#define ARMOR_BATCH_LINES 1024   /* lines gathered before one call to the writer */
#define READER_OUT_SIZE (ARMOR_LINE_BYTES * ARMOR_BATCH_LINES)
#define WRITER_OUT_SIZE ((ARMOR_COLUMNS + 1) * ARMOR_BATCH_LINES)

/* ---- writer ---- */

static int writer_flush(age_armor_writer *w)
{
	int error = 0;

	if (w->nout)
		error = w->write(w->out, w->nout, w->payload);
	w->nout = 0;
	return error;
}

static int writer_put(age_armor_writer *w, const char *text, size_t len)
{
	int error = 0;

	if (w->nout + len > WRITER_OUT_SIZE && (error = writer_flush(w)) < 0)
		return error;
	memcpy(w->out + w->nout, text, len);
	w->nout += len;
	return 0;
}

/* Encodes up to 48 bytes as one line. */
static int writer_line(age_armor_writer *w, const unsigned char *bytes, size_t len)
{
	int error;

	if (w->nout + ARMOR_COLUMNS + 1 > WRITER_OUT_SIZE && (error = writer_flush(w)) < 0)
		return error;
	sodium_bin2base64((char *)w->out + w->nout, ARMOR_COLUMNS + 1, bytes, len,
	                  sodium_base64_VARIANT_ORIGINAL);
	w->nout += strlen((char *)w->out + w->nout);
	w->out[w->nout++] = '\n';
	return 0;
}

int sanctum_age__armor_writer_init(age_armor_writer *w, sanctum_write_fn write, void *payload)
{
	memset(w, 0, sizeof(*w));
	w->write = write;
	w->payload = payload;
	/* One spare byte: sodium_bin2base64 NUL-terminates the last line of a full batch. */
	if (!(w->out = malloc(WRITER_OUT_SIZE + 1)))
		return sanctum_error__nomem();
	return writer_put(w, ARMOR_BEGIN "\n", sizeof(ARMOR_BEGIN));
}

int sanctum_age__armor_write(const unsigned char *data, size_t len, void *payload)
{
	age_armor_writer *w = payload;
	int error;

	while (len) {
		const unsigned char *line = data;
		size_t take = ARMOR_LINE_BYTES;

		if (w->npending || len < ARMOR_LINE_BYTES) {
			take = ARMOR_LINE_BYTES - w->npending < len ? ARMOR_LINE_BYTES - w->npending : len;
			memcpy(w->pending + w->npending, data, take);
			w->npending += take;
			data += take;
			len -= take;
			if (w->npending < ARMOR_LINE_BYTES)
				break;
			line = w->pending;
			w->npending = 0;
		} else {
			data += take;
			len -= take;
		}
		if ((error = writer_line(w, line, ARMOR_LINE_BYTES)) < 0)
			return error;
	}
	return 0;
}

int sanctum_age__armor_writer_finish(age_armor_writer *w)
{
	int error = 0;

	if (w->npending)
		error = writer_line(w, w->pending, w->npending);
	w->npending = 0;
	if (!error)
		error = writer_put(w, ARMOR_END "\n", sizeof(ARMOR_END));
	if (!error)
		error = writer_flush(w);
	return error;
}

void sanctum_age__armor_writer_dispose(age_armor_writer *w)
{
	if (!w)
		return;
	sodium_memzero(w->pending, sizeof(w->pending));
	free(w->out);
	w->out = NULL;
}

/* ---- reader ---- */

static int bad_armor(const char *what)
{
	return sanctum_error__set(SANCTUM_EARMOR, SANCTUM_ERRCLASS_AGE, "invalid age armor: %s",
	                          what);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space(s[i]))
			return 0;
	return 1;
}

static int line_is(const char *line, size_t n, const char *text)
{
	return n == strlen(text) && memcmp(line, text, n) == 0;
}

int sanctum_age__armor_reader_init(age_armor_reader *r)
{
	memset(r, 0, sizeof(*r));
	if (!(r->out = malloc(READER_OUT_SIZE)))
		return sanctum_error__nomem();
	return 0;
}

static int reader_flush(age_armor_reader *r, sanctum_write_fn write, void *payload)
{
	int error = 0;

	if (r->nout)
		error = write(r->out, r->nout, payload);
	r->nout = 0;
	return error;
}

static int decode_line(age_armor_reader *r, const char *line, size_t n)
{
	size_t got = 0;

	if (n == 0)
		return bad_armor("an empty line inside the armor");
	if (n > ARMOR_COLUMNS)
		return bad_armor("a line is longer than 64 columns");
	if (sanctum_b64__decode(r->out + r->nout, ARMOR_LINE_BYTES, &got, line, n,
	                        sodium_base64_VARIANT_ORIGINAL) != 0)
		return bad_armor("a line is not canonical padded base64");
	r->nout += got;
	if (got < ARMOR_LINE_BYTES)
		r->state = ARMOR_FOOTER;
	return 0;
}

/* Counts whitespace around the armor; `limit_inclusive` follows age's own two limits. */
static int skip_space(age_armor_reader *r, size_t n, int had_newline)
{
	r->whitespace += n + (had_newline ? 1 : 0);
	if (r->state == ARMOR_LEADING ? r->whitespace > ARMOR_MAX_WHITESPACE
	                              : r->whitespace >= ARMOR_MAX_WHITESPACE)
		return bad_armor("too much whitespace around the armor");
	return 0;
}

static int process_line(age_armor_reader *r, size_t raw_len, int had_newline)
{
	const char *line = r->line;
	size_t n = raw_len;

	if (n && line[n - 1] == '\r')
		n--;
	switch (r->state) {
	case ARMOR_LEADING:
		if (all_space(line, raw_len))
			return skip_space(r, raw_len, had_newline);
		if (!line_is(line, n, ARMOR_BEGIN))
			return bad_armor("the first line is not '" ARMOR_BEGIN "'");
		r->state = ARMOR_DATA;
		return 0;
	case ARMOR_DATA:
		if (line_is(line, n, ARMOR_END)) {
			r->state = ARMOR_TRAILING;
			return 0;
		}
		return decode_line(r, line, n);
	case ARMOR_FOOTER:
		if (!line_is(line, n, ARMOR_END))
			return bad_armor("a short line is not followed by the END line");
		r->state = ARMOR_TRAILING;
		return 0;
	case ARMOR_TRAILING:
		if (!all_space(line, raw_len))
			return bad_armor("data after the END line");
		return skip_space(r, raw_len, had_newline);
	}
	return bad_armor("internal state");
}

int sanctum_age__armor_reader_update(age_armor_reader *r, const unsigned char *data, size_t len,
                                     sanctum_write_fn write, void *payload)
{
	int error;

	while (len) {
		const unsigned char *nl = memchr(data, '\n', len);
		size_t seg = nl ? (size_t)(nl - data) : len;

		if (r->nline + seg > sizeof(r->line))
			return bad_armor(r->state == ARMOR_LEADING ? "the input is not armored age"
			                                           : "a line is far too long");
		memcpy(r->line + r->nline, data, seg);
		r->nline += seg;
		data += seg;
		len -= seg;
		if (!nl)
			break;
		data++;
		len--;
		error = process_line(r, r->nline, 1);
		r->nline = 0;
		if (error == 0 && r->nout + ARMOR_LINE_BYTES > READER_OUT_SIZE)
			error = reader_flush(r, write, payload);
		if (error < 0)
			return error;
	}
	return 0;
}

int sanctum_age__armor_reader_finish(age_armor_reader *r, sanctum_write_fn write, void *payload)
{
	int error = 0;

	if (r->nline) {
		error = process_line(r, r->nline, 0);
		r->nline = 0;
	}
	if (error == 0 && r->state != ARMOR_TRAILING)
		error = bad_armor(r->state == ARMOR_LEADING ? "the input is empty or has no BEGIN line"
		                                            : "the END line is missing");
	if (error == 0)
		error = reader_flush(r, write, payload);
	return error;
}

void sanctum_age__armor_reader_dispose(age_armor_reader *r)
{
	if (!r)
		return;
	free(r->out);
	r->out = NULL;
}

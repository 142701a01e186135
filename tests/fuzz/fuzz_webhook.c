/*
 * libFuzzer target: the forge webhook request judge (transport/src/webhook.c).
 *
 * Input: byte 0 is the mode, byte 1 the cutting, the rest the bytes of the connection.
 *   mode bits 0-2: a prefix put in front of the bytes, so that an empty corpus starts
 *                  inside the grammar (http_parser is a system library, built without
 *                  the fuzzer's coverage instrumentation): see `prefixes` below
 *   mode bit 3:    small limits (128-byte head, 8 fields, 64-byte body) instead of the
 *                  defaults, so that every limit is in reach of short inputs
 *   mode bit 4:    the prefix's method is GET instead of POST
 *   cutting:       below 128, the bytes are fed in two pieces cut at byte/128 of their
 *                  length; from 128 on, in pieces of byte - 127 bytes (1 to 128)
 * Then "$SIG" becomes the right hex HMAC of the body (the bytes after the first blank
 * line, cut at the first Content-Length's value) and "$TOK" the secret, since a fuzzer
 * can forge neither.
 *
 * Aborts if the verdict differs between that feeding and one whole feed, if a verdict
 * appears before the last piece and is not the same afterwards, if a verdict is not of
 * the documented shape (status, response framing, printable reason without the secret),
 * or if a pull is triggered without status 202.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sanctum/sanctum.h"
#include "webhook.h"

#define SECRET "fuzz-webhook-secret"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const prefixes[8] = {
	"",
	"POST /hook HTTP/1.1\r\n",
	("POST /hook HTTP/1.1\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=$SIG\r\n"
	 "Content-Length: "),
	"POST /hook HTTP/1.1\r\nX-Gitlab-Token: $TOK\r\nX-Gitlab-Event: ",
	"POST /hook HTTP/1.1\r\nContent-Length: 2\r\nX-Gitea-Signature: $SIG\r\nX-Gitea-Event: ",
	"POST /hook HTTP/1.1\r\nContent-Length: 2\r\nX-Hub-Signature-256: sha256=$SIG\r\nX-",
	"POST /",
	"POST /hook HTTP/",
};

static const unsigned char *find(const unsigned char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Replaces every `from` in `buf` by `to`. */
static void replace(sanctum_buf *buf, const char *from, const char *to)
{
	sanctum_buf out = SANCTUM_BUF_INIT;
	const unsigned char *p = buf->ptr, *end = buf->ptr + buf->size, *hit;

	if (!find(buf->ptr, buf->size, from))
		return;
	while ((hit = find(p, (size_t)(end - p), from)) != NULL) {
		if (sanctum_buf_put(&out, p, (size_t)(hit - p)) != 0 ||
		    sanctum_buf_puts(&out, to) != 0)
			abort();
		p = hit + strlen(from);
	}
	if (sanctum_buf_put(&out, p, (size_t)(end - p)) != 0)
		abort();
	sanctum_buf_dispose(buf);
	*buf = out;
}

/* "$SIG": the HMAC of what a reader would take for the body. */
static void substitute(sanctum_buf *buf)
{
	const unsigned char *blank = find(buf->ptr, buf->size, "\r\n\r\n");
	const unsigned char *cl = find(buf->ptr, buf->size, "Content-Length: ");
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	size_t body = 0, len = 0;

	if (blank) {
		body = (size_t)(blank + 4 - buf->ptr);
		len = buf->size - body;
		if (cl && cl < blank) {
			size_t want = 0;

			for (cl += 16; cl < blank && *cl >= '0' && *cl <= '9'; cl++)
				if (want < 1u << 20)
					want = want * 10 + (size_t)(*cl - '0');
			if (want < len)
				len = want;
		}
	}
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
	crypto_auth_hmacsha256_update(&st, buf->ptr + body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	/* The body is after the signature: replacing it changes no byte counted above. */
	replace(buf, "$SIG", hex);
	replace(buf, "$TOK", SECRET);
}

static void check_shape(const sanctum_webhook_verdict *v)
{
	size_t i;

	if (!v || !v->reason || !v->response || v->response_len < 16 ||
	    memcmp(v->response, "HTTP/1.1 ", 9) != 0 ||
	    !strstr(v->response, "\r\nConnection: close\r\n\r\n") ||
	    strlen(v->response) != v->response_len || strstr(v->reason, SECRET))
		abort();
	for (i = 0; v->reason[i]; i++)
		if (v->reason[i] < 0x20 || v->reason[i] > 0x7e)
			abort();
	if (v->trigger && v->status != 202)
		abort();
	switch (v->status) {
	case 200: case 202: case 400: case 401: case 404: case 405: case 411: case 413:
	case 431: case 505:
		break;
	default:
		abort();
	}
}

/* Copies the status and reason of a verdict reached before the last piece. */
static void keep(int *status, char *reason, size_t size, const sanctum_webhook_verdict *v)
{
	check_shape(v);
	if (strlen(v->reason) >= size)
		abort();
	*status = v->status;
	memcpy(reason, v->reason, strlen(v->reason) + 1);
}

static sanctum_webhook_request *request(const sanctum_webhook *hook)
{
	sanctum_webhook_request *req = NULL;

	if (sanctum_webhook__request_new(&req, hook) != 0)
		abort();
	return req;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static sanctum_webhook *hooks[2];
	static const sanctum_webhook_options small = { NULL, 64, 128, 8 };
	sanctum_buf input = SANCTUM_BUF_INIT;
	sanctum_webhook_request *cut, *whole;
	const sanctum_webhook_verdict *a, *b;
	int early = 0;                /* the status, when a verdict came before the last piece */
	char early_reason[256] = "";
	unsigned char mode, cutting;
	size_t off = 0;

	if (!hooks[0]) {
		if (sanctum_init() < 0 ||
		    sanctum_webhook__new(&hooks[0], (const unsigned char *)SECRET, strlen(SECRET),
		                         NULL) != 0 ||
		    sanctum_webhook__new(&hooks[1], (const unsigned char *)SECRET, strlen(SECRET),
		                         &small) != 0)
			abort();
	}
	if (size < 2)
		return 0;
	mode = data[0];
	cutting = data[1];
	if ((mode & 16) && (mode & 7) != 0) {
		if (sanctum_buf_puts(&input, "GET") != 0 ||
		    sanctum_buf_puts(&input, prefixes[mode & 7] + 4) != 0)
			abort();
	} else if (sanctum_buf_puts(&input, prefixes[mode & 7]) != 0) {
		abort();
	}
	if (sanctum_buf_put(&input, data + 2, size - 2) != 0)
		abort();
	substitute(&input);

	cut = request(hooks[(mode >> 3) & 1]);
	whole = request(hooks[(mode >> 3) & 1]);
	if (cutting < 128) {
		size_t first = input.size * cutting / 128;

		if (sanctum_webhook__feed(cut, input.ptr, first))
			keep(&early, early_reason, sizeof(early_reason),
			     sanctum_webhook__verdict(cut));
		sanctum_webhook__feed(cut, input.ptr + first, input.size - first);
	} else {
		size_t step = (size_t)cutting - 127;

		while (off < input.size) {
			size_t n = input.size - off < step ? input.size - off : step;

			if (sanctum_webhook__feed(cut, input.ptr + off, n) && !early)
				keep(&early, early_reason, sizeof(early_reason),
				     sanctum_webhook__verdict(cut));
			off += n;
		}
	}
	sanctum_webhook__finish(cut);
	sanctum_webhook__feed(whole, input.ptr, input.size);
	sanctum_webhook__finish(whole);

	a = sanctum_webhook__verdict(cut);
	b = sanctum_webhook__verdict(whole);
	check_shape(a);
	check_shape(b);
	if ((early && (early != a->status || strcmp(early_reason, a->reason) != 0)) ||
	    a->status != b->status || a->trigger != b->trigger ||
	    a->forge != b->forge || strcmp(a->reason, b->reason) != 0 ||
	    a->response_len != b->response_len ||
	    memcmp(a->response, b->response, a->response_len) != 0)
		abort();

	sanctum_webhook__request_free(cut);
	sanctum_webhook__request_free(whole);
	sanctum_buf_dispose(&input);
	return 0;
}

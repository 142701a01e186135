/*
 * Forge push webhooks: judging one HTTP request fed in pieces (see webhook.h).
 *
 * http_parser does the HTTP grammar; its callbacks collect the few headers we read into
 * fixed buffers and feed the body to an HMAC-SHA256 state copied from the listener's
 * (keyed with the secret once, at configuration). Nothing here allocates after
 * sanctum_webhook__request_new, so a request always ends with a verdict, never with an
 * error. Each callback that reaches a verdict returns nonzero, which stops the parser.
 * The verdict is a function of the bytes only, never of how they were cut (see feed).
 */
#include "webhook.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>
#include <sodium.h>

#include "errors_internal.h"

#define NAME_MAX_LEN 32         /* longer header names are none of the ones we read */
#define VALUE_MAX_LEN SANCTUM_WEBHOOK_MAX_SECRET
#define URL_MAX_LEN (SANCTUM_WEBHOOK_MAX_PATH + 1)
#define REASON_MAX 160
#define RESPONSE_MAX 320
#define SIG_HEX 64              /* hex digits of an HMAC-SHA256 */
#define GITHUB_PREFIX "sha256="

/* The headers whose values we keep; the first three are credentials. */
enum header {
	H_GITEA_SIG,
	H_HUB_SIG,
	H_GITLAB_TOKEN,
	H_GITEA_EVENT,
	H_GITLAB_EVENT,
	H_GITHUB_EVENT,
	H_KEPT,                 /* the count of the kept ones; the rest are only counted */
	H_CONTENT_LENGTH = H_KEPT,
	H_TRANSFER_ENCODING,
	H_OTHER
};

/* Lowercase names, in enum order, and their usual spelling for reasons. */
static const char *const header_names[H_OTHER] = {
	"x-gitea-signature", "x-hub-signature-256", "x-gitlab-token",
	"x-gitea-event", "x-gitlab-event", "x-github-event",
	"content-length", "transfer-encoding"
};
static const char *const header_spelling[H_OTHER] = {
	"X-Gitea-Signature", "X-Hub-Signature-256", "X-Gitlab-Token",
	"X-Gitea-Event", "X-Gitlab-Event", "X-GitHub-Event",
	"Content-Length", "Transfer-Encoding"
};

struct sanctum_webhook {
	crypto_auth_hmacsha256_state body_mac; /* keyed with the secret, nothing absorbed yet */
	unsigned char token_key[crypto_auth_hmacsha256_KEYBYTES]; /* random */
	unsigned char token_mac[crypto_auth_hmacsha256_BYTES];    /* HMAC(token_key, secret) */
	char path[SANCTUM_WEBHOOK_MAX_PATH + 1];
	size_t path_len;
	uint64_t max_body;
	size_t max_head;
	size_t max_headers;
};

struct value {
	char text[VALUE_MAX_LEN];
	size_t len;
	int overlong;           /* more than VALUE_MAX_LEN bytes came; text holds the start */
	unsigned seen;          /* how many times the header appeared */
};

struct sanctum_webhook_request {
	const sanctum_webhook *hook;
	http_parser parser;
	crypto_auth_hmacsha256_state mac;  /* secret-equivalent: wiped on free */
	size_t head_bytes;                 /* bytes given to the parser before the body */
	size_t nheaders;
	int in_value;                      /* the last header callback was a value */
	int line_checked;                  /* request line judged (method, path, version) */
	int headers_done;
	enum header current;               /* the header whose value is arriving */
	char name[NAME_MAX_LEN];
	size_t name_len;
	int name_long;
	char url[URL_MAX_LEN];
	size_t url_len;
	int url_long;
	struct value values[H_KEPT];
	unsigned content_lengths;
	unsigned transfer_encodings;
	unsigned char gitea_sig[crypto_auth_hmacsha256_BYTES];
	unsigned char hub_sig[crypto_auth_hmacsha256_BYTES];
	int done;
	sanctum_webhook_verdict verdict;
	char reason[REASON_MAX];
	char response[RESPONSE_MAX];
};

/* --- small helpers --- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive (ASCII) equality of a counted name with a lowercase string. */
static int name_is(const char *name, size_t len, const char *want)
{
	size_t i;

	if (strlen(want) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)name[i]) != want[i])
			return 0;
	return 1;
}

/* The value without the spaces and tabs a header may end with. */
static size_t trimmed_len(const struct value *v)
{
	size_t len = v->len;

	while (len > 0 && (v->text[len - 1] == ' ' || v->text[len - 1] == '\t'))
		len--;
	return len;
}

static int value_is(const struct value *v, const char *want)
{
	size_t len = trimmed_len(v);

	return !v->overlong && len == strlen(want) && memcmp(v->text, want, len) == 0;
}

const char *sanctum_webhook__forge_name(sanctum_webhook_forge forge)
{
	switch (forge) {
	case SANCTUM_WEBHOOK_FORGE_GITEA:
		return "gitea";
	case SANCTUM_WEBHOOK_FORGE_GITLAB:
		return "gitlab";
	case SANCTUM_WEBHOOK_FORGE_GITHUB:
		return "github";
	default:
		return "unknown";
	}
}

/* The forge, from the event header first (Gitea also sends X-GitHub-Event), else from
 * the credential header. */
static sanctum_webhook_forge forge_of(const sanctum_webhook_request *req)
{
	if (req->values[H_GITEA_EVENT].seen)
		return SANCTUM_WEBHOOK_FORGE_GITEA;
	if (req->values[H_GITLAB_EVENT].seen)
		return SANCTUM_WEBHOOK_FORGE_GITLAB;
	if (req->values[H_GITHUB_EVENT].seen)
		return SANCTUM_WEBHOOK_FORGE_GITHUB;
	if (req->values[H_GITEA_SIG].seen)
		return SANCTUM_WEBHOOK_FORGE_GITEA;
	if (req->values[H_GITLAB_TOKEN].seen)
		return SANCTUM_WEBHOOK_FORGE_GITLAB;
	if (req->values[H_HUB_SIG].seen)
		return SANCTUM_WEBHOOK_FORGE_GITHUB;
	return SANCTUM_WEBHOOK_FORGE_NONE;
}

/* --- verdicts --- */

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static const char *status_body(int status)
{
	switch (status) {
	case 202: return "accepted: pull queued\n";
	case 400: return "bad request\n";
	case 401: return "unauthorized\n";
	case 404: return "not found\n";
	case 405: return "method not allowed\n";
	case 411: return "length required\n";
	case 413: return "payload too large\n";
	case 431: return "request header fields too large\n";
	case 505: return "http version not supported\n";
	default: return "ok\n";
	}
}

/*
 * Records the verdict: `body` NULL for the status's usual text, the reason from the
 * printf-style format. Returns -1, which stops http_parser when returned by a callback.
 */
static int decide(sanctum_webhook_request *req, int status, int trigger, const char *body,
                  const char *fmt, ...) SANCTUM_PRINTF(5, 6);

static int decide(sanctum_webhook_request *req, int status, int trigger, const char *body,
                  const char *fmt, ...)
{
	va_list ap;
	int n;

	if (req->done)
		return -1;
	if (!body)
		body = status_body(status);
	va_start(ap, fmt);
	n = vsnprintf(req->reason, sizeof(req->reason), fmt, ap);
	va_end(ap);
	if (n < 0)
		req->reason[0] = '\0';
	n = snprintf(req->response, sizeof(req->response),
	             "HTTP/1.1 %d %s\r\n"
	             "Content-Type: text/plain; charset=utf-8\r\n"
	             "Content-Length: %zu\r\n"
	             "%s"
	             "Connection: close\r\n"
	             "\r\n"
	             "%s",
	             status, status_text(status), strlen(body),
	             status == 405 ? "Allow: POST\r\n" : "", body);
	/* The texts are fixed and fit; a failure here is a bug in this file. */
	if (n < 0 || (size_t)n >= sizeof(req->response))
		n = 0;
	req->verdict.status = status;
	req->verdict.trigger = trigger;
	req->verdict.forge = forge_of(req);
	req->verdict.reason = req->reason;
	req->verdict.response = req->response;
	req->verdict.response_len = (size_t)n;
	req->done = 1;
	return -1;
}

/* --- authentication --- */

/* Decodes exactly 64 hex digits (any case) into 32 bytes. Returns 0 or -1. */
static int decode_sig(unsigned char out[crypto_auth_hmacsha256_BYTES], const char *hex,
                      size_t len)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (len != SIG_HEX)
		return -1;
	if (sodium_hex2bin(out, crypto_auth_hmacsha256_BYTES, hex, len, NULL, &bin_len,
	                   &end) != 0 ||
	    bin_len != crypto_auth_hmacsha256_BYTES || end != hex + len)
		return -1;
	return 0;
}

/*
 * At the end of the headers: at least one credential, signatures well formed and the
 * GitLab token right. The body's HMAC is checked at the end of the message.
 */
static int check_credentials_early(sanctum_webhook_request *req)
{
	const struct value *gitea = &req->values[H_GITEA_SIG];
	const struct value *hub = &req->values[H_HUB_SIG];
	const struct value *token = &req->values[H_GITLAB_TOKEN];
	const size_t prefix = sizeof(GITHUB_PREFIX) - 1;

	if (!gitea->seen && !hub->seen && !token->seen)
		return decide(req, 401, 0, NULL, "no signature or token header");
	if (gitea->seen && (gitea->overlong ||
	                    decode_sig(req->gitea_sig, gitea->text, trimmed_len(gitea)) != 0))
		return decide(req, 401, 0, NULL, "malformed X-Gitea-Signature");
	if (hub->seen) {
		size_t len = trimmed_len(hub);

		if (hub->overlong || len < prefix ||
		    memcmp(hub->text, GITHUB_PREFIX, prefix) != 0 ||
		    decode_sig(req->hub_sig, hub->text + prefix, len - prefix) != 0)
			return decide(req, 401, 0, NULL, "malformed X-Hub-Signature-256");
	}
	if (token->seen) {
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		int ok;

		/* HMACs under a random key: the comparison leaks neither bytes nor length. */
		crypto_auth_hmacsha256(mac, (const unsigned char *)token->text, trimmed_len(token),
		                       req->hook->token_key);
		ok = crypto_verify_32(mac, req->hook->token_mac) == 0 && !token->overlong;
		sodium_memzero(mac, sizeof(mac));
		if (!ok)
			return decide(req, 401, 0, NULL, "wrong X-Gitlab-Token");
	}
	return 0;
}

static int check_body_mac(sanctum_webhook_request *req)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	int bad_gitea = 0, bad_hub = 0;

	crypto_auth_hmacsha256_final(&req->mac, mac);
	if (req->values[H_GITEA_SIG].seen)
		bad_gitea = crypto_verify_32(mac, req->gitea_sig) != 0;
	if (req->values[H_HUB_SIG].seen)
		bad_hub = crypto_verify_32(mac, req->hub_sig) != 0;
	sodium_memzero(mac, sizeof(mac));
	if (bad_gitea)
		return decide(req, 401, 0, NULL, "bad X-Gitea-Signature");
	if (bad_hub)
		return decide(req, 401, 0, NULL, "bad X-Hub-Signature-256");
	return 0;
}

/* An authenticated request: what the event asks for. */
static int judge_event(sanctum_webhook_request *req)
{
	const struct value *v;
	const char *forge;
	int push;

	if (req->values[H_GITEA_EVENT].seen) {
		v = &req->values[H_GITEA_EVENT];
		push = value_is(v, "push");
	} else if (req->values[H_GITLAB_EVENT].seen) {
		v = &req->values[H_GITLAB_EVENT];
		push = value_is(v, "Push Hook");
	} else if (req->values[H_GITHUB_EVENT].seen) {
		v = &req->values[H_GITHUB_EVENT];
		push = value_is(v, "push");
		if (value_is(v, "ping"))
			return decide(req, 200, 0, "pong\n", "github ping");
	} else {
		return decide(req, 400, 0, NULL, "authenticated but no event header");
	}
	forge = sanctum_webhook__forge_name(forge_of(req));
	if (push)
		return decide(req, 202, 1, NULL, "%s push: pull triggered", forge);
	/* Not the event's name: header text, even from an authenticated sender, stays out of
	 * the log line (it could hold anything, the secret included). */
	return decide(req, 200, 0, "ignored: not a push event\n", "%s event ignored: not a push",
	              forge);
}

/* --- http_parser callbacks --- */

/* Method, path and version, once the request line is complete. */
static int check_request_line(sanctum_webhook_request *req)
{
	const http_parser *p = &req->parser;
	const sanctum_webhook *hook = req->hook;
	const char *query;
	size_t path_len;

	if (req->line_checked)
		return 0;
	req->line_checked = 1;
	if (p->http_major != 1 || p->http_minor > 1)
		return decide(req, 505, 0, NULL, "http version %u.%u not supported",
		              (unsigned)p->http_major, (unsigned)p->http_minor);
	/* The path ends at '?'; if the kept start of the URL has none, the whole URL is the
	 * path, and a URL longer than that start is longer than any path served. */
	query = memchr(req->url, '?', req->url_len);
	path_len = query ? (size_t)(query - req->url) : req->url_len;
	if ((!query && req->url_long) || path_len != hook->path_len ||
	    memcmp(req->url, hook->path, path_len) != 0)
		return decide(req, 404, 0, NULL, "path not served");
	if (p->method != HTTP_POST)
		return decide(req, 405, 0, NULL, "method %s not allowed",
		              http_method_str((enum http_method)p->method));
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	sanctum_webhook_request *req = p->data;
	size_t room = sizeof(req->url) - req->url_len;

	if (len > room) {
		req->url_long = 1;
		len = room;
	}
	memcpy(req->url + req->url_len, at, len);
	req->url_len += len;
	return 0;
}

/* The name of the header being read is complete: which one it is. */
static int end_name(sanctum_webhook_request *req)
{
	int h;

	req->current = H_OTHER;
	if (req->name_long)
		return 0;
	for (h = 0; h < H_OTHER; h++)
		if (name_is(req->name, req->name_len, header_names[h]))
			break;
	req->current = (enum header)h;
	if (h < H_KEPT) {
		if (++req->values[h].seen > 1)
			return decide(req, 400, 0, NULL, "%s given twice", header_spelling[h]);
	} else if (h == H_CONTENT_LENGTH) {
		if (++req->content_lengths > 1)
			return decide(req, 400, 0, NULL, "Content-Length given twice");
	} else if (h == H_TRANSFER_ENCODING) {
		req->transfer_encodings++;
	}
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	sanctum_webhook_request *req = p->data;

	if (req->headers_done)
		return decide(req, 400, 0, NULL, "trailer fields refused");
	if (check_request_line(req) != 0)
		return -1;
	if (req->in_value || req->nheaders == 0) {
		/* A new field begins. */
		if (++req->nheaders > req->hook->max_headers)
			return decide(req, 431, 0, NULL, "more than %zu header fields",
			              req->hook->max_headers);
		req->in_value = 0;
		req->name_len = 0;
		req->name_long = 0;
	}
	if (len > sizeof(req->name) - req->name_len) {
		req->name_long = 1;
		return 0;
	}
	memcpy(req->name + req->name_len, at, len);
	req->name_len += len;
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	sanctum_webhook_request *req = p->data;
	struct value *v;
	size_t room;

	if (!req->in_value) {
		req->in_value = 1;
		if (end_name(req) != 0)
			return -1;
	}
	if (req->current >= H_KEPT)
		return 0;
	v = &req->values[req->current];
	room = sizeof(v->text) - v->len;
	if (len > room) {
		v->overlong = 1;
		len = room;
	}
	memcpy(v->text + v->len, at, len);
	v->len += len;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	sanctum_webhook_request *req = p->data;
	const sanctum_webhook *hook = req->hook;

	if (check_request_line(req) != 0)
		return -1;
	/* A last field whose value never came (an empty value). */
	if (req->nheaders > 0 && !req->in_value) {
		req->in_value = 1;
		if (end_name(req) != 0)
			return -1;
	}
	req->headers_done = 1;
	if (p->upgrade || (p->flags & F_UPGRADE))
		return decide(req, 400, 0, NULL, "upgrade refused");
	if (req->transfer_encodings > 0 || (p->flags & F_CHUNKED))
		return decide(req, 411, 0, NULL,
		              "Transfer-Encoding refused, Content-Length required");
	if (req->content_lengths == 0)
		return decide(req, 411, 0, NULL, "no Content-Length");
	if (p->content_length > hook->max_body)
		return decide(req, 413, 0, NULL, "body of %llu bytes over the %llu-byte limit",
		              (unsigned long long)p->content_length,
		              (unsigned long long)hook->max_body);
	if (check_credentials_early(req) != 0)
		return -1;
	req->mac = hook->body_mac;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	sanctum_webhook_request *req = p->data;

	crypto_auth_hmacsha256_update(&req->mac, (const unsigned char *)at, len);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	sanctum_webhook_request *req = p->data;

	if (check_body_mac(req) != 0)
		return -1;
	judge_event(req);
	return -1; /* one request per connection: stop here */
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* --- the API --- */

static int check_path(const char *path)
{
	size_t i, len = strlen(path);

	if (len == 0 || len > SANCTUM_WEBHOOK_MAX_PATH || path[0] != '/')
		return -1;
	for (i = 0; i < len; i++)
		if (path[i] <= 0x20 || path[i] >= 0x7f || path[i] == '?' || path[i] == '#')
			return -1;
	return 0;
}

int sanctum_webhook__new(sanctum_webhook **out, const unsigned char *secret,
                         size_t secret_len, const sanctum_webhook_options *opts)
{
	static const sanctum_webhook_options defaults = { NULL, 0, 0, 0 };
	const unsigned long built = ((unsigned long)HTTP_PARSER_VERSION_MAJOR << 16) |
	                            ((unsigned long)HTTP_PARSER_VERSION_MINOR << 8);
	sanctum_webhook *hook;
	const char *path;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	/* The parser's struct is in our memory: its layout must be the one we compiled. */
	if ((http_parser_version() & 0xffff00ul) != built)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_INVALID,
		                          "http_parser %lu.%lu is loaded but sanctum was built "
		                          "against %d.%d",
		                          (http_parser_version() >> 16) & 0xff,
		                          (http_parser_version() >> 8) & 0xff,
		                          HTTP_PARSER_VERSION_MAJOR, HTTP_PARSER_VERSION_MINOR);
	while (secret && secret_len > 0 &&
	       (secret[secret_len - 1] == '\n' || secret[secret_len - 1] == '\r'))
		secret_len--;
	if (!secret || secret_len == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the webhook secret is empty");
	if (secret_len > SANCTUM_WEBHOOK_MAX_SECRET)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the webhook secret is longer than %d bytes",
		                          SANCTUM_WEBHOOK_MAX_SECRET);
	path = opts->path ? opts->path : SANCTUM_WEBHOOK_DEFAULT_PATH;
	if (check_path(path) != 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the webhook path must start with '/' and hold at most "
		                          "%d printable characters, without spaces, '?' or '#'",
		                          SANCTUM_WEBHOOK_MAX_PATH);
	if (opts->max_body > SANCTUM_WEBHOOK_MAX_BODY_LIMIT ||
	    opts->max_head > SANCTUM_WEBHOOK_MAX_HEAD ||
	    (opts->max_head != 0 && opts->max_head < 64) ||
	    opts->max_headers > SANCTUM_WEBHOOK_MAX_HEADERS)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "webhook limits out of range (body at most %u bytes, "
		                          "headers 64 to %d bytes and at most %d fields)",
		                          SANCTUM_WEBHOOK_MAX_BODY_LIMIT, SANCTUM_WEBHOOK_MAX_HEAD,
		                          SANCTUM_WEBHOOK_MAX_HEADERS);

	/* The keyed state is as good as the secret: guarded memory, read-only once made. */
	hook = sodium_malloc(sizeof(*hook));
	if (!hook)
		return sanctum_error__nomem();
	memset(hook, 0, sizeof(*hook));
	crypto_auth_hmacsha256_init(&hook->body_mac, secret, secret_len);
	crypto_auth_hmacsha256_keygen(hook->token_key);
	crypto_auth_hmacsha256(hook->token_mac, secret, secret_len, hook->token_key);
	hook->path_len = strlen(path);
	memcpy(hook->path, path, hook->path_len + 1);
	hook->max_body = opts->max_body ? opts->max_body : SANCTUM_WEBHOOK_MAX_BODY;
	hook->max_head = opts->max_head ? opts->max_head : SANCTUM_WEBHOOK_MAX_HEAD;
	hook->max_headers = opts->max_headers ? opts->max_headers : SANCTUM_WEBHOOK_MAX_HEADERS;
	sodium_mprotect_readonly(hook);
	*out = hook;
	return 0;
}

void sanctum_webhook__free(sanctum_webhook *hook)
{
	/* sodium_free wipes, whatever the protection. */
	if (hook)
		sodium_free(hook);
}

int sanctum_webhook__request_new(sanctum_webhook_request **out, const sanctum_webhook *hook)
{
	sanctum_webhook_request *req;

	*out = NULL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return sanctum_error__nomem();
	req->hook = hook;
	http_parser_init(&req->parser, HTTP_REQUEST);
	req->parser.data = req;
	*out = req;
	return 0;
}

int sanctum_webhook__feed(sanctum_webhook_request *req, const void *data, size_t len)
{
	const char *p = data;

	while (!req->done && len > 0) {
		size_t n = len, parsed;
		enum http_errno err;

		/* Up to the end of the headers, one byte at a time. http_parser hands a token to
		 * its callback when the token ends or when its input does, so with larger pieces
		 * the way the bytes were cut would decide which of two faults is seen first;
		 * byte by byte, the verdict depends on the bytes alone. It also stops the parser
		 * exactly at the head limit. The body (up to max_body) goes in one call: nothing
		 * is decided before its last byte. */
		if (!req->headers_done)
			n = 1;
		parsed = http_parser_execute(&req->parser, &settings, p, n);
		if (req->done)
			break;
		err = HTTP_PARSER_ERRNO(&req->parser);
		if (err != HPE_OK) {
			decide(req, 400, 0, NULL, "malformed request (%s)", http_errno_name(err));
			break;
		}
		if (parsed != n) {
			decide(req, 400, 0, NULL, "malformed request (parser stopped)");
			break;
		}
		if (!req->headers_done) {
			req->head_bytes += parsed;
			if (req->head_bytes >= req->hook->max_head) {
				decide(req, 431, 0, NULL, "request line and headers over %zu bytes",
				       req->hook->max_head);
				break;
			}
		}
		p += parsed;
		len -= parsed;
	}
	return req->done;
}

int sanctum_webhook__finish(sanctum_webhook_request *req)
{
	if (!req->done)
		decide(req, 400, 0, NULL, "connection closed before the end of the request");
	return 1;
}

const sanctum_webhook_verdict *sanctum_webhook__verdict(const sanctum_webhook_request *req)
{
	return req->done ? &req->verdict : NULL;
}

void sanctum_webhook__request_free(sanctum_webhook_request *req)
{
	if (!req)
		return;
	/* The HMAC state is keyed with the secret; the token header may hold it too. */
	sodium_memzero(req, sizeof(*req));
	free(req);
}

/*
 * Forge push webhooks: the request-handling core of the daemon's optional HTTP listener,
 * with no sockets. The listener owns the connections; this module judges the bytes.
 *
 * One sanctum_webhook holds the configuration of a listener: the path it serves, its
 * limits and the shared secret (kept only as a keyed HMAC-SHA256 state, in sodium_malloc
 * memory, wiped when freed). Each accepted connection gets its own
 * sanctum_webhook_request, borrowing the sanctum_webhook, into which the listener feeds
 * the bytes as they arrive, split anywhere: the verdict depends on the bytes only, never
 * on how they were cut. As soon as the request is complete, or as soon as it cannot be
 * accepted, the request holds a verdict: the HTTP status, whether to start a pull, a
 * short reason for the log and the response bytes to send. The listener then writes the
 * response and closes the connection; bytes after the request (pipelined requests or
 * garbage) are ignored. One request per connection.
 *
 * What is accepted (docs/webhooks.md is the operator's version):
 *
 * - `POST <path> HTTP/1.1` or `HTTP/1.0`, origin form; the path is compared byte for
 *   byte up to any '?' (no decoding, no trailing-slash tolerance); a query is ignored.
 * - The request line and the headers together take at most max_head bytes (16 KiB),
 *   with at most max_headers (64) header fields; 431 otherwise.
 * - A body with Content-Length (411 without one, and for chunked bodies), at most
 *   max_body bytes (1 MiB; 413 otherwise, decided from Content-Length before any body
 *   byte is read). Upgrade requests are refused (400).
 * - Authentication by the shared secret, checked in constant time. Credentials:
 *   `X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>` (Gitea, Forgejo),
 *   `X-Hub-Signature-256: sha256=<hex>` (GitHub; Gitea sends it too) and
 *   `X-Gitlab-Token: <secret>` (GitLab; compared as HMACs under a random key, so
 *   neither content nor length leaks). At least one must be present and every one
 *   present must be right (401 otherwise). The body is only authenticated, never parsed.
 * - The event, from `X-Gitea-Event`, else `X-Gitlab-Event`, else `X-GitHub-Event`:
 *   a push (`push`, `Push Hook`) is 202 and triggers a pull; GitHub's `ping` is 200;
 *   any other authenticated event is 200 without a pull ("ignored"), so that a forge
 *   configured with too many events neither retries nor disables the hook; no event
 *   header at all is 400.
 *
 * Malformed HTTP is 400, a wrong path 404 (before the method is looked at), any method
 * but POST 405, an HTTP version other than 1.0 and 1.1 505. A credential or event header
 * given twice is 400.
 *
 * The listener still needs its own timeouts (a slow client can hold a connection while
 * staying under every limit) and a bound on concurrent connections.
 */
#ifndef SANCTUM_WEBHOOK_H
#define SANCTUM_WEBHOOK_H

#include "sanctum/common.h"

#define SANCTUM_WEBHOOK_DEFAULT_PATH "/hook"
#define SANCTUM_WEBHOOK_MAX_HEAD 16384            /* request line + headers, bytes */
#define SANCTUM_WEBHOOK_MAX_HEADERS 64            /* header fields */
#define SANCTUM_WEBHOOK_MAX_BODY (1024 * 1024)    /* default body limit, bytes */
#define SANCTUM_WEBHOOK_MAX_BODY_LIMIT (64u * 1024 * 1024) /* highest body limit accepted */
#define SANCTUM_WEBHOOK_MAX_PATH 255              /* longest configurable path */
#define SANCTUM_WEBHOOK_MAX_SECRET 512            /* longest secret, bytes */

/** A listener's configuration. Zero fields take the defaults. */
typedef struct {
	const char *path;            /* the one path served; NULL for "/hook" */
	size_t max_body;             /* 0 for SANCTUM_WEBHOOK_MAX_BODY */
	size_t max_head;             /* 0 for SANCTUM_WEBHOOK_MAX_HEAD, which is also the top */
	size_t max_headers;          /* 0 for SANCTUM_WEBHOOK_MAX_HEADERS, also the top */
} sanctum_webhook_options;

/** The forge whose event header named the event. */
typedef enum {
	SANCTUM_WEBHOOK_FORGE_NONE = 0,  /* not known (the request failed earlier) */
	SANCTUM_WEBHOOK_FORGE_GITEA,
	SANCTUM_WEBHOOK_FORGE_GITLAB,
	SANCTUM_WEBHOOK_FORGE_GITHUB
} sanctum_webhook_forge;

/** What to do with a request. Borrowed from the request, valid until it is freed. */
typedef struct {
	int status;                  /* 200, 202, 400, 401, 404, 405, 411, 413, 431 or 505 */
	int trigger;                 /* 1: an authenticated push, start a pull */
	sanctum_webhook_forge forge; /* for the log */
	const char *reason;          /* one short line for the log: printable ASCII made of
	                                fixed text and numbers only, never header text, the
	                                secret, a credential or the body */
	const char *response;        /* the bytes to send: an HTTP/1.1 response with
	                                Connection: close and a short text/plain body */
	size_t response_len;
} sanctum_webhook_verdict;

typedef struct sanctum_webhook sanctum_webhook;
typedef struct sanctum_webhook_request sanctum_webhook_request;

/**
 * Makes a listener's configuration from the shared secret and `opts` (NULL for the
 * defaults). The secret is the bytes given, without trailing CR and LF bytes (so the
 * content of a secret file with its final line end works); it must keep 1 to
 * SANCTUM_WEBHOOK_MAX_SECRET bytes. The caller may wipe its copy once this returns. The
 * path must start with '/' and hold printable ASCII without spaces, '?' or '#'.
 * Needs sanctum_init.
 *
 * @return 0 and `*out` (free with sanctum_webhook__free), SANCTUM_EINVALID for a bad
 *         secret, path or limit, SANCTUM_ENOMEM, or SANCTUM_ERROR when the loaded
 *         http_parser is not the version built against.
 */
SANCTUM_WARN_UNUSED int sanctum_webhook__new(sanctum_webhook **out,
                                             const unsigned char *secret, size_t secret_len,
                                             const sanctum_webhook_options *opts);

/** Wipes and frees. NULL is fine. Every request made from it must be freed first. */
void sanctum_webhook__free(sanctum_webhook *hook);

/**
 * A new request, for one connection, judged by `hook` (borrowed: it must outlive the
 * request). @return 0 and `*out` (free with sanctum_webhook__request_free), or
 * SANCTUM_ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_webhook__request_new(sanctum_webhook_request **out,
                                                     const sanctum_webhook *hook);

/**
 * Feeds the next `len` bytes received on the connection. Never fails and never
 * allocates. Once a verdict exists, further bytes are ignored.
 *
 * @return 1 when the verdict is ready (sanctum_webhook__verdict), 0 while more bytes
 *         are needed.
 */
int sanctum_webhook__feed(sanctum_webhook_request *req, const void *data, size_t len);

/**
 * The peer closed its side (end of stream). A request still incomplete gets a 400
 * verdict (it is for the log: the peer may not read the response). @return 1.
 */
int sanctum_webhook__finish(sanctum_webhook_request *req);

/** The verdict, or NULL while the request is still incomplete. Borrowed. */
const sanctum_webhook_verdict *sanctum_webhook__verdict(const sanctum_webhook_request *req);

/** Wipes (the keyed HMAC state is secret-equivalent) and frees. NULL is fine. */
void sanctum_webhook__request_free(sanctum_webhook_request *req);

/** "gitea", "gitlab", "github" or "unknown". Borrowed, static. */
const char *sanctum_webhook__forge_name(sanctum_webhook_forge forge);

#endif

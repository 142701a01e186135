/*
 * The optional webhook listener (docs/webhooks.md): accepts forge push webhooks over
 * HTTP/1.1, judged by webhook.c against the shared secret in the file named by
 * sanctum.webhook.secretFile; an authenticated push starts a sync of every remote. Each
 * connection gets one request, ten seconds, and bounded buffers.
 */
#include "daemon_internal.h"
#include "netaddr.h"
#include "webhook.h"

#include <sanctum/config.h>
#include <sanctum/errors.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_TIMEOUT_MS 10000
#define HOOK_MAX_CONNECTIONS 64

typedef struct hook_conn hook_conn;

typedef struct sd_webhook_listener {
	sd_daemon *daemon;
	uv_tcp_t server;
	sanctum_webhook *hook;
	hook_conn *conns;               /* open connections */
	size_t connections;
	int closed;                     /* the server is closed: free when the last goes */
} hook_listener;

struct hook_conn {
	hook_conn *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t write;
	hook_listener *listener;
	sanctum_webhook_request *request;
	int handles, answered;
	char addr[64];
	char buf[4096];
};

static void free_listener(hook_listener *l)
{
	sanctum_webhook__free(l->hook);
	free(l);
}

static void on_conn_closed(uv_handle_t *handle)
{
	hook_conn *c = handle->data;
	hook_listener *l = c->listener;

	if (--c->handles > 0)
		return;
	for (hook_conn **link = &l->conns; *link; link = &(*link)->next)
		if (*link == c) {
			*link = c->next;
			break;
		}
	l->connections--;
	sanctum_webhook__request_free(c->request);
	free(c);
	if (l->closed && !l->connections)
		free_listener(l);
}

static void close_conn(hook_conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_answered(uv_write_t *req, int status)
{
	(void)status;
	close_conn(req->data);
}

static void answer(hook_conn *c)
{
	const sanctum_webhook_verdict *v = sanctum_webhook__verdict(c->request);
	uv_buf_t buf = uv_buf_init((char *)v->response, (unsigned)v->response_len);

	c->answered = 1;
	uv_read_stop((uv_stream_t *)&c->tcp);
	sd_log(v->status < 300 ? SD_INFO : SD_WARN, "webhook from %s: %d %s%s%s%s", c->addr,
	       v->status, v->reason, v->trigger ? ", pulling (" : "",
	       v->trigger ? sanctum_webhook__forge_name(v->forge) : "", v->trigger ? ")" : "");
	if (v->trigger)
		sd_scheduler_request(c->listener->daemon, -1, "a forge webhook");
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &buf, 1, on_answered) < 0)
		close_conn(c);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	hook_conn *c = handle->data;

	(void)suggested;
	*buf = uv_buf_init(c->buf, sizeof(c->buf));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	hook_conn *c = stream->data;

	if (c->answered)
		return;
	if (n < 0) {
		if (sanctum_webhook__finish(c->request) == 1)
			sd_log(SD_DEBUG, "webhook from %s: %s", c->addr,
			       sanctum_webhook__verdict(c->request)->reason);
		close_conn(c);
		return;
	}
	if (sanctum_webhook__feed(c->request, buf->base, (size_t)n) == 1)
		answer(c);
}

static void on_timeout(uv_timer_t *timer)
{
	hook_conn *c = timer->data;

	if (!c->answered) {
		sd_log(SD_WARN, "webhook from %s: no complete request in time", c->addr);
		close_conn(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	hook_listener *l = server->data;
	hook_conn *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->listener = l;
	c->handles = 2;
	c->next = l->conns;
	l->conns = c;
	l->connections++;
	uv_tcp_init(l->daemon->loop, &c->tcp);
	uv_timer_init(l->daemon->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    l->connections > HOOK_MAX_CONNECTIONS ||
	    sanctum_webhook__request_new(&c->request, l->hook) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		sanctum_error_clear();
		close_conn(c);
		return;
	}
	sd_remote_address(c->addr, sizeof(c->addr), &c->tcp, 0);
	uv_timer_start(&c->timer, on_timeout, HOOK_TIMEOUT_MS, 0);
}

/* The secret: the first line of the file, which must not be readable by others. */
static int read_secret(unsigned char *out, size_t cap, size_t *len, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
		                         "cannot read the webhook secret file %s: %s", path,
		                         strerror(errno));
	n = fread(out, 1, cap, f);
	fclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	if (n == 0 || n == cap || memchr(out, '\n', n))
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "the webhook secret file %s must hold one line of 1 to %d "
		                         "bytes", path, SANCTUM_WEBHOOK_MAX_SECRET);
	*len = n;
	return 0;
}

static int make_hook(hook_listener *l, sd_daemon *d)
{
	unsigned char secret[SANCTUM_WEBHOOK_MAX_SECRET + 1];
	sanctum_webhook_options opts = { d->webhook_path, 0, 0, 0 };
	char *path = NULL;
	size_t len = 0;
	int error = sanctum_config_get(&path, d->store, "sanctum.webhook.secretFile");

	if (error == SANCTUM_ENOTFOUND)
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "the webhook listener needs a secret: sanctum config "
		                         "sanctum.webhook.secretFile PATH");
	if (error == 0)
		error = read_secret(secret, sizeof(secret), &len, path);
	if (error == 0)
		error = sanctum_webhook__new(&l->hook, secret, len, &opts);
	sodium_memzero(secret, sizeof(secret));
	free(path);
	return error;
}

int sd_webhook_start(sd_daemon *d)
{
	hook_listener *l;
	char host[256];
	unsigned port;
	struct sockaddr_storage addr;
	int rc, error;

	if (!d->webhook_listen[0])
		return 0;
	if (!(l = calloc(1, sizeof(*l))))
		return sanctum_error_set(SANCTUM_ENOMEM, SANCTUM_ERRCLASS_NOMEMORY, "out of memory");
	l->daemon = d;
	if ((error = make_hook(l, d)) < 0 ||
	    (error = sanctum_config_parse_hostport(host, &port, d->webhook_listen)) < 0) {
		sanctum_webhook__free(l->hook);
		free(l);
		return error;
	}
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&addr) < 0 &&
	    uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&addr) < 0) {
		sanctum_webhook__free(l->hook);
		free(l);
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "the webhook listener needs an IP address, not '%s'", host);
	}
	d->webhook = l;
	uv_tcp_init(d->loop, &l->server);
	l->server.data = l;
	rc = uv_tcp_bind(&l->server, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->server, 64, on_connection);
	if (rc < 0)
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
		                         "cannot listen for webhooks on %s: %s", d->webhook_listen,
		                         uv_strerror(rc));
	sd_log(SD_INFO, "listening for forge webhooks on %s%s", d->webhook_listen, d->webhook_path);
	return 0;
}

static void on_server_closed(uv_handle_t *handle)
{
	hook_listener *l = handle->data;

	l->closed = 1;
	if (!l->connections)
		free_listener(l);
}

void sd_webhook_stop(sd_daemon *d)
{
	hook_listener *l = d->webhook;

	if (!l)
		return;
	for (hook_conn *c = l->conns; c; c = c->next)
		close_conn(c);
	uv_close((uv_handle_t *)&l->server, on_server_closed);
	d->webhook = NULL;
}

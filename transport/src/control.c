/*
 * The control socket, .sanctum/sanctum/daemon.sock (mode 0600, in the store's private
 * folder): one JSON request line in, one JSON answer line out.
 *
 *     {"op":"status"}                     the daemon's state (status.c)
 *     {"op":"announce"}                   tell the peers about main's head (after a push)
 *     {"op":"sync","remote":"origin"}     sync now (remote optional: all); the answer
 *                                         comes when the sync has run
 */
#include "daemon_internal.h"

#include <sanctum/errors.h>

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX 4096
#define REQUEST_TIMEOUT_MS 5000

typedef struct {
	uv_pipe_t pipe;
	uv_timer_t timer;
	sd_daemon *daemon;
	char buf[REQUEST_MAX];
	size_t len;
	int answered;                  /* the request was handled: no more reading */
	int closing;
} control_client;

static void on_client_closed(uv_handle_t *handle)
{
	control_client *c = handle->data;

	/* Two handles per client: free on the second close. */
	if (c->closing++ == 1)
		free(c);
}

static void drop(control_client *c)
{
	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_client_closed);
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	control_client *c = req->data;

	(void)status;
	free(req);
	drop(c);
}

void sd_control_answer(uv_stream_t *client, json_t *answer)
{
	control_client *c = client->data;
	char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0;
	uv_write_t *req = malloc(sizeof(*req) + len + 1);
	uv_buf_t buf;

	json_decref(answer);
	if (!text || !req) {
		free(text);
		free(req);
		drop(c);
		return;
	}
	memcpy((char *)(req + 1), text, len);
	((char *)(req + 1))[len] = '\n';
	free(text);
	buf = uv_buf_init((char *)(req + 1), (unsigned)len + 1);
	req->data = c;
	if (uv_write(req, client, &buf, 1, on_written) < 0) {
		free(req);
		drop(c);
	}
}

static json_t *error_answer(const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", json_string(message));
	return o;
}

static int remote_index(sd_daemon *d, const char *name)
{
	for (size_t i = 0; i < d->nremotes; i++)
		if (strcmp(d->remotes[i].name, name) == 0)
			return (int)i;
	return -2;
}

static void handle(control_client *c, json_t *request)
{
	sd_daemon *d = c->daemon;
	const char *op = json_string_value(json_object_get(request, "op"));
	const char *remote = json_string_value(json_object_get(request, "remote"));

	c->answered = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (op && strcmp(op, "status") == 0) {
		sd_control_answer((uv_stream_t *)&c->pipe, sd_status(d));
	} else if (op && strcmp(op, "announce") == 0) {
		json_t *o = json_object();

		sd_refresh_head(d);
		/* main moved here, not through a sync: the roster may have changed with it. */
		sd_peers_after_sync(d);
		sd_peers_announce(d);
		json_object_set_new(o, "ok", json_true());
		json_object_set_new(o, "head", json_string(d->head));
		sd_control_answer((uv_stream_t *)&c->pipe, o);
	} else if (op && strcmp(op, "sync") == 0) {
		int index = remote ? remote_index(d, remote) : -1;
		sd_waiter *w;

		if (index == -2 || !d->nremotes)
			sd_control_answer((uv_stream_t *)&c->pipe,
			                  error_answer(d->nremotes ? "no such remote" : "no remote"));
		else if (!(w = calloc(1, sizeof(*w))))
			sd_control_answer((uv_stream_t *)&c->pipe, error_answer("out of memory"));
		else {
			w->client = (uv_stream_t *)&c->pipe;
			w->remote = index;
			sd_scheduler_wait(d, w);
		}
	} else {
		sd_control_answer((uv_stream_t *)&c->pipe, error_answer("unknown request"));
	}
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	control_client *c = handle->data;

	(void)suggested;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	control_client *c = stream->data;
	char *newline;
	json_t *request;

	(void)buf;
	if (n < 0 || c->answered) {
		if (n < 0)
			drop(c);
		return;
	}
	c->len += (size_t)n;
	if (!(newline = memchr(c->buf, '\n', c->len))) {
		if (c->len == sizeof(c->buf))
			drop(c); /* a request without an end: not a sanctum client */
		return;
	}
	*newline = '\0';
	if (!(request = json_loads(c->buf, 0, NULL))) {
		c->answered = 1;
		sd_control_answer(stream, error_answer("the request is not JSON"));
		return;
	}
	handle(c, request);
	json_decref(request);
}

static void on_timeout(uv_timer_t *timer)
{
	control_client *c = timer->data;

	if (!c->answered)
		drop(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	sd_daemon *d = server->data;
	control_client *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->daemon = d;
	uv_pipe_init(d->loop, &c->pipe, 0);
	uv_timer_init(d->loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0) {
		drop(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, REQUEST_TIMEOUT_MS, 0);
}

static int socket_path(char *out, size_t cap, const char *store_dir)
{
	struct sockaddr_un sun;
	int n = snprintf(out, cap, "%s/.sanctum/sanctum/" SANCTUM_DAEMON_SOCKET, store_dir);

	if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof(sun.sun_path))
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "the store's path is too long for a unix socket (%zu "
		                         "characters at most): move the store to a shorter path",
		                         sizeof(sun.sun_path) - 1 - strlen("/.sanctum/sanctum/"
		                                                            SANCTUM_DAEMON_SOCKET));
	return 0;
}

int sd_control_start(sd_daemon *d)
{
	char path[4200];
	mode_t old;
	int rc, error;

	if ((error = socket_path(path, sizeof(path), d->store_dir)) < 0)
		return error;
	/* We hold the daemon lock: a socket file left here is a dead daemon's. */
	unlink(path);
	uv_pipe_init(d->loop, &d->control, 0);
	d->control.data = d;
	d->control_open = 1;
	old = umask(0077); /* born 0600: no moment when others could connect */
	rc = uv_pipe_bind(&d->control, path);
	umask(old);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&d->control, 16, on_connection);
	if (rc < 0)
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS, "cannot listen on %s: %s",
		                         path, uv_strerror(rc));
	return 0;
}

void sd_control_stop(sd_daemon *d)
{
	char path[4200];

	if (!d->control_open)
		return;
	d->control_open = 0;
	uv_close((uv_handle_t *)&d->control, NULL);
	if (socket_path(path, sizeof(path), d->store_dir) == 0)
		unlink(path);
	sanctum_error_clear();
}

/* ---- the client side, for the command line ---- */

static int read_line(char **answer, int fd, int timeout_ms)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		if ((n = read(fd, buf + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*strchr(buf, '\n') = '\0';
			*answer = buf;
			return 0;
		}
		if (len + 1 == cap) {
			char *more = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	free(buf);
	return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
	                         "the daemon did not answer in time");
}

int sanctum_daemon_request(char **answer, const char *store_dir, const char *request,
                           int timeout_ms)
{
	struct sockaddr_un sun;
	char path[4200];
	int fd, error;

	*answer = NULL;
	if ((error = socket_path(path, sizeof(path), store_dir)) < 0)
		return error;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS, "socket: %s",
		                         strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return sanctum_error_set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_OS,
			                         "no daemon is running on this store");
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
		                         "cannot reach the daemon: %s", strerror(e));
	}
	/* send with MSG_NOSIGNAL: a daemon that went away must not kill the command. */
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		error = sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
		                          "cannot talk to the daemon: %s", strerror(errno));
	else
		error = read_line(answer, fd, timeout_ms);
	close(fd);
	return error;
}

/*
 * `sanctum daemon`: start, settings, signals, and a clean stop. The parts are started
 * in order (scheduler, peers, control socket, webhook) and stopped in reverse; SIGTERM
 * and SIGINT let a running sync finish (it is atomic anyway: main moves by one compare
 * and swap at its end), SIGHUP re-reads peers and intervals.
 */
#include "daemon_internal.h"

#include <sanctum/config.h>
#include <sanctum/errors.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int64_t sd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sd_note_error(sd_daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
	va_end(ap);
	d->last_error_time = sd_now_ms();
	sd_log(SD_WARN, "%s", d->last_error);
}

void sd_refresh_head(sd_daemon *d)
{
	if (sanctum_store_head(d->head, d->store) < 0) {
		d->head[0] = '\0';
		sanctum_error_clear();
	}
}

/* ---- settings ---- */

/* A setting as a string into `out`, or `fallback` when it is not set. */
static int setting(char *out, size_t cap, sanctum_store *store, const char *key,
                   const char *fallback)
{
	char *value = NULL;
	int code = sanctum_config_get(&value, store, key);

	if (code == SANCTUM_ENOTFOUND) {
		sanctum_error_clear();
		snprintf(out, cap, "%s", fallback);
		return 0;
	}
	if (code < 0)
		return code;
	if (strlen(value) >= cap)
		code = sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "the setting %s is too long", key);
	else
		snprintf(out, cap, "%s", value);
	free(value);
	return code;
}

static int duration(uint64_t *ms, const char *text, const char *what)
{
	if (sanctum_config_parse_duration(ms, text) < 0 || *ms < 1000)
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "%s '%s' is not a duration of at least 1s (like 30s, 5m)",
		                         what, text);
	return 0;
}

static int hostport(const char *text, const char *what)
{
	char host[256];
	unsigned port;

	if (*text && sanctum_config_parse_hostport(host, &port, text) < 0)
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID, "%s: %s", what,
		                         sanctum_error_last()->message);
	return 0;
}

/* Splits "a:1,b:2" into d->peers. */
static int split_peers(sd_daemon *d, const char *list)
{
	d->npeers = 0;
	while (*list) {
		size_t n = strcspn(list, ",");

		if (d->npeers == SD_MAX_PEERS || n >= sizeof(d->peers[0]))
			return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                         "at most %d peers of at most %zu characters",
			                         SD_MAX_PEERS, sizeof(d->peers[0]) - 1);
		memcpy(d->peers[d->npeers], list, n);
		d->peers[d->npeers][n] = '\0';
		if (n && hostport(d->peers[d->npeers], "a peer") < 0)
			return SANCTUM_EINVALID;
		d->npeers += n > 0;
		list += n + (list[n] == ',');
	}
	return 0;
}

/* Reads the settings, then the command line's overrides on top. */
static int load_settings(sd_daemon *d)
{
	const sanctum_daemon_options *o = &d->options;
	char peers[SD_MAX_PEERS * 64], interval[64], withhold[64];
	int error;

	if ((error = setting(d->listen, sizeof(d->listen), d->store, "sanctum.daemon.listen", "")) < 0 ||
	    (error = setting(peers, sizeof(peers), d->store, "sanctum.daemon.peers", "")) < 0 ||
	    (error = setting(interval, sizeof(interval), d->store, "sanctum.daemon.interval", "5m")) < 0 ||
	    (error = setting(withhold, sizeof(withhold), d->store, "sanctum.daemon.withholdTimeout",
	                     "60s")) < 0 ||
	    (error = setting(d->webhook_listen, sizeof(d->webhook_listen), d->store,
	                     "sanctum.webhook.listen", "")) < 0 ||
	    (error = setting(d->webhook_path, sizeof(d->webhook_path), d->store,
	                     "sanctum.webhook.path", "/hook")) < 0)
		return error;
	if (o->listen)
		snprintf(d->listen, sizeof(d->listen), "%s", o->listen);
	if (o->interval)
		snprintf(interval, sizeof(interval), "%s", o->interval);
	if (o->webhook)
		snprintf(d->webhook_listen, sizeof(d->webhook_listen), "%s", o->webhook);
	if ((error = split_peers(d, peers)) < 0)
		return error;
	for (size_t i = 0; o->peers && i < o->npeers; i++) {
		if (i == 0)
			d->npeers = 0;
		if (d->npeers == SD_MAX_PEERS || strlen(o->peers[i]) >= sizeof(d->peers[0]) ||
		    hostport(o->peers[i], "--peer") < 0)
			return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                         "--peer '%s' is not HOST:PORT", o->peers[i]);
		snprintf(d->peers[d->npeers++], sizeof(d->peers[0]), "%s", o->peers[i]);
	}
	if ((error = duration(&d->default_interval_ms, interval, "the sync interval")) < 0 ||
	    (error = duration(&d->withhold_ms, withhold, "the withhold timeout")) < 0 ||
	    (error = hostport(d->listen, "the listen address")) < 0 ||
	    (error = hostport(d->webhook_listen, "the webhook address")) < 0)
		return error;
	return 0;
}

/* ---- one daemon per store ---- */

static int take_daemon_lock(sd_daemon *d)
{
	char path[4200], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/sanctum/daemon.lock", d->git_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS, "cannot open %s: %s", path,
		                         strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		return sanctum_error_set(SANCTUM_ELOCKED, SANCTUM_ERRCLASS_OS,
		                         "another daemon is running on this store (pid %s); stop it "
		                         "first", pid[0] ? pid : "unknown");
	}
	/* The pid is for people; the flock is what counts, and it dies with the process. */
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (write(fd, pid, (size_t)n) < 0)
			sd_log(SD_DEBUG, "cannot write the pid into the daemon lock");
	}
	d->lock_fd = fd;
	return 0;
}

/* ---- signals ---- */

static void close_signals(sd_daemon *d)
{
	uv_signal_t *handles[3] = { &d->sigterm, &d->sigint, &d->sighup };

	for (int i = 0; i < d->nsignals; i++)
		uv_close((uv_handle_t *)handles[i], NULL);
	d->nsignals = 0;
}

static void stop(sd_daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	sd_log(SD_INFO, "stopping (%s)%s", why, d->job ? "; letting the running sync finish" : "");
	sd_webhook_stop(d);
	sd_control_stop(d);
	sd_peers_stop(d);
	sd_scheduler_stop(d);
	close_signals(d);
}

static void on_signal(uv_signal_t *handle, int signum)
{
	sd_daemon *d = handle->data;

	if (signum != SIGHUP) {
		stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	sd_log(SD_INFO, "SIGHUP: reloading peers and intervals");
	if (load_settings(d) < 0) {
		sd_note_error(d, "reload refused, keeping the old settings: %s",
		              sanctum_error_last()->message);
		return;
	}
	/* Each part on its own: a running sync delays the remotes' reload, not the peers'. */
	if (sd_scheduler_reload(d) < 0)
		sd_note_error(d, "reload of the remotes failed: %s", sanctum_error_last()->message);
	if (sd_peers_reload(d) < 0)
		sd_note_error(d, "reload of the peers failed: %s", sanctum_error_last()->message);
}

static int start_signals(sd_daemon *d)
{
	uv_signal_t *handles[3] = { &d->sigterm, &d->sigint, &d->sighup };
	int signums[3] = { SIGTERM, SIGINT, SIGHUP };

	for (int i = 0; i < 3; i++) {
		uv_signal_init(d->loop, handles[i]);
		handles[i]->data = d;
		d->nsignals = i + 1;
		if (uv_signal_start(handles[i], on_signal, signums[i]) < 0)
			return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
			                         "cannot handle signals");
	}
	return 0;
}

/* ---- run ---- */

static int start(sd_daemon *d)
{
	int error;

	if ((error = sanctum_store_open(&d->store, d->store_dir, 0)) < 0 ||
	    (error = take_daemon_lock(d)) < 0 || (error = load_settings(d)) < 0)
		return error;
	sd_refresh_head(d);
	if ((error = start_signals(d)) < 0 || (error = sd_scheduler_start(d)) < 0 ||
	    (error = sd_peers_start(d)) < 0 || (error = sd_control_start(d)) < 0 ||
	    (error = sd_webhook_start(d)) < 0)
		return error;
	sd_log(SD_INFO, "started on %s (group %s), main %.12s, %zu remote%s, %zu peer%s%s%s",
	       d->store_dir, sanctum_store_group_name(d->store), d->head[0] ? d->head : "(none)",
	       d->nremotes, d->nremotes == 1 ? "" : "s", d->npeers, d->npeers == 1 ? "" : "s",
	       d->listen[0] ? ", listening on " : "", d->listen);
	return 0;
}

static void walk_close(uv_handle_t *handle, void *arg)
{
	(void)arg;
	if (!uv_is_closing(handle))
		uv_close(handle, NULL);
}

int sanctum_daemon_run(const sanctum_daemon_options *options)
{
	sd_daemon d;
	uv_loop_t loop;
	char why[600] = "";
	int error;

	memset(&d, 0, sizeof(d));
	d.lock_fd = -1;
	if (!options || !options->store_dir || !options->identity)
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                         "the daemon needs a store and an identity");
	d.options = *options;
	sd_log_set_debug(options->debug);
	/* A peer or client that hangs up mid-write is an error to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
	if (!(d.store_dir = realpath(options->store_dir, NULL)))
		return sanctum_error_set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_OS, "cannot find '%s': %s",
		                         options->store_dir, strerror(errno));
	snprintf(d.git_dir, sizeof(d.git_dir), "%s/.sanctum", d.store_dir);
	uv_loop_init(&loop);
	d.loop = &loop;
	d.started = sd_now_ms();
	if ((error = start(&d)) < 0) {
		snprintf(why, sizeof(why), "%s", sanctum_error_last()->message);
		sd_log(SD_ERROR, "cannot start: %s", why);
		stop(&d, "start failed");
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	/* Anything a part left open is closed here, so the loop can be freed. */
	uv_walk(&loop, walk_close, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (error == 0)
		sd_log(SD_INFO, "stopped");
	sanctum_store_free(d.store);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	free(d.store_dir);
	if (error < 0)
		sanctum_error_set(error, SANCTUM_ERRCLASS_INVALID, "%s", why);
	return error;
}

/*
 * Scheduled syncs: a timer per remote, with jitter so that cities do not all hit the
 * host at the same second, and exponential backoff after failures (capped). One sync
 * runs at a time per store (single flight); it runs on libuv's thread pool with its own
 * store handle, so git work never blocks the loop. Its result is kept for `status`.
 */
#include "daemon_internal.h"

#include <sanctum/config.h>
#include <sanctum/errors.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kick(sd_daemon *d);
static void retire_remotes(sd_daemon *d);

/* `ms` give or take 10%, so timers of many cities spread out. */
static uint64_t jittered(uint64_t ms)
{
	uint64_t spread = ms / 5;

	return spread ? ms - spread / 2 + randombytes_uniform((uint32_t)(spread > UINT32_MAX
	                                                               ? UINT32_MAX : spread))
	              : ms;
}

static void on_timer(uv_timer_t *timer)
{
	sd_remote *r = timer->data;

	r->pending = 1;
	r->next_run = 0;
	kick(r->daemon);
}

static void plan(sd_remote *r, uint64_t delay_ms)
{
	if (r->daemon->stopping)
		return;
	uv_timer_start(&r->timer, on_timer, delay_ms, 0);
	r->next_run = sd_now_ms() + (int64_t)delay_ms;
}

/* After a failure: 5 s, 10 s, 20 s ... up to an hour, but never later than the interval
 * would have it when that is longer. */
static uint64_t backoff(const sd_remote *r)
{
	uint64_t delay = SD_BACKOFF_BASE_MS;

	for (unsigned i = 1; i < r->failures && delay < SD_BACKOFF_CAP_MS; i++)
		delay *= 2;
	if (delay > SD_BACKOFF_CAP_MS)
		delay = SD_BACKOFF_CAP_MS;
	return jittered(delay);
}

/* ---- the job, on a worker thread ---- */

static void run_job(uv_work_t *work)
{
	sd_job *job = work->data;
	sd_daemon *d = job->daemon;
	sanctum_sync_options options = SANCTUM_SYNC_OPTIONS_INIT;
	sanctum_store *store = NULL;

	/* A handle of its own: libgit2 objects are not shared between threads. */
	job->code = sanctum_store_open(&store, d->store_dir, 0);
	if (job->code == 0 && sanctum_store_head(job->head_before, store) < 0)
		job->head_before[0] = '\0';
	if (job->code == 0)
		job->code = sanctum_store_sync(&job->result, store, d->remotes[job->remote].name,
		                               d->options.identity, &options);
	if (job->code < 0)
		snprintf(job->message, sizeof(job->message), "%s", sanctum_error_last()->message);
	if (store && sanctum_store_head(job->head_after, store) < 0)
		job->head_after[0] = '\0';
	sanctum_error_clear();
	sanctum_store_free(store);
}

static void record(sd_remote *r, const sd_job *job)
{
	r->last_run = sd_now_ms();
	r->last_code = job->code;
	snprintf(r->last_result, sizeof(r->last_result), "%s",
	         sanctum_sync_verdict_name(sanctum_sync_verdict_of(job->code, &job->result.pull,
	                                                           &job->result.push)));
	snprintf(r->last_message, sizeof(r->last_message), "%s", job->message);
	if (job->code < 0) {
		r->failures++;
		sd_note_error(r->daemon, "sync with '%s' failed (%s, attempt %u): %s", r->name,
		              r->last_result, r->failures, job->message);
		plan(r, backoff(r));
		return;
	}
	r->failures = 0;
	if (strcmp(r->last_result, "changed") == 0)
		sd_log(SD_INFO, "sync with '%s': pull %s, push %s, main %.12s", r->name,
		       job->result.pull.outcome == SANCTUM_PULL_MERGED ? "merged"
		       : job->result.pull.outcome == SANCTUM_PULL_FAST_FORWARD ? "fast-forward"
		                                                                : "nothing new",
		       job->result.push.outcome == SANCTUM_PUSH_PUSHED ? "pushed" : "nothing new",
		       job->head_after);
	else
		sd_log(SD_DEBUG, "sync with '%s': nothing to do", r->name);
	plan(r, jittered(r->interval_ms));
}

static json_t *remote_json(const sd_remote *r);

static void answer_waiters(sd_daemon *d, const sd_job *job)
{
	sd_waiter **link = &d->waiters;

	while (*link) {
		sd_waiter *w = *link;
		int all_done = w->remote < 0 && !d->job;

		for (size_t i = 0; all_done && i < d->nremotes; i++)
			all_done = !d->remotes[i].pending;
		if ((w->remote == job->remote && job->number > w->after_job) ||
		    (all_done && d->jobs_run > w->after_job)) {
			json_t *answer = json_object(), *list = json_array();

			for (size_t i = 0; list && i < d->nremotes; i++)
				if (w->remote < 0 || (size_t)w->remote == i)
					json_array_append_new(list, remote_json(&d->remotes[i]));
			json_object_set_new(answer, "ok", json_true());
			json_object_set_new(answer, "remotes", list);
			sd_control_answer(w->client, answer);
			*link = w->next;
			free(w);
		} else {
			link = &w->next;
		}
	}
}

static void job_done(uv_work_t *work, int status)
{
	sd_job *job = work->data;
	sd_daemon *d = job->daemon;
	int pushed = job->code == 0 && job->result.push.outcome == SANCTUM_PUSH_PUSHED;

	(void)status;
	d->job = NULL;
	d->jobs_run = job->number;
	record(&d->remotes[job->remote], job);
	sd_refresh_head(d);
	if (!d->stopping) {
		/* What this city just published, its peers should hear of at once. */
		if (pushed)
			sd_peers_announce(d);
		sd_peers_after_sync(d);
	}
	answer_waiters(d, job);
	free(job);
	if (d->stopping)
		retire_remotes(d);
	else
		kick(d);
}

/* Starts the next pending sync unless one runs. Remotes take turns. */
static void kick(sd_daemon *d)
{
	static size_t next;
	sd_job *job;

	if (d->job || d->stopping || !d->nremotes)
		return;
	for (size_t n = 0; n < d->nremotes; n++) {
		size_t i = (next + n) % d->nremotes;

		if (!d->remotes[i].pending)
			continue;
		if (!(job = calloc(1, sizeof(*job)))) {
			sd_note_error(d, "out of memory starting a sync");
			return;
		}
		d->remotes[i].pending = 0;
		uv_timer_stop(&d->remotes[i].timer);
		job->daemon = d;
		job->remote = (int)i;
		job->number = d->jobs_run + 1;
		job->work.data = job;
		d->job = job;
		next = i + 1;
		sd_log(SD_DEBUG, "sync with '%s' starts", d->remotes[i].name);
		uv_queue_work(d->loop, &job->work, run_job, job_done);
		return;
	}
}

void sd_scheduler_request(sd_daemon *d, int index, const char *why)
{
	for (size_t i = 0; i < d->nremotes; i++)
		if (index < 0 || (size_t)index == i)
			d->remotes[i].pending = 1;
	sd_log(SD_DEBUG, "sync asked for (%s)", why);
	kick(d);
}

void sd_scheduler_wait(sd_daemon *d, sd_waiter *waiter)
{
	waiter->after_job = d->jobs_run + (d->job ? 1 : 0);
	waiter->next = d->waiters;
	d->waiters = waiter;
	sd_scheduler_request(d, waiter->remote, "asked on the control socket");
}

/* ---- remotes ---- */

static uint64_t interval_of(sd_daemon *d, const char *name)
{
	char key[SANCTUM_REMOTE_NAME_MAX + 32], *value = NULL;
	uint64_t ms = d->default_interval_ms;

	snprintf(key, sizeof(key), "remote.%s.syncInterval", name);
	if (!d->options.interval && sanctum_config_get(&value, d->store, key) == 0 &&
	    (sanctum_config_parse_duration(&ms, value) < 0 || ms < 1000)) {
		sd_note_error(d, "%s '%s' is not a duration of at least 1s; using the default", key,
		              value);
		ms = d->default_interval_ms;
	}
	free(value);
	sanctum_error_clear();
	return ms;
}

static void on_old_timer_closed(uv_handle_t *handle)
{
	sd_daemon *d = ((sd_remote *)handle->data)->daemon;

	if (--d->old_timers == 0) {
		free(d->old_remotes);
		d->old_remotes = NULL;
	}
}

/* Closes the current remotes' timers; their memory goes once libuv is done with them. */
static void retire_remotes(sd_daemon *d)
{
	if (!d->nremotes) {
		free(d->remotes);
		d->remotes = NULL;
		return;
	}
	d->old_remotes = d->remotes;
	d->old_timers = d->nremotes;
	for (size_t i = 0; i < d->nremotes; i++)
		uv_close((uv_handle_t *)&d->remotes[i].timer, on_old_timer_closed);
	d->remotes = NULL;
	d->nremotes = 0;
}

static int load_remotes(sd_daemon *d, sd_remote **out, size_t *count)
{
	sanctum_remote_info *list = NULL;
	size_t n = 0;
	int error = sanctum_remote_list(&list, &n, d->store);

	*out = NULL;
	*count = 0;
	if (error < 0)
		return error;
	if (n && !(*out = calloc(n, sizeof(**out)))) {
		sanctum_remote_list_free(list, n);
		return sanctum_error_set(SANCTUM_ENOMEM, SANCTUM_ERRCLASS_NOMEMORY, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		sd_remote *r = &(*out)[i];

		snprintf(r->name, sizeof(r->name), "%s", list[i].name);
		r->interval_ms = interval_of(d, r->name);
		r->daemon = d;
	}
	*count = n;
	sanctum_remote_list_free(list, n);
	return 0;
}

int sd_scheduler_start(sd_daemon *d)
{
	int error = load_remotes(d, &d->remotes, &d->nremotes);

	if (error < 0)
		return error;
	if (!d->nremotes)
		sd_log(SD_WARN, "the store has no remote: nothing to sync until one is added "
		                "('sanctum remote add') and the daemon is reloaded (SIGHUP)");
	for (size_t i = 0; i < d->nremotes; i++) {
		uv_timer_init(d->loop, &d->remotes[i].timer);
		d->remotes[i].timer.data = &d->remotes[i];
		/* A first sync soon after start: a restarted city catches up at once. */
		plan(&d->remotes[i], randombytes_uniform(1000));
	}
	return 0;
}

void sd_scheduler_stop(sd_daemon *d)
{
	sd_waiter *w = d->waiters;

	while (w) {
		sd_waiter *next = w->next;
		json_t *answer = json_object();

		json_object_set_new(answer, "ok", json_false());
		json_object_set_new(answer, "error", json_string("the daemon is stopping"));
		sd_control_answer(w->client, answer);
		free(w);
		w = next;
	}
	d->waiters = NULL;
	/* A running job still reads remotes[job->remote]: retire them when it is done. */
	if (!d->job)
		retire_remotes(d);
	else
		for (size_t i = 0; i < d->nremotes; i++)
			uv_timer_stop(&d->remotes[i].timer);
}

int sd_scheduler_reload(sd_daemon *d)
{
	sd_remote *fresh = NULL;
	size_t n = 0;
	int error;

	if (d->job || d->old_remotes)
		return sanctum_error_set(SANCTUM_ELOCKED, SANCTUM_ERRCLASS_INVALID,
		                         "a sync is running; send SIGHUP again when it is done");
	if ((error = load_remotes(d, &fresh, &n)) < 0)
		return error;
	retire_remotes(d);
	d->remotes = fresh;
	d->nremotes = n;
	for (size_t i = 0; i < n; i++) {
		uv_timer_init(d->loop, &fresh[i].timer);
		fresh[i].timer.data = &fresh[i];
		plan(&fresh[i], randombytes_uniform(1000));
	}
	sd_log(SD_INFO, "reloaded: %zu remote%s", n, n == 1 ? "" : "s");
	return 0;
}

/* ---- status ---- */

static json_t *remote_json(const sd_remote *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "interval_ms", json_integer((json_int_t)r->interval_ms));
	json_object_set_new(o, "last_run", json_integer(r->last_run));
	json_object_set_new(o, "result", json_string(r->last_run ? r->last_result : "never"));
	json_object_set_new(o, "message", json_string(r->last_message));
	json_object_set_new(o, "failures", json_integer(r->failures));
	json_object_set_new(o, "next_run", json_integer(r->next_run));
	json_object_set_new(o, "running", json_boolean(r->daemon->job &&
	                                              &r->daemon->remotes[r->daemon->job->remote] == r));
	return o;
}

json_t *sd_scheduler_status(sd_daemon *d)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < d->nremotes; i++)
		json_array_append_new(list, remote_json(&d->remotes[i]));
	return list;
}

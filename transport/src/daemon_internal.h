/*
 * The daemon's state, shared by its parts: daemon.c (start, settings, signals, stop),
 * scheduler.c (timers and sync jobs), peers.c (Noise connections and announcements),
 * control.c (the unix socket), webhook_listener.c, status.c. Everything here is touched
 * on the loop thread only; a sync job's worker thread sees only its own sd_job.
 */
#ifndef SANCTUM_DAEMON_INTERNAL_H
#define SANCTUM_DAEMON_INTERNAL_H

#include "sanctum/daemon.h"

#include <sanctum/sync.h>
#include <stdint.h>
#include <uv.h>

#include "log.h"

#define SD_MAX_PEERS 256                /* configured peers */
#define SD_MAX_CONNECTIONS 512          /* peers connected in either direction */
#define SD_DEFAULT_INTERVAL_MS (5 * 60 * 1000)
#define SD_DEFAULT_WITHHOLD_MS (60 * 1000)
#define SD_BACKOFF_BASE_MS 5000         /* first retry after a failed sync */
#define SD_BACKOFF_CAP_MS (60 * 60 * 1000)
#define SD_ANNOUNCE_DEBOUNCE_MS 10      /* coalesce a burst of announcements into one pull */

typedef struct sd_daemon sd_daemon;
typedef struct sd_peer sd_peer;

/* ---- remotes and sync jobs (scheduler.c) ---- */

typedef struct {
	char name[SANCTUM_REMOTE_NAME_MAX + 1];
	uint64_t interval_ms;
	uv_timer_t timer;
	unsigned failures;              /* in a row; drives the backoff */
	int pending;                    /* a sync is asked for and not started */
	int64_t last_run, next_run;     /* ms since 1970; 0 = never / not planned */
	int last_code;                  /* the last sync's result (sanctum code) */
	char last_result[24];           /* "changed", "nothing", "refused", ... */
	char last_message[400];
	sd_daemon *daemon;
} sd_remote;

/* A request from the control socket waiting for a sync to finish. */
typedef struct sd_waiter {
	struct sd_waiter *next;
	uv_stream_t *client;            /* the control connection to answer */
	int remote;                     /* index, or -1 for all */
	uint64_t after_job;             /* answer once a job numbered above this has run */
} sd_waiter;

typedef struct {
	uv_work_t work;
	sd_daemon *daemon;
	int remote;                     /* index into remotes */
	uint64_t number;
	/* results, written by the worker thread */
	int code;
	char message[400];
	sanctum_sync_result result;
	char head_before[41], head_after[41];
} sd_job;

/* ---- announcements and withheld heads (peers.c) ---- */

typedef struct {
	char head[41];
	char origin[SANCTUM_FINGERPRINT_SIZE];
	int64_t first_seen;             /* ms since 1970 */
	int64_t last_pull;              /* when a sync was last asked for because of it */
	int reported;                   /* logged as possibly withheld */
} sd_watch;

struct sd_daemon {
	uv_loop_t *loop;
	sanctum_daemon_options options;
	char *store_dir;
	char git_dir[4096];
	sanctum_store *store;           /* the loop thread's handle: settings, roster, heads */
	int lock_fd;                    /* the daemon lock: one daemon per store */

	/* settings */
	char listen[300];
	char peers[SD_MAX_PEERS][300];
	size_t npeers;
	uint64_t default_interval_ms;
	uint64_t withhold_ms;
	char webhook_listen[300];
	char webhook_path[256];

	/* remotes and jobs */
	sd_remote *remotes;
	size_t nremotes;
	sd_remote *old_remotes;         /* replaced by a reload, freed once their timers close */
	size_t old_timers;
	sd_job *job;                    /* the running sync, or NULL */
	uint64_t jobs_run;
	sd_waiter *waiters;
	char head[41];                  /* main as last seen on the loop thread */
	char last_error[400];
	int64_t last_error_time;

	/* peers, announcements */
	struct sd_peers *peers_state;
	sd_watch *watches;
	size_t nwatches;

	/* the control socket and webhook listener */
	uv_pipe_t control;
	int control_open;
	struct sd_webhook_listener *webhook;

	uv_signal_t sigterm, sigint, sighup;
	int nsignals;                   /* how many of them are initialised */
	int stopping;
	int64_t started;
};

/** Milliseconds since 1970 (wall clock, for status and logs). */
int64_t sd_now_ms(void);

/** Reads main's head into d->head ("" when none). */
void sd_refresh_head(sd_daemon *d);

/** Records the last error for `status` and logs it. */
void sd_note_error(sd_daemon *d, const char *fmt, ...) SANCTUM_PRINTF(2, 3);

/* scheduler.c */
int sd_scheduler_start(sd_daemon *d);
void sd_scheduler_stop(sd_daemon *d);
/** Asks for a sync of remote `index`, or of every remote when -1, as soon as possible. */
void sd_scheduler_request(sd_daemon *d, int index, const char *why);
/** Re-reads remotes and intervals (SIGHUP). */
int sd_scheduler_reload(sd_daemon *d);
/** The remotes' part of `status`, as a JSON array (new reference). */
struct json_t *sd_scheduler_status(sd_daemon *d);
/** Answers `waiter` once the next sync of its remote(s) has run. */
void sd_scheduler_wait(sd_daemon *d, sd_waiter *waiter);

/* peers.c */
int sd_peers_start(sd_daemon *d);
void sd_peers_stop(sd_daemon *d);
int sd_peers_reload(sd_daemon *d);
/** Announces main's head (d->head) to every connected peer. */
void sd_peers_announce(sd_daemon *d);
/** After a sync: drops peers no longer members, settles watches the sync fetched. */
void sd_peers_after_sync(sd_daemon *d);
/** The peers' part of `status`, as a JSON array (new reference). */
struct json_t *sd_peers_status(sd_daemon *d);

/* control.c */
int sd_control_start(sd_daemon *d);
void sd_control_stop(sd_daemon *d);
/** Writes one JSON answer line to a control client and closes it. */
void sd_control_answer(uv_stream_t *client, struct json_t *answer);

/* webhook_listener.c */
int sd_webhook_start(sd_daemon *d);
void sd_webhook_stop(sd_daemon *d);

/* status.c */
struct json_t *sd_status(sd_daemon *d);

#endif

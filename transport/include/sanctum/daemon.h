/*
 * The notification daemon: one libuv loop per store (docs/daemon.md, docs/protocol.md).
 *
 * It syncs each remote on a timer (jitter, exponential backoff on failure, one sync at a
 * time, the git work on libuv's thread pool), keeps Noise connections to the other
 * member cities' daemons and announces its new heads to them, pulls at once when a peer
 * announces a newer head, listens for forge webhooks, and answers `sanctum status`,
 * `sanctum push` and `sanctum sync` on a unix socket inside the store.
 */
#ifndef SANCTUM_DAEMON_H
#define SANCTUM_DAEMON_H

#include <stddef.h>

#include <sanctum/identity.h>

#define SANCTUM_DAEMON_SOCKET "daemon.sock"  /* in .sanctum/sanctum/ */

typedef struct {
	const char *store_dir;              /* the folder holding .sanctum */
	const sanctum_identity *identity;   /* borrowed: signs handshakes, announcements, merges */
	/* Overrides of the store's settings for this run; NULL (0) keeps the setting. */
	const char *listen;                 /* HOST:PORT for peers */
	const char *const *peers;           /* HOST:PORT each; replaces sanctum.daemon.peers */
	size_t npeers;
	const char *interval;               /* DURATION for every remote */
	const char *webhook;                /* HOST:PORT of the webhook listener */
	int debug;                          /* log debug lines too */
} sanctum_daemon_options;

/**
 * Runs the daemon until SIGTERM or SIGINT (SIGHUP reloads peers and intervals). Logs to
 * stderr. Returns 0 after a clean stop, or a negative sanctum error code when it could
 * not start (another daemon runs on the store: SANCTUM_ELOCKED; a setting is invalid;
 * an address cannot be bound), with the message in sanctum_error_last().
 */
int sanctum_daemon_run(const sanctum_daemon_options *options);

/**
 * Sends one JSON request line to the daemon of the store in `store_dir` and returns its
 * one-line JSON answer in `*answer` (caller frees), waiting at most `timeout_ms`.
 * Returns 0, SANCTUM_ENOTFOUND when no daemon listens, or SANCTUM_ERROR.
 */
int sanctum_daemon_request(char **answer, const char *store_dir, const char *request,
                           int timeout_ms);

#endif

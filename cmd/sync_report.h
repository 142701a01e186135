/*
 * What pull, push and sync show: progress lines on a terminal, each verification
 * problem, one summary line per remote, the JSON summary, and the exit status.
 */
#ifndef CLI_SYNC_REPORT_H
#define CLI_SYNC_REPORT_H

#include <jansson.h>
#include <sanctum/sync.h>

typedef struct {
	int quiet, json, tty;
	json_t *remotes;              /* the JSON summary's entries, when json */
	json_t *problems;             /* the current remote's verification problems */
	int progress_on_screen;       /* a progress line waits for its end of line */
	int failed;                   /* out of memory while collecting */
} cli_sync_report;

/** Sets up `r` and points the options' callbacks at it. Returns 0 or -1 (memory). */
int cli_sync_report_init(cli_sync_report *r, sanctum_sync_options *options);
void cli_sync_report_dispose(cli_sync_report *r);

void cli_sync_report_begin(cli_sync_report *r, const char *remote);

/**
 * Reports how one remote went (`code` from the library; `pull`/`push` NULL when not
 * done) and returns its exit status.
 */
int cli_sync_report_end(cli_sync_report *r, const char *remote, int code,
                        const sanctum_pull_result *pull, const sanctum_push_result *push);

/** The exit status for a sync's verdict (error.h: 0, 6, 3, 4, 5 or 1). */
int cli_sync_exit_of(sanctum_sync_verdict verdict);

/** The exit status of several remotes: the first failure, else 0 if any changed, else 6. */
int cli_sync_report_worse(int so_far, int next, int first);

/** Prints {"remotes": [...], "exit": N} on stdout. Returns 0 or -1. */
int cli_sync_report_print_json(cli_sync_report *r, int exit_code);

#endif

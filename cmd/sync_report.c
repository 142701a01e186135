#include "sync_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanctum/errors.h>

#include "docfmt.h"
#include "error.h"

/* ---- progress ---- */

static void end_progress_line(cli_sync_report *r)
{
	if (r->progress_on_screen) {
		fputc('\n', stderr);
		r->progress_on_screen = 0;
	}
}

static int on_progress(const sanctum_sync_progress *p, void *payload)
{
	cli_sync_report *r = payload;

	if (!r->tty || r->quiet)
		return 0;
	switch (p->stage) {
	case SANCTUM_SYNC_FETCHING:
		fprintf(stderr, "\r%s: receiving objects %zu/%zu, %zu KiB", p->remote, p->done,
		        p->total, p->bytes >> 10);
		r->progress_on_screen = 1;
		break;
	case SANCTUM_SYNC_PUSHING:
		fprintf(stderr, "\r%s: sending objects %zu/%zu, %zu KiB", p->remote, p->done,
		        p->total, p->bytes >> 10);
		r->progress_on_screen = 1;
		break;
	case SANCTUM_SYNC_VERIFYING:
		end_progress_line(r);
		fprintf(stderr, "%s: verified %zu commits, %zu documents\n", p->remote, p->done,
		        p->documents);
		break;
	}
	return 0;
}

/* Problems quote what a hostile remote wrote: cleaned before they reach a terminal. */
static int on_problem(const sanctum_verify_problem *problem, void *payload)
{
	cli_sync_report *r = payload;
	char *path = cli_clean_text(problem->path ? problem->path : "");
	char *message = cli_clean_text(problem->message ? problem->message : "");

	if (!path || !message) {
		r->failed = 1;
	} else {
		end_progress_line(r);
		if (*path)
			fprintf(stderr, "commit %.*s: %s: %s\n", CLI_SHORT_ID, problem->commit, path,
			        message);
		else
			fprintf(stderr, "commit %.*s: %s\n", CLI_SHORT_ID, problem->commit, message);
	}
	if (path && message && r->problems) {
		json_t *o = json_object();
		int bad = !o;

		bad |= cli_json_set(o, "commit", json_string(problem->commit));
		bad |= cli_json_set(o, "path", json_string(path));
		bad |= cli_json_set(o, "message", json_string(message));
		if (bad || json_array_append_new(r->problems, o) != 0)
			r->failed = 1;
	}
	free(path);
	free(message);
	return 0;
}

int cli_sync_report_init(cli_sync_report *r, sanctum_sync_options *options)
{
	r->tty = isatty(STDERR_FILENO);
	if (r->json && !(r->remotes = json_array()))
		return -1;
	options->progress = on_progress;
	options->problem = on_problem;
	options->payload = r;
	return 0;
}

void cli_sync_report_dispose(cli_sync_report *r)
{
	json_decref(r->remotes);
	json_decref(r->problems);
	r->remotes = r->problems = NULL;
}

void cli_sync_report_begin(cli_sync_report *r, const char *remote)
{
	(void)remote;
	json_decref(r->problems);
	r->problems = r->json ? json_array() : NULL;
	if (r->json && !r->problems)
		r->failed = 1;
}

/* ---- outcome ---- */

int cli_sync_exit_of(sanctum_sync_verdict verdict)
{
	static const int exits[] = { CLI_EXIT_OK, CLI_EXIT_NOTHING, CLI_EXIT_REFUSED,
	                             CLI_EXIT_NETWORK, CLI_EXIT_LOCKED, CLI_EXIT_FAILED };

	return (unsigned)verdict < sizeof(exits) / sizeof(exits[0]) ? exits[verdict]
	                                                            : CLI_EXIT_FAILED;
}

int cli_sync_report_worse(int so_far, int next, int first)
{
	int failed_before = so_far != CLI_EXIT_OK && so_far != CLI_EXIT_NOTHING;

	if (first || failed_before)
		return first ? next : so_far;
	if (next != CLI_EXIT_OK && next != CLI_EXIT_NOTHING)
		return next;
	return so_far == CLI_EXIT_OK || next == CLI_EXIT_OK ? CLI_EXIT_OK : CLI_EXIT_NOTHING;
}

static void print_pull(const char *remote, const sanctum_pull_result *p)
{
	switch (p->outcome) {
	case SANCTUM_PULL_UP_TO_DATE:
		fprintf(stderr, "%s: pull: up to date\n", remote);
		break;
	case SANCTUM_PULL_EMPTY:
		fprintf(stderr, "%s: pull: the remote has no main yet\n", remote);
		break;
	case SANCTUM_PULL_FAST_FORWARD:
	case SANCTUM_PULL_MERGED:
		fprintf(stderr, "%s: pull: %s %.*s..%.*s (%zu commits, %zu documents verified",
		        remote, p->outcome == SANCTUM_PULL_MERGED ? "merged" : "fast-forward",
		        CLI_SHORT_ID, p->old_head, CLI_SHORT_ID, p->new_head, p->verified.commits,
		        p->verified.documents);
		if (p->outcome == SANCTUM_PULL_MERGED)
			fprintf(stderr, "; %zu text merges, %zu conflicts", p->texts_merged,
			        p->conflicts);
		fprintf(stderr, ")\n");
		if (p->conflicts)
			cli_hint("see the conflicting revisions with 'sanctum conflicts'");
		break;
	}
	if (p->rewound)
		cli_warning("%s: accepted a remote main that dropped commits verified before "
		            "(--allow-rewind)", remote);
}

static void print_push(const char *remote, const sanctum_push_result *p)
{
	if (p->outcome == SANCTUM_PUSH_UP_TO_DATE)
		fprintf(stderr, "%s: push: up to date\n", remote);
	else
		fprintf(stderr, "%s: push: %.*s..%.*s\n", remote, CLI_SHORT_ID,
		        p->old_head[0] ? p->old_head : "(none)", CLI_SHORT_ID, p->new_head);
}

static void print_failure(const char *remote, int code)
{
	cli_error_lib(code);
	if (code == SANCTUM_EVERIFY || code == SANCTUM_EROLLBACK)
		cli_hint("inspect with 'git --git-dir .sanctum log refs/sanctum/quarantine/%s'",
		         remote);
	else if (code == SANCTUM_ELOCKED)
		cli_hint("another sync or command is running; a running daemon syncs by itself");
}

static const char *pull_name(sanctum_pull_outcome o)
{
	static const char *const names[] = { "up-to-date", "empty", "fast-forward", "merged" };
	return names[o];
}

static json_t *pull_json(const sanctum_pull_result *p)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= cli_json_set(o, "outcome", json_string(pull_name(p->outcome)));
	bad |= cli_json_set(o, "old_head", json_string(p->old_head));
	bad |= cli_json_set(o, "new_head", json_string(p->new_head));
	bad |= cli_json_set(o, "remote_head", json_string(p->remote_head));
	bad |= cli_json_set(o, "objects", json_integer((json_int_t)p->objects));
	bad |= cli_json_set(o, "bytes", json_integer((json_int_t)p->bytes));
	bad |= cli_json_set(o, "commits", json_integer((json_int_t)p->verified.commits));
	bad |= cli_json_set(o, "documents", json_integer((json_int_t)p->verified.documents));
	bad |= cli_json_set(o, "texts_merged", json_integer((json_int_t)p->texts_merged));
	bad |= cli_json_set(o, "conflicts", json_integer((json_int_t)p->conflicts));
	bad |= cli_json_set(o, "rewound", json_boolean(p->rewound));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *push_json(const sanctum_push_result *p)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= cli_json_set(o, "outcome", json_string(p->outcome == SANCTUM_PUSH_PUSHED
	                                              ? "pushed" : "up-to-date"));
	bad |= cli_json_set(o, "old_head", json_string(p->old_head));
	bad |= cli_json_set(o, "new_head", json_string(p->new_head));
	bad |= cli_json_set(o, "objects", json_integer((json_int_t)p->objects));
	bad |= cli_json_set(o, "bytes", json_integer((json_int_t)p->bytes));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void add_json(cli_sync_report *r, const char *remote, int code,
                     sanctum_sync_verdict verdict, const sanctum_pull_result *pull,
                     const sanctum_push_result *push)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= cli_json_set(o, "remote", json_string(remote));
	bad |= cli_json_set(o, "result", json_string(sanctum_sync_verdict_name(verdict)));
	bad |= cli_json_set(o, "exit", json_integer(cli_sync_exit_of(verdict)));
	bad |= cli_json_set(o, "error", code < 0 ? json_string(sanctum_error_last()->message)
	                                         : json_null());
	bad |= cli_json_set(o, "pull", pull && code == 0 ? pull_json(pull) : json_null());
	bad |= cli_json_set(o, "push", push && code == 0 ? push_json(push) : json_null());
	bad |= cli_json_set(o, "problems", r->problems ? json_incref(r->problems) : json_array());
	if (bad || json_array_append_new(r->remotes, o) != 0)
		r->failed = 1;
}

int cli_sync_report_end(cli_sync_report *r, const char *remote, int code,
                        const sanctum_pull_result *pull, const sanctum_push_result *push)
{
	sanctum_sync_verdict verdict = sanctum_sync_verdict_of(code, pull, push);
	int exit_code = cli_sync_exit_of(verdict);

	end_progress_line(r);
	if (r->json)
		add_json(r, remote, code, verdict, pull, push);
	if (code < 0) {
		print_failure(remote, code);
		return exit_code;
	}
	if (!r->quiet && pull)
		print_pull(remote, pull);
	if (!r->quiet && push)
		print_push(remote, push);
	return exit_code;
}

int cli_sync_report_print_json(cli_sync_report *r, int exit_code)
{
	json_t *o = json_object();
	int bad = !o || r->failed;

	bad |= cli_json_set(o, "remotes", json_incref(r->remotes));
	bad |= cli_json_set(o, "exit", json_integer(exit_code));
	if (bad) {
		json_decref(o);
		return cli_error("out of memory"), -1;
	}
	return cli_json_print(o);
}

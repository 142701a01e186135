/*
 * `sanctum pull`, `sanctum push` and `sanctum sync`: exchanging main with git remotes
 * (docs/man/sanctum-pull.1.md, sanctum-push.1.md, sanctum-sync.1.md, docs/sync.md).
 *
 * Made for people and for timers alike: progress lines only on a terminal, `--quiet`,
 * a `--json` summary, never a prompt, and an exit status that tells a scheduled job
 * what happened (error.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sanctum/errors.h>
#include <sanctum/sync.h>

#include <sanctum/daemon.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"
#include "sync_report.h"

enum {
	OPT_ALL = 1, OPT_QUIET, OPT_JSON, OPT_ALLOW_REWIND, OPT_MAX_FETCH, OPT_IDENTITY,
	OPT_PASSPHRASE_FILE, ARG_REMOTE
};

#define COMMON_OPTIONS                                                                      \
	{ OPT_ALL, 0, "all", NULL, "every remote of the store, in name order", 0 },          \
	{ OPT_QUIET, 'q', "quiet", NULL, "print nothing but errors", 0 },                     \
	{ OPT_JSON, 0, "json", NULL, "print a JSON summary on standard output", 0 },          \
	{ ARG_REMOTE, 0, NULL, "REMOTE", "the remote (default: origin, or the only one)",    \
	  CLI_OPT_POSITIONAL }
#define PULL_OPTIONS                                                                        \
	{ OPT_ALLOW_REWIND, 0, "allow-rewind", NULL, "accept a remote whose main dropped "    \
	  "commits verified from it before (a possible rollback attack)", 0 },                \
	{ OPT_MAX_FETCH, 0, "max-fetch", "MIB", "stop a fetch that brings more than MIB "     \
	  "mebibytes (default 2048)", 0 },                                                    \
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE)

static const cli_opt pull_opts[] = { COMMON_OPTIONS, PULL_OPTIONS, { 0, 0, NULL, NULL, NULL, 0 } };
static const cli_opt push_opts[] = { COMMON_OPTIONS, { 0, 0, NULL, NULL, NULL, 0 } };

#define EXIT_TEXT                                                                             \
	"Exit status: 0 when something changed, 6 when there was nothing to do, 3 when\n"      \
	"verification refused the remote's history (or a rollback), 4 when a remote could\n"   \
	"not be reached, 5 when another sanctum process holds the store, 1 for any other\n"    \
	"failure, 2 for a usage error. With several remotes, the first failure decides.\n"

static const cli_doc pull_doc = {
	"sanctum pull", pull_opts, NULL,
	"Fetch the remote's main into quarantine, verify every new commit (signatures by\n"
	"members as of each commit's parents, legal paths, each document revision, roster\n"
	"and epoch rules), and only then fast-forward or merge main. A remote whose main no\n"
	"longer contains the head verified from it before is refused as a rollback.",
	"Refused commits stay under refs/sanctum/quarantine/REMOTE for inspection; main is\n"
	"unchanged. A merge is a signed commit; concurrent edits of one text document merge\n"
	"three-way, other concurrent revisions keep the loser as a conflict revision\n"
	"('sanctum conflicts').\n\n" EXIT_TEXT,
	NULL
};

static const cli_doc push_doc = {
	"sanctum push", push_opts, NULL,
	"Push main to the remote's main. Never forced: when the remote has commits this\n"
	"store lacks, pull first ('sanctum sync' does both).",
	EXIT_TEXT,
	NULL
};

static const cli_doc sync_doc = {
	"sanctum sync", pull_opts, NULL,
	"Pull, then push. When the push is refused because another city pushed in between,\n"
	"pull and merge again and retry (up to 3 times). Made for timers: see docs/sync.md.",
	EXIT_TEXT,
	NULL
};

typedef enum { DO_PULL, DO_PUSH, DO_SYNC } sync_kind;

typedef struct {
	sync_kind kind;
	const cli_doc *doc;
	int all;
	const char *remote;
	sanctum_sync_options options;
	cli_sync_report report;
	cli_identity_args ida;
} sync_args;

static int parse_mib(const char *text, unsigned long long *out)
{
	char *end;
	unsigned long long n;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	n = strtoull(text, &end, 10);
	if (*end || n == 0 || n > (1ull << 24))
		return -1;
	*out = n << 20;
	return 0;
}

/* Returns -1 to go on, or the exit status to stop with (after --help: 0). */
static int parse(sync_args *a, int argc, char **argv)
{
	cli_opt_parser p;
	const char *value;
	int id;

	cli_opt_parser_init(&p, a->doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_ALL: a->all = 1; break;
		case OPT_QUIET: a->report.quiet = 1; break;
		case OPT_JSON: a->report.json = 1; break;
		case OPT_ALLOW_REWIND: a->options.allow_rewind = 1; break;
		case OPT_MAX_FETCH:
			if (parse_mib(value, &a->options.max_fetch_bytes) < 0)
				return cli_usage_error(a->doc, "invalid --max-fetch '%s': a number of "
				                       "mebibytes from 1", value);
			break;
		case OPT_IDENTITY: a->ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: a->ida.passphrase_file = value; break;
		case ARG_REMOTE: a->remote = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (a->all && a->remote)
		return cli_usage_error(a->doc, "give a remote or --all, not both");
	return -1;
}

/*
 * The remotes to work on, as the index of the one to run in `list` (or -1 for all of
 * them): --all, origin, or the only one there is.
 */
static int pick_remotes(sanctum_remote_info **list, size_t *n, long *only, const sync_args *a,
                        sanctum_store *store)
{
	int code = sanctum_remote_list(list, n, store);

	*only = -1;
	if (code < 0)
		return cli_store_error(code, "cannot list the remotes");
	if (*n == 0) {
		cli_error("this store has no remote");
		cli_hint("add one with 'sanctum remote add origin URL'");
		return CLI_EXIT_FAILED;
	}
	if (a->all)
		return CLI_EXIT_OK;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].name, "origin") == 0)
			*only = (long)i;
	if (*only < 0 && *n == 1)
		*only = 0;
	if (*only < 0)
		return cli_usage_error(a->doc, "the store has %zu remotes and none is called "
		                       "origin: name one, or give --all", *n);
	return CLI_EXIT_OK;
}

static int run_one(sync_args *a, cli_session *s, const char *name)
{
	sanctum_sync_result r;
	int code;

	memset(&r, 0, sizeof(r));
	cli_sync_report_begin(&a->report, name);
	if (a->kind == DO_PULL)
		code = sanctum_store_pull(&r.pull, s->store, name, s->identity, &a->options);
	else if (a->kind == DO_PUSH)
		code = sanctum_store_push(&r.push, s->store, name, &a->options);
	else
		code = sanctum_store_sync(&r, s->store, name, s->identity, &a->options);
	return cli_sync_report_end(&a->report, name, code, a->kind != DO_PUSH ? &r.pull : NULL,
	                           a->kind != DO_PULL ? &r.push : NULL);
}

/* ---- with a running daemon ---- */

#define DAEMON_SYNC_TIMEOUT_MS (30 * 60 * 1000)

/* Prints the daemon's answer to a sync request and returns the exit status. */
static int report_daemon_sync(const sync_args *a, json_t *answer)
{
	json_t *remotes = json_object_get(answer, "remotes"), *r;
	int rc = CLI_EXIT_NOTHING;
	size_t i;

	if (!json_is_true(json_object_get(answer, "ok"))) {
		const char *why = json_string_value(json_object_get(answer, "error"));
		return cli_error("the daemon could not sync: %s", why ? why : "no reason given");
	}
	json_array_foreach(remotes, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *result = json_string_value(json_object_get(r, "result"));
		const char *message = json_string_value(json_object_get(r, "message"));
		int code = cli_sync_exit_of(sanctum_sync_verdict_parse(result));
		char *clean = cli_clean_text(message ? message : "");

		rc = cli_sync_report_worse(rc, code, i == 0);
		if (code != CLI_EXIT_OK && code != CLI_EXIT_NOTHING)
			cli_error("%s: %s", name ? name : "?", clean && *clean ? clean : result);
		else if (!a->report.quiet && !a->report.json)
			fprintf(stderr, "%s: synced by the daemon: %s\n", name ? name : "?",
			        code == CLI_EXIT_OK ? "changed" : "nothing to do");
		free(clean);
	}
	if (a->report.json) {
		json_t *o = json_object();

		json_object_set_new(o, "daemon", json_true());
		json_object_set(o, "remotes", remotes ? remotes : json_array());
		json_object_set_new(o, "exit", json_integer(rc));
		if (cli_json_print(o) < 0)
			rc = CLI_EXIT_FAILED;
	}
	return rc;
}

/*
 * `sync` with a daemon running: the daemon does it, so two syncs never race. Returns
 * -1 when no daemon runs (then the command syncs by itself).
 */
static int sync_through_daemon(const sync_args *a, cli_session *s)
{
	/* Built by jansson: a remote's name goes into the request as a JSON string. */
	json_t *request = a->remote ? json_pack("{s:s, s:s}", "op", "sync", "remote", a->remote)
	                            : json_pack("{s:s}", "op", "sync");
	char *line = request ? json_dumps(request, JSON_COMPACT) : NULL, *text = NULL;
	json_t *answer = NULL;
	int code, rc;

	json_decref(request);
	if (!line)
		return cli_error("out of memory");
	code = sanctum_daemon_request(&text, sanctum_store_path(s->store), line,
	                              DAEMON_SYNC_TIMEOUT_MS);
	free(line);
	if (code == SANCTUM_ENOTFOUND) {
		sanctum_error_clear();
		return -1;
	}
	if (code < 0)
		return cli_error_lib(code);
	if (!(answer = json_loads(text, 0, NULL)))
		rc = cli_error("the daemon's answer is not JSON");
	else
		rc = report_daemon_sync(a, answer);
	json_decref(answer);
	free(text);
	return rc;
}

/* After a push: a running daemon tells the peers at once. */
static void tell_daemon(const sync_args *a, cli_session *s)
{
	char *answer = NULL;
	int code = sanctum_daemon_request(&answer, sanctum_store_path(s->store),
	                                  "{\"op\":\"announce\"}", 10000);

	if (code == 0 && !a->report.quiet && !a->report.json)
		fprintf(stderr, "the daemon announced the new head to its peers\n");
	else if (code < 0 && code != SANCTUM_ENOTFOUND)
		cli_warning("the daemon did not answer; peers learn of the push at their next sync");
	sanctum_error_clear();
	free(answer);
}

static int run(sync_kind kind, const cli_doc *doc, int argc, char **argv)
{
	sync_args a;
	cli_session s = CLI_SESSION_INIT;
	sanctum_remote_info *list = NULL;
	size_t n = 0;
	long only = -1;
	int rc;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.doc = doc;
	if ((rc = parse(&a, argc, argv)) >= 0)
		return rc;
	if (cli_sync_report_init(&a.report, &a.options) < 0)
		return cli_error("out of memory");
	if ((rc = cli_session_open(&s, &a.ida)) != CLI_EXIT_OK)
		goto done;
	if (kind == DO_SYNC && !a.options.allow_rewind && !a.options.max_fetch_bytes &&
	    (rc = sync_through_daemon(&a, &s)) >= 0)
		goto done;
	if (kind == DO_SYNC && (rc = cli_session_identity(&s, &a.ida)) != CLI_EXIT_OK)
		goto done;
	if (a.options.allow_rewind && !a.report.quiet)
		cli_warning("--allow-rewind: a remote's main may drop commits verified before; "
		            "accept this only when the group decided to rewind it");
	if (a.remote)
		rc = run_one(&a, &s, a.remote);
	else if ((rc = pick_remotes(&list, &n, &only, &a, s.store)) == CLI_EXIT_OK && only >= 0)
		rc = run_one(&a, &s, list[only].name);
	else if (rc == CLI_EXIT_OK)
		for (size_t i = 0; i < n; i++)
			rc = cli_sync_report_worse(rc, run_one(&a, &s, list[i].name), i == 0);
	if (kind == DO_PUSH && rc == CLI_EXIT_OK)
		tell_daemon(&a, &s);
	if (rc != CLI_EXIT_USAGE && a.report.json && cli_sync_report_print_json(&a.report, rc) < 0)
		rc = CLI_EXIT_FAILED;
done:
	sanctum_remote_list_free(list, n);
	cli_sync_report_dispose(&a.report);
	cli_session_close(&s);
	return rc;
}

int cmd_pull(int argc, char **argv)
{
	return run(DO_PULL, &pull_doc, argc, argv);
}

int cmd_push(int argc, char **argv)
{
	return run(DO_PUSH, &push_doc, argc, argv);
}

int cmd_sync(int argc, char **argv)
{
	return run(DO_SYNC, &sync_doc, argc, argv);
}

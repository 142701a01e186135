/*
 * `sanctum verify [--json]`: checks the whole history of main by the rules of the group
 * (verify.h) and reports every problem (docs/man/sanctum-verify.1.md). Exit status 0 when
 * everything holds, CLI_EXIT_REFUSED when something does not, 1 when the store could not
 * be read at all.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sanctum/errors.h>
#include <sanctum/verify.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_JSON = 1, OPT_IDENTITY, OPT_PASSPHRASE_FILE };

static const cli_opt verify_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print the counts and the problems as a JSON object", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc verify_doc = {
	"sanctum verify", verify_opts, NULL,
	"Check every commit of main from the first: its signature by a member of the group\n"
	"at that point, the paths it changes, the roster entries, and each document revision\n"
	"it writes (decrypted, signature, author, id, and the revision it replaces).",
	"Each problem is printed as 'commit <short id>: <path>: <rule broken>', and a summary\n"
	"goes to standard error. Exit status: 0 when the history is sound, 3 when a problem\n"
	"was found, 1 when the store could not be read.\n",
	NULL
};

typedef struct {
	json_t *problems;        /* NULL for text output */
	int failed;              /* a JSON value could not be made */
} verify_out;

/* A problem's path and message may quote what a forger put in the tree: cleaned first. */
static int report_problem(const sanctum_verify_problem *problem, void *payload)
{
	verify_out *out = payload;
	char *path = cli_clean_text(problem->path ? problem->path : "");
	char *message = cli_clean_text(problem->message ? problem->message : "");
	json_t *o = NULL;
	int bad = !path || !message;

	if (!bad && !out->problems) {
		if (*path)
			printf("commit %.*s: %s: %s\n", CLI_SHORT_ID, problem->commit, path,
			       message);
		else
			printf("commit %.*s: %s\n", CLI_SHORT_ID, problem->commit, message);
	} else if (!bad) {
		o = json_object();
		bad |= cli_json_set(o, "commit", json_string(problem->commit));
		bad |= cli_json_set(o, "path", json_string(path));
		bad |= cli_json_set(o, "message", json_string(message));
		if (bad)
			json_decref(o);
		else if (json_array_append_new(out->problems, o) != 0)
			bad = 1;
	}
	free(path);
	free(message);
	if (bad) {
		out->failed = 1;
		return -1;
	}
	return 0;
}

static json_t *json_result(const sanctum_verify_stats *stats, json_t *problems)
{
	json_t *o = json_object();
	int bad = 0;

	bad |= cli_json_set(o, "commits", json_integer((json_int_t)stats->commits));
	bad |= cli_json_set(o, "documents", json_integer((json_int_t)stats->documents));
	bad |= cli_json_set(o, "roster_entries", json_integer((json_int_t)stats->roster_entries));
	bad |= cli_json_set(o, "unreadable", json_integer((json_int_t)stats->unreadable));
	bad |= cli_json_set(o, "problems", problems);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cmd_verify(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_verify_stats stats = { 0, 0, 0, 0, 0 };
	verify_out out = { NULL, 0 };
	const char *value;
	int id, rc, code, json = 0;
	cli_opt_parser p;

	cli_opt_parser_init(&p, &verify_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (json && !(out.problems = json_array()))
		return cli_error("out of memory");
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		goto done;
	code = sanctum_store_verify(&stats, s.store, s.identity, report_problem, &out);
	if (out.failed) {
		rc = cli_error("out of memory");
		goto done;
	}
	if (code != 0 && code != SANCTUM_EVERIFY) {
		rc = cli_store_error(code, "cannot verify the store");
		goto done;
	}
	/* A refusal that reached no callback still has its reason in the last error. */
	if (code == SANCTUM_EVERIFY && stats.problems == 0)
		cli_error_lib(code);
	sanctum_error_clear();   /* the problems were reported one by one */
	if (json) {
		rc = cli_json_print(json_result(&stats, out.problems)) == 0 ? CLI_EXIT_OK
		                                                            : CLI_EXIT_FAILED;
		out.problems = NULL;
		if (rc != CLI_EXIT_OK)
			goto done;
	}
	fprintf(stderr, "verified %zu commits, %zu document revisions", stats.commits,
	        stats.documents);
	if (stats.unreadable)
		fprintf(stderr, " (%zu more in epochs before you joined, not readable by you)",
		        stats.unreadable);
	fprintf(stderr, ": %zu problem%s\n", stats.problems, stats.problems == 1 ? "" : "s");
	/* A problem reported with a success code would be a library bug: trust the count too. */
	if (code == SANCTUM_EVERIFY || stats.problems > 0)
		rc = CLI_EXIT_REFUSED;
done:
	json_decref(out.problems);
	cli_session_close(&s);
	return rc;
}

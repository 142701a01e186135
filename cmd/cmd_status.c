/*
 * `sanctum status [--json]`: what the store's daemon is doing: its remotes (last sync,
 * result, next run), its peers (connected, last seen, their head), heads announced but
 * not delivered by any remote, and the last error (docs/man/sanctum-status.1.md). Without
 * a daemon, the store's own view: main and each remote's last verified head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sanctum/daemon.h>
#include <sanctum/errors.h>
#include <sanctum/sync.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_JSON = 1 };

static const cli_opt status_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print the daemon's state as one JSON object", 0 },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc status_doc = {
	"sanctum status", status_opts, NULL,
	"Show what the store's daemon is doing: each remote's last sync, its result and the\n"
	"next run; each peer, whether it is connected, when it was last heard and the head\n"
	"it announced; heads that peers announced but no remote delivered (the host may be\n"
	"withholding updates); and the last error.",
	"Without a running daemon it says so and shows main and the head last verified from\n"
	"each remote. The JSON object has the members daemon (false or true), head, remotes,\n"
	"peers, announced and last_error.\n",
	NULL
};

/* "12 s ago", "in 4 min" from a time in ms since 1970. */
static void relative(char *out, size_t cap, long long ms)
{
	long long now = (long long)time(NULL) * 1000, d = (now - ms) / 1000;
	const char *sign = d >= 0 ? "" : "in ";
	const char *ago = d >= 0 ? " ago" : "";

	if (!ms) {
		snprintf(out, cap, "never");
		return;
	}
	d = d < 0 ? -d : d;
	if (d < 120)
		snprintf(out, cap, "%s%lld s%s", sign, d, ago);
	else if (d < 7200)
		snprintf(out, cap, "%s%lld min%s", sign, d / 60, ago);
	else
		snprintf(out, cap, "%s%lld h%s", sign, d / 3600, ago);
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_remotes(json_t *remotes)
{
	size_t i;
	json_t *r;

	printf("remotes\n");
	json_array_foreach(remotes, i, r) {
		char last[32], next[32];
		char *message = cli_clean_text(str(r, "message"));

		relative(last, sizeof(last), num(r, "last_run"));
		relative(next, sizeof(next), num(r, "next_run"));
		printf("  %-16s last sync %s: %s%s%s", str(r, "name"), last, str(r, "result"),
		       message && *message ? " (" : "", message && *message ? message : "");
		printf("%s", message && *message ? ")" : "");
		if (json_is_true(json_object_get(r, "running")))
			printf("; syncing now\n");
		else
			printf("; next %s\n", num(r, "next_run") ? next : "not planned");
		free(message);
	}
}

static void print_peers(json_t *peers)
{
	size_t i;
	json_t *p;

	printf("peers\n");
	if (!json_array_size(peers))
		printf("  (none)\n");
	json_array_foreach(peers, i, p) {
		char seen[32];
		char *member = cli_clean_text(str(p, "member"));

		relative(seen, sizeof(seen), num(p, "last_seen"));
		if (strcmp(str(p, "state"), "connected") == 0)
			printf("  %-22s %-24s connected, last heard %s, head %.12s\n", str(p, "address"),
			       member ? member : "", seen, *str(p, "head") ? str(p, "head") : "-");
		else
			printf("  %-22s %-24s %s%s%s\n", str(p, "address"), member ? member : "-",
			       str(p, "state"), *str(p, "error") ? ": " : "", str(p, "error"));
		free(member);
	}
}

static void print_running(json_t *st)
{
	size_t i;
	json_t *w, *error = json_object_get(st, "last_error");
	char since[32];

	relative(since, sizeof(since), num(st, "started"));
	printf("daemon     running (pid %lld), started %s%s%s\n", num(st, "pid"), since,
	       *str(st, "listen") ? ", listening on " : "", str(st, "listen"));
	printf("main       %.12s\n", *str(st, "head") ? str(st, "head") : "(none)");
	print_remotes(json_object_get(st, "remotes"));
	print_peers(json_object_get(st, "peers"));
	json_array_foreach(json_object_get(st, "announced"), i, w) {
		if (json_is_true(json_object_get(w, "withheld")))
			printf("warning    head %.12s announced by %s has not arrived from any remote: "
			       "the host may be withholding updates\n", str(w, "head"),
			       str(w, "announced_by"));
		else
			printf("pending    head %.12s announced by %s, being pulled\n", str(w, "head"),
			       str(w, "announced_by"));
	}
	if (json_is_object(error)) {
		char when[32], *message = cli_clean_text(str(error, "message"));

		relative(when, sizeof(when), num(error, "time"));
		printf("last error %s: %s\n", when, message ? message : "");
		free(message);
	}
}

/* No daemon: main and the remotes' records, from the store itself. */
static int print_offline(cli_session *s, int json)
{
	sanctum_remote_info *list = NULL;
	size_t n = 0;
	char head[41] = "";
	int code = sanctum_remote_list(&list, &n, s->store);

	if (code < 0)
		return cli_store_error(code, "cannot list the remotes");
	if (sanctum_store_head(head, s->store) < 0)
		sanctum_error_clear();
	if (json) {
		json_t *o = json_object(), *remotes = json_array();

		for (size_t i = 0; i < n; i++) {
			json_t *r = json_object();

			json_object_set_new(r, "name", json_string(list[i].name));
			json_object_set_new(r, "url", json_string(list[i].url));
			json_object_set_new(r, "verified", json_string(list[i].verified));
			json_array_append_new(remotes, r);
		}
		json_object_set_new(o, "daemon", json_false());
		json_object_set_new(o, "head", json_string(head));
		json_object_set_new(o, "remotes", remotes);
		sanctum_remote_list_free(list, n);
		return cli_json_print(o) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	}
	printf("daemon     not running ('sanctum daemon' starts it)\nmain       %.12s\nremotes\n",
	       head[0] ? head : "(none)");
	for (size_t i = 0; i < n; i++)
		printf("  %-16s last verified head %.12s\n", list[i].name,
		       list[i].verified[0] ? list[i].verified : "(none yet)");
	sanctum_remote_list_free(list, n);
	return CLI_EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	cli_session s = CLI_SESSION_INIT;
	char *answer = NULL;
	const char *value;
	json_t *st;
	cli_opt_parser p;
	int id, rc, code, json = 0;

	cli_opt_parser_init(&p, &status_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == OPT_JSON)
			json = 1;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, NULL)) != CLI_EXIT_OK)
		return rc;
	code = sanctum_daemon_request(&answer, sanctum_store_path(s.store), "{\"op\":\"status\"}",
	                              10000);
	if (code == SANCTUM_ENOTFOUND) {
		sanctum_error_clear();
		rc = print_offline(&s, json);
	} else if (code < 0) {
		rc = cli_error_lib(code);
	} else if (!(st = json_loads(answer, 0, NULL))) {
		rc = cli_error("the daemon's answer is not JSON");
	} else {
		json_object_set_new(st, "daemon", json_true());
		if (json)
			rc = cli_json_print(st) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
		else {
			print_running(st);
			json_decref(st);
		}
	}
	free(answer);
	cli_session_close(&s);
	return rc;
}

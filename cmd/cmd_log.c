/*
 * `sanctum log [ID] [--json]`: the commits of main, newest first, or the revisions of one
 * document (docs/man/sanctum-log.1.md). Reading main's commits needs no identity; reading
 * a document's revisions decrypts each one, so it does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanctum/errors.h>
#include <sanctum/history.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_JSON = 1, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_ID };

static const cli_opt log_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON array with every field", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_ID, 0, NULL, "ID", "a document (id or unique prefix): list its revisions instead",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc log_doc = {
	"sanctum log", log_opts, NULL,
	"Show the commits of main, newest first: sequence number, commit, date (UTC), the\n"
	"member who signed it (city/device) and its summary. With ID, show the revisions of\n"
	"that document instead, each decrypted and checked: revision, date, author\n"
	"(city/device), commit and title.",
	"The commit messages hold counts only: what changed is in the documents, which only\n"
	"members can read.\n",
	NULL
};

/* Output in progress: a table streams, JSON is gathered and printed at the end. */
typedef struct {
	json_t *array;           /* NULL for the table */
	int failed;              /* a JSON value could not be made */
	const cli_session *session; /* for authors' names */
} log_out;

static int append(log_out *out, json_t *item)
{
	if (!item || json_array_append_new(out->array, item) != 0) {
		out->failed = 1;
		return -1;
	}
	return 0;
}

/* The message and author of a commit are whatever its maker wrote: cleaned before use. */
static int print_commit(const sanctum_log_entry *e, void *payload)
{
	log_out *out = payload;
	char *author = cli_clean_text(e->author ? e->author : "?");
	char *fingerprint = e->fingerprint ? cli_clean_text(e->fingerprint) : NULL;
	char *summary = cli_clean_text(e->summary ? e->summary : "");
	char when[32];
	json_t *o = NULL;
	int rc = 0, bad = !author || !summary || (e->fingerprint && !fingerprint);

	if (!bad && !out->array) {
		cli_format_time(when, e->time, CLI_TIME_MINUTE);
		printf("%5" PRIu64 "  %.*s  %s  %-20s  %s\n", e->seq, CLI_SHORT_ID, e->commit, when,
		       author, summary);
	} else if (!bad) {
		o = json_object();
		cli_format_time(when, e->time, CLI_TIME_ISO);
		bad |= cli_json_set(o, "seq", json_integer((json_int_t)e->seq));
		bad |= cli_json_set(o, "commit", json_string(e->commit));
		bad |= cli_json_set(o, "time", json_string(when));
		bad |= cli_json_set(o, "author", e->author ? json_string(author) : json_null());
		bad |= cli_json_set(o, "fingerprint",
		                    fingerprint ? json_string(fingerprint) : json_null());
		bad |= cli_json_set(o, "summary", json_string(summary));
		if (bad)
			json_decref(o);
		rc = append(out, bad ? NULL : o);
	}
	if (bad) {
		out->failed = 1;
		rc = -1;
	}
	free(author);
	free(fingerprint);
	free(summary);
	return rc;
}

static int print_revision(const sanctum_revision *r, void *payload)
{
	log_out *out = payload;
	const sanctum_doc *d = r->doc;
	const char *name = cli_session_author(out->session, d->author);
	char when[32], author[CLI_SHORT_FINGERPRINT + 1];

	if (!out->array) {
		cli_format_time(when, d->time, CLI_TIME_MINUTE);
		cli_short_fingerprint(author, d->author);
		printf("%4" PRIu64 "  %s  %-20s  %.*s  %s%s\n", d->rev, when, name ? name : author,
		       CLI_SHORT_ID, r->commit, d->deleted ? "[deleted] " : "",
		       d->title ? d->title : "");
		return 0;
	}
	cli_doc_view view;
	json_t *o;

	cli_doc_view_of(&view, d);
	view.author_name = name;
	o = cli_json_doc(&view);
	if (o && cli_json_set(o, "commit", json_string(r->commit)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return append(out, o);
}

int cmd_log(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	log_out out = { NULL, 0, NULL };
	const char *prefix = NULL, *value;
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	char short_id[CLI_SHORT_ID + 1];
	int id, rc, code, json = 0;
	cli_opt_parser p;

	cli_opt_parser_init(&p, &log_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_ID: prefix = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (json && !(out.array = json_array()))
		return cli_error("out of memory");
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		goto done;
	if (!prefix) {
		if (!json)
			printf("%5s  %-*s  %-16s  %-20s  %s\n", "SEQ", CLI_SHORT_ID, "COMMIT",
			       "DATE", "AUTHOR", "SUMMARY");
		code = sanctum_store_log(s.store, print_commit, &out);
		if (code != 0 && !out.failed)
			rc = cli_store_error(code, "cannot read the log of main");
	} else {
		if ((rc = cli_resolve_id(doc_id, &s, prefix)) != CLI_EXIT_OK ||
		    (rc = cli_session_members(&s)) != CLI_EXIT_OK ||
		    (rc = cli_session_identity(&s, &ida)) != CLI_EXIT_OK)
			goto done;
		out.session = &s;
		cli_short_id(short_id, doc_id);
		if (!json)
			printf("%4s  %-16s  %-20s  %-*s  %s\n", "REV", "DATE", "AUTHOR", CLI_SHORT_ID,
			       "COMMIT", "TITLE");
		code = sanctum_store_doc_log(s.store, doc_id, s.identity, print_revision, &out);
		if (code != 0 && !out.failed)
			rc = cli_store_error(code, "cannot read the revisions of document %s",
			                     short_id);
	}
	if (out.failed)
		rc = cli_error(json ? "out of memory (or a text that is not UTF-8) while making JSON"
		                    : "out of memory");
	if (rc == CLI_EXIT_OK && json) {
		rc = cli_json_print(out.array) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
		out.array = NULL;
	}
done:
	json_decref(out.array);
	cli_session_close(&s);
	return rc;
}

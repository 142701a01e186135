/*
 * `sanctum conflicts [--json]` and `sanctum resolve ID (--take HASH|current | FILE)`
 * (docs/man/sanctum-conflicts.1.md, sanctum-resolve.1.md): the losing revisions that
 * merges kept under conflicts/, and resolving a document with a new revision. The
 * library does the work (sanctum/conflicts.h); this file reads options and prints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanctum/conflicts.h>
#include <sanctum/errors.h>
#include <sodium.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_JSON = 1, OPT_TAKE, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_ID, ARG_FILE };

/* ---- conflicts -------------------------------------------------------------------------- */

static const cli_opt conflicts_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON array with every field", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc conflicts_doc = {
	"sanctum conflicts", conflicts_opts, NULL,
	"List the conflicts on main: revisions that lost when a sync merged concurrent\n"
	"changes to a document, kept whole until someone resolves the document. One line\n"
	"each: the document's short id, the conflict revision's short hash, its revision\n"
	"number, date (UTC), author and state, and the title of the current revision.",
	"Resolve a document with 'sanctum resolve ID --take HASH', '--take current' or a\n"
	"FILE; 'sanctum show ID' shows the revision that won.\n",
	NULL
};

#define SHORT_HASH 12    /* hex digits of a conflict revision's hash in the table */

static void hash_hex(char out[2 * SANCTUM_DOC_HASH_SIZE + 1],
                     const unsigned char hash[SANCTUM_DOC_HASH_SIZE])
{
	sodium_bin2hex(out, 2 * SANCTUM_DOC_HASH_SIZE + 1, hash, SANCTUM_DOC_HASH_SIZE);
}

static void print_table(const cli_session *s, const sanctum_conflict_list *list)
{
	char fpr[CLI_SHORT_FINGERPRINT + 1];
	size_t author_width = strlen("AUTHOR");
	const char *name;

	for (size_t i = 0; i < list->count; i++) {
		name = cli_session_author(s, list->items[i].author);
		if (!name) {
			cli_short_fingerprint(fpr, list->items[i].author);
			name = fpr;
		}
		if (strlen(name) > author_width)
			author_width = strlen(name);
	}
	printf("%-*s  %-*s  %4s  %-10s  %-*s  %-7s  %s\n", CLI_SHORT_ID, "ID", SHORT_HASH,
	       "CONFLICT", "REV", "DATE", (int)author_width, "AUTHOR", "STATE", "TITLE");
	for (size_t i = 0; i < list->count; i++) {
		const sanctum_conflict *c = &list->items[i];
		char id[CLI_SHORT_ID + 1], hash[2 * SANCTUM_DOC_HASH_SIZE + 1], date[32];

		cli_short_id(id, c->id);
		hash_hex(hash, c->hash);
		cli_format_time(date, c->time, CLI_TIME_DATE);
		if (!(name = cli_session_author(s, c->author))) {
			cli_short_fingerprint(fpr, c->author);
			name = fpr;
		}
		printf("%s  %.*s  %4" PRIu64 "  %-10s  %-*s  %-7s  %s\n", id, SHORT_HASH, hash,
		       c->rev, date, (int)author_width, name, c->deleted ? "deleted" : "live",
		       c->title);
	}
}

static json_t *json_conflict(const cli_session *s, const sanctum_conflict *c)
{
	char id[2 * SANCTUM_DOC_ID_SIZE + 1], hash[2 * SANCTUM_DOC_HASH_SIZE + 1], when[32];
	const char *name = cli_session_author(s, c->author);
	json_t *o = json_object();
	int bad = 0;

	cli_hex_id(id, c->id);
	hash_hex(hash, c->hash);
	cli_format_time(when, c->time, CLI_TIME_ISO);
	bad |= cli_json_set(o, "id", json_string(id));
	bad |= cli_json_set(o, "title", json_string(c->title));
	bad |= cli_json_set(o, "current_rev", json_integer((json_int_t)c->current_rev));
	bad |= cli_json_set(o, "hash", json_string(hash));
	bad |= cli_json_set(o, "rev", json_integer((json_int_t)c->rev));
	bad |= cli_json_set(o, "author", json_string(c->author));
	bad |= cli_json_set(o, "author_name", name ? json_string(name) : json_null());
	bad |= cli_json_set(o, "time", json_string(when));
	bad |= cli_json_set(o, "size", json_integer((json_int_t)c->size));
	bad |= cli_json_set(o, "state", json_string(c->deleted ? "deleted" : "live"));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_json(const cli_session *s, const sanctum_conflict_list *list)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < list->count; i++) {
		if (json_array_append_new(array, json_conflict(s, &list->items[i])) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	return cli_json_print(array) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cmd_conflicts(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_conflict_list list = { NULL, 0 };
	const char *value;
	int id, rc, json = 0, code;
	cli_opt_parser p;

	cli_opt_parser_init(&p, &conflicts_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	code = sanctum_store_conflicts(&list, s.store, s.identity);
	if (code != 0)
		rc = cli_store_error(code, "cannot list the conflicts");
	else if ((rc = cli_session_members(&s)) != CLI_EXIT_OK)
		;
	else if (json)
		rc = print_json(&s, &list);
	else if (list.count == 0)
		fputs("no conflicts\n", stderr);
	else
		print_table(&s, &list);
	sanctum_conflict_list_dispose(&list);
	cli_session_close(&s);
	return rc;
}

/* ---- resolve ---------------------------------------------------------------------------- */

static const cli_opt resolve_opts[] = {
	{ OPT_TAKE, 0, "take", "HASH", "take the conflict revision whose hash starts with HASH "
	  "(4 digits or more); 'current' keeps the current revision", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_ID, 0, NULL, "ID", "the document: its id or a unique prefix of it (4 digits or more)",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ ARG_FILE, 0, NULL, "FILE", "the resolved content instead; '-' reads standard input",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_usage resolve_take_form[] = {
	{ OPT_TAKE, CLI_USAGE_REQUIRED }, { OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 },
	{ ARG_ID, CLI_USAGE_REQUIRED }, { 0, 0 }
};
static const cli_usage resolve_file_form[] = {
	{ OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 }, { ARG_ID, CLI_USAGE_REQUIRED },
	{ ARG_FILE, CLI_USAGE_REQUIRED }, { 0, 0 }
};
static const cli_usage *const resolve_forms[] = { resolve_take_form, resolve_file_form, NULL };

static const cli_doc resolve_doc = {
	"sanctum resolve", resolve_opts, resolve_forms,
	"Resolve the conflicts of a document ('sanctum conflicts' lists them) with a new\n"
	"revision, signed by you, that follows the current one and removes every conflict\n"
	"revision of the document, in one commit.",
	"--take HASH makes the new revision from that conflict revision: its content, title,\n"
	"tags and type, and its state (a deleted one deletes the document). --take current\n"
	"keeps the current revision as it is. FILE replaces the content and keeps the\n"
	"current title, tags and type.\n",
	NULL
};

static int resolve(cli_session *s, const char *prefix, const sanctum_resolution *how)
{
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	char short_id[CLI_SHORT_ID + 1];
	int rc, code;

	if ((rc = cli_resolve_id(doc_id, s, prefix)) != CLI_EXIT_OK)
		return rc;
	cli_short_id(short_id, doc_id);
	code = sanctum_store_conflict_resolve(s->store, doc_id, how, s->identity);
	if (code != 0)
		return cli_store_error(code, "cannot resolve document %s", short_id);
	fprintf(stderr, "resolved document %s\n", short_id);
	return CLI_EXIT_OK;
}

int cmd_resolve(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_resolution how = { SANCTUM_RESOLVE_BODY, NULL, NULL, 0 };
	sanctum_buf body = SANCTUM_BUF_INIT;
	const char *prefix = NULL, *file = NULL, *take = NULL, *value;
	cli_opt_parser p;
	int id, rc = CLI_EXIT_FAILED;

	cli_opt_parser_init(&p, &resolve_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_TAKE: take = value; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_ID: prefix = value; break;
		case ARG_FILE: file = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (!take == !file)
		return cli_usage_error(&resolve_doc, take ? "--take and FILE can't be used together"
		                                          : "missing --take HASH or FILE");
	if (take && strcmp(take, "current") == 0) {
		how.kind = SANCTUM_RESOLVE_CURRENT;
	} else if (take) {
		how.kind = SANCTUM_RESOLVE_TAKE;
		how.hash = take;
	} else {
		/* The file is read before the passphrase is asked for: a typo costs nothing. */
		if (cli_read_file(&body, file, SANCTUM_DOC_MAX_BODY) < 0)
			goto done;
		how.body = body.ptr;
		how.len = body.size;
	}
	if ((rc = cli_session_open(&s, &ida)) == CLI_EXIT_OK)
		rc = resolve(&s, prefix, &how);
done:
	cli_session_close(&s);
	sanctum_buf_dispose(&body);
	return rc;
}

/*
 * `sanctum list [--tag TAG]... [--author WHO] [--all] [--json]`: the documents on main, as
 * a table or a JSON array (docs/man/sanctum-list.1.md). The list comes from the store's
 * local index (history.h), which the library keeps in step with main.
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

enum { OPT_TAG = 1, OPT_AUTHOR, OPT_ALL, OPT_JSON, OPT_IDENTITY, OPT_PASSPHRASE_FILE };

static const cli_opt list_opts[] = {
	{ OPT_TAG, 0, "tag", "TAG", "only documents with TAG; repeatable (all must match)",
	  CLI_OPT_REPEAT },
	{ OPT_AUTHOR, 0, "author", "WHO", "only documents last changed by WHO: a city, "
	  "city/device, or a key fingerprint (SHA256:...) or its start", 0 },
	{ OPT_ALL, 'a', "all", NULL, "include deleted documents", 0 },
	{ OPT_JSON, 0, "json", NULL, "print a JSON array with every field", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc list_doc = {
	"sanctum list", list_opts, NULL,
	"List the documents of the store: short id, revision, date of the last change (UTC),\n"
	"its author (city/device), title and tags. Sorted by title.",
	"Authors are named by the group's roster; their key fingerprints are in the --json\n"
	"output.\n",
	NULL
};

/*
 * Whether a document's author is the one --author names: "aldport" matches every device
 * of that city, "aldport/server" only that one, and "SHA256:..." the fingerprints that
 * start so. Names come from the roster.
 */
static int author_selected(const char *who, const char *name, const char *fingerprint)
{
	size_t len;

	if (!who)
		return 1;
	len = strlen(who);
	if (strncmp(who, "SHA256:", 7) == 0)
		return strncmp(fingerprint, who, len) == 0;
	if (!name || strncmp(name, who, len) != 0)
		return 0;
	return name[len] == '\0' || (name[len] == '/' && !strchr(who, '/'));
}

static int has_tags(const sanctum_doc_info *d, const char *const *tags, size_t ntags)
{
	for (size_t t = 0; t < ntags; t++) {
		size_t i = 0;

		while (i < d->ntags && strcmp(d->tags[i], tags[t]) != 0)
			i++;
		if (i == d->ntags)
			return 0;
	}
	return 1;
}

/* Characters, not bytes, of a UTF-8 string: what a terminal column count needs. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

#define TITLE_WIDTH_MAX 40   /* longer titles push the tags to the right */

/* The author column: "city/device", or the shortened fingerprint of a key the roster lacks. */
static const char *author_label(char short_fpr[CLI_SHORT_FINGERPRINT + 1], const cli_session *s,
                                const char *fingerprint)
{
	const char *name = cli_session_author(s, fingerprint);

	if (name)
		return name;
	cli_short_fingerprint(short_fpr, fingerprint);
	return short_fpr;
}

static void print_table(const cli_session *s, const sanctum_doc_info *const *rows, size_t count)
{
	char fpr[CLI_SHORT_FINGERPRINT + 1];
	size_t width = strlen("TITLE"), author_width = strlen("AUTHOR");

	for (size_t i = 0; i < count; i++) {
		const sanctum_doc_info *d = rows[i];
		size_t w = text_width(d->title) + (d->deleted ? strlen("[deleted] ") : 0);
		size_t aw = strlen(author_label(fpr, s, d->author));

		if (w > width)
			width = w < TITLE_WIDTH_MAX ? w : TITLE_WIDTH_MAX;
		if (aw > author_width)
			author_width = aw;
	}
	printf("%-*s  %4s  %-10s  %-*s  %-*s  %s\n", CLI_SHORT_ID, "ID", "REV", "UPDATED",
	       (int)author_width, "AUTHOR", (int)width, "TITLE", "TAGS");
	for (size_t i = 0; i < count; i++) {
		const sanctum_doc_info *d = rows[i];
		char id[CLI_SHORT_ID + 1], date[32];
		size_t w = text_width(d->title) + (d->deleted ? strlen("[deleted] ") : 0);

		cli_short_id(id, d->id);
		cli_format_time(date, d->time, CLI_TIME_DATE);
		printf("%s  %4" PRIu64 "  %-10s  %-*s  %s%s", id, d->rev, date, (int)author_width,
		       author_label(fpr, s, d->author), d->deleted ? "[deleted] " : "", d->title);
		/* Padding only where tags follow: no trailing blanks. */
		if (d->ntags)
			printf("%*s ", (int)(w < width ? width - w : 0), "");
		for (size_t t = 0; t < d->ntags; t++)
			printf(" %s", d->tags[t]);
		fputc('\n', stdout);
	}
}

static int print_json(const cli_session *s, const sanctum_doc_info *const *rows, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < count; i++) {
		const sanctum_doc_info *d = rows[i];
		cli_doc_view v = { d->id, d->rev, d->title, d->type, d->tags, d->ntags, d->author,
		                   cli_session_author(s, d->author), d->time, d->size, d->deleted };

		if (json_array_append_new(array, cli_json_doc(&v)) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	return cli_json_print(array) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cmd_list(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_doc_list list = { NULL, 0 };
	const char *who = NULL;
	const char **tags = calloc((size_t)argc, sizeof(*tags));
	const sanctum_doc_info **rows = NULL;
	size_t ntags = 0, nrows = 0;
	const char *value;
	int id, rc = CLI_EXIT_FAILED, all = 0, json = 0, code;
	cli_opt_parser p;

	if (!tags)
		return cli_error("out of memory");
	cli_opt_parser_init(&p, &list_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_TAG: tags[ntags++] = value; break;
		case OPT_AUTHOR: who = value; break;
		case OPT_ALL: all = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		}
	}
	if (id != CLI_OPT_DONE) {
		free(tags);
		return cli_opt_exit(id);
	}
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		goto done;
	code = sanctum_store_list(&list, s.store, s.identity);
	if (code != 0) {
		rc = cli_store_error(code, "cannot list the documents");
		goto done;
	}
	if ((rc = cli_session_members(&s)) != CLI_EXIT_OK)
		goto done;
	if (list.count && !(rows = calloc(list.count, sizeof(*rows)))) {
		rc = cli_error("out of memory");
		goto done;
	}
	for (size_t i = 0; i < list.count; i++) {
		const sanctum_doc_info *d = &list.items[i];

		if ((all || !d->deleted) && has_tags(d, tags, ntags) &&
		    author_selected(who, cli_session_author(&s, d->author), d->author))
			rows[nrows++] = d;
	}
	if (json)
		rc = print_json(&s, rows, nrows);
	else if (nrows == 0)
		fputs(ntags || who ? "no documents match\n" : "no documents\n", stderr);
	else
		print_table(&s, rows, nrows);
done:
	free(rows);
	sanctum_doc_list_dispose(&list);
	cli_session_close(&s);
	free(tags);
	return rc;
}

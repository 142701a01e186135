/*
 * `sanctum show ID [-o FILE] [--meta | --json]`: one document's content, or its header
 * fields (docs/man/sanctum-show.1.md). The library decrypts and checks the revision
 * (signature, author a member, id matching its path) before any of it is shown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <sanctum/errors.h>
#include <sanctum/store.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_OUTPUT = 1, OPT_META, OPT_JSON, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_ID };

static const cli_opt show_opts[] = {
	{ OPT_OUTPUT, 'o', "output", "FILE", "write the content to FILE instead of standard output",
	  0 },
	{ OPT_META, 0, "meta", NULL, "print the header fields instead of the content", 0 },
	{ OPT_JSON, 0, "json", NULL, "print the header fields as a JSON object", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_ID, 0, NULL, "ID", "the document: its id or a unique prefix of it (4 digits or more)",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc show_doc = {
	"sanctum show", show_opts, NULL,
	"Print the content of a document's current revision, after checking its signature.",
	"A document whose type is not text is not written to a terminal; use -o FILE or a\n"
	"redirection. FILE is written through a temporary file and renamed into place, so\n"
	"it is complete or absent. --meta and --json work on deleted documents too.\n",
	NULL
};

/* The header fields, one "name value" line each, in the order of the document format. */
static void print_meta(const sanctum_doc *doc)
{
	char hex[2 * SANCTUM_DOC_HASH_SIZE + 1], when[32];

	sanctum_doc_id_to_hex(hex, doc->id);
	printf("id %s\n", hex);
	printf("rev %" PRIu64 "\n", doc->rev);
	if (doc->has_parent)
		sodium_bin2hex(hex, sizeof(hex), doc->parent, sizeof(doc->parent));
	printf("parent %s\n", doc->has_parent ? hex : "none");
	if (doc->has_merged) {
		sodium_bin2hex(hex, sizeof(hex), doc->merged, sizeof(doc->merged));
		printf("merged %s\n", hex);
	}
	printf("author %s\n", doc->author);
	cli_format_time(when, doc->time, CLI_TIME_ISO);
	printf("time %s\n", when);
	printf("type %s\n", doc->type ? doc->type : "");
	printf("title %s\n", doc->title ? doc->title : "");
	for (size_t i = 0; i < doc->ntags; i++)
		printf("tag %s\n", doc->tags[i]);
	printf("size %zu\n", doc->body.size);
	printf("state %s\n", doc->deleted ? "deleted" : "live");
}

static int write_body(const sanctum_doc *doc, const char *output, const char *short_id)
{
	cli_output out;

	if (cli_is_stdio(output) && isatty(STDOUT_FILENO) && !cli_type_is_text(doc->type)) {
		cli_error("refusing to write document %s (%s) to a terminal", short_id, doc->type);
		cli_hint("use -o FILE, or redirect standard output");
		return CLI_EXIT_FAILED;
	}
	if (cli_output_open(&out, output, 0) < 0)
		return CLI_EXIT_FAILED;
	if (doc->body.size && cli_output_write(&out, doc->body.ptr, doc->body.size) < 0) {
		cli_output_report(&out);
		cli_output_abort(&out);
		return CLI_EXIT_FAILED;
	}
	return cli_output_commit(&out) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cmd_show(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_doc doc = SANCTUM_DOC_INIT;
	const char *prefix = NULL, *output = NULL, *value;
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	char short_id[CLI_SHORT_ID + 1];
	int id, rc, code, meta = 0, json = 0;
	cli_opt_parser p;

	cli_opt_parser_init(&p, &show_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_OUTPUT: output = value; break;
		case OPT_META: meta = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_ID: prefix = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (meta && json)
		return cli_usage_error(&show_doc, "--meta can't be used with --json");
	if (output && (meta || json))
		return cli_usage_error(&show_doc, "-o writes the content; it can't be used with %s",
		                       meta ? "--meta" : "--json");
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_resolve_id(doc_id, &s, prefix)) != CLI_EXIT_OK)
		goto done;
	cli_short_id(short_id, doc_id);
	code = sanctum_store_read(&doc, s.store, doc_id, s.identity);
	if (code != 0) {
		rc = cli_store_error(code, "cannot read document %s", short_id);
		goto done;
	}
	if (json) {
		cli_doc_view view;

		if ((rc = cli_session_members(&s)) != CLI_EXIT_OK)
			goto done;
		cli_doc_view_of(&view, &doc);
		view.author_name = cli_session_author(&s, doc.author);
		rc = cli_json_print(cli_json_doc(&view)) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	} else if (meta) {
		print_meta(&doc);
	} else if (doc.deleted) {
		rc = cli_error("document %s was deleted at rev %" PRIu64, short_id, doc.rev);
		cli_hint("'sanctum log %s' lists its earlier revisions", short_id);
	} else {
		rc = write_body(&doc, output, short_id);
	}
done:
	sanctum_doc_dispose(&doc);
	cli_session_close(&s);
	return rc;
}

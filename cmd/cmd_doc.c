/*
 * The commands that change documents: `sanctum add`, `sanctum update` and `sanctum rm`
 * (docs/man/sanctum-add.1.md, sanctum-update.1.md, sanctum-rm.1.md). Each change is one
 * signed commit on main; the library does the work, this file reads files and options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanctum/errors.h>
#include <sanctum/store.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"
#include "store_open.h"

enum {
	OPT_TITLE = 1,
	OPT_TAG,
	OPT_NO_TAGS,
	OPT_TYPE,
	OPT_IDENTITY,
	OPT_PASSPHRASE_FILE,
	ARG_ID,
	ARG_FILE
};

#define TITLE_OPTION(help) { OPT_TITLE, 't', "title", "TITLE", help, 0 }
#define TAG_OPTION(help) { OPT_TAG, 0, "tag", "TAG", help, CLI_OPT_REPEAT }
#define TYPE_OPTION(help) { OPT_TYPE, 0, "type", "MIME", help, 0 }

/* ---- add ------------------------------------------------------------------------------ */

static const cli_opt add_opts[] = {
	TITLE_OPTION("the title (default: the file's name; one FILE only)"),
	TAG_OPTION("a tag for every FILE; repeatable"),
	TYPE_OPTION("the MIME type of every FILE (default: guessed from the file's extension)"),
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_FILE, 0, NULL, "FILE", "a file to add; '-' reads standard input (needs --title)",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED | CLI_OPT_REPEAT },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc add_doc = {
	"sanctum add", add_opts, NULL,
	"Add files to the store as new documents, signed by you and encrypted to the group,\n"
	"all in one commit. The new documents' ids are printed, one per line.",
	"The type is guessed from the extension: .md text/markdown, .txt text/plain, .csv\n"
	"text/csv, .html text/html, .json application/json, .pdf application/pdf, .odt and\n"
	".docx their office types; anything else, and standard input, is\n"
	"application/octet-stream.\n",
	NULL
};

/* The last part of a path: the default title of a document added from a file. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int add_documents(cli_session *s, sanctum_new_doc *docs, size_t count)
{
	unsigned char (*ids)[SANCTUM_DOC_ID_SIZE] = calloc(count, sizeof(*ids));
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];
	int code;

	if (!ids)
		return cli_error("out of memory");
	code = sanctum_store_add(s->store, ids, docs, count, s->identity);
	if (code != 0) {
		free(ids);
		return cli_store_error(code, "cannot add to the store");
	}
	for (size_t i = 0; i < count; i++) {
		cli_hex_id(hex, ids[i]);
		printf("%s\n", hex);
	}
	free(ids);
	return CLI_EXIT_OK;
}

int cmd_add(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	const char **files = calloc((size_t)argc, sizeof(*files));
	const char **tags = calloc((size_t)argc, sizeof(*tags));
	sanctum_buf *bodies = calloc((size_t)argc, sizeof(*bodies));
	sanctum_new_doc *docs = calloc((size_t)argc, sizeof(*docs));
	const char *title = NULL, *type = NULL, *value;
	size_t nfiles = 0, ntags = 0, nstdin = 0;
	cli_opt_parser p;
	int id, rc = CLI_EXIT_FAILED;

	if (!files || !tags || !bodies || !docs) {
		cli_error("out of memory");
		goto done;
	}
	cli_opt_parser_init(&p, &add_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_TITLE: title = value; break;
		case OPT_TAG: tags[ntags++] = value; break;
		case OPT_TYPE: type = value; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_FILE:
			nstdin += cli_is_stdio(value);
			files[nfiles++] = value;
			break;
		}
	}
	if (id != CLI_OPT_DONE) {
		rc = cli_opt_exit(id);
		goto done;
	}
	if (nstdin > 1) {
		rc = cli_usage_error(&add_doc, "standard input ('-') can be read only once");
		goto done;
	}
	if (title && nfiles > 1) {
		rc = cli_usage_error_hint(&add_doc,
		                          "add the files one at a time to give each a title",
		                          "--title names one document, not %zu", nfiles);
		goto done;
	}
	if (nstdin && !title) {
		rc = cli_usage_error(&add_doc, "a document read from standard input needs --title");
		goto done;
	}
	/* Every file is read before the passphrase is asked for: a typo costs nothing. */
	for (size_t i = 0; i < nfiles; i++) {
		bodies[i] = (sanctum_buf)SANCTUM_BUF_INIT;
		if (cli_read_file(&bodies[i], files[i], SANCTUM_DOC_MAX_BODY) < 0)
			goto done;
		docs[i].body = bodies[i].ptr ? bodies[i].ptr : (const unsigned char *)"";
		docs[i].len = bodies[i].size;
		docs[i].title = title ? title : base_name(files[i]);
		docs[i].tags = tags;
		docs[i].ntags = ntags;
		docs[i].type = type ? type : cli_type_for_path(files[i]);
	}
	if ((rc = cli_session_open(&s, &ida)) == CLI_EXIT_OK)
		rc = add_documents(&s, docs, nfiles);
done:
	cli_session_close(&s);
	for (size_t i = 0; bodies && i < nfiles; i++)
		sanctum_buf_dispose(&bodies[i]);
	free(docs);
	free(bodies);
	free(tags);
	free(files);
	return rc;
}

/* ---- update --------------------------------------------------------------------------- */

static const cli_opt update_opts[] = {
	TITLE_OPTION("a new title (default: keep the title)"),
	TAG_OPTION("the new tags, replacing all of them; repeatable (default: keep the tags)"),
	{ OPT_NO_TAGS, 0, "no-tags", NULL, "remove every tag", 0 },
	TYPE_OPTION("a new MIME type (default: keep the type)"),
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_ID, 0, NULL, "ID", "the document: its id or a unique prefix of it (4 digits or more)",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ ARG_FILE, 0, NULL, "FILE", "its new content; '-' reads standard input",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc update_doc = {
	"sanctum update", update_opts, NULL,
	"Replace a document's content with FILE in a new revision, signed by you, that names\n"
	"the revision it replaces. The title, tags and type stay unless given.",
	NULL, NULL
};

int cmd_update(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	const char **tags = calloc((size_t)argc, sizeof(*tags));
	const char *prefix = NULL, *file = NULL, *value;
	sanctum_new_doc changes = { NULL, 0, NULL, NULL, 0, NULL };
	sanctum_buf body = SANCTUM_BUF_INIT;
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	char short_id[CLI_SHORT_ID + 1];
	int id, rc = CLI_EXIT_FAILED, no_tags = 0, code;
	cli_opt_parser p;

	if (!tags) {
		cli_error("out of memory");
		goto done;
	}
	cli_opt_parser_init(&p, &update_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_TITLE: changes.title = value; break;
		case OPT_TAG: tags[changes.ntags++] = value; break;
		case OPT_NO_TAGS: no_tags = 1; break;
		case OPT_TYPE: changes.type = value; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_ID: prefix = value; break;
		case ARG_FILE: file = value; break;
		}
	}
	if (id != CLI_OPT_DONE) {
		rc = cli_opt_exit(id);
		goto done;
	}
	if (no_tags && changes.ntags) {
		rc = cli_usage_error(&update_doc, "--no-tags can't be used with --tag");
		goto done;
	}
	if (no_tags || changes.ntags)
		changes.tags = tags;
	if (cli_read_file(&body, file, SANCTUM_DOC_MAX_BODY) < 0)
		goto done;
	changes.body = body.ptr ? body.ptr : (const unsigned char *)"";
	changes.len = body.size;
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		goto done;
	if ((rc = cli_resolve_id(doc_id, &s, prefix)) != CLI_EXIT_OK)
		goto done;
	cli_short_id(short_id, doc_id);
	code = sanctum_store_update(s.store, doc_id, &changes, s.identity);
	if (code != 0)
		rc = cli_store_error(code, "cannot update document %s", short_id);
	else
		fprintf(stderr, "updated document %s\n", short_id);
done:
	cli_session_close(&s);
	sanctum_buf_dispose(&body);
	free(tags);
	return rc;
}

/* ---- rm ------------------------------------------------------------------------------- */

static const cli_opt rm_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_ID, 0, NULL, "ID", "the document: its id or a unique prefix of it (4 digits or more)",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc rm_doc = {
	"sanctum rm", rm_opts, NULL,
	"Delete a document: a new revision, signed by you, that marks it deleted. Its earlier\n"
	"revisions stay in the history ('sanctum log ID').",
	NULL, NULL
};

int cmd_rm(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	const char *prefix = NULL, *value;
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	char short_id[CLI_SHORT_ID + 1];
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &rm_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_ID: prefix = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_resolve_id(doc_id, &s, prefix)) == CLI_EXIT_OK) {
		cli_short_id(short_id, doc_id);
		code = sanctum_store_remove(s.store, doc_id, s.identity);
		if (code != 0)
			rc = cli_store_error(code, "cannot remove document %s", short_id);
		else
			fprintf(stderr, "removed document %s\n", short_id);
	}
	cli_session_close(&s);
	return rc;
}

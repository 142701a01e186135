/*
 * `sanctum join INVITATION [DIR]`: a copy of a group's store, checked against the
 * invitation's trust anchor and verified, for a newcomer an admin has added
 * (docs/man/sanctum-join.1.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanctum/errors.h>
#include <sanctum/invite.h>

#include "cmd.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_IDENTITY = 1, OPT_PASSPHRASE_FILE, ARG_INVITE, ARG_DIR };

static const cli_opt join_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_INVITE, 0, NULL, "INVITATION", "the line 'sanctum invite' printed, as one argument; "
	  "- reads it from standard input", CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ ARG_DIR, 0, NULL, "DIR", "the folder to hold the store (default: $SANCTUM_DIR, else "
	  "the current directory)", CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc join_doc = {
	"sanctum join", join_opts, NULL,
	"Join a group with the invitation an admin gave you: fetch its store into DIR, check\n"
	"that it is the group the invitation names (its trust anchor), and verify its whole\n"
	"history as you.",
	"An admin must first add your member card ('sanctum keys show' prints it) with\n"
	"'sanctum member add'. DIR is created if missing and must not hold a store; a failed\n"
	"join leaves nothing behind. The remotes of the invitation are recorded as 'origin',\n"
	"'origin-2', ... The group's id is printed on standard output.\n",
	NULL
};

static int read_invite(sanctum_invite *invite, const char *arg)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	int code;

	if (strcmp(arg, "-") == 0) {
		if (cli_read_file(&text, "-", 2 * SANCTUM_INVITE_MAX_LINE) < 0) {
			sanctum_buf_dispose(&text);
			return CLI_EXIT_FAILED;
		}
		code = sanctum_invite_parse(invite, (const char *)text.ptr, text.size);
	} else {
		code = sanctum_invite_parse(invite, arg, strlen(arg));
	}
	sanctum_buf_dispose(&text);
	if (code < 0) {
		cli_error_core(code, "cannot read the invitation");
		cli_hint("paste the whole line that 'sanctum invite' printed, as one argument");
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

int cmd_join(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_store *store = NULL;
	const char *invite_arg = NULL, *dir = NULL, *value;
	sanctum_invite invite;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &join_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_INVITE: invite_arg = value; break;
		case ARG_DIR: dir = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (!dir)
		dir = getenv(CLI_STORE_DIR_ENV);
	if (!dir || !*dir)
		dir = ".";
	if ((rc = read_invite(&invite, invite_arg)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	code = sanctum_store_join(&store, dir, &invite, s.identity);
	if (code == 0) {
		fprintf(stderr, "joined group %s in %s; its history verifies\n",
		        sanctum_store_group_name(store), sanctum_store_path(store));
		printf("%s\n", sanctum_store_group_id(store));
	} else {
		sanctum_error_class klass = sanctum_error_last()->klass;

		/* A refused history (another group, a forged or altered store) is exit 3. */
		if (code == SANCTUM_EVERIFY && klass != SANCTUM_ERRCLASS_INVALID) {
			cli_error_core(code, "refused to join '%s'", invite.name);
			rc = CLI_EXIT_REFUSED;
		} else {
			rc = cli_error_core(code, "cannot join '%s'", invite.name);
			if (code == SANCTUM_EEXISTS)
				cli_hint("a folder holds one store; choose another DIR");
			else if (code == SANCTUM_ENOTFOUND)
				cli_hint("check the remotes of the invitation, or ask for a new one "
				         "('sanctum invite --remote URL')");
		}
	}
	sanctum_store_free(store);
	cli_session_close(&s);
	return rc;
}

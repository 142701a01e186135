/*
 * `sanctum init --group NAME [DIR]`: a new group, founded by this member
 * (docs/man/sanctum-init.1.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include <sanctum/errors.h>
#include <sanctum/store.h>

#include "cmd.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_GROUP = 1, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_DIR };

static const cli_opt init_opts[] = {
	{ OPT_GROUP, 'g', "group", "NAME", "the group's name, as members will see it", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_DIR, 0, NULL, "DIR", "the folder to hold the store (default: $SANCTUM_DIR, "
	  "else the current directory)", CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_usage init_form[] = {
	{ OPT_GROUP, CLI_USAGE_REQUIRED }, { OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 },
	{ ARG_DIR, 0 }, { 0, 0 }
};
static const cli_usage *const init_forms[] = { init_form, NULL };

static const cli_doc init_doc = {
	"sanctum init", init_opts, init_forms,
	"Create the store of a new group in DIR, founded by you: you become its first member\n"
	"and admin, and the first commit is signed with your identity.",
	"DIR is created if missing; it must not already hold a store. The store lives in\n"
	"DIR/.sanctum, a bare git repository. The group's id is printed on standard output.\n",
	NULL
};

int cmd_init(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_store *store = NULL;
	const char *group = NULL, *dir = NULL, *value;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &init_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_GROUP: group = value; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_DIR: dir = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (!group)
		return cli_usage_error(&init_doc, "missing --group NAME");
	if (!dir)
		dir = getenv(CLI_STORE_DIR_ENV);
	if (!dir || !*dir)
		dir = ".";
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	code = sanctum_store_init(&store, dir, group, s.identity);
	if (code != 0) {
		rc = cli_store_error(code, "cannot create the store in '%s'", dir);
		if (code == SANCTUM_EEXISTS)
			cli_hint("a folder holds one store; choose another DIR");
	} else {
		fprintf(stderr, "initialised group %s in %s\n", sanctum_store_group_name(store),
		        sanctum_store_path(store));
		printf("%s\n", sanctum_store_group_id(store));
	}
	sanctum_store_free(store);
	cli_session_close(&s);
	return rc;
}

/* `sanctum help [COMMAND...]`: the same text as `sanctum COMMAND... --help`. */
#include <stdlib.h>

#include "cmd.h"
#include "error.h"
#include "opt.h"

enum { ARG_COMMAND = 1, ARG_SUB };

static const cli_opt help_opts[] = {
	{ ARG_COMMAND, 0, NULL, "COMMAND", "the command to describe",
	  CLI_OPT_POSITIONAL | CLI_OPT_REST },
	{ ARG_SUB, 0, NULL, "SUBCOMMAND", "its subcommand, such as 'keygen' for 'age'",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc help_doc = {
	"sanctum help", help_opts, NULL,
	"Show the help of sanctum, or of one command as 'sanctum COMMAND --help' does.",
	NULL, NULL
};

/* Runs `COMMAND [SUBCOMMAND...] --help`, so that both spellings print the same text. */
static int help_for(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	int rc;

	if (!args)
		return cli_error("out of memory");
	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	args[argc] = "--help";
	rc = cli_cmd_run(argc + 1, args);
	free(args);
	return rc;
}

int cmd_help(int argc, char **argv)
{
	cli_opt_parser p;
	const char *value;
	int id;

	cli_opt_parser_init(&p, &help_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == ARG_COMMAND)
			return help_for(argc - (p.next - 1), argv + (p.next - 1));
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	cli_main_help(stdout);
	return CLI_EXIT_OK;
}

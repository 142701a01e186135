/*
 * Commands made of subcommands (`sanctum keys gen`, `sanctum member add`): one table, and
 * one dispatcher that gives them all the same help, usage errors and did-you-mean hints.
 */
#ifndef CLI_SUBCMD_H
#define CLI_SUBCMD_H

#include <stddef.h>

#include "cmd.h"
#include "opt.h"

typedef struct {
	const char *name;             /* what the user types after the command */
	cli_cmd_fn fn;                /* main-like; argv[0] is the subcommand's name */
	const cli_doc *doc;           /* its options; doc->prog becomes the program name */
	const char *summary;          /* one line for the command's --help */
} cli_subcommand;

typedef struct {
	const cli_doc *synopsis;      /* a chain of docs whose forms make the usage lines */
	const char *about;            /* what the command is for, after the usage lines */
	const char *details;          /* printed after the list of subcommands; may be NULL */
	const cli_subcommand *subs;
	size_t count;
} cli_subcommand_set;

/**
 * Runs the subcommand named by argv[1], or prints the command's help (-h, --help), or a
 * usage error with a close match and exit 2 for a missing or unknown subcommand.
 */
int cli_subcommand_dispatch(const cli_subcommand_set *set, int argc, char **argv);

#endif

/*
 * The commands of `sanctum`.
 *
 * Each command is a main-like function `cmd_<name>(argc, argv)` in its own cmd_<name>.c,
 * where argv[0] is the command's name, returning an exit code from error.h. It parses its
 * own options with opt.h, so `sanctum <name> --help` works without main's help.
 *
 * Adding a command: write cmd_<name>.c, declare cmd_<name> below, add one line to the
 * table in commands.c and the file to CMakeLists.txt, and write docs/man/sanctum-<name>.1.md.
 */
#ifndef CLI_CMD_H
#define CLI_CMD_H

#include <stddef.h>
#include <stdio.h>

typedef int (*cli_cmd_fn)(int argc, char **argv);

/*
 * Flags of a command: the prerequisites main sets up before calling it (an open store,
 * an unlocked identity, the store lock). No command needs one yet.
 */
#define CLI_CMD_NONE 0u

typedef struct {
	const char *name;        /* what the user types */
	cli_cmd_fn fn;
	const char *summary;     /* one line for `sanctum --help` */
	unsigned flags;          /* CLI_CMD_* */
} cli_cmd;

/** The command called `name`, or NULL. */
const cli_cmd *cli_cmd_find(const char *name);

/** The whole table, in the order `sanctum --help` lists it. */
const cli_cmd *cli_cmd_table(size_t *count);

/** Runs argv[0] as a command (main's dispatch, shared with `sanctum help`). */
int cli_cmd_run(int argc, char **argv);

/** Prints the top-level help (synopsis and the list of commands). */
void cli_main_help(FILE *out);

int cmd_age(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_keys(int argc, char **argv);

#endif

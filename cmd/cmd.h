/*
 * The commands of `sanctum`.
 *
 * Each command is a main-like function `cmd_<name>(argc, argv)` in cmd_<name>.c, or in the
 * file of its group (cmd_doc.c: add, update, rm), where argv[0] is the command's name,
 * returning an exit code from error.h. It parses its own options with opt.h, so
 * `sanctum <name> --help` works without main's help.
 *
 * Adding a command: write cmd_<name>.c, declare cmd_<name> below, add one line to the
 * table in commands.c (with the CLI_CMD_* flags it needs) and the file to CMakeLists.txt,
 * and write docs/man/sanctum-<name>.1.md.
 */
#ifndef CLI_CMD_H
#define CLI_CMD_H

#include <stddef.h>
#include <stdio.h>

typedef int (*cli_cmd_fn)(int argc, char **argv);

/*
 * Flags of a command: the prerequisites it declares. They are set up by one function,
 * cli_session_open (store_open.h), which the command calls once its own options are
 * parsed, so that `--help` and usage errors never need a store or a passphrase. The
 * table in commands.c is the one place that says which command needs what.
 */
#define CLI_CMD_NONE 0u
#define CLI_CMD_STORE 0x1u      /* an open store: $SANCTUM_DIR, or found from the cwd up */
#define CLI_CMD_IDENTITY 0x2u   /* the member's identity, unlocked (--identity and friends) */

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

/** The command being run by cli_cmd_run, or NULL before dispatch. */
const cli_cmd *cli_cmd_current(void);

/** Prints the top-level help (synopsis and the list of commands). */
void cli_main_help(FILE *out);

int cmd_add(int argc, char **argv);
int cmd_age(int argc, char **argv);
int cmd_conflicts(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_group(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_invite(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_remote(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif

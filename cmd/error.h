/*
 * Exit codes and diagnostics of the `sanctum` command.
 *
 * The exit codes are defined here and nowhere else; docs/errors.md and docs/man/sanctum.1.md
 * describe them to users. Diagnostics go to stderr and follow one shape:
 *
 *     sanctum age: decrypt 'notes.age': no identity matched any recipient
 *     hint: check that you used the right identity file (-i)
 *
 * that is lowercase, no final period, the problem first and its subject in quotes.
 */
#ifndef CLI_ERROR_H
#define CLI_ERROR_H

#include <sanctum/common.h>

enum {
	CLI_EXIT_OK = 0,        /* the command did what was asked */
	CLI_EXIT_FAILED = 1,    /* it could not: a file, a key, a passphrase, the data */
	CLI_EXIT_USAGE = 2,     /* the command line itself is wrong; nothing was done */
	CLI_EXIT_REFUSED = 3,   /* verification refused a remote's history (sync commands) */
	CLI_EXIT_NETWORK = 4,   /* sync commands: a remote could not be reached */
	CLI_EXIT_LOCKED = 5,    /* sync commands: another process holds the store */
	CLI_EXIT_NOTHING = 6    /* sync commands: nothing to pull or push */
};

/**
 * Names the running command in every diagnostic ("sanctum", "sanctum age"). The string is
 * borrowed and must outlive the command; main sets it before dispatching.
 */
void cli_set_prog(const char *prog);

/** The name set by cli_set_prog. Borrowed. */
const char *cli_prog(void);

/** Prints "<prog>: <message>" to stderr. Returns CLI_EXIT_FAILED, for `return cli_error(...)`. */
SANCTUM_PRINTF(1, 2) int cli_error(const char *fmt, ...);

/** Prints "hint: <message>" to stderr: the next step a user can take. */
SANCTUM_PRINTF(1, 2) void cli_hint(const char *fmt, ...);

/** Prints "<prog>: warning: <message>" to stderr. */
SANCTUM_PRINTF(1, 2) void cli_warning(const char *fmt, ...);

/**
 * Reports the library's last error as "<prog>: <context>: <message>", and clears it.
 * `code` is what the failed call returned; it stands in when the library left no message.
 * Returns the exit code for that failure (CLI_EXIT_FAILED).
 */
SANCTUM_PRINTF(2, 3) int cli_error_core(int code, const char *fmt, ...);

/** Like cli_error_core without context, for messages that already name their subject. */
int cli_error_lib(int code);

#endif

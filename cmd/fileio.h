/*
 * Files as the command line uses them: "-" means stdin or stdout, inputs are read whole
 * or streamed, and output files appear complete or not at all.
 *
 * Every function here reports its own failure on stderr ("cannot open 'x': ...") and
 * returns -1, so callers only return CLI_EXIT_FAILED.
 */
#ifndef CLI_FILEIO_H
#define CLI_FILEIO_H

#include <stddef.h>

#include <sanctum/buf.h>

/** Whether `path` names stdin/stdout: NULL or "-". */
int cli_is_stdio(const char *path);

/**
 * The subject of a message about `path`: "'path'", or "standard input" / "standard output"
 * (as `stdio_name`) for "-". Returns a static buffer, valid until the next call.
 */
const char *cli_subject(const char *path, const char *stdio_name);

/** Opens `path` for reading (stdin for "-" or NULL). Returns the fd or -1. */
int cli_open_input(const char *path);

/** Closes an fd from cli_open_input (stdin is left open). */
void cli_close_input(int fd);

/**
 * Appends the whole of `path` (stdin for "-") to `out`, refusing more than `max` bytes.
 * `out` may then hold a secret: the caller disposes of it (which wipes).
 */
int cli_read_file(sanctum_buf *out, const char *path, size_t max);

/* Flags of cli_output_open. */
#define CLI_OUTPUT_SECRET 0x1u  /* mode 0600 and never replace an existing file */

/**
 * An output: stdout, or a temporary file beside the final path that is renamed into
 * place by cli_output_commit and unlinked by cli_output_abort (or by a fatal signal).
 */
typedef struct {
	const char *path;        /* final path, NULL for stdout; borrowed */
	char *tmp;               /* temporary path while writing, owned */
	int fd;
	unsigned flags;          /* CLI_OUTPUT_* */
	int write_errno;         /* first failed write's errno, 0 if none */
} cli_output;

/**
 * Opens stdout (`path` NULL or "-") or a temporary file for `path`. A new file is written
 * with mode 0600 and, unless CLI_OUTPUT_SECRET, ends with mode 0666 & ~umask like any file
 * a shell creates; CLI_OUTPUT_SECRET keeps 0600 and refuses an existing `path`.
 */
int cli_output_open(cli_output *out, const char *path, unsigned flags);

/**
 * Writes all of `data`. On failure records errno in out->write_errno and returns -1
 * without printing (it is called from library callbacks); cli_output_report prints.
 */
int cli_output_write(cli_output *out, const void *data, size_t len);

/** Prints the failure recorded by cli_output_write. */
void cli_output_report(const cli_output *out);

/** Makes a file output visible under its final path. Aborts it on failure. */
int cli_output_commit(cli_output *out);

/** Discards a file output: closes and unlinks the temporary file. Safe to repeat. */
void cli_output_abort(cli_output *out);

#endif

/*
 * Command-line options: one static table per command drives the parser, the usage
 * synopsis printed on a usage error, and the `--help` text, so the three never disagree.
 *
 * Accepted forms: `-o FILE`, `-oFILE`, `--output FILE`, `--output=FILE`, clusters of short
 * flags (`-da`), `--` to end the options, and a lone `-` as a positional (stdin). Options
 * and positionals may be mixed in any order. `-h` and `--help` print the help of every
 * command whose table does not claim them.
 *
 * A command's loop:
 *
 *     cli_opt_parser p;
 *     const char *value;
 *     int id;
 *
 *     cli_opt_parser_init(&p, &doc, argc, argv);
 *     while ((id = cli_opt_next(&p, &value)) > 0)
 *             switch (id) { ... }
 *     if (id != CLI_OPT_DONE)
 *             return cli_opt_exit(id);
 */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <stdint.h>
#include <stdio.h>

#include <sanctum/common.h>

/* Flags of a cli_opt. */
#define CLI_OPT_REPEAT 0x1u      /* may be given more than once; otherwise a repeat is refused */
#define CLI_OPT_POSITIONAL 0x2u  /* a positional argument, named by value_name */
#define CLI_OPT_REQUIRED 0x4u    /* positional: must be present */
#define CLI_OPT_REST 0x8u        /* positional: parsing stops there; argv from it on is its */

typedef struct {
	int id;                  /* what cli_opt_next returns for it (> 0); 0 ends a table */
	char short_name;         /* 'o' for -o, or 0 */
	const char *long_name;   /* "output" for --output, or NULL */
	const char *value_name;  /* "FILE" if the option takes a value; a positional's name */
	const char *help;        /* one line for --help */
	unsigned flags;          /* CLI_OPT_* */
} cli_opt;

/* Flags of one item of a synopsis form. */
#define CLI_USAGE_REQUIRED 0x1u  /* shown bare, not in brackets */
#define CLI_USAGE_ALT 0x2u       /* an alternative to the item before: (-r R | -R P) */

/** One item of a synopsis form: an option or positional of the table, by id. */
typedef struct {
	int id;                  /* 0 ends a form */
	unsigned flags;          /* CLI_USAGE_* */
} cli_usage;

typedef struct cli_doc {
	const char *prog;               /* "sanctum age": starts the synopsis and the errors */
	const cli_opt *opts;            /* the table */
	const cli_usage *const *forms;  /* synopsis lines, NULL-terminated; NULL: a single line
	                                   listing the table in order */
	const char *intro;              /* a paragraph after the synopsis in --help, or NULL */
	const char *details;            /* text after the option list in --help, or NULL */
	const struct cli_doc *also;     /* a subcommand whose synopsis follows this one's */
} cli_doc;

/* What cli_opt_next returns besides an id. */
enum {
	CLI_OPT_DONE = 0,       /* no more arguments */
	CLI_OPT_HELP = -1,      /* --help was given and the help is printed */
	CLI_OPT_USAGE = -2      /* a usage error was printed */
};

typedef struct {
	const cli_doc *doc;
	int argc;
	char **argv;
	int next;               /* index of the next argv element to read */
	const char *cluster;    /* the unread rest of a "-abc" cluster, or NULL */
	int only_positionals;   /* set by "--" */
	int stopped;            /* a CLI_OPT_REST positional was returned */
	size_t positionals;     /* positionals returned so far */
	uint64_t seen;          /* options given so far, by table index */
} cli_opt_parser;

/** Prepares to parse argv[1..argc-1]; argv[0] is the command's name. */
void cli_opt_parser_init(cli_opt_parser *p, const cli_doc *doc, int argc, char **argv);

/**
 * Reads the next option or positional: returns its id and points `*value` at its value
 * (NULL for a flag), or CLI_OPT_DONE at the end, or CLI_OPT_HELP / CLI_OPT_USAGE once the
 * help or a usage error has been printed. After a CLI_OPT_REST positional, p->next - 1 is
 * its index in argv.
 */
int cli_opt_next(cli_opt_parser *p, const char **value);

/** The exit code for CLI_OPT_HELP or CLI_OPT_USAGE. */
int cli_opt_exit(int status);

/** Prints "usage: ..." and one "   or: ..." line per further synopsis form. */
void cli_usage_print(FILE *out, const cli_doc *doc);

/**
 * Prints "<prog>: <message>" and the synopsis to stderr and returns CLI_EXIT_USAGE, for
 * command lines the parser accepts but the command cannot (conflicting options).
 */
SANCTUM_PRINTF(2, 3) int cli_usage_error(const cli_doc *doc, const char *fmt, ...);

/** Like cli_usage_error, with a hint line between the message and the synopsis. */
SANCTUM_PRINTF(3, 4) int cli_usage_error_hint(const cli_doc *doc, const char *hint,
                                              const char *fmt, ...);

/** Prints the full help: synopsis, intro, options and positionals, details. */
void cli_help_print(FILE *out, const cli_doc *doc);

#endif

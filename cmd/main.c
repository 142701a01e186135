/*
 * `sanctum`: global options, dispatch to the commands of commands.c, and the final check
 * that everything written to stdout really reached it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanctum/sanctum.h>
#include <sanctum/transport.h>

#include "cmd.h"
#include "error.h"
#include "opt.h"
#include "suggest.h"

enum { OPT_VERSION = 1, OPT_HELP, OPT_DIR, ARG_COMMAND, ARG_ARGS };

static const cli_opt main_opts[] = {
	{ OPT_VERSION, 0, "version", NULL, "print the versions of sanctum and its libraries", 0 },
	{ OPT_HELP, 'h', "help", NULL, "show this help and exit", 0 },
	{ OPT_DIR, 'C', NULL, "DIR", "run as if sanctum was started in DIR", 0 },
	{ ARG_COMMAND, 0, NULL, "<command>", "one of the commands below",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED | CLI_OPT_REST },
	{ ARG_ARGS, 0, NULL, "<args>", "the command's own options and arguments",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc main_doc = {
	"sanctum", main_opts, NULL,
	"Keep a shared library of signed, encrypted documents in sync over git.",
	NULL, NULL
};

void cli_main_help(FILE *out)
{
	size_t count;
	const cli_cmd *cmds = cli_cmd_table(&count);

	cli_help_print(out, &main_doc);
	fputs("\ncommands:\n", out);
	for (size_t i = 0; i < count; i++)
		fprintf(out, "    %-12s%s\n", cmds[i].name, cmds[i].summary);
	fputs("\nRun 'sanctum help <command>' to read about one command.\n", out);
}

static int unknown_command(const char *name)
{
	size_t count;
	const cli_cmd *cmds = cli_cmd_table(&count);
	cli_suggestion s;

	fprintf(stderr, "%s: unknown command '%s'\n", cli_prog(), name);
	cli_suggest_init(&s, name);
	for (size_t i = 0; i < count; i++)
		cli_suggest_consider(&s, cmds[i].name);
	cli_suggest_hint(&s, "");
	cli_usage_print(stderr, &main_doc);
	return CLI_EXIT_USAGE;
}

static const cli_cmd *current_cmd;

const cli_cmd *cli_cmd_current(void)
{
	return current_cmd;
}

int cli_cmd_run(int argc, char **argv)
{
	static char prog[64];
	const cli_cmd *cmd = cli_cmd_find(argv[0]);

	if (!cmd)
		return unknown_command(argv[0]);
	snprintf(prog, sizeof(prog), "sanctum %s", cmd->name);
	cli_set_prog(prog);
	current_cmd = cmd;
	return cmd->fn(argc, argv);
}

/* -C DIR, as git has it: every relative path, and the search for the store, start there. */
static int change_dir(const char *dir)
{
	if (chdir(dir) != 0)
		return cli_error("cannot change to '%s': %s", dir, strerror(errno));
	return 0;
}

static void print_version(void)
{
	const char *core = sanctum_version_string();
	const char *transport = sanctum_transport_version_string();
	size_t len = strlen(core);

	/* The core names itself and its libraries in parentheses; libuv joins that list. */
	if (len > 0 && core[len - 1] == ')')
		printf("%.*s, %s)\n", (int)(len - 1), core, transport);
	else
		printf("%s (%s)\n", core, transport);
}

static int run(int argc, char **argv)
{
	cli_opt_parser p;
	const char *value;
	int id;

	if (argc < 2) {
		cli_main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	cli_opt_parser_init(&p, &main_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_VERSION:
			print_version();
			return CLI_EXIT_OK;
		case OPT_HELP:
			cli_main_help(stdout);
			return CLI_EXIT_OK;
		case OPT_DIR:
			if (change_dir(value) != 0)
				return CLI_EXIT_FAILED;
			break;
		case ARG_COMMAND:
			return cli_cmd_run(argc - (p.next - 1), argv + (p.next - 1));
		}
	}
	return cli_opt_exit(id);
}

/*
 * Opens /dev/null on any of fds 0-2 that the caller closed, as git does, so that a file
 * this process opens can never become its stdout by accident.
 */
static int sanitize_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int null_fd = open("/dev/null", O_RDWR);
		if (null_fd < 0)
			return -1;
		if (null_fd > 2) {
			close(null_fd);
			return -1;
		}
	}
	return 0;
}

/*
 * A full disk or a broken device must not pass for success, so stdout is flushed and
 * closed here and any failure turns the exit code into CLI_EXIT_FAILED (git's
 * run_builtin does the same).
 */
static int close_stdout(int rc)
{
	struct stat st;
	int failed = 0, err = 0;

	if (fstat(STDOUT_FILENO, &st) != 0)
		return rc;
	if (fflush(stdout) != 0) {
		failed = 1;
		err = errno;
	} else if (ferror(stdout)) {
		failed = 1;
	}
	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		err = errno;
	}
	if (!failed)
		return rc;
	if (err)
		cli_error("write failure on standard output: %s", strerror(err));
	else
		cli_error("write failure on standard output");
	return rc == CLI_EXIT_OK ? CLI_EXIT_FAILED : rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (sanitize_std_fds() < 0 || sanctum_init() < 0) {
		cli_error("cannot start: no usable /dev/null or entropy source");
		return CLI_EXIT_FAILED;
	}
	rc = run(argc, argv);
	rc = close_stdout(rc);
	sanctum_shutdown();
	return rc;
}

/*
 * `sanctum age`: the age v1 file tool, with the flags of the stock `age` command
 * (docs/man/sanctum-age.1.md). This file reads and checks the command line; age_keys.c
 * and age_run.c do the work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "age_cli.h"
#include "cmd.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"

enum {
	OPT_PASSPHRASE_FILE = 256,
	OPT_WORK_FACTOR,
	OPT_MAX_WORK_FACTOR,
	ARG_INPUT
};

static const cli_opt age_opts[] = {
	{ 'e', 'e', "encrypt", NULL, "encrypt the input (the default)", 0 },
	{ 'd', 'd', "decrypt", NULL, "decrypt the input", 0 },
	{ 'o', 'o', "output", "OUTPUT", "write the result to the file OUTPUT", 0 },
	{ 'a', 'a', "armor", NULL, "encrypt to the PEM-armored text form", 0 },
	{ 'p', 'p', "passphrase", NULL, "encrypt with a passphrase", 0 },
	{ 'r', 'r', "recipient", "RECIPIENT", "encrypt to RECIPIENT (age1...); repeatable",
	  CLI_OPT_REPEAT },
	{ 'R', 'R', "recipients-file", "PATH", "encrypt to the recipients listed in PATH; "
	  "repeatable", CLI_OPT_REPEAT },
	{ 'i', 'i', "identity", "PATH", "use the identity file PATH; repeatable",
	  CLI_OPT_REPEAT },
	{ OPT_PASSPHRASE_FILE, 0, "passphrase-file", "PATH",
	  "read the passphrase from the first line of PATH", 0 },
	{ OPT_WORK_FACTOR, 0, "work-factor", "N",
	  "scrypt work factor (log2) for -p, 1 to 30 (default 18)", 0 },
	{ OPT_MAX_WORK_FACTOR, 0, "max-work-factor", "N",
	  "highest scrypt work factor to decrypt, 1 to 30 (default 22)", 0 },
	{ ARG_INPUT, 0, NULL, "INPUT", "the file to read (default: standard input)",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_usage form_recipients[] = {
	{ 'e', 0 }, { 'r', CLI_USAGE_REQUIRED }, { 'R', CLI_USAGE_ALT }, { 'a', 0 }, { 'o', 0 },
	{ ARG_INPUT, 0 }, { 0, 0 }
};
static const cli_usage form_passphrase[] = {
	{ 'e', 0 }, { 'p', CLI_USAGE_REQUIRED }, { OPT_WORK_FACTOR, 0 },
	{ OPT_PASSPHRASE_FILE, 0 }, { 'a', 0 }, { 'o', 0 }, { ARG_INPUT, 0 }, { 0, 0 }
};
static const cli_usage form_decrypt[] = {
	{ 'd', CLI_USAGE_REQUIRED }, { 'i', 0 }, { OPT_MAX_WORK_FACTOR, 0 },
	{ OPT_PASSPHRASE_FILE, 0 }, { 'o', 0 }, { ARG_INPUT, 0 }, { 0, 0 }
};
static const cli_usage *const age_forms[] = {
	form_recipients, form_passphrase, form_decrypt, NULL
};

static const cli_doc age_doc = {
	"sanctum age", age_opts, age_forms,
	"Encrypt and decrypt files in the age v1 format, as the stock age tool does: its\n"
	"files open with sanctum and sanctum's with age.",
	"INPUT defaults to standard input and OUTPUT to standard output; \"-\" names them\n"
	"too. OUTPUT is written to a temporary file beside it and renamed into place only\n"
	"when the whole input was processed, so a failure never leaves a partial OUTPUT;\n"
	"an existing OUTPUT is replaced. Binary ciphertext is never written to a terminal.\n"
	"\n"
	"RECIPIENT is an age public key (\"age1...\"). Recipients files and identity files\n"
	"hold one key per line; empty lines and lines starting with \"#\" are ignored. An\n"
	"identity file may itself be a passphrase-encrypted age file. \"-\" reads a\n"
	"recipients or identity file from standard input. With an explicit -e, -i encrypts\n"
	"to the recipient of each identity in the file.\n"
	"\n"
	"Passphrases are read from the terminal, never from the command line or the\n"
	"environment; scripts use --passphrase-file. --passphrase-file, --work-factor and\n"
	"--max-work-factor are sanctum's own additions to age's flags.\n"
	"\n"
	"Run 'sanctum age keygen --help' to make keys.\n",
	&age_keygen_doc
};

size_t age_args_count(const age_args *args, char kind)
{
	size_t n = 0;

	for (size_t i = 0; i < args->nkeys; i++)
		n += args->keys[i].kind == kind;
	return n;
}

/* A work factor: log2 of scrypt's N, 1 to 30 as the age specification allows. */
static int parse_work_factor(const char *value, const char *option, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < 1 || n > 30)
		return cli_usage_error(&age_doc, "invalid %s '%s': expected a number from 1 to 30",
		                       option, value);
	*out = (int)n;
	return 0;
}

/*
 * Reads the command line into args. Returns 0 to go on, or -1 when the command is over
 * (help printed, or a usage error) with its exit code in *exit_code.
 */
static int parse(age_args *args, int argc, char **argv, int *exit_code)
{
	cli_opt_parser p;
	const char *value;
	int id = 0, rc = 0;

	cli_opt_parser_init(&p, &age_doc, argc, argv);
	while (rc == 0 && (id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case 'e': args->encrypt = 1; break;
		case 'd': args->decrypt = 1; break;
		case 'a': args->armor = 1; break;
		case 'p': args->passphrase = 1; break;
		case 'o': args->output = value; break;
		case OPT_PASSPHRASE_FILE: args->passphrase_file = value; break;
		case ARG_INPUT: args->input = value; break;
		case OPT_WORK_FACTOR:
			rc = parse_work_factor(value, "--work-factor", &args->work_factor);
			break;
		case OPT_MAX_WORK_FACTOR:
			rc = parse_work_factor(value, "--max-work-factor", &args->max_work_factor);
			break;
		default:
			args->keys[args->nkeys].kind = (char)id;
			args->keys[args->nkeys++].value = value;
		}
	}
	*exit_code = rc ? rc : cli_opt_exit(id);
	return rc == 0 && id == CLI_OPT_DONE ? 0 : -1;
}

static int check_decrypt(const age_args *args)
{
	const char *key_hint = "did you mean -i/--identity to give a secret key?";

	if (args->encrypt)
		return cli_usage_error(&age_doc, "-e/--encrypt can't be used with -d/--decrypt");
	if (args->armor)
		return cli_usage_error_hint(&age_doc, "armored files are detected automatically",
		                            "-a/--armor can't be used with -d/--decrypt");
	if (args->passphrase)
		return cli_usage_error_hint(&age_doc,
		                            "passphrase-encrypted files are detected automatically",
		                            "-p/--passphrase can't be used with -d/--decrypt");
	if (age_args_count(args, 'r'))
		return cli_usage_error_hint(&age_doc, key_hint,
		                            "-r/--recipient can't be used with -d/--decrypt");
	if (age_args_count(args, 'R'))
		return cli_usage_error_hint(&age_doc, key_hint,
		                            "-R/--recipients-file can't be used with -d/--decrypt");
	if (args->work_factor)
		return cli_usage_error_hint(&age_doc, "--max-work-factor limits what is accepted",
		                            "--work-factor can't be used with -d/--decrypt");
	return 0;
}

static int check_encrypt(const age_args *args)
{
	size_t keys = args->nkeys;

	if (args->max_work_factor)
		return cli_usage_error(&age_doc, "--max-work-factor is for -d/--decrypt");
	if (age_args_count(args, 'i') && !args->encrypt)
		return cli_usage_error_hint(&age_doc, "did you forget -d/--decrypt?",
		                            "-i/--identity can't be used to encrypt unless "
		                            "-e/--encrypt is given");
	if (args->passphrase && keys)
		return cli_usage_error(&age_doc, "-p/--passphrase can't be combined with "
		                       "-r/--recipient, -R/--recipients-file or -i/--identity");
	if (!args->passphrase && !keys)
		return cli_usage_error_hint(&age_doc, "did you forget -r/--recipient, "
		                            "-R/--recipients-file or -p/--passphrase?",
		                            "missing recipients");
	if (!args->passphrase && args->work_factor)
		return cli_usage_error(&age_doc, "--work-factor needs -p/--passphrase");
	if (!args->passphrase && args->passphrase_file)
		return cli_usage_error(&age_doc, "--passphrase-file needs -p/--passphrase or "
		                       "-d/--decrypt");
	return 0;
}

/* Standard input can feed one thing only. */
static int check_stdin(const age_args *args)
{
	size_t users = cli_is_stdio(args->input);

	for (size_t i = 0; i < args->nkeys; i++)
		users += args->keys[i].kind != 'r' && strcmp(args->keys[i].value, "-") == 0;
	if (args->passphrase_file)
		users += strcmp(args->passphrase_file, "-") == 0;
	if (users > 1)
		return cli_usage_error_hint(&age_doc, "INPUT is standard input when it is not given",
		                            "standard input is used for more than one purpose");
	return 0;
}

int cmd_age(int argc, char **argv)
{
	age_args args;
	int rc;

	if (argc > 1 && strcmp(argv[1], "keygen") == 0)
		return cmd_age_keygen(argc - 1, argv + 1);
	memset(&args, 0, sizeof(args));
	args.keys = calloc((size_t)argc, sizeof(*args.keys));
	if (!args.keys)
		return cli_error("out of memory");
	if (parse(&args, argc, argv, &rc) < 0)
		goto done;
	rc = args.decrypt ? check_decrypt(&args) : check_encrypt(&args);
	if (rc == 0)
		rc = check_stdin(&args);
	if (rc == 0)
		rc = args.decrypt ? age_decrypt_run(&args) : age_encrypt_run(&args);
done:
	free(args.keys);
	return rc;
}

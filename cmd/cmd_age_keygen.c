/*
 * `sanctum age keygen`: makes an age X25519 identity as age-keygen does, or with -y
 * prints the recipients of an identity file.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sanctum/errors.h>

#include "age_cli.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"

enum { ARG_INPUT = 256 };

static const cli_opt keygen_opts[] = {
	{ 'o', 'o', "output", "OUTPUT",
	  "write to the new file OUTPUT (mode 0600; never overwritten)", 0 },
	{ 'y', 'y', NULL, NULL, "print the recipients of an identity file instead", 0 },
	{ ARG_INPUT, 0, NULL, "INPUT", "the identity file for -y (default: standard input)",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_usage form_generate[] = { { 'o', 0 }, { 0, 0 } };
static const cli_usage form_convert[] = {
	{ 'y', CLI_USAGE_REQUIRED }, { 'o', 0 }, { ARG_INPUT, 0 }, { 0, 0 }
};
static const cli_usage *const keygen_forms[] = { form_generate, form_convert, NULL };

const cli_doc age_keygen_doc = {
	"sanctum age keygen", keygen_opts, keygen_forms,
	"Make a new age X25519 identity, as age-keygen does, and print it with its public\n"
	"key; or with -y, print the recipient of each identity in an identity file.",
	"With -o, the public key is also printed on standard error. The new file is made\n"
	"beside OUTPUT and linked into place, so it is never half written and an existing\n"
	"OUTPUT is never replaced.\n",
	NULL
};

/* Warns when the secret key goes to a world-readable file, as age-keygen does. */
static void warn_if_world_readable(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IROTH))
		cli_warning("writing the secret key to a world-readable file");
}

/*
 * Checks that the encoded secret key reads back as the same key before anyone relies on
 * it: a bug in the encoder must not cost someone their files.
 */
static int recheck(const sanctum_buf *secret, const sanctum_buf *pub)
{
	sanctum_age_identity *again = NULL;
	sanctum_age_recipient *r = NULL;
	sanctum_buf pub_again = SANCTUM_BUF_INIT;
	int code;

	code = sanctum_age_identity_parse(&again, (const char *)secret->ptr, secret->size);
	if (code == 0)
		code = sanctum_age_identity_to_recipient(&r, again);
	if (code == 0)
		code = sanctum_age_recipient_encode(&pub_again, r);
	if (code == 0 && (pub_again.size != pub->size ||
	                  memcmp(pub_again.ptr, pub->ptr, pub->size) != 0))
		code = SANCTUM_ERROR;
	sanctum_buf_dispose(&pub_again);
	sanctum_age_recipient_free(r);
	sanctum_age_identity_free(again);
	return code;
}

/* "# created: ...", "# public key: age1...", then the secret key, into `text`. */
static int make_key(sanctum_buf *text, sanctum_buf *pub)
{
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *r = NULL;
	sanctum_buf secret = SANCTUM_BUF_INIT;
	char created[32];
	time_t now = time(NULL);
	struct tm tm;
	int code;

	code = sanctum_age_identity_generate(&id);
	if (code == 0)
		code = sanctum_age_identity_to_recipient(&r, id);
	if (code == 0)
		code = sanctum_age_recipient_encode(pub, r);
	if (code == 0)
		code = sanctum_age_identity_encode(&secret, id);
	if (code == 0 && recheck(&secret, pub) != 0) {
		cli_error("the new key does not read back as itself; nothing was written");
		code = SANCTUM_ERROR;
		goto done;
	}
	if (code < 0) {
		cli_error_core(code, "cannot make a key");
		goto done;
	}
	if (!gmtime_r(&now, &tm) || !strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(created, sizeof(created), "unknown");
	if (sanctum_buf_puts(text, "# created: ") < 0 || sanctum_buf_puts(text, created) < 0 ||
	    sanctum_buf_puts(text, "\n# public key: ") < 0 ||
	    sanctum_buf_put(text, pub->ptr, pub->size) < 0 || sanctum_buf_puts(text, "\n") < 0 ||
	    sanctum_buf_put(text, secret.ptr, secret.size) < 0 || sanctum_buf_puts(text, "\n") < 0) {
		cli_error("out of memory");
		code = SANCTUM_ENOMEM;
	}
done:
	sanctum_buf_dispose(&secret);
	sanctum_age_recipient_free(r);
	sanctum_age_identity_free(id);
	return code;
}

/* One "age1..." line per identity of the file. */
static int make_recipients(sanctum_buf *text, const char *input)
{
	sanctum_age_identity_list ids = SANCTUM_AGE_LIST_INIT;
	sanctum_buf pub = SANCTUM_BUF_INIT;
	int rc = age_identity_file_load(&ids, input, NULL);

	for (size_t i = 0; rc == CLI_EXIT_OK && i < ids.count; i++) {
		sanctum_age_recipient *r = NULL;
		int code = sanctum_age_identity_to_recipient(&r, ids.items[i]);

		if (code == 0)
			code = sanctum_age_recipient_encode(&pub, r);
		sanctum_age_recipient_free(r);
		if (code < 0) {
			rc = cli_error_core(code, "identity file %s",
			                    cli_subject(input, "standard input"));
		} else if (sanctum_buf_put(text, pub.ptr, pub.size) < 0 ||
		           sanctum_buf_puts(text, "\n") < 0) {
			rc = cli_error("out of memory");
		}
	}
	sanctum_buf_dispose(&pub);
	sanctum_age_identity_list_dispose(&ids);
	return rc;
}

static int run(int convert, const char *input, const char *output)
{
	sanctum_buf text = SANCTUM_BUF_INIT, pub = SANCTUM_BUF_INIT;
	cli_output out = { NULL, NULL, -1, 0, 0 };
	int rc = CLI_EXIT_FAILED;

	/* Opened first, so that an existing OUTPUT is refused before any work. */
	if (cli_output_open(&out, output, CLI_OUTPUT_SECRET) < 0)
		goto done;
	if (convert) {
		if (make_recipients(&text, input) != CLI_EXIT_OK)
			goto done;
	} else {
		if (make_key(&text, &pub) < 0)
			goto done;
		if (cli_is_stdio(output))
			warn_if_world_readable();
	}
	if (cli_output_write(&out, text.ptr, text.size) < 0) {
		cli_output_report(&out);
		goto done;
	}
	if (cli_output_commit(&out) < 0)
		goto done;
	if (!convert && !cli_is_stdio(output))
		fprintf(stderr, "Public key: %.*s\n", (int)pub.size, (const char *)pub.ptr);
	rc = CLI_EXIT_OK;
done:
	cli_output_abort(&out);
	sanctum_buf_dispose(&pub);
	sanctum_buf_dispose(&text);
	return rc;
}

int cmd_age_keygen(int argc, char **argv)
{
	cli_opt_parser p;
	const char *value, *input = NULL, *output = NULL;
	int id, convert = 0;

	cli_set_prog(age_keygen_doc.prog);
	cli_opt_parser_init(&p, &age_keygen_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		if (id == 'o')
			output = value;
		else if (id == 'y')
			convert = 1;
		else
			input = value;
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (input && !convert)
		return cli_usage_error_hint(&age_keygen_doc, "did you mean -y?",
		                            "INPUT can only be given with -y");
	return run(convert, input, output);
}

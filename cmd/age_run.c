/*
 * The data path of `sanctum age`: the input is read 64 KiB at a time and pushed through
 * the library's streaming encryptor or decryptor, whose output goes straight to the
 * output file or stdout, so memory stays constant whatever the size of the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sanctum/errors.h>

#include "age_cli.h"
#include "error.h"
#include "fileio.h"
#include "passphrase.h"

#define READ_SIZE (64u * 1024)
#define READ_FAILED 1            /* pump's result when a read error was printed */

typedef int (*feed_fn)(void *state, const void *data, size_t len);

static int feed_encryptor(void *state, const void *data, size_t len)
{
	return sanctum_age_encryptor_update(state, data, len);
}

static int feed_decryptor(void *state, const void *data, size_t len)
{
	return sanctum_age_decryptor_update(state, data, len);
}

static int write_output(const unsigned char *data, size_t len, void *payload)
{
	return cli_output_write(payload, data, len) == 0 ? 0 : SANCTUM_ERROR;
}

/*
 * Feeds all of `fd` to `feed`. Returns 0, READ_FAILED once a read error is printed, or
 * the negative code `feed` returned.
 */
static int pump(int fd, const char *input, feed_fn feed, void *state)
{
	unsigned char *buf = malloc(READ_SIZE);
	int rc = 0;

	if (!buf) {
		cli_error("out of memory");
		return READ_FAILED;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("cannot read %s: %s", cli_subject(input, "standard input"),
			          strerror(errno));
			rc = READ_FAILED;
			break;
		}
		if (n == 0 || (rc = feed(state, buf, (size_t)n)) != 0)
			break;
	}
	/* When encrypting, this held plaintext. */
	sodium_memzero(buf, READ_SIZE);
	free(buf);
	return rc;
}

void age_hint(int code, const age_args *args)
{
	switch (code) {
	case SANCTUM_ENOMATCH:
		if (age_args_count(args, 'i') == 0)
			cli_hint("the file is encrypted to keys: give an identity file with -i");
		else
			cli_hint("check that you used the right identity file (-i)");
		break;
	case SANCTUM_EBADPASS:
		cli_hint("passphrases are case-sensitive; check it and try again");
		break;
	case SANCTUM_EWORKFACTOR:
		cli_hint("if you trust the file, allow more work with --max-work-factor N "
		         "(at most 30)");
		break;
	case SANCTUM_EHEADER:
		cli_hint("check that the input is a complete age file");
		break;
	case SANCTUM_EARMOR:
		cli_hint("check that the armored text was copied whole and unchanged");
		break;
	case SANCTUM_EMAC:
	case SANCTUM_EPAYLOAD:
	case SANCTUM_ETRAILING:
		cli_hint("the file was changed after it was encrypted; get an intact copy");
		break;
	case SANCTUM_ETRUNCATED:
		cli_hint("the file is incomplete; copy it again from its source");
		break;
	default:
		break;
	}
}

/* Reports why the stream stopped: our write, our passphrase prompt, or the data. */
static int report(int code, const cli_output *out, const cli_passphrase *pp,
                  const age_args *args, const char *what)
{
	if (code == READ_FAILED)
		return CLI_EXIT_FAILED;
	if (out->write_errno) {
		cli_output_report(out);
		return CLI_EXIT_FAILED;
	}
	if (pp && pp->reported)
		return CLI_EXIT_FAILED;
	cli_error_core(code, "%s %s", what, cli_subject(args->input, "standard input"));
	age_hint(code, args);
	return CLI_EXIT_FAILED;
}

/* Writes the output, keeping it only if the whole stream succeeded. */
static int finish_output(int code, cli_output *out, const cli_passphrase *pp,
                         const age_args *args, const char *what)
{
	if (code != 0) {
		cli_output_abort(out);
		return report(code, out, pp, args, what);
	}
	return cli_output_commit(out) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int passphrase_recipient(sanctum_age_recipient_list *list, const age_args *args)
{
	sanctum_buf pass = SANCTUM_BUF_INIT;
	sanctum_age_recipient *r = NULL;
	cli_passphrase pp = { args->passphrase_file, "Enter passphrase", 1, 0 };
	int code;

	if (cli_passphrase_get(&pass, &pp) < 0) {
		sanctum_buf_dispose(&pass);
		return CLI_EXIT_FAILED;
	}
	code = sanctum_age_recipient_from_passphrase(&r, (const char *)pass.ptr, pass.size,
	                                             args->work_factor);
	sanctum_buf_dispose(&pass);
	if (code == 0 && (code = sanctum_age_recipient_list_add(list, r)) < 0)
		sanctum_age_recipient_free(r);
	return code < 0 ? cli_error_core(code, "passphrase") : CLI_EXIT_OK;
}

static int refuse_binary_to_terminal(const age_args *args)
{
	if (!cli_is_stdio(args->output) || args->armor || !isatty(STDOUT_FILENO))
		return 0;
	cli_error("refusing to write binary ciphertext to a terminal");
	cli_hint("use -a/--armor or -o FILE");
	return 1;
}

int age_encrypt_run(const age_args *args)
{
	sanctum_age_recipient_list list = SANCTUM_AGE_LIST_INIT;
	sanctum_age_encryptor *enc = NULL;
	cli_output out = { NULL, NULL, -1, 0, 0 };
	int fd, code, rc;

	if (refuse_binary_to_terminal(args))
		return CLI_EXIT_FAILED;
	if ((fd = cli_open_input(args->input)) < 0)
		return CLI_EXIT_FAILED;
	rc = args->passphrase ? passphrase_recipient(&list, args)
	                      : age_recipients_load(&list, args);
	if (rc != CLI_EXIT_OK)
		goto done;
	if (cli_output_open(&out, args->output, 0) < 0) {
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	code = sanctum_age_encryptor_new(&enc, (const sanctum_age_recipient *const *)list.items,
	                                 list.count, args->armor ? SANCTUM_AGE_ARMOR : 0,
	                                 write_output, &out);
	if (code == 0)
		code = pump(fd, args->input, feed_encryptor, enc);
	if (code == 0)
		code = sanctum_age_encryptor_finish(enc);
	rc = finish_output(code, &out, NULL, args, "encrypt");
done:
	sanctum_age_encryptor_free(enc);
	sanctum_age_recipient_list_dispose(&list);
	cli_close_input(fd);
	return rc;
}

int age_decrypt_run(const age_args *args)
{
	sanctum_age_identity_list list = SANCTUM_AGE_LIST_INIT;
	sanctum_age_decryptor *dec = NULL;
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	cli_passphrase pp = { args->passphrase_file, "Enter passphrase", 0, 0 };
	cli_output out = { NULL, NULL, -1, 0, 0 };
	int fd, code, rc;

	if ((fd = cli_open_input(args->input)) < 0)
		return CLI_EXIT_FAILED;
	rc = age_identities_load(&list, args);
	if (rc != CLI_EXIT_OK)
		goto done;
	if (cli_output_open(&out, args->output, 0) < 0) {
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	/* The library asks only if the file really is passphrase-encrypted. */
	opts.max_work_factor = args->max_work_factor;
	opts.passphrase = cli_passphrase_cb;
	opts.passphrase_payload = &pp;
	code = sanctum_age_decryptor_new(&dec, (const sanctum_age_identity *const *)list.items,
	                                 list.count, &opts, write_output, &out);
	if (code == 0)
		code = pump(fd, args->input, feed_decryptor, dec);
	if (code == 0)
		code = sanctum_age_decryptor_finish(dec);
	rc = finish_output(code, &out, &pp, args, "decrypt");
done:
	sanctum_age_decryptor_free(dec);
	sanctum_age_identity_list_dispose(&list);
	cli_close_input(fd);
	return rc;
}

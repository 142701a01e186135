/* Keys for `sanctum age`: -r strings, -R recipients files, -i identity files. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sanctum/errors.h>

#include "age_cli.h"
#include "error.h"
#include "fileio.h"
#include "passphrase.h"

/* Key files are small; a larger one is a mistake (a wrong path), not a key file. */
#define KEY_FILE_MAX (16u * 1024 * 1024)

/* The library's parsers take text and a length; an empty file has no buffer at all. */
static const char *text_of(const sanctum_buf *buf)
{
	return buf->ptr ? (const char *)buf->ptr : "";
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void recipient_hint(const char *value)
{
	if (starts_with(value, "AGE-SECRET-KEY-"))
		cli_hint("that is a secret key; give its recipient, which "
		         "'sanctum age keygen -y' prints");
	else if (starts_with(value, "ssh-"))
		cli_hint("ssh keys are not supported; use an age1... recipient");
	else if (!starts_with(value, "age1"))
		cli_hint("an age recipient starts with 'age1'");
}

static int add_recipient(sanctum_age_recipient_list *list, sanctum_age_recipient *r)
{
	int code = sanctum_age_recipient_list_add(list, r);

	if (code < 0) {
		sanctum_age_recipient_free(r);
		return cli_error_core(code, "recipient");
	}
	return CLI_EXIT_OK;
}

static int load_recipient(sanctum_age_recipient_list *list, const char *value)
{
	sanctum_age_recipient *r = NULL;
	int code = sanctum_age_recipient_parse(&r, value, strlen(value));

	if (code < 0) {
		/* The library's message names the recipient already. */
		cli_error_lib(code);
		recipient_hint(value);
		return CLI_EXIT_FAILED;
	}
	return add_recipient(list, r);
}

static int load_recipients_file(sanctum_age_recipient_list *list, const char *path)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	int code, rc = CLI_EXIT_OK;

	if (cli_read_file(&text, path, KEY_FILE_MAX) < 0)
		return CLI_EXIT_FAILED;
	code = sanctum_age_recipient_list_parse(list, text_of(&text), text.size);
	if (code < 0)
		rc = cli_error_core(code, "recipients file %s", cli_subject(path, "standard input"));
	sanctum_buf_dispose(&text);
	return rc;
}

/* An identity file that is an age file itself, binary or armored, as age allows. */
static int is_encrypted(const sanctum_buf *text)
{
	static const char binary[] = "age-encryption.org/v1\n";
	static const char armored[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	const char *s = text_of(text);
	size_t len = text->size;

	if (len >= sizeof(binary) - 1 && memcmp(s, binary, sizeof(binary) - 1) == 0)
		return 1;
	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		len--;
	}
	return len >= sizeof(armored) - 1 && memcmp(s, armored, sizeof(armored) - 1) == 0;
}

/* Replaces `text` (an encrypted identity file) by its plaintext. */
static int decrypt_identity_file(sanctum_buf *text, const char *path,
                                 const char *passphrase_file)
{
	sanctum_buf plain = SANCTUM_BUF_INIT;
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	char prompt[PATH_MAX + 64];
	cli_passphrase pp = { passphrase_file, prompt, 0, 0 };
	int code;

	snprintf(prompt, sizeof(prompt), "Enter passphrase for identity file %s",
	         cli_subject(path, "on standard input"));
	opts.passphrase = cli_passphrase_cb;
	opts.passphrase_payload = &pp;
	code = sanctum_age_decrypt(&plain, NULL, 0, &opts, text->ptr, text->size);
	if (code < 0) {
		sanctum_buf_dispose(&plain);
		if (pp.reported)
			return CLI_EXIT_FAILED;
		cli_error_core(code, "identity file %s", cli_subject(path, "standard input"));
		if (code == SANCTUM_EWORKFACTOR)
			cli_hint("re-encrypt the identity file with a lower work factor");
		return CLI_EXIT_FAILED;
	}
	sanctum_buf_dispose(text);
	*text = plain;
	return CLI_EXIT_OK;
}

int age_identity_file_load(sanctum_age_identity_list *list, const char *path,
                           const char *passphrase_file)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	int code, rc = CLI_EXIT_OK;

	if (cli_read_file(&text, path, KEY_FILE_MAX) < 0)
		return CLI_EXIT_FAILED;
	if (is_encrypted(&text))
		rc = decrypt_identity_file(&text, path, passphrase_file);
	if (rc == CLI_EXIT_OK) {
		code = sanctum_age_identity_list_parse(list, text_of(&text), text.size);
		if (code < 0)
			rc = cli_error_core(code, "identity file %s",
			                    cli_subject(path, "standard input"));
	}
	sanctum_buf_dispose(&text);
	return rc;
}

/* -i while encrypting: the recipient of every identity in the file. */
static int load_identity_recipients(sanctum_age_recipient_list *list, const char *path,
                                    const char *passphrase_file)
{
	sanctum_age_identity_list ids = SANCTUM_AGE_LIST_INIT;
	int rc = age_identity_file_load(&ids, path, passphrase_file);

	for (size_t i = 0; rc == CLI_EXIT_OK && i < ids.count; i++) {
		sanctum_age_recipient *r = NULL;
		int code = sanctum_age_identity_to_recipient(&r, ids.items[i]);

		if (code < 0)
			rc = cli_error_core(code, "identity file %s",
			                    cli_subject(path, "standard input"));
		else
			rc = add_recipient(list, r);
	}
	sanctum_age_identity_list_dispose(&ids);
	return rc;
}

int age_recipients_load(sanctum_age_recipient_list *list, const age_args *args)
{
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; rc == CLI_EXIT_OK && i < args->nkeys; i++) {
		const age_key_arg *key = &args->keys[i];

		if (key->kind == 'r')
			rc = load_recipient(list, key->value);
		else if (key->kind == 'R')
			rc = load_recipients_file(list, key->value);
		else
			rc = load_identity_recipients(list, key->value, args->passphrase_file);
	}
	return rc;
}

int age_identities_load(sanctum_age_identity_list *list, const age_args *args)
{
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; rc == CLI_EXIT_OK && i < args->nkeys; i++)
		if (args->keys[i].kind == 'i')
			rc = age_identity_file_load(list, args->keys[i].value,
			                            args->passphrase_file);
	return rc;
}

/*
 * `sanctum keys`: this member's identity (docs/man/sanctum-keys.1.md). `gen` makes it,
 * `show` prints the public card, `export` prints the keys in the forms ssh, git and age
 * tools read, `passwd` changes the passphrase of the identity file, `rotate` replaces
 * the keys with new ones in the group of the store it runs in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sanctum/errors.h>
#include <sanctum/identity.h>
#include <sanctum/members.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "identity_path.h"
#include "opt.h"
#include "passphrase.h"
#include "store_open.h"
#include "subcmd.h"

#define DEFAULT_DEVICE "main"
#define SIGNER_NAMESPACES "git,sanctum-doc"   /* what an allowed-signers line permits */

enum {
	OPT_NAME = 256,
	OPT_DEVICE,
	OPT_NO_PASSPHRASE,
	OPT_IDENTITY,
	OPT_PASSPHRASE_FILE,
	OPT_NEW_PASSPHRASE_FILE,
	OPT_WORK_FACTOR,
	OPT_JSON,
	OPT_SSH,
	OPT_AGE,
	OPT_ALLOWED_SIGNERS,
	OPT_NEW_IDENTITY
};

#define IDENTITY_OPT(what)                                                                      \
	{ OPT_IDENTITY, 0, "identity", "PATH", what, 0 }
#define PASSPHRASE_FILE_OPT(what)                                                               \
	{ OPT_PASSPHRASE_FILE, 0, "passphrase-file", "FILE", what, 0 }
#define WORK_FACTOR_OPT                                                                         \
	{ OPT_WORK_FACTOR, 0, "work-factor", "N",                                               \
	  "scrypt work factor (log2) of the passphrase, 1 to 22 (default 18)", 0 }
#define END_OPT { 0, 0, NULL, NULL, NULL, 0 }

#define IDENTITY_DETAILS                                                                        \
	"The identity file is --identity PATH, else $SANCTUM_IDENTITY, else\n"                  \
	"$XDG_CONFIG_HOME/sanctum/identity, else ~/.config/sanctum/identity. A passphrase\n"    \
	"is read from the first line of --passphrase-file FILE, else of the file named by\n"    \
	"$SANCTUM_PASSPHRASE_FILE, else from the terminal; never from the command line.\n"

/* ---- the subcommands' documentation --------------------------------------------------- */

static const cli_opt gen_opts[] = {
	{ OPT_NAME, 0, "name", "CITY", "the city this identity belongs to", 0 },
	{ OPT_DEVICE, 0, "device", "NAME", "the machine or person within the city (default: "
	  DEFAULT_DEVICE ")", 0 },
	{ OPT_NO_PASSPHRASE, 0, "no-passphrase", NULL,
	  "write a plain identity file (mode 0600) for unattended jobs", 0 },
	PASSPHRASE_FILE_OPT("read the new passphrase from the first line of FILE"),
	WORK_FACTOR_OPT,
	IDENTITY_OPT("write the identity to PATH"),
	END_OPT
};
static const cli_usage gen_form[] = {
	{ OPT_NAME, CLI_USAGE_REQUIRED }, { OPT_DEVICE, 0 }, { OPT_NO_PASSPHRASE, 0 },
	{ OPT_PASSPHRASE_FILE, CLI_USAGE_ALT }, { OPT_WORK_FACTOR, 0 }, { OPT_IDENTITY, 0 },
	{ 0, 0 }
};
static const cli_usage *const gen_forms[] = { gen_form, NULL };

#define GEN_DOC(also)                                                                           \
	{ "sanctum keys gen", gen_opts, gen_forms,                                              \
	  "Make this member's identity: an Ed25519 signing key and an X25519 age key for\n"     \
	  "the city CITY and its device NAME, in a new identity file encrypted with a\n"        \
	  "passphrase. Print the member card, which others give to 'sanctum member add'.",      \
	  "CITY and NAME are 1 to 32 lowercase letters, digits and '-', not starting or\n"      \
	  "ending with '-'. An existing identity file is never replaced. The passphrase\n"      \
	  "is asked twice on the terminal.\n\n"                                                 \
	  IDENTITY_DETAILS, also }

static const cli_opt show_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print the card and its parts as a JSON object", 0 },
	IDENTITY_OPT("read the identity from PATH"),
	PASSPHRASE_FILE_OPT("read the passphrase from the first line of FILE"),
	END_OPT
};

#define SHOW_DOC(also)                                                                          \
	{ "sanctum keys show", show_opts, NULL,                                                 \
	  "Print this member's card: one line with the city, the device and both public\n"      \
	  "keys, protected by a checksum, to paste into an email or a chat.",                   \
	  "The JSON object has the members city, device, fingerprint (the member id, as\n"      \
	  "ssh-keygen -l prints it), ssh_public_key, age_recipient and card.\n\n"               \
	  IDENTITY_DETAILS, also }

static const cli_opt export_opts[] = {
	{ OPT_SSH, 0, "ssh", NULL, "print the OpenSSH public key line", 0 },
	{ OPT_AGE, 0, "age", NULL, "print the age recipient (age1...)", 0 },
	{ OPT_ALLOWED_SIGNERS, 0, "allowed-signers", NULL,
	  "print a line for git's gpg.ssh.allowedSignersFile", 0 },
	IDENTITY_OPT("read the identity from PATH"),
	PASSPHRASE_FILE_OPT("read the passphrase from the first line of FILE"),
	END_OPT
};
static const cli_usage export_form[] = {
	{ OPT_SSH, CLI_USAGE_REQUIRED }, { OPT_AGE, CLI_USAGE_ALT },
	{ OPT_ALLOWED_SIGNERS, CLI_USAGE_ALT }, { OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 },
	{ 0, 0 }
};
static const cli_usage *const export_forms[] = { export_form, NULL };

#define EXPORT_DOC(also)                                                                        \
	{ "sanctum keys export", export_opts, export_forms,                                     \
	  "Print this member's public keys in the forms stock tools read.",                     \
	  "--ssh prints \"ssh-ed25519 AAAA... CITY/NAME\". --allowed-signers prints\n"          \
	  "\"CITY/NAME namespaces=\\\"" SIGNER_NAMESPACES "\\\" ssh-ed25519 AAAA...\", which\n" \
	  "'git verify-commit' (with gpg.ssh.allowedSignersFile) and 'ssh-keygen -Y verify'\n"  \
	  "accept for commits and for documents.\n\n"                                           \
	  IDENTITY_DETAILS, also }

static const cli_opt passwd_opts[] = {
	{ OPT_NO_PASSPHRASE, 0, "no-passphrase", NULL,
	  "store the identity without a passphrase (mode 0600)", 0 },
	PASSPHRASE_FILE_OPT("read the current passphrase from the first line of FILE"),
	{ OPT_NEW_PASSPHRASE_FILE, 0, "new-passphrase-file", "FILE",
	  "read the new passphrase from the first line of FILE", 0 },
	WORK_FACTOR_OPT,
	IDENTITY_OPT("change the identity file PATH"),
	END_OPT
};
static const cli_usage passwd_form[] = {
	{ OPT_NO_PASSPHRASE, 0 }, { OPT_NEW_PASSPHRASE_FILE, CLI_USAGE_ALT },
	{ OPT_PASSPHRASE_FILE, 0 }, { OPT_WORK_FACTOR, 0 }, { OPT_IDENTITY, 0 }, { 0, 0 }
};
static const cli_usage *const passwd_forms[] = { passwd_form, NULL };

#define PASSWD_DOC(also)                                                                        \
	{ "sanctum keys passwd", passwd_opts, passwd_forms,                                     \
	  "Change the passphrase of the identity file, add one, or with --no-passphrase\n"      \
	  "remove it. The keys stay the same.",                                                 \
	  "The new file replaces the old one in one step: if anything fails, the old file\n"    \
	  "is left as it was. The new passphrase is asked twice on the terminal.\n\n"           \
	  IDENTITY_DETAILS, also }

static const cli_opt rotate_opts[] = {
	{ OPT_NEW_IDENTITY, 0, "new-identity", "PATH", "write the new identity to PATH (which "
	  "must not exist)", 0 },
	{ OPT_DEVICE, 0, "device", "NAME", "the device name of the new keys (default: the "
	  "current one)", 0 },
	{ OPT_NO_PASSPHRASE, 0, "no-passphrase", NULL,
	  "write the new identity without a passphrase (mode 0600)", 0 },
	{ OPT_NEW_PASSPHRASE_FILE, 0, "new-passphrase-file", "FILE",
	  "read the new identity's passphrase from the first line of FILE", 0 },
	WORK_FACTOR_OPT,
	IDENTITY_OPT("the current identity (default: $SANCTUM_IDENTITY or the XDG default)"),
	PASSPHRASE_FILE_OPT("read the current identity's passphrase from the first line of FILE"),
	END_OPT
};
static const cli_usage rotate_form[] = {
	{ OPT_NEW_IDENTITY, CLI_USAGE_REQUIRED }, { OPT_DEVICE, 0 }, { OPT_NO_PASSPHRASE, 0 },
	{ OPT_NEW_PASSPHRASE_FILE, CLI_USAGE_ALT }, { OPT_WORK_FACTOR, 0 }, { OPT_IDENTITY, 0 },
	{ OPT_PASSPHRASE_FILE, 0 }, { 0, 0 }
};
static const cli_usage *const rotate_forms[] = { rotate_form, NULL };

#define ROTATE_DOC(also)                                                                        \
	{ "sanctum keys rotate", rotate_opts, rotate_forms,                                     \
	  "Replace this member's keys with new ones in the group of the store it runs in\n"     \
	  "(found as for every store command, or with 'sanctum -C DIR'): a roster entry\n"     \
	  "signed by the old and the new key, and every epoch key the member may read sealed\n" \
	  "again to the new one. Other members need no new card.",                              \
	  "The order is: the new identity is written to PATH (never over an existing file),\n" \
	  "then the rotation is committed. If the commit fails, main is unchanged, the old\n"  \
	  "identity still works and the new file is deleted. If sanctum is killed in\n"        \
	  "between, the old identity still works and the new file is left unused on disk:\n"   \
	  "delete it and run rotate again. Once rotated, the old identity no longer works in\n" \
	  "this group: point $SANCTUM_IDENTITY (or --identity) at PATH, or move PATH over the\n" \
	  "old file. The new card is printed on standard output.\n\n"                          \
	  IDENTITY_DETAILS, also }

static const cli_doc rotate_doc = ROTATE_DOC(NULL);
static const cli_doc passwd_doc = PASSWD_DOC(NULL);
static const cli_doc export_doc = EXPORT_DOC(NULL);
static const cli_doc show_doc = SHOW_DOC(NULL);
static const cli_doc gen_doc = GEN_DOC(NULL);

/* The same docs chained, so that `sanctum keys` shows every synopsis. */
static const cli_doc chain_passwd = PASSWD_DOC(&rotate_doc);
static const cli_doc chain_export = EXPORT_DOC(&chain_passwd);
static const cli_doc chain_show = SHOW_DOC(&chain_export);
static const cli_doc chain_gen = GEN_DOC(&chain_show);

/* ---- shared helpers ------------------------------------------------------------------ */

/* A work factor the identity can be read back with: 1 to SANCTUM_AGE_MAX_WORK_FACTOR. */
static int parse_work_factor(const cli_doc *doc, const char *value, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < 1 || n > SANCTUM_AGE_MAX_WORK_FACTOR)
		return cli_usage_error(doc, "invalid --work-factor '%s': expected a number from 1 "
		                       "to %d", value, SANCTUM_AGE_MAX_WORK_FACTOR);
	*out = (int)n;
	return 0;
}

static int name_error(const cli_doc *doc, const char *what, const char *name)
{
	return cli_usage_error_hint(doc, "use 1 to 32 lowercase letters, digits and '-', not "
	                            "starting or ending with '-'",
	                            "invalid %s name '%s'", what, name);
}

/* Prints `len` bytes and a newline to stdout. */
static void print_line(const void *data, size_t len)
{
	fwrite(data, 1, len, stdout);
	fputc('\n', stdout);
}

/* The card, the ssh key line with its "city/device" comment, and the age recipient. */
typedef struct {
	sanctum_card card;
	char principal[2 * SANCTUM_NAME_MAX + 2];   /* "city/device" */
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_buf card_line;
	sanctum_buf ssh_line;
	sanctum_buf recipient;
} public_keys;

static void public_keys_dispose(public_keys *keys)
{
	sanctum_buf_dispose(&keys->card_line);
	sanctum_buf_dispose(&keys->ssh_line);
	sanctum_buf_dispose(&keys->recipient);
}

static int public_keys_make(public_keys *keys, const sanctum_identity *id)
{
	sanctum_age_recipient *r = NULL;
	int code;

	memset(keys, 0, sizeof(*keys));
	sanctum_identity_card(&keys->card, id);
	snprintf(keys->principal, sizeof(keys->principal), "%s/%s", keys->card.city,
	         keys->card.device);
	sanctum_key_fingerprint(keys->fingerprint, keys->card.signing_key);
	code = sanctum_card_encode(&keys->card_line, &keys->card);
	if (code == 0)
		code = sanctum_ssh_public_key_encode(&keys->ssh_line, keys->card.signing_key,
		                                     keys->principal);
	if (code == 0)
		code = sanctum_age_recipient_from_x25519(&r, keys->card.age_key);
	if (code == 0)
		code = sanctum_age_recipient_encode(&keys->recipient, r);
	sanctum_age_recipient_free(r);
	if (code < 0) {
		public_keys_dispose(keys);
		return cli_error_core(code, "cannot encode the public keys");
	}
	return CLI_EXIT_OK;
}

/* Finds and unlocks the identity named by the options. */
static int open_identity(sanctum_identity **out, char **path, const char *identity_opt,
                         const char *passphrase_opt)
{
	*out = NULL;
	if (!(*path = cli_identity_path(identity_opt)))
		return CLI_EXIT_FAILED;
	return cli_identity_load(out, *path, cli_passphrase_file(passphrase_opt));
}

/* ---- gen ------------------------------------------------------------------------------ */

typedef struct {
	const char *name;
	const char *device;
	const char *identity;
	const char *passphrase_file;
	int no_passphrase;
	int work_factor;
} gen_args;

static int gen_check(const gen_args *a)
{
	if (!a->name)
		return cli_usage_error_hint(&gen_doc, "the city is part of every member card",
		                            "missing --name CITY");
	if (!sanctum_name_is_valid(a->name))
		return name_error(&gen_doc, "city", a->name);
	if (!sanctum_name_is_valid(a->device))
		return name_error(&gen_doc, "device", a->device);
	if (a->no_passphrase && a->passphrase_file)
		return cli_usage_error(&gen_doc, "--no-passphrase can't be used with "
		                       "--passphrase-file");
	if (a->no_passphrase && a->work_factor)
		return cli_usage_error(&gen_doc, "--work-factor needs a passphrase; it can't be "
		                       "used with --no-passphrase");
	return 0;
}

static int gen_run(const gen_args *a)
{
	sanctum_buf pass = SANCTUM_BUF_INIT;
	sanctum_identity *id = NULL;
	public_keys keys;
	char *path = NULL;
	struct stat st;
	int code, rc = CLI_EXIT_FAILED;

	memset(&keys, 0, sizeof(keys));
	if (!(path = cli_identity_path(a->identity)))
		goto done;
	/* Refused before the passphrase is asked; the library's link() is the guarantee. */
	if (lstat(path, &st) == 0) {
		cli_error("refusing to overwrite identity '%s': the file already exists", path);
		cli_hint("an identity is never replaced; move the old file away deliberately, "
		         "or give another path with --identity PATH");
		goto done;
	}
	if (!a->no_passphrase) {
		cli_passphrase pp = { cli_passphrase_file(a->passphrase_file),
		                      "Enter a passphrase for the new identity", 1, 0 };

		if (cli_passphrase_get(&pass, &pp) < 0)
			goto done;
	}
	code = sanctum_identity_generate(&id, a->name, a->device);
	if (code == 0)
		code = sanctum_identity_save(id, path,
		                             a->no_passphrase ? NULL : (const char *)pass.ptr,
		                             pass.size, a->work_factor);
	if (code < 0) {
		rc = cli_error_lib(code);
		goto done;
	}
	if ((rc = public_keys_make(&keys, id)) != CLI_EXIT_OK)
		goto done;
	print_line(keys.card_line.ptr, keys.card_line.size);
	fprintf(stderr, "identity written to %s\n", path);
	rc = CLI_EXIT_OK;
done:
	public_keys_dispose(&keys);
	sanctum_identity_free(id);
	sanctum_buf_dispose(&pass);
	free(path);
	return rc;
}

static int keys_gen(int argc, char **argv)
{
	gen_args a = { NULL, DEFAULT_DEVICE, NULL, NULL, 0, 0 };
	cli_opt_parser p;
	const char *value;
	int id, rc = 0;

	cli_opt_parser_init(&p, &gen_doc, argc, argv);
	while (rc == 0 && (id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_NAME: a.name = value; break;
		case OPT_DEVICE: a.device = value; break;
		case OPT_NO_PASSPHRASE: a.no_passphrase = 1; break;
		case OPT_IDENTITY: a.identity = value; break;
		case OPT_PASSPHRASE_FILE: a.passphrase_file = value; break;
		case OPT_WORK_FACTOR: rc = parse_work_factor(&gen_doc, value, &a.work_factor); break;
		}
	}
	if (rc)
		return rc;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = gen_check(&a)) != 0)
		return rc;
	return gen_run(&a);
}

/* ---- show ----------------------------------------------------------------------------- */

static int print_json(const public_keys *keys)
{
	/* jansson keeps the members in this order, so the output is byte-stable. */
	json_t *object = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	                           "city", keys->card.city, "device", keys->card.device,
	                           "fingerprint", keys->fingerprint,
	                           "ssh_public_key", (const char *)keys->ssh_line.ptr,
	                           "age_recipient", (const char *)keys->recipient.ptr,
	                           "card", (const char *)keys->card_line.ptr);

	return cli_json_print(object) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int keys_show(int argc, char **argv)
{
	const char *value, *identity = NULL, *passphrase_file = NULL;
	sanctum_identity *id = NULL;
	cli_opt_parser p;
	public_keys keys;
	char *path = NULL;
	int opt, json = 0, rc;

	cli_opt_parser_init(&p, &show_doc, argc, argv);
	while ((opt = cli_opt_next(&p, &value)) > 0) {
		if (opt == OPT_JSON)
			json = 1;
		else if (opt == OPT_IDENTITY)
			identity = value;
		else
			passphrase_file = value;
	}
	if (opt != CLI_OPT_DONE)
		return cli_opt_exit(opt);
	memset(&keys, 0, sizeof(keys));
	rc = open_identity(&id, &path, identity, passphrase_file);
	if (rc == CLI_EXIT_OK)
		rc = public_keys_make(&keys, id);
	if (rc == CLI_EXIT_OK) {
		if (json)
			rc = print_json(&keys);
		else
			print_line(keys.card_line.ptr, keys.card_line.size);
	}
	public_keys_dispose(&keys);
	sanctum_identity_free(id);
	free(path);
	return rc;
}

/* ---- export --------------------------------------------------------------------------- */

static int keys_export(int argc, char **argv)
{
	const char *value, *identity = NULL, *passphrase_file = NULL;
	sanctum_identity *id = NULL;
	cli_opt_parser p;
	public_keys keys;
	char *path = NULL;
	int opt, what = 0, forms = 0, rc;

	cli_opt_parser_init(&p, &export_doc, argc, argv);
	while ((opt = cli_opt_next(&p, &value)) > 0) {
		if (opt == OPT_IDENTITY) {
			identity = value;
		} else if (opt == OPT_PASSPHRASE_FILE) {
			passphrase_file = value;
		} else {
			what = opt;
			forms++;
		}
	}
	if (opt != CLI_OPT_DONE)
		return cli_opt_exit(opt);
	if (forms == 0)
		return cli_usage_error(&export_doc, "missing --ssh, --age or --allowed-signers");
	if (forms > 1)
		return cli_usage_error(&export_doc, "--ssh, --age and --allowed-signers can't be "
		                       "combined; give one");
	memset(&keys, 0, sizeof(keys));
	rc = open_identity(&id, &path, identity, passphrase_file);
	if (rc == CLI_EXIT_OK)
		rc = public_keys_make(&keys, id);
	if (rc == CLI_EXIT_OK && what == OPT_SSH) {
		print_line(keys.ssh_line.ptr, keys.ssh_line.size);
	} else if (rc == CLI_EXIT_OK && what == OPT_AGE) {
		print_line(keys.recipient.ptr, keys.recipient.size);
	} else if (rc == CLI_EXIT_OK) {
		sanctum_buf bare = SANCTUM_BUF_INIT;
		int code = sanctum_ssh_public_key_encode(&bare, keys.card.signing_key, NULL);

		if (code < 0)
			rc = cli_error_core(code, "cannot encode the public key");
		else
			printf("%s namespaces=\"%s\" %s\n", keys.principal, SIGNER_NAMESPACES,
			       (const char *)bare.ptr);
		sanctum_buf_dispose(&bare);
	}
	public_keys_dispose(&keys);
	sanctum_identity_free(id);
	free(path);
	return rc;
}

/* ---- passwd --------------------------------------------------------------------------- */

static int keys_passwd(int argc, char **argv)
{
	const char *value, *identity = NULL, *passphrase_file = NULL, *new_file = NULL;
	sanctum_buf pass = SANCTUM_BUF_INIT;
	sanctum_identity *id = NULL;
	cli_opt_parser p;
	char *path = NULL;
	int opt, no_passphrase = 0, work_factor = 0, code, rc = 0;

	cli_opt_parser_init(&p, &passwd_doc, argc, argv);
	while (rc == 0 && (opt = cli_opt_next(&p, &value)) > 0) {
		switch (opt) {
		case OPT_NO_PASSPHRASE: no_passphrase = 1; break;
		case OPT_PASSPHRASE_FILE: passphrase_file = value; break;
		case OPT_NEW_PASSPHRASE_FILE: new_file = value; break;
		case OPT_IDENTITY: identity = value; break;
		case OPT_WORK_FACTOR: rc = parse_work_factor(&passwd_doc, value, &work_factor); break;
		}
	}
	if (rc)
		return rc;
	if (opt != CLI_OPT_DONE)
		return cli_opt_exit(opt);
	if (no_passphrase && new_file)
		return cli_usage_error(&passwd_doc, "--no-passphrase can't be used with "
		                       "--new-passphrase-file");
	if (no_passphrase && work_factor)
		return cli_usage_error(&passwd_doc, "--work-factor needs a passphrase; it can't be "
		                       "used with --no-passphrase");
	rc = open_identity(&id, &path, identity, passphrase_file);
	if (rc != CLI_EXIT_OK)
		goto done;
	if (!no_passphrase) {
		cli_passphrase pp = { new_file, "Enter the new passphrase", 1, 0 };

		if (cli_passphrase_get(&pass, &pp) < 0) {
			rc = CLI_EXIT_FAILED;
			goto done;
		}
	}
	code = sanctum_identity_replace(id, path, no_passphrase ? NULL : (const char *)pass.ptr,
	                                pass.size, work_factor);
	if (code < 0) {
		rc = cli_error_lib(code);
		cli_hint("the identity file was not changed");
		goto done;
	}
	if (no_passphrase)
		fprintf(stderr, "identity %s is now stored without a passphrase\n", path);
	else
		fprintf(stderr, "passphrase of identity %s changed\n", path);
	rc = CLI_EXIT_OK;
done:
	sanctum_identity_free(id);
	sanctum_buf_dispose(&pass);
	free(path);
	return rc;
}

/* ---- rotate --------------------------------------------------------------------------- */

typedef struct {
	const char *new_identity;
	const char *device;
	const char *identity;
	const char *passphrase_file;
	const char *new_passphrase_file;
	int no_passphrase;
	int work_factor;
} rotate_args;

static int rotate_check(const rotate_args *a)
{
	if (!a->new_identity)
		return cli_usage_error_hint(&rotate_doc, "the old identity file is kept until the "
		                            "rotation is done; name where the new one goes",
		                            "missing --new-identity PATH");
	if (a->device && !sanctum_name_is_valid(a->device))
		return name_error(&rotate_doc, "device", a->device);
	if (a->no_passphrase && a->new_passphrase_file)
		return cli_usage_error(&rotate_doc, "--no-passphrase can't be used with "
		                       "--new-passphrase-file");
	if (a->no_passphrase && a->work_factor)
		return cli_usage_error(&rotate_doc, "--work-factor needs a passphrase; it can't be "
		                       "used with --no-passphrase");
	return 0;
}

/* The old identity must be an active member of this store's group. */
static int check_member(cli_session *s, const sanctum_card *card)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_member_info m;
	int code;

	sanctum_key_fingerprint(fingerprint, card->signing_key);
	code = sanctum_store_member_find(&m, s->store, fingerprint);
	if (code == 0)
		return CLI_EXIT_OK;
	if (code != SANCTUM_ENOTFOUND)
		return cli_store_error(code, "cannot read the members of the group");
	sanctum_error_clear();
	cli_error("'%s/%s' is not an active member of the group '%s'", card->city, card->device,
	          sanctum_store_group_name(s->store));
	cli_hint("run rotate in the store of a group this identity belongs to (sanctum -C DIR)");
	return CLI_EXIT_FAILED;
}

/* After a failed rotation: the new file goes, unless its key made it into the group. */
static void rotate_cleanup(cli_session *s, const sanctum_identity *new_keys, const char *path)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_member_info m;
	sanctum_card card;

	sanctum_identity_card(&card, new_keys);
	sanctum_key_fingerprint(fingerprint, card.signing_key);
	if (sanctum_store_member_find(&m, s->store, fingerprint) == 0) {
		cli_hint("the new key is a member all the same: use the identity '%s' from now on",
		         path);
		return;
	}
	sanctum_error_clear();
	if (unlink(path) == 0)
		cli_hint("nothing changed: your current identity still works, and the unused new "
		         "identity '%s' was deleted", path);
	else
		cli_hint("nothing changed: your current identity still works; delete the unused "
		         "new identity '%s'", path);
}

static int rotate_run(const rotate_args *a)
{
	sanctum_buf pass = SANCTUM_BUF_INIT;
	cli_session s = CLI_SESSION_INIT;
	sanctum_identity *new_keys = NULL;
	sanctum_card old_card;
	public_keys keys;
	char *old_path = NULL, *new_abs = NULL, *old_abs = NULL;
	struct stat st;
	int code, rc;

	memset(&keys, 0, sizeof(keys));
	/* Refused before the store is opened or a passphrase asked. */
	if (lstat(a->new_identity, &st) == 0) {
		cli_error("refusing to overwrite identity '%s': the file already exists",
		          a->new_identity);
		cli_hint("give a new path with --new-identity; a file left by an interrupted "
		         "rotate is not a member and can be deleted");
		return CLI_EXIT_FAILED;
	}
	if ((rc = cli_session_store(&s)) != CLI_EXIT_OK)
		return rc;
	rc = open_identity(&s.identity, &old_path, a->identity, a->passphrase_file);
	if (rc != CLI_EXIT_OK)
		goto done;
	sanctum_identity_card(&old_card, s.identity);
	if ((rc = check_member(&s, &old_card)) != CLI_EXIT_OK)
		goto done;
	if (!a->no_passphrase) {
		cli_passphrase pp = { a->new_passphrase_file,
		                      "Enter a passphrase for the new identity", 1, 0 };

		if (cli_passphrase_get(&pass, &pp) < 0) {
			rc = CLI_EXIT_FAILED;
			goto done;
		}
	}
	/* 1. the new identity on disk; 2. the rotation on main. */
	code = sanctum_identity_generate(&new_keys, old_card.city,
	                                 a->device ? a->device : old_card.device);
	if (code == 0)
		code = sanctum_identity_save(new_keys, a->new_identity,
		                             a->no_passphrase ? NULL : (const char *)pass.ptr,
		                             pass.size, a->work_factor);
	if (code < 0) {
		rc = cli_error_lib(code);
		cli_hint("nothing changed: your current identity still works");
		goto done;
	}
	code = sanctum_store_rotate(s.store, s.identity, new_keys);
	if (code < 0) {
		rc = cli_store_error(code, "cannot rotate the keys of '%s/%s'", old_card.city,
		                     old_card.device);
		rotate_cleanup(&s, new_keys, a->new_identity);
		goto done;
	}
	if ((rc = public_keys_make(&keys, new_keys)) != CLI_EXIT_OK)
		goto done;
	/* Absolute paths in the advice: it is about a variable that outlives this folder. */
	new_abs = realpath(a->new_identity, NULL);
	old_abs = realpath(old_path, NULL);
	print_line(keys.card_line.ptr, keys.card_line.size);
	fprintf(stderr, "rotated the keys of %s/%s to %s (%s) in the group '%s'\n",
	        old_card.city, old_card.device, keys.principal, keys.fingerprint,
	        sanctum_store_group_name(s.store));
	fprintf(stderr, "new identity written to %s; the old identity %s no longer works in "
	        "this group\n", new_abs ? new_abs : a->new_identity, old_abs ? old_abs : old_path);
	cli_hint("use the new identity from now on: set SANCTUM_IDENTITY=%s, or move it over "
	         "the old one", new_abs ? new_abs : a->new_identity);
	rc = CLI_EXIT_OK;
done:
	public_keys_dispose(&keys);
	sanctum_identity_free(new_keys);
	sanctum_buf_dispose(&pass);
	cli_session_close(&s);
	free(old_path);
	free(old_abs);
	free(new_abs);
	return rc;
}

static int keys_rotate(int argc, char **argv)
{
	rotate_args a = { NULL, NULL, NULL, NULL, NULL, 0, 0 };
	cli_opt_parser p;
	const char *value;
	int id, rc = 0;

	cli_opt_parser_init(&p, &rotate_doc, argc, argv);
	while (rc == 0 && (id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_NEW_IDENTITY: a.new_identity = value; break;
		case OPT_DEVICE: a.device = value; break;
		case OPT_NO_PASSPHRASE: a.no_passphrase = 1; break;
		case OPT_NEW_PASSPHRASE_FILE: a.new_passphrase_file = value; break;
		case OPT_IDENTITY: a.identity = value; break;
		case OPT_PASSPHRASE_FILE: a.passphrase_file = value; break;
		case OPT_WORK_FACTOR:
			rc = parse_work_factor(&rotate_doc, value, &a.work_factor);
			break;
		}
	}
	if (rc)
		return rc;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = rotate_check(&a)) != 0)
		return rc;
	return rotate_run(&a);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static const cli_subcommand subcommands[] = {
	{ "gen", keys_gen, &gen_doc, "make a new identity for this city and device" },
	{ "show", keys_show, &show_doc, "print this member's card, or its parts as JSON" },
	{ "export", keys_export, &export_doc,
	  "print the ssh public key, the age recipient or an allowed-signers line" },
	{ "passwd", keys_passwd, &passwd_doc, "change, add or remove the identity's passphrase" },
	{ "rotate", keys_rotate, &rotate_doc,
	  "replace this member's keys with new ones in the store's group" },
};

static const cli_subcommand_set keys_set = {
	&chain_gen,
	"Make and show this member's identity: its signing and age keys, kept in the\n"
	"identity file, and the public card that others add to a group.",
	IDENTITY_DETAILS,
	subcommands, sizeof(subcommands) / sizeof(subcommands[0])
};

int cmd_keys(int argc, char **argv)
{
	return cli_subcommand_dispatch(&keys_set, argc, argv);
}

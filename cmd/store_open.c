#include "store_open.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanctum/errors.h>

#include "cmd.h"
#include "error.h"
#include "identity_path.h"

/* The hint for a failed store call, chosen by its code and the layer that reported it. */
static void store_hint(int code, sanctum_error_class klass)
{
	switch (code) {
	case SANCTUM_EVERIFY:
		/* A refused membership is the caller's rule (INVALID), not damaged data. */
		if (klass == SANCTUM_ERRCLASS_INVALID)
			cli_hint("ask an admin of the group to add your member card "
			         "('sanctum keys show' prints it)");
		else
			cli_hint("run 'sanctum verify' to check the whole history of the store");
		break;
	case SANCTUM_EHEADER:
	case SANCTUM_EMAC:
	case SANCTUM_EPAYLOAD:
	case SANCTUM_ETRUNCATED:
	case SANCTUM_ETRAILING:
		cli_hint("the file in the store is damaged or was altered; run 'sanctum verify'");
		break;
	case SANCTUM_ENOMATCH:
		cli_hint("check that you use the right identity (--identity); a removed member "
		         "cannot read what was written after the removal");
		break;
	default:
		break;
	}
}

int cli_store_error(int code, const char *fmt, ...)
{
	const sanctum_error *last = sanctum_error_last();
	sanctum_error_class klass = last->klass;
	const char *message = last->code && last->message && last->message[0]
	                              ? last->message : sanctum_error_name(code);
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", message ? message : "unknown error");
	sanctum_error_clear();
	store_hint(code, klass);
	return CLI_EXIT_FAILED;
}

/* A variable's value, or NULL when it is unset or empty. */
static const char *env(const char *name)
{
	const char *value = getenv(name);

	return value && *value ? value : NULL;
}

static int open_store(sanctum_store **out)
{
	const char *dir = env(CLI_STORE_DIR_ENV);
	char cwd[PATH_MAX];
	int code;

	if (dir) {
		code = sanctum_store_open(out, dir, 0);
		if (code == 0)
			return CLI_EXIT_OK;
		cli_error_lib(code);
		if (code == SANCTUM_EVERIFY)
			return CLI_EXIT_REFUSED;
		cli_hint("$%s names the store's folder; unset it to search from the current "
		         "directory", CLI_STORE_DIR_ENV);
		return CLI_EXIT_FAILED;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_error("cannot find the current directory: %s", strerror(errno));
	code = sanctum_store_open(out, cwd, 1);
	if (code == 0)
		return CLI_EXIT_OK;
	cli_error_lib(code);
	/* A main that is not this group's history (its trust anchor differs) is refused. */
	return code == SANCTUM_EVERIFY ? CLI_EXIT_REFUSED : CLI_EXIT_FAILED;
}

int cli_session_store(cli_session *s)
{
	return s->store ? CLI_EXIT_OK : open_store(&s->store);
}

int cli_session_identity(cli_session *s, const cli_identity_args *args)
{
	char *path;
	int rc;

	if (s->identity)
		return CLI_EXIT_OK;
	if (!(path = cli_identity_path(args->identity)))
		return CLI_EXIT_FAILED;
	rc = cli_identity_load(&s->identity, path, cli_passphrase_file(args->passphrase_file));
	free(path);
	return rc;
}

int cli_session_open(cli_session *s, const cli_identity_args *args)
{
	const cli_cmd *cmd = cli_cmd_current();
	unsigned flags = cmd ? cmd->flags : CLI_CMD_NONE;
	int rc = CLI_EXIT_OK;

	*s = (cli_session)CLI_SESSION_INIT;
	if (flags & CLI_CMD_STORE)
		rc = open_store(&s->store);
	if (rc == CLI_EXIT_OK && (flags & CLI_CMD_IDENTITY))
		rc = cli_session_identity(s, args);
	if (rc != CLI_EXIT_OK)
		cli_session_close(s);
	return rc;
}

int cli_session_members(cli_session *s)
{
	int code;

	if (s->have_members)
		return CLI_EXIT_OK;
	code = sanctum_store_members(&s->members, s->store);
	if (code != 0)
		return cli_store_error(code, "cannot read the members of the group");
	if (s->members.count && !(s->names = calloc(s->members.count, sizeof(*s->names)))) {
		sanctum_member_list_dispose(&s->members);
		return cli_error("out of memory");
	}
	for (size_t i = 0; i < s->members.count; i++)
		snprintf(s->names[i], sizeof(s->names[i]), "%s/%s", s->members.items[i].card.city,
		         s->members.items[i].card.device);
	s->have_members = 1;
	return CLI_EXIT_OK;
}

const char *cli_session_author(const cli_session *s, const char *fingerprint)
{
	for (size_t i = 0; s->have_members && i < s->members.count; i++)
		if (strcmp(s->members.items[i].fingerprint, fingerprint) == 0)
			return s->names[i];
	return NULL;
}

int cli_session_require_admin(cli_session *s, const char *what)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_card card;
	int rc;

	if ((rc = cli_session_members(s)) != CLI_EXIT_OK)
		return rc;
	sanctum_identity_card(&card, s->identity);
	sanctum_key_fingerprint(fingerprint, card.signing_key);
	for (size_t i = 0; i < s->members.count; i++) {
		const sanctum_member_info *m = &s->members.items[i];

		if (!m->active || strcmp(m->fingerprint, fingerprint) != 0)
			continue;
		if (m->admin)
			return CLI_EXIT_OK;
		cli_error("only an admin of the group can %s, and '%s/%s' is not one", what,
		          card.city, card.device);
		cli_hint("'sanctum member list' shows the admins");
		return CLI_EXIT_FAILED;
	}
	cli_error("'%s/%s' is not a member of this group", card.city, card.device);
	cli_hint("ask an admin of the group to add your member card ('sanctum keys show' "
	         "prints it)");
	return CLI_EXIT_FAILED;
}

void cli_session_close(cli_session *s)
{
	if (s->have_members)
		sanctum_member_list_dispose(&s->members);
	free(s->names);
	s->names = NULL;
	s->have_members = 0;
	sanctum_identity_free(s->identity);
	s->identity = NULL;
	sanctum_store_free(s->store);
	s->store = NULL;
}

int cli_resolve_id(unsigned char id[SANCTUM_DOC_ID_SIZE], cli_session *s, const char *prefix)
{
	int code = sanctum_store_resolve(id, s->store, prefix);

	if (code == 0)
		return CLI_EXIT_OK;
	cli_error_lib(code);
	if (code == SANCTUM_ENOTFOUND)
		cli_hint("'sanctum list' shows the documents and their ids");
	return CLI_EXIT_FAILED;
}

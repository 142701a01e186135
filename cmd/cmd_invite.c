/*
 * `sanctum invite [--remote URL]...`: the one-line invitation a newcomer joins with
 * (docs/man/sanctum-invite.1.md).
 */
#include <stdio.h>

#include <sanctum/errors.h>
#include <sanctum/invite.h>

#include "cmd.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_REMOTE = 1 };

static const cli_opt invite_opts[] = {
	{ OPT_REMOTE, 'r', "remote", "URL", "where the newcomer fetches the store from: a git URL "
	  "or a folder (default: this store's folder); repeat for more", CLI_OPT_REPEAT },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc invite_doc = {
	"sanctum invite", invite_opts, NULL,
	"Print an invitation to the group: one line holding the group's id, name and trust\n"
	"anchor (the SHA-256 of its manifest) and the remotes to fetch the store from.",
	"The newcomer runs 'sanctum join INVITATION' once an admin has added its member card\n"
	"('sanctum member add'). The invitation is not secret and grants nothing by itself:\n"
	"it tells the newcomer which group to trust, so send it over a channel you trust.\n",
	NULL
};

int cmd_invite(int argc, char **argv)
{
	const char *remotes[SANCTUM_INVITE_MAX_URLS + 1];
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_buf line = SANCTUM_BUF_INIT;
	sanctum_invite invite;
	size_t nremotes = 0;
	const char *value;
	cli_opt_parser p;
	int id, rc, code = 0;

	cli_opt_parser_init(&p, &invite_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		if (id != OPT_REMOTE)
			continue;
		if (nremotes == SANCTUM_INVITE_MAX_URLS)
			return cli_usage_error(&invite_doc, "at most %d remotes",
			                       SANCTUM_INVITE_MAX_URLS);
		remotes[nremotes++] = value;
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	sanctum_invite_from_store(&invite, s.store);
	if (nremotes == 0)
		remotes[nremotes++] = sanctum_store_path(s.store);
	for (size_t i = 0; code == 0 && i < nremotes; i++)
		if ((code = sanctum_invite_add_url(&invite, remotes[i])) < 0)
			rc = cli_error_core(code, "cannot use the remote '%s'", remotes[i]);
	if (code == 0 && (code = sanctum_invite_encode(&line, &invite)) < 0)
		rc = cli_error_core(code, "cannot write the invitation");
	if (code == 0) {
		printf("%.*s\n", (int)line.size, (const char *)line.ptr);
		fprintf(stderr, "invitation to group %s: the newcomer joins with "
		        "'sanctum join INVITATION' after an admin has added its card\n", invite.name);
	}
	sanctum_buf_dispose(&line);
	cli_session_close(&s);
	return rc;
}

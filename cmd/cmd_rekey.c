/*
 * `sanctum rekey`: re-encrypts every document of an older epoch to the newest one, in one
 * signed commit, so that after a removal the current files of the store are all out of
 * the removed key's reach (docs/man/sanctum-rekey.1.md).
 */
#include <stdio.h>

#include <sanctum/members.h>

#include "cmd.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_IDENTITY = 1, OPT_PASSPHRASE_FILE };

static const cli_opt rekey_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc rekey_doc = {
	"sanctum rekey", rekey_opts, NULL,
	"Re-encrypt every document that is still encrypted to an older epoch to the newest\n"
	"epoch, in one commit signed by you. Run it after 'sanctum member remove', so that\n"
	"the current file of every document is out of the removed key's reach.",
	"Any member who holds every epoch key may run it (a member added with --no-history\n"
	"cannot). The documents keep their revisions and signatures: only their encryption\n"
	"changes. Nothing is visible until the commit moves main, so an interrupted rekey\n"
	"changes nothing. Old revisions stay in the git history, encrypted as they were.\n",
	NULL
};

int cmd_rekey(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	const char *value;
	cli_opt_parser p;
	size_t count = 0;
	int id, rc, code;

	cli_opt_parser_init(&p, &rekey_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	code = sanctum_store_rekey(s.store, s.identity, &count);
	if (code < 0) {
		rc = cli_store_error(code, "cannot re-encrypt the documents");
	} else if ((rc = cli_session_members(&s)) == CLI_EXIT_OK) {
		if (count == 0)
			fprintf(stderr, "every document is already in epoch %llu\n",
			        (unsigned long long)s.members.epoch);
		else
			fprintf(stderr, "re-encrypted %zu document%s to epoch %llu\n", count,
			        count == 1 ? "" : "s", (unsigned long long)s.members.epoch);
	}
	cli_session_close(&s);
	return rc;
}

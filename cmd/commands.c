#include "cmd.h"

#include <string.h>

static const cli_cmd commands[] = {
	{ "age", cmd_age, "encrypt and decrypt files in the age format, make age keys",
	  CLI_CMD_NONE },
	{ "keys", cmd_keys, "make and show this member's identity, card and public keys",
	  CLI_CMD_NONE },
	{ "init", cmd_init, "create the store of a new group, founded by you", CLI_CMD_IDENTITY },
	{ "add", cmd_add, "add files as new documents, in one commit",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "list", cmd_list, "list the documents", CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "show", cmd_show, "print a document, or its header fields",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "update", cmd_update, "replace a document's content with a new revision",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "rm", cmd_rm, "delete a document (a signed tombstone revision)",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "conflicts", cmd_conflicts, "list the revisions that lost when a sync merged changes",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "resolve", cmd_resolve, "resolve a document's conflicts with a new revision",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	/* The identity is needed only for `log ID`, which loads it itself. */
	{ "log", cmd_log, "show the commits of main, or the revisions of one document",
	  CLI_CMD_STORE },
	{ "verify", cmd_verify, "check the whole history of the store",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "export", cmd_export, "write every document, decrypted, into a folder",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	/* `member` and `group` changes load the identity themselves: listing needs none. */
	{ "member", cmd_member, "list, add and remove members, change roles, approve changes",
	  CLI_CMD_STORE },
	{ "group", cmd_group, "show the group, set how many admins approve a change",
	  CLI_CMD_STORE },
	{ "rekey", cmd_rekey, "re-encrypt older documents to the newest epoch",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "invite", cmd_invite, "print an invitation to the group, for a newcomer to join with",
	  CLI_CMD_STORE },
	{ "join", cmd_join, "join a group with an invitation: fetch and verify its store",
	  CLI_CMD_IDENTITY },
	{ "remote", cmd_remote, "add, remove and list the git remotes to sync with",
	  CLI_CMD_STORE },
	{ "pull", cmd_pull, "fetch a remote's main, verify every new commit, then merge",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "push", cmd_push, "push main to a remote (never forced)", CLI_CMD_STORE },
	/* With a daemon running, sync asks it and needs no identity: loaded when run here. */
	{ "sync", cmd_sync, "pull, then push; retries when another city pushed meanwhile",
	  CLI_CMD_STORE },
	{ "daemon", cmd_daemon, "run the notification daemon: scheduled syncs, peers, webhooks",
	  CLI_CMD_STORE | CLI_CMD_IDENTITY },
	{ "status", cmd_status, "show what the daemon is doing: remotes, peers, warnings",
	  CLI_CMD_STORE },
	{ "config", cmd_config, "print or change the store's settings (daemon, remotes)",
	  CLI_CMD_STORE },
	{ "help", cmd_help, "show the help of sanctum or of one command", CLI_CMD_NONE },
};

const cli_cmd *cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const cli_cmd *cli_cmd_table(size_t *count)
{
	*count = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

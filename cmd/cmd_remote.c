/*
 * `sanctum remote add|remove|list`: the git remotes a store syncs with
 * (docs/man/sanctum-remote.1.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sanctum/errors.h>
#include <sanctum/sync.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"
#include "subcmd.h"

enum { OPT_JSON = 1, ARG_NAME, ARG_URL };

static const cli_opt add_opts[] = {
	{ ARG_NAME, 0, NULL, "NAME", "the remote's name (letters, digits, '-', '_', '.')",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ ARG_URL, 0, NULL, "URL", "a path, file://, git://, ssh:// (or host:path), http(s)://",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_opt remove_opts[] = {
	{ ARG_NAME, 0, NULL, "NAME", "the remote to forget", CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_opt list_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON array instead of the table", 0 },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

#define ADD_DOC(also)                                                                          \
	{ "sanctum remote add", add_opts, NULL,                                                \
	  "Record a git remote to push to and pull from. Nothing is fetched yet: the next\n"   \
	  "'sanctum pull NAME' fetches and verifies it.",                                      \
	  "For ssh:// the key is remote.NAME.sshKey in the store's config when set\n"          \
	  "(git --git-dir .sanctum config remote.NAME.sshKey ~/.ssh/id_ed25519), otherwise\n" \
	  "the ssh-agent; the host must be in ~/.ssh/known_hosts. For https:// the user and\n" \
	  "password come from git's credential helpers. sanctum never prompts.\n", also }
#define REMOVE_DOC(also)                                                                       \
	{ "sanctum remote remove", remove_opts, NULL,                                          \
	  "Forget a remote, with its record of the last verified head and any quarantined\n"  \
	  "commits. The remote repository itself is not touched.", NULL, also }
#define LIST_DOC(also)                                                                         \
	{ "sanctum remote list", list_opts, NULL,                                              \
	  "List the remotes: name, URL, and the last head verified from each.",                \
	  "The JSON array holds objects with the members name, url and verified (\"\" when\n" \
	  "nothing was verified from it yet).\n", also }

static const cli_doc add_doc = ADD_DOC(NULL);
static const cli_doc remove_doc = REMOVE_DOC(NULL);
static const cli_doc list_doc = LIST_DOC(NULL);
static const cli_doc chain_list = LIST_DOC(NULL);
static const cli_doc chain_remove = REMOVE_DOC(&chain_list);
static const cli_doc chain_add = ADD_DOC(&chain_remove);

static int remote_add(int argc, char **argv)
{
	cli_session s = CLI_SESSION_INIT;
	const char *name = NULL, *url = NULL, *value;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &add_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		if (id == ARG_NAME)
			name = value;
		else if (id == ARG_URL)
			url = value;
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, NULL)) != CLI_EXIT_OK)
		return rc;
	if ((code = sanctum_remote_add(s.store, name, url)) < 0) {
		rc = code == SANCTUM_EINVALID ? cli_usage_error(&add_doc, "%s",
		                                                sanctum_error_last()->message)
		                              : cli_store_error(code, "cannot add remote '%s'", name);
		sanctum_error_clear();
	} else {
		fprintf(stderr, "added remote '%s'; 'sanctum pull %s' fetches and verifies it\n",
		        name, name);
	}
	cli_session_close(&s);
	return rc;
}

static int remote_remove(int argc, char **argv)
{
	cli_session s = CLI_SESSION_INIT;
	const char *name = NULL, *value;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &remove_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == ARG_NAME)
			name = value;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, NULL)) != CLI_EXIT_OK)
		return rc;
	if ((code = sanctum_remote_remove(s.store, name)) < 0)
		rc = cli_store_error(code, "cannot remove remote '%s'", name);
	else
		fprintf(stderr, "removed remote '%s'\n", name);
	cli_session_close(&s);
	return rc;
}

static int print_list(const sanctum_remote_info *list, size_t n, int json)
{
	json_t *array;

	if (!json) {
		for (size_t i = 0; i < n; i++) {
			char *url = cli_clean_text(list[i].url);

			if (!url)
				return cli_error("out of memory");
			printf("%-16s %s%s%.*s\n", list[i].name, url, list[i].verified[0] ? "  verified " : "",
			       CLI_SHORT_ID, list[i].verified);
			free(url);
		}
		return CLI_EXIT_OK;
	}
	if (!(array = json_array()))
		return cli_error("out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		int bad = !o;

		bad |= cli_json_set(o, "name", json_string(list[i].name));
		bad |= cli_json_set(o, "url", json_string(list[i].url));
		bad |= cli_json_set(o, "verified", json_string(list[i].verified));
		if (bad || json_array_append_new(array, o) != 0) {
			json_decref(array);
			return cli_error("out of memory");
		}
	}
	return cli_json_print(array) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int remote_list(int argc, char **argv)
{
	cli_session s = CLI_SESSION_INIT;
	sanctum_remote_info *list = NULL;
	const char *value;
	size_t n = 0;
	cli_opt_parser p;
	int id, rc, code, json = 0;

	cli_opt_parser_init(&p, &list_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == OPT_JSON)
			json = 1;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, NULL)) != CLI_EXIT_OK)
		return rc;
	if ((code = sanctum_remote_list(&list, &n, s.store)) < 0)
		rc = cli_store_error(code, "cannot list the remotes");
	else
		rc = print_list(list, n, json);
	sanctum_remote_list_free(list, n);
	cli_session_close(&s);
	return rc;
}

static const cli_subcommand subcommands[] = {
	{ "add", remote_add, &add_doc, "record a git remote: NAME URL" },
	{ "remove", remote_remove, &remove_doc, "forget a remote and its records" },
	{ "list", remote_list, &list_doc, "list the remotes and the last head verified from each" },
};

static const cli_subcommand_set remote_set = {
	&chain_add,
	"Manage the git remotes this store pushes to and pulls from.",
	NULL,
	subcommands, sizeof(subcommands) / sizeof(subcommands[0])
};

int cmd_remote(int argc, char **argv)
{
	return cli_subcommand_dispatch(&remote_set, argc, argv);
}

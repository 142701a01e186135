/*
 * `sanctum config KEY [VALUE]`, `--unset KEY`, `--list`: the store's settings, in the
 * manner of `git config` (docs/man/sanctum-config.1.md). Values are checked before they
 * are written: a daemon should never find a setting it cannot read.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sanctum/config.h>
#include <sanctum/errors.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

enum { OPT_UNSET = 1, OPT_LIST, ARG_KEY, ARG_VALUE };

static const cli_opt config_opts[] = {
	{ OPT_UNSET, 0, "unset", NULL, "remove KEY", 0 },
	{ OPT_LIST, 'l', "list", NULL, "print every sanctum setting of the store", 0 },
	{ ARG_KEY, 0, NULL, "KEY", "the setting, e.g. sanctum.daemon.listen", CLI_OPT_POSITIONAL },
	{ ARG_VALUE, 0, NULL, "VALUE", "its new value; without it, print the current one",
	  CLI_OPT_POSITIONAL },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_usage get_form[] = { { ARG_KEY, CLI_USAGE_REQUIRED }, { ARG_VALUE, 0 }, { 0, 0 } };
static const cli_usage unset_form[] = { { OPT_UNSET, CLI_USAGE_REQUIRED },
	                                { ARG_KEY, CLI_USAGE_REQUIRED }, { 0, 0 } };
static const cli_usage list_form[] = { { OPT_LIST, CLI_USAGE_REQUIRED }, { 0, 0 } };
static const cli_usage *const config_forms[] = { get_form, unset_form, list_form, NULL };

static const cli_doc config_doc = {
	"sanctum config", config_opts, config_forms,
	"Print or set one of the store's settings, kept in .sanctum/config like git's.",
	"The settings:\n"
	"  sanctum.daemon.listen          HOST:PORT where the daemon accepts peers\n"
	"  sanctum.daemon.peers           HOST:PORT,... the peers the daemon connects to\n"
	"  sanctum.daemon.interval        DURATION between scheduled syncs (default 5m)\n"
	"  sanctum.daemon.withholdTimeout DURATION an announced head may stay unfetchable\n"
	"  sanctum.webhook.listen         HOST:PORT of the forge webhook listener\n"
	"  sanctum.webhook.secretFile     PATH of the file holding the webhook secret\n"
	"  sanctum.webhook.path           /PATH webhooks are posted to (default /hook)\n"
	"  remote.NAME.url                URL of a remote (see 'sanctum remote')\n"
	"  remote.NAME.sshKey             PATH of the private key for an ssh:// remote\n"
	"  remote.NAME.syncInterval       DURATION between this remote's scheduled syncs\n"
	"DURATION is a number with a unit: 250ms, 30s, 5m, 2h. Printing a setting that is\n"
	"not set exits 1, as git config does.\n",
	NULL
};

static int list_settings(sanctum_store *store)
{
	sanctum_config_entry *list = NULL;
	size_t n = 0;
	int code = sanctum_config_list(&list, &n, store);

	if (code < 0)
		return cli_store_error(code, "cannot read the settings");
	for (size_t i = 0; i < n; i++) {
		char *value = cli_clean_text(list[i].value);

		if (!value) {
			sanctum_config_list_free(list, n);
			return cli_error("out of memory");
		}
		printf("%s=%s\n", list[i].key, value);
		free(value);
	}
	sanctum_config_list_free(list, n);
	return CLI_EXIT_OK;
}

static int get_setting(sanctum_store *store, const char *key)
{
	char *value = NULL;
	int code = sanctum_config_get(&value, store, key);

	if (code == SANCTUM_ENOTFOUND) {
		sanctum_error_clear();
		return CLI_EXIT_FAILED; /* silent, as git config: scripts test the status */
	}
	if (code < 0)
		return code == SANCTUM_EINVALID ? cli_error_lib(code)
		                                : cli_store_error(code, "cannot read '%s'", key);
	printf("%s\n", value);
	free(value);
	return CLI_EXIT_OK;
}

int cmd_config(int argc, char **argv)
{
	cli_session s = CLI_SESSION_INIT;
	const char *key = NULL, *value = NULL, *arg;
	int id, rc, code, unset = 0, list = 0;
	cli_opt_parser p;

	cli_opt_parser_init(&p, &config_doc, argc, argv);
	while ((id = cli_opt_next(&p, &arg)) > 0) {
		switch (id) {
		case OPT_UNSET: unset = 1; break;
		case OPT_LIST: list = 1; break;
		case ARG_KEY: key = arg; break;
		case ARG_VALUE: value = arg; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (list ? (key || unset) : !key)
		return cli_usage_error(&config_doc, list ? "--list takes no KEY" : "name a KEY, or "
		                       "give --list");
	if (unset && value)
		return cli_usage_error(&config_doc, "--unset takes only the KEY");
	if ((rc = cli_session_open(&s, NULL)) != CLI_EXIT_OK)
		return rc;
	if (list)
		rc = list_settings(s.store);
	else if (!unset && !value)
		rc = get_setting(s.store, key);
	else if ((code = unset ? sanctum_config_unset(s.store, key)
	                       : sanctum_config_set(s.store, key, value)) < 0)
		rc = code == SANCTUM_EINVALID ? cli_usage_error(&config_doc, "%s",
		                                                sanctum_error_last()->message)
		                              : cli_store_error(code, "cannot change '%s'", key);
	sanctum_error_clear();
	cli_session_close(&s);
	return rc;
}

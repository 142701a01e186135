/*
 * `sanctum daemon`: runs the notification daemon of the store in the foreground
 * (docs/man/sanctum-daemon.1.md, docs/daemon.md). systemd runs it as a simple service;
 * it logs to stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sanctum/daemon.h>
#include <sanctum/errors.h>

#include "cmd.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

#define MAX_PEER_OPTIONS 64

enum { OPT_LISTEN = 1, OPT_PEER, OPT_INTERVAL, OPT_WEBHOOK, OPT_DEBUG, OPT_IDENTITY,
       OPT_PASSPHRASE_FILE };

static const cli_opt daemon_opts[] = {
	{ OPT_LISTEN, 0, "listen", "HOST:PORT", "accept peers here (default: "
	  "sanctum.daemon.listen; none: only dial out)", 0 },
	{ OPT_PEER, 0, "peer", "HOST:PORT", "a peer daemon to connect to; repeat for more "
	  "(replaces sanctum.daemon.peers)", CLI_OPT_REPEAT },
	{ OPT_INTERVAL, 0, "interval", "DURATION", "sync every remote this often (default: "
	  "remote.NAME.syncInterval, sanctum.daemon.interval, 5m)", 0 },
	{ OPT_WEBHOOK, 0, "webhook", "HOST:PORT", "listen for forge webhooks here (default: "
	  "sanctum.webhook.listen)", 0 },
	{ OPT_DEBUG, 0, "debug", NULL, "log debug lines too", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc daemon_doc = {
	"sanctum daemon", daemon_opts, NULL,
	"Run the store's notification daemon in the foreground until SIGTERM or SIGINT:\n"
	"it syncs every remote on a timer (with jitter, and backoff after failures), keeps\n"
	"encrypted connections (Noise XX) to the other cities' daemons, announces this\n"
	"city's new heads to them and pulls at once when they announce theirs, and answers\n"
	"'sanctum status', 'sanctum push' and 'sanctum sync' on a socket in the store.",
	"SIGHUP reloads the peers and intervals from the store's settings ('sanctum config').\n"
	"One daemon per store: a second one refuses to start (exit 5). Logs go to standard\n"
	"error, one line per event with the time and level. The identity must open without\n"
	"a prompt under systemd: use one without passphrase or --passphrase-file.\n",
	NULL
};

int cmd_daemon(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_daemon_options o = { NULL, NULL, NULL, NULL, 0, NULL, NULL, 0 };
	const char *peers[MAX_PEER_OPTIONS], *value;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &daemon_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_LISTEN: o.listen = value; break;
		case OPT_PEER:
			if (o.npeers == MAX_PEER_OPTIONS)
				return cli_usage_error(&daemon_doc, "at most %d --peer options; use "
				                       "sanctum.daemon.peers for more", MAX_PEER_OPTIONS);
			peers[o.npeers++] = value;
			break;
		case OPT_INTERVAL: o.interval = value; break;
		case OPT_WEBHOOK: o.webhook = value; break;
		case OPT_DEBUG: o.debug = 1; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	o.store_dir = sanctum_store_path(s.store);
	o.identity = s.identity;
	o.peers = o.npeers ? peers : NULL;
	code = sanctum_daemon_run(&o);
	if (code == SANCTUM_ELOCKED)
		rc = (cli_error_lib(code), CLI_EXIT_LOCKED);
	else if (code == SANCTUM_EINVALID)
		rc = (cli_error_lib(code), CLI_EXIT_USAGE);
	else if (code < 0)
		rc = cli_error_lib(code);
	cli_session_close(&s);
	return rc;
}

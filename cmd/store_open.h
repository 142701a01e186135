/*
 * What the store commands share: finding the store, unlocking the identity they act as,
 * resolving a document id typed by a person, and the options that go with these.
 *
 * The store is the folder named by $SANCTUM_DIR (exactly that folder), or else the
 * nearest folder holding `.sanctum` from the current directory up, as git finds a
 * repository; `sanctum -C DIR` changed the current directory before any of this. The
 * identity comes from identity_path.h (--identity, $SANCTUM_IDENTITY, the XDG default).
 *
 * A command declares what it needs with CLI_CMD_STORE and CLI_CMD_IDENTITY in the table
 * of commands.c, parses its own options, then calls cli_session_open, which sets up what
 * the table declares. Every function here prints its own errors.
 */
#ifndef CLI_STORE_OPEN_H
#define CLI_STORE_OPEN_H

#include <sanctum/doc.h>
#include <sanctum/identity.h>
#include <sanctum/members.h>
#include <sanctum/store.h>

#include "opt.h"

#define CLI_STORE_DIR_ENV "SANCTUM_DIR"

/* The two identity options, for a command's option table; `a` and `b` are their ids. */
#define CLI_IDENTITY_OPTIONS(a, b)                                                           \
	{ a, 0, "identity", "PATH", "act as the identity in PATH (default: $SANCTUM_IDENTITY " \
	  "or ~/.config/sanctum/identity)", 0 },                                            \
	{ b, 0, "passphrase-file", "FILE", "read the identity's passphrase from the first line " \
	  "of FILE (default: $SANCTUM_PASSPHRASE_FILE, else the terminal)", 0 }

/** The values of the identity options; both NULL when not given. */
typedef struct {
	const char *identity;
	const char *passphrase_file;
} cli_identity_args;

/** The name "city/device" of a member, for tables. */
typedef char cli_member_name[2 * SANCTUM_NAME_MAX + 2];

/** What a command works with. */
typedef struct {
	sanctum_store *store;         /* owned; NULL unless opened */
	sanctum_identity *identity;   /* owned; NULL unless loaded */
	sanctum_member_list members;  /* owned; loaded by cli_session_members */
	cli_member_name *names;       /* owned; "city/device" of each member, same order */
	int have_members;             /* members and names are loaded */
} cli_session;

#define CLI_SESSION_INIT { NULL, NULL, { NULL, 0, 0, 0 }, NULL, 0 }

/**
 * Opens what the running command's CLI_CMD_* flags ask for: the store first (so that
 * "not in a store" comes before any passphrase prompt), then the identity. Returns
 * CLI_EXIT_OK, or an exit code after printing why; `s` is then closed.
 */
int cli_session_open(cli_session *s, const cli_identity_args *args);

/**
 * Opens the store if the session has none yet, for a command whose table entry does not
 * ask for one but one of its subcommands does (`sanctum keys rotate`). Returns CLI_EXIT_OK
 * or an exit code after printing why.
 */
int cli_session_store(cli_session *s);

/**
 * Loads the identity if the session has none yet, for a command that needs it only with
 * some arguments (`sanctum log ID`). Returns CLI_EXIT_OK or an exit code.
 */
int cli_session_identity(cli_session *s, const cli_identity_args *args);

/**
 * Loads the group's members from the roster on main (once), so that authors can be shown
 * by name. Returns CLI_EXIT_OK or an exit code after printing why.
 */
int cli_session_members(cli_session *s);

/**
 * The "city/device" of the member with this key fingerprint, or NULL when the roster has
 * no such member (or cli_session_members was not called). Borrowed from the session.
 */
const char *cli_session_author(const cli_session *s, const char *fingerprint);

/**
 * Checks, before a membership change is made, that the session's identity is an active
 * admin (the library checks again; this gives the plain message and the right hint).
 * `what` completes "only an admin of the group can ...". Loads the members. Returns
 * CLI_EXIT_OK or CLI_EXIT_FAILED after printing why.
 */
int cli_session_require_admin(cli_session *s, const char *what);

/** Releases the store and the members, and wipes the identity. Safe to repeat. */
void cli_session_close(cli_session *s);

/**
 * Resolves a document id or a unique prefix of one (4 to 32 hex digits) on main.
 * Returns CLI_EXIT_OK, or CLI_EXIT_FAILED after printing why.
 */
int cli_resolve_id(unsigned char id[SANCTUM_DOC_ID_SIZE], cli_session *s, const char *prefix);

/**
 * Reports a failed store call as "<prog>: <context>: <message>", with a hint for the
 * failures that have an obvious next step. Returns CLI_EXIT_FAILED.
 */
SANCTUM_PRINTF(2, 3) int cli_store_error(int code, const char *fmt, ...);

#endif

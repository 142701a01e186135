/*
 * `sanctum member add|list`: the members of the group (docs/man/sanctum-member.1.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sanctum/members.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"
#include "store_open.h"
#include "subcmd.h"

#define CARD_MAX 1024

enum { OPT_ADMIN = 1, OPT_NO_HISTORY, OPT_JSON, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_CARD };

/* ---- documentation ---- */

static const cli_opt add_opts[] = {
	{ OPT_ADMIN, 0, "admin", NULL, "make the new member an admin, who may change membership", 0 },
	{ OPT_NO_HISTORY, 0, "no-history", NULL,
	  "give only the current epoch's key, not the earlier ones", 0 },
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_CARD, 0, NULL, "CARD", "the member card, as 'sanctum keys show' prints it; - reads "
	  "it from standard input", CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage add_form[] = {
	{ OPT_ADMIN, 0 }, { OPT_NO_HISTORY, 0 }, { OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 },
	{ ARG_CARD, CLI_USAGE_REQUIRED }, { 0, 0 }
};
static const cli_usage *const add_forms[] = { add_form, NULL };

static const cli_opt list_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON array instead of the table", 0 },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage list_form[] = { { OPT_JSON, 0 }, { 0, 0 } };
static const cli_usage *const list_forms[] = { list_form, NULL };

#define ADD_ABOUT                                                                                \
	"Add the member of CARD to the group, in one commit signed by you (an admin). By\n"       \
	"default the newcomer receives every epoch key, so it can read the group's whole\n"      \
	"history; with --no-history it receives only the current one."
#define LIST_ABOUT                                                                               \
	"List the members of the group, devices grouped by city, as the roster on main says."

static const cli_doc list_doc = { "sanctum member list", list_opts, list_forms, LIST_ABOUT,
	                          NULL, NULL };
static const cli_doc add_doc = { "sanctum member add", add_opts, add_forms, ADD_ABOUT, NULL,
	                         &list_doc };

/* ---- add ---- */

static int read_card(sanctum_card *card, const char *arg)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	int code;

	if (strcmp(arg, "-") == 0) {
		if (cli_read_file(&text, "-", CARD_MAX) < 0) {
			sanctum_buf_dispose(&text);
			return CLI_EXIT_FAILED;
		}
		arg = (const char *)text.ptr;
	}
	code = sanctum_card_parse(card, arg, strlen(arg));
	sanctum_buf_dispose(&text);
	if (code < 0) {
		cli_error_core(code, "cannot read the member card");
		cli_hint("paste the whole line that 'sanctum keys show' printed, as one argument");
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

static int member_add(int argc, char **argv)
{
	sanctum_member_add_options opts = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	const char *card_arg = NULL, *value;
	sanctum_card card;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &add_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_ADMIN: opts.admin = 1; break;
		case OPT_NO_HISTORY: opts.history = 0; break;
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_CARD: card_arg = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = read_card(&card, card_arg)) != CLI_EXIT_OK)
		return rc;
	/* The table asks only for the store (list needs no identity); add loads it here. */
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_identity(&s, &ida)) != CLI_EXIT_OK) {
		cli_session_close(&s);
		return rc;
	}
	code = sanctum_store_member_add(s.store, &card, &opts, s.identity);
	if (code < 0)
		rc = cli_store_error(code, "cannot add '%s/%s'", card.city, card.device);
	else
		fprintf(stderr, "added %s/%s as %s%s\n", card.city, card.device,
		        opts.admin ? "an admin" : "a member",
		        opts.history ? "" : ", without the earlier epochs");
	cli_session_close(&s);
	return rc;
}

/* ---- list ---- */

static int by_city(const void *a, const void *b)
{
	const sanctum_member_info *x = a, *y = b;
	int c = strcmp(x->card.city, y->card.city);

	return c ? c : strcmp(x->card.device, y->card.device);
}

static json_t *member_json(const sanctum_member_info *m)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "city", m->card.city, "device",
	                 m->card.device, "fingerprint", m->fingerprint, "role",
	                 m->admin ? "admin" : "member", "active", m->active, "history",
	                 m->history);
}

static int print_members_json(const sanctum_member_list *list)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < list->count; i++)
		if (json_array_append_new(array, member_json(&list->items[i])) != 0) {
			json_decref(array);
			array = NULL;
		}
	if (!array)
		return cli_error("out of memory");
	return cli_json_print(array) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static void print_members_table(const sanctum_member_list *list)
{
	const char *city = "";

	for (size_t i = 0; i < list->count; i++) {
		const sanctum_member_info *m = &list->items[i];
		char fp[CLI_SHORT_FINGERPRINT + 1];

		if (strcmp(city, m->card.city) != 0) {
			city = m->card.city;
			printf("%s\n", city);
		}
		cli_short_fingerprint(fp, m->fingerprint);
		printf("    %-20s %-7s %s%s%s\n", m->card.device, m->admin ? "admin" : "member", fp,
		       m->active ? "" : "  (removed)", m->history || !m->active ? "" : "  (no history)");
	}
}

static int member_list(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_member_list list;
	const char *value;
	cli_opt_parser p;
	int id, rc, json = 0, code;

	cli_opt_parser_init(&p, &list_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == OPT_JSON)
			json = 1;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((code = sanctum_store_members(&list, s.store)) < 0) {
		rc = cli_store_error(code, "cannot read the roster");
	} else {
		qsort(list.items, list.count, sizeof(*list.items), by_city);
		if (json)
			rc = print_members_json(&list);
		else
			print_members_table(&list);
		sanctum_member_list_dispose(&list);
	}
	cli_session_close(&s);
	return rc;
}

/* ---- dispatch ---- */

static const cli_subcommand subcommands[] = {
	{ "add", member_add, &add_doc, "add a member from its card (admins only)" },
	{ "list", member_list, &list_doc, "list the members, devices grouped by city" },
};

static const cli_subcommand_set member_set = {
	&add_doc,
	"See and change who belongs to the group. Each change is a signed roster entry.",
	NULL,
	subcommands, sizeof(subcommands) / sizeof(subcommands[0])
};

int cmd_member(int argc, char **argv)
{
	return cli_subcommand_dispatch(&member_set, argc, argv);
}

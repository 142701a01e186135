/*
 * `sanctum group show|set`: the group as a whole, its name, id, epoch and the number of
 * admins that must approve a membership change (docs/man/sanctum-group.1.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sanctum/members.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"
#include "subcmd.h"

enum { OPT_JSON = 1, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_SETTING, ARG_VALUE };

/* ---- documentation ---- */

static const cli_opt show_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON object instead of the text", 0 },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage show_form[] = { { OPT_JSON, 0 }, { 0, 0 } };
static const cli_usage *const show_forms[] = { show_form, NULL };

static const cli_opt set_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_SETTING, 0, NULL, "approvals", "the setting: approvals, how many admins must "
	  "sign a membership change", CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ ARG_VALUE, 0, NULL, "K", "its value: 1 to the number of admins",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage set_form[] = {
	{ OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 }, { ARG_SETTING, CLI_USAGE_REQUIRED },
	{ ARG_VALUE, CLI_USAGE_REQUIRED }, { 0, 0 }
};
static const cli_usage *const set_forms[] = { set_form, NULL };

#define SHOW_DOC(also)                                                                           \
	{ "sanctum group show", show_opts, show_forms,                                           \
	  "Print the group's name and id, the number of admin approvals a membership change\n"  \
	  "needs, the current epoch, and how many members and admins it has.",                  \
	  "The JSON object has the members name, id, approvals, epoch, members (active\n"       \
	  "devices) and admins.\n", also }
#define SET_DOC(also)                                                                            \
	{ "sanctum group set", set_opts, set_forms,                                              \
	  "Change a setting of the group, in a roster entry signed by you (an admin). The one\n" \
	  "setting is 'approvals K': from then on, a membership change (add, remove, role,\n"   \
	  "approvals) takes effect only once K distinct admins have signed it.",                \
	  "While the group already needs more than one approval, the new threshold is itself\n" \
	  "a proposal that other admins approve with 'sanctum member approve ID'. A key\n"      \
	  "rotation ('sanctum keys rotate') never needs approvals.\n", also }

static const cli_doc show_doc = SHOW_DOC(NULL);
static const cli_doc set_doc = SET_DOC(NULL);
static const cli_doc chain_set = SET_DOC(NULL);
static const cli_doc chain_show = SHOW_DOC(&chain_set);

/* ---- show ---- */

static int group_show(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	size_t members = 0, admins = 0;
	const char *value;
	cli_opt_parser p;
	int id, rc, json = 0;

	cli_opt_parser_init(&p, &show_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == OPT_JSON)
			json = 1;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_members(&s)) != CLI_EXIT_OK)
		goto done;
	for (size_t i = 0; i < s.members.count; i++) {
		members += s.members.items[i].active != 0;
		admins += s.members.items[i].active && s.members.items[i].admin;
	}
	if (json) {
		json_t *o = json_object();
		int bad = 0;

		bad |= cli_json_set(o, "name", json_string(sanctum_store_group_name(s.store)));
		bad |= cli_json_set(o, "id", json_string(sanctum_store_group_id(s.store)));
		bad |= cli_json_set(o, "approvals", json_integer((json_int_t)s.members.approvals));
		bad |= cli_json_set(o, "epoch", json_integer((json_int_t)s.members.epoch));
		bad |= cli_json_set(o, "members", json_integer((json_int_t)members));
		bad |= cli_json_set(o, "admins", json_integer((json_int_t)admins));
		if (bad) {
			json_decref(o);
			rc = cli_error("out of memory");
		} else {
			rc = cli_json_print(o) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
		}
	} else {
		char *name = cli_clean_text(sanctum_store_group_name(s.store));

		if (!name) {
			rc = cli_error("out of memory");
			goto done;
		}
		printf("name       %s\n", name);
		printf("id         %s\n", sanctum_store_group_id(s.store));
		printf("approvals  %llu of %zu admin%s\n", (unsigned long long)s.members.approvals,
		       admins, admins == 1 ? "" : "s");
		printf("epoch      %llu\n", (unsigned long long)s.members.epoch);
		printf("members    %zu\n", members);
		free(name);
	}
done:
	cli_session_close(&s);
	return rc;
}

/* ---- set ---- */

/* K: a decimal number from 1 up; the library checks it against the admins. */
static int parse_approvals(const char *text, uint64_t *out)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		return -1;
	n = strtoull(text, &end, 10);
	if (errno || *end || n < 1)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static int group_set(int argc, char **argv)
{
	sanctum_change_result result = SANCTUM_CHANGE_APPLIED;
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_proposal_list before = { NULL, 0 }, after = { NULL, 0 };
	const char *setting = NULL, *text = NULL, *value;
	uint64_t approvals = 0;
	size_t admins = 0;
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &set_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_SETTING: setting = value; break;
		case ARG_VALUE: text = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (strcmp(setting, "approvals") != 0)
		return cli_usage_error(&set_doc, "unknown setting '%s': the one setting is "
		                       "'approvals'", setting);
	if (parse_approvals(text, &approvals) < 0)
		return cli_usage_error(&set_doc, "invalid number of approvals '%s': expected a "
		                       "number from 1 up", text);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_identity(&s, &ida)) != CLI_EXIT_OK ||
	    (rc = cli_session_require_admin(&s, "change its settings")) != CLI_EXIT_OK)
		goto done;
	for (size_t i = 0; i < s.members.count; i++)
		admins += s.members.items[i].active && s.members.items[i].admin;
	if (s.members.approvals == approvals) {
		fprintf(stderr, "the group already needs %llu approval%s; nothing to change\n",
		        (unsigned long long)approvals, approvals == 1 ? "" : "s");
		goto done;
	}
	if (approvals > admins) {
		rc = cli_error("cannot require %llu approvals: the group has %zu admin%s",
		               (unsigned long long)approvals, admins, admins == 1 ? "" : "s");
		cli_hint("make more members admins first ('sanctum member role WHO admin')");
		goto done;
	}
	if ((code = sanctum_store_proposals(&before, s.store)) < 0) {
		rc = cli_store_error(code, "cannot read the proposals");
		goto done;
	}
	code = sanctum_store_set_approvals(s.store, approvals, s.identity, &result);
	if (code < 0) {
		rc = cli_store_error(code, "cannot set the approvals to %llu",
		                     (unsigned long long)approvals);
	} else if (result == SANCTUM_CHANGE_APPLIED) {
		fprintf(stderr, "a membership change now needs the approval of %llu admin%s\n",
		        (unsigned long long)approvals, approvals == 1 ? "" : "s");
	} else if (sanctum_store_proposals(&after, s.store) == 0) {
		const sanctum_proposal_info *np = NULL;

		for (size_t i = 0; i < after.count && !np; i++) {
			np = &after.items[i];
			for (size_t j = 0; np && j < before.count; j++)
				if (strcmp(before.items[j].id, np->id) == 0)
					np = NULL;
		}
		if (np) {
			printf("%s\n", np->id);
			fprintf(stderr, "proposed requiring %llu approvals (proposal %s): %zu of "
			        "%zu admin approvals\n", (unsigned long long)approvals, np->id,
			        np->approvals, np->approvals + np->missing);
			cli_hint("other admins approve it with 'sanctum member approve %s'",
			         np->id);
		} else {
			fprintf(stderr, "proposed requiring %llu approvals: other admins approve "
			        "it with 'sanctum member approve'\n",
			        (unsigned long long)approvals);
		}
	}
done:
	sanctum_proposal_list_dispose(&before);
	sanctum_proposal_list_dispose(&after);
	cli_session_close(&s);
	return rc;
}

/* ---- dispatch ---- */

static const cli_subcommand subcommands[] = {
	{ "show", group_show, &show_doc, "print the group's name, id, approvals, epoch, members" },
	{ "set", group_set, &set_doc, "change a setting: 'set approvals K' (admins only)" },
};

static const cli_subcommand_set group_set_doc = {
	&chain_show,
	"See and change the group as a whole. A change is a signed roster entry.",
	NULL,
	subcommands, sizeof(subcommands) / sizeof(subcommands[0])
};

int cmd_group(int argc, char **argv)
{
	return cli_subcommand_dispatch(&group_set_doc, argc, argv);
}

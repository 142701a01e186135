/*
 * `sanctum member add|remove|role|list|proposals|approve`: the members of the group and
 * the changes to them (docs/man/sanctum-member.1.md). A change made while the group needs
 * more than one admin's approval is committed as a proposal, which `approve` completes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sanctum/errors.h>
#include <sanctum/members.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "fileio.h"
#include "opt.h"
#include "store_open.h"
#include "subcmd.h"

#define CARD_MAX 1024

enum {
	OPT_ADMIN = 1, OPT_NO_HISTORY, OPT_JSON, OPT_IDENTITY, OPT_PASSPHRASE_FILE, ARG_CARD,
	ARG_WHO, ARG_ROLE, ARG_PROPOSAL
};

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

#define WHO_ARG                                                                                  \
	{ ARG_WHO, 0, NULL, "WHO", "the member: its fingerprint, city/device, or a city that has " \
	  "one device", CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED }

static const cli_opt remove_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	WHO_ARG,
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage remove_form[] = {
	{ OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 }, { ARG_WHO, CLI_USAGE_REQUIRED }, { 0, 0 }
};
static const cli_usage *const remove_forms[] = { remove_form, NULL };

static const cli_opt role_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	WHO_ARG,
	{ ARG_ROLE, 0, NULL, "admin|member", "the new role",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage role_form[] = {
	{ OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 }, { ARG_WHO, CLI_USAGE_REQUIRED },
	{ ARG_ROLE, CLI_USAGE_REQUIRED }, { 0, 0 }
};
static const cli_usage *const role_forms[] = { role_form, NULL };

static const cli_opt list_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON object instead of the table", 0 },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage list_form[] = { { OPT_JSON, 0 }, { 0, 0 } };
static const cli_usage *const list_forms[] = { list_form, NULL };

static const cli_opt proposals_opts[] = {
	{ OPT_JSON, 0, "json", NULL, "print a JSON array instead of the table", 0 },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage proposals_form[] = { { OPT_JSON, 0 }, { 0, 0 } };
static const cli_usage *const proposals_forms[] = { proposals_form, NULL };

static const cli_opt approve_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_PROPOSAL, 0, NULL, "ID", "the proposal, as 'sanctum member proposals' shows it (a "
	  "unique prefix is enough)", CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};
static const cli_usage approve_form[] = {
	{ OPT_IDENTITY, 0 }, { OPT_PASSPHRASE_FILE, 0 }, { ARG_PROPOSAL, CLI_USAGE_REQUIRED },
	{ 0, 0 }
};
static const cli_usage *const approve_forms[] = { approve_form, NULL };

#define THRESHOLD_DETAILS                                                                        \
	"When the group needs the approval of more than one admin ('sanctum group set\n"          \
	"approvals K'), the change is committed as a proposal instead: its id is printed on\n"    \
	"standard output, and it takes effect when the K-th admin runs 'sanctum member\n"         \
	"approve ID'.\n"

#define ADD_DOC(also)                                                                            \
	{ "sanctum member add", add_opts, add_forms,                                             \
	  "Add the member of CARD to the group, in one commit signed by you (an admin). By\n"    \
	  "default the newcomer receives every epoch key, so it can read the group's whole\n"   \
	  "history; with --no-history it receives only the current one.",                       \
	  THRESHOLD_DETAILS, also }
#define REMOVE_DOC(also)                                                                         \
	{ "sanctum member remove", remove_opts, remove_forms,                                    \
	  "Remove a member (one device) from the group, in one commit signed by you (an\n"      \
	  "admin), and start a new epoch: a fresh key, sealed to the remaining members, so\n"   \
	  "that what is written from now on is out of the removed key's reach.",                 \
	  "The other devices of the same city stay members. Documents written before stay in\n" \
	  "their epoch until 'sanctum rekey' re-encrypts them.\n\n" THRESHOLD_DETAILS, also }
#define ROLE_DOC(also)                                                                           \
	{ "sanctum member role", role_opts, role_forms,                                          \
	  "Make a member an admin, who may change membership, or a plain member again.",        \
	  THRESHOLD_DETAILS, also }
#define LIST_DOC(also)                                                                           \
	{ "sanctum member list", list_opts, list_forms,                                          \
	  "List the members of the group, devices grouped by city, as the roster on main\n"     \
	  "says, after a line with the approval threshold and the current epoch.",              \
	  NULL, also }
#define PROPOSALS_DOC(also)                                                                      \
	{ "sanctum member proposals", proposals_opts, proposals_forms,                           \
	  "List the membership changes that wait for admin approvals: each one's id, its\n"     \
	  "approvals so far and needed, who proposed it and what it would do.",                 \
	  "A proposal overtaken by another change (the roster moved on) is shown as stale; it\n" \
	  "can no longer be approved, and the change has to be made again.\n", also }
#define APPROVE_DOC(also)                                                                        \
	{ "sanctum member approve", approve_opts, approve_forms,                                 \
	  "Add your signature (an admin's) to a proposed membership change. The approval\n"     \
	  "that completes the threshold applies the change, in the same commit.",               \
	  NULL, also }

static const cli_doc add_doc = ADD_DOC(NULL);
static const cli_doc remove_doc = REMOVE_DOC(NULL);
static const cli_doc role_doc = ROLE_DOC(NULL);
static const cli_doc list_doc = LIST_DOC(NULL);
static const cli_doc proposals_doc = PROPOSALS_DOC(NULL);
static const cli_doc approve_doc = APPROVE_DOC(NULL);

/* The same docs chained, so that `sanctum member` shows every synopsis. */
static const cli_doc chain_approve = APPROVE_DOC(NULL);
static const cli_doc chain_proposals = PROPOSALS_DOC(&chain_approve);
static const cli_doc chain_list = LIST_DOC(&chain_proposals);
static const cli_doc chain_role = ROLE_DOC(&chain_list);
static const cli_doc chain_remove = REMOVE_DOC(&chain_role);
static const cli_doc chain_add = ADD_DOC(&chain_remove);

/* ---- shared by the changes ---- */

/* Opens the store and unlocks the identity a change is signed with. */
static int open_for_change(cli_session *s, const cli_identity_args *ida)
{
	int rc = cli_session_open(s, ida);

	if (rc == CLI_EXIT_OK && (rc = cli_session_identity(s, ida)) != CLI_EXIT_OK)
		cli_session_close(s);
	return rc;
}

/* The active member named by `who`, or an exit code after printing why. */
static int find_member(sanctum_member_info *out, cli_session *s, const char *who)
{
	int code = sanctum_store_member_find(out, s->store, who);

	if (code == 0)
		return CLI_EXIT_OK;
	return cli_store_error(code, "cannot find the member");
}

/* Whether `id` is among the proposals of `list`. */
static int has_proposal(const sanctum_proposal_list *list, const char *id)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].id, id) == 0)
			return 1;
	return 0;
}

/*
 * Reports a change that became a proposal: the one on main that `before` did not have.
 * Its id goes to stdout, for scripts; the rest to stderr.
 */
static void report_proposed(cli_session *s, const sanctum_proposal_list *before,
                            const char *what)
{
	sanctum_proposal_list after = { NULL, 0 };
	const sanctum_proposal_info *p = NULL;

	if (sanctum_store_proposals(&after, s->store) < 0)
		sanctum_error_clear();   /* the change is made; only its id can't be shown */
	for (size_t i = 0; !p && i < after.count; i++)
		if (!has_proposal(before, after.items[i].id))
			p = &after.items[i];
	if (p) {
		printf("%s\n", p->id);
		fprintf(stderr, "proposed %s (proposal %s): %zu of %zu admin approvals\n", what,
		        p->id, p->approvals, p->approvals + p->missing);
		if (p->missing == 1)
			cli_hint("one more admin must run 'sanctum member approve %s'", p->id);
		else
			cli_hint("%zu more admins must each run 'sanctum member approve %s'",
			         p->missing, p->id);
	} else {
		fprintf(stderr, "proposed %s: other admins approve it with 'sanctum member "
		        "approve' (see 'sanctum member proposals')\n", what);
	}
	sanctum_proposal_list_dispose(&after);
}

/* The proposals on main before a change, so that the new one can be told apart. */
static int proposals_before(sanctum_proposal_list *out, cli_session *s)
{
	int code = sanctum_store_proposals(out, s->store);

	return code < 0 ? cli_store_error(code, "cannot read the proposals") : CLI_EXIT_OK;
}

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
	sanctum_change_result result = SANCTUM_CHANGE_APPLIED;
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_proposal_list before = { NULL, 0 };
	const char *card_arg = NULL, *value;
	char what[128];
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
	if ((rc = open_for_change(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = proposals_before(&before, &s)) != CLI_EXIT_OK) {
		cli_session_close(&s);
		return rc;
	}
	code = sanctum_store_member_add(s.store, &card, &opts, s.identity, &result);
	snprintf(what, sizeof(what), "adding %s/%s", card.city, card.device);
	if (code < 0)
		rc = cli_store_error(code, "cannot add '%s/%s'", card.city, card.device);
	else if (result == SANCTUM_CHANGE_PROPOSED)
		report_proposed(&s, &before, what);
	else
		fprintf(stderr, "added %s/%s as %s%s\n", card.city, card.device,
		        opts.admin ? "an admin" : "a member",
		        opts.history ? "" : ", without the earlier epochs");
	sanctum_proposal_list_dispose(&before);
	cli_session_close(&s);
	return rc;
}

/* ---- remove ---- */

static int member_remove(int argc, char **argv)
{
	sanctum_change_result result = SANCTUM_CHANGE_APPLIED;
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_proposal_list before = { NULL, 0 };
	sanctum_member_list after;
	sanctum_member_info m;
	const char *who = NULL, *value;
	char what[128];
	cli_opt_parser p;
	int id, rc, code;

	cli_opt_parser_init(&p, &remove_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_WHO: who = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = open_for_change(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_require_admin(&s, "remove members")) != CLI_EXIT_OK ||
	    (rc = find_member(&m, &s, who)) != CLI_EXIT_OK ||
	    (rc = proposals_before(&before, &s)) != CLI_EXIT_OK)
		goto done;
	snprintf(what, sizeof(what), "removing %s/%s", m.card.city, m.card.device);
	code = sanctum_store_member_remove(s.store, m.fingerprint, s.identity, &result);
	if (code < 0) {
		rc = cli_store_error(code, "cannot remove '%s/%s'", m.card.city, m.card.device);
	} else if (result == SANCTUM_CHANGE_PROPOSED) {
		report_proposed(&s, &before, what);
	} else if (sanctum_store_members(&after, s.store) == 0) {
		fprintf(stderr, "removed %s/%s; epoch %llu started: what is written from now on "
		        "is out of its key's reach\n", m.card.city, m.card.device,
		        (unsigned long long)after.epoch);
		cli_hint("run 'sanctum rekey' to re-encrypt the earlier documents to epoch %llu",
		         (unsigned long long)after.epoch);
		sanctum_member_list_dispose(&after);
	} else {
		sanctum_error_clear();
		fprintf(stderr, "removed %s/%s and started a new epoch\n", m.card.city,
		        m.card.device);
	}
done:
	sanctum_proposal_list_dispose(&before);
	cli_session_close(&s);
	return rc;
}

/* ---- role ---- */

static int member_role(int argc, char **argv)
{
	sanctum_change_result result = SANCTUM_CHANGE_APPLIED;
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_proposal_list before = { NULL, 0 };
	sanctum_member_info m;
	const char *who = NULL, *role = NULL, *value;
	char what[160];
	cli_opt_parser p;
	int id, rc, code, admin;

	cli_opt_parser_init(&p, &role_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_WHO: who = value; break;
		case ARG_ROLE: role = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (strcmp(role, "admin") == 0)
		admin = 1;
	else if (strcmp(role, "member") == 0)
		admin = 0;
	else
		return cli_usage_error(&role_doc, "invalid role '%s': expected admin or member",
		                       role);
	if ((rc = open_for_change(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_require_admin(&s, "change roles")) != CLI_EXIT_OK ||
	    (rc = find_member(&m, &s, who)) != CLI_EXIT_OK ||
	    (rc = proposals_before(&before, &s)) != CLI_EXIT_OK)
		goto done;
	if (m.admin == admin) {
		rc = cli_error("'%s/%s' is already %s", m.card.city, m.card.device,
		               admin ? "an admin" : "a plain member");
		goto done;
	}
	snprintf(what, sizeof(what), "making %s/%s %s", m.card.city, m.card.device,
	         admin ? "an admin" : "a plain member");
	code = sanctum_store_member_role(s.store, m.fingerprint, admin, s.identity, &result);
	if (code < 0)
		rc = cli_store_error(code, "cannot change the role of '%s/%s'", m.card.city,
		                     m.card.device);
	else if (result == SANCTUM_CHANGE_PROPOSED)
		report_proposed(&s, &before, what);
	else
		fprintf(stderr, "%s/%s is now %s\n", m.card.city, m.card.device,
		        admin ? "an admin" : "a plain member");
done:
	sanctum_proposal_list_dispose(&before);
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

static size_t count_active(const sanctum_member_list *list, int admins_only)
{
	size_t n = 0;

	for (size_t i = 0; i < list->count; i++)
		n += list->items[i].active && (!admins_only || list->items[i].admin);
	return n;
}

static int print_members_json(const sanctum_member_list *list)
{
	json_t *array = json_array(), *o = json_object();
	int bad = 0;

	for (size_t i = 0; array && i < list->count; i++)
		if (json_array_append_new(array, member_json(&list->items[i])) != 0) {
			json_decref(array);
			array = NULL;
		}
	bad |= cli_json_set(o, "approvals", json_integer((json_int_t)list->approvals));
	bad |= cli_json_set(o, "admins", json_integer((json_int_t)count_active(list, 1)));
	bad |= cli_json_set(o, "epoch", json_integer((json_int_t)list->epoch));
	bad |= cli_json_set(o, "members", array);
	if (bad) {
		json_decref(o);
		return cli_error("out of memory");
	}
	return cli_json_print(o) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static void print_members_table(const sanctum_member_list *list)
{
	const char *city = "";

	printf("approvals %llu of %zu admins, epoch %llu\n", (unsigned long long)list->approvals,
	       count_active(list, 1), (unsigned long long)list->epoch);

	for (size_t i = 0; i < list->count; i++) {
		const sanctum_member_info *m = &list->items[i];
		char fp[CLI_SHORT_FINGERPRINT + 1];

		if (strcmp(city, m->card.city) != 0) {
			city = m->card.city;
			printf("%s\n", city);
		}
		cli_short_fingerprint(fp, m->fingerprint);
		printf("    %-20s %-7s %s%s%s\n", m->card.device, m->admin ? "admin" : "member", fp,
		       m->active ? "" : "  (removed)",
		       m->history || !m->active ? "" : "  (no history)");
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

/* ---- proposals ---- */

/*
 * A proposal's summary as a person reads it: the member fingerprints in it followed by
 * the member's name, and cleaned (it comes from the store). NULL when out of memory.
 */
static char *readable_summary(cli_session *s, const char *summary)
{
	char out[512], fp[SANCTUM_FINGERPRINT_SIZE];
	size_t used = 0;
	const char *at;

	out[0] = '\0';
	while (used < sizeof(out) && (at = strstr(summary, "SHA256:")) != NULL) {
		size_t len = strcspn(at, " ,");
		const char *name;

		snprintf(fp, sizeof(fp), "%.*s", (int)len, at);
		name = cli_session_author(s, fp);
		if (name) {
			char short_fp[CLI_SHORT_FINGERPRINT + 1];

			cli_short_fingerprint(short_fp, fp);
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%.*s%s (%s)",
			                         (int)(at - summary), summary, name, short_fp);
		} else {
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%.*s",
			                         (int)((size_t)(at - summary) + len), summary);
		}
		summary = at + len;
	}
	if (used < sizeof(out))
		snprintf(out + used, sizeof(out) - used, "%s", summary);
	return cli_clean_text(out);
}

static json_t *proposal_json(cli_session *s, const sanctum_proposal_info *p, const char *summary)
{
	const char *proposer = cli_session_author(s, p->proposer);
	json_t *o = json_object();
	int bad = 0;

	bad |= cli_json_set(o, "id", json_string(p->id));
	bad |= cli_json_set(o, "op", json_string(p->op));
	bad |= cli_json_set(o, "summary", json_string(summary));
	bad |= cli_json_set(o, "proposer", json_string(p->proposer));
	bad |= cli_json_set(o, "proposer_name", proposer ? json_string(proposer) : json_null());
	bad |= cli_json_set(o, "approvals", json_integer((json_int_t)p->approvals));
	bad |= cli_json_set(o, "missing", json_integer((json_int_t)p->missing));
	bad |= cli_json_set(o, "stale", json_boolean(strcmp(p->op, "stale") == 0));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_proposals(cli_session *s, const sanctum_proposal_list *list, int json)
{
	json_t *array = json ? json_array() : NULL;
	int bad = json && !array;

	for (size_t i = 0; !bad && i < list->count; i++) {
		const sanctum_proposal_info *p = &list->items[i];
		const char *proposer = cli_session_author(s, p->proposer);
		char *summary = readable_summary(s, p->summary);
		char count[48];

		if (!summary) {
			bad = 1;
		} else if (json) {
			bad = json_array_append_new(array, proposal_json(s, p, summary)) != 0;
		} else {
			if (strcmp(p->op, "stale") == 0)
				snprintf(count, sizeof(count), "stale");
			else
				snprintf(count, sizeof(count), "%zu/%zu", p->approvals,
				         p->approvals + p->missing);
			printf("%s  %-7s %-24s %s\n", p->id, count, proposer ? proposer : "?",
			       summary);
		}
		free(summary);
	}
	if (bad) {
		json_decref(array);
		return cli_error("out of memory");
	}
	if (json)
		return cli_json_print(array) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	if (list->count == 0)
		fprintf(stderr, "no membership change is waiting for approval\n");
	return CLI_EXIT_OK;
}

static int member_proposals(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_proposal_list list;
	const char *value;
	cli_opt_parser p;
	int id, rc, json = 0, code;

	cli_opt_parser_init(&p, &proposals_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0)
		if (id == OPT_JSON)
			json = 1;
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_members(&s)) != CLI_EXIT_OK)
		goto done;
	if ((code = sanctum_store_proposals(&list, s.store)) < 0) {
		rc = cli_store_error(code, "cannot read the proposals");
		goto done;
	}
	rc = print_proposals(&s, &list, json);
	sanctum_proposal_list_dispose(&list);
done:
	cli_session_close(&s);
	return rc;
}

/* ---- approve ---- */

/* The proposal `prefix` names in `list`, or NULL (the library reports why). */
static const sanctum_proposal_info *match_proposal(const sanctum_proposal_list *list,
                                                   const char *prefix)
{
	const sanctum_proposal_info *found = NULL;
	size_t len = strlen(prefix);

	for (size_t i = 0; len && i < list->count; i++) {
		if (strncmp(list->items[i].id, prefix, len) != 0)
			continue;
		if (found)
			return NULL;
		found = &list->items[i];
	}
	return found;
}

static int member_approve(int argc, char **argv)
{
	sanctum_change_result result = SANCTUM_CHANGE_APPLIED;
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_proposal_list before = { NULL, 0 }, after = { NULL, 0 };
	const sanctum_proposal_info *p, *now;
	const char *prefix = NULL, *value;
	char *summary = NULL, pid[sizeof(p->id)] = "", op[sizeof(p->op)] = "";
	cli_opt_parser parser;
	int id, rc, code;

	cli_opt_parser_init(&parser, &approve_doc, argc, argv);
	while ((id = cli_opt_next(&parser, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_PROPOSAL: prefix = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if ((rc = open_for_change(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_session_require_admin(&s, "approve a membership change")) != CLI_EXIT_OK ||
	    (rc = proposals_before(&before, &s)) != CLI_EXIT_OK)
		goto done;
	if ((p = match_proposal(&before, prefix)) != NULL) {
		sanctum_card me;
		char mine[SANCTUM_FINGERPRINT_SIZE];

		sanctum_identity_card(&me, s.identity);
		sanctum_key_fingerprint(mine, me.signing_key);
		if (strcmp(p->op, "stale") == 0) {
			rc = cli_error("proposal %s is stale: the roster changed since it was made",
			               p->id);
			cli_hint("make the change again; 'sanctum member proposals' lists what "
			         "waits");
			goto done;
		}
		if (strcmp(p->proposer, mine) == 0) {
			rc = cli_error("proposal %s is yours: '%s/%s' signed it when proposing it",
			               p->id, me.city, me.device);
			cli_hint("another admin must approve it");
			goto done;
		}
		snprintf(pid, sizeof(pid), "%s", p->id);
		snprintf(op, sizeof(op), "%s", p->op);
		if (!(summary = readable_summary(&s, p->summary))) {
			rc = cli_error("out of memory");
			goto done;
		}
	}
	code = sanctum_store_approve(s.store, prefix, s.identity, &result);
	if (code < 0) {
		rc = cli_store_error(code, "cannot approve '%s'", prefix);
		goto done;
	}
	if (result == SANCTUM_CHANGE_APPLIED) {
		fprintf(stderr, "approved proposal %s; the change is applied: %s\n", pid,
		        summary ? summary : "");
		if (strcmp(op, "remove") == 0)
			cli_hint("run 'sanctum rekey' to re-encrypt the earlier documents to the "
			         "new epoch");
		goto done;
	}
	if (sanctum_store_proposals(&after, s.store) == 0 && (now = match_proposal(&after, pid)))
		fprintf(stderr, "approved proposal %s (%s): %zu of %zu admin approvals, %zu more "
		        "needed\n", pid, summary ? summary : "", now->approvals,
		        now->approvals + now->missing, now->missing);
	else
		fprintf(stderr, "approved proposal %s; more approvals are needed\n", pid);
	sanctum_error_clear();
done:
	free(summary);
	sanctum_proposal_list_dispose(&before);
	sanctum_proposal_list_dispose(&after);
	cli_session_close(&s);
	return rc;
}

/* ---- dispatch ---- */

static const cli_subcommand subcommands[] = {
	{ "add", member_add, &add_doc, "add a member from its card (admins only)" },
	{ "remove", member_remove, &remove_doc,
	  "remove a member and start a new epoch (admins only)" },
	{ "role", member_role, &role_doc,
	  "make a member an admin or a plain member (admins only)" },
	{ "list", member_list, &list_doc, "list the members, devices grouped by city" },
	{ "proposals", member_proposals, &proposals_doc,
	  "list the changes that wait for admin approvals" },
	{ "approve", member_approve, &approve_doc, "approve a proposed change (admins only)" },
};

static const cli_subcommand_set member_set = {
	&chain_add,
	"See and change who belongs to the group. Each change is a signed roster entry.",
	NULL,
	subcommands, sizeof(subcommands) / sizeof(subcommands[0])
};

int cmd_member(int argc, char **argv)
{
	return cli_subcommand_dispatch(&member_set, argc, argv);
}

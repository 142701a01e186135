/*
 * Unit tests for membership (core/src/store_members.c, store_proposals.c, store_rekey.c,
 * roster.c, epoch.c, and what verify.c says about the roster): adding members with and
 * without history, removing them (a new epoch that the removed key cannot open), rekeying,
 * roles, the approval threshold and its proposals, key rotation, and a forged, reordered
 * or truncated roster, which verification refuses.
 *
 * Every test gets a fresh store in a temporary folder founded by aldport/server, and four
 * more generated identities (brightwater, cedarfield, dunmore, eastport, each a server)
 * that no roster names until a test adds them. A refused operation never moves main: the
 * REFUSED macro checks main and the refs around every refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>

#include "sanctum/errors.h"
#include "sanctum/members.h"
#include "sanctum/store.h"
#include "sanctum/verify.h"

#include "store_internal.h"
#include "store_members_internal.h"

#include "fixture.h"

#define GROUP "river-cities"
#define MAIN_REF "refs/heads/" SANCTUM_STORE_BRANCH
#define MAX_SEEN 16

/* ---- fixture ---------------------------------------------------------------------------- */

typedef struct {
	char commit[41];
	char path[128];
	char message[600];
} seen_problem;

typedef struct {
	char dir[PATH_MAX];
	sanctum_identity *founder;            /* aldport/server, the group's first admin */
	sanctum_identity *bright;             /* brightwater/server */
	sanctum_identity *cedar;              /* cedarfield/server */
	sanctum_identity *dun;                /* dunmore/server */
	sanctum_identity *east;               /* eastport/server */
	sanctum_store *store;
	git_repository *host;                 /* the same repository, opened as a host would */
	seen_problem seen[MAX_SEEN];          /* what the last verification reported */
	size_t nseen;
} fixture;

static int teardown(void **state);

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char git_dir[PATH_MAX + 16];

	*state = f;
	if (!f)
		return -1;
	if (sanctum_init() < 0 || make_temp_dir(f->dir, sizeof(f->dir), "sanctum-members") < 0 ||
	    sanctum_identity_generate(&f->founder, "aldport", "server") < 0 ||
	    sanctum_identity_generate(&f->bright, "brightwater", "server") < 0 ||
	    sanctum_identity_generate(&f->cedar, "cedarfield", "server") < 0 ||
	    sanctum_identity_generate(&f->dun, "dunmore", "server") < 0 ||
	    sanctum_identity_generate(&f->east, "eastport", "server") < 0 ||
	    sanctum_store_init(&f->store, f->dir, GROUP, f->founder) < 0) {
		print_message("setup failed: %s\n", sanctum_error_last()->message);
		teardown(state);
		*state = NULL;
		return -1;
	}
	snprintf(git_dir, sizeof(git_dir), "%s/%s", f->dir, SANCTUM_STORE_DIRNAME);
	if (git_repository_open_bare(&f->host, git_dir) < 0) {
		teardown(state);
		*state = NULL;
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	if (!f)
		return 0;
	git_repository_free(f->host);
	sanctum_store_free(f->store);
	sanctum_identity_free(f->founder);
	sanctum_identity_free(f->bright);
	sanctum_identity_free(f->cedar);
	sanctum_identity_free(f->dun);
	sanctum_identity_free(f->east);
	if (f->dir[0])
		remove_tree(f->dir);
	free(f);
	return 0;
}

/* ---- checking calls --------------------------------------------------------------------- */

#define OK(call)                                                                                \
	do {                                                                                    \
		int ok_rc_ = (call);                                                            \
		if (ok_rc_ != 0)                                                                \
			fail_msg("%s returned %d: %s", #call, ok_rc_,                           \
			         sanctum_error_last()->message);                                \
	} while (0)

static git_oid main_id(fixture *f)
{
	git_oid oid;

	assert_int_equal(git_reference_name_to_id(&oid, f->host, MAIN_REF), 0);
	return oid;
}

static int count_ref(const char *name, void *payload)
{
	(void)name;
	(*(size_t *)payload)++;
	return 0;
}

static size_t ref_count(fixture *f)
{
	size_t n = 0;

	assert_int_equal(git_reference_foreach_name(f->host, count_ref, &n), 0);
	return n;
}

/* A call that must fail with `code` and leave main and every other ref where they were. */
#define REFUSED(f, code, call)                                                                  \
	do {                                                                                    \
		git_oid refused_before_ = main_id(f), refused_after_;                           \
		size_t refused_refs_ = ref_count(f);                                            \
		int refused_rc_ = (call);                                                       \
		if (refused_rc_ != (code))                                                      \
			fail_msg("%s returned %d (%s), expected %d", #call, refused_rc_,        \
			         sanctum_error_last()->message, (int)(code));                   \
		refused_after_ = main_id(f);                                                    \
		if (!git_oid_equal(&refused_before_, &refused_after_))                          \
			fail_msg("%s moved main although it was refused", #call);               \
		assert_int_equal(refused_refs_, ref_count(f));                                  \
	} while (0)

static void assert_message_has(const char *text)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, text))
		fail_msg("message '%s' does not contain '%s'", message, text);
}

/* Asserts that main moved by exactly one commit since `before`. */
static void assert_one_commit_since(fixture *f, const git_oid *before)
{
	git_oid now = main_id(f);
	git_commit *head = NULL;

	assert_false(git_oid_equal(&now, before));
	assert_int_equal(git_commit_lookup(&head, f->host, &now), 0);
	assert_int_equal(git_commit_parentcount(head), 1);
	assert_true(git_oid_equal(git_commit_parent_id(head, 0), before));
	git_commit_free(head);
}

/* ---- identities and members ------------------------------------------------------------- */

static void fingerprint_of(char out[SANCTUM_FINGERPRINT_SIZE], const sanctum_identity *who)
{
	sanctum_card card;

	sanctum_identity_card(&card, who);
	sanctum_key_fingerprint(out, card.signing_key);
}

/* `who` added by `by`, expecting `expected` as the result. */
static void add_by(fixture *f, const sanctum_identity *who, int admin, int history,
                   const sanctum_identity *by, sanctum_change_result expected)
{
	sanctum_member_add_options opts = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	sanctum_change_result result = 0;
	sanctum_card card;

	opts.admin = admin;
	opts.history = history;
	sanctum_identity_card(&card, who);
	OK(sanctum_store_member_add(f->store, &card, &opts, by, &result));
	assert_int_equal(result, expected);
}

static void add_member(fixture *f, const sanctum_identity *who, int admin)
{
	add_by(f, who, admin, 1, f->founder, SANCTUM_CHANGE_APPLIED);
}

static int try_add(fixture *f, const sanctum_identity *who, const sanctum_identity *by)
{
	sanctum_card card;

	sanctum_identity_card(&card, who);
	return sanctum_store_member_add(f->store, &card, NULL, by, NULL);
}

static void remove_member(fixture *f, const sanctum_identity *who, const sanctum_identity *by,
                          sanctum_change_result expected)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_change_result result = 0;

	fingerprint_of(fingerprint, who);
	OK(sanctum_store_member_remove(f->store, fingerprint, by, &result));
	assert_int_equal(result, expected);
}

/* The newest record of `who` in `list` (by signing key), or NULL. */
static const sanctum_member_info *find_info(const sanctum_member_list *list,
                                            const sanctum_identity *who)
{
	sanctum_card card;

	sanctum_identity_card(&card, who);
	for (size_t i = list->count; i > 0; i--)
		if (memcmp(list->items[i - 1].card.signing_key, card.signing_key,
		           sizeof(card.signing_key)) == 0)
			return &list->items[i - 1];
	return NULL;
}

/* Whether the members on main list `who` as active, and with which role. */
static int is_active(fixture *f, const sanctum_identity *who)
{
	sanctum_member_list list;
	const sanctum_member_info *m;
	int active;

	OK(sanctum_store_members(&list, f->store));
	m = find_info(&list, who);
	active = m && m->active;
	sanctum_member_list_dispose(&list);
	return active;
}

static int is_admin(fixture *f, const sanctum_identity *who)
{
	sanctum_member_list list;
	const sanctum_member_info *m;
	int admin;

	OK(sanctum_store_members(&list, f->store));
	m = find_info(&list, who);
	admin = m && m->active && m->admin;
	sanctum_member_list_dispose(&list);
	return admin;
}

static uint64_t current_epoch(fixture *f)
{
	sanctum_member_list list;
	uint64_t epoch;

	OK(sanctum_store_members(&list, f->store));
	epoch = list.epoch;
	sanctum_member_list_dispose(&list);
	return epoch;
}

/* ---- documents -------------------------------------------------------------------------- */

static void add_doc(fixture *f, unsigned char id[SANCTUM_DOC_ID_SIZE],
                    const sanctum_identity *author, const char *body)
{
	sanctum_new_doc d = { (const unsigned char *)body, strlen(body), "Resource", NULL, 0,
	                      "text/plain" };
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];

	OK(sanctum_store_add(f->store, ids, &d, 1, author));
	memcpy(id, ids[0], SANCTUM_DOC_ID_SIZE);
}

static int try_add_doc(fixture *f, const sanctum_identity *author)
{
	static const char body[] = "not allowed";
	sanctum_new_doc d = { (const unsigned char *)body, sizeof(body) - 1, "Refused", NULL, 0,
	                      "text/plain" };
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];

	return sanctum_store_add(f->store, ids, &d, 1, author);
}

/* Reads a document as `reader` through `store` (the fixture's if NULL). */
static int read_doc(fixture *f, sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                    const sanctum_identity *reader, const char *body)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	int rc = sanctum_store_read(&doc, store ? store : f->store, id, reader);

	if (rc == 0 && body &&
	    (doc.body.size != strlen(body) || memcmp(doc.body.ptr, body, doc.body.size) != 0))
		fail_msg("the document read back is not the one written");
	sanctum_doc_dispose(&doc);
	return rc;
}

/* Reads as `reader` both through the fixture's handle and a fresh one (no cached keys). */
static void expect_read(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                        const sanctum_identity *reader, const char *body, int code)
{
	sanctum_store *fresh = NULL;
	int rc;

	rc = read_doc(f, NULL, id, reader, body);
	if (rc != code)
		fail_msg("read returned %d (%s), expected %d", rc, sanctum_error_last()->message,
		         code);
	OK(sanctum_store_open(&fresh, f->dir, 0));
	rc = read_doc(f, fresh, id, reader, body);
	sanctum_store_free(fresh);
	if (rc != code)
		fail_msg("read with a fresh handle returned %d (%s), expected %d", rc,
		         sanctum_error_last()->message, code);
}

/* The blob at `path` on main, or a zero oid when there is none. */
static git_oid blob_at(fixture *f, const char *path)
{
	git_oid head = main_id(f), out;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;

	memset(&out, 0, sizeof(out));
	assert_int_equal(git_commit_lookup(&commit, f->host, &head), 0);
	assert_int_equal(git_commit_tree(&tree, commit), 0);
	if (git_tree_entry_bypath(&entry, tree, path) == 0)
		out = *git_tree_entry_id(entry);
	git_error_clear();
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return out;
}

static int has_path(fixture *f, const char *path)
{
	git_oid oid = blob_at(f, path);

	return !git_oid_is_zero(&oid);
}

static void doc_path(char out[48], const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	sanctum_store__doc_path(out, id);
}

/* Decrypts the raw blob at `path` on main with one age identity. */
static int decrypt_blob(fixture *f, const char *path, const sanctum_age_identity *key)
{
	const sanctum_age_identity *keys[1] = { key };
	sanctum_buf plain = SANCTUM_BUF_INIT;
	git_oid oid = blob_at(f, path);
	git_blob *blob = NULL;
	int rc;

	assert_false(git_oid_is_zero(&oid));
	assert_int_equal(git_blob_lookup(&blob, f->host, &oid), 0);
	rc = sanctum_age_decrypt(&plain, keys, 1, NULL, git_blob_rawcontent(blob),
	                         (size_t)git_blob_rawsize(blob));
	sanctum_buf_dispose(&plain);
	git_blob_free(blob);
	return rc;
}

/*
 * The key of epoch `number` as `reader` opens it from main, through a fresh handle: a
 * copy the caller owns (as a member would keep it), or NULL with *rc set when refused.
 */
static sanctum_age_identity *epoch_key(fixture *f, uint64_t number, const sanctum_identity *reader,
                                       int *rc)
{
	sanctum_store *fresh = NULL;
	sanctum_snapshot s;
	const sanctum_age_identity *key = NULL;
	sanctum_age_identity *copy = NULL;
	sanctum_buf text = SANCTUM_BUF_INIT;

	OK(sanctum_store_open(&fresh, f->dir, 0));
	OK(sanctum_store__snapshot_load(&s, fresh));
	*rc = sanctum_store__epoch_key(&key, fresh, &s.roster, s.tree, number, reader);
	if (*rc == 0) {
		OK(sanctum_age_identity_encode(&text, key));
		OK(sanctum_age_identity_parse(&copy, (const char *)text.ptr, text.size));
	}
	sanctum_buf_dispose(&text);
	sanctum_store__snapshot_dispose(&s);
	sanctum_store_free(fresh);
	return copy;
}

/* ---- verification ----------------------------------------------------------------------- */

static int on_problem(const sanctum_verify_problem *p, void *payload)
{
	fixture *f = payload;

	if (f->nseen < MAX_SEEN) {
		seen_problem *s = &f->seen[f->nseen++];

		snprintf(s->commit, sizeof(s->commit), "%s", p->commit);
		snprintf(s->path, sizeof(s->path), "%s", p->path);
		snprintf(s->message, sizeof(s->message), "%s", p->message);
	}
	return 0;
}

static void dump_seen(const fixture *f)
{
	for (size_t i = 0; i < f->nseen; i++)
		print_message("problem %zu: %s '%s': %s\n", i, f->seen[i].commit, f->seen[i].path,
		              f->seen[i].message);
}

/* Verifies main as `reader` with a fresh handle; verification itself never moves main. */
static int run_verify(fixture *f, const sanctum_identity *reader)
{
	sanctum_verify_stats stats;
	sanctum_store *fresh = NULL;
	git_oid before = main_id(f), after;
	int rc;

	f->nseen = 0;
	OK(sanctum_store_open(&fresh, f->dir, 0));
	rc = sanctum_store_verify(&stats, fresh, reader, on_problem, f);
	sanctum_store_free(fresh);
	after = main_id(f);
	assert_true(git_oid_equal(&before, &after));
	assert_int_equal(stats.problems, f->nseen);
	return rc;
}

static void verify_clean(fixture *f, const sanctum_identity *reader)
{
	int rc = run_verify(f, reader);

	if (rc != 0) {
		dump_seen(f);
		fail_msg("verify returned %d: %s", rc, sanctum_error_last()->message);
	}
}

/* Verifies as the founder and expects a problem at `commit` and `path` saying `fragment`. */
static void expect_problem(fixture *f, const git_oid *commit, const char *path,
                           const char *fragment)
{
	char hex[41];

	assert_int_equal(run_verify(f, f->founder), SANCTUM_EVERIFY);
	git_oid_tostr(hex, sizeof(hex), commit);
	for (size_t i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i].commit, hex) == 0 && strcmp(f->seen[i].path, path) == 0 &&
		    strstr(f->seen[i].message, fragment))
			return;
	dump_seen(f);
	fail_msg("no problem at %s '%s' saying '%s'", hex, path, fragment);
}

/* ---- writing into the repository -------------------------------------------------------- */

static git_tree_update upsert(const char *path, git_oid id)
{
	git_tree_update u;

	memset(&u, 0, sizeof(u));
	u.action = GIT_TREE_UPDATE_UPSERT;
	u.id = id;
	u.filemode = GIT_FILEMODE_BLOB;
	u.path = path;
	return u;
}

static git_oid put_blob(fixture *f, const void *data, size_t len)
{
	git_oid oid;

	assert_int_equal(git_blob_create_from_buffer(&oid, f->host, data, len), 0);
	return oid;
}

/* A commit of `updates` on main, properly signed by `who`, member or not. */
static git_oid commit_as(fixture *f, const sanctum_identity *who, const git_tree_update *updates,
                         size_t n)
{
	git_commit *head = NULL;
	git_oid oid;

	OK(sanctum_store__head(&head, f->store));
	OK(sanctum_store__commit(&oid, f->store, head, updates, n, who, "sanctum: 1 added"));
	git_commit_free(head);
	return oid;
}

/* The roster as of main's head. */
static void head_roster(fixture *f, sanctum_roster *roster)
{
	sanctum_snapshot s;

	OK(sanctum_store__snapshot_load(&s, f->store));
	OK(sanctum_roster__copy(roster, &s.roster));
	sanctum_store__snapshot_dispose(&s);
}

/*
 * A new document, revision 1, signed by `author` and encrypted to the newest epoch's
 * recipient (public in the roster), committed by `committer` by hand: what a member
 * removed (or a rotated-away key) could still try. Writes the document's path.
 */
static git_oid doc_committed_by(fixture *f, const sanctum_identity *author,
                                const sanctum_identity *committer, char path[48])
{
	static const char body[] = "written after leaving";
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT, sealed = SANCTUM_BUF_INIT;
	sanctum_age_recipient *recipient = NULL;
	const sanctum_age_recipient *to[1];
	sanctum_roster roster;
	git_tree_update u;
	git_oid commit;

	sanctum_doc_new_id(doc.id);
	doc.rev = 1;
	doc.time = (int64_t)time(NULL);
	OK(sanctum_doc_set_title(&doc, "Late"));
	OK(sanctum_doc_set_type(&doc, "text/plain"));
	OK(sanctum_buf_put(&doc.body, body, sizeof(body) - 1));
	OK(sanctum_doc_seal(&plain, &doc, author));
	head_roster(f, &roster);
	OK(sanctum_age_recipient_from_x25519(&recipient,
	                                     sanctum_roster__current_epoch(&roster)->recipient));
	to[0] = recipient;
	OK(sanctum_age_encrypt(&sealed, to, 1, 0, plain.ptr, plain.size));
	doc_path(path, doc.id);
	u = upsert(path, put_blob(f, sealed.ptr, sealed.size));
	commit = commit_as(f, committer, &u, 1);
	sanctum_age_recipient_free(recipient);
	sanctum_roster__dispose(&roster);
	sanctum_buf_dispose(&sealed);
	sanctum_buf_dispose(&plain);
	sanctum_doc_dispose(&doc);
	return commit;
}

/* ---- 1. adding -------------------------------------------------------------------------- */

static void test_members__add(void **state)
{
	fixture *f = *state;
	sanctum_member_list list;
	const sanctum_member_info *m;
	sanctum_member_info found;
	unsigned char before[SANCTUM_DOC_ID_SIZE], after[SANCTUM_DOC_ID_SIZE];
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	git_oid head;

	add_doc(f, before, f->founder, "written before brightwater joined");
	expect_read(f, before, f->bright, NULL, SANCTUM_EVERIFY);   /* not a member yet */
	REFUSED(f, SANCTUM_EVERIFY, try_add_doc(f, f->bright));

	head = main_id(f);
	add_member(f, f->bright, 0);
	assert_one_commit_since(f, &head);

	OK(sanctum_store_members(&list, f->store));
	assert_int_equal(list.count, 2);
	assert_int_equal(list.epoch, 1);
	assert_int_equal(list.approvals, 1);
	assert_string_equal(list.items[0].card.city, "aldport");
	assert_true(list.items[0].admin && list.items[0].active);
	m = find_info(&list, f->bright);
	assert_non_null(m);
	assert_ptr_equal(m, &list.items[1]);
	assert_string_equal(m->card.city, "brightwater");
	assert_string_equal(m->card.device, "server");
	assert_true(m->active);
	assert_false(m->admin);
	assert_true(m->history);
	fingerprint_of(fingerprint, f->bright);
	assert_string_equal(m->fingerprint, fingerprint);
	sanctum_member_list_dispose(&list);

	/* Found by city, city/device and fingerprint. */
	OK(sanctum_store_member_find(&found, f->store, "brightwater"));
	assert_string_equal(found.fingerprint, fingerprint);
	OK(sanctum_store_member_find(&found, f->store, "brightwater/server"));
	OK(sanctum_store_member_find(&found, f->store, fingerprint));
	assert_int_equal(sanctum_store_member_find(&found, f->store, "cedarfield"),
	                 SANCTUM_ENOTFOUND);

	/* The newcomer reads what was written before (history) and writes itself. */
	expect_read(f, before, f->bright, "written before brightwater joined", 0);
	add_doc(f, after, f->bright, "written by brightwater");
	expect_read(f, after, f->founder, "written by brightwater", 0);

	/* Twice is refused; so is an add by someone who is not an admin. */
	REFUSED(f, SANCTUM_EEXISTS, try_add(f, f->bright, f->founder));
	assert_message_has("already a member");
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->cedar, f->bright));
	assert_message_has("admin");
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->cedar, f->dun));
	assert_false(is_active(f, f->cedar));

	verify_clean(f, f->founder);
	verify_clean(f, f->bright);
}

/* A member added without history after a removal started epoch 2 holds epoch 2 only. */
static void test_members__add_without_history(void **state)
{
	fixture *f = *state;
	unsigned char old_doc[SANCTUM_DOC_ID_SIZE], new_doc[SANCTUM_DOC_ID_SIZE];
	sanctum_member_list list;
	sanctum_age_identity *key;
	char path[48];
	int rc;

	add_member(f, f->bright, 0);
	add_doc(f, old_doc, f->founder, "epoch one");
	remove_member(f, f->bright, f->founder, SANCTUM_CHANGE_APPLIED);
	assert_int_equal(current_epoch(f), 2);

	add_by(f, f->dun, 0, 0, f->founder, SANCTUM_CHANGE_APPLIED);
	add_member(f, f->east, 0);   /* with history, for contrast */
	OK(sanctum_store_members(&list, f->store));
	assert_false(find_info(&list, f->dun)->history);
	assert_true(find_info(&list, f->dun)->active);
	assert_true(find_info(&list, f->east)->history);
	sanctum_member_list_dispose(&list);
	add_doc(f, new_doc, f->founder, "epoch two");

	/* dunmore cannot open epoch 1 nor an epoch-1 document, but reads epoch 2. */
	key = epoch_key(f, 1, f->dun, &rc);
	assert_null(key);
	assert_int_equal(rc, SANCTUM_ENOMATCH);
	expect_read(f, old_doc, f->dun, NULL, SANCTUM_ENOMATCH);
	expect_read(f, new_doc, f->dun, "epoch two", 0);
	doc_path(path, old_doc);
	assert_int_equal(decrypt_blob(f, path, sanctum_identity_age(f->dun)), SANCTUM_ENOMATCH);

	/* eastport, added with history at the same epoch, reads both. */
	expect_read(f, old_doc, f->east, "epoch one", 0);
	expect_read(f, new_doc, f->east, "epoch two", 0);

	/* Adding a member with history later does not give dunmore epoch 1 either. */
	add_member(f, f->cedar, 0);
	expect_read(f, old_doc, f->dun, NULL, SANCTUM_ENOMATCH);
	expect_read(f, old_doc, f->cedar, "epoch one", 0);

	verify_clean(f, f->founder);
	verify_clean(f, f->dun);   /* epoch-1 documents are unreadable to it, not problems */
}

/* ---- 2. removing ------------------------------------------------------------------------ */

static void test_members__remove(void **state)
{
	fixture *f = *state;
	unsigned char before[SANCTUM_DOC_ID_SIZE], after[SANCTUM_DOC_ID_SIZE];
	sanctum_age_identity *old_key, *key;
	sanctum_member_list list;
	char path[48], late_path[48];
	git_oid head, late;
	int rc;

	add_member(f, f->bright, 0);
	add_member(f, f->cedar, 0);
	add_doc(f, before, f->founder, "before the removal");
	expect_read(f, before, f->bright, "before the removal", 0);

	/* What brightwater holds before it is removed: the key of epoch 1. */
	old_key = epoch_key(f, 1, f->bright, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(old_key);
	assert_false(has_path(f, "epochs/000002.age"));

	head = main_id(f);
	remove_member(f, f->bright, f->founder, SANCTUM_CHANGE_APPLIED);
	assert_one_commit_since(f, &head);
	OK(sanctum_store_members(&list, f->store));
	assert_int_equal(list.epoch, 2);
	assert_int_equal(list.count, 3);
	assert_false(find_info(&list, f->bright)->active);
	assert_true(find_info(&list, f->cedar)->active);
	sanctum_member_list_dispose(&list);
	assert_true(has_path(f, "epochs/000002.age"));
	assert_int_equal(sanctum_store_member_find(&(sanctum_member_info){ 0 }, f->store,
	                                           "brightwater"),
	                 SANCTUM_ENOTFOUND);

	/* The new epoch is out of brightwater's reach, in the store and by hand. */
	assert_null(epoch_key(f, 2, f->bright, &rc));
	assert_int_equal(rc, SANCTUM_ENOMATCH);
	assert_int_equal(decrypt_blob(f, "epochs/000002.age", sanctum_identity_age(f->bright)),
	                 SANCTUM_ENOMATCH);
	key = epoch_key(f, 2, f->cedar, &rc);
	assert_int_equal(rc, 0);

	add_doc(f, after, f->founder, "after the removal");
	doc_path(path, after);
	expect_read(f, after, f->bright, NULL, SANCTUM_ENOMATCH);
	assert_int_equal(decrypt_blob(f, path, sanctum_identity_age(f->bright)), SANCTUM_ENOMATCH);
	assert_int_equal(decrypt_blob(f, path, old_key), SANCTUM_ENOMATCH);
	assert_int_equal(decrypt_blob(f, path, key), 0);   /* the new epoch's key does open it */
	expect_read(f, after, f->founder, "after the removal", 0);
	expect_read(f, after, f->cedar, "after the removal", 0);
	expect_read(f, before, f->cedar, "before the removal", 0);

	/* brightwater may no longer write, nor change the roster. */
	REFUSED(f, SANCTUM_EVERIFY, try_add_doc(f, f->bright));
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->dun, f->bright));
	/* Removing it again, or someone who never was a member, is refused. */
	{
		char fingerprint[SANCTUM_FINGERPRINT_SIZE];

		fingerprint_of(fingerprint, f->bright);
		REFUSED(f, SANCTUM_EVERIFY,
		        sanctum_store_member_remove(f->store, fingerprint, f->founder, NULL));
		assert_message_has("not an active member");
		fingerprint_of(fingerprint, f->east);
		REFUSED(f, SANCTUM_EVERIFY,
		        sanctum_store_member_remove(f->store, fingerprint, f->founder, NULL));
	}
	verify_clean(f, f->founder);
	verify_clean(f, f->cedar);

	/* A commit brightwater signs after its removal is refused. */
	late = doc_committed_by(f, f->bright, f->bright, late_path);
	expect_problem(f, &late, "", "not a member");
	expect_problem(f, &late, late_path, "not a member");

	sanctum_age_identity_free(old_key);
	sanctum_age_identity_free(key);
}

/* Removing one device of a city leaves its other device a member. */
static void test_members__remove_one_device_of_a_city(void **state)
{
	fixture *f = *state;
	sanctum_identity *laptop = NULL;
	sanctum_member_info found;
	unsigned char doc[SANCTUM_DOC_ID_SIZE];
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];

	OK(sanctum_identity_generate(&laptop, "brightwater", "laptop"));
	add_member(f, f->bright, 0);
	add_member(f, laptop, 0);
	assert_int_equal(sanctum_store_member_find(&found, f->store, "brightwater"),
	                 SANCTUM_EINVALID);
	assert_message_has("2 devices");
	OK(sanctum_store_member_find(&found, f->store, "brightwater/laptop"));
	fingerprint_of(fingerprint, laptop);
	assert_string_equal(found.fingerprint, fingerprint);

	remove_member(f, laptop, f->founder, SANCTUM_CHANGE_APPLIED);
	assert_false(is_active(f, laptop));
	assert_true(is_active(f, f->bright));
	OK(sanctum_store_member_find(&found, f->store, "brightwater"));
	fingerprint_of(fingerprint, f->bright);
	assert_string_equal(found.fingerprint, fingerprint);

	add_doc(f, doc, f->founder, "for the server only");
	expect_read(f, doc, f->bright, "for the server only", 0);
	expect_read(f, doc, laptop, NULL, SANCTUM_ENOMATCH);
	REFUSED(f, SANCTUM_EVERIFY, try_add_doc(f, laptop));
	OK(try_add_doc(f, f->bright));
	verify_clean(f, f->bright);
	sanctum_identity_free(laptop);
}

/* The last admin cannot be removed. */
static void test_members__remove_the_last_admin(void **state)
{
	fixture *f = *state;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];

	add_member(f, f->bright, 0);
	fingerprint_of(fingerprint, f->founder);
	REFUSED(f, SANCTUM_EVERIFY,
	        sanctum_store_member_remove(f->store, fingerprint, f->founder, NULL));
	assert_message_has("without an admin");
	assert_int_equal(current_epoch(f), 1);
	assert_false(has_path(f, "epochs/000002.age"));
}

/* ---- 3. rekeying ------------------------------------------------------------------------ */

typedef struct {
	fixture *f;
	const sanctum_age_identity *key;
	int expect;
	size_t files;
} doc_walk;

static int check_doc_file(const char *root, const git_tree_entry *entry, void *payload)
{
	doc_walk *w = payload;
	char path[64];
	int rc;

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	snprintf(path, sizeof(path), "docs/%s%s", root, git_tree_entry_name(entry));
	rc = decrypt_blob(w->f, path, w->key);
	if (rc != w->expect)
		fail_msg("'%s' decrypts with %d, expected %d", path, rc, w->expect);
	w->files++;
	return 0;
}

/* Decrypts every document file on main with `key` alone; returns how many there are. */
static size_t every_doc_decrypts(fixture *f, const sanctum_age_identity *key, int expect)
{
	doc_walk w = { f, key, expect, 0 };
	git_oid docs = blob_at(f, "docs");
	git_tree *tree = NULL;

	assert_int_equal(git_tree_lookup(&tree, f->host, &docs), 0);
	assert_int_equal(git_tree_walk(tree, GIT_TREEWALK_PRE, check_doc_file, &w), 0);
	git_tree_free(tree);
	return w.files;
}

static void test_members__rekey(void **state)
{
	fixture *f = *state;
	unsigned char a[SANCTUM_DOC_ID_SIZE], b[SANCTUM_DOC_ID_SIZE], c[SANCTUM_DOC_ID_SIZE],
		d[SANCTUM_DOC_ID_SIZE];
	sanctum_age_identity *epoch1, *epoch2;
	unsigned char hash_a[SANCTUM_DOC_HASH_SIZE];
	sanctum_doc doc = SANCTUM_DOC_INIT;
	git_oid head;
	size_t count = 99;
	int rc;

	add_member(f, f->bright, 0);
	add_member(f, f->cedar, 0);
	add_doc(f, a, f->founder, "alpha");
	add_doc(f, b, f->founder, "bravo");
	add_doc(f, c, f->cedar, "charlie");
	OK(sanctum_store_remove(f->store, b, f->founder));   /* a tombstone is a file too */
	OK(sanctum_store_read(&doc, f->store, a, f->founder));
	memcpy(hash_a, doc.hash, sizeof(hash_a));
	sanctum_doc_dispose(&doc);

	/* Nothing to rekey while there is one epoch. */
	head = main_id(f);
	OK(sanctum_store_rekey(f->store, f->founder, &count));
	assert_int_equal(count, 0);
	{
		git_oid now = main_id(f);
		assert_true(git_oid_equal(&head, &now));
	}

	epoch1 = epoch_key(f, 1, f->founder, &rc);
	assert_int_equal(rc, 0);
	remove_member(f, f->bright, f->founder, SANCTUM_CHANGE_APPLIED);
	add_doc(f, d, f->founder, "delta");   /* already in epoch 2 */
	epoch2 = epoch_key(f, 2, f->founder, &rc);
	assert_int_equal(rc, 0);

	/* The removed member cannot rekey: it lacks epoch 2. */
	REFUSED(f, SANCTUM_ENOMATCH, sanctum_store_rekey(f->store, f->bright, NULL));
	assert_message_has("every epoch key");

	/* A plain member can: the three epoch-1 files, in one commit. */
	head = main_id(f);
	OK(sanctum_store_rekey(f->store, f->cedar, &count));
	assert_int_equal(count, 3);
	assert_one_commit_since(f, &head);
	assert_int_equal(every_doc_decrypts(f, epoch2, 0), 4);
	assert_int_equal(every_doc_decrypts(f, epoch1, SANCTUM_ENOMATCH), 4);

	/* The revisions are the same ones, re-encrypted. */
	OK(sanctum_store_read(&doc, f->store, a, f->cedar));
	assert_memory_equal(doc.hash, hash_a, sizeof(hash_a));
	assert_int_equal(doc.rev, 1);
	sanctum_doc_dispose(&doc);
	expect_read(f, c, f->founder, "charlie", 0);
	expect_read(f, d, f->cedar, "delta", 0);
	OK(sanctum_store_read(&doc, f->store, b, f->founder));
	assert_true(doc.deleted);
	assert_int_equal(doc.rev, 2);
	sanctum_doc_dispose(&doc);
	verify_clean(f, f->founder);
	verify_clean(f, f->cedar);

	/* Again: nothing left, no commit. */
	head = main_id(f);
	count = 99;
	OK(sanctum_store_rekey(f->store, f->founder, &count));
	assert_int_equal(count, 0);
	{
		git_oid now = main_id(f);
		assert_true(git_oid_equal(&head, &now));
	}
	sanctum_age_identity_free(epoch1);
	sanctum_age_identity_free(epoch2);
}

/* ---- 4. roles --------------------------------------------------------------------------- */

static int set_role(fixture *f, const sanctum_identity *who, int admin,
                    const sanctum_identity *by)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_change_result result = 0;
	int rc;

	fingerprint_of(fingerprint, who);
	rc = sanctum_store_member_role(f->store, fingerprint, admin, by, &result);
	if (rc == 0)
		assert_int_equal(result, SANCTUM_CHANGE_APPLIED);
	return rc;
}

static void test_members__role(void **state)
{
	fixture *f = *state;

	add_member(f, f->bright, 0);
	add_member(f, f->dun, 0);
	assert_false(is_admin(f, f->bright));
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->cedar, f->bright));

	/* A plain member cannot change roles, its own included. */
	REFUSED(f, SANCTUM_EVERIFY, set_role(f, f->bright, 1, f->bright));
	REFUSED(f, SANCTUM_EVERIFY, set_role(f, f->dun, 1, f->bright));
	assert_message_has("admin");
	assert_false(is_admin(f, f->bright));

	OK(set_role(f, f->bright, 1, f->founder));
	assert_true(is_admin(f, f->bright));
	REFUSED(f, SANCTUM_EVERIFY, set_role(f, f->bright, 1, f->founder));
	assert_message_has("already has that role");

	/* The new admin adds and removes members. */
	OK(try_add(f, f->cedar, f->bright));
	assert_true(is_active(f, f->cedar));
	remove_member(f, f->dun, f->bright, SANCTUM_CHANGE_APPLIED);
	assert_false(is_active(f, f->dun));

	/* A non-admin still cannot. */
	REFUSED(f, SANCTUM_EVERIFY, set_role(f, f->founder, 0, f->cedar));
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->east, f->cedar));

	/* brightwater demotes the founder; then demoting brightwater, the last admin, fails. */
	OK(set_role(f, f->founder, 0, f->bright));
	assert_false(is_admin(f, f->founder));
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->east, f->founder));
	REFUSED(f, SANCTUM_EVERIFY, set_role(f, f->bright, 0, f->bright));
	assert_message_has("without an admin");
	assert_true(is_admin(f, f->bright));
	verify_clean(f, f->founder);
	verify_clean(f, f->bright);
}

/* ---- 5. the approval threshold ---------------------------------------------------------- */

static void proposals(fixture *f, sanctum_proposal_list *list)
{
	OK(sanctum_store_proposals(list, f->store));
}

static int set_approvals(fixture *f, uint64_t n, const sanctum_identity *by,
                         sanctum_change_result *result)
{
	return sanctum_store_set_approvals(f->store, n, by, result);
}

/* brightwater and the founder admins, dunmore a member, and two approvals required. */
static void two_admins(fixture *f)
{
	sanctum_change_result result = 0;
	sanctum_member_list list;

	add_member(f, f->bright, 1);
	add_member(f, f->dun, 0);
	REFUSED(f, SANCTUM_EVERIFY, set_approvals(f, 3, f->founder, NULL));
	assert_message_has("fewer admins than the approval threshold");
	REFUSED(f, SANCTUM_EVERIFY, set_approvals(f, 2, f->dun, NULL));
	OK(set_approvals(f, 2, f->founder, &result));
	assert_int_equal(result, SANCTUM_CHANGE_APPLIED);
	OK(sanctum_store_members(&list, f->store));
	assert_int_equal(list.approvals, 2);
	sanctum_member_list_dispose(&list);
	verify_clean(f, f->founder);
}

static void test_members__threshold_add(void **state)
{
	fixture *f = *state;
	sanctum_proposal_list list;
	sanctum_change_result result = 0;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE], id[17], path[64];
	sanctum_member_list members;
	size_t count;
	git_oid head;

	two_admins(f);
	OK(sanctum_store_members(&members, f->store));
	count = members.count;
	sanctum_member_list_dispose(&members);

	/* One admin's add is a proposal: committed, but cedarfield is not a member yet. */
	head = main_id(f);
	add_by(f, f->cedar, 0, 1, f->founder, SANCTUM_CHANGE_PROPOSED);
	assert_one_commit_since(f, &head);
	proposals(f, &list);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].op, "add");
	assert_int_equal(list.items[0].approvals, 1);
	assert_int_equal(list.items[0].missing, 1);
	assert_non_null(strstr(list.items[0].summary, "cedarfield/server"));
	fingerprint_of(fingerprint, f->founder);
	assert_string_equal(list.items[0].proposer, fingerprint);
	assert_int_equal(strlen(list.items[0].id), 16);
	memcpy(id, list.items[0].id, sizeof(id));
	sanctum_proposal_list_dispose(&list);
	snprintf(path, sizeof(path), "proposals/%s/entry", id);
	assert_true(has_path(f, path));

	OK(sanctum_store_members(&members, f->store));
	assert_int_equal(members.count, count);
	assert_null(find_info(&members, f->cedar));
	sanctum_member_list_dispose(&members);
	REFUSED(f, SANCTUM_EVERIFY, try_add_doc(f, f->cedar));
	assert_false(has_path(f, "roster/000005"));
	verify_clean(f, f->founder);

	/* The proposer cannot approve its own proposal; a member or a stranger cannot at all;
	 * an id that names no proposal is refused. */
	REFUSED(f, SANCTUM_EINVALID, sanctum_store_approve(f->store, id, f->founder, NULL));
	assert_message_has("twice");
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_approve(f->store, id, f->dun, NULL));
	assert_message_has("only an admin");
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_approve(f->store, id, f->cedar, NULL));
	REFUSED(f, SANCTUM_ENOTFOUND,
	        sanctum_store_approve(f->store, id[0] == '0' ? "ffff" : "0000", f->bright, NULL));
	proposals(f, &list);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.items[0].missing, 1);
	sanctum_proposal_list_dispose(&list);
	assert_false(is_active(f, f->cedar));

	/* The second admin's approval applies it, in one commit, by a prefix of the id. */
	head = main_id(f);
	id[6] = '\0';
	OK(sanctum_store_approve(f->store, id, f->bright, &result));
	assert_int_equal(result, SANCTUM_CHANGE_APPLIED);
	assert_one_commit_since(f, &head);
	proposals(f, &list);
	assert_int_equal(list.count, 0);
	sanctum_proposal_list_dispose(&list);
	assert_false(has_path(f, "proposals"));
	assert_true(has_path(f, "roster/000005"));
	assert_true(is_active(f, f->cedar));
	assert_false(is_admin(f, f->cedar));
	{
		unsigned char doc[SANCTUM_DOC_ID_SIZE];

		add_doc(f, doc, f->cedar, "cedarfield writes");
		expect_read(f, doc, f->dun, "cedarfield writes", 0);
	}
	verify_clean(f, f->founder);
	verify_clean(f, f->cedar);
}

static void test_members__threshold_remove(void **state)
{
	fixture *f = *state;
	sanctum_proposal_list list;
	sanctum_change_result result = 0;
	unsigned char before[SANCTUM_DOC_ID_SIZE], after[SANCTUM_DOC_ID_SIZE];
	char id[17], path[64];
	git_oid head;

	two_admins(f);
	add_by(f, f->cedar, 0, 1, f->founder, SANCTUM_CHANGE_PROPOSED);
	proposals(f, &list);
	assert_int_equal(list.count, 1);
	OK(sanctum_store_approve(f->store, list.items[0].id, f->bright, &result));
	sanctum_proposal_list_dispose(&list);
	assert_true(is_active(f, f->cedar));
	add_doc(f, before, f->founder, "before");

	/* Proposed: no new epoch yet, dunmore still a member and reading. */
	remove_member(f, f->dun, f->founder, SANCTUM_CHANGE_PROPOSED);
	proposals(f, &list);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].op, "remove");
	assert_int_equal(list.items[0].missing, 1);
	assert_non_null(strstr(list.items[0].summary, "start epoch 2"));
	memcpy(id, list.items[0].id, sizeof(id));
	sanctum_proposal_list_dispose(&list);
	assert_false(has_path(f, "epochs/000002.age"));
	snprintf(path, sizeof(path), "proposals/%s/epoch.age", id);
	assert_true(has_path(f, path));
	assert_int_equal(current_epoch(f), 1);
	assert_true(is_active(f, f->dun));
	expect_read(f, before, f->dun, "before", 0);
	verify_clean(f, f->founder);

	/* Approved: epoch 2 appears, sealed to those who remain. */
	head = main_id(f);
	OK(sanctum_store_approve(f->store, id, f->bright, &result));
	assert_int_equal(result, SANCTUM_CHANGE_APPLIED);
	assert_one_commit_since(f, &head);
	assert_true(has_path(f, "epochs/000002.age"));
	assert_false(has_path(f, path));
	assert_int_equal(current_epoch(f), 2);
	assert_false(is_active(f, f->dun));
	assert_int_equal(decrypt_blob(f, "epochs/000002.age", sanctum_identity_age(f->dun)),
	                 SANCTUM_ENOMATCH);

	add_doc(f, after, f->bright, "after");
	expect_read(f, after, f->dun, NULL, SANCTUM_ENOMATCH);
	expect_read(f, after, f->founder, "after", 0);
	expect_read(f, after, f->cedar, "after", 0);
	REFUSED(f, SANCTUM_EVERIFY, try_add_doc(f, f->dun));
	verify_clean(f, f->founder);
	verify_clean(f, f->cedar);
}

/* A proposal overtaken by another change is stale: listed so, and approving it fails. */
static void test_members__threshold_stale_proposal(void **state)
{
	fixture *f = *state;
	sanctum_proposal_list list;
	sanctum_change_result result = 0;
	char stale[17] = "", fresh[17] = "";

	two_admins(f);
	add_by(f, f->east, 0, 1, f->founder, SANCTUM_CHANGE_PROPOSED);
	add_by(f, f->cedar, 0, 1, f->bright, SANCTUM_CHANGE_PROPOSED);
	proposals(f, &list);
	assert_int_equal(list.count, 2);
	for (size_t i = 0; i < list.count; i++) {
		assert_string_equal(list.items[i].op, "add");
		memcpy(strstr(list.items[i].summary, "eastport") ? stale : fresh, list.items[i].id,
		       sizeof(stale));
	}
	sanctum_proposal_list_dispose(&list);
	assert_true(stale[0] && fresh[0]);

	OK(sanctum_store_approve(f->store, fresh, f->founder, &result));
	assert_int_equal(result, SANCTUM_CHANGE_APPLIED);
	assert_true(is_active(f, f->cedar));

	proposals(f, &list);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].id, stale);
	assert_string_equal(list.items[0].op, "stale");
	assert_int_equal(list.items[0].missing, 0);
	assert_true(list.items[0].summary[0] != '\0');
	sanctum_proposal_list_dispose(&list);

	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_approve(f->store, stale, f->bright, &result));
	assert_false(is_active(f, f->east));
	verify_clean(f, f->founder);
}

/* Under a threshold, changing the threshold itself is a proposal too. */
static void test_members__threshold_lowered_by_approval(void **state)
{
	fixture *f = *state;
	sanctum_proposal_list list;
	sanctum_change_result result = 0;
	sanctum_member_list members;

	two_admins(f);
	OK(set_approvals(f, 1, f->bright, &result));
	assert_int_equal(result, SANCTUM_CHANGE_PROPOSED);
	OK(sanctum_store_members(&members, f->store));
	assert_int_equal(members.approvals, 2);
	sanctum_member_list_dispose(&members);

	/* While two are required, demoting one of the two admins is refused outright. */
	REFUSED(f, SANCTUM_EVERIFY, set_role(f, f->bright, 0, f->founder));
	assert_message_has("fewer admins than the approval threshold");

	proposals(f, &list);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].op, "threshold");
	OK(sanctum_store_approve(f->store, list.items[0].id, f->founder, &result));
	sanctum_proposal_list_dispose(&list);
	assert_int_equal(result, SANCTUM_CHANGE_APPLIED);
	OK(sanctum_store_members(&members, f->store));
	assert_int_equal(members.approvals, 1);
	sanctum_member_list_dispose(&members);
	add_member(f, f->cedar, 0);   /* one admin suffices again */
	verify_clean(f, f->founder);
}

/* ---- 6. rotating keys ------------------------------------------------------------------- */

static void test_members__rotate(void **state)
{
	fixture *f = *state;
	sanctum_identity *renewed = NULL, *elsewhere = NULL;
	unsigned char d1[SANCTUM_DOC_ID_SIZE], d2[SANCTUM_DOC_ID_SIZE], d3[SANCTUM_DOC_ID_SIZE],
		d4[SANCTUM_DOC_ID_SIZE];
	sanctum_member_list list;
	const sanctum_member_info *m;
	char late_path[48];
	git_oid head, late;

	OK(sanctum_identity_generate(&renewed, "brightwater", "server"));
	OK(sanctum_identity_generate(&elsewhere, "eastport", "server"));
	add_member(f, f->bright, 1);
	add_member(f, f->cedar, 0);
	add_member(f, f->dun, 0);
	add_doc(f, d1, f->founder, "epoch one, by aldport");
	add_doc(f, d2, f->bright, "epoch one, by brightwater");
	remove_member(f, f->cedar, f->founder, SANCTUM_CHANGE_APPLIED);
	add_doc(f, d3, f->founder, "epoch two, by aldport");

	/* Refused first: a key of another city; a key already a member's; a non-member. */
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_rotate(f->store, f->bright, elsewhere));
	assert_message_has("another city");
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_rotate(f->store, f->bright, f->dun));
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_rotate(f->store, f->east, elsewhere));
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_rotate(f->store, f->cedar, f->east));

	head = main_id(f);
	OK(sanctum_store_rotate(f->store, f->bright, renewed));
	assert_one_commit_since(f, &head);
	OK(sanctum_store_members(&list, f->store));
	m = find_info(&list, renewed);
	assert_non_null(m);
	assert_true(m->active);
	assert_true(m->admin);   /* the role goes with the member */
	assert_string_equal(m->card.city, "brightwater");
	assert_false(find_info(&list, f->bright)->active);
	assert_int_equal(list.epoch, 2);
	sanctum_member_list_dispose(&list);

	/* The new key reads the old documents and the new, and writes. */
	expect_read(f, d1, renewed, "epoch one, by aldport", 0);
	expect_read(f, d2, renewed, "epoch one, by brightwater", 0);
	expect_read(f, d3, renewed, "epoch two, by aldport", 0);
	add_doc(f, d4, renewed, "by the new key");
	/* It is an admin with the new key only. */
	OK(try_add(f, f->east, renewed));
	REFUSED(f, SANCTUM_EVERIFY, try_add(f, f->cedar, f->bright));

	/* The others keep reading the member's documents, signed by either key. */
	expect_read(f, d2, f->founder, "epoch one, by brightwater", 0);
	expect_read(f, d4, f->founder, "by the new key", 0);
	expect_read(f, d2, f->dun, "epoch one, by brightwater", 0);
	expect_read(f, d4, f->dun, "by the new key", 0);

	/* The old key cannot write, rotate again or open the resealed epochs. */
	REFUSED(f, SANCTUM_EVERIFY, try_add_doc(f, f->bright));
	REFUSED(f, SANCTUM_EVERIFY, sanctum_store_rotate(f->store, f->bright, elsewhere));
	assert_int_equal(decrypt_blob(f, "epochs/000002.age", sanctum_identity_age(f->bright)),
	                 SANCTUM_ENOMATCH);
	assert_int_equal(decrypt_blob(f, "epochs/000001.age", sanctum_identity_age(f->bright)),
	                 SANCTUM_ENOMATCH);
	verify_clean(f, f->founder);
	verify_clean(f, renewed);

	/* A commit signed by the old key afterwards is refused. */
	late = doc_committed_by(f, renewed, f->bright, late_path);
	expect_problem(f, &late, "", "not a member");
	sanctum_identity_free(renewed);
	sanctum_identity_free(elsewhere);
}

/* ---- 7. a forged, reordered or truncated roster ----------------------------------------- */

/* brightwater (a member) and cedarfield (an admin): roster/000001..000003. */
static void three_entries(fixture *f)
{
	add_member(f, f->bright, 0);
	add_member(f, f->cedar, 1);
	assert_true(has_path(f, "roster/000003"));
	verify_clean(f, f->founder);
}

static void read_blob(fixture *f, const char *path, sanctum_buf *out)
{
	git_oid oid = blob_at(f, path);
	git_blob *blob = NULL;

	assert_int_equal(git_blob_lookup(&blob, f->host, &oid), 0);
	sanctum_buf_clear(out);
	OK(sanctum_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)));
	git_blob_free(blob);
}

/* A roster read from a main whose roster is forged is refused, not believed. */
static void members_refused(fixture *f)
{
	sanctum_store *fresh = NULL;
	sanctum_member_list list;

	OK(sanctum_store_open(&fresh, f->dir, 0));
	assert_int_equal(sanctum_store_members(&list, fresh), SANCTUM_EVERIFY);
	sanctum_store_free(fresh);
}

static void test_members__roster_entries_swapped(void **state)
{
	fixture *f = *state;
	git_tree_update u[2];
	git_oid commit;

	three_entries(f);
	u[0] = upsert("roster/000002", blob_at(f, "roster/000003"));
	u[1] = upsert("roster/000003", blob_at(f, "roster/000002"));
	commit = commit_as(f, f->founder, u, 2);
	expect_problem(f, &commit, "roster/000002", "append-only");
	expect_problem(f, &commit, "roster/000003", "append-only");
	members_refused(f);
}

/* Entries 4 and 5, each valid in its place, filed under each other's names. */
static void test_members__roster_entries_reordered(void **state)
{
	fixture *f = *state;
	sanctum_roster roster;
	sanctum_buf four = SANCTUM_BUF_INIT, five = SANCTUM_BUF_INIT;
	sanctum_card dun, east;
	git_tree_update u[2];
	git_oid commit;

	three_entries(f);
	sanctum_identity_card(&dun, f->dun);
	sanctum_identity_card(&east, f->east);
	head_roster(f, &roster);
	{
		sanctum_roster_change add4 = { .op = "add", .card = &dun, .history = 1 };
		sanctum_roster_change add5 = { .op = "add", .card = &east, .history = 1 };

		OK(sanctum_roster__write_entry(&four, &roster, &add4, f->founder));
		OK(sanctum_roster__apply(&roster, four.ptr, four.size));
		OK(sanctum_roster__write_entry(&five, &roster, &add5, f->founder));
		OK(sanctum_roster__apply(&roster, five.ptr, five.size));
	}
	u[0] = upsert("roster/000004", put_blob(f, five.ptr, five.size));
	u[1] = upsert("roster/000005", put_blob(f, four.ptr, four.size));
	commit = commit_as(f, f->founder, u, 2);
	expect_problem(f, &commit, "roster/000004", "out of order");
	members_refused(f);
	sanctum_buf_dispose(&four);
	sanctum_buf_dispose(&five);
	sanctum_roster__dispose(&roster);
}

/* The last entry dropped (a bare deletion), or cut short. */
static void test_members__roster_truncated(void **state)
{
	fixture *f = *state;
	git_tree_update u;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	git_oid good, commit;
	git_reference *ref = NULL;

	three_entries(f);
	good = main_id(f);
	memset(&u, 0, sizeof(u));
	u.action = GIT_TREE_UPDATE_REMOVE;
	u.path = "roster/000003";
	commit = commit_as(f, f->founder, &u, 1);
	expect_problem(f, &commit, "roster/000003", "deleted");
	assert_false(has_path(f, "roster/000003"));

	/* Back to the honest head, then entry 3 rewritten as its first half. */
	assert_int_equal(git_reference_create(&ref, f->host, MAIN_REF, &good, 1, "test: reset"), 0);
	git_reference_free(ref);
	verify_clean(f, f->founder);
	read_blob(f, "roster/000003", &entry);
	u = upsert("roster/000003", put_blob(f, entry.ptr, entry.size / 2));
	commit = commit_as(f, f->founder, &u, 1);
	expect_problem(f, &commit, "roster/000003", "append-only");
	members_refused(f);
	sanctum_buf_dispose(&entry);
}

/* An entry signed by a member who is not an admin, or by a stranger, appended by hand. */
static void test_members__roster_entry_forged(void **state)
{
	fixture *f = *state;
	sanctum_roster roster;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	sanctum_card dun;
	git_tree_update u;
	git_oid good, commit;
	git_reference *ref = NULL;

	three_entries(f);
	good = main_id(f);
	sanctum_identity_card(&dun, f->dun);
	head_roster(f, &roster);
	{
		sanctum_roster_change change = { .op = "add", .card = &dun, .admin = 1,
		                                 .history = 1 };

		OK(sanctum_roster__write_entry(&entry, &roster, &change, f->bright));
	}
	u = upsert("roster/000004", put_blob(f, entry.ptr, entry.size));
	commit = commit_as(f, f->bright, &u, 1);
	expect_problem(f, &commit, "roster/000004", "not signed by an active admin");
	members_refused(f);

	/* The same by a stranger adding itself. */
	assert_int_equal(git_reference_create(&ref, f->host, MAIN_REF, &good, 1, "test: reset"), 0);
	git_reference_free(ref);
	{
		sanctum_card east;
		sanctum_roster_change change = { .op = "add", .card = &east, .admin = 1,
		                                 .history = 1 };

		sanctum_identity_card(&east, f->east);
		OK(sanctum_roster__write_entry(&entry, &roster, &change, f->east));
	}
	u = upsert("roster/000004", put_blob(f, entry.ptr, entry.size));
	commit = commit_as(f, f->founder, &u, 1);
	expect_problem(f, &commit, "roster/000004", "not signed by an active admin");
	sanctum_buf_dispose(&entry);
	sanctum_roster__dispose(&roster);
}

#define MEMBERS_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MEMBERS_TEST(test_members__add),
		MEMBERS_TEST(test_members__add_without_history),
		MEMBERS_TEST(test_members__remove),
		MEMBERS_TEST(test_members__remove_one_device_of_a_city),
		MEMBERS_TEST(test_members__remove_the_last_admin),
		MEMBERS_TEST(test_members__rekey),
		MEMBERS_TEST(test_members__role),
		MEMBERS_TEST(test_members__threshold_add),
		MEMBERS_TEST(test_members__threshold_remove),
		MEMBERS_TEST(test_members__threshold_stale_proposal),
		MEMBERS_TEST(test_members__threshold_lowered_by_approval),
		MEMBERS_TEST(test_members__rotate),
		MEMBERS_TEST(test_members__roster_entries_swapped),
		MEMBERS_TEST(test_members__roster_entries_reordered),
		MEMBERS_TEST(test_members__roster_truncated),
		MEMBERS_TEST(test_members__roster_entry_forged),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	sanctum_shutdown();
	return failed;
}

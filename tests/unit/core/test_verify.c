/*
 * Unit tests for verification (core/src/verify.c): a clean store verifies, and every
 * hostile change to main's history — each written here with libgit2 straight into the
 * store's repository, as a host or a rogue member could — is reported at the commit and
 * the path that made it, with the rule it broke. Verification never moves main.
 *
 * Every test gets a fresh store in a temporary folder (setup/teardown), founded by a
 * freshly generated identity, with this history on main:
 *
 *     1  group created           manifest, roster/000001, epochs/000001.age
 *     2  2 added                 a (rev 1), b (rev 1)
 *     3  1 added                 c (rev 1)
 *     4  1 updated               a (rev 2)
 *     5  1 removed               b (rev 2, a tombstone)
 *
 * The fixture and the builders of hostile histories are in hostile.c (shared with
 * test_pull.c).
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
#include <sodium.h>

#include "sanctum/errors.h"
#include "sanctum/members.h"
#include "sanctum/store.h"
#include "sanctum/verify.h"

#include "store_internal.h"
#include "store_members_internal.h"

#include "hostile.h"

/* ---- fixture ---------------------------------------------------------------------------- */

static int teardown(void **state);

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	if (sanctum_init() < 0 || hostile_setup(f, "sanctum-verify", NULL) < 0) {
		print_message("setup failed: %s\n", sanctum_error_last()->message);
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
	hostile_teardown(f);
	free(f);
	return 0;
}

/* ---- running verify --------------------------------------------------------------------- */

static int count_ref(const char *name, void *payload)
{
	(void)name;
	(*(size_t *)payload)++;
	return 0;
}

/* Verifies `store` as the founder; checks that main (and every other ref) is left as it was. */
static int verify_with(fixture *f, sanctum_store *store)
{
	git_oid before, after;
	size_t refs_before = 0, refs_after = 0;
	int rc;

	f->nseen = f->calls = 0;
	assert_int_equal(git_reference_name_to_id(&before, f->host, MAIN_REF), 0);
	assert_int_equal(git_reference_foreach_name(f->host, count_ref, &refs_before), 0);
	rc = sanctum_store_verify(&f->stats, store, f->founder, on_problem, f);
	assert_int_equal(git_reference_name_to_id(&after, f->host, MAIN_REF), 0);
	assert_int_equal(git_reference_foreach_name(f->host, count_ref, &refs_after), 0);
	assert_true(git_oid_equal(&before, &after));
	assert_int_equal(refs_before, refs_after);
	assert_int_equal(f->stats.problems, f->calls);
	/* A problem found is reported through the callback, never only as a failure. */
	if (rc != 0 && !strstr(sanctum_error_last()->message, "verification found")) {
		dump_seen(f);
		fail_msg("verify returned %d without reporting a problem: %s", rc,
		         sanctum_error_last()->message);
	}
	return rc;
}

/*
 * Verifies twice: with a fresh handle on the store, as `sanctum verify` does, and with
 * the fixture's handle, which has epoch keys cached from making the history. The two must
 * agree exactly; the fresh handle's findings are left in the fixture.
 */
static int run_verify(fixture *f)
{
	seen_problem cached[MAX_SEEN];
	sanctum_verify_stats cached_stats;
	size_t cached_n;
	sanctum_store *fresh = NULL;
	int rc, cached_rc;

	cached_rc = verify_with(f, f->store);
	memcpy(cached, f->seen, sizeof(cached));
	cached_stats = f->stats;
	cached_n = f->nseen;
	rc = sanctum_store_open(&fresh, f->dir, 0);
	if (rc == SANCTUM_EVERIFY) {
		/* A main whose manifest is not the pinned one is refused already when opened. */
		assert_non_null(strstr(sanctum_error_last()->message, "manifest of another group"));
		return cached_rc;
	}
	assert_int_equal(rc, 0);
	rc = verify_with(f, fresh);
	sanctum_store_free(fresh);
	if (rc != cached_rc || cached_n != f->nseen ||
	    memcmp(&cached_stats, &f->stats, sizeof(cached_stats)) != 0 ||
	    memcmp(cached, f->seen, f->nseen * sizeof(*cached)) != 0) {
		print_message("with a fresh handle (%d):\n", rc);
		dump_seen(f);
		memcpy(f->seen, cached, sizeof(cached));
		f->nseen = cached_n;
		print_message("with the handle that made the history (%d):\n", cached_rc);
		dump_seen(f);
		fail_msg("verification depends on what the store handle has cached");
	}
	return rc;
}

/* Verifies and expects exactly one problem, as described. */
static void expect_only(fixture *f, const git_oid *commit, const char *path, const char *fragment)
{
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	if (f->nseen != 1) {
		dump_seen(f);
		fail_msg("expected one problem, saw %zu", f->nseen);
	}
	assert_int_equal(f->stats.problems, 1);
	expect_problem(f, commit, path, fragment);
}


/* ---- a clean store ---------------------------------------------------------------------- */

static void test_verify__clean_store(void **state)
{
	fixture *f = *state;

	assert_int_equal(run_verify(f), 0);
	assert_int_equal(f->calls, 0);
	assert_int_equal(f->stats.commits, CLEAN_COMMITS);
	assert_int_equal(f->stats.documents, CLEAN_DOCUMENTS);
	assert_int_equal(f->stats.roster_entries, 1);
	assert_int_equal(f->stats.problems, 0);

	/* Again, with the epoch keys cached, and without a callback. */
	assert_int_equal(sanctum_store_verify(&f->stats, f->store, f->founder, NULL, NULL), 0);
	assert_int_equal(f->stats.commits, CLEAN_COMMITS);

	/* A fresh handle on the same store agrees. */
	{
		sanctum_store *again = NULL;

		assert_int_equal(sanctum_store_open(&again, f->dir, 0), 0);
		assert_int_equal(sanctum_store_verify(&f->stats, again, f->founder, NULL, NULL), 0);
		assert_int_equal(f->stats.documents, CLEAN_DOCUMENTS);
		sanctum_store_free(again);
	}
}

/* A member added by an admin may commit from the next commit on; a re-encrypted revision
 * (the same signed revision in a new age file, as a rekey writes) is fine. */
static void test_verify__clean_store_with_a_second_member(void **state)
{
	fixture *f = *state;
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];
	sanctum_new_doc d = new_doc("Delta", "written by the second member");
	git_tree_update u;

	add_member(f, f->member, 0);
	assert_int_equal(sanctum_store_add(f->store, ids, &d, 1, f->member), 0);

	/* c re-encrypted, its signed revision unchanged. */
	{
		git_oid blob;
		git_blob *b = NULL;
		sanctum_doc doc = SANCTUM_DOC_INIT;
		const sanctum_age_identity *key = NULL;
		sanctum_roster roster;
		git_commit *head = NULL;
		git_tree *tree = NULL;
		sanctum_buf plain = SANCTUM_BUF_INIT;

		assert_int_equal(blob_at(&blob, f->host, f->path_c), 0);
		assert_int_equal(git_blob_lookup(&b, f->host, &blob), 0);
		head_roster(f, &roster);
		assert_int_equal(sanctum_store__head(&head, f->store), 0);
		assert_int_equal(git_commit_tree(&tree, head), 0);
		assert_int_equal(sanctum_store__epoch_key(&key, f->store, &roster, tree, 1, f->founder),
		                 0);
		assert_int_equal(sanctum_age_decrypt(&plain, &key, 1, NULL, git_blob_rawcontent(b),
		                                     (size_t)git_blob_rawsize(b)),
		                 0);
		assert_int_equal(sanctum_doc_open(&doc, NULL, plain.ptr, plain.size, f->c), 0);
		sanctum_doc_dispose(&doc);
		u = upsert(f->path_c, encrypt_to_epoch(f, plain.ptr, plain.size));
		sanctum_buf_dispose(&plain);
		assert_false(git_oid_equal(&u.id, &blob));
		commit_signed(f, f->member, &u, 1);
		git_tree_free(tree);
		git_commit_free(head);
		sanctum_roster__dispose(&roster);
		git_blob_free(b);
	}

	assert_int_equal(run_verify(f), 0);
	assert_int_equal(f->stats.commits, CLEAN_COMMITS + 3);
	assert_int_equal(f->stats.documents, CLEAN_DOCUMENTS + 2);
	assert_int_equal(f->stats.roster_entries, 2);
	assert_int_equal(f->stats.problems, 0);
}

/* ---- documents -------------------------------------------------------------------------- */

/* 1. A document's file replaced by random bytes in a commit the founder signed. */
static void test_verify__document_replaced_by_random_bytes(void **state)
{
	fixture *f = *state;
	unsigned char junk[700];
	git_tree_update u;
	git_oid commit;

	randombytes_buf(junk, sizeof(junk));
	/* A first '-' would make the reader take it for armor ("invalid age armor"), one
	 * time in 256: the random bytes must look like nothing at all. */
	junk[0] = 0x80;
	u = upsert(f->path_c, put_blob(f, junk, sizeof(junk)));
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, f->path_c, "not an age");
}

/* 1b. A valid age file, to the right epoch, whose content is not a signed revision. */
static void test_verify__document_replaced_by_other_age_content(void **state)
{
	fixture *f = *state;
	static const char other[] = "sanctum-doc v1\nid 0\nnot a revision at all\n";
	git_tree_update u;
	git_oid commit;

	u = upsert(f->path_c, encrypt_to_epoch(f, other, sizeof(other) - 1));
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, f->path_c, "signature");
}

/* 1c. A revision with one flipped byte inside its signed text: the signature fails. */
static void test_verify__document_with_a_tampered_revision(void **state)
{
	fixture *f = *state;
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	git_tree_update u;
	git_oid commit;
	unsigned char *at;

	memcpy(doc.id, f->c, SANCTUM_DOC_ID_SIZE);
	doc.rev = 2;
	doc.has_parent = 1;
	doc.time = (int64_t)time(NULL);
	{
		uint64_t rev;

		current_hash(f, f->c, doc.parent, &rev);
		assert_int_equal(rev, 1);
	}
	assert_int_equal(sanctum_doc_set_title(&doc, "Charlie"), 0);
	assert_int_equal(sanctum_doc_set_type(&doc, "text/plain"), 0);
	assert_int_equal(sanctum_buf_puts(&doc.body, "charlie, changed honestly"), 0);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, f->founder), 0);
	at = (unsigned char *)strstr((const char *)plain.ptr, "honestly");
	assert_non_null(at);
	at[0] = 'H';
	u = upsert(f->path_c, encrypt_to_epoch(f, plain.ptr, plain.size));
	sanctum_buf_dispose(&plain);
	sanctum_doc_dispose(&doc);
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, f->path_c, "signature");
}

/* 4. A document file deleted outright instead of by a tombstone; the tombstone too. */
static void test_verify__bare_deletion(void **state)
{
	fixture *f = *state;
	git_tree_update u = removal(f->path_c);
	git_oid commit = commit_signed(f, f->founder, &u, 1), second;

	expect_only(f, &commit, f->path_c, "deleted without a tombstone");

	u = removal(f->path_b);
	second = commit_signed(f, f->founder, &u, 1);
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->nseen, 2);
	expect_problem(f, &commit, f->path_c, "deleted without a tombstone");
	expect_problem(f, &second, f->path_b, "deleted without a tombstone");
}

/* 5. An old revision replayed: a's rev-1 file again, over its rev 2. */
static void test_verify__old_revision_replayed(void **state)
{
	fixture *f = *state;
	git_tree_update u = upsert(f->path_a, f->a_rev1);
	git_oid commit = commit_signed(f, f->founder, &u, 1);

	expect_only(f, &commit, f->path_a, "does not extend");
}

/* 6. A forged chain: a rev 3 of a whose parent is not a's rev 2. */
static void test_verify__forged_chain_wrong_parent(void **state)
{
	fixture *f = *state;
	unsigned char wrong[SANCTUM_DOC_HASH_SIZE];
	git_tree_update u;
	git_oid commit;

	randombytes_buf(wrong, sizeof(wrong));
	u = upsert(f->path_a, sealed_revision(f, f->a, 3, wrong, f->founder));
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, f->path_a, "does not extend");
}

/* 6b. The right parent, but revisions skipped (rev 5 after rev 2). */
static void test_verify__forged_chain_wrong_revision(void **state)
{
	fixture *f = *state;
	unsigned char hash[SANCTUM_DOC_HASH_SIZE];
	uint64_t rev;
	git_tree_update u;
	git_oid first;

	current_hash(f, f->a, hash, &rev);
	assert_int_equal(rev, 2);
	u = upsert(f->path_a, sealed_revision(f, f->a, 5, hash, f->founder));
	first = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &first, f->path_a, "does not extend");

	/* A rev 6 that extends it is judged on its own: only the skip is reported. */
	current_hash(f, f->a, hash, &rev);
	assert_int_equal(rev, 5);
	u = upsert(f->path_a, sealed_revision(f, f->a, 6, hash, f->founder));
	commit_signed(f, f->founder, &u, 1);
	expect_only(f, &first, f->path_a, "does not extend");
	assert_int_equal(f->stats.commits, CLEAN_COMMITS + 2);
}

/* A new document must start at revision 1 without a parent. */
static void test_verify__new_document_not_at_revision_1(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE], parent[SANCTUM_DOC_HASH_SIZE];
	char path[48];
	git_tree_update u;
	git_oid commit;

	random_doc_path(path, id);
	randombytes_buf(parent, sizeof(parent));
	u = upsert(path, sealed_revision(f, id, 2, parent, f->founder));
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, path, "revision 1");
}

/* A valid revision of c copied to another document's path: its id does not match. */
static void test_verify__revision_under_another_id(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	char path[48];
	git_tree_update u;
	git_oid blob, commit;

	random_doc_path(path, id);
	assert_int_equal(blob_at(&blob, f->host, f->path_c), 0);
	u = upsert(path, blob);
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, path, "field 'id'");
}

/* 7. A revision signed by a non-f->member, committed by the founder. */
static void test_verify__document_signed_by_a_non_member(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE], hash[SANCTUM_DOC_HASH_SIZE];
	char path[48], fingerprint[SANCTUM_FINGERPRINT_SIZE];
	uint64_t rev;
	git_tree_update u[2];
	git_oid commit;

	fingerprint_of(fingerprint, f->stranger);
	random_doc_path(path, id);
	current_hash(f, f->c, hash, &rev);
	u[0] = upsert(path, sealed_revision(f, id, 1, NULL, f->stranger));
	u[1] = upsert(f->path_c, sealed_revision(f, f->c, rev + 1, hash, f->stranger));
	commit = commit_signed(f, f->founder, u, 2);
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->nseen, 2);
	expect_problem(f, &commit, path, "not a member");
	expect_problem(f, &commit, path, fingerprint);
	expect_problem(f, &commit, f->path_c, "not a member");
}

/* 7b. Membership is judged as of the commit: a revision signed by someone who was not yet
 * a member when it was committed, though they are one at main's head. */
static void test_verify__document_signed_before_its_author_joined(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	char path[48];
	git_tree_update u;
	git_oid commit;

	random_doc_path(path, id);
	u = upsert(path, sealed_revision(f, id, 1, NULL, f->member));
	commit = commit_signed(f, f->founder, &u, 1);
	add_member(f, f->member, 0);
	expect_only(f, &commit, path, "not a member at that point");
}

/* ---- commits ---------------------------------------------------------------------------- */

/* 2. A commit with no signature at all: alone, then with a document rewritten as in 1. */
static void test_verify__unsigned_commit(void **state)
{
	fixture *f = *state;
	char message[128];
	git_tree_update u = honest_new_doc(f);
	git_oid first, second;

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(f) + 1);
	first = commit_by_hand(f, &u, 1, message, f->founder, NULL, NULL);
	expect_only(f, &first, "", "not signed");

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(f) + 1);
	u = upsert(f->path_c, put_blob(f, "not an age file", 15));
	second = commit_by_hand(f, &u, 1, message, f->founder, NULL, NULL);
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->nseen, 3);
	expect_problem(f, &first, "", "not signed");
	expect_problem(f, &second, "", "not signed");
	expect_problem(f, &second, f->path_c, "not an age");
}

/* 3. A commit properly signed, but by a key that is not in the roster. */
static void test_verify__commit_signed_by_a_non_member(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	char path[48], fingerprint[SANCTUM_FINGERPRINT_SIZE];
	git_tree_update u;
	git_oid commit;

	fingerprint_of(fingerprint, f->stranger);
	random_doc_path(path, id);
	u = upsert(path, sealed_revision(f, id, 1, NULL, f->founder));
	commit = commit_signed(f, f->stranger, &u, 1);
	expect_only(f, &commit, "", "not a member");
	expect_problem(f, &commit, "", fingerprint);
}

/* Membership is judged by the roster of the parent: a commit that adds its own signer. */
static void test_verify__commit_signed_by_the_member_it_adds(void **state)
{
	fixture *f = *state;
	git_tree_update u;
	git_oid commit;

	u = upsert("roster/000002", roster_entry(f, f->member, 1, f->founder));
	commit = commit_signed(f, f->member, &u, 1);
	expect_only(f, &commit, "", "not a member");
	assert_int_equal(f->stats.roster_entries, 2);
}

/* A signature by the founder, but under another namespace than "git". */
static void test_verify__commit_signed_in_another_namespace(void **state)
{
	fixture *f = *state;
	char message[128];
	git_tree_update u;
	git_oid commit;

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(f) + 1);
	u = honest_new_doc(f);
	commit = commit_by_hand(f, &u, 1, message, f->founder, f->founder, "file");
	expect_only(f, &commit, "", "does not verify");
}

/* The author and committer must be the signer. */
static void test_verify__commit_author_is_not_its_signer(void **state)
{
	fixture *f = *state;
	char message[128];
	git_tree_update u = honest_new_doc(f);
	git_oid commit;

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(f) + 1);
	commit = commit_by_hand(f, &u, 1, message, f->stranger, f->founder, "git");
	expect_only(f, &commit, "", "author or committer");
}

/* 10. A wrong Sanctum-Seq: ahead of its parent's + 1, or repeating it. */
static void test_verify__wrong_sequence_number(void **state)
{
	fixture *f = *state;
	char message[128];
	git_tree_update u = honest_new_doc(f);
	git_oid commit;
	uint64_t seq = head_seq(f);

	assert_int_equal(seq, CLEAN_COMMITS);
	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, seq + 2);
	commit = commit_by_hand(f, &u, 1, message, f->founder, f->founder, "git");
	expect_only(f, &commit, "", "sequence number");
}

static void test_verify__repeated_sequence_number(void **state)
{
	fixture *f = *state;
	char message[128];
	git_tree_update u = honest_new_doc(f);
	git_oid commit;

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(f));
	commit = commit_by_hand(f, &u, 1, message, f->founder, f->founder, "git");
	expect_only(f, &commit, "", "sequence number");
}

/* 10b. A commit signed for another branch. */
static void test_verify__commit_for_another_branch(void **state)
{
	fixture *f = *state;
	char message[128];
	git_tree_update u = honest_new_doc(f);
	git_oid commit;

	usual_message(message, sizeof(message), "other", head_seq(f) + 1);
	commit = commit_by_hand(f, &u, 1, message, f->founder, f->founder, "git");
	expect_only(f, &commit, "", "branch");
}

/* A commit with no trailers at all breaks both rules. */
static void test_verify__commit_without_trailers(void **state)
{
	fixture *f = *state;
	git_tree_update u = honest_new_doc(f);
	git_oid commit = commit_by_hand(f, &u, 1, "sanctum: 1 updated\n", f->founder, f->founder,
	                                "git");

	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->nseen, 2);
	expect_problem(f, &commit, "", "branch");
	expect_problem(f, &commit, "", "sequence number");
}

/* ---- the group's own files -------------------------------------------------------------- */

/* 8a. The manifest re-signed by the founder with another name. */
static void test_verify__manifest_changed(void **state)
{
	fixture *f = *state;
	sanctum_buf text = SANCTUM_BUF_INIT;
	sanctum_manifest manifest;
	git_tree_update u;
	git_oid commit;

	assert_int_equal(sanctum_manifest__create(&text, &manifest, "other-cities", f->founder), 0);
	u = upsert("group", put_blob(f, text.ptr, text.size));
	sanctum_buf_dispose(&text);
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, "group", "manifest changed");
}

/* 8b. Roster entry 1 rewritten: a valid "create" entry with another epoch recipient. */
static void test_verify__roster_entry_rewritten(void **state)
{
	fixture *f = *state;
	sanctum_roster roster;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	unsigned char epoch_pub[SANCTUM_AGE_X25519_KEY_SIZE];
	sanctum_card card;
	git_tree_update u;
	git_oid commit;

	randombytes_buf(epoch_pub, sizeof(epoch_pub));
	sanctum_identity_card(&card, f->founder);
	sanctum_roster__init(&roster, &f->store->manifest);
	{
		sanctum_roster_change change = { .op = "create", .card = &card, .admin = 1,
		                                 .epoch = 1, .epoch_recipient = epoch_pub };

		assert_int_equal(sanctum_roster__write_entry(&entry, &roster, &change, f->founder), 0);
	}
	u = upsert("roster/000001", put_blob(f, entry.ptr, entry.size));
	sanctum_buf_dispose(&entry);
	sanctum_roster__dispose(&roster);
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, "roster/000001", "append-only");
}

/* 8c. An entry appended that a non-member signed (adding itself). */
static void test_verify__roster_entry_by_a_non_member(void **state)
{
	fixture *f = *state;
	git_tree_update u = upsert("roster/000002", roster_entry(f, f->stranger, 1, f->stranger));
	git_oid commit = commit_signed(f, f->founder, &u, 1);

	expect_only(f, &commit, "roster/000002", "000002");
	expect_problem(f, &commit, "roster/000002", "admin");
	assert_int_equal(f->stats.roster_entries, 1);
}

/* 8d. An entry appended by a member who is not an admin. */
static void test_verify__roster_entry_by_a_non_admin(void **state)
{
	fixture *f = *state;
	git_tree_update u;
	git_oid commit;

	add_member(f, f->member, 0);
	u = upsert("roster/000003", roster_entry(f, f->stranger, 1, f->member));
	commit = commit_signed(f, f->member, &u, 1);
	expect_only(f, &commit, "roster/000003", "not signed by an active admin");
	assert_int_equal(f->stats.roster_entries, 2);
}

/* An honest entry 2 filed under another name than its number, which readers never find. */
static void test_verify__roster_entry_under_a_wrong_name(void **state)
{
	fixture *f = *state;
	git_tree_update u;
	git_oid commit;

	u = upsert("roster/000003", roster_entry(f, f->member, 0, f->founder));
	commit = commit_signed(f, f->founder, &u, 1);
	expect_only(f, &commit, "roster/000003", "roster/000002");
	assert_int_equal(f->stats.roster_entries, 1);
}

/* A valid epoch file for `number`, signed by the founder, sealed to the founder, but
 * holding a fresh key of the writer's choosing rather than the one the roster names. */
static git_oid other_epoch_file(fixture *f, uint64_t number)
{
	sanctum_buf epoch = SANCTUM_BUF_INIT;
	sanctum_age_identity *key = NULL;
	sanctum_age_recipient *founder = NULL;
	const sanctum_age_recipient *members[1];
	git_oid oid;

	assert_int_equal(sanctum_age_identity_to_recipient(&founder,
	                                                   sanctum_identity_age(f->founder)),
	                 0);
	members[0] = founder;
	assert_int_equal(sanctum_epoch__create(&epoch, &key, f->store->manifest.id, number,
	                                       members, 1, f->founder),
	                 0);
	oid = put_blob(f, epoch.ptr, epoch.size);
	sanctum_buf_dispose(&epoch);
	sanctum_age_identity_free(key);
	sanctum_age_recipient_free(founder);
	return oid;
}

/* 9d. An admin adds a member but seals epoch 1 again without an existing reader (B): the
 * roster entitles B to it, so B's verification must say so rather than call B's old
 * documents unreadable. */
static void test_verify__epoch_sealed_without_an_entitled_reader(void **state)
{
	fixture *f = *state;
	sanctum_roster readers;
	const sanctum_age_identity *key = NULL;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	sanctum_store *fresh = NULL;
	sanctum_verify_stats stats;
	sanctum_card b;
	git_tree_update u[2];
	git_oid entry, epoch, commit;
	char hex[41];
	int found = 0;

	add_member(f, f->member, 0);
	entry = roster_entry(f, f->stranger, 0, f->founder);
	head_roster(f, &readers);
	assert_int_equal(sanctum_store__head(&head, f->store), 0);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	assert_int_equal(sanctum_store__epoch_key(&key, f->store, &readers, tree, 1, f->founder), 0);
	/* The readers the dishonest admin seals to: everyone but B. */
	sanctum_identity_card(&b, f->member);
	for (size_t i = 0; i < readers.nmembers; i++)
		if (memcmp(readers.members[i].card.signing_key, b.signing_key, sizeof(b.signing_key)) == 0)
			readers.members[i].active = 0;
	assert_int_equal(sanctum_store__seal_epoch(&epoch, f->store, &readers, key, 1, f->founder), 0);
	u[0] = upsert("roster/000003", entry);
	u[1] = upsert("epochs/000001.age", epoch);
	commit = commit_signed(f, f->founder, u, 2);
	git_oid_tostr(hex, sizeof(hex), &commit);

	assert_int_equal(sanctum_store_open(&fresh, f->dir, 0), 0);
	f->nseen = f->calls = 0;
	assert_int_equal(sanctum_store_verify(&stats, fresh, f->member, on_problem, f), SANCTUM_EVERIFY);
	for (size_t i = 0; i < f->nseen; i++)
		found |= strcmp(f->seen[i].commit, hex) == 0 &&
		         strcmp(f->seen[i].path, "epochs/000001.age") == 0 &&
		         strstr(f->seen[i].message, "sealed without this reader") != NULL;
	if (!found)
		dump_seen(f);
	assert_true(found);
	sanctum_store_free(fresh);
	sanctum_roster__dispose(&readers);
	git_tree_free(tree);
	git_commit_free(head);
}

/* 9. An epoch file replaced (a valid epoch 1 with a key of the writer's choosing). */
static void test_verify__epoch_file_changed(void **state)
{
	fixture *f = *state;
	git_tree_update u = upsert("epochs/000001.age", other_epoch_file(f, 1));
	git_oid commit = commit_signed(f, f->founder, &u, 1);

	expect_only(f, &commit, "epochs/000001.age", "epoch file changed");
}

/* 9b. An epoch file added that no roster entry names. */
static void test_verify__epoch_file_added(void **state)
{
	fixture *f = *state;
	git_tree_update u = upsert("epochs/000002.age", put_blob(f, "x", 1));
	git_oid commit = commit_signed(f, f->founder, &u, 1);

	expect_only(f, &commit, "epochs/000002.age", "epoch file changed");
}

/* 9c. An epoch file replaced along with a roster entry (which does not excuse it). */
static void test_verify__epoch_file_changed_with_a_roster_entry(void **state)
{
	fixture *f = *state;
	git_tree_update u[2];
	git_oid commit;

	u[0] = upsert("roster/000002", roster_entry(f, f->member, 0, f->founder));
	u[1] = upsert("epochs/000001.age", other_epoch_file(f, 1));
	commit = commit_signed(f, f->founder, u, 2);
	expect_only(f, &commit, "epochs/000001.age", "epoch");
}

/* 9d. An epoch file the roster does not name, added with a roster entry. */
static void test_verify__epoch_file_not_named_by_the_roster(void **state)
{
	fixture *f = *state;
	git_tree_update u[2];
	git_oid commit;

	u[0] = upsert("roster/000002", roster_entry(f, f->member, 0, f->founder));
	u[1] = upsert("epochs/000002.age", other_epoch_file(f, 2));
	commit = commit_signed(f, f->founder, u, 2);
	expect_only(f, &commit, "epochs/000002.age", "does not name");
}

/* ---- paths ------------------------------------------------------------------------------ */

/* 11. A file outside the layout. */
static void test_verify__illegal_path(void **state)
{
	fixture *f = *state;
	git_tree_update u = upsert("notes.txt", put_blob(f, "hello", 5));
	git_oid commit = commit_signed(f, f->founder, &u, 1);

	expect_only(f, &commit, "notes.txt", "not a legal path");
}

/* 11b. Paths that look like documents but are not, each holding a valid revision. */
static void test_verify__illegal_document_paths(void **state)
{
	fixture *f = *state;
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1], upper[48], bucket[48], suffix[48], deep[64];
	git_tree_update u[5];
	git_oid blob, commit;

	assert_int_equal(blob_at(&blob, f->host, f->path_c), 0);
	sanctum_doc_id_to_hex(hex, f->c);
	snprintf(upper, sizeof(upper), "docs/%.2s/%s.age", hex, hex);
	for (char *p = upper + 5; p < upper + 8 + 2 * SANCTUM_DOC_ID_SIZE; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(bucket, sizeof(bucket), "docs/%s/%s.age", hex[0] == '0' ? "11" : "00", hex);
	snprintf(suffix, sizeof(suffix), "docs/%.2s/%s.txt", hex, hex);
	snprintf(deep, sizeof(deep), "docs/%.2s/x/%s.age", hex, hex);
	u[0] = upsert(upper, blob);
	u[1] = upsert(bucket, blob);
	u[2] = upsert(suffix, blob);
	u[3] = upsert(deep, blob);
	u[4] = upsert("docs/zz/notes.txt", blob);
	commit = commit_signed(f, f->founder, u, 5);
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	if (strcmp(upper, f->path_c) != 0)   /* an id with no letters has no upper case */
		expect_problem(f, &commit, upper, "not a legal path");
	expect_problem(f, &commit, bucket, "not a legal path");
	expect_problem(f, &commit, suffix, "not a legal path");
	expect_problem(f, &commit, deep, "not a legal path");
	expect_problem(f, &commit, "docs/zz/notes.txt", "not a legal path");
}

/* ---- the callback ----------------------------------------------------------------------- */

/* 12. A callback that returns a negative number stops the walk at once. */
static void test_verify__callback_stops_the_walk(void **state)
{
	fixture *f = *state;
	git_tree_update u[2];
	git_oid first;

	u[0] = upsert("notes.txt", put_blob(f, "one", 3));
	u[1] = upsert("other.txt", put_blob(f, "two", 3));
	first = commit_signed(f, f->founder, u, 2);
	u[0] = upsert("more.txt", put_blob(f, "three", 5));
	commit_signed(f, f->founder, u, 1);

	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->calls, 3);
	assert_int_equal(f->stats.commits, CLEAN_COMMITS + 2);

	f->stop_after = 1;
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->stats.problems, 1);
	assert_int_equal(f->stats.commits, CLEAN_COMMITS + 1);
	expect_problem(f, &first, "notes.txt", "not a legal path");

	f->stop_after = 2;
	assert_int_equal(run_verify(f), SANCTUM_EVERIFY);
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->stats.commits, CLEAN_COMMITS + 1);
}

#define VERIFY_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		VERIFY_TEST(test_verify__clean_store),
		VERIFY_TEST(test_verify__clean_store_with_a_second_member),
		VERIFY_TEST(test_verify__document_replaced_by_random_bytes),
		VERIFY_TEST(test_verify__document_replaced_by_other_age_content),
		VERIFY_TEST(test_verify__document_with_a_tampered_revision),
		VERIFY_TEST(test_verify__bare_deletion),
		VERIFY_TEST(test_verify__old_revision_replayed),
		VERIFY_TEST(test_verify__forged_chain_wrong_parent),
		VERIFY_TEST(test_verify__forged_chain_wrong_revision),
		VERIFY_TEST(test_verify__new_document_not_at_revision_1),
		VERIFY_TEST(test_verify__revision_under_another_id),
		VERIFY_TEST(test_verify__document_signed_by_a_non_member),
		VERIFY_TEST(test_verify__document_signed_before_its_author_joined),
		VERIFY_TEST(test_verify__unsigned_commit),
		VERIFY_TEST(test_verify__commit_signed_by_a_non_member),
		VERIFY_TEST(test_verify__commit_signed_by_the_member_it_adds),
		VERIFY_TEST(test_verify__commit_signed_in_another_namespace),
		VERIFY_TEST(test_verify__commit_author_is_not_its_signer),
		VERIFY_TEST(test_verify__wrong_sequence_number),
		VERIFY_TEST(test_verify__repeated_sequence_number),
		VERIFY_TEST(test_verify__commit_for_another_branch),
		VERIFY_TEST(test_verify__commit_without_trailers),
		VERIFY_TEST(test_verify__manifest_changed),
		VERIFY_TEST(test_verify__roster_entry_rewritten),
		VERIFY_TEST(test_verify__roster_entry_by_a_non_member),
		VERIFY_TEST(test_verify__roster_entry_by_a_non_admin),
		VERIFY_TEST(test_verify__roster_entry_under_a_wrong_name),
		VERIFY_TEST(test_verify__epoch_file_changed),
		VERIFY_TEST(test_verify__epoch_file_added),
		VERIFY_TEST(test_verify__epoch_file_changed_with_a_roster_entry),
		VERIFY_TEST(test_verify__epoch_file_not_named_by_the_roster),
		VERIFY_TEST(test_verify__epoch_sealed_without_an_entitled_reader),
		VERIFY_TEST(test_verify__illegal_path),
		VERIFY_TEST(test_verify__illegal_document_paths),
		VERIFY_TEST(test_verify__callback_stops_the_walk),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	sanctum_shutdown();
	return failed;
}

/*
 * Unit tests for merging diverged copies of a store (core/src/store_merge.c,
 * doc_merge.c) and for conflicts (store_conflicts.c).
 *
 * Each test founds a store in copy "a", copies its .sanctum folder to copies "b" (and
 * "c") once the shared history is written, changes the copies apart, then brings one
 * copy's objects into another and its main under a private ref, as pull's fetch into
 * quarantine will, and merges. Two copies that merge each other's history with winners
 * only must get the same tree; a text merge is a new revision signed by the merger.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>
#include <sodium.h>

#include "sanctum/conflicts.h"
#include "sanctum/errors.h"
#include "sanctum/history.h"
#include "sanctum/members.h"
#include "sanctum/store.h"
#include "sanctum/verify.h"

#include "merge.h"
#include "store_internal.h"

#include "fixture.h"

#define GROUP "river-cities"
#define COPIES 3
#define TEXT "line one\nline two\nline three\nline four\nline five\n"

/* ---- fixture: copies of one store ------------------------------------------------------ */

typedef struct {
	char root[PATH_MAX];
	char dir[COPIES][PATH_MAX + 8];
	sanctum_store *store[COPIES];
	sanctum_identity *founder;
	int fetches;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	if (!f || sanctum_init() < 0)
		return -1;
	if (make_temp_dir(f->root, sizeof(f->root), "sanctum-merge") < 0)
		return -1;
	for (int i = 0; i < COPIES; i++)
		snprintf(f->dir[i], sizeof(f->dir[i]), "%s/%c", f->root, 'a' + i);
	if (sanctum_identity_generate(&f->founder, "aldport", "server") < 0 ||
	    sanctum_store_init(&f->store[0], f->dir[0], GROUP, f->founder) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	for (int i = 0; i < COPIES; i++)
		sanctum_store_free(f->store[i]);
	sanctum_identity_free(f->founder);
	remove_tree(f->root);
	free(f);
	return 0;
}

/* Copy `to` becomes a byte-for-byte copy of copy a's store, as a clone would be. */
static void copy_store(fixture *f, int to)
{
	char command[3 * PATH_MAX + 64];

	assert_int_equal(mkdir(f->dir[to], 0700), 0);
	snprintf(command, sizeof(command), "cp -a '%s/.sanctum' '%s/'", f->dir[0], f->dir[to]);
	assert_int_equal(system(command), 0);
	assert_int_equal(sanctum_store_open(&f->store[to], f->dir[to], 0), 0);
}

/* ---- helpers ------------------------------------------------------------------------- */

static void assert_message_has(const char *text)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, text))
		fail_msg("message '%s' does not contain '%s'", message, text);
}

static void add_doc(fixture *f, int copy, unsigned char id[SANCTUM_DOC_ID_SIZE],
                    const char *title, const void *body, size_t len, const char *type)
{
	static const char *const tags[] = { "legal-aid" };
	sanctum_new_doc d = { body, len, title, tags, 1, type };
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];

	assert_int_equal(sanctum_store_add(f->store[copy], ids, &d, 1, f->founder), 0);
	memcpy(id, ids[0], SANCTUM_DOC_ID_SIZE);
}

static void add_text(fixture *f, int copy, unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	add_doc(f, copy, id, "Hotline", TEXT, strlen(TEXT), "text/markdown");
}

/* Updates the body; `title` and `tags` (ntags < 0: keep them) when given. */
static void update_doc(fixture *f, int copy, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                       const void *body, size_t len, const char *title,
                       const char *const *tags, int ntags)
{
	sanctum_new_doc d = { body, len, title, ntags < 0 ? NULL : tags,
	                      ntags < 0 ? 0 : (size_t)ntags, NULL };

	assert_int_equal(sanctum_store_update(f->store[copy], id, &d, f->founder), 0);
}

static void update_text(fixture *f, int copy, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                        const char *body)
{
	update_doc(f, copy, id, body, strlen(body), NULL, NULL, -1);
}

static void read_doc(fixture *f, int copy, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                     sanctum_doc *out)
{
	assert_int_equal(sanctum_store_read(out, f->store[copy], id, f->founder), 0);
}

static void assert_body(fixture *f, int copy, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                        const char *body)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;

	read_doc(f, copy, id, &doc);
	assert_int_equal(doc.body.size, strlen(body));
	assert_memory_equal(doc.body.ptr, body, doc.body.size);
	sanctum_doc_dispose(&doc);
}

static git_commit *head(fixture *f, int copy)
{
	git_commit *commit = NULL;

	assert_int_equal(sanctum_store__head(&commit, f->store[copy]), 0);
	return commit;
}

static git_oid head_id(fixture *f, int copy)
{
	git_commit *commit = head(f, copy);
	git_oid id = *git_commit_id(commit);

	git_commit_free(commit);
	return id;
}

static uint64_t head_seq(fixture *f, int copy)
{
	git_commit *commit = head(f, copy);
	uint64_t seq = sanctum_store__commit_seq(commit);

	git_commit_free(commit);
	return seq;
}

static git_oid head_tree_id(fixture *f, int copy)
{
	git_commit *commit = head(f, copy);
	git_oid id = *git_commit_tree_id(commit);

	git_commit_free(commit);
	return id;
}

/* The blob at `path` on main of `copy`; 0 when there is none. */
static int blob_at(git_oid *out, fixture *f, int copy, const char *path)
{
	git_commit *commit = head(f, copy);
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int found;

	assert_int_equal(git_commit_tree(&tree, commit), 0);
	found = git_tree_entry_bypath(&entry, tree, path) == 0;
	if (found && out)
		*out = *git_tree_entry_id(entry);
	git_error_clear();
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return found;
}

static void doc_blob(git_oid *out, fixture *f, int copy,
                     const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	char path[48];

	sanctum_store__doc_path(path, id);
	assert_true(blob_at(out, f, copy, path));
}

static void conflict_path(char out[160], const unsigned char id[SANCTUM_DOC_ID_SIZE],
                          const unsigned char hash[SANCTUM_DOC_HASH_SIZE])
{
	char id_hex[33], hash_hex[65];

	sanctum_doc_id_to_hex(id_hex, id);
	sodium_bin2hex(hash_hex, sizeof(hash_hex), hash, SANCTUM_DOC_HASH_SIZE);
	snprintf(out, 160, "conflicts/%.2s/%s/%s.age", id_hex, id_hex, hash_hex);
}

typedef struct {
	git_odb *from, *into;
} object_copy;

static int copy_object(const git_oid *id, void *payload)
{
	object_copy *c = payload;
	git_odb_object *object = NULL;
	git_oid written;

	if (git_odb_exists(c->into, id))
		return 0;
	assert_int_equal(git_odb_read(&object, c->from, id), 0);
	assert_int_equal(git_odb_write(&written, c->into, git_odb_object_data(object),
	                               git_odb_object_size(object), git_odb_object_type(object)),
	                 0);
	assert_true(git_oid_equal(&written, id));
	git_odb_object_free(object);
	return 0;
}

/*
 * Brings every object of copy `from` into copy `into` and points a private ref at its
 * main, as a fetch into quarantine would; returns that commit. (Objects are copied by
 * hand: a libgit2 1.5 local fetch leaks inside pcre2, which LeakSanitizer reports.)
 */
static git_commit *fetch(fixture *f, int into, int from)
{
	git_repository *repo = f->store[into]->repo;
	object_copy c = { NULL, NULL };
	git_reference *ref = NULL;
	git_commit *commit = NULL;
	char name[48];
	git_oid theirs;

	assert_int_equal(git_repository_odb(&c.from, f->store[from]->repo), 0);
	assert_int_equal(git_repository_odb(&c.into, repo), 0);
	assert_int_equal(git_odb_foreach(c.from, copy_object, &c), 0);
	assert_int_equal(git_reference_name_to_id(&theirs, f->store[from]->repo, "refs/heads/main"),
	                 0);
	snprintf(name, sizeof(name), "refs/merge-test/fetch-%d", f->fetches++);
	assert_int_equal(git_reference_create(&ref, repo, name, &theirs, 1, NULL), 0);
	assert_int_equal(git_commit_lookup(&commit, repo, &theirs), 0);
	git_reference_free(ref);
	git_odb_free(c.from);
	git_odb_free(c.into);
	return commit;
}

/* Merges `theirs` (fetched into `into`) into main of `into`, with the lock held. */
static int merge_commit(fixture *f, int into, git_commit *theirs, sanctum_merge_stats *stats,
                        const sanctum_identity *who)
{
	git_commit *ours = head(f, into);
	git_oid merged;
	int rc;

	assert_int_equal(sanctum_store__lock(f->store[into]), 0);
	rc = sanctum_store__merge(&merged, stats, f->store[into], ours, theirs, who);
	sanctum_store__unlock(f->store[into]);
	if (rc == 0) {
		git_oid now = head_id(f, into);

		assert_true(git_oid_equal(&now, &merged));
	}
	git_commit_free(ours);
	return rc;
}

static int merge(fixture *f, int into, int from, sanctum_merge_stats *stats)
{
	git_commit *theirs = fetch(f, into, from);
	int rc = merge_commit(f, into, theirs, stats, f->founder);

	git_commit_free(theirs);
	return rc;
}

static void expect_stats(const sanctum_merge_stats *s, size_t taken, size_t texts,
                         size_t conflicts)
{
	assert_int_equal(s->taken, taken);
	assert_int_equal(s->texts_merged, texts);
	assert_int_equal(s->conflicts, conflicts);
}

static int on_problem(const sanctum_verify_problem *p, void *payload)
{
	(void)payload;
	print_message("verify: %s %s: %s\n", p->commit, p->path, p->message);
	return 0;
}

/* The whole history must pass sanctum verify: merges, merge revisions, conflicts. */
static void assert_verifies(fixture *f, int copy)
{
	sanctum_verify_stats stats;

	assert_int_equal(sanctum_store_verify(&stats, f->store[copy], f->founder, on_problem, NULL),
	                 0);
	assert_int_equal(stats.problems, 0);
}

/* ---- tree level ------------------------------------------------------------------------- */

static void test_merge__different_documents_merge_at_tree_level(void **state)
{
	fixture *f = *state;
	unsigned char shared[16], mine[16], theirs_new[16];
	sanctum_merge_stats stats;
	git_commit *merged;
	uint64_t seq_a, seq_b;

	add_text(f, 0, shared);
	copy_store(f, 1);
	add_text(f, 0, mine);
	add_text(f, 1, theirs_new);
	update_text(f, 1, shared, "changed over there\n");
	seq_a = head_seq(f, 0);
	seq_b = head_seq(f, 1);
	assert_int_equal(seq_b, seq_a + 1);

	assert_int_equal(merge(f, 0, 1, &stats), 0);
	expect_stats(&stats, 2, 0, 0);
	assert_body(f, 0, shared, "changed over there\n");
	assert_body(f, 0, mine, TEXT);
	assert_body(f, 0, theirs_new, TEXT);
	assert_false(blob_at(NULL, f, 0, "conflicts"));

	merged = head(f, 0);
	assert_int_equal(git_commit_parentcount(merged), 2);
	assert_int_equal(sanctum_store__commit_seq(merged), (seq_a > seq_b ? seq_a : seq_b) + 1);
	assert_non_null(strstr(git_commit_message(merged),
	                       "sanctum: merge, 2 paths taken, 0 text merges, 0 conflicts"));
	git_commit_free(merged);
	assert_verifies(f, 0);
}

static void test_merge__refuses_nothing_to_merge_and_strangers(void **state)
{
	fixture *f = *state;
	unsigned char id[16], other[16];
	sanctum_identity *stranger = NULL;
	sanctum_merge_stats stats;
	git_commit *theirs;
	git_oid before;

	add_text(f, 0, id);
	copy_store(f, 1);
	add_text(f, 0, other);
	/* b is behind a: a's main contains b's. */
	theirs = fetch(f, 0, 1);
	before = head_id(f, 0);
	assert_int_equal(merge_commit(f, 0, theirs, &stats, f->founder), SANCTUM_EINVALID);
	assert_message_has("nothing to merge");
	git_commit_free(theirs);

	add_text(f, 1, other);
	assert_int_equal(sanctum_identity_generate(&stranger, "outsider", "laptop"), 0);
	theirs = fetch(f, 0, 1);
	assert_int_equal(merge_commit(f, 0, theirs, &stats, stranger), SANCTUM_EVERIFY);
	assert_message_has("not a member");
	{
		git_oid now = head_id(f, 0);

		assert_true(git_oid_equal(&now, &before));
	}
	git_commit_free(theirs);
	sanctum_identity_free(stranger);
}

/* ---- text merges ------------------------------------------------------------------------- */

static void test_merge__text_edits_merge_into_one_revision(void **state)
{
	fixture *f = *state;
	static const char *const new_tags[] = { "hotline", "legal-aid" };
	unsigned char id[16];
	sanctum_doc a = SANCTUM_DOC_INIT, b = SANCTUM_DOC_INIT, m = SANCTUM_DOC_INIT;
	const sanctum_doc *first, *second;
	sanctum_merge_stats stats;
	const char *a_text = "LINE ONE\nline two\nline three\nline four\nline five\n";
	const char *b1 = "line one\nline two\nline three\nline four\nline five\nline six\n";
	const char *b2 = "line one\nline two\nline three\nline four\nLINE FIVE\nline six\n";

	add_text(f, 0, id);
	copy_store(f, 1);
	/* a: the first line and the tags; b: two revisions, the last lines and the title. */
	update_doc(f, 0, id, a_text, strlen(a_text), NULL, new_tags, 2);
	update_text(f, 1, id, b1);
	update_doc(f, 1, id, b2, strlen(b2), "Rapid-response hotline", NULL, -1);
	read_doc(f, 0, id, &a);
	read_doc(f, 1, id, &b);

	assert_int_equal(merge(f, 0, 1, &stats), 0);
	expect_stats(&stats, 0, 1, 0);
	assert_body(f, 0, id, "LINE ONE\nline two\nline three\nline four\nLINE FIVE\nline six\n");
	read_doc(f, 0, id, &m);
	assert_int_equal(m.rev, 4);                       /* max(2, 3) + 1 */
	assert_true(m.has_parent);
	assert_true(m.has_merged);
	first = memcmp(a.hash, b.hash, 32) < 0 ? &a : &b;
	second = first == &a ? &b : &a;
	assert_memory_equal(m.parent, first->hash, 32);
	assert_memory_equal(m.merged, second->hash, 32);
	assert_true(memcmp(m.parent, m.merged, 32) < 0);
	assert_string_equal(m.title, "Rapid-response hotline"); /* only b changed it */
	assert_int_equal(m.ntags, 2);                     /* only a changed them */
	assert_string_equal(m.tags[0], "hotline");
	assert_string_equal(m.tags[1], "legal-aid");
	assert_string_equal(m.type, "text/markdown");
	assert_false(m.deleted);
	assert_false(blob_at(NULL, f, 0, "conflicts"));
	{
		git_commit *h = head(f, 0);

		assert_non_null(strstr(git_commit_message(h),
		                       "0 paths taken, 1 text merge, 0 conflicts"));
		git_commit_free(h);
	}
	sanctum_doc_dispose(&a);
	sanctum_doc_dispose(&b);
	sanctum_doc_dispose(&m);
	assert_verifies(f, 0);
}

static void test_merge__both_change_title_the_winner_keeps_its(void **state)
{
	fixture *f = *state;
	unsigned char id[16];
	sanctum_doc m = SANCTUM_DOC_INIT;
	sanctum_merge_stats stats;
	const char *a_text = "LINE ONE\nline two\nline three\nline four\nline five\n";
	const char *b_text = "line one\nline two\nline three\nline four\nLINE FIVE\n";

	add_text(f, 0, id);
	copy_store(f, 1);
	update_doc(f, 0, id, a_text, strlen(a_text), "Title from a", NULL, -1);
	update_doc(f, 1, id, b_text, strlen(b_text), "Title from b", NULL, -1);
	update_doc(f, 1, id, b_text, strlen(b_text), "Title from b", NULL, -1); /* b: rev 3 */
	assert_int_equal(merge(f, 0, 1, &stats), 0);
	expect_stats(&stats, 0, 1, 0);
	read_doc(f, 0, id, &m);
	assert_string_equal(m.title, "Title from b");
	assert_int_equal(m.rev, 4);
	sanctum_doc_dispose(&m);
}

/* ---- winners: the same tree whichever side merges ------------------------------------------ */

/* Fetches both ways first, then merges each into the other. */
static void merge_both_ways(fixture *f, sanctum_merge_stats *into_a, sanctum_merge_stats *into_b)
{
	git_commit *from_b = fetch(f, 0, 1), *from_a = fetch(f, 1, 0);
	git_oid tree_a, tree_b;

	assert_int_equal(merge_commit(f, 0, from_b, into_a, f->founder), 0);
	assert_int_equal(merge_commit(f, 1, from_a, into_b, f->founder), 0);
	tree_a = head_tree_id(f, 0);
	tree_b = head_tree_id(f, 1);
	assert_true(git_oid_equal(&tree_a, &tree_b));
	git_commit_free(from_b);
	git_commit_free(from_a);
}

/* The winner's file is at docs/, the loser's under conflicts/, both as the sides had them. */
static void assert_conflict(fixture *f, const unsigned char id[16], const sanctum_doc *winner,
                            const git_oid *winner_blob, const sanctum_doc *loser,
                            const git_oid *loser_blob)
{
	char path[160];
	git_oid blob;

	doc_blob(&blob, f, 0, id);
	assert_true(git_oid_equal(&blob, winner_blob));
	conflict_path(path, id, loser->hash);
	assert_true(blob_at(&blob, f, 0, path));
	assert_true(git_oid_equal(&blob, loser_blob));
	conflict_path(path, id, winner->hash);
	assert_false(blob_at(NULL, f, 0, path));
}

static void test_merge__overlapping_and_binary_edits_pick_one_winner(void **state)
{
	fixture *f = *state;
	unsigned char text_id[16], bin_id[16];
	unsigned char bin[300], bin_a[300], bin_b[300];
	sanctum_doc ta = SANCTUM_DOC_INIT, tb = SANCTUM_DOC_INIT;
	sanctum_doc ba = SANCTUM_DOC_INIT, bb = SANCTUM_DOC_INIT;
	git_oid ta_blob, tb_blob, ba_blob, bb_blob;
	sanctum_merge_stats into_a, into_b;
	int a_wins;

	randombytes_buf(bin, sizeof(bin));
	bin[0] = 0;
	memcpy(bin_a, bin, sizeof(bin));
	memcpy(bin_b, bin, sizeof(bin));
	bin_a[100] ^= 1;                   /* far apart: only the binary rule stops a merge */
	bin_b[290] ^= 1;
	add_text(f, 0, text_id);
	add_doc(f, 0, bin_id, "Scan", bin, sizeof(bin), "application/octet-stream");
	copy_store(f, 1);
	update_text(f, 0, text_id, "line one\nline two from a\nline three\nline four\nline five\n");
	update_text(f, 1, text_id, "line one\nline two from b\nline three\nline four\nline five\n");
	update_doc(f, 0, bin_id, bin_a, sizeof(bin_a), NULL, NULL, -1);
	update_doc(f, 1, bin_id, bin_b, sizeof(bin_b), NULL, NULL, -1);
	read_doc(f, 0, text_id, &ta);
	read_doc(f, 1, text_id, &tb);
	read_doc(f, 0, bin_id, &ba);
	read_doc(f, 1, bin_id, &bb);
	doc_blob(&ta_blob, f, 0, text_id);
	doc_blob(&tb_blob, f, 1, text_id);
	doc_blob(&ba_blob, f, 0, bin_id);
	doc_blob(&bb_blob, f, 1, bin_id);

	merge_both_ways(f, &into_a, &into_b);
	expect_stats(&into_a, 0, 0, 2);
	expect_stats(&into_b, 0, 0, 2);

	/* Same rev and both live: the larger hash wins. */
	a_wins = memcmp(ta.hash, tb.hash, 32) > 0;
	if (a_wins)
		assert_conflict(f, text_id, &ta, &ta_blob, &tb, &tb_blob);
	else
		assert_conflict(f, text_id, &tb, &tb_blob, &ta, &ta_blob);
	a_wins = memcmp(ba.hash, bb.hash, 32) > 0;
	if (a_wins)
		assert_conflict(f, bin_id, &ba, &ba_blob, &bb, &bb_blob);
	else
		assert_conflict(f, bin_id, &bb, &bb_blob, &ba, &ba_blob);
	sanctum_doc_dispose(&ta);
	sanctum_doc_dispose(&tb);
	sanctum_doc_dispose(&ba);
	sanctum_doc_dispose(&bb);
	assert_verifies(f, 0);
	assert_verifies(f, 1);
}

static void test_merge__an_edit_beats_a_deletion(void **state)
{
	fixture *f = *state;
	unsigned char id[16], id2[16];
	sanctum_doc edit = SANCTUM_DOC_INIT, tomb = SANCTUM_DOC_INIT, now = SANCTUM_DOC_INIT;
	git_oid edit_blob, tomb_blob;
	sanctum_merge_stats into_a, into_b;

	add_text(f, 0, id);
	add_text(f, 0, id2);
	copy_store(f, 1);
	update_text(f, 0, id, "kept\n");
	/* b deletes with a higher rev: the edit still wins. */
	update_text(f, 1, id, "about to go\n");
	assert_int_equal(sanctum_store_remove(f->store[1], id, f->founder), 0);
	/* The other document: b edits, a deletes. */
	update_text(f, 1, id2, "kept too\n");
	assert_int_equal(sanctum_store_remove(f->store[0], id2, f->founder), 0);
	read_doc(f, 0, id, &edit);
	read_doc(f, 1, id, &tomb);
	assert_true(tomb.deleted);
	assert_int_equal(tomb.rev, 3);
	doc_blob(&edit_blob, f, 0, id);
	doc_blob(&tomb_blob, f, 1, id);

	merge_both_ways(f, &into_a, &into_b);
	expect_stats(&into_a, 0, 0, 2);
	assert_conflict(f, id, &edit, &edit_blob, &tomb, &tomb_blob);
	read_doc(f, 0, id, &now);
	assert_false(now.deleted);
	sanctum_doc_dispose(&now);
	read_doc(f, 0, id2, &now);
	assert_false(now.deleted);
	assert_body(f, 0, id2, "kept too\n");
	assert_body(f, 1, id, "kept\n");
	sanctum_doc_dispose(&now);
	sanctum_doc_dispose(&edit);
	sanctum_doc_dispose(&tomb);
	assert_verifies(f, 0);
}

/* Encrypts the current revision of `id` again to the newest epoch, as a rekey does. */
static void reencrypt(fixture *f, int copy, const unsigned char id[16])
{
	const sanctum_age_identity *key = NULL;
	sanctum_age_recipient *recipient = NULL;
	const sanctum_age_recipient *recipients[1];
	const sanctum_epoch_info *epoch;
	sanctum_buf file = SANCTUM_BUF_INIT, plain = SANCTUM_BUF_INIT, sealed = SANCTUM_BUF_INIT;
	sanctum_snapshot s;
	git_tree_update update;
	git_oid blob, commit;
	char path[48];

	sanctum_store__doc_path(path, id);
	assert_int_equal(sanctum_store__snapshot_load(&s, f->store[copy]), 0);
	epoch = sanctum_roster__current_epoch(&s.roster);
	assert_int_equal(sanctum_store__epoch_key(&key, f->store[copy], &s.roster, s.tree,
	                                          epoch->number, f->founder), 0);
	assert_int_equal(sanctum_store__read_blob(&file, f->store[copy], s.tree, path,
	                                          SANCTUM_STORE_MAX_DOC_FILE), 0);
	assert_int_equal(sanctum_age_decrypt(&plain, &key, 1, NULL, file.ptr, file.size), 0);
	assert_int_equal(sanctum_age_recipient_from_x25519(&recipient, epoch->recipient), 0);
	recipients[0] = recipient;
	assert_int_equal(sanctum_age_encrypt(&sealed, recipients, 1, 0, plain.ptr, plain.size), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, f->store[copy]->repo, sealed.ptr,
	                                             sealed.size), 0);
	update.action = GIT_TREE_UPDATE_UPSERT;
	update.id = blob;
	update.filemode = GIT_FILEMODE_BLOB;
	update.path = path;
	assert_int_equal(sanctum_store__commit(&commit, f->store[copy], s.head, &update, 1,
	                                       f->founder, "sanctum: 1 rekeyed"), 0);
	sanctum_age_recipient_free(recipient);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&sealed);
	sanctum_store__snapshot_dispose(&s);
}

/* One revision encrypted twice (two rekeys): either file will do; the same on both. */
static void test_merge__the_same_revision_encrypted_twice(void **state)
{
	fixture *f = *state;
	unsigned char id[16];
	sanctum_merge_stats into_a, into_b;
	git_oid mine, theirs, now;

	add_text(f, 0, id);
	copy_store(f, 1);
	reencrypt(f, 0, id);
	reencrypt(f, 1, id);
	doc_blob(&mine, f, 0, id);
	doc_blob(&theirs, f, 1, id);
	assert_false(git_oid_equal(&mine, &theirs));
	merge_both_ways(f, &into_a, &into_b);
	expect_stats(&into_a, 0, 0, 0);
	doc_blob(&now, f, 0, id);
	assert_true(git_oid_equal(&now, git_oid_cmp(&mine, &theirs) > 0 ? &mine : &theirs));
	assert_false(blob_at(NULL, f, 0, "conflicts"));
	assert_body(f, 0, id, TEXT);
	/* Not verified here yet: verify's "nothing dropped" rule does not count the same
	 * revision in another file as kept (verify_merge.c, keeps_revision). */
}

/* ---- membership -------------------------------------------------------------------------- */

static void card_of(sanctum_card *card, sanctum_identity **id, const char *city)
{
	assert_int_equal(sanctum_identity_generate(id, city, "server"), 0);
	sanctum_identity_card(card, *id);
}

static void test_merge__concurrent_roster_changes_are_refused(void **state)
{
	fixture *f = *state;
	sanctum_identity *x = NULL, *y = NULL;
	sanctum_card cx, cy;
	sanctum_merge_stats stats;
	unsigned char id[16];
	git_oid before;

	add_text(f, 0, id);
	copy_store(f, 1);
	card_of(&cx, &x, "brightwater");
	card_of(&cy, &y, "cedarfield");
	assert_int_equal(sanctum_store_member_add(f->store[0], &cx, NULL, f->founder, NULL), 0);
	assert_int_equal(sanctum_store_member_add(f->store[1], &cy, NULL, f->founder, NULL), 0);
	update_text(f, 1, id, "an edit that waits\n");
	before = head_id(f, 0);

	assert_int_equal(merge(f, 0, 1, &stats), SANCTUM_ECONFLICT);
	assert_message_has("the membership changed on both sides");
	assert_message_has("main has roster entry 2 (add, by aldport/server)");
	assert_message_has("the other history has roster entry 2 (add, by aldport/server)");
	expect_stats(&stats, 0, 0, 0);
	{
		git_oid now = head_id(f, 0);

		assert_true(git_oid_equal(&now, &before));
	}
	assert_body(f, 0, id, TEXT);
	sanctum_identity_free(x);
	sanctum_identity_free(y);
}

/* One side's membership change is taken whole, and a merge revision goes to its epoch. */
static void test_merge__one_sided_removal_and_the_newest_epoch(void **state)
{
	fixture *f = *state;
	sanctum_identity *x = NULL;
	const sanctum_age_identity *key = NULL;
	sanctum_card cx;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_merge_stats stats;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	sanctum_snapshot s;
	unsigned char id[16];
	git_oid blob;
	git_blob *file = NULL;

	card_of(&cx, &x, "brightwater");
	assert_int_equal(sanctum_store_member_add(f->store[0], &cx, NULL, f->founder, NULL), 0);
	add_text(f, 0, id);
	copy_store(f, 1);
	sanctum_key_fingerprint(fingerprint, cx.signing_key);
	assert_int_equal(sanctum_store_member_remove(f->store[1], fingerprint, f->founder, NULL),
	                 0);
	update_text(f, 1, id, "line one\nline two\nline three\nline four\nline 5\n");
	update_text(f, 0, id, "line 1\nline two\nline three\nline four\nline five\n");

	assert_int_equal(merge(f, 0, 1, &stats), 0);
	assert_int_equal(stats.texts_merged, 1);
	assert_true(stats.taken >= 2);       /* the roster entry and the new epoch file */
	assert_body(f, 0, id, "line 1\nline two\nline three\nline four\nline 5\n");

	/* The merge revision opens with the key of epoch 2, the one b's removal started. */
	assert_int_equal(sanctum_store__snapshot_load(&s, f->store[0]), 0);
	assert_int_equal(s.roster.nepochs, 2);
	assert_int_equal(sanctum_store__epoch_key(&key, f->store[0], &s.roster, s.tree, 2,
	                                          f->founder), 0);
	doc_blob(&blob, f, 0, id);
	assert_int_equal(git_blob_lookup(&file, f->store[0]->repo, &blob), 0);
	assert_int_equal(sanctum_age_decrypt(&plain, &key, 1, NULL, git_blob_rawcontent(file),
	                                     (size_t)git_blob_rawsize(file)), 0);
	git_blob_free(file);
	sanctum_buf_dispose(&plain);
	sanctum_store__snapshot_dispose(&s);
	sanctum_identity_free(x);
	assert_verifies(f, 0);
}

/* Commits a file with any content, bypassing the rules (proposals decide nothing). */
static void commit_raw(fixture *f, int copy, const char *path, const char *data)
{
	git_commit *parent = head(f, copy);
	git_tree_update update;
	git_oid blob, commit;

	assert_int_equal(git_blob_create_from_buffer(&blob, f->store[copy]->repo, data,
	                                             strlen(data)), 0);
	update.action = GIT_TREE_UPDATE_UPSERT;
	update.id = blob;
	update.filemode = GIT_FILEMODE_BLOB;
	update.path = path;
	assert_int_equal(sanctum_store__commit(&commit, f->store[copy], parent, &update, 1,
	                                       f->founder, "sanctum: proposal"), 0);
	git_commit_free(parent);
}

static void test_merge__a_proposal_changed_on_both_sides_is_refused(void **state)
{
	fixture *f = *state;
	sanctum_merge_stats stats;
	git_oid before;

	commit_raw(f, 0, "proposals/0123456789abcdef/entry", "proposed\n");
	copy_store(f, 1);
	commit_raw(f, 0, "proposals/0123456789abcdef/entry", "approved here\n");
	commit_raw(f, 1, "proposals/0123456789abcdef/entry", "approved there\n");
	before = head_id(f, 0);
	assert_int_equal(merge(f, 0, 1, &stats), SANCTUM_ECONFLICT);
	assert_message_has("the membership proposal 'proposals/0123456789abcdef/entry' changed on "
	                   "both sides");
	{
		git_oid now = head_id(f, 0);

		assert_true(git_oid_equal(&now, &before));
	}
}

/* Edits far apart in a text file are still refused: file contents are never merged. */
static void test_merge__file_contents_are_never_merged_by_git(void **state)
{
	fixture *f = *state;
	sanctum_merge_stats stats;

	commit_raw(f, 0, "proposals/0123456789abcdef/entry", "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
	copy_store(f, 1);
	commit_raw(f, 0, "proposals/0123456789abcdef/entry", "one\n2\n3\n4\n5\n6\n7\n8\n9\n");
	commit_raw(f, 1, "proposals/0123456789abcdef/entry", "1\n2\n3\n4\n5\n6\n7\n8\nnine\n");
	assert_int_equal(merge(f, 0, 1, &stats), SANCTUM_ECONFLICT);
	assert_message_has("changed on both sides");
}

/* Two different files under one conflict name: the larger blob id, on both copies. */
static void test_merge__one_conflict_name_two_files(void **state)
{
	fixture *f = *state;
	const char *path = "conflicts/01/0123456789abcdef0123456789abcdef/"
	                   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff.age";
	sanctum_merge_stats into_a, into_b;
	git_oid mine, theirs, now;

	copy_store(f, 1);
	commit_raw(f, 0, path, "one encryption\n");
	commit_raw(f, 1, path, "another encryption\n");
	assert_true(blob_at(&mine, f, 0, path));
	assert_true(blob_at(&theirs, f, 1, path));
	merge_both_ways(f, &into_a, &into_b);
	expect_stats(&into_a, 0, 0, 0);
	assert_true(blob_at(&now, f, 0, path));
	assert_true(git_oid_equal(&now, git_oid_cmp(&mine, &theirs) > 0 ? &mine : &theirs));
}

/* ---- conflicts -------------------------------------------------------------------------- */

/* Makes a conflict on `id` in copy a: overlapping edits in a and b, merged into a. */
static void make_conflict(fixture *f, unsigned char id[16], int other, const char *mine,
                          const char *theirs)
{
	sanctum_merge_stats stats;

	update_text(f, 0, id, mine);
	update_text(f, other, id, theirs);
	assert_int_equal(merge(f, 0, other, &stats), 0);
	assert_int_equal(stats.conflicts, 1);
}

static void test_merge__conflicts_are_listed(void **state)
{
	fixture *f = *state;
	unsigned char id[16];
	sanctum_conflict_list list = { NULL, 0 };
	sanctum_doc current = SANCTUM_DOC_INIT, b = SANCTUM_DOC_INIT;
	const sanctum_doc *loser = &b;     /* a tombstone loses against an edit */

	add_text(f, 0, id);
	copy_store(f, 1);
	assert_int_equal(sanctum_store_conflicts(&list, f->store[0], f->founder), 0);
	assert_int_equal(list.count, 0);
	update_text(f, 0, id, "from a\n");
	update_doc(f, 1, id, "", 0, "Renamed in b", NULL, -1);
	assert_int_equal(sanctum_store_remove(f->store[1], id, f->founder), 0);
	read_doc(f, 1, id, &b);
	{
		sanctum_merge_stats stats;

		assert_int_equal(merge(f, 0, 1, &stats), 0);
	}
	read_doc(f, 0, id, &current);
	assert_int_equal(sanctum_store_conflicts(&list, f->store[0], f->founder), 0);
	assert_int_equal(list.count, 1);
	assert_memory_equal(list.items[0].id, id, 16);
	assert_string_equal(list.items[0].title, current.title);
	assert_int_equal(list.items[0].current_rev, current.rev);
	assert_memory_equal(list.items[0].hash, loser->hash, 32);
	assert_int_equal(list.items[0].rev, 3);
	assert_string_equal(list.items[0].author, loser->author);
	assert_int_equal(list.items[0].time, loser->time);
	assert_true(list.items[0].deleted);
	assert_int_equal(list.items[0].size, 0);
	sanctum_conflict_list_dispose(&list);
	{
		/* The list of documents shows the current revision only, once. */
		sanctum_doc_list docs = { NULL, 0 };

		assert_int_equal(sanctum_store_list(&docs, f->store[0], f->founder), 0);
		assert_int_equal(docs.count, 1);
		assert_int_equal(docs.items[0].rev, current.rev);
		assert_false(docs.items[0].deleted);
		sanctum_doc_list_dispose(&docs);
	}
	sanctum_doc_dispose(&current);
	sanctum_doc_dispose(&b);
}

static void assert_no_conflicts(fixture *f, int copy)
{
	sanctum_conflict_list list = { NULL, 0 };

	assert_false(blob_at(NULL, f, copy, "conflicts"));
	assert_int_equal(sanctum_store_conflicts(&list, f->store[copy], f->founder), 0);
	assert_int_equal(list.count, 0);
	sanctum_conflict_list_dispose(&list);
}

static void resolve_ok(fixture *f, const unsigned char id[16], sanctum_resolve_kind kind,
                       const char *hash, const char *body)
{
	sanctum_resolution how = { kind, hash, (const unsigned char *)body,
	                           body ? strlen(body) : 0 };

	assert_int_equal(sanctum_store_conflict_resolve(f->store[0], id, &how, f->founder), 0);
}

static void test_merge__resolve_take_current_and_new_body(void **state)
{
	fixture *f = *state;
	unsigned char take_id[16], keep_id[16], body_id[16], calm[16];
	sanctum_conflict_list list = { NULL, 0 };
	sanctum_doc before = SANCTUM_DOC_INIT, after = SANCTUM_DOC_INIT;
	char prefix[9], hex[65];
	const sanctum_conflict *c = NULL;
	sanctum_resolution how = { SANCTUM_RESOLVE_CURRENT, NULL, NULL, 0 };
	git_oid main_before;

	add_text(f, 0, take_id);
	add_text(f, 0, keep_id);
	add_text(f, 0, body_id);
	add_text(f, 0, calm);
	copy_store(f, 1);
	update_text(f, 0, take_id, "a1\n");
	update_text(f, 0, keep_id, "a2\n");
	update_text(f, 0, body_id, "a3\n");
	update_text(f, 1, take_id, "b1\n");
	update_text(f, 1, keep_id, "b2\n");
	update_text(f, 1, body_id, "b3\n");
	{
		sanctum_merge_stats stats;

		assert_int_equal(merge(f, 0, 1, &stats), 0);
		expect_stats(&stats, 0, 0, 3);
	}

	/* Refusals first: main must not move. */
	main_before = head_id(f, 0);
	assert_int_equal(sanctum_store_conflict_resolve(f->store[0], calm, &how, f->founder),
	                 SANCTUM_ENOTFOUND);
	assert_message_has("has no conflicts");
	how.kind = SANCTUM_RESOLVE_TAKE;
	how.hash = "zzzz";
	assert_int_equal(sanctum_store_conflict_resolve(f->store[0], take_id, &how, f->founder),
	                 SANCTUM_EINVALID);
	how.hash = "abc";
	assert_int_equal(sanctum_store_conflict_resolve(f->store[0], take_id, &how, f->founder),
	                 SANCTUM_EINVALID);
	{
		git_oid now = head_id(f, 0);

		assert_true(git_oid_equal(&now, &main_before));
	}

	/* --take: the conflict revision's content, as the next revision of the current one. */
	assert_int_equal(sanctum_store_conflicts(&list, f->store[0], f->founder), 0);
	assert_int_equal(list.count, 3);
	for (size_t i = 0; i < list.count; i++)
		if (memcmp(list.items[i].id, take_id, 16) == 0)
			c = &list.items[i];
	assert_non_null(c);
	sodium_bin2hex(hex, sizeof(hex), c->hash, 32);
	snprintf(prefix, sizeof(prefix), "%c%.7s", hex[0] == '0' ? '1' : '0', hex + 1);
	how.hash = prefix;                              /* the one file differs in digit 1 */
	assert_int_equal(sanctum_store_conflict_resolve(f->store[0], take_id, &how, f->founder),
	                 SANCTUM_ENOTFOUND);
	assert_message_has("no conflict revision of this document starts with");
	snprintf(prefix, sizeof(prefix), "%.8s", hex);
	prefix[0] = (char)(prefix[0] >= 'a' ? prefix[0] - 32 : prefix[0]); /* any case */
	read_doc(f, 0, take_id, &before);
	{
		const char *loser_body = memcmp(before.body.ptr, "a1\n", 3) == 0 ? "b1\n" : "a1\n";

		resolve_ok(f, take_id, SANCTUM_RESOLVE_TAKE, prefix, NULL);
		assert_body(f, 0, take_id, loser_body);
	}
	read_doc(f, 0, take_id, &after);
	assert_int_equal(after.rev, before.rev + 1);
	assert_memory_equal(after.parent, before.hash, 32);
	assert_false(after.has_merged);
	sanctum_doc_dispose(&before);
	sanctum_doc_dispose(&after);
	sanctum_conflict_list_dispose(&list);

	/* current: the same content, a new revision, the conflict gone. */
	read_doc(f, 0, keep_id, &before);
	resolve_ok(f, keep_id, SANCTUM_RESOLVE_CURRENT, NULL, NULL);
	read_doc(f, 0, keep_id, &after);
	assert_int_equal(after.rev, before.rev + 1);
	assert_int_equal(after.body.size, before.body.size);
	assert_memory_equal(after.body.ptr, before.body.ptr, before.body.size);
	sanctum_doc_dispose(&before);
	sanctum_doc_dispose(&after);

	/* A new body. */
	resolve_ok(f, body_id, SANCTUM_RESOLVE_BODY, NULL, "written by hand\n");
	assert_body(f, 0, body_id, "written by hand\n");
	{
		git_commit *h = head(f, 0);

		assert_non_null(strstr(git_commit_message(h), "sanctum: 1 resolved"));
		git_commit_free(h);
	}
	assert_no_conflicts(f, 0);
	assert_verifies(f, 0);
}

static void test_merge__resolve_clears_every_conflict_of_a_document(void **state)
{
	fixture *f = *state;
	unsigned char id[16];
	sanctum_conflict_list list = { NULL, 0 };

	add_text(f, 0, id);
	copy_store(f, 1);
	copy_store(f, 2);
	make_conflict(f, id, 1, "a\n", "b\n");
	update_text(f, 2, id, "c\n");
	update_text(f, 2, id, "c again\n");         /* rev 3: c's revision wins this time */
	{
		sanctum_merge_stats stats;

		assert_int_equal(merge(f, 0, 2, &stats), 0);
		expect_stats(&stats, 0, 0, 1);
	}
	assert_body(f, 0, id, "c again\n");
	assert_int_equal(sanctum_store_conflicts(&list, f->store[0], f->founder), 0);
	assert_int_equal(list.count, 2);
	sanctum_conflict_list_dispose(&list);
	resolve_ok(f, id, SANCTUM_RESOLVE_CURRENT, NULL, NULL);
	assert_no_conflicts(f, 0);
	assert_verifies(f, 0);
}

/* Copy `to` starts again as a copy of copy a (as if it had fast-forwarded to it). */
static void recopy(fixture *f, int to)
{
	sanctum_store_free(f->store[to]);
	f->store[to] = NULL;
	remove_tree(f->dir[to]);
	copy_store(f, to);
}

/* Conflict files merge like any path: one a side resolved is gone, a new one is taken. */
static void test_merge__conflict_files_merge_as_paths(void **state)
{
	fixture *f = *state;
	unsigned char id[16], other[16], later[16], later2[16];
	sanctum_conflict_list list = { NULL, 0 };
	sanctum_resolution keep = { SANCTUM_RESOLVE_CURRENT, NULL, NULL, 0 };
	sanctum_merge_stats stats;

	add_text(f, 0, id);
	add_text(f, 0, other);
	copy_store(f, 1);
	make_conflict(f, id, 1, "a\n", "b\n");
	recopy(f, 1);                               /* b holds the conflict too */

	/* b resolves it while a adds a document: merged into a, the conflict is gone. */
	assert_int_equal(sanctum_store_conflict_resolve(f->store[1], id, &keep, f->founder), 0);
	add_text(f, 0, later);
	assert_int_equal(merge(f, 0, 1, &stats), 0);
	expect_stats(&stats, 2, 0, 0);              /* the new revision, the removed file */
	assert_no_conflicts(f, 0);
	assert_verifies(f, 0);

	/* a records a new conflict (with c) while b adds a document: b takes it as it is. */
	recopy(f, 1);
	copy_store(f, 2);
	make_conflict(f, other, 2, "a again\n", "c again\n");
	add_text(f, 1, later2);
	assert_int_equal(merge(f, 1, 0, &stats), 0);
	expect_stats(&stats, 2, 0, 0);              /* the winner's file and the conflict file */
	assert_int_equal(sanctum_store_conflicts(&list, f->store[1], f->founder), 0);
	assert_int_equal(list.count, 1);
	assert_memory_equal(list.items[0].id, other, 16);
	sanctum_conflict_list_dispose(&list);
	assert_body(f, 1, later2, TEXT);
	assert_verifies(f, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(name) cmocka_unit_test_setup_teardown(test_merge__##name, setup, teardown)
		TEST(different_documents_merge_at_tree_level),
		TEST(refuses_nothing_to_merge_and_strangers),
		TEST(text_edits_merge_into_one_revision),
		TEST(both_change_title_the_winner_keeps_its),
		TEST(overlapping_and_binary_edits_pick_one_winner),
		TEST(an_edit_beats_a_deletion),
		TEST(the_same_revision_encrypted_twice),
		TEST(concurrent_roster_changes_are_refused),
		TEST(one_sided_removal_and_the_newest_epoch),
		TEST(a_proposal_changed_on_both_sides_is_refused),
		TEST(file_contents_are_never_merged_by_git),
		TEST(one_conflict_name_two_files),
		TEST(conflicts_are_listed),
		TEST(resolve_take_current_and_new_body),
		TEST(resolve_clears_every_conflict_of_a_document),
		TEST(conflict_files_merge_as_paths),
#undef TEST
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

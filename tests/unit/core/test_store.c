/*
 * Unit tests for the store (core/src/store*.c, index.c): creating and opening a store,
 * adding, updating, removing, reading and resolving documents, the list and its local
 * index, the log of main and the revisions of one document; and that nothing a member
 * wrote into a document reaches a git object in the clear.
 *
 * Every test gets a fresh store in a temporary folder, founded by a freshly generated
 * identity (setup/teardown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "sanctum/errors.h"
#include "sanctum/history.h"
#include "sanctum/store.h"

#include "index.h"
#include "store_internal.h"

#include "fixture.h"

#define GROUP "river-cities"

/* ---- fixture: a store in a temporary folder ----------------------------------------- */

typedef struct {
	char dir[PATH_MAX];               /* resolved, holds .sanctum */
	sanctum_identity *founder;
	sanctum_store *store;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	sanctum_card card;

	if (!f || sanctum_init() < 0)
		return -1;
	if (make_temp_dir(f->dir, sizeof(f->dir), "sanctum-store") < 0)
		return -1;
	if (sanctum_identity_generate(&f->founder, "aldport", "server") < 0 ||
	    sanctum_store_init(&f->store, f->dir, GROUP, f->founder) < 0)
		return -1;
	sanctum_identity_card(&card, f->founder);
	sanctum_key_fingerprint(f->fingerprint, card.signing_key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	sanctum_store_free(f->store);
	sanctum_identity_free(f->founder);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

static void assert_message_has(const char *text)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, text))
		fail_msg("message '%s' does not contain '%s'", message, text);
}

static sanctum_new_doc new_doc(const char *title, const char *body, const char *const *tags,
                               size_t ntags)
{
	sanctum_new_doc d = { (const unsigned char *)body, strlen(body), title, tags, ntags,
	                      "text/plain" };
	return d;
}

static void add_one(fixture *f, unsigned char id[SANCTUM_DOC_ID_SIZE], const char *title,
                    const char *body)
{
	static const char *const tags[] = { "legal-aid" };
	sanctum_new_doc d = new_doc(title, body, tags, 1);
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];

	assert_int_equal(sanctum_store_add(f->store, ids, &d, 1, f->founder), 0);
	memcpy(id, ids[0], SANCTUM_DOC_ID_SIZE);
}

static void update_one(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE], const char *title,
                       const char *body)
{
	sanctum_new_doc d = new_doc(title, body, NULL, 0);

	assert_int_equal(sanctum_store_update(f->store, id, &d, f->founder), 0);
}

static git_commit *head_commit(fixture *f)
{
	git_commit *head = NULL;

	assert_int_equal(sanctum_store__head(&head, f->store), 0);
	return head;
}

static size_t count_docs(fixture *f)
{
	git_commit *head = head_commit(f);
	git_tree *tree = NULL, *docs = NULL, *bucket = NULL;
	git_tree_entry *entry = NULL;
	size_t n = 0;

	assert_int_equal(git_commit_tree(&tree, head), 0);
	if (git_tree_entry_bypath(&entry, tree, "docs") == 0) {
		assert_int_equal(git_tree_lookup(&docs, f->store->repo, git_tree_entry_id(entry)),
		                 0);
		for (size_t i = 0; i < git_tree_entrycount(docs); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(docs, i);

			assert_int_equal(
				git_tree_lookup(&bucket, f->store->repo, git_tree_entry_id(e)), 0);
			n += git_tree_entrycount(bucket);
			git_tree_free(bucket);
		}
	}
	git_tree_entry_free(entry);
	git_tree_free(docs);
	git_tree_free(tree);
	git_commit_free(head);
	return n;
}

/* Commits a file with any content at `path`, bypassing every rule (as a hostile host could). */
static void commit_raw(fixture *f, const char *path, const void *data, size_t len)
{
	git_commit *head = head_commit(f);
	git_tree_update update;
	git_oid blob, commit;

	assert_int_equal(git_blob_create_from_buffer(&blob, f->store->repo, data, len), 0);
	update.action = GIT_TREE_UPDATE_UPSERT;
	update.id = blob;
	update.filemode = GIT_FILEMODE_BLOB;
	update.path = path;
	assert_int_equal(sanctum_store__commit(&commit, f->store, head, &update, 1, f->founder,
	                                       "sanctum: 1 added"),
	                 0);
	git_commit_free(head);
}

static const sanctum_doc_info *find_info(const sanctum_doc_list *list,
                                         const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	for (size_t i = 0; i < list->count; i++)
		if (memcmp(list->items[i].id, id, SANCTUM_DOC_ID_SIZE) == 0)
			return &list->items[i];
	fail_msg("a document is missing from the list");
	return NULL;
}

static void assert_listed_title(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                const char *title)
{
	sanctum_doc_list list;

	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	assert_string_equal(find_info(&list, id)->title, title);
	sanctum_doc_list_dispose(&list);
}

static void read_file(sanctum_buf *out, const char *path)
{
	unsigned char chunk[4096];
	FILE *file = fopen(path, "rb");
	size_t n;

	assert_non_null(file);
	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0)
		assert_int_equal(sanctum_buf_put(out, chunk, n), 0);
	fclose(file);
}

static int contains(const void *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	const unsigned char *h = hay;

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(h + i, needle, n) == 0)
			return 1;
	return 0;
}

/* ---- creating and opening ---------------------------------------------------------- */

static void test_store__init_makes_main(void **state)
{
	static const char *const paths[] = { "group", "roster/000001", "epochs/000001.age" };
	fixture *f = *state;
	git_commit *head = head_commit(f);
	git_buf signature = GIT_BUF_INIT, signed_data = GIT_BUF_INIT;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;

	assert_int_equal(git_commit_parentcount(head), 0);
	assert_int_equal(sanctum_store__commit_seq(head), 1);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	assert_int_equal(git_tree_entrycount(tree), 3);      /* group, roster, epochs */
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(git_tree_entry_bypath(&entry, tree, paths[i]), 0);
		assert_int_equal(git_tree_entry_type(entry), GIT_OBJECT_BLOB);
		git_tree_entry_free(entry);
	}
	assert_int_equal(git_commit_extract_signature(&signature, &signed_data, f->store->repo,
	                                              (git_oid *)git_commit_id(head), "gpgsig"),
	                 0);
	assert_true(contains(signature.ptr, signature.size, "-----BEGIN SSH SIGNATURE-----"));
	assert_string_equal(sanctum_store_group_name(f->store), GROUP);
	assert_int_equal(strlen(sanctum_store_group_id(f->store)), 32);
	assert_string_equal(sanctum_store_path(f->store), f->dir);
	assert_int_equal(count_docs(f), 0);
	git_buf_dispose(&signature);
	git_buf_dispose(&signed_data);
	git_tree_free(tree);
	git_commit_free(head);
}

static void test_store__init_refuses_an_existing_store(void **state)
{
	fixture *f = *state;
	sanctum_store *again = (sanctum_store *)&again;

	assert_int_equal(sanctum_store_init(&again, f->dir, "other", f->founder), SANCTUM_EEXISTS);
	assert_null(again);
	assert_message_has("already holds a sanctum store");
	assert_int_equal(sanctum_store_init(&again, f->dir, "bad\nname", f->founder),
	                 SANCTUM_EINVALID);
}

static void test_store__open_discovers_from_a_subfolder(void **state)
{
	fixture *f = *state;
	sanctum_store *opened = NULL;
	char sub[PATH_MAX + 16];

	snprintf(sub, sizeof(sub), "%s/a", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/a/b", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(sanctum_store_open(&opened, sub, 0), SANCTUM_ENOTFOUND);
	assert_null(opened);
	assert_int_equal(sanctum_store_open(&opened, sub, 1), 0);
	assert_string_equal(sanctum_store_path(opened), f->dir);
	assert_string_equal(sanctum_store_group_id(opened), sanctum_store_group_id(f->store));
	assert_string_equal(sanctum_store_group_name(opened), GROUP);
	sanctum_store_free(opened);
	assert_int_equal(sanctum_store_open(&opened, f->dir, 0), 0);
	sanctum_store_free(opened);
}

/* ---- documents ----------------------------------------------------------------------- */

static void test_store__add_several_in_one_commit(void **state)
{
	static const char *const tags_a[] = { "legal-aid", "hotline" };
	static const char *const tags_b[] = { "shelter" };
	fixture *f = *state;
	sanctum_new_doc docs[3];
	unsigned char ids[3][SANCTUM_DOC_ID_SIZE];
	git_commit *before = head_commit(f), *after;

	docs[0] = new_doc("Rapid-response hotline", "call 555-0100 day and night", tags_a, 2);
	docs[1] = new_doc("Shelter guide", "beds at the river shelter", tags_b, 1);
	docs[2] = new_doc("Empty", "", NULL, 0);
	assert_int_equal(sanctum_store_add(f->store, ids, docs, 3, f->founder), 0);
	after = head_commit(f);
	assert_int_equal(git_commit_parentcount(after), 1);
	assert_true(git_oid_equal(git_commit_parent_id(after, 0), git_commit_id(before)));
	assert_int_equal(sanctum_store__commit_seq(after), 2);
	assert_string_equal(git_commit_summary(after), "sanctum: 3 added");
	assert_int_equal(count_docs(f), 3);
	for (size_t i = 0; i < 3; i++) {
		sanctum_doc doc = SANCTUM_DOC_INIT;

		assert_int_equal(sanctum_store_read(&doc, f->store, ids[i], f->founder), 0);
		assert_memory_equal(doc.id, ids[i], SANCTUM_DOC_ID_SIZE);
		assert_string_equal(doc.title, docs[i].title);
		assert_string_equal(doc.type, "text/plain");
		assert_int_equal(doc.ntags, docs[i].ntags);
		for (size_t t = 0; t < doc.ntags; t++)
			assert_string_equal(doc.tags[t], docs[i].tags[t]);
		assert_int_equal(doc.body.size, docs[i].len);
		if (docs[i].len)
			assert_memory_equal(doc.body.ptr, docs[i].body, docs[i].len);
		assert_int_equal(doc.rev, 1);
		assert_int_equal(doc.has_parent, 0);
		assert_int_equal(doc.deleted, 0);
		assert_string_equal(doc.author, f->fingerprint);
		sanctum_doc_dispose(&doc);
	}
	assert_int_equal(sanctum_store_add(f->store, ids, docs, 0, f->founder), SANCTUM_EINVALID);
	git_commit_free(before);
	git_commit_free(after);
}

static void test_store__update_and_remove(void **state)
{
	fixture *f = *state;
	sanctum_doc one = SANCTUM_DOC_INIT, two = SANCTUM_DOC_INIT, three = SANCTUM_DOC_INIT;
	unsigned char id[SANCTUM_DOC_ID_SIZE], unknown[SANCTUM_DOC_ID_SIZE];
	sanctum_new_doc change = new_doc("Hotline (new)", "call 555-0199", NULL, 0);

	add_one(f, id, "Hotline", "call 555-0100");
	assert_int_equal(sanctum_store_read(&one, f->store, id, f->founder), 0);
	assert_int_equal(sanctum_store_update(f->store, id, &change, f->founder), 0);
	assert_int_equal(sanctum_store_read(&two, f->store, id, f->founder), 0);
	assert_int_equal(two.rev, 2);
	assert_int_equal(two.has_parent, 1);
	assert_memory_equal(two.parent, one.hash, SANCTUM_DOC_HASH_SIZE);
	assert_string_equal(two.title, "Hotline (new)");
	assert_int_equal(two.ntags, 1);                        /* kept */
	assert_string_equal(two.tags[0], "legal-aid");
	assert_memory_equal(two.body.ptr, "call 555-0199", 13);

	assert_int_equal(sanctum_store_remove(f->store, id, f->founder), 0);
	assert_int_equal(sanctum_store_read(&three, f->store, id, f->founder), 0);
	assert_int_equal(three.deleted, 1);
	assert_int_equal(three.rev, 3);
	assert_memory_equal(three.parent, two.hash, SANCTUM_DOC_HASH_SIZE);
	assert_int_equal(three.body.size, 0);
	assert_int_equal(count_docs(f), 1);                    /* a tombstone, not a removal */

	assert_int_equal(sanctum_store_update(f->store, id, &change, f->founder), SANCTUM_EINVALID);
	assert_message_has("deleted");
	assert_int_equal(sanctum_store_remove(f->store, id, f->founder), SANCTUM_EINVALID);
	sanctum_doc_new_id(unknown);
	assert_int_equal(sanctum_store_update(f->store, unknown, &change, f->founder),
	                 SANCTUM_ENOTFOUND);
	sanctum_doc_dispose(&one);
	sanctum_doc_dispose(&two);
	sanctum_doc_dispose(&three);
}

static void test_store__resolve_prefixes(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE], got[SANCTUM_DOC_ID_SIZE];
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1], prefix[2 * SANCTUM_DOC_ID_SIZE + 1];

	add_one(f, id, "Hotline", "call");
	sanctum_doc_id_to_hex(hex, id);
	snprintf(prefix, sizeof(prefix), "%.8s", hex);
	assert_int_equal(sanctum_store_resolve(got, f->store, prefix), 0);
	assert_memory_equal(got, id, SANCTUM_DOC_ID_SIZE);
	assert_int_equal(sanctum_store_resolve(got, f->store, hex), 0);
	assert_memory_equal(got, id, SANCTUM_DOC_ID_SIZE);
	for (size_t i = 0; i < 8; i++)
		if (prefix[i] >= 'a')
			prefix[i] = (char)(prefix[i] - 'a' + 'A');
	assert_int_equal(sanctum_store_resolve(got, f->store, prefix), 0);   /* case-blind */

	/* Unknown: the same bucket, another last digit. */
	snprintf(prefix, sizeof(prefix), "%.3s%c", hex, hex[3] == '0' ? '1' : '0');
	assert_int_equal(sanctum_store_resolve(got, f->store, prefix), SANCTUM_ENOTFOUND);
	assert_int_equal(sanctum_store_resolve(got, f->store, "abc"), SANCTUM_EINVALID);
	assert_int_equal(sanctum_store_resolve(got, f->store, "zzzz"), SANCTUM_EINVALID);

	/* Two ids sharing "abcd" (file content does not matter to resolve). */
	commit_raw(f, "docs/ab/abcd0000000000000000000000000000.age", "x", 1);
	commit_raw(f, "docs/ab/abcd1111111111111111111111111111.age", "y", 1);
	assert_int_equal(sanctum_store_resolve(got, f->store, "abcd"), SANCTUM_EINVALID);
	assert_message_has("matches 2 documents");
	assert_int_equal(sanctum_store_resolve(got, f->store, "abcd1"), 0);
	assert_int_equal(got[2], 0x11);
}

/* ---- the list and its index ------------------------------------------------------------ */

static void test_store__list_empty(void **state)
{
	fixture *f = *state;
	sanctum_doc_list list;

	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	assert_int_equal(list.count, 0);
	sanctum_doc_list_dispose(&list);
	sanctum_doc_list_dispose(NULL);
}

static void test_store__list_after_add_update_remove(void **state)
{
	static const char *const tags[] = { "court", "calendar-tag" };
	fixture *f = *state;
	sanctum_new_doc docs[3];
	unsigned char ids[3][SANCTUM_DOC_ID_SIZE];
	sanctum_buf file = SANCTUM_BUF_INIT;
	sanctum_doc_list list;
	struct stat st;
	char *path;

	docs[0] = new_doc("Shelter guide", "beds", NULL, 0);
	docs[1] = new_doc("Court calendar", "mondays", tags, 2);
	docs[2] = new_doc("Hotline", "555", NULL, 0);
	assert_int_equal(sanctum_store_add(f->store, ids, docs, 3, f->founder), 0);
	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	assert_int_equal(list.count, 3);
	sanctum_doc_list_dispose(&list);

	update_one(f, ids[0], "Shelter guide", "beds and meals");
	assert_int_equal(sanctum_store_remove(f->store, ids[2], f->founder), 0);
	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	assert_int_equal(list.count, 3);
	/* By title: Court calendar, Hotline (deleted), Shelter guide. */
	assert_string_equal(list.items[0].title, "Court calendar");
	assert_memory_equal(list.items[0].id, ids[1], SANCTUM_DOC_ID_SIZE);
	assert_int_equal(list.items[0].ntags, 2);
	assert_string_equal(list.items[0].tags[1], "calendar-tag");
	assert_string_equal(list.items[0].type, "text/plain");
	assert_int_equal(list.items[0].size, 7);
	assert_int_equal(list.items[0].rev, 1);
	assert_int_equal(list.items[0].deleted, 0);
	assert_string_equal(list.items[0].author, f->fingerprint);
	assert_string_equal(list.items[1].title, "Hotline");
	assert_int_equal(list.items[1].deleted, 1);
	assert_int_equal(list.items[1].rev, 2);
	assert_int_equal(list.items[1].size, 0);
	assert_string_equal(list.items[2].title, "Shelter guide");
	assert_int_equal(list.items[2].rev, 2);
	assert_int_equal(list.items[2].size, 14);
	assert_true(list.items[2].time > 0);
	sanctum_doc_list_dispose(&list);
	assert_null(list.items);

	/* The index exists, is private, and holds no title or tag in the clear. */
	path = sanctum_index__path(f->store, f->founder);
	assert_non_null(path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	read_file(&file, path);
	assert_true(file.size > 0);
	assert_true(contains(file.ptr, file.size, "age-encryption.org/v1"));
	assert_false(contains(file.ptr, file.size, "Shelter"));
	assert_false(contains(file.ptr, file.size, "Court calendar"));
	assert_false(contains(file.ptr, file.size, "calendar-tag"));
	assert_false(contains(file.ptr, file.size, "Hotline"));
	sanctum_buf_dispose(&file);
	free(path);
}

/* Rewrites the founder's index with the title of `id` replaced, keeping its head. */
static void forge_title(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE], const char *title,
                        const git_oid *head, const char *group_id)
{
	char *path = sanctum_index__path(f->store, f->founder);
	sanctum_index index;
	long at;

	assert_non_null(path);
	assert_int_equal(sanctum_index__read(&index, path, f->founder), 0);
	at = sanctum_index__find(&index, id);
	assert_true(at >= 0);
	free(index.entries[at].info.title);
	index.entries[at].info.title = strdup(title);
	if (head)
		git_oid_cpy(&index.head, head);
	if (group_id)
		snprintf(index.group_id, sizeof(index.group_id), "%s", group_id);
	assert_int_equal(sanctum_index__write(&index, path, f->founder), 0);
	sanctum_index__dispose(&index);
	free(path);
}

static void test_store__list_index_is_incremental(void **state)
{
	fixture *f = *state;
	unsigned char a[SANCTUM_DOC_ID_SIZE], b[SANCTUM_DOC_ID_SIZE], c[SANCTUM_DOC_ID_SIZE];
	sanctum_doc_list list;

	add_one(f, a, "Alpha", "a");
	add_one(f, b, "Bravo", "b");
	assert_listed_title(f, a, "Alpha");

	/* Up to date: the list is served from the index alone (its forged title shows). */
	forge_title(f, a, "Alpha (from the index)", NULL, NULL);
	assert_listed_title(f, a, "Alpha (from the index)");

	/* A new commit: only the changed files are read, the rest comes from the index. */
	add_one(f, c, "Charlie", "c");
	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	assert_int_equal(list.count, 3);
	assert_string_equal(find_info(&list, a)->title, "Alpha (from the index)");
	assert_string_equal(find_info(&list, b)->title, "Bravo");
	assert_string_equal(find_info(&list, c)->title, "Charlie");
	sanctum_doc_list_dispose(&list);
	update_one(f, b, "Bravo 2", "bb");
	assert_listed_title(f, b, "Bravo 2");
	assert_listed_title(f, a, "Alpha (from the index)");

	/* Changing the forged document itself re-reads it. */
	update_one(f, a, "Alpha 2", "aa");
	assert_listed_title(f, a, "Alpha 2");
	assert_int_equal(sanctum_store_remove(f->store, c, f->founder), 0);
	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	assert_int_equal(find_info(&list, c)->deleted, 1);
	sanctum_doc_list_dispose(&list);
}

static void test_store__list_rebuilds_a_bad_index(void **state)
{
	fixture *f = *state;
	unsigned char a[SANCTUM_DOC_ID_SIZE], b[SANCTUM_DOC_ID_SIZE];
	sanctum_buf file = SANCTUM_BUF_INIT;
	char *path;
	git_oid gone;
	FILE *out;

	add_one(f, a, "Alpha", "a");
	add_one(f, b, "Bravo", "b");
	assert_listed_title(f, a, "Alpha");
	path = sanctum_index__path(f->store, f->founder);
	assert_non_null(path);

	/* One flipped byte: the age payload no longer authenticates. */
	forge_title(f, a, "forged", NULL, NULL);
	read_file(&file, path);
	file.ptr[file.size - 20] ^= 1;
	assert_non_null(out = fopen(path, "wb"));
	assert_int_equal(fwrite(file.ptr, 1, file.size, out), file.size);
	fclose(out);
	assert_listed_title(f, a, "Alpha");

	/* Truncated, then garbage, then missing. */
	forge_title(f, a, "forged", NULL, NULL);
	assert_int_equal(truncate(path, (off_t)(file.size / 2)), 0);
	assert_listed_title(f, a, "Alpha");
	assert_non_null(out = fopen(path, "wb"));
	fputs("sanctum-index v1\n", out);
	fclose(out);
	assert_listed_title(f, a, "Alpha");
	assert_int_equal(unlink(path), 0);
	assert_listed_title(f, a, "Alpha");

	/* A head that is not in the repository: rebuilt from scratch. */
	memset(&gone, 0x42, sizeof(gone));
	forge_title(f, a, "forged", &gone, NULL);
	assert_listed_title(f, a, "Alpha");

	/* Another group's index. */
	forge_title(f, a, "forged", NULL, "00000000000000000000000000000000");
	assert_listed_title(f, a, "Alpha");

	/* A stale index that does not fit its head (a deletion it never saw). */
	{
		git_commit *head = head_commit(f);
		const git_oid *parent = git_commit_parent_id(head, 0);

		forge_title(f, a, "forged", parent, NULL);
		/* The index says the parent but holds b, which the parent lacks: a
		 * consistent diff would add b again, which the index refuses as stale. */
		assert_listed_title(f, a, "Alpha");
		git_commit_free(head);
	}
	sanctum_buf_dispose(&file);
	free(path);
}

/* The index text format: round trip, and nothing but the exact grammar parses. */
static void test_store__index_format_is_strict(void **state)
{
	static const char *const tags[] = { "legal-aid", "ünïcode-tag" };
	fixture *f = *state;
	sanctum_new_doc docs[2];
	unsigned char ids[2][SANCTUM_DOC_ID_SIZE];
	sanctum_buf text = SANCTUM_BUF_INIT, bad = SANCTUM_BUF_INIT;
	sanctum_index index, again;
	sanctum_doc_list list;
	char *path;

	docs[0] = new_doc("Title with spaces", "a", tags, 2);
	docs[1] = new_doc("B", "b", NULL, 0);
	assert_int_equal(sanctum_store_add(f->store, ids, docs, 2, f->founder), 0);
	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	sanctum_doc_list_dispose(&list);
	path = sanctum_index__path(f->store, f->founder);
	assert_int_equal(sanctum_index__read(&index, path, f->founder), 0);
	assert_int_equal(index.count, 2);
	assert_int_equal(sanctum_index__serialize(&text, &index), 0);
	assert_int_equal(sanctum_index__parse(&again, text.ptr, text.size), 0);
	assert_int_equal(again.count, 2);
	assert_string_equal(again.group_id, sanctum_store_group_id(f->store));
	assert_true(git_oid_equal(&again.head, &index.head));
	for (size_t i = 0; i < 2; i++) {
		const sanctum_doc_info *x = &index.entries[i].info, *y = &again.entries[i].info;

		assert_memory_equal(x->id, y->id, SANCTUM_DOC_ID_SIZE);
		assert_true(git_oid_equal(&index.entries[i].blob, &again.entries[i].blob));
		assert_string_equal(x->title, y->title);
		assert_string_equal(x->type, y->type);
		assert_string_equal(x->author, y->author);
		assert_int_equal(x->ntags, y->ntags);
		assert_int_equal(x->rev, y->rev);
		assert_int_equal(x->time, y->time);
		assert_int_equal(x->size, y->size);
	}
	sanctum_index__dispose(&again);

	/* Every truncation, and anything after "end", is refused. */
	for (size_t cut = 0; cut < text.size; cut++)
		assert_int_equal(sanctum_index__parse(&again, text.ptr, cut), SANCTUM_EINVALID);
	assert_int_equal(sanctum_buf_put(&bad, text.ptr, text.size), 0);
	assert_int_equal(sanctum_buf_puts(&bad, "x"), 0);
	assert_int_equal(sanctum_index__parse(&again, bad.ptr, bad.size), SANCTUM_EINVALID);

	/* Entries out of order (the same entry twice) are refused. */
	{
		sanctum_index twice = index;
		sanctum_index_entry both[2] = { index.entries[0], index.entries[0] };

		twice.entries = both;
		assert_int_equal(sanctum_index__serialize(&bad, &twice), 0);
		assert_int_equal(sanctum_index__parse(&again, bad.ptr, bad.size), SANCTUM_EINVALID);
	}
	/* A wrong count is refused. */
	index.count = 1;
	assert_int_equal(sanctum_index__serialize(&bad, &index), 0);
	index.count = 2;
	{
		char *count = strstr((char *)bad.ptr, "count 1\n");

		assert_non_null(count);
		count[6] = '2';
		assert_int_equal(sanctum_index__parse(&again, bad.ptr, bad.size), SANCTUM_EINVALID);
		count[6] = '0';
		assert_int_equal(sanctum_index__parse(&again, bad.ptr, bad.size), SANCTUM_EINVALID);
	}
	sanctum_index__dispose(&index);
	sanctum_buf_dispose(&text);
	sanctum_buf_dispose(&bad);
	free(path);
}

static void test_store__list_fails_on_a_bad_document(void **state)
{
	static const char bad_path[] = "docs/00/00112233445566778899aabbccddeeff.age";
	fixture *f = *state;
	unsigned char a[SANCTUM_DOC_ID_SIZE], id[SANCTUM_DOC_ID_SIZE];
	sanctum_doc_list list;
	sanctum_doc doc = SANCTUM_DOC_INIT;

	add_one(f, a, "Alpha", "a");
	assert_listed_title(f, a, "Alpha");
	commit_raw(f, bad_path, "not an age file", 15);
	assert_true(sanctum_store_list(&list, f->store, f->founder) < 0);
	assert_message_has(bad_path);
	assert_int_equal(list.count, 0);
	assert_int_equal(sanctum_doc_id_from_hex(id, "00112233445566778899aabbccddeeff"), 0);
	assert_true(sanctum_store_read(&doc, f->store, id, f->founder) < 0);
	assert_message_has(bad_path);
	/* The same from scratch (no index). */
	{
		char *path = sanctum_index__path(f->store, f->founder);

		assert_int_equal(unlink(path), 0);
		free(path);
	}
	assert_true(sanctum_store_list(&list, f->store, f->founder) < 0);
	assert_message_has(bad_path);

	/* A path that names no document at all. */
	commit_raw(f, "docs/00/00112233445566778899aabbccddeeff.age", "x", 1);
	commit_raw(f, "docs/zz/notes.txt", "x", 1);
	assert_true(sanctum_store_list(&list, f->store, f->founder) < 0);
}

static void test_store__non_member_is_refused(void **state)
{
	fixture *f = *state;
	sanctum_identity *outsider = NULL;
	sanctum_store *theirs = NULL;
	unsigned char id[SANCTUM_DOC_ID_SIZE], ids[1][SANCTUM_DOC_ID_SIZE];
	sanctum_new_doc d = new_doc("Mine", "mine", NULL, 0);
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_doc_list list;
	int rc;

	add_one(f, id, "Alpha", "secret words");
	assert_int_equal(sanctum_identity_generate(&outsider, "elsewhere", "laptop"), 0);
	assert_int_equal(sanctum_store_add(f->store, ids, &d, 1, outsider), SANCTUM_EVERIFY);
	assert_message_has("not a member");
	assert_int_equal(sanctum_store_update(f->store, id, &d, outsider), SANCTUM_EVERIFY);
	assert_int_equal(sanctum_store_remove(f->store, id, outsider), SANCTUM_EVERIFY);
	rc = sanctum_store_read(&doc, f->store, id, outsider);
	assert_true(rc == SANCTUM_EVERIFY || rc == SANCTUM_ENOMATCH);
	assert_int_equal(sanctum_store_list(&list, f->store, outsider), SANCTUM_EVERIFY);
	assert_int_equal(list.count, 0);

	/* A fresh handle with nothing cached refuses alike. */
	assert_int_equal(sanctum_store_open(&theirs, f->dir, 0), 0);
	rc = sanctum_store_read(&doc, theirs, id, outsider);
	assert_true(rc == SANCTUM_EVERIFY || rc == SANCTUM_ENOMATCH);
	assert_int_equal(sanctum_store_list(&list, theirs, outsider), SANCTUM_EVERIFY);
	sanctum_store_free(theirs);
	assert_int_equal(count_docs(f), 1);
	sanctum_identity_free(outsider);
}

/* The epoch keys a handle caches belong to the identity that opened them. */
static void test_store__epoch_cache_is_per_reader(void **state)
{
	fixture *f = *state;
	sanctum_identity *outsider = NULL;
	const sanctum_age_identity *key = NULL;
	git_commit *head = head_commit(f);
	git_tree *tree = NULL;
	sanctum_roster roster;

	assert_int_equal(sanctum_identity_generate(&outsider, "elsewhere", "laptop"), 0);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	assert_int_equal(sanctum_store__load_roster(&roster, f->store, tree), 0);
	assert_int_equal(sanctum_store__epoch_key(&key, f->store, &roster, tree, 1, f->founder), 0);
	assert_non_null(key);
	assert_int_equal(sanctum_store__epoch_key(&key, f->store, &roster, tree, 1, outsider),
	                 SANCTUM_ENOMATCH);
	assert_int_equal(sanctum_store__epoch_key(&key, f->store, &roster, tree, 1, f->founder), 0);
	sanctum_roster__dispose(&roster);
	git_tree_free(tree);
	git_commit_free(head);
	sanctum_identity_free(outsider);
}

/* ---- history --------------------------------------------------------------------------- */

typedef struct {
	size_t count;
	uint64_t seq[16];
	char commit[16][41];
	char summary[16][64];
	int stop_after;
	const char *fingerprint;
} log_seen;

static int on_log(const sanctum_log_entry *e, void *payload)
{
	log_seen *seen = payload;

	assert_true(seen->count < 16);
	seen->seq[seen->count] = e->seq;
	snprintf(seen->commit[seen->count], 41, "%s", e->commit);
	snprintf(seen->summary[seen->count], 64, "%s", e->summary);
	assert_string_equal(e->author, "aldport/server");
	assert_string_equal(e->fingerprint, seen->fingerprint);
	assert_true(e->time > 0);
	seen->count++;
	return seen->stop_after && seen->count == (size_t)seen->stop_after ? -42 : 0;
}

static void test_store__log_lists_commits_newest_first(void **state)
{
	fixture *f = *state;
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	log_seen seen;
	git_commit *head;
	char head_hex[41];

	add_one(f, id, "Alpha", "a");
	update_one(f, id, "Alpha", "b");
	assert_int_equal(sanctum_store_remove(f->store, id, f->founder), 0);
	memset(&seen, 0, sizeof(seen));
	seen.fingerprint = f->fingerprint;
	assert_int_equal(sanctum_store_log(f->store, on_log, &seen), 0);
	assert_int_equal(seen.count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(seen.seq[i], 4 - i);
	assert_string_equal(seen.summary[0], "sanctum: 1 removed");
	assert_string_equal(seen.summary[1], "sanctum: 1 updated");
	assert_string_equal(seen.summary[2], "sanctum: 1 added");
	assert_string_equal(seen.summary[3], "sanctum: group created");
	head = head_commit(f);
	git_oid_tostr(head_hex, sizeof(head_hex), git_commit_id(head));
	assert_string_equal(seen.commit[0], head_hex);
	git_commit_free(head);

	memset(&seen, 0, sizeof(seen));
	seen.fingerprint = f->fingerprint;
	seen.stop_after = 2;
	assert_int_equal(sanctum_store_log(f->store, on_log, &seen), -42);
	assert_int_equal(seen.count, 2);
}

typedef struct {
	size_t count;
	uint64_t rev[8];
	int deleted[8];
	char commit[8][41];
	char title[8][32];
	int stop_after;
} revs_seen;

static int on_revision(const sanctum_revision *r, void *payload)
{
	revs_seen *seen = payload;

	assert_true(seen->count < 8);
	seen->rev[seen->count] = r->doc->rev;
	seen->deleted[seen->count] = r->doc->deleted;
	snprintf(seen->commit[seen->count], 41, "%s", r->commit);
	snprintf(seen->title[seen->count], 32, "%s", r->doc->title);
	seen->count++;
	return seen->stop_after && seen->count == (size_t)seen->stop_after ? -7 : 0;
}

static void test_store__doc_log_lists_revisions_newest_first(void **state)
{
	fixture *f = *state;
	unsigned char a[SANCTUM_DOC_ID_SIZE], b[SANCTUM_DOC_ID_SIZE], unknown[SANCTUM_DOC_ID_SIZE];
	sanctum_identity *outsider = NULL;
	log_seen commits;
	revs_seen seen;

	add_one(f, a, "Alpha", "a1");
	add_one(f, b, "Bravo", "b1");
	update_one(f, a, "Alpha two", "a2");
	update_one(f, b, "Bravo two", "b2");
	assert_int_equal(sanctum_store_remove(f->store, a, f->founder), 0);
	add_one(f, unknown, "Charlie", "c1");

	memset(&commits, 0, sizeof(commits));
	commits.fingerprint = f->fingerprint;
	assert_int_equal(sanctum_store_log(f->store, on_log, &commits), 0);
	assert_int_equal(commits.count, 7);     /* c, rm a, up b, up a, add b, add a, init */

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sanctum_store_doc_log(f->store, a, f->founder, on_revision, &seen), 0);
	assert_int_equal(seen.count, 3);
	assert_int_equal(seen.rev[0], 3);
	assert_int_equal(seen.deleted[0], 1);
	assert_string_equal(seen.commit[0], commits.commit[1]);
	assert_int_equal(seen.rev[1], 2);
	assert_string_equal(seen.title[1], "Alpha two");
	assert_string_equal(seen.commit[1], commits.commit[3]);
	assert_int_equal(seen.rev[2], 1);
	assert_string_equal(seen.title[2], "Alpha");
	assert_string_equal(seen.commit[2], commits.commit[5]);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sanctum_store_doc_log(f->store, b, f->founder, on_revision, &seen), 0);
	assert_int_equal(seen.count, 2);
	assert_string_equal(seen.commit[0], commits.commit[2]);
	assert_string_equal(seen.commit[1], commits.commit[4]);

	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	assert_int_equal(sanctum_store_doc_log(f->store, a, f->founder, on_revision, &seen), -7);
	assert_int_equal(seen.count, 1);

	sanctum_doc_new_id(unknown);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sanctum_store_doc_log(f->store, unknown, f->founder, on_revision, &seen),
	                 SANCTUM_ENOTFOUND);
	assert_int_equal(seen.count, 0);

	assert_int_equal(sanctum_identity_generate(&outsider, "elsewhere", "laptop"), 0);
	assert_int_equal(sanctum_store_doc_log(f->store, b, outsider, on_revision, &seen),
	                 SANCTUM_EVERIFY);
	assert_int_equal(seen.count, 0);
	sanctum_identity_free(outsider);
}

/* ---- what the host sees ---------------------------------------------------------------- */

typedef struct {
	git_oid *ids;
	size_t count;
	size_t alloc;
} oid_list;

static int collect_oid(const git_oid *id, void *payload)
{
	oid_list *list = payload;

	if (list->count == list->alloc) {
		list->alloc = list->alloc ? 2 * list->alloc : 64;
		list->ids = realloc(list->ids, list->alloc * sizeof(*list->ids));
		assert_non_null(list->ids);
	}
	git_oid_cpy(&list->ids[list->count++], id);
	return 0;
}

static void test_store__no_plaintext_in_git_objects(void **state)
{
	static const char *const words[] = {
		"Zanzibarquokka", "marmalade-owl", "xylophonically", "Quetzalwombat",
		"tangerine-ferret", "pumpernickelish",
	};
	static const char *const tags1[] = { "marmalade-owl" };
	static const char *const tags2[] = { "tangerine-ferret" };
	fixture *f = *state;
	sanctum_new_doc docs[2];
	unsigned char ids[2][SANCTUM_DOC_ID_SIZE];
	sanctum_doc_list list;
	git_odb *odb = NULL;
	oid_list all = { NULL, 0, 0 };
	int group_seen = 0;

	docs[0] = new_doc("Zanzibarquokka resources", "read xylophonically, twice", tags1, 1);
	docs[1] = new_doc("plain title", "nothing to see", NULL, 0);
	assert_int_equal(sanctum_store_add(f->store, ids, docs, 2, f->founder), 0);
	docs[1] = new_doc("Quetzalwombat guide", "pumpernickelish bread", tags2, 1);
	assert_int_equal(sanctum_store_update(f->store, ids[1], &docs[1], f->founder), 0);
	assert_int_equal(sanctum_store_remove(f->store, ids[0], f->founder), 0);
	assert_int_equal(sanctum_store_list(&list, f->store, f->founder), 0);
	sanctum_doc_list_dispose(&list);

	assert_int_equal(git_repository_odb(&odb, f->store->repo), 0);
	assert_int_equal(git_odb_foreach(odb, collect_oid, &all), 0);
	assert_true(all.count > 10);
	for (size_t i = 0; i < all.count; i++) {
		git_odb_object *object = NULL;
		const void *data;
		size_t size;

		assert_int_equal(git_odb_read(&object, odb, &all.ids[i]), 0);
		data = git_odb_object_data(object);
		size = git_odb_object_size(object);
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (contains(data, size, words[w]))
				fail_msg("'%s' is in the clear in a git object", words[w]);
		group_seen |= contains(data, size, GROUP);
		git_odb_object_free(object);
	}
	assert_true(group_seen);       /* the search does find what is there */
	free(all.ids);
	git_odb_free(odb);
}

#define STORE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_store__init_makes_main),
		STORE_TEST(test_store__init_refuses_an_existing_store),
		STORE_TEST(test_store__open_discovers_from_a_subfolder),
		STORE_TEST(test_store__add_several_in_one_commit),
		STORE_TEST(test_store__update_and_remove),
		STORE_TEST(test_store__resolve_prefixes),
		STORE_TEST(test_store__list_empty),
		STORE_TEST(test_store__list_after_add_update_remove),
		STORE_TEST(test_store__list_index_is_incremental),
		STORE_TEST(test_store__list_rebuilds_a_bad_index),
		STORE_TEST(test_store__index_format_is_strict),
		STORE_TEST(test_store__list_fails_on_a_bad_document),
		STORE_TEST(test_store__non_member_is_refused),
		STORE_TEST(test_store__epoch_cache_is_per_reader),
		STORE_TEST(test_store__log_lists_commits_newest_first),
		STORE_TEST(test_store__doc_log_lists_revisions_newest_first),
		STORE_TEST(test_store__no_plaintext_in_git_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

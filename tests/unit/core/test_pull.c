/*
 * Unit tests for pull (core/src/sync_pull.c) against hostile remotes.
 *
 * Every test has two copies of one store in a temporary folder:
 *
 *     host/   H, the founder's store, with the history of hostile.h and then
 *             6  roster entry 2: the member (bayview/server) added, with history
 *     node/   N, a copy of H's folder made at that point, with remote `origin` = host/,
 *             from which it has pulled once (so refs/sanctum/verified/origin = 6)
 *
 * Each hostile test then rewrites H's main with the builders of hostile.c, as a host or
 * a rogue member could, and pulls in N (as the member unless it says otherwise). A
 * refused pull must return the right code, leave N's main and its record of the verified
 * head exactly as they were, keep the refused commits at refs/sanctum/quarantine/origin,
 * and (for a verification failure) report each problem through options.problem at the
 * commit and path that made it, saying what is wrong.
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
#include <unistd.h>
#include <time.h>

#include <git2.h>
#include <sodium.h>

#include "sanctum/errors.h"
#include "sanctum/members.h"
#include "sanctum/store.h"
#include "sanctum/sync.h"
#include "sanctum/verify.h"

#include "signed_file.h"
#include "store_internal.h"

#include "hostile.h"

#define REMOTE "origin"
#define VERIFIED_REF "refs/sanctum/verified/" REMOTE
#define QUARANTINE_REF "refs/sanctum/quarantine/" REMOTE

typedef struct {
	fixture h;                    /* H: the host's copy, and the builders' target */
	char node_dir[PATH_MAX];
	sanctum_store *node;          /* N */
	git_repository *node_repo;    /* N's repository, opened on its own to read refs */
	git_oid shared;               /* commit 6: H's main when N was copied */
	sanctum_sync_options opts;
	sanctum_pull_result result;
	char message[1024];           /* the last refusal's error message */
} pull_fixture;

/* ---- fixture ---------------------------------------------------------------------------- */

/* `dir`/`name` into `out` (`size` bytes). Returns 0, or -1 when it does not fit. */
static int join_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int node_open(pull_fixture *p)
{
	char git_dir[PATH_MAX + 16];

	snprintf(git_dir, sizeof(git_dir), "%s/%s", p->node_dir, SANCTUM_STORE_DIRNAME);
	if (sanctum_store_open(&p->node, p->node_dir, 0) < 0)
		return -1;
	if (git_repository_open_bare(&p->node_repo, git_dir) < 0)
		return -1;
	return 0;
}

static int teardown(void **state);

static int setup(void **state)
{
	sanctum_member_add_options add = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	pull_fixture *p = calloc(1, sizeof(*p));
	sanctum_sync_options defaults = SANCTUM_SYNC_OPTIONS_INIT;
	sanctum_card card;
	int rc = -1;

	*state = p;
	if (!p)
		return -1;
	p->opts = defaults;
	p->opts.problem = on_problem;
	p->opts.payload = &p->h;
	if (sanctum_init() == 0 && hostile_setup(&p->h, "sanctum-pull", "host") == 0) {
		sanctum_identity_card(&card, p->h.member);
		if (join_path(p->node_dir, sizeof(p->node_dir), p->h.root, "node") == 0 &&
		    sanctum_store_member_add(p->h.store, &card, &add, p->h.founder, NULL) == 0 &&
		    git_reference_name_to_id(&p->shared, p->h.host, MAIN_REF) == 0 &&
		    copy_tree(p->h.dir, p->node_dir) == 0 && node_open(p) == 0 &&
		    sanctum_remote_add(p->node, REMOTE, p->h.dir) == 0 &&
		    sanctum_store_pull(&p->result, p->node, REMOTE, p->h.member, &p->opts) == 0 &&
		    p->result.outcome == SANCTUM_PULL_UP_TO_DATE)
			rc = 0;
	}
	if (rc < 0) {
		print_message("setup failed: %s\n", sanctum_error_last()->message);
		teardown(state);
		*state = NULL;
	}
	return rc;
}

static int teardown(void **state)
{
	pull_fixture *p = *state;

	if (!p)
		return 0;
	git_repository_free(p->node_repo);
	sanctum_store_free(p->node);
	hostile_teardown(&p->h);
	free(p);
	return 0;
}

/* ---- N's refs ----------------------------------------------------------------------------- */

/* The ref `name` of N (1), or none (0). */
static int node_ref(pull_fixture *p, const char *name, git_oid *out)
{
	int rc = git_reference_name_to_id(out, p->node_repo, name);

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		memset(out, 0, sizeof(*out));
		return 0;
	}
	assert_int_equal(rc, 0);
	return 1;
}

static git_oid node_main(pull_fixture *p)
{
	git_oid oid;

	assert_true(node_ref(p, MAIN_REF, &oid));
	return oid;
}

static void assert_oid(const git_oid *want, const git_oid *got, const char *what)
{
	char a[41], b[41];

	if (git_oid_equal(want, got))
		return;
	git_oid_tostr(a, sizeof(a), want);
	git_oid_tostr(b, sizeof(b), got);
	fail_msg("%s is %s, expected %s", what, b, a);
}

static void assert_ref(pull_fixture *p, const char *name, const git_oid *want)
{
	git_oid got;

	if (!node_ref(p, name, &got))
		fail_msg("N has no %s", name);
	assert_oid(want, &got, name);
}

static void assert_no_ref(pull_fixture *p, const char *name)
{
	git_oid got;

	if (node_ref(p, name, &got))
		fail_msg("N still has %s", name);
}

/* ---- pulling ------------------------------------------------------------------------------- */

/* Pulls `remote` in N as `as`; the problems reported land in p->h.seen. */
static int pull_from(pull_fixture *p, const char *remote, const sanctum_identity *as)
{
	int rc;

	p->h.nseen = p->h.calls = 0;
	sanctum_error_clear();
	rc = sanctum_store_pull(&p->result, p->node, remote, as, &p->opts);
	assert_int_equal(p->result.verified.problems, p->h.calls);
	return rc;
}

static int pull(pull_fixture *p, const sanctum_identity *as)
{
	return pull_from(p, REMOTE, as);
}

/* N's own history still verifies, as the founder and as the member. */
static void node_verifies(pull_fixture *p)
{
	const sanctum_identity *readers[2] = { p->h.founder, p->h.member };
	sanctum_verify_stats stats;
	fixture seen;

	for (int i = 0; i < 2; i++) {
		memset(&seen, 0, sizeof(seen));
		if (sanctum_store_verify(&stats, p->node, readers[i], on_problem, &seen) != 0) {
			dump_seen(&seen);
			fail_msg("N's main does not verify as the %s: %s", i ? "member" : "founder",
			         sanctum_error_last()->message);
		}
	}
}

static const char *code_name(int code)
{
	switch (code) {
	case 0: return "0";
	case SANCTUM_EVERIFY: return "SANCTUM_EVERIFY";
	case SANCTUM_EROLLBACK: return "SANCTUM_EROLLBACK";
	case SANCTUM_ENETWORK: return "SANCTUM_ENETWORK";
	case SANCTUM_ENOTFOUND: return "SANCTUM_ENOTFOUND";
	case SANCTUM_ECONFLICT: return "SANCTUM_ECONFLICT";
	default: return "another code";
	}
}

/*
 * Pulls from `remote` as `as` and expects it refused with `code`: N's main and its
 * verified record of the remote are unchanged, the remote's main is kept in quarantine
 * (`quarantined`: 1) or nothing is (0), and the error message says main is unchanged.
 */
static void expect_refused_from(pull_fixture *p, const char *remote, const sanctum_identity *as,
                                int code, int quarantined)
{
	char verified_ref[128], quarantine_ref[128];
	git_oid main_before = node_main(p), verified_before, verified_after, host_main;
	int had_verified, rc;

	snprintf(verified_ref, sizeof(verified_ref), "refs/sanctum/verified/%s", remote);
	snprintf(quarantine_ref, sizeof(quarantine_ref), "refs/sanctum/quarantine/%s", remote);
	had_verified = node_ref(p, verified_ref, &verified_before);
	rc = pull_from(p, remote, as);
	if (rc != code) {
		dump_seen(&p->h);
		fail_msg("pull returned %d (%s: %s), expected %s", rc, code_name(rc),
		         rc ? sanctum_error_last()->message : "accepted", code_name(code));
	}
	{
		git_oid main_after = node_main(p);
		assert_oid(&main_before, &main_after, "N's main after a refused pull");
	}
	assert_int_equal(node_ref(p, verified_ref, &verified_after), had_verified);
	if (had_verified)
		assert_oid(&verified_before, &verified_after, verified_ref);
	if (quarantined && strcmp(remote, REMOTE) == 0) {
		host_main = head_id(&p->h);
		assert_ref(p, quarantine_ref, &host_main);
	} else if (!quarantined) {
		assert_no_ref(p, quarantine_ref);
	}
	snprintf(p->message, sizeof(p->message), "%s", sanctum_error_last()->message);
	if ((code == SANCTUM_EVERIFY || code == SANCTUM_EROLLBACK) &&
	    (!strstr(p->message, "main is unchanged") || !strstr(p->message, quarantine_ref)))
		fail_msg("the refusal does not say main is unchanged and where the commits are: %s",
		         p->message);
	if (code == SANCTUM_EVERIFY && p->h.calls == 0)
		fail_msg("a verification failure reported no problem through the callback");
	if (code == SANCTUM_EROLLBACK && !strstr(p->message, "rolled it back"))
		fail_msg("the rollback is not explained: %s", p->message);
	node_verifies(p);
}

static void expect_refused(pull_fixture *p, const sanctum_identity *as, int code)
{
	expect_refused_from(p, REMOTE, as, code, 1);
}

/* Pulls and expects it accepted with `outcome`: main, verified and quarantine updated. */
static void expect_pulled(pull_fixture *p, const sanctum_identity *as,
                          sanctum_pull_outcome outcome)
{
	git_oid host_main = head_id(&p->h), main_after;
	char hex[41];
	int rc = pull(p, as);

	if (rc != 0) {
		dump_seen(&p->h);
		fail_msg("pull refused (%s): %s", code_name(rc), sanctum_error_last()->message);
	}
	assert_int_equal(p->result.outcome, outcome);
	assert_int_equal(p->result.verified.problems, 0);
	main_after = node_main(p);
	git_oid_tostr(hex, sizeof(hex), &main_after);
	assert_string_equal(p->result.new_head, hex);
	git_oid_tostr(hex, sizeof(hex), &host_main);
	assert_string_equal(p->result.remote_head, hex);
	if (outcome == SANCTUM_PULL_FAST_FORWARD)
		assert_oid(&host_main, &main_after, "N's main after a fast-forward");
	assert_ref(p, VERIFIED_REF, &host_main);
	assert_no_ref(p, QUARANTINE_REF);
	node_verifies(p);
}

/* Asserts that some problem was reported at `commit`, whatever the path and words. */
static void expect_problem_at(const fixture *h, const git_oid *commit)
{
	char hex[41];

	git_oid_tostr(hex, sizeof(hex), commit);
	for (size_t i = 0; i < h->nseen; i++)
		if (strcmp(h->seen[i].commit, hex) == 0)
			return;
	dump_seen(h);
	fail_msg("no problem reported at %s", hex);
}

/* ---- more builders ------------------------------------------------------------------------ */

static uint64_t seq_of(fixture *h, const git_oid *oid)
{
	git_commit *c = NULL;
	uint64_t seq;

	assert_int_equal(git_commit_lookup(&c, h->host, oid), 0);
	seq = sanctum_store__commit_seq(c);
	git_commit_free(c);
	return seq;
}

static git_oid parent_of(fixture *h, const git_oid *oid)
{
	git_commit *c = NULL;
	git_oid parent;

	assert_int_equal(git_commit_lookup(&c, h->host, oid), 0);
	parent = *git_commit_parent_id(c, 0);
	git_commit_free(c);
	return parent;
}

/* A new document (rev 1) sealed by `who`; its path goes to `path`. */
static git_tree_update new_doc_by(fixture *h, char path[48], const sanctum_identity *who)
{
	unsigned char id[SANCTUM_DOC_ID_SIZE];

	random_doc_path(path, id);
	return upsert(path, sealed_revision(h, id, 1, NULL, who));
}

/*
 * Two concurrent commits on H from main's head: `*x` (by the founder) and `*y` (by the
 * member), in that order; main is left at `*y`.
 */
static void diverge(fixture *h, git_oid *x, const git_tree_update *xu, size_t nx, git_oid *y,
                    const git_tree_update *yu, size_t ny)
{
	git_oid base = head_id(h);

	*x = commit_signed(h, h->founder, xu, nx);
	force_main(h, &base);
	*y = commit_signed(h, h->member, yu, ny);
}

/* A merge commit made by hand: parents `first` and `second`, on first's tree plus
 * `updates`, signed by the founder with the right trailers; main is forced to it. */
static git_oid merge_by_hand(fixture *h, const git_oid *first, const git_oid *second,
                             const git_tree_update *updates, size_t n)
{
	git_oid parents[2] = { *first, *second };
	uint64_t a = seq_of(h, first), b = seq_of(h, second);
	char message[128];

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, (a > b ? a : b) + 1);
	return commit_by_hand_on(h, parents, 2, updates, n, message, h->founder, h->founder, "git",
	                         (int64_t)time(NULL));
}

/* Copies the objects of another repository's main into H, as refs/hostile/imported. */
static git_oid import_main(fixture *h, const char *store_dir)
{
	char url[PATH_MAX + 16];
	char *specs[1] = { "+refs/heads/" SANCTUM_STORE_BRANCH ":refs/hostile/imported" };
	git_strarray refspecs = { specs, 1 };
	git_remote_create_options create;
	git_remote *remote = NULL;
	git_oid oid;

	/* Anonymous and without insteadOf, as sync_transfer.c: libgit2 1.5 leaks PCRE2 match
	 * data when it applies url.*.insteadOf. */
	snprintf(url, sizeof(url), "%s/%s", store_dir, SANCTUM_STORE_DIRNAME);
	assert_int_equal(git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION),
	                 0);
	create.repository = h->host;
	create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	assert_int_equal(git_remote_create_with_opts(&remote, url, &create), 0);
	assert_int_equal(git_remote_fetch(remote, &refspecs, NULL, NULL), 0);
	git_remote_free(remote);
	assert_int_equal(git_reference_name_to_id(&oid, h->host, "refs/hostile/imported"), 0);
	return oid;
}

/* Another group's store (founded by the stranger, one document) in the folder `name`. */
static void other_group(pull_fixture *p, const char *name, char dir[PATH_MAX])
{
	sanctum_new_doc d = new_doc("Elsewhere", "another group's document");
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];
	sanctum_store *other = NULL;

	assert_int_equal(join_path(dir, PATH_MAX, p->h.root, name), 0);
	assert_int_equal(sanctum_store_init(&other, dir, "other-cities", p->h.stranger), 0);
	assert_int_equal(sanctum_store_add(other, ids, &d, 1, p->h.stranger), 0);
	sanctum_store_free(other);
}

/* The root commit of H's main. */
static git_oid root_of(fixture *h)
{
	git_revwalk *walk = NULL;
	git_oid head = head_id(h), oid;

	assert_int_equal(git_revwalk_new(&walk, h->host), 0);
	assert_int_equal(git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE), 0);
	assert_int_equal(git_revwalk_push(walk, &head), 0);
	assert_int_equal(git_revwalk_next(&oid, walk), 0);
	git_revwalk_free(walk);
	return oid;
}

static git_oid blob_in(fixture *h, const git_oid *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_oid oid;

	assert_int_equal(git_commit_lookup(&c, h->host, commit), 0);
	assert_int_equal(git_commit_tree(&tree, c), 0);
	assert_int_equal(git_tree_entry_bypath(&entry, tree, path), 0);
	oid = *git_tree_entry_id(entry);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return oid;
}

/* The hash of the revision in a document file of H (read as the founder). */
static void revision_hash(fixture *h, const git_oid *blob, const unsigned char *id,
                          unsigned char hash[SANCTUM_DOC_HASH_SIZE])
{
	sanctum_buf plain = SANCTUM_BUF_INIT;
	sanctum_doc doc = SANCTUM_DOC_INIT;

	revision_plaintext(h, blob, &plain);
	assert_int_equal(sanctum_doc_open(&doc, NULL, plain.ptr, plain.size, id), 0);
	memcpy(hash, doc.hash, SANCTUM_DOC_HASH_SIZE);
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
}

/* conflicts/xx/ID/HASH.age for a revision of `id` with hash `hash`. */
static void conflict_path(char out[128], const unsigned char id[SANCTUM_DOC_ID_SIZE],
                          const unsigned char hash[SANCTUM_DOC_HASH_SIZE])
{
	char id_hex[2 * SANCTUM_DOC_ID_SIZE + 1], hash_hex[2 * SANCTUM_DOC_HASH_SIZE + 1];

	sanctum_doc_id_to_hex(id_hex, id);
	sanctum_hex_encode(hash_hex, hash, SANCTUM_DOC_HASH_SIZE);
	snprintf(out, 128, "conflicts/%.2s/%s/%s.age", id_hex, id_hex, hash_hex);
}

/* ---- honest pulls: the positive controls ----------------------------------------------- */

/* An honest new commit by a member is fast-forwarded; the records follow. */
static void test_pull__honest_commit_fast_forwards(void **state)
{
	pull_fixture *p = *state;
	sanctum_new_doc d = new_doc("Delta", "from the member, on the host");
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];
	sanctum_doc doc = SANCTUM_DOC_INIT;
	git_oid old = node_main(p);
	char hex[41];

	assert_ref(p, VERIFIED_REF, &p->shared);
	assert_int_equal(sanctum_store_add(p->h.store, ids, &d, 1, p->h.member), 0);
	expect_pulled(p, p->h.member, SANCTUM_PULL_FAST_FORWARD);
	git_oid_tostr(hex, sizeof(hex), &old);
	assert_string_equal(p->result.old_head, hex);
	assert_int_equal(p->result.verified.commits, 1);
	assert_int_equal(p->result.verified.documents, 1);
	assert_int_equal(p->result.rewound, 0);
	assert_true(p->result.objects > 0);
	assert_int_equal(sanctum_store_read(&doc, p->node, ids[0], p->h.founder), 0);
	assert_string_equal(doc.title, "Delta");
	sanctum_doc_dispose(&doc);

	/* Again: nothing new. */
	expect_pulled(p, p->h.member, SANCTUM_PULL_UP_TO_DATE);
}

/* Concurrent honest changes on both sides merge; N then verifies, and so does H once N
 * pushes the merge back. */
static void test_pull__honest_concurrent_changes_merge(void **state)
{
	pull_fixture *p = *state;
	sanctum_new_doc host_doc = new_doc("Host", "written on the host");
	sanctum_new_doc node_doc = new_doc("Node", "written on the node");
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];
	sanctum_push_result pushed;
	sanctum_verify_stats stats;
	git_oid ours, theirs, merged, host_main;
	git_commit *commit = NULL;

	assert_int_equal(sanctum_store_add(p->h.store, ids, &host_doc, 1, p->h.founder), 0);
	assert_int_equal(sanctum_store_add(p->node, ids, &node_doc, 1, p->h.member), 0);
	ours = node_main(p);
	theirs = head_id(&p->h);
	expect_pulled(p, p->h.member, SANCTUM_PULL_MERGED);
	merged = node_main(p);
	assert_int_equal(git_commit_lookup(&commit, p->node_repo, &merged), 0);
	assert_int_equal(git_commit_parentcount(commit), 2);
	assert_oid(&ours, git_commit_parent_id(commit, 0), "the merge's first parent");
	assert_oid(&theirs, git_commit_parent_id(commit, 1), "the merge's second parent");
	git_commit_free(commit);
	assert_int_equal(p->result.conflicts, 0);

	assert_int_equal(sanctum_store_push(&pushed, p->node, REMOTE, &p->opts), 0);
	assert_int_equal(pushed.outcome, SANCTUM_PUSH_PUSHED);
	host_main = head_id(&p->h);
	assert_oid(&merged, &host_main, "H's main after the push");
	assert_int_equal(sanctum_store_verify(&stats, p->h.store, p->h.founder, NULL, NULL), 0);
}

/* Both sides edit one document: one revision wins, the other is kept under conflicts/. */
static void test_pull__honest_conflict_merges(void **state)
{
	pull_fixture *p = *state;
	sanctum_new_doc host_edit = new_doc(NULL, "alpha, as the host's city wrote it");
	sanctum_new_doc node_edit = new_doc(NULL, "alpha, as the node's city wrote it");

	assert_int_equal(sanctum_store_update(p->h.store, p->h.a, &host_edit, p->h.founder), 0);
	assert_int_equal(sanctum_store_update(p->node, p->h.a, &node_edit, p->h.member), 0);
	expect_pulled(p, p->h.member, SANCTUM_PULL_MERGED);
	assert_int_equal(p->result.conflicts + p->result.texts_merged, 1);
}

/* ---- the host rewrites documents ---------------------------------------------------------- */

/* A document's file replaced by the host in a commit nobody signed. */
static void test_pull__unsigned_commit_rewrites_a_document(void **state)
{
	pull_fixture *p = *state;
	unsigned char junk[600];
	char message[128];
	git_tree_update u;
	git_oid commit;

	randombytes_buf(junk, sizeof(junk));
	u = upsert(p->h.path_c, put_blob(&p->h, junk, sizeof(junk)));
	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(&p->h) + 1);
	commit = commit_by_hand(&p->h, &u, 1, message, p->h.member, NULL, NULL);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	expect_problem(&p->h, &commit, "", "not signed");
	expect_problem(&p->h, &commit, p->h.path_c, "not an age");
}

/* The host cannot keep a member's signed commit and change its tree: the signature of a
 * genuine commit, moved onto a commit with the document rewritten, does not verify. */
static void test_pull__signature_reused_on_another_tree(void **state)
{
	pull_fixture *p = *state;
	sanctum_new_doc d = new_doc("Echo", "honest");
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE], junk[600];
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_commit *genuine = NULL;
	git_tree *base = NULL;
	git_oid head, tree, forged;
	git_tree_update u;
	char *content, hex[41];

	assert_int_equal(sanctum_store_add(p->h.store, ids, &d, 1, p->h.member), 0);
	head = head_id(&p->h);
	randombytes_buf(junk, sizeof(junk));
	u = upsert(p->h.path_c, put_blob(&p->h, junk, sizeof(junk)));
	assert_int_equal(git_commit_lookup(&genuine, p->h.host, &head), 0);
	assert_int_equal(git_commit_tree(&base, genuine), 0);
	assert_int_equal(git_tree_create_updated(&tree, p->h.host, base, 1, &u), 0);
	assert_int_equal(git_commit_extract_signature(&sig, &data, p->h.host, &head, NULL), 0);
	assert_int_equal(strncmp(data.ptr, "tree ", 5), 0);
	content = strdup(data.ptr);
	assert_non_null(content);
	git_oid_tostr(hex, sizeof(hex), &tree);
	memcpy(content + 5, hex, 40);
	while (sig.size && sig.ptr[sig.size - 1] == '\n')
		sig.ptr[--sig.size] = '\0';
	assert_int_equal(git_commit_create_with_signature(&forged, p->h.host, content, sig.ptr,
	                                                  "gpgsig"),
	                 0);
	force_main(&p->h, &forged);
	free(content);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_tree_free(base);
	git_commit_free(genuine);

	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	expect_problem(&p->h, &forged, "", "signature does not verify");
	expect_problem(&p->h, &forged, p->h.path_c, "not an age");
}

/* A member's commit with a document's file replaced by random bytes. */
static void test_pull__member_commit_with_a_random_document(void **state)
{
	pull_fixture *p = *state;
	unsigned char junk[600];
	git_tree_update u;
	git_oid commit;

	randombytes_buf(junk, sizeof(junk));
	u = upsert(p->h.path_c, put_blob(&p->h, junk, sizeof(junk)));
	commit = commit_signed(&p->h, p->h.member, &u, 1);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, p->h.path_c, "not an age");
}

/* A document file deleted outright, in a commit a member signed. */
static void test_pull__bare_deletion(void **state)
{
	pull_fixture *p = *state;
	git_tree_update u = removal(p->h.path_c);
	git_oid commit = commit_signed(&p->h, p->h.member, &u, 1);

	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, p->h.path_c, "deleted without a tombstone");
}

/* ---- the host rewinds or rewrites main ---------------------------------------------------- */

/*
 * The host rewinds main to the commit before one N has pulled: refused as a rollback.
 * With allow_rewind it is accepted: N's main already contains the older head, so it stays
 * where it is (up to date), and the record of the verified head follows the remote.
 */
static void test_pull__rewind_after_a_pull(void **state)
{
	pull_fixture *p = *state;
	sanctum_new_doc d = new_doc("Foxtrot", "pulled, then rewound");
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];
	git_oid newer, older;

	assert_int_equal(sanctum_store_add(p->h.store, ids, &d, 1, p->h.member), 0);
	newer = head_id(&p->h);
	expect_pulled(p, p->h.member, SANCTUM_PULL_FAST_FORWARD);
	older = parent_of(&p->h, &newer);
	force_main(&p->h, &older);

	expect_refused(p, p->h.member, SANCTUM_EROLLBACK);
	assert_int_equal(p->result.rewound, 0);
	/* Twice: a refused pull leaves nothing that lets a second one through. */
	expect_refused(p, p->h.member, SANCTUM_EROLLBACK);

	p->opts.allow_rewind = 1;
	assert_int_equal(pull(p, p->h.member), 0);
	assert_int_equal(p->result.outcome, SANCTUM_PULL_UP_TO_DATE);
	assert_int_equal(p->result.rewound, 1);
	{
		git_oid main_after = node_main(p);
		assert_oid(&newer, &main_after, "N's main after an accepted rewind");
	}
	assert_ref(p, VERIFIED_REF, &older);
	assert_no_ref(p, QUARANTINE_REF);

	/* The record now is the older head: pulling it again is no rollback. */
	p->opts.allow_rewind = 0;
	assert_int_equal(pull(p, p->h.member), 0);
	assert_int_equal(p->result.outcome, SANCTUM_PULL_UP_TO_DATE);
	assert_int_equal(p->result.rewound, 0);
}

/* The host force-pushes a rewritten history (same root, other commits) after N recorded
 * a head from it. */
static void test_pull__rewritten_history(void **state)
{
	pull_fixture *p = *state;
	git_oid fork = parent_of(&p->h, &p->shared);
	git_tree_update u;

	force_main(&p->h, &fork);
	u = honest_new_doc(&p->h);
	commit_signed(&p->h, p->h.founder, &u, 1);
	u = honest_new_doc(&p->h);
	commit_signed(&p->h, p->h.founder, &u, 1);
	expect_refused(p, p->h.member, SANCTUM_EROLLBACK);

	/* Accepted when the group really rewound it: verified, then merged (by the founder:
	 * the member was not one yet where the rewritten history forks, see
	 * test_pull__member_merges_history_from_before_joining). */
	p->opts.allow_rewind = 1;
	expect_pulled(p, p->h.founder, SANCTUM_PULL_MERGED);
	assert_int_equal(p->result.rewound, 1);
	assert_int_equal(p->result.verified.commits, 2);
}

/*
 * Not hostile: a member added at commit 6 pulls a history that forked before commit 6
 * (another city's honest work, from a remote N has no record of yet). The pull merges it
 * with a merge commit the member signs, but verification wants a merge's signer active
 * in the rosters of both parents, and the member is not in the other one: N's own main
 * then fails sanctum_store_verify, and every copy it is pushed to refuses it.
 */
static void test_pull__member_merges_history_from_before_joining(void **state)
{
	pull_fixture *p = *state;
	git_oid fork = parent_of(&p->h, &p->shared);
	git_tree_update u;
	int rc;

	force_main(&p->h, &fork);
	u = honest_new_doc(&p->h);
	commit_signed(&p->h, p->h.founder, &u, 1);
	assert_int_equal(sanctum_remote_remove(p->node, REMOTE), 0);
	assert_int_equal(sanctum_remote_add(p->node, REMOTE, p->h.dir), 0);
	rc = pull(p, p->h.member);
	if (rc == 0) {
		/* Merged: then what it made must verify. */
		assert_int_equal(p->result.outcome, SANCTUM_PULL_MERGED);
		node_verifies(p);
	} else {
		/* Or refused before anything is written, saying why. */
		git_oid main_after = node_main(p);

		assert_int_equal(rc, SANCTUM_ECONFLICT);
		assert_oid(&p->shared, &main_after, "N's main after a refused merge");
	}
}

/* ---- commits nobody may make ------------------------------------------------------------- */

static void test_pull__commit_signed_by_a_non_member(void **state)
{
	pull_fixture *p = *state;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	git_tree_update u = honest_new_doc(&p->h);
	git_oid commit = commit_signed(&p->h, p->h.stranger, &u, 1);

	fingerprint_of(fingerprint, p->h.stranger);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, "", "not a member");
	expect_problem(&p->h, &commit, "", fingerprint);
}

/*
 * A member rewrites the founder's document a: rev 3, claiming the founder as its author,
 * with the founder's genuine signature block of rev 2 over the member's text.
 */
static void test_pull__forged_inner_signature(void **state)
{
	pull_fixture *p = *state;
	static const char end[] = "-----END SSH SIGNATURE-----\n";
	sanctum_buf genuine = SANCTUM_BUF_INIT, plain = SANCTUM_BUF_INIT;
	sanctum_doc doc = SANCTUM_DOC_INIT;
	git_oid rev2, commit;
	git_tree_update u;
	uint64_t rev;
	char *a, *b;

	assert_int_equal(blob_at(&rev2, p->h.host, p->h.path_a), 0);
	revision_plaintext(&p->h, &rev2, &genuine);
	memcpy(doc.id, p->h.a, SANCTUM_DOC_ID_SIZE);
	current_hash(&p->h, p->h.a, doc.parent, &rev);
	assert_int_equal(rev, 2);
	doc.rev = 3;
	doc.has_parent = 1;
	doc.time = (int64_t)time(NULL);
	assert_int_equal(sanctum_doc_set_title(&doc, "Alpha"), 0);
	assert_int_equal(sanctum_doc_set_type(&doc, "text/plain"), 0);
	assert_int_equal(sanctum_buf_puts(&doc.body, "alpha, as the member would have it"), 0);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, p->h.founder), 0);
	a = strstr((char *)genuine.ptr, end);
	b = strstr((char *)plain.ptr, end);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a - (char *)genuine.ptr, b - (char *)plain.ptr);
	memcpy(plain.ptr, genuine.ptr, (size_t)(a - (char *)genuine.ptr));
	u = upsert(p->h.path_a, encrypt_to_epoch(&p->h, plain.ptr, plain.size));
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&genuine);
	sanctum_doc_dispose(&doc);
	commit = commit_signed(&p->h, p->h.member, &u, 1);

	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, p->h.path_a, "signature does not verify");
}

/* a's rev-1 file again, over its rev 2, in a member's commit. */
static void test_pull__old_revision_replayed(void **state)
{
	pull_fixture *p = *state;
	git_tree_update u = upsert(p->h.path_a, p->h.a_rev1);
	git_oid commit = commit_signed(&p->h, p->h.member, &u, 1);

	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, p->h.path_a, "does not extend");
}

/*
 * The same replay through a merge: the member merges main with an older commit of the
 * same history (a's rev 1) and takes a's file from that side. The merge rules let a merge
 * take "the blob parent 2 has", so rev 2 -> rev 1 is not judged at all.
 */
static void test_pull__old_revision_replayed_through_a_merge(void **state)
{
	pull_fixture *p = *state;
	git_oid head = head_id(&p->h), old = head, merge, in_old;
	git_tree_update u[1];

	/* Commit 4 wrote a's rev 2; commit 3 still has rev 1. */
	while (seq_of(&p->h, &old) > 3)
		old = parent_of(&p->h, &old);
	in_old = blob_in(&p->h, &old, p->h.path_a);
	assert_oid(&p->h.a_rev1, &in_old, "a in commit 3");
	u[0] = upsert(p->h.path_a, p->h.a_rev1);
	merge = merge_by_hand(&p->h, &head, &old, u, 1);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	expect_problem_at(&p->h, &merge);
}

/* The same with two concurrent commits: the merge drops the founder's rev 3 of a (made on
 * one side) by keeping the other side's rev 2, which nothing judges either. */
static void test_pull__merge_drops_a_concurrent_revision(void **state)
{
	pull_fixture *p = *state;
	unsigned char hash[SANCTUM_DOC_HASH_SIZE];
	char path[48];
	git_tree_update xu, yu;
	git_oid x, y, merge;
	uint64_t rev;

	current_hash(&p->h, p->h.a, hash, &rev);
	xu = upsert(p->h.path_a, sealed_revision_with(&p->h, p->h.a, rev + 1, hash, NULL,
	                                              "alpha, third words", p->h.founder, NULL));
	yu = new_doc_by(&p->h, path, p->h.member);
	diverge(&p->h, &x, &xu, 1, &y, &yu, 1);
	/* Y first: its tree keeps a's rev 2; X's rev 3 is silently left out. */
	merge = merge_by_hand(&p->h, &y, &x, NULL, 0);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	expect_problem_at(&p->h, &merge);
}

/* ---- membership --------------------------------------------------------------------------- */

/*
 * The founder removes the member on one side; a merge made by hand keeps the other
 * side's roster, which does not have the removal. Verification lets a merge keep its
 * first parent's roster without asking whether the second parent's is longer, so the
 * removal is silently undone and the removed member is active again at the head.
 */
static void test_pull__merge_drops_a_member_removal(void **state)
{
	pull_fixture *p = *state;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE], path[48];
	git_oid base = head_id(&p->h), x, y, merge;
	git_tree_update yu;

	fingerprint_of(fingerprint, p->h.member);
	assert_int_equal(sanctum_store_member_remove(p->h.store, fingerprint, p->h.founder, NULL), 0);
	x = head_id(&p->h);
	force_main(&p->h, &base);
	yu = new_doc_by(&p->h, path, p->h.founder);
	y = commit_signed(&p->h, p->h.founder, &yu, 1);
	merge = merge_by_hand(&p->h, &y, &x, NULL, 0);
	expect_refused(p, p->h.founder, SANCTUM_EVERIFY);
	expect_problem_at(&p->h, &merge);
}

/* A roster entry appended by a member who is not an admin. */
static void test_pull__roster_entry_by_a_non_admin(void **state)
{
	pull_fixture *p = *state;
	git_tree_update u = upsert("roster/000003", roster_entry(&p->h, p->h.stranger, 1,
	                                                         p->h.member));
	git_oid commit = commit_signed(&p->h, p->h.member, &u, 1);

	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, "roster/000003", "not signed by an active admin");
}

/* A roster entry appended that a non-member signed (adding itself, as an admin). */
static void test_pull__roster_entry_by_a_non_member(void **state)
{
	pull_fixture *p = *state;
	git_tree_update u = upsert("roster/000003", roster_entry(&p->h, p->h.stranger, 1,
	                                                         p->h.stranger));
	git_oid commit = commit_signed(&p->h, p->h.member, &u, 1);

	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, "roster/000003", "admin");
}

/*
 * The founder removes the member (commit R); the member then signs a commit whose parent
 * is R, dated a day before R. Membership is judged by the roster of the parent, never by
 * the dates a signer chose.
 */
static void test_pull__removed_member_backdates_a_commit(void **state)
{
	pull_fixture *p = *state;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE], message[128], path[48];
	git_commit *removal_commit = NULL;
	git_tree_update u;
	git_oid removed, commit;
	int64_t when;

	fingerprint_of(fingerprint, p->h.member);
	assert_int_equal(sanctum_store_member_remove(p->h.store, fingerprint, p->h.founder, NULL), 0);
	removed = head_id(&p->h);
	assert_int_equal(git_commit_lookup(&removal_commit, p->h.host, &removed), 0);
	when = (int64_t)git_commit_time(removal_commit) - 86400;
	git_commit_free(removal_commit);
	u = new_doc_by(&p->h, path, p->h.member);
	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, seq_of(&p->h, &removed) + 1);
	commit = commit_by_hand_on(&p->h, &removed, 1, &u, 1, message, p->h.member, p->h.member,
	                           "git", when);

	expect_refused(p, p->h.founder, SANCTUM_EVERIFY);
	expect_problem(&p->h, &commit, "", "not a member at that point");
	expect_problem(&p->h, &commit, path, "not a member at that point");
	/* The removal alone was fine: it was verified, and only the member's commit refused. */
	assert_int_equal(p->result.verified.commits, 2);
}

/* ---- commits out of place --------------------------------------------------------------- */

/* A commit the member signed for another branch, moved onto main. */
static void test_pull__commit_from_another_branch(void **state)
{
	pull_fixture *p = *state;
	char message[128], path[48];
	git_tree_update u = new_doc_by(&p->h, path, p->h.member);
	git_oid commit;

	usual_message(message, sizeof(message), "drafts", head_seq(&p->h) + 1);
	commit = commit_by_hand(&p->h, &u, 1, message, p->h.member, p->h.member, "git");
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, "", "not made for branch 'main'");
}

/* A commit repeating its parent's sequence number. */
static void test_pull__replayed_sequence_number(void **state)
{
	pull_fixture *p = *state;
	char message[128], path[48];
	git_tree_update u = new_doc_by(&p->h, path, p->h.member);
	git_oid commit;

	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, head_seq(&p->h));
	commit = commit_by_hand(&p->h, &u, 1, message, p->h.member, p->h.member, "git");
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, "", "sequence number");
}

/* ---- unrelated histories ------------------------------------------------------------------ */

/* A remote holding another group's store, pulled for the first time (no record yet). */
static void test_pull__another_groups_store(void **state)
{
	pull_fixture *p = *state;
	char other[PATH_MAX];
	git_commit *head = NULL;
	git_oid quarantined, root;

	other_group(p, "other", other);
	assert_int_equal(sanctum_remote_add(p->node, "elsewhere", other), 0);
	expect_refused_from(p, "elsewhere", p->h.member, SANCTUM_EVERIFY, 1);
	assert_true(node_ref(p, "refs/sanctum/quarantine/elsewhere", &quarantined));
	assert_int_equal(git_commit_lookup(&head, p->node_repo, &quarantined), 0);
	root = *git_commit_parent_id(head, 0);
	git_commit_free(head);
	expect_problem(&p->h, &root, "", "second root");
	expect_problem(&p->h, &root, "group", "not the one this store belongs to");
}

/* The host replaces main with another group's history: a rollback first (it does not
 * contain the verified head), and with allow_rewind still refused by verification. */
static void test_pull__host_serves_another_groups_history(void **state)
{
	pull_fixture *p = *state;
	char other[PATH_MAX];
	git_oid head, root;

	other_group(p, "other", other);
	head = import_main(&p->h, other);
	root = parent_of(&p->h, &head);
	force_main(&p->h, &head);
	expect_refused(p, p->h.member, SANCTUM_EROLLBACK);

	p->opts.allow_rewind = 1;
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	expect_problem(&p->h, &root, "", "second root");
	expect_problem(&p->h, &root, "group", "not the one this store belongs to");
}

/* Another group's history grafted onto main by a merge the founder signed. */
static void test_pull__another_groups_history_merged_in(void **state)
{
	pull_fixture *p = *state;
	char other[PATH_MAX];
	git_oid head = head_id(&p->h), theirs, root, merge;

	other_group(p, "other", other);
	theirs = import_main(&p->h, other);
	root = parent_of(&p->h, &theirs);
	merge = merge_by_hand(&p->h, &head, &theirs, NULL, 0);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	expect_problem(&p->h, &root, "", "second root");
	expect_problem(&p->h, &root, "group", "not the one this store belongs to");
	expect_problem(&p->h, &merge, "", "a merge of two unrelated histories");
}

/* A second root of this very group (the founding files again, re-signed by the founder),
 * merged in: one history only. */
static void test_pull__second_root_of_the_same_group(void **state)
{
	pull_fixture *p = *state;
	git_oid head = head_id(&p->h), first = root_of(&p->h), second, merge;
	git_tree_update u[3];
	char message[128];

	u[0] = upsert("group", blob_in(&p->h, &first, "group"));
	u[1] = upsert("roster/000001", blob_in(&p->h, &first, "roster/000001"));
	u[2] = upsert("epochs/000001.age", blob_in(&p->h, &first, "epochs/000001.age"));
	usual_message(message, sizeof(message), SANCTUM_STORE_BRANCH, 1);
	second = commit_by_hand_on(&p->h, NULL, 0, u, 3, message, p->h.founder, p->h.founder,
	                           "git", (int64_t)time(NULL) - 1000);
	assert_false(git_oid_equal(&first, &second));
	merge = merge_by_hand(&p->h, &head, &second, NULL, 0);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 2);
	expect_problem(&p->h, &second, "", "second root");
	expect_problem(&p->h, &merge, "", "a merge of two unrelated histories");
}

/* ---- hand-made merges ---------------------------------------------------------------------- */

/* Control: a merge made by hand that follows the rules is accepted (so the refusals below
 * are for what each breaks, not for how the builder makes merges). */
static void test_pull__hand_made_merge_that_follows_the_rules(void **state)
{
	pull_fixture *p = *state;
	unsigned char base[SANCTUM_DOC_HASH_SIZE], hx[SANCTUM_DOC_HASH_SIZE],
		hy[SANCTUM_DOC_HASH_SIZE];
	const unsigned char *first, *second;
	git_tree_update xu, yu, mu;
	git_oid x, y;
	uint64_t rev;

	current_hash(&p->h, p->h.c, base, &rev);
	xu = upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 1, base, NULL,
	                                              "charlie, by the founder", p->h.founder, hx));
	yu = upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 1, base, NULL,
	                                              "charlie, by the member", p->h.member, hy));
	diverge(&p->h, &x, &xu, 1, &y, &yu, 1);
	first = memcmp(hx, hy, sizeof(hx)) < 0 ? hx : hy;
	second = first == hx ? hy : hx;
	mu = upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 2, first, second,
	                                              "charlie, merged", p->h.founder, NULL));
	merge_by_hand(&p->h, &y, &x, &mu, 1);
	expect_pulled(p, p->h.member, SANCTUM_PULL_FAST_FORWARD);
	assert_int_equal(p->result.verified.commits, 3);
}

/* A merged revision that names one parent's revision and not the other's. */
static void test_pull__merge_with_a_revision_not_naming_both_parents(void **state)
{
	pull_fixture *p = *state;
	unsigned char base[SANCTUM_DOC_HASH_SIZE], hx[SANCTUM_DOC_HASH_SIZE],
		hy[SANCTUM_DOC_HASH_SIZE], other[SANCTUM_DOC_HASH_SIZE];
	git_tree_update xu, yu, mu;
	git_oid x, y, merge;
	uint64_t rev;

	current_hash(&p->h, p->h.c, base, &rev);
	xu = upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 1, base, NULL,
	                                              "charlie, by the founder", p->h.founder, hx));
	yu = upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 1, base, NULL,
	                                              "charlie, by the member", p->h.member, hy));
	diverge(&p->h, &x, &xu, 1, &y, &yu, 1);
	/* Names the founder's revision and, instead of the member's, the revision both
	 * started from (the smaller hash first, as the format wants). */
	memcpy(other, base, sizeof(other));
	mu = memcmp(hx, other, sizeof(other)) < 0
	             ? upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 2, hx, other,
	                                                        "charlie, merged", p->h.founder,
	                                                        NULL))
	             : upsert(p->h.path_c, sealed_revision_with(&p->h, p->h.c, rev + 2, other, hx,
	                                                        "charlie, merged", p->h.founder,
	                                                        NULL));
	merge = merge_by_hand(&p->h, &y, &x, &mu, 1);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	/* The member's revision is also left out of the tree: both rules see it. */
	assert_int_equal(p->h.calls, 2);
	expect_problem(&p->h, &merge, p->h.path_c, "does not name the revisions of both parents");
	expect_problem(&p->h, &merge, p->h.path_c, "left out revision");
}

/* A merge adding a conflicts/ file that neither parent had as the document's revision. */
static void test_pull__merge_adds_a_conflict_neither_parent_had(void **state)
{
	pull_fixture *p = *state;
	unsigned char hash[SANCTUM_DOC_HASH_SIZE];
	char xpath[48], ypath[48], cpath[128];
	git_tree_update xu, yu, mu[2];
	git_oid x, y, merge;

	xu = new_doc_by(&p->h, xpath, p->h.founder);
	yu = new_doc_by(&p->h, ypath, p->h.member);
	diverge(&p->h, &x, &xu, 1, &y, &yu, 1);
	revision_hash(&p->h, &p->h.a_rev1, p->h.a, hash);
	conflict_path(cpath, p->h.a, hash);
	mu[0] = xu;
	mu[1] = upsert(cpath, p->h.a_rev1);
	merge = merge_by_hand(&p->h, &y, &x, mu, 2);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &merge, cpath, "neither parent had");
}

/* The path of the one conflict file H's main holds for document `id`. */
static void find_conflict(fixture *h, const unsigned char id[SANCTUM_DOC_ID_SIZE], char out[128])
{
	char id_hex[2 * SANCTUM_DOC_ID_SIZE + 1], dir[64];
	git_commit *head = NULL;
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *entry = NULL;
	git_oid oid = head_id(h);

	sanctum_doc_id_to_hex(id_hex, id);
	snprintf(dir, sizeof(dir), "conflicts/%.2s/%s", id_hex, id_hex);
	assert_int_equal(git_commit_lookup(&head, h->host, &oid), 0);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	assert_int_equal(git_tree_entry_bypath(&entry, tree, dir), 0);
	assert_int_equal(git_tree_lookup(&sub, h->host, git_tree_entry_id(entry)), 0);
	assert_int_equal(git_tree_entrycount(sub), 1);
	snprintf(out, 128, "%s/%s", dir, git_tree_entry_name(git_tree_entry_byindex(sub, 0)));
	git_tree_free(sub);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(head);
}

/*
 * A conflict on a, made honestly (N merges both cities' edits and pushes the merge to H);
 * then a commit, and a merge, that remove the conflict file without a new revision of a.
 */
static void test_pull__conflict_removed_without_resolving(void **state)
{
	pull_fixture *p = *state;
	sanctum_new_doc host_edit = new_doc(NULL, "alpha, as the host's city wrote it");
	sanctum_new_doc node_edit = new_doc(NULL, "alpha, as the node's city wrote it");
	sanctum_push_result pushed;
	char cpath[128], xpath[48], ypath[48];
	git_tree_update u, xu, yu, mu[2];
	git_oid resolved, x, y, merge, commit;

	assert_int_equal(sanctum_store_update(p->h.store, p->h.a, &host_edit, p->h.founder), 0);
	assert_int_equal(sanctum_store_update(p->node, p->h.a, &node_edit, p->h.member), 0);
	expect_pulled(p, p->h.member, SANCTUM_PULL_MERGED);
	assert_int_equal(p->result.conflicts, 1);
	assert_int_equal(sanctum_store_push(&pushed, p->node, REMOTE, &p->opts), 0);
	resolved = head_id(&p->h);
	find_conflict(&p->h, p->h.a, cpath);

	/* 1. A plain commit by the member. */
	u = removal(cpath);
	commit = commit_signed(&p->h, p->h.member, &u, 1);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &commit, cpath, "removed without resolving its document");

	/* 2. A merge of two sides that both still have it. */
	force_main(&p->h, &resolved);
	xu = new_doc_by(&p->h, xpath, p->h.founder);
	yu = new_doc_by(&p->h, ypath, p->h.member);
	diverge(&p->h, &x, &xu, 1, &y, &yu, 1);
	mu[0] = xu;
	mu[1] = removal(cpath);
	merge = merge_by_hand(&p->h, &y, &x, mu, 2);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &merge, cpath, "removed without resolving its document");
}

/* A merge that writes its own roster entry (a valid one, by the founder). */
static void test_pull__merge_writes_a_roster_entry(void **state)
{
	pull_fixture *p = *state;
	char xpath[48], ypath[48];
	git_tree_update xu, yu, mu[2];
	git_oid x, y, merge;

	xu = new_doc_by(&p->h, xpath, p->h.founder);
	yu = new_doc_by(&p->h, ypath, p->h.member);
	diverge(&p->h, &x, &xu, 1, &y, &yu, 1);
	mu[0] = xu;
	mu[1] = upsert("roster/000003", roster_entry(&p->h, p->h.stranger, 1, p->h.founder));
	merge = merge_by_hand(&p->h, &y, &x, mu, 2);
	expect_refused(p, p->h.member, SANCTUM_EVERIFY);
	assert_int_equal(p->h.calls, 1);
	expect_problem(&p->h, &merge, "roster", "beyond taking one parent's");
}

/* ---- the transfer ------------------------------------------------------------------------- */

/* A remote with many documents, fetched with a limit of 1 byte: stopped, nothing moved. */
static void test_pull__fetch_limit(void **state)
{
	pull_fixture *p = *state;
	enum { MANY = 40 };
	static unsigned char ids[MANY][SANCTUM_DOC_ID_SIZE];
	sanctum_new_doc docs[MANY];
	char bodies[MANY][2049];
	git_oid before = node_main(p);

	for (size_t i = 0; i < MANY; i++) {
		unsigned char raw[1024];

		randombytes_buf(raw, sizeof(raw));
		sanctum_hex_encode(bodies[i], raw, sizeof(raw));
		docs[i] = new_doc("Bulk", bodies[i]);
	}
	assert_int_equal(sanctum_store_add(p->h.store, ids, docs, MANY, p->h.founder), 0);

	p->opts.max_fetch_bytes = 1;
	expect_refused_from(p, REMOTE, p->h.member, SANCTUM_ENETWORK, 0);
	if (!strstr(p->message, "more than 1 bytes"))
		fail_msg("the message does not name the limit: %s", p->message);

	p->opts.max_fetch_bytes = 4096;
	expect_refused_from(p, REMOTE, p->h.member, SANCTUM_ENETWORK, 0);
	if (!strstr(p->message, "more than 4096 bytes"))
		fail_msg("the message does not name the limit: %s", p->message);
	{
		git_oid after = node_main(p);
		assert_oid(&before, &after, "N's main");
	}

	/* Without the limit, the same pull goes through. */
	p->opts.max_fetch_bytes = 0;
	expect_pulled(p, p->h.member, SANCTUM_PULL_FAST_FORWARD);
	assert_int_equal(p->result.verified.documents, MANY);
}

/* A remote with no main: nothing to pull, nothing changed. */
static void test_pull__remote_without_main(void **state)
{
	pull_fixture *p = *state;
	git_repository *empty = NULL;
	char path[PATH_MAX + 16];
	git_oid before = node_main(p), after;

	snprintf(path, sizeof(path), "%s/empty.git", p->h.root);
	assert_int_equal(git_repository_init(&empty, path, 1), 0);
	git_repository_free(empty);
	assert_int_equal(sanctum_remote_add(p->node, "empty", path), 0);
	assert_int_equal(pull_from(p, "empty", p->h.member), 0);
	assert_int_equal(p->result.outcome, SANCTUM_PULL_EMPTY);
	after = node_main(p);
	assert_oid(&before, &after, "N's main");
	assert_no_ref(p, "refs/sanctum/quarantine/empty");
	assert_no_ref(p, "refs/sanctum/verified/empty");
}

/* No such remote, and a remote whose folder does not exist. */
static void test_pull__unknown_or_missing_remote(void **state)
{
	pull_fixture *p = *state;
	char path[PATH_MAX + 16];

	expect_refused_from(p, "nowhere", p->h.member, SANCTUM_ENOTFOUND, 0);
	if (!strstr(p->message, "no remote 'nowhere'"))
		fail_msg("unexpected message: %s", p->message);

	/* Adding a folder that does not exist is refused; one that goes away later fails
	 * the pull. */
	snprintf(path, sizeof(path), "%s/gone", p->h.root);
	assert_int_equal(sanctum_remote_add(p->node, "gone", path), SANCTUM_EINVALID);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(sanctum_remote_add(p->node, "gone", path), 0);
	assert_int_equal(rmdir(path), 0);
	expect_refused_from(p, "gone", p->h.member, SANCTUM_ENETWORK, 0);
	if (!strstr(p->message, "'gone'") || !strstr(p->message, "no such folder"))
		fail_msg("the message does not name the remote and the problem: %s", p->message);
}

#define PULL_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PULL_TEST(test_pull__honest_commit_fast_forwards),
		PULL_TEST(test_pull__honest_concurrent_changes_merge),
		PULL_TEST(test_pull__honest_conflict_merges),
		PULL_TEST(test_pull__unsigned_commit_rewrites_a_document),
		PULL_TEST(test_pull__signature_reused_on_another_tree),
		PULL_TEST(test_pull__member_commit_with_a_random_document),
		PULL_TEST(test_pull__bare_deletion),
		PULL_TEST(test_pull__rewind_after_a_pull),
		PULL_TEST(test_pull__rewritten_history),
		PULL_TEST(test_pull__member_merges_history_from_before_joining),
		PULL_TEST(test_pull__commit_signed_by_a_non_member),
		PULL_TEST(test_pull__forged_inner_signature),
		PULL_TEST(test_pull__old_revision_replayed),
		PULL_TEST(test_pull__old_revision_replayed_through_a_merge),
		PULL_TEST(test_pull__merge_drops_a_concurrent_revision),
		PULL_TEST(test_pull__merge_drops_a_member_removal),
		PULL_TEST(test_pull__roster_entry_by_a_non_admin),
		PULL_TEST(test_pull__roster_entry_by_a_non_member),
		PULL_TEST(test_pull__removed_member_backdates_a_commit),
		PULL_TEST(test_pull__commit_from_another_branch),
		PULL_TEST(test_pull__replayed_sequence_number),
		PULL_TEST(test_pull__another_groups_store),
		PULL_TEST(test_pull__host_serves_another_groups_history),
		PULL_TEST(test_pull__another_groups_history_merged_in),
		PULL_TEST(test_pull__second_root_of_the_same_group),
		PULL_TEST(test_pull__hand_made_merge_that_follows_the_rules),
		PULL_TEST(test_pull__merge_with_a_revision_not_naming_both_parents),
		PULL_TEST(test_pull__merge_adds_a_conflict_neither_parent_had),
		PULL_TEST(test_pull__conflict_removed_without_resolving),
		PULL_TEST(test_pull__merge_writes_a_roster_entry),
		PULL_TEST(test_pull__fetch_limit),
		PULL_TEST(test_pull__remote_without_main),
		PULL_TEST(test_pull__unknown_or_missing_remote),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	sanctum_shutdown();
	return failed;
}

/*
 * Hostile histories for the unit tests (hostile.h): the fixture store and builders that
 * write into its repository with libgit2 directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "sanctum/errors.h"
#include "sanctum/members.h"
#include "sanctum/store.h"
#include "sanctum/verify.h"

#include "store_internal.h"
#include "store_members_internal.h"

#include "fixture.h"
#include "hostile.h"

/* ---- folders ---------------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out, rc = 0;

	if (in < 0)
		return -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL, mode & 07777)) < 0) {
		close(in);
		return -1;
	}
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 || write(out, buf, (size_t)n) != n)
			rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

int copy_tree(const char *from, const char *to)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char a[PATH_MAX], b[PATH_MAX];
	int rc = 0;

	if (lstat(from, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? copy_file(from, to, st.st_mode) : -1;
	if (mkdir(to, st.st_mode & 07777) != 0 || (d = opendir(from)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
		snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
		rc = copy_tree(a, b);
	}
	closedir(d);
	return rc;
}

/* ---- the fixture ------------------------------------------------------------------------ */

sanctum_new_doc new_doc(const char *title, const char *body)
{
	sanctum_new_doc d = { (const unsigned char *)body, strlen(body), title, NULL, 0,
	                      "text/plain" };
	return d;
}

int blob_at(git_oid *out, git_repository *repo, const char *path)
{
	git_reference *ref = NULL;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc = -1;

	if (git_reference_lookup(&ref, repo, MAIN_REF) == 0 &&
	    git_commit_lookup(&head, repo, git_reference_target(ref)) == 0 &&
	    git_commit_tree(&tree, head) == 0 && git_tree_entry_bypath(&entry, tree, path) == 0) {
		*out = *git_tree_entry_id(entry);
		rc = 0;
	}
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(head);
	git_reference_free(ref);
	return rc;
}

/* The identities, and the history described in hostile.h, in f->dir. */
static int make_history(fixture *f)
{
	unsigned char ids[2][SANCTUM_DOC_ID_SIZE];
	sanctum_new_doc docs[2];
	char git_dir[PATH_MAX + 16];

	docs[0] = new_doc("Alpha", "alpha, first words");
	docs[1] = new_doc("Bravo", "bravo");
	if (sanctum_identity_generate(&f->founder, "aldport", "server") < 0 ||
	    sanctum_identity_generate(&f->stranger, "elsewhere", "laptop") < 0 ||
	    sanctum_identity_generate(&f->member, "bayview", "server") < 0 ||
	    sanctum_store_init(&f->store, f->dir, GROUP, f->founder) < 0 ||
	    sanctum_store_add(f->store, ids, docs, 2, f->founder) < 0)
		return -1;
	memcpy(f->a, ids[0], SANCTUM_DOC_ID_SIZE);
	memcpy(f->b, ids[1], SANCTUM_DOC_ID_SIZE);
	sanctum_store__doc_path(f->path_a, f->a);
	sanctum_store__doc_path(f->path_b, f->b);
	if (blob_at(&f->a_rev1, f->store->repo, f->path_a) < 0)
		return -1;
	docs[0] = new_doc("Charlie", "charlie");
	if (sanctum_store_add(f->store, ids, docs, 1, f->founder) < 0)
		return -1;
	memcpy(f->c, ids[0], SANCTUM_DOC_ID_SIZE);
	sanctum_store__doc_path(f->path_c, f->c);
	docs[0] = new_doc(NULL, "alpha, second words");
	if (sanctum_store_update(f->store, f->a, &docs[0], f->founder) < 0 ||
	    sanctum_store_remove(f->store, f->b, f->founder) < 0)
		return -1;
	snprintf(git_dir, sizeof(git_dir), "%s/%s", f->dir, SANCTUM_STORE_DIRNAME);
	return git_repository_open_bare(&f->host, git_dir) < 0 ? -1 : 0;
}

int hostile_setup(fixture *f, const char *prefix, const char *subdir)
{
	if (make_temp_dir(f->root, sizeof(f->root), prefix) < 0)
		return -1;
	if (strlen(f->root) + 1 + (subdir ? strlen(subdir) : 0) >= sizeof(f->dir))
		return -1;
	memcpy(f->dir, f->root, strlen(f->root) + 1);
	if (subdir) {
		strncat(f->dir, "/", sizeof(f->dir) - strlen(f->dir) - 1);
		strncat(f->dir, subdir, sizeof(f->dir) - strlen(f->dir) - 1);
	}
	return make_history(f);
}

void hostile_teardown(fixture *f)
{
	git_repository_free(f->host);
	sanctum_store_free(f->store);
	sanctum_identity_free(f->founder);
	sanctum_identity_free(f->stranger);
	sanctum_identity_free(f->member);
	f->host = NULL;
	f->store = NULL;
	f->founder = f->stranger = f->member = NULL;
	if (f->root[0])
		remove_tree(f->root);
	f->root[0] = '\0';
}

/* ---- problems reported ------------------------------------------------------------------ */

int on_problem(const sanctum_verify_problem *p, void *payload)
{
	fixture *f = payload;

	assert_non_null(p->path);
	assert_non_null(p->message);
	assert_int_equal(strlen(p->commit), 40);
	assert_true(p->message[0] != '\0');
	f->calls++;
	if (f->nseen < MAX_SEEN) {
		seen_problem *s = &f->seen[f->nseen++];

		memset(s, 0, sizeof(*s));
		snprintf(s->commit, sizeof(s->commit), "%s", p->commit);
		snprintf(s->path, sizeof(s->path), "%s", p->path);
		snprintf(s->message, sizeof(s->message), "%s", p->message);
	}
	return f->stop_after && f->calls == f->stop_after ? -1 : 0;
}

void dump_seen(const fixture *f)
{
	for (size_t i = 0; i < f->nseen; i++)
		print_message("problem %zu: %s '%s': %s\n", i, f->seen[i].commit, f->seen[i].path,
		              f->seen[i].message);
}

void expect_problem(const fixture *f, const git_oid *commit, const char *path,
                    const char *fragment)
{
	char hex[41];

	git_oid_tostr(hex, sizeof(hex), commit);
	for (size_t i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i].commit, hex) == 0 && strcmp(f->seen[i].path, path) == 0 &&
		    strstr(f->seen[i].message, fragment))
			return;
	dump_seen(f);
	fail_msg("no problem at %s '%s' saying '%s'", hex, path, fragment);
}

/* ---- reading ---------------------------------------------------------------------------- */

git_oid head_id(fixture *f)
{
	git_oid oid;

	assert_int_equal(git_reference_name_to_id(&oid, f->host, MAIN_REF), 0);
	return oid;
}

uint64_t head_seq(fixture *f)
{
	git_commit *head = NULL;
	git_oid oid = head_id(f);
	uint64_t seq;

	assert_int_equal(git_commit_lookup(&head, f->host, &oid), 0);
	seq = sanctum_store__commit_seq(head);
	git_commit_free(head);
	return seq;
}

void head_roster(fixture *f, sanctum_roster *roster)
{
	git_commit *head = NULL;
	git_tree *tree = NULL;

	assert_int_equal(sanctum_store__head(&head, f->store), 0);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	assert_int_equal(sanctum_store__load_roster(roster, f->store, tree), 0);
	git_tree_free(tree);
	git_commit_free(head);
}

void current_hash(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                  unsigned char hash[SANCTUM_DOC_HASH_SIZE], uint64_t *rev)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;

	assert_int_equal(sanctum_store_read(&doc, f->store, id, f->founder), 0);
	memcpy(hash, doc.hash, SANCTUM_DOC_HASH_SIZE);
	*rev = doc.rev;
	sanctum_doc_dispose(&doc);
}

void revision_plaintext(fixture *f, const git_oid *blob, sanctum_buf *plain)
{
	const sanctum_age_identity *keys[8];
	sanctum_roster roster;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_blob *b = NULL;
	size_t n = 0;

	head_roster(f, &roster);
	assert_int_equal(sanctum_store__head(&head, f->store), 0);
	assert_int_equal(git_commit_tree(&tree, head), 0);
	for (size_t i = roster.nepochs; i > 0 && n < 8; i--)
		if (sanctum_store__epoch_key(&keys[n], f->store, &roster, tree,
		                             roster.epochs[i - 1].number, f->founder) == 0)
			n++;
	sanctum_error_clear();
	assert_true(n > 0);
	assert_int_equal(git_blob_lookup(&b, f->host, blob), 0);
	assert_int_equal(sanctum_age_decrypt(plain, keys, n, NULL, git_blob_rawcontent(b),
	                                     (size_t)git_blob_rawsize(b)),
	                 0);
	git_blob_free(b);
	git_tree_free(tree);
	git_commit_free(head);
	sanctum_roster__dispose(&roster);
}

void fingerprint_of(char out[SANCTUM_FINGERPRINT_SIZE], const sanctum_identity *who)
{
	sanctum_card card;

	sanctum_identity_card(&card, who);
	sanctum_key_fingerprint(out, card.signing_key);
}

/* ---- writing blobs and revisions -------------------------------------------------------- */

git_oid put_blob(fixture *f, const void *data, size_t len)
{
	git_oid oid;

	assert_int_equal(git_blob_create_from_buffer(&oid, f->host, data, len), 0);
	return oid;
}

git_tree_update upsert(const char *path, git_oid id)
{
	git_tree_update u;

	memset(&u, 0, sizeof(u));
	u.action = GIT_TREE_UPDATE_UPSERT;
	u.id = id;
	u.filemode = GIT_FILEMODE_BLOB;
	u.path = path;
	return u;
}

git_tree_update removal(const char *path)
{
	git_tree_update u;

	memset(&u, 0, sizeof(u));
	u.action = GIT_TREE_UPDATE_REMOVE;
	u.path = path;
	return u;
}

git_oid encrypt_to_epoch(fixture *f, const void *data, size_t len)
{
	sanctum_roster roster;
	sanctum_age_recipient *recipient = NULL;
	const sanctum_age_recipient *recipients[1];
	sanctum_buf sealed = SANCTUM_BUF_INIT;
	git_oid oid;

	head_roster(f, &roster);
	assert_int_equal(sanctum_age_recipient_from_x25519(
				 &recipient, sanctum_roster__current_epoch(&roster)->recipient),
	                 0);
	recipients[0] = recipient;
	assert_int_equal(sanctum_age_encrypt(&sealed, recipients, 1, 0, data, len), 0);
	oid = put_blob(f, sealed.ptr, sealed.size);
	sanctum_buf_dispose(&sealed);
	sanctum_age_recipient_free(recipient);
	sanctum_roster__dispose(&roster);
	return oid;
}

git_oid sealed_revision_with(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                             uint64_t rev, const unsigned char *parent,
                             const unsigned char *merged, const char *body,
                             const sanctum_identity *signer,
                             unsigned char hash[SANCTUM_DOC_HASH_SIZE])
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	git_oid oid;

	memcpy(doc.id, id, SANCTUM_DOC_ID_SIZE);
	doc.rev = rev;
	doc.has_parent = parent != NULL;
	if (parent)
		memcpy(doc.parent, parent, SANCTUM_DOC_HASH_SIZE);
	doc.has_merged = merged != NULL;
	if (merged)
		memcpy(doc.merged, merged, SANCTUM_DOC_HASH_SIZE);
	doc.time = (int64_t)time(NULL);
	assert_int_equal(sanctum_doc_set_title(&doc, "Forged"), 0);
	assert_int_equal(sanctum_doc_set_type(&doc, "text/plain"), 0);
	assert_int_equal(sanctum_buf_put(&doc.body, body, strlen(body)), 0);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), 0);
	if (hash)
		memcpy(hash, doc.hash, SANCTUM_DOC_HASH_SIZE);
	oid = encrypt_to_epoch(f, plain.ptr, plain.size);
	sanctum_buf_dispose(&plain);
	sanctum_doc_dispose(&doc);
	return oid;
}

git_oid sealed_revision(fixture *f, const unsigned char id[SANCTUM_DOC_ID_SIZE], uint64_t rev,
                        const unsigned char *parent, const sanctum_identity *signer)
{
	return sealed_revision_with(f, id, rev, parent, NULL, "a forged body", signer, NULL);
}

git_oid roster_entry(fixture *f, const sanctum_identity *who, int admin,
                     const sanctum_identity *signer)
{
	sanctum_roster roster;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	sanctum_card card;
	git_oid oid;

	sanctum_identity_card(&card, who);
	head_roster(f, &roster);
	{
		sanctum_roster_change change = { .op = "add", .card = &card, .admin = admin,
		                                 .history = 1 };

		assert_int_equal(sanctum_roster__write_entry(&entry, &roster, &change, signer), 0);
	}
	oid = put_blob(f, entry.ptr, entry.size);
	sanctum_buf_dispose(&entry);
	sanctum_roster__dispose(&roster);
	return oid;
}

void random_doc_path(char out[48], unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	sanctum_doc_new_id(id);
	sanctum_store__doc_path(out, id);
}

git_tree_update honest_new_doc(fixture *f)
{
	unsigned char id[SANCTUM_DOC_ID_SIZE];

	random_doc_path(f->new_path, id);
	return upsert(f->new_path, sealed_revision(f, id, 1, NULL, f->founder));
}

/* ---- commits ---------------------------------------------------------------------------- */

git_oid commit_signed(fixture *f, const sanctum_identity *who, const git_tree_update *updates,
                      size_t n)
{
	git_commit *head = NULL;
	git_oid oid;

	assert_int_equal(sanctum_store__head(&head, f->store), 0);
	assert_int_equal(sanctum_store__commit(&oid, f->store, head, updates, n, who,
	                                       "sanctum: 1 updated"),
	                 0);
	git_commit_free(head);
	assert_false(git_oid_is_zero(&oid));
	return oid;
}

void usual_message(char *out, size_t cap, const char *branch, uint64_t seq)
{
	snprintf(out, cap, "sanctum: 1 updated\n\nSanctum-Branch: %s\nSanctum-Seq: %llu\n", branch,
	         (unsigned long long)seq);
}

void force_main(fixture *f, const git_oid *commit)
{
	git_reference *ref = NULL;

	assert_int_equal(git_reference_create(&ref, f->host, MAIN_REF, commit, 1, "host: forced"),
	                 0);
	git_reference_free(ref);
}

git_oid commit_by_hand_on(fixture *f, const git_oid *parent_ids, size_t nparents,
                          const git_tree_update *updates, size_t n, const char *message,
                          const sanctum_identity *as, const sanctum_identity *signer,
                          const char *namespace, int64_t when)
{
	git_commit *parents[2] = { NULL, NULL };
	git_tree *base = NULL, *tree = NULL;
	git_treebuilder *empty = NULL;
	git_signature *who = NULL;
	git_oid tree_oid, out;
	char name[2 * SANCTUM_NAME_MAX + 2], fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_card card;

	assert_true(nparents <= 2);
	sanctum_identity_card(&card, as);
	sanctum_key_fingerprint(fingerprint, card.signing_key);
	snprintf(name, sizeof(name), "%s/%s", card.city, card.device);
	assert_int_equal(git_signature_new(&who, name, fingerprint, (git_time_t)when, 0), 0);
	for (size_t i = 0; i < nparents; i++)
		assert_int_equal(git_commit_lookup(&parents[i], f->host, &parent_ids[i]), 0);
	if (nparents) {
		assert_int_equal(git_commit_tree(&base, parents[0]), 0);
	} else {
		assert_int_equal(git_treebuilder_new(&empty, f->host, NULL), 0);
		assert_int_equal(git_treebuilder_write(&tree_oid, empty), 0);
		assert_int_equal(git_tree_lookup(&base, f->host, &tree_oid), 0);
		git_treebuilder_free(empty);
	}
	assert_int_equal(git_tree_create_updated(&tree_oid, f->host, base, n, updates), 0);
	assert_int_equal(git_tree_lookup(&tree, f->host, &tree_oid), 0);
	if (signer) {
		git_buf content = GIT_BUF_INIT;
		sanctum_buf sig = SANCTUM_BUF_INIT;

		assert_int_equal(git_commit_create_buffer(&content, f->host, who, who, NULL, message,
		                                          tree, nparents,
		                                          (const git_commit **)parents),
		                 0);
		assert_int_equal(sanctum_identity_sign(&sig, signer, namespace, content.ptr,
		                                       content.size),
		                 0);
		if (sig.size && sig.ptr[sig.size - 1] == '\n')
			sig.ptr[--sig.size] = '\0';
		assert_int_equal(git_commit_create_with_signature(&out, f->host, content.ptr,
		                                                  (const char *)sig.ptr, "gpgsig"),
		                 0);
		sanctum_buf_dispose(&sig);
		git_buf_dispose(&content);
	} else {
		assert_int_equal(git_commit_create(&out, f->host, NULL, who, who, NULL, message, tree,
		                                   nparents, (const git_commit **)parents),
		                 0);
	}
	force_main(f, &out);
	git_tree_free(tree);
	git_tree_free(base);
	for (size_t i = 0; i < nparents; i++)
		git_commit_free(parents[i]);
	git_signature_free(who);
	return out;
}

git_oid commit_by_hand(fixture *f, const git_tree_update *updates, size_t n,
                       const char *message, const sanctum_identity *as,
                       const sanctum_identity *signer, const char *namespace)
{
	git_oid head = head_id(f);

	return commit_by_hand_on(f, &head, 1, updates, n, message, as, signer, namespace,
	                         (int64_t)time(NULL));
}

void add_member(fixture *f, const sanctum_identity *who, int admin)
{
	sanctum_member_add_options opts = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	sanctum_card card;

	opts.admin = admin;
	sanctum_identity_card(&card, who);
	assert_int_equal(sanctum_store_member_add(f->store, &card, &opts, f->founder, NULL), 0);
}

/*
 * Verifying main's history commit by commit, oldest first. Each commit is judged by the
 * roster as of its parent (never by dates a signer chose) and only what it changed is
 * read: the diff of its tree against its parent's.
 */
#include "verify_internal.h"

#include "errors_internal.h"
#include "signed_file.h"
#include "tree_changes.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reporting ---- */

void sanctum_verify__problem(verifier *v, const git_oid *commit, const char *path,
                             const char *fmt, ...)
{
	sanctum_verify_problem p;
	char message[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	git_oid_tostr(p.commit, sizeof(p.commit), commit);
	p.path = path ? path : "";
	p.message = message;
	v->stats->problems++;
	if (v->fn && v->fn(&p, v->payload) < 0)
		v->stopped = 1;
}

/* ---- commit → roster map (open addressing on the oid's first bytes) ---- */

static size_t slot_of(const verifier *v, const git_oid *oid)
{
	size_t h;

	memcpy(&h, oid->id, sizeof(h));
	return h & (v->commits_cap - 1);
}

static int remember(verifier *v, const git_oid *commit, size_t roster)
{
	if ((v->ncommits + 1) * 2 > v->commits_cap) {
		commit_state *old = v->commits;
		size_t old_cap = v->commits_cap;

		v->commits_cap = old_cap ? old_cap * 2 : 1024;
		v->commits = calloc(v->commits_cap, sizeof(*v->commits));
		if (!v->commits) {
			v->commits = old;
			v->commits_cap = old_cap;
			return sanctum_error__nomem();
		}
		v->ncommits = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (!git_oid_is_zero(&old[i].commit))
				remember(v, &old[i].commit, old[i].roster);
		free(old);
	}
	for (size_t s = slot_of(v, commit);; s = (s + 1) & (v->commits_cap - 1)) {
		if (git_oid_is_zero(&v->commits[s].commit)) {
			v->commits[s].commit = *commit;
			v->commits[s].roster = roster;
			v->ncommits++;
			return 0;
		}
	}
}

static const sanctum_roster *roster_of(const verifier *v, const git_oid *commit)
{
	if (!v->commits_cap)
		return NULL;
	for (size_t s = slot_of(v, commit);; s = (s + 1) & (v->commits_cap - 1)) {
		if (git_oid_is_zero(&v->commits[s].commit))
			return NULL;
		if (git_oid_equal(&v->commits[s].commit, commit))
			return &v->rosters[v->commits[s].roster];
	}
}

/* Keeps a copy of `roster` and returns its index. */
static int keep_roster(size_t *index, verifier *v, const sanctum_roster *roster)
{
	int error;

	if (v->nrosters == v->rosters_cap) {
		size_t cap = v->rosters_cap ? v->rosters_cap * 2 : 8;
		sanctum_roster *bigger = realloc(v->rosters, cap * sizeof(*bigger));
		if (!bigger)
			return sanctum_error__nomem();
		v->rosters = bigger;
		v->rosters_cap = cap;
	}
	if ((error = sanctum_roster__copy(&v->rosters[v->nrosters], roster)) < 0)
		return error;
	*index = v->nrosters++;
	return 0;
}

/* ---- the commit itself ---- */

static const char *trailer_value(const char *message, const char *key, char *out, size_t cap)
{
	const char *at = strstr(message, key);
	size_t n = 0;

	if (!at || (at != message && at[-1] != '\n'))
		return NULL;
	at += strlen(key);
	while (at[n] && at[n] != '\n' && n + 1 < cap) {
		out[n] = at[n];
		n++;
	}
	out[n] = '\0';
	return out;
}

/* Signature by an active member of `before`, matching author and committer, trailers. */
static void check_commit(verifier *v, git_commit *commit, const sanctum_roster *before,
                         uint64_t expected_seq)
{
	const git_oid *id = git_commit_id(commit);
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	const git_signature *author = git_commit_author(commit), *committer = git_commit_committer(commit);
	const sanctum_member *member;
	char value[64], name[2 * SANCTUM_NAME_MAX + 2];
	uint64_t seq = 0;

	if (git_commit_extract_signature(&sig, &data, v->store->repo, (git_oid *)id, NULL) < 0) {
		sanctum_verify__problem(v, id, NULL, "the commit is not signed");
		return;
	}
	if (sanctum_sshsig_verify(signer, sig.ptr, sig.size, "git", data.ptr, data.size) < 0) {
		sanctum_verify__problem(v, id, NULL, "the commit signature does not verify: %s",
		        sanctum_error_last()->message);
	} else if (!(member = sanctum_roster__member(before, signer)) || !member->active) {
		char fingerprint[SANCTUM_FINGERPRINT_SIZE];
		sanctum_key_fingerprint(fingerprint, signer);
		sanctum_verify__problem(v, id, NULL, "the commit is signed by '%s', who was not a member at that "
		        "point of the roster", fingerprint);
	} else {
		snprintf(name, sizeof(name), "%s/%s", member->card.city, member->card.device);
		if (strcmp(author->email, member->fingerprint) != 0 || strcmp(author->name, name) != 0 ||
		    strcmp(committer->email, member->fingerprint) != 0 ||
		    strcmp(committer->name, name) != 0)
			sanctum_verify__problem(v, id, NULL, "the commit's author or committer is not its signer '%s'",
			        name);
	}
	if (!trailer_value(git_commit_message(commit), "Sanctum-Branch: ", value, sizeof(value)) ||
	    strcmp(value, SANCTUM_STORE_BRANCH) != 0)
		sanctum_verify__problem(v, id, NULL, "the commit was not made for branch '%s'", SANCTUM_STORE_BRANCH);
	if (!trailer_value(git_commit_message(commit), "Sanctum-Seq: ", value, sizeof(value)) ||
	    sanctum_parse_u64(&seq, value, UINT64_MAX) < 0 || seq != expected_seq)
		sanctum_verify__problem(v, id, NULL, "the commit's sequence number is %llu, expected %llu (a replayed "
		        "or reordered commit)", (unsigned long long)seq, (unsigned long long)expected_seq);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
}


static uint64_t expected_seq(git_commit *commit)
{
	uint64_t seq = 0;

	for (unsigned i = 0; i < git_commit_parentcount(commit); i++) {
		git_commit *p = NULL;

		if (git_commit_parent(&p, commit, i) == 0) {
			uint64_t s = sanctum_store__commit_seq(p);
			seq = s > seq ? s : seq;
		}
		git_commit_free(p);
	}
	return seq + 1;
}

/* Exactly group, roster/000001 and epochs/000001.age, nothing else at any depth. */
static int founding_tree_is_exact(verifier *v, git_tree *tree)
{
	static const char *const paths[] = { "group", "roster/000001", "epochs/000001.age" };
	git_tree_entry *entry = NULL;
	int ok = git_tree_entrycount(tree) == 3;

	for (size_t i = 0; ok && i < 3; i++) {
		ok = git_tree_entry_bypath(&entry, tree, paths[i]) == 0 &&
		     git_tree_entry_type(entry) == GIT_OBJECT_BLOB;
		git_tree_entry_free(entry);
		entry = NULL;
	}
	for (size_t i = 0; ok && i < 2; i++) {
		git_tree *sub = NULL;

		ok = git_tree_entry_bypath(&entry, tree, i ? "epochs" : "roster") == 0 &&
		     git_tree_lookup(&sub, v->store->repo, git_tree_entry_id(entry)) == 0 &&
		     git_tree_entrycount(sub) == 1;
		git_tree_free(sub);
		git_tree_entry_free(entry);
		entry = NULL;
	}
	git_error_clear();
	return ok;
}

/* The root's manifest must be the one the store pinned when it was opened. */
static int root_has_pinned_anchor(verifier *v, git_tree *tree)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	unsigned char anchor[32];
	int ok = sanctum_store__read_blob(&data, v->store, tree, "group", 65536) == 0;

	if (ok) {
		crypto_hash_sha256(anchor, data.ptr, data.size);
		ok = sodium_memcmp(anchor, v->store->manifest.anchor, sizeof(anchor)) == 0;
	}
	sanctum_buf_dispose(&data);
	return ok;
}

static int verify_root(verifier *v, git_commit *commit, git_tree *tree)
{
	const git_oid *id = git_commit_id(commit);
	sanctum_roster roster;
	size_t index;
	int error;

	if (v->roots++ > 0)
		sanctum_verify__problem(v, id, NULL, "a second root commit: main must have one history");
	if (sanctum_store__load_roster(&roster, v->store, tree) < 0) {
		sanctum_verify__problem(v, id, NULL, "the founding commit is invalid: %s", sanctum_error_last()->message);
		v->stopped = 1;
		return 0;
	}
	if (!founding_tree_is_exact(v, tree) || roster.seq != 1)
		sanctum_verify__problem(v, id, NULL, "the founding commit must hold only the manifest, roster entry "
		        "1 and epoch 1");
	if (!root_has_pinned_anchor(v, tree))
		sanctum_verify__problem(v, id, "group", "the group manifest is not the one this store belongs to: the "
		        "history was replaced");
	v->stats->roster_entries++;
	check_commit(v, commit, &roster, 1);
	error = keep_roster(&index, v, &roster);
	if (error == 0)
		error = remember(v, id, index);
	sanctum_roster__dispose(&roster);
	return error;
}

/*
 * The index of the roster as of `parent`: one verified in this walk, or, for a commit the
 * walk was told is known (already verified in the local history), the one its tree holds.
 */
static int parent_roster(size_t *index, verifier *v, git_commit *parent)
{
	const sanctum_roster *known = roster_of(v, git_commit_id(parent));
	sanctum_roster loaded;
	git_tree *tree = NULL;
	int error;

	if (known) {
		*index = (size_t)(known - v->rosters);
		return 0;
	}
	if (!v->range)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_INVALID,
		                          "internal: parent of a commit was not verified first");
	if (git_commit_tree(&tree, parent) < 0)
		return sanctum_store__git_error("cannot read a parent commit");
	error = sanctum_store__load_roster(&loaded, v->store, tree);
	git_tree_free(tree);
	if (error < 0)
		return error;
	error = keep_roster(index, v, &loaded);
	sanctum_roster__dispose(&loaded);
	if (error == 0)
		error = remember(v, git_commit_id(parent), *index);
	return error;
}

typedef struct {
	git_commit *commit[2];
	git_tree *tree[2];
	size_t roster[2];
} parents;

static int load_parents(parents *p, verifier *v, git_commit *commit)
{
	unsigned n = git_commit_parentcount(commit);
	int error = 0;

	for (unsigned i = 0; error == 0 && i < n && i < 2; i++) {
		if (git_commit_parent(&p->commit[i], commit, i) < 0 ||
		    git_commit_tree(&p->tree[i], p->commit[i]) < 0)
			error = sanctum_store__git_error("cannot read a parent commit");
		else
			error = parent_roster(&p->roster[i], v, p->commit[i]);
	}
	return error;
}

static void free_parents(parents *p)
{
	for (int i = 0; i < 2; i++) {
		git_tree_free(p->tree[i]);
		git_commit_free(p->commit[i]);
	}
}

/*
 * The merge base's tree of a merge's two parents. A merge whose parent is an ancestor of
 * the other merges nothing: sanctum never makes one, and it could only serve to put old
 * files back, so it is a problem.
 */
static int merge_base_tree(git_tree **out, verifier *v, git_commit *commit)
{
	const git_oid *a = git_commit_parent_id(commit, 0), *b = git_commit_parent_id(commit, 1);
	git_commit *base = NULL;
	git_oid id;
	int rc = git_merge_base(&id, v->store->repo, a, b);

	*out = NULL;
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		sanctum_verify__problem(v, git_commit_id(commit), NULL, "a merge of two unrelated "
		                        "histories");
		return 0;
	}
	if (rc < 0)
		return sanctum_store__git_error("cannot find a merge's base");
	if (git_oid_equal(&id, a) || git_oid_equal(&id, b))
		sanctum_verify__problem(v, git_commit_id(commit), NULL, "a merge with an ancestor of "
		                        "its own other parent: it merges nothing and may bring old "
		                        "files back");
	if (git_commit_lookup(&base, v->store->repo, &id) < 0 || git_commit_tree(out, base) < 0)
		rc = sanctum_store__git_error("cannot read a merge's base");
	git_commit_free(base);
	return rc < 0 ? rc : 0;
}

static int verify_child(verifier *v, git_commit *commit, git_tree *tree)
{
	const git_oid *id = git_commit_id(commit);
	int merge = git_commit_parentcount(commit) > 1;
	change_ctx c = { commit, tree, NULL, NULL, NULL, NULL, NULL, NULL };
	parents p = { { NULL, NULL }, { NULL, NULL }, { 0, 0 } };
	sanctum_roster after;
	int changed = 0, error;
	size_t index = 0;

	if (git_commit_parentcount(commit) > 2)
		sanctum_verify__problem(v, id, NULL, "a merge of more than two parents");
	if ((error = load_parents(&p, v, commit)) == 0) {
		/* Pointers into v->rosters only now: loading a parent's roster may move them. */
		index = p.roster[0];
		c.before = &v->rosters[p.roster[0]];
		c.parent_tree = p.tree[0];
		c.other = merge ? &v->rosters[p.roster[1]] : NULL;
		c.other_tree = merge ? p.tree[1] : NULL;
		/* A merge keeps the longer roster (verify_merge.c): its members may sign it. */
		c.signers = merge && c.other->seq > c.before->seq ? c.other : c.before;
		if (merge)
			error = merge_base_tree(&c.base_tree, v, commit);
	}
	if (error == 0) {
		check_commit(v, commit, c.signers, expected_seq(commit));
		error = sanctum_roster__copy(&after, c.before);
	}
	if (error == 0) {
		error = sanctum_verify__changes(v, &c, &after, &changed);
		if (error == 0 && changed)
			error = keep_roster(&index, v, &after);
		sanctum_roster__dispose(&after);
	}
	if (error == 0)
		error = remember(v, id, index);
	git_tree_free(c.base_tree);
	free_parents(&p);
	return error;
}

static int verify_one(verifier *v, const git_oid *oid)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int error;

	if (git_commit_lookup(&commit, v->store->repo, oid) < 0 || git_commit_tree(&tree, commit) < 0)
		error = sanctum_store__git_error("cannot read a commit");
	else {
		v->stats->commits++;
		error = git_commit_parentcount(commit) == 0 ? verify_root(v, commit, tree)
		                                            : verify_child(v, commit, tree);
	}
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

/*
 * Opens the epoch keys sealed to the reader at main's head, judged by the roster there.
 * Nothing here is trusted before the walk: a head whose roster or epoch files do not
 * load is remembered, the walk reports the commit that broke it, and documents that
 * need a key that could not be had are counted unreadable rather than blamed.
 */
static int open_head_keys(verifier *v)
{
	sanctum_roster roster;
	sanctum_buf file = SANCTUM_BUF_INIT;
	git_tree *tree = NULL;
	int error;

	if (git_commit_tree(&tree, v->head) < 0)
		return sanctum_store__git_error("cannot read the head tree");
	error = sanctum_store__load_roster(&roster, v->store, tree);
	if (error < 0 && error != SANCTUM_ENOMEM) {
		snprintf(v->head_problem, sizeof(v->head_problem), "%s", sanctum_error_last()->message);
		v->missing_epochs++;
		git_tree_free(tree);
		return 0;
	}
	if (error == 0 && !(v->keys = calloc(roster.nepochs + 1, sizeof(*v->keys))))
		error = sanctum_error__nomem();
	/* Newest first: most documents are in the newest epoch, and age tries keys in order. */
	for (size_t i = roster.nepochs; error == 0 && i > 0; i--) {
		uint64_t number = roster.epochs[i - 1].number;
		char name[11], path[32];
		sanctum_age_identity *key = NULL;
		int rc;

		sanctum_epoch__file_name(name, number);
		snprintf(path, sizeof(path), "epochs/%s", name);
		rc = sanctum_store__read_blob(&file, v->store, tree, path, SANCTUM_EPOCH_MAX_FILE);
		if (rc == 0)
			rc = sanctum_epoch__open(&key, &roster, number, file.ptr, file.size, v->reader);
		if (rc == 0)
			v->keys[v->nkeys++] = key;
		else if (rc == SANCTUM_ENOMEM)
			error = rc;
		else {
			v->missing_epochs++;
			if (rc == SANCTUM_ENOMATCH && sanctum_verify__reader_entitled(v, &roster, number) &&
			    !v->head_problem[0])
				snprintf(v->head_problem, sizeof(v->head_problem),
				         "epoch %llu is sealed without this reader, whom the roster "
				         "entitles to it", (unsigned long long)number);
			else if (rc != SANCTUM_ENOMATCH && !v->head_problem[0])
				snprintf(v->head_problem, sizeof(v->head_problem), "%s",
				         sanctum_error_last()->message);
		}
	}
	sanctum_roster__dispose(&roster);
	sanctum_buf_dispose(&file);
	git_tree_free(tree);
	return error;
}

/* Walks from v->head oldest first, skipping what `hide` reaches, and judges each commit. */
static int walk(verifier *v, const git_oid *hide, size_t nhide)
{
	git_revwalk *rw = NULL;
	git_oid oid;
	int error = 0;

	if (git_revwalk_new(&rw, v->store->repo) < 0 ||
	    git_revwalk_sorting(rw, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(rw, git_commit_id(v->head)) < 0)
		error = sanctum_store__git_error("cannot walk the history");
	for (size_t i = 0; error == 0 && i < nhide; i++)
		if (git_revwalk_hide(rw, &hide[i]) < 0)
			error = sanctum_store__git_error("cannot walk the history");
	while (error == 0 && !v->stopped && git_revwalk_next(&oid, rw) == 0)
		error = verify_one(v, &oid);
	git_revwalk_free(rw);
	return error;
}

static int run(sanctum_verify_stats *stats, verifier *v, const git_oid *hide, size_t nhide)
{
	int error;

	/* Failures to open head keys are remembered, not returned; clear their messages. */
	if ((error = open_head_keys(v)) == 0)
		sanctum_error_clear();
	if (error == 0)
		error = walk(v, hide, nhide);
	/* A head the walk found nothing wrong with must still be usable. */
	if (error == 0 && !v->stopped && !stats->problems && v->head_problem[0])
		sanctum_verify__problem(v, git_commit_id(v->head), NULL, "the head cannot be read: %s",
		                        v->head_problem);
	for (size_t i = 0; i < v->nrosters; i++)
		sanctum_roster__dispose(&v->rosters[i]);
	for (size_t i = 0; i < v->nkeys; i++)
		sanctum_age_identity_free(v->keys[i]);
	free(v->keys);
	free(v->rosters);
	free(v->commits);
	if (error < 0)
		return error;
	if (stats->problems)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                          "verification found %zu problem%s", stats->problems,
		                          stats->problems == 1 ? "" : "s");
	return 0;
}

static void start(verifier *v, sanctum_verify_stats *stats, sanctum_store *store,
                  const sanctum_identity *reader, sanctum_verify_fn fn, void *payload)
{
	memset(stats, 0, sizeof(*stats));
	memset(v, 0, sizeof(*v));
	v->store = store;
	v->reader = reader;
	v->fn = fn;
	v->payload = payload;
	v->stats = stats;
}

int sanctum_store_verify(sanctum_verify_stats *stats, sanctum_store *store,
                         const sanctum_identity *reader, sanctum_verify_fn fn, void *payload)
{
	verifier v;
	int error;

	start(&v, stats, store, reader, fn, payload);
	if ((error = sanctum_store__head(&v.head, store)) < 0)
		return error;
	error = run(stats, &v, NULL, 0);
	git_commit_free(v.head);
	return error;
}

int sanctum_verify__range(sanctum_verify_stats *stats, sanctum_store *store, git_commit *tip,
                          const git_oid *known, size_t nknown, const sanctum_identity *reader,
                          sanctum_verify_fn fn, void *payload)
{
	verifier v;

	start(&v, stats, store, reader, fn, payload);
	v.head = tip;
	v.range = 1;
	/* The new commits' roots, if any, must still be this group's one root. */
	v.roots = 1;
	return run(stats, &v, known, nknown);
}

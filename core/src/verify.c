/*
 * Verifying main's history commit by commit, oldest first. Each commit is judged by the
 * roster as of its parent (never by dates a signer chose) and only what it changed is
 * read: the diff of its tree against its parent's.
 */
#include "store_internal.h"

#include "errors_internal.h"
#include "sanctum/verify.h"
#include "signed_file.h"
#include "tree_changes.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The roster after each verified commit, found by commit id. Rosters change rarely, so
 * commits share them: `rosters` owns each distinct one once. */
typedef struct {
	git_oid commit;
	size_t roster;                /* index into rosters */
} commit_state;

typedef struct {
	sanctum_store *store;
	const sanctum_identity *reader;
	sanctum_verify_fn fn;
	void *payload;
	sanctum_verify_stats *stats;
	commit_state *commits;        /* open-addressing table, size commits_cap (a power of 2) */
	size_t ncommits, commits_cap;
	sanctum_roster *rosters;
	size_t nrosters, rosters_cap;
	git_commit *head;
	sanctum_age_identity **keys;  /* the epoch keys at main's head this reader opened */
	size_t nkeys;
	int missing_epochs;           /* head epochs this reader cannot open, or bad ones */
	char head_problem[400];       /* why main's head could not be used for keys, or "" */
	int roots;
	int stopped;                  /* the callback asked to stop */
	int error;                    /* a failure to read the store at all */
} verifier;

/* ---- reporting ---- */

static void problem(verifier *v, const git_oid *commit, const char *path, const char *fmt, ...)
	SANCTUM_PRINTF(4, 5);

static void problem(verifier *v, const git_oid *commit, const char *path, const char *fmt, ...)
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
		problem(v, id, NULL, "the commit is not signed");
		return;
	}
	if (sanctum_sshsig_verify(signer, sig.ptr, sig.size, "git", data.ptr, data.size) < 0) {
		problem(v, id, NULL, "the commit signature does not verify: %s",
		        sanctum_error_last()->message);
	} else if (!(member = sanctum_roster__member(before, signer)) || !member->active) {
		char fingerprint[SANCTUM_FINGERPRINT_SIZE];
		sanctum_key_fingerprint(fingerprint, signer);
		problem(v, id, NULL, "the commit is signed by '%s', who was not a member at that "
		        "point of the roster", fingerprint);
	} else {
		snprintf(name, sizeof(name), "%s/%s", member->card.city, member->card.device);
		if (strcmp(author->email, member->fingerprint) != 0 || strcmp(author->name, name) != 0 ||
		    strcmp(committer->email, member->fingerprint) != 0 ||
		    strcmp(committer->name, name) != 0)
			problem(v, id, NULL, "the commit's author or committer is not its signer '%s'",
			        name);
	}
	if (!trailer_value(git_commit_message(commit), "Sanctum-Branch: ", value, sizeof(value)) ||
	    strcmp(value, SANCTUM_STORE_BRANCH) != 0)
		problem(v, id, NULL, "the commit was not made for branch '%s'", SANCTUM_STORE_BRANCH);
	if (!trailer_value(git_commit_message(commit), "Sanctum-Seq: ", value, sizeof(value)) ||
	    sanctum_parse_u64(&seq, value, UINT64_MAX) < 0 || seq != expected_seq)
		problem(v, id, NULL, "the commit's sequence number is %llu, expected %llu (a replayed "
		        "or reordered commit)", (unsigned long long)seq, (unsigned long long)expected_seq);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
}

/* ---- documents ---- */

/* Whether `path` is docs/xx/<32 hex>.age with xx its first two digits; yields the id. */
static int doc_path_id(unsigned char id[SANCTUM_DOC_ID_SIZE], const char *path)
{
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

	if (strlen(path) != 5 + 3 + 2 * SANCTUM_DOC_ID_SIZE + 4 || strncmp(path, "docs/", 5) != 0 ||
	    path[7] != '/' || strcmp(path + 8 + 2 * SANCTUM_DOC_ID_SIZE, ".age") != 0 ||
	    path[5] != path[8] || path[6] != path[9])
		return 0;
	memcpy(hex, path + 8, 2 * SANCTUM_DOC_ID_SIZE);
	hex[2 * SANCTUM_DOC_ID_SIZE] = '\0';
	return sanctum_doc_id_from_hex(id, hex) == 0;
}

/* Decrypts and checks the revision in blob `oid` (see sanctum_store__open_doc). */
static int open_revision(sanctum_doc *out, verifier *v, const git_oid *oid,
                         const unsigned char *id)
{
	git_blob *blob = NULL;
	int error;

	if (git_blob_lookup(&blob, v->store->repo, oid) < 0)
		return sanctum_store__git_error("cannot read a document file");
	if ((size_t)git_blob_rawsize(blob) > SANCTUM_STORE_MAX_DOC_FILE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "the document file is larger than allowed");
	else if (v->nkeys == 0)
		error = sanctum_error__set(SANCTUM_ENOMATCH, SANCTUM_ERRCLASS_AGE,
		                           "this reader holds no epoch key");
	else {
		sanctum_buf plain = SANCTUM_BUF_INIT;

		error = sanctum_age_decrypt(&plain, (const sanctum_age_identity *const *)v->keys,
		                            v->nkeys, NULL, git_blob_rawcontent(blob),
		                            (size_t)git_blob_rawsize(blob));
		if (error == 0)
			error = sanctum_doc_open(out, NULL, plain.ptr, plain.size, id);
		sanctum_buf_dispose(&plain);
	}
	git_blob_free(blob);
	return error;
}

typedef struct {
	git_commit *commit;
	git_tree *tree, *parent_tree;
	const sanctum_roster *before;
	int merge;
} change_ctx;

static void check_doc(verifier *v, const change_ctx *c, const git_diff_delta *d)
{
	const git_oid *id = git_commit_id(c->commit);
	const char *path = d->new_file.path;
	sanctum_doc now = SANCTUM_DOC_INIT, old = SANCTUM_DOC_INIT;
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	const sanctum_member *author;
	int error;

	if (!doc_path_id(doc_id, path)) {
		problem(v, id, path, "not a legal path in a store");
		return;
	}
	error = open_revision(&now, v, &d->new_file.id, doc_id);
	if (error == SANCTUM_ENOMATCH && v->missing_epochs) {
		/* Encrypted to an epoch this reader was never given: others must judge it. */
		v->stats->unreadable++;
		return;
	}
	if (error < 0) {
		/* A reader holding every epoch key must be able to read every document. */
		problem(v, id, path, "%s", sanctum_error_last()->message);
		return;
	}
	v->stats->documents++;
	author = sanctum_roster__member(c->before, now.signer);
	if (d->status == GIT_DELTA_MODIFIED &&
	    open_revision(&old, v, &d->old_file.id, doc_id) < 0) {
		problem(v, id, path, "the revision it replaces cannot be read: %s",
		        sanctum_error_last()->message);
	} else if (d->status == GIT_DELTA_MODIFIED &&
	           sodium_memcmp(now.hash, old.hash, sizeof(now.hash)) == 0) {
		/* The same revision, re-encrypted (a rekey): nothing new to judge. */
	} else if (!author || !author->active) {
		problem(v, id, path, "revision %llu is signed by '%s', who was not a member at that "
		        "point of the roster", (unsigned long long)now.rev, now.author);
	} else if (d->status == GIT_DELTA_ADDED && (now.rev != 1 || now.has_parent)) {
		problem(v, id, path, "a new document must start at revision 1");
	} else if (d->status == GIT_DELTA_MODIFIED && !c->merge &&
	           (now.rev != old.rev + 1 || !now.has_parent ||
	            sodium_memcmp(now.parent, old.hash, sizeof(now.parent)) != 0)) {
		problem(v, id, path, "revision %llu does not extend revision %llu that it replaces "
		        "(an old revision replayed, or a forged chain)", (unsigned long long)now.rev,
		        (unsigned long long)old.rev);
	} else if (d->status == GIT_DELTA_MODIFIED && c->merge && now.rev <= old.rev) {
		problem(v, id, path, "a merge went back from revision %llu to %llu",
		        (unsigned long long)old.rev, (unsigned long long)now.rev);
	}
	sanctum_doc_dispose(&now);
	sanctum_doc_dispose(&old);
}

/* ---- one commit ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Applies the roster entries a commit added, in order. Returns how many applied. */
static size_t apply_roster(verifier *v, const change_ctx *c, sanctum_roster *after,
                           const char **paths, size_t n)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	size_t applied = 0;

	qsort(paths, n, sizeof(*paths), by_name);
	for (size_t i = 0; i < n; i++) {
		char name[7], want[16];

		/* Readers replay roster/000001, 000002, ... by name: an entry filed under
		 * another name would count here and nowhere else. */
		sanctum_roster__entry_name(name, after->seq + 1);
		snprintf(want, sizeof(want), "roster/%s", name);
		if (strcmp(paths[i], want) != 0) {
			problem(v, git_commit_id(c->commit), paths[i],
			        "a roster entry not filed as '%s', the next in the log", want);
			break;
		}
		if (sanctum_store__read_blob(&data, v->store, c->tree, paths[i],
		                             SANCTUM_ROSTER_MAX_ENTRY) < 0 ||
		    sanctum_roster__apply(after, data.ptr, data.size) < 0) {
			problem(v, git_commit_id(c->commit), paths[i], "%s", sanctum_error_last()->message);
			break;
		}
		v->stats->roster_entries++;
		applied++;
	}
	sanctum_buf_dispose(&data);
	return applied;
}

/* Whether the roster lets this reader hold epoch `number`. */
static int reader_entitled(const verifier *v, const sanctum_roster *roster, uint64_t number)
{
	const sanctum_member *m;
	sanctum_card card;

	sanctum_identity_card(&card, v->reader);
	m = sanctum_roster__member(roster, card.signing_key);
	return m && sanctum_roster__can_read_epoch(m, number);
}

/*
 * A changed epoch file must be one the roster names and, where the reader is among its
 * recipients, hold the key the roster names, signed by an admin. Others' copies cannot
 * be opened here; their owners check them the same way.
 */
static void check_epoch(verifier *v, const change_ctx *c, const sanctum_roster *after,
                        const char *path)
{
	sanctum_buf file = SANCTUM_BUF_INIT;
	sanctum_age_identity *key = NULL;
	char name[11];
	uint64_t number = 0;
	int error;

	for (size_t i = 0; i < after->nepochs && !number; i++) {
		sanctum_epoch__file_name(name, after->epochs[i].number);
		if (strcmp(path + 7, name) == 0)
			number = after->epochs[i].number;
	}
	if (!number) {
		problem(v, git_commit_id(c->commit), path, "an epoch file that the roster does not name");
		return;
	}
	error = sanctum_store__read_blob(&file, v->store, c->tree, path, SANCTUM_EPOCH_MAX_FILE);
	if (error == 0)
		error = sanctum_epoch__open(&key, after, number, file.ptr, file.size, v->reader);
	if (error == SANCTUM_ENOMATCH && reader_entitled(v, after, number))
		problem(v, git_commit_id(c->commit), path, "epoch %llu was sealed without this reader, "
		        "whom the roster entitles to it", (unsigned long long)number);
	else if (error < 0 && error != SANCTUM_ENOMATCH)
		problem(v, git_commit_id(c->commit), path, "%s", sanctum_error_last()->message);
	sanctum_age_identity_free(key);
	sanctum_buf_dispose(&file);
}

/* Sorts each change of the commit into documents, roster entries and epoch files. */
static int check_changes(verifier *v, const change_ctx *c, sanctum_roster *after, int *changed)
{
	const git_oid *id = git_commit_id(c->commit);
	const char **roster_paths = NULL, **epoch_paths = NULL;
	size_t nroster = 0, nepochs = 0;
	sanctum_tree_changes diff;
	int error = 0;

	if ((error = sanctum_tree__changes(&diff, v->store->repo, c->parent_tree, c->tree)) < 0)
		return error;
	roster_paths = calloc(diff.count + 1, sizeof(*roster_paths));
	epoch_paths = calloc(diff.count + 1, sizeof(*epoch_paths));
	if (!roster_paths || !epoch_paths)
		error = sanctum_error__nomem();
	for (size_t i = 0; !error && !v->stopped && i < diff.count; i++) {
		const git_diff_delta *d = &diff.items[i];
		const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;

		if (strncmp(path, "proposals/", 10) == 0)
			continue; /* pending changes: they count only once applied to the roster */
		if (d->status == GIT_DELTA_DELETED)
			problem(v, id, path, strncmp(path, "docs/", 5) == 0
			                         ? "a document file was deleted without a tombstone"
			                         : "a file of the group was deleted");
		else if (d->status != GIT_DELTA_ADDED && d->status != GIT_DELTA_MODIFIED)
			problem(v, id, path, "a file changed its type");
		else if (strcmp(path, "group") == 0)
			problem(v, id, path, "the group manifest changed");
		else if (strncmp(path, "roster/", 7) == 0 && d->status == GIT_DELTA_ADDED)
			roster_paths[nroster++] = path;
		else if (strncmp(path, "roster/", 7) == 0)
			problem(v, id, path, "a roster entry was rewritten (the roster is append-only)");
		else if (strncmp(path, "epochs/", 7) == 0)
			epoch_paths[nepochs++] = path;
		else
			check_doc(v, c, d);
	}
	if (!error && nroster)
		*changed = apply_roster(v, c, after, roster_paths, nroster) > 0;
	for (size_t i = 0; !error && !nroster && i < nepochs; i++)
		problem(v, id, epoch_paths[i], "an epoch file changed without a roster entry to explain it");
	for (size_t i = 0; !error && nroster && i < nepochs; i++)
		check_epoch(v, c, after, epoch_paths[i]);
	free(roster_paths);
	free(epoch_paths);
	sanctum_tree__changes_dispose(&diff);
	return error;
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
		problem(v, id, NULL, "a second root commit: main must have one history");
	if (sanctum_store__load_roster(&roster, v->store, tree) < 0) {
		problem(v, id, NULL, "the founding commit is invalid: %s", sanctum_error_last()->message);
		v->stopped = 1;
		return 0;
	}
	if (!founding_tree_is_exact(v, tree) || roster.seq != 1)
		problem(v, id, NULL, "the founding commit must hold only the manifest, roster entry "
		        "1 and epoch 1");
	if (!root_has_pinned_anchor(v, tree))
		problem(v, id, "group", "the group manifest is not the one this store belongs to: the "
		        "history was replaced");
	v->stats->roster_entries++;
	check_commit(v, commit, &roster, 1);
	error = keep_roster(&index, v, &roster);
	if (error == 0)
		error = remember(v, id, index);
	sanctum_roster__dispose(&roster);
	return error;
}

static int verify_child(verifier *v, git_commit *commit, git_tree *tree)
{
	const git_oid *id = git_commit_id(commit);
	change_ctx c = { commit, tree, NULL, NULL, git_commit_parentcount(commit) > 1 };
	const git_oid *parent_id = git_commit_parent_id(commit, 0);
	sanctum_roster after;
	git_commit *parent = NULL;
	int changed = 0, error;
	size_t index;

	c.before = roster_of(v, parent_id);
	if (!c.before)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_INVALID,
		                          "internal: parent of a commit was not verified first");
	index = (size_t)(c.before - v->rosters);
	check_commit(v, commit, c.before, expected_seq(commit));
	if (git_commit_parent(&parent, commit, 0) < 0 || git_commit_tree(&c.parent_tree, parent) < 0)
		error = sanctum_store__git_error("cannot read a parent commit");
	else if ((error = sanctum_roster__copy(&after, c.before)) == 0) {
		error = check_changes(v, &c, &after, &changed);
		if (error == 0 && changed)
			error = keep_roster(&index, v, &after);
		sanctum_roster__dispose(&after);
	}
	if (error == 0)
		error = remember(v, id, index);
	git_tree_free(c.parent_tree);
	git_commit_free(parent);
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
			if (rc == SANCTUM_ENOMATCH && reader_entitled(v, &roster, number) &&
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

int sanctum_store_verify(sanctum_verify_stats *stats, sanctum_store *store,
                         const sanctum_identity *reader, sanctum_verify_fn fn, void *payload)
{
	verifier v;
	git_revwalk *walk = NULL;
	git_commit *head = NULL;
	git_oid oid;
	int error;

	memset(stats, 0, sizeof(*stats));
	memset(&v, 0, sizeof(v));
	v.store = store;
	v.reader = reader;
	v.fn = fn;
	v.payload = payload;
	v.stats = stats;
	if ((error = sanctum_store__head(&v.head, store)) < 0)
		return error;
	head = v.head;
	/* Failures to open head keys are remembered, not returned; clear their messages. */
	if ((error = open_head_keys(&v)) == 0)
		sanctum_error_clear();
	if (error == 0 && (git_revwalk_new(&walk, store->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, git_commit_id(head)) < 0))
		error = sanctum_store__git_error("cannot walk the history");
	while (error == 0 && !v.stopped && git_revwalk_next(&oid, walk) == 0)
		error = verify_one(&v, &oid);
	/* A head the walk found nothing wrong with must still be usable. */
	if (error == 0 && !v.stopped && !stats->problems && v.head_problem[0])
		problem(&v, git_commit_id(head), NULL, "main's head cannot be read: %s",
		        v.head_problem);
	for (size_t i = 0; i < v.nrosters; i++)
		sanctum_roster__dispose(&v.rosters[i]);
	for (size_t i = 0; i < v.nkeys; i++)
		sanctum_age_identity_free(v.keys[i]);
	free(v.keys);
	free(v.rosters);
	free(v.commits);
	git_revwalk_free(walk);
	git_commit_free(head);
	if (error < 0)
		return error;
	if (stats->problems)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                          "verification found %zu problem%s", stats->problems,
		                          stats->problems == 1 ? "" : "s");
	return 0;
}

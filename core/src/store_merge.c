/*
 * Merging a verified, diverged history into main (merge.h, docs/format.md "Merges and
 * conflicts"). libgit2 merges the trees against the merge base and takes every path
 * changed on one side only; this file decides what it leaves in conflict: documents
 * both sides changed (one revision, a text merge, or a winner with the loser kept under
 * conflicts/), and membership, which is never merged.
 *
 * Every decision depends only on the two trees and their base, never on which side
 * merges, so two copies that merge the same histories with winners only get the same
 * tree. Only a text merge writes something new (a revision signed by the merger).
 */
#include "merge.h"

#include "doc_merge.h"
#include "errors_internal.h"
#include "signed_file.h"
#include "tree_changes.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BASE, OURS, THEIRS, SIDES };

static const char *const side_names[SIDES] = { "the merge base", "main",
	                                       "the other history" };

typedef struct {
	sanctum_store *store;
	const sanctum_identity *author;
	sanctum_merge_stats stats;
	git_tree *tree[SIDES];
	sanctum_roster roster[SIDES];
	int has_roster[SIDES];
	int result_side;              /* whose roster and epochs the merge keeps: OURS, THEIRS */
	git_index *index;             /* the merged tree, with libgit2's conflicts */
} merger;

/* One path that git_merge_trees left in conflict: its three versions, where present. */
typedef struct {
	char *path;
	int has[SIDES];
	git_oid id[SIDES];
} conflict;

typedef struct {
	conflict *items;
	size_t count;
} conflict_list;

static int git_fail(const char *context)
{
	return sanctum_store__git_error(context);
}

/* ---- the three sides ---- */

static int find_base(git_commit **out, merger *m, git_commit *ours, git_commit *theirs)
{
	git_oid base;
	int rc = git_merge_base(&base, m->store->repo, git_commit_id(ours), git_commit_id(theirs));

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                          "main and the other history have no commit in common: "
		                          "they are not copies of one store");
	}
	if (rc < 0)
		return git_fail("cannot find the merge base");
	/* The caller fast-forwards when one contains the other: a merge would add nothing. */
	if (git_oid_equal(&base, git_commit_id(ours)) ||
	    git_oid_equal(&base, git_commit_id(theirs)))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "nothing to merge: one history contains the other");
	if (git_commit_lookup(out, m->store->repo, &base) < 0)
		return git_fail("cannot read the merge base");
	return 0;
}

static int load_sides(merger *m, git_commit *ours, git_commit *theirs)
{
	git_commit *commits[SIDES] = { NULL, ours, theirs };
	int error = find_base(&commits[BASE], m, ours, theirs);

	for (int i = 0; error == 0 && i < SIDES; i++) {
		if (git_commit_tree(&m->tree[i], commits[i]) < 0)
			error = git_fail("cannot read a tree to merge");
		else if ((error = sanctum_store__load_roster(&m->roster[i], m->store,
		                                             m->tree[i])) == 0)
			m->has_roster[i] = 1;
	}
	git_commit_free(commits[BASE]);
	return error;
}

static void merger_dispose(merger *m)
{
	for (int i = 0; i < SIDES; i++) {
		if (m->has_roster[i])
			sanctum_roster__dispose(&m->roster[i]);
		git_tree_free(m->tree[i]);
	}
	git_index_free(m->index);
}

/* ---- membership: never merged ---- */

static const char *const membership_entries[] = { "group", "roster", "epochs" };

static int same_membership(git_tree *a, git_tree *b)
{
	for (size_t i = 0; i < sizeof(membership_entries) / sizeof(membership_entries[0]); i++) {
		const git_tree_entry *x = git_tree_entry_byname(a, membership_entries[i]);
		const git_tree_entry *y = git_tree_entry_byname(b, membership_entries[i]);

		if (!x != !y || (x && !git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(y))))
			return 0;
	}
	return 1;
}

/*
 * The value of the line "key value" of a roster entry, quoted for a message (`out` has
 * room for SANCTUM_QUOTE_MAX + 4 bytes). The entry was verified; its lines come after
 * the signature blocks, whose base64 lines hold no spaces, so the first "\nkey " is the
 * field.
 */
static void entry_field(char *out, const sanctum_buf *entry, const char *key)
{
	const char *text = (const char *)entry->ptr;
	size_t klen = strlen(key);

	for (size_t i = 0; i + klen + 2 <= entry->size; i++) {
		const char *at = text + i + klen + 2, *end;

		if (text[i] != '\n' || memcmp(text + i + 1, key, klen) != 0 ||
		    text[i + 1 + klen] != ' ')
			continue;
		end = memchr(at, '\n', entry->size - (size_t)(at - text));
		if (end && end > at)
			sanctum_error__quote(out, (const unsigned char *)at, (size_t)(end - at),
			                     SANCTUM_QUOTE_MAX);
		return;
	}
}

/* "roster entry 5 (add, by aldport/server)": what a side changed last, for the refusal. */
static void describe_newest(char *out, size_t size, merger *m, int side)
{
	const sanctum_roster *r = &m->roster[side];
	sanctum_buf entry = SANCTUM_BUF_INIT;
	char name[7], path[16], op[SANCTUM_QUOTE_MAX + 4] = "?";
	char signer[SANCTUM_QUOTE_MAX + 4] = "?";

	sanctum_roster__entry_name(name, r->seq);
	snprintf(path, sizeof(path), "roster/%s", name);
	if (sanctum_store__read_blob(&entry, m->store, m->tree[side], path,
	                             SANCTUM_ROSTER_MAX_ENTRY) == 0) {
		entry_field(op, &entry, "op");
		entry_field(signer, &entry, "signer");
	}
	for (size_t i = 0; i < r->nmembers; i++) {
		if (strcmp(r->members[i].fingerprint, signer) == 0) {
			snprintf(out, size, "roster entry %llu (%s, by %s/%s)",
			         (unsigned long long)r->seq, op, r->members[i].card.city,
			         r->members[i].card.device);
			sanctum_buf_dispose(&entry);
			return;
		}
	}
	snprintf(out, size, "roster entry %llu (%s, by %s)", (unsigned long long)r->seq, op,
	         signer);
	sanctum_buf_dispose(&entry);
}

/*
 * Two membership changes made apart cannot both stand: each was approved against a
 * roster the other changed, and each may have started an epoch the other's members do
 * not hold. A person must choose, so the merge stops here, before anything is written.
 */
static int check_membership(merger *m)
{
	int ours_changed = !same_membership(m->tree[BASE], m->tree[OURS]);
	int theirs_changed = !same_membership(m->tree[BASE], m->tree[THEIRS]);
	char mine[160], other[160];

	m->result_side = theirs_changed ? THEIRS : OURS;
	if (!ours_changed || !theirs_changed || same_membership(m->tree[OURS], m->tree[THEIRS]))
		return 0;
	describe_newest(mine, sizeof(mine), m, OURS);
	describe_newest(other, sizeof(other), m, THEIRS);
	return sanctum_error__set(SANCTUM_ECONFLICT, SANCTUM_ERRCLASS_INVALID,
	                          "cannot merge: the membership changed on both sides (main has "
	                          "%s, the other history has %s); one side must give up its "
	                          "change and make it again once both copies agree", mine, other);
}

/* ---- the tree merge ---- */

static int merge_trees(merger *m)
{
	git_merge_options opts;

	if (git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION) < 0)
		return git_fail("cannot merge the trees");
	opts.flags = 0;                  /* no rename detection: a path is an identity */
	opts.file_favor = GIT_MERGE_FILE_FAVOR_NORMAL;
	/* Never merge file contents: documents are ciphertext, and a file both sides
	 * changed is decided below, whatever libgit2 could make of its bytes. */
	opts.default_driver = "binary";
	if (git_merge_trees(&m->index, m->store->repo, m->tree[BASE], m->tree[OURS],
	                    m->tree[THEIRS], &opts) < 0)
		return git_fail("cannot merge the trees");
	return 0;
}

static void conflicts_dispose(conflict_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].path);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

static int add_conflict(conflict_list *list, const git_index_entry *entries[SIDES])
{
	conflict *bigger = realloc(list->items, (list->count + 1) * sizeof(*bigger));
	conflict *c;

	if (!bigger)
		return sanctum_error__nomem();
	list->items = bigger;
	c = &list->items[list->count];
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < SIDES; i++) {
		if ((c->has[i] = entries[i] != NULL)) {
			c->id[i] = entries[i]->id;
			if (!c->path && !(c->path = strdup(entries[i]->path)))
				return sanctum_error__nomem();
		}
	}
	list->count++;
	return 0;
}

/* Copies the conflicts out first: the index changes while they are decided. */
static int collect_conflicts(conflict_list *out, git_index *index)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *entries[SIDES];
	int rc, error = 0;

	memset(out, 0, sizeof(*out));
	if (git_index_conflict_iterator_new(&it, index) < 0)
		return git_fail("cannot read the merge's conflicts");
	while (error == 0 &&
	       (rc = git_index_conflict_next(&entries[BASE], &entries[OURS], &entries[THEIRS],
	                                     it)) == 0)
		error = add_conflict(out, entries);
	if (error == 0 && rc != GIT_ITEROVER)
		error = git_fail("cannot read the merge's conflicts");
	git_error_clear();
	git_index_conflict_iterator_free(it);
	if (error < 0)
		conflicts_dispose(out);
	return error;
}

/* Refuses, before any work, the conflicts that no rule decides. */
static int check_conflicts(const conflict_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *path = list->items[i].path;
		char q[SANCTUM_QUOTE_MAX + 4];
		const unsigned char *bytes = (const unsigned char *)path;

		if (strncmp(path, "docs/", 5) == 0 || strncmp(path, "conflicts/", 10) == 0)
			continue;
		if (strncmp(path, "proposals/", 10) == 0)
			return sanctum_error__set(SANCTUM_ECONFLICT, SANCTUM_ERRCLASS_INVALID,
			        "cannot merge: the membership proposal '%s' changed on both "
			        "sides (approved twice at once?); one side must give up its "
			        "change and approve again once both copies agree",
			        sanctum_error__quote(q, bytes, strlen(path), SANCTUM_QUOTE_MAX));
		return sanctum_error__set(SANCTUM_ECONFLICT, SANCTUM_ERRCLASS_INVALID,
		                          "cannot merge '%s', which both sides changed",
		                          sanctum_error__quote(q, bytes, strlen(path),
		                                               SANCTUM_QUOTE_MAX));
	}
	return 0;
}

static int is_conflicted(git_index *index, const char *path)
{
	for (int stage = 1; stage <= 3; stage++)
		if (git_index_get_bypath(index, path, stage))
			return 1;
	return 0;
}

/* Counts the paths libgit2 took from theirs: changed between ours and theirs, and now
 * as theirs has them. Done before the conflicts are decided, which add theirs' blobs. */
static int count_taken(merger *m)
{
	sanctum_tree_changes diff;
	int error = sanctum_tree__changes(&diff, m->store->repo, m->tree[OURS], m->tree[THEIRS]);

	for (size_t i = 0; error == 0 && i < diff.count; i++) {
		const git_diff_delta *d = &diff.items[i];
		int deleted = d->status == GIT_DELTA_DELETED;
		const char *path = deleted ? d->old_file.path : d->new_file.path;
		const git_index_entry *e = git_index_get_bypath(m->index, path, 0);

		if (deleted ? !e && !is_conflicted(m->index, path)
		            : e && git_oid_equal(&e->id, &d->new_file.id))
			m->stats.taken++;
	}
	if (error == 0)
		sanctum_tree__changes_dispose(&diff);
	return error;
}

/* ---- deciding a path ---- */

/* Sets `path` in the merged tree to the blob `id`, replacing its conflict. */
static int put(git_index *index, const char *path, const git_oid *id)
{
	git_index_entry entry;

	memset(&entry, 0, sizeof(entry));
	entry.mode = GIT_FILEMODE_BLOB;
	entry.id = *id;
	entry.path = path;
	if (git_index_conflict_remove(index, path) < 0)
		git_error_clear(); /* there was none: a new path */
	if (git_index_add(index, &entry) < 0)
		return git_fail("cannot build the merged tree");
	return 0;
}

/* Drops `path` from the merged tree. */
static int drop(git_index *index, const char *path)
{
	if (git_index_conflict_remove(index, path) < 0)
		return git_fail("cannot build the merged tree");
	return 0;
}

/*
 * A conflict file: kept unless a side removed it (it resolved that document). Two
 * different files under one name hold one revision encrypted twice: the larger blob id
 * stays, as on every copy.
 */
static int decide_conflict_file(merger *m, const conflict *c)
{
	if (!c->has[OURS] || !c->has[THEIRS])
		return drop(m->index, c->path);
	return put(m->index, c->path,
	           git_oid_cmp(&c->id[OURS], &c->id[THEIRS]) > 0 ? &c->id[OURS] : &c->id[THEIRS]);
}

/* Whether `path` is docs/xx/<32 hex>.age with xx its first two digits; yields the id. */
static int doc_path_id(unsigned char id[SANCTUM_DOC_ID_SIZE], const char *path)
{
	char want[48];

	if (strlen(path) != 44 || strncmp(path, "docs/", 5) != 0)
		return 0;
	memcpy(want, path + 8, 32);
	want[32] = '\0';
	if (sanctum_doc_id_from_hex(id, want) < 0)
		return 0;
	sanctum_store__doc_path(want, id);
	return strcmp(want, path) == 0;
}

/* Decrypts and checks the revision `side` has at the conflict's path. */
static int open_side(sanctum_doc *out, merger *m, const conflict *c, int side,
                     const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	git_blob *blob = NULL;
	int error;

	if (git_blob_lookup(&blob, m->store->repo, &c->id[side]) < 0)
		return git_fail("cannot read a document to merge");
	if ((size_t)git_blob_rawsize(blob) > SANCTUM_STORE_MAX_DOC_FILE)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                           "'%s' in %s is larger than allowed", c->path,
		                           side_names[side]);
	else
		error = sanctum_store__open_doc(out, m->store, &m->roster[side], m->tree[side],
		                                c->path, id, git_blob_rawcontent(blob),
		                                (size_t)git_blob_rawsize(blob), m->author);
	git_blob_free(blob);
	return error;
}

/* Rule 3: the winner's file stays, the loser's is kept as conflicts/xx/ID/HASH.age. */
static int keep_winner(merger *m, const conflict *c, const sanctum_doc rev[SIDES])
{
	int win = sanctum_doc__wins(&rev[OURS], &rev[THEIRS]) ? OURS : THEIRS;
	int lose = win == OURS ? THEIRS : OURS;
	char id_hex[2 * SANCTUM_DOC_ID_SIZE + 1], hash_hex[2 * SANCTUM_DOC_HASH_SIZE + 1];
	char path[128];
	int error;

	sanctum_doc_id_to_hex(id_hex, rev[lose].id);
	sanctum_hex_encode(hash_hex, rev[lose].hash, SANCTUM_DOC_HASH_SIZE);
	snprintf(path, sizeof(path), "conflicts/%.2s/%s/%s.age", id_hex, id_hex, hash_hex);
	error = put(m->index, c->path, &c->id[win]);
	if (error == 0)
		error = put(m->index, path, &c->id[lose]);
	if (error == 0)
		m->stats.conflicts++;
	return error;
}

/* Rule 2: a clean text merge becomes a new revision signed by the merger. */
static int try_text_merge(int *merged, merger *m, const conflict *c, sanctum_doc rev[SIDES])
{
	sanctum_doc next;
	git_oid blob;
	int error;

	*merged = 0;
	error = sanctum_doc__merge3(&next, merged, &rev[BASE], &rev[OURS], &rev[THEIRS]);
	if (error == 0 && *merged)
		error = sanctum_store__write_revision(&blob, m->store, &m->roster[m->result_side],
		                                      &next, m->author);
	if (error == 0 && *merged)
		error = put(m->index, c->path, &blob);
	if (error == 0 && *merged)
		m->stats.texts_merged++;
	sanctum_doc_dispose(&next);
	return error;
}

/*
 * The ancestor, for a text merge. One this member cannot read (an epoch it was never
 * given) is treated as absent: the document then gets a winner, which loses nothing.
 */
static int open_ancestor(int *have, merger *m, const conflict *c, sanctum_doc *out,
                         const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	int error;

	*have = 0;
	if (!c->has[BASE])
		return 0;
	error = open_side(out, m, c, BASE, id);
	if (error == SANCTUM_ENOMEM)
		return error;
	*have = error == 0;
	if (error < 0)
		sanctum_error_clear();
	return 0;
}

static int decide_doc(merger *m, const conflict *c)
{
	sanctum_doc rev[SIDES] = { SANCTUM_DOC_INIT, SANCTUM_DOC_INIT, SANCTUM_DOC_INIT };
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	int error, have_base = 0, merged = 0;

	if (!doc_path_id(id, c->path))
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                          "'%s' is not a legal path in a store", c->path);
	if (!c->has[OURS] || !c->has[THEIRS])
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                          "'%s' was removed in %s: a document file is never "
		                          "removed",
		                          c->path, side_names[c->has[OURS] ? THEIRS : OURS]);
	error = open_side(&rev[OURS], m, c, OURS, id);
	if (error == 0)
		error = open_side(&rev[THEIRS], m, c, THEIRS, id);
	if (error == 0 && sodium_memcmp(rev[OURS].hash, rev[THEIRS].hash,
	                                SANCTUM_DOC_HASH_SIZE) == 0) {
		/* Rule 1: one revision encrypted twice. Either file will do; the larger id, as
		 * on every copy. (Concurrent rekeys to one epoch are the only way here.) */
		error = put(m->index, c->path, git_oid_cmp(&c->id[OURS], &c->id[THEIRS]) > 0
		                                       ? &c->id[OURS] : &c->id[THEIRS]);
		goto done;
	}
	if (error == 0 && sanctum_doc__is_text(&rev[OURS]) && sanctum_doc__is_text(&rev[THEIRS]))
		error = open_ancestor(&have_base, m, c, &rev[BASE], id);
	if (error == 0 && have_base)
		error = try_text_merge(&merged, m, c, rev);
	if (error == 0 && !merged)
		error = keep_winner(m, c, rev);
done:
	for (int i = 0; i < SIDES; i++)
		sanctum_doc_dispose(&rev[i]);
	return error;
}

static int decide_conflicts(merger *m, const conflict_list *list)
{
	int error = 0;

	for (size_t i = 0; error == 0 && i < list->count; i++) {
		const conflict *c = &list->items[i];

		error = strncmp(c->path, "docs/", 5) == 0 ? decide_doc(m, c)
		                                          : decide_conflict_file(m, c);
	}
	return error;
}

/* ---- the commit ---- */

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int commit_merge(git_oid *out, merger *m, git_commit *ours, git_commit *theirs)
{
	const sanctum_merge_stats *st = &m->stats;
	char summary[160];
	git_tree *tree = NULL;
	git_oid tree_id;
	int error;

	if (git_index_write_tree_to(&tree_id, m->index, m->store->repo) < 0 ||
	    git_tree_lookup(&tree, m->store->repo, &tree_id) < 0)
		return git_fail("cannot write the merged tree");
	/* Counts only: a message is public, a title is not. */
	snprintf(summary, sizeof(summary), "sanctum: merge, %zu %s taken, %zu text %s, %zu %s",
	         st->taken, plural(st->taken, "path", "paths"), st->texts_merged,
	         plural(st->texts_merged, "merge", "merges"), st->conflicts,
	         plural(st->conflicts, "conflict", "conflicts"));
	error = sanctum_store__commit_merge(out, m->store, ours, theirs, tree, m->author, summary);
	git_tree_free(tree);
	return error;
}

static int run(git_oid *out, merger *m, git_commit *ours, git_commit *theirs)
{
	conflict_list list = { NULL, 0 };
	int error = load_sides(m, ours, theirs);

	if (error == 0)
		error = check_membership(m);
	if (error == 0)
		error = sanctum_store__check_member(&m->roster[m->result_side], m->author, 1);
	if (error == 0)
		error = merge_trees(m);
	if (error == 0)
		error = collect_conflicts(&list, m->index);
	if (error == 0)
		error = check_conflicts(&list);
	if (error == 0)
		error = count_taken(m);
	if (error == 0)
		error = decide_conflicts(m, &list);
	if (error == 0)
		error = commit_merge(out, m, ours, theirs);
	conflicts_dispose(&list);
	return error;
}

int sanctum_store__merge(git_oid *out, sanctum_merge_stats *stats, sanctum_store *store,
                         git_commit *ours, git_commit *theirs, const sanctum_identity *author)
{
	merger m;
	int error;

	memset(&m, 0, sizeof(m));
	m.store = store;
	m.author = author;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (!out || !store || !ours || !theirs || !author)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "invalid argument: a merge needs two commits and an "
		                          "author");
	if ((error = sanctum_store__lock(store)) < 0)
		return error;
	error = run(out, &m, ours, theirs);
	if (error == 0 && stats)
		*stats = m.stats;
	merger_dispose(&m);
	sanctum_store__unlock(store);
	return error;
}

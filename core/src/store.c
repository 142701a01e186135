/*
 * Creating, finding and opening a store; reading its tree; the lock.
 */
#include "store_internal.h"

#include "errors_internal.h"
#include "signed_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int sanctum_store__git_error(const char *context)
{
	const git_error *e = git_error_last();
	int saved = errno;

	/* libgit2 sets no message for some failed writes (a full disk, a file size limit);
	 * errno is then the best account of what happened. */
	if (e && e->message && e->message[0])
		sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT, "%s: %s", context, e->message);
	else if (saved)
		sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS, "%s: %s", context,
		                   strerror(saved));
	else
		sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT, "%s", context);
	git_error_clear();
	return SANCTUM_ERROR;
}

static char *join(const char *a, const char *b)
{
	size_t len = strlen(a) + strlen(b) + 2;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%s/%s", a, b);
	return out;
}

sanctum_store *sanctum_store__alloc(const char *path)
{
	sanctum_store *store = calloc(1, sizeof(*store));

	if (!store)
		return NULL;
	store->lock_fd = -1;
	store->path = strdup(path);
	store->git_dir = store->path ? join(path, SANCTUM_STORE_DIRNAME) : NULL;
	if (!store->git_dir) {
		sanctum_store_free(store);
		return NULL;
	}
	return store;
}

int sanctum_store__claim(sanctum_store **out, const char *path)
{
	sanctum_store *store;
	int error;

	*out = NULL;
	if (!(store = sanctum_store__alloc(path)))
		return sanctum_error__nomem();
	/* Making .sanctum ourselves is the test that nobody else has: a folder we did not
	 * create is never taken over, and never removed when init or join fails. */
	if (mkdir(store->git_dir, 0700) != 0) {
		error = errno == EEXIST
		                ? sanctum_error__set(SANCTUM_EEXISTS, SANCTUM_ERRCLASS_INVALID,
		                                     "'%s' already holds a sanctum store (or a "
		                                     "folder named %s)", path,
		                                     SANCTUM_STORE_DIRNAME)
		                : sanctum_error__os("cannot create '%s'", store->git_dir);
		sanctum_store_free(store);
		return error;
	}
	*out = store;
	return 0;
}

int sanctum_store_head(char out[41], sanctum_store *store)
{
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH);

	out[0] = '\0';
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_GIT,
		                          "the store has no commit yet");
	}
	if (rc < 0)
		return sanctum_store__git_error("cannot read main");
	git_oid_tostr(out, 41, &oid);
	return 0;
}

int sanctum_store_contains(sanctum_store *store, const char *hex)
{
	git_oid want, head;
	int rc;

	if (!hex || strlen(hex) != 40 || git_oid_fromstr(&want, hex) < 0) {
		git_error_clear();
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "not a commit id: 40 hex digits expected");
	}
	if (git_reference_name_to_id(&head, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_oid_equal(&want, &head))
		return 1;
	rc = git_graph_descendant_of(store->repo, &head, &want);
	git_error_clear();
	return rc == 1;
}

void sanctum_store_free(sanctum_store *store)
{
	if (!store)
		return;
	store->lock_depth = 1; /* whatever is still nested, the handle goes */
	sanctum_store__unlock(store);
	if (store->has_roster_cache)
		sanctum_roster__dispose(&store->roster_cache);
	for (size_t i = 0; i < store->nepoch_keys; i++)
		sanctum_age_identity_free(store->epoch_keys[i]);
	free(store->epoch_keys);
	git_repository_free(store->repo);
	free(store->git_dir);
	free(store->path);
	free(store);
}

const char *sanctum_store_path(const sanctum_store *store) { return store->path; }
const char *sanctum_store_group_name(const sanctum_store *store) { return store->manifest.name; }
const char *sanctum_store_group_id(const sanctum_store *store) { return store->manifest.id; }

void sanctum_store__doc_path(char out[48], const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

	sanctum_doc_id_to_hex(hex, id);
	snprintf(out, 48, "docs/%.2s/%s.age", hex, hex);
}

/* ---- reading the tree ---- */

int sanctum_store__head(git_commit **out, sanctum_store *store)
{
	git_oid oid;

	*out = NULL;
	if (git_reference_name_to_id(&oid, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH) < 0)
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_GIT,
		                          "the store has no '%s' branch yet", SANCTUM_STORE_BRANCH);
	if (git_commit_lookup(out, store->repo, &oid) < 0)
		return sanctum_store__git_error("cannot read the head commit");
	return 0;
}

int sanctum_store__read_blob(sanctum_buf *out, sanctum_store *store, git_tree *tree,
                             const char *path, size_t max)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int error = 0;

	sanctum_buf_clear(out);
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		/* Often an expected answer (the end of the roster): leave no stale git error. */
		git_error_clear();
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_GIT,
		                          "'%s' is not in the store", path);
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                           "'%s' is not a file", path);
	else if (git_blob_lookup(&blob, store->repo, git_tree_entry_id(entry)) < 0)
		error = sanctum_store__git_error("cannot read a file of the store");
	else if ((size_t)git_blob_rawsize(blob) > max)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_GIT,
		                           "'%s' is larger than the %zu bytes allowed", path, max);
	else if (sanctum_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0)
		error = SANCTUM_ENOMEM;
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return error;
}

/* The ids of the `group` blob and the `roster` tree of `tree`: what a roster depends on. */
static int roster_inputs(git_oid *group, git_oid *roster_tree, git_tree *tree)
{
	const git_tree_entry *g = git_tree_entry_byname(tree, "group");
	const git_tree_entry *r = git_tree_entry_byname(tree, "roster");

	if (!g || !r || git_tree_entry_type(r) != GIT_OBJECT_TREE)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "the store has no group manifest or no roster");
	*group = *git_tree_entry_id(g);
	*roster_tree = *git_tree_entry_id(r);
	return 0;
}

/* Replays every entry of the `roster` tree, looked up once, in order. */
static int replay_roster(sanctum_roster *out, sanctum_store *store, const git_oid *roster_tree)
{
	git_tree *entries = NULL;
	char name[7];
	int error = 0;

	if (git_tree_lookup(&entries, store->repo, roster_tree) < 0)
		return sanctum_store__git_error("cannot read the roster");
	for (uint64_t seq = 1; error == 0; seq++) {
		const git_tree_entry *entry;
		git_blob *blob = NULL;

		sanctum_roster__entry_name(name, seq);
		if (!(entry = git_tree_entry_byname(entries, name))) {
			if (seq == 1)
				error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
				                           "the roster has no first entry");
			break;
		}
		if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
		    git_blob_lookup(&blob, store->repo, git_tree_entry_id(entry)) < 0)
			error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
			                           "roster entry %s cannot be read", name);
		else if ((size_t)git_blob_rawsize(blob) > SANCTUM_ROSTER_MAX_ENTRY)
			error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
			                           "roster entry %s is too large", name);
		else
			error = sanctum_roster__apply(out, git_blob_rawcontent(blob),
			                              (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
	}
	git_tree_free(entries);
	return error;
}

/*
 * A roster is a pure function of the `group` blob and the `roster` tree, both named by
 * their content, so the one verified last is kept in the handle and reused while they do
 * not change: replaying and verifying every entry again would make each read cost as
 * much as the roster is long.
 */
int sanctum_store__load_roster(sanctum_roster *out, sanctum_store *store, git_tree *tree)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	sanctum_manifest manifest;
	git_oid group, roster_tree;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = roster_inputs(&group, &roster_tree, tree)) < 0)
		return error;
	if (store->has_roster_cache && git_oid_equal(&group, &store->roster_cache_group) &&
	    git_oid_equal(&roster_tree, &store->roster_cache_tree))
		return sanctum_roster__copy(out, &store->roster_cache);
	if ((error = sanctum_store__read_blob(&data, store, tree, "group", 65536)) == 0 &&
	    (error = sanctum_manifest__parse(&manifest, data.ptr, data.size)) == 0) {
		sanctum_roster__init(out, &manifest);
		error = replay_roster(out, store, &roster_tree);
	}
	sanctum_buf_dispose(&data);
	if (error < 0) {
		sanctum_roster__dispose(out);
		return error;
	}
	sanctum_error_clear();
	if (store->has_roster_cache)
		sanctum_roster__dispose(&store->roster_cache);
	store->has_roster_cache = sanctum_roster__copy(&store->roster_cache, out) == 0;
	store->roster_cache_group = group;
	store->roster_cache_tree = roster_tree;
	return 0;
}

/* ---- local state and the lock ---- */

char *sanctum_store__local_path(sanctum_store *store, const char *name)
{
	char *dir = join(store->git_dir, SANCTUM_STORE_LOCAL_DIR);
	char *path = NULL;

	if (dir && (mkdir(dir, 0700) == 0 || errno == EEXIST))
		path = name ? join(dir, name) : strdup(dir);
	free(dir);
	return path;
}

/* Removes the *.lock files of a folder of refs (not its subfolders). */
static void clear_locks_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *path;

		if (n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0 && (path = join(dir, e->d_name))) {
			unlink(path);
			free(path);
		}
	}
	if (d)
		closedir(d);
}

/*
 * Every sanctum process that writes a ref holds the store's flock, so a git lock file
 * found by the holder of that flock was left by one that died (kill -9 in the middle of
 * a ref update). Left there it would block every later update of that ref.
 */
static void clear_stale_ref_locks(sanctum_store *store)
{
	static const char *const files[] = { "refs/heads/" SANCTUM_STORE_BRANCH ".lock",
	                                     "packed-refs.lock" };
	static const char *const dirs[] = { "refs/sanctum", "refs/sanctum/verified",
	                                    "refs/sanctum/quarantine" };
	char *path;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((path = join(store->git_dir, files[i])) != NULL) {
			unlink(path);
			free(path);
		}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if ((path = join(store->git_dir, dirs[i])) != NULL) {
			clear_locks_in(path);
			free(path);
		}
}

int sanctum_store__lock(sanctum_store *store)
{
	char *path;
	int fd;

	if (store->lock_fd >= 0) {
		store->lock_depth++;
		return 0;
	}
	if (!(path = sanctum_store__local_path(store, "lock")))
		return sanctum_error__os("cannot create the store's local folder");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(path);
	if (fd < 0)
		return sanctum_error__os("cannot open the store's lock file");
	/* flock dies with its process, so a crashed sanctum never leaves a stale lock. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		close(fd);
		if (busy)
			return sanctum_error__set(SANCTUM_ELOCKED, SANCTUM_ERRCLASS_OS,
			                          "another sanctum process is using the store in '%s'; "
			                          "wait for it to finish", store->path);
		return sanctum_error__os("cannot lock the store");
	}
	store->lock_fd = fd;
	store->lock_depth = 1;
	clear_stale_ref_locks(store);
	return 0;
}

void sanctum_store__unlock(sanctum_store *store)
{
	if (store->lock_fd >= 0 && --store->lock_depth <= 0) {
		close(store->lock_fd);
		store->lock_fd = -1;
		store->lock_depth = 0;
	}
}

/* ---- opening ---- */

int sanctum_store__exists(const char *dir)
{
	char *git_dir = join(dir, SANCTUM_STORE_DIRNAME);
	char *head = git_dir ? join(git_dir, "HEAD") : NULL;
	struct stat st;
	int found = head && stat(head, &st) == 0 && S_ISREG(st.st_mode);

	free(head);
	free(git_dir);
	return found;
}

/* Walks up from `dir` to the nearest folder holding a store; writes it to `found`. */
static int discover(char found[PATH_MAX], const char *dir)
{
	if (!realpath(dir, found))
		return sanctum_error__os("cannot resolve '%s'", dir);
	for (;;) {
		char *slash = strrchr(found, '/');

		if (sanctum_store__exists(found))
			return 0;
		if (strcmp(found, "/") == 0 || !slash)
			return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
			                          "no sanctum store in '%s' or any folder above it; "
			                          "create one with 'sanctum init' or name one with -C",
			                          dir);
		if (slash == found)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * The group's trust anchor is pinned in the store's local git config (never pushed):
 * written by init (and by join, from the invitation), or on the first open of a copy
 * that has none (trust on first use, as ssh does with host keys). A main whose manifest
 * has another anchor belongs to another group or a replaced history: refused.
 */
int sanctum_store__pin_anchor(sanctum_store *store, const unsigned char anchor[32])
{
	git_config *config = NULL;
	char hex[65];
	int error = 0;

	sanctum_hex_encode(hex, anchor, 32);
	if (git_repository_config(&config, store->repo) < 0 ||
	    git_config_set_string(config, SANCTUM_ANCHOR_KEY, hex) < 0)
		error = sanctum_store__git_error("cannot record the group's trust anchor");
	git_config_free(config);
	return error;
}

static int check_anchor(sanctum_store *store)
{
	git_config *config = NULL;
	git_buf pinned = GIT_BUF_INIT;
	unsigned char want[32];
	int rc, error = 0;

	if (git_repository_config(&config, store->repo) < 0)
		return sanctum_store__git_error("cannot read the store's configuration");
	rc = git_config_get_string_buf(&pinned, config, SANCTUM_ANCHOR_KEY);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		error = sanctum_store__pin_anchor(store, store->manifest.anchor);
	} else if (rc < 0 || sanctum_hex_decode(want, sizeof(want), pinned.ptr) < 0) {
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "the store's recorded trust anchor (%s) is damaged",
		                           SANCTUM_ANCHOR_KEY);
	} else if (sodium_memcmp(want, store->manifest.anchor, sizeof(want)) != 0) {
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           "main holds the manifest of another group, not the one "
		                           "this store belongs to: its history was replaced; "
		                           "refusing it");
	}
	git_buf_dispose(&pinned);
	git_config_free(config);
	return error;
}

static int load_manifest(sanctum_store *store)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int error = sanctum_store__head(&head, store);

	if (error == 0 && git_commit_tree(&tree, head) < 0)
		error = sanctum_store__git_error("cannot read the head tree");
	if (error == 0)
		error = sanctum_store__read_blob(&data, store, tree, "group", 65536);
	if (error == 0)
		error = sanctum_manifest__parse(&store->manifest, data.ptr, data.size);
	if (error == 0)
		error = check_anchor(store);
	sanctum_buf_dispose(&data);
	git_tree_free(tree);
	git_commit_free(head);
	return error;
}

int sanctum_store_open(sanctum_store **out, const char *dir, int discover_parents)
{
	char found[PATH_MAX];
	sanctum_store *store;
	int error;

	*out = NULL;
	if (discover_parents) {
		if ((error = discover(found, dir)) < 0)
			return error;
	} else {
		if (!sanctum_store__exists(dir))
			return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
			                          "'%s' holds no sanctum store", dir);
		if (!realpath(dir, found))
			return sanctum_error__os("cannot resolve '%s'", dir);
	}
	if (!(store = sanctum_store__alloc(found)))
		return sanctum_error__nomem();
	if (git_repository_open_bare(&store->repo, store->git_dir) < 0)
		error = sanctum_store__git_error("cannot open the store's repository");
	else
		error = load_manifest(store);
	if (error < 0) {
		sanctum_store_free(store);
		return error;
	}
	*out = store;
	return 0;
}

/* ---- epoch keys ---- */

int sanctum_store__epoch_key(const sanctum_age_identity **out, sanctum_store *store,
                             const sanctum_roster *roster, git_tree *tree, uint64_t number,
                             const sanctum_identity *reader)
{
	sanctum_buf file = SANCTUM_BUF_INIT;
	sanctum_age_identity *key = NULL;
	char path[32], name[11];
	sanctum_card card;
	int error;

	*out = NULL;
	if (number == 0 || number > 999999)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID, "bad epoch");
	/* The cache belongs to one reader: another identity must open the epochs itself. */
	sanctum_identity_card(&card, reader);
	if (sodium_memcmp(store->epoch_reader, card.signing_key, sizeof(card.signing_key)) != 0) {
		for (size_t i = 0; i < store->nepoch_keys; i++) {
			sanctum_age_identity_free(store->epoch_keys[i]);
			store->epoch_keys[i] = NULL;
		}
		memcpy(store->epoch_reader, card.signing_key, sizeof(card.signing_key));
	}
	if (number <= store->nepoch_keys && store->epoch_keys[number - 1]) {
		*out = store->epoch_keys[number - 1];
		return 0;
	}
	if (number > store->nepoch_keys) {
		sanctum_age_identity **bigger = realloc(store->epoch_keys, number * sizeof(*bigger));
		if (!bigger)
			return sanctum_error__nomem();
		for (size_t i = store->nepoch_keys; i < number; i++)
			bigger[i] = NULL;
		store->epoch_keys = bigger;
		store->nepoch_keys = number;
	}
	sanctum_epoch__file_name(name, number);
	snprintf(path, sizeof(path), "epochs/%s", name);
	error = sanctum_store__read_blob(&file, store, tree, path, SANCTUM_EPOCH_MAX_FILE);
	if (error == 0)
		error = sanctum_epoch__open(&key, roster, number, file.ptr, file.size, reader);
	if (error == SANCTUM_ENOMATCH)
		error = sanctum_error__set(SANCTUM_ENOMATCH, SANCTUM_ERRCLASS_AGE,
		                           "this identity cannot open epoch %llu: it was not a member "
		                           "then, or its history was withheld",
		                           (unsigned long long)number);
	sanctum_buf_dispose(&file);
	if (error < 0)
		return error;
	store->epoch_keys[number - 1] = key;
	*out = key;
	return 0;
}

/* ---- reading documents ---- */

int sanctum_store__check_member(const sanctum_roster *roster, const sanctum_identity *who,
                                int must_be_active)
{
	sanctum_card card;
	const sanctum_member *m;

	sanctum_identity_card(&card, who);
	m = sanctum_roster__member(roster, card.signing_key);
	if (!m || (must_be_active && !m->active))
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                          "the identity '%s/%s' is not a member of this group",
		                          card.city, card.device);
	return 0;
}

int sanctum_store__open_doc(sanctum_doc *out, sanctum_store *store, const sanctum_roster *roster,
                            git_tree *tree, const char *path,
                            const unsigned char id[SANCTUM_DOC_ID_SIZE],
                            const unsigned char *file, size_t len,
                            const sanctum_identity *reader)
{
	sanctum_buf plain = SANCTUM_BUF_INIT;
	const sanctum_age_identity *key = NULL;
	int error = SANCTUM_ENOMATCH;

	if (roster->nepochs == 0)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "the roster names no epoch");
	/* Newest epoch first: after a rekey every document is there. */
	for (size_t i = roster->nepochs; error == SANCTUM_ENOMATCH && i > 0; i--) {
		error = sanctum_store__epoch_key(&key, store, roster, tree,
		                                 roster->epochs[i - 1].number, reader);
		if (error == 0)
			error = sanctum_age_decrypt(&plain, &key, 1, NULL, file, len);
	}
	if (error == 0)
		error = sanctum_doc_open(out, NULL, plain.ptr, plain.size, id);
	if (error == 0 && !sanctum_roster__member(roster, out->signer))
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           "signed by '%s', who is not a member of the group",
		                           out->author);
	if (error < 0) {
		if (path)
			error = sanctum_error__wrap(error, sanctum_error_last()->klass, "'%s'", path);
		sanctum_doc_dispose(out);
	}
	sanctum_buf_dispose(&plain);
	return error;
}

/* ---- snapshots ---- */

void sanctum_store__snapshot_dispose(sanctum_snapshot *s)
{
	sanctum_roster__dispose(&s->roster);
	git_tree_free(s->tree);
	git_commit_free(s->head);
	memset(s, 0, sizeof(*s));
}

int sanctum_store__snapshot_load(sanctum_snapshot *s, sanctum_store *store)
{
	int error;

	memset(s, 0, sizeof(*s));
	if ((error = sanctum_store__head(&s->head, store)) < 0)
		return error;
	if (git_commit_tree(&s->tree, s->head) < 0)
		error = sanctum_store__git_error("cannot read the head tree");
	if (error == 0)
		error = sanctum_store__load_roster(&s->roster, store, s->tree);
	if (error < 0)
		sanctum_store__snapshot_dispose(s);
	return error;
}

/*
 * Signed commits on main, and creating a store.
 *
 * A commit is built as a buffer by libgit2, signed with the member's key (SSHSIG,
 * namespace "git", as `git commit -S` with gpg.format=ssh does), written with the
 * signature in its gpgsig header, and only then published by moving main with a
 * compare-and-swap, so a crash leaves main at the old or the new commit.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "store_internal.h"

#include "errors_internal.h"
#include "signed_file.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SEQ_TRAILER "\nSanctum-Seq: "
#define BRANCH_TRAILER "Sanctum-Branch: " SANCTUM_STORE_BRANCH "\n"
#define GIT_NAMESPACE "git"

uint64_t sanctum_store__commit_seq(const git_commit *commit)
{
	const char *msg = git_commit_message(commit);
	const char *at = msg ? strstr(msg, SEQ_TRAILER) : NULL;
	char digits[24];
	uint64_t seq = 0;
	size_t n = 0;

	if (!at)
		return 0;
	at += sizeof(SEQ_TRAILER) - 1;
	while (n < sizeof(digits) - 1 && at[n] >= '0' && at[n] <= '9') {
		digits[n] = at[n];
		n++;
	}
	digits[n] = '\0';
	return sanctum_parse_u64(&seq, digits, UINT64_MAX) == 0 ? seq : 0;
}

static int empty_tree(git_tree **out, git_repository *repo)
{
	git_treebuilder *builder = NULL;
	git_oid oid;
	int error = 0;

	if (git_treebuilder_new(&builder, repo, NULL) < 0 || git_treebuilder_write(&oid, builder) < 0 ||
	    git_tree_lookup(out, repo, &oid) < 0)
		error = sanctum_store__git_error("cannot make an empty tree");
	git_treebuilder_free(builder);
	return error;
}

static int updated_tree(git_tree **out, sanctum_store *store, git_commit *parent,
                        const git_tree_update *updates, size_t nupdates)
{
	git_tree *base = NULL;
	git_oid oid;
	int error = parent ? (git_commit_tree(&base, parent) < 0 ? -1 : 0) : empty_tree(&base, store->repo);

	if (error < 0)
		return parent ? sanctum_store__git_error("cannot read the head tree") : error;
	if (git_tree_create_updated(&oid, store->repo, base, nupdates, updates) < 0 ||
	    git_tree_lookup(out, store->repo, &oid) < 0)
		error = sanctum_store__git_error("cannot build the new tree");
	git_tree_free(base);
	return error;
}

static int author_signature(git_signature **out, const sanctum_identity *author)
{
	char name[2 * SANCTUM_NAME_MAX + 2], fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_card card;

	sanctum_identity_card(&card, author);
	sanctum_key_fingerprint(fingerprint, card.signing_key);
	snprintf(name, sizeof(name), "%s/%s", card.city, card.device);
	if (git_signature_new(out, name, fingerprint, (git_time_t)time(NULL), 0) < 0)
		return sanctum_store__git_error("cannot make the commit's author");
	return 0;
}

/* Builds, signs and writes the commit object; does not move any ref. */
static int write_signed_commit(git_oid *out, sanctum_store *store, const git_commit **parents,
                               size_t nparents, git_tree *tree,
                               const sanctum_identity *author, const char *message)
{
	git_buf content = GIT_BUF_INIT;
	git_signature *who = NULL;
	sanctum_buf signature = SANCTUM_BUF_INIT;
	int error;

	if ((error = author_signature(&who, author)) < 0)
		return error;
	if (git_commit_create_buffer(&content, store->repo, who, who, NULL, message, tree,
	                             nparents, parents) < 0)
		error = sanctum_store__git_error("cannot build the commit");
	if (error == 0)
		error = sanctum_identity_sign(&signature, author, GIT_NAMESPACE, content.ptr,
		                              content.size);
	/* libgit2 wants the signature without its final newline; it adds one. */
	if (error == 0 && signature.size && signature.ptr[signature.size - 1] == '\n')
		signature.ptr[--signature.size] = '\0';
	if (error == 0 && git_commit_create_with_signature(out, store->repo, content.ptr,
	                                                   (const char *)signature.ptr,
	                                                   "gpgsig") < 0)
		error = sanctum_store__git_error("cannot write the signed commit");
	sanctum_buf_dispose(&signature);
	git_buf_dispose(&content);
	git_signature_free(who);
	return error;
}

static int move_main(sanctum_store *store, const git_oid *new_id, git_commit *parent)
{
	git_reference *ref = NULL;
	int rc;

	if (parent)
		rc = git_reference_create_matching(&ref, store->repo,
		                                   "refs/heads/" SANCTUM_STORE_BRANCH, new_id, 1,
		                                   git_commit_id(parent), "sanctum: commit");
	else
		rc = git_reference_create(&ref, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH,
		                          new_id, 0, "sanctum: first commit");
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		return sanctum_error__set(SANCTUM_ECONFLICT, SANCTUM_ERRCLASS_GIT,
		                          "main moved while this change was being made; try again");
	if (rc < 0)
		return sanctum_store__git_error("cannot move main");
	return 0;
}

int sanctum_store__commit(git_oid *out, sanctum_store *store, git_commit *parent,
                          const git_tree_update *updates, size_t nupdates,
                          const sanctum_identity *author, const char *summary)
{
	uint64_t seq = parent ? sanctum_store__commit_seq(parent) + 1 : 1;
	git_tree *tree = NULL;
	char message[512];
	int error;

	snprintf(message, sizeof(message), "%s\n\n" BRANCH_TRAILER "Sanctum-Seq: %llu\n", summary,
	         (unsigned long long)seq);
	if ((error = updated_tree(&tree, store, parent, updates, nupdates)) < 0)
		return error;
	{
		const git_commit *parents[1] = { parent };
		error = write_signed_commit(out, store, parents, parent ? 1 : 0, tree, author,
		                            message);
	}
	if (error == 0)
		error = move_main(store, out, parent);
	git_tree_free(tree);
	return error;
}

int sanctum_store__commit_merge(git_oid *out, sanctum_store *store, git_commit *ours,
                                git_commit *theirs, git_tree *tree,
                                const sanctum_identity *author, const char *summary)
{
	uint64_t a = sanctum_store__commit_seq(ours), b = sanctum_store__commit_seq(theirs);
	const git_commit *parents[2] = { ours, theirs };
	char message[512];
	int error;

	snprintf(message, sizeof(message), "%s\n\n" BRANCH_TRAILER "Sanctum-Seq: %llu\n", summary,
	         (unsigned long long)((a > b ? a : b) + 1));
	error = write_signed_commit(out, store, parents, 2, tree, author, message);
	if (error == 0)
		error = move_main(store, out, ours);
	return error;
}

/* ---- init ---- */

static int write_blob(git_oid *out, sanctum_store *store, const sanctum_buf *data)
{
	if (git_blob_create_from_buffer(out, store->repo, data->ptr, data->size) < 0)
		return sanctum_store__git_error("cannot write a file into the store");
	return 0;
}

/* The manifest, roster entry 1 and epoch 1, as three blobs. */
static int founding_files(git_oid oids[3], sanctum_store *store, const char *group_name,
                          const sanctum_identity *founder)
{
	sanctum_buf manifest = SANCTUM_BUF_INIT, entry = SANCTUM_BUF_INIT, epoch = SANCTUM_BUF_INIT;
	const sanctum_age_recipient *members[1];
	sanctum_age_recipient *founder_recipient = NULL, *epoch_recipient = NULL;
	sanctum_age_identity *epoch_key = NULL;
	unsigned char epoch_pub[SANCTUM_AGE_X25519_KEY_SIZE];
	sanctum_roster roster;
	sanctum_card card;
	int error;

	memset(&roster, 0, sizeof(roster));
	sanctum_identity_card(&card, founder);
	error = sanctum_manifest__create(&manifest, &store->manifest, group_name, founder);
	if (error == 0)
		error = sanctum_age_identity_to_recipient(&founder_recipient, sanctum_identity_age(founder));
	members[0] = founder_recipient;
	if (error == 0)
		error = sanctum_epoch__create(&epoch, &epoch_key, store->manifest.id, 1, members, 1,
		                              founder);
	if (error == 0)
		error = sanctum_age_identity_to_recipient(&epoch_recipient, epoch_key);
	if (error == 0)
		error = sanctum_age_recipient_x25519_key(epoch_pub, epoch_recipient);
	if (error == 0) {
		sanctum_roster_change change = { .op = "create", .card = &card, .admin = 1,
		                                 .history = 1, .epoch = 1,
		                                 .epoch_recipient = epoch_pub };

		sanctum_roster__init(&roster, &store->manifest);
		error = sanctum_roster__write_entry(&entry, &roster, &change, founder);
	}
	/* Check what we wrote the way every reader will before anything is committed. */
	if (error == 0)
		error = sanctum_roster__apply(&roster, entry.ptr, entry.size);
	if (error == 0 && (error = write_blob(&oids[0], store, &manifest)) == 0 &&
	    (error = write_blob(&oids[1], store, &entry)) == 0)
		error = write_blob(&oids[2], store, &epoch);
	sanctum_roster__dispose(&roster);
	sanctum_age_recipient_free(founder_recipient);
	sanctum_age_recipient_free(epoch_recipient);
	sanctum_age_identity_free(epoch_key);
	sanctum_buf_dispose(&manifest);
	sanctum_buf_dispose(&entry);
	sanctum_buf_dispose(&epoch);
	return error;
}

int sanctum_store__create_repository(sanctum_store *store)
{
	git_repository_init_options opts;
	git_config *config = NULL;
	int error = 0;

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = SANCTUM_STORE_BRANCH;
	opts.description = "sanctum store: signed, encrypted documents of one group";
	if (git_repository_init_ext(&store->repo, store->git_dir, &opts) < 0)
		return sanctum_store__git_error("cannot create the store's repository");
	if (git_repository_config(&config, store->repo) < 0 ||
	    git_config_set_int32(config, "sanctum.version", 1) < 0)
		error = sanctum_store__git_error("cannot write the store's configuration");
	git_config_free(config);
	return error;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void sanctum_store__discard(sanctum_store *store)
{
	git_repository_free(store->repo);
	store->repo = NULL;
	sanctum_store__unlock(store);
	nftw(store->git_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	sanctum_store_free(store);
}

int sanctum_store_init(sanctum_store **out, const char *dir, const char *group_name,
                       const sanctum_identity *founder)
{
	static const char *const paths[3] = { "group", "roster/000001", "epochs/000001.age" };
	char resolved[PATH_MAX];
	git_tree_update updates[3];
	git_oid oids[3], commit;
	sanctum_store *store;
	int error;

	*out = NULL;
	if (!sanctum_manifest__name_is_valid(group_name))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "invalid group name '%s'", group_name);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return sanctum_error__os("cannot create '%s'", dir);
	if (!realpath(dir, resolved))
		return sanctum_error__os("cannot resolve '%s'", dir);
	if ((error = sanctum_store__claim(&store, resolved)) < 0)
		return error;
	error = sanctum_store__create_repository(store);
	if (error == 0)
		error = sanctum_store__lock(store);
	if (error == 0)
		error = founding_files(oids, store, group_name, founder);
	if (error == 0)
		error = sanctum_store__pin_anchor(store, store->manifest.anchor);
	for (int i = 0; error == 0 && i < 3; i++) {
		updates[i].action = GIT_TREE_UPDATE_UPSERT;
		updates[i].id = oids[i];
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = paths[i];
	}
	if (error == 0)
		error = sanctum_store__commit(&commit, store, NULL, updates, 3, founder,
		                              "sanctum: group created");
	sanctum_store__unlock(store);
	if (error < 0) {
		/* Leave no half-made store behind: the folder holds nothing else of ours. */
		sanctum_store__discard(store);
		return error;
	}
	*out = store;
	return 0;
}

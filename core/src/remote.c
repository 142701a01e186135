/*
 * The store's remotes, kept as git keeps them: remote.NAME.url in the repository's
 * config (so `git remote -v` in .sanctum shows them), plus remote.NAME.sshKey. The
 * records of each remote live in refs: refs/sanctum/verified/NAME (the last head
 * verified from it) and refs/sanctum/quarantine/NAME (what a pull fetched).
 *
 * The config is read and written key by key: libgit2 1.5's remote lookup applies
 * url.*.insteadOf through PCRE2 and leaks its match data.
 */
#include "sync_internal.h"

#include "errors_internal.h"
#include "remote_url.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sanctum_remote__check_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > SANCTUM_REMOTE_NAME_MAX || name[0] == '.' || name[0] == '-')
		goto bad;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
		            name[i]))
			goto bad;
	if (strstr(name, "..") || (len >= 5 && strcmp(name + len - 5, ".lock") == 0))
		goto bad;
	return 0;
bad:
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "a remote's name is 1 to %d letters, digits, '-', '_' or '.', "
	                          "not starting with '.' or '-'", SANCTUM_REMOTE_NAME_MAX);
}

/* The string value of `remote.NAME.KEY`, or NULL (out of memory or absent: `*error`). */
static char *remote_value(sanctum_store *store, const char *name, const char *key, int *error)
{
	git_config *config = NULL;
	git_buf value = GIT_BUF_INIT;
	char full[SANCTUM_REMOTE_NAME_MAX + 32];
	char *out = NULL;
	int rc;

	*error = 0;
	snprintf(full, sizeof(full), "remote.%s.%s", name, key);
	if (git_repository_config(&config, store->repo) < 0) {
		*error = sanctum_store__git_error("cannot read the store's configuration");
		return NULL;
	}
	rc = git_config_get_string_buf(&value, config, full);
	git_config_free(config);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		*error = SANCTUM_ENOTFOUND;
		return NULL;
	}
	if (rc < 0)
		*error = sanctum_store__git_error("cannot read the store's configuration");
	else if (!(out = strdup(value.ptr)))
		*error = sanctum_error__nomem();
	git_buf_dispose(&value);
	return out;
}

int sanctum_remote__url(char **out, sanctum_store *store, const char *name)
{
	int error;

	if ((error = sanctum_remote__check_name(name)) < 0)
		return error;
	*out = remote_value(store, name, "url", &error);
	if (error == SANCTUM_ENOTFOUND)
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                          "there is no remote '%s'; see `sanctum remote list`", name);
	return error;
}

char *sanctum_remote__ssh_key(sanctum_store *store, const char *name)
{
	int error;
	char *key = remote_value(store, name, "sshKey", &error);

	git_error_clear();
	return key;
}

int sanctum_remote_add(sanctum_store *store, const char *name, const char *url)
{
	git_config *config = NULL;
	char key[SANCTUM_REMOTE_NAME_MAX + 16], resolved[PATH_MAX];
	char *existing = NULL;
	int error;

	if ((error = sanctum_remote__check_name(name)) < 0)
		return error;
	if (!url || !*url || strlen(url) > 4096 || strpbrk(url, "\n\r"))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a remote's URL is one line of at most 4096 characters");
	if ((existing = remote_value(store, name, "url", &error)) != NULL || error != SANCTUM_ENOTFOUND) {
		free(existing);
		if (error < 0 && error != SANCTUM_ENOTFOUND)
			return error;
		return sanctum_error__set(SANCTUM_EEXISTS, SANCTUM_ERRCLASS_INVALID,
		                          "the remote '%s' exists already; remove it first", name);
	}
	/* A path is kept absolute: timers and SANCTUM_DIR run from other folders. */
	if (!sanctum_remote__is_url(url) || strncmp(url, "file://", 7) == 0) {
		const char *path = strncmp(url, "file://", 7) == 0 ? url + 7 : url;

		if (!realpath(path, resolved))
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_OS,
			                          "cannot find the folder '%s' (%s); a local remote must "
			                          "exist first: git init --bare %s", path,
			                          strerror(errno), path);
		url = resolved;
	}
	snprintf(key, sizeof(key), "remote.%s.url", name);
	if (git_repository_config(&config, store->repo) < 0 ||
	    git_config_set_string(config, key, url) < 0)
		error = sanctum_store__git_error("cannot record the remote");
	else
		error = 0;
	git_config_free(config);
	return error;
}

/*
 * Whether config key `key` is remote.NAME.SOMETHING for exactly this NAME: the section and
 * the key ignore case, the remote's name does not (as git has it), and a name with dots
 * ("hub" and "hub.mirror") must not catch another's keys.
 */
static int key_of_remote(const char *key, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(key, "remote.", 7) == 0 && strncmp(key + 7, name, n) == 0 &&
	       key[7 + n] == '.' && !strchr(key + 8 + n, '.');
}

/* Deletes every remote.NAME.* key. */
static int forget_config(git_config *config, const char *name)
{
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	char **keys = NULL;
	size_t n = 0, cap = 0;
	int error = 0;

	if (git_config_iterator_new(&it, config) < 0)
		return sanctum_store__git_error("cannot read the store's configuration");
	while (error == 0 && git_config_next(&entry, it) == 0) {
		if (!key_of_remote(entry->name, name) || entry->level != GIT_CONFIG_LEVEL_LOCAL)
			continue;
		if (n == cap) {
			char **more = realloc(keys, (cap = cap ? cap * 2 : 8) * sizeof(*keys));
			if (!more) {
				error = sanctum_error__nomem();
				break;
			}
			keys = more;
		}
		if (!(keys[n] = strdup(entry->name)))
			error = sanctum_error__nomem();
		else
			n++;
	}
	git_config_iterator_free(it);
	git_error_clear();
	for (size_t i = 0; i < n; i++) {
		/* A multivar (several fetch lines) cannot be deleted as one entry; clear all. */
		if (error == 0 && git_config_delete_entry(config, keys[i]) < 0 &&
		    git_config_delete_multivar(config, keys[i], ".*") < 0 &&
		    git_error_last() && git_error_last()->klass != GIT_ERROR_CONFIG)
			error = sanctum_store__git_error("cannot remove the remote");
		git_error_clear();
		free(keys[i]);
	}
	free(keys);
	return error;
}

int sanctum_remote_remove(sanctum_store *store, const char *name)
{
	git_config *config = NULL;
	char *url = NULL, ref[SANCTUM_REMOTE_NAME_MAX + 32];
	int error;

	if ((error = sanctum_remote__url(&url, store, name)) < 0)
		return error;
	free(url);
	if (git_repository_config(&config, store->repo) < 0)
		return sanctum_store__git_error("cannot read the store's configuration");
	error = forget_config(config, name);
	git_config_free(config);
	for (int i = 0; error == 0 && i < 2; i++) {
		snprintf(ref, sizeof(ref), "%s%s", i ? SANCTUM_QUARANTINE_REFS : SANCTUM_VERIFIED_REFS,
		         name);
		if (git_reference_remove(store->repo, ref) < 0 && git_error_last() &&
		    git_error_last()->klass != GIT_ERROR_REFERENCE)
			error = sanctum_store__git_error("cannot remove the remote's records");
		git_error_clear();
	}
	return error;
}

static int by_remote_name(const void *a, const void *b)
{
	return strcmp(((const sanctum_remote_info *)a)->name, ((const sanctum_remote_info *)b)->name);
}

/* Adds the remote of config key `key` (remote.NAME.url) to the list. */
static int list_one(sanctum_remote_info **list, size_t *n, size_t *cap, sanctum_store *store,
                    const git_config_entry *entry)
{
	size_t len = strlen(entry->name);
	sanctum_remote_info *info;
	char ref[SANCTUM_REMOTE_NAME_MAX + 32];
	git_oid oid;

	if (len < 12 || strncasecmp(entry->name, "remote.", 7) != 0 ||
	    strcasecmp(entry->name + len - 4, ".url") != 0 || len - 11 > SANCTUM_REMOTE_NAME_MAX)
		return 0;
	if (*n == *cap) {
		sanctum_remote_info *more = realloc(*list, (*cap = *cap ? *cap * 2 : 4) * sizeof(*more));
		if (!more)
			return sanctum_error__nomem();
		*list = more;
	}
	info = &(*list)[*n];
	memset(info, 0, sizeof(*info));
	memcpy(info->name, entry->name + 7, len - 11);
	if (!(info->url = strdup(entry->value)))
		return sanctum_error__nomem();
	snprintf(ref, sizeof(ref), SANCTUM_VERIFIED_REFS "%s", info->name);
	if (git_reference_name_to_id(&oid, store->repo, ref) == 0)
		git_oid_tostr(info->verified, sizeof(info->verified), &oid);
	git_error_clear();
	(*n)++;
	return 0;
}

int sanctum_remote_list(sanctum_remote_info **out, size_t *count, sanctum_store *store)
{
	git_config *config = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	size_t n = 0, cap = 0;
	int error = 0;

	*out = NULL;
	*count = 0;
	if (git_repository_config(&config, store->repo) < 0 ||
	    git_config_iterator_new(&it, config) < 0) {
		git_config_free(config);
		return sanctum_store__git_error("cannot read the store's configuration");
	}
	while (error == 0 && git_config_next(&entry, it) == 0)
		if (entry->level == GIT_CONFIG_LEVEL_LOCAL)
			error = list_one(out, &n, &cap, store, entry);
	git_error_clear();
	git_config_iterator_free(it);
	git_config_free(config);
	if (error < 0) {
		sanctum_remote_list_free(*out, n);
		*out = NULL;
		return error;
	}
	if (n)
		qsort(*out, n, sizeof(**out), by_remote_name);
	*count = n;
	return 0;
}

void sanctum_remote_list_free(sanctum_remote_info *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		free(list[i].url);
	free(list);
}

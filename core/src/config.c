/*
 * The store's settings (sanctum/config.h): a table of the keys sanctum owns, each with
 * the kind of value it takes, checked before anything is written.
 */
#include "store_internal.h"

#include "errors_internal.h"
#include "sanctum/config.h"
#include "sync_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *name;              /* for remote keys, the part after remote.NAME. */
	sanctum_config_kind kind;
} key_spec;

static const key_spec store_keys[] = {
	{ "sanctum.daemon.listen", SANCTUM_CONFIG_HOSTPORT },
	{ "sanctum.daemon.peers", SANCTUM_CONFIG_HOSTPORT_LIST },
	{ "sanctum.daemon.interval", SANCTUM_CONFIG_DURATION },
	{ "sanctum.daemon.withholdtimeout", SANCTUM_CONFIG_DURATION },
	{ "sanctum.webhook.listen", SANCTUM_CONFIG_HOSTPORT },
	{ "sanctum.webhook.secretfile", SANCTUM_CONFIG_PATH },
	{ "sanctum.webhook.path", SANCTUM_CONFIG_URL_PATH },
};

static const key_spec remote_keys[] = {
	{ "url", SANCTUM_CONFIG_URL },
	{ "sshkey", SANCTUM_CONFIG_PATH },
	{ "syncinterval", SANCTUM_CONFIG_DURATION },
};

#define KNOWN_KEYS "sanctum.daemon.listen, sanctum.daemon.peers, sanctum.daemon.interval, " \
	"sanctum.daemon.withholdTimeout, sanctum.webhook.listen, sanctum.webhook.secretFile, " \
	"sanctum.webhook.path, remote.NAME.url, remote.NAME.sshKey, remote.NAME.syncInterval"

/* git config keys: section and key case-insensitive, a remote's name as written. */
static int key_kind(sanctum_config_kind *kind, const char *key)
{
	const char *dot;
	char name[SANCTUM_REMOTE_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(store_keys) / sizeof(store_keys[0]); i++)
		if (strcasecmp(key, store_keys[i].name) == 0) {
			*kind = store_keys[i].kind;
			return 0;
		}
	if (strncasecmp(key, "remote.", 7) != 0 || !(dot = strrchr(key + 7, '.')) ||
	    (size_t)(dot - (key + 7)) > SANCTUM_REMOTE_NAME_MAX)
		return -1;
	memcpy(name, key + 7, (size_t)(dot - (key + 7)));
	name[dot - (key + 7)] = '\0';
	if (sanctum_remote__check_name(name) < 0) {
		sanctum_error_clear();
		return -1;
	}
	for (size_t i = 0; i < sizeof(remote_keys) / sizeof(remote_keys[0]); i++)
		if (strcasecmp(dot + 1, remote_keys[i].name) == 0) {
			*kind = remote_keys[i].kind;
			return 0;
		}
	return -1;
}

int sanctum_config_key_kind(sanctum_config_kind *kind, const char *key)
{
	if (!key || key_kind(kind, key) < 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' is not a setting of sanctum; the settings are: "
		                          KNOWN_KEYS, key ? key : "");
	return 0;
}

/* ---- values ---- */

int sanctum_config_parse_duration(uint64_t *ms, const char *text)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	unsigned long long n;
	char *end;

	errno = 0;
	if (!text || !isdigit((unsigned char)text[0]))
		goto bad;
	n = strtoull(text, &end, 10);
	if (errno)
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			if (n > 30ull * 86400000 / units[i].ms)
				goto bad;
			*ms = n * units[i].ms;
			return 0;
		}
bad:
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "'%s' is not a duration: write a number and a unit, like 250ms, "
	                          "30s, 5m or 2h (at most 30 days)", text ? text : "");
}

int sanctum_config_parse_hostport(char host[256], unsigned *port, const char *text)
{
	const char *colon, *start = text;
	size_t len;
	char *end;
	unsigned long p;

	if (!text)
		goto bad;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			goto bad;
		start = text + 1;
		len = (size_t)(close - start);
		colon = close + 1;
	} else {
		if (!(colon = strrchr(text, ':')) || memchr(text, ':', (size_t)(colon - text)))
			goto bad;
		len = (size_t)(colon - text);
	}
	if (len == 0 || len > 255)
		goto bad;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)start[i]) && !strchr(".-:_", start[i]))
			goto bad;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || p == 0 || p > 65535)
		goto bad;
	memcpy(host, start, len);
	host[len] = '\0';
	*port = (unsigned)p;
	return 0;
bad:
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "'%s' is not HOST:PORT (like 127.0.0.1:7420, city.example:7420 "
	                          "or [::1]:7420)", text ? text : "");
}

static int check_list(const char *value)
{
	char host[256], item[300];
	unsigned port;
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof(item))
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                          "peers are HOST:PORT items separated by commas");
		memcpy(item, p, n);
		item[n] = '\0';
		if (sanctum_config_parse_hostport(host, &port, item) < 0)
			return SANCTUM_EINVALID;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int check_value(sanctum_config_kind kind, const char *value)
{
	char host[256];
	unsigned port;
	uint64_t ms;

	if (!value || strlen(value) > 4096 || strpbrk(value, "\n\r"))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a setting's value is one line of at most 4096 characters");
	switch (kind) {
	case SANCTUM_CONFIG_HOSTPORT: return sanctum_config_parse_hostport(host, &port, value);
	case SANCTUM_CONFIG_HOSTPORT_LIST: return check_list(value);
	case SANCTUM_CONFIG_DURATION: return sanctum_config_parse_duration(&ms, value);
	case SANCTUM_CONFIG_URL_PATH:
		if (value[0] != '/' || strpbrk(value, " ?#"))
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                          "a URL path starts with '/' and has no spaces, '?' or "
			                          "'#'");
		return 0;
	case SANCTUM_CONFIG_PATH:
	case SANCTUM_CONFIG_URL:
		if (!*value)
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                          "the value is empty");
		return 0;
	}
	return 0;
}

/* ---- the git config ---- */

static int open_config(git_config **out, sanctum_store *store)
{
	if (git_repository_config(out, store->repo) < 0)
		return sanctum_store__git_error("cannot read the store's configuration");
	return 0;
}

int sanctum_config_get(char **out, sanctum_store *store, const char *key)
{
	sanctum_config_kind kind;
	git_config *config = NULL;
	git_buf value = GIT_BUF_INIT;
	int rc, error;

	*out = NULL;
	if ((error = sanctum_config_key_kind(&kind, key)) < 0 ||
	    (error = open_config(&config, store)) < 0)
		return error;
	rc = git_config_get_string_buf(&value, config, key);
	git_config_free(config);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' is not set", key);
	}
	if (rc < 0)
		error = sanctum_store__git_error("cannot read the store's configuration");
	else if (!(*out = strdup(value.ptr)))
		error = sanctum_error__nomem();
	git_buf_dispose(&value);
	return error;
}

int sanctum_config_set(sanctum_store *store, const char *key, const char *value)
{
	sanctum_config_kind kind;
	git_config *config = NULL;
	int error;

	if ((error = sanctum_config_key_kind(&kind, key)) < 0 ||
	    (error = check_value(kind, value)) < 0 || (error = open_config(&config, store)) < 0)
		return error;
	if (git_config_set_string(config, key, value) < 0)
		error = sanctum_store__git_error("cannot write the store's configuration");
	git_config_free(config);
	return error;
}

int sanctum_config_unset(sanctum_store *store, const char *key)
{
	sanctum_config_kind kind;
	git_config *config = NULL;
	int rc, error;

	if ((error = sanctum_config_key_kind(&kind, key)) < 0 ||
	    (error = open_config(&config, store)) < 0)
		return error;
	rc = git_config_delete_entry(config, key);
	git_config_free(config);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' is not set", key);
	}
	return rc < 0 ? sanctum_store__git_error("cannot write the store's configuration") : 0;
}

static int append(sanctum_config_entry **list, size_t *n, size_t *cap, const git_config_entry *e)
{
	if (*n == *cap) {
		sanctum_config_entry *more = realloc(*list, (*cap = *cap ? *cap * 2 : 8) * sizeof(*more));
		if (!more)
			return sanctum_error__nomem();
		*list = more;
	}
	(*list)[*n].key = strdup(e->name);
	(*list)[*n].value = strdup(e->value ? e->value : "");
	if (!(*list)[*n].key || !(*list)[*n].value) {
		free((*list)[*n].key);
		free((*list)[*n].value);
		return sanctum_error__nomem();
	}
	(*n)++;
	return 0;
}

int sanctum_config_list(sanctum_config_entry **out, size_t *count, sanctum_store *store)
{
	git_config *config = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	sanctum_config_kind kind;
	size_t n = 0, cap = 0;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = open_config(&config, store)) < 0)
		return error;
	if (git_config_iterator_new(&it, config) < 0)
		error = sanctum_store__git_error("cannot read the store's configuration");
	while (error == 0 && git_config_next(&entry, it) == 0)
		if (entry->level == GIT_CONFIG_LEVEL_LOCAL && key_kind(&kind, entry->name) == 0)
			error = append(out, &n, &cap, entry);
	git_error_clear();
	git_config_iterator_free(it);
	git_config_free(config);
	if (error < 0) {
		sanctum_config_list_free(*out, n);
		*out = NULL;
		return error;
	}
	*count = n;
	return 0;
}

void sanctum_config_list_free(sanctum_config_entry *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++) {
		free(list[i].key);
		free(list[i].value);
	}
	free(list);
}

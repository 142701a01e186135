/*
 * What a remote's URL names: a network URL is used as it is; a local path or file:// URL
 * naming a store's folder means its .sanctum repository, so a city can name the folder.
 */
#include "remote_url.h"

#include "store_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A URL with a scheme ("ssh://") or scp-like ("host:path", a ':' before any '/'). */
int sanctum_remote__is_url(const char *url)
{
	const char *colon = strchr(url, ':');
	const char *slash = strchr(url, '/');

	return strstr(url, "://") != NULL || (colon && (!slash || colon < slash));
}

/*
 * Where to fetch `url` from, into `out`: for a local path or a file:// URL naming a
 * store's folder, its .sanctum repository (absolute); otherwise the URL as it is.
 * Returns 0, or -1 when a local path does not exist (`why` says so).
 */
int sanctum_remote__target(char out[PATH_MAX], const char *url, const char **why)
{
	const char *path = url;
	char resolved[PATH_MAX], inner[PATH_MAX];
	struct stat st;

	if (strncmp(url, "file://", 7) == 0)
		path = url + 7;
	else if (sanctum_remote__is_url(url)) {
		snprintf(out, PATH_MAX, "%s", url);
		return 0;
	}
	if (!realpath(path, resolved)) {
		*why = "no such folder";
		return -1;
	}
	snprintf(out, PATH_MAX, "%s", resolved);
	if (sanctum_store__exists(resolved) &&
	    (size_t)snprintf(inner, sizeof(inner), "%s/%s", resolved, SANCTUM_STORE_DIRNAME) <
	            sizeof(inner) &&
	    stat(inner, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(out, PATH_MAX, "%s", inner);
	return 0;
}


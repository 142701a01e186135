/* Remote URLs: network ones, and local paths to a store's folder or a bare repository. */
#ifndef SANCTUM_REMOTE_URL_H
#define SANCTUM_REMOTE_URL_H

#include <limits.h>

/** A URL with a scheme ("ssh://") or scp-like ("host:path", a ':' before any '/'). */
int sanctum_remote__is_url(const char *url);

/**
 * Where to fetch `url` from, into `out`: for a local path or a file:// URL naming a
 * store's folder, its .sanctum repository (absolute); otherwise the URL as it is.
 * Returns 0, or -1 when a local path does not exist (`why` says so).
 */
int sanctum_remote__target(char out[PATH_MAX], const char *url, const char **why);

#endif

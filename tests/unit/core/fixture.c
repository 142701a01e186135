/*
 * The fixture helpers the unit tests of core share (fixture.h).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

int make_temp_dir(char *out, size_t cap, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	char made[PATH_MAX], resolved[PATH_MAX];

	snprintf(made, sizeof(made), "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	if (!mkdtemp(made))
		return -1;
	/*
	 * Resolved, because the store resolves the folders it is given (realpath) and tests
	 * compare the paths it reports with their own: a TMPDIR behind a link would differ.
	 */
	if (!realpath(made, resolved) || strlen(resolved) >= cap) {
		rmdir(made);
		return -1;
	}
	memcpy(out, resolved, strlen(resolved) + 1);
	return 0;
}

void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char child[PATH_MAX];

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
			remove_tree(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

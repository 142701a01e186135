#include "sanctum/common.h"

#include <git2.h>
#include <sodium.h>
#include <stdio.h>

static int git_ready;

int sanctum_init(void)
{
	if (sodium_init() < 0)
		return -1;
	/* libgit2 counts its initialisations; keep ours to one so shutdown balances it. */
	if (!git_ready && git_libgit2_init() > 0) {
		git_ready = 1;
		/* libgit2 caches up to 256 MiB of objects by default, so walking a long history
		 * (verify) kept every commit and tree it read: memory grew with the history
		 * (55 MiB at 10,000 commits). Objects are reread cheaply; 1 MiB keeps it flat. */
		git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(1024 * 1024));
		/* Packs are read through mmap windows, 1 GiB each and 8 GiB in all by default:
		 * pulling 100,000 documents mapped the whole 1.5 GB pack (peak RSS 1.5 GiB, of
		 * page cache). Smaller windows, fewer of them mapped, keep a pull's footprint
		 * bounded at a small cost in remapping. */
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(32u << 20));
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(128u << 20));
	}
	return 0;
}

void sanctum_shutdown(void)
{
	if (git_ready) {
		git_libgit2_shutdown();
		git_ready = 0;
	}
}

const char *sanctum_version_string(void)
{
	static char text[96];
	int major = 0, minor = 0, rev = 0;

	if (!text[0]) {
		git_libgit2_version(&major, &minor, &rev);
		snprintf(text, sizeof(text), "sanctum %s (libsodium %s, libgit2 %d.%d.%d)",
		         SANCTUM_VERSION, sodium_version_string(), major, minor, rev);
	}
	return text;
}

/*
 * daemon_watch HEAD TIMEOUT_MS POLL_MS GIT_DIR... -- COMMAND [ARG...]
 *
 * The clock of daemon_latency.sh. Starts COMMAND (the publisher's `sanctum push`), then
 * polls, every POLL_MS milliseconds and in one loop over all of them, what refs/heads/main
 * of each GIT_DIR (a store's .sanctum) names, until every one names HEAD (40 hex digits)
 * or TIMEOUT_MS has passed. libgit2 reads the loose ref file (or packed-refs) on every
 * lookup, so this sees exactly what `git --git-dir GIT_DIR rev-parse main` would, without
 * starting a git process per peer and per poll.
 *
 * Prints one line per GIT_DIR, in order: "peer INDEX MS" (milliseconds from the start of
 * COMMAND until main was seen at HEAD) or "peer INDEX timeout"; then "command MS STATUS"
 * (when COMMAND exited, and its exit status) and "started SECONDS.MMM" (the wall clock,
 * CLOCK_REALTIME, when COMMAND was started: to line up with the daemons' logs). Exits 0 when every store got HEAD and the
 * command succeeded, 1 otherwise. COMMAND's output goes where this program's goes.
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	git_oid want, got;
	git_repository **repos;
	double *seen, start, timeout, poll_ms, cmd_ms = -1;
	int ndirs = 0, dash = -1, remaining, status = 0, ok = 1;
	pid_t pid;
	struct timespec wall;

	for (int i = 4; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
	if (argc < 7 || dash < 5 || dash + 1 >= argc || git_oid_fromstrn(&want, argv[1], 40) < 0 ||
	    strlen(argv[1]) != 40) {
		fprintf(stderr, "usage: daemon_watch HEAD TIMEOUT_MS POLL_MS GIT_DIR... -- COMMAND [ARG...]\n");
		return 2;
	}
	timeout = atof(argv[2]);
	poll_ms = atof(argv[3]);
	ndirs = dash - 4;
	git_libgit2_init();
	repos = calloc((size_t)ndirs, sizeof(*repos));
	seen = calloc((size_t)ndirs, sizeof(*seen));
	if (!repos || !seen)
		return 1;
	for (int i = 0; i < ndirs; i++) {
		if (git_repository_open_bare(&repos[i], argv[4 + i]) < 0) {
			fprintf(stderr, "daemon_watch: cannot open %s: %s\n", argv[4 + i],
			        git_error_last() ? git_error_last()->message : "?");
			return 1;
		}
		seen[i] = -1;
	}
	fflush(stdout);
	clock_gettime(CLOCK_REALTIME, &wall);
	start = now_ms();
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[dash + 1], argv + dash + 1);
		fprintf(stderr, "daemon_watch: cannot run %s: %s\n", argv[dash + 1], strerror(errno));
		_exit(127);
	}
	remaining = ndirs;
	for (long tick = 0;; tick++) {
		double t = now_ms();
		struct timespec next;
		double wake;

		if (cmd_ms < 0 && waitpid(pid, &status, WNOHANG) == pid)
			cmd_ms = t - start;
		for (int i = 0; i < ndirs; i++) {
			if (seen[i] >= 0)
				continue;
			if (git_reference_name_to_id(&got, repos[i], "refs/heads/main") == 0 &&
			    git_oid_equal(&got, &want)) {
				seen[i] = now_ms() - start;
				remaining--;
			}
		}
		if ((remaining == 0 && cmd_ms >= 0) || t - start > timeout)
			break;
		/* The next tick on the POLL_MS grid from the start, not POLL_MS after this loop. */
		wake = start + (double)(tick + 1) * poll_ms;
		if (wake > now_ms()) {
			double rest = wake - now_ms();

			next.tv_sec = (time_t)(rest / 1e3);
			next.tv_nsec = (long)((rest - (double)next.tv_sec * 1e3) * 1e6);
			nanosleep(&next, NULL);
		}
	}
	if (cmd_ms < 0) {
		waitpid(pid, &status, 0);
		cmd_ms = now_ms() - start;
	}
	for (int i = 0; i < ndirs; i++) {
		if (seen[i] >= 0) {
			printf("peer %d %.1f\n", i + 1, seen[i]);
		} else {
			printf("peer %d timeout\n", i + 1);
			ok = 0;
		}
		git_repository_free(repos[i]);
	}
	printf("command %.1f %d\n", cmd_ms, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	printf("started %lld.%03ld\n", (long long)wall.tv_sec, wall.tv_nsec / 1000000);
	free(repos);
	free(seen);
	git_libgit2_shutdown();
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

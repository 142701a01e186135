/*
 * peak_rss OUTFILE COMMAND [ARG...]
 *
 * Runs COMMAND, then writes one line "SECONDS PEAK_RSS_KIB" to OUTFILE: the wall-clock
 * time from fork to exit (CLOCK_MONOTONIC) and the child's peak resident set size as
 * wait4 reports it. Exits with the command's status (128 + signal if it was killed), so
 * age_files.sh needs neither GNU time nor a shell's sub-second timer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int report(const char *path, double seconds, long kib)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%.6f %ld\n", seconds, kib) < 0 || fclose(f) != 0) {
		fprintf(stderr, "peak_rss: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double start;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: peak_rss OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	start = now();
	pid = fork();
	if (pid < 0) {
		perror("peak_rss: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "peak_rss: cannot run '%s': %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("peak_rss: wait4");
			return 1;
		}
	if (report(argv[1], now() - start, ru.ru_maxrss) < 0)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * pty_run: runs a command on a pseudo-terminal, as a person at a keyboard would.
 *
 *     pty_run [--answer TEXT]... [--interrupt] [--timeout SECONDS] [--] COMMAND [ARG]...
 *
 * Each time the command turns the terminal's echo off to read a secret, the next --answer
 * is typed, followed by Enter. Waiting for echo to go off (rather than sleeping) means an
 * answer is never typed ahead and flushed away. With --interrupt, the first such prompt
 * gets Ctrl-C instead (SIGINT to the command) and the last line printed says whether the
 * terminal's echo was restored: "echo: on" or "echo: off".
 *
 * What the command wrote to the terminal goes to stdout. The exit code is the command's,
 * 128 + N if signal N killed it, or 124 if it ran longer than --timeout seconds.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ANSWERS 16

typedef struct {
	const char *answers[MAX_ANSWERS];
	int nanswers;
	int interrupt;
	double timeout;
	char **command;
} options;

static int parse_args(options *o, int argc, char **argv)
{
	int i = 1;

	o->timeout = 60;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--answer") == 0 && i + 1 < argc && o->nanswers < MAX_ANSWERS)
			o->answers[o->nanswers++] = argv[++i];
		else if (strcmp(argv[i], "--interrupt") == 0)
			o->interrupt = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			o->timeout = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: pty_run [--answer TEXT]... [--interrupt] [--] COMMAND...\n");
		return -1;
	}
	o->command = argv + i;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int echo_is_on(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return -1;
	return (t.c_lflag & ECHO) != 0;
}

/* Counts ": " in what the command printed: each prompt ends that way. */
static int count_prompts(const char *text, size_t len)
{
	int n = 0;

	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == ':' && text[i + 1] == ' ')
			n++;
	return n;
}

typedef struct {
	char *data;
	size_t len, cap;
} transcript;

static int read_some(int fd, transcript *t, int wait_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char chunk[4096];
	ssize_t n;

	if (poll(&p, 1, wait_ms) <= 0)
		return 0;
	n = read(fd, chunk, sizeof(chunk));
	if (n <= 0)
		return -1;
	if (t->len + (size_t)n > t->cap) {
		size_t cap = (t->cap + (size_t)n) * 2;
		char *bigger = realloc(t->data, cap);
		if (!bigger)
			return -1;
		t->data = bigger;
		t->cap = cap;
	}
	memcpy(t->data + t->len, chunk, (size_t)n);
	t->len += (size_t)n;
	return 1;
}

static int exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	options o = { { 0 }, 0, 0, 0, NULL };
	transcript t = { NULL, 0, 0 };
	int fd, status = 0, answered = 0, next_answer = 0, rc;
	double deadline;
	pid_t pid;

	if (parse_args(&o, argc, argv) < 0)
		return 2;
	pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0) {
		perror("pty_run: forkpty");
		return 2;
	}
	if (pid == 0) {
		execvp(o.command[0], o.command);
		_exit(127);
	}
	deadline = now() + o.timeout;
	for (;;) {
		if (now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fwrite(t.data, 1, t.len, stdout);
			free(t.data);
			return 124;
		}
		if (read_some(fd, &t, 50) < 0)
			break;
		/* A prompt is waiting once its text is out and echo is off; each counts once. */
		int prompts = count_prompts(t.data, t.len);
		if (echo_is_on(fd) == 0 && prompts > answered) {
			answered = prompts;
			if (o.interrupt) {
				kill(pid, SIGINT);
				break;
			}
			if (next_answer < o.nanswers) {
				const char *a = o.answers[next_answer++];
				if (write(fd, a, strlen(a)) < 0 || write(fd, "\n", 1) < 0)
					break;
			}
		}
	}
	waitpid(pid, &status, 0);
	if (o.interrupt)
		while (read_some(fd, &t, 50) > 0)
			;
	fwrite(t.data, 1, t.len, stdout);
	if (o.interrupt) {
		rc = echo_is_on(fd);
		printf("\necho: %s\n", rc < 0 ? "unknown" : rc ? "on" : "off");
	}
	free(t.data);
	close(fd);
	return exit_code(status);
}

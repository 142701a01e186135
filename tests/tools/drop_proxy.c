/*
 * drop_proxy: a TCP relay on 127.0.0.1 that cuts each connection after a set number of
 * bytes, so a test can show what a client does when a server goes away mid-pack.
 *
 *     drop_proxy --target PORT [--down BYTES] [--up BYTES] [--listen PORT]
 *
 * It listens on 127.0.0.1:--listen (0, the default, lets the kernel choose a free port),
 * prints the port it got on a line of its own on stdout and "drop_proxy: listening on
 * 127.0.0.1:PORT" on stderr, and relays each accepted connection to 127.0.0.1:--target.
 * After --down bytes from the server to the client, or --up bytes from the client to the
 * server, it relays exactly that many and then closes both sides at once; without either
 * option it is a plain relay. Each connection is logged on stderr as
 *     drop_proxy: connection N: D bytes down, U bytes up, dropped|closed
 * Each connection is served by a child process that dies with the proxy (Linux
 * PR_SET_PDEATHSIG), and a connection idle for 60 seconds is closed, so nothing outlives
 * the test that started it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE_MS 60000

typedef struct {
	int target;
	int listen_port;
	long long down; /* -1: no limit */
	long long up;
} options;

static int parse_number(const char *text, long long max, long long *out)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0 || value > max)
		return -1;
	*out = value;
	return 0;
}

static int parse_args(options *o, int argc, char **argv)
{
	long long n;
	int i;

	o->target = -1;
	o->listen_port = 0;
	o->down = -1;
	o->up = -1;
	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "--target") == 0 && parse_number(argv[i + 1], 65535, &n) == 0)
			o->target = (int)n;
		else if (strcmp(argv[i], "--listen") == 0 &&
			 parse_number(argv[i + 1], 65535, &n) == 0)
			o->listen_port = (int)n;
		else if (strcmp(argv[i], "--down") == 0 &&
			 parse_number(argv[i + 1], LLONG_MAX, &n) == 0)
			o->down = n;
		else if (strcmp(argv[i], "--up") == 0 && parse_number(argv[i + 1], LLONG_MAX, &n) == 0)
			o->up = n;
		else
			return -1;
		i++;
	}
	return o->target > 0 ? 0 : -1;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in addr;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return addr;
}

/* Writes all of buf; a peer gone away is not an error worth more than ending the relay. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Moves what is readable on from to to, at most *budget bytes when the budget is not -1.
 * Returns 1 when the budget ran out (drop now), -1 when from closed or failed, 0 otherwise.
 */
static int relay_once(int from, int to, long long *budget, long long *count)
{
	char buf[16384];
	size_t want = sizeof(buf);
	ssize_t n;

	if (*budget >= 0 && (long long)want > *budget)
		want = (size_t)*budget;
	if (want == 0)
		return 1;
	n = recv(from, buf, want, 0);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	if (write_all(to, buf, (size_t)n) != 0)
		return -1;
	*count += n;
	if (*budget >= 0) {
		*budget -= n;
		if (*budget == 0)
			return 1;
	}
	return 0;
}

static void serve(const options *o, int client, unsigned long id)
{
	struct sockaddr_in addr = loopback(o->target);
	struct pollfd fds[2];
	long long down_budget = o->down, up_budget = o->up, down = 0, up = 0;
	int server, dropped = 0, r = 0;

	server = socket(AF_INET, SOCK_STREAM, 0);
	if (server < 0 || connect(server, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "drop_proxy: connection %lu: cannot reach port %d: %s\n", id,
			o->target, strerror(errno));
		return;
	}
	/* A budget of 0 drops the connection before a single byte. */
	if (down_budget == 0 || up_budget == 0)
		dropped = 1;
	while (!dropped) {
		fds[0].fd = client;
		fds[0].events = POLLIN;
		fds[1].fd = server;
		fds[1].events = POLLIN;
		r = poll(fds, 2, IDLE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = relay_once(server, client, &down_budget, &down);
			if (r != 0)
				break;
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = relay_once(client, server, &up_budget, &up);
			if (r != 0)
				break;
		}
	}
	if (r == 1)
		dropped = 1;
	fprintf(stderr, "drop_proxy: connection %lu: %lld bytes down, %lld bytes up, %s\n", id,
		down, up, dropped ? "dropped" : "closed");
	close(server);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	struct sigaction sa;
	unsigned long id = 0;
	options o;
	int listener, one = 1;

	if (parse_args(&o, argc, argv) != 0) {
		fprintf(stderr, "usage: drop_proxy --target PORT [--down BYTES] [--up BYTES] "
				"[--listen PORT]\n");
		return 2;
	}
	/* Children are never waited for: let the kernel reap them. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);

	addr = loopback(o.listen_port);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(listener, 16) != 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
		fprintf(stderr, "drop_proxy: cannot listen on 127.0.0.1:%d: %s\n", o.listen_port,
			strerror(errno));
		return 1;
	}
	printf("%d\n", ntohs(addr.sin_port));
	fflush(stdout);
	fprintf(stderr, "drop_proxy: listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));

	for (;;) {
		int client = accept(listener, NULL, NULL);
		pid_t pid;

		if (client < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "drop_proxy: accept: %s\n", strerror(errno));
			return 1;
		}
		id++;
		pid = fork();
		if (pid == 0) {
			close(listener);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			serve(&o, client, id);
			close(client);
			_exit(0);
		}
		if (pid < 0)
			fprintf(stderr, "drop_proxy: fork: %s\n", strerror(errno));
		close(client);
	}
}

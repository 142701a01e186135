#include "cleanup.h"

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/*
 * The handler may only read what is complete: each *_active flag is set after its data
 * is written and cleared before the data is reused, and the handler only makes
 * async-signal-safe calls (tcsetattr, unlink, sigaction, raise).
 */
static volatile sig_atomic_t tty_active;
static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t file_active;
static char file_path[PATH_MAX];
static int installed;

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

static void on_fatal_signal(int sig)
{
	struct sigaction dfl;

	if (tty_active)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	if (file_active)
		unlink(file_path);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void install(void)
{
	struct sigaction sa, old;

	if (installed)
		return;
	installed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		/* A signal the caller chose to ignore (nohup) stays ignored. */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

void cli_cleanup_tty(int fd, const struct termios *saved)
{
	install();
	tty_active = 0;
	tty_fd = fd;
	tty_saved = *saved;
	tty_active = 1;
}

void cli_cleanup_tty_done(void)
{
	tty_active = 0;
}

int cli_cleanup_file(const char *path)
{
	size_t len = strlen(path);

	if (len >= sizeof(file_path))
		return -1;
	install();
	file_active = 0;
	memcpy(file_path, path, len + 1);
	file_active = 1;
	return 0;
}

void cli_cleanup_file_done(void)
{
	file_active = 0;
}

#include "passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>
#include <sanctum/errors.h>

#include "cleanup.h"
#include "error.h"
#include "fileio.h"

static void tty_puts(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* Reads one line up to '\n' or end of input; the newline is not kept. */
static int read_line(int fd, sanctum_buf *out)
{
	unsigned char c;
	int rc = 0;

	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cli_error("cannot read the passphrase: %s", strerror(errno));
			break;
		}
		if (n == 0 || c == '\n')
			break;
		if (out->size >= CLI_PASSPHRASE_MAX) {
			rc = cli_error("passphrase too long (more than %d bytes)",
			               CLI_PASSPHRASE_MAX);
			break;
		}
		if (sanctum_buf_put(out, &c, 1) < 0) {
			rc = cli_error("out of memory");
			break;
		}
	}
	sodium_memzero(&c, sizeof(c));
	return rc ? -1 : 0;
}

/* Shows `prompt` on the terminal and reads one line with echo turned off. */
static int ask(int fd, const char *prompt, sanctum_buf *out)
{
	struct termios saved, quiet;
	int rc;

	if (tcgetattr(fd, &saved) != 0) {
		cli_error("cannot ask for a passphrase: %s", strerror(errno));
		return -1;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	tty_puts(fd, prompt);
	tty_puts(fd, ": ");
	/* Restored on every path: below, and by the signal handler if ^C arrives first. */
	cli_cleanup_tty(fd, &saved);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		cli_cleanup_tty_done();
		cli_error("cannot turn off the terminal's echo: %s", strerror(errno));
		return -1;
	}
	rc = read_line(fd, out);
	tcsetattr(fd, TCSAFLUSH, &saved);
	cli_cleanup_tty_done();
	tty_puts(fd, "\n");
	return rc;
}

static int from_terminal(sanctum_buf *out, const cli_passphrase *pp)
{
	sanctum_buf again = SANCTUM_BUF_INIT;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int rc = -1;

	if (fd < 0) {
		cli_error("cannot ask for a passphrase: no terminal (%s)", strerror(errno));
		cli_hint("give the passphrase in a file with --passphrase-file FILE");
		return -1;
	}
	if (ask(fd, pp->prompt, out) < 0)
		goto done;
	if (pp->confirm && out->size > 0) {
		if (ask(fd, "Confirm passphrase", &again) < 0)
			goto done;
		if (again.size != out->size || sodium_memcmp(again.ptr, out->ptr, out->size) != 0) {
			cli_error("the passphrases do not match");
			goto done;
		}
	}
	rc = 0;
done:
	sanctum_buf_dispose(&again);
	close(fd);
	return rc;
}

/* The first line of the file, without its "\n" or "\r\n". */
static int from_file(sanctum_buf *out, const char *path)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	size_t len;
	int rc = -1;

	if (cli_read_file(&text, path, 64 * 1024) < 0)
		goto done;
	const unsigned char *nl = text.size ? memchr(text.ptr, '\n', text.size) : NULL;
	len = nl ? (size_t)(nl - text.ptr) : text.size;
	if (len > 0 && text.ptr[len - 1] == '\r')
		len--;
	if (len > CLI_PASSPHRASE_MAX) {
		cli_error("passphrase in '%s' too long (more than %d bytes)", path,
		          CLI_PASSPHRASE_MAX);
		goto done;
	}
	if (sanctum_buf_put(out, text.ptr, len) < 0) {
		cli_error("out of memory");
		goto done;
	}
	rc = 0;
done:
	sanctum_buf_dispose(&text);
	return rc;
}

int cli_passphrase_get(sanctum_buf *out, cli_passphrase *pp)
{
	int rc;

	sanctum_buf_clear(out);
	rc = pp->file ? from_file(out, pp->file) : from_terminal(out, pp);
	if (rc == 0 && out->size == 0) {
		if (pp->file)
			cli_error("empty passphrase in '%s'", pp->file);
		else
			cli_error("empty passphrase");
		rc = -1;
	}
	if (rc < 0) {
		sanctum_buf_clear(out);
		pp->reported = 1;
	}
	return rc;
}

int cli_passphrase_cb(sanctum_buf *out, void *payload)
{
	return cli_passphrase_get(out, payload) == 0 ? 0 : SANCTUM_ERROR;
}

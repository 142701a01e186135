#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cleanup.h"
#include "error.h"

int cli_is_stdio(const char *path)
{
	return !path || strcmp(path, "-") == 0;
}

const char *cli_subject(const char *path, const char *stdio_name)
{
	static char text[PATH_MAX + 8];

	if (cli_is_stdio(path))
		return stdio_name;
	snprintf(text, sizeof(text), "'%s'", path);
	return text;
}

int cli_open_input(const char *path)
{
	int fd;

	if (cli_is_stdio(path))
		return STDIN_FILENO;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		cli_error("cannot open '%s': %s", path, strerror(errno));
	return fd;
}

void cli_close_input(int fd)
{
	if (fd > STDERR_FILENO)
		close(fd);
}

int cli_read_file(sanctum_buf *out, const char *path, size_t max)
{
	unsigned char chunk[4096];
	int fd = cli_open_input(path);
	int rc = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cli_error("cannot read %s: %s", cli_subject(path, "standard input"),
			               strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (out->size + (size_t)n > max) {
			rc = cli_error("%s is too large (more than %zu bytes)",
			               cli_subject(path, "standard input"), max);
			break;
		}
		if (sanctum_buf_put(out, chunk, (size_t)n) < 0) {
			rc = cli_error("out of memory");
			break;
		}
	}
	sodium_memzero(chunk, sizeof(chunk));
	cli_close_input(fd);
	return rc ? -1 : 0;
}

/* "dir/.name.XXXXXX" for "dir/name": hidden, and on the same file system as the target. */
static char *temp_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t size = strlen(path) + sizeof(".") + sizeof(".XXXXXX");
	char *tmp = malloc(size);

	if (tmp)
		snprintf(tmp, size, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	return tmp;
}

int cli_output_open(cli_output *out, const char *path, unsigned flags)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->flags = flags;
	if (cli_is_stdio(path)) {
		out->fd = STDOUT_FILENO;
		return 0;
	}
	out->path = path;
	/* An early, friendly refusal; link() in cli_output_commit is the real guarantee. */
	if ((flags & CLI_OUTPUT_SECRET) && lstat(path, &st) == 0) {
		cli_error("refusing to overwrite '%s': the file already exists", path);
		return -1;
	}
	out->tmp = temp_template(path);
	if (!out->tmp) {
		cli_error("out of memory");
		return -1;
	}
	out->fd = mkstemp(out->tmp);
	if (out->fd < 0) {
		cli_error("cannot create a file beside '%s': %s", path, strerror(errno));
		free(out->tmp);
		out->tmp = NULL;
		return -1;
	}
	if (cli_cleanup_file(out->tmp) < 0) {
		cli_output_abort(out);
		cli_error("cannot write '%s': the path is too long", path);
		return -1;
	}
	return 0;
}

int cli_output_write(cli_output *out, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(out->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!out->write_errno)
				out->write_errno = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void cli_output_report(const cli_output *out)
{
	cli_error("cannot write %s: %s", cli_subject(out->path, "standard output"),
	          strerror(out->write_errno ? out->write_errno : EIO));
}

void cli_output_abort(cli_output *out)
{
	if (!out->tmp)
		return;
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	unlink(out->tmp);
	cli_cleanup_file_done();
	free(out->tmp);
	out->tmp = NULL;
}

static mode_t current_umask(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return mask;
}

/* Makes the new name durable; a failure here only costs durability, not correctness. */
static void sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Gives the temporary file its final name: link() never replaces, rename() does. */
static int publish(cli_output *out)
{
	if (!(out->flags & CLI_OUTPUT_SECRET)) {
		if (rename(out->tmp, out->path) != 0)
			return cli_error("cannot write '%s': %s", out->path, strerror(errno));
		return 0;
	}
	if (link(out->tmp, out->path) != 0) {
		if (errno == EEXIST)
			return cli_error("refusing to overwrite '%s': the file already exists",
			                 out->path);
		return cli_error("cannot write '%s': %s", out->path, strerror(errno));
	}
	unlink(out->tmp);
	return 0;
}

int cli_output_commit(cli_output *out)
{
	int fd = out->fd;

	if (!out->tmp)
		return 0;
	if (!(out->flags & CLI_OUTPUT_SECRET) && fchmod(fd, 0666 & ~current_umask()) != 0)
		goto failed;
	if (fsync(fd) != 0)
		goto failed;
	out->fd = -1;
	if (close(fd) != 0)
		goto failed;
	if (publish(out) != 0) {
		cli_output_abort(out);
		return -1;
	}
	sync_parent(out->path);
	cli_cleanup_file_done();
	free(out->tmp);
	out->tmp = NULL;
	return 0;

failed:
	cli_error("cannot write '%s': %s", out->path, strerror(errno));
	cli_output_abort(out);
	return -1;
}

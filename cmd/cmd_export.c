/*
 * `sanctum export DIR`: every live document, decrypted and checked, as DIR/<id>.<ext>, and
 * DIR/manifest.json describing them (docs/man/sanctum-export.1.md). The way out of
 * sanctum: plain files any tool reads.
 *
 * The export is built in a private folder (mode 0700, files 0600: they are plaintext)
 * beside DIR and renamed to DIR only when complete, so DIR is never half written. The
 * fatal signals are held while it is built and, if one came, the folder is removed
 * before the signal ends the process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <sanctum/errors.h>
#include <sanctum/history.h>

#include "cmd.h"
#include "docfmt.h"
#include "error.h"
#include "opt.h"
#include "store_open.h"

#define MANIFEST_NAME "manifest.json"
#define FILE_NAME_MAX (2 * SANCTUM_DOC_ID_SIZE + 16)

enum { OPT_IDENTITY = 1, OPT_PASSPHRASE_FILE, ARG_DIR };

static const cli_opt export_opts[] = {
	CLI_IDENTITY_OPTIONS(OPT_IDENTITY, OPT_PASSPHRASE_FILE),
	{ ARG_DIR, 0, NULL, "DIR", "the folder to create (or an empty one)",
	  CLI_OPT_POSITIONAL | CLI_OPT_REQUIRED },
	{ 0, 0, NULL, NULL, NULL, 0 }
};

static const cli_doc export_doc = {
	"sanctum export", export_opts, NULL,
	"Write every document of the store, decrypted and checked, into DIR: one file\n"
	"DIR/<id>.<extension of its type> each, and DIR/manifest.json listing the group and,\n"
	"for each document, its id, revision, title, type, tags, author, time, size, file\n"
	"name and SHA-256.",
	"The files are plaintext: DIR gets mode 0700 and its files 0600. DIR must not exist\n"
	"or be empty; it appears complete or not at all. Deleted documents are left out.\n",
	NULL
};

/* ---- DIR and the folder beside it ---------------------------------------------------- */

/* Whether DIR may receive the export: absent, or an empty real folder. Prints why not. */
static int check_target(const char *dir)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int empty = 1;

	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return cli_error("cannot use '%s': %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cli_error("cannot export into '%s': it exists and is not a folder", dir);
	if (!(d = opendir(dir)))
		return cli_error("cannot read '%s': %s", dir, strerror(errno));
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty) {
		cli_error("cannot export into '%s': the folder is not empty", dir);
		cli_hint("name a new folder; nothing in an existing one is ever replaced");
		return CLI_EXIT_FAILED;
	}
	return 0;
}

/* "<parent>/.<name>.XXXXXX" for DIR, trailing slashes ignored: on DIR's file system. */
static int temp_name(char out[PATH_MAX], const char *dir)
{
	size_t len = strlen(dir);
	const char *base;
	int n;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	base = dir + len;
	while (base > dir && base[-1] != '/')
		base--;
	n = snprintf(out, PATH_MAX, "%.*s.%.*s.XXXXXX", (int)(base - dir), dir,
	             (int)(dir + len - base), base);
	if (n < 0 || n >= PATH_MAX)
		return cli_error("cannot export into '%s': the path is too long", dir);
	return 0;
}

/* ---- writing --------------------------------------------------------------------------- */

typedef struct {
	const char *dir;         /* DIR as given */
	char tmp[PATH_MAX];      /* the private folder being filled */
	int fd;                  /* the private folder, open */
	char (*names)[FILE_NAME_MAX]; /* files written so far, to remove on failure */
	size_t nnames;
} export_state;

/* Creates `name` in the private folder with mode 0600 and writes `data` durably. */
static int write_file(export_state *x, const char *name, const void *data, size_t len)
{
	const unsigned char *p = data;
	int fd = openat(x->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return cli_error("cannot create '%s/%s': %s", x->dir, name, strerror(errno));
	snprintf(x->names[x->nnames++], FILE_NAME_MAX, "%s", name);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto failed;
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0)
		goto failed;
	if (close(fd) != 0) {
		fd = -1;
		goto failed;
	}
	return 0;
failed:
	cli_error("cannot write '%s/%s': %s", x->dir, name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return CLI_EXIT_FAILED;
}

/* Removes what was written and the private folder: nothing of a failed export stays. */
static void discard(export_state *x)
{
	for (size_t i = 0; i < x->nnames; i++)
		unlinkat(x->fd, x->names[i], 0);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	rmdir(x->tmp);
}

static int export_one(export_state *x, cli_session *s, const sanctum_doc_info *info,
                      json_t *entries)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1], sha[2 * crypto_hash_sha256_BYTES + 1];
	char name[FILE_NAME_MAX], short_id[CLI_SHORT_ID + 1];
	cli_doc_view view;
	json_t *entry;
	int code, rc = CLI_EXIT_FAILED;

	cli_short_id(short_id, info->id);
	/* Read again through the checked path: the index only said which documents exist. */
	code = sanctum_store_read(&doc, s->store, info->id, s->identity);
	if (code != 0)
		return cli_store_error(code, "cannot read document %s", short_id);
	cli_hex_id(hex, doc.id);
	snprintf(name, sizeof(name), "%s.%s", hex, cli_extension_for_type(doc.type));
	if (write_file(x, name, doc.body.ptr ? doc.body.ptr : (const unsigned char *)"",
	               doc.body.size) != 0)
		goto done;
	crypto_hash_sha256(digest, doc.body.ptr ? doc.body.ptr : (const unsigned char *)"",
	                   doc.body.size);
	sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
	cli_doc_view_of(&view, &doc);
	view.author_name = cli_session_author(s, doc.author);
	entry = cli_json_doc(&view);
	if (cli_json_set(entry, "file", json_string(name)) != 0 ||
	    cli_json_set(entry, "sha256", json_string(sha)) != 0 ||
	    json_array_append_new(entries, entry) != 0) {
		cli_error("out of memory (or a text that is not UTF-8) while making the manifest");
		goto done;
	}
	rc = CLI_EXIT_OK;
done:
	sanctum_doc_dispose(&doc);
	return rc;
}

static int write_manifest(export_state *x, cli_session *s, json_t *entries)
{
	json_t *root = json_object(), *group = json_object();
	char *text = NULL, *with_newline = NULL;
	size_t len = 0;
	int rc, bad = 0;

	bad |= cli_json_set(group, "name", json_string(sanctum_store_group_name(s->store)));
	bad |= cli_json_set(group, "id", json_string(sanctum_store_group_id(s->store)));
	bad |= cli_json_set(root, "group", group);
	bad |= cli_json_set(root, "documents", json_incref(entries));
	if (!bad)
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text) {
		len = strlen(text);
		if ((with_newline = realloc(text, len + 2)) != NULL) {
			text = with_newline;
			text[len++] = '\n';
			text[len] = '\0';
		}
	}
	if (!text || !with_newline) {
		free(text);
		return cli_error("out of memory (or a text that is not UTF-8) while making the "
		                 "manifest");
	}
	rc = write_file(x, MANIFEST_NAME, text, len);
	free(text);
	return rc;
}

/* ---- holding the fatal signals while plaintext is being written ------------------------ */

static const int held_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void hold_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(held_signals) / sizeof(held_signals[0]); i++)
		sigaddset(&set, held_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static int signal_came(void)
{
	sigset_t pending;

	if (sigpending(&pending) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(held_signals) / sizeof(held_signals[0]); i++)
		if (sigismember(&pending, held_signals[i]))
			return 1;
	return 0;
}

/* ---- the command ------------------------------------------------------------------------ */

/* Fills the private folder, then renames it to DIR. Prints its errors. */
static int export_all(export_state *x, cli_session *s, const sanctum_doc_list *list,
                      size_t *count)
{
	json_t *entries = json_array();
	int rc = CLI_EXIT_OK;

	if (!entries)
		return cli_error("out of memory");
	for (size_t i = 0; rc == CLI_EXIT_OK && i < list->count; i++) {
		if (signal_came())
			rc = cli_error("interrupted");
		else if (!list->items[i].deleted) {
			rc = export_one(x, s, &list->items[i], entries);
			*count += rc == CLI_EXIT_OK;
		}
	}
	if (rc == CLI_EXIT_OK)
		rc = write_manifest(x, s, entries);
	json_decref(entries);
	if (rc == CLI_EXIT_OK && fsync(x->fd) != 0)
		rc = cli_error("cannot write '%s': %s", x->tmp, strerror(errno));
	if (rc == CLI_EXIT_OK && signal_came())
		rc = cli_error("interrupted");
	/* An empty DIR is replaced by the rename; a DIR that appeared meanwhile is not. */
	if (rc == CLI_EXIT_OK && rename(x->tmp, x->dir) != 0)
		rc = cli_error("cannot move the export to '%s': %s", x->dir, strerror(errno));
	return rc;
}

int cmd_export(int argc, char **argv)
{
	cli_identity_args ida = { NULL, NULL };
	cli_session s = CLI_SESSION_INIT;
	sanctum_doc_list list = { NULL, 0 };
	export_state x;
	const char *value;
	sigset_t old;
	size_t count = 0;
	int id, rc, code, made = 0;
	cli_opt_parser p;

	memset(&x, 0, sizeof(x));
	x.fd = -1;
	cli_opt_parser_init(&p, &export_doc, argc, argv);
	while ((id = cli_opt_next(&p, &value)) > 0) {
		switch (id) {
		case OPT_IDENTITY: ida.identity = value; break;
		case OPT_PASSPHRASE_FILE: ida.passphrase_file = value; break;
		case ARG_DIR: x.dir = value; break;
		}
	}
	if (id != CLI_OPT_DONE)
		return cli_opt_exit(id);
	if (check_target(x.dir) != 0 || temp_name(x.tmp, x.dir) != 0)
		return CLI_EXIT_FAILED;
	if ((rc = cli_session_open(&s, &ida)) != CLI_EXIT_OK)
		return rc;
	code = sanctum_store_list(&list, s.store, s.identity);
	if (code != 0) {
		rc = cli_store_error(code, "cannot list the documents");
		goto done;
	}
	if ((rc = cli_session_members(&s)) != CLI_EXIT_OK)
		goto done;
	if (!(x.names = calloc(list.count + 1, sizeof(*x.names)))) {
		rc = cli_error("out of memory");
		goto done;
	}
	hold_signals(&old);
	if (!(made = mkdtemp(x.tmp) != NULL))
		rc = cli_error("cannot create a folder beside '%s': %s", x.dir, strerror(errno));
	else if ((x.fd = open(x.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = cli_error("cannot open '%s': %s", x.tmp, strerror(errno));
	else
		rc = export_all(&x, &s, &list, &count);
	if (rc != CLI_EXIT_OK && made)
		discard(&x);
	else if (x.fd >= 0)
		close(x.fd);
	/* A held signal is delivered here, once nothing of the export is left behind. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc == CLI_EXIT_OK)
		fprintf(stderr, "exported %zu document%s to %s\n", count, count == 1 ? "" : "s",
		        x.dir);
done:
	free(x.names);
	sanctum_doc_list_dispose(&list);
	cli_session_close(&s);
	return rc;
}

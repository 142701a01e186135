/*
 * Unit tests for identities, identity files and member cards (core/src/identity.c).
 *
 * Each test that touches files gets a fresh temporary folder (setup/teardown). Passphrase
 * files use scrypt work factor 10: these tests are about the file, not the KDF.
 *
 * The fingerprint known answers were made with OpenSSH 9.2's ssh-keygen:
 *     ssh-keygen -l -f tests/resources/sshsig/test-key.pub         (KAT_FP_1)
 *     ssh-keygen -q -t ed25519 -N '' -C fp-test -f k; ssh-keygen -l -f k.pub  (KAT_FP_2)
 * The second key was thrown away after its public line and fingerprint were copied here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sanctum/errors.h"
#include "sanctum/identity.h"
#include "sanctum/sshsig.h"

#include "fixture.h"

#define WF 10
#define PASS "correct horse battery staple"

static const char KAT_LINE_1[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB45cLwgmlt8fLpdTi/mkMqW/oOncjKEFGJ2sj+dIV1w "
	"sanctum-test-key";
static const char KAT_FP_1[] = "SHA256:vFcmg73NolOnW5sqbfx/+0je7+uAklxPvw5Qxta028g";
static const char KAT_LINE_2[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP3rS1JBBDSAKrunXGaDHnGSTt05ubsiuQZbpQj/TVgK fp-test";
static const char KAT_FP_2[] = "SHA256:9I+ZWXT2atCFkELfVZQ41qLtyHyNS3mZRHyWufFBPjY";

/* ---- fixture: a temporary folder ----------------------------------------------------- */

typedef struct {
	char dir[256];
	char path[300];           /* dir/identity */
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (make_temp_dir(f->dir, sizeof(f->dir), "sanctum-identity") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/identity", f->dir);
	umask(022);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	remove_tree(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct {
	const char *answer;
	int calls;
} asker;

static int ask(sanctum_buf *out, void *payload)
{
	asker *a = payload;

	a->calls++;
	return sanctum_buf_puts(out, a->answer);
}

static void assert_message_has(const char *text)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, text))
		fail_msg("message '%s' does not contain '%s'", message, text);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void read_whole(sanctum_buf *out, const char *path)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	sanctum_buf_clear(out);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(sanctum_buf_put(out, chunk, (size_t)n), 0);
	assert_int_equal(n, 0);
	close(fd);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void assert_same_card(const sanctum_identity *a, const sanctum_identity *b)
{
	sanctum_card ca, cb;

	sanctum_identity_card(&ca, a);
	sanctum_identity_card(&cb, b);
	assert_memory_equal(&ca, &cb, sizeof(ca));
}

/* A fresh plain identity saved at f->path, and its file's text in `text`. */
static sanctum_identity *saved_plain(const fixture *f, sanctum_buf *text)
{
	sanctum_identity *id = NULL;

	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	assert_int_equal(sanctum_identity_save(id, f->path, NULL, 0, 0), 0);
	if (text)
		read_whole(text, f->path);
	return id;
}

static int load_text(const fixture *f, const char *text, size_t len)
{
	sanctum_identity *id = NULL;
	int error;

	write_file(f->path, text, len, 0600);
	error = sanctum_identity_load(&id, f->path, NULL, NULL);
	if (error == 0)
		assert_non_null(id);
	else
		assert_null(id);
	sanctum_identity_free(id);
	return error;
}

/* ---- names and generation -------------------------------------------------------------- */

static void test_identity__names(void **state)
{
	static const char *const good[] = {
		"a", "aldport", "x-1", "0", "new-york-2", "abcdefghijklmnopqrstuvwxyz012345",
	};
	static const char *const bad[] = {
		"", "-a", "a-", "Aldport", "ald port", "ald_port", "ald.port", "ald/port",
		"ald:port", "abcdefghijklmnopqrstuvwxyz0123456", "\xc3\xa9", "a\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(sanctum_name_is_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sanctum_name_is_valid(bad[i]));
	assert_false(sanctum_name_is_valid(NULL));
}

static void test_identity__generate(void **state)
{
	sanctum_identity *a = NULL, *b = NULL;
	sanctum_card ca, cb;

	(void)state;
	assert_int_equal(sanctum_identity_generate(&a, "aldport", "server"), 0);
	assert_string_equal(sanctum_identity_city(a), "aldport");
	assert_string_equal(sanctum_identity_device(a), "server");
	assert_non_null(sanctum_identity_age(a));
	assert_int_equal(sanctum_identity_generate(&b, "aldport", "server"), 0);
	sanctum_identity_card(&ca, a);
	sanctum_identity_card(&cb, b);
	assert_memory_not_equal(ca.signing_key, cb.signing_key, sizeof(ca.signing_key));
	assert_memory_not_equal(ca.age_key, cb.age_key, sizeof(ca.age_key));
	sanctum_identity_free(a);
	sanctum_identity_free(b);
	sanctum_identity_free(NULL);

	assert_int_equal(sanctum_identity_generate(&a, "Aldport", "server"), SANCTUM_EINVALID);
	assert_null(a);
	assert_message_has("city name");
	assert_int_equal(sanctum_identity_generate(&a, "aldport", ""), SANCTUM_EINVALID);
	assert_message_has("device name");
	assert_int_equal(sanctum_identity_generate(&a, NULL, "x"), SANCTUM_EINVALID);
}

/* The age identity decrypts what is encrypted to the card's recipient. */
static void test_identity__age_key_matches_card(void **state)
{
	sanctum_identity *id = NULL;
	sanctum_age_recipient *r = NULL;
	const sanctum_age_identity *ai;
	sanctum_buf ct = SANCTUM_BUF_INIT, pt = SANCTUM_BUF_INIT;
	sanctum_card card;

	(void)state;
	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	sanctum_identity_card(&card, id);
	assert_int_equal(sanctum_age_recipient_from_x25519(&r, card.age_key), 0);
	assert_int_equal(sanctum_age_encrypt(&ct, (const sanctum_age_recipient *const *)&r, 1, 0,
	                                     "hello", 5), 0);
	ai = sanctum_identity_age(id);
	assert_int_equal(sanctum_age_decrypt(&pt, &ai, 1, NULL, ct.ptr, ct.size), 0);
	assert_int_equal(pt.size, 5);
	assert_memory_equal(pt.ptr, "hello", 5);
	sanctum_buf_dispose(&ct);
	sanctum_buf_dispose(&pt);
	sanctum_age_recipient_free(r);
	sanctum_identity_free(id);
}

/* ---- files ----------------------------------------------------------------------------- */

static void test_identity__plain_round_trip(void **state)
{
	fixture *f = *state;
	sanctum_buf text = SANCTUM_BUF_INIT;
	sanctum_identity *id, *again = NULL;
	struct stat st;

	id = saved_plain(f, &text);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(sanctum_identity_file_is_encrypted(f->path), 0);

	/* The documented plaintext, line by line. */
	const char *t = (const char *)text.ptr;
	assert_true(strncmp(t, "sanctum-identity v1\ncity aldport\ndevice server\ncreated ", 55) == 0);
	assert_non_null(strstr(t, "\ned25519 "));
	assert_non_null(strstr(t, "\nage AGE-SECRET-KEY-1"));
	assert_int_equal(t[text.size - 1], '\n');
	size_t lines = 0;
	for (size_t i = 0; i < text.size; i++)
		lines += t[i] == '\n';
	assert_int_equal(lines, 6);

	assert_int_equal(sanctum_identity_load(&again, f->path, NULL, NULL), 0);
	assert_same_card(id, again);
	assert_string_equal(sanctum_identity_city(again), "aldport");
	assert_string_equal(sanctum_identity_device(again), "server");

	/* Saving the loaded identity elsewhere gives the same bytes. */
	char other[600];
	sanctum_buf text2 = SANCTUM_BUF_INIT;
	snprintf(other, sizeof(other), "%s/again", f->dir);
	assert_int_equal(sanctum_identity_save(again, other, NULL, 0, 0), 0);
	read_whole(&text2, other);
	assert_int_equal(text.size, text2.size);
	assert_memory_equal(text.ptr, text2.ptr, text.size);

	sanctum_buf_dispose(&text2);
	sanctum_buf_dispose(&text);
	sanctum_identity_free(again);
	sanctum_identity_free(id);
}

static void test_identity__encrypted_round_trip(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL, *again = NULL;
	asker good = { PASS, 0 };
	sanctum_buf data = SANCTUM_BUF_INIT;
	struct stat st;

	assert_int_equal(sanctum_identity_generate(&id, "port-2", "laptop"), 0);
	assert_int_equal(sanctum_identity_save(id, f->path, PASS, strlen(PASS), WF), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(sanctum_identity_file_is_encrypted(f->path), 1);
	read_whole(&data, f->path);
	assert_true(strncmp((const char *)data.ptr, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35) == 0);
	assert_null(strstr((const char *)data.ptr, "AGE-SECRET-KEY"));
	assert_null(strstr((const char *)data.ptr, "port-2"));

	assert_int_equal(sanctum_identity_load(&again, f->path, ask, &good), 0);
	assert_int_equal(good.calls, 1);
	assert_same_card(id, again);
	assert_string_equal(sanctum_identity_city(again), "port-2");

	/* A group-readable encrypted file is allowed: the passphrase protects it. */
	sanctum_identity_free(again);
	again = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	good.calls = 0;
	assert_int_equal(sanctum_identity_load(&again, f->path, ask, &good), 0);
	assert_int_equal(good.calls, 1);

	sanctum_buf_dispose(&data);
	sanctum_identity_free(again);
	sanctum_identity_free(id);
}

static void test_identity__wrong_passphrase(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL, *again = NULL;
	asker wrong = { "correct horse battery stapler", 0 };

	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	assert_int_equal(sanctum_identity_save(id, f->path, PASS, strlen(PASS), WF), 0);
	assert_int_equal(sanctum_identity_load(&again, f->path, ask, &wrong), SANCTUM_EBADPASS);
	assert_null(again);
	assert_int_equal(wrong.calls, 1);
	assert_message_has("identity '");
	assert_message_has("incorrect passphrase");
	/* No way to ask: the same code, and a message saying why. */
	assert_int_equal(sanctum_identity_load(&again, f->path, NULL, NULL), SANCTUM_EBADPASS);
	assert_message_has("protected by a passphrase");
	assert_null(again);
	sanctum_identity_free(id);
}

static int refuse_to_answer(sanctum_buf *out, void *payload)
{
	(void)out;
	(void)payload;
	return SANCTUM_ELOCKED;
}

static void test_identity__asker_failure_is_returned(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL, *again = NULL;

	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	assert_int_equal(sanctum_identity_save(id, f->path, PASS, strlen(PASS), WF), 0);
	assert_int_equal(sanctum_identity_load(&again, f->path, refuse_to_answer, NULL),
	                 SANCTUM_ELOCKED);
	assert_null(again);
	sanctum_identity_free(id);
}

static void test_identity__readable_plain_file_refused(void **state)
{
	fixture *f = *state;
	sanctum_identity *id, *again = NULL;
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0610, 0601 };
	char expect[1024];

	id = saved_plain(f, NULL);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(f->path, modes[i]), 0);
		assert_int_equal(sanctum_identity_load(&again, f->path, NULL, NULL),
		                 SANCTUM_EINVALID);
		assert_null(again);
		snprintf(expect, sizeof(expect),
		         "identity '%s' is readable by others: run chmod 600 '%s'", f->path, f->path);
		assert_string_equal(sanctum_error_last()->message, expect);
	}
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(sanctum_identity_load(&again, f->path, NULL, NULL), 0);
	sanctum_identity_free(again);
	sanctum_identity_free(id);
}

static void test_identity__not_found_and_not_regular(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL;
	char path[512];

	assert_int_equal(sanctum_identity_load(&id, f->path, NULL, NULL), SANCTUM_ENOTFOUND);
	assert_message_has("does not exist");
	assert_int_equal(sanctum_identity_file_is_encrypted(f->path), SANCTUM_ENOTFOUND);
	assert_int_equal(sanctum_identity_load(&id, f->dir, NULL, NULL), SANCTUM_EINVALID);
	assert_message_has("not a regular file");
	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* Must not block waiting for a writer. */
	assert_int_equal(sanctum_identity_load(&id, path, NULL, NULL), SANCTUM_EINVALID);
	assert_message_has("not a regular file");
	assert_null(id);

	/* Something too large to be an identity file. */
	char *big = calloc(1, 70000);
	assert_non_null(big);
	memset(big, 'a', 70000);
	write_file(f->path, big, 70000, 0600);
	free(big);
	assert_int_equal(sanctum_identity_load(&id, f->path, NULL, NULL), SANCTUM_EINVALID);
	assert_message_has("too large");
}

static void test_identity__never_overwrites(void **state)
{
	fixture *f = *state;
	sanctum_buf before = SANCTUM_BUF_INIT, after = SANCTUM_BUF_INIT;
	sanctum_identity *id, *other = NULL;
	char link_path[512], target[512];
	struct stat st;

	id = saved_plain(f, &before);
	assert_int_equal(sanctum_identity_generate(&other, "other", "main"), 0);
	assert_int_equal(sanctum_identity_save(other, f->path, NULL, 0, 0), SANCTUM_EEXISTS);
	assert_message_has("refusing to overwrite identity");
	assert_int_equal(sanctum_identity_save(other, f->path, PASS, strlen(PASS), WF),
	                 SANCTUM_EEXISTS);
	read_whole(&after, f->path);
	assert_int_equal(before.size, after.size);
	assert_memory_equal(before.ptr, after.ptr, before.size);
	assert_int_equal(count_entries(f->dir), 1);

	/* A dangling symbolic link is not written through. */
	snprintf(link_path, sizeof(link_path), "%s/link", f->dir);
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(sanctum_identity_save(other, link_path, NULL, 0, 0), SANCTUM_EEXISTS);
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(count_entries(f->dir), 2);

	sanctum_buf_dispose(&before);
	sanctum_buf_dispose(&after);
	sanctum_identity_free(other);
	sanctum_identity_free(id);
}

static void test_identity__creates_parent_folders(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL, *again = NULL;
	char path[1024], dir[512];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/config/sanctum", f->dir);
	snprintf(path, sizeof(path), "%s/identity", dir);
	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	assert_int_equal(sanctum_identity_save(id, path, NULL, 0, 0), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(dir, sizeof(dir), "%s/config", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(sanctum_identity_load(&again, path, NULL, NULL), 0);
	assert_same_card(id, again);

	/* A file where a folder should be. */
	snprintf(path, sizeof(path), "%s/identity/below", f->dir);
	write_file(f->path, "x", 1, 0600);
	assert_int_equal(sanctum_identity_save(id, path, NULL, 0, 0), SANCTUM_ERROR);
	assert_message_has("not a folder");

	sanctum_identity_free(again);
	sanctum_identity_free(id);
}

static void test_identity__save_refuses_misuse(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL;
	char path[512];

	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	assert_int_equal(sanctum_identity_save(NULL, f->path, NULL, 0, 0), SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_save(id, NULL, NULL, 0, 0), SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_save(id, "", NULL, 0, 0), SANCTUM_EINVALID);
	snprintf(path, sizeof(path), "%s/", f->dir);
	assert_int_equal(sanctum_identity_save(id, path, NULL, 0, 0), SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_save(id, f->path, "", 0, WF), SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_save(id, f->path, NULL, 3, 0), SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_save(id, f->path, PASS, strlen(PASS), 23),
	                 SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_save(id, f->path, PASS, strlen(PASS), -1),
	                 SANCTUM_EINVALID);
	assert_int_equal(count_entries(f->dir), 0);
	sanctum_identity_free(id);
}

static void test_identity__replace(void **state)
{
	fixture *f = *state;
	sanctum_identity *id, *again = NULL;
	asker good = { "new passphrase", 0 };
	char link_path[512], missing[512];
	struct stat st;

	id = saved_plain(f, NULL);
	/* plain -> encrypted */
	assert_int_equal(sanctum_identity_replace(id, f->path, "new passphrase", 14, WF), 0);
	assert_int_equal(sanctum_identity_file_is_encrypted(f->path), 1);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(sanctum_identity_load(&again, f->path, ask, &good), 0);
	assert_same_card(id, again);
	sanctum_identity_free(again);
	again = NULL;

	/* encrypted -> plain, through a symbolic link: the target changes, the link stays. */
	snprintf(link_path, sizeof(link_path), "%s/link", f->dir);
	assert_int_equal(symlink("identity", link_path), 0);
	assert_int_equal(sanctum_identity_replace(id, link_path, NULL, 0, 0), 0);
	assert_int_equal(lstat(link_path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(sanctum_identity_file_is_encrypted(f->path), 0);
	assert_int_equal(sanctum_identity_load(&again, f->path, NULL, NULL), 0);
	assert_same_card(id, again);
	assert_int_equal(count_entries(f->dir), 2);

	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	assert_int_equal(sanctum_identity_replace(id, missing, NULL, 0, 0), SANCTUM_ENOTFOUND);
	assert_int_equal(sanctum_identity_replace(id, f->dir, NULL, 0, 0), SANCTUM_EINVALID);

	sanctum_identity_free(again);
	sanctum_identity_free(id);
}

/* Every prefix of a valid plain file fails cleanly, naming a line. */
static void test_identity__truncated_plain_file(void **state)
{
	fixture *f = *state;
	sanctum_buf text = SANCTUM_BUF_INIT;
	sanctum_identity *id = saved_plain(f, &text);

	for (size_t len = 0; len < text.size; len++) {
		assert_int_equal(load_text(f, (const char *)text.ptr, len), SANCTUM_EINVALID);
		assert_message_has(": line ");
	}
	assert_int_equal(load_text(f, (const char *)text.ptr, text.size), 0);
	sanctum_buf_dispose(&text);
	sanctum_identity_free(id);
}

/* Every prefix of an encrypted file fails cleanly (an age error), never crashes. */
static void test_identity__truncated_encrypted_file(void **state)
{
	fixture *f = *state;
	sanctum_identity *id = NULL, *again = NULL;
	sanctum_buf data = SANCTUM_BUF_INIT;
	asker good = { PASS, 0 };

	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	assert_int_equal(sanctum_identity_save(id, f->path, PASS, strlen(PASS), WF), 0);
	read_whole(&data, f->path);
	for (size_t len = 0; len < data.size; len++) {
		/* Only the final newline of the armor is optional. */
		if (len == data.size - 1)
			continue;
		write_file(f->path, data.ptr, len, 0600);
		assert_true(sanctum_identity_load(&again, f->path, ask, &good) < 0);
		assert_null(again);
	}
	sanctum_buf_dispose(&data);
	sanctum_identity_free(id);
}

/* Replaces line `n` (from 1) of `text` by `line` (NULL: removes it) into `out`. */
static void replace_line(sanctum_buf *out, const sanctum_buf *text, unsigned n, const char *line)
{
	const char *t = (const char *)text->ptr;
	unsigned at = 1;
	size_t i = 0;

	sanctum_buf_clear(out);
	while (i < text->size) {
		const char *nl = memchr(t + i, '\n', text->size - i);
		size_t len = (size_t)(nl - (t + i)) + 1;

		if (at == n) {
			if (line)
				assert_int_equal(sanctum_buf_puts(out, line), 0);
		} else {
			assert_int_equal(sanctum_buf_put(out, t + i, len), 0);
		}
		i += len;
		at++;
	}
}

/* The text of line `n` of `text`, without its newline, into `out`. */
static void get_line(char *out, size_t size, const sanctum_buf *text, unsigned n)
{
	const char *t = (const char *)text->ptr;

	for (unsigned at = 1; at < n; at++)
		t = strchr(t, '\n') + 1;
	snprintf(out, size, "%.*s", (int)(strchr(t, '\n') - t), t);
}

static void test_identity__corrupt_lines(void **state)
{
	fixture *f = *state;
	sanctum_buf text = SANCTUM_BUF_INIT, bad = SANCTUM_BUF_INIT;
	sanctum_identity *id = saved_plain(f, &text);
	char city[64], device[64], seed[128], age[128], buf[256], expect[32];
	const struct {
		unsigned line;            /* the line to replace */
		const char *with;         /* its new text, or NULL to remove it */
		unsigned reported;        /* the line the message must name */
	} cases[] = {
		{ 1, "sanctum-identity v2\n", 1 },
		{ 1, "sanctum-identity\n", 1 },
		{ 1, "age-identity v1\n", 1 },
		{ 1, "\n", 1 },
		{ 1, "sanctum-identity v1 \n", 1 },
		{ 2, "town aldport\n", 2 },
		{ 2, "city Aldport\n", 2 },
		{ 2, "city \n", 2 },
		{ 2, "city\n", 2 },
		{ 2, "city  aldport\n", 2 },
		{ 2, "city abcdefghijklmnopqrstuvwxyz0123456\n", 2 },
		{ 2, NULL, 2 },                   /* the device line comes where city should be */
		{ 3, "device -server\n", 3 },
		{ 4, "created yesterday\n", 4 },
		{ 4, "created 2026-13-01T00:00:00Z\n", 4 },
		{ 4, "created 2026-11-29 17:00:00Z\n", 4 },
		{ 5, "ed25519 AAAA\n", 5 },
		{ 5, "ed25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", 5 }, /* 31 bytes */
		{ 5, "ed25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", 5 }, /* padding bits */
		{ 5, "ed25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 5 },  /* no padding */
		{ 5, NULL, 5 },
		{ 6, "age AGE-SECRET-KEY-1QQQQ\n", 6 },
		{ 6, "age age1qqqq\n", 6 },
		{ 6, NULL, 6 },
	};

	get_line(city, sizeof(city), &text, 2);
	get_line(device, sizeof(device), &text, 3);
	get_line(seed, sizeof(seed), &text, 5);
	get_line(age, sizeof(age), &text, 6);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		replace_line(&bad, &text, cases[i].line, cases[i].with);
		assert_int_equal(load_text(f, (const char *)bad.ptr, bad.size), SANCTUM_EINVALID);
		snprintf(expect, sizeof(expect), ": line %u: ", cases[i].reported);
		assert_message_has(expect);
	}

	/* Fields swapped, repeated, or followed by more. */
	snprintf(buf, sizeof(buf), "%s\n%s\n", device, city);
	replace_line(&bad, &text, 2, buf);
	{
		sanctum_buf swapped = SANCTUM_BUF_INIT;

		replace_line(&swapped, &bad, 4, NULL); /* the old device line, now line 4 */
		assert_int_equal(load_text(f, (const char *)swapped.ptr, swapped.size),
		                 SANCTUM_EINVALID);
		assert_message_has(": line 2: expected 'city ...'");
		sanctum_buf_dispose(&swapped);
	}
	snprintf(buf, sizeof(buf), "%s\n%s\n", city, city);
	replace_line(&bad, &text, 2, buf);
	assert_int_equal(load_text(f, (const char *)bad.ptr, bad.size), SANCTUM_EINVALID);
	assert_message_has(": line 3: expected 'device ...'");

	assert_int_equal(sanctum_buf_puts(&text, "comment\n"), 0);
	assert_int_equal(load_text(f, (const char *)text.ptr, text.size), SANCTUM_EINVALID);
	assert_message_has(": line 7: unexpected text after the age key");
	text.size -= strlen("comment\n");
	assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	assert_int_equal(load_text(f, (const char *)text.ptr, text.size), SANCTUM_EINVALID);
	assert_message_has(": line 7: ");
	text.size -= 1;
	assert_int_equal(load_text(f, (const char *)text.ptr, text.size), 0);

	/* CRLF line ends are not the format. */
	sanctum_buf_clear(&bad);
	for (size_t i = 0; i < text.size; i++) {
		if (text.ptr[i] == '\n')
			assert_int_equal(sanctum_buf_put(&bad, "\r", 1), 0);
		assert_int_equal(sanctum_buf_put(&bad, text.ptr + i, 1), 0);
	}
	assert_int_equal(load_text(f, (const char *)bad.ptr, bad.size), SANCTUM_EINVALID);
	assert_message_has(": line 1: ");

	/* A NUL byte inside a line. */
	sanctum_buf_clear(&bad);
	assert_int_equal(sanctum_buf_put(&bad, text.ptr, text.size), 0);
	bad.ptr[strlen("sanctum-identity v1\ncity al")] = '\0';
	assert_int_equal(load_text(f, (const char *)bad.ptr, bad.size), SANCTUM_EINVALID);
	assert_message_has(": line 2: ");

	/* The message never quotes the secret key. */
	replace_line(&bad, &text, 6, "age AGE-SECRET-KEY-1XYZXYZ\n");
	assert_int_equal(load_text(f, (const char *)bad.ptr, bad.size), SANCTUM_EINVALID);
	assert_null(strstr(sanctum_error_last()->message, "XYZXYZ"));

	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(age, sizeof(age));
	sodium_memzero(buf, sizeof(buf));
	sanctum_buf_dispose(&bad);
	sanctum_buf_dispose(&text);
	sanctum_identity_free(id);
}

/*
 * A plain file made by hand from known keys loads, and holds the keys written: the
 * Ed25519 seed of tests/resources/sshsig/test-key (public key KAT_LINE_1), and an age key
 * made once with age-keygen 1.1.1, whose public key age-keygen printed as HAND_RECIPIENT.
 */
#define HAND_SEED_HEX "77e793af350c288c0612f3cdaa1e97d8324b35202f954102ee48466acff1f5e1"
#define HAND_AGE_KEY "AGE-SECRET-KEY-12GG6AF9408KNQ5QLSPAN54AMLD22W57E8QV72ZSCVWDXUK4RY4JQCPTH9Z"
#define HAND_RECIPIENT "age10fdgtznppt6jl328q9wtxkmtnmqkllf5t5kamz6vwcwqcs22wgaqwys70j"

static void test_identity__hand_made_file(void **state)
{
	static const char text[] =
		"sanctum-identity v1\ncity aldport\ndevice server\ncreated 2026-11-29T17:00:00Z\n"
		"ed25519 d+eTrzUMKIwGEvPNqh6X2DJLNSAvlUEC7khGas/x9eE=\n"
		"age " HAND_AGE_KEY "\n";
	fixture *f = *state;
	sanctum_identity *id = NULL;
	sanctum_age_recipient *r = NULL;
	sanctum_buf line = SANCTUM_BUF_INIT, text_again = SANCTUM_BUF_INIT;
	sanctum_card card;
	unsigned char seed[32], pk[32], sk[64];
	char fp[SANCTUM_FINGERPRINT_SIZE], other[600];

	assert_int_equal(sodium_hex2bin(seed, sizeof(seed), HAND_SEED_HEX, 64, NULL, NULL, NULL),
	                 0);
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	write_file(f->path, text, strlen(text), 0600);
	assert_int_equal(sanctum_identity_load(&id, f->path, NULL, NULL), 0);
	sanctum_identity_card(&card, id);
	assert_memory_equal(card.signing_key, pk, 32);
	sanctum_key_fingerprint(fp, card.signing_key);
	assert_string_equal(fp, KAT_FP_1);
	assert_int_equal(sanctum_age_recipient_from_x25519(&r, card.age_key), 0);
	assert_int_equal(sanctum_age_recipient_encode(&line, r), 0);
	assert_string_equal((const char *)line.ptr, HAND_RECIPIENT);

	/* Written again, it is the same text byte for byte. */
	snprintf(other, sizeof(other), "%s/again", f->dir);
	assert_int_equal(sanctum_identity_save(id, other, NULL, 0, 0), 0);
	read_whole(&text_again, other);
	assert_int_equal(text_again.size, strlen(text));
	assert_memory_equal(text_again.ptr, text, strlen(text));

	sanctum_buf_dispose(&text_again);
	sanctum_buf_dispose(&line);
	sanctum_age_recipient_free(r);
	sanctum_identity_free(id);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
}

/* ---- cards ------------------------------------------------------------------------------ */

static void make_card(sanctum_buf *line, sanctum_card *card)
{
	sanctum_identity *id = NULL;

	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server-2"), 0);
	sanctum_identity_card(card, id);
	assert_int_equal(sanctum_card_encode(line, card), 0);
	sanctum_identity_free(id);
}

static void test_identity__card_round_trip(void **state)
{
	sanctum_buf line = SANCTUM_BUF_INIT, padded = SANCTUM_BUF_INIT;
	sanctum_card card, parsed;
	char sum[9];
	unsigned char hash[32];

	(void)state;
	make_card(&line, &card);
	const char *l = (const char *)line.ptr;
	assert_true(strncmp(l, "sanctum-card-v1:aldport:server-2:", 33) == 0);
	assert_null(strchr(l, '\n'));
	assert_non_null(strstr(l, ":age1"));

	/* The checksum is the first 4 bytes of SHA-256 over what precedes the last ':'. */
	const char *last = strrchr(l, ':');
	crypto_hash_sha256(hash, line.ptr, (size_t)(last - l));
	sodium_bin2hex(sum, sizeof(sum), hash, 4);
	assert_string_equal(last + 1, sum);

	assert_int_equal(sanctum_card_parse(&parsed, l, line.size), 0);
	assert_memory_equal(&parsed, &card, sizeof(card));

	/* Surrounding whitespace, as a paste brings it, is ignored. */
	assert_int_equal(sanctum_buf_puts(&padded, " \t\r\n"), 0);
	assert_int_equal(sanctum_buf_put(&padded, line.ptr, line.size), 0);
	assert_int_equal(sanctum_buf_puts(&padded, "\r\n \n"), 0);
	assert_int_equal(sanctum_card_parse(&parsed, (const char *)padded.ptr, padded.size), 0);
	assert_memory_equal(&parsed, &card, sizeof(card));

	/* The output buffer is replaced, not appended to. */
	assert_int_equal(sanctum_card_encode(&padded, &card), 0);
	assert_int_equal(padded.size, line.size);
	assert_memory_equal(padded.ptr, line.ptr, line.size);

	sanctum_buf_dispose(&padded);
	sanctum_buf_dispose(&line);
}

/* One character changed, removed or added anywhere in the card: always refused. */
static void test_identity__card_any_change_is_refused(void **state)
{
	static const char replacements[] = { 'a', 'A', '0', 'f', 'q', '-', ':', ' ', '_', '\0',
	                                     '\n', (char)0x80, (char)0xff };
	sanctum_buf line = SANCTUM_BUF_INIT;
	sanctum_card card, parsed;
	char changed[512];
	size_t len;

	(void)state;
	make_card(&line, &card);
	len = line.size;
	assert_true(len + 2 < sizeof(changed));
	for (size_t i = 0; i < len; i++) {
		char original = (char)line.ptr[i];
		char variants[sizeof(replacements) + 2];
		size_t nv = 0;

		memcpy(variants, replacements, sizeof(replacements));
		nv = sizeof(replacements);
		variants[nv++] = (char)(original ^ 0x01);
		variants[nv++] = (char)(original ^ 0x20);
		for (size_t v = 0; v < nv; v++) {
			if (variants[v] == original)
				continue;
			memcpy(changed, line.ptr, len);
			changed[i] = variants[v];
			if (sanctum_card_parse(&parsed, changed, len) != SANCTUM_EKEY)
				fail_msg("changing byte %zu to 0x%02x was accepted", i,
				         (unsigned char)variants[v]);
			/* A failed parse leaves nothing behind. */
			static const sanctum_card zero;
			assert_memory_equal(&parsed, &zero, sizeof(zero));
		}
		/* Removed. */
		memcpy(changed, line.ptr, i);
		memcpy(changed + i, line.ptr + i + 1, len - i - 1);
		assert_int_equal(sanctum_card_parse(&parsed, changed, len - 1), SANCTUM_EKEY);
		/* Doubled. */
		memcpy(changed, line.ptr, i + 1);
		memcpy(changed + i + 1, line.ptr + i, len - i);
		assert_int_equal(sanctum_card_parse(&parsed, changed, len + 1), SANCTUM_EKEY);
		/* Cut short here. */
		assert_int_equal(sanctum_card_parse(&parsed, (const char *)line.ptr, i), SANCTUM_EKEY);
	}
	sanctum_buf_dispose(&line);
}

static void test_identity__card_messages(void **state)
{
	sanctum_buf line = SANCTUM_BUF_INIT;
	sanctum_card card, parsed;
	char changed[512];
	size_t len;

	(void)state;
	make_card(&line, &card);
	len = line.size;

	assert_int_equal(sanctum_card_parse(&parsed, "", 0), SANCTUM_EKEY);
	assert_message_has("empty");
	assert_int_equal(sanctum_card_parse(&parsed, "hello", 5), SANCTUM_EKEY);
	assert_message_has("not a sanctum card");
	memcpy(changed, line.ptr, len);
	changed[14] = '2';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("unsupported card version");
	assert_int_equal(sanctum_card_parse(&parsed, (const char *)line.ptr, len - 9), SANCTUM_EKEY);
	assert_message_has("fewer parts");
	memcpy(changed, line.ptr, len);
	changed[16] = 'A';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("city name");
	memcpy(changed, line.ptr, len);
	changed[24] = '_';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("device name");
	memcpy(changed, line.ptr, len);
	changed[33] = '=';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("ed25519 key");
	memcpy(changed, line.ptr, len);
	changed[len - 12] = changed[len - 12] == 'q' ? 'p' : 'q';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("age recipient");
	memcpy(changed, line.ptr, len);
	changed[len - 1] = 'G';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("8 lowercase hexadecimal digits");
	memcpy(changed, line.ptr, len);
	changed[len - 1] = changed[len - 1] == '0' ? '1' : '0';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("checksum does not match");
	/* A valid city, but not the one the checksum covers. */
	memcpy(changed, line.ptr, len);
	changed[16] = 'b';
	assert_int_equal(sanctum_card_parse(&parsed, changed, len), SANCTUM_EKEY);
	assert_message_has("checksum does not match");

	/* An all-zero Ed25519 key is not a valid point, whatever the checksum says. */
	sanctum_card weak = card;
	sanctum_buf weak_line = SANCTUM_BUF_INIT;
	memset(weak.signing_key, 0, sizeof(weak.signing_key));
	assert_int_equal(sanctum_card_encode(&weak_line, &weak), 0);
	assert_int_equal(sanctum_card_parse(&parsed, (const char *)weak_line.ptr, weak_line.size),
	                 SANCTUM_EKEY);
	assert_message_has("ed25519 key");

	/* Encoding refuses names a card cannot carry. */
	sanctum_card odd = card;
	snprintf(odd.city, sizeof(odd.city), "Aldport");
	assert_int_equal(sanctum_card_encode(&weak_line, &odd), SANCTUM_EINVALID);
	memset(odd.city, 'a', sizeof(odd.city)); /* not NUL-terminated */
	assert_int_equal(sanctum_card_encode(&weak_line, &odd), SANCTUM_EINVALID);

	sanctum_buf_dispose(&weak_line);
	sanctum_buf_dispose(&line);
}

/* ---- fingerprints and signatures -------------------------------------------------------- */

static void test_identity__fingerprint_matches_ssh_keygen(void **state)
{
	unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	char fp[SANCTUM_FINGERPRINT_SIZE];

	(void)state;
	assert_int_equal(sanctum_ssh_public_key_parse(key, KAT_LINE_1, strlen(KAT_LINE_1)), 0);
	sanctum_key_fingerprint(fp, key);
	assert_string_equal(fp, KAT_FP_1);
	assert_int_equal(strlen(fp), SANCTUM_FINGERPRINT_SIZE - 1);
	assert_int_equal(sanctum_ssh_public_key_parse(key, KAT_LINE_2, strlen(KAT_LINE_2)), 0);
	sanctum_key_fingerprint(fp, key);
	assert_string_equal(fp, KAT_FP_2);
}

static void test_identity__signature_verifies(void **state)
{
	static const char message[] = "legal aid: +1 555 0100\n";
	sanctum_identity *id = NULL;
	sanctum_buf sig = SANCTUM_BUF_INIT;
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_card card;

	(void)state;
	assert_int_equal(sanctum_identity_generate(&id, "aldport", "server"), 0);
	sanctum_identity_card(&card, id);
	assert_int_equal(sanctum_identity_sign(&sig, id, "sanctum-doc", message, strlen(message)),
	                 0);
	assert_int_equal(sanctum_sshsig_verify(signer, (const char *)sig.ptr, sig.size,
	                                       "sanctum-doc", message, strlen(message)), 0);
	assert_memory_equal(signer, card.signing_key, sizeof(signer));
	assert_int_equal(sanctum_sshsig_verify(signer, (const char *)sig.ptr, sig.size, "git",
	                                       message, strlen(message)), SANCTUM_EVERIFY);
	assert_int_equal(sanctum_identity_sign(&sig, id, "", message, 1), SANCTUM_EINVALID);
	assert_int_equal(sanctum_identity_sign(&sig, NULL, "git", message, 1), SANCTUM_EINVALID);
	sanctum_buf_dispose(&sig);
	sanctum_identity_free(id);
}

/* A signature by a loaded identity verifies too: the seed round-trips through the file. */
static void test_identity__loaded_identity_signs(void **state)
{
	fixture *f = *state;
	sanctum_identity *id, *again = NULL;
	sanctum_buf sig = SANCTUM_BUF_INIT;
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_card card;

	id = saved_plain(f, NULL);
	assert_int_equal(sanctum_identity_load(&again, f->path, NULL, NULL), 0);
	sanctum_identity_card(&card, id);
	assert_int_equal(sanctum_identity_sign(&sig, again, "git", "x", 1), 0);
	assert_int_equal(sanctum_sshsig_verify(signer, (const char *)sig.ptr, sig.size, "git", "x",
	                                       1), 0);
	assert_memory_equal(signer, card.signing_key, sizeof(signer));
	sanctum_buf_dispose(&sig);
	sanctum_identity_free(again);
	sanctum_identity_free(id);
}

#define FILE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity__names),
		cmocka_unit_test(test_identity__generate),
		cmocka_unit_test(test_identity__age_key_matches_card),
		FILE_TEST(test_identity__plain_round_trip),
		FILE_TEST(test_identity__encrypted_round_trip),
		FILE_TEST(test_identity__wrong_passphrase),
		FILE_TEST(test_identity__asker_failure_is_returned),
		FILE_TEST(test_identity__readable_plain_file_refused),
		FILE_TEST(test_identity__not_found_and_not_regular),
		FILE_TEST(test_identity__never_overwrites),
		FILE_TEST(test_identity__creates_parent_folders),
		FILE_TEST(test_identity__save_refuses_misuse),
		FILE_TEST(test_identity__replace),
		FILE_TEST(test_identity__truncated_plain_file),
		FILE_TEST(test_identity__truncated_encrypted_file),
		FILE_TEST(test_identity__corrupt_lines),
		FILE_TEST(test_identity__hand_made_file),
		cmocka_unit_test(test_identity__card_round_trip),
		cmocka_unit_test(test_identity__card_any_change_is_refused),
		cmocka_unit_test(test_identity__card_messages),
		cmocka_unit_test(test_identity__fingerprint_matches_ssh_keygen),
		cmocka_unit_test(test_identity__signature_verifies),
		FILE_TEST(test_identity__loaded_identity_signs),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for invitations (core/src/invite.c): the line's encoding and its strict
 * parser, and joining a group with one: from a local path, pinning the anchor, and the
 * refusals (another group's store, a newcomer not yet in the roster, a folder that
 * holds a store, no reachable remote), each leaving nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "sanctum/errors.h"
#include "sanctum/invite.h"
#include "sanctum/members.h"

#include "store_internal.h"

#include "fixture.h"

/* ---- helpers ------------------------------------------------------------------------- */

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void assert_message_has(const char *text)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, text))
		fail_msg("message '%s' does not contain '%s'", message, text);
}

static void sample(sanctum_invite *inv)
{
	memset(inv, 0, sizeof(*inv));
	snprintf(inv->group_id, sizeof(inv->group_id), "0123456789abcdef0123456789abcdef");
	for (size_t i = 0; i < sizeof(inv->anchor); i++)
		inv->anchor[i] = (unsigned char)(i * 7 + 3);
	snprintf(inv->name, sizeof(inv->name), "St\xc3\xa4" "dte: nord, s\xc3\xbc" "d 100%%");
	snprintf(inv->urls[0], sizeof(inv->urls[0]), "ssh://git@git.example.org:2222/metro.git");
	snprintf(inv->urls[1], sizeof(inv->urls[1]), "/srv/sanctum/metro with space,comma");
	snprintf(inv->urls[2], sizeof(inv->urls[2]), "git.example.org:metro/sanctum.git");
	inv->nurls = 3;
}

static char *encode(const sanctum_invite *inv)
{
	sanctum_buf line = SANCTUM_BUF_INIT;
	char *text;

	assert_int_equal(sanctum_invite_encode(&line, inv), 0);
	text = calloc(1, line.size + 1);
	assert_non_null(text);
	memcpy(text, line.ptr, line.size);
	sanctum_buf_dispose(&line);
	return text;
}

/* `body` with its checksum appended, for lines the encoder would never write. */
static void with_checksum(char *out, size_t cap, const char *body)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[9];

	crypto_hash_sha256(hash, (const unsigned char *)body, strlen(body));
	sodium_bin2hex(hex, sizeof(hex), hash, 4);
	snprintf(out, cap, "%s:%s", body, hex);
}

static int parse(sanctum_invite *out, const char *line)
{
	return sanctum_invite_parse(out, line, strlen(line));
}

/* ---- the line -------------------------------------------------------------------------- */

static void test_invite__round_trip(void **state)
{
	sanctum_invite inv, back;
	char *line, padded[SANCTUM_INVITE_MAX_LINE + 16];

	(void)state;
	sample(&inv);
	line = encode(&inv);
	assert_non_null(strstr(line, ":St%C3%A4dte%3A%20nord%2C%20s%C3%BCd%20100%25:"));
	assert_non_null(strstr(line, "ssh%3A//git%40git.example.org%3A2222/metro.git,"));
	assert_null(strchr(line, ' '));
	assert_int_equal(parse(&back, line), 0);
	assert_memory_equal(&inv, &back, sizeof(inv));
	/* Spaces and line ends around it are ignored. */
	snprintf(padded, sizeof(padded), " \t%s\r\n", line);
	assert_int_equal(parse(&back, padded), 0);
	assert_memory_equal(&inv, &back, sizeof(inv));
	free(line);
}

static void test_invite__every_change_refused(void **state)
{
	sanctum_invite inv, back;
	char *line;
	size_t len;

	(void)state;
	sample(&inv);
	line = encode(&inv);
	len = strlen(line);
	for (size_t i = 0; i < len; i++) {
		char saved = line[i];

		for (int c = 0x20; c < 0x7f; c++) {
			if (c == saved)
				continue;
			line[i] = (char)c;
			if (parse(&back, line) != SANCTUM_EINVALID)
				fail_msg("changing byte %zu to '%c' was accepted", i, c);
		}
		line[i] = saved;
	}
	/* Refused invitations leave nothing in the output. */
	line[len - 1] = line[len - 1] == '0' ? '1' : '0';
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("checksum does not match");
	assert_true(sodium_is_zero((const unsigned char *)&back, sizeof(back)));
	free(line);
}

static void test_invite__truncation_refused(void **state)
{
	sanctum_invite inv, back;
	char *line;
	size_t len;

	(void)state;
	sample(&inv);
	line = encode(&inv);
	len = strlen(line);
	for (size_t n = 0; n < len; n++)
		if (sanctum_invite_parse(&back, line, n) != SANCTUM_EINVALID)
			fail_msg("a line cut to %zu of %zu bytes was accepted", n, len);
	assert_int_equal(sanctum_invite_parse(&back, line, 0), SANCTUM_EINVALID);
	assert_message_has("empty");
	free(line);
}

static void test_invite__oversized_refused(void **state)
{
	sanctum_invite inv, back;
	sanctum_buf out = SANCTUM_BUF_INIT;
	char *big = malloc(SANCTUM_INVITE_MAX_LINE + 2);
	char body[SANCTUM_INVITE_MAX_LINE * 2], line[SANCTUM_INVITE_MAX_LINE * 2];
	char *line_ok;
	size_t n;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', SANCTUM_INVITE_MAX_LINE + 1);
	big[SANCTUM_INVITE_MAX_LINE + 1] = '\0';
	assert_int_equal(parse(&back, big), SANCTUM_EINVALID);
	assert_message_has("longer than any invitation");
	free(big);

	/* A name of 129 bytes, with a valid checksum. */
	sample(&inv);
	line_ok = encode(&inv);
	n = (size_t)(strstr(line_ok, ":St") - line_ok);
	snprintf(body, sizeof(body), "%.*s:%0129d:/x", (int)n, line_ok, 0);
	with_checksum(line, sizeof(line), body);
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("group name");

	/* A URL of 513 bytes, and 9 URLs. */
	snprintf(body, sizeof(body), "%.*s:n:/%0512d", (int)n, line_ok, 0);
	with_checksum(line, sizeof(line), body);
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("remote 1");
	snprintf(body, sizeof(body), "%.*s:n:/1,/2,/3,/4,/5,/6,/7,/8,/9", (int)n, line_ok);
	with_checksum(line, sizeof(line), body);
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("more than 8 remotes");
	snprintf(body, sizeof(body), "%.*s:n:/1,/2,/3,/4,/5,/6,/7,/8", (int)n, line_ok);
	with_checksum(line, sizeof(line), body);
	assert_int_equal(parse(&back, line), 0);
	free(line_ok);

	/* The encoder refuses a line that would be too long. */
	sample(&inv);
	inv.nurls = SANCTUM_INVITE_MAX_URLS;
	for (size_t i = 0; i < inv.nurls; i++) {
		memset(inv.urls[i], ':', SANCTUM_INVITE_MAX_URL);
		inv.urls[i][0] = (char)('a' + i);
		inv.urls[i][SANCTUM_INVITE_MAX_URL] = '\0';
	}
	assert_int_equal(sanctum_invite_encode(&out, &inv), SANCTUM_EINVALID);
	assert_message_has("longer than");
	sanctum_buf_dispose(&out);
}

static void test_invite__one_spelling(void **state)
{
	static const char *const bodies[] = {
		/* an escape that is not needed, a lowercase escape, a byte that needs one */
		":n%41me:/x", ":n%3ame:/x", ":n:me:/x", ":na me:/x", ":n:/x,", ":n:,/x",
		":n:/x,/x", ":n%00:/x", ":n%0A:/x", ":n:/%C3%A4", ":n%2:/x", ":n%:/x", "::/x",
		":n:",
	};
	const char *head = "sanctum-invite-v1:0123456789abcdef0123456789abcdef:"
	                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char body[256], line[300];
	sanctum_invite back;

	(void)state;
	snprintf(body, sizeof(body), "%s:n:/x", head);
	with_checksum(line, sizeof(line), body);
	assert_int_equal(parse(&back, line), 0);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(body, sizeof(body), "%s%s", head, bodies[i]);
		with_checksum(line, sizeof(line), body);
		if (parse(&back, line) != SANCTUM_EINVALID)
			fail_msg("'%s' was accepted", line);
	}
	/* Other prefixes, versions, ids and anchors. */
	with_checksum(line, sizeof(line), "sanctum-invite-v2:0123456789abcdef0123456789abcdef:"
	              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:n:/x");
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("unsupported version");
	with_checksum(line, sizeof(line), "sanctum-card-v1:0123456789abcdef0123456789abcdef:"
	              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:n:/x");
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("does not start with");
	with_checksum(line, sizeof(line), "sanctum-invite-v1:0123456789ABCDEF0123456789abcdef:"
	              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:n:/x");
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("group id");
	/* 43 characters whose last one has bits past the 32 bytes: not canonical. */
	with_checksum(line, sizeof(line), "sanctum-invite-v1:0123456789abcdef0123456789abcdef:"
	              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB:n:/x");
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("trust anchor");
	with_checksum(line, sizeof(line), "sanctum-invite-v1:0123456789abcdef0123456789abcdef:"
	              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:n:/x:extra");
	assert_int_equal(parse(&back, line), SANCTUM_EINVALID);
	assert_message_has("more parts");
}

static void test_invite__add_url(void **state)
{
	sanctum_invite inv;
	char cwd[PATH_MAX];

	(void)state;
	memset(&inv, 0, sizeof(inv));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(sanctum_invite_add_url(&inv, "ssh://git@example.org/x.git"), 0);
	assert_int_equal(sanctum_invite_add_url(&inv, "example.org:x.git"), 0);
	assert_int_equal(sanctum_invite_add_url(&inv, "."), 0);
	assert_string_equal(inv.urls[2], cwd);
	assert_int_equal(sanctum_invite_add_url(&inv, cwd), SANCTUM_EINVALID);
	assert_message_has("given twice");
	assert_int_equal(sanctum_invite_add_url(&inv, "https://h/\x01"), SANCTUM_EINVALID);
	assert_int_equal(sanctum_invite_add_url(&inv, ""), SANCTUM_EINVALID);
	assert_true(sanctum_invite_add_url(&inv, "./no-such-folder-here") < 0);
	assert_int_equal(inv.nurls, 3);
}

/* ---- joining ------------------------------------------------------------------------------ */

typedef struct {
	char tmp[PATH_MAX];
	char a[PATH_MAX + 16], b[PATH_MAX + 16], join[PATH_MAX + 16];
	sanctum_identity *founder, *newcomer;
	sanctum_store *store_a;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	if (!f || sanctum_init() < 0)
		return -1;
	if (make_temp_dir(f->tmp, sizeof(f->tmp), "sanctum-invite") < 0)
		return -1;
	snprintf(f->a, sizeof(f->a), "%s/a", f->tmp);
	snprintf(f->b, sizeof(f->b), "%s/b", f->tmp);
	snprintf(f->join, sizeof(f->join), "%s/joined", f->tmp);
	if (sanctum_identity_generate(&f->founder, "aldport", "server") < 0 ||
	    sanctum_identity_generate(&f->newcomer, "brightwater", "laptop") < 0 ||
	    sanctum_store_init(&f->store_a, f->a, "river cities", f->founder) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	sanctum_store_free(f->store_a);
	sanctum_identity_free(f->founder);
	sanctum_identity_free(f->newcomer);
	remove_tree(f->tmp);
	free(f);
	return 0;
}

static void add_newcomer(sanctum_store *store, fixture *f)
{
	sanctum_card card;

	sanctum_identity_card(&card, f->newcomer);
	assert_int_equal(sanctum_store_member_add(store, &card, NULL, f->founder, NULL), 0);
}

static void invite_to(sanctum_invite *inv, fixture *f, const char *url)
{
	sanctum_invite_from_store(inv, f->store_a);
	assert_int_equal(sanctum_invite_add_url(inv, url), 0);
}

static void config_string(char *out, size_t cap, sanctum_store *store, const char *key)
{
	git_config *config = NULL;
	git_buf value = GIT_BUF_INIT;

	assert_int_equal(git_repository_config(&config, store->repo), 0);
	assert_int_equal(git_config_get_string_buf(&value, config, key), 0);
	snprintf(out, cap, "%s", value.ptr);
	git_buf_dispose(&value);
	git_config_free(config);
}

static void test_invite__join_from_local_path(void **state)
{
	fixture *f = *state;
	static const char *const tags[] = { "shelter" };
	sanctum_new_doc doc = { (const unsigned char *)"intake until 22:00\n", 19, "Shelter",
	                        tags, 1, "text/plain" };
	unsigned char ids[1][SANCTUM_DOC_ID_SIZE];
	char value[2 * PATH_MAX], want[2 * PATH_MAX], hex[65];
	sanctum_store *joined = NULL, *again = NULL;
	sanctum_invite inv, back;
	sanctum_doc read;
	char *line;

	assert_int_equal(sanctum_store_add(f->store_a, ids, &doc, 1, f->founder), 0);
	add_newcomer(f->store_a, f);
	invite_to(&inv, f, f->a);
	assert_int_equal(sanctum_invite_add_url(&inv, "ssh://git@unreachable.invalid/x.git"), 0);
	line = encode(&inv);
	assert_int_equal(parse(&back, line), 0);
	free(line);

	assert_int_equal(sanctum_store_join(&joined, f->join, &back, f->newcomer), 0);
	assert_non_null(joined);
	assert_string_equal(sanctum_store_group_id(joined), sanctum_store_group_id(f->store_a));
	assert_string_equal(sanctum_store_group_name(joined), "river cities");
	/* The anchor is pinned, the remotes recorded. */
	sanctum_hex_encode(hex, inv.anchor, sizeof(inv.anchor));
	config_string(value, sizeof(value), joined, SANCTUM_ANCHOR_KEY);
	assert_string_equal(value, hex);
	config_string(value, sizeof(value), joined, "remote.origin.url");
	snprintf(want, sizeof(want), "%s/.sanctum", f->a);
	assert_string_equal(value, want);
	config_string(value, sizeof(value), joined, "remote.origin-2.url");
	assert_string_equal(value, "ssh://git@unreachable.invalid/x.git");
	/* No private ref is left; the newcomer reads the founder's document. */
	{
		git_reference *ref = NULL;
		assert_int_equal(git_reference_lookup(&ref, joined->repo, "refs/sanctum/join"),
		                 GIT_ENOTFOUND);
		git_error_clear();
	}
	assert_int_equal(sanctum_store_read(&read, joined, ids[0], f->newcomer), 0);
	assert_int_equal(read.body.size, 19);
	sanctum_doc_dispose(&read);
	sanctum_store_free(joined);
	assert_int_equal(sanctum_store_open(&again, f->join, 0), 0);
	sanctum_store_free(again);
}

static void test_invite__join_refuses_another_group(void **state)
{
	fixture *f = *state;
	sanctum_store *b = NULL, *joined = NULL;
	sanctum_invite inv;

	/* The second group has the newcomer as a member too: only the anchor tells. */
	assert_int_equal(sanctum_store_init(&b, f->b, "river cities", f->founder), 0);
	add_newcomer(b, f);
	add_newcomer(f->store_a, f);
	invite_to(&inv, f, f->b);
	assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer), SANCTUM_EVERIFY);
	assert_int_equal(sanctum_error_last()->klass, SANCTUM_ERRCLASS_CRYPTO);
	assert_message_has("does not match the invitation's trust anchor");
	assert_null(joined);
	assert_false(exists(f->join));
	/* A folder that existed stays, without a .sanctum. */
	assert_int_equal(mkdir(f->join, 0700), 0);
	assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer), SANCTUM_EVERIFY);
	assert_true(exists(f->join));
	assert_false(sanctum_store__exists(f->join));
	{
		char inner[2 * PATH_MAX];
		snprintf(inner, sizeof(inner), "%s/.sanctum", f->join);
		assert_false(exists(inner));
	}
	/* The .sanctum path of the other group is refused alike. */
	{
		char url[2 * PATH_MAX];
		snprintf(url, sizeof(url), "file://%s/.sanctum", f->b);
		sanctum_invite_from_store(&inv, f->store_a);
		assert_int_equal(sanctum_invite_add_url(&inv, url), 0);
		assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer),
		                 SANCTUM_EVERIFY);
	}
	/* A forged name with the right anchor is refused too. */
	invite_to(&inv, f, f->a);
	snprintf(inv.name, sizeof(inv.name), "another name");
	assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer), SANCTUM_EVERIFY);
	assert_message_has("forged");
	assert_false(sanctum_store__exists(f->join));
	sanctum_store_free(b);
}

static void test_invite__join_refuses_non_member(void **state)
{
	fixture *f = *state;
	sanctum_store *joined = NULL;
	sanctum_invite inv;

	invite_to(&inv, f, f->a);
	assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer), SANCTUM_EVERIFY);
	assert_int_equal(sanctum_error_last()->klass, SANCTUM_ERRCLASS_INVALID);
	assert_message_has("you are not a member of this group yet: send your card "
	                   "(sanctum keys show) to an admin");
	assert_null(joined);
	assert_false(exists(f->join));
	/* Once added, the same invitation works. */
	add_newcomer(f->store_a, f);
	assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer), 0);
	sanctum_store_free(joined);
}

static void test_invite__join_other_refusals(void **state)
{
	fixture *f = *state;
	sanctum_store *joined = NULL;
	sanctum_invite inv;
	char empty[PATH_MAX + 16];

	add_newcomer(f->store_a, f);
	/* Into a folder that holds a store: refused, the store untouched. */
	invite_to(&inv, f, f->a);
	assert_int_equal(sanctum_store_join(&joined, f->a, &inv, f->newcomer), SANCTUM_EEXISTS);
	assert_true(sanctum_store__exists(f->a));
	/* No remote answers (a folder that is no repository, a missing one). */
	snprintf(empty, sizeof(empty), "%s/empty", f->tmp);
	assert_int_equal(mkdir(empty, 0700), 0);
	sanctum_invite_from_store(&inv, f->store_a);
	assert_int_equal(sanctum_invite_add_url(&inv, empty), 0);
	assert_true(strlen(f->tmp) + 9 <= SANCTUM_INVITE_MAX_URL);
	memcpy(inv.urls[1], f->tmp, strlen(f->tmp));
	memcpy(inv.urls[1] + strlen(f->tmp), "/missing", 9);
	inv.nurls = 2;
	assert_int_equal(sanctum_store_join(&joined, f->join, &inv, f->newcomer),
	                 SANCTUM_ENOTFOUND);
	assert_message_has("/missing': no such folder");
	assert_false(exists(f->join));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite__round_trip),
		cmocka_unit_test(test_invite__every_change_refused),
		cmocka_unit_test(test_invite__truncation_refused),
		cmocka_unit_test(test_invite__oversized_refused),
		cmocka_unit_test(test_invite__one_spelling),
		cmocka_unit_test(test_invite__add_url),
		cmocka_unit_test_setup_teardown(test_invite__join_from_local_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invite__join_refuses_another_group, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_invite__join_refuses_non_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invite__join_other_refusals, setup, teardown),
	};

	if (sanctum_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

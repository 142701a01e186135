/*
 * Unit tests for document revisions (core/src/doc.c): sealing and opening round trips,
 * PADME padding, and one crafted plaintext for every problem sanctum_doc_open reports.
 *
 * Crafted plaintexts get past the signature check the honest way: the test writes a
 * signed part by hand and signs it with a throwaway identity, so the grammar behind the
 * signature is what is tested.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanctum/doc.h"
#include "sanctum/errors.h"

#define SIG_BLOCK 306     /* the armored length of an Ed25519 SSHSIG in "sanctum-doc" */
#define ID_HEX "00112233445566778899aabbccddeeff"

/* Pieces of a valid signed part; "@A" stands for the test identity's fingerprint. */
#define H_VER "sanctum-doc v1\n"
#define H_ID "id " ID_HEX "\n"
#define H_REV "rev 1\n"
#define H_PARENT "parent none\n"
#define H_AUTHOR "author @A\n"
#define H_TIME "time 1764435600\n"
#define H_TYPE "type text/plain\n"
#define H_TITLE "title Rapid-response hotline\n"
#define H_TAG "tag legal-aid\n"
#define H_SIZE "size 5\n"
#define H_STATE "state live\n"
#define H_BODY "\nhello"
#define FP_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"     /* 43 characters */
#define HASH_LO ID_HEX ID_HEX                                  /* 64 hex, sorts first */
#define HASH_HI "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define H_MERGE_REV "rev 2\nparent " HASH_LO "\n"          /* a merge's rev and parent */
#define H_MERGED "merged " HASH_HI "\n"
#define HEAD1 H_VER H_ID H_REV H_PARENT H_AUTHOR H_TIME H_TYPE
#define VALID HEAD1 H_TITLE H_TAG H_SIZE H_STATE H_BODY

static sanctum_identity *signer;
static sanctum_card card;
static char fingerprint[SANCTUM_FINGERPRINT_SIZE];

static int setup(void **state)
{
	(void)state;
	if (sanctum_init() < 0 || sanctum_identity_generate(&signer, "aldport", "server") < 0)
		return -1;
	sanctum_identity_card(&card, signer);
	sanctum_key_fingerprint(fingerprint, card.signing_key);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sanctum_identity_free(signer);
	signer = NULL;
	return 0;
}

static void assert_message_has(const char *needle)
{
	const char *message = sanctum_error_last()->message;

	if (!strstr(message, needle))
		fail_msg("error message '%s' does not mention '%s'", message, needle);
}

/* A revision with the given body, ready to seal. */
static void make_doc(sanctum_doc *doc, const void *body, size_t size, int tags)
{
	sanctum_doc fresh = SANCTUM_DOC_INIT;

	*doc = fresh;
	sanctum_doc_new_id(doc->id);
	doc->rev = 1;
	doc->time = 1764435600;
	assert_int_equal(sanctum_doc_set_type(doc, "text/markdown"), 0);
	assert_int_equal(sanctum_doc_set_title(doc, "Rapid-response hotline"), 0);
	for (int i = 0; i < tags; i++) {
		char tag[32];

		snprintf(tag, sizeof(tag), "tag-%d", i);
		assert_int_equal(sanctum_doc_add_tag(doc, tag), 0);
	}
	assert_int_equal(sanctum_buf_put(&doc->body, body, size), 0);
}

/* Opens a copy of `len` bytes in a block of exactly that size, so ASan sees overreads. */
static int open_exact(sanctum_doc *out, sanctum_doc_problem *problem, const unsigned char *p,
                      size_t len, const unsigned char *expected_id)
{
	unsigned char *copy = malloc(len ? len : 1);
	int error;

	assert_non_null(copy);
	if (len)
		memcpy(copy, p, len);
	error = sanctum_doc_open(out, problem, copy, len, expected_id);
	free(copy);
	return error;
}

/* Seals, opens, and checks every field and what seal and open set. */
static void round_trip(const void *body, size_t size, int tags, int deleted)
{
	sanctum_doc doc, back = SANCTUM_DOC_INIT;
	sanctum_doc_problem problem = SANCTUM_DOC_BAD_FORMAT;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	unsigned char hash[SANCTUM_DOC_HASH_SIZE];

	make_doc(&doc, body, size, tags);
	doc.deleted = deleted;
	doc.rev = 7;
	doc.has_parent = 1;
	randombytes_buf(doc.parent, sizeof(doc.parent));
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), 0);

	assert_true(plain.size > SIG_BLOCK);
	assert_memory_equal(plain.ptr, "-----BEGIN SSH SIGNATURE-----\n", 30);
	assert_memory_equal(plain.ptr + SIG_BLOCK - 28, "-----END SSH SIGNATURE-----\n", 28);
	assert_memory_equal(plain.ptr + SIG_BLOCK, "sanctum-doc v1\n", 15);
	assert_int_equal(sanctum_doc_padded_size(plain.size), plain.size);
	crypto_hash_sha256(hash, plain.ptr + SIG_BLOCK, plain.size - SIG_BLOCK);
	assert_memory_equal(doc.hash, hash, sizeof(hash));
	assert_string_equal(doc.author, fingerprint);
	assert_memory_equal(doc.signer, card.signing_key, sizeof(doc.signer));

	assert_int_equal(open_exact(&back, &problem, plain.ptr, plain.size, doc.id), 0);
	assert_int_equal(problem, SANCTUM_DOC_OK);
	assert_memory_equal(back.id, doc.id, sizeof(doc.id));
	assert_int_equal(back.rev, 7);
	assert_int_equal(back.has_parent, 1);
	assert_memory_equal(back.parent, doc.parent, sizeof(doc.parent));
	assert_int_equal(back.has_merged, 0);
	assert_int_equal(back.time, doc.time);
	assert_string_equal(back.type, "text/markdown");
	assert_string_equal(back.title, doc.title);
	assert_int_equal(back.ntags, doc.ntags);
	for (size_t i = 0; i < doc.ntags; i++)
		assert_string_equal(back.tags[i], doc.tags[i]);
	assert_int_equal(back.deleted, deleted);
	assert_int_equal(back.body.size, size);
	if (size)
		assert_memory_equal(back.body.ptr, body, size);
	assert_string_equal(back.author, fingerprint);
	assert_memory_equal(back.hash, doc.hash, sizeof(hash));
	assert_memory_equal(back.signer, card.signing_key, sizeof(back.signer));

	sanctum_doc_dispose(&back);
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
}

static void test_doc__round_trip_text_and_binary(void **state)
{
	static const size_t sizes[] = { 0, 1, 5, 100, 4095, 65536, 1048576 };
	unsigned char *bytes = malloc(1048576);
	char *text = malloc(1048576);

	(void)state;
	assert_non_null(bytes);
	assert_non_null(text);
	randombytes_buf(bytes, 1048576);
	bytes[0] = 0;        /* NULs and CRs in a body are just bytes */
	bytes[2] = '\r';
	for (size_t i = 0; i < 1048576; i++)
		text[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		round_trip(text, sizes[i], 0, 0);
		round_trip(bytes, sizes[i], 3, 0);
	}
	free(bytes);
	free(text);
}

static void test_doc__round_trip_tags_and_tombstone(void **state)
{
	(void)state;
	round_trip("x", 1, SANCTUM_DOC_MAX_TAGS, 0);
	round_trip(NULL, 0, 1, 1);
	round_trip(NULL, 0, 0, 1);
}

/* A merge revision: `merged` right after `parent`, read back, and part of the hash. */
static void test_doc__round_trip_merge(void **state)
{
	sanctum_doc doc, back = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT, plain2 = SANCTUM_BUF_INIT;
	char lines[2 * (2 * SANCTUM_DOC_HASH_SIZE + 16)], hex[2 * SANCTUM_DOC_HASH_SIZE + 1];
	unsigned char first_hash[SANCTUM_DOC_HASH_SIZE];
	size_t n;

	(void)state;
	make_doc(&doc, "the body\n", 9, 2);
	doc.rev = 9;
	doc.has_parent = 1;
	randombytes_buf(doc.parent, sizeof(doc.parent));
	memcpy(doc.merged, doc.parent, sizeof(doc.merged));
	doc.parent[0] = 0x00;              /* parent sorts first, whatever the random bytes */
	doc.merged[0] = 0xff;
	doc.has_merged = 1;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), 0);
	memcpy(first_hash, doc.hash, sizeof(first_hash));

	sodium_bin2hex(hex, sizeof(hex), doc.parent, sizeof(doc.parent));
	n = (size_t)snprintf(lines, sizeof(lines), "\nparent %s\nmerged ", hex);
	sodium_bin2hex(hex, sizeof(hex), doc.merged, sizeof(doc.merged));
	snprintf(lines + n, sizeof(lines) - n, "%s\nauthor ", hex);
	assert_non_null(strstr((const char *)plain.ptr + SIG_BLOCK, lines));

	assert_int_equal(open_exact(&back, NULL, plain.ptr, plain.size, doc.id), 0);
	assert_int_equal(back.rev, 9);
	assert_int_equal(back.has_parent, 1);
	assert_int_equal(back.has_merged, 1);
	assert_memory_equal(back.parent, doc.parent, sizeof(doc.parent));
	assert_memory_equal(back.merged, doc.merged, sizeof(doc.merged));
	assert_memory_equal(back.hash, doc.hash, sizeof(doc.hash));
	sanctum_doc_dispose(&back);

	/* Without the second parent it is another revision, with another hash. */
	doc.has_merged = 0;
	assert_int_equal(sanctum_doc_seal(&plain2, &doc, signer), 0);
	assert_null(strstr((const char *)plain2.ptr + SIG_BLOCK, "\nmerged "));
	assert_memory_not_equal(doc.hash, first_hash, sizeof(first_hash));
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&plain2);
}

static void test_doc__first_revision_and_unicode(void **state)
{
	sanctum_doc doc, back = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	const char *title = "H\xc3\xa4ndbuch \xe2\x82\xac \xf0\x9d\x84\x9e "
	                    "\xe4\xb8\xad\xe6\x96\x87";

	(void)state;
	make_doc(&doc, "body\n", 5, 0);
	doc.time = 0;
	assert_int_equal(sanctum_doc_set_title(&doc, title), 0);
	assert_int_equal(sanctum_doc_add_tag(&doc, "caf\xc3\xa9"), 0);
	assert_int_equal(sanctum_doc_set_type(&doc, "application/vnd.oasis.opendocument.text"), 0);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), 0);
	assert_non_null(strstr((const char *)plain.ptr + SIG_BLOCK, "\nparent none\n"));
	assert_non_null(strstr((const char *)plain.ptr + SIG_BLOCK, "\ntime 0\n"));
	assert_int_equal(sanctum_doc_open(&back, NULL, plain.ptr, plain.size, NULL), 0);
	assert_int_equal(back.rev, 1);
	assert_int_equal(back.has_parent, 0);
	assert_int_equal(back.time, 0);
	assert_string_equal(back.title, title);
	assert_string_equal(back.tags[0], "caf\xc3\xa9");
	sanctum_doc_dispose(&back);
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
}

static void test_doc__seal_replaces_output_and_is_deterministic(void **state)
{
	sanctum_doc doc;
	sanctum_buf a = SANCTUM_BUF_INIT, b = SANCTUM_BUF_INIT;

	(void)state;
	make_doc(&doc, "same", 4, 2);
	assert_int_equal(sanctum_buf_puts(&a, "old contents"), 0);
	assert_int_equal(sanctum_doc_seal(&a, &doc, signer), 0);
	assert_int_equal(sanctum_doc_seal(&b, &doc, signer), 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);      /* Ed25519 is deterministic */
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&a);
	sanctum_buf_dispose(&b);
}

/* ---- PADME ---- */

static void test_doc__padded_size(void **state)
{
	size_t prev = 0;

	(void)state;
	assert_int_equal(sanctum_doc_padded_size(0), 0);
	assert_int_equal(sanctum_doc_padded_size(1), 1);
	assert_int_equal(sanctum_doc_padded_size(8), 8);
	assert_int_equal(sanctum_doc_padded_size(9), 10);
	assert_int_equal(sanctum_doc_padded_size(1000), 1024);
	assert_int_equal(sanctum_doc_padded_size(1025), 1088);
	assert_int_equal(sanctum_doc_padded_size(1048577), 1081344);
	/* Every length up to 4 MiB, then samples up to 1 TiB: never smaller, at most 12% more,
	 * monotonic, and a padded size is its own bucket. */
	for (size_t len = 1; len <= ((size_t)4 << 20); len++) {
		size_t p = sanctum_doc_padded_size(len);

		if (p < len || (p - len) * 100 > 12 * len || p < prev)
			fail_msg("padded size %zu for %zu bytes", p, len);
		if (sanctum_doc_padded_size(p) != p)
			fail_msg("padded size %zu is not its own bucket", p);
		prev = p;
	}
	for (size_t len = (size_t)4 << 20; len < ((size_t)1 << 40); len += len / 997 + 1) {
		size_t p = sanctum_doc_padded_size(len);

		if (p < len || (p - len) * 100 > 12 * len)
			fail_msg("padded size %zu for %zu bytes", p, len);
	}
}

/* ---- ids and field setters ---- */

static void test_doc__id_hex(void **state)
{
	unsigned char id[SANCTUM_DOC_ID_SIZE], back[SANCTUM_DOC_ID_SIZE];
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

	(void)state;
	sanctum_doc_new_id(id);
	sanctum_doc_id_to_hex(hex, id);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(sanctum_doc_id_from_hex(back, hex), 0);
	assert_memory_equal(back, id, sizeof(id));
	assert_int_equal(sanctum_doc_id_from_hex(back, ID_HEX), 0);
	assert_int_equal(back[0], 0x00);
	assert_int_equal(back[15], 0xff);
	assert_int_equal(sanctum_doc_id_from_hex(back, "00112233445566778899AABBCCDDEEFF"),
	                 SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_id_from_hex(back, "0011"), SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_id_from_hex(back, ID_HEX "00"), SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_id_from_hex(back, "g0112233445566778899aabbccddeeff"),
	                 SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_id_from_hex(back, ""), SANCTUM_EINVALID);
}

static void test_doc__utf8_and_text_rules(void **state)
{
	static const char *const good[] = {
		"a", "\xc2\xa0", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
		"\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "~",
	};
	static const char *const bad_utf8[] = {
		"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf",
		"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe", "\xe2\x82", "\xc3",
		"\xf0\x9d\x84", "a\xc3(", "\xc3\xa4\xa4",
	};
	static const char *const control[] = {
		"\x01", "a\tb", "a\nb", "\x1f", "\x7f", "\xc2\x80", "\xc2\x9b", "\xc2\x9f",
	};
	sanctum_doc doc = SANCTUM_DOC_INIT;
	char big[SANCTUM_DOC_MAX_TITLE + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(sanctum_doc_set_title(&doc, good[i]), 0);
		assert_int_equal(sanctum_doc_add_tag(&doc, good[i]), 0);
	}
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		assert_int_equal(sanctum_doc_set_title(&doc, bad_utf8[i]), SANCTUM_EINVALID);
		assert_message_has("document field 'title' is not valid UTF-8");
		assert_int_equal(sanctum_doc_add_tag(&doc, bad_utf8[i]), SANCTUM_EINVALID);
		assert_message_has("document field 'tag' is not valid UTF-8");
	}
	for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++) {
		assert_int_equal(sanctum_doc_set_title(&doc, control[i]), SANCTUM_EINVALID);
		assert_message_has("control character");
	}
	assert_int_equal(sanctum_doc_set_title(&doc, ""), SANCTUM_EINVALID);
	assert_message_has("document field 'title' is empty");
	assert_int_equal(sanctum_doc_set_title(&doc, "with spaces is fine"), 0);
	assert_int_equal(sanctum_doc_add_tag(&doc, "no spaces"), SANCTUM_EINVALID);
	assert_message_has("document field 'tag' contains a space");
	assert_int_equal(sanctum_doc_add_tag(&doc, "a"), SANCTUM_EINVALID);
	assert_message_has("already has the tag 'a'");

	memset(big, 'x', sizeof(big));
	big[SANCTUM_DOC_MAX_TITLE] = '\0';
	assert_int_equal(sanctum_doc_set_title(&doc, big), 0);
	big[SANCTUM_DOC_MAX_TITLE] = 'x';
	big[SANCTUM_DOC_MAX_TITLE + 1] = '\0';
	assert_int_equal(sanctum_doc_set_title(&doc, big), SANCTUM_EINVALID);
	assert_message_has("longer than 1024 bytes");
	big[SANCTUM_DOC_MAX_TAG] = '\0';
	assert_int_equal(sanctum_doc_add_tag(&doc, big), 0);
	big[SANCTUM_DOC_MAX_TAG] = 'y';
	big[SANCTUM_DOC_MAX_TAG + 1] = '\0';
	assert_int_equal(sanctum_doc_add_tag(&doc, big), SANCTUM_EINVALID);
	assert_message_has("longer than 128 bytes");

	assert_int_equal(strlen(doc.title), SANCTUM_DOC_MAX_TITLE);
	for (size_t i = 0; i < SANCTUM_DOC_MAX_TITLE; i++)
		assert_int_equal(doc.title[i], 'x');
	sanctum_doc_dispose(&doc);
	assert_null(doc.title);
	assert_null(doc.tags);
	assert_int_equal(doc.ntags, 0);
}

static void test_doc__type_rules(void **state)
{
	static const char *const good[] = {
		"text/plain", "text/markdown", "application/pdf", "image/svg+xml",
		"application/vnd.ms-excel", "x/y", "TEXT/Plain",
	};
	static const char *const bad[] = {
		"", "text", "/plain", "text/", "text/plain; charset=utf-8", "text /plain",
		"text/pl ain", "text/plain/x", "te(t/plain", "text/pl\xc3\xa4in", "text/\x7f",
		"text/plain\n",
	};
	sanctum_doc doc = SANCTUM_DOC_INIT;
	char big[SANCTUM_DOC_MAX_TYPE + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(sanctum_doc_set_type(&doc, good[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sanctum_doc_set_type(&doc, bad[i]), SANCTUM_EINVALID);
		assert_message_has("document field 'type'");
	}
	memset(big, 'a', sizeof(big));
	big[1] = '/';
	big[SANCTUM_DOC_MAX_TYPE] = '\0';
	assert_int_equal(sanctum_doc_set_type(&doc, big), 0);
	big[SANCTUM_DOC_MAX_TYPE] = 'a';
	big[SANCTUM_DOC_MAX_TYPE + 1] = '\0';
	assert_int_equal(sanctum_doc_set_type(&doc, big), SANCTUM_EINVALID);
	assert_message_has("longer than 255 bytes");
	sanctum_doc_dispose(&doc);
}

static void test_doc__seal_refuses_invalid_revisions(void **state)
{
	sanctum_doc doc;
	sanctum_buf plain = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(sanctum_buf_puts(&plain, "kept"), 0);

	make_doc(&doc, "x", 1, 0);
	doc.rev = 0;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("'rev'");
	doc.rev = 2;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("'parent'");
	doc.rev = 1;
	doc.has_parent = 1;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("'parent'");
	doc.has_parent = 0;
	doc.has_merged = 1;           /* a first revision has no parents at all */
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'merged' needs a 'parent'");
	doc.rev = 2;
	doc.has_parent = 1;
	memset(doc.parent, 0x11, sizeof(doc.parent));
	memset(doc.merged, 0x11, sizeof(doc.merged));
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'merged' must sort after 'parent'");
	doc.merged[31] = 0x10;        /* smaller than parent */
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'merged' must sort after 'parent'");
	doc.rev = 1;
	doc.has_merged = 0;
	doc.has_parent = 0;
	doc.time = -1;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("'time'");
	doc.time = 1;
	doc.deleted = 1;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("tombstone");
	doc.deleted = 0;
	doc.title[0] = '\x01';       /* changed behind the setter's back */
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'title' contains a control character");
	sanctum_doc_dispose(&doc);

	make_doc(&doc, "x", 1, 0);
	free(doc.title);
	doc.title = NULL;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'title' is not set");
	sanctum_doc_dispose(&doc);

	make_doc(&doc, "x", 1, 0);
	free(doc.type);
	doc.type = NULL;
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'type' is not set");
	sanctum_doc_dispose(&doc);

	make_doc(&doc, "x", 1, 2);
	doc.tags[1][4] = '0';         /* "tag-1" becomes a second "tag-0" */
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), SANCTUM_EINVALID);
	assert_message_has("document field 'tag' repeats a tag");
	sanctum_doc_dispose(&doc);

	make_doc(&doc, "x", 1, SANCTUM_DOC_MAX_TAGS);
	assert_int_equal(sanctum_doc_add_tag(&doc, "one-more"), SANCTUM_EINVALID);
	assert_message_has("at most 64 tags");
	sanctum_doc_dispose(&doc);

	assert_int_equal(plain.size, 4);  /* refusals before signing leave the output alone */
	assert_int_equal(sanctum_doc_seal(NULL, &doc, signer), SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_seal(&plain, NULL, signer), SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, NULL), SANCTUM_EINVALID);
	sanctum_buf_dispose(&plain);
}

/* ---- crafted plaintexts ---- */

/* Appends a hand-written signed part to `out`, with "@A" replaced by the test fingerprint. */
static void expand(sanctum_buf *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i + 1 < len && text[i] == '@' && text[i + 1] == 'A') {
			assert_int_equal(sanctum_buf_puts(out, fingerprint), 0);
			i++;
		} else {
			assert_int_equal(sanctum_buf_put(out, text + i, 1), 0);
		}
	}
}

/* Appends zero bytes to a signed part up to its PADME bucket. */
static void pad(sanctum_buf *part)
{
	size_t want = sanctum_doc_padded_size(SIG_BLOCK + part->size) - SIG_BLOCK;

	while (part->size < want)
		assert_int_equal(sanctum_buf_put(part, "", 1), 0);
}

/* Signs a signed part as it is with the test identity under `ns`: block, then part. */
static void sign_part(sanctum_buf *out, const sanctum_buf *part, const char *ns)
{
	sanctum_buf sig = SANCTUM_BUF_INIT;

	assert_int_equal(sanctum_identity_sign(&sig, signer, ns, part->ptr, part->size), 0);
	if (strcmp(ns, SANCTUM_DOC_NAMESPACE) == 0)
		assert_int_equal(sig.size, SIG_BLOCK);
	sanctum_buf_clear(out);
	assert_int_equal(sanctum_buf_put(out, sig.ptr, sig.size), 0);
	assert_int_equal(sanctum_buf_put(out, part->ptr, part->size), 0);
	sanctum_buf_dispose(&sig);
}

/* Expands, pads to the bucket and signs a hand-written signed part. */
static void craft(sanctum_buf *out, const char *text, size_t len, const char *ns)
{
	sanctum_buf part = SANCTUM_BUF_INIT;

	expand(&part, text, len);
	pad(&part);
	sign_part(out, &part, ns);
	sanctum_buf_dispose(&part);
}

/* Opens a crafted plaintext and checks the code, the problem and the message. */
static void expect_open_case(size_t label, const sanctum_buf *plain,
                             const unsigned char *expected_id, int code,
                             sanctum_doc_problem want, const char *needle)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_doc_problem problem = SANCTUM_DOC_OK;
	int error = open_exact(&doc, &problem, plain->ptr, plain->size, expected_id);

	if (error != code || problem != want)
		fail_msg("case %zu: open gave %d/problem %d, expected %d/problem %d (%s)", label,
		         error, (int)problem, code, (int)want, sanctum_error_last()->message);
	if (needle && !strstr(sanctum_error_last()->message, needle))
		fail_msg("case %zu: error message '%s' does not mention '%s'", label,
		         sanctum_error_last()->message, needle);
	if (code == 0) {
		assert_non_null(doc.title);
	} else {
		assert_null(doc.title);
		assert_null(doc.type);
		assert_null(doc.body.ptr);
	}
	sanctum_doc_dispose(&doc);
}

#define expect_open(plain, id, code, want, needle) \
	expect_open_case(__LINE__, plain, id, code, want, needle)

typedef struct {
	const char *text;
	size_t len;
	sanctum_doc_problem problem;
	const char *needle;
} crafted_case;

#define BAD(text, problem, needle) { text, sizeof(text) - 1, SANCTUM_DOC_##problem, needle }

static void test_doc__crafted_plaintexts(void **state)
{
	static const crafted_case cases[] = {
		BAD(VALID, OK, NULL),
		BAD(HEAD1 H_TITLE H_SIZE H_STATE H_BODY, OK, NULL),
		/* The version line. */
		BAD("sanctum-doc v2\n" H_ID, BAD_FORMAT, "does not start with 'sanctum-doc v1'"),
		BAD("\n" VALID, BAD_FORMAT, "does not start with 'sanctum-doc v1'"),
		BAD("sanctum-doc v1", BAD_FORMAT, "does not start with 'sanctum-doc v1'"),
		BAD("sanctum-doc v1 \n" H_ID, BAD_FORMAT, "does not start with 'sanctum-doc v1'"),
		/* Fields: missing, repeated, unknown, out of order, without a value. */
		BAD(H_VER H_REV, MISSING_FIELD, "document field 'id' is missing"),
		BAD(H_VER "\n", MISSING_FIELD, "document field 'id' is missing"),
		BAD(H_VER H_ID H_REV H_PARENT H_AUTHOR H_TIME H_TYPE H_SIZE H_STATE H_BODY,
		    MISSING_FIELD, "document field 'title' is missing"),
		BAD(HEAD1 H_TITLE H_SIZE H_BODY, MISSING_FIELD,
		    "document field 'state' is missing"),
		BAD(HEAD1 H_TITLE H_SIZE "\n", MISSING_FIELD, "document field 'state' is missing"),
		BAD(H_VER H_ID H_REV H_REV, DUPLICATE_FIELD, "document field 'rev' appears more"),
		BAD(HEAD1 H_TITLE H_TITLE H_SIZE H_STATE H_BODY, DUPLICATE_FIELD,
		    "document field 'title' appears more"),
		BAD(HEAD1 H_TITLE H_SIZE H_STATE H_ID H_BODY, DUPLICATE_FIELD,
		    "document field 'id' appears more"),
		BAD(HEAD1 "color red\n" H_TITLE H_SIZE H_STATE H_BODY, UNKNOWN_FIELD,
		    "document has an unknown field 'color'"),
		BAD(HEAD1 "Title x\n", UNKNOWN_FIELD, "unknown field 'Title'"),
		BAD(HEAD1 " title x\n", UNKNOWN_FIELD, "unknown field ''"),
		BAD(HEAD1 "title\tx\n", UNKNOWN_FIELD, "unknown field 'title?x'"),
		BAD(HEAD1 "\x1b[31m x\n", UNKNOWN_FIELD, "unknown field '?[31m'"),
		BAD(H_VER H_ID H_PARENT H_REV, MISSING_FIELD, "document field 'rev' is missing"),
		BAD(HEAD1 H_SIZE H_TITLE, MISSING_FIELD, "document field 'title' is missing"),
		BAD(HEAD1 H_TITLE H_SIZE H_TAG H_STATE H_BODY, BAD_FORMAT,
		    "document field 'tag' is out of order"),
		BAD(HEAD1 H_TITLE H_TAG H_SIZE H_STATE H_TAG H_BODY, BAD_FORMAT,
		    "document field 'tag' is out of order"),
		BAD(HEAD1 "title\n", BAD_FORMAT, "document field 'title' has no value"),
		BAD(HEAD1 "title \n", BAD_FORMAT, "document field 'title' is empty"),
		BAD(HEAD1 H_TITLE H_SIZE H_STATE, BAD_FORMAT, "does not end with a blank line"),
		BAD(HEAD1 H_TITLE H_SIZE "state live", BAD_FORMAT,
		    "does not end with a blank line"),
		BAD(HEAD1 H_TITLE H_SIZE H_STATE "\r\nhello", UNKNOWN_FIELD, "unknown field '?'"),
		/* Values. */
		BAD(H_VER "id 00112233445566778899AABBCCDDEEFF\n", BAD_FORMAT, "field 'id'"),
		BAD(H_VER "id 0011\n", BAD_FORMAT, "field 'id'"),
		BAD(H_VER "id " ID_HEX " \n", BAD_FORMAT, "field 'id'"),
		BAD(H_VER H_ID "rev 0\n", BAD_FORMAT, "field 'rev'"),
		BAD(H_VER H_ID "rev 01\n", BAD_FORMAT, "field 'rev'"),
		BAD(H_VER H_ID "rev +1\n", BAD_FORMAT, "field 'rev'"),
		BAD(H_VER H_ID "rev 18446744073709551616\n", BAD_FORMAT, "field 'rev'"),
		BAD(H_VER H_ID "rev  1\n", BAD_FORMAT, "field 'rev'"),
		BAD(H_VER H_ID "rev 2\n" H_PARENT, BAD_FORMAT,
		    "field 'parent' must be 'none' exactly when 'rev' is 1"),
		BAD(H_VER H_ID H_REV "parent " ID_HEX ID_HEX "\n", BAD_FORMAT,
		    "field 'parent' must be 'none' exactly when 'rev' is 1"),
		BAD(H_VER H_ID "rev 2\nparent " ID_HEX "\n", BAD_FORMAT,
		    "field 'parent' is neither"),
		BAD(H_VER H_ID H_REV "parent None\n", BAD_FORMAT, "field 'parent' is neither"),
		/* The second parent of a merge revision. */
		BAD(H_VER H_ID H_MERGE_REV H_MERGED H_AUTHOR H_TIME H_TYPE H_TITLE H_TAG H_SIZE
		    H_STATE H_BODY, OK, NULL),
		BAD(H_VER H_ID H_REV H_PARENT H_MERGED, BAD_FORMAT,
		    "document field 'merged' is only allowed when 'parent' is not 'none'"),
		BAD(H_VER H_ID H_MERGE_REV H_MERGED H_MERGED, DUPLICATE_FIELD,
		    "document field 'merged' appears more than once"),
		BAD(H_VER H_ID H_MERGE_REV "merged " HASH_LO "\n", BAD_FORMAT,
		    "document field 'merged' must sort after 'parent'"),
		BAD(H_VER H_ID "rev 2\nparent " HASH_HI "\nmerged " HASH_LO "\n", BAD_FORMAT,
		    "document field 'merged' must sort after 'parent'"),
		BAD(H_VER H_ID H_MERGE_REV
		    "merged FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA99887766554433221100\n",
		    BAD_FORMAT, "document field 'merged' is not 64 lowercase hex digits"),
		BAD(H_VER H_ID H_MERGE_REV "merged " ID_HEX "\n", BAD_FORMAT,
		    "document field 'merged' is not 64 lowercase hex digits"),
		BAD(H_VER H_ID H_MERGE_REV "merged none\n", BAD_FORMAT,
		    "document field 'merged' is not 64 lowercase hex digits"),
		BAD(H_VER H_ID H_MERGE_REV "merged\n", BAD_FORMAT,
		    "document field 'merged' has no value"),
		BAD(H_VER H_ID H_MERGE_REV H_AUTHOR H_MERGED, BAD_FORMAT,
		    "document field 'merged' is out of order: it belongs before 'author'"),
		BAD(H_VER H_ID "rev 2\n" H_MERGED "parent " HASH_LO "\n", MISSING_FIELD,
		    "document field 'parent' is missing"),
		BAD(H_VER H_ID H_REV H_PARENT "author SHA256:abc\n", BAD_FORMAT,
		    "field 'author' is not a key fingerprint"),
		BAD(H_VER H_ID H_REV H_PARENT "author @A=\n", BAD_FORMAT, "field 'author'"),
		BAD(H_VER H_ID H_REV H_PARENT "author sha256:" FP_A "\n", BAD_FORMAT,
		    "field 'author'"),
		BAD(H_VER H_ID H_REV H_PARENT H_AUTHOR "time -1\n", BAD_FORMAT, "field 'time'"),
		BAD(H_VER H_ID H_REV H_PARENT H_AUTHOR "time 01\n", BAD_FORMAT, "field 'time'"),
		BAD(H_VER H_ID H_REV H_PARENT H_AUTHOR "time 9223372036854775808\n", BAD_FORMAT,
		    "field 'time'"),
		BAD(H_VER H_ID H_REV H_PARENT H_AUTHOR H_TIME "type text\n", BAD_FORMAT,
		    "field 'type'"),
		BAD(H_VER H_ID H_REV H_PARENT H_AUTHOR H_TIME "type text/plain; charset=utf-8\n",
		    BAD_FORMAT, "field 'type'"),
		BAD(HEAD1 "title a\x01z\n", BAD_FORMAT, "field 'title' contains a control"),
		BAD(HEAD1 "title a\x7fz\n", BAD_FORMAT, "field 'title' contains a control"),
		BAD(HEAD1 "title a\0z\n", BAD_FORMAT, "field 'title' contains a control"),
		BAD(HEAD1 "title a\xc2\x9bz\n", BAD_FORMAT, "field 'title' contains a control"),
		BAD(HEAD1 "title a\xc3(\n", BAD_UTF8, "document field 'title' is not valid UTF-8"),
		BAD(HEAD1 "title \xed\xa0\x80\n", BAD_UTF8, "field 'title' is not valid UTF-8"),
		BAD(HEAD1 H_TITLE "tag \xc0\xaf\n", BAD_UTF8, "field 'tag' is not valid UTF-8"),
		BAD(HEAD1 H_TITLE "tag a b\n", BAD_FORMAT, "document field 'tag' contains a space"),
		BAD(HEAD1 H_TITLE "tag \n", BAD_FORMAT, "document field 'tag' is empty"),
		BAD(HEAD1 H_TITLE H_TAG H_TAG, BAD_FORMAT, "document field 'tag' repeats a tag"),
		BAD(HEAD1 H_TITLE "size 05\n", BAD_FORMAT, "field 'size'"),
		BAD(HEAD1 H_TITLE "size -5\n", BAD_FORMAT, "field 'size'"),
		BAD(HEAD1 H_TITLE "size 268435457\n", OVERSIZED, "field 'size' is above"),
		BAD(HEAD1 H_TITLE "size 99999999999999999999999\n", BAD_FORMAT, "field 'size'"),
		BAD(HEAD1 H_TITLE "size 100000\n" H_STATE H_BODY, BAD_FORMAT,
		    "document field 'size' says 100000 bytes, but only"),
		BAD(HEAD1 H_TITLE H_SIZE "state dead\n", BAD_FORMAT, "field 'state' is neither"),
		BAD(HEAD1 H_TITLE H_SIZE "state deleted\n" H_BODY, BAD_FORMAT,
		    "field 'state' is 'deleted' but the body is not empty"),
		BAD(HEAD1 H_TITLE "size 0\nstate deleted\n\n", OK, NULL),
		/* Bound to the key. */
		BAD(H_VER H_ID H_REV H_PARENT
		    "author SHA256:" FP_A "\n" H_TIME H_TYPE H_TITLE H_SIZE H_STATE H_BODY,
		    AUTHOR_MISMATCH, "document field 'author' is SHA256:AAAA"),
	};
	sanctum_buf plain = SANCTUM_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const crafted_case *c = &cases[i];
		int code = c->problem == SANCTUM_DOC_OK ? 0
		           : c->problem == SANCTUM_DOC_AUTHOR_MISMATCH ? SANCTUM_EVERIFY
		                                                       : SANCTUM_EINVALID;

		craft(&plain, c->text, c->len, SANCTUM_DOC_NAMESPACE);
		expect_open_case(i, &plain, NULL, code, c->problem, c->needle);
	}
	sanctum_buf_dispose(&plain);
}

static void test_doc__oversized_fields(void **state)
{
	sanctum_buf text = SANCTUM_BUF_INIT, plain = SANCTUM_BUF_INIT;

	(void)state;
	/* A title of 1025 bytes. */
	assert_int_equal(sanctum_buf_puts(&text, HEAD1 "title "), 0);
	for (int i = 0; i < SANCTUM_DOC_MAX_TITLE + 1; i++)
		assert_int_equal(sanctum_buf_puts(&text, "t"), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	craft(&plain, (const char *)text.ptr, text.size, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_OVERSIZED,
	            "document field 'title' is longer than 1024 bytes");

	/* A tag of 129 bytes. */
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_puts(&text, HEAD1 H_TITLE "tag "), 0);
	for (int i = 0; i < SANCTUM_DOC_MAX_TAG + 1; i++)
		assert_int_equal(sanctum_buf_puts(&text, "g"), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	craft(&plain, (const char *)text.ptr, text.size, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_OVERSIZED,
	            "document field 'tag' is longer than 128 bytes");

	/* A type of 256 bytes. */
	sanctum_buf_clear(&text);
	assert_int_equal(sanctum_buf_puts(&text, H_VER H_ID H_REV H_PARENT H_AUTHOR H_TIME
	                                         "type a/"), 0);
	for (int i = 0; i < SANCTUM_DOC_MAX_TYPE - 1; i++)
		assert_int_equal(sanctum_buf_puts(&text, "b"), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	craft(&plain, (const char *)text.ptr, text.size, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_OVERSIZED,
	            "document field 'type' is longer than 255 bytes");

	/* 64 tags pass, 65 do not. */
	for (int n = SANCTUM_DOC_MAX_TAGS; n <= SANCTUM_DOC_MAX_TAGS + 1; n++) {
		sanctum_buf_clear(&text);
		assert_int_equal(sanctum_buf_puts(&text, HEAD1 H_TITLE), 0);
		for (int i = 0; i < n; i++) {
			char line[32];

			snprintf(line, sizeof(line), "tag t%d\n", i);
			assert_int_equal(sanctum_buf_puts(&text, line), 0);
		}
		assert_int_equal(sanctum_buf_puts(&text, H_SIZE H_STATE H_BODY), 0);
		craft(&plain, (const char *)text.ptr, text.size, SANCTUM_DOC_NAMESPACE);
		if (n == SANCTUM_DOC_MAX_TAGS)
			expect_open(&plain, NULL, 0, SANCTUM_DOC_OK, NULL);
		else
			expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_OVERSIZED,
			            "document has more than 64 tags");
	}
	sanctum_buf_dispose(&text);
	sanctum_buf_dispose(&plain);
}

static void test_doc__padding_rules(void **state)
{
	sanctum_buf plain = SANCTUM_BUF_INIT, part = SANCTUM_BUF_INIT;
	size_t bucket;

	(void)state;
	/* Unpadded: the length is not the PADME bucket (the valid text is not on a bucket). */
	expand(&part, VALID, strlen(VALID));
	bucket = sanctum_doc_padded_size(SIG_BLOCK + part.size) - SIG_BLOCK;
	assert_true(bucket > part.size);
	sign_part(&plain, &part, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_BAD_PADDING, "padded size");

	/* Padded to the bucket, but the last byte is not zero. */
	pad(&part);
	assert_int_equal(part.size, bucket);
	part.ptr[part.size - 1] = 0x01;
	sign_part(&plain, &part, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_BAD_PADDING, "non-zero byte");

	/* One zero byte too many. */
	part.ptr[part.size - 1] = 0;
	assert_int_equal(sanctum_buf_put(&part, "", 1), 0);
	sign_part(&plain, &part, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, SANCTUM_EINVALID, SANCTUM_DOC_BAD_PADDING, "padded size");

	/* Exactly on the bucket: fine. */
	part.size--;
	sign_part(&plain, &part, SANCTUM_DOC_NAMESPACE);
	expect_open(&plain, NULL, 0, SANCTUM_DOC_OK, NULL);

	sanctum_buf_dispose(&part);
	sanctum_buf_dispose(&plain);
}

static void test_doc__signature_rules(void **state)
{
	sanctum_doc doc;
	sanctum_buf plain = SANCTUM_BUF_INIT, copy = SANCTUM_BUF_INIT;
	static const char *const missing[] = {
		"", "sanctum-doc v1\n", "-----BEGIN SSH SIGNATURE-----",
		"-----BEGIN SSH SIGNATURE-----\r\nxx\r\n-----END SSH SIGNATURE-----\r\n",
		" -----BEGIN SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		assert_int_equal(sanctum_buf_puts(&copy, missing[i]), 0);
		expect_open(&copy, NULL, SANCTUM_EINVALID, SANCTUM_DOC_MISSING_SIGNATURE,
		            "document");
		sanctum_buf_clear(&copy);
	}
	expect_open(&copy, NULL, SANCTUM_EINVALID, SANCTUM_DOC_MISSING_SIGNATURE,
	            "does not start with a signature block");

	make_doc(&doc, "hello", 5, 1);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), 0);

	/* Every byte of the signed part, changed, breaks the signature; so does a body byte
	 * changed anywhere in a large document. */
	for (size_t i = SIG_BLOCK; i < plain.size; i++) {
		sanctum_buf_clear(&copy);
		assert_int_equal(sanctum_buf_put(&copy, plain.ptr, plain.size), 0);
		copy.ptr[i] ^= 0x01;
		expect_open(&copy, NULL, SANCTUM_EVERIFY, SANCTUM_DOC_BAD_SIGNATURE,
		            "document signature does not verify");
	}
	/* A damaged signature block. */
	sanctum_buf_clear(&copy);
	assert_int_equal(sanctum_buf_put(&copy, plain.ptr, plain.size), 0);
	copy.ptr[120] = copy.ptr[120] == 'A' ? 'B' : 'A';
	expect_open(&copy, NULL, SANCTUM_EVERIFY, SANCTUM_DOC_BAD_SIGNATURE,
	            "document signature does not verify");
	/* Signed in another namespace. */
	craft(&copy, VALID, strlen(VALID), "git");
	expect_open(&copy, NULL, SANCTUM_EVERIFY, SANCTUM_DOC_BAD_SIGNATURE, "namespace 'git'");
	/* A CR inside the block, before the LF that ends its first base64 line. */
	sanctum_buf_clear(&copy);
	assert_int_equal(plain.ptr[100], '\n');
	assert_int_equal(sanctum_buf_put(&copy, plain.ptr, 100), 0);
	assert_int_equal(sanctum_buf_puts(&copy, "\r"), 0);
	assert_int_equal(sanctum_buf_put(&copy, plain.ptr + 100, plain.size - 100), 0);
	expect_open(&copy, NULL, SANCTUM_EINVALID, SANCTUM_DOC_BAD_FORMAT, "line end");
	/* Data before the block. */
	sanctum_buf_clear(&copy);
	assert_int_equal(sanctum_buf_puts(&copy, "\n"), 0);
	assert_int_equal(sanctum_buf_put(&copy, plain.ptr, plain.size), 0);
	expect_open(&copy, NULL, SANCTUM_EINVALID, SANCTUM_DOC_MISSING_SIGNATURE, NULL);

	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&copy);
}

static void test_doc__another_signer_is_named(void **state)
{
	sanctum_identity *other = NULL;
	sanctum_card other_card;
	sanctum_doc doc, back = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(sanctum_identity_generate(&other, "brookfield", "laptop"), 0);
	sanctum_identity_card(&other_card, other);
	make_doc(&doc, "x", 1, 0);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, other), 0);
	assert_int_equal(sanctum_doc_open(&back, NULL, plain.ptr, plain.size, NULL), 0);
	assert_memory_equal(back.signer, other_card.signing_key, sizeof(back.signer));
	assert_string_not_equal(back.author, fingerprint);
	sanctum_doc_dispose(&back);
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
	sanctum_identity_free(other);
}

static void test_doc__id_mismatch(void **state)
{
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	sanctum_buf plain = SANCTUM_BUF_INIT;

	(void)state;
	craft(&plain, VALID, strlen(VALID), SANCTUM_DOC_NAMESPACE);
	assert_int_equal(sanctum_doc_id_from_hex(id, ID_HEX), 0);
	expect_open(&plain, id, 0, SANCTUM_DOC_OK, NULL);
	id[15] ^= 1;
	expect_open(&plain, id, SANCTUM_EVERIFY, SANCTUM_DOC_ID_MISMATCH,
	            "document field 'id' is " ID_HEX ", but its place in the store is for "
	            "00112233445566778899aabbccddeefe");
	sanctum_buf_dispose(&plain);
}

static void test_doc__every_truncation_fails_cleanly(void **state)
{
	sanctum_doc doc, back = SANCTUM_DOC_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;

	(void)state;
	make_doc(&doc, "a small body\n", 13, 2);
	assert_int_equal(sanctum_doc_seal(&plain, &doc, signer), 0);
	for (size_t len = 0; len < plain.size; len++) {
		sanctum_doc_problem problem = SANCTUM_DOC_OK;
		int error = open_exact(&back, &problem, plain.ptr, len, doc.id);

		if (error != SANCTUM_EINVALID && error != SANCTUM_EVERIFY)
			fail_msg("truncation to %zu bytes gave %d", len, error);
		assert_int_not_equal(problem, SANCTUM_DOC_OK);
		assert_null(back.title);
	}
	assert_int_equal(open_exact(&back, NULL, plain.ptr, plain.size, doc.id), 0);
	sanctum_doc_dispose(&back);
	assert_int_equal(sanctum_doc_open(&back, NULL, NULL, 0, NULL), SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_open(NULL, NULL, plain.ptr, plain.size, NULL),
	                 SANCTUM_EINVALID);
	assert_int_equal(sanctum_doc_open(&back, NULL, NULL, 5, NULL), SANCTUM_EINVALID);
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc__round_trip_text_and_binary),
		cmocka_unit_test(test_doc__round_trip_tags_and_tombstone),
		cmocka_unit_test(test_doc__round_trip_merge),
		cmocka_unit_test(test_doc__first_revision_and_unicode),
		cmocka_unit_test(test_doc__seal_replaces_output_and_is_deterministic),
		cmocka_unit_test(test_doc__padded_size),
		cmocka_unit_test(test_doc__id_hex),
		cmocka_unit_test(test_doc__utf8_and_text_rules),
		cmocka_unit_test(test_doc__type_rules),
		cmocka_unit_test(test_doc__seal_refuses_invalid_revisions),
		cmocka_unit_test(test_doc__crafted_plaintexts),
		cmocka_unit_test(test_doc__oversized_fields),
		cmocka_unit_test(test_doc__padding_rules),
		cmocka_unit_test(test_doc__signature_rules),
		cmocka_unit_test(test_doc__another_signer_is_named),
		cmocka_unit_test(test_doc__id_mismatch),
		cmocka_unit_test(test_doc__every_truncation_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

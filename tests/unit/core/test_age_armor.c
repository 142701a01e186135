/* Unit tests for the streaming armor codec (core/src/age_armor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "age_internal.h"
#include "sanctum/errors.h"

#define BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define END "-----END AGE ENCRYPTED FILE-----"

static int to_buf(const unsigned char *data, size_t len, void *payload)
{
	return sanctum_buf_put(payload, data, len);
}

static void armor(sanctum_buf *out, const unsigned char *data, size_t len, size_t piece)
{
	age_armor_writer w;

	assert_int_equal(sanctum_age__armor_writer_init(&w, to_buf, out), 0);
	for (size_t done = 0; done < len; done += piece)
		assert_int_equal(sanctum_age__armor_write(data + done,
		                                          len - done < piece ? len - done : piece, &w), 0);
	assert_int_equal(sanctum_age__armor_writer_finish(&w), 0);
	sanctum_age__armor_writer_dispose(&w);
}

/* Decodes `text` fed in pieces of `piece` bytes; returns the first error or 0. */
static int dearmor(sanctum_buf *out, const char *text, size_t len, size_t piece)
{
	age_armor_reader r;
	int error = 0;

	assert_int_equal(sanctum_age__armor_reader_init(&r), 0);
	for (size_t done = 0; !error && done < len; done += piece)
		error = sanctum_age__armor_reader_update(&r, (const unsigned char *)text + done,
		                                         len - done < piece ? len - done : piece,
		                                         to_buf, out);
	if (!error)
		error = sanctum_age__armor_reader_finish(&r, to_buf, out);
	sanctum_age__armor_reader_dispose(&r);
	return error;
}

static void test_age_armor__round_trip_sizes_and_pieces(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 47, 48, 49, 96, 1000, 49152, 49153, 200000 };
	static const size_t pieces[] = { 1, 7, 48, 4096, 1 << 20 };
	static unsigned char data[200000];

	(void)state;
	randombytes_buf(data, sizeof(data));
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
			sanctum_buf text = SANCTUM_BUF_INIT, back = SANCTUM_BUF_INIT;

			armor(&text, data, sizes[s], pieces[p]);
			assert_int_equal(dearmor(&back, (char *)text.ptr, text.size, pieces[p]), 0);
			assert_int_equal(back.size, sizes[s]);
			assert_memory_equal(back.ptr, data, sizes[s]);
			sanctum_buf_dispose(&text);
			sanctum_buf_dispose(&back);
		}
	}
}

static void test_age_armor__writer_layout(void **state)
{
	unsigned char data[100];
	sanctum_buf text = SANCTUM_BUF_INIT;
	const char *p;

	(void)state;
	memset(data, 0xaa, sizeof(data));
	armor(&text, data, sizeof(data), sizeof(data));
	p = (const char *)text.ptr;
	assert_memory_equal(p, BEGIN "\n", sizeof(BEGIN));
	p += sizeof(BEGIN);
	/* 100 bytes: two full lines of 64 columns, then 4 bytes as "qqqqqg==". */
	assert_int_equal(strchr(p, '\n') - p, 64);
	p += 65;
	assert_int_equal(strchr(p, '\n') - p, 64);
	p += 65;
	assert_string_equal(p, "qqqqqg==\n" END "\n");
	sanctum_buf_dispose(&text);
}

static void test_age_armor__crlf_and_surrounding_whitespace_accepted(void **state)
{
	const char text[] = " \t\r\n\n" BEGIN "\r\nYWdl\r\n" END "\r\n  \n";
	sanctum_buf out = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(dearmor(&out, text, sizeof(text) - 1, 3), 0);
	assert_int_equal(out.size, 3);
	assert_memory_equal(out.ptr, "age", 3);
	sanctum_buf_dispose(&out);
}

static void test_age_armor__no_final_newline_accepted(void **state)
{
	const char text[] = BEGIN "\nYWdl\n" END;
	sanctum_buf out = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(dearmor(&out, text, sizeof(text) - 1, 5), 0);
	sanctum_buf_dispose(&out);
}

static void test_age_armor__malformed_inputs_are_refused(void **state)
{
	static const char *const bad[] = {
		"",                                             /* nothing */
		BEGIN "\nYWdl\n",                               /* no END line */
		BEGIN " \nYWdl\n" END "\n",                     /* space after BEGIN */
		"x" BEGIN "\nYWdl\n" END "\n",                  /* garbage before */
		BEGIN "\nYWdl\n" END "\nx\n",                   /* garbage after */
		BEGIN "\nYWdl \n" END "\n",                     /* space inside a line */
		BEGIN "\nYWdlYQ\n" END "\n",                    /* missing padding */
		BEGIN "\nYWdlYR==\n" END "\n",                  /* non-canonical padding bits */
		BEGIN "\n\nYWdl\n" END "\n",                    /* empty line */
		BEGIN "\nYWdl\nYWdl\n" END "\n",                /* short line not last */
		"-----BEGIN AGE ENCRYPTED FILE----\nYWdl\n" END "\n",
		"-----begin age encrypted file-----\nYWdl\n-----end age encrypted file-----\n",
	};
	char long_line[200];
	char high_byte[] = BEGIN "\nYW\xffl\n" END "\n"; /* libsodium 1.0.18 reads 0xff as '/' */
	sanctum_buf out = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(dearmor(&out, high_byte, strlen(high_byte), 2), SANCTUM_EARMOR);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dearmor(&out, bad[i], strlen(bad[i]), 2), SANCTUM_EARMOR);
		sanctum_buf_clear(&out);
	}
	/* 68 columns of valid base64 on one line. */
	snprintf(long_line, sizeof(long_line), "%s\n%s\n%s\n", BEGIN,
	         "YWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdlYWdl", END);
	assert_int_equal(dearmor(&out, long_line, strlen(long_line), 64), SANCTUM_EARMOR);
	sanctum_buf_dispose(&out);
}

static void test_age_armor__whitespace_limits(void **state)
{
	sanctum_buf text = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;

	(void)state;
	/* 1024 bytes of leading whitespace are allowed, 1025 are not. */
	for (int i = 0; i < 1024; i++)
		assert_int_equal(sanctum_buf_puts(&text, "\n"), 0);
	assert_int_equal(sanctum_buf_puts(&text, BEGIN "\nYWdl\n" END "\n"), 0);
	assert_int_equal(dearmor(&out, (char *)text.ptr, text.size, 100), 0);
	sanctum_buf_clear(&out);
	sanctum_buf_clear(&text);
	for (int i = 0; i < 1025; i++)
		assert_int_equal(sanctum_buf_puts(&text, " "), 0);
	assert_int_equal(sanctum_buf_puts(&text, "\n" BEGIN "\nYWdl\n" END "\n"), 0);
	assert_int_equal(dearmor(&out, (char *)text.ptr, text.size, 100), SANCTUM_EARMOR);
	sanctum_buf_dispose(&text);
	sanctum_buf_dispose(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_armor__round_trip_sizes_and_pieces),
		cmocka_unit_test(test_age_armor__writer_layout),
		cmocka_unit_test(test_age_armor__crlf_and_surrounding_whitespace_accepted),
		cmocka_unit_test(test_age_armor__no_final_newline_accepted),
		cmocka_unit_test(test_age_armor__malformed_inputs_are_refused),
		cmocka_unit_test(test_age_armor__whitespace_limits),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for sanctum_buf (core/src/buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "sanctum/buf.h"
#include "sanctum/errors.h"

#include <stdint.h>

static void test_buf__put_appends_and_terminates(void **state)
{
	sanctum_buf buf = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(sanctum_buf_puts(&buf, "hello"), 0);
	assert_int_equal(sanctum_buf_put(&buf, ", world", 7), 0);
	assert_int_equal(buf.size, 12);
	assert_string_equal((char *)buf.ptr, "hello, world");
	sanctum_buf_dispose(&buf);
	assert_null(buf.ptr);
	assert_int_equal(buf.size, 0);
	assert_int_equal(buf.asize, 0);
}

static void test_buf__grows_across_many_appends(void **state)
{
	sanctum_buf buf = SANCTUM_BUF_INIT;
	unsigned char byte;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		byte = (unsigned char)i;
		assert_int_equal(sanctum_buf_put(&buf, &byte, 1), 0);
	}
	assert_int_equal(buf.size, 100000);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf.ptr[i], (unsigned char)i);
	assert_int_equal(buf.ptr[buf.size], 0);
	sanctum_buf_dispose(&buf);
}

static void test_buf__clear_keeps_storage_and_wipes(void **state)
{
	sanctum_buf buf = SANCTUM_BUF_INIT;
	unsigned char *storage;

	(void)state;
	assert_int_equal(sanctum_buf_puts(&buf, "secret"), 0);
	storage = buf.ptr;
	sanctum_buf_clear(&buf);
	assert_ptr_equal(buf.ptr, storage);
	assert_int_equal(buf.size, 0);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(buf.ptr[i], 0);
	sanctum_buf_dispose(&buf);
}

static void test_buf__dispose_accepts_null_and_empty(void **state)
{
	sanctum_buf buf = SANCTUM_BUF_INIT;

	(void)state;
	sanctum_buf_dispose(NULL);
	sanctum_buf_dispose(&buf);
	sanctum_buf_dispose(&buf);
}

static void test_buf__refuses_impossible_sizes(void **state)
{
	sanctum_buf buf = SANCTUM_BUF_INIT;

	(void)state;
	assert_int_equal(sanctum_buf_puts(&buf, "x"), 0);
	assert_int_equal(sanctum_buf_put(&buf, "y", SIZE_MAX - 1), SANCTUM_ENOMEM);
	assert_int_equal(sanctum_buf_grow(&buf, SIZE_MAX), SANCTUM_ENOMEM);
	assert_int_equal(buf.size, 1);
	assert_string_equal((char *)buf.ptr, "x");
	sanctum_buf_dispose(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf__put_appends_and_terminates),
		cmocka_unit_test(test_buf__grows_across_many_appends),
		cmocka_unit_test(test_buf__clear_keeps_storage_and_wipes),
		cmocka_unit_test(test_buf__dispose_accepts_null_and_empty),
		cmocka_unit_test(test_buf__refuses_impossible_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

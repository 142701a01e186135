/* Unit tests for the per-thread last error (core/src/errors.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "errors_internal.h"

static void test_errors__set_returns_code_and_keeps_message(void **state)
{
	(void)state;
	assert_int_equal(sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE, "bad %s %d",
	                                    "line", 3), SANCTUM_EHEADER);
	assert_int_equal(sanctum_error_last()->code, SANCTUM_EHEADER);
	assert_int_equal(sanctum_error_last()->klass, SANCTUM_ERRCLASS_AGE);
	assert_string_equal(sanctum_error_last()->message, "bad line 3");
}

static void test_errors__clear_forgets(void **state)
{
	(void)state;
	sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID, "x");
	sanctum_error_clear();
	assert_int_equal(sanctum_error_last()->code, 0);
	assert_string_equal(sanctum_error_last()->message, "");
}

static void test_errors__wrap_prefixes_the_callee_message(void **state)
{
	(void)state;
	sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID, "bad checksum");
	assert_int_equal(sanctum_error__wrap(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID, "line %d", 7),
	                 SANCTUM_EKEY);
	assert_string_equal(sanctum_error_last()->message, "line 7: bad checksum");
}

static void test_errors__os_appends_strerror(void **state)
{
	(void)state;
	errno = ENOENT;
	assert_int_equal(sanctum_error__os("cannot open '%s'", "x"), SANCTUM_ERROR);
	assert_int_equal(sanctum_error_last()->klass, SANCTUM_ERRCLASS_OS);
	assert_string_equal(sanctum_error_last()->message, "cannot open 'x': No such file or directory");
	assert_int_equal(errno, ENOENT);
}

static void test_errors__long_message_is_truncated_safely(void **state)
{
	char big[2000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_NONE, "%s", big);
	assert_true(strlen(sanctum_error_last()->message) < sizeof(big) - 1);
	assert_true(strlen(sanctum_error_last()->message) > 100);
}

static void *set_in_thread(void *arg)
{
	(void)arg;
	sanctum_error__set(SANCTUM_ELOCKED, SANCTUM_ERRCLASS_NONE, "other thread");
	return NULL;
}

static void test_errors__threads_do_not_share(void **state)
{
	pthread_t thread;

	(void)state;
	sanctum_error__set(SANCTUM_EMAC, SANCTUM_ERRCLASS_AGE, "mine");
	assert_int_equal(pthread_create(&thread, NULL, set_in_thread, NULL), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(sanctum_error_last()->code, SANCTUM_EMAC);
	assert_string_equal(sanctum_error_last()->message, "mine");
}

static void test_errors__every_code_has_a_name(void **state)
{
	(void)state;
	for (int code = SANCTUM_ENOMEM; code <= 0; code++)
		assert_string_not_equal(sanctum_error_name(code), "unknown error");
	assert_string_equal(sanctum_error_name(-1000), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors__set_returns_code_and_keeps_message),
		cmocka_unit_test(test_errors__clear_forgets),
		cmocka_unit_test(test_errors__wrap_prefixes_the_callee_message),
		cmocka_unit_test(test_errors__os_appends_strerror),
		cmocka_unit_test(test_errors__long_message_is_truncated_safely),
		cmocka_unit_test(test_errors__threads_do_not_share),
		cmocka_unit_test(test_errors__every_code_has_a_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

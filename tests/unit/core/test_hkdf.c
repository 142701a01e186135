/* Unit tests for HKDF-SHA-256 (core/src/hkdf.c) against RFC 5869, appendix A. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "hkdf.h"

static void from_hex(unsigned char *out, size_t len, const char *hex)
{
	size_t got = 0;

	assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL), 0);
	assert_int_equal(got, len);
}

static void test_hkdf__rfc5869_case1(void **state)
{
	unsigned char ikm[22], salt[13], okm[42], expected[42];
	const char info[] = "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9";

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (unsigned char)i;
	from_hex(expected, sizeof(expected),
	         "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	         "34007208d5b887185865");
	assert_int_equal(sanctum_hkdf_sha256(okm, sizeof(okm), ikm, sizeof(ikm), salt, sizeof(salt),
	                                     info), 0);
	assert_memory_equal(okm, expected, sizeof(okm));
}

static void test_hkdf__rfc5869_case3_empty_salt_and_info(void **state)
{
	unsigned char ikm[22], okm[42], expected[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	from_hex(expected, sizeof(expected),
	         "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	         "9d201395faa4b61a96c8");
	assert_int_equal(sanctum_hkdf_sha256(okm, sizeof(okm), ikm, sizeof(ikm), NULL, 0, ""), 0);
	assert_memory_equal(okm, expected, sizeof(okm));
}

static void test_hkdf__prefix_property_and_limit(void **state)
{
	unsigned char ikm[32] = { 1 }, short_out[16], long_out[100];
	static unsigned char too_long[SANCTUM_HKDF_MAX_OUTPUT + 1];

	(void)state;
	assert_int_equal(sanctum_hkdf_sha256(short_out, sizeof(short_out), ikm, sizeof(ikm), NULL, 0,
	                                     "payload"), 0);
	assert_int_equal(sanctum_hkdf_sha256(long_out, sizeof(long_out), ikm, sizeof(ikm), NULL, 0,
	                                     "payload"), 0);
	assert_memory_equal(short_out, long_out, sizeof(short_out));
	assert_int_equal(sanctum_hkdf_sha256(too_long, sizeof(too_long), ikm, sizeof(ikm), NULL, 0,
	                                     "x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf__rfc5869_case1),
		cmocka_unit_test(test_hkdf__rfc5869_case3_empty_salt_and_info),
		cmocka_unit_test(test_hkdf__prefix_property_and_limit),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

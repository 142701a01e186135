/*
 * Unit tests for strict base64 (core/src/b64.c). libsodium 1.0.18 decodes bytes from 0x80
 * up as '/', so each of these would be accepted without the alphabet check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "b64.h"
#include "sanctum/age.h"
#include "sanctum/errors.h"

static void test_b64__high_bytes_are_refused(void **state)
{
	unsigned char out[16];
	size_t len;
	char text[] = "ab/d";

	(void)state;
	assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, text, 4,
	                                     sodium_base64_VARIANT_ORIGINAL), 0);
	for (int c = 0x80; c <= 0xff; c++) {
		text[2] = (char)c;
		assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, text, 4,
		                                     sodium_base64_VARIANT_ORIGINAL), -1);
	}
}

static void test_b64__variants_keep_their_alphabets(void **state)
{
	unsigned char out[16];
	size_t len;

	(void)state;
	assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, "-_8", 3,
	                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, "+/8", 3,
	                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING), -1);
	assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, "YQ==", 4,
	                                     sodium_base64_VARIANT_ORIGINAL_NO_PADDING), -1);
	assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, "YQ", 2,
	                                     sodium_base64_VARIANT_ORIGINAL_NO_PADDING), 0);
	assert_int_equal(len, 1);
	assert_int_equal(sanctum_b64__decode(out, sizeof(out), &len, "YR", 2,
	                                     sodium_base64_VARIANT_ORIGINAL_NO_PADDING), -1);
}

/* An age file whose MAC line has its first '/' replaced by 0xff must not decrypt. */
static void test_b64__age_mac_line_with_high_byte_is_refused(void **state)
{
	sanctum_age_identity *id = NULL;
	sanctum_age_recipient *r = NULL;
	sanctum_buf file = SANCTUM_BUF_INIT, out = SANCTUM_BUF_INIT;
	int found = 0;

	(void)state;
	assert_int_equal(sanctum_age_identity_generate(&id), 0);
	assert_int_equal(sanctum_age_identity_to_recipient(&r, id), 0);
	/* Each MAC line has a '/' with probability about one half; try until one does. */
	for (int attempt = 0; attempt < 200 && !found; attempt++) {
		const sanctum_age_recipient *rs[1] = { r };
		const sanctum_age_identity *ids[1] = { id };
		char *mac;

		assert_int_equal(sanctum_age_encrypt(&file, rs, 1, 0, "hi", 2), 0);
		mac = strstr((char *)file.ptr, "\n--- ");
		assert_non_null(mac);
		for (char *p = mac + 5; *p != '\n'; p++)
			if (*p == '/') {
				*p = (char)0xff;
				found = 1;
				break;
			}
		if (found)
			assert_int_equal(sanctum_age_decrypt(&out, ids, 1, NULL, file.ptr, file.size),
			                 SANCTUM_EHEADER);
	}
	assert_true(found);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&out);
	sanctum_age_recipient_free(r);
	sanctum_age_identity_free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64__high_bytes_are_refused),
		cmocka_unit_test(test_b64__variants_keep_their_alphabets),
		cmocka_unit_test(test_b64__age_mac_line_with_high_byte_is_refused),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

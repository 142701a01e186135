/*
 * libFuzzer target: the Bech32 key encodings. Whatever sanctum_age_recipient_parse or
 * sanctum_age_identity_parse accepts must encode back to the same string, up to case
 * (Bech32 is case-insensitive but never mixed-case); a difference aborts, as it means
 * two strings name one key or a key does not survive a round trip. The key-file list
 * parsers get the same input.
 */
#include "sanctum/sanctum.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sanctum_init() < 0)
		abort();
	return 0;
}

/* Whether `enc` equals `in` once `in` is folded to the case of the canonical encoding. */
static int same_folded(const sanctum_buf *enc, const uint8_t *in, size_t len, int upper)
{
	size_t i;

	if (enc->size != len)
		return 0;
	for (i = 0; i < len; i++) {
		int c = upper ? toupper(in[i]) : tolower(in[i]);
		if (enc->ptr[i] != (unsigned char)c)
			return 0;
	}
	return 1;
}

static void mismatch(const char *what, const sanctum_buf *enc, const uint8_t *in, size_t len)
{
	fprintf(stderr, "%s does not round-trip: input %zu bytes '%.*s', encoded '%s'\n", what,
	        len, (int)len, (const char *)in, (const char *)enc->ptr);
	abort();
}

static void recipient_round_trip(const uint8_t *data, size_t size)
{
	sanctum_age_recipient *recipient = NULL;
	sanctum_buf enc = SANCTUM_BUF_INIT;

	if (sanctum_age_recipient_parse(&recipient, (const char *)data, size) < 0)
		return;
	if (sanctum_age_recipient_encode(&enc, recipient) < 0)
		abort();
	if (!same_folded(&enc, data, size, 0))
		mismatch("recipient", &enc, data, size);
	sanctum_buf_dispose(&enc);
	sanctum_age_recipient_free(recipient);
}

static void identity_round_trip(const uint8_t *data, size_t size)
{
	sanctum_age_identity *identity = NULL;
	sanctum_age_recipient *recipient = NULL;
	sanctum_buf enc = SANCTUM_BUF_INIT;

	if (sanctum_age_identity_parse(&identity, (const char *)data, size) < 0)
		return;
	if (sanctum_age_identity_encode(&enc, identity) < 0)
		abort();
	if (!same_folded(&enc, data, size, 1))
		mismatch("identity", &enc, data, size);
	/* Every parsed identity must also yield its recipient. */
	if (sanctum_age_identity_to_recipient(&recipient, identity) < 0)
		abort();
	sanctum_age_recipient_free(recipient);
	sanctum_buf_dispose(&enc);
	sanctum_age_identity_free(identity);
}

static void lists(const uint8_t *data, size_t size)
{
	sanctum_age_identity_list ids = SANCTUM_AGE_LIST_INIT;
	sanctum_age_recipient_list rcpts = SANCTUM_AGE_LIST_INIT;

	/* Failures are expected; the list must be left empty (all or nothing). */
	if (sanctum_age_identity_list_parse(&ids, (const char *)data, size) < 0 && ids.count)
		abort();
	if (sanctum_age_recipient_list_parse(&rcpts, (const char *)data, size) < 0 && rcpts.count)
		abort();
	sanctum_age_identity_list_dispose(&ids);
	sanctum_age_recipient_list_dispose(&rcpts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	recipient_round_trip(data, size);
	identity_round_trip(data, size);
	lists(data, size);
	sanctum_error_clear();
	return 0;
}

/*
 * libFuzzer target: the identity file reader and the member card parser.
 *
 * The first byte chooses the parser; the rest is the input. An identity that parses must
 * encode to a card that parses back to the same keys and names: a round trip, so a
 * parser that accepted garbage as a key would be caught, not only a crash.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identity_internal.h"
#include "sanctum/sanctum.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void card_round_trip(const sanctum_card *card)
{
	sanctum_buf line = SANCTUM_BUF_INIT;
	sanctum_card back;

	if (sanctum_card_encode(&line, card) != 0 ||
	    sanctum_card_parse(&back, (const char *)line.ptr, line.size) != 0 ||
	    memcmp(&back, card, sizeof(back)) != 0)
		abort();
	sanctum_buf_dispose(&line);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	sanctum_identity *id = NULL;
	sanctum_card card;

	if (!ready) {
		if (sanctum_init() < 0)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		if (sanctum_identity__parse_text(&id, (const char *)data + 1, size - 1, "fuzz") == 0) {
			sanctum_identity_card(&card, id);
			card_round_trip(&card);
		}
		sanctum_identity_free(id);
	} else {
		memset(&card, 0, sizeof(card));
		if (sanctum_card_parse(&card, (const char *)data + 1, size - 1) == 0)
			card_round_trip(&card);
	}
	return 0;
}

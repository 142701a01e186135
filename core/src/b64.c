#include "b64.h"

#include <sodium.h>

static int in_alphabet(char c, int urlsafe, int padded)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	if (c == '=')
		return padded;
	return urlsafe ? (c == '-' || c == '_') : (c == '+' || c == '/');
}

int sanctum_b64__decode(unsigned char *out, size_t cap, size_t *out_len, const char *in,
                        size_t in_len, int variant)
{
	int urlsafe = variant == sodium_base64_VARIANT_URLSAFE ||
	              variant == sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	int padded = variant == sodium_base64_VARIANT_ORIGINAL ||
	             variant == sodium_base64_VARIANT_URLSAFE;

	for (size_t i = 0; i < in_len; i++)
		if (!in_alphabet(in[i], urlsafe, padded))
			return -1;
	*out_len = 0;
	return sodium_base642bin(out, cap, in, in_len, NULL, out_len, NULL, variant) == 0 ? 0 : -1;
}

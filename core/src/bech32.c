#include "bech32.h"

#include "errors_internal.h"

#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, unsigned value)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
	                                 0x2a1462b3 };
	uint32_t top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ value;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The checksum state after the expanded human-readable part (always taken lowercase). */
static uint32_t polymod_hrp(const char *hrp, size_t hrp_len)
{
	uint32_t chk = 1;

	for (size_t i = 0; i < hrp_len; i++)
		chk = polymod_step(chk, (unsigned char)to_lower(hrp[i]) >> 5);
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < hrp_len; i++)
		chk = polymod_step(chk, (unsigned char)to_lower(hrp[i]) & 31);
	return chk;
}

static int hrp_is_valid(const char *hrp, size_t len)
{
	if (len < 1 || len > SANCTUM_BECH32_MAX_HRP)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (hrp[i] < 33 || hrp[i] > 126 || (hrp[i] >= 'A' && hrp[i] <= 'Z'))
			return 0;
	return 1;
}

int sanctum_bech32__encode(sanctum_buf *out, const char *hrp,
                           const unsigned char *data, size_t len, int upper)
{
	size_t hrp_len = strlen(hrp);
	size_t groups = (len * 8 + 4) / 5;
	uint32_t chk, acc = 0;
	unsigned bits = 0;
	size_t pos;

	if (!hrp_is_valid(hrp, hrp_len))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "invalid bech32 human-readable part");
	sanctum_buf_clear(out);
	if (sanctum_buf_grow(out, hrp_len + 1 + groups + 6) < 0)
		return SANCTUM_ENOMEM;
	memcpy(out->ptr, hrp, hrp_len);
	out->ptr[hrp_len] = '1';
	pos = hrp_len + 1;

	chk = polymod_hrp(hrp, hrp_len);
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			unsigned v = (acc >> bits) & 31;
			chk = polymod_step(chk, v);
			out->ptr[pos++] = charset[v];
		}
	}
	if (bits) {
		unsigned v = (acc << (5 - bits)) & 31;
		chk = polymod_step(chk, v);
		out->ptr[pos++] = charset[v];
	}
	for (int i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		out->ptr[pos++] = charset[(chk >> (5 * (5 - i))) & 31];

	if (upper)
		for (size_t i = 0; i < pos; i++)
			if (out->ptr[i] >= 'a' && out->ptr[i] <= 'z')
				out->ptr[i] = (unsigned char)(out->ptr[i] - 'a' + 'A');
	out->size = pos;
	out->ptr[pos] = '\0';
	return 0;
}

static int fail(const char *why)
{
	return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID, "%s",
	                          why);
}

/* Checks the character set and the single-case rule. */
static int check_characters(const char *str, size_t len)
{
	int lower = 0, upper = 0;

	for (size_t i = 0; i < len; i++) {
		if (str[i] < 33 || str[i] > 126)
			return fail("it contains a space or a non-printable character");
		lower |= str[i] >= 'a' && str[i] <= 'z';
		upper |= str[i] >= 'A' && str[i] <= 'Z';
	}
	if (lower && upper)
		return fail("it mixes upper and lower case");
	return 0;
}

/* Maps a data character to its 5-bit value, or -1. */
static int char_value(char c)
{
	const char *hit = c ? strchr(charset, to_lower(c)) : NULL;

	return hit ? (int)(hit - charset) : -1;
}

int sanctum_bech32__decode(char *hrp, unsigned char *data, size_t data_cap, size_t *data_len,
                           const char *str, size_t len)
{
	size_t sep = len, out = 0;
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	if (check_characters(str, len) < 0)
		return SANCTUM_EKEY;
	for (size_t i = len; i > 0; i--)
		if (str[i - 1] == '1') {
			sep = i - 1;
			break;
		}
	if (sep == len || sep == 0)
		return fail("no human-readable part");
	if (sep > SANCTUM_BECH32_MAX_HRP)
		return fail("human-readable part too long");
	if (len - sep - 1 < 6)
		return fail("too short for a checksum");

	chk = polymod_hrp(str, sep);
	for (size_t i = sep + 1; i < len; i++) {
		int v = char_value(str[i]);

		if (v < 0)
			return fail("it contains a character outside the bech32 alphabet");
		chk = polymod_step(chk, (unsigned)v);
		if (i >= len - 6)
			continue;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (out == data_cap)
				return fail("the key is too long");
			data[out++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	if (chk != 1)
		return fail("bad checksum (a typo or a truncated key?)");
	if (bits >= 5 || ((acc << (8 - bits)) & 0xff) != 0)
		return fail("bad padding");

	memcpy(hrp, str, sep);
	hrp[sep] = '\0';
	*data_len = out;
	return 0;
}

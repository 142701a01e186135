/*
 * libFuzzer target: the invitation parser (sanctum_invite_parse).
 *
 * An invitation has one spelling, so a line that parses must encode back to exactly the
 * same bytes, once the spaces and line ends the parser ignores around it are cut; and
 * what it parses must survive a second round trip unchanged. Aborts otherwise.
 *
 * A fuzzer cannot find SHA-256 checksums, so an input whose first byte is 0x01 (never the
 * start of an invitation) is the part before the checksum: the target appends ':' and
 * the checksum itself, and the parser's later rules get exercised too.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sanctum/sanctum.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	sanctum_buf line = SANCTUM_BUF_INIT, made = SANCTUM_BUF_INIT;
	sanctum_invite invite, back;
	const unsigned char *start;
	size_t len;

	if (!ready) {
		if (sanctum_init() < 0)
			abort();
		ready = 1;
	}
	if (size > 0 && data[0] == 0x01) {
		unsigned char hash[crypto_hash_sha256_BYTES];
		char sum[10] = ":";

		crypto_hash_sha256(hash, data + 1, size - 1);
		sodium_bin2hex(sum + 1, sizeof(sum) - 1, hash, 4);
		if (sanctum_buf_put(&made, data + 1, size - 1) != 0 ||
		    sanctum_buf_puts(&made, sum) != 0)
			abort();
		data = made.ptr;
		size = made.size;
	}
	start = data;
	len = size;
	if (sanctum_invite_parse(&invite, (const char *)data, size) != 0) {
		sanctum_buf_dispose(&made);
		return 0;
	}
	while (len > 0 && is_space(start[0])) {
		start++;
		len--;
	}
	while (len > 0 && is_space(start[len - 1]))
		len--;
	if (sanctum_invite_encode(&line, &invite) != 0 || line.size != len ||
	    memcmp(line.ptr, start, len) != 0)
		abort();
	if (sanctum_invite_parse(&back, (const char *)line.ptr, line.size) != 0 ||
	    memcmp(&back, &invite, sizeof(back)) != 0)
		abort();
	sanctum_buf_dispose(&line);
	sanctum_buf_dispose(&made);
	return 0;
}

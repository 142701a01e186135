/*
 * libFuzzer target: OpenSSH signatures and public key lines (core/src/sshsig.c).
 *
 * The input is verified as an armored signature over a fixed message in a fixed
 * namespace, the ones of the committed ssh-keygen signature in tests/resources/sshsig
 * (a good seed), so the fuzzer can reach the end of the verifier. A refusal must leave
 * the signer all zero and carry a code the header promises; a success must name a key.
 * The same input is then parsed as a public key line: whatever parses must encode back
 * to a line that parses to the same key, and whose base64 field appears in the input
 * (the base64 decoder accepts one spelling per key). Any breach aborts.
 */
#include "sanctum/sanctum.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE "hello sanctum\n"
#define NAMESPACE "sanctum-doc"

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

static void breach(const char *what)
{
	fprintf(stderr, "fuzz_sshsig: %s (last error: %s)\n", what, sanctum_error_last()->message);
	abort();
}

static void verify(const uint8_t *data, size_t size)
{
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	int error = sanctum_sshsig_verify(signer, (const char *)data, size, NAMESPACE, MESSAGE,
	                                  strlen(MESSAGE));

	if (error == 0) {
		if (sodium_is_zero(signer, sizeof(signer)))
			breach("a signature verified without naming its signer");
		return;
	}
	if (error != SANCTUM_EINVALID && error != SANCTUM_EVERIFY && error != SANCTUM_ENOMEM)
		breach("verify returned a code its header does not list");
	if (!sodium_is_zero(signer, sizeof(signer)))
		breach("a refused signature left a signer behind");
	if (!*sanctum_error_last()->message)
		breach("a refusal has no message");
}

/* Whether `needle` occurs in `data` (memmem is a GNU extension). */
static int contains(const uint8_t *data, size_t size, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= size && i <= size - n; i++)
		if (memcmp(data + i, needle, n) == 0)
			return 1;
	return 0;
}

static void public_key(const uint8_t *data, size_t size)
{
	unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE], again[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_buf line = SANCTUM_BUF_INIT;
	const char *b64;
	int error = sanctum_ssh_public_key_parse(key, (const char *)data, size);

	if (error < 0) {
		if (error != SANCTUM_EKEY && error != SANCTUM_ENOMEM)
			breach("key parse returned a code its header does not list");
		if (!sodium_is_zero(key, sizeof(key)))
			breach("a refused key line left a key behind");
		return;
	}
	if (sanctum_ssh_public_key_encode(&line, key, NULL) < 0)
		breach("a parsed key does not encode");
	if (sanctum_ssh_public_key_parse(again, (const char *)line.ptr, line.size) < 0 ||
	    memcmp(key, again, sizeof(key)) != 0)
		breach("an encoded key does not parse back to itself");
	b64 = strchr((const char *)line.ptr, ' ') + 1;
	if (!contains(data, size, b64))
		breach("the input's base64 differs from the canonical one");
	sanctum_buf_dispose(&line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	verify(data, size);
	public_key(data, size);
	sanctum_error_clear();
	return 0;
}

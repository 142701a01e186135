#include "hkdf.h"

#include <sodium.h>
#include <string.h>

int sanctum_hkdf_sha256(unsigned char *out, size_t out_len,
                        const unsigned char *ikm, size_t ikm_len,
                        const unsigned char *salt, size_t salt_len, const char *info)
{
	unsigned char prk[crypto_auth_hmacsha256_BYTES];
	unsigned char block[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t done = 0;
	unsigned char counter = 1;

	if (out_len > SANCTUM_HKDF_MAX_OUTPUT)
		return -1;

	/* Extract. An empty salt is an HMAC key of zeros, which HMAC's padding makes identical
	 * to the empty key. libsodium declares the key pointer non-null even for length 0. */
	static const unsigned char no_salt[1];
	crypto_auth_hmacsha256_init(&st, salt_len ? salt : no_salt, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);

	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i). */
	while (done < out_len) {
		size_t take = out_len - done < sizeof(block) ? out_len - done : sizeof(block);

		crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
		if (counter > 1)
			crypto_auth_hmacsha256_update(&st, block, sizeof(block));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)info, strlen(info));
		crypto_auth_hmacsha256_update(&st, &counter, 1);
		crypto_auth_hmacsha256_final(&st, block);
		memcpy(out + done, block, take);
		done += take;
		counter++;
	}

	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(block, sizeof(block));
	sodium_memzero(&st, sizeof(st));
	return 0;
}

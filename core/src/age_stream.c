/*
 * The age payload: ChaCha20-Poly1305 STREAM over 64 KiB chunks. Each chunk's 12-byte
 * nonce is an 11-byte big-endian counter and a final-chunk flag.
 */
#include "age_internal.h"
#include "hkdf.h"

#include <string.h>

void sanctum_age__stream_init(age_stream *stream,
                              const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                              const unsigned char nonce[AGE_NONCE_SIZE])
{
	sanctum_hkdf_sha256(stream->key, sizeof(stream->key), file_key, SANCTUM_AGE_FILE_KEY_SIZE,
	                    nonce, AGE_NONCE_SIZE, "payload");
	stream->counter = 0;
}

static void chunk_nonce(unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES],
                        uint64_t counter, int last)
{
	/* The top three counter bytes stay zero: 2^64 chunks is past any real file. */
	memset(nonce, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		nonce[10 - i] = (unsigned char)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

int sanctum_age__stream_seal(age_stream *stream, unsigned char *out,
                             const unsigned char *in, size_t len, int last)
{
	unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

	if (len > SANCTUM_AGE_CHUNK_SIZE || stream->counter == UINT64_MAX)
		return -1;
	chunk_nonce(nonce, stream->counter, last);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + len, NULL, in, len, NULL, 0,
	                                                   NULL, nonce, stream->key);
	stream->counter++;
	return 0;
}

int sanctum_age__stream_open(age_stream *stream, unsigned char *out,
                             const unsigned char *in, size_t len, int last)
{
	unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	size_t plain_len;

	if (len < SANCTUM_AGE_TAG_SIZE || len > AGE_ENC_CHUNK_SIZE || stream->counter == UINT64_MAX)
		return -1;
	plain_len = len - SANCTUM_AGE_TAG_SIZE;
	chunk_nonce(nonce, stream->counter, last);
	/* libsodium checks the tag in constant time before it decrypts anything. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, in, plain_len,
	                                                       in + plain_len, NULL, 0, nonce,
	                                                       stream->key) != 0)
		return -1;
	stream->counter++;
	return 0;
}

void sanctum_age__stream_wipe(age_stream *stream)
{
	sodium_memzero(stream, sizeof(*stream));
}

/*
 * Streaming age encryption: header with one stanza per recipient and its MAC, the payload
 * nonce, then STREAM chunks, optionally through the armor writer.
 */
#include "age_internal.h"
#include "errors_internal.h"

#include <stdlib.h>
#include <string.h>

struct sanctum_age_encryptor {
	sanctum_write_fn out;         /* the caller's callback, or the armor writer */
	void *out_payload;
	age_armor_writer armor;
	int armored;
	age_stream stream;
	unsigned char *plain;         /* a chunk of plaintext waiting to be sealed */
	size_t nplain;
	unsigned char *sealed;        /* the sealed chunk on its way out */
	int held;                     /* `sealed` holds a full middle chunk not yet written */
	int finished;
	int error;                    /* sticky: once failed, every call fails alike */
};

static int check_recipients(const sanctum_age_recipient *const *recipients, size_t count)
{
	if (count == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "no recipients to encrypt to");
	for (size_t i = 0; i < count; i++)
		if (recipients[i]->type == AGE_KEY_SCRYPT && count != 1)
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                          "a passphrase cannot be combined with other recipients");
	return 0;
}

/* Builds "age-encryption.org/v1", the stanzas, the MAC line and the payload nonce. */
static int build_header(sanctum_buf *header, age_stream *stream,
                        const sanctum_age_recipient *const *recipients, size_t count)
{
	unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE], mac[AGE_MAC_SIZE], nonce[AGE_NONCE_SIZE];
	char mac64[sodium_base64_ENCODED_LEN(AGE_MAC_SIZE, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	int error = 0;

	randombytes_buf(file_key, sizeof(file_key));
	if (sanctum_buf_puts(header, AGE_VERSION_LINE "\n") < 0)
		error = SANCTUM_ENOMEM;
	for (size_t i = 0; !error && i < count; i++)
		error = sanctum_age__wrap(header, recipients[i], file_key);
	if (!error && sanctum_buf_puts(header, "---") < 0)
		error = SANCTUM_ENOMEM;
	if (!error) {
		sanctum_age__header_mac(mac, file_key, header->ptr, header->size);
		sodium_bin2base64(mac64, sizeof(mac64), mac, sizeof(mac),
		                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		randombytes_buf(nonce, sizeof(nonce));
		if (sanctum_buf_puts(header, " ") < 0 || sanctum_buf_puts(header, mac64) < 0 ||
		    sanctum_buf_puts(header, "\n") < 0 || sanctum_buf_put(header, nonce, sizeof(nonce)) < 0)
			error = SANCTUM_ENOMEM;
		sanctum_age__stream_init(stream, file_key, nonce);
	}
	sodium_memzero(file_key, sizeof(file_key));
	return error;
}

static int setup_output(sanctum_age_encryptor *enc, unsigned flags, sanctum_write_fn write,
                        void *payload)
{
	enc->out = write;
	enc->out_payload = payload;
	if (!(flags & SANCTUM_AGE_ARMOR))
		return 0;
	enc->armored = 1;
	enc->out = sanctum_age__armor_write;
	enc->out_payload = &enc->armor;
	return sanctum_age__armor_writer_init(&enc->armor, write, payload);
}

int sanctum_age_encryptor_new(sanctum_age_encryptor **out,
                              const sanctum_age_recipient *const *recipients, size_t count,
                              unsigned flags, sanctum_write_fn write, void *payload)
{
	sanctum_age_encryptor *enc = NULL;
	sanctum_buf header = SANCTUM_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = check_recipients(recipients, count)) < 0)
		return error;
	if (!(enc = calloc(1, sizeof(*enc))) || !(enc->plain = malloc(SANCTUM_AGE_CHUNK_SIZE)) ||
	    !(enc->sealed = malloc(AGE_ENC_CHUNK_SIZE))) {
		error = sanctum_error__nomem();
		goto done;
	}
	if ((error = setup_output(enc, flags, write, payload)) < 0)
		goto done;
	if ((error = build_header(&header, &enc->stream, recipients, count)) < 0)
		goto done;
	error = enc->out(header.ptr, header.size, enc->out_payload);
done:
	sanctum_buf_dispose(&header);
	if (error < 0)
		sanctum_age_encryptor_free(enc);
	else
		*out = enc;
	return error;
}

static int emit_chunk(sanctum_age_encryptor *enc, const unsigned char *plain, size_t len, int last)
{
	if (sanctum_age__stream_seal(&enc->stream, enc->sealed, plain, len, last) < 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_AGE,
		                          "the file is too large for the age format");
	return enc->out(enc->sealed, len + SANCTUM_AGE_TAG_SIZE, enc->out_payload);
}

static int fail(sanctum_age_encryptor *enc, int error)
{
	enc->error = error;
	return error;
}

/* Writes the held chunk: more input came, so it really was a middle chunk. */
static int release_held(sanctum_age_encryptor *enc)
{
	enc->held = 0;
	return enc->out(enc->sealed, AGE_ENC_CHUNK_SIZE, enc->out_payload);
}

int sanctum_age_encryptor_update(sanctum_age_encryptor *enc, const void *data, size_t len)
{
	const unsigned char *in = data;
	int error;

	if (enc->error)
		return enc->error;
	if (enc->finished)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the age file is already finished");
	while (len) {
		if (enc->held && (error = release_held(enc)) < 0)
			return fail(enc, error);
		/* A full chunk is written only once more data follows it, because the last chunk
		 * carries the final flag and may itself be full. */
		if (enc->nplain == SANCTUM_AGE_CHUNK_SIZE) {
			if ((error = emit_chunk(enc, enc->plain, enc->nplain, 0)) < 0)
				return fail(enc, error);
			enc->nplain = 0;
		}
		if (enc->nplain == 0 && len >= SANCTUM_AGE_CHUNK_SIZE) {
			/* Straight from the caller's buffer: no copy for bulk data. A chunk that ends
			 * this call is sealed as a middle chunk and held back; finish re-seals it as
			 * the last one in the rare case that it is. */
			if (sanctum_age__stream_seal(&enc->stream, enc->sealed, in,
			                             SANCTUM_AGE_CHUNK_SIZE, 0) < 0)
				return fail(enc, sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_AGE,
				                                    "the file is too large for the age format"));
			enc->held = 1;
			in += SANCTUM_AGE_CHUNK_SIZE;
			len -= SANCTUM_AGE_CHUNK_SIZE;
			continue;
		}
		size_t take = SANCTUM_AGE_CHUNK_SIZE - enc->nplain;
		if (take > len)
			take = len;
		memcpy(enc->plain + enc->nplain, in, take);
		enc->nplain += take;
		in += take;
		len -= take;
	}
	return 0;
}

/* The held chunk turned out to be the last: open it and seal it again as final. */
static int reseal_held_as_final(sanctum_age_encryptor *enc)
{
	enc->held = 0;
	enc->stream.counter--;
	if (sanctum_age__stream_open(&enc->stream, enc->plain, enc->sealed, AGE_ENC_CHUNK_SIZE,
	                             0) < 0)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                          "internal: a sealed chunk did not open again");
	enc->stream.counter--;
	enc->nplain = SANCTUM_AGE_CHUNK_SIZE;
	return 0;
}

int sanctum_age_encryptor_finish(sanctum_age_encryptor *enc)
{
	int error;

	if (enc->error)
		return enc->error;
	if (enc->finished)
		return 0;
	if (enc->held && (error = reseal_held_as_final(enc)) < 0)
		return fail(enc, error);
	if ((error = emit_chunk(enc, enc->plain, enc->nplain, 1)) < 0)
		return fail(enc, error);
	if (enc->armored && (error = sanctum_age__armor_writer_finish(&enc->armor)) < 0)
		return fail(enc, error);
	enc->finished = 1;
	return 0;
}

void sanctum_age_encryptor_free(sanctum_age_encryptor *enc)
{
	if (!enc)
		return;
	if (enc->plain) {
		sodium_memzero(enc->plain, SANCTUM_AGE_CHUNK_SIZE);
		free(enc->plain);
	}
	free(enc->sealed);
	if (enc->armored)
		sanctum_age__armor_writer_dispose(&enc->armor);
	sanctum_age__stream_wipe(&enc->stream);
	free(enc);
}

/* ---- whole buffers ---- */

static int append_to_buf(const unsigned char *data, size_t len, void *payload)
{
	return sanctum_buf_put(payload, data, len);
}

/* An upper bound of the output size, so the buffer is allocated once. */
static size_t encrypted_size_bound(size_t count, unsigned flags, size_t len)
{
	size_t chunks = len / SANCTUM_AGE_CHUNK_SIZE + 1;
	size_t size = 64 + count * 160 + AGE_NONCE_SIZE + len + chunks * SANCTUM_AGE_TAG_SIZE;

	if (flags & SANCTUM_AGE_ARMOR)
		size = size / 48 * 65 + 200;
	return size;
}

int sanctum_age_encrypt(sanctum_buf *out, const sanctum_age_recipient *const *recipients,
                        size_t count, unsigned flags, const void *in, size_t len)
{
	sanctum_age_encryptor *enc = NULL;
	int error;

	sanctum_buf_clear(out);
	if (len < SIZE_MAX / 2 && sanctum_buf_grow(out, encrypted_size_bound(count, flags, len)) < 0)
		return SANCTUM_ENOMEM;
	error = sanctum_age_encryptor_new(&enc, recipients, count, flags, append_to_buf, out);
	if (!error)
		error = sanctum_age_encryptor_update(enc, in, len);
	if (!error)
		error = sanctum_age_encryptor_finish(enc);
	sanctum_age_encryptor_free(enc);
	if (error < 0)
		sanctum_buf_clear(out);
	return error;
}

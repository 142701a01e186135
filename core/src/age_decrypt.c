/*
 * Streaming age decryption. Input may be armored (decoded on the fly) or binary; the
 * header is gathered and checked (stanzas, file key, MAC) before any payload byte is
 * touched, then each STREAM chunk is authenticated and released in turn.
 */
#include "age_internal.h"
#include "errors_internal.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_STEP 4096              /* header bytes taken between searches for its end */

typedef enum { PHASE_DETECT, PHASE_HEADER, PHASE_NONCE, PHASE_PAYLOAD, PHASE_DONE } phase;

struct sanctum_age_decryptor {
	const sanctum_age_identity **identities;  /* borrowed keys, our array */
	size_t count;
	sanctum_age_decrypt_options opts;
	sanctum_write_fn write;
	void *payload;
	phase phase;
	int error;                                /* sticky */
	int armored;
	age_armor_reader armor;
	sanctum_buf pending;                      /* header bytes, or leading whitespace */
	unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE];
	unsigned char nonce[AGE_NONCE_SIZE];
	size_t nnonce;
	age_stream stream;
	unsigned char *chunk;                     /* sealed bytes of the current chunk */
	size_t nchunk;
	int full_chunk_tried;                     /* the full chunk did not open as non-final */
	unsigned char *plain;                     /* opened chunk on its way out */
};

static int fail(sanctum_age_decryptor *dec, int error)
{
	dec->error = error;
	return error;
}

/* ---- header ---- */

static int no_match(int scrypt_present, int scrypt_tried)
{
	if (scrypt_tried)
		return sanctum_error__set(SANCTUM_EBADPASS, SANCTUM_ERRCLASS_AGE,
		                          "incorrect passphrase");
	if (scrypt_present)
		return sanctum_error__set(SANCTUM_ENOMATCH, SANCTUM_ERRCLASS_AGE,
		                          "the file is encrypted with a passphrase, and none was given");
	return sanctum_error__set(SANCTUM_ENOMATCH, SANCTUM_ERRCLASS_AGE,
	                          "no identity matched any of the file's recipients");
}

/* Tries one identity on every stanza. Returns 0, SANCTUM_ENOMATCH or a hard error. */
static int try_identity(sanctum_age_decryptor *dec, const sanctum_age_identity *id,
                        const age_header *header, int *scrypt_tried)
{
	/* Starting at the caller's hint saves an X25519 operation per stanza before it when
	 * the caller knows where its stanza is (an epoch file with one stanza per member). */
	size_t first = dec->opts.first_stanza < header->count ? dec->opts.first_stanza : 0;

	for (size_t i = 0; i < header->count; i++) {
		size_t s = (first + i) % header->count;
		int error = sanctum_age__unwrap(dec->file_key, id, &header->stanzas[s]);

		if (error != SANCTUM_ENOMATCH)
			return error;
		if (id->type == AGE_KEY_SCRYPT && sanctum_age__stanza_is_scrypt(&header->stanzas[s]))
			*scrypt_tried = 1;
	}
	return SANCTUM_ENOMATCH;
}

/* Asks the caller for a passphrase when only a passphrase can open the file. */
static int prompted_identity(sanctum_age_decryptor *dec, const age_header *header,
                             sanctum_age_identity **out)
{
	sanctum_buf pass = SANCTUM_BUF_INIT;
	int error;

	*out = NULL;
	if (!dec->opts.passphrase || header->count != 1 ||
	    !sanctum_age__stanza_is_scrypt(&header->stanzas[0]))
		return 0;
	for (size_t i = 0; i < dec->count; i++)
		if (dec->identities[i]->type == AGE_KEY_SCRYPT)
			return 0;
	error = dec->opts.passphrase(&pass, dec->opts.passphrase_payload);
	if (error == 0)
		error = sanctum_age_identity_from_passphrase(out, (const char *)pass.ptr, pass.size,
		                                             dec->opts.max_work_factor);
	sanctum_buf_dispose(&pass);
	return error;
}

static int find_file_key(sanctum_age_decryptor *dec, const age_header *header)
{
	sanctum_age_identity *asked = NULL;
	int scrypt_present = 0, scrypt_tried = 0, error = SANCTUM_ENOMATCH;

	for (size_t s = 0; s < header->count; s++)
		scrypt_present |= sanctum_age__stanza_is_scrypt(&header->stanzas[s]);
	for (size_t i = 0; error == SANCTUM_ENOMATCH && i < dec->count; i++)
		error = try_identity(dec, dec->identities[i], header, &scrypt_tried);
	if (error == SANCTUM_ENOMATCH) {
		if ((error = prompted_identity(dec, header, &asked)) == 0)
			error = asked ? try_identity(dec, asked, header, &scrypt_tried) : SANCTUM_ENOMATCH;
		sanctum_age_identity_free(asked);
	}
	if (error == SANCTUM_ENOMATCH)
		return no_match(scrypt_present, scrypt_tried);
	return error;
}

static int process_header(sanctum_age_decryptor *dec, const unsigned char *data, size_t len)
{
	unsigned char mac[AGE_MAC_SIZE];
	age_header header;
	int error;

	if ((error = sanctum_age__header_parse(&header, data, len)) < 0)
		return error;
	if ((error = find_file_key(dec, &header)) == 0) {
		sanctum_age__header_mac(mac, dec->file_key, data, header.mac_input_len);
		if (crypto_verify_32(mac, header.mac) != 0)
			error = sanctum_error__set(SANCTUM_EMAC, SANCTUM_ERRCLASS_AGE,
			                           "the header MAC does not match: the header was altered "
			                           "or damaged");
		sodium_memzero(mac, sizeof(mac));
	}
	sanctum_age__header_dispose(&header);
	return error;
}

/* Takes header bytes a step at a time so that a payload passed along with the header in
 * one call is never copied. Returns the number of bytes consumed, or an error. */
static long feed_header(sanctum_age_decryptor *dec, const unsigned char *data, size_t len)
{
	size_t consumed = 0, end = 0;
	int found = 0, error;

	while (!found && consumed < len) {
		size_t take = len - consumed < HEADER_STEP ? len - consumed : HEADER_STEP;
		size_t before = dec->pending.size;

		if (before + take > SANCTUM_AGE_MAX_HEADER_SIZE)
			return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE,
			                          "the age header is longer than %u bytes",
			                          SANCTUM_AGE_MAX_HEADER_SIZE);
		if (sanctum_buf_put(&dec->pending, data + consumed, take) < 0)
			return SANCTUM_ENOMEM;
		if ((found = sanctum_age__header_find_end(dec->pending.ptr, dec->pending.size, &end)) < 0)
			return found;
		consumed += found ? end - before : take;
	}
	if (!found)
		return (long)consumed;
	if ((error = process_header(dec, dec->pending.ptr, end)) < 0)
		return error;
	sanctum_buf_dispose(&dec->pending);
	dec->phase = PHASE_NONCE;
	return (long)consumed;
}

/* ---- payload ---- */

static int release(sanctum_age_decryptor *dec, size_t sealed_len)
{
	return dec->write(dec->plain, sealed_len - SANCTUM_AGE_TAG_SIZE, dec->payload);
}

static int bad_chunk(const sanctum_age_decryptor *dec)
{
	return sanctum_error__set(SANCTUM_EPAYLOAD, SANCTUM_ERRCLASS_AGE,
	                          "payload chunk %llu failed authentication: the file was altered "
	                          "or damaged", (unsigned long long)dec->stream.counter);
}

/* A full chunk with more input after it must be a middle chunk; if it opens only as the
 * final one, the bytes after it are trailing data. */
static int open_middle(sanctum_age_decryptor *dec, const unsigned char *sealed, int tried)
{
	int error;

	if (!tried && sanctum_age__stream_open(&dec->stream, dec->plain, sealed,
	                                       AGE_ENC_CHUNK_SIZE, 0) == 0)
		return release(dec, AGE_ENC_CHUNK_SIZE);
	if (sanctum_age__stream_open(&dec->stream, dec->plain, sealed, AGE_ENC_CHUNK_SIZE, 1) != 0)
		return bad_chunk(dec);
	if ((error = release(dec, AGE_ENC_CHUNK_SIZE)) < 0)
		return error;
	return sanctum_error__set(SANCTUM_ETRAILING, SANCTUM_ERRCLASS_AGE,
	                          "data follows the final chunk of the age payload");
}

static int feed_payload(sanctum_age_decryptor *dec, const unsigned char *data, size_t len)
{
	int error;

	while (len) {
		if (dec->nchunk == AGE_ENC_CHUNK_SIZE) {
			if ((error = open_middle(dec, dec->chunk, dec->full_chunk_tried)) < 0)
				return error;
			dec->nchunk = 0;
			dec->full_chunk_tried = 0;
		}
		if (dec->nchunk == 0 && len > AGE_ENC_CHUNK_SIZE) {
			if ((error = open_middle(dec, data, 0)) < 0)
				return error;
			data += AGE_ENC_CHUNK_SIZE;
			len -= AGE_ENC_CHUNK_SIZE;
			continue;
		}
		size_t take = AGE_ENC_CHUNK_SIZE - dec->nchunk;
		if (take > len)
			take = len;
		memcpy(dec->chunk + dec->nchunk, data, take);
		dec->nchunk += take;
		data += take;
		len -= take;
		/* Release a full chunk as soon as it opens as a middle chunk; if it does not, it may
		 * be the final one, which only the end of input can tell. */
		if (dec->nchunk == AGE_ENC_CHUNK_SIZE) {
			if (sanctum_age__stream_open(&dec->stream, dec->plain, dec->chunk,
			                             AGE_ENC_CHUNK_SIZE, 0) == 0) {
				dec->nchunk = 0;
				if ((error = release(dec, AGE_ENC_CHUNK_SIZE)) < 0)
					return error;
			} else {
				dec->full_chunk_tried = 1;
			}
		}
	}
	return 0;
}

static int finish_payload(sanctum_age_decryptor *dec)
{
	if (dec->nchunk == 0)
		return sanctum_error__set(SANCTUM_ETRUNCATED, SANCTUM_ERRCLASS_AGE,
		                          "the age file is truncated: it ends before its final chunk");
	if (dec->nchunk < SANCTUM_AGE_TAG_SIZE)
		return sanctum_error__set(SANCTUM_ETRUNCATED, SANCTUM_ERRCLASS_AGE,
		                          "the age file is truncated inside its final chunk");
	if (dec->nchunk == SANCTUM_AGE_TAG_SIZE && dec->stream.counter != 0)
		return sanctum_error__set(SANCTUM_EPAYLOAD, SANCTUM_ERRCLASS_AGE,
		                          "the final chunk of the age payload is empty");
	if (sanctum_age__stream_open(&dec->stream, dec->plain, dec->chunk, dec->nchunk, 1) != 0)
		return bad_chunk(dec);
	return release(dec, dec->nchunk);
}

/* ---- the binary pipeline ---- */

/* A sanctum_write_fn, so the armor reader can feed it. */
static int feed_binary(const unsigned char *data, size_t len, void *payload)
{
	sanctum_age_decryptor *dec = payload;

	while (len) {
		if (dec->phase == PHASE_HEADER) {
			long used = feed_header(dec, data, len);

			if (used < 0)
				return (int)used;
			data += used;
			len -= (size_t)used;
		} else if (dec->phase == PHASE_NONCE) {
			size_t take = AGE_NONCE_SIZE - dec->nnonce < len ? AGE_NONCE_SIZE - dec->nnonce : len;

			memcpy(dec->nonce + dec->nnonce, data, take);
			dec->nnonce += take;
			data += take;
			len -= take;
			if (dec->nnonce == AGE_NONCE_SIZE) {
				sanctum_age__stream_init(&dec->stream, dec->file_key, dec->nonce);
				sodium_memzero(dec->file_key, sizeof(dec->file_key));
				dec->phase = PHASE_PAYLOAD;
			}
		} else {
			return feed_payload(dec, data, len);
		}
	}
	return 0;
}

static int finish_binary(sanctum_age_decryptor *dec)
{
	switch (dec->phase) {
	case PHASE_DETECT:
	case PHASE_HEADER:
		return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE,
		                          dec->pending.size == 0 ? "the input is empty, not an age file"
		                                                 : "the age header is incomplete");
	case PHASE_NONCE:
		return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE,
		                          "the payload nonce is missing or short");
	case PHASE_PAYLOAD:
		return finish_payload(dec);
	case PHASE_DONE:
		break;
	}
	return 0;
}

/* ---- armor detection ---- */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int start(sanctum_age_decryptor *dec, int armored)
{
	int error = 0;

	dec->armored = armored;
	dec->phase = PHASE_HEADER;
	if (armored)
		error = sanctum_age__armor_reader_init(&dec->armor);
	return error;
}

static int feed(sanctum_age_decryptor *dec, const unsigned char *data, size_t len)
{
	if (dec->armored)
		return sanctum_age__armor_reader_update(&dec->armor, data, len, feed_binary, dec);
	return feed_binary(data, len, dec);
}

/* In AUTO mode, armor is recognised by its first non-blank character, '-'; binary age
 * starts with 'a'. Leading whitespace is held back and replayed to whichever it is. */
static int detect(sanctum_age_decryptor *dec, const unsigned char *data, size_t len)
{
	sanctum_buf held = SANCTUM_BUF_INIT;
	size_t i = 0;
	int error;

	while (i < len && is_space(data[i]))
		i++;
	if (i == len && dec->pending.size + len <= 2 * 1024)
		return sanctum_buf_put(&dec->pending, data, len);
	held = dec->pending;
	dec->pending = (sanctum_buf)SANCTUM_BUF_INIT;
	error = start(dec, i < len && data[i] == '-');
	if (!error && held.size)
		error = feed(dec, held.ptr, held.size);
	if (!error)
		error = feed(dec, data, len);
	sanctum_buf_dispose(&held);
	return error;
}

/* ---- public API ---- */

int sanctum_age_decryptor_new(sanctum_age_decryptor **out,
                              const sanctum_age_identity *const *identities, size_t count,
                              const sanctum_age_decrypt_options *opts, sanctum_write_fn write,
                              void *payload)
{
	sanctum_age_decrypt_options defaults = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_age_decryptor *dec;
	int error = 0;

	*out = NULL;
	if (opts && opts->version != SANCTUM_AGE_DECRYPT_OPTIONS_VERSION)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "unsupported decrypt options version %u", opts->version);
	if (!(dec = calloc(1, sizeof(*dec))))
		return sanctum_error__nomem();
	dec->opts = opts ? *opts : defaults;
	dec->write = write;
	dec->payload = payload;
	dec->count = count;
	if ((count && !(dec->identities = malloc(count * sizeof(*dec->identities)))) ||
	    !(dec->chunk = malloc(AGE_ENC_CHUNK_SIZE)) || !(dec->plain = malloc(SANCTUM_AGE_CHUNK_SIZE)))
		error = sanctum_error__nomem();
	for (size_t i = 0; !error && i < count; i++)
		dec->identities[i] = identities[i];
	if (!error && dec->opts.armor != SANCTUM_AGE_ARMOR_AUTO)
		error = start(dec, dec->opts.armor == SANCTUM_AGE_ARMOR_YES);
	if (error < 0) {
		sanctum_age_decryptor_free(dec);
		return error;
	}
	*out = dec;
	return 0;
}

int sanctum_age_decryptor_update(sanctum_age_decryptor *dec, const void *data, size_t len)
{
	int error;

	if (dec->error)
		return dec->error;
	if (dec->phase == PHASE_DONE)
		return fail(dec, sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                                    "the decryption is already finished"));
	if (len == 0)
		return 0;
	error = dec->phase == PHASE_DETECT ? detect(dec, data, len) : feed(dec, data, len);
	return error < 0 ? fail(dec, error) : 0;
}

int sanctum_age_decryptor_finish(sanctum_age_decryptor *dec)
{
	int error = 0;

	if (dec->error)
		return dec->error;
	if (dec->phase == PHASE_DONE)
		return 0;
	if (dec->phase == PHASE_DETECT) {
		sanctum_buf held = dec->pending;

		dec->pending = (sanctum_buf)SANCTUM_BUF_INIT;
		error = start(dec, 0);
		if (!error && held.size)
			error = feed(dec, held.ptr, held.size);
		sanctum_buf_dispose(&held);
	}
	if (!error && dec->armored)
		error = sanctum_age__armor_reader_finish(&dec->armor, feed_binary, dec);
	if (!error)
		error = finish_binary(dec);
	if (error < 0)
		return fail(dec, error);
	dec->phase = PHASE_DONE;
	return 0;
}

void sanctum_age_decryptor_free(sanctum_age_decryptor *dec)
{
	if (!dec)
		return;
	free(dec->identities);
	if (dec->armored)
		sanctum_age__armor_reader_dispose(&dec->armor);
	sanctum_buf_dispose(&dec->pending);
	if (dec->plain) {
		sodium_memzero(dec->plain, SANCTUM_AGE_CHUNK_SIZE);
		free(dec->plain);
	}
	free(dec->chunk);
	sanctum_age__stream_wipe(&dec->stream);
	sodium_memzero(dec->file_key, sizeof(dec->file_key));
	free(dec);
}

/* ---- whole buffers ---- */

static int append_to_buf(const unsigned char *data, size_t len, void *payload)
{
	return sanctum_buf_put(payload, data, len);
}

int sanctum_age_decrypt(sanctum_buf *out, const sanctum_age_identity *const *identities,
                        size_t count, const sanctum_age_decrypt_options *opts,
                        const void *in, size_t len)
{
	sanctum_age_decryptor *dec = NULL;
	int error;

	sanctum_buf_clear(out);
	/* The plaintext is never longer than the file: one allocation, no copies. */
	if (sanctum_buf_grow(out, len) < 0)
		return SANCTUM_ENOMEM;
	error = sanctum_age_decryptor_new(&dec, identities, count, opts, append_to_buf, out);
	if (!error)
		error = sanctum_age_decryptor_update(dec, in, len);
	if (!error)
		error = sanctum_age_decryptor_finish(dec);
	sanctum_age_decryptor_free(dec);
	if (error < 0)
		sanctum_buf_clear(out);
	return error;
}

/*
 * The age header: finding its end in a stream, parsing it strictly, encoding stanzas
 * canonically, and its MAC.
 */
#include "age_internal.h"
#include "b64.h"
#include "errors_internal.h"
#include "hkdf.h"

#include <stdlib.h>
#include <string.h>

#define BODY_COLUMNS 64
#define MAC_B64_LEN 43

static int malformed(const char *what)
{
	return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE,
	                          "malformed age header: %s", what);
}

int sanctum_age__b64_decode(unsigned char *out, size_t len, const char *in, size_t in_len)
{
	size_t got = 0;

	/* Strict decoding refuses characters outside the alphabet and non-zero trailing bits,
	 * which is exactly age's canonical-encoding rule. */
	if (in_len != sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) - 1)
		return -1;
	if (sanctum_b64__decode(out, len, &got, in, in_len,
	                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 || got != len)
		return -1;
	return 0;
}

int sanctum_age__header_find_end(const unsigned char *data, size_t len, size_t *end)
{
	static const char version[] = AGE_VERSION_LINE "\n";
	size_t vlen = sizeof(version) - 1;
	size_t check = len < vlen ? len : vlen;
	const unsigned char *mac_line;

	if (memcmp(data, version, check) != 0)
		return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE,
		                          "not an age v1 file: the first line must be '%s'",
		                          AGE_VERSION_LINE);
	if (len <= vlen)
		return 0;
	/* The MAC line is the only header line that starts with '-' but not "->". */
	mac_line = data + vlen - 1;
	while ((mac_line = memchr(mac_line, '\n', (size_t)(data + len - mac_line))) != NULL) {
		const unsigned char *nl;
		size_t rest = (size_t)(data + len - mac_line);

		if (rest < 4)
			return 0;
		if (mac_line[1] == '-' && mac_line[2] == '-' && mac_line[3] == '-') {
			nl = memchr(mac_line + 1, '\n', rest - 1);
			if (!nl)
				return 0;
			*end = (size_t)(nl - data) + 1;
			return 1;
		}
		mac_line++;
	}
	return 0;
}

/* Returns the length of the line at `pos` (without its newline), or -1 if unterminated. */
static long line_at(const unsigned char *data, size_t len, size_t pos)
{
	const unsigned char *nl = pos < len ? memchr(data + pos, '\n', len - pos) : NULL;

	return nl ? (long)(nl - (data + pos)) : -1;
}

static int add_arg(age_stanza *stanza, const char *ptr, size_t len)
{
	age_span *bigger;

	if (len == 0)
		return malformed("a stanza has an empty argument");
	for (size_t i = 0; i < len; i++)
		if (ptr[i] < 33 || ptr[i] > 126)
			return malformed("a stanza argument has a character outside printable ASCII");
	bigger = realloc(stanza->args, (stanza->nargs + 1) * sizeof(*bigger));
	if (!bigger)
		return sanctum_error__nomem();
	stanza->args = bigger;
	stanza->args[stanza->nargs].ptr = ptr;
	stanza->args[stanza->nargs].len = len;
	stanza->nargs++;
	return 0;
}

/* Splits "-> type arg..." (without the "-> ") into the stanza's type and arguments. */
static int parse_stanza_line(age_stanza *stanza, const char *line, size_t len)
{
	size_t start = 0;
	int error;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if ((error = add_arg(stanza, line + start, i - start)) < 0)
			return error;
		start = i + 1;
	}
	stanza->type = stanza->args[0];
	memmove(stanza->args, stanza->args + 1, (stanza->nargs - 1) * sizeof(*stanza->args));
	stanza->nargs--;
	return 0;
}

/* Reads body lines from `*pos` up to and including the first short line. */
static int parse_body(age_stanza *stanza, const unsigned char *data, size_t len, size_t *pos)
{
	size_t start = *pos, text_len = 0, max_bin;
	char *text;
	long n;

	do {
		n = line_at(data, len, *pos);
		if (n < 0)
			return malformed("a stanza body is not terminated by a short line");
		if (n > BODY_COLUMNS)
			return malformed("a stanza body line is longer than 64 columns");
		*pos += (size_t)n + 1;
	} while (n == BODY_COLUMNS);

	if (!(text = malloc(*pos - start + 1)))
		return sanctum_error__nomem();
	for (size_t i = start; i < *pos; i++)
		if (data[i] != '\n')
			text[text_len++] = (char)data[i];
	max_bin = text_len / 4 * 3 + 3;
	stanza->body = malloc(max_bin);
	if (!stanza->body ||
	    sanctum_b64__decode(stanza->body, max_bin, &stanza->body_len, text, text_len,
	                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0) {
		free(text);
		return stanza->body ? malformed("a stanza body is not canonical base64")
		                    : sanctum_error__nomem();
	}
	free(text);
	return 0;
}

static int parse_stanza(age_header *header, const unsigned char *data, size_t len, size_t *pos,
                        size_t line_len)
{
	age_stanza *bigger = realloc(header->stanzas, (header->count + 1) * sizeof(*bigger));
	age_stanza *stanza;
	int error;

	if (!bigger)
		return sanctum_error__nomem();
	header->stanzas = bigger;
	stanza = &header->stanzas[header->count++];
	memset(stanza, 0, sizeof(*stanza));
	if ((error = parse_stanza_line(stanza, (const char *)data + *pos + 3, line_len - 3)) < 0)
		return error;
	*pos += line_len + 1;
	if ((error = parse_body(stanza, data, len, pos)) < 0)
		return error;
	return sanctum_age__stanza_validate(stanza);
}

static int parse_mac_line(age_header *header, const unsigned char *data, size_t len, size_t pos,
                          size_t line_len)
{
	if (line_len != 4 + MAC_B64_LEN || data[pos + 3] != ' ' ||
	    sanctum_age__b64_decode(header->mac, AGE_MAC_SIZE, (const char *)data + pos + 4,
	                            MAC_B64_LEN) < 0)
		return malformed("the MAC line must be '--- ' and 43 characters of base64");
	if (pos + line_len + 1 != len)
		return malformed("the header does not end after the MAC line");
	header->mac_input_len = pos + 3;
	return 0;
}

/* Stanzas of scrypt must stand alone, or a passphrase could unlock a file also readable
 * by others and be mistaken for the only way in. */
static int check_scrypt_alone(const age_header *header)
{
	for (size_t i = 0; i < header->count; i++)
		if (sanctum_age__stanza_is_scrypt(&header->stanzas[i]) && header->count != 1)
			return malformed("an scrypt stanza must be the only stanza");
	return 0;
}

int sanctum_age__header_parse(age_header *out, const unsigned char *data, size_t len)
{
	size_t pos = sizeof(AGE_VERSION_LINE);
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (len < pos || memcmp(data, AGE_VERSION_LINE "\n", pos) != 0)
		return malformed("missing version line");
	for (;;) {
		long n = line_at(data, len, pos);

		if (n < 0) {
			error = malformed("the header ends without a MAC line");
			break;
		}
		if (n >= 3 && memcmp(data + pos, "-> ", 3) == 0) {
			if ((error = parse_stanza(out, data, len, &pos, (size_t)n)) < 0)
				break;
		} else if (n >= 3 && memcmp(data + pos, "---", 3) == 0) {
			if ((error = parse_mac_line(out, data, len, pos, (size_t)n)) == 0)
				error = check_scrypt_alone(out);
			break;
		} else {
			error = malformed("a line is neither a stanza nor the MAC line");
			break;
		}
	}
	if (error < 0)
		sanctum_age__header_dispose(out);
	return error;
}

void sanctum_age__header_dispose(age_header *header)
{
	if (!header)
		return;
	for (size_t i = 0; i < header->count; i++) {
		free(header->stanzas[i].args);
		free(header->stanzas[i].body);
	}
	free(header->stanzas);
	memset(header, 0, sizeof(*header));
}

int sanctum_age__stanza_encode(sanctum_buf *out, const char *type, const char *const *args,
                               size_t nargs, const unsigned char *body, size_t body_len)
{
	size_t b64_size = sodium_base64_ENCODED_LEN(body_len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	char *b64 = malloc(b64_size);
	size_t b64_len, done = 0;
	int error = 0;

	if (!b64)
		return sanctum_error__nomem();
	sodium_bin2base64(b64, b64_size, body, body_len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	b64_len = strlen(b64);

	if (sanctum_buf_puts(out, "-> ") < 0 || sanctum_buf_puts(out, type) < 0)
		error = SANCTUM_ENOMEM;
	for (size_t i = 0; !error && i < nargs; i++)
		if (sanctum_buf_puts(out, " ") < 0 || sanctum_buf_puts(out, args[i]) < 0)
			error = SANCTUM_ENOMEM;
	if (!error && sanctum_buf_puts(out, "\n") < 0)
		error = SANCTUM_ENOMEM;
	/* Full 64-column lines, then a final short line, empty if need be. */
	while (!error) {
		size_t take = b64_len - done > BODY_COLUMNS ? BODY_COLUMNS : b64_len - done;

		if (sanctum_buf_put(out, b64 + done, take) < 0 || sanctum_buf_puts(out, "\n") < 0)
			error = SANCTUM_ENOMEM;
		done += take;
		if (take < BODY_COLUMNS)
			break;
	}
	free(b64);
	return error;
}

void sanctum_age__header_mac(unsigned char mac[AGE_MAC_SIZE],
                             const unsigned char file_key[SANCTUM_AGE_FILE_KEY_SIZE],
                             const unsigned char *header, size_t len)
{
	unsigned char key[32];

	sanctum_hkdf_sha256(key, sizeof(key), file_key, SANCTUM_AGE_FILE_KEY_SIZE, NULL, 0, "header");
	crypto_auth_hmacsha256(mac, header, len, key);
	sodium_memzero(key, sizeof(key));
}

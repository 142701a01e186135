#include "signed_file.h"

#include "errors_internal.h"
#include "sanctum/sshsig.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SIG_END "-----END SSH SIGNATURE-----\n"
#define SIG_BEGIN "-----BEGIN SSH SIGNATURE-----\n"

int sanctum_signed__seal(sanctum_buf *out, const sanctum_identity *signer,
                         const char *namespace, const void *body, size_t len)
{
	int error = sanctum_identity_sign(out, signer, namespace, body, len);

	if (error == 0 && sanctum_buf_put(out, body, len) < 0)
		error = SANCTUM_ENOMEM;
	if (error < 0)
		sanctum_buf_clear(out);
	return error;
}

/* Finds the signature block at `data`; returns its length, 0 when there is none. */
static size_t block_length(const unsigned char *data, size_t len)
{
	size_t scan = len < SANCTUM_SSHSIG_MAX_ARMORED ? len : SANCTUM_SSHSIG_MAX_ARMORED;

	if (len < sizeof(SIG_BEGIN) - 1 || memcmp(data, SIG_BEGIN, sizeof(SIG_BEGIN) - 1) != 0)
		return 0;
	for (size_t i = 0; i + sizeof(SIG_END) - 1 <= scan; i++)
		if (data[i] == '-' && memcmp(data + i, SIG_END, sizeof(SIG_END) - 1) == 0)
			return i + sizeof(SIG_END) - 1;
	return 0;
}

int sanctum_signed__open_all(const unsigned char **body, size_t *body_len,
                             unsigned char (*signers)[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                             size_t *nsigners, size_t max, const char *namespace,
                             const unsigned char *data, size_t len, const char *what)
{
	size_t starts[SANCTUM_SIGNED_MAX_SIGNERS], lengths[SANCTUM_SIGNED_MAX_SIGNERS];
	size_t pos = 0, n = 0, block;

	if (max > SANCTUM_SIGNED_MAX_SIGNERS)
		max = SANCTUM_SIGNED_MAX_SIGNERS;
	while ((block = block_length(data + pos, len - pos)) > 0) {
		if (n == max)
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                          "%s has more than %zu signatures", what, max);
		starts[n] = pos;
		lengths[n++] = block;
		pos += block;
	}
	if (n == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "%s does not start with a complete signature", what);
	*body = data + pos;
	*body_len = len - pos;
	for (size_t i = 0; i < n; i++) {
		if (sanctum_sshsig_verify(signers[i], (const char *)data + starts[i], lengths[i],
		                          namespace, *body, *body_len) < 0)
			return sanctum_error__wrap(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
			                           "%s: signature %zu refused", what, i + 1);
		for (size_t k = 0; k < i; k++)
			if (sodium_memcmp(signers[k], signers[i], SANCTUM_ED25519_PUBLIC_KEY_SIZE) == 0)
				return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
				                          "%s is signed twice by the same key", what);
	}
	*nsigners = n;
	return 0;
}

int sanctum_signed__open(const unsigned char **body, size_t *body_len,
                         unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                         const char *namespace, const unsigned char *data, size_t len,
                         const char *what)
{
	unsigned char (*one)[SANCTUM_ED25519_PUBLIC_KEY_SIZE] =
		(unsigned char (*)[SANCTUM_ED25519_PUBLIC_KEY_SIZE])signer;
	size_t n = 0;

	return sanctum_signed__open_all(body, body_len, one, &n, 1, namespace, data, len, what);
}

int sanctum_signed__cosign(sanctum_buf *out, const sanctum_identity *signer,
                           const char *namespace, const unsigned char *data, size_t len,
                           const char *what)
{
	unsigned char signers[SANCTUM_SIGNED_MAX_SIGNERS][SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_buf sig = SANCTUM_BUF_INIT;
	const unsigned char *body;
	size_t body_len, n = 0;
	int error;

	/* Only a file whose signatures all verify is signed again. */
	if ((error = sanctum_signed__open_all(&body, &body_len, signers, &n,
	                                      SANCTUM_SIGNED_MAX_SIGNERS - 1, namespace, data,
	                                      len, what)) < 0)
		return error;
	error = sanctum_identity_sign(&sig, signer, namespace, body, body_len);
	/* After the signatures already there: the first stays the author's (a roster entry's
	 * 'signer' field names the first signature's key). */
	if (error == 0 && (sanctum_buf_put(out, data, (size_t)(body - data)) < 0 ||
	                   sanctum_buf_put(out, sig.ptr, sig.size) < 0 ||
	                   sanctum_buf_put(out, body, body_len) < 0))
		error = SANCTUM_ENOMEM;
	if (error < 0)
		sanctum_buf_clear(out);
	sanctum_buf_dispose(&sig);
	return error;
}

void sanctum_lines__init(sanctum_lines *lines, const void *data, size_t len, const char *what)
{
	lines->pos = data;
	lines->end = (const char *)data + len;
	lines->value[0] = '\0';
	lines->what = what;
}

/* The next line without its LF, or NULL if there is no complete line. */
static const char *next_line(const sanctum_lines *lines, size_t *len)
{
	const char *nl;

	if (lines->pos >= lines->end)
		return NULL;
	nl = memchr(lines->pos, '\n', (size_t)(lines->end - lines->pos));
	if (!nl)
		return NULL;
	*len = (size_t)(nl - lines->pos);
	return lines->pos;
}

int sanctum_lines__expect(sanctum_lines *lines, const char *text)
{
	size_t len = 0;
	const char *line = next_line(lines, &len);

	if (!line || len != strlen(text) || memcmp(line, text, len) != 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "%s: expected the line '%s'", lines->what, text);
	lines->pos += len + 1;
	return 0;
}

int sanctum_lines__next_is(const sanctum_lines *lines, const char *key)
{
	size_t len = 0, klen = strlen(key);
	const char *line = next_line(lines, &len);

	return line && len > klen && memcmp(line, key, klen) == 0 && line[klen] == ' ';
}

const char *sanctum_lines__field(sanctum_lines *lines, const char *key)
{
	size_t len = 0, klen = strlen(key);
	const char *line = next_line(lines, &len);

	if (!sanctum_lines__next_is(lines, key)) {
		sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                   "%s: missing field '%s'", lines->what, key);
		return NULL;
	}
	if (len - klen - 1 >= sizeof(lines->value)) {
		sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                   "%s: field '%s' is too long", lines->what, key);
		return NULL;
	}
	memcpy(lines->value, line + klen + 1, len - klen - 1);
	lines->value[len - klen - 1] = '\0';
	if (strlen(lines->value) != len - klen - 1) {
		/* The value may be a secret key (epoch files): leave nothing of it behind. */
		sodium_memzero(lines->value, sizeof(lines->value));
		sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                   "%s: field '%s' contains a NUL byte", lines->what, key);
		return NULL;
	}
	lines->pos += len + 1;
	return lines->value;
}

int sanctum_lines__end(sanctum_lines *lines)
{
	if (lines->pos != lines->end)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "%s: unexpected data after the last field", lines->what);
	return 0;
}

int sanctum_parse_u64(uint64_t *out, const char *text, uint64_t max)
{
	uint64_t value = 0;

	if (!text[0] || (text[0] == '0' && text[1]))
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || value > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		value = value * 10 + (uint64_t)(*p - '0');
	}
	*out = value;
	return 0;
}

void sanctum_hex_encode(char *out, const unsigned char *data, size_t len)
{
	sodium_bin2hex(out, 2 * len + 1, data, len);
}

int sanctum_hex_decode(unsigned char *out, size_t len, const char *hex)
{
	size_t got = 0;

	if (strlen(hex) != 2 * len)
		return -1;
	for (size_t i = 0; i < 2 * len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	if (sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL) != 0 || got != len)
		return -1;
	return 0;
}

/*
 * OpenSSH signatures (PROTOCOL.sshsig) with Ed25519 keys, and OpenSSH public key lines.
 *
 * A signature is the blob
 *     "SSHSIG" uint32(1) string(public key) string(namespace) string(reserved)
 *     string(hash algorithm) string(signature)
 * in a PEM-like armor. The Ed25519 signature covers
 *     "SSHSIG" string(namespace) string(reserved) string(hash algorithm) string(H(message))
 * so that a signature made for one purpose (a document) cannot be passed off as another
 * (a git commit). Only Ed25519 keys and the hashes sha512 and sha256 are accepted.
 */
#include "sanctum/sshsig.h"

#include "errors_internal.h"
#include "b64.h"
#include "sshbuf.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_MAGIC_LEN (sizeof(SSHSIG_MAGIC) - 1)
#define SSHSIG_VERSION 1
#define SSHSIG_HASH "sha512"      /* what we sign with, as ssh-keygen does by default */
#define KEY_TYPE "ssh-ed25519"
#define KEY_TYPE_LEN (sizeof(KEY_TYPE) - 1)
#define ED25519_SIG_SIZE crypto_sign_BYTES
/* string(type) string(key) and string(type) string(signature), as nested in the blob. */
#define KEY_BLOB_LEN (4 + KEY_TYPE_LEN + 4 + SANCTUM_ED25519_PUBLIC_KEY_SIZE)
#define SIG_BLOB_LEN (4 + KEY_TYPE_LEN + 4 + ED25519_SIG_SIZE)

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define ARMOR_COLUMNS 70          /* what ssh-keygen writes, so our output matches it */
#define ARMOR_MAX_COLUMNS 76      /* the PEM limit; longer lines are refused */
#define MAX_BLOB (SANCTUM_SSHSIG_MAX_ARMORED / 4 * 3)   /* the most the armor can hold */

#define MAX_NAMESPACE 1024        /* keeps what we sign far below the armored limit */
#define MAX_KEY_B64 1024          /* the longest base64 field of a key line we decode */
#define QUOTE_MAX SANCTUM_QUOTE_MAX /* untrusted text quoted in a message is cut here */

/* The fields of a parsed signature blob; the spans borrow from the decoded blob. */
typedef struct {
	unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	ssh_span namespace;
	const char *hash_alg;         /* SSHSIG_HASH or "sha256" */
	unsigned char signature[ED25519_SIG_SIZE];
} sshsig_fields;

static int malformed(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "malformed ssh signature: %s", what);
}

static int misuse(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "invalid argument: %s", what);
}

/* Quotes untrusted bytes for a message (see sanctum_error__quote). */
static const char *quote(char out[QUOTE_MAX + 4], const unsigned char *ptr, size_t len)
{
	return sanctum_error__quote(out, ptr, len, QUOTE_MAX);
}

/* ---- the wire format ---- */

/* string("ssh-ed25519") string(value), the form of both a key and a signature. */
static int put_typed(sanctum_buf *out, const unsigned char *value, size_t size)
{
	int error;

	if ((error = sanctum_sshbuf__put_cstring(out, KEY_TYPE)) < 0)
		return error;
	return sanctum_sshbuf__put_string(out, value, size);
}

/*
 * Parses string(type) string(value) with nothing after, where the type must be
 * ssh-ed25519 and the value `size` bytes. Returns 0; -2 when the type is another one
 * (named in `type`), so the caller can say which; -1 when malformed.
 */
static int parse_typed(ssh_span blob, ssh_span *type, unsigned char *value, size_t size)
{
	ssh_span got;

	if (sanctum_sshbuf__get_string(&blob, type) < 0)
		return -1;
	if (!sanctum_sshbuf__span_is(type, KEY_TYPE))
		return -2;
	if (sanctum_sshbuf__get_string(&blob, &got) < 0 || got.len != size || blob.len != 0)
		return -1;
	memcpy(value, got.ptr, size);
	return 0;
}

/* "SSHSIG" string(namespace) string("") string(hash algorithm) string(hash). */
static int put_signed_data(sanctum_buf *out, const char *namespace, const char *hash_alg,
                           const unsigned char *hash, size_t hash_len)
{
	int error;

	if ((error = sanctum_buf_put(out, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN)) < 0 ||
	    (error = sanctum_sshbuf__put_cstring(out, namespace)) < 0 ||
	    (error = sanctum_sshbuf__put_string(out, NULL, 0)) < 0 ||
	    (error = sanctum_sshbuf__put_cstring(out, hash_alg)) < 0)
		return error;
	return sanctum_sshbuf__put_string(out, hash, hash_len);
}

static int put_blob(sanctum_buf *out,
                    const unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                    const char *namespace, const char *hash_alg,
                    const unsigned char signature[ED25519_SIG_SIZE])
{
	int error;

	/* The nested key and signature blobs have fixed sizes, so their length prefixes are
	 * written ahead of them rather than built in a second buffer. */
	if ((error = sanctum_buf_put(out, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN)) < 0 ||
	    (error = sanctum_sshbuf__put_u32(out, SSHSIG_VERSION)) < 0 ||
	    (error = sanctum_sshbuf__put_u32(out, KEY_BLOB_LEN)) < 0 ||
	    (error = put_typed(out, public_key, SANCTUM_ED25519_PUBLIC_KEY_SIZE)) < 0 ||
	    (error = sanctum_sshbuf__put_cstring(out, namespace)) < 0 ||
	    (error = sanctum_sshbuf__put_string(out, NULL, 0)) < 0 ||
	    (error = sanctum_sshbuf__put_cstring(out, hash_alg)) < 0 ||
	    (error = sanctum_sshbuf__put_u32(out, SIG_BLOB_LEN)) < 0)
		return error;
	return put_typed(out, signature, ED25519_SIG_SIZE);
}

static int parse_key_field(sshsig_fields *sig, ssh_span field)
{
	char q[QUOTE_MAX + 4];
	ssh_span type;
	int kind = parse_typed(field, &type, sig->public_key, sizeof(sig->public_key));

	if (kind == -2)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "unsupported ssh signature key type '%s': only "
		                          "ssh-ed25519 keys are supported",
		                          quote(q, type.ptr, type.len));
	if (kind < 0)
		return malformed("the ssh-ed25519 public key field is not a 32-byte key");
	return 0;
}

static int parse_hash_field(sshsig_fields *sig, ssh_span field)
{
	char q[QUOTE_MAX + 4];

	if (sanctum_sshbuf__span_is(&field, SSHSIG_HASH))
		sig->hash_alg = SSHSIG_HASH;
	else if (sanctum_sshbuf__span_is(&field, "sha256"))
		sig->hash_alg = "sha256";
	else
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "unsupported ssh signature hash '%s': only sha512 and "
		                          "sha256 are supported", quote(q, field.ptr, field.len));
	return 0;
}

static int parse_signature_field(sshsig_fields *sig, ssh_span field)
{
	char q[QUOTE_MAX + 4];
	ssh_span type;
	int kind = parse_typed(field, &type, sig->signature, sizeof(sig->signature));

	if (kind == -2)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "malformed ssh signature: the signature has type '%s' "
		                          "but the key is ssh-ed25519",
		                          quote(q, type.ptr, type.len));
	if (kind < 0)
		return malformed("the signature field is not a 64-byte ssh-ed25519 signature");
	return 0;
}

static int parse_blob(sshsig_fields *sig, const unsigned char *data, size_t len)
{
	ssh_span reader = { data, len }, magic, key, reserved, hash_alg, signature;
	uint32_t version;
	int error;

	if (sanctum_sshbuf__get_bytes(&reader, &magic, SSHSIG_MAGIC_LEN) < 0 ||
	    memcmp(magic.ptr, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN) != 0)
		return malformed("the blob does not start with 'SSHSIG'");
	if (sanctum_sshbuf__get_u32(&reader, &version) < 0)
		return malformed("the blob ends inside the version");
	if (version != SSHSIG_VERSION)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "unsupported ssh signature version %" PRIu32
		                          " (only version 1 exists)", version);
	if (sanctum_sshbuf__get_string(&reader, &key) < 0 ||
	    sanctum_sshbuf__get_string(&reader, &sig->namespace) < 0 ||
	    sanctum_sshbuf__get_string(&reader, &reserved) < 0 ||
	    sanctum_sshbuf__get_string(&reader, &hash_alg) < 0 ||
	    sanctum_sshbuf__get_string(&reader, &signature) < 0)
		return malformed("a field runs past the end of the blob");
	if (reader.len != 0)
		return malformed("bytes follow the signature field");
	/* PROTOCOL.sshsig asks readers to ignore this field, and ssh-keygen signs as if it
	 * were empty whatever the blob holds. Ignoring it would let anyone change the bytes
	 * of a valid signature without breaking it; nobody writes it, so refuse instead. */
	if (reserved.len != 0)
		return malformed("the reserved field is not empty");
	if ((error = parse_key_field(sig, key)) < 0 ||
	    (error = parse_hash_field(sig, hash_alg)) < 0)
		return error;
	return parse_signature_field(sig, signature);
}

/* ---- armor ---- */

static int armor(sanctum_buf *out, const sanctum_buf *blob)
{
	size_t cap = sodium_base64_ENCODED_LEN(blob->size, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(cap);
	size_t len;
	int error;

	if (!b64)
		return sanctum_error__nomem();
	sodium_bin2base64(b64, cap, blob->ptr, blob->size, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	error = sanctum_buf_puts(out, ARMOR_BEGIN "\n");
	for (size_t i = 0; error == 0 && i < len; i += ARMOR_COLUMNS) {
		size_t n = len - i < ARMOR_COLUMNS ? len - i : ARMOR_COLUMNS;

		if ((error = sanctum_buf_put(out, b64 + i, n)) == 0)
			error = sanctum_buf_puts(out, "\n");
	}
	if (error == 0)
		error = sanctum_buf_puts(out, ARMOR_END "\n");
	free(b64);
	return error;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Takes the line at `*pos` into `line`/`len`, without its LF or CRLF, and moves `*pos`
 * past it; the last line may lack its line end. Returns 0, or -1 at the end of the text.
 */
static int next_line(const char *text, size_t text_len, size_t *pos, const char **line,
                     size_t *len)
{
	const char *start = text + *pos, *nl;
	size_t n;

	if (*pos >= text_len)
		return -1;
	nl = memchr(start, '\n', text_len - *pos);
	n = nl ? (size_t)(nl - start) : text_len - *pos;
	*pos += nl ? n + 1 : n;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	*line = start;
	*len = n;
	return 0;
}

static int line_is(const char *line, size_t len, const char *text)
{
	return len == strlen(text) && memcmp(line, text, len) == 0;
}

/*
 * Decodes armored text into `blob` (room for MAX_BLOB bytes): the begin line, lines of
 * 1 to 76 base64 characters, the end line, each ended by LF or CRLF. Only whitespace may
 * come before or after. `len` is at most SANCTUM_SSHSIG_MAX_ARMORED.
 */
static int dearmor(unsigned char *blob, size_t *blob_len, const char *text, size_t len)
{
	char b64[SANCTUM_SSHSIG_MAX_ARMORED];
	size_t pos = 0, nb64 = 0, n = 0;
	const char *line = NULL;
	int ended = 0;

	while (pos < len && is_space(text[pos]))
		pos++;
	if (next_line(text, len, &pos, &line, &n) < 0 || !line_is(line, n, ARMOR_BEGIN))
		return malformed("it does not start with '" ARMOR_BEGIN "'");
	while (!ended && next_line(text, len, &pos, &line, &n) == 0) {
		if ((ended = line_is(line, n, ARMOR_END)))
			break;
		if (n == 0 || n > ARMOR_MAX_COLUMNS)
			return malformed("a base64 line is empty or longer than 76 columns");
		memcpy(b64 + nb64, line, n);
		nb64 += n;
	}
	if (!ended)
		return malformed("the '" ARMOR_END "' line is missing");
	for (; pos < len; pos++)
		if (!is_space(text[pos]))
			return malformed("text follows the '" ARMOR_END "' line");
	if (nb64 == 0)
		return malformed("there is no base64 between the armor lines");
	/* Strict decoding refuses characters outside the alphabet, misplaced or missing padding
	 * and non-zero trailing bits, so each blob has one armored form (up to line breaks). */
	if (sanctum_b64__decode(blob, MAX_BLOB, blob_len, b64, nb64,
	                        sodium_base64_VARIANT_ORIGINAL) != 0)
		return malformed("the base64 has a bad character, is not canonical, or its padding "
		                 "is wrong");
	return 0;
}

/* ---- signing and verifying ---- */

/* H(message) with the named hash, which parse_hash_field has checked. */
static size_t hash_message(unsigned char out[crypto_hash_sha512_BYTES], const char *hash_alg,
                           const void *message, size_t len)
{
	const unsigned char *m = message ? message : (const unsigned char *)"";

	if (strcmp(hash_alg, "sha256") == 0) {
		crypto_hash_sha256(out, m, len);
		return crypto_hash_sha256_BYTES;
	}
	crypto_hash_sha512(out, m, len);
	return crypto_hash_sha512_BYTES;
}

static int check_namespace(const char *namespace)
{
	if (!namespace || !*namespace)
		return misuse("the signature namespace is empty");
	if (strlen(namespace) > MAX_NAMESPACE)
		return misuse("the signature namespace is longer than 1024 bytes");
	return 0;
}

static int namespace_mismatch(const ssh_span *got, const char *want)
{
	char q_got[QUOTE_MAX + 4], q_want[QUOTE_MAX + 4];

	return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
	                          "the ssh signature is for namespace '%s', not '%s'",
	                          quote(q_got, got->ptr, got->len),
	                          quote(q_want, (const unsigned char *)want, strlen(want)));
}

int sanctum_sshsig_verify(unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                          const char *armored, size_t armored_len, const char *namespace,
                          const void *message, size_t len)
{
	unsigned char blob[MAX_BLOB], hash[crypto_hash_sha512_BYTES];
	sanctum_buf data = SANCTUM_BUF_INIT;
	sshsig_fields sig;
	size_t blob_len = 0, hash_len;
	int error;

	if (!signer || (!armored && armored_len) || (!message && len))
		return misuse("sanctum_sshsig_verify needs a signer, a signature and a message");
	memset(signer, 0, SANCTUM_ED25519_PUBLIC_KEY_SIZE);
	if ((error = check_namespace(namespace)) < 0)
		return error;
	if (armored_len > SANCTUM_SSHSIG_MAX_ARMORED)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the ssh signature is %zu bytes long, more than the %d "
		                          "accepted", armored_len, SANCTUM_SSHSIG_MAX_ARMORED);
	if ((error = dearmor(blob, &blob_len, armored ? armored : "", armored_len)) < 0 ||
	    (error = parse_blob(&sig, blob, blob_len)) < 0)
		return error;
	if (!sanctum_sshbuf__span_is(&sig.namespace, namespace))
		return namespace_mismatch(&sig.namespace, namespace);

	/* The message may be a document's plaintext: its hash is wiped like the text. */
	hash_len = hash_message(hash, sig.hash_alg, message, len);
	if ((error = put_signed_data(&data, namespace, sig.hash_alg, hash, hash_len)) < 0)
		goto done;
	if (crypto_sign_verify_detached(sig.signature, data.ptr, data.size, sig.public_key) != 0) {
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           "the ssh signature does not match the message: the "
		                           "message or the signature was changed after signing");
		goto done;
	}
	memcpy(signer, sig.public_key, SANCTUM_ED25519_PUBLIC_KEY_SIZE);
done:
	sodium_memzero(hash, sizeof(hash));
	sanctum_buf_dispose(&data);
	return error;
}

/* Signs, then checks the result the way a reader will, so a damaged key is caught here. */
static int sign_armored(sanctum_buf *armored,
                        const unsigned char secret_key[SANCTUM_ED25519_SECRET_KEY_SIZE],
                        const char *namespace, const void *message, size_t len)
{
	unsigned char hash[crypto_hash_sha512_BYTES], sig[ED25519_SIG_SIZE];
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_buf data = SANCTUM_BUF_INIT, blob = SANCTUM_BUF_INIT;
	size_t hash_len = hash_message(hash, SSHSIG_HASH, message, len);
	int error;

	if ((error = put_signed_data(&data, namespace, SSHSIG_HASH, hash, hash_len)) < 0)
		goto done;
	crypto_sign_detached(sig, NULL, data.ptr, data.size, secret_key);
	if ((error = put_blob(&blob, secret_key + crypto_sign_SEEDBYTES, namespace, SSHSIG_HASH,
	                      sig)) < 0 ||
	    (error = armor(armored, &blob)) < 0)
		goto done;
	error = sanctum_sshsig_verify(signer, (const char *)armored->ptr, armored->size, namespace,
	                              message, len);
	if (error < 0 && error != SANCTUM_ENOMEM)
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_CRYPTO,
		                           "the new ssh signature does not verify: the public half "
		                           "of the Ed25519 secret key does not match its seed");
done:
	sodium_memzero(hash, sizeof(hash));
	sanctum_buf_dispose(&data);
	sanctum_buf_dispose(&blob);
	return error;
}

int sanctum_sshsig_sign(sanctum_buf *out,
                        const unsigned char secret_key[SANCTUM_ED25519_SECRET_KEY_SIZE],
                        const char *namespace, const void *message, size_t len)
{
	sanctum_buf armored = SANCTUM_BUF_INIT;
	int error;

	if (!out || !secret_key || (!message && len))
		return misuse("sanctum_sshsig_sign needs an output, a secret key and a message");
	if ((error = check_namespace(namespace)) < 0)
		return error;
	if ((error = sign_armored(&armored, secret_key, namespace, message, len)) == 0) {
		sanctum_buf_clear(out);
		error = sanctum_buf_put(out, armored.ptr, armored.size);
	}
	sanctum_buf_dispose(&armored);
	return error;
}

/* ---- public key lines ---- */

int sanctum_ssh_public_key_encode(sanctum_buf *out,
                                  const unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                                  const char *comment)
{
	char b64[sodium_base64_ENCODED_LEN(KEY_BLOB_LEN, sodium_base64_VARIANT_ORIGINAL)];
	sanctum_buf blob = SANCTUM_BUF_INIT;
	int error;

	if (!out || !public_key)
		return misuse("sanctum_ssh_public_key_encode needs an output and a key");
	/* A line break would let the comment smuggle a second key into a keys file. */
	if (comment && strpbrk(comment, "\r\n"))
		return misuse("the ssh key comment holds a line break");
	if ((error = put_typed(&blob, public_key, SANCTUM_ED25519_PUBLIC_KEY_SIZE)) < 0)
		goto done;
	sodium_bin2base64(b64, sizeof(b64), blob.ptr, blob.size, sodium_base64_VARIANT_ORIGINAL);
	sanctum_buf_clear(out);
	if ((error = sanctum_buf_puts(out, KEY_TYPE " ")) == 0 &&
	    (error = sanctum_buf_puts(out, b64)) == 0 && comment && *comment &&
	    (error = sanctum_buf_puts(out, " ")) == 0)
		error = sanctum_buf_puts(out, comment);
done:
	if (error < 0)
		sanctum_buf_clear(out);
	sanctum_buf_dispose(&blob);
	return error;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int bad_key(const char *what)
{
	return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID,
	                          "invalid ssh public key: %s", what);
}

/* Decodes the base64 field of an ssh-ed25519 key line into the key it holds. */
static int decode_key_field(unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                            const char *b64, size_t len)
{
	unsigned char blob[MAX_KEY_B64 / 4 * 3];
	char q[QUOTE_MAX + 4];
	ssh_span type;
	size_t blob_len = 0;
	int kind;

	if (len == 0)
		return bad_key("no base64 key follows 'ssh-ed25519'");
	if (len > MAX_KEY_B64)
		return bad_key("the base64 key is far too long for ssh-ed25519");
	if (sanctum_b64__decode(blob, sizeof(blob), &blob_len, b64, len,
	                        sodium_base64_VARIANT_ORIGINAL) != 0)
		return bad_key("the key is not valid base64");
	kind = parse_typed((ssh_span){ blob, blob_len }, &type, public_key,
	                   SANCTUM_ED25519_PUBLIC_KEY_SIZE);
	if (kind == -2)
		return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID,
		                          "invalid ssh public key: the line says ssh-ed25519 but "
		                          "the key blob says '%s'", quote(q, type.ptr, type.len));
	if (kind < 0)
		return bad_key("the ssh-ed25519 key blob does not hold exactly a 32-byte key");
	return 0;
}

int sanctum_ssh_public_key_parse(unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                                 const char *line, size_t len)
{
	char q[QUOTE_MAX + 4];
	const unsigned char *type;
	size_t start = 0, end = len, type_end, b64_start, b64_end;

	if (!public_key || (!line && len))
		return misuse("sanctum_ssh_public_key_parse needs a key and a line");
	memset(public_key, 0, SANCTUM_ED25519_PUBLIC_KEY_SIZE);
	while (start < end && is_space(line[start]))
		start++;
	while (end > start && is_space(line[end - 1]))
		end--;
	if (start == end)
		return bad_key("the line is empty");
	for (size_t i = start; i < end; i++)
		if (line[i] == '\n' || line[i] == '\r' || line[i] == '\0')
			return bad_key("it is more than one line");

	for (type_end = start; type_end < end && !is_blank(line[type_end]); type_end++)
		;
	type = (const unsigned char *)line + start;
	if (!line_is(line + start, type_end - start, KEY_TYPE))
		return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID,
		                          "unsupported ssh key type '%s': only ssh-ed25519 keys "
		                          "are accepted", quote(q, type, type_end - start));
	for (b64_start = type_end; b64_start < end && is_blank(line[b64_start]); b64_start++)
		;
	for (b64_end = b64_start; b64_end < end && !is_blank(line[b64_end]); b64_end++)
		;
	/* Whatever follows is the comment, which says nothing about the key. */
	return decode_key_field(public_key, line + b64_start, b64_end - b64_start);
}

/*
 * A member's identity (identity.h): the two key pairs, the identity file that keeps them,
 * and the public card.
 *
 * The file is written through a temporary file beside it that is checked before it
 * becomes visible: a new identity is linked into place (link() never replaces a file), a
 * changed passphrase is renamed over the old file. Reading is strict: the plaintext has
 * exactly six lines in a fixed order, and any other shape is refused with the number of
 * the line that is wrong, so a damaged key file is never half understood.
 */
#include "sanctum/identity.h"

#include "age_internal.h"
#include "b64.h"
#include "errors_internal.h"
#include "identity_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IDENTITY_VERSION_LINE "sanctum-identity v1"
#define IDENTITY_MAGIC "sanctum-identity "     /* the version line without its version */
#define IDENTITY_FILE_MAX (64u * 1024)          /* a larger file is not an identity file */
#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define CREATED_LEN 20                          /* "2026-11-29T17:00:00Z" */
#define SEED_SIZE crypto_sign_SEEDBYTES
#define SEED_B64_SIZE sodium_base64_ENCODED_LEN(SEED_SIZE, sodium_base64_VARIANT_ORIGINAL)
#define SSH_KEY_TYPE "ssh-ed25519"
#define SSH_KEY_TYPE_LEN (sizeof(SSH_KEY_TYPE) - 1)
#define SSH_KEY_BLOB_LEN (4 + SSH_KEY_TYPE_LEN + 4 + SANCTUM_ED25519_PUBLIC_KEY_SIZE)

#define CARD_PREFIX "sanctum-card-v1"
#define CARD_MAGIC "sanctum-card-"              /* the prefix without its version */
#define CARD_FIELDS 6                           /* prefix city device key recipient sum */
#define CARD_MAX 256                            /* a real card is about 170 characters */
#define CARD_KEY_B64_SIZE \
	sodium_base64_ENCODED_LEN(SANCTUM_ED25519_PUBLIC_KEY_SIZE, \
	                          sodium_base64_VARIANT_URLSAFE_NO_PADDING)
#define CHECKSUM_LEN 8                          /* hex digits: the first 4 bytes of SHA-256 */
#define TEMP_ATTEMPTS 16                        /* random temporary names tried */

struct sanctum_identity {
	char city[SANCTUM_NAME_MAX + 1];
	char device[SANCTUM_NAME_MAX + 1];
	char created[CREATED_LEN + 1];                                /* UTC, as written */
	unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];    /* Ed25519 */
	unsigned char *secret_key;      /* sodium_malloc'd: seed || public key (libsodium's) */
	sanctum_age_identity *age;      /* X25519; its secret is in sodium_malloc memory */
};

static int misuse(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "invalid argument: %s", what);
}

/* ---- names and fingerprints -------------------------------------------------------- */

static int name_is_valid(const char *name, size_t len)
{
	if (len == 0 || len > SANCTUM_NAME_MAX || name[0] == '-' || name[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

int sanctum_name_is_valid(const char *name)
{
	return name && name_is_valid(name, strnlen(name, SANCTUM_NAME_MAX + 1));
}

/* A name held in a fixed array, which must be NUL-terminated within it. */
static int array_name_is_valid(const char name[SANCTUM_NAME_MAX + 1])
{
	return memchr(name, '\0', SANCTUM_NAME_MAX + 1) != NULL && sanctum_name_is_valid(name);
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void sanctum_key_fingerprint(char out[SANCTUM_FINGERPRINT_SIZE],
                             const unsigned char signing_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE])
{
	/* The public key blob of RFC 8709: string "ssh-ed25519", string key. */
	unsigned char blob[SSH_KEY_BLOB_LEN];
	unsigned char hash[crypto_hash_sha256_BYTES];

	put_u32(blob, SSH_KEY_TYPE_LEN);
	memcpy(blob + 4, SSH_KEY_TYPE, SSH_KEY_TYPE_LEN);
	put_u32(blob + 4 + SSH_KEY_TYPE_LEN, SANCTUM_ED25519_PUBLIC_KEY_SIZE);
	memcpy(blob + 8 + SSH_KEY_TYPE_LEN, signing_key, SANCTUM_ED25519_PUBLIC_KEY_SIZE);
	crypto_hash_sha256(hash, blob, sizeof(blob));
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, SANCTUM_FINGERPRINT_SIZE - 7, hash, sizeof(hash),
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

/* ---- the identity object ------------------------------------------------------------ */

static sanctum_identity *identity_alloc(void)
{
	sanctum_identity *id = calloc(1, sizeof(*id));

	if (!id)
		return NULL;
	id->secret_key = sodium_malloc(SANCTUM_ED25519_SECRET_KEY_SIZE);
	if (!id->secret_key) {
		free(id);
		return NULL;
	}
	return id;
}

void sanctum_identity_free(sanctum_identity *identity)
{
	if (!identity)
		return;
	sodium_free(identity->secret_key); /* wipes */
	sanctum_age_identity_free(identity->age);
	sodium_memzero(identity, sizeof(*identity));
	free(identity);
}

static int bad_name(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "invalid %s name: use 1 to %d lowercase letters, digits and '-', "
	                          "not starting or ending with '-'",
	                          what, SANCTUM_NAME_MAX);
}

/* The current time as "YYYY-MM-DDTHH:MM:SSZ". */
static int now_utc(char out[CREATED_LEN + 1])
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
	    strftime(out, CREATED_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != CREATED_LEN)
		return sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
		                          "cannot read the current time");
	return 0;
}

int sanctum_identity_generate(sanctum_identity **out, const char *city, const char *device)
{
	sanctum_identity *id;
	int error;

	if (!out)
		return misuse("sanctum_identity_generate needs an output");
	*out = NULL;
	if (!sanctum_name_is_valid(city))
		return bad_name("city");
	if (!sanctum_name_is_valid(device))
		return bad_name("device");
	if (!(id = identity_alloc()))
		return sanctum_error__nomem();
	snprintf(id->city, sizeof(id->city), "%s", city);
	snprintf(id->device, sizeof(id->device), "%s", device);
	if ((error = now_utc(id->created)) < 0)
		goto fail;
	if (crypto_sign_keypair(id->public_key, id->secret_key) != 0) {
		error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                           "cannot make an Ed25519 key pair");
		goto fail;
	}
	if ((error = sanctum_age_identity_generate(&id->age)) < 0)
		goto fail;
	*out = id;
	return 0;
fail:
	sanctum_identity_free(id);
	return error;
}

const char *sanctum_identity_city(const sanctum_identity *identity)
{
	return identity->city;
}

const char *sanctum_identity_device(const sanctum_identity *identity)
{
	return identity->device;
}

const sanctum_age_identity *sanctum_identity_age(const sanctum_identity *identity)
{
	return identity->age;
}

void sanctum_identity_card(sanctum_card *out, const sanctum_identity *identity)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->city, identity->city, sizeof(out->city));
	memcpy(out->device, identity->device, sizeof(out->device));
	memcpy(out->signing_key, identity->public_key, sizeof(out->signing_key));
	memcpy(out->age_key, identity->age->public_key, sizeof(out->age_key));
}

int sanctum_identity_sign(sanctum_buf *out, const sanctum_identity *identity,
                          const char *namespace, const void *message, size_t len)
{
	if (!identity)
		return misuse("sanctum_identity_sign needs an identity");
	return sanctum_sshsig_sign(out, identity->secret_key, namespace, message, len);
}

/* Whether two identities hold the same names and keys. */
static int same_identity(const sanctum_identity *a, const sanctum_identity *b)
{
	return strcmp(a->city, b->city) == 0 && strcmp(a->device, b->device) == 0 &&
	       strcmp(a->created, b->created) == 0 &&
	       sodium_memcmp(a->secret_key, b->secret_key, SANCTUM_ED25519_SECRET_KEY_SIZE) == 0 &&
	       sodium_memcmp(a->age->secret_key, b->age->secret_key,
	                     SANCTUM_AGE_X25519_KEY_SIZE) == 0;
}

/* ---- the plaintext ------------------------------------------------------------------ */

/* The six lines of the identity file's plaintext, into `out` (which then holds secrets). */
static int identity_text(sanctum_buf *out, const sanctum_identity *id)
{
	char seed[SEED_B64_SIZE];
	sanctum_buf age = SANCTUM_BUF_INIT;
	int error;

	sodium_bin2base64(seed, sizeof(seed), id->secret_key, SEED_SIZE,
	                  sodium_base64_VARIANT_ORIGINAL);
	sanctum_buf_clear(out);
	if ((error = sanctum_age_identity_encode(&age, id->age)) == 0 &&
	    (error = sanctum_buf_puts(out, IDENTITY_VERSION_LINE "\ncity ")) == 0 &&
	    (error = sanctum_buf_puts(out, id->city)) == 0 &&
	    (error = sanctum_buf_puts(out, "\ndevice ")) == 0 &&
	    (error = sanctum_buf_puts(out, id->device)) == 0 &&
	    (error = sanctum_buf_puts(out, "\ncreated ")) == 0 &&
	    (error = sanctum_buf_puts(out, id->created)) == 0 &&
	    (error = sanctum_buf_puts(out, "\ned25519 ")) == 0 &&
	    (error = sanctum_buf_puts(out, seed)) == 0 &&
	    (error = sanctum_buf_puts(out, "\nage ")) == 0 &&
	    (error = sanctum_buf_put(out, age.ptr, age.size)) == 0)
		error = sanctum_buf_puts(out, "\n");
	if (error < 0)
		sanctum_buf_clear(out);
	sodium_memzero(seed, sizeof(seed));
	sanctum_buf_dispose(&age);
	return error;
}

/* Reads the plaintext line by line, knowing which line it is at for the messages. */
typedef struct {
	const char *text;
	size_t len;
	size_t pos;               /* start of the next line */
	unsigned line;            /* number of the line taken last, from 1 */
	const char *path;         /* for messages */
} line_reader;

static SANCTUM_PRINTF(2, 3) int corrupt(const line_reader *r, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "identity '%s': line %u: %s", r->path, r->line, what);
}

/* Takes the next line, which must exist and end with '\n' (not kept). */
static int next_line(line_reader *r, const char *what, const char **line, size_t *len)
{
	const char *start, *nl;

	r->line++;
	if (r->pos >= r->len)
		return corrupt(r, "the %s line is missing: the file is truncated", what);
	start = r->text + r->pos;
	nl = memchr(start, '\n', r->len - r->pos);
	if (!nl)
		return corrupt(r, "the %s line has no end: the file is truncated", what);
	*line = start;
	*len = (size_t)(nl - start);
	r->pos += *len + 1;
	return 0;
}

/* Takes the line "<key> <value>" and points `value` at its value, which is not empty. */
static int take_field(line_reader *r, const char *key, const char **value, size_t *len)
{
	size_t key_len = strlen(key);
	const char *line;
	size_t line_len;
	int error;

	if ((error = next_line(r, key, &line, &line_len)) < 0)
		return error;
	if (line_len <= key_len + 1 || memcmp(line, key, key_len) != 0 || line[key_len] != ' ')
		return corrupt(r, "expected '%s ...'", key);
	*value = line + key_len + 1;
	*len = line_len - key_len - 1;
	return 0;
}

static int digits(const char *s, size_t n, int low, int high)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v >= low && v <= high;
}

/* "YYYY-MM-DDTHH:MM:SSZ" with plausible fields. */
static int timestamp_is_valid(const char *s, size_t len)
{
	return len == CREATED_LEN && digits(s, 4, 1970, 9999) && s[4] == '-' &&
	       digits(s + 5, 2, 1, 12) && s[7] == '-' && digits(s + 8, 2, 1, 31) && s[10] == 'T' &&
	       digits(s + 11, 2, 0, 23) && s[13] == ':' && digits(s + 14, 2, 0, 59) &&
	       s[16] == ':' && digits(s + 17, 2, 0, 60) && s[19] == 'Z';
}

static int parse_header(line_reader *r)
{
	const char *line;
	size_t len;
	int error;

	if (r->len == 0) {
		r->line = 1;
		return corrupt(r, "the file is empty");
	}
	if ((error = next_line(r, "version", &line, &len)) < 0)
		return error;
	if (len == strlen(IDENTITY_VERSION_LINE) &&
	    memcmp(line, IDENTITY_VERSION_LINE, len) == 0)
		return 0;
	if (len > strlen(IDENTITY_MAGIC) &&
	    memcmp(line, IDENTITY_MAGIC, strlen(IDENTITY_MAGIC)) == 0)
		return corrupt(r, "unsupported identity file version (this sanctum reads '%s')",
		               IDENTITY_VERSION_LINE);
	return corrupt(r, "not a sanctum identity file (expected '%s')", IDENTITY_VERSION_LINE);
}

static int parse_name(line_reader *r, const char *key, char out[SANCTUM_NAME_MAX + 1])
{
	const char *value;
	size_t len;
	int error;

	if ((error = take_field(r, key, &value, &len)) < 0)
		return error;
	if (!name_is_valid(value, len))
		return corrupt(r, "invalid %s name", key);
	memcpy(out, value, len);
	out[len] = '\0';
	return 0;
}

/* The Ed25519 key pair from the base64 seed of the "ed25519" line. */
static int parse_seed(line_reader *r, sanctum_identity *id)
{
	unsigned char seed[SEED_SIZE];
	const char *value;
	size_t len, got = 0;
	int error;

	if ((error = take_field(r, "ed25519", &value, &len)) < 0)
		return error;
	/* Strict decoding refuses bad characters and non-zero padding bits: one canonical form. */
	if (len != SEED_B64_SIZE - 1 ||
	    sanctum_b64__decode(seed, sizeof(seed), &got, value, len,
	                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != SEED_SIZE)
		error = corrupt(r, "the ed25519 seed is not 32 bytes of base64");
	else if (crypto_sign_seed_keypair(id->public_key, id->secret_key, seed) != 0)
		error = corrupt(r, "the ed25519 seed does not make a key pair");
	sodium_memzero(seed, sizeof(seed));
	return error;
}

int sanctum_identity__parse_text(sanctum_identity **out, const char *text, size_t len,
                                 const char *path)
{
	line_reader r = { text, len, 0, 0, path };
	sanctum_identity *id = identity_alloc();
	const char *value;
	size_t value_len;
	int error;

	*out = NULL;
	if (!id)
		return sanctum_error__nomem();
	if ((error = parse_header(&r)) < 0 || (error = parse_name(&r, "city", id->city)) < 0 ||
	    (error = parse_name(&r, "device", id->device)) < 0)
		goto fail;
	if ((error = take_field(&r, "created", &value, &value_len)) < 0)
		goto fail;
	if (!timestamp_is_valid(value, value_len)) {
		error = corrupt(&r, "the creation time is not of the form YYYY-MM-DDTHH:MM:SSZ");
		goto fail;
	}
	memcpy(id->created, value, CREATED_LEN);
	id->created[CREATED_LEN] = '\0';
	if ((error = parse_seed(&r, id)) < 0 ||
	    (error = take_field(&r, "age", &value, &value_len)) < 0)
		goto fail;
	if ((error = sanctum_age_identity_parse(&id->age, value, value_len)) < 0) {
		/* The age message may not name the file; ours does, and never quotes the key. */
		if (error != SANCTUM_ENOMEM)
			error = corrupt(&r, "the age secret key is not valid");
		goto fail;
	}
	if (r.pos != r.len) {
		r.line++;
		error = corrupt(&r, "unexpected text after the age key");
		goto fail;
	}
	*out = id;
	return 0;
fail:
	sanctum_identity_free(id);
	return error;
}

/* ---- the file ---------------------------------------------------------------------- */

/* Whether the bytes of an identity file are an age file, binary or armored. */
static int data_is_encrypted(const unsigned char *data, size_t len)
{
	const size_t binary_len = strlen(AGE_VERSION_LINE), armor_len = strlen(ARMOR_BEGIN);

	if (len >= binary_len && memcmp(data, AGE_VERSION_LINE, binary_len) == 0)
		return 1;
	/* The armor may follow blank space, as the age decryptor accepts. */
	while (len > 0 && (*data == ' ' || *data == '\t' || *data == '\r' || *data == '\n')) {
		data++;
		len--;
	}
	return len >= armor_len && memcmp(data, ARMOR_BEGIN, armor_len) == 0;
}

/*
 * Reads the whole regular file `path` into `out`, and its mode into `*mode`. A missing file
 * is SANCTUM_ENOTFOUND; anything that is not a regular file, or too large to be an
 * identity, is SANCTUM_EINVALID.
 */
static int read_file(sanctum_buf *out, mode_t *mode, const char *path)
{
	unsigned char chunk[4096];
	struct stat st;
	int fd, error = 0;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno == ENOENT)
			return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_OS,
			                          "identity '%s' does not exist", path);
		return sanctum_error__os("cannot open identity '%s'", path);
	}
	if (fstat(fd, &st) != 0) {
		error = sanctum_error__os("cannot read identity '%s'", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "identity '%s' is not a regular file", path);
		goto done;
	}
	*mode = st.st_mode;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = sanctum_error__os("cannot read identity '%s'", path);
			break;
		}
		if (n == 0)
			break;
		if (out->size + (size_t)n > IDENTITY_FILE_MAX) {
			error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                           "identity '%s' is too large to be an identity file",
			                           path);
			break;
		}
		if ((error = sanctum_buf_put(out, chunk, (size_t)n)) < 0)
			break;
	}
done:
	sodium_memzero(chunk, sizeof(chunk));
	close(fd);
	if (error < 0)
		sanctum_buf_clear(out);
	return error;
}

/* Turns the bytes of an identity file into an identity, decrypting them first if needed. */
static int decode_file(sanctum_identity **out, const unsigned char *data, size_t len,
                       const char *path, sanctum_passphrase_fn ask, void *payload)
{
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	int error;

	*out = NULL;
	if (!data_is_encrypted(data, len))
		return sanctum_identity__parse_text(out, (const char *)data, len, path);
	if (!ask)
		return sanctum_error__set(SANCTUM_EBADPASS, SANCTUM_ERRCLASS_INVALID,
		                          "identity '%s' is protected by a passphrase, and none was "
		                          "given", path);
	opts.passphrase = ask;
	opts.passphrase_payload = payload;
	error = sanctum_age_decrypt(&plain, NULL, 0, &opts, data, len);
	if (error < 0)
		error = sanctum_error__wrap(error, SANCTUM_ERRCLASS_AGE, "identity '%s'", path);
	else
		error = sanctum_identity__parse_text(out, (const char *)plain.ptr, plain.size, path);
	sanctum_buf_dispose(&plain);
	return error;
}

int sanctum_identity_load(sanctum_identity **out, const char *path, sanctum_passphrase_fn ask,
                          void *payload)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	mode_t mode = 0;
	int error;

	if (!out || !path)
		return misuse("sanctum_identity_load needs an output and a path");
	*out = NULL;
	if ((error = read_file(&data, &mode, path)) < 0)
		goto done;
	/* Like ssh with its private keys: a key others can read is no longer secret. */
	if (!data_is_encrypted(data.ptr, data.size) && (mode & 077) != 0) {
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "identity '%s' is readable by others: run chmod 600 '%s'",
		                           path, path);
		goto done;
	}
	error = decode_file(out, data.ptr, data.size, path, ask, payload);
done:
	sanctum_buf_dispose(&data);
	return error;
}

int sanctum_identity_file_is_encrypted(const char *path)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	mode_t mode = 0;
	int error;

	if (!path)
		return misuse("sanctum_identity_file_is_encrypted needs a path");
	if ((error = read_file(&data, &mode, path)) == 0)
		error = data_is_encrypted(data.ptr, data.size);
	sanctum_buf_dispose(&data);
	return error;
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct {
	const char *passphrase;
	size_t len;
} known_passphrase;

/* A sanctum_passphrase_fn that answers with the passphrase the file was just made with. */
static int give_passphrase(sanctum_buf *out, void *payload)
{
	const known_passphrase *p = payload;

	return sanctum_buf_put(out, p->passphrase, p->len);
}

/*
 * The bytes of the identity file: the plaintext, or its age encryption (armored, so the
 * file stays text). They are decoded again and compared with the identity before anyone
 * relies on them: a bug in an encoder must not cost a member their keys.
 */
static int encode_file(sanctum_buf *out, const sanctum_identity *identity, const char *path,
                       const char *passphrase, size_t len, int work_factor)
{
	known_passphrase known = { passphrase, len };
	sanctum_age_recipient *recipient = NULL;
	sanctum_identity *again = NULL;
	sanctum_buf text = SANCTUM_BUF_INIT;
	int error;

	if ((error = identity_text(&text, identity)) < 0)
		goto done;
	if (!passphrase) {
		sanctum_buf_clear(out);
		error = sanctum_buf_put(out, text.ptr, text.size);
	} else if ((error = sanctum_age_recipient_from_passphrase(&recipient, passphrase, len,
	                                                          work_factor)) == 0) {
		error = sanctum_age_encrypt(out, (const sanctum_age_recipient *const *)&recipient, 1,
		                            SANCTUM_AGE_ARMOR, text.ptr, text.size);
	}
	if (error < 0)
		goto done;
	error = decode_file(&again, out->ptr, out->size, path,
	                    passphrase ? give_passphrase : NULL, &known);
	if (error != SANCTUM_ENOMEM && (error < 0 || !same_identity(identity, again)))
		error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_INVALID,
		                           "the new identity file does not read back as the same "
		                           "keys; nothing was written");
done:
	if (error < 0)
		sanctum_buf_clear(out);
	sanctum_identity_free(again);
	sanctum_age_recipient_free(recipient);
	sanctum_buf_dispose(&text);
	return error;
}

/* The folder of `path` ("." when it has none) in a new string, or NULL without memory. */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
	char *dir = malloc(len + 1);

	if (!dir)
		return NULL;
	memcpy(dir, !slash ? "." : path, len);
	dir[len] = '\0';
	return dir;
}

/*
 * Creates the folder that will hold `path` and any missing folders above it, with mode
 * 0700 like ~/.config/sanctum should have. Existing folders are left as they are.
 */
static int make_parents(const char *path)
{
	char *dir = parent_of(path);
	struct stat st;
	int error = 0;

	if (!dir)
		return sanctum_error__nomem();
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
			                           "cannot write identity '%s': '%s' is not a folder",
			                           path, dir);
		goto done;
	}
	if (errno != ENOENT) {
		error = sanctum_error__os("cannot write identity '%s'", path);
		goto done;
	}
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			error = sanctum_error__os("cannot create the folder '%s'", dir);
		*p = '/';
		if (error < 0)
			goto done;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		error = sanctum_error__os("cannot create the folder '%s'", dir);
done:
	free(dir);
	return error;
}

/* Makes a new name durable. A failure costs durability only, so it is not reported. */
static void sync_parent(const char *path)
{
	char *dir = parent_of(path);
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* "dir/.name.tmp-<16 random hex digits>" for "dir/name": hidden, on the same file system. */
static char *temp_name(const char *path)
{
	unsigned char rnd[8];
	char hex[2 * sizeof(rnd) + 1];
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t size = strlen(path) + sizeof(".") + sizeof(".tmp-") + sizeof(hex);
	char *tmp = malloc(size);

	if (!tmp)
		return NULL;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(tmp, size, "%.*s.%s.tmp-%s", (int)dirlen, path, path + dirlen, hex);
	return tmp;
}

static int write_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads the temporary file again and checks it holds exactly `data`. */
static int read_back(const char *tmp, const char *shown, const sanctum_buf *data)
{
	sanctum_buf got = SANCTUM_BUF_INIT;
	mode_t mode = 0;
	int error = read_file(&got, &mode, tmp);

	if (error == 0 && (got.size != data->size || (mode & 0777) != 0600 ||
	                   sodium_memcmp(got.ptr, data->ptr, data->size) != 0))
		error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS,
		                           "identity '%s' did not read back as it was written; "
		                           "nothing was saved", shown);
	sanctum_buf_dispose(&got);
	return error;
}

/*
 * Writes `data` to a new temporary file beside `target` (mode 0600, O_EXCL|O_NOFOLLOW),
 * syncs it, and reads it back. On success `*tmp_out` names it and the caller links or
 * renames it; on failure nothing is left behind. `shown` is the path for messages.
 */
static int write_temp(char **tmp_out, const char *target, const char *shown,
                      const sanctum_buf *data)
{
	char *tmp = NULL;
	int fd = -1, error = 0;

	*tmp_out = NULL;
	for (int attempt = 0; attempt < TEMP_ATTEMPTS && fd < 0; attempt++) {
		free(tmp);
		if (!(tmp = temp_name(target)))
			return sanctum_error__nomem();
		do
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		while (fd < 0 && errno == EINTR);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		error = sanctum_error__os("cannot create a file beside identity '%s'", shown);
		free(tmp);
		return error;
	}
	/* 0600 whatever the umask, so that the file can be read back and nobody else can. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, data->ptr, data->size) != 0 || fsync(fd) != 0)
		error = sanctum_error__os("cannot write identity '%s'", shown);
	if (close(fd) != 0 && error == 0)
		error = sanctum_error__os("cannot write identity '%s'", shown);
	if (error == 0)
		error = read_back(tmp, shown, data);
	if (error < 0) {
		unlink(tmp);
		free(tmp);
		return error;
	}
	*tmp_out = tmp;
	return 0;
}

static int check_save_args(const sanctum_identity *identity, const char *path,
                           const char *passphrase, size_t len, int work_factor)
{
	size_t path_len = path ? strlen(path) : 0;

	if (!identity || path_len == 0)
		return misuse("saving an identity needs an identity and a path");
	if (path[path_len - 1] == '/')
		return misuse("the identity path names a folder");
	if (!passphrase && len)
		return misuse("a passphrase length without a passphrase");
	if (passphrase && len == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "empty passphrase");
	/* A file sanctum itself would refuse to open must not be written. */
	if (work_factor < 0 || work_factor > SANCTUM_AGE_MAX_WORK_FACTOR)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "invalid work factor %d: sanctum reads identities up to %d",
		                          work_factor, SANCTUM_AGE_MAX_WORK_FACTOR);
	return 0;
}

static int exists(const char *path)
{
	return sanctum_error__set(SANCTUM_EEXISTS, SANCTUM_ERRCLASS_INVALID,
	                          "refusing to overwrite identity '%s': the file already exists",
	                          path);
}

int sanctum_identity_save(const sanctum_identity *identity, const char *path,
                          const char *passphrase, size_t len, int work_factor)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	struct stat st;
	char *tmp = NULL;
	int error;

	if ((error = check_save_args(identity, path, passphrase, len, work_factor)) < 0)
		return error;
	/* An early refusal before any work; link() below is the real guarantee. */
	if (lstat(path, &st) == 0)
		return exists(path);
	if ((error = make_parents(path)) < 0 ||
	    (error = encode_file(&data, identity, path, passphrase, len, work_factor)) < 0 ||
	    (error = write_temp(&tmp, path, path, &data)) < 0)
		goto done;
	if (link(tmp, path) != 0)
		error = errno == EEXIST ? exists(path)
		                        : sanctum_error__os("cannot write identity '%s'", path);
	unlink(tmp);
	if (error == 0)
		sync_parent(path);
done:
	free(tmp);
	sanctum_buf_dispose(&data);
	return error;
}

int sanctum_identity_replace(const sanctum_identity *identity, const char *path,
                             const char *passphrase, size_t len, int work_factor)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	char *target = NULL, *tmp = NULL;
	struct stat st;
	int error;

	if ((error = check_save_args(identity, path, passphrase, len, work_factor)) < 0)
		return error;
	/* Through a symbolic link, the file it points to is replaced, not the link. */
	if (!(target = realpath(path, NULL))) {
		if (errno == ENOENT)
			return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_OS,
			                          "identity '%s' does not exist", path);
		return sanctum_error__os("cannot find identity '%s'", path);
	}
	if (stat(target, &st) != 0) {
		error = sanctum_error__os("cannot read identity '%s'", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           "identity '%s' is not a regular file", path);
		goto done;
	}
	if ((error = encode_file(&data, identity, path, passphrase, len, work_factor)) < 0 ||
	    (error = write_temp(&tmp, target, path, &data)) < 0)
		goto done;
	if (rename(tmp, target) != 0) {
		error = sanctum_error__os("cannot replace identity '%s'", path);
		unlink(tmp);
		goto done;
	}
	sync_parent(target);
done:
	free(tmp);
	free(target);
	sanctum_buf_dispose(&data);
	return error;
}

/* ---- cards --------------------------------------------------------------------------- */

/* The first 4 bytes of SHA-256 over `len` bytes, as 8 lowercase hex digits. */
static void card_checksum(char out[CHECKSUM_LEN + 1], const char *body, size_t len)
{
	unsigned char hash[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(hash, (const unsigned char *)body, len);
	sodium_bin2hex(out, CHECKSUM_LEN + 1, hash, CHECKSUM_LEN / 2);
}

int sanctum_card_encode(sanctum_buf *out, const sanctum_card *card)
{
	char key[CARD_KEY_B64_SIZE], sum[CHECKSUM_LEN + 1];
	sanctum_age_recipient *recipient = NULL;
	sanctum_buf age = SANCTUM_BUF_INIT, line = SANCTUM_BUF_INIT;
	int error;

	if (!out || !card)
		return misuse("sanctum_card_encode needs an output and a card");
	if (!array_name_is_valid(card->city) || !array_name_is_valid(card->device))
		return misuse("the card's city or device name is not valid");
	sodium_bin2base64(key, sizeof(key), card->signing_key, sizeof(card->signing_key),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((error = sanctum_age_recipient_from_x25519(&recipient, card->age_key)) < 0 ||
	    (error = sanctum_age_recipient_encode(&age, recipient)) < 0)
		goto done;
	if ((error = sanctum_buf_puts(&line, CARD_PREFIX ":")) < 0 ||
	    (error = sanctum_buf_puts(&line, card->city)) < 0 ||
	    (error = sanctum_buf_puts(&line, ":")) < 0 ||
	    (error = sanctum_buf_puts(&line, card->device)) < 0 ||
	    (error = sanctum_buf_puts(&line, ":")) < 0 ||
	    (error = sanctum_buf_puts(&line, key)) < 0 ||
	    (error = sanctum_buf_puts(&line, ":")) < 0 ||
	    (error = sanctum_buf_put(&line, age.ptr, age.size)) < 0)
		goto done;
	card_checksum(sum, (const char *)line.ptr, line.size);
	if ((error = sanctum_buf_puts(&line, ":")) < 0 ||
	    (error = sanctum_buf_puts(&line, sum)) < 0)
		goto done;
	sanctum_buf_clear(out);
	error = sanctum_buf_put(out, line.ptr, line.size);
done:
	sanctum_buf_dispose(&line);
	sanctum_buf_dispose(&age);
	sanctum_age_recipient_free(recipient);
	return error;
}

static SANCTUM_PRINTF(1, 2) int bad_card(const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sanctum_error__set(SANCTUM_EKEY, SANCTUM_ERRCLASS_INVALID, "invalid card: %s", what);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Splits the card at ':' into at most CARD_FIELDS + 1 fields; returns how many it found. */
static size_t split_card(const char *line, size_t len, const char *field[CARD_FIELDS + 1],
                         size_t field_len[CARD_FIELDS + 1])
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len && n <= CARD_FIELDS; i++) {
		if (i < len && line[i] != ':')
			continue;
		field[n] = line + start;
		field_len[n++] = i - start;
		start = i + 1;
	}
	return n;
}

static int parse_card_key(sanctum_card *out, const char *b64, size_t len)
{
	size_t got = 0;

	if (len != CARD_KEY_B64_SIZE - 1 ||
	    sanctum_b64__decode(out->signing_key, sizeof(out->signing_key), &got, b64, len,
	                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != sizeof(out->signing_key) ||
	    !crypto_core_ed25519_is_valid_point(out->signing_key))
		return bad_card("the ed25519 key is not valid");
	return 0;
}

static int parse_card_recipient(sanctum_card *out, const char *text, size_t len)
{
	sanctum_age_recipient *recipient = NULL;
	int error = sanctum_age_recipient_parse(&recipient, text, len);

	if (error == SANCTUM_ENOMEM)
		return error;
	if (error < 0)
		return bad_card("the age recipient is not valid");
	memcpy(out->age_key, recipient->public_key, sizeof(out->age_key));
	sanctum_age_recipient_free(recipient);
	return 0;
}

static int parse_card_fields(sanctum_card *out, const char *line, size_t len)
{
	const char *field[CARD_FIELDS + 1];
	size_t field_len[CARD_FIELDS + 1], n = split_card(line, len, field, field_len);
	char sum[CHECKSUM_LEN + 1];
	int error;

	if (field_len[0] != strlen(CARD_PREFIX) ||
	    memcmp(field[0], CARD_PREFIX, field_len[0]) != 0) {
		if (field_len[0] > strlen(CARD_MAGIC) &&
		    memcmp(field[0], CARD_MAGIC, strlen(CARD_MAGIC)) == 0)
			return bad_card("unsupported card version (this sanctum reads '%s')",
			                CARD_PREFIX);
		return bad_card("not a sanctum card (it starts with '%s:')", CARD_PREFIX);
	}
	if (n != CARD_FIELDS)
		return bad_card("it has %s parts than the %d of a card: it was cut short or changed",
		                n < CARD_FIELDS ? "fewer" : "more", CARD_FIELDS);
	if (!name_is_valid(field[1], field_len[1]))
		return bad_card("the city name is not valid");
	if (!name_is_valid(field[2], field_len[2]))
		return bad_card("the device name is not valid");
	memcpy(out->city, field[1], field_len[1]);
	memcpy(out->device, field[2], field_len[2]);
	if ((error = parse_card_key(out, field[3], field_len[3])) < 0 ||
	    (error = parse_card_recipient(out, field[4], field_len[4])) < 0)
		return error;
	if (field_len[5] != CHECKSUM_LEN || !is_lower_hex(field[5], CHECKSUM_LEN))
		return bad_card("the checksum is not %d lowercase hexadecimal digits", CHECKSUM_LEN);
	card_checksum(sum, line, (size_t)(field[5] - 1 - line));
	if (sodium_memcmp(sum, field[5], CHECKSUM_LEN) != 0)
		return bad_card("the checksum does not match: a character was changed or lost, "
		                "copy the card again");
	return 0;
}

int sanctum_card_parse(sanctum_card *out, const char *line, size_t len)
{
	int error;

	if (!out || (!line && len))
		return misuse("sanctum_card_parse needs an output and a line");
	memset(out, 0, sizeof(*out));
	while (len > 0 && is_space(line[0])) {
		line++;
		len--;
	}
	while (len > 0 && is_space(line[len - 1]))
		len--;
	if (len == 0)
		return bad_card("the card is empty");
	if (len > CARD_MAX)
		return bad_card("it is longer than any card (%d characters)", CARD_MAX);
	if ((error = parse_card_fields(out, line, len)) < 0)
		memset(out, 0, sizeof(*out));
	return error;
}

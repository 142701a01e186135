/*
 * Document revisions: the signed, padded plaintext that sits inside a document's age
 * envelope (the layout is at the top of sanctum/doc.h, the full grammar in docs/format.md).
 *
 * Sealing writes the header fields in their one fixed order, the body, and zero padding up
 * to the PADME bucket of the whole plaintext, then signs everything after the signature
 * block. An Ed25519 SSHSIG has one armored length whatever the message, so the size of the
 * block is known before signing and the padding can be part of what is signed.
 *
 * Opening trusts nothing: it finds the signature block, verifies it over the rest, and
 * only then reads the header for meaning. Every field must appear exactly once (tags zero
 * or more times, `merged` at most once) in the fixed order, every value has one spelling,
 * and the padding must be zero bytes of exactly the PADME length, so one revision has one
 * plaintext.
 */
#include "sanctum/doc.h"

#include "errors_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_LINE "sanctum-doc v1"
#define SIG_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SIG_END "-----END SSH SIGNATURE-----"
#define FINGERPRINT_PREFIX "SHA256:"
#define FINGERPRINT_B64 43        /* base64 of 32 bytes, without padding */
#define QUOTE_MAX 32              /* untrusted text quoted in a message is cut here */
#define MESSAGE_MAX 256

/*
 * The armored length of every signature sanctum_identity_sign makes here: the SSHSIG blob
 *     "SSHSIG" uint32(1) string(key blob) string(namespace) string("") string("sha512")
 *     string(signature blob)
 * with key blob string("ssh-ed25519") string(32 bytes) and signature blob
 * string("ssh-ed25519") string(64 bytes), in base64 lines of 70 characters between the
 * BEGIN and END lines, each line ended by LF (what ssh-keygen writes, and core/src/sshsig.c).
 */
#define SSH_STRING(n) (4 + (n))
#define KEY_BLOB (SSH_STRING(11) + SSH_STRING(32))
#define SIG_BLOB (SSH_STRING(11) + SSH_STRING(64))
#define NAMESPACE_LEN (sizeof(SANCTUM_DOC_NAMESPACE) - 1)
#define SSHSIG_BLOB (6 + 4 + SSH_STRING(KEY_BLOB) + SSH_STRING(NAMESPACE_LEN) + SSH_STRING(0) + \
                     SSH_STRING(6) + SSH_STRING(SIG_BLOB))
#define SSHSIG_B64 (4 * ((SSHSIG_BLOB + 2) / 3))
#define SSHSIG_COLUMNS 70
#define SIGNATURE_BLOCK_SIZE (sizeof(SIG_BEGIN) + SSHSIG_B64 + \
                              (SSHSIG_B64 + SSHSIG_COLUMNS - 1) / SSHSIG_COLUMNS + sizeof(SIG_END))

/*
 * The header fields in their order. Only `tag` may repeat, and it may also be absent;
 * `merged` appears at most once, and only in a merge revision.
 */
enum field { F_ID, F_REV, F_PARENT, F_MERGED, F_AUTHOR, F_TIME, F_TYPE, F_TITLE, F_TAG, F_SIZE,
             F_STATE, F_COUNT };

static const char *const field_names[F_COUNT] = {
	"id", "rev", "parent", "merged", "author", "time", "type", "title", "tag", "size", "state"
};

/* Whether a header may lack the field: the others must each appear exactly once. */
static int is_optional(int f)
{
	return f == F_TAG || f == F_MERGED;
}

/* ---- reporting ---- */

/* Records the error, and the problem kind when the caller asked for it; returns `code`. */
static SANCTUM_PRINTF(4, 5) int refuse(sanctum_doc_problem *problem, sanctum_doc_problem kind,
                                       int code, const char *fmt, ...)
{
	char text[MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	if (problem)
		*problem = kind;
	return sanctum_error__set(code,
	                          code == SANCTUM_EVERIFY ? SANCTUM_ERRCLASS_CRYPTO
	                                                  : SANCTUM_ERRCLASS_INVALID,
	                          "%s", text);
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

/* ---- values ---- */

/*
 * Decodes one UTF-8 sequence at `s[*i]` (strictly: shortest form only, no surrogates,
 * nothing above U+10FFFF) into `*cp` and moves `*i` past it. Returns 0 or -1.
 */
static int utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		*i += 1;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;          /* shorter forms would be overlong */
		else if (c == 0xed)
			hi = 0x9f;          /* U+D800..U+DFFF are surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;          /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;          /* above U+10FFFF */
	} else {
		return -1;              /* a continuation byte, C0, C1 or F5..FF */
	}
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		unsigned char b = s[*i + k];

		if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf))
			return -1;
		v = (v << 6) | (b & 0x3f);
	}
	*cp = v;
	*i += n + 1;
	return 0;
}

/*
 * Checks a title (is_tag 0) or a tag (1): not empty, at most `max` bytes, valid UTF-8,
 * no control character (C0, DEL, C1), and for a tag no space. Returns SANCTUM_DOC_OK or
 * the problem, with `*why` completing "document field 'title' ...".
 */
static sanctum_doc_problem check_text(const unsigned char *s, size_t len, size_t max, int is_tag,
                                      const char **why)
{
	size_t i = 0;
	uint32_t cp;

	if (len == 0) {
		*why = "is empty";
		return SANCTUM_DOC_BAD_FORMAT;
	}
	if (len > max) {
		*why = is_tag ? "is longer than 128 bytes" : "is longer than 1024 bytes";
		return SANCTUM_DOC_OVERSIZED;
	}
	while (i < len) {
		if (utf8_next(s, len, &i, &cp) < 0) {
			*why = "is not valid UTF-8";
			return SANCTUM_DOC_BAD_UTF8;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			*why = "contains a control character";
			return SANCTUM_DOC_BAD_FORMAT;
		}
		if (is_tag && cp == ' ') {
			*why = "contains a space";
			return SANCTUM_DOC_BAD_FORMAT;
		}
	}
	return SANCTUM_DOC_OK;
}

/* An RFC 2045 token character: printable ASCII except space and the tspecials. */
static int is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* A MIME type without parameters: token "/" token, at most SANCTUM_DOC_MAX_TYPE bytes. */
static sanctum_doc_problem check_type(const unsigned char *s, size_t len, const char **why)
{
	size_t slash = len, i;

	if (len == 0) {
		*why = "is empty";
		return SANCTUM_DOC_BAD_FORMAT;
	}
	if (len > SANCTUM_DOC_MAX_TYPE) {
		*why = "is longer than 255 bytes";
		return SANCTUM_DOC_OVERSIZED;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '/' && slash == len)
			slash = i;
		else if (!is_token_char(s[i]))
			break;
	}
	if (i < len || slash == 0 || slash >= len - 1) {
		*why = "is not a MIME type of the form 'type/subtype'";
		return SANCTUM_DOC_BAD_FORMAT;
	}
	return SANCTUM_DOC_OK;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 2 * size lowercase hex digits into `size` bytes. Returns 0 or -1. */
static int parse_hex(unsigned char *out, size_t size, const unsigned char *s, size_t len)
{
	if (len != 2 * size)
		return -1;
	for (size_t i = 0; i < size; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* A decimal number without sign or leading zeros, at most `max`. Returns 0 or -1. */
static int parse_decimal(uint64_t *out, const unsigned char *s, size_t len, uint64_t max)
{
	uint64_t v = 0;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* "SHA256:" and 43 characters of unpadded base64, the shape of a key fingerprint. */
static int is_fingerprint(const unsigned char *s, size_t len)
{
	size_t plen = sizeof(FINGERPRINT_PREFIX) - 1;

	if (len != plen + FINGERPRINT_B64 || memcmp(s, FINGERPRINT_PREFIX, plen) != 0)
		return 0;
	for (size_t i = plen; i < len; i++) {
		unsigned char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

static char *copy_text(const unsigned char *s, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

/* Wipes and frees a string of document metadata (titles and tags are not the host's). */
static void free_text(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

/* ---- the public helpers ---- */

void sanctum_doc_new_id(unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	randombytes_buf(id, SANCTUM_DOC_ID_SIZE);
}

void sanctum_doc_id_to_hex(char out[2 * SANCTUM_DOC_ID_SIZE + 1],
                           const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	sodium_bin2hex(out, 2 * SANCTUM_DOC_ID_SIZE + 1, id, SANCTUM_DOC_ID_SIZE);
}

int sanctum_doc_id_from_hex(unsigned char id[SANCTUM_DOC_ID_SIZE], const char *hex)
{
	unsigned char tmp[SANCTUM_DOC_ID_SIZE];

	if (!id || !hex)
		return misuse("sanctum_doc_id_from_hex needs an id and a string");
	if (parse_hex(tmp, sizeof(tmp), (const unsigned char *)hex, strlen(hex)) < 0) {
		char q[QUOTE_MAX + 4];

		quote(q, (const unsigned char *)hex, strlen(hex));
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "'%s' is not a document id: expected 32 lowercase hex "
		                          "digits", q);
	}
	memcpy(id, tmp, sizeof(tmp));
	return 0;
}

size_t sanctum_doc_padded_size(size_t len)
{
	unsigned e = 0, s = 0, last_bits;
	size_t mask;

	/* E = floor(log2 L) and S = floor(log2 E) + 1; up to 8 bytes nothing is padded. */
	if (len < 2)
		return len;
	while ((len >> e) > 1)
		e++;
	while ((e >> s) > 1)
		s++;
	s++;
	last_bits = e - s;
	mask = ((size_t)1 << last_bits) - 1;
	if (len > SIZE_MAX - mask)
		return len;             /* unreachable for any size a document may have */
	return (len + mask) & ~mask;
}

/* The error for a field the caller set to a value the grammar does not allow. */
static int set_error(const char *name, const char *why)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "document field '%s' %s", name, why);
}

int sanctum_doc_set_title(sanctum_doc *doc, const char *title)
{
	const char *why = NULL;
	sanctum_doc_problem kind;
	char *copy;

	if (!doc || !title)
		return misuse("sanctum_doc_set_title needs a document and a title");
	kind = check_text((const unsigned char *)title, strlen(title), SANCTUM_DOC_MAX_TITLE, 0,
	                  &why);
	if (kind != SANCTUM_DOC_OK)
		return set_error("title", why);
	if (!(copy = copy_text((const unsigned char *)title, strlen(title))))
		return sanctum_error__nomem();
	free_text(doc->title);
	doc->title = copy;
	return 0;
}

int sanctum_doc_set_type(sanctum_doc *doc, const char *type)
{
	const char *why = NULL;
	sanctum_doc_problem kind;
	char *copy;

	if (!doc || !type)
		return misuse("sanctum_doc_set_type needs a document and a type");
	kind = check_type((const unsigned char *)type, strlen(type), &why);
	if (kind != SANCTUM_DOC_OK)
		return set_error("type", why);
	if (!(copy = copy_text((const unsigned char *)type, strlen(type))))
		return sanctum_error__nomem();
	free_text(doc->type);
	doc->type = copy;
	return 0;
}

/* Whether `tags` already holds `tag`. Tags are metadata, not keys: no constant time needed. */
static int has_tag(char *const *tags, size_t ntags, const unsigned char *tag, size_t len)
{
	for (size_t i = 0; i < ntags; i++)
		if (strlen(tags[i]) == len && memcmp(tags[i], tag, len) == 0) /* checksrc: allow */
			return 1;
	return 0;
}

/*
 * Appends a copy of a tag that has been checked. Returns 0, SANCTUM_ENOMEM, or -2 when the
 * document already has SANCTUM_DOC_MAX_TAGS tags or -3 when it has this one.
 */
static int append_tag(sanctum_doc *doc, const unsigned char *tag, size_t len)
{
	char **bigger, *copy;

	if (doc->ntags >= SANCTUM_DOC_MAX_TAGS)
		return -2;
	if (has_tag(doc->tags, doc->ntags, tag, len))
		return -3;
	if (!(copy = copy_text(tag, len)))
		return sanctum_error__nomem();
	if (!(bigger = realloc(doc->tags, (doc->ntags + 1) * sizeof(*bigger)))) {
		free_text(copy);
		return sanctum_error__nomem();
	}
	bigger[doc->ntags++] = copy;
	doc->tags = bigger;
	return 0;
}

int sanctum_doc_add_tag(sanctum_doc *doc, const char *tag)
{
	const char *why = NULL;
	sanctum_doc_problem kind;
	char q[QUOTE_MAX + 4];
	int error;

	if (!doc || !tag)
		return misuse("sanctum_doc_add_tag needs a document and a tag");
	kind = check_text((const unsigned char *)tag, strlen(tag), SANCTUM_DOC_MAX_TAG, 1, &why);
	if (kind != SANCTUM_DOC_OK)
		return set_error("tag", why);
	error = append_tag(doc, (const unsigned char *)tag, strlen(tag));
	if (error == -2)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a document has at most %d tags", SANCTUM_DOC_MAX_TAGS);
	if (error == -3)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the document already has the tag '%s'",
		                          quote(q, (const unsigned char *)tag, strlen(tag)));
	return error;
}

void sanctum_doc_dispose(sanctum_doc *doc)
{
	sanctum_doc fresh = SANCTUM_DOC_INIT;

	if (!doc)
		return;
	free_text(doc->type);
	free_text(doc->title);
	for (size_t i = 0; i < doc->ntags; i++)
		free_text(doc->tags[i]);
	free(doc->tags);
	sanctum_buf_dispose(&doc->body);
	sodium_memzero(doc, sizeof(*doc));
	*doc = fresh;
}

/* ---- sealing ---- */

/* Checks every field of a revision about to be sealed; sets the error and returns < 0. */
static int check_for_seal(const sanctum_doc *doc)
{
	const char *why = NULL;
	sanctum_doc_problem kind;

	if (doc->rev == 0)
		return set_error("rev", "must be 1 or more");
	if (!doc->has_parent != (doc->rev == 1))
		return set_error("parent", "must be present exactly when 'rev' is above 1");
	if (doc->has_merged && !doc->has_parent)
		return set_error("merged", "needs a 'parent': a merge has two");
	if (doc->has_merged && memcmp(doc->parent, doc->merged, SANCTUM_DOC_HASH_SIZE) >= 0)
		return set_error("merged",
		                 "must sort after 'parent' (the smaller hash comes first)");
	if (doc->time < 0)
		return set_error("time", "is before 1970");
	if (!doc->type)
		return set_error("type", "is not set");
	kind = check_type((const unsigned char *)doc->type, strlen(doc->type), &why);
	if (kind != SANCTUM_DOC_OK)
		return set_error("type", why);
	if (!doc->title)
		return set_error("title", "is not set");
	kind = check_text((const unsigned char *)doc->title, strlen(doc->title),
	                  SANCTUM_DOC_MAX_TITLE, 0, &why);
	if (kind != SANCTUM_DOC_OK)
		return set_error("title", why);
	if (doc->ntags > SANCTUM_DOC_MAX_TAGS || (doc->ntags && !doc->tags))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a document has at most %d tags", SANCTUM_DOC_MAX_TAGS);
	for (size_t i = 0; i < doc->ntags; i++) {
		size_t len = doc->tags[i] ? strlen(doc->tags[i]) : 0;

		kind = check_text((const unsigned char *)doc->tags[i], len, SANCTUM_DOC_MAX_TAG, 1,
		                  &why);
		if (kind != SANCTUM_DOC_OK)
			return set_error("tag", why);
		if (has_tag(doc->tags, i, (const unsigned char *)doc->tags[i], len))
			return set_error("tag", "repeats a tag");
	}
	if (doc->body.size > SANCTUM_DOC_MAX_BODY)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the document body is %zu bytes, more than the %u "
		                          "allowed", doc->body.size, SANCTUM_DOC_MAX_BODY);
	if (doc->body.size && !doc->body.ptr)
		return misuse("the document body has a size but no bytes");
	if (doc->deleted && doc->body.size)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a deleted document (tombstone) must have an empty body");
	return 0;
}

static int put_field(sanctum_buf *out, const char *name, const char *value)
{
	int error;

	if ((error = sanctum_buf_puts(out, name)) < 0 || (error = sanctum_buf_puts(out, " ")) < 0 ||
	    (error = sanctum_buf_puts(out, value)) < 0)
		return error;
	return sanctum_buf_puts(out, "\n");
}

/* Appends the header, the blank line and the body: the signed part without its padding. */
static int put_unpadded(sanctum_buf *out, const sanctum_doc *doc, const char *author)
{
	char hex[2 * SANCTUM_DOC_HASH_SIZE + 1], number[24];
	int error;

	sanctum_doc_id_to_hex(hex, doc->id);
	if ((error = sanctum_buf_puts(out, VERSION_LINE "\n")) < 0 ||
	    (error = put_field(out, "id", hex)) < 0)
		return error;
	snprintf(number, sizeof(number), "%" PRIu64, doc->rev);
	if ((error = put_field(out, "rev", number)) < 0)
		return error;
	if (doc->has_parent)
		sodium_bin2hex(hex, sizeof(hex), doc->parent, SANCTUM_DOC_HASH_SIZE);
	else
		snprintf(hex, sizeof(hex), "none");
	if ((error = put_field(out, "parent", hex)) < 0)
		return error;
	if (doc->has_merged) {
		sodium_bin2hex(hex, sizeof(hex), doc->merged, SANCTUM_DOC_HASH_SIZE);
		if ((error = put_field(out, "merged", hex)) < 0)
			return error;
	}
	if ((error = put_field(out, "author", author)) < 0)
		return error;
	snprintf(number, sizeof(number), "%" PRId64, doc->time);
	if ((error = put_field(out, "time", number)) < 0 ||
	    (error = put_field(out, "type", doc->type)) < 0 ||
	    (error = put_field(out, "title", doc->title)) < 0)
		return error;
	for (size_t i = 0; i < doc->ntags; i++)
		if ((error = put_field(out, "tag", doc->tags[i])) < 0)
			return error;
	snprintf(number, sizeof(number), "%zu", doc->body.size);
	if ((error = put_field(out, "size", number)) < 0 ||
	    (error = put_field(out, "state", doc->deleted ? "deleted" : "live")) < 0 ||
	    (error = sanctum_buf_puts(out, "\n")) < 0)
		return error;
	return sanctum_buf_put(out, doc->body.ptr, doc->body.size);
}

int sanctum_doc_seal(sanctum_buf *out, sanctum_doc *doc, const sanctum_identity *signer)
{
	const size_t sig_len = SIGNATURE_BLOCK_SIZE;
	sanctum_buf sig = SANCTUM_BUF_INIT;
	char author[SANCTUM_FINGERPRINT_SIZE];
	sanctum_card card;
	size_t padded;
	int error;

	if (!out || !doc || !signer)
		return misuse("sanctum_doc_seal needs an output, a document and a signer");
	if ((error = check_for_seal(doc)) < 0)
		return error;
	sanctum_identity_card(&card, signer);
	sanctum_key_fingerprint(author, card.signing_key);

	/* The block's place is reserved first, so the signed part is built where it stays. */
	sanctum_buf_clear(out);
	if ((error = sanctum_buf_grow(out, sig_len)) < 0)
		goto done;
	memset(out->ptr, 0, sig_len);
	out->size = sig_len;
	if ((error = put_unpadded(out, doc, author)) < 0)
		goto done;
	padded = sanctum_doc_padded_size(out->size);
	if ((error = sanctum_buf_grow(out, padded)) < 0)
		goto done;
	memset(out->ptr + out->size, 0, padded - out->size + 1);
	out->size = padded;

	if ((error = sanctum_identity_sign(&sig, signer, SANCTUM_DOC_NAMESPACE, out->ptr + sig_len,
	                                   padded - sig_len)) < 0) {
		error = sanctum_error__wrap(error, SANCTUM_ERRCLASS_CRYPTO,
		                            "cannot sign the document");
		goto done;
	}
	if (sig.size != sig_len) {
		/* The padding was chosen for a block of sig_len bytes: a different signature
		 * length is a bug (the armor changed), never something an input can cause. */
		error = sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_CRYPTO,
		                           "internal error: a document signature is %zu bytes, "
		                           "not the %zu expected", sig.size, sig_len);
		goto done;
	}
	memcpy(out->ptr, sig.ptr, sig_len);
	crypto_hash_sha256(doc->hash, out->ptr + sig_len, padded - sig_len);
	memcpy(doc->author, author, sizeof(author));
	memcpy(doc->signer, card.signing_key, sizeof(doc->signer));
done:
	if (error < 0)
		sanctum_buf_clear(out);
	sanctum_buf_dispose(&sig);
	return error;
}

/* ---- opening ---- */

/* A cursor over the signed part, and what has been learnt so far. */
typedef struct {
	const unsigned char *ptr;
	size_t len;
	size_t pos;
	sanctum_doc_problem *problem;
} reader;

static int bad(reader *r, sanctum_doc_problem kind, const char *name, const char *why)
{
	return refuse(r->problem, kind, SANCTUM_EINVALID, "document field '%s' %s", name, why);
}

/* The next line without its LF; -1 when no LF is left. */
static int next_line(reader *r, const unsigned char **line, size_t *len)
{
	const unsigned char *start = r->ptr + r->pos;
	const unsigned char *nl = memchr(start, '\n', r->len - r->pos);

	if (!nl)
		return -1;
	*line = start;
	*len = (size_t)(nl - start);
	r->pos += *len + 1;
	return 0;
}

static int find_field(const unsigned char *key, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (strlen(field_names[f]) == len && memcmp(field_names[f], key, len) == 0)
			return f;
	return -1;
}

/* Reads one field's value into the document. */
static int parse_value(reader *r, sanctum_doc *doc, int f, const unsigned char *v, size_t n,
                       uint64_t *size)
{
	const char *why = NULL;
	sanctum_doc_problem kind;
	uint64_t number;
	int error;

	switch (f) {
	case F_ID:
		if (parse_hex(doc->id, SANCTUM_DOC_ID_SIZE, v, n) < 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "id",
			           "is not 32 lowercase hex digits");
		return 0;
	case F_REV:
		if (parse_decimal(&doc->rev, v, n, UINT64_MAX) < 0 || doc->rev == 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "rev",
			           "is not a decimal number from 1 without leading zeros");
		return 0;
	case F_PARENT:
		if (n == 4 && memcmp(v, "none", 4) == 0)
			doc->has_parent = 0;
		else if (parse_hex(doc->parent, SANCTUM_DOC_HASH_SIZE, v, n) == 0)
			doc->has_parent = 1;
		else
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "parent",
			           "is neither 64 lowercase hex digits nor 'none'");
		if (!doc->has_parent != (doc->rev == 1))
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "parent",
			           "must be 'none' exactly when 'rev' is 1");
		return 0;
	case F_MERGED:
		/* The second parent of a three-way merge; ordered so a merge has one spelling. */
		if (!doc->has_parent)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "merged",
			           "is only allowed when 'parent' is not 'none'");
		if (parse_hex(doc->merged, SANCTUM_DOC_HASH_SIZE, v, n) < 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "merged",
			           "is not 64 lowercase hex digits");
		if (memcmp(doc->parent, doc->merged, SANCTUM_DOC_HASH_SIZE) >= 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "merged",
			           "must sort after 'parent' (the smaller hash comes first)");
		doc->has_merged = 1;
		return 0;
	case F_AUTHOR:
		if (!is_fingerprint(v, n))
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "author",
			           "is not a key fingerprint 'SHA256:...'");
		memcpy(doc->author, v, n);
		doc->author[n] = '\0';
		return 0;
	case F_TIME:
		if (parse_decimal(&number, v, n, INT64_MAX) < 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "time",
			           "is not a decimal number of seconds without sign or leading "
			           "zeros");
		doc->time = (int64_t)number;
		return 0;
	case F_TYPE:
		if ((kind = check_type(v, n, &why)) != SANCTUM_DOC_OK)
			return bad(r, kind, "type", why);
		return (doc->type = copy_text(v, n)) ? 0 : sanctum_error__nomem();
	case F_TITLE:
		if ((kind = check_text(v, n, SANCTUM_DOC_MAX_TITLE, 0, &why)) != SANCTUM_DOC_OK)
			return bad(r, kind, "title", why);
		return (doc->title = copy_text(v, n)) ? 0 : sanctum_error__nomem();
	case F_TAG:
		if ((kind = check_text(v, n, SANCTUM_DOC_MAX_TAG, 1, &why)) != SANCTUM_DOC_OK)
			return bad(r, kind, "tag", why);
		error = append_tag(doc, v, n);
		if (error == -2)
			return refuse(r->problem, SANCTUM_DOC_OVERSIZED, SANCTUM_EINVALID,
			              "document has more than %d tags", SANCTUM_DOC_MAX_TAGS);
		if (error == -3)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "tag", "repeats a tag");
		return error;
	case F_SIZE:
		if (parse_decimal(size, v, n, UINT64_MAX) < 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "size",
			           "is not a decimal number without leading zeros");
		if (*size > SANCTUM_DOC_MAX_BODY)
			return bad(r, SANCTUM_DOC_OVERSIZED, "size", "is above the 256 MiB limit");
		return 0;
	case F_STATE:
		if (n == 4 && memcmp(v, "live", 4) == 0)
			doc->deleted = 0;
		else if (n == 7 && memcmp(v, "deleted", 7) == 0)
			doc->deleted = 1;
		else
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "state",
			           "is neither 'live' nor 'deleted'");
		if (doc->deleted && *size != 0)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, "state",
			           "is 'deleted' but the body is not empty");
		return 0;
	default:
		return misuse("unknown document field");
	}
}

/* The fields from `from` up to `to` were skipped: fine only if they were all optional. */
static int check_present(reader *r, int from, int to)
{
	for (int f = from; f < to; f++)
		if (!is_optional(f))
			return refuse(r->problem, SANCTUM_DOC_MISSING_FIELD, SANCTUM_EINVALID,
			              "document field '%s' is missing", field_names[f]);
	return 0;
}

/*
 * Reads the header, from the version line to the blank line, into `doc` and the body size
 * into `*size`. Fields come in the order of field_names, each once, tags zero or more
 * times; the first rule broken is the one reported.
 */
static int parse_header(reader *r, sanctum_doc *doc, uint64_t *size)
{
	const unsigned char *line = NULL, *sp;
	unsigned seen[F_COUNT] = { 0 };
	char q[QUOTE_MAX + 4];
	int last = -1, error;
	size_t n = 0;

	if (next_line(r, &line, &n) < 0 || n != strlen(VERSION_LINE) ||
	    memcmp(line, VERSION_LINE, n) != 0)
		return refuse(r->problem, SANCTUM_DOC_BAD_FORMAT, SANCTUM_EINVALID,
		              "document does not start with '" VERSION_LINE "' after its "
		              "signature");
	for (;;) {
		size_t klen;
		int f;

		if (next_line(r, &line, &n) < 0)
			return refuse(r->problem, SANCTUM_DOC_BAD_FORMAT, SANCTUM_EINVALID,
			              "document header does not end with a blank line");
		if (n == 0)
			break;
		sp = memchr(line, ' ', n);
		klen = sp ? (size_t)(sp - line) : n;
		if ((f = find_field(line, klen)) < 0)
			return refuse(r->problem, SANCTUM_DOC_UNKNOWN_FIELD, SANCTUM_EINVALID,
			              "document has an unknown field '%s'", quote(q, line, klen));
		if (seen[f] && f != F_TAG)
			return refuse(r->problem, SANCTUM_DOC_DUPLICATE_FIELD, SANCTUM_EINVALID,
			              "document field '%s' appears more than once", field_names[f]);
		if (f < last)
			return refuse(r->problem, SANCTUM_DOC_BAD_FORMAT, SANCTUM_EINVALID,
			              "document field '%s' is out of order: it belongs before '%s'",
			              field_names[f], field_names[last]);
		if ((error = check_present(r, last + 1, f)) < 0)
			return error;
		last = f;
		seen[f]++;
		if (!sp)
			return bad(r, SANCTUM_DOC_BAD_FORMAT, field_names[f], "has no value");
		if ((error = parse_value(r, doc, f, sp + 1, n - klen - 1, size)) < 0)
			return error;
	}
	return check_present(r, last + 1, F_COUNT);
}

/*
 * Finds the signature block at the start of the plaintext: the BEGIN line, then everything
 * up to and including the first END line and its LF. Returns its length, or 0 if none.
 */
static size_t find_signature(const unsigned char *p, size_t len)
{
	static const char end[] = "\n" SIG_END "\n";
	size_t limit = len < SANCTUM_SSHSIG_MAX_ARMORED ? len : SANCTUM_SSHSIG_MAX_ARMORED;
	size_t begin = sizeof(SIG_BEGIN) - 1;

	if (limit <= begin || memcmp(p, SIG_BEGIN "\n", begin + 1) != 0)
		return 0;
	for (size_t i = begin; i + sizeof(end) - 1 <= limit; i++)
		if (p[i] == '\n' && memcmp(p + i, end, sizeof(end) - 1) == 0)
			return i + sizeof(end) - 1;
	return 0;
}

int sanctum_doc_open(sanctum_doc *out, sanctum_doc_problem *problem,
                     const unsigned char *plaintext, size_t len, const unsigned char *expected_id)
{
	sanctum_doc doc = SANCTUM_DOC_INIT, fresh = SANCTUM_DOC_INIT;
	char fingerprint[SANCTUM_FINGERPRINT_SIZE], want[2 * SANCTUM_DOC_ID_SIZE + 1];
	char got[2 * SANCTUM_DOC_ID_SIZE + 1];
	const unsigned char *body;
	size_t sig_len, header_end, unpadded, rest;
	uint64_t size = 0;
	reader r;
	int error;

	if (problem)
		*problem = SANCTUM_DOC_OK;
	if (!out || (!plaintext && len))
		return misuse("sanctum_doc_open needs an output and a plaintext");
	*out = fresh;

	/* 1. The signature, before any byte of the signed part is read for its meaning. */
	if (!(sig_len = find_signature(plaintext, len))) {
		if (len >= sizeof(SIG_BEGIN) &&
		    memcmp(plaintext, SIG_BEGIN "\n", sizeof(SIG_BEGIN)) == 0)
			return refuse(problem, SANCTUM_DOC_MISSING_SIGNATURE, SANCTUM_EINVALID,
			              "document signature block has no '" SIG_END "' line");
		return refuse(problem, SANCTUM_DOC_MISSING_SIGNATURE, SANCTUM_EINVALID,
		              "document does not start with a signature block '" SIG_BEGIN "'");
	}
	if (memchr(plaintext, '\r', sig_len))
		return refuse(problem, SANCTUM_DOC_BAD_FORMAT, SANCTUM_EINVALID,
		              "document signature block has a line end other than LF");
	error = sanctum_sshsig_verify(doc.signer, (const char *)plaintext, sig_len,
	                              SANCTUM_DOC_NAMESPACE, plaintext + sig_len, len - sig_len);
	if (error == SANCTUM_ENOMEM)
		return error;
	if (error < 0) {
		if (problem)
			*problem = SANCTUM_DOC_BAD_SIGNATURE;
		return sanctum_error__wrap(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           "document signature does not verify");
	}
	crypto_hash_sha256(doc.hash, plaintext + sig_len, len - sig_len);

	/* 2. The header, the body and the padding. */
	r.ptr = plaintext + sig_len;
	r.len = len - sig_len;
	r.pos = 0;
	r.problem = problem;
	if ((error = parse_header(&r, &doc, &size)) < 0)
		goto done;
	header_end = r.pos;
	rest = r.len - header_end;
	if (size > rest) {
		error = refuse(problem, SANCTUM_DOC_BAD_FORMAT, SANCTUM_EINVALID,
		               "document field 'size' says %" PRIu64 " bytes, but only %zu "
		               "follow the header", size, rest);
		goto done;
	}
	body = r.ptr + header_end;
	for (size_t i = (size_t)size; i < rest; i++) {
		if (body[i] != 0) {
			error = refuse(problem, SANCTUM_DOC_BAD_PADDING, SANCTUM_EINVALID,
			               "document padding after the body holds a non-zero byte");
			goto done;
		}
	}
	unpadded = sig_len + header_end + (size_t)size;
	if (sanctum_doc_padded_size(unpadded) != len) {
		error = refuse(problem, SANCTUM_DOC_BAD_PADDING, SANCTUM_EINVALID,
		               "document is %zu bytes long, but its padded size is %zu", len,
		               sanctum_doc_padded_size(unpadded));
		goto done;
	}
	if ((error = sanctum_buf_put(&doc.body, body, (size_t)size)) < 0)
		goto done;

	/* 3. The rules that tie the revision to its key and to its place. */
	sanctum_key_fingerprint(fingerprint, doc.signer);
	if (strcmp(fingerprint, doc.author) != 0) {
		error = refuse(problem, SANCTUM_DOC_AUTHOR_MISMATCH, SANCTUM_EVERIFY,
		               "document field 'author' is %s, but the document is signed by %s",
		               doc.author, fingerprint);
		goto done;
	}
	if (expected_id && sodium_memcmp(doc.id, expected_id, SANCTUM_DOC_ID_SIZE) != 0) {
		sanctum_doc_id_to_hex(got, doc.id);
		sanctum_doc_id_to_hex(want, expected_id);
		error = refuse(problem, SANCTUM_DOC_ID_MISMATCH, SANCTUM_EVERIFY,
		               "document field 'id' is %s, but its place in the store is for %s",
		               got, want);
		goto done;
	}
	*out = doc;
	return 0;
done:
	sanctum_doc_dispose(&doc);
	return error;
}

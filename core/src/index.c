/*
 * The local list index (index.h): its entries, its strict text format, and reading and
 * writing its encrypted, signed file.
 */
#include "index.h"

#include "errors_internal.h"
#include "signed_file.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WHAT "the list index"
#define MAGIC "sanctum-index v1\n"

/* ---- entries ---- */

static void free_string(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void sanctum_index__info_dispose(sanctum_doc_info *info)
{
	free_string(info->title);
	free_string(info->type);
	for (size_t i = 0; i < info->ntags; i++)
		free_string(info->tags[i]);
	free(info->tags);
	memset(info, 0, sizeof(*info));
}

void sanctum_index__init(sanctum_index *index, const char *group_id)
{
	memset(index, 0, sizeof(*index));
	snprintf(index->group_id, sizeof(index->group_id), "%s", group_id);
}

void sanctum_index__dispose(sanctum_index *index)
{
	for (size_t i = 0; i < index->count; i++)
		sanctum_index__info_dispose(&index->entries[i].info);
	free(index->entries);
	memset(index, 0, sizeof(*index));
}

int sanctum_index__info_from_doc(sanctum_doc_info *out, const sanctum_doc *doc)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, doc->id, sizeof(out->id));
	out->rev = doc->rev;
	out->time = doc->time;
	memcpy(out->author, doc->author, sizeof(out->author));
	out->size = doc->deleted ? 0 : doc->body.size;
	out->deleted = doc->deleted;
	out->title = strdup(doc->title ? doc->title : "");
	out->type = strdup(doc->type ? doc->type : "");
	out->tags = calloc(doc->ntags ? doc->ntags : 1, sizeof(*out->tags));
	if (!out->title || !out->type || !out->tags) {
		sanctum_index__info_dispose(out);
		return sanctum_error__nomem();
	}
	for (; out->ntags < doc->ntags; out->ntags++)
		if (!(out->tags[out->ntags] = strdup(doc->tags[out->ntags]))) {
			sanctum_index__info_dispose(out);
			return sanctum_error__nomem();
		}
	return 0;
}

long sanctum_index__find(const sanctum_index *index, const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	size_t lo = 0, hi = index->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(index->entries[mid].info.id, id, SANCTUM_DOC_ID_SIZE);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int sanctum_index__append(sanctum_index *index, sanctum_index_entry *entry)
{
	if (index->count == index->alloc) {
		size_t alloc = index->alloc ? 2 * index->alloc : 64;
		sanctum_index_entry *bigger = realloc(index->entries, alloc * sizeof(*bigger));

		if (!bigger)
			return sanctum_error__nomem();
		index->entries = bigger;
		index->alloc = alloc;
	}
	index->entries[index->count++] = *entry;
	memset(entry, 0, sizeof(*entry));
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const sanctum_index_entry *x = a, *y = b;

	return memcmp(x->info.id, y->info.id, SANCTUM_DOC_ID_SIZE);
}

int sanctum_index__settle(sanctum_index *index)
{
	size_t kept = 0;

	for (size_t i = 0; i < index->count; i++) {
		if (index->entries[i].dropped)
			sanctum_index__info_dispose(&index->entries[i].info);
		else
			index->entries[kept++] = index->entries[i];
	}
	index->count = kept;
	if (kept > 1)
		qsort(index->entries, kept, sizeof(*index->entries), by_id);
	for (size_t i = 1; i < kept; i++)
		if (by_id(&index->entries[i - 1], &index->entries[i]) == 0)
			return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                          WHAT " holds one document twice");
	return 0;
}

/* ---- the text format ---- */

static int put_string(sanctum_buf *out, const char *key, const char *value)
{
	char head[48];

	snprintf(head, sizeof(head), "%s %zu ", key, strlen(value));
	if (sanctum_buf_puts(out, head) < 0 || sanctum_buf_puts(out, value) < 0 ||
	    sanctum_buf_puts(out, "\n") < 0)
		return sanctum_error__nomem();
	return 0;
}

int sanctum_index__serialize(sanctum_buf *out, const sanctum_index *index)
{
	char line[320], head[GIT_OID_HEXSZ + 1], blob[GIT_OID_HEXSZ + 1];
	char id[2 * SANCTUM_DOC_ID_SIZE + 1];
	size_t guess = 256;
	int error = 0;

	/* Room for everything up front: growing by doubling would copy and wipe repeatedly. */
	for (size_t i = 0; i < index->count; i++) {
		const sanctum_doc_info *info = &index->entries[i].info;

		guess += 256 + strlen(info->title) + strlen(info->type);
		for (size_t t = 0; t < info->ntags; t++)
			guess += 32 + strlen(info->tags[t]);
	}
	sanctum_buf_clear(out);
	if (sanctum_buf_grow(out, guess) < 0)
		return sanctum_error__nomem();
	git_oid_tostr(head, sizeof(head), &index->head);
	snprintf(line, sizeof(line), MAGIC "group %s\nhead %s\ncount %zu\n", index->group_id, head,
	         index->count);
	if (sanctum_buf_puts(out, line) < 0)
		error = sanctum_error__nomem();
	for (size_t i = 0; error == 0 && i < index->count; i++) {
		const sanctum_doc_info *info = &index->entries[i].info;

		sanctum_doc_id_to_hex(id, info->id);
		git_oid_tostr(blob, sizeof(blob), &index->entries[i].blob);
		snprintf(line, sizeof(line),
		         "doc %s %s %" PRIu64 " %" PRId64 " %" PRIu64 " %s %s %zu\n", id, blob,
		         info->rev, info->time, info->size, info->deleted ? "deleted" : "live",
		         info->author, info->ntags);
		if (sanctum_buf_puts(out, line) < 0)
			error = sanctum_error__nomem();
		if (error == 0)
			error = put_string(out, "title", info->title);
		if (error == 0)
			error = put_string(out, "type", info->type);
		for (size_t t = 0; error == 0 && t < info->ntags; t++)
			error = put_string(out, "tag", info->tags[t]);
	}
	if (error == 0 && sanctum_buf_puts(out, "end\n") < 0)
		error = sanctum_error__nomem();
	if (error < 0)
		sanctum_buf_clear(out);
	return error;
}

typedef struct {
	const unsigned char *p;
	const unsigned char *end;
} cursor;

/* Takes the exact bytes `text`. */
static int take_literal(cursor *c, const char *text)
{
	size_t len = strlen(text);

	if ((size_t)(c->end - c->p) < len || memcmp(c->p, text, len) != 0)
		return -1;
	c->p += len;
	return 0;
}

/* Takes 1..room-1 bytes up to `stop` (consumed): no NUL, space or newline among them. */
static int take_token(cursor *c, char *out, size_t room, unsigned char stop)
{
	size_t n = 0;

	while (c->p < c->end && *c->p != stop) {
		if (*c->p == '\0' || *c->p == ' ' || *c->p == '\n' || n + 1 >= room)
			return -1;
		out[n++] = (char)*c->p++;
	}
	if (c->p >= c->end || n == 0)
		return -1;
	c->p++;
	out[n] = '\0';
	return 0;
}

static int take_u64(cursor *c, uint64_t *out, uint64_t max, unsigned char stop)
{
	char digits[24];

	if (take_token(c, digits, sizeof(digits), stop) < 0)
		return -1;
	return sanctum_parse_u64(out, digits, max);
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Takes exactly 2*len lowercase hex digits, then `stop`. Ids and object ids are not
 * secret, and a plain decoder keeps parsing 10,000 entries cheap.
 */
static int take_hex(cursor *c, unsigned char *out, size_t len, unsigned char stop)
{
	if ((size_t)(c->end - c->p) <= 2 * len || c->p[2 * len] != stop)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(c->p[2 * i]), lo = hex_digit(c->p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	c->p += 2 * len + 1;
	return 0;
}

/* Takes "key <len> <len bytes>\n" into a new string (no NUL inside, at most `max`). */
static int take_string(cursor *c, char **out, const char *key, size_t max)
{
	uint64_t len;

	*out = NULL;
	if (take_literal(c, key) < 0 || take_literal(c, " ") < 0 || take_u64(c, &len, max, ' ') < 0)
		return -1;
	if ((uint64_t)(c->end - c->p) <= len || c->p[len] != '\n' || memchr(c->p, '\0', len))
		return -1;
	if (!(*out = malloc(len + 1)))
		return -1;
	memcpy(*out, c->p, len);
	(*out)[len] = '\0';
	c->p += len + 1;
	return 0;
}

static int fingerprint_is_valid(const char *fp)
{
	static const char base64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	return strlen(fp) == SANCTUM_FINGERPRINT_SIZE - 1 && strncmp(fp, "SHA256:", 7) == 0 &&
	       strspn(fp + 7, base64) == SANCTUM_FINGERPRINT_SIZE - 8;
}

static int take_entry(cursor *c, sanctum_index_entry *e)
{
	sanctum_doc_info *info = &e->info;
	unsigned char blob[GIT_OID_RAWSZ];
	char state[8];
	uint64_t time, ntags;

	memset(e, 0, sizeof(*e));
	if (take_literal(c, "doc ") < 0 || take_hex(c, info->id, sizeof(info->id), ' ') < 0 ||
	    take_hex(c, blob, sizeof(blob), ' ') < 0 ||
	    take_u64(c, &info->rev, UINT64_MAX, ' ') < 0 ||
	    take_u64(c, &time, INT64_MAX, ' ') < 0 ||
	    take_u64(c, &info->size, SANCTUM_DOC_MAX_BODY, ' ') < 0 ||
	    take_token(c, state, sizeof(state), ' ') < 0 ||
	    take_token(c, info->author, sizeof(info->author), ' ') < 0 ||
	    take_u64(c, &ntags, SANCTUM_DOC_MAX_TAGS, '\n') < 0)
		return -1;
	if (git_oid_fromraw(&e->blob, blob) < 0 || !fingerprint_is_valid(info->author))
		return -1;
	info->time = (int64_t)time;
	if (strcmp(state, "deleted") == 0)
		info->deleted = 1;
	else if (strcmp(state, "live") != 0)
		return -1;
	if (take_string(c, &info->title, "title", SANCTUM_DOC_MAX_TITLE) < 0 ||
	    take_string(c, &info->type, "type", SANCTUM_DOC_MAX_TYPE) < 0)
		return -1;
	if (!(info->tags = calloc(ntags ? ntags : 1, sizeof(*info->tags))))
		return -1;
	for (; info->ntags < ntags; info->ntags++)
		if (take_string(c, &info->tags[info->ntags], "tag", SANCTUM_DOC_MAX_TAG) < 0)
			return -1;
	return 0;
}

int sanctum_index__parse(sanctum_index *out, const unsigned char *data, size_t len)
{
	cursor c = { data, data + len };
	unsigned char head[GIT_OID_RAWSZ];
	uint64_t count;
	int error = 0;

	sanctum_index__init(out, "");
	if (take_literal(&c, MAGIC "group ") < 0 ||
	    take_token(&c, out->group_id, sizeof(out->group_id), '\n') < 0 ||
	    strlen(out->group_id) != SANCTUM_GROUP_ID_HEX - 1 ||
	    strspn(out->group_id, "0123456789abcdef") != SANCTUM_GROUP_ID_HEX - 1 ||
	    take_literal(&c, "head ") < 0 || take_hex(&c, head, sizeof(head), '\n') < 0 ||
	    git_oid_fromraw(&out->head, head) < 0 || take_literal(&c, "count ") < 0 ||
	    take_u64(&c, &count, len, '\n') < 0)
		error = -1;
	for (uint64_t i = 0; error == 0 && i < count; i++) {
		sanctum_index_entry entry;

		if (take_entry(&c, &entry) < 0 ||
		    (out->count > 0 &&
		     by_id(&out->entries[out->count - 1], &entry) >= 0) ||
		    sanctum_index__append(out, &entry) < 0) {
			sanctum_index__info_dispose(&entry.info);
			error = -1;
		}
	}
	if (error == 0 && (take_literal(&c, "end\n") < 0 || c.p != c.end))
		error = -1;
	if (error < 0) {
		sanctum_index__dispose(out);
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          WHAT " is malformed");
	}
	return 0;
}

/* ---- the file ---- */

char *sanctum_index__path(sanctum_store *store, const sanctum_identity *reader)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[33], name[48];
	char *dir, *path = NULL;
	sanctum_card card;

	sanctum_identity_card(&card, reader);
	crypto_hash_sha256(digest, card.signing_key, sizeof(card.signing_key));
	sanctum_hex_encode(hex, digest, 16);
	snprintf(name, sizeof(name), "index/%s.age", hex);
	dir = sanctum_store__local_path(store, "index");
	if (dir && (mkdir(dir, 0700) == 0 || errno == EEXIST))
		path = sanctum_store__local_path(store, name);
	free(dir);
	return path;
}

static int read_file(sanctum_buf *out, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int error = 0;

	if (fd < 0 && errno == ENOENT)
		return sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_OS,
		                          WHAT " is missing");
	if (fd < 0)
		return sanctum_error__os("cannot open " WHAT);
	if (fstat(fd, &st) != 0)
		error = sanctum_error__os("cannot read " WHAT);
	else if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > SANCTUM_INDEX_MAX_FILE)
		error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                           WHAT " is not a file of an acceptable size");
	else if (sanctum_buf_grow(out, (size_t)st.st_size) < 0)
		error = sanctum_error__nomem();
	while (error == 0 && out->size < (size_t)st.st_size) {
		ssize_t n = read(fd, out->ptr + out->size, (size_t)st.st_size - out->size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			error = sanctum_error__os("cannot read " WHAT);
		else if (n == 0)
			error = sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
			                           WHAT " shrank while it was read");
		else
			out->size += (size_t)n;
	}
	close(fd);
	return error;
}

int sanctum_index__read(sanctum_index *out, const char *path, const sanctum_identity *reader)
{
	sanctum_buf file = SANCTUM_BUF_INIT, plain = SANCTUM_BUF_INIT;
	const sanctum_age_identity *key = sanctum_identity_age(reader);
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	const unsigned char *body = NULL;
	size_t body_len = 0;
	sanctum_card card;
	int error;

	sanctum_index__init(out, "");
	sanctum_identity_card(&card, reader);
	error = read_file(&file, path);
	if (error == 0)
		error = sanctum_age_decrypt(&plain, &key, 1, NULL, file.ptr, file.size);
	if (error == 0)
		error = sanctum_signed__open(&body, &body_len, signer, SANCTUM_INDEX_NAMESPACE,
		                             plain.ptr, plain.size, WHAT);
	if (error == 0 && sodium_memcmp(signer, card.signing_key, sizeof(signer)) != 0)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           WHAT " was signed by another identity");
	if (error == 0)
		error = sanctum_index__parse(out, body, body_len);
	sanctum_buf_dispose(&plain);
	sanctum_buf_dispose(&file);
	return error;
}

/* Replaces `path` with `data` through a 0600 temporary file, fsync and rename. */
static int write_atomically(const char *path, const unsigned char *data, size_t len)
{
	size_t room = strlen(path) + 8, done = 0;
	char *tmp = malloc(room), *slash;
	int fd, error = 0;

	if (!tmp)
		return sanctum_error__nomem();
	snprintf(tmp, room, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		error = sanctum_error__os("cannot create a temporary file for " WHAT);
		free(tmp);
		return error;
	}
	if (fchmod(fd, 0600) != 0)
		error = sanctum_error__os("cannot restrict the permissions of " WHAT);
	while (error == 0 && done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			error = sanctum_error__os("cannot write " WHAT);
		else
			done += (size_t)n;
	}
	if (error == 0 && fsync(fd) != 0)
		error = sanctum_error__os("cannot flush " WHAT);
	if (close(fd) != 0 && error == 0)
		error = sanctum_error__os("cannot write " WHAT);
	if (error == 0 && rename(tmp, path) != 0)
		error = sanctum_error__os("cannot replace " WHAT);
	if (error < 0)
		unlink(tmp);
	/* Make the rename itself durable: fsync the folder (best effort). */
	if (error == 0 && (slash = strrchr(tmp, '/')) != NULL) {
		*slash = '\0';
		if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
	free(tmp);
	return error;
}

int sanctum_index__write(const sanctum_index *index, const char *path,
                         const sanctum_identity *reader)
{
	sanctum_buf body = SANCTUM_BUF_INIT, signed_body = SANCTUM_BUF_INIT;
	sanctum_buf file = SANCTUM_BUF_INIT;
	sanctum_age_recipient *self = NULL;
	const sanctum_age_recipient *recipients[1];
	int error = sanctum_index__serialize(&body, index);

	if (error == 0)
		error = sanctum_signed__seal(&signed_body, reader, SANCTUM_INDEX_NAMESPACE,
		                             body.ptr, body.size);
	if (error == 0)
		error = sanctum_age_identity_to_recipient(&self, sanctum_identity_age(reader));
	recipients[0] = self;
	if (error == 0)
		error = sanctum_age_encrypt(&file, recipients, 1, 0, signed_body.ptr,
		                            signed_body.size);
	if (error == 0)
		error = write_atomically(path, file.ptr, file.size);
	sanctum_age_recipient_free(self);
	sanctum_buf_dispose(&file);
	sanctum_buf_dispose(&signed_body);
	sanctum_buf_dispose(&body);
	return error;
}

/*
 * Merging two concurrent revisions of one document, without a store (doc_merge.h).
 *
 * Everything here must come out the same on every copy of the store, whichever side
 * merges into which: the winner rule is symmetric, and the text merge always takes the
 * revision with the smaller hash as "ours", so its inputs do not depend on who merges.
 */
#include "doc_merge.h"

#include "errors_internal.h"

#include <git2.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

/* Revision hashes name parents and conflict files: not secrets, compared by order. */
static int hash_order(const sanctum_doc *a, const sanctum_doc *b)
{
	return memcmp(a->hash, b->hash, SANCTUM_DOC_HASH_SIZE); /* checksrc: allow */
}

int sanctum_doc__wins(const sanctum_doc *a, const sanctum_doc *b)
{
	if (a->deleted != b->deleted)
		return !a->deleted;     /* an edit against a deletion keeps the edit */
	if (a->rev != b->rev)
		return a->rev > b->rev;
	return hash_order(a, b) > 0;
}

/* Strict UTF-8 (shortest forms, no surrogates, nothing above U+10FFFF) without NUL. */
static int is_utf8_text(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t n;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++)
			if (s[i + k] < (k == 1 ? lo : 0x80) || s[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		i += n + 1;
	}
	return 1;
}

static int body_is_text(const sanctum_doc *doc)
{
	return !doc->deleted && is_utf8_text(doc->body.ptr, doc->body.size);
}

int sanctum_doc__is_text(const sanctum_doc *doc)
{
	const char *type = doc->type ? doc->type : "";

	return (strncasecmp(type, "text/", 5) == 0 || strcasecmp(type, "application/json") == 0) &&
	       body_is_text(doc);
}

/* ---- metadata ---- */

/* A field after the merge: the side that changed it, or the winner's when both did. */
static const char *pick(const char *ancestor, const char *x, const char *y, const char *winner)
{
	if (strcmp(x, y) == 0 || strcmp(y, ancestor) == 0)
		return x;
	if (strcmp(x, ancestor) == 0)
		return y;
	return winner;
}

/* Tags are an ordered list (the author's order is kept), so order counts here too. */
static int same_tags(const sanctum_doc *a, const sanctum_doc *b)
{
	if (a->ntags != b->ntags)
		return 0;
	for (size_t i = 0; i < a->ntags; i++)
		if (strcmp(a->tags[i], b->tags[i]) != 0)
			return 0;
	return 1;
}

static const sanctum_doc *pick_tags(const sanctum_doc *ancestor, const sanctum_doc *x,
                                    const sanctum_doc *y, const sanctum_doc *winner)
{
	if (same_tags(x, y) || same_tags(y, ancestor))
		return x;
	if (same_tags(x, ancestor))
		return y;
	return winner;
}

/* ---- bodies ---- */

static void input_of(git_merge_file_input *in, const sanctum_doc *doc)
{
	git_merge_file_input_init(in, GIT_MERGE_FILE_INPUT_VERSION);
	in->ptr = doc->body.size ? (const char *)doc->body.ptr : "";
	in->size = doc->body.size;
	in->mode = GIT_FILEMODE_BLOB;
}

/* Merges the bodies; `first` is the side with the smaller hash, used as "ours". */
static int merge_bodies(git_merge_file_result *out, const sanctum_doc *ancestor,
                        const sanctum_doc *first, const sanctum_doc *second)
{
	git_merge_file_options opts;
	git_merge_file_input base, ours, theirs;

	git_merge_file_options_init(&opts, GIT_MERGE_FILE_OPTIONS_VERSION);
	input_of(&base, ancestor);
	input_of(&ours, first);
	input_of(&theirs, second);
	opts.favor = GIT_MERGE_FILE_FAVOR_NORMAL; /* overlapping edits are a conflict */
	if (git_merge_file(out, &base, &ours, &theirs, &opts) < 0) {
		const git_error *e = git_error_last();

		sanctum_error__set(SANCTUM_ERROR, SANCTUM_ERRCLASS_GIT,
		                   "cannot merge two texts: %s",
		                   e && e->message ? e->message : "libgit2 failed");
		git_error_clear();
		return SANCTUM_ERROR;
	}
	return 0;
}

/* The result holds plaintext: wipe it before libgit2 frees it. */
static void wipe_result(git_merge_file_result *result)
{
	if (result->ptr && result->len)
		sodium_memzero((void *)(uintptr_t)result->ptr, result->len);
	git_merge_file_result_free(result);
}

static int build(sanctum_doc *out, const sanctum_doc *ancestor, const sanctum_doc *first,
                 const sanctum_doc *second, const sanctum_doc *winner,
                 const git_merge_file_result *merged)
{
	const sanctum_doc *tags = pick_tags(ancestor, first, second, winner);
	int error;

	memcpy(out->id, first->id, SANCTUM_DOC_ID_SIZE);
	out->rev = (first->rev > second->rev ? first->rev : second->rev) + 1;
	out->has_parent = 1;
	memcpy(out->parent, first->hash, SANCTUM_DOC_HASH_SIZE);
	out->has_merged = 1;
	memcpy(out->merged, second->hash, SANCTUM_DOC_HASH_SIZE);
	error = sanctum_doc_set_title(out, pick(ancestor->title, first->title, second->title,
	                                        winner->title));
	if (error == 0)
		error = sanctum_doc_set_type(out, pick(ancestor->type, first->type, second->type,
		                                       winner->type));
	for (size_t i = 0; error == 0 && i < tags->ntags; i++)
		error = sanctum_doc_add_tag(out, tags->tags[i]);
	if (error == 0)
		error = sanctum_buf_put(&out->body, merged->ptr, merged->len);
	return error;
}

int sanctum_doc__merge3(sanctum_doc *out, int *clean, const sanctum_doc *ancestor,
                        const sanctum_doc *a, const sanctum_doc *b)
{
	const sanctum_doc *first = hash_order(a, b) < 0 ? a : b, *second = first == a ? b : a;
	const sanctum_doc *winner = sanctum_doc__wins(a, b) ? a : b;
	git_merge_file_result merged;
	sanctum_doc fresh = SANCTUM_DOC_INIT;
	int error;

	*out = fresh;
	*clean = 0;
	memset(&merged, 0, sizeof(merged));
	if (!sanctum_doc__is_text(a) || !sanctum_doc__is_text(b) || !body_is_text(ancestor) ||
	    !ancestor->title || !ancestor->type)
		return 0;
	error = merge_bodies(&merged, ancestor, first, second);
	/* A merge that grew past the limit cannot be one revision: it is a conflict. */
	if (error == 0 && merged.automergeable && merged.len <= SANCTUM_DOC_MAX_BODY) {
		*clean = 1;
		error = build(out, ancestor, first, second, winner, &merged);
	}
	wipe_result(&merged);
	if (error < 0) {
		sanctum_doc_dispose(out);
		*clean = 0;
	}
	return error;
}

/*
 * Lists of identities and recipients, and the line-oriented key files age uses: one key
 * per line, blank lines and '#' comments ignored, LF or CRLF line ends.
 */
#include "age_internal.h"
#include "errors_internal.h"

#include <stdlib.h>
#include <string.h>

static int grow(void ***items, size_t *alloc, size_t count)
{
	void **bigger;
	size_t want;

	if (count < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 4;
	if (!(bigger = realloc(*items, want * sizeof(*bigger))))
		return sanctum_error__nomem();
	*items = bigger;
	*alloc = want;
	return 0;
}

int sanctum_age_identity_list_add(sanctum_age_identity_list *list, sanctum_age_identity *identity)
{
	if (grow((void ***)&list->items, &list->alloc, list->count) < 0)
		return SANCTUM_ENOMEM;
	list->items[list->count++] = identity;
	return 0;
}

int sanctum_age_recipient_list_add(sanctum_age_recipient_list *list,
                                   sanctum_age_recipient *recipient)
{
	if (grow((void ***)&list->items, &list->alloc, list->count) < 0)
		return SANCTUM_ENOMEM;
	list->items[list->count++] = recipient;
	return 0;
}

void sanctum_age_identity_list_dispose(sanctum_age_identity_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		sanctum_age_identity_free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

void sanctum_age_recipient_list_dispose(sanctum_age_recipient_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		sanctum_age_recipient_free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* Parses one key line into an object; `parse` is the identity or recipient parser. */
typedef int (*key_parser)(void **out, const char *str, size_t len);

static int parse_identity(void **out, const char *str, size_t len)
{
	return sanctum_age_identity_parse((sanctum_age_identity **)out, str, len);
}

static int parse_recipient(void **out, const char *str, size_t len)
{
	return sanctum_age_recipient_parse((sanctum_age_recipient **)out, str, len);
}

/*
 * Calls `parse` on each key line and `add` with the result, counting additions in `*added`
 * so that on failure the caller can remove them and leave its list as it was.
 */
static int parse_lines(const char *text, size_t len, const char *kind, key_parser parse,
                       int (*add)(void *list, void *key), void *list, size_t *added)
{
	size_t line_no = 0, pos = 0;

	*added = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		void *key = NULL;
		int error;

		pos += n + (nl ? 1 : 0);
		line_no++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if ((error = parse(&key, line, n)) < 0)
			return sanctum_error__wrap(error, SANCTUM_ERRCLASS_INVALID, "line %zu", line_no);
		if ((error = add(list, key)) < 0)
			return error;
		(*added)++;
	}
	if (*added == 0)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "no %s found in the file", kind);
	return 0;
}

static int add_identity(void *list, void *key)
{
	int error = sanctum_age_identity_list_add(list, key);

	if (error < 0)
		sanctum_age_identity_free(key);
	return error;
}

static int add_recipient(void *list, void *key)
{
	int error = sanctum_age_recipient_list_add(list, key);

	if (error < 0)
		sanctum_age_recipient_free(key);
	return error;
}

int sanctum_age_identity_list_parse(sanctum_age_identity_list *list, const char *text, size_t len)
{
	size_t before = list->count, added = 0;
	int error = parse_lines(text, len, "identity", parse_identity, add_identity, list, &added);

	if (error < 0)
		while (list->count > before)
			sanctum_age_identity_free(list->items[--list->count]);
	return error;
}

int sanctum_age_recipient_list_parse(sanctum_age_recipient_list *list, const char *text,
                                     size_t len)
{
	size_t before = list->count, added = 0;
	int error = parse_lines(text, len, "recipient", parse_recipient, add_recipient, list, &added);

	if (error < 0)
		while (list->count > before)
			sanctum_age_recipient_free(list->items[--list->count]);
	return error;
}

#include "docfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error.h"

void cli_hex_id(char out[2 * SANCTUM_DOC_ID_SIZE + 1], const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	sanctum_doc_id_to_hex(out, id);
}

void cli_short_id(char out[CLI_SHORT_ID + 1], const unsigned char id[SANCTUM_DOC_ID_SIZE])
{
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1];

	sanctum_doc_id_to_hex(hex, id);
	memcpy(out, hex, CLI_SHORT_ID);
	out[CLI_SHORT_ID] = '\0';
}

void cli_short_fingerprint(char out[CLI_SHORT_FINGERPRINT + 1], const char *fingerprint)
{
	size_t len = strnlen(fingerprint, CLI_SHORT_FINGERPRINT);

	memcpy(out, fingerprint, len);
	out[len] = '\0';
}

void cli_format_time(char out[32], int64_t seconds, int style)
{
	time_t t = (time_t)seconds;
	struct tm tm;
	size_t n = 0;

	if ((int64_t)t == seconds && gmtime_r(&t, &tm)) {
		if (style == CLI_TIME_DATE)
			n = strftime(out, 32, "%Y-%m-%d", &tm);
		else if (style == CLI_TIME_MINUTE)
			n = strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
		else
			n = strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (n == 0)
		snprintf(out, 32, "?");
}

/* Extensions and their types; the first extension of a type is the one export writes. */
static const struct {
	const char *extension;
	const char *type;
} known_types[] = {
	{ "md", "text/markdown" },
	{ "markdown", "text/markdown" },
	{ "txt", "text/plain" },
	{ "csv", "text/csv" },
	{ "html", "text/html" },
	{ "htm", "text/html" },
	{ "json", "application/json" },
	{ "pdf", "application/pdf" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
};

#define OCTET_STREAM "application/octet-stream"

const char *cli_type_for_path(const char *path)
{
	const char *slash, *dot;

	if (!path || strcmp(path, "-") == 0)
		return OCTET_STREAM;
	slash = strrchr(path, '/');
	dot = strrchr(slash ? slash + 1 : path, '.');
	if (!dot || dot[1] == '\0')
		return OCTET_STREAM;
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcasecmp(dot + 1, known_types[i].extension) == 0)
			return known_types[i].type;
	return OCTET_STREAM;
}

const char *cli_extension_for_type(const char *type)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcasecmp(type, known_types[i].type) == 0)
			return known_types[i].extension;
	if (strncasecmp(type, "text/", 5) == 0)
		return "txt";
	return "bin";
}

/* The length of the valid UTF-8 sequence at `s` that is not a control character, or 0. */
static size_t clean_sequence(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f;
	if (s[0] == 0xc2)
		return s[1] >= 0xa0 && s[1] <= 0xbf ? 2 : 0;   /* C1 controls are U+0080-U+009F */
	if (s[0] > 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

char *cli_clean_text(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t size = strlen(text) + 1;
	char *out = malloc(size), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		size_t n = clean_sequence(s);

		if (n == 0) {
			*o++ = '?';
			s++;
		} else {
			memcpy(o, s, n);
			o += n;
			s += n;
		}
	}
	*o = '\0';
	return out;
}

int cli_type_is_text(const char *type)
{
	return strncasecmp(type, "text/", 5) == 0 || strcasecmp(type, "application/json") == 0;
}

json_t *cli_json_strings(char *const *items, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < count; i++) {
		if (json_array_append_new(array, json_string(items[i])) != 0) {
			json_decref(array);
			array = NULL;
		}
	}
	return array;
}

int cli_json_set(json_t *object, const char *key, json_t *value)
{
	/* json_object_set_new releases `value` even when it fails. */
	if (!object || !value) {
		json_decref(value);
		return -1;
	}
	return json_object_set_new(object, key, value) == 0 ? 0 : -1;
}

void cli_doc_view_of(cli_doc_view *out, const sanctum_doc *doc)
{
	out->id = doc->id;
	out->rev = doc->rev;
	out->title = doc->title ? doc->title : "";
	out->type = doc->type ? doc->type : "";
	out->tags = doc->tags;
	out->ntags = doc->ntags;
	out->author = doc->author;
	out->author_name = NULL;
	out->time = doc->time;
	out->size = doc->body.size;
	out->deleted = doc->deleted;
}

json_t *cli_json_doc(const cli_doc_view *doc)
{
	char hex[2 * SANCTUM_DOC_ID_SIZE + 1], when[32];
	json_t *o = json_object();
	int bad = 0;

	sanctum_doc_id_to_hex(hex, doc->id);
	cli_format_time(when, doc->time, CLI_TIME_ISO);
	bad |= cli_json_set(o, "id", json_string(hex));
	bad |= cli_json_set(o, "rev", json_integer((json_int_t)doc->rev));
	bad |= cli_json_set(o, "title", json_string(doc->title));
	bad |= cli_json_set(o, "type", json_string(doc->type));
	bad |= cli_json_set(o, "tags", cli_json_strings(doc->tags, doc->ntags));
	bad |= cli_json_set(o, "author", json_string(doc->author));
	bad |= cli_json_set(o, "author_name",
	                    doc->author_name ? json_string(doc->author_name) : json_null());
	bad |= cli_json_set(o, "time", json_string(when));
	bad |= cli_json_set(o, "size", json_integer((json_int_t)doc->size));
	bad |= cli_json_set(o, "deleted", json_boolean(doc->deleted));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cli_json_print(json_t *value)
{
	int rc = 0;

	if (!value)
		return cli_error("out of memory (or a text that is not UTF-8) while making JSON");
	if (json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', stdout) == EOF)
		rc = -1;
	json_decref(value);
	/* A write failure is reported once, by main's final check of stdout. */
	return rc == 0 ? 0 : -1;
}

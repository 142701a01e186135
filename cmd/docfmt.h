/*
 * Documents as the command line shows them: short ids, dates, fingerprints, MIME types
 * guessed from file names and the other way round, and the JSON output of the store
 * commands (jansson), so that every command prints a document the same way.
 */
#ifndef CLI_DOCFMT_H
#define CLI_DOCFMT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <sanctum/doc.h>

#define CLI_SHORT_ID 12          /* hex digits of an id or commit in tables */
#define CLI_SHORT_FINGERPRINT 15 /* "SHA256:" and the first 8 base64 characters */

/** The first CLI_SHORT_ID hex digits of a document id, NUL-terminated. Can't fail. */
void cli_short_id(char out[CLI_SHORT_ID + 1], const unsigned char id[SANCTUM_DOC_ID_SIZE]);

/** The full hex id. Can't fail. */
void cli_hex_id(char out[2 * SANCTUM_DOC_ID_SIZE + 1], const unsigned char id[SANCTUM_DOC_ID_SIZE]);

/** A fingerprint cut to CLI_SHORT_FINGERPRINT characters for tables. Can't fail. */
void cli_short_fingerprint(char out[CLI_SHORT_FINGERPRINT + 1], const char *fingerprint);

/* Styles of cli_format_time; every time is shown in UTC. */
enum {
	CLI_TIME_DATE,           /* 2026-11-29 */
	CLI_TIME_MINUTE,         /* 2026-11-29 17:00 */
	CLI_TIME_ISO             /* 2026-11-29T17:00:00Z, for --json and --meta */
};

/** Formats seconds since 1970 (UTC); a time gmtime cannot represent prints as "?". */
void cli_format_time(char out[32], int64_t seconds, int style);

/**
 * The MIME type for a file name, from its extension (case-insensitive): .md, .txt, .csv,
 * .html, .json, .pdf and a few office formats; anything else, standard input included,
 * is application/octet-stream. Static, can't fail.
 */
const char *cli_type_for_path(const char *path);

/** The file extension (without the dot) for a MIME type; "bin" when none is known. */
const char *cli_extension_for_type(const char *type);

/**
 * A copy of text that came from the store without a check (commit messages and author
 * names, paths in verification reports) that is safe to show and to put in JSON: control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 become '?'. The caller frees it;
 * NULL when out of memory.
 */
char *cli_clean_text(const char *text);

/** Whether a type is text that a terminal can show: text/anything and application/json. */
int cli_type_is_text(const char *type);

/*
 * JSON. Builders return NULL when out of memory or when a string is not UTF-8; the
 * callers report that as one error. Objects keep the order their keys were set in, so
 * output is byte-stable.
 */

/** A JSON array of strings. */
json_t *cli_json_strings(char *const *items, size_t count);

/** Sets `key` to a new value, stealing it; a NULL value makes the object invalid. */
int cli_json_set(json_t *object, const char *key, json_t *value);

/** The fields every command shows of a document, from a sanctum_doc or a list entry. */
typedef struct {
	const unsigned char *id;
	uint64_t rev;
	const char *title;
	const char *type;
	char *const *tags;
	size_t ntags;
	const char *author;      /* fingerprint */
	const char *author_name; /* "city/device" from the roster, or NULL when unknown */
	int64_t time;
	uint64_t size;           /* body bytes */
	int deleted;
} cli_doc_view;

/** A view of a revision, with author_name NULL; borrows from `doc`. */
void cli_doc_view_of(cli_doc_view *out, const sanctum_doc *doc);

/**
 * A document as a JSON object, keys in this order: id, rev, title, type, tags, author
 * (fingerprint), author_name (or null), time (ISO 8601, UTC), size, deleted.
 */
json_t *cli_json_doc(const cli_doc_view *doc);

/**
 * Prints `value` to stdout, indented by two, with a final newline, then releases it
 * (NULL is reported as "out of memory"). Returns 0, or -1 after printing why.
 */
int cli_json_print(json_t *value);

#endif

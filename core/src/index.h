/*
 * The local list index: what `sanctum list` shows, kept per reader in
 * .sanctum/sanctum/index/<hex of the first 16 bytes of SHA-256 of the reader's signing
 * key>.age so that listing a store costs one X25519 operation, not one per document.
 *
 * Titles and tags are secrets at rest too, so the file is an age file encrypted to the
 * reader's own X25519 recipient. Its plaintext is a signed file (namespace
 * "sanctum-index", signed by the reader) whose body is:
 *
 *     sanctum-index v1
 *     group <32 hex digits>                  the store's group id
 *     head <40 hex digits>                   main's head commit this index reflects
 *     count <n>
 *     doc <id> <blob> <rev> <time> <size> live|deleted <author> <ntags>    n times, ids
 *     title <len> <len bytes>                                  strictly increasing
 *     type <len> <len bytes>
 *     tag <len> <len bytes>                  ntags times
 *     end
 *
 * where <blob> is the 40 hex digits of the document file's blob id and <author> the
 * fingerprint of the revision's signer. Strings are length-prefixed, so no byte needs
 * escaping. The index is a cache and never an authority: a file that is missing,
 * unreadable, badly signed, malformed or from another group is discarded and rebuilt
 * from the store.
 */
#ifndef SANCTUM_INDEX_H
#define SANCTUM_INDEX_H

#include "sanctum/history.h"

#include "manifest.h"

#include <git2.h>

#define SANCTUM_INDEX_NAMESPACE "sanctum-index"
#define SANCTUM_INDEX_MAX_FILE (1024u << 20)    /* a bigger index file is discarded */

/** One document of the index: what the list shows, and the file it was read from. */
typedef struct {
	sanctum_doc_info info;
	git_oid blob;                 /* the document file's blob on main */
	int dropped;                  /* scratch for updates: to be removed */
} sanctum_index_entry;

typedef struct {
	char group_id[SANCTUM_GROUP_ID_HEX];
	git_oid head;                 /* main's head that the entries reflect */
	sanctum_index_entry *entries; /* owned, sorted by id, no duplicates */
	size_t count;
	size_t alloc;
} sanctum_index;

/** An empty index for `group_id`, reflecting no commit (a zero head). */
void sanctum_index__init(sanctum_index *index, const char *group_id);

/** Frees the entries (wiping their strings) and resets the index to empty. */
void sanctum_index__dispose(sanctum_index *index);

/** Frees the strings of one entry's info, wiping them first. */
void sanctum_index__info_dispose(sanctum_doc_info *info);

/** Fills `out` from a checked revision (copies). Returns 0 or SANCTUM_ENOMEM. */
int sanctum_index__info_from_doc(sanctum_doc_info *out, const sanctum_doc *doc);

/** The position of `id` in the entries, or -1 (binary search; entries must be sorted). */
long sanctum_index__find(const sanctum_index *index, const unsigned char id[SANCTUM_DOC_ID_SIZE]);

/** Appends an entry (taking over its strings); the caller sorts afterwards. */
int sanctum_index__append(sanctum_index *index, sanctum_index_entry *entry);

/**
 * Removes dropped entries and sorts by id. Returns 0, or SANCTUM_EINVALID when two
 * entries have one id (the index is then not usable).
 */
int sanctum_index__settle(sanctum_index *index);

/** The body of the index (unsigned plaintext) into `out`. */
int sanctum_index__serialize(sanctum_buf *out, const sanctum_index *index);

/** Parses a body strictly into `out` (initialised here). Returns 0 or SANCTUM_EINVALID. */
int sanctum_index__parse(sanctum_index *out, const unsigned char *data, size_t len);

/**
 * Reads the index file at `path` as `reader`: decrypts it, checks that `reader` signed it
 * and parses it. Returns 0, SANCTUM_ENOTFOUND (no file) or another error (discard it).
 */
int sanctum_index__read(sanctum_index *out, const char *path, const sanctum_identity *reader);

/**
 * Writes the index to `path` for `reader`: signs, encrypts, and replaces the file
 * atomically (a 0600 temporary file in the same folder, fsync, rename).
 */
int sanctum_index__write(const sanctum_index *index, const char *path,
                         const sanctum_identity *reader);

/** The index file of `reader` in the store's local folder (created). Caller frees. */
char *sanctum_index__path(sanctum_store *store, const sanctum_identity *reader);

#endif

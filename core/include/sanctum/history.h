/*
 * Reading a store without changing it: the list of documents (from a local index), the
 * log of main, and the revisions of one document.
 */
#ifndef SANCTUM_HISTORY_H
#define SANCTUM_HISTORY_H

#include "store.h"

/** One document as `sanctum list` shows it. */
typedef struct {
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	uint64_t rev;
	int64_t time;                          /* of the current revision */
	char author[SANCTUM_FINGERPRINT_SIZE]; /* of the current revision */
	char *title;                           /* owned */
	char *type;                            /* owned */
	char **tags;                           /* owned */
	size_t ntags;
	uint64_t size;                         /* body bytes */
	int deleted;
} sanctum_doc_info;

typedef struct {
	sanctum_doc_info *items;               /* owned, sorted by title then id */
	size_t count;
} sanctum_doc_list;

/**
 * Lists every document on main, deleted ones included (callers filter), as `reader`.
 * Served from a local index in .sanctum/sanctum/ that is encrypted to the reader and
 * keyed by main's head: when main moved, only the documents whose files changed since
 * are decrypted; when the index is missing, unreadable or from another store it is
 * rebuilt from the store, which is always the authority.
 */
SANCTUM_WARN_UNUSED int sanctum_store_list(sanctum_doc_list *out, sanctum_store *store,
                                           const sanctum_identity *reader);

void sanctum_doc_list_dispose(sanctum_doc_list *list);

/** One commit of main, newest first. */
typedef struct {
	char commit[41];                       /* hex object id */
	uint64_t seq;                          /* Sanctum-Seq trailer */
	int64_t time;
	const char *author;                    /* "city/device"; borrowed for the callback */
	const char *fingerprint;               /* the author's key; borrowed */
	const char *summary;                   /* first line of the message; borrowed */
} sanctum_log_entry;

/** Called per entry; a negative return stops the walk and is returned. */
typedef int (*sanctum_log_fn)(const sanctum_log_entry *entry, void *payload);

/** Walks main from its head to the root commit (first parents first). */
SANCTUM_WARN_UNUSED int sanctum_store_log(sanctum_store *store, sanctum_log_fn fn,
                                          void *payload);

/** One revision of a document, newest first. */
typedef struct {
	char commit[41];                       /* the commit that wrote it */
	const sanctum_doc *doc;                /* borrowed for the callback: the checked revision */
} sanctum_revision;

typedef int (*sanctum_revision_fn)(const sanctum_revision *revision, void *payload);

/**
 * Walks the revisions of one document through main's history (only commits whose tree
 * changed that document's file), decrypting and checking each one as `reader`.
 */
SANCTUM_WARN_UNUSED int sanctum_store_doc_log(sanctum_store *store,
                                              const unsigned char id[SANCTUM_DOC_ID_SIZE],
                                              const sanctum_identity *reader,
                                              sanctum_revision_fn fn, void *payload);

#endif

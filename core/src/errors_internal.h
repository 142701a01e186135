/*
 * Recording errors from inside the library. Each setter stores a one-line message for
 * sanctum_error_last() and returns the code, so a failure path reads
 *     return sanctum_error__set(SANCTUM_EHEADER, SANCTUM_ERRCLASS_AGE, "...");
 */
#ifndef SANCTUM_ERRORS_INTERNAL_H
#define SANCTUM_ERRORS_INTERNAL_H

#include "sanctum/errors.h"

/** Records `code` with a printf-style message and returns `code`. */
int sanctum_error__set(int code, sanctum_error_class klass, const char *fmt, ...)
	SANCTUM_PRINTF(3, 4);

/**
 * Records `code` with a message made of the printf-style prefix, ": ", and the message of
 * the error recorded before (the callee's), and returns `code`.
 */
int sanctum_error__wrap(int code, sanctum_error_class klass, const char *fmt, ...)
	SANCTUM_PRINTF(3, 4);

/* Untrusted text quoted in a message is cut after this many bytes; a path or a server's
 * message may take up to SANCTUM_QUOTE_LONGEST. */
#define SANCTUM_QUOTE_MAX 64
#define SANCTUM_QUOTE_LONGEST 1024

/**
 * Copies untrusted bytes into `out` for a message: printable ASCII only, anything else
 * as '?', so hostile input cannot send escape sequences to a terminal; cut with "..."
 * after `max` (at most SANCTUM_QUOTE_LONGEST) bytes. `out` has room for max + 4 bytes.
 * Returns `out`.
 */
const char *sanctum_error__quote(char *out, const unsigned char *ptr,
                                 size_t len, size_t max);

/** Records SANCTUM_ENOMEM and returns it. */
int sanctum_error__nomem(void);

/** Records a failed system call: the message, then ": " and strerror(errno). */
int sanctum_error__os(const char *fmt, ...) SANCTUM_PRINTF(1, 2);

#endif

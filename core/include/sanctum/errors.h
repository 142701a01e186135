/*
 * Error codes and the per-thread last error.
 *
 * Every fallible function returns 0 or a negative code from sanctum_error_code. Named codes
 * exist only for failures a caller acts on; everything else is SANCTUM_ERROR. The message
 * of the last failure on this thread, one line a person can act on, is kept until the next
 * failure or sanctum_error_clear.
 */
#ifndef SANCTUM_ERRORS_H
#define SANCTUM_ERRORS_H

#include "common.h"

typedef enum {
	SANCTUM_OK = 0,
	SANCTUM_ERROR = -1,          /* anything without a named code */
	SANCTUM_ENOTFOUND = -2,      /* a named thing does not exist */
	SANCTUM_EEXISTS = -3,        /* refusing to replace something that exists */
	SANCTUM_ELOCKED = -4,        /* another process holds the lock */
	SANCTUM_EBADPASS = -5,       /* the passphrase does not open the file */
	SANCTUM_EVERIFY = -6,        /* a signature or a rule of the store was broken */
	SANCTUM_EROLLBACK = -7,      /* a remote's history went backwards */
	SANCTUM_ECONFLICT = -8,      /* concurrent changes need a decision */
	SANCTUM_EINVALID = -9,       /* invalid argument or input of the wrong form */
	SANCTUM_ENOMATCH = -10,      /* age: no identity opens any recipient stanza */
	SANCTUM_EHEADER = -11,       /* age: the header is malformed */
	SANCTUM_EMAC = -12,          /* age: the header MAC does not match */
	SANCTUM_EPAYLOAD = -13,      /* age: a payload chunk failed authentication */
	SANCTUM_ETRUNCATED = -14,    /* age: the file ends before its final chunk */
	SANCTUM_EARMOR = -15,        /* age: the ASCII armor is malformed */
	SANCTUM_EKEY = -16,          /* a key or recipient string has a bad encoding */
	SANCTUM_EWORKFACTOR = -17,   /* age: scrypt work factor above the accepted limit */
	SANCTUM_ETRAILING = -18,     /* age: data after the final chunk */
	SANCTUM_ENOMEM = -19,        /* out of memory */
	SANCTUM_ENETWORK = -20       /* a remote could not be reached or the connection failed */
} sanctum_error_code;

/** Which layer reported the error; lets the command line add context. */
typedef enum {
	SANCTUM_ERRCLASS_NONE = 0,
	SANCTUM_ERRCLASS_OS,         /* a system call failed; errno is in the message */
	SANCTUM_ERRCLASS_NOMEMORY,
	SANCTUM_ERRCLASS_INVALID,    /* caller misuse or malformed input */
	SANCTUM_ERRCLASS_CRYPTO,     /* libsodium refused or an authenticity check failed */
	SANCTUM_ERRCLASS_AGE,        /* the age format */
	SANCTUM_ERRCLASS_GIT         /* libgit2 */
} sanctum_error_class;

/** The last error recorded on this thread. Borrowed; never NULL. */
typedef struct {
	int code;                    /* a sanctum_error_code, 0 when nothing failed */
	sanctum_error_class klass;   /* the layer that reported it */
	const char *message;         /* one line, lowercase, no final period; "" if none */
} sanctum_error;

/** The last error of this thread. Borrowed, valid until the next call into sanctum. */
const sanctum_error *sanctum_error_last(void);

/**
 * Records an error as the last of this thread and returns `code`: for libraries built on
 * this one (the daemon's transport), so their callers read every failure the same way.
 */
int sanctum_error_set(int code, sanctum_error_class klass, const char *fmt, ...)
	SANCTUM_PRINTF(3, 4);

/** Forgets the last error of this thread. */
void sanctum_error_clear(void);

/** A short fixed name for a code ("no identity matched", ...). Borrowed, static. */
const char *sanctum_error_name(int code);

#endif

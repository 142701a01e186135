/*
 * Passphrases come from the terminal (/dev/tty, echo off) or from the first line of a
 * --passphrase-file, never from argv or the environment, where other users and logs can
 * see them. They live only in sanctum_buf, which wipes them.
 */
#ifndef CLI_PASSPHRASE_H
#define CLI_PASSPHRASE_H

#include <sanctum/buf.h>

#define CLI_PASSPHRASE_MAX 1024       /* longer input is refused, not silently cut */

typedef struct {
	const char *file;       /* --passphrase-file, or NULL to ask on the terminal */
	const char *prompt;     /* what the terminal shows, without ": " */
	int confirm;            /* ask twice on the terminal (when encrypting) */
	int reported;           /* set once a failure has been printed */
} cli_passphrase;

/**
 * Puts a passphrase in `out` (replacing its contents). Refuses an empty one. Prints its
 * own errors, sets pp->reported and returns -1 on failure.
 */
int cli_passphrase_get(sanctum_buf *out, cli_passphrase *pp);

/** cli_passphrase_get as a sanctum_passphrase_fn; `payload` is the cli_passphrase. */
int cli_passphrase_cb(sanctum_buf *out, void *payload);

#endif

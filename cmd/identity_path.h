/*
 * Finding and unlocking this member's identity file, for every command that signs or
 * decrypts.
 *
 * The identity file is the first of:
 *     --identity PATH
 *     $SANCTUM_IDENTITY
 *     $XDG_CONFIG_HOME/sanctum/identity   (only an absolute $XDG_CONFIG_HOME counts)
 *     $HOME/.config/sanctum/identity
 * Its passphrase is read from the first line of --passphrase-file FILE, else of the file
 * named by $SANCTUM_PASSPHRASE_FILE (for unattended jobs), else from the terminal. The
 * environment names a file, never holds a passphrase itself. Empty variables count as
 * unset.
 */
#ifndef CLI_IDENTITY_PATH_H
#define CLI_IDENTITY_PATH_H

#include <sanctum/identity.h>

#define CLI_IDENTITY_ENV "SANCTUM_IDENTITY"
#define CLI_PASSPHRASE_FILE_ENV "SANCTUM_PASSPHRASE_FILE"

/**
 * The identity file's path in a new string the caller frees; `option` is the value of
 * --identity, or NULL. Prints its error and returns NULL when no location can be found
 * (no $HOME) or memory runs out.
 */
char *cli_identity_path(const char *option);

/**
 * The passphrase file to read: `option` (the value of --passphrase-file), else
 * $SANCTUM_PASSPHRASE_FILE, else NULL for the terminal. Borrowed from argv or environ.
 */
const char *cli_passphrase_file(const char *option);

/**
 * Loads the identity at `path`, asking for its passphrase (from `passphrase_file`, or the
 * terminal when NULL) only if the file is encrypted. Prints its errors, with a hint where
 * there is a next step, and returns an exit code; on success `*out` is the caller's.
 */
int cli_identity_load(sanctum_identity **out, const char *path, const char *passphrase_file);

#endif

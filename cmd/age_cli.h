/*
 * Shared by the files of `sanctum age`: cmd_age.c reads the command line into age_args,
 * age_keys.c turns -r/-R/-i into keys, age_run.c streams the data, cmd_age_keygen.c
 * makes keys.
 */
#ifndef CLI_AGE_H
#define CLI_AGE_H

#include <stddef.h>

#include <sanctum/age.h>

#include "opt.h"

/** One -r, -R or -i, in command-line order. */
typedef struct {
	char kind;                     /* 'r', 'R' or 'i' */
	const char *value;             /* borrowed from argv */
} age_key_arg;

typedef struct {
	int decrypt;                   /* -d */
	int encrypt;                   /* -e given explicitly */
	int armor;                     /* -a */
	int passphrase;                /* -p */
	const char *input;             /* NULL or "-" for stdin */
	const char *output;            /* NULL or "-" for stdout */
	const char *passphrase_file;   /* --passphrase-file, NULL to ask on the terminal */
	int work_factor;               /* --work-factor, 0 for the default */
	int max_work_factor;           /* --max-work-factor, 0 for the default */
	age_key_arg *keys;             /* owned array, nkeys used */
	size_t nkeys;
} age_args;

/** How many keys of `kind` were given. */
size_t age_args_count(const age_args *args, char kind);

/**
 * Adds the recipients named by -r, -R and (with -e) -i. Prints its errors and returns
 * an exit code.
 */
int age_recipients_load(sanctum_age_recipient_list *list, const age_args *args);

/** Adds the identities of every -i file. Prints its errors and returns an exit code. */
int age_identities_load(sanctum_age_identity_list *list, const age_args *args);

/**
 * Adds the identities of one identity file, which may itself be a passphrase-encrypted
 * age file (the passphrase then comes from `passphrase_file` or the terminal).
 */
int age_identity_file_load(sanctum_age_identity_list *list, const char *path,
                           const char *passphrase_file);

/** Prints the hint for a failed age operation, if there is a useful next step. */
void age_hint(int code, const age_args *args);

int age_encrypt_run(const age_args *args);
int age_decrypt_run(const age_args *args);

/** `sanctum age keygen`; its synopsis follows age's in `sanctum age --help`. */
int cmd_age_keygen(int argc, char **argv);
extern const cli_doc age_keygen_doc;

#endif

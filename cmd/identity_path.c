#include "identity_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanctum/errors.h>

#include "error.h"
#include "passphrase.h"

#define IDENTITY_TAIL "sanctum/identity"

/* A variable's value, or NULL when it is unset or empty. */
static const char *env(const char *name)
{
	const char *value = getenv(name);

	return value && *value ? value : NULL;
}

/* "<dir>/<tail>" in a new string, without doubling a '/' that ends `dir`. */
static char *join(const char *dir, const char *tail)
{
	size_t len = strlen(dir);
	int slash = len > 0 && dir[len - 1] == '/';
	size_t size = len + 1 + strlen(tail) + 1;
	char *path = malloc(size);

	if (path)
		snprintf(path, size, "%s%s%s", dir, slash ? "" : "/", tail);
	return path;
}

char *cli_identity_path(const char *option)
{
	const char *value = option ? option : env(CLI_IDENTITY_ENV);
	const char *xdg = env("XDG_CONFIG_HOME"), *home = env("HOME");
	char *path;

	if (value)
		path = strdup(value);
	else if (xdg && xdg[0] == '/') /* the XDG spec ignores a relative value */
		path = join(xdg, IDENTITY_TAIL);
	else if (home)
		path = join(home, ".config/" IDENTITY_TAIL);
	else {
		cli_error("cannot find the identity file: $HOME is not set");
		cli_hint("give its path with --identity PATH or $%s", CLI_IDENTITY_ENV);
		return NULL;
	}
	if (!path)
		cli_error("out of memory");
	return path;
}

const char *cli_passphrase_file(const char *option)
{
	return option ? option : env(CLI_PASSPHRASE_FILE_ENV);
}

static void load_hint(int code)
{
	switch (code) {
	case SANCTUM_ENOTFOUND:
		cli_hint("make one with 'sanctum keys gen --name CITY', or give its path with "
		         "--identity PATH");
		break;
	case SANCTUM_EBADPASS:
		cli_hint("passphrases are case-sensitive; check it and try again");
		break;
	case SANCTUM_EWORKFACTOR:
		cli_hint("the file asks for more scrypt work than sanctum allows; re-encrypt it "
		         "with a lower work factor");
		break;
	case SANCTUM_EHEADER:
	case SANCTUM_EMAC:
	case SANCTUM_EPAYLOAD:
	case SANCTUM_ETRUNCATED:
	case SANCTUM_EARMOR:
	case SANCTUM_ETRAILING:
	case SANCTUM_ENOMATCH:
		cli_hint("the identity file is damaged; restore it from your backup");
		break;
	default:
		break;
	}
}

int cli_identity_load(sanctum_identity **out, const char *path, const char *passphrase_file)
{
	char prompt[PATH_MAX + 64];
	cli_passphrase pp = { passphrase_file, prompt, 0, 0 };
	int code;

	snprintf(prompt, sizeof(prompt), "Enter passphrase for identity '%s'", path);
	code = sanctum_identity_load(out, path, cli_passphrase_cb, &pp);
	if (code == 0)
		return CLI_EXIT_OK;
	/* The passphrase prompt printed its own failure. */
	if (pp.reported) {
		sanctum_error_clear();
		return CLI_EXIT_FAILED;
	}
	cli_error_lib(code);
	load_hint(code);
	return CLI_EXIT_FAILED;
}

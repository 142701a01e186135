#include "cmd.h"

#include <string.h>

static const cli_cmd commands[] = {
	{ "age", cmd_age, "encrypt and decrypt files in the age format, make age keys",
	  CLI_CMD_NONE },
	{ "keys", cmd_keys, "make and show this member's identity, card and public keys",
	  CLI_CMD_NONE },
	{ "help", cmd_help, "show the help of sanctum or of one command", CLI_CMD_NONE },
};

const cli_cmd *cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const cli_cmd *cli_cmd_table(size_t *count)
{
	*count = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

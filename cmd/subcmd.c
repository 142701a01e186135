#include "subcmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "suggest.h"

static void print_help(FILE *out, const cli_subcommand_set *set)
{
	cli_usage_print(out, set->synopsis);
	fprintf(out, "\n%s\n\nsubcommands:\n", set->about);
	for (size_t i = 0; i < set->count; i++)
		fprintf(out, "    %-10s%s\n", set->subs[i].name, set->subs[i].summary);
	if (set->details)
		fprintf(out, "\n%s", set->details);
	fprintf(out, "\nRun '%s SUBCOMMAND --help' for its options.\n", cli_prog());
}

/* Prints "<prog>: <message>", a suggestion for `word` (may be NULL) and the synopses. */
static SANCTUM_PRINTF(3, 4) int usage_error(const cli_subcommand_set *set, const char *word,
                                            const char *fmt, ...)
{
	cli_suggestion s;
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (word) {
		cli_suggest_init(&s, word);
		for (size_t i = 0; i < set->count; i++)
			cli_suggest_consider(&s, set->subs[i].name);
		cli_suggest_hint(&s, "");
	}
	cli_usage_print(stderr, set->synopsis);
	return CLI_EXIT_USAGE;
}

int cli_subcommand_dispatch(const cli_subcommand_set *set, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return usage_error(set, NULL, "missing subcommand");
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		print_help(stdout, set);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < set->count; i++) {
		if (strcmp(sub, set->subs[i].name) == 0) {
			cli_set_prog(set->subs[i].doc->prog);
			return set->subs[i].fn(argc - 1, argv + 1);
		}
	}
	if (sub[0] == '-')
		return usage_error(set, NULL, "unknown option '%s' (the subcommand comes first)", sub);
	return usage_error(set, sub, "unknown subcommand '%s'", sub);
}

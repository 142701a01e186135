/*
 * "Did you mean" hints for mistyped commands and options, as git gives them.
 *
 *     cli_suggestion s;
 *
 *     cli_suggest_init(&s, typed);
 *     for each known name: cli_suggest_consider(&s, name);
 *     cli_suggest_hint(&s, "--");
 */
#ifndef CLI_SUGGEST_H
#define CLI_SUGGEST_H

#include <stddef.h>

#define CLI_SUGGEST_MAX 4      /* closest names kept; more ties than this are dropped */

typedef struct {
	const char *word;                          /* what the user typed */
	size_t best;                               /* distance of the names kept */
	const char *names[CLI_SUGGEST_MAX];        /* borrowed from the caller */
	size_t count;
} cli_suggestion;

void cli_suggest_init(cli_suggestion *s, const char *word);

/** Keeps `name` if it is close enough to the typed word and no farther than the best. */
void cli_suggest_consider(cli_suggestion *s, const char *name);

/** Prints "hint: did you mean '<prefix><name>'?" if any name was kept; else nothing. */
void cli_suggest_hint(const cli_suggestion *s, const char *prefix);

#endif

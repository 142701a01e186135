#include "suggest.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

#define WORD_MAX 64            /* longer words get no suggestion: nobody mistypes those */
#define NOT_CLOSE ((size_t)-1)

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
 * (optimal string alignment), the typing mistakes people make. Three rolling rows suffice.
 */
static size_t distance(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t rows[3][WORD_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	for (size_t j = 0; j <= blen; j++)
		prev[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen];
}

/* How far `name` is from `word`, or NOT_CLOSE when suggesting it would only confuse. */
static size_t closeness(const char *word, const char *name)
{
	size_t wlen = strlen(word), nlen = strlen(name);
	size_t longest = wlen > nlen ? wlen : nlen;
	size_t d;

	if (wlen == 0 || wlen > WORD_MAX || nlen > WORD_MAX)
		return NOT_CLOSE;
	/* A started word ("ag" for "age") is as good as one typo. */
	if (wlen >= 2 && wlen < nlen && strncmp(word, name, wlen) == 0)
		return 1;
	d = distance(word, wlen, name, nlen);
	return d <= 2 && 2 * d < longest ? d : NOT_CLOSE;
}

void cli_suggest_init(cli_suggestion *s, const char *word)
{
	memset(s, 0, sizeof(*s));
	s->word = word;
	s->best = NOT_CLOSE;
}

void cli_suggest_consider(cli_suggestion *s, const char *name)
{
	size_t d = closeness(s->word, name);

	if (d == NOT_CLOSE || d > s->best)
		return;
	if (d < s->best) {
		s->best = d;
		s->count = 0;
	}
	if (s->count < CLI_SUGGEST_MAX)
		s->names[s->count++] = name;
}

void cli_suggest_hint(const cli_suggestion *s, const char *prefix)
{
	if (s->count == 0)
		return;
	if (s->count == 1) {
		cli_hint("did you mean '%s%s'?", prefix, s->names[0]);
		return;
	}
	fputs("hint: did you mean one of these?", stderr);
	for (size_t i = 0; i < s->count; i++)
		fprintf(stderr, " '%s%s'", prefix, s->names[i]);
	fputc('\n', stderr);
}

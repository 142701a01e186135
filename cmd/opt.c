#include "opt.h"

#include <stdarg.h>
#include <string.h>

#include "error.h"
#include "suggest.h"

#define HELP_COLUMN_MAX 30     /* option column of --help; longer entries wrap */

static const cli_opt help_opt = { -1, 'h', "help", NULL, "show this help and exit", 0 };

static int is_positional(const cli_opt *o)
{
	return (o->flags & CLI_OPT_POSITIONAL) != 0;
}

/* Whether the table claims -h or --help for itself. */
static int table_has_help(const cli_opt *opts)
{
	for (const cli_opt *o = opts; o->id; o++)
		if (!is_positional(o) && (o->short_name == 'h' ||
		                          (o->long_name && strcmp(o->long_name, "help") == 0)))
			return 1;
	return 0;
}

/* ---- synopsis --------------------------------------------------------------------- */

static const cli_opt *find_id(const cli_opt *opts, int id)
{
	for (const cli_opt *o = opts; o->id; o++)
		if (o->id == id)
			return o;
	return NULL;
}

/* "-o OUTPUT", "--work-factor N" or "INPUT". */
static void print_item(FILE *out, const cli_opt *o)
{
	if (is_positional(o))
		fputs(o->value_name, out);
	else if (o->short_name)
		fprintf(out, "-%c", o->short_name);
	else
		fprintf(out, "--%s", o->long_name);
	if (!is_positional(o) && o->value_name)
		fprintf(out, " %s", o->value_name);
}

/* One group of alternatives starting at items[0]; returns how many items it took. */
static size_t print_group(FILE *out, const cli_opt *opts, const cli_usage *items)
{
	const cli_opt *first = find_id(opts, items[0].id);
	size_t n = 1;

	while (items[n].id && (items[n].flags & CLI_USAGE_ALT))
		n++;
	if (!first)
		return n;

	int required = (items[0].flags & CLI_USAGE_REQUIRED) != 0;
	const char *open = required ? (n > 1 ? "(" : "") : "[";
	const char *close = required ? (n > 1 ? ")" : "") : "]";

	fprintf(out, " %s", open);
	for (size_t i = 0; i < n; i++) {
		const cli_opt *o = find_id(opts, items[i].id);

		if (i)
			fputs(" | ", out);
		if (o)
			print_item(out, o);
	}
	fprintf(out, "%s%s", close, (first->flags & CLI_OPT_REPEAT) ? "..." : "");
	return n;
}

static void print_form(FILE *out, const cli_doc *doc, const cli_usage *form)
{
	for (size_t i = 0; form[i].id;)
		i += print_group(out, doc->opts, form + i);
}

/* Without explicit forms, every option is optional and positionals keep their flags. */
static void print_default_form(FILE *out, const cli_doc *doc)
{
	for (const cli_opt *o = doc->opts; o->id; o++) {
		cli_usage item[2] = { { o->id, 0 }, { 0, 0 } };

		if (is_positional(o) && (o->flags & CLI_OPT_REQUIRED))
			item[0].flags = CLI_USAGE_REQUIRED;
		print_group(out, doc->opts, item);
	}
}

static void print_synopsis(FILE *out, const cli_doc *doc, int *line)
{
	if (!doc->forms) {
		fprintf(out, "%s%s", (*line)++ ? "   or: " : "usage: ", doc->prog);
		print_default_form(out, doc);
		fputc('\n', out);
	} else {
		for (const cli_usage *const *f = doc->forms; *f; f++) {
			fprintf(out, "%s%s", (*line)++ ? "   or: " : "usage: ", doc->prog);
			print_form(out, doc, *f);
			fputc('\n', out);
		}
	}
	if (doc->also)
		print_synopsis(out, doc->also, line);
}

void cli_usage_print(FILE *out, const cli_doc *doc)
{
	int line = 0;

	print_synopsis(out, doc, &line);
}

SANCTUM_PRINTF(3, 0) static void vusage_error(const cli_doc *doc, const char *hint,
                                              const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", doc->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (hint)
		cli_hint("%s", hint);
	cli_usage_print(stderr, doc);
}

int cli_usage_error(const cli_doc *doc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(doc, NULL, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

int cli_usage_error_hint(const cli_doc *doc, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(doc, hint, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

/* ---- help ------------------------------------------------------------------------- */

/* Writes the left column of one entry ("    -o, --output OUTPUT") into buf. */
static int format_entry(char *buf, size_t size, const cli_opt *o)
{
	if (is_positional(o))
		return snprintf(buf, size, "    %s", o->value_name);
	return snprintf(buf, size, "    %c%c%s%s%s%s%s",
	                o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
	                o->short_name && o->long_name ? ", " : o->long_name ? "  " : "",
	                o->long_name ? "--" : "", o->long_name ? o->long_name : "",
	                o->value_name ? " " : "", o->value_name ? o->value_name : "");
}

static void print_entry(FILE *out, const cli_opt *o, int column)
{
	char left[128];
	int len = format_entry(left, sizeof(left), o);

	if (len < 0)
		return;
	/* Trailing blanks of a short-only flag ("-y  ") would be invisible noise. */
	while (len > 0 && left[len - 1] == ' ')
		left[--len] = '\0';
	if (len + 2 > column)
		fprintf(out, "%s\n%*s%s\n", left, column, "", o->help);
	else
		fprintf(out, "%-*s%s\n", column, left, o->help);
}

static int help_column(const cli_doc *doc)
{
	char left[128];
	int column = 0;

	for (const cli_opt *o = doc->opts; o->id; o++) {
		int len = format_entry(left, sizeof(left), o) + 2;

		if (len <= HELP_COLUMN_MAX && len > column)
			column = len;
	}
	return column < 16 ? 16 : column;
}

static void print_entries(FILE *out, const cli_doc *doc, int positional, int column)
{
	for (const cli_opt *o = doc->opts; o->id; o++)
		if (is_positional(o) == positional)
			print_entry(out, o, column);
}

static int has_positionals(const cli_opt *opts)
{
	for (const cli_opt *o = opts; o->id; o++)
		if (is_positional(o))
			return 1;
	return 0;
}

void cli_help_print(FILE *out, const cli_doc *doc)
{
	int column = help_column(doc);

	cli_usage_print(out, doc);
	if (doc->intro)
		fprintf(out, "\n%s\n", doc->intro);
	fputs("\noptions:\n", out);
	print_entries(out, doc, 0, column);
	if (!table_has_help(doc->opts))
		print_entry(out, &help_opt, column);
	if (has_positionals(doc->opts)) {
		fputs("\narguments:\n", out);
		print_entries(out, doc, 1, column);
	}
	if (doc->details)
		fprintf(out, "\n%s", doc->details);
}

/* ---- parsing ---------------------------------------------------------------------- */

void cli_opt_parser_init(cli_opt_parser *p, const cli_doc *doc, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->doc = doc;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
}

int cli_opt_exit(int status)
{
	return status == CLI_OPT_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

SANCTUM_PRINTF(2, 3) static int usage_error(cli_opt_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(p->doc, NULL, fmt, ap);
	va_end(ap);
	return CLI_OPT_USAGE;
}

static int show_help(cli_opt_parser *p)
{
	cli_help_print(stdout, p->doc);
	return CLI_OPT_HELP;
}

static int unknown_long(cli_opt_parser *p, const char *typed, size_t len)
{
	char name[80];
	cli_suggestion s;

	snprintf(name, sizeof(name), "%.*s", (int)len, typed);
	fprintf(stderr, "%s: unknown option '--%s'\n", p->doc->prog, name);
	cli_suggest_init(&s, name);
	for (const cli_opt *o = p->doc->opts; o->id; o++)
		if (!is_positional(o) && o->long_name)
			cli_suggest_consider(&s, o->long_name);
	if (!table_has_help(p->doc->opts))
		cli_suggest_consider(&s, "help");
	cli_suggest_hint(&s, "--");
	cli_usage_print(stderr, p->doc);
	return CLI_OPT_USAGE;
}

/* Records that option `o` was given; refuses a second time unless it may repeat. */
static int mark_seen(cli_opt_parser *p, const cli_opt *o, const char *typed)
{
	size_t index = (size_t)(o - p->doc->opts);
	uint64_t bit = index < 64 ? (uint64_t)1 << index : 0;

	if (!(o->flags & CLI_OPT_REPEAT) && (p->seen & bit))
		return usage_error(p, "option '%s' given more than once", typed);
	p->seen |= bit;
	return 0;
}

static int take_value(cli_opt_parser *p, const char *typed, const char **value)
{
	if (p->next >= p->argc)
		return usage_error(p, "option '%s' needs a value", typed);
	*value = p->argv[p->next++];
	return 0;
}

static int parse_long(cli_opt_parser *p, const char *arg, const char **value)
{
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	char typed[80];

	snprintf(typed, sizeof(typed), "--%.*s", (int)len, name);
	for (const cli_opt *o = p->doc->opts; o->id; o++) {
		if (is_positional(o) || !o->long_name || strlen(o->long_name) != len ||
		    strncmp(o->long_name, name, len) != 0)
			continue;
		if (mark_seen(p, o, typed) < 0)
			return CLI_OPT_USAGE;
		if (!o->value_name) {
			if (eq)
				return usage_error(p, "option '%s' takes no value", typed);
			return o->id;
		}
		if (eq)
			*value = eq + 1;
		else if (take_value(p, typed, value) < 0)
			return CLI_OPT_USAGE;
		return o->id;
	}
	if (len == 4 && strncmp(name, "help", 4) == 0 && !eq)
		return show_help(p);
	return unknown_long(p, name, len);
}

/* The next flag of a "-abc" cluster; a value may follow in the cluster or the next arg. */
static int parse_short(cli_opt_parser *p, const char **value)
{
	char c = *p->cluster++;
	char typed[3] = { '-', c, '\0' };

	if (!*p->cluster)
		p->cluster = NULL;
	for (const cli_opt *o = p->doc->opts; o->id; o++) {
		if (is_positional(o) || o->short_name != c)
			continue;
		if (mark_seen(p, o, typed) < 0)
			return CLI_OPT_USAGE;
		if (!o->value_name)
			return o->id;
		if (p->cluster) {
			*value = p->cluster;
			p->cluster = NULL;
		} else if (take_value(p, typed, value) < 0) {
			return CLI_OPT_USAGE;
		}
		return o->id;
	}
	if (c == 'h')
		return show_help(p);
	return usage_error(p, "unknown option '%s'", typed);
}

/* The table entry for the next positional: the n-th one, or a repeatable last one. */
static const cli_opt *positional_spec(const cli_opt *opts, size_t n)
{
	const cli_opt *last = NULL;

	for (const cli_opt *o = opts; o->id; o++) {
		if (!is_positional(o))
			continue;
		if (n-- == 0)
			return o;
		last = o;
	}
	return last && (last->flags & CLI_OPT_REPEAT) ? last : NULL;
}

static int parse_positional(cli_opt_parser *p, const char *arg, const char **value)
{
	const cli_opt *o = positional_spec(p->doc->opts, p->positionals);

	if (!o)
		return usage_error(p, "unexpected argument '%s'", arg);
	p->positionals++;
	if (o->flags & CLI_OPT_REST)
		p->stopped = 1;
	*value = arg;
	return o->id;
}

/* At the end: every required positional must have been seen. */
static int finish(cli_opt_parser *p)
{
	size_t n = 0;

	for (const cli_opt *o = p->doc->opts; o->id; o++) {
		if (!is_positional(o))
			continue;
		if ((o->flags & CLI_OPT_REQUIRED) && n >= p->positionals)
			return usage_error(p, "missing %s", o->value_name);
		n++;
	}
	return CLI_OPT_DONE;
}

int cli_opt_next(cli_opt_parser *p, const char **value)
{
	const char *arg;

	*value = NULL;
	if (p->cluster)
		return parse_short(p, value);
	if (p->stopped)
		return CLI_OPT_DONE;
	for (;;) {
		if (p->next >= p->argc)
			return finish(p);
		arg = p->argv[p->next++];
		if (p->only_positionals || arg[0] != '-' || arg[1] == '\0')
			return parse_positional(p, arg, value);
		if (strcmp(arg, "--") == 0) {
			p->only_positionals = 1;
			continue;
		}
		if (arg[1] == '-')
			return parse_long(p, arg, value);
		p->cluster = arg + 1;
		return parse_short(p, value);
	}
}

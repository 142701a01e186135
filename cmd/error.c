#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include <sanctum/errors.h>

static const char *prog_name = "sanctum";

void cli_set_prog(const char *prog)
{
	prog_name = prog;
}

const char *cli_prog(void)
{
	return prog_name;
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAILED;
}

void cli_hint(const char *fmt, ...)
{
	va_list ap;

	fputs("hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warning(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The library's message for `code`, or a fixed name when it left none. */
static const char *library_message(int code)
{
	const sanctum_error *err = sanctum_error_last();
	const char *message = err->message;

	if (err->code == 0 || !message || !message[0])
		message = sanctum_error_name(code);
	return message ? message : "unknown error";
}

int cli_error_core(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", library_message(code));
	sanctum_error_clear();
	return CLI_EXIT_FAILED;
}

int cli_error_lib(int code)
{
	fprintf(stderr, "%s: %s\n", prog_name, library_message(code));
	sanctum_error_clear();
	return CLI_EXIT_FAILED;
}

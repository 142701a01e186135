#include "errors_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_MESSAGE_MAX 512

/* One record per thread, so library calls on different threads never see each other's. */
static _Thread_local struct {
	sanctum_error pub;
	char text[ERROR_MESSAGE_MAX];
} last_error = { { 0, SANCTUM_ERRCLASS_NONE, "" }, "" };

/* Formats into the thread's record; `suffix`, when given, is appended after ": ". */
static SANCTUM_PRINTF(3, 0) int record(int code, sanctum_error_class klass, const char *fmt,
                                       va_list ap, const char *suffix)
{
	int n = vsnprintf(last_error.text, sizeof(last_error.text), fmt, ap);

	if (n < 0)
		last_error.text[0] = '\0';
	if (suffix) {
		size_t used = strlen(last_error.text);
		snprintf(last_error.text + used, sizeof(last_error.text) - used, ": %s", suffix);
	}
	last_error.pub.code = code;
	last_error.pub.klass = klass;
	last_error.pub.message = last_error.text;
	return code;
}

int sanctum_error_set(int code, sanctum_error_class klass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(code, klass, fmt, ap, NULL);
	va_end(ap);
	return code;
}

int sanctum_error__set(int code, sanctum_error_class klass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(code, klass, fmt, ap, NULL);
	va_end(ap);
	return code;
}

int sanctum_error__wrap(int code, sanctum_error_class klass, const char *fmt, ...)
{
	char previous[ERROR_MESSAGE_MAX];
	va_list ap;

	/* Copy first: the new message is formatted into the buffer the old one lives in. */
	snprintf(previous, sizeof(previous), "%s", last_error.text);
	va_start(ap, fmt);
	record(code, klass, fmt, ap, previous[0] ? previous : NULL);
	va_end(ap);
	return code;
}

const char *sanctum_error__quote(char *out, const unsigned char *ptr,
                                 size_t len, size_t max)
{
	size_t limit = max < SANCTUM_QUOTE_LONGEST ? max : SANCTUM_QUOTE_LONGEST;
	size_t n = len < limit ? len : limit;

	for (size_t i = 0; i < n; i++)
		out[i] = ptr[i] >= 0x20 && ptr[i] < 0x7f ? (char)ptr[i] : '?';
	if (len > n) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

int sanctum_error__nomem(void)
{
	return sanctum_error__set(SANCTUM_ENOMEM, SANCTUM_ERRCLASS_NOMEMORY, "out of memory");
}

int sanctum_error__os(const char *fmt, ...)
{
	char reason[128];
	va_list ap;

	/* strerror_r is the XSI one under _POSIX_C_SOURCE; copy errno before anything runs. */
	int saved = errno;
	if (strerror_r(saved, reason, sizeof(reason)) != 0)
		snprintf(reason, sizeof(reason), "error %d", saved);
	va_start(ap, fmt);
	record(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS, fmt, ap, reason);
	va_end(ap);
	errno = saved;
	return SANCTUM_ERROR;
}

const sanctum_error *sanctum_error_last(void)
{
	if (!last_error.pub.message)
		last_error.pub.message = "";
	return &last_error.pub;
}

void sanctum_error_clear(void)
{
	last_error.pub.code = 0;
	last_error.pub.klass = SANCTUM_ERRCLASS_NONE;
	last_error.text[0] = '\0';
	last_error.pub.message = last_error.text;
}

const char *sanctum_error_name(int code)
{
	switch (code) {
	case SANCTUM_OK: return "success";
	case SANCTUM_ERROR: return "failure";
	case SANCTUM_ENOTFOUND: return "not found";
	case SANCTUM_EEXISTS: return "already exists";
	case SANCTUM_ELOCKED: return "locked by another process";
	case SANCTUM_EBADPASS: return "incorrect passphrase";
	case SANCTUM_EVERIFY: return "verification refused";
	case SANCTUM_EROLLBACK: return "history rolled back";
	case SANCTUM_ECONFLICT: return "conflict";
	case SANCTUM_EINVALID: return "invalid input";
	case SANCTUM_ENOMATCH: return "no identity matched";
	case SANCTUM_EHEADER: return "malformed age header";
	case SANCTUM_EMAC: return "bad age header MAC";
	case SANCTUM_EPAYLOAD: return "bad age payload chunk";
	case SANCTUM_ETRUNCATED: return "truncated age file";
	case SANCTUM_EARMOR: return "bad age armor";
	case SANCTUM_EKEY: return "bad key encoding";
	case SANCTUM_EWORKFACTOR: return "scrypt work factor too high";
	case SANCTUM_ETRAILING: return "trailing data after age payload";
	case SANCTUM_ENOMEM: return "out of memory";
	case SANCTUM_ENETWORK: return "network failure";
	default: return "unknown error";
	}
}

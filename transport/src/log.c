#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int debug_on;

void sd_log_set_debug(int on)
{
	debug_on = on;
}

void sd_log(sd_level level, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info ", "warn ", "error" };
	char stamp[32], line[1200];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level == SD_DEBUG && !debug_on)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines from a crash or two threads never interleave. */
	fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000, names[level], line);
	fflush(stderr);
}

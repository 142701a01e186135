/*
 * The daemon's log: one line per event on stderr, with the time (UTC, to the
 * millisecond) and the level, readable by people and by journald:
 *
 *     2026-11-29T19:58:01.123Z info  peer 127.0.0.1:7421 (brightwater/server): connected
 *
 * Never a key, a passphrase or a document's content.
 */
#ifndef SD_LOG_H
#define SD_LOG_H

#include <sanctum/common.h>

typedef enum { SD_DEBUG, SD_INFO, SD_WARN, SD_ERROR } sd_level;

void sd_log_set_debug(int on);
void sd_log(sd_level level, const char *fmt, ...) SANCTUM_PRINTF(2, 3);

#endif

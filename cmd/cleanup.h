/*
 * What must be undone if a signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE) ends the
 * process: a terminal left without echo, a temporary output file left half written. The
 * handler undoes them, then lets the signal kill the process as it would have.
 */
#ifndef CLI_CLEANUP_H
#define CLI_CLEANUP_H

#include <termios.h>

/** Restores `saved` on `fd` if a signal arrives before cli_cleanup_tty_done. */
void cli_cleanup_tty(int fd, const struct termios *saved);
void cli_cleanup_tty_done(void);

/**
 * Unlinks `path` if a signal arrives before cli_cleanup_file_done. The path is copied.
 * Returns 0, or -1 if it is too long to keep (the caller then refuses to go on).
 */
int cli_cleanup_file(const char *path);
void cli_cleanup_file_done(void);

#endif

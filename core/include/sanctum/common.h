/*
 * Shared definitions for every public sanctum header.
 */
#ifndef SANCTUM_COMMON_H
#define SANCTUM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define SANCTUM_WARN_UNUSED __attribute__((warn_unused_result))
#define SANCTUM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SANCTUM_WARN_UNUSED
#define SANCTUM_PRINTF(fmt, args)
#endif

#define SANCTUM_VERSION "0.1.0"

/**
 * Initialises the library (libsodium and libgit2). Call once before anything else;
 * further calls are harmless.
 *
 * @return 0, or -1 when libsodium cannot initialise (no entropy source).
 */
int sanctum_init(void);

/** Releases what sanctum_init took. Harmless when sanctum_init was not called. */
void sanctum_shutdown(void);

/**
 * A one-line description of the library and the versions of the libraries it runs on,
 * for `--version` output. Borrowed: a static string, valid for the life of the process.
 */
const char *sanctum_version_string(void);

#endif

/*
 * What the unit tests of core share to set up and clear away their fixtures: a fresh
 * temporary folder for each test, and its removal with everything in it. Compiled into
 * each test that uses it (CMakeLists.txt), as hostile.c is.
 */
#ifndef SANCTUM_TEST_FIXTURE_H
#define SANCTUM_TEST_FIXTURE_H

#include <stddef.h>

/**
 * Makes a fresh folder named `prefix`-XXXXXX under $TMPDIR (or /tmp) with mkdtemp and writes
 * its path, links resolved, to `out` (`cap` bytes). Returns 0, or -1 when the folder cannot
 * be made or its path does not fit (a folder made is then removed).
 */
int make_temp_dir(char *out, size_t cap, const char *prefix);

/** Removes a file or a folder with everything in it. */
void remove_tree(const char *path);

#endif

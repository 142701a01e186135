/*
 * Internals of identity.c that tests and fuzz targets reach.
 */
#ifndef SANCTUM_IDENTITY_INTERNAL_H
#define SANCTUM_IDENTITY_INTERNAL_H

#include "sanctum/identity.h"

/**
 * Parses the plaintext of an identity file (the text inside the age envelope, or a plain
 * file). `path` only names the file in messages. Returns 0, SANCTUM_EINVALID naming the
 * line, or SANCTUM_ENOMEM.
 */
int sanctum_identity__parse_text(sanctum_identity **out, const char *text, size_t len,
                                 const char *path);

#endif

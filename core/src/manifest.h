/*
 * The group manifest, the file `group` at the root of main: the group's id and name, when
 * and by whom it was founded. Signed by the founder (namespace "sanctum-group"); the
 * SHA-256 of the whole file is the group's trust anchor, which invitations carry and
 * roster entry 1 chains from.
 *
 *     sanctum-group v1
 *     id <32 hex digits>
 *     name <UTF-8, 1..128 bytes, no control characters>
 *     created <seconds since 1970>
 *     founder <fingerprint of the founder's signing key>
 */
#ifndef SANCTUM_MANIFEST_H
#define SANCTUM_MANIFEST_H

#include "sanctum/identity.h"

#define SANCTUM_GROUP_ID_HEX 33
#define SANCTUM_GROUP_NAME_MAX 128
#define SANCTUM_MANIFEST_NAMESPACE "sanctum-group"

typedef struct {
	char id[SANCTUM_GROUP_ID_HEX];
	char name[SANCTUM_GROUP_NAME_MAX + 1];
	uint64_t created;
	char founder[SANCTUM_FINGERPRINT_SIZE];
	unsigned char founder_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	unsigned char anchor[32];      /* SHA-256 of the whole signed file */
} sanctum_manifest;

/** Whether `name` is a valid group name (UTF-8 checks are the document's). */
int sanctum_manifest__name_is_valid(const char *name);

/** Makes a new group's manifest, signed by `founder`, into `out`; fills `manifest`. */
int sanctum_manifest__create(sanctum_buf *out, sanctum_manifest *manifest, const char *name,
                             const sanctum_identity *founder);

/** Parses and verifies a manifest. Returns 0, SANCTUM_EINVALID or SANCTUM_EVERIFY. */
int sanctum_manifest__parse(sanctum_manifest *out, const unsigned char *data, size_t len);

#endif

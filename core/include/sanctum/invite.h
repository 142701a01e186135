/*
 * Invitations: what a newcomer needs to join a group, on one line that survives an email
 * or a chat message, and joining with one.
 *
 *     sanctum-invite-v1:<group id>:<anchor>:<name>:<url>[,<url>...]:<checksum>
 *
 * The group's trust anchor (the SHA-256 of its manifest file) is what the newcomer
 * trusts: a store whose manifest hashes to another value is refused, whoever serves it.
 * The name and the URLs are percent-encoded; the checksum is the first 4 bytes of the
 * SHA-256 of everything before the last ':' (docs/format.md, "Invitation").
 *
 * An invitation is not a secret and grants nothing: the newcomer can join only once an
 * admin has added its member card to the roster.
 */
#ifndef SANCTUM_INVITE_H
#define SANCTUM_INVITE_H

#include "buf.h"
#include "common.h"
#include "identity.h"
#include "store.h"

#define SANCTUM_INVITE_PREFIX "sanctum-invite-v1"
#define SANCTUM_INVITE_MAX_LINE 4096  /* characters, the whole line */
#define SANCTUM_INVITE_MAX_NAME 128   /* bytes of the group's name, as in its manifest */
#define SANCTUM_INVITE_MAX_URLS 8
#define SANCTUM_INVITE_MAX_URL 512    /* bytes of one URL, decoded */

/** A parsed invitation. A plain value: nothing to release. */
typedef struct {
	char group_id[33];                                  /* 32 lowercase hex digits */
	unsigned char anchor[32];                           /* SHA-256 of the manifest file */
	char name[SANCTUM_INVITE_MAX_NAME + 1];             /* UTF-8, no control characters */
	char urls[SANCTUM_INVITE_MAX_URLS][SANCTUM_INVITE_MAX_URL + 1];
	size_t nurls;                                       /* 1 .. SANCTUM_INVITE_MAX_URLS */
} sanctum_invite;

/**
 * Starts the invitation to `store`'s group: its id, name and trust anchor, and no URL
 * yet (add at least one with sanctum_invite_add_url).
 */
void sanctum_invite_from_store(sanctum_invite *out, const sanctum_store *store);

/**
 * Adds a remote the newcomer may fetch the store from: a URL (ssh://, https://, git://,
 * file://, or scp-like host:path) or a local path, which must exist and is made absolute
 * (a store's folder or its .sanctum repository). Returns 0, or SANCTUM_EINVALID (empty,
 * control characters, too long, given twice, too many) or an OS error for a path.
 */
SANCTUM_WARN_UNUSED int sanctum_invite_add_url(sanctum_invite *invite, const char *url);

/**
 * Writes the invitation's line (no line end) into `out`. Returns 0, or SANCTUM_EINVALID
 * when a field is not valid or the line would be longer than SANCTUM_INVITE_MAX_LINE.
 */
SANCTUM_WARN_UNUSED int sanctum_invite_encode(sanctum_buf *out, const sanctum_invite *invite);

/**
 * Parses an invitation; spaces and line ends around it are ignored, nothing else is.
 * Strict: one spelling per invitation (a parsed one encodes back to the same line).
 * Returns 0, or SANCTUM_EINVALID with a message naming the part that is wrong; `out` is
 * then zeroed.
 */
SANCTUM_WARN_UNUSED int sanctum_invite_parse(sanctum_invite *out, const char *line, size_t len);

/**
 * Joins the group of `invite` as `newcomer`: fetches main from the first of its URLs
 * that answers into a new store DIR/.sanctum (DIR is created if missing and must not
 * hold a store), refuses it unless its group manifest hashes to the invitation's anchor
 * and names its group id and name, pins the anchor, checks that `newcomer` is an active
 * member of the roster on main, verifies the whole history as `newcomer`
 * (sanctum_store_verify), and records the URLs as the remotes "origin", "origin-2", ...
 * On failure nothing of what join created is left behind (DIR/.sanctum, and DIR if join
 * made it).
 *
 * Returns 0; SANCTUM_EEXISTS (DIR holds a store); SANCTUM_ENOTFOUND (no URL could be
 * fetched, or none has a main branch; the message names each URL's failure);
 * SANCTUM_EVERIFY with class SANCTUM_ERRCLASS_CRYPTO (the manifest does not match the
 * anchor, or the history does not verify) or with class SANCTUM_ERRCLASS_INVALID (the
 * newcomer is not a member yet); or another error.
 */
SANCTUM_WARN_UNUSED int sanctum_store_join(sanctum_store **out, const char *dir,
                                           const sanctum_invite *invite,
                                           const sanctum_identity *newcomer);

#endif

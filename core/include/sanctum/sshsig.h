/*
 * OpenSSH signatures (PROTOCOL.sshsig) with Ed25519 keys: the format of document
 * signatures (namespace "sanctum-doc") and of git commit signatures (namespace "git",
 * as `git commit -S` with gpg.format=ssh writes them). `ssh-keygen -Y verify` accepts what
 * sanctum signs, and sanctum accepts what `ssh-keygen -Y sign` writes with an Ed25519 key.
 */
#ifndef SANCTUM_SSHSIG_H
#define SANCTUM_SSHSIG_H

#include "buf.h"
#include "common.h"

#define SANCTUM_ED25519_PUBLIC_KEY_SIZE 32
#define SANCTUM_ED25519_SECRET_KEY_SIZE 64   /* libsodium's form: seed || public key */
#define SANCTUM_SSHSIG_MAX_ARMORED 4096      /* a longer armored signature is refused */

/**
 * Signs `len` bytes under `namespace` (non-empty) with SHA-512 as the message hash, and
 * writes the armored signature ("-----BEGIN SSH SIGNATURE-----" ... with a final newline)
 * into `out`, replacing its contents. The signature is verified again before returning.
 * Returns 0, SANCTUM_EINVALID or SANCTUM_ENOMEM.
 */
SANCTUM_WARN_UNUSED int sanctum_sshsig_sign(
	sanctum_buf *out, const unsigned char secret_key[SANCTUM_ED25519_SECRET_KEY_SIZE],
	const char *namespace, const void *message, size_t len);

/**
 * Verifies an armored signature over `len` bytes: the namespace must equal `namespace`,
 * the key must be Ed25519, the hash sha512 or sha256. On success writes the signer's
 * public key to `signer` (the caller decides whether that key is trusted).
 * Returns 0, SANCTUM_EINVALID for a signature that cannot be parsed (the message says what
 * is wrong), or SANCTUM_EVERIFY for a well-formed signature that does not verify or is
 * for another namespace.
 */
SANCTUM_WARN_UNUSED int sanctum_sshsig_verify(
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE], const char *armored,
	size_t armored_len, const char *namespace, const void *message, size_t len);

/**
 * Writes an OpenSSH public key line, "ssh-ed25519 AAAA... comment" (no newline; the
 * comment is left out when NULL or empty), into `out`, replacing its contents.
 */
SANCTUM_WARN_UNUSED int sanctum_ssh_public_key_encode(
	sanctum_buf *out, const unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
	const char *comment);

/**
 * Parses "ssh-ed25519 AAAA... [comment]" (leading/trailing whitespace allowed). Returns 0,
 * or SANCTUM_EKEY for another key type or a bad encoding.
 */
SANCTUM_WARN_UNUSED int sanctum_ssh_public_key_parse(
	unsigned char public_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE], const char *line, size_t len);

#endif

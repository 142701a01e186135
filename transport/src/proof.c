/*
 * The identity proof carried in the payloads of handshake messages 2 and 3: the member's
 * Ed25519 key signs (SSHSIG, namespace "sanctum-notify") the group, the Noise handshake
 * hash at that point and the daemon's fresh transport key. The hash makes the proof good
 * for this handshake only; the transport key is the one Noise authenticated, so whoever
 * completes the handshake holds both keys.
 */
#include "peers_internal.h"

#include <sanctum/errors.h>
#include <sanctum/sshsig.h>

#include <sodium.h>
#include <stdio.h>

#define PROOF_NAMESPACE "sanctum-notify"
#define PROOF_MAX 2048

static int statement(char *out, size_t cap, sd_daemon *d, const unsigned char h[NOISE_HASH_LEN],
                     const unsigned char key[NOISE_KEY_LEN])
{
	char hhex[2 * NOISE_HASH_LEN + 1], khex[2 * NOISE_KEY_LEN + 1];

	sodium_bin2hex(hhex, sizeof(hhex), h, NOISE_HASH_LEN);
	sodium_bin2hex(khex, sizeof(khex), key, NOISE_KEY_LEN);
	return snprintf(out, cap, "sanctum-notify-v1 handshake\ngroup %s\nhash %s\nkey %s\n",
	                sanctum_store_group_id(d->store), hhex, khex);
}

int sd_proof_make(sanctum_buf *out, sd_daemon *d, const unsigned char h[NOISE_HASH_LEN],
                  const unsigned char static_pub[NOISE_KEY_LEN])
{
	char text[400];
	int n = statement(text, sizeof(text), d, h, static_pub);

	return sanctum_identity_sign(out, d->options.identity, PROOF_NAMESPACE, text, (size_t)n);
}

int sd_proof_check(unsigned char member[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sd_daemon *d,
                   const unsigned char h[NOISE_HASH_LEN],
                   const unsigned char remote_static[NOISE_KEY_LEN],
                   const unsigned char *payload, size_t len)
{
	char text[400];
	int n = statement(text, sizeof(text), d, h, remote_static);

	if (len == 0 || len > PROOF_MAX)
		return sanctum_error_set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                         "the peer sent no identity proof");
	return sanctum_sshsig_verify(member, (const char *)payload, len, PROOF_NAMESPACE, text,
	                             (size_t)n);
}

/*
 * A test helper that drives core/src/sshsig.c from shell tests until the sanctum command
 * line grows signature commands. Keys are given as a hex Ed25519 seed, which is only
 * acceptable because every key it sees is a throwaway test key.
 *
 *     sshsig_tool sign SEEDHEX NAMESPACE FILE       armored signature of FILE on stdout
 *     sshsig_tool verify NAMESPACE FILE SIGFILE     the signer's key line on stdout
 *     sshsig_tool pubkey SEEDHEX                    "ssh-ed25519 AAAA..." on stdout
 *
 * Exits 0 on success, 1 when sanctum refuses (the reason on stderr), 2 on bad usage.
 */
#include "sanctum/sanctum.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: sshsig_tool sign SEEDHEX NAMESPACE FILE\n"
	                "       sshsig_tool verify NAMESPACE FILE SIGFILE\n"
	                "       sshsig_tool pubkey SEEDHEX\n");
	return 2;
}

static int refused(const char *what)
{
	fprintf(stderr, "sshsig_tool: %s: %s\n", what, sanctum_error_last()->message);
	return 1;
}

/* Reads a whole file into `out`. Returns 0, or -1 after printing why. */
static int read_file(sanctum_buf *out, const char *path)
{
	unsigned char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (sanctum_buf_put(out, chunk, n) < 0) {
			fclose(f);
			fprintf(stderr, "%s: out of memory\n", path);
			return -1;
		}
	}
	if (ferror(f)) {
		perror(path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int keypair(unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE],
                   unsigned char sk[SANCTUM_ED25519_SECRET_KEY_SIZE], const char *hex)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	size_t len = 0;

	if (strlen(hex) != 2 * sizeof(seed) ||
	    sodium_hex2bin(seed, sizeof(seed), hex, strlen(hex), NULL, &len, NULL) != 0 ||
	    len != sizeof(seed)) {
		fprintf(stderr, "sshsig_tool: the seed must be 64 hex digits\n");
		return -1;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

static int write_out(const sanctum_buf *buf, const char *end)
{
	if (fwrite(buf->ptr, 1, buf->size, stdout) != buf->size || fputs(end, stdout) == EOF ||
	    fflush(stdout) != 0) {
		perror("stdout");
		return 1;
	}
	return 0;
}

static int cmd_sign(const char *hex, const char *namespace, const char *path)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	sanctum_buf message = SANCTUM_BUF_INIT, sig = SANCTUM_BUF_INIT;
	int rc = 1;

	if (keypair(pk, sk, hex) < 0)
		return 2;
	if (read_file(&message, path) == 0) {
		if (sanctum_sshsig_sign(&sig, sk, namespace, message.ptr, message.size) < 0)
			rc = refused("sign");
		else
			rc = write_out(&sig, "");
	}
	sodium_memzero(sk, sizeof(sk));
	sanctum_buf_dispose(&message);
	sanctum_buf_dispose(&sig);
	return rc;
}

static int cmd_verify(const char *namespace, const char *path, const char *sig_path)
{
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	sanctum_buf message = SANCTUM_BUF_INIT, sig = SANCTUM_BUF_INIT, line = SANCTUM_BUF_INIT;
	int rc = 1;

	if (read_file(&message, path) < 0 || read_file(&sig, sig_path) < 0)
		goto done;
	if (sanctum_sshsig_verify(signer, (const char *)sig.ptr, sig.size, namespace, message.ptr,
	                          message.size) < 0) {
		rc = refused("verify");
		goto done;
	}
	if (sanctum_ssh_public_key_encode(&line, signer, NULL) < 0) {
		rc = refused("encode the signer's key");
		goto done;
	}
	rc = write_out(&line, "\n");
done:
	sanctum_buf_dispose(&message);
	sanctum_buf_dispose(&sig);
	sanctum_buf_dispose(&line);
	return rc;
}

static int cmd_pubkey(const char *hex)
{
	unsigned char pk[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sk[SANCTUM_ED25519_SECRET_KEY_SIZE];
	sanctum_buf line = SANCTUM_BUF_INIT;
	int rc;

	if (keypair(pk, sk, hex) < 0)
		return 2;
	sodium_memzero(sk, sizeof(sk));
	if (sanctum_ssh_public_key_encode(&line, pk, NULL) < 0)
		rc = refused("encode the key");
	else
		rc = write_out(&line, "\n");
	sanctum_buf_dispose(&line);
	return rc;
}

int main(int argc, char **argv)
{
	if (sanctum_init() < 0) {
		fprintf(stderr, "sshsig_tool: libsodium cannot initialise\n");
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "pubkey") == 0)
		return cmd_pubkey(argv[2]);
	return usage();
}

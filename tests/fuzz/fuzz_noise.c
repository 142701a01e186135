/*
 * libFuzzer target: the Noise XX handshake (transport/src/noise.c) reading hostile
 * messages, with fixed static and ephemeral keys so that every run is reproducible.
 *
 * Byte 0 picks the mode, bytes 1-2 (big-endian) cut the rest into parts A and B:
 *   0: a responder reads A as message 1, writes message 2, and reads B as message 3;
 *   1: an initiator writes message 1 and reads A as message 2 (then B as a transport
 *      message, should message 2 ever pass);
 *   2: an honest handshake with A and B as payloads, then message 2 or 3 changed at a
 *      fuzzer-chosen byte (A's first bytes pick which, where and how), and transport
 *      messages both ways with B.
 * Checks: no crash or leak; a refused message leaves a handshake that refuses everything
 * after it; a payload is as long as the message minus its fixed part; a changed message
 * 2 or 3 is always refused and an unchanged handshake always completes with equal hashes
 * and working transport ciphers.
 */
#include "noise.h"
#include "sanctum/sanctum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define BUF_LEN (NOISE_MAX_MESSAGE + 64)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t init_static[32], resp_static[32], init_eph[32], resp_eph[32];
static const uint8_t prologue[] = "sanctum-notify-v1" "00112233445566778899aabbccddeeff";
static uint8_t msg[BUF_LEN], payload[BUF_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sanctum_init() < 0)
		abort();
	/* Fixed keys: the same bytes every run, none of them special. */
	for (int i = 0; i < 32; i++) {
		init_static[i] = (uint8_t)(0x11 * i + 1);
		resp_static[i] = (uint8_t)(0x23 * i + 2);
		init_eph[i] = (uint8_t)(0x35 * i + 3);
		resp_eph[i] = (uint8_t)(0x47 * i + 4);
	}
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_noise: %s\n", what);
		abort();
	}
}

static void start(noise_handshake *hs, int initiator)
{
	check(noise_handshake_init(hs, initiator, initiator ? init_static : resp_static, prologue,
	                           sizeof(prologue) - 1) == 0 &&
	              noise_handshake_set_ephemeral(hs, initiator ? init_eph : resp_eph) == 0,
	      "cannot start a handshake");
}

/* After a refusal, nothing else may go through. */
static void check_dead(noise_handshake *hs)
{
	size_t n;
	uint8_t h[NOISE_HASH_LEN];

	check(noise_handshake_write_message(hs, msg, sizeof(msg), &n, NULL, 0) < 0 &&
	              noise_handshake_read_message(hs, msg, 64, payload, sizeof(payload), &n) < 0 &&
	              noise_handshake_hash(hs, h) < 0 && !noise_handshake_is_done(hs),
	      "a failed handshake goes on");
}

/* Reads a hostile message; on success its payload must have the length the pattern says. */
static int read_hostile(noise_handshake *hs, const uint8_t *m, size_t len, size_t overhead)
{
	size_t n = 0;
	int rc = noise_handshake_read_message(hs, m, len, payload, sizeof(payload), &n);

	if (rc < 0)
		check_dead(hs);
	else
		check(len >= overhead && n == len - overhead, "a payload of the wrong length");
	return rc;
}

static void responder(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	noise_handshake hs;
	size_t n;

	start(&hs, 0);
	if (read_hostile(&hs, a, a_len, NOISE_XX_MSG1_OVERHEAD) == 0 &&
	    noise_handshake_write_message(&hs, msg, sizeof(msg), &n, a, a_len > 100 ? 100 : a_len) ==
	            0 &&
	    read_hostile(&hs, b, b_len, NOISE_XX_MSG3_OVERHEAD) == 0)
		check(noise_handshake_is_done(&hs), "three messages, yet not done");
	noise_handshake_dispose(&hs);
}

static void initiator(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	noise_handshake hs;
	noise_cipher send, recv;
	size_t n;

	memset(&send, 0, sizeof(send));
	memset(&recv, 0, sizeof(recv));
	start(&hs, 1);
	check(noise_handshake_write_message(&hs, msg, sizeof(msg), &n, NULL, 0) == 0,
	      "cannot write message 1");
	if (read_hostile(&hs, a, a_len, NOISE_XX_MSG2_OVERHEAD) == 0 &&
	    noise_handshake_write_message(&hs, msg, sizeof(msg), &n, NULL, 0) == 0 &&
	    noise_handshake_split(&hs, &send, &recv) == 0)
		(void)noise_cipher_decrypt(&recv, NULL, 0, b, b_len, payload, sizeof(payload), &n);
	noise_handshake_dispose(&hs);
	noise_cipher_dispose(&send);
	noise_cipher_dispose(&recv);
}

/* Message i of an honest handshake: written by its sender, perhaps changed, then read. */
static int honest_step(noise_handshake *from, noise_handshake *to, const uint8_t *pl,
                       size_t pl_len, size_t change_at, uint8_t xor_with)
{
	size_t n, got;
	int rc;

	check(noise_handshake_write_message(from, msg, sizeof(msg), &n, pl, pl_len) == 0,
	      "an honest write failed");
	msg[change_at % n] ^= xor_with;
	rc = noise_handshake_read_message(to, msg, n, payload, sizeof(payload), &got);
	if (xor_with) {
		check(rc < 0, "a changed handshake message was accepted");
		check_dead(to);
		return -1;
	}
	check(rc == 0 && got == pl_len && (!pl_len || memcmp(payload, pl, pl_len) == 0),
	      "an honest message was refused or changed");
	return 0;
}

static void transport_round(noise_cipher *send, noise_cipher *recv, const uint8_t *b,
                            size_t b_len)
{
	size_t n, got;

	if (b_len > NOISE_MAX_PLAINTEXT)
		b_len = NOISE_MAX_PLAINTEXT;
	check(noise_cipher_encrypt(send, NULL, 0, b, b_len, msg, sizeof(msg), &n) == 0 &&
	              noise_cipher_decrypt(recv, NULL, 0, msg, n, payload, sizeof(payload), &got) ==
	                      0 &&
	              got == b_len && (!b_len || memcmp(payload, b, b_len) == 0),
	      "a transport message did not survive");
	/* The same message again is a replay. */
	check(noise_cipher_decrypt(recv, NULL, 0, msg, n, payload, sizeof(payload), &got) < 0,
	      "a replayed transport message was accepted");
}

static void honest(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	noise_handshake in, re;
	noise_cipher is, ir, rsend, rrecv;
	uint8_t hi[NOISE_HASH_LEN], hr[NOISE_HASH_LEN];
	int which = a_len > 0 ? a[0] % 3 : 0;            /* 0: no change, 1: msg 2, 2: msg 3 */
	size_t at = a_len > 2 ? (size_t)a[1] << 8 | a[2] : 0;
	uint8_t xor_with = which && a_len > 3 && a[3] ? a[3] : which ? 0x80 : 0;

	start(&in, 1);
	start(&re, 0);
	if (honest_step(&in, &re, a, a_len > 200 ? 200 : a_len, 0, 0) == 0 &&
	    honest_step(&re, &in, b, b_len > 200 ? 200 : b_len, at, which == 1 ? xor_with : 0) ==
	            0 &&
	    honest_step(&in, &re, a, a_len > 300 ? 300 : a_len, at, which == 2 ? xor_with : 0) ==
	            0) {
		check(noise_handshake_hash(&in, hi) == 0 && noise_handshake_hash(&re, hr) == 0 &&
		              memcmp(hi, hr, sizeof(hi)) == 0,
		      "the handshake hashes differ");
		check(noise_handshake_split(&in, &is, &ir) == 0 &&
		              noise_handshake_split(&re, &rsend, &rrecv) == 0,
		      "split failed");
		transport_round(&is, &rrecv, b, b_len);
		transport_round(&rsend, &ir, a, a_len);
		noise_cipher_dispose(&is);
		noise_cipher_dispose(&ir);
		noise_cipher_dispose(&rsend);
		noise_cipher_dispose(&rrecv);
	}
	noise_handshake_dispose(&in);
	noise_handshake_dispose(&re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut, rest;
	const uint8_t *a, *b;

	if (size < 3)
		return 0;
	rest = size - 3;
	cut = (size_t)data[1] << 8 | data[2];
	if (cut > rest)
		cut = rest;
	a = data + 3;
	b = data + 3 + cut;
	switch (data[0] % 3) {
	case 0:
		responder(a, cut, b, rest - cut);
		break;
	case 1:
		initiator(a, cut, b, rest - cut);
		break;
	default:
		honest(a, cut, b, rest - cut);
		break;
	}
	sanctum_error_clear();
	return 0;
}

/*
 * daemon_conns: many peer connections to one `sanctum daemon`, as a member would make
 * them (docs/protocol.md): TCP, 2-byte frames, Noise_XX_25519_ChaChaPoly_BLAKE2b with the
 * prologue "sanctum-notify-v1" || group id, and the identity proof (an SSHSIG by the
 * member's Ed25519 key, namespace "sanctum-notify") as the payload of message 3. The
 * daemon's own proof in message 2 is checked too (--no-verify skips that). A connection
 * counts as complete when the daemon answers a ping sent right after message 3 with a
 * pong: only then is it known that the daemon accepted the proof.
 *
 *   daemon_conns --connect HOST:PORT --group ID --identity FILE --conns N [--hold SECONDS]
 *       Opens N connections (at most --burst K handshakes in flight, default 32), reports
 *       how many completed, then holds them idle for SECONDS (default 5), answering the
 *       daemon's pings, and reports how many it kept. Prints "holding N" (flushed) when
 *       the hold starts, so a script can measure the daemon meanwhile.
 *   daemon_conns --connect HOST:PORT --group ID --identity FILE --handshakes SECONDS
 *                [--parallel K]
 *       Handshakes for SECONDS, K at a time (default 1: one after the other): each opens
 *       a connection, completes the handshake and a ping/pong, and closes it. Reports
 *       handshakes per second and the time of one (connect to pong).
 *   daemon_conns --identity FILE --crypto N
 *       The cost of the same cryptographic work without the daemon, N times: raw libsodium
 *       doing the primitives of one handshake (per side: 4 X25519, 8 MixHash and 4 HKDF
 *       (32 BLAKE2b-512), 4 ChaCha20-Poly1305 on the key and proof fields and 2 on a ping
 *       and a pong, and for the proofs 2 SHA-512 of the statement, 1 Ed25519 signature and
 *       1 verification), and the
 *       project's noise.c and SSHSIG code doing both sides of a whole handshake in this
 *       process. Also times X25519 (crypto_scalarmult and _base) and the proof's parts alone:
 *       raw Ed25519 signing and verification next to sanctum_identity_sign and
 *       sanctum_sshsig_verify of a proof statement. Prints microseconds per operation.
 *   daemon_conns --free-ports N
 *       Prints N distinct TCP ports of 40000-49999, picked at random, that 127.0.0.1 can
 *       bind right now.
 *
 * Output lines are "key value ..." for the scripts (daemon_rss.sh, daemon_latency.sh).
 * The identity file must be unencrypted (`sanctum keys gen --no-passphrase`). A daemon
 * refuses more than 512 connections; all of them may come from one identity.
 */
#include "frame.h"
#include "noise.h"

#include "sanctum/sanctum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NAMESPACE "sanctum-notify"
#define MAX_CONNS 4096
#define OUT_CAP 8192

typedef enum { C_FREE, C_CONNECTING, C_WAIT2, C_WAIT_PONG, C_READY } conn_state;

typedef struct {
	int fd;
	conn_state state;
	noise_handshake hs;
	noise_cipher tx, rx;
	frame_decoder frames;
	unsigned char out[OUT_CAP];
	size_t out_len;
	double t0;                      /* connect() called, ms */
	double t_done;                  /* pong received, ms */
} conn;

/* What a run needs, set from the command line. */
static struct sockaddr_in target;
static char group[33];
static unsigned char prologue[64];
static size_t prologue_len;
static sanctum_identity *identity;
static unsigned char static_priv[32], static_pub[32];
static int verify_daemon = 1;
static const char *fail_reason; /* the first failure, for the report */
static unsigned long pings_answered, announcements, dropped;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void note_failure(const char *why)
{
	if (!fail_reason)
		fail_reason = why;
}

/* ---- the proof statement, as transport/src/proof.c makes it ---- */

static int statement(char *out, size_t cap, const unsigned char h[NOISE_HASH_LEN],
                     const unsigned char key[NOISE_KEY_LEN])
{
	char hhex[2 * NOISE_HASH_LEN + 1], khex[2 * NOISE_KEY_LEN + 1];

	sodium_bin2hex(hhex, sizeof(hhex), h, NOISE_HASH_LEN);
	sodium_bin2hex(khex, sizeof(khex), key, NOISE_KEY_LEN);
	return snprintf(out, cap, "sanctum-notify-v1 handshake\ngroup %s\nhash %s\nkey %s\n", group,
	                hhex, khex);
}

/* ---- one connection ---- */

static void conn_close(conn *c)
{
	struct linger lg = { 1, 0 };

	if (c->state == C_FREE)
		return;
	/* A reset, not a FIN: thousands of handshakes leave no TIME_WAIT ports behind. */
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c->fd);
	noise_handshake_dispose(&c->hs);
	noise_cipher_dispose(&c->tx);
	noise_cipher_dispose(&c->rx);
	frame_decoder_dispose(&c->frames);
	c->state = C_FREE;
	c->fd = -1;
	c->out_len = 0;
}

static int queue_frame(conn *c, const unsigned char *body, size_t len, size_t max)
{
	size_t n;

	if (c->out_len + len + FRAME_HEADER_LEN > OUT_CAP ||
	    frame_encode(c->out + c->out_len, OUT_CAP - c->out_len, &n, body, len, max) < 0)
		return -1;
	c->out_len += n;
	return 0;
}

static int flush(conn *c)
{
	while (c->out_len) {
		ssize_t n = write(c->fd, c->out, c->out_len);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return 0;
}

static int send_message(conn *c, unsigned char type)
{
	unsigned char body[1 + NOISE_TAG_LEN];
	size_t len;

	body[0] = type;
	if (noise_cipher_encrypt(&c->tx, NULL, 0, body, 1, body, sizeof(body), &len) < 0)
		return -1;
	return queue_frame(c, body, len, FRAME_MAX_TRANSPORT);
}

static int conn_open(conn *c)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		note_failure("socket() failed (too many open files?)");
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t0 = now_ms();
	c->t_done = 0;
	c->out_len = 0;
	if (connect(c->fd, (struct sockaddr *)&target, sizeof(target)) < 0 && errno != EINPROGRESS) {
		note_failure("connect() failed");
		close(c->fd);
		return -1;
	}
	if (noise_handshake_init(&c->hs, 1, static_priv, prologue, prologue_len) < 0 ||
	    frame_decoder_init(&c->frames, FRAME_MAX_HANDSHAKE) < 0) {
		close(c->fd);
		return -1;
	}
	c->state = C_CONNECTING;
	return 0;
}

/* The TCP connection is up: message 1, an empty payload. */
static int on_connected(conn *c)
{
	unsigned char msg[NOISE_XX_MSG1_OVERHEAD];
	size_t len;
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		note_failure("the connection was refused");
		return -1;
	}
	if (noise_handshake_write_message(&c->hs, msg, sizeof(msg), &len, NULL, 0) < 0 ||
	    queue_frame(c, msg, len, FRAME_MAX_HANDSHAKE) < 0)
		return -1;
	c->state = C_WAIT2;
	return 0;
}

/* Message 2 read: check the daemon's proof, answer with message 3 and a ping. */
static int on_message2(conn *c, const unsigned char *frame, size_t len)
{
	unsigned char h[NOISE_HASH_LEN], rs[NOISE_KEY_LEN], signer[32];
	unsigned char payload[FRAME_MAX_HANDSHAKE], msg[FRAME_MAX_HANDSHAKE];
	char text[400];
	size_t payload_len, out_len;
	sanctum_buf proof = SANCTUM_BUF_INIT;
	int n, rc;

	if (noise_handshake_current_hash(&c->hs, h) < 0 ||
	    noise_handshake_read_message(&c->hs, frame, len, payload, sizeof(payload),
	                                 &payload_len) < 0) {
		note_failure("message 2 does not decrypt (another group?)");
		return -1;
	}
	if (verify_daemon) {
		if (noise_handshake_remote_static(&c->hs, rs) < 0)
			return -1;
		n = statement(text, sizeof(text), h, rs);
		if (sanctum_sshsig_verify(signer, (const char *)payload, payload_len, NAMESPACE, text,
		                          (size_t)n) < 0) {
			note_failure("the daemon's identity proof does not verify");
			return -1;
		}
	}
	if (noise_handshake_current_hash(&c->hs, h) < 0)
		return -1;
	n = statement(text, sizeof(text), h, static_pub);
	if (sanctum_identity_sign(&proof, identity, NAMESPACE, text, (size_t)n) < 0) {
		note_failure("cannot sign the proof");
		return -1;
	}
	rc = noise_handshake_write_message(&c->hs, msg, sizeof(msg), &out_len, proof.ptr,
	                                   proof.size);
	sanctum_buf_dispose(&proof);
	if (rc < 0 || queue_frame(c, msg, out_len, FRAME_MAX_HANDSHAKE) < 0 ||
	    noise_handshake_split(&c->hs, &c->tx, &c->rx) < 0 ||
	    frame_decoder_set_max(&c->frames, FRAME_MAX_TRANSPORT) < 0 || send_message(c, 'P') < 0)
		return -1;
	c->state = C_WAIT_PONG;
	return 0;
}

static int on_transport(conn *c, const unsigned char *frame, size_t len)
{
	unsigned char plain[FRAME_MAX_TRANSPORT];
	size_t plain_len;

	if (noise_cipher_decrypt(&c->rx, NULL, 0, frame, len, plain, sizeof(plain), &plain_len) < 0 ||
	    plain_len == 0) {
		note_failure("a transport message failed authentication");
		return -1;
	}
	switch (plain[0]) {
	case 'P':
		pings_answered++;
		return send_message(c, 'Q');
	case 'Q':
		if (c->state == C_WAIT_PONG) {
			c->state = C_READY;
			c->t_done = now_ms();
		}
		return 0;
	case 'A':
		announcements++;
		return 0;
	default:
		note_failure("the daemon sent a message of an unknown type");
		return -1;
	}
}

static int on_frame(void *ctx, const uint8_t *frame, size_t len)
{
	conn *c = ctx;

	if (c->state == C_WAIT2)
		return on_message2(c, frame, len);
	if (c->state == C_WAIT_PONG || c->state == C_READY)
		return on_transport(c, frame, len);
	return -1;
}

/* Handles poll's events on one connection. Returns -1 when it is over (closed or broken). */
static int on_events(conn *c, short revents)
{
	static unsigned char buf[65536];

	if (c->state == C_CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (on_connected(c) < 0)
			return -1;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP)) {
		for (;;) {
			ssize_t n = read(c->fd, buf, sizeof(buf));

			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n <= 0) {
				if (c->state == C_READY)
					dropped++;
				else
					note_failure("the daemon closed the connection during the handshake");
				return -1;
			}
			if (frame_decoder_feed(&c->frames, buf, (size_t)n, on_frame, c) < 0) {
				sanctum_error_clear();
				return -1;
			}
		}
	}
	return flush(c);
}

/* One round of poll over every open connection, at most `timeout_ms`. Connections that end
 * are closed; `finished` is called for those that reach C_READY during this round. */
static int poll_round(conn *cs, size_t n, int timeout_ms, void (*finished)(conn *c, void *arg),
                      void *arg, size_t *failed)
{
	static struct pollfd pfd[MAX_CONNS];
	static size_t idx[MAX_CONNS];
	size_t m = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (cs[i].state == C_FREE)
			continue;
		pfd[m].fd = cs[i].fd;
		pfd[m].events = (short)(POLLIN | (cs[i].state == C_CONNECTING || cs[i].out_len ? POLLOUT : 0));
		pfd[m].revents = 0;
		idx[m++] = i;
	}
	rc = poll(pfd, m, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	for (size_t j = 0; j < m && rc > 0; j++) {
		conn *c = &cs[idx[j]];
		conn_state before = c->state;

		if (!pfd[j].revents)
			continue;
		if (on_events(c, pfd[j].revents) < 0) {
			if (c->state != C_READY && failed)
				(*failed)++;
			conn_close(c);
			continue;
		}
		if (before != C_READY && c->state == C_READY && finished)
			finished(c, arg);
	}
	return 0;
}

/* ---- modes ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	return sorted[k > n ? n - 1 : k - 1];
}

typedef struct {
	double *lat;
	size_t nlat, cap;
} latencies;

static void record_latency(conn *c, void *arg)
{
	latencies *l = arg;

	if (l->nlat < l->cap)
		l->lat[l->nlat++] = c->t_done - c->t0;
}

static size_t count_state(const conn *cs, size_t n, conn_state s)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += cs[i].state == s;
	return k;
}

static int run_conns(size_t n, double hold_s, size_t burst)
{
	conn *cs = calloc(n, sizeof(*cs));
	latencies l = { calloc(n, sizeof(double)), 0, n };
	size_t opened = 0, failed = 0, ready;
	double start = now_ms(), deadline = start + 15000, t_all;

	if (!cs || !l.lat)
		return 1;
	for (size_t i = 0; i < n; i++)
		cs[i].fd = -1;
	/* Open with at most `burst` handshakes in flight, so the daemon's listen backlog of
	 * 128 never overflows (a dropped SYN is retried a second later). */
	while (now_ms() < deadline) {
		size_t in_flight = 0;

		for (size_t i = 0; i < opened; i++)
			in_flight += cs[i].state != C_FREE && cs[i].state != C_READY;
		while (opened < n && in_flight < burst) {
			if (conn_open(&cs[opened]) < 0)
				failed++;
			else
				in_flight++;
			opened++;
		}
		if (opened == n && in_flight == 0)
			break;
		if (poll_round(cs, opened, 50, record_latency, &l, &failed) < 0)
			return 1;
	}
	t_all = now_ms() - start;
	ready = count_state(cs, n, C_READY);
	qsort(l.lat, l.nlat, sizeof(double), cmp_double);
	printf("conns_requested %zu\n", n);
	printf("conns_completed %zu\n", ready);
	printf("conns_failed %zu\n", n - ready);
	if (n - ready && fail_reason)
		printf("first_failure %s\n", fail_reason);
	printf("conns_seconds %.3f\n", t_all / 1e3);
	printf("handshake_ms_p50 %.2f\nhandshake_ms_p99 %.2f\nhandshake_ms_max %.2f\n",
	       pct(l.lat, l.nlat, 50), pct(l.lat, l.nlat, 99), pct(l.lat, l.nlat, 100));
	printf("holding %zu\n", ready);
	fflush(stdout);
	/* Close whatever did not complete, then hold the rest, answering pings. */
	for (size_t i = 0; i < n; i++)
		if (cs[i].state != C_READY)
			conn_close(&cs[i]);
	for (double end = now_ms() + hold_s * 1e3; now_ms() < end;)
		if (poll_round(cs, n, 100, NULL, NULL, NULL) < 0)
			return 1;
	printf("held_seconds %.1f\n", hold_s);
	printf("still_open %zu\n", count_state(cs, n, C_READY));
	printf("dropped_by_daemon %lu\n", dropped);
	printf("pings_answered %lu\n", pings_answered);
	for (size_t i = 0; i < n; i++)
		conn_close(&cs[i]);
	free(cs);
	free(l.lat);
	return ready == n ? 0 : 3;
}

static int run_handshakes(double seconds, size_t parallel)
{
	conn *cs = calloc(parallel, sizeof(*cs));
	latencies l = { NULL, 0, 1u << 20 };
	size_t failed = 0, done = 0;
	double start, stop_at, end;

	if (!cs || !(l.lat = malloc(l.cap * sizeof(double))))
		return 1;
	for (size_t i = 0; i < parallel; i++)
		cs[i].fd = -1;
	start = now_ms();
	stop_at = start + seconds * 1e3;
	for (;;) {
		double t = now_ms();
		size_t open = 0;

		for (size_t i = 0; i < parallel; i++) {
			if (cs[i].state == C_READY) {
				done++;
				conn_close(&cs[i]);
			}
			if (cs[i].state == C_FREE && t < stop_at && conn_open(&cs[i]) < 0)
				failed++;
			open += cs[i].state != C_FREE;
		}
		if (!open || t > stop_at + 5000)
			break;
		if (poll_round(cs, parallel, 50, record_latency, &l, &failed) < 0)
			return 1;
	}
	end = now_ms();
	for (size_t i = 0; i < parallel; i++) {
		if (cs[i].state == C_READY)
			done++;
		conn_close(&cs[i]);
	}
	qsort(l.lat, l.nlat, sizeof(double), cmp_double);
	printf("handshakes %zu\n", done);
	printf("handshake_failures %zu\n", failed);
	if (failed && fail_reason)
		printf("first_failure %s\n", fail_reason);
	printf("parallel %zu\n", parallel);
	printf("seconds %.3f\n", (end - start) / 1e3);
	printf("handshakes_per_s %.1f\n", (double)done / ((end - start) / 1e3));
	printf("handshake_ms_p50 %.3f\nhandshake_ms_p90 %.3f\nhandshake_ms_p99 %.3f\n",
	       pct(l.lat, l.nlat, 50), pct(l.lat, l.nlat, 90), pct(l.lat, l.nlat, 99));
	free(cs);
	free(l.lat);
	return failed ? 3 : 0;
}

/* ---- the cryptographic baseline ---- */

/* HMAC-BLAKE2b-512 with a 128-byte block, as Noise's HKDF needs it. */
static void hmac_b2b(unsigned char out[64], const unsigned char key[64], const unsigned char *data,
                     size_t len)
{
	unsigned char block[128], inner[64];
	crypto_generichash_state st;

	memset(block, 0x36, sizeof(block));
	for (int i = 0; i < 64; i++)
		block[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, 64);
	crypto_generichash_update(&st, block, sizeof(block));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, inner, 64);
	memset(block, 0x5c, sizeof(block));
	for (int i = 0; i < 64; i++)
		block[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, 64);
	crypto_generichash_update(&st, block, sizeof(block));
	crypto_generichash_update(&st, inner, sizeof(inner));
	crypto_generichash_final(&st, out, 64);
}

/* Noise's HKDF with two outputs: three HMACs. */
static void hkdf2(unsigned char ck[64], unsigned char k[64], const unsigned char *ikm, size_t len)
{
	unsigned char temp[64], in[65];

	hmac_b2b(temp, ck, ikm, len);
	in[0] = 1;
	hmac_b2b(ck, temp, in, 1);
	memcpy(in, ck, 64);
	in[64] = 2;
	hmac_b2b(k, temp, in, 65);
}

static void mix_hash(unsigned char h[64], const unsigned char *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 64);
	crypto_generichash_update(&st, h, 64);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, h, 64);
}

/*
 * One side's share of a handshake in raw libsodium: what noise.c and the proof cost at
 * least. The other side's values are stand-ins of the right size (the cost of X25519 and
 * of the hashes does not depend on them).
 */
static unsigned raw_side(const unsigned char sign_sk[64], const unsigned char sign_pk[32],
                         const unsigned char peer_pub[32], const char *text, size_t text_len,
                         size_t proof_len)
{
	unsigned char e_priv[32], e_pub[32], dh[32], h[64], ck[64], k[64], nonce[12] = { 0 };
	unsigned char field[512 + 16], back[512], digest[64], blob[128], sig[64];
	unsigned long long clen, mlen;
	unsigned bad = 0;

	memset(h, 1, sizeof(h));
	memcpy(ck, h, sizeof(ck));
	randombytes_buf(e_priv, sizeof(e_priv));
	crypto_scalarmult_base(e_pub, e_priv);                 /* e */
	mix_hash(h, (const unsigned char *)"sanctum-notify-v100112233445566778899aabbccddeeff", 49);
	mix_hash(h, e_pub, 32);                                /* our e */
	mix_hash(h, peer_pub, 32);                             /* their e */
	mix_hash(h, NULL, 0);                                  /* message 1's empty payload */
	bad |= (unsigned)crypto_scalarmult(dh, e_priv, peer_pub);   /* ee */
	hkdf2(ck, k, dh, 32);
	bad |= (unsigned)crypto_scalarmult(dh, e_priv, peer_pub);   /* es or se with our e */
	hkdf2(ck, k, dh, 32);
	bad |= (unsigned)crypto_scalarmult(dh, static_priv, peer_pub); /* the other with our s */
	hkdf2(ck, k, dh, 32);
	hkdf2(ck, k, NULL, 0);                                 /* Split */
	/* Our s and our proof out (encrypt, MixHash), the peer's in (decrypt, MixHash); the
	 * peer's fields are stood in for by ours. */
	memset(field, 0, sizeof(field));
	for (int i = 0; i < 2; i++) {
		size_t len = i ? proof_len : 32; /* our static key, then the armored proof */
		unsigned char ad[64];

		memcpy(ad, h, sizeof(ad));
		crypto_aead_chacha20poly1305_ietf_encrypt(field, &clen, field, len, ad, 64, NULL, nonce, k);
		mix_hash(h, field, (size_t)clen);
		bad |= (unsigned)(crypto_aead_chacha20poly1305_ietf_decrypt(back, &mlen, NULL, field, clen,
		                                                            ad, 64, nonce, k) != 0);
		mix_hash(h, field, (size_t)clen);
	}
	/* A ping out and a pong in. */
	crypto_aead_chacha20poly1305_ietf_encrypt(field, &clen, field, 1, NULL, 0, NULL, nonce, k);
	bad |= (unsigned)(crypto_aead_chacha20poly1305_ietf_decrypt(back, &mlen, NULL, field, clen,
	                                                            NULL, 0, nonce, k) != 0);
	/* The proof: SSHSIG signs "SSHSIG", the namespace and SHA-512 of the statement. */
	crypto_hash_sha512(digest, (const unsigned char *)text, text_len);
	memset(blob, 0, sizeof(blob));
	memcpy(blob, "SSHSIG", 6);
	memcpy(blob + 42, digest, 64);
	crypto_sign_detached(sig, NULL, blob, 106, sign_sk);
	/* The peer's proof: its digest and one verification. */
	crypto_hash_sha512(digest, (const unsigned char *)text, text_len);
	memcpy(blob + 42, digest, 64);
	bad |= (unsigned)crypto_sign_verify_detached(sig, blob, 106, sign_pk);
	return bad;
}

/* A whole handshake, both sides, with the project's noise.c and SSHSIG code. */
static int inproc_handshake(const unsigned char resp_priv[32], const unsigned char resp_pub[32])
{
	noise_handshake a, b;
	noise_cipher atx, arx, btx, brx;
	unsigned char m1[64], m2[4096], m3[4096], payload[4096], h[64], rs[32], signer[32];
	unsigned char ping[1 + 16], out[16];
	char text[400];
	size_t l1, l2, l3, pl, n;
	sanctum_buf proof = SANCTUM_BUF_INIT;
	int ok = -1, tn;

	if (noise_handshake_init(&a, 1, static_priv, prologue, prologue_len) < 0 ||
	    noise_handshake_init(&b, 0, resp_priv, prologue, prologue_len) < 0 ||
	    noise_handshake_write_message(&a, m1, sizeof(m1), &l1, NULL, 0) < 0 ||
	    noise_handshake_read_message(&b, m1, l1, payload, sizeof(payload), &pl) < 0)
		goto done;
	/* Message 2: the responder's proof. */
	noise_handshake_current_hash(&b, h);
	tn = statement(text, sizeof(text), h, resp_pub);
	if (sanctum_identity_sign(&proof, identity, NAMESPACE, text, (size_t)tn) < 0 ||
	    noise_handshake_write_message(&b, m2, sizeof(m2), &l2, proof.ptr, proof.size) < 0)
		goto done;
	noise_handshake_current_hash(&a, h);
	if (noise_handshake_read_message(&a, m2, l2, payload, sizeof(payload), &pl) < 0)
		goto done;
	noise_handshake_remote_static(&a, rs);
	tn = statement(text, sizeof(text), h, rs);
	if (sanctum_sshsig_verify(signer, (const char *)payload, pl, NAMESPACE, text, (size_t)tn) < 0)
		goto done;
	/* Message 3: the initiator's proof. */
	noise_handshake_current_hash(&a, h);
	tn = statement(text, sizeof(text), h, static_pub);
	if (sanctum_identity_sign(&proof, identity, NAMESPACE, text, (size_t)tn) < 0 ||
	    noise_handshake_write_message(&a, m3, sizeof(m3), &l3, proof.ptr, proof.size) < 0)
		goto done;
	noise_handshake_current_hash(&b, h);
	if (noise_handshake_read_message(&b, m3, l3, payload, sizeof(payload), &pl) < 0)
		goto done;
	noise_handshake_remote_static(&b, rs);
	tn = statement(text, sizeof(text), h, rs);
	if (sanctum_sshsig_verify(signer, (const char *)payload, pl, NAMESPACE, text, (size_t)tn) < 0 ||
	    noise_handshake_split(&a, &atx, &arx) < 0 || noise_handshake_split(&b, &btx, &brx) < 0)
		goto done;
	/* The ping and the pong. */
	ping[0] = 'P';
	if (noise_cipher_encrypt(&atx, NULL, 0, ping, 1, ping, sizeof(ping), &n) < 0 ||
	    noise_cipher_decrypt(&brx, NULL, 0, ping, n, out, sizeof(out), &n) < 0)
		goto done;
	ping[0] = 'Q';
	if (noise_cipher_encrypt(&btx, NULL, 0, ping, 1, ping, sizeof(ping), &n) < 0 ||
	    noise_cipher_decrypt(&arx, NULL, 0, ping, n, out, sizeof(out), &n) < 0)
		goto done;
	ok = 0;
	noise_cipher_dispose(&atx);
	noise_cipher_dispose(&arx);
	noise_cipher_dispose(&btx);
	noise_cipher_dispose(&brx);
done:
	sanctum_buf_dispose(&proof);
	noise_handshake_dispose(&a);
	noise_handshake_dispose(&b);
	return ok;
}

static int run_crypto(size_t n)
{
	unsigned char sk[64], pk[32], peer_priv[32], peer_pub[32], q[32];
	unsigned char h[64] = { 0 };
	char text[400];
	size_t text_len, proof_len;
	double t, best_raw = 1e30, best_dh = 1e30, best_base = 1e30, best_inproc = 1e30;
	unsigned bad = 0;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(peer_priv, sizeof(peer_priv));
	crypto_scalarmult_base(peer_pub, peer_priv);
	text_len = (size_t)statement(text, sizeof(text), h, static_pub);
	{
		sanctum_buf one = SANCTUM_BUF_INIT;

		if (sanctum_identity_sign(&one, identity, NAMESPACE, text, text_len) < 0)
			return 1;
		proof_len = one.size < 512 ? one.size : 512;
		sanctum_buf_dispose(&one);
	}
	for (int run = 0; run < 3; run++) {
		t = now_ms();
		for (size_t i = 0; i < n; i++)
			bad |= crypto_scalarmult(q, peer_priv, static_pub) != 0;
		t = (now_ms() - t) * 1e3 / (double)n;
		best_dh = t < best_dh ? t : best_dh;
		t = now_ms();
		for (size_t i = 0; i < n; i++)
			bad |= crypto_scalarmult_base(q, peer_priv) != 0;
		t = (now_ms() - t) * 1e3 / (double)n;
		best_base = t < best_base ? t : best_base;
		t = now_ms();
		for (size_t i = 0; i < n; i++)
			bad |= raw_side(sk, pk, peer_pub, text, text_len, proof_len);
		t = (now_ms() - t) * 1e3 / (double)n;
		best_raw = t < best_raw ? t : best_raw;
		t = now_ms();
		for (size_t i = 0; i < n / 2 + 1; i++)
			if (inproc_handshake(peer_priv, peer_pub) < 0) {
				fprintf(stderr, "daemon_conns: the in-process handshake failed: %s\n",
				        sanctum_error_last()->message);
				return 1;
			}
		t = (now_ms() - t) * 1e3 / (double)(n / 2 + 1);
		best_inproc = t < best_inproc ? t : best_inproc;
	}
	if (bad) {
		fprintf(stderr, "daemon_conns: a raw operation failed\n");
		return 1;
	}
	printf("crypto_runs 3 (best of), %zu operations each\n", n);
	printf("proof_bytes %zu\n", proof_len);
	printf("x25519_us %.2f\n", best_dh);
	printf("x25519_base_us %.2f\n", best_base);
	printf("raw_one_side_us %.2f\n", best_raw);
	printf("raw_both_sides_us %.2f\n", 2 * best_raw);
	printf("raw_one_side_per_s %.0f\n", 1e6 / best_raw);
	printf("inproc_both_sides_us %.2f\n", best_inproc);
	printf("inproc_one_side_us %.2f\n", best_inproc / 2);
	printf("inproc_one_side_per_s %.0f\n", 2e6 / best_inproc);
	/* The proof's parts on their own: raw Ed25519 against the project's SSHSIG calls. */
	{
		unsigned char blob[106] = { 'S', 'S', 'H', 'S', 'I', 'G' }, sig[64], signer[32];
		sanctum_buf armored = SANCTUM_BUF_INIT;
		double best[4] = { 1e30, 1e30, 1e30, 1e30 };

		for (int run = 0; run < 3; run++) {
			double u[4];

			t = now_ms();
			for (size_t i = 0; i < n; i++)
				crypto_sign_detached(sig, NULL, blob, sizeof(blob), sk);
			u[0] = (now_ms() - t) * 1e3 / (double)n;
			t = now_ms();
			for (size_t i = 0; i < n; i++)
				bad |= crypto_sign_verify_detached(sig, blob, sizeof(blob), pk) != 0;
			u[1] = (now_ms() - t) * 1e3 / (double)n;
			t = now_ms();
			for (size_t i = 0; i < n; i++)
				bad |= sanctum_identity_sign(&armored, identity, NAMESPACE, text, text_len) < 0;
			u[2] = (now_ms() - t) * 1e3 / (double)n;
			t = now_ms();
			for (size_t i = 0; i < n; i++)
				bad |= sanctum_sshsig_verify(signer, (const char *)armored.ptr, armored.size,
				                             NAMESPACE, text, text_len) < 0;
			u[3] = (now_ms() - t) * 1e3 / (double)n;
			for (int j = 0; j < 4; j++)
				best[j] = u[j] < best[j] ? u[j] : best[j];
		}
		sanctum_buf_dispose(&armored);
		if (bad) {
			fprintf(stderr, "daemon_conns: a signature failed\n");
			return 1;
		}
		printf("ed25519_sign_us %.2f\n", best[0]);
		printf("ed25519_verify_us %.2f\n", best[1]);
		printf("sshsig_sign_us %.2f\n", best[2]);
		printf("sshsig_verify_us %.2f\n", best[3]);
	}
	return 0;
}

/* ---- free ports ---- */

static int run_free_ports(size_t n)
{
	unsigned short picked[64];
	size_t got = 0;

	if (n > 64)
		return 2;
	for (int tries = 0; got < n && tries < 1000; tries++) {
		unsigned short port = (unsigned short)(40000 + randombytes_uniform(10000));
		struct sockaddr_in sa;
		int fd, one = 1, dup = 0;

		for (size_t i = 0; i < got; i++)
			dup |= picked[i] == port;
		if (dup)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return 1;
		/* As libuv binds: SO_REUSEADDR, so a port in TIME_WAIT counts as free. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			picked[got++] = port;
		close(fd);
	}
	if (got < n)
		return 1;
	for (size_t i = 0; i < n; i++)
		printf("%u\n", picked[i]);
	return 0;
}

/* ---- the command line ---- */

static int usage(void)
{
	fprintf(stderr,
	        "usage: daemon_conns --connect HOST:PORT --group ID --identity FILE --conns N [--hold S] [--burst K]\n"
	        "       daemon_conns --connect HOST:PORT --group ID --identity FILE --handshakes S [--parallel K]\n"
	        "       daemon_conns --identity FILE --crypto N\n"
	        "       daemon_conns --free-ports N\n"
	        "       (--no-verify: do not check the daemon's identity proof)\n");
	return 2;
}

static int parse_target(const char *text)
{
	char host[64];
	const char *colon = strrchr(text, ':');

	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(&target, 0, sizeof(target));
	target.sin_family = AF_INET;
	target.sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, host, &target.sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *connect_to = NULL, *id_path = NULL;
	size_t conns = 0, parallel = 1, burst = 32, crypto = 0, free_ports = 0;
	double hold = 5, handshakes = 0;
	struct rlimit rl;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-verify") == 0) {
			verify_daemon = 0;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(a, "--connect") == 0)
			connect_to = v;
		else if (strcmp(a, "--group") == 0)
			snprintf(group, sizeof(group), "%s", v);
		else if (strcmp(a, "--identity") == 0)
			id_path = v;
		else if (strcmp(a, "--conns") == 0)
			conns = strtoul(v, NULL, 10);
		else if (strcmp(a, "--hold") == 0)
			hold = atof(v);
		else if (strcmp(a, "--burst") == 0)
			burst = strtoul(v, NULL, 10);
		else if (strcmp(a, "--handshakes") == 0)
			handshakes = atof(v);
		else if (strcmp(a, "--parallel") == 0)
			parallel = strtoul(v, NULL, 10);
		else if (strcmp(a, "--crypto") == 0)
			crypto = strtoul(v, NULL, 10);
		else if (strcmp(a, "--free-ports") == 0)
			free_ports = strtoul(v, NULL, 10);
		else
			return usage();
	}
	if (sanctum_init() < 0)
		return 1;
	if (free_ports)
		return run_free_ports(free_ports);
	if (!id_path || (!crypto && (!connect_to || strlen(group) != 32 || (!conns && !handshakes))))
		return usage();
	if (conns > MAX_CONNS || !parallel || parallel > MAX_CONNS || !burst)
		return usage();
	if (connect_to && parse_target(connect_to) < 0) {
		fprintf(stderr, "daemon_conns: '%s' is not IPv4-ADDRESS:PORT\n", connect_to);
		return 2;
	}
	if (sanctum_identity_load(&identity, id_path, NULL, NULL) < 0) {
		fprintf(stderr, "daemon_conns: %s\n", sanctum_error_last()->message);
		return 1;
	}
	if (!group[0])
		snprintf(group, sizeof(group), "00112233445566778899aabbccddeeff");
	prologue_len = (size_t)snprintf((char *)prologue, sizeof(prologue), "sanctum-notify-v1%s",
	                                group);
	/* One transport key for the whole run, as a daemon has. */
	randombytes_buf(static_priv, sizeof(static_priv));
	crypto_scalarmult_base(static_pub, static_priv);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (crypto)
		return run_crypto(crypto);
	if (conns)
		return run_conns(conns, hold, burst);
	return run_handshakes(handshakes, parallel);
}

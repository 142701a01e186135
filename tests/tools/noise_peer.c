/*
 * noise_peer: a scriptable peer for the daemon tests (tests/cli/t0060-daemon.sh), honest or
 * hostile. It connects to a daemon's peer port, or to any TCP port, and does what it is
 * told, in order:
 *
 *     noise_peer HOST:PORT [--wait MS] [--expect-close] STEP...
 *
 *   --send FILE         send FILE's bytes as they are; what comes back goes to stdout
 *   --garbage N         send N random bytes in frames of up to 100 (they pass the framing,
 *                       not the handshake)
 *   --oversize          send a frame header of 65535 bytes (over the handshake limit of
 *                       4096) and 100 bytes of its body
 *   --truncate          send the first half of handshake message 1, and no more
 *   --identity PATH --store DIR
 *                       complete the Noise XX handshake as the sanctum identity in PATH
 *                       (unencrypted), for the group of the store in DIR; the identity
 *                       proofs are made and checked by transport/src/proof.c
 *   and after the handshake:
 *   --announce HEAD     a signed announcement of HEAD, as announce.c makes it; its counter
 *                       is the time in ms, above any earlier one of this run
 *   --replay            the last frame sent, byte for byte, again (a replayed message)
 *   --old               this run's first announcement again, in a new frame (a lower
 *                       counter than the last one)
 *   --ping              a ping; waits for the pong
 *   --expect-announce HEAD|any
 *                       waits (up to --wait) for an announcement of HEAD and prints it
 *
 * With no step it connects and stays silent. At the end it waits up to --wait ms (2000 by
 * default) for the other side to close, answering pings, unless --silent says not to,
 * and printing announcements.
 *
 * It prints what happens, one line each ("handshake ok ...", "pong after N ms",
 * "closed by peer after N ms", where N counts from the connection), and exits 0 when
 * every step worked and the other side closed the connection within --wait if
 * --expect-close is given, or kept it open otherwise; 1 when not; 2 for bad usage.
 */
#include "peers_internal.h"

#include <sanctum/errors.h>
#include <sanctum/sshsig.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANNOUNCE_NAMESPACE "sanctum-notify"

typedef struct {
	int fd;
	int64_t t0;                      /* when connected, ms */
	int closed;
	int silent;                      /* --silent: answer nothing */
	noise_cipher tx, rx;
	int ready;                       /* the handshake is done */
	sd_daemon daemon;                /* only store and options.identity, for proof.c */
	unsigned char last[FRAME_HEADER_LEN + FRAME_MAX_TRANSPORT]; /* the last frame sent */
	size_t last_len;
	unsigned char *first;            /* this run's first announcement */
	size_t first_len;
	uint64_t counter;
} peer;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: noise_peer HOST:PORT [--wait MS] [--expect-close] [--silent]\n"
	                "         [--send FILE | --garbage N | --oversize | --truncate |\n"
	                "          --identity PATH --store DIR [--announce HEAD] [--replay] "
	                "[--old] [--ping]\n"
	                "          [--expect-announce HEAD|any]]...\n");
	return 2;
}

static int connect_to(const char *addr)
{
	char host[256], *colon;
	struct addrinfo hints, *res = NULL;
	int fd = -1;

	snprintf(host, sizeof(host), "%s", addr);
	if (!(colon = strrchr(host, ':')))
		return -1;
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void closed_by_peer(peer *p)
{
	if (!p->closed)
		printf("closed by peer after %" PRId64 " ms\n", now_ms() - p->t0);
	p->closed = 1;
}

/* Sends all of it. 0, or -1 when the connection is gone. */
static int send_all(peer *p, const void *data, size_t len)
{
	const unsigned char *b = data;

	while (len && !p->closed) {
		ssize_t n = send(p->fd, b, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			closed_by_peer(p);
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return p->closed ? -1 : 0;
}

/* Reads exactly `len` bytes before `deadline`: 1, 0 on timeout, -1 when closed. */
static int read_exact(peer *p, unsigned char *out, size_t len, int64_t deadline)
{
	while (len) {
		struct pollfd pfd = { p->fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (p->closed)
			return -1;
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return 0;
		n = read(p->fd, out, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			closed_by_peer(p);
			return -1;
		}
		out += n;
		len -= (size_t)n;
	}
	return 1;
}

/* One frame: 1 with its body in `out`, 0 on timeout, -1 when closed or too long. */
static int read_frame(peer *p, unsigned char *out, size_t cap, size_t *len, int64_t deadline)
{
	unsigned char header[FRAME_HEADER_LEN];
	int rc = read_exact(p, header, sizeof(header), deadline);

	if (rc <= 0)
		return rc;
	*len = (size_t)header[0] << 8 | header[1];
	if (*len == 0 || *len > cap) {
		printf("the other side sent a frame of %zu bytes\n", *len);
		return -1;
	}
	/* The body follows its header at once: give it a few seconds more if need be. */
	rc = read_exact(p, out, *len, deadline > now_ms() + 5000 ? deadline : now_ms() + 5000);
	return rc;
}

static int send_frame(peer *p, const unsigned char *body, size_t len)
{
	if (frame_encode(p->last, sizeof(p->last), &p->last_len, body, len, FRAME_MAX_TRANSPORT) < 0)
		return -1;
	return send_all(p, p->last, p->last_len);
}

static int send_message(peer *p, unsigned char type, const unsigned char *body, size_t len)
{
	unsigned char plain[FRAME_MAX_TRANSPORT], cipher[FRAME_MAX_TRANSPORT];
	size_t out_len;

	if (len + 1 > NOISE_MAX_PLAINTEXT)
		return -1;
	plain[0] = type;
	if (len)
		memcpy(plain + 1, body, len);
	if (noise_cipher_encrypt(&p->tx, NULL, 0, plain, len + 1, cipher, sizeof(cipher),
	                         &out_len) < 0)
		return -1;
	return send_frame(p, cipher, out_len);
}

/* ---- the handshake, as the initiator ---- */

static int handshake(peer *p, const unsigned char prologue[], size_t prologue_len)
{
	noise_handshake hs;
	unsigned char priv[NOISE_KEY_LEN], pub[NOISE_KEY_LEN], rs[NOISE_KEY_LEN];
	unsigned char msg[FRAME_MAX_HANDSHAKE], payload[FRAME_MAX_HANDSHAKE], h[NOISE_HASH_LEN];
	unsigned char member[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_buf proof = SANCTUM_BUF_INIT;
	size_t len, payload_len;
	int rc = -1;

	randombytes_buf(priv, sizeof(priv));
	crypto_scalarmult_base(pub, priv);
	if (noise_handshake_init(&hs, 1, priv, prologue, prologue_len) < 0 ||
	    noise_handshake_write_message(&hs, msg, sizeof(msg), &len, NULL, 0) < 0 ||
	    send_frame(p, msg, len) < 0)
		goto done;
	if (read_frame(p, msg, sizeof(msg), &len, now_ms() + 10000) <= 0) {
		printf("no handshake message 2\n");
		goto done;
	}
	if (noise_handshake_current_hash(&hs, h) < 0 ||
	    noise_handshake_read_message(&hs, msg, len, payload, sizeof(payload), &payload_len) < 0 ||
	    noise_handshake_remote_static(&hs, rs) < 0 ||
	    sd_proof_check(member, &p->daemon, h, rs, payload, payload_len) < 0) {
		printf("handshake message 2 refused: %s\n", sanctum_error_last()->message);
		goto done;
	}
	sanctum_key_fingerprint(fingerprint, member);
	if (noise_handshake_current_hash(&hs, h) < 0 ||
	    sd_proof_make(&proof, &p->daemon, h, pub) < 0 ||
	    noise_handshake_write_message(&hs, msg, sizeof(msg), &len, proof.ptr, proof.size) < 0 ||
	    noise_handshake_split(&hs, &p->tx, &p->rx) < 0) {
		printf("cannot write handshake message 3: %s\n", sanctum_error_last()->message);
		goto done;
	}
	if (send_frame(p, msg, len) < 0)
		goto done;
	p->ready = 1;
	printf("handshake ok: the responder proved %s\n", fingerprint);
	rc = 0;
done:
	sanctum_buf_dispose(&proof);
	noise_handshake_dispose(&hs);
	sodium_memzero(priv, sizeof(priv));
	return rc;
}

/* ---- announcements ---- */

static int announce(peer *p, const char *head)
{
	sanctum_buf sig = SANCTUM_BUF_INIT;
	unsigned char *body;
	char text[256];
	struct timespec ts;
	uint64_t now;
	int n, rc;

	/* Wall-clock milliseconds, as announce.c counts. */
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	p->counter = now > p->counter ? now : p->counter + 1;
	n = snprintf(text, sizeof(text), "sanctum-notify-v1 announce\ngroup %s\nhead %s\n"
	             "counter %" PRIu64 "\n", sanctum_store_group_id(p->daemon.store), head,
	             p->counter);
	if (sanctum_identity_sign(&sig, p->daemon.options.identity, ANNOUNCE_NAMESPACE, text,
	                          (size_t)n) < 0 || !(body = malloc((size_t)n + sig.size))) {
		sanctum_buf_dispose(&sig);
		return -1;
	}
	memcpy(body, text, (size_t)n);
	memcpy(body + n, sig.ptr, sig.size);
	rc = send_message(p, SD_MSG_ANNOUNCE, body, (size_t)n + sig.size);
	printf("announced %.12s, counter %" PRIu64 "\n", head, p->counter);
	if (!p->first) {
		p->first = body;
		p->first_len = (size_t)n + sig.size;
	} else {
		free(body);
	}
	sanctum_buf_dispose(&sig);
	return rc;
}

/* Prints an announcement; 1 when it names `head` ("any": every head). */
static int show_announcement(const unsigned char *body, size_t len, const char *head)
{
	char text[256], group[33], named[41];
	uint64_t counter;
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	char fingerprint[SANCTUM_FINGERPRINT_SIZE] = "(bad signature)";
	size_t signed_len = 0;
	int lines = 0;

	for (size_t i = 0; i < len && lines < 4; i++)
		if (body[i] == '\n' && ++lines == 4)
			signed_len = i + 1;
	if (!signed_len || signed_len >= sizeof(text))
		return 0;
	memcpy(text, body, signed_len);
	text[signed_len] = '\0';
	if (sscanf(text, "sanctum-notify-v1 announce\ngroup %32s\nhead %40s\ncounter %" SCNu64,
	           group, named, &counter) != 3)
		return 0;
	if (sanctum_sshsig_verify(signer, (const char *)body + signed_len, len - signed_len,
	                          ANNOUNCE_NAMESPACE, body, signed_len) == 0)
		sanctum_key_fingerprint(fingerprint, signer);
	sanctum_error_clear();
	printf("announcement of %.12s, counter %" PRIu64 ", signed by %s\n", named, counter,
	       fingerprint);
	return strcmp(head, "any") == 0 || strcmp(head, named) == 0;
}

/*
 * Reads messages until one of type `want` comes (and, for an announcement, names `head`):
 * 1, or 0 when `deadline` passes first, or -1 when the connection ends. Answers pings.
 */
static int wait_for(peer *p, unsigned char want, const char *head, int64_t deadline)
{
	unsigned char frame[FRAME_MAX_TRANSPORT], plain[FRAME_MAX_TRANSPORT];
	size_t len, plain_len;
	int rc;

	while ((rc = read_frame(p, frame, sizeof(frame), &len, deadline)) > 0) {
		if (!p->ready)
			continue; /* a reply to our garbage: no more than noise */
		if (noise_cipher_decrypt(&p->rx, NULL, 0, frame, len, plain, sizeof(plain),
		                         &plain_len) < 0 || plain_len == 0) {
			printf("a message from the other side fails authentication\n");
			return -1;
		}
		if (plain[0] == SD_MSG_PING && !p->silent)
			send_message(p, SD_MSG_PONG, NULL, 0);
		if (plain[0] == SD_MSG_ANNOUNCE &&
		    show_announcement(plain + 1, plain_len - 1, head ? head : "") && want == plain[0])
			return 1;
		if (plain[0] == want && want != SD_MSG_ANNOUNCE)
			return 1;
	}
	return rc;
}

/* ---- the steps ---- */

static int load(peer *p, const char *identity, const char *store)
{
	sanctum_identity *id = NULL;

	if (sanctum_identity_load(&id, identity, NULL, NULL) < 0 ||
	    sanctum_store_open(&p->daemon.store, store, 0) < 0) {
		fprintf(stderr, "noise_peer: %s\n", sanctum_error_last()->message);
		sanctum_identity_free(id);
		return -1;
	}
	p->daemon.options.identity = id;
	return 0;
}

static int send_file(peer *p, const char *path)
{
	unsigned char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n, total = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && send_all(p, buf, n) == 0)
		total += n;
	fclose(f);
	printf("sent %zu bytes\n", total);
	return 0;
}

static void garbage(peer *p, long n)
{
	unsigned char buf[FRAME_HEADER_LEN + 100];

	printf("sending %ld bytes of garbage\n", n);
	while (n > 0 && !p->closed) {
		size_t len = n > 100 ? 100 : (size_t)n;

		randombytes_buf(buf + FRAME_HEADER_LEN, len);
		frame_encode_header(buf, len, FRAME_MAX_TRANSPORT);
		if (send_all(p, buf, len + FRAME_HEADER_LEN) < 0)
			return; /* closed: what the test wants to see */
		n -= (long)len;
		usleep(20000);
	}
}

static void truncated_handshake(peer *p)
{
	noise_handshake hs;
	unsigned char priv[NOISE_KEY_LEN], msg[FRAME_HEADER_LEN + 200];
	size_t len = 0;

	randombytes_buf(priv, sizeof(priv));
	if (noise_handshake_init(&hs, 1, priv, (const unsigned char *)"x", 1) == 0 &&
	    noise_handshake_write_message(&hs, msg + FRAME_HEADER_LEN, 200, &len, NULL, 0) == 0 &&
	    frame_encode_header(msg, len, FRAME_MAX_HANDSHAKE) == 0) {
		len += FRAME_HEADER_LEN;
		printf("sending %zu of the %zu bytes of handshake message 1\n", len / 2, len);
		send_all(p, msg, len / 2);
	}
	noise_handshake_dispose(&hs);
}

/* Reads (and prints, when `print`) what the other side sends until it closes or
 * `deadline` passes. */
static void echo_until(peer *p, int print, int64_t deadline)
{
	unsigned char buf[4096];

	while (!p->closed) {
		struct pollfd pfd = { p->fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return;
		n = read(p->fd, buf, sizeof(buf));
		if (n <= 0) {
			closed_by_peer(p);
			return;
		}
		if (print) {
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		}
	}
}

/* Prints our end of the connection, as the daemon's log names it. */
static void print_address(const peer *p, const char *to)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[64] = "?", port[16] = "?";

	if (getsockname(p->fd, (struct sockaddr *)&ss, &len) == 0)
		getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
		            NI_NUMERICHOST | NI_NUMERICSERV);
	printf("connected to %s from %s:%s\n", to, host, port);
}

/*
 * Runs the step at argv[*i], moving *i past its argument. Returns 0 when it worked, or
 * when the other side closed the connection (which --expect-close judges); 1 when it
 * failed; 2 for bad usage.
 */
static int step(peer *p, int argc, char **argv, int *i, long wait)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	int rc;

	if (strcmp(a, "--expect-close") == 0 || strcmp(a, "--silent") == 0)
		return 0;
	if (strcmp(a, "--oversize") == 0) {
		unsigned char big[FRAME_HEADER_LEN + 100] = { 0xff, 0xff };

		printf("sending a frame header of 65535 bytes\n");
		send_all(p, big, sizeof(big));
		return 0;
	}
	if (strcmp(a, "--truncate") == 0) {
		truncated_handshake(p);
		return 0;
	}
	if (strcmp(a, "--replay") == 0 || strcmp(a, "--old") == 0 || strcmp(a, "--ping") == 0) {
		if (!p->ready) {
			fprintf(stderr, "noise_peer: %s needs --identity and --store\n", a);
			return 2;
		}
		if (strcmp(a, "--replay") == 0) {
			printf("replaying the last frame (%zu bytes)\n", p->last_len);
			send_all(p, p->last, p->last_len);
		} else if (strcmp(a, "--old") == 0) {
			if (!p->first) {
				fprintf(stderr, "noise_peer: --old needs an --announce before it\n");
				return 2;
			}
			printf("sending the first announcement again\n");
			send_message(p, SD_MSG_ANNOUNCE, p->first, p->first_len);
		} else {
			int64_t t = now_ms();

			if (send_message(p, SD_MSG_PING, NULL, 0) < 0 ||
			    wait_for(p, SD_MSG_PONG, NULL, t + 5000) <= 0)
				return !p->closed;
			printf("pong after %" PRId64 " ms\n", now_ms() - t);
		}
		return 0;
	}
	/* The steps with an argument. */
	if (!v)
		return 2;
	++*i;
	if (strcmp(a, "--wait") == 0 || strcmp(a, "--identity") == 0 || strcmp(a, "--store") == 0)
		return 0;
	if (strcmp(a, "--send") == 0)
		return send_file(p, v) < 0;
	if (strcmp(a, "--garbage") == 0) {
		garbage(p, strtol(v, NULL, 10));
		return 0;
	}
	if (!p->ready && (strcmp(a, "--announce") == 0 || strcmp(a, "--expect-announce") == 0)) {
		fprintf(stderr, "noise_peer: %s needs --identity and --store\n", a);
		return 2;
	}
	if (strcmp(a, "--announce") == 0)
		return announce(p, v) < 0 && !p->closed;
	if (strcmp(a, "--expect-announce") == 0) {
		if ((rc = wait_for(p, SD_MSG_ANNOUNCE, v, now_ms() + wait)) == 0)
			printf("no announcement of %s within %ld ms\n", v, wait);
		return rc == 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	peer p;
	const char *identity = NULL, *store = NULL;
	long wait = 2000;
	int expect_close = 0, raw = 0, rc = 0, i;
	unsigned char prologue[64];
	size_t prologue_len;

	memset(&p, 0, sizeof(p));
	if (argc < 2 || sanctum_init() < 0)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The options that apply to the whole run first. */
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--expect-close") == 0)
			expect_close = 1;
		else if (strcmp(argv[i], "--silent") == 0)
			p.silent = 1;
		else if (strcmp(argv[i], "--send") == 0)
			raw = 1;
		else if (strcmp(argv[i], "--identity") == 0 && i + 1 < argc)
			identity = argv[++i];
		else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
			store = argv[++i];
	}
	if (!identity != !store || wait < 0)
		return usage();
	if (identity && load(&p, identity, store) < 0)
		return 1;
	if ((p.fd = connect_to(argv[1])) < 0) {
		printf("cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p.t0 = now_ms();
	print_address(&p, argv[1]);
	if (identity) {
		prologue_len = (size_t)snprintf((char *)prologue, sizeof(prologue), "sanctum-notify-v1%s",
		                                sanctum_store_group_id(p.daemon.store));
		rc = handshake(&p, prologue, prologue_len) < 0;
	}
	for (i = 2; i < argc && rc == 0 && !p.closed; i++)
		rc = step(&p, argc, argv, &i, wait);
	if (rc == 2)
		return usage();
	/* The end: does the other side close? */
	if (rc == 0 && !p.closed) {
		if (p.ready && !raw)
			wait_for(&p, 0, NULL, now_ms() + wait);
		else
			echo_until(&p, raw, now_ms() + wait);
	}
	if (!p.closed)
		printf("still open after %" PRId64 " ms\n", now_ms() - p.t0);
	close(p.fd);
	noise_cipher_dispose(&p.tx);
	noise_cipher_dispose(&p.rx);
	free(p.first);
	sanctum_identity_free((sanctum_identity *)p.daemon.options.identity);
	sanctum_store_free(p.daemon.store);
	if (rc)
		return 1;
	return expect_close ? !p.closed : p.closed;
}

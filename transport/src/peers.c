/*
 * Connections to the other member cities' daemons: TCP, framed (frame.h), a Noise XX
 * handshake (noise.h) whose payloads carry each side's identity proof (proof.c), then
 * Noise transport messages: pings and announcements (announce.c).
 *
 * Every connection is bounded: a handshake must finish within 10 s, a ready peer that is
 * silent for 45 s is dropped (we ping every 15 s), frames are limited in size, and a
 * peer that lets 1 MiB of our writes pile up is too slow and is dropped, so no peer can
 * stall the others. Configured peers are dialled again with backoff (1 s to 60 s).
 */
#include "peers_internal.h"

#include "netaddr.h"

#include <sanctum/config.h>
#include <sanctum/errors.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char read_buffer[FRAME_MAX_TRANSPORT + FRAME_HEADER_LEN];

static void dial(sd_target *t);

/* ---- members ---- */

int sd_peers_load_members(sd_peers *ps)
{
	sanctum_member_list fresh = { NULL, 0, 0, 0 };
	int error = sanctum_store_members(&fresh, ps->daemon->store);

	if (error < 0)
		return error;
	sanctum_member_list_dispose(&ps->members);
	ps->members = fresh;
	return 0;
}

const sanctum_member_info *sd_peers_member(const sd_peers *ps, const unsigned char *key)
{
	for (size_t i = 0; i < ps->members.count; i++) {
		const sanctum_member_info *m = &ps->members.items[i];

		if (m->active && sodium_memcmp(m->card.signing_key, key, sizeof(m->card.signing_key)) == 0)
			return m;
	}
	return NULL;
}

/* ---- closing ---- */

static void on_peer_closed(uv_handle_t *handle)
{
	sd_peer *p = handle->data;

	if (--p->handles > 0)
		return;
	noise_handshake_dispose(&p->hs);
	noise_cipher_dispose(&p->tx);
	noise_cipher_dispose(&p->rx);
	frame_decoder_dispose(&p->frames);
	free(p);
}

static void unlink_peer(sd_peers *ps, sd_peer *p)
{
	for (sd_peer **link = &ps->conns; *link; link = &(*link)->next)
		if (*link == p) {
			*link = p->next;
			ps->nconns--;
			return;
		}
}

static void on_redial(uv_timer_t *timer)
{
	dial(timer->data);
}

static void plan_redial(sd_target *t)
{
	if (t->peers->daemon->stopping)
		return;
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : SD_RECONNECT_MIN_MS;
	if (t->backoff_ms > SD_RECONNECT_MAX_MS)
		t->backoff_ms = SD_RECONNECT_MAX_MS;
	t->next_try = sd_now_ms() + (int64_t)t->backoff_ms;
	uv_timer_start(&t->timer, on_redial, t->backoff_ms, 0);
}

void sd_peer_drop(sd_peer *p, const char *why)
{
	sd_peers *ps = p->daemon->peers_state;

	if (p->state == SD_PEER_CLOSING)
		return;
	if (why)
		sd_log(p->state == SD_PEER_READY ? SD_INFO : SD_WARN, "peer %s%s%s%s: %s", p->addr,
		       p->name[0] ? " (" : "", p->name, p->name[0] ? ")" : "", why);
	p->state = SD_PEER_CLOSING;
	unlink_peer(ps, p);
	if (p->target) {
		snprintf(p->target->last_error, sizeof(p->target->last_error), "%s",
		         why ? why : "closed");
		p->target->conn = NULL;
		plan_redial(p->target);
	}
	uv_close((uv_handle_t *)&p->timer, on_peer_closed);
	uv_close((uv_handle_t *)&p->tcp, on_peer_closed);
}

/* ---- writing ---- */

typedef struct {
	uv_write_t req;
	size_t len;
	unsigned char data[];
} peer_write;

static void on_written(uv_write_t *req, int status)
{
	peer_write *w = (peer_write *)req;
	sd_peer *p = req->data;

	if (status < 0 && p->state != SD_PEER_CLOSING)
		sd_peer_drop(p, "the connection failed while writing");
	sodium_memzero(w->data, w->len);
	free(w);
}

/* Sends one frame whose body the caller writes into the returned buffer's data + 2. */
static int send_frame(sd_peer *p, peer_write *w, size_t body_len)
{
	uv_buf_t buf;

	if (p->tcp.write_queue_size > SD_MAX_WRITE_QUEUE) {
		free(w);
		sd_peer_drop(p, "too slow: our messages pile up unread");
		return -1;
	}
	frame_encode_header(w->data, body_len, FRAME_MAX_TRANSPORT);
	w->len = body_len + FRAME_HEADER_LEN;
	w->req.data = p;
	buf = uv_buf_init((char *)w->data, (unsigned)w->len);
	if (uv_write(&w->req, (uv_stream_t *)&p->tcp, &buf, 1, on_written) < 0) {
		free(w);
		sd_peer_drop(p, "cannot write");
		return -1;
	}
	p->last_sent = sd_now_ms();
	return 0;
}

static peer_write *new_write(size_t body_cap)
{
	return malloc(sizeof(peer_write) + FRAME_HEADER_LEN + body_cap);
}

int sd_peer_send(sd_peer *p, unsigned char type, const unsigned char *body, size_t len)
{
	peer_write *w;
	unsigned char *plain;
	size_t out_len;

	if (p->state != SD_PEER_READY || len + 1 > NOISE_MAX_PLAINTEXT)
		return -1;
	if (!(w = new_write(len + 1 + NOISE_TAG_LEN)))
		return -1;
	plain = w->data + FRAME_HEADER_LEN;
	plain[0] = type;
	if (len)
		memcpy(plain + 1, body, len);
	if (noise_cipher_encrypt(&p->tx, NULL, 0, plain, len + 1, plain, len + 1 + NOISE_TAG_LEN,
	                         &out_len) < 0) {
		free(w);
		sd_peer_drop(p, "cannot encrypt");
		return -1;
	}
	return send_frame(p, w, out_len);
}

static int send_handshake(sd_peer *p, const unsigned char *payload, size_t payload_len)
{
	peer_write *w = new_write(FRAME_MAX_HANDSHAKE);
	size_t out_len;

	if (!w)
		return -1;
	if (noise_handshake_write_message(&p->hs, w->data + FRAME_HEADER_LEN, FRAME_MAX_HANDSHAKE,
	                                  &out_len, payload, payload_len) < 0) {
		free(w);
		sd_peer_drop(p, "cannot write the handshake");
		return -1;
	}
	return send_frame(p, w, out_len);
}

/* ---- the handshake ---- */

/* The peer proved its transport key belongs to an active member other than us. */
static int accept_identity(sd_peer *p, const unsigned char h[NOISE_HASH_LEN],
                           const unsigned char *payload, size_t len)
{
	sd_peers *ps = p->daemon->peers_state;
	unsigned char rs[NOISE_KEY_LEN];
	const sanctum_member_info *m;

	if (noise_handshake_remote_static(&p->hs, rs) < 0 ||
	    sd_proof_check(p->member, p->daemon, h, rs, payload, len) < 0) {
		sd_peer_drop(p, "refused: its identity proof does not verify");
		sanctum_error_clear();
		return -1;
	}
	if (sodium_memcmp(p->member, ps->self, sizeof(p->member)) == 0) {
		sd_peer_drop(p, "refused: it is this daemon's own identity");
		return -1;
	}
	if (!(m = sd_peers_member(ps, p->member))) {
		char fingerprint[SANCTUM_FINGERPRINT_SIZE];

		sanctum_key_fingerprint(fingerprint, p->member);
		sd_log(SD_WARN, "peer %s: refused: %s is not an active member of the group", p->addr,
		       fingerprint);
		sd_peer_drop(p, NULL);
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s/%s", m->card.city, m->card.device);
	snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", m->fingerprint);
	return 0;
}

static void become_ready(sd_peer *p)
{
	if (noise_handshake_split(&p->hs, &p->tx, &p->rx) < 0) {
		sd_peer_drop(p, "cannot finish the handshake");
		return;
	}
	p->state = SD_PEER_READY;
	p->connected_at = sd_now_ms();
	frame_decoder_set_max(&p->frames, FRAME_MAX_TRANSPORT);
	sd_log(SD_INFO, "peer %s (%s): connected", p->addr, p->name);
	sd_announce_greet(p);
}

/* Our proof over the hash as it stands, as the payload of our next message. */
static int write_with_proof(sd_peer *p)
{
	unsigned char h[NOISE_HASH_LEN];
	sanctum_buf proof = SANCTUM_BUF_INIT;
	int rc;

	if (noise_handshake_current_hash(&p->hs, h) < 0 ||
	    sd_proof_make(&proof, p->daemon, h, p->daemon->peers_state->static_pub) < 0) {
		sd_peer_drop(p, "cannot sign the identity proof");
		sanctum_buf_dispose(&proof);
		return -1;
	}
	rc = send_handshake(p, proof.ptr, proof.size);
	sanctum_buf_dispose(&proof);
	return rc;
}

static int on_handshake_frame(sd_peer *p, const unsigned char *frame, size_t len)
{
	unsigned char h[NOISE_HASH_LEN], payload[FRAME_MAX_HANDSHAKE];
	size_t payload_len = 0;

	if (noise_handshake_current_hash(&p->hs, h) < 0 ||
	    noise_handshake_read_message(&p->hs, frame, len, payload, sizeof(payload),
	                                 &payload_len) < 0) {
		sd_peer_drop(p, "refused: a broken handshake message (another group, or not a "
		                "sanctum daemon)");
		sanctum_error_clear();
		return -1;
	}
	if (!p->initiator && !noise_handshake_is_done(&p->hs))
		return write_with_proof(p); /* message 1 read: answer with message 2 */
	if (accept_identity(p, h, payload, payload_len) < 0)
		return -1;
	if (p->initiator && write_with_proof(p) < 0) /* message 2 read: message 3 */
		return -1;
	become_ready(p);
	return p->state == SD_PEER_READY ? 0 : -1;
}

/* ---- messages ---- */

static int on_message(sd_peer *p, const unsigned char *frame, size_t len)
{
	unsigned char plain[FRAME_MAX_TRANSPORT];
	size_t plain_len;

	if (noise_cipher_decrypt(&p->rx, NULL, 0, frame, len, plain, sizeof(plain), &plain_len) < 0 ||
	    plain_len == 0) {
		sanctum_error_clear();
		sd_peer_drop(p, "a message failed authentication (tampered or replayed)");
		return -1;
	}
	/* Only now has the peer accepted us (it refuses after our last handshake message):
	 * a peer that keeps refusing is dialled again less and less often. */
	if (p->target)
		p->target->backoff_ms = 0;
	switch (plain[0]) {
	case SD_MSG_PING:
		sd_peer_send(p, SD_MSG_PONG, NULL, 0);
		break;
	case SD_MSG_PONG:
		break;
	case SD_MSG_ANNOUNCE:
		sd_announce_receive(p, plain + 1, plain_len - 1);
		break;
	default:
		sd_peer_drop(p, "sent a message of an unknown type");
	}
	sodium_memzero(plain, plain_len);
	return p->state == SD_PEER_CLOSING ? -1 : 0;
}

static int on_frame(void *ctx, const uint8_t *frame, size_t len)
{
	sd_peer *p = ctx;

	p->last_heard = sd_now_ms();
	if (p->state == SD_PEER_HANDSHAKE)
		return on_handshake_frame(p, frame, len);
	if (p->state == SD_PEER_READY)
		return on_message(p, frame, len);
	return -1;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	(void)handle;
	(void)suggested;
	/* One buffer for all: the loop reads one connection at a time and each read is
	 * consumed before the next, so 200 idle peers cost no read buffers. */
	*buf = uv_buf_init((char *)read_buffer, sizeof(read_buffer));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	sd_peer *p = stream->data;
	int rc;

	if (p->state == SD_PEER_CLOSING)
		return;
	if (n < 0) {
		sd_peer_drop(p, frame_decoder_pending(&p->frames) ? "the connection ended in the "
		             "middle of a message" : p->state == SD_PEER_READY ? "disconnected"
		             : "the connection ended during the handshake");
		return;
	}
	rc = frame_decoder_feed(&p->frames, (const uint8_t *)buf->base, (size_t)n, on_frame, p);
	if (rc < 0 && p->state != SD_PEER_CLOSING) {
		char why[300];

		snprintf(why, sizeof(why), "refused: %s", sanctum_error_last()->message);
		sanctum_error_clear();
		sd_peer_drop(p, why);
	}
}

/* ---- timers ---- */

static void on_peer_timer(uv_timer_t *timer)
{
	sd_peer *p = timer->data;
	int64_t now = sd_now_ms();

	if (p->state != SD_PEER_READY) {
		sd_peer_drop(p, "the handshake did not finish in time");
		return;
	}
	if (now - p->last_heard > SD_IDLE_TIMEOUT_MS)
		sd_peer_drop(p, "silent for too long");
	else if (now - p->last_sent >= SD_KEEPALIVE_MS)
		sd_peer_send(p, SD_MSG_PING, NULL, 0);
}

/* ---- opening ---- */

static sd_peer *new_peer(sd_peers *ps, int initiator)
{
	sd_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->daemon = ps->daemon;
	p->initiator = initiator;
	p->state = SD_PEER_CONNECTING;
	p->handles = 2;
	uv_tcp_init(ps->daemon->loop, &p->tcp);
	uv_timer_init(ps->daemon->loop, &p->timer);
	p->tcp.data = p;
	p->timer.data = p;
	frame_decoder_init(&p->frames, FRAME_MAX_HANDSHAKE);
	p->next = ps->conns;
	ps->conns = p;
	ps->nconns++;
	return p;
}

/* Connected either way: start the handshake and its clock. */
static void start_handshake(sd_peer *p)
{
	sd_peers *ps = p->daemon->peers_state;

	p->state = SD_PEER_HANDSHAKE;
	p->last_heard = p->last_sent = sd_now_ms();
	uv_tcp_nodelay(&p->tcp, 1);
	uv_timer_start(&p->timer, on_peer_timer, SD_HANDSHAKE_TIMEOUT_MS, 5000);
	if (noise_handshake_init(&p->hs, p->initiator, ps->static_priv, ps->prologue,
	                         ps->prologue_len) < 0 ||
	    uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read) < 0) {
		sd_peer_drop(p, "cannot start the handshake");
		return;
	}
	if (p->initiator)
		send_handshake(p, NULL, 0);
}

static void on_incoming(uv_stream_t *server, int status)
{
	sd_peers *ps = ((sd_daemon *)server->data)->peers_state;
	sd_peer *p;

	if (status < 0 || !(p = new_peer(ps, 0)))
		return;
	if (uv_accept(server, (uv_stream_t *)&p->tcp) < 0) {
		sd_peer_drop(p, NULL);
		return;
	}
	sd_remote_address(p->addr, sizeof(p->addr), &p->tcp, 1);
	if (ps->nconns > SD_MAX_CONNECTIONS || ps->daemon->stopping) {
		sd_peer_drop(p, "refused: too many connections");
		return;
	}
	sd_log(SD_DEBUG, "peer %s: incoming connection", p->addr);
	start_handshake(p);
}

static void on_connected(uv_connect_t *req, int status)
{
	sd_peer *p = req->data;

	if (p->state == SD_PEER_CLOSING)
		return;
	if (status < 0) {
		char why[200];

		snprintf(why, sizeof(why), "cannot connect: %s", uv_strerror(status));
		sd_peer_drop(p, why);
		return;
	}
	start_handshake(p);
}

typedef struct {
	uv_getaddrinfo_t req;
	sd_peers *peers;
	size_t index;                   /* the target's, in the generation it was asked for */
	unsigned generation;
} resolving;

static void maybe_free(sd_peers *ps);

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	resolving *r = (resolving *)req;
	sd_peers *ps = r->peers;
	sd_target *t;
	sd_peer *p;

	ps->resolving--;
	/* The target may have gone with a reload or a stop while the name was resolved. */
	if (!ps->started || r->generation != ps->generation || r->index >= ps->ntargets) {
		free(r);
		uv_freeaddrinfo(res);
		maybe_free(ps);
		return;
	}
	t = &ps->targets[r->index];
	free(r);
	if (status < 0 || !res) {
		snprintf(t->last_error, sizeof(t->last_error), "cannot resolve: %s",
		         uv_strerror(status));
		plan_redial(t);
		uv_freeaddrinfo(res);
		return;
	}
	if (!(p = new_peer(t->peers, 1))) {
		plan_redial(t);
		uv_freeaddrinfo(res);
		return;
	}
	p->target = t;
	t->conn = p;
	snprintf(p->addr, sizeof(p->addr), "%s", t->addr);
	p->connect.data = p;
	if (uv_tcp_connect(&p->connect, &p->tcp, res->ai_addr, on_connected) < 0)
		sd_peer_drop(p, "cannot connect");
	uv_freeaddrinfo(res);
}

static void dial(sd_target *t)
{
	char host[256], port_text[8];
	unsigned port;
	struct addrinfo hints;
	resolving *r;

	if (t->conn || t->peers->daemon->stopping)
		return;
	t->next_try = 0;
	if (sanctum_config_parse_hostport(host, &port, t->addr) < 0 || !(r = calloc(1, sizeof(*r)))) {
		sanctum_error_clear();
		return;
	}
	snprintf(port_text, sizeof(port_text), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	r->peers = t->peers;
	r->index = (size_t)(t - t->peers->targets);
	r->generation = t->peers->generation;
	if (uv_getaddrinfo(t->peers->daemon->loop, &r->req, on_resolved, host, port_text, &hints) < 0) {
		free(r);
		plan_redial(t);
		return;
	}
	t->peers->resolving++;
}

/* ---- the listener and the configured peers ---- */

static int start_listener(sd_peers *ps)
{
	sd_daemon *d = ps->daemon;
	char host[256], port_text[8];
	unsigned port;
	uv_getaddrinfo_t req;
	struct addrinfo hints;
	int rc;

	if (!d->listen[0])
		return 0;
	if (sanctum_config_parse_hostport(host, &port, d->listen) < 0)
		return SANCTUM_EINVALID;
	snprintf(port_text, sizeof(port_text), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	/* Resolved once, at start: synchronously, before the loop runs. */
	if ((rc = uv_getaddrinfo(d->loop, &req, NULL, host, port_text, &hints)) < 0)
		return sanctum_error_set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_OS,
		                         "cannot resolve the listen address %s: %s", d->listen,
		                         uv_strerror(rc));
	uv_tcp_init(d->loop, &ps->listener);
	ps->listener.data = d; /* for its close callback; on_incoming reads it too */
	ps->listening = 1;
	rc = uv_tcp_bind(&ps->listener, req.addrinfo->ai_addr, 0);
	uv_freeaddrinfo(req.addrinfo);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&ps->listener, 128, on_incoming);
	if (rc < 0)
		return sanctum_error_set(SANCTUM_ERROR, SANCTUM_ERRCLASS_OS, "cannot listen on %s: %s",
		                         d->listen, uv_strerror(rc));
	return 0;
}

static void on_target_timer_closed(uv_handle_t *handle)
{
	sd_target *t = handle->data;
	sd_peers *ps = t->peers;

	if (--ps->timers == 0) {
		free(ps->old_targets);
		ps->old_targets = NULL;
	}
	maybe_free(ps);
}

static void retire_targets(sd_peers *ps)
{
	ps->generation++;
	for (size_t i = 0; i < ps->ntargets; i++) {
		sd_target *t = &ps->targets[i];

		if (t->conn) {
			t->conn->target = NULL;
			sd_peer_drop(t->conn, NULL);
		}
		ps->timers++;
		uv_close((uv_handle_t *)&t->timer, on_target_timer_closed);
	}
	if (ps->ntargets) {
		ps->old_targets = ps->targets;
	} else {
		free(ps->targets);
	}
	ps->targets = NULL;
	ps->ntargets = 0;
}

static int start_targets(sd_peers *ps)
{
	sd_daemon *d = ps->daemon;

	if (!d->npeers)
		return 0;
	if (!(ps->targets = calloc(d->npeers, sizeof(*ps->targets))))
		return sanctum_error_set(SANCTUM_ENOMEM, SANCTUM_ERRCLASS_NOMEMORY, "out of memory");
	ps->ntargets = d->npeers;
	for (size_t i = 0; i < d->npeers; i++) {
		sd_target *t = &ps->targets[i];

		snprintf(t->addr, sizeof(t->addr), "%s", d->peers[i]);
		t->peers = ps;
		uv_timer_init(d->loop, &t->timer);
		t->timer.data = t;
		dial(t);
	}
	return 0;
}

/* ---- the daemon's interface ---- */

static void on_tick(uv_timer_t *timer)
{
	sd_announce_tick(timer->data);
}

int sd_peers_start(sd_daemon *d)
{
	sd_peers *ps = calloc(1, sizeof(*ps));
	sanctum_card card;
	int error;

	if (!ps)
		return sanctum_error_set(SANCTUM_ENOMEM, SANCTUM_ERRCLASS_NOMEMORY, "out of memory");
	d->peers_state = ps;
	ps->daemon = d;
	/* A fresh transport key for every run, kept out of swap where the system allows. */
	sodium_mlock(ps->static_priv, sizeof(ps->static_priv));
	randombytes_buf(ps->static_priv, sizeof(ps->static_priv));
	crypto_scalarmult_base(ps->static_pub, ps->static_priv);
	ps->prologue_len = (size_t)snprintf((char *)ps->prologue, sizeof(ps->prologue),
	                                    "sanctum-notify-v1%s", sanctum_store_group_id(d->store));
	sanctum_identity_card(&card, d->options.identity);
	memcpy(ps->self, card.signing_key, sizeof(ps->self));
	uv_timer_init(d->loop, &ps->debounce);
	uv_timer_init(d->loop, &ps->tick);
	ps->debounce.data = d;
	ps->tick.data = d;
	uv_timer_start(&ps->tick, on_tick, 1000, 1000);
	ps->started = 1;
	if ((error = sd_peers_load_members(ps)) < 0 || (error = start_listener(ps)) < 0 ||
	    (error = start_targets(ps)) < 0)
		return error;
	if (!sd_peers_member(ps, ps->self))
		sd_log(SD_WARN, "this identity is not an active member of the group: peers will "
		                "refuse it");
	return 0;
}

/* After a stop, once no timer or name lookup refers to it any more. */
static void maybe_free(sd_peers *ps)
{
	sd_daemon *d = ps->daemon;

	if (ps->started || !ps->stopped || ps->closing || ps->timers || ps->resolving)
		return;
	sanctum_member_list_dispose(&ps->members);
	sd_announce_dispose(ps);
	sodium_munlock(ps->static_priv, sizeof(ps->static_priv)); /* wipes it too */
	free(ps);
	d->peers_state = NULL;
}

static void on_peers_handle_closed(uv_handle_t *handle)
{
	sd_daemon *d = handle->data;
	sd_peers *ps = d->peers_state;

	ps->closing--;
	maybe_free(ps);
}

void sd_peers_stop(sd_daemon *d)
{
	sd_peers *ps = d->peers_state;

	if (!ps || !ps->started)
		return;
	ps->started = 0;
	ps->stopped = 1;
	retire_targets(ps);
	while (ps->conns)
		sd_peer_drop(ps->conns, NULL);
	/* Every handle inside `ps` counts: libuv finishes closes in no promised order. */
	ps->closing = 2 + ps->listening;
	if (ps->listening)
		uv_close((uv_handle_t *)&ps->listener, on_peers_handle_closed);
	ps->listening = 0;
	uv_close((uv_handle_t *)&ps->debounce, on_peers_handle_closed);
	uv_close((uv_handle_t *)&ps->tick, on_peers_handle_closed);
}

int sd_peers_reload(sd_daemon *d)
{
	sd_peers *ps = d->peers_state;

	if (!ps || ps->old_targets)
		return sanctum_error_set(SANCTUM_ELOCKED, SANCTUM_ERRCLASS_INVALID,
		                         "the peers are being reloaded already");
	retire_targets(ps);
	sd_log(SD_INFO, "reloaded: %zu peer%s (a new listen address needs a restart)",
	       d->npeers, d->npeers == 1 ? "" : "s");
	return start_targets(ps);
}

void sd_peers_after_sync(sd_daemon *d)
{
	sd_peers *ps = d->peers_state;
	sd_peer *next;

	if (!ps || sd_peers_load_members(ps) < 0) {
		sanctum_error_clear();
		return;
	}
	for (sd_peer *p = ps->conns; p; p = next) {
		next = p->next;
		if (p->state == SD_PEER_READY && !sd_peers_member(ps, p->member))
			sd_peer_drop(p, "removed from the group: disconnected");
	}
	sd_announce_tick(d);
}

static json_t *peer_json(const sd_peer *p)
{
	static const char *const states[] = { "connecting", "handshake", "connected", "closing" };
	json_t *o = json_object();

	json_object_set_new(o, "address", json_string(p->addr));
	json_object_set_new(o, "direction", json_string(p->initiator ? "out" : "in"));
	json_object_set_new(o, "state", json_string(states[p->state]));
	json_object_set_new(o, "member", json_string(p->name));
	json_object_set_new(o, "fingerprint", json_string(p->fingerprint));
	json_object_set_new(o, "connected_since", json_integer(p->connected_at));
	json_object_set_new(o, "last_seen", json_integer(p->last_heard));
	json_object_set_new(o, "head", json_string(p->their_head));
	return o;
}

json_t *sd_peers_status(sd_daemon *d)
{
	sd_peers *ps = d->peers_state;
	json_t *list = json_array();

	for (sd_peer *p = ps ? ps->conns : NULL; p; p = p->next)
		json_array_append_new(list, peer_json(p));
	/* Configured peers that are not connected, with why and when the next try is. */
	for (size_t i = 0; ps && i < ps->ntargets; i++) {
		const sd_target *t = &ps->targets[i];
		json_t *o;

		if (t->conn && t->conn->state == SD_PEER_READY)
			continue;
		o = json_object();
		json_object_set_new(o, "address", json_string(t->addr));
		json_object_set_new(o, "direction", json_string("out"));
		json_object_set_new(o, "state", json_string(t->conn ? "connecting" : "disconnected"));
		json_object_set_new(o, "error", json_string(t->last_error));
		json_object_set_new(o, "next_try", json_integer(t->next_try));
		json_array_append_new(list, o);
	}
	return list;
}

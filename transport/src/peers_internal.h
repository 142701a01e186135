/*
 * Peer connections (peers.c), the identity proof inside the handshake (proof.c) and
 * announcements (announce.c). docs/protocol.md is the wire format.
 */
#ifndef SD_PEERS_INTERNAL_H
#define SD_PEERS_INTERNAL_H

#include "daemon_internal.h"
#include "frame.h"
#include "noise.h"

#include <sanctum/members.h>

#define SD_HANDSHAKE_TIMEOUT_MS 10000
#define SD_KEEPALIVE_MS 15000          /* a ping when nothing else was sent */
#define SD_IDLE_TIMEOUT_MS 45000       /* nothing heard for this long: the peer is gone */
#define SD_MAX_WRITE_QUEUE (1u << 20)  /* a peer that lets this much pile up is too slow */
#define SD_RECONNECT_MIN_MS 1000
#define SD_RECONNECT_MAX_MS 60000
#define SD_MAX_ORIGINS 1024            /* announcers remembered for replay protection */

/* Message types inside a Noise transport message (the first byte). */
#define SD_MSG_PING 'P'
#define SD_MSG_PONG 'Q'
#define SD_MSG_ANNOUNCE 'A'

typedef enum { SD_PEER_CONNECTING, SD_PEER_HANDSHAKE, SD_PEER_READY, SD_PEER_CLOSING } sd_peer_state;

typedef struct sd_target sd_target;

struct sd_peer {
	uv_tcp_t tcp;
	uv_timer_t timer;               /* handshake timeout, then keepalive and idle */
	uv_connect_t connect;
	sd_daemon *daemon;
	sd_target *target;              /* the configured peer we dialled, or NULL (accepted) */
	sd_peer *next;
	sd_peer_state state;
	int initiator;
	int handles;                    /* handles still open: freed when 0 */
	noise_handshake hs;
	noise_cipher tx, rx;
	frame_decoder frames;
	char addr[300];                 /* host:port as dialled or seen */
	unsigned char member[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	char name[2 * SANCTUM_NAME_MAX + 2];
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	char their_head[41];
	int64_t connected_at, last_heard, last_sent;
};

/* A configured peer: dialled, and dialled again with backoff while it is not connected. */
struct sd_target {
	char addr[300];
	uv_timer_t timer;
	sd_peer *conn;                  /* the connection dialled for it, or NULL */
	uint64_t backoff_ms;
	int64_t next_try;
	char last_error[200];
	struct sd_peers *peers;
};

typedef struct {
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	uint64_t counter;
} sd_origin;

typedef struct sd_peers {
	sd_daemon *daemon;
	uv_tcp_t listener;
	int listening;
	sd_peer *conns;
	size_t nconns;
	sd_target *targets;
	size_t ntargets;
	sd_target *old_targets;         /* replaced by a reload; freed once their timers close */
	size_t timers;                  /* target timers still closing */
	int started, stopped, closing;
	unsigned generation;            /* of the targets: a reload starts a new one */
	size_t resolving;               /* name lookups in flight */
	unsigned char static_priv[NOISE_KEY_LEN]; /* this run's transport key (locked memory) */
	unsigned char static_pub[NOISE_KEY_LEN];
	unsigned char prologue[64];
	size_t prologue_len;
	sanctum_member_list members;    /* the roster as of main, for handshakes */
	unsigned char self[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	/* announcements */
	uint64_t counter;               /* of our last announcement */
	unsigned char *mine;            /* our last announcement's body, for new peers */
	size_t mine_len;
	sd_origin origins[SD_MAX_ORIGINS];
	size_t norigins;
	uv_timer_t debounce;            /* coalesces announcements into one pull */
	uv_timer_t tick;                /* once a second: withheld heads */
} sd_peers;

/* peers.c */
/** Encrypts and sends one message (type byte + body) to a ready peer. */
int sd_peer_send(sd_peer *p, unsigned char type, const unsigned char *body, size_t len);
/** Closes a connection, logging why (NULL: quietly). */
void sd_peer_drop(sd_peer *p, const char *why);
/** Reloads the roster used to judge handshakes. */
int sd_peers_load_members(sd_peers *ps);
/** The active member with this key, or NULL. */
const sanctum_member_info *sd_peers_member(const sd_peers *ps, const unsigned char *key);

/* proof.c: the member-identity payload of handshake messages 2 and 3 */
/**
 * Signs, as our member identity, the group, the handshake hash `h` at this point and our
 * transport key: the payload that proves who holds that key. `out` is the armored SSHSIG.
 */
int sd_proof_make(sanctum_buf *out, sd_daemon *d, const unsigned char h[NOISE_HASH_LEN],
                  const unsigned char static_pub[NOISE_KEY_LEN]);
/**
 * Checks a peer's proof for its transport key `remote_static` and the hash `h` it
 * signed; on success the signer's Ed25519 key goes to `member`.
 */
int sd_proof_check(unsigned char member[SANCTUM_ED25519_PUBLIC_KEY_SIZE], sd_daemon *d,
                   const unsigned char h[NOISE_HASH_LEN],
                   const unsigned char remote_static[NOISE_KEY_LEN],
                   const unsigned char *payload, size_t len);

/* announce.c */
/** Handles an announcement from `from`: checks it, relays it, pulls if it is news. */
void sd_announce_receive(sd_peer *from, const unsigned char *body, size_t len);
/** Sends our last announcement to a peer that just became ready. */
void sd_announce_greet(sd_peer *p);
/** Once a second: reports heads announced but still not fetched. */
void sd_announce_tick(sd_daemon *d);
void sd_announce_dispose(sd_peers *ps);

#endif

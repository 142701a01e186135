/*
 * Announcements: "main is now at H", signed by the member whose daemon pushed it, with a
 * counter that only grows, so an old announcement replayed later is ignored. Peers relay
 * each new announcement verbatim to their other peers (a chain A-B-C needs no A-C
 * link), and pull at once, debounced, when it names a head main does not contain. A
 * head that stays unfetchable from every remote is reported: the host may be
 * withholding it.
 *
 *     sanctum-notify-v1 announce
 *     group <32 hex>
 *     head <40 hex>
 *     counter <decimal>
 *     -----BEGIN SSH SIGNATURE-----      over the four lines above, namespace
 *     ...                                "sanctum-notify"
 *     -----END SSH SIGNATURE-----
 */
#include "peers_internal.h"

#include <sanctum/errors.h>
#include <sanctum/sshsig.h>

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANNOUNCE_NAMESPACE "sanctum-notify"
#define ANNOUNCE_MAX 4096

/* ---- making ours ---- */

void sd_peers_announce(sd_daemon *d)
{
	sd_peers *ps = d->peers_state;
	sanctum_buf sig = SANCTUM_BUF_INIT;
	char text[256];
	uint64_t now = (uint64_t)sd_now_ms();
	unsigned char *body;
	int n;

	if (!ps || !d->head[0])
		return;
	/* Wall-clock milliseconds, never going back: a restarted daemon's counter is
	 * still above all it announced before. */
	ps->counter = now > ps->counter ? now : ps->counter + 1;
	n = snprintf(text, sizeof(text), "sanctum-notify-v1 announce\ngroup %s\nhead %s\n"
	             "counter %" PRIu64 "\n", sanctum_store_group_id(d->store), d->head, ps->counter);
	if (sanctum_identity_sign(&sig, d->options.identity, ANNOUNCE_NAMESPACE, text, (size_t)n) < 0 ||
	    !(body = malloc((size_t)n + sig.size))) {
		sd_note_error(d, "cannot sign an announcement: %s", sanctum_error_last()->message);
		sanctum_buf_dispose(&sig);
		return;
	}
	memcpy(body, text, (size_t)n);
	memcpy(body + n, sig.ptr, sig.size);
	free(ps->mine);
	ps->mine = body;
	ps->mine_len = (size_t)n + sig.size;
	sanctum_buf_dispose(&sig);
	for (sd_peer *p = ps->conns; p; p = p->next)
		if (p->state == SD_PEER_READY)
			sd_peer_send(p, SD_MSG_ANNOUNCE, ps->mine, ps->mine_len);
	sd_log(SD_INFO, "announced main %.12s to the peers", d->head);
}

void sd_announce_greet(sd_peer *p)
{
	sd_peers *ps = p->daemon->peers_state;

	if (ps->mine)
		sd_peer_send(p, SD_MSG_ANNOUNCE, ps->mine, ps->mine_len);
}

/* ---- reading theirs ---- */

typedef struct {
	char group[33], head[41];
	uint64_t counter;
	size_t text_len;               /* the signed part */
} announcement;

/* Where the armored signature starts: after the fourth newline. */
static size_t signed_part(const unsigned char *body, size_t len)
{
	int lines = 0;

	for (size_t i = 0; i < len; i++)
		if (body[i] == '\n' && ++lines == 4)
			return i + 1;
	return 0;
}

/* The four lines, exactly; the signature follows them. */
static int parse(announcement *a, const unsigned char *body, size_t len)
{
	char text[256];
	int used = 0;

	if (len > ANNOUNCE_MAX || !(a->text_len = signed_part(body, len)))
		return -1;
	if (a->text_len >= sizeof(text))
		return -1;
	memcpy(text, body, a->text_len);
	text[a->text_len] = '\0';
	if (sscanf(text, "sanctum-notify-v1 announce\ngroup %32[0-9a-f]\nhead %40[0-9a-f]\n"
	                 "counter %" SCNu64 "\n%n", a->group, a->head, &a->counter, &used) != 3 ||
	    (size_t)used != a->text_len || strlen(a->group) != 32 || strlen(a->head) != 40)
		return -1;
	return 0;
}

/* The counter last seen from `signer`, or a new slot; NULL when the table is full. */
static sd_origin *origin_of(sd_peers *ps, const unsigned char *signer)
{
	for (size_t i = 0; i < ps->norigins; i++)
		if (memcmp(ps->origins[i].signer, signer, sizeof(ps->origins[i].signer)) == 0)
			return &ps->origins[i];
	if (ps->norigins == SD_MAX_ORIGINS)
		return NULL;
	memcpy(ps->origins[ps->norigins].signer, signer, sizeof(ps->origins[0].signer));
	ps->origins[ps->norigins].counter = 0;
	return &ps->origins[ps->norigins++];
}

static void watch(sd_daemon *d, const announcement *a, const char *origin)
{
	sd_watch *more;

	for (size_t i = 0; i < d->nwatches; i++)
		if (strcmp(d->watches[i].head, a->head) == 0)
			return;
	if (d->nwatches >= 64 || !(more = realloc(d->watches, (d->nwatches + 1) * sizeof(*more))))
		return; /* a bounded list: the oldest watches already tell the story */
	d->watches = more;
	memset(&d->watches[d->nwatches], 0, sizeof(*more));
	snprintf(d->watches[d->nwatches].head, sizeof(more->head), "%s", a->head);
	snprintf(d->watches[d->nwatches].origin, sizeof(more->origin), "%s", origin);
	d->watches[d->nwatches].first_seen = sd_now_ms();
	d->watches[d->nwatches].last_pull = sd_now_ms();
	d->nwatches++;
}

static void on_debounce(uv_timer_t *timer)
{
	sd_daemon *d = timer->data;

	sd_scheduler_request(d, -1, "a peer announced a newer head");
}

/* Relays `body` to every ready peer but the one it came from. */
static void relay(sd_peer *from, const unsigned char *body, size_t len)
{
	for (sd_peer *p = from->daemon->peers_state->conns; p; p = p->next)
		if (p != from && p->state == SD_PEER_READY)
			sd_peer_send(p, SD_MSG_ANNOUNCE, body, len);
}

void sd_announce_receive(sd_peer *from, const unsigned char *body, size_t len)
{
	sd_daemon *d = from->daemon;
	sd_peers *ps = d->peers_state;
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	const sanctum_member_info *m;
	announcement a;
	sd_origin *o;

	if (parse(&a, body, len) < 0 || strcmp(a.group, sanctum_store_group_id(d->store)) != 0) {
		sd_peer_drop(from, "sent a malformed announcement or one for another group");
		return;
	}
	if (sanctum_sshsig_verify(signer, (const char *)body + a.text_len, len - a.text_len,
	                          ANNOUNCE_NAMESPACE, body, a.text_len) < 0 ||
	    !(m = sd_peers_member(ps, signer))) {
		sanctum_error_clear();
		sd_peer_drop(from, "sent an announcement not signed by an active member");
		return;
	}
	if (memcmp(signer, ps->self, sizeof(signer)) == 0 || !(o = origin_of(ps, signer)))
		return; /* our own, come back around the mesh */
	if (a.counter <= o->counter) {
		/* The same news by another path, or an old one replayed: nothing new. */
		sd_log(SD_DEBUG, "peer %s: old announcement from %s (counter %" PRIu64 " <= %" PRIu64
		       "), ignored", from->addr, m->fingerprint, a.counter, o->counter);
		return;
	}
	o->counter = a.counter;
	if (memcmp(signer, from->member, sizeof(signer)) == 0)
		snprintf(from->their_head, sizeof(from->their_head), "%s", a.head);
	relay(from, body, len);
	if (sanctum_store_contains(d->store, a.head) == 1)
		return;
	sanctum_error_clear();
	sd_log(SD_INFO, "%s/%s announced main %.12s (via %s): pulling", m->card.city,
	       m->card.device, a.head, from->addr);
	watch(d, &a, m->fingerprint);
	/* The first news starts the clock; more within it join the same pull (restarting
	 * the clock would let a chatty member hold pulls back for ever). */
	if (!uv_is_active((uv_handle_t *)&ps->debounce))
		uv_timer_start(&ps->debounce, on_debounce, SD_ANNOUNCE_DEBOUNCE_MS, 0);
}

/* ---- heads that do not arrive ---- */

void sd_announce_tick(sd_daemon *d)
{
	size_t kept = 0;

	for (size_t i = 0; i < d->nwatches; i++) {
		sd_watch *w = &d->watches[i];

		if (sanctum_store_contains(d->store, w->head) == 1) {
			if (w->reported)
				sd_log(SD_INFO, "head %.12s has arrived after all", w->head);
			continue;
		}
		sanctum_error_clear();
		/* Ask again every few seconds: the push may reach the host after the news. */
		if (!w->reported && sd_now_ms() - w->last_pull > 5000) {
			w->last_pull = sd_now_ms();
			sd_scheduler_request(d, -1, "an announced head has not arrived yet");
		}
		if (!w->reported && sd_now_ms() - w->first_seen > (int64_t)d->withhold_ms) {
			w->reported = 1;
			sd_note_error(d, "head %.12s, announced by %s, is still not in any remote after "
			              "%" PRIu64 " s: the host may be withholding updates", w->head,
			              w->origin, d->withhold_ms / 1000);
		}
		d->watches[kept++] = *w;
	}
	d->nwatches = kept;
}

void sd_announce_dispose(sd_peers *ps)
{
	free(ps->mine);
	ps->mine = NULL;
	free(ps->daemon->watches);
	ps->daemon->watches = NULL;
	ps->daemon->nwatches = 0;
}

#include "roster.h"

#include "errors_internal.h"
#include "signed_file.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A parsed entry before its rules are checked. */
typedef struct {
	uint64_t seq;
	unsigned char prev[32];
	unsigned char signer_key[SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	char op[16];
	sanctum_card card;
	int admin;
	int history;
	uint64_t epoch;
	unsigned char recipient[SANCTUM_AGE_X25519_KEY_SIZE];
	int has_epoch;
} entry;

void sanctum_roster__init(sanctum_roster *roster, const sanctum_manifest *manifest)
{
	memset(roster, 0, sizeof(*roster));
	memcpy(roster->group_id, manifest->id, sizeof(roster->group_id));
	memcpy(roster->founder_key, manifest->founder_key, sizeof(roster->founder_key));
	memcpy(roster->last_hash, manifest->anchor, sizeof(roster->last_hash));
}

void sanctum_roster__entry_name(char out[7], uint64_t seq)
{
	snprintf(out, 7, "%06llu", (unsigned long long)(seq % 1000000));
}

const sanctum_member *sanctum_roster__member(const sanctum_roster *roster,
                                             const unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE])
{
	for (size_t i = 0; i < roster->nmembers; i++)
		if (sodium_memcmp(roster->members[i].card.signing_key, key,
		                  SANCTUM_ED25519_PUBLIC_KEY_SIZE) == 0)
			return &roster->members[i];
	return NULL;
}

const sanctum_epoch_info *sanctum_roster__current_epoch(const sanctum_roster *roster)
{
	return roster->nepochs ? &roster->epochs[roster->nepochs - 1] : NULL;
}

static int refuse(uint64_t seq, const char *rule)
{
	return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
	                          "roster entry %06llu refused: %s", (unsigned long long)seq, rule);
}

static int malformed(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "roster entry: %s", what);
}

static int parse_recipient(unsigned char out[SANCTUM_AGE_X25519_KEY_SIZE], const char *text)
{
	sanctum_age_recipient *r = NULL;
	int error = sanctum_age_recipient_parse(&r, text, strlen(text));

	if (error == 0)
		error = sanctum_age_recipient_x25519_key(out, r);
	sanctum_age_recipient_free(r);
	return error;
}

static int parse_role(int *admin, const char *text)
{
	if (strcmp(text, "admin") == 0)
		*admin = 1;
	else if (strcmp(text, "member") == 0)
		*admin = 0;
	else
		return malformed("role must be 'admin' or 'member'");
	return 0;
}

/* Parses the signed text of an entry (after its signature was checked). */
static int parse_body(entry *e, const sanctum_roster *roster, const unsigned char *body,
                      size_t len)
{
	char fingerprint[SANCTUM_FINGERPRINT_SIZE];
	sanctum_lines lines;
	const char *v;

	sanctum_lines__init(&lines, body, len, "roster entry");
	if (sanctum_lines__expect(&lines, "sanctum-roster v1") < 0)
		return SANCTUM_EINVALID;
	if (!(v = sanctum_lines__field(&lines, "group")))
		return SANCTUM_EINVALID;
	if (strcmp(v, roster->group_id) != 0)
		return refuse(roster->seq + 1, "it belongs to another group");
	if (!(v = sanctum_lines__field(&lines, "seq")) || sanctum_parse_u64(&e->seq, v, 999999) < 0)
		return malformed("missing or invalid 'seq'");
	if (!(v = sanctum_lines__field(&lines, "prev")) ||
	    sanctum_hex_decode(e->prev, sizeof(e->prev), v) < 0)
		return malformed("missing or invalid 'prev'");
	if (!(v = sanctum_lines__field(&lines, "time")))
		return SANCTUM_EINVALID;
	if (!(v = sanctum_lines__field(&lines, "signer")))
		return SANCTUM_EINVALID;
	sanctum_key_fingerprint(fingerprint, e->signer_key);
	if (strcmp(v, fingerprint) != 0)
		return refuse(e->seq, "the 'signer' field does not name the signing key");
	if (!(v = sanctum_lines__field(&lines, "op")) || strlen(v) >= sizeof(e->op))
		return malformed("missing or invalid 'op'");
	snprintf(e->op, sizeof(e->op), "%s", v);
	if (strcmp(e->op, "create") != 0 && strcmp(e->op, "add") != 0)
		return malformed("unknown operation");
	if (!(v = sanctum_lines__field(&lines, "card")) || sanctum_card_parse(&e->card, v, strlen(v)) < 0)
		return malformed("missing or invalid member card");
	if (!(v = sanctum_lines__field(&lines, "role")) || parse_role(&e->admin, v) < 0)
		return SANCTUM_EINVALID;
	if (strcmp(e->op, "add") == 0) {
		if (!(v = sanctum_lines__field(&lines, "history")) ||
		    (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0))
			return malformed("'history' must be 'yes' or 'no'");
		e->history = strcmp(v, "yes") == 0;
	}
	if (strcmp(e->op, "create") == 0) {
		e->history = 1;
		if (!(v = sanctum_lines__field(&lines, "epoch")) ||
		    sanctum_parse_u64(&e->epoch, v, 999999) < 0)
			return malformed("missing or invalid 'epoch'");
		if (!(v = sanctum_lines__field(&lines, "recipient")) ||
		    parse_recipient(e->recipient, v) < 0)
			return malformed("missing or invalid epoch 'recipient'");
		e->has_epoch = 1;
	}
	return sanctum_lines__end(&lines);
}

/* The rules of the log: chain, order, and who may make which change. */
static int check_rules(const sanctum_roster *roster, const entry *e)
{
	const sanctum_member *signer = sanctum_roster__member(roster, e->signer_key);
	const sanctum_member *existing = sanctum_roster__member(roster, e->card.signing_key);

	if (e->seq != roster->seq + 1)
		return refuse(e->seq, "it is out of order (the log has a gap or a repeat)");
	if (sodium_memcmp(e->prev, roster->last_hash, sizeof(e->prev)) != 0)
		return refuse(e->seq, "it does not chain to the entry before it");
	if (e->seq == 1) {
		if (strcmp(e->op, "create") != 0 ||
		    sodium_memcmp(e->signer_key, roster->founder_key, sizeof(e->signer_key)) != 0 ||
		    sodium_memcmp(e->card.signing_key, e->signer_key, sizeof(e->signer_key)) != 0 ||
		    !e->admin || e->epoch != 1)
			return refuse(1, "the first entry must create the group with its founder "
			                 "as an admin and epoch 1");
		return 0;
	}
	if (strcmp(e->op, "create") == 0)
		return refuse(e->seq, "only the first entry may create the group");
	if (!signer || !signer->active || !signer->admin)
		return refuse(e->seq, "it is not signed by an active admin");
	if (existing && existing->active)
		return refuse(e->seq, "the key being added is already a member");
	return 0;
}

static int add_member(sanctum_roster *roster, const entry *e)
{
	sanctum_member *bigger = realloc(roster->members, (roster->nmembers + 1) * sizeof(*bigger));
	sanctum_member *m;

	if (!bigger)
		return sanctum_error__nomem();
	roster->members = bigger;
	m = &roster->members[roster->nmembers++];
	memset(m, 0, sizeof(*m));
	m->card = e->card;
	sanctum_key_fingerprint(m->fingerprint, e->card.signing_key);
	m->admin = e->admin;
	m->active = 1;
	m->added = e->seq;
	m->history = e->history;
	m->first_epoch = roster->nepochs ? roster->epochs[roster->nepochs - 1].number : e->epoch;
	return 0;
}

int sanctum_roster__can_read_epoch(const sanctum_member *member, uint64_t number)
{
	return member->active && (member->history || number >= member->first_epoch);
}

static int add_epoch(sanctum_roster *roster, const entry *e)
{
	sanctum_epoch_info *bigger = realloc(roster->epochs, (roster->nepochs + 1) * sizeof(*bigger));

	if (!bigger)
		return sanctum_error__nomem();
	roster->epochs = bigger;
	roster->epochs[roster->nepochs].number = e->epoch;
	memcpy(roster->epochs[roster->nepochs].recipient, e->recipient, sizeof(e->recipient));
	roster->nepochs++;
	return 0;
}

int sanctum_roster__apply(sanctum_roster *roster, const unsigned char *data, size_t len)
{
	const unsigned char *body;
	size_t body_len;
	entry e;
	int error;

	memset(&e, 0, sizeof(e));
	if (len > SANCTUM_ROSTER_MAX_ENTRY)
		return malformed("the entry is too large");
	if ((error = sanctum_signed__open(&body, &body_len, e.signer_key, SANCTUM_ROSTER_NAMESPACE,
	                                  data, len, "roster entry")) < 0)
		return error;
	if ((error = parse_body(&e, roster, body, body_len)) < 0 ||
	    (error = check_rules(roster, &e)) < 0)
		return error;
	if (e.has_epoch && (error = add_epoch(roster, &e)) < 0)
		return error;
	if ((error = add_member(roster, &e)) < 0) {
		if (e.has_epoch)
			roster->nepochs--;
		return error;
	}
	roster->seq = e.seq;
	crypto_hash_sha256(roster->last_hash, data, len);
	return 0;
}

int sanctum_roster__write_entry(sanctum_buf *out, const sanctum_roster *roster,
                                const sanctum_roster_change *change,
                                const sanctum_identity *signer)
{
	sanctum_buf body = SANCTUM_BUF_INIT, card = SANCTUM_BUF_INIT, recipient = SANCTUM_BUF_INIT;
	char prev[65], fingerprint[SANCTUM_FINGERPRINT_SIZE], head[512];
	sanctum_card own;
	int error;

	sanctum_identity_card(&own, signer);
	sanctum_key_fingerprint(fingerprint, own.signing_key);
	sanctum_hex_encode(prev, roster->last_hash, sizeof(roster->last_hash));
	snprintf(head, sizeof(head),
	         "sanctum-roster v1\ngroup %s\nseq %llu\nprev %s\ntime %llu\nsigner %s\nop %s\n",
	         roster->group_id, (unsigned long long)(roster->seq + 1), prev,
	         (unsigned long long)time(NULL), fingerprint, change->op);
	error = sanctum_card_encode(&card, change->card);
	if (error == 0 && (sanctum_buf_puts(&body, head) < 0 || sanctum_buf_puts(&body, "card ") < 0 ||
	                   sanctum_buf_put(&body, card.ptr, card.size) < 0 ||
	                   sanctum_buf_puts(&body, change->admin ? "\nrole admin\n" : "\nrole member\n") < 0))
		error = SANCTUM_ENOMEM;
	if (error == 0 && strcmp(change->op, "add") == 0 &&
	    sanctum_buf_puts(&body, change->history ? "history yes\n" : "history no\n") < 0)
		error = SANCTUM_ENOMEM;
	if (error == 0 && change->epoch_recipient) {
		sanctum_age_recipient *r = NULL;

		snprintf(head, sizeof(head), "epoch %llu\nrecipient ", (unsigned long long)change->epoch);
		error = sanctum_age_recipient_from_x25519(&r, change->epoch_recipient);
		if (error == 0)
			error = sanctum_age_recipient_encode(&recipient, r);
		sanctum_age_recipient_free(r);
		if (error == 0 && (sanctum_buf_puts(&body, head) < 0 ||
		                   sanctum_buf_put(&body, recipient.ptr, recipient.size) < 0 ||
		                   sanctum_buf_puts(&body, "\n") < 0))
			error = SANCTUM_ENOMEM;
	}
	if (error == 0)
		error = sanctum_signed__seal(out, signer, SANCTUM_ROSTER_NAMESPACE, body.ptr, body.size);
	sanctum_buf_dispose(&body);
	sanctum_buf_dispose(&card);
	sanctum_buf_dispose(&recipient);
	return error;
}

void sanctum_roster__dispose(sanctum_roster *roster)
{
	if (!roster)
		return;
	free(roster->members);
	free(roster->epochs);
	memset(roster, 0, sizeof(*roster));
}

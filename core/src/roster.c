/*
 * The roster log: parsing entries with their fields per operation, the rules of who may
 * make which change, applying them, and writing new entries.
 */
#include "roster.h"

#include "errors_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A parsed entry before its rules are checked. */
typedef struct {
	uint64_t seq;
	unsigned char prev[32];
	unsigned char signers[SANCTUM_SIGNED_MAX_SIGNERS][SANCTUM_ED25519_PUBLIC_KEY_SIZE];
	size_t nsigners;
	char op[16];
	sanctum_card card;
	char member[SANCTUM_FINGERPRINT_SIZE];
	int admin;
	int history;
	uint64_t approvals;
	uint64_t epoch;
	unsigned char recipient[SANCTUM_AGE_X25519_KEY_SIZE];
} entry;

/* The fields of each operation, in the order they are written. */
static const struct {
	const char *op;
	const char *fields;
} grammar[] = {
	{ "create", "card role epoch recipient" },
	{ "add", "card role history" },
	{ "remove", "member epoch recipient" },
	{ "role", "member role" },
	{ "rotate", "member card" },
	{ "threshold", "approvals" },
};

static const char *fields_of(const char *op)
{
	for (size_t i = 0; i < sizeof(grammar) / sizeof(grammar[0]); i++)
		if (strcmp(grammar[i].op, op) == 0)
			return grammar[i].fields;
	return NULL;
}

/* ---- state ---- */

void sanctum_roster__init(sanctum_roster *roster, const sanctum_manifest *manifest)
{
	memset(roster, 0, sizeof(*roster));
	memcpy(roster->group_id, manifest->id, sizeof(roster->group_id));
	memcpy(roster->founder_key, manifest->founder_key, sizeof(roster->founder_key));
	memcpy(roster->last_hash, manifest->anchor, sizeof(roster->last_hash));
	roster->approvals = 1;
}

void sanctum_roster__entry_name(char out[7], uint64_t seq)
{
	snprintf(out, 7, "%06llu", (unsigned long long)(seq % 1000000));
}

const sanctum_member *sanctum_roster__member(const sanctum_roster *roster,
                                             const unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE])
{
	for (size_t i = roster->nmembers; i > 0; i--)
		if (sodium_memcmp(roster->members[i - 1].card.signing_key, key,
		                  SANCTUM_ED25519_PUBLIC_KEY_SIZE) == 0)
			return &roster->members[i - 1];
	return NULL;
}

const sanctum_member *sanctum_roster__active(const sanctum_roster *roster, const char *fingerprint)
{
	for (size_t i = 0; i < roster->nmembers; i++)
		if (roster->members[i].active && strcmp(roster->members[i].fingerprint, fingerprint) == 0)
			return &roster->members[i];
	return NULL;
}

int sanctum_roster__can_read_epoch(const sanctum_member *member, uint64_t number)
{
	return member->active && (member->history || number >= member->first_epoch);
}

size_t sanctum_roster__admins(const sanctum_roster *roster)
{
	size_t n = 0;

	for (size_t i = 0; i < roster->nmembers; i++)
		n += roster->members[i].active && roster->members[i].admin;
	return n;
}

const sanctum_epoch_info *sanctum_roster__current_epoch(const sanctum_roster *roster)
{
	return roster->nepochs ? &roster->epochs[roster->nepochs - 1] : NULL;
}

int sanctum_roster__copy(sanctum_roster *out, const sanctum_roster *from)
{
	*out = *from;
	out->members = malloc(from->nmembers * sizeof(*out->members) + 1);
	out->epochs = malloc(from->nepochs * sizeof(*out->epochs) + 1);
	if (!out->members || !out->epochs) {
		sanctum_roster__dispose(out);
		return sanctum_error__nomem();
	}
	memcpy(out->members, from->members, from->nmembers * sizeof(*out->members));
	memcpy(out->epochs, from->epochs, from->nepochs * sizeof(*out->epochs));
	return 0;
}

void sanctum_roster__dispose(sanctum_roster *roster)
{
	if (!roster)
		return;
	free(roster->members);
	free(roster->epochs);
	memset(roster, 0, sizeof(*roster));
}

/* ---- parsing ---- */

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

/* Parses the value of one operation field into the entry. */
static int parse_field(entry *e, const char *name, const char *v)
{
	if (strcmp(name, "card") == 0)
		return sanctum_card_parse(&e->card, v, strlen(v)) < 0 ? malformed("invalid member card") : 0;
	if (strcmp(name, "member") == 0) {
		if (strncmp(v, "SHA256:", 7) != 0 || strlen(v) != SANCTUM_FINGERPRINT_SIZE - 1)
			return malformed("'member' is not a key fingerprint");
		memcpy(e->member, v, SANCTUM_FINGERPRINT_SIZE);
		return 0;
	}
	if (strcmp(name, "role") == 0) {
		if (strcmp(v, "admin") != 0 && strcmp(v, "member") != 0)
			return malformed("role must be 'admin' or 'member'");
		e->admin = strcmp(v, "admin") == 0;
		return 0;
	}
	if (strcmp(name, "history") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return malformed("'history' must be 'yes' or 'no'");
		e->history = strcmp(v, "yes") == 0;
		return 0;
	}
	if (strcmp(name, "approvals") == 0)
		return sanctum_parse_u64(&e->approvals, v, SANCTUM_SIGNED_MAX_SIGNERS) < 0
		               ? malformed("invalid 'approvals'") : 0;
	if (strcmp(name, "epoch") == 0)
		return sanctum_parse_u64(&e->epoch, v, 999999) < 0 ? malformed("invalid 'epoch'") : 0;
	return parse_recipient(e->recipient, v) < 0 ? malformed("invalid epoch 'recipient'") : 0;
}

/* Parses the fields its operation lists, in order. */
static int parse_operation(entry *e, sanctum_lines *lines)
{
	const char *fields = fields_of(e->op);
	char name[16];

	if (!fields)
		return malformed("unknown operation");
	while (*fields) {
		size_t n = strcspn(fields, " ");
		const char *v;
		int error;

		memcpy(name, fields, n);
		name[n] = '\0';
		fields += n + (fields[n] == ' ');
		if (!(v = sanctum_lines__field(lines, name)))
			return SANCTUM_EINVALID;
		if ((error = parse_field(e, name, v)) < 0)
			return error;
	}
	return sanctum_lines__end(lines);
}

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
	if (!sanctum_lines__field(&lines, "time") || !(v = sanctum_lines__field(&lines, "signer")))
		return SANCTUM_EINVALID;
	sanctum_key_fingerprint(fingerprint, e->signers[0]);
	if (strcmp(v, fingerprint) != 0)
		return refuse(e->seq, "the 'signer' field does not name the first signature's key");
	if (!(v = sanctum_lines__field(&lines, "op")) || strlen(v) >= sizeof(e->op))
		return malformed("missing or invalid 'op'");
	snprintf(e->op, sizeof(e->op), "%s", v);
	return parse_operation(e, &lines);
}

/* ---- rules ---- */

static size_t admin_signatures(const sanctum_roster *roster, const entry *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nsigners; i++) {
		const sanctum_member *m = sanctum_roster__member(roster, e->signers[i]);
		n += m && m->active && m->admin;
	}
	return n;
}

static int signed_by(const entry *e, const unsigned char key[SANCTUM_ED25519_PUBLIC_KEY_SIZE])
{
	for (size_t i = 0; i < e->nsigners; i++)
		if (sodium_memcmp(e->signers[i], key, SANCTUM_ED25519_PUBLIC_KEY_SIZE) == 0)
			return 1;
	return 0;
}

static int check_create(const sanctum_roster *roster, const entry *e)
{
	if (e->seq != 1 || strcmp(e->op, "create") != 0 || e->nsigners != 1 ||
	    sodium_memcmp(e->signers[0], roster->founder_key, sizeof(roster->founder_key)) != 0 ||
	    sodium_memcmp(e->card.signing_key, e->signers[0], sizeof(roster->founder_key)) != 0 ||
	    !e->admin || e->epoch != 1)
		return refuse(e->seq, "the first entry must create the group with its founder as an "
		                      "admin and epoch 1");
	return 0;
}

/* Whether the change leaves at least one admin, and no fewer than the threshold. */
static int check_admins_left(const entry *e, size_t admins_after, uint64_t threshold_after)
{
	if (admins_after == 0)
		return refuse(e->seq, "it would leave the group without an admin");
	if (admins_after < threshold_after)
		return refuse(e->seq, "it would leave fewer admins than the approval threshold");
	return 0;
}

/* The rules of every change but create; `count_approvals` is 0 for a proposal, whose
 * approvals are still being gathered. */
static int check_change(const sanctum_roster *roster, const entry *e, int count_approvals)
{
	const sanctum_member *target = e->member[0] ? sanctum_roster__active(roster, e->member) : NULL;
	const sanctum_member *existing = sanctum_roster__member(roster, e->card.signing_key);
	const sanctum_epoch_info *epoch = sanctum_roster__current_epoch(roster);
	size_t admins = sanctum_roster__admins(roster);

	if (strcmp(e->op, "create") == 0)
		return refuse(e->seq, "only the first entry may create the group");
	if (strcmp(e->op, "rotate") == 0) {
		if (!target)
			return refuse(e->seq, "the member whose keys are replaced is not an active member");
		if (!signed_by(e, target->card.signing_key) || !signed_by(e, e->card.signing_key))
			return refuse(e->seq, "a key rotation must be signed by the old key and the new one");
		if (existing && existing->active)
			return refuse(e->seq, "the new key is already a member's");
		if (strcmp(e->card.city, target->card.city) != 0)
			return refuse(e->seq, "a key rotation cannot move a member to another city");
		return 0;
	}
	if (count_approvals && admin_signatures(roster, e) < roster->approvals)
		return refuse(e->seq, roster->approvals > 1
		                              ? "it has fewer admin approvals than the threshold requires"
		                              : "it is not signed by an active admin");
	if (strcmp(e->op, "add") == 0)
		return existing && existing->active ? refuse(e->seq, "the key being added is already a member") : 0;
	if (strcmp(e->op, "threshold") == 0)
		return e->approvals < 1 ? refuse(e->seq, "the threshold must be at least 1")
		                        : check_admins_left(e, admins, e->approvals);
	if (!target)
		return refuse(e->seq, "it names someone who is not an active member");
	if (strcmp(e->op, "remove") == 0) {
		if (e->epoch != epoch->number + 1)
			return refuse(e->seq, "a removal must start the next epoch");
		return check_admins_left(e, admins - (size_t)target->admin, roster->approvals);
	}
	if (e->admin == target->admin)
		return refuse(e->seq, "the member already has that role");
	return check_admins_left(e, admins - (size_t)target->admin + (size_t)e->admin,
	                         roster->approvals);
}

/* ---- applying ---- */

static int add_member(sanctum_roster *roster, const sanctum_member *from)
{
	sanctum_member *bigger = realloc(roster->members, (roster->nmembers + 1) * sizeof(*bigger));

	if (!bigger)
		return sanctum_error__nomem();
	roster->members = bigger;
	roster->members[roster->nmembers++] = *from;
	return 0;
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

static sanctum_member new_record(const entry *e, int admin, int history, uint64_t first_epoch)
{
	sanctum_member m;

	memset(&m, 0, sizeof(m));
	m.card = e->card;
	sanctum_key_fingerprint(m.fingerprint, e->card.signing_key);
	m.admin = admin;
	m.active = 1;
	m.added = e->seq;
	m.history = history;
	m.first_epoch = first_epoch;
	return m;
}

/* Applies a checked entry; on failure (out of memory) the roster is left as it was. */
static int apply_entry(sanctum_roster *roster, const entry *e)
{
	sanctum_member *target = (sanctum_member *)(e->member[0] ? sanctum_roster__active(roster, e->member) : NULL);
	const sanctum_epoch_info *epoch = sanctum_roster__current_epoch(roster);
	sanctum_member record;
	int error = 0;

	if (strcmp(e->op, "create") == 0) {
		record = new_record(e, 1, 1, e->epoch);
		if ((error = add_epoch(roster, e)) == 0 && (error = add_member(roster, &record)) < 0)
			roster->nepochs--;
	} else if (strcmp(e->op, "add") == 0) {
		record = new_record(e, e->admin, e->history, epoch->number);
		error = add_member(roster, &record);
	} else if (strcmp(e->op, "rotate") == 0) {
		record = new_record(e, target->admin, target->history, target->first_epoch);
		if ((error = add_member(roster, &record)) == 0) {
			target = (sanctum_member *)sanctum_roster__active(roster, e->member);
			target->active = 0;
		}
	} else if (strcmp(e->op, "remove") == 0) {
		if ((error = add_epoch(roster, e)) == 0)
			target->active = 0;
	} else if (strcmp(e->op, "role") == 0) {
		target->admin = e->admin;
	} else {
		roster->approvals = e->approvals;
	}
	return error;
}

/* Opens, parses and checks an entry against the roster; `missing` gets the approvals
 * still needed (the entry is otherwise valid), or NULL to require it complete. */
static int read_entry(entry *e, const sanctum_roster *roster, const unsigned char *data,
                      size_t len, size_t *missing)
{
	const unsigned char *body;
	size_t body_len;
	int error;

	memset(e, 0, sizeof(*e));
	if (len > SANCTUM_ROSTER_MAX_ENTRY)
		return malformed("the entry is too large");
	if ((error = sanctum_signed__open_all(&body, &body_len, e->signers, &e->nsigners,
	                                      SANCTUM_SIGNED_MAX_SIGNERS, SANCTUM_ROSTER_NAMESPACE,
	                                      data, len, "roster entry")) < 0 ||
	    (error = parse_body(e, roster, body, body_len)) < 0)
		return error;
	if (e->seq != roster->seq + 1)
		return refuse(e->seq, "it is out of order (the log has a gap or a repeat)");
	if (sodium_memcmp(e->prev, roster->last_hash, sizeof(e->prev)) != 0)
		return refuse(e->seq, "it does not chain to the entry before it");
	if (e->seq == 1)
		return check_create(roster, e);
	if (missing) {
		size_t have = admin_signatures(roster, e);
		*missing = have >= roster->approvals || strcmp(e->op, "rotate") == 0
		                   ? 0 : (size_t)(roster->approvals - have);
	}
	return check_change(roster, e, missing == NULL);
}

int sanctum_roster__apply(sanctum_roster *roster, const unsigned char *data, size_t len)
{
	entry e;
	int error;

	if ((error = read_entry(&e, roster, data, len, NULL)) < 0 ||
	    (error = apply_entry(roster, &e)) < 0)
		return error;
	roster->seq = e.seq;
	crypto_hash_sha256(roster->last_hash, data, len);
	return 0;
}

int sanctum_roster__inspect(sanctum_roster_entry_info *out, const sanctum_roster *roster,
                            const unsigned char *data, size_t len)
{
	entry e;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = read_entry(&e, roster, data, len, &out->missing)) < 0)
		return error;
	snprintf(out->op, sizeof(out->op), "%s", e.op);
	sanctum_key_fingerprint(out->proposer, e.signers[0]);
	out->approvals = admin_signatures(roster, &e);
	if (strcmp(e.op, "add") == 0 || strcmp(e.op, "rotate") == 0)
		snprintf(out->summary, sizeof(out->summary), "%s %s/%s%s", e.op, e.card.city,
		         e.card.device, strcmp(e.op, "add") == 0 && e.admin ? " as an admin" : "");
	else if (strcmp(e.op, "remove") == 0)
		snprintf(out->summary, sizeof(out->summary), "remove %s, start epoch %llu", e.member,
		         (unsigned long long)e.epoch);
	else if (strcmp(e.op, "role") == 0)
		snprintf(out->summary, sizeof(out->summary), "make %s %s", e.member,
		         e.admin ? "an admin" : "a member");
	else
		snprintf(out->summary, sizeof(out->summary), "require %llu admin approvals",
		         (unsigned long long)e.approvals);
	return 0;
}

int sanctum_roster__preview(sanctum_roster *roster, const unsigned char *data, size_t len)
{
	size_t missing = 0;
	entry e;
	int error;

	if ((error = read_entry(&e, roster, data, len, &missing)) < 0 ||
	    (error = apply_entry(roster, &e)) < 0)
		return error;
	roster->seq = e.seq;
	crypto_hash_sha256(roster->last_hash, data, len);
	return 0;
}

/* ---- writing ---- */

static int write_field(sanctum_buf *out, const char *name, const sanctum_roster_change *c)
{
	sanctum_buf text = SANCTUM_BUF_INIT;
	char line[64];
	int error = 0;

	if (strcmp(name, "card") == 0) {
		error = sanctum_card_encode(&text, c->card);
	} else if (strcmp(name, "member") == 0) {
		error = sanctum_buf_puts(&text, c->member);
	} else if (strcmp(name, "role") == 0) {
		error = sanctum_buf_puts(&text, c->admin ? "admin" : "member");
	} else if (strcmp(name, "history") == 0) {
		error = sanctum_buf_puts(&text, c->history ? "yes" : "no");
	} else if (strcmp(name, "approvals") == 0 || strcmp(name, "epoch") == 0) {
		snprintf(line, sizeof(line), "%llu",
		         (unsigned long long)(name[0] == 'a' ? c->approvals : c->epoch));
		error = sanctum_buf_puts(&text, line);
	} else {
		sanctum_age_recipient *r = NULL;
		if ((error = sanctum_age_recipient_from_x25519(&r, c->epoch_recipient)) == 0)
			error = sanctum_age_recipient_encode(&text, r);
		sanctum_age_recipient_free(r);
	}
	if (error == 0 && (sanctum_buf_puts(out, name) < 0 || sanctum_buf_puts(out, " ") < 0 ||
	                   sanctum_buf_put(out, text.ptr, text.size) < 0 ||
	                   sanctum_buf_puts(out, "\n") < 0))
		error = SANCTUM_ENOMEM;
	sanctum_buf_dispose(&text);
	return error;
}

int sanctum_roster__write_entry(sanctum_buf *out, const sanctum_roster *roster,
                                const sanctum_roster_change *change,
                                const sanctum_identity *signer)
{
	const char *fields = fields_of(change->op);
	sanctum_buf body = SANCTUM_BUF_INIT;
	char prev[65], fingerprint[SANCTUM_FINGERPRINT_SIZE], head[512], name[16];
	sanctum_card own;
	int error = 0;

	if (!fields)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "unknown roster operation '%s'", change->op);
	sanctum_identity_card(&own, signer);
	sanctum_key_fingerprint(fingerprint, own.signing_key);
	sanctum_hex_encode(prev, roster->last_hash, sizeof(roster->last_hash));
	snprintf(head, sizeof(head),
	         "sanctum-roster v1\ngroup %s\nseq %llu\nprev %s\ntime %llu\nsigner %s\nop %s\n",
	         roster->group_id, (unsigned long long)(roster->seq + 1), prev,
	         (unsigned long long)time(NULL), fingerprint, change->op);
	if (sanctum_buf_puts(&body, head) < 0)
		error = SANCTUM_ENOMEM;
	while (error == 0 && *fields) {
		size_t n = strcspn(fields, " ");

		memcpy(name, fields, n);
		name[n] = '\0';
		fields += n + (fields[n] == ' ');
		error = write_field(&body, name, change);
	}
	if (error == 0)
		error = sanctum_signed__seal(out, signer, SANCTUM_ROSTER_NAMESPACE, body.ptr, body.size);
	sanctum_buf_dispose(&body);
	return error;
}

#include "epoch.h"

#include "errors_internal.h"
#include "signed_file.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void sanctum_epoch__file_name(char out[11], uint64_t number)
{
	snprintf(out, 11, "%06llu.age", (unsigned long long)(number % 1000000));
}

static int epoch_text(sanctum_buf *out, const char *group_id, uint64_t number,
                      const sanctum_age_identity *identity)
{
	sanctum_buf key = SANCTUM_BUF_INIT;
	char head[128];
	int error = sanctum_age_identity_encode(&key, identity);

	snprintf(head, sizeof(head), "sanctum-epoch v1\ngroup %s\nepoch %llu\nidentity ", group_id,
	         (unsigned long long)number);
	if (error == 0 && (sanctum_buf_puts(out, head) < 0 ||
	                   sanctum_buf_put(out, key.ptr, key.size) < 0 ||
	                   sanctum_buf_puts(out, "\n") < 0))
		error = SANCTUM_ENOMEM;
	sanctum_buf_dispose(&key);
	return error;
}

int sanctum_epoch__seal(sanctum_buf *out, const sanctum_age_identity *identity,
                        const char *group_id, uint64_t number,
                        const sanctum_age_recipient *const *members, size_t count,
                        const sanctum_identity *signer)
{
	sanctum_buf text = SANCTUM_BUF_INIT, signed_text = SANCTUM_BUF_INIT;
	int error = epoch_text(&text, group_id, number, identity);

	if (error == 0)
		error = sanctum_signed__seal(&signed_text, signer, SANCTUM_EPOCH_NAMESPACE, text.ptr,
		                             text.size);
	if (error == 0)
		error = sanctum_age_encrypt(out, members, count, 0, signed_text.ptr, signed_text.size);
	sanctum_buf_dispose(&text);
	sanctum_buf_dispose(&signed_text);
	return error;
}

int sanctum_epoch__create(sanctum_buf *out, sanctum_age_identity **identity,
                          const char *group_id, uint64_t number,
                          const sanctum_age_recipient *const *members, size_t count,
                          const sanctum_identity *signer)
{
	int error;

	*identity = NULL;
	if ((error = sanctum_age_identity_generate(identity)) < 0)
		return error;
	error = sanctum_epoch__seal(out, *identity, group_id, number, members, count, signer);
	if (error < 0) {
		sanctum_age_identity_free(*identity);
		*identity = NULL;
	}
	return error;
}

static int refuse(uint64_t number, const char *why)
{
	return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
	                          "epoch %06llu refused: %s", (unsigned long long)number, why);
}

/* Checks the signed text and builds the identity it carries. */
static int parse_epoch(sanctum_age_identity **out, const sanctum_roster *roster, uint64_t number,
                       const unsigned char *plain, size_t len)
{
	unsigned char signer[SANCTUM_ED25519_PUBLIC_KEY_SIZE], pub[SANCTUM_AGE_X25519_KEY_SIZE];
	const sanctum_member *admin;
	sanctum_age_recipient *recipient = NULL;
	const unsigned char *body;
	size_t body_len;
	sanctum_lines lines;
	uint64_t got = 0;
	const char *v;
	int error;

	if ((error = sanctum_signed__open(&body, &body_len, signer, SANCTUM_EPOCH_NAMESPACE, plain,
	                                  len, "epoch key")) < 0)
		return error;
	/* Any member may seal an epoch key again (a key rotation does); what makes it
	 * trustworthy is that its key is the one the roster names, checked below. */
	admin = sanctum_roster__member(roster, signer);
	if (!admin)
		return refuse(number, "it is not signed by a member");
	sanctum_lines__init(&lines, body, body_len, "epoch key");
	if (sanctum_lines__expect(&lines, "sanctum-epoch v1") < 0 ||
	    !(v = sanctum_lines__field(&lines, "group")))
		return SANCTUM_EINVALID;
	if (strcmp(v, roster->group_id) != 0)
		return refuse(number, "it belongs to another group");
	if (!(v = sanctum_lines__field(&lines, "epoch")) || sanctum_parse_u64(&got, v, 999999) < 0 ||
	    got != number)
		return refuse(number, "its epoch number does not match its file name");
	if (!(v = sanctum_lines__field(&lines, "identity")))
		return SANCTUM_EINVALID;
	error = sanctum_age_identity_parse(out, v, strlen(v));
	sodium_memzero(lines.value, sizeof(lines.value));
	if (error == 0)
		error = sanctum_lines__end(&lines);
	if (error == 0)
		error = sanctum_age_identity_to_recipient(&recipient, *out);
	if (error == 0)
		error = sanctum_age_recipient_x25519_key(pub, recipient);
	sanctum_age_recipient_free(recipient);
	if (error == 0) {
		const sanctum_epoch_info *named = NULL;

		for (size_t i = 0; i < roster->nepochs; i++)
			if (roster->epochs[i].number == number)
				named = &roster->epochs[i];
		if (!named)
			error = refuse(number, "the roster names no such epoch");
		else if (memcmp(named->recipient, pub, sizeof(pub)) != 0)
			error = refuse(number, "its key is not the one the roster names");
	}
	if (error < 0) {
		sanctum_age_identity_free(*out);
		*out = NULL;
	}
	return error;
}

/*
 * Where the reader's stanza most likely is: epoch files are sealed to the epoch's readers
 * in roster order (sanctum_store__seal_epoch), so its place among them, as the roster
 * says now, is a hint that makes opening cost one X25519 operation however many members
 * the group has. A wrong hint (a file sealed before a later removal) only costs tries.
 */
static size_t reader_position(const sanctum_roster *roster, uint64_t number,
                              const sanctum_identity *reader)
{
	sanctum_card card;
	size_t position = 0;

	sanctum_identity_card(&card, reader);
	for (size_t i = 0; i < roster->nmembers; i++) {
		const sanctum_member *m = &roster->members[i];

		if (!sanctum_roster__can_read_epoch(m, number))
			continue;
		if (sodium_memcmp(m->card.signing_key, card.signing_key, sizeof(card.signing_key)) == 0)
			return position;
		position++;
	}
	return 0;
}

int sanctum_epoch__open(sanctum_age_identity **out, const sanctum_roster *roster,
                        uint64_t number, const unsigned char *file, size_t len,
                        const sanctum_identity *reader)
{
	const sanctum_age_identity *mine = sanctum_identity_age(reader);
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_buf plain = SANCTUM_BUF_INIT;
	int error;

	*out = NULL;
	opts.first_stanza = reader_position(roster, number, reader);
	if (len > SANCTUM_EPOCH_MAX_FILE)
		return refuse(number, "the file is too large");
	error = sanctum_age_decrypt(&plain, &mine, 1, &opts, file, len);
	if (error == 0)
		error = parse_epoch(out, roster, number, plain.ptr, plain.size);
	sanctum_buf_dispose(&plain);
	return error;
}

/*
 * libFuzzer target: document revisions (core/src/doc.c), sanctum_doc_open on arbitrary
 * input, with and without an expected id.
 *
 * Random bytes almost never carry a valid signature, so the first byte chooses how the
 * rest is used, and the fuzzer can reach the grammar behind the signature:
 *     bit 0      open with expected id 00112233445566778899aabbccddeeff (else none)
 *     bits 1-2   0: the rest is the whole plaintext, as it is
 *                1: the rest is a signed part: "@A" in it becomes the fingerprint of the
 *                   target's identity, and it is signed with that identity
 *                2: the same, zero-padded to its PADME bucket before signing
 *                3: the same as 2
 * A refusal must carry a code and a problem the header promises, a message, and leave the
 * output empty. A revision that opens must obey every rule of the format, and sealing it
 * again with the same identity must give back the input byte for byte (the format has one
 * spelling per revision, and Ed25519 is deterministic). Any breach aborts.
 *
 * A useful seed is a mode byte of 4 followed by a valid signed part, for example
 *     printf '\004sanctum-doc v1\nid 00112233445566778899aabbccddeeff\nrev 1\n'\
 *     'parent none\nauthor @A\ntime 0\ntype text/plain\ntitle t\nsize 1\nstate live\n\nx'
 * and for a merge revision, `rev 2`, a `parent` and a larger `merged` hash after it.
 */
#include "sanctum/sanctum.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char expected_id[SANCTUM_DOC_ID_SIZE] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
static sanctum_identity *signer;
static char fingerprint[SANCTUM_FINGERPRINT_SIZE];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sanctum_card card;

	(void)argc;
	(void)argv;
	if (sanctum_init() < 0 || sanctum_identity_generate(&signer, "fuzz", "target") < 0)
		abort();
	sanctum_identity_card(&card, signer);
	sanctum_key_fingerprint(fingerprint, card.signing_key);
	return 0;
}

static void breach(const char *what)
{
	fprintf(stderr, "fuzz_doc: %s (last error: %s)\n", what, sanctum_error_last()->message);
	abort();
}

/* Builds the plaintext for modes 1 to 3 into `out`; returns 0, or -1 to skip the input. */
static int sign_input(sanctum_buf *out, const uint8_t *data, size_t size, int pad)
{
	sanctum_buf part = SANCTUM_BUF_INIT, sig = SANCTUM_BUF_INIT;
	int rc = -1;

	for (size_t i = 0; i < size; i++) {
		int error;

		if (i + 1 < size && data[i] == '@' && data[i + 1] == 'A') {
			error = sanctum_buf_puts(&part, fingerprint);
			i++;
		} else {
			error = sanctum_buf_put(&part, data + i, 1);
		}
		if (error < 0)
			goto done;
	}
	if (pad) {
		/* 306 bytes: the armored length of an Ed25519 signature in "sanctum-doc". */
		size_t want = sanctum_doc_padded_size(306 + part.size) - 306;

		while (part.size < want)
			if (sanctum_buf_put(&part, "", 1) < 0)
				goto done;
	}
	if (sanctum_identity_sign(&sig, signer, SANCTUM_DOC_NAMESPACE, part.ptr, part.size) < 0)
		breach("the identity cannot sign");
	if (sanctum_buf_put(out, sig.ptr, sig.size) == 0 &&
	    sanctum_buf_put(out, part.ptr, part.size) == 0)
		rc = 0;
done:
	sanctum_buf_dispose(&part);
	sanctum_buf_dispose(&sig);
	return rc;
}

static void check_refusal(int error, sanctum_doc_problem problem, const sanctum_doc *doc)
{
	if (error != SANCTUM_EINVALID && error != SANCTUM_EVERIFY && error != SANCTUM_ENOMEM)
		breach("open returned a code its header does not list");
	if (error != SANCTUM_ENOMEM && problem == SANCTUM_DOC_OK)
		breach("a refusal names no problem");
	if ((problem == SANCTUM_DOC_BAD_SIGNATURE || problem == SANCTUM_DOC_AUTHOR_MISMATCH ||
	     problem == SANCTUM_DOC_ID_MISMATCH) != (error == SANCTUM_EVERIFY))
		breach("the code and the problem disagree");
	if (doc->title || doc->type || doc->tags || doc->ntags || doc->body.ptr || doc->rev)
		breach("a refused revision left fields behind");
	if (!*sanctum_error_last()->message)
		breach("a refusal has no message");
}

static void check_opened(const sanctum_doc *doc, const unsigned char *plain, size_t len,
                         int with_id)
{
	sanctum_buf again = SANCTUM_BUF_INIT;
	sanctum_doc copy = SANCTUM_DOC_INIT;
	char fp[SANCTUM_FINGERPRINT_SIZE];

	if (!doc->title || !doc->type || doc->rev == 0 || doc->has_parent != (doc->rev > 1) ||
	    (doc->has_merged && (!doc->has_parent ||
	                         memcmp(doc->parent, doc->merged, sizeof(doc->parent)) >= 0)) ||
	    doc->time < 0 || doc->ntags > SANCTUM_DOC_MAX_TAGS ||
	    doc->body.size > SANCTUM_DOC_MAX_BODY || (doc->deleted && doc->body.size) ||
	    strlen(doc->title) > SANCTUM_DOC_MAX_TITLE || strlen(doc->type) > SANCTUM_DOC_MAX_TYPE)
		breach("an opened revision breaks a rule of the format");
	if (sanctum_doc_padded_size(len) != len)
		breach("an opened plaintext is not on a PADME bucket");
	sanctum_key_fingerprint(fp, doc->signer);
	if (strcmp(fp, doc->author) != 0)
		breach("an opened revision's author is not its signer");
	if (with_id && memcmp(doc->id, expected_id, sizeof(expected_id)) != 0)
		breach("an opened revision has another id than expected");
	if (strcmp(fp, fingerprint) != 0)
		return;         /* signed by someone else (raw mode): cannot re-seal */

	/* Seal a copy made through the setters again: the same bytes must come out. */
	memcpy(copy.id, doc->id, sizeof(copy.id));
	copy.rev = doc->rev;
	copy.has_parent = doc->has_parent;
	memcpy(copy.parent, doc->parent, sizeof(copy.parent));
	copy.has_merged = doc->has_merged;
	memcpy(copy.merged, doc->merged, sizeof(copy.merged));
	copy.time = doc->time;
	copy.deleted = doc->deleted;
	if (sanctum_doc_set_title(&copy, doc->title) < 0 ||
	    sanctum_doc_set_type(&copy, doc->type) < 0)
		breach("an opened title or type is refused by its setter");
	for (size_t i = 0; i < doc->ntags; i++)
		if (sanctum_doc_add_tag(&copy, doc->tags[i]) < 0)
			breach("an opened tag is refused by its setter");
	if (sanctum_buf_put(&copy.body, doc->body.ptr, doc->body.size) < 0)
		goto done;
	if (sanctum_doc_seal(&again, &copy, signer) < 0) {
		if (sanctum_error_last()->code != SANCTUM_ENOMEM)
			breach("an opened revision does not seal again");
		goto done;
	}
	if (again.size != len || memcmp(again.ptr, plain, len) != 0)
		breach("sealing an opened revision gives other bytes");
	if (memcmp(copy.hash, doc->hash, sizeof(copy.hash)) != 0)
		breach("seal and open disagree on the hash");
done:
	sanctum_doc_dispose(&copy);
	sanctum_buf_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sanctum_buf plain = SANCTUM_BUF_INIT;
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_doc_problem problem = SANCTUM_DOC_OK;
	int mode, with_id, error;

	if (size == 0)
		return 0;
	with_id = data[0] & 1;
	mode = (data[0] >> 1) & 3;
	if (mode == 0) {
		if (sanctum_buf_put(&plain, data + 1, size - 1) < 0)
			return 0;
	} else if (sign_input(&plain, data + 1, size - 1, mode >= 2) < 0) {
		sanctum_buf_dispose(&plain);
		return 0;
	}

	/* A copy of exactly the right size, so that any overread is caught. */
	{
		unsigned char *exact = malloc(plain.size ? plain.size : 1);

		if (!exact)
			goto done;
		memcpy(exact, plain.ptr ? plain.ptr : (const unsigned char *)"", plain.size);
		error = sanctum_doc_open(&doc, &problem, exact, plain.size,
		                         with_id ? expected_id : NULL);
		if (error < 0)
			check_refusal(error, problem, &doc);
		else if (problem != SANCTUM_DOC_OK)
			breach("a revision opened with a problem");
		else
			check_opened(&doc, exact, plain.size, with_id);
		free(exact);
	}
done:
	sanctum_doc_dispose(&doc);
	sanctum_buf_dispose(&plain);
	sanctum_error_clear();
	return 0;
}

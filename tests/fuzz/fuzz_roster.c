/*
 * libFuzzer target: roster entries (sanctum_roster__apply and sanctum_roster__inspect)
 * against a fixed roster.
 *
 * At start, a group is made by hand from fixed text: a manifest and entry 1 (create)
 * signed by a fixed founder key, with a fixed time, so that the roster, and the hash that
 * entry 2 must chain from, are the same on every run and corpus inputs stay meaningful.
 * The input is then tried as entry 2. A fuzzer cannot forge Ed25519 signatures, so the
 * first byte chooses how the input is used:
 *
 *     bits 0-1   0: the input is a whole entry, signature blocks included
 *                1: the input is the body, signed here by the founder (an admin)
 *                2: signed by a stranger (not a member)
 *                3: signed by the founder and cosigned by the stranger
 *     bit 2      (when signing) the correct first six lines, up to and including
 *                "signer", are written here in front of the input
 *
 * Checks besides the sanitizers: an entry that applies must not apply a second time
 * (its seq and prev are taken), applying must leave the roster unchanged on failure, and
 * an entry that applies must also pass inspect with nothing missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity_internal.h"
#include "roster.h"
#include "sanctum/sanctum.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Throwaway example keys (docs/format.md and a generated one): never use them elsewhere. */
static const char founder_text[] =
	"sanctum-identity v1\ncity aldport\ndevice server\ncreated 2026-11-29T17:22:35Z\n"
	"ed25519 ao4Cuw3UurFyHE0CBpFLd/jlXjoy5w4PYKCq/fAiqzM=\n"
	"age AGE-SECRET-KEY-1TAH3GF99WAVLR3JW6K7ZQQ25TX39S52TQKJTU72PTFMPKRRUEKRQ4500A7\n";
static const char stranger_text[] =
	"sanctum-identity v1\ncity brightwater\ndevice main\ncreated 2026-11-29T18:01:10Z\n"
	"ed25519 7lCr/encb5rofNO0i0b6Vu13dwelsKaP/98dUwZHXcE=\n"
	"age AGE-SECRET-KEY-1A0C2JHZV26YFW7VVXY7MTNKVF2LE3VXNRSNA2RHWUFXDMURT9WEQP2DHH6\n";
static const char group_id[] = "0123456789abcdef0123456789abcdef";
static const char epoch_recipient[] =
	"age1tfpwhmkjv3w4ua85jllcwgf6c2fwzvpq3q09lvvftg87wnjsxursw4rmvv";

static sanctum_identity *founder, *stranger;
static sanctum_roster roster;           /* after entry 1 */
static char entry2_head[512];           /* the first lines of entry 2, up to "signer" */

static void must(int ok)
{
	if (!ok)
		abort();
}

static void fingerprint_of(char out[SANCTUM_FINGERPRINT_SIZE], const sanctum_identity *id)
{
	sanctum_card card;

	sanctum_identity_card(&card, id);
	sanctum_key_fingerprint(out, card.signing_key);
}

static void setup(void)
{
	sanctum_buf manifest_file = SANCTUM_BUF_INIT, card = SANCTUM_BUF_INIT;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	char fp[SANCTUM_FINGERPRINT_SIZE], prev[65], text[1024];
	sanctum_manifest manifest;
	sanctum_card founder_card;
	int n;

	must(sanctum_init() == 0);
	must(sanctum_identity__parse_text(&founder, founder_text, strlen(founder_text), "f") == 0);
	must(sanctum_identity__parse_text(&stranger, stranger_text, strlen(stranger_text), "s") == 0);
	fingerprint_of(fp, founder);
	n = snprintf(text, sizeof(text), "sanctum-group v1\nid %s\nname fuzz cities\n"
	             "created 1764435600\nfounder %s\n", group_id, fp);
	must(n > 0 && (size_t)n < sizeof(text));
	must(sanctum_signed__seal(&manifest_file, founder, SANCTUM_MANIFEST_NAMESPACE, text,
	                          (size_t)n) == 0);
	must(sanctum_manifest__parse(&manifest, manifest_file.ptr, manifest_file.size) == 0);
	sanctum_roster__init(&roster, &manifest);

	sanctum_identity_card(&founder_card, founder);
	must(sanctum_card_encode(&card, &founder_card) == 0);
	sanctum_hex_encode(prev, manifest.anchor, sizeof(manifest.anchor));
	n = snprintf(text, sizeof(text), "sanctum-roster v1\ngroup %s\nseq 1\nprev %s\n"
	             "time 1764435600\nsigner %s\nop create\ncard %.*s\nrole admin\nepoch 1\n"
	             "recipient %s\n", group_id, prev, fp, (int)card.size,
	             (const char *)card.ptr, epoch_recipient);
	must(n > 0 && (size_t)n < sizeof(text));
	must(sanctum_signed__seal(&entry, founder, SANCTUM_ROSTER_NAMESPACE, text, (size_t)n) == 0);
	must(sanctum_roster__apply(&roster, entry.ptr, entry.size) == 0);

	sanctum_hex_encode(prev, roster.last_hash, sizeof(roster.last_hash));
	n = snprintf(entry2_head, sizeof(entry2_head), "sanctum-roster v1\ngroup %s\nseq 2\n"
	             "prev %s\ntime 1764435601\nsigner ", group_id, prev);
	must(n > 0 && (size_t)n < sizeof(entry2_head));
	sanctum_buf_dispose(&manifest_file);
	sanctum_buf_dispose(&card);
	sanctum_buf_dispose(&entry);
}

/* Makes the entry to try from the input; 0, or -1 to skip it. */
static int make_entry(sanctum_buf *out, const unsigned char *data, size_t size)
{
	sanctum_buf body = SANCTUM_BUF_INIT, once = SANCTUM_BUF_INIT;
	unsigned mode = data[0];
	const sanctum_identity *signer = (mode & 3) == 2 ? stranger : founder;
	int error = 0;

	data++;
	size--;
	if ((mode & 3) == 0)
		return sanctum_buf_put(out, data, size);
	if (mode & 4) {
		char fp[SANCTUM_FINGERPRINT_SIZE];

		fingerprint_of(fp, signer);
		error = sanctum_buf_puts(&body, entry2_head);
		if (error == 0)
			error = sanctum_buf_puts(&body, fp);
		if (error == 0)
			error = sanctum_buf_puts(&body, "\n");
	}
	if (error == 0)
		error = sanctum_buf_put(&body, data, size);
	if (error == 0)
		error = sanctum_signed__seal((mode & 3) == 3 ? &once : out, signer,
		                             SANCTUM_ROSTER_NAMESPACE, body.ptr, body.size);
	/* Cosigning checks the signatures it is given: only a well-formed entry gets one. */
	if (error == 0 && (mode & 3) == 3)
		error = sanctum_signed__cosign(out, stranger, SANCTUM_ROSTER_NAMESPACE, once.ptr,
		                               once.size, "fuzz entry");
	sanctum_buf_dispose(&body);
	sanctum_buf_dispose(&once);
	return error < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	sanctum_buf entry = SANCTUM_BUF_INIT;
	sanctum_roster_entry_info info;
	sanctum_roster copy;
	int applied, inspected;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size == 0 || size > SANCTUM_ROSTER_MAX_ENTRY)
		return 0;
	if (make_entry(&entry, data, size) < 0) {
		sanctum_buf_dispose(&entry);
		return 0;
	}
	inspected = sanctum_roster__inspect(&info, &roster, entry.ptr, entry.size);
	must(sanctum_roster__copy(&copy, &roster) == 0);
	applied = sanctum_roster__apply(&copy, entry.ptr, entry.size);
	if (applied == 0) {
		must(copy.seq == 2);
		must(inspected == 0 && info.missing == 0);
		must(sanctum_roster__apply(&copy, entry.ptr, entry.size) != 0);
	} else {
		/* A refused entry changes nothing. */
		must(copy.seq == roster.seq && copy.nmembers == roster.nmembers &&
		     copy.nepochs == roster.nepochs && copy.approvals == roster.approvals);
	}
	sanctum_roster__dispose(&copy);
	sanctum_buf_dispose(&entry);
	return 0;
}

/*
 * Invitations (docs/format.md, "Invitation"): encoding, the strict parser, and joining a
 * group with one.
 *
 * Joining trusts nothing the remote says until it has been checked against the
 * invitation: main is fetched into a private ref, its manifest must hash to the
 * invitation's anchor, and only then does main exist in the new store; the roster must
 * name the newcomer, and the whole history must verify as the newcomer, before the store
 * is handed back. Anything that fails removes what join made.
 */
#include "sanctum/invite.h"

#include "b64.h"
#include "errors_internal.h"
#include "remote_url.h"
#include "sync_internal.h"
#include "manifest.h"
#include "store_internal.h"

#include "sanctum/verify.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIELDS 6                          /* prefix, id, anchor, name, urls, checksum */
#define ANCHOR_B64 43                     /* 32 bytes, base64url without padding */
#define CHECKSUM_LEN 8
#define MAGIC "sanctum-invite-"           /* the prefix without its version */
#define JOIN_REF "refs/sanctum/join"      /* where main is fetched before it is trusted */
#define REFSPEC "+refs/heads/" SANCTUM_STORE_BRANCH ":" JOIN_REF
#define MANIFEST_MAX 65536

static SANCTUM_PRINTF(1, 2) int bad(const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "invalid invitation: %s", what);
}

/* ---- fields ------------------------------------------------------------------------- */

/* The bytes written as themselves; every other byte is %XX (uppercase hex). */
static int is_plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

static int is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int is_lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int hex_value(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

static int put_encoded(sanctum_buf *out, const char *text)
{
	static const char digits[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		char esc[3] = { '%', digits[*p >> 4], digits[*p & 15] };
		int error = is_plain(*p) ? sanctum_buf_put(out, p, 1) : sanctum_buf_put(out, esc, 3);

		if (error < 0)
			return error;
	}
	return 0;
}

/*
 * Decodes `len` bytes of percent-encoding into `out` (room for `cap` bytes and a NUL),
 * accepting only the one spelling put_encoded writes. Returns the decoded length, or -1
 * with `why` set.
 */
static long decode(char *out, size_t cap, const char *in, size_t len, const char **why)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			if (i + 2 >= len) {
				*why = "a '%' is not followed by two hexadecimal digits";
				return -1;
			}
			if (!is_upper_hex(in[i + 1]) || !is_upper_hex(in[i + 2])) {
				*why = "a '%' is not followed by two uppercase hexadecimal digits";
				return -1;
			}
			c = (unsigned char)(hex_value(in[i + 1]) << 4 | hex_value(in[i + 2]));
			if (is_plain(c)) {
				*why = "a character that needs no escape is escaped";
				return -1;
			}
			i += 2;
		} else if (!is_plain(c)) {
			*why = "it holds a character that must be escaped";
			return -1;
		}
		if (c == '\0') {
			*why = "it holds a NUL byte";
			return -1;
		}
		if (n >= cap) {
			*why = "it is too long";
			return -1;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (long)n;
}

static int name_is_valid(const char *name)
{
	return sanctum_manifest__name_is_valid(name);
}

/* Printable ASCII (spaces allowed), 1 to SANCTUM_INVITE_MAX_URL bytes. */
static int url_is_valid(const char *url)
{
	size_t len = strlen(url);

	if (len == 0 || len > SANCTUM_INVITE_MAX_URL)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] < 0x20 || (unsigned char)url[i] > 0x7e)
			return 0;
	return 1;
}

static int id_is_valid(const char *id)
{
	return strlen(id) == 32 && is_lower_hex(id, 32);
}

static int has_url(const sanctum_invite *invite, const char *url, size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (strcmp(invite->urls[i], url) == 0)
			return 1;
	return 0;
}

/* ---- building ----------------------------------------------------------------------- */

void sanctum_invite_from_store(sanctum_invite *out, const sanctum_store *store)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->group_id, sizeof(out->group_id), "%s", store->manifest.id);
	memcpy(out->anchor, store->manifest.anchor, sizeof(out->anchor));
	snprintf(out->name, sizeof(out->name), "%s", store->manifest.name);
}

int sanctum_invite_add_url(sanctum_invite *invite, const char *url)
{
	char resolved[PATH_MAX];

	if (!invite || !url)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_invite_add_url needs an invitation and a URL");
	if (!sanctum_remote__is_url(url) && *url) {
		if (!realpath(url, resolved))
			return sanctum_error__os("cannot find the folder '%s'", url);
		url = resolved;
	}
	if (!url_is_valid(url))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "a remote must be 1 to %d characters of printable ASCII",
		                          SANCTUM_INVITE_MAX_URL);
	if (has_url(invite, url, invite->nurls))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "the remote '%s' is given twice", url);
	if (invite->nurls >= SANCTUM_INVITE_MAX_URLS)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "an invitation holds at most %d remotes",
		                          SANCTUM_INVITE_MAX_URLS);
	memcpy(invite->urls[invite->nurls++], url, strlen(url) + 1); /* url_is_valid: it fits */
	return 0;
}

/* ---- encoding ----------------------------------------------------------------------- */

static void checksum(char out[CHECKSUM_LEN + 1], const void *body, size_t len)
{
	unsigned char hash[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(hash, body, len);
	sodium_bin2hex(out, CHECKSUM_LEN + 1, hash, CHECKSUM_LEN / 2);
}

int sanctum_invite_encode(sanctum_buf *out, const sanctum_invite *invite)
{
	sanctum_buf line = SANCTUM_BUF_INIT;
	char anchor[ANCHOR_B64 + 1], sum[CHECKSUM_LEN + 1];
	int error = 0;

	if (!out || !invite)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_invite_encode needs an output and an invitation");
	if (!id_is_valid(invite->group_id))
		return bad("the group id is not 32 lowercase hexadecimal digits");
	if (!name_is_valid(invite->name))
		return bad("the group name is not valid");
	if (invite->nurls == 0 || invite->nurls > SANCTUM_INVITE_MAX_URLS)
		return bad("it needs 1 to %d remotes", SANCTUM_INVITE_MAX_URLS);
	for (size_t i = 0; i < invite->nurls; i++) {
		if (!url_is_valid(invite->urls[i]))
			return bad("remote %zu is not valid", i + 1);
		if (has_url(invite, invite->urls[i], i))
			return bad("the remote '%s' is given twice", invite->urls[i]);
	}
	sodium_bin2base64(anchor, sizeof(anchor), invite->anchor, sizeof(invite->anchor),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((error = sanctum_buf_puts(&line, SANCTUM_INVITE_PREFIX ":")) < 0 ||
	    (error = sanctum_buf_puts(&line, invite->group_id)) < 0 ||
	    (error = sanctum_buf_puts(&line, ":")) < 0 ||
	    (error = sanctum_buf_puts(&line, anchor)) < 0 ||
	    (error = sanctum_buf_puts(&line, ":")) < 0 ||
	    (error = put_encoded(&line, invite->name)) < 0 ||
	    (error = sanctum_buf_puts(&line, ":")) < 0)
		goto done;
	for (size_t i = 0; i < invite->nurls; i++)
		if ((i > 0 && (error = sanctum_buf_puts(&line, ",")) < 0) ||
		    (error = put_encoded(&line, invite->urls[i])) < 0)
			goto done;
	checksum(sum, line.ptr, line.size);
	if ((error = sanctum_buf_puts(&line, ":")) < 0 || (error = sanctum_buf_puts(&line, sum)) < 0)
		goto done;
	if (line.size > SANCTUM_INVITE_MAX_LINE) {
		error = bad("it would be longer than %d characters: use fewer or shorter remotes",
		            SANCTUM_INVITE_MAX_LINE);
		goto done;
	}
	sanctum_buf_clear(out);
	error = sanctum_buf_put(out, line.ptr, line.size);
done:
	sanctum_buf_dispose(&line);
	return error;
}

/* ---- parsing ------------------------------------------------------------------------ */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int parse_urls(sanctum_invite *out, const char *text, size_t len)
{
	const char *why = NULL;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != ',')
			continue;
		if (out->nurls >= SANCTUM_INVITE_MAX_URLS)
			return bad("it names more than %d remotes", SANCTUM_INVITE_MAX_URLS);
		if (i == start)
			return bad("remote %zu is empty", out->nurls + 1);
		if (decode(out->urls[out->nurls], SANCTUM_INVITE_MAX_URL, text + start, i - start,
		           &why) < 0)
			return bad("remote %zu: %s", out->nurls + 1, why);
		if (!url_is_valid(out->urls[out->nurls]))
			return bad("remote %zu is not printable ASCII", out->nurls + 1);
		if (has_url(out, out->urls[out->nurls], out->nurls))
			return bad("remote %zu is given twice", out->nurls + 1);
		out->nurls++;
		start = i + 1;
	}
	return 0;
}

static int parse_fields(sanctum_invite *out, const char *line, size_t len)
{
	const char *field[FIELDS + 1], *why = NULL;
	size_t field_len[FIELDS + 1], n = 0, start = 0, got = 0;
	char sum[CHECKSUM_LEN + 1];

	for (size_t i = 0; i <= len && n <= FIELDS; i++) {
		if (i < len && line[i] != ':')
			continue;
		field[n] = line + start;
		field_len[n++] = i - start;
		start = i + 1;
	}
	if (n == 0 || field_len[0] != strlen(SANCTUM_INVITE_PREFIX) ||
	    memcmp(field[0], SANCTUM_INVITE_PREFIX, field_len[0]) != 0) {
		if (len >= strlen(MAGIC) && memcmp(line, MAGIC, strlen(MAGIC)) == 0)
			return bad("unsupported version (this sanctum reads '%s')",
			           SANCTUM_INVITE_PREFIX);
		return bad("it does not start with '%s:'", SANCTUM_INVITE_PREFIX);
	}
	if (n != FIELDS)
		return bad("it has %s parts than the %d of an invitation: it was cut short or "
		           "changed", n < FIELDS ? "fewer" : "more", FIELDS);
	if (field_len[5] != CHECKSUM_LEN || !is_lower_hex(field[5], CHECKSUM_LEN))
		return bad("the checksum is not %d lowercase hexadecimal digits", CHECKSUM_LEN);
	/* The checksum first: a damaged line is reported as such, whatever part it hit. */
	checksum(sum, line, (size_t)(field[5] - 1 - line));
	if (sodium_memcmp(sum, field[5], CHECKSUM_LEN) != 0)
		return bad("the checksum does not match: a character was changed or lost, copy "
		           "the invitation again");
	if (field_len[1] != 32 || !is_lower_hex(field[1], 32))
		return bad("the group id is not 32 lowercase hexadecimal digits");
	memcpy(out->group_id, field[1], 32);
	out->group_id[32] = '\0';
	if (field_len[2] != ANCHOR_B64 ||
	    sanctum_b64__decode(out->anchor, sizeof(out->anchor), &got, field[2], field_len[2],
	                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) < 0 ||
	    got != sizeof(out->anchor))
		return bad("the trust anchor is not 32 bytes of base64url");
	if (decode(out->name, SANCTUM_INVITE_MAX_NAME, field[3], field_len[3], &why) < 0)
		return bad("the group name: %s", why);
	if (!name_is_valid(out->name))
		return bad("the group name is empty or holds a control character");
	return parse_urls(out, field[4], field_len[4]);
}

int sanctum_invite_parse(sanctum_invite *out, const char *line, size_t len)
{
	int error;

	if (!out || (!line && len))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_invite_parse needs an output and a line");
	memset(out, 0, sizeof(*out));
	while (len > 0 && is_space(line[0])) {
		line++;
		len--;
	}
	while (len > 0 && is_space(line[len - 1]))
		len--;
	if (len == 0)
		return bad("it is empty");
	if (len > SANCTUM_INVITE_MAX_LINE)
		return bad("it is longer than any invitation (%d characters)",
		           SANCTUM_INVITE_MAX_LINE);
	if ((error = parse_fields(out, line, len)) < 0)
		memset(out, 0, sizeof(*out));
	return error;
}

/* ---- joining ------------------------------------------------------------------------ */

/* Appends "'url': why" to the account of failed remotes. */
static void note_failure(sanctum_buf *failures, const char *url, const char *why)
{
	char quoted[SANCTUM_QUOTE_MAX + 4];

	sanctum_error__quote(quoted, (const unsigned char *)url, strlen(url), SANCTUM_QUOTE_MAX);
	if (failures->size < 2048 &&
	    (failures->size == 0 || sanctum_buf_puts(failures, "; ") == 0) &&
	    sanctum_buf_puts(failures, "'") == 0 && sanctum_buf_puts(failures, quoted) == 0 &&
	    sanctum_buf_puts(failures, "': ") == 0 && sanctum_buf_puts(failures, why) < 0)
		sanctum_buf_clear(failures); /* out of memory: the message says less */
}

/* Fetches main of `url` into JOIN_REF. Returns 0, or -1 after noting why. */
static int fetch_main(git_oid *head, sanctum_store *store, const char *url,
                      sanctum_buf *failures)
{
	git_remote_create_options create;
	git_fetch_options opts;
	sanctum_transfer transfer;
	char *specs[1] = { REFSPEC };
	git_strarray refspecs = { specs, 1 };
	git_remote *remote = NULL;
	const char *why = NULL;
	char target[PATH_MAX];
	int rc;

	if (sanctum_remote__target(target, url, &why) < 0) {
		note_failure(failures, url, why);
		return -1;
	}
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	/* Credentials (ssh-agent, git's helpers) and the size limit, as a pull has them. */
	sanctum_transfer__anonymous(&transfer, store, url);
	sanctum_transfer__callbacks(&opts.callbacks, &transfer);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	/* Anonymous, and without url.*.insteadOf: its config scan leaks match data with
	 * libgit2 1.5 and PCRE2, and a store's remote is named as the invitation says. */
	git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	create.repository = store->repo;
	create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(&remote, target, &create);
	if (rc == 0)
		rc = git_remote_fetch(remote, &refspecs, &opts, "sanctum: join");
	git_remote_free(remote);
	if (rc < 0) {
		const git_error *e = git_error_last();

		note_failure(failures, url, e && e->message ? e->message : "cannot fetch");
		git_error_clear();
		return -1;
	}
	if (git_reference_name_to_id(head, store->repo, JOIN_REF) < 0) {
		git_error_clear();
		note_failure(failures, url, "it has no '" SANCTUM_STORE_BRANCH "' branch: is it a "
		                            "sanctum store?");
		return -1;
	}
	return 0;
}

/* The fetched main must hold the manifest the invitation's anchor names. */
static int check_manifest(sanctum_store *store, const git_oid *head,
                          const sanctum_invite *invite, const char *url)
{
	sanctum_buf data = SANCTUM_BUF_INIT;
	unsigned char anchor[crypto_hash_sha256_BYTES];
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int error = 0;

	if (git_commit_lookup(&commit, store->repo, head) < 0 || git_commit_tree(&tree, commit) < 0)
		error = sanctum_store__git_error("cannot read the fetched main");
	if (error == 0 &&
	    (error = sanctum_store__read_blob(&data, store, tree, "group", MANIFEST_MAX)) < 0)
		error = sanctum_error__wrap(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                            "the store at '%s' has no valid group manifest", url);
	if (error == 0) {
		crypto_hash_sha256(anchor, data.ptr, data.size);
		if (sodium_memcmp(anchor, invite->anchor, sizeof(anchor)) != 0)
			error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
			                           "the group manifest at '%s' does not match the "
			                           "invitation's trust anchor: it is another group's "
			                           "store, or it was tampered with; refusing it", url);
	}
	if (error == 0 &&
	    (error = sanctum_manifest__parse(&store->manifest, data.ptr, data.size)) < 0)
		error = sanctum_error__wrap(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                            "the group manifest at '%s'", url);
	if (error == 0 && (strcmp(store->manifest.id, invite->group_id) != 0 ||
	                   strcmp(store->manifest.name, invite->name) != 0))
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           "the invitation's group id or name is not the one its "
		                           "trust anchor names: the invitation was forged");
	sanctum_buf_dispose(&data);
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

/* Makes main point at the checked head and drops the private ref. */
static int adopt_main(sanctum_store *store, const git_oid *head)
{
	git_reference *ref = NULL;
	int error = 0;

	if (git_reference_create(&ref, store->repo, "refs/heads/" SANCTUM_STORE_BRANCH, head, 0,
	                         "sanctum: join") < 0)
		error = sanctum_store__git_error("cannot create main");
	git_reference_free(ref);
	if (error == 0 && git_reference_remove(store->repo, JOIN_REF) < 0)
		error = sanctum_store__git_error("cannot drop the fetched ref");
	return error;
}

static int check_newcomer(sanctum_store *store, const sanctum_identity *newcomer)
{
	const sanctum_member *m;
	sanctum_snapshot snap;
	sanctum_card card;
	int error = sanctum_store__snapshot_load(&snap, store);

	if (error < 0)
		return sanctum_error__wrap(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                           "the group's roster does not verify");
	sanctum_identity_card(&card, newcomer);
	m = sanctum_roster__member(&snap.roster, card.signing_key);
	if (!m)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "you are not a member of this group yet: send your card "
		                           "(sanctum keys show) to an admin");
	else if (!m->active)
		error = sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_INVALID,
		                           "'%s/%s' is no longer an active member of this group "
		                           "(removed, or its keys were replaced)",
		                           card.city, card.device);
	sanctum_store__snapshot_dispose(&snap);
	return error;
}

typedef struct {
	char first[400];
} problems;

static int on_problem(const sanctum_verify_problem *p, void *payload)
{
	problems *seen = payload;

	if (!seen->first[0])
		snprintf(seen->first, sizeof(seen->first), "commit %.12s%s%s: %s", p->commit,
		         p->path && p->path[0] ? " " : "", p->path ? p->path : "", p->message);
	return 0;
}

static int verify_history(sanctum_store *store, const sanctum_identity *newcomer)
{
	sanctum_verify_stats stats;
	problems seen;
	int error;

	memset(&seen, 0, sizeof(seen));
	memset(&stats, 0, sizeof(stats));
	error = sanctum_store_verify(&stats, store, newcomer, on_problem, &seen);
	if (error == SANCTUM_EVERIFY)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                          "the group's history does not verify (%zu problem%s); "
		                          "the first: %s", stats.problems,
		                          stats.problems == 1 ? "" : "s", seen.first);
	if (error < 0)
		return sanctum_error__wrap(error, sanctum_error_last()->klass,
		                           "cannot verify the group's history");
	return 0;
}

/*
 * Records the invitation's URLs as the remotes origin, origin-2, ... with git's default
 * fetch refspec: what `git remote add` writes. Written as config keys, not with
 * git_remote_create, which leaks its regex match data with libgit2 1.5 and PCRE2.
 */
static const char *remote_name(char out[32], size_t index)
{
	if (index == 0)
		snprintf(out, 32, "origin");
	else
		snprintf(out, 32, "origin-%zu", index + 1);
	return out;
}

static int record_remotes(sanctum_store *store, const sanctum_invite *invite)
{
	git_config *config = NULL;
	int error = 0;

	if (git_repository_config(&config, store->repo) < 0)
		return sanctum_store__git_error("cannot read the store's configuration");
	for (size_t i = 0; error == 0 && i < invite->nurls; i++) {
		char name[32], key[64], spec[96], target[PATH_MAX];
		const char *why = NULL;

		remote_name(name, i);
		if (sanctum_remote__target(target, invite->urls[i], &why) < 0)
			snprintf(target, sizeof(target), "%s", invite->urls[i]);
		snprintf(spec, sizeof(spec), "+refs/heads/*:refs/remotes/%s/*", name);
		snprintf(key, sizeof(key), "remote.%s.url", name);
		if (git_config_set_string(config, key, target) < 0)
			error = -1;
		snprintf(key, sizeof(key), "remote.%s.fetch", name);
		if (error == 0 && git_config_set_string(config, key, spec) < 0)
			error = -1;
	}
	if (error < 0)
		error = sanctum_store__git_error("cannot record the group's remotes");
	git_config_free(config);
	return error;
}

/* Creates DIR/.sanctum, empty; `made_dir` says whether DIR was made here. */
static int make_store_dir(sanctum_store **out, const char *dir, int *made_dir)
{
	char resolved[PATH_MAX];
	int error;

	*out = NULL;
	*made_dir = mkdir(dir, 0700) == 0;
	if (!*made_dir && errno != EEXIST)
		return sanctum_error__os("cannot create '%s'", dir);
	if (!realpath(dir, resolved)) {
		error = sanctum_error__os("cannot resolve '%s'", dir);
		goto fail;
	}
	if ((error = sanctum_store__claim(out, resolved)) < 0)
		goto fail;
	return 0;
fail:
	if (*made_dir)
		rmdir(dir);
	return error;
}

int sanctum_store_join(sanctum_store **out, const char *dir, const sanctum_invite *invite,
                       const sanctum_identity *newcomer)
{
	sanctum_buf failures = SANCTUM_BUF_INIT;
	sanctum_store *made = NULL, *store = NULL;
	const char *used = NULL;
	size_t used_index = 0;
	char name[32];
	git_oid head;
	int error, made_dir = 0;

	if (!out || !dir || !invite || !newcomer)
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "sanctum_store_join needs a folder, an invitation and an "
		                          "identity");
	*out = NULL;
	if (invite->nurls == 0 || invite->nurls > SANCTUM_INVITE_MAX_URLS)
		return bad("it needs 1 to %d remotes", SANCTUM_INVITE_MAX_URLS);
	if ((error = make_store_dir(&made, dir, &made_dir)) < 0)
		return error;
	error = sanctum_store__create_repository(made);
	if (error == 0)
		error = sanctum_store__lock(made);
	for (size_t i = 0; error == 0 && !used && i < invite->nurls; i++)
		if (fetch_main(&head, made, invite->urls[i], &failures) == 0) {
			used = invite->urls[i];
			used_index = i;
		}
	if (error == 0 && !used)
		error = sanctum_error__set(SANCTUM_ENOTFOUND, SANCTUM_ERRCLASS_GIT,
		                           "cannot fetch the group's store from any remote of the "
		                           "invitation: %.*s", (int)failures.size,
		                           failures.ptr ? (const char *)failures.ptr : "");
	if (error == 0)
		error = check_manifest(made, &head, invite, used);
	if (error == 0)
		error = adopt_main(made, &head);
	if (error == 0)
		error = sanctum_store__pin_anchor(made, invite->anchor);
	/* A full handle, opened as every later command will: it checks the pinned anchor. */
	if (error == 0)
		error = sanctum_store_open(&store, made->path, 0);
	if (error == 0)
		error = check_newcomer(store, newcomer);
	if (error == 0)
		error = verify_history(store, newcomer);
	if (error == 0)
		error = record_remotes(store, invite);
	/* The head just verified is the rollback record of the remote it came from. */
	if (error == 0)
		error = sanctum_sync__record_verified(store, remote_name(name, used_index), &head);
	sanctum_buf_dispose(&failures);
	if (error < 0) {
		sanctum_store_free(store);
		sanctum_store__discard(made);
		if (made_dir)
			rmdir(dir);
		return error;
	}
	sanctum_store_free(made);
	*out = store;
	return 0;
}

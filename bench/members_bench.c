/*
 * bench_members: what group size and membership changes cost, in one process, with the
 * stores in a fresh folder under $TMPDIR (else /tmp) that is removed at the end.
 *
 *   (1) Reading one document as the group grows. A store is founded, given 2 more
 *       members and one small document; sanctum_store_read of that document is timed at
 *       3 members, then 297 more members are added (each add timed) and it is timed again
 *       at 300. Each read is timed on a fresh handle (sanctum_store_open + read + free, so
 *       the handle's epoch-key cache cannot hide the opening of the epoch file) and on a
 *       warm handle (the same handle, read once before timing). Two readers: the founder,
 *       whose recipient stanza comes first in the epoch file, and the newest member, whose
 *       stanza comes last. The goal is "one X25519 operation whatever the group size":
 *       crypto_scalarmult is timed in the same run, and the parts of a read are timed on
 *       their own with the public API (the handle's open and free; sanctum_store_members,
 *       which replays the roster as every read does; sanctum_age_decrypt of the epoch file
 *       as each reader).
 *   (2) Removing a member and rekeying. Another store of 3 members is given 10,000 small
 *       documents (200 to 1999 bytes, sanctum_store_add in batches of 1000); one member is
 *       removed (sanctum_store_member_remove, timed) and the founder rekeys every document
 *       to the new epoch (sanctum_store_rekey, timed). The removed member must then fail
 *       to read a document and the founder must read it.
 *
 * Medians of --reads timings (odd), CLOCK_MONOTONIC. The table at the end says "met" or
 * "MISSED" against the targets in bench/README.md.
 */
#define _XOPEN_SOURCE 700 /* nftw */

#include "sanctum/sanctum.h"

#include <errno.h>
#include <ftw.h>
#include <git2.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TARGET_READ_RATIO 1.5     /* read at 300 members / read at 3 members, at most */
#define TARGET_REKEY_SECONDS 10.0
#define BATCH 1000
#define SMALL_GROUP 3

typedef struct {
	int members;                  /* the big group */
	int docs;                     /* documents for the rekey part */
	int reads;                    /* timed reads per measure (odd) */
	int parts;                    /* 1: reads, 2: rekey */
} bench_opts;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	const sanctum_error *e = sanctum_error_last();

	fprintf(stderr, "bench_members: %s failed: %s\n", what,
	        e->code && e->message ? e->message : "");
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* splitmix64, for document sizes and bodies. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Printable text, lines of 64 characters. */
static void fill_text(unsigned char *buf, size_t len, uint64_t *state)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz      ";

	for (size_t i = 0; i < len; i++) {
		if (i % 65 == 64)
			buf[i] = '\n';
		else
			buf[i] = (unsigned char)alphabet[next_random(state) % (sizeof(alphabet) - 1)];
	}
}

/* ---- removing the folder ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "bench_members: cannot remove '%s': %s\n", path, strerror(errno));
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- members ---- */

static int make_identity(sanctum_identity **out, const char *city, int n)
{
	char name[SANCTUM_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s%d", city, n);
	if (sanctum_identity_generate(out, name, "laptop") < 0)
		return fail("sanctum_identity_generate");
	return 0;
}

/* Adds `who` to the store as a plain member, with history. */
static int add_member(sanctum_store *store, const sanctum_identity *who,
                      const sanctum_identity *admin)
{
	sanctum_member_add_options opts = SANCTUM_MEMBER_ADD_OPTIONS_INIT;
	sanctum_change_result result = 0;
	sanctum_card card;

	sanctum_identity_card(&card, who);
	if (sanctum_store_member_add(store, &card, &opts, admin, &result) < 0)
		return fail("sanctum_store_member_add");
	if (result != SANCTUM_CHANGE_APPLIED) {
		fprintf(stderr, "bench_members: the add became a proposal\n");
		return -1;
	}
	return 0;
}

/* ---- part 1: reads ---- */

/* What one group size costs, for one reader. Microseconds. */
typedef struct {
	double fresh;                 /* open + read + free */
	double warm;                  /* read on a handle that has read before */
	double epoch_decrypt;         /* sanctum_age_decrypt of the epoch file, no hint */
	double epoch_hinted;          /* the same, first_stanza at the reader's place */
} reader_cost;

typedef struct {
	int members;
	reader_cost founder, newest;
	double open_free;             /* sanctum_store_open + free */
	double roster;                /* sanctum_store_members on a warm handle */
	size_t stanzas;               /* recipient stanzas in the epoch file */
	size_t epoch_file;            /* bytes */
} size_cost;

static int time_reads(reader_cost *out, const char *dir, const unsigned char *id,
                      const sanctum_identity *reader, int reads)
{
	double *t = calloc((size_t)reads, sizeof(*t));
	sanctum_store *store = NULL;
	int rc = 0;

	if (!t)
		return fail("calloc");
	for (int i = 0; rc == 0 && i < reads; i++) {
		sanctum_doc doc = SANCTUM_DOC_INIT;
		double t0 = now();

		if (sanctum_store_open(&store, dir, 0) < 0)
			rc = fail("sanctum_store_open");
		else if (sanctum_store_read(&doc, store, id, reader) < 0)
			rc = fail("sanctum_store_read (fresh handle)");
		sanctum_doc_dispose(&doc);
		sanctum_store_free(store);
		store = NULL;
		t[i] = (now() - t0) * 1e6;
	}
	if (rc == 0)
		out->fresh = median(t, (size_t)reads);
	if (rc == 0 && sanctum_store_open(&store, dir, 0) < 0)
		rc = fail("sanctum_store_open");
	for (int i = -1; rc == 0 && i < reads; i++) {
		sanctum_doc doc = SANCTUM_DOC_INIT;
		double t0 = now();

		if (sanctum_store_read(&doc, store, id, reader) < 0)
			rc = fail("sanctum_store_read (warm handle)");
		sanctum_doc_dispose(&doc);
		if (i >= 0)
			t[i] = (now() - t0) * 1e6;
	}
	if (rc == 0)
		out->warm = median(t, (size_t)reads);
	sanctum_store_free(store);
	free(t);
	return rc;
}

/* The newest epoch file on main, read with libgit2 (the store's repository is bare). */
static int read_epoch_file(sanctum_buf *out, const char *dir, uint64_t epoch)
{
	char gitdir[4096], path[64];
	git_repository *repo = NULL;
	git_object *obj = NULL;
	int rc = -1;

	snprintf(gitdir, sizeof(gitdir), "%s/%s", dir, SANCTUM_STORE_DIRNAME);
	snprintf(path, sizeof(path), "refs/heads/%s:epochs/%06llu.age", SANCTUM_STORE_BRANCH,
	         (unsigned long long)epoch);
	if (git_repository_open_bare(&repo, gitdir) == 0 &&
	    git_revparse_single(&obj, repo, path) == 0 &&
	    git_object_type(obj) == GIT_OBJECT_BLOB) {
		git_blob *blob = (git_blob *)obj;

		out->size = 0;
		if (sanctum_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) == 0)
			rc = 0;
	}
	if (rc < 0)
		fprintf(stderr, "bench_members: cannot read '%s' in '%s'\n", path, gitdir);
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}

static size_t count_stanzas(const sanctum_buf *file)
{
	const char *p = (const char *)file->ptr, *end = p + file->size;
	size_t n = 0;

	/* Stanzas are the header lines "-> X25519 ..." before the "---" MAC line. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) >= 3 && memcmp(p, "---", 3) == 0)
			break;
		if ((size_t)(end - p) >= 10 && memcmp(p, "-> X25519 ", 10) == 0)
			n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

static int time_epoch_decrypt(double *out, const sanctum_buf *file,
                              const sanctum_identity *reader, const size_t *hint, int reads)
{
	const sanctum_age_identity *id = sanctum_identity_age(reader);
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	double *t = calloc((size_t)reads, sizeof(*t));
	int rc = 0;

	if (!t)
		return fail("calloc");
	if (hint)
		opts.first_stanza = *hint;
	for (int i = 0; rc == 0 && i < reads; i++) {
		sanctum_buf plain = SANCTUM_BUF_INIT;
		double t0 = now();

		if (sanctum_age_decrypt(&plain, &id, 1, &opts, file->ptr, file->size) < 0)
			rc = fail("sanctum_age_decrypt of the epoch file");
		t[i] = (now() - t0) * 1e6;
		sanctum_buf_dispose(&plain);
	}
	if (rc == 0)
		*out = median(t, (size_t)reads);
	free(t);
	return rc;
}

static int measure_size(size_cost *out, const char *dir, const unsigned char *id,
                        const sanctum_identity *founder, const sanctum_identity *newest,
                        int reads)
{
	double *t = calloc((size_t)reads, sizeof(*t));
	sanctum_buf epoch_file = SANCTUM_BUF_INIT;
	sanctum_store *store = NULL;
	sanctum_member_list list;
	uint64_t epoch = 0;
	int rc = 0;

	if (!t)
		return fail("calloc");
	rc = time_reads(&out->founder, dir, id, founder, reads);
	if (rc == 0)
		rc = time_reads(&out->newest, dir, id, newest, reads);
	/* The handle alone. */
	for (int i = 0; rc == 0 && i < reads; i++) {
		double t0 = now();

		if (sanctum_store_open(&store, dir, 0) < 0)
			rc = fail("sanctum_store_open");
		sanctum_store_free(store);
		store = NULL;
		t[i] = (now() - t0) * 1e6;
	}
	if (rc == 0)
		out->open_free = median(t, (size_t)reads);
	/* Replaying the roster: sanctum_store_members does it as every read does. */
	if (rc == 0 && sanctum_store_open(&store, dir, 0) < 0)
		rc = fail("sanctum_store_open");
	for (int i = -1; rc == 0 && i < reads; i++) {
		double t0 = now();

		if (sanctum_store_members(&list, store) < 0) {
			rc = fail("sanctum_store_members");
			break;
		}
		if (i >= 0)
			t[i] = (now() - t0) * 1e6;
		out->members = (int)list.count;
		epoch = list.epoch;
		sanctum_member_list_dispose(&list);
	}
	if (rc == 0)
		out->roster = median(t, (size_t)reads);
	sanctum_store_free(store);
	/* The epoch file on its own, as each reader. */
	if (rc == 0)
		rc = read_epoch_file(&epoch_file, dir, epoch);
	if (rc == 0) {
		out->stanzas = count_stanzas(&epoch_file);
		out->epoch_file = epoch_file.size;
		rc = time_epoch_decrypt(&out->founder.epoch_decrypt, &epoch_file, founder, NULL,
		                        reads);
	}
	if (rc == 0)
		rc = time_epoch_decrypt(&out->newest.epoch_decrypt, &epoch_file, newest, NULL, reads);
	/* Epoch files are sealed in roster order: the newest member's stanza is the last. */
	if (rc == 0 && out->stanzas > 0) {
		size_t last = out->stanzas - 1;

		rc = time_epoch_decrypt(&out->newest.epoch_hinted, &epoch_file, newest, &last, reads);
	}
	sanctum_buf_dispose(&epoch_file);
	free(t);
	return rc;
}

static double time_scalarmult(int reads)
{
	unsigned char secret[crypto_scalarmult_SCALARBYTES], point[crypto_scalarmult_BYTES];
	unsigned char shared[crypto_scalarmult_BYTES];
	enum { PER_SAMPLE = 20 };
	double *t = calloc((size_t)reads, sizeof(*t)), m = 0;

	if (!t)
		return 0;
	randombytes_buf(secret, sizeof(secret));
	crypto_scalarmult_base(point, secret);
	randombytes_buf(secret, sizeof(secret));
	for (int i = 0; i < reads; i++) {
		double t0 = now();

		for (int j = 0; j < PER_SAMPLE; j++) {
			if (crypto_scalarmult(shared, secret, point) != 0)
				break;
			secret[0] ^= shared[0];   /* keep the calls from being folded */
		}
		t[i] = (now() - t0) * 1e6 / PER_SAMPLE;
	}
	m = median(t, (size_t)reads);
	free(t);
	return m;
}

typedef struct {
	size_cost small, big;
	double scalarmult;            /* µs */
	double add_total, add_first, add_last;   /* s, ms, ms */
	int added;
} read_result;

static void print_size(const size_cost *c, double x25519)
{
	printf("  %d members, epoch file %zu bytes, %zu X25519 stanzas:\n", c->members,
	       c->epoch_file, c->stanzas);
	printf("    %-46s %10.1f us\n", "sanctum_store_open + free", c->open_free);
	printf("    %-46s %10.1f us\n", "roster replay (sanctum_store_members, warm)", c->roster);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "epoch file decrypt, founder (first stanza)",
	       c->founder.epoch_decrypt, c->founder.epoch_decrypt / x25519);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "epoch file decrypt, newest (last stanza)",
	       c->newest.epoch_decrypt, c->newest.epoch_decrypt / x25519);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "  the same with first_stanza at its place",
	       c->newest.epoch_hinted, c->newest.epoch_hinted / x25519);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "read, fresh handle, founder",
	       c->founder.fresh, c->founder.fresh / x25519);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "read, fresh handle, newest member",
	       c->newest.fresh, c->newest.fresh / x25519);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "read, warm handle, founder",
	       c->founder.warm, c->founder.warm / x25519);
	printf("    %-46s %10.1f us  (%5.1f x X25519)\n", "read, warm handle, newest member",
	       c->newest.warm, c->newest.warm / x25519);
}

static int bench_reads(read_result *r, const bench_opts *o, const char *root)
{
	sanctum_identity **ids = calloc((size_t)o->members, sizeof(*ids));
	unsigned char doc_id[SANCTUM_DOC_ID_SIZE];
	static const char body[] = "The clinic's walk-in hours move to Thursday afternoons.\n";
	sanctum_new_doc doc = { (const unsigned char *)body, sizeof(body) - 1, "hours", NULL, 0,
	                        "text/plain" };
	sanctum_store *store = NULL;
	char dir[4096];
	int rc = 0;

	if (!ids)
		return fail("calloc");
	snprintf(dir, sizeof(dir), "%s/group", root);
	for (int i = 0; rc == 0 && i < o->members; i++)
		rc = make_identity(&ids[i], "city", i + 1);
	if (rc == 0 && sanctum_store_init(&store, dir, "bench", ids[0]) < 0)
		rc = fail("sanctum_store_init");
	for (int i = 1; rc == 0 && i < SMALL_GROUP; i++)
		rc = add_member(store, ids[i], ids[0]);
	if (rc == 0 && sanctum_store_add(store, &doc_id, &doc, 1, ids[0]) < 0)
		rc = fail("sanctum_store_add");
	sanctum_store_free(store);
	store = NULL;

	r->scalarmult = time_scalarmult(o->reads);
	printf("crypto_scalarmult (X25519), this run: %.1f us\n", r->scalarmult);
	fflush(stdout);
	if (rc == 0)
		rc = measure_size(&r->small, dir, doc_id, ids[0], ids[SMALL_GROUP - 1], o->reads);
	if (rc == 0) {
		print_size(&r->small, r->scalarmult);
		fflush(stdout);
	}

	/* Grow the group; the adds go through a handle of their own, as `member add` does. */
	if (rc == 0 && sanctum_store_open(&store, dir, 0) < 0)
		rc = fail("sanctum_store_open");
	if (rc == 0) {
		double t0 = now();

		for (int i = SMALL_GROUP; rc == 0 && i < o->members; i++) {
			double t1 = now();

			rc = add_member(store, ids[i], ids[0]);
			t1 = (now() - t1) * 1e3;
			if (i == SMALL_GROUP)
				r->add_first = t1;
			r->add_last = t1;
			r->added++;
		}
		r->add_total = now() - t0;
	}
	sanctum_store_free(store);
	store = NULL;
	if (rc == 0) {
		printf("added %d members in %.2f s (first add %.1f ms, last add %.1f ms)\n", r->added,
		       r->add_total, r->add_first, r->add_last);
		fflush(stdout);
		rc = measure_size(&r->big, dir, doc_id, ids[0], ids[o->members - 1], o->reads);
	}
	if (rc == 0)
		print_size(&r->big, r->scalarmult);
	for (int i = 0; i < o->members; i++)
		sanctum_identity_free(ids[i]);
	free(ids);
	return rc;
}

/* ---- part 2: remove and rekey ---- */

typedef struct {
	int docs;
	double add_total;             /* s */
	double remove;                /* s */
	double rekey;                 /* s */
	size_t rekeyed;
} rekey_result;

static int bench_rekey(rekey_result *r, const bench_opts *o, const char *root)
{
	sanctum_identity *ids[SMALL_GROUP] = { NULL };
	unsigned char (*doc_ids)[SANCTUM_DOC_ID_SIZE] = calloc(BATCH, sizeof(*doc_ids));
	sanctum_new_doc *docs = calloc(BATCH, sizeof(*docs));
	unsigned char *bodies = malloc((size_t)BATCH * 2000);
	char (*titles)[32] = calloc(BATCH, sizeof(*titles));
	sanctum_store *store = NULL;
	sanctum_doc doc = SANCTUM_DOC_INIT;
	sanctum_card gone;
	char dir[4096], fingerprint[SANCTUM_FINGERPRINT_SIZE];
	uint64_t state = 1;
	int rc = 0;

	if (!doc_ids || !docs || !bodies || !titles)
		rc = fail("allocating the documents");
	snprintf(dir, sizeof(dir), "%s/docs", root);
	for (int i = 0; rc == 0 && i < SMALL_GROUP; i++)
		rc = make_identity(&ids[i], "town", i + 1);
	if (rc == 0 && sanctum_store_init(&store, dir, "bench-rekey", ids[0]) < 0)
		rc = fail("sanctum_store_init");
	for (int i = 1; rc == 0 && i < SMALL_GROUP; i++)
		rc = add_member(store, ids[i], ids[0]);

	if (rc == 0) {
		double t0 = now();

		for (int done = 0; rc == 0 && done < o->docs; done += BATCH) {
			size_t n = (size_t)(o->docs - done < BATCH ? o->docs - done : BATCH);

			for (size_t i = 0; i < n; i++) {
				size_t len = 200 + (size_t)(next_random(&state) % 1800);

				fill_text(bodies + i * 2000, len, &state);
				snprintf(titles[i], sizeof(titles[i]), "note %d", done + (int)i + 1);
				docs[i].body = bodies + i * 2000;
				docs[i].len = len;
				docs[i].title = titles[i];
				docs[i].type = "text/plain";
			}
			if (sanctum_store_add(store, doc_ids, docs, n, ids[1]) < 0)
				rc = fail("sanctum_store_add");
		}
		r->add_total = now() - t0;
		r->docs = o->docs;
	}
	if (rc == 0) {
		printf("added %d documents in batches of %d in %.2f s\n", r->docs, BATCH,
		       r->add_total);
		fflush(stdout);
	}

	/* Remove the last member; the founder (an admin) rekeys. */
	sanctum_identity_card(&gone, ids[SMALL_GROUP - 1]);
	sanctum_key_fingerprint(fingerprint, gone.signing_key);
	if (rc == 0) {
		sanctum_change_result result = 0;
		double t0 = now();

		if (sanctum_store_member_remove(store, fingerprint, ids[0], &result) < 0)
			rc = fail("sanctum_store_member_remove");
		r->remove = now() - t0;
		if (rc == 0 && result != SANCTUM_CHANGE_APPLIED) {
			fprintf(stderr, "bench_members: the removal became a proposal\n");
			rc = -1;
		}
	}
	if (rc == 0) {
		double t0 = now();

		if (sanctum_store_rekey(store, ids[0], &r->rekeyed) < 0)
			rc = fail("sanctum_store_rekey");
		r->rekey = now() - t0;
	}
	/* Checks: the founder reads the last document, the removed member cannot. */
	if (rc == 0 && sanctum_store_read(&doc, store, doc_ids[0], ids[0]) < 0)
		rc = fail("sanctum_store_read after the rekey");
	sanctum_doc_dispose(&doc);
	if (rc == 0 && sanctum_store_read(&doc, store, doc_ids[0], ids[SMALL_GROUP - 1]) == 0) {
		fprintf(stderr, "bench_members: the removed member still reads a rekeyed document\n");
		rc = -1;
	}
	sanctum_doc_dispose(&doc);
	if (rc == 0 && r->rekeyed != (size_t)r->docs) {
		fprintf(stderr, "bench_members: rekeyed %zu documents of %d\n", r->rekeyed, r->docs);
		rc = -1;
	}
	if (rc == 0) {
		printf("removed a member in %.3f s; rekeyed %zu documents in %.2f s\n", r->remove,
		       r->rekeyed, r->rekey);
		fflush(stdout);
	}
	sanctum_error_clear();
	sanctum_store_free(store);
	for (int i = 0; i < SMALL_GROUP; i++)
		sanctum_identity_free(ids[i]);
	free(doc_ids);
	free(docs);
	free(bodies);
	free(titles);
	return rc;
}

/* ---- main ---- */

static const char *verdict(int ok)
{
	return ok ? "met" : "MISSED";
}

static void print_table(const read_result *rd, const rekey_result *rk, int parts)
{
	printf("\n| measure | value | target | verdict |\n");
	printf("|---------|-------|--------|---------|\n");
	if (parts & 1) {
		const size_cost *s = &rd->small, *b = &rd->big;
		double ff = b->founder.fresh / s->founder.fresh, fn = b->newest.fresh / s->newest.fresh;
		double wf = b->founder.warm / s->founder.warm, wn = b->newest.warm / s->newest.warm;

		printf("| X25519 scalarmult | %.1f us | | |\n", rd->scalarmult);
		printf("| read, fresh handle, founder: %d / %d members | %.0f / %.0f us = %.2fx | "
		       "<= %.1fx | %s |\n", b->members, s->members, b->founder.fresh,
		       s->founder.fresh, ff, TARGET_READ_RATIO, verdict(ff <= TARGET_READ_RATIO));
		printf("| read, fresh handle, newest member: %d / %d | %.0f / %.0f us = %.2fx | "
		       "<= %.1fx | %s |\n", b->members, s->members, b->newest.fresh, s->newest.fresh,
		       fn, TARGET_READ_RATIO, verdict(fn <= TARGET_READ_RATIO));
		printf("| read, warm handle, founder: %d / %d | %.0f / %.0f us = %.2fx | <= %.1fx | "
		       "%s |\n", b->members, s->members, b->founder.warm, s->founder.warm, wf,
		       TARGET_READ_RATIO, verdict(wf <= TARGET_READ_RATIO));
		printf("| read, warm handle, newest member: %d / %d | %.0f / %.0f us = %.2fx | "
		       "<= %.1fx | %s |\n", b->members, s->members, b->newest.warm, s->newest.warm,
		       wn, TARGET_READ_RATIO, verdict(wn <= TARGET_READ_RATIO));
		printf("| read at %d, fresh, newest member, in X25519 ops | %.1f | | |\n", b->members,
		       b->newest.fresh / rd->scalarmult);
		printf("| fresh - warm, newest member (epoch key, cold caches) at %d / %d | "
		       "%.0f / %.0f us | | |\n", b->members, s->members,
		       b->newest.fresh - b->newest.warm, s->newest.fresh - s->newest.warm);
		printf("| roster replay at %d / %d members | %.0f / %.0f us | | |\n", b->members,
		       s->members, b->roster, s->roster);
		printf("| epoch file decrypt at %d: founder / newest, no hint / newest, hint | "
		       "%.0f / %.0f / %.0f us | | |\n", b->members, b->founder.epoch_decrypt,
		       b->newest.epoch_decrypt, b->newest.epoch_hinted);
		printf("| add %d members (with history) | %.2f s; first %.1f ms, last %.1f ms | | |\n",
		       rd->added, rd->add_total, rd->add_first, rd->add_last);
	}
	if (parts & 2) {
		printf("| add %d documents, batches of %d | %.2f s | | |\n", rk->docs, BATCH,
		       rk->add_total);
		printf("| member remove, %d documents | %.3f s | | |\n", rk->docs, rk->remove);
		printf("| rekey %zu documents | %.2f s | < %.0f s | %s |\n", rk->rekeyed, rk->rekey,
		       TARGET_REKEY_SECONDS, verdict(rk->rekey < TARGET_REKEY_SECONDS));
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_members [--members N] [--docs N] [--reads N] [--only-reads] "
	           "[--only-rekey]\n"
	           "  --members N  size of the big group (default 300, at least 4)\n"
	           "  --docs N     documents for remove and rekey (default 10000)\n"
	           "  --reads N    timings per measure, median taken (default 101)\n");
}

static int parse_int(int *out, const char *text, int min)
{
	char *end;
	long v;

	errno = 0;
	v = text ? strtol(text, &end, 10) : 0;
	if (!text || errno || end == text || *end || v < min || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_args(bench_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--members") == 0) {
			if (i + 1 >= argc || parse_int(&o->members, argv[++i], SMALL_GROUP + 1) < 0)
				return -1;
		} else if (strcmp(a, "--docs") == 0) {
			if (i + 1 >= argc || parse_int(&o->docs, argv[++i], 1) < 0)
				return -1;
		} else if (strcmp(a, "--reads") == 0) {
			if (i + 1 >= argc || parse_int(&o->reads, argv[++i], 1) < 0)
				return -1;
		} else if (strcmp(a, "--only-reads") == 0) {
			o->parts = 1;
		} else if (strcmp(a, "--only-rekey") == 0) {
			o->parts = 2;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			return 1;
		} else {
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	bench_opts o = { 300, 10000, 101, 3 };
	read_result rd;
	rekey_result rk;
	const char *tmp = getenv("TMPDIR");
	char root[2048];
	int rc;

	memset(&rd, 0, sizeof(rd));
	memset(&rk, 0, sizeof(rk));
	rc = parse_args(&o, argc, argv);
	if (rc != 0) {
		usage(rc < 0 ? stderr : stdout);
		return rc < 0 ? 2 : 0;
	}
	if (sanctum_init() < 0) {
		fail("sanctum_init");
		return 1;
	}
	snprintf(root, sizeof(root), "%s/sanctum-members-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		fprintf(stderr, "bench_members: cannot make a folder under '%s': %s\n",
		        tmp && *tmp ? tmp : "/tmp", strerror(errno));
		sanctum_shutdown();
		return 1;
	}
	printf("bench_members: %s; %d members, %d documents, median of %d\n",
	       sanctum_version_string(), o.members, o.docs, o.reads);
	rc = 0;
	if (o.parts & 1)
		rc = bench_reads(&rd, &o, root);
	if (rc == 0 && (o.parts & 2))
		rc = bench_rekey(&rk, &o, root);
	if (rc == 0)
		print_table(&rd, &rk, o.parts);
	remove_tree(root);
	sanctum_shutdown();
	return rc < 0 ? 1 : 0;
}

/*
 * store_bench: the helper of store_bench.sh, for what a shell cannot do quickly.
 *
 *   store_bench gen DIR COUNT SEED
 *       Writes COUNT documents DIR/doc-NNNNN.txt or .bin, about half each: sizes from
 *       512 B to 64 KiB - 1, an octave (512-1023, 1024-2047, ..., 32768-65535) at random
 *       and uniform within it (mean about 13.6 KiB), text made of
 *       words for .txt and random bytes for .bin, all from a fixed-seed generator, so the
 *       same SEED always gives the same files. Prints "files COUNT bytes TOTAL".
 *   store_bench list STORE IDENTITY RUNS
 *       Times, in this process, sanctum_store_open + sanctum_store_list + free against an
 *       up-to-date index (one untimed list first brings it up to date).
 *   store_bench show STORE IDENTITY ID RUNS
 *       Times sanctum_store_read of one document (decrypt, check the signature and the
 *       author) with the store held open, and sanctum_store_open + read + free.
 *   store_bench gitlist GIT_DIR RUNS
 *       libgit2 on a plain repository: open, walk HEAD's tree counting the files, free.
 *   store_bench gitshow GIT_DIR PATH RUNS
 *       libgit2: the blob at HEAD:PATH with the repository held open, and open + read.
 *
 * The timed commands print one line per measure, "NAME MEDIAN_MS BEST_MS RUNS", timed
 * with CLOCK_MONOTONIC. The identity is loaded once, outside the timings: it is a plain
 * (unencrypted) identity file, as `sanctum keys gen --no-passphrase` writes.
 */
#include "sanctum/sanctum.h"

#include <errno.h>
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GEN_MIN_LOG2 9  /* 512 B */
#define GEN_MAX_LOG2 16 /* 64 KiB */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fail(const char *what)
{
	const sanctum_error *e = sanctum_error_last();

	fprintf(stderr, "store_bench: %s: %s\n", what,
	        e->code && e->message ? e->message : "failed");
	return 1;
}

static int fail_git(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "store_bench: %s: %s\n", what, e && e->message ? e->message : "failed");
	return 1;
}

static int parse_count(unsigned long *out, const char *text)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || *out == 0 || *out > 10000000ul) {
		fprintf(stderr, "store_bench: '%s' is not a count\n", text);
		return -1;
	}
	return 0;
}

/* ---- timings --------------------------------------------------------------------------- */

typedef struct {
	double *ms;
	size_t n;
} samples;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, samples *s)
{
	double median;

	qsort(s->ms, s->n, sizeof(*s->ms), cmp_double);
	median = s->n % 2 ? s->ms[s->n / 2] : (s->ms[s->n / 2 - 1] + s->ms[s->n / 2]) / 2;
	printf("%s %.4f %.4f %zu\n", name, median, s->ms[0], s->n);
}

/* ---- gen ------------------------------------------------------------------------------- */

/* splitmix64: small, fast and good enough to pick sizes and fill bytes. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const words[] = {
	"legal",    "aid",      "hotline",  "shelter",  "court",    "county",   "rights",
	"tenant",   "housing",  "contact",  "office",   "hours",    "monday",   "friday",
	"call",     "the",      "a",        "of",       "and",      "to",       "for",
	"in",       "with",     "public",   "defender", "clinic",   "free",     "advice",
	"family",   "support",  "emergency","response", "network",  "volunteer","city",
	"policy",   "template", "guide",    "appeal",   "hearing",  "notice",   "deadline",
	"form",     "language", "interpreter", "available", "walk-in", "appointment",
	"address",  "street",   "phone",    "email",    "website",  "update",   "review",
};

/* Fills `buf` with lines of words (about 70 characters each). */
static void fill_text(unsigned char *buf, size_t len, uint64_t *state)
{
	size_t nwords = sizeof(words) / sizeof(words[0]), at = 0, line = 0;

	while (at < len) {
		const char *w = words[next_random(state) % nwords];
		size_t wl = strlen(w);

		for (size_t i = 0; i < wl && at < len; i++, line++)
			buf[at++] = (unsigned char)w[i];
		if (at < len) {
			buf[at++] = line >= 70 ? '\n' : ' ';
			line = line >= 70 ? 0 : line + 1;
		}
	}
	if (len > 0)
		buf[len - 1] = '\n';
}

static void fill_random(unsigned char *buf, size_t len, uint64_t *state)
{
	size_t at = 0;

	while (at < len) {
		uint64_t r = next_random(state);
		size_t n = len - at < 8 ? len - at : 8;

		memcpy(buf + at, &r, n);
		at += n;
	}
}

static int cmd_gen(int argc, char **argv)
{
	unsigned long count, seed;
	unsigned char *buf = malloc((size_t)1 << GEN_MAX_LOG2);
	unsigned long long total = 0;
	uint64_t state;
	char path[4096];

	if (argc != 5 || parse_count(&count, argv[3]) < 0 || parse_count(&seed, argv[4]) < 0) {
		free(buf);
		fprintf(stderr, "usage: store_bench gen DIR COUNT SEED\n");
		return 2;
	}
	if (!buf)
		return fail("out of memory");
	state = seed;
	for (unsigned long i = 1; i <= count; i++) {
		/* An octave 2^k .. 2^(k+1) - 1 at random, then a size uniform within it. */
		unsigned k = GEN_MIN_LOG2 +
		             (unsigned)(next_random(&state) % (GEN_MAX_LOG2 - GEN_MIN_LOG2));
		size_t len = ((size_t)1 << k) + (size_t)(next_random(&state) % ((uint64_t)1 << k));
		int text = next_random(&state) & 1;
		FILE *f;

		if (text)
			fill_text(buf, len, &state);
		else
			fill_random(buf, len, &state);
		snprintf(path, sizeof(path), "%s/doc-%05lu.%s", argv[2], i, text ? "txt" : "bin");
		if (!(f = fopen(path, "wb")) || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			fprintf(stderr, "store_bench: cannot write '%s': %s\n", path, strerror(errno));
			free(buf);
			return 1;
		}
		total += len;
	}
	free(buf);
	printf("files %lu bytes %llu\n", count, total);
	return 0;
}

/* ---- sanctum, in process -------------------------------------------------------------- */

static int load_identity(sanctum_identity **out, const char *path)
{
	if (sanctum_identity_load(out, path, NULL, NULL) < 0)
		return fail("cannot load the identity (it must be a plain one)");
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	sanctum_identity *identity = NULL;
	samples s = { NULL, 0 };
	unsigned long runs;
	size_t count = 0;
	int rc = 1;

	if (argc != 5 || parse_count(&runs, argv[4]) < 0) {
		fprintf(stderr, "usage: store_bench list STORE IDENTITY RUNS\n");
		return 2;
	}
	if (load_identity(&identity, argv[3]) != 0)
		return 1;
	if (!(s.ms = calloc(runs + 1, sizeof(*s.ms))))
		goto done;
	/* Run 0 brings the index up to date and is not counted. */
	for (unsigned long i = 0; i <= runs; i++) {
		sanctum_doc_list list = { NULL, 0 };
		sanctum_store *store = NULL;
		double t0 = now_ms();

		if (sanctum_store_open(&store, argv[2], 0) < 0) {
			rc = fail("cannot open the store");
			goto done;
		}
		if (sanctum_store_list(&list, store, identity) < 0) {
			sanctum_store_free(store);
			rc = fail("cannot list the store");
			goto done;
		}
		count = list.count;
		sanctum_doc_list_dispose(&list);
		sanctum_store_free(store);
		if (i > 0)
			s.ms[s.n++] = now_ms() - t0;
	}
	report("list_open", &s);
	printf("list_count %zu\n", count);
	rc = 0;
done:
	free(s.ms);
	sanctum_identity_free(identity);
	return rc;
}

static int read_one(sanctum_store *store, const unsigned char id[SANCTUM_DOC_ID_SIZE],
                    const sanctum_identity *identity)
{
	sanctum_doc doc = SANCTUM_DOC_INIT;
	int error = sanctum_store_read(&doc, store, id, identity);

	sanctum_doc_dispose(&doc);
	return error;
}

static int cmd_show(int argc, char **argv)
{
	sanctum_identity *identity = NULL;
	sanctum_store *store = NULL;
	samples held = { NULL, 0 }, opened = { NULL, 0 };
	unsigned char id[SANCTUM_DOC_ID_SIZE];
	unsigned long runs;
	int rc = 1;

	if (argc != 6 || parse_count(&runs, argv[5]) < 0) {
		fprintf(stderr, "usage: store_bench show STORE IDENTITY ID RUNS\n");
		return 2;
	}
	if (sanctum_doc_id_from_hex(id, argv[4]) < 0)
		return fail("not a document id");
	if (load_identity(&identity, argv[3]) != 0)
		return 1;
	held.ms = calloc(runs, sizeof(*held.ms));
	opened.ms = calloc(runs, sizeof(*opened.ms));
	if (!held.ms || !opened.ms)
		goto done;
	if (sanctum_store_open(&store, argv[2], 0) < 0) {
		rc = fail("cannot open the store");
		goto done;
	}
	if (read_one(store, id, identity) < 0) { /* warm-up, not counted */
		rc = fail("cannot read the document");
		goto done;
	}
	for (unsigned long i = 0; i < runs; i++) {
		double t0 = now_ms();

		if (read_one(store, id, identity) < 0) {
			rc = fail("cannot read the document");
			goto done;
		}
		held.ms[held.n++] = now_ms() - t0;
	}
	sanctum_store_free(store);
	store = NULL;
	for (unsigned long i = 0; i < runs; i++) {
		double t0 = now_ms();

		if (sanctum_store_open(&store, argv[2], 0) < 0) {
			rc = fail("cannot open the store");
			goto done;
		}
		if (read_one(store, id, identity) < 0) {
			rc = fail("cannot read the document");
			goto done;
		}
		sanctum_store_free(store);
		store = NULL;
		opened.ms[opened.n++] = now_ms() - t0;
	}
	report("show_read", &held);
	report("show_open_read", &opened);
	rc = 0;
done:
	sanctum_store_free(store);
	free(held.ms);
	free(opened.ms);
	sanctum_identity_free(identity);
	return rc;
}

/* ---- plain git through libgit2, in process ---------------------------------------------- */

static int count_file(const char *root, const git_tree_entry *entry, void *payload)
{
	(void)root;
	if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB)
		(*(size_t *)payload)++;
	return 0;
}

static int cmd_gitlist(int argc, char **argv)
{
	samples s = { NULL, 0 };
	unsigned long runs;
	size_t count = 0;
	int rc = 1;

	if (argc != 4 || parse_count(&runs, argv[3]) < 0) {
		fprintf(stderr, "usage: store_bench gitlist GIT_DIR RUNS\n");
		return 2;
	}
	if (!(s.ms = calloc(runs + 1, sizeof(*s.ms))))
		return 1;
	for (unsigned long i = 0; i <= runs; i++) {
		git_repository *repo = NULL;
		git_object *tree = NULL;
		double t0 = now_ms();

		count = 0;
		if (git_repository_open(&repo, argv[2]) < 0 ||
		    git_revparse_single(&tree, repo, "HEAD^{tree}") < 0 ||
		    git_tree_walk((git_tree *)tree, GIT_TREEWALK_PRE, count_file, &count) < 0) {
			rc = fail_git("cannot walk HEAD");
			git_object_free(tree);
			git_repository_free(repo);
			goto done;
		}
		git_object_free(tree);
		git_repository_free(repo);
		if (i > 0)
			s.ms[s.n++] = now_ms() - t0;
	}
	report("gitlist_open", &s);
	printf("gitlist_count %zu\n", count);
	rc = 0;
done:
	free(s.ms);
	return rc;
}

/* Reads HEAD:path and touches every byte, as a reader would. */
static int git_read_one(git_repository *repo, const char *spec, unsigned *sum)
{
	git_object *blob = NULL;
	const unsigned char *p;
	size_t len;

	if (git_revparse_single(&blob, repo, spec) < 0)
		return -1;
	p = git_blob_rawcontent((git_blob *)blob);
	len = (size_t)git_blob_rawsize((git_blob *)blob);
	for (size_t i = 0; i < len; i++)
		*sum += p[i];
	git_object_free(blob);
	return 0;
}

static int cmd_gitshow(int argc, char **argv)
{
	samples held = { NULL, 0 }, opened = { NULL, 0 };
	git_repository *repo = NULL;
	unsigned long runs;
	unsigned sum = 0;
	char spec[4096];
	int rc = 1;

	if (argc != 5 || parse_count(&runs, argv[4]) < 0) {
		fprintf(stderr, "usage: store_bench gitshow GIT_DIR PATH RUNS\n");
		return 2;
	}
	snprintf(spec, sizeof(spec), "HEAD:%s", argv[3]);
	held.ms = calloc(runs, sizeof(*held.ms));
	opened.ms = calloc(runs, sizeof(*opened.ms));
	if (!held.ms || !opened.ms)
		goto done;
	if (git_repository_open(&repo, argv[2]) < 0 || git_read_one(repo, spec, &sum) < 0) {
		rc = fail_git("cannot read the file");
		goto done;
	}
	for (unsigned long i = 0; i < runs; i++) {
		double t0 = now_ms();

		if (git_read_one(repo, spec, &sum) < 0) {
			rc = fail_git("cannot read the file");
			goto done;
		}
		held.ms[held.n++] = now_ms() - t0;
	}
	git_repository_free(repo);
	repo = NULL;
	for (unsigned long i = 0; i < runs; i++) {
		double t0 = now_ms();

		if (git_repository_open(&repo, argv[2]) < 0 || git_read_one(repo, spec, &sum) < 0) {
			rc = fail_git("cannot read the file");
			goto done;
		}
		git_repository_free(repo);
		repo = NULL;
		opened.ms[opened.n++] = now_ms() - t0;
	}
	report("gitshow_read", &held);
	report("gitshow_open_read", &opened);
	/* Printed so the reads cannot be optimised away. */
	printf("gitshow_checksum %u\n", sum);
	rc = 0;
done:
	git_repository_free(repo);
	free(held.ms);
	free(opened.ms);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: store_bench gen|list|show|gitlist|gitshow ARGS...\n");
		return 2;
	}
	if (strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc, argv);
	if (sanctum_init() < 0)
		return fail("sanctum_init");
	if (strcmp(argv[1], "list") == 0)
		rc = cmd_list(argc, argv);
	else if (strcmp(argv[1], "show") == 0)
		rc = cmd_show(argc, argv);
	else if (strcmp(argv[1], "gitlist") == 0)
		rc = cmd_gitlist(argc, argv);
	else if (strcmp(argv[1], "gitshow") == 0)
		rc = cmd_gitshow(argc, argv);
	else {
		fprintf(stderr, "store_bench: unknown command '%s'\n", argv[1]);
		rc = 2;
	}
	sanctum_shutdown();
	return rc;
}

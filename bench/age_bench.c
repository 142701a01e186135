/*
 * bench_age: the age layer of libsanctum against raw libsodium, in one process.
 *
 *   (a) Streaming: a large random buffer (1 GiB by default) is encrypted to one X25519
 *       recipient with sanctum_age_encryptor_* and decrypted with sanctum_age_decryptor_*,
 *       each writing into a preallocated buffer; the baseline is libsodium's
 *       crypto_aead_chacha20poly1305_ietf_{encrypt,decrypt} over the same bytes in 64 KiB
 *       chunks, which is the cryptographic work age's STREAM does (each sealed chunk is
 *       stored 64-byte aligned, the layout libsodium is fastest on).
 *   (b) Small documents: 1 KiB encrypted to one recipient with sanctum_age_encrypt and
 *       decrypted with sanctum_age_decrypt, against crypto_scalarmult (X25519): encrypting
 *       costs two X25519 operations (ephemeral key and shared secret), decrypting one.
 *
 * Every figure is the best of --runs runs, timed with CLOCK_MONOTONIC; GB is 10^9 bytes.
 */
#include "sanctum/sanctum.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAW_CHUNK 65536
#define RAW_STRIDE (RAW_CHUNK + 64) /* raw chunks start 64-byte aligned: its best case */
#define DOC_SIZE 1024
#define TARGET_STREAM_RATIO 0.85
#define TARGET_DOC_RATIO 1.5

typedef struct {
	size_t size;                   /* bytes of the streaming buffer */
	size_t update;                 /* bytes handed to each _update call */
	int runs;                      /* best of this many */
	int docs;                      /* small-document operations per run */
	int armor;                     /* also time the armored stream */
} bench_opts;

/* A preallocated output buffer for the write callbacks. */
typedef struct {
	unsigned char *ptr;
	size_t len;
	size_t cap;
} sink;

/* The keys both parts use. */
typedef struct {
	sanctum_age_identity *identity;
	sanctum_age_recipient *recipient;
} keypair;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sink_write(const unsigned char *data, size_t len, void *payload)
{
	sink *s = payload;

	if (len > s->cap - s->len)
		return SANCTUM_ERROR;
	memcpy(s->ptr + s->len, data, len);
	s->len += len;
	return 0;
}

static int fail(const char *what)
{
	const sanctum_error *e = sanctum_error_last();

	fprintf(stderr, "bench_age: %s failed: %s\n", what, e->code ? e->message : "");
	return -1;
}

static double gbps(size_t bytes, double seconds)
{
	return (double)bytes / seconds / 1e9;
}

/* ---- (a) streaming ------------------------------------------------------------------ */

/* Times one streaming encryption of `in` into `out`; returns seconds or -1. */
static double stream_encrypt(sink *out, const keypair *keys, unsigned flags,
                             const unsigned char *in, size_t size, size_t update)
{
	const sanctum_age_recipient *rcpt[1] = { keys->recipient };
	sanctum_age_encryptor *enc = NULL;
	size_t off;
	double t0 = now(), t1;
	int rc;

	out->len = 0;
	rc = sanctum_age_encryptor_new(&enc, rcpt, 1, flags, sink_write, out);
	for (off = 0; rc == 0 && off < size; off += update)
		rc = sanctum_age_encryptor_update(enc, in + off, size - off < update ? size - off : update);
	if (rc == 0)
		rc = sanctum_age_encryptor_finish(enc);
	t1 = now();
	sanctum_age_encryptor_free(enc);
	return rc == 0 ? t1 - t0 : fail("sanctum_age_encryptor");
}

static double stream_decrypt(sink *out, const keypair *keys, sanctum_age_armor_mode armor,
                             const sink *in, size_t update)
{
	const sanctum_age_identity *ids[1] = { keys->identity };
	sanctum_age_decrypt_options opts = SANCTUM_AGE_DECRYPT_OPTIONS_INIT;
	sanctum_age_decryptor *dec = NULL;
	size_t off;
	double t0 = now(), t1;
	int rc;

	opts.armor = armor;
	out->len = 0;
	rc = sanctum_age_decryptor_new(&dec, ids, 1, &opts, sink_write, out);
	for (off = 0; rc == 0 && off < in->len; off += update)
		rc = sanctum_age_decryptor_update(dec, in->ptr + off,
		                                  in->len - off < update ? in->len - off : update);
	if (rc == 0)
		rc = sanctum_age_decryptor_finish(dec);
	t1 = now();
	sanctum_age_decryptor_free(dec);
	return rc == 0 ? t1 - t0 : fail("sanctum_age_decryptor");
}

/* age's STREAM nonce: an 11-byte big-endian counter and a last-chunk flag. */
static void stream_nonce(unsigned char nonce[12], uint64_t counter, int last)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 10; i >= 3; i--, counter >>= 8)
		nonce[i] = (unsigned char)counter;
	nonce[11] = (unsigned char)(last ? 1 : 0);
}

/*
 * The baseline: every chunk sealed straight into `out`. With `scratch`, each chunk is
 * sealed into a 64 KiB scratch buffer and then copied to `out`, which is what any
 * write-callback design costs at least; it is printed for reference only.
 */
static double raw_encrypt(unsigned char *out, const unsigned char *in, size_t size,
                          const unsigned char *key, unsigned char *scratch)
{
	unsigned char nonce[12];
	unsigned long long clen;
	size_t off, n;
	uint64_t i = 0;
	double t0 = now();

	for (off = 0; off < size; off += n, i++) {
		unsigned char *dst = out + i * RAW_STRIDE;
		n = size - off < RAW_CHUNK ? size - off : RAW_CHUNK;
		stream_nonce(nonce, i, off + n == size);
		crypto_aead_chacha20poly1305_ietf_encrypt(scratch ? scratch : dst, &clen, in + off, n,
		                                          NULL, 0, NULL, nonce, key);
		if (scratch)
			memcpy(dst, scratch, n + 16);
	}
	return now() - t0;
}

static double raw_decrypt(unsigned char *out, const unsigned char *in, size_t size,
                          const unsigned char *key, unsigned char *scratch)
{
	unsigned char nonce[12];
	unsigned long long mlen;
	size_t off, n;
	uint64_t i = 0;
	double t0 = now();

	for (off = 0; off < size; off += n, i++) {
		n = size - off < RAW_CHUNK ? size - off : RAW_CHUNK;
		stream_nonce(nonce, i, off + n == size);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(scratch ? scratch : out + off, &mlen, NULL,
		                                              in + i * RAW_STRIDE, n + 16,
		                                              NULL, 0, nonce, key) != 0)
			return fail("crypto_aead_chacha20poly1305_ietf_decrypt");
		if (scratch)
			memcpy(out + off, scratch, n);
	}
	return now() - t0;
}

/* The buffers of part (a), allocated and touched once so page faults are not timed. */
typedef struct {
	unsigned char *plain;          /* the random input */
	sink cipher;                   /* sanctum's age file, or the raw chunks */
	sink back;                     /* decrypted plaintext */
	unsigned char *scratch;        /* one sealed chunk, for the raw + copy reference */
	unsigned char key[crypto_aead_chacha20poly1305_ietf_KEYBYTES]; /* raw runs */
} stream_buffers;

/* A 64-byte aligned block (so no variant pays for misaligned vector loads). */
static unsigned char *alloc64(size_t size)
{
	return aligned_alloc(64, (size + 64) / 64 * 64);
}

static int stream_alloc(stream_buffers *b, const bench_opts *o)
{
	size_t raw = (o->size / RAW_CHUNK + 1) * (size_t)RAW_STRIDE + 4096;
	size_t cap = o->armor ? raw / 3 * 4 + raw / 48 + 8192 : raw;
	unsigned char seed[randombytes_SEEDBYTES];

	memset(b, 0, sizeof(*b));
	b->plain = alloc64(o->size);
	b->cipher.ptr = alloc64(cap);
	b->back.ptr = alloc64(o->size + 1);
	b->scratch = alloc64(RAW_CHUNK + 16);
	if (!b->plain || !b->cipher.ptr || !b->back.ptr || !b->scratch)
		return fail("allocating the stream buffers");
	b->cipher.cap = cap;
	b->back.cap = o->size + 1;
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf_deterministic(b->plain, o->size, seed);
	memset(b->cipher.ptr, 0, cap);
	memset(b->back.ptr, 0, o->size + 1);
	crypto_aead_chacha20poly1305_ietf_keygen(b->key);
	return 0;
}

static void stream_free(stream_buffers *b)
{
	sodium_memzero(b->key, sizeof(b->key));
	free(b->plain);
	free(b->cipher.ptr);
	free(b->back.ptr);
	free(b->scratch);
}

static double min_time(double best, double t)
{
	return best < 0 || (t >= 0 && t < best) ? t : best;
}

/* The variants of part (a); each run times them all in turn, so they share conditions. */
enum { V_RAW, V_RAW_COPY, V_SANCTUM, V_ARMOR, V_COUNT };

typedef struct {
	double enc[V_COUNT];           /* best seconds; -1 until measured */
	double dec[V_COUNT];
} stream_times;

static int check_round_trip(const stream_buffers *b, size_t size, const char *what)
{
	if (memcmp(b->back.ptr, b->plain, size) == 0)
		return 0;
	fprintf(stderr, "bench_age: the %s round trip changed the data\n", what);
	return -1;
}

static int run_raw(stream_times *t, stream_buffers *b, size_t size, int copy)
{
	int v = copy ? V_RAW_COPY : V_RAW;
	unsigned char *scratch = copy ? b->scratch : NULL;
	double te = raw_encrypt(b->cipher.ptr, b->plain, size, b->key, scratch);
	double td = raw_decrypt(b->back.ptr, b->cipher.ptr, size, b->key, scratch);

	if (td < 0)
		return -1;
	t->enc[v] = min_time(t->enc[v], te);
	t->dec[v] = min_time(t->dec[v], td);
	return check_round_trip(b, size, "raw");
}

static int run_sanctum(stream_times *t, stream_buffers *b, const keypair *keys,
                       const bench_opts *o, int armor)
{
	int v = armor ? V_ARMOR : V_SANCTUM;
	double te, td;

	te = stream_encrypt(&b->cipher, keys, armor ? SANCTUM_AGE_ARMOR : 0, b->plain, o->size,
	                    o->update);
	if (te < 0)
		return -1;
	td = stream_decrypt(&b->back, keys, armor ? SANCTUM_AGE_ARMOR_YES : SANCTUM_AGE_ARMOR_NO,
	                    &b->cipher, o->update);
	if (td < 0)
		return -1;
	if (b->back.len != o->size)
		return fail("the sanctum round trip (wrong length)");
	t->enc[v] = min_time(t->enc[v], te);
	t->dec[v] = min_time(t->dec[v], td);
	return check_round_trip(b, o->size, "sanctum");
}

static int time_stream(stream_times *t, stream_buffers *b, const keypair *keys,
                       const bench_opts *o)
{
	int r, v, rc = 0;

	for (v = 0; v < V_COUNT; v++)
		t->enc[v] = t->dec[v] = -1;
	for (r = 0; rc == 0 && r < o->runs; r++) {
		rc = run_raw(t, b, o->size, 0);
		if (rc == 0)
			rc = run_sanctum(t, b, keys, o, 0);
		if (rc == 0)
			rc = run_raw(t, b, o->size, 1);
		if (rc == 0 && o->armor)
			rc = run_sanctum(t, b, keys, o, 1);
	}
	return rc;
}

static void print_row(const char *what, size_t size, double t, double raw_t)
{
	printf("  %-34s %9.3f %9.3f", what, t, gbps(size, t));
	if (raw_t > 0)
		printf(" %9.3f", raw_t / t);
	printf("\n");
}

static void print_target(const char *what, double ratio)
{
	printf("  %-34s %.3f (target >= %.2f: %s)\n", what, ratio, TARGET_STREAM_RATIO,
	       ratio >= TARGET_STREAM_RATIO ? "met" : "MISSED");
}

static void print_stream(const stream_times *t, const bench_opts *o)
{
	printf("(a) streaming %zu MiB in memory, _update calls of %zu KiB, best of %d\n",
	       o->size >> 20, o->update >> 10, o->runs);
	printf("  %-34s %9s %9s %9s\n", "operation", "seconds", "GB/s", "raw/this");
	print_row("raw chacha20poly1305 encrypt", o->size, t->enc[V_RAW], 0);
	print_row("raw chacha20poly1305 decrypt", o->size, t->dec[V_RAW], 0);
	print_row("sanctum encrypt (streaming)", o->size, t->enc[V_SANCTUM], t->enc[V_RAW]);
	print_row("sanctum decrypt (streaming)", o->size, t->dec[V_SANCTUM], t->dec[V_RAW]);
	printf("  for reference, no target:\n");
	print_row("raw encrypt + copy per chunk", o->size, t->enc[V_RAW_COPY], t->enc[V_RAW]);
	print_row("raw decrypt + copy per chunk", o->size, t->dec[V_RAW_COPY], t->dec[V_RAW]);
	if (o->armor) {
		print_row("sanctum encrypt armored", o->size, t->enc[V_ARMOR], t->enc[V_RAW]);
		print_row("sanctum decrypt armored", o->size, t->dec[V_ARMOR], t->dec[V_RAW]);
	}
	print_target("encrypt ratio sanctum/raw", t->enc[V_RAW] / t->enc[V_SANCTUM]);
	print_target("decrypt ratio sanctum/raw", t->dec[V_RAW] / t->dec[V_SANCTUM]);
}

static int bench_stream(const bench_opts *o, const keypair *keys)
{
	stream_buffers b;
	stream_times t;
	int rc;

	rc = stream_alloc(&b, o);
	if (rc == 0)
		rc = time_stream(&t, &b, keys, o);
	stream_free(&b);
	if (rc == 0)
		print_stream(&t, o);
	return rc;
}

/* ---- (b) small documents ------------------------------------------------------------ */

typedef struct {
	double scalarmult;             /* seconds per operation, best run */
	double scalarmult_base;
	double encrypt;
	double decrypt;
} doc_times;

static double time_scalarmult(int n, int base)
{
	unsigned char sk[crypto_scalarmult_SCALARBYTES], pk[crypto_scalarmult_BYTES];
	unsigned char q[crypto_scalarmult_BYTES];
	double t0;
	int i, bad = 0;

	randombytes_buf(sk, sizeof(sk));
	crypto_scalarmult_base(pk, sk);
	t0 = now();
	for (i = 0; i < n; i++) {
		if (base)
			bad |= crypto_scalarmult_base(q, sk);
		else
			bad |= crypto_scalarmult(q, sk, pk);
		sk[0] ^= q[0];          /* chain the runs so none can be skipped */
	}
	t0 = now() - t0;
	sodium_memzero(sk, sizeof(sk));
	return bad ? fail("crypto_scalarmult") : t0 / n;
}

/* Times n encryptions of `doc` into `ct`, leaving the last one there. */
static double time_encrypt(sanctum_buf *ct, const keypair *keys, const unsigned char *doc,
                           int n)
{
	const sanctum_age_recipient *rcpt[1] = { keys->recipient };
	double t0 = now();
	int i;

	for (i = 0; i < n; i++)
		if (sanctum_age_encrypt(ct, rcpt, 1, 0, doc, DOC_SIZE) < 0)
			return fail("sanctum_age_encrypt");
	return (now() - t0) / n;
}

static double time_decrypt(sanctum_buf *pt, const keypair *keys, const sanctum_buf *ct, int n)
{
	const sanctum_age_identity *ids[1] = { keys->identity };
	double t0 = now();
	int i;

	for (i = 0; i < n; i++)
		if (sanctum_age_decrypt(pt, ids, 1, NULL, ct->ptr, ct->size) < 0)
			return fail("sanctum_age_decrypt");
	return (now() - t0) / n;
}

static int time_docs(doc_times *best, const bench_opts *o, const keypair *keys)
{
	sanctum_buf ct = SANCTUM_BUF_INIT, pt = SANCTUM_BUF_INIT;
	unsigned char doc[DOC_SIZE];
	doc_times t;
	int r, rc = 0;

	randombytes_buf(doc, sizeof(doc));
	best->scalarmult = best->scalarmult_base = best->encrypt = best->decrypt = -1;
	for (r = 0; rc == 0 && r < o->runs; r++) {
		t.scalarmult = time_scalarmult(o->docs, 0);
		t.scalarmult_base = time_scalarmult(o->docs, 1);
		t.encrypt = time_encrypt(&ct, keys, doc, o->docs);
		t.decrypt = t.encrypt < 0 ? -1 : time_decrypt(&pt, keys, &ct, o->docs);
		if (t.scalarmult < 0 || t.scalarmult_base < 0 || t.decrypt < 0)
			rc = -1;
		best->scalarmult = min_time(best->scalarmult, t.scalarmult);
		best->scalarmult_base = min_time(best->scalarmult_base, t.scalarmult_base);
		best->encrypt = min_time(best->encrypt, t.encrypt);
		best->decrypt = min_time(best->decrypt, t.decrypt);
	}
	if (rc == 0 && (pt.size != DOC_SIZE || memcmp(pt.ptr, doc, DOC_SIZE) != 0))
		rc = fail("the small-document round trip");
	sanctum_buf_dispose(&ct);
	sanctum_buf_dispose(&pt);
	return rc;
}

static void print_op(const char *what, double seconds)
{
	printf("  %-34s %11.0f %9.1f\n", what, 1.0 / seconds, seconds * 1e6);
}

static void print_doc_ratio(const char *what, double ratio)
{
	printf("  %-34s %.3f (target <= %.2f: %s)\n", what, ratio, TARGET_DOC_RATIO,
	       ratio <= TARGET_DOC_RATIO ? "met" : "MISSED");
}

static int bench_docs(const bench_opts *o, const keypair *keys)
{
	doc_times t;

	if (time_docs(&t, o, keys) < 0)
		return -1;
	printf("(b) %d-byte documents to 1 recipient, %d operations per run, best of %d\n",
	       DOC_SIZE, o->docs, o->runs);
	printf("  %-34s %11s %9s\n", "operation", "ops/s", "us/op");
	print_op("X25519 crypto_scalarmult", t.scalarmult);
	print_op("X25519 crypto_scalarmult_base", t.scalarmult_base);
	print_op("sanctum_age_encrypt", t.encrypt);
	print_op("sanctum_age_decrypt", t.decrypt);
	print_doc_ratio("encrypt / (2 x scalarmult)", t.encrypt / (2 * t.scalarmult));
	print_doc_ratio("decrypt / (1 x scalarmult)", t.decrypt / t.scalarmult);
	return 0;
}

/* ---- driver ------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_age [--size-mib N] [--update-kib N] [--runs N] [--docs N]\n"
	           "                 [--no-armor] [--only-stream | --only-docs]\n"
	           "  --size-mib N    streaming buffer size (default 1024)\n"
	           "  --update-kib N  bytes per _update call (default 64)\n"
	           "  --runs N        report the best of N runs (default 3)\n"
	           "  --docs N        small-document operations per run (default 2000)\n"
	           "  --no-armor      skip the armored streaming rows\n");
}

/* Parses a positive number option; returns 0 or -1. */
static int number_arg(long *out, int argc, char **argv, int *i, long max)
{
	char *end;

	if (*i + 1 >= argc)
		return -1;
	*out = strtol(argv[++*i], &end, 10);
	return *end || *out <= 0 || *out > max ? -1 : 0;
}

/* Returns 0, 1 to stop (help shown), or -1 for a usage error. */
static int parse_args(bench_opts *o, int *parts, int argc, char **argv)
{
	long v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--size-mib") && number_arg(&v, argc, argv, &i, 1L << 16) == 0)
			o->size = (size_t)v << 20;
		else if (!strcmp(a, "--update-kib") && number_arg(&v, argc, argv, &i, 1L << 20) == 0)
			o->update = (size_t)v << 10;
		else if (!strcmp(a, "--runs") && number_arg(&v, argc, argv, &i, 1000) == 0)
			o->runs = (int)v;
		else if (!strcmp(a, "--docs") && number_arg(&v, argc, argv, &i, 10000000) == 0)
			o->docs = (int)v;
		else if (!strcmp(a, "--no-armor"))
			o->armor = 0;
		else if (!strcmp(a, "--only-stream"))
			*parts = 1;
		else if (!strcmp(a, "--only-docs"))
			*parts = 2;
		else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bench_opts o = { (size_t)1024 << 20, 64 << 10, 3, 2000, 1 };
	keypair keys = { NULL, NULL };
	int parts = 3, rc;

	rc = parse_args(&o, &parts, argc, argv);
	if (rc != 0) {
		usage(rc < 0 ? stderr : stdout);
		return rc < 0 ? 2 : 0;
	}
	if (sanctum_init() < 0) {
		fail("sanctum_init");
		return 1;
	}
	rc = sanctum_age_identity_generate(&keys.identity);
	if (rc == 0)
		rc = sanctum_age_identity_to_recipient(&keys.recipient, keys.identity);
	if (rc < 0)
		fail("making a key");
	printf("bench_age: %s\n", sanctum_version_string());
	if (rc == 0 && (parts & 1))
		rc = bench_stream(&o, &keys);
	if (rc == 0 && (parts & 2))
		rc = bench_docs(&o, &keys);
	sanctum_age_recipient_free(keys.recipient);
	sanctum_age_identity_free(keys.identity);
	sanctum_shutdown();
	return rc < 0 ? 1 : 0;
}

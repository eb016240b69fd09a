/*
 * api/pubcache.c: released publications, served from memory.
 *
 * A publication never changes once written, and the database shows it to
 * an anonymous caller only after its release instant. So the first
 * successful read of a slug (anonymous, RLS decides) builds every reply
 * for it once — the signed document bytes, the raw signature, the HTML
 * page, each with its strong ETag and its 304 — and every later request is
 * answered from memory, without the database.
 *
 * A missing or not yet released slug is answered exactly like a slug that
 * does not exist, and remembered as missing only for the current
 * visibility epoch (schedule_visibility_epoch(), publish.h): a slug can
 * only become visible by a release, which changes a campaign's state and
 * NOTIFYs every replica's listener at its COMMIT, which moves the epoch.
 * So the readers polling a publication before (and at) its instant are
 * answered from memory too, and the first request after the release's
 * COMMIT reaches the database and finds it. While the replica does not
 * listen (epoch 0) nothing is remembered as missing, and nothing is
 * remembered longer than PUBCACHE_NEG_MS (a listener whose connection
 * died silently delays a release on this replica by that much at most,
 * until it notices and reconnects). The missing slugs
 * live in a fixed table (PUBCACHE_NEG_SLOTS, direct-mapped: a new slug
 * replaces the one in its slot), so asking for random slugs costs memory
 * once and evicts, never grows.
 *
 * Entries live until the process exits (at most PUBCACHE_MAX of them;
 * beyond that replies are built per request). A read-write lock guards
 * the table; readers never block each other.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/export.h"
#include "api/pubcache.h"
#include "publish/publish.h"
#include "util/log.h"
#include "util/util.h"

#define PUBCACHE_MAX 4096
#define PUBCACHE_NEG_SLOTS 4096
#define PUBCACHE_NEG_MS 1000
#define PUBCACHE_CONTROL "public, max-age=86400, immutable"

static pthread_rwlock_t pubcache_lock = PTHREAD_RWLOCK_INITIALIZER;
/* open addressing over twice as many slots as entries, FNV-1a of the slug */
#define PUBCACHE_SLOTS (2 * PUBCACHE_MAX)
static struct pubcache_entry *pubcache_table[PUBCACHE_SLOTS];
static size_t pubcache_n;

static uint64_t
pubcache_fnv(const char *slug)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)slug; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
pubcache_hash(const char *slug)
{
	return (size_t)(pubcache_fnv(slug) % PUBCACHE_SLOTS);
}

/* guards the missing slugs and the loads in flight (below) */
static pthread_mutex_t pubcache_miss_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pubcache_neg {
	unsigned long epoch; /* 0: empty */
	long long until_ms;  /* CLOCK_MONOTONIC: forgotten after */
	char slug[80];
} pubcache_neg[PUBCACHE_NEG_SLOTS]; /* slugs the database said were missing */

static long long
pubcache_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* 1 when slug is known to be missing in epoch (never for epoch 0). */
static int
pubcache_neg_hit(const char *slug, unsigned long epoch)
{
	struct pubcache_neg *n = &pubcache_neg[pubcache_fnv(slug) % PUBCACHE_NEG_SLOTS];
	int hit;

	if (epoch == 0)
		return 0;
	pthread_mutex_lock(&pubcache_miss_lock);
	hit = n->epoch == epoch && strcmp(n->slug, slug) == 0 && pubcache_now_ms() < n->until_ms;
	pthread_mutex_unlock(&pubcache_miss_lock);
	return hit;
}

/* Remember slug as missing in epoch (read before the database was asked). */
static void
pubcache_neg_put(const char *slug, unsigned long epoch)
{
	struct pubcache_neg *n = &pubcache_neg[pubcache_fnv(slug) % PUBCACHE_NEG_SLOTS];

	if (epoch == 0 || strlen(slug) >= sizeof(n->slug))
		return;
	pthread_mutex_lock(&pubcache_miss_lock);
	n->epoch = epoch;
	n->until_ms = pubcache_now_ms() + PUBCACHE_NEG_MS;
	snprintf(n->slug, sizeof(n->slug), "%s", slug);
	pthread_mutex_unlock(&pubcache_miss_lock);
}

void
pubcache_entry_free(struct pubcache_entry *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < PUBCACHE_NKINDS; i++) {
		http_prepared_free(e->ok[i]);
		http_prepared_free(e->not_modified[i]);
	}
	free(e);
}

static struct pubcache_entry *
pubcache_find_locked(const char *slug)
{
	for (size_t i = pubcache_hash(slug), k = 0; k < PUBCACHE_SLOTS && pubcache_table[i] != NULL;
	     i = (i + 1) % PUBCACHE_SLOTS, k++)
		if (strcmp(pubcache_table[i]->slug, slug) == 0)
			return pubcache_table[i];
	return NULL;
}

struct pubcache_load {
	const char *slug;
	struct store_publication row; /* the result */
};

static int
pubcache_load_tx(struct db_conn *c, void *arg)
{
	struct pubcache_load *k = arg;

	return store_publication_get(c, k->slug, &k->row);
}

/* Build the 200 and 304 replies of one kind. 0 or -1. */
static int
pubcache_build_kind(struct pubcache_entry *e, int kind, unsigned flags, const char *type,
                    const void *body, size_t len, const char *const *extra)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	const char *hdr[24];
	size_t n = 0;

	if (crypto_sha256(body, len, h) != 0)
		return -1;
	util_hex_encode(h, sizeof(h), hex);
	snprintf(e->etag[kind], sizeof(e->etag[kind]), "\"%s\"", hex);
	hdr[n++] = "ETag";
	hdr[n++] = e->etag[kind];
	hdr[n++] = "Cache-Control";
	hdr[n++] = PUBCACHE_CONTROL;
	hdr[n] = NULL;
	if ((e->not_modified[kind] = http_prepared_new(304, flags, NULL, "", 0, hdr)) == NULL)
		return -1;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n + 2 < 23; i++)
		hdr[n++] = extra[i];
	hdr[n] = NULL;
	e->ok[kind] = http_prepared_new(200, flags, type, body, len, hdr);
	return e->ok[kind] != NULL ? 0 : -1;
}

/* Build an entry from a publication. Returns it (caller owns) or NULL. */
static struct pubcache_entry *
pubcache_build(const struct store_publication *q)
{
	struct pubcache_entry *e = calloc(1, sizeof(*e));
	const unsigned char *sig = q->signature.p, *key = q->signing_key.p;
	size_t siglen = q->signature.len, keylen = q->signing_key.len, pagelen = 0;
	char sig_b64[4 * ((CRYPTO_ED25519_SIG_LEN + 2) / 3) + 1];
	char key_b64u[64], seq[24], kid[64];
	const char *doctext = q->document;
	json_t *doc = NULL, *oscal = NULL;
	char *page = NULL, *oscaltext = NULL;
	struct publish_meta m;
	int ok = 0;

	if (e == NULL)
		return NULL;
	snprintf(e->slug, sizeof(e->slug), "%s", q->slug);
	snprintf(seq, sizeof(seq), "%lld", q->seq);
	if (sig == NULL || siglen != CRYPTO_ED25519_SIG_LEN || key == NULL ||
	    keylen != CRYPTO_ED25519_PUB_LEN || doctext == NULL)
		goto done;
	util_b64_encode(sig, siglen, sig_b64);
	util_b64url_encode(key, keylen, key_b64u);
	if (crypto_ed25519_key_id(key, kid) != 0)
		goto done;
	if ((doc = json_loads(doctext, 0, NULL)) == NULL)
		goto done;
	m.slug = e->slug;
	m.hash_hex = q->hash;
	m.signature_b64 = sig_b64;
	m.key_b64url = key_b64u;
	m.published_at = q->published_at;
	m.key_id = kid;
	if ((page = publish_page_html(doc, &m, &pagelen)) == NULL)
		goto done;
	/* the OSCAL restatement is optional: without it the rest is still served */
	if ((oscal = api_oscal_publication(doc, e->slug, q->published_at, q->hash)) == NULL ||
	    (oscaltext = json_dumps(oscal, JSON_INDENT(2) | JSON_ENSURE_ASCII)) == NULL)
		log_event(LOG_LEVEL_ERROR, "publication_oscal_failed",
		          json_pack("{s:s}", "slug", e->slug));
	{
		const char *doc_hdr[] = {"X-Lockstep-Signature",
		                         sig_b64,
		                         "X-Lockstep-Hash",
		                         q->hash,
		                         "X-Lockstep-Prev-Hash",
		                         q->prev_hash,
		                         "X-Lockstep-Sequence",
		                         seq,
		                         "X-Lockstep-Signing-Key",
		                         key_b64u,
		                         "X-Lockstep-Key-Id",
		                         kid,
		                         NULL};
		const char *key_hdr[] = {"X-Lockstep-Key-Id", kid, NULL};

		if (pubcache_build_kind(e, PUBCACHE_DOC, ROUTE_PUBLIC, "application/json", doctext,
		                        strlen(doctext), doc_hdr) != 0 ||
		    pubcache_build_kind(e, PUBCACHE_SIG, ROUTE_PUBLIC, "application/octet-stream",
		                        sig, siglen, key_hdr) != 0 ||
		    pubcache_build_kind(e, PUBCACHE_PAGE, ROUTE_PUBLIC | ROUTE_NOSCRIPT,
		                        "text/html; charset=utf-8", page, pagelen, NULL) != 0 ||
		    (oscaltext != NULL &&
		     pubcache_build_kind(e, PUBCACHE_OSCAL, ROUTE_PUBLIC, "application/json",
		                         oscaltext, strlen(oscaltext), NULL) != 0))
			goto done;
	}
	ok = 1;
done:
	json_decref(doc);
	json_decref(oscal);
	free(oscaltext);
	free(page);
	if (!ok) {
		log_event(LOG_LEVEL_ERROR, "publication_render_failed",
		          json_pack("{s:s}", "slug", e->slug));
		pubcache_entry_free(e);
		return NULL;
	}
	return e;
}

/*
 * One load per slug at a time ("single flight"): the threads that miss
 * the same slug together (every poller at the instant a release commits)
 * wait for the first one's database read and build instead of repeating
 * them. PUBCACHE_FLIGHTS loads of different slugs can be registered at
 * once; a load beyond that simply goes ahead unregistered.
 */
#define PUBCACHE_FLIGHTS 16
static pthread_cond_t pubcache_landed = PTHREAD_COND_INITIALIZER;
static char pubcache_flights[PUBCACHE_FLIGHTS][80];

/*
 * 1: the caller loads slug (*slot: its registration, -1 for none);
 * 0: another thread was loading it and has finished: look again.
 */
static int
pubcache_flight_begin(const char *slug, int *slot)
{
	int free_slot = -1, busy = 0;

	*slot = -1;
	pthread_mutex_lock(&pubcache_miss_lock);
	for (int i = 0; i < PUBCACHE_FLIGHTS; i++) {
		if (pubcache_flights[i][0] == '\0') {
			if (free_slot < 0)
				free_slot = i;
		} else if (strcmp(pubcache_flights[i], slug) == 0) {
			busy = 1;
			/* wait until this flight has landed */
			while (strcmp(pubcache_flights[i], slug) == 0)
				pthread_cond_wait(&pubcache_landed, &pubcache_miss_lock);
			break;
		}
	}
	if (!busy && free_slot >= 0 && strlen(slug) < sizeof(pubcache_flights[0])) {
		snprintf(pubcache_flights[free_slot], sizeof(pubcache_flights[0]), "%s", slug);
		*slot = free_slot;
	}
	pthread_mutex_unlock(&pubcache_miss_lock);
	return !busy;
}

static void
pubcache_flight_end(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&pubcache_miss_lock);
	pubcache_flights[slot][0] = '\0';
	pthread_cond_broadcast(&pubcache_landed);
	pthread_mutex_unlock(&pubcache_miss_lock);
}

int
pubcache_get(const char *slug, struct pubcache_entry **out, int *owned)
{
	struct pubcache_load k = {.slug = slug, .row = {0}};
	struct pubcache_entry *e;
	unsigned long epoch;
	int rc, slot = -1;

	*out = NULL;
	*owned = 0;
	for (;;) {
		pthread_rwlock_rdlock(&pubcache_lock);
		e = pubcache_find_locked(slug);
		pthread_rwlock_unlock(&pubcache_lock);
		if (e != NULL) {
			*out = e;
			return PUBCACHE_FOUND;
		}
		/* the epoch before the database is asked: a release committed
		 * after this point moves it, and the answer below is then never
		 * used */
		epoch = schedule_visibility_epoch();
		if (pubcache_neg_hit(slug, epoch))
			return PUBCACHE_MISSING;
		if (pubcache_flight_begin(slug, &slot))
			break;
	}
	/* anonymous on purpose: row-level security decides what exists */
	rc = db_tx(NULL, "pubcache_load", pubcache_load_tx, &k);
	if (rc != DB_OK) {
		store_publication_clear(&k.row);
		if (rc == STORE_NONE)
			pubcache_neg_put(slug, epoch);
		pubcache_flight_end(slot);
		return rc == STORE_NONE ? PUBCACHE_MISSING : PUBCACHE_ERROR;
	}
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		e = pubcache_build(&k.row);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (e != NULL)
			log_event(LOG_LEVEL_INFO, "publication_cached",
			          json_pack("{s:s, s:f}", "slug", slug, "build_ms",
			                    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e6));
	}
	store_publication_clear(&k.row);
	if (e == NULL) {
		pubcache_flight_end(slot);
		return PUBCACHE_ERROR;
	}
	pthread_rwlock_wrlock(&pubcache_lock);
	{
		struct pubcache_entry *other = pubcache_find_locked(slug);

		if (other != NULL) {
			pubcache_entry_free(e);
			e = other;
		} else if (pubcache_n < PUBCACHE_MAX) {
			size_t i = pubcache_hash(slug);

			while (pubcache_table[i] != NULL)
				i = (i + 1) % PUBCACHE_SLOTS;
			pubcache_table[i] = e;
			pubcache_n++;
		} else {
			*owned = 1;
		}
	}
	pthread_rwlock_unlock(&pubcache_lock);
	pubcache_flight_end(slot);
	*out = e;
	return PUBCACHE_FOUND;
}

/* 1 if an If-None-Match header value names etag (or is "*"). */
static int
pubcache_matches(const char *inm, const char *etag)
{
	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	return strstr(inm, etag) != NULL;
}

int
pubcache_reply(struct http_request *r, int kind)
{
	const char *slug = http_param(r, 0);
	struct pubcache_entry *e;
	int owned, rc;

	/* same validation answer as an unknown slug: 404 (for a browser on
	 * /p/{slug}, the one HTML page: http_reply_not_found) */
	if (!api_valid_slug(slug))
		return http_reply_not_found(r);
	switch (pubcache_get(slug, &e, &owned)) {
	case PUBCACHE_FOUND:
		break;
	case PUBCACHE_MISSING:
		return http_reply_not_found(r);
	default:
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	if (e->ok[kind] == NULL) /* a kind that could not be built (logged then) */
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	else if (pubcache_matches(http_header(r, "If-None-Match"), e->etag[kind]))
		rc = http_reply_prepared(r, e->not_modified[kind]);
	else
		rc = http_reply_prepared(r, e->ok[kind]);
	if (owned)
		pubcache_entry_free(e);
	return rc;
}

void
pubcache_clear(void)
{
	pthread_rwlock_wrlock(&pubcache_lock);
	for (size_t i = 0; i < PUBCACHE_SLOTS; i++) {
		pubcache_entry_free(pubcache_table[i]);
		pubcache_table[i] = NULL;
	}
	pubcache_n = 0;
	pthread_rwlock_unlock(&pubcache_lock);
	pthread_mutex_lock(&pubcache_miss_lock);
	memset(pubcache_neg, 0, sizeof(pubcache_neg));
	pthread_mutex_unlock(&pubcache_miss_lock);
}

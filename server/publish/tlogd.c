/*
 * publish/tlogd.c: the transparency log inside lockstepd.
 *
 * The entries live in PostgreSQL (0010_tlog.sql: publications are
 * appended by a trigger in the releasing transaction, audit checkpoints
 * and key announcements through SECURITY DEFINER functions). This module
 * keeps an in-memory copy of the leaf hashes (append-only, so a prefix
 * once read never changes), computes roots, proofs and tiles from it
 * (server/tlog/merkle.c), and runs one thread per replica that every
 * LOCKSTEP_TLOG_INTERVAL_MS
 *
 *   1. appends an audit checkpoint when LOCKSTEP_AUDIT_CHECKPOINT_INTERVAL
 *      has passed since the last one and the audit chain moved (the SQL
 *      function serialises replicas, so it is appended once);
 *   2. signs a checkpoint (C2SP signed note) for the log's current size
 *      when it grew, and stores it. Ed25519 is deterministic: replicas that
 *      race sign the same bytes, and the table keeps one row per size.
 *
 * The log key is the Ed25519 key in LOCKSTEP_LOG_KEY_FILE or, by default,
 * one derived from the master key (HMAC-SHA-256 under the label below), so
 * every replica of a deployment holds the same key without a new file.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "publish/publish.h"
#include "store/store.h"
#include "tlog/tlog.h"
#include "util/log.h"
#include "util/util.h"

#define TLOGD_SYNC_BATCH 10000

static pthread_rwlock_t tlogd_lock = PTHREAD_RWLOCK_INITIALIZER;
static tlog_hash *tlogd_leaves; /* [0, tlogd_n), under tlogd_lock */
static uint64_t tlogd_n, tlogd_cap;
/* the hashes of full aligned subtrees of 2^l leaves, l = 1..63, under tlogd_lock */
#define TLOGD_LEVELS 64
static tlog_hash *tlogd_level[TLOGD_LEVELS];
static uint64_t tlogd_level_n[TLOGD_LEVELS], tlogd_level_cap[TLOGD_LEVELS];

/* struct tlog_tree's cache of full subtrees (tlogd_lock held). */
static int
tlogd_full(void *ctx, int level, uint64_t index, tlog_hash out)
{
	(void)ctx;
	if (level == 0 && index < tlogd_n) {
		memcpy(out, tlogd_leaves[index], TLOG_HASH);
		return 0;
	}
	if (level <= 0 || level >= TLOGD_LEVELS || index >= tlogd_level_n[level])
		return -1;
	memcpy(out, tlogd_level[level][index], TLOG_HASH);
	return 0;
}

/* The tree of the leaves held (tlogd_lock held). */
static struct tlog_tree
tlogd_tree(void)
{
	struct tlog_tree t = {tlogd_leaves, tlogd_n, tlogd_full, NULL};

	return t;
}

/* Extend the subtree cache to the leaves held (write lock held). 0 or -1. */
static int
tlogd_extend_levels(void)
{
	for (int l = 1; l < TLOGD_LEVELS; l++) {
		uint64_t want = tlogd_n >> l;
		const tlog_hash *below = l == 1 ? tlogd_leaves : tlogd_level[l - 1];

		if (want == 0)
			break;
		while (tlogd_level_n[l] < want) {
			uint64_t i = tlogd_level_n[l];

			if (i == tlogd_level_cap[l]) {
				uint64_t cap = tlogd_level_cap[l] ? 2 * tlogd_level_cap[l] : 64;
				tlog_hash *p = realloc(tlogd_level[l], cap * sizeof(*p));

				if (p == NULL)
					return -1;
				tlogd_level[l] = p;
				tlogd_level_cap[l] = cap;
			}
			if (tlog_node_hash(below[2 * i], below[2 * i + 1], tlogd_level[l][i]) != 0)
				return -1;
			tlogd_level_n[l]++;
		}
	}
	return 0;
}

static struct crypto_signer *tlogd_key;
static const struct crypto_signer *tlogd_pub_signer;
static char tlogd_origin_name[TLOG_NAME_MAX + 1];
static uint32_t tlogd_key_id;

static pthread_t tlogd_thread;
static pthread_mutex_t tlogd_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tlogd_cond = PTHREAD_COND_INITIALIZER;
static int tlogd_running, tlogd_stopping;
static unsigned tlogd_interval_ms, tlogd_audit_s;

struct crypto_signer *
tlogd_derive_key(const unsigned char master[CRYPTO_KEY_LEN])
{
	static const char label[] = "lockstep transparency log key v1";
	unsigned char seed[CRYPTO_SHA256_LEN];
	struct crypto_signer *s = NULL;

	if (crypto_hmac_sha256(master, CRYPTO_KEY_LEN, label, sizeof(label) - 1, seed) == 0)
		s = crypto_signer_from_raw(seed);
	explicit_bzero(seed, sizeof(seed));
	return s;
}

int
tlogd_init(struct crypto_signer *log_key, const struct crypto_signer *pub_signer,
           const char *origin)
{
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];

	if (log_key == NULL || strlen(origin) > TLOG_NAME_MAX)
		return -1;
	crypto_signer_public(log_key, pub);
	snprintf(tlogd_origin_name, sizeof(tlogd_origin_name), "%s", origin);
	if (tlog_key_id(tlogd_origin_name, TLOG_SIG_ED25519, pub, sizeof(pub), &tlogd_key_id) != 0)
		return -1;
	tlogd_key = log_key;
	tlogd_pub_signer = pub_signer;
	return 0;
}

const struct crypto_signer *
tlogd_signer(void)
{
	return tlogd_key;
}

const char *
tlogd_origin(void)
{
	return tlogd_origin_name;
}

int
tlogd_vkey(char *out, size_t outlen)
{
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];

	if (tlogd_key == NULL)
		return -1;
	crypto_signer_public(tlogd_key, pub);
	return tlog_vkey_encode(tlogd_origin_name, TLOG_SIG_ED25519, pub, out, outlen);
}

struct tlogd_sync_tx {
	long long from;
	struct store_tlog_leaf *rows;
	int n;
};

static int
tlogd_sync_fn(struct db_conn *c, void *arg)
{
	struct tlogd_sync_tx *k = arg;

	store_tlog_leaves_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_tlog_leaves(c, k->from, TLOGD_SYNC_BATCH, &k->rows, &k->n);
}

long long
tlogd_sync(void)
{
	for (;;) {
		struct tlogd_sync_tx k = {0};
		uint64_t n;
		int rc;

		pthread_rwlock_rdlock(&tlogd_lock);
		k.from = (long long)tlogd_n;
		pthread_rwlock_unlock(&tlogd_lock);
		rc = db_tx(NULL, "tlog_sync", tlogd_sync_fn, &k);
		if (rc != DB_OK) {
			store_tlog_leaves_free(k.rows, k.n);
			return -1;
		}
		pthread_rwlock_wrlock(&tlogd_lock);
		for (int i = 0; i < k.n; i++) {
			if ((uint64_t)k.rows[i].idx != tlogd_n) /* another thread got there first */
				continue;
			if (k.rows[i].hash.len != TLOG_HASH)
				break;
			if (tlogd_n == tlogd_cap) {
				uint64_t cap = tlogd_cap ? 2 * tlogd_cap : 1024;
				tlog_hash *p = realloc(tlogd_leaves, cap * sizeof(*p));

				if (p == NULL)
					break;
				tlogd_leaves = p;
				tlogd_cap = cap;
			}
			memcpy(tlogd_leaves[tlogd_n++], k.rows[i].hash.p, TLOG_HASH);
		}
		if (tlogd_extend_levels() != 0)
			log_event(LOG_LEVEL_WARN, "tlog_cache_failed", NULL);
		n = tlogd_n;
		pthread_rwlock_unlock(&tlogd_lock);
		store_tlog_leaves_free(k.rows, k.n);
		if (k.n < TLOGD_SYNC_BATCH)
			return (long long)n;
	}
}

int
tlogd_root(uint64_t size, tlog_hash out)
{
	int ret = -1;

	pthread_rwlock_rdlock(&tlogd_lock);
	if (size <= tlogd_n) {
		struct tlog_tree t = tlogd_tree();

		ret = tlog_tree_root(&t, size, out);
	}
	pthread_rwlock_unlock(&tlogd_lock);
	return ret;
}

int
tlogd_leaf(uint64_t index, tlog_hash out)
{
	int ret = -1;

	pthread_rwlock_rdlock(&tlogd_lock);
	if (index < tlogd_n) {
		memcpy(out, tlogd_leaves[index], TLOG_HASH);
		ret = 0;
	}
	pthread_rwlock_unlock(&tlogd_lock);
	return ret;
}

int
tlogd_inclusion(uint64_t index, uint64_t size, tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	int ret = -1;

	*len = 0;
	pthread_rwlock_rdlock(&tlogd_lock);
	if (size <= tlogd_n) {
		struct tlog_tree t = tlogd_tree();

		ret = tlog_tree_inclusion(&t, size, index, proof, len);
	}
	pthread_rwlock_unlock(&tlogd_lock);
	return ret;
}

int
tlogd_consistency(uint64_t m, uint64_t n, tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	int ret = -1;

	*len = 0;
	pthread_rwlock_rdlock(&tlogd_lock);
	if (n <= tlogd_n) {
		struct tlog_tree t = tlogd_tree();

		ret = tlog_tree_consistency(&t, n, m, proof, len);
	}
	pthread_rwlock_unlock(&tlogd_lock);
	return ret;
}

int
tlogd_tile(int level, uint64_t index, unsigned width, unsigned char *out)
{
	uint64_t span = 1;
	int ret = 0;

	if (level < 0 || level > 7 || width < 1 || width > TLOG_TILE_WIDTH)
		return -1;
	for (int l = 0; l < level; l++)
		span *= TLOG_TILE_WIDTH;
	pthread_rwlock_rdlock(&tlogd_lock);
	if (index > UINT64_MAX / TLOG_TILE_WIDTH / span ||
	    (index * TLOG_TILE_WIDTH + width) * span > tlogd_n) {
		ret = -1;
	} else {
		struct tlog_tree t = tlogd_tree();

		for (unsigned i = 0; i < width && ret == 0; i++)
			ret = tlog_tree_subtree(&t, (index * TLOG_TILE_WIDTH + i) * span, span,
			                        out + (size_t)i * TLOG_HASH);
	}
	pthread_rwlock_unlock(&tlogd_lock);
	return ret;
}

int
tlogd_sign_checkpoint(uint64_t size, const tlog_hash root, char *out, size_t outlen)
{
	unsigned char sig[CRYPTO_ED25519_SIG_LEN];
	char line[256];
	int n, m;

	if (tlogd_key == NULL ||
	    (n = tlog_checkpoint_body(tlogd_origin_name, size, root, out, outlen)) < 0 ||
	    crypto_sign(tlogd_key, out, (size_t)n, sig) != 0 ||
	    (m = tlog_note_sigline(tlogd_origin_name, tlogd_key_id, sig, sizeof(sig), line,
	                           sizeof(line))) < 0 ||
	    (size_t)(n + 1 + m) >= outlen)
		return -1;
	out[n] = '\n';
	memcpy(out + n + 1, line, (size_t)m + 1);
	return n + 1 + m;
}

/* ---- the thread ---- */

struct tlogd_tick_tx {
	unsigned audit_s;
	int force;
};

static int
tlogd_audit_fn(struct db_conn *c, void *arg)
{
	const struct tlogd_tick_tx *k = arg;

	return store_tlog_audit_checkpoint(c, k->audit_s, k->force);
}

struct tlogd_ckpt_tx {
	long long size; /* in: the size to store; out: the latest stored */
	tlog_hash root;
	const char *note;
	struct store_tlog_checkpoint latest;
};

static int
tlogd_latest_fn(struct db_conn *c, void *arg)
{
	struct tlogd_ckpt_tx *k = arg;
	int rc = store_tlog_checkpoint(c, 0, &k->latest);

	return rc == STORE_NONE ? DB_OK : rc;
}

static int
tlogd_store_fn(struct db_conn *c, void *arg)
{
	struct tlogd_ckpt_tx *k = arg;

	return store_tlog_checkpoint_store(c, k->size, k->root, k->note);
}

struct tlogd_keys_tx {
	unsigned char log[CRYPTO_ED25519_PUB_LEN];
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	int have_pub;
};

static int
tlogd_keys_fn(struct db_conn *c, void *arg)
{
	const struct tlogd_keys_tx *k = arg;
	int rc = store_tlog_announce_key(c, "log", k->log);

	if (rc == DB_OK && k->have_pub)
		rc = store_tlog_announce_key(c, "publication-signing", k->pub);
	return rc;
}

int
tlogd_checkpoint_now(void)
{
	struct tlogd_ckpt_tx k = {0};
	char note[1024];
	long long n;
	int rc;

	if ((n = tlogd_sync()) < 0)
		return -1;
	rc = db_tx(NULL, "tlog_latest", tlogd_latest_fn, &k);
	if (rc != DB_OK) {
		store_tlog_checkpoint_clear(&k.latest);
		return -1;
	}
	if (n == 0 || n <= k.latest.size) {
		store_tlog_checkpoint_clear(&k.latest);
		return 0;
	}
	store_tlog_checkpoint_clear(&k.latest);
	k.size = n;
	if (tlogd_root((uint64_t)n, k.root) != 0 ||
	    tlogd_sign_checkpoint((uint64_t)n, k.root, note, sizeof(note)) < 0)
		return -1;
	k.note = note;
	if (db_tx(NULL, "tlog_checkpoint", tlogd_store_fn, &k) != DB_OK)
		return -1;
	log_event(LOG_LEVEL_INFO, "tlog_checkpoint", json_pack("{s:I}", "size", (json_int_t)n));
	return 1;
}

int
tlogd_audit_checkpoint(int force)
{
	struct tlogd_tick_tx k = {tlogd_audit_s ? tlogd_audit_s : 600, force};

	return db_tx(NULL, "tlog_audit", tlogd_audit_fn, &k) == DB_OK ? 0 : -1;
}

static void *
tlogd_main(void *arg)
{
	struct tlogd_keys_tx keys = {0};
	int announced = 0;

	(void)arg;
	crypto_signer_public(tlogd_key, keys.log);
	if (tlogd_pub_signer != NULL) {
		crypto_signer_public(tlogd_pub_signer, keys.pub);
		keys.have_pub = 1;
	}
	pthread_mutex_lock(&tlogd_mutex);
	while (!tlogd_stopping) {
		struct timespec until;

		pthread_mutex_unlock(&tlogd_mutex);
		if (!announced && db_tx(NULL, "tlog_keys", tlogd_keys_fn, &keys) == DB_OK)
			announced = 1;
		if (tlogd_audit_checkpoint(0) != 0)
			log_event(LOG_LEVEL_WARN, "tlog_audit_checkpoint_failed", NULL);
		if (tlogd_checkpoint_now() < 0)
			log_event(LOG_LEVEL_WARN, "tlog_checkpoint_failed", NULL);
		if (witness_count() > 0) {
			struct tlogd_ckpt_tx k = {0};

			if (db_tx(NULL, "tlog_latest", tlogd_latest_fn, &k) == DB_OK &&
			    k.latest.size > 0 && tlogd_sync() >= k.latest.size)
				witness_round(k.latest.size);
			store_tlog_checkpoint_clear(&k.latest);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(tlogd_interval_ms % 1000) * 1000000L;
		until.tv_sec += tlogd_interval_ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&tlogd_mutex);
		while (!tlogd_stopping &&
		       pthread_cond_timedwait(&tlogd_cond, &tlogd_mutex, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&tlogd_mutex);
	db_thread_close();
	return NULL;
}

int
tlogd_start(unsigned interval_ms, unsigned audit_interval_s)
{
	if (tlogd_key == NULL)
		return -1;
	tlogd_interval_ms = interval_ms ? interval_ms : 1000;
	tlogd_audit_s = audit_interval_s ? audit_interval_s : 600;
	tlogd_stopping = 0;
	if (pthread_create(&tlogd_thread, NULL, tlogd_main, NULL) != 0) {
		log_event(LOG_LEVEL_ERROR, "tlog_start_failed", NULL);
		return -1;
	}
	tlogd_running = 1;
	return 0;
}

void
tlogd_stop(void)
{
	if (!tlogd_running)
		return;
	pthread_mutex_lock(&tlogd_mutex);
	tlogd_stopping = 1;
	pthread_cond_broadcast(&tlogd_cond);
	pthread_mutex_unlock(&tlogd_mutex);
	pthread_join(tlogd_thread, NULL);
	tlogd_running = 0;
}

void
tlogd_free(void)
{
	pthread_rwlock_wrlock(&tlogd_lock);
	free(tlogd_leaves);
	tlogd_leaves = NULL;
	tlogd_n = tlogd_cap = 0;
	for (int l = 0; l < TLOGD_LEVELS; l++) {
		free(tlogd_level[l]);
		tlogd_level[l] = NULL;
		tlogd_level_n[l] = tlogd_level_cap[l] = 0;
	}
	pthread_rwlock_unlock(&tlogd_lock);
	crypto_signer_free(tlogd_key);
	tlogd_key = NULL;
}

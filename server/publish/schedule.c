/*
 * publish/schedule.c: the release scheduler, one thread in every lockstepd
 * replica.
 *
 * Every interval it runs transactions under the pseudo identity
 * org_kind = 'scheduler' until none claims a campaign. One transaction
 * publishes (or holds) exactly one campaign:
 *
 *   1. release_claim() locks one due, unpublished campaign FOR UPDATE SKIP
 *      LOCKED (another replica's transaction skips it; no replica waits);
 *   2. release_inputs() returns what becomes public (and the companies'
 *      names for the name check); publish_build() makes the document;
 *   3. under pseudonymous or aggregate disclosure, a text naming a
 *      participating company holds the release: release_hold() records why
 *      (the coordinator sees it), an audit event says so when the reasons
 *      change, and the campaign is looked at again a second later;
 *   4. otherwise release_chain_head() serialises publishers with an
 *      advisory lock and names the previous publication; the document gets
 *      its sequence and prev_hash, is made canonical, hashed and signed, and
 *      release_publish() stores it and marks the campaign published;
 *   5. an audit event records the release; COMMIT.
 *
 * Nothing is visible to anyone before the COMMIT, so a replica killed at
 * any point publishes nothing, and its lock dies with its connection: the
 * next replica to poll claims the campaign and publishes it whole.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "publish/publish.h"
#include "util/log.h"
#include "util/util.h"

#define SCHEDULE_MAX_PER_ROUND 1000

static pthread_t schedule_thread;
static pthread_mutex_t schedule_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t schedule_cond = PTHREAD_COND_INITIALIZER;
static int schedule_running;
static int schedule_stopping;
static const struct crypto_signer *schedule_signer;
static unsigned schedule_interval_ms;
static unsigned schedule_pause_ms;

struct schedule_tx {
	int claimed; /* a campaign was claimed (published or held) */
	int published;
	char slug[80];
	char campaign[DB_UUID_LEN + 1];
	long long seq;
	char hash[2 * CRYPTO_SHA256_LEN + 1];
};

/* Append an audit event as the scheduler. DB_OK or a db_status. */
static int
schedule_audit(struct db_conn *c, const char *action, const char *campaign, json_t *detail)
{
	char *text = json_dumps(detail, JSON_COMPACT);
	const char *p[7] = {action, "campaign", campaign, NULL, NULL, text, NULL};
	int rc;

	json_decref(detail);
	if (text == NULL)
		return DB_ERROR;
	rc = db_run(c, "audit_append", 7, p);
	free(text);
	return rc;
}

/* Hold the release of campaign id for leaks (borrowed). DB_OK or a db_status. */
static int
schedule_hold(struct db_conn *c, struct schedule_tx *k, json_t *leaks)
{
	char *text = json_dumps(leaks, JSON_COMPACT | JSON_SORT_KEYS);
	const char *p[2] = {k->campaign, text};
	struct db_result *q;
	enum db_status st;
	int changed, rc = DB_OK;

	if (text == NULL)
		return DB_ERROR;
	q = db_exec(c, "release_hold", 2, p, &st);
	free(text);
	if (q == NULL)
		return st;
	changed = strcmp(db_get(q, 0, 0), "t") == 0;
	db_result_free(q);
	if (changed) {
		log_event(LOG_LEVEL_WARN, "release_held",
		          json_pack("{s:s, s:s, s:I}", "campaign", k->campaign, "slug", k->slug,
		                    "reasons", (json_int_t)json_array_size(leaks)));
		rc = schedule_audit(c, "release.held", k->campaign,
		                    json_pack("{s:s, s:O}", "slug", k->slug, "reasons", leaks));
	}
	return rc;
}

/* Sign and store doc as the next publication. DB_OK or a db_status. */
static int
schedule_publish(struct db_conn *c, struct schedule_tx *k, json_t *doc, int after_hold,
                 int embargo_break)
{
	unsigned char hash[CRYPTO_SHA256_LEN], sig[CRYPTO_ED25519_SIG_LEN],
	    pub[CRYPTO_ED25519_PUB_LEN];
	unsigned char *prev = NULL;
	char prev_hex[2 * CRYPTO_SHA256_LEN + 1], seqtext[24];
	char *canon = NULL, *p_sig = NULL, *p_hash = NULL, *p_prev = NULL, *p_key = NULL;
	struct db_result *q;
	enum db_status st;
	size_t len = 0, prevlen = 0;
	long long seq = 0;
	int ret = DB_ERROR;

	if ((q = db_exec(c, "release_chain_head", 0, NULL, &st)) == NULL)
		return st;
	if (db_rows(q) != 1 || util_strnum(db_get(q, 0, 0), 0, 1LL << 60, &seq) != 0 ||
	    (prev = db_get_bytea(q, 0, 1, &prevlen)) == NULL || prevlen != CRYPTO_SHA256_LEN) {
		db_result_free(q);
		free(prev);
		return DB_ERROR;
	}
	db_result_free(q);
	util_hex_encode(prev, prevlen, prev_hex);
	seq++;
	if (publish_chain(doc, seq, prev_hex) != 0 ||
	    (canon = publish_canonical(doc, &len)) == NULL ||
	    crypto_sha256(canon, len, hash) != 0 ||
	    crypto_sign(schedule_signer, canon, len, sig) != 0)
		goto done;
	crypto_signer_public(schedule_signer, pub);
	snprintf(seqtext, sizeof(seqtext), "%lld", seq);
	p_sig = db_param_bytea(sig, sizeof(sig));
	p_hash = db_param_bytea(hash, sizeof(hash));
	p_prev = db_param_bytea(prev, prevlen);
	p_key = db_param_bytea(pub, sizeof(pub));
	if (p_sig == NULL || p_hash == NULL || p_prev == NULL || p_key == NULL)
		goto done;
	{
		const char *p[7] = {k->campaign, seqtext, canon, p_sig, p_hash, p_prev, p_key};

		if ((ret = db_run(c, "release_publish", 7, p)) != DB_OK)
			goto done;
	}
	k->published = 1;
	k->seq = seq;
	util_hex_encode(hash, sizeof(hash), k->hash);
	ret = schedule_audit(c, "release.published", k->campaign,
	                     json_pack("{s:s, s:I, s:s, s:b, s:b}", "slug", k->slug, "sequence",
	                               (json_int_t)seq, "hash", k->hash, "embargo_break",
	                               embargo_break, "after_hold", after_hold));
	if (ret == DB_OK && schedule_pause_ms > 0) {
		/* tests only: a window in which the row exists but is not committed */
		log_event(LOG_LEVEL_INFO, "release_pausing",
		          json_pack("{s:s, s:i}", "slug", k->slug, "ms", (int)schedule_pause_ms));
		usleep((useconds_t)schedule_pause_ms * 1000);
	}
done:
	free(canon);
	free(prev);
	free(p_sig);
	free(p_hash);
	free(p_prev);
	free(p_key);
	return ret;
}

static int
schedule_tx_fn(struct db_conn *c, void *arg)
{
	struct schedule_tx *k = arg;
	struct publish_campaign pc;
	struct db_result *q = NULL, *in = NULL;
	json_t *tms = NULL, *inputs = NULL, *doc = NULL, *leaks = NULL;
	enum db_status st;
	long long cohort = 1;
	int ret = DB_ERROR, held;

	memset(k, 0, sizeof(*k));
	if ((q = db_exec(c, "release_claim", 0, NULL, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return DB_OK;
	}
	k->claimed = 1;
	snprintf(k->campaign, sizeof(k->campaign), "%s", db_get(q, 0, 0));
	snprintf(k->slug, sizeof(k->slug), "%s", db_get(q, 0, 2));
	tms = json_loads(db_get(q, 0, 3), JSON_DECODE_ANY, NULL);
	util_strnum(db_get(q, 0, 7), 1, 1000, &cohort);
	memset(&pc, 0, sizeof(pc));
	pc.id = k->campaign;
	pc.title = db_get(q, 0, 1);
	pc.slug = db_get(q, 0, 2);
	pc.threat_models = tms;
	pc.release_at = db_get(q, 0, 4);
	pc.planned_release_at = db_get(q, 0, 5);
	pc.disclosure = db_get(q, 0, 6);
	pc.min_cohort = cohort;
	pc.embargo_break = strcmp(db_get(q, 0, 8), "t") == 0;
	held = strcmp(db_get(q, 0, 9), "t") == 0;
	{
		const char *p[1] = {k->campaign};

		if ((in = db_exec(c, "release_inputs", 1, p, &st)) == NULL) {
			ret = st;
			goto done;
		}
	}
	if (db_rows(in) != 1 || db_is_null(in, 0, 0) ||
	    (inputs = json_loads(db_get(in, 0, 0), 0, NULL)) == NULL ||
	    (doc = publish_build(&pc, inputs, &leaks)) == NULL) {
		log_event(LOG_LEVEL_ERROR, "release_build_failed",
		          json_pack("{s:s}", "slug", k->slug));
		goto done;
	}
	if (json_array_size(leaks) > 0)
		ret = schedule_hold(c, k, leaks);
	else
		ret = schedule_publish(c, k, doc, held, pc.embargo_break);
done:
	json_decref(tms);
	json_decref(inputs);
	json_decref(doc);
	json_decref(leaks);
	db_result_free(in);
	db_result_free(q);
	return ret;
}

static void *
schedule_main(void *arg)
{
	static const struct util_identity scheduler = {.org_kind = "scheduler"};

	(void)arg;
	pthread_mutex_lock(&schedule_lock);
	while (!schedule_stopping) {
		struct timespec until;

		pthread_mutex_unlock(&schedule_lock);
		for (int n = 0; n < SCHEDULE_MAX_PER_ROUND; n++) {
			struct schedule_tx k = {0};
			int rc = db_tx(&scheduler, "schedule", schedule_tx_fn, &k);

			if (rc != DB_OK) {
				log_event(LOG_LEVEL_ERROR, "release_failed",
				          json_pack("{s:i, s:s}", "status", rc, "slug", k.slug));
				break;
			}
			if (!k.claimed)
				break;
			if (k.published)
				log_event(LOG_LEVEL_INFO, "released",
				          json_pack("{s:s, s:I, s:s}", "slug", k.slug, "sequence",
				                    (json_int_t)k.seq, "hash", k.hash));
			if (__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
				break;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(schedule_interval_ms % 1000) * 1000000L;
		until.tv_sec += schedule_interval_ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&schedule_lock);
		while (!schedule_stopping &&
		       pthread_cond_timedwait(&schedule_cond, &schedule_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&schedule_lock);
	db_thread_close();
	return NULL;
}

int
schedule_start(const struct crypto_signer *signer, unsigned interval_ms, unsigned pause_ms)
{
	schedule_signer = signer;
	schedule_interval_ms = interval_ms ? interval_ms : 500;
	schedule_pause_ms = pause_ms;
	schedule_stopping = 0;
	if (pthread_create(&schedule_thread, NULL, schedule_main, NULL) != 0) {
		log_event(LOG_LEVEL_ERROR, "scheduler_start_failed", NULL);
		return -1;
	}
	schedule_running = 1;
	log_event(LOG_LEVEL_INFO, "scheduler_started",
	          json_pack("{s:i}", "interval_ms", (int)schedule_interval_ms));
	return 0;
}

void
schedule_stop(void)
{
	if (!schedule_running)
		return;
	pthread_mutex_lock(&schedule_lock);
	__atomic_store_n(&schedule_stopping, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&schedule_cond);
	pthread_mutex_unlock(&schedule_lock);
	pthread_join(schedule_thread, NULL);
	schedule_running = 0;
	log_event(LOG_LEVEL_INFO, "scheduler_stopped", NULL);
}

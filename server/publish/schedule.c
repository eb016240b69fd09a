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
 *      names for the name check); claim summaries and statements come
 *      sealed with each engagement's wrapped data key, which the store
 *      opens with the master key (store_release_inputs); publish_build()
 *      makes the document;
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
 * Between rounds it sleeps until the next instant of a campaign not yet
 * published (release_next_due(), at most a second: review_round runs
 * every round), woken at once by a
 * second thread that LISTENs on lockstep_release (0013_release_wake.sql:
 * every change of a campaign's instant or state NOTIFYs at COMMIT); while
 * it cannot listen, it polls every interval as before.
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
#include "store/store.h"
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
/* for /metrics (schedule_metrics_render) */
static unsigned long schedule_nrounds, schedule_nreleased, schedule_nfailed;
static unsigned long schedule_nwakes;
/* woken: a campaign's instant changed (NOTIFY lockstep_release) */
static int schedule_woken;
/* the listener thread: its connection LISTENs; 1 while it does */
static pthread_t schedule_listener;
static int schedule_listening;

/*
 * The longest sleep: the review scheduler (review_round) compares each
 * open review's rows with its draft about once a second.
 */
#define SCHEDULE_MAX_SLEEP_MS 1000
/* Due but not claimable (held, or another replica has it): look again soon. */
#define SCHEDULE_DUE_RETRY_MS 100

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
	int rc;

	json_decref(detail);
	if (text == NULL)
		return DB_ERROR;
	rc = store_audit_append(c, action, "campaign", campaign, NULL, NULL, text, NULL);
	free(text);
	return rc;
}

/*
 * Tell the participants whose texts hold the release (store_event
 * "release.held" per engagement, with the fields, never the name found)
 * and the coordinator (one event about the campaign). DB_OK or a db_status.
 */
static int
schedule_hold_events(struct db_conn *c, struct schedule_tx *k, const json_t *leaks)
{
	json_t *orgs = NULL, *by = json_object(), *l, *fields;
	const char *eid;
	size_t i;
	int rc;

	if (by == NULL)
		return DB_ERROR;
	if ((rc = store_release_engagement_orgs(c, k->campaign, &orgs)) != DB_OK) {
		json_decref(by);
		return rc;
	}
	json_array_foreach(leaks, i, l)
	{
		const char *e = json_string_value(json_object_get(l, "engagement"));
		json_t *f;

		if (e == NULL)
			continue;
		if ((f = json_object_get(by, e)) == NULL) {
			f = json_array();
			json_object_set_new(by, e, f);
		}
		json_array_append(f, json_object_get(l, "field"));
	}
	json_object_foreach(by, eid, fields)
	{
		json_t *pair = json_object_get(orgs, eid);

		rc = store_event(c, "release.held", "engagement", eid,
		                 json_string_value(json_array_get(pair, 0)),
		                 json_string_value(json_array_get(pair, 1)),
		                 json_pack("{s:s, s:s, s:O}", "campaign", k->campaign, "engagement",
		                           eid, "fields", fields),
		                 NULL);
		if (rc != DB_OK)
			break;
	}
	if (rc == DB_OK)
		rc = store_event(c, "release.held", "campaign", k->campaign, NULL, NULL,
		                 json_pack("{s:s, s:I}", "campaign", k->campaign, "reasons",
		                           (json_int_t)json_array_size(leaks)),
		                 NULL);
	json_decref(orgs);
	json_decref(by);
	return rc;
}

/* Hold the release of campaign id for leaks (borrowed). DB_OK or a db_status. */
static int
schedule_hold(struct db_conn *c, struct schedule_tx *k, json_t *leaks)
{
	char *text = json_dumps(leaks, JSON_COMPACT | JSON_SORT_KEYS);
	int changed = 0, rc;

	if (text == NULL)
		return DB_ERROR;
	rc = store_release_hold(c, k->campaign, text, &changed);
	free(text);
	if (rc == DB_OK && changed) {
		log_event(LOG_LEVEL_WARN, "release_held",
		          json_pack("{s:s, s:s, s:I}", "campaign", k->campaign, "slug", k->slug,
		                    "reasons", (json_int_t)json_array_size(leaks)));
		rc = schedule_audit(c, "release.held", k->campaign,
		                    json_pack("{s:s, s:O}", "slug", k->slug, "reasons", leaks));
		if (rc == DB_OK)
			rc = schedule_hold_events(c, k, leaks);
	}
	return rc;
}

/* Tell every engagement's company and assessor that the release is out. DB_OK or a db_status. */
static int
schedule_published_events(struct db_conn *c, struct schedule_tx *k, long long seq)
{
	json_t *orgs = NULL, *pair;
	const char *eid;
	int rc;

	if ((rc = store_release_engagement_orgs(c, k->campaign, &orgs)) != DB_OK)
		return rc;
	json_object_foreach(orgs, eid, pair)
	{
		rc = store_event(c, "release.published", "engagement", eid,
		                 json_string_value(json_array_get(pair, 0)),
		                 json_string_value(json_array_get(pair, 1)),
		                 json_pack("{s:s, s:s, s:s, s:I}", "campaign", k->campaign,
		                           "engagement", eid, "slug", k->slug, "sequence",
		                           (json_int_t)seq),
		                 NULL);
		if (rc != DB_OK)
			break;
	}
	json_decref(orgs);
	return rc;
}

/* Sign and store doc as the next publication. DB_OK or a db_status. */
static int
schedule_publish(struct db_conn *c, struct schedule_tx *k, json_t *doc, int after_hold,
                 int embargo_break)
{
	unsigned char hash[CRYPTO_SHA256_LEN], sig[CRYPTO_ED25519_SIG_LEN],
	    pub[CRYPTO_ED25519_PUB_LEN], prev[CRYPTO_SHA256_LEN];
	char prev_hex[2 * CRYPTO_SHA256_LEN + 1];
	char *canon = NULL;
	size_t len = 0;
	long long seq = 0;
	int ret;

	if ((ret = store_release_chain_head(c, &seq, prev)) != DB_OK)
		return ret;
	util_hex_encode(prev, sizeof(prev), prev_hex);
	seq++;
	ret = DB_ERROR;
	if (publish_chain(doc, seq, prev_hex) != 0 ||
	    (canon = publish_canonical(doc, &len)) == NULL ||
	    crypto_sha256(canon, len, hash) != 0 ||
	    crypto_sign(schedule_signer, canon, len, sig) != 0)
		goto done;
	crypto_signer_public(schedule_signer, pub);
	if ((ret = store_release_publish(c, k->campaign, seq, canon, sig, hash, prev, pub)) !=
	    DB_OK)
		goto done;
	k->published = 1;
	k->seq = seq;
	util_hex_encode(hash, sizeof(hash), k->hash);
	ret = schedule_audit(c, "release.published", k->campaign,
	                     json_pack("{s:s, s:I, s:s, s:b, s:b}", "slug", k->slug, "sequence",
	                               (json_int_t)seq, "hash", k->hash, "embargo_break",
	                               embargo_break, "after_hold", after_hold));
	if (ret == DB_OK)
		ret = store_event(c, "release.published", "campaign", k->campaign, NULL, NULL,
		                  json_pack("{s:s, s:s, s:I, s:s}", "campaign", k->campaign, "slug",
		                            k->slug, "sequence", (json_int_t)seq, "hash", k->hash),
		                  NULL);
	if (ret == DB_OK)
		ret = schedule_published_events(c, k, seq);
	if (ret == DB_OK && schedule_pause_ms > 0) {
		/* tests only: a window in which the row exists but is not committed */
		log_event(LOG_LEVEL_INFO, "release_pausing",
		          json_pack("{s:s, s:i}", "slug", k->slug, "ms", (int)schedule_pause_ms));
		usleep((useconds_t)schedule_pause_ms * 1000);
	}
done:
	free(canon);
	return ret;
}

/*
 * Give each engagement of inputs its review (0008) as "review": the state,
 * draft hash, response and addendum the review scheduler and the company
 * left. DB_OK or a db_status.
 */
static int
schedule_reviews(struct db_conn *c, const char *campaign, json_t *inputs)
{
	json_t *reviews = NULL, *e;
	size_t i;
	int rc;

	if ((rc = store_review_release_inputs(c, campaign, &reviews)) != DB_OK)
		return rc;
	json_array_foreach(json_object_get(inputs, "engagements"), i, e)
	{
		const char *eid = json_string_value(json_object_get(e, "id"));
		json_t *r = eid ? json_object_get(reviews, eid) : NULL;

		if (r != NULL)
			json_object_set(e, "review", r);
	}
	json_decref(reviews);
	return DB_OK;
}

static int
schedule_tx_fn(struct db_conn *c, void *arg)
{
	struct schedule_tx *k = arg;
	struct store_release rel = {0};
	struct publish_campaign pc;
	json_t *inputs = NULL, *doc = NULL, *leaks = NULL, *withheld = NULL;
	int ret;

	/* may run again: start from nothing */
	memset(k, 0, sizeof(*k));
	if ((ret = store_release_claim(c, &rel)) != DB_OK)
		return ret == STORE_NONE ? DB_OK : ret;
	k->claimed = 1;
	snprintf(k->campaign, sizeof(k->campaign), "%s", rel.campaign_id);
	snprintf(k->slug, sizeof(k->slug), "%s", rel.slug);
	memset(&pc, 0, sizeof(pc));
	pc.id = k->campaign;
	pc.title = rel.title;
	pc.slug = rel.slug;
	pc.threat_models = rel.threat_models;
	pc.release_at = rel.release_at;
	pc.planned_release_at = rel.planned_release_at;
	pc.disclosure = rel.disclosure;
	pc.min_cohort = rel.min_cohort;
	pc.embargo_break = rel.embargo_break;
	if ((ret = store_release_inputs(c, k->campaign, &inputs)) < 0)
		goto done;
	if (ret == DB_OK && (ret = schedule_reviews(c, k->campaign, inputs)) != DB_OK)
		goto done;
	/* security levels (0018): emulation, not-met levels, commitments */
	if (ret == DB_OK && (ret = store_levels_attach(c, k->campaign, inputs)) != DB_OK)
		goto done;
	/* a series (0018): the document of the publication this campaign follows */
	if (ret == DB_OK && (ret = store_series_attach(c, k->campaign, inputs)) != DB_OK)
		goto done;
	if (ret == DB_OK && (ret = store_release_withheld(c, k->campaign, &withheld)) != DB_OK)
		goto done;
	pc.withhold = withheld;
	if (ret != DB_OK || (doc = publish_build(&pc, inputs, &leaks)) == NULL) {
		log_event(LOG_LEVEL_ERROR, "release_build_failed",
		          json_pack("{s:s}", "slug", k->slug));
		ret = DB_ERROR;
		goto done;
	}
	if (json_array_size(leaks) > 0) {
		ret = schedule_hold(c, k, leaks);
	} else {
		json_t *summary = NULL;

		/* commit-then-reveal: each row's salt (or its recommitment), then the
		 * document again with them (a new shuffle: the first one is dropped) */
		json_decref(doc);
		json_decref(leaks);
		doc = leaks = NULL;
		if ((ret = commit_reveal(c, k->campaign, pc.threat_models, inputs, &summary)) !=
		    DB_OK)
			goto done;
		if ((doc = publish_build(&pc, inputs, &leaks)) == NULL) {
			json_decref(summary);
			ret = DB_ERROR;
			goto done;
		}
		if (json_object_set_new(doc, "commitments", summary) != 0) {
			ret = DB_ERROR;
			goto done;
		}
		ret = schedule_publish(c, k, doc, rel.held, pc.embargo_break);
	}
done:
	json_decref(inputs);
	json_decref(doc);
	json_decref(leaks);
	json_decref(withheld);
	store_release_clear(&rel);
	return ret;
}

/* Wake the scheduler now (a campaign's instant changed). */
static void
schedule_wake(void)
{
	pthread_mutex_lock(&schedule_lock);
	schedule_woken = 1;
	pthread_cond_signal(&schedule_cond);
	pthread_mutex_unlock(&schedule_lock);
	__atomic_add_fetch(&schedule_nwakes, 1, __ATOMIC_RELAXED);
}

/*
 * The listener: LISTEN lockstep_release on a connection of its own and
 * wake the scheduler on every notification; after a lost connection,
 * listen again and wake once (a change may have been missed meanwhile).
 */
static void *
schedule_listen_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED)) {
		if (!__atomic_load_n(&schedule_listening, __ATOMIC_RELAXED)) {
			if (db_listen("lockstep_release") != 0) {
				db_thread_close();
				sleep(1);
				continue;
			}
			__atomic_store_n(&schedule_listening, 1, __ATOMIC_RELAXED);
			schedule_wake();
		}
		switch (db_wait_notify(250)) {
		case 1:
			schedule_wake();
			break;
		case -1:
			__atomic_store_n(&schedule_listening, 0, __ATOMIC_RELAXED);
			db_thread_close();
			break;
		default:
			break;
		}
	}
	db_thread_close();
	return NULL;
}

struct schedule_due {
	int known;
	long long ms;
};

static int
schedule_due_tx(struct db_conn *c, void *arg)
{
	struct schedule_due *d = arg;
	int rc = store_release_next_due(c, &d->ms);

	d->known = rc == DB_OK;
	return rc == STORE_NONE ? DB_OK : rc;
}

/*
 * How long to sleep after a round: until the next instant when it is
 * known and the listener will wake us if it changes (at most a second);
 * the polling interval when we cannot listen or cannot ask.
 */
static unsigned
schedule_sleep_ms(const struct util_identity *scheduler)
{
	struct schedule_due d = {0, 0};

	if (!__atomic_load_n(&schedule_listening, __ATOMIC_RELAXED) ||
	    db_tx(scheduler, "schedule_due", schedule_due_tx, &d) != DB_OK)
		return schedule_interval_ms;
	if (!d.known)
		return SCHEDULE_MAX_SLEEP_MS; /* nothing scheduled: a NOTIFY wakes us */
	if (d.ms <= 0)
		return SCHEDULE_DUE_RETRY_MS; /* due but not claimable now (held, or taken) */
	return d.ms > SCHEDULE_MAX_SLEEP_MS ? SCHEDULE_MAX_SLEEP_MS : (unsigned)d.ms;
}

static void *
schedule_main(void *arg)
{
	static const struct util_identity scheduler = {.org_kind = "scheduler"};

	(void)arg;
	pthread_mutex_lock(&schedule_lock);
	while (!schedule_stopping) {
		struct timespec until;
		unsigned sleep_ms;

		schedule_woken = 0;
		pthread_mutex_unlock(&schedule_lock);
		(void)commit_round(); /* logged */
		__atomic_add_fetch(&schedule_nrounds, 1, __ATOMIC_RELAXED);
		for (int n = 0; n < SCHEDULE_MAX_PER_ROUND; n++) {
			struct schedule_tx k = {0};
			int rc = db_tx(&scheduler, "schedule", schedule_tx_fn, &k);

			if (rc != DB_OK) {
				__atomic_add_fetch(&schedule_nfailed, 1, __ATOMIC_RELAXED);
				log_event(LOG_LEVEL_ERROR, "release_failed",
				          json_pack("{s:i, s:s}", "status", rc, "slug", k.slug));
				break;
			}
			if (!k.claimed)
				break;
			if (k.published)
				__atomic_add_fetch(&schedule_nreleased, 1, __ATOMIC_RELAXED);
			if (k.published) {
				log_event(LOG_LEVEL_INFO, "released",
				          json_pack("{s:s, s:I, s:s}", "slug", k.slug, "sequence",
				                    (json_int_t)k.seq, "hash", k.hash));
				/* the release's log entries get a signed checkpoint at once */
				if (tlogd_signer() != NULL && tlogd_checkpoint_now() < 0)
					log_event(LOG_LEVEL_WARN, "tlog_checkpoint_failed", NULL);
			}
			if (__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
				break;
		}
		if (!__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
			review_round(&scheduler, SCHEDULE_MAX_PER_ROUND);
		sleep_ms = schedule_sleep_ms(&scheduler);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(sleep_ms % 1000) * 1000000L;
		until.tv_sec += sleep_ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&schedule_lock);
		while (!schedule_stopping && !schedule_woken &&
		       pthread_cond_timedwait(&schedule_cond, &schedule_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&schedule_lock);
	db_thread_close();
	return NULL;
}

char *
schedule_metrics_render(void)
{
	char *s = NULL;

	if (asprintf(&s,
	             "# HELP lockstep_scheduler_rounds_total Rounds of the release scheduler.\n"
	             "# TYPE lockstep_scheduler_rounds_total counter\n"
	             "lockstep_scheduler_rounds_total %lu\n"
	             "# HELP lockstep_scheduler_releases_total Campaigns this replica published.\n"
	             "# TYPE lockstep_scheduler_releases_total counter\n"
	             "lockstep_scheduler_releases_total %lu\n"
	             "# HELP lockstep_scheduler_failures_total Scheduler transactions that failed "
	             "(retried next round).\n"
	             "# TYPE lockstep_scheduler_failures_total counter\n"
	             "lockstep_scheduler_failures_total %lu\n"
	             "# HELP lockstep_scheduler_wakes_total Wake-ups by NOTIFY lockstep_release (a "
	             "campaign's instant changed).\n"
	             "# TYPE lockstep_scheduler_wakes_total counter\n"
	             "lockstep_scheduler_wakes_total %lu\n"
	             "# HELP lockstep_scheduler_listening 1 while the scheduler is woken by "
	             "NOTIFY (else it polls).\n"
	             "# TYPE lockstep_scheduler_listening gauge\n"
	             "lockstep_scheduler_listening %d\n",
	             __atomic_load_n(&schedule_nrounds, __ATOMIC_RELAXED),
	             __atomic_load_n(&schedule_nreleased, __ATOMIC_RELAXED),
	             __atomic_load_n(&schedule_nfailed, __ATOMIC_RELAXED),
	             __atomic_load_n(&schedule_nwakes, __ATOMIC_RELAXED),
	             __atomic_load_n(&schedule_listening, __ATOMIC_RELAXED)) < 0)
		return NULL;
	return s;
}

int
schedule_start(const struct crypto_signer *signer, unsigned interval_ms, unsigned pause_ms)
{
	schedule_signer = signer;
	schedule_interval_ms = interval_ms ? interval_ms : 500;
	schedule_pause_ms = pause_ms;
	schedule_stopping = 0;
	if (pthread_create(&schedule_listener, NULL, schedule_listen_main, NULL) != 0) {
		log_event(LOG_LEVEL_ERROR, "scheduler_start_failed", NULL);
		return -1;
	}
	if (pthread_create(&schedule_thread, NULL, schedule_main, NULL) != 0) {
		log_event(LOG_LEVEL_ERROR, "scheduler_start_failed", NULL);
		__atomic_store_n(&schedule_stopping, 1, __ATOMIC_RELAXED);
		pthread_join(schedule_listener, NULL);
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
	pthread_join(schedule_listener, NULL); /* it sees schedule_stopping within 250 ms */
	__atomic_store_n(&schedule_listening, 0, __ATOMIC_RELAXED);
	schedule_running = 0;
	log_event(LOG_LEVEL_INFO, "scheduler_stopped", NULL);
}

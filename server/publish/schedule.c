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
 * Prepared releases (0019_perf.sql): when a campaign's instant is less than
 * prepare_ms away (LOCKSTEP_RELEASE_PREPARE_MS, 30 s), schedule_prepare()
 * runs steps 2 and 3 and the commit-then-reveal ahead of time in a
 * transaction that writes nothing (release_*_ahead(), commit_reveal_dry)
 * and keeps the document in this replica's memory (schedule_prepared: one
 * campaign, never signed, never stored, so nothing is visible before the
 * instant; the database's embargo and policies are unchanged), with
 * release_stamp(), a digest of everything it was built from, taken before
 * and after the reads (equal, or nothing is kept). Each round re-checks the
 * stamp and prepares again when it moved. At the instant the claiming
 * transaction compares the campaign row and the stamp (the final check):
 * both unchanged, it signs and stores the prepared document (step 4 only);
 * the stamp re-reads everything, so it is only computed when the change
 * marker (0023_input_changes.sql) says that a table the release reads
 * was written since the snapshot the preparation took before its reads
 * (no such write: nothing changed, proven in one index lookup);
 * anything changed (a text, a finding, a review, a commitment, the instant
 * itself), it builds the release from the current rows as above. Another
 * replica that claims the campaign simply builds it itself.
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
static unsigned schedule_prepare_ms;
/* releases published from a prepared document; prepared but rebuilt at the instant */
static unsigned long schedule_nprepared, schedule_nrebuilt, schedule_npreparations;

/*
 * The release prepared ahead of its instant (see the top of the file).
 * Only the scheduler thread touches it.
 */
static struct schedule_prepared {
	int valid;
	struct store_release rel; /* the campaign row as release_peek() read it */
	char stamp[33];           /* release_stamp() when it was built */
	char *snap;               /* pg_current_snapshot() before its reads (0023) */
	json_t *doc;              /* the document before publish_chain (owned) */
} schedule_prepared;
/* Timing spans of one release (milliseconds), logged with "released". */
enum {
	SPAN_CLAIM,
	SPAN_INPUTS,
	SPAN_BUILD,
	SPAN_COMMIT,
	SPAN_REBUILD,
	SPAN_CHAIN,
	SPAN_SIGN,
	SPAN_STORE,
	SPAN_EVENTS,
	SPAN_N
};
/* chain: the chain's head (advisory lock); sign: canonical JSON, SHA-256,
 * Ed25519; store: release_publish(); events: the audit event and the
 * participants' events (one per engagement) */
static const char *const span_names[SPAN_N] = {"claim", "inputs", "build", "commit", "rebuild",
                                               "chain", "sign",   "store", "events"};

/* for /metrics (schedule_metrics_render) */
static unsigned long schedule_nrounds, schedule_nreleased, schedule_nfailed;
static unsigned long schedule_nwakes;
/* the spans of this replica's last release (milliseconds), under schedule_lock */
static double schedule_last_spans[SPAN_N + 1];
/* woken: a campaign's instant changed (NOTIFY lockstep_release) */
static int schedule_woken;
/* the listener thread: its connection LISTENs; 1 while it does */
static pthread_t schedule_listener;
static int schedule_listening;
/* see schedule_visibility_epoch (publish.h); starts at 1, never 0 */
static unsigned long schedule_epoch = 1;

static void
schedule_epoch_bump(void)
{
	__atomic_add_fetch(&schedule_epoch, 1, __ATOMIC_SEQ_CST);
}

unsigned long
schedule_visibility_epoch(void)
{
	if (!__atomic_load_n(&schedule_listening, __ATOMIC_SEQ_CST))
		return 0;
	return __atomic_load_n(&schedule_epoch, __ATOMIC_SEQ_CST);
}

/*
 * The longest sleep: the review scheduler (review_round) compares each
 * open review's rows with its draft about once a second.
 */
#define SCHEDULE_MAX_SLEEP_MS 1000
/* Due but not claimable (held, or another replica has it): look again soon. */
#define SCHEDULE_DUE_RETRY_MS 100

struct schedule_tx {
	int from_prepared; /* published the prepared document */
	int rebuilt;       /* a prepared document was stale: built again */
	double spans[SPAN_N];
	struct timespec mark;
	int claimed; /* a campaign was claimed (published or held) */
	int published;
	char slug[80];
	char campaign[DB_UUID_LEN + 1];
	long long seq;
	char hash[2 * CRYPTO_SHA256_LEN + 1];
};

/* Close span i of k: the time since the previous mark. */
static void
schedule_span(struct schedule_tx *k, int i)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	k->spans[i] += (double)(now.tv_sec - k->mark.tv_sec) * 1e3 +
	               (double)(now.tv_nsec - k->mark.tv_nsec) / 1e6;
	k->mark = now;
}

/* The spans of k as a JSON object (new reference). */
static json_t *
schedule_spans_json(const struct schedule_tx *k)
{
	json_t *o = json_object();

	for (int i = 0; i < SPAN_N; i++)
		json_object_set_new(o, span_names[i],
		                    json_real((double)(long)(k->spans[i] * 10) / 10));
	return o;
}

/* 1 when the campaign rows a and b would build the same document. */
static int
schedule_same_release(const struct store_release *a, const struct store_release *b)
{
	return strcmp(a->campaign_id, b->campaign_id) == 0 &&
	       strcmp(a->title ? a->title : "", b->title ? b->title : "") == 0 &&
	       strcmp(a->slug, b->slug) == 0 && json_equal(a->threat_models, b->threat_models) &&
	       strcmp(a->release_at, b->release_at) == 0 &&
	       strcmp(a->planned_release_at, b->planned_release_at) == 0 &&
	       strcmp(a->disclosure, b->disclosure) == 0 && a->min_cohort == b->min_cohort &&
	       a->embargo_break == b->embargo_break && !a->held && !b->held;
}

/* Forget the prepared release. */
static void
schedule_prepared_clear(void)
{
	json_decref(schedule_prepared.doc);
	free(schedule_prepared.snap);
	store_release_clear(&schedule_prepared.rel);
	memset(&schedule_prepared, 0, sizeof(schedule_prepared));
}

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

/*
 * The participants' events of one released campaign (0024): written
 * after the release's COMMIT, in a transaction of their own that also
 * forgets the pending row, once that row is SCHEDULE_EVENTS_AGE_MS old:
 * in the round after the release (at most SCHEDULE_MAX_SLEEP_MS later),
 * so that their 0.1-0.2 s of database work (inbox rows, mail, webhooks
 * for 100 engagements) does not share the machine with the public's
 * first reads of the publication. t->done is 1 when a release was
 * claimed.
 */
#define SCHEDULE_EVENTS_AGE_MS 500
struct schedule_events_tx {
	int done;
	char slug[80];
	size_t n;
};

static int
schedule_events_fn(struct db_conn *c, void *arg)
{
	struct schedule_events_tx *t = arg;
	struct store_release_events ev;
	json_t *pair;
	const char *eid;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = store_release_events_claim(c, SCHEDULE_EVENTS_AGE_MS, &ev)) != DB_OK)
		return rc == STORE_NONE ? DB_OK : rc;
	t->done = 1;
	snprintf(t->slug, sizeof(t->slug), "%s", ev.slug);
	rc = store_event(c, "release.published", "campaign", ev.campaign_id, NULL, NULL,
	                 json_pack("{s:s, s:s, s:I, s:s}", "campaign", ev.campaign_id, "slug",
	                           ev.slug, "sequence", (json_int_t)ev.seq, "hash", ev.hash),
	                 NULL);
	json_object_foreach(ev.engagements, eid, pair)
	{
		if (rc != DB_OK)
			break;
		rc = store_event(c, "release.published", "engagement", eid,
		                 json_string_value(json_array_get(pair, 0)),
		                 json_string_value(json_array_get(pair, 1)),
		                 json_pack("{s:s, s:s, s:s, s:I}", "campaign", ev.campaign_id,
		                           "engagement", eid, "slug", ev.slug, "sequence",
		                           (json_int_t)ev.seq),
		                 NULL);
		t->n++;
	}
	if (rc == DB_OK)
		rc = store_release_events_done(c, ev.campaign_id);
	json_decref(ev.engagements);
	return rc;
}

/* Write the events of every release that has them pending. Logged. */
static void
schedule_events_round(const struct util_identity *scheduler)
{
	for (int n = 0; n < SCHEDULE_MAX_PER_ROUND; n++) {
		struct schedule_events_tx t = {0};

		if (db_tx(scheduler, "release_events", schedule_events_fn, &t) != DB_OK) {
			log_event(LOG_LEVEL_ERROR, "release_events_failed",
			          json_pack("{s:s}", "slug", t.slug));
			return;
		}
		if (!t.done)
			return;
		log_event(LOG_LEVEL_INFO, "release_events",
		          json_pack("{s:s, s:I}", "slug", t.slug, "engagements", (json_int_t)t.n));
	}
}

/* Take the release chain's lock (release_chain_head() takes it; held to COMMIT). */
static int
schedule_chain_lock(struct db_conn *c)
{
	unsigned char head[CRYPTO_SHA256_LEN];
	long long seq;

	return store_release_chain_head(c, &seq, head);
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
	schedule_span(k, SPAN_CHAIN);
	util_hex_encode(prev, sizeof(prev), prev_hex);
	seq++;
	ret = DB_ERROR;
	if (publish_chain(doc, seq, prev_hex) != 0 ||
	    (canon = publish_canonical(doc, &len)) == NULL ||
	    crypto_sha256(canon, len, hash) != 0 ||
	    crypto_sign(schedule_signer, canon, len, sig) != 0)
		goto done;
	crypto_signer_public(schedule_signer, pub);
	schedule_span(k, SPAN_SIGN);
	if ((ret = store_release_publish(c, k->campaign, seq, canon, sig, hash, prev, pub)) !=
	    DB_OK)
		goto done;
	k->published = 1;
	schedule_span(k, SPAN_STORE);
	k->seq = seq;
	util_hex_encode(hash, sizeof(hash), k->hash);
	ret = schedule_audit(c, "release.published", k->campaign,
	                     json_pack("{s:s, s:I, s:s, s:b, s:b}", "slug", k->slug, "sequence",
	                               (json_int_t)seq, "hash", k->hash, "embargo_break",
	                               embargo_break, "after_hold", after_hold));
	/* the participants' events: right after the COMMIT (0024) */
	if (ret == DB_OK)
		ret = store_release_events_defer(c, k->campaign, seq, k->slug, k->hash);
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
schedule_reviews(struct db_conn *c, const char *campaign, json_t *inputs, int ahead_ms)
{
	json_t *reviews = NULL, *e;
	size_t i;
	int rc;

	rc = ahead_ms >= 0 ? store_review_release_inputs_ahead(c, campaign, ahead_ms, &reviews)
	                   : store_review_release_inputs(c, campaign, &reviews);
	if (rc != DB_OK)
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
	clock_gettime(CLOCK_MONOTONIC, &k->mark);
	if ((ret = store_release_claim(c, &rel)) != DB_OK)
		return ret == STORE_NONE ? DB_OK : ret;
	k->claimed = 1;
	schedule_span(k, SPAN_CLAIM);
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
	if (schedule_prepared.valid) {
		char stamp[33];
		int changed = 1, same = schedule_same_release(&schedule_prepared.rel, &rel);

		/*
		 * The final check: nothing the prepared document was built from
		 * changed. First the change marker (0023): no write to a table
		 * the release reads since the preparation's snapshot proves it at
		 * once; after one (anywhere), the stamp compares the contents.
		 */
		if (same && schedule_prepared.snap != NULL &&
		    (ret = store_release_changed_since(c, schedule_prepared.snap, &changed)) != DB_OK)
			goto done;
		if (same &&
		    (!changed || (ret = store_release_stamp(c, k->campaign, 0, stamp)) != STORE_NONE)) {
			if (changed && ret != DB_OK)
				goto done;
			if (!changed || strcmp(stamp, schedule_prepared.stamp) == 0) {
				k->from_prepared = 1;
				schedule_span(k, SPAN_INPUTS);
				if ((doc = json_deep_copy(schedule_prepared.doc)) == NULL) {
					ret = DB_ERROR;
					goto done;
				}
				ret = schedule_publish(c, k, doc, rel.held, pc.embargo_break);
				schedule_span(k, SPAN_EVENTS);
				goto done;
			}
		}
		k->rebuilt = strcmp(schedule_prepared.rel.campaign_id, k->campaign) == 0;
		if (k->rebuilt)
			log_event(LOG_LEVEL_INFO, "release_prepared_stale",
			          json_pack("{s:s, s:b}", "slug", k->slug, "campaign_changed", !same));
	}
	if ((ret = store_release_inputs(c, k->campaign, &inputs)) < 0)
		goto done;
	if (ret == DB_OK && (ret = schedule_reviews(c, k->campaign, inputs, -1)) != DB_OK)
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
	schedule_span(k, SPAN_INPUTS);
	if (ret != DB_OK || (doc = publish_build(&pc, inputs, &leaks)) == NULL) {
		log_event(LOG_LEVEL_ERROR, "release_build_failed",
		          json_pack("{s:s}", "slug", k->slug));
		ret = DB_ERROR;
		goto done;
	}
	schedule_span(k, SPAN_BUILD);
	if (json_array_size(leaks) > 0) {
		ret = schedule_hold(c, k, leaks);
	} else {
		json_t *summary = NULL;

		/* commit-then-reveal: each row's salt (or its recommitment), then the
		 * document again with them (a new shuffle: the first one is dropped) */
		json_decref(doc);
		json_decref(leaks);
		doc = leaks = NULL;
		/* The release chain's lock before the log's: a recommitment below
		 * appends to the log (7418911), the publication's insert appends
		 * again under the chain's lock (7418910). Taken the other way
		 * round, two replicas releasing two campaigns deadlocked. */
		if ((ret = schedule_chain_lock(c)) != DB_OK)
			goto done;
		if ((ret = commit_reveal(c, k->campaign, pc.threat_models, inputs, &summary)) !=
		    DB_OK)
			goto done;
		schedule_span(k, SPAN_COMMIT);
		if ((doc = publish_build(&pc, inputs, &leaks)) == NULL) {
			json_decref(summary);
			ret = DB_ERROR;
			goto done;
		}
		if (json_object_set_new(doc, "commitments", summary) != 0) {
			ret = DB_ERROR;
			goto done;
		}
		schedule_span(k, SPAN_REBUILD);
		ret = schedule_publish(c, k, doc, rel.held, pc.embargo_break);
		schedule_span(k, SPAN_EVENTS);
	}
done:
	json_decref(inputs);
	json_decref(doc);
	json_decref(leaks);
	json_decref(withheld);
	store_release_clear(&rel);
	return ret;
}

struct schedule_prep {
	int ahead_ms;
	int found;   /* a campaign is within ahead_ms */
	int current; /* the prepared document is still current */
	struct store_release rel;
	char stamp[33];
	char *snap; /* pg_current_snapshot() before the reads */
	json_t *doc;
};

static void
schedule_prep_clear(struct schedule_prep *p)
{
	int ahead = p->ahead_ms;

	store_release_clear(&p->rel);
	json_decref(p->doc);
	free(p->snap);
	memset(p, 0, sizeof(*p));
	p->ahead_ms = ahead;
}

/*
 * Prepare the next release due within p->ahead_ms: read its inputs and
 * build its document as schedule_tx_fn would at the instant (the
 * commit-then-reveal dry), writing nothing. Leaves p->doc NULL when there
 * is nothing to prepare, when the prepared document is still current
 * (p->current), or when the release cannot be prepared (a name in a text
 * holds it, a row must be committed again, a change during the reads):
 * the instant then builds it. DB_OK or a db_status.
 */
static int
schedule_prepare_fn(struct db_conn *c, void *arg)
{
	struct schedule_prep *p = arg;
	struct publish_campaign pc;
	json_t *inputs = NULL, *withheld = NULL, *leaks = NULL, *summary = NULL;
	char after[33];
	int ret;

	schedule_prep_clear(p);
	/* before anything is read: what the change marker compares with (0023) */
	if ((ret = store_release_snapshot(c, &p->snap)) != DB_OK)
		return ret;
	if ((ret = store_release_peek(c, p->ahead_ms, &p->rel)) != DB_OK)
		return ret == STORE_NONE ? DB_OK : ret;
	p->found = 1;
	/* still current when nothing the release reads was written since */
	if (schedule_prepared.valid && schedule_same_release(&schedule_prepared.rel, &p->rel) &&
	    schedule_prepared.snap != NULL) {
		int changed = 1;

		if ((ret = store_release_changed_since(c, schedule_prepared.snap, &changed)) != DB_OK)
			return ret;
		if (!changed) {
			p->current = 1;
			return DB_OK;
		}
	}
	if ((ret = store_release_stamp(c, p->rel.campaign_id, p->ahead_ms, p->stamp)) != DB_OK)
		return ret == STORE_NONE ? DB_OK : ret;
	if (schedule_prepared.valid && schedule_same_release(&schedule_prepared.rel, &p->rel) &&
	    strcmp(schedule_prepared.stamp, p->stamp) == 0) {
		p->current = 1;
		return DB_OK;
	}
	memset(&pc, 0, sizeof(pc));
	pc.id = p->rel.campaign_id;
	pc.title = p->rel.title;
	pc.slug = p->rel.slug;
	pc.threat_models = p->rel.threat_models;
	pc.release_at = p->rel.release_at;
	pc.planned_release_at = p->rel.planned_release_at;
	pc.disclosure = p->rel.disclosure;
	pc.min_cohort = p->rel.min_cohort;
	pc.embargo_break = p->rel.embargo_break;
	if ((ret = store_release_inputs_ahead(c, pc.id, p->ahead_ms, &inputs)) != DB_OK ||
	    (ret = schedule_reviews(c, pc.id, inputs, p->ahead_ms)) != DB_OK ||
	    /* the security levels and the series (0018), as at the instant */
	    (ret = store_levels_attach(c, pc.id, inputs)) != DB_OK ||
	    (ret = store_series_attach(c, pc.id, inputs)) != DB_OK ||
	    (ret = store_release_withheld_ahead(c, pc.id, p->ahead_ms, &withheld)) != DB_OK)
		goto done;
	pc.withhold = withheld;
	/* the name check first, as at the instant: a hold is decided there */
	if ((p->doc = publish_build(&pc, inputs, &leaks)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	json_decref(p->doc);
	p->doc = NULL;
	if (json_array_size(leaks) > 0)
		goto done;
	json_decref(leaks);
	leaks = NULL;
	if ((ret = commit_reveal_dry(c, pc.id, pc.threat_models, inputs, &summary, p->ahead_ms)) !=
	    DB_OK) {
		if (ret == STORE_NONE)
			ret = DB_OK; /* a recommitment is written at the instant */
		goto done;
	}
	if ((p->doc = publish_build(&pc, inputs, &leaks)) == NULL ||
	    json_object_set_new(p->doc, "commitments", summary) != 0) {
		summary = NULL;
		ret = DB_ERROR;
		goto done;
	}
	summary = NULL;
	/* a change during the reads: prepare again next round */
	if ((ret = store_release_stamp(c, pc.id, p->ahead_ms, after)) != DB_OK ||
	    strcmp(after, p->stamp) != 0) {
		json_decref(p->doc);
		p->doc = NULL;
		ret = ret == STORE_NONE ? DB_OK : ret;
	}
done:
	if (ret != DB_OK) {
		json_decref(p->doc);
		p->doc = NULL;
	}
	json_decref(summary);
	json_decref(inputs);
	json_decref(withheld);
	json_decref(leaks);
	return ret;
}

/*
 * One preparation round: prepare (or re-check) the next release due
 * within schedule_prepare_ms; forget a prepared release that is no longer
 * ahead (moved, released, held). Logged; never fatal.
 */
static void
schedule_prepare(const struct util_identity *scheduler)
{
	struct schedule_prep p = {0};
	struct timespec t0, t1;

	if (schedule_prepare_ms == 0)
		return;
	p.ahead_ms = (int)schedule_prepare_ms;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (db_tx(scheduler, "schedule_prepare", schedule_prepare_fn, &p) != DB_OK) {
		log_event(LOG_LEVEL_WARN, "release_prepare_failed", NULL);
		schedule_prep_clear(&p);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (p.current) {
		/* proven current at p.snap (unchanged since the old snapshot, or
		 * the same stamp): later checks only look at writes after it */
		if (p.snap != NULL) {
			free(schedule_prepared.snap);
			schedule_prepared.snap = p.snap;
			p.snap = NULL;
		}
		schedule_prep_clear(&p);
		return;
	}
	/* replaced, or stale (the instant would build it again anyway); a
	 * campaign that is already due is no longer peeked: keep it for the claim */
	if (p.doc != NULL || (p.found && schedule_prepared.valid &&
	                      strcmp(schedule_prepared.rel.campaign_id, p.rel.campaign_id) == 0))
		schedule_prepared_clear();
	if (p.doc != NULL) {
		schedule_prepared.valid = 1;
		schedule_prepared.rel = p.rel;
		memcpy(schedule_prepared.stamp, p.stamp, sizeof(p.stamp));
		schedule_prepared.doc = p.doc;
		schedule_prepared.snap = p.snap;
		p.snap = NULL;
		memset(&p.rel, 0, sizeof(p.rel));
		p.doc = NULL;
		__atomic_add_fetch(&schedule_npreparations, 1, __ATOMIC_RELAXED);
		/*
		 * The release stores its publication with an audit checkpoint
		 * (0010: tlog_publications_log), which counts the sealed audit
		 * events since the previous one: taken now, off the instant,
		 * that leaves only the events of the last seconds to count.
		 */
		if (tlogd_audit_checkpoint(1) != 0)
			log_event(LOG_LEVEL_WARN, "tlog_audit_checkpoint_failed", NULL);
		log_event(LOG_LEVEL_INFO, "release_prepared",
		          json_pack("{s:s, s:s, s:f}", "slug", schedule_prepared.rel.slug,
		                    "release_at", schedule_prepared.rel.release_at, "ms",
		                    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e6));
	}
	schedule_prep_clear(&p);
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
			/* whatever was missed while not listening: a new epoch */
			schedule_epoch_bump();
			__atomic_store_n(&schedule_listening, 1, __ATOMIC_SEQ_CST);
			schedule_wake();
		}
		switch (db_wait_notify(250)) {
		case 1:
			schedule_epoch_bump();
			schedule_wake();
			break;
		case -1:
			__atomic_store_n(&schedule_listening, 0, __ATOMIC_SEQ_CST);
			schedule_epoch_bump();
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
	int rc;

	/* the change marker's old rows (0023): a no-op but every ten minutes */
	if ((rc = store_release_input_prune(c)) != DB_OK)
		return rc;
	rc = store_release_next_due(c, &d->ms);

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
			struct timespec t0, t1;
			int rc;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			rc = db_tx(&scheduler, "schedule", schedule_tx_fn, &k);
			clock_gettime(CLOCK_MONOTONIC, &t1);

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
			if (k.published && k.from_prepared)
				__atomic_add_fetch(&schedule_nprepared, 1, __ATOMIC_RELAXED);
			if (k.rebuilt)
				__atomic_add_fetch(&schedule_nrebuilt, 1, __ATOMIC_RELAXED);
			if (k.published && schedule_prepared.valid &&
			    strcmp(schedule_prepared.rel.campaign_id, k.campaign) == 0)
				schedule_prepared_clear();
			if (k.published) {
				/* committed: readers of this replica look again at once */
				schedule_epoch_bump();
				pthread_mutex_lock(&schedule_lock);
				memcpy(schedule_last_spans, k.spans, sizeof(k.spans));
				schedule_last_spans[SPAN_N] =
				    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
				pthread_mutex_unlock(&schedule_lock);
				log_event(LOG_LEVEL_INFO, "released",
				          json_pack("{s:s, s:I, s:s, s:b, s:o, s:f}", "slug",
				                    k.slug, "sequence", (json_int_t)k.seq, "hash",
				                    k.hash, "prepared", k.from_prepared, "ms",
				                    schedule_spans_json(&k), "tx_ms",
				                    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e6));
				/* the release's log entries get a signed checkpoint at
				 * once; the participants' events come in the next round */
				if (tlogd_signer() != NULL && tlogd_checkpoint_now() < 0)
					log_event(LOG_LEVEL_WARN, "tlog_checkpoint_failed", NULL);
			}
			if (__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
				break;
		}
		/* the events of the releases of the previous round (and those a
		 * replica that died after a release left pending) */
		if (!__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
			schedule_events_round(&scheduler);
		if (!__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
			review_round(&scheduler, SCHEDULE_MAX_PER_ROUND);
		if (!__atomic_load_n(&schedule_stopping, __ATOMIC_RELAXED))
			schedule_prepare(&scheduler);
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
	schedule_prepared_clear();
	db_thread_close();
	return NULL;
}

char *
schedule_metrics_render(void)
{
	char *s = NULL;

	if (asprintf(
	        &s,
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
	        "lockstep_scheduler_listening %d\n"
	        "# HELP lockstep_scheduler_prepared_total Releases published from the document "
	        "prepared before the instant.\n"
	        "# TYPE lockstep_scheduler_prepared_total counter\n"
	        "lockstep_scheduler_prepared_total %lu\n"
	        "# HELP lockstep_scheduler_preparations_total Release documents this replica "
	        "prepared before their instant.\n"
	        "# TYPE lockstep_scheduler_preparations_total counter\n"
	        "lockstep_scheduler_preparations_total %lu\n"
	        "# HELP lockstep_scheduler_rebuilt_total Prepared releases built again at the "
	        "instant (an input changed after the preparation).\n"
	        "# TYPE lockstep_scheduler_rebuilt_total counter\n"
	        "lockstep_scheduler_rebuilt_total %lu\n",
	        __atomic_load_n(&schedule_nrounds, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_nreleased, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_nfailed, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_nwakes, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_listening, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_nprepared, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_npreparations, __ATOMIC_RELAXED),
	        __atomic_load_n(&schedule_nrebuilt, __ATOMIC_RELAXED)) < 0)
		return NULL;
	/* the profile of the last release: where its transaction's time went */
	pthread_mutex_lock(&schedule_lock);
	for (int i = 0; i <= SPAN_N && s != NULL; i++) {
		char *t = NULL;

		if (asprintf(&t, "%s%slockstep_scheduler_last_release_ms{span=\"%s\"} %.1f\n", s,
		             i == 0
		                 ? "# HELP lockstep_scheduler_last_release_ms Milliseconds of the "
		                   "last release's steps (tx: the whole transaction, commit "
		                   "included).\n# TYPE lockstep_scheduler_last_release_ms gauge\n"
		                 : "",
		             i < SPAN_N ? span_names[i] : "tx", schedule_last_spans[i]) < 0)
			t = NULL;
		free(s);
		s = t;
	}
	pthread_mutex_unlock(&schedule_lock);
	return s;
}

int
schedule_start(const struct crypto_signer *signer, unsigned interval_ms, unsigned pause_ms,
               unsigned prepare_ms)
{
	schedule_signer = signer;
	schedule_prepare_ms = prepare_ms;
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
	__atomic_store_n(&schedule_listening, 0, __ATOMIC_SEQ_CST);
	schedule_epoch_bump();
	schedule_running = 0;
	log_event(LOG_LEVEL_INFO, "scheduler_stopped", NULL);
}

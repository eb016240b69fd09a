/*
 * publish/commit.c: commit-then-reveal.
 *
 * At a campaign's commit instant (campaigns.commit_at, by default 24 hours
 * before its release) the scheduler thread of one replica (commit_claim()
 * locks the campaign FOR UPDATE SKIP LOCKED; tlog_campaign_commits admits
 * one campaign commitment) appends to the transparency log, for every
 * engagement, SHA-256(salt || canonical JSON of the row's committed part)
 * (publish_row_core: claims, finding counts, statement) with a fresh
 * 32-byte salt that is stored sealed under the master key, then the
 * campaign commitment listing those entries and their count.
 *
 * At the release every row is checked against its latest commitment: an
 * unchanged row reveals its salt and log index; a changed row (or one
 * added after the commit instant) is committed again there and then, and
 * published with "recommitted_at" and counted in the document's
 * "commitments" summary, never silently.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "publish/publish.h"
#include "store/store.h"
#include "util/log.h"
#include "util/util.h"

#define COMMIT_MAX_PER_ROUND 100

/* SHA-256(salt || canonical JSON of e's committed part). 0 or -1. */
static int
commit_hash(const json_t *threat_models, const json_t *e, const unsigned char salt[CRYPTO_KEY_LEN],
            unsigned char out[CRYPTO_SHA256_LEN])
{
	json_t *core = publish_row_core(threat_models, e);
	struct crypto_sha256_stream *s = NULL;
	char *canon = NULL;
	size_t len = 0;
	int ret = -1;

	if (core != NULL && (canon = publish_canonical(core, &len)) != NULL &&
	    (s = crypto_sha256_stream_new()) != NULL &&
	    crypto_sha256_stream_update(s, salt, CRYPTO_KEY_LEN) == 0 &&
	    crypto_sha256_stream_update(s, canon, len) == 0 &&
	    crypto_sha256_stream_final(s, out) == 0)
		ret = 0;
	crypto_sha256_stream_free(s);
	free(canon);
	json_decref(core);
	return ret;
}

struct commit_tx {
	int claimed;
	char campaign[DB_UUID_LEN + 1];
	long long count;
	long long log_idx;
};

static int
commit_tx_fn(struct db_conn *c, void *arg)
{
	struct commit_tx *k = arg;
	json_t *tms = NULL, *inputs = NULL, *e;
	unsigned char salt[CRYPTO_KEY_LEN], h[CRYPTO_SHA256_LEN];
	size_t i;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = store_commit_claim(c, k->campaign, &tms)) != DB_OK)
		return rc == STORE_NONE ? DB_OK : rc;
	k->claimed = 1;
	if ((rc = store_commit_inputs(c, k->campaign, &inputs)) != DB_OK) {
		rc = rc == STORE_NONE ? DB_ERROR : rc;
		goto done;
	}
	json_array_foreach(json_object_get(inputs, "engagements"), i, e)
	{
		const char *eid = json_string_value(json_object_get(e, "id"));
		long long idx;

		if (eid == NULL || crypto_random(salt, sizeof(salt)) != 0 ||
		    commit_hash(tms, e, salt, h) != 0) {
			rc = DB_ERROR;
			goto done;
		}
		if ((rc = store_commit_store(c, k->campaign, eid, h, salt, 0, &idx)) != DB_OK)
			goto done;
		k->count++;
	}
	if ((rc = store_commit_campaign_store(c, k->campaign, &k->log_idx)) != DB_OK)
		goto done;
	{
		json_t *d = json_pack("{s:I, s:I}", "engagements", (json_int_t)k->count,
		                      "log_index", (json_int_t)k->log_idx);
		char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;

		json_decref(d);
		rc = text ? store_audit_append(c, "campaign.committed", "campaign", k->campaign,
		                               NULL, NULL, text, NULL)
		          : DB_ERROR;
		free(text);
	}
done:
	explicit_bzero(salt, sizeof(salt));
	json_decref(tms);
	json_decref(inputs);
	return rc;
}

int
commit_round(void)
{
	static const struct util_identity scheduler = {.org_kind = "scheduler"};
	int n = 0;

	for (int i = 0; i < COMMIT_MAX_PER_ROUND; i++) {
		struct commit_tx k = {0};
		int rc = db_tx(&scheduler, "commit", commit_tx_fn, &k);

		if (rc != DB_OK) {
			log_event(LOG_LEVEL_ERROR, "commit_failed",
			          json_pack("{s:i, s:s}", "status", rc, "campaign", k.campaign));
			return -1;
		}
		if (!k.claimed)
			break;
		log_event(LOG_LEVEL_INFO, "committed",
		          json_pack("{s:s, s:I, s:I}", "campaign", k.campaign, "engagements",
		                    (json_int_t)k.count, "log_index", (json_int_t)k.log_idx));
		n++;
	}
	return n;
}

/*
 * commit_reveal, or with ahead_ms >= 0 its dry run for a release prepared
 * ahead_ms before the instant (the commitments read through
 * commitments_for_release_ahead): a row that would have to be committed
 * again makes it return STORE_NONE, having written nothing.
 */
static int
commit_reveal_mode(struct db_conn *c, const char *campaign, const json_t *threat_models,
                   json_t *inputs, json_t **summary, int ahead_ms)
{
	struct store_commitment *rows = NULL;
	unsigned char salt[CRYPTO_KEY_LEN], h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1], salt_hex[2 * CRYPTO_KEY_LEN + 1], now[32];
	long long campaign_idx = -1, committed = 0, recommitted = 0, total = 0;
	json_t *e, *listed = NULL;
	size_t i;
	int n = 0, rc;
	time_t t = time(NULL);
	struct tm tm;

	*summary = NULL;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = ahead_ms >= 0 ? store_commitments_for_release_ahead(c, campaign, ahead_ms, &rows, &n)
	                   : store_commitments_for_release(c, campaign, &rows, &n);
	if (rc != DB_OK)
		return rc;
	for (int r = 0; r < n; r++)
		if (rows[r].engagement_id[0] == '\0') {
			json_t *body =
			    json_loads(rows[r].commitment ? rows[r].commitment : "", 0, NULL);

			campaign_idx = rows[r].log_idx;
			committed = rows[r].count;
			listed = json_incref(json_object_get(body, "commitments"));
			json_decref(body);
		}
	json_array_foreach(json_object_get(inputs, "engagements"), i, e)
	{
		const char *eid = json_string_value(json_object_get(e, "id"));
		const struct store_commitment *k = NULL;
		json_t *reveal;

		if (eid == NULL) {
			rc = DB_ERROR;
			goto done;
		}
		total++;
		for (int r = 0; r < n; r++)
			if (strcmp(rows[r].engagement_id, eid) == 0)
				k = &rows[r];
		if (k != NULL && k->salt_ok && commit_hash(threat_models, e, k->salt, h) == 0 &&
		    (util_hex_encode(h, sizeof(h), hex), strcmp(hex, k->commitment) == 0)) {
			util_hex_encode(k->salt, sizeof(k->salt), salt_hex);
			reveal =
			    json_pack("{s:s, s:I, s:o}", "salt", salt_hex, "log_index",
			              (json_int_t)k->log_idx, "recommitted_at",
			              k->recommitted ? json_string(k->committed_at) : json_null());
			if (k->recommitted)
				recommitted++;
		} else {
			long long idx;

			/* changed after the commitment, or added after it: committed now, visibly
			 */
			if (ahead_ms >= 0) {
				rc = STORE_NONE; /* a dry run writes nothing */
				goto done;
			}
			if (crypto_random(salt, sizeof(salt)) != 0 ||
			    commit_hash(threat_models, e, salt, h) != 0) {
				rc = DB_ERROR;
				goto done;
			}
			if ((rc = store_commit_store(c, campaign, eid, h, salt, 1, &idx)) != DB_OK)
				goto done;
			util_hex_encode(salt, sizeof(salt), salt_hex);
			reveal = json_pack("{s:s, s:I, s:s}", "salt", salt_hex, "log_index",
			                   (json_int_t)idx, "recommitted_at", now);
			recommitted++;
		}
		if (reveal == NULL || json_object_set_new(e, "commitment", reveal) != 0) {
			rc = DB_ERROR;
			goto done;
		}
	}
	*summary =
	    json_pack("{s:o, s:I, s:o, s:I, s:I}", "campaign_log_index",
	              campaign_idx >= 0 ? json_integer((json_int_t)campaign_idx) : json_null(),
	              "committed", (json_int_t)committed, "committed_indices",
	              json_is_array(listed) ? json_incref(listed) : json_array(), "recommitted",
	              (json_int_t)recommitted, "engagements", (json_int_t)total);
	rc = *summary != NULL ? DB_OK : DB_ERROR;
done:
	explicit_bzero(salt, sizeof(salt));
	explicit_bzero(salt_hex, sizeof(salt_hex));
	store_commitments_free(rows, n);
	json_decref(listed);
	return rc;
}

int
commit_reveal(struct db_conn *c, const char *campaign, const json_t *threat_models, json_t *inputs,
              json_t **summary)
{
	return commit_reveal_mode(c, campaign, threat_models, inputs, summary, -1);
}

int
commit_reveal_dry(struct db_conn *c, const char *campaign, const json_t *threat_models,
                  json_t *inputs, json_t **summary, int ahead_ms)
{
	return commit_reveal_mode(c, campaign, threat_models, inputs, summary,
	                          ahead_ms < 0 ? 0 : ahead_ms);
}

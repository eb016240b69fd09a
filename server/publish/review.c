/*
 * publish/review.c: the review scheduler, run by the release scheduler's
 * thread in every replica (schedule.c) after each round of releases.
 *
 * One transaction per campaign whose review window is open (0008's
 * review_claim(): review_opens_at passed, release instant not reached,
 * not compared within the last second; FOR UPDATE SKIP LOCKED, so two
 * replicas never freeze the same campaign at once, and review_freeze()
 * refuses a version that is not the next, so a draft is frozen once):
 *
 *   1. review_inputs() returns what release_inputs() would (claims,
 *      statements, finding counts, assessors), each engagement's wrapped
 *      data key and its current draft; the store opens the sealed texts;
 *   2. publish_draft_rows() builds each engagement's row with the
 *      publication's own row builder; publish_row_hash() hashes it as the
 *      publication will;
 *   3. an engagement without a draft, or whose row hash differs from its
 *      draft's, gets a new draft version (sealed under its data key) with
 *      the parts that changed; its review goes back to pending (reopened);
 *      an audit event and a participant event ("review.opened" for the
 *      first version, "draft.changed" after) record it;
 *   4. review_checked() notes the comparison with the snapshot taken
 *      before step 1 read anything; COMMIT. The claim skips a campaign
 *      while nothing the comparison reads was written since that snapshot
 *      (0025_review_idle.sql, the change marker of 0023).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "publish/publish.h"
#include "store/store.h"
#include "util/log.h"

struct review_tx {
	int claimed;
	int frozen; /* drafts frozen in this transaction */
	char campaign[DB_UUID_LEN + 1];
};

/* Freeze a new draft of engagement e (an input) if its row changed. DB_OK or a db_status. */
static int
review_engagement(struct db_conn *c, struct review_tx *k, const json_t *e, const json_t *rows)
{
	const char *eid = json_string_value(json_object_get(e, "id"));
	const json_t *row = json_object_get(rows, eid ? eid : "");
	const json_t *draft = json_object_get(e, "draft");
	const char *company = json_string_value(json_object_get(e, "company"));
	const char *assessor = json_string_value(json_object_get(e, "assessor"));
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	char *canon = NULL, *changes_text = NULL;
	json_t *changes = NULL;
	int version = 1, rc = DB_ERROR;

	if (eid == NULL || row == NULL || publish_row_hash(row, hex, &canon) != 0)
		return DB_ERROR;
	if (json_is_object(draft)) {
		const char *old = json_string_value(json_object_get(draft, "hash"));

		if (old != NULL && strcmp(old, hex) == 0) {
			free(canon);
			return DB_OK;
		}
		version = (int)json_integer_value(json_object_get(draft, "version")) + 1;
		changes = publish_row_changes(json_object_get(draft, "row"), row);
	} else
		changes = json_array();
	if (changes == NULL || (changes_text = json_dumps(changes, JSON_COMPACT)) == NULL)
		goto done;
	rc = store_review_freeze(c, k->campaign, eid, version,
	                         json_string_value(json_object_get(e, "data_key")), canon, hex,
	                         changes_text);
	if (rc == DB_OK) {
		char *detail = NULL;
		json_t *d = json_pack("{s:s, s:i, s:s, s:O}", "campaign", k->campaign, "version",
		                      version, "draft_hash", hex, "changes", changes);

		detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
		json_decref(d);
		rc = detail ? store_audit_append(c, "review.frozen", "engagement", eid, company,
		                                 assessor, detail, NULL)
		            : DB_ERROR;
		free(detail);
	}
	if (rc == DB_OK)
		rc = store_event(c, version == 1 ? "review.opened" : "draft.changed", "engagement",
		                 eid, company, assessor,
		                 json_pack("{s:s, s:s, s:i, s:s, s:O}", "engagement", eid,
		                           "campaign", k->campaign, "version", version,
		                           "draft_hash", hex, "changes", changes),
		                 NULL);
	if (rc == DB_OK)
		k->frozen++;
done:
	json_decref(changes);
	free(changes_text);
	free(canon);
	return rc;
}

static int
review_tx_fn(struct db_conn *c, void *arg)
{
	struct review_tx *k = arg;
	struct store_review_campaign rc_row;
	struct publish_campaign pc;
	json_t *inputs = NULL, *rows = NULL, *e;
	char *snap = NULL;
	size_t i;
	int ret;

	memset(k, 0, sizeof(*k));
	memset(&rc_row, 0, sizeof(rc_row));
	if ((ret = store_review_claim(c, &rc_row)) != DB_OK)
		return ret == STORE_NONE ? DB_OK : ret;
	k->claimed = 1;
	snprintf(k->campaign, sizeof(k->campaign), "%s", rc_row.campaign_id);
	memset(&pc, 0, sizeof(pc));
	pc.id = k->campaign;
	pc.title = rc_row.title;
	pc.slug = rc_row.slug;
	pc.threat_models = rc_row.threat_models;
	pc.release_at = rc_row.release_at;
	pc.planned_release_at = rc_row.planned_release_at;
	pc.disclosure = rc_row.disclosure;
	pc.min_cohort = rc_row.min_cohort;
	if ((ret = store_release_snapshot(c, &snap)) != DB_OK)
		goto done;
	if ((ret = store_review_inputs(c, k->campaign, &inputs)) < 0)
		goto done;
	/* the draft carries what the publication will (security levels, 0018) */
	if (ret == DB_OK && (ret = store_levels_attach(c, k->campaign, inputs)) != DB_OK)
		goto done;
	if (ret == DB_OK) {
		if ((rows = publish_draft_rows(&pc, inputs)) == NULL) {
			ret = DB_ERROR;
			goto done;
		}
		json_array_foreach(json_object_get(inputs, "engagements"), i, e)
		{
			if ((ret = review_engagement(c, k, e, rows)) != DB_OK)
				goto done;
		}
	}
	ret = store_review_checked(c, k->campaign, snap);
done:
	free(snap);
	json_decref(inputs);
	json_decref(rows);
	store_review_campaign_clear(&rc_row);
	return ret;
}

void
review_round(const struct util_identity *scheduler, int max)
{
	for (int n = 0; n < max; n++) {
		struct review_tx k = {0};
		int rc = db_tx(scheduler, "review", review_tx_fn, &k);

		if (rc != DB_OK) {
			log_event(LOG_LEVEL_ERROR, "review_failed",
			          json_pack("{s:i, s:s}", "status", rc, "campaign", k.campaign));
			break;
		}
		if (!k.claimed)
			break;
		if (k.frozen > 0)
			log_event(
			    LOG_LEVEL_INFO, "review_frozen",
			    json_pack("{s:s, s:i}", "campaign", k.campaign, "drafts", k.frozen));
	}
}

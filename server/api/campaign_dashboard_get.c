/*
 * GET /api/v1/campaigns/{id}/dashboard: the coordinator's grid of a
 * campaign, one row per engagement and one cell per threat model: the
 * engagement's stage and review state, whether a claim was made, and the
 * number of findings per severity. Never a title, detail, summary,
 * statement, level or response: the counts come from campaign_dashboard()
 * (0008), which returns nothing else. Anyone but the coordinator gets the
 * 404 of a missing campaign.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

struct dashboard_ctx {
	const char *id;
	/* the result */
	struct store_campaign camp;
	struct store_engagement *eng;
	int neng;
	struct store_dashboard_cell *cells;
	int ncells;
	struct store_review_state *rev;
	int nrev;
};

static void
dashboard_clear(struct dashboard_ctx *k)
{
	store_campaign_clear(&k->camp);
	store_engagements_free(k->eng, k->neng);
	store_dashboard_free(k->cells, k->ncells);
	store_review_states_free(k->rev, k->nrev);
	k->eng = NULL;
	k->cells = NULL;
	k->rev = NULL;
	k->neng = k->ncells = k->nrev = 0;
}

static int
dashboard_tx(struct db_conn *c, void *arg)
{
	struct dashboard_ctx *k = arg;
	int rc;

	dashboard_clear(k);
	if ((rc = store_campaign_get(c, k->id, &k->camp)) != DB_OK)
		return rc;
	if ((rc = store_engagement_list_by_campaign(c, k->id, &k->eng, &k->neng)) != DB_OK)
		return rc;
	if ((rc = store_campaign_dashboard(c, k->id, &k->cells, &k->ncells)) != DB_OK)
		return rc;
	return store_review_states(c, k->id, &k->rev, &k->nrev);
}

json_t *
api_review_state_json(const struct store_review_state *rows, int n, const char *engagement)
{
	for (int i = 0; i < n; i++)
		if (strcmp(rows[i].engagement_id, engagement) == 0)
			return json_pack("{s:s, s:I, s:b, s:o, s:b}", "state", rows[i].state,
			                 "version", (json_int_t)rows[i].version, "reopened",
			                 rows[i].reopened, "answered_at",
			                 rows[i].answered_at[0] ? json_string(rows[i].answered_at)
			                                        : json_null(),
			                 "addendum", rows[i].addendum);
	return json_pack("{s:s}", "state", "not-open");
}

static json_t *
dashboard_json(const struct dashboard_ctx *k)
{
	json_t *rows = json_array();

	for (int i = 0; i < k->neng; i++) {
		const struct store_engagement *e = &k->eng[i];
		json_t *cells = json_object();

		for (int j = 0; j < k->ncells; j++) {
			const struct store_dashboard_cell *d = &k->cells[j];
			json_t *counts = json_object();

			if (strcmp(d->engagement_id, e->id) != 0)
				continue;
			for (int s = 0; s < 5 && vocab_severities[s] != NULL; s++)
				json_object_set_new(counts, vocab_severities[s],
				                    json_integer((json_int_t)d->counts[s]));
			json_object_set_new(cells, d->threat_model,
			                    json_pack("{s:b, s:o}", "claim_made", d->claim_made,
			                              "findings", counts));
		}
		json_array_append_new(
		    rows,
		    json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:s, s:o, s:o}",
		              "engagement_id", e->id, "company", "id", e->company_org_id, "name",
		              e->company_name ? e->company_name : "", "assessor", "id",
		              e->assessor_org_id, "name", e->assessor_name ? e->assessor_name : "",
		              "stage", e->state, "stage_changed_at", e->stage_changed_at, "review",
		              api_review_state_json(k->rev, k->nrev, e->id), "cells", cells));
	}
	return json_pack("{s:s, s:s, s:O, s:s, s:s, s:o}", "campaign_id", k->camp.id, "title",
	                 k->camp.title, "threat_models", k->camp.threat_models, "release_at",
	                 k->camp.release_at, "review_opens_at", k->camp.review_opens_at, "rows",
	                 rows);
}

int
api_campaign_dashboard_get(struct http_request *r)
{
	struct dashboard_ctx k = {0};
	struct api_res res = {.status = 200};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "campaign_dashboard", dashboard_tx, &k);
	if (rc == DB_OK && (res.body = dashboard_json(&k)) == NULL)
		rc = DB_ERROR;
	dashboard_clear(&k);
	return api_finish(r, rc, &res);
}

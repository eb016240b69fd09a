/*
 * GET /api/v1/campaigns/{id}: the campaign. The coordinator also gets its
 * engagements with progress counts (never content), the release status
 * (a held release says why), the release-date history and warnings when
 * firm–company pairings would identify a company despite pseudonymous or
 * aggregate disclosure; participants only the campaign itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/util.h"

struct campaign_get_ctx {
	struct http_request *r;
	const char *id;
	/* the result; all but row for the coordinator only */
	struct store_campaign row;
	struct store_engagement *eng;
	int neng;
	struct store_progress *prog;
	int nprog;
	struct store_release_status release;
	json_t *history;
	struct store_review_state *rev;
	int nrev;
};

static void
campaign_get_clear(struct campaign_get_ctx *k)
{
	store_campaign_clear(&k->row);
	store_engagements_free(k->eng, k->neng);
	store_progress_free(k->prog, k->nprog);
	store_release_status_clear(&k->release);
	json_decref(k->history);
	k->history = NULL;
	store_review_states_free(k->rev, k->nrev);
	k->rev = NULL;
	k->nrev = 0;
	k->eng = NULL;
	k->prog = NULL;
	k->neng = k->nprog = 0;
}

static int
campaign_get_tx(struct db_conn *c, void *arg)
{
	struct campaign_get_ctx *k = arg;
	int rc;

	campaign_get_clear(k);
	if ((rc = store_campaign_get(c, k->id, &k->row)) != DB_OK || !api_is_coordinator(k->r))
		return rc;
	if ((rc = store_engagement_list_by_campaign(c, k->id, &k->eng, &k->neng)) != DB_OK)
		return rc;
	if ((rc = store_campaign_progress(c, k->id, &k->prog, &k->nprog)) != DB_OK)
		return rc;
	if ((rc = store_campaign_release_history(c, k->id, &k->history)) != DB_OK)
		return rc;
	if ((rc = store_review_states(c, k->id, &k->rev, &k->nrev)) != DB_OK)
		return rc;
	return store_campaign_release_status(c, k->id, &k->release);
}

/* The engagements with their progress counts (never content). New reference or NULL. */
static json_t *
campaign_progress_json(const struct campaign_get_ctx *k)
{
	json_t *list = json_array();

	for (int i = 0; i < k->neng; i++) {
		json_t *eng = api_engagement_json(&k->eng[i]);

		json_object_set_new(eng, "review",
		                    api_review_state_json(k->rev, k->nrev, k->eng[i].id));

		for (int j = 0; j < k->nprog; j++) {
			const struct store_progress *g = &k->prog[j];

			if (strcmp(g->engagement_id, k->eng[i].id) != 0)
				continue;
			json_object_set_new(eng, "progress",
			                    json_pack("{s:I, s:I, s:I, s:b}", "findings_total",
			                              (json_int_t)g->findings_total,
			                              "findings_open", (json_int_t)g->findings_open,
			                              "claims", (json_int_t)g->claims_total,
			                              "statement", g->has_statement));
		}
		json_array_append_new(list, eng);
	}
	return list;
}

/*
 * The coordinator's view of the release: {"status": scheduled | due |
 * held | published, "hold": {reasons, held_at, checked_at} or null,
 * "publication": {slug, sequence, hash} or null}. release_holds is
 * readable by the coordinator only (row-level security). New reference or NULL.
 */
static json_t *
campaign_release_json(const struct store_release_status *s)
{
	return json_pack("{s:s, s:o, s:o}", "status", s->status, "hold",
	                 json_is_null(s->reasons)
	                     ? json_null()
	                     : json_pack("{s:O, s:s, s:s}", "reasons", s->reasons, "held_at",
	                                 s->held_at, "checked_at", s->checked_at),
	                 "publication",
	                 s->slug == NULL ? json_null()
	                                 : json_pack("{s:s, s:I, s:s}", "slug", s->slug, "sequence",
	                                             (json_int_t)s->seq, "hash", s->hash));
}

int
api_campaign_get(struct http_request *r)
{
	struct campaign_get_ctx k = {.r = r};
	struct api_res res = {.status = 200};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "campaign_get", campaign_get_tx, &k);
	if (rc == DB_OK && (res.body = api_campaign_json(&k.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK && api_is_coordinator(r)) {
		json_t *list = campaign_progress_json(&k),
		       *release = campaign_release_json(&k.release),
		       *warnings = api_pairing_warnings(k.eng, k.neng, k.row.disclosure, k.row.slug);

		if (list == NULL || release == NULL || warnings == NULL)
			rc = DB_ERROR;
		json_object_set_new(res.body, "engagements", list);
		json_object_set_new(res.body, "warnings", warnings);
		/* O: k keeps its reference until campaign_get_clear */
		json_object_set(res.body, "release_history", k.history);
		json_object_set_new(res.body, "release", release);
	}
	campaign_get_clear(&k);
	return api_finish(r, rc, &res);
}

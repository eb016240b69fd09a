/*
 * GET /api/v1/engagements/{id}/claims: the engagement's claims, for its
 * participants, each with the level demonstrated not met by its threat
 * model's open findings and whether the claim contradicts it (api/levels.c);
 * "contradictions" lists the contradicted claims as warnings.
 */
#include "config.h"

#include "api/api.h"

struct claims_ctx {
	struct http_request *r;
	const char *engagement;
	struct store_claim *rows; /* the result */
	int n;
	json_t *levels; /* the result */
	struct api_res res;
};

static int
claims_tx(struct db_conn *c, void *arg)
{
	struct claims_ctx *k = arg;
	struct api_engagement e;
	int rc;

	store_claims_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	json_decref(k->levels);
	k->levels = NULL;
	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	rc = api_levels_load(c, &e, &k->levels);
	api_engagement_clear(&e);
	if (rc != DB_OK)
		return rc;
	if ((rc = store_claim_list(c, k->engagement, &k->rows, &k->n)) != DB_OK)
		return rc;
	/* unpublished claims are confidential until the release */
	return api_audit(c, k->r, "claim.list", "engagement", k->engagement, NULL, NULL, NULL);
}

int
api_claims_get(struct http_request *r)
{
	struct claims_ctx k = {.r = r, .res = {.status = 200}};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "claims_list", claims_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++) {
			json_t *item = api_claim_json(&k.rows[i]);
			json_t *l = json_object_get(k.levels, k.rows[i].threat_model);

			json_object_set_new(item, "not_met_from",
			                    json_is_string(json_object_get(l, "not_met_from"))
			                        ? json_incref(json_object_get(l, "not_met_from"))
			                        : json_null());
			json_object_set_new(
			    item, "contradiction",
			    json_boolean(json_is_true(json_object_get(l, "contradiction"))));
			json_array_append_new(items, item);
		}
		/* o steals items */
		if ((k.res.body = json_pack("{s:o, s:o}", "items", items, "contradictions",
		                            api_levels_contradictions(k.levels))) == NULL)
			rc = DB_ERROR;
	}
	store_claims_free(k.rows, k.n);
	json_decref(k.levels);
	return api_finish(r, rc, &k.res);
}

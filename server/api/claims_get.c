/* GET /api/v1/engagements/{id}/claims: the engagement's claims, for its participants. */
#include "config.h"

#include "api/api.h"

struct claims_ctx {
	struct http_request *r;
	const char *engagement;
	struct store_claim *rows; /* the result */
	int n;
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
	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
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
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_claim_json(&k.rows[i]));
		/* o steals items */
		if ((k.res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_claims_free(k.rows, k.n);
	return api_finish(r, rc, &k.res);
}

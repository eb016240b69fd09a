/* GET /api/v1/findings/{id}/risk-acceptances: every request of the finding, oldest first. */
#include "config.h"

#include "api/api.h"

struct risks_ctx {
	struct http_request *r;
	const char *finding;
	struct store_risk *rows; /* the result */
	int n;
	struct api_res res;
};

static int
risks_tx(struct db_conn *c, void *arg)
{
	struct risks_ctx *k = arg;
	struct api_finding f;
	int rc;

	store_risks_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	if ((rc = api_finding_load(c, k->r, k->finding, API_AS_PARTICIPANT, &f, &k->res)) != DB_OK)
		return rc;
	rc = store_risk_list(c, &f.ref, &k->rows, &k->n);
	api_finding_clear(&f);
	return rc;
}

int
api_finding_risks_get(struct http_request *r)
{
	struct risks_ctx k = {.r = r, .res = {.status = 200}};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.finding = http_param(r, 0);
	rc = db_tx(&r->who, "risk_list", risks_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_risk_json(&k.rows[i]));
		if ((k.res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_risks_free(k.rows, k.n);
	return api_finish(r, rc, &k.res);
}

/*
 * GET /api/v1/campaigns/{id}/remediation-days: the campaign's default
 * remediation deadline per severity, {"critical": 7, ...} (severities
 * without a default are left out). Coordinator and participants.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"

struct days_ctx {
	struct http_request *r;
	const char *campaign;
	struct store_remediation_days *rows; /* the result */
	int n;
	struct api_res res;
};

static int
days_tx(struct db_conn *c, void *arg)
{
	struct days_ctx *k = arg;
	struct store_campaign row = {0};
	int rc;

	free(k->rows);
	k->rows = NULL;
	k->n = 0;
	if ((rc = store_campaign_get(c, k->campaign, &row)) != DB_OK)
		return rc;
	store_campaign_clear(&row);
	return store_remediation_days_list(c, k->campaign, &k->rows, &k->n);
}

json_t *
api_remediation_days_json(const struct store_remediation_days *rows, int n)
{
	json_t *o = json_object();

	for (int i = 0; o != NULL && i < n; i++)
		json_object_set_new(o, rows[i].severity, json_integer(rows[i].days));
	return o;
}

int
api_campaign_remediation_get(struct http_request *r)
{
	struct days_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.campaign = http_param(r, 0);
	rc = db_tx(&r->who, "remediation_days", days_tx, &k);
	if (rc == DB_OK && (k.res.body = api_remediation_days_json(k.rows, k.n)) == NULL)
		rc = DB_ERROR;
	free(k.rows);
	return api_finish(r, rc, &k.res);
}

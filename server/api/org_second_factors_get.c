/*
 * GET /api/v1/orgs/{id}/second-factors: the coordinator or the org's
 * admin sees which users of the org have a second factor:
 * {"items":[{"user_id","enabled"}]}. Anybody else, and an unknown org,
 * gets the same 404. Never the secrets (org_second_factors, 0007).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct org_factors_ctx {
	const char *org;
	struct store_org_factor *rows; /* the result */
	int n;
};

static int
org_factors_tx(struct db_conn *c, void *arg)
{
	struct org_factors_ctx *k = arg;
	int rc;

	store_org_factors_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	if ((rc = store_org_exists(c, k->org)) != DB_OK)
		return rc;
	return store_org_second_factors(c, k->org, &k->rows, &k->n);
}

int
api_org_second_factors_get(struct http_request *r)
{
	struct org_factors_ctx k = {0};
	struct api_res res = {.status = 200};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.org = http_param(r, 0);
	/* the coordinator, or this org's admin; anybody else sees an unknown org */
	if (!api_is_coordinator(r) && (!api_is_admin(r) || strcmp(k.org, r->who.org_id) != 0))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(&r->who, "org_second_factors", org_factors_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; items != NULL && i < k.n; i++)
			json_array_append_new(items,
			                      json_pack("{s:s, s:b}", "user_id", k.rows[i].user_id,
			                                "enabled", k.rows[i].enabled));
		/* o steals items */
		if ((res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_org_factors_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

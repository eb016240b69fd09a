/* GET /api/v1/orgs/{id}/webhooks: an org admin lists their org's webhooks (never the secrets). */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct hooks_ctx {
	struct store_webhook *rows; /* the result */
	int n;
};

static int
hooks_tx(struct db_conn *c, void *arg)
{
	struct hooks_ctx *k = arg;

	store_webhooks_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_webhook_list(c, &k->rows, &k->n);
}

int
api_org_webhooks_get(struct http_request *r)
{
	struct hooks_ctx k = {0};
	struct api_res res = {.status = 200};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_admin(r) || strcmp(http_param(r, 0), r->who.org_id) != 0)
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(&r->who, "webhooks_list", hooks_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_webhook_json(&k.rows[i]));
		if ((res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_webhooks_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

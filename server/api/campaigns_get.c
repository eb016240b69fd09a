/* GET /api/v1/campaigns: every campaign for the coordinator, their own for participants. */
#include "config.h"

#include "api/api.h"

struct campaigns_ctx {
	const char *after;
	int limit;
	struct store_campaign *rows; /* the result */
	int n;
};

static int
campaigns_list_tx(struct db_conn *c, void *arg)
{
	struct campaigns_ctx *k = arg;

	store_campaigns_free(k->rows, k->n);
	return store_campaign_list(c, k->after, k->limit + 1, &k->rows, &k->n);
}

int
api_campaigns_get(struct http_request *r)
{
	struct campaigns_ctx k = {0};
	struct api_res res = {.status = 200};
	char limit1[16];
	json_t *items;
	int rc;

	if ((rc = api_page(r, &k.limit, limit1, &k.after)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "campaigns_list", campaigns_list_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_campaign_json(&k.rows[i]));
		if ((res.body = api_page_body(items, k.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_campaigns_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

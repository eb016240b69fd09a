/* GET /api/v1/engagements: the engagements visible to the caller (never scope). */
#include "config.h"

#include "api/api.h"

struct engagements_ctx {
	const char *after;
	int limit;
	struct store_engagement *rows; /* the result */
	int n;
};

static int
engagements_list_tx(struct db_conn *c, void *arg)
{
	struct engagements_ctx *k = arg;

	store_engagements_free(k->rows, k->n);
	return store_engagement_list(c, k->after, k->limit + 1, &k->rows, &k->n);
}

int
api_engagements_get(struct http_request *r)
{
	struct engagements_ctx k = {0};
	struct api_res res = {.status = 200};
	char limit1[16];
	json_t *items;
	int rc;

	if ((rc = api_page(r, &k.limit, limit1, &k.after)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "engagements_list", engagements_list_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_engagement_json(&k.rows[i]));
		if ((res.body = api_page_body(items, k.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_engagements_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

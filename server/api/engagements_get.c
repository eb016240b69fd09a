/* GET /api/v1/engagements: the engagements visible to the caller (never scope). */
#include "config.h"

#include "api/api.h"

struct engagements_ctx {
	const char *after;
	char limit1[16];
	int limit;
	struct api_res res;
};

static int
engagements_list_tx(struct db_conn *c, void *arg)
{
	struct engagements_ctx *k = arg;
	const char *p[2] = {k->after, k->limit1};
	struct db_result *q;
	enum db_status st;
	json_t *items = json_array();

	if ((q = db_exec(c, "engagements_list", 2, p, &st)) == NULL) {
		json_decref(items);
		return st;
	}
	for (int i = 0; i < db_rows(q); i++)
		json_array_append_new(items, api_engagement_json(q, i));
	db_result_free(q);
	k->res.body = api_page_body(items, k->limit, "id");
	return k->res.body ? DB_OK : DB_ERROR;
}

int
api_engagements_get(struct http_request *r)
{
	struct engagements_ctx k = {.res = {.status = 200}};
	int rc;

	if ((rc = api_page(r, &k.limit, k.limit1, &k.after)) != HTTP_OK)
		return rc;
	return api_finish(r, db_tx(&r->who, engagements_list_tx, &k), &k.res);
}

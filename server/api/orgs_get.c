/* GET /api/v1/orgs: the coordinator lists orgs (paginated). */
#include "config.h"

#include "api/api.h"

struct orgs_ctx {
	const char *after;
	int limit;
	struct store_org *rows; /* the result */
	int n;
};

static int
orgs_list_tx(struct db_conn *c, void *arg)
{
	struct orgs_ctx *o = arg;

	store_orgs_free(o->rows, o->n);
	return store_org_list(c, o->after, o->limit + 1, &o->rows, &o->n);
}

int
api_orgs_get(struct http_request *r)
{
	struct orgs_ctx o = {0};
	struct api_res res = {.status = 200};
	char limit1[16];
	json_t *items;
	int rc;

	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &o.limit, limit1, &o.after)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "orgs_list", orgs_list_tx, &o);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < o.n; i++)
			json_array_append_new(items, api_org_json(&o.rows[i]));
		if ((res.body = api_page_body(items, o.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_orgs_free(o.rows, o.n);
	return api_finish(r, rc, &res);
}

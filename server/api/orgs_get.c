/* GET /api/v1/orgs: the coordinator lists orgs (paginated). */
#include "config.h"

#include "api/api.h"

struct orgs_ctx {
	const char *after;
	char limit1[16];
	int limit;
	struct api_res res;
};

static int
orgs_list_tx(struct db_conn *c, void *arg)
{
	struct orgs_ctx *o = arg;
	const char *p[2] = {o->after, o->limit1};
	struct db_result *q;
	enum db_status st;
	json_t *items = json_array();

	if ((q = db_exec(c, "orgs_list", 2, p, &st)) == NULL) {
		json_decref(items);
		return st;
	}
	for (int i = 0; i < db_rows(q); i++)
		json_array_append_new(
		    items, json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", db_get(q, i, 0), "kind",
		                     db_get(q, i, 1), "name", db_get(q, i, 2), "aliases",
		                     api_json_col(q, i, 3), "created_at", db_get(q, i, 4)));
	db_result_free(q);
	o->res.body = api_page_body(items, o->limit, "id");
	return o->res.body ? DB_OK : DB_ERROR;
}

int
api_orgs_get(struct http_request *r)
{
	struct orgs_ctx o = {.res = {.status = 200}};
	int rc;

	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &o.limit, o.limit1, &o.after)) != HTTP_OK)
		return rc;
	return api_finish(r, db_tx(&r->who, orgs_list_tx, &o), &o.res);
}

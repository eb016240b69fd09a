/* GET /api/v1/orgs/{id}/users: the coordinator or the org's admin lists its users. */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct users_ctx {
	const char *org;
	const char *after;
	char limit1[16];
	int limit;
	struct api_res res;
};

static int
users_list_tx(struct db_conn *c, void *arg)
{
	struct users_ctx *u = arg;
	const char *pg[1] = {u->org};
	const char *p[3] = {u->org, u->after, u->limit1};
	struct db_result *q;
	enum db_status st;
	json_t *items;
	int n;

	if ((q = db_exec(c, "org_get", 1, pg, &st)) == NULL)
		return st;
	n = db_rows(q);
	db_result_free(q);
	if (n != 1)
		return api_fail(&u->res, PROBLEM_NOT_FOUND, NULL);
	if ((q = db_exec(c, "org_users_list", 3, p, &st)) == NULL)
		return st;
	items = json_array();
	for (int i = 0; i < db_rows(q); i++)
		json_array_append_new(items,
		                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
		                                db_get(q, i, 0), "org_id", db_get(q, i, 1), "email",
		                                db_get(q, i, 2), "name", db_get(q, i, 3), "role",
		                                db_get(q, i, 4), "created_at", db_get(q, i, 5)));
	db_result_free(q);
	u->res.body = api_page_body(items, u->limit, "id");
	return u->res.body ? DB_OK : DB_ERROR;
}

int
api_org_users_get(struct http_request *r)
{
	struct users_ctx u = {.res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	u.org = http_param(r, 0);
	if (!api_is_coordinator(r) && !(api_is_admin(r) && strcmp(r->who.org_id, u.org) == 0))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &u.limit, u.limit1, &u.after)) != HTTP_OK)
		return rc;
	return api_finish(r, db_tx(&r->who, users_list_tx, &u), &u.res);
}

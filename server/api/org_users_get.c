/* GET /api/v1/orgs/{id}/users: the coordinator or the org's admin lists its users. */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct users_ctx {
	const char *org;
	const char *after;
	int limit;
	struct store_user *rows; /* the result */
	int n;
};

static int
users_list_tx(struct db_conn *c, void *arg)
{
	struct users_ctx *u = arg;
	int rc;

	store_users_free(u->rows, u->n);
	u->rows = NULL;
	u->n = 0;
	if ((rc = store_org_exists(c, u->org)) != DB_OK)
		return rc;
	return store_user_list(c, u->org, u->after, u->limit + 1, &u->rows, &u->n);
}

int
api_org_users_get(struct http_request *r)
{
	struct users_ctx u = {0};
	struct api_res res = {.status = 200};
	char limit1[16];
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	u.org = http_param(r, 0);
	if (!api_is_coordinator(r) && !(api_is_admin(r) && strcmp(r->who.org_id, u.org) == 0))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &u.limit, limit1, &u.after)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "users_list", users_list_tx, &u);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < u.n; i++)
			json_array_append_new(items, api_user_json(&u.rows[i]));
		if ((res.body = api_page_body(items, u.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_users_free(u.rows, u.n);
	return api_finish(r, rc, &res);
}

/* GET /api/v1/me: the caller's user and org. */
#include "config.h"

#include "api/api.h"

static int
me_tx(struct db_conn *c, void *arg)
{
	struct api_res *res = arg;
	struct db_result *q;
	enum db_status st;

	if ((q = db_exec(c, "me_get", 0, NULL, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(res, PROBLEM_UNAUTHORIZED, NULL);
	}
	res->body = json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "user", "id",
	                      db_get(q, 0, 0), "email", db_get(q, 0, 1), "name", db_get(q, 0, 2),
	                      "role", db_get(q, 0, 3), "org", "id", db_get(q, 0, 4), "kind",
	                      db_get(q, 0, 5), "name", db_get(q, 0, 6));
	db_result_free(q);
	return res->body ? DB_OK : DB_ERROR;
}

int
api_me_get(struct http_request *r)
{
	struct api_res res = {.status = 200};

	return api_finish(r, db_tx(&r->who, me_tx, &res), &res);
}

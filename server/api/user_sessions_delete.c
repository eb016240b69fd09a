/*
 * DELETE /api/v1/users/{id}/sessions: the coordinator or the user's org
 * admin revokes every session of a user.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct revoke_ctx {
	struct http_request *r;
	const char *user;
	struct api_res res;
};

static int
revoke_tx(struct db_conn *c, void *arg)
{
	struct revoke_ctx *v = arg;
	const char *p[1] = {v->user};
	struct db_result *q;
	enum db_status st;
	char org[DB_UUID_LEN + 1];
	int rc;

	if ((q = db_exec(c, "user_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1 ||
	    (!api_is_coordinator(v->r) &&
	     (!api_is_admin(v->r) || strcmp(db_get(q, 0, 1), v->r->who.org_id) != 0))) {
		db_result_free(q);
		return api_fail(&v->res, PROBLEM_NOT_FOUND, NULL);
	}
	snprintf(org, sizeof(org), "%s", db_get(q, 0, 1));
	db_result_free(q);
	if ((rc = db_run(c, "user_sessions_revoke", 1, p)) != DB_OK)
		return rc;
	return api_audit(c, v->r, "user.sessions_revoke", "user", v->user, org, NULL, NULL);
}

int
api_user_sessions_delete(struct http_request *r)
{
	struct revoke_ctx v = {.r = r, .res = {.status = 204}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	v.user = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, revoke_tx, &v), &v.res);
}

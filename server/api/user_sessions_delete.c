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
	struct store_user u = {0};
	int rc;

	if ((rc = store_user_get(c, v->user, &u)) != DB_OK)
		return rc;
	if (!api_is_coordinator(v->r) &&
	    (!api_is_admin(v->r) || strcmp(u.org_id, v->r->who.org_id) != 0)) {
		store_user_clear(&u);
		return STORE_NONE;
	}
	if ((rc = store_user_sessions_revoke(c, v->user)) == DB_OK)
		rc = api_audit(c, v->r, "user.sessions_revoke", "user", v->user, u.org_id, NULL,
		               NULL);
	store_user_clear(&u);
	return rc;
}

int
api_user_sessions_delete(struct http_request *r)
{
	struct revoke_ctx v = {.r = r, .res = {.status = 204}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	v.user = http_param(r, 0);
	rc = db_tx(&r->who, "user_sessions_revoke", revoke_tx, &v);
	if (rc == STORE_NONE)
		rc = api_fail(&v.res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &v.res);
}

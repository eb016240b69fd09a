/*
 * DELETE /api/v1/users/{id}/tokens/{tid}: the coordinator or the user's
 * org admin revokes one session or API token of a user. Anybody else, an
 * unknown user or a token of another user answers the same 404.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct user_token_delete_ctx {
	struct http_request *r;
	const char *user;
	const char *id;
	struct api_res res;
};

static int
user_token_delete_tx(struct db_conn *c, void *arg)
{
	struct user_token_delete_ctx *t = arg;
	struct store_user u = {0};
	int rc;

	if ((rc = store_user_get(c, t->user, &u)) != DB_OK)
		return rc;
	if (!api_is_coordinator(t->r) &&
	    (!api_is_admin(t->r) || strcmp(u.org_id, t->r->who.org_id) != 0)) {
		store_user_clear(&u);
		return STORE_NONE;
	}
	if ((rc = store_user_token_revoke(c, t->user, t->id)) == DB_OK)
		rc = api_audit(c, t->r, "token.revoke", "token", t->id, u.org_id, NULL,
		               json_pack("{s:s}", "user", t->user));
	store_user_clear(&u);
	return rc;
}

int
api_user_token_delete(struct http_request *r)
{
	struct user_token_delete_ctx t = {.r = r, .res = {.status = 204}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK || (rc = api_uuid_param(r, 1)) != HTTP_OK)
		return rc;
	t.user = http_param(r, 0);
	t.id = http_param(r, 1);
	rc = db_tx(&r->who, "user_token_revoke", user_token_delete_tx, &t);
	if (rc == STORE_NONE)
		rc = api_fail(&t.res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &t.res);
}

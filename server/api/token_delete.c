/* DELETE /api/v1/tokens/{id}: revoke one of the caller's own sessions or API tokens. */
#include "config.h"

#include "api/api.h"

struct token_delete_ctx {
	struct http_request *r;
	const char *id;
	struct api_res res;
};

static int
token_delete_tx(struct db_conn *c, void *arg)
{
	struct token_delete_ctx *t = arg;
	int rc;

	if ((rc = store_token_revoke(c, t->id)) != DB_OK)
		return rc;
	return api_audit(c, t->r, "token.revoke", "token", t->id, t->r->who.org_id, NULL, NULL);
}

int
api_token_delete(struct http_request *r)
{
	struct token_delete_ctx t = {.r = r, .res = {.status = 204}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	t.id = http_param(r, 0);
	rc = db_tx(&r->who, "token_delete", token_delete_tx, &t);
	if (rc == STORE_NONE)
		rc = api_fail(&t.res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &t.res);
}

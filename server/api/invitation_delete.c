/*
 * DELETE /api/v1/invitations/{id}: the admin of the link's org (or the
 * coordinator) revokes an unused invitation or reset link. Another org's
 * link, a used or already revoked one and an unknown id all answer 404.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct revoke_link_ctx {
	struct http_request *r;
	const char *id;
};

static int
link_revoke_tx(struct db_conn *c, void *arg)
{
	struct revoke_link_ctx *v = arg;
	struct store_link l = {0};
	int rc;

	if ((rc = store_link_get(c, v->id, &l)) != DB_OK)
		return rc;
	if (!api_is_coordinator(v->r) && strcmp(l.org_id, v->r->who.org_id) != 0)
		rc = STORE_NONE;
	else if ((rc = store_link_revoke(c, v->id)) == DB_OK)
		rc = api_audit(c, v->r, "invitation.revoke", "invitation", v->id, l.org_id, NULL,
		               json_pack("{s:s}", "kind", l.kind));
	store_link_clear(&l);
	return rc;
}

int
api_invitation_delete(struct http_request *r)
{
	struct revoke_link_ctx v = {.r = r};
	struct api_res res = {.status = 204};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	v.id = http_param(r, 0);
	if (!api_is_coordinator(r) && !api_is_admin(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(&r->who, "invitation_revoke", link_revoke_tx, &v);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &res);
}

/* DELETE /api/v1/webhooks/{id}: an admin of the webhook's org removes it and its delivery log
 * (204). */
#include "config.h"

#include "api/api.h"

struct delete_ctx {
	struct http_request *r;
	const char *id;
};

static int
delete_tx(struct db_conn *c, void *arg)
{
	struct delete_ctx *k = arg;
	int rc = store_webhook_delete(c, k->id);

	if (rc != DB_OK)
		return rc;
	return api_audit(c, k->r, "webhook.delete", "webhook", k->id, k->r->who.org_id, NULL, NULL);
}

int
api_webhook_delete(struct http_request *r)
{
	struct delete_ctx k = {.r = r};
	struct api_res res = {.status = 204};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_admin(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "webhook_delete", delete_tx, &k);
	return api_finish(r, rc, &res);
}

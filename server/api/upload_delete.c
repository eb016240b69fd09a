/*
 * DELETE /api/v1/uploads/{id}: abandon the caller's own resumable upload
 * (tus termination): the row and every chunk go at once. 204, or 404.
 */
#include "config.h"

#include "api/tus.h"

struct upload_delete_ctx {
	const char *id;
	int gone; /* the result */
};

static int
upload_delete_tx(struct db_conn *c, void *arg)
{
	struct upload_delete_ctx *x = arg;

	return store_evidence_discard(c, x->id, &x->gone);
}

int
api_upload_delete(struct http_request *r)
{
	struct upload_delete_ctx x = {.id = http_param(r, 0)};
	struct api_res res = {0};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if ((rc = tus_check_version(r)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "upload_delete", upload_delete_tx, &x);
	if (rc == DB_OK && x.gone) {
		const char *h[] = {"Tus-Resumable", TUS_VERSION, NULL};

		return http_reply_bytes(r, 204, NULL, "", 0, h);
	}
	if (rc == DB_OK)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &res);
}

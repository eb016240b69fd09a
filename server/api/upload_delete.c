/*
 * DELETE /api/v1/uploads/{id}: abandon the caller's own resumable upload
 * (tus termination): the row and every chunk go at once. 204, or 404.
 */
#include "config.h"

#include "api/tus.h"

struct upload_delete_ctx {
	const char *id;
	struct api_res res;
};

static int
upload_delete_tx(struct db_conn *c, void *arg)
{
	struct upload_delete_ctx *x = arg;
	const char *p[1] = {x->id};
	struct db_result *q;
	enum db_status st;
	int gone;

	if ((q = db_exec(c, "evidence_discard", 1, p, &st)) == NULL)
		return st;
	gone = db_rows(q) == 1 && db_get(q, 0, 0)[0] == 't';
	db_result_free(q);
	if (!gone)
		return api_fail(&x->res, PROBLEM_NOT_FOUND, NULL);
	x->res.status = 204;
	return DB_OK;
}

int
api_upload_delete(struct http_request *r)
{
	struct upload_delete_ctx x = {.id = http_param(r, 0)};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if ((rc = tus_check_version(r)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "upload_delete", upload_delete_tx, &x);
	if (rc == DB_OK) {
		const char *h[] = {"Tus-Resumable", TUS_VERSION, NULL};

		return http_reply_bytes(r, 204, NULL, "", 0, h);
	}
	return api_finish(r, rc, &x.res);
}

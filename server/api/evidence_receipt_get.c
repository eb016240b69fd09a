/*
 * GET /api/v1/evidence/{id}/receipt: the signed receipt of a complete
 * evidence file, for the engagement's company and assessor.
 */
#include "config.h"

#include "api/evidence.h"

struct evidence_receipt_ctx {
	const char *id;
	struct store_evidence row; /* the result */
};

static int
evidence_receipt_tx(struct db_conn *c, void *arg)
{
	struct evidence_receipt_ctx *x = arg;

	return store_evidence_get(c, x->id, &x->row);
}

int
api_evidence_receipt_get(struct http_request *r)
{
	struct evidence_receipt_ctx x = {.id = http_param(r, 0)};
	struct api_res res = {.status = 200};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(&r->who, "evidence_receipt", evidence_receipt_tx, &x);
	if (rc == DB_OK && (res.body = api_evidence_receipt(&x.row)) == NULL)
		rc = DB_ERROR;
	store_evidence_clear(&x.row);
	return api_finish(r, rc, &res);
}

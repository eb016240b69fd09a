/*
 * GET /api/v1/evidence/{id}/receipt: the signed receipt of a complete
 * evidence file, for the engagement's company and assessor.
 */
#include "config.h"

#include "api/evidence.h"

struct evidence_receipt_ctx {
	const char *id;
	struct api_res res;
};

static int
evidence_receipt_tx(struct db_conn *c, void *arg)
{
	struct evidence_receipt_ctx *x = arg;
	const char *p[1] = {x->id};
	struct db_result *q;
	enum db_status st;

	if ((q = db_exec(c, "evidence_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&x->res, PROBLEM_NOT_FOUND, NULL);
	}
	x->res.body = evidence_receipt_signed(q, 0);
	db_result_free(q);
	return x->res.body != NULL ? DB_OK : DB_ERROR;
}

int
api_evidence_receipt_get(struct http_request *r)
{
	struct evidence_receipt_ctx x = {.id = http_param(r, 0)};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, db_tx(&r->who, "evidence_receipt", evidence_receipt_tx, &x), &x.res);
}

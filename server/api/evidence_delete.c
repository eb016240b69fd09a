/*
 * DELETE /api/v1/evidence/{id}: its uploader, or an admin of the
 * uploader's org, deletes a complete evidence file. The row goes with its
 * wrapped per-file key and every chunk (evidence_delete() in
 * 0002_evidence.sql); the deletion is an audit event. A participant who
 * may see the file but not delete it gets 403; anyone else 404.
 */
#include "config.h"

#include "api/evidence.h"
#include "util/util.h"

struct evidence_delete_ctx {
	struct http_request *r;
	const char *id;
	enum evidence_error err;   /* the result, with EVIDENCE_REFUSED */
	struct store_evidence row; /* the result: what was deleted */
};

static int
evidence_delete_tx(struct db_conn *c, void *arg)
{
	struct evidence_delete_ctx *x = arg;
	int rc;

	if ((rc = store_evidence_delete(c, x->id, &x->err, &x->row)) != DB_OK)
		return rc;
	return api_audit(c, x->r, "evidence.delete", "evidence", x->id, x->row.company_org_id,
	                 x->row.assessor_org_id,
	                 json_pack("{s:s, s:s, s:I, s:s, s:b}", "engagement", x->row.engagement_id,
	                           "name", x->row.name, "size", (json_int_t)x->row.size, "sha256",
	                           x->row.sha256, "key_destroyed", 1));
}

int
api_evidence_delete(struct http_request *r)
{
	struct evidence_delete_ctx x = {.r = r, .id = http_param(r, 0)};
	struct api_res res = {.status = 204};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(&r->who, "evidence_delete", evidence_delete_tx, &x);
	if (rc == EVIDENCE_REFUSED)
		rc = api_evidence_fail(&res, x.err);
	store_evidence_clear(&x.row);
	return api_finish(r, rc, &res);
}

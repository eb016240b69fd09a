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
	struct api_res res;
};

static int
evidence_delete_tx(struct db_conn *c, void *arg)
{
	struct evidence_delete_ctx *x = arg;
	const char *p[1] = {x->id};
	struct db_result *q;
	enum db_status st;
	long long size = 0;
	int rc, visible;

	if ((q = db_exec(c, "evidence_delete", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		if ((q = db_exec(c, "evidence_get", 1, p, &st)) == NULL)
			return st;
		visible = db_rows(q) == 1;
		db_result_free(q);
		return api_fail(
		    &x->res, visible ? PROBLEM_FORBIDDEN : PROBLEM_NOT_FOUND,
		    visible ? "Only the uploader or an admin of the uploader's org may delete it."
		            : NULL);
	}
	util_strnum(db_get(q, 0, 5), 0, 0x7fffffffffffffffLL, &size);
	rc = api_audit(c, x->r, "evidence.delete", "evidence", x->id, db_get(q, 0, 2),
	               db_get(q, 0, 3),
	               json_pack("{s:s, s:s, s:I, s:s, s:b}", "engagement", db_get(q, 0, 1), "name",
	                         db_get(q, 0, 4), "size", (json_int_t)size, "sha256",
	                         db_get(q, 0, 6), "key_destroyed", 1));
	db_result_free(q);
	x->res.status = 204;
	return rc;
}

int
api_evidence_delete(struct http_request *r)
{
	struct evidence_delete_ctx x = {.r = r, .id = http_param(r, 0)};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, db_tx(&r->who, "evidence_delete", evidence_delete_tx, &x), &x.res);
}

/*
 * GET /api/v1/engagements/{id}/evidence: the engagement's company and
 * assessor list its complete evidence (uploads in progress never show).
 */
#include "config.h"

#include "api/evidence.h"

struct evidence_list_ctx {
	struct http_request *r;
	int limit;
	char limit1[16];
	const char *after;
	struct store_evidence *rows; /* the result */
	int n;
	struct api_res res;
};

static int
evidence_list_tx(struct db_conn *c, void *arg)
{
	struct evidence_list_ctx *x = arg;
	struct api_engagement e;
	int rc;

	store_evidences_free(x->rows, x->n);
	x->rows = NULL;
	x->n = 0;
	if ((rc = api_engagement_load(c, x->r, http_param(x->r, 0), API_AS_PARTICIPANT, &e,
	                              &x->res)) != DB_OK)
		return rc;
	api_engagement_clear(&e);
	return store_evidence_list(c, http_param(x->r, 0), x->after, x->limit + 1, &x->rows, &x->n);
}

int
api_evidence_list_get(struct http_request *r)
{
	struct evidence_list_ctx x = {.r = r};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &x.limit, x.limit1, &x.after)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "evidence_list", evidence_list_tx, &x);
	if (rc == DB_OK) {
		json_t *items = json_array();

		for (int i = 0; items != NULL && i < x.n; i++)
			if (json_array_append_new(items, api_evidence_json(&x.rows[i])) != 0) {
				json_decref(items);
				items = NULL;
			}
		if ((x.res.body = api_page_body(items, x.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_evidences_free(x.rows, x.n);
	return api_finish(r, rc, &x.res);
}

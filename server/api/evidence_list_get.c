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
	struct api_res res;
};

static int
evidence_list_tx(struct db_conn *c, void *arg)
{
	struct evidence_list_ctx *x = arg;
	struct api_engagement e;
	struct db_result *q;
	enum db_status st;
	json_t *items;
	int rc;

	if ((rc = api_engagement_load(c, x->r, http_param(x->r, 0), API_AS_PARTICIPANT, &e,
	                              &x->res)) != DB_OK)
		return rc;
	api_engagement_clear(&e);
	{
		const char *p[3] = {http_param(x->r, 0), x->after, x->limit1};

		if ((q = db_exec(c, "evidence_list", 3, p, &st)) == NULL)
			return st;
	}
	items = json_array();
	for (int i = 0; items != NULL && i < db_rows(q); i++)
		if (json_array_append_new(items, evidence_json(q, i)) != 0) {
			json_decref(items);
			items = NULL;
		}
	db_result_free(q);
	x->res.body = api_page_body(items, x->limit, "id");
	return x->res.body != NULL ? DB_OK : DB_ERROR;
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
	return api_finish(r, db_tx(&r->who, "evidence_list", evidence_list_tx, &x), &x.res);
}

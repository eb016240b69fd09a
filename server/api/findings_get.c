/*
 * GET /api/v1/engagements/{id}/findings: the engagement's findings,
 * decrypted, for its company and assessor (an audited confidential read).
 */
#include "config.h"

#include "api/api.h"

struct findings_ctx {
	struct http_request *r;
	const char *engagement;
	const char *after;
	int limit;
	struct store_finding *rows; /* the result */
	int n;
	struct api_res res;
};

static int
findings_list_tx(struct db_conn *c, void *arg)
{
	struct findings_ctx *f = arg;
	struct api_engagement e;
	int rc;

	store_findings_free(f->rows, f->n);
	f->rows = NULL;
	f->n = 0;
	if ((rc = api_engagement_load(c, f->r, f->engagement, API_AS_PARTICIPANT, &e, &f->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	if ((rc = store_finding_list(c, f->engagement, f->after, f->limit + 1, &f->rows, &f->n)) !=
	    DB_OK)
		return rc;
	return api_audit(c, f->r, "finding.list", "engagement", f->engagement, NULL, NULL, NULL);
}

int
api_findings_get(struct http_request *r)
{
	struct findings_ctx f = {.r = r, .res = {.status = 200}};
	char limit1[16];
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if ((rc = api_page(r, &f.limit, limit1, &f.after)) != HTTP_OK)
		return rc;
	f.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "findings_list", findings_list_tx, &f);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < f.n; i++)
			json_array_append_new(items, api_finding_json(&f.rows[i]));
		if ((f.res.body = api_page_body(items, f.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_findings_free(f.rows, f.n);
	return api_finish(r, rc, &f.res);
}

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
	char limit1[16];
	int limit;
	struct api_res res;
};

static int
findings_list_tx(struct db_conn *c, void *arg)
{
	struct findings_ctx *f = arg;
	const char *p[3] = {f->engagement, f->after, f->limit1};
	struct api_engagement e;
	unsigned char key[CRYPTO_KEY_LEN];
	struct db_result *q;
	enum db_status st;
	json_t *items;
	int rc;

	if ((rc = api_engagement_load(c, f->r, f->engagement, API_AS_PARTICIPANT, &e, &f->res)) !=
	    DB_OK)
		return rc;
	rc = api_engagement_key(c, e.id, key);
	api_engagement_clear(&e);
	if (rc != 0)
		return rc > 0 ? api_fail(&f->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	if ((q = db_exec(c, "findings_list", 3, p, &st)) == NULL) {
		explicit_bzero(key, sizeof(key));
		return st;
	}
	items = json_array();
	rc = DB_OK;
	for (int i = 0; i < db_rows(q) && rc == DB_OK; i++) {
		json_t *one = api_finding_json(key, q, i);

		if (one == NULL)
			rc = DB_ERROR;
		json_array_append_new(items, one);
	}
	explicit_bzero(key, sizeof(key));
	db_result_free(q);
	if (rc != DB_OK) {
		json_decref(items);
		return rc;
	}
	f->res.body = api_page_body(items, f->limit, "id");
	if (f->res.body == NULL)
		return DB_ERROR;
	return api_audit(c, f->r, "finding.list", "engagement", f->engagement, NULL, NULL, NULL);
}

int
api_findings_get(struct http_request *r)
{
	struct findings_ctx f = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if ((rc = api_page(r, &f.limit, f.limit1, &f.after)) != HTTP_OK)
		return rc;
	f.engagement = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, "findings_list", findings_list_tx, &f), &f.res);
}

/* GET /api/v1/findings/{id}: one finding, decrypted, for its engagement's participants. */
#include "config.h"

#include "api/api.h"

struct finding_get_ctx {
	struct http_request *r;
	const char *id;
	struct api_res res;
};

static int
finding_get_tx(struct db_conn *c, void *arg)
{
	struct finding_get_ctx *f = arg;
	const char *p[1] = {f->id};
	struct api_engagement e;
	unsigned char key[CRYPTO_KEY_LEN];
	struct db_result *q;
	enum db_status st;
	int rc;

	if ((q = db_exec(c, "finding_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&f->res, PROBLEM_NOT_FOUND, NULL);
	}
	rc = api_engagement_load(c, f->r, db_get(q, 0, 1), API_AS_PARTICIPANT, &e, &f->res);
	if (rc == DB_OK) {
		rc = api_engagement_key(c, e.id, key);
		if (rc == 0) {
			f->res.body = api_finding_json(key, q, 0);
			rc = f->res.body ? DB_OK : DB_ERROR;
		} else
			rc = rc > 0 ? api_fail(&f->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
		explicit_bzero(key, sizeof(key));
		api_engagement_clear(&e);
	}
	db_result_free(q);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, f->r, "finding.read", "finding", f->id, NULL, NULL, NULL);
}

int
api_finding_get(struct http_request *r)
{
	struct finding_get_ctx f = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	f.id = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, "finding_get", finding_get_tx, &f), &f.res);
}

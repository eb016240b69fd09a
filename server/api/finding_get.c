/* GET /api/v1/findings/{id}: one finding, decrypted, for its engagement's participants. */
#include "config.h"

#include "api/api.h"

struct finding_get_ctx {
	struct http_request *r;
	const char *id;
	struct store_finding row; /* the result */
	struct api_res res;
};

static int
finding_get_tx(struct db_conn *c, void *arg)
{
	struct finding_get_ctx *f = arg;
	struct api_engagement e;
	int rc;

	if ((rc = store_finding_get(c, f->id, &f->row)) != DB_OK)
		return rc;
	rc = api_engagement_load(c, f->r, f->row.engagement_id, API_AS_PARTICIPANT, &e, &f->res);
	if (rc != DB_OK)
		return rc;
	api_engagement_clear(&e);
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
	rc = db_tx(&r->who, "finding_get", finding_get_tx, &f);
	if (rc == DB_OK && (f.res.body = api_finding_json(&f.row)) == NULL)
		rc = DB_ERROR;
	store_finding_clear(&f.row);
	return api_finish(r, rc, &f.res);
}

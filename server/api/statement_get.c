/* GET /api/v1/engagements/{id}/statement: the company's statement, for participants. */
#include "config.h"

#include "api/api.h"

struct statement_get_ctx {
	struct http_request *r;
	const char *engagement;
	struct store_statement row; /* the result */
	struct api_res res;
};

static int
statement_get_tx(struct db_conn *c, void *arg)
{
	struct statement_get_ctx *k = arg;
	struct api_engagement e;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	return store_statement_get(c, k->engagement, &k->row);
}

int
api_statement_get(struct http_request *r)
{
	struct statement_get_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "statement_get", statement_get_tx, &k);
	if (rc == DB_OK && (k.res.body = api_statement_json(&k.row)) == NULL)
		rc = DB_ERROR;
	store_statement_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

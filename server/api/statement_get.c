/* GET /api/v1/engagements/{id}/statement: the company's statement, for participants. */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct statement_get_ctx {
	struct http_request *r;
	const char *engagement;
	struct api_res res;
};

static int
statement_get_tx(struct db_conn *c, void *arg)
{
	struct statement_get_ctx *k = arg;
	const char *p[1] = {k->engagement};
	struct api_engagement e;
	struct db_result *q;
	enum db_status st;
	unsigned char key[CRYPTO_KEY_LEN];
	json_t *text;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	if ((q = db_exec(c, "statement_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&k->res, PROBLEM_NOT_FOUND, NULL);
	}
	if (db_is_null(q, 0, 1)) {
		text = json_string(db_get(q, 0, 4)); /* written before 0004 */
	} else if ((rc = api_engagement_key(c, k->engagement, key)) != 0) {
		db_result_free(q);
		return rc > 0 ? api_fail(&k->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	} else {
		text = api_open(key, "statement", k->engagement, "text", q, 0, 1);
		explicit_bzero(key, sizeof(key));
	}
	if (text == NULL) {
		db_result_free(q);
		return DB_ERROR;
	}
	k->res.body = json_pack("{s:s, s:o, s:s, s:s}", "engagement_id", db_get(q, 0, 0), "text",
	                        text, "updated_by", db_get(q, 0, 2), "updated_at", db_get(q, 0, 3));
	db_result_free(q);
	return k->res.body ? DB_OK : DB_ERROR;
}

int
api_statement_get(struct http_request *r)
{
	struct statement_get_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, statement_get_tx, &k), &k.res);
}

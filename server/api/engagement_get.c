/*
 * GET /api/v1/engagements/{id}: one engagement. Its company and assessor
 * also get the decrypted scope (an audited read of confidential content);
 * the coordinator gets the engagement without it.
 */
#include "config.h"

#include "api/api.h"

struct engagement_get_ctx {
	struct http_request *r;
	const char *id;
	struct api_res res;
};

static int
engagement_get_tx(struct db_conn *c, void *arg)
{
	struct engagement_get_ctx *k = arg;
	const char *p[1] = {k->id};
	unsigned char key[CRYPTO_KEY_LEN];
	struct db_result *q;
	enum db_status st;
	json_t *scope;
	int rc;

	if ((q = db_exec(c, "engagement_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&k->res, PROBLEM_NOT_FOUND, NULL);
	}
	k->res.body = api_engagement_json(q, 0);
	db_result_free(q);
	if (k->res.body == NULL)
		return DB_ERROR;
	if (api_is_coordinator(k->r))
		return DB_OK;
	rc = api_engagement_key(c, k->id, key);
	if (rc != 0)
		return rc > 0 ? api_fail(&k->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	if ((q = db_exec(c, "engagement_secret_get", 1, p, &st)) == NULL) {
		explicit_bzero(key, sizeof(key));
		return st;
	}
	scope = api_open(key, "engagement", k->id, "scope", q, 0, 1);
	explicit_bzero(key, sizeof(key));
	db_result_free(q);
	if (scope == NULL)
		return DB_ERROR;
	json_object_set_new(k->res.body, "scope", scope);
	return api_audit(c, k->r, "engagement.read", "engagement", k->id, NULL, NULL, NULL);
}

int
api_engagement_get(struct http_request *r)
{
	struct engagement_get_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, engagement_get_tx, &k), &k.res);
}

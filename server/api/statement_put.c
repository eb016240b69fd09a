/* PUT /api/v1/engagements/{id}/statement {text}: the company's public response. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const struct json_field statement_fields[] = {{.name = "text",
                                                      .type = JSON_FIELD_STRING,
                                                      .required = 1,
                                                      .min_len = 0,
                                                      .max_len = 5000,
                                                      .valid = api_valid_text},
                                                     {.name = NULL}};

struct statement_ctx {
	struct http_request *r;
	const char *engagement;
	struct api_res res;
};

static int
statement_tx(struct db_conn *c, void *arg)
{
	struct statement_ctx *k = arg;
	struct api_engagement e;
	struct db_result *q;
	enum db_status st;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_COMPANY, &e, &k->res)) !=
	    DB_OK)
		return rc;
	if (e.released) {
		api_engagement_clear(&e);
		return api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	}
	{
		const char *text = json_string_value(json_object_get(k->r->json, "text"));
		unsigned char key[CRYPTO_KEY_LEN];
		char *sealed = NULL;

		/* sealed like a finding, bound to (engagement, column) */
		if ((rc = api_engagement_key(c, e.id, key)) == 0)
			sealed = api_seal(key, "statement", e.id, "text", text);
		explicit_bzero(key, sizeof(key));
		if (sealed == NULL) {
			api_engagement_clear(&e);
			return rc > 0 ? api_fail(&k->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
		}
		{
			const char *p[4] = {e.id, e.company, e.assessor, sealed};

			q = db_exec(c, "statement_upsert", 4, p, &st);
		}
		free(sealed);
		if (q == NULL) {
			api_engagement_clear(&e);
			return st;
		}
		k->res.body =
		    json_pack("{s:s, s:s, s:s, s:s}", "engagement_id", db_get(q, 0, 0), "text",
		              text, "updated_by", db_get(q, 0, 1), "updated_at", db_get(q, 0, 2));
	}
	rc = api_audit(c, k->r, "statement.put", "engagement", e.id, e.company, e.assessor, NULL);
	db_result_free(q);
	api_engagement_clear(&e);
	return rc;
}

int
api_statement_put(struct http_request *r)
{
	struct statement_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, statement_fields)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, statement_tx, &k), &k.res);
}

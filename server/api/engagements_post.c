/*
 * POST /api/v1/campaigns/{id}/engagements {company_org, assessor_org,
 * scope, lead_assessors[]}: the coordinator pairs a company with an
 * assessor firm. A fresh data key is made for the engagement and wrapped
 * by the master key; the scope is sealed with it. The coordinator can
 * write the scope but never read it back (engagement_secrets RLS).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const struct json_field engagement_fields[] = {{.name = "company_org",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 36,
                                                       .max_len = 36,
                                                       .valid = api_valid_uuid},
                                                      {.name = "assessor_org",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 36,
                                                       .max_len = 36,
                                                       .valid = api_valid_uuid},
                                                      {.name = "scope",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 1,
                                                       .max_len = 20000,
                                                       .valid = api_valid_text},
                                                      {.name = "lead_assessors",
                                                       .type = JSON_FIELD_STRING_ARRAY,
                                                       .required = 1,
                                                       .min_len = 1,
                                                       .max_len = 200,
                                                       .max_items = 16,
                                                       .valid = api_valid_name},
                                                      {.name = NULL}};

struct engagement_ctx {
	struct http_request *r;
	const char *campaign;
	char id[DB_UUID_LEN + 1];
	char *leads;
	char *wrapped;
	char *scope;
	struct api_res res;
};

/* 1 if org id exists (visible) with this kind. */
static int
engagement_org_is(struct db_conn *c, const char *id, const char *kind, enum db_status *st)
{
	const char *p[1] = {id};
	struct db_result *q = db_exec(c, "org_get", 1, p, st);
	int ok;

	if (q == NULL)
		return -1;
	ok = db_rows(q) == 1 && strcmp(db_get(q, 0, 1), kind) == 0;
	db_result_free(q);
	return ok;
}

static int
engagement_create_tx(struct db_conn *c, void *arg)
{
	struct engagement_ctx *e = arg;
	const char *company = json_string_value(json_object_get(e->r->json, "company_org"));
	const char *assessor = json_string_value(json_object_get(e->r->json, "assessor_org"));
	const char *pc[1] = {e->campaign};
	const char *pe[5] = {e->id, e->campaign, company, assessor, e->leads};
	const char *ps[5] = {e->id, company, assessor, e->wrapped, e->scope};
	struct db_result *q;
	enum db_status st;
	char disclosure[16];
	json_t *warnings;
	int rc;

	if ((q = db_exec(c, "campaign_lock", 1, pc, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&e->res, PROBLEM_NOT_FOUND, NULL);
	}
	rc = strcmp(db_get(q, 0, 11), "t") == 0 || strcmp(db_get(q, 0, 8), "published") == 0;
	snprintf(disclosure, sizeof(disclosure), "%s", db_get(q, 0, 6));
	db_result_free(q);
	if (rc)
		return api_fail(&e->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	if ((rc = engagement_org_is(c, company, "company", &st)) != 1)
		return rc < 0 ? (int)st
		              : api_fail_field(&e->res, "company_org", "must be a company org");
	if ((rc = engagement_org_is(c, assessor, "assessor", &st)) != 1)
		return rc < 0 ? (int)st
		              : api_fail_field(&e->res, "assessor_org", "must be an assessor org");
	if ((rc = db_run(c, "engagement_create", 5, pe)) != DB_OK)
		return rc == DB_UNIQUE
		           ? api_fail(
		                 &e->res, PROBLEM_CONFLICT,
		                 "This company and assessor are already paired in the campaign.")
		           : rc;
	if ((rc = db_run(c, "engagement_secret_create", 5, ps)) != DB_OK)
		return rc;
	{
		const char *pg[1] = {e->id};

		if ((q = db_exec(c, "engagement_get", 1, pg, &st)) == NULL)
			return st;
		e->res.body = db_rows(q) == 1 ? api_engagement_json(q, 0) : NULL;
		db_result_free(q);
	}
	if (e->res.body == NULL)
		return DB_ERROR;
	/* does the pairing identify a company under this disclosure? */
	if ((q = db_exec(c, "campaign_engagements", 1, pc, &st)) == NULL)
		return st;
	warnings = api_pairing_warnings(q, disclosure);
	db_result_free(q);
	if (warnings == NULL)
		return DB_ERROR;
	json_object_set_new(e->res.body, "warnings", warnings);
	return api_audit(c, e->r, "engagement.create", "engagement", e->id, company, assessor,
	                 json_pack("{s:s}", "campaign", e->campaign));
}

int
api_engagements_post(struct http_request *r)
{
	struct engagement_ctx e = {.r = r, .res = {.status = 201}};
	unsigned char key[CRYPTO_KEY_LEN];
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, engagement_fields)) != HTTP_OK)
		return rc;
	e.campaign = http_param(r, 0);
	if (api_new_uuid(e.id) != 0 || crypto_random(key, sizeof(key)) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	e.leads =
	    json_dumps(json_object_get(r->json, "lead_assessors"), JSON_COMPACT | JSON_ENCODE_ANY);
	e.wrapped = api_wrap_engagement_key(e.id, key);
	e.scope = api_seal(key, "engagement", e.id, "scope",
	                   json_string_value(json_object_get(r->json, "scope")));
	explicit_bzero(key, sizeof(key));
	if (e.leads == NULL || e.wrapped == NULL || e.scope == NULL)
		rc = DB_ERROR;
	else
		rc = db_tx(&r->who, engagement_create_tx, &e);
	free(e.leads);
	free(e.wrapped);
	free(e.scope);
	return api_finish(r, rc, &e.res);
}

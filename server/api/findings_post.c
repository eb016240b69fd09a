/*
 * POST /api/v1/engagements/{id}/findings: the engagement's assessor
 * records a finding. Title and detail are sealed with the engagement's
 * data key, bound to the finding's id and column.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const struct json_field finding_fields[] = {API_FINDING_FIELDS(1, api_valid_cvss, 10),
                                                   {.name = NULL}};

struct finding_ctx {
	struct http_request *r;
	const char *engagement;
	char id[DB_UUID_LEN + 1];
	struct api_res res;
};

static char *
finding_array(json_t *j, const char *key)
{
	json_t *a = json_object_get(j, key);

	return a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
}

static int
finding_create_tx(struct db_conn *c, void *arg)
{
	struct finding_ctx *f = arg;
	json_t *j = f->r->json;
	struct api_engagement e;
	unsigned char key[CRYPTO_KEY_LEN];
	char *title = NULL, *detail = NULL, *atlas = NULL, *cwe = NULL;
	struct db_result *q = NULL;
	enum db_status st;
	int rc;

	if ((rc = api_engagement_load(c, f->r, f->engagement, API_AS_ASSESSOR, &e, &f->res)) !=
	    DB_OK)
		return rc;
	if (!api_engagement_has_threat_model(
	        &e, json_string_value(json_object_get(j, "threat_model")))) {
		api_engagement_clear(&e);
		return api_fail_field(&f->res, "threat_model",
		                      "not in the campaign's threat models");
	}
	if ((rc = api_engagement_key(c, e.id, key)) != 0) {
		api_engagement_clear(&e);
		return rc > 0 ? api_fail(&f->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	}
	title = api_seal(key, "finding", f->id, "title",
	                 json_string_value(json_object_get(j, "title")));
	detail = api_seal(key, "finding", f->id, "detail",
	                  json_string_value(json_object_get(j, "detail")));
	atlas = finding_array(j, "atlas");
	cwe = finding_array(j, "cwe");
	rc = DB_ERROR;
	if (title != NULL && detail != NULL && atlas != NULL && cwe != NULL) {
		const char *p[12] = {f->id,
		                     e.id,
		                     e.company,
		                     e.assessor,
		                     json_string_value(json_object_get(j, "threat_model")),
		                     json_string_value(json_object_get(j, "severity")),
		                     json_string_value(json_object_get(j, "status")),
		                     title,
		                     detail,
		                     atlas,
		                     cwe,
		                     json_string_value(json_object_get(j, "cvss"))};

		if ((q = db_exec(c, "finding_create", 12, p, &st)) == NULL)
			rc = st;
		else if ((f->res.body = api_finding_json(key, q, 0)) != NULL)
			rc = api_audit(c, f->r, "finding.create", "finding", f->id, e.company,
			               e.assessor,
			               json_pack("{s:s, s:s}", "engagement", e.id, "severity",
			                         db_get(q, 0, 3)));
	}
	explicit_bzero(key, sizeof(key));
	db_result_free(q);
	free(title);
	free(detail);
	free(atlas);
	free(cwe);
	api_engagement_clear(&e);
	return rc;
}

int
api_findings_post(struct http_request *r)
{
	struct finding_ctx f = {.r = r, .res = {.status = 201}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, finding_fields)) != HTTP_OK)
		return rc;
	f.engagement = http_param(r, 0);
	if (api_new_uuid(f.id) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	return api_finish(r, db_tx(&r->who, "finding_create", finding_create_tx, &f), &f.res);
}

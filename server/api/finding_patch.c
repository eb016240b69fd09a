/*
 * PATCH /api/v1/findings/{id}: the assessor changes any field but the
 * response; the company may only answer (response) and move the status to
 * remediating, remediated or accepted. The database enforces the same
 * split (trigger findings_before_update) and records every version.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int
company_status_valid(const char *s)
{
	return strcmp(s, "remediating") == 0 || strcmp(s, "remediated") == 0 ||
	       strcmp(s, "accepted") == 0;
}

static int
cvss_or_empty(const char *s)
{
	return *s == '\0' || api_valid_cvss(s);
}

static const struct json_field assessor_fields[] = {API_FINDING_FIELDS(0, cvss_or_empty, 0),
                                                    {.name = NULL}};

static const struct json_field company_fields[] = {{.name = "status",
                                                    .type = JSON_FIELD_STRING,
                                                    .min_len = 1,
                                                    .max_len = 16,
                                                    .valid = company_status_valid},
                                                   {.name = "response",
                                                    .type = JSON_FIELD_STRING,
                                                    .min_len = 0,
                                                    .max_len = 65536,
                                                    .valid = api_valid_text},
                                                   {.name = NULL}};

struct patch_ctx {
	struct http_request *r;
	const char *id;
	struct api_res res;
};

static char *
patch_array(json_t *j, const char *key)
{
	json_t *a = json_object_get(j, key);

	return a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

static const char *
patch_str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static int
finding_patch_tx(struct db_conn *c, void *arg)
{
	struct patch_ctx *f = arg;
	json_t *j = f->r->json;
	const char *pg[1] = {f->id};
	struct api_engagement e = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	char *title = NULL, *detail = NULL, *response = NULL, *atlas = NULL, *cwe = NULL;
	struct db_result *q;
	enum db_status st;
	json_t *fields;
	const char *k;
	json_t *v;
	int rc, have_key = 0;

	if ((q = db_exec(c, "finding_get", 1, pg, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&f->res, PROBLEM_NOT_FOUND, NULL);
	}
	rc = api_engagement_load(c, f->r, db_get(q, 0, 1), API_AS_PARTICIPANT, &e, &f->res);
	db_result_free(q);
	if (rc != DB_OK)
		return rc;
	if (e.released) {
		rc = api_fail(&f->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
		goto done;
	}
	if (patch_str(j, "threat_model") != NULL &&
	    !api_engagement_has_threat_model(&e, patch_str(j, "threat_model"))) {
		rc = api_fail_field(&f->res, "threat_model", "not in the campaign's threat models");
		goto done;
	}
	if ((rc = api_engagement_key(c, e.id, key)) != 0) {
		rc = rc > 0 ? api_fail(&f->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
		goto done;
	}
	have_key = 1;
	rc = DB_ERROR;
	if (patch_str(j, "title") &&
	    !(title = api_seal(key, "finding", f->id, "title", patch_str(j, "title"))))
		goto done;
	if (patch_str(j, "detail") &&
	    !(detail = api_seal(key, "finding", f->id, "detail", patch_str(j, "detail"))))
		goto done;
	if (patch_str(j, "response") &&
	    !(response = api_seal(key, "finding", f->id, "response", patch_str(j, "response"))))
		goto done;
	atlas = patch_array(j, "atlas");
	cwe = patch_array(j, "cwe");
	{
		const char *p[10] = {f->id,
		                     patch_str(j, "threat_model"),
		                     patch_str(j, "severity"),
		                     patch_str(j, "status"),
		                     title,
		                     detail,
		                     response,
		                     atlas,
		                     cwe,
		                     patch_str(j, "cvss")};

		if ((q = db_exec(c, "finding_update", 10, p, &st)) == NULL) {
			rc = st;
			goto done;
		}
	}
	f->res.body = db_rows(q) == 1 ? api_finding_json(key, q, 0) : NULL;
	db_result_free(q);
	if (f->res.body == NULL) {
		rc = api_fail(&f->res, PROBLEM_NOT_FOUND, NULL);
		goto done;
	}
	fields = json_array();
	json_object_foreach(j, k, v)
	{
		json_array_append_new(fields, json_string(k));
	}
	rc = api_audit(c, f->r, "finding.update", "finding", f->id, e.company, e.assessor,
	               json_pack("{s:o, s:O}", "fields", fields, "version",
	                         json_object_get(f->res.body, "version")));
done:
	if (have_key)
		explicit_bzero(key, sizeof(key));
	free(title);
	free(detail);
	free(response);
	free(atlas);
	free(cwe);
	api_engagement_clear(&e);
	return rc;
}

int
api_finding_patch(struct http_request *r)
{
	struct patch_ctx f = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (api_is_kind(r, "assessor"))
		rc = api_check_body(r, assessor_fields);
	else if (api_is_kind(r, "company"))
		rc = api_check_body(r, company_fields);
	else
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (rc != HTTP_OK)
		return rc;
	if (json_object_size(r->json) == 0)
		return http_reply_problem(r, PROBLEM_INVALID_FIELD, "Nothing to change.");
	f.id = http_param(r, 0);
	rc = db_tx(&r->who, "finding_patch", finding_patch_tx, &f);
	if (rc == DB_DENIED)
		rc = api_fail(&f.res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &f.res);
}

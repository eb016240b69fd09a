/*
 * POST /api/v1/engagements/{id}/findings: the engagement's assessor
 * records a finding. Title and detail are sealed with the engagement's
 * data key, bound to the finding's id and column.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const struct json_field finding_fields[] = {
    API_FINDING_FIELDS(1, api_valid_cvss, 10), API_OC_REQUIRED_FIELD(api_valid_oc), {.name = NULL}};

struct finding_ctx {
	struct http_request *r;
	const char *engagement;
	char id[DB_UUID_LEN + 1];
	char *atlas;
	char *cwe;
	struct store_finding row; /* the result */
	struct api_res res;
};

static char *
finding_array(json_t *j, const char *key)
{
	json_t *a = json_object_get(j, key);

	return a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
}

static const char *
finding_str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static int
finding_create_tx(struct db_conn *c, void *arg)
{
	struct finding_ctx *f = arg;
	json_t *j = f->r->json;
	struct store_finding_input in = {.threat_model = finding_str(j, "threat_model"),
	                                 .severity = finding_str(j, "severity"),
	                                 .status = finding_str(j, "status"),
	                                 .title = finding_str(j, "title"),
	                                 .detail = finding_str(j, "detail"),
	                                 .atlas = f->atlas,
	                                 .cwe = f->cwe,
	                                 .cvss = finding_str(j, "cvss"),
	                                 .oc_required = finding_str(j, "oc_required")};
	struct api_engagement e;
	int rc;

	if ((rc = api_engagement_load(c, f->r, f->engagement, API_AS_ASSESSOR, &e, &f->res)) !=
	    DB_OK)
		return rc;
	if (strcmp(e.state, "fieldwork") != 0 && strcmp(e.state, "reporting") != 0)
		rc = api_fail(&f->res, PROBLEM_INVALID_STATE,
		              "Findings are recorded only while the engagement is in fieldwork or "
		              "reporting.");
	else if (!api_engagement_has_threat_model(&e, in.threat_model))
		rc = api_fail_field(&f->res, "threat_model", "not in the campaign's threat models");
	else if (in.status != NULL &&
	         (strcmp(in.status, "accepted") == 0 || strcmp(in.status, "verified") == 0))
		rc = api_fail_field(&f->res, "status",
		                    "a new finding is not accepted or verified (risk acceptance, "
		                    "retest)");
	else
		rc = store_finding_create(c, f->id, e.id, e.company, e.assessor, &in, &f->row);
	if (rc == DB_OK)
		rc = store_notify_event(c, "finding.created", NULL, e.id, "finding", f->id,
		                        STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR, NULL);
	if (rc == DB_OK)
		rc = api_audit(
		    c, f->r, "finding.create", "finding", f->id, e.company, e.assessor,
		    json_pack("{s:s, s:s}", "engagement", e.id, "severity", f->row.severity));
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
	f.atlas = finding_array(r->json, "atlas");
	f.cwe = finding_array(r->json, "cwe");
	if (f.atlas == NULL || f.cwe == NULL)
		rc = DB_ERROR;
	else
		rc = db_tx(&r->who, "finding_create", finding_create_tx, &f);
	free(f.atlas);
	free(f.cwe);
	if (rc == DB_OK && (f.res.body = api_finding_json(&f.row)) == NULL)
		rc = DB_ERROR;
	store_finding_clear(&f.row);
	return api_finish(r, rc, &f.res);
}

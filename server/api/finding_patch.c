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
#include "util/vocab.h"

static int
company_status_valid(const char *s)
{
	return vocab_has(vocab_company_statuses, s);
}

static int
cvss_or_empty(const char *s)
{
	return *s == '\0' || api_valid_cvss(s);
}

static int
due_or_empty(const char *s)
{
	return *s == '\0' || api_valid_rfc3339(s);
}

static const struct json_field assessor_fields[] = {
    API_FINDING_FIELDS(0, cvss_or_empty, 0),
    {.name = "remediation_due",
     .type = JSON_FIELD_STRING,
     .min_len = 0,
     .max_len = 40,
     .valid = due_or_empty,
     .rule = "empty (no deadline) or an RFC 3339 date and "
             "time with its offset, e.g. "
             "2027-05-01T12:00:00Z"},
    API_OC_REQUIRED_FIELD(api_valid_oc_or_empty),
    {.name = NULL}};

static const struct json_field company_fields[] = {
    {.name = "status",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 16,
     .valid = company_status_valid,
     .rule = "a status a company may set: one of remediating, remediated"},
    {.name = "response",
     .type = JSON_FIELD_STRING,
     .min_len = 0,
     .max_len = 65536,
     .valid = api_valid_text},
    {.name = NULL}};

struct patch_ctx {
	struct http_request *r;
	const char *id;
	char *atlas;
	char *cwe;
	struct store_finding row; /* the result */
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
	struct store_finding_input in = {.threat_model = patch_str(j, "threat_model"),
	                                 .severity = patch_str(j, "severity"),
	                                 .status = patch_str(j, "status"),
	                                 .title = patch_str(j, "title"),
	                                 .detail = patch_str(j, "detail"),
	                                 .response = patch_str(j, "response"),
	                                 .atlas = f->atlas,
	                                 .cwe = f->cwe,
	                                 .cvss = patch_str(j, "cvss"),
	                                 .remediation_due = patch_str(j, "remediation_due"),
	                                 .oc_required = patch_str(j, "oc_required")};
	struct api_engagement e = {0};
	char due[STORE_TS_LEN];
	int allowed, future;
	json_t *fields;
	const char *k;
	json_t *v;
	int rc;

	/* the current row only names the engagement */
	if ((rc = store_finding_get(c, f->id, &f->row)) != DB_OK)
		return rc;
	rc = api_engagement_load(c, f->r, f->row.engagement_id, API_AS_PARTICIPANT, &e, &f->res);
	if (rc != DB_OK)
		return rc;
	if (e.released) {
		rc = api_fail(&f->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
		goto done;
	}
	if (in.threat_model != NULL && !api_engagement_has_threat_model(&e, in.threat_model)) {
		rc = api_fail_field(&f->res, "threat_model", "not in the campaign's threat models");
		goto done;
	}
	if (in.remediation_due != NULL && in.remediation_due[0] != '\0') {
		rc = store_ts_future(c, in.remediation_due, &future, due);
		if (rc != DB_OK) {
			if (rc == DB_INVALID)
				rc = api_fail_field(&f->res, "remediation_due",
				                    "must be an RFC 3339 date and time with a "
				                    "zone, e.g. 2027-05-01T12:00:00Z");
			goto done;
		}
		in.remediation_due = due;
	}
	/* the status machine (finding_transitions); the trigger is the backstop */
	if (in.status != NULL && strcmp(in.status, f->row.status) != 0) {
		rc = store_transition_allowed(c, f->row.status, in.status, f->r->who.org_kind,
		                              "patch", &allowed);
		if (rc != DB_OK)
			goto done;
		if (!allowed) {
			rc = api_fail(&f->res, PROBLEM_INVALID_STATE,
			              strcmp(in.status, "accepted") == 0
			                  ? "A finding is accepted only through a risk acceptance "
			                    "that the assessor accepts."
			              : strcmp(in.status, "verified") == 0
			                  ? "A finding is verified only through a passed retest."
			                  : "This status change is not allowed from the finding's "
			                    "current status.");
			goto done;
		}
	}
	if ((rc = store_finding_update(c, f->id, e.id, &in, &f->row)) != DB_OK)
		goto done;
	rc = store_notify_event(c, "finding.changed", NULL, e.id, "finding", f->id,
	                        STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR, NULL);
	if (rc != DB_OK)
		goto done;
	fields = json_array();
	json_object_foreach(j, k, v)
	{
		json_array_append_new(fields, json_string(k));
	}
	rc = api_audit(
	    c, f->r, "finding.update", "finding", f->id, e.company, e.assessor,
	    json_pack("{s:o, s:I}", "fields", fields, "version", (json_int_t)f->row.version));
done:
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
	f.atlas = patch_array(r->json, "atlas");
	f.cwe = patch_array(r->json, "cwe");
	rc = db_tx(&r->who, "finding_patch", finding_patch_tx, &f);
	free(f.atlas);
	free(f.cwe);
	if (rc == DB_DENIED)
		rc = api_fail(&f.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK && (f.res.body = api_finding_json(&f.row)) == NULL)
		rc = DB_ERROR;
	store_finding_clear(&f.row);
	return api_finish(r, rc, &f.res);
}

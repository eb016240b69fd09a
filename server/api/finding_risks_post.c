/*
 * POST /api/v1/findings/{id}/risk-acceptances {justification, expires_at}:
 * the engagement's company asks the assessor to accept the risk of an open
 * or remediating finding until expires_at. One request may be pending per
 * finding. The justification is sealed like the finding's text. The
 * assessor decides (risk_decision_post.c); the company never does: the
 * database refuses a decision by the requesting organisation.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

static const struct json_field risk_fields[] = {{.name = "justification",
                                                 .type = JSON_FIELD_STRING,
                                                 .required = 1,
                                                 .min_len = 1,
                                                 .max_len = 20000,
                                                 .valid = api_valid_text},
                                                {.name = "expires_at",
                                                 .type = JSON_FIELD_STRING,
                                                 .required = 1,
                                                 .min_len = 10,
                                                 .max_len = 40,
                                                 .valid = api_valid_rfc3339},
                                                {.name = NULL}};

struct risk_ctx {
	struct http_request *r;
	const char *finding;
	char id[DB_UUID_LEN + 1];
	struct store_risk row; /* the result */
	struct api_res res;
};

static int
risk_tx(struct db_conn *c, void *arg)
{
	struct risk_ctx *k = arg;
	json_t *j = k->r->json;
	char expires[STORE_TS_LEN];
	struct api_finding f;
	int rc, future;

	store_risk_clear(&k->row);
	if ((rc = api_finding_load(c, k->r, k->finding, API_AS_COMPANY, &f, &k->res)) != DB_OK)
		return rc;
	if (f.e.released) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
		goto done;
	}
	if (strcmp(f.row.status, "open") != 0 && strcmp(f.row.status, "remediating") != 0) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "Risk acceptance is asked for an open or remediating finding.");
		goto done;
	}
	rc = store_ts_future(c, json_string_value(json_object_get(j, "expires_at")), &future,
	                     expires);
	if (rc == DB_INVALID) {
		rc = api_fail_field(
		    &k->res, "expires_at",
		    "must be an RFC 3339 date and time with a zone, e.g. 2027-05-01T12:00:00Z");
		goto done;
	}
	if (rc != DB_OK)
		goto done;
	if (!future) {
		rc = api_fail_field(
		    &k->res, "expires_at",
		    "must lie in the future (an instant after now, in UTC or with a zone)");
		goto done;
	}
	rc = store_risk_request(c, k->id, &f.ref,
	                        json_string_value(json_object_get(j, "justification")), expires,
	                        &k->row);
	if (rc == DB_UNIQUE) {
		rc = api_fail(&k->res, PROBLEM_CONFLICT,
		              "A risk-acceptance request of this finding is already pending.");
		goto done;
	}
	if (rc == DB_OK)
		rc = store_notify_event(c, "risk.requested", NULL, f.e.id, "risk_acceptance", k->id,
		                        STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR, NULL);
	if (rc == DB_OK)
		rc = api_audit(
		    c, k->r, "risk.request", "risk_acceptance", k->id, f.e.company, f.e.assessor,
		    json_pack("{s:s, s:s}", "finding", k->finding, "expires_at", expires));
done:
	api_finding_clear(&f);
	return rc;
}

int
api_finding_risks_post(struct http_request *r)
{
	struct risk_ctx k = {.r = r, .res = {.status = 201}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, risk_fields)) != HTTP_OK)
		return rc;
	if (api_new_uuid(k.id) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	k.finding = http_param(r, 0);
	rc = db_tx(&r->who, "risk_request", risk_tx, &k);
	if (rc == DB_DENIED)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK && (k.res.body = api_risk_json(&k.row)) == NULL)
		rc = DB_ERROR;
	store_risk_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

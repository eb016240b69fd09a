/*
 * POST /api/v1/findings/{id}/risk-acceptances/{rid}/decision
 * {decision: accept|refuse, note?}: the engagement's assessor decides a
 * pending request once. Accepting moves the finding to 'accepted' (the
 * only way there); an expired request cannot be accepted. The database
 * enforces the same (risk_acceptances_decide, findings_workflow), and that
 * the deciding organisation is never the requesting one.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

static int
decision_valid(const char *s)
{
	return strcmp(s, "accept") == 0 || strcmp(s, "refuse") == 0;
}

static const struct json_field decision_fields[] = {{.name = "decision",
                                                     .type = JSON_FIELD_STRING,
                                                     .required = 1,
                                                     .min_len = 1,
                                                     .max_len = 8,
                                                     .valid = decision_valid,
                                                     .rule = "one of accept, refuse"},
                                                    {.name = "note",
                                                     .type = JSON_FIELD_STRING,
                                                     .min_len = 1,
                                                     .max_len = 20000,
                                                     .valid = api_valid_text},
                                                    {.name = NULL}};

struct decision_ctx {
	struct http_request *r;
	const char *finding;
	const char *risk;
	struct store_risk row;            /* the result */
	struct store_finding finding_row; /* the finding afterwards */
	struct api_res res;
};

static int
decision_tx(struct db_conn *c, void *arg)
{
	struct decision_ctx *k = arg;
	json_t *j = k->r->json;
	int accept = strcmp(json_string_value(json_object_get(j, "decision")), "accept") == 0;
	struct api_finding f;
	int rc, allowed = 0;

	store_risk_clear(&k->row);
	store_finding_clear(&k->finding_row);
	if ((rc = api_finding_load(c, k->r, k->finding, API_AS_ASSESSOR, &f, &k->res)) != DB_OK)
		return rc;
	if ((rc = store_risk_get(c, k->risk, f.e.id, &k->row)) != DB_OK ||
	    strcmp(k->row.finding_id, k->finding) != 0) {
		rc = rc == DB_OK || rc == STORE_NONE ? api_fail(&k->res, PROBLEM_NOT_FOUND, NULL)
		                                     : rc;
		goto done;
	}
	if (f.e.released) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
		goto done;
	}
	if (strcmp(k->row.state, "pending") != 0) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The request was already decided.");
		goto done;
	}
	if (accept && k->row.expired) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The request has expired.");
		goto done;
	}
	if (accept) {
		rc = store_transition_allowed(c, f.row.status, "accepted", "assessor",
		                              "risk-decision", &allowed);
		if (rc != DB_OK)
			goto done;
		if (!allowed) {
			rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
			              "The finding is no longer open or remediating.");
			goto done;
		}
	}
	store_risk_clear(&k->row); /* the decision's row replaces the request's */
	rc = store_risk_decide(c, k->risk, f.e.id, accept ? "accepted" : "refused",
	                       json_string_value(json_object_get(j, "note")), &k->row);
	/* decided by a concurrent request since it was read (the update
	 * only takes a pending request) */
	if (rc == STORE_NONE)
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The request was already decided.");
	if (rc == DB_OK)
		rc = store_finding_get(c, k->finding, &k->finding_row);
	if (rc == DB_OK)
		rc = store_notify_event(c, "risk.decided", NULL, f.e.id, "risk_acceptance", k->risk,
		                        STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR, NULL);
	if (rc == DB_OK)
		rc = api_audit(
		    c, k->r, "risk.decide", "risk_acceptance", k->risk, f.e.company, f.e.assessor,
		    json_pack("{s:s, s:s}", "finding", k->finding, "state", k->row.state));
done:
	api_finding_clear(&f);
	return rc;
}

int
api_risk_decision_post(struct http_request *r)
{
	struct decision_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK || (rc = api_uuid_param(r, 1)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, decision_fields)) != HTTP_OK)
		return rc;
	k.finding = http_param(r, 0);
	k.risk = http_param(r, 1);
	rc = db_tx(&r->who, "risk_decide", decision_tx, &k);
	if (rc == DB_DENIED)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	/* o steals both */
	if (rc == DB_OK &&
	    (k.res.body = json_pack("{s:o, s:o}", "risk_acceptance", api_risk_json(&k.row),
	                            "finding", api_finding_json(&k.finding_row))) == NULL)
		rc = DB_ERROR;
	store_risk_clear(&k.row);
	store_finding_clear(&k.finding_row);
	return api_finish(r, rc, &k.res);
}

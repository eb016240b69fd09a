/*
 * PUT /api/v1/campaigns/{id}/remediation-days {critical?, high?, medium?,
 * low?, info?: days 1..3650}: the coordinator sets the default remediation
 * deadline per severity (the whole set: a severity left out has none). A
 * finding recorded afterwards gets now() + the days of its severity as its
 * remediation_due (the assessor may change it). Refused once released.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

#define DAYS_FIELD(sev)                                                                            \
	{                                                                                          \
		.name = (sev), .type = JSON_FIELD_INTEGER, .min = 1, .max = 3650                   \
	}
static const struct json_field days_fields[] = {DAYS_FIELD("critical"), DAYS_FIELD("high"),
                                                DAYS_FIELD("medium"),   DAYS_FIELD("low"),
                                                DAYS_FIELD("info"),     {.name = NULL}};

struct put_ctx {
	struct http_request *r;
	const char *campaign;
	struct store_remediation_days in[VOCAB_NSEVERITIES];
	int nin;
	struct api_res res;
};

static int
put_tx(struct db_conn *c, void *arg)
{
	struct put_ctx *k = arg;
	struct store_campaign row = {0};
	int rc, released;

	if ((rc = store_campaign_lock(c, k->campaign, &row)) != DB_OK)
		return rc;
	released = row.released;
	store_campaign_clear(&row);
	if (released)
		return api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	if ((rc = store_remediation_days_set(c, k->campaign, k->in, k->nin)) != DB_OK)
		return rc;
	return api_audit(c, k->r, "campaign.remediation_days", "campaign", k->campaign, NULL, NULL,
	                 api_remediation_days_json(k->in, k->nin));
}

int
api_campaign_remediation_put(struct http_request *r)
{
	struct put_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, days_fields)) != HTTP_OK)
		return rc;
	for (int i = 0; vocab_severities[i] != NULL && k.nin < VOCAB_NSEVERITIES; i++) {
		json_t *v = json_object_get(r->json, vocab_severities[i]);

		if (v == NULL)
			continue;
		strncpy(k.in[k.nin].severity, vocab_severities[i],
		        sizeof(k.in[k.nin].severity) - 1);
		k.in[k.nin].days = json_integer_value(v);
		k.nin++;
	}
	k.campaign = http_param(r, 0);
	rc = db_tx(&r->who, "remediation_days_put", put_tx, &k);
	if (rc == DB_OK && (k.res.body = api_remediation_days_json(k.in, k.nin)) == NULL)
		rc = DB_ERROR;
	return api_finish(r, rc, &k.res);
}

/*
 * POST /api/v1/campaigns {title, slug, threat_models[], release_at,
 * disclosure, min_cohort?}: the coordinator creates a campaign (state
 * draft). The release instant must lie in the future.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

int
api_valid_disclosure(const char *s)
{
	return vocab_has(vocab_disclosures, s);
}

static const struct json_field campaign_fields[] = {
    {.name = "title",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 200,
     .valid = api_valid_name},
    {.name = "slug",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 63,
     .valid = api_valid_slug},
    {.name = "threat_models",
     .type = JSON_FIELD_STRING_ARRAY,
     .required = 1,
     .min_len = 1,
     .max_len = 32,
     .max_items = 5,
     .valid = api_valid_threat_model},
    {.name = "release_at",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 10,
     .max_len = 40,
     .valid = api_valid_rfc3339},
    {.name = "disclosure",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 16,
     .valid = api_valid_disclosure},
    {.name = "min_cohort", .type = JSON_FIELD_INTEGER, .min = 1, .max = 1000},
    {.name = NULL}};

struct campaign_ctx {
	struct http_request *r;
	char *tms;
	char cohort[16];
	struct store_campaign row; /* the result */
	struct api_res res;
};

static int
campaign_create_tx(struct db_conn *c, void *arg)
{
	struct campaign_ctx *k = arg;
	json_t *j = k->r->json;
	const char *release = json_string_value(json_object_get(j, "release_at"));
	char norm[STORE_TS_LEN];
	int rc, future;

	if ((rc = store_ts_future(c, release, &future, norm)) != DB_OK)
		return rc == DB_INVALID ? api_fail_field(&k->res, "release_at",
		                                         "must be an RFC 3339 date and time with a "
		                                         "zone, e.g. 2027-05-01T12:00:00Z")
		                        : rc;
	if (!future)
		return api_fail_field(
		    &k->res, "release_at",
		    "must lie in the future (an instant after now, in UTC or with a zone)");
	rc = store_campaign_create(c, json_string_value(json_object_get(j, "title")),
	                           json_string_value(json_object_get(j, "slug")), k->tms, release,
	                           json_string_value(json_object_get(j, "disclosure")), k->cohort,
	                           &k->row);
	if (rc != DB_OK)
		return rc == DB_UNIQUE ? api_fail(&k->res, PROBLEM_CONFLICT,
		                                  "A campaign with this slug exists.")
		                       : rc;
	return api_audit(c, k->r, "campaign.create", "campaign", k->row.id, NULL, NULL,
	                 json_pack("{s:s, s:s}", "release_at", k->row.release_at, "disclosure",
	                           k->row.disclosure));
}

int
api_campaigns_post(struct http_request *r)
{
	struct campaign_ctx k = {.r = r, .res = {.status = 201}};
	json_t *cohort;
	int rc;

	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, campaign_fields)) != HTTP_OK)
		return rc;
	if (json_array_size(json_object_get(r->json, "threat_models")) == 0)
		return http_reply_field(
		    r, PROBLEM_INVALID_FIELD, "threat_models",
		    "required, at least one threat model, e.g. [\"WEIGHTS-EXFIL\"]");
	cohort = json_object_get(r->json, "min_cohort");
	snprintf(k.cohort, sizeof(k.cohort), "%lld",
	         cohort ? (long long)json_integer_value(cohort) : 1LL);
	k.tms =
	    json_dumps(json_object_get(r->json, "threat_models"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (k.tms == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&r->who, "campaign_create", campaign_create_tx, &k);
	free(k.tms);
	if (rc == DB_OK && (k.res.body = api_campaign_json(&k.row)) == NULL)
		rc = DB_ERROR;
	store_campaign_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

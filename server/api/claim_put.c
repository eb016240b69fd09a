/*
 * PUT /api/v1/engagements/{id}/claims/{threat_model} {level, summary}:
 * the engagement's assessor sets the public, high-level result for one of
 * the campaign's threat models, until the release instant.
 */
#include "config.h"

#include "api/api.h"

static const struct json_field claim_fields[] = {{.name = "level",
                                                  .type = JSON_FIELD_STRING,
                                                  .required = 1,
                                                  .min_len = 3,
                                                  .max_len = 12,
                                                  .valid = api_valid_level},
                                                 {.name = "summary",
                                                  .type = JSON_FIELD_STRING,
                                                  .required = 1,
                                                  .min_len = 0,
                                                  .max_len = 2000,
                                                  .valid = api_valid_text},
                                                 {.name = NULL}};

struct claim_ctx {
	struct http_request *r;
	const char *engagement;
	const char *threat_model;
	struct store_claim row; /* the result */
	json_t *names;          /* the result: names to check the summary for, or NULL */
	json_t *levels;         /* the result: api_levels_load after the save */
	struct api_res res;
};

static int
claim_tx(struct db_conn *c, void *arg)
{
	struct claim_ctx *k = arg;
	struct api_engagement e;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_ASSESSOR, &e, &k->res)) !=
	    DB_OK)
		return rc;
	if (!api_engagement_has_threat_model(&e, k->threat_model))
		rc = api_fail(&k->res, PROBLEM_NOT_FOUND, NULL);
	else if (e.released)
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	else
		rc = store_claim_put(c, e.id, e.company, e.assessor, k->threat_model,
		                     json_string_value(json_object_get(k->r->json, "level")),
		                     json_string_value(json_object_get(k->r->json, "summary")),
		                     &k->row);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "claim.put", "engagement", e.id, e.company, e.assessor,
		               json_pack("{s:s, s:s}", "threat_model", k->threat_model, "level",
		                         k->row.level));
	/* the claim against the findings: flagged at once (api/levels.c) */
	json_decref(k->levels);
	k->levels = NULL;
	if (rc == DB_OK)
		rc = api_levels_load(c, &e, &k->levels);
	/* from the review window on, every save is name-checked at once */
	json_decref(k->names);
	k->names = NULL;
	if (rc == DB_OK && e.review_open)
		rc = store_name_check_names(c, e.id, &k->names);
	api_engagement_clear(&e);
	return rc;
}

int
api_claim_put(struct http_request *r)
{
	struct claim_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_valid_threat_model(http_param(r, 1)) || !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, claim_fields)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	k.threat_model = http_param(r, 1);
	rc = db_tx(&r->who, "claim_put", claim_tx, &k);
	if (rc == DB_OK && (k.res.body = api_claim_json(&k.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK && k.names != NULL)
		json_object_set_new(
		    k.res.body, "name_check",
		    api_name_check_json(k.names, k.row.summary ? k.row.summary : ""));
	if (rc == DB_OK) {
		json_t *l = json_object_get(k.levels, k.threat_model);

		json_object_set_new(k.res.body, "not_met_from",
		                    json_is_string(json_object_get(l, "not_met_from"))
		                        ? json_incref(json_object_get(l, "not_met_from"))
		                        : json_null());
		json_object_set_new(
		    k.res.body, "contradiction",
		    json_boolean(json_is_true(json_object_get(l, "contradiction"))));
	}
	json_decref(k.names);
	json_decref(k.levels);
	store_claim_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

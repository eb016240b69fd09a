/*
 * PATCH /api/v1/campaigns/{id}: the coordinator changes a campaign while
 * its release instant is still ahead. Moving release_at needs a reason;
 * moving it before any instant ever announced is recorded as an embargo
 * break (every instant set goes into the campaign's release-date history,
 * by trigger, see 0004_anonymity.sql). Every change is an audit event naming the fields and the
 * reason.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int
campaign_state_valid(const char *s)
{
	return strcmp(s, "draft") == 0 || strcmp(s, "active") == 0;
}

static const struct json_field patch_fields[] = {
    {.name = "title",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 200,
     .valid = api_valid_name},
    {.name = "threat_models",
     .type = JSON_FIELD_STRING_ARRAY,
     .min_len = 1,
     .max_len = 32,
     .max_items = 5,
     .valid = api_valid_threat_model},
    {.name = "release_at",
     .type = JSON_FIELD_STRING,
     .min_len = 10,
     .max_len = 40,
     .valid = api_valid_name},
    {.name = "reason",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 500,
     .valid = api_valid_text},
    {.name = "disclosure",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 16,
     .valid = api_valid_disclosure},
    {.name = "min_cohort", .type = JSON_FIELD_INTEGER, .min = 1, .max = 1000},
    {.name = "state",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 16,
     .valid = campaign_state_valid},
    {.name = NULL}};

struct patch_ctx {
	struct http_request *r;
	const char *id;
	char *tms;
	char cohort[16];
	struct api_res res;
};

static const char *
patch_str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static int
campaign_patch_tx(struct db_conn *c, void *arg)
{
	struct patch_ctx *k = arg;
	json_t *j = k->r->json;
	const char *release = patch_str(j, "release_at");
	const char *pl[1] = {k->id};
	const char *p[7] = {k->id,
	                    patch_str(j, "title"),
	                    k->tms,
	                    release,
	                    patch_str(j, "disclosure"),
	                    k->cohort[0] ? k->cohort : NULL,
	                    patch_str(j, "state")};
	struct db_result *q;
	enum db_status st;
	json_t *detail, *changed;
	char old_release[40];
	const char *key;
	json_t *v;
	int rc, embargo_break = 0;

	if ((q = db_exec(c, "campaign_lock", 1, pl, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&k->res, PROBLEM_NOT_FOUND, NULL);
	}
	if (strcmp(db_get(q, 0, 11), "t") == 0 || strcmp(db_get(q, 0, 8), "published") == 0) {
		db_result_free(q);
		return api_fail(
		    &k->res, PROBLEM_INVALID_STATE,
		    "The release instant has passed; the campaign can no longer change.");
	}
	snprintf(old_release, sizeof(old_release), "%s", db_get(q, 0, 4));
	db_result_free(q);

	if (release != NULL) {
		const char *pf[1] = {release};

		if ((q = db_exec(c, "ts_future", 1, pf, &st)) == NULL)
			return st == DB_INVALID
			           ? api_fail_field(&k->res, "release_at",
			                            "must be an RFC 3339 date and time")
			           : st;
		rc = strcmp(db_get(q, 0, 0), "t") == 0;
		db_result_free(q);
		if (!rc)
			return api_fail_field(&k->res, "release_at", "must lie in the future");
		/* earlier than any instant ever announced (0004's history) */
		{
			const char *pe[2] = {k->id, release};

			if ((q = db_exec(c, "campaign_embargo_check", 2, pe, &st)) == NULL)
				return st;
			embargo_break = strcmp(db_get(q, 0, 0), "t") == 0;
			db_result_free(q);
		}
	}
	if ((q = db_exec(c, "campaign_update", 7, p, &st)) == NULL)
		return st;
	k->res.body = api_campaign_json(q, 0);
	/* a change of disclosure may make the pairings identify companies */
	{
		struct db_result *eng;
		json_t *w;

		if ((eng = db_exec(c, "campaign_engagements", 1, pl, &st)) == NULL) {
			db_result_free(q);
			return st;
		}
		w = api_pairing_warnings(eng, db_get(q, 0, 6));
		db_result_free(eng);
		if (w == NULL || k->res.body == NULL) {
			json_decref(w);
			db_result_free(q);
			return DB_ERROR;
		}
		json_object_set_new(k->res.body, "warnings", w);
	}
	changed = json_array();
	json_object_foreach(j, key, v)
	{
		if (strcmp(key, "reason") != 0)
			json_array_append_new(changed, json_string(key));
	}
	detail = json_pack("{s:o}", "fields", changed);
	if (release != NULL) {
		json_object_set_new(detail, "release_at_old", json_string(old_release));
		json_object_set_new(detail, "release_at_new", json_string(db_get(q, 0, 4)));
		json_object_set_new(detail, "embargo_break", json_boolean(embargo_break));
	}
	if (patch_str(j, "reason") != NULL)
		json_object_set_new(detail, "reason", json_string(patch_str(j, "reason")));
	rc = api_audit(c, k->r, release ? "campaign.release_moved" : "campaign.update", "campaign",
	               k->id, NULL, NULL, detail);
	db_result_free(q);
	return k->res.body ? rc : DB_ERROR;
}

int
api_campaign_patch(struct http_request *r)
{
	struct patch_ctx k = {.r = r, .res = {.status = 200}};
	json_t *tms, *cohort;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, patch_fields)) != HTTP_OK)
		return rc;
	if (json_object_get(r->json, "release_at") != NULL &&
	    json_object_get(r->json, "reason") == NULL)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "reason",
		                        "required when release_at changes");
	k.id = http_param(r, 0);
	if ((tms = json_object_get(r->json, "threat_models")) != NULL) {
		if (json_array_size(tms) == 0)
			return http_reply_field(r, PROBLEM_INVALID_FIELD, "threat_models",
			                        "too short");
		if ((k.tms = json_dumps(tms, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
			return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	if ((cohort = json_object_get(r->json, "min_cohort")) != NULL)
		snprintf(k.cohort, sizeof(k.cohort), "%lld", (long long)json_integer_value(cohort));
	rc = db_tx(&r->who, campaign_patch_tx, &k);
	free(k.tms);
	return api_finish(r, rc, &k.res);
}

/*
 * PATCH /api/v1/campaigns/{id}: the coordinator changes a campaign while
 * its release instant is still ahead (its slug too: nothing is public
 * under it before the release, and a slug naming a company holds a
 * pseudonymous release, which only a new slug can free). Moving release_at needs a reason;
 * moving it before any instant ever announced is recorded as an embargo
 * break (every instant set goes into the campaign's release-date history,
 * by trigger, see 0004_anonymity.sql). Every change is an audit event
 * naming the fields and the reason. The answer carries the pairing
 * warnings (api_pairing_warnings), since a change of disclosure may make
 * the firm–company pairings identify companies.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

static int
campaign_state_valid(const char *s)
{
	/* published only by the release itself */
	return vocab_has(vocab_campaign_states, s) && strcmp(s, "published") != 0;
}

/* review_opens_at: an RFC 3339 instant, or "default" (72 h before the release) */
static int
review_opens_valid(const char *s)
{
	return strcmp(s, "default") == 0 || api_valid_rfc3339(s);
}

static const struct json_field patch_fields[] = {
    {.name = "title",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 200,
     .valid = api_valid_name},
    {.name = "slug",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 63,
     .valid = api_valid_slug},
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
     .valid = api_valid_rfc3339},
    {.name = "review_opens_at",
     .type = JSON_FIELD_STRING,
     .min_len = 7,
     .max_len = 40,
     .valid = review_opens_valid,
     .rule = "\"default\" or an RFC 3339 date and time with a zone, e.g. 2027-05-01T12:00:00Z"},
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
     .valid = campaign_state_valid,
     .rule = "one of draft, active (a campaign is published only by its release)"},
    {.name = NULL}};

struct patch_ctx {
	struct http_request *r;
	const char *id;
	char *tms;
	char cohort[16];
	/* the result */
	struct store_campaign row;
	struct store_engagement *eng;
	int neng;
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
	struct store_campaign_change ch = {.title = patch_str(j, "title"),
	                                   .threat_models = k->tms,
	                                   .release_at = release,
	                                   .disclosure = patch_str(j, "disclosure"),
	                                   .min_cohort = k->cohort[0] ? k->cohort : NULL,
	                                   .state = patch_str(j, "state"),
	                                   .review_opens_at = patch_str(j, "review_opens_at"),
	                                   .slug = patch_str(j, "slug")};
	struct store_campaign old = {0};
	json_t *detail, *changed;
	char norm[STORE_TS_LEN];
	const char *key;
	json_t *v;
	int rc, future, embargo_break = 0;

	if ((rc = store_campaign_lock(c, k->id, &old)) != DB_OK)
		return rc == STORE_NONE ? api_fail(&k->res, PROBLEM_NOT_FOUND, NULL) : rc;
	if (old.released || strcmp(old.state, "published") == 0) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "The release instant has passed; the campaign can no longer change.");
		goto done;
	}
	if (release != NULL) {
		if ((rc = store_ts_future(c, release, &future, norm)) != DB_OK) {
			if (rc == DB_INVALID)
				rc = api_fail_field(&k->res, "release_at",
				                    "must be an RFC 3339 date and time with a "
				                    "zone, e.g. 2027-05-01T12:00:00Z");
			goto done;
		}
		if (!future) {
			rc = api_fail_field(
			    &k->res, "release_at",
			    "must lie in the future (an instant after now, in UTC or with a zone)");
			goto done;
		}
		/* earlier than any instant ever announced (0004's history) */
		if ((rc = store_campaign_embargo_break(c, k->id, norm, &embargo_break)) != DB_OK)
			goto done;
	}
	if (ch.review_opens_at != NULL && strcmp(ch.review_opens_at, "default") != 0) {
		if ((rc = store_ts_future(c, ch.review_opens_at, &future, norm)) != DB_OK) {
			if (rc == DB_INVALID)
				rc = api_fail_field(
				    &k->res, "review_opens_at",
				    "must be an RFC 3339 date and time or \"default\"");
			goto done;
		}
		if (!future) {
			rc = api_fail_field(
			    &k->res, "review_opens_at",
			    "must lie in the future (an instant after now, in UTC or with a zone)");
			goto done;
		}
	}
	if ((rc = store_campaign_update(c, k->id, &ch, &k->row)) != DB_OK) {
		if (rc == DB_UNIQUE && ch.slug != NULL)
			rc = api_fail(&k->res, PROBLEM_CONFLICT, "A campaign with this slug exists.");
		/* 0008's CHECK: the review opens before the release */
		else if (rc == DB_INVALID && ch.review_opens_at != NULL)
			rc = api_fail_field(&k->res, "review_opens_at",
			                    "must lie before release_at");
		else if (rc == DB_INVALID && release != NULL)
			rc = api_fail_field(&k->res, "release_at",
			                    "must lie after the review opens (review_opens_at)");
		goto done;
	}
	store_engagements_free(k->eng, k->neng);
	k->eng = NULL;
	k->neng = 0;
	if ((rc = store_engagement_list_by_campaign(c, k->id, &k->eng, &k->neng)) != DB_OK)
		goto done;
	changed = json_array();
	json_object_foreach(j, key, v)
	{
		if (strcmp(key, "reason") != 0)
			json_array_append_new(changed, json_string(key));
	}
	detail = json_pack("{s:o}", "fields", changed);
	if (release != NULL) {
		json_object_set_new(detail, "release_at_old", json_string(old.release_at));
		json_object_set_new(detail, "release_at_new", json_string(k->row.release_at));
		json_object_set_new(detail, "embargo_break", json_boolean(embargo_break));
	}
	if (ch.slug != NULL) {
		json_object_set_new(detail, "slug_old", json_string(old.slug));
		json_object_set_new(detail, "slug_new", json_string(k->row.slug));
	}
	if (patch_str(j, "reason") != NULL)
		json_object_set_new(detail, "reason", json_string(patch_str(j, "reason")));
	rc = api_audit(c, k->r, release ? "campaign.release_moved" : "campaign.update", "campaign",
	               k->id, NULL, NULL, detail);
done:
	store_campaign_clear(&old);
	return rc;
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
			return http_reply_field(
			    r, PROBLEM_INVALID_FIELD, "threat_models",
			    "required, at least one threat model, e.g. [\"WEIGHTS-EXFIL\"]");
		if ((k.tms = json_dumps(tms, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
			return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	if ((cohort = json_object_get(r->json, "min_cohort")) != NULL)
		snprintf(k.cohort, sizeof(k.cohort), "%lld", (long long)json_integer_value(cohort));
	rc = db_tx(&r->who, "campaign_patch", campaign_patch_tx, &k);
	free(k.tms);
	if (rc == STORE_NONE)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK && (k.res.body = api_campaign_json(&k.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK) {
		json_t *w = api_pairing_warnings(k.eng, k.neng, k.row.disclosure, k.row.slug);

		if (w == NULL)
			rc = DB_ERROR;
		json_object_set_new(k.res.body, "warnings", w);
	}
	store_engagements_free(k.eng, k.neng);
	store_campaign_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

/*
 * POST /api/v1/campaigns/{id}/engagements {company_org, assessor_org,
 * scope, lead_assessors[]}: the coordinator pairs a company with an
 * assessor firm. A fresh data key is made for the engagement and wrapped
 * by the master key; the scope is sealed with it. The coordinator can
 * write the scope but never read it back (engagement_secrets RLS). The
 * answer carries the campaign's pairing warnings (api_pairing_warnings):
 * does this pairing identify a company under the campaign's disclosure?
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const struct json_field engagement_fields[] = {{.name = "company_org",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 36,
                                                       .max_len = 36,
                                                       .valid = api_valid_uuid},
                                                      {.name = "assessor_org",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 36,
                                                       .max_len = 36,
                                                       .valid = api_valid_uuid},
                                                      {.name = "scope",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 1,
                                                       .max_len = 20000,
                                                       .valid = api_valid_text},
                                                      {.name = "lead_assessors",
                                                       .type = JSON_FIELD_STRING_ARRAY,
                                                       .required = 1,
                                                       .min_len = 1,
                                                       .max_len = 200,
                                                       .max_items = 16,
                                                       .valid = api_valid_name},
                                                      {.name = NULL}};

struct engagement_ctx {
	struct http_request *r;
	const char *campaign;
	char id[DB_UUID_LEN + 1];
	char *leads;
	/* the result */
	struct store_engagement row;
	char disclosure[16];
	char slug[64];
	struct store_engagement *all; /* the campaign's engagements */
	int nall;
	struct api_res res;
};

/* DB_OK if org id exists (visible) with this kind, else STORE_NONE or a db_status. */
static int
engagement_org_is(struct db_conn *c, const char *id, const char *kind)
{
	struct store_org o = {0};
	int rc = store_org_get(c, id, &o);

	if (rc == DB_OK && strcmp(o.kind, kind) != 0)
		rc = STORE_NONE;
	store_org_clear(&o);
	return rc;
}

static int
engagement_create_tx(struct db_conn *c, void *arg)
{
	struct engagement_ctx *e = arg;
	const char *company = json_string_value(json_object_get(e->r->json, "company_org"));
	const char *assessor = json_string_value(json_object_get(e->r->json, "assessor_org"));
	const char *scope = json_string_value(json_object_get(e->r->json, "scope"));
	struct store_campaign k = {0};
	int rc, released;

	if ((rc = store_campaign_lock(c, e->campaign, &k)) != DB_OK)
		return rc == STORE_NONE ? api_fail(&e->res, PROBLEM_NOT_FOUND, NULL) : rc;
	released = k.released || strcmp(k.state, "published") == 0;
	snprintf(e->disclosure, sizeof(e->disclosure), "%s", k.disclosure);
	snprintf(e->slug, sizeof(e->slug), "%s", k.slug);
	store_campaign_clear(&k);
	if (released)
		return api_fail(&e->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	if ((rc = engagement_org_is(c, company, "company")) != DB_OK)
		return rc < 0 ? rc
		              : api_fail_field(&e->res, "company_org", "must be a company org");
	if ((rc = engagement_org_is(c, assessor, "assessor")) != DB_OK)
		return rc < 0 ? rc
		              : api_fail_field(&e->res, "assessor_org", "must be an assessor org");
	rc = store_engagement_create(c, e->id, e->campaign, company, assessor, e->leads, scope);
	if (rc != DB_OK)
		return rc == DB_UNIQUE
		           ? api_fail(
		                 &e->res, PROBLEM_CONFLICT,
		                 "This company and assessor are already paired in the campaign.")
		           : rc;
	if ((rc = store_engagement_get(c, e->id, &e->row)) != DB_OK)
		return rc == STORE_NONE ? DB_ERROR : rc;
	store_engagements_free(e->all, e->nall);
	e->all = NULL;
	e->nall = 0;
	if ((rc = store_engagement_list_by_campaign(c, e->campaign, &e->all, &e->nall)) != DB_OK)
		return rc;
	return api_audit(c, e->r, "engagement.create", "engagement", e->id, company, assessor,
	                 json_pack("{s:s}", "campaign", e->campaign));
}

int
api_engagements_post(struct http_request *r)
{
	struct engagement_ctx e = {.r = r, .res = {.status = 201}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, engagement_fields)) != HTTP_OK)
		return rc;
	e.campaign = http_param(r, 0);
	if (api_new_uuid(e.id) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	e.leads =
	    json_dumps(json_object_get(r->json, "lead_assessors"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (e.leads == NULL)
		rc = DB_ERROR;
	else
		rc = db_tx(&r->who, "engagement_create", engagement_create_tx, &e);
	free(e.leads);
	if (rc == DB_OK && (e.res.body = api_engagement_json(&e.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK) {
		json_t *w = api_pairing_warnings(e.all, e.nall, e.disclosure, e.slug);

		if (w == NULL)
			rc = DB_ERROR;
		json_object_set_new(e.res.body, "warnings", w);
	}
	store_engagements_free(e.all, e.nall);
	store_engagement_clear(&e.row);
	return api_finish(r, rc, &e.res);
}

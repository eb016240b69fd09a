/*
 * PUT /api/v1/campaigns/{id}/second-factor {required}: the coordinator
 * requires (or stops requiring) a second factor of every user of the
 * campaign's orgs, companies and assessor firms alike. From their next
 * log-in such a user without one gets only a session limited to enrolling
 * (see session_factor_post.c); sessions and tokens made before are not
 * touched (revoke them with DELETE /api/v1/users/{id}/sessions to force
 * the change at once). Anybody else, and an unknown id, gets the 404 of
 * an unknown campaign. Answers the campaign.
 */
#include "config.h"

#include "api/api.h"

static const struct json_field second_factor_fields[] = {
    {.name = "required", .type = JSON_FIELD_BOOLEAN, .required = 1}, {.name = NULL}};

struct second_factor_ctx {
	struct http_request *r;
	const char *id;
	int required;
	struct store_campaign row; /* the result */
};

static int
second_factor_tx(struct db_conn *c, void *arg)
{
	struct second_factor_ctx *k = arg;
	int rc;

	if ((rc = store_campaign_second_factor(c, k->id, k->required, &k->row)) != DB_OK)
		return rc;
	return api_audit(c, k->r, "campaign.second_factor", "campaign", k->id, NULL, NULL,
	                 json_pack("{s:b}", "required", k->required));
}

int
api_campaign_second_factor_put(struct http_request *r)
{
	struct second_factor_ctx k = {.r = r};
	struct api_res res = {.status = 200};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	/* only the coordinator: anybody else sees an unknown campaign */
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, second_factor_fields)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	k.required = json_is_true(json_object_get(r->json, "required"));
	rc = db_tx(&r->who, "campaign_second_factor", second_factor_tx, &k);
	if (rc == DB_OK && (res.body = api_campaign_json(&k.row)) == NULL)
		rc = DB_ERROR;
	store_campaign_clear(&k.row);
	return api_finish(r, rc, &res);
}

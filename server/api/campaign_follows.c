/*
 * Series of campaigns (issue 14 part 5):
 *
 *   GET /api/v1/campaigns/{id}/follows   coordinator, participants
 *   PUT /api/v1/campaigns/{id}/follows   coordinator, before the release
 *       {"follows": "<campaign id>"} or {"follows": ""} (follows nothing)
 *
 * The followed campaign must have been published with a release instant
 * before this campaign's (422 on "follows" otherwise: an unknown id, a
 * campaign not yet released and a later one all answer the same). The
 * later publication shows what changed since (publish/snapshot.c).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

static int
follows_valid(const char *s)
{
	return *s == '\0' || api_valid_uuid(s);
}

static const struct json_field follows_fields[] = {{.name = "follows",
                                                    .type = JSON_FIELD_STRING,
                                                    .required = 1,
                                                    .min_len = 0,
                                                    .max_len = 36,
                                                    .valid = follows_valid},
                                                   {.name = NULL}};

struct follows_ctx {
	struct http_request *r;
	const char *id;
	const char *follows; /* NULL: nothing */
	json_t *out;         /* the result */
	struct api_res res;
};

static int
follows_get_tx(struct db_conn *c, void *arg)
{
	struct follows_ctx *k = arg;

	json_decref(k->out);
	k->out = NULL;
	return store_series_get(c, k->id, &k->out);
}

static int
follows_put_tx(struct db_conn *c, void *arg)
{
	struct follows_ctx *k = arg;
	int released = 0, ok = 0, rc;

	json_decref(k->out);
	k->out = NULL;
	if ((rc = store_series_set(c, k->id, k->follows, &released, &ok)) != DB_OK)
		return rc;
	if (released)
		return api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	if (!ok)
		return api_fail_field(&k->res, "follows",
		                      "must be a campaign published before this one's release");
	if ((rc = api_audit(c, k->r, "campaign.follows", "campaign", k->id, NULL, NULL,
	                    json_pack("{s:o}", "follows",
	                              k->follows ? json_string(k->follows) : json_null()))) !=
	    DB_OK)
		return rc;
	return store_series_get(c, k->id, &k->out);
}

int
api_campaign_follows(struct http_request *r)
{
	struct follows_ctx k = {.r = r, .res = {.status = 200}};
	int put = strcmp(r->method, "PUT") == 0;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (put && !api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (put && (rc = api_check_body(r, follows_fields)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	if (put) {
		k.follows = json_string_value(json_object_get(r->json, "follows"));
		if (k.follows != NULL && k.follows[0] == '\0')
			k.follows = NULL;
	}
	rc = db_tx(&r->who, put ? "campaign_follows_put" : "campaign_follows_get",
	           put ? follows_put_tx : follows_get_tx, &k);
	if (rc == DB_OK) {
		k.res.body = k.out;
		k.out = NULL;
	}
	json_decref(k.out);
	return api_finish(r, rc, &k.res);
}

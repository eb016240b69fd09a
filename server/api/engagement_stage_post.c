/*
 * POST /api/v1/engagements/{id}/stage {"stage"}: the engagement's
 * assessor or the coordinator moves it to its next (or back to its
 * previous) stage: planned -> fieldwork -> reporting -> review -> closed,
 * back from reporting to fieldwork and from review to reporting (the
 * engagement_transitions table of 0008 is the source). Anyone else gets
 * the 404 of a missing engagement; a move the stage machine does not
 * allow is 409 invalid-state with the allowed moves. Audited, and a
 * participant-facing event (store_event).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

static int
stage_valid(const char *s)
{
	return vocab_has(vocab_engagement_states, s);
}

static const struct json_field stage_fields[] = {
    {.name = "stage",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 16,
     .valid = stage_valid,
     .rule = "one of planned, fieldwork, reporting, review, closed"},
    {.name = NULL}};

struct stage_ctx {
	struct http_request *r;
	const char *id;
	const char *to;
	char detail[200];
	/* the result */
	struct store_engagement row;
	struct store_stage *stages;
	int nstages;
	struct api_res res;
};

static void
stage_clear(struct stage_ctx *k)
{
	store_engagement_clear(&k->row);
	store_stages_free(k->stages, k->nstages);
	k->stages = NULL;
	k->nstages = 0;
}

static int
stage_tx(struct db_conn *c, void *arg)
{
	struct stage_ctx *k = arg;
	struct store_stage *moves = NULL;
	char from[16];
	int nmoves = 0, allowed = 0, rc;

	stage_clear(k);
	if ((rc = store_engagement_get(c, k->id, &k->row)) != DB_OK)
		return rc;
	if (!api_is_coordinator(k->r) && !(api_is_kind(k->r, "assessor") &&
	                                   strcmp(k->row.assessor_org_id, k->r->who.org_id) == 0))
		return api_fail(&k->res, PROBLEM_NOT_FOUND, NULL);
	if (k->row.released && strcmp(k->to, "closed") != 0)
		return api_fail(
		    &k->res, PROBLEM_INVALID_STATE,
		    "The campaign has been released; an engagement can only be closed.");
	if ((rc = store_engagement_transitions(c, &moves, &nmoves)) != DB_OK)
		return rc;
	for (int i = 0; i < nmoves; i++)
		if (strcmp(moves[i].from_state, k->row.state) == 0 &&
		    strcmp(moves[i].to_state, k->to) == 0)
			allowed = 1;
	if (!allowed) {
		size_t off = (size_t)snprintf(
		    k->detail, sizeof(k->detail),
		    "An engagement in %s cannot move to %s; allowed:", k->row.state, k->to);
		int any = 0;

		for (int i = 0; i < nmoves && off < sizeof(k->detail); i++)
			if (strcmp(moves[i].from_state, k->row.state) == 0) {
				off += (size_t)snprintf(k->detail + off, sizeof(k->detail) - off,
				                        " %s", moves[i].to_state);
				any = 1;
			}
		if (!any && off < sizeof(k->detail))
			snprintf(k->detail + off, sizeof(k->detail) - off, " none (final stage)");
		store_stages_free(moves, nmoves);
		return api_fail(&k->res, PROBLEM_INVALID_STATE, k->detail);
	}
	store_stages_free(moves, nmoves);
	snprintf(from, sizeof(from), "%s", k->row.state);
	if ((rc = store_engagement_move(c, k->id, from, k->to)) != DB_OK)
		return rc == STORE_NONE
		           ? api_fail(&k->res, PROBLEM_CONFLICT,
		                      "The engagement's stage changed meanwhile; reload.")
		           : rc;
	if ((rc = api_audit(c, k->r, "engagement.stage", "engagement", k->id, k->row.company_org_id,
	                    k->row.assessor_org_id,
	                    json_pack("{s:s, s:s}", "from", from, "to", k->to))) != DB_OK)
		return rc;
	if ((rc = store_event(
	         c, "stage.changed", "engagement", k->id, k->row.company_org_id,
	         k->row.assessor_org_id,
	         json_pack("{s:s, s:s, s:s}", "engagement", k->id, "from", from, "to", k->to),
	         k->r->addr)) != DB_OK)
		return rc;
	if ((rc = store_engagement_get(c, k->id, &k->row)) != DB_OK)
		return rc;
	return store_engagement_stages(c, k->id, &k->stages, &k->nstages);
}

json_t *
api_stages_json(const struct store_stage *rows, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(
		    a,
		    json_pack("{s:o, s:s, s:s, s:o}", "from",
		              rows[i].from_state ? json_string(rows[i].from_state) : json_null(),
		              "stage", rows[i].to_state, "at", rows[i].changed_at, "by",
		              rows[i].changed_by ? json_string(rows[i].changed_by) : json_null()));
	return a;
}

int
api_engagement_stage_post(struct http_request *r)
{
	struct stage_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r) && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, stage_fields)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	k.to = json_string_value(json_object_get(r->json, "stage"));
	rc = db_tx(&r->who, "engagement_stage", stage_tx, &k);
	if (rc == DB_OK && (k.res.body = api_engagement_json(&k.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK)
		json_object_set_new(k.res.body, "stages", api_stages_json(k.stages, k.nstages));
	stage_clear(&k);
	return api_finish(r, rc, &k.res);
}

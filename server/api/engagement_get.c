/*
 * GET /api/v1/engagements/{id}: one engagement. Its company and assessor
 * also get the decrypted scope (an audited read of confidential content);
 * the coordinator gets the engagement without it. Everyone who sees it
 * gets its stages with their dates, and the moves the caller may make
 * ("next_stages": the assessor's and the coordinator's; empty for the
 * company).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct engagement_get_ctx {
	struct http_request *r;
	const char *id;
	struct store_engagement row; /* the result */
	json_t *scope;               /* the result, for participants */
	struct store_stage *stages;  /* the result */
	int nstages;
	struct store_stage *moves; /* the result: every allowed move */
	int nmoves;
};

static int
engagement_get_tx(struct db_conn *c, void *arg)
{
	struct engagement_get_ctx *k = arg;
	int rc;

	json_decref(k->scope);
	k->scope = NULL;
	store_stages_free(k->stages, k->nstages);
	store_stages_free(k->moves, k->nmoves);
	k->stages = k->moves = NULL;
	k->nstages = k->nmoves = 0;
	if ((rc = store_engagement_get(c, k->id, &k->row)) != DB_OK)
		return rc;
	if ((rc = store_engagement_transitions(c, &k->moves, &k->nmoves)) != DB_OK)
		return rc;
	if ((rc = store_engagement_stages(c, k->id, &k->stages, &k->nstages)) != DB_OK)
		return rc;
	if (api_is_coordinator(k->r))
		return DB_OK;
	if ((rc = store_engagement_scope(c, k->id, &k->scope)) != DB_OK)
		return rc;
	return api_audit(c, k->r, "engagement.read", "engagement", k->id, NULL, NULL, NULL);
}

int
api_engagement_get(struct http_request *r)
{
	struct engagement_get_ctx k = {.r = r};
	struct api_res res = {.status = 200};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "engagement_get", engagement_get_tx, &k);
	if (rc == DB_OK && (res.body = api_engagement_json(&k.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK && k.scope != NULL)
		json_object_set(res.body, "scope", k.scope);
	if (rc == DB_OK) {
		json_t *next = json_array();

		/* the moves this caller may make: the assessor's and the coordinator's */
		if (api_is_coordinator(r) || (api_is_kind(r, "assessor") &&
		                              strcmp(k.row.assessor_org_id, r->who.org_id) == 0))
			for (int i = 0; i < k.nmoves; i++)
				if (strcmp(k.moves[i].from_state, k.row.state) == 0)
					json_array_append_new(next,
					                      json_string(k.moves[i].to_state));
		json_object_set_new(res.body, "stages", api_stages_json(k.stages, k.nstages));
		json_object_set_new(res.body, "next_stages", next);
	}
	json_decref(k.scope);
	store_stages_free(k.stages, k.nstages);
	store_stages_free(k.moves, k.nmoves);
	store_engagement_clear(&k.row);
	return api_finish(r, rc, &res);
}

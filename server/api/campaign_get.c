/*
 * GET /api/v1/campaigns/{id}: the campaign. The coordinator also gets its
 * engagements with progress counts (never content), the release status
 * (a held release says why), the release-date history and warnings when
 * firm–company pairings would identify a company despite pseudonymous or
 * aggregate disclosure; participants only the campaign itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/util.h"

struct campaign_get_ctx {
	struct http_request *r;
	const char *id;
	struct api_res res;
};

static json_t *
campaign_progress_json(struct db_conn *c, const char *id, const char *disclosure, json_t **warnings,
                       enum db_status *st)
{
	const char *p[1] = {id};
	struct db_result *e, *g;
	json_t *list;

	if ((e = db_exec(c, "campaign_engagements", 1, p, st)) == NULL)
		return NULL;
	if ((*warnings = api_pairing_warnings(e, disclosure)) == NULL) {
		db_result_free(e);
		*st = DB_ERROR;
		return NULL;
	}
	if ((g = db_exec(c, "campaign_progress", 1, p, st)) == NULL) {
		db_result_free(e);
		return NULL;
	}
	list = json_array();
	for (int i = 0; i < db_rows(e); i++) {
		json_t *eng = api_engagement_json(e, i);

		for (int j = 0; j < db_rows(g); j++) {
			long long total = 0, open = 0, claims = 0;

			if (strcmp(db_get(g, j, 0), db_get(e, i, 0)) != 0)
				continue;
			util_strnum(db_get(g, j, 1), 0, 1LL << 40, &total);
			util_strnum(db_get(g, j, 2), 0, 1LL << 40, &open);
			util_strnum(db_get(g, j, 3), 0, 1LL << 40, &claims);
			json_object_set_new(eng, "progress",
			                    json_pack("{s:I, s:I, s:I, s:b}", "findings_total",
			                              (json_int_t)total, "findings_open",
			                              (json_int_t)open, "claims",
			                              (json_int_t)claims, "statement",
			                              strcmp(db_get(g, j, 4), "t") == 0));
		}
		json_array_append_new(list, eng);
	}
	db_result_free(e);
	db_result_free(g);
	return list;
}

/*
 * The coordinator's view of the release: {"status": scheduled | due |
 * held | published, "hold": {reasons, held_at, checked_at} or null,
 * "publication": {slug, sequence, hash} or null}. release_holds is
 * readable by the coordinator only (row-level security). New reference,
 * or NULL with *st set.
 */
static json_t *
campaign_release_json(struct db_conn *c, const char *id, enum db_status *st)
{
	const char *p[1] = {id};
	struct db_result *q;
	long long seq;
	json_t *out;

	if ((q = db_exec(c, "campaign_release_status", 1, p, st)) == NULL)
		return NULL;
	if (db_rows(q) != 1) {
		db_result_free(q);
		*st = DB_ERROR;
		return NULL;
	}
	seq = 0;
	util_strnum(db_get(q, 0, 5), 0, 1LL << 60, &seq);
	out = json_pack("{s:s, s:o, s:o}", "status", db_get(q, 0, 0), "hold",
	                db_is_null(q, 0, 1)
	                    ? json_null()
	                    : json_pack("{s:o, s:s, s:s}", "reasons", api_json_col(q, 0, 1),
	                                "held_at", db_get(q, 0, 2), "checked_at", db_get(q, 0, 3)),
	                "publication",
	                db_is_null(q, 0, 4)
	                    ? json_null()
	                    : json_pack("{s:s, s:I, s:s}", "slug", db_get(q, 0, 4), "sequence",
	                                (json_int_t)seq, "hash", db_get(q, 0, 6)));
	db_result_free(q);
	if (out == NULL)
		*st = DB_ERROR;
	return out;
}

/* The release-date history [{release_at, announced_at}] (new reference) or NULL. */
static json_t *
campaign_history_json(struct db_conn *c, const char *id, enum db_status *st)
{
	const char *p[1] = {id};
	struct db_result *q;
	json_t *out;

	if ((q = db_exec(c, "campaign_release_history", 1, p, st)) == NULL)
		return NULL;
	out = json_array();
	for (int i = 0; out != NULL && i < db_rows(q); i++)
		json_array_append_new(out, json_pack("{s:s, s:s}", "release_at", db_get(q, i, 0),
		                                     "announced_at", db_get(q, i, 1)));
	db_result_free(q);
	if (out == NULL)
		*st = DB_ERROR;
	return out;
}

static int
campaign_get_tx(struct db_conn *c, void *arg)
{
	struct campaign_get_ctx *k = arg;
	const char *p[1] = {k->id};
	struct db_result *q;
	enum db_status st;

	if ((q = db_exec(c, "campaign_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&k->res, PROBLEM_NOT_FOUND, NULL);
	}
	k->res.body = api_campaign_json(q, 0);
	db_result_free(q);
	if (k->res.body == NULL)
		return DB_ERROR;
	if (api_is_coordinator(k->r)) {
		const char *disclosure =
		    json_string_value(json_object_get(k->res.body, "disclosure"));
		json_t *warnings = NULL, *history, *list, *release;

		list = campaign_progress_json(c, k->id, disclosure ? disclosure : "named",
		                              &warnings, &st);
		if (list == NULL) {
			json_decref(warnings);
			return st;
		}
		json_object_set_new(k->res.body, "engagements", list);
		json_object_set_new(k->res.body, "warnings", warnings);
		if ((history = campaign_history_json(c, k->id, &st)) == NULL)
			return st;
		json_object_set_new(k->res.body, "release_history", history);
		if ((release = campaign_release_json(c, k->id, &st)) == NULL)
			return st;
		json_object_set_new(k->res.body, "release", release);
	}
	return DB_OK;
}

int
api_campaign_get(struct http_request *r)
{
	struct campaign_get_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, campaign_get_tx, &k), &k.res);
}

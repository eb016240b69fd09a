/* GET /api/v1/engagements/{id}/claims: the engagement's claims, for its participants. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"

struct claims_ctx {
	struct http_request *r;
	const char *engagement;
	struct api_res res;
};

static int
claims_tx(struct db_conn *c, void *arg)
{
	struct claims_ctx *k = arg;
	const char *p[1] = {k->engagement};
	struct api_engagement e;
	struct db_result *q;
	enum db_status st;
	unsigned char key[CRYPTO_KEY_LEN];
	json_t *items;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	if ((q = db_exec(c, "claims_list", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) > 0 && (rc = api_engagement_key(c, k->engagement, key)) != 0) {
		db_result_free(q);
		return rc > 0 ? api_fail(&k->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	}
	items = json_array();
	for (int i = 0; i < db_rows(q); i++) {
		char rowid[2 * DB_UUID_LEN];
		json_t *summary;

		snprintf(rowid, sizeof(rowid), "%s/%s", db_get(q, i, 0), db_get(q, i, 1));
		/* rows from before 0004 are plaintext */
		summary = db_is_null(q, i, 3) ? json_string(db_get(q, i, 6))
		                              : api_open(key, "claim", rowid, "summary", q, i, 3);
		if (summary == NULL) {
			explicit_bzero(key, sizeof(key));
			json_decref(items);
			db_result_free(q);
			return DB_ERROR;
		}
		json_array_append_new(
		    items, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "engagement_id",
		                     db_get(q, i, 0), "threat_model", db_get(q, i, 1), "level",
		                     db_get(q, i, 2), "summary", summary, "updated_by",
		                     db_get(q, i, 4), "updated_at", db_get(q, i, 5)));
	}
	explicit_bzero(key, sizeof(key));
	db_result_free(q);
	k->res.body = json_pack("{s:o}", "items", items);
	if (k->res.body == NULL)
		return DB_ERROR;
	/* unpublished claims are confidential until the release */
	return api_audit(c, k->r, "claim.list", "engagement", k->engagement, NULL, NULL, NULL);
}

int
api_claims_get(struct http_request *r)
{
	struct claims_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, claims_tx, &k), &k.res);
}

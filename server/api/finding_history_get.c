/* GET /api/v1/findings/{id}/history: every version of a finding, oldest first. */
#include "config.h"

#include "api/api.h"

struct history_ctx {
	struct http_request *r;
	const char *id;
	struct api_res res;
};

static int
history_tx(struct db_conn *c, void *arg)
{
	struct history_ctx *h = arg;
	const char *p[1] = {h->id};
	struct api_engagement e;
	unsigned char key[CRYPTO_KEY_LEN];
	struct db_result *q;
	enum db_status st;
	json_t *items;
	int rc;

	if ((q = db_exec(c, "finding_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(&h->res, PROBLEM_NOT_FOUND, NULL);
	}
	rc = api_engagement_load(c, h->r, db_get(q, 0, 1), API_AS_PARTICIPANT, &e, &h->res);
	db_result_free(q);
	if (rc != DB_OK)
		return rc;
	rc = api_engagement_key(c, e.id, key);
	api_engagement_clear(&e);
	if (rc != 0)
		return rc > 0 ? api_fail(&h->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	if ((q = db_exec(c, "finding_history_list", 1, p, &st)) == NULL) {
		explicit_bzero(key, sizeof(key));
		return st;
	}
	items = json_array();
	rc = DB_OK;
	for (int i = 0; i < db_rows(q) && rc == DB_OK; i++) {
		json_t *v = api_finding_json(key, q, i);

		if (v == NULL) {
			rc = DB_ERROR;
			break;
		}
		/* history rows name who changed the finding and when */
		json_object_set(v, "changed_by", json_object_get(v, "updated_by"));
		json_object_set(v, "changed_at", json_object_get(v, "updated_at"));
		json_object_del(v, "created_by");
		json_object_del(v, "created_at");
		json_object_del(v, "updated_by");
		json_object_del(v, "updated_at");
		json_array_append_new(items, v);
	}
	explicit_bzero(key, sizeof(key));
	db_result_free(q);
	if (rc != DB_OK) {
		json_decref(items);
		return rc;
	}
	h->res.body = json_pack("{s:o}", "items", items);
	return api_audit(c, h->r, "finding.history_read", "finding", h->id, NULL, NULL, NULL);
}

int
api_finding_history_get(struct http_request *r)
{
	struct history_ctx h = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	h.id = http_param(r, 0);
	return api_finish(r, db_tx(&r->who, "finding_history", history_tx, &h), &h.res);
}

/* GET /api/v1/findings/{id}/history: every version of a finding, oldest first. */
#include "config.h"

#include "api/api.h"

struct history_ctx {
	struct http_request *r;
	const char *id;
	struct store_finding *rows; /* the result */
	int n;
	struct api_res res;
};

static int
history_tx(struct db_conn *c, void *arg)
{
	struct history_ctx *h = arg;
	struct store_finding cur = {0};
	struct api_engagement e;
	int rc;

	store_findings_free(h->rows, h->n);
	h->rows = NULL;
	h->n = 0;
	if ((rc = store_finding_get(c, h->id, &cur)) != DB_OK)
		return rc;
	rc = api_engagement_load(c, h->r, cur.engagement_id, API_AS_PARTICIPANT, &e, &h->res);
	store_finding_clear(&cur);
	if (rc != DB_OK)
		return rc;
	rc = store_finding_history(c, h->id, e.id, &h->rows, &h->n);
	api_engagement_clear(&e);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, h->r, "finding.history_read", "finding", h->id, NULL, NULL, NULL);
}

int
api_finding_history_get(struct http_request *r)
{
	struct history_ctx h = {.r = r, .res = {.status = 200}};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	h.id = http_param(r, 0);
	rc = db_tx(&r->who, "finding_history", history_tx, &h);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < h.n; i++) {
			json_t *v = api_finding_json(&h.rows[i]);

			/* history rows name who changed the finding and when */
			json_object_set(v, "changed_by", json_object_get(v, "updated_by"));
			json_object_set(v, "changed_at", json_object_get(v, "updated_at"));
			json_object_del(v, "created_by");
			json_object_del(v, "created_at");
			json_object_del(v, "updated_by");
			json_object_del(v, "updated_at");
			json_array_append_new(items, v);
		}
		/* o steals items */
		if ((h.res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_findings_free(h.rows, h.n);
	return api_finish(r, rc, &h.res);
}

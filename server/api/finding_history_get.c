/* GET /api/v1/findings/{id}/history: every version of a finding, oldest first. */
#include "config.h"

#include "api/api.h"

struct history_ctx {
	struct http_request *r;
	const char *id;
	struct store_finding *rows; /* the result */
	int n;
	struct store_comment *comments; /* the conversation (issue 11) */
	int ncomments;
	struct store_risk *risks;
	int nrisks;
	struct store_retest *retests;
	int nretests;
	struct api_res res;
};

static int
history_tx(struct db_conn *c, void *arg)
{
	struct history_ctx *h = arg;
	struct store_finding cur = {0};
	struct api_engagement e;
	int rc;

	struct store_finding_ref ref;

	store_findings_free(h->rows, h->n);
	h->rows = NULL;
	h->n = 0;
	store_comments_free(h->comments, h->ncomments);
	store_risks_free(h->risks, h->nrisks);
	store_retests_free(h->retests, h->nretests);
	h->comments = NULL;
	h->risks = NULL;
	h->retests = NULL;
	h->ncomments = h->nrisks = h->nretests = 0;
	if ((rc = store_finding_get(c, h->id, &cur)) != DB_OK)
		return rc;
	rc = api_engagement_load(c, h->r, cur.engagement_id, API_AS_PARTICIPANT, &e, &h->res);
	store_finding_clear(&cur);
	if (rc != DB_OK)
		return rc;
	rc = store_finding_history(c, h->id, e.id, &h->rows, &h->n);
	ref = (struct store_finding_ref){h->id, e.id, e.company, e.assessor};
	if (rc == DB_OK)
		rc = store_comment_list(c, &ref, &h->comments, &h->ncomments);
	if (rc == DB_OK)
		rc = store_risk_list(c, &ref, &h->risks, &h->nrisks);
	if (rc == DB_OK)
		rc = store_retest_list(c, &ref, &h->retests, &h->nretests);
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
			/* how hard it was to exploit at this version (0022) */
			json_object_set_new(v, "oc_required",
			                    h.rows[i].oc_required[0]
			                        ? json_string(h.rows[i].oc_required)
			                        : json_null());
			json_array_append_new(items, v);
		}
		json_t *comments = json_array(), *risks = json_array(), *retests = json_array();

		for (int i = 0; i < h.ncomments; i++)
			json_array_append_new(comments, api_comment_json(&h.comments[i]));
		for (int i = 0; i < h.nrisks; i++)
			json_array_append_new(risks, api_risk_json(&h.risks[i]));
		for (int i = 0; i < h.nretests; i++)
			json_array_append_new(retests, api_retest_json(&h.retests[i]));
		/* o steals every array */
		if ((h.res.body =
		         json_pack("{s:o, s:o, s:o, s:o}", "items", items, "comments", comments,
		                   "risk_acceptances", risks, "retests", retests)) == NULL)
			rc = DB_ERROR;
	}
	store_findings_free(h.rows, h.n);
	store_comments_free(h.comments, h.ncomments);
	store_risks_free(h.risks, h.nrisks);
	store_retests_free(h.retests, h.nretests);
	return api_finish(r, rc, &h.res);
}

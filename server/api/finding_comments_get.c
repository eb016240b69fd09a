/* GET /api/v1/findings/{id}/comments: the finding's thread, oldest first (participants). */
#include "config.h"

#include "api/api.h"

struct comments_ctx {
	struct http_request *r;
	const char *finding;
	struct store_comment *rows; /* the result */
	int n;
	struct api_res res;
};

static int
comments_tx(struct db_conn *c, void *arg)
{
	struct comments_ctx *k = arg;
	struct api_finding f;
	int rc;

	store_comments_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	if ((rc = api_finding_load(c, k->r, k->finding, API_AS_PARTICIPANT, &f, &k->res)) != DB_OK)
		return rc;
	rc = store_comment_list(c, &f.ref, &k->rows, &k->n);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "finding.comments_read", "finding", k->finding, NULL, NULL,
		               NULL);
	api_finding_clear(&f);
	return rc;
}

int
api_finding_comments_get(struct http_request *r)
{
	struct comments_ctx k = {.r = r, .res = {.status = 200}};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.finding = http_param(r, 0);
	rc = db_tx(&r->who, "finding_comments", comments_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_comment_json(&k.rows[i]));
		/* o steals items */
		if ((k.res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_comments_free(k.rows, k.n);
	return api_finish(r, rc, &k.res);
}

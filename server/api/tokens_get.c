/*
 * GET /api/v1/tokens: the caller's live sessions and API tokens (never the
 * tokens): created, expires, last used, address, scopes, and which one
 * this request came with ("current").
 */
#include "config.h"

#include "api/api.h"

struct tokens_ctx {
	struct store_token *rows; /* the result */
	int n;
};

static int
tokens_list_tx(struct db_conn *c, void *arg)
{
	struct tokens_ctx *t = arg;

	store_tokens_free(t->rows, t->n);
	return store_token_list(c, &t->rows, &t->n);
}

int
api_tokens_get(struct http_request *r)
{
	struct tokens_ctx t = {0};
	struct api_res res = {.status = 200};
	json_t *items;
	int rc;

	rc = db_tx(&r->who, "tokens_list", tokens_list_tx, &t);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < t.n; i++) {
			json_t *o = api_token_json(&t.rows[i]);

			/* the session or token this request came with */
			json_object_set_new(o, "current",
			                    json_boolean(strcmp(t.rows[i].id, r->session_id) == 0));
			json_array_append_new(items, o);
		}
		/* o steals items */
		if ((res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_tokens_free(t.rows, t.n);
	return api_finish(r, rc, &res);
}

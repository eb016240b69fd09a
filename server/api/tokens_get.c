/* GET /api/v1/tokens: the caller's live sessions and API tokens (never the tokens). */
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
		for (int i = 0; i < t.n; i++)
			json_array_append_new(items, api_token_json(&t.rows[i]));
		/* o steals items */
		if ((res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_tokens_free(t.rows, t.n);
	return api_finish(r, rc, &res);
}

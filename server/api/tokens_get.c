/* GET /api/v1/tokens: the caller's live sessions and API tokens (never the tokens). */
#include "config.h"

#include "api/api.h"

static int
tokens_list_tx(struct db_conn *c, void *arg)
{
	struct api_res *res = arg;
	struct db_result *q;
	enum db_status st;
	json_t *items = json_array();

	if ((q = db_exec(c, "tokens_list", 0, NULL, &st)) == NULL) {
		json_decref(items);
		return st;
	}
	for (int i = 0; i < db_rows(q); i++)
		json_array_append_new(
		    items,
		    json_pack("{s:s, s:s, s:o, s:s, s:s}", "id", db_get(q, i, 0), "kind",
		              db_get(q, i, 1), "name",
		              db_is_null(q, i, 2) ? json_null() : json_string(db_get(q, i, 2)),
		              "created_at", db_get(q, i, 3), "expires_at", db_get(q, i, 4)));
	db_result_free(q);
	res->body = json_pack("{s:o}", "items", items);
	return res->body ? DB_OK : DB_ERROR;
}

int
api_tokens_get(struct http_request *r)
{
	struct api_res res = {.status = 200};

	return api_finish(r, db_tx(&r->who, tokens_list_tx, &res), &res);
}

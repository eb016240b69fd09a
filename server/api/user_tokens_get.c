/*
 * GET /api/v1/users/{id}/tokens: the coordinator or the user's org admin
 * lists a user's live sessions and API tokens (never the tokens). Anybody
 * else, and an unknown id, gets the same 404.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct user_tokens_ctx {
	struct http_request *r;
	const char *user;
	struct store_token *rows; /* the result */
	int n;
};

static int
user_tokens_tx(struct db_conn *c, void *arg)
{
	struct user_tokens_ctx *t = arg;
	struct store_user u = {0};
	int rc;

	store_tokens_free(t->rows, t->n);
	t->rows = NULL;
	t->n = 0;
	if ((rc = store_user_get(c, t->user, &u)) != DB_OK)
		return rc;
	if (!api_is_coordinator(t->r) &&
	    (!api_is_admin(t->r) || strcmp(u.org_id, t->r->who.org_id) != 0)) {
		store_user_clear(&u);
		return STORE_NONE;
	}
	store_user_clear(&u);
	return store_user_token_list(c, t->user, &t->rows, &t->n);
}

int
api_user_tokens_get(struct http_request *r)
{
	struct user_tokens_ctx t = {.r = r};
	struct api_res res = {.status = 200};
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	t.user = http_param(r, 0);
	rc = db_tx(&r->who, "user_tokens_list", user_tokens_tx, &t);
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

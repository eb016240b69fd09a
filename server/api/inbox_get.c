/*
 * GET /api/v1/inbox[?unread=1][&limit][&after]: the caller's notifications,
 * newest first, {items, next, unread}. Row-level security shows a user
 * only their own. An item names the event and ids, like a webhook payload:
 * {id, type, campaign_id, campaign_title, engagement_id, object: {type, id}
 * | null, created_at, read}.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct inbox_ctx {
	int limit;
	const char *after;
	int unread_only;
	struct store_notification *rows; /* the result */
	int n;
	long long unread;
};

static int
inbox_tx(struct db_conn *c, void *arg)
{
	struct inbox_ctx *k = arg;
	int rc;

	store_notifications_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	rc = store_inbox_list(c, k->after, k->limit + 1, k->unread_only, &k->rows, &k->n);
	if (rc == DB_OK)
		rc = store_inbox_unread(c, &k->unread);
	return rc;
}

static json_t *
opt_str(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

json_t *
api_notification_json(const struct store_notification *n)
{
	json_t *object = n->object_type[0]
	                     ? json_pack("{s:s, s:s}", "type", n->object_type, "id", n->object_id)
	                     : json_null();

	/* o steals */
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:b}", "id", n->id, "type", n->type,
	                 "campaign_id", opt_str(n->campaign_id), "campaign_title",
	                 opt_str(n->campaign_title), "engagement_id", opt_str(n->engagement_id),
	                 "object", object, "created_at", n->created_at, "read", n->read);
}

int
api_inbox_get(struct http_request *r)
{
	struct inbox_ctx k = {0};
	struct api_res res = {.status = 200};
	const char *unread = http_query(r, "unread");
	char plus[16];
	json_t *items;
	int rc;

	if ((rc = api_page(r, &k.limit, plus, &k.after)) != HTTP_OK)
		return rc;
	if (unread != NULL && strcmp(unread, "1") != 0 && strcmp(unread, "0") != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY, "unread must be 0 or 1.");
	k.unread_only = unread != NULL && strcmp(unread, "1") == 0;
	rc = db_tx(&r->who, "inbox_list", inbox_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(items, api_notification_json(&k.rows[i]));
		res.body = api_page_body(items, k.limit, "id");
		if (res.body == NULL)
			rc = DB_ERROR;
		else
			json_object_set_new(res.body, "unread", json_integer(k.unread));
	}
	store_notifications_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

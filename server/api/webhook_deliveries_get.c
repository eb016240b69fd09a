/*
 * GET /api/v1/webhooks/{id}/deliveries[?limit]: the delivery log of a
 * webhook of the caller's org (org admins), newest first: {items: [{id,
 * event_type, payload, state: pending|delivered|failed, attempts,
 * last_status, last_error, created_at, next_attempt_at, delivered_at}]}.
 */
#include "config.h"

#include "api/api.h"

struct deliveries_ctx {
	const char *id;
	int limit;
	struct store_delivery *rows; /* the result */
	int n;
};

static int
deliveries_tx(struct db_conn *c, void *arg)
{
	struct deliveries_ctx *k = arg;
	struct store_webhook w;
	int rc;

	store_deliveries_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	if ((rc = store_webhook_get(c, k->id, &w)) != DB_OK)
		return rc;
	store_webhook_clear(&w);
	return store_delivery_list(c, k->id, k->limit, &k->rows, &k->n);
}

int
api_webhook_deliveries_get(struct http_request *r)
{
	struct deliveries_ctx k = {0};
	struct api_res res = {.status = 200};
	const char *after;
	char plus[16];
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_admin(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &k.limit, plus, &after)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "webhook_deliveries", deliveries_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++) {
			const struct store_delivery *d = &k.rows[i];

			json_array_append_new(
			    items,
			    json_pack(
			        "{s:s, s:s, s:O, s:s, s:I, s:o, s:o, s:s, s:s, s:o}", "id", d->id,
			        "event_type", d->event_type, "payload", d->payload, "state",
			        d->state, "attempts", (json_int_t)d->attempts, "last_status",
			        d->last_status ? json_integer(d->last_status) : json_null(),
			        "last_error",
			        d->last_error ? json_string(d->last_error) : json_null(),
			        "created_at", d->created_at, "next_attempt_at", d->next_attempt_at,
			        "delivered_at",
			        d->delivered_at[0] ? json_string(d->delivered_at) : json_null()));
		}
		if ((res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_deliveries_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

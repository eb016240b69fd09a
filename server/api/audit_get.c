/*
 * GET /api/v1/audit?after=<id>&limit=<1..1000>: the audit chain for the
 * coordinator (others: 404), in order, each event with the exact text its
 * hash covers ("hashed": SHA-256(prev_hash || hashed) = hash), so that
 * `lockstep verify-audit` can recompute the chain and compare it with the
 * audit checkpoints in the transparency log. {"items", "next"}.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "util/util.h"

struct audit_ctx {
	long long after;
	int limit;
	struct store_audit_event *rows;
	int n;
};

static int
audit_tx(struct db_conn *c, void *arg)
{
	struct audit_ctx *k = arg;

	store_audit_events_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_audit_export(c, k->after, k->limit, &k->rows, &k->n);
}

static json_t *
audit_json(const struct store_audit_event *e)
{
	/* O borrows orgs and detail */
	return json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:O, s:O, s:s, s:s, "
	                 "s:s}",
	                 "id", (json_int_t)e->id, "at", e->at, "actor_user", e->actor_user,
	                 "actor_org", e->actor_org, "actor_kind", e->actor_kind, "addr", e->addr,
	                 "action", e->action, "object_type", e->object_type, "object_id",
	                 e->object_id, "orgs", e->orgs, "detail", e->detail, "prev_hash",
	                 e->prev_hash, "hash", e->hash, "hashed", e->hashed ? e->hashed : "");
}

int
api_audit_get(struct http_request *r)
{
	struct audit_ctx k = {0};
	const char *a = http_query(r, "after"), *l = http_query(r, "limit");
	long long v = 500;
	json_t *items, *body;
	int rc;

	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (l != NULL && util_strnum(l, 1, 1000, &v) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "limit must be an integer from 1 to 1000.");
	k.limit = (int)v;
	if (a != NULL && util_strnum(a, 0, INT64_MAX, &k.after) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "after must be the next value of a previous page.");
	rc = db_tx(&r->who, "audit_export", audit_tx, &k);
	if (rc != DB_OK) {
		store_audit_events_free(k.rows, k.n);
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	items = json_array();
	for (int i = 0; i < k.n; i++)
		json_array_append_new(items, audit_json(&k.rows[i]));
	body =
	    json_pack("{s:o, s:o}", "items", items, "next",
	              k.n == k.limit ? json_integer((json_int_t)k.rows[k.n - 1].id) : json_null());
	store_audit_events_free(k.rows, k.n);
	if (body == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	api_names_add(r, body);
	return http_reply_json(r, 200, body);
}

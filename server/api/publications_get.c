/*
 * GET /api/v1/publications: released publications, newest first.
 * ?limit=1..200 (default 50), ?after=<sequence> (the "next" of the
 * previous page). Runs with no identity: row-level security shows only
 * publications whose release instant has passed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/util.h"

struct publications_ctx {
	const char *after;
	char limit1[16];
	int limit;
	struct api_res res;
};

static int
publications_tx(struct db_conn *c, void *arg)
{
	struct publications_ctx *k = arg;
	const char *p[2] = {k->after, k->limit1};
	struct db_result *q;
	enum db_status st;
	json_t *items, *next = json_null();
	int n;

	if ((q = db_exec(c, "publications_list", 2, p, &st)) == NULL)
		return st;
	items = json_array();
	n = db_rows(q);
	for (int i = 0; i < n && i < k->limit; i++) {
		long long seq = 0;
		char url[128], page[128];

		util_strnum(db_get(q, i, 0), 1, 1LL << 60, &seq);
		snprintf(url, sizeof(url), "/api/v1/publications/%s", db_get(q, i, 1));
		snprintf(page, sizeof(page), "/p/%s", db_get(q, i, 1));
		json_array_append_new(
		    items,
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "sequence",
		              (json_int_t)seq, "slug", db_get(q, i, 1), "title", db_get(q, i, 2),
		              "disclosure", db_get(q, i, 3), "release_at", db_get(q, i, 4),
		              "published_at", db_get(q, i, 5), "embargo_break",
		              db_get(q, i, 6)[0] == 't', "hash", db_get(q, i, 7), "prev_hash",
		              db_get(q, i, 8), "document", url, "page", page));
		if (i == k->limit - 1 && n > k->limit)
			next = json_integer((json_int_t)seq);
	}
	db_result_free(q);
	k->res.body = json_pack("{s:o, s:o}", "items", items, "next", next);
	return k->res.body ? DB_OK : DB_ERROR;
}

int
api_publications_get(struct http_request *r)
{
	struct publications_ctx k = {.res = {.status = 200}};
	const char *l = http_query(r, "limit");
	const char *a = http_query(r, "after");
	long long v = 50, after;
	char *text;
	int rc;
	const char *hdr[] = {"Cache-Control", "public, max-age=5", NULL};

	if (l != NULL && util_strnum(l, 1, 200, &v) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "limit must be an integer from 1 to 200.");
	if (a != NULL && util_strnum(a, 1, 1LL << 60, &after) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "after must be the next value of a previous page.");
	k.limit = (int)v;
	snprintf(k.limit1, sizeof(k.limit1), "%d", k.limit + 1);
	k.after = a;
	rc = db_tx(NULL, "publications", publications_tx, &k);
	if (rc != DB_OK)
		return api_finish(r, rc, &k.res);
	text = json_dumps(k.res.body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(k.res.body);
	if (text == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "application/json", text, strlen(text), hdr);
	free(text);
	return rc;
}

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
	int limit;
	struct store_publication *rows; /* the result */
	int n;
};

static int
publications_tx(struct db_conn *c, void *arg)
{
	struct publications_ctx *k = arg;

	store_publications_free(k->rows, k->n);
	return store_publication_list(c, k->after, k->limit + 1, &k->rows, &k->n);
}

/* {"items": [...], "next": sequence or null}. New reference or NULL. */
static json_t *
publications_json(const struct publications_ctx *k)
{
	json_t *items = json_array(), *next = json_null();

	for (int i = 0; i < k->n && i < k->limit; i++) {
		const struct store_publication *p = &k->rows[i];
		char url[128], page[128];

		snprintf(url, sizeof(url), "/api/v1/publications/%s", p->slug);
		snprintf(page, sizeof(page), "/p/%s", p->slug);
		json_array_append_new(
		    items,
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "sequence",
		              (json_int_t)p->seq, "slug", p->slug, "title", p->title, "disclosure",
		              p->disclosure, "release_at", p->release_at, "published_at",
		              p->published_at, "embargo_break", p->embargo_break, "hash", p->hash,
		              "prev_hash", p->prev_hash, "document", url, "page", page));
		if (i == k->limit - 1 && k->n > k->limit)
			next = json_integer((json_int_t)p->seq);
	}
	/* o steals both */
	return json_pack("{s:o, s:o}", "items", items, "next", next);
}

int
api_publications_get(struct http_request *r)
{
	struct publications_ctx k = {0};
	struct api_res res = {.status = 200};
	const char *l = http_query(r, "limit");
	const char *a = http_query(r, "after");
	long long v = 50, after;
	json_t *body = NULL;
	char *text = NULL;
	int rc;
	const char *hdr[] = {"Cache-Control", "public, max-age=5", NULL};

	if (l != NULL && util_strnum(l, 1, 200, &v) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "limit must be an integer from 1 to 200.");
	if (a != NULL && util_strnum(a, 1, 1LL << 60, &after) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "after must be the next value of a previous page.");
	k.limit = (int)v;
	k.after = a;
	rc = db_tx(NULL, "publications_list", publications_tx, &k);
	if (rc == DB_OK && (body = publications_json(&k)) != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(body);
	store_publications_free(k.rows, k.n);
	if (rc != DB_OK)
		return api_finish(r, rc, &res);
	if (text == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "application/json", text, strlen(text), hdr);
	free(text);
	return rc;
}

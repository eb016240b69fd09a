/*
 * GET /p/ (and /p): the public index of publications as an HTML page
 * without any script (ROUTE_NOSCRIPT), newest first, 100 a page;
 * ?after=<sequence> pages on, as in the JSON list it mirrors
 * (GET /api/v1/publications). Runs with no identity: row-level security
 * shows only publications whose release instant has passed, so an
 * embargoed campaign is never named here.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "publish/publish.h"
#include "util/util.h"

#define INDEX_PAGE 100

struct index_ctx {
	const char *after;
	struct store_publication *rows; /* the result */
	int n;
};

static int
index_tx(struct db_conn *c, void *arg)
{
	struct index_ctx *k = arg;

	store_publications_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_publication_list(c, k->after, INDEX_PAGE + 1, &k->rows, &k->n);
}

int
api_publications_page_get(struct http_request *r)
{
	struct index_ctx k = {0};
	struct publish_feed_item items[INDEX_PAGE];
	const char *a = http_query(r, "after");
	const char *hdr[] = {"Cache-Control", "public, max-age=5", NULL};
	long long after, next = 0;
	size_t len = 0, n;
	char *page;
	int rc;

	if (a != NULL && util_strnum(a, 1, 1LL << 60, &after) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "after must be the next value of a previous page.");
	k.after = a;
	rc = db_tx(NULL, "publications_index", index_tx, &k);
	if (rc != DB_OK) {
		store_publications_free(k.rows, k.n);
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	n = k.n > INDEX_PAGE ? INDEX_PAGE : (size_t)k.n;
	for (size_t i = 0; i < n; i++) {
		items[i].seq = k.rows[i].seq;
		items[i].slug = k.rows[i].slug;
		items[i].title = k.rows[i].title;
		items[i].disclosure = k.rows[i].disclosure;
		items[i].release_at = k.rows[i].release_at;
		items[i].published_at = k.rows[i].published_at;
		items[i].hash_hex = k.rows[i].hash;
	}
	if (k.n > INDEX_PAGE)
		next = k.rows[INDEX_PAGE - 1].seq;
	page = publish_index_html(items, n, next, &len);
	store_publications_free(k.rows, k.n);
	if (page == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "text/html; charset=utf-8", page, len, hdr);
	free(page);
	return rc;
}

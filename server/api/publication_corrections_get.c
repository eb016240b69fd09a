/*
 * GET /api/v1/publications/{slug}/corrections: the corrections of a
 * released publication, in order: {"items":[{"number","hash","issued_at",
 * "document" (the exact signed bytes),"signature" (base64)}]}. Public and
 * anonymous; an unknown or unreleased slug answers the same 404 as the
 * document. Cacheable for a few seconds only (corrections accumulate).
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"

struct corrections_ctx {
	const char *slug;
	struct store_correction *rows;
	int n;
};

static int
corrections_tx(struct db_conn *c, void *arg)
{
	struct corrections_ctx *k = arg;

	store_corrections_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_corrections(c, k->slug, &k->rows, &k->n);
}

int
api_publication_corrections_get(struct http_request *r)
{
	struct corrections_ctx k = {.slug = http_param(r, 0)};
	const char *hdr[] = {"Cache-Control", "public, max-age=5", NULL};
	json_t *items, *body;
	char *text;
	int rc;

	if (!api_valid_slug(k.slug))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(NULL, "publication_corrections", corrections_tx, &k);
	if (rc != DB_OK) {
		store_corrections_free(k.rows, k.n);
		return http_reply_problem(
		    r, rc == STORE_NONE ? PROBLEM_NOT_FOUND : PROBLEM_UNAVAILABLE, NULL);
	}
	items = json_array();
	for (int i = 0; i < k.n; i++)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s}", "number",
		                                       (json_int_t)k.rows[i].number, "hash",
		                                       k.rows[i].hash, "issued_at",
		                                       k.rows[i].created_at, "document",
		                                       k.rows[i].document ? k.rows[i].document : "",
		                                       "signature", k.rows[i].signature));
	store_corrections_free(k.rows, k.n);
	body = json_pack("{s:o}", "items", items);
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	json_decref(body);
	rc = http_reply_bytes(r, 200, "application/json", text, strlen(text), hdr);
	free(text);
	return rc;
}

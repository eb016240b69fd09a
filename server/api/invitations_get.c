/*
 * GET /api/v1/orgs/{id}/invitations: the org's admin (or the coordinator)
 * lists the org's invitation and password-reset links, newest last, with
 * their status (pending, used, revoked; expired ones say so by
 * expires_at). Never the links themselves: only their hashes are stored.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct links_ctx {
	const char *org;
	const char *after;
	int limit;
	struct store_link *rows; /* the result */
	int n;
};

static int
links_list_tx(struct db_conn *c, void *arg)
{
	struct links_ctx *l = arg;
	int rc;

	store_links_free(l->rows, l->n);
	l->rows = NULL;
	l->n = 0;
	if ((rc = store_org_exists(c, l->org)) != DB_OK)
		return rc;
	return store_link_list(c, l->org, l->after, l->limit + 1, &l->rows, &l->n);
}

int
api_invitations_get(struct http_request *r)
{
	struct links_ctx l = {0};
	struct api_res res = {.status = 200};
	char limit1[16];
	json_t *items;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	l.org = http_param(r, 0);
	if (!api_is_coordinator(r) && !(api_is_admin(r) && strcmp(r->who.org_id, l.org) == 0))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_page(r, &l.limit, limit1, &l.after)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "invitations_list", links_list_tx, &l);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < l.n; i++)
			json_array_append_new(items, api_link_json(&l.rows[i]));
		if ((res.body = api_page_body(items, l.limit, "id")) == NULL)
			rc = DB_ERROR;
	}
	store_links_free(l.rows, l.n);
	return api_finish(r, rc, &res);
}

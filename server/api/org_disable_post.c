/*
 * POST /api/v1/orgs/{id}/disable and POST /api/v1/orgs/{id}/enable: the
 * coordinator disables or re-enables a company or assessor org. While
 * disabled every user of the org behaves as disabled: log-in refused with
 * the answer of a wrong password, every session and API token revoked at
 * once, invitation and reset links of the org unusable. The coordinator's
 * own org cannot be disabled (404, like anyone else's call).
 */
#include "config.h"

#include "api/api.h"

struct org_disable_ctx {
	struct http_request *r;
	const char *org;
	int disable;
};

static int
org_disable_tx(struct db_conn *c, void *arg)
{
	struct org_disable_ctx *d = arg;
	int rc;

	if ((rc = store_org_set_disabled(c, d->org, d->disable)) != DB_OK)
		return rc;
	return api_audit(c, d->r, d->disable ? "org.disable" : "org.enable", "org", d->org, d->org,
	                 NULL, NULL);
}

static int
org_disable_set(struct http_request *r, int disable)
{
	struct org_disable_ctx d = {.r = r, .disable = disable};
	struct api_res res = {.status = 204};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	d.org = http_param(r, 0);
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(&r->who, disable ? "org_disable" : "org_enable", org_disable_tx, &d);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &res);
}

int
api_org_disable_post(struct http_request *r)
{
	return org_disable_set(r, 1);
}

int
api_org_enable_post(struct http_request *r)
{
	return org_disable_set(r, 0);
}

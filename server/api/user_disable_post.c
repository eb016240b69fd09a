/*
 * POST /api/v1/users/{id}/disable and POST /api/v1/users/{id}/enable: the
 * admin of the user's org (or the coordinator) disables or re-enables an
 * account. Disabling revokes every session and API token of the user and
 * every unused reset link at once; log-in is then refused with exactly
 * the answer of a wrong password. Nobody disables their own account (so
 * an org keeps the admin who does it). Another org's user is 404.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

struct disable_ctx {
	struct http_request *r;
	const char *user;
	int disable;
	struct api_res res;
};

static int
disable_tx(struct db_conn *c, void *arg)
{
	struct disable_ctx *d = arg;
	char org[DB_UUID_LEN + 1];
	int was, rc;

	if ((rc = store_user_state(c, d->user, org, &was)) != DB_OK)
		return rc;
	if (!api_is_coordinator(d->r) &&
	    (!api_is_admin(d->r) || strcmp(org, d->r->who.org_id) != 0))
		return STORE_NONE;
	if ((rc = store_user_set_disabled(c, d->user, d->disable)) != DB_OK)
		return rc;
	if (d->disable) {
		if ((rc = store_user_sessions_revoke(c, d->user)) != DB_OK ||
		    (rc = store_user_links_revoke(c, d->user)) != DB_OK)
			return rc;
	}
	return api_audit(c, d->r, d->disable ? "user.disable" : "user.enable", "user", d->user, org,
	                 NULL, json_pack("{s:b}", "was_disabled", was));
}

static int
user_disable_set(struct http_request *r, int disable)
{
	struct disable_ctx d = {.r = r, .disable = disable, .res = {.status = 204}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	d.user = http_param(r, 0);
	if (!api_is_coordinator(r) && !api_is_admin(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (disable && strcmp(d.user, r->who.user_id) == 0)
		return http_reply_problem(r, PROBLEM_INVALID_STATE,
		                          "You cannot disable your own account.");
	rc = db_tx(&r->who, disable ? "user_disable" : "user_enable", disable_tx, &d);
	if (rc == STORE_NONE)
		rc = api_fail(&d.res, PROBLEM_NOT_FOUND, NULL);
	return api_finish(r, rc, &d.res);
}

int
api_user_disable_post(struct http_request *r)
{
	return user_disable_set(r, 1);
}

int
api_user_enable_post(struct http_request *r)
{
	return user_disable_set(r, 0);
}

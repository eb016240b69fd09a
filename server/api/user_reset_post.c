/*
 * POST /api/v1/users/{id}/password-reset: the admin of the user's org (or
 * the coordinator) makes a password-reset link for the user, like an
 * invitation: 32 random bytes shown once (only the SHA-256 is stored),
 * single use, expiring after LOCKSTEP_RESET_TTL, mailed when
 * LOCKSTEP_SMTP_URL is set. Earlier unused reset links of the user are
 * revoked. Using it (POST /api/v1/account/accept) sets the password and
 * revokes every session and API token of the user.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "conf.h"

struct reset_ctx {
	struct http_request *r;
	const char *user;
	unsigned char hash[CRYPTO_SHA256_LEN];
	char ttl[16];
	struct store_user u;    /* the user */
	struct store_link link; /* the result */
	struct api_res *res;
};

static int
reset_tx(struct db_conn *c, void *arg)
{
	struct reset_ctx *v = arg;
	int rc;

	store_link_clear(&v->link);
	if ((rc = store_user_get(c, v->user, &v->u)) != DB_OK)
		return rc;
	if (!api_is_coordinator(v->r) &&
	    (!api_is_admin(v->r) || strcmp(v->u.org_id, v->r->who.org_id) != 0))
		return STORE_NONE;
	if (v->u.disabled)
		return api_fail(
		    v->res, PROBLEM_INVALID_STATE,
		    "The account is disabled: enable it before resetting its password.");
	if ((rc = store_user_links_revoke(c, v->user)) != DB_OK)
		return rc;
	rc = store_link_create(c, "reset", v->hash, v->u.org_id, v->u.email, NULL, NULL, v->user,
	                       v->ttl, &v->link);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, v->r, "user.password_reset_link", "user", v->user, v->u.org_id, NULL,
	                 NULL);
}

int
api_user_reset_post(struct http_request *r)
{
	struct reset_ctx v = {.r = r};
	struct api_res res = {.status = 201};
	char token[CRYPTO_TOKEN_CHARS + 1], url[1024];
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	v.user = http_param(r, 0);
	v.res = &res;
	if (!api_is_coordinator(r) && !api_is_admin(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (crypto_token_new(token, v.hash) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	snprintf(v.ttl, sizeof(v.ttl), "%u", config.reset_ttl);
	rc = db_tx(&r->who, "user_reset", reset_tx, &v);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK) {
		api_link_url(token, url, sizeof(url));
		res.body = api_link_json(&v.link);
		if (res.body == NULL ||
		    json_object_set_new(res.body, "token", json_string(token)) != 0 ||
		    json_object_set_new(res.body, "link", json_string(url)) != 0)
			rc = DB_ERROR;
		else
			json_object_set_new(
			    res.body, "mailed",
			    json_boolean(api_mail_link(v.u.email, "reset", url) == 0));
	}
	explicit_bzero(token, sizeof(token));
	explicit_bzero(url, sizeof(url));
	store_link_clear(&v.link);
	store_user_clear(&v.u);
	return api_finish(r, rc, &res);
}

/*
 * POST /api/v1/account/accept {token, password}: whoever holds an
 * invitation or password-reset link sets the password (anonymous: any
 * credentials the request carries are ignored, ROUTE_ANON).
 *
 * The new password is checked (length, common passwords) before anything
 * else; then it is hashed on the offload pool (http_defer, like log-in:
 * the HTTP workers stay free, the queue is bounded) and the link used in
 * one call of auth_link_accept. The answer is the same 200 for a new
 * account, for an invitation whose address already has an account
 * (nothing is created: addresses are unique, and whoever holds the link,
 * the inviting admin included, must not learn that the address exists)
 * and for a reset; an unknown, used, revoked or expired link is 404. The
 * person then logs in with the address and the password.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/http.h"

static const struct json_field accept_fields[] = {
    {.name = "token",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = CRYPTO_TOKEN_CHARS,
     .max_len = CRYPTO_TOKEN_CHARS},
    {.name = "password", .type = JSON_FIELD_STRING, .required = 1, .min_len = 1, .max_len = 1024},
    {.name = NULL}};

struct accept_ctx {
	struct http_request *r;
	unsigned char hash[CRYPTO_SHA256_LEN];
	const char *password; /* borrowed from r->json */
	char *password_hash;  /* made on the pool */
	struct store_accept out;
	struct api_res res;
};

static void
accept_free(void *arg)
{
	struct accept_ctx *a = arg;

	if (a == NULL)
		return;
	if (a->password_hash != NULL) {
		explicit_bzero(a->password_hash, strlen(a->password_hash));
		free(a->password_hash);
	}
	json_decref(a->res.body);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

static void
accept_hash(void *arg)
{
	struct accept_ctx *a = arg;

	a->password_hash = crypto_password_hash(a->password);
}

static int
accept_tx(struct db_conn *c, void *arg)
{
	struct accept_ctx *a = arg;
	const char *action;
	int rc;

	if ((rc = store_link_accept(c, a->hash, a->password_hash, &a->out)) != DB_OK)
		return rc;
	if (strcmp(a->out.outcome, "invalid") == 0)
		return STORE_NONE;
	/* 'taken' is recorded for the operator; no API shows it to the admin */
	action = strcmp(a->out.outcome, "reset") == 0 ? "user.password_reset" : "invitation.accept";
	return api_audit(c, a->r, action, "user", a->out.user_id[0] ? a->out.user_id : NULL,
	                 a->out.org_id[0] ? a->out.org_id : NULL, NULL,
	                 json_pack("{s:s}", "outcome", a->out.outcome));
}

static int
accept_resume(struct http_request *r, void *arg)
{
	struct accept_ctx *a = arg;
	int rc;

	if (a->password_hash == NULL)
		return api_finish(r, DB_ERROR, &a->res);
	rc = db_tx(NULL, "account_accept", accept_tx, a);
	if (rc == STORE_NONE)
		rc = api_fail(&a->res, PROBLEM_NOT_FOUND,
		              "This link is unknown, expired, revoked or already used.");
	if (rc == DB_OK) {
		a->res.status = 200;
		a->res.body = json_pack("{s:s}", "status", "password-set");
		if (a->res.body == NULL)
			rc = DB_ERROR;
	}
	return api_finish(r, rc, &a->res);
}

int
api_account_accept_post(struct http_request *r)
{
	struct accept_ctx *a;
	const char *weak;
	int rc;

	if ((rc = api_check_body(r, accept_fields)) != HTTP_OK)
		return rc;
	if ((weak = api_password_weak(json_string_value(json_object_get(r->json, "password")))) !=
	    NULL) {
		struct api_res res = {0};

		return api_finish(r, api_fail_field(&res, "password", weak), &res);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	a->r = r;
	a->password = json_string_value(json_object_get(r->json, "password"));
	if (crypto_token_hash(json_string_value(json_object_get(r->json, "token")), a->hash) != 0) {
		accept_free(a);
		return http_reply_problem(
		    r, PROBLEM_NOT_FOUND,
		    "This link is unknown, expired, revoked or already used.");
	}
	return http_defer(r, accept_hash, accept_resume, a, accept_free);
}

/*
 * POST /api/v1/session {email, password}: log in.
 *
 * Order: the address is normalised (util/email.h) once, for the throttle
 * key and the look-up alike; throttle check (per account and per
 * address), look-up of the one account with the address through the
 * auth_login_account SECURITY DEFINER function, then exactly one scrypt
 * on the offload pool (http_defer: the HTTP worker is free meanwhile, the
 * queue is bounded per address and in all, 503 past it): against the
 * account's hash, disabled or not, or against a dummy when there is no
 * account, so an unknown address, a wrong password, a disabled account
 * and a right password cost the same. Back on the connection's thread,
 * either a recorded failure (the same answer for all three) or a new
 * session created under the user's own identity, with the password's hash
 * upgraded when the configured scrypt cost has risen since it was made.
 *
 * The route ignores any credentials the request carries (ROUTE_ANON): a
 * stale session cookie never stands in the way of logging in again.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "conf.h"
#include "http/http.h"
#include "util/email.h"
#include "util/util.h"

static const struct json_field session_fields[] = {
    {.name = "email", .type = JSON_FIELD_STRING, .required = 1, .min_len = 3, .max_len = 254},
    {.name = "password", .type = JSON_FIELD_STRING, .required = 1, .min_len = 1, .max_len = 1024},
    {.name = NULL}};

struct session_ctx {
	struct http_request *r;
	char acct_key[300];
	char addr_key[80];
	char window[16];
	char max[16];
	char addr_max[16];
	int allowed;
	struct store_throttle_wait wait; /* when !allowed */
	char email[UTIL_EMAIL_MAX + 1];  /* normalised, or "" when it cannot be an address */
	int found;                       /* the account with the address */
	struct store_login acct;
	char *rehash; /* a new hash at today's cost, or NULL */
	struct util_identity who;
	unsigned char token_hash[CRYPTO_SHA256_LEN];
	char ttl[16];
	char expires_at[STORE_TS_LEN];       /* session_create_tx's result */
	struct store_me me;                  /* session_create_tx's result */
	const char *password;                /* borrowed from r->json */
	char device_user[UTIL_UUID_LEN + 1]; /* account named by a valid device cookie, or "" */
	int ok; /* set by the pool thread: a candidate's password matched */
	struct api_res res;
};

/* Anonymous transaction: throttle check and look-up. */
static int
session_lookup_tx(struct db_conn *c, void *arg)
{
	struct session_ctx *s = arg;
	int rc;

	/* a retried transaction starts again */
	store_login_clear(&s->acct);
	s->found = 0;
	rc = store_auth_throttle_allowed(c, s->acct_key, s->max, s->addr_key, s->addr_max,
	                                 s->window, &s->allowed);
	if (rc == DB_OK && !s->allowed)
		rc = store_auth_throttle_wait(c, s->acct_key, s->max, s->addr_key, s->addr_max,
		                              s->window, &s->wait);
	if (rc != DB_OK || !s->allowed || s->email[0] == '\0')
		return rc;
	rc = store_login_account(c, s->email, &s->acct);
	if (rc == STORE_NONE)
		return DB_OK;
	s->found = rc == DB_OK;
	return rc;
}

/* Anonymous transaction: record a failed or throttled attempt. */
static int
session_fail_tx(struct db_conn *c, void *arg)
{
	struct session_ctx *s = arg;
	int rc;

	if (s->allowed &&
	    (rc = store_auth_throttle_fail(c, s->acct_key, s->addr_key, s->window)) != DB_OK)
		return rc;
	return api_audit(c, s->r, s->allowed ? "login.failed" : "login.throttled", "user", NULL,
	                 NULL, NULL, NULL);
}

/* Transaction under the user's identity: create the session. */
static int
session_create_tx(struct db_conn *c, void *arg)
{
	struct session_ctx *s = arg;
	int rc;

	rc = store_session_create(c, s->token_hash, s->who.user_id, s->who.org_id, s->ttl,
	                          s->r->addr, s->expires_at);
	if (rc != DB_OK)
		return rc;
	if (s->rehash != NULL && (rc = store_own_password_rehash(c, s->rehash)) != DB_OK)
		return rc;
	if ((rc = store_auth_throttle_clear(c, s->acct_key)) != DB_OK)
		return rc;
	if ((rc = api_audit(c, s->r, "login", "user", s->who.user_id, s->who.org_id, NULL, NULL)) !=
	    DB_OK)
		return rc;
	rc = store_me_get(c, &s->me);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

/* free_arg of http_defer: wipe and free the context. */
static void
session_free(void *arg)
{
	struct session_ctx *s = arg;

	if (s == NULL)
		return;
	store_login_clear(&s->acct);
	if (s->rehash != NULL) {
		explicit_bzero(s->rehash, strlen(s->rehash));
		free(s->rehash);
	}
	store_me_clear(&s->me);
	json_decref(s->res.body);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

/*
 * On the offload pool: exactly one scrypt, against the account's hash
 * (even a disabled account's) or a dummy; a match counts only for a
 * usable account. A match against a hash made at a lower cost than
 * today's also makes the new hash (a second scrypt, only for the
 * account's owner, only once).
 */
static void
session_verify(void *arg)
{
	struct session_ctx *s = arg;

	if (s->found) {
		if (crypto_password_verify(s->password, s->acct.password_hash) == 1 &&
		    s->acct.usable) {
			memcpy(s->who.user_id, s->acct.user_id, sizeof(s->who.user_id));
			memcpy(s->who.org_id, s->acct.org_id, sizeof(s->who.org_id));
			memcpy(s->who.org_kind, s->acct.org_kind, sizeof(s->who.org_kind));
			memcpy(s->who.role, s->acct.role, sizeof(s->who.role));
			s->ok = 1;
			if (crypto_password_needs_rehash(s->acct.password_hash))
				s->rehash = crypto_password_hash(s->password);
		}
	} else
		crypto_password_dummy(s->password);
}

/* Record a failed or throttled attempt and answer. */
static int
session_refuse(struct http_request *r, struct session_ctx *s)
{
	int rc = db_tx(NULL, "session_fail", session_fail_tx, s);

	if (rc == DB_OK && !s->allowed)
		return api_throttled(r, &s->wait);
	if (rc == DB_OK)
		rc = api_fail(&s->res,
		              s->allowed ? PROBLEM_BAD_CREDENTIALS : PROBLEM_TOO_MANY_REQUESTS,
		              NULL);
	return api_finish(r, rc, &s->res);
}

/* Back on the connection's thread after session_verify. */
static int
session_resume(struct http_request *r, void *arg)
{
	struct session_ctx *s = arg;
	char token[CRYPTO_TOKEN_CHARS + 1];
	char cookie[256], device[API_DEVICE_VALUE_MAX];
	int rc;

	if (!s->ok)
		return session_refuse(r, s);
	/* issue 9: an account with a second factor gets a challenge, not a
	 * session (api/session_factor_post.c); HTTP_OK: it has none */
	if ((rc = api_factor_challenge(r, &s->who, s->acct_key)) != HTTP_OK)
		return rc;
	if (crypto_token_new(token, s->token_hash) != 0)
		return api_finish(r, DB_ERROR, &s->res);
	rc = db_tx(&s->who, "session_create", session_create_tx, s);
	if (rc == DB_OK) {
		/* o steals the user */
		s->res.body = json_pack("{s:s, s:o, s:s}", "expires_at", s->expires_at, "user",
		                        api_me_user_json(&s->me), "token", token);
		if (s->res.body == NULL)
			rc = DB_ERROR;
		snprintf(cookie, sizeof(cookie),
		         "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s",
		         HTTP_SESSION_COOKIE, token, config.session_ttl,
		         config.cookie_secure ? "; Secure" : "");
		if (http_set_cookie(r, cookie) != 0)
			rc = DB_ERROR;
		/* this client is now known for this account (see api/device.c):
		 * a cookie for browsers, the same value in the answer for API
		 * clients to keep and send back as that cookie */
		if (rc == DB_OK && api_device_value(s->who.user_id, device, sizeof(device)) == 0 &&
		    api_device_set_cookie(device, cookie, sizeof(cookie)) == 0) {
			if (http_set_cookie(r, cookie) != 0)
				rc = DB_ERROR;
			json_object_set_new(s->res.body, "device", json_string(device));
		}
		explicit_bzero(cookie, sizeof(cookie));
		s->res.status = 201;
	}
	explicit_bzero(token, sizeof(token));
	return api_finish(r, rc, &s->res);
}

int
api_session_post(struct http_request *r)
{
	struct session_ctx *s;
	const char *email;
	int rc;

	if ((rc = api_check_body(r, session_fields)) != HTTP_OK)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	s->r = r;
	/* a known client (valid device cookie, checked without the database)
	 * may use the priority lane; anybody else is refused at once, before
	 * any database work, while the shared queue is full */
	{
		char value[160];

		if (http_cookie(r, API_DEVICE_COOKIE, value, sizeof(value)) != 0 ||
		    api_device_check(value, s->device_user) != 0)
			s->device_user[0] = '\0';
	}
	if (s->device_user[0] == '\0' && http_defer_full(r)) {
		static const char *const retry[] = {"Retry-After", "1", NULL};

		session_free(s);
		return http_reply_problem_headers(r, PROBLEM_BUSY, NULL, retry);
	}
	email = json_string_value(json_object_get(r->json, "email"));
	s->password = json_string_value(json_object_get(r->json, "password"));
	/* one normalisation for the throttle key and the look-up: every
	 * spelling of an address counts against the same account; what is no
	 * address at all has no account and is throttled under its raw bytes */
	if (util_email_normalize(email, s->email) == 0)
		snprintf(s->acct_key, sizeof(s->acct_key), "acct:%s", s->email);
	else
		snprintf(s->acct_key, sizeof(s->acct_key), "acct:?%s", email);
	snprintf(s->addr_key, sizeof(s->addr_key), "addr:%s", r->addr);
	snprintf(s->window, sizeof(s->window), "%u", config.login_window);
	snprintf(s->max, sizeof(s->max), "%u", config.login_max_failures);
	snprintf(s->addr_max, sizeof(s->addr_max), "%u", config.login_max_address_failures);
	snprintf(s->ttl, sizeof(s->ttl), "%u", config.session_ttl);

	/* throttling before any hash is computed */
	rc = db_tx(NULL, "session_lookup", session_lookup_tx, s);
	if (rc != DB_OK) {
		rc = api_finish(r, rc, &s->res);
		session_free(s);
		return rc;
	}
	if (!s->allowed) {
		rc = session_refuse(r, s);
		session_free(s);
		return rc;
	}
	/* a known client of the account goes first */
	if (s->device_user[0] != '\0' && s->found && strcmp(s->acct.user_id, s->device_user) == 0) {
		char key[64];

		snprintf(key, sizeof(key), "user:%s", s->device_user);
		return http_defer_priority(r, key, session_verify, session_resume, s, session_free);
	}
	return http_defer(r, session_verify, session_resume, s, session_free);
}

/*
 * Two-step log-in (issue 9).
 *
 * Step one is POST /api/v1/session (session_post.c): when the password of
 * an account with a confirmed second factor matches, api_factor_challenge
 * answers 200 {"second_factor":"totp","challenge","expires_at"} instead of
 * a session: a random challenge (only its SHA-256 stored), single-use,
 * valid LOCKSTEP_LOGIN_CHALLENGE_TTL seconds (300), bound to the account
 * and to the throttle key of that first step. It names no user, org or
 * role, and sets no cookie.
 *
 * Step two is POST /api/v1/session/second-factor {challenge, code}: code
 * is a current TOTP code or an unused recovery code. A valid one uses the
 * challenge up and answers exactly like a one-step log-in (201, the
 * session, the cookies). A wrong code, an unknown, used or expired
 * challenge all answer the same 401 bad-code, count in the log-in
 * throttle of the account and of the address, and five wrong codes burn
 * the challenge.
 *
 * The campaign requirement (0007): when a campaign the user's org takes
 * part in requires a second factor and the account has none, the first
 * step answers 201 with a session limited to enrolling one (scopes
 * account:write, at most an hour) and "second_factor_required": true;
 * after confirming the factor the user logs in again, in two steps.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "conf.h"
#include "http/http.h"
#include "util/util.h"

/*
 * The answer of a log-in that made a session: token, expiry, the user,
 * the session cookie and a device cookie, as session_post.c answers it.
 * res->body is set (201); returns DB_OK or DB_ERROR.
 */
static int
factor_session_answer(struct http_request *r, const char *user_id, const char *token,
                      const char *expires_at, const struct store_me *me, unsigned max_age,
                      struct api_res *res)
{
	char cookie[256], device[API_DEVICE_VALUE_MAX];
	int rc = DB_OK;

	res->status = 201;
	/* o steals the user */
	res->body = json_pack("{s:s, s:o, s:s}", "expires_at", expires_at, "user",
	                      api_me_user_json(me), "token", token);
	if (res->body == NULL)
		return DB_ERROR;
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s",
	         HTTP_SESSION_COOKIE, token, max_age, config.cookie_secure ? "; Secure" : "");
	if (http_set_cookie(r, cookie) != 0)
		rc = DB_ERROR;
	if (rc == DB_OK && api_device_value(user_id, device, sizeof(device)) == 0 &&
	    api_device_set_cookie(device, cookie, sizeof(cookie)) == 0) {
		if (http_set_cookie(r, cookie) != 0)
			rc = DB_ERROR;
		json_object_set_new(res->body, "device", json_string(device));
	}
	explicit_bzero(cookie, sizeof(cookie));
	return rc;
}

/* ---- step one: the challenge, or a session limited to enrolling ---- */

/* A session limited to enrolling lasts at most this long (seconds). */
#define FACTOR_ENROL_TTL 3600

struct challenge_ctx {
	struct http_request *r;
	const struct util_identity *who;
	const char *acct_key;
	unsigned char hash[CRYPTO_SHA256_LEN];
	char ttl[16], enrol_ttl[16];
	int needed;                    /* the result: the account has a second factor */
	int limited;                   /* the result: it must have one and has not */
	char expires_at[STORE_TS_LEN]; /* the result */
	struct store_me me;            /* the result, when limited */
};

static int
challenge_tx(struct db_conn *c, void *arg)
{
	struct challenge_ctx *k = arg;
	struct store_totp st;
	int rc, required = 0;

	k->needed = k->limited = 0;
	rc = store_totp_state(c, &st);
	if (rc != DB_OK && rc != STORE_NONE)
		return rc;
	if (rc == DB_OK && st.confirmed) {
		k->needed = 1;
		if ((rc = store_challenge_create(c, k->hash, k->acct_key, k->r->addr, k->ttl,
		                                 k->expires_at)) != DB_OK)
			return rc;
		return api_audit(c, k->r, "login.password_ok", "user", NULL, NULL, NULL, NULL);
	}
	if ((rc = store_factor_required(c, &required)) != DB_OK || !required)
		return rc;
	k->limited = 1;
	if ((rc = store_session_create_enrol(c, k->hash, k->enrol_ttl, k->r->addr,
	                                     k->expires_at)) != DB_OK)
		return rc;
	if ((rc = store_auth_throttle_clear(c, k->acct_key)) != DB_OK)
		return rc;
	if ((rc = api_audit(c, k->r, "login", "user", k->who->user_id, k->who->org_id, NULL,
	                    json_pack("{s:s}", "limited", "second-factor-required"))) != DB_OK)
		return rc;
	rc = store_me_get(c, &k->me);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
api_factor_challenge(struct http_request *r, const struct util_identity *who, const char *acct_key)
{
	struct challenge_ctx k = {.r = r, .who = who, .acct_key = acct_key};
	struct api_res res = {.status = 200};
	char challenge[CRYPTO_TOKEN_CHARS + 1];
	unsigned enrol_ttl =
	    config.session_ttl < FACTOR_ENROL_TTL ? config.session_ttl : FACTOR_ENROL_TTL;
	int rc;

	/* the challenge, or the token of a limited session: the same random value */
	if (crypto_token_new(challenge, k.hash) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	snprintf(k.ttl, sizeof(k.ttl), "%u", config.login_challenge_ttl);
	snprintf(k.enrol_ttl, sizeof(k.enrol_ttl), "%u", enrol_ttl);
	rc = db_tx(who, "session_challenge", challenge_tx, &k);
	if (rc == DB_OK && !k.needed && !k.limited) {
		explicit_bzero(challenge, sizeof(challenge));
		store_me_clear(&k.me);
		return HTTP_OK;
	}
	if (rc == DB_OK && k.limited) {
		rc = factor_session_answer(r, who->user_id, challenge, k.expires_at, &k.me,
		                           enrol_ttl, &res);
		if (rc == DB_OK)
			json_object_set_new(res.body, "second_factor_required", json_true());
	} else if (rc == DB_OK &&
	           (res.body = json_pack("{s:s, s:s, s:s}", "second_factor", "totp", "challenge",
	                                 challenge, "expires_at", k.expires_at)) == NULL)
		rc = DB_ERROR;
	explicit_bzero(challenge, sizeof(challenge));
	store_me_clear(&k.me);
	return api_finish(r, rc, &res);
}

/* ---- step two ---- */

static const struct json_field factor_fields[] = {{.name = "challenge",
                                                   .type = JSON_FIELD_STRING,
                                                   .required = 1,
                                                   .min_len = 1,
                                                   .max_len = 64,
                                                   .valid = api_valid_name},
                                                  {.name = "code",
                                                   .type = JSON_FIELD_STRING,
                                                   .required = 1,
                                                   .min_len = 1,
                                                   .max_len = 32,
                                                   .valid = api_valid_name},
                                                  {.name = NULL}};

struct factor_ctx {
	struct http_request *r;
	unsigned char hash[CRYPTO_SHA256_LEN];
	int known_hash; /* the challenge is well-formed */
	const char *code;
	long long now;
	char addr_key[80];
	char window[16], max[16], addr_max[16], ttl[16];
	struct store_challenge ch; /* resolved in the anonymous step */
	int found;
	int allowed;
	struct util_identity who;
	unsigned char token_hash[CRYPTO_SHA256_LEN];
	char expires_at[STORE_TS_LEN]; /* the results of factor_login_tx */
	struct store_me me;
	int recovery_used;
	struct store_throttle_wait wait; /* when !allowed */
	struct api_res res;
};

/* Anonymous: resolve the challenge and check the throttle. */
static int
factor_lookup_tx(struct db_conn *c, void *arg)
{
	struct factor_ctx *f = arg;
	int rc;

	f->found = 0;
	if (f->known_hash) {
		rc = store_challenge_resolve(c, f->hash, &f->ch);
		if (rc != DB_OK && rc != STORE_NONE)
			return rc;
		f->found = rc == DB_OK;
	}
	if (!f->found)
		snprintf(f->ch.acct_key, sizeof(f->ch.acct_key), "challenge:unknown");
	rc = store_auth_throttle_allowed(c, f->ch.acct_key, f->max, f->addr_key, f->addr_max,
	                                 f->window, &f->allowed);
	if (rc == DB_OK && !f->allowed)
		rc = store_auth_throttle_wait(c, f->ch.acct_key, f->max, f->addr_key, f->addr_max,
		                              f->window, &f->wait);
	return rc;
}

/* Under the challenge's identity: check the code, use the challenge up, make the session. */
static int
factor_login_tx(struct db_conn *c, void *arg)
{
	struct factor_ctx *f = arg;
	int ok = 0, rc;

	f->recovery_used = 0;
	if (strlen(f->code) == CRYPTO_TOTP_DIGITS)
		rc = store_totp_verify(c, f->who.user_id, f->code, f->now, 0, &ok);
	else {
		rc = store_recovery_use(c, f->who.user_id, f->code, &ok);
		f->recovery_used = ok;
	}
	if (rc == STORE_NONE) /* the factor was removed meanwhile */
		return api_fail(&f->res, PROBLEM_BAD_CODE, NULL);
	if (rc != DB_OK)
		return rc;
	if (!ok)
		return api_fail(&f->res, PROBLEM_BAD_CODE, NULL);
	if ((rc = store_challenge_consume(c, f->hash, &ok)) != DB_OK)
		return rc;
	if (!ok)
		return api_fail(&f->res, PROBLEM_BAD_CODE, NULL);
	if ((rc = store_session_create(c, f->token_hash, f->who.user_id, f->who.org_id, f->ttl,
	                               f->r->addr, f->expires_at)) != DB_OK)
		return rc;
	if ((rc = store_auth_throttle_clear(c, f->ch.acct_key)) != DB_OK)
		return rc;
	if ((rc = api_audit(c, f->r, "login", "user", f->who.user_id, f->who.org_id, NULL,
	                    json_pack("{s:s}", "second_factor",
	                              f->recovery_used ? "recovery-code" : "totp"))) != DB_OK)
		return rc;
	rc = store_me_get(c, &f->me);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

/* Anonymous: count the failure against the account, the address and the challenge. */
static int
factor_fail_tx(struct db_conn *c, void *arg)
{
	struct factor_ctx *f = arg;
	int rc;

	if (f->allowed) {
		if ((rc = store_auth_throttle_fail(c, f->ch.acct_key, f->addr_key, f->window)) !=
		    DB_OK)
			return rc;
		if (f->found && (rc = store_challenge_fail(c, f->hash)) != DB_OK)
			return rc;
	}
	return api_audit(c, f->r, f->allowed ? "login.second_factor_failed" : "login.throttled",
	                 "user", NULL, NULL, NULL, NULL);
}

static int
factor_refuse(struct http_request *r, struct factor_ctx *f)
{
	int rc = db_tx(NULL, "session_factor_fail", factor_fail_tx, f);

	if (rc == DB_OK && !f->allowed)
		return api_throttled(r, &f->wait);
	api_fail(&f->res, f->allowed ? PROBLEM_BAD_CODE : PROBLEM_TOO_MANY_REQUESTS, NULL);
	return api_finish(r, rc == DB_OK ? API_FAIL : rc, &f->res);
}

int
api_session_factor_post(struct http_request *r)
{
	struct factor_ctx f = {.r = r, .res = {.status = 201}};
	char token[CRYPTO_TOKEN_CHARS + 1];
	int rc;

	if ((rc = api_check_body(r, factor_fields)) != HTTP_OK)
		return rc;
	f.known_hash = crypto_token_hash(json_string_value(json_object_get(r->json, "challenge")),
	                                 f.hash) == 0;
	f.code = json_string_value(json_object_get(r->json, "code"));
	f.now = (long long)time(NULL);
	snprintf(f.addr_key, sizeof(f.addr_key), "addr:%s", r->addr);
	snprintf(f.window, sizeof(f.window), "%u", config.login_window);
	snprintf(f.max, sizeof(f.max), "%u", config.login_max_failures);
	snprintf(f.addr_max, sizeof(f.addr_max), "%u", config.login_max_address_failures);
	snprintf(f.ttl, sizeof(f.ttl), "%u", config.session_ttl);

	if ((rc = db_tx(NULL, "session_factor_lookup", factor_lookup_tx, &f)) != DB_OK)
		return api_finish(r, rc, &f.res);
	if (!f.allowed || !f.found)
		return factor_refuse(r, &f);
	memcpy(f.who.user_id, f.ch.user_id, sizeof(f.who.user_id));
	memcpy(f.who.org_id, f.ch.org_id, sizeof(f.who.org_id));
	memcpy(f.who.org_kind, f.ch.org_kind, sizeof(f.who.org_kind));
	memcpy(f.who.role, f.ch.role, sizeof(f.who.role));
	if (crypto_token_new(token, f.token_hash) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&f.who, "session_factor", factor_login_tx, &f);
	if (rc == API_FAIL && f.res.problem == PROBLEM_BAD_CODE) {
		explicit_bzero(token, sizeof(token));
		store_me_clear(&f.me);
		return factor_refuse(r, &f);
	}
	if (rc == DB_OK)
		rc = factor_session_answer(r, f.who.user_id, token, f.expires_at, &f.me,
		                           config.session_ttl, &f.res);
	explicit_bzero(token, sizeof(token));
	store_me_clear(&f.me);
	return api_finish(r, rc, &f.res);
}

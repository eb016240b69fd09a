/*
 * POST /api/v1/me/totp/disable {code} or {password}: turn the caller's
 * second factor off (or abandon an unconfirmed enrolment). code is a
 * current TOTP code or one of the recovery codes; password the account's
 * password (checked on the offload pool like a log-in's). A wrong one
 * answers 422 (naming the field) and is throttled like log-ins (per
 * account, key "totp:<user id>", and per address; 429 past the limit), so
 * a stolen session cannot guess its way to turning the factor off.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "conf.h"

static const struct json_field disable_fields[] = {
    {.name = "code",
     .type = JSON_FIELD_STRING,
     .min_len = 6,
     .max_len = 32,
     .valid = api_valid_name},
    {.name = "password", .type = JSON_FIELD_STRING, .min_len = 1, .max_len = 1024},
    {.name = NULL}};

struct disable_ctx {
	struct http_request *r;
	const char *code;     /* borrowed from r->json, or NULL */
	const char *password; /* borrowed from r->json, or NULL */
	long long now;
	char acct_key[64];
	char addr_key[80];
	char window[16], max[16], addr_max[16];
	int allowed;
	int bad;     /* the code or password was wrong: counted in the throttle */
	int checked; /* the password matched (set on the offload pool) */
	char *hash;  /* the caller's password hash (password case), owned */
	struct api_res res;
};

/* The throttle, then the enrolment; with a code, its check. */
static int
disable_check_tx(struct db_conn *c, void *arg)
{
	struct disable_ctx *d = arg;
	struct store_totp st;
	int ok = 0, rc;

	d->bad = 0;
	store_secret_free(d->hash, d->hash ? strlen(d->hash) : 0);
	d->hash = NULL;
	rc = store_auth_throttle_allowed(c, d->acct_key, d->max, d->addr_key, d->addr_max,
	                                 d->window, &d->allowed);
	if (rc != DB_OK)
		return rc;
	if (!d->allowed) {
		if ((rc = store_auth_throttle_wait(c, d->acct_key, d->max, d->addr_key, d->addr_max,
		                                   d->window, &d->res.wait)) != DB_OK)
			return rc;
		return api_fail(&d->res, PROBLEM_TOO_MANY_REQUESTS, NULL);
	}
	if ((rc = store_totp_state(c, &st)) == STORE_NONE)
		return api_fail(&d->res, PROBLEM_INVALID_STATE, "No second factor is enabled.");
	if (rc != DB_OK)
		return rc;
	if (d->password != NULL) {
		rc = store_password_hash_self(c, &d->hash);
		return rc == STORE_NONE ? DB_ERROR : rc;
	}
	/* an unconfirmed enrolment protects nothing yet: any well-formed code abandons it */
	if (st.confirmed) {
		if (strlen(d->code) == CRYPTO_TOTP_DIGITS)
			rc = store_totp_verify(c, d->r->who.user_id, d->code, d->now, 0, &ok);
		else
			rc = store_recovery_use(c, d->r->who.user_id, d->code, &ok);
		if (rc != DB_OK)
			return rc;
		if (!ok) {
			d->bad = 1;
			return api_fail_field(&d->res, "code", "wrong or expired code");
		}
	}
	return DB_OK;
}

/* Turn it off. */
static int
disable_tx(struct db_conn *c, void *arg)
{
	struct disable_ctx *d = arg;
	int rc;

	/* with a code, its check and the removal are one transaction */
	if (d->password == NULL && (rc = disable_check_tx(c, arg)) != DB_OK)
		return rc;
	if ((rc = store_totp_remove(c)) == STORE_NONE)
		return api_fail(&d->res, PROBLEM_INVALID_STATE, "No second factor is enabled.");
	if (rc != DB_OK)
		return rc;
	if ((rc = store_auth_throttle_clear(c, d->acct_key)) != DB_OK)
		return rc;
	return api_audit(c, d->r, "totp.disable", "user", d->r->who.user_id, d->r->who.org_id, NULL,
	                 json_pack("{s:s}", "with", d->password ? "password" : "code"));
}

static int
disable_fail_tx(struct db_conn *c, void *arg)
{
	struct disable_ctx *d = arg;
	int rc;

	if ((rc = store_auth_throttle_fail(c, d->acct_key, d->addr_key, d->window)) != DB_OK)
		return rc;
	return api_audit(c, d->r, "totp.disable_failed", "user", d->r->who.user_id,
	                 d->r->who.org_id, NULL, NULL);
}

/* The answer after the check: turn it off, or count the failure. */
static int
disable_finish(struct http_request *r, struct disable_ctx *d, int rc)
{
	if (rc == API_FAIL && d->bad) {
		int frc = db_tx(&r->who, "totp_disable_fail", disable_fail_tx, d);

		if (frc != DB_OK)
			rc = frc;
	}
	return api_finish(r, rc, &d->res);
}

static void
disable_free(void *arg)
{
	struct disable_ctx *d = arg;

	if (d == NULL)
		return;
	store_secret_free(d->hash, d->hash ? strlen(d->hash) : 0);
	json_decref(d->res.body);
	explicit_bzero(d, sizeof(*d));
	free(d);
}

/* On the offload pool: the scrypt check. */
static void
disable_verify(void *arg)
{
	struct disable_ctx *d = arg;

	d->checked = d->hash != NULL && crypto_password_verify(d->password, d->hash) == 1;
}

/* Back on the connection's thread. */
static int
disable_resume(struct http_request *r, void *arg)
{
	struct disable_ctx *d = arg;
	int rc;

	if (!d->checked) {
		d->bad = 1;
		return disable_finish(r, d, api_fail_field(&d->res, "password", "wrong password"));
	}
	rc = db_tx(&r->who, "totp_disable", disable_tx, d);
	return disable_finish(r, d, rc);
}

int
api_totp_disable_post(struct http_request *r)
{
	struct disable_ctx *d;
	int rc;

	if ((rc = api_check_body(r, disable_fields)) != HTTP_OK)
		return rc;
	if ((json_object_get(r->json, "code") != NULL) ==
	    (json_object_get(r->json, "password") != NULL))
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "code",
		                        "give either a code or the password");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	d->r = r;
	d->res.status = 204;
	d->code = json_string_value(json_object_get(r->json, "code"));
	d->password = json_string_value(json_object_get(r->json, "password"));
	d->now = (long long)time(NULL);
	snprintf(d->acct_key, sizeof(d->acct_key), "totp:%s", r->who.user_id);
	snprintf(d->addr_key, sizeof(d->addr_key), "addr:%s", r->addr);
	snprintf(d->window, sizeof(d->window), "%u", config.login_window);
	snprintf(d->max, sizeof(d->max), "%u", config.login_max_failures);
	snprintf(d->addr_max, sizeof(d->addr_max), "%u", config.login_max_address_failures);
	if (d->code != NULL) {
		rc = disable_finish(r, d, db_tx(&r->who, "totp_disable", disable_tx, d));
		disable_free(d);
		return rc;
	}
	/* the password: throttle and hash first, then scrypt off the HTTP worker */
	rc = db_tx(&r->who, "totp_disable_check", disable_check_tx, d);
	if (rc != DB_OK) {
		rc = disable_finish(r, d, rc);
		disable_free(d);
		return rc;
	}
	return http_defer(r, disable_verify, disable_resume, d, disable_free);
}

/*
 * POST /api/v1/me/totp/disable {code}: turn the caller's second factor
 * off (or abandon an unconfirmed enrolment). code is a current TOTP code
 * or one of the recovery codes. A wrong one answers 422 (field code) and
 * is throttled like log-ins
 * (per account, key "totp:<user id>", and per address), so a stolen
 * session cannot guess its way to turning the factor off.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "conf.h"

static const struct json_field disable_fields[] = {{.name = "code",
                                                    .type = JSON_FIELD_STRING,
                                                    .required = 1,
                                                    .min_len = 6,
                                                    .max_len = 32,
                                                    .valid = api_valid_name},
                                                   {.name = NULL}};

struct disable_ctx {
	struct http_request *r;
	const char *code;
	long long now;
	char acct_key[64];
	char addr_key[80];
	char window[16], max[16], addr_max[16];
	int allowed;
	int bad; /* the code was wrong: counted in the throttle */
	struct api_res res;
};

static int
disable_tx(struct db_conn *c, void *arg)
{
	struct disable_ctx *d = arg;
	struct store_totp st;
	int ok = 0, rc;

	rc = store_auth_throttle_allowed(c, d->acct_key, d->max, d->addr_key, d->addr_max,
	                                 d->window, &d->allowed);
	if (rc != DB_OK)
		return rc;
	d->bad = 0;
	if (!d->allowed)
		return api_fail(&d->res, PROBLEM_TOO_MANY_REQUESTS, NULL);
	if ((rc = store_totp_state(c, &st)) == STORE_NONE)
		return api_fail(&d->res, PROBLEM_INVALID_STATE, "No second factor is enabled.");
	if (rc != DB_OK)
		return rc;
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
	/* an unconfirmed enrolment protects nothing yet: any well-formed code abandons it */
	if ((rc = store_totp_remove(c)) != DB_OK)
		return rc;
	if ((rc = store_auth_throttle_clear(c, d->acct_key)) != DB_OK)
		return rc;
	return api_audit(c, d->r, "totp.disable", "user", d->r->who.user_id, d->r->who.org_id, NULL,
	                 NULL);
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

int
api_totp_disable_post(struct http_request *r)
{
	struct disable_ctx d = {.r = r, .res = {.status = 204}};
	int rc;

	if ((rc = api_check_body(r, disable_fields)) != HTTP_OK)
		return rc;
	d.code = json_string_value(json_object_get(r->json, "code"));
	d.now = (long long)time(NULL);
	snprintf(d.acct_key, sizeof(d.acct_key), "totp:%s", r->who.user_id);
	snprintf(d.addr_key, sizeof(d.addr_key), "addr:%s", r->addr);
	snprintf(d.window, sizeof(d.window), "%u", config.login_window);
	snprintf(d.max, sizeof(d.max), "%u", config.login_max_failures);
	snprintf(d.addr_max, sizeof(d.addr_max), "%u", config.login_max_address_failures);
	rc = db_tx(&r->who, "totp_disable", disable_tx, &d);
	if (rc == API_FAIL && d.bad) {
		int frc = db_tx(&r->who, "totp_disable_fail", disable_fail_tx, &d);

		if (frc != DB_OK)
			rc = frc;
	}
	return api_finish(r, rc, &d.res);
}

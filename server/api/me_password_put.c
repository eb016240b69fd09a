/*
 * PUT /api/v1/me/password {current_password, new_password}: change one's
 * own password. The current password is required (so a session left open
 * is not enough to take the account over) and its wrong guesses count
 * against the account's log-in throttle; the new one must pass the
 * password policy. Both hashes run on the offload pool (http_defer). On
 * success every other session and API token of the user is revoked; the
 * session in use stays.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "conf.h"
#include "http/http.h"

static const struct json_field passwd_fields[] = {{.name = "current_password",
                                                   .type = JSON_FIELD_STRING,
                                                   .required = 1,
                                                   .min_len = 1,
                                                   .max_len = 1024},
                                                  {.name = "new_password",
                                                   .type = JSON_FIELD_STRING,
                                                   .required = 1,
                                                   .min_len = 1,
                                                   .max_len = 1024},
                                                  {.name = NULL}};

struct passwd_ctx {
	struct http_request *r;
	const char *current, *fresh; /* borrowed from r->json */
	char acct_key[300];
	char addr_key[80];
	char window[16], max[16], addr_max[16];
	int allowed;
	char *stored;   /* the current hash, wiped */
	int ok;         /* the current password matched (pool) */
	char *new_hash; /* made on the pool */
	struct api_res res;
};

static void
passwd_free(void *arg)
{
	struct passwd_ctx *p = arg;

	if (p == NULL)
		return;
	if (p->stored != NULL) {
		explicit_bzero(p->stored, strlen(p->stored));
		free(p->stored);
	}
	if (p->new_hash != NULL) {
		explicit_bzero(p->new_hash, strlen(p->new_hash));
		free(p->new_hash);
	}
	json_decref(p->res.body);
	explicit_bzero(p, sizeof(*p));
	free(p);
}

/* The caller's hash and whether another attempt is allowed. */
static int
passwd_load_tx(struct db_conn *c, void *arg)
{
	struct passwd_ctx *p = arg;
	struct store_me me = {0};
	int rc;

	if (p->stored != NULL) {
		explicit_bzero(p->stored, strlen(p->stored));
		free(p->stored);
		p->stored = NULL;
	}
	if ((rc = store_me_get(c, &me)) != DB_OK)
		return rc == STORE_NONE ? DB_ERROR : rc;
	/* the same key as log-in's (the stored address is normalised) */
	snprintf(p->acct_key, sizeof(p->acct_key), "acct:%s", me.email);
	store_me_clear(&me);
	rc = store_auth_throttle_allowed(c, p->acct_key, p->max, p->addr_key, p->addr_max,
	                                 p->window, &p->allowed);
	if (rc == DB_OK && !p->allowed)
		rc = store_auth_throttle_wait(c, p->acct_key, p->max, p->addr_key, p->addr_max,
		                              p->window, &p->res.wait);
	if (rc != DB_OK || !p->allowed)
		return rc;
	return store_own_password_hash(c, &p->stored);
}

static void
passwd_work(void *arg)
{
	struct passwd_ctx *p = arg;

	p->ok = crypto_password_verify(p->current, p->stored) == 1;
	if (p->ok)
		p->new_hash = crypto_password_hash(p->fresh);
}

static int
passwd_fail_tx(struct db_conn *c, void *arg)
{
	struct passwd_ctx *p = arg;
	int rc;

	if (p->allowed &&
	    (rc = store_auth_throttle_fail(c, p->acct_key, p->addr_key, p->window)) != DB_OK)
		return rc;
	return api_audit(c, p->r, p->allowed ? "user.password_change_failed" : "login.throttled",
	                 "user", p->r->who.user_id, p->r->who.org_id, NULL, NULL);
}

static int
passwd_set_tx(struct db_conn *c, void *arg)
{
	struct passwd_ctx *p = arg;
	int rc;

	rc = store_own_password_set(c, p->new_hash, p->r->session_id[0] ? p->r->session_id : NULL);
	if (rc != DB_OK)
		return rc == STORE_NONE ? DB_ERROR : rc;
	return api_audit(c, p->r, "user.password_change", "user", p->r->who.user_id,
	                 p->r->who.org_id, NULL, NULL);
}

static int
passwd_refuse(struct http_request *r, struct passwd_ctx *p)
{
	int rc = db_tx(&r->who, "password_fail", passwd_fail_tx, p);

	if (rc == DB_OK)
		rc = p->allowed ? api_fail_field(&p->res, "current_password",
		                                 "does not match your current password")
		                : api_fail(&p->res, PROBLEM_TOO_MANY_REQUESTS, NULL);
	return api_finish(r, rc, &p->res);
}

static int
passwd_resume(struct http_request *r, void *arg)
{
	struct passwd_ctx *p = arg;
	int rc;

	if (!p->ok)
		return passwd_refuse(r, p);
	if (p->new_hash == NULL)
		return api_finish(r, DB_ERROR, &p->res);
	rc = db_tx(&r->who, "password_change", passwd_set_tx, p);
	p->res.status = 204;
	return api_finish(r, rc, &p->res);
}

int
api_me_password_put(struct http_request *r)
{
	struct passwd_ctx *p;
	const char *weak;
	struct api_res res = {0};
	int rc;

	if ((rc = api_check_body(r, passwd_fields)) != HTTP_OK)
		return rc;
	if ((weak = api_password_weak(
	         json_string_value(json_object_get(r->json, "new_password")))) != NULL)
		return api_finish(r, api_fail_field(&res, "new_password", weak), &res);
	if (strcmp(json_string_value(json_object_get(r->json, "new_password")),
	           json_string_value(json_object_get(r->json, "current_password"))) == 0)
		return api_finish(
		    r, api_fail_field(&res, "new_password", "same as the current password"), &res);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	p->r = r;
	p->current = json_string_value(json_object_get(r->json, "current_password"));
	p->fresh = json_string_value(json_object_get(r->json, "new_password"));
	snprintf(p->addr_key, sizeof(p->addr_key), "addr:%s", r->addr);
	snprintf(p->window, sizeof(p->window), "%u", config.login_window);
	snprintf(p->max, sizeof(p->max), "%u", config.login_max_failures);
	snprintf(p->addr_max, sizeof(p->addr_max), "%u", config.login_max_address_failures);
	rc = db_tx(&r->who, "password_load", passwd_load_tx, p);
	if (rc == DB_OK && !p->allowed) {
		rc = passwd_refuse(r, p);
		passwd_free(p);
		return rc;
	}
	if (rc != DB_OK) {
		rc = api_finish(r, rc, &p->res);
		passwd_free(p);
		return rc;
	}
	return http_defer(r, passwd_work, passwd_resume, p, passwd_free);
}

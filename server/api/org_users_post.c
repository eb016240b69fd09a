/*
 * POST /api/v1/orgs/{id}/users {email, name, role, password}: the
 * coordinator creates a user with a password it chose, in any org (for
 * scripted set-ups and tests; people should be invited instead, so that
 * they choose their own password).
 *
 * Only the coordinator: addresses are unique platform-wide (0006), so a
 * 409 here tells that the address has an account somewhere; the
 * coordinator sees every account anyway, an org admin must not, and
 * invites instead (invitations_post.c), which answers the same either
 * way. For an org admin the route is 404, like any route their role may
 * not use.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/email.h"
#include "util/vocab.h"

static int
role_valid(const char *s)
{
	return vocab_has(vocab_user_roles, s);
}

static const struct json_field user_fields[] = {
    {.name = "email",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 3,
     .max_len = 254,
     .valid = api_valid_email},
    {.name = "name",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 200,
     .valid = api_valid_name},
    {.name = "role",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 8,
     .valid = role_valid,
     .rule = "one of admin, member"},
    {.name = "password", .type = JSON_FIELD_STRING, .required = 1, .min_len = 12, .max_len = 1024},
    {.name = NULL}};

struct user_ctx {
	struct http_request *r;
	const char *org;
	char *hash;
	char email[UTIL_EMAIL_MAX + 1];
	struct store_user user; /* the result */
};

static int
user_create_tx(struct db_conn *c, void *arg)
{
	struct user_ctx *u = arg;
	int rc;

	/* the org must be visible to the caller (RLS), else 404 */
	if ((rc = store_org_exists(c, u->org)) != DB_OK)
		return rc;
	rc = store_user_create(
	    c, u->org, u->email, json_string_value(json_object_get(u->r->json, "name")),
	    json_string_value(json_object_get(u->r->json, "role")), u->hash, &u->user);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, u->r, "user.create", "user", u->user.id, u->org, NULL,
	                 json_pack("{s:s}", "role", u->user.role));
}

int
api_org_users_post(struct http_request *r)
{
	struct user_ctx u = {.r = r};
	struct api_res res = {.status = 201};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	u.org = http_param(r, 0);
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, user_fields)) != HTTP_OK)
		return rc;
	if (util_email_normalize(json_string_value(json_object_get(r->json, "email")), u.email) !=
	    0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL); /* checked above */
	{
		const char *weak =
		    api_password_weak(json_string_value(json_object_get(r->json, "password")));

		if (weak != NULL)
			return api_finish(r, api_fail_field(&res, "password", weak), &res);
	}
	u.hash = crypto_password_hash(json_string_value(json_object_get(r->json, "password")));
	if (u.hash == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&r->who, "user_create", user_create_tx, &u);
	free(u.hash);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	else if (rc == DB_UNIQUE)
		rc =
		    api_fail(&res, PROBLEM_CONFLICT, "An account with this e-mail address exists.");
	else if (rc == DB_OK && (res.body = api_user_json(&u.user)) == NULL)
		rc = DB_ERROR;
	store_user_clear(&u.user);
	return api_finish(r, rc, &res);
}

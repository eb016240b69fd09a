/*
 * POST /api/v1/orgs/{id}/users {email, name, role, password}: the
 * coordinator (any org) or the org's own admin creates a user.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int
role_valid(const char *s)
{
	return strcmp(s, "admin") == 0 || strcmp(s, "member") == 0;
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
     .valid = role_valid},
    {.name = "password", .type = JSON_FIELD_STRING, .required = 1, .min_len = 12, .max_len = 1024},
    {.name = NULL}};

struct user_ctx {
	struct http_request *r;
	const char *org;
	char *hash;
	struct api_res res;
};

static int
user_create_tx(struct db_conn *c, void *arg)
{
	struct user_ctx *u = arg;
	const char *pg[1] = {u->org};
	const char *p[5] = {u->org, json_string_value(json_object_get(u->r->json, "email")),
	                    json_string_value(json_object_get(u->r->json, "name")),
	                    json_string_value(json_object_get(u->r->json, "role")), u->hash};
	struct db_result *q;
	enum db_status st;
	int rc;

	/* the org must be visible to the caller (RLS), else 404 */
	if ((q = db_exec(c, "org_get", 1, pg, &st)) == NULL)
		return st;
	rc = db_rows(q);
	db_result_free(q);
	if (rc != 1)
		return api_fail(&u->res, PROBLEM_NOT_FOUND, NULL);
	if ((q = db_exec(c, "user_create", 5, p, &st)) == NULL)
		return st == DB_UNIQUE
		           ? api_fail(&u->res, PROBLEM_CONFLICT,
		                      "This org already has a user with this e-mail address.")
		           : st;
	u->res.body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", db_get(q, 0, 0), "org_id",
	                        db_get(q, 0, 1), "email", db_get(q, 0, 2), "name", db_get(q, 0, 3),
	                        "role", db_get(q, 0, 4), "created_at", db_get(q, 0, 5));
	rc = api_audit(c, u->r, "user.create", "user", db_get(q, 0, 0), u->org, NULL,
	               json_pack("{s:s}", "role", db_get(q, 0, 4)));
	db_result_free(q);
	return rc;
}

int
api_org_users_post(struct http_request *r)
{
	struct user_ctx u = {.r = r, .res = {.status = 201}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	u.org = http_param(r, 0);
	if (!api_is_coordinator(r) && !(api_is_admin(r) && strcmp(r->who.org_id, u.org) == 0))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, user_fields)) != HTTP_OK)
		return rc;
	u.hash = crypto_password_hash(json_string_value(json_object_get(r->json, "password")));
	if (u.hash == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&r->who, user_create_tx, &u);
	free(u.hash);
	return api_finish(r, rc, &u.res);
}

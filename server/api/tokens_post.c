/*
 * POST /api/v1/tokens {name, ttl_days}: the caller creates an API token for
 * scripts and the CLI. The token is returned once; only its SHA-256 is
 * stored. It acts with the caller's identity until it expires or is revoked.
 */
#include "config.h"

#include <stdio.h>

#include "api/api.h"
#include "util/util.h"

static const struct json_field token_fields[] = {
    {.name = "name",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 100,
     .valid = api_valid_name},
    {.name = "ttl_days", .type = JSON_FIELD_INTEGER, .required = 1, .min = 1, .max = 365},
    {.name = NULL}};

struct token_ctx {
	struct http_request *r;
	char hash[2 * CRYPTO_SHA256_LEN + 3];
	char days[16];
	struct api_res res;
};

static int
token_create_tx(struct db_conn *c, void *arg)
{
	struct token_ctx *t = arg;
	const char *p[4] = {t->hash, json_string_value(json_object_get(t->r->json, "name")),
	                    t->days, t->r->addr};
	struct db_result *q;
	enum db_status st;
	int rc;

	if ((q = db_exec(c, "token_create", 4, p, &st)) == NULL)
		return st;
	t->res.body =
	    json_pack("{s:s, s:s, s:s, s:s}", "id", db_get(q, 0, 0), "name", db_get(q, 0, 1),
	              "created_at", db_get(q, 0, 2), "expires_at", db_get(q, 0, 3));
	rc = api_audit(c, t->r, "token.create", "token", db_get(q, 0, 0), t->r->who.org_id, NULL,
	               NULL);
	db_result_free(q);
	return t->res.body ? rc : DB_ERROR;
}

int
api_tokens_post(struct http_request *r)
{
	struct token_ctx t = {.r = r, .res = {.status = 201}};
	char token[CRYPTO_TOKEN_CHARS + 1];
	unsigned char hash[CRYPTO_SHA256_LEN];
	int rc;

	if ((rc = api_check_body(r, token_fields)) != HTTP_OK)
		return rc;
	snprintf(t.days, sizeof(t.days), "%lld",
	         (long long)json_integer_value(json_object_get(r->json, "ttl_days")));
	if (crypto_token_new(token, hash) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	t.hash[0] = '\\';
	t.hash[1] = 'x';
	util_hex_encode(hash, sizeof(hash), t.hash + 2);
	rc = db_tx(&r->who, token_create_tx, &t);
	if (rc == DB_OK)
		json_object_set_new(t.res.body, "token", json_string(token));
	explicit_bzero(token, sizeof(token));
	return api_finish(r, rc, &t.res);
}

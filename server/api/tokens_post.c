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
	unsigned char hash[CRYPTO_SHA256_LEN];
	char days[16];
	struct store_token token; /* the result */
};

static int
token_create_tx(struct db_conn *c, void *arg)
{
	struct token_ctx *t = arg;
	int rc;

	rc = store_token_create(c, t->hash, json_string_value(json_object_get(t->r->json, "name")),
	                        t->days, t->r->addr, &t->token);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, t->r, "token.create", "token", t->token.id, t->r->who.org_id, NULL,
	                 NULL);
}

int
api_tokens_post(struct http_request *r)
{
	struct token_ctx t = {.r = r};
	struct api_res res = {.status = 201};
	char token[CRYPTO_TOKEN_CHARS + 1];
	int rc;

	if ((rc = api_check_body(r, token_fields)) != HTTP_OK)
		return rc;
	snprintf(t.days, sizeof(t.days), "%lld",
	         (long long)json_integer_value(json_object_get(r->json, "ttl_days")));
	if (crypto_token_new(token, t.hash) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&r->who, "token_create", token_create_tx, &t);
	if (rc == DB_OK) {
		/* the answer has no kind: a new token is always "api" */
		res.body =
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", t.token.id, "name",
		              t.token.name ? t.token.name : "", "created_at", t.token.created_at,
		              "expires_at", t.token.expires_at, "token", token);
		if (res.body == NULL)
			rc = DB_ERROR;
	}
	explicit_bzero(token, sizeof(token));
	store_token_clear(&t.token);
	return api_finish(r, rc, &res);
}

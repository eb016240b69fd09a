/*
 * POST /api/v1/tokens {name, ttl_days, scopes?}: the caller creates an API
 * token for scripts and the CLI. The token is returned once; only its
 * SHA-256 is stored. It acts with the caller's identity, limited to its
 * scopes (default ["read"]; the route table says which scope each route
 * needs), until it expires or is revoked.
 *
 * Limits: ttl_days at most LOCKSTEP_TOKEN_MAX_DAYS (90); a token made with
 * an API token never outlives it and never has a scope it lacks (403
 * insufficient-scope).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "conf.h"
#include "util/util.h"
#include "util/vocab.h"

static int
token_valid_scope(const char *s)
{
	return vocab_has(vocab_token_scopes, s);
}

static const struct json_field token_fields[] = {
    {.name = "name",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 100,
     .valid = api_valid_name},
    {.name = "ttl_days", .type = JSON_FIELD_INTEGER, .required = 1, .min = 1, .max = 365},
    {.name = "scopes",
     .type = JSON_FIELD_STRING_ARRAY,
     .min_len = 1,
     .max_len = 32,
     .max_items = 16,
     .valid = token_valid_scope,
     .rule = "one of read, findings:write, evidence:write, claims:write, statements:write, "
             "campaigns:write, users:write, account:write"},
    {.name = NULL}};

struct token_ctx {
	struct http_request *r;
	unsigned char hash[CRYPTO_SHA256_LEN];
	char days[24];
	char *scopes;             /* JSON array text, owned */
	struct store_token token; /* the result */
};

static int
token_create_tx(struct db_conn *c, void *arg)
{
	struct token_ctx *t = arg;
	int rc;

	rc = store_token_create(c, t->hash, json_string_value(json_object_get(t->r->json, "name")),
	                        t->days, t->r->addr, t->scopes, t->r->session_id, &t->token);
	if (rc != DB_OK)
		return rc;
	/* O borrows the scopes */
	return api_audit(
	    c, t->r, "token.create", "token", t->token.id, t->r->who.org_id, NULL,
	    json_pack("{s:O, s:s}", "scopes", t->token.scopes, "expires_at", t->token.expires_at));
}

int
api_tokens_post(struct http_request *r)
{
	struct token_ctx t = {.r = r};
	struct api_res res = {.status = 201};
	char token[CRYPTO_TOKEN_CHARS + 1];
	json_t *scopes = json_object_get(r->json, "scopes"), *v, *set;
	unsigned bits = 0;
	long long days;
	size_t i;
	int rc;

	if ((rc = api_check_body(r, token_fields)) != HTTP_OK)
		return rc;
	days = (long long)json_integer_value(json_object_get(r->json, "ttl_days"));
	if (days > (long long)config.token_max_days) {
		char reason[80];

		snprintf(reason, sizeof(reason), "at most %u days (LOCKSTEP_TOKEN_MAX_DAYS)",
		         config.token_max_days);
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "ttl_days", reason);
	}
	/* the scopes, each once, in vocabulary order */
	if (scopes == NULL)
		bits = VOCAB_SCOPE_READ;
	json_array_foreach(scopes, i, v) bits |=
	    1u << vocab_index(vocab_token_scopes, json_string_value(v));
	if (bits == 0)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "scopes",
		                        "required, at least one scope, e.g. [\"read\"]");
	if (r->scopes & VOCAB_SCOPE_ENROL_ONLY)
		return http_reply_problem(r, PROBLEM_INSUFFICIENT_SCOPE,
		                          "Set up the second factor and log in again first.");
	if (r->api_token && (bits & ~r->scopes) != 0)
		return http_reply_problem(r, PROBLEM_INSUFFICIENT_SCOPE,
		                          "A token cannot make a token with a scope it lacks.");
	if ((set = json_array()) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	for (int k = 0; vocab_token_scopes[k] != NULL; k++)
		if (bits & (1u << k))
			json_array_append_new(set, json_string(vocab_token_scopes[k]));
	t.scopes = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	if (t.scopes == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	snprintf(t.days, sizeof(t.days), "%lld", days);
	if (crypto_token_new(token, t.hash) != 0) {
		free(t.scopes);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	rc = db_tx(&r->who, "token_create", token_create_tx, &t);
	if (rc == DB_OK) {
		/* the answer has no kind: a new token is always "api"; O borrows the scopes */
		res.body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "id", t.token.id, "name",
		                     t.token.name ? t.token.name : "", "created_at",
		                     t.token.created_at, "expires_at", t.token.expires_at, "token",
		                     token, "scopes", t.token.scopes);
		if (res.body == NULL)
			rc = DB_ERROR;
	}
	explicit_bzero(token, sizeof(token));
	free(t.scopes);
	store_token_clear(&t.token);
	return api_finish(r, rc, &res);
}

/*
 * POST /api/v1/orgs/{id}/invitations {email, name, role}: the org's admin
 * (or the coordinator, for any org) invites a person. The answer carries
 * the invitation link (shown once; only the SHA-256 of its 32 random
 * bytes is stored) for the admin to pass on; with LOCKSTEP_SMTP_URL set
 * it is mailed to the address too.
 *
 * No oracle: the invitation is created the same way whether or not the
 * address already has an account, here or in any other org — the handler
 * never looks. Only using the link finds out (account_accept_post.c), and
 * that answers the same in both cases.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "conf.h"
#include "util/email.h"
#include "util/vocab.h"

static int
invite_role_valid(const char *s)
{
	return vocab_has(vocab_user_roles, s);
}

static const struct json_field invite_fields[] = {{.name = "email",
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
                                                   .valid = invite_role_valid,
                                                   .rule = "one of admin, member"},
                                                  {.name = NULL}};

struct invite_ctx {
	struct http_request *r;
	const char *org;
	char email[UTIL_EMAIL_MAX + 1];
	unsigned char hash[CRYPTO_SHA256_LEN];
	char ttl[16];
	struct store_link link; /* the result */
	struct api_res *res;
};

/* Pending invitations an org may have at once (revoke some to make more). */
#define INVITE_MAX_PENDING 200

void
api_link_url(const char *token, char *out, size_t outlen)
{
	char base[512];
	size_t n;

	if (config.public_url[0] != '\0')
		snprintf(base, sizeof(base), "%s", config.public_url);
	else
		snprintf(base, sizeof(base), "http://%s:%u", config.listen_address, config.port);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	/* the token rides in the fragment: never sent to a server, never in a
	 * log or a Referer; the web client reads and forgets it */
	snprintf(out, outlen, "%s/#link=%s", base, token);
}

json_t *
api_link_json(const struct store_link *l)
{
	const char *status = l->revoked_at[0] ? "revoked"
	                     : l->used_at[0]  ? "used"
	                     : l->expired     ? "expired"
	                                      : "pending";

	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s?, s:s?}", "id",
	                 l->id, "kind", l->kind, "org_id", l->org_id, "email", l->email, "name",
	                 l->name, "role", l->role[0] ? l->role : NULL, "user_id",
	                 l->user_id[0] ? l->user_id : NULL, "created_at", l->created_at,
	                 "expires_at", l->expires_at, "status", status, "used_at",
	                 l->used_at[0] ? l->used_at : NULL, "revoked_at",
	                 l->revoked_at[0] ? l->revoked_at : NULL);
}

static int
invite_tx(struct db_conn *c, void *arg)
{
	struct invite_ctx *v = arg;
	long long pending;
	int rc;

	store_link_clear(&v->link);
	/* the org must be visible to the caller (RLS), else 404 */
	if ((rc = store_org_exists(c, v->org)) != DB_OK)
		return rc;
	if ((rc = store_link_pending(c, v->org, &pending)) != DB_OK)
		return rc;
	if (pending >= INVITE_MAX_PENDING)
		return api_fail(
		    v->res, PROBLEM_INVALID_STATE,
		    "This organisation has 200 pending invitations: revoke some first.");
	rc = store_link_create(c, "invite", v->hash, v->org, v->email,
	                       json_string_value(json_object_get(v->r->json, "name")),
	                       json_string_value(json_object_get(v->r->json, "role")), NULL, v->ttl,
	                       &v->link);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, v->r, "invitation.create", "invitation", v->link.id, v->org, NULL,
	                 json_pack("{s:s, s:s}", "email", v->email, "role", v->link.role));
}

int
api_invitations_post(struct http_request *r)
{
	struct invite_ctx v = {.r = r};
	struct api_res res = {.status = 201};
	char token[CRYPTO_TOKEN_CHARS + 1], url[1024];
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	v.org = http_param(r, 0);
	v.res = &res;
	if (!api_is_coordinator(r) && !(api_is_admin(r) && strcmp(r->who.org_id, v.org) == 0))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, invite_fields)) != HTTP_OK)
		return rc;
	if (util_email_normalize(json_string_value(json_object_get(r->json, "email")), v.email) !=
	    0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL); /* checked above */
	if (crypto_token_new(token, v.hash) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	snprintf(v.ttl, sizeof(v.ttl), "%u", config.invite_ttl);
	rc = db_tx(&r->who, "invitation_create", invite_tx, &v);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK) {
		api_link_url(token, url, sizeof(url));
		res.body = api_link_json(&v.link);
		if (res.body == NULL ||
		    json_object_set_new(res.body, "token", json_string(token)) != 0 ||
		    json_object_set_new(res.body, "link", json_string(url)) != 0)
			rc = DB_ERROR;
		else
			json_object_set_new(
			    res.body, "mailed",
			    json_boolean(api_mail_link(v.email, "invite", url) == 0));
	}
	explicit_bzero(token, sizeof(token));
	explicit_bzero(url, sizeof(url));
	store_link_clear(&v.link);
	return api_finish(r, rc, &res);
}

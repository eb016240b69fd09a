/*
 * POST /api/v1/orgs/{id}/webhooks {url, secret?, events?: [type]}: an org
 * admin (the coordinator's too) adds a webhook of their own org (anyone else: 404). The secret is
 * the HMAC-SHA256 key of the signatures; without one lockstepd makes 32
 * random bytes (64 hex characters). It is answered once, in this 201, and
 * kept sealed under the master key. events: the event types delivered
 * (empty or absent: all). At most 10 webhooks per org. URLs: see
 * notify_url_check (http/https, no loopback/private/link-local address).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "notify/notify.h"
#include "util/util.h"

#define WEBHOOKS_PER_ORG 10

static int
secret_valid(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static const struct json_field webhook_fields[] = {
    {.name = "url",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 10,
     .max_len = 2000,
     .valid = api_valid_name},
    {.name = "secret",
     .type = JSON_FIELD_STRING,
     .min_len = 24,
     .max_len = 256,
     .valid = secret_valid,
     .rule = "without spaces, control characters or characters outside ASCII"},
    {.name = "events",
     .type = JSON_FIELD_STRING_ARRAY,
     .min_len = 3,
     .max_len = 64,
     .max_items = 32,
     .valid = notify_event_known,
     .rule = "an event type listed in docs/API.md (Notifications), e.g. finding.created"},
    {.name = NULL}};

struct webhook_ctx {
	struct http_request *r;
	char id[DB_UUID_LEN + 1];
	const char *url;
	char *secret;
	char *events;
	struct store_webhook row; /* the result */
	struct api_res res;
};

static int
webhook_tx(struct db_conn *c, void *arg)
{
	struct webhook_ctx *k = arg;
	struct store_webhook *rows = NULL;
	int n = 0, rc;

	store_webhook_clear(&k->row);
	/* concurrent additions count one after the other (READ COMMITTED:
	 * the list below sees every one committed before the lock) */
	if ((rc = store_webhooks_lock(c)) != DB_OK)
		return rc;
	if ((rc = store_webhook_list(c, &rows, &n)) != DB_OK)
		return rc;
	store_webhooks_free(rows, n);
	if (n >= WEBHOOKS_PER_ORG)
		return api_fail(&k->res, PROBLEM_CONFLICT, "An org has at most 10 webhooks.");
	if ((rc = store_webhook_create(c, k->id, k->url, k->secret, k->events, &k->row)) != DB_OK)
		return rc;
	return api_audit(c, k->r, "webhook.create", "webhook", k->id, k->r->who.org_id, NULL,
	                 json_pack("{s:s}", "url", k->url));
}

json_t *
api_webhook_json(const struct store_webhook *w)
{
	return json_pack("{s:s, s:s, s:s, s:O, s:b, s:s, s:s}", "id", w->id, "org_id", w->org_id,
	                 "url", w->url, "events", w->events, "active", w->active, "created_by",
	                 w->created_by, "created_at", w->created_at);
}

int
api_org_webhooks_post(struct http_request *r)
{
	struct webhook_ctx k = {.r = r, .res = {.status = 201}};
	unsigned char raw[32];
	char why[120];
	json_t *ev, *secret;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_admin(r) || strcmp(http_param(r, 0), r->who.org_id) != 0)
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, webhook_fields)) != HTTP_OK)
		return rc;
	k.url = json_string_value(json_object_get(r->json, "url"));
	if (notify_url_check(k.url, why, sizeof(why)) != 0)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "url", why);
	secret = json_object_get(r->json, "secret");
	if (secret != NULL) {
		k.secret = strdup(json_string_value(secret));
	} else if (crypto_random(raw, sizeof(raw)) == 0 &&
	           (k.secret = malloc(2 * sizeof(raw) + 1)) != NULL) {
		util_hex_encode(raw, sizeof(raw), k.secret);
	}
	explicit_bzero(raw, sizeof(raw));
	ev = json_object_get(r->json, "events");
	k.events = ev ? json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
	if (k.secret == NULL || k.events == NULL || api_new_uuid(k.id) != 0) {
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
		goto done;
	}
	rc = db_tx(&r->who, "webhook_create", webhook_tx, &k);
	if (rc == DB_DENIED)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK) {
		k.res.body = api_webhook_json(&k.row);
		/* the secret is shown this once */
		if (k.res.body == NULL ||
		    json_object_set_new(k.res.body, "secret", json_string(k.secret)) != 0)
			rc = DB_ERROR;
	}
	store_webhook_clear(&k.row);
	rc = api_finish(r, rc, &k.res);
done:
	if (k.secret != NULL)
		store_secret_free(k.secret, strlen(k.secret));
	free(k.events);
	return rc;
}

/*
 * GET /api/v1/me/notifications: the caller's notification settings,
 *   {"email": bool, "mail_configured": bool}. email is the caller's
 *   choice (on unless turned off); mail_configured says whether this
 *   server has a relay (LOCKSTEP_SMTP_URL), i.e. whether e-mail is sent
 *   at all.
 * PUT /api/v1/me/notifications {"email": bool}: turn e-mail notifications
 *   on or off for the caller (audited as account.notifications). Off
 *   also stops the mail of events already queued.
 * The in-app inbox and the org's webhooks are not affected.
 */
#include "config.h"

#include "api/api.h"
#include "conf.h"

static const struct json_field notification_fields[] = {
    {.name = "email", .type = JSON_FIELD_BOOLEAN, .required = 1}, {.name = NULL}};

struct notifications_ctx {
	struct http_request *r;
	int set, email, out;
};

static int
notifications_tx(struct db_conn *c, void *arg)
{
	struct notifications_ctx *k = arg;
	int rc;

	if ((rc = store_mail_pref(c, k->set, k->email, &k->out)) != DB_OK || !k->set)
		return rc;
	return api_audit(c, k->r, "account.notifications", "user", k->r->who.user_id, NULL, NULL,
	                 json_pack("{s:b}", "email", k->out));
}

static int
notifications_reply(struct http_request *r, struct notifications_ctx *k)
{
	struct api_res res = {.status = 200};
	int rc = db_tx(&r->who, k->set ? "mail_pref_put" : "mail_pref_get", notifications_tx, k);

	if (rc == DB_OK && (res.body = json_pack("{s:b, s:b}", "email", k->out, "mail_configured",
	                                         config.smtp_url[0] != '\0')) == NULL)
		rc = DB_ERROR;
	return api_finish(r, rc, &res);
}

int
api_me_notifications_get(struct http_request *r)
{
	struct notifications_ctx k = {.r = r};

	return notifications_reply(r, &k);
}

int
api_me_notifications_put(struct http_request *r)
{
	struct notifications_ctx k = {.r = r, .set = 1};
	int rc;

	if ((rc = api_check_body(r, notification_fields)) != HTTP_OK)
		return rc;
	k.email = json_is_true(json_object_get(r->json, "email"));
	return notifications_reply(r, &k);
}

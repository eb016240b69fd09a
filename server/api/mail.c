/*
 * api/mail.c: sending an invitation or reset link by mail, through the
 * SMTP relay of LOCKSTEP_SMTP_URL (notify_smtp_send, notify/mail.c).
 * Without that setting nothing is mailed and the admin passes the link on.
 *
 * A slow or broken relay costs the request at most LOCKSTEP_WEBHOOK_TIMEOUT
 * seconds; a failure is logged (without the link) and the answer says
 * "mailed": false, so the admin knows to pass the link on.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "conf.h"
#include "notify/notify.h"
#include "util/log.h"

int
api_mail_link(const char *to, const char *kind, const char *url)
{
	char text[4096], why[200];
	int reset = strcmp(kind, "reset") == 0, n, rc;

	if (config.smtp_url[0] == '\0')
		return -1;
	n = snprintf(text, sizeof(text),
	             "%s\n\n%s\n\nThe link works once and expires. If you did not "
	             "expect this message, ignore it.\n",
	             reset ? "An administrator of your organisation asked for a new password for "
	                     "your lockstep account. Open this link to choose it:"
	                   : "You have been invited to lockstep. Open this link to choose your "
	                     "password:",
	             url);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	rc = notify_smtp_send(to,
	                      reset ? "Set a new lockstep password" : "You are invited to lockstep",
	                      text, why, sizeof(why));
	if (rc != 0)
		log_event(LOG_LEVEL_WARN, "mail_failed",
		          json_pack("{s:s, s:s}", "kind", kind, "error", why));
	explicit_bzero(text, sizeof(text));
	return rc;
}

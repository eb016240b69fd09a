/*
 * api/mail.c: sending an invitation or reset link by mail, through the
 * SMTP relay of LOCKSTEP_SMTP_URL (libcurl's SMTP: smtp:// or smtps://,
 * with user:password@ in the URL when the relay needs them). Without that
 * setting nothing is mailed and the admin passes the link on.
 *
 * A slow or broken relay costs the request at most API_MAIL_TIMEOUT
 * seconds; a failure is logged (without the link) and the answer says
 * "mailed": false, so the admin knows to pass the link on.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "api/api.h"
#include "conf.h"
#include "util/log.h"

#define API_MAIL_TIMEOUT 10L

struct mail_body {
	const char *data;
	size_t len, off;
};

static size_t
mail_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct mail_body *b = arg;
	size_t n = size * nitems;

	if (n > b->len - b->off)
		n = b->len - b->off;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return n;
}

/* 1 if s is safe inside a header line (no CR, LF or other control). */
static int
mail_header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int
api_mail_link(const char *to, const char *kind, const char *url)
{
	char msg[4096], rcpt[300], from[300];
	struct mail_body body = {0};
	struct curl_slist *list = NULL;
	CURL *curl;
	CURLcode cc = CURLE_FAILED_INIT;
	int n;

	if (config.smtp_url[0] == '\0')
		return -1;
	if (!mail_header_safe(to) || !mail_header_safe(config.smtp_from))
		return -1;
	n = snprintf(msg, sizeof(msg),
	             "From: lockstep <%s>\r\n"
	             "To: <%s>\r\n"
	             "Subject: %s\r\n"
	             "MIME-Version: 1.0\r\n"
	             "Content-Type: text/plain; charset=utf-8\r\n"
	             "Content-Transfer-Encoding: 8bit\r\n"
	             "\r\n"
	             "%s\r\n\r\n%s\r\n\r\n"
	             "The link works once and expires. If you did not expect this message, "
	             "ignore it.\r\n",
	             config.smtp_from, to,
	             strcmp(kind, "reset") == 0 ? "Set a new lockstep password"
	                                        : "You are invited to lockstep",
	             strcmp(kind, "reset") == 0
	                 ? "An administrator of your organisation asked for a new password for "
	                   "your lockstep account. Open this link to choose it:"
	                 : "You have been invited to lockstep. Open this link to choose your "
	                   "password:",
	             url);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	body.data = msg;
	body.len = (size_t)n;
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	snprintf(from, sizeof(from), "<%s>", config.smtp_from);
	if ((curl = curl_easy_init()) == NULL)
		goto done;
	list = curl_slist_append(NULL, rcpt);
	curl_easy_setopt(curl, CURLOPT_URL, config.smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &body);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, API_MAIL_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	cc = curl_easy_perform(curl);
done:
	if (cc != CURLE_OK)
		log_event(LOG_LEVEL_WARN, "mail_failed",
		          json_pack("{s:s, s:s}", "kind", kind, "error", curl_easy_strerror(cc)));
	curl_slist_free_all(list);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	explicit_bzero(msg, sizeof(msg));
	return cc == CURLE_OK ? 0 : -1;
}

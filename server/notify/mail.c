/*
 * notify/mail.c: e-mail through the SMTP relay of LOCKSTEP_SMTP_URL
 * (libcurl's SMTP: smtp:// or smtps://, user:password@ in the URL when the
 * relay needs them): the one sender (notify_smtp_send, also used for
 * invitation and reset links by api/mail.c) and the e-mail notification
 * round of the delivery worker (notify_mail_run_once).
 *
 * A notification mail says what happened and where to look: the event's
 * kind, its time and a link into the web client. Never a title, a text, a
 * name or an org: mail crosses relays lockstep does not control, and the
 * reader logs in to see the rest. One message per user and round lists
 * all that user's due events (at most 50), and a user gets at most one
 * message per LOCKSTEP_MAIL_INTERVAL seconds, so an import of a thousand
 * findings is one mail, not a thousand.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "conf.h"
#include "db/db.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/log.h"
#include "util/util.h"

/* how many users one round mails at most */
#define MAIL_USERS 16
/* a mail's text, at most (50 events of at most ~300 bytes each, and the frame) */
#define MAIL_MAX 20000

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
notify_smtp_send(const char *to, const char *subject, const char *text, char *why, size_t whylen)
{
	char rcpt[300], from[300], date[64];
	struct mail_body body = {0};
	struct curl_slist *list = NULL;
	size_t tl = strlen(text), cap = tl * 2 + 2048, n;
	char *msg = NULL;
	CURL *curl = NULL;
	CURLcode cc = CURLE_FAILED_INIT;
	time_t now = time(NULL);
	struct tm tm;

	why[0] = '\0';
	if (config.smtp_url[0] == '\0') {
		snprintf(why, whylen, "no relay configured");
		return -1;
	}
	if (!mail_header_safe(to) || !mail_header_safe(config.smtp_from) ||
	    !mail_header_safe(subject) || strlen(to) > 254 || strlen(subject) > 200) {
		snprintf(why, whylen, "an address or the subject cannot be put in a header");
		return -1;
	}
	if ((msg = malloc(cap)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	n = (size_t)snprintf(msg, cap,
	                     "From: lockstep <%s>\r\n"
	                     "To: <%s>\r\n"
	                     "Subject: %s\r\n"
	                     "Date: %s\r\n"
	                     "Auto-Submitted: auto-generated\r\n"
	                     "MIME-Version: 1.0\r\n"
	                     "Content-Type: text/plain; charset=utf-8\r\n"
	                     "Content-Transfer-Encoding: 8bit\r\n"
	                     "\r\n",
	                     config.smtp_from, to, subject, date);
	/* the text with bare LF as CRLF, and a leading dot doubled (RFC 5321 4.5.2) */
	for (size_t i = 0; i < tl && n + 4 < cap; i++) {
		if (text[i] == '.' && (i == 0 || text[i - 1] == '\n'))
			msg[n++] = '.';
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			msg[n++] = '\r';
		msg[n++] = text[i];
	}
	msg[n++] = '\r';
	msg[n++] = '\n';
	body.data = msg;
	body.len = n;
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	snprintf(from, sizeof(from), "<%s>", config.smtp_from);
	if ((curl = curl_easy_init()) == NULL || (list = curl_slist_append(NULL, rcpt)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, config.smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &body);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)config.webhook_timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK)
		snprintf(why, whylen, "%s", curl_easy_strerror(cc));
done:
	curl_slist_free_all(list);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	explicit_bzero(msg, cap);
	free(msg);
	return cc == CURLE_OK ? 0 : -1;
}

/* What an event type means, in words (no object's content). */
static const char *
mail_event_words(const char *type)
{
	static const struct {
		const char *type, *words;
	} t[] = {
	    {"finding.created", "A finding was recorded in one of your engagements."},
	    {"finding.changed", "A finding of one of your engagements was changed."},
	    {"finding.comment", "A finding has a new comment."},
	    {"finding.retested", "A finding was retested."},
	    {"finding.deadline_near", "A finding's remediation deadline is near."},
	    {"risk.requested", "A risk acceptance was requested."},
	    {"risk.decided", "A risk acceptance was decided."},
	    {"risk.expired", "An accepted risk expired."},
	    {"stage.changed", "An engagement moved to another stage."},
	    {"review.opened", "A review draft is ready for you to read."},
	    {"draft.changed", "A review draft changed."},
	    {"review.answered", "A company signed off or answered its review draft."},
	    {"release.held", "A release is held because of a text."},
	    {"release.decision", "The coordinator decided on a held release."},
	    {"release.published", "A publication was released."},
	    {"commitment.declared", "A company declared a security commitment for you to assess."},
	    {"commitment.verdict", "An assessor gave a verdict on one of your commitments."},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].type, type) == 0)
			return t[i].words;
	return "Something happened in one of your engagements.";
}

/* base URL of the web client, without a trailing slash */
static void
mail_base(char *out, size_t outlen)
{
	size_t n;

	if (config.public_url[0] != '\0')
		snprintf(out, outlen, "%s", config.public_url);
	else
		snprintf(out, outlen, "http://%s:%u", config.listen_address, config.port);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
}

/* 1 if s is a bare id (letters, digits, '-'): safe in a link */
static int
mail_id_safe(const char *s)
{
	if (s[0] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

size_t
notify_mail_compose(const struct store_mail *rows, int n, char *subject, size_t sublen, char *text,
                    size_t textlen)
{
	char base[512];
	size_t off = 0;

	mail_base(base, sizeof(base));
	if (n == 1)
		snprintf(subject, sublen, "lockstep: %s", mail_event_words(rows[0].type));
	else
		snprintf(subject, sublen, "lockstep: %d new notifications", n);
	/* the subject without the sentence's final full stop */
	if (strlen(subject) > 0 && subject[strlen(subject) - 1] == '.')
		subject[strlen(subject) - 1] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		int k_ = snprintf(off < textlen ? text + off : NULL,                               \
		                  off < textlen ? textlen - off : 0, __VA_ARGS__);                 \
		if (k_ > 0)                                                                        \
			off += (size_t)k_;                                                         \
	} while (0)
	ADD("There is news for you in lockstep:\n\n");
	for (int i = 0; i < n; i++) {
		const struct store_mail *m = &rows[i];

		ADD("- %s  %s\n", m->created_at, mail_event_words(m->type));
		if (strcmp(m->object_type, "finding") == 0 && mail_id_safe(m->object_id))
			ADD("  %s/#/findings/%s\n", base, m->object_id);
		else if (mail_id_safe(m->engagement_id))
			ADD("  %s/#/engagements/%s\n", base, m->engagement_id);
		else if (mail_id_safe(m->campaign_id))
			ADD("  %s/#/campaigns/%s\n", base, m->campaign_id);
		else
			ADD("  %s/#/inbox\n", base);
	}
	ADD("\nlockstep mails only what happened and where, never a title or a text:"
	    " log in to read the rest. Your inbox: %s/#/inbox\n"
	    "To stop these messages, turn e-mail notifications off on your account page:"
	    " %s/#/account\n",
	    base, base);
#undef ADD
	if (off >= textlen && textlen > 0)
		off = textlen - 1;
	return off;
}

static const struct util_identity mailer = {.org_kind = "notifier"};

struct mail_claim_ctx {
	struct store_mail *rows;
	int n;
};

static int
mail_claim_tx(struct db_conn *c, void *arg)
{
	struct mail_claim_ctx *k = arg;
	int lease = (int)config.webhook_timeout * (MAIL_USERS + 1) + 30;

	store_mails_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_mail_claim(c, MAIL_USERS, lease, (int)config.mail_interval,
	                        (int)config.mail_max_age, &k->rows, &k->n);
}

struct mail_report_ctx {
	long long *ids;
	int n, ok;
	const char *why;
};

static int
mail_report_tx(struct db_conn *c, void *arg)
{
	struct mail_report_ctx *k = arg;

	return store_mail_report(c, k->ids, k->n, k->ok, k->why, (int)config.mail_max_attempts,
	                         config.mail_backoff_ms / 1000.0);
}

int
notify_mail_run_once(void)
{
	struct mail_claim_ctx k = {0};
	char *text = NULL;
	long long *ids = NULL;
	int sent = 0;

	if (config.smtp_url[0] == '\0' || !config.mail_notifications)
		return 0;
	if (db_tx(&mailer, "mail_claim", mail_claim_tx, &k) != DB_OK)
		return -1;
	if (k.n == 0)
		return 0;
	if ((text = malloc(MAIL_MAX)) == NULL || (ids = calloc((size_t)k.n, sizeof(*ids))) == NULL)
		goto done; /* the lease runs out and the rows are tried again */
	for (int i = 0; i < k.n;) {
		int j = i, nid = 0;
		char subject[256], why[200] = "";
		struct mail_report_ctx rep = {.ids = ids, .why = why};

		while (j < k.n && strcmp(k.rows[j].user_id, k.rows[i].user_id) == 0)
			ids[nid++] = k.rows[j++].id;
		notify_mail_compose(k.rows + i, j - i, subject, sizeof(subject), text, MAIL_MAX);
		rep.n = nid;
		rep.ok = notify_smtp_send(k.rows[i].email, subject, text, why, sizeof(why)) == 0;
		if (db_tx(&mailer, "mail_report", mail_report_tx, &rep) != DB_OK)
			log_event(LOG_LEVEL_WARN, "mail_report_failed",
			          json_pack("{s:s}", "user", k.rows[i].user_id));
		log_event(rep.ok ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "mail_attempt",
		          json_pack("{s:s, s:i, s:I, s:b, s:s}", "user", k.rows[i].user_id,
		                    "events", nid, "attempt", (json_int_t)k.rows[i].attempts, "ok",
		                    rep.ok, "error", why));
		sent += rep.ok;
		i = j;
	}
done:
	free(ids);
	free(text);
	store_mails_free(k.rows, k.n);
	return sent;
}

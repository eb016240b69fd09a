/*
 * store/notify.c: notifications. store_notify_event is the one entry point
 * every event goes through (the SQL function notify_event writes the inbox
 * rows and queues the webhook deliveries); the rest reads the inbox, keeps
 * each org's webhooks (secrets sealed under the master key) and serves the
 * delivery worker (server/notify/).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/locks.h"
#include "store/store.h"
#include "store/tables.h"

struct notify_count {
	long long n;
};

static const struct db_field count_row[] = {DB_FIELD(DB_T_INT, struct notify_count, n, "n"),
                                            DB_FIELD_END};

#define N(type, member, col) DB_FIELD(type, struct store_notification, member, col)
static const struct db_field notification_row[] = {N(DB_T_STR, id, "id"),
                                                   N(DB_T_STR, type, "type"),
                                                   N(DB_T_STR, campaign_id, "campaign_id"),
                                                   N(DB_T_STR, engagement_id, "engagement_id"),
                                                   N(DB_T_STR, object_type, "object_type"),
                                                   N(DB_T_STR, object_id, "object_id"),
                                                   N(DB_T_TEXT, campaign_title, "campaign_title"),
                                                   N(DB_T_STR, created_at, "created_at"),
                                                   N(DB_T_BOOL, read, "read"),
                                                   DB_FIELD_END};
#undef N

#define W(type, member, col) DB_FIELD(type, struct store_webhook, member, col)
static const struct db_field webhook_row[] = {W(DB_T_STR, id, "id"),
                                              W(DB_T_STR, org_id, "org_id"),
                                              W(DB_T_TEXT, url, "url"),
                                              W(DB_T_JSON, events, "events"),
                                              W(DB_T_BOOL, active, "active"),
                                              W(DB_T_STR, created_by, "created_by"),
                                              W(DB_T_STR, created_at, "created_at"),
                                              DB_FIELD_END};
#undef W
#define WEBHOOK_COLS                                                                               \
	"id, org_id, url, to_jsonb(events) AS events, active, created_by,"                         \
	" ls_ts(created_at) AS created_at"

#define D(type, member, col) DB_FIELD(type, struct store_delivery, member, col)
static const struct db_field delivery_row[] = {D(DB_T_STR, id, "id"),
                                               D(DB_T_STR, webhook_id, "webhook_id"),
                                               D(DB_T_STR, event_type, "event_type"),
                                               D(DB_T_JSON, payload, "payload"),
                                               D(DB_T_STR, state, "state"),
                                               D(DB_T_INT, attempts, "attempts"),
                                               D(DB_T_INT, last_status, "last_status"),
                                               D(DB_T_TEXT, last_error, "last_error"),
                                               D(DB_T_STR, created_at, "created_at"),
                                               D(DB_T_STR, next_attempt_at, "next_attempt_at"),
                                               D(DB_T_STR, delivered_at, "delivered_at"),
                                               DB_FIELD_END};
#undef D

/* a leased delivery as read: the secret still sealed */
struct lease_raw {
	struct store_lease l;
	struct db_bytes secret;
};
#define L(type, member, col) DB_FIELD(type, struct lease_raw, l.member, col)
static const struct db_field lease_row[] = {
    L(DB_T_STR, id, "id"),
    L(DB_T_STR, webhook_id, "webhook_id"),
    L(DB_T_TEXT, url, "url"),
    DB_FIELD(DB_T_BYTEA, struct lease_raw, secret, "secret"),
    L(DB_T_STR, event_type, "event_type"),
    L(DB_T_TEXT, payload, "payload"),
    L(DB_T_INT, attempts, "attempts"),
    DB_FIELD_END};
#undef L
static const struct db_field lease_opened[] = {
    DB_FIELD(DB_T_TEXT, struct store_lease, url, "url"),
    DB_FIELD(DB_T_TEXT, struct store_lease, payload, "payload"), DB_FIELD_END};

#define M(type, member, col) DB_FIELD(type, struct store_mail, member, col)
static const struct db_field mail_row[] = {M(DB_T_INT, id, "id"),
                                           M(DB_T_STR, user_id, "user_id"),
                                           M(DB_T_STR, email, "email"),
                                           M(DB_T_STR, type, "type"),
                                           M(DB_T_STR, campaign_id, "campaign_id"),
                                           M(DB_T_STR, engagement_id, "engagement_id"),
                                           M(DB_T_STR, object_type, "object_type"),
                                           M(DB_T_STR, object_id, "object_id"),
                                           M(DB_T_STR, created_at, "created_at"),
                                           M(DB_T_INT, attempts, "attempts"),
                                           DB_FIELD_END};
#undef M

struct pref {
	int email;
};
static const struct db_field pref_row[] = {DB_FIELD(DB_T_BOOL, struct pref, email, "email"),
                                           DB_FIELD_END};

const struct db_statement store_notify_statements[] = {
    {"notify_event",
     "SELECT notify_event($1, $2::uuid, $3::uuid, $4, $5,"
     " ARRAY(SELECT jsonb_array_elements_text($6::jsonb))) AS n",
     count_row},
    {"inbox_list",
     "SELECT n.id, n.type, coalesce(n.campaign_id::text, '') AS campaign_id,"
     " coalesce(n.engagement_id::text, '') AS engagement_id,"
     " coalesce(n.object_type, '') AS object_type, coalesce(n.object_id, '') AS object_id,"
     " c.title AS campaign_title, ls_ts(n.created_at) AS created_at,"
     " (n.read_at IS NOT NULL) AS read"
     " FROM notifications n LEFT JOIN campaigns c ON c.id = n.campaign_id"
     " WHERE ($1::uuid IS NULL OR (n.created_at, n.id) < (SELECT t.created_at, t.id"
     " FROM notifications t WHERE t.id = $1::uuid))"
     " AND (NOT $3::boolean OR n.read_at IS NULL)"
     " ORDER BY n.created_at DESC, n.id DESC LIMIT $2::int",
     notification_row},
    {"inbox_unread", "SELECT count(*) AS n FROM notifications WHERE read_at IS NULL", count_row},
    {"inbox_mark",
     "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1::uuid"
     " RETURNING 1 AS n",
     count_row},
    {"inbox_mark_all",
     "WITH u AS (UPDATE notifications SET read_at = now() WHERE read_at IS NULL RETURNING 1)"
     " SELECT count(*) AS n FROM u",
     count_row},
    {"webhooks_lock",
     "SELECT 1 AS n FROM pg_advisory_xact_lock(" DB_LOCK_WEBHOOKS_ORG ", hashtext(ls_org()::text))",
     count_row},
    {"webhook_create",
     "INSERT INTO webhooks (id, org_id, url, secret, events, created_by)"
     " VALUES ($1::uuid, ls_org(), $2, $3::bytea, " STORE_JSON_ARRAY(
         "$4") ", ls_uid())"
               " RETURNING " WEBHOOK_COLS,
     webhook_row},
    {"webhook_get", "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = $1::uuid", webhook_row},
    {"webhooks_list",
     "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY webhooks.created_at, webhooks.id LIMIT 100",
     webhook_row},
    {"webhook_delete", "DELETE FROM webhooks WHERE id = $1::uuid RETURNING 1 AS n", count_row},
    {"webhook_count", "SELECT count(*) AS n FROM webhooks", count_row},
    {"deliveries_list",
     "SELECT id, webhook_id, event_type, payload, state, attempts, last_status, last_error,"
     " ls_ts(created_at) AS created_at, ls_ts(next_attempt_at) AS next_attempt_at,"
     " coalesce(ls_ts(delivered_at), '') AS delivered_at FROM webhook_deliveries"
     " WHERE webhook_id = $1::uuid ORDER BY webhook_deliveries.created_at DESC,"
     " webhook_deliveries.id DESC LIMIT $2::int",
     delivery_row},
    {"webhook_claim",
     "SELECT id, webhook_id, url, secret, event_type, payload, attempts"
     " FROM webhook_claim($1::int, $2::int)",
     lease_row},
    {"webhook_report",
     "SELECT webhook_report($1::uuid, $2::boolean, $3::int, $4, $5::int, $6::float8)", NULL},
    {"notify_deadlines", "SELECT notify_deadlines($1::int) AS n", count_row},
    {"mail_claim",
     "SELECT id, user_id, email, type, coalesce(campaign_id::text, '') AS campaign_id,"
     " coalesce(engagement_id::text, '') AS engagement_id,"
     " coalesce(object_type, '') AS object_type, coalesce(object_id, '') AS object_id,"
     " created_at, attempts FROM mail_claim($1::int, $2::int, $3::int, $4::int)",
     mail_row},
    {"mail_report",
     "SELECT mail_report(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))::bigint[],"
     " $2::boolean, $3, $4::int, $5::float8) AS n",
     count_row},
    {"mail_pref_get",
     "SELECT coalesce((SELECT email FROM mail_prefs WHERE user_id = ls_uid()), true) AS email",
     pref_row},
    {"mail_pref_put",
     "INSERT INTO mail_prefs (user_id, email) VALUES (ls_uid(), $1::boolean)"
     " ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()"
     " RETURNING email",
     pref_row},
    {NULL, NULL, NULL}};

int
store_notify_event(struct db_conn *c, const char *type, const char *campaign,
                   const char *engagement, const char *object_type, const char *object_id,
                   unsigned audience, long long *n)
{
	char aud[64];
	struct notify_count k = {0};
	const char *p[6] = {type, campaign, engagement, object_type, object_id, aud};
	int rc;

	snprintf(
	    aud, sizeof(aud), "[%s%s%s%s%s]", audience & STORE_NOTIFY_COMPANY ? "\"company\"" : "",
	    (audience & STORE_NOTIFY_COMPANY) && (audience & ~STORE_NOTIFY_COMPANY) ? "," : "",
	    audience & STORE_NOTIFY_ASSESSOR ? "\"assessor\"" : "",
	    (audience & STORE_NOTIFY_ASSESSOR) && (audience & STORE_NOTIFY_COORDINATOR) ? "," : "",
	    audience & STORE_NOTIFY_COORDINATOR ? "\"coordinator\"" : "");
	rc = store_one(c, "notify_event", 6, p, count_row, &k);
	if (n != NULL)
		*n = k.n;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_inbox_list(struct db_conn *c, const char *after, int limit, int unread_only,
                 struct store_notification **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[3] = {after, lim, unread_only ? "true" : "false"};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "inbox_list", 3, p, notification_row, sizeof(**rows), (void **)rows, n);
}

void
store_notifications_free(struct store_notification *rows, int n)
{
	db_rows_clear(notification_row, sizeof(*rows), rows, n);
}

int
store_inbox_unread(struct db_conn *c, long long *n)
{
	struct notify_count k = {0};
	int rc = store_one(c, "inbox_unread", 0, NULL, count_row, &k);

	*n = k.n;
	return rc;
}

int
store_inbox_mark(struct db_conn *c, const char *id)
{
	struct notify_count k = {0};
	const char *p[1] = {id};

	return store_one(c, "inbox_mark", 1, p, count_row, &k);
}

int
store_inbox_mark_all(struct db_conn *c, long long *n)
{
	struct notify_count k = {0};
	int rc = store_one(c, "inbox_mark_all", 0, NULL, count_row, &k);

	*n = k.n;
	return rc;
}

int
store_webhooks_lock(struct db_conn *c)
{
	struct notify_count k = {0};

	return store_one(c, "webhooks_lock", 0, NULL, count_row, &k);
}

int
store_webhook_create(struct db_conn *c, const char *id, const char *url, const char *secret,
                     const char *events, struct store_webhook *out)
{
	char *sealed = store_seal_master("webhook", id, "secret", secret);
	const char *p[4] = {id, url, sealed, events ? events : "[]"};
	int rc;

	memset(out, 0, sizeof(*out));
	if (sealed == NULL)
		return DB_ERROR;
	rc = store_one(c, "webhook_create", 4, p, webhook_row, out);
	free(sealed);
	return rc == STORE_NONE ? DB_DENIED : rc;
}

int
store_webhook_get(struct db_conn *c, const char *id, struct store_webhook *out)
{
	const char *p[1] = {id};

	memset(out, 0, sizeof(*out));
	return store_one(c, "webhook_get", 1, p, webhook_row, out);
}

int
store_webhook_list(struct db_conn *c, struct store_webhook **rows, int *n)
{
	return store_all(c, "webhooks_list", 0, NULL, webhook_row, sizeof(**rows), (void **)rows,
	                 n);
}

int
store_webhook_delete(struct db_conn *c, const char *id)
{
	struct notify_count k = {0};
	const char *p[1] = {id};

	return store_one(c, "webhook_delete", 1, p, count_row, &k);
}

void
store_webhook_clear(struct store_webhook *w)
{
	db_row_clear(webhook_row, w);
}

void
store_webhooks_free(struct store_webhook *rows, int n)
{
	db_rows_clear(webhook_row, sizeof(*rows), rows, n);
}

int
store_delivery_list(struct db_conn *c, const char *webhook, int limit, struct store_delivery **rows,
                    int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[2] = {webhook, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "deliveries_list", 2, p, delivery_row, sizeof(**rows), (void **)rows,
	                 n);
}

void
store_deliveries_free(struct store_delivery *rows, int n)
{
	db_rows_clear(delivery_row, sizeof(*rows), rows, n);
}

int
store_webhook_claim(struct db_conn *c, int limit, int lease_seconds, struct store_lease **rows,
                    int *n)
{
	char lim[STORE_INT_LEN], lease[STORE_INT_LEN];
	const char *p[2] = {lim, lease};
	struct lease_raw *raw = NULL;
	struct store_lease *out = NULL;
	int nraw = 0, rc;

	*rows = NULL;
	*n = 0;
	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lease, sizeof(lease), "%d", lease_seconds);
	rc = store_all(c, "webhook_claim", 2, p, lease_row, sizeof(*raw), (void **)&raw, &nraw);
	if (rc != DB_OK)
		return rc;
	if ((out = calloc(nraw > 0 ? (size_t)nraw : 1, sizeof(*out))) == NULL)
		rc = DB_ERROR;
	for (int i = 0; i < nraw; i++) {
		if (rc == DB_OK) {
			out[i] = raw[i].l;
			out[i].secret = store_open_master("webhook", raw[i].l.webhook_id, "secret",
			                                  raw[i].secret.p, raw[i].secret.len);
			memset(&raw[i].l, 0, sizeof(raw[i].l));
			(*n)++;
			if (out[i].secret == NULL)
				rc = DB_ERROR;
		}
		db_row_clear(lease_row, &raw[i]);
	}
	free(raw);
	if (rc != DB_OK) {
		store_leases_free(out, *n);
		*n = 0;
		return rc;
	}
	*rows = out;
	return DB_OK;
}

void
store_leases_free(struct store_lease *rows, int n)
{
	for (int i = 0; rows != NULL && i < n; i++)
		if (rows[i].secret != NULL)
			store_secret_free(rows[i].secret, strlen(rows[i].secret));
	db_rows_clear(lease_opened, sizeof(*rows), rows, n);
}

int
store_webhook_report(struct db_conn *c, const char *id, int ok, long status, const char *error,
                     int max_attempts, double backoff_seconds)
{
	char st[24], max[24], backoff[48];
	const char *p[6] = {id, ok ? "true" : "false", st, error, max, backoff};

	snprintf(st, sizeof(st), "%ld", status);
	snprintf(max, sizeof(max), "%d", max_attempts);
	snprintf(backoff, sizeof(backoff), "%.3f", backoff_seconds);
	if (status <= 0)
		p[2] = NULL;
	return db_run(c, "webhook_report", 6, p);
}

int
store_notify_deadlines(struct db_conn *c, int within_seconds, long long *n)
{
	char w[24];
	const char *p[1] = {w};
	struct notify_count k = {0};
	int rc;

	snprintf(w, sizeof(w), "%d", within_seconds);
	rc = store_one(c, "notify_deadlines", 1, p, count_row, &k);
	*n = k.n;
	return rc;
}

int
store_mail_claim(struct db_conn *c, int users, int lease_seconds, int interval_seconds,
                 int max_age_seconds, struct store_mail **rows, int *n)
{
	char u[STORE_INT_LEN], l[STORE_INT_LEN], i[STORE_INT_LEN], a[STORE_INT_LEN];
	const char *p[4] = {u, l, i, a};

	snprintf(u, sizeof(u), "%d", users);
	snprintf(l, sizeof(l), "%d", lease_seconds);
	snprintf(i, sizeof(i), "%d", interval_seconds);
	snprintf(a, sizeof(a), "%d", max_age_seconds);
	return store_all(c, "mail_claim", 4, p, mail_row, sizeof(**rows), (void **)rows, n);
}

void
store_mails_free(struct store_mail *rows, int n)
{
	db_rows_clear(mail_row, sizeof(*rows), rows, n);
}

int
store_mail_report(struct db_conn *c, const long long *ids, int nids, int ok, const char *error,
                  int max_attempts, double backoff_seconds)
{
	char max[24], backoff[48], *list;
	const char *p[5] = {NULL, ok ? "true" : "false", ok ? NULL : error, max, backoff};
	struct notify_count k = {0};
	size_t cap = (size_t)nids * 24 + 3, off = 0;
	int rc;

	if (nids <= 0)
		return DB_OK;
	if ((list = malloc(cap)) == NULL)
		return DB_ERROR;
	list[off++] = '[';
	for (int i = 0; i < nids; i++)
		off += (size_t)snprintf(list + off, cap - off, "%s%lld", i ? "," : "", ids[i]);
	snprintf(list + off, cap - off, "]");
	p[0] = list;
	snprintf(max, sizeof(max), "%d", max_attempts);
	snprintf(backoff, sizeof(backoff), "%.3f", backoff_seconds);
	rc = store_one(c, "mail_report", 5, p, count_row, &k);
	free(list);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_mail_pref(struct db_conn *c, int set, int email, int *out)
{
	struct pref k = {0};
	const char *p[1] = {email ? "true" : "false"};
	int rc = set ? store_one(c, "mail_pref_put", 1, p, pref_row, &k)
	             : store_one(c, "mail_pref_get", 0, NULL, pref_row, &k);

	*out = k.email;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

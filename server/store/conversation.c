/*
 * store/conversation.c: what is said about a finding after it is recorded:
 * comments, risk-acceptance requests and their decisions, retests, and
 * the campaign's default remediation deadlines. Comment bodies,
 * justifications, decision notes and retest notes are sealed under the
 * engagement's data key (AEAD bound to the row id and the column), like
 * a finding's title; callers see and pass only plaintext. The state
 * machine itself is in SQL (0009: finding_transitions, findings_workflow,
 * the triggers of risk_acceptances and finding_retests).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"

/* ---- comments ---- */

#define COMMENT_COLS                                                                               \
	"k.id, k.finding_id, k.author_user, k.author_org, coalesce(o.kind, '') AS author_kind,"    \
	" coalesce(o.name, '') AS author_org_name, u.name AS author_name, k.body,"                 \
	" ls_ts(k.created_at) AS created_at"
#define COMMENT_FROM                                                                               \
	" FROM finding_comments k LEFT JOIN orgs o ON o.id = k.author_org"                         \
	" LEFT JOIN users u ON u.id = k.author_user"

struct comment_raw {
	struct store_comment k;
	struct db_bytes body;
};

#define C(type, member, col) DB_FIELD(type, struct comment_raw, k.member, col)
static const struct db_field comment_row[] = {
    C(DB_T_STR, id, "id"),
    C(DB_T_STR, finding_id, "finding_id"),
    C(DB_T_STR, author_user, "author_user"),
    C(DB_T_STR, author_org, "author_org"),
    C(DB_T_STR, author_kind, "author_kind"),
    C(DB_T_TEXT, author_org_name, "author_org_name"),
    C(DB_T_TEXT, author_name, "author_name"),
    DB_FIELD(DB_T_BYTEA, struct comment_raw, body, "body"),
    C(DB_T_STR, created_at, "created_at"),
    DB_FIELD_END};
#undef C
static const struct db_field comment_opened[] = {
    DB_FIELD(DB_T_TEXT, struct store_comment, author_org_name, "author_org_name"),
    DB_FIELD(DB_T_TEXT, struct store_comment, author_name, "author_name"),
    DB_FIELD(DB_T_JSON, struct store_comment, body, "body"), DB_FIELD_END};

/* ---- risk acceptances ---- */

#define RISK_COLS                                                                                  \
	"id, finding_id, justification, ls_ts(expires_at) AS expires_at, state,"                   \
	" requested_by, requested_org, ls_ts(requested_at) AS requested_at,"                       \
	" decided_by, decided_org, ls_ts(decided_at) AS decided_at, decision_note,"                \
	" (expires_at <= now()) AS expired"

struct risk_raw {
	struct store_risk k;
	struct db_bytes justification;
	struct db_bytes note;
};

#define R(type, member, col) DB_FIELD(type, struct risk_raw, k.member, col)
static const struct db_field risk_row[] = {
    R(DB_T_STR, id, "id"),
    R(DB_T_STR, finding_id, "finding_id"),
    DB_FIELD(DB_T_BYTEA, struct risk_raw, justification, "justification"),
    R(DB_T_STR, expires_at, "expires_at"),
    R(DB_T_STR, state, "state"),
    R(DB_T_STR, requested_by, "requested_by"),
    R(DB_T_STR, requested_org, "requested_org"),
    R(DB_T_STR, requested_at, "requested_at"),
    R(DB_T_STR, decided_by, "decided_by"),
    R(DB_T_STR, decided_org, "decided_org"),
    R(DB_T_STR, decided_at, "decided_at"),
    DB_FIELD(DB_T_BYTEA, struct risk_raw, note, "decision_note"),
    R(DB_T_BOOL, expired, "expired"),
    DB_FIELD_END};
#undef R
static const struct db_field risk_opened[] = {
    DB_FIELD(DB_T_JSON, struct store_risk, justification, "justification"),
    DB_FIELD(DB_T_JSON, struct store_risk, decision_note, "decision_note"), DB_FIELD_END};

/* ---- retests ---- */

#define RETEST_COLS                                                                                \
	"id, finding_id, result, note, to_jsonb(evidence) AS evidence, performed_by,"              \
	" performed_org, ls_ts(created_at) AS created_at"

struct retest_raw {
	struct store_retest k;
	struct db_bytes note;
};

#define T(type, member, col) DB_FIELD(type, struct retest_raw, k.member, col)
static const struct db_field retest_row[] = {T(DB_T_STR, id, "id"),
                                             T(DB_T_STR, finding_id, "finding_id"),
                                             T(DB_T_STR, result, "result"),
                                             DB_FIELD(DB_T_BYTEA, struct retest_raw, note, "note"),
                                             T(DB_T_JSON, evidence, "evidence"),
                                             T(DB_T_STR, performed_by, "performed_by"),
                                             T(DB_T_STR, performed_org, "performed_org"),
                                             T(DB_T_STR, created_at, "created_at"),
                                             DB_FIELD_END};
#undef T
static const struct db_field retest_opened[] = {
    DB_FIELD(DB_T_JSON, struct store_retest, note, "note"),
    DB_FIELD(DB_T_JSON, struct store_retest, evidence, "evidence"), DB_FIELD_END};

/* ---- remediation defaults ---- */

static const struct db_field days_row[] = {
    DB_FIELD(DB_T_STR, struct store_remediation_days, severity, "severity"),
    DB_FIELD(DB_T_INT, struct store_remediation_days, days, "days"), DB_FIELD_END};

static const struct db_field count_row[] = {
    DB_FIELD(DB_T_INT, struct store_remediation_days, days, "n"), DB_FIELD_END};

const struct db_statement store_conversation_statements[] = {
    {"comment_create",
     "WITH k AS (INSERT INTO finding_comments (id, finding_id, engagement_id, company_org_id,"
     " assessor_org_id, author_user, author_org, body) VALUES ($1::uuid, $2::uuid, $3::uuid,"
     " $4::uuid, $5::uuid, ls_uid(), ls_org(), $6::bytea) RETURNING *)"
     " SELECT " COMMENT_COLS " FROM k LEFT JOIN orgs o ON o.id = k.author_org"
     " LEFT JOIN users u ON u.id = k.author_user",
     comment_row},
    {"comments_list",
     "SELECT " COMMENT_COLS COMMENT_FROM " WHERE k.finding_id = $1::uuid"
     " ORDER BY k.created_at, k.id LIMIT 1000",
     comment_row},
    {"risk_request",
     "INSERT INTO risk_acceptances (id, finding_id, engagement_id, company_org_id,"
     " assessor_org_id, justification, expires_at, requested_by, requested_org)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::bytea, $7::timestamptz,"
     " ls_uid(), ls_org()) RETURNING " RISK_COLS,
     risk_row},
    {"risk_get", "SELECT " RISK_COLS " FROM risk_acceptances WHERE id = $1::uuid", risk_row},
    {"risk_decide",
     "UPDATE risk_acceptances SET state = $2, decided_by = ls_uid(), decided_org = ls_org(),"
     " decided_at = now(), decision_note = $3::bytea WHERE id = $1::uuid AND state = 'pending'"
     " RETURNING " RISK_COLS,
     risk_row},
    {"risk_list",
     "SELECT " RISK_COLS " FROM risk_acceptances WHERE finding_id = $1::uuid"
     " ORDER BY requested_at, id LIMIT 1000",
     risk_row},
    {"retest_create",
     "INSERT INTO finding_retests (id, finding_id, engagement_id, company_org_id,"
     " assessor_org_id, result, note, evidence, performed_by, performed_org)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6, $7::bytea,"
     " " STORE_JSON_ARRAY("$8") "::uuid[], ls_uid(), ls_org()) RETURNING " RETEST_COLS,
     retest_row},
    {"retest_list",
     "SELECT " RETEST_COLS " FROM finding_retests WHERE finding_id = $1::uuid"
     " ORDER BY created_at, id LIMIT 1000",
     retest_row},
    {"transition_allowed",
     "SELECT count(*) AS n FROM finding_transitions WHERE from_status = $1 AND to_status = $2"
     " AND actor_kind = $3 AND via = $4",
     count_row},
    {"remediation_days_list",
     "SELECT d.severity, d.days FROM campaign_remediation_days d"
     " JOIN vocabulary v ON v.name = 'severity' AND v.code = d.severity"
     " WHERE d.campaign_id = $1::uuid ORDER BY v.position",
     days_row},
    {"remediation_days_clear", "DELETE FROM campaign_remediation_days WHERE campaign_id = $1::uuid",
     NULL},
    {"remediation_days_put",
     "INSERT INTO campaign_remediation_days (campaign_id, severity, days)"
     " VALUES ($1::uuid, $2, $3::int)",
     NULL},
    {NULL, NULL, NULL}};

/*
 * Run statement name and read its rows (raw structs of size rawsize, the
 * store struct first in each) into *rows; open() opens the sealed columns
 * of one raw row and closes them. Returns DB_OK, STORE_NONE (one wanted,
 * none) or a negative db_status.
 */
typedef int (*conv_open_fn)(const unsigned char *key, void *raw);

static int
conv_read(struct db_conn *c, const char *name, int n, const char *const *p,
          const struct db_field *fields, size_t rawsize, size_t size, conv_open_fn open,
          const unsigned char key[CRYPTO_KEY_LEN], const struct db_field *opened, void **rows,
          int *nrows)
{
	struct db_result *q;
	enum db_status st;
	int count, rc = DB_OK;
	unsigned char *raw = NULL, *out;

	*rows = NULL;
	*nrows = 0;
	if ((q = db_exec(c, name, n, p, &st)) == NULL)
		return st;
	count = db_rows(q);
	if ((out = calloc(count > 0 ? (size_t)count : 1, size)) == NULL ||
	    (raw = calloc(1, rawsize)) == NULL)
		rc = DB_ERROR;
	for (int i = 0; i < count && rc == DB_OK; i++) {
		memset(raw, 0, rawsize);
		if (db_row_read(q, i, fields, raw) != 0) {
			rc = DB_ERROR;
			break;
		}
		if (open(key, raw) != 0)
			rc = DB_ERROR;
		memcpy(out + (size_t)i * size, raw, size);
		(*nrows)++;
	}
	free(raw);
	db_result_free(q);
	if (rc != DB_OK) {
		if (out != NULL)
			db_rows_clear(opened, size, out, *nrows);
		else
			free(out);
		*nrows = 0;
		return rc;
	}
	*rows = out;
	return DB_OK;
}

static int
comment_open(const unsigned char *key, void *arg)
{
	struct comment_raw *raw = arg;

	raw->k.body = store_open(key, "finding_comment", raw->k.id, "body", &raw->body);
	free(raw->body.p);
	raw->body.p = NULL;
	return raw->k.body ? 0 : -1;
}

static int
risk_open(const unsigned char *key, void *arg)
{
	struct risk_raw *raw = arg;

	raw->k.justification =
	    store_open(key, "risk_acceptance", raw->k.id, "justification", &raw->justification);
	raw->k.decision_note =
	    store_open(key, "risk_acceptance", raw->k.id, "decision_note", &raw->note);
	free(raw->justification.p);
	free(raw->note.p);
	raw->justification.p = raw->note.p = NULL;
	return raw->k.justification && raw->k.decision_note ? 0 : -1;
}

static int
retest_open(const unsigned char *key, void *arg)
{
	struct retest_raw *raw = arg;

	raw->k.note = store_open(key, "finding_retest", raw->k.id, "note", &raw->note);
	free(raw->note.p);
	raw->note.p = NULL;
	return raw->k.note ? 0 : -1;
}

/* Read exactly one row of statement name into out (size bytes). */
static int
conv_one(struct db_conn *c, const char *name, int n, const char *const *p,
         const struct db_field *fields, size_t rawsize, size_t size, conv_open_fn open,
         const unsigned char key[CRYPTO_KEY_LEN], const struct db_field *opened, void *out)
{
	void *rows = NULL;
	int nrows = 0, rc;

	rc = conv_read(c, name, n, p, fields, rawsize, size, open, key, opened, &rows, &nrows);
	if (rc != DB_OK)
		return rc;
	if (nrows != 1) {
		db_rows_clear(opened, size, rows, nrows);
		return STORE_NONE;
	}
	memcpy(out, rows, size);
	free(rows);
	return DB_OK;
}

int
store_comment_create(struct db_conn *c, const char *id, const struct store_finding_ref *f,
                     const char *body, struct store_comment *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_engagement_key(c, f->engagement, key)) != DB_OK)
		return rc;
	rc = DB_ERROR;
	if ((sealed = store_seal(key, "finding_comment", id, "body", body)) != NULL) {
		const char *p[6] = {id, f->finding, f->engagement, f->company, f->assessor, sealed};

		rc = conv_one(c, "comment_create", 6, p, comment_row, sizeof(struct comment_raw),
		              sizeof(*out), comment_open, key, comment_opened, out);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	explicit_bzero(key, sizeof(key));
	free(sealed);
	return rc;
}

int
store_comment_list(struct db_conn *c, const struct store_finding_ref *f,
                   struct store_comment **rows, int *n)
{
	unsigned char key[CRYPTO_KEY_LEN];
	const char *p[1] = {f->finding};
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rc = store_engagement_key(c, f->engagement, key)) != DB_OK)
		return rc;
	rc = conv_read(c, "comments_list", 1, p, comment_row, sizeof(struct comment_raw),
	               sizeof(**rows), comment_open, key, comment_opened, (void **)rows, n);
	explicit_bzero(key, sizeof(key));
	return rc;
}

void
store_comments_free(struct store_comment *rows, int n)
{
	db_rows_clear(comment_opened, sizeof(*rows), rows, n);
}

void
store_comment_clear(struct store_comment *k)
{
	db_row_clear(comment_opened, k);
}

int
store_risk_request(struct db_conn *c, const char *id, const struct store_finding_ref *f,
                   const char *justification, const char *expires_at, struct store_risk *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_engagement_key(c, f->engagement, key)) != DB_OK)
		return rc;
	rc = DB_ERROR;
	sealed = store_seal(key, "risk_acceptance", id, "justification", justification);
	if (sealed != NULL) {
		const char *p[7] = {id,          f->finding, f->engagement, f->company,
		                    f->assessor, sealed,     expires_at};

		rc = conv_one(c, "risk_request", 7, p, risk_row, sizeof(struct risk_raw),
		              sizeof(*out), risk_open, key, risk_opened, out);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	explicit_bzero(key, sizeof(key));
	free(sealed);
	return rc;
}

int
store_risk_get(struct db_conn *c, const char *id, const char *engagement, struct store_risk *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	const char *p[1] = {id};
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	rc = conv_one(c, "risk_get", 1, p, risk_row, sizeof(struct risk_raw), sizeof(*out),
	              risk_open, key, risk_opened, out);
	explicit_bzero(key, sizeof(key));
	return rc;
}

int
store_risk_decide(struct db_conn *c, const char *id, const char *engagement, const char *state,
                  const char *note, struct store_risk *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	rc = DB_ERROR;
	if (note == NULL ||
	    (sealed = store_seal(key, "risk_acceptance", id, "decision_note", note)) != NULL) {
		const char *p[3] = {id, state, sealed};

		rc = conv_one(c, "risk_decide", 3, p, risk_row, sizeof(struct risk_raw),
		              sizeof(*out), risk_open, key, risk_opened, out);
	}
	explicit_bzero(key, sizeof(key));
	free(sealed);
	return rc;
}

int
store_risk_list(struct db_conn *c, const struct store_finding_ref *f, struct store_risk **rows,
                int *n)
{
	unsigned char key[CRYPTO_KEY_LEN];
	const char *p[1] = {f->finding};
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rc = store_engagement_key(c, f->engagement, key)) != DB_OK)
		return rc;
	rc = conv_read(c, "risk_list", 1, p, risk_row, sizeof(struct risk_raw), sizeof(**rows),
	               risk_open, key, risk_opened, (void **)rows, n);
	explicit_bzero(key, sizeof(key));
	return rc;
}

void
store_risks_free(struct store_risk *rows, int n)
{
	db_rows_clear(risk_opened, sizeof(*rows), rows, n);
}

void
store_risk_clear(struct store_risk *k)
{
	db_row_clear(risk_opened, k);
}

int
store_retest_create(struct db_conn *c, const char *id, const struct store_finding_ref *f,
                    const char *result, const char *note, const char *evidence,
                    struct store_retest *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_engagement_key(c, f->engagement, key)) != DB_OK)
		return rc;
	rc = DB_ERROR;
	if ((sealed = store_seal(key, "finding_retest", id, "note", note)) != NULL) {
		const char *p[8] = {
		    id,          f->finding, f->engagement, f->company,
		    f->assessor, result,     sealed,        evidence ? evidence : "[]"};

		rc = conv_one(c, "retest_create", 8, p, retest_row, sizeof(struct retest_raw),
		              sizeof(*out), retest_open, key, retest_opened, out);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	explicit_bzero(key, sizeof(key));
	free(sealed);
	return rc;
}

int
store_retest_list(struct db_conn *c, const struct store_finding_ref *f, struct store_retest **rows,
                  int *n)
{
	unsigned char key[CRYPTO_KEY_LEN];
	const char *p[1] = {f->finding};
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rc = store_engagement_key(c, f->engagement, key)) != DB_OK)
		return rc;
	rc = conv_read(c, "retest_list", 1, p, retest_row, sizeof(struct retest_raw),
	               sizeof(**rows), retest_open, key, retest_opened, (void **)rows, n);
	explicit_bzero(key, sizeof(key));
	return rc;
}

void
store_retests_free(struct store_retest *rows, int n)
{
	db_rows_clear(retest_opened, sizeof(*rows), rows, n);
}

void
store_retest_clear(struct store_retest *k)
{
	db_row_clear(retest_opened, k);
}

int
store_transition_allowed(struct db_conn *c, const char *from, const char *to, const char *kind,
                         const char *via, int *allowed)
{
	const char *p[4] = {from, to, kind, via};
	struct store_remediation_days n = {0};
	int rc;

	*allowed = 0;
	if ((rc = store_one(c, "transition_allowed", 4, p, count_row, &n)) != DB_OK)
		return rc;
	*allowed = n.days > 0;
	return DB_OK;
}

int
store_remediation_days_list(struct db_conn *c, const char *campaign,
                            struct store_remediation_days **rows, int *n)
{
	const char *p[1] = {campaign};

	return store_all(c, "remediation_days_list", 1, p, days_row, sizeof(**rows), (void **)rows,
	                 n);
}

int
store_remediation_days_set(struct db_conn *c, const char *campaign,
                           const struct store_remediation_days *rows, int n)
{
	const char *p[3] = {campaign, NULL, NULL};
	char days[STORE_INT_LEN];
	int rc;

	if ((rc = db_run(c, "remediation_days_clear", 1, p)) != DB_OK)
		return rc;
	for (int i = 0; i < n; i++) {
		snprintf(days, sizeof(days), "%lld", rows[i].days);
		p[1] = rows[i].severity;
		p[2] = days;
		if ((rc = db_run(c, "remediation_days_put", 3, p)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

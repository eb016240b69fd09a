/*
 * store/finding.c: findings and their history. Title, detail and response
 * are sealed under the engagement's data key (AEAD bound to the finding's
 * id and the column); callers see and pass only plaintext.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"

#define FINDING_COLS                                                                               \
	"id, engagement_id, threat_model, severity, status, title, detail, response,"              \
	" to_jsonb(atlas) AS atlas, to_jsonb(cwe) AS cwe, cvss, version, created_by,"              \
	" ls_ts(created_at) AS created_at, updated_by, ls_ts(updated_at) AS updated_at,"           \
	" coalesce(ls_ts(remediation_due), '') AS remediation_due,"                                \
	" (remediation_due < now() AND status IN ('open', 'remediating')) AS overdue,"             \
	" coalesce(oc_required, '') AS oc_required"

/* A row as read: the sealed columns still closed. */
struct finding_raw {
	struct store_finding f;
	struct db_bytes title;
	struct db_bytes detail;
	struct db_bytes response;
};

#define F(type, member, col) DB_FIELD(type, struct finding_raw, f.member, col)
#define FINDING_COMMON                                                                             \
	F(DB_T_STR, engagement_id, "engagement_id"), F(DB_T_STR, threat_model, "threat_model"),    \
	    F(DB_T_STR, severity, "severity"), F(DB_T_STR, status, "status"),                      \
	    DB_FIELD(DB_T_BYTEA, struct finding_raw, title, "title"),                              \
	    DB_FIELD(DB_T_BYTEA, struct finding_raw, detail, "detail"),                            \
	    DB_FIELD(DB_T_BYTEA, struct finding_raw, response, "response"),                        \
	    F(DB_T_JSON, atlas, "atlas"), F(DB_T_JSON, cwe, "cwe"), F(DB_T_TEXT, cvss, "cvss"),    \
	    F(DB_T_INT, version, "version")

static const struct db_field finding_row[] = {F(DB_T_STR, id, "id"),
                                              FINDING_COMMON,
                                              F(DB_T_STR, created_by, "created_by"),
                                              F(DB_T_STR, created_at, "created_at"),
                                              F(DB_T_STR, updated_by, "updated_by"),
                                              F(DB_T_STR, updated_at, "updated_at"),
                                              F(DB_T_STR, remediation_due, "remediation_due"),
                                              F(DB_T_BOOL, overdue, "overdue"),
                                              F(DB_T_STR, oc_required, "oc_required"),
                                              DB_FIELD_END};
/* history rows: who changed the finding and when */
static const struct db_field history_row[] = {F(DB_T_STR, id, "id"),
                                              FINDING_COMMON,
                                              F(DB_T_STR, updated_by, "changed_by"),
                                              F(DB_T_STR, updated_at, "changed_at"),
                                              F(DB_T_STR, oc_required, "oc_required"),
                                              DB_FIELD_END};
/* the opened row, for clearing */
static const struct db_field opened_row[] = {
    DB_FIELD(DB_T_JSON, struct store_finding, title, "title"),
    DB_FIELD(DB_T_JSON, struct store_finding, detail, "detail"),
    DB_FIELD(DB_T_JSON, struct store_finding, response, "response"),
    DB_FIELD(DB_T_JSON, struct store_finding, atlas, "atlas"),
    DB_FIELD(DB_T_JSON, struct store_finding, cwe, "cwe"),
    DB_FIELD(DB_T_TEXT, struct store_finding, cvss, "cvss"),
    DB_FIELD_END};
#undef F

struct fingerprint_hit {
	char finding_id[DB_UUID_LEN + 1];
};
static const struct db_field fingerprint_row[] = {
    DB_FIELD(DB_T_STR, struct fingerprint_hit, finding_id, "finding_id"), DB_FIELD_END};

const struct db_statement store_finding_statements[] = {
    {"finding_create",
     "INSERT INTO findings (id, engagement_id, company_org_id, assessor_org_id, threat_model,"
     " severity, status, title, detail, atlas, cwe, cvss, created_by, updated_by, oc_required)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6, coalesce($7, 'open'),"
     " $8::bytea, $9::bytea, " STORE_JSON_ARRAY("$10") ", " STORE_JSON_ARRAY(
         "$11") ", $12, ls_uid(), ls_uid(), nullif($13, '')) RETURNING " FINDING_COLS,
     finding_row},
    {"finding_get", "SELECT " FINDING_COLS " FROM findings WHERE id = $1::uuid", finding_row},
    {"findings_list",
     "SELECT " FINDING_COLS " FROM findings WHERE engagement_id = $1::uuid AND " STORE_AFTER(
         "findings", "$2") " ORDER BY findings.created_at, findings.id LIMIT $3::int",
     finding_row},
    {"finding_update",
     "UPDATE findings SET threat_model = coalesce($2, threat_model),"
     " severity = coalesce($3, severity), status = coalesce($4, status),"
     " title = coalesce($5::bytea, title), detail = coalesce($6::bytea, detail),"
     " response = coalesce($7::bytea, response),"
     " atlas = CASE WHEN $8::jsonb IS NULL THEN atlas ELSE " STORE_JSON_ARRAY(
         "$8") " END,"
               " cwe = CASE WHEN $9::jsonb IS NULL THEN cwe ELSE " STORE_JSON_ARRAY(
                   "$9") " END,"
                         " cvss = CASE WHEN $10::text IS NULL THEN cvss WHEN $10::text = '' THEN "
                         "NULL"
                         " ELSE $10::text END,"
                         " remediation_due = CASE WHEN $11::text IS NULL THEN remediation_due"
                         " WHEN $11::text = '' THEN NULL ELSE $11::timestamptz END,"
                         " oc_required = CASE WHEN $12::text IS NULL THEN oc_required"
                         " ELSE nullif($12::text, '') END"
                         " WHERE id = $1::uuid RETURNING " FINDING_COLS,
     finding_row},
    {"finding_history_list",
     "SELECT finding_id AS id, engagement_id, threat_model, severity, status, title, detail,"
     " response, to_jsonb(atlas) AS atlas, to_jsonb(cwe) AS cwe, cvss, version, changed_by,"
     " ls_ts(changed_at) AS changed_at, coalesce(oc_required, '') AS oc_required"
     " FROM finding_history WHERE finding_id = $1::uuid ORDER BY version",
     history_row},
    {"finding_fingerprint_get",
     "SELECT finding_id FROM finding_fingerprints WHERE engagement_id = $1::uuid"
     " AND fingerprint = $2::bytea",
     fingerprint_row},
    {"finding_fingerprint_add",
     "INSERT INTO finding_fingerprints (engagement_id, fingerprint, finding_id, company_org_id,"
     " assessor_org_id) VALUES ($1::uuid, $2::bytea, $3::uuid, $4::uuid, $5::uuid)"
     " RETURNING finding_id",
     fingerprint_row},
    {NULL, NULL, NULL}};

/* Open raw's sealed columns into its finding. Returns 0 or -1 (logged by store_open). */
static int
finding_open(const unsigned char key[CRYPTO_KEY_LEN], struct finding_raw *raw)
{
	struct store_finding *f = &raw->f;

	f->title = store_open(key, "finding", f->id, "title", &raw->title);
	f->detail = store_open(key, "finding", f->id, "detail", &raw->detail);
	f->response = store_open(key, "finding", f->id, "response", &raw->response);
	return f->title && f->detail && f->response ? 0 : -1;
}

/* Free raw's sealed columns (the finding stays). */
static void
finding_raw_close(struct finding_raw *raw)
{
	free(raw->title.p);
	free(raw->detail.p);
	free(raw->response.p);
	raw->title.p = raw->detail.p = raw->response.p = NULL;
}

/*
 * Run statement name (n parameters) and read its rows, opened with key,
 * into *rows (NULL: exactly one row into one). Returns DB_OK, STORE_NONE
 * (single row wanted, none found) or a negative db_status.
 */
static int
finding_read(struct db_conn *c, const char *name, int n, const char *const *p,
             const struct db_field *fields, const unsigned char key[CRYPTO_KEY_LEN],
             struct store_finding *one, struct store_finding **rows, int *nrows)
{
	struct finding_raw raw;
	struct db_result *q;
	enum db_status st;
	int count, rc = DB_OK;

	if ((q = db_exec(c, name, n, p, &st)) == NULL)
		return st;
	count = db_rows(q);
	if (one != NULL && count != 1) {
		db_result_free(q);
		return STORE_NONE;
	}
	if (rows != NULL && (*rows = calloc(count > 0 ? (size_t)count : 1, sizeof(**rows))) == NULL)
		rc = DB_ERROR;
	for (int i = 0; i < count && rc == DB_OK; i++) {
		memset(&raw, 0, sizeof(raw));
		if (db_row_read(q, i, fields, &raw) != 0) {
			rc = DB_ERROR;
			break;
		}
		if (finding_open(key, &raw) != 0)
			rc = DB_ERROR;
		finding_raw_close(&raw);
		if (one != NULL)
			*one = raw.f;
		else
			(*rows)[(*nrows)++] = raw.f;
		if (rc != DB_OK && one != NULL)
			store_finding_clear(one);
	}
	db_result_free(q);
	if (rc != DB_OK && rows != NULL) {
		store_findings_free(*rows, *nrows);
		*rows = NULL;
		*nrows = 0;
	}
	return rc;
}

/* Seal the text columns of in for finding id into title, detail, response (NULL: absent). */
static int
finding_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *id,
             const struct store_finding_input *in, char **title, char **detail, char **response)
{
	*title = *detail = *response = NULL;
	if (in->title && !(*title = store_seal(key, "finding", id, "title", in->title)))
		return -1;
	if (in->detail && !(*detail = store_seal(key, "finding", id, "detail", in->detail)))
		return -1;
	if (in->response && !(*response = store_seal(key, "finding", id, "response", in->response)))
		return -1;
	return 0;
}

/*
 * Seal in's text columns for finding id with its engagement's key and run
 * finding_create (create: company and assessor name the pair) or
 * finding_update, reading the row back opened into out.
 */
static int
finding_write(struct db_conn *c, int create, const char *id, const char *engagement,
              const char *company, const char *assessor, const struct store_finding_input *in,
              struct store_finding *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *title = NULL, *detail = NULL, *response = NULL;
	int rc;

	store_finding_clear(out);
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	rc = DB_ERROR;
	if (finding_seal(key, id, in, &title, &detail, &response) != 0)
		goto done;
	if (create) {
		const char *p[13] = {id,
		                     engagement,
		                     company,
		                     assessor,
		                     in->threat_model,
		                     in->severity,
		                     in->status,
		                     title,
		                     detail,
		                     in->atlas ? in->atlas : "[]",
		                     in->cwe ? in->cwe : "[]",
		                     in->cvss,
		                     in->oc_required};

		rc = finding_read(c, "finding_create", 13, p, finding_row, key, out, NULL, NULL);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	} else {
		const char *p[12] = {id,
		                     in->threat_model,
		                     in->severity,
		                     in->status,
		                     title,
		                     detail,
		                     response,
		                     in->atlas,
		                     in->cwe,
		                     in->cvss,
		                     in->remediation_due,
		                     in->oc_required};

		rc = finding_read(c, "finding_update", 12, p, finding_row, key, out, NULL, NULL);
	}
done:
	explicit_bzero(key, sizeof(key));
	free(title);
	free(detail);
	free(response);
	return rc;
}

int
store_finding_create(struct db_conn *c, const char *id, const char *engagement, const char *company,
                     const char *assessor, const struct store_finding_input *in,
                     struct store_finding *out)
{
	return finding_write(c, 1, id, engagement, company, assessor, in, out);
}

int
store_finding_get(struct db_conn *c, const char *id, struct store_finding *out)
{
	const char *p[1] = {id};
	struct finding_raw raw;
	unsigned char key[CRYPTO_KEY_LEN];
	struct db_result *q;
	enum db_status st;
	int rc;

	store_finding_clear(out);
	/* the row names its engagement, whose key opens it */
	if ((q = db_exec(c, "finding_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return STORE_NONE;
	}
	memset(&raw, 0, sizeof(raw));
	if (db_row_read(q, 0, finding_row, &raw) != 0) {
		db_result_free(q);
		return DB_ERROR;
	}
	db_result_free(q);
	if ((rc = store_engagement_key(c, raw.f.engagement_id, key)) == DB_OK) {
		if (finding_open(key, &raw) != 0)
			rc = DB_ERROR;
		explicit_bzero(key, sizeof(key));
	}
	finding_raw_close(&raw);
	*out = raw.f;
	if (rc != DB_OK)
		store_finding_clear(out);
	return rc;
}

int
store_finding_list(struct db_conn *c, const char *engagement, const char *after, int limit,
                   struct store_finding **rows, int *n)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char lim[STORE_INT_LEN];
	const char *p[3] = {engagement, after, lim};
	int rc;

	*rows = NULL;
	*n = 0;
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	rc = finding_read(c, "findings_list", 3, p, finding_row, key, NULL, rows, n);
	explicit_bzero(key, sizeof(key));
	return rc;
}

int
store_finding_update(struct db_conn *c, const char *id, const char *engagement,
                     const struct store_finding_input *in, struct store_finding *out)
{
	return finding_write(c, 0, id, engagement, NULL, NULL, in, out);
}

int
store_finding_history(struct db_conn *c, const char *id, const char *engagement,
                      struct store_finding **rows, int *n)
{
	unsigned char key[CRYPTO_KEY_LEN];
	const char *p[1] = {id};
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	rc = finding_read(c, "finding_history_list", 1, p, history_row, key, NULL, rows, n);
	explicit_bzero(key, sizeof(key));
	return rc;
}

void
store_finding_clear(struct store_finding *f)
{
	db_row_clear(opened_row, f);
}

void
store_findings_free(struct store_finding *rows, int n)
{
	db_rows_clear(opened_row, sizeof(*rows), rows, n);
}

/*
 * The stored form of an import fingerprint: HMAC-SHA-256 under the
 * engagement's data key, as a bytea parameter (malloc'd) or NULL.
 */
static char *
finding_fingerprint_param(const unsigned char key[CRYPTO_KEY_LEN],
                          const unsigned char fingerprint[CRYPTO_SHA256_LEN])
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char *p;

	if (crypto_hmac_sha256(key, CRYPTO_KEY_LEN, fingerprint, CRYPTO_SHA256_LEN, mac) != 0)
		return NULL;
	p = db_param_bytea(mac, sizeof(mac));
	explicit_bzero(mac, sizeof(mac));
	return p;
}

int
store_finding_import(struct db_conn *c, const char *id, const char *engagement, const char *company,
                     const char *assessor, const struct store_finding_input *in,
                     const unsigned char fingerprint[CRYPTO_SHA256_LEN], int *created,
                     char existing[DB_UUID_LEN + 1])
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct fingerprint_hit hit;
	struct store_finding row;
	char *fp = NULL;
	int rc;

	*created = 0;
	existing[0] = '\0';
	memset(&row, 0, sizeof(row));
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	fp = finding_fingerprint_param(key, fingerprint);
	explicit_bzero(key, sizeof(key));
	if (fp == NULL)
		return DB_ERROR;
	{
		const char *p[2] = {engagement, fp};

		memset(&hit, 0, sizeof(hit));
		rc = store_one(c, "finding_fingerprint_get", 2, p, fingerprint_row, &hit);
	}
	if (rc == DB_OK) {
		memcpy(existing, hit.finding_id, sizeof(hit.finding_id));
		goto done;
	}
	if (rc != STORE_NONE)
		goto done;
	/* the same path as POST findings: the same rules apply */
	if ((rc = store_finding_create(c, id, engagement, company, assessor, in, &row)) != DB_OK)
		goto done;
	{
		const char *p[5] = {engagement, fp, id, company, assessor};

		memset(&hit, 0, sizeof(hit));
		rc = store_one(c, "finding_fingerprint_add", 5, p, fingerprint_row, &hit);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	if (rc == DB_OK) {
		*created = 1;
		memcpy(existing, id, DB_UUID_LEN + 1);
	}
done:
	store_finding_clear(&row);
	free(fp);
	return rc;
}

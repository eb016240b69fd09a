/*
 * store/claim.c: the assessor's public claims and the company's statement,
 * per engagement. Until the release they are confidential: claim summaries
 * and statement texts are sealed under the engagement's data key (AEAD
 * bound to "claim/<engagement>/<threat model>/summary" and
 * "statement/<engagement>/text", 0004_anonymity.sql); callers see and pass
 * only plaintext. Rows written before 0004 keep their plaintext in the
 * *_plain columns until `lockstepd migrate` seals them (store_legacy_seal).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/log.h"

#define CLAIM_COLS                                                                                 \
	"engagement_id, threat_model, level, summary, summary_plain, updated_by,"                  \
	" ls_ts(updated_at) AS updated_at"
#define STATEMENT_COLS                                                                             \
	"engagement_id, text, text_plain, updated_by, ls_ts(updated_at) AS updated_at"

/* The row id a claim's summary is sealed for: "<engagement>/<threat model>". */
#define CLAIM_ROWID_LEN (DB_UUID_LEN + 1 + 32 + 1)

/* Rows as read: the sealed column still closed. */
struct claim_raw {
	struct store_claim k;
	struct db_bytes sealed;
	char *plain;
};

struct statement_raw {
	struct store_statement s;
	struct db_bytes sealed;
	char *plain;
};

static const struct db_field claim_raw_row[] = {
    DB_FIELD(DB_T_STR, struct claim_raw, k.engagement_id, "engagement_id"),
    DB_FIELD(DB_T_STR, struct claim_raw, k.threat_model, "threat_model"),
    DB_FIELD(DB_T_STR, struct claim_raw, k.level, "level"),
    DB_FIELD(DB_T_BYTEA, struct claim_raw, sealed, "summary"),
    DB_FIELD(DB_T_TEXT, struct claim_raw, plain, "summary_plain"),
    DB_FIELD(DB_T_STR, struct claim_raw, k.updated_by, "updated_by"),
    DB_FIELD(DB_T_STR, struct claim_raw, k.updated_at, "updated_at"),
    DB_FIELD_END};

static const struct db_field statement_raw_row[] = {
    DB_FIELD(DB_T_STR, struct statement_raw, s.engagement_id, "engagement_id"),
    DB_FIELD(DB_T_BYTEA, struct statement_raw, sealed, "text"),
    DB_FIELD(DB_T_TEXT, struct statement_raw, plain, "text_plain"),
    DB_FIELD(DB_T_STR, struct statement_raw, s.updated_by, "updated_by"),
    DB_FIELD(DB_T_STR, struct statement_raw, s.updated_at, "updated_at"),
    DB_FIELD_END};

/* The opened rows, for clearing. */
static const struct db_field claim_row[] = {
    DB_FIELD(DB_T_TEXT, struct store_claim, summary, "summary"), DB_FIELD_END};
static const struct db_field statement_row[] = {
    DB_FIELD(DB_T_TEXT, struct store_statement, text, "text"), DB_FIELD_END};

/* `lockstepd migrate`: a claim summary or statement written before 0004. */
struct legacy_row {
	char engagement_id[DB_UUID_LEN + 1];
	char row_id[CLAIM_ROWID_LEN];
	char *plain;
	char threat_model[32]; /* "" for statements */
};
static const struct db_field legacy_row[] = {
    DB_FIELD(DB_T_STR, struct legacy_row, engagement_id, "engagement_id"),
    DB_FIELD(DB_T_STR, struct legacy_row, row_id, "row_id"),
    DB_FIELD(DB_T_TEXT, struct legacy_row, plain, "plain"),
    DB_FIELD(DB_T_STR, struct legacy_row, threat_model, "threat_model"), DB_FIELD_END};

const struct db_statement store_claim_statements[] = {
    {"claim_upsert",
     "INSERT INTO claims (engagement_id, company_org_id, assessor_org_id, threat_model, level,"
     " summary, updated_by) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::bytea, ls_uid())"
     " ON CONFLICT (engagement_id, threat_model) DO UPDATE SET level = EXCLUDED.level,"
     " summary = EXCLUDED.summary, summary_plain = NULL, updated_by = EXCLUDED.updated_by,"
     " updated_at = now() RETURNING " CLAIM_COLS,
     claim_raw_row},
    {"claims_list",
     "SELECT c.engagement_id, c.threat_model, c.level, c.summary, c.summary_plain, c.updated_by,"
     " ls_ts(c.updated_at) AS updated_at"
     " FROM claims c JOIN threat_models t ON t.code = c.threat_model"
     " WHERE c.engagement_id = $1::uuid ORDER BY t.position",
     claim_raw_row},
    {"statement_upsert",
     "INSERT INTO statements (engagement_id, company_org_id, assessor_org_id, text, updated_by)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::bytea, ls_uid())"
     " ON CONFLICT (engagement_id) DO UPDATE SET text = EXCLUDED.text, text_plain = NULL,"
     " updated_by = EXCLUDED.updated_by, updated_at = now() RETURNING " STATEMENT_COLS,
     statement_raw_row},
    {"statement_get", "SELECT " STATEMENT_COLS " FROM statements WHERE engagement_id = $1::uuid",
     statement_raw_row},
    /* `lockstepd migrate` as the owner: rows written before 0004, of campaigns
     * not yet released (released ones are public and frozen) */
    {"legacy_claims",
     "SELECT c.engagement_id, c.engagement_id::text || '/' || c.threat_model AS row_id,"
     " c.summary_plain AS plain, c.threat_model"
     " FROM claims c JOIN engagements e ON e.id = c.engagement_id"
     " WHERE c.summary_plain IS NOT NULL AND c.summary IS NULL"
     " AND NOT ls_campaign_frozen(e.campaign_id)",
     legacy_row},
    {"legacy_claim_seal",
     "UPDATE claims SET summary = $2::bytea, summary_plain = NULL"
     " WHERE engagement_id = $1::uuid AND threat_model = $3 AND summary IS NULL",
     NULL},
    {"legacy_statements",
     "SELECT s.engagement_id, s.engagement_id::text AS row_id, s.text_plain AS plain,"
     " ''::text AS threat_model FROM statements s JOIN engagements e ON e.id = s.engagement_id"
     " WHERE s.text_plain IS NOT NULL AND s.text IS NULL"
     " AND NOT ls_campaign_frozen(e.campaign_id)",
     legacy_row},
    {"legacy_statement_seal",
     "UPDATE statements SET text = $2::bytea, text_plain = NULL"
     " WHERE engagement_id = $1::uuid AND text IS NULL",
     NULL},
    {NULL, NULL, NULL}};

/*
 * The plaintext of a sealed column (sealed, under key for kind/row_id/
 * column) or of a row from before 0004 (plain, when nothing is sealed):
 * a malloc'd NUL-terminated copy into *out. Returns 0 or -1 (logged).
 */
static int
claim_open_text(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                const char *column, const struct db_bytes *sealed, const char *plain, char **out)
{
	unsigned char *pt = NULL;
	size_t ptlen = 0;

	*out = NULL;
	if (sealed->p == NULL) {
		if (plain == NULL)
			return -1;
		*out = strdup(plain);
		return *out ? 0 : -1;
	}
	if (store_open_bytes(key, kind, row_id, column, sealed->p, sealed->len, &pt, &ptlen) != 0) {
		log_event(
		    LOG_LEVEL_ERROR, "decrypt_failed",
		    json_pack("{s:s, s:s, s:s}", "kind", kind, "id", row_id, "column", column));
		return -1;
	}
	if ((*out = malloc(ptlen + 1)) != NULL) {
		memcpy(*out, pt, ptlen);
		(*out)[ptlen] = '\0';
	}
	store_secret_free(pt, ptlen);
	return *out ? 0 : -1;
}

/* Open raw into raw->k (the summary); free the sealed columns. 0 or -1. */
static int
claim_open(const unsigned char key[CRYPTO_KEY_LEN], struct claim_raw *raw)
{
	char rowid[CLAIM_ROWID_LEN];
	int rc;

	snprintf(rowid, sizeof(rowid), "%s/%s", raw->k.engagement_id, raw->k.threat_model);
	rc = claim_open_text(key, "claim", rowid, "summary", &raw->sealed, raw->plain,
	                     &raw->k.summary);
	free(raw->sealed.p);
	raw->sealed.p = NULL;
	free(raw->plain);
	raw->plain = NULL;
	return rc;
}

static int
statement_open(const unsigned char key[CRYPTO_KEY_LEN], struct statement_raw *raw)
{
	int rc = claim_open_text(key, "statement", raw->s.engagement_id, "text", &raw->sealed,
	                         raw->plain, &raw->s.text);

	free(raw->sealed.p);
	raw->sealed.p = NULL;
	free(raw->plain);
	raw->plain = NULL;
	return rc;
}

int
store_claim_put(struct db_conn *c, const char *engagement, const char *company,
                const char *assessor, const char *threat_model, const char *level,
                const char *summary, struct store_claim *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char rowid[CLAIM_ROWID_LEN];
	struct claim_raw raw = {0};
	char *sealed = NULL;
	int rc;

	store_claim_clear(out);
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	/* bound to (engagement, threat model, column) */
	snprintf(rowid, sizeof(rowid), "%s/%s", engagement, threat_model);
	sealed = store_seal(key, "claim", rowid, "summary", summary);
	if (sealed == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	{
		const char *p[6] = {engagement, company, assessor, threat_model, level, sealed};

		rc = store_one(c, "claim_upsert", 6, p, claim_raw_row, &raw);
	}
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	if (rc == DB_OK && claim_open(key, &raw) != 0)
		rc = DB_ERROR;
	if (rc == DB_OK)
		*out = raw.k;
	else
		db_row_clear(claim_raw_row, &raw);
done:
	explicit_bzero(key, sizeof(key));
	free(sealed);
	return rc;
}

int
store_claim_list(struct db_conn *c, const char *engagement, struct store_claim **rows, int *n)
{
	const char *p[1] = {engagement};
	unsigned char key[CRYPTO_KEY_LEN];
	struct claim_raw *raw = NULL;
	int nraw = 0, rc, sealed = 0;

	*rows = NULL;
	*n = 0;
	if ((rc = store_all(c, "claims_list", 1, p, claim_raw_row, sizeof(*raw), (void **)&raw,
	                    &nraw)) != DB_OK)
		return rc;
	for (int i = 0; i < nraw; i++)
		sealed |= raw[i].sealed.p != NULL;
	/* the key only when something is sealed (rows from before 0004 are not) */
	if (sealed && (rc = store_engagement_key(c, engagement, key)) != DB_OK)
		goto done;
	if ((*rows = calloc(nraw > 0 ? (size_t)nraw : 1, sizeof(**rows))) == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	for (int i = 0; i < nraw; i++) {
		if (claim_open(key, &raw[i]) != 0) {
			rc = DB_ERROR;
			break;
		}
		(*rows)[i] = raw[i].k;
		memset(&raw[i].k, 0, sizeof(raw[i].k)); /* moved */
		*n = i + 1;
	}
	if (rc != DB_OK) {
		store_claims_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
done:
	if (sealed)
		explicit_bzero(key, sizeof(key));
	db_rows_clear(claim_raw_row, sizeof(*raw), raw, nraw);
	return rc;
}

void
store_claim_clear(struct store_claim *k)
{
	if (k == NULL)
		return;
	db_row_clear(claim_row, k);
	memset(k, 0, sizeof(*k));
}

void
store_claims_free(struct store_claim *rows, int n)
{
	db_rows_clear(claim_row, sizeof(*rows), rows, n);
}

int
store_statement_put(struct db_conn *c, const char *engagement, const char *company,
                    const char *assessor, const char *text, struct store_statement *out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct statement_raw raw = {0};
	char *sealed = NULL;
	int rc;

	store_statement_clear(out);
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	/* bound to (engagement, column) */
	if ((sealed = store_seal(key, "statement", engagement, "text", text)) == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	{
		const char *p[4] = {engagement, company, assessor, sealed};

		rc = store_one(c, "statement_upsert", 4, p, statement_raw_row, &raw);
	}
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	if (rc == DB_OK && statement_open(key, &raw) != 0)
		rc = DB_ERROR;
	if (rc == DB_OK)
		*out = raw.s;
	else
		db_row_clear(statement_raw_row, &raw);
done:
	explicit_bzero(key, sizeof(key));
	free(sealed);
	return rc;
}

int
store_statement_get(struct db_conn *c, const char *engagement, struct store_statement *out)
{
	const char *p[1] = {engagement};
	unsigned char key[CRYPTO_KEY_LEN];
	struct statement_raw raw = {0};
	int rc;

	store_statement_clear(out);
	if ((rc = store_one(c, "statement_get", 1, p, statement_raw_row, &raw)) != DB_OK)
		return rc;
	if (raw.sealed.p != NULL && (rc = store_engagement_key(c, engagement, key)) != DB_OK) {
		db_row_clear(statement_raw_row, &raw);
		return rc;
	}
	if (statement_open(key, &raw) != 0)
		rc = DB_ERROR;
	explicit_bzero(key, sizeof(key));
	if (rc == DB_OK)
		*out = raw.s;
	else
		db_row_clear(statement_raw_row, &raw);
	return rc;
}

void
store_statement_clear(struct store_statement *s)
{
	if (s == NULL)
		return;
	db_row_clear(statement_row, s);
	memset(s, 0, sizeof(*s));
}

/*
 * Seal every row of legacy statement name (kind, column) with its
 * engagement's data key through seal_name. *count: how many. DB_OK or a
 * db_status.
 */
static int
legacy_seal(struct db_conn *c, const char *name, const char *kind, const char *column,
            const char *seal_name, int *count)
{
	struct legacy_row *rows = NULL;
	int n = 0, rc;

	*count = 0;
	if ((rc = store_all(c, name, 0, NULL, legacy_row, sizeof(*rows), (void **)&rows, &n)) !=
	    DB_OK)
		return rc;
	for (int i = 0; i < n && rc == DB_OK; i++) {
		unsigned char key[CRYPTO_KEY_LEN];
		char *sealed = NULL;

		if ((rc = store_engagement_key(c, rows[i].engagement_id, key)) != DB_OK)
			break;
		sealed = store_seal(key, kind, rows[i].row_id, column,
		                    rows[i].plain ? rows[i].plain : "");
		explicit_bzero(key, sizeof(key));
		if (sealed == NULL) {
			rc = DB_ERROR;
			break;
		}
		{
			const char *p[3] = {rows[i].engagement_id, sealed, rows[i].threat_model};

			rc = db_run(c, seal_name, rows[i].threat_model[0] ? 3 : 2, p);
		}
		free(sealed);
		if (rc == DB_OK)
			(*count)++;
	}
	db_rows_clear(legacy_row, sizeof(*rows), rows, n);
	return rc;
}

int
store_legacy_seal(struct db_conn *c, int *claims, int *statements)
{
	int rc;

	*claims = *statements = 0;
	if ((rc = legacy_seal(c, "legacy_claims", "claim", "summary", "legacy_claim_seal",
	                      claims)) != DB_OK)
		return rc;
	return legacy_seal(c, "legacy_statements", "statement", "text", "legacy_statement_seal",
	                   statements);
}

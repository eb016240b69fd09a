/* store/claim.c: the assessor's public claims and the company's statement, per engagement. */
#include "config.h"

#include "store/store.h"
#include "store/tables.h"

#define CLAIM_COLS                                                                                 \
	"engagement_id, threat_model, level, summary, updated_by, ls_ts(updated_at) AS updated_at"
#define STATEMENT_COLS "engagement_id, text, updated_by, ls_ts(updated_at) AS updated_at"

static const struct db_field claim_row[] = {
    DB_FIELD(DB_T_STR, struct store_claim, engagement_id, "engagement_id"),
    DB_FIELD(DB_T_STR, struct store_claim, threat_model, "threat_model"),
    DB_FIELD(DB_T_STR, struct store_claim, level, "level"),
    DB_FIELD(DB_T_TEXT, struct store_claim, summary, "summary"),
    DB_FIELD(DB_T_STR, struct store_claim, updated_by, "updated_by"),
    DB_FIELD(DB_T_STR, struct store_claim, updated_at, "updated_at"),
    DB_FIELD_END};

static const struct db_field statement_row[] = {
    DB_FIELD(DB_T_STR, struct store_statement, engagement_id, "engagement_id"),
    DB_FIELD(DB_T_TEXT, struct store_statement, text, "text"),
    DB_FIELD(DB_T_STR, struct store_statement, updated_by, "updated_by"),
    DB_FIELD(DB_T_STR, struct store_statement, updated_at, "updated_at"), DB_FIELD_END};

const struct db_statement store_claim_statements[] = {
    {"claim_upsert",
     "INSERT INTO claims (engagement_id, company_org_id, assessor_org_id, threat_model, level,"
     " summary, updated_by) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, ls_uid())"
     " ON CONFLICT (engagement_id, threat_model) DO UPDATE SET level = EXCLUDED.level,"
     " summary = EXCLUDED.summary, updated_by = EXCLUDED.updated_by, updated_at = now()"
     " RETURNING " CLAIM_COLS,
     claim_row},
    {"claims_list",
     "SELECT c.engagement_id, c.threat_model, c.level, c.summary, c.updated_by,"
     " ls_ts(c.updated_at) AS updated_at"
     " FROM claims c JOIN threat_models t ON t.code = c.threat_model"
     " WHERE c.engagement_id = $1::uuid ORDER BY t.position",
     claim_row},
    {"statement_upsert",
     "INSERT INTO statements (engagement_id, company_org_id, assessor_org_id, text, updated_by)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4, ls_uid())"
     " ON CONFLICT (engagement_id) DO UPDATE SET text = EXCLUDED.text,"
     " updated_by = EXCLUDED.updated_by, updated_at = now() RETURNING " STATEMENT_COLS,
     statement_row},
    {"statement_get", "SELECT " STATEMENT_COLS " FROM statements WHERE engagement_id = $1::uuid",
     statement_row},
    {NULL, NULL, NULL}};

int
store_claim_put(struct db_conn *c, const char *engagement, const char *company,
                const char *assessor, const char *threat_model, const char *level,
                const char *summary, struct store_claim *out)
{
	const char *p[6] = {engagement, company, assessor, threat_model, level, summary};
	int rc;

	store_claim_clear(out);
	rc = store_one(c, "claim_upsert", 6, p, claim_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_claim_list(struct db_conn *c, const char *engagement, struct store_claim **rows, int *n)
{
	const char *p[1] = {engagement};

	return store_all(c, "claims_list", 1, p, claim_row, sizeof(**rows), (void **)rows, n);
}

void
store_claim_clear(struct store_claim *k)
{
	db_row_clear(claim_row, k);
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
	const char *p[4] = {engagement, company, assessor, text};
	int rc;

	store_statement_clear(out);
	rc = store_one(c, "statement_upsert", 4, p, statement_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_statement_get(struct db_conn *c, const char *engagement, struct store_statement *out)
{
	const char *p[1] = {engagement};

	store_statement_clear(out);
	return store_one(c, "statement_get", 1, p, statement_row, out);
}

void
store_statement_clear(struct store_statement *s)
{
	db_row_clear(statement_row, s);
}

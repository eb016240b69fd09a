/* The statement tables of the aggregates (internal to store/). */
#ifndef LOCKSTEP_STORE_TABLES_H
#define LOCKSTEP_STORE_TABLES_H

#include "store/store.h"

extern const struct db_statement store_org_statements[];
extern const struct db_statement store_user_statements[];
extern const struct db_statement store_audit_statements[];
extern const struct db_statement store_campaign_statements[];
extern const struct db_statement store_engagement_statements[];
extern const struct db_statement store_claim_statements[];
extern const struct db_statement store_finding_statements[];
extern const struct db_statement store_publication_statements[];
extern const struct db_statement store_vocab_statements[];
extern const struct db_statement store_evidence_statements[];
extern const struct db_statement store_tlog_statements[];
extern const struct db_statement store_commit_statements[];
extern const struct db_statement store_audit_export_statements[];
extern const struct db_statement store_correction_statements[];

/*
 * Run statement name and read its single row into out through fields.
 * DB_OK, STORE_NONE when there is no row, or a negative db_status.
 */
int store_one(struct db_conn *c, const char *name, int n, const char *const *p,
              const struct db_field *fields, void *out) STORE_MUST_CHECK;
/* Run statement name and read all its rows into a new array (*rows, *nrows). */
int store_all(struct db_conn *c, const char *name, int n, const char *const *p,
              const struct db_field *fields, size_t size, void **rows, int *nrows) STORE_MUST_CHECK;

/* Shared SQL fragments. */
#define STORE_JSON_ARRAY(p) "ARRAY(SELECT jsonb_array_elements_text(" p "::jsonb))"
/*
 * keyset pagination: rows after the row whose id is p (NULL: from the
 * start). ORDER BY must then name the table's columns (orgs.created_at):
 * a bare created_at would sort by the text output column of that name.
 */
#define STORE_AFTER(table, p)                                                                      \
	"(" p "::uuid IS NULL OR (created_at, id) > "                                              \
	"(SELECT t.created_at, t.id FROM " table " t WHERE t.id = " p "::uuid))"

/* A page size as a text parameter. */
#define STORE_INT_LEN 24

#endif

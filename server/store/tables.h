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
extern const struct db_statement store_keys_statements[];
extern const struct db_statement store_account_statements[];
extern const struct db_statement store_review_statements[];

/* publication.c, shared with review.c */
/* Decode hex into *out (malloc'd) and *len. 0 or -1. */
int store_hex_bytes(const char *hex, unsigned char **out, size_t *len);
/* Open sealed text (hex) under key for (kind, id, column): a new JSON string or NULL. */
json_t *store_open_hex_text(const unsigned char key[CRYPTO_KEY_LEN], const char *hex,
                            const char *kind, const char *id, const char *column);
/*
 * Open the sealed claim summaries and statements of release_inputs() or
 * review_inputs() in place; with keep_keys the engagements keep their
 * wrapped data key ("data_key", hex) and a current draft's sealed row
 * ("draft.row_sealed") is replaced by the parsed row ("draft.row").
 * Returns 0 or -1 (logged).
 */
int store_release_open(json_t *inputs, int keep_keys);
extern const struct db_statement store_conversation_statements[];
extern const struct db_statement store_notify_statements[];
extern const struct db_statement store_factor_statements[];
extern const struct db_statement store_levels_statements[];

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

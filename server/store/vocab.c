/*
 * store/vocab.c: reference data. The threat-model catalogue, and the
 * start-up comparison of C's enumerations (util/vocab.h) with their
 * source, the vocabulary table (0005_vocabulary.sql).
 */
#include "config.h"

#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/log.h"
#include "util/vocab.h"

static const struct db_field threat_model_row[] = {
    DB_FIELD(DB_T_STR, struct store_threat_model, code, "code"),
    DB_FIELD(DB_T_TEXT, struct store_threat_model, name, "name"),
    DB_FIELD(DB_T_TEXT, struct store_threat_model, description, "description"), DB_FIELD_END};

struct vocab_row {
	char name[33];
	char code[33];
	int company_may_set;
};
static const struct db_field vocab_row[] = {
    DB_FIELD(DB_T_STR, struct vocab_row, name, "name"),
    DB_FIELD(DB_T_STR, struct vocab_row, code, "code"),
    DB_FIELD(DB_T_BOOL, struct vocab_row, company_may_set, "company_may_set"), DB_FIELD_END};

const struct db_statement store_vocab_statements[] = {
    {"threat_models_list", "SELECT code, name, description FROM threat_models ORDER BY position",
     threat_model_row},
    {"vocabulary_list",
     "SELECT name, code, company_may_set FROM vocabulary ORDER BY name, position", vocab_row},
    {NULL, NULL, NULL}};

int
store_threat_model_list(struct db_conn *c, struct store_threat_model **rows, int *n)
{
	return store_all(c, "threat_models_list", 0, NULL, threat_model_row, sizeof(**rows),
	                 (void **)rows, n);
}

void
store_threat_models_free(struct store_threat_model *rows, int n)
{
	db_rows_clear(threat_model_row, sizeof(*rows), rows, n);
}

/* Log one difference between C and the vocabulary table. */
static void
vocab_mismatch(const char *name, const char *what, const char *code)
{
	log_event(LOG_LEVEL_ERROR, "vocabulary_mismatch",
	          json_pack("{s:s, s:s, s:s}", "vocabulary", name, "problem", what, "code",
	                    code ? code : ""));
}

int
store_vocab_check(struct db_conn *c)
{
	struct vocab_row *rows = NULL;
	int n = 0, rc, bad = 0;

	rc = store_all(c, "vocabulary_list", 0, NULL, vocab_row, sizeof(*rows), (void **)&rows, &n);
	if (rc != DB_OK)
		return rc;
	/* every table row is C's value at the same position, with the same flag */
	for (const struct vocab *v = vocab_all; v->name != NULL; v++) {
		int pos = 0;

		for (int i = 0; i < n; i++) {
			if (strcmp(rows[i].name, v->name) != 0)
				continue;
			if (v->codes[pos] == NULL || strcmp(v->codes[pos], rows[i].code) != 0) {
				vocab_mismatch(v->name, "order or value differs", rows[i].code);
				bad = 1;
			} else if (rows[i].company_may_set !=
			           vocab_has(v->company_may, rows[i].code)) {
				vocab_mismatch(v->name, "company_may_set differs", rows[i].code);
				bad = 1;
			}
			if (v->codes[pos] != NULL)
				pos++;
		}
		for (; v->codes[pos] != NULL; pos++) {
			vocab_mismatch(v->name, "missing in the database", v->codes[pos]);
			bad = 1;
		}
	}
	for (int i = 0; i < n; i++)
		if (vocab_find(rows[i].name) == NULL) {
			vocab_mismatch(rows[i].name, "unknown to lockstepd", rows[i].code);
			bad = 1;
		}
	db_rows_clear(vocab_row, sizeof(*rows), rows, n);
	/* the threat models: the same codes in the same order */
	{
		struct store_threat_model *tm = NULL;
		int ntm = 0, i;

		if ((rc = store_threat_model_list(c, &tm, &ntm)) != DB_OK)
			return rc;
		for (i = 0; i < ntm; i++)
			if (vocab_threat_models[i] == NULL ||
			    strcmp(vocab_threat_models[i], tm[i].code) != 0) {
				vocab_mismatch("threat_model", "order or value differs",
				               tm[i].code);
				bad = 1;
				break;
			}
		if (i == ntm && vocab_threat_models[ntm] != NULL) {
			vocab_mismatch("threat_model", "missing in the database",
			               vocab_threat_models[ntm]);
			bad = 1;
		}
		store_threat_models_free(tm, ntm);
	}
	return bad ? STORE_NONE : DB_OK;
}

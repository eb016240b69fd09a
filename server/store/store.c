/*
 * store/store.c: registration of every aggregate's statements, and the
 * envelope encryption of confidential columns (AES-256-GCM; data keys
 * wrapped by the master key, which only this file holds).
 */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/log.h"

static unsigned char store_master[CRYPTO_KEY_LEN];
/* during a rotation (LOCKSTEP_MASTER_KEY_PREVIOUS_FILE): the key being replaced */
static unsigned char store_master_prev[CRYPTO_KEY_LEN];
static int store_have_prev;

void
store_init_previous(const unsigned char prev[CRYPTO_KEY_LEN])
{
	memcpy(store_master_prev, prev, CRYPTO_KEY_LEN);
	store_have_prev = 1;
}

int
store_has_previous(void)
{
	return store_have_prev;
}

int
store_init(const unsigned char master[CRYPTO_KEY_LEN])
{
	const struct db_statement *const tables[] = {
	    store_org_statements,          store_user_statements,
	    store_audit_statements,        store_campaign_statements,
	    store_engagement_statements,   store_claim_statements,
	    store_finding_statements,      store_publication_statements,
	    store_vocab_statements,        store_evidence_statements,
	    store_keys_statements,         store_account_statements,
	    store_review_statements,       store_conversation_statements,
	    store_notify_statements,       store_factor_statements,
	    store_tlog_statements,         store_commit_statements,
	    store_audit_export_statements, store_correction_statements,
	    store_levels_statements,       NULL};

	if (master != NULL)
		memcpy(store_master, master, CRYPTO_KEY_LEN);
	for (size_t i = 0; tables[i] != NULL; i++)
		if (db_statements_add(tables[i]) != 0)
			return -1;
	return 0;
}

int
store_one(struct db_conn *c, const char *name, int n, const char *const *p,
          const struct db_field *fields, void *out)
{
	struct db_result *q;
	enum db_status st;
	int rc = DB_ERROR;

	if ((q = db_exec(c, name, n, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1)
		rc = STORE_NONE;
	else if (db_row_read(q, 0, fields, out) == 0)
		rc = DB_OK;
	db_result_free(q);
	return rc;
}

int
store_all(struct db_conn *c, const char *name, int n, const char *const *p,
          const struct db_field *fields, size_t size, void **rows, int *nrows)
{
	struct db_result *q;
	enum db_status st;
	int rc = DB_ERROR;

	*rows = NULL;
	*nrows = 0;
	if ((q = db_exec(c, name, n, p, &st)) == NULL)
		return st;
	if (db_rows_read(q, fields, size, rows, nrows) == 0)
		rc = DB_OK;
	db_result_free(q);
	return rc;
}

static int
store_vocab_tx(struct db_conn *c, void *arg)
{
	(void)arg;
	return store_vocab_check(c);
}

int
store_verify(void)
{
	int rc = db_verify();

	if (rc == 0) {
		int v = db_tx(NULL, "vocabulary_check", store_vocab_tx, NULL);

		rc = v == DB_OK ? 0 : v == STORE_NONE ? -1 : 1;
	}
	db_thread_close();
	return rc;
}

/* "lockstep/v1/<kind>/<id>/<column>" into out[STORE_AAD_LEN]. Returns its length. */
static size_t
store_aad(char out[STORE_AAD_LEN], const char *kind, const char *id, const char *column)
{
	int n = snprintf(out, STORE_AAD_LEN, "lockstep/v1/%s/%s/%s", kind, id, column);

	assert(n > 0 && n < STORE_AAD_LEN);
	return strlen(out);
}

void
store_secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

int
store_seal_bytes(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                 const char *column, const void *pt, size_t len, unsigned char **ct, size_t *ctlen)
{
	char aad[STORE_AAD_LEN];
	size_t alen = store_aad(aad, kind, row_id, column);

	return crypto_aead_seal(key, aad, alen, pt, len, ct, ctlen) == 0 ? 0 : -1;
}

int
store_open_bytes(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                 const char *column, const unsigned char *ct, size_t ctlen, unsigned char **pt,
                 size_t *ptlen)
{
	char aad[STORE_AAD_LEN];
	size_t alen = store_aad(aad, kind, row_id, column);

	*pt = NULL;
	*ptlen = 0;
	if (ct == NULL)
		return -1;
	return crypto_aead_open(key, aad, alen, ct, ctlen, pt, ptlen) == 0 ? 0 : -1;
}

char *
store_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
           const char *column, const char *text)
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char *param = NULL;

	if (store_seal_bytes(key, kind, row_id, column, text, strlen(text), &ct, &ctlen) == 0)
		param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

json_t *
store_open(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
           const char *column, const struct db_bytes *ct)
{
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	json_t *out = NULL;

	if (ct->p == NULL)
		return json_null();
	if (store_open_bytes(key, kind, row_id, column, ct->p, ct->len, &pt, &ptlen) == 0)
		out = json_stringn((const char *)pt, ptlen);
	else
		log_event(
		    LOG_LEVEL_ERROR, "decrypt_failed",
		    json_pack("{s:s, s:s, s:s}", "kind", kind, "id", row_id, "column", column));
	store_secret_free(pt, ptlen);
	return out;
}

char *
store_wrap_key(const char *kind, const char *id, const char *column,
               const unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char *param = NULL;

	if (store_seal_bytes(store_master, kind, id, column, key, CRYPTO_KEY_LEN, &ct, &ctlen) == 0)
		param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

/* store_unwrap without the error log (a first try during a rotation). */
static int
store_unwrap_quiet(const unsigned char kek[CRYPTO_KEY_LEN], const char *kind, const char *id,
                   const char *column, const unsigned char *wrapped, size_t wlen,
                   unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	int ret = -1;

	if (store_open_bytes(kek, kind, id, column, wrapped, wlen, &pt, &ptlen) == 0 &&
	    ptlen == CRYPTO_KEY_LEN) {
		memcpy(key, pt, CRYPTO_KEY_LEN);
		ret = 0;
	}
	store_secret_free(pt, ptlen);
	return ret;
}

int
store_unwrap(const unsigned char kek[CRYPTO_KEY_LEN], const char *kind, const char *id,
             const char *column, const unsigned char *wrapped, size_t wlen,
             unsigned char key[CRYPTO_KEY_LEN])
{
	if (store_unwrap_quiet(kek, kind, id, column, wrapped, wlen, key) == 0)
		return 0;
	log_event(LOG_LEVEL_ERROR, "data_key_unwrap_failed",
	          json_pack("{s:s, s:s}", "kind", kind, "id", id));
	return -1;
}

int
store_unwrap_key(const char *kind, const char *id, const char *column, const unsigned char *wrapped,
                 size_t wlen, unsigned char key[CRYPTO_KEY_LEN])
{
	/* during a rotation a row may still be under the previous key */
	if (store_have_prev &&
	    store_unwrap_quiet(store_master, kind, id, column, wrapped, wlen, key) != 0)
		return store_unwrap(store_master_prev, kind, id, column, wrapped, wlen, key);
	return store_unwrap(store_master, kind, id, column, wrapped, wlen, key);
}

int
store_rewrap_key(const char *kind, const char *id, const char *column, const unsigned char *wrapped,
                 size_t wlen, char **param)
{
	unsigned char key[CRYPTO_KEY_LEN];

	*param = NULL;
	if (store_unwrap_quiet(store_master, kind, id, column, wrapped, wlen, key) == 0) {
		explicit_bzero(key, sizeof(key));
		return 0; /* already under the current key */
	}
	if (!store_have_prev ||
	    store_unwrap(store_master_prev, kind, id, column, wrapped, wlen, key) != 0)
		return -1;
	*param = store_wrap_key(kind, id, column, key);
	explicit_bzero(key, sizeof(key));
	return *param != NULL ? 1 : -1;
}

int
store_reseal(const char *kind, const char *id, const char *column, const unsigned char *ct,
             size_t ctlen, char **param)
{
	unsigned char *pt = NULL, *nct = NULL;
	size_t ptlen = 0, nlen = 0;

	*param = NULL;
	if (store_open_bytes(store_master, kind, id, column, ct, ctlen, &pt, &ptlen) == 0) {
		store_secret_free(pt, ptlen);
		return 0; /* already under the current key */
	}
	if (!store_have_prev ||
	    store_open_bytes(store_master_prev, kind, id, column, ct, ctlen, &pt, &ptlen) != 0)
		return -1;
	if (store_seal_bytes(store_master, kind, id, column, pt, ptlen, &nct, &nlen) == 0)
		*param = db_param_bytea(nct, nlen);
	store_secret_free(pt, ptlen);
	free(nct);
	return *param != NULL ? 1 : -1;
}

char *
store_master_seal(const char *kind, const char *id, const char *column, const void *pt, size_t len)
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char *param = NULL;

	if (store_seal_bytes(store_master, kind, id, column, pt, len, &ct, &ctlen) == 0)
		param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

/* during a rotation a secret may still be under the previous key */
int
store_master_open(const char *kind, const char *id, const char *column, const struct db_bytes *ct,
                  unsigned char **pt, size_t *ptlen)
{
	if (store_open_bytes(store_master, kind, id, column, ct->p, ct->len, pt, ptlen) != 0 &&
	    (!store_have_prev || store_open_bytes(store_master_prev, kind, id, column, ct->p,
	                                          ct->len, pt, ptlen) != 0)) {
		log_event(LOG_LEVEL_ERROR, "decrypt_failed",
		          json_pack("{s:s, s:s, s:s}", "kind", kind, "id", id, "column", column));
		return -1;
	}
	return 0;
}

/* The text forms of store_master_seal and store_master_open. */
char *
store_seal_master(const char *kind, const char *id, const char *column, const char *text)
{
	return store_master_seal(kind, id, column, text, strlen(text));
}

char *
store_open_master(const char *kind, const char *id, const char *column, const unsigned char *ct,
                  size_t ctlen)
{
	const struct db_bytes in = {(unsigned char *)ct, ctlen};
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	char *out = NULL;

	if (store_master_open(kind, id, column, &in, &pt, &ptlen) != 0)
		return NULL;
	if ((out = malloc(ptlen + 1)) != NULL) {
		memcpy(out, pt, ptlen);
		out[ptlen] = '\0';
	}
	store_secret_free(pt, ptlen);
	return out;
}

/*
 * store/keys.c: the master key's check value (sql/0011_keys.sql).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "store/tables.h"
#include "util/log.h"

#define KEY_CHECK_LABEL "lockstep master key check v1"

static const struct db_field signing_key_row[] = {
    DB_FIELD(DB_T_STR, struct store_signing_key, key_id, "key_id"),
    DB_FIELD(DB_T_BYTEA, struct store_signing_key, public_key, "public_key"),
    DB_FIELD(DB_T_STR, struct store_signing_key, created_at, "created_at"),
    DB_FIELD(DB_T_STR, struct store_signing_key, previous_key_id, "previous_key_id"),
    DB_FIELD(DB_T_TEXT, struct store_signing_key, statement, "statement"),
    DB_FIELD(DB_T_BYTEA, struct store_signing_key, endorsement, "endorsement"),
    DB_FIELD_END};

const struct db_statement store_keys_statements[] = {
    {"signing_key_list",
     "SELECT key_id, public_key, ls_ts(created_at) AS created_at, previous_key_id, statement,"
     " endorsement FROM signing_keys ORDER BY signing_keys.created_at, key_id",
     signing_key_row},
    {"signing_key_add",
     "INSERT INTO signing_keys (key_id, public_key, created_at, previous_key_id, statement,"
     " endorsement) VALUES ($1, $2::bytea, $3::timestamptz, nullif($4, ''), $5, $6::bytea)",
     NULL},
    {"key_check_get", "SELECT check_value FROM key_checks WHERE name = 'master'", NULL},
    {"key_check_init",
     "INSERT INTO key_checks (name, check_value) VALUES ('master', $1::bytea)"
     " ON CONFLICT (name) DO NOTHING",
     NULL},
    {"key_check_replace",
     "UPDATE key_checks SET check_value = $1::bytea, set_at = now() WHERE name = 'master'", NULL},
    {"key_rewrap_list",
     "SELECT engagement_id::text, data_key FROM engagement_secrets"
     " WHERE engagement_id > coalesce(nullif($1, '')::uuid, '00000000-0000-0000-0000-000000000000')"
     " ORDER BY engagement_id LIMIT $2::integer FOR UPDATE",
     NULL},
    {"key_rewrap_set",
     "UPDATE engagement_secrets SET data_key = $2::bytea WHERE engagement_id = $1::uuid", NULL},
    {"key_reseal_totp_list",
     "SELECT user_id::text, secret FROM user_totp"
     " WHERE user_id > coalesce(nullif($1, '')::uuid, '00000000-0000-0000-0000-000000000000')"
     " ORDER BY user_id LIMIT $2::integer FOR UPDATE",
     NULL},
    {"key_reseal_totp_set", "UPDATE user_totp SET secret = $2::bytea WHERE user_id = $1::uuid",
     NULL},
    {"key_reseal_webhook_list",
     "SELECT id::text, secret FROM webhooks"
     " WHERE id > coalesce(nullif($1, '')::uuid, '00000000-0000-0000-0000-000000000000')"
     " ORDER BY id LIMIT $2::integer FOR UPDATE",
     NULL},
    {"key_reseal_webhook_set", "UPDATE webhooks SET secret = $2::bytea WHERE id = $1::uuid", NULL},
    {NULL, NULL, NULL}};

static int
keys_check_value(const unsigned char master[CRYPTO_KEY_LEN], unsigned char mac[CRYPTO_SHA256_LEN])
{
	return crypto_hmac_sha256(master, CRYPTO_KEY_LEN, KEY_CHECK_LABEL, strlen(KEY_CHECK_LABEL),
	                          mac);
}

int
store_master_check(struct db_conn *c, const unsigned char master[CRYPTO_KEY_LEN], int may_set)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct db_result *r;
	enum db_status st;
	int rc;

	if (keys_check_value(master, mac) != 0)
		return DB_ERROR;
	if ((r = db_exec_bin(c, "key_check_get", 0, NULL, NULL, 1, &st)) == NULL)
		return st;
	if (db_rows(r) == 1) {
		size_t len;
		const unsigned char *v = db_get_raw(r, 0, 0, &len);

		rc = len == sizeof(mac) && memcmp(v, mac, sizeof(mac)) == 0 ? DB_OK
		                                                            : STORE_KEY_MISMATCH;
		db_result_free(r);
		return rc;
	}
	db_result_free(r);
	if (!may_set)
		return STORE_NONE;
	{
		const char *p[1] = {(const char *)mac};
		const int len[1] = {(int)sizeof(mac)};

		r = db_exec_bin(c, "key_check_init", 1, p, len, 0, &st);
		if (r == NULL)
			return st;
		db_result_free(r);
	}
	/* a concurrent migrate may have set it first: read it back */
	return store_master_check(c, master, 0);
}

int
store_master_check_replace(struct db_conn *c, const unsigned char master[CRYPTO_KEY_LEN])
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	const char *p[1] = {(const char *)mac};
	const int len[1] = {(int)sizeof(mac)};
	struct db_result *r;
	enum db_status st;

	if (keys_check_value(master, mac) != 0)
		return DB_ERROR;
	if ((r = db_exec_bin(c, "key_check_replace", 1, p, len, 0, &st)) == NULL)
		return st;
	db_result_free(r);
	return DB_OK;
}

static const struct {
	const char *list, *set, *kind, *column;
} keys_targets[STORE_REWRAP_TARGETS] = {
    [STORE_REWRAP_DATA_KEYS] = {"key_rewrap_list", "key_rewrap_set", "engagement", "data_key"},
    [STORE_REWRAP_TOTP] = {"key_reseal_totp_list", "key_reseal_totp_set", "totp", "secret"},
    [STORE_REWRAP_WEBHOOKS] = {"key_reseal_webhook_list", "key_reseal_webhook_set", "webhook",
                               "secret"},
};

int
store_rewrap_batch(struct db_conn *c, enum store_rewrap_target target, const char *after, int limit,
                   char last[37], long long *rewrapped, long long *current, long long *failed)
{
	const char *kind = keys_targets[target].kind, *column = keys_targets[target].column;
	char lim[16];
	const char *p[2] = {after, lim};
	struct db_result *r;
	enum db_status st;
	int rc = DB_OK;

	last[0] = '\0';
	snprintf(lim, sizeof(lim), "%d", limit);
	/* text parameters, binary results (the wrapped keys are bytea) */
	if ((r = db_exec_bin(c, keys_targets[target].list, 2, p, NULL, 1, &st)) == NULL)
		return st;
	for (int i = 0; i < db_rows(r) && rc == DB_OK; i++) {
		size_t idlen, wlen;
		const unsigned char *id = db_get_raw(r, i, 0, &idlen);
		const unsigned char *w = db_get_raw(r, i, 1, &wlen);
		char eid[37], *param = NULL;

		if (idlen != 36)
			continue;
		memcpy(eid, id, 36);
		eid[36] = '\0';
		memcpy(last, eid, sizeof(eid));
		switch (target == STORE_REWRAP_DATA_KEYS
		            ? store_rewrap_key(kind, eid, column, w, wlen, &param)
		            : store_reseal(kind, eid, column, w, wlen, &param)) {
		case 0:
			(*current)++;
			break;
		case 1: {
			const char *q[2] = {eid, param};

			rc = db_run(c, keys_targets[target].set, 2, q);
			if (rc == DB_OK)
				(*rewrapped)++;
			break;
		}
		default:
			(*failed)++;
			log_event(LOG_LEVEL_ERROR, "rewrap_failed",
			          json_pack("{s:s, s:s}", "kind", kind, "id", eid));
		}
		free(param);
	}
	db_result_free(r);
	return rc;
}

int
store_signing_key_list(struct db_conn *c, struct store_signing_key **rows, int *n)
{
	return store_all(c, "signing_key_list", 0, NULL, signing_key_row, sizeof(**rows),
	                 (void **)rows, n);
}

void
store_signing_keys_free(struct store_signing_key *rows, int n)
{
	db_rows_clear(signing_key_row, sizeof(*rows), rows, n); /* frees rows too */
}

int
store_signing_key_add(struct db_conn *c, const char *key_id,
                      const unsigned char pub[CRYPTO_ED25519_PUB_LEN], const char *created_at,
                      const char *previous_key_id, const char *statement,
                      const unsigned char *endorsement)
{
	char *pub_param = db_param_bytea(pub, CRYPTO_ED25519_PUB_LEN);
	char *end_param =
	    endorsement != NULL ? db_param_bytea(endorsement, CRYPTO_ED25519_SIG_LEN) : NULL;
	const char *p[6] = {key_id,     pub_param,
	                    created_at, previous_key_id ? previous_key_id : "",
	                    statement,  end_param};
	int rc = DB_ERROR;

	if (pub_param != NULL && (endorsement == NULL || end_param != NULL))
		rc = db_run(c, "signing_key_add", 6, p);
	free(pub_param);
	free(end_param);
	return rc;
}

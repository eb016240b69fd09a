/*
 * store/keys.c: the master key's check value (sql/0011_keys.sql).
 */
#include "config.h"

#include <string.h>

#include "crypto/crypto.h"
#include "store/tables.h"
#include "util/log.h"

#define KEY_CHECK_LABEL "lockstep master key check v1"

const struct db_statement store_keys_statements[] = {
    {"key_check_get", "SELECT check_value FROM key_checks WHERE name = 'master'", NULL},
    {"key_check_init",
     "INSERT INTO key_checks (name, check_value) VALUES ('master', $1::bytea)"
     " ON CONFLICT (name) DO NOTHING",
     NULL},
    {NULL, NULL, NULL}};

int
store_master_check(struct db_conn *c, const unsigned char master[CRYPTO_KEY_LEN], int may_set)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct db_result *r;
	enum db_status st;
	int rc;

	if (crypto_hmac_sha256(master, CRYPTO_KEY_LEN, KEY_CHECK_LABEL, strlen(KEY_CHECK_LABEL),
	                       mac) != 0)
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

/*
 * keyring.c: the signing key history and its rotation (see keyring.h).
 *
 * Each key after the first is endorsed by its predecessor: an Ed25519
 * signature over the canonical JSON statement
 *   {"created_at":"...","key":"<base64url>","key_id":"<RFC 7638 thumbprint>",
 *    "previous_key_id":"...","type":"lockstep-signing-key"}
 * so that whoever pinned an earlier key can follow the chain to the key
 * that signed a later publication (`lockstep verify`).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "keyring.h"
#include "store/store.h"
#include "util/log.h"
#include "util/util.h"

/* The statement for pub (key id into kid), canonical JSON; malloc'd or NULL. */
static char *
keyring_statement(const unsigned char pub[CRYPTO_ED25519_PUB_LEN], const char *previous_key_id,
                  const char *created_at, char kid[64])
{
	char x[64];
	json_t *j;
	char *text;

	if (crypto_ed25519_key_id(pub, kid) != 0)
		return NULL;
	util_b64url_encode(pub, CRYPTO_ED25519_PUB_LEN, x);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "created_at", created_at, "key", x, "key_id",
	              kid, "previous_key_id", previous_key_id, "type", "lockstep-signing-key");
	if (j == NULL)
		return NULL;
	/* ASCII values, sorted keys, no white space: the canonical form */
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(j);
	return text;
}

static void
keyring_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct keyring_tx {
	const struct crypto_signer *signer; /* the key to register or to endorse with */
	const struct crypto_signer *next;   /* rotation: the new key */
	int added;                          /* result */
	char error[256];                    /* result: why the rotation was refused */
};

static int
keyring_first_tx(struct db_conn *c, void *arg)
{
	struct keyring_tx *k = arg;
	struct store_signing_key *rows = NULL;
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	char kid[64], now[32], *statement;
	int n = 0, rc;

	k->added = 0;
	if ((rc = store_signing_key_list(c, &rows, &n)) != DB_OK)
		return rc;
	store_signing_keys_free(rows, n);
	if (n > 0)
		return DB_OK;
	crypto_signer_public(k->signer, pub);
	keyring_now(now);
	if ((statement = keyring_statement(pub, "", now, kid)) == NULL)
		return DB_ERROR;
	rc = store_signing_key_add(c, kid, pub, now, NULL, statement, NULL);
	free(statement);
	if (rc == DB_OK)
		k->added = 1;
	return rc;
}

int
keyring_register_first(const struct crypto_signer *signer)
{
	struct keyring_tx k = {.signer = signer};
	int rc = db_tx(NULL, "signing_key_first", keyring_first_tx, &k);

	if (rc != DB_OK) {
		log_event(LOG_LEVEL_ERROR, "signing_key_register_failed",
		          json_pack("{s:i}", "status", rc));
		return -1;
	}
	if (k.added)
		log_event(LOG_LEVEL_INFO, "signing_key_registered", NULL);
	return 0;
}

struct keyring_list {
	struct store_signing_key *rows;
	int n;
};

static int
keyring_list_tx(struct db_conn *c, void *arg)
{
	struct keyring_list *l = arg;

	store_signing_keys_free(l->rows, l->n);
	l->rows = NULL;
	l->n = 0;
	return store_signing_key_list(c, &l->rows, &l->n);
}

void
keyring_check_current(const struct crypto_signer *signer)
{
	struct keyring_list l = {0};
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	char kid[64];

	crypto_signer_public(signer, pub);
	if (crypto_ed25519_key_id(pub, kid) == 0 &&
	    db_tx(NULL, "signing_key_list", keyring_list_tx, &l) == DB_OK && l.n > 0 &&
	    strcmp(l.rows[l.n - 1].key_id, kid) != 0)
		log_event(
		    LOG_LEVEL_WARN, "signing_key_not_current",
		    json_pack("{s:s, s:s, s:s}", "key_id", kid, "newest", l.rows[l.n - 1].key_id,
		              "detail",
		              "this replica signs with a key that is not the newest of the "
		              "history: restart it with the newest key (docs/DEPLOY.md, Keys)"));
	store_signing_keys_free(l.rows, l.n);
}

static int
keyring_rotate_tx(struct db_conn *c, void *arg)
{
	struct keyring_tx *k = arg;
	struct store_signing_key *rows = NULL;
	unsigned char old[CRYPTO_ED25519_PUB_LEN], pub[CRYPTO_ED25519_PUB_LEN];
	unsigned char sig[CRYPTO_ED25519_SIG_LEN];
	char old_kid[64], kid[64], now[32], detail[200], *statement = NULL;
	int n = 0, rc;

	k->added = 0;
	k->error[0] = '\0';
	crypto_signer_public(k->signer, old);
	crypto_signer_public(k->next, pub);
	if (crypto_ed25519_key_id(old, old_kid) != 0 || crypto_ed25519_key_id(pub, kid) != 0)
		return DB_ERROR;
	if ((rc = store_signing_key_list(c, &rows, &n)) != DB_OK)
		return rc;
	if (n > 0 && strcmp(rows[n - 1].key_id, kid) == 0) {
		store_signing_keys_free(rows, n);
		return DB_OK; /* done before: nothing to do */
	}
	if (n > 0 && strcmp(rows[n - 1].key_id, old_kid) != 0) {
		snprintf(k->error, sizeof(k->error),
		         "the previous key (%s) is not the newest of the history (%s)", old_kid,
		         rows[n - 1].key_id);
		store_signing_keys_free(rows, n);
		return DB_OK;
	}
	store_signing_keys_free(rows, n);
	keyring_now(now);
	if (n == 0) {
		/* a history that never had its first key: the previous one is it */
		if ((statement = keyring_statement(old, "", now, old_kid)) == NULL)
			return DB_ERROR;
		rc = store_signing_key_add(c, old_kid, old, now, NULL, statement, NULL);
		free(statement);
		if (rc != DB_OK)
			return rc;
	}
	if ((statement = keyring_statement(pub, old_kid, now, kid)) == NULL)
		return DB_ERROR;
	rc = crypto_sign(k->signer, statement, strlen(statement), sig) == 0 ? DB_OK : DB_ERROR;
	if (rc == DB_OK)
		rc = store_signing_key_add(c, kid, pub, now, old_kid, statement, sig);
	free(statement);
	snprintf(detail, sizeof(detail), "{\"key_id\": \"%s\", \"previous_key_id\": \"%s\"}", kid,
	         old_kid);
	if (rc == DB_OK)
		rc = store_audit_append(c, "signing_key.rotated", "key", kid, NULL, NULL, detail,
		                        NULL);
	if (rc == DB_OK)
		k->added = 1;
	return rc;
}

int
keyring_rotate_signing_key(void)
{
	struct crypto_signer *old = NULL, *next = NULL;
	struct keyring_tx k = {0};
	int rc = 1;

	if (config.owner_database_url == NULL || config.signing_key_file == NULL ||
	    config.signing_key_previous_file == NULL) {
		log_event(LOG_LEVEL_ERROR, "config_missing",
		          json_pack("{s:s}", "error",
		                    "rotate-signing-key needs LOCKSTEP_OWNER_DATABASE_URL, "
		                    "LOCKSTEP_SIGNING_KEY_FILE (the new key) and "
		                    "LOCKSTEP_SIGNING_KEY_PREVIOUS_FILE (the key in use)"));
		return 1;
	}
	if ((old = crypto_signer_load(config.signing_key_previous_file, 0)) == NULL ||
	    (next = crypto_signer_load(config.signing_key_file, 1)) == NULL) {
		log_event(LOG_LEVEL_ERROR, "signing_key_failed",
		          json_pack("{s:s}", "error", crypto_last_error()));
		goto done;
	}
	k.signer = old;
	k.next = next;
	if (store_init(NULL) != 0)
		goto done;
	db_configure(config.owner_database_url);
	if (db_tx(NULL, "signing_key_rotate", keyring_rotate_tx, &k) != DB_OK) {
		log_event(LOG_LEVEL_ERROR, "signing_key_rotation_failed", NULL);
		goto done;
	}
	if (k.error[0] != '\0') {
		log_event(LOG_LEVEL_ERROR, "signing_key_rotation_refused",
		          json_pack("{s:s}", "error", k.error));
		goto done;
	}
	log_event(LOG_LEVEL_INFO, "signing_key_rotated",
	          json_pack("{s:b, s:s}", "added", k.added, "next",
	                    "restart every replica with the new LOCKSTEP_SIGNING_KEY_FILE"));
	rc = 0;
done:
	db_thread_close();
	crypto_signer_free(old);
	crypto_signer_free(next);
	return rc;
}

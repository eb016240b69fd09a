/*
 * lockstepd: the lockstep server.
 *
 *   lockstepd [serve]      serve HTTP and run the release scheduler until
 *                          SIGTERM/SIGINT (graceful)
 *   lockstepd migrate      apply sql/NNNN_*.sql as the schema owner, then
 *                          seal claims and statements written before 0004
 *   lockstepd ensure-admin make sure the coordinator org and admin exist
 *   lockstepd init-keys    create the master key and signing key if absent
 *   lockstepd rotate-master-key
 *                          rewrap every data key from the previous master key
 *                          (LOCKSTEP_MASTER_KEY_PREVIOUS_FILE) to the current one
 *   lockstepd rotate-signing-key
 *                          append the new signing key to the history, endorsed
 *                          by LOCKSTEP_SIGNING_KEY_PREVIOUS_FILE
 *
 * Configuration: LOCKSTEP_* environment variables (conf.c, README.md).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/evidence.h"
#include "api/pubcache.h"
#include "conf.h"
#include "keyring.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "store/store.h"
#include "http/http.h"
#include "notify/notify.h"
#include "publish/publish.h"
#include "util/email.h"
#include "util/log.h"

static int
main_need(const char *value, const char *name)
{
	if (value != NULL)
		return 0;
	log_event(LOG_LEVEL_ERROR, "config_missing", json_pack("{s:s}", "variable", name));
	return -1;
}

static int
main_init_keys(void)
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct crypto_signer *s;

	if (main_need(config.master_key_file, "LOCKSTEP_MASTER_KEY_FILE") != 0 ||
	    main_need(config.signing_key_file, "LOCKSTEP_SIGNING_KEY_FILE") != 0)
		return 1;
	if (crypto_keyfile_load(config.master_key_file, 1, key) != 0) {
		log_event(LOG_LEVEL_ERROR, "master_key_failed",
		          json_pack("{s:s, s:s}", "path", config.master_key_file, "error",
		                    crypto_last_error()));
		return 1;
	}
	explicit_bzero(key, sizeof(key));
	if ((s = crypto_signer_load(config.signing_key_file, 1)) == NULL) {
		log_event(LOG_LEVEL_ERROR, "signing_key_failed",
		          json_pack("{s:s, s:s}", "path", config.signing_key_file, "error",
		                    crypto_last_error()));
		return 1;
	}
	crypto_signer_free(s);
	log_event(LOG_LEVEL_INFO, "keys_ready", NULL);
	return 0;
}

/* Say clearly why we stop: the master key is not this database's. */
static void
main_key_mismatch(void)
{
	log_event(LOG_LEVEL_ERROR, "master_key_mismatch",
	          json_pack("{s:s, s:s}", "path", config.master_key_file, "error",
	                    "this database was written under another master key; refusing to "
	                    "use it (restore the master key that belongs to this database: "
	                    "docs/DEPLOY.md, Keys)"));
}

/*
 * Claim summaries and statements written before 0004_anonymity.sql are
 * plaintext (*_plain columns): seal those of campaigns not yet released
 * with their engagement's data key (released ones are public and frozen),
 * through store_legacy_seal. Needs the master key; without
 * LOCKSTEP_MASTER_KEY_FILE nothing is done. Returns 0, or -1 (logged).
 */
static int
main_seal_legacy(void)
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct db_conn *c;
	int claims = 0, statements = 0, rc;

	if (config.master_key_file == NULL) {
		log_event(LOG_LEVEL_WARN, "legacy_seal_skipped",
		          json_pack("{s:s}", "reason", "LOCKSTEP_MASTER_KEY_FILE is not set"));
		return 0;
	}
	if (crypto_keyfile_load(config.master_key_file, 0, key) != 0) {
		log_event(LOG_LEVEL_ERROR, "master_key_failed",
		          json_pack("{s:s, s:s}", "path", config.master_key_file, "error",
		                    crypto_last_error()));
		return -1;
	}
	rc = store_init(key);
	if (rc != 0) {
		explicit_bzero(key, sizeof(key));
		return -1;
	}
	db_configure(config.owner_database_url);
	if ((c = db_thread_conn()) == NULL) {
		explicit_bzero(key, sizeof(key));
		return -1;
	}
	/* the first migrate with a key records its check value; a later one
	 * with another key stops here, before sealing anything under it */
	rc = store_master_check(c, key, 1);
	explicit_bzero(key, sizeof(key));
	if (rc == STORE_KEY_MISMATCH) {
		main_key_mismatch();
		db_thread_close();
		return -1;
	}
	if (rc != DB_OK) {
		db_thread_close();
		return -1;
	}
	rc = store_legacy_seal(c, &claims, &statements);
	db_thread_close();
	if (rc != DB_OK) {
		log_event(LOG_LEVEL_ERROR, "legacy_seal_failed", json_pack("{s:i}", "status", rc));
		return -1;
	}
	if (claims + statements > 0)
		log_event(LOG_LEVEL_INFO, "legacy_sealed",
		          json_pack("{s:i, s:i}", "claims", claims, "statements", statements));
	return 0;
}

static int
main_migrate(void)
{
	if (main_need(config.owner_database_url, "LOCKSTEP_OWNER_DATABASE_URL") != 0)
		return 1;
	if (db_migrate(config.owner_database_url, config.sql_dir) != 0)
		return 1;
	if (main_seal_legacy() != 0)
		return 1;
	/* the signing key history starts with the key in use */
	if (config.signing_key_file != NULL) {
		struct crypto_signer *s = crypto_signer_load(config.signing_key_file, 0);
		int rc;

		if (s == NULL) {
			log_event(LOG_LEVEL_WARN, "signing_key_register_skipped",
			          json_pack("{s:s}", "reason", crypto_last_error()));
			return 0;
		}
		db_configure(config.owner_database_url);
		rc = keyring_register_first(s);
		db_thread_close();
		crypto_signer_free(s);
		return rc == 0 ? 0 : 1;
	}
	return 0;
}

static int
main_ensure_admin(void)
{
	char email[UTIL_EMAIL_MAX + 1];
	struct db_conn *c;
	char org[DB_UUID_LEN + 1];
	char *hash = NULL;
	int ret = 1, exists = 0;

	if (main_need(config.owner_database_url, "LOCKSTEP_OWNER_DATABASE_URL") != 0)
		return 1;
	/* stored in the one normal form, like every address (util/email.h) */
	if (util_email_normalize(config.admin_email, email) != 0) {
		log_event(LOG_LEVEL_ERROR, "admin_email_invalid",
		          json_pack("{s:s}", "email", config.admin_email));
		return 1;
	}
	if (store_init(NULL) != 0)
		return 1;
	db_configure(config.owner_database_url);
	if ((c = db_thread_conn()) == NULL)
		return 1;
	if (store_admin_org(c, org) != DB_OK)
		goto done;
	if (store_admin_user_exists(c, org, email, &exists) != DB_OK)
		goto done;
	if (exists) {
		log_event(LOG_LEVEL_INFO, "admin_exists", json_pack("{s:s}", "email", email));
		ret = 0;
		goto done;
	}
	if (main_need(config.admin_password, "LOCKSTEP_ADMIN_PASSWORD") != 0)
		goto done;
	if (strlen(config.admin_password) < 12) {
		log_event(LOG_LEVEL_ERROR, "admin_password_too_short",
		          json_pack("{s:i}", "minimum", 12));
		goto done;
	}
	if ((hash = crypto_password_hash(config.admin_password)) == NULL)
		goto done;
	if (store_admin_user_create(c, org, email, hash) != DB_OK)
		goto done;
	log_event(LOG_LEVEL_INFO, "admin_created", json_pack("{s:s}", "email", email));
	ret = 0;
done:
	free(hash);
	db_thread_close();
	return ret;
}

/*
 * At serve: 0 when the master key is this database's (or none is recorded
 * yet; or, during a rotation, the previous key is), else -1.
 */
static int
main_check_key(const unsigned char key[CRYPTO_KEY_LEN], const unsigned char *prev)
{
	struct db_conn *c = db_thread_conn();
	int rc = c != NULL ? store_master_check(c, key, 0) : DB_ERROR;

	if (rc == STORE_KEY_MISMATCH && prev != NULL && store_master_check(c, prev, 0) == DB_OK) {
		log_event(
		    LOG_LEVEL_INFO, "master_key_rotation_pending",
		    json_pack("{s:s}", "detail",
		              "the database's check value is the previous key's: run lockstepd "
		              "rotate-master-key"));
		rc = DB_OK;
	}
	db_thread_close();
	if (rc == STORE_KEY_MISMATCH) {
		main_key_mismatch();
		return -1;
	}
	if (rc == STORE_NONE)
		log_event(LOG_LEVEL_WARN, "master_key_unchecked",
		          json_pack("{s:s}", "reason",
		                    "no check value recorded yet: run lockstepd migrate with "
		                    "LOCKSTEP_MASTER_KEY_FILE set"));
	else if (rc != DB_OK)
		log_event(LOG_LEVEL_WARN, "master_key_check_failed",
		          json_pack("{s:i}", "status", rc));
	return 0;
}

static int
main_serve(void)
{
	unsigned char key[CRYPTO_KEY_LEN], prev[CRYPTO_KEY_LEN];
	int have_prev = 0;
	struct crypto_signer *signer;
	sigset_t set;
	int sig = 0;

	if (main_need(config.database_url, "LOCKSTEP_DATABASE_URL") != 0 ||
	    main_need(config.master_key_file, "LOCKSTEP_MASTER_KEY_FILE") != 0 ||
	    main_need(config.signing_key_file, "LOCKSTEP_SIGNING_KEY_FILE") != 0)
		return 1;
	if (crypto_keyfile_load(config.master_key_file, 0, key) != 0) {
		log_event(LOG_LEVEL_ERROR, "master_key_failed",
		          json_pack("{s:s, s:s}", "path", config.master_key_file, "error",
		                    crypto_last_error()));
		return 1;
	}
	if ((signer = crypto_signer_load(config.signing_key_file, 0)) == NULL) {
		log_event(LOG_LEVEL_ERROR, "signing_key_failed",
		          json_pack("{s:s, s:s}", "path", config.signing_key_file, "error",
		                    crypto_last_error()));
		explicit_bzero(key, sizeof(key));
		return 1;
	}
	if (api_password_policy_load(config.sql_dir) != 0) {
		explicit_bzero(key, sizeof(key));
		crypto_signer_free(signer);
		return 1;
	}
	if (api_init(key, signer) != 0) {
		explicit_bzero(key, sizeof(key));
		crypto_signer_free(signer);
		return 1;
	}
	api_device_init(key);
	{
		struct crypto_signer *lk = config.log_key_file != NULL
		                               ? crypto_signer_load(config.log_key_file, 0)
		                               : tlogd_derive_key(key);

		if (lk == NULL || tlogd_init(lk, signer, config.log_origin) != 0) {
			log_event(LOG_LEVEL_ERROR, "log_key_failed",
			          json_pack("{s:s, s:s}", "path",
			                    config.log_key_file ? config.log_key_file : "(derived)",
			                    "error", crypto_last_error()));
			crypto_signer_free(lk);
			explicit_bzero(key, sizeof(key));
			crypto_signer_free(signer);
			return 1;
		}
	}
	if (witness_configure(config.witnesses) != 0) {
		log_event(
		    LOG_LEVEL_ERROR, "witnesses_invalid",
		    json_pack("{s:s}", "hint",
		              "LOCKSTEP_WITNESSES is \"<URL> <witness vkey>\" items separated "
		              "by commas"));
		explicit_bzero(key, sizeof(key));
		crypto_signer_free(signer);
		return 1;
	}
	/* a rotation in progress: rows not yet rewrapped open with the previous key */
	if (config.master_key_previous_file != NULL) {
		if (crypto_keyfile_load(config.master_key_previous_file, 0, prev) != 0) {
			log_event(LOG_LEVEL_ERROR, "master_key_failed",
			          json_pack("{s:s, s:s}", "path", config.master_key_previous_file,
			                    "error", crypto_last_error()));
			explicit_bzero(key, sizeof(key));
			crypto_signer_free(signer);
			return 1;
		}
		store_init_previous(prev);
		have_prev = 1;
	}
	db_configure(config.database_url);
	/* a statement, column or enumeration that does not match the schema stops here */
	switch (store_verify()) {
	case 0:
		/* and so does a master key that is not this database's */
		keyring_check_current(signer);
		if (main_check_key(key, have_prev ? prev : NULL) != 0) {
			explicit_bzero(prev, sizeof(prev));
			explicit_bzero(key, sizeof(key));
			crypto_signer_free(signer);
			return 1;
		}
		break;
	case 1:
		log_event(LOG_LEVEL_WARN, "db_unreachable_at_start", NULL);
		break;
	default:
		log_event(LOG_LEVEL_ERROR, "schema_mismatch", NULL);
		explicit_bzero(key, sizeof(key));
		crypto_signer_free(signer);
		return 1;
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(prev, sizeof(prev));

	/* worker threads inherit this mask; only sigwait below sees the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* uploads a crashed or killed predecessor left behind go first */
	if (evidence_sweeper_start() != 0)
		log_event(LOG_LEVEL_WARN, "evidence_sweeper_failed", NULL);
	if (audit_sealer_start() != 0) {
		log_event(LOG_LEVEL_ERROR, "audit_sealer_failed", NULL);
		evidence_sweeper_stop();
		crypto_signer_free(signer);
		return 1;
	}
	if (http_server_start(api_routes) != 0) {
		audit_sealer_stop();
		evidence_sweeper_stop();
		crypto_signer_free(signer);
		return 1;
	}
	if (schedule_start(signer, config.release_interval_ms, config.release_test_pause_ms,
	                   config.release_prepare_ms) != 0) {
		http_server_stop(5);
		audit_sealer_stop();
		evidence_sweeper_stop();
		crypto_signer_free(signer);
		return 1;
	}
	if (notify_worker_start() != 0)
		log_event(LOG_LEVEL_WARN, "webhook_worker_failed", NULL);
	if (tlogd_start(config.tlog_interval_ms, config.audit_checkpoint_interval) != 0) {
		schedule_stop();
		http_server_stop(5);
		evidence_sweeper_stop();
		crypto_signer_free(signer);
		return 1;
	}
	sigwait(&set, &sig);
	log_event(LOG_LEVEL_INFO, "shutdown",
	          json_pack("{s:s}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
	schedule_stop();
	tlogd_stop();
	notify_worker_stop();
	http_server_stop(25);
	audit_sealer_stop();
	evidence_sweeper_stop();
	pubcache_clear();
	tlogd_free();
	crypto_signer_free(signer);
	return 0;
}

/*
 * lockstepd rotate-master-key: rewrap every engagement data key (and
 * re-seal every TOTP seed and webhook secret, sealed with the master key
 * itself) from the
 * previous master key (LOCKSTEP_MASTER_KEY_PREVIOUS_FILE) to the current
 * one (LOCKSTEP_MASTER_KEY_FILE, created when absent), as the owner, in
 * batches of 100 rows (one transaction each), while lockstepd serves with
 * both keys; resumable (a row already under the current key is left); at
 * the end, when no row failed, the check value becomes the current key's
 * and an audit event records the rotation. docs/DEPLOY.md has the steps.
 */
struct rotate_ctx {
	const unsigned char *key;
	enum store_rewrap_target target;
	char after[37], last[37];
	long long rewrapped, current, failed;       /* totals */
	long long b_rewrapped, b_current, b_failed; /* this batch */
};

/* One batch in one transaction (db_tx may run it again: counters per batch). */
static int
rotate_batch_tx(struct db_conn *c, void *arg)
{
	struct rotate_ctx *k = arg;

	k->b_rewrapped = k->b_current = k->b_failed = 0;
	return store_rewrap_batch(c, k->target, k->after, 100, k->last, &k->b_rewrapped,
	                          &k->b_current, &k->b_failed);
}

/* The end: the check value becomes the current key's, audited. */
static int
rotate_finish_tx(struct db_conn *c, void *arg)
{
	struct rotate_ctx *k = arg;
	char detail[128];
	int rc = store_master_check_replace(c, k->key);

	snprintf(detail, sizeof(detail), "{\"rewrapped\": %lld, \"already\": %lld}", k->rewrapped,
	         k->current);
	if (rc == DB_OK)
		rc = store_audit_append(c, "master_key.rotated", "key", "master", NULL, NULL,
		                        detail, NULL);
	return rc;
}

static int
main_rotate_master_key(void)
{
	unsigned char key[CRYPTO_KEY_LEN], prev[CRYPTO_KEY_LEN];
	struct rotate_ctx k;
	struct db_conn *c;
	int rc = DB_OK, batches = 0;

	memset(&k, 0, sizeof(k));
	if (main_need(config.owner_database_url, "LOCKSTEP_OWNER_DATABASE_URL") != 0 ||
	    main_need(config.master_key_file, "LOCKSTEP_MASTER_KEY_FILE") != 0 ||
	    main_need(config.master_key_previous_file, "LOCKSTEP_MASTER_KEY_PREVIOUS_FILE") != 0)
		return 1;
	if (crypto_keyfile_load(config.master_key_previous_file, 0, prev) != 0 ||
	    crypto_keyfile_load(config.master_key_file, 1, key) != 0) {
		log_event(LOG_LEVEL_ERROR, "master_key_failed",
		          json_pack("{s:s}", "error", crypto_last_error()));
		explicit_bzero(prev, sizeof(prev));
		return 1;
	}
	if (memcmp(key, prev, sizeof(key)) == 0) {
		log_event(LOG_LEVEL_ERROR, "master_key_rotation_refused",
		          json_pack("{s:s}", "error", "the new and the previous key are the same"));
		rc = DB_ERROR;
		goto out;
	}
	if (store_init(key) != 0) {
		rc = DB_ERROR;
		goto out;
	}
	store_init_previous(prev);
	db_configure(config.owner_database_url);
	if ((c = db_thread_conn()) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	/* one of the two keys must be this database's */
	if (store_master_check(c, key, 0) == STORE_KEY_MISMATCH &&
	    store_master_check(c, prev, 0) == STORE_KEY_MISMATCH) {
		main_key_mismatch();
		rc = DB_ERROR;
		goto out;
	}
	k.key = key;
	/* every column sealed with the master key: data keys, TOTP seeds, webhook secrets */
	for (k.target = STORE_REWRAP_DATA_KEYS; rc == DB_OK && k.target < STORE_REWRAP_TARGETS;
	     k.target++) {
		k.after[0] = '\0';
		for (;;) {
			rc = db_tx(NULL, "rotate_batch", rotate_batch_tx, &k);
			if (rc != DB_OK)
				break;
			k.rewrapped += k.b_rewrapped;
			k.current += k.b_current;
			k.failed += k.b_failed;
			if (k.last[0] == '\0')
				break;
			memcpy(k.after, k.last, sizeof(k.after));
			if (++batches % 10 == 0)
				log_event(LOG_LEVEL_INFO, "master_key_rotation_progress",
				          json_pack("{s:I, s:I, s:I}", "rewrapped",
				                    (json_int_t)k.rewrapped, "already",
				                    (json_int_t)k.current, "failed",
				                    (json_int_t)k.failed));
		}
	}
	if (rc == DB_OK && k.failed == 0)
		rc = db_tx(NULL, "rotate_finish", rotate_finish_tx, &k);
out:
	db_thread_close();
	explicit_bzero(key, sizeof(key));
	explicit_bzero(prev, sizeof(prev));
	log_event(rc == DB_OK && k.failed == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
	          "master_key_rotation_done",
	          json_pack("{s:I, s:I, s:I, s:b}", "rewrapped", (json_int_t)k.rewrapped, "already",
	                    (json_int_t)k.current, "failed", (json_int_t)k.failed, "complete",
	                    rc == DB_OK && k.failed == 0));
	return rc == DB_OK && k.failed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "serve";
	char err[200];

	if (config_load(err, sizeof(err)) != 0) {
		log_event(LOG_LEVEL_ERROR, "config_invalid", json_pack("{s:s}", "error", err));
		return 1;
	}
	log_set_level(config.log_level);
	crypto_password_set_cost(config.scrypt_log2n);
	crypto_password_set_concurrency((int)config.scrypt_concurrency);
	if (strcmp(cmd, "serve") == 0)
		return main_serve();
	if (strcmp(cmd, "migrate") == 0)
		return main_migrate();
	if (strcmp(cmd, "ensure-admin") == 0)
		return main_ensure_admin();
	if (strcmp(cmd, "init-keys") == 0)
		return main_init_keys();
	if (strcmp(cmd, "rotate-master-key") == 0)
		return main_rotate_master_key();
	if (strcmp(cmd, "rotate-signing-key") == 0)
		return keyring_rotate_signing_key();
	fprintf(
	    stderr,
	    "usage: lockstepd [serve | migrate | ensure-admin | init-keys | rotate-master-key]\n");
	return 2;
}

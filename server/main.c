/*
 * lockstepd: the lockstep server.
 *
 *   lockstepd [serve]      serve HTTP and run the release scheduler until
 *                          SIGTERM/SIGINT (graceful)
 *   lockstepd migrate      apply sql/NNNN_*.sql as the schema owner, then
 *                          seal claims and statements written before 0004
 *   lockstepd ensure-admin make sure the coordinator org and admin exist
 *   lockstepd init-keys    create the master key and signing key if absent
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
#include "crypto/crypto.h"
#include "db/db.h"
#include "store/store.h"
#include "http/http.h"
#include "publish/publish.h"
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
	explicit_bzero(key, sizeof(key));
	if (rc != 0)
		return -1;
	db_configure(config.owner_database_url);
	if ((c = db_thread_conn()) == NULL)
		return -1;
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
	return main_seal_legacy() == 0 ? 0 : 1;
}

static int
main_ensure_admin(void)
{
	const char *email = config.admin_email;
	struct db_conn *c;
	char org[DB_UUID_LEN + 1];
	char *hash = NULL;
	int ret = 1, exists = 0;

	if (main_need(config.owner_database_url, "LOCKSTEP_OWNER_DATABASE_URL") != 0)
		return 1;
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

static int
main_serve(void)
{
	unsigned char key[CRYPTO_KEY_LEN];
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
	explicit_bzero(key, sizeof(key));
	db_configure(config.database_url);
	/* a statement, column or enumeration that does not match the schema stops here */
	switch (store_verify()) {
	case 0:
		break;
	case 1:
		log_event(LOG_LEVEL_WARN, "db_unreachable_at_start", NULL);
		break;
	default:
		log_event(LOG_LEVEL_ERROR, "schema_mismatch", NULL);
		crypto_signer_free(signer);
		return 1;
	}

	/* worker threads inherit this mask; only sigwait below sees the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* uploads a crashed or killed predecessor left behind go first */
	if (evidence_sweeper_start() != 0)
		log_event(LOG_LEVEL_WARN, "evidence_sweeper_failed", NULL);
	if (http_server_start(api_routes) != 0) {
		evidence_sweeper_stop();
		crypto_signer_free(signer);
		return 1;
	}
	if (schedule_start(signer, config.release_interval_ms, config.release_test_pause_ms) != 0) {
		http_server_stop(5);
		evidence_sweeper_stop();
		crypto_signer_free(signer);
		return 1;
	}
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
	http_server_stop(25);
	evidence_sweeper_stop();
	pubcache_clear();
	tlogd_free();
	crypto_signer_free(signer);
	return 0;
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
	fprintf(stderr, "usage: lockstepd [serve | migrate | ensure-admin | init-keys]\n");
	return 2;
}

/* conf.c: settings from the environment. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util/log.h"
#include "util/util.h"

struct config config;

static const char *
config_str(const char *name, const char *def)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : def;
}

static int
config_num(const char *name, long long def, long long min, long long max, long long *out, char *err,
           size_t errlen)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	if (util_strnum(v, min, max, out) != 0) {
		snprintf(err, errlen, "%s must be an integer in [%lld, %lld]", name, min, max);
		return -1;
	}
	return 0;
}

int
config_load(char *err, size_t errlen)
{
	long long v;
	const char *level;

	config.database_url = config_str("LOCKSTEP_DATABASE_URL", NULL);
	config.owner_database_url = config_str("LOCKSTEP_OWNER_DATABASE_URL", NULL);
	config.listen_address = config_str("LOCKSTEP_LISTEN_ADDRESS", "127.0.0.1");
	config.master_key_file = config_str("LOCKSTEP_MASTER_KEY_FILE", NULL);
	config.master_key_previous_file = config_str("LOCKSTEP_MASTER_KEY_PREVIOUS_FILE", NULL);
	config.signing_key_file = config_str("LOCKSTEP_SIGNING_KEY_FILE", NULL);
	config.signing_key_previous_file = config_str("LOCKSTEP_SIGNING_KEY_PREVIOUS_FILE", NULL);
	config.web_dir = config_str("LOCKSTEP_WEB_DIR", LOCKSTEP_DATADIR "/web");
	config.sql_dir = config_str("LOCKSTEP_SQL_DIR", LOCKSTEP_DATADIR "/sql");
	config.admin_email = config_str("LOCKSTEP_ADMIN_EMAIL", "admin@lockstep.local");
	config.admin_password = config_str("LOCKSTEP_ADMIN_PASSWORD", NULL);
	config.log_key_file = config_str("LOCKSTEP_LOG_KEY_FILE", NULL);
	config.log_origin = config_str("LOCKSTEP_LOG_ORIGIN", "lockstep.local/log");
	config.witnesses = config_str("LOCKSTEP_WITNESSES", NULL);
	config.public_url = config_str("LOCKSTEP_PUBLIC_URL", "");
	config.smtp_url = config_str("LOCKSTEP_SMTP_URL", "");
	config.smtp_from = config_str("LOCKSTEP_SMTP_FROM", "lockstep@localhost");

#define NUM(field, name, def, min, max)                                                            \
	do {                                                                                       \
		if (config_num(name, def, min, max, &v, err, errlen) != 0)                         \
			return -1;                                                                 \
		config.field = v;                                                                  \
	} while (0)
	NUM(port, "LOCKSTEP_PORT", 8080, 1, 65535);
	NUM(threads, "LOCKSTEP_THREADS", 4, 1, 256);
	NUM(cookie_secure, "LOCKSTEP_COOKIE_SECURE", 0, 0, 1);
	NUM(session_ttl, "LOCKSTEP_SESSION_TTL", 43200, 60, 30 * 86400);
	NUM(max_body, "LOCKSTEP_MAX_BODY", 1048576, 1024, 64 * 1048576);
	NUM(max_connections, "LOCKSTEP_MAX_CONNECTIONS", 16384, 4, 1000000);
	NUM(per_ip_connections, "LOCKSTEP_PER_IP_CONNECTIONS", 64, 1, 65536);
	NUM(connection_timeout, "LOCKSTEP_CONNECTION_TIMEOUT", 30, 1, 3600);
	NUM(connection_memory, "LOCKSTEP_CONNECTION_MEMORY", 32768, 8192, 1048576);
	NUM(scrypt_log2n, "LOCKSTEP_SCRYPT_LOG2N", 15, 10, 20);
	NUM(scrypt_concurrency, "LOCKSTEP_SCRYPT_CONCURRENCY", 2, 1, 64);
	NUM(header_timeout, "LOCKSTEP_HEADER_TIMEOUT", 10, 1, 3600);
	NUM(body_min_rate, "LOCKSTEP_BODY_MIN_RATE", 1024, 0, 1LL << 30);
	NUM(body_rate_window, "LOCKSTEP_BODY_RATE_WINDOW", 10, 1, 3600);
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		NUM(hash_threads, "LOCKSTEP_HASH_THREADS", ncpu > 2 ? ncpu / 2 : 1, 1, 64);
	}
	NUM(login_queue, "LOCKSTEP_LOGIN_QUEUE", 8LL * config.hash_threads, 1, 100000);
	NUM(login_queue_per_address, "LOCKSTEP_LOGIN_QUEUE_PER_ADDRESS", 2, 1, 100000);
	NUM(login_queue_wait_ms, "LOCKSTEP_LOGIN_QUEUE_WAIT_MS", 3000, 100, 600000);
	NUM(login_max_failures, "LOCKSTEP_LOGIN_MAX_FAILURES", 10, 1, 1000);
	NUM(login_max_address_failures, "LOCKSTEP_LOGIN_MAX_ADDRESS_FAILURES", 100, 1, 1000000);
	NUM(login_window, "LOCKSTEP_LOGIN_WINDOW", 900, 1, 86400);
	NUM(invite_ttl, "LOCKSTEP_INVITE_TTL", 604800, 60, 30 * 86400);
	NUM(reset_ttl, "LOCKSTEP_RESET_TTL", 86400, 60, 7 * 86400);
	NUM(evidence_max_bytes, "LOCKSTEP_EVIDENCE_MAX_BYTES", 4LL << 30, 0, 1LL << 40);
	NUM(evidence_quota_bytes, "LOCKSTEP_EVIDENCE_QUOTA_BYTES", 64LL << 30, 0, 1LL << 50);
	NUM(evidence_max_uploads, "LOCKSTEP_EVIDENCE_MAX_UPLOADS", 4, 1, 1000);
	NUM(evidence_upload_expiry, "LOCKSTEP_EVIDENCE_UPLOAD_EXPIRY", 86400, 1, 30 * 86400);
	NUM(evidence_stream_stale, "LOCKSTEP_EVIDENCE_STREAM_STALE", 300, 1, 86400);
	NUM(evidence_sweep_interval, "LOCKSTEP_EVIDENCE_SWEEP_INTERVAL", 60, 1, 86400);
	NUM(release_interval_ms, "LOCKSTEP_RELEASE_INTERVAL_MS", 500, 10, 60000);
	NUM(release_prepare_ms, "LOCKSTEP_RELEASE_PREPARE_MS", 30000, 0, 60000);
	NUM(token_max_days, "LOCKSTEP_TOKEN_MAX_DAYS", 90, 1, 365);
	NUM(login_challenge_ttl, "LOCKSTEP_LOGIN_CHALLENGE_TTL", 300, 30, 900);
	NUM(release_test_pause_ms, "LOCKSTEP_TEST_RELEASE_PAUSE_MS", 0, 0, 600000);
	NUM(audit_checkpoint_interval, "LOCKSTEP_AUDIT_CHECKPOINT_INTERVAL", 600, 1, 86400);
	NUM(tlog_interval_ms, "LOCKSTEP_TLOG_INTERVAL_MS", 1000, 50, 600000);
	NUM(webhook_interval_ms, "LOCKSTEP_WEBHOOK_INTERVAL_MS", 1000, 10, 600000);
	NUM(webhook_backoff_ms, "LOCKSTEP_WEBHOOK_BACKOFF_MS", 30000, 10, 3600000);
	NUM(webhook_max_attempts, "LOCKSTEP_WEBHOOK_MAX_ATTEMPTS", 8, 1, 50);
	NUM(webhook_timeout, "LOCKSTEP_WEBHOOK_TIMEOUT", 10, 1, 120);
	NUM(mail_notifications, "LOCKSTEP_MAIL_NOTIFICATIONS", 1, 0, 1);
	NUM(mail_interval, "LOCKSTEP_MAIL_INTERVAL", 300, 0, 86400);
	NUM(mail_max_age, "LOCKSTEP_MAIL_MAX_AGE", 86400, 60, 30 * 86400);
	NUM(mail_backoff_ms, "LOCKSTEP_MAIL_BACKOFF_MS", 60000, 10, 3600000);
	NUM(mail_max_attempts, "LOCKSTEP_MAIL_MAX_ATTEMPTS", 8, 1, 50);
	NUM(deadline_notice_hours, "LOCKSTEP_DEADLINE_NOTICE_HOURS", 72, 1, 8760);
#undef NUM

	{
		char why[120];
		int n = peer_parse_nets(config_str("LOCKSTEP_TRUSTED_PROXIES", ""),
		                        config.trusted_proxies, PEER_MAX_NETS, why, sizeof(why));

		if (n < 0) {
			snprintf(err, errlen, "LOCKSTEP_TRUSTED_PROXIES: %s", why);
			return -1;
		}
		config.n_trusted_proxies = (size_t)n;
		n = peer_parse_nets(config_str("LOCKSTEP_WEBHOOK_ALLOW_NETS", ""),
		                    config.webhook_allow_nets, PEER_MAX_NETS, why, sizeof(why));
		if (n < 0) {
			snprintf(err, errlen, "LOCKSTEP_WEBHOOK_ALLOW_NETS: %s", why);
			return -1;
		}
		config.n_webhook_allow_nets = (size_t)n;
	}

	level = config_str("LOCKSTEP_LOG_LEVEL", "info");
	if (strcmp(level, "debug") == 0)
		config.log_level = LOG_LEVEL_DEBUG;
	else if (strcmp(level, "info") == 0)
		config.log_level = LOG_LEVEL_INFO;
	else if (strcmp(level, "warn") == 0)
		config.log_level = LOG_LEVEL_WARN;
	else if (strcmp(level, "error") == 0)
		config.log_level = LOG_LEVEL_ERROR;
	else {
		snprintf(err, errlen, "LOCKSTEP_LOG_LEVEL must be debug, info, warn or error");
		return -1;
	}
	return 0;
}

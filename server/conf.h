/*
 * config: lockstepd's settings, read from LOCKSTEP_* environment variables
 * (documented in README.md). One global, filled once at start-up.
 */
#ifndef LOCKSTEP_CONF_H
#define LOCKSTEP_CONF_H

#include <stddef.h>

#include "util/peer.h"

struct config {
	const char *database_url;              /* LOCKSTEP_DATABASE_URL */
	const char *owner_database_url;        /* LOCKSTEP_OWNER_DATABASE_URL */
	const char *listen_address;            /* LOCKSTEP_LISTEN_ADDRESS, 127.0.0.1 */
	unsigned port;                         /* LOCKSTEP_PORT, 8080 */
	const char *master_key_file;           /* LOCKSTEP_MASTER_KEY_FILE */
	const char *master_key_previous_file;  /* LOCKSTEP_MASTER_KEY_PREVIOUS_FILE (rotation) */
	const char *signing_key_file;          /* LOCKSTEP_SIGNING_KEY_FILE */
	const char *signing_key_previous_file; /* LOCKSTEP_SIGNING_KEY_PREVIOUS_FILE (rotation) */
	const char *web_dir;                   /* LOCKSTEP_WEB_DIR */
	const char *sql_dir;                   /* LOCKSTEP_SQL_DIR */
	const char *admin_email;               /* LOCKSTEP_ADMIN_EMAIL */
	const char *admin_password;            /* LOCKSTEP_ADMIN_PASSWORD */
	unsigned threads;                      /* LOCKSTEP_THREADS, 4 */
	int log_level;                         /* LOCKSTEP_LOG_LEVEL, info */
	int cookie_secure;                     /* LOCKSTEP_COOKIE_SECURE, 0 */
	unsigned session_ttl;                  /* LOCKSTEP_SESSION_TTL, 43200 s */
	size_t max_body;                       /* LOCKSTEP_MAX_BODY, 1 MiB */
	unsigned max_connections;              /* LOCKSTEP_MAX_CONNECTIONS, 16384 */
	unsigned per_ip_connections;           /* LOCKSTEP_PER_IP_CONNECTIONS, 64 */
	unsigned connection_timeout;           /* LOCKSTEP_CONNECTION_TIMEOUT, 30 s */
	size_t connection_memory;    /* LOCKSTEP_CONNECTION_MEMORY, 32 KiB: bounds headers */
	unsigned scrypt_log2n;       /* LOCKSTEP_SCRYPT_LOG2N, 15 */
	unsigned scrypt_concurrency; /* LOCKSTEP_SCRYPT_CONCURRENCY, 2 */
	unsigned header_timeout;     /* LOCKSTEP_HEADER_TIMEOUT, 10 s for a whole request head */
	const char *public_url;      /* LOCKSTEP_PUBLIC_URL, for links in answers and mail */
	const char *smtp_url;        /* LOCKSTEP_SMTP_URL, "" to mail nothing */
	const char *smtp_from;       /* LOCKSTEP_SMTP_FROM */
	unsigned long long body_min_rate;               /* LOCKSTEP_BODY_MIN_RATE, 1024 bytes/s */
	unsigned body_rate_window;                      /* LOCKSTEP_BODY_RATE_WINDOW, 10 s */
	struct peer_net trusted_proxies[PEER_MAX_NETS]; /* LOCKSTEP_TRUSTED_PROXIES, none */
	size_t n_trusted_proxies;
	unsigned hash_threads; /* LOCKSTEP_HASH_THREADS, half the CPUs (at least 1) */
	unsigned login_queue;  /* LOCKSTEP_LOGIN_QUEUE, 8 per hash thread, waiting or hashing */
	unsigned login_queue_per_address; /* LOCKSTEP_LOGIN_QUEUE_PER_ADDRESS, 2 */
	unsigned login_queue_wait_ms;     /* LOCKSTEP_LOGIN_QUEUE_WAIT_MS, 3000: then 503 */
	unsigned login_max_failures; /* LOCKSTEP_LOGIN_MAX_FAILURES, 10 per account per window */
	unsigned
	    login_max_address_failures; /* LOCKSTEP_LOGIN_MAX_ADDRESS_FAILURES, 100 per address */
	unsigned login_window;          /* LOCKSTEP_LOGIN_WINDOW, 900 s */
	unsigned invite_ttl;            /* LOCKSTEP_INVITE_TTL, 604800 s */
	unsigned reset_ttl;             /* LOCKSTEP_RESET_TTL, 86400 s */
	unsigned long long evidence_max_bytes; /* LOCKSTEP_EVIDENCE_MAX_BYTES, 4 GiB per file */
	unsigned long long
	    evidence_quota_bytes;      /* LOCKSTEP_EVIDENCE_QUOTA_BYTES, 64 GiB per engagement */
	unsigned evidence_max_uploads; /* LOCKSTEP_EVIDENCE_MAX_UPLOADS, 4 in progress per user */
	unsigned
	    evidence_upload_expiry; /* LOCKSTEP_EVIDENCE_UPLOAD_EXPIRY, 86400 s idle (resumable) */
	unsigned evidence_stream_stale; /* LOCKSTEP_EVIDENCE_STREAM_STALE, 300 s idle (streamed) */
	unsigned evidence_sweep_interval; /* LOCKSTEP_EVIDENCE_SWEEP_INTERVAL, 60 s */
	unsigned release_interval_ms;     /* LOCKSTEP_RELEASE_INTERVAL_MS, 500: scheduler poll */
	unsigned release_prepare_ms;  /* LOCKSTEP_RELEASE_PREPARE_MS, 10000: build the release this
	                                 long before its instant (0: never) */
	unsigned token_max_days;      /* LOCKSTEP_TOKEN_MAX_DAYS, 90: longest API token */
	unsigned login_challenge_ttl; /* LOCKSTEP_LOGIN_CHALLENGE_TTL, 300 s: two-step log-in */
	unsigned release_test_pause_ms; /* LOCKSTEP_TEST_RELEASE_PAUSE_MS, 0: tests only, see
	                                   schedule.c */
	const char *log_key_file; /* LOCKSTEP_LOG_KEY_FILE, none: derived from the master key */
	const char *log_origin;   /* LOCKSTEP_LOG_ORIGIN, "lockstep.local/log" */
	unsigned audit_checkpoint_interval; /* LOCKSTEP_AUDIT_CHECKPOINT_INTERVAL, 600 s */
	unsigned tlog_interval_ms;          /* LOCKSTEP_TLOG_INTERVAL_MS, 1000: checkpoint tick */
	const char *witnesses;              /* LOCKSTEP_WITNESSES, none: "URL vkey" items */
	unsigned webhook_interval_ms;       /* LOCKSTEP_WEBHOOK_INTERVAL_MS, 1000: worker poll */
	unsigned webhook_backoff_ms;   /* LOCKSTEP_WEBHOOK_BACKOFF_MS, 30000: first retry delay */
	unsigned webhook_max_attempts; /* LOCKSTEP_WEBHOOK_MAX_ATTEMPTS, 8 */
	unsigned mail_notifications;   /* LOCKSTEP_MAIL_NOTIFICATIONS, 1: 0 mails only links */
	unsigned mail_interval; /* LOCKSTEP_MAIL_INTERVAL, 300: s between mails to one user */
	unsigned mail_max_age;  /* LOCKSTEP_MAIL_MAX_AGE, 86400: s after which news is not mailed */
	unsigned mail_backoff_ms;       /* LOCKSTEP_MAIL_BACKOFF_MS, 60000: first retry delay */
	unsigned mail_max_attempts;     /* LOCKSTEP_MAIL_MAX_ATTEMPTS, 8 */
	unsigned webhook_timeout;       /* LOCKSTEP_WEBHOOK_TIMEOUT, 10 s per attempt */
	unsigned deadline_notice_hours; /* LOCKSTEP_DEADLINE_NOTICE_HOURS, 72 */
	struct peer_net webhook_allow_nets[PEER_MAX_NETS]; /* LOCKSTEP_WEBHOOK_ALLOW_NETS, none */
	size_t n_webhook_allow_nets;
};

extern struct config config;

/*
 * Fill config from the environment, with defaults. Returns 0, or -1 with
 * a reason in err (errlen bytes) when a variable is malformed.
 */
int config_load(char *err, size_t errlen);

#endif

/*
 * store: the typed data layer, one file per aggregate (org.c, user.c,
 * campaign.c, engagement.c, finding.c, claim.c, publication.c, audit.c,
 * vocab.c), plus store.c (registration, sealing of encrypted columns).
 *
 * Each aggregate owns its SQL (named prepared statements, registered with
 * db/ by store_init) and its row structs, whose members are bound to
 * result columns by name (struct db_field): the columns are checked when
 * the statements are prepared, so nobody outside this folder counts
 * columns and a renamed column stops the server at start-up.
 *
 * Every store_* function runs inside a transaction of the caller (db_tx):
 * c is the callback's connection. Unless said otherwise they return
 * DB_OK, STORE_NONE (no such row, or not visible to the caller under row
 * level security), or a negative db_status. Row structs they fill are
 * owned by the caller and released with the matching *_clear function;
 * they are cleared first, so a callback run again after a serialization
 * failure may pass the same struct.
 */
#ifndef LOCKSTEP_STORE_H
#define LOCKSTEP_STORE_H

#include <stddef.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "db/db.h"

#define STORE_MUST_CHECK DB_MUST_CHECK

/* Positive result: the row does not exist or is not visible. */
#define STORE_NONE 2
/* store_master_check: the master key is not the one the database was written with */
#define STORE_KEY_MISMATCH 3

/* An RFC 3339 timestamp as ls_ts() prints it. */
#define STORE_TS_LEN 40

/*
 * Register every aggregate's statements with db/ and keep the master key
 * for sealing (copied; the caller wipes its own copy). Call once at
 * start-up before any connection is opened. Returns 0 or -1.
 */
int store_init(const unsigned char master[CRYPTO_KEY_LEN]) STORE_MUST_CHECK;

/*
 * At start-up, after db_configure: prepare every statement on this
 * thread's connection (checking every column bound by name) and compare
 * the enumerations with the vocabulary table, then close the connection.
 * Returns 0, 1 when the database cannot be reached (the server may start
 * and connect later), or -1 when anything does not match (logged).
 */
int store_verify(void) STORE_MUST_CHECK;

/*
 * Compare master with the database's check value of the master key
 * (sql/0011_keys.sql). DB_OK when it matches; STORE_KEY_MISMATCH when the
 * database was written under another key; STORE_NONE when no check value
 * is recorded (may_set 0), else a negative db_status. may_set 1 (the
 * owner, at migrate) records it when absent.
 */
int store_master_check(struct db_conn *c, const unsigned char master[CRYPTO_KEY_LEN],
                       int may_set) STORE_MUST_CHECK;

/*
 * A master key rotation (lockstepd rotate-master-key, docs/DEPLOY.md):
 * the previous key, with which data keys not yet rewrapped are unwrapped.
 * Call after store_init.
 */
void store_init_previous(const unsigned char prev[CRYPTO_KEY_LEN]);
int store_has_previous(void);

/*
 * Rewrap under the current master key a data key wrapped under the
 * previous one: 1 with *param (a bytea parameter, caller frees) set, 0
 * when it is already under the current key, -1 when neither key opens it.
 */
int store_rewrap_key(const char *kind, const char *id, const char *column,
                     const unsigned char *wrapped, size_t wlen, char **param) STORE_MUST_CHECK;

/*
 * One batch of the rotation, as the owner: up to limit engagement data
 * keys after engagement id after ("" from the start), rewrapped under the
 * current key, in one transaction. *last is the last id seen ("" when
 * none was left); the counters are added to.
 */
int store_rewrap_batch(struct db_conn *c, const char *after, int limit, char last[37],
                       long long *rewrapped, long long *current,
                       long long *failed) STORE_MUST_CHECK;

/* Record the current master key's check value (rotation finished). */
int store_master_check_replace(struct db_conn *c,
                               const unsigned char master[CRYPTO_KEY_LEN]) STORE_MUST_CHECK;

/* The signing key history (sql/0011_keys.sql), oldest first. */
struct store_signing_key {
	char key_id[64];
	struct db_bytes public_key; /* 32 bytes */
	char created_at[STORE_TS_LEN];
	char previous_key_id[64];    /* "" for the first key */
	char *statement;             /* the canonical JSON the previous key endorsed */
	struct db_bytes endorsement; /* 64 bytes, {NULL, 0} for the first key */
};

int store_signing_key_list(struct db_conn *c, struct store_signing_key **rows,
                           int *n) STORE_MUST_CHECK;
void store_signing_keys_free(struct store_signing_key *rows, int n);
/* As the owner: append a key (endorsement NULL and previous_key_id NULL for the first). */
int store_signing_key_add(struct db_conn *c, const char *key_id,
                          const unsigned char pub[CRYPTO_ED25519_PUB_LEN], const char *created_at,
                          const char *previous_key_id, const char *statement,
                          const unsigned char *endorsement) STORE_MUST_CHECK;

/* ---- sealing of encrypted columns (store.c) ---- */

/* Wipe len bytes at p and free it. Accepts NULL. */
void store_secret_free(void *p, size_t len);

/* Associated data "lockstep/v1/<kind>/<id>/<column>" fits in this. */
#define STORE_AAD_LEN 160

/*
 * Encrypt text for (kind, row id, column) under key: the associated data
 * binds the ciphertext to its row and column. Returns a malloc'd bytea
 * parameter (db_param_bytea) or NULL.
 */
char *store_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                 const char *column, const char *text);

/*
 * Decrypt a sealed column value ct (NULL: SQL NULL) for (kind, row id,
 * column). Returns a new JSON string, json_null() for NULL, or NULL on
 * failure (tampered or moved ciphertext; logged).
 */
json_t *store_open(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                   const char *column, const struct db_bytes *ct);

/*
 * Seal or open bytes for (kind, row id, column) under key. *ct / *pt are
 * malloc'd (the caller wipes a plaintext and frees). Return 0 or -1.
 */
int store_seal_bytes(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                     const char *column, const void *pt, size_t len, unsigned char **ct,
                     size_t *ctlen) STORE_MUST_CHECK;
int store_open_bytes(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
                     const char *column, const unsigned char *ct, size_t ctlen, unsigned char **pt,
                     size_t *ptlen) STORE_MUST_CHECK;

/*
 * Unwrap a key wrapped under kek for (kind, id, column): the one key
 * unwrapping (engagement data keys under the master key, evidence file
 * keys under the engagement's). Returns 0 or -1 (logged); writes key.
 */
int store_unwrap(const unsigned char kek[CRYPTO_KEY_LEN], const char *kind, const char *id,
                 const char *column, const unsigned char *wrapped, size_t wlen,
                 unsigned char key[CRYPTO_KEY_LEN]) STORE_MUST_CHECK;

/*
 * Wrap a data key under the master key for (kind, id, column) or unwrap
 * it. Wrap returns a malloc'd bytea parameter or NULL; unwrap returns 0
 * or -1 (logged) and writes key.
 */
char *store_wrap_key(const char *kind, const char *id, const char *column,
                     const unsigned char key[CRYPTO_KEY_LEN]);
int store_unwrap_key(const char *kind, const char *id, const char *column,
                     const unsigned char *wrapped, size_t wlen,
                     unsigned char key[CRYPTO_KEY_LEN]) STORE_MUST_CHECK;

/* ---- audit (audit.c) ---- */

/*
 * Append one audit event (hash-chained by the audit_append function).
 * object_id, org1, org2, addr may be NULL; detail is a JSON object text
 * or NULL ("{}"). Returns DB_OK or a negative db_status.
 */
int store_audit_append(struct db_conn *c, const char *action, const char *object_type,
                       const char *object_id, const char *org1, const char *org2,
                       const char *detail, const char *addr) STORE_MUST_CHECK;

/* One round of the audit sealer: did this session hold the sealer lock, how many it chained. */
struct store_seal_round {
	int held;
	long long sealed;
};
int store_audit_seal_round(struct store_seal_round *out) STORE_MUST_CHECK;

/*
 * The audit sealer thread (every replica runs one; the one holding the
 * sealer lock chains, see audit.c). Start after db_configure; stop before
 * exit. Returns 0, or -1.
 */
int audit_sealer_start(void) STORE_MUST_CHECK;
void audit_sealer_stop(void);
/* Its counters for /metrics; malloc'd text or NULL. */
char *audit_sealer_metrics_render(void);

/* ---- orgs (org.c) ---- */

struct store_org {
	char id[DB_UUID_LEN + 1];
	char kind[16];
	char *name;
	json_t *aliases; /* array of strings */
	char created_at[STORE_TS_LEN];
};

/* Create an org; aliases is a JSON array text. DB_UNIQUE when the name exists. */
int store_org_create(struct db_conn *c, const char *kind, const char *name, const char *aliases,
                     struct store_org *out) STORE_MUST_CHECK;
/* Is org id visible to the caller? DB_OK or STORE_NONE. */
int store_org_exists(struct db_conn *c, const char *id) STORE_MUST_CHECK;
int store_org_get(struct db_conn *c, const char *id, struct store_org *out) STORE_MUST_CHECK;
/* Up to limit orgs after the cursor (NULL: first page). *rows: free with store_orgs_free. */
int store_org_list(struct db_conn *c, const char *after, int limit, struct store_org **rows,
                   int *n) STORE_MUST_CHECK;
void store_org_clear(struct store_org *o);
void store_orgs_free(struct store_org *rows, int n);

/*
 * The name pre-check (org.c) (0004's name_check_names): the names and aliases of
 * every company org on the platform, for a user of the engagement's
 * company or assessor, and only when the campaign's disclosure hides
 * names; no rows otherwise. *names: a new array of strings.
 */
int store_name_check_names(struct db_conn *c, const char *engagement,
                           json_t **names) STORE_MUST_CHECK;

/* ---- users, sessions, API tokens (user.c) ---- */

/* The identity a session token or a login resolves to. */
struct store_auth {
	char user_id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	char org_kind[16];
	char role[8];
	char session_id[DB_UUID_LEN + 1]; /* store_auth_resolve only */
	char *password_hash;              /* store_auth_candidates only */
};

struct store_user {
	char id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	char *email;
	char *name;
	char role[8];
	char created_at[STORE_TS_LEN];
};

/* The caller's own user and org. */
struct store_me {
	char user_id[DB_UUID_LEN + 1];
	char *email;
	char *user_name;
	char role[8];
	char org_id[DB_UUID_LEN + 1];
	char org_kind[16];
	char *org_name;
};

struct store_token {
	char id[DB_UUID_LEN + 1];
	char kind[16];
	char *name; /* NULL for login sessions */
	char created_at[STORE_TS_LEN];
	char expires_at[STORE_TS_LEN];
};

/*
 * Resolve the SHA-256 of a presented token to its live session (anonymous
 * transaction or none: a SECURITY DEFINER function). DB_OK, STORE_NONE, or
 * a negative db_status.
 */
int store_auth_resolve(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                       struct store_auth *out) STORE_MUST_CHECK;
/* Login throttle: *allowed 1 or 0. */
int store_auth_throttle_allowed(struct db_conn *c, const char *acct_key, const char *max,
                                const char *addr_key, const char *addr_max, const char *window,
                                int *allowed) STORE_MUST_CHECK;
int store_auth_throttle_fail(struct db_conn *c, const char *acct_key, const char *addr_key,
                             const char *window) STORE_MUST_CHECK;
int store_auth_throttle_clear(struct db_conn *c, const char *acct_key) STORE_MUST_CHECK;
/*
 * The accounts with this e-mail address, oldest first, at most max into
 * out (cleared first; free each with store_auth_clear); *n how many.
 */
int store_auth_candidates(struct db_conn *c, const char *email, struct store_auth *out, int max,
                          int *n) STORE_MUST_CHECK;
void store_auth_clear(struct store_auth *a);

/* A new login session for the caller; expires_at receives its expiry. */
int store_session_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                         const char *user_id, const char *org_id, const char *ttl_seconds,
                         const char *addr, char expires_at[STORE_TS_LEN]) STORE_MUST_CHECK;
/* A new API token of the caller. */
int store_token_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                       const char *name, const char *days, const char *addr,
                       struct store_token *out) STORE_MUST_CHECK;
/* The caller's live sessions and tokens (at most 200). */
int store_token_list(struct db_conn *c, struct store_token **rows, int *n) STORE_MUST_CHECK;
/* Revoke one of the caller's own sessions or tokens: DB_OK or STORE_NONE. */
int store_token_revoke(struct db_conn *c, const char *id) STORE_MUST_CHECK;
void store_token_clear(struct store_token *t);
void store_tokens_free(struct store_token *rows, int n);

int store_me_get(struct db_conn *c, struct store_me *out) STORE_MUST_CHECK;
void store_me_clear(struct store_me *m);

int store_user_create(struct db_conn *c, const char *org_id, const char *email, const char *name,
                      const char *role, const char *password_hash,
                      struct store_user *out) STORE_MUST_CHECK;
int store_user_get(struct db_conn *c, const char *id, struct store_user *out) STORE_MUST_CHECK;
int store_user_list(struct db_conn *c, const char *org_id, const char *after, int limit,
                    struct store_user **rows, int *n) STORE_MUST_CHECK;
/* Revoke every session of a user. */
int store_user_sessions_revoke(struct db_conn *c, const char *user_id) STORE_MUST_CHECK;
void store_user_clear(struct store_user *u);
void store_users_free(struct store_user *rows, int n);

/*
 * Bootstrap (lockstepd ensure-admin, as the schema owner): the
 * coordinator org's id, created when missing, and whether its admin
 * exists (*exists) or was created with password_hash (non-NULL).
 */
int store_admin_org(struct db_conn *c, char id[DB_UUID_LEN + 1]) STORE_MUST_CHECK;
int store_admin_user_exists(struct db_conn *c, const char *org, const char *email,
                            int *exists) STORE_MUST_CHECK;
int store_admin_user_create(struct db_conn *c, const char *org, const char *email,
                            const char *password_hash) STORE_MUST_CHECK;

/* ---- campaigns (campaign.c) ---- */

struct store_campaign {
	char id[DB_UUID_LEN + 1];
	char *title;
	char slug[64];
	json_t *threat_models;
	char release_at[STORE_TS_LEN];
	char planned_release_at[STORE_TS_LEN];
	char disclosure[16];
	long long min_cohort;
	char state[16];
	char created_at[STORE_TS_LEN];
	char updated_at[STORE_TS_LEN];
	int released; /* published, or the instant has passed and no hold keeps it open */
};

/* The fields a PATCH may change: NULL keeps the current value. */
struct store_campaign_change {
	const char *title;
	const char *threat_models; /* JSON array text */
	const char *release_at;
	const char *disclosure;
	const char *min_cohort;
	const char *state;
};

/* Progress of one engagement (counts only, never content). */
struct store_progress {
	char engagement_id[DB_UUID_LEN + 1];
	long long findings_total;
	long long findings_open;
	long long claims_total;
	int has_statement;
};

/* The coordinator's view of a campaign's release. */
struct store_release_status {
	char status[16]; /* scheduled | due | held | published */
	json_t *reasons; /* null unless held */
	char held_at[STORE_TS_LEN];
	char checked_at[STORE_TS_LEN];
	char *slug; /* NULL until published */
	long long seq;
	char hash[2 * CRYPTO_SHA256_LEN + 1];
};

/*
 * Is ts an RFC 3339 instant in the future? *future 1 or 0, normalised
 * (ls_ts) form into norm. DB_INVALID when ts does not parse.
 */
int store_ts_future(struct db_conn *c, const char *ts, int *future,
                    char norm[STORE_TS_LEN]) STORE_MUST_CHECK;
int store_campaign_create(struct db_conn *c, const char *title, const char *slug,
                          const char *threat_models, const char *release_at, const char *disclosure,
                          const char *min_cohort, struct store_campaign *out) STORE_MUST_CHECK;
int store_campaign_get(struct db_conn *c, const char *id,
                       struct store_campaign *out) STORE_MUST_CHECK;
/* Like store_campaign_get, locking the row FOR UPDATE. */
int store_campaign_lock(struct db_conn *c, const char *id,
                        struct store_campaign *out) STORE_MUST_CHECK;
int store_campaign_list(struct db_conn *c, const char *after, int limit,
                        struct store_campaign **rows, int *n) STORE_MUST_CHECK;
int store_campaign_update(struct db_conn *c, const char *id, const struct store_campaign_change *ch,
                          struct store_campaign *out) STORE_MUST_CHECK;
int store_campaign_progress(struct db_conn *c, const char *id, struct store_progress **rows,
                            int *n) STORE_MUST_CHECK;
int store_campaign_release_status(struct db_conn *c, const char *id,
                                  struct store_release_status *out) STORE_MUST_CHECK;
/*
 * The campaign's release-date history (0004, coordinator only): every
 * instant ever set, in the order it was announced. *history: a new array
 * of {release_at, announced_at}.
 */
int store_campaign_release_history(struct db_conn *c, const char *id,
                                   json_t **history) STORE_MUST_CHECK;
/* *brk 1 when release_at lies before an instant ever announced for campaign id. */
int store_campaign_embargo_break(struct db_conn *c, const char *id, const char *release_at,
                                 int *brk) STORE_MUST_CHECK;
void store_campaign_clear(struct store_campaign *k);
void store_campaigns_free(struct store_campaign *rows, int n);
void store_progress_free(struct store_progress *rows, int n);
void store_release_status_clear(struct store_release_status *s);

/* ---- engagements (engagement.c) ---- */

struct store_engagement {
	char id[DB_UUID_LEN + 1];
	char campaign_id[DB_UUID_LEN + 1];
	char company_org_id[DB_UUID_LEN + 1];
	char *company_name; /* NULL when the org is not visible */
	char assessor_org_id[DB_UUID_LEN + 1];
	char *assessor_name;
	json_t *lead_assessors;
	char state[16];
	char created_at[STORE_TS_LEN];
	char *campaign_title;
	json_t *threat_models; /* the campaign's */
	int released;          /* the campaign's release instant has passed */
};

/*
 * Create engagement id (a new UUID) with a fresh data key, wrapped under
 * the master key, and its scope sealed under the data key. leads: JSON
 * array text. DB_UNIQUE when the pair already exists in the campaign.
 */
int store_engagement_create(struct db_conn *c, const char *id, const char *campaign,
                            const char *company, const char *assessor, const char *leads,
                            const char *scope) STORE_MUST_CHECK;
int store_engagement_get(struct db_conn *c, const char *id,
                         struct store_engagement *out) STORE_MUST_CHECK;
int store_engagement_list(struct db_conn *c, const char *after, int limit,
                          struct store_engagement **rows, int *n) STORE_MUST_CHECK;
/* Every engagement of a campaign, oldest first. */
int store_engagement_list_by_campaign(struct db_conn *c, const char *campaign,
                                      struct store_engagement **rows, int *n) STORE_MUST_CHECK;
/*
 * The engagement's data key, unwrapped with the master key. Only visible
 * (and so only works) for the engagement's company and assessor. DB_OK,
 * STORE_NONE when the secrets are not visible, or a negative db_status.
 * The caller wipes key.
 */
int store_engagement_key(struct db_conn *c, const char *id,
                         unsigned char key[CRYPTO_KEY_LEN]) STORE_MUST_CHECK;
/* The engagement's scope, opened: *scope a new JSON string. Same results. */
int store_engagement_scope(struct db_conn *c, const char *id, json_t **scope) STORE_MUST_CHECK;
void store_engagement_clear(struct store_engagement *e);
void store_engagements_free(struct store_engagement *rows, int n);

/* ---- findings (finding.c) ---- */

/* A finding with its confidential columns opened (JSON strings, or null). */
struct store_finding {
	char id[DB_UUID_LEN + 1];
	char engagement_id[DB_UUID_LEN + 1];
	char threat_model[32];
	char severity[16];
	char status[16];
	json_t *title;
	json_t *detail;
	json_t *response;
	json_t *atlas;
	json_t *cwe;
	char *cvss; /* NULL when none */
	long long version;
	char created_by[DB_UUID_LEN + 1]; /* "" in history rows */
	char created_at[STORE_TS_LEN];    /* "" in history rows */
	char updated_by[DB_UUID_LEN + 1]; /* history rows: who changed it */
	char updated_at[STORE_TS_LEN];    /* history rows: when */
};

/* What a new finding or a change says; NULL members are absent (PATCH: unchanged). */
struct store_finding_input {
	const char *threat_model;
	const char *severity;
	const char *status;
	const char *title; /* plaintext: sealed by the store */
	const char *detail;
	const char *response;
	const char *atlas; /* JSON array text */
	const char *cwe;
	const char *cvss; /* PATCH: "" clears it */
};

/*
 * Every function here opens or seals with the engagement's data key, so
 * it returns STORE_NONE where the engagement's secrets are not visible
 * (anyone but its company and assessor).
 */
int store_finding_create(struct db_conn *c, const char *id, const char *engagement,
                         const char *company, const char *assessor,
                         const struct store_finding_input *in,
                         struct store_finding *out) STORE_MUST_CHECK;
int store_finding_get(struct db_conn *c, const char *id,
                      struct store_finding *out) STORE_MUST_CHECK;
int store_finding_list(struct db_conn *c, const char *engagement, const char *after, int limit,
                       struct store_finding **rows, int *n) STORE_MUST_CHECK;
int store_finding_update(struct db_conn *c, const char *id, const char *engagement,
                         const struct store_finding_input *in,
                         struct store_finding *out) STORE_MUST_CHECK;
/* Every version of finding id (of engagement), oldest first. */
int store_finding_history(struct db_conn *c, const char *id, const char *engagement,
                          struct store_finding **rows, int *n) STORE_MUST_CHECK;
/*
 * Import one finding (findings:import): when engagement already holds a
 * finding imported with fingerprint (SHA-256 of its normalised rule or
 * title and location; stored keyed with the engagement's key), nothing
 * is written and *created is 0; otherwise the finding is created as by
 * store_finding_create (same checks) with the fingerprint, and *created
 * is 1. existing receives the id of the finding, new or old. DB_OK,
 * STORE_NONE (engagement not visible), or a db_status.
 */
int store_finding_import(struct db_conn *c, const char *id, const char *engagement,
                         const char *company, const char *assessor,
                         const struct store_finding_input *in,
                         const unsigned char fingerprint[CRYPTO_SHA256_LEN], int *created,
                         char existing[DB_UUID_LEN + 1]) STORE_MUST_CHECK;
void store_finding_clear(struct store_finding *f);
void store_findings_free(struct store_finding *rows, int n);

/* ---- claims and statements (claim.c) ---- */

struct store_claim {
	char engagement_id[DB_UUID_LEN + 1];
	char threat_model[32];
	char level[16];
	char *summary;
	char updated_by[DB_UUID_LEN + 1];
	char updated_at[STORE_TS_LEN];
};

struct store_statement {
	char engagement_id[DB_UUID_LEN + 1];
	char *text;
	char updated_by[DB_UUID_LEN + 1];
	char updated_at[STORE_TS_LEN];
};

/* Set the claim of (engagement of company and assessor, threat_model). */
int store_claim_put(struct db_conn *c, const char *engagement, const char *company,
                    const char *assessor, const char *threat_model, const char *level,
                    const char *summary, struct store_claim *out) STORE_MUST_CHECK;
/* The engagement's claims in threat-model order. */
int store_claim_list(struct db_conn *c, const char *engagement, struct store_claim **rows,
                     int *n) STORE_MUST_CHECK;
void store_claim_clear(struct store_claim *k);
void store_claims_free(struct store_claim *rows, int n);

int store_statement_put(struct db_conn *c, const char *engagement, const char *company,
                        const char *assessor, const char *text,
                        struct store_statement *out) STORE_MUST_CHECK;
int store_statement_get(struct db_conn *c, const char *engagement,
                        struct store_statement *out) STORE_MUST_CHECK;
void store_statement_clear(struct store_statement *s);

/*
 * `lockstepd migrate`, as the schema owner with the master key given to
 * store_init: seal the claim summaries and statements written before
 * 0004_anonymity.sql (plaintext *_plain columns) of campaigns not yet
 * released. *claims, *statements: how many were sealed. DB_OK or a
 * db_status.
 */
int store_legacy_seal(struct db_conn *c, int *claims, int *statements) STORE_MUST_CHECK;

/* ---- publications and the release (publication.c) ---- */

struct store_publication {
	long long seq;
	char slug[80];
	char *title;
	char disclosure[16];
	char release_at[STORE_TS_LEN];
	char published_at[STORE_TS_LEN];
	int embargo_break;
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	char prev_hash[2 * CRYPTO_SHA256_LEN + 1];
	/* store_publication_get only: */
	char *document; /* the exact canonical bytes that were signed */
	struct db_bytes signature;
	struct db_bytes signing_key;
};

/*
 * Publications are read anonymously: row-level security hides every one
 * whose release instant has not passed (STORE_NONE then).
 */
int store_publication_get(struct db_conn *c, const char *slug,
                          struct store_publication *out) STORE_MUST_CHECK;
/* Newest first; before_seq (decimal text, NULL: from the newest) excluded. */
int store_publication_list(struct db_conn *c, const char *before_seq, int limit,
                           struct store_publication **rows, int *n) STORE_MUST_CHECK;
void store_publication_clear(struct store_publication *p);
void store_publications_free(struct store_publication *rows, int n);

/* A due campaign the scheduler claimed (locked until the transaction ends). */
struct store_release {
	char campaign_id[DB_UUID_LEN + 1];
	char *title;
	char slug[80];
	json_t *threat_models;
	char release_at[STORE_TS_LEN];
	char planned_release_at[STORE_TS_LEN];
	char disclosure[16];
	long long min_cohort;
	int embargo_break;
	int held;
};

/* Claim one due campaign: DB_OK, STORE_NONE when none is due, or a db_status. */
int store_release_claim(struct db_conn *c, struct store_release *out) STORE_MUST_CHECK;
void store_release_clear(struct store_release *r);
/*
 * The campaign's publishable inputs (*inputs: new reference). STORE_NONE
 * when none. Claim summaries and statements come sealed (0004) with each
 * engagement's wrapped data key; they are opened here with the master
 * key, so *inputs holds plaintext and no key. A key or ciphertext that
 * does not open is DB_ERROR (logged): nothing is published with a text
 * missing.
 */
int store_release_inputs(struct db_conn *c, const char *campaign, json_t **inputs) STORE_MUST_CHECK;
/* The chain's head: sequence number and hash (zeros before the first). */
int store_release_chain_head(struct db_conn *c, long long *seq,
                             unsigned char hash[CRYPTO_SHA256_LEN]) STORE_MUST_CHECK;
/* Store the signed document canon as publication seq of campaign. */
int store_release_publish(struct db_conn *c, const char *campaign, long long seq, const char *canon,
                          const unsigned char sig[CRYPTO_ED25519_SIG_LEN],
                          const unsigned char hash[CRYPTO_SHA256_LEN],
                          const unsigned char prev[CRYPTO_SHA256_LEN],
                          const unsigned char pub[CRYPTO_ED25519_PUB_LEN]) STORE_MUST_CHECK;
/* Hold the release for reasons (JSON array text); *changed 1 when the hold is new or different. */
int store_release_hold(struct db_conn *c, const char *campaign, const char *reasons,
                       int *changed) STORE_MUST_CHECK;

/* ---- vocabulary (vocab.c) ---- */

/* The threat-model catalogue, in its order. */
struct store_threat_model {
	char code[32];
	char *name;
	char *description;
};
int store_threat_model_list(struct db_conn *c, struct store_threat_model **rows,
                            int *n) STORE_MUST_CHECK;
void store_threat_models_free(struct store_threat_model *rows, int n);

/*
 * Compare every enumeration of util/vocab.h (values, order, company flag)
 * with the vocabulary table. DB_OK when equal; STORE_NONE when they
 * differ (each difference logged); or a negative db_status.
 */
int store_vocab_check(struct db_conn *c) STORE_MUST_CHECK;

#endif

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
 * Re-seal under the current master key a secret sealed directly under the
 * previous one (a TOTP seed, a webhook secret): as store_rewrap_key.
 */
int store_reseal(const char *kind, const char *id, const char *column, const unsigned char *ct,
                 size_t ctlen, char **param) STORE_MUST_CHECK;

/* What a rotation rewraps: every column sealed with the master key itself. */
enum store_rewrap_target {
	STORE_REWRAP_DATA_KEYS, /* engagement_secrets.data_key */
	STORE_REWRAP_TOTP,      /* user_totp.secret */
	STORE_REWRAP_WEBHOOKS,  /* webhooks.secret */
	STORE_REWRAP_TARGETS
};

/*
 * One batch of the rotation, as the owner: up to limit rows of target
 * after id after ("" from the start), rewrapped under the current key, in
 * one transaction. *last is the last id seen ("" when none was left); the
 * counters are added to.
 */
int store_rewrap_batch(struct db_conn *c, enum store_rewrap_target target, const char *after,
                       int limit, char last[37], long long *rewrapped, long long *current,
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

/*
 * Seal or open a secret that belongs to no engagement (a TOTP seed, a
 * webhook secret) directly under the master key, for (kind, id, column);
 * during a rotation, opening falls back to the previous key and
 * lockstepd rotate-master-key re-seals it. store_master_seal returns a
 * malloc'd bytea parameter or NULL; store_master_open returns 0 with *pt
 * malloc'd (the caller wipes and frees: store_secret_free) or -1 (logged).
 * The text forms: store_seal_master seals a NUL-terminated text;
 * store_open_master returns a malloc'd NUL-terminated plaintext the caller
 * wipes (store_secret_free(p, strlen(p))), or NULL (logged).
 */
char *store_master_seal(const char *kind, const char *id, const char *column, const void *pt,
                        size_t len);
int store_master_open(const char *kind, const char *id, const char *column,
                      const struct db_bytes *ct, unsigned char **pt,
                      size_t *ptlen) STORE_MUST_CHECK;
char *store_seal_master(const char *kind, const char *id, const char *column, const char *text);
char *store_open_master(const char *kind, const char *id, const char *column,
                        const unsigned char *ct, size_t ctlen);

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
/* ---- participant-facing events (event.c) ---- */

/*
 * Record event `type` ("stage.changed", "review.opened", "draft.changed",
 * "review.answered", "release.held", "release.published", ...) about
 * object (object_type "engagement" or "campaign"), concerning org1 and
 * org2 (either may be NULL), with detail (STOLEN; NULL: {}; ids, states,
 * hashes, never confidential text), from addr (NULL for the scheduler).
 * The one entry point the inbox and webhooks connect to. Returns DB_OK or
 * a negative db_status.
 */
int store_event(struct db_conn *c, const char *type, const char *object_type, const char *object_id,
                const char *org1, const char *org2, json_t *detail,
                const char *addr) STORE_MUST_CHECK;

/* ---- the company review (review.c, 0008) ---- */

/* A campaign whose review window is open, as review_claim() returns it. */
struct store_review_campaign {
	char campaign_id[DB_UUID_LEN + 1];
	char *title;
	char slug[64];
	json_t *threat_models;
	char release_at[STORE_TS_LEN];
	char planned_release_at[STORE_TS_LEN];
	char disclosure[16];
	long long min_cohort;
	int first; /* no draft frozen yet */
};

/* The review scheduler (identity 'scheduler'): lock one due campaign. DB_OK or STORE_NONE. */
int store_review_claim(struct db_conn *c, struct store_review_campaign *out) STORE_MUST_CHECK;
void store_review_campaign_clear(struct store_review_campaign *k);
/*
 * review_inputs() opened: release_inputs()' shape, each engagement with
 * its wrapped data key ("data_key", hex) and its current draft
 * ("draft": {version, hash, row} or null). *inputs: new reference.
 * STORE_NONE when the window is not open.
 */
int store_review_inputs(struct db_conn *c, const char *campaign, json_t **inputs) STORE_MUST_CHECK;
/*
 * Store draft `version` of an engagement: canon (the row's canonical
 * JSON) sealed under its data key (wrapped_hex unwrapped with the master
 * key), hash_hex its SHA-256, changes a JSON array text. DB_OK or a
 * db_status (DB_DENIED when the version is not the next).
 */
int store_review_freeze(struct db_conn *c, const char *campaign, const char *engagement,
                        int version, const char *wrapped_hex, const char *canon,
                        const char *hash_hex, const char *changes) STORE_MUST_CHECK;
/* The campaign's drafts were compared now. */
/* snapshot: pg_current_snapshot() taken before the comparison read anything
 * (store_release_snapshot): the next round skips the campaign while nothing
 * it reads was written since (0025_review_idle.sql) */
int store_review_checked(struct db_conn *c, const char *campaign,
                         const char *snapshot) STORE_MUST_CHECK;
/*
 * At the release: {engagement id: {state, version, reopened, draft_hash,
 * response (text, if any), addendum (text, if any)}}. *reviews: new
 * reference (an empty object when there is no review).
 */
int store_review_release_inputs(struct db_conn *c, const char *campaign,
                                json_t **reviews) STORE_MUST_CHECK;
/* The same for a release prepared ahead_ms (0..60000) before its instant. */
int store_review_release_inputs_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                                      json_t **reviews) STORE_MUST_CHECK;

/* An engagement's current review as its participants see it. */
struct store_review {
	char state[16]; /* pending | signed-off | responded */
	long long version;
	char draft_hash[2 * CRYPTO_SHA256_LEN + 1];
	int reopened;
	char answered_at[STORE_TS_LEN]; /* "" when not answered */
	char addendum_at[STORE_TS_LEN];
	char frozen_at[STORE_TS_LEN];
	json_t *changes;  /* array of changed parts */
	json_t *row;      /* the draft row */
	json_t *response; /* string or null */
	json_t *addendum; /* string or null */
	int open;         /* answers are accepted (the release instant is ahead) */
};
/* DB_OK, STORE_NONE (no draft yet, or not visible). Clear with store_review_clear. */
int store_review_get(struct db_conn *c, const char *engagement,
                     struct store_review *out) STORE_MUST_CHECK;
void store_review_clear(struct store_review *r);
/*
 * The company answers the draft whose hash is hash_hex: state
 * "signed-off" (response NULL) or "responded" (response sealed). DB_OK,
 * STORE_NONE when the hash is not the current draft's, DB_DENIED when
 * the review is not open.
 */
int store_review_answer(struct db_conn *c, const char *engagement, const char *state,
                        const char *hash_hex, const char *response) STORE_MUST_CHECK;
/* The assessor's addendum to a response to draft hash_hex. As store_review_answer. */
int store_review_addendum(struct db_conn *c, const char *engagement, const char *hash_hex,
                          const char *text) STORE_MUST_CHECK;

/* ---- holds (review.c, 0008) ---- */

/*
 * The fields of engagement's texts that hold its campaign's release, for
 * its company or assessor (release_hold_fields): *fields a new array of
 * field names (empty: no hold), held_at when the hold began ("" when
 * none). DB_OK or a db_status.
 */
int store_hold_fields(struct db_conn *c, const char *engagement, json_t **fields,
                      char held_at[STORE_TS_LEN]) STORE_MUST_CHECK;
/* The coordinator withholds the offending texts of a held release (reasons: JSON text). */
int store_withhold_create(struct db_conn *c, const char *campaign, const char *reason,
                          const char *reasons, const char *user) STORE_MUST_CHECK;
/* The scheduler: the withhold decision of a due campaign ({reason, decided_at}) or *withheld NULL.
 */
int store_release_withheld(struct db_conn *c, const char *campaign,
                           json_t **withheld) STORE_MUST_CHECK;
/* The same for a release prepared ahead_ms (0..60000) before its instant. */
int store_release_withheld_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                                 json_t **withheld) STORE_MUST_CHECK;
/* The scheduler: {engagement id: [company org id, assessor org id]} of a campaign. */
int store_release_engagement_orgs(struct db_conn *c, const char *campaign,
                                  json_t **orgs) STORE_MUST_CHECK;
/* The coordinator extends a held release to now + seconds; the new instant in release_at. */
int store_campaign_extend(struct db_conn *c, const char *campaign, long long seconds,
                          char release_at[STORE_TS_LEN]) STORE_MUST_CHECK;

/* One engagement's review state for the coordinator (no text). */
struct store_review_state {
	char engagement_id[DB_UUID_LEN + 1];
	char state[16];
	long long version;
	int reopened;
	char answered_at[STORE_TS_LEN];
	int addendum;
};
int store_review_states(struct db_conn *c, const char *campaign, struct store_review_state **rows,
                        int *n) STORE_MUST_CHECK;
void store_review_states_free(struct store_review_state *rows, int n);

/* One cell of the coordinator's dashboard: engagement x threat model. */
struct store_dashboard_cell {
	char engagement_id[DB_UUID_LEN + 1];
	char threat_model[32];
	int claim_made;
	long long counts[5]; /* critical, high, medium, low, info */
};
int store_campaign_dashboard(struct db_conn *c, const char *campaign,
                             struct store_dashboard_cell **rows, int *n) STORE_MUST_CHECK;
void store_dashboard_free(struct store_dashboard_cell *rows, int n);

/* ---- orgs (org.c) ---- */

struct store_org {
	char id[DB_UUID_LEN + 1];
	char kind[16];
	char *name;
	json_t *aliases; /* array of strings */
	int disabled;    /* 0006: the coordinator disabled the org */
	char created_at[STORE_TS_LEN];
};

/* Create an org; aliases is a JSON array text. DB_UNIQUE when the name exists. */
int store_org_create(struct db_conn *c, const char *kind, const char *name, const char *aliases,
                     struct store_org *out) STORE_MUST_CHECK;
/* Is org id visible to the caller? DB_OK or STORE_NONE. */
int store_org_exists(struct db_conn *c, const char *id) STORE_MUST_CHECK;

/*
 * Display names for ids (0017): users and orgs are JSON arrays of UUID
 * texts. *out receives {"users":{id:name}, "orgs":{id:name}} holding only
 * the ids the caller may name (owned by the caller, NULL on failure).
 * DB_OK or a db_status.
 */
int store_names_resolve(struct db_conn *c, const char *users, const char *orgs,
                        json_t **out) STORE_MUST_CHECK;
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
	char kind[16];                    /* store_auth_resolve: "session" or "api" */
	char scopes[256]; /* store_auth_resolve: an API token's scopes, space-separated; "" for a
	                     browser session (one limited to enrolling a second factor has some) */
};

struct store_user {
	char id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	char *email;
	char *name;
	char role[8];
	int disabled;
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
	json_t *scopes;                  /* array of token_scope codes; null for login sessions */
	char last_used_at[STORE_TS_LEN]; /* "" when never used */
	char *addr;                      /* the address it was created from, or NULL */
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
/*
 * A throttled log-in's wait (0017 auth_throttle_wait): seconds until the
 * blocking window ends (0 when nothing blocks) and scope "account" or
 * "address". DB_OK or a db_status.
 */
struct store_throttle_wait {
	long long seconds;
	char scope[16];
};
int store_auth_throttle_wait(struct db_conn *c, const char *acct_key, const char *max,
                             const char *addr_key, const char *addr_max, const char *window,
                             struct store_throttle_wait *out) STORE_MUST_CHECK;
int store_auth_throttle_fail(struct db_conn *c, const char *acct_key, const char *addr_key,
                             const char *window) STORE_MUST_CHECK;
int store_auth_throttle_clear(struct db_conn *c, const char *acct_key) STORE_MUST_CHECK;

/* A new login session for the caller; expires_at receives its expiry. */
int store_session_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                         const char *user_id, const char *org_id, const char *ttl_seconds,
                         const char *addr, char expires_at[STORE_TS_LEN]) STORE_MUST_CHECK;
/*
 * A new API token of the caller: scopes a JSON array text of token_scope
 * codes; it expires after days, and never after parent (the session or
 * token creating it) when that is an API token.
 */
int store_token_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                       const char *name, const char *days, const char *addr, const char *scopes,
                       const char *parent, struct store_token *out) STORE_MUST_CHECK;
/* A user's live sessions and tokens (at most 200), as their admin sees them. */
int store_user_token_list(struct db_conn *c, const char *user_id, struct store_token **rows,
                          int *n) STORE_MUST_CHECK;
/* Revoke one session or token id of user_id: DB_OK or STORE_NONE. */
int store_user_token_revoke(struct db_conn *c, const char *user_id,
                            const char *id) STORE_MUST_CHECK;
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

/* ---- second factors (factor.c, 0007) ---- */

/* The caller's TOTP enrolment. */
struct store_totp {
	int confirmed;                   /* 0: enrolment started, not confirmed yet */
	char confirmed_at[STORE_TS_LEN]; /* "" until confirmed */
	long long recovery_left;         /* unused recovery codes */
};

/* A live log-in challenge: the identity it names and its throttle key. */
struct store_challenge {
	char user_id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	char org_kind[16];
	char role[8];
	char acct_key[400];
};

/* Whether one user of an org has a confirmed second factor. */
struct store_org_factor {
	char user_id[DB_UUID_LEN + 1];
	int enabled;
};

/*
 * For the org's admin or the coordinator: whether each user of org_id has
 * a second factor (org_second_factors, 0007); no rows for anybody else.
 * *rows: free with store_org_factors_free.
 */
int store_org_second_factors(struct db_conn *c, const char *org_id, struct store_org_factor **rows,
                             int *n) STORE_MUST_CHECK;
void store_org_factors_free(struct store_org_factor *rows, int n);

/* Base32 characters of a recovery code (80 bits), shown as four groups of four. */
#define STORE_RECOVERY_CHARS 16

/*
 * Start (or restart) the caller's TOTP enrolment with secret, sealed.
 * STORE_NONE when a confirmed enrolment exists (disable it first).
 */
int store_totp_begin(struct db_conn *c, const char *user_id,
                     const unsigned char secret[CRYPTO_TOTP_SECRET_LEN]) STORE_MUST_CHECK;
/* The caller's enrolment: DB_OK, or STORE_NONE when there is none. */
int store_totp_state(struct db_conn *c, struct store_totp *out) STORE_MUST_CHECK;
/*
 * Check a code against the caller's TOTP secret at Unix time now (the row
 * is locked, so two requests cannot use one code). confirm 1: the
 * enrolment must be unconfirmed and a valid code confirms it; 0: it must
 * be confirmed. *ok 1 when the code was valid and not used before (its
 * step is recorded). STORE_NONE when there is no such enrolment.
 */
int store_totp_verify(struct db_conn *c, const char *user_id, const char *code, long long now,
                      int confirm, int *ok) STORE_MUST_CHECK;
/*
 * The caller's own password hash (auth_password_hash_self, 0007) into
 * *hash (malloc'd; wipe and free with store_secret_free). STORE_NONE for a
 * disabled account.
 */
int store_password_hash_self(struct db_conn *c, char **hash) STORE_MUST_CHECK;
/* Remove the caller's TOTP and recovery codes. STORE_NONE when not enrolled. */
int store_totp_remove(struct db_conn *c) STORE_MUST_CHECK;
/* Replace the caller's recovery codes by the n codes given (only hashes are stored). */
int store_recovery_replace(struct db_conn *c, const char *user_id, char *const *codes,
                           int n) STORE_MUST_CHECK;
/* Use one of the caller's recovery codes: *ok 1 when it was valid and unused. */
int store_recovery_use(struct db_conn *c, const char *user_id, const char *code,
                       int *ok) STORE_MUST_CHECK;

/* 1 in *required when a campaign the caller's org takes part in requires a second factor. */
int store_factor_required(struct db_conn *c, int *required) STORE_MUST_CHECK;
/* A browser session of the caller limited to enrolling a second factor (scopes account:write). */
int store_session_create_enrol(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                               const char *ttl_seconds, const char *addr,
                               char expires_at[STORE_TS_LEN]) STORE_MUST_CHECK;

/* A log-in challenge for the caller (ttl seconds); expires_at receives its expiry. */
int store_challenge_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                           const char *acct_key, const char *addr, const char *ttl,
                           char expires_at[STORE_TS_LEN]) STORE_MUST_CHECK;
/* Anonymous: the live challenge with this hash (DB_OK) or STORE_NONE. */
int store_challenge_resolve(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                            struct store_challenge *out) STORE_MUST_CHECK;
/* Anonymous: count a wrong code against the challenge (the fifth burns it). */
int store_challenge_fail(struct db_conn *c,
                         const unsigned char hash[CRYPTO_SHA256_LEN]) STORE_MUST_CHECK;
/* Under the challenge's identity: use it up; *ok 1 only the first time. */
int store_challenge_consume(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                            int *ok) STORE_MUST_CHECK;

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
	char review_opens_at[STORE_TS_LEN]; /* when the company review opens (0008) */
	int review_opens_default;           /* review_opens_at is 72 h before release_at */
	int require_second_factor; /* every user of its orgs must have a second factor (0007) */
};

/* The fields a PATCH may change: NULL keeps the current value. */
struct store_campaign_change {
	const char *title;
	const char *threat_models; /* JSON array text */
	const char *release_at;
	const char *disclosure;
	const char *min_cohort;
	const char *state;
	const char *review_opens_at; /* RFC 3339, or "default": 72 h before release_at */
	const char *slug;            /* before the release only (0027) */
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
/* Set a campaign's second-factor requirement (coordinator). DB_OK or STORE_NONE. */
int store_campaign_second_factor(struct db_conn *c, const char *id, int required,
                                 struct store_campaign *out) STORE_MUST_CHECK;

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
	char *company_name;       /* NULL when the org is not visible */
	json_t *company_aliases;  /* its aliases (JSON array), NULL when not visible */
	char assessor_org_id[DB_UUID_LEN + 1];
	char *assessor_name;
	json_t *lead_assessors;
	char state[16];
	char created_at[STORE_TS_LEN];
	char stage_changed_at[STORE_TS_LEN];
	char *campaign_title;
	json_t *threat_models; /* the campaign's */
	int released;          /* the campaign's release instant has passed */
	int review_open;       /* the campaign's review window has opened (0008) */
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
/* One stage an engagement entered (engagement_stage_history), or an allowed move. */
struct store_stage {
	char *from_state; /* NULL for the first stage */
	char to_state[16];
	char changed_at[STORE_TS_LEN]; /* "" for a transition */
	char *changed_by;              /* user id or NULL */
};

/*
 * Move engagement id from stage `from` to `to` (0008's engagement_transitions
 * decide what is allowed; the history is written by trigger). DB_OK,
 * STORE_NONE when the engagement is not visible, not in `from` any more
 * or the move is not allowed, DB_DENIED when the caller may not update it.
 */
int store_engagement_move(struct db_conn *c, const char *id, const char *from,
                          const char *to) STORE_MUST_CHECK;
/* The stages engagement id entered, oldest first. *rows: free with store_stages_free. */
int store_engagement_stages(struct db_conn *c, const char *id, struct store_stage **rows,
                            int *n) STORE_MUST_CHECK;
/* Every allowed move (from_state, to_state). *rows: free with store_stages_free. */
int store_engagement_transitions(struct db_conn *c, struct store_stage **rows,
                                 int *n) STORE_MUST_CHECK;
void store_stages_free(struct store_stage *rows, int n);
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
	char created_by[DB_UUID_LEN + 1];   /* "" in history rows */
	char created_at[STORE_TS_LEN];      /* "" in history rows */
	char updated_by[DB_UUID_LEN + 1];   /* history rows: who changed it */
	char updated_at[STORE_TS_LEN];      /* history rows: when */
	char remediation_due[STORE_TS_LEN]; /* "" when none (and in history rows) */
	int overdue;                        /* due has passed and it is open or remediating */
	char oc_required[8];                /* OC1-OC5, "" when not rated */
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
	const char *cvss;            /* PATCH: "" clears it */
	const char *remediation_due; /* PATCH only: RFC 3339, "" clears it */
	const char *oc_required;     /* OC1-OC5; PATCH: "" clears it */
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

/* ---- the conversation about a finding (conversation.c) ---- */

/* A finding as its conversation rows name it (all borrowed). */
struct store_finding_ref {
	const char *finding;
	const char *engagement;
	const char *company;
	const char *assessor;
};

struct store_comment {
	char id[DB_UUID_LEN + 1];
	char finding_id[DB_UUID_LEN + 1];
	char author_user[DB_UUID_LEN + 1];
	char author_org[DB_UUID_LEN + 1];
	char author_kind[16];
	char *author_org_name; /* the author's org as the reader sees it */
	char *author_name;     /* NULL when the reader may not see the user (another org) */
	json_t *body;          /* plaintext */
	char created_at[STORE_TS_LEN];
};

struct store_risk {
	char id[DB_UUID_LEN + 1];
	char finding_id[DB_UUID_LEN + 1];
	json_t *justification; /* plaintext */
	char expires_at[STORE_TS_LEN];
	char state[16]; /* pending | accepted | refused */
	char requested_by[DB_UUID_LEN + 1];
	char requested_org[DB_UUID_LEN + 1];
	char requested_at[STORE_TS_LEN];
	char decided_by[DB_UUID_LEN + 1]; /* "" while pending */
	char decided_org[DB_UUID_LEN + 1];
	char decided_at[STORE_TS_LEN];
	json_t *decision_note; /* plaintext or json_null() */
	int expired;           /* expires_at has passed */
};

struct store_retest {
	char id[DB_UUID_LEN + 1];
	char finding_id[DB_UUID_LEN + 1];
	char result[8]; /* passed | failed */
	json_t *note;   /* plaintext */
	json_t *evidence;
	char performed_by[DB_UUID_LEN + 1];
	char performed_org[DB_UUID_LEN + 1];
	char created_at[STORE_TS_LEN];
};

struct store_remediation_days {
	char severity[16];
	long long days;
};

/*
 * Append a comment (body sealed) by the caller to finding f. The database
 * checks that the caller is the company or the assessor of f's
 * engagement (DB_DENIED otherwise).
 */
int store_comment_create(struct db_conn *c, const char *id, const struct store_finding_ref *f,
                         const char *body, struct store_comment *out) STORE_MUST_CHECK;
/* The thread of f, oldest first (at most 1000). */
int store_comment_list(struct db_conn *c, const struct store_finding_ref *f,
                       struct store_comment **rows, int *n) STORE_MUST_CHECK;
void store_comment_clear(struct store_comment *k);
void store_comments_free(struct store_comment *rows, int n);
/*
 * The company asks for risk acceptance of f until expires_at (RFC 3339).
 * DB_UNIQUE when a request is already pending; DB_INVALID when the
 * expiry is past or the finding is not open/remediating (the triggers).
 */
int store_risk_request(struct db_conn *c, const char *id, const struct store_finding_ref *f,
                       const char *justification, const char *expires_at,
                       struct store_risk *out) STORE_MUST_CHECK;
int store_risk_get(struct db_conn *c, const char *id, const char *engagement,
                   struct store_risk *out) STORE_MUST_CHECK;
/* The assessor decides request id: state accepted|refused, note may be NULL. */
int store_risk_decide(struct db_conn *c, const char *id, const char *engagement, const char *state,
                      const char *note, struct store_risk *out) STORE_MUST_CHECK;
int store_risk_list(struct db_conn *c, const struct store_finding_ref *f, struct store_risk **rows,
                    int *n) STORE_MUST_CHECK;
void store_risk_clear(struct store_risk *k);
void store_risks_free(struct store_risk *rows, int n);
/* The assessor retests remediated f: result passed|failed, evidence a JSON array text of ids. */
int store_retest_create(struct db_conn *c, const char *id, const struct store_finding_ref *f,
                        const char *result, const char *note, const char *evidence,
                        struct store_retest *out) STORE_MUST_CHECK;
int store_retest_list(struct db_conn *c, const struct store_finding_ref *f,
                      struct store_retest **rows, int *n) STORE_MUST_CHECK;
void store_retest_clear(struct store_retest *k);
void store_retests_free(struct store_retest *rows, int n);
/* *allowed 1 when finding_transitions has (from, to, kind, via). */
int store_transition_allowed(struct db_conn *c, const char *from, const char *to, const char *kind,
                             const char *via, int *allowed) STORE_MUST_CHECK;
/* A campaign's default remediation days per severity (rows: free()). */
int store_remediation_days_list(struct db_conn *c, const char *campaign,
                                struct store_remediation_days **rows, int *n) STORE_MUST_CHECK;
/* Replace them (coordinator). */
int store_remediation_days_set(struct db_conn *c, const char *campaign,
                               const struct store_remediation_days *rows, int n) STORE_MUST_CHECK;

/* ---- notifications: inbox and webhooks (notify.c) ---- */

/* Who hears of an event (bits). */
#define STORE_NOTIFY_COMPANY 1u     /* the company's users */
#define STORE_NOTIFY_ASSESSOR 2u    /* the assessor firm's users */
#define STORE_NOTIFY_COORDINATOR 4u /* the coordinator's users */

/*
 * THE entry point of notifications: tell the audience of an event. Writes
 * one inbox row per active user of the audience's organisations (never the
 * caller) and queues one webhook delivery per subscribed webhook of those
 * organisations; payloads carry ids and the event type, never text.
 * type: "finding.created", "finding.comment", ... (lower case, dots);
 * engagement: the engagement concerned, or NULL for every engagement of
 * campaign; object_type/object_id: what the event is about (may be NULL).
 * Runs inside the caller's transaction, as the caller, who must take part
 * in the engagement (or be the coordinator, the scheduler or the notifier):
 * DB_DENIED otherwise. *n (may be NULL): inbox rows written.
 */
int store_notify_event(struct db_conn *c, const char *type, const char *campaign,
                       const char *engagement, const char *object_type, const char *object_id,
                       unsigned audience, long long *n) STORE_MUST_CHECK;

struct store_notification {
	char id[DB_UUID_LEN + 1];
	char type[64];
	char campaign_id[DB_UUID_LEN + 1];
	char engagement_id[DB_UUID_LEN + 1];
	char object_type[32];
	char object_id[DB_UUID_LEN + 1];
	char *campaign_title; /* NULL when not visible */
	char created_at[STORE_TS_LEN];
	int read;
};
/* The caller's notifications, newest first; unread_only: only unread. */
int store_inbox_list(struct db_conn *c, const char *after, int limit, int unread_only,
                     struct store_notification **rows, int *n) STORE_MUST_CHECK;
void store_notifications_free(struct store_notification *rows, int n);
int store_inbox_unread(struct db_conn *c, long long *n) STORE_MUST_CHECK;
/* Mark the caller's notification id read (STORE_NONE: not the caller's). */
int store_inbox_mark(struct db_conn *c, const char *id) STORE_MUST_CHECK;
/* Mark all the caller's notifications read; *n how many. */
int store_inbox_mark_all(struct db_conn *c, long long *n) STORE_MUST_CHECK;

struct store_webhook {
	char id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	char *url;
	json_t *events;
	int active;
	char created_by[DB_UUID_LEN + 1];
	char created_at[STORE_TS_LEN];
};
/* Create a webhook of the caller's org (org admin); secret sealed under the master key. */
/* Serialise the caller's org's webhook additions until the transaction ends
 * (a count, then an insert: never past the limit). */
int store_webhooks_lock(struct db_conn *c);
int store_webhook_create(struct db_conn *c, const char *id, const char *url, const char *secret,
                         const char *events, struct store_webhook *out) STORE_MUST_CHECK;
int store_webhook_get(struct db_conn *c, const char *id,
                      struct store_webhook *out) STORE_MUST_CHECK;
int store_webhook_list(struct db_conn *c, struct store_webhook **rows, int *n) STORE_MUST_CHECK;
int store_webhook_delete(struct db_conn *c, const char *id) STORE_MUST_CHECK;
void store_webhook_clear(struct store_webhook *w);
void store_webhooks_free(struct store_webhook *rows, int n);

struct store_delivery {
	char id[DB_UUID_LEN + 1];
	char webhook_id[DB_UUID_LEN + 1];
	char event_type[64];
	json_t *payload;
	char state[16];
	long long attempts;
	long long last_status;
	char *last_error;
	char created_at[STORE_TS_LEN];
	char next_attempt_at[STORE_TS_LEN];
	char delivered_at[STORE_TS_LEN];
};
/* The delivery log of webhook id, newest first (at most limit). */
int store_delivery_list(struct db_conn *c, const char *webhook, int limit,
                        struct store_delivery **rows, int *n) STORE_MUST_CHECK;
void store_deliveries_free(struct store_delivery *rows, int n);

/* A delivery the worker leased (identity: notifier). */
struct store_lease {
	char id[DB_UUID_LEN + 1];
	char webhook_id[DB_UUID_LEN + 1];
	char *url;
	char *secret; /* opened; wipe with store_secret_free(secret, strlen) */
	char event_type[64];
	char *payload; /* the exact body to send */
	long long attempts;
};
int store_webhook_claim(struct db_conn *c, int limit, int lease_seconds, struct store_lease **rows,
                        int *n) STORE_MUST_CHECK;
void store_leases_free(struct store_lease *rows, int n);
int store_webhook_report(struct db_conn *c, const char *id, int ok, long status, const char *error,
                         int max_attempts, double backoff_seconds) STORE_MUST_CHECK;
/* An e-mail notification leased by the notifier (sql/0020_mail.sql). */
struct store_mail {
	long long id;
	char user_id[DB_UUID_LEN + 1];
	char email[256];
	char type[64];
	char campaign_id[DB_UUID_LEN + 1];
	char engagement_id[DB_UUID_LEN + 1];
	char object_type[32];
	char object_id[65];
	char created_at[STORE_TS_LEN];
	long long attempts;
};
/* Lease the due mail of at most users users (rows ordered by user). */
int store_mail_claim(struct db_conn *c, int users, int lease_seconds, int interval_seconds,
                     int max_age_seconds, struct store_mail **rows, int *n) STORE_MUST_CHECK;
void store_mails_free(struct store_mail *rows, int n);
/* Record the outcome of one message made of the rows ids. */
int store_mail_report(struct db_conn *c, const long long *ids, int nids, int ok, const char *error,
                      int max_attempts, double backoff_seconds) STORE_MUST_CHECK;
/* The caller's e-mail choice: read (set 0) or set to email; the result in *out. */
int store_mail_pref(struct db_conn *c, int set, int email, int *out) STORE_MUST_CHECK;
/* Notify findings near their deadline (identity: notifier); *n how many. */
int store_notify_deadlines(struct db_conn *c, int within_seconds, long long *n) STORE_MUST_CHECK;

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
/*
 * As the scheduler: milliseconds until the next instant of a campaign not
 * yet published (0 or less: due), DB_OK; STORE_NONE (and -1) when there
 * is none.
 */
int store_release_next_due(struct db_conn *c, long long *ms) STORE_MUST_CHECK;
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
/*
 * Preparing a release (publish/schedule.c), ahead_ms (0..60000, the
 * database caps it) before its instant, as the scheduler, writing nothing:
 * store_release_peek reads the next campaign due within ahead_ms that is
 * not due yet, not held and not published, without locking it (DB_OK,
 * STORE_NONE when there is none); store_release_inputs_ahead is
 * store_release_inputs for it; store_release_stamp is a digest (hex) of
 * everything the release reads about the campaign (inputs, reviews, the
 * withhold decision, the commitments), equal at the instant (ahead_ms 0)
 * only when none of it changed since the preparation (STORE_NONE when the
 * campaign is not within ahead_ms or is published).
 */
int store_release_peek(struct db_conn *c, int ahead_ms, struct store_release *out) STORE_MUST_CHECK;
int store_release_inputs_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                               json_t **inputs) STORE_MUST_CHECK;
int store_release_stamp(struct db_conn *c, const char *campaign, int ahead_ms,
                        char stamp[33]) STORE_MUST_CHECK;
/*
 * The change marker (sql/0023_input_changes.sql): store_release_snapshot
 * gives the text of pg_current_snapshot() (malloc'd, *snap) to be taken
 * before a preparation reads anything; store_release_changed_since sets
 * *changed to 0 only when no transaction that snapshot does not see wrote
 * a table the release reads (1 when one did, or when it cannot tell);
 * store_release_input_prune deletes the marks nobody can need any more
 * (at most every ten minutes, one replica at a time).
 */
int store_release_snapshot(struct db_conn *c, char **snap) STORE_MUST_CHECK;
int store_release_changed_since(struct db_conn *c, const char *snap,
                                int *changed) STORE_MUST_CHECK;
int store_release_input_prune(struct db_conn *c) STORE_MUST_CHECK;
/*
 * The participants' events of a release (sql/0024_release_events.sql),
 * written right after its COMMIT: store_release_events_defer records, in
 * the release transaction, that they are due; store_release_events_claim
 * locks the oldest due release whose row is at least min_age_ms old
 * (DB_OK, STORE_NONE when none) and gives
 * its engagements as {engagement id: [company org, assessor org]};
 * store_release_events_done forgets it once its events are written (same
 * transaction).
 */
struct store_release_events {
	char campaign_id[DB_UUID_LEN + 1];
	long long seq;
	char slug[80];
	char hash[65];
	json_t *engagements;
};
int store_release_events_defer(struct db_conn *c, const char *campaign, long long seq,
                               const char *slug, const char *hash) STORE_MUST_CHECK;
int store_release_events_claim(struct db_conn *c, int min_age_ms,
                               struct store_release_events *out) STORE_MUST_CHECK;
int store_release_events_done(struct db_conn *c, const char *campaign) STORE_MUST_CHECK;
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

/* ---- the transparency log (tlog.c, 0010_tlog.sql) ---- */

struct store_tlog_leaf {
	long long idx;
	struct db_bytes hash; /* 32 bytes */
};
struct store_tlog_entry {
	long long idx;
	char *body; /* canonical JSON */
};
struct store_tlog_checkpoint {
	long long size;
	char *note; /* the log's signed note, without cosignatures */
};
struct store_tlog_cosig {
	char witness[136];
	char *line; /* one signature line, newline-terminated */
};

/* Leaf hashes of entries from index from on, at most limit (rows freed with the _free). */
int store_tlog_leaves(struct db_conn *c, long long from, int limit, struct store_tlog_leaf **rows,
                      int *n) STORE_MUST_CHECK;
void store_tlog_leaves_free(struct store_tlog_leaf *rows, int n);
/* Bodies of entries [from, to). */
int store_tlog_entries(struct db_conn *c, long long from, long long to,
                       struct store_tlog_entry **rows, int *n) STORE_MUST_CHECK;
void store_tlog_entries_free(struct store_tlog_entry *rows, int n);
/* The first entry whose leaf hash is leaf: DB_OK with *idx, or STORE_NONE. */
int store_tlog_find(struct db_conn *c, const unsigned char leaf[CRYPTO_SHA256_LEN],
                    long long *idx) STORE_MUST_CHECK;
/* The checkpoint of size (size <= 0: the latest). DB_OK or STORE_NONE. */
int store_tlog_checkpoint(struct db_conn *c, long long size,
                          struct store_tlog_checkpoint *out) STORE_MUST_CHECK;
void store_tlog_checkpoint_clear(struct store_tlog_checkpoint *k);
/* Store a signed checkpoint (a size already stored is kept). */
int store_tlog_checkpoint_store(struct db_conn *c, long long size,
                                const unsigned char root[CRYPTO_SHA256_LEN],
                                const char *note) STORE_MUST_CHECK;
/* The cosignature lines stored for checkpoint size. */
int store_tlog_cosignatures(struct db_conn *c, long long size, struct store_tlog_cosig **rows,
                            int *n) STORE_MUST_CHECK;
void store_tlog_cosignatures_free(struct store_tlog_cosig *rows, int n);
/* Store a verified cosignature line of witness for checkpoint size. */
int store_tlog_cosignature_store(struct db_conn *c, long long size, const char *witness,
                                 const char *line) STORE_MUST_CHECK;
/* Log the SHA-256 of an evidence receipt once; *idx its entry. */
int store_tlog_evidence_receipt(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                                long long *idx) STORE_MUST_CHECK;
/* The largest checkpoint size witness cosigned (0: none). */
int store_tlog_witness_last(struct db_conn *c, const char *witness,
                            long long *size) STORE_MUST_CHECK;
/* Append an audit checkpoint if due (see tlog_audit_checkpoint in 0010). */
int store_tlog_audit_checkpoint(struct db_conn *c, unsigned min_seconds,
                                int force) STORE_MUST_CHECK;
/* Announce a public key in the log once (purpose "publication-signing" or "log"). */
int store_tlog_announce_key(struct db_conn *c, const char *purpose,
                            const unsigned char key[CRYPTO_ED25519_PUB_LEN]) STORE_MUST_CHECK;

/* ---- commit-then-reveal (tlog.c, 0010_tlog.sql) ---- */

/*
 * Claim one campaign due for its commitment (commit_claim(), scheduler
 * identity): DB_OK with its id and threat models (*threat_models: new
 * reference), or STORE_NONE.
 */
int store_commit_claim(struct db_conn *c, char campaign[DB_UUID_LEN + 1],
                       json_t **threat_models) STORE_MUST_CHECK;
/*
 * The engagements of a campaign as commit_inputs() returns them, claim
 * summaries and statements opened (as store_release_inputs). *inputs: new
 * reference. DB_OK, STORE_NONE, or DB_ERROR.
 */
int store_commit_inputs(struct db_conn *c, const char *campaign, json_t **inputs) STORE_MUST_CHECK;
/* Append and record one engagement's commitment; the salt is sealed here. */
int store_commit_store(struct db_conn *c, const char *campaign, const char *engagement,
                       const unsigned char commitment[CRYPTO_SHA256_LEN],
                       const unsigned char salt[CRYPTO_KEY_LEN], int recommitted,
                       long long *log_idx) STORE_MUST_CHECK;
/* Append the campaign commitment (the indices of its commitments, their count). */
int store_commit_campaign_store(struct db_conn *c, const char *campaign,
                                long long *log_idx) STORE_MUST_CHECK;

struct store_commitment {
	char engagement_id[DB_UUID_LEN + 1]; /* "" for the campaign commitment's row */
	char *commitment; /* hex; the campaign commitment's row: its log entry (JSON) */
	struct db_bytes salt_sealed;
	long long log_idx;
	int recommitted;
	char committed_at[STORE_TS_LEN];
	long long count;                    /* the campaign commitment's; -1 on engagement rows */
	unsigned char salt[CRYPTO_KEY_LEN]; /* opened here */
	int salt_ok;
};
/* The latest commitment of each engagement of a due campaign, salts opened, and the campaign's. */
int store_commitments_for_release(struct db_conn *c, const char *campaign,
                                  struct store_commitment **rows, int *n) STORE_MUST_CHECK;
/* The same for a release prepared ahead_ms (0..60000) before its instant. */
int store_commitments_for_release_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                                        struct store_commitment **rows, int *n) STORE_MUST_CHECK;
void store_commitments_free(struct store_commitment *rows, int n);

/* ---- the audit export (audit.c) ---- */

struct store_audit_event {
	long long id;
	char at[40]; /* microseconds, as hashed */
	char *actor_user, *actor_org, *actor_kind, *addr, *action, *object_type, *object_id;
	json_t *orgs, *detail;
	char prev_hash[2 * CRYPTO_SHA256_LEN + 1];
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	char *hashed; /* the exact text hashed after prev_hash */
};
/* Audit events after id `after` the caller may see (row-level security), in order. */
int store_audit_export(struct db_conn *c, long long after, int limit,
                       struct store_audit_event **rows, int *n) STORE_MUST_CHECK;
void store_audit_events_free(struct store_audit_event *rows, int n);

/* ---- corrections (tlog.c, 0010_tlog.sql) ---- */

struct store_correction_head {
	long long seq;    /* the publication's sequence */
	long long number; /* the next correction's number */
	char prev_hash[2 * CRYPTO_SHA256_LEN + 1];
	char pub_hash[2 * CRYPTO_SHA256_LEN + 1];
	char disclosure[16];
};
/*
 * The coordinator's view of a released publication's correction chain,
 * locked until the transaction ends. STORE_NONE for an unknown or
 * unreleased slug, or another caller.
 */
int store_correction_head(struct db_conn *c, const char *slug,
                          struct store_correction_head *out) STORE_MUST_CHECK;
/* Store and log a signed correction continuing the chain; *log_idx its entry. */
int store_correction_store(struct db_conn *c, long long seq, long long number, const char *document,
                           const unsigned char sig[CRYPTO_ED25519_SIG_LEN],
                           const unsigned char hash[CRYPTO_SHA256_LEN],
                           const unsigned char prev[CRYPTO_SHA256_LEN],
                           const unsigned char key[CRYPTO_ED25519_PUB_LEN],
                           long long *log_idx) STORE_MUST_CHECK;

struct store_correction {
	long long number;
	char *document; /* the exact signed bytes */
	char signature[100];
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	char created_at[STORE_TS_LEN];
};
/* The corrections of a released publication, in order; STORE_NONE when it is not visible. */
int store_corrections(struct db_conn *c, const char *slug, struct store_correction **rows,
                      int *n) STORE_MUST_CHECK;
void store_corrections_free(struct store_correction *rows, int n);

/* ---- the account life cycle (account.c, 0006_accounts.sql) ---- */

/* The one account with an address, for log-in (auth_login_account). */
struct store_login {
	char user_id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	char org_kind[16];
	char role[8];
	char *password_hash; /* wiped by store_login_clear */
	int usable;          /* neither the account nor its org is disabled */
};

/*
 * The account with this normalised address: DB_OK, STORE_NONE when there
 * is none, or a db_status. Free with store_login_clear.
 */
int store_login_account(struct db_conn *c, const char *email,
                        struct store_login *out) STORE_MUST_CHECK;
void store_login_clear(struct store_login *l);

/* An invitation ("invite") or password-reset ("reset") link. */
struct store_link {
	char id[DB_UUID_LEN + 1];
	char kind[8];
	char org_id[DB_UUID_LEN + 1];
	char *email;
	char *name; /* invite only, else NULL */
	char role[8];
	char user_id[DB_UUID_LEN + 1]; /* reset only, else "" */
	char created_at[STORE_TS_LEN];
	char expires_at[STORE_TS_LEN];
	char used_at[STORE_TS_LEN];    /* "" while unused */
	char revoked_at[STORE_TS_LEN]; /* "" unless revoked */
	int expired;                   /* expires_at has passed */
};

/* Create a link valid ttl_seconds; name, role (invite) or user_id (reset) may be NULL. */
int store_link_create(struct db_conn *c, const char *kind,
                      const unsigned char hash[CRYPTO_SHA256_LEN], const char *org_id,
                      const char *email, const char *name, const char *role, const char *user_id,
                      const char *ttl_seconds, struct store_link *out) STORE_MUST_CHECK;
int store_link_list(struct db_conn *c, const char *org_id, const char *after, int limit,
                    struct store_link **rows, int *n) STORE_MUST_CHECK;
int store_link_get(struct db_conn *c, const char *id, struct store_link *out) STORE_MUST_CHECK;
/* How many invitations of org_id are pending (unused, unrevoked, unexpired). */
int store_link_pending(struct db_conn *c, const char *org_id, long long *n) STORE_MUST_CHECK;
/* Revoke an unused, unrevoked link: DB_OK, or STORE_NONE (none such visible). */
int store_link_revoke(struct db_conn *c, const char *id) STORE_MUST_CHECK;
/* Revoke every unused link of a user (reset links). */
int store_user_links_revoke(struct db_conn *c, const char *user_id) STORE_MUST_CHECK;
void store_link_clear(struct store_link *l);
void store_links_free(struct store_link *rows, int n);

/* What accepting a link did (auth_link_accept): outcome invalid|created|taken|reset. */
struct store_accept {
	char outcome[16];
	char user_id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
};
int store_link_accept(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                      const char *password_hash, struct store_accept *out) STORE_MUST_CHECK;

/* The caller's own password hash into *hash (malloc'd; wipe and free). */
int store_own_password_hash(struct db_conn *c, char **hash) STORE_MUST_CHECK;
/* Set the caller's password and revoke every other session and token of it
 * (keep_session: the session in use, or NULL). */
int store_own_password_set(struct db_conn *c, const char *password_hash,
                           const char *keep_session) STORE_MUST_CHECK;

/* Replace the caller's password hash by one of the same password at a higher cost. */
int store_own_password_rehash(struct db_conn *c, const char *password_hash) STORE_MUST_CHECK;

/* A user's org and disabled flag (visible to the caller): DB_OK or STORE_NONE. */
int store_user_state(struct db_conn *c, const char *id, char org_id[DB_UUID_LEN + 1],
                     int *disabled) STORE_MUST_CHECK;
int store_user_set_disabled(struct db_conn *c, const char *id, int disabled) STORE_MUST_CHECK;
/* Disable (revoking every session and token of its users) or enable an org
 * other than the coordinator's: DB_OK or STORE_NONE. */
int store_org_set_disabled(struct db_conn *c, const char *id, int disabled) STORE_MUST_CHECK;

/* ---- security levels (levels.c, sql/0018_levels.sql) ---- */

/* What an engagement emulated, as PUT .../emulation gives it (all text). */
struct store_emulation_input {
	const char *capability;     /* OC1-OC5 */
	const char *access;         /* JSON array text of access_kind codes */
	const char *person_days;    /* integer text, or NULL */
	const char *fieldwork_from; /* YYYY-MM-DD or NULL */
	const char *fieldwork_to;   /* YYYY-MM-DD or NULL */
	const char *rules;          /* plaintext rules of engagement (sealed here) or NULL */
};

/*
 * The emulation of engagement as a new JSON object {capability, access,
 * person_days, fieldwork_from, fieldwork_to, updated_by, updated_at}; with
 * with_rules also "rules_of_engagement" (opened with the engagement's key:
 * only its company and assessor can). DB_OK, STORE_NONE (none recorded or
 * not visible), or a db_status.
 */
int store_emulation_get(struct db_conn *c, const char *engagement, int with_rules,
                        json_t **out) STORE_MUST_CHECK;
/* Set (insert or replace) the emulation; *out as store_emulation_get without rules. */
int store_emulation_put(struct db_conn *c, const char *engagement, const char *company,
                        const char *assessor, const struct store_emulation_input *in,
                        json_t **out) STORE_MUST_CHECK;
/*
 * Per threat model of engagement, the lowest oc_required among its
 * refuting findings (ls_not_met, 0018): a new object {TM: {not_met_from,
 * refuting}}; threat models without a refuting rated finding are absent.
 */
int store_not_met(struct db_conn *c, const char *engagement, json_t **out) STORE_MUST_CHECK;

/* A company's commitment as POST .../commitments gives it. */
struct store_commitment_input {
	const char *framework;
	const char *version;
	const char *level;
	const char *text;
	const char *link; /* https URL or NULL */
};
/*
 * Commitments: each a new JSON object (COMMITMENT_JSON in levels.c) with
 * "text" and "verdict_summary" opened: both are sealed at rest under the
 * engagement's data key (AAD lockstep/v1/commitment/<id>/<column>), so
 * only the engagement's company and assessor (and the schedulers, with the
 * master key) read them.
 */
int store_commitment_create(struct db_conn *c, const char *id, const char *engagement,
                            const char *company, const char *assessor,
                            const struct store_commitment_input *in, json_t **out) STORE_MUST_CHECK;
int store_commitment_list(struct db_conn *c, const char *engagement, json_t **out) STORE_MUST_CHECK;
int store_commitment_get(struct db_conn *c, const char *id, json_t **out) STORE_MUST_CHECK;
int store_commitment_verdict(struct db_conn *c, const char *id, const char *engagement,
                             const char *verdict, const char *summary,
                             json_t **out) STORE_MUST_CHECK;
/* The frameworks vocabulary (reference data): a new JSON array. */
int store_frameworks(struct db_conn *c, json_t **out) STORE_MUST_CHECK;
/*
 * Schedulers only (identity 'scheduler'): give each engagement of inputs
 * (release_inputs / review_inputs) its "levels" from levels_inputs():
 * {emulation, not_met, commitments}. DB_OK or a db_status.
 */
int store_levels_attach(struct db_conn *c, const char *campaign, json_t *inputs) STORE_MUST_CHECK;
/*
 * Series (0018): the campaign's {campaign_id, follows: {id, slug, title,
 * sequence, release_at} or null} as a new object; DB_OK, STORE_NONE.
 */
int store_series_get(struct db_conn *c, const char *campaign, json_t **out) STORE_MUST_CHECK;
/*
 * Make campaign follow follows (NULL: nothing). *released: the campaign is
 * frozen (nothing written); *ok: follows is a published campaign released
 * before this one (else nothing written). DB_OK, STORE_NONE (no such
 * campaign visible), or a db_status.
 */
int store_series_set(struct db_conn *c, const char *campaign, const char *follows, int *released,
                     int *ok) STORE_MUST_CHECK;
/* Schedulers only: inputs["follows"] = series_inputs() when the campaign follows one. */
int store_series_attach(struct db_conn *c, const char *campaign, json_t *inputs) STORE_MUST_CHECK;

#endif

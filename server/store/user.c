/*
 * store/user.c: users, login sessions and API tokens, and the narrow
 * authentication functions (SECURITY DEFINER, see 0001_schema.sql) that
 * run before an identity exists.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/util.h"

#define USER_COLS "id, org_id, email, name, role, disabled, ls_ts(created_at) AS created_at"
#define TOKEN_COLS                                                                                 \
	"id, kind, name, ls_ts(created_at) AS created_at, ls_ts(expires_at) AS expires_at,"        \
	" to_jsonb(scopes) AS scopes, coalesce(ls_ts(last_used_at), '') AS last_used_at, addr"

static const struct db_field auth_session_row[] = {
    DB_FIELD(DB_T_STR, struct store_auth, user_id, "user_id"),
    DB_FIELD(DB_T_STR, struct store_auth, org_id, "org_id"),
    DB_FIELD(DB_T_STR, struct store_auth, org_kind, "org_kind"),
    DB_FIELD(DB_T_STR, struct store_auth, role, "role"),
    DB_FIELD(DB_T_STR, struct store_auth, session_id, "session_id"),
    DB_FIELD(DB_T_STR, struct store_auth, kind, "kind"),
    DB_FIELD(DB_T_STR, struct store_auth, scopes, "scopes"),
    DB_FIELD_END};
struct user_flag {
	int value;
};
static const struct db_field allowed_row[] = {
    DB_FIELD(DB_T_BOOL, struct user_flag, value, "allowed"), DB_FIELD_END};

static const struct db_field wait_row[] = {
    DB_FIELD(DB_T_INT, struct store_throttle_wait, seconds, "seconds"),
    DB_FIELD(DB_T_STR, struct store_throttle_wait, scope, "scope"), DB_FIELD_END};

struct user_expiry {
	char expires_at[STORE_TS_LEN];
};
static const struct db_field expiry_row[] = {
    DB_FIELD(DB_T_STR, struct user_expiry, expires_at, "expires_at"), DB_FIELD_END};

struct user_id {
	char id[DB_UUID_LEN + 1];
};
static const struct db_field id_row[] = {DB_FIELD(DB_T_STR, struct user_id, id, "id"),
                                         DB_FIELD_END};

static const struct db_field user_row[] = {
    DB_FIELD(DB_T_STR, struct store_user, id, "id"),
    DB_FIELD(DB_T_STR, struct store_user, org_id, "org_id"),
    DB_FIELD(DB_T_TEXT, struct store_user, email, "email"),
    DB_FIELD(DB_T_TEXT, struct store_user, name, "name"),
    DB_FIELD(DB_T_STR, struct store_user, role, "role"),
    DB_FIELD(DB_T_BOOL, struct store_user, disabled, "disabled"),
    DB_FIELD(DB_T_STR, struct store_user, created_at, "created_at"),
    DB_FIELD_END};

static const struct db_field me_row[] = {
    DB_FIELD(DB_T_STR, struct store_me, user_id, "user_id"),
    DB_FIELD(DB_T_TEXT, struct store_me, email, "email"),
    DB_FIELD(DB_T_TEXT, struct store_me, user_name, "user_name"),
    DB_FIELD(DB_T_STR, struct store_me, role, "role"),
    DB_FIELD(DB_T_STR, struct store_me, org_id, "org_id"),
    DB_FIELD(DB_T_STR, struct store_me, org_kind, "org_kind"),
    DB_FIELD(DB_T_TEXT, struct store_me, org_name, "org_name"),
    DB_FIELD_END};

static const struct db_field token_row[] = {
    DB_FIELD(DB_T_STR, struct store_token, id, "id"),
    DB_FIELD(DB_T_STR, struct store_token, kind, "kind"),
    DB_FIELD(DB_T_TEXT, struct store_token, name, "name"),
    DB_FIELD(DB_T_STR, struct store_token, created_at, "created_at"),
    DB_FIELD(DB_T_STR, struct store_token, expires_at, "expires_at"),
    DB_FIELD(DB_T_JSON, struct store_token, scopes, "scopes"),
    DB_FIELD(DB_T_STR, struct store_token, last_used_at, "last_used_at"),
    DB_FIELD(DB_T_TEXT, struct store_token, addr, "addr"),
    DB_FIELD_END};

const struct db_statement store_user_statements[] = {
    /* authentication (SECURITY DEFINER functions, see 0001_schema.sql) */
    {"auth_resolve_token",
     "SELECT user_id, org_id, org_kind, role, session_id, kind, scopes"
     " FROM auth_resolve_scoped($1::bytea)",
     auth_session_row},
    {"auth_throttle_allowed",
     "SELECT auth_throttle_allowed($1, $2::int, $3, $4::int, $5::int) AS allowed", allowed_row},
    {"auth_throttle_wait",
     "SELECT seconds, scope FROM auth_throttle_wait($1, $2::int, $3, $4::int, $5::int)", wait_row},
    {"auth_throttle_fail", "SELECT auth_throttle_fail(ARRAY[$1, $2], $3::int)", NULL},
    {"auth_throttle_clear", "SELECT auth_throttle_clear($1)", NULL},

    /* sessions and API tokens */
    {"session_create",
     "INSERT INTO sessions (token_hash, user_id, org_id, expires_at, addr)"
     " VALUES ($1::bytea, $2::uuid, $3::uuid, now() + make_interval(secs => $4::int), $5)"
     " RETURNING ls_ts(expires_at) AS expires_at",
     expiry_row},
    {"token_create",
     "INSERT INTO sessions (token_hash, kind, name, user_id, org_id, expires_at, addr, scopes,"
     " parent_id) VALUES ($1::bytea, 'api', $2, ls_uid(), ls_org(),"
     " LEAST(now() + make_interval(days => $3::int), (SELECT p.expires_at FROM sessions p"
     " WHERE p.id = $6::uuid AND p.kind = 'api')), $4, " STORE_JSON_ARRAY(
         "$5") ", $6::uuid)"
               " RETURNING " TOKEN_COLS,
     token_row},
    {"tokens_list",
     "SELECT " TOKEN_COLS " FROM sessions"
     " WHERE user_id = ls_uid() AND revoked_at IS NULL AND expires_at > now()"
     " ORDER BY sessions.created_at DESC, sessions.id LIMIT 200",
     token_row},
    {"token_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE id = $1::uuid AND user_id = ls_uid()"
     " AND revoked_at IS NULL RETURNING id",
     id_row},
    {"user_tokens_list",
     "SELECT " TOKEN_COLS " FROM sessions"
     " WHERE user_id = $1::uuid AND revoked_at IS NULL AND expires_at > now()"
     " ORDER BY sessions.created_at DESC, sessions.id LIMIT 200",
     token_row},
    {"user_token_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE id = $1::uuid AND user_id = $2::uuid"
     " AND revoked_at IS NULL RETURNING id",
     id_row},
    {"user_sessions_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
     NULL},

    /* users */
    {"me_get",
     "SELECT u.id AS user_id, u.email, u.name AS user_name, u.role, o.id AS org_id,"
     " o.kind AS org_kind, o.name AS org_name"
     " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ls_uid()",
     me_row},
    {"user_create",
     "INSERT INTO users (org_id, email, name, role, password_hash)"
     " VALUES ($1::uuid, $2, $3, $4, $5) RETURNING " USER_COLS,
     user_row},
    {"user_get", "SELECT " USER_COLS " FROM users WHERE id = $1::uuid", user_row},
    {"org_users_list",
     "SELECT " USER_COLS " FROM users WHERE org_id = $1::uuid AND " STORE_AFTER(
         "users", "$2") " ORDER BY users.created_at, users.id LIMIT $3::int",
     user_row},

    /* bootstrap (run by `lockstepd ensure-admin` as the schema owner) */
    {"admin_coordinator_get", "SELECT id FROM orgs WHERE kind = 'coordinator'", id_row},
    {"admin_coordinator_create",
     "INSERT INTO orgs (kind, name) VALUES ('coordinator', $1) RETURNING id", id_row},
    {"admin_user_get", "SELECT id FROM users WHERE email = $1", id_row},
    {"admin_user_create",
     "INSERT INTO users (org_id, email, name, role, password_hash)"
     " VALUES ($1::uuid, $2, $3, 'admin', $4) RETURNING id",
     id_row},
    {NULL, NULL, NULL}};

/* "\x<hex>" of a token hash into out. */
static void
user_hash_param(const unsigned char hash[CRYPTO_SHA256_LEN], char out[2 * CRYPTO_SHA256_LEN + 3])
{
	out[0] = '\\';
	out[1] = 'x';
	util_hex_encode(hash, CRYPTO_SHA256_LEN, out + 2);
}

int
store_auth_resolve(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                   struct store_auth *out)
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[1] = {hex};

	memset(out, 0, sizeof(*out));
	user_hash_param(hash, hex);
	return store_one(c, "auth_resolve_token", 1, p, auth_session_row, out);
}

int
store_auth_throttle_allowed(struct db_conn *c, const char *acct_key, const char *max,
                            const char *addr_key, const char *addr_max, const char *window,
                            int *allowed)
{
	const char *p[5] = {acct_key, max, addr_key, addr_max, window};
	struct user_flag f = {0};
	int rc;

	*allowed = 0;
	rc = store_one(c, "auth_throttle_allowed", 5, p, allowed_row, &f);
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	*allowed = f.value;
	return rc;
}

int
store_auth_throttle_wait(struct db_conn *c, const char *acct_key, const char *max,
                         const char *addr_key, const char *addr_max, const char *window,
                         struct store_throttle_wait *out)
{
	const char *p[5] = {acct_key, max, addr_key, addr_max, window};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_one(c, "auth_throttle_wait", 5, p, wait_row, out);
	if (rc == STORE_NONE) {
		memset(out, 0, sizeof(*out));
		rc = DB_OK;
	}
	return rc;
}

int
store_auth_throttle_fail(struct db_conn *c, const char *acct_key, const char *addr_key,
                         const char *window)
{
	const char *p[3] = {acct_key, addr_key, window};

	return db_run(c, "auth_throttle_fail", 3, p);
}

int
store_auth_throttle_clear(struct db_conn *c, const char *acct_key)
{
	const char *p[1] = {acct_key};

	return db_run(c, "auth_throttle_clear", 1, p);
}

int
store_session_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                     const char *user_id, const char *org_id, const char *ttl_seconds,
                     const char *addr, char expires_at[STORE_TS_LEN])
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[5] = {hex, user_id, org_id, ttl_seconds, addr};
	struct user_expiry e;
	int rc;

	user_hash_param(hash, hex);
	rc = store_one(c, "session_create", 5, p, expiry_row, &e);
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	if (rc == DB_OK)
		memcpy(expires_at, e.expires_at, STORE_TS_LEN);
	return rc;
}

int
store_token_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN], const char *name,
                   const char *days, const char *addr, const char *scopes, const char *parent,
                   struct store_token *out)
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[6] = {hex, name, days, addr, scopes, parent};
	int rc;

	store_token_clear(out);
	user_hash_param(hash, hex);
	rc = store_one(c, "token_create", 6, p, token_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_token_list(struct db_conn *c, struct store_token **rows, int *n)
{
	return store_all(c, "tokens_list", 0, NULL, token_row, sizeof(**rows), (void **)rows, n);
}

int
store_user_token_list(struct db_conn *c, const char *user_id, struct store_token **rows, int *n)
{
	const char *p[1] = {user_id};

	return store_all(c, "user_tokens_list", 1, p, token_row, sizeof(**rows), (void **)rows, n);
}

int
store_user_token_revoke(struct db_conn *c, const char *user_id, const char *id)
{
	const char *p[2] = {id, user_id};
	struct user_id u;

	return store_one(c, "user_token_revoke", 2, p, id_row, &u);
}

int
store_token_revoke(struct db_conn *c, const char *id)
{
	const char *p[1] = {id};
	struct user_id u;

	return store_one(c, "token_revoke", 1, p, id_row, &u);
}

void
store_token_clear(struct store_token *t)
{
	db_row_clear(token_row, t);
}

void
store_tokens_free(struct store_token *rows, int n)
{
	db_rows_clear(token_row, sizeof(*rows), rows, n);
}

int
store_me_get(struct db_conn *c, struct store_me *out)
{
	store_me_clear(out);
	return store_one(c, "me_get", 0, NULL, me_row, out);
}

void
store_me_clear(struct store_me *m)
{
	db_row_clear(me_row, m);
}

int
store_user_create(struct db_conn *c, const char *org_id, const char *email, const char *name,
                  const char *role, const char *password_hash, struct store_user *out)
{
	const char *p[5] = {org_id, email, name, role, password_hash};
	int rc;

	store_user_clear(out);
	rc = store_one(c, "user_create", 5, p, user_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_user_get(struct db_conn *c, const char *id, struct store_user *out)
{
	const char *p[1] = {id};

	store_user_clear(out);
	return store_one(c, "user_get", 1, p, user_row, out);
}

int
store_user_list(struct db_conn *c, const char *org_id, const char *after, int limit,
                struct store_user **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[3] = {org_id, after, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "org_users_list", 3, p, user_row, sizeof(**rows), (void **)rows, n);
}

int
store_user_sessions_revoke(struct db_conn *c, const char *user_id)
{
	const char *p[1] = {user_id};

	return db_run(c, "user_sessions_revoke", 1, p);
}

void
store_user_clear(struct store_user *u)
{
	db_row_clear(user_row, u);
}

void
store_users_free(struct store_user *rows, int n)
{
	db_rows_clear(user_row, sizeof(*rows), rows, n);
}

int
store_admin_org(struct db_conn *c, char id[DB_UUID_LEN + 1])
{
	const char *p[1] = {"Coordinator"};
	struct user_id u;
	int rc;

	rc = store_one(c, "admin_coordinator_get", 0, NULL, id_row, &u);
	if (rc == STORE_NONE)
		rc = store_one(c, "admin_coordinator_create", 1, p, id_row, &u);
	if (rc == DB_OK)
		memcpy(id, u.id, sizeof(u.id));
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_admin_user_exists(struct db_conn *c, const char *org, const char *email, int *exists)
{
	const char *p[1] = {email};
	struct user_id u;
	int rc;

	(void)org; /* addresses are unique platform-wide (0006) */
	*exists = 0;
	rc = store_one(c, "admin_user_get", 1, p, id_row, &u);
	if (rc == STORE_NONE)
		return DB_OK;
	*exists = rc == DB_OK;
	return rc;
}

int
store_admin_user_create(struct db_conn *c, const char *org, const char *email,
                        const char *password_hash)
{
	const char *p[4] = {org, email, "Coordinator admin", password_hash};
	struct user_id u;
	int rc = store_one(c, "admin_user_create", 4, p, id_row, &u);

	return rc == STORE_NONE ? DB_ERROR : rc;
}

/*
 * store/account.c: the account life cycle — invitation and reset links
 * (account_links, 0006_accounts.sql), the log-in account look-up, own
 * password changes, disabling users and orgs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/locks.h"
#include "store/store.h"
#include "store/tables.h"
#include "util/util.h"

#define LINK_COLS                                                                                  \
	"id, kind, org_id, email, name, role, user_id, ls_ts(created_at) AS created_at,"           \
	" ls_ts(expires_at) AS expires_at, ls_ts(used_at) AS used_at,"                             \
	" ls_ts(revoked_at) AS revoked_at, expires_at <= now() AS expired"

static const struct db_field link_row[] = {
    DB_FIELD(DB_T_STR, struct store_link, id, "id"),
    DB_FIELD(DB_T_STR, struct store_link, kind, "kind"),
    DB_FIELD(DB_T_STR, struct store_link, org_id, "org_id"),
    DB_FIELD(DB_T_TEXT, struct store_link, email, "email"),
    DB_FIELD(DB_T_TEXT, struct store_link, name, "name"),
    DB_FIELD(DB_T_STR, struct store_link, role, "role"),
    DB_FIELD(DB_T_STR, struct store_link, user_id, "user_id"),
    DB_FIELD(DB_T_STR, struct store_link, created_at, "created_at"),
    DB_FIELD(DB_T_STR, struct store_link, expires_at, "expires_at"),
    DB_FIELD(DB_T_STR, struct store_link, used_at, "used_at"),
    DB_FIELD(DB_T_STR, struct store_link, revoked_at, "revoked_at"),
    DB_FIELD(DB_T_BOOL, struct store_link, expired, "expired"),
    DB_FIELD_END};

static const struct db_field login_row[] = {
    DB_FIELD(DB_T_STR, struct store_login, user_id, "user_id"),
    DB_FIELD(DB_T_STR, struct store_login, org_id, "org_id"),
    DB_FIELD(DB_T_STR, struct store_login, org_kind, "org_kind"),
    DB_FIELD(DB_T_STR, struct store_login, role, "role"),
    DB_FIELD(DB_T_TEXT, struct store_login, password_hash, "password_hash"),
    DB_FIELD(DB_T_BOOL, struct store_login, usable, "usable"),
    DB_FIELD_END};

static const struct db_field accept_row[] = {
    DB_FIELD(DB_T_STR, struct store_accept, outcome, "outcome"),
    DB_FIELD(DB_T_STR, struct store_accept, user_id, "user_id"),
    DB_FIELD(DB_T_STR, struct store_accept, org_id, "org_id"), DB_FIELD_END};

struct account_text {
	char *value;
};
static const struct db_field hash_row[] = {
    DB_FIELD(DB_T_TEXT, struct account_text, value, "password_hash"), DB_FIELD_END};

struct account_count {
	long long n;
};
static const struct db_field count_row[] = {DB_FIELD(DB_T_INT, struct account_count, n, "n"),
                                            DB_FIELD_END};

struct account_id {
	char id[DB_UUID_LEN + 1];
};
static const struct db_field id_row[] = {DB_FIELD(DB_T_STR, struct account_id, id, "id"),
                                         DB_FIELD_END};

struct account_user {
	char id[DB_UUID_LEN + 1];
	char org_id[DB_UUID_LEN + 1];
	int disabled;
};
static const struct db_field user_state_row[] = {
    DB_FIELD(DB_T_STR, struct account_user, id, "id"),
    DB_FIELD(DB_T_STR, struct account_user, org_id, "org_id"),
    DB_FIELD(DB_T_BOOL, struct account_user, disabled, "disabled"), DB_FIELD_END};

const struct db_statement store_account_statements[] = {
    /* log-in (SECURITY DEFINER, 0006) */
    {"auth_login_account",
     "SELECT user_id, org_id, org_kind, role, password_hash, usable FROM auth_login_account($1)",
     login_row},
    {"auth_link_accept", "SELECT outcome, user_id, org_id FROM auth_link_accept($1::bytea, $2)",
     accept_row},
    {"auth_own_password_hash", "SELECT auth_own_password_hash() AS password_hash", hash_row},

    /* links */
    {"link_create",
     "INSERT INTO account_links (kind, token_hash, org_id, email, name, role, user_id,"
     " created_by, expires_at) VALUES ($1, $2::bytea, $3::uuid, $4, $5, $6, $7::uuid, ls_uid(),"
     " now() + make_interval(secs => $8::int)) RETURNING " LINK_COLS,
     link_row},
    {"links_list",
     "SELECT " LINK_COLS " FROM account_links WHERE org_id = $1::uuid AND " STORE_AFTER(
         "account_links", "$2") " ORDER BY account_links.created_at, account_links.id"
                                " LIMIT $3::int",
     link_row},
    {"link_get", "SELECT " LINK_COLS " FROM account_links WHERE id = $1::uuid", link_row},
    {"links_lock",
     "SELECT 1 AS n FROM pg_advisory_xact_lock(" DB_LOCK_INVITES_ORG ", hashtext($1::text))",
     count_row},
    {"links_pending",
     "SELECT count(*) AS n FROM account_links WHERE org_id = $1::uuid AND kind = 'invite'"
     " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()",
     count_row},
    {"link_revoke",
     "UPDATE account_links SET revoked_at = now() WHERE id = $1::uuid AND used_at IS NULL"
     " AND revoked_at IS NULL RETURNING id",
     id_row},
    {"user_links_revoke",
     "UPDATE account_links SET revoked_at = now() WHERE user_id = $1::uuid AND used_at IS NULL"
     " AND revoked_at IS NULL",
     NULL},

    /* own password */
    {"own_password_set",
     "UPDATE users SET password_hash = $1, password_changed_at = now() WHERE id = ls_uid()"
     " RETURNING id",
     id_row},
    {"own_password_rehash", "UPDATE users SET password_hash = $1 WHERE id = ls_uid() RETURNING id",
     id_row},
    {"own_sessions_revoke_others",
     "UPDATE sessions SET revoked_at = now() WHERE user_id = ls_uid() AND revoked_at IS NULL"
     " AND id IS DISTINCT FROM $1::uuid",
     NULL},

    /* disable and enable */
    {"user_state_get", "SELECT id, org_id, disabled FROM users WHERE id = $1::uuid",
     user_state_row},
    {"user_disabled_set",
     "UPDATE users SET disabled = $2::boolean WHERE id = $1::uuid RETURNING id", id_row},
    {"org_disabled_set",
     "UPDATE orgs SET disabled = $2::boolean WHERE id = $1::uuid AND kind <> 'coordinator'"
     " RETURNING id",
     id_row},
    {"org_sessions_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE org_id = $1::uuid AND revoked_at IS NULL", NULL},
    {NULL, NULL, NULL}};

static void
account_hash_param(const unsigned char hash[CRYPTO_SHA256_LEN], char out[2 * CRYPTO_SHA256_LEN + 3])
{
	out[0] = '\\';
	out[1] = 'x';
	util_hex_encode(hash, CRYPTO_SHA256_LEN, out + 2);
}

int
store_login_account(struct db_conn *c, const char *email, struct store_login *out)
{
	const char *p[1] = {email};

	store_login_clear(out);
	return store_one(c, "auth_login_account", 1, p, login_row, out);
}

void
store_login_clear(struct store_login *l)
{
	if (l->password_hash != NULL)
		explicit_bzero(l->password_hash, strlen(l->password_hash));
	db_row_clear(login_row, l);
}

int
store_link_create(struct db_conn *c, const char *kind, const unsigned char hash[CRYPTO_SHA256_LEN],
                  const char *org_id, const char *email, const char *name, const char *role,
                  const char *user_id, const char *ttl_seconds, struct store_link *out)
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[8] = {kind, hex, org_id, email, name, role, user_id, ttl_seconds};
	int rc;

	store_link_clear(out);
	account_hash_param(hash, hex);
	rc = store_one(c, "link_create", 8, p, link_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_link_list(struct db_conn *c, const char *org_id, const char *after, int limit,
                struct store_link **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[3] = {org_id, after, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "links_list", 3, p, link_row, sizeof(**rows), (void **)rows, n);
}

int
store_link_get(struct db_conn *c, const char *id, struct store_link *out)
{
	const char *p[1] = {id};

	store_link_clear(out);
	return store_one(c, "link_get", 1, p, link_row, out);
}

int
store_link_pending(struct db_conn *c, const char *org_id, long long *n)
{
	const char *p[1] = {org_id};
	struct account_count k = {0};
	/* held until the transaction ends: invitations created at once are
	 * counted one after the other, never past the limit (READ COMMITTED:
	 * the count, a statement of its own, sees every one committed
	 * before the lock) */
	int rc = store_one(c, "links_lock", 1, p, count_row, &k);

	if (rc == DB_OK)
		rc = store_one(c, "links_pending", 1, p, count_row, &k);

	*n = k.n;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_link_revoke(struct db_conn *c, const char *id)
{
	const char *p[1] = {id};
	struct account_id u;

	return store_one(c, "link_revoke", 1, p, id_row, &u);
}

int
store_user_links_revoke(struct db_conn *c, const char *user_id)
{
	const char *p[1] = {user_id};

	return db_run(c, "user_links_revoke", 1, p);
}

void
store_link_clear(struct store_link *l)
{
	db_row_clear(link_row, l);
}

void
store_links_free(struct store_link *rows, int n)
{
	db_rows_clear(link_row, sizeof(*rows), rows, n);
}

int
store_link_accept(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                  const char *password_hash, struct store_accept *out)
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[2] = {hex, password_hash};
	int rc;

	memset(out, 0, sizeof(*out));
	account_hash_param(hash, hex);
	rc = store_one(c, "auth_link_accept", 2, p, accept_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_own_password_hash(struct db_conn *c, char **hash)
{
	struct account_text t = {0};
	int rc;

	*hash = NULL;
	rc = store_one(c, "auth_own_password_hash", 0, NULL, hash_row, &t);
	if (rc == DB_OK && t.value == NULL)
		rc = STORE_NONE;
	if (rc == DB_OK)
		*hash = t.value;
	else
		db_row_clear(hash_row, &t);
	return rc;
}

int
store_own_password_set(struct db_conn *c, const char *password_hash, const char *keep_session)
{
	const char *p[1] = {password_hash};
	const char *q[1] = {keep_session};
	struct account_id u;
	int rc;

	if ((rc = store_one(c, "own_password_set", 1, p, id_row, &u)) != DB_OK)
		return rc;
	return db_run(c, "own_sessions_revoke_others", 1, q);
}

int
store_own_password_rehash(struct db_conn *c, const char *password_hash)
{
	const char *p[1] = {password_hash};
	struct account_id u;
	int rc = store_one(c, "own_password_rehash", 1, p, id_row, &u);

	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_user_state(struct db_conn *c, const char *id, char org_id[DB_UUID_LEN + 1], int *disabled)
{
	const char *p[1] = {id};
	struct account_user u;
	int rc;

	memset(&u, 0, sizeof(u));
	rc = store_one(c, "user_state_get", 1, p, user_state_row, &u);
	if (rc == DB_OK) {
		memcpy(org_id, u.org_id, sizeof(u.org_id));
		*disabled = u.disabled;
	}
	return rc;
}

int
store_user_set_disabled(struct db_conn *c, const char *id, int disabled)
{
	const char *p[2] = {id, disabled ? "true" : "false"};
	struct account_id u;

	return store_one(c, "user_disabled_set", 2, p, id_row, &u);
}

int
store_org_set_disabled(struct db_conn *c, const char *id, int disabled)
{
	const char *p[2] = {id, disabled ? "true" : "false"};
	struct account_id u;
	int rc;

	if ((rc = store_one(c, "org_disabled_set", 2, p, id_row, &u)) != DB_OK || !disabled)
		return rc;
	return db_run(c, "org_sessions_revoke", 1, p);
}

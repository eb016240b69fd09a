/*
 * store/factor.c: second factors (0007). TOTP secrets, sealed under the
 * master key (kind "totp", the user's id, column "secret"); single-use
 * recovery codes, hashed; and the challenges of two-step log-ins, kept
 * behind the auth_challenge_* SECURITY DEFINER functions.
 *
 * The TOTP and recovery-code functions run under the user's own identity
 * (row-level security shows a user only their own rows).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/util.h"

struct factor_totp_row {
	struct db_bytes secret;
	int confirmed;
	long long last_step;
	char confirmed_at[STORE_TS_LEN];
	long long recovery_left;
};
static const struct db_field totp_row[] = {
    DB_FIELD(DB_T_BYTEA, struct factor_totp_row, secret, "secret"),
    DB_FIELD(DB_T_BOOL, struct factor_totp_row, confirmed, "confirmed"),
    DB_FIELD(DB_T_INT, struct factor_totp_row, last_step, "last_step"),
    DB_FIELD(DB_T_STR, struct factor_totp_row, confirmed_at, "confirmed_at"),
    DB_FIELD(DB_T_INT, struct factor_totp_row, recovery_left, "recovery_left"),
    DB_FIELD_END};

struct factor_id {
	char id[DB_UUID_LEN + 1];
};
static const struct db_field factor_id_row[] = {DB_FIELD(DB_T_STR, struct factor_id, id, "id"),
                                                DB_FIELD_END};

struct factor_flag {
	int value;
};
static const struct db_field factor_flag_row[] = {
    DB_FIELD(DB_T_BOOL, struct factor_flag, value, "ok"), DB_FIELD_END};

static const struct db_field org_factor_row[] = {
    DB_FIELD(DB_T_STR, struct store_org_factor, user_id, "user_id"),
    DB_FIELD(DB_T_BOOL, struct store_org_factor, enabled, "enabled"), DB_FIELD_END};

struct factor_hash {
	char *hash;
};
static const struct db_field factor_hash_row[] = {
    DB_FIELD(DB_T_TEXT, struct factor_hash, hash, "hash"), DB_FIELD_END};

struct factor_expiry {
	char expires_at[STORE_TS_LEN];
};
static const struct db_field factor_expiry_row[] = {
    DB_FIELD(DB_T_STR, struct factor_expiry, expires_at, "expires_at"), DB_FIELD_END};

static const struct db_field challenge_row[] = {
    DB_FIELD(DB_T_STR, struct store_challenge, user_id, "user_id"),
    DB_FIELD(DB_T_STR, struct store_challenge, org_id, "org_id"),
    DB_FIELD(DB_T_STR, struct store_challenge, org_kind, "org_kind"),
    DB_FIELD(DB_T_STR, struct store_challenge, role, "role"),
    DB_FIELD(DB_T_STR, struct store_challenge, acct_key, "acct_key"),
    DB_FIELD_END};

#define TOTP_COLS                                                                                  \
	"secret, confirmed_at IS NOT NULL AS confirmed, last_step,"                                \
	" coalesce(ls_ts(confirmed_at), '') AS confirmed_at,"                                      \
	" (SELECT count(*) FROM recovery_codes r WHERE r.user_id = ls_uid()"                       \
	" AND r.used_at IS NULL) AS recovery_left"

const struct db_statement store_factor_statements[] = {
    {"totp_get", "SELECT " TOTP_COLS " FROM user_totp WHERE user_id = ls_uid()", totp_row},
    {"totp_lock", "SELECT " TOTP_COLS " FROM user_totp WHERE user_id = ls_uid() FOR UPDATE",
     totp_row},
    {"totp_begin",
     "INSERT INTO user_totp AS t (user_id, org_id, secret) VALUES (ls_uid(), ls_org(), $1::bytea)"
     " ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now(),"
     " last_step = -1 WHERE t.confirmed_at IS NULL RETURNING t.user_id AS id",
     factor_id_row},
    {"totp_step",
     "UPDATE user_totp SET last_step = $1::bigint,"
     " confirmed_at = CASE WHEN $2::boolean THEN now() ELSE confirmed_at END"
     " WHERE user_id = ls_uid() AND last_step < $1::bigint RETURNING user_id AS id",
     factor_id_row},
    {"totp_remove", "DELETE FROM user_totp WHERE user_id = ls_uid() RETURNING user_id AS id",
     factor_id_row},
    {"recovery_clear", "DELETE FROM recovery_codes WHERE user_id = ls_uid()", NULL},
    {"recovery_add",
     "INSERT INTO recovery_codes (user_id, org_id, code_hash) VALUES (ls_uid(), ls_org(), "
     "$1::bytea)",
     NULL},
    {"recovery_use",
     "UPDATE recovery_codes SET used_at = now() WHERE user_id = ls_uid()"
     " AND code_hash = $1::bytea AND used_at IS NULL RETURNING user_id AS id",
     factor_id_row},
    /* the campaign requirement: does a campaign of the caller's org require a second factor? */
    {"factor_required",
     "SELECT EXISTS (SELECT 1 FROM campaigns c JOIN engagements e ON e.campaign_id = c.id"
     " WHERE c.require_second_factor AND (e.company_org_id = ls_org()"
     " OR e.assessor_org_id = ls_org())) AS ok",
     factor_flag_row},
    {"session_create_enrol",
     "INSERT INTO sessions (token_hash, user_id, org_id, expires_at, addr, scopes)"
     " VALUES ($1::bytea, ls_uid(), ls_org(), now() + make_interval(secs => $2::int), $3,"
     " ARRAY['account:write']) RETURNING ls_ts(expires_at) AS expires_at",
     factor_expiry_row},
    {"org_second_factors", "SELECT user_id, enabled FROM org_second_factors($1::uuid) LIMIT 10000",
     org_factor_row},
    {"password_hash_self", "SELECT auth_password_hash_self() AS hash", factor_hash_row},
    {"challenge_create", "SELECT auth_challenge_create($1::bytea, $2, $3, $4::int) AS expires_at",
     factor_expiry_row},
    {"challenge_resolve",
     "SELECT user_id, org_id, org_kind, role, acct_key FROM auth_challenge_resolve($1::bytea)",
     challenge_row},
    {"challenge_fail", "SELECT auth_challenge_fail($1::bytea)", NULL},
    {"challenge_consume", "SELECT auth_challenge_consume($1::bytea) AS ok", factor_flag_row},
    {NULL, NULL, NULL}};

/* "\x<hex>" of a 32-byte hash into out. */
static void
factor_hash_param(const unsigned char hash[CRYPTO_SHA256_LEN], char out[2 * CRYPTO_SHA256_LEN + 3])
{
	out[0] = '\\';
	out[1] = 'x';
	util_hex_encode(hash, CRYPTO_SHA256_LEN, out + 2);
}

static void
factor_row_clear(struct factor_totp_row *t)
{
	if (t->secret.p != NULL)
		explicit_bzero(t->secret.p, t->secret.len);
	db_row_clear(totp_row, t);
}

int
store_totp_begin(struct db_conn *c, const char *user_id,
                 const unsigned char secret[CRYPTO_TOTP_SECRET_LEN])
{
	char *sealed = store_master_seal("totp", user_id, "secret", secret, CRYPTO_TOTP_SECRET_LEN);
	const char *p[1] = {sealed};
	struct factor_id id;
	int rc;

	if (sealed == NULL)
		return DB_ERROR;
	rc = store_one(c, "totp_begin", 1, p, factor_id_row, &id);
	free(sealed);
	return rc;
}

int
store_totp_state(struct db_conn *c, struct store_totp *out)
{
	struct factor_totp_row t = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_one(c, "totp_get", 0, NULL, totp_row, &t);
	if (rc == DB_OK) {
		out->confirmed = t.confirmed;
		memcpy(out->confirmed_at, t.confirmed_at, sizeof(out->confirmed_at));
		out->recovery_left = t.recovery_left;
	}
	factor_row_clear(&t);
	return rc;
}

int
store_totp_verify(struct db_conn *c, const char *user_id, const char *code, long long now,
                  int confirm, int *ok)
{
	struct factor_totp_row t = {0};
	unsigned char *secret = NULL;
	size_t slen = 0;
	long long step = -1;
	char step_s[STORE_INT_LEN];
	const char *p[2] = {step_s, confirm ? "true" : "false"};
	struct factor_id id;
	int rc, m;

	*ok = 0;
	rc = store_one(c, "totp_lock", 0, NULL, totp_row, &t);
	if (rc != DB_OK)
		goto done;
	/* confirming needs an enrolment in progress; everything else a confirmed one */
	if (t.confirmed == confirm) {
		rc = STORE_NONE;
		goto done;
	}
	if (store_master_open("totp", user_id, "secret", &t.secret, &secret, &slen) != 0) {
		rc = DB_ERROR;
		goto done;
	}
	m = crypto_totp_check(secret, slen, code, now, t.last_step, &step);
	if (m < 0) {
		rc = DB_ERROR;
		goto done;
	}
	if (m == 1) {
		snprintf(step_s, sizeof(step_s), "%lld", step);
		rc = store_one(c, "totp_step", 2, p, factor_id_row, &id);
		if (rc == STORE_NONE) /* a later step was accepted meanwhile */
			rc = DB_OK;
		else if (rc == DB_OK)
			*ok = 1;
	}
done:
	store_secret_free(secret, slen);
	factor_row_clear(&t);
	return rc;
}

int
store_totp_remove(struct db_conn *c)
{
	struct factor_id id;
	int rc = store_one(c, "totp_remove", 0, NULL, factor_id_row, &id);

	if (rc != DB_OK)
		return rc;
	return db_run(c, "recovery_clear", 0, NULL);
}

/*
 * SHA-256 of "<user id>:<code>" with the code in its canonical form (upper
 * case, no '-' or spaces, exactly STORE_RECOVERY_CHARS base32 characters).
 * Returns 0, or -1 when code cannot be a recovery code.
 */
static int
factor_recovery_hash(const char *user_id, const char *code, unsigned char out[CRYPTO_SHA256_LEN])
{
	char buf[DB_UUID_LEN + 2 + STORE_RECOVERY_CHARS + 1];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s:", user_id), k = 0;
	int rc;

	for (const char *s = code; *s != '\0'; s++) {
		char ch = (char)toupper((unsigned char)*s);

		if (ch == '-' || ch == ' ')
			continue;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')) ||
		    k >= STORE_RECOVERY_CHARS) {
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
		buf[n + k++] = ch;
	}
	if (k != STORE_RECOVERY_CHARS) {
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	rc = crypto_sha256(buf, n + k, out);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int
store_recovery_replace(struct db_conn *c, const char *user_id, char *const *codes, int n)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[1] = {hex};
	int rc;

	if ((rc = db_run(c, "recovery_clear", 0, NULL)) != DB_OK)
		return rc;
	for (int i = 0; i < n; i++) {
		if (factor_recovery_hash(user_id, codes[i], h) != 0)
			return DB_ERROR;
		factor_hash_param(h, hex);
		if ((rc = db_run(c, "recovery_add", 1, p)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

int
store_recovery_use(struct db_conn *c, const char *user_id, const char *code, int *ok)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[1] = {hex};
	struct factor_id id;
	int rc;

	*ok = 0;
	if (factor_recovery_hash(user_id, code, h) != 0)
		return DB_OK;
	factor_hash_param(h, hex);
	rc = store_one(c, "recovery_use", 1, p, factor_id_row, &id);
	if (rc == STORE_NONE)
		return DB_OK;
	*ok = rc == DB_OK;
	return rc;
}

int
store_challenge_create(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                       const char *acct_key, const char *addr, const char *ttl,
                       char expires_at[STORE_TS_LEN])
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[4] = {hex, acct_key, addr, ttl};
	struct factor_expiry e;
	int rc;

	factor_hash_param(hash, hex);
	rc = store_one(c, "challenge_create", 4, p, factor_expiry_row, &e);
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	if (rc == DB_OK)
		memcpy(expires_at, e.expires_at, STORE_TS_LEN);
	return rc;
}

int
store_challenge_resolve(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                        struct store_challenge *out)
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[1] = {hex};

	memset(out, 0, sizeof(*out));
	factor_hash_param(hash, hex);
	return store_one(c, "challenge_resolve", 1, p, challenge_row, out);
}

int
store_challenge_fail(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN])
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[1] = {hex};

	factor_hash_param(hash, hex);
	return db_run(c, "challenge_fail", 1, p);
}

int
store_challenge_consume(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN], int *ok)
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[1] = {hex};
	struct factor_flag f = {0};
	int rc;

	*ok = 0;
	factor_hash_param(hash, hex);
	rc = store_one(c, "challenge_consume", 1, p, factor_flag_row, &f);
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	*ok = rc == DB_OK && f.value;
	return rc;
}

int
store_factor_required(struct db_conn *c, int *required)
{
	struct factor_flag f = {0};
	int rc = store_one(c, "factor_required", 0, NULL, factor_flag_row, &f);

	if (rc == STORE_NONE)
		rc = DB_ERROR;
	*required = rc == DB_OK && f.value;
	return rc;
}

int
store_session_create_enrol(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                           const char *ttl_seconds, const char *addr, char expires_at[STORE_TS_LEN])
{
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *p[3] = {hex, ttl_seconds, addr};
	struct factor_expiry e;
	int rc;

	factor_hash_param(hash, hex);
	rc = store_one(c, "session_create_enrol", 3, p, factor_expiry_row, &e);
	if (rc == STORE_NONE)
		rc = DB_ERROR;
	if (rc == DB_OK)
		memcpy(expires_at, e.expires_at, STORE_TS_LEN);
	return rc;
}

int
store_password_hash_self(struct db_conn *c, char **hash)
{
	struct factor_hash h = {0};
	int rc = store_one(c, "password_hash_self", 0, NULL, factor_hash_row, &h);

	*hash = NULL;
	if (rc == DB_OK && h.hash == NULL)
		rc = STORE_NONE;
	if (rc == DB_OK)
		*hash = h.hash;
	else if (h.hash != NULL)
		store_secret_free(h.hash, strlen(h.hash));
	return rc;
}

int
store_org_second_factors(struct db_conn *c, const char *org_id, struct store_org_factor **rows,
                         int *n)
{
	const char *p[1] = {org_id};

	return store_all(c, "org_second_factors", 1, p, org_factor_row, sizeof(**rows),
	                 (void **)rows, n);
}

void
store_org_factors_free(struct store_org_factor *rows, int n)
{
	db_rows_clear(org_factor_row, sizeof(*rows), rows, n);
}

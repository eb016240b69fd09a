/*
 * check_factors: second factors, two-step log-in, scoped API tokens and
 * the sessions list (issue 9, part B), against the real daemon.
 *
 * Codes are computed here from the secret the enrolment shows (RFC 6238
 * through the server's own crypto_totp_code, whose known answers
 * tests/unit/check_totp checks), at the wall clock the server shares.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "harness.h"

static struct ht_world W;

/* ---------------------------------------------------------------- helpers */

/* RFC 4648 base32 (upper case, no padding) into out; returns the byte count or -1. */
static int
b32_decode(const char *in, unsigned char *out, size_t cap)
{
	unsigned buf = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in != '\0'; in++) {
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
		const char *p = strchr(alpha, *in);

		if (p == NULL)
			return -1;
		buf = (buf << 5) | (unsigned)(p - alpha);
		bits += 5;
		if (bits >= 8) {
			if (n >= cap)
				return -1;
			out[n++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)n;
}

/* The 6-digit code of a base32 secret at now + offset seconds. */
static void
code_at(const char *secret, long long offset, char out[9])
{
	unsigned char key[64];
	int n = b32_decode(secret, key, sizeof(key));

	ck_assert_int_eq(n, CRYPTO_TOTP_SECRET_LEN);
	ck_assert_int_eq(crypto_totp_code(key, (size_t)n, (long long)time(NULL) + offset, 30, 6,
	                                  CRYPTO_TOTP_SHA1, out),
	                 0);
}

/* A new member of company A, logged in. */
static void
new_user(struct ht_actor *u, const char *role)
{
	char err[512];

	ck_assert_msg(ht_make_user(W.a.admin.token, W.a.org_id, role, u, err, sizeof(err)) == 0,
	              "%s", err);
}

/* POST {"code": code} to path as token; the answer (free it). */
static struct ht_resp *
post_code(const char *path, const char *token, const char *code)
{
	char *body = ht_jdump(json_pack("{s:s}", "code", code));
	struct ht_resp *r = ht_request("POST", path, token, body);

	free(body);
	return r;
}

/* The code the last enrol() confirmed with (its step is used up). */
static char enrol_code[9];

/* Enrol u in TOTP and confirm it with the code of the current step; returns the secret. */
static char *
enrol(const struct ht_actor *u, json_t **recovery)
{
	struct ht_resp *r = ht_request("POST", "/api/v1/me/totp", u->token, NULL);
	char *code = enrol_code, *secret;

	HT_ASSERT_STATUS(r, 201);
	secret = strdup(ht_jstr(r, "secret"));
	ht_resp_free(r);
	code_at(secret, 0, code);
	r = post_code("/api/v1/me/totp/confirm", u->token, code);
	HT_ASSERT_STATUS(r, 200);
	*recovery = json_incref(json_object_get(r->json, "recovery_codes"));
	ht_resp_free(r);
	return secret;
}

/* POST the second step; the answer (free it). */
static struct ht_resp *
second_step(const char *challenge, const char *code)
{
	char *body = ht_jdump(json_pack("{s:s, s:s}", "challenge", challenge, "code", code));
	struct ht_resp *r = ht_request("POST", "/api/v1/session/second-factor", NULL, body);

	free(body);
	return r;
}

/* First step with the right password: the challenge (malloc'd). */
static char *
first_step(const struct ht_actor *u)
{
	struct ht_resp *r = ht_login_resp(u->email, u->password);
	char *ch;

	HT_ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(ht_jstr(r, "challenge"));
	ch = strdup(ht_jstr(r, "challenge"));
	ht_resp_free(r);
	return ch;
}

static long
me_status(const char *token)
{
	struct ht_resp *r = ht_request("GET", "/api/v1/me", token, NULL);
	long st = r->status;

	ht_resp_free(r);
	return st;
}

/* ------------------------------------------------------------------ TOTP */

START_TEST(test_enrolment)
{
	struct ht_actor u;
	struct ht_resp *r;
	const char *uri, *svg;
	char *secret, code[9], *sql, *old_rc = NULL;
	json_t *rc = NULL, *v;
	size_t i;
	PGconn *db;

	new_user(&u, "member");
	r = ht_request("GET", "/api/v1/me/totp", u.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_false(json_object_get(r->json, "enabled")));
	ht_resp_free(r);

	/* confirming before enrolling: nothing to confirm */
	r = ht_request("POST", "/api/v1/me/totp/confirm", u.token, "{\"code\":\"123456\"}");
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);

	r = ht_request("POST", "/api/v1/me/totp", u.token, NULL);
	HT_ASSERT_STATUS(r, 201);
	secret = strdup(ht_jstr(r, "secret"));
	uri = ht_jstr(r, "uri");
	svg = ht_jstr(r, "qr_svg");
	ck_assert_uint_eq(strlen(secret), 32);
	ck_assert_msg(strncmp(uri, "otpauth://totp/lockstep:", 24) == 0, "%s", uri);
	ck_assert_ptr_nonnull(strstr(uri, secret));
	ck_assert_ptr_nonnull(strstr(uri, "issuer=lockstep"));
	ck_assert_msg(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "%s",
	              svg);
	ck_assert_ptr_null(strstr(svg, "script"));
	ck_assert_ptr_null(strstr(svg, secret));
	ht_resp_free(r);

	/* until confirmed, log-in stays one step */
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);

	/* the secret is sealed at rest: neither the base32 nor the raw bytes are in the row */
	db = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	ck_assert_ptr_nonnull(db);
	sql = ht_fmt("SELECT count(*) FROM user_totp WHERE user_id = '%s' AND length(secret) = %d"
	             " AND confirmed_at IS NULL",
	             u.user_id, CRYPTO_TOTP_SECRET_LEN + CRYPTO_AEAD_OVERHEAD);
	ck_assert_int_eq(ht_db_count_conn(db, sql), 1);
	free(sql);
	{
		unsigned char raw[32];
		char hex[65], *q;

		ck_assert_int_eq(b32_decode(secret, raw, sizeof(raw)), CRYPTO_TOTP_SECRET_LEN);
		for (i = 0; i < CRYPTO_TOTP_SECRET_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", raw[i]);
		q = ht_fmt(
		    "SELECT count(*) FROM user_totp WHERE position('\\x%s'::bytea IN secret) > 0"
		    " OR position(convert_to('%s', 'UTF8') IN secret) > 0",
		    hex, secret);
		ck_assert_int_eq(ht_db_count_conn(db, q), 0);
		free(q);
	}

	/* a wrong code does not confirm */
	r = ht_request("POST", "/api/v1/me/totp/confirm", u.token, "{\"code\":\"000000\"}");
	if (r->status == 200) /* one chance in a million */
		ck_abort_msg("000000 happened to be the code");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ck_assert_str_eq(ht_jstr(r, "field"), "code");
	ht_resp_free(r);

	code_at(secret, 0, code);
	r = post_code("/api/v1/me/totp/confirm", u.token, code);
	HT_ASSERT_STATUS(r, 200);
	rc = json_object_get(r->json, "recovery_codes");
	ck_assert_uint_eq(json_array_size(rc), 10);
	old_rc = strdup(json_string_value(json_array_get(rc, 0)));
	json_array_foreach(rc, i, v)
	{
		const char *s = json_string_value(v);

		ck_assert_msg(s != NULL && strlen(s) == 19 && s[4] == '-' && s[9] == '-' &&
		                  s[14] == '-',
		              "recovery code %zu: %s", i, s ? s : "(null)");
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(s, json_string_value(json_array_get(rc, j)));
		/* only hashes are stored */
		sql = ht_fmt("SELECT count(*) FROM recovery_codes WHERE position(convert_to('%s',"
		             " 'UTF8') IN code_hash) > 0",
		             s);
		ck_assert_int_eq(ht_db_count_conn(db, sql), 0);
		free(sql);
	}
	ht_resp_free(r);
	sql = ht_fmt("SELECT count(*) FROM recovery_codes WHERE user_id = '%s' AND used_at IS NULL",
	             u.user_id);
	ck_assert_int_eq(ht_db_count_conn(db, sql), 10);
	free(sql);

	r = ht_request("GET", "/api/v1/me/totp", u.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_true(json_object_get(r->json, "enabled")));
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "recovery_codes_left")), 10);

	/* new recovery codes: need a current code (not a used one), replace the old ones */
	{
		char *old = old_rc;
		char next[9], *body;
		json_t *fresh;

		ht_resp_free(r);
		r = post_code("/api/v1/me/totp/recovery-codes", u.token, code);
		HT_ASSERT_PROBLEM(r, 422, "invalid-field"); /* code was used to confirm */
		ht_resp_free(r);
		r = ht_request("POST", "/api/v1/me/totp/recovery-codes", u.token,
		               "{\"code\":\"ZZZZ-ZZZZ-ZZZZ-ZZZZ\"}");
		HT_ASSERT_PROBLEM(r, 422, "invalid-field");
		ht_resp_free(r);
		code_at(secret, 30, next);
		body = ht_jdump(json_pack("{s:s}", "code", next));
		r = ht_request("POST", "/api/v1/me/totp/recovery-codes", u.token, body);
		free(body);
		HT_ASSERT_STATUS(r, 200);
		fresh = json_object_get(r->json, "recovery_codes");
		ck_assert_uint_eq(json_array_size(fresh), 10);
		for (i = 0; i < 10; i++)
			ck_assert_str_ne(json_string_value(json_array_get(fresh, i)), old);
		/* the old code no longer logs in, a new one does */
		{
			char *ch = first_step(&u);
			struct ht_resp *s2 = second_step(ch, old);

			HT_ASSERT_PROBLEM(s2, 401, "bad-code");
			ht_resp_free(s2);
			s2 = second_step(ch, json_string_value(json_array_get(fresh, 0)));
			HT_ASSERT_STATUS(s2, 201);
			ht_resp_free(s2);
			free(ch);
		}
		free(old);
		ht_resp_free(r);
	}
	ht_clear_login_failures();
	/* the org's admin and the coordinator see who has a second factor; nobody else */
	{
		char *fp = ht_fmt("/api/v1/orgs/%s/second-factors", W.a.org_id), uuid[37], *fake;
		const char *who[] = {W.a.admin.token, W.coord.token};
		json_t *v2;
		size_t j;

		for (size_t k = 0; k < 2; k++) {
			int mine = 0, admin = 0;

			r = ht_request("GET", fp, who[k], NULL);
			HT_ASSERT_STATUS(r, 200);
			json_array_foreach(json_object_get(r->json, "items"), j, v2)
			{
				if (strcmp(ht_ostr(v2, "user_id"), u.user_id) == 0)
					mine =
					    json_is_true(json_object_get(v2, "enabled")) ? 1 : -1;
				if (strcmp(ht_ostr(v2, "user_id"), W.a.admin.user_id) == 0)
					admin =
					    json_is_false(json_object_get(v2, "enabled")) ? 1 : -1;
			}
			ck_assert_msg(mine == 1 && admin == 1, "%s", HT_BODY(r));
			ck_assert_ptr_null(strstr(r->body, "secret"));
			ht_resp_free(r);
		}
		ht_random_uuid(uuid);
		fake = ht_fmt("/api/v1/orgs/%s/second-factors", uuid);
		{
			const char * not [] = {W.b.admin.token, W.x.admin.token, u.token};

			for (size_t k = 0; k < 3; k++) {
				struct ht_resp *ref = ht_request("GET", fake, not [k], NULL);

				r = ht_request("GET", fp, not [k], NULL);
				HT_ASSERT_PROBLEM(r, 404, "not-found");
				ck_assert_str_eq(r->body, ref->body);
				ht_resp_free(r);
				ht_resp_free(ref);
			}
		}
		free(fake);
		free(fp);
	}
	/* enrolling again while enabled is refused and changes nothing */
	r = ht_request("POST", "/api/v1/me/totp", u.token, NULL);
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	sql = ht_fmt("SELECT count(*) FROM user_totp WHERE user_id = '%s' AND confirmed_at IS NOT "
	             "NULL",
	             u.user_id);
	ck_assert_int_eq(ht_db_count_conn(db, sql), 1);
	free(sql);
	PQfinish(db);
	free(secret);
	ht_actor_free(&u);
}
END_TEST

/* The whole two-step log-in, with every refusal it must make. */
START_TEST(test_two_step_login)
{
	struct ht_actor u;
	struct ht_resp *r, *wrong;
	json_t *rc;
	char *secret, *ch, code[9], next[9], *tok, *sql;
	const char *key;
	json_t *val;
	PGconn *db;

	new_user(&u, "member");
	secret = enrol(&u, &rc);

	/* the first step: a challenge, nothing about the account, no cookie */
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "second_factor"), "totp");
	json_object_foreach(r->json, key, val)
	    ck_assert_msg(strcmp(key, "second_factor") == 0 || strcmp(key, "challenge") == 0 ||
	                      strcmp(key, "expires_at") == 0,
	                  "first step answers %s", key);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, u.user_id), "%s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.a.org_id), "%s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, u.email), "%s", r->body);
	ck_assert_msg(strcasestr(r->headers, "set-cookie") == NULL, "%s", r->headers);
	ch = strdup(ht_jstr(r, "challenge"));
	ht_resp_free(r);
	/* the challenge is not a session */
	ck_assert_int_eq(me_status(ch), 401);

	/* replay: the code that confirmed the enrolment was used already (the very same
	 * string: recomputing it might give the next step's) */
	memcpy(code, enrol_code, sizeof(code));
	wrong = second_step(ch, code);
	HT_ASSERT_PROBLEM(wrong, 401, "bad-code");
	/* a made-up challenge answers exactly the same */
	r = second_step("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", code);
	ck_assert_int_eq(r->status, wrong->status);
	ck_assert_str_eq(r->body, wrong->body);
	ht_resp_free(r);
	ht_resp_free(wrong);

	/* the next step's code (inside the window) logs in, once */
	code_at(secret, 30, next);
	r = second_step(ch, next);
	HT_ASSERT_STATUS(r, 201);
	tok = strdup(ht_jstr(r, "token"));
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "user"), "id"), u.user_id);
	ck_assert_msg(strcasestr(r->headers, "set-cookie: lockstep_session=") != NULL, "%s",
	              r->headers);
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 200);
	free(tok);
	/* the challenge is used up, and the code too */
	r = second_step(ch, next);
	HT_ASSERT_PROBLEM(r, 401, "bad-code");
	ht_resp_free(r);
	free(ch);
	ch = first_step(&u);
	r = second_step(ch, next);
	HT_ASSERT_PROBLEM(r, 401, "bad-code");
	ht_resp_free(r);

	/* a recovery code logs in once (case and dashes do not matter) */
	{
		char lower[32];
		const char *c0 = json_string_value(json_array_get(rc, 0));
		size_t k = 0;

		for (size_t j = 0; c0[j] != '\0'; j++)
			if (c0[j] != '-')
				lower[k++] =
				    (char)(c0[j] >= 'A' && c0[j] <= 'Z' ? c0[j] + 32 : c0[j]);
		lower[k] = '\0';
		r = second_step(ch, lower);
		HT_ASSERT_STATUS(r, 201);
		ht_resp_free(r);
		free(ch);
		ch = first_step(&u);
		r = second_step(ch, c0);
		HT_ASSERT_PROBLEM(r, 401, "bad-code");
		ht_resp_free(r);
	}

	/* an expired challenge is refused even with a good recovery code */
	db = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	ck_assert_ptr_nonnull(db);
	{
		char st[6];

		sql = ht_fmt("UPDATE login_challenges SET expires_at = now() - interval '1 second'"
		             " WHERE user_id = '%s'",
		             u.user_id);
		ck_assert_int_eq(ht_db_exec(db, sql, st), 0);
		free(sql);
	}
	r = second_step(ch, json_string_value(json_array_get(rc, 1)));
	HT_ASSERT_PROBLEM(r, 401, "bad-code");
	ht_resp_free(r);
	sql = ht_fmt("SELECT count(*) FROM recovery_codes WHERE user_id = '%s' AND used_at IS NULL",
	             u.user_id);
	ck_assert_int_eq(ht_db_count_conn(db, sql), 9);
	free(sql);
	free(ch);

	/* five wrong codes burn a challenge: then even a good code fails */
	ch = first_step(&u);
	for (int i = 0; i < 4; i++) {
		r = second_step(ch, "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
		HT_ASSERT_PROBLEM(r, 401, "bad-code");
		ht_resp_free(r);
	}
	ht_clear_login_failures(); /* this case is about the challenge, not the account */
	r = second_step(ch, "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
	HT_ASSERT_PROBLEM(r, 401, "bad-code");
	ht_resp_free(r);
	r = second_step(ch, json_string_value(json_array_get(rc, 2)));
	HT_ASSERT_PROBLEM(r, 401, "bad-code");
	ht_resp_free(r);
	free(ch);
	ht_clear_login_failures();
	PQfinish(db);
	json_decref(rc);
	free(secret);
	ht_actor_free(&u);
}
END_TEST

/* Wrong codes count in the same throttle as wrong passwords. */
START_TEST(test_codes_throttled)
{
	struct ht_actor u;
	struct ht_resp *r;
	json_t *rc;
	char *secret, *ch = NULL;
	const char *max = getenv("LOCKSTEP_LOGIN_MAX_FAILURES");
	int limit = max ? atoi(max) : 5;

	if (limit < 1 || limit > 20)
		ht_skip("LOCKSTEP_LOGIN_MAX_FAILURES=%s is not the small limit this test needs",
		        max);
	ht_clear_login_failures();
	new_user(&u, "member");
	secret = enrol(&u, &rc);
	for (int i = 0; i < limit; i++) {
		if (i % 4 == 0) { /* a fresh challenge before five burn one */
			if (i > 0)
				free(ch);
			ch = first_step(&u);
		}
		r = second_step(ch, "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
		HT_ASSERT_PROBLEM(r, 401, "bad-code");
		ht_resp_free(r);
	}
	/* now the account is throttled: even the right password and a good code */
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_PROBLEM(r, 429, "too-many-requests");
	ht_resp_free(r);
	r = second_step(ch, json_string_value(json_array_get(rc, 0)));
	HT_ASSERT_PROBLEM(r, 429, "too-many-requests");
	ht_resp_free(r);
	free(ch);
	ht_clear_login_failures();
	/* and the recovery code it did not use is still good */
	ch = first_step(&u);
	r = second_step(ch, json_string_value(json_array_get(rc, 0)));
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	free(ch);
	json_decref(rc);
	free(secret);
	ht_actor_free(&u);
}
END_TEST

START_TEST(test_disable)
{
	struct ht_actor u;
	struct ht_resp *r;
	json_t *rc;
	char *secret;
	static const char *const bad[] = {"{}",
	                                  "{\"code\":12}",
	                                  "{\"code\":\"12345\"}",
	                                  "{\"code\":\"a\\u0000bcdefg\"}",
	                                  "{\"code\":\"123456\",\"extra\":1}",
	                                  "[\"123456\"]",
	                                  "{\"code\":\"123456\""};

	new_user(&u, "member");
	/* nothing to disable */
	r = ht_request("POST", "/api/v1/me/totp/disable", u.token, "{\"code\":\"123456\"}");
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	secret = enrol(&u, &rc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = ht_request("POST", "/api/v1/me/totp/disable", u.token, bad[i]);
		ck_assert_msg(ht_is_problem(r, 422, "invalid-field") ||
		                  ht_is_problem(r, 400, "malformed-json"),
		              "%s: %ld %s", bad[i], r->status, HT_BODY(r));
		ht_resp_free(r);
	}
	/* a wrong code is refused (not a 401: the session is fine) and changes nothing */
	r = ht_request("POST", "/api/v1/me/totp/disable", u.token,
	               "{\"code\":\"ZZZZ-ZZZZ-ZZZZ-ZZZZ\"}");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	/* a recovery code turns it off: log-in is one step again */
	r = post_code("/api/v1/me/totp/disable", u.token, json_string_value(json_array_get(rc, 3)));
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	r = ht_request("GET", "/api/v1/me/totp", u.token, NULL);
	ck_assert(json_is_false(json_object_get(r->json, "enabled")));
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "recovery_codes_left")), 0);
	ht_resp_free(r);

	/* each step left its audit event, under the user's own identity */
	{
		PGconn *db = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
		static const char *const actions[] = {"totp.enrol_start", "totp.enable",
		                                      "totp.disable_failed", "totp.disable"};

		ck_assert_ptr_nonnull(db);
		for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++) {
			char *q = ht_fmt("SELECT count(*) FROM audit_events WHERE action = '%s'"
			                 " AND actor_user = '%s'",
			                 actions[k], u.user_id);

			ck_assert_msg(ht_db_count_conn(db, q) >= 1, "no %s event", actions[k]);
			free(q);
		}
		PQfinish(db);
	}
	/* with the password instead: a wrong one is refused and counted, the right one works */
	json_decref(rc);
	free(secret);
	secret = enrol(&u, &rc);
	r = ht_request("POST", "/api/v1/me/totp/disable", u.token,
	               "{\"code\":\"123456\",\"password\":\"x\"}");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	r = ht_request("POST", "/api/v1/me/totp/disable", u.token,
	               "{\"password\":\"not the password\"}");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ck_assert_str_eq(ht_jstr(r, "field"), "password");
	ht_resp_free(r);
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 200); /* still on */
	ht_resp_free(r);
	{
		char *b = ht_jdump(json_pack("{s:s}", "password", u.password));

		r = ht_request("POST", "/api/v1/me/totp/disable", u.token, b);
		free(b);
	}
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	ht_clear_login_failures();
	json_decref(rc);
	free(secret);
	ht_actor_free(&u);
}
END_TEST

/* Another user's TOTP is out of reach: the routes act on the caller only, and RLS agrees. */
START_TEST(test_totp_rls)
{
	PGconn *db = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
	char st[6];

	ck_assert_ptr_nonnull(db);
	/* no identity: nothing visible, nothing insertable */
	ck_assert_int_eq(ht_db_count_conn(db, "SELECT count(*) FROM user_totp"), 0);
	ck_assert_int_eq(ht_db_count_conn(db, "SELECT count(*) FROM recovery_codes"), 0);
	ck_assert_int_ne(ht_db_exec(db, "SELECT * FROM login_challenges", st), 0);
	ck_assert_str_eq(st, "42501");
	PQfinish(db);
}
END_TEST

/* ---------------------------------------------------------------- scopes */

static char *
make_token(const char *as, const char *body, long want)
{
	struct ht_resp *r = ht_request("POST", "/api/v1/tokens", as, body);
	char *tok = NULL;

	ck_assert_msg(r->status == want, "%s: %ld %s", body, r->status, HT_BODY(r));
	if (want == 201)
		tok = strdup(ht_jstr(r, "token"));
	ht_resp_free(r);
	return tok;
}

START_TEST(test_scopes)
{
	char *ro, *fw, *path, *body, *child;
	struct ht_resp *r;
	long long before;
	PGconn *db = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));

	ck_assert_ptr_nonnull(db);
	/* default: read only */
	ro = make_token(W.x.admin.token, "{\"name\":\"ro\",\"ttl_days\":2}", 201);
	path = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	r = ht_request("GET", path, ro, NULL);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL", "title",
	                          "scoped", "detail", "d", "severity", "low"));
	before = ht_db_count_conn(db, "SELECT count(*) FROM findings");
	r = ht_request("POST", path, ro, body);
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);
	ck_assert_int_eq(ht_db_count_conn(db, "SELECT count(*) FROM findings"), before);
	/* every write route of another kind is refused too */
	r = ht_request("POST", "/api/v1/tokens", ro, "{\"name\":\"x\",\"ttl_days\":1}");
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);
	r = ht_request("POST", "/api/v1/me/totp", ro, NULL);
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);

	/* findings:write may write findings, not claims */
	fw = make_token(W.x.admin.token,
	                "{\"name\":\"fw\",\"ttl_days\":2,\"scopes\":[\"read\",\"findings:write\","
	                "\"account:write\"]}",
	                201);
	r = ht_request("POST", path, fw, body);
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	ck_assert_int_eq(ht_db_count_conn(db, "SELECT count(*) FROM findings"), before + 1);
	free(path);
	path = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", W.eng_ax);
	r = ht_request("PUT", path, fw, "{\"level\":\"OC2\",\"summary\":\"s\"}");
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);

	/* a token cannot make a wider one; a narrower one never outlives it */
	r = ht_request("POST", "/api/v1/tokens", fw,
	               "{\"name\":\"w\",\"ttl_days\":1,\"scopes\":[\"claims:write\"]}");
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);
	r = ht_request("POST", "/api/v1/tokens", fw,
	               "{\"name\":\"n\",\"ttl_days\":30,\"scopes\":[\"read\"]}");
	HT_ASSERT_STATUS(r, 201);
	child = strdup(ht_jstr(r, "expires_at"));
	ht_resp_free(r);
	{
		struct ht_resp *l = ht_request("GET", "/api/v1/tokens", fw, NULL);
		json_t *v;
		size_t i;
		int seen = 0;

		HT_ASSERT_STATUS(l, 200);
		json_array_foreach(json_object_get(l->json, "items"), i, v)
		{
			if (json_is_true(json_object_get(v, "current"))) {
				/* the parent (2 days) bounds the child (asked for 30) */
				ck_assert_str_eq(ht_ostr(v, "expires_at"), child);
				seen = 1;
			}
		}
		ck_assert_msg(seen, "the current token is not marked: %s", HT_BODY(l));
		ht_resp_free(l);
	}
	free(child);

	/* limits and bad scopes */
	make_token(W.x.admin.token, "{\"name\":\"long\",\"ttl_days\":365}", 422);
	make_token(W.x.admin.token, "{\"name\":\"s\",\"ttl_days\":1,\"scopes\":[\"admin\"]}", 422);
	make_token(W.x.admin.token, "{\"name\":\"s\",\"ttl_days\":1,\"scopes\":[]}", 422);
	make_token(W.x.admin.token, "{\"name\":\"s\",\"ttl_days\":1,\"scopes\":\"read\"}", 422);
	make_token(W.x.admin.token, "{\"name\":\"s\",\"ttl_days\":1,\"scopes\":[\"READ\"]}", 422);
	make_token(W.x.admin.token, "{\"name\":\"s\",\"ttl_days\":1,\"scopes\":[1]}", 422);

	free(body);
	free(path);
	free(ro);
	free(fw);
	PQfinish(db);
}
END_TEST

/* A read-only token against every kind of write, a write-only one against reads: all 403, nothing
 * changes. */
START_TEST(test_scope_table)
{
	static const struct {
		const char *method, *fmt; /* %s: an id (random: the scope is checked first) */
		const char *body;
	} writes[] = {
	    {"POST", "/api/v1/orgs", "{\"name\":\"n\",\"kind\":\"company\",\"aliases\":[]}"},
	    {"POST", "/api/v1/orgs/%s/users", "{}"},
	    {"DELETE", "/api/v1/users/%s/sessions", NULL},
	    {"DELETE", "/api/v1/users/%s/tokens/%s", NULL},
	    {"POST", "/api/v1/campaigns", "{}"},
	    {"PATCH", "/api/v1/campaigns/%s", "{}"},
	    {"PUT", "/api/v1/campaigns/%s/second-factor", "{\"required\":true}"},
	    {"POST", "/api/v1/campaigns/%s/engagements", "{}"},
	    {"POST", "/api/v1/engagements/%s/findings", "{}"},
	    {"PATCH", "/api/v1/findings/%s", "{}"},
	    {"PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", "{}"},
	    {"PUT", "/api/v1/engagements/%s/statement", "{}"},
	    {"POST", "/api/v1/engagements/%s/uploads", NULL},
	    {"DELETE", "/api/v1/evidence/%s", NULL},
	    {"DELETE", "/api/v1/uploads/%s", NULL},
	    {"POST", "/api/v1/tokens", "{\"name\":\"x\",\"ttl_days\":1}"},
	    {"DELETE", "/api/v1/tokens/%s", NULL},
	    {"POST", "/api/v1/me/totp", NULL},
	    {"POST", "/api/v1/me/totp/confirm", "{\"code\":\"123456\"}"},
	    {"POST", "/api/v1/me/totp/disable", "{\"code\":\"123456\"}"},
	    {"POST", "/api/v1/me/totp/recovery-codes", "{\"code\":\"123456\"}"},
	};
	static const char *const reads[] = {"/api/v1/orgs",           "/api/v1/campaigns",
	                                    "/api/v1/engagements",    "/api/v1/tokens",
	                                    "/api/v1/engagements/%s", "/api/v1/findings/%s",
	                                    "/api/v1/evidence/%s",    "/api/v1/users/%s/tokens"};
	char *ro = make_token(W.coord.token, "{\"name\":\"ro\",\"ttl_days\":1}", 201);
	char *wo =
	    make_token(W.coord.token,
	               "{\"name\":\"wo\",\"ttl_days\":1,\"scopes\":[\"campaigns:write\"]}", 201);
	long long before[HT_NCOUNTED], after[HT_NCOUNTED];
	char uuid[37];
	size_t i;

	ck_assert_int_eq(ht_db_snapshot(before), 0);
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		char *path;
		struct ht_resp *r;

		ht_random_uuid(uuid);
		{
			char *once = ht_subst(writes[i].fmt, uuid);

			path = ht_subst(once, uuid); /* the second id, if any */
			free(once);
		}
		r = ht_request(writes[i].method, path, ro, writes[i].body);
		ck_assert_msg(ht_is_problem(r, 403, "insufficient-scope"), "%s: %ld %s", r->what,
		              r->status, HT_BODY(r));
		ht_resp_free(r);
		free(path);
	}
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		char *path;
		struct ht_resp *r;

		ht_random_uuid(uuid);
		path = ht_subst(reads[i], uuid);
		r = ht_request("GET", path, wo, NULL);
		ck_assert_msg(ht_is_problem(r, 403, "insufficient-scope"), "%s: %ld %s", r->what,
		              r->status, HT_BODY(r));
		ht_resp_free(r);
		free(path);
	}
	ck_assert_int_eq(ht_db_snapshot(after), 0);
	for (i = 0; i < HT_NCOUNTED; i++)
		ck_assert_msg(before[i] == after[i], "%s changed", ht_counted_tables[i]);
	/* both still work where their scope allows */
	ck_assert_int_eq(me_status(ro), 200);
	{
		struct ht_resp *r = ht_request("GET", "/api/v1/orgs", ro, NULL);

		HT_ASSERT_STATUS(r, 200);
		ht_resp_free(r);
	}
	free(ro);
	free(wo);
}
END_TEST

/* ------------------------------------------------------ sessions, admins */

START_TEST(test_sessions_list)
{
	struct ht_actor u;
	struct ht_resp *r;
	char *second, *other_id = NULL, *path;
	json_t *v;
	size_t i;
	int current = 0;

	new_user(&u, "member");
	second = ht_login(u.email, u.password);
	ck_assert_ptr_nonnull(second);
	r = ht_request("GET", "/api/v1/tokens", u.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	json_array_foreach(json_object_get(r->json, "items"), i, v)
	{
		ck_assert_str_eq(ht_ostr(v, "kind"), "session");
		ck_assert_str_eq(ht_ostr(v, "addr"), "127.0.0.1");
		ck_assert_ptr_nonnull(ht_ostr(v, "created_at"));
		if (json_is_true(json_object_get(v, "current"))) {
			current++;
			ck_assert_ptr_nonnull(ht_ostr(v, "last_used_at"));
		} else if (other_id == NULL)
			other_id = strdup(ht_ostr(v, "id"));
	}
	ck_assert_int_eq(current, 1);
	ck_assert_ptr_nonnull(other_id);
	ht_resp_free(r);
	/* revoke the other one: it stops working, this one does not */
	path = ht_fmt("/api/v1/tokens/%s", other_id);
	r = ht_request("DELETE", path, u.token, NULL);
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	ck_assert_int_eq(me_status(second), 401);
	ck_assert_int_eq(me_status(u.token), 200);
	free(path);
	free(other_id);
	free(second);
	ht_actor_free(&u);
}
END_TEST

START_TEST(test_admin_tokens)
{
	struct ht_actor m, peer;
	struct ht_resp *r, *ref;
	char *tok, *tok_id, *path, *fake, uuid[37];
	int found = 0;
	json_t *v;
	size_t i;

	new_user(&m, "member");
	new_user(&peer, "member");
	r = ht_request("POST", "/api/v1/tokens", m.token, "{\"name\":\"ci\",\"ttl_days\":3}");
	HT_ASSERT_STATUS(r, 201);
	tok = strdup(ht_jstr(r, "token"));
	tok_id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);

	/* the org admin lists the member's tokens (never the secret) */
	path = ht_fmt("/api/v1/users/%s/tokens", m.user_id);
	r = ht_request("GET", path, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, tok) == NULL, "the list leaks the token");
	json_array_foreach(json_object_get(r->json, "items"), i,
	                   v) if (strcmp(ht_ostr(v, "id"), tok_id) == 0) found = 1;
	ck_assert_msg(found, "%s", HT_BODY(r));
	ht_resp_free(r);

	/* another org's admin, a fellow member: the 404 of an unknown user */
	ht_random_uuid(uuid);
	fake = ht_fmt("/api/v1/users/%s/tokens", uuid);
	{
		const char *who[] = {W.b.admin.token, W.x.admin.token, peer.token};

		for (i = 0; i < 3; i++) {
			r = ht_request("GET", path, who[i], NULL);
			ref = ht_request("GET", fake, who[i], NULL);
			HT_ASSERT_PROBLEM(r, 404, "not-found");
			ck_assert_str_eq(r->body, ref->body);
			ht_resp_free(r);
			ht_resp_free(ref);
		}
	}
	free(fake);
	free(path);

	/* revoking: refused to others (404, token still works), done by the admin */
	path = ht_fmt("/api/v1/users/%s/tokens/%s", m.user_id, tok_id);
	r = ht_request("DELETE", path, W.b.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = ht_request("DELETE", path, peer.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 200);
	/* the token id under another user of the org: not found either */
	fake = ht_fmt("/api/v1/users/%s/tokens/%s", peer.user_id, tok_id);
	r = ht_request("DELETE", fake, W.a.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	free(fake);
	ck_assert_int_eq(me_status(tok), 200);
	r = ht_request("DELETE", path, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 401);
	ck_assert_int_eq(me_status(m.token), 200);
	free(path);
	free(tok);
	free(tok_id);
	ht_actor_free(&m);
	ht_actor_free(&peer);
}
END_TEST

/* The coordinator's campaign requirement: a user without a factor gets a session that can only
 * enrol. */
START_TEST(test_campaign_requirement)
{
	struct ht_actor u, other;
	struct ht_resp *r, *ref;
	char *path, *fake, uuid[37], *secret, code[9], *limited;
	json_t *rc;

	new_user(&u, "member");
	{
		char err[512];

		ck_assert_msg(ht_make_user(W.b.admin.token, W.b.org_id, "member", &other, err,
		                           sizeof(err)) == 0,
		              "%s", err);
	}
	/* campaign 2 holds only A x X */
	path = ht_fmt("/api/v1/campaigns/%s/second-factor", W.campaign2_id);
	ht_random_uuid(uuid);
	fake = ht_fmt("/api/v1/campaigns/%s/second-factor", uuid);
	/* nobody but the coordinator: the 404 of an unknown campaign, nothing changes */
	{
		const char *who[] = {W.a.admin.token, W.x.admin.token, W.b.admin.token};

		for (int i = 0; i < 3; i++) {
			r = ht_request("PUT", path, who[i], "{\"required\":true}");
			ref = ht_request("PUT", fake, who[i], "{\"required\":true}");
			HT_ASSERT_PROBLEM(r, 404, "not-found");
			ck_assert_str_eq(r->body, ref->body);
			ht_resp_free(r);
			ht_resp_free(ref);
		}
	}
	r = ht_request("PUT", fake, W.coord.token, "{\"required\":true}");
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = ht_request("PUT", path, W.coord.token, "{\"required\":\"yes\"}");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_ptr_null(json_object_get(r->json, "second_factor_required"));
	ht_resp_free(r);

	r = ht_request("PUT", path, W.coord.token, "{\"required\":true}");
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_true(json_object_get(r->json, "require_second_factor")));
	ht_resp_free(r);

	/* A's member without a factor: a session limited to enrolling */
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 201);
	ck_assert(json_is_true(json_object_get(r->json, "second_factor_required")));
	limited = strdup(ht_jstr(r, "token"));
	ht_resp_free(r);
	r = ht_request("GET", "/api/v1/me", limited, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_true(json_object_get(r->json, "second_factor_required")));
	ht_resp_free(r);
	r = ht_request("GET", "/api/v1/engagements", limited, NULL);
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);
	r = ht_request("POST", "/api/v1/tokens", limited,
	               "{\"name\":\"x\",\"ttl_days\":1,\"scopes\":[\"account:write\"]}");
	HT_ASSERT_PROBLEM(r, 403, "insufficient-scope");
	ht_resp_free(r);
	/* B's member is not in campaign 2: logs in as before */
	r = ht_login_resp(other.email, other.password);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_ptr_null(json_object_get(r->json, "second_factor_required"));
	ht_resp_free(r);
	/* the assessor firm's admin is bound too (no factor): limited */
	r = ht_login_resp(W.x.admin.email, W.x.admin.password);
	HT_ASSERT_STATUS(r, 201);
	ck_assert(json_is_true(json_object_get(r->json, "second_factor_required")));
	ht_resp_free(r);

	/* enrolling works in the limited session; then log-in takes two steps and is full */
	{
		struct ht_actor lu = u;

		lu.token = limited;
		secret = enrol(&lu, &rc);
	}
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_STATUS(r, 200);
	{
		char *ch = strdup(ht_jstr(r, "challenge"));

		ht_resp_free(r);
		code_at(secret, 30, code);
		r = second_step(ch, code);
		HT_ASSERT_STATUS(r, 201);
		ck_assert_ptr_null(json_object_get(r->json, "second_factor_required"));
		{
			char *full = strdup(ht_jstr(r, "token"));
			struct ht_resp *e = ht_request("GET", "/api/v1/engagements", full, NULL);

			HT_ASSERT_STATUS(e, 200);
			ht_resp_free(e);
			free(full);
		}
		ht_resp_free(r);
		free(ch);
	}

	/* off again: everything as before */
	r = ht_request("PUT", path, W.coord.token, "{\"required\":false}");
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_false(json_object_get(r->json, "require_second_factor")));
	ht_resp_free(r);
	r = ht_login_resp(W.x.admin.email, W.x.admin.password);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_ptr_null(json_object_get(r->json, "second_factor_required"));
	ht_resp_free(r);
	ht_clear_login_failures();
	json_decref(rc);
	free(secret);
	free(limited);
	free(path);
	free(fake);
	ht_actor_free(&u);
	ht_actor_free(&other);
}
END_TEST

static Suite *
factors_suite(void)
{
	Suite *s = suite_create("factors");
	TCase *tc = tcase_create("factors");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_enrolment);
	tcase_add_test(tc, test_two_step_login);
	tcase_add_test(tc, test_disable);
	tcase_add_test(tc, test_totp_rls);
	tcase_add_test(tc, test_scopes);
	tcase_add_test(tc, test_scope_table);
	tcase_add_test(tc, test_sessions_list);
	tcase_add_test(tc, test_admin_tokens);
	tcase_add_test(tc, test_campaign_requirement);
	tcase_add_test(tc, test_codes_throttled);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, factors_suite);
}

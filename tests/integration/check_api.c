/*
 * check_api: the API end to end against a running lockstepd — the README
 * walk-through, sessions (log-out, revocation, throttling, cookies and
 * CSRF), pagination, security headers, operations endpoints, what the
 * coordinator must never see, the audit chain, and a pg_dump that must
 * not contain confidential text.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

static struct ht_world W;

/* ------------------------------------------------------------ helpers */

/* GET path as token, expect 200, return the response. */
static struct ht_resp *
get_ok(const char *path, const char *token)
{
	struct ht_resp *r = ht_request("GET", path, token, NULL);

	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(r->json != NULL, "%s: not JSON: %s", r->what, HT_BODY(r));
	return r;
}

static void
assert_no_secret(const struct ht_resp *r, const char *s)
{
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, s),
	              "%s: body contains confidential \"%s\": %s", r->what, s, HT_BODY(r));
}

static void
assert_no_world_secret(const struct ht_resp *r)
{
	assert_no_secret(r, W.mark_a);
	assert_no_secret(r, W.mark_b);
	assert_no_secret(r, W.pub_a);
	assert_no_secret(r, W.pub_b);
}

/* Status of GET /api/v1/me with token. */
static long
me_status(const char *token)
{
	struct ht_resp *r = ht_request("GET", "/api/v1/me", token, NULL);
	long st = r->status;

	ht_resp_free(r);
	return st;
}

static int
items_contain_id(const json_t *items, const char *id)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it)
	{
		const char *v = ht_ostr(it, "id");

		if (v != NULL && strcmp(v, id) == 0)
			return 1;
	}
	return 0;
}

/* ----------------------------------------------------------- walk-through */

START_TEST(test_walkthrough)
{
	char *p, *fid, *body;
	struct ht_resp *r;
	json_t *items, *v;
	const char *title0;

	/* company A sees X's finding, with its confidential text */
	p = ht_fmt("/api/v1/findings/%s", W.finding_a);
	r = get_ok(p, W.a.admin.token);
	ck_assert_msg(ht_jstr(r, "title") && strstr(ht_jstr(r, "title"), W.mark_a),
	              "company A cannot read its finding's title: %s", r->body);
	ck_assert_msg(ht_jstr(r, "detail") && strstr(ht_jstr(r, "detail"), W.mark_a),
	              "company A cannot read its finding's detail: %s", r->body);
	ck_assert_str_eq(ht_jstr(r, "engagement_id"), W.eng_ax);
	ht_resp_free(r);
	/* ... and the assessor too */
	r = get_ok(p, W.x.admin.token);
	ht_resp_free(r);
	/* company B does not */
	r = ht_request("GET", p, W.b.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	assert_no_world_secret(r);
	ht_resp_free(r);
	free(p);

	p = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	r = get_ok(p, W.a.admin.token);
	items = json_object_get(r->json, "items");
	ck_assert_msg(json_is_array(items) && items_contain_id(items, W.finding_a),
	              "A's finding list lacks the finding: %s", r->body);
	ht_resp_free(r);
	r = ht_request("GET", p, W.b.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);

	/* participants see the scope of their engagement */
	free(p);
	p = ht_fmt("/api/v1/engagements/%s", W.eng_ax);
	r = get_ok(p, W.a.admin.token);
	ck_assert_msg(ht_jstr(r, "scope") && strcmp(ht_jstr(r, "scope"), W.scope_a) == 0,
	              "company A does not get the decrypted scope: %s", r->body);
	ht_resp_free(r);
	free(p);

	/* a fresh finding: create, company answers, assessor edits, history */
	p = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "threat_model", "IP-THEFT",
	                          "title", "Walk-through: research notes on an open share",
	                          "detail", "Notes readable from the guest network.", "severity",
	                          "medium", "atlas", "AML.T0024", "cwe", "CWE-284"));
	r = ht_request("POST", p, W.x.admin.token, body);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_msg(ht_jstr(r, "id") != NULL, "no id: %s", r->body);
	v = json_object_get(r->json, "version");
	ck_assert_msg(json_is_integer(v) && json_integer_value(v) == 1, "version not 1: %s",
	              r->body);
	ck_assert_msg(ht_jstr(r, "status") && strcmp(ht_jstr(r, "status"), "open") == 0,
	              "status not open: %s", r->body);
	fid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(body);
	free(p);

	p = ht_fmt("/api/v1/findings/%s", fid);
	r = ht_request(
	    "PATCH", p, W.a.admin.token,
	    "{\"status\":\"remediating\",\"response\":\"Share closed, rotating keys.\"}");
	HT_ASSERT_STATUS(r, 200);
	v = json_object_get(r->json, "version");
	ck_assert_msg(json_is_integer(v) && json_integer_value(v) == 2, "version not 2: %s",
	              r->body);
	ck_assert_str_eq(ht_jstr(r, "response"), "Share closed, rotating keys.");
	ht_resp_free(r);

	r = ht_request("PATCH", p, W.x.admin.token,
	               "{\"title\":\"Walk-through: research notes on an open SMB share\"}");
	HT_ASSERT_STATUS(r, 200);
	v = json_object_get(r->json, "version");
	ck_assert_msg(json_is_integer(v) && json_integer_value(v) == 3, "version not 3: %s",
	              r->body);
	ck_assert_str_eq(ht_jstr(r, "status"), "remediating");
	ht_resp_free(r);
	free(p);

	p = ht_fmt("/api/v1/findings/%s/history", fid);
	for (int who = 0; who < 2; who++) {
		r = get_ok(p, who == 0 ? W.a.admin.token : W.x.admin.token);
		items = json_object_get(r->json, "items");
		ck_assert_msg(json_is_array(items) && json_array_size(items) == 3,
		              "history does not have 3 versions: %s", r->body);
		for (size_t i = 0; i < 3; i++) {
			v = json_object_get(json_array_get(items, i), "version");
			ck_assert_msg(json_is_integer(v) &&
			                  json_integer_value(v) == (json_int_t)(i + 1),
			              "history not in version order at %zu: %s", i, r->body);
		}
		title0 = ht_ostr(json_array_get(items, 0), "title");
		ck_assert_msg(
		    title0 && strcmp(title0, "Walk-through: research notes on an open share") == 0,
		    "version 1 lost its title: %s", r->body);
		ck_assert_str_eq(ht_ostr(json_array_get(items, 0), "status"), "open");
		ck_assert_str_eq(ht_ostr(json_array_get(items, 1), "status"), "remediating");
		ck_assert_str_eq(ht_ostr(json_array_get(items, 1), "title"),
		                 "Walk-through: research notes on an open share");
		ck_assert_str_eq(ht_ostr(json_array_get(items, 2), "title"),
		                 "Walk-through: research notes on an open SMB share");
		ht_resp_free(r);
	}
	r = ht_request("GET", p, W.b.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	free(p);
	free(fid);
}
END_TEST

/* ------------------------------------------------------------------ /me */

static void
check_me(const char *token, const char *user_id, const char *org_id, const char *kind)
{
	struct ht_resp *r = get_ok("/api/v1/me", token);
	json_t *u = json_object_get(r->json, "user"), *o = json_object_get(r->json, "org");
	char *cc = ht_header(r, "Cache-Control");

	ck_assert_msg(ht_ostr(u, "id") && strcmp(ht_ostr(u, "id"), user_id) == 0,
	              "/me user.id wrong: %s", r->body);
	ck_assert_msg(ht_ostr(o, "id") && strcmp(ht_ostr(o, "id"), org_id) == 0,
	              "/me org.id wrong: %s", r->body);
	ck_assert_msg(ht_ostr(o, "kind") && strcmp(ht_ostr(o, "kind"), kind) == 0,
	              "/me org.kind is not %s: %s", kind, r->body);
	ck_assert_msg(ht_ostr(u, "email") && ht_ostr(u, "role"), "/me lacks email/role: %s",
	              r->body);
	ck_assert_msg(json_object_get(r->json, "password_hash") == NULL &&
	                  json_object_get(u, "password_hash") == NULL,
	              "/me shows a password hash: %s", r->body);
	ck_assert_msg(cc && strstr(cc, "no-store"), "/me without Cache-Control: no-store (%s)",
	              cc ? cc : "absent");
	free(cc);
	ht_resp_free(r);
}

/*
 * The signing key history (issue 15): public, its newest key is the key
 * the server signs with (the same as /.well-known/lockstep/signing-key),
 * the first key has no predecessor and no endorsement; a write is refused.
 */
START_TEST(test_signing_key_history)
{
	struct ht_resp *k = ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);
	struct ht_resp *h = ht_request("GET", "/.well-known/lockstep/signing-keys", NULL, NULL);
	struct ht_resp *w;
	json_t *keys, *first, *last;

	HT_ASSERT_STATUS(k, 200);
	HT_ASSERT_STATUS(h, 200);
	keys = json_object_get(h->json, "keys");
	ck_assert_msg(json_array_size(keys) >= 1, "no signing key in the history: %s", HT_BODY(h));
	first = json_array_get(keys, 0);
	last = json_array_get(keys, json_array_size(keys) - 1);
	ck_assert_str_eq(ht_ostr(last, "key"), ht_ostr(json_object_get(k->json, "jwk"), "x"));
	ck_assert_int_eq(strlen(ht_ostr(last, "key_id")), 43);
	ck_assert(json_is_null(json_object_get(first, "previous_key_id")));
	ck_assert(json_is_null(json_object_get(first, "endorsement")));
	ck_assert_msg(strstr(ht_ostr(first, "statement"), "\"type\":\"lockstep-signing-key\""),
	              "statement: %s", ht_ostr(first, "statement"));
	/* read-only: no write route, even for the coordinator */
	w = ht_request("POST", "/.well-known/lockstep/signing-keys", W.coord.token, "{}");
	ck_assert_int_eq(w->status, 405);
	ck_assert_str_eq(w->content_type, "application/problem+json");
	ht_resp_free(w);
	ht_resp_free(k);
	ht_resp_free(h);
}
END_TEST

START_TEST(test_me_roles)
{
	struct ht_resp *r;

	check_me(W.coord.token, W.coord.user_id, W.coord_org_id, "coordinator");
	check_me(W.a.admin.token, W.a.admin.user_id, W.a.org_id, "company");
	check_me(W.b.admin.token, W.b.admin.user_id, W.b.org_id, "company");
	check_me(W.x.admin.token, W.x.admin.user_id, W.x.org_id, "assessor");
	check_me(W.y.admin.token, W.y.admin.user_id, W.y.org_id, "assessor");
	r = ht_request("GET", "/api/v1/me", NULL, NULL);
	HT_ASSERT_PROBLEM(r, 401, "unauthorized");
	ht_resp_free(r);
}
END_TEST

/* ------------------------------------------------------------- sessions */

START_TEST(test_login_answer)
{
	struct ht_resp *r = ht_login_resp(W.x.admin.email, W.x.admin.password);
	json_t *u, *o;

	HT_ASSERT_STATUS(r, 201);
	ck_assert_msg(ht_jstr(r, "token") && strlen(ht_jstr(r, "token")) >= 32,
	              "no usable token: %s", r->body);
	ck_assert_msg(ht_jstr(r, "expires_at") != NULL, "no expires_at: %s", r->body);
	u = json_object_get(r->json, "user");
	o = json_object_get(u, "org");
	ck_assert_msg(ht_ostr(u, "id") && strcmp(ht_ostr(u, "id"), W.x.admin.user_id) == 0,
	              "user.id wrong: %s", r->body);
	ck_assert_msg(ht_ostr(o, "kind") && strcmp(ht_ostr(o, "kind"), "assessor") == 0,
	              "user.org.kind wrong: %s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.x.admin.password),
	              "the log-in answer echoes the password");
	ht_resp_free(r);
}
END_TEST

START_TEST(test_logout_revokes)
{
	char *t = ht_login(W.a.admin.email, W.a.admin.password);
	struct ht_resp *r;

	ck_assert_msg(t != NULL, "log-in failed");
	ck_assert_int_eq(me_status(t), 200);
	r = ht_request("DELETE", "/api/v1/session", t, NULL);
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	r = ht_request("GET", "/api/v1/me", t, NULL);
	HT_ASSERT_PROBLEM(r, 401, "unauthorized");
	ht_resp_free(r);
	r = ht_request("DELETE", "/api/v1/session", t, NULL);
	HT_ASSERT_PROBLEM(r, 401, "unauthorized");
	ht_resp_free(r);
	/* the other sessions of the same user are untouched */
	ck_assert_int_eq(me_status(W.a.admin.token), 200);
	free(t);
}
END_TEST

START_TEST(test_api_tokens)
{
	static const char *const bad[] = {
	    "{\"name\":\"ci\",\"ttl_days\":0}",
	    "{\"name\":\"ci\",\"ttl_days\":366}",
	    "{\"name\":\"ci\",\"ttl_days\":\"30\"}",
	    "{\"name\":\"\",\"ttl_days\":30}",
	    "{\"name\":\"ci\"}",
	    "{\"name\":\"ci\",\"ttl_days\":30,\"x\":1}",
	    "{\"name\":\"a\\u0007b\",\"ttl_days\":30}",
	    "{\"name\":\"ci\",\"ttl_days\":30",
	};
	size_t before;
	char *user = ht_login(W.b.admin.email, W.b.admin.password);
	struct ht_resp *r;
	char *tok, *id, *path;
	int found = 0;
	size_t i;
	json_t *v;

	ck_assert_msg(user != NULL, "log-in failed");
	/* bad input is refused and creates nothing */
	r = ht_request("GET", "/api/v1/tokens", user, NULL);
	HT_ASSERT_STATUS(r, 200);
	before = json_array_size(json_object_get(r->json, "items"));
	ht_resp_free(r);
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		r = ht_request("POST", "/api/v1/tokens", user, bad[b]);
		ck_assert_msg(ht_is_problem(r, 422, "invalid-field") ||
		                  ht_is_problem(r, 400, "malformed-json"),
		              "%s: %ld %s", bad[b], r->status, HT_BODY(r));
		ht_resp_free(r);
	}
	r = ht_request("GET", "/api/v1/tokens", user, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), before);
	ht_resp_free(r);
	r = ht_request("POST", "/api/v1/tokens", user, "{\"name\":\"ci\",\"ttl_days\":30}");
	HT_ASSERT_STATUS(r, 201);
	tok = strdup(ht_jstr(r, "token"));
	id = strdup(ht_jstr(r, "id"));
	ck_assert_uint_eq(strlen(tok), 43);
	ht_resp_free(r);
	/* the API token works like a session and is listed without its secret */
	ck_assert_int_eq(me_status(tok), 200);
	r = ht_request("GET", "/api/v1/tokens", user, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, tok) == NULL, "token list leaks the token");
	json_array_foreach(json_object_get(r->json, "items"), i, v)
	{
		if (strcmp(ht_ostr(v, "id"), id) == 0 && strcmp(ht_ostr(v, "kind"), "api") == 0)
			found = 1;
	}
	ck_assert_msg(found, "new token not listed: %s", HT_BODY(r));
	ht_resp_free(r);
	/* another tenant cannot revoke it: same 404 as a random id */
	path = ht_fmt("/api/v1/tokens/%s", id);
	r = ht_request("DELETE", path, W.a.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 200);
	/* its owner can; afterwards it no longer authenticates */
	r = ht_request("DELETE", path, user, NULL);
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 401);
	ck_assert_int_eq(me_status(user), 200);
	free(path);
	free(tok);
	free(id);
	free(user);
}
END_TEST

START_TEST(test_admin_revokes_sessions)
{
	struct ht_actor m;
	char err[4096], *t2, *t3, *p, *pa;
	struct ht_resp *r;

	/* company A's admin manages its own users */
	ck_assert_msg(ht_make_user(W.a.admin.token, W.a.org_id, "member", &m, err, sizeof(err)) ==
	                  0,
	              "%s", err);
	t2 = ht_login(m.email, m.password);
	ck_assert_msg(t2 != NULL, "second log-in failed");
	ck_assert_int_eq(me_status(m.token), 200);
	ck_assert_int_eq(me_status(t2), 200);

	/* a member may not revoke its admin's sessions */
	pa = ht_fmt("/api/v1/users/%s/sessions", W.a.admin.user_id);
	r = ht_request("DELETE", pa, m.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	ck_assert_int_eq(me_status(W.a.admin.token), 200);

	p = ht_fmt("/api/v1/users/%s/sessions", m.user_id);
	r = ht_request("DELETE", p, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	ck_assert_msg(me_status(m.token) == 401, "first session of the member still works");
	ck_assert_msg(me_status(t2) == 401, "second session of the member still works");
	ck_assert_int_eq(me_status(W.a.admin.token), 200);

	/* the coordinator can do the same */
	t3 = ht_login(m.email, m.password);
	ck_assert_msg(t3 != NULL, "log-in after revocation failed");
	ck_assert_int_eq(me_status(t3), 200);
	r = ht_request("DELETE", p, W.coord.token, NULL);
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	ck_assert_msg(me_status(t3) == 401, "the coordinator's revocation did not work");
	ck_assert_int_eq(me_status(W.coord.token), 200);

	free(t3);
	free(t2);
	free(pa);
	free(p);
	ht_actor_free(&m);
}
END_TEST

START_TEST(test_wrong_password)
{
	struct ht_resp *r1, *r2;
	char *nobody = ht_unique("nobody");
	char *email = ht_fmt("%s@example.test", nobody);

	ht_clear_login_failures();
	r1 = ht_login_resp(W.b.admin.email, "not-the-right-password");
	HT_ASSERT_PROBLEM(r1, 401, "bad-credentials");
	ck_assert_msg(r1->json && json_object_get(r1->json, "token") == NULL, "token on failure");
	r2 = ht_login_resp(email, "not-the-right-password");
	HT_ASSERT_PROBLEM(r2, 401, "bad-credentials");
	ck_assert_msg(
	    r1->body_len == r2->body_len && memcmp(r1->body, r2->body, r1->body_len) == 0,
	    "wrong password and unknown e-mail answer differently (an account oracle):\n%s\n%s",
	    r1->body, r2->body);
	ht_resp_free(r1);
	ht_resp_free(r2);
	ht_clear_login_failures();
	free(email);
	free(nobody);
}
END_TEST

START_TEST(test_login_throttle)
{
	const char *e = ht_env("LOCKSTEP_LOGIN_MAX_FAILURES");
	long max = e ? strtol(e, NULL, 10) : 10;
	struct ht_actor u;
	char err[4096], *t;
	struct ht_resp *r;
	long i;

	ck_assert_msg(max >= 1 && max <= 1000, "bad LOCKSTEP_LOGIN_MAX_FAILURES");
	ck_assert_msg(ht_make_user(W.coord.token, W.b.org_id, "member", &u, err, sizeof(err)) == 0,
	              "%s", err);
	ht_clear_login_failures();
	for (i = 0; i < max; i++) {
		r = ht_login_resp(u.email, "wrong-password-wrong");
		HT_ASSERT_PROBLEM(r, 401, "bad-credentials");
		ht_resp_free(r);
	}
	r = ht_login_resp(u.email, u.password);
	HT_ASSERT_PROBLEM(r, 429, "too-many-requests");
	ck_assert_msg(!(r->json && json_object_get(r->json, "token")), "token while throttled");
	{
		/* when to try again: Retry-After in seconds (the window, 900 s by
		 * default, at most) and a detail saying it in words and as a UTC
		 * instant */
		char *ra = ht_header(r, "Retry-After");
		const char *detail = ht_jstr(r, "detail");
		long secs;

		ck_assert_msg(ra != NULL, "a throttled log-in without Retry-After: %s", r->headers);
		secs = strtol(ra, NULL, 10);
		ck_assert_msg(secs >= 1 && secs <= 86400, "Retry-After: %s", ra);
		ck_assert_msg(detail != NULL &&
		                  strstr(detail, "for this account; try again in ") != NULL &&
		                  strstr(detail, "Z, Retry-After: ") != NULL,
		              "the detail does not say when: %s", r->body);
		free(ra);
	}
	ht_resp_free(r);
	ht_clear_login_failures();
	t = ht_login(u.email, u.password);
	ck_assert_msg(t != NULL, "log-in fails after the failures were cleared");
	free(t);
	ht_actor_free(&u);
}
END_TEST

/* ------------------------------------------------------- cookies, CSRF */

START_TEST(test_cookie_csrf)
{
	struct ht_resp *r = ht_login_resp(W.coord.email, W.coord.password);
	char *sc = ht_header(r, "Set-Cookie");
	char *tok, *cookie, *name, *body, *lit, *sql;
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");

	HT_ASSERT_STATUS(r, 201);
	ck_assert_msg(sc != NULL, "log-in sets no cookie: %s", r->headers);
	tok = strdup(ht_jstr(r, "token"));
	cookie = ht_fmt("lockstep_session=%s", tok);
	ck_assert_msg(strncmp(sc, cookie, strlen(cookie)) == 0 &&
	                  (sc[strlen(cookie)] == ';' || sc[strlen(cookie)] == '\0'),
	              "cookie is not lockstep_session=<token>: %s", sc);
	ck_assert_msg(strcasestr(sc, "HttpOnly") != NULL, "cookie lacks HttpOnly: %s", sc);
	ck_assert_msg(strcasestr(sc, "SameSite=Strict") != NULL, "cookie lacks SameSite=Strict: %s",
	              sc);
	ck_assert_msg(strcasestr(sc, "Path=/") != NULL, "cookie lacks Path=/: %s", sc);
	ht_resp_free(r);
	free(sc);

	sc = ht_fmt("Cookie: %s", cookie);
	r = ht_request("GET", "/api/v1/me", NULL, NULL, sc);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);

	name = ht_unique("Cookie org");
	body = ht_jdump(json_pack("{s:s, s:s, s:[]}", "name", name, "kind", "company", "aliases"));
	lit = ht_sql_literal(name);
	sql = ht_fmt("SELECT count(*) FROM orgs WHERE name = %s", lit);

	r = ht_request("POST", "/api/v1/orgs", NULL, body, sc);
	HT_ASSERT_PROBLEM(r, 403, "csrf");
	ht_resp_free(r);
	r = ht_request("POST", "/api/v1/orgs", NULL, body, sc, "X-Lockstep-CSRF: 0");
	HT_ASSERT_PROBLEM(r, 403, "csrf");
	ht_resp_free(r);
	ck_assert_msg(ht_db_count(owner, sql) == 0, "the refused cookie write created the org");

	r = ht_request("POST", "/api/v1/orgs", NULL, body, sc, "X-Lockstep-CSRF: 1");
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	ck_assert_msg(ht_db_count(owner, sql) == 1, "the cookie write did not create the org");

	/* log-out by cookie is a write too */
	r = ht_request("DELETE", "/api/v1/session", NULL, NULL, sc);
	HT_ASSERT_PROBLEM(r, 403, "csrf");
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 200);
	r = ht_request("DELETE", "/api/v1/session", NULL, NULL, sc, "X-Lockstep-CSRF: 1");
	HT_ASSERT_STATUS(r, 204);
	ht_resp_free(r);
	ck_assert_int_eq(me_status(tok), 401);

	free(sql);
	free(lit);
	free(body);
	free(name);
	free(sc);
	free(cookie);
	free(tok);
}
END_TEST

/* ----------------------------------------------------------- pagination */

START_TEST(test_pagination)
{
	char *ids[3];
	int seen[3] = {0, 0, 0};
	char *after = NULL;
	json_t *all = json_object();
	int pages = 0, i;

	for (i = 0; i < 3; i++) {
		char *name = ht_unique("Page org");
		char *body = ht_jdump(
		    json_pack("{s:s, s:s, s:[]}", "name", name, "kind", "assessor", "aliases"));
		struct ht_resp *r = ht_request("POST", "/api/v1/orgs", W.coord.token, body);

		HT_ASSERT_STATUS(r, 201);
		ids[i] = strdup(ht_jstr(r, "id"));
		ht_resp_free(r);
		free(body);
		free(name);
	}
	for (;;) {
		char *p = after ? ht_fmt("/api/v1/orgs?limit=2&after=%s", after)
		                : ht_fmt("/api/v1/orgs?limit=2");
		struct ht_resp *r = get_ok(p, W.coord.token);
		json_t *items = json_object_get(r->json, "items");
		json_t *next = json_object_get(r->json, "next");
		size_t k;
		json_t *it;

		ck_assert_msg(json_is_array(items) && json_array_size(items) <= 2,
		              "page of more than 2: %s", r->body);
		ck_assert_msg(next != NULL && (json_is_null(next) || json_is_string(next)),
		              "no next member: %s", r->body);
		if (pages == 0)
			ck_assert_msg(json_array_size(items) == 2 && json_is_string(next),
			              "first page not full: %s", r->body);
		json_array_foreach(items, k, it)
		{
			const char *id = ht_ostr(it, "id");

			ck_assert_msg(id != NULL, "item without id: %s", r->body);
			ck_assert_msg(json_object_get(all, id) == NULL, "org %s listed twice", id);
			json_object_set_new(all, id, json_true());
			for (i = 0; i < 3; i++)
				if (strcmp(id, ids[i]) == 0)
					seen[i]++;
		}
		free(after);
		after = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
		ht_resp_free(r);
		free(p);
		pages++;
		ck_assert_msg(pages < 20000, "pagination does not end");
		if (after == NULL)
			break;
	}
	for (i = 0; i < 3; i++) {
		ck_assert_msg(seen[i] == 1, "org %s seen %d times while paging", ids[i], seen[i]);
		free(ids[i]);
	}
	ck_assert_msg(pages >= 2, "only one page");
	json_decref(all);
}
END_TEST

/* ------------------------------------------------------------- headers */

static void
check_security_headers(const struct ht_resp *r, int confidential)
{
	char *csp = ht_header(r, "Content-Security-Policy");
	char *xcto = ht_header(r, "X-Content-Type-Options");
	char *rp = ht_header(r, "Referrer-Policy");
	char *cc = ht_header(r, "Cache-Control");

	ck_assert_msg(csp != NULL && *csp, "%s: no Content-Security-Policy", r->what);
	ck_assert_msg(xcto != NULL && strcasecmp(xcto, "nosniff") == 0,
	              "%s: X-Content-Type-Options is not nosniff (%s)", r->what,
	              xcto ? xcto : "absent");
	ck_assert_msg(rp != NULL && *rp, "%s: no Referrer-Policy", r->what);
	if (confidential)
		ck_assert_msg(cc != NULL && strstr(cc, "no-store") != NULL,
		              "%s: confidential answer without Cache-Control: no-store (%s)",
		              r->what, cc ? cc : "absent");
	free(csp);
	free(xcto);
	free(rp);
	free(cc);
}

START_TEST(test_security_headers)
{
	char *paths[6];
	struct ht_resp *r;
	int i;

	paths[0] = strdup("/api/v1/me");
	paths[1] = ht_fmt("/api/v1/findings/%s", W.finding_a);
	paths[2] = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	paths[3] = ht_fmt("/api/v1/findings/%s/history", W.finding_a);
	paths[4] = ht_fmt("/api/v1/engagements/%s", W.eng_ax);
	paths[5] = ht_fmt("/api/v1/engagements/%s/statement", W.eng_ax);
	for (i = 0; i < 6; i++) {
		r = get_ok(paths[i], W.a.admin.token);
		check_security_headers(r, 1);
		ht_resp_free(r);
		free(paths[i]);
	}
	r = ht_request("GET", "/healthz", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	check_security_headers(r, 0);
	ht_resp_free(r);
	r = ht_request("GET", "/api/v1/no-such-thing", W.a.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	check_security_headers(r, 0);
	ht_resp_free(r);
	r = ht_login_resp(W.y.admin.email, W.y.admin.password);
	HT_ASSERT_STATUS(r, 201);
	check_security_headers(r, 1);
	ht_resp_free(r);
}
END_TEST

/* ------------------------------------------------------------ conflicts */

START_TEST(test_conflicts)
{
	char *body, *p, *upper, *lit, *sql;
	struct ht_resp *r;
	long long n;
	size_t i;
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");

	/* org names are unique, case-insensitively */
	upper = strdup(W.a.org_name);
	for (i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	body = ht_jdump(json_pack("{s:s, s:s, s:[]}", "name", upper, "kind", "company", "aliases"));
	r = ht_request("POST", "/api/v1/orgs", W.coord.token, body);
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ht_resp_free(r);
	free(body);
	free(upper);

	/* e-mail addresses are unique platform-wide (the coordinator, who sees
	 * every account, is the only one who sets passwords for others) */
	p = ht_fmt("/api/v1/orgs/%s/users", W.b.org_id);
	body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "email", W.a.admin.email, "name", "Twin",
	                          "role", "member", "password", "another-long-password"));
	r = ht_request("POST", p, W.coord.token, body);
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ht_resp_free(r);
	free(body);
	free(p);

	/* one engagement per company and assessor in a campaign */
	p = ht_fmt("/api/v1/campaigns/%s/engagements", W.campaign_id);
	body = ht_jdump(json_pack("{s:s, s:s, s:s, s:[]}", "company_org", W.a.org_id,
	                          "assessor_org", W.x.org_id, "scope", "again", "lead_assessors"));
	r = ht_request("POST", p, W.coord.token, body);
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ht_resp_free(r);
	free(body);
	/* an engagement's company must be a company, its assessor an assessor */
	body =
	    ht_jdump(json_pack("{s:s, s:s, s:s, s:[]}", "company_org", W.x.org_id, "assessor_org",
	                       W.a.org_id, "scope", "swapped", "lead_assessors"));
	r = ht_request("POST", p, W.coord.token, body);
	ck_assert_msg(ht_is_problem(r, 422, "invalid-field") || ht_is_problem(r, 404, "not-found"),
	              "an engagement with swapped kinds answered %ld: %s", r->status, HT_BODY(r));
	ht_resp_free(r);
	free(body);
	free(p);
	lit = ht_sql_literal(W.campaign_id);
	sql = ht_fmt("SELECT count(*) FROM engagements WHERE campaign_id = %s", lit);
	n = ht_db_count(owner, sql);
	ck_assert_msg(n == 2, "campaign 1 has %lld engagements, expected 2", n);
	free(sql);
	free(lit);

	/* campaign slugs are unique */
	{
		char *rel = ht_future_time(30);

		body = ht_jdump(json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", "Same slug",
		                          "slug", W.campaign_slug, "threat_models", "IP-THEFT",
		                          "release_at", rel, "disclosure", "named"));
		r = ht_request("POST", "/api/v1/campaigns", W.coord.token, body);
		HT_ASSERT_PROBLEM(r, 409, "conflict");
		ht_resp_free(r);
		free(body);
		free(rel);
	}
}
END_TEST

/* ---------------------------------------------------------- operations */

START_TEST(test_ops)
{
	struct ht_resp *r;

	r = ht_request("GET", "/healthz", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(ht_jstr(r, "status") && strcmp(ht_jstr(r, "status"), "ok") == 0,
	              "/healthz: %s", r->body);
	ht_resp_free(r);
	r = ht_request("GET", "/readyz", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(ht_jstr(r, "status") && strcmp(ht_jstr(r, "status"), "ready") == 0,
	              "/readyz: %s", r->body);
	ht_resp_free(r);
	r = ht_request("GET", "/metrics", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strncmp(r->content_type, "text/plain", 10) == 0, "/metrics type %s",
	              r->content_type);
	ck_assert_msg(strstr(r->body, "lockstep_http_requests_total") != NULL,
	              "/metrics lacks lockstep_http_requests_total:\n%s", HT_BODY(r));
	ck_assert_msg(strstr(r->body, "lockstep_http_request_duration_seconds_bucket") != NULL,
	              "/metrics lacks the latency histogram:\n%s", HT_BODY(r));
	ck_assert_msg(strstr(r->body, "lockstep_db_connections") != NULL,
	              "/metrics lacks lockstep_db_connections:\n%s", HT_BODY(r));
	ht_resp_free(r);
	r = ht_request("GET", "/api/v1/threat-models", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(json_array_size(json_object_get(r->json, "items")) == 5, "threat models: %s",
	              r->body);
	ht_resp_free(r);
}
END_TEST

/* ------------------------------------------------------- vocabulary */

/*
 * GET /api/v1/vocabulary, anonymous: every enumeration equals its source,
 * the vocabulary table (values and order); the company's statuses are
 * those it may set; the threat models those of their table.
 */
START_TEST(test_vocabulary)
{
	static const char *const names[] = {"org_kind",       "user_role",        "disclosure",
	                                    "campaign_state", "engagement_state", "severity",
	                                    "finding_status", "capability_level"};
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	struct ht_resp *r = ht_request("GET", "/api/v1/vocabulary", NULL, NULL);
	struct {
		const char *key;
		char *sql;
	} cases[sizeof(names) / sizeof(names[0]) + 2];
	size_t n = 0;

	ck_assert_msg(c != NULL, "cannot connect as the owner");
	HT_ASSERT_STATUS(r, 200);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cases[n].key = names[i];
		cases[n++].sql =
		    ht_fmt("SELECT string_agg(code, ',' ORDER BY position) FROM vocabulary"
		           " WHERE name = '%s'",
		           names[i]);
	}
	cases[n].key = "company_finding_status";
	cases[n++].sql = ht_fmt("SELECT string_agg(code, ',' ORDER BY position) FROM vocabulary"
	                        " WHERE name = 'finding_status' AND company_may_set");
	cases[n].key = "threat_model";
	cases[n++].sql =
	    ht_fmt("SELECT string_agg(code, ',' ORDER BY position) FROM threat_models");
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_object_get(r->json, cases[i].key), *v;
		char *want = ht_db_value(c, cases[i].sql, NULL), *got = ht_fmt("%s", "");
		size_t k;

		ck_assert_msg(json_is_array(a), "%s missing: %s", cases[i].key, HT_BODY(r));
		json_array_foreach(a, k, v)
		{
			char *more = ht_fmt("%s%s%s", got, k ? "," : "", json_string_value(v));

			free(got);
			got = more;
		}
		ck_assert_msg(want != NULL && strcmp(got, want) == 0, "%s: API %s, database %s",
		              cases[i].key, got, want ? want : "(null)");
		free(want);
		free(got);
		free(cases[i].sql);
	}
	ht_resp_free(r);
	PQfinish(c);
}
END_TEST

/* ---------------------------------------------- the coordinator is blind */

START_TEST(test_coordinator_blind)
{
	char *p;
	struct ht_resp *r;
	json_t *engs, *e;
	size_t i;
	int found_ax = 0;
	const char *deny[] = {"/api/v1/engagements/%s/findings", "/api/v1/findings/%s",
	                      "/api/v1/findings/%s/history", "/api/v1/engagements/%s/claims",
	                      "/api/v1/engagements/%s/statement"};

	p = ht_fmt("/api/v1/campaigns/%s", W.campaign_id);
	r = get_ok(p, W.coord.token);
	assert_no_world_secret(r);
	engs = json_object_get(r->json, "engagements");
	ck_assert_msg(json_is_array(engs) && json_array_size(engs) >= 2,
	              "coordinator's campaign lacks engagements: %s", r->body);
	json_array_foreach(engs, i, e)
	{
		json_t *pr = json_object_get(e, "progress");
		const char *id = ht_ostr(e, "id");

		ck_assert_msg(json_is_object(pr) && json_object_size(pr) > 0,
		              "engagement without progress: %s", r->body);
		ck_assert_msg(json_object_get(e, "scope") == NULL, "scope shown to coordinator: %s",
		              r->body);
		if (id && strcmp(id, W.eng_ax) == 0) {
			json_t *ft = json_object_get(pr, "findings_total");

			found_ax = 1;
			if (ft != NULL)
				ck_assert_msg(json_is_integer(ft) && json_integer_value(ft) >= 1,
				              "progress does not count A×X's finding: %s", r->body);
		}
	}
	ck_assert_msg(found_ax, "A×X not among the campaign's engagements: %s", r->body);
	ht_resp_free(r);
	free(p);

	p = ht_fmt("/api/v1/engagements/%s", W.eng_ax);
	r = get_ok(p, W.coord.token);
	ck_assert_msg(json_object_get(r->json, "scope") == NULL, "scope shown to coordinator: %s",
	              r->body);
	assert_no_world_secret(r);
	ht_resp_free(r);
	free(p);

	r = get_ok("/api/v1/engagements?limit=200", W.coord.token);
	assert_no_world_secret(r);
	ht_resp_free(r);
	r = get_ok("/api/v1/campaigns?limit=200", W.coord.token);
	assert_no_world_secret(r);
	ht_resp_free(r);

	for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		const char *id = strstr(deny[i], "findings/%s") ? W.finding_a : W.eng_ax;

		p = ht_subst(deny[i], id);
		r = ht_request("GET", p, W.coord.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		assert_no_world_secret(r);
		ht_resp_free(r);
		free(p);
	}
}
END_TEST

/*
 * Right-to-left writing keeps its bidirectional controls when each is
 * closed on its own line, byte for byte (check_badinput sends the ones
 * left open, which are refused).
 */
START_TEST(test_bidi_text_kept)
{
	/* an Arabic title; a detail with RLI ... PDI and RLO ... PDF, each closed */
	const char *title = "\xd8\xa7\xd9\x84\xd8\xa7\xd8\xb3\xd9\x85 \xe2\x80\x8f share";
	const char *detail = "path \xe2\x81\xa7\xd8\xa7\xd9\x84\xe2\x81\xa9 read\n"
	                     "quoted \xe2\x80\xae\xd8\xa7\xd9\x84\xe2\x80\xac end";
	char *p = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	char *body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "IP-THEFT", "title",
	                                title, "detail", detail, "severity", "low"));
	struct ht_resp *r = ht_request("POST", p, W.x.admin.token, body);
	char *fp;

	HT_ASSERT_STATUS(r, 201);
	fp = ht_fmt("/api/v1/findings/%s", ht_jstr(r, "id"));
	ht_resp_free(r);
	r = get_ok(fp, W.a.admin.token);
	ck_assert_msg(ht_jstr(r, "title") && strcmp(ht_jstr(r, "title"), title) == 0,
	              "title changed: %s", r->body);
	ck_assert_msg(ht_jstr(r, "detail") && strcmp(ht_jstr(r, "detail"), detail) == 0,
	              "detail changed: %s", r->body);
	ht_resp_free(r);
	free(fp);
	free(body);
	free(p);
}
END_TEST

/* ---------------------------------------------------------------- audit */

START_TEST(test_audit_chain)
{
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *v;
	int ok;

	ck_assert_msg(c != NULL, "cannot connect as the owner");
	v = ht_db_value(c, "SELECT audit_verify()", &ok);
	ck_assert_msg(ok, "audit_verify() failed");
	ck_assert_msg(v == NULL, "audit chain broken at event %s", v ? v : "");
	ck_assert_msg(ht_db_count_conn(
	                  c, "SELECT count(*) FROM audit_events WHERE action LIKE 'finding.%'") > 0,
	              "no finding.* audit events");
	ck_assert_msg(ht_db_count_conn(c, "SELECT count(*) FROM audit_events") > 0,
	              "no audit events at all");
	PQfinish(c);
}
END_TEST

/* ----------------------------------------------------------------- dump */

START_TEST(test_dump_has_no_secrets)
{
	const char *bin = ht_env_req("LOCKSTEP_TEST_PG_BIN");
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	char *dmark = ht_fmt("MARKER-D-%s", W.tag);
	char *rmark = ht_fmt("MARKER-R-%s", W.tag);
	char *title = ht_fmt("Dump title %s", dmark);
	char *detail = ht_fmt("Dump detail %s", dmark);
	char *resp = ht_fmt("Dump response %s", rmark);
	char *p, *body, *fid, *exe, *dump;
	char *argv[4];
	struct ht_resp *r;
	size_t len;
	int st, i;
	const char *markers[8];

	/* the participants read the claim and statement back decrypted */
	p = ht_fmt("/api/v1/engagements/%s/claims", W.eng_by);
	r = get_ok(p, W.y.admin.token);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, W.pub_b), "claim not read back");
	ht_resp_free(r);
	free(p);
	p = ht_fmt("/api/v1/engagements/%s/statement", W.eng_by);
	r = get_ok(p, W.b.admin.token);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, W.pub_b), "statement not read back");
	ht_resp_free(r);
	free(p);

	p = ht_fmt("/api/v1/engagements/%s/findings", W.eng_by);
	body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "IP-THEFT", "title",
	                          title, "detail", detail, "severity", "critical"));
	r = ht_request("POST", p, W.y.admin.token, body);
	HT_ASSERT_STATUS(r, 201);
	fid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(body);
	free(p);
	p = ht_fmt("/api/v1/findings/%s", fid);
	body = ht_jdump(json_pack("{s:s}", "response", resp));
	r = ht_request("PATCH", p, W.b.admin.token, body);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	free(body);
	/* the company read it back decrypted, so the server really has it */
	r = get_ok(p, W.b.admin.token);
	ck_assert_str_eq(ht_jstr(r, "response"), resp);
	ht_resp_free(r);
	free(p);

	exe = ht_fmt("%s/pg_dump", bin);
	argv[0] = exe;
	argv[1] = (char *)"-d";
	argv[2] = (char *)owner;
	argv[3] = NULL;
	dump = ht_run_capture(argv, &len, &st);
	ck_assert_msg(dump != NULL && st == 0, "pg_dump failed (status %d)", st);
	ck_assert_msg(len > 1000, "the dump is too small to be real (%zu bytes)", len);
	/* the test can fail: non-confidential values are in the dump */
	ck_assert_msg(
	    ht_mem_contains(dump, len, W.campaign_slug),
	    "the campaign slug is not in the dump: is this a dump of the right database?");
	ck_assert_msg(ht_mem_contains(dump, len, W.a.org_name), "the org name is not in the dump");
	markers[0] = W.mark_a;
	markers[1] = W.mark_b;
	markers[2] = dmark;
	markers[3] = rmark;
	markers[4] = W.scope_a;
	markers[5] = "Dump detail";
	/* claim summaries and statements of an unreleased campaign (issue 8) */
	markers[6] = W.pub_a;
	markers[7] = W.pub_b;
	for (i = 0; i < 8; i++)
		ck_assert_msg(!ht_mem_contains_any_form(dump, len, markers[i]),
		              "confidential text \"%s\" is readable in pg_dump", markers[i]);
	free(dump);
	free(exe);
	free(fid);
	free(resp);
	free(detail);
	free(title);
	free(rmark);
	free(dmark);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_walkthrough);
	tcase_add_test(tc, test_me_roles);
	tcase_add_test(tc, test_login_answer);
	tcase_add_test(tc, test_logout_revokes);
	tcase_add_test(tc, test_admin_revokes_sessions);
	tcase_add_test(tc, test_cookie_csrf);
	tcase_add_test(tc, test_pagination);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_security_headers);
	tcase_add_test(tc, test_ops);
	tcase_add_test(tc, test_vocabulary);
	tcase_add_test(tc, test_coordinator_blind);
	tcase_add_test(tc, test_bidi_text_kept);
	tcase_add_test(tc, test_audit_chain);
	tcase_add_test(tc, test_dump_has_no_secrets);
	tcase_add_test(tc, test_api_tokens);
	tcase_add_test(tc, test_signing_key_history);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_login_throttle); /* last: it exhausts the address's budget */
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, api_suite);
}

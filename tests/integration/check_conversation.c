/*
 * check_conversation: findings as a conversation and notifications (issue
 * 11, parts 4 and 5): comments (sealed at rest, in the history), the
 * finding status machine (every allowed and every refused transition),
 * risk acceptance (asked by the company, decided by the assessor, never
 * the same organisation, also in SQL), retests, remediation deadlines and
 * their defaults, the in-app inbox, and webhooks received by a receiver on
 * loopback (valid HMAC, retried after a 500, no confidential text).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "util/util.h"

static struct ht_world W;

/* ------------------------------------------------------------ helpers */

static struct ht_resp *
req_status(const char *method, const char *path, const char *token, const char *body, long want)
{
	struct ht_resp *r = ht_request(method, path, token, body);

	HT_ASSERT_STATUS(r, want);
	return r;
}

static void
req_free(const char *method, const char *path, const char *token, const char *body, long want)
{
	ht_resp_free(req_status(method, path, token, body, want));
}

/* A new finding in A×X as X; returns its id (malloc'd). */
static char *
new_finding(const char *severity, const char *title)
{
	char *path = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	char *body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL",
	                                "title", title, "detail", "detail of a conversation test",
	                                "severity", severity));
	struct ht_resp *r = req_status("POST", path, W.x.admin.token, body, 201);
	char *id = strdup(ht_jstr(r, "id"));

	ht_resp_free(r);
	free(body);
	free(path);
	return id;
}

/* The finding's status as the database has it (owner DSN), malloc'd. */
static char *
db_status(const char *finding)
{
	PGconn *o = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *q = ht_fmt("SELECT status FROM findings WHERE id = '%s'", finding);
	char *v;

	ck_assert_ptr_nonnull(o);
	v = ht_db_value(o, q, NULL);
	ck_assert_msg(v != NULL, "no status for %s", finding);
	free(q);
	PQfinish(o);
	return v;
}

/* Set the finding's status behind the API's back (superuser, triggers off). */
static void
force_status(const char *finding, const char *status)
{
	PGconn *s = ht_db_open(ht_env_req("LOCKSTEP_TEST_SUPER_DSN"));
	char *q =
	    ht_fmt("SET session_replication_role = replica; UPDATE findings SET status = '%s' "
	           "WHERE id = '%s'",
	           status, finding);
	char st[6];

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(ht_db_exec(s, q, st) == 0, "%s: %s", q, PQerrorMessage(s));
	free(q);
	PQfinish(s);
}

static char *
patch_status_body(const char *status)
{
	return ht_jdump(json_pack("{s:s}", "status", status));
}

/* ------------------------------------------------------------ comments */

START_TEST(test_comments)
{
	char *path = ht_fmt("/api/v1/findings/%s/comments", W.finding_a);
	char *secret_a = ht_unique("comment-by-a"), *secret_x = ht_unique("comment-by-x");
	char *body_a = ht_jdump(json_pack("{s:s}", "body", secret_a));
	char *body_x = ht_jdump(json_pack("{s:s}", "body", secret_x));
	char *hist = ht_fmt("/api/v1/findings/%s/history", W.finding_a);
	char *q;
	struct ht_resp *r;
	json_t *items;

	r = req_status("POST", path, W.a.admin.token, body_a, 201);
	ck_assert_str_eq(ht_jstr(r, "body"), secret_a);
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "author"), "kind"), "company");
	ht_resp_free(r);
	req_free("POST", path, W.x.admin.token, body_x, 201);
	/* the thread, oldest first, for both sides */
	r = req_status("GET", path, W.x.admin.token, NULL, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_ge(json_array_size(items), 2);
	ck_assert_str_eq(ht_ostr(json_array_get(items, json_array_size(items) - 2), "body"),
	                 secret_a);
	ck_assert_str_eq(ht_ostr(json_array_get(items, json_array_size(items) - 1), "body"),
	                 secret_x);
	ht_resp_free(r);
	/* and in the finding's history */
	r = req_status("GET", hist, W.a.admin.token, NULL, 200);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, secret_x),
	              "history without comments: %s", HT_BODY(r));
	ck_assert_ptr_nonnull(json_object_get(r->json, "comments"));
	ht_resp_free(r);
	/* others: the same 404 as an unknown finding, and nothing stored */
	{
		char unknown[37];
		char *upath;
		struct ht_resp *ref;
		const char *tokens[] = {W.b.admin.token, W.y.admin.token, W.coord.token};

		ht_random_uuid(unknown);
		upath = ht_fmt("/api/v1/findings/%s/comments", unknown);
		ref = req_status("POST", upath, W.b.admin.token, body_a, 404);
		for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
			r = req_status("POST", path, tokens[i], body_a, 404);
			ck_assert_str_eq(r->body, ref->body);
			ht_resp_free(r);
			r = req_status("GET", path, tokens[i], NULL, 404);
			ck_assert_str_eq(r->body, ref->body);
			ht_resp_free(r);
		}
		ht_resp_free(ref);
		free(upath);
	}
	/* bad input */
	req_free("POST", path, W.a.admin.token, "{\"body\":\"\"}", 422);
	req_free("POST", path, W.a.admin.token, "{\"body\":7}", 422);
	req_free("POST", path, W.a.admin.token, "{\"body\":\"x\",\"extra\":1}", 422);
	req_free("POST", path, W.a.admin.token, "{\"body\":\"x\"", 400);
	req_free("POST", path, W.a.admin.token, "{\"body\":\"bell\\u0007\"}", 422);
	/* sealed at rest: the plaintext is nowhere in the table */
	q = ht_fmt("SELECT count(*) FROM finding_comments WHERE position(convert_to('%s', 'UTF8') "
	           "IN body) > 0 OR encode(body, 'escape') LIKE '%%%s%%'",
	           secret_a, secret_a);
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q), 0);
	free(q);
	q = ht_fmt("SELECT count(*) FROM finding_comments WHERE finding_id = '%s'", W.finding_a);
	ck_assert_int_ge(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q), 2);
	free(q);
	/* X hears of A's comment in its inbox */
	r = req_status("GET", "/api/v1/inbox?unread=1", W.x.admin.token, NULL, 200);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, "finding.comment"),
	              "no comment notification: %s", HT_BODY(r));
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, secret_a), "inbox leaks the text");
	ht_resp_free(r);
	free(hist);
	free(body_a);
	free(body_x);
	free(secret_a);
	free(secret_x);
	free(path);
}
END_TEST

/* ------------------------------------------------------ status machine */

static const char *const statuses[] = {"open",     "remediating",    "remediated",
                                       "accepted", "false-positive", "verified"};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* The rules, written out independently of the database's table. */
static int
patch_allowed(const char *kind, const char *from, const char *to)
{
	static const char *const company[][2] = {{"open", "remediating"},
	                                         {"open", "remediated"},
	                                         {"remediating", "remediated"},
	                                         {"remediated", "remediating"}};
	static const char *const assessor[][2] = {
	    {"open", "remediating"},       {"open", "remediated"},
	    {"open", "false-positive"},    {"remediating", "open"},
	    {"remediating", "remediated"}, {"remediating", "false-positive"},
	    {"remediated", "open"},        {"remediated", "remediating"},
	    {"accepted", "open"},          {"false-positive", "open"},
	    {"verified", "open"}};
	int is_company = strcmp(kind, "company") == 0;
	size_t n = is_company ? 4 : 11;

	if (strcmp(from, to) == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		const char *const *p = is_company ? company[i] : assessor[i];

		if (strcmp(p[0], from) == 0 && strcmp(p[1], to) == 0)
			return 1;
	}
	return 0;
}

START_TEST(test_status_machine)
{
	char *f = new_finding("medium", "status machine");
	char *path = ht_fmt("/api/v1/findings/%s", f);
	int checked = 0;

	for (int who = 0; who < 2; who++) {
		const char *kind = who == 0 ? "company" : "assessor";
		const char *token = who == 0 ? W.a.admin.token : W.x.admin.token;

		for (size_t i = 0; i < NSTATUS; i++)
			for (size_t j = 0; j < NSTATUS; j++) {
				char *body = patch_status_body(statuses[j]);
				int company_may = strcmp(statuses[j], "remediating") == 0 ||
				                  strcmp(statuses[j], "remediated") == 0;
				long want =
				    patch_allowed(kind, statuses[i], statuses[j]) ? 200 : 409;
				struct ht_resp *r;
				char *now;

				if (who == 0 && !company_may)
					want = 422; /* not a status a company names */
				force_status(f, statuses[i]);
				r = ht_request("PATCH", path, token, body);
				ck_assert_msg(
				    r->status == want, "%s %s -> %s: expected %ld, got %ld: %s",
				    kind, statuses[i], statuses[j], want, r->status, HT_BODY(r));
				if (want != 200)
					ck_assert_msg(r->content_type &&
					                  strstr(r->content_type, "problem+json"),
					              "refusal is not problem+json");
				now = db_status(f);
				ck_assert_str_eq(now, want == 200 ? statuses[j] : statuses[i]);
				free(now);
				ht_resp_free(r);
				free(body);
				checked++;
			}
	}
	ck_assert_int_eq(checked, 2 * NSTATUS * NSTATUS);
	/* a new finding is never created accepted or verified */
	{
		char *fp = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
		const char *bad[] = {"accepted", "verified"};

		for (size_t i = 0; i < 2; i++) {
			char *body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s, s:s}", "threat_model",
			                                "WEIGHTS-EXFIL", "title", "t", "detail",
			                                "d", "severity", "low", "status", bad[i]));

			req_free("POST", fp, W.x.admin.token, body, 422);
			free(body);
		}
		free(fp);
	}
	/* the database refuses the same even without the API (app role, assessor identity) */
	{
		PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
		char *id = ht_fmt("BEGIN; SELECT set_config('lockstep.user_id', '%s', true), "
		                  "set_config('lockstep.org_id', '%s', true), "
		                  "set_config('lockstep.org_kind', 'assessor', true), "
		                  "set_config('lockstep.role', 'admin', true); "
		                  "UPDATE findings SET status = 'accepted' WHERE id = '%s'",
		                  W.x.admin.user_id, W.x.org_id, f);
		char st[6];

		force_status(f, "open");
		ck_assert_msg(ht_db_exec(c, id, st) != 0 && strcmp(st, "42501") == 0,
		              "the database let the assessor set accepted directly (%s)", st);
		ht_db_exec(c, "ROLLBACK", NULL);
		free(id);
		PQfinish(c);
	}
	free(path);
	free(f);
}
END_TEST

/* ------------------------------------------------------ risk acceptance */

static char *
risk_body(const char *justification, int days)
{
	char *t = ht_future_time(days);
	char *b =
	    ht_jdump(json_pack("{s:s, s:s}", "justification", justification, "expires_at", t));

	free(t);
	return b;
}

START_TEST(test_risk_acceptance)
{
	char *f = new_finding("high", "risk acceptance");
	char *g = new_finding("low", "risk refused");
	char *path = ht_fmt("/api/v1/findings/%s/risk-acceptances", f);
	char *gpath = ht_fmt("/api/v1/findings/%s/risk-acceptances", g);
	char *just = ht_unique("compensating-control");
	char *body = risk_body(just, 30);
	char *dpath, *gdpath, *q, *st;
	struct ht_resp *r;
	char *rid, *gid;

	/* only the company asks */
	req_free("POST", path, W.x.admin.token, body, 404);
	req_free("POST", path, W.b.admin.token, body, 404);
	req_free("POST", path, W.coord.token, body, 404);
	/* bad input */
	req_free("POST", path, W.a.admin.token, "{\"justification\":\"x\"}", 422);
	req_free("POST", path, W.a.admin.token,
	         "{\"justification\":\"x\",\"expires_at\":\"tomorrow\"}", 422);
	req_free("POST", path, W.a.admin.token,
	         "{\"justification\":\"x\",\"expires_at\":\"2001-01-01T00:00:00Z\"}", 422);
	req_free("POST", path, W.a.admin.token, "{\"justification\":1,\"expires_at\":2}", 422);
	r = req_status("POST", path, W.a.admin.token, body, 201);
	ck_assert_str_eq(ht_jstr(r, "state"), "pending");
	ck_assert_str_eq(ht_jstr(r, "justification"), just);
	rid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	/* one pending request per finding */
	req_free("POST", path, W.a.admin.token, body, 409);
	dpath = ht_fmt("/api/v1/findings/%s/risk-acceptances/%s/decision", f, rid);
	/* the company (the requester) never decides; nor anyone but the assessor */
	req_free("POST", dpath, W.a.admin.token, "{\"decision\":\"accept\"}", 404);
	req_free("POST", dpath, W.y.admin.token, "{\"decision\":\"accept\"}", 404);
	req_free("POST", dpath, W.coord.token, "{\"decision\":\"accept\"}", 404);
	req_free("POST", dpath, W.x.admin.token, "{\"decision\":\"maybe\"}", 422);
	/* ... and not through the database either */
	{
		PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
		char *sql =
		    ht_fmt("BEGIN; SELECT set_config('lockstep.user_id', '%s', true), "
		           "set_config('lockstep.org_id', '%s', true), "
		           "set_config('lockstep.org_kind', 'company', true), "
		           "set_config('lockstep.role', 'admin', true); "
		           "UPDATE risk_acceptances SET state = 'accepted', decided_by = '%s', "
		           "decided_org = '%s', decided_at = now() WHERE id = '%s' "
		           "RETURNING id",
		           W.a.admin.user_id, W.a.org_id, W.a.admin.user_id, W.a.org_id, rid);
		char sst[6];
		int ok;
		char *v;

		v = ht_db_value(c, sql, &ok);
		ck_assert_msg(v == NULL, "the company decided its own request in SQL");
		free(v);
		ht_db_exec(c, "ROLLBACK", NULL);
		free(sql);
		/* the constraint itself: requester and approver never the same organisation */
		PQfinish(c);
		c = ht_db_open(ht_env_req("LOCKSTEP_TEST_SUPER_DSN"));
		sql = ht_fmt("SET session_replication_role = replica; UPDATE risk_acceptances SET "
		             "state = 'accepted', decided_by = requested_by, decided_org = "
		             "requested_org, decided_at = now() WHERE id = '%s'",
		             rid);
		ck_assert_msg(ht_db_exec(c, sql, sst) != 0 && strncmp(sst, "23", 2) == 0,
		              "a same-organisation decision passed the constraints (%s)", sst);
		free(sql);
		PQfinish(c);
	}
	st = db_status(f);
	ck_assert_str_eq(st, "open");
	free(st);
	r = req_status("POST", dpath, W.x.admin.token,
	               "{\"decision\":\"accept\",\"note\":\"until the migration\"}", 200);
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "risk_acceptance"), "state"), "accepted");
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "finding"), "status"), "accepted");
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "risk_acceptance"), "decided_org"),
	                 W.x.org_id);
	ht_resp_free(r);
	st = db_status(f);
	ck_assert_str_eq(st, "accepted");
	free(st);
	/* decided once */
	req_free("POST", dpath, W.x.admin.token, "{\"decision\":\"refuse\"}", 409);
	/* when the acceptance runs out, both sides are told, once */
	{
		PGconn *s = ht_db_open(ht_env_req("LOCKSTEP_TEST_SUPER_DSN"));
		PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
		char *sql =
		    ht_fmt("SET session_replication_role = replica; UPDATE risk_acceptances "
		           "SET expires_at = now() - interval '1 hour' WHERE id = '%s'",
		           rid);
		char *cnt = ht_fmt("SELECT count(*) FROM notifications WHERE type = 'risk.expired' "
		                   "AND object_id = '%s'",
		                   rid);
		const char *run =
		    "BEGIN; SELECT set_config('lockstep.org_kind', 'notifier', true); "
		    "SELECT notify_deadlines(1); COMMIT";
		long long n1;

		ck_assert_msg(ht_db_exec(s, sql, NULL) == 0, "%s", PQerrorMessage(s));
		ck_assert_msg(ht_db_exec(c, run, NULL) == 0, "%s", PQerrorMessage(c));
		n1 = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), cnt);
		ck_assert_msg(n1 >= 2, "%lld risk.expired notices", n1);
		ck_assert_msg(ht_db_exec(c, run, NULL) == 0, "%s", PQerrorMessage(c));
		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), cnt), n1);
		r = req_status("GET", path, W.a.admin.token, NULL, 200);
		ck_assert_msg(json_is_true(json_object_get(
		                  json_array_get(json_object_get(r->json, "items"), 0), "expired")),
		              "the request is not shown expired: %s", HT_BODY(r));
		ht_resp_free(r);
		free(cnt);
		free(sql);
		PQfinish(c);
		PQfinish(s);
	}
	/* an accepted finding is not asked again */
	req_free("POST", path, W.a.admin.token, body, 409);
	/* refused: the finding stays as it was */
	r = req_status("POST", gpath, W.a.admin.token, body, 201);
	gid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	gdpath = ht_fmt("/api/v1/findings/%s/risk-acceptances/%s/decision", g, gid);
	/* the decision route checks the pair: f's request under g answers 404 */
	q = ht_fmt("/api/v1/findings/%s/risk-acceptances/%s/decision", g, rid);
	req_free("POST", q, W.x.admin.token, "{\"decision\":\"refuse\"}", 404);
	free(q);
	req_free("POST", gdpath, W.x.admin.token, "{\"decision\":\"refuse\"}", 200);
	st = db_status(g);
	ck_assert_str_eq(st, "open");
	free(st);
	/* an expired request cannot be accepted */
	r = req_status("POST", gpath, W.a.admin.token, body, 201);
	free(gid);
	gid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	{
		PGconn *s = ht_db_open(ht_env_req("LOCKSTEP_TEST_SUPER_DSN"));
		char *sql =
		    ht_fmt("SET session_replication_role = replica; UPDATE risk_acceptances "
		           "SET expires_at = now() - interval '1 day' WHERE id = '%s'",
		           gid);

		ck_assert_msg(ht_db_exec(s, sql, NULL) == 0, "%s", PQerrorMessage(s));
		free(sql);
		PQfinish(s);
	}
	free(gdpath);
	gdpath = ht_fmt("/api/v1/findings/%s/risk-acceptances/%s/decision", g, gid);
	req_free("POST", gdpath, W.x.admin.token, "{\"decision\":\"accept\"}", 409);
	/* both sides see the requests; A is told of the decision */
	r = req_status("GET", path, W.x.admin.token, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
	ht_resp_free(r);
	req_free("GET", path, W.b.admin.token, NULL, 404);
	r = req_status("GET", "/api/v1/inbox", W.a.admin.token, NULL, 200);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, "risk.decided"), "no decision notice");
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, just), "inbox leaks the text");
	ht_resp_free(r);
	/* sealed at rest */
	q = ht_fmt("SELECT count(*) FROM risk_acceptances WHERE encode(justification, 'escape') "
	           "LIKE '%%%s%%'",
	           just);
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q), 0);
	free(q);
	free(dpath);
	free(gdpath);
	free(gid);
	free(rid);
	free(body);
	free(just);
	free(gpath);
	free(path);
	free(g);
	free(f);
}
END_TEST

/* ------------------------------------------------------------ retests */

START_TEST(test_retest)
{
	char *f = new_finding("critical", "retest passes");
	char *g = new_finding("low", "retest fails");
	char *path = ht_fmt("/api/v1/findings/%s/retests", f);
	char *gpath = ht_fmt("/api/v1/findings/%s/retests", g);
	char *fpatch = ht_fmt("/api/v1/findings/%s", f);
	char *gpatch = ht_fmt("/api/v1/findings/%s", g);
	char *note = ht_unique("retest-note");
	char *pass =
	    ht_jdump(json_pack("{s:s, s:s, s:[]}", "result", "passed", "note", note, "evidence"));
	char unknown[37], *bad_ev, *st;
	struct ht_resp *r;

	/* only a remediated finding */
	req_free("POST", path, W.x.admin.token, pass, 409);
	req_free("PATCH", fpatch, W.a.admin.token, "{\"status\":\"remediated\"}", 200);
	req_free("PATCH", gpatch, W.a.admin.token, "{\"status\":\"remediated\"}", 200);
	/* only the assessor */
	req_free("POST", path, W.a.admin.token, pass, 404);
	req_free("POST", path, W.y.admin.token, pass, 404);
	req_free("POST", path, W.coord.token, pass, 404);
	/* bad input: result, evidence of no (or another) engagement */
	req_free("POST", path, W.x.admin.token, "{\"result\":\"ok\",\"note\":\"n\"}", 422);
	req_free("POST", path, W.x.admin.token, "{\"result\":\"passed\"}", 422);
	req_free("POST", path, W.x.admin.token,
	         "{\"result\":\"passed\",\"note\":\"n\",\"evidence\":[\"nope\"]}", 422);
	ht_random_uuid(unknown);
	bad_ev = ht_jdump(
	    json_pack("{s:s, s:s, s:[s]}", "result", "passed", "note", "n", "evidence", unknown));
	req_free("POST", path, W.x.admin.token, bad_ev, 422);
	st = db_status(f);
	ck_assert_str_eq(st, "remediated");
	free(st);
	r = req_status("POST", path, W.x.admin.token, pass, 201);
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "finding"), "status"), "verified");
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "retest"), "note"), note);
	ht_resp_free(r);
	req_free("POST", path, W.x.admin.token, pass, 409);
	r = req_status("POST", gpath, W.x.admin.token,
	               "{\"result\":\"failed\",\"note\":\"still open\"}", 201);
	ck_assert_str_eq(ht_ostr(json_object_get(r->json, "finding"), "status"), "open");
	ht_resp_free(r);
	r = req_status("GET", path, W.a.admin.token, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
	ht_resp_free(r);
	req_free("GET", path, W.b.admin.token, NULL, 404);
	free(bad_ev);
	free(pass);
	free(note);
	free(fpatch);
	free(gpatch);
	free(gpath);
	free(path);
	free(g);
	free(f);
}
END_TEST

/* ------------------------------------------------------------ deadlines */

START_TEST(test_deadlines)
{
	char *path = ht_fmt("/api/v1/campaigns/%s/remediation-days", W.campaign_id);
	char *in30 = ht_future_time(30), *in1 = ht_future_time(1);
	char *f, *fpath, *due;
	struct ht_resp *r;

	req_free("PUT", path, W.a.admin.token, "{\"high\":30}", 404);
	req_free("PUT", path, W.x.admin.token, "{\"high\":30}", 404);
	req_free("PUT", path, W.coord.token, "{\"high\":0}", 422);
	req_free("PUT", path, W.coord.token, "{\"high\":\"30\"}", 422);
	req_free("PUT", path, W.coord.token, "{\"severe\":30}", 422);
	req_free("PUT", path, W.coord.token, "{\"high\":3651}", 422);
	r = req_status("PUT", path, W.coord.token, "{\"critical\":7,\"high\":30}", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "high")), 30);
	ht_resp_free(r);
	r = req_status("GET", path, W.a.admin.token, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "critical")), 7);
	ht_resp_free(r);
	req_free("GET", path, W.b.admin.token, NULL, 200 /* B takes part in campaign 1 */);
	{
		char *p2 = ht_fmt("/api/v1/campaigns/%s/remediation-days", W.campaign2_id);

		req_free("GET", p2, W.b.admin.token, NULL, 404);
		free(p2);
	}
	/* a new high finding is due in 30 days */
	f = new_finding("high", "deadline default");
	fpath = ht_fmt("/api/v1/findings/%s", f);
	r = req_status("GET", fpath, W.a.admin.token, NULL, 200);
	due = strdup(ht_jstr(r, "remediation_due") ? ht_jstr(r, "remediation_due") : "");
	ck_assert_msg(strncmp(due, in30, 10) == 0, "due %s, expected the day of %s", due, in30);
	ht_resp_free(r);
	/* the assessor moves it; the company may not */
	{
		char *b = ht_jdump(json_pack("{s:s}", "remediation_due", in1));

		req_free("PATCH", fpath, W.a.admin.token, b, 422);
		r = req_status("PATCH", fpath, W.x.admin.token, b, 200);
		ck_assert_msg(strncmp(ht_jstr(r, "remediation_due"), in1, 10) == 0, "not moved");
		ht_resp_free(r);
		req_free("PATCH", fpath, W.x.admin.token, "{\"remediation_due\":\"soon\"}", 422);
		free(b);
	}
	/* near its deadline: the notifier tells both sides, once */
	{
		PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
		char *q;

		ck_assert_msg(
		    ht_db_exec(c,
		               "BEGIN; SELECT set_config('lockstep.org_kind', 'notifier', "
		               "true); SELECT notify_deadlines(259200); COMMIT",
		               NULL) == 0,
		    "notify_deadlines: %s", PQerrorMessage(c));
		q = ht_fmt(
		    "SELECT count(*) FROM notifications WHERE type = 'finding.deadline_near' "
		    "AND object_id = '%s'",
		    f);
		ck_assert_int_ge(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q), 2);
		ck_assert_msg(
		    ht_db_exec(c,
		               "BEGIN; SELECT set_config('lockstep.org_kind', 'notifier', "
		               "true); SELECT notify_deadlines(259200); COMMIT",
		               NULL) == 0,
		    "notify_deadlines: %s", PQerrorMessage(c));
		{
			long long n = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q);
			PGconn *o = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
			char *q2 =
			    ht_fmt("SELECT count(DISTINCT user_id) FROM notifications WHERE type "
			           "= 'finding.deadline_near' AND object_id = '%s'",
			           f);

			ck_assert_int_eq(n, ht_db_count_conn(o, q2)); /* once per user */
			free(q2);
			PQfinish(o);
		}
		/* a company identity may not run it */
		free(q);
		q = ht_fmt("BEGIN; SELECT set_config('lockstep.user_id', '%s', true), "
		           "set_config('lockstep.org_kind', 'company', true); "
		           "SELECT notify_deadlines(259200)",
		           W.a.admin.user_id);
		ck_assert_msg(ht_db_exec(c, q, NULL) != 0, "a company ran notify_deadlines");
		ht_db_exec(c, "ROLLBACK", NULL);
		free(q);
		PQfinish(c);
	}
	free(due);
	free(fpath);
	free(f);
	free(in1);
	free(in30);
	free(path);
}
END_TEST

/* ------------------------------------------------------------ inbox */

START_TEST(test_inbox)
{
	struct ht_resp *r;
	long long before, after;
	char *id, *p, *f;

	/* X records a finding: A hears of it, the coordinator and B do not */
	f = new_finding("low", "inbox");
	r = req_status("GET", "/api/v1/inbox/unread", W.a.admin.token, NULL, 200);
	before = json_integer_value(json_object_get(r->json, "unread"));
	ck_assert_int_ge(before, 1);
	ht_resp_free(r);
	r = req_status("GET", "/api/v1/inbox?unread=1&limit=200", W.a.admin.token, NULL, 200);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, f), "no notice of the new finding");
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "unread")), before);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.mark_a), "inbox leaks text");
	id = strdup(ht_ostr(json_array_get(json_object_get(r->json, "items"), 0), "id"));
	ht_resp_free(r);
	r = req_status("GET", "/api/v1/inbox?limit=200", W.b.admin.token, NULL, 200);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, f), "B was told of A's finding");
	ht_resp_free(r);
	r = req_status("GET", "/api/v1/inbox?limit=200", W.coord.token, NULL, 200);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, f), "the coordinator was told");
	ht_resp_free(r);
	/* another user's notification is 404, like an unknown one; and stays unread */
	p = ht_fmt("/api/v1/inbox/%s/read", id);
	req_free("POST", p, W.b.admin.token, NULL, 404);
	req_free("POST", p, NULL, NULL, 401);
	req_free("POST", p, W.a.admin.token, NULL, 204);
	r = req_status("GET", "/api/v1/inbox/unread", W.a.admin.token, NULL, 200);
	after = json_integer_value(json_object_get(r->json, "unread"));
	ck_assert_int_eq(after, before - 1);
	ht_resp_free(r);
	req_free("POST", "/api/v1/inbox/not-a-uuid/read", W.a.admin.token, NULL, 404);
	req_free("GET", "/api/v1/inbox?unread=yes", W.a.admin.token, NULL, 400);
	req_free("GET", "/api/v1/inbox?limit=0", W.a.admin.token, NULL, 400);
	req_free("GET", "/api/v1/inbox", NULL, NULL, 401);
	r = req_status("POST", "/api/v1/inbox/read-all", W.a.admin.token, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "marked")), after);
	ht_resp_free(r);
	r = req_status("GET", "/api/v1/inbox/unread", W.a.admin.token, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "unread")), 0);
	ht_resp_free(r);
	free(p);
	free(id);
	free(f);
}
END_TEST

/* ------------------------------------------------------------ webhooks */

#define RX_MAX 16
struct rx {
	int fd;
	int port;
	int n;
	char *req[RX_MAX]; /* raw requests */
	pthread_mutex_t mu;
};
static struct rx RX;

static void *
rx_main(void *arg)
{
	struct rx *x = arg;

	for (;;) {
		int c = accept(x->fd, NULL, NULL);
		char buf[65536];
		size_t got = 0;
		const char *answer;

		if (c < 0)
			return NULL;
		/* read the head and the body (Content-Length) */
		for (;;) {
			ssize_t k = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
			char *end, *cl;

			if (k <= 0)
				break;
			got += (size_t)k;
			buf[got] = '\0';
			if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
				size_t want = 0;

				if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL)
					want = strtoul(cl + 17, NULL, 10);
				if (got >= (size_t)(end + 4 - buf) + want)
					break;
			}
			if (got >= sizeof(buf) - 1)
				break;
		}
		pthread_mutex_lock(&x->mu);
		answer = x->n == 0 ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
		                     "Connection: close\r\n\r\n"
		                   : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: "
		                     "close\r\n\r\nok";
		if (x->n < RX_MAX)
			x->req[x->n++] = strndup(buf, got);
		pthread_mutex_unlock(&x->mu);
		(void)!send(c, answer, strlen(answer), MSG_NOSIGNAL);
		close(c);
	}
}

static int
rx_start(struct rx *x)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	pthread_t t;

	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->mu, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((x->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(x->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(x->fd, 16) != 0 ||
	    getsockname(x->fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	x->port = ntohs(a.sin_port);
	return pthread_create(&t, NULL, rx_main, x) == 0 ? 0 : -1;
}

/* Header value of a raw request (malloc'd) or NULL. */
static char *
rx_header(const char *raw, const char *name)
{
	char *key = ht_fmt("\r\n%s:", name);
	const char *p = strcasestr(raw, key), *e;
	char *v = NULL;

	if (p != NULL) {
		p += strlen(key);
		while (*p == ' ')
			p++;
		e = strstr(p, "\r\n");
		v = strndup(p, e ? (size_t)(e - p) : strlen(p));
	}
	free(key);
	return v;
}

START_TEST(test_webhooks)
{
	char *hooks = ht_fmt("/api/v1/orgs/%s/webhooks", W.x.org_id);
	char *url, *body, *secret = ht_unique("whsec-for-the-test-0123456789");
	char *cpath = ht_fmt("/api/v1/findings/%s/comments", W.finding_a);
	char *comment = ht_unique("webhook-must-not-carry-this");
	struct ht_actor member = {0};
	char err[256];
	struct ht_resp *r;
	char *hook, *dpath;
	int retried = 0, verified = 0;

	ck_assert_msg(rx_start(&RX) == 0, "cannot start the receiver");
	url = ht_fmt("http://127.0.0.1:%d/hook", RX.port);
	body = ht_jdump(json_pack("{s:s, s:s, s:[s, s]}", "url", url, "secret", secret, "events",
	                          "finding.comment", "finding.created"));
	/* bad URLs and bodies */
	{
		const char *bad[] = {
		    "{\"url\":\"ftp://example.com/hook\"}",
		    "{\"url\":\"file:///etc/passwd\"}",
		    "{\"url\":\"http://169.254.169.254/latest/meta-data\"}",
		    "{\"url\":\"http://10.1.2.3/hook\"}",
		    "{\"url\":\"http://[::ffff:169.254.169.254]/\"}",
		    "{\"url\":\"http://user:pass@example.com/hook\"}",
		    "{\"url\":\"http://example.com/ hook\"}",
		    "{\"url\":\"https://example.com/hook\",\"events\":[\"nonsense.event\"]}",
		    "{\"url\":\"https://example.com/hook\",\"secret\":\"short\"}",
		    "{\"url\":\"https://example.com/hook\",\"extra\":true}",
		    "{\"url\":7}",
		};
		long long before = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"),
		                               "SELECT count(*) FROM webhooks");

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = ht_request("POST", hooks, W.x.admin.token, bad[i]);
			HT_ASSERT_PROBLEM(r, 422, "invalid-field");
			ht_resp_free(r);
		}
		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"),
		                             "SELECT count(*) FROM webhooks"),
		                 before);
	}
	/* only an admin of the org itself */
	ck_assert_msg(
	    ht_make_user(W.coord.token, W.x.org_id, "member", &member, err, sizeof(err)) == 0, "%s",
	    err);
	req_free("POST", hooks, member.token, body, 404);
	req_free("POST", hooks, W.y.admin.token, body, 404);
	req_free("POST", hooks, W.a.admin.token, body, 404);
	req_free("POST", hooks, W.coord.token, body, 404);
	/* the coordinator's admins have webhooks of their own org (for the release events) */
	{
		char *ch = ht_fmt("/api/v1/orgs/%s/webhooks", W.coord_org_id);
		char *del;

		r = req_status("POST", ch, W.coord.token,
		               "{\"url\":\"https://coordinator.example.com/h\"}", 201);
		del = ht_fmt("/api/v1/webhooks/%s", ht_jstr(r, "id"));
		ht_resp_free(r);
		req_free("GET", ch, W.x.admin.token, NULL, 404);
		req_free("DELETE", del, W.x.admin.token, NULL, 404);
		req_free("DELETE", del, W.coord.token, NULL, 204);
		free(del);
		free(ch);
	}
	/* a generated secret is shown once */
	{
		char *b2 = ht_fmt("{\"url\":\"https://example.com/hook\"}");
		char *del;

		r = req_status("POST", hooks, W.x.admin.token, b2, 201);
		ck_assert_int_eq(strlen(ht_jstr(r, "secret")), 64);
		del = ht_fmt("/api/v1/webhooks/%s", ht_jstr(r, "id"));
		ht_resp_free(r);
		req_free("DELETE", del, W.y.admin.token, NULL, 404);
		req_free("DELETE", del, W.x.admin.token, NULL, 204);
		req_free("DELETE", del, W.x.admin.token, NULL, 404);
		free(del);
		free(b2);
	}
	r = req_status("POST", hooks, W.x.admin.token, body, 201);
	ck_assert_str_eq(ht_jstr(r, "secret"), secret);
	hook = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	/* the list never shows the secret; the secret is sealed at rest */
	r = req_status("GET", hooks, W.x.admin.token, NULL, 200);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, secret), "list shows the secret");
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, hook), "list without the webhook");
	ht_resp_free(r);
	{
		char *q =
		    ht_fmt("SELECT count(*) FROM webhooks WHERE encode(secret, 'escape') LIKE "
		           "'%%%s%%'",
		           secret);

		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q), 0);
		free(q);
	}
	req_free("GET", hooks, member.token, NULL, 404);
	req_free("GET", hooks, W.y.admin.token, NULL, 404);
	/* an event: A comments on its finding */
	{
		char *cb = ht_jdump(json_pack("{s:s}", "body", comment));

		req_free("POST", cpath, W.a.admin.token, cb, 201);
		free(cb);
	}
	/* wait (bounded) for the 500 and the retry */
	for (int i = 0; i < 300; i++) {
		int n;

		pthread_mutex_lock(&RX.mu);
		n = RX.n;
		pthread_mutex_unlock(&RX.mu);
		if (n >= 2)
			break;
		usleep(100000);
	}
	pthread_mutex_lock(&RX.mu);
	ck_assert_msg(RX.n >= 2, "the receiver got %d request(s), expected a retry after the 500",
	              RX.n);
	for (int i = 0; i < RX.n; i++) {
		const char *raw = RX.req[i];
		const char *payload = strstr(raw, "\r\n\r\n");
		char *sig = rx_header(raw, "X-Lockstep-Signature");
		char *ts = rx_header(raw, "X-Lockstep-Timestamp");
		char *delivery = rx_header(raw, "X-Lockstep-Delivery");
		char *event = rx_header(raw, "X-Lockstep-Event");
		unsigned char mac[CRYPTO_SHA256_LEN];
		char hex[2 * CRYPTO_SHA256_LEN + 1], *msg, *want;
		json_t *j;

		ck_assert_ptr_nonnull(payload);
		payload += 4;
		ck_assert_msg(sig && ts && delivery && event, "missing headers: %s", raw);
		ck_assert_msg(strncmp(raw, "POST /hook ", 11) == 0, "not a POST to the URL: %s",
		              raw);
		/* the signature: HMAC-SHA256(secret, "<t>.<body>") */
		msg = ht_fmt("%s.%s", ts, payload);
		ck_assert_int_eq(crypto_hmac_sha256(secret, strlen(secret), msg, strlen(msg), mac),
		                 0);
		util_hex_encode(mac, sizeof(mac), hex);
		want = ht_fmt("t=%s,v1=%s", ts, hex);
		ck_assert_str_eq(sig, want);
		verified++;
		/* a fresh timestamp */
		ck_assert_msg(llabs(atoll(ts) - (long long)time(NULL)) < 300, "stale timestamp %s",
		              ts);
		/* ids and types only */
		ck_assert_msg(!strstr(payload, comment) && !strstr(payload, W.mark_a) &&
		                  !strstr(payload, W.scope_a) && !strstr(payload, W.a.org_name),
		              "payload carries confidential text: %s", payload);
		j = json_loads(payload, 0, NULL);
		ck_assert_msg(j != NULL, "payload is not JSON: %s", payload);
		ck_assert_str_eq(json_string_value(json_object_get(j, "type")), event);
		/* the webhook's event filter holds */
		ck_assert_msg(strcmp(event, "finding.comment") == 0 ||
		                  strcmp(event, "finding.created") == 0,
		              "an event the webhook did not ask for: %s", event);
		ck_assert_str_eq(json_string_value(json_object_get(j, "engagement")), W.eng_ax);
		json_decref(j);
		for (int k = 0; k < i; k++) {
			char *d2 = rx_header(RX.req[k], "X-Lockstep-Delivery");

			if (d2 && strcmp(d2, delivery) == 0)
				retried = 1;
			free(d2);
		}
		free(want);
		free(msg);
		free(sig);
		free(ts);
		free(delivery);
		free(event);
	}
	pthread_mutex_unlock(&RX.mu);
	ck_assert_msg(retried, "no delivery was retried after the 500");
	ck_assert_int_ge(verified, 2);
	/* the delivery log, for X's admins only */
	dpath = ht_fmt("/api/v1/webhooks/%s/deliveries", hook);
	for (int i = 0; i < 100; i++) {
		r = req_status("GET", dpath, W.x.admin.token, NULL, 200);
		if (ht_mem_contains(r->body, r->body_len, "\"delivered\""))
			break;
		ht_resp_free(r);
		r = NULL;
		usleep(100000);
	}
	ck_assert_msg(r != NULL, "no delivery is delivered in the log");
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, "\"last_status\":500") ||
	                  ht_mem_contains(r->body, r->body_len, "\"attempts\":2"),
	              "the log does not show the retry: %s", HT_BODY(r));
	ht_resp_free(r);
	req_free("GET", dpath, W.y.admin.token, NULL, 404);
	req_free("GET", dpath, member.token, NULL, 404);
	req_free("GET", dpath, W.coord.token, NULL, 404);
	free(dpath);
	free(hook);
	ht_actor_free(&member);
	free(comment);
	free(cpath);
	free(secret);
	free(body);
	free(url);
	free(hooks);
}
END_TEST

/* ------------------------------------------------ the publication counts */

/* The published document counts findings by status: accepted and verified show as such. */
/* ------------------------------------------------------------ races */

/* One request of a burst: method, path, token, body; the status it got. */
struct burst_req {
	const char *method, *path, *token, *body;
	long status;
	char slug[64];
};

static void *
burst_one(void *arg)
{
	struct burst_req *b = arg;
	struct ht_resp *r = ht_request(b->method, b->path, b->token, b->body);
	const char *type = ht_jstr(r, "type");

	b->status = r->status;
	snprintf(b->slug, sizeof(b->slug), "%s",
	         type && strrchr(type, ':') ? strrchr(type, ':') + 1 : "");
	ht_resp_free(r);
	return NULL;
}

/* Send n copies of one request at once; count the answers with status st. */
static void
burst(struct burst_req *b, int n)
{
	pthread_t t[16];

	ck_assert(n <= 16);
	for (int i = 1; i < n; i++)
		b[i] = b[0];
	for (int i = 0; i < n; i++)
		ck_assert(pthread_create(&t[i], NULL, burst_one, &b[i]) == 0);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/*
 * The same decision sent eight times at once: exactly one is taken, every
 * other answer is 409 invalid-state (it was 422 from a trigger that
 * refused the second accepted -> accepted); and an org's webhook limit
 * holds against fourteen additions at once (it let an eleventh through).
 */
START_TEST(test_concurrent_decisions)
{
	char *f = new_finding("medium", "concurrent decisions");
	char *path = ht_fmt("/api/v1/findings/%s/risk-acceptances", f);
	char *body = risk_body("concurrent-decisions", 30);
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	char *hooks = ht_fmt("/api/v1/orgs/%s/webhooks", W.b.org_id);
	char *count = ht_fmt("SELECT count(*) FROM webhooks WHERE org_id = '%s'", W.b.org_id);
	struct burst_req b[16];
	struct ht_resp *r = req_status("POST", path, W.a.admin.token, body, 201);
	char *dpath = ht_fmt("/api/v1/findings/%s/risk-acceptances/%s/decision", f, ht_jstr(r, "id"));
	long long before, after;
	int ok = 0, refused = 0;

	ht_resp_free(r);
	memset(b, 0, sizeof(b));
	b[0] = (struct burst_req){"POST", dpath, W.x.admin.token, "{\"decision\":\"accept\"}", 0, ""};
	burst(b, 8);
	for (int i = 0; i < 8; i++) {
		if (b[i].status == 200)
			ok++;
		else if (b[i].status == 409 && strcmp(b[i].slug, "invalid-state") == 0)
			refused++;
		else
			ck_abort_msg("a concurrent decision answered %ld %s", b[i].status, b[i].slug);
	}
	ck_assert_msg(ok == 1 && refused == 7, "%d decisions taken, %d refused", ok, refused);
	{
		char *q = ht_fmt("SELECT count(*) FROM risk_acceptances WHERE finding_id = '%s' "
		                 "AND state = 'accepted' AND decided_at IS NOT NULL",
		                 f);

		ck_assert_int_eq(ht_db_count(owner, q), 1);
		free(q);
	}

	before = ht_db_count(owner, count);
	ck_assert_msg(before < 10, "org B already has %lld webhooks", before);
	memset(b, 0, sizeof(b));
	b[0] = (struct burst_req){"POST", hooks, W.b.admin.token,
	                          "{\"url\":\"https://hooks.example.com/lockstep\","
	                          "\"events\":[\"finding.created\"]}",
	                          0, ""};
	burst(b, 14);
	ok = refused = 0;
	for (int i = 0; i < 14; i++) {
		if (b[i].status == 201)
			ok++;
		else if (b[i].status == 409 && strcmp(b[i].slug, "conflict") == 0)
			refused++;
		else
			ck_abort_msg("a concurrent webhook answered %ld %s", b[i].status, b[i].slug);
	}
	after = ht_db_count(owner, count);
	ck_assert_msg(after == 10 && ok == 10 - before && refused == 14 - ok,
	              "%lld webhooks before, %d added, %d refused, %lld after (the limit is 10)",
	              before, ok, refused, after);
	free(count);
	free(hooks);
	free(dpath);
	free(body);
	free(path);
	free(f);
}
END_TEST

START_TEST(test_publication_counts)
{
	char at[32], *slug = ht_unique("conv-pub"), *title = ht_fmt("Conversation %s", slug);
	char *camp, *engp, *eng, *fp, *ids[3], *p, *doc;
	time_t when = time(NULL) + 15;
	struct ht_resp *r;
	json_t *j, *high;

	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&when));
	r = req_status("POST", "/api/v1/campaigns", W.coord.token,
	               (p = ht_jdump(json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", title,
	                                       "slug", slug, "threat_models", "WEIGHTS-EXFIL",
	                                       "release_at", at, "disclosure", "named"))),
	               201);
	free(p);
	camp = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	engp = ht_fmt("/api/v1/campaigns/%s/engagements", camp);
	r = req_status("POST", engp, W.coord.token,
	               (p = ht_jdump(json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id,
	                                       "assessor_org", W.x.org_id, "scope", "pub scope",
	                                       "lead_assessors", "Xena"))),
	               201);
	free(p);
	eng = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	/* findings are recorded in fieldwork (the engagement stages) */
	ck_assert_int_eq(ht_stage(W.coord.token, eng, "fieldwork"), 200);
	fp = ht_fmt("/api/v1/engagements/%s/findings", eng);
	for (int i = 0; i < 3; i++) {
		r = req_status(
		    "POST", fp, W.x.admin.token,
		    "{\"threat_model\":\"WEIGHTS-EXFIL\",\"title\":\"t\",\"detail\":\"d\","
		    "\"severity\":\"high\"}",
		    201);
		ids[i] = strdup(ht_jstr(r, "id"));
		ht_resp_free(r);
	}
	/* 0: remediated and retested (verified); 1: risk accepted; 2: open */
	p = ht_fmt("/api/v1/findings/%s", ids[0]);
	req_free("PATCH", p, W.a.admin.token, "{\"status\":\"remediated\"}", 200);
	free(p);
	p = ht_fmt("/api/v1/findings/%s/retests", ids[0]);
	req_free("POST", p, W.x.admin.token, "{\"result\":\"passed\",\"note\":\"fixed\"}", 201);
	free(p);
	p = ht_fmt("/api/v1/findings/%s/risk-acceptances", ids[1]);
	{
		char *b = risk_body("accepted for the record", 30), *d;

		r = req_status("POST", p, W.a.admin.token, b, 201);
		d = ht_fmt("/api/v1/findings/%s/risk-acceptances/%s/decision", ids[1],
		           ht_jstr(r, "id"));
		req_free("POST", d, W.x.admin.token, "{\"decision\":\"accept\"}", 200);
		ht_resp_free(r);
		free(d);
		free(b);
	}
	free(p);
	/* wait (bounded) for the release */
	p = ht_fmt("/api/v1/publications/%s", slug);
	r = NULL;
	for (int i = 0; i < 600; i++) {
		r = ht_request("GET", p, NULL, NULL);
		if (r->status == 200)
			break;
		ht_resp_free(r);
		r = NULL;
		usleep(100000);
	}
	ck_assert_msg(r != NULL, "%s was not published", slug);
	doc = strndup(r->body, r->body_len);
	j = json_loads(doc, 0, NULL);
	ck_assert_ptr_nonnull(j);
	high = json_object_get(
	    json_object_get(
	        json_object_get(json_array_get(json_object_get(j, "engagements"), 0), "findings"),
	        "WEIGHTS-EXFIL"),
	    "high");
	ck_assert_msg(json_integer_value(json_object_get(high, "verified")) == 1 &&
	                  json_integer_value(json_object_get(high, "accepted")) == 1 &&
	                  json_integer_value(json_object_get(high, "open")) == 1 &&
	                  json_object_size(high) == 3,
	              "high findings by status: %s", doc);
	/* nothing of the conversation is published */
	ck_assert_msg(strstr(doc, "accepted for the record") == NULL &&
	                  strstr(doc, "fixed") == NULL,
	              "the publication carries conversation text");
	/* and after the release the conversation's state machine is frozen */
	{
		char *rp = ht_fmt("/api/v1/findings/%s/risk-acceptances", ids[2]);
		char *b = risk_body("too late", 30);

		req_free("POST", rp, W.a.admin.token, b, 409);
		free(b);
		free(rp);
	}
	json_decref(j);
	free(doc);
	ht_resp_free(r);
	free(p);
	for (int i = 0; i < 3; i++)
		free(ids[i]);
	free(fp);
	free(eng);
	free(engp);
	free(camp);
	free(title);
	free(slug);
}
END_TEST

/* A receiver that never answers: retried with backoff, then failed, all bounded. */
START_TEST(test_webhook_gives_up)
{
	char *hooks = ht_fmt("/api/v1/orgs/%s/webhooks", W.y.org_id);
	int port = ht_free_port();
	char *body, *dpath, *hook, *cpath = ht_fmt("/api/v1/findings/%s/comments", W.finding_b);
	struct ht_resp *r = NULL;
	json_t *d = NULL;

	ck_assert_int_gt(port, 0);
	body = ht_jdump(json_pack("{s:s, s:[s]}", "url",
	                          (dpath = ht_fmt("http://127.0.0.1:%d/closed", port)), "events",
	                          "finding.comment"));
	free(dpath);
	r = req_status("POST", hooks, W.y.admin.token, body, 201);
	hook = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	req_free("POST", cpath, W.b.admin.token, "{\"body\":\"to a closed port\"}", 201);
	dpath = ht_fmt("/api/v1/webhooks/%s/deliveries", hook);
	/* the test server retries quickly (deploy/local/test); a default one takes minutes */
	for (int i = 0; i < 1200; i++) {
		r = req_status("GET", dpath, W.y.admin.token, NULL, 200);
		d = json_array_get(json_object_get(r->json, "items"), 0);
		if (d != NULL &&
		    strcmp(json_string_value(json_object_get(d, "state")), "failed") == 0)
			break;
		ht_resp_free(r);
		r = NULL;
		usleep(100000);
	}
	ck_assert_msg(r != NULL, "the delivery to a closed port never failed for good");
	ck_assert_int_ge(json_integer_value(json_object_get(d, "attempts")), 2);
	ck_assert_msg(json_is_string(json_object_get(d, "last_error")), "no last_error");
	ck_assert_msg(json_is_null(json_object_get(d, "delivered_at")), "delivered?");
	ht_resp_free(r);
	free(dpath);
	free(cpath);
	free(hook);
	free(body);
	free(hooks);
}
END_TEST

static Suite *
conversation_suite(void)
{
	Suite *s = suite_create("conversation");
	TCase *tc = tcase_create("conversation");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_status_machine);
	tcase_add_test(tc, test_risk_acceptance);
	tcase_add_test(tc, test_retest);
	tcase_add_test(tc, test_deadlines);
	tcase_add_test(tc, test_inbox);
	tcase_add_test(tc, test_webhooks);
	tcase_add_test(tc, test_concurrent_decisions);
	tcase_add_test(tc, test_publication_counts);
	tcase_add_test(tc, test_webhook_gives_up);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, conversation_suite);
}

/*
 * check_levels: security levels as data (issue 14, parts 1-4) end to end
 * against a running lockstepd.
 *
 *   - the vocabulary: access kinds, verdicts and the frameworks (data,
 *     each with its source);
 *   - what an engagement emulated: set by its assessor, the rules of
 *     engagement sealed at rest and never shown to the coordinator;
 *   - oc_required and the contradiction flag, in every direction (claim
 *     above, at and below the level demonstrated not met; not-assessed;
 *     unrated, remediated, retested, false-positive and company-moved
 *     findings), in GET .../levels, the claims and the hold warnings;
 *   - commitments and verdicts: who writes what;
 *   - the publication: the emulation without the rules, the flags, the
 *     commitments, the coverage matrix under named and aggregate (with
 *     suppression), the public page (tables and SVG, no rules text), and a
 *     commitment naming a company held under pseudonymous disclosure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef HT_OSCAL
#define HT_OSCAL "tests/oscal"
#endif

static struct ht_world W;

/* ------------------------------------------------------------ helpers */

/* Send body (stolen, may be NULL) and expect status; returns the response. */
static struct ht_resp *
call(const char *method, const char *path, const char *token, json_t *body, long want)
{
	char *text = body ? ht_jdump(body) : NULL;
	struct ht_resp *r = ht_request(method, path, token, text);

	free(text);
	HT_ASSERT_STATUS(r, want);
	return r;
}

static void
call0(const char *method, const char *path, const char *token, json_t *body, long want)
{
	ht_resp_free(call(method, path, token, body, want));
}

/* A new finding in eng (as token) on tm with oc_required (NULL: unrated); its id. */
static char *
finding(const char *token, const char *eng, const char *tm, const char *oc)
{
	char *p = ht_fmt("/api/v1/engagements/%s/findings", eng);
	json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "threat_model", tm, "title", "levels finding",
	                      "detail", "how it was exploited", "severity", "high");
	struct ht_resp *r;
	char *id;

	if (oc != NULL)
		json_object_set_new(b, "oc_required", json_string(oc));
	r = call("POST", p, token, b, 201);
	ck_assert_str_eq(ht_jstr(r, "oc_required") ? ht_jstr(r, "oc_required") : "(null)",
	                 oc ? oc : "(null)");
	id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(p);
	return id;
}

static void
claim(const char *token, const char *eng, const char *tm, const char *level)
{
	char *p = ht_fmt("/api/v1/engagements/%s/claims/%s", eng, tm);

	call0("PUT", p, token, json_pack("{s:s, s:s}", "level", level, "summary", "levels test"),
	      200);
	free(p);
}

static void
patch(const char *token, const char *fid, json_t *body)
{
	char *p = ht_fmt("/api/v1/findings/%s", fid);

	call0("PATCH", p, token, body, 200);
	free(p);
}

/*
 * Check the flag for eng's tm through every view the participants have:
 * GET .../levels (as token), the claims, the hold warnings. from: the
 * expected not_met_from or NULL.
 */
static void
expect_flag(const char *token, const char *eng, const char *tm, const char *from, int want,
            const char *ctx)
{
	char *p = ht_fmt("/api/v1/engagements/%s/levels", eng);
	struct ht_resp *r = call("GET", p, token, NULL, 200);
	const json_t *t = json_object_get(json_object_get(r->json, "threat_models"), tm);
	const json_t *nm = json_object_get(t, "not_met_from");
	json_t *it;
	size_t i;
	int in_claims = -1;

	ck_assert_msg(json_is_object(t), "%s: no %s in %s", ctx, tm, HT_BODY(r));
	ck_assert_msg(json_is_true(json_object_get(t, "contradiction")) == want,
	              "%s: contradiction should be %d: %s", ctx, want, HT_BODY(r));
	ck_assert_msg(from ? (json_is_string(nm) && strcmp(json_string_value(nm), from) == 0)
	                   : json_is_null(nm),
	              "%s: not_met_from should be %s: %s", ctx, from ? from : "null", HT_BODY(r));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "contradictions")), (size_t)want);
	ht_resp_free(r);
	free(p);
	p = ht_fmt("/api/v1/engagements/%s/claims", eng);
	r = call("GET", p, token, NULL, 200);
	json_array_foreach(json_object_get(r->json, "items"), i, it)
	{
		if (strcmp(ht_ostr(it, "threat_model"), tm) == 0)
			in_claims = json_is_true(json_object_get(it, "contradiction"));
	}
	if (in_claims >= 0)
		ck_assert_msg(in_claims == want, "%s: the claims say %d: %s", ctx, in_claims,
		              HT_BODY(r));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "contradictions")), (size_t)want);
	ht_resp_free(r);
	free(p);
	/* a contradiction warns; it holds nothing */
	p = ht_fmt("/api/v1/engagements/%s/hold", eng);
	r = call("GET", p, token, NULL, 200);
	ck_assert_msg(json_is_false(json_object_get(r->json, "held")), "%s: held: %s", ctx,
	              HT_BODY(r));
	ck_assert_msg(json_array_size(json_object_get(r->json, "warnings")) == (size_t)want,
	              "%s: hold warnings: %s", ctx, HT_BODY(r));
	ht_resp_free(r);
	free(p);
}

/* ------------------------------------------------------------ vocabulary */

START_TEST(test_vocabulary)
{
	struct ht_resp *r = call("GET", "/api/v1/vocabulary", NULL, NULL, 200);
	const json_t *fw = json_object_get(r->json, "framework"), *f;
	size_t i;
	int rand = 0;

	ck_assert_int_eq(json_array_size(json_object_get(r->json, "access_kind")), 6);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "verdict")), 4);
	ck_assert_msg(json_array_size(fw) >= 4, "frameworks: %s", HT_BODY(r));
	json_array_foreach(fw, i, f)
	{
		ck_assert_msg(strncmp(ht_ostr(f, "url"), "https://", 8) == 0, "no source url");
		ck_assert_msg(strlen(ht_ostr(f, "source")) > 20, "no citation for %s",
		              ht_ostr(f, "code"));
		ck_assert_msg(json_array_size(json_object_get(f, "versions")) > 0, "no version");
		if (strcmp(ht_ostr(f, "code"), "RAND-SL") == 0) {
			rand = 1;
			ck_assert_int_eq(json_array_size(json_object_get(f, "levels")), 5);
		}
	}
	ck_assert_msg(rand, "RAND's security levels are missing");
	ht_resp_free(r);
}
END_TEST

/* ------------------------------------------------------------ emulation */

START_TEST(test_emulation)
{
	char *p = ht_fmt("/api/v1/engagements/%s/emulation", W.eng_ax);
	char *rules = ht_fmt("ROE-%s: no phishing of the board", W.tag);
	char *sql;
	struct ht_resp *r;
	long long n;

	/* nothing recorded: every value null */
	r = call("GET", p, W.a.admin.token, NULL, 200);
	ck_assert_msg(json_is_null(json_object_get(r->json, "capability")), "%s", HT_BODY(r));
	ht_resp_free(r);
	r = call("PUT", p, W.x.admin.token,
	         json_pack("{s:s, s:[s,s], s:i, s:s, s:s, s:s}", "capability", "OC3", "access",
	                   "external", "ai-insider", "person_days", 40, "fieldwork_from",
	                   "2026-03-01", "fieldwork_to", "2026-04-15", "rules_of_engagement",
	                   rules),
	         200);
	ck_assert_str_eq(ht_jstr(r, "capability"), "OC3");
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "person_days")), 40);
	ht_resp_free(r);
	/* its company and assessor read the rules */
	r = call("GET", p, W.a.admin.token, NULL, 200);
	ck_assert_str_eq(ht_jstr(r, "rules_of_engagement"), rules);
	ck_assert_str_eq(ht_jstr(r, "fieldwork_to"), "2026-04-15");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "access")), 2);
	ht_resp_free(r);
	r = call("GET", p, W.x.admin.token, NULL, 200);
	ck_assert_str_eq(ht_jstr(r, "rules_of_engagement"), rules);
	ht_resp_free(r);
	/* the coordinator sees progress, never the rules */
	r = call("GET", p, W.coord.token, NULL, 200);
	ck_assert_str_eq(ht_jstr(r, "capability"), "OC3");
	ck_assert_msg(json_object_get(r->json, "rules_of_engagement") == NULL &&
	                  strstr(r->body, "ROE-") == NULL,
	              "the coordinator reads the rules: %s", HT_BODY(r));
	ht_resp_free(r);
	/* other tenants: the "not found" of an unknown id */
	r = call("GET", p, W.b.admin.token, NULL, 404);
	ck_assert_msg(strstr(r->body, "ROE-") == NULL, "leak: %s", HT_BODY(r));
	ht_resp_free(r);
	call0("GET", p, W.y.admin.token, NULL, 404);
	call0("PUT", p, W.y.admin.token, json_pack("{s:s, s:[]}", "capability", "OC1", "access"),
	      404);
	call0("PUT", p, W.a.admin.token, json_pack("{s:s, s:[]}", "capability", "OC1", "access"),
	      404);
	/* sealed at rest: the database holds no plaintext of the rules */
	sql =
	    ht_fmt("SELECT count(*) FROM engagement_emulations WHERE engagement_id = '%s'"
	           " AND rules IS NOT NULL AND position(convert_to('ROE-%s', 'UTF8') IN rules) = 0",
	           W.eng_ax, W.tag);
	n = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql);
	ck_assert_msg(n == 1, "the rules are not sealed (%lld)", n);
	free(sql);
	/* the change is audited */
	sql = ht_fmt("SELECT count(*) FROM audit_events WHERE action = 'emulation.put'"
	             " AND object_id = '%s'",
	             W.eng_ax);
	ck_assert_msg(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql) >= 1, "not audited");
	free(sql);
	free(rules);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ contradiction */

START_TEST(test_contradiction)
{
	const char *tm = "WEIGHTS-EXFIL";
	const char *x = W.x.admin.token, *a = W.a.admin.token;
	char *f, *g, *h, *p;

	claim(x, W.eng_ax, tm, "OC3");
	/* the world's finding is unrated: it refutes nothing */
	expect_flag(x, W.eng_ax, tm, NULL, 0, "no rated finding");
	f = finding(x, W.eng_ax, tm, "OC2");
	expect_flag(x, W.eng_ax, tm, "OC2", 1, "claim OC3, open OC2");
	expect_flag(a, W.eng_ax, tm, "OC2", 1, "the company sees it too");
	claim(x, W.eng_ax, tm, "OC1");
	expect_flag(x, W.eng_ax, tm, "OC2", 0, "claim OC1, open OC2");
	claim(x, W.eng_ax, tm, "OC2");
	expect_flag(x, W.eng_ax, tm, "OC2", 1, "claim OC2, open OC2");
	claim(x, W.eng_ax, tm, "not-assessed");
	expect_flag(x, W.eng_ax, tm, "OC2", 0, "claim not-assessed");
	claim(x, W.eng_ax, tm, "OC5");
	patch(x, f, json_pack("{s:s}", "oc_required", "OC5"));
	expect_flag(x, W.eng_ax, tm, "OC5", 1, "claim OC5, open OC5");
	patch(x, f, json_pack("{s:s}", "oc_required", ""));
	expect_flag(x, W.eng_ax, tm, NULL, 0, "rating cleared");
	/* remediated is the company's word until a retest passes */
	patch(x, f, json_pack("{s:s, s:s}", "oc_required", "OC1", "status", "remediated"));
	expect_flag(x, W.eng_ax, tm, "OC1", 1, "remediated, not retested");
	p = ht_fmt("/api/v1/findings/%s/retests", f);
	call0("POST", p, x, json_pack("{s:s, s:s}", "result", "passed", "note", "fixed"), 201);
	free(p);
	expect_flag(x, W.eng_ax, tm, NULL, 0, "retest passed (verified)");
	/* a false positive refutes nothing */
	g = finding(x, W.eng_ax, tm, "OC4");
	expect_flag(x, W.eng_ax, tm, "OC4", 1, "open OC4 under claim OC5");
	patch(x, g, json_pack("{s:s}", "status", "false-positive"));
	expect_flag(x, W.eng_ax, tm, NULL, 0, "false positive");
	/* the company moving a finding to remediating changes nothing */
	h = finding(x, W.eng_ax, tm, "OC3");
	patch(a, h, json_pack("{s:s}", "status", "remediating"));
	expect_flag(a, W.eng_ax, tm, "OC3", 1, "remediating");
	/* the lowest level of several counts */
	free(finding(x, W.eng_ax, tm, "OC2"));
	expect_flag(x, W.eng_ax, tm, "OC2", 1, "OC3 and OC2 open");
	/* the PUT of a claim answers the flag at once */
	{
		char *cp = ht_fmt("/api/v1/engagements/%s/claims/%s", W.eng_ax, tm);
		struct ht_resp *r = call(
		    "PUT", cp, x, json_pack("{s:s, s:s}", "level", "OC4", "summary", "again"), 200);

		ck_assert_msg(json_is_true(json_object_get(r->json, "contradiction")) &&
		                  strcmp(ht_jstr(r, "not_met_from"), "OC2") == 0,
		              "claim PUT: %s", HT_BODY(r));
		ht_resp_free(r);
		r = call("PUT", cp, x, json_pack("{s:s, s:s}", "level", "OC1", "summary", "again"),
		         200);
		ck_assert_msg(json_is_false(json_object_get(r->json, "contradiction")),
		              "claim PUT: %s", HT_BODY(r));
		ht_resp_free(r);
		free(cp);
	}
	/* only the participants */
	p = ht_fmt("/api/v1/engagements/%s/levels", W.eng_ax);
	call0("GET", p, W.coord.token, NULL, 404);
	call0("GET", p, W.b.admin.token, NULL, 404);
	call0("GET", p, W.y.admin.token, NULL, 404);
	free(p);
	free(f);
	free(g);
	free(h);
}
END_TEST

/* ------------------------------------------------------------ commitments */

/* 1 if token's inbox holds a notification of type about object id. */
static int
inbox_has(const char *token, const char *type, const char *id)
{
	struct ht_resp *r = call("GET", "/api/v1/inbox?limit=200", token, NULL, 200);
	const json_t *it;
	size_t i;
	int found = 0;

	json_array_foreach(json_object_get(r->json, "items"), i, it)
	{
		const json_t *obj = json_object_get(it, "object");
		const char *t = ht_ostr(it, "type"), *o = ht_ostr(obj, "id"),
		           *ot = ht_ostr(obj, "type");

		if (t != NULL && o != NULL && ot != NULL && strcmp(t, type) == 0 &&
		    strcmp(o, id) == 0 && strcmp(ot, "commitment") == 0)
			found = 1;
	}
	ht_resp_free(r);
	return found;
}

/* Inbox rows of type about object id for orgs other than org (owner's view). */
static long long
notified_elsewhere(const char *type, const char *id, const char *org)
{
	char *sql =
	    ht_fmt("SELECT count(*) FROM notifications WHERE type = '%s' AND object_id = '%s'"
	           " AND org_id <> '%s'",
	           type, id, org);
	long long n = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql);

	free(sql);
	return n;
}

START_TEST(test_commitments)
{
	char *cp = ht_fmt("/api/v1/engagements/%s/commitments", W.eng_ax);
	char *vp, *cid, *hp, *hook, err[4096];
	struct ht_resp *r;
	const json_t *it;
	struct ht_actor a2;

	/* a second user of the company: the actor's org hears nothing of its own act */
	ck_assert_msg(ht_make_user(W.coord.token, W.a.org_id, "member", &a2, err, sizeof(err)) == 0,
	              "%s", err);
	/* webhooks may subscribe to both events (an unknown one is refused) */
	hp = ht_fmt("/api/v1/orgs/%s/webhooks", W.x.org_id);
	call0("POST", hp, W.x.admin.token,
	      json_pack("{s:s, s:[s]}", "url", "http://127.0.0.1:9/hook", "events",
	                "commitment.declares"),
	      422);
	r = call("POST", hp, W.x.admin.token,
	         json_pack("{s:s, s:[s, s]}", "url", "http://127.0.0.1:9/hook", "events",
	                   "commitment.declared", "commitment.verdict"),
	         201);
	hook = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(hp);
	r = call("POST", cp, W.a.admin.token,
	         json_pack("{s:s, s:s, s:s, s:s, s:s}", "framework", "RAND-SL", "version",
	                   "RR-A2849-1 (2024)", "level", "SL3", "text",
	                   "Weights are protected against cybercrime syndicates.", "link",
	                   "https://example.com/security"),
	         201);
	ck_assert_str_eq(ht_jstr(r, "verdict"), "not-assessed");
	vp = ht_fmt("/api/v1/commitments/%s/verdict", ht_jstr(r, "id"));
	cid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	/* the declaration tells the engagement's assessor, and nobody else */
	ck_assert_msg(inbox_has(W.x.admin.token, "commitment.declared", cid),
	              "the assessor was not told of the commitment");
	ck_assert_msg(!inbox_has(a2.token, "commitment.declared", cid),
	              "the declaring company was told of its own commitment");
	ck_assert_msg(!inbox_has(W.y.admin.token, "commitment.declared", cid), "Y was told");
	ck_assert_msg(!inbox_has(W.b.admin.token, "commitment.declared", cid), "B was told");
	ck_assert_msg(!inbox_has(W.coord.token, "commitment.declared", cid), "the coordinator");
	ck_assert_int_eq(notified_elsewhere("commitment.declared", cid, W.x.org_id), 0);
	{
		char *sql = ht_fmt("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '%s'"
		                   " AND event_type = 'commitment.declared'"
		                   " AND payload->'object'->>'id' = '%s'",
		                   hook, cid);

		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 1);
		free(sql);
	}
	hp = ht_fmt("/api/v1/webhooks/%s", hook);
	call0("DELETE", hp, W.x.admin.token, NULL, 204);
	free(hp);
	free(hook);
	ck_assert_msg(!inbox_has(W.a.admin.token, "commitment.verdict", cid), "verdict too early");
	/* the company never gives its own verdict; the assessor never commits */
	call0("PUT", vp, W.a.admin.token,
	      json_pack("{s:s, s:s}", "verdict", "supported", "summary", "self"), 404);
	call0("POST", cp, W.x.admin.token,
	      json_pack("{s:s, s:s, s:s, s:s}", "framework", "RAND-SL", "version", "1", "level",
	                "SL1", "text", "t"),
	      404);
	call0("PUT", vp, W.y.admin.token,
	      json_pack("{s:s, s:s}", "verdict", "supported", "summary", "other firm"), 404);
	r = call("PUT", vp, W.x.admin.token,
	         json_pack("{s:s, s:s}", "verdict", "refuted", "summary",
	                   "An OC3 red team reached the weights."),
	         200);
	ck_assert_str_eq(ht_jstr(r, "verdict"), "refuted");
	ck_assert_str_eq(ht_jstr(r, "verdict_by"), W.x.admin.user_id);
	ht_resp_free(r);
	/* the verdict tells the company (every user of it), and nobody else */
	ck_assert_msg(inbox_has(W.a.admin.token, "commitment.verdict", cid),
	              "the company was not told of the verdict");
	ck_assert_msg(inbox_has(a2.token, "commitment.verdict", cid), "A's member was not told");
	ck_assert_msg(!inbox_has(W.y.admin.token, "commitment.verdict", cid), "Y was told");
	ck_assert_msg(!inbox_has(W.b.admin.token, "commitment.verdict", cid), "B was told");
	ck_assert_msg(!inbox_has(W.coord.token, "commitment.verdict", cid), "the coordinator");
	ck_assert_int_eq(notified_elsewhere("commitment.verdict", cid, W.a.org_id), 0);
	/* refused requests notified nobody: one declaration (X's one user), one verdict (A's
	 * two users) */
	{
		char *sql =
		    ht_fmt("SELECT count(*) FROM notifications WHERE object_id = '%s'", cid);

		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 3);
		free(sql);
	}
	r = call("GET", cp, W.a.admin.token, NULL, 200);
	it = json_array_get(json_object_get(r->json, "items"), 0);
	ck_assert_msg(it != NULL && strcmp(ht_ostr(it, "verdict"), "refuted") == 0, "%s",
	              HT_BODY(r));
	ht_resp_free(r);
	call0("GET", cp, W.coord.token, NULL, 404);
	call0("GET", cp, W.b.admin.token, NULL, 404);
	/* sealed at rest, like claim summaries: a dump holds neither text */
	{
		char *sql =
		    ht_fmt("SELECT count(*) FROM commitments WHERE engagement_id = '%s' AND"
		           " (position(convert_to('cybercrime syndicates', 'UTF8') IN text) > 0 OR"
		           " position(convert_to('OC3 red team', 'UTF8') IN "
		           "coalesce(verdict_summary, ''::bytea)) > 0)",
		           W.eng_ax);

		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 0);
		free(sql);
		sql = ht_fmt("SELECT count(*) FROM commitments WHERE engagement_id = '%s'"
		             " AND verdict_summary IS NOT NULL",
		             W.eng_ax);
		ck_assert_int_ge(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 1);
		free(sql);
	}
	ht_actor_free(&a2);
	free(cid);
	free(vp);
	free(cp);
}
END_TEST

/* ------------------------------------------------------------ history */

/* Versions of fid as the history gives them to token: a new array of oc_required ("-": null). */
static char *
history_levels(const char *token, const char *fid)
{
	char *p = ht_fmt("/api/v1/findings/%s/history", fid), *out = calloc(1, 256);
	struct ht_resp *r = call("GET", p, token, NULL, 200);
	const json_t *it, *oc;
	size_t i;

	json_array_foreach(json_object_get(r->json, "items"), i, it)
	{
		ck_assert_int_eq(json_integer_value(json_object_get(it, "version")),
		                 (json_int_t)i + 1);
		oc = json_object_get(it, "oc_required");
		ck_assert_msg(oc != NULL && (json_is_null(oc) || json_is_string(oc)),
		              "a version without oc_required: %s", HT_BODY(r));
		if (i > 0)
			strcat(out, " ");
		strncat(out, json_is_string(oc) ? json_string_value(oc) : "-", 8);
	}
	ht_resp_free(r);
	free(p);
	return out;
}

/* The history of a finding records every change of oc_required, old and new. */
START_TEST(test_history_oc_required)
{
	const char *x = W.x.admin.token, *a = W.a.admin.token;
	char *f = finding(x, W.eng_ax, "WEIGHTS-EXFIL", "OC3"), *p, *h;
	struct ht_resp *r;

	h = history_levels(x, f);
	ck_assert_str_eq(h, "OC3");
	free(h);
	patch(x, f, json_pack("{s:s}", "oc_required", "OC2"));
	patch(x, f, json_pack("{s:s}", "oc_required", ""));
	/* a change of something else keeps the level it had */
	patch(x, f, json_pack("{s:s}", "oc_required", "OC4"));
	patch(x, f, json_pack("{s:s}", "severity", "low"));
	/* the company may not rate a finding: refused, and no version is written */
	p = ht_fmt("/api/v1/findings/%s", f);
	r = ht_request("PATCH", p, a, "{\"oc_required\":\"OC1\"}");
	ck_assert_msg(ht_is_problem(r, 422, "invalid-field"), "company rated a finding: %ld %s",
	              r->status, HT_BODY(r));
	ht_resp_free(r);
	free(p);
	h = history_levels(x, f);
	ck_assert_str_eq(h, "OC3 OC2 - OC4 OC4");
	free(h);
	/* the company reads the same history; others do not */
	h = history_levels(a, f);
	ck_assert_str_eq(h, "OC3 OC2 - OC4 OC4");
	free(h);
	p = ht_fmt("/api/v1/findings/%s/history", f);
	call0("GET", p, W.b.admin.token, NULL, 404);
	call0("GET", p, W.y.admin.token, NULL, 404);
	free(p);
	/* what the history says is what is stored */
	{
		char *sql = ht_fmt("SELECT count(*) FROM finding_history WHERE finding_id = '%s'"
		                   " AND version = 2 AND oc_required = 'OC2'",
		                   f);

		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 1);
		free(sql);
	}
	free(f);
}
END_TEST

/* ------------------------------------------------------------ import */

/* The import sets oc_required: a SARIF property (result or rule) or a CSV column. */
START_TEST(test_import_oc_required)
{
	char *p = ht_fmt("/api/v1/engagements/%s/findings:import", W.eng_ax);
	const char *sarif =
	    "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"levels\","
	    "\"rules\":[{\"id\":\"R1\",\"properties\":{\"oc_required\":\"OC4\"}}]}},"
	    "\"properties\":{\"threat_model\":\"WEIGHTS-EXFIL\"},\"results\":["
	    "{\"ruleId\":\"R1\",\"ruleIndex\":0,\"message\":{\"text\":\"rule-rated\"}},"
	    "{\"ruleId\":\"R2\",\"message\":{\"text\":\"result-rated\"},"
	    "\"properties\":{\"oc_required\":\"OC2\"}}]}]}";
	const char *csv = "threat_model,title,detail,severity,oc_required\r\n"
	                  "WEIGHTS-EXFIL,csv rated,d,low,OC5\r\n"
	                  "WEIGHTS-EXFIL,csv unrated,d,low,\r\n";
	const char *bad_sarif =
	    "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"levels\"}},"
	    "\"properties\":{\"threat_model\":\"WEIGHTS-EXFIL\"},\"results\":["
	    "{\"ruleId\":\"R3\",\"message\":{\"text\":\"badly rated\"},"
	    "\"properties\":{\"oc_required\":\"OC9\"}}]}]}";
	const char *hj[] = {"Content-Type: application/sarif+json", NULL};
	const char *hc[] = {"Content-Type: text/csv", NULL};
	char *sql = ht_fmt("SELECT count(*) FROM findings WHERE engagement_id = '%s' AND"
	                   " oc_required IN ('OC4', 'OC2', 'OC5')",
	                   W.eng_ax);
	long long before = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql);
	struct ht_resp *r;

	r = ht_request_v("POST", p, W.x.admin.token, sarif, strlen(sarif), hj);
	ck_assert_msg(r->status == 200 || r->status == 201, "%s", HT_BODY(r));
	ht_resp_free(r);
	r = ht_request_v("POST", p, W.x.admin.token, csv, strlen(csv), hc);
	ck_assert_msg(r->status == 200 || r->status == 201, "%s", HT_BODY(r));
	ht_resp_free(r);
	r = ht_request_v("POST", p, W.x.admin.token, bad_sarif, strlen(bad_sarif), hj);
	ck_assert_msg(r->status == 422, "%s", HT_BODY(r));
	ck_assert_msg(strstr(r->body, "oc_required") != NULL, "the error names no field: %s",
	              HT_BODY(r));
	ht_resp_free(r);
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), before + 3);
	free(sql);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ OSCAL */

/* Validate the JSON text doc with tests/oscal/validate.py; its exit status. */
static int
oscal_validate(const char *doc, size_t len)
{
	char path[] = "/tmp/lockstep-oscal-XXXXXX";
	int fd = mkstemp(path), st = -1;
	char *schema = ht_fmt("%s/oscal_assessment-results_schema-1.1.2.json", HT_OSCAL);
	char *script = ht_fmt("%s/validate.py", HT_OSCAL);
	char *argv[] = {(char *)"/usr/bin/python3", script, schema, path, NULL};
	size_t n = 0;
	char *out;

	ck_assert_msg(fd >= 0, "mkstemp");
	ck_assert_int_eq(write(fd, doc, len), (ssize_t)len);
	close(fd);
	if (access(argv[0], X_OK) != 0)
		ht_skip("no /usr/bin/python3 to validate OSCAL with");
	out = ht_run_capture(argv, &n, &st);
	ck_assert_msg(out != NULL, "cannot run %s", script);
	if (st == 77)
		ht_skip("python3-jsonschema is not installed (deploy/local installs it)");
	if (st != 0)
		fprintf(stderr, "validate.py: %s\n", out);
	free(out);
	unlink(path);
	free(script);
	free(schema);
	return st;
}

/* The props value named name of o (borrowed), or NULL. */
static const char *
prop(const json_t *o, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(o, "props"), i, p)
	{
		if (strcmp(ht_ostr(p, "name"), name) == 0)
			return ht_ostr(p, "value");
	}
	return NULL;
}

/*
 * The engagement's OSCAL export carries what was emulated (result props),
 * each finding's oc_required (risk props), the not-met level and the
 * contradiction of each claim, and each commitment as a finding with the
 * assessor's verdict; it still validates against NIST's schema.
 */
START_TEST(test_oscal_levels)
{
	char *ep = ht_fmt("/api/v1/engagements/%s/emulation", W.eng_by);
	char *cp = ht_fmt("/api/v1/engagements/%s/commitments", W.eng_by);
	char *op = ht_fmt("/api/v1/engagements/%s/oscal", W.eng_by);
	char *vp;
	struct ht_resp *r;
	const json_t *res, *v;
	size_t i;
	int verdicts = 0, rated = 0, claims = 0;

	call0("PUT", ep, W.y.admin.token,
	      json_pack("{s:s, s:[s], s:i}", "capability", "OC4", "access", "supply-chain",
	                "person_days", 12),
	      200);
	free(finding(W.y.admin.token, W.eng_by, "WEIGHTS-EXFIL", "OC3"));
	claim(W.y.admin.token, W.eng_by, "WEIGHTS-EXFIL", "OC4");
	r = call("POST", cp, W.b.admin.token,
	         json_pack("{s:s, s:s, s:s, s:s}", "framework", "ANTHROPIC-RSP", "version", "2.2",
	                   "level", "ASL-3 Security Standard", "text", "We apply it."),
	         201);
	vp = ht_fmt("/api/v1/commitments/%s/verdict", ht_jstr(r, "id"));
	ht_resp_free(r);
	call0("PUT", vp, W.y.admin.token,
	      json_pack("{s:s, s:s}", "verdict", "inconclusive", "summary", "Partly tested."), 200);
	r = call("GET", op, W.b.admin.token, NULL, 200);
	ck_assert_msg(oscal_validate(r->body, r->body_len) == 0,
	              "the OSCAL document does not validate against NIST's schema");
	res = json_array_get(
	    json_object_get(json_object_get(r->json, "assessment-results"), "results"), 0);
	ck_assert_str_eq(prop(res, "capability-emulated"), "OC4");
	ck_assert_str_eq(prop(res, "access-granted"), "supply-chain");
	ck_assert_str_eq(prop(res, "person-days"), "12");
	json_array_foreach(json_object_get(res, "risks"), i, v)
	{
		if (prop(v, "oc-required") != NULL)
			rated++;
	}
	json_array_foreach(json_object_get(res, "findings"), i, v)
	{
		if (prop(v, "verdict") != NULL) {
			verdicts++;
			ck_assert_str_eq(prop(v, "verdict"), "inconclusive");
			ck_assert_str_eq(prop(v, "commitment-framework"), "ANTHROPIC-RSP");
			ck_assert_str_eq(
			    ht_ostr(json_object_get(json_object_get(v, "target"), "status"),
			            "state"),
			    "not-satisfied");
		}
		if (prop(v, "contradiction") != NULL) {
			claims++;
			ck_assert_str_eq(prop(v, "not-met-from"), "OC3");
			ck_assert_str_eq(prop(v, "contradiction"), "true");
		}
	}
	ck_assert_int_eq(rated, 1);
	ck_assert_int_eq(verdicts, 1);
	ck_assert_int_eq(claims, 1);
	ht_resp_free(r);
	free(vp);
	free(op);
	free(cp);
	free(ep);
}
END_TEST

/* ------------------------------------------------------------ CLI */

/* Run the client as whoever logged in under $XDG_CONFIG_HOME; its stdout, *status its exit. */
static char *
cli(const char *exe, int *status, const char *const *args)
{
	char *argv[24];
	size_t n = 0, len = 0;
	char *out;

	argv[n++] = (char *)exe;
	argv[n++] = (char *)"--url";
	argv[n++] = (char *)ht_env_req("LOCKSTEP_TEST_URL");
	for (size_t i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	out = ht_run_capture(argv, &len, status);
	ck_assert_msg(out != NULL, "cannot run %s", exe);
	return out;
}

static void
cli_login(const char *exe, const char *dir, const struct ht_actor *a)
{
	const char *args[] = {"login", a->email, NULL};
	char *cfg = ht_fmt("%s/%s", dir, a->email), *out;
	int st;

	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", cfg, 1), 0);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", a->password, 1), 0);
	out = cli(exe, &st, args);
	ck_assert_msg(st == 0, "login: exit %d: %s", st, out);
	free(out);
	free(cfg);
}

/*
 * lockstep emulation / levels / commit / commitments / verdict: the
 * assessor sets what it emulated, levels exits 1 once a claim is
 * contradicted, the company commits and the assessor gives the verdict.
 */
START_TEST(test_cli)
{
	char exe[PATH_MAX], dir[] = "/tmp/lockstep-levels-XXXXXX", *text, *out, *cid;
	const char *p = ht_env("LOCKSTEP_TEST_CLI") ? ht_env("LOCKSTEP_TEST_CLI") : "./lockstep";
	int st;
	json_t *j;

	if (realpath(p, exe) == NULL || access(exe, X_OK) != 0)
		ck_abort_msg(
		    "the lockstep client is not at %s (make lockstep, or LOCKSTEP_TEST_CLI)", p);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	text = ht_fmt("%s/text", dir);
	{
		FILE *f = fopen(text, "w");

		ck_assert_ptr_nonnull(f);
		fputs("Weights stay inside at SL2.\n", f);
		ck_assert_int_eq(fclose(f), 0);
	}
	cli_login(exe, dir, &W.x.admin);
	{
		const char *args[] = {"emulation",
		                      W.eng_ax2,
		                      "--capability",
		                      "OC2",
		                      "--access",
		                      "external,stolen-credentials",
		                      "--person-days",
		                      "9",
		                      "--rules",
		                      text,
		                      NULL};

		out = cli(exe, &st, args);
		ck_assert_msg(st == 0 && strstr(out, "\"OC2\""), "emulation: exit %d: %s", st, out);
		free(out);
	}
	{
		const char *args[] = {"emulation", W.eng_ax2, "--access", "external", NULL};

		out = cli(exe, &st, args);
		ck_assert_msg(st == 2, "emulation without --capability: exit %d", st);
		free(out);
	}
	claim(W.x.admin.token, W.eng_ax2, "WEIGHTS-EXFIL", "OC3");
	{
		const char *args[] = {"levels", W.eng_ax2, NULL};

		out = cli(exe, &st, args);
		ck_assert_msg(st == 0, "levels without a contradiction: exit %d: %s", st, out);
		free(out);
		free(finding(W.x.admin.token, W.eng_ax2, "WEIGHTS-EXFIL", "OC1"));
		out = cli(exe, &st, args);
		ck_assert_msg(st == 1 && strstr(out, "claim-contradiction"),
		              "levels with a contradiction: exit %d: %s", st, out);
		free(out);
	}
	cli_login(exe, dir, &W.a.admin);
	{
		const char *args[] = {"commit",  W.eng_ax2,   "--framework",
		                      "GDM-FSF", "--version", "2.0",
		                      "--level", "SL2",       "--text",
		                      text,      "--link",    "https://example.com/fsf",
		                      NULL};

		out = cli(exe, &st, args);
		ck_assert_msg(st == 0, "commit: exit %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		ck_assert_msg(json_is_object(j), "not JSON: %s", out);
		cid = strdup(ht_ostr(j, "id"));
		json_decref(j);
		free(out);
	}
	cli_login(exe, dir, &W.x.admin);
	{
		const char *args[] = {"verdict", cid, "supported", text, NULL};
		const char *list[] = {"commitments", W.eng_ax2, NULL};

		out = cli(exe, &st, args);
		ck_assert_msg(st == 0 && strstr(out, "\"supported\""), "verdict: exit %d: %s", st,
		              out);
		free(out);
		out = cli(exe, &st, list);
		ck_assert_msg(st == 0 && strstr(out, cid), "commitments: exit %d: %s", st, out);
		free(out);
	}
	unsetenv("LOCKSTEP_PASSWORD");
	unsetenv("XDG_CONFIG_HOME");
	{
		char *cmd = ht_fmt("rm -rf '%s'", dir);

		(void)!system(cmd);
		free(cmd);
	}
	free(cid);
	free(text);
}
END_TEST

/* ------------------------------------------------------------ publication */

struct pub {
	char *slug, *id, *eng_a, *eng_b;
};

static char *
iso(time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/*
 * A campaign released at `at` with A×X and B×Y: X emulated OC3 with rules
 * (marked), an open OC2 finding against X's claim OC3 (a contradiction),
 * A's commitment (its text: a_text) with X's verdict; Y records nothing.
 */
static void
pub_make(struct pub *pb, const char *disclosure, int k, const char *at, const char *a_text)
{
	char *slug = ht_unique("levels");
	char *p, *rules = ht_fmt("ROE-%s secret rules", W.tag);
	struct ht_resp *r;

	r = call("POST", "/api/v1/campaigns", W.coord.token,
	         json_pack("{s:s, s:s, s:[s], s:s, s:s, s:i}", "title", "Levels release test",
	                   "slug", slug, "threat_models", "WEIGHTS-EXFIL", "release_at", at,
	                   "disclosure", disclosure, "min_cohort", k),
	         201);
	pb->slug = slug;
	pb->id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	p = ht_fmt("/api/v1/campaigns/%s/engagements", pb->id);
	r = call("POST", p, W.coord.token,
	         json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id, "assessor_org",
	                   W.x.org_id, "scope", "scope", "lead_assessors", "Xena Lead"),
	         201);
	pb->eng_a = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	r = call("POST", p, W.coord.token,
	         json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.b.org_id, "assessor_org",
	                   W.y.org_id, "scope", "scope", "lead_assessors", "Yuri Lead"),
	         201);
	pb->eng_b = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(p);
	p = ht_fmt("/api/v1/engagements/%s/emulation", pb->eng_a);
	call0("PUT", p, W.x.admin.token,
	      json_pack("{s:s, s:[s,s], s:i, s:s}", "capability", "OC3", "access", "external",
	                "insider", "person_days", 25, "rules_of_engagement", rules),
	      200);
	free(p);
	ck_assert_int_eq(ht_stage(W.x.admin.token, pb->eng_a, "fieldwork"), 200);
	free(finding(W.x.admin.token, pb->eng_a, "WEIGHTS-EXFIL", "OC2"));
	claim(W.x.admin.token, pb->eng_a, "WEIGHTS-EXFIL", "OC3");
	claim(W.y.admin.token, pb->eng_b, "WEIGHTS-EXFIL", "OC1");
	p = ht_fmt("/api/v1/engagements/%s/commitments", pb->eng_a);
	r = call("POST", p, W.a.admin.token,
	         json_pack("{s:s, s:s, s:s, s:s, s:s}", "framework", "RAND-SL", "version",
	                   "RR-A2849-1 (2024)", "level", "SL3", "text", a_text, "link",
	                   "https://example.com/policy"),
	         201);
	free(p);
	p = ht_fmt("/api/v1/commitments/%s/verdict", ht_jstr(r, "id"));
	ht_resp_free(r);
	call0("PUT", p, W.x.admin.token,
	      json_pack("{s:s, s:s}", "verdict", "refuted", "summary", "Open OC2 path."), 200);
	free(p);
	free(rules);
}

static void
pub_free(struct pub *pb)
{
	free(pb->slug);
	free(pb->id);
	free(pb->eng_a);
	free(pb->eng_b);
}

/* The published document of slug (waits up to secs), or NULL. */
static json_t *
pub_doc(const char *slug, int secs, struct ht_resp **raw)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug);
	json_t *doc = NULL;

	for (int i = 0; i < secs * 10 && doc == NULL; i++) {
		struct ht_resp *r = ht_request("GET", path, NULL, NULL);

		if (r->status == 200) {
			doc = json_loadb(r->body, r->body_len, 0, NULL);
			if (raw != NULL) {
				*raw = r;
				r = NULL;
			}
		}
		ht_resp_free(r);
		if (doc == NULL)
			usleep(100000);
	}
	free(path);
	return doc;
}

static char *
pub_page(const char *slug)
{
	char *path = ht_fmt("/p/%s", slug);
	struct ht_resp *r = call("GET", path, NULL, NULL, 200);
	char *body = strdup(r->body);

	ck_assert_msg(strstr(body, "<script") == NULL, "a script on the public page");
	ht_resp_free(r);
	free(path);
	return body;
}

/* The number of props named name in o whose value is value (NULL: any). */
static int
prop_count(const json_t *o, const char *name, const char *value)
{
	size_t i;
	json_t *p;
	int n = 0;

	json_array_foreach(json_object_get(o, "props"), i, p)
	{
		if (strcmp(ht_ostr(p, "name"), name) == 0 &&
		    (value == NULL || strcmp(ht_ostr(p, "value"), value) == 0))
			n++;
	}
	return n;
}

/* The publication's OSCAL (validated against NIST's schema), parsed; the raw response too. */
static json_t *
pub_oscal(const char *slug, struct ht_resp **raw)
{
	char *p = ht_fmt("/api/v1/publications/%s/oscal", slug);
	struct ht_resp *r = call("GET", p, NULL, NULL, 200);
	json_t *results =
	    json_object_get(json_object_get(r->json, "assessment-results"), "results");

	ck_assert_msg(oscal_validate(r->body, r->body_len) == 0,
	              "the publication's OSCAL does not validate against NIST's schema: %s",
	              HT_BODY(r));
	ck_assert_msg(json_is_array(results), "no results: %s", HT_BODY(r));
	json_incref(results);
	*raw = r;
	free(p);
	return results;
}

/*
 * The named publication's OSCAL carries, per engagement, what was emulated
 * (result props), the level demonstrated not met and the contradiction of
 * each claim, and the commitments as findings with their verdicts.
 */
static void
check_oscal_named(const char *slug)
{
	struct ht_resp *raw;
	json_t *results = pub_oscal(slug, &raw), *res, *a = NULL, *fd, *claimf = NULL, *cm = NULL;
	size_t i;

	ck_assert_msg(strstr(raw->body, "ROE-") == NULL, "the rules are in the OSCAL");
	json_array_foreach(results, i, res)
	{
		if (prop_count(res, "capability-emulated", NULL) > 0) {
			ck_assert_msg(a == NULL, "two results emulated something: %s",
			              HT_BODY(raw));
			a = res;
		}
	}
	ck_assert_msg(a != NULL, "no result says what was emulated: %s", HT_BODY(raw));
	ck_assert_int_eq(prop_count(a, "capability-emulated", "OC3"), 1);
	ck_assert_int_eq(prop_count(a, "access-granted", "external"), 1);
	ck_assert_int_eq(prop_count(a, "access-granted", "insider"), 1);
	ck_assert_int_eq(prop_count(a, "access-granted", NULL), 2);
	ck_assert_int_eq(prop_count(a, "person-days", "25"), 1);
	json_array_foreach(json_object_get(a, "findings"), i, fd)
	{
		const char *tid = ht_ostr(json_object_get(fd, "target"), "target-id");

		if (tid != NULL && strcmp(tid, "WEIGHTS-EXFIL") == 0)
			claimf = fd;
		if (prop_count(fd, "verdict", NULL) > 0)
			cm = fd;
	}
	ck_assert_msg(claimf != NULL, "no claim finding: %s", HT_BODY(raw));
	ck_assert_int_eq(prop_count(claimf, "robust-up-to", "OC3"), 1);
	ck_assert_int_eq(prop_count(claimf, "not-met-from", "OC2"), 1);
	ck_assert_int_eq(prop_count(claimf, "contradiction", "true"), 1);
	ck_assert_msg(cm != NULL, "no commitment finding: %s", HT_BODY(raw));
	ck_assert_int_eq(prop_count(cm, "verdict", "refuted"), 1);
	ck_assert_int_eq(prop_count(cm, "commitment-framework", "RAND-SL"), 1);
	ck_assert_int_eq(prop_count(cm, "commitment-level", "SL3"), 1);
	ck_assert_str_eq(ht_ostr(json_object_get(json_object_get(cm, "target"), "status"), "state"),
	                 "not-satisfied");
	ck_assert_str_eq(ht_ostr(json_array_get(json_object_get(cm, "links"), 0), "href"),
	                 "https://example.com/policy");
	ck_assert_msg(strstr(ht_ostr(cm, "description"), "Open OC2 path.") != NULL,
	              "the verdict summary is not in the finding: %s", HT_BODY(raw));
	/* the other row emulated nothing on record: no props, no not-met level */
	json_array_foreach(results, i, res)
	{
		if (res == a)
			continue;
		ck_assert_int_eq(prop_count(res, "access-granted", NULL), 0);
		json_array_foreach(json_object_get(res, "findings"), i, fd)
		    ck_assert_int_eq(prop_count(fd, "not-met-from", NULL), 0);
		break;
	}
	json_decref(results);
	ht_resp_free(raw);
}

/* The aggregate publication's OSCAL: distributions only, suppressed cells kept suppressed. */
static void
check_oscal_aggregate(const char *slug, const char *company)
{
	struct ht_resp *raw;
	json_t *results = pub_oscal(slug, &raw), *fd, *counts = NULL;
	const char *desc = NULL;
	size_t i;

	ck_assert_int_eq(json_array_size(results), 1);
	ck_assert_msg(!ht_mem_contains(raw->body, raw->body_len, company),
	              "the aggregate OSCAL names a company");
	ck_assert_int_eq(prop_count(json_array_get(results, 0), "capability-emulated", NULL), 0);
	json_array_foreach(json_object_get(json_array_get(results, 0), "findings"), i, fd)
	{
		const char *tid = ht_ostr(json_object_get(fd, "target"), "target-id");

		if (tid != NULL && strcmp(tid, "WEIGHTS-EXFIL") == 0)
			desc = ht_ostr(fd, "description");
		if (prop_count(fd, "commitment-framework", "RAND-SL") > 0)
			counts = fd;
		ck_assert_int_eq(prop_count(fd, "verdict", NULL), 0);
	}
	ck_assert_msg(desc != NULL, "no aggregate claim finding: %s", HT_BODY(raw));
	desc = strstr(desc, "by attacker capability emulated: ");
	ck_assert_msg(desc != NULL && strstr(desc, "OC3: suppressed") != NULL,
	              "the aggregate claim finding lacks the coverage: %s", HT_BODY(raw));
	desc = strstr(desc, "demonstrated not met");
	ck_assert_msg(desc != NULL && strstr(desc, "OC2: suppressed") != NULL,
	              "the aggregate claim finding lacks the not-met levels: %s", HT_BODY(raw));
	ck_assert_msg(counts != NULL &&
	                  strstr(ht_ostr(counts, "description"), "refuted: suppressed"),
	              "no suppressed commitment counts: %s", HT_BODY(raw));
	json_decref(results);
	ht_resp_free(raw);
}

START_TEST(test_publication)
{
	time_t t0 = time(NULL) + 25;
	char *at = iso(t0), *page, *text;
	struct pub named = {0}, aggr = {0}, pseudo = {0};
	struct ht_resp *raw = NULL;
	json_t *doc, *row = NULL, *v, *lv, *cov;
	size_t i;

	pub_make(&named, "named", 1, at, "We meet SL3.");
	pub_make(&aggr, "aggregate", 2, at, "We meet SL3.");
	/* under pseudonymous, a commitment naming a company holds the release */
	text = ht_fmt("Unlike %s, we meet SL3.", W.b.org_name);
	pub_make(&pseudo, "pseudonymous", 1, at, text);
	ck_assert_msg(time(NULL) < t0 - 1, "fixture too slow: the instant passed");
	while (time(NULL) < t0 + 1)
		usleep(100000);

	/* named: rows show what was emulated and the flags; never the rules */
	doc = pub_doc(named.slug, 20, &raw);
	ck_assert_msg(doc != NULL, "the named campaign was not published");
	ck_assert_msg(strstr(raw->body, "ROE-") == NULL, "the rules are published");
	ht_resp_free(raw);
	/* beside the rows, which commit-then-reveal committed: the levels of each */
	json_array_foreach(json_object_get(json_object_get(doc, "levels"), "engagements"), i, v)
	{
		if (strcmp(ht_ostr(v, "company"), W.a.org_name) == 0)
			row = v;
	}
	ck_assert_msg(row != NULL, "no levels of A");
	json_array_foreach(json_object_get(doc, "engagements"), i, v)
	{
		ck_assert_msg(json_object_get(v, "emulation") == NULL &&
		                  json_object_get(v, "commitments") == NULL,
		              "the committed rows changed shape");
	}
	v = json_object_get(row, "emulation");
	ck_assert_str_eq(ht_ostr(v, "capability"), "OC3");
	ck_assert_int_eq(json_array_size(json_object_get(v, "access")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "person_days")), 25);
	ck_assert_msg(json_object_get(v, "rules_of_engagement") == NULL, "rules in the row");
	v = json_object_get(json_object_get(row, "claims"), "WEIGHTS-EXFIL");
	ck_assert_str_eq(ht_ostr(v, "not_met_from"), "OC2");
	ck_assert_msg(json_is_true(json_object_get(v, "contradiction")), "no flag");
	v = json_array_get(json_object_get(row, "commitments"), 0);
	ck_assert_str_eq(ht_ostr(v, "verdict"), "refuted");
	ck_assert_str_eq(ht_ostr(v, "level"), "SL3");
	lv = json_object_get(json_object_get(doc, "aggregate"), "levels");
	cov = json_object_get(json_object_get(lv, "coverage"), "WEIGHTS-EXFIL");
	ck_assert_int_eq(json_integer_value(json_object_get(cov, "OC3")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(cov, "unrecorded")), 1);
	v = json_object_get(json_object_get(lv, "not_met"), "WEIGHTS-EXFIL");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "OC2")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "none")), 1);
	json_decref(doc);
	/* the signed document, rows and commitments still verify with the client */
	{
		char exe[PATH_MAX];
		const char *cp =
		    ht_env("LOCKSTEP_TEST_CLI") ? ht_env("LOCKSTEP_TEST_CLI") : "./lockstep";
		const char *args[] = {"verify", named.slug, NULL};
		int st;
		char *out;

		ck_assert_msg(realpath(cp, exe) != NULL, "no client at %s", cp);
		out = cli(exe, &st, args);
		ck_assert_msg(st == 0 && strstr(out, "\"verified\": true"), "verify: exit %d: %s",
		              st, out);
		free(out);
	}
	/* the public OSCAL carries the same levels and still validates */
	check_oscal_named(named.slug);
	page = pub_page(named.slug);
	ck_assert_msg(strstr(page, "Robust against whom?") && strstr(page, "<caption>Coverage") &&
	                  strstr(page, "not met (all companies)</title>"),
	              "the page has no coverage matrix");
	ck_assert_msg(strstr(page, "ROE-") == NULL, "the page shows the rules");
	ck_assert_msg(strstr(page, "contradicts the claim") != NULL, "no contradiction shown");
	free(page);

	/* aggregate, k = 2: no rows, and every cell of fewer than 2 companies suppressed */
	doc = pub_doc(aggr.slug, 10, NULL);
	ck_assert_msg(doc != NULL, "the aggregate campaign was not published");
	ck_assert_int_eq(json_array_size(json_object_get(doc, "engagements")), 0);
	lv = json_object_get(json_object_get(doc, "aggregate"), "levels");
	cov = json_object_get(json_object_get(lv, "coverage"), "WEIGHTS-EXFIL");
	ck_assert_str_eq(ht_ostr(cov, "OC3"), "suppressed");
	ck_assert_str_eq(ht_ostr(cov, "unrecorded"), "suppressed");
	v = json_object_get(json_object_get(lv, "not_met"), "WEIGHTS-EXFIL");
	ck_assert_str_eq(ht_ostr(v, "OC2"), "suppressed");
	v = json_object_get(json_object_get(lv, "commitments"), "RAND-SL");
	ck_assert_str_eq(ht_ostr(v, "refuted"), "suppressed");
	check_oscal_aggregate(aggr.slug, W.a.org_name);
	page = pub_page(aggr.slug);
	/* a table or chart mostly suppressed is one note saying what is withheld and why */
	ck_assert_msg(strstr(page, "Robust against whom?") &&
	                  strstr(page, "Coverage: assessments of each threat model") &&
	                  strstr(page, "Suppressed: ") && strstr(page, "minimum cohort"),
	              "no suppressed coverage note on the aggregate page");
	ck_assert_msg(strstr(page, W.a.org_name) == NULL, "the aggregate page names A");
	free(page);
	json_decref(doc);

	/* pseudonymous: held, and A is told which of its texts */
	doc = pub_doc(pseudo.slug, 3, NULL);
	ck_assert_msg(doc == NULL, "a commitment naming a company was published");
	{
		char *hp = ht_fmt("/api/v1/engagements/%s/hold", pseudo.eng_a);
		struct ht_resp *r = call("GET", hp, W.a.admin.token, NULL, 200);
		int found = 0;

		ck_assert_msg(json_is_true(json_object_get(r->json, "held")), "not held: %s",
		              HT_BODY(r));
		json_array_foreach(json_object_get(r->json, "fields"), i, v)
		{
			if (strcmp(json_string_value(v), "commitment") == 0)
				found = 1;
		}
		ck_assert_msg(found, "the hold does not name the commitment: %s", HT_BODY(r));
		ht_resp_free(r);
		free(hp);
	}
	pub_free(&named);
	pub_free(&aggr);
	pub_free(&pseudo);
	free(text);
	free(at);
}
END_TEST

/* ------------------------------------------------------------ series */

/* A campaign with A x X released at at, X's claim level; its id (and *slug). */
static char *
series_campaign(const char *disclosure, const char *at, const char *level, char **slug)
{
	char *p;
	struct ht_resp *r;
	char *id, *eng;

	*slug = ht_unique("series");
	r = call("POST", "/api/v1/campaigns", W.coord.token,
	         json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", "Series test", "slug", *slug,
	                   "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                   disclosure),
	         201);
	id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	p = ht_fmt("/api/v1/campaigns/%s/engagements", id);
	r = call("POST", p, W.coord.token,
	         json_pack("{s:s, s:s, s:s, s:[]}", "company_org", W.a.org_id, "assessor_org",
	                   W.x.org_id, "scope", "scope", "lead_assessors"),
	         201);
	eng = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(p);
	claim(W.x.admin.token, eng, "WEIGHTS-EXFIL", level);
	free(eng);
	return id;
}

/*
 * A campaign follows an earlier, released one (set by the coordinator
 * only; an unreleased or unknown campaign, itself, or a released campaign
 * refused); the later publication shows the change per company when both
 * are named, per distribution otherwise, and its page says so.
 */
START_TEST(test_series)
{
	time_t t0 = time(NULL) + 8, t1;
	char *at = iso(t0), *at2, *s1, *s2, *s3, *id1, *id2, *id3, *p, *page;
	json_t *doc, *v;
	const char *unknown = "6b1e0c1e-3c0b-4a51-9b7d-2f0f6c1e9a00";

	id1 = series_campaign("named", at, "OC3", &s1);
	/* before it is released, nothing may follow it */
	t1 = time(NULL) + 60;
	at2 = iso(t1);
	id2 = series_campaign("named", at2, "OC1", &s2);
	id3 = series_campaign("aggregate", at2, "OC2", &s3);
	p = ht_fmt("/api/v1/campaigns/%s/follows", id2);
	call0("PUT", p, W.coord.token, json_pack("{s:s}", "follows", id1), 422);
	call0("PUT", p, W.coord.token, json_pack("{s:s}", "follows", id2), 422);
	call0("PUT", p, W.coord.token, json_pack("{s:s}", "follows", unknown), 422);
	call0("PUT", p, W.coord.token, json_pack("{s:s}", "follows", "not-a-uuid"), 422);
	call0("PUT", p, W.x.admin.token, json_pack("{s:s}", "follows", id1), 404);
	call0("PUT", p, W.a.admin.token, json_pack("{s:s}", "follows", id1), 404);
	while (time(NULL) < t0 + 1)
		usleep(100000);
	doc = pub_doc(s1, 15, NULL);
	ck_assert_msg(doc != NULL, "the first campaign was not published");
	json_decref(doc);
	{
		struct ht_resp *r =
		    call("PUT", p, W.coord.token, json_pack("{s:s}", "follows", id1), 200);

		ck_assert_str_eq(ht_ostr(json_object_get(r->json, "follows"), "slug"), s1);
		ht_resp_free(r);
		/* a participant sees it too */
		r = call("GET", p, W.a.admin.token, NULL, 200);
		ck_assert_str_eq(ht_ostr(json_object_get(r->json, "follows"), "slug"), s1);
		ht_resp_free(r);
	}
	free(p);
	p = ht_fmt("/api/v1/campaigns/%s/follows", id3);
	call0("PUT", p, W.coord.token, json_pack("{s:s}", "follows", id1), 200);
	free(p);
	/* a released campaign follows nothing new */
	p = ht_fmt("/api/v1/campaigns/%s/follows", id1);
	call0("PUT", p, W.coord.token, json_pack("{s:s}", "follows", ""), 409);
	free(p);
	/* bring the release of the follow-ups forward */
	free(at2);
	t1 = time(NULL) + 4;
	at2 = iso(t1);
	p = ht_fmt("/api/v1/campaigns/%s", id2);
	call0("PATCH", p, W.coord.token,
	      json_pack("{s:s, s:s}", "release_at", at2, "reason", "series test"), 200);
	free(p);
	p = ht_fmt("/api/v1/campaigns/%s", id3);
	call0("PATCH", p, W.coord.token,
	      json_pack("{s:s, s:s}", "release_at", at2, "reason", "series test"), 200);
	free(p);
	while (time(NULL) < t1 + 1)
		usleep(100000);
	doc = pub_doc(s2, 15, NULL);
	ck_assert_msg(doc != NULL, "the named follow-up was not published");
	v = json_object_get(doc, "series");
	ck_assert_str_eq(ht_ostr(json_object_get(v, "follows"), "slug"), s1);
	ck_assert_str_eq(ht_ostr(v, "by"), "company");
	v = json_array_get(json_object_get(v, "changes"), 0);
	ck_assert_str_eq(ht_ostr(v, "company"), W.a.org_name);
	v = json_object_get(json_object_get(v, "claims"), "WEIGHTS-EXFIL");
	ck_assert_str_eq(ht_ostr(v, "before"), "OC3");
	ck_assert_str_eq(ht_ostr(v, "after"), "OC1");
	json_decref(doc);
	page = pub_page(s2);
	ck_assert_msg(strstr(page, "Changes since") && strstr(page, "Claim levels per company"),
	              "the page shows no change");
	free(page);
	doc = pub_doc(s3, 15, NULL);
	ck_assert_msg(doc != NULL, "the aggregate follow-up was not published");
	v = json_object_get(doc, "series");
	ck_assert_str_eq(ht_ostr(v, "by"), "distribution");
	v = json_object_get(json_object_get(v, "changes"), "WEIGHTS-EXFIL");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(v, "before"), "OC3")),
	                 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(v, "after"), "OC2")),
	                 1);
	json_decref(doc);
	page = pub_page(s3);
	ck_assert_msg(strstr(page, W.a.org_name) == NULL, "the aggregate page names A");
	free(page);
	free(at);
	free(at2);
	free(s1);
	free(s2);
	free(s3);
	free(id1);
	free(id2);
	free(id3);
}
END_TEST

/*
 * The company reviews what the public will read of its engagement: the
 * review draft's row carries its security levels (what was emulated, the
 * levels not met, the commitments with their verdicts), the draft's page
 * shows them, and a verdict changed after a freeze reopens the review
 * with a new draft version.
 */
static json_t *
draft_commitment(const char *eng, long long min_version, const char *verdict, long long *version)
{
	char *p = ht_fmt("/api/v1/engagements/%s/review", eng);
	json_t *got = NULL;

	for (int i = 0; i < 200 && got == NULL; i++) {
		struct ht_resp *r = ht_request("GET", p, W.a.admin.token, NULL);
		json_t *d = r->json ? json_object_get(r->json, "draft") : NULL;
		json_t *k = json_array_get(
		    json_object_get(json_object_get(json_object_get(d, "row"), "levels"), "commitments"),
		    0);

		if (r->status == 200 && json_integer_value(json_object_get(d, "version")) >= min_version &&
		    k != NULL && strcmp(ht_ostr(k, "verdict") ? ht_ostr(k, "verdict") : "", verdict) == 0) {
			got = json_deep_copy(json_object_get(json_object_get(d, "row"), "levels"));
			*version = json_integer_value(json_object_get(d, "version"));
		}
		ht_resp_free(r);
		if (got == NULL)
			usleep(100000);
	}
	free(p);
	return got;
}

START_TEST(test_review_draft_levels)
{
	char when[32], *slug = ht_unique("lvreview"), *cid, *eid, *path, *vp;
	time_t t = time(NULL) + 3600;
	struct tm tm;
	struct ht_resp *r;
	json_t *lv;
	long long v1 = 0, v2 = 0;

	for (char *q = slug; *q; q++)
		if (*q == '_')
			*q = '-';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* released in an hour: its review window (72 h before) is open */
	r = call("POST", "/api/v1/campaigns", W.coord.token,
	         json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", slug, "slug", slug,
	                   "threat_models", "WEIGHTS-EXFIL", "release_at", when, "disclosure",
	                   "named"),
	         201);
	cid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	path = ht_fmt("/api/v1/campaigns/%s/engagements", cid);
	r = call("POST", path, W.coord.token,
	         json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id, "assessor_org",
	                   W.x.org_id, "scope", "s", "lead_assessors", "Lead"),
	         201);
	eid = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(path);
	path = ht_fmt("/api/v1/engagements/%s/stage", eid);
	call0("POST", path, W.x.admin.token, json_pack("{s:s}", "stage", "fieldwork"), 200);
	free(path);
	path = ht_fmt("/api/v1/engagements/%s/emulation", eid);
	r = ht_request("PUT", path, W.x.admin.token,
	               "{\"capability\":\"OC3\",\"access\":[\"insider\"],\"person_days\":17}");
	ck_assert_msg(r->status == 200 || r->status == 201, "emulation: %ld %s", r->status, r->body);
	ht_resp_free(r);
	free(path);
	path = ht_fmt("/api/v1/engagements/%s/commitments", eid);
	r = call("POST", path, W.a.admin.token,
	         json_pack("{s:s, s:s, s:s, s:s}", "framework", "RAND-SL", "version",
	                   "RR-A2849-1 (2024)", "level", "SL3", "text",
	                   "Reviewed commitment: weights are protected against syndicates."),
	         201);
	vp = ht_fmt("/api/v1/commitments/%s/verdict", ht_jstr(r, "id"));
	ht_resp_free(r);
	free(path);
	call0("PUT", vp, W.x.admin.token,
	      json_pack("{s:s, s:s}", "verdict", "supported", "summary", "Held in our tests."), 200);
	/* the draft shows all of it */
	lv = draft_commitment(eid, 1, "supported", &v1);
	ck_assert_msg(lv != NULL, "no review draft with the commitment's verdict");
	ck_assert_str_eq(ht_ostr(json_object_get(lv, "emulation"), "capability"), "OC3");
	ck_assert_str_eq(ht_ostr(json_array_get(json_object_get(lv, "commitments"), 0), "summary"),
	                 "Held in our tests.");
	ck_assert_msg(json_object_get(lv, "company") == NULL, "the draft's levels name a company");
	json_decref(lv);
	path = ht_fmt("/api/v1/engagements/%s/review/page", eid);
	r = ht_request("GET", path, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, "What each assessment emulated") &&
	                  strstr(r->body, "Reviewed commitment: weights are protected") &&
	                  strstr(r->body, "Held in our tests."),
	              "the draft page does not show the levels: %s", HT_BODY(r));
	ht_resp_free(r);
	/* a verdict changed after the freeze: a new version, the review reopened */
	call0("PUT", vp, W.x.admin.token,
	      json_pack("{s:s, s:s}", "verdict", "refuted", "summary", "Failed in our tests."), 200);
	lv = draft_commitment(eid, v1 + 1, "refuted", &v2);
	ck_assert_msg(lv != NULL, "the changed verdict did not make a new draft version");
	ck_assert_msg(v2 > v1, "version %lld after %lld", v2, v1);
	json_decref(lv);
	{
		char *rp = ht_fmt("/api/v1/engagements/%s/review", eid);
		const json_t *ch;
		size_t i;
		int named = 0;

		r = ht_request("GET", rp, W.a.admin.token, NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_str_eq(ht_jstr(r, "state"), "pending");
		/* the draft says what changed: the commitments */
		json_array_foreach(json_object_get(json_object_get(r->json, "draft"), "changes"), i, ch)
		{
			if (strcmp(json_string_value(ch), "levels.commitments") == 0)
				named = 1;
		}
		ck_assert_msg(named, "the new draft does not name levels.commitments: %s", HT_BODY(r));
		ht_resp_free(r);
		/* another company sees none of it */
		r = ht_request("GET", rp, W.b.admin.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		free(rp);
	}
	free(path);
	free(vp);
	free(eid);
	free(cid);
	free(slug);
}
END_TEST

static Suite *
levels_suite(void)
{
	Suite *s = suite_create("levels");
	TCase *tc = tcase_create("levels");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_vocabulary);
	tcase_add_test(tc, test_emulation);
	tcase_add_test(tc, test_contradiction);
	tcase_add_test(tc, test_commitments);
	tcase_add_test(tc, test_history_oc_required);
	tcase_add_test(tc, test_oscal_levels);
	tcase_add_test(tc, test_import_oc_required);
	tcase_add_test(tc, test_cli);
	tcase_add_test(tc, test_publication);
	tcase_add_test(tc, test_series);
	tcase_add_test(tc, test_review_draft_levels);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, levels_suite);
}

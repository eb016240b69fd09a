/*
 * check_tenancy: the tenancy matrix. Companies A and B, assessor firms X
 * and Y, the coordinator and an anonymous caller; every route that takes
 * an id, called by every role that must not reach that object, with the
 * write methods too. Each attempt must be refused (401 anonymous, 404
 * otherwise) with a body byte-identical to the answer for an id that never
 * existed, must not leak any tenant's confidential text or name, and must
 * change nothing (checked afterwards through the legitimate owners and the
 * database). Plus role rules inside one's own engagement, and lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct ht_world W;
static char *intruder_email, *intruder_org, *intruder_slug;

enum role { R_ANON, R_COORD, R_A, R_B, R_X, R_Y, R__COUNT };

static const char *const role_names[R__COUNT] = {
    "anonymous", "coordinator", "company A", "company B", "assessor X", "assessor Y",
};

static const char *
role_token(enum role r)
{
	switch (r) {
	case R_COORD:
		return W.coord.token;
	case R_A:
		return W.a.admin.token;
	case R_B:
		return W.b.admin.token;
	case R_X:
		return W.x.admin.token;
	case R_Y:
		return W.y.admin.token;
	default:
		return NULL;
	}
}

/* One attempt: role calls method on fmt (with %s the object's id, or no %s). */
struct attempt {
	enum role role;
	const char *method;
	const char *fmt;
	const char *id; /* NULL when fmt has no %s */
	char *body;     /* owned by the table builder's arena (bodies[]) */
	int own_tenant; /* a role rule, not another tenant's object */
};

#define MAX_ATTEMPTS 1000
static struct attempt table[MAX_ATTEMPTS];
static int n_table;

static void
add(enum role role, const char *method, const char *fmt, const char *id, char *body, int own)
{
	ck_assert_msg(n_table < MAX_ATTEMPTS, "matrix table overflow");
	table[n_table].role = role;
	table[n_table].method = method;
	table[n_table].fmt = fmt;
	table[n_table].id = id;
	table[n_table].body = body;
	table[n_table].own_tenant = own;
	n_table++;
}

/* ------------------------------------------------------------ bodies */

static char *token_a_id;
static char *b_token;
static char *b_finding, *b_patch, *b_claim, *b_statement, *b_name_check, *b_user, *b_engagement,
    *b_campaign_patch, *b_org, *b_campaign, *b_invite, *b_stage, *b_signoff, *b_review_text,
    *b_decision, *b_sarif;
static char *invite_a_id;
/* issue 11: the conversation about a finding, remediation defaults, notifications */
static char *b_comment, *b_risk, *b_risk_decision, *b_retest, *b_days, *b_webhook;
static char *webhook_x, *notification_a;
/* issue 14: what an engagement emulated, commitments and verdicts */
static char *b_emulation, *b_commitment, *b_verdict, *commitment_a;

static void
make_bodies(void)
{
	char *rel = ht_future_time(90);

	b_finding = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL",
	                               "title", "intruder finding", "detail",
	                               "planted by another tenant", "severity", "low"));
	/* a status every participant may name (a company no longer names accepted: 0009) */
	b_patch = strdup("{\"status\":\"remediating\"}");
	/* a valid SARIF 2.1.0 log (sent as application/json) with one result */
	b_sarif = strdup("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":"
	                 "\"intruder\"}},\"properties\":{\"threat_model\":\"WEIGHTS-EXFIL\"},"
	                 "\"results\":[{\"ruleId\":\"planted\",\"message\":{\"text\":"
	                 "\"planted by another tenant\"}}]}]}");
	b_token = strdup("{\"name\":\"intruder\",\"ttl_days\":1}");
	b_claim = strdup("{\"level\":\"OC1\",\"summary\":\"intruder claim\"}");
	b_statement = strdup("{\"text\":\"intruder statement\"}");
	b_name_check = strdup("{\"text\":\"intruder text\"}");
	b_stage = strdup("{\"stage\":\"reporting\"}");
	b_decision = strdup("{\"decision\":\"withhold\",\"reason\":\"intruder decision\"}");
	b_signoff = strdup("{\"draft_hash\":"
	                   "\"0000000000000000000000000000000000000000000000000000000000000000\"}");
	b_review_text =
	    strdup("{\"draft_hash\":"
	           "\"0000000000000000000000000000000000000000000000000000000000000000\","
	           "\"text\":\"intruder review text\"}");
	b_user =
	    ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "email", intruder_email, "name", "Intruder",
	                       "role", "admin", "password", "intruder-password-1234"));
	b_invite = ht_jdump(json_pack("{s:s, s:s, s:s}", "email", intruder_email, "name",
	                              "Intruder", "role", "admin"));
	b_engagement =
	    ht_jdump(json_pack("{s:s, s:s, s:s, s:[]}", "company_org", W.b.org_id, "assessor_org",
	                       W.y.org_id, "scope", "intruder scope", "lead_assessors"));
	b_campaign_patch = strdup("{\"title\":\"hijacked campaign\",\"slug\":\"hijacked-slug\"}");
	b_comment = strdup("{\"body\":\"intruder comment\"}");
	b_risk =
	    ht_jdump(json_pack("{s:s, s:s}", "justification", "intruder asks", "expires_at", rel));
	b_risk_decision = strdup("{\"decision\":\"accept\"}");
	b_retest = strdup("{\"result\":\"passed\",\"note\":\"intruder retest\"}");
	b_days = strdup("{\"critical\":1}");
	b_emulation = strdup("{\"capability\":\"OC1\",\"access\":[\"external\"],"
	                     "\"rules_of_engagement\":\"intruder rules\"}");
	b_commitment = strdup("{\"framework\":\"RAND-SL\",\"version\":\"RR-A2849-1 (2024)\","
	                      "\"level\":\"SL1\",\"text\":\"intruder commitment\"}");
	b_verdict = strdup("{\"verdict\":\"refuted\",\"summary\":\"intruder verdict\"}");
	b_webhook = strdup("{\"url\":\"https://intruder.example.com/hook\"}");
	b_org = ht_jdump(
	    json_pack("{s:s, s:s, s:[]}", "name", intruder_org, "kind", "company", "aliases"));
	b_campaign = ht_jdump(json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", "intruder campaign",
	                                "slug", intruder_slug, "threat_models", "WEIGHTS-EXFIL",
	                                "release_at", rel, "disclosure", "named"));
	free(rel);
}

/* ------------------------------------------------------------- table */

/* Routes on an engagement's content; coord_may: the coordinator may use it. */
static const struct {
	const char *method;
	const char *fmt;
	int on_finding;
	int coord_may;
	char **body;
} content_routes[] = {
    {"GET", "/api/v1/engagements/%s", 0, 1, NULL},
    {"GET", "/api/v1/engagements/%s/findings", 0, 0, NULL},
    {"POST", "/api/v1/engagements/%s/findings", 0, 0, &b_finding},
    {"POST", "/api/v1/engagements/%s/findings:import", 0, 0, &b_sarif},
    {"GET", "/api/v1/engagements/%s/findings.csv", 0, 0, NULL},
    {"GET", "/api/v1/engagements/%s/oscal", 0, 0, NULL},
    {"GET", "/api/v1/engagements/%s/report", 0, 0, NULL},
    {"GET", "/api/v1/engagements/%s/claims", 0, 0, NULL},
    {"GET", "/api/v1/engagements/%s/emulation", 0, 1, NULL},
    {"PUT", "/api/v1/engagements/%s/emulation", 0, 0, &b_emulation},
    {"GET", "/api/v1/engagements/%s/levels", 0, 0, NULL},
    {"POST", "/api/v1/engagements/%s/commitments", 0, 0, &b_commitment},
    {"GET", "/api/v1/engagements/%s/commitments", 0, 0, NULL},
    {"PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", 0, 0, &b_claim},
    {"GET", "/api/v1/engagements/%s/statement", 0, 0, NULL},
    {"PUT", "/api/v1/engagements/%s/statement", 0, 0, &b_statement},
    {"POST", "/api/v1/engagements/%s/name-check", 0, 0, &b_name_check},
    {"POST", "/api/v1/engagements/%s/stage", 0, 1, &b_stage},
    {"GET", "/api/v1/engagements/%s/review", 0, 0, NULL},
    {"GET", "/api/v1/engagements/%s/hold", 0, 0, NULL},
    {"GET", "/api/v1/engagements/%s/review/page", 0, 0, NULL},
    {"POST", "/api/v1/engagements/%s/review/sign-off", 0, 0, &b_signoff},
    {"POST", "/api/v1/engagements/%s/review/response", 0, 0, &b_review_text},
    {"PUT", "/api/v1/engagements/%s/review/addendum", 0, 0, &b_review_text},
    {"GET", "/api/v1/findings/%s", 1, 0, NULL},
    {"PATCH", "/api/v1/findings/%s", 1, 0, &b_patch},
    {"GET", "/api/v1/findings/%s/history", 1, 0, NULL},
    {"POST", "/api/v1/findings/%s/comments", 1, 0, &b_comment},
    {"GET", "/api/v1/findings/%s/comments", 1, 0, NULL},
    {"POST", "/api/v1/findings/%s/risk-acceptances", 1, 0, &b_risk},
    {"GET", "/api/v1/findings/%s/risk-acceptances", 1, 0, NULL},
    {"POST", "/api/v1/findings/%s/risk-acceptances/2c5e1f0a-7d3b-4c8e-9f10-5a6b7c8d9e0f/decision",
     1, 0, &b_risk_decision},
    {"POST", "/api/v1/findings/%s/retests", 1, 0, &b_retest},
    {"GET", "/api/v1/findings/%s/retests", 1, 0, NULL},
};

static void
add_side(const char *eng, const char *finding, enum role f1, enum role f2)
{
	size_t i;

	for (i = 0; i < sizeof(content_routes) / sizeof(content_routes[0]); i++) {
		const char *id = content_routes[i].on_finding ? finding : eng;
		char *body = content_routes[i].body ? *content_routes[i].body : NULL;

		if (id == NULL)
			continue;
		add(f1, content_routes[i].method, content_routes[i].fmt, id, body, 0);
		add(f2, content_routes[i].method, content_routes[i].fmt, id, body, 0);
		add(R_ANON, content_routes[i].method, content_routes[i].fmt, id, body, 0);
		if (!content_routes[i].coord_may)
			add(R_COORD, content_routes[i].method, content_routes[i].fmt, id, body, 0);
	}
}

static void
add_org(const struct ht_tenant *t, enum role own)
{
	enum role r;

	for (r = R_ANON; r < R__COUNT; r++) {
		if (r == own || r == R_COORD)
			continue;
		add(r, "GET", "/api/v1/orgs/%s/users", t->org_id, NULL, 0);
		add(r, "POST", "/api/v1/orgs/%s/users", t->org_id, b_user, 0);
		add(r, "DELETE", "/api/v1/users/%s/sessions", t->admin.user_id, NULL, 0);
		/* issue 9: a user's sessions and tokens, as their org admin sees them */
		add(r, "GET", "/api/v1/users/%s/tokens", t->admin.user_id, NULL, 0);
		add(r, "GET", "/api/v1/orgs/%s/second-factors", t->org_id, NULL, 0);
		/* accounts: invitations, reset links, disabling (issue 9) */
		add(r, "GET", "/api/v1/orgs/%s/invitations", t->org_id, NULL, 0);
		add(r, "POST", "/api/v1/orgs/%s/invitations", t->org_id, b_invite, 0);
		add(r, "POST", "/api/v1/users/%s/password-reset", t->admin.user_id, NULL, 0);
		add(r, "POST", "/api/v1/users/%s/disable", t->admin.user_id, NULL, 0);
		add(r, "POST", "/api/v1/users/%s/enable", t->admin.user_id, NULL, 0);
	}
	/* only the coordinator disables an org or sets a password for a person;
	 * an org admin invites (no oracle) */
	for (r = R_ANON; r < R__COUNT; r++) {
		if (r == R_COORD)
			continue;
		add(r, "POST", "/api/v1/orgs/%s/disable", t->org_id, NULL, r == own);
		add(r, "POST", "/api/v1/orgs/%s/enable", t->org_id, NULL, r == own);
	}
	/* the coordinator's own: the audit export and corrections (issue 13) */
	if (t == &W.a)
		for (r = R_ANON; r < R__COUNT; r++) {
			if (r == R_COORD)
				continue;
			add(r, "GET", "/api/v1/audit", NULL, NULL, 0);
			add(r, "POST", "/api/v1/publications/%s/corrections", W.campaign_slug,
			    strdup("{\"reason\":\"intruder correction\"}"), 0);
		}
	add(own, "POST", "/api/v1/orgs/%s/users", t->org_id, b_user, 1);
	/* webhooks: only the org's own admins, not even the coordinator */
	for (r = R_ANON; r < R__COUNT; r++) {
		if (r == own)
			continue;
		add(r, "GET", "/api/v1/orgs/%s/webhooks", t->org_id, NULL, 0);
		add(r, "POST", "/api/v1/orgs/%s/webhooks", t->org_id, b_webhook, 0);
	}
}

static void
build_table(void)
{
	enum role r;

	n_table = 0;
	make_bodies();
	/* other tenants' engagements, findings, claims, statements */
	add_side(W.eng_ax, W.finding_a, R_B, R_Y);
	add_side(W.eng_by, W.finding_b, R_A, R_X);
	add_side(W.eng_ax2, NULL, R_B, R_Y);
	/* other orgs' users and sessions */
	add_org(&W.a, R_A);
	add_org(&W.b, R_B);
	add_org(&W.x, R_X);
	add_org(&W.y, R_Y);
	/* series (issue 14): who follows what is the coordinator's to set */
	add(R_B, "GET", "/api/v1/campaigns/%s/follows", W.campaign2_id, NULL, 0);
	add(R_Y, "GET", "/api/v1/campaigns/%s/follows", W.campaign2_id, NULL, 0);
	add(R_ANON, "GET", "/api/v1/campaigns/%s/follows", W.campaign_id, NULL, 0);
	for (r = R_ANON; r < R__COUNT; r++)
		if (r != R_COORD) {
			add(r, "PUT", "/api/v1/campaigns/%s/follows", W.campaign_id,
			    strdup("{\"follows\":\"\"}"), r != R_ANON);
			add(r, "PUT", "/api/v1/campaigns/%s/follows", W.campaign2_id,
			    strdup("{\"follows\":\"\"}"), 0);
		}
	/* campaigns: 2 has no engagement of B or Y; only the coordinator writes */
	add(R_B, "GET", "/api/v1/campaigns/%s", W.campaign2_id, NULL, 0);
	add(R_Y, "GET", "/api/v1/campaigns/%s", W.campaign2_id, NULL, 0);
	add(R_ANON, "GET", "/api/v1/campaigns/%s", W.campaign2_id, NULL, 0);
	for (r = R_ANON; r < R__COUNT; r++) {
		if (r == R_COORD)
			continue;
		add(r, "PATCH", "/api/v1/campaigns/%s", W.campaign2_id, b_campaign_patch, 0);
		add(r, "PATCH", "/api/v1/campaigns/%s", W.campaign_id, b_campaign_patch,
		    r != R_ANON);
		add(r, "POST", "/api/v1/campaigns/%s/engagements", W.campaign2_id, b_engagement, 0);
		add(r, "POST", "/api/v1/campaigns/%s/engagements", W.campaign_id, b_engagement,
		    r != R_ANON);
		add(r, "GET", "/api/v1/campaigns/%s/dashboard", W.campaign2_id, NULL, 0);
		add(r, "POST", "/api/v1/campaigns/%s/hold/decision", W.campaign2_id, b_decision, 0);
		add(r, "POST", "/api/v1/campaigns/%s/hold/decision", W.campaign_id, b_decision,
		    r != R_ANON);
		add(r, "GET", "/api/v1/campaigns/%s/dashboard", W.campaign_id, NULL, r != R_ANON);
		/* coordinator-only routes without an id */
		add(r, "POST", "/api/v1/orgs", NULL, b_org, r != R_ANON);
		add(r, "GET", "/api/v1/orgs", NULL, NULL, r != R_ANON);
		add(r, "POST", "/api/v1/campaigns", NULL, b_campaign, r != R_ANON);
	}
	/* another user's API token: nobody else may revoke it */
	{
		struct ht_resp *t = ht_request("POST", "/api/v1/tokens", W.a.admin.token,
		                               "{\"name\":\"tenancy\",\"ttl_days\":1}");

		ck_assert_msg(t->status == 201, "token: %ld %s", t->status, HT_BODY(t));
		token_a_id = strdup(ht_jstr(t, "id"));
		ht_resp_free(t);
	}
	for (r = R_ANON; r < R__COUNT; r++) {
		if (r != R_A)
			add(r, "DELETE", "/api/v1/tokens/%s", token_a_id, NULL, 0);
	}
	/* nobody but A's admin (and the coordinator) may revoke it through its user either */
	{
		static char *user_token_fmt;

		free(user_token_fmt);
		user_token_fmt = ht_fmt("/api/v1/users/%%s/tokens/%s", token_a_id);
		for (r = R_ANON; r < R__COUNT; r++)
			if (r != R_A && r != R_COORD)
				add(r, "DELETE", user_token_fmt, W.a.admin.user_id, NULL, 0);
	}
	/* the campaign's second-factor requirement: the coordinator's alone */
	for (r = R_ANON; r < R__COUNT; r++)
		if (r != R_COORD)
			add(r, "PUT", "/api/v1/campaigns/%s/second-factor", W.campaign_id,
			    strdup("{\"required\":true}"), 0);
	/* the caller's own second factor: anonymous callers are refused */
	add(R_ANON, "GET", "/api/v1/me/totp", NULL, NULL, 0);
	add(R_ANON, "POST", "/api/v1/me/totp", NULL, NULL, 0);
	add(R_ANON, "POST", "/api/v1/me/totp/confirm", NULL, strdup("{\"code\":\"123456\"}"), 0);
	add(R_ANON, "POST", "/api/v1/me/totp/disable", NULL, strdup("{\"code\":\"123456\"}"), 0);
	/* another org's invitation: nobody but its admin and the coordinator revokes it */
	{
		char *p = ht_fmt("/api/v1/orgs/%s/invitations", W.a.org_id);
		char *u = ht_unique("invitee");
		char *body =
		    ht_jdump(json_pack("{s:s, s:s, s:s}", "email", ht_fmt("%s@example.test", u),
		                       "name", "Invitee", "role", "member"));
		struct ht_resp *t = ht_request("POST", p, W.a.admin.token, body);

		ck_assert_msg(t->status == 201, "invitation: %ld %s", t->status, HT_BODY(t));
		invite_a_id = strdup(ht_jstr(t, "id"));
		ht_resp_free(t);
		free(body);
		free(u);
		free(p);
	}
	for (r = R_ANON; r < R__COUNT; r++) {
		if (r != R_A && r != R_COORD)
			add(r, "DELETE", "/api/v1/invitations/%s", invite_a_id, NULL, 0);
	}
	add(R_ANON, "PUT", "/api/v1/me/password", NULL,
	    strdup("{\"current_password\":\"x\",\"new_password\":\"another long password\"}"), 0);
	add(R_ANON, "GET", "/api/v1/tokens", NULL, NULL, 0);
	add(R_ANON, "POST", "/api/v1/tokens", NULL, b_token, 0);
	add(R_ANON, "GET", "/api/v1/me", NULL, NULL, 0);
	/* issue 11: X's webhook, A's notification, campaigns' remediation defaults */
	{
		struct ht_resp *t;
		char *p = ht_fmt("/api/v1/orgs/%s/webhooks", W.x.org_id);

		t = ht_request(
		    "POST", p, W.x.admin.token,
		    "{\"url\":\"https://hooks.example.com/x\",\"events\":[\"release.published\"]}");
		ck_assert_msg(t->status == 201, "webhook: %ld %s", t->status, HT_BODY(t));
		webhook_x = strdup(ht_jstr(t, "id"));
		ht_resp_free(t);
		free(p);
		t = ht_request("GET", "/api/v1/inbox?limit=1", W.a.admin.token, NULL);
		ck_assert_msg(t->status == 200 &&
		                  json_array_size(json_object_get(t->json, "items")) == 1,
		              "A's inbox is empty: %s", HT_BODY(t));
		notification_a =
		    strdup(ht_ostr(json_array_get(json_object_get(t->json, "items"), 0), "id"));
		ht_resp_free(t);
	}
	for (r = R_ANON; r < R__COUNT; r++) {
		if (r != R_X) {
			add(r, "DELETE", "/api/v1/webhooks/%s", webhook_x, NULL, 0);
			add(r, "GET", "/api/v1/webhooks/%s/deliveries", webhook_x, NULL, 0);
		}
		if (r != R_A)
			add(r, "POST", "/api/v1/inbox/%s/read", notification_a, NULL, 0);
		if (r != R_COORD) {
			add(r, "PUT", "/api/v1/campaigns/%s/remediation-days", W.campaign_id,
			    b_days, r != R_ANON);
			add(r, "PUT", "/api/v1/campaigns/%s/remediation-days", W.campaign2_id,
			    b_days, 0);
		}
	}
	/* a real pending request of B's: nobody but B's assessor Y decides it */
	{
		char *p = ht_fmt("/api/v1/findings/%s/risk-acceptances", W.finding_b);
		struct ht_resp *t = ht_request("POST", p, W.b.admin.token, b_risk);
		static char *decide;

		ck_assert_msg(t->status == 201, "B's risk request: %ld %s", t->status, HT_BODY(t));
		decide =
		    ht_fmt("/api/v1/findings/%%s/risk-acceptances/%s/decision", ht_jstr(t, "id"));
		ht_resp_free(t);
		free(p);
		for (r = R_ANON; r < R__COUNT; r++)
			if (r != R_Y)
				add(r, "POST", decide, W.finding_b, b_risk_decision, r == R_B);
	}
	add(R_B, "GET", "/api/v1/campaigns/%s/remediation-days", W.campaign2_id, NULL, 0);
	add(R_Y, "GET", "/api/v1/campaigns/%s/remediation-days", W.campaign2_id, NULL, 0);
	add(R_ANON, "GET", "/api/v1/campaigns/%s/remediation-days", W.campaign_id, NULL, 0);
	add(R_ANON, "GET", "/api/v1/inbox", NULL, NULL, 0);
	/* role rules: the assessor never asks for risk acceptance, the company never
	   decides nor retests */
	add(R_X, "POST", "/api/v1/findings/%s/risk-acceptances", W.finding_a, b_risk, 1);
	add(R_Y, "POST", "/api/v1/findings/%s/risk-acceptances", W.finding_b, b_risk, 1);
	add(R_A, "POST",
	    "/api/v1/findings/%s/risk-acceptances/2c5e1f0a-7d3b-4c8e-9f10-5a6b7c8d9e0f/decision",
	    W.finding_a, b_risk_decision, 1);
	add(R_A, "POST", "/api/v1/findings/%s/retests", W.finding_a, b_retest, 1);
	add(R_B, "POST", "/api/v1/findings/%s/retests", W.finding_b, b_retest, 1);
	/* issue 14: A's commitment; only its assessor X gives the verdict */
	{
		char *p = ht_fmt("/api/v1/engagements/%s/commitments", W.eng_ax);
		struct ht_resp *t = ht_request(
		    "POST", p, W.a.admin.token,
		    "{\"framework\":\"RAND-SL\",\"version\":\"RR-A2849-1 (2024)\",\"level\":"
		    "\"SL3\",\"text\":\"We protect weights at SL3.\"}");

		ck_assert_msg(t->status == 201, "commitment: %ld %s", t->status, HT_BODY(t));
		commitment_a = strdup(ht_jstr(t, "id"));
		ht_resp_free(t);
		free(p);
		for (r = R_ANON; r < R__COUNT; r++)
			if (r != R_X)
				add(r, "PUT", "/api/v1/commitments/%s/verdict", commitment_a,
				    b_verdict, r == R_A);
	}
	/* the assessor records the emulation and verdicts, the company the commitments */
	add(R_A, "PUT", "/api/v1/engagements/%s/emulation", W.eng_ax, b_emulation, 1);
	add(R_B, "PUT", "/api/v1/engagements/%s/emulation", W.eng_by, b_emulation, 1);
	add(R_X, "POST", "/api/v1/engagements/%s/commitments", W.eng_ax, b_commitment, 1);
	add(R_Y, "POST", "/api/v1/engagements/%s/commitments", W.eng_by, b_commitment, 1);
	/* role rules inside one's own engagement */
	add(R_A, "POST", "/api/v1/engagements/%s/findings", W.eng_ax, b_finding, 1);
	add(R_B, "POST", "/api/v1/engagements/%s/findings", W.eng_by, b_finding, 1);
	add(R_A, "POST", "/api/v1/engagements/%s/findings:import", W.eng_ax, b_sarif, 1);
	add(R_B, "POST", "/api/v1/engagements/%s/findings:import", W.eng_by, b_sarif, 1);
	add(R_A, "PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", W.eng_ax, b_claim, 1);
	add(R_B, "PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", W.eng_by, b_claim, 1);
	add(R_X, "PUT", "/api/v1/engagements/%s/statement", W.eng_ax, b_statement, 1);
	add(R_Y, "PUT", "/api/v1/engagements/%s/statement", W.eng_by, b_statement, 1);
	/* the company never moves its engagement; the assessor never answers the review */
	add(R_A, "POST", "/api/v1/engagements/%s/stage", W.eng_ax, b_stage, 1);
	add(R_B, "POST", "/api/v1/engagements/%s/stage", W.eng_by, b_stage, 1);
	add(R_X, "POST", "/api/v1/engagements/%s/review/sign-off", W.eng_ax, b_signoff, 1);
	add(R_X, "POST", "/api/v1/engagements/%s/review/response", W.eng_ax, b_review_text, 1);
	add(R_A, "PUT", "/api/v1/engagements/%s/review/addendum", W.eng_ax, b_review_text, 1);
}

/* --------------------------------------------------------- state check */

struct view {
	const char *what;
	enum role role;
	char *path;
	json_t *json;
};

#define N_VIEWS 26
static struct view views[N_VIEWS];

static void
view_set(int i, const char *what, enum role role, char *path)
{
	views[i].what = what;
	views[i].role = role;
	views[i].path = path;
	views[i].json = NULL;
}

/* What the legitimate owners see of every object the matrix attacks. */
static void
views_init(void)
{
	view_set(0, "finding A", R_X, ht_fmt("/api/v1/findings/%s", W.finding_a));
	view_set(1, "finding B", R_Y, ht_fmt("/api/v1/findings/%s", W.finding_b));
	view_set(2, "history A", R_A, ht_fmt("/api/v1/findings/%s/history", W.finding_a));
	view_set(3, "history B", R_B, ht_fmt("/api/v1/findings/%s/history", W.finding_b));
	view_set(4, "claims A×X", R_A, ht_fmt("/api/v1/engagements/%s/claims", W.eng_ax));
	view_set(5, "claims B×Y", R_B, ht_fmt("/api/v1/engagements/%s/claims", W.eng_by));
	view_set(6, "statement A×X", R_X, ht_fmt("/api/v1/engagements/%s/statement", W.eng_ax));
	view_set(7, "statement B×Y", R_Y, ht_fmt("/api/v1/engagements/%s/statement", W.eng_by));
	view_set(8, "findings A×X2", R_X, ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax2));
	view_set(9, "campaign 1", R_COORD, ht_fmt("/api/v1/campaigns/%s", W.campaign_id));
	view_set(10, "campaign 2", R_COORD, ht_fmt("/api/v1/campaigns/%s", W.campaign2_id));
	view_set(11, "users A", R_COORD, ht_fmt("/api/v1/orgs/%s/users", W.a.org_id));
	view_set(12, "users B", R_COORD, ht_fmt("/api/v1/orgs/%s/users", W.b.org_id));
	view_set(13, "users X", R_COORD, ht_fmt("/api/v1/orgs/%s/users", W.x.org_id));
	view_set(14, "users Y", R_COORD, ht_fmt("/api/v1/orgs/%s/users", W.y.org_id));
	view_set(15, "findings B×Y", R_B, ht_fmt("/api/v1/engagements/%s/findings", W.eng_by));
	view_set(16, "tokens of A's admin", R_A, strdup("/api/v1/tokens"));
	view_set(17, "engagement A×X", R_X, ht_fmt("/api/v1/engagements/%s", W.eng_ax));
	view_set(18, "engagement B×Y", R_Y, ht_fmt("/api/v1/engagements/%s", W.eng_by));
	view_set(19, "comments A", R_X, ht_fmt("/api/v1/findings/%s/comments", W.finding_a));
	view_set(20, "risk acceptances B", R_Y,
	         ht_fmt("/api/v1/findings/%s/risk-acceptances", W.finding_b));
	view_set(21, "webhooks X", R_X, ht_fmt("/api/v1/orgs/%s/webhooks", W.x.org_id));
	view_set(22, "remediation days 1", R_COORD,
	         ht_fmt("/api/v1/campaigns/%s/remediation-days", W.campaign_id));
	view_set(23, "emulation A×X", R_X, ht_fmt("/api/v1/engagements/%s/emulation", W.eng_ax));
	view_set(24, "commitments A×X", R_A,
	         ht_fmt("/api/v1/engagements/%s/commitments", W.eng_ax));
	view_set(25, "commitments B×Y", R_Y,
	         ht_fmt("/api/v1/engagements/%s/commitments", W.eng_by));
}

static json_t *
view_fetch(const struct view *v)
{
	struct ht_resp *r = ht_request("GET", v->path, role_token(v->role), NULL);
	json_t *j;

	ck_assert_msg(r->status == 200 && r->json != NULL, "%s as %s: %ld %s", v->what,
	              role_names[v->role], r->status, HT_BODY(r));
	j = json_incref(r->json);
	ht_resp_free(r);
	return j;
}

/* Scoped row counts (the world's orgs only), through the owner. */
#define N_COUNTS 17
static void
db_counts(long long out[N_COUNTS])
{
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *engs = ht_fmt("'%s','%s','%s'", W.eng_ax, W.eng_by, W.eng_ax2);
	char *orgs = ht_fmt("'%s','%s','%s','%s'", W.a.org_id, W.b.org_id, W.x.org_id, W.y.org_id);
	char *em = ht_sql_literal(intruder_email);
	char *on = ht_sql_literal(intruder_org);
	char *sl = ht_sql_literal(intruder_slug);
	char *sql[N_COUNTS];
	int i;

	ck_assert_msg(c != NULL, "cannot connect as the owner");
	sql[0] = ht_fmt("SELECT count(*) FROM findings WHERE engagement_id IN (%s)", engs);
	sql[1] = ht_fmt("SELECT count(*) FROM finding_history WHERE engagement_id IN (%s)", engs);
	sql[2] = ht_fmt("SELECT count(*) FROM claims WHERE engagement_id IN (%s)", engs);
	sql[3] = ht_fmt("SELECT count(*) FROM statements WHERE engagement_id IN (%s)", engs);
	sql[4] = ht_fmt("SELECT count(*) FROM engagements WHERE campaign_id IN ('%s','%s')",
	                W.campaign_id, W.campaign2_id);
	sql[5] = ht_fmt("SELECT count(*) FROM users WHERE org_id IN (%s) OR email = %s", orgs, em);
	sql[6] = ht_fmt("SELECT count(*) FROM orgs WHERE name = %s", on);
	sql[7] = ht_fmt("SELECT count(*) FROM campaigns WHERE slug = %s", sl);
	sql[8] = ht_fmt(
	    "SELECT count(*) FROM sessions WHERE org_id IN (%s) AND revoked_at IS NOT NULL", orgs);
	sql[9] = ht_fmt("SELECT count(*) FROM findings f WHERE f.engagement_id IN (%s) "
	                "AND f.version <> 1",
	                engs);
	sql[10] = ht_fmt("SELECT count(*) FROM account_links WHERE org_id IN (%s)", orgs);
	sql[11] = ht_fmt("SELECT (SELECT count(*) FROM users WHERE disabled AND org_id IN (%s))"
	                 " + (SELECT count(*) FROM orgs WHERE disabled)",
	                 orgs);
	sql[12] = ht_fmt("SELECT count(*) FROM finding_comments WHERE engagement_id IN (%s)", engs);
	sql[13] = ht_fmt("SELECT count(*) FROM risk_acceptances WHERE engagement_id IN (%s)", engs);
	sql[14] = ht_fmt("SELECT count(*) FROM finding_retests WHERE engagement_id IN (%s)", engs);
	sql[15] = ht_fmt("SELECT count(*) FROM webhooks WHERE org_id IN (%s)", orgs);
	sql[16] = ht_fmt("SELECT count(*) FROM notifications WHERE org_id IN (%s) AND read_at IS "
	                 "NOT NULL",
	                 orgs);
	for (i = 0; i < N_COUNTS; i++) {
		out[i] = ht_db_count_conn(c, sql[i]);
		ck_assert_msg(out[i] >= 0, "count failed: %s", sql[i]);
		free(sql[i]);
	}
	PQfinish(c);
	free(sl);
	free(on);
	free(em);
	free(orgs);
	free(engs);
}

/* ---------------------------------------------------------------- tests */

static void
assert_no_leak(const struct ht_resp *r, const char *ctx)
{
	const char *secrets[] = {W.mark_a,     W.mark_b,     W.pub_a,      W.pub_b,   W.a.org_name,
	                         W.b.org_name, W.x.org_name, W.y.org_name, W.scope_a, W.scope_b};
	size_t i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		ck_assert_msg(!ht_mem_contains(r->body, r->body_len, secrets[i]),
		              "%s: %s leaks \"%s\": %s", ctx, r->what, secrets[i], HT_BODY(r));
}

START_TEST(test_matrix)
{
	long long before[N_COUNTS], after[N_COUNTS];
	int i, attempts = 0, per_role[R__COUNT] = {0};

	build_table();
	views_init();
	for (i = 0; i < N_VIEWS; i++)
		views[i].json = view_fetch(&views[i]);
	db_counts(before);

	for (i = 0; i < n_table; i++) {
		const struct attempt *a = &table[i];
		const char *tok = role_token(a->role);
		char uuid[37], *path, *fake;
		struct ht_resp *real, *ref;
		char ctx[512];

		ht_random_uuid(uuid);
		if (a->id != NULL) {
			path = ht_subst(a->fmt, a->id);
			fake = ht_subst(a->fmt, uuid);
			ref = ht_request(a->method, fake, tok, a->body);
		} else {
			path = strdup(a->fmt);
			fake = ht_fmt("/api/v1/findings/%s", uuid);
			ref = ht_request("GET", fake, tok, NULL);
		}
		real = ht_request(a->method, path, tok, a->body);
		snprintf(ctx, sizeof(ctx), "attempt %d (%s%s)", i, role_names[a->role],
		         a->own_tenant ? ", role rule" : "");
		if (a->role == R_ANON)
			ck_assert_msg(ht_is_problem(real, 401, "unauthorized"),
			              "%s: %s answered %ld, not 401 unauthorized: %s", ctx,
			              real->what, real->status, HT_BODY(real));
		else
			ck_assert_msg(ht_is_problem(real, 404, "not-found"),
			              "%s: %s answered %ld, not 404 not-found: %s", ctx, real->what,
			              real->status, HT_BODY(real));
		ck_assert_msg(real->status == ref->status && real->body_len == ref->body_len &&
		                  memcmp(real->body, ref->body, real->body_len) == 0,
		              "%s: %s is distinguishable from a missing id (%s):\n%ld %s\n%ld %s",
		              ctx, real->what, ref->what, real->status, HT_BODY(real), ref->status,
		              HT_BODY(ref));
		assert_no_leak(real, ctx);
		attempts++;
		per_role[a->role]++;
		ht_resp_free(real);
		ht_resp_free(ref);
		free(fake);
		free(path);
	}
	fprintf(stderr,
	        "tenancy matrix: %d attempts (anonymous %d, coordinator %d, A %d, B %d, "
	        "X %d, Y %d)\n",
	        attempts, per_role[R_ANON], per_role[R_COORD], per_role[R_A], per_role[R_B],
	        per_role[R_X], per_role[R_Y]);
	ck_assert_msg(attempts > 60, "only %d attempts: the matrix table is broken", attempts);
	for (i = 0; i < R__COUNT; i++)
		ck_assert_msg(per_role[i] >= 5, "only %d attempts as %s", per_role[i],
		              role_names[i]);

	/* nothing changed */
	db_counts(after);
	for (i = 0; i < N_COUNTS; i++)
		ck_assert_msg(before[i] == after[i], "database count %d changed: %lld -> %lld", i,
		              before[i], after[i]);
	for (i = 0; i < N_VIEWS; i++) {
		json_t *now = view_fetch(&views[i]);
		char *b = json_dumps(views[i].json, JSON_COMPACT | JSON_SORT_KEYS);
		char *a = json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS);

		ck_assert_msg(json_equal(views[i].json, now), "%s changed:\n%s\n%s", views[i].what,
		              b, a);
		free(a);
		free(b);
		json_decref(now);
		json_decref(views[i].json);
		free(views[i].path);
	}
	for (i = R_COORD; i < R__COUNT; i++) {
		struct ht_resp *r = ht_request("GET", "/api/v1/me", role_token((enum role)i), NULL);

		ck_assert_msg(r->status == 200, "%s's session was revoked by the matrix: %s",
		              role_names[i], r->body);
		ht_resp_free(r);
	}
}
END_TEST

/* PATCH path as role with body; expect 404 or 422; the owner's view must not change. */
static void
refused_patch(enum role role, const char *body, enum role owner)
{
	char *p =
	    ht_fmt("/api/v1/findings/%s", role == R_A || role == R_X ? W.finding_a : W.finding_b);
	struct view v = {"finding", owner, p, NULL};
	json_t *before = view_fetch(&v), *after;
	struct ht_resp *r = ht_request("PATCH", p, role_token(role), body);

	ck_assert_msg(ht_is_problem(r, 404, "not-found") || ht_is_problem(r, 422, "invalid-field"),
	              "%s PATCH %s: expected 404 or 422, got %ld: %s", role_names[role], body,
	              r->status, HT_BODY(r));
	ht_resp_free(r);
	after = view_fetch(&v);
	ck_assert_msg(json_equal(before, after), "%s's refused PATCH %s changed the finding",
	              role_names[role], body);
	json_decref(before);
	json_decref(after);
	free(p);
}

START_TEST(test_role_rules_findings)
{
	/* the company answers but may not rewrite the assessor's finding */
	refused_patch(R_A, "{\"title\":\"company rewrote the title\"}", R_X);
	refused_patch(R_A, "{\"detail\":\"company rewrote the detail\"}", R_X);
	refused_patch(R_A, "{\"severity\":\"info\"}", R_X);
	refused_patch(R_A, "{\"status\":\"false-positive\"}", R_X);
	refused_patch(R_B, "{\"title\":\"company rewrote the title\"}", R_Y);
	/* the assessor may not write the company's response */
	refused_patch(R_X, "{\"response\":\"assessor answered for the company\"}", R_A);
	refused_patch(R_Y, "{\"response\":\"assessor answered for the company\"}", R_B);
}
END_TEST

/* GET path as role; every item must satisfy key/sub == want; returns the response. */
static struct ht_resp *
list_as(enum role role, const char *path)
{
	struct ht_resp *r = ht_request("GET", path, role_token(role), NULL);

	ck_assert_msg(r->status == 200 && json_is_array(json_object_get(r->json, "items")),
	              "%s %s: %ld %s", role_names[role], path, r->status, HT_BODY(r));
	return r;
}

static int
has_id(const struct ht_resp *r, const char *id)
{
	json_t *items = json_object_get(r->json, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it) if (ht_ostr(it, "id") &&
	                                     strcmp(ht_ostr(it, "id"), id) == 0) return 1;
	return 0;
}

static void
all_items_org(const struct ht_resp *r, const char *key, const char *org)
{
	json_t *items = json_object_get(r->json, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		const char *id = ht_ostr(json_object_get(it, key), "id");

		ck_assert_msg(id != NULL && strcmp(id, org) == 0,
		              "%s: item %zu has %s %s, not %s: %s", r->what, i, key,
		              id ? id : "(none)", org, HT_BODY(r));
		ck_assert_msg(json_object_get(it, "scope") == NULL, "%s: a list shows scope",
		              r->what);
	}
}

START_TEST(test_lists)
{
	struct ht_resp *r;
	char *p;

	r = list_as(R_B, "/api/v1/engagements?limit=200");
	all_items_org(r, "company_org", W.b.org_id);
	ck_assert_msg(has_id(r, W.eng_by) &&
	                  json_array_size(json_object_get(r->json, "items")) == 1,
	              "company B's engagements are not exactly B×Y: %s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.a.org_name), "B sees A's name");
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.x.org_name), "B sees X's name");
	ht_resp_free(r);

	r = list_as(R_Y, "/api/v1/engagements?limit=200");
	all_items_org(r, "assessor_org", W.y.org_id);
	ck_assert_msg(has_id(r, W.eng_by) &&
	                  json_array_size(json_object_get(r->json, "items")) == 1,
	              "assessor Y's engagements are not exactly B×Y: %s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.a.org_name), "Y sees A's name");
	ht_resp_free(r);

	r = list_as(R_A, "/api/v1/engagements?limit=200");
	all_items_org(r, "company_org", W.a.org_id);
	ck_assert_msg(has_id(r, W.eng_ax) && has_id(r, W.eng_ax2) &&
	                  json_array_size(json_object_get(r->json, "items")) == 2,
	              "company A's engagements are not A×X twice: %s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.b.org_name), "A sees B's name");
	ht_resp_free(r);

	r = list_as(R_X, "/api/v1/engagements?limit=200");
	all_items_org(r, "assessor_org", W.x.org_id);
	ck_assert_msg(has_id(r, W.eng_ax) && has_id(r, W.eng_ax2) &&
	                  json_array_size(json_object_get(r->json, "items")) == 2,
	              "assessor X's engagements are not A×X twice: %s", r->body);
	ht_resp_free(r);

	/* campaigns: participants see theirs only */
	r = list_as(R_B, "/api/v1/campaigns?limit=200");
	ck_assert_msg(has_id(r, W.campaign_id) && !has_id(r, W.campaign2_id),
	              "company B's campaigns: %s", r->body);
	ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.a.org_name), "B sees A's name");
	ht_resp_free(r);
	r = list_as(R_Y, "/api/v1/campaigns?limit=200");
	ck_assert_msg(has_id(r, W.campaign_id) && !has_id(r, W.campaign2_id),
	              "assessor Y's campaigns: %s", r->body);
	ht_resp_free(r);
	r = list_as(R_A, "/api/v1/campaigns?limit=200");
	ck_assert_msg(has_id(r, W.campaign_id) && has_id(r, W.campaign2_id),
	              "company A's campaigns: %s", r->body);
	ht_resp_free(r);

	/* a shared campaign does not name the other company, nor show its content */
	p = ht_fmt("/api/v1/campaigns/%s", W.campaign_id);
	for (enum role ro = R_A; ro < R__COUNT; ro++) {
		r = ht_request("GET", p, role_token(ro), NULL);
		HT_ASSERT_STATUS(r, 200);
		if (ro == R_B || ro == R_Y) {
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.a.org_name),
			              "%s sees A's name in the campaign: %s", role_names[ro],
			              r->body);
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.mark_a) &&
			                  !ht_mem_contains(r->body, r->body_len, W.pub_a),
			              "%s sees A's content in the campaign", role_names[ro]);
		} else {
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.b.org_name),
			              "%s sees B's name in the campaign: %s", role_names[ro],
			              r->body);
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.mark_b) &&
			                  !ht_mem_contains(r->body, r->body_len, W.pub_b),
			              "%s sees B's content in the campaign", role_names[ro]);
		}
		ht_resp_free(r);
	}
	free(p);

	/* an org admin lists only its own users */
	p = ht_fmt("/api/v1/orgs/%s/users", W.a.org_id);
	r = list_as(R_A, p);
	{
		json_t *items = json_object_get(r->json, "items"), *it;
		size_t i;

		ck_assert_msg(json_array_size(items) >= 1, "A has no users: %s", r->body);
		json_array_foreach(items, i, it)
		{
			ck_assert_msg(ht_ostr(it, "org_id") &&
			                  strcmp(ht_ostr(it, "org_id"), W.a.org_id) == 0,
			              "A's user list has a foreign user: %s", r->body);
			ck_assert_msg(json_object_get(it, "password_hash") == NULL,
			              "user list shows password hashes");
		}
	}
	ht_resp_free(r);
	free(p);

	/* findings lists are per engagement */
	p = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	r = list_as(R_X, p);
	ck_assert_msg(has_id(r, W.finding_a) && !has_id(r, W.finding_b), "X's findings: %s",
	              r->body);
	ht_resp_free(r);
	free(p);
}
END_TEST

/* A member (not admin) of company A manages no users, not even its own org's. */
START_TEST(test_member_rules)
{
	struct ht_actor m;
	char err[4096], *p, *body, *u, *email, *lit, *sql;
	struct ht_resp *r;

	ck_assert_msg(ht_make_user(W.a.admin.token, W.a.org_id, "member", &m, err, sizeof(err)) ==
	                  0,
	              "%s", err);
	u = ht_unique("by-member");
	email = ht_fmt("%s@example.test", u);
	p = ht_fmt("/api/v1/orgs/%s/users", W.a.org_id);
	body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "email", email, "name", "By member",
	                          "role", "admin", "password", "member-made-password"));
	r = ht_request("POST", p, m.token, body);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = ht_request("GET", p, m.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	free(p);
	p = ht_fmt("/api/v1/users/%s/sessions", W.a.admin.user_id);
	r = ht_request("DELETE", p, m.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	free(p);
	r = ht_request("GET", "/api/v1/me", W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	lit = ht_sql_literal(email);
	sql = ht_fmt("SELECT count(*) FROM users WHERE email = %s", lit);
	ck_assert_msg(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql) == 0,
	              "a member created a user");
	/* but a member still reads its own engagements' findings */
	p = ht_fmt("/api/v1/findings/%s", W.finding_a);
	r = ht_request("GET", p, m.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	free(p);
	free(sql);
	free(lit);
	free(body);
	free(email);
	free(u);
	ht_actor_free(&m);
}
END_TEST

/* The answer's keys and the types of their values, sorted: "id:s,kind:s,...". */
static char *
shape(const json_t *o)
{
	const char *keys[64];
	size_t n = 0, len = 1;
	const char *k;
	json_t *v;
	char *out;

	json_object_foreach((json_t *)o, k, v)
	{
		if (n < 64)
			keys[n++] = k;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		len += strlen(keys[i]) + 4;
	out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, keys[i]);
		strcat(out, json_is_string(json_object_get(o, keys[i])) ? ":s," : ":o,");
	}
	return out;
}

/*
 * An address with an account in another org is no oracle to an org admin
 * (addresses are unique platform-wide): inviting it answers like inviting
 * a new address (status, keys, status of the invitation), using the link
 * answers byte for byte like a new account, and nothing is created or
 * changed: B's admin keeps its account and password, A gets no member.
 */
START_TEST(test_email_no_oracle)
{
	char *path = ht_fmt("/api/v1/orgs/%s/invitations", W.a.org_id);
	char *u = ht_unique("fresh");
	char *fresh = ht_fmt("%s@example.test", u);
	char *upper = strdup(W.b.admin.email);
	char *known, *unknown, *s1, *s2, *a1, *a2, *lit, *sql;
	struct ht_resp *r1, *r2, *x1, *x2, *me;

	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	/* B's admin's address, spelt in upper case: the same identity */
	known = ht_jdump(
	    json_pack("{s:s, s:s, s:s}", "email", upper, "name", "Same address", "role", "member"));
	unknown = ht_jdump(
	    json_pack("{s:s, s:s, s:s}", "email", fresh, "name", "Same address", "role", "member"));
	r1 = ht_request("POST", path, W.a.admin.token, known);
	r2 = ht_request("POST", path, W.a.admin.token, unknown);
	HT_ASSERT_STATUS(r1, 201);
	HT_ASSERT_STATUS(r2, 201);
	s1 = shape(r1->json);
	s2 = shape(r2->json);
	ck_assert_str_eq(s1, s2);
	ck_assert_str_eq(ht_jstr(r1, "status"), "pending");
	ck_assert_str_eq(ht_jstr(r2, "status"), "pending");
	ck_assert_str_eq(ht_jstr(r1, "mailed") ? "" : "", "");
	ck_assert_msg(strstr(r1->body, W.b.org_name) == NULL, "B's name leaked: %s", r1->body);
	/* the inviting admin uses both links: the same bytes */
	a1 = ht_jdump(json_pack("{s:s, s:s}", "token", ht_jstr(r1, "token"), "password",
	                        "a-different-password-42"));
	a2 = ht_jdump(json_pack("{s:s, s:s}", "token", ht_jstr(r2, "token"), "password",
	                        "a-different-password-42"));
	x1 = ht_request("POST", "/api/v1/account/accept", NULL, a1);
	x2 = ht_request("POST", "/api/v1/account/accept", NULL, a2);
	HT_ASSERT_STATUS(x1, 200);
	HT_ASSERT_STATUS(x2, 200);
	ck_assert_uint_eq(x1->body_len, x2->body_len);
	ck_assert_msg(memcmp(x1->body, x2->body, x1->body_len) == 0, "%s vs %s", x1->body,
	              x2->body);
	/* B's admin still lands in B with its own password */
	ht_resp_free(r1);
	r1 = ht_login_resp(W.b.admin.email, W.b.admin.password);
	HT_ASSERT_STATUS(r1, 201);
	me = ht_request("GET", "/api/v1/me", ht_jstr(r1, "token"), NULL);
	HT_ASSERT_STATUS(me, 200);
	ck_assert_str_eq(ht_ostr(json_object_get(me->json, "org"), "id"), W.b.org_id);
	ht_resp_free(me);
	/* one account with that address, still B's */
	lit = ht_sql_literal(W.b.admin.email);
	sql = ht_fmt("SELECT count(*) FROM users WHERE email = %s AND org_id = '%s'", lit,
	             W.b.org_id);
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 1);
	free(sql);
	sql = ht_fmt("SELECT count(*) FROM users WHERE email = %s", lit);
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 1);
	free(sql);
	free(lit);
	/* the new address became a member of A */
	ht_resp_free(r2);
	r2 = ht_login_resp(fresh, "a-different-password-42");
	HT_ASSERT_STATUS(r2, 201);
	ht_resp_free(r1);
	ht_resp_free(r2);
	ht_resp_free(x1);
	ht_resp_free(x2);
	free(a1);
	free(a2);
	free(s1);
	free(s2);
	free(known);
	free(unknown);
	free(upper);
	free(fresh);
	free(u);
	free(path);
}
END_TEST

/* Set a user's display name directly (as the owner), so names can be told apart. */
static void
set_name(PGconn *o, const char *user_id, const char *name)
{
	char *lit = ht_sql_literal(name);
	char *sql = ht_fmt("UPDATE users SET name = %s WHERE id = '%s'", lit, user_id);
	char st[6];

	ck_assert_msg(ht_db_exec(o, sql, st) == 0, "%s: %s", sql, st);
	free(sql);
	free(lit);
}

/* GET path as token; 200 expected; the response (free with ht_resp_free). */
static struct ht_resp *
get_ok(const char *path, const char *token)
{
	struct ht_resp *r = ht_request("GET", path, token, NULL);

	HT_ASSERT_STATUS(r, 200);
	return r;
}

/*
 * Names beside ids (issue 12's contract): every user-id member F gains
 * F_name, every org-id member G gains G_name, the name when the caller may
 * see that the user took part (the parties of a shared engagement, the
 * coordinator), else null; never a name of another company's user or of a
 * foreign assessor.
 */
START_TEST(test_names)
{
	PGconn *o = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *an = ht_unique("Ada of A"), *bn = ht_unique("Bea of B");
	char *xn = ht_unique("Xavier of X"), *yn = ht_unique("Yuri of Y");
	char *p_fa = ht_fmt("/api/v1/findings/%s", W.finding_a);
	char *p_ha = ht_fmt("/api/v1/findings/%s/history", W.finding_a);
	char *p_fb = ht_fmt("/api/v1/findings/%s", W.finding_b);
	char *p_hb = ht_fmt("/api/v1/findings/%s/history", W.finding_b);
	char *p_eb = ht_fmt("/api/v1/engagements/%s", W.eng_by);
	char *p_lb = ht_fmt("/api/v1/engagements/%s/findings", W.eng_by);
	char *p_ua = ht_fmt("/api/v1/orgs/%s/users", W.a.org_id);
	struct ht_resp *r;
	json_t *item;
	size_t i;
	int seen = 0;

	ck_assert_ptr_nonnull(o);
	set_name(o, W.a.admin.user_id, an);
	set_name(o, W.b.admin.user_id, bn);
	set_name(o, W.x.admin.user_id, xn);
	set_name(o, W.y.admin.user_id, yn);

	/* company A reads its finding: the assessor who wrote it, by name */
	r = get_ok(p_fa, W.a.admin.token);
	ck_assert_str_eq(ht_jstr(r, "created_by"), W.x.admin.user_id);
	ck_assert_msg(ht_jstr(r, "created_by_name") &&
	                  strcmp(ht_jstr(r, "created_by_name"), xn) == 0,
	              "created_by_name: %s", r->body);
	ck_assert_msg(ht_jstr(r, "updated_by_name") != NULL, "updated_by_name: %s", r->body);
	ht_resp_free(r);
	/* ... and in its history: "By" is a name */
	r = get_ok(p_ha, W.a.admin.token);
	item = json_array_get(json_object_get(r->json, "items"), 0);
	ck_assert_ptr_nonnull(item);
	ck_assert_str_eq(ht_ostr(item, "changed_by"), W.x.admin.user_id);
	ck_assert_msg(ht_ostr(item, "changed_by_name") &&
	                  strcmp(ht_ostr(item, "changed_by_name"), xn) == 0,
	              "changed_by_name: %s", r->body);
	ht_resp_free(r);
	/* the assessor sees its own name the same way */
	r = get_ok(p_fa, W.x.admin.token);
	ck_assert_msg(ht_jstr(r, "created_by_name") &&
	                  strcmp(ht_jstr(r, "created_by_name"), xn) == 0,
	              "X: created_by_name: %s", r->body);
	ht_resp_free(r);
	/* an org id gains its org's name: the users of A list their org */
	r = get_ok(p_ua, W.a.admin.token);
	item = json_array_get(json_object_get(r->json, "items"), 0);
	ck_assert_ptr_nonnull(item);
	ck_assert_msg(ht_ostr(item, "org_id_name") &&
	                  strcmp(ht_ostr(item, "org_id_name"), W.a.org_name) == 0,
	              "org_id_name: %s", r->body);
	ht_resp_free(r);
	/* the coordinator's audit export names the actors (oldest first: paged
	 * until one of X's admin's events, however many came before) */
	{
		long long after = 0;
		size_t got = 1;

		for (int page = 0; page < 200 && seen == 0 && got > 0; page++) {
			char *pa = ht_fmt("/api/v1/audit?limit=1000&after=%lld", after);

			r = get_ok(pa, W.coord.token);
			got = json_array_size(json_object_get(r->json, "items"));
			json_array_foreach(json_object_get(r->json, "items"), i, item)
			{
				const char *u = ht_ostr(item, "actor_user");

				ck_assert_msg(json_object_get(item, "actor_user_name") != NULL,
				              "an audit event without actor_user_name");
				if (u != NULL && strcmp(u, W.x.admin.user_id) == 0) {
					ck_assert_str_eq(ht_ostr(item, "actor_user_name"), xn);
					seen++;
				}
				after = json_integer_value(json_object_get(item, "id"));
			}
			ht_resp_free(r);
			free(pa);
		}
	}
	ck_assert_msg(seen > 0, "no audit event of X's admin named");

	/* negative: company B and assessor Y read their own engagement
	 * through every route that names people; no answer holds a name of
	 * A's or X's people, and their own names are there (so the test can
	 * fail) */
	{
		const char *paths[] = {"/api/v1/engagements", p_eb, p_lb, p_fb, p_hb};
		const char *tokens[] = {W.b.admin.token, W.y.admin.token};
		int own = 0;

		for (size_t t = 0; t < 2; t++)
			for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
				r = get_ok(paths[k], tokens[t]);
				ck_assert_msg(strstr(r->body, an) == NULL &&
				                  strstr(r->body, xn) == NULL,
				              "%s as %s names a foreign user: %s", paths[k],
				              t ? "Y" : "B", r->body);
				if (strstr(r->body, yn) != NULL)
					own++;
				ht_resp_free(r);
			}
		ck_assert_msg(own > 0,
		              "B and Y never see the name of Y's admin who wrote B's finding");
	}
	/* B asking for A's finding: 404 as for an unknown id, no name in it */
	r = ht_request("GET", p_fa, W.b.admin.token, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ck_assert_msg(strstr(r->body, xn) == NULL && strstr(r->body, an) == NULL, "%s", r->body);
	ht_resp_free(r);

	PQfinish(o);
	free(an);
	free(bn);
	free(xn);
	free(yn);
	free(p_fa);
	free(p_ha);
	free(p_fb);
	free(p_hb);
	free(p_eb);
	free(p_lb);
	free(p_ua);
}
END_TEST

static Suite *
tenancy_suite(void)
{
	Suite *s = suite_create("tenancy");
	TCase *tc = tcase_create("tenancy");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_matrix);
	tcase_add_test(tc, test_role_rules_findings);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_member_rules);
	tcase_add_test(tc, test_email_no_oracle);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char *u = ht_unique("intruder");
	int rc;

	intruder_email = ht_fmt("%s@example.test", u);
	intruder_org = ht_fmt("Intruder org %s", u);
	intruder_slug = ht_fmt("i%s", u);
	free(u);
	rc = ht_main_world(&W, tenancy_suite);
	free(intruder_email);
	free(intruder_org);
	free(intruder_slug);
	return rc;
}

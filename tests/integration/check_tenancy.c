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

#define MAX_ATTEMPTS 400
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
    *b_campaign_patch, *b_org, *b_campaign, *b_sarif;

static void
make_bodies(void)
{
	char *rel = ht_future_time(90);

	b_finding = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL",
	                               "title", "intruder finding", "detail",
	                               "planted by another tenant", "severity", "low"));
	b_patch = strdup("{\"status\":\"accepted\"}");
	/* a valid SARIF 2.1.0 log (sent as application/json) with one result */
	b_sarif = strdup("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":"
	                 "\"intruder\"}},\"properties\":{\"threat_model\":\"WEIGHTS-EXFIL\"},"
	                 "\"results\":[{\"ruleId\":\"planted\",\"message\":{\"text\":"
	                 "\"planted by another tenant\"}}]}]}");
	b_token = strdup("{\"name\":\"intruder\",\"ttl_days\":1}");
	b_claim = strdup("{\"level\":\"OC1\",\"summary\":\"intruder claim\"}");
	b_statement = strdup("{\"text\":\"intruder statement\"}");
	b_name_check = strdup("{\"text\":\"intruder text\"}");
	b_user =
	    ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "email", intruder_email, "name", "Intruder",
	                       "role", "admin", "password", "intruder-password-1234"));
	b_engagement =
	    ht_jdump(json_pack("{s:s, s:s, s:s, s:[]}", "company_org", W.b.org_id, "assessor_org",
	                       W.y.org_id, "scope", "intruder scope", "lead_assessors"));
	b_campaign_patch = strdup("{\"title\":\"hijacked campaign\"}");
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
    {"PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", 0, 0, &b_claim},
    {"GET", "/api/v1/engagements/%s/statement", 0, 0, NULL},
    {"PUT", "/api/v1/engagements/%s/statement", 0, 0, &b_statement},
    {"POST", "/api/v1/engagements/%s/name-check", 0, 0, &b_name_check},
    {"GET", "/api/v1/findings/%s", 1, 0, NULL},
    {"PATCH", "/api/v1/findings/%s", 1, 0, &b_patch},
    {"GET", "/api/v1/findings/%s/history", 1, 0, NULL},
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
	add(R_ANON, "GET", "/api/v1/tokens", NULL, NULL, 0);
	add(R_ANON, "POST", "/api/v1/tokens", NULL, b_token, 0);
	add(R_ANON, "GET", "/api/v1/me", NULL, NULL, 0);
	/* role rules inside one's own engagement */
	add(R_A, "POST", "/api/v1/engagements/%s/findings", W.eng_ax, b_finding, 1);
	add(R_B, "POST", "/api/v1/engagements/%s/findings", W.eng_by, b_finding, 1);
	add(R_A, "POST", "/api/v1/engagements/%s/findings:import", W.eng_ax, b_sarif, 1);
	add(R_B, "POST", "/api/v1/engagements/%s/findings:import", W.eng_by, b_sarif, 1);
	add(R_A, "PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", W.eng_ax, b_claim, 1);
	add(R_B, "PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", W.eng_by, b_claim, 1);
	add(R_X, "PUT", "/api/v1/engagements/%s/statement", W.eng_ax, b_statement, 1);
	add(R_Y, "PUT", "/api/v1/engagements/%s/statement", W.eng_by, b_statement, 1);
}

/* --------------------------------------------------------- state check */

struct view {
	const char *what;
	enum role role;
	char *path;
	json_t *json;
};

#define N_VIEWS 17
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
#define N_COUNTS 10
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

/* An address used in another org is no oracle: the create succeeds in
 * one's own org, and each account logs in to its own org. */
START_TEST(test_email_no_oracle)
{
	char *path = ht_fmt("/api/v1/orgs/%s/users", W.a.org_id);
	char *body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "email", W.b.admin.email, "name",
	                                "Same address", "role", "member", "password",
	                                "a-different-password-42"));
	struct ht_resp *r = ht_request("POST", path, W.a.admin.token, body);
	struct ht_resp *me;

	HT_ASSERT_STATUS(r, 201);
	ck_assert_str_eq(ht_jstr(r, "org_id"), W.a.org_id);
	ht_resp_free(r);
	/* B's admin still lands in B */
	r = ht_login_resp(W.b.admin.email, W.b.admin.password);
	HT_ASSERT_STATUS(r, 201);
	me = ht_request("GET", "/api/v1/me", ht_jstr(r, "token"), NULL);
	HT_ASSERT_STATUS(me, 200);
	ck_assert_str_eq(ht_ostr(json_object_get(me->json, "org"), "id"), W.b.org_id);
	ht_resp_free(me);
	ht_resp_free(r);
	/* the new account lands in A */
	r = ht_login_resp(W.b.admin.email, "a-different-password-42");
	HT_ASSERT_STATUS(r, 201);
	me = ht_request("GET", "/api/v1/me", ht_jstr(r, "token"), NULL);
	HT_ASSERT_STATUS(me, 200);
	ck_assert_str_eq(ht_ostr(json_object_get(me->json, "org"), "id"), W.a.org_id);
	ck_assert_msg(strstr(me->body, W.b.org_name) == NULL, "B's name leaked: %s", me->body);
	ht_resp_free(me);
	ht_resp_free(r);
	/* a twin inside the same org is still a conflict */
	r = ht_request("POST", path, W.a.admin.token, body);
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ck_assert_msg(strstr(r->body, W.b.org_name) == NULL, "B's name leaked: %s", r->body);
	ht_resp_free(r);
	free(body);
	free(path);
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

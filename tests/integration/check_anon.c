/*
 * check_anon: anonymity and confidentiality tried as an adversary would
 * (issue 8), against the running lockstepd and its database. Each case
 * failed before the change that closes it:
 *
 *   1. unicode      a company's name written with a typographic apostrophe,
 *                   a zero-width space, a soft hyphen or a Cyrillic
 *                   homoglyph in a pseudonymous statement holds the release
 *                   (they were published);
 *   2. unlinked     pseudonymous rows name no assessor; the assessors are a
 *                   list apart, sorted by firm; the coordinator is warned
 *                   when one firm per company identifies the companies, at
 *                   creation and in the campaign view (rows carried the
 *                   firm, no warning existed);
 *   3. suppression  under pseudonymous the aggregates are real totals, only
 *                   aggregate disclosure suppresses (pseudonymous suppressed
 *                   cells whose values the rows showed);
 *   4. sealed       claim summaries and statements are not readable in the
 *                   database nor in pg_dump, yet published at release (they
 *                   were plaintext);
 *   5. embargo      planned at T, moved to 2031, moved back to T: the signed
 *                   document says embargo_break true and carries the
 *                   release-date history, the page shows it (it said false);
 *   6. quota        5 users x 4 resumable uploads of 4 GiB created in
 *                   parallel against a 64 GiB engagement quota: 16 accepted
 *                   (all 20 were);
 *
 * and the name pre-check route: spans in UTF-16 units, tenancy (foreign
 * engagement, coordinator, anonymous), bad input answered with
 * problem+json and changing nothing.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define AN_NCO 4
#define AN_NVAR 4
#define AN_GIB (1ULL << 30)

struct an_world {
	char *tag;
	char *coord;
	char *co_name[AN_NCO]; /* one word of letters, so variants can be built */
	char *co_id[AN_NCO];
	struct ht_actor co[AN_NCO];
	struct ht_tenant x, y, z;
	/* 1: one held campaign per variant; the first engagement's statement names company 1 */
	char *var_id[AN_NVAR], *var_slug[AN_NVAR], *var_eng[AN_NVAR];
	/* 2, 3, 4: pseudonymous, one firm per company, min_cohort 2 */
	char *pseudo_id, *pseudo_slug, *pseudo_eng0;
	json_t *pseudo_warnings; /* of the third engagement's creation */
	char *sum[3];
	/* 2: named, same pairing */
	char *named_id, *named_slug;
	/* 3: aggregate, min_cohort 2 */
	char *aggr_slug;
	/* 5: the embargo break and a plain postponement */
	char *brk_id, *brk_slug, *late_slug;
	char *at;
	char err[4096];
	int ok;
};

static struct an_world W;

static char *
an_iso(time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* Call the API expecting want; returns the "id" (malloc'd, "" if none) or NULL with W.err set.
 * *resp (may be NULL) receives the whole answer. */
static char *
an_call(const char *method, const char *path, const char *token, json_t *body_steal, long want,
        struct ht_resp **resp)
{
	char *body = body_steal ? ht_jdump(body_steal) : NULL;
	struct ht_resp *r = ht_request(method, path, token, body);
	char *id = NULL;

	if (r->status != want)
		snprintf(W.err, sizeof(W.err), "%s: %ld %s", r->what, r->status, HT_BODY(r));
	else
		id = strdup(ht_jstr(r, "id") ? ht_jstr(r, "id") : "");
	free(body);
	if (resp != NULL)
		*resp = r;
	else
		ht_resp_free(r);
	return id;
}

/* A word of n random lower-case letters after prefix (malloc'd). */
static char *
an_word(const char *prefix, int n)
{
	char buf[64];
	size_t p = strlen(prefix);
	unsigned v = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);

	snprintf(buf, sizeof(buf), "%s", prefix);
	for (int i = 0; i < n && p + 1 < sizeof(buf); i++) {
		v = v * 1103515245u + 12345u + (unsigned)rand();
		buf[p++] = (char)('a' + (v >> 16) % 26);
	}
	buf[p] = '\0';
	return strdup(buf);
}

/*
 * A campaign releasing at `at` with engagements (company cos[i], assessor
 * as[i]) until cos[i] < 0; claims carry sum[i] when sum is not NULL.
 * Returns the slug (malloc'd) or NULL; *id and *eng0 (may be NULL) get the
 * campaign id and the first engagement's id; *last (may be NULL) the last
 * engagement creation's answer.
 */
static char *
an_campaign(const char *label, const char *disclosure, int k, const char *at, const int *cos,
            struct ht_tenant *const *as, char *const *sum, char **id, char **eng0,
            struct ht_resp **last)
{
	char *slug = ht_unique(label), *title = ht_fmt("Anonymity test %s", slug);
	char *cid, *path;
	int ok = 1;

	cid = an_call("POST", "/api/v1/campaigns", W.coord,
	              json_pack("{s:s, s:s, s:[s], s:s, s:s, s:i}", "title", title, "slug", slug,
	                        "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                        disclosure, "min_cohort", k),
	              201, NULL);
	free(title);
	if (cid == NULL) {
		free(slug);
		return NULL;
	}
	path = ht_fmt("/api/v1/campaigns/%s/engagements", cid);
	for (int i = 0; ok && cos[i] >= 0; i++) {
		struct ht_resp *r = NULL;
		char *eng =
		    an_call("POST", path, W.coord,
		            json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.co_id[cos[i]],
		                      "assessor_org", as[i]->org_id, "scope", "scope",
		                      "lead_assessors", i % 2 ? "Yuri Lead" : "Xena Lead"),
		            201, &r);

		if (eng == NULL) {
			ht_resp_free(r);
			ok = 0;
			break;
		}
		if (last != NULL && cos[i + 1] < 0)
			*last = r;
		else
			ht_resp_free(r);
		if (i == 0 && eng0 != NULL)
			*eng0 = strdup(eng);
		if (sum != NULL) {
			char *p = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", eng);

			free(an_call("PUT", p, as[i]->admin.token,
			             json_pack("{s:s, s:s}", "level", i == 0 ? "OC1" : "OC3",
			                       "summary", sum[i]),
			             200, NULL));
			free(p);
		}
		free(eng);
	}
	free(path);
	if (!ok) {
		free(cid);
		free(slug);
		return NULL;
	}
	if (id != NULL)
		*id = cid;
	else
		free(cid);
	return slug;
}

static int
an_put_statement(const char *eng, int company, const char *text)
{
	char *p = ht_fmt("/api/v1/engagements/%s/statement", eng);
	char *id =
	    an_call("PUT", p, W.co[company].token, json_pack("{s:s}", "text", text), 200, NULL);

	free(p);
	free(id);
	return id != NULL ? 0 : -1;
}

static long
an_status(const char *path)
{
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	long st = r->status;

	ht_resp_free(r);
	return st;
}

static int
an_wait_published(const char *slug, int secs)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug);
	int ok = 0;

	for (int i = 0; i < secs * 10 && !ok; i++) {
		ok = an_status(path) == 200;
		if (!ok)
			usleep(100000);
	}
	free(path);
	return ok;
}

/* The release status of campaign id as the coordinator sees it (malloc'd). */
static char *
an_release_status(const char *id)
{
	char *p = ht_fmt("/api/v1/campaigns/%s", id);
	struct ht_resp *r = ht_request("GET", p, W.coord, NULL);
	const char *s =
	    json_string_value(json_object_get(json_object_get(r->json, "release"), "status"));
	char *out = strdup(s ? s : "?");

	ht_resp_free(r);
	free(p);
	return out;
}

/* The statement variants of case 1, each naming company 1 (malloc'd). */
static char *
an_variant(int v)
{
	const char *n = W.co_name[1];

	switch (v) {
	case 0: /* U+2019 RIGHT SINGLE QUOTATION MARK */
		return ht_fmt("%s\xe2\x80\x99s security team found the same.", n);
	case 1: /* U+200B ZERO WIDTH SPACE inside the name */
		return ht_fmt("Unlike %.3s\xe2\x80\x8b%s we fixed it.", n, n + 3);
	case 2: /* U+00AD SOFT HYPHEN inside the name */
		return ht_fmt("Unlike %.3s\xc2\xad%s we fixed it.", n, n + 3);
	default: /* U+0410 CYRILLIC CAPITAL LETTER A for the leading "A" */
		return ht_fmt("Unlike \xd0\x90%s we fixed it.", n + 1);
	}
}

static void
an_setup(void)
{
	const char *email = ht_env("LOCKSTEP_TEST_ADMIN_EMAIL");
	const char *pw = ht_env("LOCKSTEP_TEST_ADMIN_PASSWORD");
	int two[] = {0, 1, -1}, three[] = {0, 1, 2, -1};
	struct ht_tenant *xy[] = {&W.x, &W.y}, *xyz[] = {&W.x, &W.y, &W.z};
	struct ht_resp *last = NULL;
	char *soon, *far = NULL, *p;
	time_t t0;

	memset(&W, 0, sizeof(W));
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	W.tag = ht_unique("anon");
	if (email == NULL || pw == NULL || (W.coord = ht_login(email, pw)) == NULL) {
		snprintf(W.err, sizeof(W.err), "coordinator log-in failed");
		return;
	}
	for (int i = 0; i < AN_NCO; i++) {
		char *alias = an_word("Aliasco", 10);

		W.co_name[i] = an_word("Acme", 10);
		W.co_name[i][0] = 'A';
		W.co_id[i] = an_call("POST", "/api/v1/orgs", W.coord,
		                     json_pack("{s:s, s:s, s:[s]}", "name", W.co_name[i], "kind",
		                               "company", "aliases", alias),
		                     201, NULL);
		free(alias);
		if (W.co_id[i] == NULL ||
		    ht_make_user(W.coord, W.co_id[i], "admin", &W.co[i], W.err, sizeof(W.err)) != 0)
			return;
	}
	for (int i = 0; i < 3; i++)
		W.sum[i] = ht_fmt("ANSUM-%d-%s reached the level", i, W.tag);
	/* firms named so that sorting by name is Bastion, Citadel, Sentinel */
	if (ht_make_tenant(W.coord, "assessor", "Sentinel", &W.x, W.err, sizeof(W.err)) != 0 ||
	    ht_make_tenant(W.coord, "assessor", "Bastion", &W.y, W.err, sizeof(W.err)) != 0 ||
	    ht_make_tenant(W.coord, "assessor", "Citadel", &W.z, W.err, sizeof(W.err)) != 0)
		return;

	t0 = time(NULL) + 15;
	W.at = an_iso(t0);
	/* 1: the variants, each in a pseudonymous campaign of companies 0 and 1 */
	for (int v = 0; v < AN_NVAR; v++) {
		char *text = an_variant(v);

		W.var_slug[v] = an_campaign("var", "pseudonymous", 1, W.at, two, xy, NULL,
		                            &W.var_id[v], &W.var_eng[v], NULL);
		if (W.var_slug[v] == NULL || an_put_statement(W.var_eng[v], 0, text) != 0) {
			free(text);
			goto done;
		}
		free(text);
	}
	/* 2, 3, 4: pseudonymous, one firm per company */
	W.pseudo_slug = an_campaign("pseudo", "pseudonymous", 2, W.at, three, xyz, W.sum,
	                            &W.pseudo_id, &W.pseudo_eng0, &last);
	if (W.pseudo_slug == NULL)
		goto done;
	W.pseudo_warnings = json_incref(json_object_get(last->json, "warnings"));
	ht_resp_free(last);
	if (an_put_statement(W.pseudo_eng0, 0, "We welcome the assessment.") != 0)
		goto done;
	if ((W.named_slug = an_campaign("named", "named", 2, W.at, three, xyz, W.sum, &W.named_id,
	                                NULL, NULL)) == NULL ||
	    (W.aggr_slug = an_campaign("aggr", "aggregate", 2, W.at, three, xyz, W.sum, NULL, NULL,
	                               NULL)) == NULL)
		goto done;
	/* 5: first set to the instant, moved to 2031, moved back */
	if ((W.brk_slug = an_campaign("brk", "named", 1, W.at, two, xy, NULL, &W.brk_id, NULL,
	                              NULL)) == NULL)
		goto done;
	p = ht_fmt("/api/v1/campaigns/%s", W.brk_id);
	free(an_call(
	    "PATCH", p, W.coord,
	    json_pack("{s:s, s:s}", "release_at", "2031-06-01T00:00:00Z", "reason", "postponed"),
	    200, NULL));
	free(an_call("PATCH", p, W.coord,
	             json_pack("{s:s, s:s}", "release_at", W.at, "reason", "leak in the press"),
	             200, NULL));
	free(p);
	/* a postponement only: planned a few seconds ahead, moved to the instant */
	{
		char *id = NULL;

		soon = an_iso(time(NULL) + 8);
		W.late_slug = an_campaign("late", "named", 1, soon, two, xy, NULL, &id, NULL, NULL);
		free(soon);
		if (W.late_slug == NULL)
			goto done;
		p = ht_fmt("/api/v1/campaigns/%s", id);
		far = an_call("PATCH", p, W.coord,
		              json_pack("{s:s, s:s}", "release_at", W.at, "reason", "later"), 200,
		              NULL);
		free(p);
		free(id);
		if (far == NULL)
			goto done;
	}
	if (time(NULL) >= t0 - 1) {
		snprintf(W.err, sizeof(W.err),
		         "fixture too slow: the instant passed during set-up");
		goto done;
	}
	while (time(NULL) < t0 + 1)
		usleep(100000);
	if (!an_wait_published(W.pseudo_slug, 15) || !an_wait_published(W.named_slug, 5) ||
	    !an_wait_published(W.aggr_slug, 5) || !an_wait_published(W.brk_slug, 5) ||
	    !an_wait_published(W.late_slug, 5)) {
		snprintf(W.err, sizeof(W.err), "fixture campaigns were not published in time");
		goto done;
	}
	W.ok = 1;
done:
	free(far);
}

#define AN_REQUIRE_WORLD() ck_assert_msg(W.ok, "fixture failed: %s", W.err)

/* The document of slug (new reference). */
static json_t *
an_doc(const char *slug)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug);
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	json_t *doc;

	free(path);
	HT_ASSERT_STATUS(r, 200);
	doc = json_loadb(r->body, r->body_len, 0, NULL);
	ck_assert_msg(doc != NULL, "document is not JSON");
	ht_resp_free(r);
	return doc;
}

/* The public page of slug (malloc'd). */
static char *
an_page(const char *slug)
{
	char *path = ht_fmt("/p/%s", slug);
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	char *out;

	free(path);
	HT_ASSERT_STATUS(r, 200);
	out = strdup(r->body);
	ht_resp_free(r);
	return out;
}

/* ------------------------------------------------------- 1: unicode */

START_TEST(test_unicode_variants_hold)
{
	AN_REQUIRE_WORLD();
	for (int v = 0; v < AN_NVAR; v++) {
		char *path = ht_fmt("/api/v1/publications/%s", W.var_slug[v]);
		char *st = NULL;

		/* the scheduler looks at the campaign once the instant has passed */
		for (int i = 0; i < 50; i++) {
			free(st);
			st = an_release_status(W.var_id[v]);
			if (strcmp(st, "held") == 0 || strcmp(st, "published") == 0)
				break;
			usleep(100000);
		}
		ck_assert_msg(strcmp(st, "held") == 0, "variant %d: release %s, not held", v, st);
		ck_assert_int_eq(an_status(path), 404);
		free(st);
		free(path);
	}
}
END_TEST

/* ------------------------------------------------------- 2: unlinked */

START_TEST(test_pseudonymous_rows_unlinked)
{
	json_t *doc, *row;
	const json_t *rows, *as;
	char *page;
	size_t i;
	const char *firms[3];

	AN_REQUIRE_WORLD();
	doc = an_doc(W.pseudo_slug);
	rows = json_object_get(doc, "engagements");
	ck_assert_int_eq(json_array_size(rows), 3);
	json_array_foreach(rows, i, row)
	{
		char *text = ht_jdump(json_incref(row));

		ck_assert_msg(json_object_get(row, "assessor") == NULL, "a row names its assessor");
		ck_assert_msg(
		    strstr(text, W.x.org_name) == NULL && strstr(text, W.y.org_name) == NULL &&
		        strstr(text, W.z.org_name) == NULL && strstr(text, "Lead") == NULL,
		    "a row links to a firm: %s", text);
		free(text);
	}
	/* the assessors: a list apart, sorted by firm */
	as = json_object_get(doc, "assessors");
	ck_assert_int_eq(json_array_size(as), 3);
	for (int k = 0; k < 3; k++)
		firms[k] =
		    json_string_value(json_object_get(json_array_get(as, (size_t)k), "firm"));
	ck_assert_str_eq(firms[0], W.y.org_name); /* Bastion */
	ck_assert_str_eq(firms[1], W.z.org_name); /* Citadel */
	ck_assert_str_eq(firms[2], W.x.org_name); /* Sentinel */
	json_decref(doc);
	/* the page: no assessor column in the rows */
	page = an_page(W.pseudo_slug);
	ck_assert_msg(strstr(page, "<th>Assessor</th>") == NULL, "the page links rows to firms");
	ck_assert_msg(strstr(page, W.x.org_name) != NULL, "the page lists the assessors");
	free(page);
	/* named: rows keep the firm */
	doc = an_doc(W.named_slug);
	json_array_foreach(json_object_get(doc, "engagements"), i, row) ck_assert_msg(
	    json_is_object(json_object_get(row, "assessor")), "a named row without its assessor");
	json_decref(doc);
}
END_TEST

START_TEST(test_pairing_warnings)
{
	char *p;
	struct ht_resp *r;
	const json_t *w;
	size_t i;
	json_t *v;
	int n = 0;

	AN_REQUIRE_WORLD();
	/* at creation: the last engagement's answer */
	ck_assert_msg(json_array_size(W.pseudo_warnings) == 3,
	              "expected 3 warnings at creation, got %zu",
	              json_array_size(W.pseudo_warnings));
	json_array_foreach(W.pseudo_warnings, i, v)
	{
		ck_assert_str_eq(json_string_value(json_object_get(v, "code")),
		                 "assessor-identifies-company");
		ck_assert_msg(json_is_string(json_object_get(v, "detail")),
		              "warning without detail");
	}
	/* in the coordinator's view */
	p = ht_fmt("/api/v1/campaigns/%s", W.pseudo_id);
	r = ht_request("GET", p, W.coord, NULL);
	HT_ASSERT_STATUS(r, 200);
	w = json_object_get(r->json, "warnings");
	json_array_foreach(w, i, v)
	{
		const char *firm =
		    json_string_value(json_object_get(json_object_get(v, "assessor_org"), "name"));

		if (firm != NULL && strcmp(firm, W.x.org_name) == 0)
			ck_assert_str_eq(json_string_value(json_object_get(
			                     json_object_get(v, "company_org"), "name")),
			                 W.co_name[0]);
		n++;
	}
	ck_assert_int_eq(n, 3);
	ht_resp_free(r);
	/* participants never see them */
	r = ht_request("GET", p, W.co[0].token, NULL);
	ck_assert_msg(r->status == 404 || json_object_get(r->json, "warnings") == NULL,
	              "a participant sees the pairing warnings");
	ht_resp_free(r);
	free(p);
	/* named: nothing to warn about */
	p = ht_fmt("/api/v1/campaigns/%s", W.named_id);
	r = ht_request("GET", p, W.coord, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "warnings")), 0);
	ht_resp_free(r);
	free(p);
}
END_TEST

/* ---------------------------------------------------- 3: suppression */

START_TEST(test_suppression_only_aggregate)
{
	json_t *doc;
	const json_t *claims;
	char *page, *text;

	AN_REQUIRE_WORLD();
	/* pseudonymous, k=2: OC1 is company 0 alone, but its row shows it anyway */
	doc = an_doc(W.pseudo_slug);
	text = ht_jdump(json_incref(json_object_get(doc, "aggregate")));
	ck_assert_msg(strstr(text, "suppressed") == NULL, "pseudonymous aggregate suppresses: %s",
	              text);
	free(text);
	claims = json_object_get(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                         "WEIGHTS-EXFIL");
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC1")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC3")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC5")), 0);
	json_decref(doc);
	page = an_page(W.pseudo_slug);
	ck_assert_msg(strstr(page, ">suppressed<") == NULL, "the pseudonymous page suppresses");
	free(page);
	/* aggregate, k=2: no rows, so the cell of one company is suppressed */
	doc = an_doc(W.aggr_slug);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "engagements")), 0);
	claims = json_object_get(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                         "WEIGHTS-EXFIL");
	ck_assert_str_eq(json_string_value(json_object_get(claims, "OC1")), "suppressed");
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC3")), 2);
	json_decref(doc);
}
END_TEST

/* --------------------------------------------------------- 4: sealed */

START_TEST(test_claims_statements_sealed)
{
	const char *bin = ht_env_req("LOCKSTEP_TEST_PG_BIN");
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	char *far = ht_future_time(365 * 3);
	char *sum = ht_fmt("ANSEAL-CLAIM-%s", W.tag), *stm = ht_fmt("ANSEAL-STMT-%s", W.tag);
	char *sums[2] = {sum, sum};
	int two[] = {2, 3, -1};
	struct ht_tenant *xy[] = {&W.x, &W.y};
	char *slug, *eng = NULL, *p, *exe, *dump, *sql;
	char *argv[4];
	struct ht_resp *r;
	size_t len;
	int st;

	AN_REQUIRE_WORLD();
	slug = an_campaign("seal", "pseudonymous", 1, far, two, xy, sums, NULL, &eng, NULL);
	ck_assert_msg(slug != NULL, "campaign: %s", W.err);
	ck_assert_int_eq(an_put_statement(eng, 2, stm), 0);
	/* the participants read them back */
	p = ht_fmt("/api/v1/engagements/%s/claims", eng);
	r = ht_request("GET", p, W.x.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, sum) != NULL, "claim not read back");
	ht_resp_free(r);
	free(p);
	p = ht_fmt("/api/v1/engagements/%s/statement", eng);
	r = ht_request("GET", p, W.co[2].token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "text"), stm);
	ht_resp_free(r);
	free(p);
	/* the database holds ciphertext only */
	sql =
	    ht_fmt("SELECT count(*) FROM claims WHERE engagement_id = '%s' AND summary IS NOT NULL"
	           " AND summary_plain IS NULL",
	           eng);
	ck_assert_int_eq(ht_db_count(owner, sql), 1);
	free(sql);
	sql = ht_fmt("SELECT count(*) FROM statements WHERE engagement_id = '%s'"
	             " AND text IS NOT NULL AND text_plain IS NULL",
	             eng);
	ck_assert_int_eq(ht_db_count(owner, sql), 1);
	free(sql);
	/* and so does a dump */
	exe = ht_fmt("%s/pg_dump", bin);
	argv[0] = exe;
	argv[1] = (char *)"-d";
	argv[2] = (char *)owner;
	argv[3] = NULL;
	dump = ht_run_capture(argv, &len, &st);
	ck_assert_msg(dump != NULL && st == 0, "pg_dump failed (status %d)", st);
	ck_assert_msg(ht_mem_contains(dump, len, slug), "the slug is not in the dump");
	ck_assert_msg(!ht_mem_contains_any_form(dump, len, sum), "claim summary in pg_dump");
	ck_assert_msg(!ht_mem_contains_any_form(dump, len, stm), "statement in pg_dump");
	free(dump);
	free(exe);
	free(slug);
	free(eng);
	free(sum);
	free(stm);
	free(far);
}
END_TEST

START_TEST(test_sealed_published_at_release)
{
	json_t *doc;
	char *text;

	AN_REQUIRE_WORLD();
	/* the release opened them into the signed document */
	doc = an_doc(W.pseudo_slug);
	text = ht_jdump(doc);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(strstr(text, W.sum[i]) != NULL, "claim %d missing from the release",
		              i);
	ck_assert_msg(strstr(text, "We welcome the assessment.") != NULL,
	              "statement missing from the release");
	free(text);
}
END_TEST

/* --------------------------------------------------------- 5: embargo */

START_TEST(test_embargo_history)
{
	json_t *doc;
	const json_t *h;
	char *page;
	struct ht_resp *r;

	AN_REQUIRE_WORLD();
	doc = an_doc(W.brk_slug);
	ck_assert_msg(json_is_true(json_object_get(doc, "embargo_break")),
	              "moved earlier than 2031: no embargo break");
	h = json_object_get(json_object_get(doc, "campaign"), "release_history");
	ck_assert_int_eq(json_array_size(h), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "release_at")),
	                 W.at);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 1), "release_at")),
	                 "2031-06-01T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 2), "release_at")),
	                 W.at);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(json_is_string(json_object_get(json_array_get(h, i), "announced_at")),
		              "history entry without its announcement time");
	json_decref(doc);
	page = an_page(W.brk_slug);
	ck_assert_msg(strstr(page, "Release-date history") != NULL &&
	                  strstr(page, "2031-06-01T00:00:00Z") != NULL,
	              "the page does not show the history");
	ck_assert_msg(strstr(page, "Embargo break") != NULL, "the page does not flag the break");
	free(page);
	r = ht_request("GET", "/api/v1/publications?limit=200", NULL, NULL);
	ck_assert_msg(ht_mem_contains(r->body, r->body_len, W.brk_slug), "not listed");
	ht_resp_free(r);
	/* a postponement is no break */
	doc = an_doc(W.late_slug);
	ck_assert_msg(json_is_false(json_object_get(doc, "embargo_break")),
	              "a postponement flagged as a break");
	ck_assert_int_eq(
	    json_array_size(json_object_get(json_object_get(doc, "campaign"), "release_history")),
	    2);
	json_decref(doc);
}
END_TEST

/* ----------------------------------------------------------- 6: quota */

struct an_quota_user {
	struct ht_actor a;
	const char *eng;
	int created, refused, other;
	char *loc[4];
};

static void *
an_quota_thread(void *arg)
{
	struct an_quota_user *u = arg;
	char *path = ht_fmt("/api/v1/engagements/%s/uploads?name=quota.bin", u->eng);
	char *len = ht_fmt("Upload-Length: %llu", 4 * AN_GIB);

	for (int i = 0; i < 4; i++) {
		const char *h[] = {"Tus-Resumable: 1.0.0", len, "Content-Type:", NULL};
		struct ht_resp *r = ht_request_v("POST", path, u->a.token, NULL, 0, h);

		if (r->status == 201) {
			u->loc[u->created++] = ht_header(r, "Location");
		} else if (ht_is_problem(r, 413, "quota-exceeded")) {
			u->refused++;
		} else {
			fprintf(stderr, "quota: unexpected %ld %s\n", r->status, HT_BODY(r));
			u->other++;
		}
		ht_resp_free(r);
	}
	free(len);
	free(path);
	return NULL;
}

START_TEST(test_quota_engagement_wide)
{
	const char *qenv = ht_env("LOCKSTEP_EVIDENCE_QUOTA_BYTES");
	unsigned long long quota = qenv ? strtoull(qenv, NULL, 10) : 64 * AN_GIB;
	struct an_quota_user u[5];
	pthread_t th[5];
	char *far = ht_future_time(60), *slug, *eng = NULL, *sql;
	int one[] = {3, -1}, created = 0, refused = 0, other = 0;
	struct ht_tenant *x[] = {&W.x};

	AN_REQUIRE_WORLD();
	ck_assert_msg(quota == 64 * AN_GIB, "the test expects the default 64 GiB quota");
	slug = an_campaign("quota", "named", 1, far, one, x, NULL, NULL, &eng, NULL);
	ck_assert_msg(slug != NULL, "campaign: %s", W.err);
	/* evidence is added in fieldwork */
	ck_assert_int_eq(ht_stage(W.x.admin.token, eng, "fieldwork"), 200);
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 5; i++) {
		ck_assert_msg(
		    ht_make_user(W.coord, W.co_id[3], "member", &u[i].a, W.err, sizeof(W.err)) == 0,
		    "user: %s", W.err);
		u[i].eng = eng;
	}
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, an_quota_thread, &u[i]), 0);
	for (int i = 0; i < 5; i++) {
		pthread_join(th[i], NULL);
		created += u[i].created;
		refused += u[i].refused;
		other += u[i].other;
	}
	ck_assert_int_eq(other, 0);
	ck_assert_msg(created == 16 && refused == 4,
	              "%d uploads of 4 GiB accepted against a 64 GiB quota (%d refused)", created,
	              refused);
	sql = ht_fmt("SELECT coalesce(sum(upload_length), 0) / 1073741824 FROM evidence"
	             " WHERE engagement_id = '%s'",
	             eng);
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql), 64);
	free(sql);
	/* clean up: each user terminates their uploads */
	for (int i = 0; i < 5; i++) {
		for (int k = 0; k < u[i].created; k++) {
			const char *h[] = {"Tus-Resumable: 1.0.0", NULL};
			const char *loc = u[i].loc[k] ? strstr(u[i].loc[k], "/api/v1/") : NULL;
			struct ht_resp *r;

			if (loc == NULL)
				continue;
			r = ht_request_v("DELETE", loc, u[i].a.token, NULL, 0, h);
			ck_assert_msg(r->status == 204, "terminate: %ld", r->status);
			ht_resp_free(r);
			free(u[i].loc[k]);
		}
		ht_actor_free(&u[i].a);
	}
	free(slug);
	free(eng);
	free(far);
}
END_TEST

/* ------------------------------------------------------- name-check */

static long long
an_name_check_audits(void)
{
	return ht_db_count(
	    ht_env_req("LOCKSTEP_TEST_OWNER_DSN"),
	    "SELECT count(*) FROM audit_events WHERE action = 'engagement.name_check'");
}

START_TEST(test_name_check_spans)
{
	char *p, *body, *text;
	struct ht_resp *r;
	const json_t *spans;

	AN_REQUIRE_WORLD();
	/* a statement being typed in engagement (company 0, X) of a variant campaign */
	p = ht_fmt("/api/v1/engagements/%s/name-check", W.var_eng[0]);
	/* "Déjà " is 5 UTF-16 units; the name is plain ASCII; the apostrophe is U+2019 */
	text = ht_fmt("D\xc3\xa9j\xc3\xa0 %s\xe2\x80\x99s and %s.", W.co_name[1], W.co_name[3]);
	body = ht_jdump(json_pack("{s:s}", "text", text));
	r = ht_request("POST", p, W.co[0].token, body);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(json_is_true(json_object_get(r->json, "hold")), "no hold: %s", r->body);
	spans = json_object_get(r->json, "spans");
	ck_assert_int_eq(json_array_size(spans), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(spans, 0), "start")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(spans, 0), "end")),
	                 5 + (json_int_t)strlen(W.co_name[1]));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(spans, 0), "text")),
	                 W.co_name[1]);
	/* company 3 takes no part in this campaign: flagged all the same, so the
	 * answer tells nothing about who takes part */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(spans, 1), "text")),
	                 W.co_name[3]);
	ht_resp_free(r);
	free(body);
	/* the assessor may ask too; a clean text holds nothing */
	r = ht_request("POST", p, W.x.admin.token, "{\"text\":\"We fixed it.\"}");
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(json_is_false(json_object_get(r->json, "hold")), "false hold");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "spans")), 0);
	ht_resp_free(r);
	free(p);
	/* named disclosure: nothing ever holds */
	{
		char *id = NULL;
		char *eng = NULL, *far = ht_future_time(30);
		int one[] = {0, -1};
		struct ht_tenant *x[] = {&W.x};
		char *slug = an_campaign("nnamed", "named", 1, far, one, x, NULL, &id, &eng, NULL);

		ck_assert_msg(slug != NULL, "campaign: %s", W.err);
		p = ht_fmt("/api/v1/engagements/%s/name-check", eng);
		body = ht_jdump(json_pack("{s:s}", "text", text));
		r = ht_request("POST", p, W.co[0].token, body);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(json_is_false(json_object_get(r->json, "hold")), "named holds");
		ht_resp_free(r);
		free(body);
		free(p);
		free(slug);
		free(id);
		free(eng);
		free(far);
	}
	free(text);
}
END_TEST

START_TEST(test_name_check_tenancy_and_bad_input)
{
	static const char *const bad[] = {
	    "{",
	    "[]",
	    "{}",
	    "{\"text\": 5}",
	    "{\"text\": null}",
	    "{\"text\": \"ok\", \"extra\": 1}",
	    "{\"text\": \"bell \\u0007\"}",
	    "{\"text\": \"a\", \"text\": \"b\"}",
	    NULL,
	};
	char *p = ht_fmt("/api/v1/engagements/%s/name-check", W.var_eng[0]);
	char *missing, *random_p, uuid[37], *big;
	long long before[HT_NCOUNTED], after[HT_NCOUNTED], audits;
	struct ht_resp *r, *m;

	AN_REQUIRE_WORLD();
	ck_assert_int_eq(ht_db_snapshot(before), 0);
	audits = an_name_check_audits();
	for (int i = 0; bad[i] != NULL; i++) {
		r = ht_request("POST", p, W.co[0].token, bad[i]);
		ck_assert_msg(r->status >= 400 && r->status < 500 &&
		                  strncmp(r->content_type, "application/problem+json", 24) == 0,
		              "%s: %ld %s", bad[i], r->status, r->content_type);
		ht_resp_free(r);
	}
	big = malloc(6000 + 16);
	memcpy(big, "{\"text\":\"", 9);
	memset(big + 9, 'a', 6000);
	strcpy(big + 9 + 6000, "\"}");
	r = ht_request("POST", p, W.co[0].token, big);
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	free(big);
	r = ht_request("POST", p, W.co[0].token, "text=Acme", "Content-Type: text/plain");
	ck_assert_msg(r->status == 415 || r->status == 400, "form body: %ld", r->status);
	ht_resp_free(r);
	/* tenancy: a foreign engagement answers exactly like a missing one */
	ht_random_uuid(uuid);
	random_p = ht_fmt("/api/v1/engagements/%s/name-check", uuid);
	m = ht_request("POST", random_p, W.co[2].token, "{\"text\":\"x\"}");
	HT_ASSERT_PROBLEM(m, 404, "not-found");
	r = ht_request("POST", p, W.co[2].token, "{\"text\":\"x\"}"); /* other company */
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ck_assert_str_eq(r->body, m->body);
	ht_resp_free(r);
	r = ht_request("POST", p, W.z.admin.token, "{\"text\":\"x\"}"); /* other firm */
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = ht_request("POST", p, W.coord, "{\"text\":\"x\"}"); /* the coordinator */
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = ht_request("POST", p, NULL, "{\"text\":\"x\"}");
	ck_assert_int_eq(r->status, 401);
	ht_resp_free(r);
	missing = ht_fmt("/api/v1/engagements/%s/name-check", "not-a-uuid");
	r = ht_request("POST", missing, W.co[0].token, "{\"text\":\"x\"}");
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = ht_request("GET", p, W.co[0].token, NULL);
	ck_assert_int_eq(r->status, 405);
	ht_resp_free(r);
	ht_resp_free(m);
	/* nothing changed, nothing audited */
	ck_assert_int_eq(ht_db_snapshot(after), 0);
	for (int i = 0; i < HT_NCOUNTED; i++)
		ck_assert_msg(before[i] == after[i], "%s changed", ht_counted_tables[i]);
	ck_assert_int_eq(an_name_check_audits(), audits);
	free(missing);
	free(random_p);
	free(p);
}
END_TEST

/* The CLI: lockstep name-check ENGAGEMENT_ID FILE, exit 1 when a span would hold. */
START_TEST(test_cli_name_check)
{
	const char *cli_env =
	    ht_env("LOCKSTEP_TEST_CLI") ? ht_env("LOCKSTEP_TEST_CLI") : "./lockstep";
	char cli[4096], dir[] = "/tmp/lockstep-anon-XXXXXX", *cfg, *file, *out, *text;
	char *argv[8];
	size_t len;
	int st;
	FILE *f;

	AN_REQUIRE_WORLD();
	ck_assert_msg(realpath(cli_env, cli) != NULL, "the lockstep client is not at %s", cli_env);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cfg = ht_fmt("%s/config", dir);
	file = ht_fmt("%s/statement.txt", dir);
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", cfg, 1), 0);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", W.co[0].password, 1), 0);
	argv[0] = cli;
	argv[1] = (char *)"--url";
	argv[2] = (char *)ht_env_req("LOCKSTEP_TEST_URL");
	argv[3] = (char *)"login";
	argv[4] = W.co[0].email;
	argv[5] = NULL;
	out = ht_run_capture(argv, &len, &st);
	ck_assert_msg(out != NULL && st == 0, "login: exit %d", st);
	free(out);
	argv[3] = (char *)"name-check";
	argv[4] = W.var_eng[1];
	argv[5] = file;
	argv[6] = NULL;
	/* naming a company: exit 1 and the span on stdout */
	text = ht_fmt("Thanks to %s.\n", W.co_name[1]);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fputs(text, f);
	fclose(f);
	out = ht_run_capture(argv, &len, &st);
	ck_assert_msg(out != NULL && st == 1, "name-check of a name: exit %d", st);
	ck_assert_msg(strstr(out, W.co_name[1]) != NULL && strstr(out, "\"hold\": true"),
	              "name-check output: %s", out);
	free(out);
	free(text);
	/* a clean text: exit 0 */
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fputs("We fixed it.\n", f);
	fclose(f);
	out = ht_run_capture(argv, &len, &st);
	ck_assert_msg(out != NULL && st == 0, "name-check of a clean text: exit %d: %s", st, out);
	free(out);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	out = ht_fmt("rm -rf '%s'", dir);
	(void)!system(out);
	free(out);
	free(cfg);
	free(file);
}
END_TEST

/*
 * Rows written before 0004 are plaintext: `lockstepd migrate` seals those
 * of unreleased campaigns, and the API reads them back the same.
 */
START_TEST(test_migrate_seals_legacy_rows)
{
	const char *bin = ht_env("LOCKSTEP_TEST_LOCKSTEPD");
	const char *run_as = ht_env("LOCKSTEP_TEST_RUN_AS");
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	char *far = ht_future_time(400), *slug, *eng = NULL, *sql, *p, *out;
	char *sum = ht_fmt("ANLEGACY-CLAIM-%s", W.tag), *stm = ht_fmt("ANLEGACY-STMT-%s", W.tag);
	int one[] = {2, -1}, st;
	struct ht_tenant *y[] = {&W.y};
	char *argv[10], u[32], g[32];
	struct ht_resp *r;
	PGconn *c;
	size_t len, n = 0;

	AN_REQUIRE_WORLD();
	if (bin == NULL)
		ht_skip("LOCKSTEP_TEST_LOCKSTEPD is not set: no lockstepd migrate to run");
	slug = an_campaign("legacy", "pseudonymous", 1, far, one, y, NULL, NULL, &eng, NULL);
	ck_assert_msg(slug != NULL, "campaign: %s", W.err);
	/* as a lockstepd before 0004 would have written them */
	c = ht_db_open(owner);
	ck_assert_ptr_nonnull(c);
	sql = ht_fmt(
	    "INSERT INTO claims (engagement_id, company_org_id, assessor_org_id, threat_model,"
	    " level, summary_plain, updated_by) SELECT id, company_org_id, assessor_org_id,"
	    " 'WEIGHTS-EXFIL', 'OC2', '%s', '%s' FROM engagements WHERE id = '%s'",
	    sum, W.y.admin.user_id, eng);
	ck_assert_int_eq(ht_db_exec(c, sql, NULL), 0);
	free(sql);
	sql =
	    ht_fmt("INSERT INTO statements (engagement_id, company_org_id, assessor_org_id,"
	           " text_plain, updated_by) SELECT id, company_org_id, assessor_org_id, '%s', '%s'"
	           " FROM engagements WHERE id = '%s'",
	           stm, W.co[2].user_id, eng);
	ck_assert_int_eq(ht_db_exec(c, sql, NULL), 0);
	free(sql);
	/* the API reads plaintext rows as they are */
	p = ht_fmt("/api/v1/engagements/%s/statement", eng);
	r = ht_request("GET", p, W.co[2].token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "text"), stm);
	ht_resp_free(r);
	/* lockstepd migrate seals them */
	if (run_as != NULL) {
		struct passwd *pw = getpwnam(run_as);

		ck_assert_ptr_nonnull(pw);
		snprintf(u, sizeof(u), "--reuid=%u", (unsigned)pw->pw_uid);
		snprintf(g, sizeof(g), "--regid=%u", (unsigned)pw->pw_gid);
		argv[n++] = (char *)"/usr/bin/setpriv";
		argv[n++] = u;
		argv[n++] = g;
		argv[n++] = (char *)"--init-groups";
		argv[n++] = (char *)"--";
	}
	argv[n++] = (char *)bin;
	argv[n++] = (char *)"migrate";
	argv[n] = NULL;
	out = ht_run_capture(argv, &len, &st);
	ck_assert_msg(out != NULL && st == 0, "lockstepd migrate: exit %d", st);
	free(out);
	sql =
	    ht_fmt("SELECT count(*) FROM claims WHERE engagement_id = '%s' AND summary IS NOT NULL"
	           " AND summary_plain IS NULL",
	           eng);
	ck_assert_int_eq(ht_db_count_conn(c, sql), 1);
	free(sql);
	sql =
	    ht_fmt("SELECT count(*) FROM statements WHERE engagement_id = '%s' AND text IS NOT NULL"
	           " AND text_plain IS NULL",
	           eng);
	ck_assert_int_eq(ht_db_count_conn(c, sql), 1);
	free(sql);
	PQfinish(c);
	r = ht_request("GET", p, W.co[2].token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "text"), stm);
	ht_resp_free(r);
	free(p);
	p = ht_fmt("/api/v1/engagements/%s/claims", eng);
	r = ht_request("GET", p, W.y.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, sum) != NULL, "sealed legacy claim not read back");
	ht_resp_free(r);
	free(p);
	free(slug);
	free(eng);
	free(sum);
	free(stm);
	free(far);
}
END_TEST

/*
 * Last: the texts are frozen at the instant, held or not; once the
 * coordinator extends the release the texts open again, and fixing them
 * releases the held variants (and leaves no hold behind).
 */
START_TEST(test_unicode_fix_releases)
{
	AN_REQUIRE_WORLD();
	for (int v = 0; v < AN_NVAR; v++) {
		char *p = ht_fmt("/api/v1/campaigns/%s/hold/decision", W.var_id[v]);
		char *sp = ht_fmt("/api/v1/engagements/%s/statement", W.var_eng[v]);
		struct ht_resp *r =
		    ht_request("PUT", sp, W.co[0].token, "{\"text\":\"We fixed it.\"}");

		ck_assert_msg(ht_is_problem(r, 409, "invalid-state"),
		              "variant %d: a held text changed after the instant: %ld %s", v,
		              r->status, HT_BODY(r));
		ht_resp_free(r);
		r = ht_request(
		    "POST", p, W.coord,
		    "{\"decision\":\"extend\",\"seconds\":6,\"reason\":\"fix the name\"}");
		ck_assert_msg(r->status == 200, "variant %d: extend: %ld %s", v, r->status,
		              HT_BODY(r));
		ht_resp_free(r);
		free(sp);
		free(p);
	}
	for (int v = 0; v < AN_NVAR; v++)
		ck_assert_int_eq(an_put_statement(W.var_eng[v], 0, "We fixed it."), 0);
	for (int v = 0; v < AN_NVAR; v++)
		ck_assert_msg(an_wait_published(W.var_slug[v], 10), "variant %d not released", v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("anon");
	TCase *tc = tcase_create("anon");

	ht_init_or_skip();
	ht_clear_login_failures();
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, an_setup, NULL);
	tcase_add_test(tc, test_unicode_variants_hold);
	tcase_add_test(tc, test_pseudonymous_rows_unlinked);
	tcase_add_test(tc, test_pairing_warnings);
	tcase_add_test(tc, test_suppression_only_aggregate);
	tcase_add_test(tc, test_claims_statements_sealed);
	tcase_add_test(tc, test_sealed_published_at_release);
	tcase_add_test(tc, test_embargo_history);
	tcase_add_test(tc, test_quota_engagement_wide);
	tcase_add_test(tc, test_name_check_spans);
	tcase_add_test(tc, test_name_check_tenancy_and_bad_input);
	tcase_add_test(tc, test_cli_name_check);
	tcase_add_test(tc, test_migrate_seals_legacy_rows);
	tcase_add_test(tc, test_unicode_fix_releases);
	suite_add_tcase(s, tc);
	return ht_run_suite(s);
}

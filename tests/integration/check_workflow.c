/*
 * The participants' workflow (issue 11, part A) against the shared
 * server: engagement stages (every allowed and every refused move, who
 * may move, findings and evidence only in fieldwork and reporting), the
 * company review (drafts frozen when the window opens, exactly once;
 * sign-off, response, addendum bound to the draft's hash; a change
 * reopens the review and says what changed; the publication carries the
 * draft hash and the review state, and the draft's hash equals the hash
 * of the published row when nothing changed) and the coordinator's
 * dashboard (counts and flags, never a text).
 */
#include "config.h"

#include <signal.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "crypto/crypto.h"
#include "util/util.h"

static struct ht_world W;

static const char *const stages[] = {"planned", "fieldwork", "reporting", "review", "closed"};
#define NSTAGES 5

/* The allowed moves (engagement_transitions of 0008), written out again here. */
static int
wf_allowed(const char *from, const char *to)
{
	static const char *const ok[][2] = {{"planned", "fieldwork"},   {"fieldwork", "reporting"},
	                                    {"reporting", "fieldwork"}, {"reporting", "review"},
	                                    {"review", "reporting"},    {"review", "closed"}};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(ok[i][0], from) == 0 && strcmp(ok[i][1], to) == 0)
			return 1;
	return 0;
}

/* The shortest path of allowed moves from planned to stage (excluding planned). */
static const char *const *
wf_path(const char *stage, int *n)
{
	static const char *const path[] = {"fieldwork", "reporting", "review", "closed"};

	for (int i = 0; i < NSTAGES; i++)
		if (strcmp(stages[i], stage) == 0) {
			*n = i;
			return path;
		}
	*n = 0;
	return path;
}

/* An RFC 3339 instant secs from now. Caller frees. */
static char *
wf_at(int secs)
{
	time_t t = time(NULL) + secs;
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* POST/PUT/PATCH body (stolen) as token; the response (caller frees). */
static struct ht_resp *
wf_send(const char *method, const char *path, const char *token, json_t *body)
{
	char *text = body ? ht_jdump(body) : NULL;
	struct ht_resp *r = ht_request(method, path, token, text);

	free(text);
	return r;
}

/*
 * A new campaign (release secs from now, disclosure) as the coordinator;
 * its id (caller frees) and *slug (caller frees).
 */
static char *
wf_campaign(int secs, const char *disclosure, char **slug)
{
	char *at = wf_at(secs), *title, *id = NULL;
	struct ht_resp *r;

	*slug = ht_unique("wf");
	title = ht_fmt("Workflow %s", *slug);
	r = wf_send("POST", "/api/v1/campaigns", W.coord.token,
	            json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", title, "slug", *slug,
	                      "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                      disclosure));
	ck_assert_msg(r->status == 201, "campaign: %ld %s", r->status, HT_BODY(r));
	id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(title);
	free(at);
	return id;
}

/* A new engagement of company co and assessor as in campaign; its id (caller frees). */
static char *
wf_engagement(const char *campaign, const struct ht_tenant *co, const struct ht_tenant *as)
{
	char *path = ht_fmt("/api/v1/campaigns/%s/engagements", campaign);
	struct ht_resp *r =
	    wf_send("POST", path, W.coord.token,
	            json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", co->org_id, "assessor_org",
	                      as->org_id, "scope", "workflow scope", "lead_assessors", "Lead"));
	char *id;

	ck_assert_msg(r->status == 201, "engagement: %ld %s", r->status, HT_BODY(r));
	id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(path);
	return id;
}

/* The engagement's stage as its assessor sees it. Caller frees. */
static char *
wf_stage_of(const char *eng, const char *token)
{
	char *path = ht_fmt("/api/v1/engagements/%s", eng);
	struct ht_resp *r = ht_request("GET", path, token, NULL);
	char *st;

	HT_ASSERT_STATUS(r, 200);
	st = strdup(ht_jstr(r, "state"));
	ht_resp_free(r);
	free(path);
	return st;
}

/* Every (from, to) pair: allowed moves answer 200, all others 409 and change nothing. */
START_TEST(test_stage_every_transition)
{
	for (int f = 0; f < NSTAGES; f++)
		for (int t = 0; t < NSTAGES; t++) {
			const char *from = stages[f], *to = stages[t];
			const char *const *path;
			char *slug, *camp, *eng, *p, *now;
			struct ht_resp *r;
			int n;

			if (f == t)
				continue;
			camp = wf_campaign(86400 * 30, "named", &slug);
			eng = wf_engagement(camp, &W.a, &W.x);
			path = wf_path(from, &n);
			for (int i = 0; i < n; i++)
				ck_assert_int_eq(ht_stage(W.x.admin.token, eng, path[i]), 200);
			p = ht_fmt("/api/v1/engagements/%s/stage", eng);
			/* the coordinator for half of the pairs, the assessor for the rest */
			r = wf_send("POST", p, (f + t) % 2 ? W.coord.token : W.x.admin.token,
			            json_pack("{s:s}", "stage", to));
			now = wf_stage_of(eng, W.x.admin.token);
			if (wf_allowed(from, to)) {
				ck_assert_msg(r->status == 200, "%s -> %s: %ld %s", from, to,
				              r->status, HT_BODY(r));
				ck_assert_str_eq(now, to);
				ck_assert_str_eq(ht_jstr(r, "state"), to);
				/* the stages with their dates: planned, the path, the move */
				ck_assert_int_eq(
				    json_array_size(json_object_get(r->json, "stages")), n + 2);
			} else {
				ck_assert_msg(ht_is_problem(r, 409, "invalid-state"),
				              "%s -> %s answered %ld %s", from, to, r->status,
				              HT_BODY(r));
				ck_assert_str_eq(now, from);
			}
			ht_resp_free(r);
			free(now);
			free(p);
			free(eng);
			free(camp);
			free(slug);
		}
}
END_TEST

/* Only the engagement's assessor and the coordinator move it; others get the 404 of a missing id.
 */
START_TEST(test_stage_who_and_bad_input)
{
	char *slug, *camp = wf_campaign(86400 * 30, "named", &slug);
	char *eng = wf_engagement(camp, &W.a, &W.x);
	char *p = ht_fmt("/api/v1/engagements/%s/stage", eng), *missing, *now;
	char unknown[37];
	struct ht_resp *ref, *r;
	const char *refused[] = {W.a.admin.token, W.b.admin.token, W.y.admin.token};
	const char *bodies[] = {"{\"stage\":\"nope\"}",
	                        "{\"stage\":1}",
	                        "{}",
	                        "{\"stage\":\"fieldwork\",\"x\":1}",
	                        "[]",
	                        "{\"stage\":null}",
	                        "{\"stage\":\"FIELDWORK\"}",
	                        "not json"};

	ht_random_uuid(unknown);
	missing = ht_fmt("/api/v1/engagements/%s/stage", unknown);
	ref = wf_send("POST", missing, W.x.admin.token, json_pack("{s:s}", "stage", "fieldwork"));
	HT_ASSERT_PROBLEM(ref, 404, "not-found");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = wf_send("POST", p, refused[i], json_pack("{s:s}", "stage", "fieldwork"));
		ck_assert_msg(r->status == 404 && r->body_len == ref->body_len &&
		                  memcmp(r->body, ref->body, r->body_len) == 0,
		              "refusal %zu differs from a missing id: %ld %s", i, r->status,
		              HT_BODY(r));
		ht_resp_free(r);
	}
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		r = ht_request("POST", p, W.x.admin.token, bodies[i]);
		ck_assert_msg(r->status == 422 || r->status == 400, "body %s answered %ld %s",
		              bodies[i], r->status, HT_BODY(r));
		ck_assert_msg(r->content_type &&
		                  strstr(r->content_type, "application/problem+json"),
		              "body %s: not a problem", bodies[i]);
		ht_resp_free(r);
	}
	now = wf_stage_of(eng, W.x.admin.token);
	ck_assert_str_eq(now, "planned");
	free(now);
	/* a malformed id is the same 404 */
	r = wf_send("POST", "/api/v1/engagements/not-a-uuid/stage", W.x.admin.token,
	            json_pack("{s:s}", "stage", "fieldwork"));
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	ht_resp_free(ref);
	free(missing);
	free(p);
	free(eng);
	free(camp);
	free(slug);
}
END_TEST

/* Findings and evidence are added only in fieldwork and reporting. */
START_TEST(test_stage_gates_findings_and_evidence)
{
	char *slug, *camp = wf_campaign(86400 * 30, "named", &slug);
	char *eng = wf_engagement(camp, &W.a, &W.x);
	char *pf = ht_fmt("/api/v1/engagements/%s/findings", eng);
	char *pe = ht_fmt("/api/v1/engagements/%s/evidence?name=e.txt", eng);
	static const struct {
		const char *move; /* NULL: stay */
		int open;
	} steps[] = {{NULL, 0}, {"fieldwork", 1}, {"reporting", 1}, {"review", 0}, {"closed", 0}};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct ht_resp *r;

		if (steps[i].move != NULL)
			ck_assert_int_eq(ht_stage(W.x.admin.token, eng, steps[i].move), 200);
		r = wf_send("POST", pf, W.x.admin.token,
		            json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL",
		                      "title", "t", "detail", "d", "severity", "low"));
		if (steps[i].open)
			HT_ASSERT_STATUS(r, 201);
		else
			HT_ASSERT_PROBLEM(r, 409, "invalid-state");
		ht_resp_free(r);
		r = ht_request("POST", pe, W.a.admin.token, "evidence bytes");
		if (steps[i].open)
			HT_ASSERT_STATUS(r, 201);
		else
			HT_ASSERT_PROBLEM(r, 409, "invalid-state");
		ht_resp_free(r);
	}
	{
		char *lit = ht_sql_literal(eng);
		char *q1 = ht_fmt("SELECT count(*) FROM findings WHERE engagement_id = %s", lit);
		char *q2 = ht_fmt("SELECT count(*) FROM evidence WHERE engagement_id = %s", lit);
		char *q3 = ht_fmt("SELECT count(*) FROM engagement_stage_history"
		                  " WHERE engagement_id = %s AND changed_at IS NOT NULL",
		                  lit);
		const char *dsn = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");

		ck_assert_int_eq(ht_db_count(dsn, q1), 2);
		ck_assert_int_eq(ht_db_count(dsn, q2), 2);
		ck_assert_int_eq(ht_db_count(dsn, q3), 5);
		free(q1);
		free(q2);
		free(q3);
		free(lit);
	}
	free(pf);
	free(pe);
	free(eng);
	free(camp);
	free(slug);
}
END_TEST

/*
 * GET the review of eng (as token) until its draft's version is at least
 * min and, when needle is not NULL, its row holds needle (within secs);
 * the last response (caller frees). The window of a campaign released soon
 * is open from its creation, so a first draft may be frozen before the
 * test's content is in: wf_review_wait_text waits for the draft that has it.
 */
static struct ht_resp *
wf_review_poll(const char *eng, const char *token, long long min, const char *needle, int secs)
{
	char *p = ht_fmt("/api/v1/engagements/%s/review", eng);
	struct ht_resp *r = NULL;

	for (int i = 0; i < secs * 10; i++) {
		json_t *d;
		char *row;
		int done;

		ht_resp_free(r);
		r = ht_request("GET", p, token, NULL);
		d = r->json ? json_object_get(r->json, "draft") : NULL;
		row = json_is_object(d) && needle != NULL
		          ? json_dumps(json_object_get(d, "row"), JSON_COMPACT)
		          : NULL;
		done = r->status == 200 && json_is_object(d) &&
		       json_integer_value(json_object_get(d, "version")) >= min &&
		       (needle == NULL || (row != NULL && strstr(row, needle) != NULL));
		free(row);
		if (done)
			break;
		usleep(100000);
	}
	free(p);
	return r;
}

static struct ht_resp *
wf_review_wait(const char *eng, const char *token, long long min, int secs)
{
	return wf_review_poll(eng, token, min, NULL, secs);
}

static struct ht_resp *
wf_review_wait_text(const char *eng, const char *token, const char *needle, int secs)
{
	return wf_review_poll(eng, token, 1, needle, secs);
}

/*
 * SHA-256 hex of the canonical JSON (sorted keys, compact) of row without
 * company and review, as a reader checks a draft hash: a published row
 * gets back the levels its review carries (review.levels), which a draft
 * row has in place.
 */
static void
wf_row_hash(const json_t *row, char hex[65])
{
	json_t *copy = json_copy((json_t *)row);
	const json_t *lv = json_object_get(json_object_get(row, "review"), "levels");
	char *text;
	unsigned char h[CRYPTO_SHA256_LEN];

	if (lv != NULL)
		json_object_set(copy, "levels", (json_t *)lv);
	json_object_del(copy, "company");
	json_object_del(copy, "review");
	json_object_del(copy, "commitment");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(crypto_sha256(text, strlen(text), h), 0);
	util_hex_encode(h, sizeof(h), hex);
	free(text);
	json_decref(copy);
}

/* The published document of slug, waiting up to secs for the release. */
static json_t *
wf_publication(const char *slug, int secs)
{
	char *p = ht_fmt("/api/v1/publications/%s", slug);
	json_t *doc = NULL;

	for (int i = 0; i < secs * 10 && doc == NULL; i++) {
		struct ht_resp *r = ht_request("GET", p, NULL, NULL);

		if (r->status == 200 && r->json != NULL)
			doc = json_incref(json_object_get(r->json, "document")
			                      ? json_object_get(r->json, "document")
			                      : r->json);
		ht_resp_free(r);
		if (doc == NULL)
			usleep(100000);
	}
	free(p);
	return doc;
}

/* The published row whose review draft hash is hash. */
static const json_t *
wf_row_by_hash(const json_t *doc, const char *hash)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(doc, "engagements"), i, row)
	{
		const char *h = json_string_value(
		    json_object_get(json_object_get(row, "review"), "draft_hash"));

		if (h != NULL && strcmp(h, hash) == 0)
			return row;
	}
	return NULL;
}

START_TEST(test_review_freeze_answer_publish)
{
	char *slug, *camp = wf_campaign(25, "named", &slug);
	char *ea = wf_engagement(camp, &W.a, &W.x), *eb = wf_engagement(camp, &W.b, &W.y);
	char *pa_claim = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", ea);
	char *pa_so = ht_fmt("/api/v1/engagements/%s/review/sign-off", ea);
	char *pb_resp = ht_fmt("/api/v1/engagements/%s/review/response", eb);
	char *pb_add = ht_fmt("/api/v1/engagements/%s/review/addendum", eb);
	char *pa_rev = ht_fmt("/api/v1/engagements/%s/review", ea);
	char hash_a1[65], hash_a2[65], hash_b[65], hex[65];
	char unknown[37], *missing;
	long long va1 = 0;
	struct ht_resp *r, *ref;
	json_t *doc;
	const json_t *row;

	/* content before the freeze (the window is open from the start: 72 h default) */
	ck_assert_int_eq(ht_stage(W.x.admin.token, ea, "fieldwork"), 200);
	r = wf_send("PUT", pa_claim, W.x.admin.token,
	            json_pack("{s:s, s:s}", "level", "OC3", "summary", "Robust to OC3 in review"));
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);

	/* the company sees the draft; so does the assessor */
	r = wf_review_wait_text(ea, W.a.admin.token, "Robust to OC3 in review", 10);
	HT_ASSERT_STATUS(r, 200);
	snprintf(hash_a1, sizeof(hash_a1), "%s",
	         json_string_value(json_object_get(json_object_get(r->json, "draft"), "hash")));
	va1 = json_integer_value(json_object_get(json_object_get(r->json, "draft"), "version"));
	ck_assert_int_ge(va1, 1);
	ck_assert_str_eq(ht_jstr(r, "state"), "pending");
	ck_assert_msg(strstr(r->body, "Robust to OC3 in review") != NULL, "draft row: %s",
	              HT_BODY(r));
	/* the hash is the hash of the row shown */
	wf_row_hash(json_object_get(json_object_get(r->json, "draft"), "row"), hex);
	ck_assert_str_eq(hex, hash_a1);
	ht_resp_free(r);
	/* rendered as the public page will show it, without script, for the participants only */
	{
		char *pp = ht_fmt("/api/v1/engagements/%s/review/page", ea);
		char *csp;

		r = ht_request("GET", pp, W.a.admin.token, NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(r->content_type && strstr(r->content_type, "text/html"), "%s",
		              r->content_type);
		ck_assert_msg(strstr(r->body, "Review draft, version") &&
		                  strstr(r->body, "Robust to OC3 in review") &&
		                  strstr(r->body, hash_a1),
		              "draft page: %s", HT_BODY(r));
		csp = ht_header(r, "Content-Security-Policy");
		ck_assert_msg(csp && !strstr(csp, "script-src 'self'"), "draft page CSP: %s", csp);
		free(csp);
		ht_resp_free(r);
		r = ht_request("GET", pp, W.coord.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		r = ht_request("GET", pp, W.b.admin.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		free(pp);
	}
	r = wf_review_wait(eb, W.y.admin.token, 1, 10);
	HT_ASSERT_STATUS(r, 200);
	snprintf(hash_b, sizeof(hash_b), "%s",
	         json_string_value(json_object_get(json_object_get(r->json, "draft"), "hash")));
	ht_resp_free(r);

	/* refusals: another tenant, the coordinator, the assessor signing: the 404 of a missing id
	 */
	ht_random_uuid(unknown);
	missing = ht_fmt("/api/v1/engagements/%s/review/sign-off", unknown);
	ref = wf_send("POST", missing, W.a.admin.token, json_pack("{s:s}", "draft_hash", hash_a1));
	HT_ASSERT_PROBLEM(ref, 404, "not-found");
	{
		const char *who[] = {W.b.admin.token, W.coord.token, W.x.admin.token,
		                     W.y.admin.token};

		for (size_t i = 0; i < 4; i++) {
			r = wf_send("POST", pa_so, who[i],
			            json_pack("{s:s}", "draft_hash", hash_a1));
			ck_assert_msg(r->status == 404 && r->body_len == ref->body_len &&
			                  memcmp(r->body, ref->body, r->body_len) == 0,
			              "sign-off by %zu: %ld %s", i, r->status, HT_BODY(r));
			ht_resp_free(r);
		}
		r = ht_request("GET", pa_rev, W.coord.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		r = ht_request("GET", pa_rev, W.b.admin.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
	}
	/* bad input changes nothing */
	{
		const char *bodies[] = {"{}", "{\"draft_hash\":\"abc\"}", "{\"draft_hash\":1}",
		                        "{\"draft_hash\":\"ABCDEF0000000000000000000000000000000000"
		                        "000000000000000000000000\"}",
		                        "nope"};

		for (size_t i = 0; i < 5; i++) {
			r = ht_request("POST", pa_so, W.a.admin.token, bodies[i]);
			ck_assert_msg(r->status == 422 || r->status == 400, "%s: %ld", bodies[i],
			              r->status);
			ht_resp_free(r);
		}
	}
	/* a hash that is not the current draft's: 409 */
	r = wf_send("POST", pa_so, W.a.admin.token,
	            json_pack("{s:s}", "draft_hash",
	                      "00000000000000000000000000000000000000000000000000000000000000ff"));
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ht_resp_free(r);
	r = ht_request("GET", pa_rev, W.a.admin.token, NULL);
	ck_assert_str_eq(ht_jstr(r, "state"), "pending");
	ht_resp_free(r);

	/* A signs off; then the assessor changes the claim: the review reopens */
	r = wf_send("POST", pa_so, W.a.admin.token, json_pack("{s:s}", "draft_hash", hash_a1));
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "state"), "signed-off");
	ht_resp_free(r);
	r = wf_send("PUT", pa_claim, W.x.admin.token,
	            json_pack("{s:s, s:s}", "level", "OC2", "summary", "Robust to OC2 after all"));
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	r = wf_review_wait(ea, W.a.admin.token, va1 + 1, 10);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "state"), "pending");
	ck_assert(json_is_true(json_object_get(r->json, "reopened")));
	snprintf(hash_a2, sizeof(hash_a2), "%s",
	         json_string_value(json_object_get(json_object_get(r->json, "draft"), "hash")));
	ck_assert_str_ne(hash_a1, hash_a2);
	{
		json_t *ch = json_object_get(json_object_get(r->json, "draft"), "changes");

		ck_assert_int_eq(json_array_size(ch), 1);
		ck_assert_str_eq(json_string_value(json_array_get(ch, 0)), "claims.WEIGHTS-EXFIL");
	}
	ht_resp_free(r);
	/* the old hash no longer answers */
	r = wf_send("POST", pa_so, W.a.admin.token, json_pack("{s:s}", "draft_hash", hash_a1));
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ht_resp_free(r);
	r = wf_send("POST", pa_so, W.a.admin.token, json_pack("{s:s}", "draft_hash", hash_a2));
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);

	/* B responds; Y adds an addendum (not before the response) */
	r = wf_send("PUT", pb_add, W.y.admin.token,
	            json_pack("{s:s, s:s}", "draft_hash", hash_b, "text", "too early"));
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	r = wf_send(
	    "POST", pb_resp, W.b.admin.token,
	    json_pack("{s:s, s:s}", "draft_hash", hash_b, "text", "We read it and disagree."));
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "state"), "responded");
	ht_resp_free(r);
	r = wf_send("PUT", pb_add, W.b.admin.token,
	            json_pack("{s:s, s:s}", "draft_hash", hash_b, "text", "company addendum"));
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = wf_send("PUT", pb_add, W.y.admin.token,
	            json_pack("{s:s, s:s}", "draft_hash", hash_b, "text", "We stand by it."));
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);

	/* the coordinator sees who signed off and who responded, never the text */
	{
		char *pc = ht_fmt("/api/v1/campaigns/%s", camp);

		r = ht_request("GET", pc, W.coord.token, NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(strstr(r->body, "\"signed-off\"") && strstr(r->body, "\"responded\""),
		              "%s", HT_BODY(r));
		ck_assert_msg(!strstr(r->body, "disagree") && !strstr(r->body, "stand by"), "%s",
		              HT_BODY(r));
		ht_resp_free(r);
		free(pc);
	}

	/* the release: rows carry the draft hash and the review state */
	doc = wf_publication(slug, 40);
	ck_assert_msg(doc != NULL, "no publication of %s", slug);
	row = wf_row_by_hash(doc, hash_a2);
	ck_assert_msg(row != NULL, "no row with A's draft hash");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "state")),
	    "signed-off");
	/* nothing changed since the draft: the published row hashes to the draft's hash */
	wf_row_hash(row, hex);
	ck_assert_str_eq(hex, hash_a2);
	row = wf_row_by_hash(doc, hash_b);
	ck_assert_msg(row != NULL, "no row with B's draft hash");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "state")),
	    "responded");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "response")),
	    "We read it and disagree.");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "addendum")),
	    "We stand by it.");
	wf_row_hash(row, hex);
	ck_assert_str_eq(hex, hash_b);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "reviews"), "signed-off")), 1);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "reviews"), "responded")), 1);
	json_decref(doc);
	/* the public page says it too */
	{
		char *pp = ht_fmt("/p/%s", slug);

		r = ht_request("GET", pp, NULL, NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(strstr(r->body, "Company review before release") &&
		                  strstr(r->body, "signed off") &&
		                  strstr(r->body, "We read it and disagree.") &&
		                  strstr(r->body, "We stand by it.") && strstr(r->body, hash_a2),
		              "page: %s", HT_BODY(r));
		ht_resp_free(r);
		free(pp);
	}

	/* the participants were told: stage change, review opened, draft changed,
	 * release (the release's events are written right after its COMMIT, in a
	 * transaction of their own: waited for, at most 10 s) */
	{
		char *lit = ht_sql_literal(ea);
		const char *dsn = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
		static const char *const events[] = {"event.stage.changed", "event.review.opened",
		                                     "event.draft.changed", "event.review.answered",
		                                     "event.release.published"};

		for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
			char *q =
			    ht_fmt("SELECT count(*) FROM audit_events WHERE action = '%s'"
			           " AND object_id = %s::text AND orgs @> ARRAY['%s','%s']::uuid[]",
			           events[i], lit, W.a.org_id, W.x.org_id);

			long long n = 0;

			for (int w = 0; w < 100 && (n = ht_db_count(dsn, q)) < 1; w++)
				usleep(100000);
			ck_assert_msg(n >= 1, "no %s event", events[i]);
			free(q);
		}
		free(lit);
	}

	/* after the instant the review is closed */
	r = wf_send("POST", pa_so, W.a.admin.token, json_pack("{s:s}", "draft_hash", hash_a2));
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);

	ht_resp_free(ref);
	free(missing);
	free(pa_claim);
	free(pa_so);
	free(pb_resp);
	free(pb_add);
	free(pa_rev);
	free(ea);
	free(eb);
	free(camp);
	free(slug);
}
END_TEST

/* review_opens_at: nothing before the instant, one draft (one event) at it. */
START_TEST(test_review_opens_at_instant)
{
	/* released in ten days: its default window (72 h before) is not open
	 * yet, so no draft can be frozen before review_opens_at is set */
	char *slug, *camp = wf_campaign(10 * 86400, "named", &slug);
	char *ea = wf_engagement(camp, &W.a, &W.x);
	char *pc = ht_fmt("/api/v1/campaigns/%s", camp);
	char *pr = ht_fmt("/api/v1/engagements/%s/review", ea);
	char *opens = wf_at(4), *after_release = wf_at(11 * 86400);
	struct ht_resp *r;

	/* bad values are refused and change nothing */
	r = wf_send("PATCH", pc, W.coord.token, json_pack("{s:s}", "review_opens_at", "soon"));
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	r = wf_send("PATCH", pc, W.coord.token,
	            json_pack("{s:s}", "review_opens_at", after_release));
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	r = wf_send("PATCH", pc, W.coord.token, json_pack("{s:s}", "review_opens_at", opens));
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_false(json_object_get(r->json, "review_opens_default")));
	ht_resp_free(r);
	/* the release cannot move before the review opens */
	{
		char *early = wf_at(2);

		r = wf_send("PATCH", pc, W.coord.token,
		            json_pack("{s:s, s:s}", "release_at", early, "reason", "earlier"));
		HT_ASSERT_PROBLEM(r, 422, "invalid-field");
		ck_assert_str_eq(ht_jstr(r, "field"), "release_at");
		ht_resp_free(r);
		free(early);
	}
	r = ht_request("GET", pr, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "state"), "not-open");
	ht_resp_free(r);
	r = wf_review_wait(ea, W.a.admin.token, 1, 12);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "state"), "pending");
	ht_resp_free(r);
	sleep(2); /* several scheduler rounds: still one draft, one event */
	{
		char *lit = ht_sql_literal(ea);
		char *q1 =
		    ht_fmt("SELECT count(*) FROM review_drafts WHERE engagement_id = %s", lit);
		char *q2 = ht_fmt("SELECT count(*) FROM audit_events WHERE object_id = %s::text"
		                  " AND action = 'event.review.opened'",
		                  lit);
		const char *dsn = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");

		ck_assert_int_eq(ht_db_count(dsn, q1), 1);
		ck_assert_int_eq(ht_db_count(dsn, q2), 1);
		free(q1);
		free(q2);
		free(lit);
	}
	free(opens);
	free(after_release);
	free(pc);
	free(pr);
	free(ea);
	free(camp);
	free(slug);
}
END_TEST

/* The dashboard: stage, claim made, counts per severity, review state; no text at all. */
START_TEST(test_dashboard)
{
	char *p = ht_fmt("/api/v1/campaigns/%s/dashboard", W.campaign_id), *missing;
	char unknown[37];
	struct ht_resp *r, *ref;
	json_t *row;
	size_t i;
	int seen = 0;

	r = ht_request("GET", p, W.coord.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	json_array_foreach(json_object_get(r->json, "rows"), i, row)
	{
		json_t *cell = json_object_get(json_object_get(row, "cells"), "WEIGHTS-EXFIL");

		ck_assert_str_eq(ht_ostr(row, "stage"), "fieldwork");
		ck_assert(json_is_true(json_object_get(cell, "claim_made")));
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_object_get(cell, "findings"), "high")),
		    1);
		ck_assert_str_eq(ht_ostr(json_object_get(row, "review"), "state"), "not-open");
		seen++;
	}
	ck_assert_int_eq(seen, 2);
	{
		const char *secret[] = {W.mark_a, W.mark_b, W.pub_a, W.pub_b, W.scope_a, W.scope_b};

		for (size_t k = 0; k < 6; k++)
			ck_assert_msg(!ht_mem_contains_any_form(r->body, r->body_len, secret[k]),
			              "the dashboard shows %s", secret[k]);
	}
	ht_resp_free(r);
	ht_random_uuid(unknown);
	missing = ht_fmt("/api/v1/campaigns/%s/dashboard", unknown);
	ref = ht_request("GET", missing, W.coord.token, NULL);
	HT_ASSERT_PROBLEM(ref, 404, "not-found");
	{
		const char *who[] = {W.a.admin.token, W.x.admin.token, W.b.admin.token};

		for (size_t k = 0; k < 3; k++) {
			r = ht_request("GET", p, who[k], NULL);
			ck_assert_msg(r->status == 404 && r->body_len == ref->body_len &&
			                  memcmp(r->body, ref->body, r->body_len) == 0,
			              "dashboard for %zu: %ld %s", k, r->status, HT_BODY(r));
			ht_resp_free(r);
		}
	}
	ht_resp_free(ref);
	free(missing);
	free(p);
}
END_TEST

/* Verify the signature of publication slug with the server's key: 1 valid, 0 not. */
static int
wf_verify(const char *slug)
{
	char *dp = ht_fmt("/api/v1/publications/%s", slug);
	char *sp = ht_fmt("/api/v1/publications/%s/signature", slug);
	struct ht_resp *k = ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);
	struct ht_resp *d = ht_request("GET", dp, NULL, NULL);
	struct ht_resp *sg = ht_request("GET", sp, NULL, NULL);
	const char *x = ht_ostr(json_object_get(k->json, "jwk"), "x");
	unsigned char pub[32];
	int ok = 0;

	if (x != NULL && util_b64url_decode(x, pub, sizeof(pub)) == 32 && sg->body_len == 64 &&
	    d->status == 200)
		ok = crypto_verify(pub, d->body, d->body_len, (const unsigned char *)sg->body) == 1;
	ht_resp_free(k);
	ht_resp_free(d);
	ht_resp_free(sg);
	free(dp);
	free(sp);
	return ok;
}

/* The coordinator's view of a campaign's release status, waiting up to secs for want. */
static int
wf_wait_status(const char *camp, const char *want, int secs)
{
	char *p = ht_fmt("/api/v1/campaigns/%s", camp);
	int ok = 0;

	for (int i = 0; i < secs * 10 && !ok; i++) {
		struct ht_resp *r = ht_request("GET", p, W.coord.token, NULL);
		const char *st =
		    ht_ostr(json_object_get(r->json ? r->json : json_null(), "release"), "status");

		ok = st != NULL && strcmp(st, want) == 0;
		ht_resp_free(r);
		if (!ok)
			usleep(100000);
	}
	free(p);
	return ok;
}

/*
 * A pseudonymous campaign (release in secs) with A×X and B×Y, A's
 * statement naming company B: its id (caller frees), *slug, *ea, *eb.
 */
static char *
wf_naming_campaign(int secs, char **slug, char **ea, char **eb)
{
	char *camp = wf_campaign(secs, "pseudonymous", slug);
	char *sp, *text;
	struct ht_resp *r;

	*ea = wf_engagement(camp, &W.a, &W.x);
	*eb = wf_engagement(camp, &W.b, &W.y);
	sp = ht_fmt("/api/v1/engagements/%s/statement", *ea);
	text = ht_fmt("Unlike %s, we fixed everything.", W.b.org_name);
	r = wf_send("PUT", sp, W.a.admin.token, json_pack("{s:s}", "text", text));
	HT_ASSERT_STATUS(r, 200);
	/* the review window is open (72 h before the release): checked on save */
	ck_assert_msg(json_is_true(json_object_get(json_object_get(r->json, "name_check"), "hold")),
	              "no name check on save: %s", HT_BODY(r));
	ck_assert_str_eq(
	    ht_ostr(
	        json_array_get(json_object_get(json_object_get(r->json, "name_check"), "spans"), 0),
	        "text"),
	    W.b.org_name);
	ht_resp_free(r);
	free(text);
	free(sp);
	return camp;
}

START_TEST(test_hold_participants_and_withhold)
{
	char *slug, *ea, *eb, *camp = wf_naming_campaign(6, &slug, &ea, &eb);
	char *ha = ht_fmt("/api/v1/engagements/%s/hold", ea);
	char *hb = ht_fmt("/api/v1/engagements/%s/hold", eb);
	char *sp = ht_fmt("/api/v1/engagements/%s/statement", ea);
	char *dp = ht_fmt("/api/v1/campaigns/%s/hold/decision", camp);
	char *wd = ht_fmt("/api/v1/campaigns/%s/hold/decision", W.campaign_id);
	struct ht_resp *r;
	json_t *doc;

	/* not held yet */
	r = ht_request("GET", ha, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_false(json_object_get(r->json, "held")));
	ht_resp_free(r);
	ck_assert_msg(wf_wait_status(camp, "held", 20), "the release was not held");

	/* the writer's company and its assessor see the hold and the exact span */
	{
		const char *who[] = {W.a.admin.token, W.x.admin.token};

		for (int i = 0; i < 2; i++) {
			json_t *t;

			r = ht_request("GET", ha, who[i], NULL);
			HT_ASSERT_STATUS(r, 200);
			ck_assert(json_is_true(json_object_get(r->json, "held")));
			ck_assert_str_eq(json_string_value(
			                     json_array_get(json_object_get(r->json, "fields"), 0)),
			                 "statement");
			t = json_array_get(json_object_get(r->json, "texts"), 0);
			ck_assert_str_eq(ht_ostr(t, "part"), "statement");
			ck_assert_str_eq(
			    ht_ostr(json_array_get(json_object_get(t, "spans"), 0), "text"),
			    W.b.org_name);
			ht_resp_free(r);
		}
	}
	/* the other engagement's participants hear nothing of it; outsiders get 404 */
	{
		const char *who[] = {W.b.admin.token, W.y.admin.token};

		for (int i = 0; i < 2; i++) {
			r = ht_request("GET", hb, who[i], NULL);
			HT_ASSERT_STATUS(r, 200);
			ck_assert(json_is_false(json_object_get(r->json, "held")));
			ck_assert_int_eq(json_array_size(json_object_get(r->json, "texts")), 0);
			ck_assert_msg(!strstr(r->body, W.b.org_name) && !strstr(r->body, "Unlike"),
			              "%s", HT_BODY(r));
			ht_resp_free(r);
		}
		r = ht_request("GET", ha, W.b.admin.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		r = ht_request("GET", ha, W.coord.token, NULL);
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
	}
	/* events: the held engagement's orgs are told, with the field, never the name */
	{
		char *lit = ht_sql_literal(ea), *litb = ht_sql_literal(eb);
		char *q1 =
		    ht_fmt("SELECT count(*) FROM audit_events WHERE action = 'event.release.held'"
		           " AND object_id = %s::text AND detail->'fields' ? 'statement'"
		           " AND orgs @> ARRAY['%s', '%s']::uuid[]",
		           lit, W.a.org_id, W.x.org_id);
		char *q2 =
		    ht_fmt("SELECT count(*) FROM audit_events WHERE action = 'event.release.held'"
		           " AND object_id = %s::text",
		           litb);
		char *q3 = ht_fmt("SELECT count(*) FROM audit_events WHERE action LIKE 'event.%%'"
		                  " AND detail::text LIKE '%%' || %s || '%%'",
		                  ht_sql_literal(W.b.org_name));
		const char *dsn = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");

		ck_assert_int_eq(ht_db_count(dsn, q1), 1);
		ck_assert_int_eq(ht_db_count(dsn, q2), 0);
		ck_assert_int_eq(ht_db_count(dsn, q3), 0);
		free(q1);
		free(q2);
		free(q3);
		free(lit);
		free(litb);
	}
	/* texts are frozen at the instant, held or not */
	r = wf_send("PUT", sp, W.a.admin.token, json_pack("{s:s}", "text", "We fixed it."));
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	/* bad decisions change nothing */
	{
		const char *bad[] = {"{\"decision\":\"extend\",\"reason\":\"r\"}",
		                     "{\"decision\":\"withhold\",\"seconds\":60,\"reason\":\"r\"}",
		                     "{\"decision\":\"publish\",\"reason\":\"r\"}",
		                     "{\"decision\":\"extend\",\"seconds\":1,\"reason\":\"r\"}",
		                     "{\"decision\":\"withhold\"}",
		                     "{\"decision\":\"withhold\",\"reason\":\"\"}"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = ht_request("POST", dp, W.coord.token, bad[i]);
			ck_assert_msg(ht_is_problem(r, 422, "invalid-field"), "%s: %ld %s", bad[i],
			              r->status, HT_BODY(r));
			ht_resp_free(r);
		}
		r = wf_send("POST", dp, W.a.admin.token,
		            json_pack("{s:s, s:s}", "decision", "withhold", "reason", "r"));
		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		/* a release that is not held has nothing to decide */
		r = wf_send("POST", wd, W.coord.token,
		            json_pack("{s:s, s:s}", "decision", "withhold", "reason", "r"));
		HT_ASSERT_PROBLEM(r, 409, "invalid-state");
		ht_resp_free(r);
		ck_assert(wf_wait_status(camp, "held", 1));
	}
	/* the reason is published: one naming a company is refused */
	{
		char *why = ht_fmt("The statement names %s.", W.b.org_name);

		r = wf_send("POST", dp, W.coord.token,
		            json_pack("{s:s, s:s}", "decision", "withhold", "reason", why));
		HT_ASSERT_PROBLEM(r, 422, "invalid-field");
		ck_assert_str_eq(ht_jstr(r, "field"), "reason");
		ht_resp_free(r);
		free(why);
		ck_assert(wf_wait_status(camp, "held", 1));
	}
	/* withhold: published with the text withheld, noted, and it verifies */
	r = wf_send("POST", dp, W.coord.token,
	            json_pack("{s:s, s:s}", "decision", "withhold", "reason",
	                      "The statement names another participant."));
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_true(json_object_get(r->json, "withheld")));
	ht_resp_free(r);
	doc = wf_publication(slug, 15);
	ck_assert_msg(doc != NULL, "not published after the withhold decision");
	ck_assert_str_eq(ht_ostr(json_object_get(doc, "withheld"), "reason"),
	                 "The statement names another participant.");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "withheld"), "texts")), 1);
	{
		char *text = json_dumps(doc, JSON_COMPACT);
		size_t i;
		json_t *row;
		int withheld = 0;

		ck_assert_msg(!ht_mem_contains_any_form(text, strlen(text), W.b.org_name),
		              "the withheld name is published: %s", text);
		json_array_foreach(json_object_get(doc, "engagements"), i, row)
		{
			if (json_is_string(json_object_get(row, "statement")) &&
			    strcmp(ht_ostr(row, "statement"), "[withheld by the coordinator]") ==
			        0) {
				withheld++;
				ck_assert_str_eq(json_string_value(json_array_get(
				                     json_object_get(row, "withheld"), 0)),
				                 "statement");
			}
		}
		ck_assert_int_eq(withheld, 1);
		free(text);
	}
	ck_assert_msg(wf_verify(slug), "the publication with a withheld text does not verify");
	json_decref(doc);
	/* the public page says what was withheld and why */
	{
		char *pp = ht_fmt("/p/%s", slug);
		struct ht_resp *h = ht_request("GET", pp, NULL, NULL, "Accept: text/html");

		HT_ASSERT_STATUS(h, 200);
		ck_assert_msg(strstr(h->body, "Withheld:</strong> 1 text(s)") != NULL &&
		                  strstr(h->body, "The statement names another participant.") != NULL,
		              "the page does not say what was withheld: %.2000s", h->body);
		ht_resp_free(h);
		free(pp);
	}
	{
		char *lit = ht_sql_literal(camp);
		char *q =
		    ht_fmt("SELECT count(*) FROM audit_events WHERE action = 'release.decision'"
		           " AND object_id = %s::text AND detail->>'decision' = 'withhold'",
		           lit);

		ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), q), 1);
		free(q);
		free(lit);
	}
	free(ha);
	free(hb);
	free(sp);
	free(dp);
	free(wd);
	free(ea);
	free(eb);
	free(camp);
	free(slug);
}
END_TEST

/* A new org of kind named name, as the coordinator; its id (caller frees). */
static char *
wf_org(const char *kind, const char *name)
{
	struct ht_resp *r = wf_send("POST", "/api/v1/orgs", W.coord.token,
	                            json_pack("{s:s, s:s}", "name", name, "kind", kind));
	char *id;

	ck_assert_msg(r->status == 201, "org %s: %ld %s", name, r->status, HT_BODY(r));
	id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	return id;
}

/* 1 when answer r warns that its field names a participating company. */
static int
wf_warned(const struct ht_resp *r, const char *field)
{
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(r->json, "warnings"), i, w)
	{
		if (ht_ostr(w, "code") && strcmp(ht_ostr(w, "code"), "name-holds-release") == 0 &&
		    ht_ostr(w, "field") && strcmp(ht_ostr(w, "field"), field) == 0)
			return 1;
	}
	return 0;
}

/* 1 when the campaign's current hold names field among its reasons. */
static int
wf_hold_has(const char *camp, const char *field)
{
	char *p = ht_fmt("/api/v1/campaigns/%s", camp);
	struct ht_resp *r = ht_request("GET", p, W.coord.token, NULL);
	json_t *reasons = json_object_get(
	    json_object_get(json_object_get(r->json ? r->json : json_null(), "release"), "hold"),
	    "reasons");
	size_t i;
	json_t *v;
	int found = 0;

	json_array_foreach(reasons, i, v)
	{
		if (ht_ostr(v, "field") && strcmp(ht_ostr(v, "field"), field) == 0)
			found = 1;
	}
	ht_resp_free(r);
	free(p);
	return found;
}

/*
 * Names that cannot be edited once paired (an assessor firm, a lead
 * assessor) and the campaign's slug can hold a pseudonymous release too.
 * Before, only extending was possible, for ever: now the slug is changed
 * (PATCH, before the release only) and the names are withheld.
 */
START_TEST(test_hold_names_and_slug)
{
	char *n = ht_unique("q"), *word = ht_fmt("Quillon%lld", (long long)(time(NULL) % 100000));
	char *company = ht_fmt("%s %s", word, n);
	char *lower = ht_fmt("%s", company), *slug, *slug2 = ht_unique("wf-renamed");
	char *firm = ht_fmt("%s Security", company), *lead = ht_fmt("Dana %s", company);
	char *co = wf_org("company", company), *other = ht_fmt("Other %s", n);
	char *co2 = wf_org("company", other), *plain = ht_fmt("Plain firm %s", n);
	char *ax = wf_org("assessor", plain), *ax2 = wf_org("assessor", firm);
	char *at = wf_at(8), *camp, *ep, *cp, *dp, *pp, *text, *taken = NULL;
	struct ht_resp *r;
	json_t *doc;

	/* the slug is the company's name: "quillonNNNNN-q-...-review" */
	for (char *c = lower; *c; c++)
		*c = (*c == ' ') ? '-' : (char)tolower((unsigned char)*c);
	slug = ht_fmt("%.50s", lower);
	r = wf_send("POST", "/api/v1/campaigns", W.coord.token,
	            json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", "Names that hold", "slug", slug,
	                      "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                      "pseudonymous"));
	HT_ASSERT_STATUS(r, 201);
	camp = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	ep = ht_fmt("/api/v1/campaigns/%s/engagements", camp);
	r = wf_send("POST", ep, W.coord.token,
	            json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", co, "assessor_org", ax, "scope",
	                      "s", "lead_assessors", lead));
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	r = wf_send("POST", ep, W.coord.token,
	            json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", co2, "assessor_org", ax2,
	                      "scope", "s", "lead_assessors", "Lee"));
	HT_ASSERT_STATUS(r, 201);
	/* the coordinator is warned at the pairing, not only at the instant */
	ck_assert_msg(wf_warned(r, "campaign slug") && wf_warned(r, "assessor firm") &&
	                  wf_warned(r, "lead assessor") && !wf_warned(r, "campaign title"),
	              "%s", HT_BODY(r));
	ht_resp_free(r);
	ck_assert_msg(wf_wait_status(camp, "held", 25), "the release was not held");
	ck_assert(wf_hold_has(camp, "campaign slug"));
	ck_assert(wf_hold_has(camp, "assessor firm"));
	ck_assert(wf_hold_has(camp, "lead assessor"));

	/* the slug cannot be withheld: the coordinator is told to change it */
	dp = ht_fmt("/api/v1/campaigns/%s/hold/decision", camp);
	r = wf_send("POST", dp, W.coord.token,
	            json_pack("{s:s, s:s}", "decision", "withhold", "reason", "names"));
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ck_assert_msg(strstr(r->body, "slug") != NULL, "%s", HT_BODY(r));
	ht_resp_free(r);
	/* nor changed while held (the instant has passed) */
	cp = ht_fmt("/api/v1/campaigns/%s", camp);
	r = wf_send("PATCH", cp, W.coord.token, json_pack("{s:s}", "slug", slug2));
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	r = wf_send("POST", dp, W.coord.token,
	            json_pack("{s:s, s:i, s:s}", "decision", "extend", "seconds", 8, "reason",
	                      "renaming the campaign"));
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	/* bad and taken slugs change nothing */
	r = wf_send("PATCH", cp, W.coord.token, json_pack("{s:s}", "slug", "Not A Slug"));
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ck_assert_str_eq(ht_jstr(r, "field"), "slug");
	ht_resp_free(r);
	free(wf_campaign(3600, "named", &taken));
	r = wf_send("PATCH", cp, W.coord.token, json_pack("{s:s}", "slug", taken));
	HT_ASSERT_PROBLEM(r, 409, "conflict");
	ht_resp_free(r);
	r = wf_send("PATCH", cp, W.coord.token, json_pack("{s:s}", "slug", slug2));
	HT_ASSERT_STATUS(r, 200);
	ck_assert_str_eq(ht_jstr(r, "slug"), slug2);
	ck_assert_msg(!wf_warned(r, "campaign slug") && wf_warned(r, "assessor firm"), "%s",
	              HT_BODY(r));
	ht_resp_free(r);
	/* held again at the new instant, by the two names only */
	ck_assert_msg(wf_wait_status(camp, "held", 25), "the release was not held again");
	ck_assert(!wf_hold_has(camp, "campaign slug"));
	ck_assert(wf_hold_has(camp, "assessor firm"));
	r = wf_send("POST", dp, W.coord.token,
	            json_pack("{s:s, s:s}", "decision", "withhold", "reason",
	                      "An assessor's name names a participant."));
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_true(json_object_get(r->json, "withheld")));
	ht_resp_free(r);
	doc = wf_publication(slug2, 15);
	ck_assert_msg(doc != NULL, "not published under the new slug");
	text = json_dumps(doc, JSON_COMPACT);
	ck_assert_msg(!ht_mem_contains_any_form(text, strlen(text), word),
	              "a withheld name is published: %s", text);
	ck_assert_msg(strstr(text, plain) != NULL, "the other firm is missing: %s", text);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "withheld"), "texts")), 2);
	{
		json_t *as = json_object_get(doc, "assessors"), *last;
		size_t k = json_array_size(as);

		ck_assert_int_ge(k, 2);
		last = json_array_get(as, k - 1);
		ck_assert_str_eq(ht_ostr(last, "firm"), "[withheld by the coordinator]");
		ck_assert_str_eq(ht_ostr(json_array_get(as, 0), "firm"), plain);
		ck_assert_str_eq(json_string_value(json_array_get(
		                     json_object_get(json_array_get(as, 0), "lead_assessors"), 0)),
		                 "[withheld by the coordinator]");
	}
	ck_assert_msg(wf_verify(slug2), "the publication does not verify");
	/* the old slug answers as a missing one; the released slug never changes */
	pp = ht_fmt("/api/v1/publications/%s", slug);
	r = ht_request("GET", pp, NULL, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = wf_send("PATCH", cp, W.coord.token, json_pack("{s:s}", "slug", slug));
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	{
		PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
		char *q = ht_fmt("UPDATE campaigns SET slug = 'x-%s' WHERE id = '%s'", n, camp);
		char state[6];

		ck_assert_int_ne(ht_db_exec(c, q, state), 0);
		ck_assert_str_eq(state, "42501");
		PQfinish(c);
		free(q);
	}
	free(text);
	json_decref(doc);
	free(pp);
	free(taken);
	free(cp);
	free(dp);
	free(ep);
	free(camp);
	free(at);
	free(ax);
	free(ax2);
	free(plain);
	free(co);
	free(co2);
	free(other);
	free(firm);
	free(lead);
	free(slug);
	free(slug2);
	free(lower);
	free(company);
	free(word);
	free(n);
}
END_TEST

/* The pairing warning reads a company's aliases too, as the release does. */
START_TEST(test_name_warning_alias)
{
	char *n = ht_unique("al"), *alias = ht_fmt("Zephrin%lld", (long long)(time(NULL) % 100000));
	char *name = ht_fmt("Aliased %s", n), *lead = ht_fmt("Ana %s", alias), *slug = NULL;
	char *camp = wf_campaign(3 * 24 * 3600, "pseudonymous", &slug);
	char *ep = ht_fmt("/api/v1/campaigns/%s/engagements", camp);
	struct ht_resp *r = wf_send("POST", "/api/v1/orgs", W.coord.token,
	                            json_pack("{s:s, s:s, s:[s]}", "name", name, "kind", "company",
	                                      "aliases", alias));
	char *co;

	HT_ASSERT_STATUS(r, 201);
	co = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	r = wf_send("POST", ep, W.coord.token,
	            json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", co, "assessor_org",
	                      W.x.org_id, "scope", "s", "lead_assessors", lead));
	HT_ASSERT_STATUS(r, 201);
	ck_assert_msg(wf_warned(r, "lead assessor"), "%s", HT_BODY(r));
	ht_resp_free(r);
	/* named disclosure publishes names: no such warning */
	{
		char *cp = ht_fmt("/api/v1/campaigns/%s", camp);

		r = wf_send("PATCH", cp, W.coord.token, json_pack("{s:s}", "disclosure", "named"));
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(!wf_warned(r, "lead assessor"), "%s", HT_BODY(r));
		ht_resp_free(r);
		free(cp);
	}
	free(co);
	free(ep);
	free(camp);
	free(slug);
	free(lead);
	free(name);
	free(alias);
	free(n);
}
END_TEST

START_TEST(test_hold_extend_then_fix)
{
	char *slug, *ea, *eb, *camp = wf_naming_campaign(6, &slug, &ea, &eb);
	char *sp = ht_fmt("/api/v1/engagements/%s/statement", ea);
	char *dp = ht_fmt("/api/v1/campaigns/%s/hold/decision", camp);
	struct ht_resp *r;
	json_t *doc;

	ck_assert_msg(wf_wait_status(camp, "held", 20), "the release was not held");
	r = wf_send("POST", dp, W.coord.token,
	            json_pack("{s:s, s:i, s:s}", "decision", "extend", "seconds", 8, "reason",
	                      "Give Company A time to fix its statement."));
	HT_ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(ht_jstr(r, "release_at"));
	ht_resp_free(r);
	/* the texts are open again until the new instant; the fix is checked on save */
	r = wf_send("PUT", sp, W.a.admin.token, json_pack("{s:s}", "text", "We fixed everything."));
	HT_ASSERT_STATUS(r, 200);
	ck_assert(json_is_false(json_object_get(json_object_get(r->json, "name_check"), "hold")));
	ht_resp_free(r);
	doc = wf_publication(slug, 25);
	ck_assert_msg(doc != NULL, "not published after the extension");
	ck_assert_ptr_null(json_object_get(doc, "withheld"));
	ck_assert_msg(wf_verify(slug), "the extended publication does not verify");
	json_decref(doc);
	free(sp);
	free(dp);
	free(ea);
	free(eb);
	free(camp);
	free(slug);
}
END_TEST

/* The whole of file path (malloc'd; "" when it cannot be read). */
static char *
wf_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, k;
	char buf[4096];

	if (f == NULL)
		return strdup("");
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			p = realloc(p, cap);
			ck_assert_ptr_nonnull(p);
		}
		memcpy(p + n, buf, k);
		n += k;
	}
	fclose(f);
	if (p == NULL)
		return strdup("");
	p[n] = '\0';
	return p;
}

/*
 * Three replicas (the shared server and two started here) freeze the
 * drafts of campaigns whose review opens at the same instant: one draft
 * and one "review opened" event per engagement, whoever froze it.
 */
START_TEST(test_review_replicas_exactly_once)
{
	enum { N = 6 };
	struct ht_server a, b;
	char *slugs[N], *camps[N], *engs[N], *opens;
	const char *dsn = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	time_t t0;
	char *la, *lb;

	ck_assert_msg(ht_server_start(&a, 0, NULL) == 0, "replica a did not start");
	ck_assert_msg(ht_server_start(&b, 0, NULL) == 0, "replica b did not start");
	t0 = time(NULL) + 6;
	opens = wf_at(6);
	for (int i = 0; i < N; i++) {
		char *pc;
		struct ht_resp *r;

		camps[i] = wf_campaign(3600, "named", &slugs[i]);
		engs[i] = wf_engagement(camps[i], &W.a, &W.x);
		pc = ht_fmt("/api/v1/campaigns/%s", camps[i]);
		r = wf_send("PATCH", pc, W.coord.token,
		            json_pack("{s:s}", "review_opens_at", opens));
		HT_ASSERT_STATUS(r, 200);
		ht_resp_free(r);
		free(pc);
	}
	ck_assert_msg(time(NULL) < t0, "set-up took too long");
	while (time(NULL) < t0 + 4)
		usleep(200000);
	for (int i = 0; i < N; i++) {
		char *lit = ht_sql_literal(engs[i]);
		char *q1 =
		    ht_fmt("SELECT count(*) FROM review_drafts WHERE engagement_id = %s", lit);
		char *q2 = ht_fmt("SELECT count(*) FROM audit_events WHERE object_id = %s::text"
		                  " AND action = 'event.review.opened'",
		                  lit);
		char *q3 = ht_fmt("SELECT count(*) FROM audit_events WHERE object_id = %s::text"
		                  " AND action = 'review.frozen'",
		                  lit);

		ck_assert_int_eq(ht_db_count(dsn, q1), 1);
		ck_assert_int_eq(ht_db_count(dsn, q2), 1);
		ck_assert_int_eq(ht_db_count(dsn, q3), 1);
		free(q1);
		free(q2);
		free(q3);
		free(lit);
	}
	ht_server_stop(&a, SIGTERM);
	ht_server_stop(&b, SIGTERM);
	la = wf_file(a.log);
	lb = wf_file(b.log);
	ck_assert_msg(strstr(la, "review_failed") == NULL && strstr(lb, "review_failed") == NULL,
	              "a replica failed a review round");
	ht_server_free(&a);
	ht_server_free(&b);
	for (int i = 0; i < N; i++) {
		free(slugs[i]);
		free(camps[i]);
		free(engs[i]);
	}
	free(la);
	free(lb);
	free(opens);
}
END_TEST

static Suite *
workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tc = tcase_create("workflow");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_stage_every_transition);
	tcase_add_test(tc, test_stage_who_and_bad_input);
	tcase_add_test(tc, test_stage_gates_findings_and_evidence);
	tcase_add_test(tc, test_review_freeze_answer_publish);
	tcase_add_test(tc, test_review_opens_at_instant);
	tcase_add_test(tc, test_dashboard);
	tcase_add_test(tc, test_hold_participants_and_withhold);
	tcase_add_test(tc, test_hold_names_and_slug);
	tcase_add_test(tc, test_name_warning_alias);
	tcase_add_test(tc, test_hold_extend_then_fix);
	tcase_add_test(tc, test_review_replicas_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, workflow_suite);
}

/*
 * check_release: the coordinated release end to end against a running
 * lockstepd (and extra replicas this test starts on the same database):
 * the instant (nothing before, identical to a missing slug), exactly once
 * across replicas, kill -9 mid-release, every disclosure policy with
 * min_cohort suppression, the name-leak hold, the openssl CLI procedure of
 * the README, the chain, tampering, immutability for every role, the
 * embargo in row-level security, and no confidential marker in any public
 * response.
 *
 * Extra replicas: LOCKSTEP_TEST_LOCKSTEPD with the LOCKSTEP_* environment
 * the test inherits (deploy/local/test exports it), on free loopback
 * ports, as LOCKSTEP_TEST_RUN_AS when that is set, started by the harness
 * (ht_server_start), which keeps each one's log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "crypto/crypto.h"
#include "util/util.h"

/* pattern with its one "%s" replaced by arg (malloc'd); no printf, so
 * patterns may be variables. */
static char *
rc_sub(const char *pattern, const char *arg)
{
	const char *at = strstr(pattern, "%s");

	if (at == NULL)
		return strdup(pattern);
	return ht_fmt("%.*s%s%s", (int)(at - pattern), pattern, arg, at + 2);
}

/* ------------------------------------------------------------ fixture */

#define RC_NCO 4

struct rc_world {
	char *tag;
	char *coord;                 /* coordinator token */
	struct ht_tenant co[RC_NCO]; /* companies */
	struct ht_tenant x, y;       /* assessor firms */
	/* campaigns released by the fixture, all at one instant */
	char *named, *pseudo[8], *aggr, *named_k2, *held, *held_id, *held_eng, *named_leak, *brk;
	char *brk_id;
	char *mark[RC_NCO]; /* confidential: finding titles/details, scope, responses */
	char *sum[RC_NCO];  /* public once released: claim summaries */
	char err[4096];
	int ok;
};

static struct rc_world W;

static char *
rc_iso(time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* Call the API; returns the "id" (malloc'd) or NULL with W.err set. */
static char *
rc_call(const char *method, const char *path, const char *token, json_t *body_steal, long want)
{
	char *body = body_steal ? ht_jdump(body_steal) : NULL;
	struct ht_resp *r = ht_request(method, path, token, body);
	char *id = NULL;

	if (r->status != want) {
		snprintf(W.err, sizeof(W.err), "%s: %ld %s", r->what, r->status, HT_BODY(r));
	} else {
		id = strdup(ht_jstr(r, "id") ? ht_jstr(r, "id") : "");
	}
	ht_resp_free(r);
	free(body);
	return id;
}

/* A campaign released at `at` with one engagement per company index in
 * cos (terminated by -1); summaries/levels/findings per company. Returns
 * the slug (malloc'd) or NULL. *id_out (may be NULL) gets the id. */
static char *
rc_campaign(const char *label, const char *disclosure, int k, const char *at, const int *cos,
            const char *const *levels, char **id_out, char **first_eng)
{
	char *slug = ht_unique(label);
	char *title = ht_fmt("Release test %s", slug);
	char *id, *path;
	int ok = 1;

	id = rc_call("POST", "/api/v1/campaigns", W.coord,
	             json_pack("{s:s, s:s, s:[s,s], s:s, s:s, s:i}", "title", title, "slug", slug,
	                       "threat_models", "WEIGHTS-EXFIL", "TAMPERING", "release_at", at,
	                       "disclosure", disclosure, "min_cohort", k),
	             201);
	free(title);
	if (id == NULL) {
		free(slug);
		return NULL;
	}
	path = ht_fmt("/api/v1/campaigns/%s/engagements", id);
	for (int i = 0; ok && cos[i] >= 0; i++) {
		int c = cos[i];
		struct ht_tenant *as = (i % 2) ? &W.y : &W.x;
		char *eng =
		    rc_call("POST", path, W.coord,
		            json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.co[c].org_id,
		                      "assessor_org", as->org_id, "scope", W.mark[c],
		                      "lead_assessors", i % 2 ? "Yuri Lead" : "Xena Lead"),
		            201);
		char *p;

		if (eng == NULL) {
			ok = 0;
			break;
		}
		if (i == 0 && first_eng != NULL)
			*first_eng = strdup(eng);
		p = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", eng);
		free(rc_call("PUT", p, as->admin.token,
		             json_pack("{s:s, s:s}", "level", levels ? levels[i] : "OC3", "summary",
		                       W.sum[c]),
		             200));
		free(p);
		/* findings are recorded in fieldwork */
		ok &= ht_stage(as->admin.token, eng, "fieldwork") == 200;
		p = ht_fmt("/api/v1/engagements/%s/findings", eng);
		for (int f = 0; f <= i % 3; f++) {
			char *fid =
			    rc_call("POST", p, as->admin.token,
			            json_pack("{s:s, s:s, s:s, s:s}", "threat_model",
			                      "WEIGHTS-EXFIL", "title", W.mark[c], "detail",
			                      W.mark[c], "severity", f == 2 ? "critical" : "high"),
			            201);

			if (fid != NULL && f == 0) {
				char *fp = ht_fmt("/api/v1/findings/%s", fid);

				free(rc_call("PATCH", fp, W.co[c].admin.token,
				             json_pack("{s:s, s:s}", "status", "remediating",
				                       "response", W.mark[c]),
				             200));
				free(fp);
			}
			ok &= fid != NULL;
			free(fid);
		}
		free(p);
		if (i == 0) {
			p = ht_fmt("/api/v1/engagements/%s/statement", eng);
			free(rc_call("PUT", p, W.co[c].admin.token,
			             json_pack("{s:s}", "text", "We welcome the assessment."),
			             200));
			free(p);
		}
		free(eng);
	}
	free(path);
	if (id_out != NULL)
		*id_out = id;
	else
		free(id);
	if (!ok) {
		free(slug);
		return NULL;
	}
	return slug;
}

/* GET as anonymous; status only. */
static long
rc_status(const char *path)
{
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	long st = r->status;

	ht_resp_free(r);
	return st;
}

/* Wait until /api/v1/publications/slug answers 200 (at most secs). 1 or 0. */
static int
rc_wait_published(const char *slug, int secs)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug);
	int ok = 0;

	for (int i = 0; i < secs * 10 && !ok; i++) {
		ok = rc_status(path) == 200;
		if (!ok)
			usleep(100000);
	}
	free(path);
	return ok;
}

static void
rc_setup(void)
{
	static const char *const names[RC_NCO] = {"Orion", "Vega", "Lyra", "Draco"};
	const char *email = ht_env("LOCKSTEP_TEST_ADMIN_EMAIL");
	const char *pw = ht_env("LOCKSTEP_TEST_ADMIN_PASSWORD");
	int all3[] = {0, 1, 2, -1}, two[] = {0, 1, -1};
	const char *lv_aggr[] = {"OC3", "OC3", "OC1"};
	char *at, *far;
	time_t t0;

	memset(&W, 0, sizeof(W));
	W.tag = ht_unique("rel");
	if (email == NULL || pw == NULL || (W.coord = ht_login(email, pw)) == NULL) {
		snprintf(W.err, sizeof(W.err), "coordinator log-in failed");
		return;
	}
	for (int i = 0; i < RC_NCO; i++) {
		W.mark[i] = ht_fmt("RCMARK-%d-%s", i, W.tag);
		W.sum[i] = ht_fmt("RCSUM-%d-%s reached the level", i, W.tag);
		if (ht_make_tenant(W.coord, "company", names[i], &W.co[i], W.err, sizeof(W.err)) !=
		    0)
			return;
	}
	if (ht_make_tenant(W.coord, "assessor", "Sentinel", &W.x, W.err, sizeof(W.err)) != 0 ||
	    ht_make_tenant(W.coord, "assessor", "Bastion", &W.y, W.err, sizeof(W.err)) != 0)
		return;

	t0 = time(NULL) + 12;
	at = rc_iso(t0);
	far = ht_future_time(30);
	if ((W.named = rc_campaign("named", "named", 1, at, all3, NULL, NULL, NULL)) == NULL ||
	    (W.aggr = rc_campaign("aggr", "aggregate", 2, at, all3, lv_aggr, NULL, NULL)) == NULL ||
	    (W.named_k2 = rc_campaign("namedk", "named", 2, at, all3, lv_aggr, NULL, NULL)) == NULL)
		goto done;
	for (int i = 0; i < 8; i++)
		if ((W.pseudo[i] = rc_campaign("pseudo", "pseudonymous", 1, at, all3, NULL, NULL,
		                               NULL)) == NULL)
			goto done;
	/* the hold: Vega's alias in Orion's statement, pseudonymous */
	if ((W.held = rc_campaign("held", "pseudonymous", 1, at, two, NULL, &W.held_id,
	                          &W.held_eng)) == NULL)
		goto done;
	{
		char *p = ht_fmt("/api/v1/engagements/%s/statement", W.held_eng);
		char *text = ht_fmt("Unlike %s, we fixed it.", W.co[1].org_name);

		for (char *q = text; *q; q++) /* the check ignores case */
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		free(rc_call("PUT", p, W.co[0].admin.token, json_pack("{s:s}", "text", text), 200));
		free(text);
		free(p);
	}
	/* named: a company's name in a text is no reason to hold */
	if ((W.named_leak = rc_campaign("namedleak", "named", 1, at, two, NULL, NULL, NULL)) ==
	    NULL)
		goto done;
	/* an embargo break: planned far ahead, moved to the fixture's instant */
	if ((W.brk = rc_campaign("brk", "named", 1, far, two, NULL, &W.brk_id, NULL)) == NULL)
		goto done;
	{
		char *p = ht_fmt("/api/v1/campaigns/%s", W.brk_id);

		if (time(NULL) >= t0 - 1) {
			snprintf(W.err, sizeof(W.err),
			         "fixture too slow: the instant passed before set-up ended");
			free(p);
			goto done;
		}
		free(rc_call(
		    "PATCH", p, W.coord,
		    json_pack("{s:s, s:s}", "release_at", at, "reason", "leak in the press"), 200));
		free(p);
	}
	while (time(NULL) < t0 + 1)
		usleep(100000);
	if (!rc_wait_published(W.named, 15) || !rc_wait_published(W.aggr, 5) ||
	    !rc_wait_published(W.brk, 5)) {
		snprintf(W.err, sizeof(W.err), "fixture campaigns were not published in time");
		goto done;
	}
	for (int i = 0; i < 8; i++)
		if (!rc_wait_published(W.pseudo[i], 5)) {
			snprintf(W.err, sizeof(W.err),
			         "pseudonymous campaign not published in time");
			goto done;
		}
	W.ok = 1;
done:
	free(at);
	free(far);
}

#define RC_REQUIRE_WORLD() ck_assert_msg(W.ok, "fixture failed: %s", W.err)

/* ------------------------------------------------------------ helpers */

/* The document of slug: anonymous GET, 200; new reference; *raw gets the response. */
static json_t *
rc_doc(const char *slug, struct ht_resp **raw)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug);
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	json_t *doc;

	free(path);
	HT_ASSERT_STATUS(r, 200);
	doc = json_loadb(r->body, r->body_len, 0, NULL);
	ck_assert_msg(doc != NULL, "document is not JSON");
	if (raw != NULL)
		*raw = r;
	else
		ht_resp_free(r);
	return doc;
}

static const json_t *
rc_path(const json_t *v, const char *a, const char *b, const char *c)
{
	v = json_object_get(v, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return v;
}

/* Headers of a response without Date, as one string (malloc'd). */
static char *
rc_headers_nodate(const struct ht_resp *r)
{
	char *out = calloc(1, strlen(r->headers) + 1);
	const char *p = r->headers;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p + 1) : strlen(p);

		if (strncasecmp(p, "Date:", 5) != 0)
			strncat(out, p, n);
		p += n;
	}
	return out;
}

/* 1 if r answers exactly like the same route for a slug that never existed. */
static int
rc_same_as_missing(const struct ht_resp *r, const char *fmt)
{
	char *slug = ht_unique("missing");
	char *path = rc_sub(fmt, slug);
	struct ht_resp *m = ht_request("GET", path, NULL, NULL);
	char *h1 = rc_headers_nodate(r), *h2 = rc_headers_nodate(m);
	int same = r->status == m->status && r->body_len == m->body_len &&
	           memcmp(r->body, m->body, r->body_len) == 0 && strcmp(h1, h2) == 0;

	if (!same)
		fprintf(stderr, "differs from missing slug:\n%ld %s\n%s\nvs\n%ld %s\n%s\n",
		        r->status, h1, HT_BODY(r), m->status, h2, HT_BODY(m));
	free(h1);
	free(h2);
	ht_resp_free(m);
	free(path);
	free(slug);
	return same;
}

static const char *const rc_routes[] = {"/api/v1/publications/%s",
                                        "/api/v1/publications/%s/signature", "/p/%s", NULL};

/* Verify raw signature bytes over doc with the server's key (crypto_verify). */
static int
rc_verify(const char *doc, size_t len, const unsigned char *sig, size_t siglen)
{
	struct ht_resp *k = ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);
	const char *x = ht_ostr(json_object_get(k->json, "jwk"), "x");
	unsigned char pub[32];
	int ok = 0;

	if (x != NULL && util_b64url_decode(x, pub, sizeof(pub)) == 32 && siglen == 64)
		ok = crypto_verify(pub, doc, len, sig);
	ht_resp_free(k);
	return ok;
}

/* Every public response about slug, concatenated (malloc'd). */
static char *
rc_public_text(const char *slug)
{
	const char *paths[] = {
	    "/api/v1/publications/%s",           "/p/%s", "/api/v1/publications", "/feed.xml",
	    "/api/v1/publications/%s/signature", NULL};
	size_t len = 0;
	char *all = strdup("");

	for (int i = 0; paths[i]; i++) {
		char *p = rc_sub(paths[i], slug);
		struct ht_resp *r = ht_request("GET", p, NULL, NULL);

		all = realloc(all, len + r->body_len + strlen(r->headers) + 2);
		memcpy(all + len, r->headers, strlen(r->headers));
		len += strlen(r->headers);
		memcpy(all + len, r->body, r->body_len);
		len += r->body_len;
		all[len] = '\0';
		ht_resp_free(r);
		free(p);
	}
	return all;
}

static int
rc_contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* ------------------------------------------------------------ replicas */

static char *
rc_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static long long
rc_owner_count(const char *sql_fmt, const char *arg)
{
	char *lit = ht_sql_literal(arg);
	char *sql = rc_sub(sql_fmt, lit);
	long long n = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql);

	free(sql);
	free(lit);
	return n;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_release_instant)
{
	int cos[] = {0, 1, -1};
	time_t t = time(NULL) + 5;
	char *at = rc_iso(t), *slug;
	int seen_ok = 0, before = 0;

	RC_REQUIRE_WORLD();
	slug = rc_campaign("instant", "named", 1, at, cos, NULL, NULL, NULL);
	ck_assert_msg(slug != NULL, "campaign: %s", W.err);
	ck_assert_msg(time(NULL) < t, "set-up took too long");
	while (!seen_ok && time(NULL) < t + 8) {
		struct timespec now;

		for (int i = 0; rc_routes[i] && !seen_ok; i++) {
			char *p = rc_sub(rc_routes[i], slug);
			struct ht_resp *r = ht_request("GET", p, NULL, NULL);

			clock_gettime(CLOCK_REALTIME, &now);
			if (r->status == 200) {
				ck_assert_msg(now.tv_sec >= t,
				              "%s answered 200 at %ld.%09ld, before %ld", p,
				              (long)now.tv_sec, now.tv_nsec, (long)t);
				seen_ok = 1;
			} else {
				ck_assert_msg(rc_same_as_missing(r, rc_routes[i]),
				              "%s before release differs from a missing slug", p);
				before++;
			}
			ht_resp_free(r);
			free(p);
		}
		if (!seen_ok) {
			/* the list and the feed do not mention it either */
			struct ht_resp *l = ht_request("GET", "/api/v1/publications", NULL, NULL);
			struct ht_resp *f = ht_request("GET", "/feed.xml", NULL, NULL);
			char *pp = ht_fmt("/api/v1/publications/%s", slug);
			int pub = rc_status(pp) == 200;

			free(pp);

			if (!pub) {
				ck_assert_msg(!ht_mem_contains(l->body, l->body_len, slug),
				              "list names it early");
				ck_assert_msg(!ht_mem_contains(f->body, f->body_len, slug),
				              "feed names it early");
			}
			ht_resp_free(l);
			ht_resp_free(f);
			usleep(50000);
		}
	}
	ck_assert_msg(seen_ok, "not published within 8 s of its instant");
	ck_assert_msg(before > 10, "too few polls before the instant (%d)", before);
	free(at);
	free(slug);
}
END_TEST

/* The n bytes of log before needle's line (or the log's start), for a message. */
static const char *
rc_before(const char *log, const char *needle, size_t n)
{
	const char *at = strstr(log, needle);

	if (at == NULL)
		return "";
	return (size_t)(at - log) > n ? at - n : log;
}

START_TEST(test_replicas_exactly_once)
{
	struct ht_server a, b;
	int cos[] = {3, -1};
	char *slugs[20], *ids[20];
	time_t t;
	char *at;
	long long n;
	char *la, *lb;

	RC_REQUIRE_WORLD();
	ck_assert_msg(ht_server_start(&a, 0, NULL) == 0, "replica a did not start");
	ck_assert_msg(ht_server_start(&b, 0, NULL) == 0, "replica b did not start");
	t = time(NULL) + 10;
	at = rc_iso(t);
	for (int i = 0; i < 20; i++) {
		slugs[i] = rc_campaign("twenty", "named", 1, at, cos, NULL, &ids[i], NULL);
		ck_assert_msg(slugs[i] != NULL, "campaign %d: %s", i, W.err);
	}
	ck_assert_msg(time(NULL) < t, "set-up took too long");
	while (time(NULL) < t + 1)
		usleep(100000);
	for (int i = 0; i < 20; i++)
		ck_assert_msg(rc_wait_published(slugs[i], 10), "%s not published", slugs[i]);
	for (int i = 0; i < 20; i++) {
		n = rc_owner_count("SELECT count(*) FROM publications WHERE campaign_id = %s::uuid",
		                   ids[i]);
		ck_assert_int_eq(n, 1);
		n = rc_owner_count(
		    "SELECT count(*) FROM audit_events WHERE action = 'release.published'"
		    " AND object_id = %s",
		    ids[i]);
		ck_assert_int_eq(n, 1);
	}
	n = rc_owner_count("SELECT count(*) FROM publications WHERE slug LIKE %s", "twenty-%");
	ck_assert_msg(n >= 20, "publications: %lld", n);
	ht_server_stop(&a, SIGTERM);
	ht_server_stop(&b, SIGTERM);
	la = rc_file(a.log);
	lb = rc_file(b.log);
	/* Check's messages are short: the failing line and what came before it */
	ck_assert_msg(strstr(la, "release_failed") == NULL, "replica a failed a release: ...%.900s",
	              rc_before(la, "release_failed", 800));
	ck_assert_msg(strstr(lb, "release_failed") == NULL, "replica b failed a release: ...%.900s",
	              rc_before(lb, "release_failed", 800));
	ck_assert_msg(strstr(la, "scheduler_stopped") != NULL,
	              "replica a did not stop gracefully: ...%.900s",
	              la + (strlen(la) > 900 ? strlen(la) - 900 : 0));
	ht_server_free(&a);
	ht_server_free(&b);
	for (int i = 0; i < 20; i++) {
		free(slugs[i]);
		free(ids[i]);
	}
	free(la);
	free(lb);
	free(at);
}
END_TEST

START_TEST(test_kill_during_release)
{
	static const char *const slow[] = {"LOCKSTEP_TEST_RELEASE_PAUSE_MS=6000",
	                                   "LOCKSTEP_RELEASE_INTERVAL_MS=20", NULL};
	struct ht_server rp;
	int cos[] = {2, 3, -1}, caught = 0;

	RC_REQUIRE_WORLD();
	ck_assert_msg(ht_server_start(&rp, 0, slow) == 0, "slow replica did not start");
	for (int attempt = 0; attempt < 6 && !caught; attempt++) {
		time_t t = time(NULL) + 4;
		char *at = rc_iso(t), *id = NULL;
		char *slug = rc_campaign("kill", "pseudonymous", 1, at, cos, NULL, &id, NULL);
		char *want, *log = NULL;

		ck_assert_msg(slug != NULL, "campaign: %s", W.err);
		want = ht_fmt("\"event\":\"release_pausing\",\"slug\":\"%s\"", slug);
		for (int i = 0; i < 60; i++) {
			free(log);
			log = rc_file(rp.log);
			if (strstr(log, want) != NULL) {
				caught = 1;
				break;
			}
			if (rc_owner_count(
			        "SELECT count(*) FROM publications WHERE campaign_id = %s::uuid",
			        id) == 1)
				break; /* another replica won this one; try again */
			usleep(100000);
		}
		free(log);
		if (caught) {
			char *path = ht_fmt("/api/v1/publications/%s", slug);
			struct ht_resp *r = ht_request("GET", path, NULL, NULL);

			/* written but not committed: invisible to everyone */
			ck_assert_msg(rc_same_as_missing(r, "/api/v1/publications/%s"),
			              "visible before commit");
			ht_resp_free(r);
			ck_assert_int_eq(
			    rc_owner_count(
			        "SELECT count(*) FROM publications WHERE campaign_id = %s::uuid",
			        id),
			    0);
			ht_server_stop(&rp, SIGKILL);
			/* completed by another replica (the test's server), whole */
			ck_assert_msg(rc_wait_published(slug, 15), "not completed after the kill");
			ck_assert_int_eq(
			    rc_owner_count(
			        "SELECT count(*) FROM publications WHERE campaign_id = %s::uuid",
			        id),
			    1);
			{
				struct ht_resp *raw;
				json_t *doc = rc_doc(slug, &raw);
				char *sp = ht_fmt("/api/v1/publications/%s/signature", slug);
				struct ht_resp *s = ht_request("GET", sp, NULL, NULL);

				ck_assert_int_eq(
				    json_array_size(json_object_get(doc, "engagements")), 2);
				ck_assert_msg(rc_verify(raw->body, raw->body_len,
				                        (const unsigned char *)s->body,
				                        s->body_len),
				              "signature of the completed release");
				json_decref(doc);
				ht_resp_free(raw);
				ht_resp_free(s);
				free(sp);
			}
			free(path);
		}
		free(want);
		free(slug);
		free(id);
		free(at);
	}
	ht_server_stop(&rp, SIGKILL);
	ht_server_free(&rp);
	ck_assert_msg(caught, "the slow replica never claimed a campaign in 6 attempts");
}
END_TEST

START_TEST(test_named)
{
	json_t *doc;
	const json_t *rows;
	size_t i;
	json_t *row;
	int found[3] = {0};

	RC_REQUIRE_WORLD();
	doc = rc_doc(W.named, NULL);
	ck_assert_str_eq(json_string_value(rc_path(doc, "campaign", "disclosure", NULL)), "named");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "format")),
	                 "lockstep-publication-v1");
	rows = json_object_get(doc, "engagements");
	ck_assert_int_eq(json_array_size(rows), 3);
	json_array_foreach(rows, i, row)
	{
		for (int c = 0; c < 3; c++)
			if (strcmp(json_string_value(json_object_get(row, "company")),
			           W.co[c].org_name) == 0) {
				found[c] = 1;
				ck_assert_str_eq(json_string_value(rc_path(
				                     row, "claims", "WEIGHTS-EXFIL", "summary")),
				                 W.sum[c]);
			}
		ck_assert_str_eq(json_string_value(rc_path(row, "claims", "TAMPERING", "level")),
		                 "not-assessed");
		ck_assert_msg(json_is_object(rc_path(row, "findings", "WEIGHTS-EXFIL", "high")),
		              "finding counts");
	}
	ck_assert_msg(found[0] && found[1] && found[2], "named rows carry the companies' names");
	/* the assessors are published */
	{
		char *text = rc_public_text(W.named);

		ck_assert_msg(strstr(text, W.x.org_name) && strstr(text, "Xena Lead") &&
		                  strstr(text, "Yuri Lead"),
		              "assessor names missing");
		free(text);
	}
	json_decref(doc);
}
END_TEST

START_TEST(test_pseudonymous)
{
	int non_alpha = 0;

	RC_REQUIRE_WORLD();
	for (int p = 0; p < 8; p++) {
		json_t *doc = rc_doc(W.pseudo[p], NULL), *row;
		char *text = rc_public_text(W.pseudo[p]);
		const json_t *rows = json_object_get(doc, "engagements");
		char labels[3][32];
		size_t i;

		ck_assert_int_eq(json_array_size(rows), 3);
		for (int c = 0; c < RC_NCO; c++) {
			ck_assert_msg(!rc_contains_ci(text, W.co[c].org_name),
			              "company name in a public response");
			ck_assert_msg(!rc_contains_ci(text, W.co[c].org_id),
			              "company id in a public response");
		}
		json_array_foreach(rows, i, row)
		{
			const char *label = json_string_value(json_object_get(row, "company"));
			const char *sum =
			    json_string_value(rc_path(row, "claims", "WEIGHTS-EXFIL", "summary"));

			ck_assert_msg(strncmp(label, "Company ", 8) == 0, "label %s", label);
			for (int c = 0; c < 3; c++)
				if (strcmp(sum, W.sum[c]) == 0)
					snprintf(labels[c], sizeof(labels[c]), "%s", label);
		}
		/* in name order (Lyra, Orion, Vega) Orion, Vega, Lyra would be B, C, A;
		 * in creation order A, B, C */
		if (!(strcmp(labels[0], "Company B") == 0 && strcmp(labels[1], "Company C") == 0 &&
		      strcmp(labels[2], "Company A") == 0) &&
		    !(strcmp(labels[0], "Company A") == 0 && strcmp(labels[1], "Company B") == 0 &&
		      strcmp(labels[2], "Company C") == 0))
			non_alpha++;
		free(text);
		json_decref(doc);
	}
	/* a fixed order would give 0 of 8; a random shuffle gives 0 with p = (1/3)^8 */
	ck_assert_msg(non_alpha > 0, "labels follow name or creation order in 8 of 8 campaigns");
}
END_TEST

START_TEST(test_aggregate_suppression)
{
	json_t *doc;
	const json_t *claims, *findings;
	char *text;

	RC_REQUIRE_WORLD();
	doc = rc_doc(W.aggr, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "engagements")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "companies")), 3);
	claims = rc_path(doc, "aggregate", "claims", "WEIGHTS-EXFIL");
	/* OC3: Orion and Vega (2 >= k=2); OC1: Lyra alone; the rest: nobody */
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC3")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "OC1")), "suppressed");
	ck_assert_str_eq(json_string_value(json_object_get(claims, "OC5")), "suppressed");
	/* TAMPERING: all three not assessed */
	ck_assert_int_eq(json_integer_value(
	                     rc_path(doc, "aggregate", "claims", "TAMPERING")
	                         ? json_object_get(rc_path(doc, "aggregate", "claims", "TAMPERING"),
	                                           "not-assessed")
	                         : NULL),
	                 3);
	findings = rc_path(doc, "aggregate", "findings", "WEIGHTS-EXFIL");
	/* high: Orion 1, Vega 2, Lyra 2 -> 5 from 3 companies; critical: Lyra only */
	ck_assert_int_eq(json_integer_value(json_object_get(findings, "high")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(findings, "critical")), "suppressed");
	ck_assert_str_eq(json_string_value(json_object_get(findings, "low")), "suppressed");
	text = rc_public_text(W.aggr);
	for (int c = 0; c < 3; c++) {
		ck_assert_msg(!rc_contains_ci(text, W.co[c].org_name),
		              "company name under aggregate");
		ck_assert_msg(!strstr(text, W.sum[c]), "per-company summary under aggregate");
	}
	ck_assert_msg(strstr(text, W.x.org_name) != NULL, "assessor firm missing under aggregate");
	/* a chart whose cells are mostly suppressed is one note saying what
	 * the document withholds and why, and what it shows (issue 12) */
	ck_assert_msg(strstr(text, "<figure class=\"note\">") != NULL &&
	                  strstr(text, "Suppressed: 5 of 6 values.") != NULL &&
	                  strstr(text, "fewer than 2 companies") != NULL &&
	                  strstr(text, "Shown: OC3 2.") != NULL,
	              "the page does not explain the suppressed cells");
	free(text);
	json_decref(doc);
	/* named with k=2: the rows show every value, so the aggregates are the
	 * real totals (suppression only where rows are hidden, issue 8) */
	doc = rc_doc(W.named_k2, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "engagements")), 3);
	claims = rc_path(doc, "aggregate", "claims", "WEIGHTS-EXFIL");
	ck_assert_msg(json_is_integer(json_object_get(claims, "OC1")), "named: OC1 suppressed");
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC1")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "OC5")), 0);
	json_decref(doc);
}
END_TEST

START_TEST(test_name_leak_hold)
{
	char *cp = ht_fmt("/api/v1/campaigns/%s", W.held_id);
	struct ht_resp *r;
	const json_t *rel;
	char *sp;

	RC_REQUIRE_WORLD();
	/* held: not public, the coordinator sees why, participants do not */
	for (int i = 0; rc_routes[i]; i++) {
		char *p = rc_sub(rc_routes[i], W.held);
		struct ht_resp *x = ht_request("GET", p, NULL, NULL);

		ck_assert_msg(rc_same_as_missing(x, rc_routes[i]), "held release visible at %s", p);
		ht_resp_free(x);
		free(p);
	}
	r = ht_request("GET", cp, W.coord, NULL);
	HT_ASSERT_STATUS(r, 200);
	rel = json_object_get(r->json, "release");
	ck_assert_str_eq(json_string_value(json_object_get(rel, "status")), "held");
	ck_assert_str_eq(
	    json_string_value(rc_path(json_array_get(rc_path(rel, "hold", "reasons", NULL), 0),
	                              "field", NULL, NULL)),
	    "statement");
	ht_resp_free(r);
	r = ht_request("GET", cp, W.co[1].admin.token, NULL);
	ck_assert_msg(r->status == 404 || json_object_get(r->json, "release") == NULL,
	              "a participant sees the hold");
	ht_resp_free(r);
	ck_assert_int_eq(
	    rc_owner_count("SELECT count(*) FROM audit_events WHERE action = 'release.held'"
	                   " AND object_id = %s",
	                   W.held_id),
	    1);
	/* the texts are frozen at the instant, held or not: the coordinator decides */
	sp = ht_fmt("/api/v1/engagements/%s/statement", W.held_eng);
	r = ht_request("PUT", sp, W.co[0].admin.token, "{\"text\":\"We fixed it.\"}");
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	{
		char *dp = ht_fmt("/api/v1/campaigns/%s/hold/decision", W.held_id);

		r = ht_request("POST", dp, W.coord,
		               "{\"decision\":\"extend\",\"seconds\":6,\"reason\":\"fix it\"}");
		HT_ASSERT_STATUS(r, 200);
		ht_resp_free(r);
		free(dp);
	}
	/* fixing the text before the new instant releases it */
	r = ht_request("PUT", sp, W.co[0].admin.token, "{\"text\":\"We fixed it.\"}");
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	ck_assert_msg(rc_wait_published(W.held, 20), "not released after the fix");
	r = ht_request("GET", cp, W.coord, NULL);
	ck_assert_str_eq(json_string_value(rc_path(r->json, "release", "status", NULL)),
	                 "published");
	ht_resp_free(r);
	/* and now it is frozen */
	r = ht_request("PUT", sp, W.co[0].admin.token, "{\"text\":\"Changed later.\"}");
	HT_ASSERT_PROBLEM(r, 409, "invalid-state");
	ht_resp_free(r);
	/* named: a name in a text never holds */
	ck_assert_msg(rc_wait_published(W.named_leak, 5), "named campaign held");
	free(sp);
	free(cp);
}
END_TEST

START_TEST(test_embargo_break_flag)
{
	json_t *doc;
	char *text;

	RC_REQUIRE_WORLD();
	doc = rc_doc(W.brk, NULL);
	ck_assert_msg(json_is_true(json_object_get(doc, "embargo_break")),
	              "embargo break not flagged");
	ck_assert_msg(
	    strcmp(json_string_value(rc_path(doc, "campaign", "planned_release_at", NULL)),
	           json_string_value(rc_path(doc, "campaign", "release_at", NULL))) > 0,
	    "planned instant");
	json_decref(doc);
	text = rc_public_text(W.brk);
	ck_assert_msg(strstr(text, "Embargo break") != NULL, "page does not flag the break");
	ck_assert_msg(strstr(text, "\"embargo_break\":true") != NULL,
	              "list does not flag the break");
	free(text);
	doc = rc_doc(W.named, NULL);
	ck_assert_msg(json_is_false(json_object_get(doc, "embargo_break")), "false break flag");
	json_decref(doc);
}
END_TEST

/* The README's verification block, run exactly as written. */
START_TEST(test_openssl_cli)
{
	const char *srcdir = ht_env("srcdir") ? ht_env("srcdir") : ".";
	char *readme = ht_fmt("%s/README.md", srcdir);
	char *dir = strdup("/tmp/lockstep-verify-XXXXXX");
	char *script, *cmd, *out;
	FILE *p;
	char line[512];
	size_t len = 0;
	int rc;

	RC_REQUIRE_WORLD();
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp");
	script = ht_fmt("%s/verify.sh", dir);
	cmd = ht_fmt("sed -n '/<!-- verify:begin -->/,/<!-- verify:end -->/p' '%s' | "
	             "sed -e '1,/^```sh$/d' -e '/^```$/,$d' > '%s'",
	             readme, script);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	out = rc_file(script);
	ck_assert_msg(strstr(out, "openssl pkeyutl -verify") != NULL, "README has no verify block");
	free(out);
	/* genuine */
	cmd = ht_fmt("cd '%s' && SERVER='%s' SLUG='%s' bash -eu verify.sh 2>&1", dir,
	             ht_env_req("LOCKSTEP_TEST_URL"), W.named);
	p = popen(cmd, "r");
	out = calloc(1, 1);
	while (fgets(line, sizeof(line), p)) {
		out = realloc(out, len + strlen(line) + 1);
		memcpy(out + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	rc = pclose(p);
	ck_assert_msg(rc == 0 && strstr(out, "Signature Verified Successfully"), "openssl: %s",
	              out);
	free(out);
	free(cmd);
	/* one byte changed: openssl refuses it */
	cmd = ht_fmt("cd '%s' && sed -i 's/\"companies\":3/\"companies\":4/' doc.json && "
	             "openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in doc.json -sigfile "
	             "sig.bin 2>&1",
	             dir);
	p = popen(cmd, "r");
	out = calloc(1, 4096);
	len = fread(out, 1, 4095, p);
	rc = pclose(p);
	ck_assert_msg(rc != 0 && strstr(out, "Signature Verification Failure"), "tampered copy: %s",
	              out);
	free(out);
	free(cmd);
	cmd = ht_fmt("rm -rf '%s'", dir);
	(void)system(cmd);
	free(cmd);
	free(script);
	free(readme);
	free(dir);
}
END_TEST

/* The README's release walk-through, run exactly as written (shorter delay). */
START_TEST(test_readme_release)
{
	const char *srcdir = ht_env("srcdir") ? ht_env("srcdir") : ".";
	char *readme = ht_fmt("%s/README.md", srcdir);
	char *dir = strdup("/tmp/lockstep-walk-XXXXXX");
	char *cmd, *out;
	FILE *p;
	char line[1024];
	size_t len = 0;
	int rc;

	RC_REQUIRE_WORLD();
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp");
	cmd = ht_fmt("sed -n '/<!-- release:begin -->/,/<!-- release:end -->/p' '%s' | "
	             "sed -e '1,/^```sh$/d' -e '/^```$/,$d' > '%s/release.sh'",
	             readme, dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	cmd = ht_fmt("cd '%s' && URL='%s' ADMIN_EMAIL='%s' ADMIN_PASSWORD='%s' RELEASE_IN=8 "
	             "timeout 60 bash -euo pipefail release.sh 2>&1",
	             dir, ht_env_req("LOCKSTEP_TEST_URL"), ht_env_req("LOCKSTEP_TEST_ADMIN_EMAIL"),
	             ht_env_req("LOCKSTEP_TEST_ADMIN_PASSWORD"));
	p = popen(cmd, "r");
	out = calloc(1, 1);
	while (fgets(line, sizeof(line), p)) {
		out = realloc(out, len + strlen(line) + 1);
		memcpy(out + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	rc = pclose(p);
	ck_assert_msg(rc == 0, "walk-through failed (%d): %s", rc, out);
	ck_assert_msg(strstr(out, "before: 404") && strstr(out, "released at") &&
	                  strstr(out, "Signature Verified Successfully"),
	              "walk-through output: %s", out);
	ck_assert_msg(strstr(out, "Acme AI") == NULL, "pseudonymous walk-through shows a name: %s",
	              out);
	free(out);
	free(cmd);
	cmd = ht_fmt("rm -rf '%s'", dir);
	(void)system(cmd);
	free(cmd);
	free(readme);
	free(dir);
}
END_TEST

START_TEST(test_chain)
{
	PGconn *c;
	PGresult *res;
	unsigned char prev[32] = {0};
	int n;

	RC_REQUIRE_WORLD();
	c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	ck_assert_ptr_nonnull(c);
	res = PQexec(
	    c,
	    "SELECT seq, document, encode(signature, 'hex'), encode(hash, 'hex'),"
	    " encode(prev_hash, 'hex'), encode(signing_key, 'hex') FROM publications ORDER BY seq");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	n = PQntuples(res);
	ck_assert_msg(n >= 10, "only %d publications", n);
	for (int i = 0; i < n; i++) {
		const char *docs = PQgetvalue(res, i, 1);
		unsigned char sig[64], hash[32], prevh[32], key[32], h[32];
		char prevhex[65];
		json_t *doc = json_loads(docs, 0, NULL);

		ck_assert_int_eq(atoll(PQgetvalue(res, i, 0)), i + 1);
		ck_assert_int_eq(util_hex_decode(PQgetvalue(res, i, 2), sig, 64), 0);
		ck_assert_int_eq(util_hex_decode(PQgetvalue(res, i, 3), hash, 32), 0);
		ck_assert_int_eq(util_hex_decode(PQgetvalue(res, i, 4), prevh, 32), 0);
		ck_assert_int_eq(util_hex_decode(PQgetvalue(res, i, 5), key, 32), 0);
		ck_assert_msg(memcmp(prevh, prev, 32) == 0, "chain broken at %d", i + 1);
		crypto_sha256(docs, strlen(docs), h);
		ck_assert_msg(memcmp(h, hash, 32) == 0, "hash of %d", i + 1);
		ck_assert_msg(crypto_verify(key, docs, strlen(docs), sig) == 1, "signature of %d",
		              i + 1);
		util_hex_encode(prev, 32, prevhex);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "prev_hash")), prevhex);
		ck_assert_int_eq(json_integer_value(json_object_get(doc, "sequence")), i + 1);
		memcpy(prev, hash, 32);
		json_decref(doc);
	}
	PQclear(res);
	PQfinish(c);
}
END_TEST

START_TEST(test_tamper_detected)
{
	PGconn *c;
	char st[6];
	char *lit, *sql, *orig;
	struct ht_server rp;
	int ok;

	RC_REQUIRE_WORLD();
	c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	ck_assert_ptr_nonnull(c);
	lit = ht_sql_literal(W.named_leak);
	sql = ht_fmt("SELECT document FROM publications WHERE slug = %s", lit);
	orig = ht_db_value(c, sql, &ok);
	ck_assert_msg(ok && orig != NULL, "no document");
	free(sql);
	/* the owner can only change it with the trigger disabled */
	sql = ht_fmt("BEGIN; ALTER TABLE publications DISABLE TRIGGER publications_append_only;"
	             " UPDATE publications SET document = replace(document, '\"companies\":2', "
	             "'\"companies\":9')"
	             " WHERE slug = %s; ALTER TABLE publications ENABLE TRIGGER "
	             "publications_append_only; COMMIT",
	             lit);
	ck_assert_msg(ht_db_exec(c, sql, st) == 0, "tamper: %s", st);
	free(sql);
	/* a fresh replica (nothing cached) serves the stored bytes: they no longer verify */
	ck_assert_msg(ht_server_start(&rp, 0, NULL) == 0, "replica did not start");
	{
		char *u =
		    ht_fmt("http://127.0.0.1:%d/api/v1/publications/%s", rp.port, W.named_leak);
		char *argv[] = {"/usr/bin/curl", "-fsS", u, NULL};
		char *sargv_u = ht_fmt("http://127.0.0.1:%d/api/v1/publications/%s/signature",
		                       rp.port, W.named_leak);
		char *sargv[] = {"/usr/bin/curl", "-fsS", sargv_u, NULL};
		size_t dl = 0, sl = 0;
		int s1, s2;
		char *d = ht_run_capture(argv, &dl, &s1);
		char *s = ht_run_capture(sargv, &sl, &s2);

		ck_assert_msg(s1 == 0 && s2 == 0 && strstr(d, "\"companies\":9"),
		              "tampered bytes not served");
		ck_assert_msg(!rc_verify(d, dl, (unsigned char *)s, sl),
		              "tampered document verifies");
		free(d);
		free(s);
		free(u);
		free(sargv_u);
	}
	ht_server_stop(&rp, SIGTERM);
	ht_server_free(&rp);
	/* and the stored hash no longer matches: the chain check finds it */
	sql = ht_fmt("SELECT count(*) FROM publications WHERE slug = %s"
	             " AND sha256(convert_to(document, 'UTF8')) <> hash",
	             lit);
	ck_assert_int_eq(ht_db_count_conn(c, sql), 1);
	free(sql);
	/* restore it for the other tests */
	{
		char *olit = ht_sql_literal(orig);

		sql = ht_fmt(
		    "BEGIN; ALTER TABLE publications DISABLE TRIGGER publications_append_only;"
		    " UPDATE publications SET document = %s WHERE slug = %s;"
		    " ALTER TABLE publications ENABLE TRIGGER publications_append_only; COMMIT",
		    olit, lit);
		ck_assert_msg(ht_db_exec(c, sql, st) == 0, "restore: %s", st);
		free(olit);
		free(sql);
	}
	free(orig);
	free(lit);
	PQfinish(c);
}
END_TEST

START_TEST(test_immutable_every_role)
{
	const char *dsns[] = {"LOCKSTEP_TEST_APP_DSN", "LOCKSTEP_TEST_OWNER_DSN",
	                      "LOCKSTEP_TEST_SUPER_DSN", NULL};
	char *lit;
	struct ht_resp *r;
	char *path;

	RC_REQUIRE_WORLD();
	lit = ht_sql_literal(W.named);
	for (int i = 0; dsns[i]; i++) {
		const char *dsn = ht_env(dsns[i]);
		const char *stmts[] = {"UPDATE publications SET title = 'x' WHERE slug = %s",
		                       "DELETE FROM publications WHERE slug = %s",
		                       "TRUNCATE publications", NULL};
		PGconn *c;

		if (dsn == NULL)
			continue;
		c = ht_db_open(dsn);
		ck_assert_ptr_nonnull(c);
		for (int s = 0; stmts[s]; s++) {
			char *sql = rc_sub(stmts[s], lit);
			char st[6];

			ck_assert_msg(ht_db_exec(c, sql, st) != 0, "%s succeeded as %s", sql,
			              dsns[i]);
			ck_assert_msg(strcmp(st, "42501") == 0, "%s as %s: SQLSTATE %s", sql,
			              dsns[i], st);
			free(sql);
		}
		if (i == 0) {
			char st[6];

			ck_assert_msg(ht_db_exec(c,
			                         "INSERT INTO publications (seq) VALUES (999999)",
			                         st) != 0 &&
			                  strcmp(st, "42501") == 0,
			              "lockstep_app may insert a publication");
		}
		if (i == 1) {
			/* a published campaign is frozen too, for the owner */
			char *sql = ht_fmt("UPDATE campaigns SET title = 'x' WHERE slug = %s", lit);
			char st[6];

			ck_assert_msg(ht_db_exec(c, sql, st) != 0 && strcmp(st, "42501") == 0,
			              "published campaign changed by the owner");
			free(sql);
		}
		PQfinish(c);
	}
	ck_assert_int_eq(
	    rc_owner_count("SELECT count(*) FROM publications WHERE slug = %s", W.named), 1);
	/* the API refuses changes after release */
	{
		char *sql = ht_fmt("SELECT id FROM campaigns WHERE slug = %s", lit);
		PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
		char *id = ht_db_value(c, sql, NULL);

		path = ht_fmt("/api/v1/campaigns/%s", id);
		r = ht_request("PATCH", path, W.coord, "{\"title\":\"changed\"}");
		HT_ASSERT_PROBLEM(r, 409, "invalid-state");
		ht_resp_free(r);
		free(path);
		free(id);
		free(sql);
		PQfinish(c);
	}
	free(lit);
}
END_TEST

/* The embargo in the database: the policy, not C, hides a future row. */
START_TEST(test_rls_embargo)
{
	const char *super = ht_env("LOCKSTEP_TEST_SUPER_DSN");
	PGconn *c;
	char st[6];

	RC_REQUIRE_WORLD();
	if (super == NULL)
		ht_skip("LOCKSTEP_TEST_SUPER_DSN is not set");
	c = ht_db_open(super);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(ht_db_exec(c, "BEGIN", st), 0);
	/* as the superuser, inside a transaction that is rolled back: one
	 * publication due in an hour, one released an hour ago */
	ck_assert_msg(
	    ht_db_exec(c,
	               "WITH c AS (INSERT INTO campaigns (title, slug, threat_models, release_at, "
	               "planned_release_at,"
	               " disclosure) SELECT 'probe', 'rls-probe-' || n, '{WEIGHTS-EXFIL}', now() + "
	               "'1 day',"
	               " now() + '1 day', 'named' FROM generate_series(1, 2) n RETURNING id, slug)"
	               " INSERT INTO publications (seq, campaign_id, slug, title, disclosure, "
	               "release_at, embargo_break,"
	               " document, signature, hash, prev_hash, signing_key)"
	               " SELECT 900000000 + right(c.slug, 1)::int, c.id, c.slug, 't', 'named',"
	               " now() + CASE right(c.slug, 1) WHEN '1' THEN interval '1 hour' ELSE "
	               "interval '-1 hour' END,"
	               " false, '{}', decode(repeat('00', 64), 'hex'), sha256(convert_to(c.slug || "
	               "'h', 'UTF8')),"
	               " sha256(convert_to(c.slug || 'p', 'UTF8')), decode(repeat('00', 32), "
	               "'hex') FROM c",
	               st) == 0,
	    "probe insert: %s", st);
	ck_assert_int_eq(ht_db_exec(c, "SET LOCAL ROLE lockstep_app", st), 0);
	ck_assert_int_eq(
	    ht_db_count_conn(c, "SELECT count(*) FROM publications WHERE slug = 'rls-probe-1'"), 0);
	ck_assert_int_eq(
	    ht_db_count_conn(c, "SELECT count(*) FROM publications WHERE release_at > now()"), 0);
	ck_assert_int_eq(
	    ht_db_count_conn(c, "SELECT count(*) FROM publications WHERE slug = 'rls-probe-2'"), 1);
	ht_db_exec(c, "ROLLBACK", st);
	PQfinish(c);
}
END_TEST

/* No confidential marker in any public response, released or not. */
START_TEST(test_public_tenancy)
{
	const char *slugs[16];
	int n = 0;

	RC_REQUIRE_WORLD();
	slugs[n++] = W.named;
	slugs[n++] = W.aggr;
	slugs[n++] = W.named_k2;
	slugs[n++] = W.held;
	slugs[n++] = W.brk;
	for (int i = 0; i < 8; i++)
		slugs[n++] = W.pseudo[i];
	for (int s = 0; s < n; s++) {
		char *text = rc_public_text(slugs[s]);

		for (int c = 0; c < RC_NCO; c++)
			ck_assert_msg(!strstr(text, W.mark[c]),
			              "confidential marker %s in public responses of %s", W.mark[c],
			              slugs[s]);
		free(text);
	}
}
END_TEST

/* Caching: strong ETag, 304, public caching; the page's CSP allows no script. */
/* GET path with a browser's Accept header. */
static struct ht_resp *
rc_browser(const char *path)
{
	return ht_request(
	    "GET", path, NULL, NULL,
	    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
}

/*
 * The public HTML side (issue 12): the index at /p/ lists released
 * publications only, newest first, with release instants and disclosure;
 * a browser gets one HTML "not found" page for a slug that never existed
 * and for one not yet released (byte for byte, headers too), a JSON client
 * keeps problem+json; the pages link the feed and the OSCAL.
 */
START_TEST(test_public_html)
{
	int cos[] = {0, -1};
	char *at = rc_iso(time(NULL) + 86400), *future, *never = ht_unique("never");
	char *p_future, *p_never, *p_named, *h1, *h2;
	struct ht_resp *idx, *list, *a, *b, *j;
	const char *prev = NULL;
	size_t i;
	json_t *item;

	RC_REQUIRE_WORLD();
	future = rc_campaign("future", "named", 1, at, cos, NULL, NULL, NULL);
	ck_assert_msg(future != NULL, "campaign: %s", W.err);

	/* the index mirrors the JSON list, in its order, and names nothing else */
	idx = rc_browser("/p/");
	HT_ASSERT_STATUS(idx, 200);
	ck_assert_msg(strncmp(idx->content_type, "text/html", 9) == 0, "%s", idx->content_type);
	ck_assert_msg(!ht_mem_contains(idx->body, idx->body_len, future),
	              "the index names an unreleased campaign");
	ck_assert_msg(strstr(idx->body, "<link rel=\"alternate\" type=\"application/atom+xml\"") !=
	                  NULL,
	              "the index does not link the feed");
	list = ht_request("GET", "/api/v1/publications?limit=100", NULL, NULL);
	HT_ASSERT_STATUS(list, 200);
	ck_assert_msg(json_array_size(json_object_get(list->json, "items")) >= 3, "%s", list->body);
	json_array_foreach(json_object_get(list->json, "items"), i, item)
	{
		char *href = ht_fmt("<a href=\"/p/%s\">", ht_ostr(item, "slug"));
		char *when = ht_fmt("<time datetime=\"%s\">", ht_ostr(item, "release_at"));
		const char *at_href = strstr(idx->body, href);

		ck_assert_msg(at_href != NULL, "the index lacks %s", href);
		ck_assert_msg(strstr(at_href, when) != NULL, "no %s after %s", when, href);
		ck_assert_msg(prev == NULL || at_href > prev, "the index is not newest first at %s",
		              href);
		prev = at_href;
		free(href);
		free(when);
	}
	ck_assert_msg(strstr(idx->body, "pseudonymous: ") != NULL &&
	                  strstr(idx->body, "aggregate: ") != NULL &&
	                  strstr(idx->body, "named: ") != NULL,
	              "the index does not say the disclosure modes");
	/* /p answers the same page */
	a = rc_browser("/p");
	HT_ASSERT_STATUS(a, 200);
	ck_assert_uint_eq(a->body_len, idx->body_len);
	ht_resp_free(a);
	ht_resp_free(list);
	ht_resp_free(idx);

	/* a browser: one HTML 404 for never-existed and not-yet-released */
	p_future = ht_fmt("/p/%s", future);
	p_never = ht_fmt("/p/%s", never);
	a = rc_browser(p_future);
	b = rc_browser(p_never);
	HT_ASSERT_STATUS(a, 404);
	ck_assert_msg(strncmp(a->content_type, "text/html", 9) == 0, "%s", a->content_type);
	ck_assert_msg(strstr(a->body, "<h1>Not found</h1>") != NULL, "%s", a->body);
	ck_assert_msg(strstr(a->body, "href=\"/p/\"") != NULL, "no way back to the index");
	h1 = rc_headers_nodate(a);
	h2 = rc_headers_nodate(b);
	ck_assert_msg(a->status == b->status && a->body_len == b->body_len &&
	                  memcmp(a->body, b->body, a->body_len) == 0 && strcmp(h1, h2) == 0,
	              "not yet released differs from never existed:\n%s\n%s", h1, h2);
	ck_assert_msg(!ht_mem_contains(a->body, a->body_len, future), "the 404 names the slug");
	free(h1);
	free(h2);
	ht_resp_free(b);
	/* ... and for a malformed slug and a deeper path, the same page */
	b = rc_browser("/p/NOT_A_SLUG");
	ck_assert_msg(b->status == 404 && b->body_len == a->body_len &&
	                  memcmp(a->body, b->body, a->body_len) == 0,
	              "malformed slug: %ld", b->status);
	ht_resp_free(b);
	b = rc_browser("/p/x/y");
	ck_assert_msg(b->status == 404 && b->body_len == a->body_len &&
	                  memcmp(a->body, b->body, a->body_len) == 0,
	              "deeper path: %ld", b->status);
	ht_resp_free(b);
	ht_resp_free(a);
	/* a JSON client keeps problem+json, the same for both */
	j = ht_request("GET", p_future, NULL, NULL, "Accept: application/json");
	HT_ASSERT_PROBLEM(j, 404, "not-found");
	ck_assert_msg(rc_same_as_missing(j, "/p/%s"), "JSON 404 differs");
	ht_resp_free(j);

	/* a released page: the feed and the OSCAL linked, instants as <time> */
	p_named = ht_fmt("/p/%s", W.named);
	a = rc_browser(p_named);
	HT_ASSERT_STATUS(a, 200);
	ck_assert_msg(strstr(a->body, "<link rel=\"alternate\" type=\"application/atom+xml\"") !=
	                  NULL,
	              "the page does not link the feed");
	h1 = ht_fmt("href=\"/api/v1/publications/%s/oscal\"", W.named);
	ck_assert_msg(strstr(a->body, h1) != NULL, "the page does not link its OSCAL");
	free(h1);
	ck_assert_msg(strstr(a->body, "<time datetime=\"") != NULL, "no <time> on the page");
	ht_resp_free(a);

	free(p_named);
	free(p_future);
	free(p_never);
	free(never);
	free(future);
	free(at);
}
END_TEST

START_TEST(test_cache_headers)
{
	struct ht_resp *bad;
	char *bp;

	RC_REQUIRE_WORLD();
	/* public routes ignore credentials: a stale token is no 401 */
	bp = ht_fmt("/p/%s", W.named);
	bad = ht_request("GET", bp, "not-a-valid-token", NULL);
	HT_ASSERT_STATUS(bad, 200);
	ht_resp_free(bad);
	free(bp);
	for (int i = 0; rc_routes[i]; i++) {
		char *p = rc_sub(rc_routes[i], W.named);
		struct ht_resp *r = ht_request("GET", p, NULL, NULL);
		char *etag = ht_header(r, "ETag"), *cc = ht_header(r, "Cache-Control"), *inm;
		struct ht_resp *r2;

		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(etag && etag[0] == '"', "strong ETag on %s", p);
		ck_assert_msg(cc && strstr(cc, "public") && strstr(cc, "max-age="),
		              "Cache-Control %s", cc);
		inm = ht_fmt("If-None-Match: %s", etag);
		r2 = ht_request("GET", p, NULL, NULL, inm);
		HT_ASSERT_STATUS(r2, 304);
		ck_assert_int_eq(r2->body_len, 0);
		if (strncmp(rc_routes[i], "/p/", 3) == 0) {
			char *csp = ht_header(r, "Content-Security-Policy");

			ck_assert_msg(csp && strstr(csp, "default-src 'none'") &&
			                  !strstr(csp, "script-src"),
			              "page CSP: %s", csp);
			ck_assert_msg(!strstr(r->body, "<script"), "script in the page");
			ck_assert_msg(strstr(r->body, "<svg") != NULL, "no chart");
			free(csp);
		}
		ht_resp_free(r2);
		ht_resp_free(r);
		free(inm);
		free(etag);
		free(cc);
		free(p);
	}
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	ht_init_or_skip();
	s = suite_create("release");
	tc = tcase_create("release");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, rc_setup, NULL);
	tcase_add_test(tc, test_named);
	tcase_add_test(tc, test_pseudonymous);
	tcase_add_test(tc, test_aggregate_suppression);
	tcase_add_test(tc, test_embargo_break_flag);
	tcase_add_test(tc, test_name_leak_hold);
	tcase_add_test(tc, test_cache_headers);
	tcase_add_test(tc, test_public_html);
	tcase_add_test(tc, test_public_tenancy);
	tcase_add_test(tc, test_openssl_cli);
	tcase_add_test(tc, test_readme_release);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_immutable_every_role);
	tcase_add_test(tc, test_rls_embargo);
	tcase_add_test(tc, test_release_instant);
	tcase_add_test(tc, test_replicas_exactly_once);
	tcase_add_test(tc, test_kill_during_release);
	tcase_add_test(tc, test_tamper_detected);
	suite_add_tcase(s, tc);
	return ht_run_suite(s);
}

/*
 * check_instant: the scheduler sleeps until the next instant and is woken
 * by NOTIFY (sql/0013_release_wake.sql, publish/schedule.c).
 *   - the shared lockstepd's scheduler listens (lockstep_scheduler_listening 1);
 *   - creating a campaign wakes the scheduler (lockstep_scheduler_wakes_total
 *     grows: the NOTIFY of the INSERT reached it), and the campaign is
 *     published after its instant, not before;
 *   - an instant moved earlier wakes it again and is kept;
 *   - a release prepared before its instant (0019_perf.sql): nothing is
 *     visible before the instant; the prepared document is what is
 *     published when nothing changed; a claim changed after the
 *     preparation is published as changed, never as prepared;
 *   - the *_ahead readers answer only the scheduler, at most 60 s ahead,
 *     and are their originals but for that bound;
 *   - the change marker (0023_input_changes.sql): every table the release
 *     reads has its trigger; a write committed after a snapshot (also by a
 *     transaction already running when it was taken) is seen, an identity
 *     other than the scheduler always hears "changed";
 *   - a slug asked for before its release (a 404 remembered by the
 *     replica, api/pubcache.c) is served at once after it, on every route;
 *   - the participants' events of a release (0024_release_events.sql) are
 *     written after it, and a release whose events were left pending (a
 *     replica that died after the COMMIT) gets them from the next round.
 * Generous bounds (seconds): the timing itself is measured by
 * tests/bench/release, not asserted here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "harness.h"

static char *Admin;
/* a company and an assessor firm for the prepared releases */
static struct ht_tenant Co, Firm;

static void
iso(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A campaign with one engagement, released at t; its slug (malloc'd). */
static char *
campaign_at(time_t t, char id[64])
{
	char when[32], *slug = ht_unique("instant"), *body;
	struct ht_resp *r;

	iso(t, when);
	for (char *p = slug; *p; p++)
		if (*p == '_')
			*p = '-';
	body = ht_fmt(
	    "{\"title\":\"Instant %s\",\"slug\":\"%s\",\"threat_models\":[\"WEIGHTS-EXFIL\"],"
	    "\"release_at\":\"%s\",\"disclosure\":\"named\"}",
	    slug, slug, when);
	r = ht_request("POST", "/api/v1/campaigns", Admin, body);
	ck_assert_msg(r->status == 201, "campaign: %ld %s", r->status, r->body);
	snprintf(id, 64, "%s", ht_jstr(r, "id"));
	ht_resp_free(r);
	free(body);
	return slug;
}

/* Seconds from now until /api/v1/publications/{slug} answers 200 (-1: not within limit). */
static double
published_within(const char *slug, int limit)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug);
	struct timespec t0, t1;
	double got = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < limit * 20; i++) {
		struct ht_resp *r = ht_request("GET", path, NULL, NULL);
		long st = r->status;

		ht_resp_free(r);
		if (st == 200) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			got = (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			break;
		}
		usleep(50000);
	}
	free(path);
	return got;
}

/* lockstep_scheduler_wakes_total of the shared lockstepd, or -1. */
static long long
wakes(void)
{
	struct ht_resp *r = ht_request("GET", "/metrics", NULL, NULL);
	const char *p = strstr(r->body, "\nlockstep_scheduler_wakes_total ");
	long long v = p ? atoll(p + strlen("\nlockstep_scheduler_wakes_total ")) : -1;

	ht_resp_free(r);
	return v;
}

/* 1 once the wake counter exceeds before, within 5 s. */
static int
woken_since(long long before)
{
	for (int i = 0; i < 50; i++) {
		if (wakes() > before)
			return 1;
		usleep(100000);
	}
	return 0;
}

START_TEST(test_scheduler_listens)
{
	struct ht_resp *r = ht_request("GET", "/metrics", NULL, NULL);

	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "lockstep_scheduler_listening 1") != NULL,
	              "the scheduler does not listen for NOTIFY");
	ht_resp_free(r);
}
END_TEST

START_TEST(test_new_instant_wakes_the_scheduler)
{
	char id[64];
	long long before = wakes();
	char *slug = campaign_at(time(NULL) + 3, id);
	double t;

	ck_assert_msg(before >= 0, "no lockstep_scheduler_wakes_total in /metrics");
	ck_assert_msg(woken_since(before), "creating a campaign did not wake the scheduler");
	t = published_within(slug, 15);

	ck_assert_msg(t >= 0, "%s was not published within 15 s of its creation", slug);
	ck_assert_msg(t >= 1.5, "%s was published %.2f s after creation, before its instant", slug,
	              t);
	free(slug);
}
END_TEST

START_TEST(test_instant_moved_earlier_wakes_it)
{
	char id[64], when[32], *body, *path;
	char *slug = campaign_at(time(NULL) + 3600, id);
	struct ht_resp *r;
	double t;

	long long before;

	sleep(1);
	before = wakes();
	iso(time(NULL) + 3, when);
	body = ht_fmt("{\"release_at\":\"%s\",\"reason\":\"check_instant: earlier\"}", when);
	path = ht_fmt("/api/v1/campaigns/%s", id);
	r = ht_request("PATCH", path, Admin, body);
	ck_assert_msg(r->status == 200, "PATCH release_at: %ld %s", r->status, r->body);
	ht_resp_free(r);
	ck_assert_msg(woken_since(before), "moving an instant did not wake the scheduler");
	t = published_within(slug, 15);
	ck_assert_msg(t >= 0, "%s (instant moved earlier) was not published within 15 s", slug);
	free(body);
	free(path);
	free(slug);
}
END_TEST

/* The value of metric name on the shared lockstepd, or -1. */
static long long
metric(const char *name)
{
	struct ht_resp *r = ht_request("GET", "/metrics", NULL, NULL);
	char *key = ht_fmt("\n%s ", name);
	const char *p = strstr(r->body, key);
	long long v = p ? atoll(p + strlen(key)) : -1;

	free(key);
	ht_resp_free(r);
	return v;
}

/* HTTP status of an anonymous GET of prefix + slug + suffix. */
static long
status_of(const char *prefix, const char *slug, const char *suffix)
{
	char *path = ht_fmt("%s%s%s", prefix, slug, suffix);
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	long st = r->status;

	ht_resp_free(r);
	free(path);
	return st;
}

/* PUT the engagement's WEIGHTS-EXFIL claim as the firm. */
static void
put_claim(const char *eng, const char *summary)
{
	char *path = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", eng);
	char *body = ht_fmt("{\"level\":\"OC3\",\"summary\":\"%s\"}", summary);
	struct ht_resp *r = ht_request("PUT", path, Firm.admin.token, body);

	ck_assert_msg(r->status == 200 || r->status == 201, "claim: %ld %s", r->status, r->body);
	ht_resp_free(r);
	free(body);
	free(path);
}

/*
 * A campaign released lead seconds from now with one engagement (Co x
 * Firm) whose claim says summary; its id in id, engagement in eng, slug
 * returned (malloc'd).
 */
static char *
prepared_campaign(int lead, const char *summary, char id[64], char eng[64])
{
	char *slug = campaign_at(time(NULL) + 3 * 86400, id), *body, *path, when[32];
	struct ht_resp *r;

	body = ht_fmt("{\"company_org\":\"%s\",\"assessor_org\":\"%s\",\"scope\":\"s\","
	              "\"lead_assessors\":[\"Lead\"]}",
	              Co.org_id, Firm.org_id);
	path = ht_fmt("/api/v1/campaigns/%s/engagements", id);
	r = ht_request("POST", path, Admin, body);
	ck_assert_msg(r->status == 201, "engagement: %ld %s", r->status, r->body);
	snprintf(eng, 64, "%s", ht_jstr(r, "id"));
	ht_resp_free(r);
	free(body);
	free(path);
	put_claim(eng, summary);
	/* the instant comes last, as in a real campaign: created 3 days ahead,
	 * its commit instant (24 h before the release) has not passed, so the
	 * commitments made once it is moved cover the engagement and nothing
	 * must be committed again at the release (which is never prepared) */
	iso(time(NULL) + lead, when);
	body = ht_fmt("{\"release_at\":\"%s\",\"reason\":\"check_instant: prepared\"}", when);
	path = ht_fmt("/api/v1/campaigns/%s", id);
	r = ht_request("PATCH", path, Admin, body);
	ck_assert_msg(r->status == 200, "PATCH release_at: %ld %s", r->status, r->body);
	ht_resp_free(r);
	free(body);
	free(path);
	return slug;
}

/* 1 once metric name exceeds before (within secs), checking that slug stays unpublished. */
static int
prepared_since(const char *name, long long before, const char *slug, int secs)
{
	for (int i = 0; i < secs * 10; i++) {
		ck_assert_msg(status_of("/api/v1/publications/", slug, "") == 404,
		              "%s is visible before its instant", slug);
		if (metric(name) > before)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* The published document of slug (waits up to 20 s), malloc'd. */
static char *
published_doc(const char *slug)
{
	char *path = ht_fmt("/api/v1/publications/%s", slug), *doc = NULL;

	for (int i = 0; i < 200 && doc == NULL; i++) {
		struct ht_resp *r = ht_request("GET", path, NULL, NULL);

		if (r->status == 200)
			doc = ht_fmt("%s", r->body);
		ht_resp_free(r);
		if (doc == NULL)
			usleep(100000);
	}
	free(path);
	ck_assert_msg(doc != NULL, "%s was not published within 20 s", slug);
	return doc;
}

START_TEST(test_prepared_release_is_published)
{
	char id[64], eng[64], *text = ht_unique("prepared_first");
	long long preps = metric("lockstep_scheduler_preparations_total");
	long long used = metric("lockstep_scheduler_prepared_total");
	char *slug = prepared_campaign(6, text, id, eng), *doc;

	ck_assert_msg(preps >= 0 && used >= 0, "no preparation counters in /metrics");
	/* prepared within LOCKSTEP_RELEASE_PREPARE_MS (30 s) of the instant: at once */
	ck_assert_msg(prepared_since("lockstep_scheduler_preparations_total", preps, slug, 5),
	              "%s was not prepared before its instant", slug);
	/* prepared, and still nothing to see: neither the document nor the page */
	ck_assert_int_eq(status_of("/api/v1/publications/", slug, ""), 404);
	ck_assert_int_eq(status_of("/p/", slug, ""), 404);
	ck_assert_int_eq(status_of("/api/v1/publications/", slug, "/signature"), 404);
	doc = published_doc(slug);
	ck_assert_msg(strstr(doc, text) != NULL, "the claim is not in the document: %s", doc);
	ck_assert_msg(metric("lockstep_scheduler_prepared_total") > used,
	              "the release did not use the prepared document");
	/* the 404s asked above were remembered: the release made them stale at once */
	ck_assert_int_eq(status_of("/p/", slug, ""), 200);
	ck_assert_int_eq(status_of("/api/v1/publications/", slug, "/signature"), 200);
	free(doc);
	free(slug);
	free(text);
}
END_TEST

START_TEST(test_change_after_preparation_is_published)
{
	char id[64], eng[64], *first = ht_unique("prepared_old"),
	                      *second = ht_unique("prepared_new");
	long long preps = metric("lockstep_scheduler_preparations_total");
	char *slug = prepared_campaign(7, first, id, eng), *doc;

	ck_assert_msg(prepared_since("lockstep_scheduler_preparations_total", preps, slug, 6),
	              "%s was not prepared before its instant", slug);
	/* the claim changes after the preparation, before the instant */
	put_claim(eng, second);
	doc = published_doc(slug);
	ck_assert_msg(strstr(doc, second) != NULL, "the changed claim is not published: %s", doc);
	ck_assert_msg(strstr(doc, first) == NULL, "the prepared (stale) claim was published: %s",
	              doc);
	free(doc);
	free(slug);
	free(first);
	free(second);
}
END_TEST

/* PUT the engagement's emulation (issue 14) as the firm: capability, one access kind, days. */
static void
put_emulation(const char *eng, const char *capability, int days)
{
	char *path = ht_fmt("/api/v1/engagements/%s/emulation", eng);
	char *body = ht_fmt("{\"capability\":\"%s\",\"access\":[\"insider\"],\"person_days\":%d}",
	                    capability, days);
	struct ht_resp *r = ht_request("PUT", path, Firm.admin.token, body);

	ck_assert_msg(r->status == 200 || r->status == 201, "emulation: %ld %s", r->status,
	              r->body);
	ht_resp_free(r);
	free(body);
	free(path);
}

/*
 * The security levels (0018) are part of what is prepared and of what the
 * instant compares (0021): a prepared release carries the emulation, and
 * an emulation changed after the preparation is published as changed.
 */
START_TEST(test_levels_change_after_preparation_is_published)
{
	char id[64], eng[64], *text = ht_unique("prepared_levels");
	long long preps = metric("lockstep_scheduler_preparations_total");
	char *slug = prepared_campaign(8, text, id, eng), *doc;

	put_emulation(eng, "OC2", 11);
	/* (the other tests assert that a release is prepared; a loaded machine
	 * may prepare this one late, which only makes this test weaker) */
	(void)prepared_since("lockstep_scheduler_preparations_total", preps, slug, 5);
	/* a round later the prepared document has OC2; now it changes before the instant */
	usleep(1500000);
	ck_assert_int_eq(status_of("/api/v1/publications/", slug, ""), 404);
	put_emulation(eng, "OC4", 23);
	doc = published_doc(slug);
	ck_assert_msg(strstr(doc, "\"capability\":\"OC4\"") != NULL,
	              "the changed emulation is not published: %s", doc);
	ck_assert_msg(strstr(doc, "\"capability\":\"OC2\"") == NULL,
	              "the prepared (stale) emulation was published: %s", doc);
	free(doc);
	free(slug);
	free(text);
}
END_TEST

/* One SQL value as the application role under identity kind (malloc'd or NULL). */
static char *
app_value(PGconn *c, const char *kind, const char *sql)
{
	char *set = ht_fmt("SELECT set_config('lockstep.org_kind', '%s', false),"
	                   " set_config('lockstep.user_id', '', false)",
	                   kind);
	char *v = ht_db_value(c, set, NULL);
	int ok = 0;

	free(v);
	free(set);
	v = ht_db_value(c, sql, &ok);
	ck_assert_msg(ok, "%s failed", sql);
	return v;
}

START_TEST(test_ahead_readers_are_bounded)
{
	PGconn *c = PQconnectdb(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
	char id[64], *slug = campaign_at(time(NULL) + 3600, id), *sql, *v;
	static const char *const fns[] = {"release_inputs_ahead", "review_release_inputs_ahead",
	                                  "release_withheld_ahead"};

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "app DSN: %s", PQerrorMessage(c));
	/* an hour ahead is beyond the 60 s cap, whatever the caller asks */
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		sql = ht_fmt("SELECT %s('%s'::uuid, 2000000000)", fns[i], id);
		v = app_value(c, "scheduler", sql);
		/* review_release_inputs answers {} when it may not answer */
		ck_assert_msg(v == NULL || strcmp(v, "{}") == 0, "%s answered an hour ahead: %s",
		              fns[i], v);
		free(v);
		free(sql);
	}
	sql = ht_fmt("SELECT count(*) FROM commitments_for_release_ahead('%s'::uuid, 2000000000)",
	             id);
	v = app_value(c, "scheduler", sql);
	ck_assert_str_eq(v, "0");
	free(v);
	free(sql);
	sql = ht_fmt("SELECT release_stamp('%s'::uuid, 2000000000)", id);
	v = app_value(c, "scheduler", sql);
	ck_assert_msg(v == NULL, "release_stamp answered an hour ahead");
	free(sql);
	free(slug);
	/* a campaign a few seconds ahead: the scheduler may read it, nobody else */
	slug = campaign_at(time(NULL) + 30, id);
	sql = ht_fmt("SELECT release_inputs_ahead('%s'::uuid, 60000) IS NOT NULL", id);
	v = app_value(c, "scheduler", sql);
	ck_assert_str_eq(v, "t");
	free(v);
	v = app_value(c, "coordinator", sql);
	ck_assert_str_eq(v, "f");
	free(v);
	v = app_value(c, "", sql);
	ck_assert_str_eq(v, "f");
	free(v);
	free(sql);
	sql = ht_fmt("SELECT count(*) FROM release_peek(60000) WHERE campaign_id = '%s'", id);
	v = app_value(c, "company", sql);
	ck_assert_str_eq(v, "0");
	free(v);
	free(sql);
	/* the application role cannot make them write or change their bound */
	sql = ht_fmt("SELECT release_inputs_ahead('%s'::uuid, 0) IS NULL", id);
	v = app_value(c, "scheduler", sql);
	ck_assert_str_eq(v, "t");
	free(v);
	free(sql);
	free(slug);
	PQfinish(c);
}
END_TEST

START_TEST(test_ahead_readers_match_their_originals)
{
	PGconn *c = PQconnectdb(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	static const char *const fns[] = {"release_inputs", "review_release_inputs",
	                                  "release_withheld", "commitments_for_release"};

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "owner DSN: %s", PQerrorMessage(c));
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		/* the variant with its bound and name put back is the original */
		char *sql = ht_fmt(
		    "SELECT "
		    "replace(replace(pg_get_functiondef('%s_ahead(uuid,integer)'::regprocedure),"
		    " 'c.release_at <= now() + make_interval(secs => least(greatest(p_ahead_ms, 0),"
		    " 60000) / 1000.0)', 'c.release_at <= now()'),"
		    " '%s_ahead(p_campaign uuid, p_ahead_ms integer)', '%s(p_campaign uuid)')"
		    " = pg_get_functiondef('%s(uuid)'::regprocedure)",
		    fns[i], fns[i], fns[i], fns[i]);
		int ok = 0;
		char *v = ht_db_value(c, sql, &ok);

		ck_assert_msg(ok && v != NULL && strcmp(v, "t") == 0,
		              "%s_ahead differs from %s: regenerate it (see sql/0019_perf.sql)",
		              fns[i], fns[i]);
		free(v);
		free(sql);
	}
	PQfinish(c);
}
END_TEST

/* Run sql on c (ht_db_exec); fails the test unless it succeeds. */
static void
exec_ok(PGconn *c, const char *sql)
{
	char st[6];

	ck_assert_msg(ht_db_exec(c, sql, st) == 0, "%s (SQLSTATE %s): %s", sql, st,
	              PQerrorMessage(c));
}

/* The app role as the scheduler (no user): one value (malloc'd). */
static char *
sched_value(PGconn *c, const char *sql)
{
	return app_value(c, "scheduler", sql);
}

START_TEST(test_change_marker_covers_every_input)
{
	PGconn *c = PQconnectdb(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	static const char *const must[] = {
	    "campaigns",   "engagements",       "findings",         "claims",
	    "statements",  "orgs",              "review_states",    "release_withholds",
	    "commitments", "engagement_emulations", "tlog_commitments", "publications",
	    "engagement_secrets"};
	char *v;
	int ok = 0;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "owner DSN: %s", PQerrorMessage(c));
	v = ht_db_value(c,
	                "SELECT coalesce(string_agg(t.tbl::text, ' '), '') FROM release_input_tables() t"
	                " WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.tbl"
	                " AND g.tgname = 'release_input_changed')",
	                &ok);
	ck_assert_msg(ok && v != NULL && v[0] == '\0',
	              "tables the release reads without the change marker's trigger: %s"
	              " (SELECT release_input_track() in the migration that made them read)",
	              v ? v : "?");
	free(v);
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		char *q = ht_fmt("SELECT count(*) FROM release_input_tables() t"
		                 " WHERE t.tbl = '%s'::regclass",
		                 must[i]);

		ck_assert_msg(ht_db_count_conn(c, q) == 1, "the walk did not find %s", must[i]);
		free(q);
	}
	PQfinish(c);
}
END_TEST

START_TEST(test_change_marker_sees_late_commits)
{
	PGconn *a = PQconnectdb(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
	PGconn *b = PQconnectdb(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char id[64], *slug = campaign_at(time(NULL) + 3 * 86400, id), *snap, *q, *v, *upd;
	int clean = 0;

	ck_assert_msg(PQstatus(a) == CONNECTION_OK && PQstatus(b) == CONNECTION_OK, "DSNs");
	upd = ht_fmt("UPDATE campaigns SET title = title WHERE id = '%s'", id);
	/* a write committed after the snapshot */
	snap = sched_value(a, "SELECT pg_current_snapshot()::text");
	ck_assert_ptr_nonnull(snap);
	exec_ok(b, upd);
	q = ht_fmt("SELECT release_inputs_changed_since('%s')", snap);
	v = sched_value(a, q);
	ck_assert_msg(v != NULL && strcmp(v, "t") == 0, "a committed write was not seen");
	free(v);
	free(q);
	free(snap);
	/* a transaction already running when the snapshot is taken, committed after */
	exec_ok(b, "BEGIN");
	exec_ok(b, upd);
	snap = sched_value(a, "SELECT pg_current_snapshot()::text");
	exec_ok(b, "COMMIT");
	q = ht_fmt("SELECT release_inputs_changed_since('%s')", snap);
	v = sched_value(a, q);
	ck_assert_msg(v != NULL && strcmp(v, "t") == 0,
	              "a write running at the snapshot and committed after it was not seen");
	free(v);
	/* anyone but the scheduler always hears "changed" */
	v = app_value(a, "coordinator", q);
	ck_assert_msg(v != NULL && strcmp(v, "t") == 0, "the coordinator was told \"unchanged\"");
	free(v);
	free(q);
	free(snap);
	/* and "unchanged" is said when nothing was written (other tests write
	 * meanwhile: one clean answer in 50 tries) */
	for (int i = 0; i < 50 && !clean; i++) {
		snap = sched_value(a, "SELECT pg_current_snapshot()::text");
		q = ht_fmt("SELECT release_inputs_changed_since('%s')", snap);
		v = sched_value(a, q);
		clean = v != NULL && strcmp(v, "f") == 0;
		free(v);
		free(q);
		free(snap);
		if (!clean)
			usleep(100000);
	}
	ck_assert_msg(clean, "never \"unchanged\", even right after the snapshot");
	free(upd);
	free(slug);
	PQfinish(a);
	PQfinish(b);
}
END_TEST

START_TEST(test_pending_release_events_are_written)
{
	PGconn *c = PQconnectdb(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char id[64], eng[64], *text = ht_unique("prepared_events");
	char *slug = prepared_campaign(3, text, id, eng), *doc, *q, *v;
	long long n = 0, first;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "owner DSN: %s", PQerrorMessage(c));
	doc = published_doc(slug);
	/* written after the COMMIT: the engagement's event comes, the pending row goes */
	q = ht_fmt("SELECT count(*) FROM audit_events WHERE action = 'event.release.published'"
	           " AND object_id = '%s'",
	           eng);
	for (int i = 0; i < 100 && (n = ht_db_count_conn(c, q)) < 1; i++)
		usleep(100000);
	ck_assert_msg(n == 1, "%lld events of the release for the engagement", n);
	first = n;
	/* a replica that died between the release and its events left them pending */
	v = ht_fmt("INSERT INTO release_events_pending (campaign_id, seq, slug, hash)"
	           " SELECT campaign_id, seq, slug, encode(hash, 'hex') FROM publications"
	           " WHERE campaign_id = '%s'",
	           id);
	exec_ok(c, v);
	free(v);
	for (int i = 0; i < 100 && (n = ht_db_count_conn(c, q)) <= first; i++)
		usleep(100000);
	ck_assert_msg(n == first + 1, "the pending events were not written (%lld)", n);
	v = ht_fmt("SELECT count(*) FROM release_events_pending WHERE campaign_id = '%s'", id);
	for (int i = 0; i < 50 && ht_db_count_conn(c, v) != 0; i++)
		usleep(100000);
	ck_assert_msg(ht_db_count_conn(c, v) == 0, "the pending row stayed");
	free(v);
	/* the application role cannot leave events pending or forget them */
	{
		PGconn *a = PQconnectdb(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
		int ok = 1;
		char *r;

		ck_assert_msg(PQstatus(a) == CONNECTION_OK, "app DSN");
		v = ht_fmt("SELECT release_events_defer('%s'::uuid, 1, 'x', 'y')", id);
		r = ht_db_value(a, v, &ok);
		ck_assert_msg(!ok, "a user identity deferred release events");
		free(r);
		free(v);
		r = ht_db_value(a, "DELETE FROM release_events_pending RETURNING 1", &ok);
		ck_assert_msg(!ok, "the application role wrote release_events_pending");
		free(r);
		PQfinish(a);
	}
	free(q);
	free(doc);
	free(slug);
	free(text);
	PQfinish(c);
}
END_TEST

static Suite *
instant_suite(void)
{
	Suite *s = suite_create("instant");
	TCase *tc = tcase_create("instant");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_scheduler_listens);
	tcase_add_test(tc, test_new_instant_wakes_the_scheduler);
	tcase_add_test(tc, test_instant_moved_earlier_wakes_it);
	tcase_add_test(tc, test_prepared_release_is_published);
	tcase_add_test(tc, test_change_after_preparation_is_published);
	tcase_add_test(tc, test_levels_change_after_preparation_is_published);
	tcase_add_test(tc, test_ahead_readers_are_bounded);
	tcase_add_test(tc, test_ahead_readers_match_their_originals);
	tcase_add_test(tc, test_change_marker_covers_every_input);
	tcase_add_test(tc, test_change_marker_sees_late_commits);
	tcase_add_test(tc, test_pending_release_events_are_written);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	ht_init_or_skip();
	Admin = ht_login(ht_env_req("LOCKSTEP_TEST_ADMIN_EMAIL"),
	                 ht_env_req("LOCKSTEP_TEST_ADMIN_PASSWORD"));
	if (Admin == NULL) {
		fprintf(stderr, "cannot log in as the coordinator\n");
		return 1;
	}
	{
		char err[512];

		if (ht_make_tenant(Admin, "company", "InstantCo", &Co, err, sizeof(err)) != 0 ||
		    ht_make_tenant(Admin, "assessor", "InstantFirm", &Firm, err, sizeof(err)) !=
		        0) {
			fprintf(stderr, "tenants: %s\n", err);
			return 1;
		}
	}
	rc = ht_run_suite(instant_suite());
	free(Admin);
	return rc;
}

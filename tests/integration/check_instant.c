/*
 * check_instant: the scheduler sleeps until the next instant and is woken
 * by NOTIFY (sql/0013_release_wake.sql, publish/schedule.c).
 *   - the shared lockstepd's scheduler listens (lockstep_scheduler_listening 1);
 *   - creating a campaign wakes the scheduler (lockstep_scheduler_wakes_total
 *     grows: the NOTIFY of the INSERT reached it), and the campaign is
 *     published after its instant, not before;
 *   - an instant moved earlier wakes it again and is kept.
 * Generous bounds (seconds): the timing itself is measured by
 * tests/bench/release, not asserted here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static char *Admin;

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

static Suite *
instant_suite(void)
{
	Suite *s = suite_create("instant");
	TCase *tc = tcase_create("instant");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_scheduler_listens);
	tcase_add_test(tc, test_new_instant_wakes_the_scheduler);
	tcase_add_test(tc, test_instant_moved_earlier_wakes_it);
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
	rc = ht_run_suite(instant_suite());
	free(Admin);
	return rc;
}

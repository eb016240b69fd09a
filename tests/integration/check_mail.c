/*
 * check_mail: e-mail notifications (issue 11 part 5). A lockstepd of the
 * test's own, with LOCKSTEP_SMTP_URL pointed at a receiver on loopback,
 * mails the events the shared server records (both share the database):
 * the right people and only them, links and never a text, a retry after
 * the relay said "try later", nothing for a user who turned e-mail off,
 * and the settings route with its bad input.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct ht_world W;

static struct ht_resp *
req_status(const char *method, const char *path, const char *token, const char *body, long st)
{
	struct ht_resp *r = ht_request(method, path, token, body);

	HT_ASSERT_STATUS(r, st);
	return r;
}

/* 1 if the caller's e-mail setting reads as want. */
static int
email_setting_is(const char *token, int want)
{
	struct ht_resp *r = req_status("GET", "/api/v1/me/notifications", token, NULL, 200);
	int ok = json_is_boolean(json_object_get(r->json, "email")) &&
	         json_is_true(json_object_get(r->json, "email")) == want;

	ht_resp_free(r);
	return ok;
}

/* An assessor X finding in A×X whose title and detail carry mark; its id. */
static char *
new_finding(const char *mark)
{
	char *path = ht_fmt("/api/v1/engagements/%s/findings", W.eng_ax);
	char *body = ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL",
	                                "title", mark, "detail", mark, "severity", "high"));
	struct ht_resp *r = req_status("POST", path, W.x.admin.token, body, 201);
	char *id = strdup(ht_jstr(r, "id"));

	ht_resp_free(r);
	free(body);
	free(path);
	return id;
}

/* The state of the mail queued for user about finding (superuser), malloc'd or NULL. */
static char *
mail_state(PGconn *s, const char *user, const char *finding)
{
	char *q = ht_fmt("SELECT m.state || '/' || m.attempts FROM mail_outbox m"
	                 " JOIN notifications n ON n.id = m.notification_id"
	                 " WHERE m.user_id = '%s' AND n.object_id = '%s'",
	                 user, finding);
	char *v = ht_db_value(s, q, NULL);

	free(q);
	return v;
}

START_TEST(test_settings)
{
	const char *path = "/api/v1/me/notifications";
	const char *bad[] = {
	    "{\"email\":\"yes\"}",          "{\"email\":1}", "{\"email\":null}", "{}",
	    "{\"email\":true,\"extra\":1}", "[true]",        "{\"email\":tru"};
	struct ht_resp *r;
	PGconn *o = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *q;
	long long before;

	ck_assert_ptr_nonnull(o);
	/* default on; this shared server has no relay */
	r = req_status("GET", path, W.b.admin.token, NULL, 200);
	ck_assert_msg(json_is_true(json_object_get(r->json, "email")), "%s", HT_BODY(r));
	ck_assert_msg(json_is_false(json_object_get(r->json, "mail_configured")), "%s", HT_BODY(r));
	ht_resp_free(r);
	/* anonymous: refused */
	r = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_STATUS(r, 401);
	ht_resp_free(r);
	r = ht_request("PUT", path, NULL, "{\"email\":false}");
	HT_ASSERT_STATUS(r, 401);
	ht_resp_free(r);
	/* bad input: a problem, nothing changed, nothing audited */
	q = ht_fmt("SELECT count(*) FROM audit_events WHERE action = 'account.notifications'"
	           " AND actor_user = '%s'",
	           W.b.admin.user_id);
	before = ht_db_count_conn(o, q);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = ht_request("PUT", path, W.b.admin.token, bad[i]);
		ck_assert_msg(r->status == 400 || r->status == 422, "%s: %ld %s", bad[i], r->status,
		              HT_BODY(r));
		ck_assert_msg(strncmp(r->content_type, "application/problem+json", 24) == 0 &&
		                  ht_ostr(r->json, "type") != NULL,
		              "%s: not a problem: %s", bad[i], HT_BODY(r));
		ht_resp_free(r);
		ck_assert_msg(email_setting_is(W.b.admin.token, 1), "%s changed the setting",
		              bad[i]);
	}
	ck_assert_int_eq(ht_db_count_conn(o, q), before);
	/* off, then on again: each audited; another user's setting untouched */
	r = req_status("PUT", path, W.b.admin.token, "{\"email\":false}", 200);
	ck_assert_msg(json_is_false(json_object_get(r->json, "email")), "%s", HT_BODY(r));
	ht_resp_free(r);
	ck_assert(email_setting_is(W.b.admin.token, 0));
	ck_assert_msg(email_setting_is(W.a.admin.token, 1), "another user's setting changed");
	ck_assert_int_eq(ht_db_count_conn(o, q), before + 1);
	r = req_status("PUT", path, W.b.admin.token, "{\"email\":true}", 200);
	ht_resp_free(r);
	ck_assert(email_setting_is(W.b.admin.token, 1));
	ck_assert_int_eq(ht_db_count_conn(o, q), before + 2);
	free(q);
	PQfinish(o);
}
END_TEST

/* The app role can neither read the queue nor claim from it as a user. */
START_TEST(test_queue_closed)
{
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
	char st[6];
	char *as_user = ht_fmt("BEGIN; SELECT set_config('lockstep.user_id', '%s', true), "
	                       "set_config('lockstep.org_id', '%s', true), "
	                       "set_config('lockstep.org_kind', 'company', true), "
	                       "set_config('lockstep.role', 'admin', true)",
	                       W.a.admin.user_id, W.a.org_id);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(ht_db_exec(c, "SELECT count(*) FROM mail_outbox", st) != 0 &&
	                  strcmp(st, "42501") == 0,
	              "the app reads mail_outbox (%s)", st);
	ck_assert_int_eq(ht_db_exec(c, as_user, st), 0);
	ck_assert_msg(ht_db_exec(c, "SELECT * FROM mail_claim(10, 60, 0, 3600)", st) != 0 &&
	                  strcmp(st, "42501") == 0,
	              "a user claims mail (%s)", st);
	ht_db_exec(c, "ROLLBACK", st);
	/* a user cannot set another user's preference */
	ck_assert_int_eq(ht_db_exec(c, as_user, st), 0);
	{
		char *ins = ht_fmt("INSERT INTO mail_prefs (user_id, email) VALUES ('%s', false)",
		                   W.b.admin.user_id);

		ck_assert_msg(ht_db_exec(c, ins, st) != 0 && strcmp(st, "42501") == 0,
		              "a user set another user's mail preference (%s)", st);
		free(ins);
	}
	ht_db_exec(c, "ROLLBACK", st);
	free(as_user);
	PQfinish(c);
}
END_TEST

/*
 * The mail itself: company A's admin is told of a finding X recorded, with
 * a link and without its text or any name; the relay's first "451 try
 * later" is retried; B's admin (not a party) and X's admin (the actor)
 * get nothing; after A's admin turns e-mail off nothing more is queued.
 */
START_TEST(test_mailed)
{
	struct ht_smtp rx;
	struct ht_server s;
	PGconn *su = ht_db_open(ht_env_req("LOCKSTEP_TEST_SUPER_DSN"));
	char *smtp, *mark = ht_unique("mail-must-not-carry-this"), *f1, *f2, *got, *st = NULL;
	char *rcpt_a, *rcpt_b, *rcpt_x, *link;
	const char *env[] = {NULL,
	                     "LOCKSTEP_SMTP_FROM=lockstep@sender.test",
	                     "LOCKSTEP_PUBLIC_URL=https://lockstep.example/",
	                     "LOCKSTEP_MAIL_INTERVAL=0",
	                     "LOCKSTEP_MAIL_BACKOFF_MS=200",
	                     "LOCKSTEP_WEBHOOK_INTERVAL_MS=100",
	                     NULL};
	struct ht_resp *r;
	char sqlst[6];

	ck_assert_ptr_nonnull(su);
	/* older news of other suites is not this test's to receive */
	ck_assert_int_eq(
	    ht_db_exec(su, "UPDATE mail_outbox SET state = 'skipped' WHERE state = 'pending'",
	               sqlst),
	    0);
	ck_assert_int_eq(ht_smtp_start(&rx, 200, 1), 0);
	smtp = ht_fmt("LOCKSTEP_SMTP_URL=smtp://127.0.0.1:%d", rx.port);
	env[0] = smtp;
	ck_assert_msg(ht_server_start(&s, 0, env) == 0, "lockstepd with SMTP did not start");
	r = ht_request("GET", "/api/v1/me/notifications", W.a.admin.token, NULL);
	ht_resp_free(r);

	f1 = new_finding(mark);
	/* queued at once, in the transaction of the change */
	st = mail_state(su, W.a.admin.user_id, f1);
	ck_assert_msg(st != NULL, "no mail queued for A's admin");
	free(st);
	st = NULL;
	for (int i = 0; i < 300; i++) {
		free(st);
		st = mail_state(su, W.a.admin.user_id, f1);
		if (st != NULL && strncmp(st, "sent/", 5) == 0)
			break;
		usleep(100000);
	}
	ck_assert_msg(st != NULL && strcmp(st, "sent/2") == 0,
	              "the mail was not sent on the second attempt: %s", st ? st : "(none)");
	free(st);
	got = ht_smtp_text(&rx);
	rcpt_a = ht_fmt("RCPT TO:<%s>", W.a.admin.email);
	rcpt_b = ht_fmt("RCPT TO:<%s>", W.b.admin.email);
	rcpt_x = ht_fmt("RCPT TO:<%s>", W.x.admin.email);
	link = ht_fmt("https://lockstep.example/#/findings/%s", f1);
	ck_assert_msg(strstr(got, rcpt_a) != NULL, "nothing for A's admin: %s", got);
	ck_assert_msg(strstr(got, "MAIL FROM:<lockstep@sender.test>") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "Subject: lockstep: A finding was recorded") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "Auto-Submitted: auto-generated") != NULL, "%s", got);
	ck_assert_msg(strstr(got, link) != NULL, "the mail lacks the link %s: %s", link, got);
	ck_assert_msg(strstr(got, mark) == NULL, "the mail carries the finding's text");
	ck_assert_msg(strstr(got, W.a.org_name) == NULL && strstr(got, W.x.org_name) == NULL,
	              "the mail names an org");
	ck_assert_msg(strstr(got, rcpt_b) == NULL, "company B's admin was mailed about A");
	ck_assert_msg(strstr(got, rcpt_x) == NULL, "the actor was mailed about their own change");
	free(got);

	/* off: the next event queues nothing for A's admin (the inbox still has it) */
	r = req_status("PUT", "/api/v1/me/notifications", W.a.admin.token, "{\"email\":false}",
	               200);
	ht_resp_free(r);
	f2 = new_finding(mark);
	{
		char *q = ht_fmt("SELECT count(*) FROM notifications WHERE user_id = '%s'"
		                 " AND object_id = '%s'",
		                 W.a.admin.user_id, f2);

		ck_assert_int_eq(ht_db_count_conn(su, q), 1);
		free(q);
	}
	st = mail_state(su, W.a.admin.user_id, f2);
	ck_assert_msg(st == NULL, "mail queued for a user who turned it off: %s", st);
	r = req_status("PUT", "/api/v1/me/notifications", W.a.admin.token, "{\"email\":true}", 200);
	ht_resp_free(r);

	ht_server_stop(&s, SIGTERM);
	ht_server_free(&s);
	ht_smtp_stop(&rx);
	free(link);
	free(rcpt_a);
	free(rcpt_b);
	free(rcpt_x);
	free(f1);
	free(f2);
	free(mark);
	free(smtp);
	PQfinish(su);
}
END_TEST

static Suite *
mail_suite(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("mail");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_queue_closed);
	tcase_add_test(tc, test_mailed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, mail_suite);
}

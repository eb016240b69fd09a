/*
 * Unit tests for notify: the webhook URL rule (SSRF stance) and the event
 * type list. The address check at connect time is the same function
 * (notify_addr_allowed) these literal hosts reach.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "notify/notify.h"
#include "util/peer.h"

static const struct {
	const char *url;
	int ok;
} url_cases[] = {
    {"https://hooks.example.com/lockstep", 1},
    {"http://hooks.example.com:8080/x?y=1", 1},
    {"https://93.184.216.34/hook", 1},
    {"https://[2606:2800:220:1:248:1893:25c8:1946]/hook", 1},
    {"ftp://hooks.example.com/", 0},
    {"file:///etc/passwd", 0},
    {"gopher://example.com/", 0},
    {"javascript:alert(1)", 0},
    {"hooks.example.com/no-scheme", 0},
    {"http://", 0},
    {"http://user:pw@example.com/", 0},
    {"http://example.com/a b", 0},
    {"http://example.com/\x01", 0},
    {"https://ex\xd0\xb0mple.com/", 0},
    {"http://127.0.0.1/", 0},
    {"http://127.1.2.3:9000/", 0},
    {"http://localhost.localdomain@127.0.0.1/", 0},
    {"http://10.0.0.1/", 0},
    {"http://172.16.5.4/", 0},
    {"http://192.168.1.1/", 0},
    {"http://169.254.169.254/latest/meta-data/", 0},
    {"http://100.64.0.1/", 0},
    {"http://0.0.0.0/", 0},
    {"http://224.0.0.1/", 0},
    {"http://[::1]/", 0},
    {"http://[fe80::1]/", 0},
    {"http://[fd00::1]/", 0},
    {"http://[::ffff:127.0.0.1]/", 0},
    {"http://[::ffff:169.254.169.254]/", 0},
    {"http://0x7f000001/", 0},
    {"http://2130706433/", 0},
    {"http://0177.0.0.1/", 0},
    {"http://127.1/", 0},
};

START_TEST(test_url_rule)
{
	char why[160];

	config.n_webhook_allow_nets = 0;
	for (size_t i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		int got = notify_url_check(url_cases[i].url, why, sizeof(why)) == 0;

		ck_assert_msg(got == url_cases[i].ok, "case %zu \"%s\": %s (%s)", i,
		              url_cases[i].url, got ? "accepted" : "refused", got ? "" : why);
		if (!got)
			ck_assert_msg(why[0] != '\0', "case %zu refused without a reason", i);
	}
}
END_TEST

/* LOCKSTEP_WEBHOOK_ALLOW_NETS opens exactly the networks it names. */
START_TEST(test_allow_nets)
{
	char why[160], err[120];
	int n = peer_parse_nets("127.0.0.0/8", config.webhook_allow_nets, PEER_MAX_NETS, err,
	                        sizeof(err));

	ck_assert_int_eq(n, 1);
	config.n_webhook_allow_nets = 1;
	ck_assert_int_eq(notify_url_check("http://127.0.0.1:8080/hook", why, sizeof(why)), 0);
	ck_assert_int_eq(notify_url_check("http://169.254.169.254/", why, sizeof(why)), -1);
	ck_assert_int_eq(notify_url_check("http://[::1]/", why, sizeof(why)), -1);
	/* still no obfuscated forms */
	ck_assert_int_eq(notify_url_check("http://0x7f000001/", why, sizeof(why)), -1);
	config.n_webhook_allow_nets = 0;
	ck_assert_int_eq(notify_url_check("http://127.0.0.1:8080/hook", why, sizeof(why)), -1);
}
END_TEST

START_TEST(test_event_types)
{
	size_t n = 0;

	for (; notify_event_types[n] != NULL; n++) {
		ck_assert_int_eq(notify_event_known(notify_event_types[n]), 1);
		for (size_t k = 0; k < n; k++)
			ck_assert_str_ne(notify_event_types[k], notify_event_types[n]);
	}
	ck_assert_uint_ge(n, 7);
	ck_assert_int_eq(notify_event_known("finding.comment"), 1);
	ck_assert_int_eq(notify_event_known("Finding.Comment"), 0);
	ck_assert_int_eq(notify_event_known(""), 0);
	ck_assert_int_eq(notify_event_known("finding.comment "), 0);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");

	tcase_add_test(tc, test_url_rule);
	tcase_add_test(tc, test_allow_nets);
	tcase_add_test(tc, test_event_types);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(notify_suite());
	int number_failed;

	srunner_run_all(sr, CK_NORMAL);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}

/* Unit tests for http/limits.c: framing, content type, bounded bodies. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/conntrack.h"
#include "http/limits.h"
#include "util/peer.h"

START_TEST(test_framing)
{
	long long d;

	ck_assert_int_eq(limits_check_framing(0, NULL, 0, 100, &d), LIMITS_FRAMING_OK);
	ck_assert_int_eq(d, -1);
	ck_assert_int_eq(limits_check_framing(1, "100", 0, 100, &d), LIMITS_FRAMING_OK);
	ck_assert_int_eq(d, 100);
	ck_assert_int_eq(limits_check_framing(1, "101", 0, 100, &d), LIMITS_FRAMING_TOO_LARGE);
	ck_assert_int_eq(limits_check_framing(2, "10", 0, 100, &d), LIMITS_FRAMING_AMBIGUOUS);
	ck_assert_int_eq(limits_check_framing(1, "10", 1, 100, &d), LIMITS_FRAMING_AMBIGUOUS);
	ck_assert_int_eq(limits_check_framing(0, NULL, 2, 100, &d), LIMITS_FRAMING_AMBIGUOUS);
	ck_assert_int_eq(limits_check_framing(0, NULL, 1, 100, &d), LIMITS_FRAMING_OK);
	ck_assert_int_eq(limits_check_framing(1, "-1", 0, 100, &d), LIMITS_FRAMING_BAD_LENGTH);
	ck_assert_int_eq(limits_check_framing(1, "1e3", 0, 100, &d), LIMITS_FRAMING_BAD_LENGTH);
	ck_assert_int_eq(limits_check_framing(1, " 10", 0, 100, &d), LIMITS_FRAMING_BAD_LENGTH);
	ck_assert_int_eq(limits_check_framing(1, "99999999999999999999999", 0, 100, &d),
	                 LIMITS_FRAMING_BAD_LENGTH);
}
END_TEST

START_TEST(test_json_type)
{
	ck_assert_int_eq(limits_is_json_type("application/json"), 1);
	ck_assert_int_eq(limits_is_json_type("Application/JSON"), 1);
	ck_assert_int_eq(limits_is_json_type("application/json; charset=utf-8"), 1);
	ck_assert_int_eq(limits_is_json_type("application/json;charset=UTF-8"), 1);
	ck_assert_int_eq(limits_is_json_type("application/json; charset=latin1"), 0);
	ck_assert_int_eq(limits_is_json_type("application/jsonx"), 0);
	ck_assert_int_eq(limits_is_json_type("text/plain"), 0);
	ck_assert_int_eq(limits_is_json_type(""), 0);
	ck_assert_int_eq(limits_is_json_type(NULL), 0);
}
END_TEST

START_TEST(test_body_append)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	ck_assert_int_eq(limits_body_append(&buf, &len, &cap, 10, "hello", 5), 0);
	ck_assert_int_eq(limits_body_append(&buf, &len, &cap, 10, "world", 5), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "helloworld");
	ck_assert_int_eq(limits_body_append(&buf, &len, &cap, 10, "!", 1), -1);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "helloworld");
	ck_assert_uint_le(cap, 11);
	free(buf);
}
END_TEST

START_TEST(test_chunked_only)
{
	ck_assert_int_eq(limits_is_chunked("chunked"), 1);
	ck_assert_int_eq(limits_is_chunked("Chunked"), 1);
	ck_assert_int_eq(limits_is_chunked("xchunked"), 0);
	ck_assert_int_eq(limits_is_chunked("chunked, gzip"), 0);
	ck_assert_int_eq(limits_is_chunked("gzip, chunked"), 0);
	ck_assert_int_eq(limits_is_chunked(" chunked"), 0);
	ck_assert_int_eq(limits_is_chunked(""), 0);
	ck_assert_int_eq(limits_is_chunked(NULL), 0);
}
END_TEST

static const struct {
	const char *target;
	enum limits_target want;
} target_cases[] = {
    {"/healthz", LIMITS_TARGET_OK},          {"/p/a%2Fb", LIMITS_TARGET_OK},
    {"/p/a%7e?x=%41%42", LIMITS_TARGET_OK},  {"/p/x%00junk", LIMITS_TARGET_BAD_PATH},
    {"/p/x%0", LIMITS_TARGET_BAD_PATH},      {"/p/x%", LIMITS_TARGET_BAD_PATH},
    {"/p/x%g0", LIMITS_TARGET_BAD_PATH},     {"/p/x\x01", LIMITS_TARGET_BAD_PATH},
    {"/p/x\x7f", LIMITS_TARGET_BAD_PATH},    {"/p/x?a=%00", LIMITS_TARGET_BAD_QUERY},
    {"/p/x?a=%zz", LIMITS_TARGET_BAD_QUERY}, {"/p/x?a=\t", LIMITS_TARGET_BAD_QUERY},
    {"/p/x?a=%%", LIMITS_TARGET_BAD_QUERY},
};

START_TEST(test_target)
{
	ck_assert_msg(limits_check_target(target_cases[_i].target) == target_cases[_i].want,
	              "case %d", _i);
}
END_TEST

/* Header blocks in libmicrohttpd's parsed form: CR LF -> "\0\0", LF -> "\0", first ':' -> "\0". */
static const struct {
	const char *name;
	const char *block; /* starting just after the HTTP version */
	size_t len;
	int ok;
} head_cases[] = {
#define HC(name, lit, ok)                                                                          \
	{                                                                                          \
		name, lit, sizeof(lit) - 1, ok                                                     \
	}
    HC("two headers", "\0\0Host\0 t\0\0X-A\0 1\0\0\0\0", 1),
    HC("empty value", "\0\0Host\0 t\0\0X-A\0\0\0\0\0", 1),
    HC("no headers", "\0\0\0\0", 1),
    HC("obs-text value", "\0\0Host\0 t\0\0X-A\0 \xc3\xa9\0\0\0\0", 1),
    HC("tab in value", "\0\0X-A\0 a\tb\0\0\0\0", 1),
    HC("bare LF after request line", "\0Host\0 t\0\0\0\0", 0),
    HC("bare LF after a header", "\0\0Host\0 t\0X-A\0 1\0\0\0\0", 0),
    HC("bare LF ends the head", "\0\0Host\0 t\0\0\0", 0),
    HC("obs-fold", "\0\0Host\0 t\0\0 more\0\0\0\0", 0),
    HC("obs-fold with tab", "\0\0Host\0 t\0\0\tmore\0\0\0\0", 0),
    HC("space before colon", "\0\0Content-Length \0 60\0\0\0\0", 0),
    HC("empty name", "\0\0\0 v\0\0\0\0", 0),
    HC("bare CR in value", "\0\0X-A\0 a\rb\0\0\0\0", 0),
    HC("control in value", "\0\0X-A\0 a\x01\0\0\0\0", 0),
    HC("DEL in value", "\0\0X-A\0 a\x7f\0\0\0\0", 0),
    HC("name with slash", "\0\0X/A\0 1\0\0\0\0", 0),
    HC("trailing bytes", "\0\0\0\0x", 0),
    HC("truncated", "\0\0Host\0 t", 0),
#undef HC
};

START_TEST(test_head)
{
	const char *b = head_cases[_i].block;
	const char *why = limits_check_head(b, b + head_cases[_i].len);

	ck_assert_msg((why == NULL) == head_cases[_i].ok, "%s: %s", head_cases[_i].name,
	              why ? why : "accepted");
}
END_TEST

START_TEST(test_conntrack_judge)
{
	struct conntrack_limits lim = {
	    .head_timeout_ms = 10000, .min_rate = 1024, .rate_window_ms = 10000};

	/* request heads: a deadline from the start of the phase, whatever arrives */
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_HEAD, 0, 0, 0, 9999), CONNTRACK_KEEP);
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_HEAD, 0, 0, 1 << 20, 10000),
	                 CONNTRACK_HEAD_TIMEOUT);
	/* bodies: judged once per window */
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 0, 0, 9999), CONNTRACK_KEEP);
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 0, 10239, 10000),
	                 CONNTRACK_TOO_SLOW);
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 0, 10240, 10000),
	                 CONNTRACK_NEW_WINDOW);
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 5000, 5000, 14999),
	                 CONNTRACK_KEEP);
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 5000, 5000, 15000),
	                 CONNTRACK_TOO_SLOW);
	/* a late judgement measures the rate over the time really elapsed */
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 0, 15000, 20000),
	                 CONNTRACK_TOO_SLOW);
	/* handlers and replies: no deadline here */
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BUSY, 0, 0, 0, 1000000), CONNTRACK_KEEP);
	/* 0 turns a rule off */
	lim.head_timeout_ms = 0;
	lim.min_rate = 0;
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_HEAD, 0, 0, 0, 1000000), CONNTRACK_KEEP);
	ck_assert_int_eq(conntrack_judge(&lim, CONNTRACK_BODY, 0, 0, 0, 1000000), CONNTRACK_KEEP);
}
END_TEST

START_TEST(test_peer_nets)
{
	struct peer_net nets[PEER_MAX_NETS];
	struct peer_addr a;
	char err[128], text[PEER_TEXT_MAX];
	int n;

	n = peer_parse_nets("127.0.0.1, 10.0.0.0/8 fd00::/8", nets, PEER_MAX_NETS, err,
	                    sizeof(err));
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(peer_parse_addr("127.0.0.1", 9, &a), 0);
	ck_assert_int_eq(peer_in_nets(&a, nets, (size_t)n), 1);
	ck_assert_int_eq(peer_parse_addr("127.0.0.2", 9, &a), 0);
	ck_assert_int_eq(peer_in_nets(&a, nets, (size_t)n), 0);
	ck_assert_int_eq(peer_parse_addr("10.255.1.2", 10, &a), 0);
	ck_assert_int_eq(peer_in_nets(&a, nets, (size_t)n), 1);
	ck_assert_int_eq(peer_parse_addr("11.0.0.1", 8, &a), 0);
	ck_assert_int_eq(peer_in_nets(&a, nets, (size_t)n), 0);
	ck_assert_int_eq(peer_parse_addr("fd12::1", 7, &a), 0);
	ck_assert_int_eq(peer_in_nets(&a, nets, (size_t)n), 1);
	ck_assert_int_eq(peer_parse_addr("fe80::1", 7, &a), 0);
	ck_assert_int_eq(peer_in_nets(&a, nets, (size_t)n), 0);
	peer_format_addr(&a, text, sizeof(text));
	ck_assert_str_eq(text, "fe80::1");
	ck_assert_int_eq(peer_parse_addr("192.0.2.7", 9, &a), 0);
	peer_format_addr(&a, text, sizeof(text));
	ck_assert_str_eq(text, "192.0.2.7");
	ck_assert_int_eq(peer_parse_nets("", nets, PEER_MAX_NETS, err, sizeof(err)), 0);
	ck_assert_int_eq(peer_parse_nets("10.0.0.0/33", nets, PEER_MAX_NETS, err, sizeof(err)), -1);
	ck_assert_int_eq(peer_parse_nets("10.0.0.0/", nets, PEER_MAX_NETS, err, sizeof(err)), -1);
	ck_assert_int_eq(peer_parse_nets("example.org", nets, PEER_MAX_NETS, err, sizeof(err)), -1);
	ck_assert_int_eq(peer_parse_nets("::/129", nets, PEER_MAX_NETS, err, sizeof(err)), -1);
	ck_assert_int_eq(peer_parse_nets("1.2.3.4, 5.6.7.8", nets, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(peer_parse_addr("1.2.3.4:80", 10, &a), -1);
}
END_TEST

static const struct {
	const char *forwarded, *xff;
	const char *client; /* NULL: no client found, keep the peer */
} fwd_cases[] = {
    {NULL, "198.51.100.7", "198.51.100.7"},
    {NULL, "198.51.100.7, 10.0.0.2", "198.51.100.7"},
    {NULL, "6.6.6.6, 198.51.100.7", "198.51.100.7"}, /* spoofed left part ignored */
    {NULL, "198.51.100.7:4711", "198.51.100.7"},
    {NULL, "2001:db8::1", "2001:db8::1"},
    {NULL, "[2001:db8::1]:80", "2001:db8::1"},
    {NULL, "10.0.0.2, 10.0.0.3", "10.0.0.2"}, /* all trusted: the leftmost */
    {NULL, "unknown", NULL},
    {NULL, "garbage, 198.51.100.7", "198.51.100.7"},
    {NULL, "198.51.100.7, garbage", NULL},
    {NULL, "", NULL},
    {"for=192.0.2.60;proto=http;by=203.0.113.43", NULL, "192.0.2.60"},
    {"for=\"[2001:db8:cafe::17]:4711\"", NULL, "2001:db8:cafe::17"},
    {"for=192.0.2.43, for=198.51.100.17", NULL, "198.51.100.17"},
    {"for=192.0.2.43, for=10.0.0.9", "1.1.1.1", "192.0.2.43"}, /* Forwarded wins */
    {"proto=https", NULL, NULL},
    {"for=_hidden", NULL, NULL},
    {NULL, NULL, NULL},
};

START_TEST(test_forwarded)
{
	struct peer_net nets[2];
	struct peer_addr a;
	char err[64], text[PEER_TEXT_MAX];
	int n = peer_parse_nets("10.0.0.0/8", nets, 2, err, sizeof(err));
	int rc =
	    peer_forwarded_client(fwd_cases[_i].forwarded, fwd_cases[_i].xff, nets, (size_t)n, &a);

	if (fwd_cases[_i].client == NULL) {
		ck_assert_msg(rc == -1, "case %d: a client was found", _i);
		return;
	}
	ck_assert_msg(rc == 0, "case %d: no client", _i);
	peer_format_addr(&a, text, sizeof(text));
	ck_assert_str_eq(text, fwd_cases[_i].client);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_json_type);
	tcase_add_test(tc, test_body_append);
	tcase_add_test(tc, test_chunked_only);
	tcase_add_loop_test(tc, test_target, 0,
	                    (int)(sizeof(target_cases) / sizeof(target_cases[0])));
	tcase_add_loop_test(tc, test_head, 0, (int)(sizeof(head_cases) / sizeof(head_cases[0])));
	tcase_add_test(tc, test_conntrack_judge);
	tcase_add_test(tc, test_peer_nets);
	tcase_add_loop_test(tc, test_forwarded, 0, (int)(sizeof(fwd_cases) / sizeof(fwd_cases[0])));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * Unit tests for notify: the webhook URL rule (SSRF stance) and the event
 * type list. The address check at connect time is the same function
 * (notify_addr_allowed) these literal hosts reach.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "crypto/crypto.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/peer.h"
#include "util/util.h"

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
	/* the workflow's events under the names store_event emits (a webhook filter must name them)
	 */
	ck_assert_int_eq(notify_event_known("stage.changed"), 1);
	ck_assert_int_eq(notify_event_known("draft.changed"), 1);
	ck_assert_int_eq(notify_event_known("review.answered"), 1);
	ck_assert_int_eq(notify_event_known("release.decision"), 1);
	ck_assert_int_eq(notify_event_known("engagement.stage"), 0);
	ck_assert_int_eq(notify_event_known("Finding.Comment"), 0);
	ck_assert_int_eq(notify_event_known(""), 0);
	ck_assert_int_eq(notify_event_known("finding.comment "), 0);
}
END_TEST

/* A one-shot receiver on loopback: answers 204 and keeps the request. */
struct rx {
	int fd;
	int port;
	char req[8192];
	int got;
};

static void *
rx_main(void *arg)
{
	struct rx *x = arg;
	int c = accept(x->fd, NULL, NULL);
	ssize_t k;
	size_t n = 0;
	const char *ans = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

	if (c < 0)
		return NULL;
	while (n < sizeof(x->req) - 1 && (k = recv(c, x->req + n, sizeof(x->req) - 1 - n, 0)) > 0) {
		n += (size_t)k;
		x->req[n] = '\0';
		if (strstr(x->req, "\r\n\r\n") && strstr(x->req, "}"))
			break;
	}
	x->got = 1;
	(void)!send(c, ans, strlen(ans), MSG_NOSIGNAL);
	close(c);
	return NULL;
}

static void
rx_listen(struct rx *x)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	memset(x, 0, sizeof(*x));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	x->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(x->fd, 0);
	ck_assert_int_eq(bind(x->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(x->fd, 4), 0);
	ck_assert_int_eq(getsockname(x->fd, (struct sockaddr *)&a, &len), 0);
	x->port = ntohs(a.sin_port);
}

/*
 * At connect time: a name that resolves to loopback ("localhost") is
 * refused without a connection unless allowed; allowed, the request is
 * POSTed with a signature over "<t>.<body>".
 */
START_TEST(test_deliver_connect_check)
{
	struct rx x;
	pthread_t t;
	char url[64], why[200], err[120];
	char secret[] = "unit-test-secret-0123456789abcdef";
	char payload[] = "{\"id\":\"e\",\"type\":\"finding.comment\"}";
	struct store_lease l = {.url = url, .secret = secret, .payload = payload, .attempts = 1};
	long status = -1;

	strcpy(l.id, "00000000-0000-4000-8000-000000000001");
	strcpy(l.event_type, "finding.comment");
	rx_listen(&x);
	snprintf(url, sizeof(url), "http://localhost:%d/hook", x.port);
	config.webhook_timeout = 5;
	config.n_webhook_allow_nets = 0;
	ck_assert_int_eq(notify_deliver(&l, &status, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "refused") != NULL, "why: %s", why);
	ck_assert_int_eq(status, 0);
	/* allowed: delivered and signed */
	ck_assert_int_eq(peer_parse_nets("127.0.0.0/8, ::1", config.webhook_allow_nets,
	                                 PEER_MAX_NETS, err, sizeof(err)),
	                 2);
	config.n_webhook_allow_nets = 2;
	ck_assert_int_eq(pthread_create(&t, NULL, rx_main, &x), 0);
	ck_assert_msg(notify_deliver(&l, &status, why, sizeof(why)) == 1, "not delivered: %s", why);
	pthread_join(t, NULL);
	ck_assert_int_eq(status, 204);
	ck_assert_int_eq(x.got, 1);
	{
		const char *h = strcasestr(x.req, "\r\nX-Lockstep-Signature: t=");
		const char *body = strstr(x.req, "\r\n\r\n");
		char ts[24] = "", *msg, want[2 * CRYPTO_SHA256_LEN + 1];
		unsigned char mac[CRYPTO_SHA256_LEN];

		ck_assert_msg(h != NULL && body != NULL, "request: %s", x.req);
		sscanf(h + strlen("\r\nX-Lockstep-Signature: t="), "%23[0-9]", ts);
		ck_assert_msg(asprintf(&msg, "%s.%s", ts, body + 4) > 0, "asprintf");
		ck_assert_int_eq(crypto_hmac_sha256(secret, strlen(secret), msg, strlen(msg), mac),
		                 0);
		util_hex_encode(mac, sizeof(mac), want);
		ck_assert_msg(strstr(h, want) != NULL, "signature does not match: %s", x.req);
		ck_assert_str_eq(body + 4, payload);
		free(msg);
	}
	config.n_webhook_allow_nets = 0;
	close(x.fd);
}
END_TEST

/* A notification mail: the subject and one link per event, no text beyond the words. */
START_TEST(test_mail_compose)
{
	struct store_mail m[3];
	char subject[256], text[8192];
	size_t n;

	memset(m, 0, sizeof(m));
	config.public_url = "https://lockstep.example//";
	snprintf(m[0].type, sizeof(m[0].type), "finding.created");
	snprintf(m[0].object_type, sizeof(m[0].object_type), "finding");
	snprintf(m[0].object_id, sizeof(m[0].object_id), "11111111-1111-4111-8111-111111111111");
	snprintf(m[0].engagement_id, sizeof(m[0].engagement_id),
	         "22222222-2222-4222-8222-222222222222");
	snprintf(m[0].created_at, sizeof(m[0].created_at), "2026-12-01T01:02:03Z");
	snprintf(m[1].type, sizeof(m[1].type), "review.opened");
	snprintf(m[1].engagement_id, sizeof(m[1].engagement_id),
	         "33333333-3333-4333-8333-333333333333");
	snprintf(m[2].type, sizeof(m[2].type), "release.published");
	snprintf(m[2].campaign_id, sizeof(m[2].campaign_id),
	         "44444444-4444-4444-8444-444444444444");
	/* an id that is not a bare id never becomes a link */
	snprintf(m[2].object_type, sizeof(m[2].object_type), "finding");
	snprintf(m[2].object_id, sizeof(m[2].object_id), "x\r\nBcc: evil@example.test");

	n = notify_mail_compose(m, 1, subject, sizeof(subject), text, sizeof(text));
	ck_assert_uint_eq(n, strlen(text));
	ck_assert_str_eq(subject, "lockstep: A finding was recorded in one of your engagements");
	ck_assert_ptr_nonnull(strstr(
	    text, "https://lockstep.example/#/findings/11111111-1111-4111-8111-111111111111\n"));
	ck_assert_ptr_nonnull(strstr(text, "2026-12-01T01:02:03Z"));
	ck_assert_ptr_nonnull(strstr(text, "https://lockstep.example/#/account"));

	notify_mail_compose(m, 3, subject, sizeof(subject), text, sizeof(text));
	ck_assert_str_eq(subject, "lockstep: 3 new notifications");
	ck_assert_ptr_nonnull(strstr(
	    text, "https://lockstep.example/#/engagements/33333333-3333-4333-8333-333333333333"));
	ck_assert_ptr_nonnull(strstr(
	    text, "https://lockstep.example/#/campaigns/44444444-4444-4444-8444-444444444444"));
	ck_assert_ptr_null(strstr(text, "evil@"));
	ck_assert_ptr_null(strstr(text, "Bcc"));

	/* a text too small: cut, still terminated */
	n = notify_mail_compose(m, 3, subject, sizeof(subject), text, 40);
	ck_assert_uint_eq(n, 39);
	ck_assert_uint_eq(strlen(text), 39);
	config.public_url = "";
}
END_TEST

/* Without a relay, and with a header that would inject, nothing is sent. */
START_TEST(test_smtp_refuses)
{
	char why[200];

	config.smtp_url = "";
	config.smtp_from = "lockstep@localhost";
	ck_assert_int_eq(notify_smtp_send("a@example.test", "s", "t", why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no relay configured");
	config.smtp_url = "smtp://127.0.0.1:1";
	ck_assert_int_eq(
	    notify_smtp_send("a@example.test\r\nBcc: b@example.test", "s", "t", why, sizeof(why)),
	    -1);
	ck_assert_ptr_nonnull(strstr(why, "header"));
	ck_assert_int_eq(notify_smtp_send("a@example.test", "s\nX: y", "t", why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "header"));
	config.smtp_url = "";
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");

	tcase_add_test(tc, test_url_rule);
	tcase_add_test(tc, test_mail_compose);
	tcase_add_test(tc, test_smtp_refuses);
	tcase_add_test(tc, test_allow_nets);
	tcase_add_test(tc, test_event_types);
	tcase_add_test(tc, test_deliver_connect_check);
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

/*
 * Unit tests for router_match.
 */
#include <check.h>
#include <string.h>

#include "http/router.h"

/* Stand-in handler; never called. */
static int
dummy_handler(struct http_request *req)
{
	(void)req;
	return 0;
}

static const struct router_route table[] = {
    {"GET", "/api/v1/orgs", dummy_handler, ROUTE_AUTH, 0, 0},
    {"POST", "/api/v1/orgs", dummy_handler, ROUTE_AUTH | ROUTE_JSON_BODY, 0, 0},
    {"GET", "/api/v1/orgs/{id}/users", dummy_handler, ROUTE_AUTH, 0, 0},
    {"GET", "/api/v1/findings/{id}", dummy_handler, ROUTE_AUTH, 0, 0},
    {"PATCH", "/api/v1/findings/{id}", dummy_handler, ROUTE_AUTH, 0, 0},
    {"PUT", "/api/v1/engagements/{id}/claims/{tm}", NULL, ROUTE_AUTH, 0, 0},
    {"GET", "/", NULL, ROUTE_PUBLIC, 0, 0},
    {"GET", "/static/{*}", NULL, ROUTE_PUBLIC, 0, 0},
    {NULL, NULL, NULL, 0, 0, 0}};

/* Index of route r in table. */
static long
route_index(const struct router_route *r)
{
	return r == NULL ? -1 : (long)(r - table);
}

/* Expect status st for method/path; on anything but FOUND, m is reset. */
static void
expect_status(const char *method, const char *path, enum router_status st)
{
	struct router_match m;
	char allow[128];

	ck_assert_msg(router_match(table, method, path, &m, allow, sizeof(allow)) == st,
	              "%s %.60s: expected status %d", method ? method : "(null)",
	              path ? path : "(null)", (int)st);
	if (st != ROUTER_FOUND) {
		ck_assert_ptr_null(m.route);
		ck_assert_int_eq(m.nparams, 0);
	}
}

START_TEST(test_found_literal)
{
	struct router_match m;

	ck_assert_int_eq(router_match(table, "GET", "/api/v1/orgs", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 0);
	ck_assert_int_eq(m.nparams, 0);
	ck_assert_int_eq(router_match(table, "POST", "/api/v1/orgs", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 1);
	ck_assert_ptr_eq(m.route->handler, dummy_handler);
	ck_assert_int_eq(router_match(table, "GET", "/", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 6);
	/* m may be NULL. */
	ck_assert_int_eq(router_match(table, "GET", "/", NULL, NULL, 0), ROUTER_FOUND);
}
END_TEST

START_TEST(test_found_params)
{
	struct router_match m;

	ck_assert_int_eq(router_match(table, "GET",
	                              "/api/v1/orgs/0b7e5a8c-1111-4222-8333-944445555666/users", &m,
	                              NULL, 0),
	                 ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 2);
	ck_assert_int_eq(m.nparams, 1);
	ck_assert_str_eq(m.params[0], "0b7e5a8c-1111-4222-8333-944445555666");

	ck_assert_int_eq(router_match(table, "PATCH", "/api/v1/findings/42", &m, NULL, 0),
	                 ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 4);
	ck_assert_int_eq(m.nparams, 1);
	ck_assert_str_eq(m.params[0], "42");

	ck_assert_int_eq(
	    router_match(table, "PUT", "/api/v1/engagements/e1/claims/tm-7", &m, NULL, 0),
	    ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 5);
	ck_assert_int_eq(m.nparams, 2);
	ck_assert_str_eq(m.params[0], "e1");
	ck_assert_str_eq(m.params[1], "tm-7");
	ck_assert_str_eq(m.rest, "");
}
END_TEST

START_TEST(test_not_found)
{
	expect_status("GET", "/api/v1/nope", ROUTER_NOT_FOUND);
	expect_status("GET", "/api/v1", ROUTER_NOT_FOUND);
	expect_status("GET", "/api/v1/orgs/x", ROUTER_NOT_FOUND);
	expect_status("GET", "/api/v1/orgs/x/users/y", ROUTER_NOT_FOUND);
	expect_status("GET", "/api/v1/findings", ROUTER_NOT_FOUND);
	expect_status("GET", "/API/v1/orgs", ROUTER_NOT_FOUND);
	expect_status("GET", "/api/v1/orgsx", ROUTER_NOT_FOUND);
	expect_status("GET", "/static", ROUTER_NOT_FOUND);
	expect_status("PUT", "/api/v1/engagements/e1/claims", ROUTER_NOT_FOUND);
	/* Unknown path wins over unknown method. */
	expect_status("DELETE", "/nothing", ROUTER_NOT_FOUND);
}
END_TEST

START_TEST(test_trailing_slash)
{
	expect_status("GET", "/api/v1/orgs/", ROUTER_NOT_FOUND);
	expect_status("GET", "/api/v1/findings/42/", ROUTER_NOT_FOUND);
	expect_status("GET", "/static/app.js/", ROUTER_NOT_FOUND);
	expect_status("GET", "/", ROUTER_FOUND);
}
END_TEST

/* Expect 405 for method/path with exactly the Allow list want. */
static void
expect_405(const char *method, const char *path, const char *want)
{
	struct router_match m;
	char allow[128];

	memset(allow, 'x', sizeof(allow));
	ck_assert_int_eq(router_match(table, method, path, &m, allow, sizeof(allow)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	ck_assert_ptr_null(m.route);
	ck_assert_str_eq(allow, want);
}

START_TEST(test_method_not_allowed)
{
	char small[8];

	expect_405("DELETE", "/api/v1/orgs", "GET, HEAD, POST");
	expect_405("PUT", "/api/v1/orgs", "GET, HEAD, POST");
	expect_405("DELETE", "/api/v1/findings/7", "GET, HEAD, PATCH");
	expect_405("POST", "/api/v1/orgs/1/users", "GET, HEAD");
	expect_405("GET", "/api/v1/engagements/a/claims/b", "PUT");
	expect_405("HEAD", "/api/v1/engagements/a/claims/b", "PUT");
	expect_405("POST", "/", "GET, HEAD");
	expect_405("DELETE", "/static/a/b.css", "GET, HEAD");
	/* Methods are case-sensitive. */
	expect_405("get", "/api/v1/orgs", "GET, HEAD, POST");

	/* allow may be NULL; a short buffer keeps whole entries only. */
	ck_assert_int_eq(router_match(table, "DELETE", "/api/v1/orgs", NULL, NULL, 0),
	                 ROUTER_METHOD_NOT_ALLOWED);
	ck_assert_int_eq(router_match(table, "DELETE", "/api/v1/orgs", NULL, small, sizeof(small)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(small, "GET");
}
END_TEST

/* A table with duplicates and an explicit HEAD row, for the Allow list. */
static const struct router_route dup_table[] = {
    {"GET", "/a/{x}", NULL, 0, 0, 0},  {"HEAD", "/a/b", NULL, 0, 0, 0},
    {"GET", "/a/b", NULL, 0, 0, 0},    {"DELETE", "/a/{y}", NULL, 0, 0, 0},
    {"DELETE", "/a/b", NULL, 0, 0, 0}, {NULL, NULL, NULL, 0, 0, 0}};

START_TEST(test_allow_dedupe)
{
	struct router_match m;
	char allow[64];

	ck_assert_int_eq(router_match(dup_table, "POST", "/a/b", &m, allow, sizeof(allow)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(allow, "GET, HEAD, DELETE");
	/* An explicit HEAD row wins over the GET fallback. */
	ck_assert_int_eq(router_match(dup_table, "HEAD", "/a/b", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_ptr_eq(m.route, &dup_table[1]);
	ck_assert_int_eq(router_match(dup_table, "HEAD", "/a/c", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_ptr_eq(m.route, &dup_table[0]);
	ck_assert_str_eq(m.params[0], "c");
}
END_TEST

START_TEST(test_head)
{
	struct router_match m;

	ck_assert_int_eq(router_match(table, "HEAD", "/api/v1/findings/9", &m, NULL, 0),
	                 ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 3);
	ck_assert_str_eq(m.route->method, "GET");
	ck_assert_int_eq(m.nparams, 1);
	ck_assert_str_eq(m.params[0], "9");
	ck_assert_int_eq(router_match(table, "HEAD", "/", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 6);
	ck_assert_int_eq(router_match(table, "HEAD", "/static/x.js", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_str_eq(m.rest, "x.js");
}
END_TEST

START_TEST(test_static_rest)
{
	struct router_match m;

	ck_assert_int_eq(router_match(table, "GET", "/static/app.js", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_int_eq(route_index(m.route), 7);
	ck_assert_int_eq(m.nparams, 0);
	ck_assert_str_eq(m.rest, "app.js");
	ck_assert_int_eq(router_match(table, "GET", "/static/css/a/b.css", &m, NULL, 0),
	                 ROUTER_FOUND);
	ck_assert_str_eq(m.rest, "css/a/b.css");
	ck_assert_int_eq(router_match(table, "GET", "/static/...", &m, NULL, 0), ROUTER_FOUND);
	ck_assert_str_eq(m.rest, "...");
	/* Traversal never reaches the rest. */
	expect_status("GET", "/static/../etc/passwd", ROUTER_BAD_PATH);
	expect_status("GET", "/static/a/../../x", ROUTER_BAD_PATH);
	expect_status("GET", "/static/./x", ROUTER_BAD_PATH);
	expect_status("GET", "/static/a//b", ROUTER_BAD_PATH);
}
END_TEST

START_TEST(test_bad_path)
{
	expect_status("GET", "//", ROUTER_BAD_PATH);
	expect_status("GET", "//api/v1/orgs", ROUTER_BAD_PATH);
	expect_status("GET", "/api//v1/orgs", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/orgs//", ROUTER_BAD_PATH);
	expect_status("GET", "/./", ROUTER_BAD_PATH);
	expect_status("GET", "/.", ROUTER_BAD_PATH);
	expect_status("GET", "/../", ROUTER_BAD_PATH);
	expect_status("GET", "/..", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/./orgs", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/findings/..", ROUTER_BAD_PATH);
	expect_status("GET", "", ROUTER_BAD_PATH);
	expect_status("GET", "api/v1/orgs", ROUTER_BAD_PATH);
	expect_status("GET", "*", ROUTER_BAD_PATH);
	expect_status("GET", NULL, ROUTER_BAD_PATH);
	/* Dots that are not "." or ".." are ordinary. */
	expect_status("GET", "/api/v1/findings/.x", ROUTER_FOUND);
	expect_status("GET", "/api/v1/findings/..x", ROUTER_FOUND);
}
END_TEST

START_TEST(test_control_chars)
{
	expect_status("GET", "/api/v1/findings/a\tb", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/findings/a\nb", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/findings/a\rb", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/findings/\x01", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/findings/\x1f", ROUTER_BAD_PATH);
	expect_status("GET", "/api/v1/findings/a\x7f", ROUTER_BAD_PATH);
	/* Control characters are refused even on unknown paths. */
	expect_status("GET", "/nothing\x1b", ROUTER_BAD_PATH);
	/* Space and UTF-8 are not control characters. */
	expect_status("GET", "/api/v1/findings/a b", ROUTER_FOUND);
	expect_status("GET", "/api/v1/findings/\xc3\xa9", ROUTER_FOUND);
}
END_TEST

START_TEST(test_segment_length)
{
	struct router_match m;
	char path[512];
	const char *prefix = "/api/v1/findings/";
	size_t plen = strlen(prefix);

	/* Exactly ROUTER_MAX_SEGMENT bytes: accepted and captured whole. */
	memcpy(path, prefix, plen);
	memset(path + plen, 'a', ROUTER_MAX_SEGMENT);
	path[plen + ROUTER_MAX_SEGMENT] = '\0';
	ck_assert_int_eq(router_match(table, "GET", path, &m, NULL, 0), ROUTER_FOUND);
	ck_assert_uint_eq(strlen(m.params[0]), ROUTER_MAX_SEGMENT);
	ck_assert_int_eq(memcmp(m.params[0], path + plen, ROUTER_MAX_SEGMENT), 0);

	/* One more byte: refused. */
	memset(path + plen, 'a', ROUTER_MAX_SEGMENT + 1);
	path[plen + ROUTER_MAX_SEGMENT + 1] = '\0';
	expect_status("GET", path, ROUTER_BAD_PATH);

	/* A long literal segment, unknown path. */
	path[0] = '/';
	memset(path + 1, 'b', ROUTER_MAX_SEGMENT + 1);
	path[ROUTER_MAX_SEGMENT + 2] = '\0';
	expect_status("GET", path, ROUTER_BAD_PATH);
	path[ROUTER_MAX_SEGMENT + 1] = '\0';
	expect_status("GET", path, ROUTER_NOT_FOUND);
}
END_TEST

START_TEST(test_path_length)
{
	struct router_match m;
	char path[ROUTER_MAX_PATH + 64];
	size_t i;

	/* "/static/" then 100-byte segments: exactly ROUTER_MAX_PATH bytes. */
	memcpy(path, "/static/", 8);
	for (i = 8; i < ROUTER_MAX_PATH; i++)
		path[i] = (i % 101 == 0) ? '/' : 'c';
	path[ROUTER_MAX_PATH] = '\0';
	ck_assert_uint_eq(strlen(path), ROUTER_MAX_PATH);
	ck_assert_int_eq(router_match(table, "GET", path, &m, NULL, 0), ROUTER_FOUND);
	ck_assert_uint_eq(strlen(m.rest), ROUTER_MAX_PATH - 8);

	/* ROUTER_MAX_PATH + 1 bytes: refused. */
	path[ROUTER_MAX_PATH] = 'c';
	path[ROUTER_MAX_PATH + 1] = '\0';
	expect_status("GET", path, ROUTER_BAD_PATH);
}
END_TEST

START_TEST(test_null_method)
{
	expect_status(NULL, "/api/v1/orgs", ROUTER_METHOD_NOT_ALLOWED);
	expect_status(NULL, "/nothing", ROUTER_NOT_FOUND);
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_found_literal);
	tcase_add_test(tc, test_found_params);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_trailing_slash);
	tcase_add_test(tc, test_method_not_allowed);
	tcase_add_test(tc, test_allow_dedupe);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_static_rest);
	tcase_add_test(tc, test_bad_path);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_segment_length);
	tcase_add_test(tc, test_path_length);
	tcase_add_test(tc, test_null_method);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(router_suite());
	int number_failed;

	srunner_run_all(sr, CK_NORMAL);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}

/*
 * Unit tests for the route table (server/api/routes.c) as the token scopes
 * see it: every route an identity may call that changes something names a
 * write scope, every read names "read" (or nothing, for the few any
 * credential may use), and public routes need none. A new route that
 * forgets its scope fails here, not in production.
 */
#include <check.h>
#include <string.h>

#include "api/api.h"
#include "http/router.h"
#include "util/vocab.h"

/* Routes any credential may use, whatever its scopes. */
static const char *const scope_free[] = {
    "DELETE /api/v1/session", /* a token may always end itself */
    "GET /api/v1/me",         /* who am I */
    "GET /api/v1/me/totp",    /* a session limited to enrolling reads its state */
    NULL};

static int
is_scope_free(const struct router_route *rt)
{
	char key[200];

	snprintf(key, sizeof(key), "%s %s", rt->method, rt->pattern);
	for (int i = 0; scope_free[i] != NULL; i++)
		if (strcmp(scope_free[i], key) == 0)
			return 1;
	return 0;
}

START_TEST(test_every_route_has_its_scope)
{
	const unsigned writes = VOCAB_SCOPE_ALL & ~VOCAB_SCOPE_READ;
	int n = 0;

	for (const struct router_route *rt = api_routes; rt->method != NULL; rt++, n++) {
		int reads = strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "HEAD") == 0;

		/* only known scope bits, never the enrol-only mark */
		ck_assert_msg((rt->scope & ~VOCAB_SCOPE_ALL) == 0, "%s %s: unknown scope bits",
		              rt->method, rt->pattern);
		if (!(rt->flags & ROUTE_AUTH)) {
			ck_assert_msg(rt->scope == 0,
			              "%s %s: a route without log-in needs no scope", rt->method,
			              rt->pattern);
			continue;
		}
		if (is_scope_free(rt)) {
			ck_assert_msg(rt->scope == 0, "%s %s is scope-free", rt->method,
			              rt->pattern);
			continue;
		}
		ck_assert_msg(rt->scope != 0, "%s %s: an authenticated route without a scope",
		              rt->method, rt->pattern);
		/* exactly one scope each */
		ck_assert_msg((rt->scope & (rt->scope - 1)) == 0, "%s %s: more than one scope",
		              rt->method, rt->pattern);
		/* reads need read; changes a write scope (name-check and the upload HEAD are the
		 * two that read under another method: they are listed here by name) */
		if (reads && strcmp(rt->pattern, "/api/v1/uploads/{id}") != 0)
			ck_assert_msg(rt->scope == VOCAB_SCOPE_READ, "%s %s: a read needs read",
			              rt->method, rt->pattern);
		else if (strcmp(rt->pattern, "/api/v1/engagements/{id}/name-check") != 0)
			ck_assert_msg((rt->scope & writes) != 0,
			              "%s %s: a change needs a write scope", rt->method,
			              rt->pattern);
	}
	ck_assert_int_gt(n, 50);
}
END_TEST

static Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("routes");

	tcase_add_test(tc, test_every_route_has_its_scope);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(routes_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

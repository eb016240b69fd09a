/* Unit tests for http/limits.c: framing, content type, bounded bodies. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/limits.h"

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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

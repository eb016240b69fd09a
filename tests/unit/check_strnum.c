/*
 * Unit tests for util_strnum.
 */
#include <check.h>
#include <limits.h>
#include <stdlib.h>

#include "util/util.h"

/* Sentinel: a refused parse must leave *out at this value. */
#define UNTOUCHED 4242LL

/* Parse s in [min, max]; asserts refusal and that *out is untouched. */
static void
expect_refused(const char *s, long long min, long long max)
{
	long long v = UNTOUCHED;

	ck_assert_msg(util_strnum(s, min, max, &v) == -1,
	              "\"%s\" in [%lld, %lld] should be refused", s ? s : "(null)", min, max);
	ck_assert_int_eq(v, UNTOUCHED);
}

/* Parse s in [min, max]; asserts success with value want. */
static void
expect_value(const char *s, long long min, long long max, long long want)
{
	long long v = UNTOUCHED;

	ck_assert_msg(util_strnum(s, min, max, &v) == 0, "\"%s\" in [%lld, %lld] should parse", s,
	              min, max);
	ck_assert_int_eq(v, want);
}

START_TEST(test_basic)
{
	expect_value("0", 0, 10, 0);
	expect_value("1", 0, 10, 1);
	expect_value("10", 0, 10, 10);
	expect_value("-5", -10, 10, -5);
	expect_value("123456789", 0, LLONG_MAX, 123456789);
}
END_TEST

START_TEST(test_edges)
{
	/* Exactly min and max are accepted, one beyond is refused. */
	expect_value("1", 1, 100, 1);
	expect_value("100", 1, 100, 100);
	expect_refused("0", 1, 100);
	expect_refused("101", 1, 100);
	expect_value("-100", -100, -1, -100);
	expect_value("-1", -100, -1, -1);
	expect_refused("-101", -100, -1);
	expect_refused("0", -100, -1);
	/* A single-value range. */
	expect_value("7", 7, 7, 7);
	expect_refused("8", 7, 7);
	/* min > max refuses everything. */
	expect_refused("5", 10, 1);
}
END_TEST

START_TEST(test_llong_limits)
{
	expect_value("9223372036854775807", LLONG_MIN, LLONG_MAX, LLONG_MAX);
	expect_value("-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN);
	expect_refused("9223372036854775808", LLONG_MIN, LLONG_MAX);
	expect_refused("-9223372036854775809", LLONG_MIN, LLONG_MAX);
	expect_refused("18446744073709551616", LLONG_MIN, LLONG_MAX);
	expect_refused("99999999999999999999999999999", LLONG_MIN, LLONG_MAX);
	expect_refused("-99999999999999999999999999999", LLONG_MIN, LLONG_MAX);
	/* Fits long long but beyond max. */
	expect_refused("9223372036854775807", 0, LLONG_MAX - 1);
}
END_TEST

START_TEST(test_empty_and_null)
{
	expect_refused("", 0, 10);
	expect_refused(NULL, 0, 10);
	expect_refused("-", -10, 10);
	ck_assert_int_eq(util_strnum("1", 0, 10, NULL), -1);
}
END_TEST

START_TEST(test_blanks_and_signs)
{
	expect_refused(" 1", 0, 10);
	expect_refused("1 ", 0, 10);
	expect_refused("\t1", 0, 10);
	expect_refused("1\n", 0, 10);
	expect_refused("+1", 0, 10);
	expect_refused("+1", -10, 10);
	expect_refused("--1", -10, 10);
	expect_refused("- 1", -10, 10);
	expect_refused("1-", -10, 10);
}
END_TEST

/*
 * Decision: '-' is only allowed when min < 0, so "-0" is 0 when min < 0
 * and refused when min >= 0 (as is any other negative-looking string).
 */
START_TEST(test_minus_zero)
{
	expect_value("-0", -1, 1, 0);
	expect_value("-000", -1, 1, 0);
	expect_refused("-0", 0, 10);
	expect_refused("-1", 0, 10);
	expect_refused("-5", 1, 10);
}
END_TEST

START_TEST(test_garbage)
{
	expect_refused("0x10", 0, 1000);
	expect_refused("1e3", 0, 10000);
	expect_refused("1.0", 0, 10);
	expect_refused("abc", 0, 10);
	expect_refused("12a", 0, 100);
	expect_refused("1,000", 0, 10000);
	expect_refused("\xd9\xa1", 0, 10); /* ARABIC-INDIC DIGIT ONE */
}
END_TEST

START_TEST(test_leading_zeros)
{
	expect_value("007", 0, 10, 7);
	expect_value("0000000000000000000000000000009223372036854775807", 0, LLONG_MAX, LLONG_MAX);
	expect_value("-007", -10, 10, -7);
	expect_value("00", 0, 10, 0);
}
END_TEST

static Suite *
strnum_suite(void)
{
	Suite *s = suite_create("strnum");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_llong_limits);
	tcase_add_test(tc, test_empty_and_null);
	tcase_add_test(tc, test_blanks_and_signs);
	tcase_add_test(tc, test_minus_zero);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_leading_zeros);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(strnum_suite());
	int number_failed;

	srunner_run_all(sr, CK_NORMAL);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}

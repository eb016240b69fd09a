/*
 * Unit tests for json_in_parse and json_in_check.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

/* Parse a C string with max_depth; returns the result (may be NULL). */
static json_t *
parse_str(const char *s, size_t max_depth, char *err, size_t errlen)
{
	return json_in_parse(s, strlen(s), max_depth, err, errlen);
}

/* Asserts that s parses with max_depth; frees the result. */
static void
expect_ok(const char *s, size_t max_depth)
{
	char err[256];
	json_t *j = parse_str(s, max_depth, err, sizeof(err));

	ck_assert_msg(j != NULL, "should parse: %.80s (%s)", s, err);
	ck_assert(json_is_object(j));
	json_decref(j);
}

/* Asserts that buf[0..len) is refused and err is a non-empty reason. */
static void
expect_refused_len(const char *buf, size_t len, size_t max_depth)
{
	char err[256];
	json_t *j = json_in_parse(buf, len, max_depth, err, sizeof(err));

	ck_assert_msg(j == NULL, "should be refused: %.80s", buf);
	ck_assert_msg(err[0] != '\0', "refusal without a reason");
}

static void
expect_refused(const char *s, size_t max_depth)
{
	expect_refused_len(s, strlen(s), max_depth);
}

/*
 * Asserts that buf[0..len) is refused by the UTF-8/NUL pre-scan itself
 * (its reason names UTF-8), not only later by jansson.
 */
static void
expect_bad_utf8_len(const char *buf, size_t len)
{
	char err[256];
	json_t *j = json_in_parse(buf, len, JSON_IN_MAX_DEPTH, err, sizeof(err));

	ck_assert_msg(j == NULL, "should be refused: %.80s", buf);
	ck_assert_msg(strstr(err, "UTF-8") != NULL, "reason: %s", err);
}

static void
expect_bad_utf8(const char *s)
{
	expect_bad_utf8_len(s, strlen(s));
}

/*
 * A malloc'd object of nesting depth `depth` (>= 1):
 * {"a":[[...]]} with depth-1 arrays. Caller frees.
 */
static char *
make_nested(size_t depth)
{
	size_t n = depth - 1;
	char *s = malloc(n * 2 + 8);
	size_t i, k = 0;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "{\"a\":", 5);
	k = 5;
	if (n == 0)
		s[k++] = '1';
	for (i = 0; i < n; i++)
		s[k++] = '[';
	for (i = 0; i < n; i++)
		s[k++] = ']';
	s[k++] = '}';
	s[k] = '\0';
	return s;
}

START_TEST(test_parse_ok)
{
	char err[64];
	json_t *j;

	expect_ok("{}", JSON_IN_MAX_DEPTH);
	expect_ok(" {\"a\": 1, \"b\": \"x\"}\n", JSON_IN_MAX_DEPTH);
	/* len, not the NUL terminator, bounds the input. */
	j = json_in_parse("{}garbage", 2, JSON_IN_MAX_DEPTH, err, sizeof(err));
	ck_assert_ptr_nonnull(j);
	json_decref(j);
	/* err may be NULL. */
	j = json_in_parse("{}", 2, JSON_IN_MAX_DEPTH, NULL, 0);
	ck_assert_ptr_nonnull(j);
	json_decref(j);
	ck_assert_ptr_null(json_in_parse("[]", 2, JSON_IN_MAX_DEPTH, NULL, 0));
}
END_TEST

START_TEST(test_parse_empty)
{
	char err[64];

	ck_assert_ptr_null(json_in_parse("", 0, JSON_IN_MAX_DEPTH, err, sizeof(err)));
	ck_assert(err[0] != '\0');
	ck_assert_ptr_null(json_in_parse(NULL, 0, JSON_IN_MAX_DEPTH, err, sizeof(err)));
	expect_refused("   ", JSON_IN_MAX_DEPTH);
}
END_TEST

START_TEST(test_depth_limit)
{
	char *s;
	size_t d;

	for (d = 1; d <= JSON_IN_MAX_DEPTH; d++) {
		s = make_nested(d);
		expect_ok(s, JSON_IN_MAX_DEPTH);
		free(s);
	}
	s = make_nested(JSON_IN_MAX_DEPTH + 1);
	expect_refused(s, JSON_IN_MAX_DEPTH);
	free(s);
	/* The limit is the argument, not the constant. */
	s = make_nested(3);
	expect_ok(s, 3);
	expect_refused(s, 2);
	free(s);
	/* Objects count like arrays. */
	expect_ok("{\"a\":{\"b\":{}}}", 3);
	expect_refused("{\"a\":{\"b\":{}}}", 2);
	expect_refused("{\"a\":[{\"b\":[]}]}", 3);
}
END_TEST

START_TEST(test_depth_huge)
{
	size_t n = 100000;
	char *s = malloc(n + 8);
	char err[256];
	json_t *j;

	ck_assert_ptr_nonnull(s);
	memset(s, '[', n);
	s[n] = '\0';
	j = json_in_parse(s, n, JSON_IN_MAX_DEPTH, err, sizeof(err));
	ck_assert_ptr_null(j);
	ck_assert_msg(strstr(err, "deep") != NULL, "reason: %s", err);

	/* Inside an object, and balanced. */
	memcpy(s, "{\"a\":", 5);
	memset(s + 5, '[', n - 5);
	s[n] = '\0';
	j = json_in_parse(s, n, JSON_IN_MAX_DEPTH, err, sizeof(err));
	ck_assert_ptr_null(j);
	ck_assert_msg(strstr(err, "deep") != NULL, "reason: %s", err);
	free(s);

	s = make_nested(n);
	expect_refused(s, JSON_IN_MAX_DEPTH);
	free(s);
}
END_TEST

START_TEST(test_depth_strings)
{
	/* Brackets inside strings do not count. */
	expect_ok("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", 1);
	expect_ok("{\"[[[[{{{{\":\"}}}}]]]]{{{{\"}", 1);
	/* An escaped quote does not end the string. */
	expect_ok("{\"a\":\"x\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", 1);
	expect_ok("{\"a\":\"\\\\\\\"[[[[[[[[[[[[[[\"}", 1);
	/* An escaped backslash does: the brackets after it count. */
	expect_refused("{\"a\":\"\\\\\",\"b\":[[]]}", 2);
	expect_ok("{\"a\":\"\\\\\",\"b\":[[]]}", 3);
	/* \u escapes are harmless. */
	expect_ok("{\"a\":\"\\u005b\\u005b\\u005b\"}", 1);
}
END_TEST

START_TEST(test_utf8)
{
	/* Valid: 2-, 3- and 4-byte forms, U+10FFFF, U+FFFF. */
	expect_ok("{\"a\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\"}", 4);
	expect_ok("{\"a\":\"\xf4\x8f\xbf\xbf \xef\xbf\xbf \xed\x9f\xbf\"}", 4);
	/* Smallest non-overlong 2-, 3- and 4-byte forms. */
	expect_ok("{\"a\":\"\xc2\x80 \xe0\xa0\x80 \xf0\x90\x80\x80\"}", 4);
	/* Just past the surrogates. */
	expect_ok("{\"a\":\"\xee\x80\x80\"}", 4);
	/* Overlong forms. */
	expect_bad_utf8("{\"a\":\"\xc0\xaf\"}");
	expect_bad_utf8("{\"a\":\"\xc1\xbf\"}");
	expect_bad_utf8("{\"a\":\"\xe0\x80\xaf\"}");
	expect_bad_utf8("{\"a\":\"\xe0\x9f\xbf\"}");
	expect_bad_utf8("{\"a\":\"\xf0\x80\x80\xaf\"}");
	expect_bad_utf8("{\"a\":\"\xf0\x8f\xbf\xbf\"}");
	/* Surrogates. */
	expect_bad_utf8("{\"a\":\"\xed\xa0\x80\"}");
	expect_bad_utf8("{\"a\":\"\xed\xbf\xbf\"}");
	/* Above U+10FFFF and never-valid bytes. */
	expect_bad_utf8("{\"a\":\"\xf4\x90\x80\x80\"}");
	expect_bad_utf8("{\"a\":\"\xf5\x80\x80\x80\"}");
	expect_bad_utf8("{\"a\":\"\xff\"}");
	expect_bad_utf8("{\"a\":\"\xfe\"}");
	/* Stray continuation, truncated sequences, bad continuation. */
	expect_bad_utf8("{\"a\":\"\x80\"}");
	expect_bad_utf8("{\"a\":\"\xe2\x82\"}");
	expect_bad_utf8("{\"a\":\"\xc3\"}");
	expect_bad_utf8("{\"a\":\"\xe2\x28\xa1\"}");
	expect_bad_utf8("{\"a\":\"\xf0\x90\x28\x80\"}");
	expect_bad_utf8("{\"a\":\"\xf0\x90\x80\"}");
	/* Old 5- and 6-byte forms. */
	expect_bad_utf8("{\"a\":\"\xf8\x88\x80\x80\x80\"}");
	expect_bad_utf8("{\"a\":\"\xfc\x84\x80\x80\x80\x80\"}");
	/* Invalid UTF-8 outside strings, and truncated at the very end. */
	expect_bad_utf8("{\"a\":1}\xc3");
	/* A sequence cut by len (the bytes after len must not be read). */
	expect_bad_utf8_len("{\"a\":1}\xe2\x82\xac", 9);
	expect_bad_utf8_len("{\"a\":1}\xf0\x9d\x84\x9e", 10);
	expect_bad_utf8("{\"\xc3\x28\":1}");
	/* Escaped lone surrogate (jansson refuses it). */
	expect_refused("{\"a\":\"\\ud800\"}", 4);
}
END_TEST

START_TEST(test_nul)
{
	static const char raw_in_string[] = "{\"a\":\"x\0y\"}";
	static const char raw_after[] = "{}\0";

	expect_bad_utf8_len(raw_in_string, sizeof(raw_in_string) - 1);
	expect_bad_utf8_len(raw_after, sizeof(raw_after) - 1);
	/* The escaped form is refused too. */
	expect_refused("{\"a\":\"x\\u0000y\"}", 4);
}
END_TEST

START_TEST(test_trailing_garbage)
{
	expect_refused("{} x", 4);
	expect_refused("{}{}", 4);
	expect_refused("{},", 4);
	expect_refused("{\"a\":1}]", 4);
	expect_refused("{\"a\":1", 4);
	expect_ok("{} \r\n\t", 4);
}
END_TEST

START_TEST(test_not_object)
{
	expect_refused("[]", 4);
	expect_refused("[{}]", 4);
	expect_refused("1", 4);
	expect_refused("\"s\"", 4);
	expect_refused("null", 4);
	expect_refused("true", 4);
}
END_TEST

START_TEST(test_duplicates)
{
	expect_refused("{\"a\":1,\"a\":2}", 4);
	expect_refused("{\"a\":1,\"b\":2,\"a\":1}", 4);
	expect_refused("{\"o\":{\"b\":1,\"b\":1}}", 4);
	expect_refused("{\"o\":[{\"b\":1,\"b\":1}]}", 4);
	expect_ok("{\"a\":1,\"A\":2,\"o\":{\"a\":3}}", 4);
}
END_TEST

/* ---- json_in_check ---- */

/* Accepts lowercase ASCII letters only. */
static int
valid_lower(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 'a' || *s > 'z')
			return 0;
	return 1;
}

static const struct json_field fields[] = {
    {.name = "name",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 2,
     .max_len = 8,
     .valid = valid_lower},
    {.name = "title", .type = JSON_FIELD_STRING, .min_len = 0, .max_len = 4},
    {.name = "count", .type = JSON_FIELD_INTEGER, .min = -5, .max = 100},
    {.name = "flag", .type = JSON_FIELD_BOOLEAN},
    {.name = "tags",
     .type = JSON_FIELD_STRING_ARRAY,
     .max_items = 3,
     .min_len = 1,
     .max_len = 5,
     .valid = valid_lower},
    {.name = NULL}};

#define NOT_ACCEPTED "not an accepted value (see docs/API.md for this field)"

/*
 * Parse s (must succeed), run json_in_check and compare: want_field NULL
 * means acceptance expected.
 */
static void
expect_check(const char *s, const char *want_field, const char *want_reason)
{
	char err[256];
	json_t *j = parse_str(s, JSON_IN_MAX_DEPTH, err, sizeof(err));
	const char *bad = "unset", *reason = "unset";
	int rc;

	ck_assert_msg(j != NULL, "fixture must parse: %s (%s)", s, err);
	rc = json_in_check(j, fields, &bad, &reason);
	if (want_field == NULL) {
		ck_assert_msg(rc == 0, "%s: refused: %s %s", s, bad, reason);
	} else {
		ck_assert_msg(rc == -1, "%s: should be refused", s);
		ck_assert_str_eq(bad, want_field);
		ck_assert_str_eq(reason, want_reason);
	}
	json_decref(j);
}

START_TEST(test_check_ok)
{
	expect_check("{\"name\":\"ab\"}", NULL, NULL);
	expect_check("{\"name\":\"abcdefgh\",\"title\":\"\",\"count\":-5,"
	             "\"flag\":false,\"tags\":[]}",
	             NULL, NULL);
	expect_check("{\"tags\":[\"a\",\"bcdef\",\"x\"],\"count\":100,"
	             "\"flag\":true,\"title\":\"\xc3\xa9\xc3\xa9\",\"name\":\"zz\"}",
	             NULL, NULL);
}
END_TEST

START_TEST(test_check_required_unknown)
{
	expect_check("{}", "name", "required, a string of 2 to 8 characters");
	expect_check("{\"count\":1}", "name", "required, a string of 2 to 8 characters");
	expect_check("{\"name\":\"ab\",\"extra\":1}", "extra",
	             "unknown field; expected one of: name, title, count, flag, tags");
	expect_check("{\"Name\":\"ab\"}", "Name",
	             "unknown field; expected one of: name, title, count, flag, tags");
}
END_TEST

START_TEST(test_check_types)
{
	expect_check("{\"name\":1}", "name",
	             "must be a string of 2 to 8 characters, got an integer");
	expect_check("{\"name\":null}", "name", "must be a string of 2 to 8 characters, got null");
	expect_check("{\"name\":[\"ab\"]}", "name",
	             "must be a string of 2 to 8 characters, got an array");
	expect_check("{\"name\":\"ab\",\"count\":\"1\"}", "count",
	             "must be an integer from -5 to 100, got a string");
	expect_check("{\"name\":\"ab\",\"count\":1.0}", "count",
	             "must be an integer from -5 to 100, got a number with a fraction");
	expect_check("{\"name\":\"ab\",\"count\":true}", "count",
	             "must be an integer from -5 to 100, got a boolean");
	expect_check("{\"name\":\"ab\",\"flag\":1}", "flag",
	             "must be true or false, got an integer");
	expect_check("{\"name\":\"ab\",\"flag\":\"true\"}", "flag",
	             "must be true or false, got a string");
	expect_check("{\"name\":\"ab\",\"flag\":null}", "flag", "must be true or false, got null");
	expect_check("{\"name\":\"ab\",\"tags\":\"a\"}", "tags",
	             "must be an array of at most 3 strings of 1 to 5 characters, got a string");
	expect_check(
	    "{\"name\":\"ab\",\"tags\":[\"a\",1]}", "tags",
	    "must be an array of at most 3 strings of 1 to 5 characters; item 1 is an integer");
	expect_check("{\"name\":\"ab\",\"tags\":{}}", "tags",
	             "must be an array of at most 3 strings of 1 to 5 characters, got an object");
}
END_TEST

START_TEST(test_check_lengths)
{
	expect_check("{\"name\":\"a\"}", "name", "too short (at least 2 characters, got 1)");
	expect_check("{\"name\":\"abcdefghi\"}", "name", "too long (at most 8 characters, got 9)");
	/* Lengths are bytes: 3 two-byte characters are 6 bytes. */
	expect_check(
	    "{\"name\":\"ab\",\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}", "title",
	    "too long (at most 4 bytes of UTF-8, got 6; a character outside ASCII takes 2 to 4)");
	expect_check("{\"name\":\"ab\",\"title\":\"abcde\"}", "title",
	             "too long (at most 4 characters, got 5)");
}
END_TEST

START_TEST(test_check_range)
{
	expect_check("{\"name\":\"ab\",\"count\":101}", "count",
	             "out of range: must be an integer from -5 to 100, got 101");
	expect_check("{\"name\":\"ab\",\"count\":-6}", "count",
	             "out of range: must be an integer from -5 to 100, got -6");
	expect_check("{\"name\":\"ab\",\"count\":9223372036854775807}", "count",
	             "out of range: must be an integer from -5 to 100, got 9223372036854775807");
}
END_TEST

START_TEST(test_check_arrays)
{
	expect_check("{\"name\":\"ab\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "tags",
	             "too many items (at most 3, got 4)");
	expect_check("{\"name\":\"ab\",\"tags\":[\"a\",\"\"]}", "tags",
	             "item 1: must not be empty");
	expect_check("{\"name\":\"ab\",\"tags\":[\"abcdef\"]}", "tags",
	             "item 0: too long (at most 5 characters, got 6)");
	expect_check("{\"name\":\"ab\",\"tags\":[\"ok\",\"Bad\"]}", "tags",
	             "item 1: " NOT_ACCEPTED);
}
END_TEST

START_TEST(test_check_valid_callback)
{
	expect_check("{\"name\":\"aB\"}", "name", NOT_ACCEPTED);
	expect_check("{\"name\":\"a b\"}", "name", NOT_ACCEPTED);
	/* No callback on title: anything of the right length goes. */
	expect_check("{\"name\":\"ab\",\"title\":\"A B\"}", NULL, NULL);
}
END_TEST

/* The describer of shared validators (the api layer's table in the daemon). */
static const char *
describe_lower(int (*valid)(const char *s))
{
	return valid == valid_lower ? "a word of lower-case letters, e.g. abc" : NULL;
}

static const struct json_field ruled[] = {
    {.name = "vector",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 10,
     .max_len = 20,
     .valid = valid_lower,
     .rule = "a vector of 10 to 20 letters, e.g. abcdefghijk"},
    {.name = "note",
     .type = JSON_FIELD_STRING,
     .min_len = 1,
     .max_len = 30,
     .valid = valid_lower,
     .rule = "without capitals or spaces"},
    {.name = NULL}};

static void
expect_ruled(const char *s, const char *want_field, const char *want_reason)
{
	json_t *j = parse_str(s, JSON_IN_MAX_DEPTH, NULL, 0);
	const char *bad = "unset", *reason = "unset";

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_in_check(j, ruled, &bad, &reason), -1);
	ck_assert_str_eq(bad, want_field);
	ck_assert_str_eq(reason, want_reason);
	json_decref(j);
}

/* Every refusal states the rule: a format with its example beats a length. */
START_TEST(test_check_rules)
{
	/* BAD-CVSS was "too short"; a wrong format says which format */
	expect_ruled("{\"vector\":\"BAD\"}", "vector",
	             "not a vector of 10 to 20 letters, e.g. abcdefghijk");
	expect_ruled("{}", "vector", "required, a vector of 10 to 20 letters, e.g. abcdefghijk");
	/* an empty required string is reported as missing, with its rule */
	expect_ruled("{\"vector\":\"\"}", "vector",
	             "required, a vector of 10 to 20 letters, e.g. abcdefghijk");
	/* right format, wrong length: the limit */
	expect_ruled("{\"vector\":\"abc\"}", "vector", "too short (at least 10 characters, got 3)");
	/* a qualifier joins the length rule */
	expect_ruled("{\"vector\":\"abcdefghijk\",\"note\":\"A\"}", "note",
	             "must be a string of 1 to 30 characters without capitals or spaces");
	/* the describer names a shared validator's rule when the row has none */
	json_in_set_rules(describe_lower);
	expect_check("{\"name\":\"aB\"}", "name", "not a word of lower-case letters, e.g. abc");
	expect_check("{}", "name", "required, a word of lower-case letters, e.g. abc");
	json_in_set_rules(NULL);
	expect_check("{\"name\":\"aB\"}", "name", NOT_ACCEPTED);
}
END_TEST

START_TEST(test_check_not_object_and_nul)
{
	const char *bad = NULL, *reason = NULL;
	json_t *a = json_array();
	json_t *o;

	ck_assert_int_eq(json_in_check(a, fields, &bad, &reason), -1);
	ck_assert_str_eq(reason, "must be an object");
	ck_assert_ptr_nonnull(bad);
	json_decref(a);
	ck_assert_int_eq(json_in_check(NULL, fields, &bad, &reason), -1);

	/* A string built in code may hold NUL; it is refused. */
	o = json_pack("{s:s%}", "name", "ab\0cd", (size_t)5);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_in_check(o, fields, &bad, &reason), -1);
	ck_assert_str_eq(bad, "name");
	ck_assert_str_eq(reason, "must not contain NUL characters");
	/* NULL out-pointers are allowed. */
	ck_assert_int_eq(json_in_check(o, fields, NULL, NULL), -1);
	json_decref(o);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tp = tcase_create("parse");
	TCase *tc = tcase_create("check");

	tcase_add_test(tp, test_parse_ok);
	tcase_add_test(tp, test_parse_empty);
	tcase_add_test(tp, test_depth_limit);
	tcase_add_test(tp, test_depth_huge);
	tcase_add_test(tp, test_depth_strings);
	tcase_add_test(tp, test_utf8);
	tcase_add_test(tp, test_nul);
	tcase_add_test(tp, test_trailing_garbage);
	tcase_add_test(tp, test_not_object);
	tcase_add_test(tp, test_duplicates);
	suite_add_tcase(s, tp);

	tcase_add_test(tc, test_check_ok);
	tcase_add_test(tc, test_check_required_unknown);
	tcase_add_test(tc, test_check_types);
	tcase_add_test(tc, test_check_lengths);
	tcase_add_test(tc, test_check_range);
	tcase_add_test(tc, test_check_arrays);
	tcase_add_test(tc, test_check_valid_callback);
	tcase_add_test(tc, test_check_not_object_and_nul);
	tcase_add_test(tc, test_check_rules);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int number_failed;

	srunner_run_all(sr, CK_NORMAL);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? 1 : 0;
}

/* Unit tests for publish_canonical. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"

static void
expect_canon(const char *in, const char *want)
{
	json_error_t err;
	json_t *v = json_loads(in, JSON_DECODE_ANY, &err);
	size_t len = 0;
	char *out;

	ck_assert_msg(v != NULL, "parse %s: %s", in, err.text);
	out = publish_canonical(v, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(len, strlen(want));
	free(out);
	json_decref(v);
}

START_TEST(test_sorted_compact)
{
	expect_canon("{ \"b\" : 1, \"a\" : [ 2 , {\"d\":1, \"c\":2} ] }",
	             "{\"a\":[2,{\"c\":2,\"d\":1}],\"b\":1}");
}
END_TEST

START_TEST(test_unicode_raw)
{
	/* non-ASCII text stays UTF-8; '/' not escaped; control chars escaped */
	expect_canon("{\"t\":\"caf\\u00e9 a/b \\u0001\"}", "{\"t\":\"caf\xc3\xa9 a/b \\u0001\"}");
}
END_TEST

START_TEST(test_key_order_bytes)
{
	expect_canon("{\"b\":1,\"B\":2,\"\xc3\xa9\":3,\"a\":4}",
	             "{\"B\":2,\"a\":4,\"b\":1,\"\xc3\xa9\":3}");
}
END_TEST

START_TEST(test_reals_refused)
{
	json_t *v = json_pack("{s:[f]}", "x", 1.5);

	ck_assert_ptr_null(publish_canonical(v, NULL));
	json_decref(v);
}
END_TEST

START_TEST(test_same_document_same_bytes)
{
	json_t *a = json_pack("{s:i, s:s, s:n}", "z", 1, "y", "q", "x");
	json_t *b = json_pack("{s:n, s:s, s:i}", "x", "y", "q", "z", 1);
	char *ca = publish_canonical(a, NULL), *cb = publish_canonical(b, NULL);

	ck_assert_str_eq(ca, cb);
	free(ca);
	free(cb);
	json_decref(a);
	json_decref(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sorted_compact);
	tcase_add_test(tc, test_unicode_raw);
	tcase_add_test(tc, test_key_order_bytes);
	tcase_add_test(tc, test_reals_refused);
	tcase_add_test(tc, test_same_document_same_bytes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * Unit tests for util/vocab: the C side of the enumerations is
 * internally consistent (the comparison with the vocabulary table itself
 * runs at start-up, store_vocab_check, and in check_api's test_vocabulary).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/vocab.h"

static size_t
vocab_len(const char *const *list)
{
	size_t n = 0;

	while (list[n] != NULL)
		n++;
	return n;
}

/* Every vocabulary: found by name, no empty or repeated code, positions as listed. */
START_TEST(test_tables)
{
	size_t nv = 0;

	for (const struct vocab *v = vocab_all; v->name != NULL; v++, nv++) {
		ck_assert_ptr_eq(vocab_find(v->name), v);
		ck_assert_msg(vocab_len(v->codes) > 0, "%s is empty", v->name);
		for (size_t i = 0; v->codes[i] != NULL; i++) {
			ck_assert_msg(v->codes[i][0] != '\0' && strlen(v->codes[i]) <= 32,
			              "%s: bad code at %zu", v->name, i);
			ck_assert_int_eq(vocab_index(v->codes, v->codes[i]), (int)i);
		}
		/* the company's statuses are a subset of the vocabulary's own codes */
		for (size_t i = 0; v->company_may[i] != NULL; i++)
			ck_assert_msg(vocab_has(v->codes, v->company_may[i]), "%s: %s", v->name,
			              v->company_may[i]);
	}
	ck_assert_uint_eq(nv, 11); /* ... token_scope (0007), access_kind and verdict (0018) */
	ck_assert_ptr_null(vocab_find("nonsense"));
}
END_TEST

/* A table of lookups: (list, code, expected index). */
START_TEST(test_lookups)
{
	static const struct {
		const char *const *list;
		const char *code;
		int index;
	} cases[] = {
	    {vocab_severities, "critical", 0},
	    {vocab_severities, "info", 4},
	    {vocab_severities, "Critical", -1},
	    {vocab_severities, "", -1},
	    {vocab_levels, "OC1", 0},
	    {vocab_levels, "not-assessed", 5},
	    {vocab_levels, "OC6", -1},
	    {vocab_finding_statuses, "false-positive", 4},
	    {vocab_company_statuses, "open", -1},
	    {vocab_company_statuses, "remediated", 1},
	    /* accepted only through a risk acceptance, verified only through a retest (0009) */
	    {vocab_company_statuses, "accepted", -1},
	    {vocab_company_statuses, "verified", -1},
	    {vocab_finding_statuses, "verified", 5},
	    {vocab_org_kinds, "coordinator", 0},
	    {vocab_threat_models, "PERSISTENCE", 4},
	    {vocab_disclosures, "aggregate", 2},
	    {vocab_campaign_states, "published", 2},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(vocab_index(cases[i].list, cases[i].code) == cases[i].index,
		              "case %zu: %s", i, cases[i].code);
		ck_assert_int_eq(vocab_has(cases[i].list, cases[i].code), cases[i].index >= 0);
	}
	ck_assert_int_eq(vocab_has(vocab_levels, NULL), 0);
}
END_TEST

/* The compile-time counts agree with the lists that the publication uses. */
START_TEST(test_counts)
{
	ck_assert_uint_eq(vocab_len(vocab_levels), VOCAB_NLEVELS);
	ck_assert_uint_eq(vocab_len(vocab_severities), VOCAB_NSEVERITIES);
	ck_assert_ptr_eq(vocab_find("finding_status")->company_may, vocab_company_statuses);
}
END_TEST

static Suite *
vocab_suite(void)
{
	Suite *s = suite_create("vocab");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_lookups);
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(vocab_suite());
	int number_failed;

	srunner_run_all(sr, CK_NORMAL);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * Unit tests for the two text rules every JSON body's strings pass
 * (server/api/common.c): api_valid_name for one-line names and titles,
 * api_valid_text for free text. Beyond ASCII's controls they refuse C1
 * controls, and bidirectional controls that would reorder what a reader
 * sees after them (an unclosed U+202E turns "Acme" into "emcA" on screen):
 * names take none, texts take them closed on their own line.
 */
#include <check.h>
#include <stdio.h>

#include "api/api.h"

static const struct {
	const char *s;
	int name, text;
} cases[] = {
    {"Acme Labs", 1, 1},
    {"Ünïcödé – “quotes” 日本語 العربية", 1, 1},
    {"", 0, 1},
    {" leading space", 0, 1},
    {"line\nbreak", 0, 1},
    {"cr\rlf", 0, 1},
    {"tab\there", 0, 1},
    {"nul\x01", 0, 0},
    {"del\x7f", 0, 0},
    {"c1 \xc2\x85 next line", 0, 0},       /* U+0085 NEL */
    {"c1 \xc2\x9b csi", 0, 0},             /* U+009B CSI */
    {"latin \xc2\xa0 nbsp \xc2\xa9", 1, 1}, /* U+00A0, U+00A9: not C1 */
    {"ls \xe2\x80\xa8 x", 0, 1},           /* U+2028 LINE SEPARATOR */
    {"ps \xe2\x80\xa9 x", 0, 1},           /* U+2029 PARAGRAPH SEPARATOR */
    {"dash \xe2\x80\x94 ok", 1, 1},        /* U+2014 */
    {"mark \xe2\x80\x8f ok", 1, 1},        /* U+200F RLM: a mark, not an embedding */
    /* U+202E RLO left open: Trojan Source */
    {"Acme \xe2\x80\xae evil", 0, 0},
    /* RLO closed by PDF on the same line */
    {"a \xe2\x80\xae b \xe2\x80\xac c", 0, 1},
    /* RLI ... PDI */
    {"a \xe2\x81\xa7 b \xe2\x81\xa9 c", 0, 1},
    /* nested: RLE LRI PDI PDF */
    {"\xe2\x80\xab x \xe2\x81\xa6 y \xe2\x81\xa9 z \xe2\x80\xac", 0, 1},
    /* crossed: RLE LRI PDF PDI */
    {"\xe2\x80\xab x \xe2\x81\xa6 y \xe2\x80\xac z \xe2\x81\xa9", 0, 0},
    /* a PDF or PDI without its opener */
    {"x \xe2\x80\xac", 0, 0},
    {"x \xe2\x81\xa9", 0, 0},
    /* open across a line break (closed on the next line) */
    {"a \xe2\x80\xae b\nc \xe2\x80\xac", 0, 0},
    {"a \xe2\x80\xae b\xe2\x80\xa9 c \xe2\x80\xac", 0, 0},
    /* closed, then a new line */
    {"a \xe2\x81\xa8 b \xe2\x81\xa9\nc", 0, 1},
};

START_TEST(test_rules)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(api_valid_name(cases[i].s) == cases[i].name, "name rule on case %zu: %s",
		              i, cases[i].s);
		ck_assert_msg(api_valid_text(cases[i].s) == cases[i].text, "text rule on case %zu: %s",
		              i, cases[i].s);
	}
}
END_TEST

/* More than sixteen nested openers is refused, however well closed. */
START_TEST(test_depth)
{
	char s[400];
	size_t o = 0;

	for (int i = 0; i < 17; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "\xe2\x81\xa6");
	for (int i = 0; i < 17; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "\xe2\x81\xa9");
	ck_assert_int_eq(api_valid_text(s), 0);
	ck_assert_int_eq(api_valid_text(s + 3 * 1), 0); /* 16 openers, 17 closers */
	ck_assert_int_eq(api_valid_text("\xe2\x81\xa6\xe2\x81\xa9"), 1);
}
END_TEST

static Suite *
fields_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *tc = tcase_create("fields");

	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_depth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fields_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

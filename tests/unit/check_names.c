/*
 * check_names: the name check on Unicode text (publish/names.c), as a
 * table of cases: a text, a company name or alias, and whether a release
 * containing that text must be held. Holding is the safe side, so cases
 * where a human could read the name (apostrophes, dashes, ignorables,
 * homoglyphs, mixed scripts, URLs, e-mail addresses) must hold; a name
 * that is a common word holds too, since the check cannot tell the uses
 * apart.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "publish/publish.h"

struct name_case {
	const char *text;
	const char *name;
	int hold;
};

static const struct name_case cases[] = {
    /* plain ASCII, case and word boundaries */
    {"Acme is robust", "Acme", 1},
    {"unlike ACME, we", "acme", 1},
    {"(acme)", "Acme", 1},
    {"Acmeology is a field", "Acme", 0},
    {"TheAcme", "Acme", 1}, /* a capital after a small letter: "The Acme" */
    {"AcmeCloud runs it", "Acme", 1},
    {"AcmeCloud runs it", "Acme Cloud", 1},
    {"the ACMEcloud team", "Acme", 0}, /* no small-to-capital step */
    {"DeepMind", "Deep Mind", 1},
    {"deepmind", "DeepMind", 1},
    {"theacme", "Acme", 0},
    {"acme2 is a version", "Acme", 0},
    {"Beta Labs did", "beta labs", 1},
    {"Beta Labs", "Beta Labs", 1},
    {"Beta Labsx", "Beta Labs", 0},
    {"Beta", "Beta Labs", 0},
    {"nothing here", "Acmecorp", 0},
    /* apostrophes and possessives */
    {"Acmecorp’s security team fixed it", "Acmecorp", 1}, /* U+2019 */
    {"Acmecorp's security team fixed it", "Acmecorp", 1},
    {"Acmecorpʼs team", "Acmecorp", 1}, /* U+02BC modifier apostrophe */
    {"ACMECORP-s", "Acmecorp", 1},
    /* dashes and other separators between the words of a name */
    {"by BETA-labs.", "Beta Labs", 1},
    {"by Beta‐Labs", "Beta Labs", 1}, /* U+2010 hyphen */
    {"by Beta—Labs", "Beta Labs", 1}, /* U+2014 em dash */
    {"by Beta_Labs", "Beta Labs", 1},
    {"by Betalabs", "Beta Labs", 1},
    {"by Beta-works", "Betaworks", 1},
    {"A c m e c o r p", "Acmecorp", 1},
    /* default-ignorable code points */
    {"Beta\u200bworks", "Betaworks", 1},       /* zero-width space */
    {"Beta\u00adworks", "Betaworks", 1},       /* soft hyphen */
    {"Beta\u200dworks", "Betaworks", 1},       /* zero-width joiner */
    {"Beta\u2060works", "Betaworks", 1},       /* word joiner */
    {"\u202eBetaworks\u202c", "Betaworks", 1}, /* bidi override */
    {"Beta\ufe0fworks", "Betaworks", 1},       /* variation selector */
    /* homoglyphs and mixed scripts */
    {"\u0410cmecorp", "Acmecorp", 1},                /* Cyrillic A */
    {"\u0430cm\u0435c\u043erp", "Acmecorp", 1},      /* Cyrillic a, e, o */
    {"Acmec0rp", "Acmecorp", 1},                     /* digit zero */
    {"Betaw\u03bfrks", "Betaworks", 1},              /* Greek omicron */
    {"\uff21\uff43\uff4d\uff45corp", "Acmecorp", 1}, /* fullwidth */
    {"\U0001d400cmecorp", "Acmecorp", 1},            /* mathematical bold A */
    {"Acm\u00e9corp", "Acmecorp", 1},                /* accent */
    {"Acme\u0301corp", "Acmecorp", 1},               /* combining accent */
    {"ACMECORP", "\u0410cmecorp", 1},                /* homoglyph in the alias itself */
    {"Stra\u00dfe AG", "Strasse AG", 1},             /* ß folds to ss */
    /* names inside URLs and e-mail addresses */
    {"see https://acmecorp.com/security", "Acmecorp", 1},
    {"mail security@acmecorp.example", "Acmecorp", 1},
    {"see www.beta-labs.io", "Beta Labs", 1},
    {"#acmecorp on social media", "Acmecorp", 1},
    /* names that are common words: the check cannot tell, so it holds */
    {"we operate at scale", "Scale", 1},
    {"an apple a day", "Apple", 1},
    {"applesauce", "Apple", 0},
    /* other scripts */
    {"\u767e\u5ea6\u516c\u53f8\u7684\u56e2\u961f", "\u767e\u5ea6", 1}, /* Han inside a word */
    {"\u30bd\u30cb\u30fc\u306e\u30c1\u30fc\u30e0", "\u30bd\u30cb\u30fc", 1},
    {"\u0422\u0435\u0445\u043d\u043e\u043b\u043e\u0433\u0438\u0438 "
     "\u042f\u043d\u0434\u0435\u043a\u0441\u0430",
     "\u044f\u043d\u0434\u0435\u043a\u0441", 0}, /* inflected: no */
    {"\u042f\u043d\u0434\u0435\u043a\u0441 fixed it", "\u044f\u043d\u0434\u0435\u043a\u0441", 1},
    /* names without words never match */
    {"x", "--", 0},
    {"x", "", 0},
    {"x", "  ", 0},
    {"Acme", " Acme ", 1},
    {"a.b.c", "b.c", 1},
    /* invalid UTF-8 in the text does not hide a name */
    {"\xff"
     "Acmecorp\xfe",
     "Acmecorp", 1},
    {NULL, NULL, 0}};

START_TEST(test_corpus)
{
	int n = 0;

	for (const struct name_case *c = cases; c->text != NULL; c++, n++) {
		int got = publish_name_in(c->text, c->name);

		ck_assert_msg(got == c->hold, "case %d: \"%s\" in \"%s\": expected %d, got %d", n,
		              c->name, c->text, c->hold, got);
	}
	ck_assert_int_ge(n, 40);
}
END_TEST

/* Spans point at the original bytes and UTF-16 units, ignorables included. */
START_TEST(test_spans)
{
	const char *text = "Hi \u00e9 Beta\u200bworks and BETA-WORKS.";
	struct publish_text *t = publish_text_new(text);
	struct publish_span *sp = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(publish_text_find(t, "Betaworks", &sp, &n), 2);
	ck_assert_int_eq(n, 2);
	/* "Hi é " is 3 + 2 + 1 bytes, 5 UTF-16 units */
	ck_assert_uint_eq(sp[0].start, 6);
	ck_assert_uint_eq(sp[0].end, 6 + 4 + 3 + 5);
	ck_assert_uint_eq(sp[0].ustart, 5);
	ck_assert_uint_eq(sp[0].uend, 5 + 4 + 1 + 5);
	ck_assert_int_eq(strncmp(text + sp[1].start, "BETA-WORKS", sp[1].end - sp[1].start), 0);
	ck_assert_uint_eq(sp[1].end - sp[1].start, 10);
	/* overlapping spans of two names merge */
	ck_assert_int_eq(publish_text_find(t, "Beta works", &sp, &n), 2);
	ck_assert_uint_eq(publish_spans_merge(sp, n), 2);
	free(sp);
	publish_text_free(t);
}
END_TEST

/* A long text with many tokens stays linear enough and finds the end. */
START_TEST(test_long)
{
	size_t len = 5000 * 6 + 16;
	char *text = malloc(len), *p = text;

	for (int i = 0; i < 5000; i++) {
		memcpy(p, "beta ", 5);
		p += 5;
	}
	strcpy(p, "Betaworks");
	ck_assert_int_eq(publish_name_in(text, "Beta works"), 1);
	ck_assert_int_eq(publish_name_in(text, "Gamma"), 0);
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_spans);
	tcase_add_test(tc, test_long);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

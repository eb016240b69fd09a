/*
 * check_email: the one normalisation of e-mail addresses (util/email.c),
 * as a table: an input and its normalised form, or NULL when refused.
 */
#include "config.h"

#include <string.h>

#include <check.h>

#include "util/email.h"

struct email_case {
	const char *in;
	const char *out; /* NULL: refused */
};

static const struct email_case cases[] = {
    {"alice@a.test", "alice@a.test"},
    {"Alice@A.Test", "alice@a.test"},
    {"ALICE@EXAMPLE.TEST", "alice@example.test"},
    /* Kelvin sign (U+212A) folds to k, in the local part and the domain */
    {"\u212Aate@a.test", "kate@a.test"},
    {"kate@\u212A.test", "kate@k.test"},
    /* U+0130 folds to i + U+0307: another address, never alice's */
    {"al\u0130ce@a.test", "ali\u0307ce@a.test"},
    /* full-width letters and at sign */
    {"\uFF41\uFF4C\uFF49\uFF43\uFF45\uFF20a.test", "alice@a.test"},
    /* zero-width space and soft hyphen are removed */
    {"ali\u200Bce@a.test", "alice@a.test"},
    {"ali\u00ADce@a.test", "alice@a.test"},
    /* sharp s folds to ss */
    {"stra\u00DFe@a.test", "strasse@a.test"},
    /* IDNA: a Unicode domain is stored as punycode */
    {"bob@b\u00FCcher.example", "bob@xn--bcher-kva.example"},
    {"bob@B\u00DCCHER.example", "bob@xn--bcher-kva.example"},
    {"bob@xn--bcher-kva.example", "bob@xn--bcher-kva.example"},
    {"j\u00F6rg@a.test", "j\u00F6rg@a.test"},
    {"a+tag@a.test", "a+tag@a.test"},
    /* refused */
    {"", NULL},
    {"alice", NULL},
    {"@a.test", NULL},
    {"alice@", NULL},
    {"alice@@a.test", NULL},
    {"a@b@a.test", NULL},
    {"ali ce@a.test", NULL},
    {"alice@a test", NULL},
    {"alice@localhost", NULL},
    {"alice@a.test.", NULL},
    {"alice@.a.test", NULL},
    {".alice@a.test", NULL},
    {"alice.@a.test", NULL},
    {"al..ice@a.test", NULL},
    {"\"alice\"@a.test", NULL},
    {"<alice@a.test>", NULL},
    {"alice@a_b.test", NULL},
    {"ali\tce@a.test", NULL},
    {"ali\xc2\x85"
     "ce@a.test",
     NULL},
    {"ali\u3000ce@a.test", NULL},
    {"alice@a..test", NULL},
    {"alice@-a.test", NULL},
    {"alice@a\u200D.test", "alice@a.test"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@a.test", NULL},
};

START_TEST(test_cases)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[UTIL_EMAIL_MAX + 1];
		int rc = util_email_normalize(cases[i].in, out);

		if (cases[i].out == NULL)
			ck_assert_msg(rc == -1 && out[0] == '\0', "%s: accepted as %s", cases[i].in,
			              out);
		else {
			ck_assert_msg(rc == 0, "%s: refused", cases[i].in);
			ck_assert_msg(strcmp(out, cases[i].out) == 0, "%s: got %s, want %s",
			              cases[i].in, out, cases[i].out);
		}
	}
}
END_TEST

/* Normalising is idempotent: a stored address normalises to itself. */
START_TEST(test_idempotent)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char once[UTIL_EMAIL_MAX + 1], twice[UTIL_EMAIL_MAX + 1];

		if (cases[i].out == NULL)
			continue;
		ck_assert_int_eq(util_email_normalize(cases[i].in, once), 0);
		ck_assert_msg(util_email_normalize(once, twice) == 0 && strcmp(once, twice) == 0,
		              "%s: %s then %s", cases[i].in, once, twice);
	}
}
END_TEST

/* The result never exceeds 254 bytes, however the input expands. */
START_TEST(test_length)
{
	char in[600], out[UTIL_EMAIL_MAX + 1];

	memset(in, 'a', 60);
	strcpy(in + 60, "@");
	for (int i = 0; i < 48; i++)
		strcat(in, "bbbb.");
	strcat(in, "test");
	ck_assert_int_eq(util_email_normalize(in, out), -1);
	/* U+FDFA expands to 18 characters under NFKC: 4 of them overflow 64 */
	ck_assert_int_eq(util_email_normalize("\uFDFA\uFDFA\uFDFA\uFDFA@a.test", out), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("email");
	TCase *tc = tcase_create("email");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_cases);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_length);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * Unit tests for util/csv: RFC 4180 parsing (quoting, line breaks, BOM,
 * limits, the errors and their lines) and the writer's quoting and
 * formula-injection neutralisation.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

/* A parse case: input, the records joined as "a|b;c|d", or NULL and the error line. */
static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	const char *want;
	size_t err_line;
} cases[] = {
    {"a,b\r\nc,d\r\n", 0, "a|b;c|d", 0},
    {"a,b\nc,d", 0, "a|b;c|d", 0},
    {"\xef\xbb\xbf"
     "a,b\n",
     0, "a|b", 0},
    {"\"a,1\",\"b\"\"q\"\"\"\n", 0, "a,1|b\"q\"", 0},
    {"\"multi\r\nline\",x\n", 0, "multi\r\nline|x", 0},
    {"a,,\n", 0, "a||", 0},
    {"\"\"\n", 0, "", 0},
    {"a\n\n\nb\n", 0, "a;b", 0},
    {"x,\"y\nz\",w\nnext\n", 0, "x|y\nz|w;next", 0},
    {"a,\"open\n", 0, NULL, 1},
    {"a\nb,\"c\nd\ne\n", 0, NULL, 2},
    {"a\"b\n", 0, NULL, 1},
    {"\"a\"b\n", 0, NULL, 1},
    {"ok\nbad\xff\n", 0, NULL, 1},
    {"a\0b\n", 4, NULL, 1},
};

static char *
joined(const struct util_csv *c)
{
	size_t cap = 1;
	char *s;

	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->row[i].n; j++)
			cap += strlen(c->row[i].field[j]) + 1;
	s = calloc(1, cap);
	for (size_t i = 0; i < c->n; i++) {
		if (i > 0)
			strcat(s, ";");
		for (size_t j = 0; j < c->row[i].n; j++) {
			if (j > 0)
				strcat(s, "|");
			strcat(s, c->row[i].field[j]);
		}
	}
	return s;
}

START_TEST(test_parse)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct util_csv c;
		size_t line = 99;
		char err[128];
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		int rc = util_csv_parse(cases[i].in, len, 100, &c, &line, err, sizeof(err));

		if (cases[i].want == NULL) {
			ck_assert_msg(rc == -1, "case %zu should fail", i);
			ck_assert_msg(line == cases[i].err_line,
			              "case %zu: error line %zu, want %zu (%s)", i, line,
			              cases[i].err_line, err);
			ck_assert_msg(err[0] != '\0', "case %zu: no reason", i);
		} else {
			char *s;

			ck_assert_msg(rc == 0, "case %zu failed: %s", i, err);
			s = joined(&c);
			ck_assert_msg(strcmp(s, cases[i].want) == 0, "case %zu: got \"%s\"", i, s);
			free(s);
			util_csv_free(&c);
		}
	}
}
END_TEST

START_TEST(test_record_lines_and_limits)
{
	struct util_csv c;
	size_t line;
	char err[128];
	const char *in = "h1,h2\n\"a\nb\",c\n\nd,e\n";
	char many[UTIL_CSV_MAX_FIELDS * 2 + 4];

	ck_assert_int_eq(util_csv_parse(in, strlen(in), 10, &c, &line, err, sizeof(err)), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_int_eq(c.row[0].line, 1);
	ck_assert_int_eq(c.row[1].line, 2);
	ck_assert_int_eq(c.row[2].line, 5);
	util_csv_free(&c);
	/* more records than allowed */
	ck_assert_int_eq(util_csv_parse(in, strlen(in), 2, &c, &line, err, sizeof(err)), -1);
	ck_assert_int_eq(c.n, 0);
	/* more fields than allowed */
	memset(many, 0, sizeof(many));
	for (int i = 0; i <= UTIL_CSV_MAX_FIELDS; i++)
		strcat(many, i ? ",x" : "x");
	ck_assert_int_eq(util_csv_parse(many, strlen(many), 10, &c, &line, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_write)
{
	static const struct {
		const char *in, *out;
	} w[] = {
	    {"plain", "plain"},
	    {"a,b", "\"a,b\""},
	    {"say \"hi\"", "\"say \"\"hi\"\"\""},
	    {"two\r\nlines", "\"two\r\nlines\""},
	    {"=1+1", "\"'=1+1\""},
	    {"+SUM(A1)", "\"'+SUM(A1)\""},
	    {"-2", "\"'-2\""},
	    {"@cmd", "\"'@cmd\""},
	    {"\tTAB", "\"'\tTAB\""},
	    {" lead", "\" lead\""},
	    {"", ""},
	    {"a=b", "a=b"},
	    {"\xef\xbb\xbfx", "\"\xef\xbb\xbfx\""}, /* found by fuzz_csv */
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct util_csv_out o = {0};

		ck_assert_int_eq(util_csv_cell(&o, w[i].in), 0);
		ck_assert_msg(strcmp(o.buf ? o.buf : "", w[i].out) == 0, "\"%s\" -> \"%s\"",
		              w[i].in, o.buf ? o.buf : "");
		free(o.buf);
	}
	{
		struct util_csv_out o = {0};
		struct util_csv c;
		size_t line;
		char err[64];

		/* what the writer writes, the parser reads back (with the formula prefix) */
		ck_assert_int_eq(util_csv_cell(&o, "x,\"y\"\nz"), 0);
		ck_assert_int_eq(util_csv_cell(&o, "=evil()"), 0);
		ck_assert_int_eq(util_csv_end(&o), 0);
		ck_assert_int_eq(util_csv_parse(o.buf, o.len, 10, &c, &line, err, sizeof(err)), 0);
		ck_assert_int_eq(c.n, 1);
		ck_assert_str_eq(c.row[0].field[0], "x,\"y\"\nz");
		ck_assert_str_eq(c.row[0].field[1], "'=evil()");
		util_csv_free(&c);
		free(o.buf);
	}
}
END_TEST

static Suite *
csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_record_lines_and_limits);
	tcase_add_test(tc, test_write);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int number_failed;
	SRunner *sr = srunner_create(csv_suite());

	srunner_run_all(sr, CK_NORMAL);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

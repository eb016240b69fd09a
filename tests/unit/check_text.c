/*
 * Unit tests for server/util/text.c: encodings, validation, comparison,
 * timestamps.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct vector {
	const char *raw;
	const char *b64;
	const char *b64url;
	const char *hex;
};

/* RFC 4648 section 10. */
static const struct vector rfc4648[] = {
    {"", "", "", ""},
    {"f", "Zg==", "Zg", "66"},
    {"fo", "Zm8=", "Zm8", "666f"},
    {"foo", "Zm9v", "Zm9v", "666f6f"},
    {"foob", "Zm9vYg==", "Zm9vYg", "666f6f62"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172"},
};

#define NVEC (sizeof(rfc4648) / sizeof(rfc4648[0]))

START_TEST(test_b64_vectors)
{
	const struct vector *v = &rfc4648[_i];
	size_t len = strlen(v->raw);
	char enc[64];
	unsigned char dec[64];
	long n;

	util_b64_encode(v->raw, len, enc);
	ck_assert_str_eq(enc, v->b64);
	n = util_b64_decode(v->b64, dec, sizeof(dec));
	ck_assert_int_eq(n, (long)len);
	ck_assert(memcmp(dec, v->raw, len) == 0);
}
END_TEST

START_TEST(test_b64url_vectors)
{
	const struct vector *v = &rfc4648[_i];
	size_t len = strlen(v->raw);
	char enc[64];
	unsigned char dec[64];
	long n;

	ck_assert_uint_eq(util_b64url_len(len), strlen(v->b64url));
	util_b64url_encode(v->raw, len, enc);
	ck_assert_str_eq(enc, v->b64url);
	n = util_b64url_decode(v->b64url, dec, sizeof(dec));
	ck_assert_int_eq(n, (long)len);
	ck_assert(memcmp(dec, v->raw, len) == 0);
}
END_TEST

START_TEST(test_hex_vectors)
{
	const struct vector *v = &rfc4648[_i];
	size_t len = strlen(v->raw);
	char enc[64];
	unsigned char dec[64];

	util_hex_encode(v->raw, len, enc);
	ck_assert_str_eq(enc, v->hex);
	ck_assert_int_eq(util_hex_decode(v->hex, dec, len), 0);
	ck_assert(memcmp(dec, v->raw, len) == 0);
}
END_TEST

START_TEST(test_alphabets_differ)
{
	static const unsigned char raw[] = {0xfb, 0xff, 0xbf};
	char enc[16];
	unsigned char dec[8];

	util_b64_encode(raw, 2, enc);
	ck_assert_str_eq(enc, "+/8=");
	util_b64url_encode(raw, 2, enc);
	ck_assert_str_eq(enc, "-_8");
	util_b64_encode(raw, 3, enc);
	ck_assert_str_eq(enc, "+/+/");
	util_b64url_encode(raw, 3, enc);
	ck_assert_str_eq(enc, "-_-_");
	ck_assert_int_eq(util_b64url_decode("-_-_", dec, sizeof(dec)), 3);
	ck_assert(memcmp(dec, raw, 3) == 0);
	ck_assert_int_eq(util_b64_decode("+/+/", dec, sizeof(dec)), 3);
	ck_assert(memcmp(dec, raw, 3) == 0);
	/* Each alphabet refuses the other's symbols. */
	ck_assert_int_eq(util_b64url_decode("+/+/", dec, sizeof(dec)), -1);
	ck_assert_int_eq(util_b64_decode("-_-_", dec, sizeof(dec)), -1);
}
END_TEST

START_TEST(test_roundtrip_all_lengths)
{
	unsigned char raw[300], dec[300];
	char enc[2 * 300 + 1];
	size_t len, i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof(raw); len++) {
		util_b64url_encode(raw, len, enc);
		ck_assert_uint_eq(strlen(enc), util_b64url_len(len));
		ck_assert_int_eq(util_b64url_decode(enc, dec, sizeof(dec)), (long)len);
		ck_assert(memcmp(dec, raw, len) == 0);

		util_b64_encode(raw, len, enc);
		ck_assert_uint_eq(strlen(enc), 4 * ((len + 2) / 3));
		ck_assert_int_eq(util_b64_decode(enc, dec, sizeof(dec)), (long)len);
		ck_assert(memcmp(dec, raw, len) == 0);

		util_hex_encode(raw, len, enc);
		ck_assert_uint_eq(strlen(enc), 2 * len);
		ck_assert_int_eq(util_hex_decode(enc, dec, len), 0);
		ck_assert(memcmp(dec, raw, len) == 0);
	}
}
END_TEST

START_TEST(test_b64url_invalid)
{
	static const char *bad[] = {
	    "Z",                   /* length 1 mod 4 */
	    "Zm9vY",               /* length 1 mod 4 */
	    "Zg==",                /* padding not allowed */
	    "Zg=",   "Zm8=", "Zh", /* non-zero unused bits */
	    "Zm9",                 /* non-zero unused bits */
	    "Zm9v+", "ab/c", "ab c", "ab\nc", "Zm9v\x80",
	};
	unsigned char dec[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(util_b64url_decode(bad[i], dec, sizeof(dec)) == -1, "accepted \"%s\"",
		              bad[i]);
	ck_assert_int_eq(util_b64url_decode(NULL, dec, sizeof(dec)), -1);
	/* Would not fit. */
	ck_assert_int_eq(util_b64url_decode("Zm9vYmFy", dec, 5), -1);
	ck_assert_int_eq(util_b64url_decode("Zm9vYmFy", dec, 6), 6);
}
END_TEST

START_TEST(test_b64_invalid)
{
	static const char *bad[] = {
	    "Zg",                               /* missing padding */
	    "Zg=",                              /* short padding */
	    "Z===",                             /* too much padding */
	    "====",         "Zm=v",             /* '=' inside */
	    "=Zm9",         "Zm9vY===", "Zh==", /* non-zero unused bits */
	    "Zm9=",                             /* non-zero unused bits */
	    "Zm9v\n",       "Zm 9",     "-_8=", /* url alphabet */
	    "Zm9vYg==Zm9v",                     /* data after padding */
	};
	unsigned char dec[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(util_b64_decode(bad[i], dec, sizeof(dec)) == -1, "accepted \"%s\"",
		              bad[i]);
	ck_assert_int_eq(util_b64_decode(NULL, dec, sizeof(dec)), -1);
	ck_assert_int_eq(util_b64_decode("Zm9vYg==", dec, 3), -1);
	ck_assert_int_eq(util_b64_decode("Zm9vYg==", dec, 4), 4);
}
END_TEST

START_TEST(test_hex_invalid)
{
	unsigned char dec[4] = {0xaa, 0xaa, 0xaa, 0xaa};

	ck_assert_int_eq(util_hex_decode("DEADBEEF", dec, 4), 0);
	ck_assert(dec[0] == 0xde && dec[1] == 0xad && dec[2] == 0xbe && dec[3] == 0xef);
	ck_assert_int_eq(util_hex_decode("deadbee", dec, 4), -1);
	ck_assert_int_eq(util_hex_decode("deadbeef0", dec, 4), -1);
	ck_assert_int_eq(util_hex_decode("deadbeef", dec, 3), -1);
	ck_assert_int_eq(util_hex_decode("deadbeeg", dec, 4), -1);
	ck_assert_int_eq(util_hex_decode("0x000000", dec, 4), -1);
	ck_assert_int_eq(util_hex_decode(" eadbeef", dec, 4), -1);
	ck_assert_int_eq(util_hex_decode(NULL, dec, 4), -1);
	/* Nothing written on failure. */
	ck_assert(dec[0] == 0xde && dec[3] == 0xef);
	ck_assert_int_eq(util_hex_decode("", dec, 0), 0);
}
END_TEST

struct utf8_case {
	const char *s;
	size_t len;
	int valid;
};

#define U(lit, ok)                                                                                 \
	{                                                                                          \
		lit, sizeof(lit) - 1, ok                                                           \
	}

START_TEST(test_utf8)
{
	static const struct utf8_case cases[] = {
	    U("", 1),
	    U("plain ascii ~\x7f", 1),
	    U("caf\xc3\xa9", 1),      /* U+00E9 */
	    U("\xc2\x80", 1),         /* U+0080 */
	    U("\xdf\xbf", 1),         /* U+07FF */
	    U("\xe0\xa0\x80", 1),     /* U+0800 */
	    U("\xe2\x82\xac", 1),     /* U+20AC */
	    U("\xed\x9f\xbf", 1),     /* U+D7FF */
	    U("\xee\x80\x80", 1),     /* U+E000 */
	    U("\xef\xbf\xbf", 1),     /* U+FFFF */
	    U("\xf0\x90\x80\x80", 1), /* U+10000 */
	    U("\xf0\x9f\x98\x80", 1), /* U+1F600 */
	    U("\xf4\x8f\xbf\xbf", 1), /* U+10FFFF */
	    U("a\x00"
	      "b",
	      0), /* NUL */
	    U("\x00", 0),
	    U("\xc0\xaf", 0),                 /* overlong '/' */
	    U("\xc1\xbf", 0),                 /* overlong */
	    U("\xe0\x80\xaf", 0),             /* overlong */
	    U("\xe0\x9f\xbf", 0),             /* overlong */
	    U("\xf0\x80\x80\xaf", 0),         /* overlong */
	    U("\xf0\x8f\xbf\xbf", 0),         /* overlong */
	    U("\xc0\x80", 0),                 /* modified-UTF-8 NUL */
	    U("\xed\xa0\x80", 0),             /* U+D800 */
	    U("\xed\xbf\xbf", 0),             /* U+DFFF */
	    U("\xed\xa0\xbd\xed\xb8\x80", 0), /* CESU-8 pair */
	    U("\xf4\x90\x80\x80", 0),         /* U+110000 */
	    U("\xf5\x80\x80\x80", 0),
	    U("\xf8\x88\x80\x80\x80", 0),
	    U("\xff", 0),
	    U("\xfe", 0),
	    U("\x80", 0), /* lone continuation */
	    U("a\xbf", 0),
	    U("\xc3", 0), /* truncated */
	    U("\xe2\x82", 0),
	    U("\xf0\x9f\x98", 0),
	    U("caf\xc3", 0),
	    U("\xc3(", 0), /* bad continuation */
	    U("\xe2(\xac", 0),
	    U("\xf0\x9f(\x80", 0),
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(util_utf8_valid(cases[i].s, cases[i].len) == cases[i].valid,
		              "case %zu: expected %d", i, cases[i].valid);
	/* Length is honoured: a truncated view of a valid string. */
	ck_assert_int_eq(util_utf8_valid("\xe2\x82\xac", 2), 0);
	ck_assert_int_eq(util_utf8_valid("ab\xe2\x82\xac", 2), 1);
	ck_assert_int_eq(util_utf8_valid(NULL, 0), 1);
}
END_TEST

START_TEST(test_uuid)
{
	ck_assert_int_eq(util_uuid_valid("123e4567-e89b-12d3-a456-426614174000"), 1);
	ck_assert_int_eq(util_uuid_valid("00000000-0000-0000-0000-000000000000"), 1);
	ck_assert_int_eq(util_uuid_valid("ffffffff-ffff-ffff-ffff-ffffffffffff"), 1);
	ck_assert_int_eq(util_uuid_valid("123E4567-e89b-12d3-a456-426614174000"), 0);
	ck_assert_int_eq(util_uuid_valid("123e4567e89b-12d3-a456-4266141740000"), 0);
	ck_assert_int_eq(util_uuid_valid("123e4567-e89b-12d3-a456-42661417400"), 0);
	ck_assert_int_eq(util_uuid_valid("123e4567-e89b-12d3-a456-4266141740000"), 0);
	ck_assert_int_eq(util_uuid_valid("123e4567-e89b-12d3-a456-42661417400g"), 0);
	ck_assert_int_eq(util_uuid_valid("{123e4567-e89b-12d3-a456-426614174000}"), 0);
	ck_assert_int_eq(util_uuid_valid("123e4567_e89b_12d3_a456_426614174000"), 0);
	ck_assert_int_eq(util_uuid_valid("123e4567-e89b-12d3-a456-426614174000 "), 0);
	ck_assert_int_eq(util_uuid_valid("' OR 1=1 --"), 0);
	ck_assert_int_eq(util_uuid_valid(""), 0);
	ck_assert_int_eq(util_uuid_valid(NULL), 0);
}
END_TEST

START_TEST(test_ct_equal)
{
	unsigned char a[64], b[64];
	size_t i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (unsigned char)i;
	ck_assert_int_eq(util_ct_equal(a, b, sizeof(a)), 1);
	ck_assert_int_eq(util_ct_equal(a, b, 0), 1);
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		ck_assert_int_eq(util_ct_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x81;
		ck_assert_int_eq(util_ct_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x01;
	}
	ck_assert_int_eq(util_ct_equal(a, b, sizeof(a)), 1);
}
END_TEST

START_TEST(test_now_rfc3339)
{
	char buf[32], tiny[8];
	size_t i;

	util_now_rfc3339(buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), 27);
	for (i = 0; i < 27; i++) {
		char c = buf[i];

		switch (i) {
		case 4:
		case 7:
			ck_assert_int_eq(c, '-');
			break;
		case 10:
			ck_assert_int_eq(c, 'T');
			break;
		case 13:
		case 16:
			ck_assert_int_eq(c, ':');
			break;
		case 19:
			ck_assert_int_eq(c, '.');
			break;
		case 26:
			ck_assert_int_eq(c, 'Z');
			break;
		default:
			ck_assert(c >= '0' && c <= '9');
			break;
		}
	}
	ck_assert(strncmp(buf, "20", 2) == 0);
	/* Truncates safely. */
	memset(tiny, 'x', sizeof(tiny));
	util_now_rfc3339(tiny, sizeof(tiny));
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc;

	tc = tcase_create("encodings");
	tcase_add_loop_test(tc, test_b64_vectors, 0, (int)NVEC);
	tcase_add_loop_test(tc, test_b64url_vectors, 0, (int)NVEC);
	tcase_add_loop_test(tc, test_hex_vectors, 0, (int)NVEC);
	tcase_add_test(tc, test_alphabets_differ);
	tcase_add_test(tc, test_roundtrip_all_lengths);
	tcase_add_test(tc, test_b64url_invalid);
	tcase_add_test(tc, test_b64_invalid);
	tcase_add_test(tc, test_hex_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("validation");
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_ct_equal);
	tcase_add_test(tc, test_now_rfc3339);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(text_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

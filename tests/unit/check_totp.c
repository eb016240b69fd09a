/*
 * Unit tests for server/crypto/totp.c (RFC 6238 through liboath, base32),
 * api/qr.c (the QR code's SVG) and the token-scope bits of util/vocab.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "crypto/crypto.h"
#include "util/vocab.h"

/* RFC 6238, appendix B: the seeds and the table of 8-digit codes. */
static const char seed1[] = "12345678901234567890";
static const char seed256[] = "12345678901234567890123456789012";
static const char seed512[] = "1234567890123456789012345678901234567890123456789012345678901234";

static const struct {
	long long t;
	const char *sha1, *sha256, *sha512;
} rfc6238[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000LL, "65353130", "77737706", "47863826"},
};

START_TEST(test_rfc6238_vectors)
{
	char out[9];

	for (size_t i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		ck_assert_int_eq(crypto_totp_code((const unsigned char *)seed1, 20, rfc6238[i].t,
		                                  30, 8, CRYPTO_TOTP_SHA1, out),
		                 0);
		ck_assert_str_eq(out, rfc6238[i].sha1);
		ck_assert_int_eq(crypto_totp_code((const unsigned char *)seed256, 32, rfc6238[i].t,
		                                  30, 8, CRYPTO_TOTP_SHA256, out),
		                 0);
		ck_assert_str_eq(out, rfc6238[i].sha256);
		ck_assert_int_eq(crypto_totp_code((const unsigned char *)seed512, 64, rfc6238[i].t,
		                                  30, 8, CRYPTO_TOTP_SHA512, out),
		                 0);
		ck_assert_str_eq(out, rfc6238[i].sha512);
	}
	/* the 6-digit code is the last six digits of the same value */
	ck_assert_int_eq(
	    crypto_totp_code((const unsigned char *)seed1, 20, 59, 30, 6, CRYPTO_TOTP_SHA1, out),
	    0);
	ck_assert_str_eq(out, "287082");
	/* refused parameters */
	ck_assert_int_eq(
	    crypto_totp_code((const unsigned char *)seed1, 20, 59, 30, 5, CRYPTO_TOTP_SHA1, out),
	    -1);
	ck_assert_int_eq(
	    crypto_totp_code((const unsigned char *)seed1, 0, 59, 30, 6, CRYPTO_TOTP_SHA1, out),
	    -1);
	ck_assert_int_eq(
	    crypto_totp_code((const unsigned char *)seed1, 20, 59, 0, 6, CRYPTO_TOTP_SHA1, out),
	    -1);
}
END_TEST

/* Window of one step either side, and a used step is never accepted again. */
START_TEST(test_check_window_and_replay)
{
	const unsigned char *k = (const unsigned char *)seed1;
	long long now = 1234567890, step = -1, s0 = now / 30;
	char cur[9], prev[9], next[9], old[9];

	ck_assert_int_eq(crypto_totp_code(k, 20, now, 30, 6, CRYPTO_TOTP_SHA1, cur), 0);
	ck_assert_int_eq(crypto_totp_code(k, 20, now - 30, 30, 6, CRYPTO_TOTP_SHA1, prev), 0);
	ck_assert_int_eq(crypto_totp_code(k, 20, now + 30, 30, 6, CRYPTO_TOTP_SHA1, next), 0);
	ck_assert_int_eq(crypto_totp_code(k, 20, now - 90, 30, 6, CRYPTO_TOTP_SHA1, old), 0);

	ck_assert_int_eq(crypto_totp_check(k, 20, cur, now, -1, &step), 1);
	ck_assert_int_eq(step, s0);
	ck_assert_int_eq(crypto_totp_check(k, 20, prev, now, -1, &step), 1);
	ck_assert_int_eq(step, s0 - 1);
	ck_assert_int_eq(crypto_totp_check(k, 20, next, now, -1, &step), 1);
	ck_assert_int_eq(step, s0 + 1);
	/* three steps ago: outside the window */
	if (strcmp(old, cur) != 0 && strcmp(old, prev) != 0 && strcmp(old, next) != 0)
		ck_assert_int_eq(crypto_totp_check(k, 20, old, now, -1, &step), 0);
	/* replay: the step of cur was used, so cur (and prev) are refused */
	ck_assert_int_eq(crypto_totp_check(k, 20, cur, now, s0, &step), 0);
	ck_assert_int_eq(step, -1);
	ck_assert_int_eq(crypto_totp_check(k, 20, prev, now, s0, &step), 0);
	ck_assert_int_eq(crypto_totp_check(k, 20, next, now, s0, &step), 1);
	/* malformed codes */
	ck_assert_int_eq(crypto_totp_check(k, 20, "12345", now, -1, &step), 0);
	ck_assert_int_eq(crypto_totp_check(k, 20, "1234567", now, -1, &step), 0);
	ck_assert_int_eq(crypto_totp_check(k, 20, "12a456", now, -1, &step), 0);
	ck_assert_int_eq(crypto_totp_check(k, 20, "", now, -1, &step), 0);
	ck_assert_int_eq(crypto_totp_check(k, 20, NULL, now, -1, &step), 0);
}
END_TEST

/* RFC 4648, section 10 (without padding). */
START_TEST(test_base32)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
	         {"f", "MY"},
	         {"fo", "MZXQ"},
	         {"foo", "MZXW6"},
	         {"foob", "MZXW6YQ"},
	         {"fooba", "MZXW6YTB"},
	         {"foobar", "MZXW6YTBOI"}};
	char out[40];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(crypto_base32_encode((const unsigned char *)v[i].in,
		                                      strlen(v[i].in), out, sizeof(out)),
		                 0);
		ck_assert_str_eq(out, v[i].out);
	}
	ck_assert_int_eq(crypto_base32_encode((const unsigned char *)"foobar", 6, out, 10), -1);
	ck_assert_int_eq(crypto_base32_encode((const unsigned char *)seed1, 20, out, sizeof(out)),
	                 0);
	ck_assert_str_eq(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}
END_TEST

/* The SVG holds nothing of the encoded text: only its own markup and numbers. */
START_TEST(test_qr_svg_is_inert)
{
	const char *hostile = "otpauth://totp/lockstep:\"><script>alert(1)</script>"
	                      "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=<x onload=y>";
	char *svg = api_qr_svg(hostile);
	const char *p;

	ck_assert_ptr_nonnull(svg);
	ck_assert_msg(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "%s",
	              svg);
	ck_assert_ptr_null(strstr(svg, "script"));
	ck_assert_ptr_null(strstr(svg, "onload"));
	ck_assert_ptr_null(strstr(svg, "otpauth"));
	/* past the fixed head, the path data is only M, h, v, z, digits, spaces, '-' */
	p = strstr(svg, "<path fill=\"#000\" d=\"");
	ck_assert_ptr_nonnull(p);
	for (p += strlen("<path fill=\"#000\" d=\""); *p != '"'; p++)
		ck_assert_msg(strchr("Mhvz0123456789 -", *p) != NULL, "unexpected %c", *p);
	ck_assert_str_eq(p, "\"/></svg>");
	free(svg);
	/* over QR capacity: refused, not truncated */
	{
		char *big = malloc(8000);

		memset(big, 'a', 7999);
		big[7999] = '\0';
		ck_assert_ptr_null(api_qr_svg(big));
		free(big);
	}
	ck_assert_ptr_null(api_qr_svg(NULL));
}
END_TEST

/* The scope bits follow the vocabulary's order. */
START_TEST(test_scope_bits)
{
	unsigned bits = 0;

	ck_assert_int_eq(vocab_index(vocab_token_scopes, "read"), 0);
	ck_assert_uint_eq(VOCAB_SCOPE_READ, 1u << vocab_index(vocab_token_scopes, "read"));
	ck_assert_uint_eq(VOCAB_SCOPE_FINDINGS,
	                  1u << vocab_index(vocab_token_scopes, "findings:write"));
	ck_assert_uint_eq(VOCAB_SCOPE_EVIDENCE,
	                  1u << vocab_index(vocab_token_scopes, "evidence:write"));
	ck_assert_uint_eq(VOCAB_SCOPE_CLAIMS,
	                  1u << vocab_index(vocab_token_scopes, "claims:write"));
	ck_assert_uint_eq(VOCAB_SCOPE_STATEMENTS,
	                  1u << vocab_index(vocab_token_scopes, "statements:write"));
	ck_assert_uint_eq(VOCAB_SCOPE_CAMPAIGNS,
	                  1u << vocab_index(vocab_token_scopes, "campaigns:write"));
	ck_assert_uint_eq(VOCAB_SCOPE_USERS, 1u << vocab_index(vocab_token_scopes, "users:write"));
	ck_assert_uint_eq(VOCAB_SCOPE_ACCOUNT,
	                  1u << vocab_index(vocab_token_scopes, "account:write"));
	ck_assert_ptr_null(vocab_token_scopes[8]);
	ck_assert_uint_eq(VOCAB_SCOPE_ALL, 0xffu);

	ck_assert_int_eq(vocab_scope_bits("read findings:write", &bits), 0);
	ck_assert_uint_eq(bits, VOCAB_SCOPE_READ | VOCAB_SCOPE_FINDINGS);
	ck_assert_int_eq(vocab_scope_bits("", &bits), 0);
	ck_assert_uint_eq(bits, 0);
	ck_assert_int_eq(vocab_scope_bits("read admin", &bits), -1);
	ck_assert_int_eq(vocab_scope_bits("READ", &bits), -1);
}
END_TEST

static Suite *
totp_suite(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");

	tcase_add_test(tc, test_rfc6238_vectors);
	tcase_add_test(tc, test_check_window_and_replay);
	tcase_add_test(tc, test_base32);
	tcase_add_test(tc, test_qr_svg_is_inert);
	tcase_add_test(tc, test_scope_bits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(totp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

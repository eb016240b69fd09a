/*
 * Unit tests for server/crypto/token.c (and crypto_sha256 under it).
 * Contract under test: hash = SHA-256 of the 43-character token string.
 */
#include <check.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "util/util.h"

static int
is_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void
hex_of(const unsigned char hash[CRYPTO_SHA256_LEN], char out[65])
{
	util_hex_encode(hash, CRYPTO_SHA256_LEN, out);
}

/* FIPS 180-2 example and the empty string. */
START_TEST(test_sha256_vectors)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	char hex[65];

	ck_assert_int_eq(crypto_sha256("abc", 3, h), 0);
	hex_of(h, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(crypto_sha256("", 0, h), 0);
	hex_of(h, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(crypto_sha256(NULL, 0, h), 0);
	ck_assert_int_eq(crypto_sha256(NULL, 1, h), -1);
}
END_TEST

START_TEST(test_new_shape_and_hash)
{
	char token[CRYPTO_TOKEN_CHARS + 1];
	unsigned char hash[CRYPTO_SHA256_LEN], again[CRYPTO_SHA256_LEN];
	unsigned char independent[EVP_MAX_MD_SIZE];
	unsigned int ilen = 0;
	unsigned char raw[CRYPTO_TOKEN_BYTES];
	size_t i;

	ck_assert_int_eq(crypto_token_new(token, hash), 0);
	ck_assert_uint_eq(strlen(token), CRYPTO_TOKEN_CHARS);
	for (i = 0; i < CRYPTO_TOKEN_CHARS; i++)
		ck_assert_msg(is_b64url_char(token[i]), "char %zu: %c", i, token[i]);
	ck_assert_int_eq(util_b64url_decode(token, raw, sizeof(raw)), CRYPTO_TOKEN_BYTES);

	/* The documented contract: SHA-256 over the 43 ASCII characters. */
	ck_assert_int_eq(
	    EVP_Digest(token, CRYPTO_TOKEN_CHARS, independent, &ilen, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(ilen, CRYPTO_SHA256_LEN);
	ck_assert(memcmp(hash, independent, CRYPTO_SHA256_LEN) == 0);
	/* ... and not over the decoded bytes. */
	ck_assert_int_eq(EVP_Digest(raw, sizeof(raw), independent, &ilen, EVP_sha256(), NULL), 1);
	ck_assert(memcmp(hash, independent, CRYPTO_SHA256_LEN) != 0);

	/* Presenting the token gives the stored hash back. */
	ck_assert_int_eq(crypto_token_hash(token, again), 0);
	ck_assert(memcmp(hash, again, CRYPTO_SHA256_LEN) == 0);
}
END_TEST

/* A fixed token against a hash computed outside this code base. */
START_TEST(test_known_answer)
{
	unsigned char hash[CRYPTO_SHA256_LEN];
	char hex[65];

	ck_assert_int_eq(crypto_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hash), 0);
	hex_of(hash, hex);
	ck_assert_str_eq(hex, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
	ck_assert_int_eq(crypto_token_hash("Zm9vYmFyLWxvY2tzdGVwLXRva2VuLXRlc3QtdmVjdG8", hash), 0);
	hex_of(hash, hex);
	ck_assert_str_eq(hex, "a8605dcd721eb3094b837fc7b078aaea8c9a67c67b994ec88611064c5d83149a");
}
END_TEST

START_TEST(test_malformed)
{
	static const char *bad[] = {
	    "",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", /* '=' */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	    "AAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAAA", /* '+' */
	    "AAAAAAAAAAAAAAAAAAAA/AAAAAAAAAAAAAAAAAAAAAA", /* '/' */
	    "AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAA%AAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAA'AAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAA\xc3\xa9"
	    "AAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", /* non-canonical */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_", /* non-canonical */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	};
	unsigned char hash[CRYPTO_SHA256_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(crypto_token_hash(bad[i], hash) == -1, "accepted case %zu [%s]", i,
		              bad[i]);
	ck_assert_int_eq(crypto_token_hash(NULL, hash), -1);
	/* Canonical endings are fine. */
	ck_assert_int_eq(crypto_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", hash), 0);
	ck_assert_int_eq(crypto_token_hash("__________________________________________x", hash),
	                 -1);
	ck_assert_int_eq(crypto_token_hash("__________________________________________8", hash), 0);
}
END_TEST

START_TEST(test_tokens_differ)
{
	char a[CRYPTO_TOKEN_CHARS + 1], b[CRYPTO_TOKEN_CHARS + 1];
	unsigned char ha[CRYPTO_SHA256_LEN], hb[CRYPTO_SHA256_LEN];
	int i;

	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(crypto_token_new(a, ha), 0);
		ck_assert_int_eq(crypto_token_new(b, hb), 0);
		ck_assert_str_ne(a, b);
		ck_assert(memcmp(ha, hb, CRYPTO_SHA256_LEN) != 0);
	}
}
END_TEST

static Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("token");

	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_new_shape_and_hash);
	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_tokens_differ);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(token_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

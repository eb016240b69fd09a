/*
 * Unit tests for server/crypto/aead.c: AES-256-GCM seal/open, the
 * sealed layout, and refusal of every kind of damage.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static unsigned char key[CRYPTO_KEY_LEN];
static const char aad[] = "finding:7b7f4a0e-2f53-4c5e-9a5c-0d0f6a9f1c11";

static void
setup_key(void)
{
	ck_assert_int_eq(crypto_random(key, sizeof(key)), 0);
}

/* Seal then open ptlen bytes of a pattern; check everything. */
static void
roundtrip(size_t ptlen)
{
	unsigned char *pt = malloc(ptlen ? ptlen : 1), *sealed = NULL, *back = NULL;
	size_t sealedlen = 0, backlen = 0, i;

	ck_assert_ptr_nonnull(pt);
	for (i = 0; i < ptlen; i++)
		pt[i] = (unsigned char)(i * 131 + 7);
	ck_assert_int_eq(crypto_aead_seal(key, aad, strlen(aad), pt, ptlen, &sealed, &sealedlen),
	                 0);
	ck_assert_ptr_nonnull(sealed);
	ck_assert_uint_eq(sealedlen, ptlen + CRYPTO_AEAD_OVERHEAD);
	ck_assert_int_eq(sealed[0], 0x01);
	if (ptlen >= 16)
		ck_assert(memcmp(sealed + 13, pt, ptlen) != 0);
	ck_assert_int_eq(
	    crypto_aead_open(key, aad, strlen(aad), sealed, sealedlen, &back, &backlen), 0);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(backlen, ptlen);
	ck_assert(memcmp(back, pt, ptlen) == 0);
	ck_assert_int_eq(back[ptlen], '\0');
	free(pt);
	free(sealed);
	free(back);
}

START_TEST(test_roundtrip_empty)
{
	roundtrip(0);
}
END_TEST

START_TEST(test_roundtrip_one)
{
	roundtrip(1);
}
END_TEST

START_TEST(test_roundtrip_various)
{
	static const size_t lens[] = {15, 16, 17, 255, 4096, 65537};
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		roundtrip(lens[i]);
}
END_TEST

START_TEST(test_roundtrip_mib)
{
	roundtrip(1024 * 1024);
}
END_TEST

START_TEST(test_null_inputs)
{
	unsigned char *sealed = NULL, *back = NULL;
	size_t sealedlen = 0, backlen = 99;

	/* NULL pt/aad with zero length is an empty message. */
	ck_assert_int_eq(crypto_aead_seal(key, NULL, 0, NULL, 0, &sealed, &sealedlen), 0);
	ck_assert_uint_eq(sealedlen, CRYPTO_AEAD_OVERHEAD);
	ck_assert_int_eq(crypto_aead_open(key, NULL, 0, sealed, sealedlen, &back, &backlen), 0);
	ck_assert_uint_eq(backlen, 0);
	ck_assert_int_eq(back[0], '\0');
	free(back);
	back = NULL;
	/* Empty aad and NULL aad are the same thing. */
	ck_assert_int_eq(crypto_aead_open(key, "", 0, sealed, sealedlen, &back, &backlen), 0);
	free(back);
	back = NULL;
	free(sealed);
	sealed = NULL;

	ck_assert_int_eq(crypto_aead_seal(key, NULL, 3, "x", 1, &sealed, &sealedlen), -1);
	ck_assert_ptr_null(sealed);
	ck_assert_int_eq(crypto_aead_seal(key, NULL, 0, NULL, 1, &sealed, &sealedlen), -1);
	ck_assert_int_eq(crypto_aead_open(key, NULL, 0, NULL, 40, &back, &backlen), -1);
	ck_assert_ptr_null(back);
	ck_assert_uint_eq(backlen, 0);
}
END_TEST

START_TEST(test_seals_differ)
{
	static const char msg[] = "the same plaintext twice";
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	ck_assert_int_eq(crypto_aead_seal(key, aad, strlen(aad), msg, strlen(msg), &a, &alen), 0);
	ck_assert_int_eq(crypto_aead_seal(key, aad, strlen(aad), msg, strlen(msg), &b, &blen), 0);
	ck_assert_uint_eq(alen, blen);
	ck_assert(memcmp(a + 1, b + 1, 12) != 0); /* nonces */
	ck_assert(memcmp(a + 13, b + 13, alen - 13) != 0);
	free(a);
	free(b);
}
END_TEST

/* Expect open to fail and to return nothing. */
static void
expect_refused(const unsigned char *k, const void *ad, size_t adlen, const unsigned char *in,
               size_t inlen)
{
	static unsigned char sentinel;
	unsigned char *pt = &sentinel;
	size_t ptlen = 12345;

	ck_assert_int_eq(crypto_aead_open(k, ad, adlen, in, inlen, &pt, &ptlen), -1);
	ck_assert_ptr_null(pt);
	ck_assert_uint_eq(ptlen, 0);
}

START_TEST(test_wrong_key_aad)
{
	static const char msg[] = "confidential finding text";
	unsigned char other[CRYPTO_KEY_LEN];
	unsigned char *sealed = NULL;
	size_t sealedlen = 0;

	ck_assert_int_eq(
	    crypto_aead_seal(key, aad, strlen(aad), msg, strlen(msg), &sealed, &sealedlen), 0);
	memcpy(other, key, sizeof(other));
	other[31] ^= 0x01;
	expect_refused(other, aad, strlen(aad), sealed, sealedlen);
	expect_refused(key, aad, strlen(aad) - 1, sealed, sealedlen);
	expect_refused(key, "finding:other", 13, sealed, sealedlen);
	expect_refused(key, NULL, 0, sealed, sealedlen);
	free(sealed);

	/* Sealed without aad, opened with some. */
	ck_assert_int_eq(crypto_aead_seal(key, NULL, 0, msg, strlen(msg), &sealed, &sealedlen), 0);
	expect_refused(key, "x", 1, sealed, sealedlen);
	free(sealed);
}
END_TEST

/* Flip every bit of every byte (version, nonce, ciphertext, tag). */
START_TEST(test_every_bit_flip)
{
	static const char msg[] = "0123456789abcdef0123";
	unsigned char *sealed = NULL, *copy;
	size_t sealedlen = 0, i;
	int bit;

	ck_assert_int_eq(
	    crypto_aead_seal(key, aad, strlen(aad), msg, strlen(msg), &sealed, &sealedlen), 0);
	copy = malloc(sealedlen);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < sealedlen; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, sealed, sealedlen);
			copy[i] ^= (unsigned char)(1u << bit);
			expect_refused(key, aad, strlen(aad), copy, sealedlen);
		}
	}
	free(copy);
	free(sealed);
}
END_TEST

START_TEST(test_regions)
{
	static const char msg[] = "region test";
	unsigned char *sealed = NULL;
	size_t sealedlen = 0, ctlen = strlen(msg);

	ck_assert_int_eq(crypto_aead_seal(key, aad, strlen(aad), msg, ctlen, &sealed, &sealedlen),
	                 0);
	/* version */
	sealed[0] = 0x02;
	expect_refused(key, aad, strlen(aad), sealed, sealedlen);
	sealed[0] = 0x00;
	expect_refused(key, aad, strlen(aad), sealed, sealedlen);
	sealed[0] = 0x01;
	/* nonce */
	sealed[1 + 11] ^= 0x40;
	expect_refused(key, aad, strlen(aad), sealed, sealedlen);
	sealed[1 + 11] ^= 0x40;
	/* ciphertext */
	sealed[13] ^= 0x01;
	expect_refused(key, aad, strlen(aad), sealed, sealedlen);
	sealed[13] ^= 0x01;
	/* tag */
	sealed[sealedlen - 1] ^= 0x80;
	expect_refused(key, aad, strlen(aad), sealed, sealedlen);
	sealed[sealedlen - 1] ^= 0x80;
	/* intact again */
	{
		unsigned char *pt = NULL;
		size_t ptlen = 0;

		ck_assert_int_eq(
		    crypto_aead_open(key, aad, strlen(aad), sealed, sealedlen, &pt, &ptlen), 0);
		ck_assert_str_eq((char *)pt, msg);
		free(pt);
	}
	free(sealed);
}
END_TEST

START_TEST(test_truncated)
{
	static const char msg[] = "truncate me";
	unsigned char *sealed = NULL, *big;
	size_t sealedlen = 0, len;

	ck_assert_int_eq(
	    crypto_aead_seal(key, aad, strlen(aad), msg, strlen(msg), &sealed, &sealedlen), 0);
	/* Every prefix, including those shorter than the overhead. */
	for (len = 0; len < sealedlen; len++)
		expect_refused(key, aad, strlen(aad), sealed, len);
	/* Dropping bytes from the front. */
	expect_refused(key, aad, strlen(aad), sealed + 1, sealedlen - 1);
	/* Appending a byte. */
	big = malloc(sealedlen + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, sealed, sealedlen);
	big[sealedlen] = 0;
	expect_refused(key, aad, strlen(aad), big, sealedlen + 1);
	free(big);
	free(sealed);
}
END_TEST

static Suite *
aead_suite(void)
{
	Suite *s = suite_create("aead");
	TCase *tc;

	tc = tcase_create("roundtrip");
	tcase_add_checked_fixture(tc, setup_key, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_empty);
	tcase_add_test(tc, test_roundtrip_one);
	tcase_add_test(tc, test_roundtrip_various);
	tcase_add_test(tc, test_roundtrip_mib);
	tcase_add_test(tc, test_null_inputs);
	tcase_add_test(tc, test_seals_differ);
	suite_add_tcase(s, tc);

	tc = tcase_create("tamper");
	tcase_add_checked_fixture(tc, setup_key, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wrong_key_aad);
	tcase_add_test(tc, test_every_bit_flip);
	tcase_add_test(tc, test_regions);
	tcase_add_test(tc, test_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(aead_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

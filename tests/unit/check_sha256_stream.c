/*
 * Unit tests for server/crypto/sha256_stream.c: incremental SHA-256 whose
 * state is saved at a block boundary and restored in a fresh object (as a
 * resumable upload does across requests).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

#define N (3 * 1024 * 1024 + 77)

static unsigned char *
pattern(void)
{
	unsigned char *b = malloc(N);

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < N; i++)
		b[i] = (unsigned char)(i * 2654435761u >> 13);
	return b;
}

START_TEST(test_known_answer)
{
	struct crypto_sha256_stream *s = crypto_sha256_stream_new();
	unsigned char d[32], want[32];

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(crypto_sha256_stream_final(s, d), 0);
	ck_assert_int_eq(crypto_sha256("", 0, want), 0);
	ck_assert(memcmp(d, want, 32) == 0);
	ck_assert_int_eq(crypto_sha256_stream_update(s, "ab", 2), 0);
	ck_assert_int_eq(crypto_sha256_stream_update(s, "c", 1), 0);
	ck_assert_int_eq(crypto_sha256_stream_final(s, d), 0);
	ck_assert_int_eq(crypto_sha256("abc", 3, want), 0);
	ck_assert(memcmp(d, want, 32) == 0);
	crypto_sha256_stream_free(s);
}
END_TEST

START_TEST(test_export_import)
{
	unsigned char *b = pattern(), d[32], want[32], state[CRYPTO_SHA256_STATE_LEN];
	struct crypto_sha256_stream *a = crypto_sha256_stream_new(),
	                            *c = crypto_sha256_stream_new();
	size_t cut = 1024 * 1024;

	ck_assert_int_eq(crypto_sha256(b, N, want), 0);
	ck_assert_int_eq(crypto_sha256_stream_update(a, b, cut), 0);
	ck_assert_int_eq(crypto_sha256_stream_export(a, state), 0);
	ck_assert_int_eq(crypto_sha256_stream_import(c, state), 0);
	ck_assert_int_eq(crypto_sha256_stream_update(c, b + cut, N - cut), 0);
	ck_assert_int_eq(crypto_sha256_stream_final(c, d), 0);
	ck_assert(memcmp(d, want, 32) == 0);
	/* not at a block boundary: refused */
	ck_assert_int_eq(crypto_sha256_stream_update(a, b, 3), 0);
	ck_assert_int_eq(crypto_sha256_stream_export(a, state), -1);
	/* a state whose length is not whole blocks: refused */
	memset(state, 0, sizeof(state));
	state[39] = 8;
	ck_assert_int_eq(crypto_sha256_stream_import(c, state), -1);
	crypto_sha256_stream_free(a);
	crypto_sha256_stream_free(c);
	crypto_sha256_stream_free(NULL);
	free(b);
}
END_TEST

static Suite *
sha256_stream_suite(void)
{
	Suite *s = suite_create("sha256_stream");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_export_import);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sha256_stream_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

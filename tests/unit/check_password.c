/*
 * Unit tests for server/crypto/password.c: scrypt known answers
 * (RFC 7914 section 12), the stored format, and verification.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/util.h"

struct scrypt_vector {
	const char *pw;
	const char *salt;
	uint64_t n;
	uint32_t r, p;
	const char *hex; /* 64-byte derived key */
};

/* RFC 7914 section 12, the first three vectors (the fourth needs 1 GiB). */
static const struct scrypt_vector rfc7914[] = {
    {"", "", 16, 1, 1,
     "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
     "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
    {"password", "NaCl", 1024, 8, 16,
     "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
     "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
    {"pleaseletmein", "SodiumChloride", 16384, 8, 1,
     "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
     "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"},
};

START_TEST(test_rfc7914)
{
	const struct scrypt_vector *v = &rfc7914[_i];
	unsigned char out[64];
	char hex[129];

	ck_assert_int_eq(crypto_scrypt(v->pw, strlen(v->pw), v->salt, strlen(v->salt), v->n, v->r,
	                               v->p, out, sizeof(out)),
	                 0);
	util_hex_encode(out, sizeof(out), hex);
	ck_assert_str_eq(hex, v->hex);
}
END_TEST

START_TEST(test_scrypt_bad_params)
{
	unsigned char out[32];

	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 0, 1, 1, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 1, 1, 1, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 1000, 1, 1, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 16, 0, 1, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 16, 1, 0, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 16, 1, 1, NULL, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 16, 1, 1, out, 0), -1);
	ck_assert_int_eq(crypto_scrypt(NULL, 1, "b", 1, 16, 1, 1, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, NULL, 1, 16, 1, 1, out, 32), -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, UINT64_C(1) << 63, UINT32_MAX, 1, out, 32),
	                 -1);
	ck_assert_int_eq(crypto_scrypt("a", 1, "b", 1, 16, 1 << 15, 1 << 15, out, 32), -1);
}
END_TEST

START_TEST(test_hash_verify)
{
	char *h;

	ck_assert_int_eq(crypto_password_set_cost(10), 0);
	h = crypto_password_hash("correct horse battery staple");
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "$scrypt$ln=10,r=8,p=1$", 22) == 0);
	/* 24 chars of salt, '$', 44 chars of hash */
	ck_assert_uint_eq(strlen(h), 22 + 24 + 1 + 44);
	ck_assert_int_eq(h[22 + 24], '$');
	ck_assert_int_eq(crypto_password_verify("correct horse battery staple", h), 1);
	ck_assert_int_eq(crypto_password_verify("correct horse battery stapl", h), 0);
	ck_assert_int_eq(crypto_password_verify("correct horse battery staple ", h), 0);
	ck_assert_int_eq(crypto_password_verify("", h), 0);
	ck_assert_int_eq(crypto_password_verify(NULL, h), -1);
	free(h);

	h = crypto_password_hash("");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(crypto_password_verify("", h), 1);
	ck_assert_int_eq(crypto_password_verify("x", h), 0);
	free(h);

	h = crypto_password_hash("p\xc3\xa4ssw\xc3\xb6rd");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(crypto_password_verify("p\xc3\xa4ssw\xc3\xb6rd", h), 1);
	free(h);
	ck_assert_ptr_null(crypto_password_hash(NULL));
}
END_TEST

START_TEST(test_salted)
{
	char *a, *b;

	ck_assert_int_eq(crypto_password_set_cost(10), 0);
	a = crypto_password_hash("same password");
	b = crypto_password_hash("same password");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(a, b);
	/* Salts differ, not just the hashes. */
	ck_assert(strncmp(a + 22, b + 22, 24) != 0);
	ck_assert_int_eq(crypto_password_verify("same password", a), 1);
	ck_assert_int_eq(crypto_password_verify("same password", b), 1);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_cost_carried)
{
	char *old, *cur;

	ck_assert_int_eq(crypto_password_set_cost(9), -1);
	ck_assert_int_eq(crypto_password_set_cost(21), -1);
	ck_assert_int_eq(crypto_password_set_cost(10), 0);
	old = crypto_password_hash("hunter2");
	ck_assert_ptr_nonnull(old);
	ck_assert(strncmp(old, "$scrypt$ln=10,", 14) == 0);
	ck_assert_int_eq(crypto_password_set_cost(11), 0);
	cur = crypto_password_hash("hunter2");
	ck_assert_ptr_nonnull(cur);
	ck_assert(strncmp(cur, "$scrypt$ln=11,", 14) == 0);
	ck_assert_int_eq(crypto_password_verify("hunter2", old), 1);
	ck_assert_int_eq(crypto_password_verify("hunter2", cur), 1);
	ck_assert_int_eq(crypto_password_verify("hunter3", old), 0);
	free(old);
	free(cur);
}
END_TEST

/* A hash made at a lower cost than today's needs a new one; not at today's or higher. */
START_TEST(test_needs_rehash)
{
	char *low, *cur, *high;

	ck_assert_int_eq(crypto_password_set_cost(10), 0);
	low = crypto_password_hash("hunter2");
	ck_assert_int_eq(crypto_password_set_cost(12), 0);
	high = crypto_password_hash("hunter2");
	ck_assert_int_eq(crypto_password_set_cost(11), 0);
	cur = crypto_password_hash("hunter2");
	ck_assert_int_eq(crypto_password_needs_rehash(low), 1);
	ck_assert_int_eq(crypto_password_needs_rehash(cur), 0);
	ck_assert_int_eq(crypto_password_needs_rehash(high), 0);
	/* r below ours (1 instead of 8) */
	ck_assert_int_eq(
	    crypto_password_needs_rehash("$scrypt$ln=11,r=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg==$"
	                                 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
	    1);
	ck_assert_int_eq(crypto_password_needs_rehash("garbage"), 0);
	ck_assert_int_eq(crypto_password_needs_rehash(NULL), 0);
	free(low);
	free(cur);
	free(high);
}
END_TEST

/* A stored string with other r and p than ours, built by hand. */
START_TEST(test_foreign_params)
{
	static const unsigned char salt[16] = "0123456789abcdef";
	unsigned char hash[32];
	char salt64[25], hash64[45], stored[128];

	ck_assert_int_eq(crypto_scrypt("pw", 2, salt, sizeof(salt), 1024, 2, 3, hash, sizeof(hash)),
	                 0);
	util_b64_encode(salt, sizeof(salt), salt64);
	util_b64_encode(hash, sizeof(hash), hash64);
	snprintf(stored, sizeof(stored), "$scrypt$ln=10,r=2,p=3$%s$%s", salt64, hash64);
	ck_assert_int_eq(crypto_password_verify("pw", stored), 1);
	ck_assert_int_eq(crypto_password_verify("pW", stored), 0);
	/* Same string claiming other parameters: no longer matches. */
	snprintf(stored, sizeof(stored), "$scrypt$ln=10,r=2,p=2$%s$%s", salt64, hash64);
	ck_assert_int_eq(crypto_password_verify("pw", stored), 0);
}
END_TEST

START_TEST(test_malformed)
{
	static const char salt[] = "MDEyMzQ1Njc4OWFiY2RlZg=="; /* 16 bytes */
	static const char hash[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	static const char *fmt[] = {
	    "",
	    "$scrypt$",
	    "scrypt$ln=10,r=8,p=1$%s$%s",
	    "$argon2id$ln=10,r=8,p=1$%s$%s",
	    "$SCRYPT$ln=10,r=8,p=1$%s$%s",
	    "$scrypt$ln=9,r=8,p=1$%s$%s",
	    "$scrypt$ln=21,r=8,p=1$%s$%s",
	    "$scrypt$ln=010,r=8,p=1$%s$%s",
	    "$scrypt$ln=+10,r=8,p=1$%s$%s",
	    "$scrypt$ln=-10,r=8,p=1$%s$%s",
	    "$scrypt$ln=,r=8,p=1$%s$%s",
	    "$scrypt$ln=1000000000000000000010,r=8,p=1$%s$%s",
	    "$scrypt$ln=10,r=0,p=1$%s$%s",
	    "$scrypt$ln=10,r=17,p=1$%s$%s",
	    "$scrypt$ln=10,r=08,p=1$%s$%s",
	    "$scrypt$ln=10,r=8,p=0$%s$%s",
	    "$scrypt$ln=10,r=8,p=5$%s$%s",
	    "$scrypt$ln=10,p=1,r=8$%s$%s",
	    "$scrypt$ln=10,r=8$%s$%s",
	    "$scrypt$ln=10,r=8,p=1,x=1$%s$%s",
	    "$scrypt$ ln=10,r=8,p=1$%s$%s",
	    "$scrypt$ln=10,r=8,p=1%s$%s",
	    "$scrypt$ln=10,r=8,p=1$%s%s",
	    "$scrypt$ln=10,r=8,p=1$%s$",
	    "$scrypt$ln=10,r=8,p=1$$%s",
	    "$scrypt$ln=10,r=8,p=1$%s$%s$",
	    "$scrypt$ln=10,r=8,p=1$%s$%s$x",
	    "$scrypt$ln=10,r=8,p=1$%s$%s ",
	    "$scrypt$ln=10,r=8,p=1$%s$%s\n",
	    "$scrypt$ln=10,r=8,p=1$%s$=%s",
	    "$scrypt$ln=10,r=8,p=1$%s$%s==",
	    "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc=$%s",             /* 8-byte salt */
	    "$scrypt$ln=10,r=8,p=1$%s$AAAAAAAAAAAAAAAAAAAAAA==", /* 16-byte hash */
	    "$scrypt$ln=10,r=8,p=1$%s$AAAA-_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	char stored[512];
	size_t i;

	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		/* Each format uses at most two %s; extra arguments are ignored. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
		snprintf(stored, sizeof(stored), fmt[i], salt, hash);
#pragma GCC diagnostic pop
		ck_assert_msg(crypto_password_verify("x", stored) == -1, "accepted [%s]", stored);
	}
	/* Over-long fields. */
	memset(stored, 'A', sizeof(stored) - 1);
	stored[sizeof(stored) - 1] = '\0';
	memcpy(stored, "$scrypt$ln=10,r=8,p=1$", 22);
	stored[22 + 24] = '$';
	ck_assert_int_eq(crypto_password_verify("x", stored), -1);
	ck_assert_int_eq(crypto_password_verify("x", NULL), -1);

	/* The well-formed control case is accepted (as a mismatch). */
	snprintf(stored, sizeof(stored), "$scrypt$ln=10,r=8,p=1$%s$%s", salt, hash);
	ck_assert_int_eq(crypto_password_verify("x", stored), 0);
}
END_TEST

struct worker {
	const char *password;
	int result;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char *h = crypto_password_hash(w->password);

	w->result = h != NULL ? crypto_password_verify(w->password, h) : -1;
	free(h);
	return NULL;
}

START_TEST(test_concurrency)
{
	static const char *pws[] = {"one", "two", "three", "four", "five", "six"};
	struct worker w[6];
	pthread_t t[6];
	size_t i;

	ck_assert_int_eq(crypto_password_set_concurrency(0), -1);
	ck_assert_int_eq(crypto_password_set_concurrency(-3), -1);
	ck_assert_int_eq(crypto_password_set_concurrency(1), 0);
	ck_assert_int_eq(crypto_password_set_cost(10), 0);
	for (i = 0; i < 6; i++) {
		w[i].password = pws[i];
		w[i].result = -2;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	/* Raising the limit while threads wait must not lose wake-ups. */
	ck_assert_int_eq(crypto_password_set_concurrency(3), 0);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].result, 1);
	}
}
END_TEST

START_TEST(test_dummy)
{
	ck_assert_int_eq(crypto_password_set_cost(10), 0);
	crypto_password_dummy("whatever");
	crypto_password_dummy("");
	crypto_password_dummy(NULL);
}
END_TEST

START_TEST(test_default_cost)
{
	char *h = crypto_password_hash("default");
	int prefix_ok, verified;

	ck_assert_ptr_nonnull(h);
	prefix_ok = strncmp(h, "$scrypt$ln=15,r=8,p=1$", 22) == 0;
	verified = crypto_password_verify("default", h);
	free(h);
	ck_assert(prefix_ok);
	ck_assert_int_eq(verified, 1);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc;

	/* First, so that it sees the built-in default even with CK_FORK=no. */
	tc = tcase_create("scrypt");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_default_cost);
	tcase_add_loop_test(tc, test_rfc7914, 0, (int)(sizeof(rfc7914) / sizeof(rfc7914[0])));
	tcase_add_test(tc, test_scrypt_bad_params);
	suite_add_tcase(s, tc);

	tc = tcase_create("stored");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hash_verify);
	tcase_add_test(tc, test_salted);
	tcase_add_test(tc, test_cost_carried);
	tcase_add_test(tc, test_needs_rehash);
	tcase_add_test(tc, test_foreign_params);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_concurrency);
	tcase_add_test(tc, test_dummy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(password_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

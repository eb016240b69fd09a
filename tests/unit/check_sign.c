/*
 * Unit tests for server/crypto/sign.c (Ed25519) and, since both guard
 * secrets on disk the same way, server/crypto/keyfile.c.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"
#include "util/util.h"

static char tmpdir[64];

static void
setup_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_sign.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_dir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char path[sizeof(tmpdir) + sizeof(e->d_name) + 2];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		if (rmdir(path) != 0)
			unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

static void
path_in(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ne(fd, -1);
	n = read(fd, buf, cap - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

/* ---- Ed25519 ---- */

/* RFC 8032 section 7.1, TEST 1. */
START_TEST(test_rfc8032_vector1)
{
	unsigned char seed[32], want_pub[32], want_sig[64], pub[32], sig[64];
	struct crypto_signer *s;

	ck_assert_int_eq(
	    util_hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	                    seed, sizeof(seed)),
	    0);
	ck_assert_int_eq(
	    util_hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	                    want_pub, sizeof(want_pub)),
	    0);
	ck_assert_int_eq(
	    util_hex_decode("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	                    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	                    want_sig, sizeof(want_sig)),
	    0);

	s = crypto_signer_from_raw(seed);
	ck_assert_ptr_nonnull(s);
	crypto_signer_public(s, pub);
	ck_assert(memcmp(pub, want_pub, 32) == 0);
	ck_assert_int_eq(crypto_sign(s, "", 0, sig), 0);
	ck_assert(memcmp(sig, want_sig, 64) == 0);
	ck_assert_int_eq(crypto_sign(s, NULL, 0, sig), 0);
	ck_assert(memcmp(sig, want_sig, 64) == 0);
	ck_assert_int_eq(crypto_verify(want_pub, "", 0, want_sig), 1);
	ck_assert_int_eq(crypto_verify(want_pub, NULL, 0, want_sig), 1);
	ck_assert_int_eq(crypto_verify(want_pub, "x", 1, want_sig), 0);
	crypto_signer_free(s);
	crypto_signer_free(NULL);
	ck_assert_ptr_null(crypto_signer_from_raw(NULL));
}
END_TEST

START_TEST(test_sign_verify)
{
	static const char msg[] = "{\"campaign\":\"c1\",\"digest\":\"abc\"}";
	unsigned char seed[32], pub[32], other_pub[32], sig[64], bad[64];
	struct crypto_signer *s, *other;
	size_t i;

	ck_assert_int_eq(crypto_random(seed, sizeof(seed)), 0);
	s = crypto_signer_from_raw(seed);
	seed[0] ^= 1;
	other = crypto_signer_from_raw(seed);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(other);
	crypto_signer_public(s, pub);
	crypto_signer_public(other, other_pub);
	ck_assert(memcmp(pub, other_pub, 32) != 0);

	ck_assert_int_eq(crypto_sign(s, msg, strlen(msg), sig), 0);
	ck_assert_int_eq(crypto_verify(pub, msg, strlen(msg), sig), 1);
	/* Tampered message. */
	ck_assert_int_eq(crypto_verify(pub, msg, strlen(msg) - 1, sig), 0);
	ck_assert_int_eq(
	    crypto_verify(pub, "{\"campaign\":\"c2\",\"digest\":\"abc\"}", strlen(msg), sig), 0);
	/* Wrong key. */
	ck_assert_int_eq(crypto_verify(other_pub, msg, strlen(msg), sig), 0);
	/* Every single-bit change of the signature. */
	for (i = 0; i < 64 * 8; i++) {
		memcpy(bad, sig, 64);
		bad[i / 8] ^= (unsigned char)(1u << (i % 8));
		ck_assert_msg(crypto_verify(pub, msg, strlen(msg), bad) == 0, "bit %zu", i);
	}
	/* Garbage public key (not a point) is just "invalid". */
	memset(bad, 0xff, 32);
	ck_assert_int_eq(crypto_verify(bad, msg, strlen(msg), sig), 0);
	ck_assert_int_eq(crypto_sign(NULL, msg, strlen(msg), sig), -1);
	crypto_signer_free(s);
	crypto_signer_free(other);
}
END_TEST

START_TEST(test_key_file_roundtrip)
{
	char path[256], pem[4096];
	unsigned char pub1[32], pub2[32], sig[64];
	struct crypto_signer *a, *b;
	struct stat st;

	path_in(path, sizeof(path), "signing.pem");
	ck_assert_ptr_null(crypto_signer_load(path, 0));
	a = crypto_signer_load(path, 1);
	ck_assert_msg(a != NULL, "%s", crypto_last_error());
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	read_file(path, pem, sizeof(pem));
	ck_assert(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);

	b = crypto_signer_load(path, 0);
	ck_assert_msg(b != NULL, "%s", crypto_last_error());
	crypto_signer_public(a, pub1);
	crypto_signer_public(b, pub2);
	ck_assert(memcmp(pub1, pub2, 32) == 0);
	/* create on an existing file loads it rather than replacing it. */
	crypto_signer_free(b);
	b = crypto_signer_load(path, 1);
	ck_assert_ptr_nonnull(b);
	crypto_signer_public(b, pub2);
	ck_assert(memcmp(pub1, pub2, 32) == 0);

	ck_assert_int_eq(crypto_sign(b, "m", 1, sig), 0);
	ck_assert_int_eq(crypto_verify(pub1, "m", 1, sig), 1);
	crypto_signer_free(a);
	crypto_signer_free(b);
}
END_TEST

START_TEST(test_public_pem)
{
	unsigned char seed[32], pub[32], parsed[32];
	size_t plen = sizeof(parsed);
	struct crypto_signer *s;
	EVP_PKEY *pk;
	BIO *bio;
	char *pem;

	memset(seed, 7, sizeof(seed));
	s = crypto_signer_from_raw(seed);
	ck_assert_ptr_nonnull(s);
	pem = crypto_signer_public_pem(s);
	ck_assert_ptr_nonnull(pem);
	ck_assert(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	ck_assert_ptr_nonnull(strstr(pem, "-----END PUBLIC KEY-----\n"));
	ck_assert_ptr_null(strstr(pem, "PRIVATE"));

	bio = BIO_new_mem_buf(pem, -1);
	ck_assert_ptr_nonnull(bio);
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(pk, parsed, &plen), 1);
	crypto_signer_public(s, pub);
	ck_assert_uint_eq(plen, 32);
	ck_assert(memcmp(pub, parsed, 32) == 0);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	free(pem);
	crypto_signer_free(s);
	ck_assert_ptr_null(crypto_signer_public_pem(NULL));
}
END_TEST

/* crypto_ed25519_public_from_pem: the signer's own PEM, and what it refuses. */
START_TEST(test_public_from_pem)
{
	unsigned char seed[32], pub[32], parsed[32];
	struct crypto_signer *s;
	EVP_PKEY *rsa;
	BIO *bio;
	char *pem, *rsa_pem, *cut;
	long rsa_len;

	memset(seed, 9, sizeof(seed));
	s = crypto_signer_from_raw(seed);
	ck_assert_ptr_nonnull(s);
	pem = crypto_signer_public_pem(s);
	ck_assert_ptr_nonnull(pem);
	crypto_signer_public(s, pub);
	memset(parsed, 0, sizeof(parsed));
	ck_assert_int_eq(crypto_ed25519_public_from_pem(pem, strlen(pem), parsed), 0);
	ck_assert(memcmp(pub, parsed, 32) == 0);
	/* the signature made by the signer verifies with the parsed key */
	{
		unsigned char sig[CRYPTO_ED25519_SIG_LEN];

		ck_assert_int_eq(crypto_sign(s, "abc", 3, sig), 0);
		ck_assert_int_eq(crypto_verify(parsed, "abc", 3, sig), 1);
	}
	/* empty, garbage, truncated */
	ck_assert_int_eq(crypto_ed25519_public_from_pem("", 0, parsed), -1);
	ck_assert_int_eq(crypto_ed25519_public_from_pem("not a key", 9, parsed), -1);
	cut = strdup(pem);
	cut[strlen(cut) / 2] = '\0';
	ck_assert_int_eq(crypto_ed25519_public_from_pem(cut, strlen(cut), parsed), -1);
	free(cut);
	ck_assert_int_eq(crypto_ed25519_public_from_pem(NULL, 0, parsed), -1);
	/* a public key of another type */
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ck_assert_ptr_nonnull(rsa);
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, rsa), 1);
	rsa_len = BIO_get_mem_data(bio, &rsa_pem);
	ck_assert_int_gt(rsa_len, 0);
	ck_assert_int_eq(crypto_ed25519_public_from_pem(rsa_pem, (size_t)rsa_len, parsed), -1);
	ck_assert_str_eq(crypto_last_error(), "public key: not Ed25519");
	BIO_free(bio);
	EVP_PKEY_free(rsa);
	free(pem);
	crypto_signer_free(s);
}
END_TEST

START_TEST(test_key_file_refused)
{
	char path[256], pem[4096], other[256];
	struct crypto_signer *s;
	size_t len;
	EVP_PKEY *ec;
	BIO *mem;
	char *data;
	long dlen;

	path_in(path, sizeof(path), "signing.pem");
	s = crypto_signer_load(path, 1);
	ck_assert_ptr_nonnull(s);
	crypto_signer_free(s);
	len = read_file(path, pem, sizeof(pem));

	/* Group/other bits. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_ptr_null(crypto_signer_load(path, 0));
	ck_assert_ptr_nonnull(strstr(crypto_last_error(), "0644"));
	ck_assert_ptr_null(crypto_signer_load(path, 1)); /* not replaced */
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_ptr_null(crypto_signer_load(path, 0));
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_ptr_null(crypto_signer_load(path, 0));
	ck_assert_int_eq(chmod(path, 0400), 0);
	s = crypto_signer_load(path, 0);
	ck_assert_ptr_nonnull(s);
	crypto_signer_free(s);

	/* Garbage, truncated PEM, empty file. */
	path_in(other, sizeof(other), "garbage.pem");
	write_file(other, "not a key\n", 10, 0600);
	ck_assert_ptr_null(crypto_signer_load(other, 1));
	path_in(other, sizeof(other), "short.pem");
	write_file(other, pem, len / 2, 0600);
	ck_assert_ptr_null(crypto_signer_load(other, 0));
	path_in(other, sizeof(other), "empty.pem");
	write_file(other, "", 0, 0600);
	ck_assert_ptr_null(crypto_signer_load(other, 0));

	/* A directory. */
	path_in(other, sizeof(other), "dir");
	ck_assert_int_eq(mkdir(other, 0700), 0);
	ck_assert_ptr_null(crypto_signer_load(other, 1));

	/* A valid key of the wrong type. */
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(ec);
	mem = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(mem, ec, NULL, NULL, 0, NULL, NULL), 1);
	dlen = BIO_get_mem_data(mem, &data);
	path_in(other, sizeof(other), "ec.pem");
	write_file(other, data, (size_t)dlen, 0600);
	ck_assert_ptr_null(crypto_signer_load(other, 0));
	BIO_free(mem);
	EVP_PKEY_free(ec);

	/* Missing directory: creation fails cleanly. */
	path_in(other, sizeof(other), "nope/signing.pem");
	ck_assert_ptr_null(crypto_signer_load(other, 1));
	ck_assert_ptr_null(crypto_signer_load(NULL, 1));
}
END_TEST

/* ---- symmetric key files ---- */

START_TEST(test_keyfile_create_load)
{
	unsigned char k1[CRYPTO_KEY_LEN], k2[CRYPTO_KEY_LEN];
	char path[256], buf[256], hex[65];
	struct stat st;

	path_in(path, sizeof(path), "data.key");
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k1), -1);
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k1), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(read_file(path, buf, sizeof(buf)), 65);
	util_hex_encode(k1, sizeof(k1), hex);
	ck_assert(strncmp(buf, hex, 64) == 0);
	ck_assert_int_eq(buf[64], '\n');

	ck_assert_int_eq(crypto_keyfile_load(path, 0, k2), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) == 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k2), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) == 0);

	/* Two fresh files hold different keys. */
	path_in(path, sizeof(path), "data2.key");
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k2), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
}
END_TEST

START_TEST(test_keyfile_contents)
{
	static const char hex[] =
	    "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f";
	unsigned char k[CRYPTO_KEY_LEN];
	char path[256], buf[128];
	int i;

	path_in(path, sizeof(path), "k");
	/* Without newline, mixed case. */
	write_file(path, hex, 64, 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), 0);
	for (i = 0; i < CRYPTO_KEY_LEN; i++)
		ck_assert_int_eq(k[i], i);
	unlink(path);

	snprintf(buf, sizeof(buf), "%s\n\n", hex);
	write_file(path, buf, 66, 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k), -1);
	unlink(path);

	snprintf(buf, sizeof(buf), "%s\r\n", hex);
	write_file(path, buf, 66, 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	unlink(path);

	write_file(path, hex, 62, 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	unlink(path);

	memcpy(buf, hex, 64);
	buf[10] = 'g';
	write_file(path, buf, 64, 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	unlink(path);

	memset(buf, 'a', sizeof(buf));
	write_file(path, buf, sizeof(buf), 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	unlink(path);

	write_file(path, "", 0, 0600);
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k), -1);
	unlink(path);
}
END_TEST

START_TEST(test_keyfile_permissions)
{
	unsigned char k[CRYPTO_KEY_LEN];
	char path[256], lnk[256];

	path_in(path, sizeof(path), "perm.key");
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	ck_assert_ptr_nonnull(strstr(crypto_last_error(), "perm.key"));
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k), -1);
	ck_assert_int_eq(chmod(path, 0660), 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	ck_assert_int_eq(chmod(path, 0601), 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), -1);
	ck_assert_int_eq(chmod(path, 0400), 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 0, k), 0);

	/* A symlink is followed; the target's mode is what counts. */
	ck_assert_int_eq(chmod(path, 0600), 0);
	path_in(lnk, sizeof(lnk), "link.key");
	ck_assert_int_eq(symlink(path, lnk), 0);
	ck_assert_int_eq(crypto_keyfile_load(lnk, 0, k), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(crypto_keyfile_load(lnk, 0, k), -1);

	/* A dangling symlink is not replaced by create. */
	unlink(path);
	ck_assert_int_eq(crypto_keyfile_load(lnk, 1, k), -1);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* Not a regular file: a FIFO must be refused without blocking. */
	path_in(path, sizeof(path), "fifo.key");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k), -1);
	ck_assert_ptr_null(crypto_signer_load(path, 1));
	path_in(path, sizeof(path), "subdir");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(crypto_keyfile_load(path, 1, k), -1);
	ck_assert_int_eq(crypto_keyfile_load(NULL, 1, k), -1);
}
END_TEST

static Suite *
sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc;

	tc = tcase_create("ed25519");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_rfc8032_vector1);
	tcase_add_test(tc, test_sign_verify);
	tcase_add_test(tc, test_key_file_roundtrip);
	tcase_add_test(tc, test_public_pem);
	tcase_add_test(tc, test_public_from_pem);
	tcase_add_test(tc, test_key_file_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("keyfile");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_keyfile_create_load);
	tcase_add_test(tc, test_keyfile_contents);
	tcase_add_test(tc, test_keyfile_permissions);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sign_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

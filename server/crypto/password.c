/*
 * crypto/password.c: scrypt password hashing through OpenSSL's EVP_KDF
 * "SCRYPT", a self-describing stored format, and a counting semaphore
 * that caps how many computations (each 128*N*r bytes) run at once.
 *
 * Stored format:  $scrypt$ln=<log2 N>,r=<r>,p=<p>$<b64 salt>$<b64 hash>
 * with standard padded base64 (RFC 4648 section 4).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/crypto.h"
#include "util/util.h"

#define CRYPTO_PASSWORD_R 8u
#define CRYPTO_PASSWORD_P 1u
#define CRYPTO_PASSWORD_SALT_LEN 16
#define CRYPTO_PASSWORD_HASH_LEN 32

/* Bounds accepted from a stored string (and for the default cost). */
#define CRYPTO_PASSWORD_LN_MIN 10u
#define CRYPTO_PASSWORD_LN_MAX 20u
#define CRYPTO_PASSWORD_R_MAX 16u
#define CRYPTO_PASSWORD_P_MAX 4u
#define CRYPTO_PASSWORD_SALT_MIN 16
#define CRYPTO_PASSWORD_HASH_MIN 32
#define CRYPTO_PASSWORD_FIELD_MAX 64 /* bytes, salt or hash */
#define CRYPTO_PASSWORD_B64_MAX 88   /* b64 chars of 64 bytes */

static const char crypto_password_prefix[] = "$scrypt$ln=";

/*
 * Counting semaphore and default cost. pw_active counts computations in
 * progress; callers wait on pw_cond while pw_active >= pw_limit.
 */
static pthread_mutex_t pw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pw_cond = PTHREAD_COND_INITIALIZER;
static int pw_limit = 2;
static int pw_active;
static unsigned pw_log2n = 15;

struct crypto_password_params {
	unsigned ln, r, p;
	unsigned char salt[CRYPTO_PASSWORD_FIELD_MAX];
	size_t saltlen;
	unsigned char hash[CRYPTO_PASSWORD_FIELD_MAX];
	size_t hashlen;
};

/* Block until fewer than pw_limit computations run, then take a slot. */
static void
crypto_password_acquire_slot(void)
{
	pthread_mutex_lock(&pw_lock);
	while (pw_active >= pw_limit)
		pthread_cond_wait(&pw_cond, &pw_lock);
	pw_active++;
	pthread_mutex_unlock(&pw_lock);
}

static void
crypto_password_release_slot(void)
{
	pthread_mutex_lock(&pw_lock);
	pw_active--;
	pthread_cond_signal(&pw_cond);
	pthread_mutex_unlock(&pw_lock);
}

static unsigned
crypto_password_get_cost(void)
{
	unsigned ln;

	pthread_mutex_lock(&pw_lock);
	ln = pw_log2n;
	pthread_mutex_unlock(&pw_lock);
	return ln;
}

int
crypto_password_set_concurrency(int max)
{
	if (max < 1)
		return -1;
	pthread_mutex_lock(&pw_lock);
	pw_limit = max;
	/* A raised limit may admit several waiters at once. */
	pthread_cond_broadcast(&pw_cond);
	pthread_mutex_unlock(&pw_lock);
	return 0;
}

int
crypto_password_set_cost(unsigned log2n)
{
	if (log2n < CRYPTO_PASSWORD_LN_MIN || log2n > CRYPTO_PASSWORD_LN_MAX)
		return -1;
	pthread_mutex_lock(&pw_lock);
	pw_log2n = log2n;
	pthread_mutex_unlock(&pw_lock);
	return 0;
}

/*
 * Validates (N, r, p) as RFC 7914 requires and sets maxmem to exactly
 * the memory OpenSSL will ask for (p*128*r for B plus 128*r*(N+2) for
 * V), so the default 32 MiB ceiling never refuses a legitimate cost.
 * Waits for a semaphore slot around the derivation itself. On failure
 * out is wiped.
 */
int
crypto_scrypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen, uint64_t n,
              uint32_t r, uint32_t p, void *out, size_t outlen)
{
	static const unsigned char empty[1];
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[7], *q = params;
	uint64_t blen, vlen, maxmem;
	int ret = -1;

	if (out == NULL || outlen == 0 || (pw == NULL && pwlen > 0) ||
	    (salt == NULL && saltlen > 0)) {
		crypto_set_error("scrypt: bad arguments");
		goto done;
	}
	if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 ||
	    (uint64_t)r * p >= (UINT64_C(1) << 30)) {
		crypto_set_error("scrypt: invalid parameters");
		goto done;
	}
	blen = (uint64_t)p * 128 * r;
	if (n > UINT64_MAX / 128 / r - 2) {
		crypto_set_error("scrypt: parameters too large");
		goto done;
	}
	vlen = 128 * (uint64_t)r * (n + 2);
	if (blen > UINT64_MAX - vlen) {
		crypto_set_error("scrypt: parameters too large");
		goto done;
	}
	maxmem = blen + vlen;

	if (pw == NULL)
		pw = empty;
	if (salt == NULL)
		salt = empty;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, pwlen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*q = OSSL_PARAM_construct_end();

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		crypto_set_error("scrypt: KDF unavailable");
		goto done;
	}
	crypto_password_acquire_slot();
	if (EVP_KDF_derive(kctx, out, outlen, params) != 1) {
		crypto_password_release_slot();
		crypto_set_error("scrypt: derivation failed");
		goto done;
	}
	crypto_password_release_slot();
	ret = 0;
done:
	if (ret != 0 && out != NULL && outlen > 0)
		OPENSSL_cleanse(out, outlen);
	EVP_KDF_CTX_free(kctx); /* wipes its copy of the password */
	EVP_KDF_free(kdf);
	return ret;
}

char *
crypto_password_hash(const char *password)
{
	unsigned char salt[CRYPTO_PASSWORD_SALT_LEN];
	unsigned char hash[CRYPTO_PASSWORD_HASH_LEN];
	char salt64[4 * ((sizeof(salt) + 2) / 3) + 1];
	char hash64[4 * ((sizeof(hash) + 2) / 3) + 1];
	char stored[128]; /* longest form is 91 characters */
	char *ret = NULL;
	unsigned ln = crypto_password_get_cost();
	int len;

	if (password == NULL) {
		crypto_set_error("password_hash: NULL password");
		goto done;
	}
	if (crypto_random(salt, sizeof(salt)) != 0)
		goto done;
	if (crypto_scrypt(password, strlen(password), salt, sizeof(salt), UINT64_C(1) << ln,
	                  CRYPTO_PASSWORD_R, CRYPTO_PASSWORD_P, hash, sizeof(hash)) != 0)
		goto done;
	util_b64_encode(salt, sizeof(salt), salt64);
	util_b64_encode(hash, sizeof(hash), hash64);
	len = snprintf(stored, sizeof(stored), "%s%u,r=%u,p=%u$%s$%s", crypto_password_prefix, ln,
	               CRYPTO_PASSWORD_R, CRYPTO_PASSWORD_P, salt64, hash64);
	if (len < 0 || (size_t)len >= sizeof(stored)) {
		crypto_set_error("password_hash: formatting failed");
		goto done;
	}
	if ((ret = strdup(stored)) == NULL) {
		crypto_set_error("password_hash: out of memory");
		goto done;
	}
done:
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(hash64, sizeof(hash64));
	OPENSSL_cleanse(stored, sizeof(stored));
	return ret;
}

/*
 * Read a decimal in [min, max] at *sp: one to two digits, no leading
 * zero, no sign. Advances *sp past it. Returns 0, or -1.
 */
static int
crypto_password_parse_uint(const char **sp, unsigned min, unsigned max, unsigned *out)
{
	const char *s = *sp;
	unsigned v = 0;
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9') {
		if (i == 2)
			return -1; /* every bound here fits in 2 digits */
		v = v * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (i == 0 || (i > 1 && s[0] == '0') || v < min || v > max)
		return -1;
	*sp = s + i;
	*out = v;
	return 0;
}

/*
 * Decode the base64 field s[0..len) into out (at most
 * CRYPTO_PASSWORD_FIELD_MAX bytes). Returns the byte count, or -1.
 */
static long
crypto_password_parse_field(const char *s, size_t len, unsigned char *out)
{
	char buf[CRYPTO_PASSWORD_B64_MAX + 1];

	if (len == 0 || len > CRYPTO_PASSWORD_B64_MAX)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return util_b64_decode(buf, out, CRYPTO_PASSWORD_FIELD_MAX);
}

/*
 * Parse a stored string strictly into pp, bounding every parameter.
 * Returns 0, or -1 if anything is out of place.
 */
static int
crypto_password_parse(const char *stored, struct crypto_password_params *pp)
{
	const char *s = stored, *dollar;
	long n;

	if (strncmp(s, crypto_password_prefix, sizeof(crypto_password_prefix) - 1) != 0)
		return -1;
	s += sizeof(crypto_password_prefix) - 1;
	if (crypto_password_parse_uint(&s, CRYPTO_PASSWORD_LN_MIN, CRYPTO_PASSWORD_LN_MAX,
	                               &pp->ln) != 0)
		return -1;
	if (strncmp(s, ",r=", 3) != 0)
		return -1;
	s += 3;
	if (crypto_password_parse_uint(&s, 1, CRYPTO_PASSWORD_R_MAX, &pp->r) != 0)
		return -1;
	if (strncmp(s, ",p=", 3) != 0)
		return -1;
	s += 3;
	if (crypto_password_parse_uint(&s, 1, CRYPTO_PASSWORD_P_MAX, &pp->p) != 0)
		return -1;
	if (*s != '$')
		return -1;
	s++;
	if ((dollar = strchr(s, '$')) == NULL)
		return -1;
	n = crypto_password_parse_field(s, (size_t)(dollar - s), pp->salt);
	if (n < CRYPTO_PASSWORD_SALT_MIN)
		return -1;
	pp->saltlen = (size_t)n;
	s = dollar + 1;
	/* A further '$' is not base64 and fails to decode. */
	n = crypto_password_parse_field(s, strlen(s), pp->hash);
	if (n < CRYPTO_PASSWORD_HASH_MIN)
		return -1;
	pp->hashlen = (size_t)n;
	return 0;
}

int
crypto_password_verify(const char *password, const char *stored)
{
	struct crypto_password_params pp;
	unsigned char derived[CRYPTO_PASSWORD_FIELD_MAX];
	int ret = -1;

	memset(&pp, 0, sizeof(pp));
	if (password == NULL || stored == NULL) {
		crypto_set_error("password_verify: NULL argument");
		goto done;
	}
	if (crypto_password_parse(stored, &pp) != 0) {
		crypto_set_error("password_verify: malformed stored hash");
		goto done;
	}
	if (crypto_scrypt(password, strlen(password), pp.salt, pp.saltlen, UINT64_C(1) << pp.ln,
	                  pp.r, pp.p, derived, pp.hashlen) != 0)
		goto done;
	ret = CRYPTO_memcmp(derived, pp.hash, pp.hashlen) == 0 ? 1 : 0;
done:
	OPENSSL_cleanse(derived, sizeof(derived));
	OPENSSL_cleanse(&pp, sizeof(pp));
	return ret;
}

/*
 * Same work as verifying against a hash made with the current default
 * cost; the result and any failure are discarded.
 */
void
crypto_password_dummy(const char *password)
{
	unsigned char salt[CRYPTO_PASSWORD_SALT_LEN];
	unsigned char out[CRYPTO_PASSWORD_HASH_LEN];

	if (password == NULL)
		password = "";
	if (crypto_random(salt, sizeof(salt)) != 0)
		memset(salt, 0, sizeof(salt));
	(void)crypto_scrypt(password, strlen(password), salt, sizeof(salt),
	                    UINT64_C(1) << crypto_password_get_cost(), CRYPTO_PASSWORD_R,
	                    CRYPTO_PASSWORD_P, out, sizeof(out));
	OPENSSL_cleanse(out, sizeof(out));
}

int
crypto_password_needs_rehash(const char *stored)
{
	struct crypto_password_params pp;
	int ret = 0;

	memset(&pp, 0, sizeof(pp));
	if (stored != NULL && crypto_password_parse(stored, &pp) == 0)
		ret = pp.ln < crypto_password_get_cost() || pp.r < CRYPTO_PASSWORD_R ||
		      pp.p < CRYPTO_PASSWORD_P;
	OPENSSL_cleanse(&pp, sizeof(pp));
	return ret;
}

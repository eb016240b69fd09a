/*
 * crypto/random.c: CSPRNG, SHA-256, and the per-thread failure reason
 * shared by the whole crypto module.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

/* Holds only reasons and paths, never key material. */
static __thread char crypto_error_buf[256];

const char *
crypto_last_error(void)
{
	if (crypto_error_buf[0] == '\0')
		return "no error recorded";
	return crypto_error_buf;
}

/*
 * Formats the reason; if OpenSSL queued an error on this thread, its
 * reason string is appended and the queue is cleared, so a failed call
 * leaves nothing behind for an unrelated later one to misreport.
 */
void
crypto_set_error(const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	size_t used;

	va_start(ap, fmt);
	vsnprintf(crypto_error_buf, sizeof(crypto_error_buf), fmt, ap);
	va_end(ap);
	e = ERR_peek_last_error();
	if (e != 0) {
		const char *why = ERR_reason_error_string(e);

		used = strlen(crypto_error_buf);
		if (why != NULL && used + 1 < sizeof(crypto_error_buf))
			snprintf(crypto_error_buf + used, sizeof(crypto_error_buf) - used,
			         " (openssl: %s)", why);
	}
	ERR_clear_error();
}

int
crypto_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	int ret = -1;

	if (p == NULL && len > 0) {
		crypto_set_error("crypto_random: NULL buffer");
		goto done;
	}
	/* RAND_bytes takes an int, so feed it in bounded chunks. */
	while (len > 0) {
		int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1) {
			crypto_set_error("crypto_random: RAND_bytes failed");
			goto done;
		}
		p += n;
		len -= (size_t)n;
	}
	ret = 0;
done:
	return ret;
}

int
crypto_sha256(const void *buf, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int outlen = 0;
	int ret = -1;

	if (buf == NULL && len > 0) {
		crypto_set_error("crypto_sha256: NULL buffer");
		goto done;
	}
	if (buf == NULL)
		buf = "";
	if (EVP_Digest(buf, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
	    outlen != CRYPTO_SHA256_LEN) {
		crypto_set_error("crypto_sha256: digest failed");
		goto done;
	}
	ret = 0;
done:
	return ret;
}

int
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                   unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int outlen = 0;

	if (key == NULL || (msg == NULL && len > 0)) {
		crypto_set_error("crypto_hmac_sha256: NULL argument");
		return -1;
	}
	if (HMAC(EVP_sha256(), key, (int)keylen, msg ? msg : (const void *)"", len, out, &outlen) ==
	        NULL ||
	    outlen != CRYPTO_SHA256_LEN) {
		crypto_set_error("crypto_hmac_sha256: failed");
		return -1;
	}
	return 0;
}

int
crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

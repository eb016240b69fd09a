/*
 * crypto/totp.c: TOTP (RFC 6238) codes through liboath, and base32 for
 * the otpauth:// URI. The only file that calls liboath.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>

#include "crypto/crypto.h"

static pthread_once_t totp_once = PTHREAD_ONCE_INIT;
static int totp_ready = -1;

static void
totp_init_once(void)
{
	totp_ready = oath_init() == OATH_OK ? 0 : -1;
}

int
crypto_totp_init(void)
{
	pthread_once(&totp_once, totp_init_once);
	if (totp_ready != 0)
		crypto_set_error("liboath initialisation failed");
	return totp_ready;
}

int
crypto_totp_code(const unsigned char *key, size_t keylen, long long t, unsigned step,
                 unsigned digits, enum crypto_totp_alg alg, char out[9])
{
	int flags = alg == CRYPTO_TOTP_SHA256   ? OATH_TOTP_HMAC_SHA256
	            : alg == CRYPTO_TOTP_SHA512 ? OATH_TOTP_HMAC_SHA512
	                                        : 0;

	out[0] = '\0';
	if (crypto_totp_init() != 0)
		return -1;
	if (key == NULL || keylen == 0 || step == 0 || digits < 6 || digits > 8 || t < 0)
		return -1;
	if (oath_totp_generate2((const char *)key, keylen, (time_t)t, step, 0, digits, flags,
	                        out) != OATH_OK) {
		crypto_set_error("TOTP generation failed");
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
crypto_totp_check(const unsigned char *key, size_t keylen, const char *code, long long now,
                  long long after_step, long long *step)
{
	char want[9];
	int found = 0;
	long long matched = -1;

	*step = -1;
	if (code == NULL || strlen(code) != CRYPTO_TOTP_DIGITS)
		return 0;
	for (int i = 0; i < CRYPTO_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	/* every candidate is computed and compared, whatever matched first */
	for (int d = -1; d <= 1; d++) {
		long long s = now / CRYPTO_TOTP_STEP + d;
		int eq;

		if (s < 0)
			continue;
		if (crypto_totp_code(key, keylen, s * CRYPTO_TOTP_STEP, CRYPTO_TOTP_STEP,
		                     CRYPTO_TOTP_DIGITS, CRYPTO_TOTP_SHA1, want) != 0) {
			OPENSSL_cleanse(want, sizeof(want));
			return -1;
		}
		eq = CRYPTO_memcmp(want, code, CRYPTO_TOTP_DIGITS) == 0;
		if (eq && s > after_step && !found) {
			found = 1;
			matched = s;
		}
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (found)
		*step = matched;
	return found;
}

int
crypto_base32_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t need = (len * 8 + 4) / 5, o = 0;
	unsigned buf = 0;
	int bits = 0;

	if (outlen < need + 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

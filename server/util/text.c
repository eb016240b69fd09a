/*
 * util/text.c: encodings (hex, base64, base64url), input validation
 * (UTF-8, UUID), constant-time comparison and timestamps.
 * Pure C: no OpenSSL, no libmicrohttpd, no libpq.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

static const char util_hex_digits[] = "0123456789abcdef";
static const char util_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char util_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- UTF-8 and UUID ---- */

int
util_uuid_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	/* Stops at the first mismatch, so a short string's NUL ends it. */
	for (i = 0; i < 36; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return s[36] == '\0';
}

/* ---- hex ---- */

void
util_hex_encode(const void *buf, size_t len, char *out)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = util_hex_digits[p[i] >> 4];
		out[2 * i + 1] = util_hex_digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/* Value of one hex digit (either case), or -1. */
static int
util_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Validates everything before writing, so out is untouched on failure. */
int
util_hex_decode(const char *hex, void *out, size_t outlen)
{
	unsigned char *o = out;
	size_t i, want;

	if (hex == NULL || outlen > (SIZE_MAX - 1) / 2)
		return -1;
	want = 2 * outlen;
	if (strnlen(hex, want + 1) != want)
		return -1;
	for (i = 0; i < want; i++) {
		if (util_hex_value(hex[i]) < 0)
			return -1;
	}
	for (i = 0; i < outlen; i++)
		o[i] = (unsigned char)(util_hex_value(hex[2 * i]) << 4 |
		                       util_hex_value(hex[2 * i + 1]));
	return 0;
}

/* ---- base64 (both alphabets) ---- */

/*
 * Encode len bytes with alphabet alpha; with pad, fill the last group
 * with '='. Writes a NUL after the output.
 */
static void
util_b64_encode_with(const void *buf, size_t len, char *out, const char *alpha, int pad)
{
	const unsigned char *p = buf;
	size_t i = 0, o = 0;

	while (len - i >= 3) {
		unsigned long v =
		    (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];

		out[o++] = alpha[(v >> 18) & 0x3f];
		out[o++] = alpha[(v >> 12) & 0x3f];
		out[o++] = alpha[(v >> 6) & 0x3f];
		out[o++] = alpha[v & 0x3f];
		i += 3;
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)p[i] << 16;

		out[o++] = alpha[(v >> 18) & 0x3f];
		out[o++] = alpha[(v >> 12) & 0x3f];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;

		out[o++] = alpha[(v >> 18) & 0x3f];
		out[o++] = alpha[(v >> 12) & 0x3f];
		out[o++] = alpha[(v >> 6) & 0x3f];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

/* 6-bit value of c in the standard (url == 0) or url alphabet, or -1. */
static int
util_b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Decode n symbols (no padding) from s. Checks that the result fits in
 * outcap before writing anything; refuses n % 4 == 1 and non-zero
 * unused bits in the last symbol. Returns the byte count or -1.
 */
static long
util_b64_decode_with(const char *s, size_t n, unsigned char *out, size_t outcap, int url)
{
	size_t full = n / 4, rem = n % 4, outlen, i, o = 0;
	int v[4];

	if (rem == 1)
		return -1;
	outlen = full * 3 + (rem == 0 ? 0 : rem - 1);
	if (outlen > outcap || outlen > (size_t)LONG_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (util_b64_value(s[i], url) < 0)
			return -1;
	}
	for (i = 0; i < full; i++) {
		size_t k;

		for (k = 0; k < 4; k++)
			v[k] = util_b64_value(s[4 * i + k], url);
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
		out[o++] = (unsigned char)((v[2] & 0x03) << 6 | v[3]);
	}
	if (rem == 2) {
		v[0] = util_b64_value(s[4 * full], url);
		v[1] = util_b64_value(s[4 * full + 1], url);
		if (v[1] & 0x0f)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
	} else if (rem == 3) {
		v[0] = util_b64_value(s[4 * full], url);
		v[1] = util_b64_value(s[4 * full + 1], url);
		v[2] = util_b64_value(s[4 * full + 2], url);
		if (v[2] & 0x03)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
	}
	return (long)o;
}

size_t
util_b64url_len(size_t len)
{
	static const size_t tail[3] = {0, 2, 3};

	return len / 3 * 4 + tail[len % 3];
}

void
util_b64url_encode(const void *buf, size_t len, char *out)
{
	util_b64_encode_with(buf, len, out, util_b64_url, 0);
}

long
util_b64url_decode(const char *s, void *out, size_t outcap)
{
	if (s == NULL)
		return -1;
	return util_b64_decode_with(s, strlen(s), out, outcap, 1);
}

void
util_b64_encode(const void *buf, size_t len, char *out)
{
	util_b64_encode_with(buf, len, out, util_b64_std, 1);
}

long
util_b64_decode(const char *s, void *out, size_t outcap)
{
	size_t len, pad = 0;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len % 4 != 0)
		return -1;
	if (len > 0 && s[len - 1] == '=') {
		pad = 1;
		if (s[len - 2] == '=') /* len >= 4 here */
			pad = 2;
	}
	/*
	 * With the '=' stripped, the symbol count's remainder is 2 or 3 for
	 * two or one '=' respectively; any other '=' is an invalid symbol.
	 */
	return util_b64_decode_with(s, len - pad, out, outcap, 0);
}

/* ---- comparison and time ---- */

int
util_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a;
	const volatile unsigned char *y = b;
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= (unsigned char)(x[i] ^ y[i]);
	/* 1 when acc == 0, without a data-dependent branch. */
	return (int)((((unsigned)acc) - 1) >> 8 & 1);
}

void
util_now_rfc3339(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;

	if (out == NULL || outlen == 0)
		return;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL) {
		snprintf(out, outlen, "1970-01-01T00:00:00.000000Z");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (long)(ts.tv_nsec / 1000));
}

/*
 * util: small, dependency-free helpers shared by every module.
 * Nothing here touches libmicrohttpd, libpq or OpenSSL.
 */
#ifndef LOCKSTEP_UTIL_H
#define LOCKSTEP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a decimal integer in [min, max], like OpenBSD's strtonum.
 * The whole string must be the number: no leading blanks, no trailing
 * characters, an optional leading '-' only when min < 0, no '+'.
 * Returns 0 and sets *out on success; -1 on NULL/empty/garbage/overflow/
 * out of range (and *out is left unchanged).
 */
int util_strnum(const char *s, long long min, long long max, long long *out)
    __attribute__((warn_unused_result));

/* util_utf8_valid(buf, len): see util/utf8.h. */
#include "util/utf8.h"

/*
 * Returns 1 if s is a canonical lowercase UUID (8-4-4-4-12 hex), else 0.
 * Used to validate path parameters before they reach SQL.
 */
int util_uuid_valid(const char *s);

/*
 * Lowercase hex encoding of len bytes into out (which must hold 2*len+1
 * bytes, NUL-terminated). Never fails.
 */
void util_hex_encode(const void *buf, size_t len, char *out);

/*
 * Decode hex (either case) of exactly 2*outlen characters into out.
 * Returns 0 on success, -1 on wrong length or a non-hex character.
 */
int util_hex_decode(const char *hex, void *out, size_t outlen);

/*
 * Base64url without padding (RFC 4648 section 5). out must hold
 * util_b64url_len(len)+1 bytes; the result is NUL-terminated.
 */
size_t util_b64url_len(size_t len);
void util_b64url_encode(const void *buf, size_t len, char *out);

/*
 * Decode unpadded base64url. Returns the number of bytes written to out
 * (at most outcap), or -1 on an invalid character, invalid length, or
 * if the result would not fit. Strict: '=' padding is refused, and so
 * is a last symbol with non-zero unused low bits (each byte string has
 * exactly one accepted encoding). out may be partly written on failure.
 */
long util_b64url_decode(const char *s, void *out, size_t outcap);

/*
 * Standard base64 with padding (RFC 4648 section 4). out must hold
 * 4*((len+2)/3)+1 bytes; NUL-terminated.
 */
void util_b64_encode(const void *buf, size_t len, char *out);

/*
 * Decode padded standard base64 (the form util_b64_encode writes). The
 * length must be a multiple of 4, '=' may appear only as the final one
 * or two characters, and unused low bits of the last symbol must be
 * zero, so every byte string has exactly one accepted encoding. Returns
 * the number of bytes written to out (at most outcap), or -1 on an
 * invalid character, invalid length or padding, or if the result would
 * not fit. out may be partly written on failure.
 */
long util_b64_decode(const char *s, void *out, size_t outcap);

/*
 * Constant-time comparison of two equal-length buffers: returns 1 if
 * equal, 0 otherwise. Time depends only on len.
 */
int util_ct_equal(const void *a, const void *b, size_t len);

/*
 * Format the current UTC time as RFC 3339 with microseconds
 * ("2026-11-25T17:20:11.123456Z") into out (at least 32 bytes).
 */
void util_now_rfc3339(char *out, size_t outlen);

/*
 * Media type of a file from its first len bytes (pass at least 512 when
 * the file has them): a few magic numbers (PDF, PNG, JPEG, GIF, ZIP,
 * gzip, bzip2, xz, zstd, 7z, pcap, pcapng, ELF, PE, SQLite, PEM, tar),
 * HTML, SVG, XML, JSON, UTF-8 text, else "application/octet-stream".
 * Returns a static string. Never fails.
 */
const char *util_sniff_media_type(const unsigned char *buf, size_t len);

#endif

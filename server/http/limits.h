/*
 * limits: request-framing and body rules that do not need libmicrohttpd,
 * so they are unit-testable.
 */
#ifndef LOCKSTEP_LIMITS_H
#define LOCKSTEP_LIMITS_H

#include <stddef.h>

enum limits_framing {
	LIMITS_FRAMING_OK,
	LIMITS_FRAMING_AMBIGUOUS, /* two Content-Length, or Content-Length with Transfer-Encoding */
	LIMITS_FRAMING_BAD_LENGTH, /* Content-Length is not a plain decimal number */
	LIMITS_FRAMING_TOO_LARGE,  /* declared length above max_body */
};

/*
 * Decide whether a request's framing is acceptable.
 * n_length: how many Content-Length headers; length: the value of the first
 * (NULL if none); n_te: how many Transfer-Encoding headers.
 * On LIMITS_FRAMING_OK, *declared is the declared length or -1 if none.
 */
enum limits_framing limits_check_framing(unsigned n_length, const char *length, unsigned n_te,
                                         size_t max_body, long long *declared);

/*
 * 1 if a Content-Type value names JSON: "application/json", optionally
 * with parameters (only charset=utf-8 is accepted, case-insensitively),
 * else 0. NULL gives 0.
 */
int limits_is_json_type(const char *content_type);

/*
 * Bounded append of n bytes to a growing, NUL-terminated buffer whose size
 * may never exceed max. Returns 0, or -1 when the result would exceed max
 * (nothing appended) or memory runs out.
 */
int limits_body_append(char **buf, size_t *len, size_t *cap, size_t max, const char *data,
                       size_t n);

/*
 * 1 if a Transfer-Encoding value is exactly "chunked" (ASCII case
 * ignored), the only coding lockstepd accepts; else 0.
 */
int limits_is_chunked(const char *te);

enum limits_target {
	LIMITS_TARGET_OK,
	LIMITS_TARGET_BAD_PATH,  /* in the path */
	LIMITS_TARGET_BAD_QUERY, /* in the query */
};

/*
 * Check a raw request target as received (before any decoding): every
 * '%' starts a valid escape of two hex digits, no escape is %00, and no
 * byte is a control character (below 0x20, or 0x7f). Says whether the
 * fault is in the path or in the query.
 */
enum limits_target limits_check_target(const char *raw);

/*
 * Check the header block of a request as libmicrohttpd 0.9.75 leaves it
 * in its read buffer after parsing: p points just past the HTTP version
 * of the request line, end just past the empty line. The parser has
 * replaced each CR LF with two NUL bytes, a bare LF with one, and the
 * first ':' of each field line with one NUL; everything else is as
 * received. Refused: a line ended by a bare LF (or holding a NUL byte), a
 * line that starts with white space (obs-fold), a field name that is
 * empty or not a token (white space before the colon), and a CR or other
 * control character (but HTAB) in a value. Returns NULL when the block is
 * fine, else a short reason (a constant).
 */
const char *limits_check_head(const char *p, const char *end);

#endif

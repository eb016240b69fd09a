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

#endif

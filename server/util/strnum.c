/*
 * strnum: the one bounded decimal parser (see util.h).
 */
#include <limits.h>
#include <stddef.h>

#include "util/util.h"

/*
 * Parse s as a decimal integer in [min, max].
 *
 * Accepted: [-]DIGITS, ASCII digits only, leading zeros allowed ("007" is
 * 7). The '-' is accepted only when min < 0; so "-0" is 0 when min < 0
 * and refused when min >= 0. Refused: NULL, "", "-", blanks anywhere,
 * '+', hex ("0x10"), exponents ("1e3"), min > max, any value that does
 * not fit a long long, and any value outside [min, max].
 *
 * Returns 0 and stores the value in *out; -1 on refusal with *out
 * untouched (a NULL out is refused too).
 */
int
util_strnum(const char *s, long long min, long long max, long long *out)
{
	int ret = -1;
	int neg = 0;
	unsigned long long limit;
	unsigned long long mag = 0;
	long long val;
	const char *p;

	if (s == NULL || out == NULL || min > max)
		goto done;
	p = s;
	if (*p == '-') {
		if (min >= 0)
			goto done;
		neg = 1;
		p++;
	}
	if (*p == '\0')
		goto done;

	/* Magnitude limit: |LLONG_MIN| for negatives, LLONG_MAX otherwise. */
	limit = neg ? (unsigned long long)LLONG_MAX + 1ULL : (unsigned long long)LLONG_MAX;
	for (; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			goto done;
		d = (unsigned)(*p - '0');
		if (mag > (limit - d) / 10)
			goto done; /* overflow */
		mag = mag * 10 + d;
	}

	if (neg) {
		if (mag == (unsigned long long)LLONG_MAX + 1ULL)
			val = LLONG_MIN;
		else
			val = -(long long)mag;
	} else
		val = (long long)mag;

	if (val < min || val > max)
		goto done;
	*out = val;
	ret = 0;
done:
	return ret;
}

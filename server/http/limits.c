/* http/limits.c: framing, content type and body bounds. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/limits.h"
#include "util/util.h"

enum limits_framing
limits_check_framing(unsigned n_length, const char *length, unsigned n_te, size_t max_body,
                     long long *declared)
{
	long long v;

	*declared = -1;
	if (n_length > 1 || (n_length == 1 && n_te > 0) || n_te > 1)
		return LIMITS_FRAMING_AMBIGUOUS;
	if (n_length == 0)
		return LIMITS_FRAMING_OK;
	if (length == NULL || util_strnum(length, 0, 0x7fffffffffffffffLL, &v) != 0)
		return LIMITS_FRAMING_BAD_LENGTH;
	if ((unsigned long long)v > max_body)
		return LIMITS_FRAMING_TOO_LARGE;
	*declared = v;
	return LIMITS_FRAMING_OK;
}

int
limits_is_json_type(const char *ct)
{
	const char *p;
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	p = ct + n;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1;
	if (*p++ != ';')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "charset=", 8) != 0)
		return 0;
	p += 8;
	if (strcasecmp(p, "utf-8") == 0 || strcasecmp(p, "\"utf-8\"") == 0)
		return 1;
	return 0;
}

int
limits_body_append(char **buf, size_t *len, size_t *cap, size_t max, const char *data, size_t n)
{
	size_t need;
	char *nb;

	if (n > max || *len > max - n)
		return -1;
	need = *len + n + 1;
	if (need > *cap) {
		size_t ncap = *cap ? *cap : 1024;

		while (ncap < need)
			ncap *= 2;
		if (ncap > max + 1)
			ncap = max + 1;
		nb = realloc(*buf, ncap);
		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

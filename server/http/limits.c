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

int
limits_is_chunked(const char *te)
{
	return te != NULL && strcasecmp(te, "chunked") == 0;
}

static int
limits_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

enum limits_target
limits_check_target(const char *raw)
{
	enum limits_target fault = LIMITS_TARGET_BAD_PATH;

	for (const unsigned char *p = (const unsigned char *)raw; *p != '\0'; p++) {
		if (*p == '?')
			fault = LIMITS_TARGET_BAD_QUERY;
		if (*p < 0x20 || *p == 0x7f)
			return fault;
		if (*p != '%')
			continue;
		if (!limits_hex(p[1]) || !limits_hex(p[2]) || (p[1] == '0' && p[2] == '0'))
			return fault;
		p += 2;
	}
	return LIMITS_TARGET_OK;
}

/* RFC 9110 5.6.2 tchar */
static int
limits_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A line terminator at *pp: two NULs (CR LF). Advances. 0, or -1 for anything else. */
static int
limits_crlf(const char **pp, const char *end)
{
	const char *p = *pp;

	if (end - p < 2 || p[0] != '\0' || p[1] != '\0')
		return -1;
	*pp = p + 2;
	return 0;
}

const char *
limits_check_head(const char *p, const char *end)
{
	if (p == NULL || end == NULL || p > end)
		return "the request head cannot be checked";
	if (limits_crlf(&p, end) != 0)
		return "lines must end with CR LF";
	for (;;) {
		const char *name;

		if (p >= end)
			return "the request head has no end";
		if (*p == '\0')
			break; /* the empty line */
		if (*p == ' ' || *p == '\t')
			return "folded header lines (obs-fold) are not accepted";
		name = p;
		while (p < end && *p != '\0') {
			if (!limits_is_tchar((unsigned char)*p))
				return "a header name is not a token (white space before the "
				       "colon?)";
			p++;
		}
		if (p == name || p >= end)
			return "a header line is malformed";
		p++; /* the colon */
		while (p < end && *p != '\0') {
			unsigned char c = (unsigned char)*p;

			if (c == '\r')
				return "a bare CR in a header value";
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return "a control character in a header value";
			p++;
		}
		if (limits_crlf(&p, end) != 0)
			return "a header line ends with a bare LF or holds a NUL byte";
	}
	if (limits_crlf(&p, end) != 0 || p != end)
		return "the empty line must end with CR LF";
	return NULL;
}

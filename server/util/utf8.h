/*
 * util/utf8.h: the one UTF-8 validator (used by the JSON reader, the
 * media-type sniffer, file names), inline so that every user, the fuzz
 * targets that compile util/json.c alone included, has the same code.
 */
#ifndef LOCKSTEP_UTF8_H
#define LOCKSTEP_UTF8_H

#include <stddef.h>

/*
 * Returns 1 if buf[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF, no NUL byte), else 0.
 */
/*
 * Well-formed UTF-8 as in RFC 3629 / Unicode table 3-7, with NUL
 * refused as well. The second byte's range depends on the lead byte;
 * the narrowed ranges after E0, ED, F0 and F4 rule out overlongs,
 * surrogates and code points above U+10FFFF.
 */
static inline int
util_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0;

	if (p == NULL)
		return len == 0;
	while (i < len) {
		unsigned char c = p[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, k;

		if (c == 0x00)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong below U+0800 */
			else if (c == 0xed)
				hi = 0x9f; /* UTF-16 surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong below U+10000 */
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			/* 80..C1 (continuation or overlong lead), F5..FF */
			return 0;
		}
		if (len - i - 1 < need)
			return 0; /* truncated sequence */
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k <= need; k++) {
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		}
		i += need + 1;
	}
	return 1;
}

#endif

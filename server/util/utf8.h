/*
 * util/utf8.h: the one UTF-8 validator (used by the JSON reader, the
 * media-type sniffer, file names) and the one classifier of the controls
 * the text rules refuse (names, texts, file names), inline so that every user, the fuzz
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

/*
 * The code points the text rules look at beyond printable text, with
 * their UTF-8:
 *   C0 controls and DEL (tab aside)       00-1F, 7F       UTIL_CP_CONTROL
 *   LF, CR                                0A, 0D          UTIL_CP_LINE
 *   C1 controls U+0080-U+009F             C2 80 - C2 9F   UTIL_CP_CONTROL
 *   U+2028 LINE / U+2029 PARA SEPARATOR   E2 80 A8/A9     UTIL_CP_LINE
 *   LRE RLE LRO RLO U+202A/B/D/E          E2 80 AA-AE     UTIL_CP_EMBED
 *   PDF U+202C                            E2 80 AC        UTIL_CP_PDF
 *   LRI RLI FSI U+2066-U+2068             E2 81 A6-A8     UTIL_CP_ISOLATE
 *   PDI U+2069                            E2 81 A9        UTIL_CP_PDI
 * An unclosed override (Trojan Source, CVE-2021-42574) reorders what
 * follows it on the reader's screen: "Acme" can read as "emcA", an
 * assessor's "not" can move, "report\u202Efdp.exe" reads "reportexe.pdf".
 */
enum util_cp {
	UTIL_CP_OTHER,
	UTIL_CP_CONTROL,
	UTIL_CP_LINE,
	UTIL_CP_EMBED,
	UTIL_CP_PDF,
	UTIL_CP_ISOLATE,
	UTIL_CP_PDI
};

/*
 * The class of the code point at p, in a NUL-terminated string of valid
 * UTF-8 (a NUL ends every comparison before it reads past the string);
 * *len is the bytes it classified (1 for anything it does not name).
 */
static inline enum util_cp
util_utf8_class(const unsigned char *p, size_t *len)
{
	*len = 1;
	if (*p < 0x20 || *p == 0x7f)
		return (*p == '\n' || *p == '\r') ? UTIL_CP_LINE
		                                 : (*p == '\t' ? UTIL_CP_OTHER : UTIL_CP_CONTROL);
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*len = 2;
		return UTIL_CP_CONTROL;
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae) {
		*len = 3;
		if (p[2] <= 0xa9)
			return UTIL_CP_LINE;
		return p[2] == 0xac ? UTIL_CP_PDF : UTIL_CP_EMBED;
	}
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
		*len = 3;
		return p[2] == 0xa9 ? UTIL_CP_PDI : UTIL_CP_ISOLATE;
	}
	return UTIL_CP_OTHER;
}

#endif

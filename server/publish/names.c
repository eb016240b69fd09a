/*
 * publish/names.c: the name check of anonymized releases, pseudonymous
 * labels and the random shuffle that assigns them.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "publish/publish.h"

/* A byte that belongs to a word: ASCII letter or digit, or any byte of a
 * multi-byte UTF-8 character (so "Acmé" is one word). */
static int
names_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

static unsigned char
names_fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Next word of s from *pos: its start and length; 0 when there is none. */
static int
names_next_word(const unsigned char *s, size_t *pos, size_t *start, size_t *len)
{
	size_t i = *pos;

	while (s[i] != '\0' && !names_word_byte(s[i]))
		i++;
	if (s[i] == '\0') {
		*pos = i;
		return 0;
	}
	*start = i;
	while (s[i] != '\0' && names_word_byte(s[i]))
		i++;
	*len = i - *start;
	*pos = i;
	return 1;
}

static int
names_word_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (names_fold(a[i]) != names_fold(b[i]))
			return 0;
	return 1;
}

/*
 * Words, not characters: text and name are split into words (runs of
 * letters, digits and multi-byte UTF-8 characters) and the name matches
 * where its words follow one another in the text, whatever separates them
 * ("Beta Labs" is found in "BETA-labs" and in "Beta  Labs"). Holding a
 * release is the safe side, so a looser match is the right error.
 */
int
publish_name_in(const char *text, const char *name)
{
	const unsigned char *t = (const unsigned char *)text;
	const unsigned char *n = (const unsigned char *)name;
	size_t tpos = 0, ts, tl;

	if (text == NULL || name == NULL)
		return 0;
	{
		size_t np = 0, s0, l0;

		if (!names_next_word(n, &np, &s0, &l0))
			return 0; /* no word at all: never matches */
	}
	while (names_next_word(t, &tpos, &ts, &tl)) {
		size_t tp = ts, np = 0, ns, nl, ws, wl;
		int ok = 1;

		while (names_next_word(n, &np, &ns, &nl)) {
			if (!names_next_word(t, &tp, &ws, &wl) ||
			    !names_word_eq(t + ws, wl, n + ns, nl)) {
				ok = 0;
				break;
			}
		}
		if (ok)
			return 1;
	}
	return 0;
}

void
publish_label(size_t i, char *out, size_t outlen)
{
	char letters[16];
	size_t n = 0;

	/* bijective base 26: 0 A, 25 Z, 26 AA, ... */
	i++;
	while (i > 0 && n < sizeof(letters)) {
		i--;
		letters[n++] = (char)('A' + (i % 26));
		i /= 26;
	}
	snprintf(out, outlen, "Company ");
	for (size_t k = 0; k < n; k++) {
		size_t used = strlen(out);

		if (used + 1 < outlen) {
			out[used] = letters[n - 1 - k];
			out[used + 1] = '\0';
		}
	}
}

/* A uniform random integer in [0, bound), bound >= 1. 0 or -1. */
static int
names_uniform(uint64_t bound, uint64_t *out)
{
	uint64_t v, limit = UINT64_MAX - (UINT64_MAX % bound);

	do {
		if (crypto_random(&v, sizeof(v)) != 0)
			return -1;
	} while (v >= limit);
	*out = v % bound;
	return 0;
}

int
publish_shuffle(size_t *perm, size_t n)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n; i > 1; i--) {
		uint64_t j;
		size_t tmp;

		if (names_uniform((uint64_t)i, &j) != 0)
			return -1;
		tmp = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = tmp;
	}
	return 0;
}

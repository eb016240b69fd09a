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

int
publish_name_in(const char *text, const char *name)
{
	const unsigned char *t = (const unsigned char *)text;
	const unsigned char *n = (const unsigned char *)name;
	size_t tlen, nlen, i, j;
	int need_left, need_right;

	if (text == NULL || name == NULL)
		return 0;
	/* trim white space around the name: "Acme " is the name "Acme" */
	while (*n == ' ' || *n == '\t')
		n++;
	nlen = strlen((const char *)n);
	while (nlen > 0 && (n[nlen - 1] == ' ' || n[nlen - 1] == '\t'))
		nlen--;
	tlen = strlen(text);
	if (nlen == 0 || nlen > tlen)
		return 0;
	need_left = names_word_byte(n[0]);
	need_right = names_word_byte(n[nlen - 1]);
	for (i = 0; i + nlen <= tlen; i++) {
		for (j = 0; j < nlen; j++)
			if (names_fold(t[i + j]) != names_fold(n[j]))
				break;
		if (j != nlen)
			continue;
		if (need_left && i > 0 && names_word_byte(t[i - 1]))
			continue;
		if (need_right && i + nlen < tlen && names_word_byte(t[i + nlen]))
			continue;
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

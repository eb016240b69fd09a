/*
 * publish/names.c: the name check of anonymized releases (on Unicode text,
 * with ICU), pseudonymous labels and the random shuffle that assigns them.
 *
 * The name check, in order, for the text and for every name alike:
 *
 *   1. default-ignorable code points (ZWSP, ZWJ, soft hyphen, bidi
 *      controls, variation selectors...) are removed, so they neither split
 *      nor hide a word ("Beta\u200bworks" is "Betaworks");
 *   2. ICU's word break iterator (UAX #29, dictionaries for scripts
 *      without spaces) gives word boundaries; a token is a run of letters,
 *      digits and marks inside one word, so punctuation inside a word
 *      (the apostrophe of "Acmecorp’s", the dot of "acmecorp.com") also
 *      separates, and every Han, Kana, Thai, Lao, Khmer or Myanmar
 *      character is a token of its own (a name in those scripts matches as
 *      a substring), and a capital letter after a small one starts a new
 *      token ("AcmeCloud" holds for "Acme", as a reader sees it);
 *   3. each token becomes a key: NFKC case folding, the UTS #39 confusable
 *      skeleton (uspoof_getSkeleton: Cyrillic "А" is Latin "A", "0" is
 *      "O"), canonical decomposition with non-spacing marks removed
 *      ("é" is "e"), and NFKC case folding once more;
 *   4. a name matches where the keys of consecutive tokens of the text,
 *      concatenated, equal the concatenated keys of the name's tokens,
 *      starting and ending on token boundaries: "Beta Labs" is found in
 *      "BETA-labs", "Betalabs" and "Beta\u00adLabs"; "Acme" is not found in
 *      "Acmeology".
 *
 * Holding a release is the safe side, so every step errs towards a match
 * (a name that is a common word holds every text that uses the word), and
 * an ICU failure is reported as a failure, which the callers treat as a
 * hit.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "crypto/crypto.h"
#include "publish/publish.h"

/* One token of an indexed text: where it is, and its key. */
struct names_tok {
	size_t b0, b1; /* bytes of the original text */
	size_t u0, u1; /* UTF-16 code units of the original text */
	UChar *key;    /* malloc'd, keylen units, not terminated */
	int32_t keylen;
};

struct publish_text {
	struct names_tok *tok;
	size_t ntok;
};

static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static USpoofChecker *names_spoof;
static const UNormalizer2 *names_nfkc_cf;
static const UNormalizer2 *names_nfd;

/* ICU's objects, once per process. The spoof checker is only used through
 * const functions, which ICU documents as thread-safe; the normalizers
 * are ICU-owned singletons. Failure leaves a pointer NULL. */
static void
names_init(void)
{
	UErrorCode st = U_ZERO_ERROR;
	USpoofChecker *sc = uspoof_open(&st);

	if (U_SUCCESS(st))
		names_spoof = sc;
	st = U_ZERO_ERROR;
	names_nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
	if (U_FAILURE(st))
		names_nfkc_cf = NULL;
	st = U_ZERO_ERROR;
	names_nfd = unorm2_getNFDInstance(&st);
	if (U_FAILURE(st))
		names_nfd = NULL;
}

static int
names_ready(void)
{
	pthread_once(&names_once, names_init);
	return names_spoof != NULL && names_nfkc_cf != NULL && names_nfd != NULL;
}

/*
 * Letters, digits and marks make tokens, except modifier letters that are
 * confusable with punctuation (U+02BC MODIFIER LETTER APOSTROPHE looks
 * like "'"): one whose skeleton holds no letter or digit separates.
 */
static int
names_word_cp(UChar32 c)
{
	uint32_t gc = U_GET_GC_MASK(c);
	UChar in[2], out[32];
	int32_t n = 0, len;
	UErrorCode st = U_ZERO_ERROR;

	if ((gc & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK)) == 0)
		return 0;
	if ((gc & U_GC_LM_MASK) == 0)
		return 1;
	U16_APPEND_UNSAFE(in, n, c);
	len = uspoof_getSkeleton(names_spoof, 0, in, n, out, 32, &st);
	if (U_FAILURE(st))
		return 1;
	for (int32_t i = 0; i < len;) {
		UChar32 s;

		U16_NEXT(out, i, len, s);
		if ((U_GET_GC_MASK(s) & (U_GC_L_MASK | U_GC_N_MASK)) != 0)
			return 1;
	}
	return 0;
}

/* Characters of scripts written without spaces: each is a token. */
static int
names_solo_cp(UChar32 c)
{
	UErrorCode st = U_ZERO_ERROR;
	UScriptCode s = uscript_getScript(c, &st);

	if (U_FAILURE(st))
		return 0;
	return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA ||
	       s == USCRIPT_THAI || s == USCRIPT_LAO || s == USCRIPT_KHMER || s == USCRIPT_MYANMAR;
}

/*
 * One ICU string transformation: nf set, normalise with it (unorm2),
 * else the confusable skeleton (uspoof, UTS #39). Same contract as ICU's:
 * the length of the result, *st U_BUFFER_OVERFLOW_ERROR when cap is short.
 */
static int32_t
names_icu_apply(const UNormalizer2 *nf, const UChar *in, int32_t n, UChar *buf, int32_t cap,
                UErrorCode *st)
{
	if (nf != NULL)
		return unorm2_normalize(nf, in, n, buf, cap, st);
	return uspoof_getSkeleton(names_spoof, 0, in, n, buf, cap, st);
}

/*
 * Transform in[0..n) (see names_icu_apply) into a new buffer (*out,
 * malloc'd) of *outn units, growing it once when ICU asks. 0 or -1.
 */
static int
names_transform(const UNormalizer2 *nf, const UChar *in, int32_t n, UChar **out, int32_t *outn)
{
	int32_t cap = n * 4 + 16, len;
	UErrorCode st = U_ZERO_ERROR;
	UChar *buf = malloc((size_t)cap * sizeof(UChar));

	if (buf == NULL)
		return -1;
	len = names_icu_apply(nf, in, n, buf, cap, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		UChar *nb = realloc(buf, ((size_t)len + 1) * sizeof(UChar));

		if (nb == NULL) {
			free(buf);
			return -1;
		}
		buf = nb;
		cap = len + 1;
		st = U_ZERO_ERROR;
		len = names_icu_apply(nf, in, n, buf, cap, &st);
	}
	if (U_FAILURE(st)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outn = len;
	return 0;
}

/* Normalise in[0..n) with nf (see names_transform). 0 or -1. */
static int
names_normalize(const UNormalizer2 *nf, const UChar *in, int32_t n, UChar **out, int32_t *outn)
{
	return nf != NULL ? names_transform(nf, in, n, out, outn) : -1;
}

/* The confusable skeleton of in[0..n) (UTS #39) into *out (malloc'd). 0 or -1. */
static int
names_skeleton(const UChar *in, int32_t n, UChar **out, int32_t *outn)
{
	return names_transform(NULL, in, n, out, outn);
}

/*
 * The key of one token in[0..n): NFKC case fold, skeleton, NFD without
 * non-spacing marks, NFKC case fold. *key malloc'd (caller frees). 0 or -1.
 */
static int
names_key(const UChar *in, int32_t n, UChar **key, int32_t *keylen)
{
	UChar *a = NULL, *b = NULL, *c = NULL;
	int32_t an, bn, cn, w = 0;
	int ret = -1;

	if (names_normalize(names_nfkc_cf, in, n, &a, &an) != 0 ||
	    names_skeleton(a, an, &b, &bn) != 0 || names_normalize(names_nfd, b, bn, &c, &cn) != 0)
		goto done;
	for (int32_t i = 0; i < cn;) {
		UChar32 cp;
		int32_t at = i;

		U16_NEXT(c, i, cn, cp);
		if ((U_GET_GC_MASK(cp) & U_GC_MN_MASK) != 0)
			continue;
		while (at < i)
			c[w++] = c[at++];
	}
	free(a);
	a = NULL;
	ret = names_normalize(names_nfkc_cf, c, w, key, keylen);
done:
	free(a);
	free(b);
	free(c);
	return ret;
}

void
publish_text_free(struct publish_text *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->ntok; i++)
		free(t->tok[i].key);
	free(t->tok);
	free(t);
}

struct publish_text *
publish_text_new(const char *text)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t n = strlen(text), ncp = 0;
	struct publish_text *t = NULL;
	UChar32 *cps = NULL;
	size_t *b0 = NULL, *b1 = NULL, *u0 = NULL, *u1 = NULL, *u2cp = NULL;
	int32_t *cpu = NULL;
	unsigned char *brk = NULL;
	UChar *u = NULL;
	int32_t ulen = 0;
	UBreakIterator *bi = NULL;
	UErrorCode st = U_ZERO_ERROR;
	size_t start = 0, ou = 0;
	int in_tok = 0, prev_solo = 0;

	if (!names_ready() || n > INT32_MAX / 2)
		return NULL;
	t = calloc(1, sizeof(*t));
	cps = calloc(n + 1, sizeof(*cps));
	b0 = calloc(n + 1, sizeof(*b0));
	b1 = calloc(n + 1, sizeof(*b1));
	u0 = calloc(n + 1, sizeof(*u0));
	u1 = calloc(n + 1, sizeof(*u1));
	u2cp = calloc(2 * n + 1, sizeof(*u2cp));
	cpu = calloc(n + 1, sizeof(*cpu));
	brk = calloc(n + 2, 1);
	u = calloc(2 * n + 1, sizeof(*u));
	if (t == NULL || cps == NULL || b0 == NULL || b1 == NULL || u0 == NULL || u1 == NULL ||
	    u2cp == NULL || cpu == NULL || brk == NULL || u == NULL)
		goto fail;
	/* 1. decode (invalid bytes become U+FFFD), dropping default ignorables */
	for (int32_t i = 0; (size_t)i < n;) {
		int32_t at = i;
		UChar32 c;

		U8_NEXT(s, i, (int32_t)n, c);
		if (c < 0)
			c = 0xFFFD;
		if (!u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
			cps[ncp] = c;
			b0[ncp] = (size_t)at;
			b1[ncp] = (size_t)i;
			u0[ncp] = ou;
			u1[ncp] = ou + (size_t)U16_LENGTH(c);
			u2cp[ulen] = ncp;
			cpu[ncp] = ulen;
			U16_APPEND_UNSAFE(u, ulen, c);
			ncp++;
		}
		ou += (size_t)U16_LENGTH(c);
	}
	/* 2. word boundaries, as flags on code points */
	if (ulen > 0) {
		bi = ubrk_open(UBRK_WORD, "", u, ulen, &st);
		if (U_FAILURE(st))
			goto fail;
		for (int32_t p = ubrk_first(bi); p != UBRK_DONE; p = ubrk_next(bi))
			brk[p < ulen ? u2cp[p] : ncp] = 1;
	}
	t->tok = calloc(ncp + 1, sizeof(*t->tok));
	if (t->tok == NULL)
		goto fail;
	/* tokens: runs of word code points inside one word */
	for (size_t i = 0; i <= ncp; i++) {
		int word = i < ncp && names_word_cp(cps[i]);
		int solo = word && names_solo_cp(cps[i]);
		/* a capital after a small letter starts a token of its own:
		 * "AcmeCloud" is read as "Acme Cloud" */
		int camel = word && in_tok && i > start && u_islower(cps[i - 1]) && u_isupper(cps[i]);

		if (in_tok && (!word || brk[i] || solo || prev_solo || camel)) {
			struct names_tok *k = &t->tok[t->ntok];
			/* the token's units in u: code points start..i-1 */
			int32_t from = cpu[start], len = cpu[i - 1] + U16_LENGTH(cps[i - 1]) - from;

			k->b0 = b0[start];
			k->b1 = b1[i - 1];
			k->u0 = u0[start];
			k->u1 = u1[i - 1];
			if (names_key(u + from, len, &k->key, &k->keylen) != 0)
				goto fail;
			t->ntok++;
			in_tok = 0;
		}
		if (word && !in_tok) {
			in_tok = 1;
			start = i;
		}
		prev_solo = solo;
	}
	ubrk_close(bi);
	free(cps);
	free(b0);
	free(b1);
	free(u0);
	free(u1);
	free(u2cp);
	free(cpu);
	free(brk);
	free(u);
	return t;
fail:
	if (bi != NULL)
		ubrk_close(bi);
	publish_text_free(t);
	free(cps);
	free(b0);
	free(b1);
	free(u0);
	free(u1);
	free(u2cp);
	free(cpu);
	free(brk);
	free(u);
	return NULL;
}

int
publish_text_find(const struct publish_text *t, const char *name, struct publish_span **spans,
                  size_t *nspans)
{
	struct publish_text *nt = publish_text_new(name);
	UChar *want = NULL;
	size_t wlen = 0;
	int found = 0;

	if (nt == NULL)
		return -1;
	for (size_t i = 0; i < nt->ntok; i++)
		wlen += (size_t)nt->tok[i].keylen;
	if (wlen == 0) {
		publish_text_free(nt);
		return 0; /* a name without any word never matches */
	}
	if ((want = malloc(wlen * sizeof(UChar))) == NULL) {
		publish_text_free(nt);
		return -1;
	}
	wlen = 0;
	for (size_t i = 0; i < nt->ntok; i++) {
		memcpy(want + wlen, nt->tok[i].key, (size_t)nt->tok[i].keylen * sizeof(UChar));
		wlen += (size_t)nt->tok[i].keylen;
	}
	publish_text_free(nt);
	for (size_t i = 0; i < t->ntok; i++) {
		size_t acc = 0;

		if (t->tok[i].keylen == 0)
			continue;
		for (size_t j = i; j < t->ntok; j++) {
			const struct names_tok *k = &t->tok[j];

			if (k->keylen == 0)
				continue;
			if (acc + (size_t)k->keylen > wlen ||
			    memcmp(want + acc, k->key, (size_t)k->keylen * sizeof(UChar)) != 0)
				break;
			acc += (size_t)k->keylen;
			if (acc == wlen) {
				found++;
				if (spans != NULL) {
					struct publish_span *ns =
					    realloc(*spans, (*nspans + 1) * sizeof(**spans));

					if (ns == NULL) {
						free(want);
						return -1;
					}
					*spans = ns;
					ns[*nspans].start = t->tok[i].b0;
					ns[*nspans].end = k->b1;
					ns[*nspans].ustart = t->tok[i].u0;
					ns[*nspans].uend = k->u1;
					(*nspans)++;
				}
				break;
			}
		}
	}
	free(want);
	return found;
}

int
publish_name_in(const char *text, const char *name)
{
	struct publish_text *t;
	int n;

	if (text == NULL || name == NULL)
		return 0;
	if ((t = publish_text_new(text)) == NULL)
		return -1;
	n = publish_text_find(t, name, NULL, NULL);
	publish_text_free(t);
	return n < 0 ? -1 : n > 0;
}

static int
names_span_cmp(const void *a, const void *b)
{
	const struct publish_span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

size_t
publish_spans_merge(struct publish_span *spans, size_t n)
{
	size_t w = 0;

	if (n == 0)
		return 0;
	qsort(spans, n, sizeof(*spans), names_span_cmp);
	for (size_t i = 1; i < n; i++) {
		if (spans[i].start < spans[w].end) {
			if (spans[i].end > spans[w].end) {
				spans[w].end = spans[i].end;
				spans[w].uend = spans[i].uend;
			}
		} else {
			spans[++w] = spans[i];
		}
	}
	return w + 1;
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

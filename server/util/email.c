/*
 * util/email.c: e-mail address normalisation, see email.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uidna.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "util/email.h"

#define EMAIL_UNITS 1024 /* UTF-16 code units, input and folded */

static pthread_once_t email_once = PTHREAD_ONCE_INIT;
static const UNormalizer2 *email_nfkc_cf; /* ICU-owned singleton */
static UIDNA *email_idna;                 /* const use is thread-safe (ICU) */

static void
email_init(void)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *n = unorm2_getNFKCCasefoldInstance(&st);
	UIDNA *idna;

	if (U_SUCCESS(st))
		email_nfkc_cf = n;
	st = U_ZERO_ERROR;
	idna = uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_USE_STD3_RULES |
	                           UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ,
	                       &st);
	if (U_SUCCESS(st))
		email_idna = idna;
}

/* A byte of the local part that is not allowed (ASCII only; others pass). */
static int
email_bad_local_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || strchr("()<>[],;:\\\"@", c) != NULL;
}

int
util_email_normalize(const char *in, char out[UTIL_EMAIL_MAX + 1])
{
	UChar src[EMAIL_UNITS], folded[EMAIL_UNITS];
	char utf8[4 * EMAIL_UNITS + 1], domain[UTIL_EMAIL_MAX + 1];
	int32_t n = 0, m, len;
	UErrorCode st = U_ZERO_ERROR;
	UIDNAInfo info = UIDNA_INFO_INITIALIZER;
	const char *at;
	size_t local;
	int ret = -1;

	out[0] = '\0';
	pthread_once(&email_once, email_init);
	if (in == NULL || email_nfkc_cf == NULL || email_idna == NULL ||
	    strlen(in) > 4 * UTIL_EMAIL_MAX)
		goto done;
	/* C1 controls and other non-printables are refused before folding
	 * (folding would not remove them, but say so early) */
	u_strFromUTF8(src, EMAIL_UNITS, &n, in, -1, &st);
	if (U_FAILURE(st) || n >= EMAIL_UNITS)
		goto done;
	for (int32_t i = 0; i < n; i++)
		if (src[i] < 0x20 || (src[i] >= 0x7f && src[i] < 0xa0) || src[i] == 0x2028 ||
		    src[i] == 0x2029)
			goto done;
	m = unorm2_normalize(email_nfkc_cf, src, n, folded, EMAIL_UNITS, &st);
	if (U_FAILURE(st) || m >= EMAIL_UNITS)
		goto done;
	u_strToUTF8(utf8, sizeof(utf8), &len, folded, m, &st);
	if (U_FAILURE(st) || (size_t)len >= sizeof(utf8))
		goto done;
	utf8[len] = '\0';
	if ((at = strchr(utf8, '@')) == NULL || strchr(at + 1, '@') != NULL)
		goto done;
	local = (size_t)(at - utf8);
	if (local < 1 || local > 64 || utf8[0] == '.' || utf8[local - 1] == '.')
		goto done;
	for (size_t i = 0; i < local; i++)
		if (email_bad_local_byte((unsigned char)utf8[i]) ||
		    (utf8[i] == '.' && utf8[i + 1] == '.'))
			goto done;
	/* after NFKC case folding, no white space may remain (U+3000...) */
	for (int32_t i = 0; i < m; i++)
		if (folded[i] == 0x3000 || folded[i] == 0x00a0 ||
		    (folded[i] >= 0x2000 && folded[i] <= 0x200a))
			goto done;
	len = uidna_nameToASCII_UTF8(email_idna, at + 1, -1, domain, sizeof(domain), &info, &st);
	if (U_FAILURE(st) || info.errors != 0 || len < 3 || (size_t)len >= sizeof(domain))
		goto done;
	domain[len] = '\0';
	if (strchr(domain, '.') == NULL || domain[0] == '.' || domain[len - 1] == '.')
		goto done;
	if (local + 1 + (size_t)len > UTIL_EMAIL_MAX)
		goto done;
	memcpy(out, utf8, local + 1);
	memcpy(out + local + 1, domain, (size_t)len + 1);
	ret = 0;
done:
	if (ret != 0)
		out[0] = '\0';
	return ret;
}

/*
 * util/email.h: the one normalisation of e-mail addresses (ICU).
 *
 * Every address that enters lockstep (log-in, invitation, user creation,
 * the bootstrap administrator, the throttle key) goes through
 * util_email_normalize, and only its result is stored, looked up and
 * compared, so two spellings of one address are one identity:
 *
 *   - the whole address is NFKC case folded (unorm2 NFKC_Casefold):
 *     "ALICE", the Kelvin sign "K" (U+212A) and full-width letters become
 *     their folded forms; default-ignorable code points (zero-width
 *     space, soft hyphen, bidi controls) are removed;
 *   - it is split at its one "@"; the local part (1-64 bytes) may hold
 *     any printable character except white space and the specials
 *     ( ) < > [ ] , ; : \ " (quoted local parts are not accepted);
 *   - the domain goes through IDNA (UTS #46, non-transitional, STD3
 *     rules, bidi and CONTEXTJ checks: uidna_nameToASCII_UTF8) and is
 *     stored as its ASCII (punycode) form, with at least one dot;
 *   - the result is at most 254 bytes.
 *
 * "İ" (U+0130) folds to "i" + U+0307, which is not "i": alİce@a.test is
 * another address than alice@a.test (and, unless invited, no account).
 */
#ifndef LOCKSTEP_UTIL_EMAIL_H
#define LOCKSTEP_UTIL_EMAIL_H

#include <stddef.h>

#define UTIL_EMAIL_MAX 254

/*
 * Normalise the NUL-terminated UTF-8 address in into out (at least
 * UTIL_EMAIL_MAX + 1 bytes). Returns 0, or -1 when in is not a valid
 * address (out is then ""). Thread-safe.
 */
int util_email_normalize(const char *in, char out[UTIL_EMAIL_MAX + 1]);

#endif

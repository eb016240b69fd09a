/*
 * publish: building, canonicalising and signing publications.
 */
#ifndef LOCKSTEP_PUBLISH_H
#define LOCKSTEP_PUBLISH_H

#include <stddef.h>

#include <jansson.h>

/*
 * Canonical JSON of v: object keys sorted (byte order of their UTF-8),
 * no insignificant white space, strings as UTF-8 with only the escapes
 * JSON requires ('"', '\\' and control characters), integers only (a real
 * number anywhere makes the document refused, since float formatting is
 * not canonical). Returns a malloc'd NUL-terminated string (caller frees)
 * and its length in *len, or NULL.
 */
char *publish_canonical(const json_t *v, size_t *len);

#endif

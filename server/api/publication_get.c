/*
 * GET /api/v1/publications/{slug}: the signed document, as the exact
 * canonical JSON bytes that were signed (so `curl > doc.json` is ready for
 * `openssl pkeyutl -verify`). Headers: X-Lockstep-Signature (base64),
 * X-Lockstep-Hash (SHA-256 of the body, hex), X-Lockstep-Prev-Hash,
 * X-Lockstep-Sequence, X-Lockstep-Signing-Key (raw key, base64url), a
 * strong ETag and public caching. Before the release instant: the same
 * 404 as an unknown slug. Served from memory after the first read.
 */
#include "config.h"

#include "api/api.h"
#include "api/pubcache.h"

int
api_publication_get(struct http_request *r)
{
	return pubcache_reply(r, PUBCACHE_DOC);
}

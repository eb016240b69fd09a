/*
 * GET /api/v1/publications/{slug}/signature: the raw 64-byte Ed25519
 * signature over the document bytes (application/octet-stream), for
 * `openssl pkeyutl -verify -sigfile`. Same embargo and caching as the
 * document.
 */
#include "config.h"

#include "api/api.h"
#include "api/pubcache.h"

int
api_publication_signature_get(struct http_request *r)
{
	return pubcache_reply(r, PUBCACHE_SIG);
}

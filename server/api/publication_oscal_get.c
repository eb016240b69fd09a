/*
 * GET /api/v1/publications/{slug}/oscal: a released publication restated
 * as an OSCAL 1.1.2 assessment-results document (export.c), built from
 * the signed document alone, so it holds nothing the publication does not.
 * Same embargo (404 exactly as for an unknown slug before release_at) and
 * caching as the document.
 */
#include "config.h"

#include "api/api.h"
#include "api/pubcache.h"

int
api_publication_oscal_get(struct http_request *r)
{
	return pubcache_reply(r, PUBCACHE_OSCAL);
}

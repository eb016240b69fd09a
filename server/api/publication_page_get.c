/*
 * GET /p/{slug}: the publication as an HTML page without any script
 * (ROUTE_NOSCRIPT: the strictest CSP), rendered by publish_page_html.
 * Same embargo and caching as the document.
 */
#include "config.h"

#include "api/api.h"
#include "api/pubcache.h"

int
api_publication_page_get(struct http_request *r)
{
	return pubcache_reply(r, PUBCACHE_PAGE);
}

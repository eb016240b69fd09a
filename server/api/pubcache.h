/*
 * api/pubcache: released publications served from memory (pubcache.c).
 */
#ifndef LOCKSTEP_PUBCACHE_H
#define LOCKSTEP_PUBCACHE_H

#include "http/request.h"

#define PUBCACHE_DOC 0   /* the signed canonical document bytes */
#define PUBCACHE_SIG 1   /* the raw 64-byte Ed25519 signature */
#define PUBCACHE_PAGE 2  /* the HTML page */
#define PUBCACHE_OSCAL 3 /* the OSCAL assessment-results restatement */
#define PUBCACHE_NKINDS 4

struct pubcache_entry {
	char slug[80];
	char etag[PUBCACHE_NKINDS][70];
	struct http_prepared *ok[PUBCACHE_NKINDS];
	struct http_prepared *not_modified[PUBCACHE_NKINDS];
};

enum { PUBCACHE_FOUND, PUBCACHE_MISSING, PUBCACHE_ERROR };

/*
 * The entry of a released publication slug: from memory, or read
 * anonymously from the database (row-level security hides it until its
 * release instant) and then kept. Returns PUBCACHE_FOUND with *out set
 * (borrowed, lives until exit — unless *owned is 1, when the table is
 * full and the caller frees it with pubcache_entry_free after replying),
 * PUBCACHE_MISSING (unknown or not yet released; never cached) or
 * PUBCACHE_ERROR (database trouble).
 */
int pubcache_get(const char *slug, struct pubcache_entry **out, int *owned);
void pubcache_entry_free(struct pubcache_entry *e);

/*
 * Reply to r (path parameter 0 is the slug) with kind's 200, or its 304
 * when If-None-Match names its ETag; 404 exactly as for an unknown slug
 * when it is missing or not released; 503 on database trouble.
 */
int pubcache_reply(struct http_request *r, int kind);

/* Drop every entry (tests, shutdown). No request may be running. */
void pubcache_clear(void);

#endif

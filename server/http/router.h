/*
 * router: a static table of {method, pattern, handler}; pure string
 * matching, no libmicrohttpd, so it is unit-testable.
 *
 * Pattern syntax: "/api/v1/findings/{id}" — literal segments and
 * "{name}" segments, each matching exactly one non-empty segment.
 * A pattern may end in "/{*}", matching one or more remaining segments
 * (used for static files); the captured text is the rest of the path.
 */
#ifndef LOCKSTEP_ROUTER_H
#define LOCKSTEP_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PATH 1024   /* bytes, whole path */
#define ROUTER_MAX_SEGMENT 128 /* bytes, one segment (and one param) */

struct http_request;
typedef int (*router_handler)(struct http_request *req);

/* route flags */
#define ROUTE_AUTH 0x01      /* caller must be logged in (else 401) */
#define ROUTE_JSON_BODY 0x02 /* body must be application/json, parsed before the handler */
#define ROUTE_PUBLIC 0x04    /* public, cacheable content (no Cache-Control: no-store) */
#define ROUTE_STREAM                                                                               \
	0x08                /* handler runs on the first call, before the body, and                \
	                       takes the body piece by piece (request.h) */
#define ROUTE_NOSCRIPT 0x10 /* HTML without any script: the strictest page CSP */
#define ROUTE_ANON                                                                                 \
	0x20 /* credentials are ignored (no identity, no 401 for a stale cookie):                  \
	        log-in and the use of an invitation or reset link */

struct router_route {
	const char *method; /* "GET", "POST", ... ; NULL ends the table */
	const char *pattern;
	router_handler handler;
	unsigned flags;
	size_t max_body; /* 0: the server default */
	unsigned scope;  /* token scope bits the route needs (util/vocab.h), 0: none */
};

struct router_match {
	const struct router_route *route;
	int nparams;
	char params[ROUTER_MAX_PARAMS][ROUTER_MAX_SEGMENT + 1];
	/* for "{*}": the remaining path (without leading '/') */
	char rest[ROUTER_MAX_PATH + 1];
};

enum router_status {
	ROUTER_FOUND,
	ROUTER_NOT_FOUND,          /* no pattern matches the path */
	ROUTER_METHOD_NOT_ALLOWED, /* a pattern matches, but not with this method */
	ROUTER_BAD_PATH,           /* path too long, segment too long, empty
	                              segment ("//"), "." or "..", control
	                              characters, or not starting with '/' */
};

/*
 * Match method and path against table (terminated by a row whose method is
 * NULL). HEAD matches a GET route. On ROUTER_FOUND fills *m. On
 * ROUTER_METHOD_NOT_ALLOWED, *allow (if non-NULL) receives a
 * comma-separated list of the allowed methods (allowlen bytes).
 * Literal segments compare exactly (case-sensitive). A trailing '/' does
 * not match (except the path "/" itself matching the pattern "/").
 */
enum router_status router_match(const struct router_route *table, const char *method,
                                const char *path, struct router_match *m, char *allow,
                                size_t allowlen);

#endif

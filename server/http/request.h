/*
 * request: what a handler sees of one HTTP request, and the reply
 * functions it uses. libmicrohttpd stays inside server/http/.
 *
 * Handlers return one of enum http_result: every handler must either
 * reply exactly once (HTTP_REPLIED) or ask for the connection to be closed
 * (HTTP_FATAL). The reply functions return HTTP_REPLIED on success and
 * HTTP_FATAL when the reply could not be queued.
 */
#ifndef LOCKSTEP_REQUEST_H
#define LOCKSTEP_REQUEST_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "db/db.h"
#include "http/problem.h"
#include "http/router.h"

enum http_result {
	HTTP_OK = 0,        /* helper succeeded; the caller goes on */
	HTTP_REPLIED = 1,   /* a reply has been queued; stop */
	HTTP_FATAL = -1,    /* close the connection */
};

struct http_conn;           /* opaque: the libmicrohttpd connection */

struct http_request {
	struct http_conn *conn;
	const char *method;         /* borrowed from libmicrohttpd, valid for the request */
	const char *path;
	struct router_match match;
	int route_index;            /* index in the route table, -1 if unmatched */
	char addr[64];              /* peer address, text */

	char *body;                 /* request body (NUL-terminated), owned */
	size_t body_len;
	size_t body_cap;
	size_t body_max;
	int body_too_large;         /* chunked body went past body_max */
	size_t discarded;           /* bytes thrown away since then */

	json_t *json;               /* parsed body for ROUTE_JSON_BODY, owned */

	struct db_identity who;     /* empty user_id when anonymous */
	int authenticated;
	int via_cookie;
	unsigned char token_hash[32]; /* hash of the presented token (if authenticated) */

	char *set_cookie;           /* Set-Cookie value for the reply, owned */

	int replied;
	unsigned status;
	struct timespec started;
};

/* Path parameter i (0-based), as captured by the router. */
const char *http_param(const struct http_request *r, int i);

/* Request header value (case-insensitive name) or NULL. Borrowed. */
const char *http_header(const struct http_request *r, const char *name);

/* Query argument or NULL. Borrowed. */
const char *http_query(const struct http_request *r, const char *name);

/* Reply with JSON. body is STOLEN (decref'd here), may be NULL for no body. */
int http_reply_json(struct http_request *r, unsigned status, json_t *body);

/* Reply with a problem+json document; detail may be NULL. */
int http_reply_problem(struct http_request *r, enum problem_type type, const char *detail);

/* Reply with a problem naming the offending field (422 or 400). */
int http_reply_field(struct http_request *r, enum problem_type type,
    const char *field, const char *reason);

/*
 * Reply with arbitrary bytes (copied). content_type must be a constant or
 * outlive the call. extra_headers: NULL-terminated name/value pairs, or NULL.
 */
int http_reply_bytes(struct http_request *r, unsigned status, const char *content_type,
    const void *buf, size_t len, const char *const *extra_headers);

/*
 * A reply prepared once and sent many times, from any thread (immutable
 * public content served from memory): its bytes and headers are kept, and
 * each http_reply_prepared wraps them in a new libmicrohttpd response
 * without copying the body. It carries the same headers http_reply_bytes
 * would add for a route with route_flags, plus extra_headers (copied); buf
 * is copied. Returns NULL on failure; free with http_prepared_free
 * (accepts NULL) only once no request can still use it, including
 * responses still being sent.
 */
struct http_prepared;
struct http_prepared *http_prepared_new(unsigned status, unsigned route_flags,
    const char *content_type, const void *buf, size_t len, const char *const *extra_headers);
void http_prepared_free(struct http_prepared *p);

/* Queue p as the reply of r. HTTP_REPLIED or HTTP_FATAL. */
int http_reply_prepared(struct http_request *r, struct http_prepared *p);

/* Set a cookie on the next reply of r (header value copied). Returns 0 or -1. */
int http_set_cookie(struct http_request *r, const char *value);

#endif

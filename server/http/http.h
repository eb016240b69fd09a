/*
 * http: the libmicrohttpd daemon. Only server/http/ includes microhttpd.h.
 */
#ifndef LOCKSTEP_HTTP_H
#define LOCKSTEP_HTTP_H

#include "http/router.h"
#include "http/request.h"

/*
 * Start serving routes on config.listen_address:config.port with an epoll
 * thread pool of config.threads workers and every limit from config.
 * Returns 0, or -1 (logged).
 */
int http_server_start(const struct router_route *routes);

/*
 * Graceful stop: stop accepting, let in-flight requests finish (at most
 * grace_seconds), then stop the daemon. Safe to call once after start.
 */
void http_server_stop(unsigned grace_seconds);

/*
 * Authenticate r from "Authorization: Bearer <token>" or the session
 * cookie. Returns HTTP_OK (r->authenticated says whether a valid token was
 * found), HTTP_REPLIED (401 for a presented but invalid/expired token, or
 * 503 when the database is down), or HTTP_FATAL.
 */
int http_auth_request(struct http_request *r);

/*
 * How http_auth_request resolves the SHA-256 of a presented token: the
 * function is owned by api/ (which reads it from the store) and set once
 * at start-up, so http/ never talks to the database. It fills *who and
 * session_id and returns 0, 1 when the token is unknown, expired or
 * revoked, or -1 when the database cannot answer.
 */
typedef int (*http_auth_fn)(const unsigned char hash[32], struct util_identity *who,
                            char session_id[UTIL_UUID_LEN + 1], unsigned *scopes, int *api_token);
void http_set_auth(http_auth_fn fn);

/* Name of the session cookie. */
#define HTTP_SESSION_COOKIE "lockstep_session"

#endif

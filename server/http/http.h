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

/* Name of the session cookie. */
#define HTTP_SESSION_COOKIE "lockstep_session"

#endif

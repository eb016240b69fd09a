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
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "http/problem.h"
#include "http/router.h"
#include "util/identity.h"

enum http_result {
	HTTP_OK = 0,       /* helper succeeded; the caller goes on */
	HTTP_REPLIED = 1,  /* a reply has been queued; stop */
	HTTP_FATAL = -1,   /* close the connection */
	HTTP_DEFERRED = 2, /* http_defer queued work; the handler's resume op replies */
};

enum http_defer_state {
	HTTP_DEFER_NONE = 0,
	HTTP_DEFER_WAITING,   /* suspended, the work is queued or running */
	HTTP_DEFER_DONE,      /* the work ran; resume op to be called */
	HTTP_DEFER_CANCELLED, /* the server is stopping; the work did not run */
	HTTP_DEFER_EXPIRED,   /* it waited too long in the queue; the work did not run */
	HTTP_DEFER_RESUMED,   /* resume op called */
};

struct http_conn; /* opaque: the libmicrohttpd connection */

struct http_request {
	struct http_conn *conn;
	const char *method; /* borrowed from libmicrohttpd, valid for the request */
	const char *path;
	struct router_match match;
	int route_index; /* index in the route table, -1 if unmatched */
	char id[17];     /* request id, 16 hex digits: in every log line of the request */
	char addr[64];   /* peer address, text */

	char *body; /* request body (NUL-terminated), owned */
	size_t body_len;
	size_t body_cap;
	size_t body_max;
	int body_too_large; /* chunked body went past body_max */
	size_t discarded;   /* bytes thrown away since then */

	json_t *json; /* parsed body for ROUTE_JSON_BODY, owned */

	struct util_identity who; /* empty user_id when anonymous */
	int authenticated;
	int via_cookie;
	unsigned char token_hash[32];       /* hash of the presented token (if authenticated) */
	char session_id[UTIL_UUID_LEN + 1]; /* the session or API token in use */
	unsigned scopes; /* token scope bits (util/vocab.h); every bit for a browser session */
	int api_token;   /* the credential is scoped: an API token, or a browser session limited to
	                    enrolling a second factor (scopes has VOCAB_SCOPE_ENROL_ONLY) */

	char *set_cookie; /* Set-Cookie value for the reply, owned */

	/* ROUTE_STREAM (see struct http_stream_ops) */
	long long declared_length;                /* Content-Length, or -1 when none (chunked) */
	const struct http_stream_ops *stream_ops; /* set by http_stream_accept */
	void *stream;      /* the route's per-request state, owned by its ops */
	int stream_active; /* the handler accepted the body: done() will run */
	int stream_ended;  /* end() ran */
	int stream_failed; /* http_stream_fail was called */
	enum problem_type stream_problem;
	char stream_detail[200];
	void *post;      /* multipart/form-data parser (daemon.c), owned */
	char *part_name; /* multipart: file name of the file part, owned */
	char *part_type; /* multipart: its Content-Type, owned */
	int part_seen;   /* multipart: a file part has started */
	int part_done;   /* multipart: the first file part has ended */

	/* http_defer (see below) */
	int defer_state; /* enum http_defer_state, written by the pool thread too */
	int (*defer_resume)(struct http_request *r, void *arg);
	void *defer_arg;
	void (*defer_free)(void *arg);

	/* daemon.c's own */
	void *ct;         /* the connection's conntrack record */
	void *fwd_slot;   /* conntrack slot of a forwarded client address */
	int bad_uri;      /* enum problem_type + 1 of a refused request target, or 0 */
	int begun;        /* the first access-handler call has run */
	int expects_body; /* Content-Length above 0, or Transfer-Encoding */

	int replied;
	unsigned status;
	int in_begin; /* the first access-handler call (the head's) runs */
	struct timespec started;
};

/*
 * Offload slow work (a password hash) from the HTTP worker thread: the
 * connection is suspended, work(arg) runs on the offload pool, and then,
 * back on the connection's thread, resume(r, arg) is called and must
 * reply exactly once. When the work did not run (the server is stopping,
 * or the job waited longer than the queue allows) the daemon answers 503
 * itself and resume is not called. free_arg(arg) runs when the request
 * is finished, whatever happened (may be NULL). work must not touch r
 * except to read r->json and the fields the handler set up before.
 * Returns HTTP_DEFERRED (the handler returns it as is), or HTTP_REPLIED
 * when the pool's queue is full (503 with Retry-After; free_arg already
 * called), or HTTP_FATAL.
 */
typedef void (*http_work_fn)(void *arg);
typedef int (*http_resume_fn)(struct http_request *r, void *arg);
int http_defer(struct http_request *r, http_work_fn work, http_resume_fn resume, void *arg,
               void (*free_arg)(void *));

/*
 * 1 if http_defer would refuse r now (the shared queue, or r's address's
 * share of it, is full): lets a handler answer 503 before doing any
 * other work. Counted as a refusal. The answer may be stale by the time
 * http_defer runs, which checks again.
 */
int http_defer_full(const struct http_request *r);

/*
 * As http_defer, in the priority lane: served before the shared queue,
 * bounded on its own, and at most one job per key at a time. For work
 * that proves it comes from a known client (a log-in with a valid device
 * cookie for the account: key is the account), so that a storm of
 * strangers cannot keep it out.
 */
int http_defer_priority(struct http_request *r, const char *key, http_work_fn work,
                        http_resume_fn resume, void *arg, void (*free_arg)(void *));

/*
 * ROUTE_STREAM routes: the body is handed over piece by piece as it
 * arrives instead of being buffered, so memory does not grow with its
 * size.
 *
 * The route's handler runs on the FIRST access-handler call, headers
 * only, after authentication (r->authenticated, r->who), the ROUTE_AUTH
 * and CSRF checks. It refuses by replying (with "Expect: 100-continue"
 * nothing but the refusal is sent, no 100 Continue), or accepts the body
 * with http_stream_accept() and returns HTTP_OK. Then:
 *
 * data: a non-empty piece of the body (for multipart/form-data: of the
 *   first file part only). HTTP_OK to go on, HTTP_FATAL to close the
 *   connection; to refuse the request, call http_stream_fail and return
 *   HTTP_OK: the rest of the body is then discarded (up to a bound, past
 *   which the connection is closed) and the problem is the reply.
 * end: the body is complete (not called after http_stream_fail); reply
 *   exactly once.
 * done: always called once, from the completed callback, after an
 *   accept: completed is 1 only if end ran and its reply went out in
 *   full; 0 when the client went away, the connection timed out or
 *   failed, or the server is stopping. Frees r->stream. Must not reply.
 */
struct http_stream_ops {
	int (*data)(struct http_request *r, const char *buf, size_t len);
	int (*end)(struct http_request *r);
	void (*done)(struct http_request *r, int completed);
};

/* Accept the body of a ROUTE_STREAM request: ops (static) take it, ctx becomes r->stream. */
void http_stream_accept(struct http_request *r, const struct http_stream_ops *ops, void *ctx);

/* Refuse a streamed request after its body has started (see data above). Returns HTTP_OK. */
int http_stream_fail(struct http_request *r, enum problem_type type, const char *detail);

/*
 * Body reader of a streamed reply: copy up to max bytes at offset pos of
 * the body into buf. Returns the count (> 0), or -1 to abort the
 * transfer: the connection is closed, and the client sees a body shorter
 * than its Content-Length. Called from the server thread that owns the
 * request, as the client reads.
 */
typedef ssize_t (*http_reader_fn)(void *cls, uint64_t pos, char *buf, size_t max);

/*
 * Reply with a body of size bytes produced by read(cls, ...). free_cls
 * (may be NULL) is called with cls once the response is finished or
 * failed, also when this function fails. Security headers as for
 * http_reply_bytes; an extra "Content-Security-Policy" replaces the
 * default one. Returns HTTP_REPLIED or HTTP_FATAL.
 */
int http_reply_stream(struct http_request *r, unsigned status, const char *content_type,
                      uint64_t size, http_reader_fn read, void *cls, void (*free_cls)(void *),
                      const char *const *extra_headers);

/* The request's "multipart/form-data" file part name and type, or NULL. Borrowed. */
const char *http_part_name(const struct http_request *r);
const char *http_part_type(const struct http_request *r);

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

/*
 * "Not found" for r: a browser (Accept naming text/html) on the public
 * pages (/p and /p/…) gets the HTML page set with http_set_not_found_page
 * (status 404, no script, Vary: Accept); everybody else, and every other
 * path, the 404 not-found problem. One constant answer either way, so a
 * slug that never existed and one not yet released look the same.
 */
int http_reply_not_found(struct http_request *r);

/* Set the HTML "not found" page (taken over; freed at exit). Call once at start-up. */
void http_set_not_found_page(char *html, size_t len);

/* As http_reply_problem, with extra headers (NULL-terminated name/value pairs). */
int http_reply_problem_headers(struct http_request *r, enum problem_type type, const char *detail,
                               const char *const *extra_headers);

/*
 * As http_reply_problem, with extension members (RFC 9457 section 3.2):
 * the members of ext (an object, STOLEN, may be NULL) are added unless
 * they name a standard member.
 */
int http_reply_problem_ext(struct http_request *r, enum problem_type type, const char *detail,
                           json_t *ext);

/* Reply with a problem naming the offending field (422 or 400). */
int http_reply_field(struct http_request *r, enum problem_type type, const char *field,
                     const char *reason);

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
                                        const char *content_type, const void *buf, size_t len,
                                        const char *const *extra_headers);
void http_prepared_free(struct http_prepared *p);

/* Queue p as the reply of r. HTTP_REPLIED or HTTP_FATAL. */
int http_reply_prepared(struct http_request *r, struct http_prepared *p);

/*
 * The value of cookie name in the request's Cookie header, copied into
 * out (outlen bytes). Returns 0, or -1 when absent or longer than out.
 */
int http_cookie(const struct http_request *r, const char *name, char *out, size_t outlen);

/* Add a cookie to the next reply of r (header value copied; several may be set). Returns 0 or -1.
 */
int http_set_cookie(struct http_request *r, const char *value);

#endif

/*
 * http/daemon.c: the libmicrohttpd daemon, request life cycle, limits and
 * dispatch to the route table.
 *
 * Life cycle of one request (STYLE.md): the context is allocated on the
 * first access-handler call and freed only in the completed callback.
 * First call: framing checks, routing, declared-length check (413 before
 * the body is read; with "Expect: 100-continue" nothing is sent but the
 * refusal), content type. Following calls: the body is appended under its
 * cap. Last call: authentication, CSRF check, JSON parsing, handler.
 *
 * ROUTE_STREAM routes (uploads) differ: authentication, the CSRF check and
 * the route's handler all run on the first call, so a refusal (401, 404,
 * 413 ...) goes out before any of the body is read; once the handler has
 * accepted, the body goes to its data op piece by piece
 * (multipart/form-data through libmicrohttpd's post processor), and its
 * done op always runs from the completed callback, so an upload whose
 * client went away is abandoned there.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "conf.h"
#include "http/conntrack.h"
#include "http/linger.h"
#include "http/defer.h"
#include "http/http.h"
#include "http/limits.h"
#include "util/peer.h"
#include "http/metrics.h"
#include "util/json.h"
#include "util/log.h"

#define HTTP_DISCARD_MAX (8 * 1024 * 1024)

static struct MHD_Daemon *http_daemon;
static int http_listen_fd = -1;
static int http_wake[2] = {-1, -1};
static pthread_t http_accept_thread;
static int http_accepting;
static const struct router_route *http_routes;
static int http_inflight;

struct http_header_count {
	unsigned n_length;
	unsigned n_te;
	const char *length;
	const char *te;
	const char *bad; /* a header whose name starts like a framing header but is not one */
};

static enum MHD_Result
http_count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct http_header_count *hc = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (hc->n_length++ == 0)
			hc->length = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		if (hc->n_te++ == 0)
			hc->te = value;
	} else if (strncasecmp(key, "content-length", 14) == 0 ||
	           strncasecmp(key, "transfer-encoding", 17) == 0)
		hc->bad = key; /* e.g. a folded "Content-Length:\r\n 2" */
	return MHD_YES;
}

/*
 * The client address of r: the TCP peer, or, when the peer is a trusted
 * proxy (LOCKSTEP_TRUSTED_PROXIES), the client it names in Forwarded or
 * X-Forwarded-For; from anybody else those headers are ignored. A
 * forwarded client counts against the per-address limit on requests in
 * flight. Returns HTTP_OK or a reply.
 */
static int
http_client_address(struct http_request *r)
{
	struct conntrack_conn *ct = r->ct;
	struct peer_addr client;
	const struct peer_net *nets;
	size_t n;

	snprintf(r->addr, sizeof(r->addr), "%s", conntrack_peer_text(ct));
	if (!conntrack_trusted(ct))
		return HTTP_OK;
	nets = conntrack_trusted_nets(&n);
	if (peer_forwarded_client(http_header(r, "Forwarded"), http_header(r, "X-Forwarded-For"),
	                          nets, n, &client) != 0)
		return HTTP_OK;
	peer_format_addr(&client, r->addr, sizeof(r->addr));
	if ((r->fwd_slot = conntrack_slot_take(&client)) == NULL) {
		static const char *const retry[] = {"Retry-After", "1", NULL};

		return http_reply_problem_headers(
		    r, PROBLEM_BUSY, "Too many requests from your address at once.", retry);
	}
	return HTTP_OK;
}

/*
 * Strict framing beyond what libmicrohttpd checks: the raw request target
 * (checked when it arrived, see http_uri_log), the raw header block, and
 * names that only a folded line produces. Returns HTTP_OK or a reply.
 */
static int
http_check_strict(struct http_request *r, struct MHD_Connection *conn, const char *method,
                  const char *version, const struct http_header_count *hc)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	const char *why;

	if (r->bad_uri)
		return http_reply_problem(
		    r, (enum problem_type)(r->bad_uri - 1),
		    "The request target holds a NUL, a control character or an "
		    "invalid percent-escape.");
	/* the header block lies in libmicrohttpd's read buffer from the
	 * method on; the version string is inside it (HTTP/1.0 and later) */
	if (ci != NULL && version != NULL && version > method &&
	    version < method + ci->header_size) {
		why = limits_check_head(version + strlen(version), method + ci->header_size);
		if (why != NULL)
			return http_reply_problem(r, PROBLEM_BAD_HEADER, why);
	}
	if (hc->bad != NULL)
		return http_reply_problem(r, PROBLEM_BAD_HEADER,
		                          "A framing header is misspelt or folded.");
	if (hc->n_te > 0 && !limits_is_chunked(hc->te))
		return http_reply_problem(r, PROBLEM_AMBIGUOUS_FRAMING,
		                          "The only Transfer-Encoding accepted is \"chunked\".");
	return HTTP_OK;
}

static int http_stream_begin(struct http_request *r, struct MHD_Connection *conn);

static int
http_route_index(const struct router_route *route)
{
	return route ? (int)(route - http_routes) : -1;
}

/* First call for a request: everything that can be decided from the headers. */
static int
http_begin(struct http_request *r, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version)
{
	struct http_header_count hc = {0};
	enum router_status rs;
	long long declared;
	char allow[128];
	size_t max;
	int rc;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, http_count_header, &hc);
	r->expects_body = hc.n_te > 0 || (hc.length != NULL && strcmp(hc.length, "0") != 0);
	if ((rc = http_check_strict(r, conn, method, version, &hc)) != HTTP_OK)
		return rc;
	if ((rc = http_client_address(r)) != HTTP_OK)
		return rc;
	rs = router_match(http_routes, method, url, &r->match, allow, sizeof(allow));
	r->route_index = rs == ROUTER_FOUND ? http_route_index(r->match.route) : -1;
	max = config.max_body;
	if (rs == ROUTER_FOUND && r->match.route->max_body)
		max = r->match.route->max_body;
	if (rs == ROUTER_FOUND && (r->match.route->flags & ROUTE_STREAM))
		max = SIZE_MAX; /* the route's begin op applies its own limits */
	r->body_max = max;

	switch (limits_check_framing(hc.n_length, hc.length, hc.n_te, max, &declared)) {
	case LIMITS_FRAMING_OK:
		break;
	case LIMITS_FRAMING_AMBIGUOUS:
		return http_reply_problem(
		    r, PROBLEM_AMBIGUOUS_FRAMING,
		    "Send exactly one of Content-Length or Transfer-Encoding, once.");
	case LIMITS_FRAMING_BAD_LENGTH:
		return http_reply_problem(r, PROBLEM_BAD_REQUEST,
		                          "Content-Length is not a number.");
	case LIMITS_FRAMING_TOO_LARGE:
		return http_reply_problem(r, PROBLEM_PAYLOAD_TOO_LARGE, NULL);
	}
	r->declared_length = declared;

	if (strlen(url) > ROUTER_MAX_PATH)
		return http_reply_problem(r, PROBLEM_URI_TOO_LONG, NULL);
	switch (rs) {
	case ROUTER_FOUND:
		break;
	case ROUTER_NOT_FOUND:
		return http_reply_not_found(r);
	case ROUTER_METHOD_NOT_ALLOWED: {
		const char *hdr[] = {"Allow", allow, NULL};
		json_t *body = json_pack(
		    "{s:s, s:s, s:i}", "type", "urn:lockstep:problem:method-not-allowed", "title",
		    problem_get(PROBLEM_METHOD_NOT_ALLOWED)->title, "status", 405);
		char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

		json_decref(body);
		if (text == NULL)
			return HTTP_FATAL;
		rc = http_reply_bytes(r, 405, "application/problem+json", text, strlen(text), hdr);
		free(text);
		return rc;
	}
	case ROUTER_BAD_PATH:
		return http_reply_problem(r, PROBLEM_BAD_PATH, NULL);
	}

	if ((r->match.route->flags & ROUTE_JSON_BODY) &&
	    !limits_is_json_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_reply_problem(r, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL);
	if (r->match.route->flags & ROUTE_STREAM)
		return http_stream_begin(r, conn);
	return HTTP_OK;
}

/* Authentication, ROUTE_AUTH and the CSRF check. HTTP_OK or a reply. */
static int
http_authorize(struct http_request *r)
{
	const struct router_route *route = r->match.route;
	int rc;

	/* Public and anonymous routes never look at credentials: they run
	 * with no identity (row-level security decides what they see), and a
	 * stale cookie must not turn a public page or a log-in into a 401. */
	if (!(route->flags & (ROUTE_PUBLIC | ROUTE_ANON)) && (rc = http_auth_request(r)) != HTTP_OK)
		return rc;
	if ((route->flags & ROUTE_AUTH) && !r->authenticated)
		return http_reply_problem(r, PROBLEM_UNAUTHORIZED, NULL);
	/* the route table names the scope each route needs (api/routes.c) */
	if (r->authenticated && (route->scope & ~r->scopes) != 0)
		return http_reply_problem(r, PROBLEM_INSUFFICIENT_SCOPE, NULL);
	if (r->via_cookie && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		const char *csrf = http_header(r, "X-Lockstep-CSRF");

		if (csrf == NULL || strcmp(csrf, "1") != 0)
			return http_reply_problem(r, PROBLEM_CSRF, NULL);
	}
	return HTTP_OK;
}

/* multipart/form-data: hand the first file part to the route's data op. */
static enum MHD_Result
http_post_iterate(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                  const char *content_type, const char *transfer_encoding, const char *data,
                  uint64_t off, size_t size)
{
	struct http_request *r = cls;

	(void)kind;
	(void)key;
	(void)transfer_encoding;
	if (r->stream_failed || filename == NULL || r->part_done)
		return MHD_YES; /* other fields, other files: ignored */
	if (!r->part_seen) {
		r->part_seen = 1;
		r->part_name = strdup(filename);
		r->part_type = content_type ? strdup(content_type) : NULL;
		if (r->part_name == NULL)
			return MHD_NO;
	} else if (off == 0 && (strcmp(filename, r->part_name) != 0 || size > 0)) {
		/* a second file part begins */
		r->part_done = 1;
		return MHD_YES;
	}
	if (size == 0)
		return MHD_YES;
	return r->stream_ops->data(r, data, size) == HTTP_FATAL ? MHD_NO : MHD_YES;
}

static int
http_is_multipart(const char *ct)
{
	return ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

/* First call of a ROUTE_STREAM route: authorise, then the handler decides. */
static int
http_stream_begin(struct http_request *r, struct MHD_Connection *conn)
{
	int rc;

	if ((rc = http_authorize(r)) != HTTP_OK)
		return rc;
	rc = r->match.route->handler(r);
	if (rc == HTTP_FATAL || r->replied)
		return rc == HTTP_FATAL ? HTTP_FATAL : HTTP_REPLIED;
	if (rc != HTTP_OK || !r->stream_active || r->stream_ops == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	if (http_is_multipart(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		r->post = MHD_create_post_processor(conn, 64 * 1024, http_post_iterate, r);
		if (r->post == NULL)
			http_stream_fail(r, PROBLEM_BAD_REQUEST,
			                 "The multipart/form-data body cannot be parsed.");
	}
	return HTTP_OK;
}

/* A later call of a ROUTE_STREAM route: body data, or its end. */
static enum MHD_Result
http_stream_step(struct http_request *r, const char *upload_data, size_t *upload_data_size)
{
	const struct http_stream_ops *ops = r->stream_ops;
	int rc;

	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->stream_failed) {
			r->discarded += n;
			return r->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (r->post != NULL) {
			if (MHD_post_process(r->post, upload_data, n) != MHD_YES &&
			    !r->stream_failed)
				http_stream_fail(r, PROBLEM_BAD_REQUEST,
				                 "The multipart/form-data body cannot be parsed.");
			return MHD_YES;
		}
		return ops->data(r, upload_data, n) == HTTP_FATAL ? MHD_NO : MHD_YES;
	}
	if (r->stream_failed) {
		rc = http_reply_problem(r, r->stream_problem,
		                        r->stream_detail[0] ? r->stream_detail : NULL);
		return rc == HTTP_FATAL ? MHD_NO : MHD_YES;
	}
	r->stream_ended = 1;
	rc = ops->end(r);
	if (rc != HTTP_FATAL && !r->replied)
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	return rc == HTTP_FATAL ? MHD_NO : MHD_YES;
}

/* Last call: the body is complete. */
static int
http_dispatch(struct http_request *r)
{
	const struct router_route *route = r->match.route;
	int rc;

	if ((rc = http_authorize(r)) != HTTP_OK)
		return rc;
	if (route->flags & ROUTE_JSON_BODY) {
		char err[160];

		r->json = json_in_parse(r->body ? r->body : "", r->body_len, JSON_IN_MAX_DEPTH, err,
		                        sizeof(err));
		if (r->json == NULL)
			return http_reply_problem(r, PROBLEM_MALFORMED_JSON, err);
	}
	rc = route->handler(r);
	if (rc == HTTP_OK && !r->replied)
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	return rc;
}

/* Back from the offload pool (http_defer): the handler's resume op replies. */
static int
http_resume(struct http_request *r)
{
	static const char *const retry[] = {"Retry-After", "1", NULL};
	int state = __atomic_load_n(&r->defer_state, __ATOMIC_ACQUIRE);
	int rc;

	r->defer_state = HTTP_DEFER_RESUMED;
	if (state == HTTP_DEFER_CANCELLED)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	if (state == HTTP_DEFER_EXPIRED)
		return http_reply_problem_headers(r, PROBLEM_BUSY, NULL, retry);
	rc = r->defer_resume(r, r->defer_arg);
	if (rc != HTTP_FATAL && !r->replied)
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	return rc;
}

/* Request ids: a random start per process, then counted. */
static uint64_t http_request_seq;

static struct http_request *
http_request_new(struct MHD_Connection *conn)
{
	struct http_request *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *ci;

	if (r == NULL)
		return NULL;
	__atomic_add_fetch(&http_inflight, 1, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->conn = (struct http_conn *)conn;
	r->route_index = -1;
	r->declared_length = -1;
	snprintf(r->id, sizeof(r->id), "%016llx",
	         (unsigned long long)__atomic_add_fetch(&http_request_seq, 1, __ATOMIC_RELAXED));
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->ct = ci != NULL ? ci->socket_context : NULL;
	snprintf(r->addr, sizeof(r->addr), "%s", conntrack_peer_text(r->ct));
	return r;
}

/*
 * The request line has arrived: the request's context starts here, and
 * the raw target, before libmicrohttpd decodes it (a %00 would cut the
 * decoded path short), is checked; the verdict waits for the headers.
 */
static void *
http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_request *r = http_request_new(conn);

	(void)cls;
	if (r == NULL)
		return NULL;
	switch (limits_check_target(uri)) {
	case LIMITS_TARGET_OK:
		break;
	case LIMITS_TARGET_BAD_PATH:
		r->bad_uri = PROBLEM_BAD_PATH + 1;
		break;
	case LIMITS_TARGET_BAD_QUERY:
		r->bad_uri = PROBLEM_BAD_QUERY + 1;
		break;
	}
	return r;
}

/* Connection start and end: deadlines and per-address limits (conntrack). */
static void
http_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		if (fd == NULL)
			return;
		*socket_context = conntrack_open(fd->connect_fd, ad ? ad->client_addr : NULL);
		/* over its address's limit: libmicrohttpd sees the end of the
		 * stream and closes it, nothing is answered */
		if (*socket_context == NULL)
			shutdown(fd->connect_fd, SHUT_RDWR);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		conntrack_close(*socket_context);
		*socket_context = NULL;
	}
}

static enum MHD_Result
http_access_request(struct MHD_Connection *conn, const char *url, const char *method,
                    const char *version, const char *upload_data, size_t *upload_data_size,
                    void **req_cls)
{
	struct http_request *r = *req_cls;
	int rc;

	if (r == NULL) {
		/* normally made by http_uri_log */
		if ((r = http_request_new(conn)) == NULL)
			return MHD_NO;
		*req_cls = r;
	}
	if (!r->begun) {
		r->begun = 1;
		r->method = method;
		r->path = url;
		r->in_begin = 1;
		rc = http_begin(r, conn, url, method, version);
		r->in_begin = 0;
		/* a body to come: it must keep up the minimum rate */
		conntrack_set_phase(r->ct, r->expects_body ? CONNTRACK_BODY : CONNTRACK_BUSY);
		return rc == HTTP_FATAL ? MHD_NO : MHD_YES;
	}
	if (r->defer_state == HTTP_DEFER_DONE || r->defer_state == HTTP_DEFER_CANCELLED ||
	    r->defer_state == HTTP_DEFER_EXPIRED) {
		rc = http_resume(r);
		return rc == HTTP_FATAL ? MHD_NO : MHD_YES;
	}
	if (*upload_data_size > 0)
		conntrack_add_body(r->ct, *upload_data_size);
	else
		conntrack_set_phase(r->ct, CONNTRACK_BUSY);
	if (r->replied) {
		/* refused early: discard whatever the client still sends */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->stream_active)
		return http_stream_step(r, upload_data, upload_data_size);
	if (*upload_data_size > 0) {
		/* libmicrohttpd cannot queue a reply in the middle of a body, so
		 * an over-long body without a declared length (chunked) is
		 * discarded up to a bound and refused with 413 at its end; a
		 * client that keeps sending past the bound is disconnected. */
		if (r->body_too_large) {
			r->discarded += *upload_data_size;
			*upload_data_size = 0;
			return r->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (limits_body_append(&r->body, &r->body_len, &r->body_cap, r->body_max,
		                       upload_data, *upload_data_size) != 0) {
			r->body_too_large = 1;
			r->discarded = *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->body_too_large) {
		rc = http_reply_problem(r, PROBLEM_PAYLOAD_TOO_LARGE, NULL);
		return rc == HTTP_FATAL ? MHD_NO : MHD_YES;
	}
	rc = http_dispatch(r);
	return rc == HTTP_FATAL ? MHD_NO : MHD_YES;
}

/* Every line logged while a request's code runs names the request (log_set_request). */
static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
            const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	enum MHD_Result ret;

	(void)cls;
	if (*req_cls != NULL)
		log_set_request(((struct http_request *)*req_cls)->id);
	ret =
	    http_access_request(conn, url, method, version, upload_data, upload_data_size, req_cls);
	log_set_request(NULL);
	return ret;
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
               enum MHD_RequestTerminationCode toe)
{
	struct http_request *r = *req_cls;
	struct timespec now;
	double secs;

	(void)cls;
	(void)conn;
	if (r == NULL)
		return;
	log_set_request(r->id);
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - r->started.tv_sec) +
	       (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
	metrics_observe(r->route_index, r->status, secs);
	/* a kept-alive connection waits for its next request head */
	conntrack_set_phase(r->ct, CONNTRACK_HEAD);
	conntrack_slot_release(r->fwd_slot);
	if (r->defer_free != NULL)
		r->defer_free(r->defer_arg);
	log_request(r->method ? r->method : "-",
	            r->route_index >= 0 ? http_routes[r->route_index].pattern : "unmatched",
	            r->status, secs, r->addr, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (r->stream_active && r->stream_ops->done != NULL)
		r->stream_ops->done(r,
		                    r->stream_ended && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (r->post != NULL)
		MHD_destroy_post_processor(r->post);
	free(r->part_name);
	free(r->part_type);
	json_decref(r->json);
	if (r->body)
		explicit_bzero(r->body, r->body_cap);
	free(r->body);
	free(r->set_cookie);
	explicit_bzero(r, sizeof(*r));
	free(r);
	*req_cls = NULL;
	__atomic_sub_fetch(&http_inflight, 1, __ATOMIC_RELAXED);
	log_set_request(NULL);
}

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_event(LOG_LEVEL_WARN, "http_library", json_pack("{s:s}", "message", msg));
}

/*
 * File descriptors: one per connection, plus the database connections,
 * key files, log and evidence work. Raise the soft limit up to the hard
 * one as needed; when even that is too small, serve fewer connections
 * and say so. Returns the connection limit to use.
 */
static unsigned
http_fd_budget(unsigned want)
{
	/* descriptors besides the connections: database connections, files,
	 * and the sockets lingering after a refusal (linger.h) */
	const unsigned reserve = 256 + LINGER_MAX;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + reserve) {
		rlim_t need = (rlim_t)want + reserve;

		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			need = rl.rlim_max;
		rl.rlim_cur = need;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + reserve) {
		unsigned fit = rl.rlim_cur > reserve + 16 ? (unsigned)(rl.rlim_cur - reserve) : 16;

		log_event(LOG_LEVEL_WARN, "connection_limit_lowered",
		          json_pack("{s:i, s:i, s:i}", "wanted", (int)want, "serving", (int)fit,
		                    "nofile", (int)rl.rlim_cur));
		return fit;
	}
	return want;
}

/*
 * The acceptor: one thread accepts every connection waiting on the
 * listening socket and hands it to libmicrohttpd's workers
 * (MHD_add_connection spreads them and wakes the worker). libmicrohttpd
 * 0.9.75's own poll loop accepts one connection per loop of a worker, so
 * 10,000 clients connecting at once waited seconds to be accepted.
 */
static void *
http_acceptor(void *arg)
{
	struct pollfd p[2] = {{.fd = http_listen_fd, .events = POLLIN},
	                      {.fd = http_wake[0], .events = POLLIN}};
	unsigned long long starved = 0;

	(void)arg;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents != 0)
			break;
		for (int n = 0; n < 4096; n++) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			int fd = accept4(http_listen_fd, (struct sockaddr *)&ss, &sl,
			                 SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd < 0) {
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				    errno == ENOMEM) {
					/* out of descriptors: the backlog waits; say so now and
					 * then */
					if (starved++ % 1000 == 0)
						log_event(
						    LOG_LEVEL_WARN, "accept_failed",
						    json_pack("{s:s}", "error", strerror(errno)));
					usleep(10000);
				}
				break;
			}
			/* on failure (every worker at its limit) it closes fd */
			(void)MHD_add_connection(http_daemon, fd, (struct sockaddr *)&ss, sl);
		}
	}
	return NULL;
}

/* Listen on addr (non-blocking, backlog 4096). Returns the socket or -1 (logged). */
static int
http_listen(const struct sockaddr_in *addr)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 || listen(fd, 4096) != 0) {
		log_event(LOG_LEVEL_ERROR, "http_start_failed",
		          json_pack("{s:s, s:i, s:s}", "address", config.listen_address, "port",
		                    (int)config.port, "error", strerror(errno)));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Stop accepting: the acceptor ends and the listening socket closes, so
 * that not even the kernel's backlog takes new connections. */
static void
http_stop_accepting(void)
{
	if (http_accepting) {
		(void)write(http_wake[1], "x", 1);
		pthread_join(http_accept_thread, NULL);
		http_accepting = 0;
	}
	for (int i = 0; i < 2; i++)
		if (http_wake[i] >= 0) {
			close(http_wake[i]);
			http_wake[i] = -1;
		}
	if (http_listen_fd >= 0) {
		close(http_listen_fd);
		http_listen_fd = -1;
	}
}

int
http_server_start(const struct router_route *routes)
{
	struct sockaddr_in sa;
	struct conntrack_limits lim = {
	    .head_timeout_ms = (int64_t)config.header_timeout * 1000,
	    .min_rate = config.body_min_rate,
	    .rate_window_ms = (int64_t)config.body_rate_window * 1000,
	    .per_address = config.per_ip_connections,
	};
	unsigned max_connections;

	http_routes = routes;
	metrics_init(routes);
	{
		/* request ids need not be secret, only distinct across restarts and replicas */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		http_request_seq = ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)ts.tv_nsec << 8) ^
		                   ((uint64_t)getpid() << 44);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)config.port);
	if (inet_pton(AF_INET, config.listen_address, &sa.sin_addr) != 1) {
		log_event(LOG_LEVEL_ERROR, "listen_address_invalid",
		          json_pack("{s:s}", "address", config.listen_address));
		return -1;
	}
	if ((http_listen_fd = http_listen(&sa)) < 0)
		return -1;
	conntrack_init(&lim, config.trusted_proxies, config.n_trusted_proxies);
	if (conntrack_start() != 0 || linger_start() != 0 ||
	    defer_start(config.hash_threads, config.login_queue, config.login_queue_per_address,
	                config.login_queue_wait_ms) != 0) {
		log_event(LOG_LEVEL_ERROR, "http_start_failed",
		          json_pack("{s:s}", "reason", "cannot start threads"));
		conntrack_stop();
		linger_stop();
		http_stop_accepting();
		return -1;
	}
	max_connections = http_fd_budget(config.max_connections);
	/*
	 * poll, not epoll: with libmicrohttpd 0.9.75's epoll thread pool, a
	 * worker that reaches its share of MHD_OPTION_CONNECTION_LIMIT under
	 * load (e.g. 256 keep-alive clients, limit 512, 4 workers) stops
	 * serving for good: its connections stay in CLOSE-WAIT, no timeout
	 * fires (epoll_wait with no timeout) and new connections are never
	 * accepted. poll mode recovers; each worker polls only its own share
	 * of the connections, so the cost stays small. Connections come from
	 * our acceptor (http_acceptor), not from libmicrohttpd's own socket.
	 *
	 * The per-address connection limit is conntrack's (it exempts
	 * trusted proxies), not libmicrohttpd's.
	 */
	http_daemon = MHD_start_daemon(
	    MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET,
	    0, NULL, NULL, &http_access, NULL, MHD_OPTION_EXTERNAL_LOGGER, &http_mhd_log, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)config.threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)config.connection_timeout,
	    MHD_OPTION_CONNECTION_LIMIT, max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)config.connection_memory, MHD_OPTION_NOTIFY_COMPLETED, &http_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, &http_notify_connection, NULL,
	    MHD_OPTION_URI_LOG_CALLBACK, &http_uri_log, NULL, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_END);
	if (http_daemon == NULL || pipe2(http_wake, O_CLOEXEC) != 0 ||
	    pthread_create(&http_accept_thread, NULL, http_acceptor, NULL) != 0) {
		log_event(LOG_LEVEL_ERROR, "http_start_failed",
		          json_pack("{s:s, s:i}", "address", config.listen_address, "port",
		                    (int)config.port));
		if (http_daemon != NULL)
			MHD_stop_daemon(http_daemon);
		http_daemon = NULL;
		defer_stop();
		conntrack_stop();
		linger_stop();
		http_stop_accepting();
		return -1;
	}
	http_accepting = 1;
	log_event(LOG_LEVEL_INFO, "listening",
	          json_pack("{s:s, s:i, s:i, s:i}", "address", config.listen_address, "port",
	                    (int)config.port, "threads", (int)config.threads, "max_connections",
	                    (int)max_connections));
	return 0;
}

void
http_server_stop(unsigned grace_seconds)
{
	if (http_daemon == NULL)
		return;
	http_stop_accepting();
	for (unsigned i = 0; i < grace_seconds * 20; i++) {
		if (__atomic_load_n(&http_inflight, __ATOMIC_RELAXED) == 0)
			break;
		usleep(50000);
	}
	/* waiting log-ins resume (503) while the daemon still runs */
	defer_stop();
	usleep(100000);
	MHD_stop_daemon(http_daemon);
	http_daemon = NULL;
	conntrack_stop();
	linger_stop();
	log_event(LOG_LEVEL_INFO, "stopped", NULL);
}

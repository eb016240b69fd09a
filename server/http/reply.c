/*
 * http/reply.c: every response goes through http_reply_bytes, which adds
 * the security headers once, for all of them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "conf.h"
#include "http/conntrack.h"
#include "http/request.h"
#include "util/log.h"

#define HTTP_CSP_API                                                                               \
	"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#define HTTP_CSP_PAGE                                                                              \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
/* Pages of ROUTE_NOSCRIPT routes (public pages): no script at all; data: images
 * only for the empty icon (<link rel=icon href="data:,">), which spares the
 * browser a request for /favicon.ico that would end in a 404. */
#define HTTP_CSP_NOSCRIPT                                                                          \
	"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; "         \
	"frame-ancestors 'none'; base-uri 'none'"

struct http_prepared {
	unsigned status;
	unsigned flags;
	const char *content_type; /* static */
	char *body;               /* owned, never changes */
	size_t len;
	char **headers; /* owned, NULL-terminated name/value pairs */
};

const char *
http_param(const struct http_request *r, int i)
{
	if (i < 0 || i >= r->match.nparams)
		return "";
	return r->match.params[i];
}

const char *
http_header(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_HEADER_KIND, name);
}

const char *
http_query(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND,
	                                   name);
}

int
http_set_cookie(struct http_request *r, const char *value)
{
	/* several cookies are kept one per line, each a Set-Cookie header */
	size_t old = r->set_cookie ? strlen(r->set_cookie) + 1 : 0;
	char *v = malloc(old + strlen(value) + 1);

	if (v == NULL)
		return -1;
	if (old > 0) {
		memcpy(v, r->set_cookie, old - 1);
		v[old - 1] = '\n';
	}
	memcpy(v + old, value, strlen(value) + 1);
	if (r->set_cookie != NULL)
		explicit_bzero(r->set_cookie, strlen(r->set_cookie));
	free(r->set_cookie);
	r->set_cookie = v;
	return 0;
}

/*
 * Add the headers every response carries: content type, the security
 * headers, Cache-Control: no-store unless the route flags say ROUTE_PUBLIC
 * and the status is below 400, the cookie (may be NULL) and extra_headers
 * (NULL-terminated name/value pairs, may be NULL); an extra
 * Content-Security-Policy replaces the default one. Returns 1, or 0 when a
 * header could not be added.
 */
static int
http_add_headers(struct MHD_Response *resp, unsigned status, unsigned flags,
                 const char *content_type, const char *cookie, const char *const *extra_headers)
{
	int is_page, is_public, own_csp = 0, ok = 1;
	const char *csp;

	for (size_t i = 0; extra_headers != NULL && extra_headers[i] != NULL; i += 2)
		if (strcasecmp(extra_headers[i], "Content-Security-Policy") == 0)
			own_csp = 1;
	is_page = content_type != NULL && strncmp(content_type, "text/html", 9) == 0;
	is_public = (flags & ROUTE_PUBLIC) && status < 400;
	csp = !is_page                   ? HTTP_CSP_API
	      : (flags & ROUTE_NOSCRIPT) ? HTTP_CSP_NOSCRIPT
	                                 : HTTP_CSP_PAGE;
	if (content_type != NULL)
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) ==
		      MHD_YES;
	if (!own_csp)
		ok &= MHD_add_response_header(resp, "Content-Security-Policy", csp) == MHD_YES;
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES;
	ok &= MHD_add_response_header(resp, "X-Frame-Options", "DENY") == MHD_YES;
	ok &= MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin") == MHD_YES;
	ok &=
	    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin") == MHD_YES;
	ok &= MHD_add_response_header(
	          resp, "Permissions-Policy",
	          "camera=(), microphone=(), geolocation=(), interest-cohort=()") == MHD_YES;
	if (config.cookie_secure)
		ok &= MHD_add_response_header(resp, "Strict-Transport-Security",
		                              "max-age=31536000; includeSubDomains") == MHD_YES;
	if (!is_public)
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") ==
		      MHD_YES;
	while (cookie != NULL && *cookie != '\0') {
		const char *nl = strchr(cookie, '\n');
		size_t n = nl ? (size_t)(nl - cookie) : strlen(cookie);
		char one[1024];

		if (n < sizeof(one)) {
			memcpy(one, cookie, n);
			one[n] = '\0';
			ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, one) ==
			      MHD_YES;
			explicit_bzero(one, n);
		} else
			ok = 0;
		cookie = nl ? nl + 1 : NULL;
	}
	for (size_t i = 0; extra_headers != NULL && extra_headers[i] != NULL; i += 2)
		ok &= MHD_add_response_header(resp, extra_headers[i], extra_headers[i + 1]) ==
		      MHD_YES;
	return ok;
}

/* The route flags of r (0 before routing). */
static unsigned
http_route_flags(const struct http_request *r)
{
	return r->match.route != NULL ? r->match.route->flags : 0;
}

/* Queue resp (destroyed here either way). Returns HTTP_REPLIED or HTTP_FATAL. */
static int
http_queue(struct http_request *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result q;

	q = MHD_queue_response((struct MHD_Connection *)r->conn, status, resp);
	MHD_destroy_response(resp);
	if (q != MHD_YES)
		return HTTP_FATAL;
	/* refused from the head with the body still to come: libmicrohttpd
	 * will close without reading it, so the socket lingers (linger.h);
	 * not after "Expect: 100-continue", whose client sends nothing */
	if (r->in_begin && r->expects_body) {
		const char *expect = http_header(r, MHD_HTTP_HEADER_EXPECT);

		if (expect == NULL || strcasecmp(expect, "100-continue") != 0)
			conntrack_set_linger(r->ct);
	}
	r->replied = 1;
	r->status = status;
	return HTTP_REPLIED;
}

int
http_reply_bytes(struct http_request *r, unsigned status, const char *content_type, const void *buf,
                 size_t len, const char *const *extra_headers)
{
	struct MHD_Response *resp;

	if (r->replied) {
		log_event(LOG_LEVEL_ERROR, "reply_twice",
		          json_pack("{s:i}", "status", (int)status));
		return HTTP_FATAL;
	}
	resp = MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return HTTP_FATAL;
	if (!http_add_headers(resp, status, http_route_flags(r), content_type, r->set_cookie,
	                      extra_headers)) {
		MHD_destroy_response(resp);
		return HTTP_FATAL;
	}
	return http_queue(r, status, resp);
}

struct http_stream_reader {
	http_reader_fn read;
	void *cls;
	void (*free_cls)(void *);
};

static ssize_t
http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream_reader *sr = cls;
	ssize_t n = sr->read(sr->cls, pos, buf, max);

	if (n <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void
http_stream_free(void *cls)
{
	struct http_stream_reader *sr = cls;

	if (sr->free_cls != NULL)
		sr->free_cls(sr->cls);
	free(sr);
}

#define HTTP_STREAM_BLOCK (256 * 1024)

int
http_reply_stream(struct http_request *r, unsigned status, const char *content_type, uint64_t size,
                  http_reader_fn read, void *cls, void (*free_cls)(void *),
                  const char *const *extra_headers)
{
	struct http_stream_reader *sr;
	struct MHD_Response *resp;

	if (r->replied) {
		log_event(LOG_LEVEL_ERROR, "reply_twice",
		          json_pack("{s:i}", "status", (int)status));
		if (free_cls != NULL)
			free_cls(cls);
		return HTTP_FATAL;
	}
	if ((sr = calloc(1, sizeof(*sr))) == NULL) {
		if (free_cls != NULL)
			free_cls(cls);
		return HTTP_FATAL;
	}
	sr->read = read;
	sr->cls = cls;
	sr->free_cls = free_cls;
	resp = MHD_create_response_from_callback(size, HTTP_STREAM_BLOCK, http_stream_read, sr,
	                                         http_stream_free);
	if (resp == NULL) {
		http_stream_free(sr);
		return HTTP_FATAL;
	}
	if (!http_add_headers(resp, status, http_route_flags(r), content_type, r->set_cookie,
	                      extra_headers)) {
		MHD_destroy_response(resp);
		return HTTP_FATAL;
	}
	return http_queue(r, status, resp);
}

void
http_stream_accept(struct http_request *r, const struct http_stream_ops *ops, void *ctx)
{
	r->stream_ops = ops;
	r->stream = ctx;
	r->stream_active = 1;
}

int
http_stream_fail(struct http_request *r, enum problem_type type, const char *detail)
{
	if (!r->stream_failed) {
		r->stream_failed = 1;
		r->stream_problem = type;
		snprintf(r->stream_detail, sizeof(r->stream_detail), "%s", detail ? detail : "");
	}
	return HTTP_OK;
}

const char *
http_part_name(const struct http_request *r)
{
	return r->part_name;
}

const char *
http_part_type(const struct http_request *r)
{
	return r->part_type;
}

struct http_prepared *
http_prepared_new(unsigned status, unsigned route_flags, const char *content_type, const void *buf,
                  size_t len, const char *const *extra_headers)
{
	struct http_prepared *p = calloc(1, sizeof(*p));
	size_t n = 0;

	if (p == NULL)
		return NULL;
	p->status = status;
	p->flags = route_flags;
	p->content_type = content_type;
	p->len = len;
	while (extra_headers != NULL && extra_headers[n] != NULL)
		n++;
	p->body = malloc(len ? len : 1);
	p->headers = calloc(n + 1, sizeof(*p->headers));
	if (p->body == NULL || p->headers == NULL) {
		http_prepared_free(p);
		return NULL;
	}
	memcpy(p->body, buf, len);
	for (size_t i = 0; i < n; i++)
		if ((p->headers[i] = strdup(extra_headers[i])) == NULL) {
			http_prepared_free(p);
			return NULL;
		}
	return p;
}

int
http_reply_prepared(struct http_request *r, struct http_prepared *p)
{
	struct MHD_Response *resp;

	if (r->replied) {
		log_event(LOG_LEVEL_ERROR, "reply_twice",
		          json_pack("{s:i}", "status", (int)p->status));
		return HTTP_FATAL;
	}
	/* A new response per request over the prepared bytes (not copied:
	 * they live as long as p). One MHD_Response shared by many
	 * connections wedged libmicrohttpd 0.9.75's epoll workers under load,
	 * so responses are never shared. */
	resp = MHD_create_response_from_buffer(p->len, p->body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return HTTP_FATAL;
	if (!http_add_headers(resp, p->status, p->flags, p->content_type, NULL,
	                      (const char *const *)p->headers)) {
		MHD_destroy_response(resp);
		return HTTP_FATAL;
	}
	return http_queue(r, p->status, resp);
}

void
http_prepared_free(struct http_prepared *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->headers != NULL && p->headers[i] != NULL; i++)
		free(p->headers[i]);
	free(p->headers);
	free(p->body);
	free(p);
}

int
http_reply_json(struct http_request *r, unsigned status, json_t *body)
{
	char *text;
	int rc;

	if (body == NULL)
		return http_reply_bytes(r, status, NULL, "", 0, NULL);
	text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(body);
	if (text == NULL)
		return HTTP_FATAL;
	rc = http_reply_bytes(r, status, "application/json", text, strlen(text), NULL);
	free(text);
	return rc;
}

/* Build and send a problem document; field/reason/headers/ext may be NULL; ext is STOLEN. */
static int
http_reply_problem_doc(struct http_request *r, enum problem_type type, const char *detail,
                       const char *field, const char *reason, const char *const *headers,
                       json_t *ext)
{
	const struct problem_info *p = problem_get(type);
	char typeuri[96];
	json_t *doc;
	char *text;
	int rc;

	snprintf(typeuri, sizeof(typeuri), "urn:lockstep:problem:%s", p->slug);
	doc = json_pack("{s:s, s:s, s:i}", "type", typeuri, "title", p->title, "status",
	                (int)p->status);
	if (doc == NULL) {
		json_decref(ext);
		return HTTP_FATAL;
	}
	if (ext != NULL) {
		/* extension members never replace the standard ones */
		const char *k;
		json_t *v;

		json_object_foreach(ext, k, v)
		{
			if (json_object_get(doc, k) == NULL)
				json_object_set(doc, k, v);
		}
		json_decref(ext);
	}
	if (detail != NULL)
		json_object_set_new(doc, "detail", json_string(detail));
	if (field != NULL)
		json_object_set_new(doc, "field", json_string(field));
	if (reason != NULL)
		json_object_set_new(doc, "reason", json_string(reason));
	text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (text == NULL)
		return HTTP_FATAL;
	/* every 503 says when to come back: a database fail-over, a full
	 * queue and a restart are all over within seconds */
	if (p->status == 503 && headers == NULL) {
		static const char *const retry[] = {"Retry-After", "2", NULL};

		headers = retry;
	}
	rc =
	    http_reply_bytes(r, p->status, "application/problem+json", text, strlen(text), headers);
	free(text);
	return rc;
}

static char *http_not_found_page;
static size_t http_not_found_len;

void
http_set_not_found_page(char *html, size_t len)
{
	free(http_not_found_page);
	http_not_found_page = html;
	http_not_found_len = html != NULL ? len : 0;
}

/* Does r ask for HTML on a public page's path (/p, /p/…)? */
static int
http_wants_public_page(const struct http_request *r)
{
	const char *accept = http_header(r, "Accept");
	const char *path = r->path;

	if (accept == NULL || strstr(accept, "text/html") == NULL || path == NULL)
		return 0;
	return strcmp(path, "/p") == 0 || strncmp(path, "/p/", 3) == 0;
}

int
http_reply_not_found(struct http_request *r)
{
	static const char *const hdr[] = {"Content-Security-Policy", HTTP_CSP_NOSCRIPT, "Vary",
	                                  "Accept", NULL};

	if (http_not_found_page != NULL && http_wants_public_page(r))
		return http_reply_bytes(r, 404, "text/html; charset=utf-8", http_not_found_page,
		                        http_not_found_len, hdr);
	return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
}

int
http_reply_problem(struct http_request *r, enum problem_type type, const char *detail)
{
	return http_reply_problem_doc(r, type, detail, NULL, NULL, NULL, NULL);
}

int
http_reply_problem_headers(struct http_request *r, enum problem_type type, const char *detail,
                           const char *const *extra_headers)
{
	return http_reply_problem_doc(r, type, detail, NULL, NULL, extra_headers, NULL);
}

int
http_reply_field(struct http_request *r, enum problem_type type, const char *field,
                 const char *reason)
{
	char detail[768];

	snprintf(detail, sizeof(detail), "%s: %s", field ? field : "body",
	         reason ? reason : "invalid");
	return http_reply_problem_doc(r, type, detail, field, reason, NULL, NULL);
}

int
http_reply_problem_ext(struct http_request *r, enum problem_type type, const char *detail,
                       json_t *ext)
{
	return http_reply_problem_doc(r, type, detail, NULL, NULL, NULL, ext);
}

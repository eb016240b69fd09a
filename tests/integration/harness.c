/* tests/integration/harness.c: see harness.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"

static char ht_base[512]; /* LOCKSTEP_TEST_URL without a trailing slash */
static char ht_host[256];
static char ht_port[16];
static char ht_hp[300];

/*
 * Skips: ht_run_suite opens a temporary file whose descriptor (and offset)
 * the forked test children share; each skipped test appends one byte.
 */
static int ht_skips_fd = -1;
static int ht_in_suite; /* inside srunner_run_all */
static int ht_nofork;   /* CK_FORK=no: a skip cannot end the test */

/* ------------------------------------------------------------ utilities */

static void *
ht_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return p;
}

static void *
ht_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return p;
}

static char *
ht_xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *p = ht_xmalloc(n + 1);

	memcpy(p, s, n + 1);
	return p;
}

char *
ht_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return s;
}

const char *
ht_env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

const char *
ht_env_req(const char *name)
{
	const char *v = ht_env(name);

	if (v == NULL)
		ht_skip("environment variable %s is not set (deploy/local/test sets it)", name);
	return v;
}

void
ht_skip(const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!ht_in_suite) {
		/* outside a test: the whole program is skipped (automake: SKIP) */
		printf("SKIP: %s: %s\n", program_invocation_short_name, why);
		fflush(NULL);
		exit(77);
	}
	if (ht_nofork)
		ck_abort_msg("SKIP (counted as a failure under CK_FORK=no): %s", why);
	printf("SKIP: %s %s: %s\n", program_invocation_short_name, tcase_name(), why);
	fflush(NULL);
	if (ht_skips_fd >= 0)
		(void)!write(ht_skips_fd, "s", 1);
	/* the forked child of this one test ends with status 0; see harness.h */
	exit(0);
}

static void
ht_random_bytes(unsigned char *out, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd >= 0) {
		while (got < n) {
			ssize_t k = read(fd, out + got, n - got);

			if (k <= 0)
				break;
			got += (size_t)k;
		}
		close(fd);
	}
	if (got < n) {
		/* weak fallback, good enough for unique test names */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		srandom((unsigned)(ts.tv_nsec ^ getpid()));
		for (; got < n; got++)
			out[got] = (unsigned char)random();
	}
}

char *
ht_unique(const char *prefix)
{
	static unsigned counter;
	unsigned char rnd[3];

	ht_random_bytes(rnd, sizeof(rnd));
	counter++;
	return ht_fmt("%s-%ld-%u-%lld-%02x%02x%02x", prefix, (long)getpid(), counter,
	              (long long)time(NULL), rnd[0], rnd[1], rnd[2]);
}

char *
ht_subst(const char *tmpl, const char *s)
{
	const char *at = strstr(tmpl, "%s");

	if (at == NULL)
		return ht_xstrdup(tmpl);
	return ht_fmt("%.*s%s%s", (int)(at - tmpl), tmpl, s, at + 2);
}

void
ht_random_uuid(char out[37])
{
	unsigned char b[16];

	ht_random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

char *
ht_jdump(json_t *steal)
{
	char *s;

	if (steal == NULL) {
		fprintf(stderr, "harness: json_pack failed\n");
		abort();
	}
	s = json_dumps(steal, JSON_COMPACT);
	json_decref(steal);
	if (s == NULL) {
		fprintf(stderr, "harness: json_dumps failed\n");
		abort();
	}
	return s;
}

int
ht_mem_contains(const char *hay, size_t n, const char *needle)
{
	return hay != NULL && memmem(hay, n, needle, strlen(needle)) != NULL;
}

int
ht_mem_contains_any_form(const char *hay, size_t n, const char *needle)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	size_t len = strlen(needle), i;
	char *hl, *hu;
	int found;

	if (ht_mem_contains(hay, n, needle))
		return 1;
	hl = ht_xmalloc(2 * len + 1);
	hu = ht_xmalloc(2 * len + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)needle[i];

		hl[2 * i] = lo[c >> 4];
		hl[2 * i + 1] = lo[c & 15];
		hu[2 * i] = up[c >> 4];
		hu[2 * i + 1] = up[c & 15];
	}
	hl[2 * len] = hu[2 * len] = '\0';
	found = ht_mem_contains(hay, n, hl) || ht_mem_contains(hay, n, hu);
	free(hl);
	free(hu);
	return found;
}

char *
ht_future_time(int days)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return ht_xstrdup(buf);
}

/* --------------------------------------------------------------- set-up */

void
ht_init_or_skip(void)
{
	const char *url = ht_env("LOCKSTEP_TEST_URL");
	const char *p, *hostend;
	size_t n;

	if (url == NULL)
		ht_skip("LOCKSTEP_TEST_URL is not set (run ./deploy/local/test)");
	signal(SIGPIPE, SIG_IGN);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= sizeof(ht_base) || strncmp(url, "http://", 7) != 0) {
		fprintf(stderr, "LOCKSTEP_TEST_URL must be http://host:port, got %s\n", url);
		exit(1);
	}
	memcpy(ht_base, url, n);
	ht_base[n] = '\0';
	p = ht_base + 7;
	hostend = strchr(p, ':');
	if (hostend == NULL || (size_t)(hostend - p) >= sizeof(ht_host)) {
		snprintf(ht_host, sizeof(ht_host), "%.*s", (int)strcspn(p, "/"), p);
		snprintf(ht_port, sizeof(ht_port), "80");
	} else {
		snprintf(ht_host, sizeof(ht_host), "%.*s", (int)(hostend - p), p);
		snprintf(ht_port, sizeof(ht_port), "%.*s", (int)strcspn(hostend + 1, "/"),
		         hostend + 1);
	}
	snprintf(ht_hp, sizeof(ht_hp), "%s:%s", ht_host, ht_port);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "curl_global_init failed\n");
		exit(1);
	}
}

const char *
ht_hostport(void)
{
	return ht_hp;
}

int
ht_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	FILE *skips = tmpfile();
	struct stat st;
	int run, failed, skipped = 0;

	if (skips != NULL) {
		ht_skips_fd = fileno(skips);
		(void)fcntl(ht_skips_fd, F_SETFD, FD_CLOEXEC);
	}
	ht_nofork = srunner_fork_status(sr) == CK_NOFORK;
	fflush(NULL); /* nothing buffered is written again by a forked child */
	ht_in_suite = 1;
	srunner_run_all(sr, CK_NORMAL);
	ht_in_suite = 0;
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (skips != NULL && fstat(ht_skips_fd, &st) == 0)
		skipped = (int)st.st_size;
	if (skipped > run - failed)
		skipped = run - failed;
	if (skips != NULL)
		fclose(skips);
	ht_skips_fd = -1;
	/* Check counted the skipped tests as passed; they are not. */
	printf("%s: %d passed, %d failed, %d skipped\n", program_invocation_short_name,
	       run - failed - skipped, failed, skipped);
	fflush(stdout);
	if (failed > 0)
		return 1;
	return skipped > 0 && skipped == run ? 77 : 0;
}

/* ----------------------------------------------------------------- HTTP */

struct ht_buf {
	char *p;
	size_t len, cap;
};

static void
ht_buf_add(struct ht_buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = ht_xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static size_t
ht_write_cb(char *data, size_t size, size_t nmemb, void *cls)
{
	ht_buf_add(cls, data, size * nmemb);
	return size * nmemb;
}

static size_t
ht_header_cb(char *data, size_t size, size_t nmemb, void *cls)
{
	struct ht_buf *b = cls;
	size_t n = size * nmemb;

	/* keep only the final response's headers (not 100 Continue's) */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		b->len = 0;
	ht_buf_add(b, data, n);
	return n;
}

struct ht_resp *
ht_request_v(const char *method, const char *path, const char *token, const char *body,
             size_t body_len, const char *const *headers)
{
	struct ht_resp *r = ht_xmalloc(sizeof(*r));
	struct ht_buf bb = {0}, hb = {0};
	struct curl_slist *hl = NULL;
	char *url = ht_fmt("%s%s", ht_base, path);
	char *auth = NULL;
	int has_ct = 0, has_expect = 0;
	CURL *c;
	CURLcode cc;
	char *ct = NULL;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->what = ht_fmt("%s %.300s%s", method, path, strlen(path) > 300 ? "..." : "");
	ht_buf_add(&bb, "", 0);
	ht_buf_add(&hb, "", 0);
	c = curl_easy_init();
	if (c == NULL) {
		ht_buf_add(&bb, "curl_easy_init failed", 21);
		goto done;
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
			has_ct = 1;
		if (strncasecmp(headers[i], "Expect:", 7) == 0)
			has_expect = 1;
		hl = curl_slist_append(hl, headers[i]);
	}
	if (body != NULL && !has_ct)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	if (!has_expect)
		hl = curl_slist_append(hl, "Expect:");
	if (token != NULL) {
		auth = ht_fmt("Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ht_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ht_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		const char *e = curl_easy_strerror(cc);

		bb.len = 0;
		ht_buf_add(&bb, "transport error: ", 17);
		ht_buf_add(&bb, e, strlen(e));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct != NULL)
		r->content_type = ht_xstrdup(ct);
done:
	if (r->content_type == NULL)
		r->content_type = ht_xstrdup("");
	r->body = bb.p;
	r->body_len = bb.len;
	r->headers = hb.p;
	if (r->status != 0 && strstr(r->content_type, "json") != NULL)
		r->json = json_loadb(r->body, r->body_len, 0, NULL);
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	free(auth);
	free(url);
	return r;
}

struct ht_resp *
ht_request_(const char *method, const char *path, const char *token, const char *body, ...)
{
	const char *hdrs[32];
	struct ht_resp *r;
	va_list ap;
	size_t n = 0;
	const char *h;

	va_start(ap, body);
	while ((h = va_arg(ap, const char *)) != NULL && n < 31)
		hdrs[n++] = h;
	va_end(ap);
	hdrs[n] = NULL;
	r = ht_request_v(method, path, token, body, body ? strlen(body) : 0, hdrs);
	return r;
}

void
ht_resp_free(struct ht_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	json_decref(r->json);
	free(r->content_type);
	free(r->headers);
	free(r->what);
	free(r);
}

/* Value of header name in a block of "Name: value\r\n" lines (malloc'd) or NULL. */
static char *
ht_header_in(const char *block, size_t blen, const char *name)
{
	size_t nl = strlen(name);
	const char *p = block, *end = block + blen;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		if ((size_t)(le - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *ve = le;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			return ht_fmt("%.*s", (int)(ve - v), v);
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return NULL;
}

char *
ht_header(const struct ht_resp *r, const char *name)
{
	return r->headers ? ht_header_in(r->headers, strlen(r->headers), name) : NULL;
}

const char *
ht_ostr(const json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
ht_jstr(const struct ht_resp *r, const char *key)
{
	return ht_ostr(r->json, key);
}

static int
ht_problem_json_ok(const json_t *j, long status, const char *slug)
{
	const char *type = ht_ostr(j, "type");
	json_t *st = json_is_object(j) ? json_object_get(j, "status") : NULL;
	char *want;
	int ok;

	if (type == NULL || !json_is_integer(st) || json_integer_value(st) != status)
		return 0;
	want = ht_fmt(HT_PROBLEM_PREFIX "%s", slug);
	ok = strcmp(type, want) == 0;
	free(want);
	return ok;
}

int
ht_is_problem(const struct ht_resp *r, long status, const char *slug)
{
	if (r->status != status)
		return 0;
	if (strncasecmp(r->content_type, "application/problem+json", 24) != 0)
		return 0;
	return ht_problem_json_ok(r->json, status, slug);
}

/* ---------------------------------------------------------- raw sockets */

/* Offset of the final (non-1xx) response in raw[0..len), or -1 if not yet seen. */
static long
ht_raw_final(const char *raw, size_t len, size_t *hdr_end)
{
	size_t pos = 0;

	for (;;) {
		const char *e = memmem(raw + pos, len - pos, "\r\n\r\n", 4);
		int st;

		if (e == NULL)
			return -1;
		if (len - pos < 12 || strncmp(raw + pos, "HTTP/1.", 7) != 0)
			return -1;
		st = atoi(raw + pos + 9);
		if (st >= 100 && st < 200) {
			pos = (size_t)(e - raw) + 4;
			continue;
		}
		*hdr_end = (size_t)(e - raw) + 4;
		return (long)pos;
	}
}

static int
ht_raw_complete(const char *raw, size_t len)
{
	size_t hend;
	long start = ht_raw_final(raw, len, &hend);
	char *cl, *te;
	int done = 0;

	if (start < 0)
		return 0;
	cl = ht_header_in(raw + start, hend - (size_t)start, "Content-Length");
	te = ht_header_in(raw + start, hend - (size_t)start, "Transfer-Encoding");
	if (cl != NULL)
		done = len >= hend + strtoull(cl, NULL, 10);
	else if (te != NULL && strcasecmp(te, "chunked") == 0)
		done = memmem(raw + hend, len - hend, "0\r\n\r\n", 5) != NULL;
	free(cl);
	free(te);
	return done;
}

char *
ht_raw(const char *bytes, size_t n)
{
	size_t sent;

	return ht_raw_sent(bytes, n, &sent);
}

char *
ht_raw_sent(const char *bytes, size_t n, size_t *sent_out)
{
	struct addrinfo hints, *ai = NULL, *p;
	struct timeval tv = {10, 0};
	struct ht_buf b = {0};
	size_t sent = 0;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(ht_host, ht_port, &hints, &ai) != 0)
		return NULL;
	for (p = ai; p != NULL; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	*sent_out = 0;
	if (fd < 0)
		return NULL;
	while (sent < n) {
		ssize_t k = send(fd, bytes + sent, n - sent, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* the server may refuse early and close: read what it said */
		sent += (size_t)k;
	}
	*sent_out = sent;
	ht_buf_add(&b, "", 0);
	for (;;) {
		char chunk[16384];
		ssize_t k = recv(fd, chunk, sizeof(chunk), 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		ht_buf_add(&b, chunk, (size_t)k);
		if (ht_raw_complete(b.p, b.len))
			break;
	}
	close(fd);
	return b.p;
}

int
ht_raw_status(const char *raw)
{
	size_t hend;
	long start;

	if (raw == NULL)
		return 0;
	start = ht_raw_final(raw, strlen(raw), &hend);
	return start < 0 ? 0 : atoi(raw + start + 9);
}

int
ht_raw_has_interim(const char *raw)
{
	const char *p = raw;

	while (p != NULL && (p = strstr(p, "HTTP/1.")) != NULL) {
		if (p[8] == ' ' && p[9] == '1' && (p == raw || p[-1] == '\n'))
			return 1;
		p += 7;
	}
	return 0;
}

char *
ht_raw_header(const char *raw, const char *name)
{
	size_t hend;
	long start;

	if (raw == NULL)
		return NULL;
	start = ht_raw_final(raw, strlen(raw), &hend);
	if (start < 0)
		return NULL;
	return ht_header_in(raw + start, hend - (size_t)start, name);
}

const char *
ht_raw_body(const char *raw)
{
	size_t hend;
	long start;

	if (raw == NULL)
		return "";
	start = ht_raw_final(raw, strlen(raw), &hend);
	return start < 0 ? "" : raw + hend;
}

int
ht_raw_is_problem(const char *raw, int status, const char *slug)
{
	char *ct = ht_raw_header(raw, "Content-Type");
	json_t *j;
	int ok = 0;

	if (ht_raw_status(raw) == status && ct != NULL &&
	    strncasecmp(ct, "application/problem+json", 24) == 0) {
		const char *body = ht_raw_body(raw);
		char *cl = ht_raw_header(raw, "Content-Length");
		size_t blen = cl ? strtoull(cl, NULL, 10) : strlen(body);

		if (blen > strlen(body))
			blen = strlen(body);
		j = json_loadb(body, blen, 0, NULL);
		ok = ht_problem_json_ok(j, status, slug);
		json_decref(j);
		free(cl);
	}
	free(ct);
	return ok;
}

/* ------------------------------------------------------------- accounts */

struct ht_resp *
ht_login_resp(const char *email, const char *password)
{
	char *body = ht_jdump(json_pack("{s:s, s:s}", "email", email, "password", password));
	struct ht_resp *r = ht_request("POST", "/api/v1/session", NULL, body);

	free(body);
	return r;
}

char *
ht_login(const char *email, const char *password)
{
	struct ht_resp *r = ht_login_resp(email, password);
	const char *tok = r->status == 201 ? ht_jstr(r, "token") : NULL;
	char *out = NULL;

	if (tok != NULL)
		out = ht_xstrdup(tok);
	else
		fprintf(stderr, "log-in as %s failed: %ld %s\n", email, r->status, HT_BODY(r));
	ht_resp_free(r);
	return out;
}

/* ------------------------------------------------------------- database */

PGconn *
ht_db_open(const char *dsn)
{
	PGconn *c;

	if (dsn == NULL) {
		fprintf(stderr, "harness: no DSN\n");
		return NULL;
	}
	c = PQconnectdb(dsn);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: cannot connect (%s): %s", dsn, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

long long
ht_db_count_conn(PGconn *c, const char *sql)
{
	PGresult *res;
	long long v = -1;

	if (c == NULL)
		return -1;
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "harness: %s: %s", sql, PQerrorMessage(c));
	else if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		fprintf(stderr, "harness: %s: no value\n", sql);
	else
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

long long
ht_db_count(const char *dsn, const char *sql)
{
	PGconn *c = ht_db_open(dsn);
	long long v = ht_db_count_conn(c, sql);

	PQfinish(c);
	return v;
}

int
ht_db_exec(PGconn *c, const char *sql, char sqlstate[6])
{
	PGresult *res;
	ExecStatusType st;
	int rc = -1;

	if (sqlstate != NULL)
		sqlstate[0] = '\0';
	if (c == NULL)
		return -1;
	res = PQexec(c, sql);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		rc = 0;
	} else if (sqlstate != NULL) {
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(sqlstate, 6, "%s", s ? s : "?????");
	}
	PQclear(res);
	return rc;
}

char *
ht_db_value(PGconn *c, const char *sql, int *ok)
{
	PGresult *res;
	char *v = NULL;

	if (ok != NULL)
		*ok = 0;
	if (c == NULL)
		return NULL;
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (ok != NULL)
			*ok = 1;
		if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
			v = ht_xstrdup(PQgetvalue(res, 0, 0));
	} else {
		fprintf(stderr, "harness: %s: %s", sql, PQerrorMessage(c));
	}
	PQclear(res);
	return v;
}

char *
ht_sql_literal(const char *s)
{
	struct ht_buf b = {0};

	ht_buf_add(&b, "'", 1);
	for (; *s; s++) {
		if (*s == '\'')
			ht_buf_add(&b, "''", 2);
		else
			ht_buf_add(&b, s, 1);
	}
	ht_buf_add(&b, "'", 1);
	return b.p;
}

const char *const ht_counted_tables[HT_NCOUNTED] = {
    "orgs",     "users",           "campaigns", "engagements",
    "findings", "finding_history", "claims",    "statements",
};

int
ht_db_snapshot(long long out[HT_NCOUNTED])
{
	PGconn *c = ht_db_open(ht_env("LOCKSTEP_TEST_OWNER_DSN"));
	int i, rc = 0;

	for (i = 0; i < HT_NCOUNTED; i++) {
		char *sql = ht_fmt("SELECT count(*) FROM public.%s", ht_counted_tables[i]);

		out[i] = ht_db_count_conn(c, sql);
		if (out[i] < 0)
			rc = -1;
		free(sql);
	}
	PQfinish(c);
	return rc;
}

void
ht_clear_login_failures(void)
{
	PGconn *c = ht_db_open(ht_env("LOCKSTEP_TEST_OWNER_DSN"));
	char st[6];

	if (c != NULL && ht_db_exec(c, "DELETE FROM public.login_failures", st) != 0)
		fprintf(stderr, "harness: cannot clear login_failures (SQLSTATE %s)\n", st);
	PQfinish(c);
}

/* ------------------------------------------------------------ processes */

char *
ht_run_capture(char *const argv[], size_t *len, int *status)
{
	struct ht_buf b = {0};
	int pfd[2], ws = 0;
	pid_t pid;

	*status = -1;
	*len = 0;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(pfd[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	ht_buf_add(&b, "", 0);
	for (;;) {
		char chunk[65536];
		ssize_t k = read(pfd[0], chunk, sizeof(chunk));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		ht_buf_add(&b, chunk, (size_t)k);
	}
	close(pfd[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(ws))
		*status = WEXITSTATUS(ws);
	*len = b.len;
	return b.p;
}

/* ------------------------------------------------- a lockstepd of a test */

int
ht_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* 1 if base + /healthz answers 200 within a second. */
static int
ht_server_healthy(const char *base)
{
	char url[128];
	long status = 0;
	CURL *c = curl_easy_init();

	if (c == NULL)
		return 0;
	snprintf(url, sizeof(url), "%s/healthz", base);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status == 200;
}

/* The directory for the logs of test-started servers (malloc'd), created. */
static char *
ht_log_dir(void)
{
	const char *state = ht_env("LOCKSTEP_TEST_STATE_DIR");
	const char *tmp = ht_env("TMPDIR");
	char *dir = state != NULL ? ht_fmt("%s/logs", state)
	                          : ht_fmt("%s/lockstep-test-logs", tmp != NULL ? tmp : "/tmp");

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		fprintf(stderr, "harness: cannot create %s: %s\n", dir, strerror(errno));
	return dir;
}

/* Print the last lines (about 4 KiB) of path on stderr. */
static void
ht_print_tail(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return;
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)sizeof(buf))
		fseek(f, -(long)sizeof(buf), SEEK_END);
	else
		rewind(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fprintf(stderr, "---- end of %s ----\n", path);
	fwrite(buf, 1, n, stderr);
	fprintf(stderr, "\n----\n");
}

int
ht_server_start(struct ht_server *s, int port, const char *const *env)
{
	static int n;
	const char *exe = ht_env("LOCKSTEP_TEST_LOCKSTEPD");
	const char *run_as = ht_env("LOCKSTEP_TEST_RUN_AS");
	char *dir;
	int fd;

	memset(s, 0, sizeof(*s));
	if (exe == NULL || access(exe, X_OK) != 0)
		ht_skip("no lockstepd to start (LOCKSTEP_TEST_LOCKSTEPD is %s)",
		        exe == NULL ? "not set" : "not executable");
	s->port = port > 0 ? port : ht_free_port();
	if (s->port <= 0) {
		fprintf(stderr, "harness: no free port\n");
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	dir = ht_log_dir();
	s->log = ht_fmt("%s/%s-%s-%ld-%d.log", dir, program_invocation_short_name,
	                ht_in_suite ? tcase_name() : "main", (long)getpid(), ++n);
	free(dir);
	fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "harness: %s: %s\n", s->log, strerror(errno));
		return -1;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0) {
		close(fd);
		s->pid = 0;
		return -1;
	}
	if (s->pid == 0) {
		char portbuf[16];
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		snprintf(portbuf, sizeof(portbuf), "%d", s->port);
		setenv("LOCKSTEP_PORT", portbuf, 1);
		setenv("LOCKSTEP_LISTEN_ADDRESS", "127.0.0.1", 1);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			putenv(strdup(env[i]));
		if (run_as != NULL && geteuid() == 0) {
			struct passwd *pw = getpwnam(run_as);

			if (pw == NULL || initgroups(run_as, pw->pw_gid) != 0 ||
			    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
				fprintf(stderr, "harness: cannot become %s\n", run_as);
				_exit(126);
			}
		}
		/* a test that fails half-way must not leave its server behind (set
		 * after setuid, which would clear it) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(exe, exe, "serve", (char *)NULL);
		fprintf(stderr, "harness: exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(fd);
	for (int i = 0; i < 150; i++) {
		if (ht_server_healthy(s->base))
			return 0;
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			fprintf(stderr, "harness: lockstepd on port %d exited before serving\n",
			        s->port);
			ht_print_tail(s->log);
			return -1;
		}
		usleep(100000);
	}
	fprintf(stderr, "harness: lockstepd on port %d did not answer /healthz within 15 s\n",
	        s->port);
	ht_print_tail(s->log);
	ht_server_stop(s, SIGKILL);
	return -1;
}

int
ht_server_wait(struct ht_server *s, int secs)
{
	int st;

	if (s->pid <= 0)
		return -1;
	for (int i = 0; i < secs * 20; i++) {
		pid_t p = waitpid(s->pid, &st, WNOHANG);

		if (p == s->pid || (p < 0 && errno != EINTR)) {
			s->pid = 0;
			return p < 0 ? -1 : st;
		}
		usleep(50000);
	}
	return -1;
}

int
ht_server_stop(struct ht_server *s, int sig)
{
	int st = -1;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, sig);
	if (sig != SIGKILL && (st = ht_server_wait(s, 60)) != -1)
		return st;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
			;
		s->pid = 0;
	}
	return st;
}

void
ht_server_free(struct ht_server *s)
{
	if (s->pid > 0)
		ht_server_stop(s, SIGKILL);
	free(s->log);
	s->log = NULL;
}

/* ---------------------------------------------------------------- world */

void
ht_actor_free(struct ht_actor *a)
{
	free(a->email);
	free(a->password);
	free(a->user_id);
	free(a->token);
	memset(a, 0, sizeof(*a));
}

/* Record "what → status: body" in err; returns -1. */
static int
ht_fail(char *err, size_t errlen, const struct ht_resp *r, const char *why)
{
	snprintf(err, errlen, "%s: %s → %ld: %.3000s", why, r->what, r->status, r->body);
	return -1;
}

int
ht_make_user(const char *token, const char *org_id, const char *role, struct ht_actor *a, char *err,
             size_t errlen)
{
	char *path = ht_fmt("/api/v1/orgs/%s/invitations", org_id);
	char *name = ht_unique("u");
	unsigned char rnd[12];
	char pw[64];
	char *body, *accept = NULL;
	struct ht_resp *r, *r2 = NULL;
	size_t i;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	ht_random_bytes(rnd, sizeof(rnd));
	snprintf(pw, sizeof(pw), "Pw-");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(pw + strlen(pw), sizeof(pw) - strlen(pw), "%02x", rnd[i]);
	a->email = ht_fmt("%s@example.test", name);
	a->password = ht_xstrdup(pw);
	/* people join by invitation (POST .../invitations, then the link) */
	body = ht_jdump(
	    json_pack("{s:s, s:s, s:s}", "email", a->email, "name", "Test User", "role", role));
	r = ht_request("POST", path, token, body);
	if (r->status != 201 || ht_jstr(r, "token") == NULL) {
		ht_fail(err, errlen, r, "invite user");
		goto done;
	}
	accept = ht_jdump(
	    json_pack("{s:s, s:s}", "token", ht_jstr(r, "token"), "password", a->password));
	r2 = ht_request("POST", "/api/v1/account/accept", NULL, accept);
	if (r2->status != 200) {
		ht_fail(err, errlen, r2, "accept invitation");
		goto done;
	}
	a->token = ht_login(a->email, a->password);
	if (a->token != NULL) {
		struct ht_resp *me = ht_request("GET", "/api/v1/me", a->token, NULL);
		const json_t *u = json_object_get(me->json, "user");

		if (me->status == 200 && ht_ostr(u, "id") != NULL)
			a->user_id = ht_xstrdup(ht_ostr(u, "id"));
		ht_resp_free(me);
	}
	if (a->user_id == NULL) {
		free(a->token);
		a->token = NULL;
	}
	if (a->token == NULL) {
		snprintf(err, errlen, "log-in as new user %s failed (see stderr)", a->email);
		goto done;
	}
	ret = 0;
done:
	ht_resp_free(r);
	ht_resp_free(r2);
	free(accept);
	free(body);
	free(name);
	free(path);
	return ret;
}

int
ht_make_tenant(const char *coord_token, const char *kind, const char *label, struct ht_tenant *t,
               char *err, size_t errlen)
{
	char *u = ht_unique("t");
	char *alias = ht_fmt("%s alias %s", label, u);
	char *body;
	struct ht_resp *r;
	int ret = -1;

	memset(t, 0, sizeof(*t));
	t->org_name = ht_fmt("%s %s", label, u);
	body = ht_jdump(
	    json_pack("{s:s, s:s, s:[s]}", "name", t->org_name, "kind", kind, "aliases", alias));
	r = ht_request("POST", "/api/v1/orgs", coord_token, body);
	if (r->status != 201 || ht_jstr(r, "id") == NULL) {
		ht_fail(err, errlen, r, "create org");
		goto done;
	}
	t->org_id = ht_xstrdup(ht_jstr(r, "id"));
	if (ht_make_user(coord_token, t->org_id, "admin", &t->admin, err, errlen) != 0)
		goto done;
	ret = 0;
done:
	ht_resp_free(r);
	free(body);
	free(alias);
	free(u);
	return ret;
}

/* POST/PUT/PATCH body to path as token, expect one of two statuses; *id gets "id" if asked. */
static int
ht_world_call(struct ht_world *w, const char *method, const char *path, const char *token,
              char *body, long want1, long want2, char **id, const char *why)
{
	struct ht_resp *r = ht_request(method, path, token, body);
	int ret = -1;

	if (r->status != want1 && r->status != want2) {
		ht_fail(w->err, sizeof(w->err), r, why);
		goto done;
	}
	if (id != NULL) {
		if (ht_jstr(r, "id") == NULL) {
			ht_fail(w->err, sizeof(w->err), r, why);
			goto done;
		}
		*id = ht_xstrdup(ht_jstr(r, "id"));
	}
	ret = 0;
done:
	ht_resp_free(r);
	free(body);
	return ret;
}

static int
ht_world_campaign(struct ht_world *w, const char *label, char **id, char **slug)
{
	char *rel = ht_future_time(60);
	char *title = ht_fmt("%s %s", label, w->tag);
	char *path = NULL;
	int ret = -1;

	*slug = ht_unique("c");
	if (ht_world_call(w, "POST", "/api/v1/campaigns", w->coord.token,
	                  ht_jdump(json_pack("{s:s, s:s, s:[s,s], s:s, s:s}", "title", title,
	                                     "slug", *slug, "threat_models", "WEIGHTS-EXFIL",
	                                     "IP-THEFT", "release_at", rel, "disclosure", "named")),
	                  201, 201, id, "create campaign") != 0)
		goto done;
	path = ht_fmt("/api/v1/campaigns/%s", *id);
	if (ht_world_call(w, "PATCH", path, w->coord.token,
	                  ht_jdump(json_pack("{s:s}", "state", "active")), 200, 200, NULL,
	                  "activate campaign") != 0)
		goto done;
	ret = 0;
done:
	free(path);
	free(title);
	free(rel);
	return ret;
}

static int
ht_world_engagement(struct ht_world *w, const char *campaign, const struct ht_tenant *co,
                    const struct ht_tenant *as, const char *scope, char **id)
{
	char *path = ht_fmt("/api/v1/campaigns/%s/engagements", campaign);
	char *lead = ht_fmt("Lead of %s", as->org_name);
	int ret;

	ret = ht_world_call(
	    w, "POST", path, w->coord.token,
	    ht_jdump(json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", co->org_id, "assessor_org",
	                       as->org_id, "scope", scope, "lead_assessors", lead)),
	    201, 201, id, "create engagement");
	/* the world's engagements are in fieldwork, where findings and evidence go */
	if (ret == 0 && ht_stage(as->admin.token, *id, "fieldwork") != 200)
		ret = -1;
	free(lead);
	free(path);
	return ret;
}

/* As the assessor: a finding, a claim; as the company: a statement. */
static int
ht_world_content(struct ht_world *w, const char *eng, const struct ht_tenant *co,
                 const struct ht_tenant *as, const char *mark, const char *pub, char **finding)
{
	char *p1 = ht_fmt("/api/v1/engagements/%s/findings", eng);
	char *p2 = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", eng);
	char *p3 = ht_fmt("/api/v1/engagements/%s/statement", eng);
	char *title = ht_fmt("Title %s: weights bucket readable", mark);
	char *detail = ht_fmt("Detail %s: the bucket grants read access to all staff.", mark);
	char *summary = ht_fmt("Claim %s: robust up to OC3", pub);
	char *text = ht_fmt("Statement %s: we fixed it", pub);
	int ret = -1;

	if (ht_world_call(
	        w, "POST", p1, as->admin.token,
	        ht_jdump(json_pack("{s:s, s:s, s:s, s:s}", "threat_model", "WEIGHTS-EXFIL", "title",
	                           title, "detail", detail, "severity", "high")),
	        201, 201, finding, "create finding") != 0)
		goto done;
	if (ht_world_call(w, "PUT", p2, as->admin.token,
	                  ht_jdump(json_pack("{s:s, s:s}", "level", "OC3", "summary", summary)),
	                  200, 201, NULL, "put claim") != 0)
		goto done;
	if (ht_world_call(w, "PUT", p3, co->admin.token, ht_jdump(json_pack("{s:s}", "text", text)),
	                  200, 201, NULL, "put statement") != 0)
		goto done;
	ret = 0;
done:
	free(text);
	free(summary);
	free(detail);
	free(title);
	free(p3);
	free(p2);
	free(p1);
	return ret;
}

int
ht_world_build(struct ht_world *w)
{
	const char *email = ht_env("LOCKSTEP_TEST_ADMIN_EMAIL");
	const char *pw = ht_env("LOCKSTEP_TEST_ADMIN_PASSWORD");
	struct ht_resp *r = NULL;
	json_t *u, *o;
	int ret = -1;

	memset(w, 0, sizeof(*w));
	if (email == NULL || pw == NULL) {
		snprintf(w->err, sizeof(w->err),
		         "LOCKSTEP_TEST_ADMIN_EMAIL and LOCKSTEP_TEST_ADMIN_PASSWORD must be set");
		return -1;
	}
	w->tag = ht_unique("w");
	w->mark_a = ht_fmt("MARKER-A-%s", w->tag);
	w->mark_b = ht_fmt("MARKER-B-%s", w->tag);
	w->pub_a = ht_fmt("PUBMARK-A-%s", w->tag);
	w->pub_b = ht_fmt("PUBMARK-B-%s", w->tag);
	w->scope_a = ht_fmt("Scope %s: training cluster and weight storage", w->mark_a);
	w->scope_b = ht_fmt("Scope %s: inference fleet", w->mark_b);

	w->coord.email = ht_xstrdup(email);
	w->coord.password = ht_xstrdup(pw);
	w->coord.token = ht_login(email, pw);
	if (w->coord.token == NULL) {
		snprintf(w->err, sizeof(w->err), "coordinator log-in as %s failed (see stderr)",
		         email);
		goto done;
	}
	r = ht_request("GET", "/api/v1/me", w->coord.token, NULL);
	u = r->json ? json_object_get(r->json, "user") : NULL;
	o = r->json ? json_object_get(r->json, "org") : NULL;
	if (r->status != 200 || ht_ostr(u, "id") == NULL || ht_ostr(o, "id") == NULL) {
		ht_fail(w->err, sizeof(w->err), r, "coordinator /me");
		goto done;
	}
	w->coord.user_id = ht_xstrdup(ht_ostr(u, "id"));
	w->coord_org_id = ht_xstrdup(ht_ostr(o, "id"));

	if (ht_make_tenant(w->coord.token, "company", "Company A", &w->a, w->err, sizeof(w->err)) ||
	    ht_make_tenant(w->coord.token, "company", "Company B", &w->b, w->err, sizeof(w->err)) ||
	    ht_make_tenant(w->coord.token, "assessor", "Assessor X", &w->x, w->err,
	                   sizeof(w->err)) ||
	    ht_make_tenant(w->coord.token, "assessor", "Assessor Y", &w->y, w->err, sizeof(w->err)))
		goto done;
	if (ht_world_campaign(w, "Campaign one", &w->campaign_id, &w->campaign_slug) ||
	    ht_world_campaign(w, "Campaign two", &w->campaign2_id, &w->campaign2_slug))
		goto done;
	if (ht_world_engagement(w, w->campaign_id, &w->a, &w->x, w->scope_a, &w->eng_ax) ||
	    ht_world_engagement(w, w->campaign_id, &w->b, &w->y, w->scope_b, &w->eng_by) ||
	    ht_world_engagement(w, w->campaign2_id, &w->a, &w->x, w->scope_a, &w->eng_ax2))
		goto done;
	if (ht_world_content(w, w->eng_ax, &w->a, &w->x, w->mark_a, w->pub_a, &w->finding_a) ||
	    ht_world_content(w, w->eng_by, &w->b, &w->y, w->mark_b, w->pub_b, &w->finding_b))
		goto done;
	ret = 0;
done:
	ht_resp_free(r);
	return ret;
}

static void
ht_tenant_free(struct ht_tenant *t)
{
	free(t->org_id);
	free(t->org_name);
	ht_actor_free(&t->admin);
}

void
ht_world_free(struct ht_world *w)
{
	free(w->tag);
	ht_actor_free(&w->coord);
	free(w->coord_org_id);
	ht_tenant_free(&w->a);
	ht_tenant_free(&w->b);
	ht_tenant_free(&w->x);
	ht_tenant_free(&w->y);
	free(w->campaign_id);
	free(w->campaign_slug);
	free(w->campaign2_id);
	free(w->campaign2_slug);
	free(w->eng_ax);
	free(w->eng_by);
	free(w->eng_ax2);
	free(w->finding_a);
	free(w->finding_b);
	free(w->mark_a);
	free(w->mark_b);
	free(w->pub_a);
	free(w->pub_b);
	free(w->scope_a);
	free(w->scope_b);
	memset(w, 0, sizeof(*w));
}

int
ht_main_world(struct ht_world *w, Suite *(*suite)(void))
{
	int rc;

	ht_init_or_skip();
	ht_clear_login_failures();
	if (ht_world_build(w) != 0) {
		fprintf(stderr, "building the test world failed: %s\n", w->err);
		return 1;
	}
	rc = ht_run_suite(suite());
	ht_world_free(w);
	return rc;
}

long
ht_stage(const char *token, const char *engagement, const char *stage)
{
	char *path = ht_fmt("/api/v1/engagements/%s/stage", engagement);
	char *body = ht_jdump(json_pack("{s:s}", "stage", stage));
	struct ht_resp *r = ht_request("POST", path, token, body);
	long st = r->status;

	free(body);
	if (st != 200)
		fprintf(stderr, "stage %s of %s: %ld %.*s\n", stage, engagement, st, 300,
		        r->body ? r->body : "");
	ht_resp_free(r);
	free(path);
	return st;
}

/* ------------------------------------------------------------------ smtp */

/* One line from fd into buf (and into x->got); 0, or -1 on silence/close. */
static int
smtp_line(int fd, char *buf, size_t cap, struct ht_smtp *x)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;

		if (poll(&p, 1, 20000) <= 0 || read(fd, &c, 1) != 1)
			return -1;
		buf[n++] = c;
		pthread_mutex_lock(&x->mu);
		if (x->len + 1 < sizeof(x->got))
			x->got[x->len++] = c;
		pthread_mutex_unlock(&x->mu);
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	return 0;
}

static void
smtp_session(struct ht_smtp *x, int fd)
{
	char line[2048];
	int data = 0;

	(void)!write(fd, "220 rx ESMTP\r\n", 14);
	while (smtp_line(fd, line, sizeof(line), x) == 0) {
		const char *reply = "250 ok\r\n";

		if (data) {
			if (strcmp(line, ".\r\n") != 0)
				continue;
			data = 0;
			pthread_mutex_lock(&x->mu);
			x->messages++;
			pthread_mutex_unlock(&x->mu);
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			data = 1;
			reply = "354 go on\r\n";
		} else if (strncasecmp(line, "RCPT", 4) == 0 && x->fail_rcpt > 0) {
			x->fail_rcpt--;
			reply = "451 try again later\r\n";
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			(void)!write(fd, "221 bye\r\n", 9);
			break;
		}
		(void)!write(fd, reply, strlen(reply));
	}
	close(fd);
}

static void *
smtp_main(void *arg)
{
	struct ht_smtp *x = arg;
	int conns = 0, idle_ms = 0;

	while (conns < x->max_conns && idle_ms < 30000) {
		struct pollfd p = {.fd = x->listen_fd, .events = POLLIN};
		int fd, stop;

		pthread_mutex_lock(&x->mu);
		stop = x->stop;
		pthread_mutex_unlock(&x->mu);
		if (stop)
			break;
		if (poll(&p, 1, 200) <= 0) {
			idle_ms += 200;
			continue;
		}
		if ((fd = accept(x->listen_fd, NULL, NULL)) < 0)
			continue;
		idle_ms = 0;
		conns++;
		smtp_session(x, fd);
	}
	pthread_mutex_lock(&x->mu);
	x->got[x->len] = '\0';
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

int
ht_smtp_start(struct ht_smtp *x, int max_conns, int fail_rcpt)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(x, 0, sizeof(*x));
	x->max_conns = max_conns;
	x->fail_rcpt = fail_rcpt;
	pthread_mutex_init(&x->mu, NULL);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if ((x->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(x->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(x->listen_fd, 8) != 0 ||
	    getsockname(x->listen_fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	x->port = ntohs(sa.sin_port);
	return pthread_create(&x->thread, NULL, smtp_main, x);
}

int
ht_smtp_wait(struct ht_smtp *x, int n, int secs)
{
	int got = 0;

	for (int i = 0; i <= secs * 10; i++) {
		pthread_mutex_lock(&x->mu);
		got = x->messages;
		pthread_mutex_unlock(&x->mu);
		if (got >= n)
			break;
		usleep(100000);
	}
	return got;
}

char *
ht_smtp_text(struct ht_smtp *x)
{
	char *s;

	pthread_mutex_lock(&x->mu);
	s = malloc(x->len + 1);
	if (s != NULL) {
		memcpy(s, x->got, x->len);
		s[x->len] = '\0';
	}
	pthread_mutex_unlock(&x->mu);
	return s;
}

void
ht_smtp_stop(struct ht_smtp *x)
{
	pthread_mutex_lock(&x->mu);
	x->stop = 1;
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->thread, NULL);
	close(x->listen_fd);
	pthread_mutex_destroy(&x->mu);
}

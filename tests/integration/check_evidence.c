/*
 * check_evidence: evidence end to end against a running lockstepd —
 * streamed round trips of 0 B to 100 MiB, signed receipts, tampered,
 * swapped and truncated chunks, client disconnects, kill -9 of a
 * lockstepd mid-upload, resumable (tus) uploads across a dropped
 * connection, Range downloads, tenancy, "Expect: 100-continue" refusals,
 * every limit, deletion, and a pg_dump without any uploaded marker.
 *
 * The tests that need their own lockstepd (kill -9, small limits) start
 * one from LOCKSTEP_TEST_LOCKSTEPD on a free port, with the LOCKSTEP_*
 * environment of the test run (as LOCKSTEP_TEST_RUN_AS when set), through
 * the harness (ht_server_start), which keeps its log; without it they are
 * skipped (ht_skip), never passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "publish/publish.h"
#include "util/util.h"

#define MIB (1024ULL * 1024ULL)

static struct ht_world W;
static char *Tag;

/* --------------------------------------------------------- file content */

/*
 * Deterministic content with random access: every 1 MiB block starts with
 * the file's marker, the rest is splitmix64 output of the seed and the
 * word index.
 */
struct ev_src {
	uint64_t seed;
	char marker[96];
	size_t mlen;
};

static uint64_t
ev_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
ev_fill(const struct ev_src *s, unsigned long long pos, unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long p = pos + i;
		size_t inblock = (size_t)(p % MIB);

		if (inblock < s->mlen)
			buf[i] = (unsigned char)s->marker[inblock];
		else
			buf[i] = (unsigned char)(ev_mix(s->seed ^ (p >> 3)) >> ((p & 7) * 8));
	}
}

static void
ev_src_init(struct ev_src *s, const char *what)
{
	static unsigned counter;

	s->seed = ev_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20) ^ ++counter);
	snprintf(s->marker, sizeof(s->marker), "EVMARK-%s-%s-%u", Tag, what, counter);
	s->mlen = strlen(s->marker);
}

static void
ev_sha(const struct ev_src *s, unsigned long long size, char hex[65])
{
	struct crypto_sha256_stream *h = crypto_sha256_stream_new();
	unsigned char *buf = malloc(MIB), d[32];

	ck_assert(h != NULL && buf != NULL);
	for (unsigned long long p = 0; p < size; p += MIB) {
		size_t n = size - p < MIB ? (size_t)(size - p) : (size_t)MIB;

		ev_fill(s, p, buf, n);
		crypto_sha256_stream_update(h, buf, n);
	}
	crypto_sha256_stream_final(h, d);
	util_hex_encode(d, sizeof(d), hex);
	crypto_sha256_stream_free(h);
	free(buf);
}

/* ------------------------------------------------------------ HTTP (curl) */

struct ev_up {
	const struct ev_src *src;
	unsigned long long size, pos;
};

static size_t
ev_read_cb(char *buf, size_t size, size_t nmemb, void *cls)
{
	struct ev_up *u = cls;
	size_t n = size * nmemb;

	if (u->size - u->pos < n)
		n = (size_t)(u->size - u->pos);
	ev_fill(u->src, u->pos, (unsigned char *)buf, n);
	u->pos += n;
	return n;
}

struct ev_sink {
	char *text; /* small bodies (JSON), NUL-terminated */
	size_t len, cap;
	const struct ev_src *expect; /* download: compare with this content */
	unsigned long long start;    /* ... from this offset */
	unsigned long long got;
	unsigned long long mismatch; /* bytes that differ */
	struct crypto_sha256_stream *sha;
	char *headers;
	size_t hlen, hcap;
};

static void
ev_grow(char **p, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*p = realloc(*p, *cap);
		ck_assert(*p != NULL);
	}
	memcpy(*p + *len, data, n);
	*len += n;
	(*p)[*len] = '\0';
}

static size_t
ev_write_cb(char *data, size_t size, size_t nmemb, void *cls)
{
	struct ev_sink *s = cls;
	size_t n = size * nmemb;

	if (s->expect != NULL) {
		unsigned char *want = malloc(n ? n : 1);

		ev_fill(s->expect, s->start + s->got, want, n);
		for (size_t i = 0; i < n; i++)
			s->mismatch += want[i] != (unsigned char)data[i];
		free(want);
		if (s->sha != NULL)
			crypto_sha256_stream_update(s->sha, data, n);
	} else if (s->len < 65536)
		ev_grow(&s->text, &s->len, &s->cap, data, n);
	s->got += n;
	return n;
}

static size_t
ev_header_cb(char *data, size_t size, size_t nmemb, void *cls)
{
	struct ev_sink *s = cls;

	ev_grow(&s->headers, &s->hlen, &s->hcap, data, size * nmemb);
	return size * nmemb;
}

struct ev_res {
	long status;
	CURLcode cc;
	json_t *json;
	char *body;
	char *headers;
	unsigned long long got, mismatch;
	char sha[65];
};

static void
ev_res_free(struct ev_res *r)
{
	json_decref(r->json);
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

/* Header value from raw header text (last response), malloc'd or NULL. */
static char *
ev_hdr(const char *headers, const char *name)
{
	const char *p = headers, *last = NULL;
	size_t n = strlen(name);

	if (headers == NULL)
		return NULL;
	/* the final response's headers: after the last status line */
	for (const char *q = headers; (q = strstr(q, "HTTP/")) != NULL; q++)
		if (q == headers || q[-1] == '\n')
			last = q;
	if (last != NULL)
		p = last;
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = v + strcspn(v, "\r\n");
			return ht_fmt("%.*s", (int)(e - v), v);
		}
	}
	return NULL;
}

/*
 * One request to base+path. up: body generator (NULL: body/body_len, or
 * none); size < 0 with up: chunked. down: compare the body with this
 * content from offset start. headers: NULL-terminated lines.
 */
static void
ev_http(struct ev_res *out, const char *base, const char *method, const char *path,
        const char *token, const struct ev_src *up, long long size, const char *body,
        size_t body_len, const struct ev_src *down, unsigned long long start,
        const char *const *headers)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct ev_up u = {.src = up, .size = size < 0 ? 0 : (unsigned long long)size};
	struct ev_sink s = {.expect = down, .start = start};
	char *url = ht_fmt("%s%s", base, path), *auth = NULL;
	unsigned char d[32];

	memset(out, 0, sizeof(*out));
	ck_assert(c != NULL);
	if (down != NULL)
		s.sha = crypto_sha256_stream_new();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (token != NULL) {
		auth = ht_fmt("Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, auth);
	}
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	if (up != NULL) {
		if (size < 0) {
			u.size = (unsigned long long)(-size);
			hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		}
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, ev_read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, &u);
		if (size >= 0)
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	} else if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ev_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ev_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	out->cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->got = s.got;
	out->mismatch = s.mismatch;
	if (s.sha != NULL) {
		crypto_sha256_stream_final(s.sha, d);
		util_hex_encode(d, sizeof(d), out->sha);
		crypto_sha256_stream_free(s.sha);
	}
	out->body = s.text ? s.text : strdup("");
	out->headers = s.headers ? s.headers : strdup("");
	out->json = json_loads(out->body, 0, NULL);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	free(url);
	free(auth);
}

static const char *
ev_base(void)
{
	return ht_env_req("LOCKSTEP_TEST_URL");
}

static int
ev_is_problem(const struct ev_res *r, long status, const char *slug)
{
	const char *type = json_string_value(json_object_get(r->json, "type"));
	char *want = ht_fmt(HT_PROBLEM_PREFIX "%s", slug);
	int ok = r->status == status && type != NULL && strcmp(type, want) == 0;

	free(want);
	return ok;
}

#define EV_ASSERT_PROBLEM(r, st, slug)                                                             \
	ck_assert_msg(ev_is_problem((r), (st), (slug)), "expected %d %s, got %ld: %.500s",         \
	              (int)(st), (slug), (r)->status, (r)->body)

/* Upload size bytes of src as token to eng (base), expect 201; returns the evidence id (malloc'd).
 */
static char *
ev_upload_ok(const char *base, const char *token, const char *eng, const char *name,
             const struct ev_src *src, unsigned long long size, json_t **receipt_doc)
{
	struct ev_res r;
	char *path = ht_fmt("/api/v1/engagements/%s/evidence?name=%s", eng, name);
	const char *h[] = {"Content-Type: application/octet-stream", NULL};
	char sha[65];
	json_t *rec;
	char *id;

	ev_http(&r, base, "POST", path, token, src, (long long)size, NULL, 0, NULL, 0, h);
	ck_assert_msg(r.status == 201, "upload %s (%llu bytes): %ld %s (curl %d)", name, size,
	              r.status, r.body, (int)r.cc);
	rec = json_object_get(r.json, "receipt");
	ck_assert_msg(rec != NULL, "no receipt: %s", r.body);
	ev_sha(src, size, sha);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "sha256")), sha);
	ck_assert_int_eq(json_integer_value(json_object_get(rec, "size")), (json_int_t)size);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "name")), name);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "engagement")), eng);
	id = strdup(json_string_value(json_object_get(rec, "id")));
	if (receipt_doc != NULL)
		*receipt_doc = json_incref(r.json);
	ev_res_free(&r);
	free(path);
	return id;
}

/* Download id as token and check every byte against src. */
static void
ev_download_ok(const char *token, const char *id, const struct ev_src *src, unsigned long long size)
{
	struct ev_res r;
	char *path = ht_fmt("/api/v1/evidence/%s", id);
	char sha[65];

	ev_http(&r, ev_base(), "GET", path, token, NULL, 0, NULL, 0, src, 0, NULL);
	ck_assert_msg(r.status == 200 && r.cc == CURLE_OK, "download %s: %ld curl %d", id, r.status,
	              (int)r.cc);
	ck_assert_msg(r.got == size, "download %s: %llu bytes, want %llu", id, r.got, size);
	ck_assert_msg(r.mismatch == 0, "download %s: %llu bytes differ", id, r.mismatch);
	ev_sha(src, size, sha);
	ck_assert_str_eq(r.sha, sha);
	ev_res_free(&r);
	free(path);
}

static long long
ev_owner_count(const char *fmt, const char *arg)
{
	char *lit = ht_sql_literal(arg);
	const char *at = strstr(fmt, "%s");
	char *sql = ht_fmt("%.*s%s%s", (int)(at - fmt), fmt, lit, at + 2);
	long long n = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql);

	free(sql);
	free(lit);
	return n;
}

static void
ev_owner_exec(const char *sql)
{
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char state[6];

	ck_assert(c != NULL);
	ck_assert_msg(ht_db_exec(c, sql, state) == 0, "%s failed: %s", sql, state);
	PQfinish(c);
}

/* --------------------------------------------------------- raw sockets */

static int
ev_connect(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = {20, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
	              strerror(errno));
	return fd;
}

static void
ev_send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		ck_assert_msg(k > 0, "send: %s", strerror(errno));
		p += k;
		n -= (size_t)k;
	}
}

/* Send bytes [from, to) of src. */
static void
ev_send_src(int fd, const struct ev_src *src, unsigned long long from, unsigned long long to)
{
	unsigned char *buf = malloc(256 * 1024);

	for (unsigned long long p = from; p < to;) {
		size_t n = to - p < 256 * 1024 ? (size_t)(to - p) : 256 * 1024;

		ev_fill(src, p, buf, n);
		ev_send_all(fd, buf, n);
		p += n;
	}
	free(buf);
}

static int
ev_port_of(const char *base)
{
	const char *colon = strrchr(base, ':');

	return colon ? atoi(colon + 1) : 80;
}

/* Wait until the owner DSN's count for sql(arg) equals want (up to secs). Returns the last count.
 */
static long long
ev_wait_count(const char *fmt, const char *arg, long long want, int secs)
{
	long long n = -1;

	for (int i = 0; i < secs * 10; i++) {
		if ((n = ev_owner_count(fmt, arg)) == want)
			break;
		usleep(100000);
	}
	return n;
}

/* ================================================================ tests */

START_TEST(test_roundtrip_sizes)
{
	static const unsigned long long sizes[] = {0, 1, MIB, MIB + 1, 2 * MIB + 17, 100 * MIB};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ev_src src;
		char *name = ht_fmt("round-%zu.bin", i), *id;

		ev_src_init(&src, "round");
		id = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, name, &src, sizes[i], NULL);
		/* the assessor downloads what the company uploaded, byte for byte */
		ev_download_ok(W.x.admin.token, id, &src, sizes[i]);
		ck_assert_int_eq(
		    ev_owner_count("SELECT chunk_count FROM evidence WHERE id = %s", id),
		    sizes[i] == 0 ? 1 : (long long)((sizes[i] + MIB - 1) / MIB));
		free(id);
		free(name);
	}
}
END_TEST

START_TEST(test_receipt_signature)
{
	struct ev_src src;
	json_t *doc = NULL, *rec;
	struct ht_resp *k, *g;
	unsigned char pub[32], sig[64];
	char *canon, *path, *id;
	size_t clen;

	ev_src_init(&src, "receipt");
	id = ev_upload_ok(ev_base(), W.x.admin.token, W.eng_ax, "receipt.pcap", &src, 4096, &doc);
	k = ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);
	HT_ASSERT_STATUS(k, 200);
	ck_assert_int_eq(util_b64url_decode(json_string_value(json_object_get(
	                                        json_object_get(k->json, "jwk"), "x")),
	                                    pub, sizeof(pub)),
	                 32);
	rec = json_object_get(doc, "receipt");
	canon = publish_canonical(rec, &clen);
	ck_assert(canon != NULL);
	ck_assert_int_eq(
	    util_b64_decode(json_string_value(json_object_get(doc, "signature")), sig, sizeof(sig)),
	    64);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "algorithm")), "Ed25519");
	ck_assert_msg(crypto_verify(pub, canon, clen, sig) == 1,
	              "receipt signature does not verify");
	/* a changed receipt does not verify */
	canon[clen / 2] ^= 1;
	ck_assert(crypto_verify(pub, canon, clen, sig) == 0);
	free(canon);
	/* GET .../receipt gives the same document, to both participants */
	path = ht_fmt("/api/v1/evidence/%s/receipt", id);
	g = ht_request("GET", path, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(g, 200);
	ck_assert_msg(json_equal(g->json, doc), "receipt differs: %s", g->body);
	ck_assert(json_object_get(json_object_get(g->json, "receipt"), "uploaded_by") != NULL);
	ck_assert(json_object_get(g->json, "key_id") != NULL);
	/* the receipt answer names its uploader beside the signed receipt */
	ck_assert_str_eq(json_string_value(json_object_get(g->json, "uploaded_by")),
	                 json_string_value(json_object_get(rec, "uploaded_by")));
	ck_assert_msg(json_is_string(json_object_get(g->json, "uploaded_by_name")),
	              "no uploaded_by_name: %s", g->body);
	ck_assert_msg(json_object_get(rec, "uploaded_by_name") == NULL,
	              "a name was added inside the signed receipt");
	ht_resp_free(g);
	{
		/* one key id scheme: the receipt's key_id is the RFC 7638
		 * thumbprint of the published JWK, its kid, and an entry of the
		 * key history */
		const json_t *jwk = json_object_get(k->json, "jwk");
		const char *kid = json_string_value(json_object_get(doc, "key_id"));
		char *members = ht_fmt("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}",
		                       json_string_value(json_object_get(jwk, "x")));
		unsigned char md[32];
		char thumb[64];
		struct ht_resp *ks;
		const json_t *e;
		size_t i;
		int found = 0;

		ck_assert_ptr_nonnull(kid);
		ck_assert_int_eq(crypto_sha256(members, strlen(members), md), 0);
		util_b64url_encode(md, sizeof(md), thumb);
		ck_assert_str_eq(kid, thumb);
		ck_assert_str_eq(json_string_value(json_object_get(jwk, "kid")), kid);
		ck_assert_str_eq(json_string_value(json_object_get(k->json, "key_id")), kid);
		ks = ht_request("GET", "/.well-known/lockstep/signing-keys", NULL, NULL);
		HT_ASSERT_STATUS(ks, 200);
		json_array_foreach(json_object_get(ks->json, "keys"), i, e)
		{
			const char *x =
			    json_string_value(json_object_get(json_object_get(e, "jwk"), "x"));

			if (strcmp(json_string_value(json_object_get(e, "key_id")), kid) == 0 &&
			    strcmp(json_string_value(
			               json_object_get(json_object_get(e, "jwk"), "kid")),
			           kid) == 0 &&
			    x != NULL &&
			    strcmp(x, json_string_value(json_object_get(jwk, "x"))) == 0)
				found = 1;
		}
		ck_assert_msg(found, "the receipt's key id %s is not in the key set: %s", kid,
		              ks->body);
		ht_resp_free(ks);
		free(members);
	}
	ht_resp_free(k);
	json_decref(doc);
	free(path);
	free(id);
}
END_TEST

/* Download id, expect an aborted transfer after exactly want_bytes correct bytes. */
static void
ev_download_aborts(const char *id, const struct ev_src *src, unsigned long long want_bytes)
{
	struct ev_res r;
	char *path = ht_fmt("/api/v1/evidence/%s", id);

	ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, src, 0, NULL);
	ck_assert_msg(r.cc != CURLE_OK,
	              "a bad chunk must abort the transfer (status %ld, %llu bytes)", r.status,
	              r.got);
	ck_assert_msg(r.got == want_bytes, "%llu bytes arrived before the abort, want %llu", r.got,
	              want_bytes);
	ck_assert_msg(r.mismatch == 0, "bytes before the bad chunk differ");
	ev_res_free(&r);
	free(path);
}

START_TEST(test_tamper_chunk)
{
	struct ev_src src;
	char *id, *sql;

	ev_src_init(&src, "tamper");
	id = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "tamper.bin", &src, 3 * MIB, NULL);
	sql = ht_fmt(
	    "UPDATE evidence_chunks SET data = overlay(data PLACING '\\xff'::bytea FROM 5000)"
	    " WHERE evidence_id = '%s' AND seq = 1",
	    id);
	ev_owner_exec(sql);
	ev_download_aborts(id, &src, MIB);
	ck_assert_int_ge(ev_owner_count("SELECT count(*) FROM audit_events WHERE action ="
	                                " 'evidence.integrity_failure' AND object_id = %s",
	                                id),
	                 1);
	/* a range inside the good first chunk still works */
	{
		struct ev_res r;
		char *path = ht_fmt("/api/v1/evidence/%s", id);
		const char *h[] = {"Range: bytes=10-99", NULL};

		ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, &src, 10, h);
		ck_assert_int_eq(r.status, 206);
		ck_assert(r.got == 90 && r.mismatch == 0);
		ev_res_free(&r);
		free(path);
	}
	free(sql);
	free(id);
}
END_TEST

START_TEST(test_swap_truncate_move)
{
	struct ev_src src, src2;
	char *id, *id2, *sql;

	ev_src_init(&src, "swap");
	id = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "swap.bin", &src, 3 * MIB, NULL);
	/* swap chunks 0 and 1: refused from the first byte */
	sql = ht_fmt(
	    "UPDATE evidence_chunks c SET data = o.data FROM evidence_chunks o"
	    " WHERE c.evidence_id = '%s' AND o.evidence_id = c.evidence_id AND c.seq + o.seq = 1",
	    id);
	ev_owner_exec(sql);
	free(sql);
	ev_download_aborts(id, &src, 0);

	/* drop the last chunk and claim the file was shorter: the new last chunk says "more" */
	ev_src_init(&src2, "trunc");
	id2 = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "trunc.bin", &src2, 3 * MIB, NULL);
	sql = ht_fmt("DELETE FROM evidence_chunks WHERE evidence_id = '%s' AND seq = 2;"
	             " UPDATE evidence SET chunk_count = 2, size = %llu WHERE id = '%s'",
	             id2, 2 * MIB, id2);
	ev_owner_exec(sql);
	free(sql);
	ev_download_aborts(id2, &src2, MIB);
	free(id2);

	/* a chunk missing from the middle: the transfer stops before it, audited */
	ev_src_init(&src2, "hole");
	id2 = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "hole.bin", &src2, 3 * MIB, NULL);
	sql = ht_fmt("DELETE FROM evidence_chunks WHERE evidence_id = '%s' AND seq = 1", id2);
	ev_owner_exec(sql);
	free(sql);
	ev_download_aborts(id2, &src2, MIB);
	ck_assert_int_ge(ev_owner_count("SELECT count(*) FROM audit_events WHERE action ="
	                                " 'evidence.integrity_failure' AND object_id = %s",
	                                id2),
	                 1);
	free(id2);

	/* move a chunk of another file in: refused */
	ev_src_init(&src2, "move");
	id2 = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "move.bin", &src2, 2 * MIB, NULL);
	sql = ht_fmt(
	    "UPDATE evidence_chunks c SET data = o.data FROM evidence_chunks o"
	    " WHERE c.evidence_id = '%s' AND c.seq = 0 AND o.evidence_id = '%s' AND o.seq = 0",
	    id2, id);
	ev_owner_exec(sql);
	free(sql);
	ev_download_aborts(id2, &src2, 0);
	free(id2);
	free(id);
}
END_TEST

START_TEST(test_disconnect_midupload)
{
	struct ev_src src;
	char *name = ht_fmt("gone-%s.bin", Tag);
	char *req = ht_fmt("POST /api/v1/engagements/%s/evidence?name=%s HTTP/1.1\r\nHost: %s\r\n"
	                   "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
	                   "Content-Length: %llu\r\n\r\n",
	                   W.eng_ax, name, ht_hostport(), W.a.admin.token, 8 * MIB);
	int fd = ev_connect(ev_port_of(ev_base()));
	long long n;

	ev_src_init(&src, "gone");
	ev_send_all(fd, req, strlen(req));
	ev_send_src(fd, &src, 0, 3 * MIB + 5);
	/* the upload exists (in progress) before the client goes away */
	n = ev_wait_count("SELECT count(*) FROM evidence WHERE name = %s AND chunk_count >= 2",
	                  name, 1, 20);
	ck_assert_msg(n == 1, "the upload never got its chunks stored (%lld)", n);
	ck_assert_int_eq(ev_owner_count("SELECT count(*) FROM evidence WHERE name = %s"
	                                " AND state = 'complete'",
	                                name),
	                 0);
	close(fd);
	/* gone at once, chunks and all */
	n = ev_wait_count("SELECT count(*) FROM evidence WHERE name = %s", name, 0, 20);
	ck_assert_msg(n == 0, "the abandoned upload is still there");
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"),
	                             "SELECT count(*) FROM evidence_chunks c WHERE NOT EXISTS"
	                             " (SELECT 1 FROM evidence e WHERE e.id = c.evidence_id)"),
	                 0);
	{
		struct ev_res r;
		char *path = ht_fmt("/api/v1/engagements/%s/evidence?limit=200", W.eng_ax);

		ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0,
		        NULL);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg(strstr(r.body, name) == NULL, "the abandoned upload is listed");
		ev_res_free(&r);
		free(path);
	}
	free(req);
	free(name);
}
END_TEST

START_TEST(test_kill9_midupload)
{
	const char *env[] = {"LOCKSTEP_LOG_LEVEL=warn", "LOCKSTEP_EVIDENCE_STREAM_STALE=2",
	                     "LOCKSTEP_EVIDENCE_SWEEP_INTERVAL=1", NULL};
	struct ht_server s = {0};
	struct ev_src src;
	char *name = ht_fmt("killed-%s.bin", Tag), *req;
	int fd, port;
	long long n;

	ck_assert_msg(ht_server_start(&s, 0, env) == 0, "our lockstepd did not start");
	port = s.port;
	ev_src_init(&src, "killed");
	req = ht_fmt("POST /api/v1/engagements/%s/evidence?name=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	             "Authorization: Bearer %s\r\nContent-Length: %llu\r\n\r\n",
	             W.eng_ax, name, W.a.admin.token, 8 * MIB);
	fd = ev_connect(port);
	ev_send_all(fd, req, strlen(req));
	ev_send_src(fd, &src, 0, 3 * MIB + 5);
	n = ev_wait_count("SELECT count(*) FROM evidence WHERE name = %s AND chunk_count >= 2",
	                  name, 1, 20);
	ck_assert_msg(n == 1, "the upload never got its chunks stored");
	ht_server_stop(&s, SIGKILL);
	ht_server_free(&s);
	close(fd);
	/* nothing visible: not listed, no complete row */
	{
		struct ev_res r;
		char *path = ht_fmt("/api/v1/engagements/%s/evidence?limit=200", W.eng_ax);

		ev_http(&r, ev_base(), "GET", path, W.x.admin.token, NULL, 0, NULL, 0, NULL, 0,
		        NULL);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg(strstr(r.body, name) == NULL, "the killed upload is listed");
		ev_res_free(&r);
		free(path);
	}
	ck_assert_int_eq(ev_owner_count("SELECT count(*) FROM evidence WHERE name = %s"
	                                " AND state = 'complete'",
	                                name),
	                 0);
	/* restart: the leftover is swept (at start-up or by the periodic sweep) */
	sleep(2);
	ck_assert_msg(ht_server_start(&s, port, env) == 0, "our lockstepd did not restart");
	n = ev_wait_count("SELECT count(*) FROM evidence WHERE name = %s", name, 0, 20);
	ck_assert_msg(n == 0, "the killed upload was not swept after the restart");
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"),
	                             "SELECT count(*) FROM evidence_chunks c WHERE NOT EXISTS"
	                             " (SELECT 1 FROM evidence e WHERE e.id = c.evidence_id)"),
	                 0);
	ht_server_stop(&s, SIGTERM);
	ht_server_free(&s);
	free(req);
	free(name);
}
END_TEST

/* tus: create an upload of size bytes; returns its path (malloc'd). */
static char *
ev_tus_create(const char *base, const char *token, const char *eng, const char *name,
              unsigned long long size, long want_status, const char *want_slug)
{
	char b64[512], *meta, *len, *loc;
	const char *h[4];
	struct ev_res r;
	char *path = ht_fmt("/api/v1/engagements/%s/uploads", eng);

	util_b64_encode(name, strlen(name), b64);
	meta = ht_fmt("Upload-Metadata: filename %s", b64);
	len = ht_fmt("Upload-Length: %llu", size);
	h[0] = "Tus-Resumable: 1.0.0";
	h[1] = meta;
	h[2] = len;
	h[3] = NULL;
	ev_http(&r, base, "POST", path, token, NULL, 0, "", 0, NULL, 0, h);
	if (want_slug != NULL) {
		EV_ASSERT_PROBLEM(&r, want_status, want_slug);
		loc = NULL;
	} else {
		ck_assert_msg(r.status == 201, "tus create: %ld %s", r.status, r.body);
		loc = ev_hdr(r.headers, "Location");
		ck_assert(loc != NULL);
	}
	ev_res_free(&r);
	free(path);
	free(meta);
	free(len);
	return loc;
}

static long long
ev_tus_offset(const char *base, const char *token, const char *loc, long *status)
{
	struct ev_res r;
	const char *h[] = {"Tus-Resumable: 1.0.0", NULL};
	char *v;
	long long off = -1;

	ev_http(&r, base, "HEAD", loc, token, NULL, 0, NULL, 0, NULL, 0, h);
	*status = r.status;
	if ((v = ev_hdr(r.headers, "Upload-Offset")) != NULL)
		off = atoll(v);
	free(v);
	ev_res_free(&r);
	return off;
}

static void
ev_tus_patch(struct ev_res *r, const char *token, const char *loc, const struct ev_src *src,
             unsigned long long from, unsigned long long to, const char *ctype)
{
	char *off = ht_fmt("Upload-Offset: %llu", from);
	char *ct = ht_fmt("Content-Type: %s", ctype);
	const char *h[] = {"Tus-Resumable: 1.0.0", off, ct, NULL};
	size_t n = (size_t)(to - from);
	unsigned char *buf = malloc(n ? n : 1);

	/* bytes [from, to) of src (a few MiB at most) */
	ev_fill(src, from, buf, n);
	ev_http(r, ev_base(), "PATCH", loc, token, NULL, 0, (const char *)buf, n, NULL, 0, h);
	free(buf);
	free(off);
	free(ct);
}

START_TEST(test_resumable)
{
	struct ev_src src;
	unsigned long long size = 3 * MIB + 123, half = 1536 * 1024 + 7;
	char *name = ht_fmt("tus-%s.bin", Tag), *loc, *req, *id;
	struct ev_res r;
	long st;
	long long off = -1;
	int fd;

	ev_src_init(&src, "tus");
	/* discovery */
	{
		char *p = ht_fmt("/api/v1/engagements/%s/uploads", W.eng_ax), *v;

		ev_http(&r, ev_base(), "OPTIONS", p, NULL, NULL, 0, NULL, 0, NULL, 0, NULL);
		ck_assert_int_eq(r.status, 204);
		v = ev_hdr(r.headers, "Tus-Version");
		ck_assert(v != NULL && strcmp(v, "1.0.0") == 0);
		free(v);
		v = ev_hdr(r.headers, "Tus-Extension");
		ck_assert(v != NULL && strstr(v, "creation") != NULL);
		free(v);
		ev_res_free(&r);
		free(p);
	}
	loc = ev_tus_create(ev_base(), W.a.admin.token, W.eng_ax, name, size, 0, NULL);
	ck_assert_int_eq(ev_tus_offset(ev_base(), W.a.admin.token, loc, &st), 0);
	ck_assert_int_eq(st, 200);
	/* invisible to the other participant, and to other users' HEAD */
	ev_tus_offset(ev_base(), W.x.admin.token, loc, &st);
	ck_assert_int_eq(st, 404);
	/* a PATCH that drops its connection half way: what arrived is kept */
	req = ht_fmt("PATCH %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	             "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
	             "Upload-Offset: 0\r\nContent-Length: %llu\r\n\r\n",
	             loc, W.a.admin.token, size);
	fd = ev_connect(ev_port_of(ev_base()));
	ev_send_all(fd, req, strlen(req));
	ev_send_src(fd, &src, 0, half);
	usleep(300000);
	close(fd);
	for (int i = 0; i < 100; i++) {
		off = ev_tus_offset(ev_base(), W.a.admin.token, loc, &st);
		if (off == (long long)half)
			break;
		usleep(100000);
	}
	ck_assert_msg(off == (long long)half, "offset after the dropped PATCH: %lld, want %llu",
	              off, half);
	/* wrong offset, wrong type, no Tus-Resumable */
	ev_tus_patch(&r, W.a.admin.token, loc, &src, 0, 10, "application/offset+octet-stream");
	EV_ASSERT_PROBLEM(&r, 409, "offset-mismatch");
	ev_res_free(&r);
	ev_tus_patch(&r, W.a.admin.token, loc, &src, half, half + 10, "application/octet-stream");
	EV_ASSERT_PROBLEM(&r, 415, "unsupported-media-type");
	ev_res_free(&r);
	{
		const char *h[] = {"Content-Type: application/offset+octet-stream",
		                   "Upload-Offset: 0", NULL};

		ev_http(&r, ev_base(), "PATCH", loc, W.a.admin.token, NULL, 0, "x", 1, NULL, 0, h);
		EV_ASSERT_PROBLEM(&r, 412, "tus-version");
		ev_res_free(&r);
	}
	/* another user may not continue it */
	ev_tus_patch(&r, W.x.admin.token, loc, &src, half, size, "application/offset+octet-stream");
	ck_assert_int_eq(r.status, 404);
	ev_res_free(&r);
	/* the rest, in two PATCHes */
	ev_tus_patch(&r, W.a.admin.token, loc, &src, half, 2 * MIB + 3,
	             "application/offset+octet-stream");
	ck_assert_msg(r.status == 204, "patch: %ld %s", r.status, r.body);
	ev_res_free(&r);
	ev_tus_patch(&r, W.a.admin.token, loc, &src, 2 * MIB + 3, size,
	             "application/offset+octet-stream");
	ck_assert_msg(r.status == 204, "patch: %ld %s", r.status, r.body);
	{
		char *v = ev_hdr(r.headers, "Upload-Offset");

		ck_assert(v != NULL && strtoull(v, NULL, 10) == size);
		free(v);
	}
	ev_res_free(&r);
	/* complete: HEAD no longer finds an upload; the evidence and its receipt are there */
	ev_tus_offset(ev_base(), W.a.admin.token, loc, &st);
	ck_assert_int_eq(st, 404);
	id = strrchr(loc, '/') + 1;
	ev_download_ok(W.x.admin.token, id, &src, size);
	{
		char *path = ht_fmt("/api/v1/evidence/%s/receipt", id), sha[65];
		struct ht_resp *g = ht_request("GET", path, W.x.admin.token, NULL);

		HT_ASSERT_STATUS(g, 200);
		ev_sha(&src, size, sha);
		ck_assert_str_eq(json_string_value(json_object_get(
		                     json_object_get(g->json, "receipt"), "sha256")),
		                 sha);
		ht_resp_free(g);
		free(path);
	}
	free(loc);
	/* termination */
	loc =
	    ev_tus_create(ev_base(), W.a.admin.token, W.eng_ax, "terminated.bin", 5 * MIB, 0, NULL);
	ev_tus_patch(&r, W.a.admin.token, loc, &src, 0, MIB + 1, "application/offset+octet-stream");
	ck_assert_int_eq(r.status, 204);
	ev_res_free(&r);
	{
		const char *h[] = {"Tus-Resumable: 1.0.0", NULL};

		ev_http(&r, ev_base(), "DELETE", loc, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0,
		        h);
		ck_assert_int_eq(r.status, 204);
		ev_res_free(&r);
	}
	ev_tus_offset(ev_base(), W.a.admin.token, loc, &st);
	ck_assert_int_eq(st, 404);
	ck_assert_int_eq(
	    ev_owner_count("SELECT count(*) FROM evidence_chunks WHERE evidence_id = %s",
	                   strrchr(loc, '/') + 1),
	    0);
	free(loc);
	free(req);
	free(name);
}
END_TEST

START_TEST(test_range)
{
	struct ev_src src;
	static const struct {
		const char *range;
		unsigned long long first, last;
	} ok[] = {
	    {"bytes=0-0", 0, 0},
	    {"bytes=1048575-1048576", 1048575, 1048576},
	    {"bytes=-10", 3 * MIB - 10, 3 * MIB - 1},
	    {"bytes=2000000-", 2000000, 3 * MIB - 1},
	    {"bytes=3145000-9999999", 3145000, 3 * MIB - 1},
	};
	static const char *bad[] = {"bytes=3145728-", "bytes=5-2",     "bytes=abc",
	                            "lines=1-2",      "bytes=0-1,5-6", NULL};
	char *id = NULL, *path;

	ev_src_init(&src, "range");
	id = ev_upload_ok(ev_base(), W.x.admin.token, W.eng_ax, "range.bin", &src, 3 * MIB, NULL);
	path = ht_fmt("/api/v1/evidence/%s", id);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ev_res r;
		char *h0 = ht_fmt("Range: %s", ok[i].range), *cr, *want;
		const char *h[] = {h0, NULL};

		ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, &src,
		        ok[i].first, h);
		ck_assert_msg(r.status == 206, "%s: %ld", ok[i].range, r.status);
		ck_assert_msg(r.got == ok[i].last - ok[i].first + 1 && r.mismatch == 0,
		              "%s: %llu bytes", ok[i].range, r.got);
		cr = ev_hdr(r.headers, "Content-Range");
		want = ht_fmt("bytes %llu-%llu/%llu", ok[i].first, ok[i].last, 3 * MIB);
		ck_assert_msg(cr != NULL && strcmp(cr, want) == 0, "%s: Content-Range %s",
		              ok[i].range, cr);
		free(cr);
		free(want);
		free(h0);
		ev_res_free(&r);
	}
	for (size_t i = 0; bad[i] != NULL; i++) {
		struct ev_res r;
		char *h0 = ht_fmt("Range: %s", bad[i]), *cr;
		const char *h[] = {h0, NULL};

		ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0, h);
		EV_ASSERT_PROBLEM(&r, 416, "range-not-satisfiable");
		cr = ev_hdr(r.headers, "Content-Range");
		ck_assert_msg(cr != NULL && strcmp(cr, "bytes */3145728") == 0,
		              "416 Content-Range %s", cr);
		free(cr);
		free(h0);
		ev_res_free(&r);
	}
	/* the headers of a download */
	{
		struct ev_res r;
		char *v;

		ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, &src, 0,
		        NULL);
		ck_assert_int_eq(r.status, 200);
		v = ev_hdr(r.headers, "Content-Type");
		ck_assert_str_eq(v, "application/octet-stream");
		free(v);
		v = ev_hdr(r.headers, "Content-Disposition");
		ck_assert_str_eq(v,
		                 "attachment; filename=\"range.bin\"; filename*=UTF-8''range.bin");
		free(v);
		v = ev_hdr(r.headers, "X-Content-Type-Options");
		ck_assert_str_eq(v, "nosniff");
		free(v);
		v = ev_hdr(r.headers, "Content-Security-Policy");
		ck_assert_msg(v != NULL && strstr(v, "sandbox") != NULL, "CSP %s", v);
		free(v);
		v = ev_hdr(r.headers, "Cache-Control");
		ck_assert_str_eq(v, "no-store");
		free(v);
		ev_res_free(&r);
	}
	free(path);
	free(id);
}
END_TEST

START_TEST(test_tenancy)
{
	struct ev_src src;
	char *id, *paths[3], *raw, *req;
	const char *outsiders[3];
	struct ev_res r;

	ev_src_init(&src, "tenancy");
	id = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "tenancy.txt", &src, 1000, NULL);
	paths[0] = ht_fmt("/api/v1/evidence/%s", id);
	paths[1] = ht_fmt("/api/v1/evidence/%s/receipt", id);
	paths[2] = ht_fmt("/api/v1/engagements/%s/evidence", W.eng_ax);
	outsiders[0] = W.b.admin.token; /* another company */
	outsiders[1] = W.y.admin.token; /* another assessor */
	outsiders[2] = W.coord.token;   /* the coordinator */
	for (int who = 0; who < 3; who++) {
		for (int p = 0; p < 3; p++) {
			ev_http(&r, ev_base(), "GET", paths[p], outsiders[who], NULL, 0, NULL, 0,
			        NULL, 0, NULL);
			EV_ASSERT_PROBLEM(&r, 404, "not-found");
			ev_res_free(&r);
		}
		ev_http(&r, ev_base(), "DELETE", paths[0], outsiders[who], NULL, 0, NULL, 0, NULL,
		        0, NULL);
		EV_ASSERT_PROBLEM(&r, 404, "not-found");
		ev_res_free(&r);
		/* uploading there: refused before 100 Continue */
		req = ht_fmt(
		    "POST /api/v1/engagements/%s/evidence?name=x.bin HTTP/1.1\r\nHost: %s\r\n"
		    "Authorization: Bearer %s\r\nContent-Length: 1000000\r\nExpect: "
		    "100-continue\r\n\r\n",
		    W.eng_ax, ht_hostport(), outsiders[who]);
		raw = ht_raw(req, strlen(req));
		ck_assert(raw != NULL);
		ck_assert_msg(!ht_raw_has_interim(raw), "100 Continue sent to an outsider: %s",
		              raw);
		ck_assert_msg(ht_raw_is_problem(raw, 404, "not-found"), "outsider upload: %.300s",
		              raw);
		free(raw);
		free(req);
	}
	for (int p = 0; p < 3; p++) {
		ev_http(&r, ev_base(), "GET", paths[p], NULL, NULL, 0, NULL, 0, NULL, 0, NULL);
		EV_ASSERT_PROBLEM(&r, 401, "unauthorized");
		ev_res_free(&r);
	}
	req = ht_fmt("POST /api/v1/engagements/%s/evidence?name=x.bin HTTP/1.1\r\nHost: %s\r\n"
	             "Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n",
	             W.eng_ax, ht_hostport());
	raw = ht_raw(req, strlen(req));
	ck_assert(raw != NULL && !ht_raw_has_interim(raw) &&
	          ht_raw_is_problem(raw, 401, "unauthorized"));
	free(raw);
	free(req);
	/* a cookie-authenticated upload without the CSRF header: refused before the body */
	req = ht_fmt("POST /api/v1/engagements/%s/evidence?name=x.bin HTTP/1.1\r\nHost: %s\r\n"
	             "Cookie: lockstep_session=%s\r\nContent-Length: 1000000\r\nExpect: "
	             "100-continue\r\n\r\n",
	             W.eng_ax, ht_hostport(), W.a.admin.token);
	raw = ht_raw(req, strlen(req));
	ck_assert(raw != NULL && !ht_raw_has_interim(raw));
	ck_assert_msg(ht_raw_is_problem(raw, 403, "csrf"), "cookie upload without CSRF: %.300s",
	              raw);
	free(raw);
	free(req);
	/* HEAD of a download: the headers, no body */
	ev_http(&r, ev_base(), "HEAD", paths[0], W.x.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.got, 0);
	{
		char *cl = ev_hdr(r.headers, "Content-Length");

		ck_assert(cl != NULL && strcmp(cl, "1000") == 0);
		free(cl);
	}
	ev_res_free(&r);
	/* an engagement of the same assessor but another company: not B's, not visible to A */
	ev_http(&r, ev_base(), "GET", paths[2], W.a.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, id) != NULL);
	ev_res_free(&r);
	{
		char *p = ht_fmt("/api/v1/engagements/%s/evidence", W.eng_by);

		ev_http(&r, ev_base(), "GET", p, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
		EV_ASSERT_PROBLEM(&r, 404, "not-found");
		ev_res_free(&r);
		free(p);
	}
	/* the evidence tables under the app role with no identity: nothing */
	ck_assert_int_eq(ht_db_count(ht_env_req("LOCKSTEP_TEST_APP_DSN"),
	                             "SELECT count(*) FROM evidence_chunks"),
	                 0);
	ck_assert_int_eq(
	    ht_db_count(ht_env_req("LOCKSTEP_TEST_APP_DSN"), "SELECT count(*) FROM evidence"), 0);
	for (int p = 0; p < 3; p++)
		free(paths[p]);
	free(id);
}
END_TEST

START_TEST(test_delete)
{
	struct ev_src src;
	struct ht_actor member = {0};
	char err[512], *id, *path;
	struct ev_res r;

	ev_src_init(&src, "delete");
	id = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "delete.bin", &src, 2 * MIB + 1,
	                  NULL);
	path = ht_fmt("/api/v1/evidence/%s", id);
	/* the assessor sees it but may not delete the company's upload */
	ev_http(&r, ev_base(), "DELETE", path, W.x.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 403, "forbidden");
	ev_res_free(&r);
	ev_http(&r, ev_base(), "DELETE", path, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
	ck_assert_msg(r.status == 204, "delete: %ld %s", r.status, r.body);
	ev_res_free(&r);
	ev_http(&r, ev_base(), "GET", path, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 404);
	ev_res_free(&r);
	ck_assert_int_eq(
	    ev_owner_count("SELECT count(*) FROM evidence_chunks WHERE evidence_id = %s", id), 0);
	ck_assert_int_eq(ev_owner_count("SELECT count(*) FROM evidence WHERE id = %s", id), 0);
	ck_assert_int_eq(
	    ev_owner_count("SELECT count(*) FROM audit_events WHERE action = 'evidence.delete'"
	                   " AND object_id = %s",
	                   id),
	    1);
	ck_assert_int_ge(
	    ev_owner_count("SELECT count(*) FROM audit_events WHERE action = 'evidence.upload'"
	                   " AND object_id = %s",
	                   id),
	    1);
	ck_assert(ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"),
	                      "SELECT count(*) FROM"
	                      " (SELECT audit_verify() AS v) s WHERE v IS NOT NULL") == 0);
	free(path);
	free(id);
	/* a member's upload: deleted by the org admin, not by another member */
	ck_assert_msg(
	    ht_make_user(W.a.admin.token, W.a.org_id, "member", &member, err, sizeof(err)) == 0,
	    "%s", err);
	id = ev_upload_ok(ev_base(), member.token, W.eng_ax, "member.bin", &src, 10, NULL);
	path = ht_fmt("/api/v1/evidence/%s", id);
	ev_http(&r, ev_base(), "GET", path, W.x.admin.token, NULL, 0, NULL, 0, &src, 0, NULL);
	ck_assert_int_eq(r.status, 200);
	ev_res_free(&r);
	ev_http(&r, ev_base(), "DELETE", path, W.a.admin.token, NULL, 0, NULL, 0, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 204);
	ev_res_free(&r);
	ht_actor_free(&member);
	free(path);
	free(id);
}
END_TEST

START_TEST(test_names_and_links)
{
	/* ... U+202E RLO ("reportexe.pdf" on screen), U+2066 LRI, U+2028 */
	static const char *bad[] = {"a%2Fb",         "..",           ".",
	                            "a%5Cb",         "a%01b",        "%C2%85x",
	                            "%FF",           "report%E2%80%AEfdp.exe",
	                            "a%E2%81%A6b",   "a%E2%80%A8b",  NULL};
	struct ev_res r;
	char *path, *long_name;

	for (size_t i = 0; bad[i] != NULL; i++) {
		path = ht_fmt("/api/v1/engagements/%s/evidence?name=%s", W.eng_ax, bad[i]);
		ev_http(&r, ev_base(), "POST", path, W.a.admin.token, NULL, 0, "x", 1, NULL, 0,
		        NULL);
		ck_assert_msg(ev_is_problem(&r, 422, "invalid-field"), "name %s: %ld %s", bad[i],
		              r.status, r.body);
		ck_assert_msg(strstr(r.body, "bidirectional controls") != NULL,
		              "name %s: the refusal does not state the rule: %s", bad[i], r.body);
		ev_res_free(&r);
		free(path);
	}
	/* 255 bytes are fine, 256 are not */
	long_name = malloc(300);
	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	path = ht_fmt("/api/v1/engagements/%s/evidence?name=%s", W.eng_ax, long_name);
	ev_http(&r, ev_base(), "POST", path, W.a.admin.token, NULL, 0, "x", 1, NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 422, "invalid-field");
	ev_res_free(&r);
	free(path);
	long_name[255] = '\0';
	path = ht_fmt("/api/v1/engagements/%s/evidence?name=%s", W.eng_ax, long_name);
	ev_http(&r, ev_base(), "POST", path, W.a.admin.token, NULL, 0, "x", 1, NULL, 0, NULL);
	ck_assert_msg(r.status == 201, "255-byte name: %ld %s", r.status, r.body);
	ev_res_free(&r);
	free(path);
	free(long_name);
	/* no name at all */
	path = ht_fmt("/api/v1/engagements/%s/evidence", W.eng_ax);
	ev_http(&r, ev_base(), "POST", path, W.a.admin.token, NULL, 0, "x", 1, NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 422, "invalid-field");
	ev_res_free(&r);
	free(path);
	/* linked to a finding of the engagement; a foreign finding is refused */
	path =
	    ht_fmt("/api/v1/engagements/%s/evidence?name=f.txt&finding=%s", W.eng_ax, W.finding_a);
	ev_http(&r, ev_base(), "POST", path, W.x.admin.token, NULL, 0, "finding", 7, NULL, 0, NULL);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ev_res_free(&r);
	free(path);
	path =
	    ht_fmt("/api/v1/engagements/%s/evidence?name=f.txt&finding=%s", W.eng_ax, W.finding_b);
	ev_http(&r, ev_base(), "POST", path, W.x.admin.token, NULL, 0, "finding", 7, NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 422, "invalid-field");
	ev_res_free(&r);
	free(path);
	/* multipart/form-data from a browser form: the file part's name and type */
	{
		const char *h[] = {"Content-Type: multipart/form-data; boundary=XyZ", NULL};
		const char *body =
		    "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
		    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
		    "filename=\"form.csv\"\r\n"
		    "Content-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--XyZ--\r\n";
		json_t *rec;

		path = ht_fmt("/api/v1/engagements/%s/evidence", W.eng_ax);
		ev_http(&r, ev_base(), "POST", path, W.a.admin.token, NULL, 0, body, strlen(body),
		        NULL, 0, h);
		ck_assert_msg(r.status == 201, "multipart: %ld %s", r.status, r.body);
		rec = json_object_get(r.json, "receipt");
		ck_assert_str_eq(json_string_value(json_object_get(rec, "name")), "form.csv");
		ck_assert_int_eq(json_integer_value(json_object_get(rec, "size")), 8);
		ck_assert_str_eq(json_string_value(json_object_get(rec, "media_type")), "text/csv");
		ev_res_free(&r);
		free(path);
	}
	/* a PNG's sniffed type wins over a vague declared one */
	{
		const char png[] = "\x89PNG\r\n\x1a\n0000";
		const char *h[] = {"Content-Type: application/octet-stream", NULL};

		path = ht_fmt("/api/v1/engagements/%s/evidence?name=pic", W.eng_ax);
		ev_http(&r, ev_base(), "POST", path, W.a.admin.token, NULL, 0, png, sizeof(png) - 1,
		        NULL, 0, h);
		ck_assert_int_eq(r.status, 201);
		ck_assert_str_eq(json_string_value(json_object_get(
		                     json_object_get(r.json, "receipt"), "media_type")),
		                 "image/png");
		ev_res_free(&r);
		free(path);
	}
}
END_TEST

START_TEST(test_limits)
{
	const char *env[] = {"LOCKSTEP_LOG_LEVEL=warn", "LOCKSTEP_EVIDENCE_MAX_BYTES=2097152",
	                     "LOCKSTEP_EVIDENCE_QUOTA_BYTES=5242880",
	                     "LOCKSTEP_EVIDENCE_MAX_UPLOADS=2", NULL};
	struct ht_server s = {0};
	struct ev_src src;
	struct ev_res r;
	char *req, *raw, *path, *loc1, *loc2, *id;
	struct ht_tenant co = {0};
	struct ht_resp *e;
	char err[512];

	/* on the main server: a declared 5 GiB upload is refused before 100 Continue */
	req = ht_fmt("POST /api/v1/engagements/%s/evidence?name=huge.bin HTTP/1.1\r\nHost: %s\r\n"
	             "Authorization: Bearer %s\r\nContent-Length: 5368709120\r\nExpect: "
	             "100-continue\r\n\r\n",
	             W.eng_ax, ht_hostport(), W.a.admin.token);
	raw = ht_raw(req, strlen(req));
	ck_assert(raw != NULL);
	ck_assert_msg(!ht_raw_has_interim(raw), "100 Continue before a 413: %s", raw);
	ck_assert_msg(ht_raw_is_problem(raw, 413, "payload-too-large"), "%.300s", raw);
	free(raw);
	free(req);

	ck_assert_msg(ht_server_start(&s, 0, env) == 0, "our lockstepd did not start");
	/* a fresh engagement, so that the quota starts at zero */
	ck_assert_msg(ht_make_tenant(W.coord.token, "company", "limits", &co, err, sizeof(err)) ==
	                  0,
	              "%s", err);
	{
		char *body =
		    ht_fmt("{\"company_org\":\"%s\",\"assessor_org\":\"%s\",\"scope\":\"limits\","
		           "\"lead_assessors\":[\"L\"]}",
		           co.org_id, W.x.org_id);
		char *p = ht_fmt("/api/v1/campaigns/%s/engagements", W.campaign_id);

		e = ht_request("POST", p, W.coord.token, body);
		HT_ASSERT_STATUS(e, 201);
		free(body);
		free(p);
		/* evidence is added in fieldwork */
		ck_assert_int_eq(ht_stage(W.x.admin.token, ht_jstr(e, "id"), "fieldwork"), 200);
	}
	path = ht_fmt("/api/v1/engagements/%s/evidence?name=lim.bin", ht_jstr(e, "id"));
	ev_src_init(&src, "limits");
	/* per-file limit: declared (before 100 Continue) ... */
	req = ht_fmt("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	             "Content-Length: 2097153\r\nExpect: 100-continue\r\n\r\n",
	             path, co.admin.token);
	{
		int fd = ev_connect(s.port);
		char buf[4096];
		ssize_t k;

		ev_send_all(fd, req, strlen(req));
		k = recv(fd, buf, sizeof(buf) - 1, 0);
		ck_assert(k > 0);
		buf[k] = '\0';
		ck_assert_msg(strncmp(buf, "HTTP/1.1 413", 12) == 0, "declared over the limit: %s",
		              buf);
		ck_assert(strstr(buf, "payload-too-large") != NULL);
		close(fd);
	}
	free(req);
	/* ... and chunked, found while streaming */
	ev_http(&r, s.base, "POST", path, co.admin.token, &src, -(long long)(3 * MIB), NULL, 0,
	        NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 413, "payload-too-large");
	ev_res_free(&r);
	/* the refused upload is discarded right after its reply */
	ck_assert_int_eq(ev_wait_count("SELECT count(*) FROM evidence WHERE engagement_id = %s",
	                               ht_jstr(e, "id"), 0, 10),
	                 0);
	/* exactly the limit is fine */
	id = ev_upload_ok(s.base, co.admin.token, ht_jstr(e, "id"), "a.bin", &src, 2 * MIB, NULL);
	free(id);
	id = ev_upload_ok(s.base, co.admin.token, ht_jstr(e, "id"), "b.bin", &src, 2 * MIB, NULL);
	free(id);
	/* quota: 4 MiB used of 5 */
	ev_http(&r, s.base, "POST", path, co.admin.token, &src, 2 * MIB, NULL, 0, NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 413, "quota-exceeded");
	ev_res_free(&r);
	ev_http(&r, s.base, "POST", path, co.admin.token, &src, -(long long)(2 * MIB), NULL, 0,
	        NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 413, "quota-exceeded");
	ev_res_free(&r);
	/* concurrent uploads per user: two in progress, the third refused */
	ck_assert_int_eq(ev_wait_count("SELECT count(*) FROM evidence WHERE engagement_id = %s"
	                               " AND state = 'uploading'",
	                               ht_jstr(e, "id"), 0, 10),
	                 0);
	loc1 = ev_tus_create(s.base, co.admin.token, ht_jstr(e, "id"), "t1.bin", 1000, 0, NULL);
	loc2 = ev_tus_create(s.base, co.admin.token, ht_jstr(e, "id"), "t2.bin", 1000, 0, NULL);
	ev_tus_create(s.base, co.admin.token, ht_jstr(e, "id"), "t3.bin", 1000, 429,
	              "too-many-uploads");
	ev_http(&r, s.base, "POST", path, co.admin.token, NULL, 0, "x", 1, NULL, 0, NULL);
	EV_ASSERT_PROBLEM(&r, 429, "too-many-uploads");
	ev_res_free(&r);
	{
		const char *h[] = {"Tus-Resumable: 1.0.0", NULL};

		ev_http(&r, s.base, "DELETE", loc1, co.admin.token, NULL, 0, NULL, 0, NULL, 0, h);
		ck_assert_int_eq(r.status, 204);
		ev_res_free(&r);
	}
	ev_http(&r, s.base, "POST", path, co.admin.token, NULL, 0, "x", 1, NULL, 0, NULL);
	ck_assert_msg(r.status == 201, "after cancelling one: %ld %s", r.status, r.body);
	ev_res_free(&r);
	/* a tus upload over the per-file limit */
	ev_tus_create(s.base, co.admin.token, ht_jstr(e, "id"), "t4.bin", 2 * MIB + 1, 413,
	              "payload-too-large");
	ht_server_stop(&s, SIGTERM);
	ht_server_free(&s);
	free(loc1);
	free(loc2);
	free(path);
	ht_resp_free(e);
	ht_actor_free(&co.admin);
	free(co.org_id);
	free(co.org_name);
}
END_TEST

START_TEST(test_dump_has_no_markers)
{
	const char *bin = ht_env_req("LOCKSTEP_TEST_PG_BIN");
	char *argv[4], *exe = ht_fmt("%s/pg_dump", bin), *dump;
	struct ev_src src;
	size_t len = 0;
	int st = -1, found = 0;
	char *id;

	/* one more file whose marker must not appear, next to the others */
	ev_src_init(&src, "dump");
	id = ev_upload_ok(ev_base(), W.a.admin.token, W.eng_ax, "dump.txt", &src, MIB + 100, NULL);
	argv[0] = exe;
	argv[1] = (char *)"-d";
	argv[2] = (char *)ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	argv[3] = NULL;
	dump = ht_run_capture(argv, &len, &st);
	ck_assert_msg(dump != NULL && st == 0, "pg_dump failed (%d)", st);
	ck_assert_msg(ht_mem_contains(dump, len, "evidence_chunks"),
	              "no evidence_chunks in the dump");
	ck_assert_msg(ht_mem_contains(dump, len, id), "the evidence row is not in the dump");
	/* every marker this program's uploads carried starts with EVMARK-<tag> */
	{
		char *prefix = ht_fmt("EVMARK-%s", Tag);

		found = ht_mem_contains_any_form(dump, len, prefix) ||
		        ht_mem_contains_any_form(dump, len, src.marker);
		free(prefix);
	}
	ck_assert_msg(!found, "an uploaded file's marker is readable in pg_dump");
	free(dump);
	free(exe);
	free(id);
}
END_TEST

static Suite *
evidence_suite(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("evidence");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_roundtrip_sizes);
	tcase_add_test(tc, test_receipt_signature);
	tcase_add_test(tc, test_tamper_chunk);
	tcase_add_test(tc, test_swap_truncate_move);
	tcase_add_test(tc, test_disconnect_midupload);
	tcase_add_test(tc, test_kill9_midupload);
	tcase_add_test(tc, test_resumable);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_tenancy);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_names_and_links);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_dump_has_no_markers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	ht_init_or_skip();
	ht_clear_login_failures();
	if (ht_world_build(&W) != 0) {
		fprintf(stderr, "building the test world failed: %s\n", W.err);
		return 1;
	}
	Tag = ht_unique("ev");
	rc = ht_run_suite(evidence_suite());
	ht_world_free(&W);
	free(Tag);
	return rc;
}

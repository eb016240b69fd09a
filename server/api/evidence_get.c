/*
 * GET /api/v1/evidence/{id}: the engagement's company and assessor
 * download a complete evidence file. The body is streamed: each chunk is
 * fetched, decrypted and verified only when the client is ready for it,
 * so memory stays at one chunk. A chunk that fails verification aborts
 * the transfer before any of its bytes (the client sees a body shorter
 * than Content-Length) and is recorded as an audit event.
 *
 * Never rendered by a browser: Content-Type application/octet-stream,
 * Content-Disposition attachment with a sanitised name (and RFC 6266
 * filename*), nosniff, a sandboxing CSP, no-store. "Range: bytes=a-b"
 * (one range; also "a-" and "-n") answers 206; an unsatisfiable or
 * malformed range 416.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/evidence.h"
#include "util/log.h"
#include "util/util.h"

struct evidence_reader {
	struct util_identity who;
	char addr[64];
	char id[DB_UUID_LEN + 1];
	char engagement[DB_UUID_LEN + 1];
	char company[DB_UUID_LEN + 1];
	char assessor[DB_UUID_LEN + 1];
	unsigned char key[CRYPTO_KEY_LEN];
	unsigned long long size;
	int nchunks;
	unsigned long long start; /* first byte served */
	int cur;                  /* chunk held in buf, -1 none */
	unsigned char *buf;
	size_t buf_len;
	int failed;
};

static void
evidence_reader_free(void *cls)
{
	struct evidence_reader *x = cls;

	if (x == NULL)
		return;
	if (x->buf != NULL) {
		explicit_bzero(x->buf, EVIDENCE_CHUNK);
		free(x->buf);
	}
	explicit_bzero(x, sizeof(*x));
	free(x);
}

struct evidence_fail_ctx {
	struct evidence_reader *x;
	int seq;
};

static int
evidence_fail_tx(struct db_conn *c, void *arg)
{
	struct evidence_fail_ctx *f = arg;
	struct http_request fr;

	memset(&fr, 0, sizeof(fr));
	fr.who = f->x->who;
	fr.authenticated = 1;
	snprintf(fr.addr, sizeof(fr.addr), "%s", f->x->addr);
	return api_audit(c, &fr, "evidence.integrity_failure", "evidence", f->x->id, f->x->company,
	                 f->x->assessor,
	                 json_pack("{s:s, s:i, s:s}", "engagement", f->x->engagement, "chunk",
	                           f->seq, "outcome", "transfer aborted"));
}

static ssize_t
evidence_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct evidence_reader *x = cls;
	unsigned long long at = x->start + pos;
	int seq = (int)(at / EVIDENCE_CHUNK);
	size_t off = (size_t)(at % EVIDENCE_CHUNK), n;
	int integrity = 0;

	if (x->failed)
		return -1;
	if (seq != x->cur) {
		x->cur = -1;
		if (evidence_chunk_read(&x->who, x->id, seq, x->nchunks, x->size, x->key, x->buf,
		                        &x->buf_len, &integrity) != 0) {
			struct evidence_fail_ctx f = {.x = x, .seq = seq};

			x->failed = 1;
			log_event(LOG_LEVEL_ERROR,
			          integrity ? "evidence_chunk_invalid"
			                    : "evidence_chunk_unavailable",
			          json_pack("{s:s, s:i}", "id", x->id, "chunk", seq));
			if (integrity)
				if (db_tx(&x->who, "evidence_fail", evidence_fail_tx, &f) !=
				    DB_OK) /* the integrity failure is logged above */
					x->failed = 1;
			return -1;
		}
		x->cur = seq;
	}
	if (off >= x->buf_len)
		return -1;
	n = x->buf_len - off;
	if (n > max)
		n = max;
	memcpy(out, x->buf + off, n);
	return (ssize_t)n;
}

/* Parse "bytes=a-b" against size. Returns 0 (range in *first..*last), 1 no Range, -1 bad. */
static int
evidence_range(const char *h, unsigned long long size, unsigned long long *first,
               unsigned long long *last)
{
	char a[24], b[24];
	const char *dash;
	long long va, vb;
	size_t la, lb;

	if (h == NULL)
		return 1;
	if (strncasecmp(h, "bytes=", 6) != 0)
		return -1;
	h += 6;
	if (strchr(h, ',') != NULL || (dash = strchr(h, '-')) == NULL)
		return -1;
	la = (size_t)(dash - h);
	lb = strlen(dash + 1);
	if (la >= sizeof(a) || lb >= sizeof(b) || (la == 0 && lb == 0))
		return -1;
	memcpy(a, h, la);
	a[la] = '\0';
	memcpy(b, dash + 1, lb);
	b[lb] = '\0';
	if (la == 0) {
		/* suffix: the last n bytes */
		if (util_strnum(b, 1, 0x7fffffffffffffffLL, &vb) != 0 || size == 0)
			return -1;
		*first = (unsigned long long)vb >= size ? 0 : size - (unsigned long long)vb;
		*last = size - 1;
		return 0;
	}
	if (util_strnum(a, 0, 0x7fffffffffffffffLL, &va) != 0 || (unsigned long long)va >= size)
		return -1;
	*first = (unsigned long long)va;
	*last = size - 1;
	if (lb > 0) {
		if (util_strnum(b, 0, 0x7fffffffffffffffLL, &vb) != 0 || vb < va)
			return -1;
		if ((unsigned long long)vb < size - 1)
			*last = (unsigned long long)vb;
	}
	return 0;
}

/*
 * Content-Disposition for name: a quoted ASCII fallback (anything but
 * printable ASCII, '"', '\\' and '%' becomes '_') and filename* with the
 * UTF-8 name percent-encoded (RFC 5987 attr-chars kept).
 */
static void
evidence_disposition(const char *name, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	char ascii[EVIDENCE_NAME_MAX + 1], enc[3 * EVIDENCE_NAME_MAX + 1];
	size_t i, j = 0;

	for (i = 0; name[i] != '\0' && i < EVIDENCE_NAME_MAX; i++) {
		unsigned char c = (unsigned char)name[i];

		ascii[i] =
		    (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%') ? '_' : (char)c;
	}
	ascii[i] = '\0';
	for (i = 0; name[i] != '\0' && j + 4 < sizeof(enc); i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("!#$&+-.^_`|~", c) != NULL)
			enc[j++] = (char)c;
		else {
			enc[j++] = '%';
			enc[j++] = hex[c >> 4];
			enc[j++] = hex[c & 15];
		}
	}
	enc[j] = '\0';
	snprintf(out, outlen, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, enc);
}

struct evidence_get_ctx {
	struct http_request *r;
	struct evidence_reader *x;
	char name[EVIDENCE_NAME_MAX + 1];
	char sha256[2 * CRYPTO_SHA256_LEN + 1];
	unsigned long long first, last;
	int ranged;
	int bad_range;
	struct api_res res;
};

static int
evidence_get_tx(struct db_conn *c, void *arg)
{
	struct evidence_get_ctx *g = arg;
	struct evidence_reader *x = g->x;
	struct store_evidence e = {0};
	int rc;

	g->bad_range = 0;
	if ((rc = store_evidence_get(c, x->id, &e)) != DB_OK)
		return rc;
	snprintf(g->name, sizeof(g->name), "%s", e.name);
	snprintf(g->sha256, sizeof(g->sha256), "%s", e.sha256);
	snprintf(x->engagement, sizeof(x->engagement), "%s", e.engagement_id);
	snprintf(x->company, sizeof(x->company), "%s", e.company_org_id);
	snprintf(x->assessor, sizeof(x->assessor), "%s", e.assessor_org_id);
	rc = DB_ERROR;
	if (e.size < 0 || e.chunk_count < 1 || e.chunk_count > 0x7fffffff)
		goto done;
	x->size = (unsigned long long)e.size;
	x->nchunks = (int)e.chunk_count;
	rc = evidence_range(http_header(g->r, "Range"), x->size, &g->first, &g->last);
	if (rc < 0) {
		g->bad_range = 1;
		rc = api_fail(&g->res, PROBLEM_RANGE_NOT_SATISFIABLE, NULL);
		goto done;
	}
	g->ranged = rc == 0;
	if (!g->ranged) {
		g->first = 0;
		g->last = x->size - 1; /* wraps for an empty file; unused then */
	}
	if ((rc = evidence_file_key(c, &e, x->key)) != DB_OK)
		goto done;
	rc =
	    api_audit(c, g->r, "evidence.download", "evidence", x->id, x->company, x->assessor,
	              g->ranged ? json_pack("{s:s, s:I, s:I}", "engagement", x->engagement, "first",
	                                    (json_int_t)g->first, "last", (json_int_t)g->last)
	                        : json_pack("{s:s}", "engagement", x->engagement));
done:
	store_evidence_clear(&e);
	return rc;
}

int
api_evidence_get(struct http_request *r)
{
	struct evidence_get_ctx g = {.r = r};
	struct evidence_reader *x;
	char disposition[1200], range[96], digest[80], total[32];
	unsigned char sha[CRYPTO_SHA256_LEN];
	unsigned long long len;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((x = calloc(1, sizeof(*x))) == NULL || (x->buf = malloc(EVIDENCE_CHUNK)) == NULL) {
		evidence_reader_free(x);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	x->who = r->who;
	snprintf(x->addr, sizeof(x->addr), "%s", r->addr);
	snprintf(x->id, sizeof(x->id), "%s", http_param(r, 0));
	x->cur = -1;
	g.x = x;
	rc = db_tx(&r->who, "evidence_get", evidence_get_tx, &g);
	if (rc != DB_OK) {
		snprintf(total, sizeof(total), "bytes */%llu", x->size);
		evidence_reader_free(x);
		if (g.bad_range) {
			const char *h[] = {"Content-Range", total, NULL};

			return http_reply_problem_headers(
			    r, PROBLEM_RANGE_NOT_SATISFIABLE,
			    "Send one range bytes=first-last within the file.", h);
		}
		return api_finish(r, rc, &g.res);
	}
	x->start = g.first;
	len = x->size == 0 ? 0 : g.last - g.first + 1;
	evidence_disposition(g.name, disposition, sizeof(disposition));
	digest[0] = '\0';
	if (util_hex_decode(g.sha256, sha, sizeof(sha)) == 0) {
		char b64[48];

		util_b64_encode(sha, sizeof(sha), b64);
		snprintf(digest, sizeof(digest), "sha-256=:%s:", b64);
	}
	snprintf(range, sizeof(range), "bytes %llu-%llu/%llu", g.first, g.last, x->size);
	{
		const char *h[] = {"Content-Disposition",
		                   disposition,
		                   "Content-Security-Policy",
		                   "sandbox; default-src 'none'",
		                   "Accept-Ranges",
		                   "bytes",
		                   "Repr-Digest",
		                   digest,
		                   g.ranged ? "Content-Range" : NULL,
		                   range,
		                   NULL};

		return http_reply_stream(r, g.ranged ? 206 : 200, "application/octet-stream", len,
		                         evidence_read, x, evidence_reader_free, h);
	}
}

/*
 * api/evidence_store.c: the evidence store (see evidence.h): upload state
 * machine, chunk sealing and opening, receipts, the sweeper.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/evidence.h"
#include "conf.h"
#include "publish/publish.h"
#include "util/log.h"
#include "util/util.h"

#define EVIDENCE_TOUCH_SECONDS 10
#define EVIDENCE_SWEEP_BATCH 100
#define EVIDENCE_SWEEP_ROUNDS 20

/* ---------------------------------------------------------------- names */

int
evidence_name_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > EVIDENCE_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (!util_utf8_valid(name, n))
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			return 0;
	/* C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) */
	for (const unsigned char *p = (const unsigned char *)name; p[0] && p[1]; p++)
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
	return 1;
}

/* RFC 9110 token character? */
static int
evidence_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

void
evidence_declared_type(const char *ct, char *out, size_t outlen)
{
	size_t i = 0, slash = 0, n;

	out[0] = '\0';
	if (ct == NULL)
		return;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= outlen || n > 127)
		return;
	for (i = 0; i < n; i++) {
		if (ct[i] == '/') {
			if (slash || i == 0)
				return;
			slash = i;
		} else if (!evidence_tchar((unsigned char)ct[i]))
			return;
	}
	if (!slash || slash == n - 1)
		return;
	for (i = 0; i < n; i++)
		out[i] = (ct[i] >= 'A' && ct[i] <= 'Z') ? (char)(ct[i] - 'A' + 'a') : ct[i];
	out[n] = '\0';
}

/* ----------------------------------------------------------------- AAD */

static void
evidence_aad(char *out, size_t outlen, const char *id, const char *what)
{
	snprintf(out, outlen, "lockstep/v1/evidence/%s/%s", id, what);
}

static void
evidence_chunk_aad(char *out, size_t outlen, const char *id, int seq, int last)
{
	char what[48];

	snprintf(what, sizeof(what), "chunk/%d/%s", seq, last ? "last" : "more");
	evidence_aad(out, outlen, id, what);
}

/* Seal a small value of u under its file key. Returns a bytea param (malloc'd) or NULL. */
static char *
evidence_seal_param(const struct evidence_upload *u, const char *what, const void *pt, size_t len)
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char aad[160];
	char *param;

	evidence_aad(aad, sizeof(aad), u->id, what);
	if (crypto_aead_seal(u->file_key, aad, strlen(aad), pt, len, &ct, &ctlen) != 0)
		return NULL;
	param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

/* Open a sealed bytea column of u. Returns malloc'd plaintext (caller wipes+frees) or NULL. */
static unsigned char *
evidence_open_col(const struct evidence_upload *u, const char *what, const struct db_result *q,
                  int col, size_t *len)
{
	unsigned char *ct, *pt = NULL;
	size_t ctlen = 0;
	char aad[160];

	*len = 0;
	if ((ct = db_get_bytea(q, 0, col, &ctlen)) == NULL)
		return NULL;
	evidence_aad(aad, sizeof(aad), u->id, what);
	if (crypto_aead_open(u->file_key, aad, strlen(aad), ct, ctlen, &pt, len) != 0)
		pt = NULL;
	free(ct);
	return pt;
}

/* ---------------------------------------------------------- the upload */

static void evidence_writer_stop(struct evidence_upload *u);

void
evidence_upload_free(struct evidence_upload *u)
{
	if (u == NULL)
		return;
	evidence_writer_stop(u);
	crypto_sha256_stream_free(u->hash);
	if (u->buf != NULL) {
		explicit_bzero(u->buf, EVIDENCE_CHUNK);
		free(u->buf);
	}
	explicit_bzero(u, sizeof(*u));
	free(u);
}

static struct evidence_upload *
evidence_upload_new(const struct http_request *r)
{
	struct evidence_upload *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->buf = malloc(EVIDENCE_CHUNK);
	u->hash = crypto_sha256_stream_new();
	if (u->buf == NULL || u->hash == NULL) {
		evidence_upload_free(u);
		return NULL;
	}
	u->who = r->who;
	snprintf(u->addr, sizeof(u->addr), "%s", r->addr);
	u->upload_length = -1;
	u->touched = time(NULL);
	return u;
}

unsigned long long
evidence_upload_offset(const struct evidence_upload *u)
{
	return (unsigned long long)u->seq * EVIDENCE_CHUNK + u->buf_len;
}

/* The request-shaped view of u for api_audit (identity and address only). */
static void
evidence_fake_request(const struct evidence_upload *u, struct http_request *fr)
{
	memset(fr, 0, sizeof(*fr));
	fr->who = u->who;
	fr->authenticated = 1;
	snprintf(fr->addr, sizeof(fr->addr), "%s", u->addr);
}

struct evidence_start_ctx {
	struct http_request *r;
	struct evidence_upload *u;
	const char *finding;
	struct api_res *res;
};

/* Bytes the engagement already uses, other than upload `except`. -1 on failure. */
static long long
evidence_usage(struct db_conn *c, const char *engagement, const char *except, enum db_status *st)
{
	const char *p[2] = {engagement, except};
	struct db_result *q;
	long long used = -1;

	if ((q = db_exec(c, "evidence_engagement_usage", 2, p, st)) == NULL)
		return -1;
	if (util_strnum(db_get(q, 0, 0), 0, 0x7fffffffffffffffLL, &used) != 0)
		used = -1;
	db_result_free(q);
	return used;
}

static int
evidence_start_tx(struct db_conn *c, void *arg)
{
	struct evidence_start_ctx *s = arg;
	struct evidence_upload *u = s->u;
	struct api_engagement e;
	unsigned char ekey[CRYPTO_KEY_LEN];
	unsigned char *wrapped = NULL;
	size_t wlen = 0;
	char aad[160], tus_age[16], stream_age[16], lenbuf[24];
	char *wrapped_param = NULL;
	struct db_result *q = NULL;
	enum db_status st;
	long long count = 0, used;
	int rc;

	if ((rc = api_engagement_load(c, s->r, u->engagement, API_AS_PARTICIPANT, &e, s->res)) !=
	    DB_OK)
		return rc;
	snprintf(u->company, sizeof(u->company), "%s", e.company);
	snprintf(u->assessor, sizeof(u->assessor), "%s", e.assessor);
	api_engagement_clear(&e);
	if (s->finding != NULL) {
		const char *p[2] = {s->finding, u->engagement};

		if ((q = db_exec(c, "evidence_finding_check", 2, p, &st)) == NULL)
			return st;
		rc = db_rows(q);
		db_result_free(q);
		q = NULL;
		if (rc != 1)
			return api_fail_field(s->res, "finding",
			                      "not a finding of this engagement");
	}
	/* uploads in progress, counted under a per-user lock */
	if ((st = db_run(c, "evidence_lock_user", 0, NULL)) != DB_OK)
		return st;
	snprintf(tus_age, sizeof(tus_age), "%u", config.evidence_upload_expiry);
	snprintf(stream_age, sizeof(stream_age), "%u", config.evidence_stream_stale);
	{
		const char *p[2] = {tus_age, stream_age};

		if ((q = db_exec(c, "evidence_uploads_count", 2, p, &st)) == NULL)
			return st;
	}
	util_strnum(db_get(q, 0, 0), 0, 1000000, &count);
	db_result_free(q);
	q = NULL;
	if (count >= (long long)config.evidence_max_uploads)
		return api_fail(s->res, PROBLEM_TOO_MANY_UPLOADS, NULL);
	/* quota */
	{
		const char *p[1] = {u->engagement};

		if ((st = db_run(c, "evidence_lock_engagement", 1, p)) != DB_OK)
			return st;
	}
	if ((used = evidence_usage(c, u->engagement, u->id, &st)) < 0)
		return st != DB_OK ? st : DB_ERROR;
	u->limit = config.evidence_max_bytes;
	u->limit_is_quota = 0;
	if ((unsigned long long)used >= config.evidence_quota_bytes ||
	    config.evidence_quota_bytes - (unsigned long long)used < u->limit) {
		u->limit = (unsigned long long)used >= config.evidence_quota_bytes
		               ? 0
		               : config.evidence_quota_bytes - (unsigned long long)used;
		u->limit_is_quota = 1;
	}
	if (u->upload_length >= 0 && (unsigned long long)u->upload_length > u->limit)
		return api_fail(
		    s->res, u->limit_is_quota ? PROBLEM_QUOTA_EXCEEDED : PROBLEM_PAYLOAD_TOO_LARGE,
		    u->limit_is_quota ? "The engagement's evidence quota would be exceeded."
		                      : "The file is larger than the per-file limit.");

	/* a fresh file key, wrapped under the engagement key */
	if ((rc = api_engagement_key(c, u->engagement, ekey)) != 0)
		return rc > 0 ? api_fail(s->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
	rc = DB_ERROR;
	evidence_aad(aad, sizeof(aad), u->id, "file_key");
	if (crypto_random(u->file_key, sizeof(u->file_key)) != 0 ||
	    crypto_aead_seal(ekey, aad, strlen(aad), u->file_key, sizeof(u->file_key), &wrapped,
	                     &wlen) != 0 ||
	    (wrapped_param = db_param_bytea(wrapped, wlen)) == NULL)
		goto done;
	snprintf(lenbuf, sizeof(lenbuf), "%lld", u->upload_length);
	{
		const char *p[10] = {u->id,
		                     u->engagement,
		                     u->company,
		                     u->assessor,
		                     s->finding,
		                     u->name,
		                     wrapped_param,
		                     u->tus ? "tus" : "stream",
		                     u->declared_type[0] ? u->declared_type : NULL,
		                     u->upload_length >= 0 ? lenbuf : NULL};

		if ((q = db_exec(c, "evidence_create", 10, p, &st)) == NULL) {
			rc = st;
			goto done;
		}
	}
	rc = DB_OK;
done:
	explicit_bzero(ekey, sizeof(ekey));
	free(wrapped);
	free(wrapped_param);
	db_result_free(q);
	return rc;
}

int
evidence_upload_start(struct http_request *r, const char *engagement_id, const char *finding,
                      const char *name, const char *declared_type, long long length, int tus,
                      struct api_res *res, struct evidence_upload **out)
{
	struct evidence_start_ctx s = {.r = r, .finding = finding, .res = res};
	struct evidence_upload *u;
	int rc;

	*out = NULL;
	if ((u = evidence_upload_new(r)) == NULL || api_new_uuid(u->id) != 0) {
		evidence_upload_free(u);
		return DB_ERROR;
	}
	snprintf(u->engagement, sizeof(u->engagement), "%s", engagement_id);
	snprintf(u->name, sizeof(u->name), "%s", name);
	evidence_declared_type(declared_type, u->declared_type, sizeof(u->declared_type));
	u->upload_length = length;
	u->tus = tus;
	s.u = u;
	rc = db_tx(&r->who, "evidence_start", evidence_start_tx, &s);
	if (rc != DB_OK) {
		evidence_upload_free(u);
		return rc;
	}
	*out = u;
	return DB_OK;
}

struct evidence_resume_ctx {
	struct http_request *r;
	const char *id;
	struct evidence_upload *u;
	struct api_res *res;
};

static int
evidence_resume_tx(struct db_conn *c, void *arg)
{
	struct evidence_resume_ctx *s = arg;
	struct evidence_upload *u = s->u;
	const char *p[1] = {s->id};
	unsigned char *state = NULL, *tail = NULL;
	size_t statelen = 0, taillen = 0;
	struct db_result *q;
	enum db_status st;
	long long v;
	char what[64];
	int rc = DB_ERROR;

	if ((q = db_exec(c, "evidence_upload_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(s->res, PROBLEM_NOT_FOUND, NULL);
	}
	snprintf(u->id, sizeof(u->id), "%s", db_get(q, 0, 0));
	snprintf(u->name, sizeof(u->name), "%s", db_get(q, 0, 1));
	snprintf(u->engagement, sizeof(u->engagement), "%s", db_get(q, 0, 5));
	snprintf(u->declared_type, sizeof(u->declared_type), "%s", db_get(q, 0, 8));
	snprintf(u->sniffed_type, sizeof(u->sniffed_type), "%s", db_get(q, 0, 9));
	snprintf(u->company, sizeof(u->company), "%s", db_get(q, 0, 13));
	snprintf(u->assessor, sizeof(u->assessor), "%s", db_get(q, 0, 14));
	u->tus = strcmp(db_get(q, 0, 20), "tus") == 0;
	if (!u->tus) {
		/* a streamed upload in progress belongs to its connection */
		db_result_free(q);
		return api_fail(s->res, PROBLEM_NOT_FOUND, NULL);
	}
	if (util_strnum(db_get(q, 0, 2), 0, 0x7fffffffffffffffLL, &v) != 0)
		goto done;
	u->db_size = (unsigned long long)v;
	if (util_strnum(db_get(q, 0, 11), 0, 0x7fffffff, &v) != 0)
		goto done;
	u->seq = (int)v;
	u->upload_length = -1;
	if (!db_is_null(q, 0, 17) &&
	    util_strnum(db_get(q, 0, 17), 0, 0x7fffffffffffffffLL, &v) == 0)
		u->upload_length = v;
	if ((rc = evidence_file_key(c, q, 0, u->file_key)) != 0) {
		rc = rc > 0 ? api_fail(s->res, PROBLEM_NOT_FOUND, NULL) : DB_ERROR;
		goto done;
	}
	rc = DB_ERROR;
	if (u->seq > 0) {
		snprintf(what, sizeof(what), "hash_state/%d", u->seq);
		state = evidence_open_col(u, what, q, 18, &statelen);
		if (state == NULL || statelen != CRYPTO_SHA256_STATE_LEN ||
		    crypto_sha256_stream_import(u->hash, state) != 0) {
			log_event(LOG_LEVEL_ERROR, "evidence_state_invalid",
			          json_pack("{s:s}", "id", u->id));
			goto done;
		}
	}
	if (!db_is_null(q, 0, 19)) {
		snprintf(what, sizeof(what), "tail/%d", u->seq);
		tail = evidence_open_col(u, what, q, 19, &taillen);
		if (tail == NULL || taillen > EVIDENCE_CHUNK) {
			log_event(LOG_LEVEL_ERROR, "evidence_state_invalid",
			          json_pack("{s:s}", "id", u->id));
			goto done;
		}
		memcpy(u->buf, tail, taillen);
		u->buf_len = taillen;
	}
	if (evidence_upload_offset(u) != u->db_size) {
		log_event(LOG_LEVEL_ERROR, "evidence_state_invalid",
		          json_pack("{s:s}", "id", u->id));
		goto done;
	}
	u->limit = config.evidence_max_bytes;
	if (u->upload_length >= 0)
		u->limit = (unsigned long long)u->upload_length;
	rc = DB_OK;
done:
	if (state != NULL) {
		explicit_bzero(state, statelen);
		free(state);
	}
	if (tail != NULL) {
		explicit_bzero(tail, taillen);
		free(tail);
	}
	db_result_free(q);
	return rc;
}

int
evidence_upload_resume(struct http_request *r, const char *id, struct api_res *res,
                       struct evidence_upload **out)
{
	struct evidence_resume_ctx s = {.r = r, .id = id, .res = res};
	int rc;

	*out = NULL;
	if ((s.u = evidence_upload_new(r)) == NULL)
		return DB_ERROR;
	rc = db_tx(&r->who, "evidence_resume", evidence_resume_tx, &s);
	if (rc != DB_OK) {
		evidence_upload_free(s.u);
		return rc;
	}
	*out = s.u;
	return DB_OK;
}

/* What one chunk write sends (progress, or with the completion). */
struct evidence_flush {
	struct evidence_upload *u;
	const unsigned char *sealed; /* the sealed chunk, or NULL (no chunk) */
	size_t sealed_len;
	int seq;
	unsigned long long new_size;
	char *state_param; /* sealed hash state (tus), or NULL */
	char *tail_param;  /* sealed tail (pause), or NULL */
	const char *sniffed;
	int vanished;
};

/* Insert the chunk (if any) and record the progress. */
static int
evidence_flush_rows(struct db_conn *c, struct evidence_flush *f)
{
	struct evidence_upload *u = f->u;
	char seqbuf[16], oldsize[24], newsize[24], count[16];
	struct db_result *q;
	enum db_status st;

	if (f->sealed != NULL) {
		const char *p[3] = {u->id, seqbuf, (const char *)f->sealed};
		int lens[3] = {-1, -1, (int)f->sealed_len};

		snprintf(seqbuf, sizeof(seqbuf), "%d", f->seq);
		if ((q = db_exec_bin(c, "evidence_chunk_put", 3, p, lens, 0, &st)) == NULL)
			return st;
		if (db_cmd_rows(q) != 1)
			f->vanished = 1;
		db_result_free(q);
		if (f->vanished)
			return DB_OK;
	}
	snprintf(oldsize, sizeof(oldsize), "%llu", u->db_size);
	snprintf(newsize, sizeof(newsize), "%llu", f->new_size);
	snprintf(count, sizeof(count), "%d", f->sealed != NULL ? f->seq + 1 : u->seq);
	{
		const char *p[7] = {u->id,          oldsize,       newsize,   count,
		                    f->state_param, f->tail_param, f->sniffed};

		if ((q = db_exec(c, "evidence_progress", 7, p, &st)) == NULL)
			return st;
	}
	if (db_cmd_rows(q) != 1)
		f->vanished = 1;
	db_result_free(q);
	return DB_OK;
}

static int
evidence_flush_tx(struct db_conn *c, void *arg)
{
	struct evidence_flush *f = arg;
	int rc;

	/*
	 * An intermediate chunk need not be durable on its own: the upload is
	 * invisible until the completing transaction, whose synchronous commit
	 * flushes the WAL of every earlier chunk too. A crash in between only
	 * loses part of an upload that the sweeper removes anyway (a paused
	 * resumable upload then reports a smaller offset, which tus allows).
	 */
	if ((rc = db_run(c, "evidence_async_commit", 0, NULL)) != DB_OK)
		return rc;
	rc = evidence_flush_rows(c, f);

	/* roll back a half-done write of a vanished upload */
	return rc == DB_OK && f->vanished ? API_FAIL : rc;
}

/* Sniff the type from the first chunk's plaintext (once). */
static void
evidence_sniff(struct evidence_upload *u, const unsigned char *buf, size_t len)
{
	if (u->sniffed_type[0] == '\0')
		snprintf(u->sniffed_type, sizeof(u->sniffed_type), "%s",
		         util_sniff_media_type(buf, len));
}

/*
 * Seal buf[0..len) as chunk seq of u (last or not) into *out (malloc'd).
 * Also feeds the hash, and sniffs the type from chunk 0. Returns 0 or -1.
 */
static int
evidence_seal_chunk(struct evidence_upload *u, const unsigned char *buf, size_t len, int seq,
                    int last, unsigned char **out, size_t *outlen)
{
	char aad[160];

	if (seq == 0)
		evidence_sniff(u, buf, len);
	if (crypto_sha256_stream_update(u->hash, buf, len) != 0)
		return -1;
	evidence_chunk_aad(aad, sizeof(aad), u->id, seq, last);
	return crypto_aead_seal(u->file_key, aad, strlen(aad), buf, len, out, outlen);
}

/* The sealed hash state at u->seq + 1 chunks (tus). NULL on failure. */
static char *
evidence_state_param(struct evidence_upload *u, int seq)
{
	unsigned char state[CRYPTO_SHA256_STATE_LEN];
	char what[48];
	char *p;

	if (crypto_sha256_stream_export(u->hash, state) != 0)
		return NULL;
	snprintf(what, sizeof(what), "hash_state/%d", seq);
	p = evidence_seal_param(u, what, state, sizeof(state));
	explicit_bzero(state, sizeof(state));
	return p;
}

/*
 * Make buf (EVIDENCE_CHUNK bytes) ready to be stored as non-last chunk
 * seq: hash it, seal it, and for a resumable upload seal the hash state
 * after it. Runs on the request's thread, in chunk order. On success f
 * owns f->sealed and f->state_param (evidence_flush_clear frees them).
 * Returns 0 or -1.
 */
static int
evidence_prepare_chunk(struct evidence_upload *u, const unsigned char *buf, int seq,
                       struct evidence_flush *f)
{
	unsigned char *sealed = NULL;

	memset(f, 0, sizeof(*f));
	f->u = u;
	f->seq = seq;
	if (evidence_seal_chunk(u, buf, EVIDENCE_CHUNK, seq, 0, &sealed, &f->sealed_len) != 0)
		return -1;
	f->sealed = sealed;
	f->new_size = (unsigned long long)(seq + 1) * EVIDENCE_CHUNK;
	f->sniffed = seq == 0 ? u->sniffed_type : NULL;
	if (u->tus && (f->state_param = evidence_state_param(u, seq + 1)) == NULL)
		return -1;
	return 0;
}

static void
evidence_flush_clear(struct evidence_flush *f)
{
	free((void *)f->sealed);
	free(f->state_param);
	f->sealed = NULL;
	f->state_param = NULL;
}

/*
 * Write a prepared chunk in one transaction on the calling thread's
 * connection (the request's thread, or the upload's writer thread; the
 * request's thread then leaves u->db_size alone until the writer is
 * idle). Returns 0, or -1 with *problem and *detail (static).
 */
static int
evidence_write_chunk(struct evidence_upload *u, struct evidence_flush *f,
                     enum problem_type *problem, const char **detail)
{
	*problem = PROBLEM_UNAVAILABLE;
	*detail = "The evidence could not be stored.";
	if (db_tx(&u->who, "evidence_flush", evidence_flush_tx, f) != DB_OK) {
		if (f->vanished) {
			*problem = PROBLEM_NOT_FOUND;
			*detail = "The upload no longer exists (expired, cancelled or changed "
			          "meanwhile).";
		}
		return -1;
	}
	u->db_size = f->new_size;
	return 0;
}

/* ---------------------------------------------------- the chunk writer */

/*
 * Large uploads write their chunks on a writer thread of their own (with
 * its own database connection), so that writing chunk n to PostgreSQL
 * overlaps with receiving, hashing and encrypting chunk n+1 on the
 * request's thread. The request's thread waits for the writer before
 * handing over the next sealed chunk, so memory stays at two chunks.
 * Small uploads, and any upload while EVIDENCE_MAX_WRITERS are busy,
 * write their chunks on the request's thread.
 */
#define EVIDENCE_MAX_WRITERS 16
#define EVIDENCE_WRITER_AFTER 2 /* chunks stored before a writer starts */

static int evidence_writers;

struct evidence_writer {
	struct evidence_upload *u;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct evidence_flush job; /* the sealed chunk being written (owned) */
	int busy;                  /* a chunk is handed over and not yet stored */
	int quit;
	int failed;
	enum problem_type problem;
	const char *detail;
};

static void *
evidence_writer_main(void *arg)
{
	struct evidence_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		enum problem_type problem = PROBLEM_UNAVAILABLE;
		const char *detail = NULL;
		int rc;

		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy && w->quit)
			break;
		pthread_mutex_unlock(&w->mu);
		rc = w->failed ? -1 : evidence_write_chunk(w->u, &w->job, &problem, &detail);
		evidence_flush_clear(&w->job);
		pthread_mutex_lock(&w->mu);
		if (rc != 0 && !w->failed) {
			w->failed = 1;
			w->problem = problem;
			w->detail = detail;
		}
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	db_thread_close();
	return NULL;
}

/* Start u's writer. Returns 0, or -1 (then chunks are stored in line). */
static int
evidence_writer_start(struct evidence_upload *u)
{
	struct evidence_writer *w;

	if (__atomic_add_fetch(&evidence_writers, 1, __ATOMIC_RELAXED) > EVIDENCE_MAX_WRITERS)
		goto refused;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto refused;
	w->u = u;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, evidence_writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		goto refused;
	}
	u->writer = w;
	return 0;
refused:
	__atomic_sub_fetch(&evidence_writers, 1, __ATOMIC_RELAXED);
	return -1;
}

/* Wait until the writer has stored what it was given. Returns 0, or -1 with its failure. */
static int
evidence_writer_wait(struct evidence_upload *u, enum problem_type *problem, const char **detail)
{
	struct evidence_writer *w = u->writer;
	int failed;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	failed = w->failed;
	if (failed && problem != NULL) {
		*problem = w->problem;
		*detail = w->detail;
	}
	pthread_mutex_unlock(&w->mu);
	return failed ? -1 : 0;
}

static void
evidence_writer_stop(struct evidence_upload *u)
{
	struct evidence_writer *w = u->writer;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	evidence_flush_clear(&w->job);
	free(w);
	u->writer = NULL;
	__atomic_sub_fetch(&evidence_writers, 1, __ATOMIC_RELAXED);
}

/* Store the full buffer as chunk u->seq (not the last). Returns 0, or -1 with *detail. */
static int
evidence_store_chunk(struct evidence_upload *u, enum problem_type *problem, const char **detail)
{
	struct evidence_flush f;
	struct evidence_writer *w;
	int rc;

	if (u->writer == NULL && u->seq >= EVIDENCE_WRITER_AFTER)
		(void)evidence_writer_start(u);
	/* the writer's previous chunk is written while this one is sealed */
	if (evidence_prepare_chunk(u, u->buf, u->seq, &f) != 0) {
		evidence_flush_clear(&f);
		*problem = PROBLEM_UNAVAILABLE;
		*detail = "The evidence could not be stored.";
		return -1;
	}
	if ((w = u->writer) == NULL) {
		rc = evidence_write_chunk(u, &f, problem, detail);
		evidence_flush_clear(&f);
		if (rc != 0)
			return -1;
	} else {
		if (evidence_writer_wait(u, problem, detail) != 0) {
			evidence_flush_clear(&f);
			return -1;
		}
		pthread_mutex_lock(&w->mu);
		w->job = f;
		w->busy = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	u->seq++;
	u->buf_len = 0;
	u->touched = time(NULL);
	return 0;
}

static int
evidence_touch_tx(struct db_conn *c, void *arg)
{
	const char *p[1] = {arg};

	return db_run(c, "evidence_touch", 1, p);
}

int
evidence_upload_data(struct evidence_upload *u, const char *data, size_t len,
                     enum problem_type *problem, const char **detail)
{
	if (evidence_upload_offset(u) + len > u->limit || evidence_upload_offset(u) + len < len) {
		if (u->tus && u->upload_length >= 0) {
			*problem = PROBLEM_INVALID_UPLOAD;
			*detail = "More bytes than the announced Upload-Length.";
		} else if (u->limit_is_quota) {
			*problem = PROBLEM_QUOTA_EXCEEDED;
			*detail = "The engagement's evidence quota would be exceeded.";
		} else {
			*problem = PROBLEM_PAYLOAD_TOO_LARGE;
			*detail = "The file is larger than the per-file limit.";
		}
		return -1;
	}
	while (len > 0) {
		size_t n;

		/* a full buffer is stored only once more data proves it is not the last */
		if (u->buf_len == EVIDENCE_CHUNK && evidence_store_chunk(u, problem, detail) != 0)
			return -1;
		n = EVIDENCE_CHUNK - u->buf_len;
		if (n > len)
			n = len;
		memcpy(u->buf + u->buf_len, data, n);
		u->buf_len += n;
		data += n;
		len -= n;
	}
	if (time(NULL) - u->touched >= EVIDENCE_TOUCH_SECONDS) {
		/* a slow sender is not a stale upload */
		u->touched = time(NULL);
		if (db_tx(&u->who, "evidence_touch", evidence_touch_tx, u->id) != DB_OK)
			log_event(LOG_LEVEL_WARN, "evidence_touch_failed",
			          json_pack("{s:s}", "id", u->id));
	}
	return 0;
}

struct evidence_finish_ctx {
	struct evidence_flush f;
	const char *name;
	struct api_res *res;
	json_t *receipt;
};

static int
evidence_finish_tx(struct db_conn *c, void *arg)
{
	struct evidence_finish_ctx *s = arg;
	struct evidence_upload *u = s->f.u;
	unsigned char digest[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 3], oldsize[24], size[24], count[16];
	const char *media;
	struct db_result *q = NULL;
	enum db_status st;
	long long used;
	int rc;

	if ((rc = evidence_flush_rows(c, &s->f)) != DB_OK)
		return rc;
	if (s->f.vanished)
		return api_fail(
		    s->res, PROBLEM_NOT_FOUND,
		    "The upload no longer exists (expired, cancelled or changed meanwhile).");
	/* the quota, once more, now that the size is final */
	{
		const char *p[1] = {u->engagement};

		if ((st = db_run(c, "evidence_lock_engagement", 1, p)) != DB_OK)
			return st;
	}
	if ((used = evidence_usage(c, u->engagement, u->id, &st)) < 0)
		return st != DB_OK ? st : DB_ERROR;
	if ((unsigned long long)used + s->f.new_size > config.evidence_quota_bytes)
		return api_fail(s->res, PROBLEM_QUOTA_EXCEEDED,
		                "The engagement's evidence quota would be exceeded.");
	if (crypto_sha256_stream_final(u->hash, digest) != 0)
		return DB_ERROR;
	hex[0] = '\\';
	hex[1] = 'x';
	util_hex_encode(digest, sizeof(digest), hex + 2);
	/* the sniffed type when it says something, else the declared one */
	media = u->sniffed_type;
	if ((strcmp(media, "application/octet-stream") == 0 || strcmp(media, "text/plain") == 0) &&
	    u->declared_type[0] != '\0')
		media = u->declared_type;
	snprintf(oldsize, sizeof(oldsize), "%llu", s->f.new_size); /* as just written */
	snprintf(size, sizeof(size), "%llu", s->f.new_size);
	snprintf(count, sizeof(count), "%d", s->f.seq + 1);
	{
		const char *p[9] = {u->id,
		                    oldsize,
		                    size,
		                    count,
		                    hex,
		                    media,
		                    u->sniffed_type,
		                    s->name != NULL ? s->name : u->name,
		                    u->declared_type[0] ? u->declared_type : NULL};

		if ((q = db_exec(c, "evidence_complete", 9, p, &st)) == NULL)
			return st;
	}
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(
		    s->res, PROBLEM_NOT_FOUND,
		    "The upload no longer exists (expired, cancelled or changed meanwhile).");
	}
	{
		struct http_request fr;

		evidence_fake_request(u, &fr);
		rc = api_audit(
		    c, &fr, "evidence.upload", "evidence", u->id, u->company, u->assessor,
		    json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "engagement", u->engagement, "name",
		              db_get(q, 0, 1), "sha256", db_get(q, 0, 3), "size",
		              (json_int_t)s->f.new_size, "media_type", db_get(q, 0, 4), "mode",
		              u->tus ? "resumable" : "stream"));
	}
	if (rc == DB_OK && (s->receipt = evidence_receipt_signed(q, 0)) == NULL)
		rc = DB_ERROR;
	db_result_free(q);
	return rc;
}

int
evidence_upload_finish(struct evidence_upload *u, const char *name, struct api_res *res,
                       json_t **receipt)
{
	struct evidence_finish_ctx s = {.f = {.u = u, .seq = u->seq}, .name = name, .res = res};
	unsigned char *sealed = NULL;
	int rc;

	*receipt = NULL;
	if (evidence_writer_wait(u, NULL, NULL) != 0)
		return api_fail(res, PROBLEM_UNAVAILABLE, "The evidence could not be stored.");
	if (evidence_seal_chunk(u, u->buf, u->buf_len, u->seq, 1, &sealed, &s.f.sealed_len) != 0)
		return DB_ERROR;
	s.f.sealed = sealed;
	s.f.new_size = evidence_upload_offset(u);
	s.f.sniffed = u->sniffed_type;
	rc = db_tx(&u->who, "evidence_finish", evidence_finish_tx, &s);
	free(sealed);
	if (rc == DB_OK) {
		u->finished = 1;
		u->db_size = s.f.new_size;
		*receipt = s.receipt;
	} else
		json_decref(s.receipt);
	return rc;
}

int
evidence_upload_pause(struct evidence_upload *u)
{
	struct evidence_flush f = {.u = u, .seq = u->seq};
	char what[48];
	int rc;

	if (u->finished)
		return 0;
	if (evidence_writer_wait(u, NULL, NULL) != 0)
		return -1;
	f.new_size = evidence_upload_offset(u);
	if (f.new_size == u->db_size)
		return 0; /* nothing new since the last chunk */
	snprintf(what, sizeof(what), "tail/%d", u->seq);
	if ((f.tail_param = evidence_seal_param(u, what, u->buf, u->buf_len)) == NULL)
		return -1;
	if (u->seq > 0 && (f.state_param = evidence_state_param(u, u->seq)) == NULL) {
		free(f.tail_param);
		return -1;
	}
	rc = db_tx(&u->who, "evidence_flush", evidence_flush_tx, &f);
	free(f.tail_param);
	free(f.state_param);
	if (rc != DB_OK)
		return -1;
	u->db_size = f.new_size;
	return 0;
}

static int
evidence_discard_tx(struct db_conn *c, void *arg)
{
	const char *p[1] = {arg};

	return db_run(c, "evidence_discard", 1, p);
}

int
evidence_upload_discard(struct evidence_upload *u)
{
	if (u->finished)
		return 0;
	evidence_writer_stop(u);
	return db_tx(&u->who, "evidence_discard", evidence_discard_tx, u->id) == DB_OK ? 0 : -1;
}

/* ------------------------------------------------------------- reading */

int
evidence_file_key(struct db_conn *c, const struct db_result *res, int row,
                  unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char ekey[CRYPTO_KEY_LEN];
	unsigned char *wrapped = NULL, *pt = NULL;
	size_t wlen = 0, ptlen = 0;
	const char *id = db_get(res, row, 0);
	char aad[160];
	int rc, ret = -1;

	if ((rc = api_engagement_key(c, db_get(res, row, 5), ekey)) != 0)
		return rc;
	evidence_aad(aad, sizeof(aad), id, "file_key");
	if ((wrapped = db_get_bytea(res, row, 12, &wlen)) == NULL ||
	    crypto_aead_open(ekey, aad, strlen(aad), wrapped, wlen, &pt, &ptlen) != 0 ||
	    ptlen != CRYPTO_KEY_LEN) {
		log_event(LOG_LEVEL_ERROR, "evidence_key_unwrap_failed",
		          json_pack("{s:s}", "id", id));
		goto done;
	}
	memcpy(key, pt, CRYPTO_KEY_LEN);
	ret = 0;
done:
	explicit_bzero(ekey, sizeof(ekey));
	if (pt != NULL) {
		explicit_bzero(pt, ptlen);
		free(pt);
	}
	free(wrapped);
	return ret;
}

struct evidence_chunk_ctx {
	const char *id;
	int seq;
	struct db_result *q;
	int gone; /* the evidence itself was deleted meanwhile */
};

static int
evidence_chunk_tx(struct db_conn *c, void *arg)
{
	struct evidence_chunk_ctx *s = arg;
	char seqbuf[16];
	const char *p[2] = {s->id, seqbuf};
	enum db_status st;

	snprintf(seqbuf, sizeof(seqbuf), "%d", s->seq);
	db_result_free(s->q);
	s->gone = 0;
	if ((s->q = db_exec_bin(c, "evidence_chunk_get", 2, p, NULL, 1, &st)) == NULL)
		return st;
	if (db_rows(s->q) == 0) {
		/* a missing chunk of a file that still exists is damage; of a
		 * file deleted while it was being downloaded, it is not */
		struct db_result *e = db_exec(c, "evidence_get", 1, p, &st);

		if (e == NULL)
			return st;
		s->gone = db_rows(e) == 0;
		db_result_free(e);
	}
	return DB_OK;
}

int
evidence_chunk_read(const struct util_identity *who, const char *id, int seq, int nchunks,
                    unsigned long long size, const unsigned char key[CRYPTO_KEY_LEN],
                    unsigned char *out, size_t *len, int *integrity)
{
	struct evidence_chunk_ctx s = {.id = id, .seq = seq};
	const unsigned char *ct;
	unsigned char *pt = NULL;
	size_t ctlen = 0, ptlen = 0, want;
	char aad[160];
	int last = seq == nchunks - 1, ret = -1;

	*integrity = 0;
	*len = 0;
	if (db_tx(who, "evidence_chunk", evidence_chunk_tx, &s) != DB_OK || s.gone)
		goto done;
	*integrity = 1;
	if (db_rows(s.q) != 1 || (ct = db_get_raw(s.q, 0, 0, &ctlen)) == NULL)
		goto done;
	evidence_chunk_aad(aad, sizeof(aad), id, seq, last);
	if (crypto_aead_open(key, aad, strlen(aad), ct, ctlen, &pt, &ptlen) != 0)
		goto done;
	want = last ? (size_t)(size - (unsigned long long)seq * EVIDENCE_CHUNK) : EVIDENCE_CHUNK;
	if (ptlen != want)
		goto done;
	memcpy(out, pt, ptlen);
	*len = ptlen;
	*integrity = 0;
	ret = 0;
done:
	if (pt != NULL) {
		explicit_bzero(pt, ptlen);
		free(pt);
	}
	db_result_free(s.q);
	return ret;
}

/* ------------------------------------------------------------ receipts */

/* RFC 7638 thumbprint of the signing key's JWK, base64url, into out (44 bytes). */
static int
evidence_key_id(const struct crypto_signer *s, char out[64])
{
	unsigned char pub[CRYPTO_ED25519_PUB_LEN], digest[CRYPTO_SHA256_LEN];
	char x[64], jwk[128];

	crypto_signer_public(s, pub);
	util_b64url_encode(pub, sizeof(pub), x);
	snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	if (crypto_sha256(jwk, strlen(jwk), digest) != 0)
		return -1;
	util_b64url_encode(digest, sizeof(digest), out);
	return 0;
}

json_t *
evidence_receipt_signed(const struct db_result *res, int row)
{
	const struct crypto_signer *signer = api_signer();
	unsigned char sig[CRYPTO_ED25519_SIG_LEN];
	char b64[4 * ((CRYPTO_ED25519_SIG_LEN + 2) / 3) + 1], kid[64];
	json_t *receipt, *out = NULL;
	long long size = 0;
	char *canon = NULL;
	size_t clen = 0;

	if (signer == NULL)
		return NULL;
	util_strnum(db_get(res, row, 2), 0, 0x7fffffffffffffffLL, &size);
	receipt =
	    json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "id", db_get(res, row, 0), "name",
	              db_get(res, row, 1), "size", (json_int_t)size, "sha256", db_get(res, row, 3),
	              "media_type", db_get(res, row, 4), "engagement", db_get(res, row, 5),
	              "uploaded_by", db_get(res, row, 6), "uploaded_at", db_get(res, row, 7));
	if (receipt == NULL || (canon = publish_canonical(receipt, &clen)) == NULL ||
	    crypto_sign(signer, canon, clen, sig) != 0 || evidence_key_id(signer, kid) != 0)
		goto done;
	util_b64_encode(sig, sizeof(sig), b64);
	/* o steals receipt */
	out = json_pack("{s:o, s:s, s:s, s:s}", "receipt", receipt, "signature", b64, "algorithm",
	                "Ed25519", "key_id", kid);
	receipt = NULL;
done:
	json_decref(receipt);
	free(canon);
	return out;
}

json_t *
evidence_json(const struct db_result *res, int row)
{
	long long size = 0;

	util_strnum(db_get(res, row, 2), 0, 0x7fffffffffffffffLL, &size);
	return json_pack(
	    "{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o}", "id", db_get(res, row, 0),
	    "name", db_get(res, row, 1), "size", (json_int_t)size, "sha256", db_get(res, row, 3),
	    "media_type", db_get(res, row, 4), "declared_type",
	    db_is_null(res, row, 8) ? json_null() : json_string(db_get(res, row, 8)),
	    "sniffed_type",
	    db_is_null(res, row, 9) ? json_null() : json_string(db_get(res, row, 9)), "engagement",
	    db_get(res, row, 5), "uploaded_by", db_get(res, row, 6), "uploaded_at",
	    db_get(res, row, 7), "finding",
	    db_is_null(res, row, 10) ? json_null() : json_string(db_get(res, row, 10)));
}

/* ------------------------------------------------------------- sweeper */

static int
evidence_sweep_tx(struct db_conn *c, void *arg)
{
	int *removed = arg;
	char stream_age[16], tus_age[16], limit[16];
	const char *p[3] = {stream_age, tus_age, limit};
	struct db_result *q;
	enum db_status st;
	long long n = 0;

	snprintf(stream_age, sizeof(stream_age), "%u", config.evidence_stream_stale);
	snprintf(tus_age, sizeof(tus_age), "%u", config.evidence_upload_expiry);
	snprintf(limit, sizeof(limit), "%d", EVIDENCE_SWEEP_BATCH);
	if ((q = db_exec(c, "evidence_sweep", 3, p, &st)) == NULL)
		return st;
	util_strnum(db_get(q, 0, 0), 0, 1000000, &n);
	db_result_free(q);
	*removed = (int)n;
	return DB_OK;
}

int
evidence_sweep(void)
{
	int total = 0;

	/* bounded: a few batches per run, the rest next time */
	for (int round = 0; round < EVIDENCE_SWEEP_ROUNDS; round++) {
		int removed = 0;

		if (db_tx(NULL, "evidence_sweep", evidence_sweep_tx, &removed) != DB_OK)
			return -1;
		total += removed;
		if (removed < EVIDENCE_SWEEP_BATCH)
			break;
	}
	if (total > 0)
		log_event(LOG_LEVEL_INFO, "evidence_swept", json_pack("{s:i}", "uploads", total));
	return total;
}

static pthread_t evidence_sweeper;
static pthread_mutex_t evidence_sweeper_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t evidence_sweeper_cv = PTHREAD_COND_INITIALIZER;
static int evidence_sweeper_running;
static int evidence_sweeper_quit;

static void *
evidence_sweeper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&evidence_sweeper_mu);
	while (!evidence_sweeper_quit) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += config.evidence_sweep_interval;
		while (!evidence_sweeper_quit &&
		       pthread_cond_timedwait(&evidence_sweeper_cv, &evidence_sweeper_mu, &until) ==
		           0)
			;
		if (evidence_sweeper_quit)
			break;
		pthread_mutex_unlock(&evidence_sweeper_mu);
		(void)evidence_sweep();
		pthread_mutex_lock(&evidence_sweeper_mu);
	}
	pthread_mutex_unlock(&evidence_sweeper_mu);
	db_thread_close();
	return NULL;
}

int
evidence_sweeper_start(void)
{
	(void)evidence_sweep(); /* what a previous run left behind */
	db_thread_close();      /* the caller's thread serves no requests */
	evidence_sweeper_quit = 0;
	if (pthread_create(&evidence_sweeper, NULL, evidence_sweeper_main, NULL) != 0)
		return -1;
	evidence_sweeper_running = 1;
	return 0;
}

void
evidence_sweeper_stop(void)
{
	if (!evidence_sweeper_running)
		return;
	pthread_mutex_lock(&evidence_sweeper_mu);
	evidence_sweeper_quit = 1;
	pthread_cond_signal(&evidence_sweeper_cv);
	pthread_mutex_unlock(&evidence_sweeper_mu);
	pthread_join(evidence_sweeper, NULL);
	evidence_sweeper_running = 0;
}

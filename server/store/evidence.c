/*
 * store/evidence.c: the evidence store (see evidence.h): upload state
 * machine, chunk sealing and opening, and the sweeper. Its SQL is here;
 * every column it reads is bound by name (struct db_field).
 */
#include "config.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "db/locks.h"
#include "store/evidence.h"
#include "store/tables.h"
#include "util/log.h"
#include "util/util.h"

#define EVIDENCE_TOUCH_SECONDS 10
#define EVIDENCE_SWEEP_BATCH 100
#define EVIDENCE_SWEEP_ROUNDS 20

/* ------------------------------------------------------------ the SQL */

#define EVIDENCE_COLS                                                                              \
	"id, name, size, encode(sha256, 'hex') AS sha256, media_type, engagement_id, uploaded_by," \
	" ls_ts(uploaded_at) AS uploaded_at, declared_type, sniffed_type, finding_id, "            \
	"chunk_count,"                                                                             \
	" file_key, company_org_id, assessor_org_id"

#define E struct store_evidence
#define EVIDENCE_FIELDS(P)                                                                         \
	DB_FIELD(DB_T_STR, P, id, "id"), DB_FIELD(DB_T_TEXT, P, name, "name"),                     \
	    DB_FIELD(DB_T_INT, P, size, "size"), DB_FIELD(DB_T_STR, P, sha256, "sha256"),          \
	    DB_FIELD(DB_T_STR, P, engagement_id, "engagement_id"),                                 \
	    DB_FIELD(DB_T_STR, P, company_org_id, "company_org_id"),                               \
	    DB_FIELD(DB_T_STR, P, assessor_org_id, "assessor_org_id")
static const struct db_field evidence_row[] = {
    EVIDENCE_FIELDS(E),
    DB_FIELD(DB_T_TEXT, E, media_type, "media_type"),
    DB_FIELD(DB_T_STR, E, uploaded_by, "uploaded_by"),
    DB_FIELD(DB_T_STR, E, uploaded_at, "uploaded_at"),
    DB_FIELD(DB_T_TEXT, E, declared_type, "declared_type"),
    DB_FIELD(DB_T_TEXT, E, sniffed_type, "sniffed_type"),
    DB_FIELD(DB_T_TEXT, E, finding_id, "finding_id"),
    DB_FIELD(DB_T_INT, E, chunk_count, "chunk_count"),
    DB_FIELD(DB_T_BYTEA, E, file_key, "file_key"),
    DB_FIELD_END};
/* what evidence_delete() reports of the row it removed */
static const struct db_field deleted_row[] = {EVIDENCE_FIELDS(E), DB_FIELD_END};
#undef E

/* an upload in progress: the evidence columns and its resumable state */
struct evidence_upload_row {
	struct store_evidence e;
	long long upload_length; /* -1 when not announced */
	struct db_bytes hash_state;
	struct db_bytes tail;
	char kind[16];
};
#define U struct evidence_upload_row
static const struct db_field upload_row[] = {
    DB_FIELD(DB_T_STR, U, e.id, "id"),
    DB_FIELD(DB_T_TEXT, U, e.name, "name"),
    DB_FIELD(DB_T_INT, U, e.size, "size"),
    DB_FIELD(DB_T_STR, U, e.engagement_id, "engagement_id"),
    DB_FIELD(DB_T_STR, U, e.company_org_id, "company_org_id"),
    DB_FIELD(DB_T_STR, U, e.assessor_org_id, "assessor_org_id"),
    DB_FIELD(DB_T_TEXT, U, e.declared_type, "declared_type"),
    DB_FIELD(DB_T_TEXT, U, e.sniffed_type, "sniffed_type"),
    DB_FIELD(DB_T_INT, U, e.chunk_count, "chunk_count"),
    DB_FIELD(DB_T_BYTEA, U, e.file_key, "file_key"),
    DB_FIELD(DB_T_INT, U, upload_length, "upload_length"),
    DB_FIELD(DB_T_BYTEA, U, hash_state, "hash_state"),
    DB_FIELD(DB_T_BYTEA, U, tail, "tail"),
    DB_FIELD(DB_T_STR, U, kind, "kind"),
    DB_FIELD_END};
#undef U

/* one number or flag */
struct evidence_value {
	long long n;
	int flag;
};
static const struct db_field count_row[] = {DB_FIELD(DB_T_INT, struct evidence_value, n, "n"),
                                            DB_FIELD_END};
static const struct db_field flag_row[] = {DB_FIELD(DB_T_BOOL, struct evidence_value, flag, "flag"),
                                           DB_FIELD_END};
/* the chunk's column, read raw from a binary result (evidence_chunk_read) */
struct evidence_chunk_col {
	struct db_bytes data;
};
static const struct db_field chunk_row[] = {
    DB_FIELD(DB_T_BYTEA, struct evidence_chunk_col, data, "data"), DB_FIELD_END};

const struct db_statement store_evidence_statements[] = {
    {"evidence_lock_user",
     "SELECT pg_advisory_xact_lock(" DB_LOCK_EVIDENCE_USER ", hashtext(ls_uid()::text))", NULL},
    {"evidence_lock_engagement",
     "SELECT pg_advisory_xact_lock(" DB_LOCK_EVIDENCE_ENGAGEMENT ", hashtext($1))", NULL},
    {"evidence_uploads_count",
     "SELECT count(*) AS n FROM evidence WHERE uploaded_by = ls_uid() AND state = 'uploading'"
     " AND last_activity > now() - make_interval(secs => CASE WHEN kind = 'tus'"
     " THEN $1::int ELSE $2::int END)",
     count_row},
    /* SECURITY DEFINER (0004): every user's uploads in progress count, not
     * only the caller's (row-level security shows a user only their own) */
    {"evidence_engagement_usage", "SELECT evidence_engagement_usage($1::uuid, $2::uuid) AS n",
     count_row},
    {"evidence_finding_check",
     "SELECT 1 FROM findings WHERE id = $1::uuid AND engagement_id = $2::uuid", NULL},
    {"evidence_create",
     "INSERT INTO evidence (id, engagement_id, company_org_id, assessor_org_id, finding_id, name,"
     " media_type, size, file_key, uploaded_by, uploader_org, state, kind, declared_type,"
     " upload_length) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6,"
     " 'application/octet-stream', 0, $7::bytea, ls_uid(), ls_org(), 'uploading', $8, $9,"
     " $10::bigint)",
     NULL},
    {"evidence_async_commit", "SELECT set_config('synchronous_commit', 'off', true)", NULL},
    {"evidence_chunk_put",
     "INSERT INTO evidence_chunks (evidence_id, seq, engagement_id, company_org_id,"
     " assessor_org_id, data) SELECT id, $2::int, engagement_id, company_org_id, assessor_org_id,"
     " $3::bytea FROM evidence WHERE id = $1::uuid AND state = 'uploading'",
     NULL},
    {"evidence_progress",
     "UPDATE evidence SET size = $3::bigint, chunk_count = $4::int, hash_state = $5::bytea,"
     " tail = $6::bytea, sniffed_type = coalesce($7, sniffed_type), last_activity = now()"
     " WHERE id = $1::uuid AND state = 'uploading' AND size = $2::bigint",
     NULL},
    {"evidence_touch",
     "UPDATE evidence SET last_activity = now() WHERE id = $1::uuid AND state = 'uploading'", NULL},
    {"evidence_complete",
     "UPDATE evidence SET state = 'complete', size = $3::bigint, chunk_count = $4::int,"
     " sha256 = $5::bytea, media_type = $6, sniffed_type = $7, name = $8,"
     " declared_type = coalesce($9, declared_type), hash_state = NULL,"
     " tail = NULL, uploaded_at = now(), last_activity = now()"
     " WHERE id = $1::uuid AND state = 'uploading' AND size = $2::bigint RETURNING " EVIDENCE_COLS,
     evidence_row},
    {"evidence_get",
     "SELECT " EVIDENCE_COLS " FROM evidence WHERE id = $1::uuid AND state = 'complete'",
     evidence_row},
    {"evidence_list",
     "SELECT " EVIDENCE_COLS " FROM evidence WHERE engagement_id = $1::uuid AND state = 'complete'"
     " AND ($2::uuid IS NULL OR (evidence.uploaded_at, evidence.id) >"
     " (SELECT t.uploaded_at, t.id FROM evidence t WHERE t.id = $2::uuid))"
     " ORDER BY evidence.uploaded_at, evidence.id LIMIT $3::int",
     evidence_row},
    {"evidence_upload_get",
     "SELECT id, name, size, engagement_id, company_org_id, assessor_org_id, declared_type,"
     " sniffed_type, chunk_count, file_key, coalesce(upload_length, -1) AS upload_length,"
     " hash_state, tail, kind"
     " FROM evidence WHERE id = $1::uuid AND state = 'uploading' AND uploaded_by = ls_uid()",
     upload_row},
    {"evidence_chunk_get",
     "SELECT data FROM evidence_chunks WHERE evidence_id = $1::uuid AND seq = $2::int", chunk_row},
    {"evidence_delete",
     "SELECT id, engagement_id, company_org_id, assessor_org_id, name, size,"
     " encode(sha256, 'hex') AS sha256 FROM evidence_delete($1::uuid)",
     deleted_row},
    {"evidence_discard", "SELECT evidence_discard($1::uuid) AS flag", flag_row},
    {"evidence_sweep", "SELECT evidence_sweep($1::int, $2::int, $3::int) AS n", count_row},
    {NULL, NULL, NULL}};

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
	/* controls (tab too), line breaks, bidi controls (util/utf8.h), slashes */
	for (const unsigned char *p = (const unsigned char *)name; *p; p += n)
		if (util_utf8_class(p, &n) != UTIL_CP_OTHER || *p == '\t' || *p == '/' ||
		    *p == '\\')
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

/* -------------------------------------------------------------- sealing */

/* "chunk/<seq>/<last|more>": the AAD column of a chunk. */
static void
evidence_chunk_column(char out[48], int seq, int last)
{
	snprintf(out, 48, "chunk/%d/%s", seq, last ? "last" : "more");
}

/* Seal a small value of u under its file key. Returns a bytea param (malloc'd) or NULL. */
static char *
evidence_seal_param(const struct evidence_upload *u, const char *what, const void *pt, size_t len)
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char *param = NULL;

	if (store_seal_bytes(u->file_key, "evidence", u->id, what, pt, len, &ct, &ctlen) == 0)
		param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

/* Open a sealed column value of u. Returns malloc'd plaintext (caller wipes+frees) or NULL. */
static unsigned char *
evidence_open_col(const struct evidence_upload *u, const char *what, const struct db_bytes *ct,
                  size_t *len)
{
	unsigned char *pt = NULL;

	if (store_open_bytes(u->file_key, "evidence", u->id, what, ct->p, ct->len, &pt, len) != 0)
		return NULL;
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
	store_secret_free(u->buf, EVIDENCE_CHUNK);
	explicit_bzero(u, sizeof(*u));
	free(u);
}

static struct evidence_upload *
evidence_upload_new(const struct util_identity *who, const char *addr)
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
	u->who = *who;
	snprintf(u->addr, sizeof(u->addr), "%s", addr ? addr : "");
	u->upload_length = -1;
	u->touched = time(NULL);
	return u;
}

unsigned long long
evidence_upload_offset(const struct evidence_upload *u)
{
	return (unsigned long long)u->seq * EVIDENCE_CHUNK + u->buf_len;
}

/* Append an audit event of u's uploader; detail is stolen. DB_OK or a db_status. */
static int
evidence_audit(struct db_conn *c, const struct evidence_upload *u, const char *action,
               json_t *detail)
{
	char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	int rc;

	json_decref(detail);
	if (text == NULL)
		return DB_ERROR;
	rc = store_audit_append(c, action, "evidence", u->id, u->company, u->assessor, text,
	                        u->addr);
	free(text);
	return rc;
}

/* Run a statement whose one row holds one number "n". DB_OK with *n, or a db_status. */
static int
evidence_number(struct db_conn *c, const char *name, int np, const char *const *p, long long *n)
{
	struct evidence_value v = {0, 0};
	int rc = store_one(c, name, np, p, count_row, &v);

	*n = v.n;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

struct evidence_start_ctx {
	struct evidence_upload *u;
	const char *finding;
	enum evidence_error err; /* the result, with EVIDENCE_REFUSED */
};

/* Refuse with err: EVIDENCE_REFUSED for "return evidence_refuse(...)". */
static int
evidence_refuse(enum evidence_error *out, enum evidence_error err)
{
	*out = err;
	return EVIDENCE_REFUSED;
}

/* Bytes the engagement already uses, other than upload `except`. DB_OK or a db_status. */
static int
evidence_usage(struct db_conn *c, const char *engagement, const char *except, long long *used)
{
	const char *p[2] = {engagement, except};

	return evidence_number(c, "evidence_engagement_usage", 2, p, used);
}

/* Is who the company or the assessor of engagement e? */
static int
evidence_participant(const struct util_identity *who, const struct store_engagement *e)
{
	return (strcmp(who->org_kind, "company") == 0 &&
	        strcmp(e->company_org_id, who->org_id) == 0) ||
	       (strcmp(who->org_kind, "assessor") == 0 &&
	        strcmp(e->assessor_org_id, who->org_id) == 0);
}

static int
evidence_start_tx(struct db_conn *c, void *arg)
{
	struct evidence_start_ctx *s = arg;
	struct evidence_upload *u = s->u;
	struct store_engagement e = {0};
	unsigned char ekey[CRYPTO_KEY_LEN];
	unsigned char *wrapped = NULL;
	size_t wlen = 0;
	char tus_age[16], stream_age[16], lenbuf[24];
	char *wrapped_param = NULL;
	long long count = 0, used = 0;
	int rc, ok;

	s->err = EVIDENCE_E_NONE;
	if ((rc = store_engagement_get(c, u->engagement, &e)) != DB_OK)
		return rc == STORE_NONE ? evidence_refuse(&s->err, EVIDENCE_E_NOT_FOUND) : rc;
	ok = evidence_participant(&u->who, &e);
	memcpy(u->company, e.company_org_id, sizeof(u->company));
	memcpy(u->assessor, e.assessor_org_id, sizeof(u->assessor));
	store_engagement_clear(&e);
	if (!ok)
		return evidence_refuse(&s->err, EVIDENCE_E_NOT_FOUND);
	if (s->finding != NULL) {
		const char *p[2] = {s->finding, u->engagement};
		struct db_result *q;
		enum db_status st;

		if ((q = db_exec(c, "evidence_finding_check", 2, p, &st)) == NULL)
			return st;
		rc = db_rows(q);
		db_result_free(q);
		if (rc != 1)
			return evidence_refuse(&s->err, EVIDENCE_E_FINDING);
	}
	/* uploads in progress, counted under a per-user lock */
	if ((rc = db_run(c, "evidence_lock_user", 0, NULL)) != DB_OK)
		return rc;
	snprintf(tus_age, sizeof(tus_age), "%u", config.evidence_upload_expiry);
	snprintf(stream_age, sizeof(stream_age), "%u", config.evidence_stream_stale);
	{
		const char *p[2] = {tus_age, stream_age};

		/* an unreadable count must not let the limit go unenforced */
		if ((rc = evidence_number(c, "evidence_uploads_count", 2, p, &count)) != DB_OK)
			return rc;
	}
	if (count >= (long long)config.evidence_max_uploads)
		return evidence_refuse(&s->err, EVIDENCE_E_TOO_MANY);
	/* quota */
	{
		const char *p[1] = {u->engagement};

		if ((rc = db_run(c, "evidence_lock_engagement", 1, p)) != DB_OK)
			return rc;
	}
	if ((rc = evidence_usage(c, u->engagement, u->id, &used)) != DB_OK)
		return rc;
	assert(used >= 0);
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
		return evidence_refuse(&s->err,
		                       u->limit_is_quota ? EVIDENCE_E_QUOTA : EVIDENCE_E_TOO_LARGE);

	/* a fresh file key, wrapped under the engagement key */
	if ((rc = store_engagement_key(c, u->engagement, ekey)) != DB_OK)
		return rc == STORE_NONE ? evidence_refuse(&s->err, EVIDENCE_E_NOT_FOUND) : rc;
	rc = DB_ERROR;
	if (crypto_random(u->file_key, sizeof(u->file_key)) != 0 ||
	    store_seal_bytes(ekey, "evidence", u->id, "file_key", u->file_key, sizeof(u->file_key),
	                     &wrapped, &wlen) != 0 ||
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

		rc = db_run(c, "evidence_create", 10, p);
	}
done:
	explicit_bzero(ekey, sizeof(ekey));
	free(wrapped);
	free(wrapped_param);
	return rc;
}

int
evidence_upload_start(const struct util_identity *who, const char *addr, const char *id,
                      const char *engagement_id, const char *finding, const char *name,
                      const char *declared_type, long long length, int tus,
                      enum evidence_error *err, struct evidence_upload **out)
{
	struct evidence_start_ctx s = {.finding = finding};
	struct evidence_upload *u;
	int rc;

	*out = NULL;
	*err = EVIDENCE_E_NONE;
	if ((u = evidence_upload_new(who, addr)) == NULL)
		return DB_ERROR;
	snprintf(u->id, sizeof(u->id), "%s", id);
	snprintf(u->engagement, sizeof(u->engagement), "%s", engagement_id);
	snprintf(u->name, sizeof(u->name), "%s", name);
	evidence_declared_type(declared_type, u->declared_type, sizeof(u->declared_type));
	u->upload_length = length;
	u->tus = tus;
	s.u = u;
	rc = db_tx(who, "evidence_start", evidence_start_tx, &s);
	if (rc != DB_OK) {
		*err = s.err;
		evidence_upload_free(u);
		return rc;
	}
	*out = u;
	return DB_OK;
}

struct evidence_resume_ctx {
	const char *id;
	struct evidence_upload *u;
	enum evidence_error err;
};

static int
evidence_resume_tx(struct db_conn *c, void *arg)
{
	struct evidence_resume_ctx *s = arg;
	struct evidence_upload *u = s->u;
	const char *p[1] = {s->id};
	struct evidence_upload_row row;
	unsigned char *state = NULL, *tail = NULL;
	size_t statelen = 0, taillen = 0;
	char what[64];
	int rc;

	s->err = EVIDENCE_E_NONE;
	memset(&row, 0, sizeof(row));
	if ((rc = store_one(c, "evidence_upload_get", 1, p, upload_row, &row)) != DB_OK)
		return rc == STORE_NONE ? evidence_refuse(&s->err, EVIDENCE_E_NOT_FOUND) : rc;
	snprintf(u->id, sizeof(u->id), "%s", row.e.id);
	snprintf(u->name, sizeof(u->name), "%s", row.e.name);
	snprintf(u->engagement, sizeof(u->engagement), "%s", row.e.engagement_id);
	snprintf(u->declared_type, sizeof(u->declared_type), "%s",
	         row.e.declared_type ? row.e.declared_type : "");
	snprintf(u->sniffed_type, sizeof(u->sniffed_type), "%s",
	         row.e.sniffed_type ? row.e.sniffed_type : "");
	memcpy(u->company, row.e.company_org_id, sizeof(u->company));
	memcpy(u->assessor, row.e.assessor_org_id, sizeof(u->assessor));
	u->tus = strcmp(row.kind, "tus") == 0;
	if (!u->tus) {
		/* a streamed upload in progress belongs to its connection */
		rc = evidence_refuse(&s->err, EVIDENCE_E_NOT_FOUND);
		goto done;
	}
	rc = DB_ERROR;
	if (row.e.size < 0 || row.e.chunk_count < 0 || row.e.chunk_count > 0x7fffffff)
		goto done;
	u->db_size = (unsigned long long)row.e.size;
	u->seq = (int)row.e.chunk_count;
	u->upload_length = row.upload_length;
	if ((rc = evidence_file_key(c, &row.e, u->file_key)) != DB_OK) {
		if (rc == STORE_NONE)
			rc = evidence_refuse(&s->err, EVIDENCE_E_NOT_FOUND);
		goto done;
	}
	rc = DB_ERROR;
	/* the hash state and the tail: a fresh hash each try, so a retry starts clean */
	crypto_sha256_stream_free(u->hash);
	if ((u->hash = crypto_sha256_stream_new()) == NULL)
		goto done;
	u->buf_len = 0;
	if (u->seq > 0) {
		snprintf(what, sizeof(what), "hash_state/%d", u->seq);
		state = evidence_open_col(u, what, &row.hash_state, &statelen);
		if (state == NULL || statelen != CRYPTO_SHA256_STATE_LEN ||
		    crypto_sha256_stream_import(u->hash, state) != 0) {
			log_event(LOG_LEVEL_ERROR, "evidence_state_invalid",
			          json_pack("{s:s}", "id", u->id));
			goto done;
		}
	}
	if (row.tail.p != NULL) {
		snprintf(what, sizeof(what), "tail/%d", u->seq);
		tail = evidence_open_col(u, what, &row.tail, &taillen);
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
	store_secret_free(state, statelen);
	store_secret_free(tail, taillen);
	db_row_clear(upload_row, &row);
	return rc;
}

int
evidence_upload_resume(const struct util_identity *who, const char *addr, const char *id,
                       enum evidence_error *err, struct evidence_upload **out)
{
	struct evidence_resume_ctx s = {.id = id};
	int rc;

	*out = NULL;
	*err = EVIDENCE_E_NONE;
	if ((s.u = evidence_upload_new(who, addr)) == NULL)
		return DB_ERROR;
	rc = db_tx(who, "evidence_resume", evidence_resume_tx, &s);
	if (rc != DB_OK) {
		*err = s.err;
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
	int durable;  /* commit synchronously: an offset the client is told (pause) */
	int vanished; /* the result: the upload row was gone or changed */
};

/* Insert the chunk (if any) and record the progress. */
static int
evidence_flush_rows(struct db_conn *c, struct evidence_flush *f)
{
	struct evidence_upload *u = f->u;
	char seqbuf[16], oldsize[24], newsize[24], count[16];
	struct db_result *q;
	enum db_status st;

	f->vanished = 0;
	if (f->sealed != NULL) {
		const char *p[3] = {u->id, seqbuf, (const char *)f->sealed};
		int lens[3] = {-1, -1, (int)f->sealed_len};

		assert(f->sealed_len <= EVIDENCE_CHUNK + 64);
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

/* A positive code: the upload vanished, roll back. */
#define EVIDENCE_VANISHED 4

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
	 * A pause (the end of a PATCH, whose answer tells the client the
	 * offset) commits synchronously: on a synchronous standby too, so an
	 * acknowledged offset survives a fail-over (docs/DEPLOY.md).
	 */
	if (!f->durable && (rc = db_run(c, "evidence_async_commit", 0, NULL)) != DB_OK)
		return rc;
	f->u->unsynced = !f->durable;
	rc = evidence_flush_rows(c, f);

	/* roll back a half-done write of a vanished upload */
	return rc == DB_OK && f->vanished ? EVIDENCE_VANISHED : rc;
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
	char what[48];

	if (seq == 0)
		evidence_sniff(u, buf, len);
	if (crypto_sha256_stream_update(u->hash, buf, len) != 0)
		return -1;
	evidence_chunk_column(what, seq, last);
	return store_seal_bytes(u->file_key, "evidence", u->id, what, buf, len, out, outlen);
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
 * idle). Returns 0, or -1 with *err.
 */
static int
evidence_write_chunk(struct evidence_upload *u, struct evidence_flush *f, enum evidence_error *err)
{
	int rc = db_tx(&u->who, "evidence_flush", evidence_flush_tx, f);

	if (rc != DB_OK) {
		*err = rc == EVIDENCE_VANISHED ? EVIDENCE_E_GONE : EVIDENCE_E_UNAVAILABLE;
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
	enum evidence_error err;
};

static void *
evidence_writer_main(void *arg)
{
	struct evidence_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		enum evidence_error err = EVIDENCE_E_UNAVAILABLE;
		int rc;

		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy && w->quit)
			break;
		pthread_mutex_unlock(&w->mu);
		rc = w->failed ? -1 : evidence_write_chunk(w->u, &w->job, &err);
		evidence_flush_clear(&w->job);
		pthread_mutex_lock(&w->mu);
		if (rc != 0 && !w->failed) {
			w->failed = 1;
			w->err = err;
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
evidence_writer_wait(struct evidence_upload *u, enum evidence_error *err)
{
	struct evidence_writer *w = u->writer;
	int failed;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	failed = w->failed;
	if (failed && err != NULL)
		*err = w->err;
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

/* Store the full buffer as chunk u->seq (not the last). Returns 0, or -1 with *err. */
static int
evidence_store_chunk(struct evidence_upload *u, enum evidence_error *err)
{
	struct evidence_flush f;
	struct evidence_writer *w;
	int rc;

	if (u->writer == NULL && u->seq >= EVIDENCE_WRITER_AFTER && evidence_writer_start(u) != 0)
		log_event(LOG_LEVEL_DEBUG, "evidence_writer_inline",
		          json_pack("{s:s}", "id", u->id));
	/* the writer's previous chunk is written while this one is sealed */
	if (evidence_prepare_chunk(u, u->buf, u->seq, &f) != 0) {
		evidence_flush_clear(&f);
		*err = EVIDENCE_E_UNAVAILABLE;
		return -1;
	}
	if ((w = u->writer) == NULL) {
		rc = evidence_write_chunk(u, &f, err);
		evidence_flush_clear(&f);
		if (rc != 0)
			return -1;
	} else {
		if (evidence_writer_wait(u, err) != 0) {
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
                     enum evidence_error *err)
{
	if (evidence_upload_offset(u) + len > u->limit || evidence_upload_offset(u) + len < len) {
		if (u->tus && u->upload_length >= 0)
			*err = EVIDENCE_E_LENGTH;
		else if (u->limit_is_quota)
			*err = EVIDENCE_E_QUOTA;
		else
			*err = EVIDENCE_E_TOO_LARGE;
		return -1;
	}
	while (len > 0) {
		size_t n;

		/* a full buffer is stored only once more data proves it is not the last */
		if (u->buf_len == EVIDENCE_CHUNK && evidence_store_chunk(u, err) != 0)
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
	unsigned char digest[CRYPTO_SHA256_LEN];
	enum evidence_error err;   /* the result, with EVIDENCE_REFUSED */
	struct store_evidence row; /* the result */
};

static int
evidence_finish_tx(struct db_conn *c, void *arg)
{
	struct evidence_finish_ctx *s = arg;
	struct evidence_upload *u = s->f.u;
	char hex[2 * CRYPTO_SHA256_LEN + 3], oldsize[24], size[24], count[16];
	const char *media;
	long long used = 0;
	int rc;

	s->err = EVIDENCE_E_NONE;
	store_evidence_clear(&s->row);
	if ((rc = evidence_flush_rows(c, &s->f)) != DB_OK)
		return rc;
	if (s->f.vanished)
		return evidence_refuse(&s->err, EVIDENCE_E_GONE);
	/* the quota, once more, now that the size is final */
	{
		const char *p[1] = {u->engagement};

		if ((rc = db_run(c, "evidence_lock_engagement", 1, p)) != DB_OK)
			return rc;
	}
	if ((rc = evidence_usage(c, u->engagement, u->id, &used)) != DB_OK)
		return rc;
	if ((unsigned long long)used + s->f.new_size > config.evidence_quota_bytes)
		return evidence_refuse(&s->err, EVIDENCE_E_QUOTA);
	hex[0] = '\\';
	hex[1] = 'x';
	util_hex_encode(s->digest, sizeof(s->digest), hex + 2);
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

		rc = store_one(c, "evidence_complete", 9, p, evidence_row, &s->row);
	}
	if (rc != DB_OK)
		return rc == STORE_NONE ? evidence_refuse(&s->err, EVIDENCE_E_GONE) : rc;
	return evidence_audit(
	    c, u, "evidence.upload",
	    json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "engagement", u->engagement, "name",
	              s->row.name, "sha256", s->row.sha256, "size", (json_int_t)s->f.new_size,
	              "media_type", s->row.media_type, "mode", u->tus ? "resumable" : "stream"));
}

int
evidence_upload_finish(struct evidence_upload *u, const char *name, enum evidence_error *err,
                       struct store_evidence *row)
{
	struct evidence_finish_ctx s = {.f = {.u = u, .seq = u->seq}, .name = name};
	unsigned char *sealed = NULL;
	int rc;

	*err = EVIDENCE_E_NONE;
	store_evidence_clear(row);
	if (evidence_writer_wait(u, NULL) != 0)
		return evidence_refuse(err, EVIDENCE_E_UNAVAILABLE);
	if (evidence_seal_chunk(u, u->buf, u->buf_len, u->seq, 1, &sealed, &s.f.sealed_len) != 0)
		return DB_ERROR;
	/* the digest once, outside the transaction, which may run again */
	if (crypto_sha256_stream_final(u->hash, s.digest) != 0) {
		free(sealed);
		return DB_ERROR;
	}
	s.f.sealed = sealed;
	s.f.new_size = evidence_upload_offset(u);
	s.f.sniffed = u->sniffed_type;
	rc = db_tx(&u->who, "evidence_finish", evidence_finish_tx, &s);
	free(sealed);
	if (rc == DB_OK) {
		u->finished = 1;
		u->db_size = s.f.new_size;
		*row = s.row;
		return DB_OK;
	}
	*err = s.err;
	store_evidence_clear(&s.row);
	return rc;
}

static int evidence_touch_tx(struct db_conn *c, void *arg);

int
evidence_upload_pause(struct evidence_upload *u)
{
	struct evidence_flush f = {.u = u, .seq = u->seq, .durable = 1};
	char what[48];
	int rc;

	if (u->finished)
		return 0;
	if (evidence_writer_wait(u, NULL) != 0)
		return -1;
	f.new_size = evidence_upload_offset(u);
	if (f.new_size == u->db_size) {
		/* nothing new since the last chunk; if that one was committed
		 * asynchronously, a synchronous commit now makes it (and every
		 * WAL record before it) durable before the offset is answered */
		if (u->unsynced) {
			if (db_tx(&u->who, "evidence_sync", evidence_touch_tx, u->id) != DB_OK)
				return -1;
			u->unsynced = 0;
		}
		return 0;
	}
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
store_evidence_get(struct db_conn *c, const char *id, struct store_evidence *out)
{
	const char *p[1] = {id};

	store_evidence_clear(out);
	return store_one(c, "evidence_get", 1, p, evidence_row, out);
}

int
store_evidence_list(struct db_conn *c, const char *engagement, const char *after, int limit,
                    struct store_evidence **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[3] = {engagement, after, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "evidence_list", 3, p, evidence_row, sizeof(**rows), (void **)rows, n);
}

void
store_evidence_clear(struct store_evidence *e)
{
	db_row_clear(evidence_row, e);
}

void
store_evidences_free(struct store_evidence *rows, int n)
{
	db_rows_clear(evidence_row, sizeof(*rows), rows, n);
}

int
store_evidence_delete(struct db_conn *c, const char *id, enum evidence_error *err,
                      struct store_evidence *out)
{
	const char *p[1] = {id};
	struct store_evidence seen = {0};
	int rc;

	*err = EVIDENCE_E_NONE;
	store_evidence_clear(out);
	if ((rc = store_one(c, "evidence_delete", 1, p, deleted_row, out)) != STORE_NONE)
		return rc;
	/* not deleted: visible but not the caller's, or not visible at all */
	if ((rc = store_evidence_get(c, id, &seen)) < 0)
		return rc;
	store_evidence_clear(&seen);
	return evidence_refuse(err, rc == DB_OK ? EVIDENCE_E_FORBIDDEN : EVIDENCE_E_NOT_FOUND);
}

int
store_evidence_discard(struct db_conn *c, const char *id, int *gone)
{
	const char *p[1] = {id};
	struct evidence_value v = {0, 0};
	int rc = store_one(c, "evidence_discard", 1, p, flag_row, &v);

	*gone = v.flag;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
evidence_file_key(struct db_conn *c, const struct store_evidence *e,
                  unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char ekey[CRYPTO_KEY_LEN];
	int rc;

	if ((rc = store_engagement_key(c, e->engagement_id, ekey)) != DB_OK)
		return rc;
	if (store_unwrap(ekey, "evidence", e->id, "file_key", e->file_key.p, e->file_key.len,
	                 key) != 0)
		rc = DB_ERROR;
	explicit_bzero(ekey, sizeof(ekey));
	return rc;
}

struct evidence_chunk_ctx {
	const char *id;
	int seq;
	struct db_result *q; /* the result */
	int gone;            /* the evidence itself was deleted meanwhile */
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
	s->q = NULL;
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
	char what[48];
	int last = seq == nchunks - 1, ret = -1;

	*integrity = 0;
	*len = 0;
	if (db_tx(who, "evidence_chunk", evidence_chunk_tx, &s) != DB_OK || s.gone)
		goto done;
	*integrity = 1;
	if (db_rows(s.q) != 1 ||
	    (ct = db_get_raw(s.q, 0, db_column(s.q, chunk_row[0].col), &ctlen)) == NULL)
		goto done;
	evidence_chunk_column(what, seq, last);
	if (store_open_bytes(key, "evidence", id, what, ct, ctlen, &pt, &ptlen) != 0)
		goto done;
	want = last ? (size_t)(size - (unsigned long long)seq * EVIDENCE_CHUNK) : EVIDENCE_CHUNK;
	if (ptlen != want)
		goto done;
	memcpy(out, pt, ptlen);
	*len = ptlen;
	*integrity = 0;
	ret = 0;
done:
	store_secret_free(pt, ptlen);
	db_result_free(s.q);
	return ret;
}

/* ------------------------------------------------------------- sweeper */

static int
evidence_sweep_tx(struct db_conn *c, void *arg)
{
	int *removed = arg;
	char stream_age[16], tus_age[16], limit[16];
	const char *p[3] = {stream_age, tus_age, limit};
	long long n = 0;
	int rc;

	*removed = 0;
	snprintf(stream_age, sizeof(stream_age), "%u", config.evidence_stream_stale);
	snprintf(tus_age, sizeof(tus_age), "%u", config.evidence_upload_expiry);
	snprintf(limit, sizeof(limit), "%d", EVIDENCE_SWEEP_BATCH);
	if ((rc = evidence_number(c, "evidence_sweep", 3, p, &n)) != DB_OK)
		return rc;
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
	if (evidence_sweep() < 0) /* what a previous run left behind */
		log_event(LOG_LEVEL_WARN, "evidence_sweep_failed", NULL);
	db_thread_close(); /* the caller's thread serves no requests */
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

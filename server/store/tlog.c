/*
 * store/tlog.c: the transparency log's tables (0010_tlog.sql): entries
 * and their leaf hashes, signed checkpoints, witness cosignatures, and the
 * SECURITY DEFINER functions that append to them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/util.h"

#define L struct store_tlog_leaf
static const struct db_field leaf_row[] = {
    DB_FIELD(DB_T_INT, L, idx, "idx"), DB_FIELD(DB_T_BYTEA, L, hash, "leaf_hash"), DB_FIELD_END};
#undef L
#define E struct store_tlog_entry
static const struct db_field entry_row[] = {DB_FIELD(DB_T_INT, E, idx, "idx"),
                                            DB_FIELD(DB_T_TEXT, E, body, "body"), DB_FIELD_END};
#undef E
#define K struct store_tlog_checkpoint
static const struct db_field checkpoint_row[] = {
    DB_FIELD(DB_T_INT, K, size, "size"), DB_FIELD(DB_T_TEXT, K, note, "note"), DB_FIELD_END};
#undef K
#define W struct store_tlog_cosig
static const struct db_field cosig_row[] = {DB_FIELD(DB_T_STR, W, witness, "witness"),
                                            DB_FIELD(DB_T_TEXT, W, line, "line"), DB_FIELD_END};
#undef W

struct tlog_idx {
	long long idx;
};
static const struct db_field idx_row[] = {DB_FIELD(DB_T_INT, struct tlog_idx, idx, "idx"),
                                          DB_FIELD_END};

const struct db_statement store_tlog_statements[] = {
    {"tlog_leaves",
     "SELECT idx, leaf_hash FROM tlog_entries WHERE idx >= $1::bigint ORDER BY idx"
     " LIMIT $2::int",
     leaf_row},
    {"tlog_entries_range",
     "SELECT idx, body FROM tlog_entries WHERE idx >= $1::bigint AND idx < $2::bigint"
     " ORDER BY idx",
     entry_row},
    {"tlog_find", "SELECT idx FROM tlog_entries WHERE leaf_hash = $1::bytea ORDER BY idx LIMIT 1",
     idx_row},
    {"tlog_checkpoint_latest", "SELECT size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
     checkpoint_row},
    {"tlog_checkpoint_get", "SELECT size, note FROM tlog_checkpoints WHERE size = $1::bigint",
     checkpoint_row},
    {"tlog_checkpoint_store", "SELECT tlog_checkpoint_store($1::bigint, $2::bytea, $3)", NULL},
    {"tlog_cosignatures",
     "SELECT witness, line FROM tlog_cosignatures WHERE size = $1::bigint ORDER BY witness",
     cosig_row},
    {"tlog_cosignature_store", "SELECT tlog_cosignature_store($1::bigint, $2, $3)", NULL},
    {"tlog_audit_checkpoint", "SELECT tlog_audit_checkpoint($1::int, $2::boolean)", NULL},
    {"tlog_announce_key", "SELECT tlog_announce_key($1, $2::bytea)", NULL},
    {"tlog_evidence_receipt", "SELECT tlog_evidence_receipt($1::bytea) AS idx", idx_row},
    {"tlog_witness_last",
     "SELECT coalesce(max(size), 0) AS idx FROM tlog_cosignatures WHERE witness = $1", idx_row},
    {NULL, NULL, NULL}};

int
store_tlog_leaves(struct db_conn *c, long long from, int limit, struct store_tlog_leaf **rows,
                  int *n)
{
	char f[STORE_INT_LEN], l[STORE_INT_LEN];
	const char *p[2] = {f, l};

	snprintf(f, sizeof(f), "%lld", from);
	snprintf(l, sizeof(l), "%d", limit);
	return store_all(c, "tlog_leaves", 2, p, leaf_row, sizeof(**rows), (void **)rows, n);
}

void
store_tlog_leaves_free(struct store_tlog_leaf *rows, int n)
{
	db_rows_clear(leaf_row, sizeof(*rows), rows, n);
}

int
store_tlog_entries(struct db_conn *c, long long from, long long to, struct store_tlog_entry **rows,
                   int *n)
{
	char f[STORE_INT_LEN], t[STORE_INT_LEN];
	const char *p[2] = {f, t};

	snprintf(f, sizeof(f), "%lld", from);
	snprintf(t, sizeof(t), "%lld", to);
	return store_all(c, "tlog_entries_range", 2, p, entry_row, sizeof(**rows), (void **)rows,
	                 n);
}

void
store_tlog_entries_free(struct store_tlog_entry *rows, int n)
{
	db_rows_clear(entry_row, sizeof(*rows), rows, n);
}

int
store_tlog_find(struct db_conn *c, const unsigned char leaf[CRYPTO_SHA256_LEN], long long *idx)
{
	struct tlog_idx r = {0};
	char *h = db_param_bytea(leaf, CRYPTO_SHA256_LEN);
	const char *p[1] = {h};
	int rc;

	if (h == NULL)
		return DB_ERROR;
	rc = store_one(c, "tlog_find", 1, p, idx_row, &r);
	free(h);
	*idx = r.idx;
	return rc;
}

int
store_tlog_checkpoint(struct db_conn *c, long long size, struct store_tlog_checkpoint *out)
{
	char s[STORE_INT_LEN];
	const char *p[1] = {s};

	store_tlog_checkpoint_clear(out);
	if (size <= 0)
		return store_one(c, "tlog_checkpoint_latest", 0, NULL, checkpoint_row, out);
	snprintf(s, sizeof(s), "%lld", size);
	return store_one(c, "tlog_checkpoint_get", 1, p, checkpoint_row, out);
}

void
store_tlog_checkpoint_clear(struct store_tlog_checkpoint *k)
{
	db_row_clear(checkpoint_row, k);
}

int
store_tlog_checkpoint_store(struct db_conn *c, long long size,
                            const unsigned char root[CRYPTO_SHA256_LEN], const char *note)
{
	char s[STORE_INT_LEN], *r = db_param_bytea(root, CRYPTO_SHA256_LEN);
	const char *p[3] = {s, r, note};
	int rc;

	if (r == NULL)
		return DB_ERROR;
	snprintf(s, sizeof(s), "%lld", size);
	rc = db_run(c, "tlog_checkpoint_store", 3, p);
	free(r);
	return rc;
}

int
store_tlog_cosignatures(struct db_conn *c, long long size, struct store_tlog_cosig **rows, int *n)
{
	char s[STORE_INT_LEN];
	const char *p[1] = {s};

	snprintf(s, sizeof(s), "%lld", size);
	return store_all(c, "tlog_cosignatures", 1, p, cosig_row, sizeof(**rows), (void **)rows, n);
}

void
store_tlog_cosignatures_free(struct store_tlog_cosig *rows, int n)
{
	db_rows_clear(cosig_row, sizeof(*rows), rows, n);
}

int
store_tlog_cosignature_store(struct db_conn *c, long long size, const char *witness,
                             const char *line)
{
	char s[STORE_INT_LEN];
	const char *p[3] = {s, witness, line};

	snprintf(s, sizeof(s), "%lld", size);
	return db_run(c, "tlog_cosignature_store", 3, p);
}

int
store_tlog_evidence_receipt(struct db_conn *c, const unsigned char hash[CRYPTO_SHA256_LEN],
                            long long *idx)
{
	struct tlog_idx r = {0};
	char *h = db_param_bytea(hash, CRYPTO_SHA256_LEN);
	const char *p[1] = {h};
	int rc;

	if (h == NULL)
		return DB_ERROR;
	rc = store_one(c, "tlog_evidence_receipt", 1, p, idx_row, &r);
	free(h);
	*idx = r.idx;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_tlog_witness_last(struct db_conn *c, const char *witness, long long *size)
{
	struct tlog_idx r = {0};
	const char *p[1] = {witness};
	int rc = store_one(c, "tlog_witness_last", 1, p, idx_row, &r);

	*size = r.idx;
	return rc == STORE_NONE ? DB_OK : rc;
}

int
store_tlog_audit_checkpoint(struct db_conn *c, unsigned min_seconds, int force)
{
	char s[STORE_INT_LEN];
	const char *p[2] = {s, force ? "true" : "false"};

	snprintf(s, sizeof(s), "%u", min_seconds);
	return db_run(c, "tlog_audit_checkpoint", 2, p);
}

int
store_tlog_announce_key(struct db_conn *c, const char *purpose,
                        const unsigned char key[CRYPTO_ED25519_PUB_LEN])
{
	char *k = db_param_bytea(key, CRYPTO_ED25519_PUB_LEN);
	const char *p[2] = {purpose, k};
	int rc;

	if (k == NULL)
		return DB_ERROR;
	rc = db_run(c, "tlog_announce_key", 2, p);
	free(k);
	return rc;
}

/* ---- commit-then-reveal ---- */

struct commit_claim_row {
	char campaign_id[DB_UUID_LEN + 1];
	json_t *threat_models;
};
static const struct db_field commit_claim_row[] = {
    DB_FIELD(DB_T_STR, struct commit_claim_row, campaign_id, "campaign_id"),
    DB_FIELD(DB_T_JSON, struct commit_claim_row, threat_models, "threat_models"), DB_FIELD_END};

struct commit_idx_row {
	long long idx;
};
static const struct db_field commit_idx_row[] = {
    DB_FIELD(DB_T_INT, struct commit_idx_row, idx, "idx"), DB_FIELD_END};

#define C struct store_commitment
static const struct db_field commitment_row[] = {
    DB_FIELD(DB_T_STR, C, engagement_id, "engagement_id"),
    DB_FIELD(DB_T_TEXT, C, commitment, "commitment"),
    DB_FIELD(DB_T_BYTEA, C, salt_sealed, "salt_sealed"),
    DB_FIELD(DB_T_INT, C, log_idx, "log_idx"),
    DB_FIELD(DB_T_BOOL, C, recommitted, "recommitted"),
    DB_FIELD(DB_T_STR, C, committed_at, "committed_at"),
    DB_FIELD(DB_T_INT, C, count, "count"),
    DB_FIELD_END};
#undef C

const struct db_statement store_commit_statements[] = {
    {"commit_claim", "SELECT campaign_id, threat_models FROM commit_claim()", commit_claim_row},
    {"commit_store",
     "SELECT commit_store($1::uuid, $2::uuid, $3::bytea, $4::bytea, $5::boolean) AS idx",
     commit_idx_row},
    {"commit_campaign_store", "SELECT commit_campaign_store($1::uuid) AS idx", commit_idx_row},
    {"commitments_for_release",
     "SELECT coalesce(engagement_id::text, '') AS engagement_id,"
     " coalesce(commitment, '') AS commitment, salt_sealed, log_idx, recommitted,"
     " committed_at, coalesce(count, -1)::bigint AS count"
     " FROM commitments_for_release($1::uuid)",
     commitment_row},
    {"commitments_for_release_ahead",
     "SELECT coalesce(engagement_id::text, '') AS engagement_id,"
     " coalesce(commitment, '') AS commitment, salt_sealed, log_idx, recommitted,"
     " committed_at, coalesce(count, -1)::bigint AS count"
     " FROM commitments_for_release_ahead($1::uuid, $2::integer)",
     commitment_row},
    {NULL, NULL, NULL}};

int
store_commit_claim(struct db_conn *c, char campaign[DB_UUID_LEN + 1], json_t **threat_models)
{
	struct commit_claim_row r = {{0}, NULL};
	int rc = store_one(c, "commit_claim", 0, NULL, commit_claim_row, &r);

	*threat_models = NULL;
	campaign[0] = '\0';
	if (rc == DB_OK) {
		memcpy(campaign, r.campaign_id, sizeof(r.campaign_id));
		*threat_models = r.threat_models;
		r.threat_models = NULL;
	}
	db_row_clear(commit_claim_row, &r);
	return rc;
}

/* The row id the salt's sealing is bound to: engagement and commitment. */
static void
commit_salt_id(const char *engagement, const unsigned char commitment[CRYPTO_SHA256_LEN], char *out,
               size_t outlen)
{
	char hex[2 * CRYPTO_SHA256_LEN + 1];

	util_hex_encode(commitment, CRYPTO_SHA256_LEN, hex);
	snprintf(out, outlen, "%s/%s", engagement, hex);
}

int
store_commit_store(struct db_conn *c, const char *campaign, const char *engagement,
                   const unsigned char commitment[CRYPTO_SHA256_LEN],
                   const unsigned char salt[CRYPTO_KEY_LEN], int recommitted, long long *log_idx)
{
	struct commit_idx_row r = {0};
	char id[STORE_AAD_LEN];
	char *h = db_param_bytea(commitment, CRYPTO_SHA256_LEN), *sealed;
	int rc = DB_ERROR;

	commit_salt_id(engagement, commitment, id, sizeof(id));
	sealed = store_wrap_key("commitment", id, "salt", salt);
	if (h != NULL && sealed != NULL) {
		const char *p[5] = {campaign, engagement, h, sealed,
		                    recommitted ? "true" : "false"};

		rc = store_one(c, "commit_store", 5, p, commit_idx_row, &r);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	*log_idx = r.idx;
	free(h);
	free(sealed);
	return rc;
}

int
store_commit_campaign_store(struct db_conn *c, const char *campaign, long long *log_idx)
{
	struct commit_idx_row r = {0};
	const char *p[1] = {campaign};
	int rc = store_one(c, "commit_campaign_store", 1, p, commit_idx_row, &r);

	*log_idx = r.idx;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

/* commitments_for_release(_ahead when ahead_ms >= 0): see the two below. */
static int
commitments_read(struct db_conn *c, const char *campaign, int ahead_ms,
                 struct store_commitment **rows, int *n)
{
	char ahead[STORE_INT_LEN];
	const char *p[2] = {campaign, ahead};
	int rc;

	*rows = NULL;
	*n = 0;
	snprintf(ahead, sizeof(ahead), "%d", ahead_ms);
	rc = store_all(c,
	               ahead_ms >= 0 ? "commitments_for_release_ahead" : "commitments_for_release",
	               ahead_ms >= 0 ? 2 : 1, p, commitment_row, sizeof(**rows), (void **)rows, n);
	if (rc != DB_OK)
		return rc;
	for (int i = 0; i < *n; i++) {
		struct store_commitment *k = &(*rows)[i];
		unsigned char h[CRYPTO_SHA256_LEN];
		char id[STORE_AAD_LEN];

		k->salt_ok = 0;
		if (k->engagement_id[0] == '\0' || k->salt_sealed.p == NULL ||
		    k->commitment == NULL || util_hex_decode(k->commitment, h, sizeof(h)) != 0)
			continue;
		commit_salt_id(k->engagement_id, h, id, sizeof(id));
		if (store_unwrap_key("commitment", id, "salt", k->salt_sealed.p, k->salt_sealed.len,
		                     k->salt) == 0)
			k->salt_ok = 1;
	}
	return DB_OK;
}

int
store_commitments_for_release(struct db_conn *c, const char *campaign,
                              struct store_commitment **rows, int *n)
{
	return commitments_read(c, campaign, -1, rows, n);
}

int
store_commitments_for_release_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                                    struct store_commitment **rows, int *n)
{
	return commitments_read(c, campaign, ahead_ms < 0 ? 0 : ahead_ms, rows, n);
}

void
store_commitments_free(struct store_commitment *rows, int n)
{
	for (int i = 0; i < n; i++)
		explicit_bzero(rows[i].salt, sizeof(rows[i].salt));
	db_rows_clear(commitment_row, sizeof(*rows), rows, n);
}

/* ---- corrections ---- */

#define H struct store_correction_head
static const struct db_field correction_head_row[] = {
    DB_FIELD(DB_T_INT, H, seq, "seq"),
    DB_FIELD(DB_T_INT, H, number, "number"),
    DB_FIELD(DB_T_STR, H, prev_hash, "prev_hash"),
    DB_FIELD(DB_T_STR, H, pub_hash, "pub_hash"),
    DB_FIELD(DB_T_STR, H, disclosure, "disclosure"),
    DB_FIELD_END};
#undef H
#define R struct store_correction
static const struct db_field correction_row[] = {
    DB_FIELD(DB_T_INT, R, number, "number"),         DB_FIELD(DB_T_TEXT, R, document, "document"),
    DB_FIELD(DB_T_STR, R, signature, "signature"),   DB_FIELD(DB_T_STR, R, hash, "hash"),
    DB_FIELD(DB_T_STR, R, created_at, "created_at"), DB_FIELD_END};
#undef R

const struct db_statement store_correction_statements[] = {
    {"correction_head",
     "SELECT h.seq, h.number::bigint AS number, h.prev_hash, h.pub_hash, p.disclosure"
     " FROM correction_head($1) h JOIN publications p ON p.seq = h.seq",
     correction_head_row},
    {"correction_store",
     "SELECT correction_store($1::bigint, $2::int, $3, $4::bytea, $5::bytea, $6::bytea,"
     " $7::bytea) AS idx",
     idx_row},
    {"corrections_list",
     "SELECT c.number::bigint AS number, c.document,"
     " translate(encode(c.signature, 'base64'), E'\\n', '') AS signature,"
     " encode(c.hash, 'hex') AS hash, ls_ts(c.created_at) AS created_at"
     " FROM publication_corrections c JOIN publications p ON p.seq = c.publication_seq"
     " WHERE p.slug = $1 ORDER BY c.number",
     correction_row},
    {"correction_publication", "SELECT seq AS idx FROM publications WHERE slug = $1", idx_row},
    {NULL, NULL, NULL}};

int
store_correction_head(struct db_conn *c, const char *slug, struct store_correction_head *out)
{
	const char *p[1] = {slug};

	memset(out, 0, sizeof(*out));
	return store_one(c, "correction_head", 1, p, correction_head_row, out);
}

int
store_correction_store(struct db_conn *c, long long seq, long long number, const char *document,
                       const unsigned char sig[CRYPTO_ED25519_SIG_LEN],
                       const unsigned char hash[CRYPTO_SHA256_LEN],
                       const unsigned char prev[CRYPTO_SHA256_LEN],
                       const unsigned char key[CRYPTO_ED25519_PUB_LEN], long long *log_idx)
{
	struct tlog_idx r = {0};
	char s[STORE_INT_LEN], n[STORE_INT_LEN];
	char *ps = db_param_bytea(sig, CRYPTO_ED25519_SIG_LEN);
	char *ph = db_param_bytea(hash, CRYPTO_SHA256_LEN);
	char *pp = db_param_bytea(prev, CRYPTO_SHA256_LEN);
	char *pk = db_param_bytea(key, CRYPTO_ED25519_PUB_LEN);
	int rc = DB_ERROR;

	snprintf(s, sizeof(s), "%lld", seq);
	snprintf(n, sizeof(n), "%lld", number);
	if (ps != NULL && ph != NULL && pp != NULL && pk != NULL) {
		const char *p[7] = {s, n, document, ps, ph, pp, pk};

		rc = store_one(c, "correction_store", 7, p, idx_row, &r);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	*log_idx = r.idx;
	free(ps);
	free(ph);
	free(pp);
	free(pk);
	return rc;
}

int
store_corrections(struct db_conn *c, const char *slug, struct store_correction **rows, int *n)
{
	struct tlog_idx r = {0};
	const char *p[1] = {slug};
	int rc;

	*rows = NULL;
	*n = 0;
	/* the publication must be visible (released) to the caller: else STORE_NONE */
	if ((rc = store_one(c, "correction_publication", 1, p, idx_row, &r)) != DB_OK)
		return rc;
	return store_all(c, "corrections_list", 1, p, correction_row, sizeof(**rows), (void **)rows,
	                 n);
}

void
store_corrections_free(struct store_correction *rows, int n)
{
	db_rows_clear(correction_row, sizeof(*rows), rows, n);
}

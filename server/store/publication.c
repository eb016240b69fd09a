/*
 * store/publication.c: the signed publications (read anonymously) and the
 * release the scheduler runs through SECURITY DEFINER functions (see
 * 0003_publications.sql).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/log.h"
#include "util/util.h"

#define PUBLICATION_COLS                                                                           \
	"seq, slug, title, disclosure, ls_ts(release_at) AS release_at,"                           \
	" ls_ts(published_at) AS published_at, embargo_break, encode(hash, 'hex') AS hash,"        \
	" encode(prev_hash, 'hex') AS prev_hash"

#define P struct store_publication
#define PUBLICATION_FIELDS                                                                         \
	DB_FIELD(DB_T_INT, P, seq, "seq"), DB_FIELD(DB_T_STR, P, slug, "slug"),                    \
	    DB_FIELD(DB_T_TEXT, P, title, "title"),                                                \
	    DB_FIELD(DB_T_STR, P, disclosure, "disclosure"),                                       \
	    DB_FIELD(DB_T_STR, P, release_at, "release_at"),                                       \
	    DB_FIELD(DB_T_STR, P, published_at, "published_at"),                                   \
	    DB_FIELD(DB_T_BOOL, P, embargo_break, "embargo_break"),                                \
	    DB_FIELD(DB_T_STR, P, hash, "hash"), DB_FIELD(DB_T_STR, P, prev_hash, "prev_hash")
static const struct db_field publication_row[] = {PUBLICATION_FIELDS, DB_FIELD_END};
static const struct db_field publication_full_row[] = {
    PUBLICATION_FIELDS, DB_FIELD(DB_T_TEXT, P, document, "document"),
    DB_FIELD(DB_T_BYTEA, P, signature, "signature"),
    DB_FIELD(DB_T_BYTEA, P, signing_key, "signing_key"), DB_FIELD_END};
#undef P

#define R struct store_release
static const struct db_field release_row[] = {
    DB_FIELD(DB_T_STR, R, campaign_id, "campaign_id"),
    DB_FIELD(DB_T_TEXT, R, title, "title"),
    DB_FIELD(DB_T_STR, R, slug, "slug"),
    DB_FIELD(DB_T_JSON, R, threat_models, "threat_models"),
    DB_FIELD(DB_T_STR, R, release_at, "release_at"),
    DB_FIELD(DB_T_STR, R, planned_release_at, "planned_release_at"),
    DB_FIELD(DB_T_STR, R, disclosure, "disclosure"),
    DB_FIELD(DB_T_INT, R, min_cohort, "min_cohort"),
    DB_FIELD(DB_T_BOOL, R, embargo_break, "embargo_break"),
    DB_FIELD(DB_T_BOOL, R, held, "held"),
    DB_FIELD_END};
#undef R

struct release_inputs {
	json_t *inputs;
};
static const struct db_field inputs_row[] = {
    DB_FIELD(DB_T_JSON, struct release_inputs, inputs, "inputs"), DB_FIELD_END};

struct release_stamp_row {
	char stamp[33];
};
static const struct db_field stamp_row[] = {
    DB_FIELD(DB_T_STR, struct release_stamp_row, stamp, "stamp"), DB_FIELD_END};

struct release_snapshot_row {
	char *snap;
	int changed;
};
static const struct db_field snapshot_row[] = {
    DB_FIELD(DB_T_TEXT, struct release_snapshot_row, snap, "snap"), DB_FIELD_END};
static const struct db_field changed_row[] = {
    DB_FIELD(DB_T_BOOL, struct release_snapshot_row, changed, "changed"), DB_FIELD_END};

#define R struct store_release_events
static const struct db_field events_row[] = {
    DB_FIELD(DB_T_STR, R, campaign_id, "campaign_id"), DB_FIELD(DB_T_INT, R, seq, "seq"),
    DB_FIELD(DB_T_STR, R, slug, "slug"),               DB_FIELD(DB_T_STR, R, hash, "hash"),
    DB_FIELD(DB_T_JSON, R, engagements, "engagements"), DB_FIELD_END};
#undef R

struct release_head {
	long long seq;
	struct db_bytes hash;
};
static const struct db_field head_row[] = {DB_FIELD(DB_T_INT, struct release_head, seq, "seq"),
                                           DB_FIELD(DB_T_BYTEA, struct release_head, hash, "hash"),
                                           DB_FIELD_END};

struct release_flag {
	int changed;
};
static const struct db_field hold_row[] = {
    DB_FIELD(DB_T_BOOL, struct release_flag, changed, "changed"), DB_FIELD_END};

struct next_due_row {
	int known;
	long long ms;
};

static const struct db_field next_due_row[] = {
    DB_FIELD(DB_T_BOOL, struct next_due_row, known, "known"),
    DB_FIELD(DB_T_INT, struct next_due_row, ms, "ms"), DB_FIELD_END};

const struct db_statement store_publication_statements[] = {
    {"release_next_due",
     "SELECT d IS NOT NULL AS known,"
     " coalesce(ceil(extract(epoch FROM d - clock_timestamp()) * 1000), 0)::bigint AS ms"
     " FROM release_next_due() d",
     next_due_row},
    {"publication_get",
     "SELECT " PUBLICATION_COLS ", document, signature, signing_key FROM publications"
     " WHERE slug = $1",
     publication_full_row},
    {"publications_list",
     "SELECT " PUBLICATION_COLS " FROM publications"
     " WHERE ($1::bigint IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2::int",
     publication_row},
    {"release_claim",
     "SELECT campaign_id, title, slug, threat_models, release_at, planned_release_at, disclosure,"
     " min_cohort, embargo_break, held FROM release_claim()",
     release_row},
    {"release_inputs", "SELECT release_inputs($1::uuid) AS inputs", inputs_row},
    {"release_inputs_ahead", "SELECT release_inputs_ahead($1::uuid, $2::integer) AS inputs",
     inputs_row},
    {"release_peek",
     "SELECT campaign_id, title, slug, threat_models, release_at, planned_release_at, disclosure,"
     " min_cohort, embargo_break, held FROM release_peek($1::integer)",
     release_row},
    {"release_stamp", "SELECT release_stamp($1::uuid, $2::integer) AS stamp", stamp_row},
    {"release_snapshot", "SELECT pg_current_snapshot()::text AS snap", snapshot_row},
    {"release_changed_since", "SELECT release_inputs_changed_since($1) AS changed", changed_row},
    {"release_input_prune", "SELECT release_input_prune()", NULL},
    {"release_events_defer", "SELECT release_events_defer($1::uuid, $2::bigint, $3, $4)", NULL},
    {"release_events_claim",
     "SELECT campaign_id, seq, slug, hash, engagements FROM release_events_claim($1::integer)",
     events_row},
    {"release_events_done", "SELECT release_events_done($1::uuid)", NULL},
    {"commit_inputs", "SELECT commit_inputs($1::uuid) AS inputs", inputs_row},
    {"release_chain_head", "SELECT seq, hash FROM release_chain_head()", head_row},
    {"release_publish",
     "SELECT release_publish($1::uuid, $2::bigint, $3, $4::bytea, $5::bytea, $6::bytea,"
     " $7::bytea)",
     NULL},
    {"release_hold", "SELECT release_hold($1::uuid, $2::jsonb) AS changed", hold_row},
    {NULL, NULL, NULL}};

int
store_publication_get(struct db_conn *c, const char *slug, struct store_publication *out)
{
	const char *p[1] = {slug};

	store_publication_clear(out);
	return store_one(c, "publication_get", 1, p, publication_full_row, out);
}

int
store_publication_list(struct db_conn *c, const char *before_seq, int limit,
                       struct store_publication **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[2] = {before_seq, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "publications_list", 2, p, publication_row, sizeof(**rows),
	                 (void **)rows, n);
}

void
store_publication_clear(struct store_publication *p)
{
	db_row_clear(publication_full_row, p);
}

void
store_publications_free(struct store_publication *rows, int n)
{
	db_rows_clear(publication_row, sizeof(*rows), rows, n);
}

int
store_release_claim(struct db_conn *c, struct store_release *out)
{
	store_release_clear(out);
	return store_one(c, "release_claim", 0, NULL, release_row, out);
}

void
store_release_clear(struct store_release *r)
{
	db_row_clear(release_row, r);
}

/*
 * Decode hex (the release's sealed columns and wrapped keys travel as hex
 * in release_inputs' JSON) into *out (malloc'd) and *len. 0 or -1.
 */
int
store_hex_bytes(const char *hex, unsigned char **out, size_t *len)
{
	size_t n = strlen(hex);

	*out = NULL;
	*len = 0;
	if (n % 2 != 0 || (*out = malloc(n / 2 ? n / 2 : 1)) == NULL)
		return -1;
	if (util_hex_decode(hex, *out, n / 2) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = n / 2;
	return 0;
}

/*
 * Open the sealed text hex under key for (kind, id, column): a new JSON
 * string, or NULL (bad hex, tampered or moved ciphertext, bad UTF-8).
 */
json_t *
store_open_hex_text(const unsigned char key[CRYPTO_KEY_LEN], const char *hex, const char *kind,
                    const char *id, const char *column)
{
	unsigned char *ct = NULL, *pt = NULL;
	size_t ctlen = 0, ptlen = 0;
	json_t *out = NULL;

	if (store_hex_bytes(hex, &ct, &ctlen) == 0 &&
	    store_open_bytes(key, kind, id, column, ct, ctlen, &pt, &ptlen) == 0)
		out = json_stringn((const char *)pt, ptlen);
	free(ct);
	store_secret_free(pt, ptlen);
	return out;
}

/*
 * Replace the sealed claim summaries ("summary_sealed") and statements
 * ("statement_sealed") of inputs by their plaintext ("summary",
 * "statement"), each engagement's data key ("data_key", wrapped) unwrapped
 * with the master key, and drop the sealed members and the wrapped keys.
 * Returns 0, or -1 when a key or a ciphertext does not open (logged).
 */
int
store_release_open(json_t *inputs, int keep_keys)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(inputs, "engagements"), i, e)
	{
		const char *eid = json_string_value(json_object_get(e, "id"));
		const char *wk = json_string_value(json_object_get(e, "data_key"));
		const char *st = json_string_value(json_object_get(e, "statement_sealed"));
		json_t *claims = json_object_get(e, "claims"), *cl;
		unsigned char key[CRYPTO_KEY_LEN], *wrapped = NULL;
		size_t wlen = 0;
		const char *tm;
		int ok;

		if (eid == NULL)
			return -1;
		ok = wk != NULL && store_hex_bytes(wk, &wrapped, &wlen) == 0 &&
		     store_unwrap_key("engagement", eid, "data_key", wrapped, wlen, key) == 0;
		free(wrapped);
		if (ok && st != NULL) {
			json_t *text = store_open_hex_text(key, st, "statement", eid, "text");

			if (text == NULL)
				ok = 0;
			else
				json_object_set_new(e, "statement", text);
		}
		json_object_foreach(claims, tm, cl)
		{
			const char *sum = json_string_value(json_object_get(cl, "summary_sealed"));
			char rowid[STORE_AAD_LEN];
			json_t *text;

			if (ok && sum != NULL) {
				snprintf(rowid, sizeof(rowid), "%s/%s", eid, tm);
				if ((text = store_open_hex_text(key, sum, "claim", rowid,
				                                "summary")) == NULL)
					ok = 0;
				else
					json_object_set_new(cl, "summary", text);
			}
			json_object_del(cl, "summary_sealed");
		}
		if (ok && keep_keys) {
			json_t *d = json_object_get(e, "draft");
			const char *rs = json_string_value(json_object_get(d, "row_sealed"));
			json_int_t ver = json_integer_value(json_object_get(d, "version"));
			char rowid[STORE_AAD_LEN];
			json_t *text = NULL, *row = NULL;

			if (rs != NULL) {
				snprintf(rowid, sizeof(rowid), "%s-%lld", eid, (long long)ver);
				text = store_open_hex_text(key, rs, "review_draft", rowid, "row");
				row = text ? json_loads(json_string_value(text), 0, NULL) : NULL;
				if (row == NULL)
					ok = 0;
				else
					json_object_set_new(d, "row", row);
				json_decref(text);
				json_object_del(d, "row_sealed");
			}
		}
		explicit_bzero(key, sizeof(key));
		if (!keep_keys)
			json_object_del(e, "data_key");
		json_object_del(e, "statement_sealed");
		if (!ok) {
			log_event(LOG_LEVEL_ERROR, "release_open_failed",
			          json_pack("{s:s}", "engagement", eid));
			return -1;
		}
	}
	return 0;
}

int
store_release_peek(struct db_conn *c, int ahead_ms, struct store_release *out)
{
	char ahead[STORE_INT_LEN];
	const char *p[1] = {ahead};

	store_release_clear(out);
	snprintf(ahead, sizeof(ahead), "%d", ahead_ms < 0 ? 0 : ahead_ms);
	return store_one(c, "release_peek", 1, p, release_row, out);
}

int
store_release_stamp(struct db_conn *c, const char *campaign, int ahead_ms, char stamp[33])
{
	char ahead[STORE_INT_LEN];
	const char *p[2] = {campaign, ahead};
	struct release_stamp_row row = {{0}};
	int rc;

	snprintf(ahead, sizeof(ahead), "%d", ahead_ms < 0 ? 0 : ahead_ms);
	rc = store_one(c, "release_stamp", 2, p, stamp_row, &row);
	if (rc == DB_OK && row.stamp[0] == '\0')
		rc = STORE_NONE;
	memcpy(stamp, row.stamp, 33);
	return rc;
}

int
store_release_snapshot(struct db_conn *c, char **snap)
{
	struct release_snapshot_row row = {NULL, 0};
	int rc = store_one(c, "release_snapshot", 0, NULL, snapshot_row, &row);

	if (rc == DB_OK && row.snap == NULL)
		rc = DB_ERROR;
	if (rc != DB_OK) {
		free(row.snap);
		row.snap = NULL;
	}
	*snap = row.snap;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_release_changed_since(struct db_conn *c, const char *snap, int *changed)
{
	const char *p[1] = {snap};
	struct release_snapshot_row row = {NULL, 1};
	int rc = store_one(c, "release_changed_since", 1, p, changed_row, &row);

	/* anything but a clear "no" is a change */
	*changed = rc == DB_OK ? row.changed : 1;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_release_input_prune(struct db_conn *c)
{
	return db_run(c, "release_input_prune", 0, NULL);
}

int
store_release_events_defer(struct db_conn *c, const char *campaign, long long seq,
                           const char *slug, const char *hash)
{
	char seqtext[STORE_INT_LEN];
	const char *p[4] = {campaign, seqtext, slug, hash};

	snprintf(seqtext, sizeof(seqtext), "%lld", seq);
	return db_run(c, "release_events_defer", 4, p);
}

int
store_release_events_claim(struct db_conn *c, int min_age_ms, struct store_release_events *out)
{
	char age[STORE_INT_LEN];
	const char *p[1] = {age};

	snprintf(age, sizeof(age), "%d", min_age_ms);
	memset(out, 0, sizeof(*out));
	return store_one(c, "release_events_claim", 1, p, events_row, out);
}

int
store_release_events_done(struct db_conn *c, const char *campaign)
{
	const char *p[1] = {campaign};

	return db_run(c, "release_events_done", 1, p);
}

/* store_release_inputs(_ahead when ahead_ms >= 0). */
static int
release_inputs_read(struct db_conn *c, const char *campaign, int ahead_ms, json_t **inputs)
{
	char ahead[STORE_INT_LEN];
	const char *p[2] = {campaign, ahead};
	struct release_inputs in = {NULL};
	int rc;

	*inputs = NULL;
	snprintf(ahead, sizeof(ahead), "%d", ahead_ms);
	if ((rc = store_one(c, ahead_ms >= 0 ? "release_inputs_ahead" : "release_inputs",
	                    ahead_ms >= 0 ? 2 : 1, p, inputs_row, &in)) != DB_OK)
		return rc;
	if (json_is_null(in.inputs)) {
		json_decref(in.inputs);
		return STORE_NONE;
	}
	if (store_release_open(in.inputs, 0) != 0) {
		json_decref(in.inputs);
		return DB_ERROR;
	}
	*inputs = in.inputs;
	return DB_OK;
}

int
store_release_inputs(struct db_conn *c, const char *campaign, json_t **inputs)
{
	return release_inputs_read(c, campaign, -1, inputs);
}

int
store_release_inputs_ahead(struct db_conn *c, const char *campaign, int ahead_ms, json_t **inputs)
{
	return release_inputs_read(c, campaign, ahead_ms < 0 ? 0 : ahead_ms, inputs);
}

int
store_commit_inputs(struct db_conn *c, const char *campaign, json_t **inputs)
{
	const char *p[1] = {campaign};
	struct release_inputs in = {NULL};
	int rc;

	*inputs = NULL;
	if ((rc = store_one(c, "commit_inputs", 1, p, inputs_row, &in)) != DB_OK)
		return rc;
	if (json_is_null(in.inputs)) {
		json_decref(in.inputs);
		return STORE_NONE;
	}
	if (store_release_open(in.inputs, 0) != 0) {
		json_decref(in.inputs);
		return DB_ERROR;
	}
	*inputs = in.inputs;
	return DB_OK;
}

int
store_release_chain_head(struct db_conn *c, long long *seq, unsigned char hash[CRYPTO_SHA256_LEN])
{
	struct release_head h;
	int rc;

	if ((rc = store_one(c, "release_chain_head", 0, NULL, head_row, &h)) != DB_OK)
		return rc == STORE_NONE ? DB_ERROR : rc;
	if (h.hash.len != CRYPTO_SHA256_LEN || h.seq < 0)
		rc = DB_ERROR;
	else {
		*seq = h.seq;
		memcpy(hash, h.hash.p, CRYPTO_SHA256_LEN);
	}
	db_row_clear(head_row, &h);
	return rc;
}

int
store_release_publish(struct db_conn *c, const char *campaign, long long seq, const char *canon,
                      const unsigned char sig[CRYPTO_ED25519_SIG_LEN],
                      const unsigned char hash[CRYPTO_SHA256_LEN],
                      const unsigned char prev[CRYPTO_SHA256_LEN],
                      const unsigned char pub[CRYPTO_ED25519_PUB_LEN])
{
	char seqtext[STORE_INT_LEN];
	char *p_sig = db_param_bytea(sig, CRYPTO_ED25519_SIG_LEN);
	char *p_hash = db_param_bytea(hash, CRYPTO_SHA256_LEN);
	char *p_prev = db_param_bytea(prev, CRYPTO_SHA256_LEN);
	char *p_key = db_param_bytea(pub, CRYPTO_ED25519_PUB_LEN);
	int rc = DB_ERROR;

	snprintf(seqtext, sizeof(seqtext), "%lld", seq);
	if (p_sig != NULL && p_hash != NULL && p_prev != NULL && p_key != NULL) {
		const char *p[7] = {campaign, seqtext, canon, p_sig, p_hash, p_prev, p_key};

		rc = db_run(c, "release_publish", 7, p);
	}
	free(p_sig);
	free(p_hash);
	free(p_prev);
	free(p_key);
	return rc;
}

int
store_release_hold(struct db_conn *c, const char *campaign, const char *reasons, int *changed)
{
	const char *p[2] = {campaign, reasons};
	struct release_flag f = {0};
	int rc = store_one(c, "release_hold", 2, p, hold_row, &f);

	*changed = f.changed;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_release_next_due(struct db_conn *c, long long *ms)
{
	struct next_due_row row = {0};
	int rc = store_one(c, "release_next_due", 0, NULL, next_due_row, &row);

	*ms = rc == DB_OK && row.known ? row.ms : -1;
	if (rc == DB_OK && !row.known)
		rc = STORE_NONE;
	return rc;
}

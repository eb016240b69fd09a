/*
 * store/review.c: the company review before a release (0008): the review
 * scheduler's freeze of each engagement's row of the publication into a
 * sealed, hashed draft; the participants' view of the current draft; the
 * company's sign-off or response and the assessor's addendum (sealed
 * under the engagement's data key until released); the coordinator's
 * review states and dashboard (counts and flags, never a text).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"
#include "util/log.h"
#include "util/util.h"

#define RC struct store_review_campaign
static const struct db_field claim_row[] = {
    DB_FIELD(DB_T_STR, RC, campaign_id, "campaign_id"),
    DB_FIELD(DB_T_TEXT, RC, title, "title"),
    DB_FIELD(DB_T_STR, RC, slug, "slug"),
    DB_FIELD(DB_T_JSON, RC, threat_models, "threat_models"),
    DB_FIELD(DB_T_STR, RC, release_at, "release_at"),
    DB_FIELD(DB_T_STR, RC, planned_release_at, "planned_release_at"),
    DB_FIELD(DB_T_STR, RC, disclosure, "disclosure"),
    DB_FIELD(DB_T_INT, RC, min_cohort, "min_cohort"),
    DB_FIELD(DB_T_BOOL, RC, first, "first"),
    DB_FIELD_END};
#undef RC

/* The sealed review row as read; opened into struct store_review. */
struct review_raw {
	char state[16];
	long long version;
	char draft_hash[2 * CRYPTO_SHA256_LEN + 1];
	int reopened;
	char answered_at[STORE_TS_LEN];
	char addendum_at[STORE_TS_LEN];
	char frozen_at[STORE_TS_LEN];
	json_t *changes;
	struct db_bytes response;
	struct db_bytes addendum;
	struct db_bytes row_sealed;
	int open;
};
#define RR struct review_raw
static const struct db_field raw_row[] = {DB_FIELD(DB_T_STR, RR, state, "state"),
                                          DB_FIELD(DB_T_INT, RR, version, "version"),
                                          DB_FIELD(DB_T_STR, RR, draft_hash, "draft_hash"),
                                          DB_FIELD(DB_T_BOOL, RR, reopened, "reopened"),
                                          DB_FIELD(DB_T_STR, RR, answered_at, "answered_at"),
                                          DB_FIELD(DB_T_STR, RR, addendum_at, "addendum_at"),
                                          DB_FIELD(DB_T_STR, RR, frozen_at, "frozen_at"),
                                          DB_FIELD(DB_T_JSON, RR, changes, "changes"),
                                          DB_FIELD(DB_T_BYTEA, RR, response, "response"),
                                          DB_FIELD(DB_T_BYTEA, RR, addendum, "addendum"),
                                          DB_FIELD(DB_T_BYTEA, RR, row_sealed, "row_sealed"),
                                          DB_FIELD(DB_T_BOOL, RR, open, "open"),
                                          DB_FIELD_END};
#undef RR

#define RS struct store_review_state
static const struct db_field state_row[] = {DB_FIELD(DB_T_STR, RS, engagement_id, "engagement_id"),
                                            DB_FIELD(DB_T_STR, RS, state, "state"),
                                            DB_FIELD(DB_T_INT, RS, version, "version"),
                                            DB_FIELD(DB_T_BOOL, RS, reopened, "reopened"),
                                            DB_FIELD(DB_T_STR, RS, answered_at, "answered_at"),
                                            DB_FIELD(DB_T_BOOL, RS, addendum, "has_addendum"),
                                            DB_FIELD_END};
#undef RS

#define DC struct store_dashboard_cell
static const struct db_field dashboard_row[] = {
    DB_FIELD(DB_T_STR, DC, engagement_id, "engagement_id"),
    DB_FIELD(DB_T_STR, DC, threat_model, "threat_model"),
    DB_FIELD(DB_T_BOOL, DC, claim_made, "claim_made"),
    DB_FIELD(DB_T_INT, DC, counts[0], "critical"),
    DB_FIELD(DB_T_INT, DC, counts[1], "high"),
    DB_FIELD(DB_T_INT, DC, counts[2], "medium"),
    DB_FIELD(DB_T_INT, DC, counts[3], "low"),
    DB_FIELD(DB_T_INT, DC, counts[4], "info"),
    DB_FIELD_END};
#undef DC

struct review_json {
	json_t *inputs;
};
static const struct db_field json_row[] = {
    DB_FIELD(DB_T_JSON, struct review_json, inputs, "inputs"), DB_FIELD_END};

struct review_id {
	char id[DB_UUID_LEN + 1];
};
static const struct db_field id_row[] = {DB_FIELD(DB_T_STR, struct review_id, id, "id"),
                                         DB_FIELD_END};

struct review_version {
	long long version;
};
static const struct db_field version_row[] = {
    DB_FIELD(DB_T_INT, struct review_version, version, "version"), DB_FIELD_END};

struct hold_field {
	char *field;
	char held_at[STORE_TS_LEN];
};
static const struct db_field hold_field_row[] = {
    DB_FIELD(DB_T_TEXT, struct hold_field, field, "field"),
    DB_FIELD(DB_T_STR, struct hold_field, held_at, "held_at"), DB_FIELD_END};

struct extend_row {
	char release_at[STORE_TS_LEN];
};
static const struct db_field extend_row[] = {
    DB_FIELD(DB_T_STR, struct extend_row, release_at, "release_at"), DB_FIELD_END};

const struct db_statement store_review_statements[] = {
    {"hold_fields", "SELECT f.field, f.held_at FROM release_hold_fields($1::uuid) f ORDER BY 1",
     hold_field_row},
    {"withhold_create",
     "INSERT INTO release_withholds (campaign_id, reason, reasons, decided_by)"
     " VALUES ($1::uuid, $2, $3::jsonb, $4::uuid)",
     NULL},
    {"release_withheld", "SELECT release_withheld($1::uuid) AS inputs", json_row},
    {"release_withheld_ahead", "SELECT release_withheld_ahead($1::uuid, $2::integer) AS inputs",
     json_row},
    {"release_engagement_orgs",
     "SELECT coalesce(jsonb_object_agg(o.engagement_id,"
     " jsonb_build_array(o.company_org_id, o.assessor_org_id)), '{}') AS inputs"
     " FROM release_engagement_orgs($1::uuid) o",
     json_row},
    {"campaign_extend",
     "UPDATE campaigns SET release_at = now() + make_interval(secs => $2::int),"
     " review_opens_at = CASE WHEN review_opens_at >= now() + make_interval(secs => $2::int)"
     " THEN NULL ELSE review_opens_at END,"
     " updated_at = now() WHERE id = $1::uuid AND state <> 'published'"
     " RETURNING ls_ts(release_at) AS release_at",
     extend_row},
    {"review_claim",
     "SELECT campaign_id, title, slug, threat_models, release_at, planned_release_at, disclosure,"
     " min_cohort, first FROM review_claim()",
     claim_row},
    {"review_inputs", "SELECT review_inputs($1::uuid) AS inputs", json_row},
    {"review_freeze",
     "SELECT review_freeze($1::uuid, $2::uuid, $3::int, $4::bytea, decode($5, 'hex'),"
     " $6::jsonb) AS version",
     version_row},
    {"review_checked", "SELECT review_checked($1::uuid, $2)", NULL},
    {"review_release_inputs", "SELECT review_release_inputs($1::uuid) AS inputs", json_row},
    {"review_release_inputs_ahead",
     "SELECT review_release_inputs_ahead($1::uuid, $2::integer) AS inputs", json_row},
    {"review_get",
     "SELECT rs.state, rs.version, encode(rs.draft_hash, 'hex') AS draft_hash, rs.reopened,"
     " ls_ts(rs.answered_at) AS answered_at, ls_ts(rs.addendum_at) AS addendum_at,"
     " ls_ts(d.frozen_at) AS frozen_at, d.changes, rs.response, rs.addendum, d.row_sealed,"
     " (c.state <> 'published' AND c.release_at > now()) AS open"
     " FROM review_states rs JOIN review_drafts d"
     " ON d.engagement_id = rs.engagement_id AND d.version = rs.version"
     " JOIN campaigns c ON c.id = rs.campaign_id"
     " WHERE rs.engagement_id = $1::uuid",
     raw_row},
    {"review_answer",
     "UPDATE review_states SET state = $2, answered_hash = decode($3, 'hex'),"
     " response = $4::bytea"
     " WHERE engagement_id = $1::uuid AND draft_hash = decode($3, 'hex')"
     " RETURNING engagement_id AS id",
     id_row},
    {"review_addendum",
     "UPDATE review_states SET addendum = $2::bytea"
     " WHERE engagement_id = $1::uuid AND state = 'responded' AND draft_hash = decode($3, 'hex')"
     " RETURNING engagement_id AS id",
     id_row},
    {"review_states_list",
     "SELECT rs.engagement_id, rs.state, rs.version, rs.reopened,"
     " ls_ts(rs.answered_at) AS answered_at, rs.addendum IS NOT NULL AS has_addendum"
     " FROM review_states rs WHERE rs.campaign_id = $1::uuid ORDER BY rs.engagement_id",
     state_row},
    {"campaign_dashboard",
     "SELECT d.engagement_id, d.threat_model, d.claim_made, d.critical, d.high, d.medium, d.low,"
     " d.info FROM campaign_dashboard($1::uuid) d",
     dashboard_row},
    {NULL, NULL, NULL}};

int
store_review_claim(struct db_conn *c, struct store_review_campaign *out)
{
	db_row_clear(claim_row, out);
	return store_one(c, "review_claim", 0, NULL, claim_row, out);
}

void
store_review_campaign_clear(struct store_review_campaign *k)
{
	db_row_clear(claim_row, k);
}

int
store_review_inputs(struct db_conn *c, const char *campaign, json_t **inputs)
{
	const char *p[1] = {campaign};
	struct review_json in = {NULL};
	int rc;

	*inputs = NULL;
	if ((rc = store_one(c, "review_inputs", 1, p, json_row, &in)) != DB_OK)
		return rc;
	if (json_is_null(in.inputs)) {
		json_decref(in.inputs);
		return STORE_NONE;
	}
	if (store_release_open(in.inputs, 1) != 0) {
		json_decref(in.inputs);
		return DB_ERROR;
	}
	*inputs = in.inputs;
	return DB_OK;
}

/* Unwrap an engagement's data key given as hex (wrapped under the master key). 0 or -1. */
static int
review_key(const char *engagement, const char *wrapped_hex, unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char *wrapped = NULL;
	size_t wlen = 0;
	int ok = wrapped_hex != NULL && store_hex_bytes(wrapped_hex, &wrapped, &wlen) == 0 &&
	         store_unwrap_key("engagement", engagement, "data_key", wrapped, wlen, key) == 0;

	free(wrapped);
	return ok ? 0 : -1;
}

int
store_review_freeze(struct db_conn *c, const char *campaign, const char *engagement, int version,
                    const char *wrapped_hex, const char *canon, const char *hash_hex,
                    const char *changes)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char rowid[STORE_AAD_LEN], ver[STORE_INT_LEN];
	char *sealed = NULL;
	struct review_version v = {0};
	int rc = DB_ERROR;

	if (review_key(engagement, wrapped_hex, key) != 0)
		return DB_ERROR;
	snprintf(rowid, sizeof(rowid), "%s-%d", engagement, version);
	snprintf(ver, sizeof(ver), "%d", version);
	sealed = store_seal(key, "review_draft", rowid, "row", canon);
	explicit_bzero(key, sizeof(key));
	if (sealed != NULL) {
		const char *p[6] = {campaign, engagement, ver, sealed, hash_hex, changes};

		rc = store_one(c, "review_freeze", 6, p, version_row, &v);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	free(sealed);
	return rc;
}

int
store_review_checked(struct db_conn *c, const char *campaign, const char *snapshot)
{
	const char *p[2] = {campaign, snapshot};

	return db_run(c, "review_checked", 2, p);
}

/* store_review_release_inputs(_ahead when ahead_ms >= 0). */
static int
review_release_read(struct db_conn *c, const char *campaign, int ahead_ms, json_t **reviews)
{
	char ahead[STORE_INT_LEN];
	const char *p[2] = {campaign, ahead};
	struct review_json in = {NULL};
	const char *eid;
	json_t *r;
	int rc;

	*reviews = NULL;
	snprintf(ahead, sizeof(ahead), "%d", ahead_ms);
	if ((rc = store_one(c,
	                    ahead_ms >= 0 ? "review_release_inputs_ahead" : "review_release_inputs",
	                    ahead_ms >= 0 ? 2 : 1, p, json_row, &in)) != DB_OK)
		return rc;
	if (!json_is_object(in.inputs)) {
		json_decref(in.inputs);
		*reviews = json_object();
		return DB_OK;
	}
	json_object_foreach(in.inputs, eid, r)
	{
		const char *wk = json_string_value(json_object_get(r, "data_key"));
		const char *rs = json_string_value(json_object_get(r, "response_sealed"));
		const char *as = json_string_value(json_object_get(r, "addendum_sealed"));
		unsigned char key[CRYPTO_KEY_LEN];
		json_t *t;
		int ok = review_key(eid, wk, key) == 0;

		if (ok && rs != NULL) {
			if ((t = store_open_hex_text(key, rs, "review", eid, "response")) == NULL)
				ok = 0;
			else
				json_object_set_new(r, "response", t);
		}
		if (ok && as != NULL) {
			if ((t = store_open_hex_text(key, as, "review", eid, "addendum")) == NULL)
				ok = 0;
			else
				json_object_set_new(r, "addendum", t);
		}
		explicit_bzero(key, sizeof(key));
		json_object_del(r, "data_key");
		json_object_del(r, "response_sealed");
		json_object_del(r, "addendum_sealed");
		if (!ok) {
			log_event(LOG_LEVEL_ERROR, "review_open_failed",
			          json_pack("{s:s}", "engagement", eid));
			json_decref(in.inputs);
			return DB_ERROR;
		}
	}
	*reviews = in.inputs;
	return DB_OK;
}

int
store_review_release_inputs(struct db_conn *c, const char *campaign, json_t **reviews)
{
	return review_release_read(c, campaign, -1, reviews);
}

int
store_review_release_inputs_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                                  json_t **reviews)
{
	return review_release_read(c, campaign, ahead_ms < 0 ? 0 : ahead_ms, reviews);
}

void
store_review_clear(struct store_review *r)
{
	json_decref(r->changes);
	json_decref(r->row);
	json_decref(r->response);
	json_decref(r->addendum);
	memset(r, 0, sizeof(*r));
}

int
store_review_get(struct db_conn *c, const char *engagement, struct store_review *out)
{
	const char *p[1] = {engagement};
	struct review_raw raw;
	unsigned char key[CRYPTO_KEY_LEN];
	char rowid[STORE_AAD_LEN];
	json_t *text = NULL;
	int rc;

	store_review_clear(out);
	memset(&raw, 0, sizeof(raw));
	if ((rc = store_one(c, "review_get", 1, p, raw_row, &raw)) != DB_OK)
		return rc;
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK) {
		db_row_clear(raw_row, &raw);
		return rc == STORE_NONE ? DB_ERROR : rc;
	}
	snprintf(out->state, sizeof(out->state), "%s", raw.state);
	out->version = raw.version;
	memcpy(out->draft_hash, raw.draft_hash, sizeof(out->draft_hash));
	out->reopened = raw.reopened;
	out->open = raw.open;
	memcpy(out->answered_at, raw.answered_at, sizeof(out->answered_at));
	memcpy(out->addendum_at, raw.addendum_at, sizeof(out->addendum_at));
	memcpy(out->frozen_at, raw.frozen_at, sizeof(out->frozen_at));
	out->changes = json_incref(raw.changes);
	snprintf(rowid, sizeof(rowid), "%s-%lld", engagement, raw.version);
	text = store_open(key, "review_draft", rowid, "row", &raw.row_sealed);
	if (json_is_string(text))
		out->row = json_loads(json_string_value(text), 0, NULL);
	out->response = store_open(key, "review", engagement, "response", &raw.response);
	out->addendum = store_open(key, "review", engagement, "addendum", &raw.addendum);
	explicit_bzero(key, sizeof(key));
	json_decref(text);
	db_row_clear(raw_row, &raw);
	if (out->row == NULL || out->response == NULL || out->addendum == NULL) {
		store_review_clear(out);
		return DB_ERROR;
	}
	return DB_OK;
}

int
store_review_answer(struct db_conn *c, const char *engagement, const char *state,
                    const char *hash_hex, const char *response)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	struct review_id id = {{0}};
	int rc;

	if (response != NULL) {
		if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
			return rc;
		sealed = store_seal(key, "review", engagement, "response", response);
		explicit_bzero(key, sizeof(key));
		if (sealed == NULL)
			return DB_ERROR;
	}
	{
		const char *p[4] = {engagement, state, hash_hex, sealed};

		rc = store_one(c, "review_answer", 4, p, id_row, &id);
	}
	free(sealed);
	return rc;
}

int
store_review_addendum(struct db_conn *c, const char *engagement, const char *hash_hex,
                      const char *text)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed;
	struct review_id id = {{0}};
	int rc;

	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	sealed = store_seal(key, "review", engagement, "addendum", text);
	explicit_bzero(key, sizeof(key));
	if (sealed == NULL)
		return DB_ERROR;
	{
		const char *p[3] = {engagement, sealed, hash_hex};

		rc = store_one(c, "review_addendum", 3, p, id_row, &id);
	}
	free(sealed);
	return rc;
}

int
store_review_states(struct db_conn *c, const char *campaign, struct store_review_state **rows,
                    int *n)
{
	const char *p[1] = {campaign};

	return store_all(c, "review_states_list", 1, p, state_row, sizeof(**rows), (void **)rows,
	                 n);
}

void
store_review_states_free(struct store_review_state *rows, int n)
{
	db_rows_clear(state_row, sizeof(*rows), rows, n);
}

int
store_campaign_dashboard(struct db_conn *c, const char *campaign,
                         struct store_dashboard_cell **rows, int *n)
{
	const char *p[1] = {campaign};

	return store_all(c, "campaign_dashboard", 1, p, dashboard_row, sizeof(**rows),
	                 (void **)rows, n);
}

void
store_dashboard_free(struct store_dashboard_cell *rows, int n)
{
	db_rows_clear(dashboard_row, sizeof(*rows), rows, n);
}

int
store_hold_fields(struct db_conn *c, const char *engagement, json_t **fields,
                  char held_at[STORE_TS_LEN])
{
	const char *p[1] = {engagement};
	struct hold_field *rows = NULL;
	int n = 0, rc;

	*fields = NULL;
	held_at[0] = '\0';
	if ((rc = store_all(c, "hold_fields", 1, p, hold_field_row, sizeof(*rows), (void **)&rows,
	                    &n)) != DB_OK)
		return rc;
	*fields = json_array();
	for (int i = 0; i < n; i++) {
		if (rows[i].field != NULL)
			json_array_append_new(*fields, json_string(rows[i].field));
		memcpy(held_at, rows[i].held_at, STORE_TS_LEN);
	}
	db_rows_clear(hold_field_row, sizeof(*rows), rows, n);
	return DB_OK;
}

int
store_withhold_create(struct db_conn *c, const char *campaign, const char *reason,
                      const char *reasons, const char *user)
{
	const char *p[4] = {campaign, reason, reasons, user};

	return db_run(c, "withhold_create", 4, p);
}

/* store_release_withheld(_ahead when ahead_ms >= 0). */
static int
release_withheld_read(struct db_conn *c, const char *campaign, int ahead_ms, json_t **withheld)
{
	char ahead[STORE_INT_LEN];
	const char *p[2] = {campaign, ahead};
	struct review_json in = {NULL};
	int rc;

	*withheld = NULL;
	snprintf(ahead, sizeof(ahead), "%d", ahead_ms);
	if ((rc = store_one(c, ahead_ms >= 0 ? "release_withheld_ahead" : "release_withheld",
	                    ahead_ms >= 0 ? 2 : 1, p, json_row, &in)) != DB_OK)
		return rc == STORE_NONE ? DB_OK : rc;
	if (json_is_object(in.inputs))
		*withheld = in.inputs;
	else
		json_decref(in.inputs);
	return DB_OK;
}

int
store_release_withheld(struct db_conn *c, const char *campaign, json_t **withheld)
{
	return release_withheld_read(c, campaign, -1, withheld);
}

int
store_release_withheld_ahead(struct db_conn *c, const char *campaign, int ahead_ms,
                             json_t **withheld)
{
	return release_withheld_read(c, campaign, ahead_ms < 0 ? 0 : ahead_ms, withheld);
}

int
store_release_engagement_orgs(struct db_conn *c, const char *campaign, json_t **orgs)
{
	const char *p[1] = {campaign};
	struct review_json in = {NULL};
	int rc;

	*orgs = NULL;
	if ((rc = store_one(c, "release_engagement_orgs", 1, p, json_row, &in)) != DB_OK)
		return rc == STORE_NONE ? DB_ERROR : rc;
	*orgs = in.inputs;
	return DB_OK;
}

int
store_campaign_extend(struct db_conn *c, const char *campaign, long long seconds,
                      char release_at[STORE_TS_LEN])
{
	char secs[STORE_INT_LEN];
	const char *p[2] = {campaign, secs};
	struct extend_row out = {{0}};
	int rc;

	snprintf(secs, sizeof(secs), "%lld", seconds);
	if ((rc = store_one(c, "campaign_extend", 2, p, extend_row, &out)) == DB_OK)
		memcpy(release_at, out.release_at, STORE_TS_LEN);
	return rc;
}

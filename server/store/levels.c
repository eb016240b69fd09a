/*
 * store/levels.c: security levels as data (issue 14, sql/0018_levels.sql):
 * what an engagement emulated (its rules of engagement sealed under the
 * engagement's data key, AAD lockstep/v1/engagement/<id>/rules), the
 * "demonstrated not met" level per threat model, company commitments with
 * the assessor's verdicts, and the frameworks vocabulary. Rows come back as
 * JSON objects built in SQL, so no caller counts columns.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"

#define EMULATION_JSON                                                                             \
	"jsonb_build_object('capability', m.capability, 'access', to_jsonb(m.access),"             \
	" 'person_days', m.person_days, 'fieldwork_from', m.fieldwork_from::text,"                 \
	" 'fieldwork_to', m.fieldwork_to::text, 'updated_by', m.updated_by,"                       \
	" 'updated_at', ls_ts(m.updated_at)) AS emulation, m.rules"
#define COMMITMENT_JSON                                                                            \
	"jsonb_build_object('id', k.id, 'engagement_id', k.engagement_id, 'framework',"            \
	" k.framework, 'version', k.version, 'level', k.level, 'link', k.link,"                    \
	" 'verdict', k.verdict, 'created_by', k.created_by,"                                       \
	" 'created_at', ls_ts(k.created_at), 'verdict_by', k.verdict_by,"                          \
	" 'verdict_at', ls_ts(k.verdict_at)) AS commitment, k.text, k.verdict_summary"

struct levels_emulation {
	json_t *emulation;
	struct db_bytes rules;
};
static const struct db_field emulation_row[] = {
    DB_FIELD(DB_T_JSON, struct levels_emulation, emulation, "emulation"),
    DB_FIELD(DB_T_BYTEA, struct levels_emulation, rules, "rules"), DB_FIELD_END};

struct levels_one {
	json_t *v;
};
/* A commitment as read: its texts still sealed (commitment_open opens them). */
struct levels_commitment {
	json_t *v;
	struct db_bytes text;
	struct db_bytes summary;
};
static const struct db_field commitment_row[] = {
    DB_FIELD(DB_T_JSON, struct levels_commitment, v, "commitment"),
    DB_FIELD(DB_T_BYTEA, struct levels_commitment, text, "text"),
    DB_FIELD(DB_T_BYTEA, struct levels_commitment, summary, "verdict_summary"), DB_FIELD_END};
static const struct db_field frameworks_row[] = {
    DB_FIELD(DB_T_JSON, struct levels_one, v, "frameworks"), DB_FIELD_END};
static const struct db_field inputs_row[] = {DB_FIELD(DB_T_JSON, struct levels_one, v, "levels"),
                                             DB_FIELD_END};
static const struct db_field series_row[] = {DB_FIELD(DB_T_JSON, struct levels_one, v, "series"),
                                             DB_FIELD_END};

struct levels_series_check {
	int released;
	int ok;
};
static const struct db_field series_check_row[] = {
    DB_FIELD(DB_T_BOOL, struct levels_series_check, released, "released"),
    DB_FIELD(DB_T_BOOL, struct levels_series_check, ok, "ok"), DB_FIELD_END};
struct levels_id {
	char id[DB_UUID_LEN + 1];
};
static const struct db_field id_row[] = {DB_FIELD(DB_T_STR, struct levels_id, id, "id"),
                                         DB_FIELD_END};

struct levels_not_met {
	char threat_model[32];
	char not_met_from[8];
	long long refuting;
};
static const struct db_field not_met_row[] = {
    DB_FIELD(DB_T_STR, struct levels_not_met, threat_model, "threat_model"),
    DB_FIELD(DB_T_STR, struct levels_not_met, not_met_from, "not_met_from"),
    DB_FIELD(DB_T_INT, struct levels_not_met, refuting, "refuting"), DB_FIELD_END};

const struct db_statement store_levels_statements[] = {
    {"emulation_get",
     "SELECT " EMULATION_JSON " FROM engagement_emulations m WHERE m.engagement_id = $1::uuid",
     emulation_row},
    {"emulation_put",
     "INSERT INTO engagement_emulations AS m (engagement_id, company_org_id, assessor_org_id,"
     " capability, access, person_days, fieldwork_from, fieldwork_to, rules, updated_by)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4, " STORE_JSON_ARRAY(
         "$5") ", $6::int, $7::date, $8::date, $9::bytea, ls_uid())"
               " ON CONFLICT (engagement_id) DO UPDATE SET capability = EXCLUDED.capability,"
               " access = EXCLUDED.access, person_days = EXCLUDED.person_days,"
               " fieldwork_from = EXCLUDED.fieldwork_from, fieldwork_to = EXCLUDED.fieldwork_to,"
               " rules = EXCLUDED.rules, updated_by = EXCLUDED.updated_by, updated_at = now()"
               " RETURNING " EMULATION_JSON,
     emulation_row},
    {"levels_not_met",
     "SELECT n.threat_model, n.not_met_from, n.refuting FROM ls_not_met($1::uuid) n"
     " ORDER BY n.threat_model",
     not_met_row},
    {"commitment_create",
     "INSERT INTO commitments AS k (id, engagement_id, company_org_id, assessor_org_id,"
     " framework, version, level, text, link, created_by) VALUES ($1::uuid, $2::uuid, $3::uuid,"
     " $4::uuid, $5, $6, $7, $8::bytea, $9, ls_uid()) RETURNING " COMMITMENT_JSON,
     commitment_row},
    {"commitments_list",
     "SELECT " COMMITMENT_JSON " FROM commitments k WHERE k.engagement_id = $1::uuid"
     " ORDER BY k.created_at, k.id",
     commitment_row},
    {"commitment_get", "SELECT " COMMITMENT_JSON " FROM commitments k WHERE k.id = $1::uuid",
     commitment_row},
    {"commitment_verdict",
     "UPDATE commitments AS k SET verdict = $2, verdict_summary = $3::bytea, verdict_by = ls_uid(),"
     " verdict_at = now() WHERE k.id = $1::uuid RETURNING " COMMITMENT_JSON,
     commitment_row},
    {"frameworks_list",
     "SELECT coalesce(jsonb_agg(jsonb_build_object('code', f.code, 'name', f.name,"
     " 'publisher', f.publisher, 'versions', to_jsonb(f.versions), 'levels',"
     " to_jsonb(f.levels), 'source', f.source, 'url', f.url) ORDER BY f.position), '[]')"
     " AS frameworks FROM frameworks f",
     frameworks_row},
    {"levels_inputs", "SELECT levels_inputs($1::uuid) AS levels", inputs_row},
    {"series_check",
     "SELECT ls_campaign_frozen(c.id) AS released, ($2::uuid IS NULL OR EXISTS (SELECT 1"
     " FROM publications p WHERE p.campaign_id = $2::uuid AND p.campaign_id <> c.id"
     " AND p.release_at < c.release_at)) AS ok FROM campaigns c WHERE c.id = $1::uuid",
     series_check_row},
    {"series_set", "UPDATE campaigns SET follows = $2::uuid WHERE id = $1::uuid RETURNING id",
     id_row},
    {"series_get",
     "SELECT jsonb_build_object('campaign_id', c.id, 'follows', (SELECT jsonb_build_object("
     "'id', p.campaign_id, 'slug', p.slug, 'title', p.title, 'sequence', p.seq,"
     " 'release_at', ls_ts(p.release_at)) FROM publications p WHERE p.campaign_id = c.follows))"
     " AS series FROM campaigns c WHERE c.id = $1::uuid",
     series_row},
    {"series_inputs", "SELECT series_inputs($1::uuid) AS series", series_row},
    {NULL, NULL, NULL}};

int
store_emulation_get(struct db_conn *c, const char *engagement, int with_rules, json_t **out)
{
	const char *p[1] = {engagement};
	struct levels_emulation row = {0};
	unsigned char key[CRYPTO_KEY_LEN];
	json_t *rules = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_one(c, "emulation_get", 1, p, emulation_row, &row)) != DB_OK)
		return rc;
	if (with_rules) {
		if (row.rules.p == NULL)
			rules = json_null();
		else if ((rc = store_engagement_key(c, engagement, key)) == DB_OK) {
			rules = store_open(key, "engagement", engagement, "rules", &row.rules);
			explicit_bzero(key, sizeof(key));
		}
		if (rc == DB_OK && rules == NULL)
			rc = DB_ERROR;
		if (rc == DB_OK)
			json_object_set_new(row.emulation, "rules_of_engagement", rules);
	}
	if (rc == DB_OK) {
		*out = row.emulation;
		row.emulation = NULL;
	}
	db_row_clear(emulation_row, &row);
	return rc;
}

int
store_emulation_put(struct db_conn *c, const char *engagement, const char *company,
                    const char *assessor, const struct store_emulation_input *in, json_t **out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct levels_emulation row = {0};
	char *sealed = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	if (in->rules != NULL &&
	    (sealed = store_seal(key, "engagement", engagement, "rules", in->rules)) == NULL)
		rc = DB_ERROR;
	explicit_bzero(key, sizeof(key));
	if (rc == DB_OK) {
		const char *p[9] = {engagement,         company,          assessor,
		                    in->capability,     in->access,       in->person_days,
		                    in->fieldwork_from, in->fieldwork_to, sealed};

		rc = store_one(c, "emulation_put", 9, p, emulation_row, &row);
		if (rc == STORE_NONE)
			rc = DB_ERROR;
	}
	if (rc == DB_OK) {
		*out = row.emulation;
		row.emulation = NULL;
	}
	db_row_clear(emulation_row, &row);
	free(sealed);
	return rc;
}

int
store_not_met(struct db_conn *c, const char *engagement, json_t **out)
{
	const char *p[1] = {engagement};
	struct levels_not_met *rows = NULL;
	int n = 0, rc;

	*out = NULL;
	if ((rc = store_all(c, "levels_not_met", 1, p, not_met_row, sizeof(*rows), (void **)&rows,
	                    &n)) != DB_OK)
		return rc;
	*out = json_object();
	for (int i = 0; *out != NULL && i < n; i++)
		json_object_set_new(*out, rows[i].threat_model,
		                    json_pack("{s:s, s:I}", "not_met_from", rows[i].not_met_from,
		                              "refuting", (json_int_t)rows[i].refuting));
	db_rows_clear(not_met_row, sizeof(*rows), rows, n);
	return *out != NULL ? DB_OK : DB_ERROR;
}

/*
 * Open row's sealed texts with key into its JSON as "text" and
 * "verdict_summary" ("" before a verdict). 0, or -1 (logged by store_open).
 */
static int
commitment_open(const unsigned char key[CRYPTO_KEY_LEN], struct levels_commitment *row)
{
	const char *id = json_string_value(json_object_get(row->v, "id"));
	json_t *text, *sum;

	if (id == NULL)
		return -1;
	text = store_open(key, "commitment", id, "text", &row->text);
	sum = row->summary.p != NULL
	          ? store_open(key, "commitment", id, "verdict_summary", &row->summary)
	          : json_string("");
	if (!json_is_string(text) || !json_is_string(sum)) {
		json_decref(text);
		json_decref(sum);
		return -1;
	}
	json_object_set_new(row->v, "text", text);
	json_object_set_new(row->v, "verdict_summary", sum);
	return 0;
}

/*
 * Run statement name (n parameters p) and read its commitments, opened
 * with engagement's key, into *out: one object (one != 0; STORE_NONE when
 * there is none) or an array.
 */
static int
commitment_read(struct db_conn *c, const char *engagement, const char *name, int n,
                const char *const *p, int one, json_t **out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct levels_commitment *rows = NULL;
	int nrows = 0, rc;

	*out = NULL;
	if ((rc = store_all(c, name, n, p, commitment_row, sizeof(*rows), (void **)&rows,
	                    &nrows)) != DB_OK)
		return rc;
	if (one && nrows != 1) {
		db_rows_clear(commitment_row, sizeof(*rows), rows, nrows);
		return STORE_NONE;
	}
	if (nrows > 0 && engagement == NULL)
		engagement = json_string_value(json_object_get(rows[0].v, "engagement_id"));
	if (nrows > 0 &&
	    (rc = store_engagement_key(c, engagement ? engagement : "", key)) != DB_OK) {
		db_rows_clear(commitment_row, sizeof(*rows), rows, nrows);
		return rc == STORE_NONE && one ? STORE_NONE : (rc == STORE_NONE ? DB_ERROR : rc);
	}
	*out = one ? NULL : json_array();
	for (int i = 0; rc == DB_OK && i < nrows; i++) {
		if (commitment_open(key, &rows[i]) != 0) {
			rc = DB_ERROR;
			break;
		}
		if (one)
			*out = json_incref(rows[i].v);
		else
			json_array_append(*out, rows[i].v);
	}
	explicit_bzero(key, sizeof(key));
	db_rows_clear(commitment_row, sizeof(*rows), rows, nrows);
	if (rc != DB_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
store_commitment_create(struct db_conn *c, const char *id, const char *engagement,
                        const char *company, const char *assessor,
                        const struct store_commitment_input *in, json_t **out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	sealed = store_seal(key, "commitment", id, "text", in->text);
	explicit_bzero(key, sizeof(key));
	if (sealed == NULL)
		return DB_ERROR;
	{
		const char *p[9] = {id,          engagement, company, assessor, in->framework,
		                    in->version, in->level,  sealed,  in->link};

		rc = commitment_read(c, engagement, "commitment_create", 9, p, 1, out);
	}
	free(sealed);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_commitment_list(struct db_conn *c, const char *engagement, json_t **out)
{
	const char *p[1] = {engagement};

	return commitment_read(c, engagement, "commitments_list", 1, p, 0, out);
}

int
store_commitment_get(struct db_conn *c, const char *id, json_t **out)
{
	const char *p[1] = {id};

	return commitment_read(c, NULL, "commitment_get", 1, p, 1, out);
}

int
store_commitment_verdict(struct db_conn *c, const char *id, const char *engagement,
                         const char *verdict, const char *summary, json_t **out)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *sealed = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_engagement_key(c, engagement, key)) != DB_OK)
		return rc;
	sealed = store_seal(key, "commitment", id, "verdict_summary", summary);
	explicit_bzero(key, sizeof(key));
	if (sealed == NULL)
		return DB_ERROR;
	{
		const char *p[3] = {id, verdict, sealed};

		rc = commitment_read(c, engagement, "commitment_verdict", 3, p, 1, out);
	}
	free(sealed);
	return rc;
}

int
store_frameworks(struct db_conn *c, json_t **out)
{
	struct levels_one row = {0};
	int rc;

	*out = NULL;
	if ((rc = store_one(c, "frameworks_list", 0, NULL, frameworks_row, &row)) == DB_OK)
		*out = row.v;
	return rc;
}

/*
 * Open the sealed commitment texts of one engagement's levels_inputs()
 * entry l in place ("text", "summary"), unwrapping its data key
 * ("data_key", hex) with the master key the store holds. 0 or -1.
 */
static int
levels_open_commitments(const char *eid, json_t *l)
{
	const char *wk = json_string_value(json_object_get(l, "data_key"));
	unsigned char key[CRYPTO_KEY_LEN], *wrapped = NULL;
	size_t wlen = 0, i;
	json_t *k;
	int ok;

	ok = wk != NULL && store_hex_bytes(wk, &wrapped, &wlen) == 0 &&
	     store_unwrap_key("engagement", eid, "data_key", wrapped, wlen, key) == 0;
	free(wrapped);
	json_array_foreach(json_object_get(l, "commitments"), i, k)
	{
		const char *id = json_string_value(json_object_get(k, "id"));
		const char *th = json_string_value(json_object_get(k, "text_sealed"));
		const char *sh = json_string_value(json_object_get(k, "summary_sealed"));
		json_t *text, *sum;

		if (!ok || id == NULL || th == NULL) {
			ok = 0;
			break;
		}
		text = store_open_hex_text(key, th, "commitment", id, "text");
		sum = sh != NULL ? store_open_hex_text(key, sh, "commitment", id, "verdict_summary")
		                 : json_string("");
		if (text == NULL || sum == NULL) {
			json_decref(text);
			json_decref(sum);
			ok = 0;
			break;
		}
		json_object_set_new(k, "text", text);
		json_object_set_new(k, "summary", sum);
		json_object_del(k, "text_sealed");
		json_object_del(k, "summary_sealed");
	}
	explicit_bzero(key, sizeof(key));
	return ok ? 0 : -1;
}

int
store_levels_attach(struct db_conn *c, const char *campaign, json_t *inputs)
{
	const char *p[1] = {campaign};
	struct levels_one row = {0};
	json_t *e;
	size_t i;
	int rc;

	if ((rc = store_one(c, "levels_inputs", 1, p, inputs_row, &row)) != DB_OK)
		return rc == STORE_NONE ? DB_OK : rc;
	json_array_foreach(json_object_get(inputs, "engagements"), i, e)
	{
		const char *eid = json_string_value(json_object_get(e, "id"));
		json_t *l = eid ? json_object_get(row.v, eid) : NULL;

		if (!json_is_object(l))
			continue;
		/* the commitments' texts come sealed: open them with the master key */
		if (json_array_size(json_object_get(l, "commitments")) > 0 &&
		    levels_open_commitments(eid, l) != 0) {
			db_row_clear(inputs_row, &row);
			return DB_ERROR;
		}
		json_object_del(l, "data_key");
		json_object_set(e, "levels", l);
	}
	db_row_clear(inputs_row, &row);
	return DB_OK;
}

int
store_series_get(struct db_conn *c, const char *campaign, json_t **out)
{
	const char *p[1] = {campaign};
	struct levels_one row = {0};
	int rc;

	*out = NULL;
	if ((rc = store_one(c, "series_get", 1, p, series_row, &row)) == DB_OK)
		*out = row.v;
	return rc;
}

int
store_series_set(struct db_conn *c, const char *campaign, const char *follows, int *released,
                 int *ok)
{
	const char *p[2] = {campaign, follows};
	struct levels_series_check chk = {0};
	struct levels_id id = {{0}};
	int rc;

	*released = *ok = 0;
	if ((rc = store_one(c, "series_check", 2, p, series_check_row, &chk)) != DB_OK)
		return rc;
	*released = chk.released;
	*ok = chk.ok;
	if (chk.released || !chk.ok)
		return DB_OK;
	return store_one(c, "series_set", 2, p, id_row, &id);
}

int
store_series_attach(struct db_conn *c, const char *campaign, json_t *inputs)
{
	const char *p[1] = {campaign};
	struct levels_one row = {0};
	int rc;

	if ((rc = store_one(c, "series_inputs", 1, p, series_row, &row)) != DB_OK)
		return rc == STORE_NONE ? DB_OK : rc;
	if (json_is_object(row.v))
		json_object_set(inputs, "follows", row.v);
	db_row_clear(series_row, &row);
	return DB_OK;
}

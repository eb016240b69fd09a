/*
 * store/engagement.c: engagements (one company x one assessor in a
 * campaign) and their secrets: the data key wrapped under the master key,
 * and the confidential scope sealed under the data key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"

#define ENGAGEMENT_COLS                                                                            \
	"e.id, e.campaign_id, e.company_org_id, co.name AS company_name,"                          \
	" to_jsonb(co.aliases) AS company_aliases, e.assessor_org_id,"                             \
	" ao.name AS assessor_name, to_jsonb(e.lead_assessors) AS lead_assessors, e.state,"        \
	" ls_ts(e.created_at) AS created_at, ls_ts(e.stage_changed_at) AS stage_changed_at,"       \
	" c.title AS campaign_title,"                                                              \
	" to_jsonb(c.threat_models) AS threat_models, ls_campaign_frozen(c.id) AS released,"       \
	" ls_review_opens(c.release_at, c.review_opens_at) <= now() AS review_open"
#define ENGAGEMENT_FROM                                                                            \
	" FROM engagements e JOIN campaigns c ON c.id = e.campaign_id"                             \
	" LEFT JOIN orgs co ON co.id = e.company_org_id"                                           \
	" LEFT JOIN orgs ao ON ao.id = e.assessor_org_id"

#define E struct store_engagement
static const struct db_field engagement_row[] = {
    DB_FIELD(DB_T_STR, E, id, "id"),
    DB_FIELD(DB_T_STR, E, campaign_id, "campaign_id"),
    DB_FIELD(DB_T_STR, E, company_org_id, "company_org_id"),
    DB_FIELD(DB_T_TEXT, E, company_name, "company_name"),
    DB_FIELD(DB_T_JSON, E, company_aliases, "company_aliases"),
    DB_FIELD(DB_T_STR, E, assessor_org_id, "assessor_org_id"),
    DB_FIELD(DB_T_TEXT, E, assessor_name, "assessor_name"),
    DB_FIELD(DB_T_JSON, E, lead_assessors, "lead_assessors"),
    DB_FIELD(DB_T_STR, E, state, "state"),
    DB_FIELD(DB_T_STR, E, created_at, "created_at"),
    DB_FIELD(DB_T_STR, E, stage_changed_at, "stage_changed_at"),
    DB_FIELD(DB_T_TEXT, E, campaign_title, "campaign_title"),
    DB_FIELD(DB_T_JSON, E, threat_models, "threat_models"),
    DB_FIELD(DB_T_BOOL, E, released, "released"),
    DB_FIELD(DB_T_BOOL, E, review_open, "review_open"),
    DB_FIELD_END};
#undef E

struct engagement_secret {
	struct db_bytes data_key;
	struct db_bytes scope;
};
static const struct db_field secret_row[] = {
    DB_FIELD(DB_T_BYTEA, struct engagement_secret, data_key, "data_key"),
    DB_FIELD(DB_T_BYTEA, struct engagement_secret, scope, "scope"), DB_FIELD_END};

#define T struct store_stage
static const struct db_field stage_row[] = {
    DB_FIELD(DB_T_TEXT, T, from_state, "from_state"), DB_FIELD(DB_T_STR, T, to_state, "to_state"),
    DB_FIELD(DB_T_STR, T, changed_at, "changed_at"),
    DB_FIELD(DB_T_TEXT, T, changed_by, "changed_by"), DB_FIELD_END};
static const struct db_field transition_row[] = {DB_FIELD(DB_T_TEXT, T, from_state, "from_state"),
                                                 DB_FIELD(DB_T_STR, T, to_state, "to_state"),
                                                 DB_FIELD_END};
#undef T
struct engagement_moved {
	char id[DB_UUID_LEN + 1];
};
static const struct db_field moved_row[] = {DB_FIELD(DB_T_STR, struct engagement_moved, id, "id"),
                                            DB_FIELD_END};

const struct db_statement store_engagement_statements[] = {
    {"engagement_create",
     "INSERT INTO engagements (id, campaign_id, company_org_id, assessor_org_id, lead_assessors)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, " STORE_JSON_ARRAY("$5") ")",
     NULL},
    {"engagement_secret_create",
     "INSERT INTO engagement_secrets (engagement_id, company_org_id, assessor_org_id, data_key,"
     " scope) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::bytea, $5::bytea)",
     NULL},
    {"engagement_get", "SELECT " ENGAGEMENT_COLS ENGAGEMENT_FROM " WHERE e.id = $1::uuid",
     engagement_row},
    {"engagements_list",
     "SELECT " ENGAGEMENT_COLS ENGAGEMENT_FROM " WHERE ($1::uuid IS NULL OR (e.created_at, e.id) >"
     " (SELECT t.created_at, t.id FROM engagements t WHERE t.id = $1::uuid))"
     " ORDER BY e.created_at, e.id LIMIT $2::int",
     engagement_row},
    {"campaign_engagements",
     "SELECT " ENGAGEMENT_COLS ENGAGEMENT_FROM " WHERE e.campaign_id = $1::uuid"
     " ORDER BY e.created_at, e.id",
     engagement_row},
    {"engagement_move",
     /* FOR NO KEY UPDATE: a stage move changes no key, so it must not
      * block the foreign-key checks of rows naming the engagement (the
      * review round's drafts waited on it while the move's own event
      * waited on the round: a deadlock) */
     "WITH cur AS (SELECT e.id, e.state FROM engagements e WHERE e.id = $1::uuid"
     " FOR NO KEY UPDATE)"
     " UPDATE engagements e SET state = $2 FROM cur"
     " WHERE e.id = cur.id AND cur.state = $3"
     " AND EXISTS (SELECT 1 FROM engagement_transitions t"
     " WHERE t.from_state = cur.state AND t.to_state = $2)"
     " RETURNING e.id",
     moved_row},
    {"engagement_transitions",
     "SELECT t.from_state, t.to_state FROM engagement_transitions t"
     " JOIN vocabulary v ON v.name = 'engagement_state' AND v.code = t.to_state"
     " ORDER BY t.from_state, v.position",
     transition_row},
    {"engagement_stages",
     "SELECT h.from_state, h.to_state, ls_ts(h.changed_at) AS changed_at,"
     " h.changed_by::text AS changed_by FROM engagement_stage_history h"
     " WHERE h.engagement_id = $1::uuid ORDER BY h.id",
     stage_row},
    {"engagement_secret_get",
     "SELECT data_key, scope FROM engagement_secrets WHERE engagement_id = $1::uuid", secret_row},
    {NULL, NULL, NULL}};

int
store_engagement_create(struct db_conn *c, const char *id, const char *campaign,
                        const char *company, const char *assessor, const char *leads,
                        const char *scope)
{
	unsigned char key[CRYPTO_KEY_LEN];
	char *wrapped = NULL, *sealed = NULL;
	int rc = DB_ERROR;

	if (crypto_random(key, sizeof(key)) != 0)
		goto done;
	wrapped = store_wrap_key("engagement", id, "data_key", key);
	sealed = store_seal(key, "engagement", id, "scope", scope);
	if (wrapped == NULL || sealed == NULL)
		goto done;
	{
		const char *pe[5] = {id, campaign, company, assessor, leads};
		const char *ps[5] = {id, company, assessor, wrapped, sealed};

		if ((rc = db_run(c, "engagement_create", 5, pe)) == DB_OK)
			rc = db_run(c, "engagement_secret_create", 5, ps);
	}
done:
	explicit_bzero(key, sizeof(key));
	free(wrapped);
	free(sealed);
	return rc;
}

int
store_engagement_get(struct db_conn *c, const char *id, struct store_engagement *out)
{
	const char *p[1] = {id};

	store_engagement_clear(out);
	return store_one(c, "engagement_get", 1, p, engagement_row, out);
}

int
store_engagement_list(struct db_conn *c, const char *after, int limit,
                      struct store_engagement **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[2] = {after, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "engagements_list", 2, p, engagement_row, sizeof(**rows), (void **)rows,
	                 n);
}

int
store_engagement_list_by_campaign(struct db_conn *c, const char *campaign,
                                  struct store_engagement **rows, int *n)
{
	const char *p[1] = {campaign};

	return store_all(c, "campaign_engagements", 1, p, engagement_row, sizeof(**rows),
	                 (void **)rows, n);
}

/*
 * Read the engagement's secrets row into s and unwrap its data key into
 * key. DB_OK (clear s, wipe key), STORE_NONE when not visible, or a
 * db_status (s cleared then).
 */
static int
engagement_secret_key(struct db_conn *c, const char *id, struct engagement_secret *s,
                      unsigned char key[CRYPTO_KEY_LEN])
{
	const char *p[1] = {id};
	int rc;

	if ((rc = store_one(c, "engagement_secret_get", 1, p, secret_row, s)) != DB_OK)
		return rc;
	if (store_unwrap_key("engagement", id, "data_key", s->data_key.p, s->data_key.len, key) !=
	    0) {
		db_row_clear(secret_row, s);
		return DB_ERROR;
	}
	return DB_OK;
}

int
store_engagement_key(struct db_conn *c, const char *id, unsigned char key[CRYPTO_KEY_LEN])
{
	struct engagement_secret s;
	int rc;

	if ((rc = engagement_secret_key(c, id, &s, key)) == DB_OK)
		db_row_clear(secret_row, &s);
	return rc;
}

int
store_engagement_scope(struct db_conn *c, const char *id, json_t **scope)
{
	unsigned char key[CRYPTO_KEY_LEN];
	struct engagement_secret s;
	int rc;

	*scope = NULL;
	if ((rc = engagement_secret_key(c, id, &s, key)) != DB_OK)
		return rc;
	if ((*scope = store_open(key, "engagement", id, "scope", &s.scope)) == NULL)
		rc = DB_ERROR;
	explicit_bzero(key, sizeof(key));
	db_row_clear(secret_row, &s);
	return rc;
}

int
store_engagement_move(struct db_conn *c, const char *id, const char *from, const char *to)
{
	const char *p[3] = {id, to, from};
	struct engagement_moved m = {{0}};

	return store_one(c, "engagement_move", 3, p, moved_row, &m);
}

int
store_engagement_stages(struct db_conn *c, const char *id, struct store_stage **rows, int *n)
{
	const char *p[1] = {id};

	return store_all(c, "engagement_stages", 1, p, stage_row, sizeof(**rows), (void **)rows, n);
}

int
store_engagement_transitions(struct db_conn *c, struct store_stage **rows, int *n)
{
	return store_all(c, "engagement_transitions", 0, NULL, transition_row, sizeof(**rows),
	                 (void **)rows, n);
}

void
store_stages_free(struct store_stage *rows, int n)
{
	db_rows_clear(stage_row, sizeof(*rows), rows, n);
}

void
store_engagement_clear(struct store_engagement *e)
{
	db_row_clear(engagement_row, e);
}

void
store_engagements_free(struct store_engagement *rows, int n)
{
	db_rows_clear(engagement_row, sizeof(*rows), rows, n);
}

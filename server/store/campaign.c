/* store/campaign.c: campaigns, their progress counts and their release status. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/tables.h"

/* released: see ls_campaign_frozen in 0003_publications.sql */
#define CAMPAIGN_COLS                                                                              \
	"id, title, slug, to_jsonb(threat_models) AS threat_models,"                               \
	" ls_ts(release_at) AS release_at, ls_ts(planned_release_at) AS planned_release_at,"       \
	" disclosure, min_cohort, state, ls_ts(created_at) AS created_at,"                         \
	" ls_ts(updated_at) AS updated_at, ls_campaign_frozen(id) AS released,"                    \
	" ls_ts(ls_review_opens(release_at, review_opens_at)) AS review_opens_at,"                 \
	" review_opens_at IS NULL AS review_opens_default,"                                        \
	" require_second_factor"

#define K struct store_campaign
static const struct db_field campaign_row[] = {
    DB_FIELD(DB_T_STR, K, id, "id"),
    DB_FIELD(DB_T_TEXT, K, title, "title"),
    DB_FIELD(DB_T_STR, K, slug, "slug"),
    DB_FIELD(DB_T_JSON, K, threat_models, "threat_models"),
    DB_FIELD(DB_T_STR, K, release_at, "release_at"),
    DB_FIELD(DB_T_STR, K, planned_release_at, "planned_release_at"),
    DB_FIELD(DB_T_STR, K, disclosure, "disclosure"),
    DB_FIELD(DB_T_INT, K, min_cohort, "min_cohort"),
    DB_FIELD(DB_T_STR, K, state, "state"),
    DB_FIELD(DB_T_STR, K, created_at, "created_at"),
    DB_FIELD(DB_T_STR, K, updated_at, "updated_at"),
    DB_FIELD(DB_T_BOOL, K, released, "released"),
    DB_FIELD(DB_T_STR, K, review_opens_at, "review_opens_at"),
    DB_FIELD(DB_T_BOOL, K, review_opens_default, "review_opens_default"),
    DB_FIELD(DB_T_BOOL, K, require_second_factor, "require_second_factor"),
    DB_FIELD_END};
#undef K

static const struct db_field progress_row[] = {
    DB_FIELD(DB_T_STR, struct store_progress, engagement_id, "engagement_id"),
    DB_FIELD(DB_T_INT, struct store_progress, findings_total, "findings_total"),
    DB_FIELD(DB_T_INT, struct store_progress, findings_open, "findings_open"),
    DB_FIELD(DB_T_INT, struct store_progress, claims_total, "claims_total"),
    DB_FIELD(DB_T_BOOL, struct store_progress, has_statement, "has_statement"),
    DB_FIELD_END};

#define R struct store_release_status
static const struct db_field release_row[] = {
    DB_FIELD(DB_T_STR, R, status, "status"),   DB_FIELD(DB_T_JSON, R, reasons, "reasons"),
    DB_FIELD(DB_T_STR, R, held_at, "held_at"), DB_FIELD(DB_T_STR, R, checked_at, "checked_at"),
    DB_FIELD(DB_T_TEXT, R, slug, "slug"),      DB_FIELD(DB_T_INT, R, seq, "seq"),
    DB_FIELD(DB_T_STR, R, hash, "hash"),       DB_FIELD_END};
#undef R

struct campaign_ts {
	int future;
	char norm[STORE_TS_LEN];
};
static const struct db_field ts_row[] = {DB_FIELD(DB_T_BOOL, struct campaign_ts, future, "future"),
                                         DB_FIELD(DB_T_STR, struct campaign_ts, norm, "norm"),
                                         DB_FIELD_END};

struct campaign_history {
	json_t *history;
};
static const struct db_field history_row[] = {
    DB_FIELD(DB_T_JSON, struct campaign_history, history, "history"), DB_FIELD_END};

struct campaign_embargo {
	int brk;
};
static const struct db_field embargo_row[] = {
    DB_FIELD(DB_T_BOOL, struct campaign_embargo, brk, "embargo_break"), DB_FIELD_END};

const struct db_statement store_campaign_statements[] = {
    {"ts_future", "SELECT $1::timestamptz > now() AS future, ls_ts($1::timestamptz) AS norm",
     ts_row},
    {"campaign_create",
     "INSERT INTO campaigns (title, slug, threat_models, release_at, planned_release_at,"
     " disclosure, min_cohort) VALUES ($1, $2, " STORE_JSON_ARRAY(
         "$3") ", $4::timestamptz, $4::timestamptz, $5, $6::int) RETURNING " CAMPAIGN_COLS,
     campaign_row},
    {"campaign_get", "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = $1::uuid", campaign_row},
    {"campaign_lock", "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = $1::uuid FOR UPDATE",
     campaign_row},
    {"campaigns_list",
     "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE " STORE_AFTER(
         "campaigns", "$1") " ORDER BY campaigns.created_at, campaigns.id LIMIT $2::int",
     campaign_row},
    {"campaign_update",
     "UPDATE campaigns SET title = coalesce($2, title),"
     " threat_models = CASE WHEN $3::jsonb IS NULL THEN threat_models ELSE " STORE_JSON_ARRAY(
         "$3") " END,"
               " release_at = coalesce($4::timestamptz, release_at),"
               " disclosure = coalesce($5, disclosure), min_cohort = coalesce($6::int, min_cohort),"
               " state = coalesce($7, state), review_opens_at = CASE WHEN $8::text IS NULL"
               " THEN review_opens_at WHEN $8::text = 'default' THEN NULL"
               " ELSE $8::text::timestamptz END, slug = coalesce($9, slug), updated_at = now()"
               " WHERE id = $1::uuid RETURNING " CAMPAIGN_COLS,
     campaign_row},
    /* issue 9: the coordinator's second-factor requirement */
    {"campaign_second_factor",
     "UPDATE campaigns SET require_second_factor = $2::boolean, updated_at = now()"
     " WHERE id = $1::uuid RETURNING " CAMPAIGN_COLS,
     campaign_row},
    {"campaign_progress",
     "SELECT p.engagement_id, p.findings_total, p.findings_open, p.claims_total, p.has_statement"
     " FROM campaign_progress($1::uuid) p",
     progress_row},
    {"campaign_release_status",
     "SELECT CASE WHEN c.state = 'published' THEN 'published'"
     " WHEN c.release_at > now() THEN 'scheduled'"
     " WHEN h.campaign_id IS NOT NULL THEN 'held' ELSE 'due' END AS status,"
     " CASE WHEN c.release_at <= now() THEN h.reasons END AS reasons,"
     " ls_ts(h.held_at) AS held_at, ls_ts(h.checked_at) AS checked_at,"
     " p.slug, p.seq, encode(p.hash, 'hex') AS hash"
     /* a hold found before the current instant (an extended release) is
      * history until the scheduler checks again: 'due' meanwhile */
     " FROM campaigns c LEFT JOIN release_holds h ON h.campaign_id = c.id"
     " AND h.checked_at >= c.release_at"
     " LEFT JOIN publications p ON p.campaign_id = c.id WHERE c.id = $1::uuid",
     release_row},
    /* the release-date history (0004), coordinator only */
    {"campaign_release_history",
     "SELECT coalesce(jsonb_agg(jsonb_build_object('release_at', ls_ts(release_at),"
     " 'announced_at', ls_ts(announced_at)) ORDER BY id), '[]') AS history"
     " FROM campaign_release_history WHERE campaign_id = $1::uuid",
     history_row},
    /* is $2 earlier than an instant ever announced for campaign $1? */
    {"campaign_embargo_check",
     "SELECT EXISTS (SELECT 1 FROM campaign_release_history WHERE campaign_id = $1::uuid"
     " AND release_at > $2::timestamptz) AS embargo_break",
     embargo_row},
    {NULL, NULL, NULL}};

int
store_ts_future(struct db_conn *c, const char *ts, int *future, char norm[STORE_TS_LEN])
{
	const char *p[1] = {ts};
	struct campaign_ts t;
	int rc;

	*future = 0;
	rc = store_one(c, "ts_future", 1, p, ts_row, &t);
	if (rc == STORE_NONE)
		return DB_ERROR;
	if (rc == DB_OK) {
		*future = t.future;
		memcpy(norm, t.norm, STORE_TS_LEN);
	}
	return rc;
}

int
store_campaign_create(struct db_conn *c, const char *title, const char *slug,
                      const char *threat_models, const char *release_at, const char *disclosure,
                      const char *min_cohort, struct store_campaign *out)
{
	const char *p[6] = {title, slug, threat_models, release_at, disclosure, min_cohort};
	int rc;

	store_campaign_clear(out);
	rc = store_one(c, "campaign_create", 6, p, campaign_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_campaign_get(struct db_conn *c, const char *id, struct store_campaign *out)
{
	const char *p[1] = {id};

	store_campaign_clear(out);
	return store_one(c, "campaign_get", 1, p, campaign_row, out);
}

int
store_campaign_lock(struct db_conn *c, const char *id, struct store_campaign *out)
{
	const char *p[1] = {id};

	store_campaign_clear(out);
	return store_one(c, "campaign_lock", 1, p, campaign_row, out);
}

int
store_campaign_list(struct db_conn *c, const char *after, int limit, struct store_campaign **rows,
                    int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[2] = {after, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return store_all(c, "campaigns_list", 2, p, campaign_row, sizeof(**rows), (void **)rows, n);
}

int
store_campaign_update(struct db_conn *c, const char *id, const struct store_campaign_change *ch,
                      struct store_campaign *out)
{
	const char *p[9] = {id,
	                    ch->title,
	                    ch->threat_models,
	                    ch->release_at,
	                    ch->disclosure,
	                    ch->min_cohort,
	                    ch->state,
	                    ch->review_opens_at,
	                    ch->slug};

	store_campaign_clear(out);
	return store_one(c, "campaign_update", 9, p, campaign_row, out);
}

int
store_campaign_progress(struct db_conn *c, const char *id, struct store_progress **rows, int *n)
{
	const char *p[1] = {id};

	return store_all(c, "campaign_progress", 1, p, progress_row, sizeof(**rows), (void **)rows,
	                 n);
}

int
store_campaign_release_status(struct db_conn *c, const char *id, struct store_release_status *out)
{
	const char *p[1] = {id};
	int rc;

	store_release_status_clear(out);
	rc = store_one(c, "campaign_release_status", 1, p, release_row, out);
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_campaign_release_history(struct db_conn *c, const char *id, json_t **history)
{
	const char *p[1] = {id};
	struct campaign_history h = {NULL};
	int rc;

	*history = NULL;
	rc = store_one(c, "campaign_release_history", 1, p, history_row, &h);
	if (rc == DB_OK)
		*history = h.history;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_campaign_embargo_break(struct db_conn *c, const char *id, const char *release_at, int *brk)
{
	const char *p[2] = {id, release_at};
	struct campaign_embargo e = {0};
	int rc;

	*brk = 0;
	rc = store_one(c, "campaign_embargo_check", 2, p, embargo_row, &e);
	*brk = e.brk;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

void
store_campaign_clear(struct store_campaign *k)
{
	db_row_clear(campaign_row, k);
}

void
store_campaigns_free(struct store_campaign *rows, int n)
{
	db_rows_clear(campaign_row, sizeof(*rows), rows, n);
}

void
store_progress_free(struct store_progress *rows, int n)
{
	db_rows_clear(progress_row, sizeof(*rows), rows, n);
}

void
store_release_status_clear(struct store_release_status *s)
{
	db_row_clear(release_row, s);
}

int
store_campaign_second_factor(struct db_conn *c, const char *id, int required,
                             struct store_campaign *out)
{
	const char *p[2] = {id, required ? "true" : "false"};

	store_campaign_clear(out);
	return store_one(c, "campaign_second_factor", 2, p, campaign_row, out);
}

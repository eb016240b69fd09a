/* store/audit.c: the append-only, hash-chained audit log. */
#include "config.h"

#include "store/store.h"
#include "store/tables.h"

#include <stdio.h>

const struct db_statement store_audit_statements[] = {
    {"audit_append",
     "SELECT audit_append($1, $2, $3, ARRAY(SELECT x::uuid FROM unnest(ARRAY[$4, $5]) x"
     " WHERE x IS NOT NULL AND x <> ''), $6::jsonb, $7)",
     NULL},
    {NULL, NULL, NULL}};

int
store_audit_append(struct db_conn *c, const char *action, const char *object_type,
                   const char *object_id, const char *org1, const char *org2, const char *detail,
                   const char *addr)
{
	const char *p[7] = {action, object_type, object_id, org1, org2, detail ? detail : "{}",
	                    addr};

	return db_run(c, "audit_append", 7, p);
}

#define A struct store_audit_event
static const struct db_field audit_event_row[] = {
    DB_FIELD(DB_T_INT, A, id, "id"),
    DB_FIELD(DB_T_STR, A, at, "at"),
    DB_FIELD(DB_T_TEXT, A, actor_user, "actor_user"),
    DB_FIELD(DB_T_TEXT, A, actor_org, "actor_org"),
    DB_FIELD(DB_T_TEXT, A, actor_kind, "actor_kind"),
    DB_FIELD(DB_T_TEXT, A, addr, "addr"),
    DB_FIELD(DB_T_TEXT, A, action, "action"),
    DB_FIELD(DB_T_TEXT, A, object_type, "object_type"),
    DB_FIELD(DB_T_TEXT, A, object_id, "object_id"),
    DB_FIELD(DB_T_JSON, A, orgs, "orgs"),
    DB_FIELD(DB_T_JSON, A, detail, "detail"),
    DB_FIELD(DB_T_STR, A, prev_hash, "prev_hash"),
    DB_FIELD(DB_T_STR, A, hash, "hash"),
    DB_FIELD(DB_T_TEXT, A, hashed, "hashed"),
    DB_FIELD_END};
#undef A

const struct db_statement store_audit_export_statements[] = {
    {"audit_export",
     "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,"
     " actor_user::text AS actor_user, actor_org::text AS actor_org, actor_kind, addr, action,"
     " object_type, object_id, to_jsonb(orgs) AS orgs, detail,"
     " encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash,"
     " jsonb_build_array(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
     " actor_user, actor_org, actor_kind, addr, action, object_type, object_id, orgs,"
     " detail)::text AS hashed"
     " FROM audit_events WHERE audit_events.id > $1::bigint AND audit_events.hash IS NOT NULL"
     " ORDER BY audit_events.id"
     " LIMIT $2::int",
     audit_event_row},
    {NULL, NULL, NULL}};

int
store_audit_export(struct db_conn *c, long long after, int limit, struct store_audit_event **rows,
                   int *n)
{
	char a[STORE_INT_LEN], l[STORE_INT_LEN];
	const char *p[2] = {a, l};

	snprintf(a, sizeof(a), "%lld", after);
	snprintf(l, sizeof(l), "%d", limit);
	return store_all(c, "audit_export", 2, p, audit_event_row, sizeof(**rows), (void **)rows,
	                 n);
}

void
store_audit_events_free(struct store_audit_event *rows, int n)
{
	db_rows_clear(audit_event_row, sizeof(*rows), rows, n);
}

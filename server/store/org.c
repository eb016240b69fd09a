/* store/org.c: orgs (coordinator, assessor and company organisations). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "store/tables.h"

#define ORG_COLS                                                                                   \
	"id, kind, name, to_jsonb(aliases) AS aliases, disabled, ls_ts(created_at) AS created_at"

static const struct db_field org_row[] = {
    DB_FIELD(DB_T_STR, struct store_org, id, "id"),
    DB_FIELD(DB_T_STR, struct store_org, kind, "kind"),
    DB_FIELD(DB_T_TEXT, struct store_org, name, "name"),
    DB_FIELD(DB_T_JSON, struct store_org, aliases, "aliases"),
    DB_FIELD(DB_T_BOOL, struct store_org, disabled, "disabled"),
    DB_FIELD(DB_T_STR, struct store_org, created_at, "created_at"),
    DB_FIELD_END};

struct org_names {
	json_t *names;
};
static const struct db_field names_row[] = {DB_FIELD(DB_T_JSON, struct org_names, names, "names"),
                                            DB_FIELD_END};

const struct db_statement store_org_statements[] = {
    {"org_create",
     "INSERT INTO orgs (kind, name, aliases) VALUES ($1, $2, " STORE_JSON_ARRAY(
         "$3") ") RETURNING " ORG_COLS,
     org_row},
    {"org_get", "SELECT " ORG_COLS " FROM orgs WHERE id = $1::uuid", org_row},
    {"orgs_list",
     "SELECT " ORG_COLS " FROM orgs WHERE " STORE_AFTER(
         "orgs", "$1") " ORDER BY orgs.created_at, orgs.id LIMIT $2::int",
     org_row},
    /* the name pre-check (0004): every company's names and aliases, for a participant */
    {"name_check_names",
     "SELECT coalesce(jsonb_agg(n), '[]') AS names FROM name_check_names($1::uuid) AS n",
     names_row},
    /* display names beside the ids of an answer (0017): users through the
     * narrow SECURITY DEFINER rule, orgs through orgs_read */
    {"names_resolve",
     "SELECT jsonb_build_object("
     " 'users', coalesce((SELECT jsonb_object_agg(n.id, n.name) FROM ls_user_names(ARRAY("
     "   SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) AS x)) AS n), '{}'),"
     " 'orgs', coalesce((SELECT jsonb_object_agg(o.id, o.name) FROM orgs o WHERE o.id = ANY (ARRAY("
     "   SELECT x::uuid FROM jsonb_array_elements_text($2::jsonb) AS x))), '{}')) AS names",
     names_row},
    {NULL, NULL, NULL}};

int
store_org_create(struct db_conn *c, const char *kind, const char *name, const char *aliases,
                 struct store_org *out)
{
	const char *p[3] = {kind, name, aliases};
	struct db_result *q;
	enum db_status st;
	int rc = DB_ERROR;

	store_org_clear(out);
	if ((q = db_exec(c, "org_create", 3, p, &st)) == NULL)
		return st;
	if (db_row_read(q, 0, org_row, out) == 0)
		rc = DB_OK;
	db_result_free(q);
	return rc;
}

int
store_org_exists(struct db_conn *c, const char *id)
{
	const char *p[1] = {id};
	struct db_result *q;
	enum db_status st;
	int n;

	if ((q = db_exec(c, "org_get", 1, p, &st)) == NULL)
		return st;
	n = db_rows(q);
	db_result_free(q);
	return n == 1 ? DB_OK : STORE_NONE;
}

int
store_org_get(struct db_conn *c, const char *id, struct store_org *out)
{
	const char *p[1] = {id};

	store_org_clear(out);
	return store_one(c, "org_get", 1, p, org_row, out);
}

int
store_org_list(struct db_conn *c, const char *after, int limit, struct store_org **rows, int *n)
{
	char lim[STORE_INT_LEN];
	const char *p[2] = {after, lim};
	struct db_result *q;
	enum db_status st;
	int rc = DB_ERROR;

	*rows = NULL;
	*n = 0;
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((q = db_exec(c, "orgs_list", 2, p, &st)) == NULL)
		return st;
	if (db_rows_read(q, org_row, sizeof(**rows), (void **)rows, n) == 0)
		rc = DB_OK;
	db_result_free(q);
	return rc;
}

void
store_org_clear(struct store_org *o)
{
	db_row_clear(org_row, o);
}

void
store_orgs_free(struct store_org *rows, int n)
{
	db_rows_clear(org_row, sizeof(*rows), rows, n);
}

int
store_name_check_names(struct db_conn *c, const char *engagement, json_t **names)
{
	const char *p[1] = {engagement};
	struct org_names n = {NULL};
	int rc;

	*names = NULL;
	rc = store_one(c, "name_check_names", 1, p, names_row, &n);
	if (rc == DB_OK)
		*names = n.names;
	return rc == STORE_NONE ? DB_ERROR : rc;
}

int
store_names_resolve(struct db_conn *c, const char *users, const char *orgs, json_t **out)
{
	const char *p[2] = {users, orgs};
	struct org_names n = {0};
	int rc;

	*out = NULL;
	rc = store_one(c, "names_resolve", 2, p, names_row, &n);
	if (rc == DB_OK)
		*out = n.names;
	else
		json_decref(n.names);
	return rc;
}

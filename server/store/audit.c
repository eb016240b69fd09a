/* store/audit.c: the append-only, hash-chained audit log. */
#include "config.h"

#include "store/store.h"
#include "store/tables.h"

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

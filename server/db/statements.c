/*
 * db/statements.c: db's own statements (the caller's identity, the schema
 * version), by stable name. Every other statement belongs to an aggregate
 * of server/store/, which registers its table (store_init) with its result
 * columns bound by name. Prepared once per connection (conn.c).
 */
#include "config.h"

#include <stddef.h>

#include "db/statements.h"

const struct db_statement db_statements[] = {
    {"identity_set",
     "SELECT set_config('lockstep.user_id', $1, true), set_config('lockstep.org_id', $2, true),"
     " set_config('lockstep.org_kind', $3, true), set_config('lockstep.role', $4, true)",
     NULL},
    {"schema_version",
     "SELECT coalesce(max(version), 0), (current_setting('transaction_read_only') = 'on')"
     " FROM schema_migrations",
     NULL},
    {NULL, NULL, NULL}};

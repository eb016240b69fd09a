/* db's own statements (statements.c); the store's register themselves. Internal to db/. */
#ifndef LOCKSTEP_DB_STATEMENTS_H
#define LOCKSTEP_DB_STATEMENTS_H

#include "db/db.h"

/* Terminated by a row whose name is NULL. */
extern const struct db_statement db_statements[];

#endif

/* The table of named prepared statements (statements.c). Internal to db/. */
#ifndef LOCKSTEP_DB_STATEMENTS_H
#define LOCKSTEP_DB_STATEMENTS_H

struct db_statement {
	const char *name;
	const char *sql;
};

/* Terminated by a row whose name is NULL. */
extern const struct db_statement db_statements[];

#endif

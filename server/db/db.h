/*
 * db: the only module that talks to PostgreSQL (libpq).
 *
 * One connection per thread (thread-local), opened lazily and reopened after
 * the server restarts. Every statement is prepared once per connection under
 * a stable name from the table in statements.c; SQL is never formatted.
 * Parameters and results travel in text format; bytea values are passed as
 * "\x<hex>" text (db_param_bytea) and read back with db_get_bytea.
 */
#ifndef LOCKSTEP_DB_H
#define LOCKSTEP_DB_H

#include <stddef.h>

#define DB_UUID_LEN 36

/* The caller's identity, set transaction-locally before any statement. */
struct db_identity {
	char user_id[DB_UUID_LEN + 1]; /* "" when anonymous */
	char org_id[DB_UUID_LEN + 1];
	char org_kind[16]; /* coordinator | assessor | company */
	char role[8];      /* admin | member */
};

enum db_status {
	DB_OK = 0,
	DB_ERROR = -1,   /* connection lost or unexpected error */
	DB_RETRY = -2,   /* serialization failure / deadlock: retry the transaction */
	DB_UNIQUE = -3,  /* unique violation */
	DB_DENIED = -4,  /* insufficient privilege / RLS check / trigger refusal */
	DB_INVALID = -5, /* check constraint, foreign key, bad input syntax */
};

struct db_conn;
struct db_result;

/* Set the conninfo used by every thread. Call once before serving. */
void db_configure(const char *conninfo);

/*
 * This thread's connection, (re)connected and with all statements prepared.
 * Returns NULL when the database cannot be reached (logged).
 */
struct db_conn *db_thread_conn(void);

/* Close this thread's connection, if any (thread exit / tests). */
void db_thread_close(void);

/*
 * Run the prepared statement called name with n text parameters (NULL
 * entries are SQL NULL). Returns a result the caller frees with
 * db_result_free, or NULL with *status set (never DB_OK then). On success
 * *status is DB_OK. status may be NULL.
 */
struct db_result *db_exec(struct db_conn *c, const char *name, int n, const char *const *params,
                          enum db_status *status);

/*
 * Like db_exec, for bulk bytes (evidence chunks): a parameter with
 * lengths[i] >= 0 travels in binary (lengths[i] bytes, e.g. a bytea
 * without hex encoding), the others as text (lengths may be NULL: all
 * text). With binary_result non-zero every result column comes back in
 * binary; read such columns with db_get_raw. Same return contract as
 * db_exec.
 */
struct db_result *db_exec_bin(struct db_conn *c, const char *name, int n, const char *const *params,
                              const int *lengths, int binary_result, enum db_status *status);

/* Bytes of (row, col) (binary results) and *len; borrowed, valid until
 * db_result_free. NULL for SQL NULL or out of range. */
const unsigned char *db_get_raw(const struct db_result *r, int row, int col, size_t *len);

/* Like db_exec but for statements whose rows are not needed. */
enum db_status db_run(struct db_conn *c, const char *name, int n, const char *const *params);

int db_rows(const struct db_result *r);
/* Rows an INSERT/UPDATE/DELETE affected (PQcmdTuples); 0 when unknown. */
int db_cmd_rows(const struct db_result *r);
/* Text value of (row, col); "" for NULL. Valid until db_result_free. */
const char *db_get(const struct db_result *r, int row, int col);
int db_is_null(const struct db_result *r, int row, int col);
/* Decode a bytea column. Returns malloc'd bytes (caller frees) and *len, or NULL. */
unsigned char *db_get_bytea(const struct db_result *r, int row, int col, size_t *len);
void db_result_free(struct db_result *r); /* accepts NULL */

/* "\x<hex>" text for a bytea parameter. malloc'd; caller frees; NULL on OOM. */
char *db_param_bytea(const void *buf, size_t len);

/*
 * Run fn inside one transaction whose identity is *who (NULL or an empty
 * user_id: anonymous). fn returns DB_OK to commit, a negative db_status on
 * a database failure, or a positive caller-defined code to roll back and
 * return that code. DB_RETRY (serialization failure, deadlock) is retried
 * up to 3 times. Returns DB_OK after a successful commit, the positive
 * code, or a negative db_status.
 */
typedef int (*db_tx_fn)(struct db_conn *c, void *arg);
int db_tx(const struct db_identity *who, db_tx_fn fn, void *arg);

/* 1 if the database answers and the schema is at least want_version, else 0. */
int db_ready(int want_version);

/*
 * Apply sql/NNNN_*.sql files from dir that are newer than the recorded
 * version, each in its own transaction together with its version row,
 * under an advisory lock (so concurrent migrators serialise). Uses its own
 * connection with conninfo (the schema owner). Returns 0, or -1 (logged).
 */
int db_migrate(const char *conninfo, const char *dir);

/* Highest NNNN among dir's migration files, or -1. */
int db_migrations_latest(const char *dir);

/* How many thread connections are open now (for /metrics). */
int db_open_connections(void);

/* Statement-table lookups for tests. */
int db_statement_count(void);

#endif

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

#include <jansson.h>

#include "util/identity.h"

#define DB_MUST_CHECK __attribute__((warn_unused_result))

#define DB_UUID_LEN UTIL_UUID_LEN

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

/*
 * Typed result columns, bound by name (after GNU Taler's result specs).
 * A row struct declares once, in a table of struct db_field ending in a
 * row whose col is NULL, which column fills which member. The statement
 * that produces such rows names the table; when it is prepared the
 * columns are looked up by name (and their types checked), so a renamed
 * or retyped column stops the server at start-up instead of reading a
 * wrong value.
 */
enum db_type {
	DB_T_STR,   /* char member[size]: text, "" for NULL; too long is an error */
	DB_T_TEXT,  /* char *: malloc'd copy, NULL for SQL NULL */
	DB_T_INT,   /* long long: integer column, 0 for NULL */
	DB_T_BOOL,  /* int: boolean column, 0 for NULL */
	DB_T_JSON,  /* json_t *: json/jsonb column parsed, json_null() for NULL */
	DB_T_BYTEA, /* struct db_bytes: bytea column decoded, {NULL, 0} for NULL */
};

struct db_bytes {
	unsigned char *p; /* malloc'd, NULL for SQL NULL */
	size_t len;
};

struct db_field {
	const char *col; /* column name in the statement's result */
	enum db_type type;
	size_t off;  /* offsetof the member */
	size_t size; /* sizeof the member */
};

#define DB_FIELD(type, st, member, col)                                                            \
	{                                                                                          \
		(col), (type), offsetof(st, member), sizeof(((st *)0)->member)                     \
	}
#define DB_FIELD_END                                                                               \
	{                                                                                          \
		NULL, DB_T_STR, 0, 0                                                               \
	}

/*
 * A named prepared statement. row: the fields read from its result (NULL
 * when no column is read by name). Tables of statements end in a row
 * whose name is NULL.
 */
struct db_statement {
	const char *name;
	const char *sql;
	const struct db_field *row;
};

/*
 * Add a table of statements to those prepared on every connection. Call
 * before the first db_thread_conn(), from one thread (start-up). Returns
 * 0, or -1 when the registry is full.
 */
int db_statements_add(const struct db_statement *table) DB_MUST_CHECK;

/*
 * Read row `row` of r into the struct at out through fields (by column
 * name). On success every member named in fields is set (and owned by out:
 * release with db_row_clear). Returns 0, or -1 (missing column, wrong
 * type, allocation failure; out is cleared then).
 */
int db_row_read(const struct db_result *r, int row, const struct db_field *fields,
                void *out) DB_MUST_CHECK;

/* Free what db_row_read allocated in out and zero those members. Accepts NULL. */
void db_row_clear(const struct db_field *fields, void *out);

/*
 * Read every row of r into a new array of structs of size `size`.
 * *out (free with db_rows_clear) and *n. Returns 0 or -1.
 */
int db_rows_read(const struct db_result *r, const struct db_field *fields, size_t size, void **out,
                 int *n) DB_MUST_CHECK;
void db_rows_clear(const struct db_field *fields, size_t size, void *rows, int n);

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

/*
 * Index of the result column called name, or -1. For results read raw
 * (db_get_raw): the statement's row fields name the column, so it was
 * checked when prepared.
 */
int db_column(const struct db_result *r, const char *name);

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
 *
 * The contract of fn (as in GNU Taler's exchange): it may run more than
 * once, after a serialization failure or a connection lost before COMMIT,
 * so it must not change its caller's state except through its result (the
 * struct it fills, cleared again at its start), and never reply: the
 * answer is built after db_tx returns DB_OK. name (static) names the
 * transaction in the log lines about it.
 */
typedef int (*db_tx_fn)(struct db_conn *c, void *arg);
int db_tx(const struct util_identity *who, const char *name, db_tx_fn fn, void *arg) DB_MUST_CHECK;

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

/*
 * LISTEN on channel (an identifier) with this thread's connection.
 * Returns 0, or -1.
 */
int db_listen(const char *channel) DB_MUST_CHECK;

/*
 * Wait up to ms milliseconds for a notification on this thread's
 * connection (after db_listen): 1 when at least one arrived (all pending
 * ones are consumed), 0 on timeout, -1 when the connection is lost (close
 * it and listen again).
 */
int db_wait_notify(int ms);

/* The database counters for /metrics (role, connects, retries); malloc'd text or NULL. */
char *db_metrics_render(void);

/*
 * Open this thread's connection now and prepare every statement: used at
 * start-up so that a statement or column that does not match the schema
 * stops the server. Returns 0, 1 when the database cannot be reached (the
 * server may start and connect later), or -1 when a statement does not
 * prepare or a column named by its row fields is missing or mistyped.
 */
int db_verify(void) DB_MUST_CHECK;

#endif

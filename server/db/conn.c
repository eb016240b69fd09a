/*
 * db/conn.c: per-thread connections, statement execution, transactions.
 */
#include "config.h"

#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "db/statements.h"
#include "util/log.h"
#include "util/util.h"

struct db_conn {
	PGconn *pg;
	int broken; /* the server went away, shut down or is read-only: reconnect */
};

struct db_result {
	PGresult *res;
};

static char *db_conninfo;
static __thread struct db_conn *thread_conn;
static int db_nopen;
/* for /metrics (db_metrics_render) */
static unsigned long db_nconnects, db_nconnect_failures, db_nretry_conflict, db_nretry_reconnect,
    db_nunavailable;
static int db_role = -1; /* last seen by db_ready: 1 read-write, 0 read-only, -1 unknown */
static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;

/* Thread-exit destructor: close the exiting thread's connection. */
static void
db_key_destroy(void *p)
{
	struct db_conn *c = p;

	PQfinish(c->pg);
	free(c);
	__atomic_sub_fetch(&db_nopen, 1, __ATOMIC_RELAXED);
}

static void
db_key_init(void)
{
	(void)pthread_key_create(&db_key, db_key_destroy);
}

int
db_open_connections(void)
{
	return __atomic_load_n(&db_nopen, __ATOMIC_RELAXED);
}

void
db_configure(const char *conninfo)
{
	free(db_conninfo);
	db_conninfo = conninfo ? strdup(conninfo) : NULL;
}

#define DB_MAX_TABLES 32

/* The statement tables prepared on every connection: db's own first. */
static const struct db_statement *db_tables[DB_MAX_TABLES] = {db_statements};
static int db_ntables = 1;
/* set when a statement did not match the schema (db_verify) */
static int db_mismatch;

int
db_statements_add(const struct db_statement *table)
{
	assert(table != NULL);
	if (db_ntables == DB_MAX_TABLES)
		return -1;
	db_tables[db_ntables++] = table;
	return 0;
}

/* Type OIDs (pg_type.h) a field of type t accepts; 0 ends the list. */
static int
db_type_accepts(enum db_type t, Oid oid)
{
	switch (t) {
	case DB_T_STR:
	case DB_T_TEXT:
		return 1; /* text output of any type */
	case DB_T_INT:
		return oid == 20 || oid == 21 || oid == 23; /* int8, int2, int4 */
	case DB_T_BOOL:
		return oid == 16;
	case DB_T_JSON:
		return oid == 114 || oid == 3802; /* json, jsonb */
	case DB_T_BYTEA:
		return oid == 17;
	}
	return 0;
}

/*
 * Check that every column st->row names is in the prepared statement's
 * result, with a type its field accepts. Returns 0 or -1 (logged).
 */
static int
db_check_columns(PGconn *pg, const struct db_statement *st)
{
	PGresult *d;
	int ret = -1;

	if (st->row == NULL)
		return 0;
	d = PQdescribePrepared(pg, st->name);
	if (PQresultStatus(d) != PGRES_COMMAND_OK) {
		log_event(LOG_LEVEL_ERROR, "db_describe_failed",
		          json_pack("{s:s, s:s}", "statement", st->name, "error",
		                    PQresultErrorMessage(d)));
		goto done;
	}
	for (const struct db_field *f = st->row; f->col != NULL; f++) {
		int i = PQfnumber(d, f->col);

		if (i < 0 || !db_type_accepts(f->type, PQftype(d, i))) {
			log_event(LOG_LEVEL_ERROR, "db_column_mismatch",
			          json_pack("{s:s, s:s, s:s}", "statement", st->name, "column",
			                    f->col, "error", i < 0 ? "missing" : "type"));
			goto done;
		}
	}
	ret = 0;
done:
	PQclear(d);
	return ret;
}

/* Prepare every statement on a fresh connection. Returns 0 or -1. */
static int
db_prepare_all(PGconn *pg)
{
	for (int t = 0; t < db_ntables; t++) {
		for (const struct db_statement *st = db_tables[t]; st->name != NULL; st++) {
			PGresult *res = PQprepare(pg, st->name, st->sql, 0, NULL);
			int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

			if (!ok)
				log_event(LOG_LEVEL_ERROR, "db_prepare_failed",
				          json_pack("{s:s, s:s}", "statement", st->name, "error",
				                    PQresultErrorMessage(res)));
			PQclear(res);
			if (!ok || db_check_columns(pg, st) != 0) {
				__atomic_store_n(&db_mismatch, 1, __ATOMIC_RELAXED);
				return -1;
			}
		}
	}
	return 0;
}

int
db_verify(void)
{
	__atomic_store_n(&db_mismatch, 0, __ATOMIC_RELAXED);
	if (db_thread_conn() != NULL)
		return 0;
	return __atomic_load_n(&db_mismatch, __ATOMIC_RELAXED) ? -1 : 1;
}

void
db_thread_close(void)
{
	if (thread_conn == NULL)
		return;
	(void)pthread_setspecific(db_key, NULL);
	PQfinish(thread_conn->pg);
	free(thread_conn);
	thread_conn = NULL;
	__atomic_sub_fetch(&db_nopen, 1, __ATOMIC_RELAXED);
}

struct db_conn *
db_thread_conn(void)
{
	PGconn *pg;

	if (thread_conn != NULL && !thread_conn->broken &&
	    PQstatus(thread_conn->pg) == CONNECTION_OK)
		return thread_conn;
	db_thread_close();
	if (db_conninfo == NULL)
		return NULL;
	pg = PQconnectdb(db_conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		__atomic_add_fetch(&db_nconnect_failures, 1, __ATOMIC_RELAXED);
		log_event(LOG_LEVEL_ERROR, "db_connect_failed",
		          json_pack("{s:s}", "error", PQerrorMessage(pg)));
		PQfinish(pg);
		return NULL;
	}
	{
		/* bound every statement and every idle transaction */
		PGresult *res = PQexec(pg, "SET statement_timeout = 30000; "
		                           "SET idle_in_transaction_session_timeout = 60000; "
		                           "SET lock_timeout = 10000");
		int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

		PQclear(res);
		if (!ok) {
			PQfinish(pg);
			return NULL;
		}
	}
	if (db_prepare_all(pg) != 0) {
		PQfinish(pg);
		return NULL;
	}
	thread_conn = calloc(1, sizeof(*thread_conn));
	if (thread_conn == NULL) {
		PQfinish(pg);
		return NULL;
	}
	thread_conn->pg = pg;
	__atomic_add_fetch(&db_nopen, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&db_nconnects, 1, __ATOMIC_RELAXED);
	(void)pthread_once(&db_key_once, db_key_init);
	(void)pthread_setspecific(db_key, thread_conn);
	return thread_conn;
}

/*
 * Errors after which this connection must not be used again: the server
 * went away or is shutting down (class 08, 57P01-57P03), or it is a
 * standby now (25006 read_only_sql_transaction: a demoted primary). The
 * transaction failed as a whole, so db_tx may run it again on a new
 * connection, which reaches the new primary through the proxy.
 */
static int
db_state_lost(const char *state)
{
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	       strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0 ||
	       strcmp(state, "25006") == 0;
}

/* Map a failed result to a db_status, logging unexpected errors. */
static enum db_status
db_classify(struct db_conn *c, PGresult *res, const char *name)
{
	PGconn *pg = c->pg;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state == NULL || PQstatus(pg) != CONNECTION_OK || db_state_lost(state)) {
		c->broken = 1;
		log_event(LOG_LEVEL_ERROR, "db_error",
		          json_pack("{s:s, s:s, s:s}", "statement", name, "sqlstate",
		                    state ? state : "", "error", PQerrorMessage(pg)));
		return DB_ERROR;
	}
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_RETRY;
	if (strcmp(state, "23505") == 0)
		return DB_UNIQUE;
	if (strcmp(state, "42501") == 0)
		return DB_DENIED;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return DB_INVALID;
	log_event(LOG_LEVEL_ERROR, "db_error",
	          json_pack("{s:s, s:s, s:s}", "statement", name, "sqlstate", state, "error",
	                    PQresultErrorMessage(res)));
	return DB_ERROR;
}

struct db_result *
db_exec_bin(struct db_conn *c, const char *name, int n, const char *const *params,
            const int *lengths, int binary_result, enum db_status *status)
{
	int formats[16], lens[16];
	struct db_result *r;
	PGresult *res;
	ExecStatusType st;
	enum db_status dummy;

	if (status == NULL)
		status = &dummy;
	*status = DB_ERROR;
	if (c == NULL || n < 0 || n > 16)
		return NULL;
	for (int i = 0; i < n; i++) {
		int bin = lengths != NULL && lengths[i] >= 0;

		formats[i] = bin ? 1 : 0;
		lens[i] = bin ? lengths[i] : 0;
	}
	res = PQexecPrepared(c->pg, name, n, params, lens, formats, binary_result ? 1 : 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		*status = db_classify(c, res, name);
		PQclear(res);
		return NULL;
	}
	r = malloc(sizeof(*r));
	if (r == NULL) {
		PQclear(res);
		return NULL;
	}
	r->res = res;
	*status = DB_OK;
	return r;
}

struct db_result *
db_exec(struct db_conn *c, const char *name, int n, const char *const *params,
        enum db_status *status)
{
	/* all parameters and results in text format */
	return db_exec_bin(c, name, n, params, NULL, 0, status);
}

const unsigned char *
db_get_raw(const struct db_result *r, int row, int col, size_t *len)
{
	*len = 0;
	if (db_is_null(r, row, col))
		return NULL;
	*len = (size_t)PQgetlength(r->res, row, col);
	return (const unsigned char *)PQgetvalue(r->res, row, col);
}

enum db_status
db_run(struct db_conn *c, const char *name, int n, const char *const *params)
{
	enum db_status st;
	struct db_result *r = db_exec(c, name, n, params, &st);

	db_result_free(r);
	return st;
}

int
db_rows(const struct db_result *r)
{
	return r ? PQntuples(r->res) : 0;
}

int
db_cmd_rows(const struct db_result *r)
{
	long long n = 0;

	if (r == NULL || util_strnum(PQcmdTuples(r->res), 0, 0x7fffffff, &n) != 0)
		return 0;
	return (int)n;
}

const char *
db_get(const struct db_result *r, int row, int col)
{
	if (r == NULL || row < 0 || col < 0 || row >= PQntuples(r->res) || col >= PQnfields(r->res))
		return "";
	return PQgetvalue(r->res, row, col);
}

int
db_is_null(const struct db_result *r, int row, int col)
{
	if (r == NULL || row < 0 || col < 0 || row >= PQntuples(r->res) || col >= PQnfields(r->res))
		return 1;
	return PQgetisnull(r->res, row, col);
}

unsigned char *
db_get_bytea(const struct db_result *r, int row, int col, size_t *len)
{
	unsigned char *tmp, *out;
	size_t n = 0;

	if (db_is_null(r, row, col))
		return NULL;
	tmp = PQunescapeBytea((const unsigned char *)PQgetvalue(r->res, row, col), &n);
	if (tmp == NULL)
		return NULL;
	out = malloc(n ? n : 1);
	if (out != NULL) {
		memcpy(out, tmp, n);
		*len = n;
	}
	PQfreemem(tmp);
	return out;
}

void
db_result_free(struct db_result *r)
{
	if (r == NULL)
		return;
	PQclear(r->res);
	free(r);
}

char *
db_param_bytea(const void *buf, size_t len)
{
	char *out = malloc(2 * len + 3);

	if (out == NULL)
		return NULL;
	out[0] = '\\';
	out[1] = 'x';
	util_hex_encode(buf, len, out + 2);
	return out;
}

/* Run a fixed command (BEGIN, COMMIT, ROLLBACK). */
static enum db_status
db_command(struct db_conn *c, const char *sql)
{
	PGresult *res = PQexec(c->pg, sql);
	enum db_status st = DB_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		st = db_classify(c, res, sql);
	PQclear(res);
	return st;
}

static int
db_tx_once(const struct util_identity *who, db_tx_fn fn, void *arg, int *committing)
{
	static const struct util_identity nobody;
	struct db_conn *c = db_thread_conn();
	const char *params[4];
	int rc;

	*committing = 0;
	if (c == NULL)
		return DB_ERROR;
	if (who == NULL)
		who = &nobody;
	if ((rc = db_command(c, "BEGIN")) != DB_OK)
		return rc;
	params[0] = who->user_id;
	params[1] = who->org_id;
	params[2] = who->org_kind;
	params[3] = who->role;
	rc = db_run(c, "identity_set", 4, params);
	if (rc == DB_OK)
		rc = fn(c, arg);
	if (rc != DB_OK) {
		if (PQstatus(c->pg) == CONNECTION_OK && !c->broken)
			(void)db_command(c, "ROLLBACK");
		return rc;
	}
	*committing = 1;
	return db_command(c, "COMMIT");
}

/* The thread's connection is unusable (or there is none): a new one is needed. */
static int
db_thread_lost(void)
{
	return thread_conn == NULL || thread_conn->broken ||
	       PQstatus(thread_conn->pg) != CONNECTION_OK;
}

/*
 * Waits between attempts on a lost database (a fail-over: the proxy
 * notices the new primary within a few seconds); bounded, so a request
 * holds its worker for at most ~2 s before it is answered 503.
 */
static const unsigned db_reconnect_wait_ms[] = {0, 250, 500, 1000};
#define DB_RECONNECT_TRIES (sizeof(db_reconnect_wait_ms) / sizeof(db_reconnect_wait_ms[0]))

int
db_tx(const struct util_identity *who, const char *name, db_tx_fn fn, void *arg)
{
	int rc = DB_ERROR;
	unsigned conflicts = 0, reconnects = 0;

	assert(name != NULL && fn != NULL);
	for (;;) {
		int committing = 0;

		rc = db_tx_once(who, fn, arg, &committing);
		if (rc == DB_RETRY && ++conflicts < 4) {
			__atomic_add_fetch(&db_nretry_conflict, 1, __ATOMIC_RELAXED);
			log_event(LOG_LEVEL_INFO, "db_tx_retry",
			          json_pack("{s:s, s:i}", "tx", name, "attempt", (int)conflicts));
			continue;
		}
		/* A connection lost (or a primary demoted) before COMMIT aborted
		 * the transaction on the server, so it is safe to run it again on
		 * a new one. Lost during COMMIT, the outcome is unknown: never
		 * run again, the client is answered 503 and decides. */
		if (rc == DB_ERROR && !committing && db_thread_lost() &&
		    reconnects + 1 < DB_RECONNECT_TRIES) {
			struct timespec ts;

			reconnects++;
			__atomic_add_fetch(&db_nretry_reconnect, 1, __ATOMIC_RELAXED);
			log_event(LOG_LEVEL_WARN, "db_tx_reconnect",
			          json_pack("{s:s, s:i}", "tx", name, "attempt", (int)reconnects));
			db_thread_close();
			ts.tv_sec = db_reconnect_wait_ms[reconnects] / 1000;
			ts.tv_nsec = (long)(db_reconnect_wait_ms[reconnects] % 1000) * 1000000L;
			nanosleep(&ts, NULL);
			continue;
		}
		break;
	}
	if (rc == DB_ERROR && db_thread_lost())
		__atomic_add_fetch(&db_nunavailable, 1, __ATOMIC_RELAXED);
	if (rc < 0 && rc != DB_UNIQUE && rc != DB_DENIED && rc != DB_INVALID)
		log_event(LOG_LEVEL_WARN, "db_tx_failed",
		          json_pack("{s:s, s:i}", "tx", name, "status", rc));
	return rc;
}

int
db_ready(int want_version)
{
	struct db_conn *c = db_thread_conn();
	struct db_result *r;
	long long v = -1;
	int ok = 0;

	if (c == NULL) {
		__atomic_store_n(&db_role, -1, __ATOMIC_RELAXED);
		return 0;
	}
	r = db_exec(c, "schema_version", 0, NULL, NULL);
	if (r == NULL && db_thread_lost()) {
		/* this thread's connection died with a server restart or a
		 * fail-over: one new try */
		db_thread_close();
		if ((c = db_thread_conn()) == NULL) {
			__atomic_store_n(&db_role, -1, __ATOMIC_RELAXED);
			return 0;
		}
		r = db_exec(c, "schema_version", 0, NULL, NULL);
	}
	if (r != NULL && db_rows(r) == 1) {
		/* a read-only database (a standby, or a demoted primary that the
		 * proxy still points at) cannot take writes: not ready */
		int writable = strcmp(db_get(r, 0, 1), "f") == 0;

		__atomic_store_n(&db_role, writable, __ATOMIC_RELAXED);
		if (!writable)
			c->broken = 1; /* next time, a new connection: maybe to the new primary */
		else if (util_strnum(db_get(r, 0, 0), 0, 1000000, &v) == 0 && v >= want_version)
			ok = 1;
	} else
		__atomic_store_n(&db_role, -1, __ATOMIC_RELAXED);
	db_result_free(r);
	return ok;
}

int
db_listen(const char *channel)
{
	struct db_conn *c = db_thread_conn();
	char sql[96];

	if (c == NULL || strspn(channel, "abcdefghijklmnopqrstuvwxyz_") != strlen(channel) ||
	    strlen(channel) > 63)
		return -1;
	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	return db_command(c, sql) == DB_OK ? 0 : -1;
}

int
db_wait_notify(int ms)
{
	struct pollfd pfd;
	PGnotify *n;
	int got = 0;

	if (thread_conn == NULL || PQstatus(thread_conn->pg) != CONNECTION_OK)
		return -1;
	pfd.fd = PQsocket(thread_conn->pg);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return -1;
	if (poll(&pfd, 1, ms) < 0)
		return 0; /* EINTR: as a timeout */
	if ((pfd.revents & POLLIN) && PQconsumeInput(thread_conn->pg) == 0) {
		thread_conn->broken = 1;
		return -1;
	}
	while ((n = PQnotifies(thread_conn->pg)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	if (PQstatus(thread_conn->pg) != CONNECTION_OK) {
		thread_conn->broken = 1;
		return -1;
	}
	return got;
}

char *
db_metrics_render(void)
{
	char *s = NULL;

	if (asprintf(
	        &s,
	        "# HELP lockstep_db_role The database as last seen by /readyz: 1 read-write "
	        "(primary), 0 read-only (standby), -1 unreachable or not yet checked.\n"
	        "# TYPE lockstep_db_role gauge\n"
	        "lockstep_db_role %d\n"
	        "# HELP lockstep_db_connects_total Database connections opened.\n"
	        "# TYPE lockstep_db_connects_total counter\n"
	        "lockstep_db_connects_total %lu\n"
	        "# HELP lockstep_db_connect_failures_total Database connections that failed "
	        "to open.\n"
	        "# TYPE lockstep_db_connect_failures_total counter\n"
	        "lockstep_db_connect_failures_total %lu\n"
	        "# HELP lockstep_db_tx_retries_total Transactions run again: after a "
	        "serialization conflict, or on a new connection after the database went away.\n"
	        "# TYPE lockstep_db_tx_retries_total counter\n"
	        "lockstep_db_tx_retries_total{reason=\"conflict\"} %lu\n"
	        "lockstep_db_tx_retries_total{reason=\"reconnect\"} %lu\n"
	        "# HELP lockstep_db_unavailable_total Transactions given up because the "
	        "database stayed unreachable (answered 503).\n"
	        "# TYPE lockstep_db_unavailable_total counter\n"
	        "lockstep_db_unavailable_total %lu\n",
	        __atomic_load_n(&db_role, __ATOMIC_RELAXED),
	        __atomic_load_n(&db_nconnects, __ATOMIC_RELAXED),
	        __atomic_load_n(&db_nconnect_failures, __ATOMIC_RELAXED),
	        __atomic_load_n(&db_nretry_conflict, __ATOMIC_RELAXED),
	        __atomic_load_n(&db_nretry_reconnect, __ATOMIC_RELAXED),
	        __atomic_load_n(&db_nunavailable, __ATOMIC_RELAXED)) < 0)
		return NULL;
	return s;
}

int
db_column(const struct db_result *r, const char *name)
{
	return r != NULL ? PQfnumber(r->res, name) : -1;
}

/* Read one field of (row, col) into its member. Returns 0 or -1. */
static int
db_field_read(const struct db_result *r, int row, int col, const struct db_field *f, char *out)
{
	const char *v = PQgetvalue(r->res, row, col);
	int null = PQgetisnull(r->res, row, col);
	long long n = 0;

	switch (f->type) {
	case DB_T_STR: {
		size_t len = (size_t)PQgetlength(r->res, row, col);

		if (len >= f->size)
			return -1;
		memcpy(out + f->off, null ? "" : v, null ? 1 : len + 1);
		return 0;
	}
	case DB_T_TEXT: {
		char *t = NULL;

		assert(f->size == sizeof(char *));
		if (!null && (t = strdup(v)) == NULL)
			return -1;
		memcpy(out + f->off, &t, sizeof(t));
		return 0;
	}
	case DB_T_INT:
		assert(f->size == sizeof(long long));
		if (!null && util_strnum(v, -0x7fffffffffffffffLL, 0x7fffffffffffffffLL, &n) != 0)
			return -1;
		memcpy(out + f->off, &n, sizeof(n));
		return 0;
	case DB_T_BOOL: {
		int b = !null && strcmp(v, "t") == 0;

		assert(f->size == sizeof(int));
		memcpy(out + f->off, &b, sizeof(b));
		return 0;
	}
	case DB_T_JSON: {
		json_t *j = null ? json_null() : json_loads(v, JSON_DECODE_ANY, NULL);

		assert(f->size == sizeof(json_t *));
		if (j == NULL)
			return -1;
		memcpy(out + f->off, &j, sizeof(j));
		return 0;
	}
	case DB_T_BYTEA: {
		struct db_bytes b = {NULL, 0};

		assert(f->size == sizeof(struct db_bytes));
		if (!null && (b.p = db_get_bytea(r, row, col, &b.len)) == NULL)
			return -1;
		memcpy(out + f->off, &b, sizeof(b));
		return 0;
	}
	}
	return -1;
}

void
db_row_clear(const struct db_field *fields, void *out)
{
	char *o = out;

	if (out == NULL)
		return;
	for (const struct db_field *f = fields; f->col != NULL; f++) {
		switch (f->type) {
		case DB_T_TEXT: {
			char *t;

			memcpy(&t, o + f->off, sizeof(t));
			free(t);
			break;
		}
		case DB_T_JSON: {
			json_t *j;

			memcpy(&j, o + f->off, sizeof(j));
			json_decref(j);
			break;
		}
		case DB_T_BYTEA: {
			struct db_bytes b;

			memcpy(&b, o + f->off, sizeof(b));
			if (b.p != NULL) {
				explicit_bzero(b.p, b.len); /* may hold a wrapped key */
				free(b.p);
			}
			break;
		}
		default:
			break;
		}
		memset(o + f->off, 0, f->size);
	}
}

int
db_row_read(const struct db_result *r, int row, const struct db_field *fields, void *out)
{
	char *o = out;

	assert(fields != NULL && out != NULL);
	for (const struct db_field *f = fields; f->col != NULL; f++)
		memset(o + f->off, 0, f->size);
	if (r == NULL || row < 0 || row >= PQntuples(r->res))
		return -1;
	for (const struct db_field *f = fields; f->col != NULL; f++) {
		int col = db_column(r, f->col);

		if (col < 0 || db_field_read(r, row, col, f, o) != 0) {
			log_event(LOG_LEVEL_ERROR, "db_field_unreadable",
			          json_pack("{s:s}", "column", f->col));
			db_row_clear(fields, out);
			return -1;
		}
	}
	return 0;
}

int
db_rows_read(const struct db_result *r, const struct db_field *fields, size_t size, void **out,
             int *n)
{
	int rows = db_rows(r);
	char *a;

	*out = NULL;
	*n = 0;
	if ((a = calloc(rows > 0 ? (size_t)rows : 1, size)) == NULL)
		return -1;
	for (int i = 0; i < rows; i++)
		if (db_row_read(r, i, fields, a + (size_t)i * size) != 0) {
			db_rows_clear(fields, size, a, i);
			return -1;
		}
	*out = a;
	*n = rows;
	return 0;
}

void
db_rows_clear(const struct db_field *fields, size_t size, void *rows, int n)
{
	for (int i = 0; i < n; i++)
		db_row_clear(fields, (char *)rows + (size_t)i * size);
	free(rows);
}

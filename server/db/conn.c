/*
 * db/conn.c: per-thread connections, statement execution, transactions.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "db/statements.h"
#include "util/log.h"
#include "util/util.h"

struct db_conn {
	PGconn *pg;
};

struct db_result {
	PGresult *res;
};

static char *db_conninfo;
static __thread struct db_conn *thread_conn;
static int db_nopen;
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

int
db_statement_count(void)
{
	int n = 0;

	while (db_statements[n].name != NULL)
		n++;
	return n;
}

/* Prepare every statement on a fresh connection. Returns 0 or -1. */
static int
db_prepare_all(PGconn *pg)
{
	for (int i = 0; db_statements[i].name != NULL; i++) {
		PGresult *res = PQprepare(pg, db_statements[i].name, db_statements[i].sql, 0, NULL);
		int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

		if (!ok)
			log_event(LOG_LEVEL_ERROR, "db_prepare_failed",
			          json_pack("{s:s, s:s}", "statement", db_statements[i].name,
			                    "error", PQresultErrorMessage(res)));
		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
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

	if (thread_conn != NULL && PQstatus(thread_conn->pg) == CONNECTION_OK)
		return thread_conn;
	db_thread_close();
	if (db_conninfo == NULL)
		return NULL;
	pg = PQconnectdb(db_conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
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
	(void)pthread_once(&db_key_once, db_key_init);
	(void)pthread_setspecific(db_key, thread_conn);
	return thread_conn;
}

/* Map a failed result to a db_status, logging unexpected errors. */
static enum db_status
db_classify(PGconn *pg, PGresult *res, const char *name)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state == NULL || PQstatus(pg) != CONNECTION_OK) {
		log_event(LOG_LEVEL_ERROR, "db_error",
		          json_pack("{s:s, s:s}", "statement", name, "error", PQerrorMessage(pg)));
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
		*status = db_classify(c->pg, res, name);
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
	if (r == NULL || row >= PQntuples(r->res) || col >= PQnfields(r->res))
		return "";
	return PQgetvalue(r->res, row, col);
}

int
db_is_null(const struct db_result *r, int row, int col)
{
	if (r == NULL || row >= PQntuples(r->res) || col >= PQnfields(r->res))
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
		st = db_classify(c->pg, res, sql);
	PQclear(res);
	return st;
}

static int
db_tx_once(const struct db_identity *who, db_tx_fn fn, void *arg, int *committing)
{
	static const struct db_identity nobody;
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
		if (PQstatus(c->pg) == CONNECTION_OK)
			(void)db_command(c, "ROLLBACK");
		return rc;
	}
	*committing = 1;
	return db_command(c, "COMMIT");
}

int
db_tx(const struct db_identity *who, db_tx_fn fn, void *arg)
{
	int rc = DB_ERROR;

	for (int attempt = 0; attempt < 4; attempt++) {
		int committing = 0;

		rc = db_tx_once(who, fn, arg, &committing);
		if (rc == DB_RETRY)
			continue;
		/* A connection lost before COMMIT aborted the transaction on the
		 * server, so it is safe to run it again once on a new one. */
		if (rc == DB_ERROR && !committing && attempt == 0 && thread_conn != NULL &&
		    PQstatus(thread_conn->pg) != CONNECTION_OK) {
			db_thread_close();
			continue;
		}
		break;
	}
	return rc;
}

int
db_ready(int want_version)
{
	struct db_conn *c = db_thread_conn();
	struct db_result *r;
	long long v = -1;
	int ok = 0;

	if (c == NULL)
		return 0;
	r = db_exec(c, "schema_version", 0, NULL, NULL);
	if (r == NULL && PQstatus(c->pg) != CONNECTION_OK) {
		/* this thread's connection died with a server restart: one new try */
		db_thread_close();
		if ((c = db_thread_conn()) == NULL)
			return 0;
		r = db_exec(c, "schema_version", 0, NULL, NULL);
	}
	if (r != NULL && db_rows(r) == 1 && util_strnum(db_get(r, 0, 0), 0, 1000000, &v) == 0 &&
	    v >= want_version)
		ok = 1;
	db_result_free(r);
	return ok;
}

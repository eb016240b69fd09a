/*
 * store/audit.c: the append-only, hash-chained audit log.
 *
 * Requests append events unsealed, each holding only a lock on its own id
 * (audit_append in sql/0012_audit_sealer.sql): no lock serialises
 * requests. One sealer per deployment chains them: every replica runs
 * audit_sealer_main; the one whose database session holds the advisory
 * lock DB_LOCK_AUDIT_SEALER calls audit_seal every STORE_SEAL_INTERVAL_MS,
 * the others try to take the lock every second, so a replica (or its
 * connection) that dies is replaced within about a second.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db/locks.h"
#include "store/store.h"
#include "store/tables.h"

#include <stdio.h>
#include "util/log.h"

#define STORE_SEAL_INTERVAL_MS 100
#define STORE_SEAL_BATCH "2000"

static const struct db_field seal_row[] = {
    DB_FIELD(DB_T_BOOL, struct store_seal_round, held, "held"),
    DB_FIELD(DB_T_INT, struct store_seal_round, sealed, "sealed"), DB_FIELD_END};

const struct db_statement store_audit_statements[] = {
    {"audit_append",
     "SELECT audit_append($1, $2, $3, ARRAY(SELECT x::uuid FROM unnest(ARRAY[$4, $5]) x"
     " WHERE x IS NOT NULL AND x <> ''), $6::jsonb, $7)",
     NULL},
    /* the session lock survives this transaction; held already: no second grant */
    {"audit_seal_round",
     "WITH h AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
     " AND classid = 0 AND objid = " DB_LOCK_AUDIT_SEALER " AND objsubid = 1"
     " AND pid = pg_backend_pid() AND granted) THEN true"
     " ELSE pg_try_advisory_lock(" DB_LOCK_AUDIT_SEALER ") END AS held)"
     " SELECT h.held, CASE WHEN h.held THEN audit_seal(" STORE_SEAL_BATCH ") ELSE 0 END AS sealed"
     " FROM h",
     seal_row},
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

static int
audit_seal_tx(struct db_conn *c, void *arg)
{
	struct store_seal_round *k = arg;

	k->held = 0;
	k->sealed = 0;
	return store_one(c, "audit_seal_round", 0, NULL, seal_row, k);
}

int
store_audit_seal_round(struct store_seal_round *out)
{
	return db_tx(NULL, "audit_seal", audit_seal_tx, out);
}

static pthread_t audit_sealer;
static pthread_mutex_t audit_sealer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t audit_sealer_cv = PTHREAD_COND_INITIALIZER;
static int audit_sealer_running, audit_sealer_quit;
static int audit_sealer_held;             /* for /metrics */
static unsigned long audit_sealed_total;  /* for /metrics */
static unsigned long audit_seal_failures; /* for /metrics */

static void *
audit_sealer_main(void *arg)
{
	unsigned idle_ms = 0;

	(void)arg;
	pthread_mutex_lock(&audit_sealer_mu);
	while (!audit_sealer_quit) {
		struct store_seal_round k = {0};
		struct timespec until;
		unsigned wait_ms;

		pthread_mutex_unlock(&audit_sealer_mu);
		if (store_audit_seal_round(&k) == DB_OK) {
			__atomic_store_n(&audit_sealer_held, k.held, __ATOMIC_RELAXED);
			__atomic_add_fetch(&audit_sealed_total, (unsigned long)k.sealed,
			                   __ATOMIC_RELAXED);
		} else {
			/* a lost connection loses the session lock with it */
			__atomic_store_n(&audit_sealer_held, 0, __ATOMIC_RELAXED);
			__atomic_add_fetch(&audit_seal_failures, 1, __ATOMIC_RELAXED);
		}
		/* the holder seals every interval (at once again after a full
		 * batch); the others ask for the lock every second */
		if (k.held && k.sealed >= atoi(STORE_SEAL_BATCH))
			wait_ms = 0;
		else if (k.held)
			wait_ms = STORE_SEAL_INTERVAL_MS;
		else
			wait_ms = 1000;
		idle_ms = wait_ms;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(idle_ms % 1000) * 1000000L;
		until.tv_sec += idle_ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&audit_sealer_mu);
		while (!audit_sealer_quit && wait_ms > 0 &&
		       pthread_cond_timedwait(&audit_sealer_cv, &audit_sealer_mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&audit_sealer_mu);
	db_thread_close(); /* and with the session, the lock */
	return NULL;
}

int
audit_sealer_start(void)
{
	audit_sealer_quit = 0;
	if (pthread_create(&audit_sealer, NULL, audit_sealer_main, NULL) != 0)
		return -1;
	audit_sealer_running = 1;
	return 0;
}

void
audit_sealer_stop(void)
{
	if (!audit_sealer_running)
		return;
	pthread_mutex_lock(&audit_sealer_mu);
	audit_sealer_quit = 1;
	pthread_cond_signal(&audit_sealer_cv);
	pthread_mutex_unlock(&audit_sealer_mu);
	pthread_join(audit_sealer, NULL);
	audit_sealer_running = 0;
	__atomic_store_n(&audit_sealer_held, 0, __ATOMIC_RELAXED);
}

char *
audit_sealer_metrics_render(void)
{
	char *s = NULL;

	if (asprintf(&s,
	             "# HELP lockstep_audit_sealer 1 while this replica is the one that chains "
	             "the audit events.\n"
	             "# TYPE lockstep_audit_sealer gauge\n"
	             "lockstep_audit_sealer %d\n"
	             "# HELP lockstep_audit_sealed_total Audit events this replica chained.\n"
	             "# TYPE lockstep_audit_sealed_total counter\n"
	             "lockstep_audit_sealed_total %lu\n"
	             "# HELP lockstep_audit_seal_failures_total Sealing rounds that failed "
	             "(retried).\n"
	             "# TYPE lockstep_audit_seal_failures_total counter\n"
	             "lockstep_audit_seal_failures_total %lu\n",
	             __atomic_load_n(&audit_sealer_held, __ATOMIC_RELAXED),
	             __atomic_load_n(&audit_sealed_total, __ATOMIC_RELAXED),
	             __atomic_load_n(&audit_seal_failures, __ATOMIC_RELAXED)) < 0)
		return NULL;
	return s;
}

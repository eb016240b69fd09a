/*
 * check_audit: the audit chain off the request path (sql/0012_audit_sealer.sql,
 * server/store/audit.c), against the shared lockstepd (its sealer) and the
 * database directly:
 *   - an event whose transaction commits late is chained in id order, and
 *     the sealer waits for it (a later event stays unsealed meanwhile);
 *   - an id whose transaction rolled back is declared void after the grace
 *     period, and the chain goes on;
 *   - audit_verify() holds, finds an edited event, and refuses an unsealed
 *     event older than a sealed one;
 *   - appending takes no global lock: two transactions append at once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static PGconn *
conn(const char *var)
{
	PGconn *c = ht_db_open(ht_env_req(var));

	ck_assert_msg(c != NULL, "cannot connect with %s", var);
	return c;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	char st[6];

	ck_assert_msg(ht_db_exec(c, sql, st) == 0, "%s failed (SQLSTATE %s): %s", sql, st,
	              PQerrorMessage(c));
}

/* Append one event on c (inside whatever transaction c has open); its id. */
static long long
append(PGconn *c, const char *action)
{
	char *sql = ht_fmt("SELECT audit_append('%s', 'test', NULL, NULL, NULL, NULL)", action);
	long long id = ht_db_count_conn(c, sql);

	free(sql);
	ck_assert_msg(id > 0, "audit_append failed: %s", PQerrorMessage(c));
	return id;
}

/* 1 once event id is sealed, polling up to secs seconds. */
static int
sealed_within(PGconn *o, long long id, int secs)
{
	char *sql =
	    ht_fmt("SELECT count(*) FROM audit_events WHERE id = %lld AND hash IS NOT NULL", id);
	int ok = 0;

	for (int i = 0; i < secs * 10 && !ok; i++) {
		ok = ht_db_count_conn(o, sql) == 1;
		if (!ok)
			usleep(100000);
	}
	free(sql);
	return ok;
}

static int
is_sealed(PGconn *o, long long id)
{
	char *sql =
	    ht_fmt("SELECT count(*) FROM audit_events WHERE id = %lld AND hash IS NOT NULL", id);
	int v = ht_db_count_conn(o, sql) == 1;

	free(sql);
	return v;
}

static void
verify_ok(PGconn *o)
{
	int ok = 0;
	char *v = ht_db_value(o, "SELECT coalesce(audit_verify()::text, 'intact')", &ok);

	ck_assert_msg(ok && v != NULL && strcmp(v, "intact") == 0, "audit_verify(): %s",
	              v ? v : PQerrorMessage(o));
	free(v);
}

START_TEST(test_late_commit_chained_in_order)
{
	PGconn *a = conn("LOCKSTEP_TEST_APP_DSN"), *b = conn("LOCKSTEP_TEST_APP_DSN");
	PGconn *o = conn("LOCKSTEP_TEST_OWNER_DSN");
	long long ida, idb;
	char *sql;

	exec_ok(a, "BEGIN");
	ida = append(a, "test.late");
	idb = append(b, "test.early"); /* autocommit: committed first */
	ck_assert_int_gt(idb, ida);
	/* the sealer must wait for a's id: b stays unsealed while a runs */
	sleep(2);
	ck_assert_msg(!is_sealed(o, idb),
	              "event %lld was sealed while the earlier id %lld was still running", idb,
	              ida);
	exec_ok(a, "COMMIT");
	ck_assert_msg(sealed_within(o, idb, 10), "event %lld not sealed within 10 s", idb);
	ck_assert_msg(is_sealed(o, ida), "the late event %lld was skipped", ida);
	/* chained in id order: b's previous hash is a's hash */
	sql =
	    ht_fmt("SELECT count(*) FROM audit_events x JOIN audit_events y ON y.prev_hash = x.hash"
	           " WHERE x.id = %lld AND y.id = %lld",
	           ida, idb);
	ck_assert_msg(ht_db_count_conn(o, sql) == 1, "event %lld is not chained right after %lld",
	              idb, ida);
	free(sql);
	verify_ok(o);
	PQfinish(a);
	PQfinish(b);
	PQfinish(o);
}
END_TEST

START_TEST(test_rolled_back_id_declared_void)
{
	PGconn *a = conn("LOCKSTEP_TEST_APP_DSN"), *o = conn("LOCKSTEP_TEST_OWNER_DSN");
	long long gone, next;
	char *sql;

	exec_ok(a, "BEGIN");
	gone = append(a, "test.rolled-back");
	exec_ok(a, "ROLLBACK");
	next = append(a, "test.after-rollback");
	/* grace 2 s, then the chain goes on past the gap */
	ck_assert_msg(sealed_within(o, next, 15), "the chain stalled on the void id %lld", gone);
	sql =
	    ht_fmt("SELECT count(*) FROM audit_gaps WHERE id = %lld AND void_at IS NOT NULL", gone);
	ck_assert_msg(ht_db_count_conn(o, sql) == 1, "id %lld is not recorded as void", gone);
	free(sql);
	sql = ht_fmt("SELECT count(*) FROM audit_events WHERE id = %lld", gone);
	ck_assert_int_eq(ht_db_count_conn(o, sql), 0);
	free(sql);
	verify_ok(o);
	PQfinish(a);
	PQfinish(o);
}
END_TEST

START_TEST(test_no_global_lock)
{
	PGconn *a = conn("LOCKSTEP_TEST_APP_DSN"), *b = conn("LOCKSTEP_TEST_APP_DSN");

	/* with the old global lock, b's append would wait for a's commit */
	exec_ok(a, "BEGIN");
	(void)append(a, "test.concurrent-a");
	exec_ok(b, "SET lock_timeout = '500ms'");
	exec_ok(b, "BEGIN");
	(void)append(b, "test.concurrent-b");
	exec_ok(b, "COMMIT");
	exec_ok(a, "COMMIT");
	PQfinish(a);
	PQfinish(b);
}
END_TEST

START_TEST(test_verify_finds_edits)
{
	PGconn *a = conn("LOCKSTEP_TEST_APP_DSN"), *o = conn("LOCKSTEP_TEST_OWNER_DSN");
	long long id = append(a, "test.to-edit"), nid;
	char *sql, *bad;
	int ok = 0;

	ck_assert_msg(sealed_within(o, id, 10), "event %lld not sealed", id);
	/* the app cannot touch the chain */
	sql = ht_fmt("UPDATE audit_events SET hash = NULL, prev_hash = NULL WHERE id = %lld", id);
	{
		char st[6];

		ck_assert_msg(ht_db_exec(a, sql, st) != 0, "lockstep_app unsealed an event");
		ck_assert_msg(ht_db_exec(o, sql, st) != 0, "the owner unsealed an event");
	}
	free(sql);
	/* the owner, past the trigger, edits a sealed event: audit_verify names it */
	exec_ok(o, "BEGIN");
	exec_ok(o, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
	sql = ht_fmt("UPDATE audit_events SET detail = '{\"edited\": true}' WHERE id = %lld", id);
	exec_ok(o, sql);
	free(sql);
	bad = ht_db_value(o, "SELECT audit_verify()", &ok);
	ck_assert_msg(ok && bad != NULL && atoll(bad) == id,
	              "audit_verify() gave %s, expected %lld", bad ? bad : "NULL", id);
	free(bad);
	/* an unsealed event older than a sealed one (a row that appeared after
	 * its id was declared void, or a seal removed): audit_verify names it */
	exec_ok(o, "ROLLBACK");
	nid = append(a, "test.after-edit");
	ck_assert_msg(sealed_within(o, nid, 10), "event %lld not sealed", nid);
	exec_ok(o, "BEGIN");
	exec_ok(o, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
	exec_ok(o, "ALTER TABLE audit_events DROP CONSTRAINT audit_events_sealed_whole");
	sql = ht_fmt("UPDATE audit_events SET hash = NULL, prev_hash = NULL WHERE id = %lld", id);
	exec_ok(o, sql);
	free(sql);
	bad = ht_db_value(o, "SELECT audit_verify()", &ok);
	ck_assert_msg(ok && bad != NULL && atoll(bad) == id,
	              "audit_verify() accepted an unsealed event before a sealed one (%s)",
	              bad ? bad : "NULL");
	free(bad);
	exec_ok(o, "ROLLBACK");
	verify_ok(o);
	PQfinish(a);
	PQfinish(o);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_no_global_lock);
	tcase_add_test(tc, test_late_commit_chained_in_order);
	tcase_add_test(tc, test_rolled_back_id_declared_void);
	tcase_add_test(tc, test_verify_finds_edits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	ht_init_or_skip();
	return ht_run_suite(audit_suite());
}

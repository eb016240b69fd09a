/*
 * check_rls: tenancy at the database level. The world is built over HTTP;
 * everything else talks to PostgreSQL directly, as lockstep_app (the
 * server's role) and as the owner (to prove the rows exist, so that the
 * test can fail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct ht_world W;

/* Every table with row-level security, as of the migrations in sql/. */
static const char *const rls_tables[] = {
    "account_links",
    "audit_events",
    "campaign_release_history",
    "campaign_remediation_days",
    "campaigns",
    "claims",
    "commitments",
    "engagement_emulations",
    "engagement_secrets",
    "engagement_stage_history",
    "engagements",
    "evidence",
    "evidence_chunks",
    "finding_comments",
    "finding_deadline_notices",
    "finding_fingerprints",
    "finding_history",
    "finding_retests",
    "findings",
    "login_challenges",
    "login_failures",
    "mail_outbox",
    "mail_prefs",
    "notifications",
    "orgs",
    "publications",
    "recovery_codes",
    "release_events_pending",
    "release_holds",
    "release_input_changes",
    "release_input_horizon",
    "release_withholds",
    "review_campaigns",
    "review_drafts",
    "review_states",
    "risk_acceptances",
    "risk_expiry_notices",
    "sessions",
    "statements",
    "tlog_campaign_commits",
    "tlog_commitments",
    "user_totp",
    "users",
    "webhook_deliveries",
    "webhooks",
};

/*
 * Tables whose rows are not any one tenant's: publications are public once
 * their release instant has passed (and never before), release holds are
 * the coordinator's, and so is the release-date history. For these the "no identity" and "company
 * B" checks count only what must stay hidden.
 */
static const char *
hidden_rows(const char *t)
{
	if (strcmp(t, "publications") == 0)
		return "release_at > now()";
	if (strcmp(t, "release_holds") == 0 || strcmp(t, "campaign_release_history") == 0 ||
	    strcmp(t, "release_withholds") == 0)
		return "true";
	return NULL;
}
#define N_RLS (sizeof(rls_tables) / sizeof(rls_tables[0]))

/*
 * Tables without row-level security: reference data (the vocabulary, the
 * threat models, the engagement stage machine, the finding status
 * machine), the master key's check value (reveals nothing), the public
 * signing key history (the app may only read these two), and the audit
 * sealer's gaps (ids only; the app has no privilege on it at all)
 * (test_app_privileges).
 */
static const char *const plain_tables[] = {
    "audit_gaps",    "engagement_transitions",  "finding_transitions", "frameworks",
    "key_checks",    "publication_corrections", "schema_migrations",   "signing_keys",
    "threat_models", "tlog_checkpoints",        "tlog_cosignatures",   "tlog_entries",
    "vocabulary"};

static PGconn *
app_conn(void)
{
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));

	ck_assert_msg(c != NULL, "cannot connect as lockstep_app");
	return c;
}

static PGconn *
owner_conn(void)
{
	PGconn *c = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));

	ck_assert_msg(c != NULL, "cannot connect as the owner");
	return c;
}

/* Rows of a one-column query, as a json array of strings. */
static json_t *
column(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	json_t *a = json_array();
	int i;

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(a, json_string(PQgetvalue(res, i, 0)));
	PQclear(res);
	return a;
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* "SELECT set_config(...)" for a company/assessor admin identity (malloc'd). */
static char *
identity_sql(const struct ht_tenant *t, const char *kind)
{
	return ht_fmt("SELECT set_config('lockstep.user_id', '%s', true), "
	              "set_config('lockstep.org_id', '%s', true), "
	              "set_config('lockstep.org_kind', '%s', true), "
	              "set_config('lockstep.role', 'admin', true)",
	              t->admin.user_id, t->org_id, kind);
}

static void
exec_ok(PGconn *c, const char *sql)
{
	char st[6];

	ck_assert_msg(ht_db_exec(c, sql, st) == 0, "%s failed (SQLSTATE %s): %s", sql, st,
	              PQerrorMessage(c));
}

/* 1 if lockstep_app may read column col of table t (as seen on c). */
static int
app_can_read(PGconn *c, const char *t, const char *col)
{
	char *sql =
	    col ? ht_fmt("SELECT has_column_privilege('lockstep_app', 'public.%s', '%s', "
	                 "'SELECT')::int",
	                 t, col)
	        : ht_fmt(
	              "SELECT has_any_column_privilege('lockstep_app', 'public.%s', 'SELECT')::int",
	              t);
	long long v = ht_db_count_conn(c, sql);

	free(sql);
	return v == 1;
}

static int
has_column(PGconn *c, const char *t, const char *col)
{
	char *sql =
	    ht_fmt("SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.%s'::regclass "
	           "AND attname = '%s' AND NOT attisdropped",
	           t, col);
	long long v = ht_db_count_conn(c, sql);

	free(sql);
	return v == 1;
}

/* ------------------------------------------------------------- catalog */

START_TEST(test_rls_table_set)
{
	PGconn *c = owner_conn();
	json_t *got =
	    column(c, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
	              "AND relkind IN ('r','p') AND relrowsecurity ORDER BY relname");
	json_t *noforce =
	    column(c, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
	              "AND relkind IN ('r','p') AND relrowsecurity AND NOT relforcerowsecurity");
	json_t *plain =
	    column(c, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
	              "AND relkind IN ('r','p') AND NOT relrowsecurity ORDER BY relname");
	char *gs = json_dumps(got, JSON_COMPACT);
	size_t i;
	json_t *v;

	ck_assert_msg(json_array_size(got) == N_RLS,
	              "tables with row-level security are %s; expected the %zu of this test's list "
	              "(a new tenant table? add it here)",
	              gs, N_RLS);
	for (i = 0; i < N_RLS; i++)
		ck_assert_msg(strcmp(json_string_value(json_array_get(got, i)), rls_tables[i]) == 0,
		              "tables with row-level security are %s, expected %s at %zu", gs,
		              rls_tables[i], i);
	ck_assert_msg(json_array_size(noforce) == 0, "RLS not forced on %s",
	              json_string_value(json_array_get(noforce, 0)));
	json_array_foreach(plain, i, v)
	    ck_assert_msg(in_list(json_string_value(v), plain_tables,
	                          sizeof(plain_tables) / sizeof(plain_tables[0])),
	                  "table %s has no row-level security", json_string_value(v));
	free(gs);
	json_decref(plain);
	json_decref(noforce);
	json_decref(got);
	PQfinish(c);
}
END_TEST

START_TEST(test_app_role)
{
	PGconn *c = app_conn();
	PGresult *res = PQexec(c, "SELECT rolbypassrls::text, rolsuper::text, rolcreaterole::text, "
	                          "rolcreatedb::text FROM pg_roles WHERE rolname = 'lockstep_app'");

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	              "no role lockstep_app: %s", PQerrorMessage(c));
	ck_assert_msg(strcmp(PQgetvalue(res, 0, 0), "false") == 0, "lockstep_app has BYPASSRLS");
	ck_assert_msg(strcmp(PQgetvalue(res, 0, 1), "false") == 0, "lockstep_app is a superuser");
	ck_assert_msg(strcmp(PQgetvalue(res, 0, 2), "false") == 0, "lockstep_app has CREATEROLE");
	ck_assert_msg(strcmp(PQgetvalue(res, 0, 3), "false") == 0, "lockstep_app has CREATEDB");
	PQclear(res);
	ck_assert_msg(ht_db_count_conn(c, "SELECT current_user = 'lockstep_app'") != -1,
	              "query failed");
	ck_assert_msg(
	    ht_db_count_conn(
	        c, "SELECT count(*) FROM pg_class WHERE relowner = 'lockstep_app'::regrole") == 0,
	    "lockstep_app owns a table, view or sequence (owners bypass RLS unless forced)");
	ck_assert_msg(
	    ht_db_count_conn(
	        c, "SELECT count(*) FROM pg_proc WHERE proowner = 'lockstep_app'::regrole") == 0,
	    "lockstep_app owns a function");
	ck_assert_msg(
	    ht_db_count_conn(
	        c, "SELECT count(*) FROM pg_namespace WHERE nspowner = 'lockstep_app'::regrole") ==
	        0,
	    "lockstep_app owns a schema");
	ck_assert_msg(
	    ht_db_count_conn(
	        c, "SELECT count(*) FROM pg_auth_members WHERE member = 'lockstep_app'::regrole") ==
	        0,
	    "lockstep_app is a member of another role");
	PQfinish(c);
}
END_TEST

START_TEST(test_security_definer_search_path)
{
	PGconn *c = owner_conn();
	json_t *bad =
	    column(c, "SELECT p.oid::regprocedure::text FROM pg_proc p "
	              "WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef "
	              "AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) s "
	              "WHERE s LIKE 'search\\_path=%')");

	ck_assert_msg(ht_db_count_conn(c, "SELECT count(*) FROM pg_proc WHERE pronamespace = "
	                                  "'public'::regnamespace AND prosecdef") >= 3,
	              "expected the auth_* SECURITY DEFINER functions");
	ck_assert_msg(json_array_size(bad) == 0,
	              "SECURITY DEFINER without a pinned search_path: %s",
	              json_string_value(json_array_get(bad, 0)));
	json_decref(bad);
	PQfinish(c);
}
END_TEST

/* ------------------------------------------------------------- names */

/*
 * How many of the ids in list (SQL array text) ls_user_names (0017) names
 * under identity id_sql ("" for none).
 */
static long long
names_seen(PGconn *c, const char *id_sql, const char *list)
{
	char *q = ht_fmt("SELECT count(*) FROM ls_user_names(%s)", list);
	long long n;

	exec_ok(c, "BEGIN");
	if (*id_sql != '\0')
		exec_ok(c, id_sql);
	n = ht_db_count_conn(c, q);
	exec_ok(c, "ROLLBACK");
	free(q);
	return n;
}

/*
 * Display names (0017): a user's name is given only to those who could
 * already see that the user took part: the own org, the other party of a
 * shared engagement, the coordinator. Never another company's user, never
 * a foreign assessor's, never to an anonymous caller.
 */
START_TEST(test_user_names_rule)
{
	PGconn *c = app_conn();
	char *a = ht_fmt("ARRAY['%s']::uuid[]", W.a.admin.user_id);
	char *x = ht_fmt("ARRAY['%s']::uuid[]", W.x.admin.user_id);
	char *coord = ht_fmt("ARRAY['%s']::uuid[]", W.coord.user_id);
	char *id_a = identity_sql(&W.a, "company"), *id_b = identity_sql(&W.b, "company");
	char *id_x = identity_sql(&W.x, "assessor"), *id_y = identity_sql(&W.y, "assessor");
	char *id_coord = ht_fmt("SELECT set_config('lockstep.user_id', '%s', true), "
	                        "set_config('lockstep.org_id', '%s', true), "
	                        "set_config('lockstep.org_kind', 'coordinator', true), "
	                        "set_config('lockstep.role', 'admin', true)",
	                        W.coord.user_id, W.coord_org_id);

	/* allowed: self, the engagement's other party, the coordinator */
	ck_assert_int_eq(names_seen(c, id_a, a), 1);
	ck_assert_int_eq(names_seen(c, id_x, a), 1);
	ck_assert_int_eq(names_seen(c, id_a, x), 1);
	ck_assert_int_eq(names_seen(c, id_coord, a), 1);
	ck_assert_int_eq(names_seen(c, id_coord, x), 1);
	/* the coordinator's people are named to every participant */
	ck_assert_int_eq(names_seen(c, id_b, coord), 1);
	/* refused: another company, an assessor without an engagement with the
	 * org, a company about a foreign assessor, nobody */
	ck_assert_int_eq(names_seen(c, id_b, a), 0);
	ck_assert_int_eq(names_seen(c, id_y, a), 0);
	ck_assert_int_eq(names_seen(c, id_b, x), 0);
	ck_assert_int_eq(names_seen(c, id_y, x), 0);
	ck_assert_int_eq(names_seen(c, "", a), 0);
	/* outside a transaction with an identity: nothing either */
	{
		char *q = ht_fmt("SELECT count(*) FROM ls_user_names(%s)", a);

		ck_assert_int_eq(ht_db_count_conn(c, q), 0);
		free(q);
	}
	/* it returns ids and names only, never an e-mail address or a role */
	ck_assert_int_eq(
	    ht_db_count_conn(c, "SELECT count(*) FROM pg_proc p WHERE p.proname = 'ls_user_names' "
	                        "AND p.proargnames = ARRAY['p_ids','id','name']::text[]"),
	    1);
	free(a);
	free(x);
	free(coord);
	free(id_a);
	free(id_b);
	free(id_x);
	free(id_y);
	free(id_coord);
	PQfinish(c);
}
END_TEST

/* ------------------------------------------------------------- reading */

START_TEST(test_no_identity_sees_nothing)
{
	PGconn *c = app_conn(), *o = owner_conn();
	size_t i;
	int readable = 0;

	for (i = 0; i < N_RLS; i++) {
		const char *t = rls_tables[i];
		char *sql = hidden_rows(t) ? ht_fmt("SELECT count(*) FROM public.%s WHERE %s", t,
		                                    hidden_rows(t))
		                           : ht_fmt("SELECT count(*) FROM public.%s", t);

		if (app_can_read(o, t, NULL)) {
			readable++;
			ck_assert_msg(ht_db_count_conn(c, sql) == 0,
			              "lockstep_app with no identity sees rows of %s", t);
			/* the same inside a transaction that set an empty identity */
			exec_ok(c, "BEGIN");
			exec_ok(c, "SELECT set_config('lockstep.user_id', '', true), "
			           "set_config('lockstep.org_id', '', true), "
			           "set_config('lockstep.org_kind', '', true), "
			           "set_config('lockstep.role', '', true)");
			ck_assert_msg(ht_db_count_conn(c, sql) == 0,
			              "lockstep_app with an empty identity sees rows of %s", t);
			exec_ok(c, "ROLLBACK");
		} else {
			char st[6];

			ck_assert_msg(ht_db_exec(c, sql, st) != 0 && strcmp(st, "42501") == 0,
			              "%s: no privilege, yet reading did not fail with 42501 (%s)",
			              t, st);
		}
		free(sql);
	}
	ck_assert_msg(readable >= 10, "lockstep_app can read only %d tenant tables", readable);
	/* the rows exist: the owner sees them */
	ck_assert_msg(ht_db_count_conn(o, "SELECT count(*) FROM findings") > 0,
	              "no findings at all");
	ck_assert_msg(ht_db_count_conn(o, "SELECT count(*) FROM orgs") > 0, "no orgs at all");
	PQfinish(o);
	PQfinish(c);
}
END_TEST

/* A WHERE clause matching company A's rows (and its assessor X's) in table t. */
static char *
company_a_rows(PGconn *o, const char *t)
{
	struct {
		const char *col;
		char *cond;
	} c[] = {
	    {"company_org_id", ht_fmt("company_org_id = '%s'", W.a.org_id)},
	    {"assessor_org_id", ht_fmt("assessor_org_id = '%s'", W.x.org_id)},
	    {"org_id", ht_fmt("org_id IN ('%s','%s')", W.a.org_id, W.x.org_id)},
	    {"actor_org", ht_fmt("actor_org IN ('%s','%s')", W.a.org_id, W.x.org_id)},
	    {"engagement_id", ht_fmt("engagement_id IN ('%s','%s')", W.eng_ax, W.eng_ax2)},
	    {"finding_id", ht_fmt("finding_id = '%s'", W.finding_a)},
	    {"user_id", ht_fmt("user_id IN ('%s','%s')", W.a.admin.user_id, W.x.admin.user_id)},
	    {"actor_user",
	     ht_fmt("actor_user IN ('%s','%s')", W.a.admin.user_id, W.x.admin.user_id)},
	    {"orgs", ht_fmt("orgs && ARRAY['%s','%s']::uuid[]", W.a.org_id, W.x.org_id)},
	    /* campaign 2 has only A×X */
	    {"campaign_id", ht_fmt("campaign_id = '%s'", W.campaign2_id)},
	};
	char *where = strdup("false"), *n;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (has_column(o, t, c[i].col) && app_can_read(o, t, c[i].col)) {
			n = ht_fmt("%s OR %s", where, c[i].cond);
			free(where);
			where = n;
		}
		free(c[i].cond);
	}
	if (strcmp(t, "orgs") == 0)
		n = ht_fmt("%s OR id IN ('%s','%s')", where, W.a.org_id, W.x.org_id);
	else if (strcmp(t, "campaigns") == 0)
		n = ht_fmt("%s OR id = '%s'", where, W.campaign2_id);
	else if (strcmp(t, "campaign_remediation_days") == 0)
		n = ht_fmt("%s OR campaign_id = '%s'", where, W.campaign2_id);
	else if (strcmp(t, "users") == 0)
		n = ht_fmt("%s OR id IN ('%s','%s')", where, W.a.admin.user_id, W.x.admin.user_id);
	else if (strcmp(t, "findings") == 0)
		n = ht_fmt("%s OR id = '%s'", where, W.finding_a);
	else
		n = strdup(where);
	free(where);
	return n;
}

START_TEST(test_company_b_sees_no_row_of_a)
{
	PGconn *c = app_conn(), *o = owner_conn();
	char *id = identity_sql(&W.b, "company");
	const char *must_exist[] = {"orgs",       "users",           "sessions",
	                            "campaigns",  "engagements",     "engagement_secrets",
	                            "findings",   "finding_history", "claims",
	                            "statements", "audit_events"};
	size_t i;
	int checked = 0;
	char *q;

	exec_ok(c, "BEGIN");
	exec_ok(c, id);
	for (i = 0; i < N_RLS; i++) {
		const char *t = rls_tables[i];
		char *where, *sql;
		long long seen, exists;

		if (!app_can_read(o, t, NULL))
			continue;
		where = hidden_rows(t) ? strdup(hidden_rows(t)) : company_a_rows(o, t);
		ck_assert_msg(strcmp(where, "false") != 0, "no way to tell company A's rows in %s",
		              t);
		sql = ht_fmt("SELECT count(*) FROM public.%s WHERE %s", t, where);
		seen = ht_db_count_conn(c, sql);
		exists = ht_db_count_conn(o, sql);
		ck_assert_msg(seen == 0,
		              "company B's identity sees %lld row(s) of company A in %s (%s)", seen,
		              t, where);
		if (in_list(t, must_exist, sizeof(must_exist) / sizeof(must_exist[0])))
			ck_assert_msg(exists > 0,
			              "the owner sees no row of company A in %s: the test "
			              "cannot fail there (%s)",
			              t, where);
		checked++;
		free(sql);
		free(where);
	}
	ck_assert_msg(checked >= 10, "only %d tables checked", checked);

	/* company B does see its own content (so the identity really is set) */
	q = ht_fmt("SELECT count(*) FROM findings WHERE id = '%s'", W.finding_b);
	ck_assert_msg(ht_db_count_conn(c, q) == 1, "company B does not see its own finding");
	free(q);
	q = ht_fmt("SELECT count(*) FROM engagements WHERE id = '%s'", W.eng_by);
	ck_assert_msg(ht_db_count_conn(c, q) == 1, "company B does not see its engagement");
	free(q);
	q = ht_fmt("SELECT count(*) FROM engagement_secrets WHERE engagement_id = '%s'", W.eng_by);
	ck_assert_msg(ht_db_count_conn(c, q) == 1,
	              "company B does not see its engagement's secrets");
	free(q);
	q = ht_fmt("SELECT count(*) FROM claims WHERE engagement_id = '%s'", W.eng_by);
	ck_assert_msg(ht_db_count_conn(c, q) >= 1, "company B does not see its claims");
	free(q);
	q = ht_fmt("SELECT count(*) FROM statements WHERE engagement_id = '%s'", W.eng_by);
	ck_assert_msg(ht_db_count_conn(c, q) == 1, "company B does not see its statement");
	free(q);
	q = ht_fmt("SELECT count(*) FROM finding_history WHERE finding_id = '%s'", W.finding_b);
	ck_assert_msg(ht_db_count_conn(c, q) >= 1, "company B does not see its finding's history");
	free(q);
	q = ht_fmt("SELECT count(*) FROM orgs WHERE id = '%s'", W.y.org_id);
	ck_assert_msg(ht_db_count_conn(c, q) == 1, "company B does not see its assessor");
	free(q);
	exec_ok(c, "ROLLBACK");

	/* identity is transaction-local: after the transaction nothing is visible */
	ck_assert_msg(ht_db_count_conn(c, "SELECT count(*) FROM findings") == 0,
	              "the identity outlived its transaction");
	free(id);
	PQfinish(o);
	PQfinish(c);
}
END_TEST

START_TEST(test_assessor_y_sees_no_row_of_x)
{
	PGconn *c = app_conn();
	char *id = identity_sql(&W.y, "assessor");
	char *q;

	exec_ok(c, "BEGIN");
	exec_ok(c, id);
	q = ht_fmt(
	    "SELECT count(*) FROM findings WHERE assessor_org_id = '%s' OR company_org_id = '%s'",
	    W.x.org_id, W.a.org_id);
	ck_assert_msg(ht_db_count_conn(c, q) == 0, "assessor Y sees A×X findings");
	free(q);
	q = ht_fmt("SELECT count(*) FROM engagements WHERE id IN ('%s','%s')", W.eng_ax, W.eng_ax2);
	ck_assert_msg(ht_db_count_conn(c, q) == 0, "assessor Y sees A×X engagements");
	free(q);
	q = ht_fmt("SELECT count(*) FROM findings WHERE id = '%s'", W.finding_b);
	ck_assert_msg(ht_db_count_conn(c, q) == 1, "assessor Y does not see its own finding");
	free(q);
	exec_ok(c, "ROLLBACK");
	free(id);
	PQfinish(c);
}
END_TEST

/* ------------------------------------------------------------- writing */

/* In a transaction with identity idsql (or none), stmt must fail; returns its SQLSTATE. */
static void
must_fail(PGconn *c, const char *idsql, const char *stmt, const char *want_state)
{
	char st[6];
	int rc;

	exec_ok(c, "BEGIN");
	if (idsql != NULL)
		exec_ok(c, idsql);
	rc = ht_db_exec(c, stmt, st);
	exec_ok(c, "ROLLBACK");
	ck_assert_msg(rc != 0, "lockstep_app could run: %s", stmt);
	if (want_state != NULL)
		ck_assert_msg(strcmp(st, want_state) == 0,
		              "%s failed with SQLSTATE %s, expected %s", stmt, st, want_state);
}

START_TEST(test_app_privileges)
{
	PGconn *c = app_conn();
	char *idb = identity_sql(&W.b, "company");
	char *idy = identity_sql(&W.y, "assessor");
	char *q;
	int k;

	for (k = 0; k < 2; k++) {
		const char *id = k == 0 ? NULL : (const char *)idb;

		must_fail(c, id, "SELECT password_hash FROM users", "42501");
		must_fail(c, id, "SELECT * FROM users", "42501");
		must_fail(c, id, "UPDATE finding_history SET version = version", NULL);
		must_fail(c, id, "DELETE FROM finding_history", NULL);
		must_fail(c, id, "UPDATE audit_events SET action = action", NULL);
		must_fail(c, id, "DELETE FROM audit_events", NULL);
		must_fail(c, id, "TRUNCATE findings", NULL);
		must_fail(c, id, "TRUNCATE audit_events", NULL);
		must_fail(c, id, "SELECT * FROM login_failures", "42501");
		must_fail(c, id, "SELECT audit_verify()", "42501");
		must_fail(c, id, "DELETE FROM findings", NULL);
		must_fail(c, id, "ALTER TABLE findings DISABLE ROW LEVEL SECURITY", NULL);
		must_fail(c, id, "SET row_security = off; SELECT count(*) FROM findings", NULL);
		/* the key tables: read-only for the app, append-only for everyone */
		must_fail(c, id, "UPDATE key_checks SET check_value = check_value", "42501");
		must_fail(c, id, "DELETE FROM key_checks", "42501");
		must_fail(c, id,
		          "INSERT INTO key_checks (name, check_value) VALUES ('master', "
		          "'\\x00000000000000000000000000000000000000000000000000000000000000')",
		          "42501");
		must_fail(c, id, "UPDATE signing_keys SET statement = statement", "42501");
		must_fail(c, id, "DELETE FROM signing_keys", "42501");
		must_fail(c, id, "TRUNCATE signing_keys", "42501");
		must_fail(c, id, "SELECT * FROM audit_gaps", "42501");
		must_fail(c, id, "INSERT INTO audit_gaps (id, seen_at) VALUES (1, now())", "42501");
		/* sealing is the sealer's: the app cannot fill in a hash */
		must_fail(c, id, "UPDATE audit_events SET hash = NULL", NULL);
	}
	/* a user cannot promote, disable or re-enable themself, even through
	 * the row users_update lets them change (0014_users_guard.sql) */
	{
		char *member = ht_fmt("SELECT set_config('lockstep.user_id', '%s', true), "
		                      "set_config('lockstep.org_id', '%s', true), "
		                      "set_config('lockstep.org_kind', 'company', true), "
		                      "set_config('lockstep.role', 'member', true)",
		                      W.b.admin.user_id, W.b.org_id);

		q = ht_fmt("UPDATE users SET role = CASE WHEN role = 'admin' THEN 'member' ELSE "
		           "'admin' END WHERE id = '%s'",
		           W.b.admin.user_id);
		must_fail(c, member, q, "42501");
		free(q);
		q = ht_fmt("UPDATE users SET disabled = NOT disabled WHERE id = '%s'",
		           W.b.admin.user_id);
		must_fail(c, idb, q, "42501");
		free(q);
		/* nor can an admin move one of their users to another org */
		q = ht_fmt("UPDATE users SET org_id = '%s' WHERE id = '%s'", W.a.org_id,
		           W.b.admin.user_id);
		must_fail(c, idb, q, NULL);
		free(q);
		free(member);
	}
	/* with the assessor's identity, its own history stays append-only */
	q = ht_fmt("UPDATE finding_history SET status = 'accepted' WHERE finding_id = '%s'",
	           W.finding_b);
	must_fail(c, idy, q, NULL);
	free(q);
	q = ht_fmt("DELETE FROM finding_history WHERE finding_id = '%s'", W.finding_b);
	must_fail(c, idy, q, NULL);
	free(q);
	free(idy);
	free(idb);
	PQfinish(c);
}
END_TEST

/*
 * Issue 14 (0018): what an engagement emulated and a company's commitments
 * are written only by their own assessor and company, a verdict only by
 * the assessor, and the company's words never by the assessor.
 */
START_TEST(test_levels_policies)
{
	PGconn *c = app_conn(), *o = owner_conn();
	char *idy = identity_sql(&W.y, "assessor");
	char *idb = identity_sql(&W.b, "company");
	char *ida = identity_sql(&W.a, "company");
	char *idx = identity_sql(&W.x, "assessor");
	char *count_sql =
	    ht_fmt("SELECT (SELECT count(*) FROM engagement_emulations WHERE engagement_id = '%s')"
	           " + (SELECT count(*) FROM commitments WHERE engagement_id = '%s')",
	           W.eng_ax, W.eng_ax);
	long long before = ht_db_count_conn(o, count_sql);
	char *q, *kid;
	int ok = 0;

	/* Y records an emulation for A×X, honestly labelled and as its assessor */
	q = ht_fmt(
	    "INSERT INTO engagement_emulations (engagement_id, company_org_id, "
	    "assessor_org_id, capability, updated_by) VALUES ('%s', '%s', '%s', 'OC1', '%s')",
	    W.eng_ax, W.a.org_id, W.x.org_id, W.y.admin.user_id);
	must_fail(c, idy, q, NULL);
	free(q);
	q = ht_fmt(
	    "INSERT INTO engagement_emulations (engagement_id, company_org_id, "
	    "assessor_org_id, capability, updated_by) VALUES ('%s', '%s', '%s', 'OC1', '%s')",
	    W.eng_ax, W.a.org_id, W.y.org_id, W.y.admin.user_id);
	must_fail(c, idy, q, NULL);
	free(q);
	/* the company A itself records no emulation */
	q = ht_fmt(
	    "INSERT INTO engagement_emulations (engagement_id, company_org_id, "
	    "assessor_org_id, capability, updated_by) VALUES ('%s', '%s', '%s', 'OC1', '%s')",
	    W.eng_ax, W.a.org_id, W.x.org_id, W.a.admin.user_id);
	must_fail(c, ida, q, NULL);
	free(q);
	/* B writes a commitment into A×X; X (an assessor) writes one either */
	q = ht_fmt("INSERT INTO commitments (id, engagement_id, company_org_id, assessor_org_id, "
	           "framework, version, level, text, created_by) VALUES (gen_random_uuid(), '%s', "
	           "'%s', '%s', 'RAND-SL', '1', 'SL5', '\\x00', '%s')",
	           W.eng_ax, W.a.org_id, W.x.org_id, W.b.admin.user_id);
	must_fail(c, idb, q, NULL);
	free(q);
	q = ht_fmt("INSERT INTO commitments (id, engagement_id, company_org_id, assessor_org_id, "
	           "framework, version, level, text, created_by) VALUES (gen_random_uuid(), '%s', "
	           "'%s', '%s', 'RAND-SL', '1', 'SL5', '\\x00', '%s')",
	           W.eng_ax, W.a.org_id, W.x.org_id, W.x.admin.user_id);
	must_fail(c, idx, q, NULL);
	free(q);
	ck_assert_msg(ht_db_count_conn(o, count_sql) == before, "A×X's levels rows changed");

	/* a real commitment of A: X may give the verdict, never rewrite its words */
	kid = ht_db_value(o, "SELECT gen_random_uuid()::text", &ok);
	ck_assert_msg(ok && kid != NULL, "no uuid");
	q = ht_fmt("INSERT INTO commitments (id, engagement_id, company_org_id, assessor_org_id, "
	           "framework, version, level, text, created_by) VALUES ('%s', '%s', '%s', '%s', "
	           "'RAND-SL', '1', 'SL3', '\\x01', '%s')",
	           kid, W.eng_ax, W.a.org_id, W.x.org_id, W.a.admin.user_id);
	exec_ok(c, "BEGIN");
	exec_ok(c, ida);
	exec_ok(c, q);
	exec_ok(c, "COMMIT");
	free(q);
	q = ht_fmt("UPDATE commitments SET text = '\\x02' WHERE id = '%s'", kid);
	must_fail(c, idx, q, NULL);
	free(q);
	/* the company cannot give itself a verdict: its UPDATE matches no row */
	q = ht_fmt(
	    "UPDATE commitments SET verdict = 'supported', verdict_by = '%s' WHERE id = '%s'",
	    W.a.admin.user_id, kid);
	exec_ok(c, "BEGIN");
	exec_ok(c, ida);
	{
		PGresult *res = PQexec(c, q);

		ck_assert_msg(PQresultStatus(res) != PGRES_COMMAND_OK ||
		                  strcmp(PQcmdTuples(res), "0") == 0,
		              "company A gave itself a verdict (%s rows)", PQcmdTuples(res));
		PQclear(res);
	}
	exec_ok(c, "ROLLBACK");
	free(q);
	q = ht_fmt("SELECT count(*) FROM commitments WHERE id = '%s' AND verdict = 'not-assessed'"
	           " AND text = '\\x01'::bytea",
	           kid);
	ck_assert_msg(ht_db_count_conn(o, q) == 1, "the commitment changed");
	free(q);
	/* company B's and assessor Y's identities see none of it */
	q = ht_fmt("SELECT count(*) FROM commitments WHERE id = '%s'", kid);
	exec_ok(c, "BEGIN");
	exec_ok(c, idb);
	ck_assert_msg(ht_db_count_conn(c, q) == 0, "company B sees A's commitment");
	exec_ok(c, "ROLLBACK");
	exec_ok(c, "BEGIN");
	exec_ok(c, idy);
	ck_assert_msg(ht_db_count_conn(c, q) == 0, "assessor Y sees A's commitment");
	exec_ok(c, "ROLLBACK");
	free(q);
	free(kid);
	free(count_sql);
	free(idy);
	free(idb);
	free(ida);
	free(idx);
	PQfinish(o);
	PQfinish(c);
}
END_TEST

START_TEST(test_insert_into_foreign_engagement)
{
	PGconn *c = app_conn(), *o = owner_conn();
	char *idy = identity_sql(&W.y, "assessor");
	char *idb = identity_sql(&W.b, "company");
	char *count_sql =
	    ht_fmt("SELECT (SELECT count(*) FROM findings WHERE engagement_id = '%s') + "
	           "(SELECT count(*) FROM claims WHERE engagement_id = '%s') + "
	           "(SELECT count(*) FROM statements WHERE engagement_id = '%s')",
	           W.eng_ax, W.eng_ax, W.eng_ax);
	long long before = ht_db_count_conn(o, count_sql);
	char *q;

	ck_assert_msg(before > 0, "A×X has no content");
	/* Y writes a finding into A×X, honestly labelled */
	q = ht_fmt(
	    "INSERT INTO findings (id, engagement_id, company_org_id, assessor_org_id, "
	    "threat_model, severity, title, detail, created_by, updated_by) VALUES "
	    "(gen_random_uuid(), '%s', '%s', '%s', 'WEIGHTS-EXFIL', 'low', '\\x00', '\\x00', "
	    "'%s', '%s')",
	    W.eng_ax, W.a.org_id, W.x.org_id, W.y.admin.user_id, W.y.admin.user_id);
	must_fail(c, idy, q, NULL);
	free(q);
	/* ... and claiming to be A×X's assessor */
	q = ht_fmt(
	    "INSERT INTO findings (id, engagement_id, company_org_id, assessor_org_id, "
	    "threat_model, severity, title, detail, created_by, updated_by) VALUES "
	    "(gen_random_uuid(), '%s', '%s', '%s', 'WEIGHTS-EXFIL', 'low', '\\x00', '\\x00', "
	    "'%s', '%s')",
	    W.eng_ax, W.a.org_id, W.y.org_id, W.y.admin.user_id, W.y.admin.user_id);
	must_fail(c, idy, q, NULL);
	free(q);
	q = ht_fmt(
	    "INSERT INTO claims (engagement_id, company_org_id, assessor_org_id, threat_model, "
	    "level, summary, updated_by) VALUES ('%s', '%s', '%s', 'IP-THEFT', 'OC5', 'x', '%s')",
	    W.eng_ax, W.a.org_id, W.x.org_id, W.y.admin.user_id);
	must_fail(c, idy, q, NULL);
	free(q);
	q = ht_fmt("INSERT INTO statements (engagement_id, company_org_id, assessor_org_id, text, "
	           "updated_by) VALUES ('%s', '%s', '%s', 'x', '%s') "
	           "ON CONFLICT (engagement_id) DO UPDATE SET text = 'hijacked'",
	           W.eng_ax, W.a.org_id, W.x.org_id, W.b.admin.user_id);
	must_fail(c, idb, q, NULL);
	free(q);
	/* an UPDATE of A's finding with B's identity matches no row */
	q = ht_fmt("UPDATE findings SET status = 'accepted' WHERE id = '%s'", W.finding_a);
	exec_ok(c, "BEGIN");
	exec_ok(c, idb);
	{
		PGresult *res = PQexec(c, q);

		ck_assert_msg(PQresultStatus(res) != PGRES_COMMAND_OK ||
		                  strcmp(PQcmdTuples(res), "0") == 0,
		              "company B's identity updated %s row(s) of company A's finding",
		              PQcmdTuples(res));
		PQclear(res);
	}
	exec_ok(c, "ROLLBACK");
	free(q);
	ck_assert_msg(ht_db_count_conn(o, count_sql) == before, "A×X's content changed");
	q = ht_fmt("SELECT version FROM findings WHERE id = '%s'", W.finding_a);
	{
		long long v = ht_db_count_conn(o, q);

		ck_assert_msg(v == 1, "finding A's version is %lld after B's UPDATE", v);
	}
	free(q);
	free(count_sql);
	free(idb);
	free(idy);
	PQfinish(o);
	PQfinish(c);
}
END_TEST

static Suite *
rls_suite(void)
{
	Suite *s = suite_create("rls");
	TCase *tc = tcase_create("rls");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rls_table_set);
	tcase_add_test(tc, test_app_role);
	tcase_add_test(tc, test_security_definer_search_path);
	tcase_add_test(tc, test_no_identity_sees_nothing);
	tcase_add_test(tc, test_user_names_rule);
	tcase_add_test(tc, test_company_b_sees_no_row_of_a);
	tcase_add_test(tc, test_assessor_y_sees_no_row_of_x);
	tcase_add_test(tc, test_app_privileges);
	tcase_add_test(tc, test_insert_into_foreign_engagement);
	tcase_add_test(tc, test_levels_policies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, rls_suite);
}

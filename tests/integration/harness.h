/*
 * harness: shared code of the integration tests (tests/integration/).
 *
 * The tests drive a running lockstepd over HTTP (libcurl, and raw sockets
 * for framing that libcurl will not produce) and look at its PostgreSQL
 * database directly (libpq). deploy/local/test starts both and exports:
 *
 *   LOCKSTEP_TEST_URL             base URL of lockstepd, e.g. http://127.0.0.1:18080
 *   LOCKSTEP_TEST_APP_DSN         libpq conninfo as lockstep_app
 *   LOCKSTEP_TEST_OWNER_DSN       libpq conninfo as lockstep_owner (BYPASSRLS)
 *   LOCKSTEP_TEST_SUPER_DSN       libpq conninfo as the superuser
 *   LOCKSTEP_TEST_ADMIN_EMAIL     the coordinator admin's e-mail address
 *   LOCKSTEP_TEST_ADMIN_PASSWORD  and password
 *   LOCKSTEP_TEST_PG_BIN          directory holding pg_dump
 *   LOCKSTEP_TEST_STATE_DIR       the state directory
 *
 *   LOCKSTEP_TEST_LOCKSTEPD       lockstepd, for tests that start their own
 *   LOCKSTEP_TEST_RUN_AS          the user that runs it (when we are root)
 *
 * Without LOCKSTEP_TEST_URL every test program exits 77 (automake: SKIP);
 * a test that lacks anything else it needs is skipped (ht_skip), never
 * passed.
 *
 * Every function that allocates says who frees; strings returned as
 * "malloc'd" are freed with free(). Functions that cannot allocate abort
 * the test program (these are tests, not the server).
 */
#ifndef LOCKSTEP_TEST_HARNESS_H
#define LOCKSTEP_TEST_HARNESS_H

#include <pthread.h>

#include <stddef.h>
#include <sys/types.h>

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

#define HT_PROBLEM_PREFIX "urn:lockstep:problem:"

/* ---------------------------------------------------------------- set-up */

/*
 * First call of every test main: exits 77 when LOCKSTEP_TEST_URL is unset
 * or empty; otherwise initialises libcurl, ignores SIGPIPE and remembers
 * the server's host and port for ht_raw(). Exits 1 on an unusable URL.
 */
void ht_init_or_skip(void);

/* The value of an environment variable, or NULL when unset or empty. */
const char *ht_env(const char *name);

/*
 * The value of an environment variable; when it is unset or empty the
 * current test is skipped (ht_skip) with the variable's name as reason.
 */
const char *ht_env_req(const char *name);

/*
 * Skip the current test: a test that could not run is never counted as
 * passed. Check has no skip status, so the convention is:
 *   - the test prints "SKIP: <program> <test>: <reason>" on stdout (one
 *     line, flushed) and its forked child exits 0, which ends the test;
 *   - ht_run_suite counts the skips (through a file shared with the
 *     forked children) and ends with
 *     "<program>: N passed, N failed, N skipped", where passed excludes
 *     the skipped tests; deploy/local/test reads that line and the SKIP
 *     lines' reasons;
 *   - a program whose whole run cannot start (no LOCKSTEP_TEST_URL) exits
 *     77, which automake reports as SKIP.
 * Under CK_FORK=no (debugging) a test cannot be ended early without
 * ending the program, so a skip fails the test instead, with the reason.
 * Never returns. Only call it from inside a running test.
 */
void ht_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Run a Check suite, print the closing line described at ht_skip and
 * return the process exit status: 0 when nothing failed, 1 otherwise.
 */
int ht_run_suite(Suite *s);

/* --------------------------------------------------------------- strings */

/* printf into a new string (malloc'd). */
char *ht_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A name no earlier or concurrent run can have produced: prefix, process
 * id, a per-process counter, the time and random bits, lower case letters,
 * digits and dashes only (so it is also a valid slug). malloc'd.
 */
char *ht_unique(const char *prefix);

/* tmpl with its first "%s" replaced by s (not a printf format); malloc'd. */
char *ht_subst(const char *tmpl, const char *s);

/* A random (version 4) UUID in canonical text form. */
void ht_random_uuid(char out[37]);

/* json_dumps(JSON_COMPACT) of a new reference which it STEALS; malloc'd. */
char *ht_jdump(json_t *steal);

/* 1 if needle occurs in hay[0..n). */
int ht_mem_contains(const char *hay, size_t n, const char *needle);

/* 1 if needle occurs in hay[0..n) as text or as lower/upper-case hex (a bytea). */
int ht_mem_contains_any_form(const char *hay, size_t n, const char *needle);

/* ------------------------------------------------------------------ HTTP */

struct ht_resp {
	long status; /* HTTP status of the final response; 0: transport failure */
	char *body;  /* NUL-terminated body, never NULL (error text when status 0) */
	size_t body_len;
	json_t *json;       /* the body parsed, when it is JSON; NULL otherwise */
	char *content_type; /* never NULL ("" when absent) */
	char *headers;      /* raw header lines of the final response, never NULL */
	char *what;         /* "METHOD path", for failure messages */
};

/*
 * Send one request to LOCKSTEP_TEST_URL + path. token (may be NULL) goes
 * in "Authorization: Bearer"; body (may be NULL) is sent as is with
 * "Content-Type: application/json" unless an extra header sets
 * Content-Type (an empty "Content-Type:" removes it). The variadic
 * arguments are extra header lines ("Name: value"), ended by NULL — the
 * ht_request() macro appends that NULL. Never returns NULL; free with
 * ht_resp_free().
 */
struct ht_resp *ht_request_(const char *method, const char *path, const char *token,
                            const char *body, ...);
#define ht_request(...) ht_request_(__VA_ARGS__, (const char *)NULL)

/* As ht_request_, with an explicit body length and a NULL-terminated header array. */
struct ht_resp *ht_request_v(const char *method, const char *path, const char *token,
                             const char *body, size_t body_len, const char *const *headers);

void ht_resp_free(struct ht_resp *r);

/* Value of the first response header called name (case-insensitive), malloc'd, or NULL. */
char *ht_header(const struct ht_resp *r, const char *name);

/* Borrowed string member key of the top-level JSON object, or NULL. */
const char *ht_jstr(const struct ht_resp *r, const char *key);

/* Borrowed string at o[key], or NULL. */
const char *ht_ostr(const json_t *o, const char *key);

/*
 * 1 if r is an application/problem+json answer with this status whose
 * "type" is urn:lockstep:problem:<slug> and whose "status" member matches.
 */
int ht_is_problem(const struct ht_resp *r, long status, const char *slug);

#define HT_BODY(r) ((r)->body_len > 2000 ? "(long body)" : (r)->body)

#define HT_ASSERT_STATUS(r, st)                                                                    \
	ck_assert_msg((r)->status == (st), "%s: expected %d, got %ld: %s", (r)->what, (int)(st),   \
	              (r)->status, HT_BODY(r))

#define HT_ASSERT_PROBLEM(r, st, slug)                                                             \
	ck_assert_msg(ht_is_problem((r), (st), (slug)),                                            \
	              "%s: expected %d problem+json %s, got %ld (%s): %s", (r)->what, (int)(st),   \
	              (slug), (r)->status, (r)->content_type, HT_BODY(r))

/* ----------------------------------------------------------- raw sockets */

/*
 * Send exactly bytes[0..n) to the server's host and port on a new
 * connection and return everything it answers (malloc'd, NUL-terminated,
 * possibly empty), reading until the final (non-1xx) response is complete,
 * the server closes, or 10 s pass. A send error (the server may close
 * early) stops sending but not reading. NULL only if it cannot connect.
 */
char *ht_raw(const char *bytes, size_t n);
/* ht_raw, and *sent: how many of the n bytes the server took before it
 * closed or reset the connection (n when all were sent). */
char *ht_raw_sent(const char *bytes, size_t n, size_t *sent);

/* Status of the final (non-1xx) response in raw text, 0 if none. */
int ht_raw_status(const char *raw);

/* 1 if any response in raw is "1xx" (e.g. 100 Continue). */
int ht_raw_has_interim(const char *raw);

/* Header value of the final response (malloc'd) or NULL. */
char *ht_raw_header(const char *raw, const char *name);

/* Body of the final response (borrowed pointer into raw; "" if none). */
const char *ht_raw_body(const char *raw);

/* 1 if raw's final response is problem+json with this status and type slug. */
int ht_raw_is_problem(const char *raw, int status, const char *slug);

/* "host:port" of the server, for Host headers (borrowed). */
const char *ht_hostport(void);

/* ------------------------------------------------------------- accounts */

/* Log in; returns the token (malloc'd) or NULL. */
char *ht_login(const char *email, const char *password);

/* Log in; returns the whole answer (free with ht_resp_free). */
struct ht_resp *ht_login_resp(const char *email, const char *password);

/* ------------------------------------------------------------- database */

/* Connect; NULL (with a message on stderr) on failure. Close with PQfinish. */
PGconn *ht_db_open(const char *dsn);

/*
 * Run sql and return the first column of the first row as an integer;
 * -1 (message on stderr) on error, NULL value or no row.
 */
long long ht_db_count(const char *dsn, const char *sql);
long long ht_db_count_conn(PGconn *c, const char *sql);

/*
 * Run sql on c. Returns 0 on success, -1 on failure; sqlstate (6 bytes,
 * may be NULL) receives the error's SQLSTATE ("" on success).
 */
int ht_db_exec(PGconn *c, const char *sql, char sqlstate[6]);

/*
 * Run sql and return the first cell as text (malloc'd); NULL for SQL NULL,
 * no row or error; *ok (may be NULL) is 1 when the query succeeded.
 */
char *ht_db_value(PGconn *c, const char *sql, int *ok);

/* Quote a literal for SQL text (malloc'd): 'it''s'. Used for test-built SQL only. */
char *ht_sql_literal(const char *s);

/* The tables whose row counts must not change on refused requests. */
#define HT_NCOUNTED 8
extern const char *const ht_counted_tables[HT_NCOUNTED];

/* Row counts of ht_counted_tables via the owner DSN; 0 or -1. */
int ht_db_snapshot(long long out[HT_NCOUNTED]);

/* Remove every login failure (owner DSN) so throttling from one test does not bleed into others. */
void ht_clear_login_failures(void);

/* ------------------------------------------------------------- processes */

/*
 * Run argv (argv[0] an absolute path) with stdin /dev/null and capture its
 * stdout (malloc'd, NUL-terminated; *len its length). *status receives the
 * exit status (-1 if it did not exit normally). NULL if it could not run.
 */
char *ht_run_capture(char *const argv[], size_t *len, int *status);

/* ------------------------------------------------- a lockstepd of a test */

/*
 * A lockstepd a test starts for itself (graceful shutdown, kill -9, small
 * limits, extra replicas), on the same database as the shared server.
 */
struct ht_server {
	pid_t pid;     /* 0 once it was reaped */
	int port;      /* on 127.0.0.1 */
	char base[64]; /* "http://127.0.0.1:<port>" */
	char *log;     /* its stdout and stderr, malloc'd path; the file is kept */
};

/* A free loopback TCP port (bound to port 0, then released); -1 on failure. */
int ht_free_port(void);

/*
 * Start LOCKSTEP_TEST_LOCKSTEPD serve on port (0: a free one) with the
 * LOCKSTEP_* environment this test inherits, LOCKSTEP_LISTEN_ADDRESS
 * 127.0.0.1, and env (NULL-terminated "NAME=value" strings, may be NULL)
 * on top; as LOCKSTEP_TEST_RUN_AS when that is set and we are root. Its
 * stdout and stderr go to a log file that is never removed, named
 * $LOCKSTEP_TEST_STATE_DIR/logs/<program>-<test>-<pid>-<n>.log (under
 * $TMPDIR or /tmp without a state directory), so that deploy/local/test's
 * sanitizer check reads it after the run. It is killed if the test's
 * process ends without stopping it. Waits up to 15 s for /healthz to
 * answer 200.
 * Skips the current test (ht_skip) when LOCKSTEP_TEST_LOCKSTEPD is not
 * set or not executable. Returns 0 once it is healthy; -1 when it exited
 * or did not become healthy (it is then killed and reaped, and the end of
 * its log is printed on stderr). Free s->log with ht_server_free.
 */
int ht_server_start(struct ht_server *s, int port, const char *const *env);

/*
 * Wait up to secs seconds for the server to exit; returns its wait status
 * (and sets s->pid to 0), or -1 when it is still running.
 */
int ht_server_wait(struct ht_server *s, int secs);

/*
 * Send sig (unless it already exited) and reap it; returns its wait
 * status, or -1 when it was not running. SIGTERM waits up to 60 s, then
 * sends SIGKILL.
 */
int ht_server_stop(struct ht_server *s, int sig);

/* Stop it with SIGKILL if still running and free s->log (not the file). */
void ht_server_free(struct ht_server *s);

/* ----------------------------------------------------------------- world */

struct ht_actor {
	char *email;
	char *password;
	char *user_id;
	char *token;
};

struct ht_tenant {
	char *org_id;
	char *org_name;
	struct ht_actor admin;
};

/*
 * The fixture of most tests, built through the API as the coordinator:
 *   companies A and B, assessor firms X and Y, each with an admin user,
 *   campaign 1 with engagements A×X and B×Y, campaign 2 with A×X only;
 *   as X a finding in A×X, as Y one in B×Y (title, detail carry mark_*),
 *   a WEIGHTS-EXFIL claim in each (summary carries pub_*), and each
 *   company's statement (text carries pub_*). The scopes carry mark_*.
 * mark_* appear only in content stored encrypted (title, detail, scope);
 * pub_* in content confidential until release (claims, statements: also
 * encrypted at rest since issue 8, and published at release).
 */
struct ht_world {
	char *tag;
	struct ht_actor coord;
	char *coord_org_id;
	struct ht_tenant a, b, x, y;
	char *campaign_id, *campaign_slug;
	char *campaign2_id, *campaign2_slug;
	char *eng_ax, *eng_by, *eng_ax2;
	char *finding_a, *finding_b;
	char *mark_a, *mark_b;
	char *pub_a, *pub_b;
	char *scope_a, *scope_b;
	char err[4096];
};

/* Build w (zeroed first). Returns 0, or -1 with the reason in w->err. */
int ht_world_build(struct ht_world *w);

/* Free everything w holds (not w itself). */
void ht_world_free(struct ht_world *w);

/*
 * The common main() of a suite that needs the world: skip without the
 * environment (exit 77), clear log-in throttling, build w, run suite().
 * Returns the process exit status.
 */
int ht_main_world(struct ht_world *w, Suite *(*suite)(void));

/*
 * Create an org (as the coordinator token) and one user in it; fills
 * t (org id/name, admin email/password/id, logs in for the token).
 * kind "company" or "assessor"; role "admin" or "member".
 * Returns 0 or -1 with the reason in err.
 */
int ht_make_tenant(const char *coord_token, const char *kind, const char *label,
                   struct ht_tenant *t, char *err, size_t errlen);

/* Create one user in org_id as token; fills a (logs in). 0 or -1 with err. */
int ht_make_user(const char *token, const char *org_id, const char *role, struct ht_actor *a,
                 char *err, size_t errlen);

void ht_actor_free(struct ht_actor *a);

/* An RFC 3339 UTC time days from now (malloc'd). */
char *ht_future_time(int days);

/*
 * POST /api/v1/engagements/{id}/stage {"stage"} with token; returns the
 * HTTP status (200 when moved; anything else is printed to stderr).
 */
long ht_stage(const char *token, const char *engagement, const char *stage);

/* ------------------------------------------------------------------ smtp */

/*
 * A tiny SMTP receiver on loopback for mail tests: up to max_conns
 * connections one after another, the minimal dialogue (greeting,
 * EHLO/HELO, MAIL, RCPT, DATA up to ".", QUIT); everything clients sent is
 * kept in got. The first fail_rcpt RCPT commands are answered 451 (a relay
 * that says "try later"). Bounded: 30 s without a connection ends it.
 */
struct ht_smtp {
	int listen_fd;
	int port;
	int max_conns;
	int fail_rcpt;
	int messages; /* DATA transactions completed */
	int stop;
	char got[65536];
	size_t len;
	pthread_mutex_t mu;
	pthread_t thread;
};
int ht_smtp_start(struct ht_smtp *x, int max_conns, int fail_rcpt);
/* Wait until at least n messages came (at most secs); returns the count. */
int ht_smtp_wait(struct ht_smtp *x, int n, int secs);
/* A copy of what was received so far (malloc'd). */
char *ht_smtp_text(struct ht_smtp *x);
/* End the receiver and join it. */
void ht_smtp_stop(struct ht_smtp *x);

#endif

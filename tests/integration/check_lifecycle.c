/*
 * Life-cycle tests: graceful shutdown (SIGTERM lets the in-flight request
 * finish and refuses new connections) on a second lockstepd started here
 * (ht_server_start: its log is kept for the sanitizer check),
 * and reconnection of the shared server after a PostgreSQL restart.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct ht_world W;

/* Connect to 127.0.0.1:port; -1 when refused. */
static int
lc_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

START_TEST(test_graceful_shutdown)
{
	const char *body = "{\"email\":\"nobody@example.test\",\"password\":\"not-the-password\"}";
	char head[256], resp[8192];
	size_t half = strlen(body) / 2, got = 0;
	struct ht_server s;
	int port, fd, st;
	pid_t pid;
	ssize_t k;

	ck_assert_msg(ht_server_start(&s, 0, NULL) == 0, "second lockstepd did not start");
	port = s.port;
	pid = s.pid;

	/* a request is in flight: headers and half of its body are sent */
	fd = lc_connect(port);
	ck_assert_int_ge(fd, 0);
	snprintf(head, sizeof(head),
	         "POST /api/v1/session HTTP/1.1\r\nHost: t\r\n"
	         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	         strlen(body));
	ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	ck_assert_int_eq(send(fd, body, half, MSG_NOSIGNAL), (ssize_t)half);
	usleep(300000);

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	usleep(500000);
	/* no new connection is accepted once shutdown began */
	{
		int fd2 = lc_connect(port);

		ck_assert_msg(fd2 < 0, "a new connection was accepted during shutdown");
	}
	ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0,
	              "lockstepd exited with a request in flight");

	/* the in-flight request completes with its real answer */
	ck_assert_int_eq(send(fd, body + half, strlen(body) - half, MSG_NOSIGNAL),
	                 (ssize_t)(strlen(body) - half));
	while (got < sizeof(resp) - 1 &&
	       (k = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0) {
		got += (size_t)k;
		resp[got] = '\0';
		if (strstr(resp, "\r\n\r\n") && strstr(resp, "}"))
			break;
	}
	resp[got] = '\0';
	close(fd);
	ck_assert_msg(ht_raw_is_problem(resp, 401, "bad-credentials"), "in-flight answer: %s",
	              resp);

	st = ht_server_wait(&s, 30);
	ht_server_free(&s); /* SIGKILL if it is still running */
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	              "lockstepd did not exit cleanly after SIGTERM (status %d)", st);
}
END_TEST

START_TEST(test_database_restart)
{
	const char *pg_bin = ht_env_req("LOCKSTEP_TEST_PG_BIN");
	const char *state = ht_env_req("LOCKSTEP_TEST_STATE_DIR");
	const char *run_as = ht_env("LOCKSTEP_TEST_RUN_AS");
	char *pg_ctl = ht_fmt("%s/pg_ctl", pg_bin);
	char *data = ht_fmt("%s/pg/data", state);
	/* -l: the new postmaster must not inherit our capture pipe */
	char *log = ht_fmt("%s/pg/log/postgres.log", state);
	struct ht_resp *r;
	char *out;
	size_t len;
	int status;

	r = ht_request("GET", "/api/v1/me", W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	if (run_as != NULL && *run_as != '\0') {
		char *argv[] = {"/usr/sbin/runuser",
		                "-u",
		                (char *)run_as,
		                "--",
		                pg_ctl,
		                "-D",
		                data,
		                "-l",
		                log,
		                "-m",
		                "fast",
		                "-w",
		                "restart",
		                NULL};

		out = ht_run_capture(argv, &len, &status);
	} else {
		char *argv[] = {pg_ctl, "-D", data, "-l", log, "-m", "fast", "-w", "restart", NULL};

		out = ht_run_capture(argv, &len, &status);
	}
	ck_assert_msg(out != NULL && status == 0, "pg_ctl restart failed: %s", out ? out : "");
	free(out);

	/* every worker's connection died; the very next requests still succeed */
	for (int i = 0; i < 8; i++) {
		r = ht_request("GET", "/api/v1/me", W.a.admin.token, NULL);
		HT_ASSERT_STATUS(r, 200);
		ht_resp_free(r);
	}
	r = ht_request("GET", "/readyz", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	free(pg_ctl);
	free(data);
	free(log);
}
END_TEST

static Suite *
lifecycle_suite(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_graceful_shutdown);
	tcase_add_test(tc, test_database_restart);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, lifecycle_suite);
}

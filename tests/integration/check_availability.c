/*
 * Availability against hostile clients (issue 7), each on a lockstepd
 * started here with its own settings (the shared server's log-in
 * throttling and limits stay as the other suites expect them):
 *
 * - slow request heads and slow bodies from many loopback addresses
 *   (127.0.0.2 ...) while a normal client from 127.0.0.1 must be served
 *   every time, and the slow connections must be closed by their
 *   deadlines; the per-address connection limit;
 * - a log-in storm: other routes keep their latency, a valid log-in
 *   still gets in, the queue answers 503 with Retry-After past its bound;
 * - trusted proxies: X-Forwarded-For is believed only from them;
 * - strict framing, as raw bytes, against the shared server;
 * - the same slow-body attack through a private nginx started from
 *   deploy/nginx/lockstep.conf.
 * Every loop is bounded in count and time.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "harness.h"

#define DEVICE_COOKIE "lockstep_device"

/* ------------------------------------------------------------ plumbing */

static double
av_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TCP connection from source address src (NULL: any) to 127.0.0.1:port; -1 on failure. */
static int
av_connect(const char *src, int port, int nonblock)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (src != NULL) {
		struct sockaddr_in la = {.sin_family = AF_INET};

		inet_pton(AF_INET, src, &la.sin_addr);
		if (bind(fd, (struct sockaddr *)&la, sizeof(la)) != 0) {
			close(fd);
			return -1;
		}
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	if (nonblock)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/*
 * One request on a new connection from src; returns the status of the
 * answer (0 when none came) and the whole answer in *out (malloc'd, may
 * be NULL). Reads until the server closes ("Connection: close" is sent)
 * or 10 s pass.
 */
static int
av_exchange(const char *src, int port, const char *req, size_t len, char **out)
{
	char *buf = malloc(65536);
	size_t got = 0;
	ssize_t k;
	int fd = av_connect(src, port, 0), status = 0;

	ck_assert_ptr_nonnull(buf);
	buf[0] = '\0';
	if (fd >= 0) {
		if (send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len)
			while (got < 65535 && (k = recv(fd, buf + got, 65535 - got, 0)) > 0)
				got += (size_t)k;
		close(fd);
	}
	buf[got] = '\0';
	status = ht_raw_status(buf);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return status;
}

/* GET path (optional bearer token) from src; the status, or 0. *secs: the time it took. */
static int
av_get(const char *src, int port, const char *path, const char *token, double *secs)
{
	char req[1024];
	double t0 = av_now();
	int st;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n%s%s%sConnection: close\r\n\r\n",
	         path, token ? "Authorization: Bearer " : "", token ? token : "",
	         token ? "\r\n" : "");
	st = av_exchange(src, port, req, strlen(req), NULL);
	if (secs != NULL)
		*secs = av_now() - t0;
	return st;
}

/* POST /api/v1/session from src with headers extra (may be ""); the status; *out as av_exchange. */
static int
av_login(const char *src, int port, const char *email, const char *password, const char *extra,
         char **out)
{
	char *body = ht_fmt("{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	char *req =
	    ht_fmt("POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
	           "application/json\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
	           strlen(body), extra, body);
	int st = av_exchange(src, port, req, strlen(req), out);

	free(body);
	free(req);
	return st;
}

/* GET /healthz on an open connection fd; the status of the answer, or 0. */
static int
av_healthz_on(int fd)
{
	const char *req = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char resp[2048];
	ssize_t k;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return 0;
	k = recv(fd, resp, sizeof(resp) - 1, 0);
	if (k <= 0)
		return 0;
	resp[k] = '\0';
	return ht_raw_status(resp);
}

/*
 * A lockstepd of this test's own (harness: free port, the suite's
 * environment plus env, as LOCKSTEP_TEST_RUN_AS when set, its log kept in
 * the state directory's logs/ for the sanitizer check). Fails the test
 * when it does not answer within 15 s.
 */
static void
av_start(struct ht_server *s, const char *const *env)
{
	ck_assert_msg(ht_server_start(s, 0, env) == 0, "lockstepd did not start (log %s)",
	              s->log != NULL ? s->log : "none");
}

/* Stop it (SIGTERM, then SIGKILL) and forget it; its log stays. */
static void
av_stop(struct ht_server *s)
{
	ht_server_stop(s, SIGTERM);
	ht_server_free(s);
}

static void
av_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192) {
		rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ------------------------------------------------------- slow attackers */

enum av_kind { AV_SLOW_HEAD, AV_SLOW_BODY };

struct av_slow {
	int fd;
	enum av_kind kind;
	char src[32];
	double opened;
	size_t sent;
};

struct av_attack {
	struct av_slow *c;
	int n;
	int port;
	const char *path; /* for bodies */
	int reopened;     /* connections the server closed (each is re-opened) */
	double longest;   /* longest lifetime of a closed one */
	int refused;      /* connects that failed */
};

static void
av_slow_open(struct av_attack *a, struct av_slow *c)
{
	c->fd = av_connect(c->src, a->port, 1);
	c->opened = av_now();
	c->sent = 0;
	if (c->fd < 0) {
		a->refused++;
		return;
	}
	if (c->kind == AV_SLOW_BODY) {
		char *head =
		    ht_fmt("POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		           "Content-Length: 4000\r\n\r\n",
		           a->path);

		(void)send(c->fd, head, strlen(head), MSG_NOSIGNAL);
		free(head);
	} else
		(void)send(c->fd, "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
}

/* One tick: every connection sends one more byte; closed ones are counted and re-opened. */
static void
av_attack_tick(struct av_attack *a)
{
	for (int i = 0; i < a->n; i++) {
		struct av_slow *c = &a->c[i];
		char b[512];
		ssize_t k;
		int closed = 0;

		if (c->fd < 0) {
			av_slow_open(a, c);
			continue;
		}
		while ((k = recv(c->fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
			;
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed = 1;
		else {
			/* a header line a byte at a time, or one body byte */
			const char *line = "X-Slow: aaaaaaaa\r\n";
			char ch = c->kind == AV_SLOW_HEAD ? line[c->sent % strlen(line)] : 'a';

			if (send(c->fd, &ch, 1, MSG_NOSIGNAL) != 1 && errno != EAGAIN)
				closed = 1;
			c->sent++;
		}
		if (closed) {
			double life = av_now() - c->opened;

			if (life > a->longest)
				a->longest = life;
			a->reopened++;
			close(c->fd);
			av_slow_open(a, c);
		}
	}
}

static void
av_attack_init(struct av_attack *a, int port, const char *path, int n_head, int n_body,
               int first_src, int per_src)
{
	a->c = calloc((size_t)(n_head + n_body), sizeof(*a->c));
	ck_assert_ptr_nonnull(a->c);
	a->n = n_head + n_body;
	a->port = port;
	a->path = path;
	for (int i = 0; i < a->n; i++) {
		a->c[i].kind = i < n_head ? AV_SLOW_HEAD : AV_SLOW_BODY;
		snprintf(a->c[i].src, sizeof(a->c[i].src), "127.0.0.%d", first_src + i / per_src);
		av_slow_open(a, &a->c[i]);
	}
}

static void
av_attack_free(struct av_attack *a)
{
	for (int i = 0; i < a->n; i++)
		if (a->c[i].fd >= 0)
			close(a->c[i].fd);
	free(a->c);
}

/*
 * For secs seconds: the attack ticks every 0.5 s, and a normal client
 * (127.0.0.1) asks for path every 0.25 s. Returns how many normal
 * requests failed (status other than 200, or slower than 3 s); *asked
 * the count asked.
 */
static int
av_serve_during(struct av_attack *a, int port, const char *path, double secs, int *asked)
{
	double end = av_now() + secs, next_tick = 0;
	int failed = 0;

	*asked = 0;
	while (av_now() < end) {
		double took;
		int st;

		if (av_now() >= next_tick) {
			av_attack_tick(a);
			next_tick = av_now() + 0.5;
		}
		st = av_get("127.0.0.1", port, path, NULL, &took);
		(*asked)++;
		if (st != 200 || took > 3.0) {
			failed++;
			fprintf(stderr, "normal client: %s -> %d in %.2fs\n", path, st, took);
		}
		usleep(250000);
	}
	return failed;
}

/* ---------------------------------------------------------------- tests */

/*
 * 10 addresses each hold 64 slow request heads (the per-address limit),
 * 10 more each 16 slow bodies: 800 connections, more than the 512 that
 * were the whole server's limit before. A normal client is served every
 * time, and every slow connection is closed by its deadline.
 */
START_TEST(test_slow_clients)
{
	static const char *const env[] = {
	    "LOCKSTEP_HEADER_TIMEOUT=3", "LOCKSTEP_BODY_RATE_WINDOW=2", "LOCKSTEP_THREADS=2", NULL};
	struct ht_server s = {0};
	struct av_attack a = {0};
	int asked, failed;

	av_raise_nofile();
	av_start(&s, env);
	av_attack_init(&a, s.port, "/api/v1/session", 640, 0, 2, 64);
	{
		struct av_attack b = {0};

		av_attack_init(&b, s.port, "/api/v1/session", 0, 160, 12, 16);
		failed = av_serve_during(&a, s.port, "/healthz", 4.0, &asked);
		for (int i = 0; i < 12; i++) {
			av_attack_tick(&a);
			av_attack_tick(&b);
			usleep(500000);
		}
		ck_assert_msg(b.reopened >= 160,
		              "slow bodies closed by the server: %d of 160 (rate window 2 s)",
		              b.reopened);
		ck_assert_msg(b.longest < 5.0, "a slow body lived %.1f s (window 2 s)", b.longest);
		av_attack_free(&b);
	}
	failed += av_serve_during(&a, s.port, "/api/v1/threat-models", 4.0, &asked);
	ck_assert_msg(failed == 0, "%d normal requests failed during the attack", failed);
	ck_assert_msg(a.reopened >= 640, "slow heads closed by the server: %d (deadline 3 s)",
	              a.reopened);
	ck_assert_msg(a.longest < 5.5, "a slow head lived %.1f s (deadline 3 s)", a.longest);
	av_attack_free(&a);
	av_stop(&s);
}
END_TEST

/*
 * A slow but honest body (2 KiB/s, twice the floor, over 3 rate windows)
 * is not cut off: it gets its answer.
 */
START_TEST(test_slow_link_survives)
{
	static const char *const env[] = {"LOCKSTEP_BODY_RATE_WINDOW=2", NULL};
	struct ht_server s = {0};
	char head[256], resp[4096], chunk[205];
	size_t len = 12300, sent = 0, got = 0;
	ssize_t k;
	int fd;

	av_start(&s, env);
	fd = av_connect("127.0.0.33", s.port, 0);
	ck_assert_int_ge(fd, 0);
	snprintf(head, sizeof(head),
	         "POST /api/v1/orgs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
	         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	         len);
	ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	memset(chunk, ' ', sizeof(chunk));
	/* 205 bytes every 0.1 s: 2050 bytes/s for 6 s */
	while (sent < len) {
		size_t n = len - sent < sizeof(chunk) ? len - sent : sizeof(chunk);

		ck_assert_msg(send(fd, chunk, n, MSG_NOSIGNAL) == (ssize_t)n,
		              "the server closed a 2 KiB/s body after %zu bytes", sent);
		sent += n;
		usleep(100000);
	}
	while (got < sizeof(resp) - 1 && (k = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
		got += (size_t)k;
	resp[got] = '\0';
	close(fd);
	/* no credentials: refused, but only once the whole body was read */
	ck_assert_msg(ht_raw_is_problem(resp, 401, "unauthorized"), "answer: %.300s", resp);
	/* every request line of the log names its request, each id once */
	ht_server_stop(&s, SIGTERM);
	{
		FILE *f = fopen(s.log, "r");
		char line[2048], ids[64][17];
		int n = 0, orgs = 0;

		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			const char *p = strstr(line, "\"request\":\"");

			if (strstr(line, "\"event\":\"request\"") == NULL)
				continue;
			ck_assert_msg(p != NULL, "a request line without its id: %s", line);
			p += strlen("\"request\":\"");
			ck_assert_msg(strspn(p, "0123456789abcdef") == 16 && p[16] == '"',
			              "request id: %s", line);
			for (int i = 0; i < n; i++)
				ck_assert_msg(strncmp(ids[i], p, 16) != 0, "id used twice: %s",
				              line);
			if (n < 64)
				snprintf(ids[n++], sizeof(ids[0]), "%.16s", p);
			orgs += strstr(line, "\"route\":\"/api/v1/orgs\"") != NULL;
		}
		fclose(f);
		ck_assert_int_eq(orgs, 1);
	}
	av_stop(&s);
}
END_TEST

/* Direct clients: the 65th connection of one address is closed at once, others are served. */
START_TEST(test_per_address_limit)
{
	static const char *const env[] = {"LOCKSTEP_PER_IP_CONNECTIONS=8", NULL};
	struct ht_server s = {0};
	int fds[8], extra;
	char b[16];

	av_start(&s, env);
	for (int i = 0; i < 8; i++) {
		fds[i] = av_connect("127.0.0.30", s.port, 0);
		ck_assert_int_ge(fds[i], 0);
	}
	usleep(300000);
	extra = av_connect("127.0.0.30", s.port, 0);
	ck_assert_int_ge(extra, 0); /* the kernel accepts; lockstepd shuts it */
	ck_assert_msg(recv(extra, b, sizeof(b), 0) <= 0,
	              "a connection over the per-address limit was kept");
	close(extra);
	ck_assert_int_eq(av_get("127.0.0.31", s.port, "/healthz", NULL, NULL), 200);
	/* the held ones still work */
	ck_assert_int_eq(av_healthz_on(fds[0]), 200);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	av_stop(&s);
}
END_TEST

struct av_storm {
	int port;
	double until;
	int id;
	int answered, busy, transport, other;
	int busy_without_retry;
};

static void *
av_storm_thread(void *arg)
{
	struct av_storm *st = arg;
	char src[32], email[64];

	snprintf(src, sizeof(src), "127.0.0.%d", 40 + st->id % 20);
	for (int n = 0; av_now() < st->until && n < 200; n++) {
		char *out = NULL;
		int code;

		double t0 = av_now();

		snprintf(email, sizeof(email), "nobody-%d-%d@storm.test", st->id, n);
		errno = 0;
		code = av_login(src, st->port, email, "wrong-password", "", &out);
		if (code == 401)
			st->answered++;
		else if (code == 503) {
			char *ra = ht_raw_header(out, "Retry-After");

			st->busy++;
			if (ra == NULL || !ht_raw_is_problem(out, 503, "busy"))
				st->busy_without_retry++;
			free(ra);
			usleep(100000); /* keeps the generator from eating the CPU it measures */
		} else if (code == 0) {
			st->transport++;
			fprintf(stderr, "storm: no answer after %.2fs (errno %d): %.200s\n",
			        av_now() - t0, errno, out ? out : "");
		} else
			st->other++;
		free(out);
	}
	return NULL;
}

static double
av_max_latency(int port, const char *path, const char *token, int n, int *bad)
{
	double worst = 0;

	for (int i = 0; i < n; i++) {
		double t;
		int st = av_get("127.0.0.1", port, path, token, &t);

		if (st != 200)
			(*bad)++;
		if (t > worst)
			worst = t;
		usleep(50000);
	}
	return worst;
}

/*
 * 200 concurrent wrong-password log-ins from 20 addresses for 6 s: other
 * routes stay within a bound of their quiet latency measured here, the
 * queue answers 503 with Retry-After, and a valid log-in gets in.
 */
START_TEST(test_login_storm)
{
	static const char *const env[] = {"LOCKSTEP_LOGIN_MAX_ADDRESS_FAILURES=1000000",
	                                  "LOCKSTEP_LOGIN_MAX_FAILURES=1000", NULL};
	const char *email = ht_env_req("LOCKSTEP_TEST_ADMIN_EMAIL");
	const char *password = ht_env_req("LOCKSTEP_TEST_ADMIN_PASSWORD");
	struct ht_server s = {0};
	struct av_storm st[200];
	pthread_t th[200];
	double quiet_pub, quiet_list, storm_pub, storm_list, t0, login_secs = 0;
	char *out = NULL, *token, *device;
	int bad = 0, answered = 0, busy = 0, transport = 0, other = 0, noretry = 0;

	av_raise_nofile();
	av_start(&s, env);
	ck_assert_int_eq(av_login("127.0.0.1", s.port, email, password, "", &out), 201);
	{
		const char *b = ht_raw_body(out);
		json_t *j = json_loads(b, 0, NULL);
		char *dc = strstr(out, "Set-Cookie: " DEVICE_COOKIE "=");

		ck_assert_ptr_nonnull(j);
		token = strdup(json_string_value(json_object_get(j, "token")));
		json_decref(j);
		/* a successful log-in leaves a device cookie for this account */
		ck_assert_msg(dc != NULL, "no device cookie: %.600s", out);
		dc += strlen("Set-Cookie: ");
		dc[strcspn(dc, ";\r")] = '\0';
		device = ht_fmt("Cookie: %s\r\n", dc);
	}
	free(out);
	quiet_pub = av_max_latency(s.port, "/api/v1/publications", NULL, 20, &bad);
	quiet_list = av_max_latency(s.port, "/api/v1/threat-models", token, 20, &bad);

	for (int i = 0; i < 200; i++) {
		st[i] = (struct av_storm){.port = s.port, .until = av_now() + 6.0, .id = i};
		ck_assert_int_eq(pthread_create(&th[i], NULL, av_storm_thread, &st[i]), 0);
	}
	usleep(1000000);
	storm_pub = av_max_latency(s.port, "/api/v1/publications", NULL, 20, &bad);
	storm_list = av_max_latency(s.port, "/api/v1/threat-models", token, 20, &bad);
	/* the account's owner, with the device cookie of an earlier log-in, gets in at once */
	for (int i = 0; i < 3; i++) {
		t0 = av_now();
		ck_assert_int_eq(av_login("127.0.0.1", s.port, email, password, device, NULL), 201);
		if (av_now() - t0 > login_secs)
			login_secs = av_now() - t0;
	}
	/* without it, a valid log-in may be told to retry, never anything else */
	for (int i = 0; i < 3; i++) {
		int code = av_login("127.0.0.1", s.port, email, password, "", NULL);

		ck_assert_msg(code == 201 || code == 503, "valid log-in during the storm: %d",
		              code);
	}
	/* a forged device cookie opens nothing */
	{
		int code = av_login("127.0.0.1", s.port, email, "wrong-password",
		                    "Cookie: " DEVICE_COOKIE "=00000000-0000-4000-8000-000000000000"
		                    ".99999999999.AAAA\r\n",
		                    NULL);

		ck_assert_msg(code == 401 || code == 503, "forged device cookie: %d", code);
	}
	for (int i = 0; i < 200; i++) {
		pthread_join(th[i], NULL);
		answered += st[i].answered;
		busy += st[i].busy;
		transport += st[i].transport;
		other += st[i].other;
		noretry += st[i].busy_without_retry;
	}
	fprintf(stderr,
	        "storm: %d answered 401, %d busy 503, %d transport errors, %d other; "
	        "publications %.3fs -> %.3fs, list %.3fs -> %.3fs; valid log-in %.2fs\n",
	        answered, busy, transport, other, quiet_pub, storm_pub, quiet_list, storm_list,
	        login_secs);
	ck_assert_int_eq(bad, 0);
	ck_assert_msg(storm_pub <= 10 * quiet_pub + 0.3 && storm_list <= 10 * quiet_list + 0.3,
	              "latency during the storm: publications %.3fs (quiet %.3fs), list %.3fs "
	              "(quiet %.3fs)",
	              storm_pub, quiet_pub, storm_list, quiet_list);
	ck_assert_msg(login_secs < 3.0, "a valid log-in with its device cookie took %.2fs",
	              login_secs);
	ck_assert_msg(busy > 0, "200 concurrent log-ins never filled the queue (no 503)");
	ck_assert_int_eq(noretry, 0);
	ck_assert_int_gt(answered, 0);
	ck_assert_int_eq(other, 0);
	ck_assert_int_eq(transport, 0);
	free(token);
	free(device);
	av_stop(&s);
}
END_TEST

/*
 * A storm from one address fills the whole log-in queue; a newcomer from
 * another address still gets its turn (the storm's newest job is answered
 * 503 instead) rather than a 503 of its own.
 */
START_TEST(test_login_queue_fair_share)
{
	static const char *const env[] = {"LOCKSTEP_HASH_THREADS=1",
	                                  "LOCKSTEP_LOGIN_QUEUE=4",
	                                  "LOCKSTEP_LOGIN_QUEUE_PER_ADDRESS=4",
	                                  "LOCKSTEP_LOGIN_MAX_ADDRESS_FAILURES=1000000",
	                                  "LOCKSTEP_LOGIN_MAX_FAILURES=1000",
	                                  NULL};
	struct ht_server s = {0};
	struct av_storm st[20];
	pthread_t th[20];
	int admitted = 0, busy = 0;

	av_start(&s, env);
	for (int i = 0; i < 20; i++) {
		/* every storm client from 127.0.0.40 (id multiple of 20) */
		st[i] = (struct av_storm){.port = s.port, .until = av_now() + 4.0, .id = i * 20};
		ck_assert_int_eq(pthread_create(&th[i], NULL, av_storm_thread, &st[i]), 0);
	}
	usleep(500000);
	for (int i = 0; i < 5; i++) {
		int code = av_login("127.0.0.77", s.port, "newcomer@storm.test", "x", "", NULL);

		ck_assert_msg(code == 401 || code == 503, "newcomer: %d", code);
		admitted += code == 401;
		busy += code == 503;
		usleep(200000);
	}
	for (int i = 0; i < 20; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "fair share: newcomer admitted %d of 5 (busy %d); storm busy %d\n",
	        admitted, busy, st[0].busy);
	ck_assert_msg(admitted >= 4, "a newcomer was shut out by one address: %d of 5 admitted",
	              admitted);
	av_stop(&s);
}
END_TEST

/*
 * Log-in failures are counted against the forwarded client only when a
 * trusted proxy says so. Addresses are random per run: throttling state
 * lives in the database, and the test may run again against the same one.
 */
START_TEST(test_trusted_proxy)
{
	char proxy[32], direct[32], crowd[32], fwd1[32], fwd2[32], trusted[96];
	const char *env[5];
	struct ht_server s = {0};
	int code, fds[8], r1, r2;
	char b[16], *h;

	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	r1 = 1 + rand() % 250;
	r2 = 1 + rand() % 250;
	snprintf(proxy, sizeof(proxy), "127.%d.%d.50", r1, r2);
	snprintf(direct, sizeof(direct), "127.%d.%d.51", r1, r2);
	snprintf(crowd, sizeof(crowd), "127.%d.%d.52", r1, r2);
	snprintf(fwd1, sizeof(fwd1), "198.51.%d.%d", r1, r2);
	snprintf(fwd2, sizeof(fwd2), "198.51.%d.%d", r2, r1 + 1);
	snprintf(trusted, sizeof(trusted), "LOCKSTEP_TRUSTED_PROXIES=%s/32, ::1", proxy);
	env[0] = trusted;
	env[1] = "LOCKSTEP_LOGIN_MAX_ADDRESS_FAILURES=3";
	env[2] = "LOCKSTEP_LOGIN_MAX_FAILURES=1000";
	env[3] = "LOCKSTEP_PER_IP_CONNECTIONS=4";
	env[4] = NULL;
	av_start(&s, env);

	/* through the proxy: two clients, counted apart */
	h = ht_fmt("X-Forwarded-For: %s, %s\r\n", fwd1, proxy);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(av_login(proxy, s.port, "a@proxy.test", "x", h, NULL), 401);
	free(h);
	h = ht_fmt("X-Forwarded-For: %s\r\n", fwd1);
	ck_assert_int_eq(av_login(proxy, s.port, "a@proxy.test", "x", h, NULL), 429);
	free(h);
	h = ht_fmt("X-Forwarded-For: %s\r\n", fwd2);
	ck_assert_int_eq(av_login(proxy, s.port, "a@proxy.test", "x", h, NULL), 401);
	free(h);
	h = ht_fmt("Forwarded: for=\"%s:4711\";proto=https\r\n", fwd1);
	ck_assert_int_eq(av_login(proxy, s.port, "a@proxy.test", "x", h, NULL), 429);
	free(h);
	/* from anybody else the header is ignored: a new forwarded address each time does not help
	 */
	for (int i = 0; i < 3; i++) {
		h = ht_fmt("X-Forwarded-For: 203.0.113.%d\r\n", i + 1);
		code = av_login(direct, s.port, "b@proxy.test", "x", h, NULL);
		free(h);
		ck_assert_int_eq(code, 401);
	}
	{
		/* the per-address throttle says when, in a header and in words */
		char *out = NULL, *ra;
		long secs;

		ck_assert_int_eq(av_login(direct, s.port, "b@proxy.test", "x",
		                          "X-Forwarded-For: 203.0.113.99\r\n", &out),
		                 429);
		ck_assert_ptr_nonnull(out);
		ra = ht_raw_header(out, "Retry-After");
		ck_assert_msg(ra != NULL, "a throttled log-in without Retry-After: %s", out);
		secs = strtol(ra, NULL, 10);
		ck_assert_msg(secs >= 1 && secs <= 900, "Retry-After %s", ra);
		ck_assert_msg(strstr(out, "from this network address; try again in ") != NULL,
		              "the detail does not say which throttle and when: %s", out);
		free(ra);
		free(out);
	}
	/* the proxy is exempt from the per-address connection limit (4) */
	for (int i = 0; i < 8; i++) {
		fds[i] = av_connect(proxy, s.port, 0);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert_int_eq(av_healthz_on(fds[7]), 200);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	/* ... and a direct client is not */
	for (int i = 0; i < 4; i++)
		fds[i] = av_connect(crowd, s.port, 0);
	usleep(200000);
	{
		int extra = av_connect(crowd, s.port, 0);

		ck_assert_int_ge(extra, 0);
		ck_assert_msg(recv(extra, b, sizeof(b), 0) <= 0, "5th direct connection was kept");
		close(extra);
	}
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	av_stop(&s);
}
END_TEST

/* Device cookies: only the server's own, unaltered and unexpired, are accepted. */
START_TEST(test_device_cookie)
{
	unsigned char k1[32] = {1}, k2[32] = {2};
	const char *uuid = "6f1c2b9e-3d4a-4b5c-8d6e-7f8091a2b3c4";
	char cookie[512], value[256], got[40], bad[300];
	size_t n;

	api_device_init(k1);
	ck_assert_int_eq(api_device_cookie(uuid, cookie, sizeof(cookie)), 0);
	ck_assert_msg(strstr(cookie, "HttpOnly") && strstr(cookie, "SameSite=Strict") &&
	                  strstr(cookie, "Path=/api/v1/session"),
	              "attributes: %s", cookie);
	ck_assert_int_eq(strncmp(cookie, DEVICE_COOKIE "=", strlen(DEVICE_COOKIE) + 1), 0);
	n = strcspn(cookie + strlen(DEVICE_COOKIE) + 1, ";");
	ck_assert_uint_lt(n, sizeof(value));
	memcpy(value, cookie + strlen(DEVICE_COOKIE) + 1, n);
	value[n] = '\0';
	ck_assert_int_eq(api_device_check(value, got), 0);
	ck_assert_str_eq(got, uuid);
	/* any altered byte */
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, value, n + 1);
		bad[i] = bad[i] == 'a' ? 'b' : 'a';
		if (strcmp(bad, value) != 0)
			ck_assert_msg(api_device_check(bad, got) != 0, "altered at %zu accepted",
			              i);
	}
	/* truncated, extended, empty, garbage */
	memcpy(bad, value, n + 1);
	bad[n - 1] = '\0';
	ck_assert_int_ne(api_device_check(bad, got), 0);
	snprintf(bad, sizeof(bad), "%sA", value);
	ck_assert_int_ne(api_device_check(bad, got), 0);
	ck_assert_int_ne(api_device_check("", got), 0);
	ck_assert_int_ne(api_device_check("..", got), 0);
	ck_assert_int_ne(api_device_check(NULL, got), 0);
	/* expired (expiry 1, signed or not) */
	snprintf(bad, sizeof(bad), "%s.1.%s", uuid, strrchr(value, '.') + 1);
	ck_assert_int_ne(api_device_check(bad, got), 0);
	/* another deployment's key */
	api_device_init(k2);
	ck_assert_int_ne(api_device_check(value, got), 0);
	api_device_init(k1);
	ck_assert_int_eq(api_device_check(value, got), 0);
}
END_TEST

/*
 * Hostile device cookies on a log-in (shared server): oversized, garbage,
 * another deployment's shape: the log-in is answered as without them.
 */
/* A log-in to an unknown account with this device cookie value: must be answered as without it. */
static void
av_login_with_device(const char *value)
{
	/* a new unknown address each time: the per-account throttle stays out of it */
	char *email = ht_unique("cookie");
	char *body = ht_fmt("{\"email\":\"%s@cookie.test\",\"password\":\"wrong\"}", email);
	char *req = ht_fmt("POST /api/v1/session HTTP/1.1\r\nHost: %s\r\nContent-Type: "
	                   "application/json\r\nCookie: lockstep_device=%s\r\nContent-Length: "
	                   "%zu\r\nConnection: close\r\n\r\n%s",
	                   ht_hostport(), value, strlen(body), body);
	char *raw = ht_raw(req, strlen(req));

	ck_assert_ptr_nonnull(raw);
	ck_assert_msg(ht_raw_is_problem(raw, 401, "bad-credentials") ||
	                  ht_raw_is_problem(raw, 503, "busy"),
	              "device cookie %.40s: %.300s", value, raw);
	free(raw);
	free(req);
	free(body);
	free(email);
}

/* Hostile device cookies on a log-in (shared server): oversized, garbage, look-alikes, expired. */
START_TEST(test_device_cookie_bad_input)
{
	static const char *const values[] = {"",
	                                     "garbage",
	                                     "..",
	                                     "a.b.c",
	                                     "00000000-0000-4000-8000-000000000000.1.AAAA",
	                                     "00000000-0000-4000-8000-000000000000.99999999999.",
	                                     "\xd0\x90"
	                                     "cmecorp.1.x"};
	char big[6000];

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	av_login_with_device(big);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		av_login_with_device(values[i]);
}
END_TEST

/* ------------------------------------------------------- strict framing */

struct av_framing_case {
	const char *name;
	const char *bytes;
	int status;
	const char *slug; /* NULL: any body (libmicrohttpd's own answer) */
};

static const struct av_framing_case av_framing_cases[] = {
    {"space before colon",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nContent-Length : 60\r\n\r\n",
     400, "bad-header"},
    {"tab before colon", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A\t: 1\r\n\r\n", 400, "bad-header"},
    {"folded Content-Length",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nContent-Length:\r\n 2\r\n\r\n{}",
     400, "bad-header"},
    {"folded other header", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n\t2\r\n\r\n", 400,
     "bad-header"},
    {"folded Transfer-Encoding",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nContent-Length: 2\r\nTransfer-Encoding:"
     "\r\n chunked\r\n\r\n{}",
     400, "bad-header"},
    {"spaced Transfer-Encoding",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nContent-Length: 2\r\nTransfer-Encoding "
     ": chunked\r\n\r\n{}",
     400, "bad-header"},
    {"bare LF in the head", "GET /healthz HTTP/1.1\r\nHost: t\nX-A: 1\r\n\r\n", 400, "bad-header"},
    {"bare LF after the request line", "GET /healthz HTTP/1.1\nHost: t\r\n\r\n", 400, "bad-header"},
    {"bare LF ends the head", "GET /healthz HTTP/1.1\r\nHost: t\r\n\n", 400, "bad-header"},
    {"bare CR in a value", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: 1\r2\r\n\r\n", 400,
     "bad-header"},
    {"control character in a value", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: 1\x01\r\n\r\n", 400,
     "bad-header"},
    {"Transfer-Encoding xchunked",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nTransfer-Encoding: xchunked\r\n\r\n",
     400, "ambiguous-framing"},
    {"Transfer-Encoding gzip, chunked",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
     "Transfer-Encoding: gzip, chunked\r\n\r\n",
     400, "ambiguous-framing"},
    {"Content-Length with Transfer-Encoding",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
     "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "ambiguous-framing"},
    {"two Content-Length",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
     400, "ambiguous-framing"},
    {"%00 in the path", "GET /p/x%00junk HTTP/1.1\r\nHost: t\r\n\r\n", 400, "bad-path"},
    {"%00 at the end of the path", "GET /healthz%00 HTTP/1.1\r\nHost: t\r\n\r\n", 400, "bad-path"},
    {"invalid escape in the path", "GET /p/x%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400, "bad-path"},
    {"truncated escape in the path", "GET /p/x% HTTP/1.1\r\nHost: t\r\n\r\n", 400, "bad-path"},
    {"%00 in the query", "GET /api/v1/publications?x=%00 HTTP/1.1\r\nHost: t\r\n\r\n", 400,
     "bad-query"},
    {"invalid escape in the query", "GET /api/v1/publications?x=%g1 HTTP/1.1\r\nHost: t\r\n\r\n",
     400, "bad-query"},
    {"no Host (answered by libmicrohttpd)", "GET /healthz HTTP/1.1\r\n\r\n", 400, NULL},
    /* controls: well-formed requests pass */
    {"plain request", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-A:\r\n\r\n", 200, NULL},
    {"valid escapes", "GET /health%7a HTTP/1.1\r\nHost: t\r\n\r\n", 200, NULL},
    {"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", 200, NULL},
    {"chunked body",
     "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
     "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     "2\r\n{}\r\n0\r\n\r\n",
     422, "invalid-field"},
};

START_TEST(test_strict_framing)
{
	const struct av_framing_case *c = &av_framing_cases[_i];
	char *raw = ht_raw(c->bytes, strlen(c->bytes));

	ck_assert_msg(raw != NULL, "%s: cannot connect", c->name);
	if (c->slug != NULL)
		ck_assert_msg(ht_raw_is_problem(raw, c->status, c->slug),
		              "%s: expected %d %s, got: %.300s", c->name, c->status, c->slug, raw);
	else
		ck_assert_msg(ht_raw_status(raw) == c->status, "%s: expected %d, got: %.300s",
		              c->name, c->status, raw);
	free(raw);
}
END_TEST

/* --------------------------------------------------------------- nginx */

static const char *
av_nginx_bin(void)
{
	static const char *const paths[] = {"/usr/sbin/nginx", "/usr/bin/nginx", NULL};

	for (int i = 0; paths[i] != NULL; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/*
 * deploy/nginx/lockstep.conf as the site of a private nginx: the same
 * limits, timeouts, buffering and locations, with the test's ports, no
 * TLS (the test speaks plain HTTP to it) and no redirect server.
 * Returns the nginx prefix directory (malloc'd).
 */
static char *
av_nginx_config(int nginx_port, int upstream_port)
{
	const char *state = ht_env("LOCKSTEP_TEST_STATE_DIR");
	char *dir = ht_fmt("%s/nginx-%d", state ? state : "/tmp", nginx_port);
	char *site = ht_fmt("%s/site.conf", dir);
	char *main_conf = ht_fmt("%s/nginx.conf", dir);
	const char *srcdir = ht_env("srcdir") ? ht_env("srcdir") : ".";
	char *cmd;
	FILE *f;
	int rc;

	cmd = ht_fmt("mkdir -p '%s/logs' '%s/tmp' && chmod 0777 '%s/tmp' && "
	             "sed -e '/# --- TLS: begin/,/# --- TLS: end/d' "
	             "-e 's/127\\.0\\.0\\.1:8080/127.0.0.1:%d/' "
	             "-e 's/^    server_name .*/    listen 127.0.0.1:%d;/' "
	             "'%s/deploy/nginx/lockstep.conf' > '%s'",
	             dir, dir, dir, upstream_port, nginx_port, srcdir, site);
	rc = system(cmd);
	free(cmd);
	ck_assert_int_eq(rc, 0);
	f = fopen(main_conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	        "daemon off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log "
	        "warn;\nevents { worker_connections 4096; }\nhttp {\n"
	        "  access_log off;\n  client_body_temp_path %s/tmp/body;\n"
	        "  proxy_temp_path %s/tmp/proxy;\n  fastcgi_temp_path %s/tmp/fcgi;\n"
	        "  uwsgi_temp_path %s/tmp/uwsgi;\n  scgi_temp_path %s/tmp/scgi;\n"
	        "  include %s;\n}\n",
	        dir, dir, dir, dir, dir, dir, dir, site);
	fclose(f);
	free(site);
	free(main_conf);
	return dir;
}

/*
 * 150 slow bodies (one byte every 0.5 s of a declared 4000) to nginx from
 * 15 addresses: nginx buffers them (and its limit_conn caps each
 * address), lockstepd never sees them, and a normal client through nginx
 * is served every time.
 */
START_TEST(test_slow_clients_behind_nginx)
{
	static const char *const env[] = {"LOCKSTEP_TRUSTED_PROXIES=127.0.0.1",
	                                  "LOCKSTEP_THREADS=2", NULL};
	const char *nginx = av_nginx_bin();
	struct ht_server s = {0};
	struct av_attack a = {0};
	char *dir, *conf;
	int nport, asked, failed;
	pid_t np;

	/* deploy/local installs nginx-light; without it the test is skipped,
	 * and a skip fails a CI run */
	if (nginx == NULL)
		ht_skip("nginx is not installed (apt-get install nginx-light)");
	av_raise_nofile();
	av_start(&s, env);
	nport = ht_free_port();
	dir = av_nginx_config(nport, s.port);
	conf = ht_fmt("%s/nginx.conf", dir);
	np = fork();
	ck_assert_int_ge(np, 0);
	if (np == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(nginx, "nginx", "-p", dir, "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && av_get(NULL, nport, "/healthz", NULL, NULL) != 200; i++)
		usleep(100000);
	ck_assert_msg(av_get(NULL, nport, "/healthz", NULL, NULL) == 200,
	              "nginx on %d does not proxy to lockstepd (see %s/logs/error.log)", nport,
	              dir);
	av_attack_init(&a, nport, "/api/v1/session", 0, 150, 60, 10);
	failed = av_serve_during(&a, nport, "/api/v1/publications", 8.0, &asked);
	kill(np, SIGTERM);
	waitpid(np, NULL, 0);
	ck_assert_msg(failed == 0, "%d of %d normal requests through nginx failed", failed, asked);
	av_attack_free(&a);
	av_stop(&s);
	free(conf);
	free(dir);
}
END_TEST

static Suite *
availability_suite(void)
{
	Suite *s = suite_create("availability");
	TCase *tc = tcase_create("availability");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_strict_framing, 0,
	                    (int)(sizeof(av_framing_cases) / sizeof(av_framing_cases[0])));
	tcase_add_test(tc, test_device_cookie);
	tcase_add_test(tc, test_device_cookie_bad_input);
	tcase_add_test(tc, test_per_address_limit);
	tcase_add_test(tc, test_slow_link_survives);
	tcase_add_test(tc, test_trusted_proxy);
	tcase_add_test(tc, test_slow_clients);
	tcase_add_test(tc, test_login_storm);
	tcase_add_test(tc, test_login_queue_fair_share);
	tcase_add_test(tc, test_slow_clients_behind_nginx);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	ht_init_or_skip();
	return ht_run_suite(availability_suite());
}

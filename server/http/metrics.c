/* http/metrics.c: request counters, latency histogram, database gauge. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/conntrack.h"
#include "http/linger.h"
#include "http/defer.h"
#include "http/metrics.h"

#define METRICS_MAX_ROUTES 96

static const unsigned metrics_codes[] = {
    200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 409,
    413, 414, 415, 416, 422, 429, 431, 500, 503, 0 /* other */
};
#define METRICS_NCODES (sizeof(metrics_codes) / sizeof(metrics_codes[0]))

static const double metrics_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,     10};
#define METRICS_NBOUNDS (sizeof(metrics_bounds) / sizeof(metrics_bounds[0]))

static int (*metrics_db_gauge)(void);
static char *(*metrics_sources[8])(void);
static const struct router_route *metrics_routes;
static int metrics_nroutes;
static unsigned long metrics_count[METRICS_MAX_ROUTES + 1][METRICS_NCODES];
static unsigned long metrics_buckets[METRICS_NBOUNDS + 1];
static unsigned long metrics_total;
static unsigned long metrics_sum_us;

void
metrics_init(const struct router_route *routes)
{
	metrics_routes = routes;
	metrics_nroutes = 0;
	while (routes[metrics_nroutes].method != NULL && metrics_nroutes < METRICS_MAX_ROUTES)
		metrics_nroutes++;
}

void
metrics_set_db_gauge(int (*fn)(void))
{
	metrics_db_gauge = fn;
}

void
metrics_add_source(char *(*render)(void))
{
	for (size_t i = 0; i < sizeof(metrics_sources) / sizeof(metrics_sources[0]); i++)
		if (metrics_sources[i] == NULL || metrics_sources[i] == render) {
			metrics_sources[i] = render;
			return;
		}
}

void
metrics_observe(int route_index, unsigned status, double seconds)
{
	size_t code = METRICS_NCODES - 1;
	size_t b = METRICS_NBOUNDS;
	int row =
	    (route_index >= 0 && route_index < metrics_nroutes) ? route_index : metrics_nroutes;

	for (size_t i = 0; i + 1 < METRICS_NCODES; i++)
		if (metrics_codes[i] == status) {
			code = i;
			break;
		}
	for (size_t i = 0; i < METRICS_NBOUNDS; i++)
		if (seconds <= metrics_bounds[i]) {
			b = i;
			break;
		}
	__atomic_add_fetch(&metrics_count[row][code], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&metrics_buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&metrics_total, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&metrics_sum_us, (unsigned long)(seconds * 1e6), __ATOMIC_RELAXED);
}

struct metrics_buf {
	char *s;
	size_t len, cap;
	int failed;
};

static void __attribute__((format(printf, 2, 3)))
metrics_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *ns = realloc(b->s, b->cap * 2 + (size_t)n);
		if (ns == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

char *
metrics_render(void)
{
	struct metrics_buf b = {.s = malloc(8192), .cap = 8192};
	unsigned long cum = 0;

	if (b.s == NULL)
		return NULL;
	b.s[0] = '\0';
	metrics_printf(&b,
	               "# HELP lockstep_http_requests_total HTTP requests by route and status.\n"
	               "# TYPE lockstep_http_requests_total counter\n");
	for (int r = 0; r <= metrics_nroutes; r++)
		for (size_t c = 0; c < METRICS_NCODES; c++) {
			unsigned long v = __atomic_load_n(&metrics_count[r][c], __ATOMIC_RELAXED);
			char code[16];

			if (v == 0)
				continue;
			if (metrics_codes[c])
				snprintf(code, sizeof(code), "%u", metrics_codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			metrics_printf(
			    &b,
			    "lockstep_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"}"
			    " %lu\n",
			    r < metrics_nroutes ? metrics_routes[r].method : "",
			    r < metrics_nroutes ? metrics_routes[r].pattern : "unmatched", code, v);
		}
	metrics_printf(&b, "# HELP lockstep_http_request_duration_seconds Request latency.\n"
	                   "# TYPE lockstep_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= METRICS_NBOUNDS; i++) {
		cum += __atomic_load_n(&metrics_buckets[i], __ATOMIC_RELAXED);
		if (i < METRICS_NBOUNDS)
			metrics_printf(
			    &b, "lockstep_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
			    metrics_bounds[i], cum);
		else
			metrics_printf(
			    &b, "lockstep_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
			    cum);
	}
	metrics_printf(&b, "lockstep_http_request_duration_seconds_sum %.6f\n",
	               (double)__atomic_load_n(&metrics_sum_us, __ATOMIC_RELAXED) / 1e6);
	metrics_printf(&b, "lockstep_http_request_duration_seconds_count %lu\n",
	               __atomic_load_n(&metrics_total, __ATOMIC_RELAXED));
	metrics_printf(
	    &b,
	    "# HELP lockstep_db_connections Open database connections (one per worker thread).\n"
	    "# TYPE lockstep_db_connections gauge\n"
	    "lockstep_db_connections %d\n",
	    metrics_db_gauge != NULL ? metrics_db_gauge() : 0);
	{
		uint64_t head, slow, refused;

		conntrack_counts(&head, &slow, &refused);
		metrics_printf(
		    &b,
		    "# HELP lockstep_connections_closed_total Connections closed by a "
		    "deadline or refused by the per-address limit.\n"
		    "# TYPE lockstep_connections_closed_total counter\n"
		    "lockstep_connections_closed_total{reason=\"head_timeout\"} %llu\n"
		    "lockstep_connections_closed_total{reason=\"body_too_slow\"} %llu\n"
		    "lockstep_connections_closed_total{reason=\"per_address_limit\"} %llu\n",
		    (unsigned long long)head, (unsigned long long)slow,
		    (unsigned long long)refused);
		metrics_printf(&b,
		               "# HELP lockstep_lingering_connections Sockets of refused requests "
		               "whose body is being read and thrown away.\n"
		               "# TYPE lockstep_lingering_connections gauge\n"
		               "lockstep_lingering_connections %u\n"
		               "# HELP lockstep_lingering_connections_total Refused requests whose "
		               "socket lingered.\n"
		               "# TYPE lockstep_lingering_connections_total counter\n"
		               "lockstep_lingering_connections_total %lu\n",
		               linger_active(), linger_total());
		metrics_printf(&b,
		               "# HELP lockstep_login_busy_total Log-ins answered 503 because the "
		               "hash queue was full.\n"
		               "# TYPE lockstep_login_busy_total counter\n"
		               "lockstep_login_busy_total %llu\n",
		               (unsigned long long)defer_refused());
	}
	for (size_t i = 0; i < sizeof(metrics_sources) / sizeof(metrics_sources[0]); i++) {
		char *text = metrics_sources[i] != NULL ? metrics_sources[i]() : NULL;

		if (text != NULL)
			metrics_printf(&b, "%s", text);
		free(text);
	}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

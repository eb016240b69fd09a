/*
 * metrics: counters for GET /metrics (Prometheus text format).
 * Lock-free (atomics); safe from any thread.
 */
#ifndef LOCKSTEP_METRICS_H
#define LOCKSTEP_METRICS_H

#include <stddef.h>

#include "http/router.h"

/* Register the route table whose rows are counted. Call once. */
void metrics_init(const struct router_route *routes);

/*
 * The gauge lockstep_db_connections reads: set once at start-up by api/
 * (db_open_connections), so that http/ does not include db/. NULL: 0.
 */
void metrics_set_db_gauge(int (*fn)(void));

/*
 * Add a source of further metrics (at most 8): render returns a malloc'd
 * block in the text format, or NULL. So db/ and publish/ report their own
 * counters without http/ including them.
 */
void metrics_add_source(char *(*render)(void));

/* Record one finished request. route_index -1: unmatched. */
void metrics_observe(int route_index, unsigned status, double seconds);

/*
 * Render every metric. Returns a malloc'd NUL-terminated string (caller
 * frees) or NULL on allocation failure.
 */
char *metrics_render(void);

#endif

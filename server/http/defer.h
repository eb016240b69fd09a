/*
 * defer: the offload pool of server/http/ (see defer.c). Handlers use
 * http_defer (request.h); the daemon starts and stops the pool.
 */
#ifndef LOCKSTEP_DEFER_H
#define LOCKSTEP_DEFER_H

#include <stdint.h>

/*
 * Start threads pool threads; at most queue_max jobs in all and
 * per_address per client address may wait or run, and a job that waited
 * more than max_wait_ms is answered 503 instead of run. Returns 0 or -1.
 */
int defer_start(unsigned threads, unsigned queue_max, unsigned per_address, unsigned max_wait_ms);

/*
 * Stop the pool: running jobs finish, waiting ones are cancelled (their
 * requests resume and are answered 503). Call before the daemon stops.
 */
void defer_stop(void);

/* Requests refused because the queue was full, since start. */
uint64_t defer_refused(void);

#endif

/*
 * http/defer.c: the offload pool. Work too slow for an HTTP worker thread
 * (a password hash: tens of milliseconds of CPU and 32 MiB of memory)
 * runs on threads of its own while its connection waits suspended, so
 * every other request keeps its latency during a log-in storm.
 *
 * Queueing: jobs wait in one queue per client address, and the pool takes
 * them from the addresses in turn (round robin), so one address, or a
 * few, cannot fill the pool ahead of everybody else. At most
 * per_address jobs per address and queue_max jobs in all may wait or
 * run; past either bound the request is refused at once with 503 and
 * Retry-After, except that an address with no job in a full queue takes
 * the place of the newest job of the address with most waiting (which is
 * answered 503), so that a new client is never shut out by a few busy
 * addresses. A job that waited longer than max_wait (the machine is
 * slower than the queue's size assumed) is not run: its request gets the
 * same 503, so no log-in waits without bound. The pool has half as many
 * threads as there are CPUs (LOCKSTEP_HASH_THREADS), so that hashing can
 * never take every CPU from the HTTP workers. (A lower scheduling priority
 * for the pool was tried and dropped: under a flood it starved the hashes
 * of the very log-ins the priority lane is for.)
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/defer.h"
#include "http/http.h"
#include "util/log.h"

#define DEFER_MAX_THREADS 64

struct defer_job {
	struct defer_job *next;
	struct timespec queued;
	struct http_request *r;
	http_work_fn work;
	void *arg;
	struct defer_addrq *q;
};

/* The jobs of one client address (or priority key); exists while it has jobs waiting or running. */
struct defer_addrq {
	char addr[64];
	int prio;                      /* in the priority lane */
	struct defer_job *head, *tail; /* waiting */
	unsigned waiting, count;       /* count: waiting + running */
	int in_turn;                   /* in the round-robin list */
	struct defer_addrq *next_turn;
	struct defer_addrq *next_all;
};

static pthread_mutex_t df_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t df_cond = PTHREAD_COND_INITIALIZER;
static struct defer_addrq *df_all;                      /* every live addrq */
static struct defer_addrq *df_turn_head, *df_turn_tail; /* addresses with waiting jobs */
static struct defer_addrq *df_prio_head, *df_prio_tail; /* priority keys with waiting jobs */
static unsigned df_total;                               /* waiting + running */
static unsigned df_prio_total;                          /* the same, priority lane */
static unsigned df_queue_max = 8, df_per_address = 2;
#define DEFER_PRIO_MAX 16
static unsigned df_max_wait_ms = 5000;
static pthread_t df_threads[DEFER_MAX_THREADS];
static unsigned df_n_threads;
static int df_stopping;
static uint64_t df_refused;

static void defer_addrq_put(struct defer_addrq *q);

static void
defer_turn_push(struct defer_addrq *q)
{
	struct defer_addrq **head = q->prio ? &df_prio_head : &df_turn_head;
	struct defer_addrq **tail = q->prio ? &df_prio_tail : &df_turn_tail;

	q->next_turn = NULL;
	q->in_turn = 1;
	if (*tail != NULL)
		(*tail)->next_turn = q;
	else
		*head = q;
	*tail = q;
}

/* The next address with waiting jobs: the priority lane first. */
static struct defer_addrq *
defer_turn_pop(void)
{
	struct defer_addrq **head = df_prio_head ? &df_prio_head : &df_turn_head;
	struct defer_addrq **tail = df_prio_head ? &df_prio_tail : &df_turn_tail;
	struct defer_addrq *q = *head;

	if (q == NULL)
		return NULL;
	*head = q->next_turn;
	if (*head == NULL)
		*tail = NULL;
	q->in_turn = 0;
	return q;
}

/* Count a job out of its queue. Under df_lock. */
static void
defer_job_gone(struct defer_job *j)
{
	j->q->count--;
	if (j->q->prio)
		df_prio_total--;
	else
		df_total--;
	defer_addrq_put(j->q);
}

/* Free q once it has no job. Under df_lock. */
static void
defer_addrq_put(struct defer_addrq *q)
{
	struct defer_addrq **pp;

	if (q->count > 0 || q->in_turn)
		return;
	for (pp = &df_all; *pp != NULL; pp = &(*pp)->next_all)
		if (*pp == q) {
			*pp = q->next_all;
			free(q);
			return;
		}
}

/* Take the next waiting job, round robin over addresses. Under df_lock. */
static struct defer_job *
defer_next(void)
{
	struct defer_addrq *q = defer_turn_pop();
	struct defer_job *j;

	if (q == NULL)
		return NULL;
	j = q->head;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->waiting--;
	if (q->waiting > 0)
		defer_turn_push(q);
	return j;
}

static void
defer_wake(struct http_request *r, int state)
{
	__atomic_store_n(&r->defer_state, state, __ATOMIC_RELEASE);
	MHD_resume_connection((struct MHD_Connection *)r->conn);
}

static void *
defer_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&df_lock);
	for (;;) {
		struct defer_job *j;
		struct timespec now;
		long waited_ms;

		while (!df_stopping && df_turn_head == NULL && df_prio_head == NULL)
			pthread_cond_wait(&df_cond, &df_lock);
		if (df_stopping)
			break;
		j = defer_next();
		pthread_mutex_unlock(&df_lock);
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited_ms = (now.tv_sec - j->queued.tv_sec) * 1000 +
		            (now.tv_nsec - j->queued.tv_nsec) / 1000000;
		/* r may be freed as soon as it is resumed: not touched after */
		if (waited_ms > (long)df_max_wait_ms)
			defer_wake(j->r, HTTP_DEFER_EXPIRED);
		else {
			j->work(j->arg);
			defer_wake(j->r, HTTP_DEFER_DONE);
		}
		pthread_mutex_lock(&df_lock);
		if (waited_ms > (long)df_max_wait_ms)
			df_refused++;
		defer_job_gone(j);
		free(j);
	}
	pthread_mutex_unlock(&df_lock);
	return NULL;
}

int
defer_start(unsigned threads, unsigned queue_max, unsigned per_address, unsigned max_wait_ms)
{
	if (threads < 1)
		threads = 1;
	if (threads > DEFER_MAX_THREADS)
		threads = DEFER_MAX_THREADS;
	df_queue_max = queue_max;
	df_per_address = per_address;
	df_max_wait_ms = max_wait_ms;
	df_stopping = 0;
	for (df_n_threads = 0; df_n_threads < threads; df_n_threads++)
		if (pthread_create(&df_threads[df_n_threads], NULL, defer_thread, NULL) != 0) {
			defer_stop();
			return -1;
		}
	return 0;
}

void
defer_stop(void)
{
	struct defer_job *j;

	pthread_mutex_lock(&df_lock);
	df_stopping = 1;
	pthread_cond_broadcast(&df_cond);
	pthread_mutex_unlock(&df_lock);
	for (unsigned i = 0; i < df_n_threads; i++)
		pthread_join(df_threads[i], NULL);
	df_n_threads = 0;
	/* jobs that never ran: their requests are answered 503 */
	pthread_mutex_lock(&df_lock);
	while ((j = defer_next()) != NULL) {
		defer_job_gone(j);
		defer_wake(j->r, HTTP_DEFER_CANCELLED);
		free(j);
	}
	pthread_mutex_unlock(&df_lock);
}

uint64_t
defer_refused(void)
{
	uint64_t n;

	pthread_mutex_lock(&df_lock);
	n = df_refused;
	pthread_mutex_unlock(&df_lock);
	return n;
}

/*
 * Fair share of a full queue: the address with the most jobs waiting, if
 * it has at least two. Under df_lock.
 */
static struct defer_addrq *
defer_victim(void)
{
	struct defer_addrq *v = NULL;

	for (struct defer_addrq *q = df_all; q != NULL; q = q->next_all)
		if (!q->prio && q->waiting >= 2 && (v == NULL || q->waiting > v->waiting))
			v = q;
	return v;
}

/*
 * Make room in a full queue for an address that has no job in it: the
 * newest waiting job of the address with most waiting is answered 503
 * (busy, Retry-After) instead. So a storm from a few addresses cannot
 * keep everybody else out; each address keeps at least one job in line.
 * Under df_lock.
 */
static void
defer_make_room(void)
{
	struct defer_addrq *v = defer_victim();
	struct defer_job *j, *prev = NULL;

	if (v == NULL)
		return;
	for (j = v->head; j->next != NULL; j = j->next)
		prev = j;
	if (prev != NULL)
		prev->next = NULL;
	else
		v->head = NULL;
	v->tail = prev;
	v->waiting--; /* still at least one: v stays in its turn */
	df_refused++;
	defer_wake(j->r, HTTP_DEFER_EXPIRED);
	defer_job_gone(j);
	free(j);
}

/*
 * The admission rule, in one place: 1 if a job for q's key (q NULL:
 * none yet) in lane prio must be refused now. Under df_lock.
 */
static int
defer_refuses(const struct defer_addrq *q, int prio)
{
	if (df_stopping || df_n_threads == 0)
		return 1;
	if (prio)
		return df_prio_total >= DEFER_PRIO_MAX || (q != NULL && q->count >= 1);
	return df_total >= df_queue_max || (q != NULL && q->count >= df_per_address);
}

/* 1 if the full shared queue should make room for q's key (no job of its own yet). Under df_lock.
 */
static int
defer_room_for(const struct defer_addrq *q, int prio)
{
	return !prio && !df_stopping && df_total >= df_queue_max && (q == NULL || q->count == 0) &&
	       defer_victim() != NULL;
}

static int
defer_enqueue(struct http_request *r, const char *key, int prio, http_work_fn work,
              http_resume_fn resume, void *arg, void (*free_arg)(void *))
{
	static const char *const retry[] = {"Retry-After", "1", NULL};
	struct defer_addrq *q;
	struct defer_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		goto refuse_fatal;
	pthread_mutex_lock(&df_lock);
	for (q = df_all; q != NULL; q = q->next_all)
		if (q->prio == prio && strcmp(q->addr, key) == 0)
			break;
	if (defer_room_for(q, prio))
		defer_make_room();
	if (defer_refuses(q, prio)) {
		df_refused++;
		pthread_mutex_unlock(&df_lock);
		free(j);
		if (free_arg != NULL)
			free_arg(arg);
		return http_reply_problem_headers(r, PROBLEM_BUSY, NULL, retry);
	}
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL) {
			pthread_mutex_unlock(&df_lock);
			free(j);
			goto refuse_fatal;
		}
		snprintf(q->addr, sizeof(q->addr), "%s", key);
		q->prio = prio;
		q->next_all = df_all;
		df_all = q;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->queued);
	j->r = r;
	j->work = work;
	j->arg = arg;
	j->q = q;
	r->defer_resume = resume;
	r->defer_arg = arg;
	r->defer_free = free_arg;
	r->defer_state = HTTP_DEFER_WAITING;
	/* suspended before any pool thread can see the job, so that its
	 * resume never comes first */
	MHD_suspend_connection((struct MHD_Connection *)r->conn);
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->waiting++;
	q->count++;
	if (prio)
		df_prio_total++;
	else
		df_total++;
	if (!q->in_turn)
		defer_turn_push(q);
	pthread_cond_signal(&df_cond);
	pthread_mutex_unlock(&df_lock);
	return HTTP_DEFERRED;

refuse_fatal:
	if (free_arg != NULL)
		free_arg(arg);
	return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
}

int
http_defer_full(const struct http_request *r)
{
	struct defer_addrq *q;
	int full;

	pthread_mutex_lock(&df_lock);
	for (q = df_all; q != NULL; q = q->next_all)
		if (!q->prio && strcmp(q->addr, r->addr) == 0)
			break;
	/* as defer_enqueue decides: room made for a newcomer frees one place */
	full = defer_room_for(q, 0) ? df_n_threads == 0 : defer_refuses(q, 0);
	if (full)
		df_refused++;
	pthread_mutex_unlock(&df_lock);
	return full;
}

int
http_defer(struct http_request *r, http_work_fn work, http_resume_fn resume, void *arg,
           void (*free_arg)(void *))
{
	return defer_enqueue(r, r->addr, 0, work, resume, arg, free_arg);
}

int
http_defer_priority(struct http_request *r, const char *key, http_work_fn work,
                    http_resume_fn resume, void *arg, void (*free_arg)(void *))
{
	return defer_enqueue(r, key, 1, work, resume, arg, free_arg);
}

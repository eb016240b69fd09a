/* http/conntrack.c: connection deadlines and per-address counts. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/conntrack.h"
#include "http/linger.h"
#include "util/log.h"

#define CONNTRACK_BUCKETS 4096
#define CONNTRACK_TICK_MS 200

struct conntrack_slot {
	struct peer_addr addr;
	unsigned conns; /* direct connections */
	unsigned reqs;  /* forwarded requests in flight */
	struct conntrack_slot *next;
};

struct conntrack_conn {
	struct conntrack_conn *prev, *next;
	int fd;
	int trusted;
	int shut;
	int linger; /* hand the socket to linger.c at the close */
	struct conntrack_slot *slot; /* NULL for trusted proxies */
	char text[PEER_TEXT_MAX];
	/* written by the connection's thread, read by the reaper */
	int phase;
	int64_t since_ms;
	int64_t window_start_ms;
	uint64_t window_bytes;
};

static struct conntrack_limits ct_lim;
static struct peer_net ct_trusted[PEER_MAX_NETS];
static size_t ct_n_trusted;

static pthread_mutex_t ct_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ct_cond = PTHREAD_COND_INITIALIZER;
static struct conntrack_conn *ct_head;
static struct conntrack_slot *ct_buckets[CONNTRACK_BUCKETS];
static pthread_t ct_thread;
static int ct_running, ct_stopping;
static uint64_t ct_head_timeouts, ct_too_slow, ct_refused;

static int64_t
conntrack_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum conntrack_verdict
conntrack_judge(const struct conntrack_limits *lim, int phase, int64_t since_ms,
                int64_t window_start_ms, uint64_t window_bytes, int64_t now_ms)
{
	switch (phase) {
	case CONNTRACK_HEAD:
		if (lim->head_timeout_ms > 0 && now_ms - since_ms >= lim->head_timeout_ms)
			return CONNTRACK_HEAD_TIMEOUT;
		return CONNTRACK_KEEP;
	case CONNTRACK_BODY:
		if (lim->min_rate == 0 || now_ms - window_start_ms < lim->rate_window_ms)
			return CONNTRACK_KEEP;
		if (window_bytes * 1000 < lim->min_rate * (uint64_t)(now_ms - window_start_ms))
			return CONNTRACK_TOO_SLOW;
		return CONNTRACK_NEW_WINDOW;
	default:
		return CONNTRACK_KEEP;
	}
}

void
conntrack_init(const struct conntrack_limits *lim, const struct peer_net *trusted, size_t n)
{
	ct_lim = *lim;
	if (ct_lim.rate_window_ms <= 0)
		ct_lim.rate_window_ms = 10000;
	if (n > PEER_MAX_NETS)
		n = PEER_MAX_NETS;
	memcpy(ct_trusted, trusted, n * sizeof(*trusted));
	ct_n_trusted = n;
}

static unsigned
conntrack_hash(const struct peer_addr *a)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h % CONNTRACK_BUCKETS;
}

/* The slot of a; created when missing. NULL when out of memory. Under ct_lock. */
static struct conntrack_slot *
conntrack_slot_get(const struct peer_addr *a)
{
	unsigned h = conntrack_hash(a);
	struct conntrack_slot *s;

	for (s = ct_buckets[h]; s != NULL; s = s->next)
		if (memcmp(&s->addr, a, sizeof(*a)) == 0)
			return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->addr = *a;
	s->next = ct_buckets[h];
	ct_buckets[h] = s;
	return s;
}

/* Free s when nothing counts on it any more. Under ct_lock. */
static void
conntrack_slot_put(struct conntrack_slot *s)
{
	struct conntrack_slot **pp;

	if (s->conns > 0 || s->reqs > 0)
		return;
	for (pp = &ct_buckets[conntrack_hash(&s->addr)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			free(s);
			return;
		}
}

static int
conntrack_sockaddr(const struct sockaddr *sa, struct peer_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		out->b[10] = 0xff;
		out->b[11] = 0xff;
		memcpy(out->b + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

struct conntrack_conn *
conntrack_open(int fd, const struct sockaddr *sa)
{
	struct conntrack_conn *c = calloc(1, sizeof(*c));
	struct peer_addr a;

	if (c == NULL)
		return NULL;
	c->fd = fd;
	if (conntrack_sockaddr(sa, &a) != 0) {
		free(c);
		return NULL;
	}
	peer_format_addr(&a, c->text, sizeof(c->text));
	c->trusted = peer_in_nets(&a, ct_trusted, ct_n_trusted);
	__atomic_store_n(&c->since_ms, conntrack_now_ms(), __ATOMIC_RELAXED);
	pthread_mutex_lock(&ct_lock);
	if (!c->trusted) {
		c->slot = conntrack_slot_get(&a);
		if (c->slot == NULL ||
		    (ct_lim.per_address > 0 && c->slot->conns >= ct_lim.per_address)) {
			if (c->slot != NULL)
				conntrack_slot_put(c->slot);
			ct_refused++;
			pthread_mutex_unlock(&ct_lock);
			free(c);
			return NULL;
		}
		c->slot->conns++;
	}
	c->next = ct_head;
	if (ct_head != NULL)
		ct_head->prev = c;
	ct_head = c;
	pthread_mutex_unlock(&ct_lock);
	return c;
}

void
conntrack_close(struct conntrack_conn *c)
{
	int lfd = -1;

	if (c == NULL)
		return;
	pthread_mutex_lock(&ct_lock);
	/* libmicrohttpd closes its descriptor after this; a duplicate keeps
	 * the socket open while linger.c reads what the client still sends
	 * (not for one the reaper shut down: that client was too slow) */
	if (c->linger && !c->shut)
		lfd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ct_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->slot != NULL) {
		c->slot->conns--;
		conntrack_slot_put(c->slot);
	}
	pthread_mutex_unlock(&ct_lock);
	free(c);
	if (lfd >= 0)
		linger_add(lfd);
}

void
conntrack_set_linger(struct conntrack_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&ct_lock);
	c->linger = 1;
	pthread_mutex_unlock(&ct_lock);
}

void
conntrack_set_phase(struct conntrack_conn *c, enum conntrack_phase phase)
{
	int64_t now = conntrack_now_ms();

	if (c == NULL)
		return;
	__atomic_store_n(&c->since_ms, now, __ATOMIC_RELAXED);
	if (phase == CONNTRACK_BODY) {
		__atomic_store_n(&c->window_start_ms, now, __ATOMIC_RELAXED);
		__atomic_store_n(&c->window_bytes, 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&c->phase, (int)phase, __ATOMIC_RELEASE);
}

void
conntrack_add_body(struct conntrack_conn *c, size_t n)
{
	if (c != NULL)
		__atomic_add_fetch(&c->window_bytes, (uint64_t)n, __ATOMIC_RELAXED);
}

int
conntrack_trusted(const struct conntrack_conn *c)
{
	return c != NULL && c->trusted;
}

const char *
conntrack_peer_text(const struct conntrack_conn *c)
{
	return c != NULL ? c->text : "unknown";
}

const struct peer_net *
conntrack_trusted_nets(size_t *n)
{
	*n = ct_n_trusted;
	return ct_trusted;
}

struct conntrack_slot *
conntrack_slot_take(const struct peer_addr *a)
{
	struct conntrack_slot *s;

	pthread_mutex_lock(&ct_lock);
	s = conntrack_slot_get(a);
	if (s != NULL && ct_lim.per_address > 0 && s->reqs >= ct_lim.per_address) {
		conntrack_slot_put(s);
		s = NULL;
		ct_refused++;
	} else if (s != NULL)
		s->reqs++;
	pthread_mutex_unlock(&ct_lock);
	return s;
}

void
conntrack_slot_release(struct conntrack_slot *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&ct_lock);
	s->reqs--;
	conntrack_slot_put(s);
	pthread_mutex_unlock(&ct_lock);
}

void
conntrack_counts(uint64_t *head_timeouts, uint64_t *too_slow, uint64_t *refused)
{
	pthread_mutex_lock(&ct_lock);
	*head_timeouts = ct_head_timeouts;
	*too_slow = ct_too_slow;
	*refused = ct_refused;
	pthread_mutex_unlock(&ct_lock);
}

/* One pass over every connection. Under ct_lock. */
static void
conntrack_sweep(unsigned *n_head, unsigned *n_slow)
{
	int64_t now = conntrack_now_ms();

	for (struct conntrack_conn *c = ct_head; c != NULL; c = c->next) {
		int phase = __atomic_load_n(&c->phase, __ATOMIC_ACQUIRE);
		enum conntrack_verdict v;

		if (c->shut)
			continue;
		v = conntrack_judge(&ct_lim, phase, __atomic_load_n(&c->since_ms, __ATOMIC_RELAXED),
		                    __atomic_load_n(&c->window_start_ms, __ATOMIC_RELAXED),
		                    __atomic_load_n(&c->window_bytes, __ATOMIC_RELAXED), now);
		switch (v) {
		case CONNTRACK_KEEP:
			break;
		case CONNTRACK_NEW_WINDOW:
			__atomic_store_n(&c->window_start_ms, now, __ATOMIC_RELAXED);
			__atomic_store_n(&c->window_bytes, 0, __ATOMIC_RELAXED);
			break;
		case CONNTRACK_HEAD_TIMEOUT:
		case CONNTRACK_TOO_SLOW: {
			int pending = 0;

			/* bytes in the socket that libmicrohttpd has not read yet: the
			 * server is behind (overloaded), not the client; judge later */
			if (ioctl(c->fd, FIONREAD, &pending) == 0 && pending > 0)
				break;
			/* the fd is still open: libmicrohttpd closes it only after
			 * conntrack_close, which waits for ct_lock */
			shutdown(c->fd, SHUT_RDWR);
			c->shut = 1;
			if (v == CONNTRACK_HEAD_TIMEOUT) {
				ct_head_timeouts++;
				(*n_head)++;
			} else {
				ct_too_slow++;
				(*n_slow)++;
			}
			break;
		}
		}
	}
}

static void *
conntrack_reaper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ct_lock);
	while (!ct_stopping) {
		struct timespec until;
		unsigned n_head = 0, n_slow = 0;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CONNTRACK_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ct_cond, &ct_lock, &until);
		if (ct_stopping)
			break;
		conntrack_sweep(&n_head, &n_slow);
		if (n_head > 0 || n_slow > 0) {
			pthread_mutex_unlock(&ct_lock);
			/* one line per sweep, however many were closed */
			log_event(LOG_LEVEL_INFO, "slow_clients_closed",
			          json_pack("{s:i, s:i}", "head_timeout", (int)n_head,
			                    "body_too_slow", (int)n_slow));
			pthread_mutex_lock(&ct_lock);
		}
	}
	pthread_mutex_unlock(&ct_lock);
	return NULL;
}

int
conntrack_start(void)
{
	ct_stopping = 0;
	if (pthread_create(&ct_thread, NULL, conntrack_reaper, NULL) != 0)
		return -1;
	ct_running = 1;
	return 0;
}

void
conntrack_stop(void)
{
	if (!ct_running)
		return;
	pthread_mutex_lock(&ct_lock);
	ct_stopping = 1;
	pthread_cond_signal(&ct_cond);
	pthread_mutex_unlock(&ct_lock);
	pthread_join(ct_thread, NULL);
	ct_running = 0;
}

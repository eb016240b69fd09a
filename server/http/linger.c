/*
 * http/linger.c: the lingering close of refused connections (linger.h).
 * One thread polls the lingering sockets and an eventfd that wakes it when
 * one is added or when it must stop; it reads them without holding the
 * table's lock, so a connection's thread handing over a socket never
 * waits for a drain.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/linger.h"

struct linger_entry {
	int fd;
	int64_t until_ms;
	long long bytes;
};

static pthread_mutex_t lg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct linger_entry lg_table[LINGER_MAX]; /* guarded by lg_lock */
static unsigned lg_n;                            /* guarded by lg_lock */
static unsigned long lg_total;                   /* guarded by lg_lock */
static int lg_wake = -1;
static int lg_stopping;
static int lg_running;
static pthread_t lg_thread;

static int64_t
linger_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
linger_add(int fd)
{
	uint64_t one = 1;
	int flags;

	if (fd < 0)
		return;
	/* the answer is complete: the client sees its end (FIN) at once */
	shutdown(fd, SHUT_WR);
	flags = fcntl(fd, F_GETFL);
	pthread_mutex_lock(&lg_lock);
	if (!lg_running || lg_stopping || lg_n >= LINGER_MAX || flags < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		pthread_mutex_unlock(&lg_lock);
		close(fd);
		return;
	}
	lg_table[lg_n].fd = fd;
	lg_table[lg_n].until_ms = linger_now_ms() + LINGER_MS;
	lg_table[lg_n].bytes = 0;
	lg_n++;
	lg_total++;
	pthread_mutex_unlock(&lg_lock);
	if (write(lg_wake, &one, sizeof(one)) < 0) {
		/* the thread wakes on its own within a tick */
	}
}

/* Read and throw away what fd holds. 1: keep lingering, 0: close it. */
static int
linger_drain(struct linger_entry *e)
{
	static char sink[64 * 1024];

	for (;;) {
		ssize_t n = read(e->fd, sink, sizeof(sink));

		if (n > 0) {
			e->bytes += n;
			if (e->bytes > LINGER_BYTES)
				return 0;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		return 0; /* the client closed, or the socket failed */
	}
}

static void *
linger_main(void *arg)
{
	/* this thread's copy of the table: it reads without holding the lock
	 * (linger_add only appends; only this thread removes) */
	static struct linger_entry local[LINGER_MAX];
	static int keep[LINGER_MAX];
	struct pollfd pfd[LINGER_MAX + 1];

	(void)arg;
	for (;;) {
		unsigned n, i;
		int64_t now;

		pthread_mutex_lock(&lg_lock);
		if (lg_stopping) {
			pthread_mutex_unlock(&lg_lock);
			break;
		}
		n = lg_n;
		memcpy(local, lg_table, n * sizeof(local[0]));
		pthread_mutex_unlock(&lg_lock);

		pfd[0].fd = lg_wake;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = local[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, n + 1, 100) < 0 && errno != EINTR)
			continue;
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(lg_wake, &v, sizeof(v)) < 0) {
				/* nothing to read after all */
			}
		}
		now = linger_now_ms();
		for (i = 0; i < n; i++) {
			keep[i] = pfd[i + 1].revents != 0 ? linger_drain(&local[i]) : 1;
			if (keep[i] && now >= local[i].until_ms)
				keep[i] = 0;
		}
		pthread_mutex_lock(&lg_lock);
		/* entries 0..n-1 are where the copy found them: walking down,
		 * a removal moves the last entry (one walked past, or one added
		 * since the copy) into a slot above the next one looked at */
		for (i = n; i-- > 0;) {
			lg_table[i].bytes = local[i].bytes;
			if (keep[i])
				continue;
			close(lg_table[i].fd);
			lg_table[i] = lg_table[lg_n - 1];
			lg_n--;
		}
		pthread_mutex_unlock(&lg_lock);
	}
	pthread_mutex_lock(&lg_lock);
	for (unsigned i = 0; i < lg_n; i++)
		close(lg_table[i].fd);
	lg_n = 0;
	pthread_mutex_unlock(&lg_lock);
	return NULL;
}

int
linger_start(void)
{
	lg_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (lg_wake < 0)
		return -1;
	pthread_mutex_lock(&lg_lock);
	lg_stopping = 0;
	lg_n = 0;
	pthread_mutex_unlock(&lg_lock);
	if (pthread_create(&lg_thread, NULL, linger_main, NULL) != 0) {
		close(lg_wake);
		lg_wake = -1;
		return -1;
	}
	pthread_mutex_lock(&lg_lock);
	lg_running = 1;
	pthread_mutex_unlock(&lg_lock);
	return 0;
}

void
linger_stop(void)
{
	uint64_t one = 1;

	pthread_mutex_lock(&lg_lock);
	if (!lg_running) {
		pthread_mutex_unlock(&lg_lock);
		return;
	}
	lg_stopping = 1;
	pthread_mutex_unlock(&lg_lock);
	if (write(lg_wake, &one, sizeof(one)) < 0) {
		/* the thread sees lg_stopping within a tick */
	}
	pthread_join(lg_thread, NULL);
	pthread_mutex_lock(&lg_lock);
	lg_running = 0;
	pthread_mutex_unlock(&lg_lock);
	close(lg_wake);
	lg_wake = -1;
}

unsigned
linger_active(void)
{
	unsigned n;

	pthread_mutex_lock(&lg_lock);
	n = lg_n;
	pthread_mutex_unlock(&lg_lock);
	return n;
}

unsigned long
linger_total(void)
{
	unsigned long n;

	pthread_mutex_lock(&lg_lock);
	n = lg_total;
	pthread_mutex_unlock(&lg_lock);
	return n;
}

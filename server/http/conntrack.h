/*
 * conntrack: every open connection, with deadlines that libmicrohttpd's
 * idle timeout does not give (it restarts on every byte).
 *
 * - The request head (request line and headers) must be complete within
 *   head_timeout of the moment the connection became ready for it (its
 *   accept, or the end of the previous request on a kept-alive
 *   connection). So an idle kept-alive connection is also closed then.
 * - A body must arrive at min_rate bytes/s or faster, averaged over
 *   windows of rate_window seconds.
 * - While a handler runs, a reply is sent or a request waits suspended,
 *   no deadline applies (the idle timeout of libmicrohttpd still does).
 * A connection past its deadline is shut down (shutdown(2), from the
 * reaper thread); libmicrohttpd then sees the end of the stream and
 * closes it in its own thread, so no file descriptor is ever closed
 * behind its back.
 *
 * It also counts connections per client address (the per-address limit:
 * trusted proxies are exempt) and, for requests forwarded by a trusted
 * proxy, requests in flight per forwarded client address.
 */
#ifndef LOCKSTEP_CONNTRACK_H
#define LOCKSTEP_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/peer.h"

enum conntrack_phase {
	CONNTRACK_HEAD = 0, /* waiting for, or reading, a request head */
	CONNTRACK_BODY = 1, /* reading a request body */
	CONNTRACK_BUSY = 2, /* handler, reply, or suspended: no deadline */
};

enum conntrack_verdict {
	CONNTRACK_KEEP = 0,
	CONNTRACK_NEW_WINDOW, /* body rate fine: start a new window */
	CONNTRACK_HEAD_TIMEOUT,
	CONNTRACK_TOO_SLOW,
};

struct conntrack_limits {
	int64_t head_timeout_ms; /* 0: none */
	uint64_t min_rate;       /* bytes per second; 0: none */
	int64_t rate_window_ms;  /* > 0 */
	unsigned per_address;    /* connections (direct) or requests (forwarded); 0: none */
};

/*
 * The decision for one connection at now_ms (pure; unit-tested): phase
 * and since_ms (start of the phase), and for a body the current window's
 * start and byte count.
 */
enum conntrack_verdict conntrack_judge(const struct conntrack_limits *lim, int phase,
                                       int64_t since_ms, int64_t window_start_ms,
                                       uint64_t window_bytes, int64_t now_ms);

struct conntrack_conn;
struct conntrack_slot;

/* Set limits and trusted proxies (copied) before any connection. */
void conntrack_init(const struct conntrack_limits *lim, const struct peer_net *trusted,
                    size_t n_trusted);

/* Start / stop the reaper thread. Start returns 0 or -1. */
int conntrack_start(void);
void conntrack_stop(void);

/*
 * A new connection (socket fd, peer address sa). Returns its record, or
 * NULL when its address is over the per-address limit or memory ran out:
 * the caller then shuts the socket down. Free with conntrack_close.
 */
struct conntrack_conn *conntrack_open(int fd, const struct sockaddr *sa);
void conntrack_close(struct conntrack_conn *c);

/*
 * c was refused from a request head while its body was still coming: at
 * conntrack_close, its socket lingers (linger.h) instead of closing with
 * unread bytes. Thread-safe.
 */
void conntrack_set_linger(struct conntrack_conn *c);

/* Enter a phase (resets its clock; a body starts a rate window). Thread-safe. */
void conntrack_set_phase(struct conntrack_conn *c, enum conntrack_phase phase);

/* n more body bytes arrived. */
void conntrack_add_body(struct conntrack_conn *c, size_t n);

/* 1 if the connection's peer is a trusted proxy. */
int conntrack_trusted(const struct conntrack_conn *c);

/* The peer's address (text, borrowed for the connection's life). */
const char *conntrack_peer_text(const struct conntrack_conn *c);

/* The trusted proxies, for peer_forwarded_client. */
const struct peer_net *conntrack_trusted_nets(size_t *n);

/*
 * One request in flight from a forwarded client address: NULL when that
 * address already has the per-address limit in flight (the caller refuses
 * with 503), else a handle for conntrack_slot_release.
 */
struct conntrack_slot *conntrack_slot_take(const struct peer_addr *a);
void conntrack_slot_release(struct conntrack_slot *s);

/* Counters since start: connections closed by each deadline, refused by the per-address limit. */
void conntrack_counts(uint64_t *head_timeouts, uint64_t *too_slow, uint64_t *refused);

#endif

/*
 * linger: a lingering close for connections refused from their request
 * head while their body was still coming (413 on a declared length, 401
 * or 404 of an upload, ...).
 *
 * libmicrohttpd sends such a refusal at once and then closes the
 * connection without reading the body. Closing a TCP socket with unread
 * bytes makes the kernel send a reset, and a client that writes its whole
 * body before it reads (no "Expect: 100-continue": Python's http.client
 * and requests, many others) then gets a broken pipe or a reset instead
 * of the answer that was sent to it. So the socket of such a connection
 * is kept open past libmicrohttpd's close (a duplicate of its descriptor):
 * its write side is shut (the client sees the end of the answer), and
 * what the client still sends is read and thrown away until it closes,
 * or LINGER_BYTES were thrown away, or LINGER_MS passed, whichever comes
 * first. At most LINGER_MAX sockets linger at once; past that a socket is
 * closed as before.
 */
#ifndef LOCKSTEP_LINGER_H
#define LOCKSTEP_LINGER_H

#define LINGER_MAX 256
#define LINGER_BYTES (1024LL * 1024 * 1024)
#define LINGER_MS 5000

/* Start / stop the thread (stop closes every lingering socket). 0 or -1. */
int linger_start(void);
void linger_stop(void);

/*
 * Linger on fd, a duplicate the caller hands over (closed here, always).
 * Thread-safe.
 */
void linger_add(int fd);

/* Sockets lingering now, and in all (metrics). */
unsigned linger_active(void);
unsigned long linger_total(void);

#endif

/*
 * notify: the webhook delivery worker and the checks on webhook URLs. The
 * only module that uses libcurl in the server.
 *
 * Events are recorded by store_notify_event (store/notify.c) inside the
 * transaction that makes the change; this worker sends the queued
 * deliveries off the request path: every LOCKSTEP_WEBHOOK_INTERVAL_MS it
 * leases a batch (webhook_claim: FOR UPDATE SKIP LOCKED, so replicas never
 * send one delivery twice at once), POSTs each payload with
 *   X-Lockstep-Event: <type>
 *   X-Lockstep-Delivery: <delivery id>
 *   X-Lockstep-Timestamp: <unix seconds>
 *   X-Lockstep-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * and records the outcome: a 2xx answer is delivered; anything else is
 * retried after LOCKSTEP_WEBHOOK_BACKOFF_MS * 2^(attempt-1) (at most an
 * hour) until LOCKSTEP_WEBHOOK_MAX_ATTEMPTS, then failed.
 *
 * SSRF stance: only http and https URLs; no redirects are followed; the
 * address actually connected to (after DNS, so rebinding does not help) may
 * not be loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with
 * cloud metadata, fe80::/10), CGNAT, multicast or unspecified, unless it
 * lies in LOCKSTEP_WEBHOOK_ALLOW_NETS (CIDR list; tests set 127.0.0.0/8).
 * Each attempt has a 10 s time limit and reads at most 4 KiB of the answer.
 */
#ifndef LOCKSTEP_NOTIFY_H
#define LOCKSTEP_NOTIFY_H

#include <stddef.h>

/* Every event type lockstep emits, ending in NULL (webhook event filters are checked against it).
 */
extern const char *const notify_event_types[];

/* 1 if type is one of notify_event_types. */
int notify_event_known(const char *type);

/*
 * Check a webhook URL before it is stored: http(s), a host, no user
 * information, at most 2000 bytes, and (for a literal IP address host) not
 * a refused address. Returns 0, or -1 with the reason in why.
 */
int notify_url_check(const char *url, char *why, size_t whylen);

struct store_lease;
/*
 * One attempt: POST lease's payload to its URL, signed as above, with the
 * SSRF check on the address connected to. Returns 1 when delivered (2xx),
 * else 0 with *status (0: no HTTP answer) and a reason in why.
 */
int notify_deliver(const struct store_lease *l, long *status, char *why, size_t whylen);

/* Start / stop the delivery worker thread. Start returns 0 or -1. */
int notify_worker_start(void);
void notify_worker_stop(void);

/* Run one round now (tests, start-up): returns deliveries attempted, or -1. */
int notify_run_once(void);

/*
 * Mail text (plain, LF line ends) to one address through LOCKSTEP_SMTP_URL
 * (notify/mail.c). Returns 0, or -1 with the reason in why (no relay, an
 * unsafe header, the relay's error).
 */
int notify_smtp_send(const char *to, const char *subject, const char *text, char *why,
                     size_t whylen);

struct store_mail;
/* The subject and text of one user's notification mail; returns the text's length. */
size_t notify_mail_compose(const struct store_mail *rows, int n, char *subject, size_t sublen,
                           char *text, size_t textlen);

/* One e-mail round (only with a relay): returns messages sent, or -1. */
int notify_mail_run_once(void);

#endif

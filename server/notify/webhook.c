/*
 * notify/webhook.c: the webhook delivery worker (see notify.h for the
 * protocol, the retry schedule and the SSRF stance).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "conf.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/log.h"
#include "util/peer.h"
#include "util/util.h"

const char *const notify_event_types[] = {
    /* findings (issue 11 part 4) */
    "finding.created", "finding.changed", "finding.comment", "finding.retested",
    "finding.deadline_near", "risk.requested", "risk.decided", "risk.expired",
    /* engagement stages, review, holds, release (issue 11 parts 1-3) */
    /* the names store_event (store/event.c) emits */
    "stage.changed", "review.opened", "draft.changed", "review.answered", "release.held",
    "release.decision", "release.published",
    /* company commitments and their verdicts (issue 14 part 3) */
    "commitment.declared", "commitment.verdict", NULL};

/* Addresses a webhook may never reach unless LOCKSTEP_WEBHOOK_ALLOW_NETS says so. */
static const char refused_list[] =
    "0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12,"
    " 192.0.0.0/24, 192.168.0.0/16, 198.18.0.0/15, 224.0.0.0/3,"
    " ::/128, ::1/128, fc00::/7, fe80::/10, ff00::/8, 64:ff9b::/96";
static struct peer_net refused_nets[32];
static size_t n_refused_nets;
static pthread_once_t refused_once = PTHREAD_ONCE_INIT;

#define NOTIFY_BATCH 16
#define NOTIFY_ANSWER_MAX 4096
#define NOTIFY_URL_MAX 2000
/* how often (in rounds of the worker) deadlines are looked at: about every minute */
#define NOTIFY_DEADLINE_EVERY_MS 60000

static void
refused_init(void)
{
	char why[120];
	int n = peer_parse_nets(refused_list, refused_nets,
	                        sizeof(refused_nets) / sizeof(refused_nets[0]), why, sizeof(why));

	n_refused_nets = n > 0 ? (size_t)n : 0;
}

int
notify_event_known(const char *type)
{
	for (size_t i = 0; notify_event_types[i] != NULL; i++)
		if (strcmp(notify_event_types[i], type) == 0)
			return 1;
	return 0;
}

/* 1 when a webhook may connect to addr. */
static int
notify_addr_allowed(const struct peer_addr *addr)
{
	pthread_once(&refused_once, refused_init);
	if (peer_in_nets(addr, config.webhook_allow_nets, config.n_webhook_allow_nets))
		return 1;
	return !peer_in_nets(addr, refused_nets, n_refused_nets);
}

int
notify_url_check(const char *url, char *why, size_t whylen)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *user = NULL;
	struct peer_addr addr;
	size_t hl;
	int ret = -1;

	if (strlen(url) > NOTIFY_URL_MAX) {
		snprintf(why, whylen, "longer than %d bytes", NOTIFY_URL_MAX);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			snprintf(why, whylen, "white space, control or non-ASCII characters");
			return -1;
		}
	if ((u = curl_url()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a URL");
		goto done;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(why, whylen, "only http and https URLs");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user != NULL) {
		snprintf(why, whylen, "no user information in the URL");
		goto done;
	}
	if (host[0] == '\0') {
		snprintf(why, whylen, "no host");
		goto done;
	}
	/* a literal address is checked now; names when connecting */
	hl = strlen(host);
	{
		struct in_addr any4;
		unsigned char strict[sizeof(struct in6_addr)];
		/* the host as written (libcurl normalises numeric hosts) */
		const char *a = strstr(url, "://");
		char raw[256];
		size_t rl;

		a = a ? a + 3 : url;
		rl = strcspn(a, "/?#");
		if (memchr(a, '@', rl) == NULL && a[0] != '[') {
			const char *colon = memchr(a, ':', rl);

			if (colon != NULL)
				rl = (size_t)(colon - a);
		}
		if (rl >= sizeof(raw))
			rl = sizeof(raw) - 1;
		memcpy(raw, a, rl);
		raw[rl] = '\0';
		/* 0x7f000001, 2130706433, 0177.1: numeric IPv4 in a form that hides it */
		if (inet_aton(raw, &any4) != 0 && inet_pton(AF_INET, raw, strict) != 1) {
			snprintf(why, whylen, "write a numeric IPv4 host in dotted-decimal form");
			goto done;
		}
	}
	if (host[0] == '[' && hl > 2 ? peer_parse_addr(host + 1, hl - 2, &addr) == 0
	                             : peer_parse_addr(host, hl, &addr) == 0) {
		if (!notify_addr_allowed(&addr)) {
			snprintf(why, whylen,
			         "the address is loopback, private, link-local or reserved");
			goto done;
		}
	}
	ret = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ret;
}

/* ---- one delivery ---- */

struct attempt {
	int refused; /* the connection was refused by the SSRF check */
	size_t got;
};

static curl_socket_t
attempt_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct attempt *t = clientp;
	struct peer_addr addr;

	(void)purpose;
	memset(&addr, 0, sizeof(addr));
	if (a->family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->addr;

		addr.b[10] = addr.b[11] = 0xff;
		memcpy(addr.b + 12, &in->sin_addr, 4);
	} else if (a->family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->addr;

		memcpy(addr.b, &in6->sin6_addr, 16);
	} else {
		t->refused = 1;
		return CURL_SOCKET_BAD;
	}
	if (!notify_addr_allowed(&addr)) {
		t->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t
attempt_discard(char *p, size_t size, size_t n, void *clientp)
{
	struct attempt *t = clientp;

	(void)p;
	t->got += size * n;
	/* a short answer is enough: a larger one aborts (still counted by its status) */
	return t->got > NOTIFY_ANSWER_MAX ? 0 : size * n;
}

int
notify_deliver(const struct store_lease *l, long *status, char *why, size_t whylen)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1], ts[24], h_sig[160], h_ts[64], h_event[100],
	    h_delivery[100];
	struct curl_slist *hdr = NULL;
	struct attempt t = {0};
	size_t plen = strlen(l->payload), mlen;
	char *msg = NULL;
	CURL *curl = NULL;
	CURLcode cc;
	int ok = 0;

	*status = 0;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	mlen = strlen(ts) + 1 + plen;
	if ((msg = malloc(mlen + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return 0;
	}
	snprintf(msg, mlen + 1, "%s.%s", ts, l->payload);
	if (crypto_hmac_sha256(l->secret, strlen(l->secret), msg, mlen, mac) != 0) {
		snprintf(why, whylen, "signing failed");
		goto done;
	}
	util_hex_encode(mac, sizeof(mac), hex);
	snprintf(h_sig, sizeof(h_sig), "X-Lockstep-Signature: t=%s,v1=%s", ts, hex);
	snprintf(h_ts, sizeof(h_ts), "X-Lockstep-Timestamp: %s", ts);
	snprintf(h_event, sizeof(h_event), "X-Lockstep-Event: %s", l->event_type);
	snprintf(h_delivery, sizeof(h_delivery), "X-Lockstep-Delivery: %s", l->id);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "User-Agent: lockstep-webhook/1");
	hdr = curl_slist_append(hdr, "Expect:");
	hdr = curl_slist_append(hdr, h_sig);
	hdr = curl_slist_append(hdr, h_ts);
	hdr = curl_slist_append(hdr, h_event);
	hdr = curl_slist_append(hdr, h_delivery);
	if (hdr == NULL || (curl = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, l->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)config.webhook_timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)config.webhook_timeout);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, l->payload);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)plen);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, attempt_open);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &t);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, attempt_discard);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	if (t.refused)
		snprintf(why, whylen, "refused: the address is loopback, private or reserved");
	else if (*status >= 200 && *status < 300)
		ok = 1;
	else if (*status > 0)
		snprintf(why, whylen, "HTTP %ld", *status);
	else
		snprintf(why, whylen, "%s", curl_easy_strerror(cc));
done:
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdr);
	free(msg);
	return ok;
}

/* ---- the worker ---- */

static const struct util_identity notifier = {.org_kind = "notifier"};

struct claim_ctx {
	struct store_lease *rows;
	int n;
};

static int
claim_tx(struct db_conn *c, void *arg)
{
	struct claim_ctx *k = arg;
	/* lease long enough for every attempt of the batch */
	int lease = (int)config.webhook_timeout * (NOTIFY_BATCH + 1) + 30;

	store_leases_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_webhook_claim(c, NOTIFY_BATCH, lease, &k->rows, &k->n);
}

struct report_ctx {
	const char *id;
	int ok;
	long status;
	const char *why;
};

static int
report_tx(struct db_conn *c, void *arg)
{
	struct report_ctx *k = arg;

	return store_webhook_report(c, k->id, k->ok, k->status, k->ok ? NULL : k->why,
	                            (int)config.webhook_max_attempts,
	                            config.webhook_backoff_ms / 1000.0);
}

static int
deadlines_tx(struct db_conn *c, void *arg)
{
	return store_notify_deadlines(c, (int)config.deadline_notice_hours * 3600, arg);
}

int
notify_run_once(void)
{
	struct claim_ctx k = {0};
	int done = 0;

	if (db_tx(&notifier, "webhook_claim", claim_tx, &k) != DB_OK)
		return -1;
	for (int i = 0; i < k.n; i++) {
		char why[200] = "";
		struct report_ctx rep = {.id = k.rows[i].id, .why = why};

		rep.ok = notify_deliver(&k.rows[i], &rep.status, why, sizeof(why));
		if (db_tx(&notifier, "webhook_report", report_tx, &rep) != DB_OK)
			log_event(LOG_LEVEL_WARN, "webhook_report_failed",
			          json_pack("{s:s}", "delivery", k.rows[i].id));
		log_event(rep.ok ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "webhook_attempt",
		          json_pack("{s:s, s:s, s:I, s:b, s:I, s:s}", "delivery", k.rows[i].id,
		                    "webhook", k.rows[i].webhook_id, "attempt",
		                    (json_int_t)k.rows[i].attempts, "ok", rep.ok, "status",
		                    (json_int_t)rep.status, "error", why));
		done++;
	}
	store_leases_free(k.rows, k.n);
	return done;
}

static pthread_t notify_thread;
static pthread_mutex_t notify_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notify_cv = PTHREAD_COND_INITIALIZER;
static int notify_running;
static int notify_quit;

static void *
notify_main(void *arg)
{
	unsigned long long since_deadlines = NOTIFY_DEADLINE_EVERY_MS;

	(void)arg;
	pthread_mutex_lock(&notify_mu);
	while (!notify_quit) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += config.webhook_interval_ms / 1000;
		until.tv_nsec += (long)(config.webhook_interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!notify_quit && pthread_cond_timedwait(&notify_cv, &notify_mu, &until) == 0)
			;
		if (notify_quit)
			break;
		pthread_mutex_unlock(&notify_mu);
		since_deadlines += config.webhook_interval_ms;
		if (since_deadlines >= NOTIFY_DEADLINE_EVERY_MS) {
			long long n = 0;

			since_deadlines = 0;
			if (db_tx(&notifier, "notify_deadlines", deadlines_tx, &n) == DB_OK &&
			    n > 0)
				log_event(LOG_LEVEL_INFO, "deadlines_notified",
				          json_pack("{s:I}", "findings", (json_int_t)n));
		}
		/* drain: keep going while full batches come back */
		for (int round = 0; round < 8 && !notify_quit; round++)
			if (notify_run_once() < NOTIFY_BATCH)
				break;
		notify_mail_run_once();
		pthread_mutex_lock(&notify_mu);
	}
	pthread_mutex_unlock(&notify_mu);
	db_thread_close();
	return NULL;
}

int
notify_worker_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	pthread_once(&refused_once, refused_init);
	notify_quit = 0;
	if (pthread_create(&notify_thread, NULL, notify_main, NULL) != 0)
		return -1;
	notify_running = 1;
	return 0;
}

void
notify_worker_stop(void)
{
	if (!notify_running)
		return;
	pthread_mutex_lock(&notify_mu);
	notify_quit = 1;
	pthread_cond_signal(&notify_cv);
	pthread_mutex_unlock(&notify_mu);
	pthread_join(notify_thread, NULL);
	notify_running = 0;
}

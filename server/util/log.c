/*
 * log: structured JSON lines on stderr (see log.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Minimum level written; read and set from any thread. */
static atomic_int log_min_level = LOG_LEVEL_INFO;
/* the request this thread is working on ("" none): see log_set_request */
static __thread char log_request_id[LOG_REQUEST_ID_LEN + 1];

void
log_set_request(const char *id)
{
	snprintf(log_request_id, sizeof(log_request_id), "%s", id != NULL ? id : "");
}

/*
 * Set the minimum level. Out-of-range values are ignored.
 * Never fails; safe to call from any thread.
 */
void
log_set_level(enum log_level level)
{
	if ((int)level < (int)LOG_LEVEL_DEBUG || (int)level > (int)LOG_LEVEL_ERROR)
		return;
	atomic_store_explicit(&log_min_level, (int)level, memory_order_relaxed);
}

/* Static name of a level; anything out of range is reported as "error". */
static const char *
log_name_level(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_DEBUG:
		return "debug";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_WARN:
		return "warn";
	case LOG_LEVEL_ERROR:
	default:
		return "error";
	}
}

/*
 * Format the current UTC time as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" into out.
 * Returns 0, or -1 if the clock or the conversion fails or out is short.
 */
static int
log_format_time(char *out, size_t outlen)
{
	int ret = -1;
	struct timespec now;
	struct tm tm;
	int n;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		goto done;
	if (gmtime_r(&now.tv_sec, &tm) == NULL)
		goto done;
	n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             (long)(now.tv_nsec / 1000));
	if (n < 0 || (size_t)n >= outlen)
		goto done;
	ret = 0;
done:
	return ret;
}

/*
 * Write buf[0..len) to stderr. One write(2) in the normal case (pipes and
 * terminals take a whole line at once); retried on EINTR, and the rest is
 * written if the kernel takes only part. Errors are ignored.
 */
static void
log_write_line(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * See log.h. fields is always decref'd. Keys "ts", "level" and "event"
 * in fields are ignored (the logger's own values win). A non-object
 * fields is ignored. A NULL event is logged as "unknown"; an event that
 * is not valid UTF-8 as "invalid-event". errno is preserved, so callers
 * may log before inspecting it.
 */
void
log_event(enum log_level level, const char *event, json_t *fields)
{
	int saved_errno = errno;
	json_t *line = NULL;
	json_t *ev = NULL;
	char *buf = NULL;
	char ts[40];
	size_t len;
	size_t flags = JSON_COMPACT;

	if ((int)level < atomic_load_explicit(&log_min_level, memory_order_relaxed))
		goto done;
	if (log_format_time(ts, sizeof(ts)) != 0)
		goto done;

	line = json_object();
	if (line == NULL)
		goto done;
	/* json_object_set_new steals the new reference in every call below. */
	if (json_object_set_new(line, "ts", json_string(ts)) != 0)
		goto done;
	if (json_object_set_new(line, "level", json_string(log_name_level(level))) != 0)
		goto done;
	ev = json_string(event != NULL ? event : "unknown");
	if (ev == NULL && event != NULL)
		ev = json_string("invalid-event");
	if (json_object_set_new(line, "event", ev) != 0)
		goto done;
	if (log_request_id[0] != '\0' &&
	    json_object_set_new(line, "request", json_string(log_request_id)) != 0)
		goto done;
	/* update_missing borrows fields' values: ts/level/event stay ours. */
	if (fields != NULL && json_is_object(fields) &&
	    json_object_update_missing(line, fields) != 0)
		goto done;

	len = json_dumpb(line, NULL, 0, flags);
	if (len == 0)
		goto done;
	buf = malloc(len + 1);
	if (buf == NULL)
		goto done;
	if (json_dumpb(line, buf, len, flags) != len)
		goto done;
	buf[len] = '\n';
	log_write_line(buf, len + 1);
done:
	free(buf);
	json_decref(line);
	json_decref(fields);
	errno = saved_errno;
}

/* Append s as a JSON string body (without quotes) to out[*n..cap). */
static void
log_json_text(char *out, size_t cap, size_t *n, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && *n + 7 < cap;
	     p++) {
		if (*p == '"' || *p == '\\') {
			out[(*n)++] = '\\';
			out[(*n)++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* control and non-ASCII bytes: \u00XX keeps the line valid
			 * JSON whatever the client sent */
			out[(*n)++] = '\\';
			out[(*n)++] = 'u';
			out[(*n)++] = '0';
			out[(*n)++] = '0';
			out[(*n)++] = hex[*p >> 4];
			out[(*n)++] = hex[*p & 15];
		} else {
			out[(*n)++] = (char)*p;
		}
	}
}

void
log_request(const char *method, const char *route, unsigned status, double seconds,
            const char *addr, int completed)
{
	int saved_errno = errno;
	char line[1024], ts[40];
	size_t n = 0;
	int k;

	if (LOG_LEVEL_INFO < atomic_load_explicit(&log_min_level, memory_order_relaxed) ||
	    log_format_time(ts, sizeof(ts)) != 0)
		goto done;
	k = snprintf(line, sizeof(line),
	             "{\"ts\":\"%s\",\"level\":\"info\",\"event\":\"request\",\"method\":\"", ts);
	if (k < 0)
		goto done;
	n = (size_t)k;
	log_json_text(line, 300, &n, method);
	memcpy(line + n, "\",\"route\":\"", 11);
	n += 11;
	log_json_text(line, 700, &n, route);
	k = snprintf(line + n, sizeof(line) - n, "\",\"status\":%u,\"seconds\":%.6f,\"addr\":\"",
	             status, seconds);
	if (k < 0 || (size_t)k >= sizeof(line) - n)
		goto done;
	n += (size_t)k;
	log_json_text(line, 900, &n, addr);
	/* the request id is hex digits (daemon.c makes it): no escaping */
	k = snprintf(line + n, sizeof(line) - n, "\",\"completed\":%s%s%s%s}\n",
	             completed ? "true" : "false", log_request_id[0] ? ",\"request\":\"" : "",
	             log_request_id, log_request_id[0] ? "\"" : "");
	if (k < 0 || (size_t)k >= sizeof(line) - n)
		goto done;
	n += (size_t)k;
	log_write_line(line, n);
done:
	errno = saved_errno;
}

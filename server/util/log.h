/*
 * Structured logging: one JSON object per line on stderr.
 * Never log secrets (passwords, tokens, keys, confidential text).
 */
#ifndef LOCKSTEP_LOG_H
#define LOCKSTEP_LOG_H

#include <jansson.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#define LOG_REQUEST_ID_LEN 32

/*
 * Tie this thread's following log lines to a request: log_event adds
 * "request": id to each line until log_set_request(NULL). The HTTP layer
 * sets it whenever it runs code for a request (PgBouncer's slog_*(client)).
 */
void log_set_request(const char *id);

/* Messages below this level are dropped. Default LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);

/*
 * Write {"ts":..., "level":..., "event":event, ...fields} as one line
 * (a single write(2), so lines from threads never interleave).
 * fields: a JSON object or NULL; its reference is STOLEN (decref'd here).
 * Never fails visibly: on allocation failure the line is dropped.
 */
void log_event(enum log_level level, const char *event, json_t *fields);

/*
 * The per-request line, {"ts", "level":"info", "event":"request", "method",
 * "route", "status", "seconds", "addr", "completed"}, formatted without
 * jansson (it is written for every request, so it must be cheap). Text
 * fields are escaped (control and non-ASCII bytes as \u00XX). Never fails
 * visibly.
 */
void log_request(const char *method, const char *route, unsigned status, double seconds,
                 const char *addr, int completed);

#endif

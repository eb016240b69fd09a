/*
 * JSON input with limits, and declarative validation of request objects.
 */
#ifndef LOCKSTEP_UTIL_JSON_H
#define LOCKSTEP_UTIL_JSON_H

#include <stddef.h>
#include <jansson.h>

#define JSON_IN_MAX_DEPTH 16

/*
 * Parse buf[0..len) as one JSON object. Refuses (returns NULL, with a
 * human-readable reason in err, errlen bytes) when:
 *  - len is 0, or the text is not valid UTF-8 or contains NUL,
 *  - nesting of arrays/objects exceeds max_depth (checked by a scan
 *    BEFORE jansson parses, so deep input cannot exhaust the stack),
 *  - jansson rejects it, or there is trailing garbage,
 *  - the top level is not an object,
 *  - any object holds a duplicate key.
 * Returns a new reference the caller must json_decref.
 */
json_t *json_in_parse(const char *buf, size_t len, size_t max_depth, char *err, size_t errlen);

enum json_field_type {
	JSON_FIELD_STRING,  /* UTF-8 string, length in [min_len, max_len] bytes */
	JSON_FIELD_INTEGER, /* integer in [min, max] */
	JSON_FIELD_BOOLEAN,
	JSON_FIELD_STRING_ARRAY /* array of at most max_items strings, each
	                           with length in [min_len, max_len] */
};

struct json_field {
	const char *name;
	enum json_field_type type;
	int required;
	size_t min_len;
	size_t max_len;
	long long min;
	long long max;
	size_t max_items;
	/* Optional extra check of one string value (or each array item):
	 * returns 1 if acceptable, 0 otherwise. May be NULL. */
	int (*valid)(const char *s);
	/* Optional: what valid() accepts, as a noun phrase with an example
	 * ("a CVSS 3.1 or 4.0 vector, e.g. CVSS:3.1/AV:N/..."); the refusal
	 * reads "not <rule>". NULL: the describer set with json_in_set_rules,
	 * else a generic text. */
	const char *rule;
};

/*
 * Register the describer of shared validators (the api layer's table):
 * fn returns the rule of a valid() callback as above, or NULL. Call once
 * at start-up, before serving.
 */
void json_in_set_rules(const char *(*fn)(int (*valid)(const char *s)));

/*
 * Check obj against fields (terminated by an entry whose name is NULL).
 * Unknown members are refused. On failure returns -1, stores the
 * offending member's name in *bad_field (pointer into fields[] or into
 * obj's key storage, valid while obj lives) and a reason that states the
 * rule and what was seen ("required, a string of 1 to 300 characters",
 * "too long (at most 20000 characters, got 20001)", "not a CVSS 3.1 or
 * 4.0 vector, e.g. ...", "must be an integer from 1 to 99, got a string")
 * in *reason: a thread-local buffer, valid until this thread's next call.
 * Returns 0 when obj is acceptable.
 */
int json_in_check(const json_t *obj, const struct json_field *fields, const char **bad_field,
                  const char **reason);

#endif

/*
 * json: bounded JSON input and table-driven validation (see json.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/json.h"
#include "util/util.h"

/* Store a reason in err (if any room); never fails. */
static void
json_set_error(char *err, size_t errlen, const char *reason)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", reason);
}

/*
 * Returns 1 if no array/object nesting in buf[0..len) goes deeper than
 * max_depth, else 0. Brackets inside strings (including after escaped
 * quotes) are not counted. Unbalanced input is left to the parser.
 */
static int
json_depth_ok(const char *buf, size_t len, size_t max_depth)
{
	size_t depth = 0;
	size_t i;
	int in_string = 0, escaped = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_string = 1;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				return 0;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return 1;
}

/*
 * See json.h. Depth counts the top-level object: "{}" has depth 1,
 * {"a":[1]} depth 2. JSON "\u0000" escapes are refused too (jansson's
 * default). err may be NULL; errlen bytes hold a NUL-terminated reason.
 * Returns a new reference (caller json_decref's) or NULL on refusal.
 */
json_t *
json_in_parse(const char *buf, size_t len, size_t max_depth, char *err, size_t errlen)
{
	json_t *ret = NULL;
	json_t *root = NULL;
	json_error_t jerr;

	json_set_error(err, errlen, "");
	if (buf == NULL || len == 0) {
		json_set_error(err, errlen, "empty body");
		goto done;
	}
	if (!util_utf8_valid(buf, len)) {
		json_set_error(err, errlen, "body is not valid UTF-8 or contains NUL");
		goto done;
	}
	if (!json_depth_ok(buf, len, max_depth)) {
		json_set_error(err, errlen, "JSON nested too deeply");
		goto done;
	}
	/* No JSON_DISABLE_EOF_CHECK: anything but whitespace after the value
	 * is an error. No JSON_DECODE_ANY, no JSON_ALLOW_NUL. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "invalid JSON: %s (line %d, column %d)", jerr.text,
			         jerr.line, jerr.column);
		goto done;
	}
	if (!json_is_object(root)) {
		json_set_error(err, errlen, "JSON body must be an object");
		goto done;
	}
	ret = root;
	root = NULL;
done:
	json_decref(root);
	return ret;
}

/* The table row named key, or NULL. */
static const struct json_field *
json_find_field(const struct json_field *fields, const char *key)
{
	for (; fields->name != NULL; fields++)
		if (strcmp(fields->name, key) == 0)
			return fields;
	return NULL;
}

/* The reason of the last refusal on this thread (see json_in_check). */
static _Thread_local char json_reason[512];

static const char *(*json_rule_of)(int (*valid)(const char *s));

void
json_in_set_rules(const char *(*fn)(int (*valid)(const char *s)))
{
	json_rule_of = fn;
}

/* Format a reason into the thread's buffer; returns it. */
static const char *json_reasonf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *
json_reasonf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json_reason, sizeof(json_reason), fmt, ap);
	va_end(ap);
	return json_reason;
}

/* "a string", "a number", ...: what a client sent, for "got ..." */
static const char *
json_kind_seen(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* A rule that qualifies a string ("without control characters") rather than naming a format. */
static int
json_rule_is_qualifier(const char *rule)
{
	return strncmp(rule, "without ", 8) == 0 || strncmp(rule, "with ", 5) == 0;
}

/* The length rule of f's strings, e.g. "1 to 300 characters". */
static void
json_len_rule(const struct json_field *f, char *out, size_t outlen)
{
	if (f->min_len == f->max_len)
		snprintf(out, outlen, "exactly %zu characters", f->max_len);
	else if (f->min_len == 0)
		snprintf(out, outlen, "at most %zu characters", f->max_len);
	else
		snprintf(out, outlen, "%zu to %zu characters", f->min_len, f->max_len);
}

/* What a valid value of f is, as a noun phrase ("a string of 1 to 300 characters"). */
static void
json_type_rule(const struct json_field *f, char *out, size_t outlen)
{
	char len[64];
	const char *rule = f->rule;

	if (rule == NULL && f->valid != NULL && json_rule_of != NULL)
		rule = json_rule_of(f->valid);
	json_len_rule(f, len, sizeof(len));
	switch (f->type) {
	case JSON_FIELD_STRING:
		if (rule != NULL && !json_rule_is_qualifier(rule))
			snprintf(out, outlen, "%s", rule);
		else
			snprintf(out, outlen, "a string of %s%s%s", len, rule != NULL ? " " : "",
			         rule != NULL ? rule : "");
		break;
	case JSON_FIELD_INTEGER:
		snprintf(out, outlen, "an integer from %lld to %lld", f->min, f->max);
		break;
	case JSON_FIELD_BOOLEAN:
		snprintf(out, outlen, "true or false");
		break;
	case JSON_FIELD_STRING_ARRAY:
		if (rule != NULL && !json_rule_is_qualifier(rule))
			snprintf(out, outlen, "an array of at most %zu items, each %s",
			         f->max_items, rule);
		else
			snprintf(out, outlen, "an array of at most %zu strings of %s%s%s",
			         f->max_items, len, rule != NULL ? " " : "",
			         rule != NULL ? rule : "");
		break;
	default:
		snprintf(out, outlen, "a value");
		break;
	}
}

/* The refusal of a value valid() does not accept. */
static const char *
json_not_valid(const struct json_field *f, const char *rule)
{
	char what[320];

	if (rule == NULL)
		return json_reasonf("not an accepted value (see docs/API.md for this field)");
	if (json_rule_is_qualifier(rule)) {
		json_type_rule(f, what, sizeof(what));
		return json_reasonf("must be %s", what);
	}
	return json_reasonf("not %s", rule);
}

/* Is s[0..len) plain ASCII (bytes and characters count the same)? */
static int
json_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * Check one string (a member or an array item) against f's length limits
 * and callback. Returns NULL if acceptable, else a reason (thread-local).
 */
static const char *
json_check_string(const json_t *v, const struct json_field *f)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	const char *rule = f->rule;
	char what[320];

	if (s == NULL)
		return json_reasonf("must be a string, got %s", json_kind_seen(v));
	/* Built in code with json_stringn, a string may hold NUL bytes. */
	if (memchr(s, '\0', len) != NULL)
		return json_reasonf("must not contain NUL characters");
	if (rule == NULL && f->valid != NULL && json_rule_of != NULL)
		rule = json_rule_of(f->valid);
	if (len == 0 && f->min_len > 0) {
		json_type_rule(f, what, sizeof(what));
		if (f->type == JSON_FIELD_STRING_ARRAY)
			return json_reasonf("must not be empty");
		return json_reasonf("required, %s%s", what,
		                    rule != NULL ? "" : " (this one is empty)");
	}
	/* a format with its example says more than a length */
	if (f->valid != NULL && len <= f->max_len && !f->valid(s)) {
		return json_not_valid(f, rule);
	}
	if (len < f->min_len)
		return json_reasonf("too short (at least %zu characters, got %zu)", f->min_len,
		                    len);
	if (len > f->max_len) {
		if (json_ascii(s, len))
			return json_reasonf("too long (at most %zu characters, got %zu)",
			                    f->max_len, len);
		return json_reasonf("too long (at most %zu bytes of UTF-8, got %zu; a character "
		                    "outside ASCII takes 2 to 4)",
		                    f->max_len, len);
	}
	if (f->valid != NULL && !f->valid(s)) {
		return json_not_valid(f, rule);
	}
	return NULL;
}

/* Check member v against row f. Returns NULL if fine, else a reason. */
static const char *
json_check_value(const json_t *v, const struct json_field *f)
{
	char what[320];
	json_int_t n;
	size_t i;

	json_type_rule(f, what, sizeof(what));
	switch (f->type) {
	case JSON_FIELD_STRING:
		if (!json_is_string(v))
			return json_reasonf("must be %s, got %s", what, json_kind_seen(v));
		return json_check_string(v, f);
	case JSON_FIELD_INTEGER:
		if (!json_is_integer(v))
			return json_reasonf("must be %s, got %s", what, json_kind_seen(v));
		n = json_integer_value(v);
		if (n < f->min || n > f->max)
			return json_reasonf("out of range: must be %s, got %lld", what,
			                    (long long)n);
		return NULL;
	case JSON_FIELD_BOOLEAN:
		if (!json_is_boolean(v))
			return json_reasonf("must be true or false, got %s", json_kind_seen(v));
		return NULL;
	case JSON_FIELD_STRING_ARRAY:
		if (!json_is_array(v))
			return json_reasonf("must be %s, got %s", what, json_kind_seen(v));
		/* Types first, so a wrong item type is reported as such. */
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return json_reasonf("must be %s; item %zu is %s", what, i,
				                    json_kind_seen(json_array_get(v, i)));
		if (json_array_size(v) > f->max_items)
			return json_reasonf("too many items (at most %zu, got %zu)", f->max_items,
			                    json_array_size(v));
		for (i = 0; i < json_array_size(v); i++) {
			const char *r = json_check_string(json_array_get(v, i), f);

			if (r != NULL) {
				char one[400];

				snprintf(one, sizeof(one), "%s", r);
				return json_reasonf("item %zu: %s", i, one);
			}
		}
		return NULL;
	default:
		return "unsupported field type";
	}
}

/* "unknown field; expected one of: a, b, c" (bounded). */
static const char *
json_unknown(const struct json_field *fields)
{
	size_t off;

	off = (size_t)snprintf(json_reason, sizeof(json_reason), "unknown field; expected %s",
	                       fields->name == NULL ? "no fields" : "one of: ");
	for (const struct json_field *f = fields; f->name != NULL && off < sizeof(json_reason); f++)
		off += (size_t)snprintf(json_reason + off, sizeof(json_reason) - off, "%s%s",
		                        f == fields ? "" : ", ", f->name);
	return json_reason;
}

/*
 * See json.h. Rules, with no defaults: string (and item) lengths are
 * bytes in [min_len, max_len]; integers must be JSON integers (1.0 and
 * "1" are refused) in [min, max]; arrays hold at most max_items strings
 * (zero items is fine). A JSON null is a wrong type, not an absent
 * member. Unknown members are reported first (in the object's order),
 * then table rows in table order. A non-object obj gives bad_field ""
 * and reason "must be an object". bad_field and reason may be NULL.
 */
int
json_in_check(const json_t *obj, const struct json_field *fields, const char **bad_field,
              const char **reason)
{
	int ret = -1;
	const char *bf = "";
	const char *why = NULL;
	const char *key;
	json_t *value;
	const struct json_field *f;

	if (obj == NULL || !json_is_object(obj)) {
		why = "must be an object";
		goto done;
	}
	/* json_object_foreach wants a non-const object; we only read. */
	json_object_foreach((json_t *)obj, key, value)
	{
		if (json_find_field(fields, key) == NULL) {
			bf = key;
			why = json_unknown(fields);
			goto done;
		}
	}
	for (f = fields; f->name != NULL; f++) {
		value = json_object_get(obj, f->name);
		if (value == NULL) {
			if (f->required) {
				char what[320];

				json_type_rule(f, what, sizeof(what));
				bf = f->name;
				why = json_reasonf("required, %s", what);
				goto done;
			}
			continue;
		}
		why = json_check_value(value, f);
		if (why != NULL) {
			bf = f->name;
			goto done;
		}
	}
	ret = 0;
done:
	if (ret != 0) {
		if (bad_field != NULL)
			*bad_field = bf;
		if (reason != NULL)
			*reason = why;
	}
	return ret;
}

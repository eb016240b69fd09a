/*
 * json: bounded JSON input and table-driven validation (see json.h).
 */
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

/*
 * Check one string (a member or an array item) against f's length limits
 * and callback. Returns NULL if acceptable, else a static reason.
 */
static const char *
json_check_string(const json_t *v, const struct json_field *f)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (s == NULL)
		return "must be a string";
	/* Built in code with json_stringn, a string may hold NUL bytes. */
	if (memchr(s, '\0', len) != NULL)
		return "invalid value";
	if (len < f->min_len)
		return "too short";
	if (len > f->max_len)
		return "too long";
	if (f->valid != NULL && !f->valid(s))
		return "invalid value";
	return NULL;
}

/* Check member v against row f. Returns NULL if fine, else a reason. */
static const char *
json_check_value(const json_t *v, const struct json_field *f)
{
	json_int_t n;
	size_t i;

	switch (f->type) {
	case JSON_FIELD_STRING:
		if (!json_is_string(v))
			return "must be a string";
		return json_check_string(v, f);
	case JSON_FIELD_INTEGER:
		if (!json_is_integer(v))
			return "must be an integer";
		n = json_integer_value(v);
		if (n < f->min || n > f->max)
			return "out of range";
		return NULL;
	case JSON_FIELD_BOOLEAN:
		if (!json_is_boolean(v))
			return "must be a boolean";
		return NULL;
	case JSON_FIELD_STRING_ARRAY:
		if (!json_is_array(v))
			return "must be an array of strings";
		/* Types first, so a wrong item type is reported as such. */
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return "must be an array of strings";
		if (json_array_size(v) > f->max_items)
			return "too many items";
		for (i = 0; i < json_array_size(v); i++) {
			const char *r = json_check_string(json_array_get(v, i), f);

			if (r != NULL)
				return r;
		}
		return NULL;
	default:
		return "unsupported field type";
	}
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
			why = "unknown field";
			goto done;
		}
	}
	for (f = fields; f->name != NULL; f++) {
		value = json_object_get(obj, f->name);
		if (value == NULL) {
			if (f->required) {
				bf = f->name;
				why = "required";
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

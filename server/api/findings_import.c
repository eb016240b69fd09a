/*
 * POST /api/v1/engagements/{id}/findings:import: the engagement's
 * assessor imports findings from a SARIF 2.1.0 log (application/sarif+json
 * or application/json) or a CSV file (text/csv), all or nothing.
 *
 * Every item becomes the same object a POST findings body is, checked by
 * the same field table; every error names its CSV row or its JSON pointer
 * (problem "invalid-import", member "errors"). Each finding carries a
 * fingerprint, SHA-256 of its normalised rule or title and its location:
 * a finding whose fingerprint the engagement already holds is counted as
 * present and not created again, so re-importing a file creates nothing.
 * Findings are created through store_finding_import, which calls
 * store_finding_create: the rules of POST findings apply unchanged.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "util/csv.h"
#include "util/util.h"

#define IMPORT_MAX_ITEMS 1000  /* findings per import */
#define IMPORT_MAX_ERRORS 100  /* errors listed; the rest counted */
#define IMPORT_MAX_DEPTH 32    /* SARIF nesting (code flows go deep) */
#define IMPORT_MAX_LOCATIONS 8 /* locations written into a detail */
#define IMPORT_TITLE_MAX 300
#define IMPORT_DETAIL_MAX 65536

static const struct json_field import_fields[] = {
    API_FINDING_FIELDS(1, api_valid_cvss, 10), API_OC_REQUIRED_FIELD(api_valid_oc), {.name = NULL}};

struct import_item {
	json_t *obj;   /* a POST findings body, owned */
	json_t *where; /* {"row": n, "line": n} or {"pointer": "..."}, owned */
	unsigned char fp[CRYPTO_SHA256_LEN];
	char id[DB_UUID_LEN + 1];     /* the new id (if created) */
	char result[DB_UUID_LEN + 1]; /* the finding's id, new or old */
	int created;
};

struct import_ctx {
	struct http_request *r;
	const char *engagement;
	const char *tm;     /* ?threat_model, or NULL */
	const char *format; /* "sarif" or "csv" */
	struct import_item *item;
	size_t n;
	size_t skipped; /* SARIF results that are not failures (kind pass, ...) */
	json_t *errors; /* array */
	size_t nerrors;
	size_t created; /* the result */
	struct api_res res;
};

/* ------------------------------------------------------------ helpers */

/* Record one error at where (stolen) with field (may be NULL) and reason. */
static void
import_error(struct import_ctx *x, json_t *where, const char *field, const char *reason)
{
	if (where == NULL)
		where = json_object();
	if (x->nerrors++ >= IMPORT_MAX_ERRORS || where == NULL) {
		json_decref(where);
		return;
	}
	if (field != NULL)
		json_object_set_new(where, "field", json_string(field));
	json_object_set_new(where, "reason", json_string(reason));
	json_array_append_new(x->errors, where);
}

static json_t *import_ptr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* {"pointer": printf(fmt, ...)} (a new reference) */
static json_t *
import_ptr(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "pointer", buf);
}

/* Length of the longest prefix of s of at most max bytes that ends on a UTF-8 boundary. */
static size_t
import_utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/*
 * A one-line title from s: control characters and runs of white space
 * become one space, trimmed, cut to IMPORT_TITLE_MAX bytes. malloc'd.
 */
static char *
import_title(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *t = malloc(n + 1);
	int space = 1;

	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				t[o++] = ' ';
			space = 1;
			continue;
		}
		t[o++] = (char)c;
		space = 0;
	}
	while (o > 0 && t[o - 1] == ' ')
		o--;
	t[o] = '\0';
	t[import_utf8_cut(t, IMPORT_TITLE_MAX)] = '\0';
	return t;
}

/* Append s to the fingerprint input, normalised: ASCII lower case, white space collapsed. */
static int
import_fp_add(struct crypto_sha256_stream *h, const char *s)
{
	int space = 1;

	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		char c = (char)tolower(*p);

		if (isspace(*p)) {
			space = 1;
			continue;
		}
		if (space && p != (const unsigned char *)s) {
			if (crypto_sha256_stream_update(h, " ", 1) != 0)
				return -1;
		}
		space = 0;
		if (crypto_sha256_stream_update(h, &c, 1) != 0)
			return -1;
	}
	return crypto_sha256_stream_update(h, "\n", 1);
}

/* A CWE id from a tag ("CWE-79", "cwe-079", "external/cwe/cwe-79") into out, or 0. */
static int
import_cwe(const char *tag, char out[16])
{
	const char *p = tag;
	long long v;

	if (strncasecmp(p, "external/cwe/", 13) == 0)
		p += 13;
	if (strncasecmp(p, "cwe-", 4) != 0)
		return 0;
	p += 4;
	while (*p == '0' && p[1] != '\0')
		p++;
	if (util_strnum(p, 1, 99999, &v) != 0)
		return 0;
	snprintf(out, 16, "CWE-%lld", v);
	return 1;
}

static void
import_add_cwes(json_t *cwe, json_t *tags)
{
	size_t i, k;
	json_t *t;
	char id[16];

	if (!json_is_array(tags))
		return;
	json_array_foreach(tags, i, t)
	{
		int dup = 0;
		json_t *have;

		if (!json_is_string(t) || !import_cwe(json_string_value(t), id))
			continue;
		json_array_foreach(cwe, k, have) dup |= strcmp(json_string_value(have), id) == 0;
		if (!dup && json_array_size(cwe) < 32)
			json_array_append_new(cwe, json_string(id));
	}
}

/* Severity from a CVSS-like score (GitHub's mapping of security-severity). */
static const char *
import_score_severity(double v)
{
	if (v >= 9.0)
		return "critical";
	if (v >= 7.0)
		return "high";
	if (v >= 4.0)
		return "medium";
	if (v >= 0.1)
		return "low";
	return "info";
}

/* properties["security-severity"] as a number in [0, 10]: 1 and *v, 0 absent, -1 invalid. */
static int
import_security_severity(json_t *props, double *v)
{
	json_t *s = json_object_get(props, "security-severity");
	char *end;

	if (s == NULL)
		return 0;
	if (json_is_number(s)) {
		*v = json_number_value(s);
	} else if (json_is_string(s) && json_string_length(s) > 0 && json_string_length(s) < 16) {
		*v = strtod(json_string_value(s), &end);
		if (*end != '\0')
			return -1;
	} else {
		return -1;
	}
	return *v >= 0.0 && *v <= 10.0 ? 1 : -1;
}

/* ------------------------------------------------------------ SARIF */

static const char *
import_jstr(json_t *o, const char *path)
{
	/* path: dot-separated object keys */
	char key[64];
	const char *p = path, *dot;

	while (o != NULL && (dot = strchr(p, '.')) != NULL) {
		size_t n = (size_t)(dot - p);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		p = dot + 1;
	}
	return json_string_value(json_object_get(o, p));
}

/* The rule of result (by ruleIndex, rule.index, or id in driver's rules), or NULL. */
static json_t *
import_sarif_rule(json_t *rules, json_t *result, const char *rule_id)
{
	json_t *ix = json_object_get(result, "ruleIndex");
	size_t i;
	json_t *rule;

	if (ix == NULL)
		ix = json_object_get(json_object_get(result, "rule"), "index");
	if (json_is_integer(ix) && json_integer_value(ix) >= 0 &&
	    (size_t)json_integer_value(ix) < json_array_size(rules))
		return json_array_get(rules, (size_t)json_integer_value(ix));
	if (rule_id == NULL)
		return NULL;
	json_array_foreach(rules, i, rule)
	{
		const char *id = json_string_value(json_object_get(rule, "id"));

		if (id != NULL && strcmp(id, rule_id) == 0)
			return rule;
	}
	return NULL;
}

/* Append printf text to a growing string *s (malloc'd). 0 or -1. */
static int import_cat(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
import_cat(char **s, const char *fmt, ...)
{
	va_list ap;
	char *add = NULL, *n;
	size_t have = *s ? strlen(*s) : 0;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -1;
	if ((n = realloc(*s, have + (size_t)len + 1)) == NULL) {
		free(add);
		return -1;
	}
	memcpy(n + have, add, (size_t)len + 1);
	free(add);
	*s = n;
	return 0;
}

/* One result of run ri (its driver's rules): an item, an error, or skipped. 0, or -1 (OOM). */
static int
import_sarif_result(struct import_ctx *x, size_t ri, size_t i, json_t *run, json_t *result)
{
	json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
	json_t *rules = json_object_get(driver, "rules");
	json_t *props = json_object_get(result, "properties");
	json_t *locs = json_object_get(result, "locations"), *loc;
	const char *rule_id, *msg, *kind, *level, *tm, *sdesc, *help;
	json_t *rule, *rprops, *cwe = NULL, *obj = NULL;
	struct crypto_sha256_stream *h = NULL;
	char *title = NULL, *detail = NULL, *t = NULL;
	const char *severity;
	double score;
	size_t k;
	int s, ret = -1;

	if (!json_is_object(result)) {
		import_error(x, import_ptr("/runs/%zu/results/%zu", ri, i), NULL,
		             "a result must be an object");
		return 0;
	}
	kind = json_string_value(json_object_get(result, "kind"));
	if (kind != NULL && strcmp(kind, "fail") != 0) {
		x->skipped++; /* pass, notApplicable, informational, review, open */
		return 0;
	}
	if (x->n >= IMPORT_MAX_ITEMS) {
		import_error(x, import_ptr("/runs/%zu/results/%zu", ri, i), NULL,
		             "too many findings in one import (at most 1000)");
		return 0;
	}
	rule_id = json_string_value(json_object_get(result, "ruleId"));
	if (rule_id == NULL)
		rule_id = import_jstr(result, "rule.id");
	rule = import_sarif_rule(rules, result, rule_id);
	if (rule_id == NULL)
		rule_id = json_string_value(json_object_get(rule, "id"));
	rprops = json_object_get(rule, "properties");
	msg = import_jstr(result, "message.text");
	if (msg == NULL || *msg == '\0') {
		import_error(x, import_ptr("/runs/%zu/results/%zu/message/text", ri, i), NULL,
		             "required: a result's message text (message templates by id are not "
		             "supported)");
		return 0;
	}
	tm = json_string_value(json_object_get(props, "threat_model"));
	if (tm == NULL)
		tm = import_jstr(run, "properties.threat_model");
	if (tm == NULL)
		tm = x->tm;
	if (tm == NULL) {
		import_error(x, import_ptr("/runs/%zu/results/%zu", ri, i), "threat_model",
		             "required: give ?threat_model= or properties.threat_model");
		return 0;
	}

	/* severity: security-severity (result, then rule), else level */
	s = import_security_severity(props, &score);
	if (s == 0)
		s = import_security_severity(rprops, &score);
	if (s < 0) {
		import_error(
		    x, import_ptr("/runs/%zu/results/%zu/properties/security-severity", ri, i),
		    NULL, "must be a number from 0 to 10");
		return 0;
	}
	if (s > 0) {
		severity = import_score_severity(score);
	} else {
		level = json_string_value(json_object_get(result, "level"));
		if (level == NULL)
			level = import_jstr(rule, "defaultConfiguration.level");
		if (level == NULL || strcmp(level, "warning") == 0)
			severity = "medium";
		else if (strcmp(level, "error") == 0)
			severity = "high";
		else if (strcmp(level, "note") == 0)
			severity = "low";
		else if (strcmp(level, "none") == 0)
			severity = "info";
		else {
			import_error(x, import_ptr("/runs/%zu/results/%zu/level", ri, i), NULL,
			             "must be one of none, note, warning, error");
			return 0;
		}
	}

	/* title: "ruleId: short description", the rule id, or the message's first line */
	sdesc = import_jstr(rule, "shortDescription.text");
	if (rule_id != NULL && sdesc != NULL && strcmp(sdesc, rule_id) != 0) {
		if (import_cat(&t, "%s: %s", rule_id, sdesc) != 0)
			goto done;
		title = import_title(t);
		free(t);
	} else {
		title = import_title(rule_id ? rule_id : sdesc ? sdesc : msg);
	}
	if (title == NULL)
		goto done;

	/* detail: the message, where, which rule, which tool */
	if (import_cat(&detail, "%s\n", msg) != 0)
		goto done;
	if (json_is_array(locs) && json_array_size(locs) > 0 &&
	    import_cat(&detail, "\nLocations:\n") != 0)
		goto done;
	if ((h = crypto_sha256_stream_new()) == NULL)
		goto done;
	if (import_fp_add(h, "sarif") != 0 || import_fp_add(h, rule_id ? rule_id : title) != 0)
		goto done;
	json_array_foreach(locs, k, loc)
	{
		json_t *pl = json_object_get(loc, "physicalLocation");
		const char *uri = import_jstr(pl, "artifactLocation.uri");
		json_t *region = json_object_get(pl, "region");
		json_int_t line = json_integer_value(json_object_get(region, "startLine"));
		json_int_t col = json_integer_value(json_object_get(region, "startColumn"));
		const char *logical = json_string_value(
		    json_object_get(json_array_get(json_object_get(loc, "logicalLocations"), 0),
		                    "fullyQualifiedName"));
		char where[64];

		if (uri == NULL && logical == NULL)
			continue;
		if (line > 0 && col > 0)
			snprintf(where, sizeof(where), ":%lld:%lld", (long long)line,
			         (long long)col);
		else if (line > 0)
			snprintf(where, sizeof(where), ":%lld", (long long)line);
		else
			where[0] = '\0';
		if (k < IMPORT_MAX_LOCATIONS &&
		    import_cat(&detail, "- %s%s%s%s\n", uri ? uri : "", where,
		               logical && uri ? " " : "", logical ? logical : "") != 0)
			goto done;
		if (import_fp_add(h, uri ? uri : "") != 0 || import_fp_add(h, where) != 0 ||
		    import_fp_add(h, logical) != 0)
			goto done;
	}
	if (json_array_size(locs) > IMPORT_MAX_LOCATIONS &&
	    import_cat(&detail, "- and %zu more\n", json_array_size(locs) - IMPORT_MAX_LOCATIONS) !=
	        0)
		goto done;
	if (json_array_size(locs) == 0 && import_fp_add(h, msg) != 0)
		goto done;
	if (rule_id != NULL && import_cat(&detail, "\nRule: %s\n", rule_id) != 0)
		goto done;
	help = json_string_value(json_object_get(rule, "helpUri"));
	if (help != NULL && import_cat(&detail, "Help: %s\n", help) != 0)
		goto done;
	if (import_jstr(driver, "name") != NULL &&
	    import_cat(&detail, "Tool: %s%s%s (SARIF)\n", import_jstr(driver, "name"),
	               import_jstr(driver, "version") ? " " : "",
	               import_jstr(driver, "version") ? import_jstr(driver, "version") : "") != 0)
		goto done;
	detail[import_utf8_cut(detail, IMPORT_DETAIL_MAX)] = '\0';

	if ((cwe = json_array()) == NULL)
		goto done;
	import_add_cwes(cwe, json_object_get(rprops, "tags"));
	import_add_cwes(cwe, json_object_get(props, "tags"));
	obj = json_pack("{s:s, s:s, s:s, s:s, s:O}", "threat_model", tm, "title", title, "detail",
	                detail, "severity", severity, "cwe", cwe);
	if (obj == NULL)
		goto done;
	/* oc_required (issue 14): properties.oc_required of the result, else of its rule */
	{
		json_t *oc = json_object_get(props, "oc_required");

		if (oc == NULL)
			oc = json_object_get(rprops, "oc_required");
		if (oc != NULL)
			json_object_set(obj, "oc_required", oc);
	}
	x->item[x->n].obj = obj;
	obj = NULL;
	x->item[x->n].where = import_ptr("/runs/%zu/results/%zu", ri, i);
	if (crypto_sha256_stream_final(h, x->item[x->n].fp) != 0)
		goto done;
	x->n++;
	ret = 0;
done:
	crypto_sha256_stream_free(h);
	json_decref(obj);
	json_decref(cwe);
	free(title);
	free(detail);
	return ret;
}

/* Parse a SARIF log into x's items or errors. 0, or -1 (out of memory). */
static int
import_sarif(struct import_ctx *x, const char *buf, size_t len)
{
	char err[160];
	json_t *doc, *runs, *run, *results, *result;
	const char *version;
	size_t ri, i;
	int ret = -1;

	doc = json_in_parse(buf, len, IMPORT_MAX_DEPTH, err, sizeof(err));
	if (doc == NULL) {
		import_error(x, import_ptr("%s", ""), NULL, err);
		return 0;
	}
	version = json_string_value(json_object_get(doc, "version"));
	if (version == NULL || strcmp(version, "2.1.0") != 0) {
		import_error(x, import_ptr("/version"), NULL, "must be \"2.1.0\" (SARIF 2.1.0)");
		ret = 0;
		goto done;
	}
	runs = json_object_get(doc, "runs");
	if (!json_is_array(runs)) {
		import_error(x, import_ptr("/runs"), NULL, "required: an array of runs");
		ret = 0;
		goto done;
	}
	json_array_foreach(runs, ri, run)
	{
		if (!json_is_object(run)) {
			import_error(x, import_ptr("/runs/%zu", ri), NULL,
			             "a run must be an object");
			continue;
		}
		if (import_jstr(run, "tool.driver.name") == NULL) {
			import_error(x, import_ptr("/runs/%zu/tool/driver/name", ri), NULL,
			             "required: the tool's name");
			continue;
		}
		results = json_object_get(run, "results");
		if (results != NULL && !json_is_array(results)) {
			import_error(x, import_ptr("/runs/%zu/results", ri), NULL,
			             "must be an array");
			continue;
		}
		json_array_foreach(results, i, result)
		{
			if (import_sarif_result(x, ri, i, run, result) != 0)
				goto done;
			if (x->nerrors > IMPORT_MAX_ERRORS)
				break;
		}
	}
	ret = 0;
done:
	json_decref(doc);
	return ret;
}

/* ------------------------------------------------------------ CSV */

enum import_col {
	COL_TM,
	COL_TITLE,
	COL_DETAIL,
	COL_SEVERITY,
	COL_CWE,
	COL_ATLAS,
	COL_CVSS,
	COL_LOCATION,
	COL_OC,
	COL__N
};
static const char *const import_cols[COL__N] = {"threat_model", "title",    "detail",
                                                "severity",     "cwe",      "atlas",
                                                "cvss",         "location", "oc_required"};

static json_t *
import_row(size_t row, size_t line)
{
	return json_pack("{s:I, s:I}", "row", (json_int_t)row, "line", (json_int_t)line);
}

/* "a; b c" -> ["a","b","c"] (a new array, or NULL) */
static json_t *
import_list(const char *s)
{
	json_t *a = json_array();
	char *copy = strdup(s), *save = NULL, *tok;

	if (a == NULL || copy == NULL) {
		json_decref(a);
		free(copy);
		return NULL;
	}
	for (tok = strtok_r(copy, "; ,\t", &save); tok; tok = strtok_r(NULL, "; ,\t", &save))
		json_array_append_new(a, json_string(tok));
	free(copy);
	return a;
}

static int
import_csv(struct import_ctx *x, const char *buf, size_t len)
{
	struct util_csv csv = {0};
	int col[COL__N];
	char err[160];
	size_t line, i;
	int ret = -1;

	if (util_csv_parse(buf, len, IMPORT_MAX_ITEMS + 1, &csv, &line, err, sizeof(err)) != 0) {
		import_error(x, json_pack("{s:I}", "line", (json_int_t)line), NULL, err);
		return 0;
	}
	if (csv.n == 0) {
		import_error(x, import_row(1, 1), NULL,
		             "empty file: the first row names the columns (threat_model, title, "
		             "detail, severity, cwe, atlas, cvss, location, oc_required)");
		ret = 0;
		goto done;
	}
	for (i = 0; i < COL__N; i++)
		col[i] = -1;
	for (i = 0; i < csv.row[0].n; i++) {
		const char *name = csv.row[0].field[i];
		size_t c;

		for (c = 0; c < COL__N; c++)
			if (strcasecmp(name, import_cols[c]) == 0)
				break;
		if (c == COL__N) {
			import_error(x, import_row(1, 1), name, "unknown column");
			continue;
		}
		if (col[c] >= 0) {
			import_error(x, import_row(1, 1), name, "column named twice");
			continue;
		}
		col[c] = (int)i;
	}
	for (i = 0; i < 4; i++)
		if (col[i] < 0 && !(i == COL_TM && x->tm != NULL))
			import_error(x, import_row(1, 1), import_cols[i],
			             "required column missing");
	if (x->nerrors > 0) {
		ret = 0;
		goto done;
	}
	for (size_t r = 1; r < csv.n; r++) {
		struct util_csv_row *row = &csv.row[r];
		const char *v[COL__N];
		struct crypto_sha256_stream *h;
		json_t *obj;
		char *detail = NULL;

		if (row->n != csv.row[0].n) {
			import_error(x, import_row(r + 1, row->line), NULL,
			             "the row does not have as many fields as the header");
			continue;
		}
		for (i = 0; i < COL__N; i++)
			v[i] = col[i] >= 0 ? row->field[col[i]] : NULL;
		if (v[COL_TM] == NULL || *v[COL_TM] == '\0')
			v[COL_TM] = x->tm;
		if (v[COL_LOCATION] != NULL && *v[COL_LOCATION] != '\0') {
			if (import_cat(&detail, "%s\n\nLocation: %s\n", v[COL_DETAIL],
			               v[COL_LOCATION]) != 0)
				goto done;
		} else if ((detail = strdup(v[COL_DETAIL])) == NULL) {
			goto done;
		}
		obj = json_object();
		if (obj == NULL) {
			free(detail);
			goto done;
		}
		if (v[COL_TM] != NULL)
			json_object_set_new(obj, "threat_model", json_string(v[COL_TM]));
		json_object_set_new(obj, "title", json_string(v[COL_TITLE]));
		json_object_set_new(obj, "detail", json_string(detail));
		json_object_set_new(obj, "severity", json_string(v[COL_SEVERITY]));
		free(detail);
		if (v[COL_CWE] && *v[COL_CWE])
			json_object_set_new(obj, "cwe", import_list(v[COL_CWE]));
		if (v[COL_ATLAS] && *v[COL_ATLAS])
			json_object_set_new(obj, "atlas", import_list(v[COL_ATLAS]));
		if (v[COL_CVSS] && *v[COL_CVSS])
			json_object_set_new(obj, "cvss", json_string(v[COL_CVSS]));
		if (v[COL_OC] && *v[COL_OC])
			json_object_set_new(obj, "oc_required", json_string(v[COL_OC]));
		h = crypto_sha256_stream_new();
		if (h == NULL || import_fp_add(h, "csv") != 0 ||
		    import_fp_add(h, v[COL_TITLE]) != 0 ||
		    import_fp_add(h, v[COL_LOCATION] && *v[COL_LOCATION] ? v[COL_LOCATION]
		                                                         : v[COL_DETAIL]) != 0 ||
		    crypto_sha256_stream_final(h, x->item[x->n].fp) != 0) {
			crypto_sha256_stream_free(h);
			json_decref(obj);
			goto done;
		}
		crypto_sha256_stream_free(h);
		x->item[x->n].obj = obj;
		x->item[x->n].where = import_row(r + 1, row->line);
		x->n++;
	}
	ret = 0;
done:
	util_csv_free(&csv);
	return ret;
}

/* ------------------------------------------------------------ the request */

/* Check every item like a POST findings body. */
static void
import_check_items(struct import_ctx *x)
{
	const char *field, *reason;

	for (size_t i = 0; i < x->n; i++) {
		if (json_in_check(x->item[i].obj, import_fields, &field, &reason) == 0)
			continue;
		import_error(x, json_deep_copy(x->item[i].where), field, reason);
	}
}

static int
import_tx(struct db_conn *c, void *arg)
{
	struct import_ctx *x = arg;
	struct api_engagement e;
	size_t i;
	int rc = DB_OK;

	x->created = 0;
	for (i = 0; i < x->n; i++) {
		x->item[i].created = 0;
		x->item[i].result[0] = '\0';
	}
	if ((rc = api_engagement_load(c, x->r, x->engagement, API_AS_ASSESSOR, &e, &x->res)) !=
	    DB_OK)
		return rc;
	if (e.released) {
		rc = api_fail(&x->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
		goto done;
	}
	/* the campaign's threat models: every error at once */
	json_array_clear(x->errors);
	x->nerrors = 0;
	for (i = 0; i < x->n; i++) {
		const char *tm = json_string_value(json_object_get(x->item[i].obj, "threat_model"));

		if (!api_engagement_has_threat_model(&e, tm))
			import_error(x, json_deep_copy(x->item[i].where), "threat_model",
			             "not in the campaign's threat models");
	}
	if (x->nerrors > 0) {
		rc = api_fail(&x->res, PROBLEM_INVALID_IMPORT, NULL);
		goto done;
	}
	for (i = 0; i < x->n && rc == DB_OK; i++) {
		struct import_item *it = &x->item[i];
		json_t *j = it->obj;
		char *atlas = json_dumps(json_object_get(j, "atlas") ? json_object_get(j, "atlas")
		                                                     : json_array(),
		                         JSON_COMPACT | JSON_ENCODE_ANY);
		char *cwe =
		    json_dumps(json_object_get(j, "cwe") ? json_object_get(j, "cwe") : json_array(),
		               JSON_COMPACT | JSON_ENCODE_ANY);
		struct store_finding_input in = {
		    .threat_model = json_string_value(json_object_get(j, "threat_model")),
		    .severity = json_string_value(json_object_get(j, "severity")),
		    .title = json_string_value(json_object_get(j, "title")),
		    .detail = json_string_value(json_object_get(j, "detail")),
		    .atlas = atlas,
		    .cwe = cwe,
		    .cvss = json_string_value(json_object_get(j, "cvss")),
		    .oc_required = json_string_value(json_object_get(j, "oc_required"))};

		if (atlas == NULL || cwe == NULL)
			rc = DB_ERROR;
		else
			rc = store_finding_import(c, it->id, e.id, e.company, e.assessor, &in,
			                          it->fp, &it->created, it->result);
		free(atlas);
		free(cwe);
		if (rc == DB_OK && it->created) {
			x->created++;
			rc = api_audit(c, x->r, "finding.create", "finding", it->id, e.company,
			               e.assessor,
			               json_pack("{s:s, s:s, s:s}", "engagement", e.id, "severity",
			                         in.severity, "via", "import"));
		}
	}
	/* the same file imported at the same time: the other import committed
	 * a fingerprint first; run again, which finds it present (so both
	 * answer as if one came after the other) */
	if (rc == DB_UNIQUE)
		rc = DB_RETRY;
	if (rc == DB_OK)
		rc = api_audit(c, x->r, "finding.import", "engagement", e.id, e.company, e.assessor,
		               json_pack("{s:s, s:I, s:I, s:I}", "format", x->format, "created",
		                         (json_int_t)x->created, "already_present",
		                         (json_int_t)(x->n - x->created), "skipped",
		                         (json_int_t)x->skipped));
done:
	api_engagement_clear(&e);
	return rc;
}

/* Only the engagement's assessor gets past this (others: 404, whatever the body). */
static int
import_access_tx(struct db_conn *c, void *arg)
{
	struct import_ctx *x = arg;
	struct api_engagement e;
	int rc;

	if ((rc = api_engagement_load(c, x->r, x->engagement, API_AS_ASSESSOR, &e, &x->res)) ==
	    DB_OK)
		api_engagement_clear(&e);
	return rc;
}

/* The media type of the body: "sarif", "csv", or NULL. */
static const char *
import_format(const char *ct)
{
	size_t n;
	const char *semi;

	if (ct == NULL)
		return NULL;
	semi = strchr(ct, ';');
	n = semi ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (semi != NULL) {
		/* only charset=utf-8 (any case, optionally quoted) */
		const char *p = semi + 1;

		while (*p == ' ')
			p++;
		if (strcasecmp(p, "charset=utf-8") != 0 && strcasecmp(p, "charset=\"utf-8\"") != 0)
			return NULL;
	}
	if ((n == 22 && strncasecmp(ct, "application/sarif+json", 22) == 0) ||
	    (n == 16 && strncasecmp(ct, "application/json", 16) == 0))
		return "sarif";
	if (n == 8 && strncasecmp(ct, "text/csv", 8) == 0)
		return "csv";
	return NULL;
}

/* 422 invalid-import with x->errors */
static int
import_reply_errors(struct http_request *r, struct import_ctx *x)
{
	json_t *ext =
	    json_pack("{s:O, s:I}", "errors", x->errors, "error_count", (json_int_t)x->nerrors);
	char detail[160];

	snprintf(detail, sizeof(detail), "%zu error%s; nothing was imported", x->nerrors,
	         x->nerrors == 1 ? "" : "s");
	return http_reply_problem_ext(r, PROBLEM_INVALID_IMPORT, detail, ext);
}

int
api_findings_import(struct http_request *r)
{
	struct import_ctx x = {.r = r, .res = {.status = 201}};
	const char *body;
	size_t len;
	json_t *list;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	/* a foreign or unknown engagement answers 404 before the body is even looked at */
	x.engagement = http_param(r, 0);
	if ((rc = db_tx(&r->who, "finding_import_access", import_access_tx, &x)) != DB_OK)
		return api_finish(r, rc, &x.res);
	x.format = import_format(http_header(r, "Content-Type"));
	if (x.format == NULL)
		return http_reply_problem(r, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
		                          "Send SARIF 2.1.0 as application/sarif+json (or "
		                          "application/json) or CSV as text/csv, in UTF-8.");
	x.tm = http_query(r, "threat_model");
	if (x.tm != NULL && (strlen(x.tm) > 32 || !api_valid_threat_model(x.tm)))
		return http_reply_field(r, PROBLEM_BAD_QUERY, "threat_model",
		                        "not a known threat model: one of WEIGHTS-EXFIL, IP-THEFT, "
		                        "TAMPERING, COMPUTE-MISUSE, PERSISTENCE");
	body = r->body ? r->body : "";
	len = r->body_len;
	if (len == 0)
		return http_reply_problem(r, PROBLEM_BAD_REQUEST, "The body is empty.");
	x.errors = json_array();
	x.item = calloc(IMPORT_MAX_ITEMS, sizeof(*x.item));
	if (x.errors == NULL || x.item == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	/* a UTF-8 byte order mark is allowed before either format */
	if (strcmp(x.format, "sarif") == 0) {
		if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
			body += 3;
			len -= 3;
		}
		rc = import_sarif(&x, body, len);
	} else {
		rc = import_csv(&x, body, len);
	}
	if (rc != 0) {
		rc = DB_ERROR;
		goto done;
	}
	/* the items that parsed are checked too, so one answer lists every error */
	import_check_items(&x);
	if (x.nerrors > 0) {
		rc = import_reply_errors(r, &x);
		goto out;
	}
	for (size_t i = 0; i < x.n; i++)
		if (api_new_uuid(x.item[i].id) != 0) {
			rc = DB_ERROR;
			goto done;
		}
	rc = db_tx(&r->who, "finding_import", import_tx, &x);
	if (rc == API_FAIL && x.res.problem == PROBLEM_INVALID_IMPORT) {
		rc = import_reply_errors(r, &x);
		goto out;
	}
	if (rc == DB_OK) {
		list = json_array();
		for (size_t i = 0; list != NULL && i < x.n; i++) {
			json_t *o = json_deep_copy(x.item[i].where);

			if (o == NULL)
				continue;
			json_object_set_new(o, "id", json_string(x.item[i].result));
			json_object_set_new(o, "created", json_boolean(x.item[i].created));
			json_array_append_new(list, o);
		}
		x.res.status = x.created > 0 ? 201 : 200;
		x.res.body = json_pack("{s:s, s:I, s:I, s:I, s:o*}", "format", x.format, "created",
		                       (json_int_t)x.created, "already_present",
		                       (json_int_t)(x.n - x.created), "skipped",
		                       (json_int_t)x.skipped, "findings", list);
		if (x.res.body == NULL)
			rc = DB_ERROR;
	}
done:
	rc = api_finish(r, rc, &x.res);
out:
	for (size_t i = 0; x.item != NULL && i < IMPORT_MAX_ITEMS; i++) {
		json_decref(x.item[i].obj);
		json_decref(x.item[i].where);
	}
	free(x.item);
	json_decref(x.errors);
	return rc;
}

/*
 * check_formats: import of findings (SARIF 2.1.0, CSV) and their export
 * (CSV) end to end against a running lockstepd.
 *
 *   - a SARIF log produced by a real tool (ESLint 8.57.0 with
 *     @microsoft/eslint-formatter-sarif 3.1.0, tests/fixtures/sarif/, see
 *     its README), imported and re-imported (idempotent);
 *   - documents written from the SARIF 2.1.0 specification (rules by
 *     index and id, CWE tags, security-severity, kinds, levels);
 *   - a malformed set, each refused with its JSON pointer, nothing written;
 *   - CSV with quoting (RFC 4180), a byte order mark, CRLF and bad rows;
 *   - the CSV export, with formula injection neutralised;
 *   - who may: only the engagement's assessor imports; its company and
 *     assessor export; everybody else gets the "not found" of an unknown id.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef HT_FIXTURES
#define HT_FIXTURES "tests/fixtures"
#endif
#ifndef HT_OSCAL
#define HT_OSCAL "tests/oscal"
#endif

static struct ht_world W;

/* ------------------------------------------------------------ helpers */

static struct ht_resp *
import(const char *token, const char *eng, const char *query, const char *type, const char *body,
       size_t len)
{
	char *path = ht_fmt("/api/v1/engagements/%s/findings:import%s%s", eng, query ? "?" : "",
	                    query ? query : "");
	char *ct = ht_fmt("Content-Type: %s", type);
	const char *hdr[] = {ct, NULL};
	struct ht_resp *r = ht_request_v("POST", path, token, body, len, hdr);

	free(path);
	free(ct);
	return r;
}

static struct ht_resp *
import_s(const char *token, const char *eng, const char *query, const char *type, const char *body)
{
	return import(token, eng, query, type, body, strlen(body));
}

static long long
findings_of(const char *eng)
{
	char *sql = ht_fmt("SELECT count(*) FROM findings WHERE engagement_id = '%s'", eng);
	long long n = ht_db_count(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"), sql);

	free(sql);
	ck_assert_msg(n >= 0, "cannot count findings");
	return n;
}

static long long
jint(const struct ht_resp *r, const char *key)
{
	json_t *v = json_object_get(r->json, key);

	ck_assert_msg(json_is_integer(v), "%s: no integer %s: %s", r->what, key, HT_BODY(r));
	return json_integer_value(v);
}

static char *
read_fixture(const char *name, size_t *len)
{
	char *path = ht_fmt("%s/%s", HT_FIXTURES, name);
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		ht_skip("fixture %s is missing", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert(buf != NULL);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)n;
	return buf;
}

/* All findings of eng as token (one page of up to 200). */
static json_t *
list_findings(const char *token, const char *eng)
{
	char *path = ht_fmt("/api/v1/engagements/%s/findings?limit=200", eng);
	struct ht_resp *r = ht_request("GET", path, token, NULL);
	json_t *items;

	HT_ASSERT_STATUS(r, 200);
	items = json_incref(json_object_get(r->json, "items"));
	ht_resp_free(r);
	free(path);
	return items;
}

/* The finding of items whose title is title, or NULL (borrowed). */
static json_t *
by_title(json_t *items, const char *title)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it)
	{
		const char *t = ht_ostr(it, "title");

		if (t != NULL && strcmp(t, title) == 0)
			return it;
	}
	return NULL;
}

/* The first error of a problem answer (borrowed), after checking its shape. */
static json_t *
first_error(const struct ht_resp *r)
{
	json_t *errors = json_object_get(r->json, "errors");

	HT_ASSERT_PROBLEM(r, 422, "invalid-import");
	ck_assert_msg(json_is_array(errors) && json_array_size(errors) > 0, "%s: no errors: %s",
	              r->what, HT_BODY(r));
	return json_array_get(errors, 0);
}

/* --------------------------------------------------------------- SARIF */

START_TEST(test_sarif_eslint)
{
	size_t len;
	char *sarif = read_fixture("sarif/eslint-8.57.0.sarif", &len);
	json_t *doc = json_loadb(sarif, len, 0, NULL);
	size_t results = json_array_size(
	    json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "results"));
	long long before = findings_of(W.eng_ax2);
	struct ht_resp *r;
	json_t *items, *f;

	ck_assert_msg(results >= 3, "the fixture should hold ESLint's results");
	r = import(W.x.admin.token, W.eng_ax2, "threat_model=IP-THEFT", "application/sarif+json",
	           sarif, len);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "created"), (long long)results);
	ck_assert_int_eq(jint(r, "already_present"), 0);
	ck_assert_str_eq(ht_jstr(r, "format"), "sarif");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "findings")), results);
	ck_assert_str_eq(
	    ht_ostr(json_array_get(json_object_get(r->json, "findings"), 0), "pointer"),
	    "/runs/0/results/0");
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax2), before + (long long)results);

	/* the mapping: rule and short description, message, location, level */
	items = list_findings(W.a.admin.token, W.eng_ax2);
	f = by_title(items, "no-eval: Disallow the use of `eval()`");
	ck_assert_msg(f != NULL, "no finding for ESLint's no-eval");
	ck_assert_str_eq(ht_ostr(f, "severity"), "high"); /* level error */
	ck_assert_str_eq(ht_ostr(f, "threat_model"), "IP-THEFT");
	ck_assert_str_eq(ht_ostr(f, "status"), "open");
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "eval can be harmful.") != NULL, "message");
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "src/app.js:3:3") != NULL, "location: %s",
	              ht_ostr(f, "detail"));
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "Tool: ESLint 8.57.0") != NULL, "tool");
	json_decref(items);

	/* the same file again: nothing new, all present */
	r = import(W.x.admin.token, W.eng_ax2, "threat_model=IP-THEFT", "application/json", sarif,
	           len);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "created"), 0);
	ck_assert_int_eq(jint(r, "already_present"), (long long)results);
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax2), before + (long long)results);

	/* and under another threat model: still the same findings */
	r = import(W.x.admin.token, W.eng_ax2, "threat_model=WEIGHTS-EXFIL", "application/json",
	           sarif, len);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "created"), 0);
	ht_resp_free(r);
	json_decref(doc);
	free(sarif);
}
END_TEST

/* Written from the SARIF 2.1.0 specification (sections 3.27, 3.49, 3.19.23). */
static const char spec_doc[] =
    "{\"version\":\"2.1.0\",\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
    "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"SpecScan\",\"version\":\"1.2\","
    "\"rules\":["
    "{\"id\":\"SS001\",\"shortDescription\":{\"text\":\"Reflected cross-site scripting\"},"
    "\"helpUri\":\"https://example.test/SS001\","
    "\"properties\":{\"tags\":[\"security\",\"external/cwe/cwe-079\"],"
    "\"security-severity\":\"9.8\"}},"
    "{\"id\":\"SS002\",\"defaultConfiguration\":{\"level\":\"note\"},"
    "\"properties\":{\"tags\":[\"CWE-200\",\"cwe-200\",\"CWE-0\",\"not-a-cwe\"]}},"
    "{\"id\":\"SS003\",\"shortDescription\":{\"text\":\"Weak hash\"}}]}},"
    "\"properties\":{\"threat_model\":\"WEIGHTS-EXFIL\"},"
    "\"results\":["
    "{\"ruleId\":\"SS001\",\"message\":{\"text\":\"User input reaches the page %s\"},"
    "\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"web/a.js\"},"
    "\"region\":{\"startLine\":10,\"startColumn\":4}}}]},"
    "{\"ruleIndex\":1,\"message\":{\"text\":\"Token in a log line\"},"
    "\"properties\":{\"threat_model\":\"IP-THEFT\"},"
    "\"locations\":[{\"logicalLocations\":[{\"fullyQualifiedName\":\"svc::log\"}]}]},"
    "{\"ruleId\":\"SS003\",\"level\":\"none\",\"message\":{\"text\":\"MD5 used for ids\"}},"
    "{\"ruleId\":\"SS003\",\"kind\":\"pass\",\"message\":{\"text\":\"checked, fine\"}},"
    "{\"rule\":{\"id\":\"SS003\"},\"level\":\"warning\",\"message\":{\"text\":\"SHA-1 \\u00e9\"},"
    "\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"b.c\"},"
    "\"region\":{\"startLine\":2}}}]}"
    "]}]}";

START_TEST(test_sarif_spec)
{
	struct ht_resp *r;
	json_t *items, *f, *cwe;
	long long before = findings_of(W.eng_ax);

	/* a UTF-8 byte order mark before the document is allowed */
	char *body = ht_fmt("\xef\xbb\xbf%s", spec_doc);

	r = import_s(W.x.admin.token, W.eng_ax, NULL, "application/sarif+json; charset=utf-8",
	             body);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "created"), 4);
	ck_assert_int_eq(jint(r, "skipped"), 1); /* kind pass */
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax), before + 4);

	items = list_findings(W.x.admin.token, W.eng_ax);
	f = by_title(items, "SS001: Reflected cross-site scripting");
	ck_assert_msg(f != NULL, "SS001");
	ck_assert_str_eq(ht_ostr(f, "severity"), "critical");          /* security-severity 9.8 */
	ck_assert_str_eq(ht_ostr(f, "threat_model"), "WEIGHTS-EXFIL"); /* the run's */
	cwe = json_object_get(f, "cwe");
	ck_assert_int_eq(json_array_size(cwe), 1);
	ck_assert_str_eq(json_string_value(json_array_get(cwe, 0)), "CWE-79");
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "Help: https://example.test/SS001") != NULL,
	              "help");
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "web/a.js:10:4") != NULL, "location");

	f = by_title(items, "SS002");
	ck_assert_msg(f != NULL, "SS002 (no short description: the rule id)");
	ck_assert_str_eq(ht_ostr(f, "severity"), "low");          /* defaultConfiguration note */
	ck_assert_str_eq(ht_ostr(f, "threat_model"), "IP-THEFT"); /* the result's */
	cwe = json_object_get(f, "cwe");
	ck_assert_int_eq(json_array_size(cwe), 1); /* deduplicated, CWE-0 dropped */
	ck_assert_str_eq(json_string_value(json_array_get(cwe, 0)), "CWE-200");
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "svc::log") != NULL, "logical location");

	f = by_title(items, "SS003: Weak hash");
	ck_assert_msg(f != NULL, "SS003");
	json_decref(items);

	/* the severity of "level": none -> info, warning -> medium */
	r = import_s(W.x.admin.token, W.eng_ax, NULL, "application/sarif+json", spec_doc);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "created"), 0);
	ck_assert_int_eq(jint(r, "already_present"), 4);
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax), before + 4);
	free(body);
}
END_TEST

/* A malformed document: the status, problem slug and the first error's pointer. */
static const struct {
	const char *what;
	const char *query;
	const char *body;
	long status;
	const char *slug;
	const char *pointer; /* NULL: not checked */
	const char *field;
} sarif_bad[] = {
    {"not JSON", NULL, "{\"version\":", 422, "invalid-import", "", NULL},
    {"SARIF 2.0", NULL, "{\"version\":\"2.0.0\",\"runs\":[]}", 422, "invalid-import", "/version",
     NULL},
    {"no runs", NULL, "{\"version\":\"2.1.0\"}", 422, "invalid-import", "/runs", NULL},
    {"runs not an array", NULL, "{\"version\":\"2.1.0\",\"runs\":{}}", 422, "invalid-import",
     "/runs", NULL},
    {"a run not an object", NULL, "{\"version\":\"2.1.0\",\"runs\":[1]}", 422, "invalid-import",
     "/runs/0", NULL},
    {"no tool name", NULL, "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{}}]}", 422,
     "invalid-import", "/runs/0/tool/driver/name", NULL},
    {"results not an array", NULL,
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":7}]}",
     422, "invalid-import", "/runs/0/results", NULL},
    {"no message", "threat_model=IP-THEFT",
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{"
     "\"ruleId\":\"r\",\"message\":{\"text\":\"ok\"}},{\"ruleId\":\"r\",\"message\":{\"id\":"
     "\"m\"}}]}]}",
     422, "invalid-import", "/runs/0/results/1/message/text", NULL},
    {"bad level", "threat_model=IP-THEFT",
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{"
     "\"ruleId\":\"r\",\"level\":\"fatal\",\"message\":{\"text\":\"x\"}}]}]}",
     422, "invalid-import", "/runs/0/results/0/level", NULL},
    {"bad security-severity", "threat_model=IP-THEFT",
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{"
     "\"ruleId\":\"r\",\"properties\":{\"security-severity\":\"11\"},\"message\":{\"text\":"
     "\"x\"}}]}]}",
     422, "invalid-import", "/runs/0/results/0/properties/security-severity", NULL},
    {"no threat model", NULL,
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{"
     "\"ruleId\":\"r\",\"message\":{\"text\":\"x\"}}]}]}",
     422, "invalid-import", "/runs/0/results/0", "threat_model"},
    {"threat model outside the campaign", "threat_model=COMPUTE-MISUSE",
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{"
     "\"ruleId\":\"r\",\"message\":{\"text\":\"x\"}}]}]}",
     422, "invalid-import", "/runs/0/results/0", "threat_model"},
    {"unknown threat model in the file", NULL,
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"properties\":{"
     "\"threat_model\":\"NOPE\"},\"results\":[{\"ruleId\":\"r\",\"message\":{\"text\":\"x\"}}]}"
     "]}",
     422, "invalid-import", "/runs/0/results/0", "threat_model"},
    {"control character in the message", "threat_model=IP-THEFT",
     "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[{"
     "\"ruleId\":\"r\",\"message\":{\"text\":\"a\\u0000b\"}}]}]}",
     422, "invalid-import", "", NULL},
    {"duplicate key", NULL, "{\"version\":\"2.1.0\",\"version\":\"2.1.0\",\"runs\":[]}", 422,
     "invalid-import", "", NULL},
    {"invalid UTF-8", NULL, "{\"version\":\"2.1.0\",\"runs\":[],\"x\":\"\xc3\x28\"}", 422,
     "invalid-import", "", NULL},
    {"unknown threat model in the query", "threat_model=NOPE",
     "{\"version\":\"2.1.0\",\"runs\":[]}", 400, "bad-query", NULL, NULL},
};

START_TEST(test_sarif_malformed)
{
	long long before[HT_NCOUNTED], after[HT_NCOUNTED];
	size_t i;

	ck_assert_int_eq(ht_db_snapshot(before), 0);
	for (i = 0; i < sizeof(sarif_bad) / sizeof(sarif_bad[0]); i++) {
		struct ht_resp *r = import_s(W.x.admin.token, W.eng_ax, sarif_bad[i].query,
		                             "application/sarif+json", sarif_bad[i].body);

		ck_assert_msg(ht_is_problem(r, sarif_bad[i].status, sarif_bad[i].slug),
		              "%s: %ld %s", sarif_bad[i].what, r->status, HT_BODY(r));
		if (sarif_bad[i].pointer != NULL) {
			json_t *e = first_error(r);

			ck_assert_msg(ht_ostr(e, "pointer") &&
			                  strcmp(ht_ostr(e, "pointer"), sarif_bad[i].pointer) == 0,
			              "%s: pointer: %s", sarif_bad[i].what, HT_BODY(r));
			ck_assert_msg(ht_ostr(e, "reason") != NULL, "%s: no reason",
			              sarif_bad[i].what);
			if (sarif_bad[i].field)
				ck_assert_msg(ht_ostr(e, "field") &&
				                  strcmp(ht_ostr(e, "field"), sarif_bad[i].field) ==
				                      0,
				              "%s: field: %s", sarif_bad[i].what, HT_BODY(r));
		}
		ht_resp_free(r);
	}
	ck_assert_int_eq(ht_db_snapshot(after), 0);
	for (i = 0; i < HT_NCOUNTED; i++)
		ck_assert_msg(before[i] == after[i], "%s changed", ht_counted_tables[i]);
}
END_TEST

/* Hostile shapes: deep nesting, a huge array, too many findings, an oversize body. */
START_TEST(test_sarif_hostile)
{
	long long before = findings_of(W.eng_ax);
	struct ht_resp *r;
	char *deep, *many, *big;
	size_t i, n, off;

	/* nesting 5000 deep inside properties */
	n = 5000;
	deep = malloc(n * 2 + 200);
	off = (size_t)sprintf(deep, "{\"version\":\"2.1.0\",\"runs\":[],\"properties\":");
	for (i = 0; i < n; i++)
		deep[off++] = '[';
	for (i = 0; i < n; i++)
		deep[off++] = ']';
	deep[off++] = '}';
	deep[off] = '\0';
	r = import_s(W.x.admin.token, W.eng_ax, NULL, "application/json", deep);
	first_error(r);
	ht_resp_free(r);

	/* 1001 results: over the limit of one import; nothing is created */
	{
		size_t cap = 1001 * 64 + 200;

		many = malloc(cap);
		off =
		    (size_t)sprintf(many, "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
		                          "\"name\":\"t\"}},\"results\":[");
		for (i = 0; i < 1001; i++)
			off += (size_t)snprintf(
			    many + off, cap - off,
			    "{\"ruleId\":\"r%zu\",\"message\":{\"text\":\"x\"}},", i);
		many[off - 1] = ']';
		off += (size_t)snprintf(many + off, cap - off, "}]}");
	}
	r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "application/json", many);
	ck_assert_msg(strstr(ht_ostr(first_error(r), "reason"), "at most 1000") != NULL, "%s",
	              HT_BODY(r));
	ck_assert_str_eq(ht_ostr(first_error(r), "pointer"), "/runs/0/results/1000");
	ht_resp_free(r);

	/* over the body limit (4 MiB): 413 */
	n = 4 * 1048576 + 10;
	big = malloc(n + 1);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	r = import(W.x.admin.token, W.eng_ax, NULL, "application/json", big, n);
	HT_ASSERT_PROBLEM(r, 413, "payload-too-large");
	ht_resp_free(r);

	/* wrong media type, empty body */
	r = import_s(W.x.admin.token, W.eng_ax, NULL, "application/xml", "<sarif/>");
	HT_ASSERT_PROBLEM(r, 415, "unsupported-media-type");
	ht_resp_free(r);
	r = import_s(W.x.admin.token, W.eng_ax, NULL, "text/csv; charset=latin1", "a,b\n");
	HT_ASSERT_PROBLEM(r, 415, "unsupported-media-type");
	ht_resp_free(r);
	r = import(W.x.admin.token, W.eng_ax, NULL, "text/csv", "", 0);
	HT_ASSERT_PROBLEM(r, 400, "bad-request");
	ht_resp_free(r);

	ck_assert_int_eq(findings_of(W.eng_ax), before);
	free(deep);
	free(many);
	free(big);
}
END_TEST

/* ----------------------------------------------------------------- CSV */

START_TEST(test_csv_import)
{
	long long before = findings_of(W.eng_ax);
	struct ht_resp *r;
	json_t *items, *f;
	const char *csv =
	    "\xef\xbb\xbf"
	    "title,detail,severity,cwe,location,threat_model\r\n"
	    "CSV plain finding,Simple detail,low,,,\r\n"
	    "\"CSV, quoted \"\"title\"\"\",\"line one\r\nline two, with comma\",HIGH-not,,,\r\n";

	/* row 3's severity is wrong: nothing at all is imported */
	r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "text/csv", csv);
	{
		json_t *e = first_error(r);

		ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), 3);
		ck_assert_int_eq(json_integer_value(json_object_get(e, "line")), 3);
		ck_assert_str_eq(ht_ostr(e, "field"), "severity");
	}
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax), before);

	csv = "\xef\xbb\xbf"
	      "title,detail,severity,cwe,location,threat_model\r\n"
	      "CSV plain finding,Simple detail,low,,,\r\n"
	      "\"CSV, quoted \"\"title\"\"\",\"line one\r\nline two, with comma\",high,"
	      "CWE-79;CWE-352,api/x.c:12,WEIGHTS-EXFIL\r\n"
	      "\n"
	      "\"=HYPERLINK(\"\"http://evil.test\"\")\",formula,info,,,";
	r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "text/csv", csv);
	HT_ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "created"), 3);
	ck_assert_str_eq(ht_jstr(r, "format"), "csv");
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(r->json, "findings"), 2), "row")),
	                 4); /* records are counted, the header is row 1, empty lines are not */
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax), before + 3);

	items = list_findings(W.x.admin.token, W.eng_ax);
	f = by_title(items, "CSV, quoted \"title\"");
	ck_assert_msg(f != NULL, "quoted title");
	ck_assert_msg(strncmp(ht_ostr(f, "detail"), "line one\r\nline two, with comma", 30) == 0,
	              "detail: %s", ht_ostr(f, "detail"));
	ck_assert_msg(strstr(ht_ostr(f, "detail"), "Location: api/x.c:12") != NULL, "location");
	ck_assert_str_eq(ht_ostr(f, "threat_model"), "WEIGHTS-EXFIL");
	ck_assert_int_eq(json_array_size(json_object_get(f, "cwe")), 2);
	f = by_title(items, "CSV plain finding");
	ck_assert_msg(f != NULL, "plain");
	ck_assert_str_eq(ht_ostr(f, "threat_model"), "IP-THEFT");
	json_decref(items);

	/* again: nothing new */
	r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "text/csv", csv);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "created"), 0);
	ck_assert_int_eq(jint(r, "already_present"), 3);
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax), before + 3);
}
END_TEST

/* One of the imports sent at once (a thread each). */
struct import_job {
	const char *csv;
	long status, created, present;
};

static void *
import_one(void *arg)
{
	struct import_job *j = arg;
	struct ht_resp *r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "text/csv",
	                             j->csv);
	json_t *c = json_object_get(r->json, "created"), *p = json_object_get(r->json, "already_present");

	j->status = r->status;
	j->created = json_is_integer(c) ? json_integer_value(c) : -1;
	j->present = json_is_integer(p) ? json_integer_value(p) : -1;
	ht_resp_free(r);
	return NULL;
}

/*
 * The same file imported four times at once: one import creates every
 * finding, the others answer 200 with every one already present (one of
 * them used to get 409 from the fingerprint's primary key); nothing twice.
 */
START_TEST(test_csv_import_concurrent)
{
	long long before = findings_of(W.eng_ax);
	char *tag = ht_unique("concurrent-import");
	struct import_job jobs[4];
	pthread_t t[4];
	char *csv = ht_fmt("title,detail,severity\r\n");
	int created = 0, present = 0;

	for (int i = 0; i < 30; i++) {
		char *more = ht_fmt("%s%s row %d,detail %d,medium\r\n", csv, tag, i, i);

		free(csv);
		csv = more;
	}
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct import_job){csv, 0, 0, 0};
		ck_assert(pthread_create(&t[i], NULL, import_one, &jobs[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		if (jobs[i].status == 201 && jobs[i].created == 30 && jobs[i].present == 0)
			created++;
		else if (jobs[i].status == 200 && jobs[i].created == 0 && jobs[i].present == 30)
			present++;
		else
			ck_abort_msg("a concurrent import answered %ld (created %ld, present %ld)",
			             jobs[i].status, jobs[i].created, jobs[i].present);
	}
	ck_assert_msg(created == 1 && present == 3, "%d imports created, %d found all present",
	              created, present);
	ck_assert_int_eq(findings_of(W.eng_ax), before + 30);
	free(csv);
	free(tag);
}
END_TEST

static const struct {
	const char *what;
	const char *csv;
	long long row;  /* 0: not checked */
	long long line; /* 0: not checked */
	const char *field;
} csv_bad[] = {
    {"unknown column", "title,detail,severity,owner\nt,d,low,x\n", 1, 1, "owner"},
    {"column twice", "title,title,detail,severity\nt,t,d,low\n", 1, 1, "title"},
    {"missing column", "title,detail\nt,d\n", 1, 1, "severity"},
    {"short row", "title,detail,severity\nt,d,low\nt2,d2\n", 3, 3, NULL},
    {"unclosed quote", "title,detail,severity\nt,\"d,low\n", 0, 2, NULL},
    {"quote inside a field", "title,detail,severity\nt,d\"x,low\n", 0, 2, NULL},
    {"text after a quote", "title,detail,severity\nt,\"d\"x,low\n", 0, 2, NULL},
    {"empty title", "title,detail,severity\n,d,low\n", 2, 2, "title"},
    {"control character", "title,detail,severity\n\"a\x01\",d,low\n", 2, 2, "title"},
    {"bad CWE", "title,detail,severity,cwe\nt,d,low,CWE-x\n", 2, 2, "cwe"},
    {"bad CVSS", "title,detail,severity,cvss\nt,d,low,CVSS:9/x\n", 2, 2, "cvss"},
    {"NUL byte", NULL, 0, 0, NULL},
    {"invalid UTF-8", "title,detail,severity\n\xff,d,low\n", 0, 0, NULL},
    {"empty file", "\xef\xbb\xbf\r\n", 1, 0, NULL},
};

START_TEST(test_csv_bad)
{
	long long before = findings_of(W.eng_ax);
	size_t i;

	for (i = 0; i < sizeof(csv_bad) / sizeof(csv_bad[0]); i++) {
		static const char nul[] = "title,detail,severity\nt,d\0x,low\n";
		struct ht_resp *r =
		    csv_bad[i].csv ? import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT",
		                              "text/csv", csv_bad[i].csv)
		                   : import(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT",
		                            "text/csv", nul, sizeof(nul) - 1);
		json_t *e = first_error(r);

		if (csv_bad[i].row)
			ck_assert_msg(json_integer_value(json_object_get(e, "row")) ==
			                  csv_bad[i].row,
			              "%s: row: %s", csv_bad[i].what, HT_BODY(r));
		if (csv_bad[i].line)
			ck_assert_msg(json_integer_value(json_object_get(e, "line")) ==
			                  csv_bad[i].line,
			              "%s: line: %s", csv_bad[i].what, HT_BODY(r));
		if (csv_bad[i].field)
			ck_assert_msg(ht_ostr(e, "field") &&
			                  strcmp(ht_ostr(e, "field"), csv_bad[i].field) == 0,
			              "%s: field: %s", csv_bad[i].what, HT_BODY(r));
		ht_resp_free(r);
	}
	ck_assert_int_eq(findings_of(W.eng_ax), before);
}
END_TEST

/* -------------------------------------------------------------- export */

static const char csv_header[] = "threat_model,title,detail,severity,cwe,atlas,cvss,id,"
                                 "status,response,created_at,updated_at\r\n";

START_TEST(test_csv_export)
{
	char *path = ht_fmt("/api/v1/engagements/%s/findings.csv", W.eng_ax);
	const char *csv = "title,detail,severity\r\n"
	                  "\"=cmd|' /C calc'!A0\",\"+formula, \"\"quoted\"\"\r\nnext\",medium\r\n"
	                  "@SUM(1+1),-2+3,low\r\n";
	struct ht_resp *r;
	const char *who[] = {W.a.admin.token, W.x.admin.token};

	r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "text/csv", csv);
	ck_assert_msg(r->status == 201 || r->status == 200, "%s", HT_BODY(r));
	ht_resp_free(r);

	for (size_t k = 0; k < 2; k++) {
		r = ht_request("GET", path, who[k], NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(strncmp(r->content_type, "text/csv", 8) == 0, "type %s",
		              r->content_type);
		ck_assert_msg(strncmp(r->body, csv_header, strlen(csv_header)) == 0,
		              "header: %.200s", r->body);
		/* the world's finding, and the formula cells neutralised, quoted */
		ck_assert_msg(strstr(r->body, W.mark_a) != NULL, "the world's finding");
		ck_assert_msg(strstr(r->body, "\"'=cmd|' /C calc'!A0\"") != NULL, "= cell: %s",
		              HT_BODY(r));
		ck_assert_msg(strstr(r->body, "\"'+formula, \"\"quoted\"\"\r\nnext\"") != NULL,
		              "+ cell");
		ck_assert_msg(strstr(r->body, "\"'@SUM(1+1)\"") != NULL, "@ cell");
		ck_assert_msg(strstr(r->body, "\"'-2+3\"") != NULL, "- cell");
		ck_assert_msg(strstr(r->body, ",=") == NULL && strstr(r->body, "\n=") == NULL,
		              "a bare formula");
		{
			char *cc = ht_header(r, "Cache-Control");

			ck_assert_msg(cc && strstr(cc, "no-store"), "Cache-Control: %s",
			              cc ? cc : "(none)");
			free(cc);
		}
		ht_resp_free(r);
	}
	free(path);
}
END_TEST

/* ---------------------------------------------------------------- OSCAL */

/* Validate the JSON text doc with tests/oscal/validate.py; its exit status. */
static int
oscal_validate(const char *doc, size_t len)
{
	char path[] = "/tmp/lockstep-oscal-XXXXXX";
	int fd = mkstemp(path), st = -1;
	char *schema = ht_fmt("%s/oscal_assessment-results_schema-1.1.2.json", HT_OSCAL);
	char *script = ht_fmt("%s/validate.py", HT_OSCAL);
	char *argv[] = {(char *)"/usr/bin/python3", script, schema, path, NULL};
	size_t n = 0;
	char *out;

	ck_assert_msg(fd >= 0, "mkstemp");
	ck_assert_int_eq(write(fd, doc, len), (ssize_t)len);
	close(fd);
	if (access(argv[0], X_OK) != 0)
		ht_skip("no /usr/bin/python3 to validate OSCAL with");
	out = ht_run_capture(argv, &n, &st);
	ck_assert_msg(out != NULL, "cannot run %s", script);
	if (st == 77)
		ht_skip("python3-jsonschema is not installed (deploy/local installs it)");
	free(out);
	unlink(path);
	free(script);
	free(schema);
	return st;
}

/* The props value named name of o (borrowed), or NULL. */
static const char *
prop(const json_t *o, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(o, "props"), i, p)
	{
		if (strcmp(ht_ostr(p, "name"), name) == 0)
			return ht_ostr(p, "value");
	}
	return NULL;
}

START_TEST(test_oscal)
{
	char *path = ht_fmt("/api/v1/engagements/%s/oscal", W.eng_ax);
	const char *who[] = {W.a.admin.token, W.x.admin.token};
	struct ht_resp *r;
	json_t *res, *obs, *risks, *finds, *v;
	size_t i;
	int seen_world = 0, seen_claim = 0;

	/* a finding answered by the company, so risks carry a remark and a status */
	{
		char *fp = ht_fmt("/api/v1/findings/%s", W.finding_a);

		r = ht_request("PATCH", fp, W.a.admin.token,
		               "{\"status\":\"remediating\",\"response\":\"  Fixing it.\\n\"}");
		ck_assert_msg(r->status == 200, "%s", HT_BODY(r));
		ht_resp_free(r);
		free(fp);
	}
	for (size_t k = 0; k < 2; k++) {
		r = ht_request("GET", path, who[k], NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(r->json != NULL, "not JSON");
		ck_assert_msg(oscal_validate(r->body, r->body_len) == 0,
		              "the OSCAL document does not validate against NIST's schema");
		res = json_array_get(
		    json_object_get(json_object_get(r->json, "assessment-results"), "results"), 0);
		ck_assert_msg(res != NULL, "no result");
		ck_assert_str_eq(prop(res, "engagement-id"), W.eng_ax);
		obs = json_object_get(res, "observations");
		risks = json_object_get(res, "risks");
		finds = json_object_get(res, "findings");
		ck_assert_int_eq(json_array_size(obs), json_array_size(risks));
		ck_assert_int_eq(json_array_size(obs), findings_of(W.eng_ax));
		json_array_foreach(risks, i, v)
		{
			if (strstr(ht_ostr(v, "title"), W.mark_a) == NULL)
				continue;
			seen_world = 1;
			ck_assert_str_eq(ht_ostr(v, "status"), "remediating");
			ck_assert_str_eq(
			    ht_ostr(json_array_get(json_object_get(v, "remediations"), 0),
			            "description"),
			    "Fixing it.");
			ck_assert_str_eq(
			    ht_ostr(json_array_get(json_object_get(v, "related-observations"), 0),
			            "observation-uuid"),
			    W.finding_a);
		}
		json_array_foreach(finds, i, v)
		{
			if (strcmp(ht_ostr(json_object_get(v, "target"), "target-id"),
			           "WEIGHTS-EXFIL") != 0)
				continue;
			seen_claim = 1;
			ck_assert_msg(strstr(ht_ostr(v, "description"), W.pub_a) != NULL, "claim");
			ck_assert_str_eq(
			    ht_ostr(json_object_get(json_object_get(v, "target"), "status"),
			            "state"),
			    "satisfied");
		}
		ck_assert_msg(seen_world && seen_claim, "the world's finding or claim is missing");

		/* the validator can fail: the same document without its results is refused */
		json_object_del(json_object_get(r->json, "assessment-results"), "results");
		{
			char *broken = json_dumps(r->json, 0);

			ck_assert_int_eq(oscal_validate(broken, strlen(broken)), 1);
			free(broken);
		}
		ht_resp_free(r);
	}
	free(path);
}
END_TEST

/* --------------------------------------------------------------- report */

START_TEST(test_report)
{
	char *path = ht_fmt("/api/v1/engagements/%s/report", W.eng_ax);
	const char *who[] = {W.a.admin.token, W.x.admin.token};
	const char *csv =
	    "title,detail,severity\r\n"
	    "\"<img src=x onerror=alert(1)> report\",\"<script>alert(2)</script>\",critical\r\n";
	struct ht_resp *r;

	r = import_s(W.x.admin.token, W.eng_ax, "threat_model=IP-THEFT", "text/csv", csv);
	ck_assert_msg(r->status == 201 || r->status == 200, "%s", HT_BODY(r));
	ht_resp_free(r);
	for (size_t k = 0; k < 2; k++) {
		char *csp, *cc;

		r = ht_request("GET", path, who[k], NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(strncmp(r->content_type, "text/html", 9) == 0, "%s", r->content_type);
		csp = ht_header(r, "Content-Security-Policy");
		cc = ht_header(r, "Cache-Control");
		ck_assert_msg(csp && strstr(csp, "default-src 'none'") &&
		                  !strstr(csp, "script-src"),
		              "CSP: %s", csp ? csp : "(none)");
		ck_assert_msg(cc && strstr(cc, "no-store"), "Cache-Control");
		ck_assert_msg(strstr(r->body, "<script") == NULL && strstr(r->body, "<img") == NULL,
		              "markup from a finding was not escaped");
		ck_assert_msg(strstr(r->body, "&lt;img src=x onerror=alert(1)&gt; report") != NULL,
		              "the finding's title");
		ck_assert_msg(strstr(r->body, W.mark_a) != NULL, "the world's finding");
		ck_assert_msg(strstr(r->body, W.pub_a) != NULL, "the claim's summary");
		ck_assert_msg(strstr(r->body, "href=\"/web/report.css\"") != NULL, "stylesheet");
		free(csp);
		free(cc);
		ht_resp_free(r);
	}
	r = ht_request("GET", "/web/report.css", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, "@media print") != NULL, "print rules");
	ht_resp_free(r);
	free(path);
}
END_TEST

/* ------------------------------------------------- publication as OSCAL */

/* POST body (stolen) to path as the coordinator; the answer's id (malloc'd). */
static char *
coord_create(const char *path, json_t *body)
{
	char *text = ht_jdump(body);
	struct ht_resp *r = ht_request("POST", path, W.coord.token, text);
	char *id;

	HT_ASSERT_STATUS(r, 201);
	id = strdup(ht_jstr(r, "id"));
	ht_resp_free(r);
	free(text);
	return id;
}

START_TEST(test_publication_oscal)
{
	const char *modes[] = {"named", "aggregate"};
	char *slugs[2], *engs[2], *path, *ref;
	time_t t0 = time(NULL) + 6;
	char at[32];
	struct tm tm;
	struct ht_resp *r, *r2;

	gmtime_r(&t0, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (int m = 0; m < 2; m++) {
		char *title = ht_fmt("OSCAL %s %s", modes[m], W.tag);
		char *camp, *eng, *p, *claim;

		slugs[m] = ht_unique("oscal");
		camp = coord_create("/api/v1/campaigns",
		                    json_pack("{s:s, s:s, s:[s], s:s, s:s, s:i}", "title", title,
		                              "slug", slugs[m], "threat_models", "WEIGHTS-EXFIL",
		                              "release_at", at, "disclosure", modes[m],
		                              "min_cohort", 1));
		p = ht_fmt("/api/v1/campaigns/%s/engagements", camp);
		eng = coord_create(p, json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id,
		                                "assessor_org", W.x.org_id, "scope", W.mark_a,
		                                "lead_assessors", "Olga Scal"));
		free(p);
		/* findings are recorded in fieldwork (the engagement stages) */
		ck_assert_int_eq(ht_stage(W.coord.token, eng, "fieldwork"), 200);
		/* a confidential finding and a public claim */
		p = ht_fmt("/api/v1/engagements/%s/findings", eng);
		r = ht_request(
		    "POST", p, W.x.admin.token,
		    "{\"threat_model\":\"WEIGHTS-EXFIL\",\"title\":\"secret oscal title\","
		    "\"detail\":\"secret oscal detail\",\"severity\":\"high\"}");
		HT_ASSERT_STATUS(r, 201);
		ht_resp_free(r);
		free(p);
		p = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", eng);
		claim = "{\"level\":\"OC3\",\"summary\":\"Held against OC3 in the OSCAL test.\"}";
		r = ht_request("PUT", p, W.x.admin.token, claim);
		HT_ASSERT_STATUS(r, 200);
		ht_resp_free(r);
		free(p);
		engs[m] = eng;
		free(camp);
		free(title);
	}
	/* before the release: the same 404 as a slug that never existed */
	path = ht_fmt("/api/v1/publications/%s/oscal", slugs[0]);
	ref = ht_fmt("/api/v1/publications/%s/oscal", "never-existed-oscal");
	r = ht_request("GET", path, NULL, NULL);
	r2 = ht_request("GET", ref, NULL, NULL);
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ck_assert_msg(r->body_len == r2->body_len && memcmp(r->body, r2->body, r->body_len) == 0,
	              "embargoed and unknown differ");
	ht_resp_free(r);
	ht_resp_free(r2);
	free(path);

	while (time(NULL) < t0)
		usleep(100000);
	for (int m = 0; m < 2; m++) {
		json_t *res;

		path = ht_fmt("/api/v1/publications/%s/oscal", slugs[m]);
		for (int i = 0; i < 300; i++) {
			r = ht_request("GET", path, NULL, NULL);
			if (r->status == 200)
				break;
			ht_resp_free(r);
			r = NULL;
			usleep(100000);
		}
		ck_assert_msg(r != NULL, "%s was not published", slugs[m]);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_msg(oscal_validate(r->body, r->body_len) == 0,
		              "the publication's OSCAL (%s) does not validate", modes[m]);
		ck_assert_msg(!ht_mem_contains(r->body, r->body_len, "secret oscal") &&
		                  !ht_mem_contains(r->body, r->body_len, W.mark_a),
		              "confidential text in the public OSCAL");
		res = json_array_get(
		    json_object_get(json_object_get(r->json, "assessment-results"), "results"), 0);
		ck_assert_msg(res != NULL, "no result");
		if (m == 0) {
			ck_assert_msg(strstr(ht_ostr(res, "title"), W.a.org_name) != NULL,
			              "named: the company: %s", ht_ostr(res, "title"));
			ck_assert_msg(ht_mem_contains(r->body, r->body_len,
			                              "Held against OC3 in the OSCAL test."),
			              "the claim's summary");
		} else {
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.a.org_name),
			              "aggregate: a company name");
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, "Held against OC3"),
			              "aggregate: a claim's summary");
		}
		ht_resp_free(r);
		free(path);
		free(slugs[m]);
		/* a released campaign takes no import: 409, nothing written */
		{
			long long before = findings_of(engs[m]);

			r = import_s(W.x.admin.token, engs[m], "threat_model=WEIGHTS-EXFIL",
			             "text/csv", "title,detail,severity\nlate,too late,low\n");
			HT_ASSERT_PROBLEM(r, 409, "invalid-state");
			ht_resp_free(r);
			ck_assert_int_eq(findings_of(engs[m]), before);
		}
		free(engs[m]);
	}
	free(ref);
}
END_TEST

/* -------------------------------------------------------------- tenancy */

START_TEST(test_tenancy)
{
	char none[37];
	const char *sarif = spec_doc;
	struct {
		const char *who;
		const char *token;
	} other_import[] = {{"assessor Y", W.y.admin.token},
	                    {"company A", W.a.admin.token},
	                    {"company B", W.b.admin.token},
	                    {"coordinator", W.coord.token}},
	  other_export[] = {{"assessor Y", W.y.admin.token},
	                    {"company B", W.b.admin.token},
	                    {"coordinator", W.coord.token}};
	long long before = findings_of(W.eng_ax);
	struct ht_resp *ref, *r;
	char *csv_path, *ref_path;
	const char *exports[] = {"findings.csv", "oscal", "report"};

	ht_random_uuid(none);
	for (size_t i = 0; i < sizeof(other_import) / sizeof(other_import[0]); i++) {
		const char *types[] = {"application/sarif+json", "text/csv", "application/xml"};

		for (size_t t = 0; t < 3; t++) {
			ref = import_s(other_import[i].token, none, NULL, types[t], sarif);
			r = import_s(other_import[i].token, W.eng_ax, NULL, types[t], sarif);
			HT_ASSERT_PROBLEM(r, 404, "not-found");
			ck_assert_msg(r->body_len == ref->body_len &&
			                  memcmp(r->body, ref->body, r->body_len) == 0,
			              "%s import %s: %s vs %s", other_import[i].who, types[t],
			              r->body, ref->body);
			ht_resp_free(r);
			ht_resp_free(ref);
		}
	}
	r = import_s(NULL, W.eng_ax, NULL, "application/json", sarif);
	HT_ASSERT_PROBLEM(r, 401, "unauthorized");
	ht_resp_free(r);
	ck_assert_int_eq(findings_of(W.eng_ax), before);

	for (size_t e = 0; e < sizeof(exports) / sizeof(exports[0]); e++) {
		csv_path = ht_fmt("/api/v1/engagements/%s/%s", W.eng_ax, exports[e]);
		ref_path = ht_fmt("/api/v1/engagements/%s/%s", none, exports[e]);
		for (size_t i = 0; i < sizeof(other_export) / sizeof(other_export[0]); i++) {
			ref = ht_request("GET", ref_path, other_export[i].token, NULL);
			r = ht_request("GET", csv_path, other_export[i].token, NULL);
			HT_ASSERT_PROBLEM(r, 404, "not-found");
			ck_assert_msg(r->body_len == ref->body_len &&
			                  memcmp(r->body, ref->body, r->body_len) == 0,
			              "%s export", other_export[i].who);
			ck_assert_msg(!ht_mem_contains(r->body, r->body_len, W.mark_a), "leak");
			ht_resp_free(r);
			ht_resp_free(ref);
		}
		r = ht_request("GET", csv_path, NULL, NULL);
		HT_ASSERT_PROBLEM(r, 401, "unauthorized");
		ht_resp_free(r);
		free(csv_path);
		free(ref_path);
	}
}
END_TEST

static Suite *
formats_suite(void)
{
	Suite *s = suite_create("formats");
	TCase *tc = tcase_create("formats");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sarif_eslint);
	tcase_add_test(tc, test_sarif_spec);
	tcase_add_test(tc, test_sarif_malformed);
	tcase_add_test(tc, test_sarif_hostile);
	tcase_add_test(tc, test_csv_import);
	tcase_add_test(tc, test_csv_import_concurrent);
	tcase_add_test(tc, test_csv_bad);
	tcase_add_test(tc, test_csv_export);
	tcase_add_test(tc, test_oscal);
	tcase_add_test(tc, test_report);
	tcase_add_test(tc, test_publication_oscal);
	tcase_add_test(tc, test_tenancy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ht_main_world(&W, formats_suite);
}

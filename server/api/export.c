/*
 * api/export.c: see export.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/export.h"

#define EXPORT_PAGE 200

void
api_export_clear(struct api_export *x)
{
	store_engagement_clear(&x->e);
	store_findings_free(x->rows, x->n);
	store_claims_free(x->claims, x->nclaims);
	memset(x, 0, sizeof(*x));
}

int
api_export_load(struct db_conn *c, const struct http_request *r, const char *id, const char *format,
                struct api_export *x, struct api_res *res)
{
	struct api_engagement ae;
	const char *after = NULL;
	char after_id[DB_UUID_LEN + 1];
	int rc;

	api_export_clear(x);
	if ((rc = api_engagement_load(c, r, id, API_AS_PARTICIPANT, &ae, res)) != DB_OK)
		return rc;
	api_engagement_clear(&ae);
	if ((rc = store_engagement_get(c, id, &x->e)) != DB_OK)
		return rc;
	for (;;) {
		struct store_finding *page = NULL, *all;
		int m = 0;

		if ((rc = store_finding_list(c, id, after, EXPORT_PAGE, &page, &m)) != DB_OK)
			return rc;
		if (m > 0 && x->n + m <= API_EXPORT_MAX_FINDINGS) {
			all = realloc(x->rows, (size_t)(x->n + m) * sizeof(*all));
			if (all == NULL) {
				store_findings_free(page, m);
				return DB_ERROR;
			}
			x->rows = all;
			memcpy(x->rows + x->n, page, (size_t)m * sizeof(*page));
			x->n += m;
			free(page); /* its members now belong to x->rows */
		} else {
			store_findings_free(page, m);
		}
		if (m < EXPORT_PAGE || x->n >= API_EXPORT_MAX_FINDINGS)
			break;
		memcpy(after_id, x->rows[x->n - 1].id, sizeof(after_id));
		after = after_id;
	}
	if ((rc = store_claim_list(c, id, &x->claims, &x->nclaims)) != DB_OK)
		return rc;
	return api_audit(c, r, "finding.export", "engagement", id, NULL, NULL,
	                 json_pack("{s:s, s:i}", "format", format, "findings", x->n));
}

void
api_now_rfc3339(char *out, size_t outlen)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- OSCAL ---- */

#define OSCAL_NS "urn:lockstep:oscal"
#define OSCAL_VERSION "1.1.2"

/*
 * A stable UUID (version 4 layout) for what, derived from SHA-256 of the
 * parts: the same engagement, finding or claim gets the same UUID in every
 * export, and different kinds of object never share one.
 */
static void
oscal_uuid(char out[DB_UUID_LEN + 1], const char *kind, const char *a, const char *b)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	char *in = NULL;
	static const char hex[] = "0123456789abcdef";
	int o = 0;

	if (asprintf(&in, "lockstep-oscal\n%s\n%s\n%s", kind, a ? a : "", b ? b : "") < 0 ||
	    crypto_sha256(in, strlen(in), h) != 0)
		memset(h, 0, sizeof(h));
	free(in);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x40);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[h[i] >> 4];
		out[o++] = hex[h[i] & 15];
	}
	out[o] = '\0';
}

/*
 * A markup-line / string value: control characters become spaces, leading
 * and trailing white space goes (OSCAL's string pattern), "" becomes dflt.
 * A new JSON string.
 */
static json_t *
oscal_line(const char *s, const char *dflt)
{
	size_t n = s ? strlen(s) : 0, a = 0;
	char *t;
	json_t *j;

	if (n == 0)
		return json_string(dflt);
	if ((t = strdup(s)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			t[i] = ' ';
	while (a < n && t[a] == ' ')
		a++;
	while (n > a && t[n - 1] == ' ')
		n--;
	t[n] = '\0';
	j = json_string(n > a ? t + a : dflt);
	free(t);
	return j;
}

/* A multi-line text with no leading or trailing white space (markup-multiline). */
static json_t *
oscal_text(const char *s, const char *dflt)
{
	size_t n = s ? strlen(s) : 0, a = 0;

	while (a < n && (s[a] == ' ' || s[a] == '\n' || s[a] == '\r' || s[a] == '\t'))
		a++;
	while (n > a &&
	       (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		n--;
	if (n == a)
		return json_string(dflt);
	return json_stringn(s + a, n - a);
}

/* Append {name, ns, value} to props (a lockstep property). */
static void
oscal_prop(json_t *props, const char *name, const char *value)
{
	json_t *v = oscal_line(value, NULL);

	if (v == NULL || json_string_length(v) == 0) {
		json_decref(v);
		return;
	}
	json_array_append_new(
	    props, json_pack("{s:s, s:s, s:o}", "name", name, "ns", OSCAL_NS, "value", v));
}

/* lockstep's finding status as an OSCAL risk status. */
static const char *
oscal_risk_status(const char *status)
{
	if (strcmp(status, "open") == 0)
		return "open";
	if (strcmp(status, "remediating") == 0)
		return "remediating";
	if (strcmp(status, "accepted") == 0)
		return "deviation-approved";
	return "closed"; /* remediated, false-positive */
}

json_t *
api_oscal_engagement(const struct api_export *x, const char *now)
{
	const struct store_engagement *e = &x->e;
	char doc_uuid[DB_UUID_LEN + 1], res_uuid[DB_UUID_LEN + 1], u[DB_UUID_LEN + 1];
	char pcompany[DB_UUID_LEN + 1], passessor[DB_UUID_LEN + 1];
	json_t *observations = json_array(), *risks = json_array(), *findings = json_array();
	json_t *result = NULL, *doc = NULL, *props, *parties, *tm;
	char *title = NULL, *desc = NULL;
	size_t k;

	if (observations == NULL || risks == NULL || findings == NULL)
		goto fail;
	oscal_uuid(doc_uuid, "document", e->id, now);
	oscal_uuid(res_uuid, "result", e->id, NULL);
	oscal_uuid(pcompany, "party", e->company_org_id, NULL);
	oscal_uuid(passessor, "party", e->assessor_org_id, NULL);

	for (int i = 0; i < x->n; i++) {
		const struct store_finding *f = &x->rows[i];
		json_t *op = json_array(), *rp = json_array(), *risk, *v;
		size_t j;

		oscal_prop(op, "threat-model", f->threat_model);
		oscal_prop(op, "severity", f->severity);
		json_array_append_new(
		    observations,
		    json_pack("{s:s, s:o, s:o, s:[s], s:[s], s:o, s:s}", "uuid", f->id, "title",
		              oscal_line(json_string_value(f->title), "Untitled finding"),
		              "description", oscal_text(json_string_value(f->detail), "No detail."),
		              "methods", "TEST", "types", "finding", "props", op, "collected",
		              f->created_at));
		oscal_prop(rp, "threat-model", f->threat_model);
		oscal_prop(rp, "severity", f->severity);
		oscal_prop(rp, "lockstep-status", f->status);
		json_array_foreach(f->cwe, j, v) oscal_prop(rp, "cwe", json_string_value(v));
		json_array_foreach(f->atlas, j, v)
		    oscal_prop(rp, "mitre-atlas", json_string_value(v));
		if (f->cvss != NULL)
			oscal_prop(rp, "cvss-vector", f->cvss);
		oscal_uuid(u, "risk", f->id, NULL);
		risk =
		    json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:[{s:s}]}", "uuid", u, "title",
		              oscal_line(json_string_value(f->title), "Untitled finding"),
		              "description", oscal_text(json_string_value(f->detail), "No detail."),
		              "statement", oscal_text(json_string_value(f->detail), "No detail."),
		              "status", oscal_risk_status(f->status), "props", rp,
		              "related-observations", "observation-uuid", f->id);
		if (risk != NULL && json_is_string(f->response) &&
		    json_string_length(f->response) > 0) {
			/* the company's answer, as the risk's response */
			oscal_uuid(u, "response", f->id, NULL);
			json_object_set_new(
			    risk, "remediations",
			    json_pack("[{s:s, s:s, s:s, s:o}]", "uuid", u, "lifecycle",
			              strcmp(f->status, "remediated") == 0 ? "completed"
			                                                   : "planned",
			              "title", "The company's response", "description",
			              oscal_text(json_string_value(f->response), "None.")));
		}
		json_array_append_new(risks, risk);
	}
	/* each claim: a finding against its threat model, with the risks of that model */
	json_array_foreach(e->threat_models, k, tm)
	{
		const char *code = json_string_value(tm);
		const struct store_claim *cl = NULL;
		json_t *fp = json_array(), *rr = json_array(), *status, *fd;

		for (int i = 0; i < x->nclaims; i++)
			if (strcmp(x->claims[i].threat_model, code) == 0)
				cl = &x->claims[i];
		for (int i = 0; i < x->n; i++) {
			if (strcmp(x->rows[i].threat_model, code) != 0)
				continue;
			oscal_uuid(u, "risk", x->rows[i].id, NULL);
			json_array_append_new(rr, json_pack("{s:s}", "risk-uuid", u));
		}
		oscal_prop(fp, "threat-model", code);
		oscal_prop(fp, "robust-up-to", cl ? cl->level : "not-assessed");
		if (cl != NULL && strcmp(cl->level, "not-assessed") != 0)
			status = json_pack("{s:s}", "state", "satisfied");
		else
			status = json_pack("{s:s, s:s}", "state", "not-satisfied", "reason",
			                   "not-assessed");
		oscal_uuid(u, "claim", e->id, code);
		fd = json_pack("{s:s, s:o, s:o, s:o, s:{s:s, s:s, s:o}}", "uuid", u, "title",
		               oscal_line(code, "claim"), "description",
		               oscal_text(cl ? cl->summary : NULL,
		                          "The assessor has made no claim for this threat model."),
		               "props", fp, "target", "type", "objective-id", "target-id", code,
		               "status", status);
		if (fd != NULL && json_array_size(rr) > 0)
			json_object_set(fd, "related-risks", rr);
		json_decref(rr);
		json_array_append_new(findings, fd);
	}

	if (asprintf(&title, "%s: %s assessed by %s", e->campaign_title ? e->campaign_title : "",
	             e->company_name ? e->company_name : "company",
	             e->assessor_name ? e->assessor_name : "assessor") < 0)
		title = NULL;
	if (asprintf(&desc,
	             "Third-party security assessment of %s by %s in the lockstep campaign \"%s\". "
	             "Each finding is an observation and a risk; each claim (the capability "
	             "level up to which the assessor found the company robust, per threat "
	             "model) is a finding against that threat model.",
	             e->company_name ? e->company_name : "the company",
	             e->assessor_name ? e->assessor_name : "the assessor",
	             e->campaign_title ? e->campaign_title : "") < 0)
		desc = NULL;
	if (title == NULL || desc == NULL)
		goto fail;
	props = json_array();
	oscal_prop(props, "engagement-id", e->id);
	oscal_prop(props, "engagement-state", e->state);
	result =
	    json_pack("{s:s, s:o, s:s, s:s, s:o, s:{s:s, s:[{s:{}}]}, s:o, s:o, s:o}", "uuid",
	              res_uuid, "title", oscal_line(title, "Engagement"), "description", desc,
	              "start", e->created_at, "props", props, "reviewed-controls", "description",
	              "lockstep assesses threat models, not a control catalogue: every "
	              "control is in scope and the claims are findings against the threat "
	              "models.",
	              "control-selections", "include-all", "observations", observations, "risks",
	              risks, "findings", findings);
	observations = risks = findings = NULL;
	if (result == NULL)
		goto fail;
	if (json_array_size(json_object_get(result, "observations")) == 0)
		json_object_del(result, "observations");
	if (json_array_size(json_object_get(result, "risks")) == 0)
		json_object_del(result, "risks");
	if (json_array_size(json_object_get(result, "findings")) == 0)
		json_object_del(result, "findings");
	parties = json_pack("[{s:s, s:s, s:o}, {s:s, s:s, s:o}]", "uuid", pcompany, "type",
	                    "organization", "name", oscal_line(e->company_name, "company"), "uuid",
	                    passessor, "type", "organization", "name",
	                    oscal_line(e->assessor_name, "assessor"));
	doc = json_pack(
	    "{s:{s:s, s:{s:o, s:s, s:s, s:s, s:o}, s:{s:s, s:s}, s:[o]}}", "assessment-results",
	    "uuid", doc_uuid, "metadata", "title", oscal_line(title, "lockstep assessment results"),
	    "last-modified", now, "version", now, "oscal-version", OSCAL_VERSION, "parties",
	    parties, "import-ap", "href", "#", "remarks",
	    "lockstep keeps no OSCAL assessment plan: the engagement's scope is its plan.",
	    "results", result);
	result = NULL;
fail:
	json_decref(observations);
	json_decref(risks);
	json_decref(findings);
	json_decref(result);
	free(title);
	free(desc);
	return doc;
}

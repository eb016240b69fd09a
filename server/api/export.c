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
	json_decref(x->commitments);
	json_decref(x->emulation);
	json_decref(x->not_met);
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
	/* security levels (issue 14): commitments, what was emulated, not-met levels */
	if ((rc = store_commitment_list(c, id, &x->commitments)) != DB_OK)
		return rc;
	if ((rc = store_emulation_get(c, id, 0, &x->emulation)) != DB_OK && rc != STORE_NONE)
		return rc;
	if ((rc = store_not_met(c, id, &x->not_met)) != DB_OK)
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
		if (f->oc_required[0] != '\0')
			oscal_prop(rp, "oc-required", f->oc_required);
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
		{
			const char *from = json_string_value(
			    json_object_get(json_object_get(x->not_met, code), "not_met_from"));
			const char *lv = cl ? cl->level : "not-assessed";

			if (from != NULL) {
				oscal_prop(fp, "not-met-from", from);
				oscal_prop(fp, "contradiction",
				           api_valid_oc(lv) && strcmp(from, lv) <= 0 ? "true"
				                                                     : "false");
			}
		}
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

	/* each company commitment: a finding against it, with the assessor's verdict */
	{
		json_t *cm;

		json_array_foreach(x->commitments, k, cm)
		{
			const char *verdict = json_string_value(json_object_get(cm, "verdict"));
			const char *cid = json_string_value(json_object_get(cm, "id"));
			json_t *fp = json_array(), *status, *fd;
			char *ctitle = NULL, *cdesc = NULL, target[64];

			if (verdict == NULL || cid == NULL)
				continue;
			oscal_prop(fp, "commitment-framework",
			           json_string_value(json_object_get(cm, "framework")));
			oscal_prop(fp, "commitment-version",
			           json_string_value(json_object_get(cm, "version")));
			oscal_prop(fp, "commitment-level",
			           json_string_value(json_object_get(cm, "level")));
			oscal_prop(fp, "verdict", verdict);
			if (strcmp(verdict, "supported") == 0)
				status = json_pack("{s:s}", "state", "satisfied");
			else
				status = json_pack("{s:s, s:s}", "state", "not-satisfied", "reason",
				                   verdict);
			if (asprintf(&ctitle, "Commitment: %s %s, %s",
			             json_string_value(json_object_get(cm, "framework")),
			             json_string_value(json_object_get(cm, "version")),
			             json_string_value(json_object_get(cm, "level"))) < 0)
				ctitle = NULL;
			if (asprintf(&cdesc, "%s\n\nVerdict: %s. %s",
			             json_string_value(json_object_get(cm, "text")), verdict,
			             json_string_value(json_object_get(cm, "verdict_summary"))) < 0)
				cdesc = NULL;
			snprintf(target, sizeof(target), "commitment-%s", cid);
			oscal_uuid(u, "commitment", cid, NULL);
			fd = json_pack("{s:s, s:o, s:o, s:o, s:{s:s, s:s, s:o}}", "uuid", u,
			               "title", oscal_line(ctitle, "Commitment"), "description",
			               oscal_text(cdesc, "No text."), "props", fp, "target", "type",
			               "statement-id", "target-id", target, "status", status);
			free(ctitle);
			free(cdesc);
			json_array_append_new(findings, fd);
		}
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
	if (json_is_string(json_object_get(x->emulation, "capability")))
		oscal_prop(props, "capability-emulated",
		           json_string_value(json_object_get(x->emulation, "capability")));
	json_array_foreach(json_object_get(x->emulation, "access"), k, tm)
	    oscal_prop(props, "access-granted", json_string_value(tm));
	if (json_is_integer(json_object_get(x->emulation, "person_days"))) {
		char days[32];

		snprintf(
		    days, sizeof(days), "%lld",
		    (long long)json_integer_value(json_object_get(x->emulation, "person_days")));
		oscal_prop(props, "person-days", days);
	}
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

/* A text listing obj's members as "key: value" (integers or strings), joined by ", ". malloc'd. */
static char *
oscal_counts_text(const json_t *obj)
{
	const char *key;
	json_t *v;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (f == NULL)
		return NULL;
	json_object_foreach((json_t *)obj, key, v)
	{
		if (len > 0 || ftell(f) > 0)
			fputs(", ", f);
		if (json_is_integer(v))
			fprintf(f, "%s: %lld", key, (long long)json_integer_value(v));
		else if (json_is_string(v))
			fprintf(f, "%s: %s", key, json_string_value(v));
		else if (json_is_object(v)) {
			/* status -> count */
			const char *k2;
			json_t *v2;
			long long total = 0;

			json_object_foreach(v, k2, v2) total += json_integer_value(v2);
			fprintf(f, "%s: %lld", key, total);
		}
	}
	fclose(f);
	return s;
}

/* The findings of one threat model as one observation (counts only). */
static json_t *
oscal_pub_observation(const char *uuid, const char *tm, const json_t *counts, const char *at)
{
	char *text = oscal_counts_text(counts);
	char *desc = NULL;
	json_t *o;

	if (text == NULL)
		return NULL;
	if (asprintf(&desc, "Findings for %s by severity (the publication holds counts only): %s.",
	             tm, text[0] ? text : "none") < 0)
		desc = NULL;
	free(text);
	if (desc == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:s, s:[{s:s, s:s, s:s}]}", "uuid", uuid,
	              "title", tm, "description", desc, "methods", "TEST", "types", "finding",
	              "collected", at, "props", "name", "threat-model", "ns", OSCAL_NS, "value",
	              tm);
	free(desc);
	return o;
}

/* What one published row emulated (levels.engagements[i].emulation) as props of its result. */
static void
oscal_pub_emulation(json_t *props, const json_t *lv)
{
	const json_t *em = json_object_get(lv, "emulation");
	json_t *v;
	size_t i;

	if (!json_is_object(em))
		return;
	oscal_prop(props, "capability-emulated",
	           json_string_value(json_object_get(em, "capability")));
	json_array_foreach(json_object_get(em, "access"), i, v)
	    oscal_prop(props, "access-granted", json_string_value(v));
	if (json_is_integer(json_object_get(em, "person_days"))) {
		char days[32];

		snprintf(days, sizeof(days), "%lld",
		         (long long)json_integer_value(json_object_get(em, "person_days")));
		oscal_prop(props, "person-days", days);
	}
}

/*
 * One published commitment (levels.engagements[i].commitments[ci]) as a
 * finding against it, with the assessor's verdict. u: its uuid. A new
 * object, or NULL.
 */
static json_t *
oscal_pub_commitment(const json_t *cm, const char *u, size_t ci)
{
	const char *fw = json_string_value(json_object_get(cm, "framework"));
	const char *ver = json_string_value(json_object_get(cm, "version"));
	const char *level = json_string_value(json_object_get(cm, "level"));
	const char *verdict = json_string_value(json_object_get(cm, "verdict"));
	const char *link = json_string_value(json_object_get(cm, "link"));
	json_t *fp = json_array(), *status, *fd;
	char *ctitle = NULL, *cdesc = NULL, target[48];

	if (fp == NULL || verdict == NULL) {
		json_decref(fp);
		return NULL;
	}
	oscal_prop(fp, "commitment-framework", fw);
	oscal_prop(fp, "commitment-version", ver);
	oscal_prop(fp, "commitment-level", level);
	oscal_prop(fp, "verdict", verdict);
	if (strcmp(verdict, "supported") == 0)
		status = json_pack("{s:s}", "state", "satisfied");
	else
		status = json_pack("{s:s, s:s}", "state", "not-satisfied", "reason", verdict);
	if (asprintf(&ctitle, "Commitment: %s %s, %s", fw ? fw : "", ver ? ver : "",
	             level ? level : "") < 0)
		ctitle = NULL;
	if (asprintf(&cdesc, "%s\n\nVerdict: %s. %s",
	             json_is_string(json_object_get(cm, "text"))
	                 ? json_string_value(json_object_get(cm, "text"))
	                 : "",
	             verdict,
	             json_is_string(json_object_get(cm, "summary"))
	                 ? json_string_value(json_object_get(cm, "summary"))
	                 : "") < 0)
		cdesc = NULL;
	snprintf(target, sizeof(target), "commitment-%zu", ci + 1);
	fd = json_pack("{s:s, s:o, s:o, s:o, s:{s:s, s:s, s:o}}", "uuid", u, "title",
	               oscal_line(ctitle, "Commitment"), "description",
	               oscal_text(cdesc, "No text."), "props", fp, "target", "type", "statement-id",
	               "target-id", target, "status", status);
	free(ctitle);
	free(cdesc);
	/* the company's own link (https, checked when it was declared) */
	if (fd != NULL && link != NULL && link[0] != '\0')
		json_object_set_new(fd, "links",
		                    json_pack("[{s:s, s:s}]", "href", link, "rel", "reference"));
	return fd;
}

/*
 * The aggregate's commitments ({framework: {verdict: n or "suppressed"}},
 * aggregate.levels.commitments) as one finding per framework, appended to
 * finds.
 */
static void
oscal_pub_commitment_counts(json_t *finds, const json_t *counts, const char *slug)
{
	const char *fw;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)counts, fw, v)
	{
		char u[DB_UUID_LEN + 1], target[48], *text = oscal_counts_text(v), *desc = NULL,
		                                     *title = NULL;
		json_t *fp = json_array();

		n++;
		if (text == NULL ||
		    asprintf(&desc,
		             "Commitments of this framework per verdict (aggregate disclosure; "
		             "cells under the minimum cohort are suppressed): %s.",
		             text[0] ? text : "none") < 0)
			desc = NULL;
		if (asprintf(&title, "Commitments: %s", fw) < 0)
			title = NULL;
		free(text);
		oscal_prop(fp, "commitment-framework", fw);
		oscal_uuid(u, "publication-commitments", slug, fw);
		snprintf(target, sizeof(target), "commitments-%zu", n);
		json_array_append_new(
		    finds, json_pack("{s:s, s:o, s:s, s:o, s:{s:s, s:s, s:{s:s, s:s}}}", "uuid", u,
		                     "title", oscal_line(title, "Commitments"), "description",
		                     desc ? desc : "Aggregate results.", "props", fp, "target",
		                     "type", "statement-id", "target-id", target, "status", "state",
		                     "not-satisfied", "reason", "aggregate"));
		free(desc);
		free(title);
	}
}

json_t *
api_oscal_publication(const json_t *doc, const char *slug, const char *published_at,
                      const char *hash)
{
	const json_t *camp = json_object_get(doc, "campaign");
	const char *title = json_string_value(json_object_get(camp, "title"));
	const char *release_at = json_string_value(json_object_get(camp, "release_at"));
	const char *disclosure = json_string_value(json_object_get(camp, "disclosure"));
	json_t *tms = json_object_get(camp, "threat_models");
	json_t *engs = json_object_get(doc, "engagements");
	/* the levels the document publishes (0018; older documents have none) */
	json_t *lvrows = json_object_get(json_object_get(doc, "levels"), "engagements");
	json_t *lvagg = json_object_get(json_object_get(doc, "aggregate"), "levels");
	json_t *results = json_array(), *parties = json_array(), *a, *out = NULL;
	char u[DB_UUID_LEN + 1], idx[24], href[160];
	size_t i, k;

	if (results == NULL || parties == NULL || title == NULL || release_at == NULL)
		goto done;
	json_array_foreach(json_object_get(doc, "assessors"), i, a)
	{
		oscal_uuid(u, "publication-party", slug,
		           json_string_value(json_object_get(a, "firm")));
		json_array_append_new(
		    parties, json_pack("{s:s, s:s, s:o}", "uuid", u, "type", "organization", "name",
		                       oscal_line(json_string_value(json_object_get(a, "firm")),
		                                  "assessor")));
	}
	/* one result per published engagement row; under aggregate, one for the campaign */
	for (i = 0; i < (json_array_size(engs) ? json_array_size(engs) : 1); i++) {
		json_t *row = json_array_get(engs, i); /* NULL under aggregate */
		json_t *claims = row ? json_object_get(row, "claims") : NULL;
		json_t *fcounts =
		    row ? json_object_get(row, "findings")
		        : json_object_get(json_object_get(doc, "aggregate"), "findings");
		json_t *obs = json_array(), *finds = json_array(), *rprops = json_array(), *res,
		       *tm;
		const char *company =
		    row ? json_string_value(json_object_get(row, "company")) : NULL;
		/* the row's levels: same index, and the same company (label) */
		json_t *lv = row ? json_array_get(lvrows, i) : NULL;
		const char *firm = row ? json_string_value(json_object_get(
		                             json_object_get(row, "assessor"), "firm"))
		                       : NULL;
		char *rtitle = NULL;

		if (lv != NULL &&
		    !json_equal(json_object_get(lv, "company"), json_object_get(row, "company")))
			lv = NULL;
		snprintf(idx, sizeof(idx), "%zu", i);
		oscal_pub_emulation(rprops, lv);
		json_array_foreach(tms, k, tm)
		{
			const char *code = json_string_value(tm);
			json_t *cl = json_object_get(claims, code);
			const char *level = json_string_value(json_object_get(cl, "level"));
			const char *summary = json_string_value(json_object_get(cl, "summary"));
			char ou[DB_UUID_LEN + 1];
			json_t *status, *fd;

			oscal_uuid(ou, "publication-observation", slug, idx);
			oscal_uuid(ou, "publication-observation", ou, code);
			json_array_append_new(
			    obs, oscal_pub_observation(ou, code, json_object_get(fcounts, code),
			                               release_at));
			if (row == NULL) {
				/* aggregate: the distribution of levels, as published */
				char *text = oscal_counts_text(json_object_get(
				    json_object_get(json_object_get(doc, "aggregate"), "claims"),
				    code));
				char *desc = NULL, *cov = NULL, *nm = NULL;

				/* and, when the document has them, the coverage by capability
				 * emulated and the levels demonstrated not met */
				if (json_is_object(lvagg)) {
					cov = oscal_counts_text(json_object_get(
					    json_object_get(lvagg, "coverage"), code));
					nm = oscal_counts_text(json_object_get(
					    json_object_get(lvagg, "not_met"), code));
				}
				if (text == NULL ||
				    asprintf(
				        &desc,
				        "Engagements per capability level reached (aggregate "
				        "disclosure; cells under the minimum cohort are "
				        "suppressed): %s.%s%s%s%s%s%s",
				        text,
				        cov ? "\n\nEngagements that assessed it, by attacker "
				              "capability emulated: "
				            : "",
				        cov ? (cov[0] ? cov : "none") : "", cov ? "." : "",
				        nm ? "\n\nEngagements by the level from which robustness "
				             "is demonstrated not met (an open finding that "
				             "attacker can exploit): "
				           : "",
				        nm ? (nm[0] ? nm : "none") : "", nm ? "." : "") < 0)
					desc = NULL;
				free(text);
				free(cov);
				free(nm);
				oscal_uuid(u, "publication-claim", slug, code);
				fd = json_pack(
				    "{s:s, s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:[{s:s}]}",
				    "uuid", u, "title", code, "description",
				    desc ? desc : "Aggregate results.", "target", "type",
				    "objective-id", "target-id", code, "status", "state",
				    "not-satisfied", "reason", "aggregate", "related-observations",
				    "observation-uuid", ou);
				free(desc);
			} else {
				int met = level != NULL && strcmp(level, "not-assessed") != 0;
				const json_t *lcl =
				    json_object_get(json_object_get(lv, "claims"), code);
				const char *from =
				    json_string_value(json_object_get(lcl, "not_met_from"));
				json_t *fp = json_array();

				oscal_prop(fp, "robust-up-to", level ? level : "not-assessed");
				/* the level the open findings demonstrate not met, and
				 * whether the claim contradicts it */
				if (from != NULL) {
					oscal_prop(fp, "not-met-from", from);
					oscal_prop(
					    fp, "contradiction",
					    json_is_true(json_object_get(lcl, "contradiction"))
					        ? "true"
					        : "false");
				}
				if (met)
					status = json_pack("{s:s}", "state", "satisfied");
				else
					status = json_pack("{s:s, s:s}", "state", "not-satisfied",
					                   "reason", "not-assessed");
				oscal_uuid(u, "publication-claim", slug, idx);
				oscal_uuid(u, "publication-claim", u, code);
				fd = json_pack(
				    "{s:s, s:o, s:o, s:o, s:{s:s, s:s, s:o}, s:[{s:s}]}", "uuid", u,
				    "title", oscal_line(code, "claim"), "description",
				    oscal_text(summary,
				               "The assessor has made no claim for this threat "
				               "model."),
				    "props", fp, "target", "type", "objective-id", "target-id",
				    code, "status", status, "related-observations",
				    "observation-uuid", ou);
			}
			json_array_append_new(finds, fd);
		}
		/* the company's commitments, each a finding with the assessor's verdict */
		{
			json_t *cm;
			size_t ci;

			json_array_foreach(json_object_get(lv, "commitments"), ci, cm)
			{
				char cidx[24];
				json_t *fd;

				snprintf(cidx, sizeof(cidx), "%zu", ci);
				oscal_uuid(u, "publication-commitment", slug, idx);
				oscal_uuid(u, "publication-commitment", u, cidx);
				if ((fd = oscal_pub_commitment(cm, u, ci)) != NULL)
					json_array_append_new(finds, fd);
			}
		}
		if (row == NULL && json_is_object(lvagg))
			oscal_pub_commitment_counts(finds, json_object_get(lvagg, "commitments"),
			                            slug);
		if (row == NULL)
			rtitle = strdup("All engagements (aggregate disclosure)");
		else if (asprintf(&rtitle, "%s, assessed by %s", company ? company : "A company",
		                  firm ? firm : "an assessor the publication does not name") < 0)
			rtitle = NULL;
		oscal_uuid(u, "publication-result", slug, idx);
		res = json_pack(
		    "{s:s, s:o, s:s, s:s, s:{s:[{s:{}}]}, s:o, s:o}", "uuid", u, "title",
		    oscal_line(rtitle, "Engagement"), "description",
		    "The published, high-level result of one engagement of the campaign: "
		    "what it emulated (props), the claims per threat model with the level "
		    "demonstrated not met, the company's commitments with the assessor's "
		    "verdicts, and finding counts.",
		    "start", release_at, "reviewed-controls", "control-selections", "include-all",
		    "observations", obs, "findings", finds);
		free(rtitle);
		if (res != NULL && json_array_size(rprops) > 0)
			json_object_set(res, "props", rprops);
		json_decref(rprops);
		if (res != NULL && row != NULL &&
		    json_is_string(json_object_get(row, "statement")) &&
		    json_string_length(json_object_get(row, "statement")) > 0)
			json_object_set_new(
			    res, "remarks",
			    oscal_text(json_string_value(json_object_get(row, "statement")),
			               "None."));
		json_array_append_new(results, res);
	}
	snprintf(href, sizeof(href), "/api/v1/publications/%s", slug);
	oscal_uuid(u, "publication-document", slug, hash);
	out = json_pack(
	    "{s:{s:s, s:{s:o, s:s, s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, "
	    "s:o}]}, "
	    "s:{s:s, s:s}, s:o}}",
	    "assessment-results", "uuid", u, "metadata", "title", oscal_line(title, "Publication"),
	    "last-modified", published_at, "version", hash, "oscal-version", OSCAL_VERSION, "props",
	    "name", "publication-slug", "ns", OSCAL_NS, "value", slug, "name", "publication-sha256",
	    "ns", OSCAL_NS, "value", hash, "name", "disclosure", "ns", OSCAL_NS, "value",
	    oscal_line(disclosure, "named"), "import-ap", "href", href, "remarks",
	    "The signed lockstep publication this document restates; verify its signature there.",
	    "results", results);
	results = NULL;
	if (out != NULL && json_array_size(parties) > 0)
		json_object_set(
		    json_object_get(json_object_get(out, "assessment-results"), "metadata"),
		    "parties", parties);
done:
	json_decref(results);
	json_decref(parties);
	return out;
}

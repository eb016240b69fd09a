/*
 * GET /api/v1/engagements/{id}/report: a printable HTML report of the
 * engagement (its findings, claims and the company's responses) for its
 * company and assessor; an audited confidential read ("finding.export",
 * format html). No script: the page carries the strictest CSP (like
 * /p/{slug}) and one stylesheet, /web/report.css, with print rules.
 * Every text from the database is escaped.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/export.h"

struct report_ctx {
	struct http_request *r;
	const char *engagement;
	struct api_export x; /* the result */
	struct api_res res;
};

static int
report_tx(struct db_conn *c, void *arg)
{
	struct report_ctx *k = arg;

	return api_export_load(c, k->r, k->engagement, "html", &k->x, &k->res);
}

/* A growing HTML buffer; failed is set on allocation failure. */
struct rbuf {
	char *s;
	size_t len, cap;
	int failed;
};

static void
rb_add(struct rbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 8192;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
rb_str(struct rbuf *b, const char *s)
{
	rb_add(b, s, strlen(s));
}

/* s escaped for HTML text and attribute values. */
static void
rb_esc(struct rbuf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&':
			rb_str(b, "&amp;");
			break;
		case '<':
			rb_str(b, "&lt;");
			break;
		case '>':
			rb_str(b, "&gt;");
			break;
		case '"':
			rb_str(b, "&quot;");
			break;
		case '\'':
			rb_str(b, "&#39;");
			break;
		default:
			rb_add(b, p, 1);
		}
	}
}

/* <tag>escaped text</tag> */
static void
rb_el(struct rbuf *b, const char *open, const char *text, const char *close)
{
	rb_str(b, open);
	rb_esc(b, text);
	rb_str(b, close);
}

static void
rb_list(struct rbuf *b, const json_t *a)
{
	size_t i;
	json_t *v;

	if (json_array_size(a) == 0) {
		rb_str(b, "—");
		return;
	}
	json_array_foreach(a, i, v)
	{
		if (i > 0)
			rb_str(b, ", ");
		rb_esc(b, json_string_value(v));
	}
}

static const char *const report_sev[] = {"critical", "high", "medium", "low", "info"};

static void
report_build(struct rbuf *b, const struct api_export *x, const char *now)
{
	const struct store_engagement *e = &x->e;
	size_t k;
	json_t *tm;

	rb_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	          "<meta name=\"robots\" content=\"noindex\">"
	          "<link rel=\"stylesheet\" href=\"/web/report.css\"><title>");
	rb_esc(b, "Assessment report: ");
	rb_esc(b, e->campaign_title);
	rb_esc(b, " · ");
	rb_esc(b, e->company_name);
	rb_str(b, "</title></head><body><header>"
	          "<p class=\"kicker\">Confidential · for the company and its assessor only</p>");
	rb_el(b, "<h1>", e->campaign_title, "</h1>");
	rb_str(b, "<dl class=\"meta\">");
	rb_el(b, "<dt>Company</dt><dd>", e->company_name, "</dd>");
	rb_el(b, "<dt>Assessor</dt><dd>", e->assessor_name, "</dd>");
	rb_str(b, "<dt>Lead assessors</dt><dd>");
	rb_list(b, e->lead_assessors);
	rb_str(b, "</dd>");
	rb_el(b, "<dt>Engagement</dt><dd><code>", e->id, "</code></dd>");
	rb_el(b, "<dt>State</dt><dd>", e->state, "</dd>");
	rb_el(b, "<dt>Report generated</dt><dd>", now, "</dd></dl></header><main>");

	/* claims and counts per threat model */
	rb_str(b, "<h2>Results per threat model</h2><table id=\"summary\"><thead><tr>"
	          "<th>Threat model</th><th>Robust up to</th><th>Public summary</th>");
	for (size_t s = 0; s < 5; s++)
		rb_el(b, "<th>", report_sev[s], "</th>");
	rb_str(b, "<th>Open</th></tr></thead><tbody>");
	json_array_foreach(e->threat_models, k, tm)
	{
		const char *code = json_string_value(tm);
		const struct store_claim *cl = NULL;
		int sev[5] = {0}, open = 0;
		char num[16];

		for (int i = 0; i < x->nclaims; i++)
			if (strcmp(x->claims[i].threat_model, code) == 0)
				cl = &x->claims[i];
		for (int i = 0; i < x->n; i++) {
			if (strcmp(x->rows[i].threat_model, code) != 0)
				continue;
			for (size_t s = 0; s < 5; s++)
				sev[s] += strcmp(x->rows[i].severity, report_sev[s]) == 0;
			open += strcmp(x->rows[i].status, "open") == 0;
		}
		rb_el(b, "<tr><td>", code, "</td>");
		rb_el(b, "<td>", cl ? cl->level : "no claim", "</td>");
		rb_el(b, "<td class=\"text\">", cl ? cl->summary : "—", "</td>");
		for (size_t s = 0; s < 5; s++) {
			snprintf(num, sizeof(num), "%d", sev[s]);
			rb_el(b, "<td class=\"num\">", num, "</td>");
		}
		snprintf(num, sizeof(num), "%d", open);
		rb_el(b, "<td class=\"num\">", num, "</td></tr>");
	}
	rb_str(b, "</tbody></table>");

	/* the findings, most severe first */
	rb_str(b, "<h2>Findings</h2>");
	if (x->n == 0)
		rb_str(b, "<p>No findings.</p>");
	for (size_t s = 0; s < 5; s++) {
		for (int i = 0; i < x->n; i++) {
			const struct store_finding *f = &x->rows[i];

			if (strcmp(f->severity, report_sev[s]) != 0)
				continue;
			rb_str(b, "<section class=\"finding\">");
			rb_el(b, "<h3>", json_string_value(f->title), "</h3>");
			rb_el(b, "<p><span class=\"sev sev-", f->severity, "\">");
			rb_esc(b, f->severity);
			rb_str(b, "</span></p><dl class=\"meta\">");
			rb_el(b, "<dt>Threat model</dt><dd>", f->threat_model, "</dd>");
			rb_el(b, "<dt>Status</dt><dd>", f->status, "</dd>");
			rb_str(b, "<dt>CWE</dt><dd>");
			rb_list(b, f->cwe);
			rb_str(b, "</dd><dt>MITRE ATLAS</dt><dd>");
			rb_list(b, f->atlas);
			rb_str(b, "</dd>");
			if (f->cvss != NULL)
				rb_el(b, "<dt>CVSS</dt><dd><code>", f->cvss, "</code></dd>");
			rb_el(b, "<dt>Finding</dt><dd><code>", f->id, "</code></dd>");
			rb_el(b, "<dt>Recorded</dt><dd>", f->created_at, "");
			rb_el(b, ", last changed ", f->updated_at, "</dd></dl>");
			rb_el(b, "<div class=\"text\">", json_string_value(f->detail), "</div>");
			if (json_is_string(f->response) && json_string_length(f->response) > 0)
				rb_el(b,
				      "<div class=\"response\"><p><strong>The company's "
				      "response</strong></p><div class=\"text\">",
				      json_string_value(f->response), "</div></div>");
			rb_str(b, "</section>");
		}
	}
	rb_str(b, "</main><footer><p>Generated by lockstep. Confidential: this report holds "
	          "finding details that are never published. Findings with the same "
	          "content are in the CSV and OSCAL exports of the engagement.</p>"
	          "</footer></body></html>\n");
}

int
api_engagement_report_get(struct http_request *r)
{
	struct report_ctx k = {.r = r, .res = {.status = 200}};
	struct rbuf b = {0};
	char now[32];
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "engagement_report", report_tx, &k);
	if (rc == DB_OK) {
		api_now_rfc3339(now, sizeof(now));
		report_build(&b, &k.x, now);
		if (b.failed)
			rc = DB_ERROR;
	}
	api_export_clear(&k.x);
	if (rc != DB_OK) {
		free(b.s);
		return api_finish(r, rc, &k.res);
	}
	rc = http_reply_bytes(r, 200, "text/html; charset=utf-8", b.s, b.len, NULL);
	explicit_bzero(b.s, b.cap);
	free(b.s);
	return rc;
}

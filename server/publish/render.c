/*
 * publish/render.c: the public HTML page of a publication (no script,
 * inline SVG charts, every field escaped) and the Atom feed.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"
#include "util/vocab.h"

struct sbuf {
	char *buf;
	size_t len, cap;
	int failed;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *nb;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((nb = realloc(b->buf, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

/* Text escaped for HTML and XML content and attribute values. */
static void
sb_esc(struct sbuf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&':
			sb_str(b, "&amp;");
			break;
		case '<':
			sb_str(b, "&lt;");
			break;
		case '>':
			sb_str(b, "&gt;");
			break;
		case '"':
			sb_str(b, "&quot;");
			break;
		case '\'':
			sb_str(b, "&#39;");
			break;
		default:
			sb_add(b, p, 1);
		}
	}
}

/* Escaped text with line breaks kept as <br>. */
static void
sb_esc_lines(struct sbuf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '\n')
			sb_str(b, "<br>");
		else if (*p != '\r') {
			char one[2] = {*p, '\0'};

			sb_esc(b, one);
		}
	}
}

static char *
sb_finish(struct sbuf *b, size_t *len)
{
	if (b->failed || b->buf == NULL) {
		free(b->buf);
		return NULL;
	}
	if (len != NULL)
		*len = b->len;
	return b->buf;
}

static void rd_time(struct sbuf *b, const char *iso);

static const char *
rd_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static const struct {
	const char *code, *name;
} rd_threat_models[] = {
    {"WEIGHTS-EXFIL", "Model weight exfiltration"},  {"IP-THEFT", "Theft of algorithmic secrets"},
    {"TAMPERING", "Model tampering and backdoors"},  {"COMPUTE-MISUSE", "Unauthorized compute use"},
    {"PERSISTENCE", "Persistent attacker presence"},
};

static const char *
rd_tm_name(const char *code)
{
	for (size_t i = 0; i < sizeof(rd_threat_models) / sizeof(rd_threat_models[0]); i++)
		if (strcmp(rd_threat_models[i].code, code) == 0)
			return rd_threat_models[i].name;
	return code;
}

/*
 * A horizontal bar chart of the cells of obj named by keys: a number draws
 * a bar, "suppressed" a hatched marker. Only presentation attributes (the
 * page's CSP allows no inline style). When half the cells or more are
 * suppressed (a small cohort under min_cohort k), a grid of "suppressed"
 * would say nothing: one note says what the document withholds and why,
 * and lists the values it does show.
 */
static void
rd_chart(struct sbuf *b, const char *title, const json_t *obj, const char *const *keys, long long k)
{
	long long max = 1;
	int n = 0, shown = 0, y;

	for (int i = 0; keys[i]; i++, n++) {
		json_t *v = json_object_get(obj, keys[i]);

		if (json_is_integer(v)) {
			shown++;
			if (json_integer_value(v) > max)
				max = json_integer_value(v);
		}
	}
	if (n > 0 && shown * 2 <= n) {
		sb_str(b, "<figure class=\"note\"><figcaption>");
		sb_esc(b, title);
		sb_printf(b,
		          "</figcaption><p>Suppressed: %d of %d values. The publication withholds "
		          "every count that describes fewer than %lld companies (its minimum "
		          "cohort), so that no company can be singled out.",
		          n - shown, n, k);
		if (shown > 0) {
			int first = 1;

			sb_str(b, " Shown: ");
			for (int i = 0; keys[i]; i++) {
				json_t *v = json_object_get(obj, keys[i]);

				if (!json_is_integer(v))
					continue;
				sb_str(b, first ? "" : ", ");
				sb_esc(b, keys[i]);
				sb_printf(b, " %lld", (long long)json_integer_value(v));
				first = 0;
			}
			sb_str(b, ".");
		}
		sb_str(b, "</p></figure>\n");
		return;
	}
	sb_printf(b,
	          "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"440\" height=\"%d\" "
	          "viewBox=\"0 0 440 %d\" role=\"img\" aria-label=\"",
	          28 * n + 10, 28 * n + 10);
	sb_esc(b, title);
	sb_str(b, "\"><title>");
	sb_esc(b, title);
	sb_str(b, "</title>");
	y = 5;
	for (int i = 0; keys[i]; i++, y += 28) {
		json_t *v = json_object_get(obj, keys[i]);

		sb_printf(b, "<text x=\"0\" y=\"%d\" font-size=\"13\" fill=\"#222\">", y + 16);
		sb_esc(b, keys[i]);
		sb_str(b, "</text>");
		if (json_is_integer(v)) {
			long long w = json_integer_value(v) * 260 / max;

			sb_printf(
			    b,
			    "<rect x=\"110\" y=\"%d\" width=\"%lld\" height=\"20\" "
			    "fill=\"#2b5797\"/>"
			    "<text x=\"%lld\" y=\"%d\" font-size=\"13\" fill=\"#222\">%lld</text>",
			    y + 2, w, 116 + w, y + 16, (long long)json_integer_value(v));
		} else {
			sb_printf(
			    b,
			    "<rect x=\"110\" y=\"%d\" width=\"60\" height=\"20\" fill=\"#ddd\" "
			    "stroke=\"#767676\" stroke-dasharray=\"4 2\"/>"
			    "<text x=\"176\" y=\"%d\" font-size=\"13\" "
			    "fill=\"#555\">suppressed</text>",
			    y + 2, y + 16);
		}
	}
	sb_str(b, "</svg><figcaption>");
	sb_esc(b, title);
	if (shown < n)
		sb_printf(b,
		          " (\"suppressed\": a count of fewer than %lld companies, withheld by the "
		          "minimum cohort)",
		          k);
	sb_str(b, "</figcaption></figure>\n");
}

/* "c / h / m / l / i" finding totals of one engagement row for tm. */
static void
rd_row_findings(struct sbuf *b, const json_t *row, const char *tm)
{
	const json_t *f = json_object_get(json_object_get(row, "findings"), tm);

	for (int s = 0; vocab_severities[s]; s++) {
		const char *k;
		json_t *v;
		long long n = 0;

		json_object_foreach((json_t *)json_object_get(f, vocab_severities[s]), k, v) n +=
		    json_integer_value(v);
		sb_printf(b, "%s%lld", s ? " / " : "", n);
	}
}

static void
rd_names(struct sbuf *b, const json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (i > 0)
			sb_str(b, ", ");
		sb_esc(b, json_string_value(v));
	}
}

/*
 * The transparency log section: the publication's entry, the
 * commit-then-reveal summary (rows changed after the commitment are named
 * with the instant they were committed again) and how to check it all.
 */
static void
rd_transparency(struct sbuf *b, const json_t *doc, const struct publish_meta *m)
{
	const json_t *sum = json_object_get(doc, "commitments"), *row;
	size_t j;

	sb_str(b, "<section id=\"transparency\"><h2>Transparency log</h2><p>This publication is "
	          "an entry of the server's transparency log, <code>{\"hash\":\"");
	sb_esc(b, m->hash_hex);
	sb_printf(b,
	          "\",\"sequence\":%lld,\"type\":\"publication\"}</code>, in checkpoints "
	          "signed by the log key and cosigned by witnesses "
	          "(<a href=\"/log/checkpoint\">latest checkpoint</a>).</p>",
	          (long long)json_integer_value(json_object_get(doc, "sequence")));
	if (json_is_object(sum)) {
		sb_printf(
		    b,
		    "<p>Commit-then-reveal: %lld of %lld engagements were committed to the log "
		    "before the release; %lld were committed again at the release because "
		    "they changed after their commitment (or came later).</p>",
		    (long long)json_integer_value(json_object_get(sum, "committed")),
		    (long long)json_integer_value(json_object_get(sum, "engagements")),
		    (long long)json_integer_value(json_object_get(sum, "recommitted")));
		if (json_integer_value(json_object_get(sum, "recommitted")) > 0) {
			sb_str(b, "<ul id=\"recommitted\">");
			json_array_foreach(json_object_get(doc, "engagements"), j, row)
			{
				const json_t *k = json_object_get(
				    json_object_get(row, "commitment"), "recommitted_at");

				if (!json_is_string(k))
					continue;
				sb_str(b, "<li>");
				sb_esc(b, rd_str(row, "company"));
				sb_str(b, ": recommitted at ");
				sb_esc(b, json_string_value(k));
				sb_str(b, "</li>");
			}
			sb_str(b, "</ul>");
		}
	}
	sb_str(b, "<p>A publication is never changed or withdrawn; the coordinator's signed "
	          "corrections, if any, are listed at <a id=\"corrections\" href=\"/api/v1/"
	          "publications/");
	sb_esc(b, m->slug);
	sb_str(b, "/corrections\">its corrections</a>, and logged.</p>");
	sb_str(b, "<p>Check the signature, the log entry, every row against its commitment and "
	          "the witnesses' cosignatures with the lockstep command-line client:</p><pre>"
	          "curl -s \"$SERVER/.well-known/lockstep/log-key?format=vkey\" &gt; log.vkey\n"
	          "lockstep --url \"$SERVER\" verify ");
	sb_esc(b, m->slug);
	sb_str(b, " --log-key log.vkey --save-checkpoint pinned.ckpt</pre></section>\n");
}

/* A level, a count or "suppressed" as text into b ("—" for null). */
static void
rd_value(struct sbuf *b, const json_t *v)
{
	if (json_is_integer(v))
		sb_printf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		sb_esc(b, json_string_value(v));
	else
		sb_str(b, "\xe2\x80\x94");
}

/*
 * A series (issue 14 part 5): what changed since the publication this one
 * follows, per company when both are named, else per distribution.
 */
static void
rd_series(struct sbuf *b, const json_t *doc)
{
	const json_t *se = json_object_get(doc, "series");
	const json_t *fol = json_object_get(se, "follows"), *ch = json_object_get(se, "changes");
	const json_t *v, *x;
	const char *key;
	size_t i;

	if (!json_is_object(se))
		return;
	sb_str(b, "<section id=\"series\"><h2>Changes since <a href=\"/p/");
	sb_esc(b, rd_str(fol, "slug"));
	sb_str(b, "\">");
	sb_esc(b, rd_str(fol, "slug"));
	sb_str(b, "</a></h2>");
	if (strcmp(rd_str(se, "by"), "company") == 0) {
		sb_str(b,
		       "<table><caption>Claim levels per company, before and now</caption>"
		       "<thead><tr><th scope=\"col\">Company</th><th scope=\"col\">Threat model"
		       "</th><th scope=\"col\">Before</th><th scope=\"col\">Now</th></tr></thead>"
		       "<tbody>");
		json_array_foreach(ch, i, v)
		{
			json_object_foreach((json_t *)json_object_get(v, "claims"), key, x)
			{
				sb_str(b, "<tr><td>");
				sb_esc(b, rd_str(v, "company"));
				sb_str(b, "</td><td>");
				sb_esc(b, key);
				sb_str(b, "</td><td>");
				rd_value(b, json_object_get(x, "before"));
				sb_str(b, "</td><td>");
				rd_value(b, json_object_get(x, "after"));
				sb_str(b, "</td></tr>");
			}
		}
	} else {
		sb_str(b,
		       "<table><caption>How many results reached each level, before and now"
		       "</caption><thead><tr><th scope=\"col\">Threat model</th><th scope=\"col\">"
		       "Level</th><th scope=\"col\">Before</th><th scope=\"col\">Now</th></tr>"
		       "</thead><tbody>");
		json_object_foreach((json_t *)ch, key, x)
		{
			for (i = 0; vocab_levels[i] != NULL; i++) {
				sb_str(b, "<tr><td>");
				sb_esc(b, key);
				sb_str(b, "</td><td>");
				sb_esc(b, vocab_levels[i]);
				sb_str(b, "</td><td>");
				rd_value(b, json_object_get(json_object_get(x, "before"),
				                            vocab_levels[i]));
				sb_str(b, "</td><td>");
				rd_value(b, json_object_get(json_object_get(x, "after"),
				                            vocab_levels[i]));
				sb_str(b, "</td></tr>");
			}
		}
	}
	sb_str(b, "</tbody></table></section>\n");
}

/* A cell of the levels aggregate: its number, or "suppressed". */
static void
rd_cell(struct sbuf *b, const json_t *v)
{
	if (json_is_integer(v))
		sb_printf(b, "<td class=\"num\">%lld</td>", (long long)json_integer_value(v));
	else
		sb_str(b, "<td class=\"num suppressed\">suppressed</td>");
}

/*
 * A table of counts, rows x cols, from obj (row key -> {col -> count}); the
 * row keys are row_keys' strings, or obj's keys when row_keys is NULL. In
 * a region that scrolls on its own on a small screen. When half the cells
 * or more are suppressed, one note instead, as rd_chart does.
 */
static void
rd_count_table(struct sbuf *b, const char *caption, const char *corner, const json_t *obj,
               const json_t *row_keys, const char *const *cols, long long k)
{
	const char *key;
	const json_t *v, *cells;
	size_t i;
	int n = 0, shown = 0, first = 1;

#define RD_ROWS(body)                                                                              \
	do {                                                                                       \
		if (row_keys != NULL) {                                                            \
			json_array_foreach(row_keys, i, v)                                         \
			{                                                                          \
				key = json_string_value(v);                                        \
				cells = json_object_get(obj, key);                                 \
				body;                                                              \
			}                                                                          \
		} else {                                                                           \
			json_object_foreach((json_t *)obj, key, v)                                 \
			{                                                                          \
				cells = v;                                                         \
				body;                                                              \
			}                                                                          \
		}                                                                                  \
	} while (0)
	RD_ROWS(for (int c = 0; cols[c]; c++) {
		n++;
		shown += json_is_integer(json_object_get(cells, cols[c]));
	});
	if (n > 0 && shown * 2 <= n) {
		sb_str(b, "<figure class=\"note\"><figcaption>");
		sb_esc(b, caption);
		sb_printf(b,
		          "</figcaption><p>Suppressed: %d of %d values. The publication withholds "
		          "every count that describes fewer than %lld companies (its minimum "
		          "cohort), so that no company can be singled out.",
		          n - shown, n, k);
		RD_ROWS(for (int c = 0; cols[c]; c++) {
			const json_t *x = json_object_get(cells, cols[c]);

			if (!json_is_integer(x))
				continue;
			sb_str(b, first ? " Shown: " : ", ");
			sb_esc(b, key);
			sb_str(b, " ");
			sb_esc(b, cols[c]);
			sb_printf(b, " %lld", (long long)json_integer_value(x));
			first = 0;
		});
		sb_str(b, first ? "</p></figure>\n" : ".</p></figure>\n");
		return;
	}
	sb_str(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"");
	sb_esc(b, caption);
	sb_str(b, "\"><table><caption>");
	sb_esc(b, caption);
	sb_str(b, "</caption><thead><tr><th scope=\"col\">");
	sb_esc(b, corner);
	sb_str(b, "</th>");
	for (int c = 0; cols[c]; c++) {
		sb_str(b, "<th scope=\"col\">");
		sb_esc(b, cols[c]);
		sb_str(b, "</th>");
	}
	sb_str(b, "</tr></thead><tbody>");
	RD_ROWS({
		sb_str(b, "<tr><th scope=\"row\">");
		sb_esc(b, key);
		sb_str(b, "</th>");
		for (int c = 0; cols[c]; c++)
			rd_cell(b, json_object_get(cells, cols[c]));
		sb_str(b, "</tr>");
	});
#undef RD_ROWS
	sb_str(b, "</tbody></table></div>\n");
}

/*
 * "Robust against whom?" (issue 14): the coverage matrix (threat model x
 * attacker capability emulated) and per threat model the levels
 * demonstrated not met, as tables with captions and an SVG chart each (no
 * script); per row what was emulated and the company's commitments with
 * the assessors' verdicts; under aggregate only the counts. Documents
 * published before 0018 have no "levels" and get no section.
 */
static void
rd_levels(struct sbuf *b, const json_t *doc)
{
	static const char *const cov[] = {"OC1", "OC2", "OC3", "OC4", "OC5", "unrecorded", NULL};
	static const char *const nm[] = {"OC1", "OC2", "OC3", "OC4", "OC5", "none", NULL};
	const json_t *lv = json_object_get(json_object_get(doc, "aggregate"), "levels");
	const json_t *tms = json_object_get(json_object_get(doc, "campaign"), "threat_models");
	/* the rows' levels, beside the rows (snapshot.c) */
	const json_t *rows = json_object_get(json_object_get(doc, "levels"), "engagements");
	const json_t *v, *row, *k;
	const char *key;
	size_t i, j;
	int any = 0;
	long long cohort = (long long)json_integer_value(
	    json_object_get(json_object_get(doc, "campaign"), "min_cohort"));

	/* a review draft (api/review.c) has its row's levels and no aggregate */
	if (!json_is_object(lv) && json_array_size(rows) == 0)
		return;
	sb_str(b,
	       "<section id=\"levels\"><h2>Robust against whom?</h2>"
	       "<p>What each assessment emulated (attacker capability after RAND's OC1\xe2\x80\x93"
	       "OC5) says what a result means; a finding open at OCk shows robustness is not "
	       "met from OCk on (open, being remediated, remediated but not yet retested, or "
	       "risk-accepted).</p>");
	if (json_is_object(lv))
		rd_count_table(
		    b, "Coverage: assessments of each threat model by attacker capability emulated",
		    "Threat model", json_object_get(lv, "coverage"), tms, cov, cohort);
	json_array_foreach(json_is_object(lv) ? tms : NULL, i, v)
	{
		char title[160];

		snprintf(title, sizeof(title), "%s: level demonstrated not met (all companies)",
		         json_string_value(v));
		rd_chart(b, title,
		         json_object_get(json_object_get(lv, "not_met"), json_string_value(v)), nm,
		         cohort);
	}
	if (json_array_size(rows) > 0) {
		sb_str(
		    b,
		    "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"What each "
		    "assessment emulated\">"
		    "<table><caption>What each assessment emulated</caption><thead><tr>"
		    "<th scope=\"col\">Company</th><th scope=\"col\">Capability emulated</th>"
		    "<th scope=\"col\">Access granted</th><th scope=\"col\">Person-days</th>"
		    "<th scope=\"col\">Not met from (by threat model)</th></tr></thead><tbody>");
		json_array_foreach(rows, i, row)
		{
			const json_t *em = json_object_get(row, "emulation");
			const json_t *cl;
			size_t n = 0;

			sb_str(b, "<tr><td>");
			sb_esc(b, rd_str(row, "company"));
			sb_str(b, "</td><td>");
			sb_esc(b, json_is_object(em) ? rd_str(em, "capability") : "not recorded");
			sb_str(b, "</td><td>");
			json_array_foreach(json_object_get(em, "access"), j, v)
			{
				sb_str(b, j ? ", " : "");
				sb_esc(b, json_string_value(v));
			}
			sb_str(b, "</td><td class=\"num\">");
			if (json_is_number(json_object_get(em, "person_days")))
				sb_printf(b, "%g",
				          json_number_value(json_object_get(em, "person_days")));
			sb_str(b, "</td><td>");
			json_object_foreach((json_t *)json_object_get(row, "claims"), key, cl)
			{
				if (!json_is_string(json_object_get(cl, "not_met_from")))
					continue;
				sb_str(b, n++ ? "; " : "");
				sb_esc(b, key);
				sb_str(b, ": ");
				sb_esc(b, rd_str(cl, "not_met_from"));
				if (json_is_true(json_object_get(cl, "contradiction"))) {
					sb_str(b,
					       " <strong class=\"warning\">contradicts the claim "
					       "\xe2\x80\x9crobust up to ");
					sb_esc(b, rd_str(cl, "level"));
					sb_str(b, "\xe2\x80\x9d</strong>");
				}
			}
			sb_str(b, "</td></tr>");
		}
		sb_str(b, "</tbody></table></div>\n");
	}
	json_array_foreach(rows, i, row)
	{
		if (json_array_size(json_object_get(row, "commitments")) > 0)
			any = 1;
	}
	if (any) {
		sb_str(b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"The "
		          "companies' own security commitments and the assessors' verdicts\">"
		          "<table><caption>The companies' own security commitments and the "
		          "assessors' verdicts</caption><thead><tr><th scope=\"col\">Company</th>"
		          "<th scope=\"col\">Framework</th><th scope=\"col\">Commitment</th>"
		          "<th scope=\"col\">Verdict</th></tr></thead><tbody>");
		json_array_foreach(rows, i, row)
		{
			json_array_foreach(json_object_get(row, "commitments"), j, k)
			{
				sb_str(b, "<tr><td>");
				sb_esc(b, rd_str(row, "company"));
				sb_str(b, "</td><td>");
				sb_esc(b, rd_str(k, "framework"));
				sb_str(b, " ");
				sb_esc(b, rd_str(k, "version"));
				sb_str(b, ": ");
				sb_esc(b, rd_str(k, "level"));
				sb_str(b, "</td><td>");
				sb_esc_lines(b, rd_str(k, "text"));
				if (json_is_string(json_object_get(k, "link"))) {
					sb_str(b, " <a rel=\"nofollow noopener\" href=\"");
					sb_esc(b, rd_str(k, "link"));
					sb_str(b, "\">source</a>");
				}
				sb_str(b, "</td><td><strong>");
				sb_esc(b, rd_str(k, "verdict"));
				sb_str(b, "</strong> ");
				sb_esc_lines(b, rd_str(k, "summary"));
				sb_str(b, "</td></tr>");
			}
		}
		sb_str(b, "</tbody></table></div>\n");
	} else if (json_object_size(json_object_get(lv, "commitments")) > 0) {
		rd_count_table(b, "The companies' own security commitments by assessors' verdict",
		               "Framework", json_object_get(lv, "commitments"), NULL,
		               vocab_verdicts, cohort);
	}
	sb_str(b, "</section>\n");
}

char *
publish_page_html(const json_t *doc, const struct publish_meta *m, size_t *len)
{
	struct sbuf b = {0};
	const json_t *c = json_object_get(doc, "campaign");
	const json_t *rows = json_object_get(doc, "engagements");
	const json_t *agg = json_object_get(doc, "aggregate");
	size_t i, j;
	json_t *v, *row;
	int any_statement = 0;
	int named = strcmp(rd_str(c, "disclosure"), "named") == 0;

	sb_str(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	           "<title>");
	sb_esc(&b, rd_str(c, "title"));
	sb_str(&b,
	       " \xe2\x80\x94 lockstep publication</title><link rel=\"icon\" href=\"data:,\">"
	       "<link rel=\"stylesheet\" href=\"/web/publication.css\">"
	       "<link rel=\"alternate\" type=\"application/json\" href=\"/api/v1/publications/");
	sb_esc(&b, m->slug);
	sb_str(&b, "\" title=\"Signed document (JSON)\"><link rel=\"alternate\" "
	           "type=\"application/json\" title=\"OSCAL assessment results\" "
	           "href=\"/api/v1/publications/");
	sb_esc(&b, m->slug);
	sb_str(&b, "/oscal\"><link rel=\"alternate\" type=\"application/atom+xml\" "
	           "title=\"lockstep publications (Atom)\" href=\"/feed.xml\">"
	           "</head><body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
	           "<header><p class=\"kicker\"><a href=\"/p/\">Publications</a> \xc2\xb7 "
	           "coordinated security assessment \xc2\xb7 released ");
	rd_time(&b, rd_str(c, "release_at"));
	sb_str(&b, "</p><h1>");
	sb_esc(&b, rd_str(c, "title"));
	sb_printf(&b, "</h1><p>Publication #%lld \xc2\xb7 disclosure: <strong>",
	          (long long)json_integer_value(json_object_get(doc, "sequence")));
	sb_esc(&b, rd_str(c, "disclosure"));
	sb_printf(&b, "</strong> \xc2\xb7 companies: %lld \xc2\xb7 minimum cohort: %lld</p>",
	          (long long)json_integer_value(json_object_get(doc, "companies")),
	          (long long)json_integer_value(json_object_get(c, "min_cohort")));
	if (json_is_true(json_object_get(doc, "embargo_break"))) {
		sb_str(&b, "<p class=\"warning\"><strong>Embargo break:</strong> released earlier "
		           "than an instant announced before (see the release-date history).</p>");
	}
	if (json_is_object(json_object_get(doc, "withheld"))) {
		json_t *w = json_object_get(doc, "withheld");

		sb_printf(&b,
		          "<p class=\"warning\"><strong>Withheld:</strong> %lld text(s) that named a "
		          "participating company are replaced by \xe2\x80\x9c" PUBLISH_WITHHELD
		          "\xe2\x80\x9d, by the coordinator's decision of ",
		          (long long)json_integer_value(json_object_get(w, "texts")));
		rd_time(&b, rd_str(w, "decided_at"));
		sb_str(&b, ". Reason given: ");
		sb_esc(&b, rd_str(w, "reason"));
		sb_str(&b, "</p>");
	}
	sb_str(&b, "</header>\n" PUBLISH_MAIN_OPEN);
	if (json_array_size(json_object_get(c, "release_history")) > 0) {
		sb_str(&b, "<section><h2>Release-date history</h2><div class=\"scroll\" "
		           "role=\"region\" tabindex=\"0\" aria-label=\"Release-date "
		           "history\"><table><thead><tr><th>Release "
		           "instant</th><th>Announced</th></tr></thead><tbody>");
		json_array_foreach(json_object_get(c, "release_history"), i, v)
		{
			sb_str(&b, "<tr><td>");
			rd_time(&b, rd_str(v, "release_at"));
			sb_str(&b, "</td><td>");
			if (json_is_string(json_object_get(v, "announced_at")))
				rd_time(&b, rd_str(v, "announced_at"));
			else
				sb_str(&b, "unknown");
			sb_str(&b, "</td></tr>");
		}
		sb_str(&b, "</tbody></table></div></section>\n");
	}
	sb_str(&b, "<section><h2>Assessors</h2><ul>");
	json_array_foreach(json_object_get(doc, "assessors"), i, v)
	{
		sb_str(&b, "<li><strong>");
		sb_esc(&b, rd_str(v, "firm"));
		sb_str(&b, "</strong>");
		if (json_array_size(json_object_get(v, "lead_assessors")) > 0) {
			sb_str(&b, ": ");
			rd_names(&b, json_object_get(v, "lead_assessors"));
		}
		sb_str(&b, "</li>");
	}
	sb_str(&b, "</ul></section>\n");

	json_array_foreach(json_object_get(c, "threat_models"), i, v)
	{
		const char *tm = json_string_value(v);
		char title[160];

		sb_str(&b, "<section><h2>");
		sb_esc(&b, rd_tm_name(tm));
		sb_str(&b, " <code>");
		sb_esc(&b, tm);
		sb_str(&b, "</code></h2>\n");
		if (json_array_size(rows) > 0) {
			/* only named rows link to their assessor (snapshot.c) */
			sb_str(&b, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
			           "aria-label=\"Results by company, ");
			sb_esc(&b, tm);
			sb_str(&b, named ? "\"><table><thead><tr><th>Company</th><th>Assessor</th>"
			                   "<th>Lead assessors</th>"
			                 : "\"><table><thead><tr><th>Company</th>");
			sb_str(&b, "<th>Robust up to</th><th>Summary</th>"
			           "<th>Findings<br><small>critical / high / medium / low / "
			           "info</small></th>"
			           "</tr></thead><tbody>");
			json_array_foreach(rows, j, row)
			{
				const json_t *cl =
				    json_object_get(json_object_get(row, "claims"), tm);
				const json_t *as = json_object_get(row, "assessor");

				sb_str(&b, "<tr><td>");
				sb_esc(&b, rd_str(row, "company"));
				if (named) {
					sb_str(&b, "</td><td>");
					sb_esc(&b, rd_str(as, "firm"));
					sb_str(&b, "</td><td>");
					rd_names(&b, json_object_get(as, "lead_assessors"));
				}
				sb_str(&b, "</td><td class=\"level\">");
				sb_esc(&b, rd_str(cl, "level"));
				sb_str(&b, "</td><td>");
				sb_esc_lines(&b, rd_str(cl, "summary"));
				sb_str(&b, "</td><td class=\"num\">");
				rd_row_findings(&b, row, tm);
				sb_str(&b, "</td></tr>");
			}
			sb_str(&b, "</tbody></table></div>\n");
		}
		snprintf(title, sizeof(title), "%s: capability levels reached (all companies)", tm);
		rd_chart(&b, title, json_object_get(json_object_get(agg, "claims"), tm),
		         vocab_levels,
		         (long long)json_integer_value(json_object_get(c, "min_cohort")));
		snprintf(title, sizeof(title), "%s: findings by severity (all companies)", tm);
		rd_chart(&b, title, json_object_get(json_object_get(agg, "findings"), tm),
		         vocab_severities,
		         (long long)json_integer_value(json_object_get(c, "min_cohort")));
		sb_str(&b, "</section>\n");
	}

	rd_levels(&b, doc);
	rd_series(&b, doc);
	json_array_foreach(rows, j, row)
	{
		if (json_is_string(json_object_get(row, "statement")))
			any_statement = 1;
	}
	if (any_statement) {
		sb_str(&b, "<section><h2>Company statements</h2>");
		json_array_foreach(rows, j, row)
		{
			if (!json_is_string(json_object_get(row, "statement")))
				continue;
			sb_str(&b, "<h3>");
			sb_esc(&b, rd_str(row, "company"));
			sb_str(&b, "</h3><blockquote>");
			sb_esc_lines(&b, rd_str(row, "statement"));
			sb_str(&b, "</blockquote>");
		}
		sb_str(&b, "</section>\n");
	}

	if (json_is_object(json_object_get(doc, "reviews"))) {
		/* the company review before the release (0008): per row, or only counts */
		const json_t *rv = json_object_get(doc, "reviews");
		static const char *const states[] = {"signed-off", "responded", "no-answer",
		                                     "changed-after-review", "not-reviewed"};
		static const char *const words[] = {"signed off", "responded", "did not answer",
		                                    "changed after review", "not reviewed"};

		sb_str(&b, "<section id=\"review\"><h2>Company review before release</h2><p>");
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			sb_printf(&b, "%s%s: %lld", k ? " \xc2\xb7 " : "", words[k],
			          (long long)json_integer_value(json_object_get(rv, states[k])));
		sb_str(&b, "</p>");
		if (json_array_size(rows) > 0) {
			sb_str(
			    &b,
			    "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
			    "aria-label=\"Company "
			    "reviews\"><table><thead><tr><th>Company</th><th>Review</th><th>Draft "
			    "SHA-256</th></tr></thead><tbody>");
			json_array_foreach(rows, j, row)
			{
				const json_t *r = json_object_get(row, "review");
				const char *st = rd_str(r, "state");
				const char *word = st;

				for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
					if (strcmp(st, states[k]) == 0)
						word = words[k];
				sb_str(&b, "<tr><td>");
				sb_esc(&b, rd_str(row, "company"));
				sb_str(&b, "</td><td>");
				sb_esc(&b, word);
				sb_str(&b, "</td><td><code>");
				sb_esc(&b, json_is_string(json_object_get(r, "draft_hash"))
				               ? rd_str(r, "draft_hash")
				               : "\xe2\x80\x94");
				sb_str(&b, "</code></td></tr>");
			}
			sb_str(&b, "</tbody></table></div>");
			json_array_foreach(rows, j, row)
			{
				const json_t *r = json_object_get(row, "review");

				if (!json_is_string(json_object_get(r, "response")))
					continue;
				sb_str(&b, "<h3>");
				sb_esc(&b, rd_str(row, "company"));
				sb_str(&b, ": response to the reviewed draft</h3><blockquote>");
				sb_esc_lines(&b, rd_str(r, "response"));
				sb_str(&b, "</blockquote>");
				if (json_is_string(json_object_get(r, "addendum"))) {
					sb_str(
					    &b,
					    "<p>Assessor\xe2\x80\x99s addendum:</p><blockquote>");
					sb_esc_lines(&b, rd_str(r, "addendum"));
					sb_str(&b, "</blockquote>");
				}
			}
		}
		sb_str(&b, "</section>\n");
	}

	sb_str(&b, "<section id=\"verify\"><h2>Signature</h2><dl><dt>SHA-256 of the "
	           "document</dt><dd><code>");
	sb_esc(&b, m->hash_hex);
	sb_str(&b, "</code></dd><dt>Previous publication</dt><dd><code>");
	sb_esc(&b, rd_str(doc, "prev_hash"));
	sb_str(&b, "</code></dd><dt>Ed25519 signature (base64)</dt><dd><code class=\"wrap\">");
	sb_esc(&b, m->signature_b64);
	sb_str(&b, "</code></dd><dt>Signing key (raw, base64url)</dt><dd><code>");
	sb_esc(&b, m->key_b64url);
	if (m->key_id != NULL) {
		sb_str(&b, "</code></dd><dt>Key id (RFC 7638 thumbprint)</dt><dd><code>");
		sb_esc(&b, m->key_id);
	}
	sb_str(&b, "</code></dd><dt>Published</dt><dd>");
	rd_time(&b, m->published_at);
	sb_str(&b, "</dd></dl>\n<p>Verify with nothing but curl and the openssl command-line tool "
	           "(replace <code>$SERVER</code> with this site's address):</p><pre>");
	sb_str(&b, "curl -s \"$SERVER/.well-known/lockstep/signing-key?format=pem\" &gt; key.pem\n"
	           "curl -s \"$SERVER/api/v1/publications/");
	sb_esc(&b, m->slug);
	sb_str(&b, "\" &gt; doc.json\ncurl -s \"$SERVER/api/v1/publications/");
	sb_esc(&b, m->slug);
	sb_str(
	    &b,
	    "/signature\" &gt; sig.bin\n"
	    "openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in doc.json -sigfile sig.bin\n"
	    "openssl dgst -sha256 doc.json</pre>"
	    "<p>The first openssl command prints <code>Signature Verified Successfully</code>; the "
	    "second prints the SHA-256 above. The signature above, decoded with "
	    "<code>openssl base64 -d -A</code>, is the same 64 bytes as <code>sig.bin</code>.</p>"
	    "</section>\n");
	rd_transparency(&b, doc, m);
	sb_str(&b, "</main>\n<footer><p>Served by lockstep. Machine-readable: "
	           "<a href=\"/api/v1/publications/");
	sb_esc(&b, m->slug);
	sb_str(&b, "/oscal\">OSCAL assessment results</a> \xc2\xb7 "
	           "<a href=\"/api/v1/publications/");
	sb_esc(&b, m->slug);
	sb_str(&b,
	       "\">signed JSON document</a> \xc2\xb7 <a href=\"/feed.xml\">Atom feed</a> \xc2\xb7 "
	       "<a href=\"/p/\">all publications</a></p></footer>"
	       "\n</body></html>\n");
	return sb_finish(&b, len);
}

char *
publish_feed_atom(const struct publish_feed_item *items, size_t n, const char *feed_id, size_t *len)
{
	struct sbuf b = {0};

	sb_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	           "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>");
	sb_esc(&b, feed_id);
	sb_str(&b, "</id><title>lockstep publications</title><updated>");
	sb_esc(&b, n > 0 ? items[0].published_at : "1970-01-01T00:00:00Z");
	sb_str(&b, "</updated><link rel=\"self\" type=\"application/atom+xml\" href=\"/feed.xml\"/>"
	           "<author><name>lockstep</name></author>\n");
	for (size_t i = 0; i < n; i++) {
		sb_str(&b, "<entry><id>urn:lockstep:publication:");
		sb_esc(&b, items[i].hash_hex);
		sb_str(&b, "</id><title>");
		sb_esc(&b, items[i].title);
		sb_str(&b, "</title><updated>");
		sb_esc(&b, items[i].published_at);
		sb_str(&b, "</updated><published>");
		sb_esc(&b, items[i].published_at);
		sb_str(&b, "</published><link rel=\"alternate\" type=\"text/html\" href=\"/p/");
		sb_esc(&b, items[i].slug);
		sb_str(&b, "\"/><link rel=\"alternate\" type=\"application/json\" "
		           "href=\"/api/v1/publications/");
		sb_esc(&b, items[i].slug);
		sb_printf(&b, "\"/><summary>Signed publication #%lld, ", items[i].seq);
		sb_esc(&b, items[i].disclosure);
		sb_str(&b, " disclosure, released ");
		sb_esc(&b, items[i].release_at);
		sb_str(&b, "; SHA-256 ");
		sb_esc(&b, items[i].hash_hex);
		sb_str(&b, ".</summary></entry>\n");
	}
	sb_str(&b, "</feed>\n");
	return sb_finish(&b, len);
}

/* ---- the public index (/p/) and the public "not found" page ---- */

/* The opening of a public page: title (escaped), stylesheet, the feed. */
static void
rd_page_head(struct sbuf *b, const char *title)
{
	sb_str(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	          "<meta name=\"description\" content=\"Signed results of coordinated security "
	          "assessments, published at their release instant.\"><title>");
	sb_esc(b, title);
	sb_str(b, "</title><link rel=\"icon\" href=\"data:,\">"
	          "<link rel=\"stylesheet\" href=\"/web/publication.css\">"
	          "<link rel=\"alternate\" type=\"application/atom+xml\" "
	          "title=\"lockstep publications (Atom)\" href=\"/feed.xml\">"
	          "<link rel=\"alternate\" type=\"application/json\" "
	          "title=\"lockstep publications (JSON)\" href=\"/api/v1/publications\">"
	          "</head><body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
}

/* An instant as <time datetime="…">…</time>, shown as "YYYY-MM-DD HH:MM UTC". */
static void
rd_time(struct sbuf *b, const char *iso)
{
	char shown[32];

	/* "2027-05-01T12:00:00Z" or with a fraction: date and minute, in UTC */
	if (iso != NULL && strlen(iso) >= 16 && iso[10] == 'T')
		snprintf(shown, sizeof(shown), "%.10s %.5s UTC", iso, iso + 11);
	else
		snprintf(shown, sizeof(shown), "%s", iso ? iso : "");
	sb_str(b, "<time datetime=\"");
	sb_esc(b, iso);
	sb_str(b, "\">");
	sb_esc(b, shown);
	sb_str(b, "</time>");
}

static const char *
rd_disclosure_words(const char *d)
{
	if (strcmp(d, "named") == 0)
		return "named: every company and its assessor by name";
	if (strcmp(d, "pseudonymous") == 0)
		return "pseudonymous: companies as labels, assessors listed apart";
	if (strcmp(d, "aggregate") == 0)
		return "aggregate: totals only, small cohorts suppressed";
	return d;
}

char *
publish_index_html(const struct publish_feed_item *items, size_t n, long long next, size_t *len)
{
	struct sbuf b = {0};

	rd_page_head(&b, "Publications \xe2\x80\x94 lockstep");
	sb_str(&b, "<header><p class=\"kicker\">Coordinated security assessments</p>"
	           "<h1>Publications</h1><p>Signed results, each published at its release "
	           "instant and never changed afterwards. Newest first. Subscribe to the "
	           "<a href=\"/feed.xml\">Atom feed</a> or read the "
	           "<a href=\"/api/v1/publications\">JSON list</a>.</p></header>\n"
	           "<main id=\"main\">\n");
	if (n == 0) {
		sb_str(&b, "<p class=\"empty\">Nothing has been released yet. Each campaign's "
		           "results appear here at its release instant; the "
		           "<a href=\"/feed.xml\">Atom feed</a> announces them.</p>\n");
	} else {
		sb_str(&b, "<ol class=\"publications\" reversed>\n");
		for (size_t i = 0; i < n; i++) {
			sb_str(&b, "<li><article><h2><a href=\"/p/");
			sb_esc(&b, items[i].slug);
			sb_str(&b, "\">");
			sb_esc(&b, items[i].title);
			sb_str(&b, "</a></h2><dl><dt>Released</dt><dd>");
			rd_time(&b, items[i].release_at);
			sb_str(&b, "</dd><dt>Disclosure</dt><dd>");
			sb_esc(&b, rd_disclosure_words(items[i].disclosure));
			sb_printf(&b,
			          "</dd><dt>Publication</dt><dd>#%lld</dd></dl></article></li>\n",
			          items[i].seq);
		}
		sb_str(&b, "</ol>\n");
		if (next > 0)
			sb_printf(&b,
			          "<p><a rel=\"next\" href=\"/p/?after=%lld\">Older "
			          "publications</a></p>\n",
			          next);
	}
	sb_str(&b, "</main>\n<footer><p>Served by lockstep. Every publication is signed with "
	           "Ed25519: see <a href=\"/.well-known/lockstep/signing-keys\">the signing "
	           "keys</a>.</p></footer>\n</body></html>\n");
	return sb_finish(&b, len);
}

char *
publish_not_found_html(size_t *len)
{
	struct sbuf b = {0};

	rd_page_head(&b, "Not found \xe2\x80\x94 lockstep");
	sb_str(&b, "<header><p class=\"kicker\">lockstep</p><h1>Not found</h1></header>\n"
	           "<main id=\"main\"><p>There is no publication at this address. A campaign's "
	           "results appear here only at its release instant; until then this page "
	           "looks exactly like this one, whether the campaign exists or not.</p>"
	           "<p><a href=\"/p/\">All publications</a> \xc2\xb7 "
	           "<a href=\"/feed.xml\">Atom feed</a></p></main>\n"
	           "<footer><p>Served by lockstep.</p></footer>\n</body></html>\n");
	return sb_finish(&b, len);
}

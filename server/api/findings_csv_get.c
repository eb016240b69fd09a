/*
 * GET /api/v1/engagements/{id}/findings.csv: every finding of the
 * engagement as RFC 4180 CSV (UTF-8, CRLF, a header row), for its company
 * and assessor: an audited confidential read, like GET findings. A cell
 * that starts with = + - @ TAB or CR is prefixed with ' so that a
 * spreadsheet never runs it as a formula. The header's first columns are
 * the import header's, so the file can be imported again.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/csv.h"

#define CSV_PAGE 200
#define CSV_MAX_FINDINGS 20000

struct csv_ctx {
	struct http_request *r;
	const char *engagement;
	struct store_finding *rows; /* the result */
	int n;
	struct api_res res;
};

static int
csv_tx(struct db_conn *c, void *arg)
{
	struct csv_ctx *x = arg;
	struct api_engagement e;
	const char *after = NULL;
	char after_id[DB_UUID_LEN + 1];
	int rc;

	store_findings_free(x->rows, x->n);
	x->rows = NULL;
	x->n = 0;
	if ((rc = api_engagement_load(c, x->r, x->engagement, API_AS_PARTICIPANT, &e, &x->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	for (;;) {
		struct store_finding *page = NULL, *all;
		int m = 0;

		if ((rc = store_finding_list(c, x->engagement, after, CSV_PAGE, &page, &m)) !=
		    DB_OK)
			return rc;
		if (m > 0 && x->n + m <= CSV_MAX_FINDINGS) {
			all = realloc(x->rows, (size_t)(x->n + m) * sizeof(*all));
			if (all == NULL) {
				store_findings_free(page, m);
				return DB_ERROR;
			}
			x->rows = all;
			memcpy(x->rows + x->n, page, (size_t)m * sizeof(*page));
			x->n += m;
			free(page); /* the members now belong to x->rows */
		} else {
			store_findings_free(page, m);
		}
		if (m < CSV_PAGE || x->n >= CSV_MAX_FINDINGS)
			break;
		memcpy(after_id, x->rows[x->n - 1].id, sizeof(after_id));
		after = after_id;
	}
	return api_audit(c, x->r, "finding.export", "engagement", x->engagement, NULL, NULL,
	                 json_pack("{s:s, s:i}", "format", "csv", "findings", x->n));
}

/* A JSON array of strings as "a;b" (malloc'd) */
static char *
csv_join(const json_t *a)
{
	size_t i, len = 1;
	json_t *v;
	char *s;

	json_array_foreach(a, i, v) len += json_string_length(v) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	json_array_foreach(a, i, v)
	{
		if (i > 0)
			strcat(s, ";");
		strcat(s, json_string_value(v) ? json_string_value(v) : "");
	}
	return s;
}

static int
csv_build(const struct csv_ctx *x, struct util_csv_out *o)
{
	static const char *const head[] = {
	    "threat_model", "title",  "detail",   "severity",   "cwe",        "atlas", "cvss",
	    "id",           "status", "response", "created_at", "updated_at", NULL};

	for (int i = 0; head[i]; i++)
		if (util_csv_cell(o, head[i]) != 0)
			return -1;
	if (util_csv_end(o) != 0)
		return -1;
	for (int i = 0; i < x->n; i++) {
		const struct store_finding *f = &x->rows[i];
		char *cwe = csv_join(f->cwe), *atlas = csv_join(f->atlas);
		int bad = cwe == NULL || atlas == NULL || util_csv_cell(o, f->threat_model) != 0 ||
		          util_csv_cell(o, json_string_value(f->title)) != 0 ||
		          util_csv_cell(o, json_string_value(f->detail)) != 0 ||
		          util_csv_cell(o, f->severity) != 0 || util_csv_cell(o, cwe) != 0 ||
		          util_csv_cell(o, atlas) != 0 || util_csv_cell(o, f->cvss) != 0 ||
		          util_csv_cell(o, f->id) != 0 || util_csv_cell(o, f->status) != 0 ||
		          util_csv_cell(o, json_string_value(f->response)) != 0 ||
		          util_csv_cell(o, f->created_at) != 0 ||
		          util_csv_cell(o, f->updated_at) != 0 || util_csv_end(o) != 0;

		free(cwe);
		free(atlas);
		if (bad)
			return -1;
	}
	return 0;
}

int
api_findings_csv_get(struct http_request *r)
{
	struct csv_ctx x = {.r = r, .res = {.status = 200}};
	struct util_csv_out o = {0};
	char disp[96];
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	x.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "findings_csv", csv_tx, &x);
	if (rc == DB_OK && csv_build(&x, &o) != 0)
		rc = DB_ERROR;
	store_findings_free(x.rows, x.n);
	if (rc != DB_OK) {
		free(o.buf);
		return api_finish(r, rc, &x.res);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"findings-%s.csv\"", x.engagement);
	{
		const char *hdr[] = {"Content-Disposition", disp, NULL};

		rc = http_reply_bytes(r, 200, "text/csv; charset=utf-8; header=present", o.buf,
		                      o.len, hdr);
	}
	if (o.buf)
		explicit_bzero(o.buf, o.cap);
	free(o.buf);
	return rc;
}

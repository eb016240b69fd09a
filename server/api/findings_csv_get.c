/*
 * GET /api/v1/engagements/{id}/findings.csv: every finding of the
 * engagement as RFC 4180 CSV (UTF-8, CRLF, a header row), for its company
 * and assessor: an audited confidential read, like GET findings. A cell
 * that starts with = + - @ TAB or CR is prefixed with ' so that a
 * spreadsheet never runs it as a formula.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "util/csv.h"

struct csv_ctx {
	struct http_request *r;
	const char *engagement;
	struct api_export x; /* the result */
	struct api_res res;
};

static int
csv_tx(struct db_conn *c, void *arg)
{
	struct csv_ctx *k = arg;

	return api_export_load(c, k->r, k->engagement, "csv", &k->x, &k->res);
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
csv_build(const struct api_export *x, struct util_csv_out *o)
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
	if (rc == DB_OK && csv_build(&x.x, &o) != 0)
		rc = DB_ERROR;
	api_export_clear(&x.x);
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

/*
 * GET /api/v1/engagements/{id}/oscal: the engagement as an OSCAL 1.1.2
 * assessment-results document (export.c builds it), for its company and
 * assessor; an audited confidential read ("finding.export", format oscal).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/export.h"

struct oscal_ctx {
	struct http_request *r;
	const char *engagement;
	struct api_export x; /* the result */
	struct api_res res;
};

static int
oscal_tx(struct db_conn *c, void *arg)
{
	struct oscal_ctx *k = arg;

	return api_export_load(c, k->r, k->engagement, "oscal", &k->x, &k->res);
}

int
api_engagement_oscal_get(struct http_request *r)
{
	struct oscal_ctx k = {.r = r, .res = {.status = 200}};
	char now[32], disp[96];
	json_t *doc = NULL;
	char *text = NULL;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "engagement_oscal", oscal_tx, &k);
	if (rc == DB_OK) {
		api_now_rfc3339(now, sizeof(now));
		if ((doc = api_oscal_engagement(&k.x, now)) == NULL ||
		    (text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII)) == NULL)
			rc = DB_ERROR;
	}
	api_export_clear(&k.x);
	json_decref(doc);
	if (rc != DB_OK) {
		free(text);
		return api_finish(r, rc, &k.res);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"assessment-results-%s.json\"",
	         k.engagement);
	{
		const char *hdr[] = {"Content-Disposition", disp, NULL};

		rc = http_reply_bytes(r, 200, "application/json", text, strlen(text), hdr);
	}
	explicit_bzero(text, strlen(text));
	free(text);
	return rc;
}

/*
 * POST /api/v1/findings/{id}/comments {body}: the engagement's company or
 * assessor adds a comment to the finding's thread. The body is sealed
 * under the engagement's data key; the other side hears of it (inbox,
 * webhooks: the event and ids only). Comments stay possible after the
 * release: nothing of them is published.
 */
#include "config.h"

#include "api/api.h"

static const struct json_field comment_fields[] = {{.name = "body",
                                                    .type = JSON_FIELD_STRING,
                                                    .required = 1,
                                                    .min_len = 1,
                                                    .max_len = 20000,
                                                    .valid = api_valid_text},
                                                   {.name = NULL}};

struct comment_ctx {
	struct http_request *r;
	const char *finding;
	char id[DB_UUID_LEN + 1];
	struct store_comment row; /* the result */
	struct api_res res;
};

static int
comment_tx(struct db_conn *c, void *arg)
{
	struct comment_ctx *k = arg;
	struct api_finding f;
	int rc;

	store_comment_clear(&k->row);
	if ((rc = api_finding_load(c, k->r, k->finding, API_AS_PARTICIPANT, &f, &k->res)) != DB_OK)
		return rc;
	rc = store_comment_create(c, k->id, &f.ref,
	                          json_string_value(json_object_get(k->r->json, "body")), &k->row);
	if (rc == DB_OK)
		rc = store_notify_event(c, "finding.comment", NULL, f.e.id, "finding", k->finding,
		                        STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR, NULL);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "finding.comment", "finding_comment", k->id, f.e.company,
		               f.e.assessor, json_pack("{s:s}", "finding", k->finding));
	api_finding_clear(&f);
	return rc;
}

int
api_finding_comments_post(struct http_request *r)
{
	struct comment_ctx k = {.r = r, .res = {.status = 201}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, comment_fields)) != HTTP_OK)
		return rc;
	if (api_new_uuid(k.id) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	k.finding = http_param(r, 0);
	rc = db_tx(&r->who, "finding_comment", comment_tx, &k);
	if (rc == DB_DENIED)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK && (k.res.body = api_comment_json(&k.row)) == NULL)
		rc = DB_ERROR;
	store_comment_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

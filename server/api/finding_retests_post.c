/*
 * POST /api/v1/findings/{id}/retests {result: passed|failed, note,
 * evidence?: [evidence ids]}: the engagement's assessor retests a
 * remediated finding. Passed moves it to 'verified' (the only way there),
 * failed back to 'open'. Evidence ids must be complete evidence of the
 * same engagement. The note is sealed like the finding's text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int
result_valid(const char *s)
{
	return strcmp(s, "passed") == 0 || strcmp(s, "failed") == 0;
}

static const struct json_field retest_fields[] = {{.name = "result",
                                                   .type = JSON_FIELD_STRING,
                                                   .required = 1,
                                                   .min_len = 1,
                                                   .max_len = 8,
                                                   .valid = result_valid,
                                                   .rule = "one of passed, failed"},
                                                  {.name = "note",
                                                   .type = JSON_FIELD_STRING,
                                                   .required = 1,
                                                   .min_len = 1,
                                                   .max_len = 20000,
                                                   .valid = api_valid_text},
                                                  {.name = "evidence",
                                                   .type = JSON_FIELD_STRING_ARRAY,
                                                   .min_len = 36,
                                                   .max_len = 36,
                                                   .max_items = 32,
                                                   .valid = api_valid_uuid},
                                                  {.name = NULL}};

struct retest_ctx {
	struct http_request *r;
	const char *finding;
	char id[DB_UUID_LEN + 1];
	char *evidence;
	struct store_retest row;          /* the result */
	struct store_finding finding_row; /* the finding afterwards */
	struct api_res res;
};

static int
retest_tx(struct db_conn *c, void *arg)
{
	struct retest_ctx *k = arg;
	json_t *j = k->r->json;
	struct api_finding f;
	int rc;

	store_retest_clear(&k->row);
	store_finding_clear(&k->finding_row);
	if ((rc = api_finding_load(c, k->r, k->finding, API_AS_ASSESSOR, &f, &k->res)) != DB_OK)
		return rc;
	if (f.e.released) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
		goto done;
	}
	if (strcmp(f.row.status, "remediated") != 0) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "Only a remediated finding is retested.");
		goto done;
	}
	rc = store_retest_create(c, k->id, &f.ref, json_string_value(json_object_get(j, "result")),
	                         json_string_value(json_object_get(j, "note")), k->evidence,
	                         &k->row);
	if (rc == DB_INVALID) {
		rc = api_fail_field(&k->res, "evidence", "not evidence of this engagement");
		goto done;
	}
	if (rc == DB_OK)
		rc = store_finding_get(c, k->finding, &k->finding_row);
	if (rc == DB_OK)
		rc = store_notify_event(c, "finding.retested", NULL, f.e.id, "finding", k->finding,
		                        STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR, NULL);
	if (rc == DB_OK)
		rc = api_audit(
		    c, k->r, "finding.retest", "finding_retest", k->id, f.e.company, f.e.assessor,
		    json_pack("{s:s, s:s}", "finding", k->finding, "result", k->row.result));
done:
	api_finding_clear(&f);
	return rc;
}

int
api_finding_retests_post(struct http_request *r)
{
	struct retest_ctx k = {.r = r, .res = {.status = 201}};
	json_t *ev;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, retest_fields)) != HTTP_OK)
		return rc;
	if (api_new_uuid(k.id) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	k.finding = http_param(r, 0);
	ev = json_object_get(r->json, "evidence");
	k.evidence = ev ? json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
	if (k.evidence == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&r->who, "finding_retest", retest_tx, &k);
	free(k.evidence);
	if (rc == DB_DENIED)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_OK &&
	    (k.res.body = json_pack("{s:o, s:o}", "retest", api_retest_json(&k.row), "finding",
	                            api_finding_json(&k.finding_row))) == NULL)
		rc = DB_ERROR;
	store_retest_clear(&k.row);
	store_finding_clear(&k.finding_row);
	return api_finish(r, rc, &k.res);
}

/*
 * PUT /api/v1/engagements/{id}/statement {text}: the company's public
 * response. From the campaign's review window on, the answer carries
 * "name_check" ({hold, spans}, as POST .../name-check) for the saved text.
 */
#include "config.h"

#include "api/api.h"

static const struct json_field statement_fields[] = {{.name = "text",
                                                      .type = JSON_FIELD_STRING,
                                                      .required = 1,
                                                      .min_len = 0,
                                                      .max_len = 5000,
                                                      .valid = api_valid_text},
                                                     {.name = NULL}};

struct statement_ctx {
	struct http_request *r;
	const char *engagement;
	struct store_statement row; /* the result */
	json_t *names;              /* the result: names to check the text for, or NULL */
	struct api_res res;
};

static int
statement_tx(struct db_conn *c, void *arg)
{
	struct statement_ctx *k = arg;
	struct api_engagement e;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_COMPANY, &e, &k->res)) !=
	    DB_OK)
		return rc;
	if (e.released)
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	else
		rc = store_statement_put(c, e.id, e.company, e.assessor,
		                         json_string_value(json_object_get(k->r->json, "text")),
		                         &k->row);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "statement.put", "engagement", e.id, e.company, e.assessor,
		               NULL);
	/* from the review window on, every save is name-checked at once */
	json_decref(k->names);
	k->names = NULL;
	if (rc == DB_OK && e.review_open)
		rc = store_name_check_names(c, e.id, &k->names);
	api_engagement_clear(&e);
	return rc;
}

int
api_statement_put(struct http_request *r)
{
	struct statement_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, statement_fields)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "statement_put", statement_tx, &k);
	if (rc == DB_OK && (k.res.body = api_statement_json(&k.row)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK && k.names != NULL)
		json_object_set_new(k.res.body, "name_check",
		                    api_name_check_json(k.names, k.row.text ? k.row.text : ""));
	json_decref(k.names);
	store_statement_clear(&k.row);
	return api_finish(r, rc, &k.res);
}

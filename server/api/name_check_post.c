/*
 * POST /api/v1/engagements/{id}/name-check {text}: while a participant
 * writes a claim summary or a statement, which spans of the text would
 * hold a pseudonymous or aggregate release (publish_text_find, the same
 * check the release applies). Answers {"hold": bool, "spans": [{start,
 * end, text}]}, start and end in UTF-16 code units of text (JavaScript
 * string indices), overlapping spans merged.
 *
 * The names searched are those of every company on the platform, not only
 * the campaign's (name_check_names, 0004_anonymity.sql): a span says that
 * the text names some company, never which one, nor whether that company
 * takes part, so "hold" is a superset of what holds the release. Under
 * named disclosure nothing holds and no span is returned. Only the
 * engagement's company and assessor may ask; anyone else gets 404.
 * Nothing is stored; each check is an audit event (the number of spans,
 * never the text).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "publish/publish.h"

static const struct json_field name_check_fields[] = {{.name = "text",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 0,
                                                       .max_len = 5000,
                                                       .valid = api_valid_text},
                                                      {.name = NULL}};

struct name_check_ctx {
	struct http_request *r;
	const char *engagement;
	const struct publish_text *index;
	/* the result: the spans found, merged */
	struct publish_span *spans;
	size_t nspans;
	struct api_res res;
};

static int
name_check_tx(struct db_conn *c, void *arg)
{
	struct name_check_ctx *k = arg;
	struct api_engagement e;
	json_t *names = NULL, *n;
	size_t i;
	int rc;

	free(k->spans); /* the callback may run twice */
	k->spans = NULL;
	k->nspans = 0;
	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	if ((rc = store_name_check_names(c, k->engagement, &names)) != DB_OK)
		return rc;
	json_array_foreach(names, i, n)
	{
		if (json_is_string(n) &&
		    publish_text_find(k->index, json_string_value(n), &k->spans, &k->nspans) < 0) {
			json_decref(names);
			return DB_ERROR;
		}
	}
	json_decref(names);
	k->nspans = publish_spans_merge(k->spans, k->nspans);
	return api_audit(c, k->r, "engagement.name_check", "engagement", k->engagement, NULL, NULL,
	                 json_pack("{s:I}", "spans", (json_int_t)k->nspans));
}

int
api_name_check_post(struct http_request *r)
{
	struct name_check_ctx k = {.r = r, .res = {.status = 200}};
	struct publish_text *index;
	const char *text;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, name_check_fields)) != HTTP_OK)
		return rc;
	k.engagement = http_param(r, 0);
	text = json_string_value(json_object_get(r->json, "text"));
	/* index the text once, outside the transaction */
	if ((index = publish_text_new(text)) == NULL)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	k.index = index;
	rc = db_tx(&r->who, "name_check", name_check_tx, &k);
	publish_text_free(index);
	if (rc == DB_OK) {
		json_t *list = json_array();

		for (size_t i = 0; list != NULL && i < k.nspans; i++)
			json_array_append_new(list, json_pack("{s:I, s:I, s:s%}", "start",
			                                      (json_int_t)k.spans[i].ustart, "end",
			                                      (json_int_t)k.spans[i].uend, "text",
			                                      text + k.spans[i].start,
			                                      k.spans[i].end - k.spans[i].start));
		/* o steals list */
		if ((k.res.body = json_pack("{s:b, s:o}", "hold", k.nspans > 0, "spans", list)) ==
		    NULL)
			rc = DB_ERROR;
	}
	free(k.spans);
	return api_finish(r, rc, &k.res);
}

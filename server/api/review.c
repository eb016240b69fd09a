/*
 * api/review.c: the company review of an engagement's row before the
 * release (issue 11; the scheduler side is publish/review.c).
 *
 *   GET  /api/v1/engagements/{id}/review            company, assessor
 *   GET  /api/v1/engagements/{id}/review/page       company, assessor (HTML, no script)
 *   POST /api/v1/engagements/{id}/review/sign-off   company {draft_hash}
 *   POST /api/v1/engagements/{id}/review/response   company {draft_hash, text}
 *   PUT  /api/v1/engagements/{id}/review/addendum   assessor {draft_hash, text}
 *
 * Anyone else (the coordinator, another tenant, an unknown or malformed
 * id) gets the 404 of a missing engagement. An answer names the hash of
 * the draft it answers: a draft that changed meanwhile is 409, and so is
 * an answer before the review opened or after the release instant. Every
 * read of a draft is audited; every answer is audited and a
 * participant-facing event (store_event).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "publish/publish.h"

#define REVIEW_TEXT_MAX 20000

static int
review_valid_hash(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static const struct json_field signoff_fields[] = {
    {.name = "draft_hash",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 64,
     .max_len = 64,
     .valid = review_valid_hash,
     .rule = "a SHA-256 in 64 lower-case hexadecimal digits, as the draft gives it"},
    {.name = NULL}};

static const struct json_field text_fields[] = {
    {.name = "draft_hash",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 64,
     .max_len = 64,
     .valid = review_valid_hash,
     .rule = "a SHA-256 in 64 lower-case hexadecimal digits, as the draft gives it"},
    {.name = "text",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = REVIEW_TEXT_MAX,
     .valid = api_valid_text},
    {.name = NULL}};

enum review_op { REVIEW_GET, REVIEW_PAGE, REVIEW_SIGNOFF, REVIEW_RESPONSE, REVIEW_ADDENDUM };

struct review_ctx {
	struct http_request *r;
	enum review_op op;
	const char *id;
	const char *hash;
	const char *text;
	char detail[200];
	/* the result */
	struct store_review rev;
	int none;          /* no draft yet */
	json_t *names;     /* names to check an answer's text for (pseudonymous, aggregate) */
	char company[256]; /* the company's name, for the page */
	struct store_campaign camp;
	struct api_res res;
};

static int
review_tx(struct db_conn *c, void *arg)
{
	struct review_ctx *k = arg;
	struct api_engagement e;
	int as = k->op == REVIEW_GET || k->op == REVIEW_PAGE ? API_AS_PARTICIPANT
	         : k->op == REVIEW_ADDENDUM                  ? API_AS_ASSESSOR
	                                                     : API_AS_COMPANY;
	struct store_engagement row = {0};
	int rc;

	store_review_clear(&k->rev);
	store_campaign_clear(&k->camp);
	k->none = 0;
	if ((rc = api_engagement_load(c, k->r, k->id, as, &e, &k->res)) != DB_OK)
		return rc;
	api_engagement_clear(&e);
	if ((rc = store_engagement_get(c, k->id, &row)) != DB_OK)
		return rc;
	rc = store_campaign_get(c, row.campaign_id, &k->camp);
	if (rc == DB_OK)
		rc = store_review_get(c, k->id, &k->rev);
	if (rc == STORE_NONE) {
		k->none = 1;
		rc = DB_OK;
	}
	if (rc != DB_OK)
		goto done;
	snprintf(k->company, sizeof(k->company), "%s", row.company_name ? row.company_name : "");
	if (k->op == REVIEW_PAGE && k->none) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "The review has not opened yet: there is no draft to show.");
		goto done;
	}
	if (k->op == REVIEW_GET || k->op == REVIEW_PAGE) {
		rc = k->none ? DB_OK
		             : api_audit(c, k->r, "review.read", "engagement", k->id,
		                         row.company_org_id, row.assessor_org_id,
		                         json_pack("{s:I}", "version", (json_int_t)k->rev.version));
		goto done;
	}
	if (k->none) {
		snprintf(k->detail, sizeof(k->detail),
		         "The review of this engagement opens at %s; there is no draft yet.",
		         k->camp.review_opens_at);
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, k->detail);
		goto done;
	}
	if (!k->rev.open) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "The release instant has passed; the review is closed.");
		goto done;
	}
	if (strcmp(k->hash, k->rev.draft_hash) != 0) {
		snprintf(k->detail, sizeof(k->detail),
		         "The draft changed: the current one is version %lld; review it and answer "
		         "its hash.",
		         k->rev.version);
		rc = api_fail_field(&k->res, "draft_hash", k->detail);
		k->res.problem = PROBLEM_CONFLICT;
		goto done;
	}
	if (k->op == REVIEW_ADDENDUM && strcmp(k->rev.state, "responded") != 0) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "An addendum answers the company's response; there is none.");
		goto done;
	}
	if (k->op == REVIEW_ADDENDUM)
		rc = store_review_addendum(c, k->id, k->hash, k->text);
	else
		rc = store_review_answer(c, k->id,
		                         k->op == REVIEW_SIGNOFF ? "signed-off" : "responded",
		                         k->hash, k->op == REVIEW_RESPONSE ? k->text : NULL);
	if (rc == STORE_NONE || rc == DB_DENIED) {
		rc = api_fail(&k->res, PROBLEM_CONFLICT,
		              "The review changed meanwhile; reload the draft.");
		goto done;
	}
	if (rc != DB_OK)
		goto done;
	{
		const char *action = k->op == REVIEW_SIGNOFF    ? "review.signed_off"
		                     : k->op == REVIEW_RESPONSE ? "review.responded"
		                                                : "review.addendum";

		rc = api_audit(c, k->r, action, "engagement", k->id, row.company_org_id,
		               row.assessor_org_id,
		               json_pack("{s:I, s:s}", "version", (json_int_t)k->rev.version,
		                         "draft_hash", k->hash));
		if (rc == DB_OK)
			rc = store_event(c, "review.answered", "engagement", k->id,
			                 row.company_org_id, row.assessor_org_id,
			                 json_pack("{s:s, s:s, s:I, s:s}", "engagement", k->id,
			                           "answer", action + 7, "version",
			                           (json_int_t)k->rev.version, "draft_hash",
			                           k->hash),
			                 k->r->addr);
	}
	if (rc == DB_OK)
		rc = store_review_get(c, k->id, &k->rev);
	json_decref(k->names);
	k->names = NULL;
	if (rc == DB_OK && k->text != NULL)
		rc = store_name_check_names(c, k->id, &k->names);
done:
	store_engagement_clear(&row);
	return rc;
}

/* The answer: the engagement's review as its participants see it. New reference. */
static json_t *
review_json(const struct review_ctx *k)
{
	const struct store_review *v = &k->rev;
	json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "engagement_id", k->id, "opens_at",
	                      k->camp.review_opens_at, "release_at", k->camp.release_at,
	                      "opens_default", k->camp.review_opens_default);

	if (k->none) {
		json_object_set_new(o, "state", json_string("not-open"));
		json_object_set_new(o, "open", json_false());
		json_object_set_new(o, "draft", json_null());
		return o;
	}
	json_object_set_new(o, "state", json_string(v->state));
	json_object_set_new(o, "open", json_boolean(v->open));
	json_object_set_new(o, "reopened", json_boolean(v->reopened));
	json_object_set_new(o, "draft",
	                    json_pack("{s:I, s:s, s:s, s:O, s:O}", "version",
	                              (json_int_t)v->version, "hash", v->draft_hash, "frozen_at",
	                              v->frozen_at, "changes", v->changes, "row", v->row));
	json_object_set_new(o, "answered_at",
	                    v->answered_at[0] ? json_string(v->answered_at) : json_null());
	json_object_set(o, "response", v->response);
	json_object_set(o, "addendum", v->addendum);
	json_object_set_new(o, "addendum_at",
	                    v->addendum_at[0] ? json_string(v->addendum_at) : json_null());
	return o;
}

/*
 * The draft as the public page will show it: publish_page_html of a
 * document with this one row, under a banner saying it is a draft.
 * Replies; returns the http_result.
 */
static int
review_page_reply(struct http_request *r, const struct review_ctx *k)
{
	const struct store_review *v = &k->rev;
	int named = strcmp(k->camp.disclosure, "named") == 0;
	json_t *row = json_copy(v->row), *doc;
	struct publish_meta m = {.slug = k->camp.slug,
	                         .hash_hex = v->draft_hash,
	                         .signature_b64 = "(a review draft is not signed)",
	                         .key_b64url = "",
	                         .published_at = v->frozen_at};
	char banner[512], *page = NULL, *out = NULL, *at;
	size_t len = 0, blen;
	int rc;

	if (row == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	json_object_set_new(
	    row, "company",
	    json_string(named ? k->company : "Your company (its label is drawn at the release)"));
	doc =
	    json_pack("{s:s, s:I, s:s, s:{s:s, s:s, s:O, s:s, s:s, s:[], s:s, s:I}, s:b, s:I, "
	              "s:o, s:[o], s:{}}",
	              "format", PUBLISH_FORMAT, "sequence", (json_int_t)0, "prev_hash", "",
	              "campaign", "title", k->camp.title, "slug", k->camp.slug, "threat_models",
	              k->camp.threat_models, "release_at", k->camp.release_at, "planned_release_at",
	              k->camp.planned_release_at, "release_history", "disclosure",
	              k->camp.disclosure, "min_cohort", (json_int_t)k->camp.min_cohort,
	              "embargo_break", 0, "companies", (json_int_t)1, "assessors",
	              named && json_object_get(row, "assessor")
	                  ? json_pack("[O]", json_object_get(row, "assessor"))
	                  : json_array(),
	              "engagements", row, "aggregate");
	/* the row's security levels (issue 14) go beside it, as in a publication */
	if (doc != NULL && json_is_object(json_object_get(row, "levels"))) {
		json_t *lv = json_deep_copy(json_object_get(row, "levels"));

		if (lv != NULL)
			json_object_set(lv, "company", json_object_get(row, "company"));
		json_object_del(row, "levels");
		json_object_set_new(doc, "levels", json_pack("{s:[o]}", "engagements", lv));
	}
	if (doc == NULL || (page = publish_page_html(doc, &m, &len)) == NULL) {
		json_decref(doc);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	json_decref(doc);
	blen = (size_t)snprintf(banner, sizeof(banner),
	                        "<p class=\"warning\"><strong>Review draft, version %lld, frozen "
	                        "%s: not published.</strong> SHA-256 of this row: <code>%s</code>. "
	                        "Sign it off or answer it on the engagement's page.</p>\n",
	                        v->version, v->frozen_at, v->draft_hash);
	/* the banner opens the page's main element (publish_page_html) */
	at = strstr(page, PUBLISH_MAIN_OPEN);
	if (at != NULL && blen < sizeof(banner) && (out = malloc(len + blen + 1)) != NULL) {
		size_t head = (size_t)(at - page) + strlen(PUBLISH_MAIN_OPEN);

		memcpy(out, page, head);
		memcpy(out + head, banner, blen);
		memcpy(out + head + blen, page + head, len - head + 1);
		rc = http_reply_bytes(r, 200, "text/html; charset=utf-8", out, len + blen, NULL);
	} else
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	free(out);
	free(page);
	return rc;
}

static int
review_run(struct http_request *r, enum review_op op, const struct json_field *fields,
           const char *who)
{
	struct review_ctx k = {.r = r, .op = op, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (who != NULL ? !api_is_kind(r, who)
	                : !(api_is_kind(r, "company") || api_is_kind(r, "assessor")))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (fields != NULL && (rc = api_check_body(r, fields)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	if (fields != NULL) {
		k.hash = json_string_value(json_object_get(r->json, "draft_hash"));
		k.text = json_string_value(json_object_get(r->json, "text"));
	}
	rc = db_tx(&r->who, op == REVIEW_GET || op == REVIEW_PAGE ? "review_get" : "review_answer",
	           review_tx, &k);
	if (rc == DB_OK && op == REVIEW_PAGE) {
		rc = review_page_reply(r, &k);
		json_decref(k.names);
		store_review_clear(&k.rev);
		store_campaign_clear(&k.camp);
		return rc;
	}
	if (rc == DB_OK && (k.res.body = review_json(&k)) == NULL)
		rc = DB_ERROR;
	/* a text answer is name-checked at once */
	if (rc == DB_OK && k.names != NULL)
		json_object_set_new(k.res.body, "name_check", api_name_check_json(k.names, k.text));
	json_decref(k.names);
	store_review_clear(&k.rev);
	store_campaign_clear(&k.camp);
	return api_finish(r, rc, &k.res);
}

int
api_review_get(struct http_request *r)
{
	return review_run(r, REVIEW_GET, NULL, NULL);
}

int
api_review_page_get(struct http_request *r)
{
	return review_run(r, REVIEW_PAGE, NULL, NULL);
}

int
api_review_signoff_post(struct http_request *r)
{
	return review_run(r, REVIEW_SIGNOFF, signoff_fields, "company");
}

int
api_review_response_post(struct http_request *r)
{
	return review_run(r, REVIEW_RESPONSE, text_fields, "company");
}

int
api_review_addendum_put(struct http_request *r)
{
	return review_run(r, REVIEW_ADDENDUM, text_fields, "assessor");
}

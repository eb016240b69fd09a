/*
 * api/hold.c: holds that participants hear about (issue 11, part 3).
 *
 *   GET  /api/v1/engagements/{id}/hold             company, assessor
 *   POST /api/v1/campaigns/{id}/hold/decision       coordinator
 *
 * A participant sees whether its engagement's texts hold the campaign's
 * release, which of them and the exact spans: the spans are found with
 * the name pre-check (every company on the platform, as
 * POST .../name-check), so the answer never says which company was
 * found nor whether it takes part. Other engagements' texts and the
 * campaign-level reasons are the coordinator's.
 *
 * The coordinator decides a held release: "extend" moves the release
 * instant to now + seconds (the texts open again until then; the name
 * check runs on every save), "withhold" publishes it with the offending
 * participant texts, assessor firm names and lead assessor names withheld
 * (replaced, with the reason, in the signed document). Only a held release
 * can be decided (409 otherwise); a hold caused by the campaign's title or
 * slug cannot be withheld (the coordinator extends and changes them).
 * Every decision is audited and a participant-facing event.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "publish/publish.h"

json_t *
api_name_check_json(const json_t *names, const char *text)
{
	struct publish_text *index;
	struct publish_span *spans = NULL;
	size_t nspans = 0, i;
	json_t *n, *list, *out = NULL;

	if (text == NULL)
		text = "";
	if ((index = publish_text_new(text)) == NULL)
		return NULL;
	json_array_foreach(names, i, n)
	{
		if (json_is_string(n) &&
		    publish_text_find(index, json_string_value(n), &spans, &nspans) < 0)
			goto done;
	}
	nspans = publish_spans_merge(spans, nspans);
	list = json_array();
	for (i = 0; list != NULL && i < nspans; i++)
		json_array_append_new(
		    list, json_pack("{s:I, s:I, s:s%}", "start", (json_int_t)spans[i].ustart, "end",
		                    (json_int_t)spans[i].uend, "text", text + spans[i].start,
		                    spans[i].end - spans[i].start));
	out = json_pack("{s:b, s:o}", "hold", nspans > 0, "spans", list);
done:
	free(spans);
	publish_text_free(index);
	return out;
}

/* ---- GET /api/v1/engagements/{id}/hold ---- */

struct hold_ctx {
	struct http_request *r;
	const char *id;
	/* the result */
	json_t *fields;
	char held_at[STORE_TS_LEN];
	json_t *names;
	json_t *texts;  /* [{field, part, text}] of the held fields */
	json_t *levels; /* api_levels_load: the contradiction warnings */
	struct api_res res;
};

static void
hold_clear(struct hold_ctx *k)
{
	json_decref(k->fields);
	json_decref(k->names);
	json_decref(k->texts);
	json_decref(k->levels);
	k->fields = k->names = k->texts = k->levels = NULL;
}

static int
hold_has(const json_t *fields, const char *field)
{
	size_t i;
	json_t *v;

	json_array_foreach(fields, i, v)
	{
		if (strcmp(json_string_value(v), field) == 0)
			return 1;
	}
	return 0;
}

static void
hold_text(json_t *texts, const char *field, const char *part, const json_t *text)
{
	if (json_is_string(text))
		json_array_append_new(texts, json_pack("{s:s, s:s, s:O}", "field", field, "part",
		                                       part, "text", text));
}

static int
hold_tx(struct db_conn *c, void *arg)
{
	struct hold_ctx *k = arg;
	struct api_engagement e;
	int rc;

	hold_clear(k);
	if ((rc = api_engagement_load(c, k->r, k->id, API_AS_PARTICIPANT, &e, &k->res)) != DB_OK)
		return rc;
	/* a claim that contradicts the findings warns; it does not hold */
	rc = api_levels_load(c, &e, &k->levels);
	api_engagement_clear(&e);
	if (rc != DB_OK)
		return rc;
	if ((rc = store_hold_fields(c, k->id, &k->fields, k->held_at)) != DB_OK)
		return rc;
	if (json_array_size(k->fields) == 0)
		return DB_OK;
	k->texts = json_array();
	if ((rc = store_name_check_names(c, k->id, &k->names)) != DB_OK)
		return rc;
	if (hold_has(k->fields, "claim summary")) {
		struct store_claim *cl = NULL;
		int n = 0;

		if ((rc = store_claim_list(c, k->id, &cl, &n)) != DB_OK)
			return rc;
		for (int i = 0; i < n; i++) {
			char part[64];
			json_t *t = json_string(cl[i].summary ? cl[i].summary : "");

			snprintf(part, sizeof(part), "claims.%s", cl[i].threat_model);
			hold_text(k->texts, "claim summary", part, t);
			json_decref(t);
		}
		store_claims_free(cl, n);
	}
	if (hold_has(k->fields, "statement")) {
		struct store_statement st = {0};

		if ((rc = store_statement_get(c, k->id, &st)) == DB_OK) {
			json_t *t = json_string(st.text ? st.text : "");

			hold_text(k->texts, "statement", "statement", t);
			json_decref(t);
		}
		store_statement_clear(&st);
		if (rc != DB_OK && rc != STORE_NONE)
			return rc;
	}
	if (hold_has(k->fields, "commitment") || hold_has(k->fields, "verdict summary")) {
		json_t *list = NULL, *cm;
		size_t i;

		if ((rc = store_commitment_list(c, k->id, &list)) != DB_OK)
			return rc;
		json_array_foreach(list, i, cm)
		{
			char part[80];

			snprintf(part, sizeof(part), "commitments.%s",
			         json_string_value(json_object_get(cm, "id")));
			hold_text(k->texts, "commitment", part, json_object_get(cm, "text"));
			hold_text(k->texts, "verdict summary", part,
			          json_object_get(cm, "verdict_summary"));
		}
		json_decref(list);
	}
	if (hold_has(k->fields, "review response") || hold_has(k->fields, "review addendum")) {
		struct store_review rv = {0};

		if ((rc = store_review_get(c, k->id, &rv)) == DB_OK) {
			hold_text(k->texts, "review response", "review.response", rv.response);
			hold_text(k->texts, "review addendum", "review.addendum", rv.addendum);
		}
		store_review_clear(&rv);
		if (rc != DB_OK && rc != STORE_NONE)
			return rc;
	}
	return api_audit(c, k->r, "hold.read", "engagement", k->id, NULL, NULL,
	                 json_pack("{s:O}", "fields", k->fields));
}

int
api_hold_get(struct http_request *r)
{
	struct hold_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "hold_get", hold_tx, &k);
	if (rc == DB_OK) {
		json_t *texts = json_array(), *t;
		size_t i;

		json_array_foreach(k.texts, i, t)
		{
			json_t *check = api_name_check_json(
			    k.names, json_string_value(json_object_get(t, "text")));

			if (check == NULL) {
				rc = DB_ERROR;
				break;
			}
			if (json_is_true(json_object_get(check, "hold")))
				json_array_append_new(texts,
				                      json_pack("{s:O, s:O, s:O, s:O}", "field",
				                                json_object_get(t, "field"), "part",
				                                json_object_get(t, "part"), "text",
				                                json_object_get(t, "text"), "spans",
				                                json_object_get(check, "spans")));
			json_decref(check);
		}
		if (rc == DB_OK)
			k.res.body = json_pack(
			    "{s:b, s:o, s:o, s:o, s:o}", "held", json_array_size(k.fields) > 0,
			    "held_at", k.held_at[0] ? json_string(k.held_at) : json_null(),
			    /* o steals: a reference of our own to k.fields (hold_clear drops
			     * the other), or a new empty array when there are none */
			    "fields", k.fields ? json_incref(k.fields) : json_array(), "texts",
			    texts, "warnings", api_levels_contradictions(k.levels));
		else
			json_decref(texts);
	}
	hold_clear(&k);
	return api_finish(r, rc, &k.res);
}

/* ---- POST /api/v1/campaigns/{id}/hold/decision ---- */

static int
decision_valid(const char *s)
{
	return strcmp(s, "extend") == 0 || strcmp(s, "withhold") == 0;
}

static const struct json_field decision_fields[] = {
    {.name = "decision",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 16,
     .valid = decision_valid,
     .rule = "one of extend, withhold"},
    {.name = "seconds", .type = JSON_FIELD_INTEGER, .min = 5, .max = 2592000},
    {.name = "reason",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 1000,
     .valid = api_valid_text},
    {.name = NULL}};

struct decision_ctx {
	struct http_request *r;
	const char *id;
	const char *decision;
	const char *reason;
	long long seconds;
	/* the result */
	char release_at[STORE_TS_LEN];
	int withheld;
	struct api_res res;
};

static int
decision_tx(struct db_conn *c, void *arg)
{
	struct decision_ctx *k = arg;
	struct store_release_status st = {0};
	char *reasons = NULL;
	size_t i;
	json_t *v;
	int rc;

	k->release_at[0] = '\0';
	k->withheld = 0;
	if ((rc = store_campaign_release_status(c, k->id, &st)) != DB_OK)
		goto done;
	if (strcmp(st.status, "held") != 0) {
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE,
		              "The release is not held: there is nothing to decide.");
		goto done;
	}
	if (strcmp(k->decision, "extend") == 0) {
		if ((rc = store_campaign_extend(c, k->id, k->seconds, k->release_at)) != DB_OK)
			goto done;
	} else {
		/* a participant's text, an assessor firm's or a lead assessor's
		 * name is withheld; the campaign's own title and slug are the
		 * coordinator's to change (extend, then PATCH the campaign) */
		json_array_foreach(st.reasons, i, v)
		{
			const char *field = json_string_value(json_object_get(v, "field"));

			if (field != NULL && strncmp(field, "campaign ", 9) == 0) {
				rc = api_fail(
				    &k->res, PROBLEM_INVALID_STATE,
				    "The campaign's title or slug holds the release; it cannot be "
				    "withheld. Extend the release and change it (PATCH the "
				    "campaign's title or slug).");
				goto done;
			}
		}
		/* the reason is published in the signed document: it must not
		 * name a company itself (a held release is never named) */
		if ((rc = api_names_company(c, k->reason)) != 0) {
			if (rc > 0)
				rc = api_fail_field(&k->res, "reason",
				                    "names a company; it is published with the "
				                    "document, so say why without naming one");
			else
				rc = DB_ERROR;
			goto done;
		}
		if ((reasons = json_dumps(st.reasons, JSON_COMPACT)) == NULL) {
			rc = DB_ERROR;
			goto done;
		}
		if ((rc = store_withhold_create(c, k->id, k->reason, reasons, k->r->who.user_id)) !=
		    DB_OK)
			goto done;
		k->withheld = 1;
	}
	rc = api_audit(c, k->r, "release.decision", "campaign", k->id, NULL, NULL,
	               json_pack("{s:s, s:s, s:O, s:o}", "decision", k->decision, "reason",
	                         k->reason, "reasons", st.reasons, "release_at",
	                         k->release_at[0] ? json_string(k->release_at) : json_null()));
	if (rc == DB_OK)
		rc = store_event(
		    c, "release.decision", "campaign", k->id, NULL, NULL,
		    json_pack("{s:s, s:s, s:o}", "campaign", k->id, "decision", k->decision,
		              "release_at",
		              k->release_at[0] ? json_string(k->release_at) : json_null()),
		    k->r->addr);
done:
	free(reasons);
	store_release_status_clear(&st);
	return rc;
}

int
api_hold_decision_post(struct http_request *r)
{
	struct decision_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, decision_fields)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	k.decision = json_string_value(json_object_get(r->json, "decision"));
	k.reason = json_string_value(json_object_get(r->json, "reason"));
	if (strcmp(k.decision, "extend") == 0) {
		if (json_object_get(r->json, "seconds") == NULL)
			return http_reply_field(r, PROBLEM_INVALID_FIELD, "seconds",
			                        "required to extend the release");
		k.seconds = (long long)json_integer_value(json_object_get(r->json, "seconds"));
	} else if (json_object_get(r->json, "seconds") != NULL)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "seconds",
		                        "only with the decision extend");
	rc = db_tx(&r->who, "hold_decision", decision_tx, &k);
	if (rc == STORE_NONE)
		rc = api_fail(&k.res, PROBLEM_NOT_FOUND, NULL);
	if (rc == DB_UNIQUE)
		rc = api_fail(&k.res, PROBLEM_CONFLICT, "The texts are already withheld.");
	if (rc == DB_OK)
		k.res.body = json_pack("{s:s, s:s, s:o, s:b}", "decision", k.decision, "reason",
		                       k.reason, "release_at",
		                       k.release_at[0] ? json_string(k.release_at) : json_null(),
		                       "withheld", k.withheld);
	return api_finish(r, rc, &k.res);
}

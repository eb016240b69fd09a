/*
 * api/levels.c: security levels as data (issue 14, parts 1-3; the tables
 * are sql/0018_levels.sql).
 *
 *   GET  /api/v1/engagements/{id}/emulation     company, assessor (with the
 *                                               rules of engagement), coordinator
 *                                               (without them)
 *   PUT  /api/v1/engagements/{id}/emulation     assessor
 *   GET  /api/v1/engagements/{id}/levels        company, assessor: per threat
 *                                               model the claim, the level
 *                                               demonstrated not met, and
 *                                               whether the claim contradicts it
 *   POST /api/v1/engagements/{id}/commitments   company
 *   GET  /api/v1/engagements/{id}/commitments   company, assessor
 *   PUT  /api/v1/commitments/{id}/verdict       assessor
 *
 * A claim "robust up to OCn" contradicts the findings when a refuting
 * finding (ls_status_refutes: open, remediating, remediated, accepted) of
 * the same threat model has oc_required = OCk with k <= n. A contradiction
 * is flagged to the assessor (here, in the claims' answers and in
 * GET .../hold as a warning) and published with the claim; it does not
 * hold the release (docs/API.md, "Security levels").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

/* ---- validators ---- */

int
api_valid_oc(const char *s)
{
	return vocab_index(vocab_levels, s) >= 0 && strcmp(s, "not-assessed") != 0;
}

int
api_valid_oc_or_empty(const char *s)
{
	return *s == '\0' || api_valid_oc(s);
}

static int
levels_valid_access(const char *s)
{
	return vocab_has(vocab_access_kinds, s);
}

static int
levels_valid_verdict(const char *s)
{
	return vocab_has(vocab_verdicts, s);
}

/* A calendar date YYYY-MM-DD between 1990 and 2199. */
static int
levels_valid_date(const char *s)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1990 || y > 2199 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

/* An https URL with a host: printable ASCII, no spaces, quotes or angle brackets. */
static int
levels_valid_https(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' || s[8] == '/' || s[8] == '@')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
			return 0;
	return 1;
}

/* ---- the contradiction flag ---- */

json_t *
api_levels_json(const json_t *threat_models, const struct store_claim *claims, int nclaims,
                const json_t *not_met)
{
	json_t *out = json_object(), *v;
	size_t i;

	json_array_foreach(threat_models, i, v)
	{
		const char *tm = json_string_value(v);
		const char *level = "not-assessed";
		json_t *nm = json_object_get(not_met, tm);
		const char *from = json_string_value(json_object_get(nm, "not_met_from"));
		int contradiction = 0;

		for (int k = 0; k < nclaims; k++)
			if (strcmp(claims[k].threat_model, tm) == 0)
				level = claims[k].level;
		if (from != NULL && api_valid_oc(level) &&
		    vocab_index(vocab_levels, from) <= vocab_index(vocab_levels, level))
			contradiction = 1;
		json_object_set_new(
		    out, tm,
		    json_pack("{s:s, s:o, s:I, s:b}", "claim", level, "not_met_from",
		              from ? json_string(from) : json_null(), "refuting",
		              (json_int_t)json_integer_value(json_object_get(nm, "refuting")),
		              "contradiction", contradiction));
	}
	return out;
}

json_t *
api_levels_contradictions(const json_t *levels)
{
	json_t *out = json_array(), *v;
	const char *tm;

	json_object_foreach((json_t *)levels, tm, v)
	{
		if (json_is_true(json_object_get(v, "contradiction")))
			json_array_append_new(
			    out,
			    json_pack("{s:s, s:s, s:O, s:O, s:s}", "kind", "claim-contradiction",
			              "threat_model", tm, "claim", json_object_get(v, "claim"),
			              "not_met_from", json_object_get(v, "not_met_from"), "detail",
			              "The claim says robust up to a level at which an open "
			              "finding of this threat model is exploitable."));
	}
	return out;
}

int
api_levels_load(struct db_conn *c, const struct api_engagement *e, json_t **levels)
{
	struct store_claim *cl = NULL;
	json_t *not_met = NULL;
	int n = 0, rc;

	*levels = NULL;
	if ((rc = store_claim_list(c, e->id, &cl, &n)) != DB_OK)
		return rc;
	if ((rc = store_not_met(c, e->id, &not_met)) == DB_OK &&
	    (*levels = api_levels_json(e->threat_models, cl, n, not_met)) == NULL)
		rc = DB_ERROR;
	json_decref(not_met);
	store_claims_free(cl, n);
	return rc;
}

/* ---- GET /api/v1/engagements/{id}/emulation ---- */

struct emulation_ctx {
	struct http_request *r;
	const char *id;
	json_t *out; /* the result */
	struct api_res res;
};

static int
emulation_get_tx(struct db_conn *c, void *arg)
{
	struct emulation_ctx *k = arg;
	struct api_engagement e;
	int rc;

	json_decref(k->out);
	k->out = NULL;
	if (api_is_coordinator(k->r)) {
		struct store_engagement row = {0};

		/* progress, never confidential text: no rules of engagement */
		if ((rc = store_engagement_get(c, k->id, &row)) == DB_OK)
			rc = store_emulation_get(c, k->id, 0, &k->out);
		store_engagement_clear(&row);
		if (rc == STORE_NONE)
			rc = DB_OK;
		return rc;
	}
	if ((rc = api_engagement_load(c, k->r, k->id, API_AS_PARTICIPANT, &e, &k->res)) != DB_OK)
		return rc;
	api_engagement_clear(&e);
	rc = store_emulation_get(c, k->id, 1, &k->out);
	if (rc == STORE_NONE)
		return DB_OK;
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "emulation.read", "engagement", k->id, NULL, NULL, NULL);
	return rc;
}

int
api_emulation_get(struct http_request *r)
{
	struct emulation_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "emulation_get", emulation_get_tx, &k);
	if (rc == DB_OK) {
		/* nothing recorded yet: every value null */
		if (k.out == NULL)
			k.out = json_pack("{s:n, s:[], s:n, s:n, s:n, s:n, s:n}", "capability",
			                  "access", "person_days", "fieldwork_from", "fieldwork_to",
			                  "updated_by", "updated_at");
		if (k.out != NULL && !api_is_coordinator(r) &&
		    json_object_get(k.out, "rules_of_engagement") == NULL)
			json_object_set_new(k.out, "rules_of_engagement", json_null());
		if (k.out != NULL)
			json_object_set_new(k.out, "engagement_id", json_string(k.id));
		k.res.body = k.out;
		k.out = NULL;
		if (k.res.body == NULL)
			rc = DB_ERROR;
	}
	json_decref(k.out);
	return api_finish(r, rc, &k.res);
}

/* ---- PUT /api/v1/engagements/{id}/emulation ---- */

static const struct json_field emulation_fields[] = {
    {.name = "capability",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 3,
     .max_len = 3,
     .valid = api_valid_oc},
    {.name = "access",
     .type = JSON_FIELD_STRING_ARRAY,
     .required = 1,
     .min_len = 1,
     .max_len = 32,
     .max_items = 6,
     .valid = levels_valid_access},
    {.name = "person_days", .type = JSON_FIELD_INTEGER, .min = 0, .max = 100000},
    {.name = "fieldwork_from",
     .type = JSON_FIELD_STRING,
     .min_len = 10,
     .max_len = 10,
     .valid = levels_valid_date},
    {.name = "fieldwork_to",
     .type = JSON_FIELD_STRING,
     .min_len = 10,
     .max_len = 10,
     .valid = levels_valid_date},
    {.name = "rules_of_engagement",
     .type = JSON_FIELD_STRING,
     .min_len = 0,
     .max_len = 20000,
     .valid = api_valid_text},
    {.name = NULL}};

struct emulation_put_ctx {
	struct http_request *r;
	const char *id;
	struct store_emulation_input in;
	json_t *out; /* the result */
	struct api_res res;
};

static int
emulation_put_tx(struct db_conn *c, void *arg)
{
	struct emulation_put_ctx *k = arg;
	struct api_engagement e;
	int rc;

	json_decref(k->out);
	k->out = NULL;
	if ((rc = api_engagement_load(c, k->r, k->id, API_AS_ASSESSOR, &e, &k->res)) != DB_OK)
		return rc;
	if (e.released)
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	else
		rc = store_emulation_put(c, e.id, e.company, e.assessor, &k->in, &k->out);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "emulation.put", "engagement", e.id, e.company, e.assessor,
		               json_pack("{s:s, s:O, s:O}", "capability", k->in.capability,
		                         "access", json_object_get(k->r->json, "access"),
		                         "person_days", json_object_get(k->out, "person_days")));
	api_engagement_clear(&e);
	return rc;
}

int
api_emulation_put(struct http_request *r)
{
	struct emulation_put_ctx k = {.r = r, .res = {.status = 200}};
	json_t *j, *a, *v;
	char *access = NULL, days[32];
	size_t i, m;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, emulation_fields)) != HTTP_OK)
		return rc;
	j = r->json;
	a = json_object_get(j, "access");
	json_array_foreach(a, i, v)
	{
		for (m = 0; m < i; m++)
			if (strcmp(json_string_value(json_array_get(a, m)), json_string_value(v)) ==
			    0)
				return http_reply_field(r, PROBLEM_INVALID_FIELD, "access",
				                        "repeated value");
	}
	k.in.capability = json_string_value(json_object_get(j, "capability"));
	k.in.fieldwork_from = json_string_value(json_object_get(j, "fieldwork_from"));
	k.in.fieldwork_to = json_string_value(json_object_get(j, "fieldwork_to"));
	if (k.in.fieldwork_from && k.in.fieldwork_to &&
	    strcmp(k.in.fieldwork_to, k.in.fieldwork_from) < 0)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "fieldwork_to",
		                        "before fieldwork_from");
	k.in.rules = json_string_value(json_object_get(j, "rules_of_engagement"));
	if ((v = json_object_get(j, "person_days")) != NULL) {
		snprintf(days, sizeof(days), "%lld", (long long)json_integer_value(v));
		k.in.person_days = days;
	}
	if ((access = json_dumps(a, JSON_COMPACT)) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	k.in.access = access;
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "emulation_put", emulation_put_tx, &k);
	if (rc == DB_OK) {
		json_object_set_new(k.out, "engagement_id", json_string(k.id));
		json_object_set_new(k.out, "rules_of_engagement",
		                    k.in.rules ? json_string(k.in.rules) : json_null());
		k.res.body = k.out;
		k.out = NULL;
	}
	json_decref(k.out);
	free(access);
	return api_finish(r, rc, &k.res);
}

/* ---- GET /api/v1/engagements/{id}/levels ---- */

struct levels_ctx {
	struct http_request *r;
	const char *id;
	json_t *levels;    /* the result */
	json_t *emulation; /* the result, or NULL */
	struct api_res res;
};

static int
levels_get_tx(struct db_conn *c, void *arg)
{
	struct levels_ctx *k = arg;
	struct api_engagement e;
	int rc;

	json_decref(k->levels);
	json_decref(k->emulation);
	k->levels = k->emulation = NULL;
	if ((rc = api_engagement_load(c, k->r, k->id, API_AS_PARTICIPANT, &e, &k->res)) != DB_OK)
		return rc;
	rc = api_levels_load(c, &e, &k->levels);
	if (rc == DB_OK && (rc = store_emulation_get(c, e.id, 0, &k->emulation)) == STORE_NONE)
		rc = DB_OK;
	api_engagement_clear(&e);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "levels.read", "engagement", k->id, NULL, NULL, NULL);
	return rc;
}

int
api_levels_get(struct http_request *r)
{
	struct levels_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "levels_get", levels_get_tx, &k);
	if (rc == DB_OK) {
		json_t *cap = json_object_get(k.emulation, "capability");

		k.res.body =
		    json_pack("{s:s, s:O, s:o, s:O}", "engagement_id", k.id, "capability_emulated",
		              cap ? cap : json_null(), "contradictions",
		              api_levels_contradictions(k.levels), "threat_models", k.levels);
		if (k.res.body == NULL)
			rc = DB_ERROR;
	}
	json_decref(k.levels);
	json_decref(k.emulation);
	return api_finish(r, rc, &k.res);
}

/* ---- POST /api/v1/engagements/{id}/commitments ---- */

static const struct json_field commitment_fields[] = {
    {.name = "framework", .type = JSON_FIELD_STRING, .required = 1, .min_len = 2, .max_len = 32},
    {.name = "version",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 40,
     .valid = api_valid_name},
    {.name = "level",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 200,
     .valid = api_valid_name},
    {.name = "text",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = 1,
     .max_len = 2000,
     .valid = api_valid_text},
    {.name = "link",
     .type = JSON_FIELD_STRING,
     .min_len = 9,
     .max_len = 2000,
     .valid = levels_valid_https},
    {.name = NULL}};

struct commitment_ctx {
	struct http_request *r;
	const char *engagement; /* POST, list */
	const char *id;         /* verdict */
	char new_id[DB_UUID_LEN + 1];
	json_t *out;   /* the result */
	json_t *names; /* the result: names to check the texts for, or NULL */
	struct api_res res;
};

static void
commitment_reset(struct commitment_ctx *k)
{
	json_decref(k->out);
	json_decref(k->names);
	k->out = k->names = NULL;
}

static int
commitments_post_tx(struct db_conn *c, void *arg)
{
	struct commitment_ctx *k = arg;
	json_t *j = k->r->json, *fw = NULL, *f;
	struct api_engagement e;
	const char *code = json_string_value(json_object_get(j, "framework"));
	struct store_commitment_input in = {.framework = code,
	                                    .version =
	                                        json_string_value(json_object_get(j, "version")),
	                                    .level = json_string_value(json_object_get(j, "level")),
	                                    .text = json_string_value(json_object_get(j, "text")),
	                                    .link = json_string_value(json_object_get(j, "link"))};
	int rc, known = 0;
	size_t i;

	commitment_reset(k);
	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_COMPANY, &e, &k->res)) !=
	    DB_OK)
		return rc;
	if ((rc = store_frameworks(c, &fw)) == DB_OK)
		json_array_foreach(fw, i, f)
		{
			if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0)
				known = 1;
		}
	json_decref(fw);
	if (rc != DB_OK)
		;
	else if (!known)
		rc = api_fail_field(&k->res, "framework", "unknown framework");
	else if (e.released)
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	else
		rc = store_commitment_create(c, k->new_id, e.id, e.company, e.assessor, &in,
		                             &k->out);
	/* the engagement's assessor is told (ids and the type only, never the text) */
	if (rc == DB_OK)
		rc = store_notify_event(c, "commitment.declared", NULL, e.id, "commitment",
		                        k->new_id, STORE_NOTIFY_ASSESSOR, NULL);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "commitment.create", "commitment", k->new_id, e.company,
		               e.assessor,
		               json_pack("{s:s, s:s}", "engagement", e.id, "framework", code));
	if (rc == DB_OK && e.review_open)
		rc = store_name_check_names(c, e.id, &k->names);
	api_engagement_clear(&e);
	return rc;
}

/* Add the name pre-check of the commitment's public texts to body. */
static void
commitment_name_check(json_t *body, const json_t *names)
{
	json_t *t, *s;
	char *joined;
	size_t len;

	if (names == NULL)
		return;
	t = json_object_get(body, "text");
	s = json_object_get(body, "verdict_summary");
	len = strlen(json_string_value(t) ? json_string_value(t) : "") +
	      strlen(json_string_value(s) ? json_string_value(s) : "") + 2;
	if ((joined = malloc(len)) == NULL)
		return;
	snprintf(joined, len, "%s\n%s", json_string_value(t) ? json_string_value(t) : "",
	         json_string_value(s) ? json_string_value(s) : "");
	json_object_set_new(body, "name_check", api_name_check_json(names, joined));
	free(joined);
}

int
api_commitments_post(struct http_request *r)
{
	struct commitment_ctx k = {.r = r, .res = {.status = 201}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, commitment_fields)) != HTTP_OK)
		return rc;
	if (api_new_uuid(k.new_id) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "commitments_post", commitments_post_tx, &k);
	if (rc == DB_OK) {
		commitment_name_check(k.out, k.names);
		k.res.body = k.out;
		k.out = NULL;
	}
	commitment_reset(&k);
	return api_finish(r, rc, &k.res);
}

/* ---- GET /api/v1/engagements/{id}/commitments ---- */

static int
commitments_get_tx(struct db_conn *c, void *arg)
{
	struct commitment_ctx *k = arg;
	struct api_engagement e;
	int rc;

	commitment_reset(k);
	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, &k->res)) !=
	    DB_OK)
		return rc;
	api_engagement_clear(&e);
	if ((rc = store_commitment_list(c, k->engagement, &k->out)) != DB_OK)
		return rc;
	return api_audit(c, k->r, "commitment.list", "engagement", k->engagement, NULL, NULL, NULL);
}

int
api_commitments_get(struct http_request *r)
{
	struct commitment_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	k.engagement = http_param(r, 0);
	rc = db_tx(&r->who, "commitments_get", commitments_get_tx, &k);
	if (rc == DB_OK) {
		k.res.body = json_pack("{s:O}", "items", k.out);
		if (k.res.body == NULL)
			rc = DB_ERROR;
	}
	commitment_reset(&k);
	return api_finish(r, rc, &k.res);
}

/* ---- PUT /api/v1/commitments/{id}/verdict ---- */

static const struct json_field verdict_fields[] = {{.name = "verdict",
                                                    .type = JSON_FIELD_STRING,
                                                    .required = 1,
                                                    .min_len = 1,
                                                    .max_len = 16,
                                                    .valid = levels_valid_verdict},
                                                   {.name = "summary",
                                                    .type = JSON_FIELD_STRING,
                                                    .required = 1,
                                                    .min_len = 0,
                                                    .max_len = 2000,
                                                    .valid = api_valid_text},
                                                   {.name = NULL}};

static int
verdict_put_tx(struct db_conn *c, void *arg)
{
	struct commitment_ctx *k = arg;
	struct api_engagement e;
	const char *verdict = json_string_value(json_object_get(k->r->json, "verdict"));
	const char *eid;
	int rc;

	commitment_reset(k);
	if ((rc = store_commitment_get(c, k->id, &k->out)) != DB_OK)
		return rc;
	eid = json_string_value(json_object_get(k->out, "engagement_id"));
	/* a commitment of another assessor's engagement is not found */
	if ((rc = api_engagement_load(c, k->r, eid ? eid : "", API_AS_ASSESSOR, &e, &k->res)) !=
	    DB_OK)
		return rc;
	json_decref(k->out);
	k->out = NULL;
	if (e.released)
		rc = api_fail(&k->res, PROBLEM_INVALID_STATE, "The campaign has been released.");
	else
		rc = store_commitment_verdict(
		    c, k->id, e.id, verdict,
		    json_string_value(json_object_get(k->r->json, "summary")), &k->out);
	/* the company is told its commitment has a verdict */
	if (rc == DB_OK)
		rc = store_notify_event(c, "commitment.verdict", NULL, e.id, "commitment", k->id,
		                        STORE_NOTIFY_COMPANY, NULL);
	if (rc == DB_OK)
		rc = api_audit(c, k->r, "commitment.verdict", "commitment", k->id, e.company,
		               e.assessor,
		               json_pack("{s:s, s:s}", "engagement", e.id, "verdict", verdict));
	if (rc == DB_OK && e.review_open)
		rc = store_name_check_names(c, e.id, &k->names);
	api_engagement_clear(&e);
	return rc;
}

int
api_commitment_verdict_put(struct http_request *r)
{
	struct commitment_ctx k = {.r = r, .res = {.status = 200}};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, verdict_fields)) != HTTP_OK)
		return rc;
	k.id = http_param(r, 0);
	rc = db_tx(&r->who, "commitment_verdict_put", verdict_put_tx, &k);
	if (rc == DB_OK) {
		commitment_name_check(k.out, k.names);
		k.res.body = k.out;
		k.out = NULL;
	}
	commitment_reset(&k);
	return api_finish(r, rc, &k.res);
}

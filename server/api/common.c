/*
 * api/common.c: helpers shared by the endpoint files: replies for finished
 * transactions, parameter and body validation, pagination, audit, and the
 * envelope encryption of confidential columns.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/log.h"
#include "util/util.h"

static unsigned char api_master[CRYPTO_KEY_LEN];
static struct crypto_signer *api_sign_key;

void
api_set_keys(const unsigned char master[CRYPTO_KEY_LEN], struct crypto_signer *signer)
{
	memcpy(api_master, master, CRYPTO_KEY_LEN);
	api_sign_key = signer;
}

const struct crypto_signer *
api_signer(void)
{
	return api_sign_key;
}

int
api_fail(struct api_res *res, enum problem_type p, const char *detail)
{
	res->problem = p;
	res->detail = detail;
	return API_FAIL;
}

int
api_fail_field(struct api_res *res, const char *field, const char *reason)
{
	res->problem = PROBLEM_INVALID_FIELD;
	res->field = field;
	res->reason = reason;
	return API_FAIL;
}

int
api_finish(struct http_request *r, int rc, struct api_res *res)
{
	if (rc == DB_OK) {
		json_t *body = res->body;

		res->body = NULL;
		return http_reply_json(r, res->status ? res->status : 200, body);
	}
	json_decref(res->body);
	res->body = NULL;
	switch (rc) {
	case API_FAIL:
		if (res->field != NULL)
			return http_reply_field(r, res->problem, res->field, res->reason);
		return http_reply_problem(r, res->problem, res->detail);
	case DB_UNIQUE:
		return http_reply_problem(r, PROBLEM_CONFLICT, NULL);
	case DB_DENIED:
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	case DB_INVALID:
		return http_reply_problem(r, PROBLEM_INVALID_FIELD, NULL);
	default:
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
}

int
api_uuid_param(struct http_request *r, int i)
{
	if (!util_uuid_valid(http_param(r, i)))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	return HTTP_OK;
}

int
api_check_body(struct http_request *r, const struct json_field *fields)
{
	const char *field = NULL, *reason = NULL;

	if (json_in_check(r->json, fields, &field, &reason) != 0)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, field, reason);
	return HTTP_OK;
}

int
api_page(struct http_request *r, int *limit, char limit_plus_one[16], const char **after)
{
	const char *l = http_query(r, "limit");
	const char *a = http_query(r, "after");
	long long v = 50;

	if (l != NULL && util_strnum(l, 1, 200, &v) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "limit must be an integer from 1 to 200.");
	if (a != NULL && !util_uuid_valid(a))
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "after must be the next value of a previous page.");
	*limit = (int)v;
	snprintf(limit_plus_one, 16, "%d", (int)v + 1);
	*after = a;
	return HTTP_OK;
}

json_t *
api_page_body(json_t *items, int limit, const char *id_key)
{
	json_t *next = json_null();

	if (items == NULL)
		return NULL;
	if (json_array_size(items) > (size_t)limit) {
		json_array_remove(items, (size_t)limit);
		next =
		    json_incref(json_object_get(json_array_get(items, (size_t)limit - 1), id_key));
	}
	/* o steals both references */
	return json_pack("{s:o, s:o}", "items", items, "next", next ? next : json_null());
}

int
api_is_coordinator(const struct http_request *r)
{
	return r->authenticated && strcmp(r->who.org_kind, "coordinator") == 0;
}

int
api_is_kind(const struct http_request *r, const char *kind)
{
	return r->authenticated && strcmp(r->who.org_kind, kind) == 0;
}

int
api_is_admin(const struct http_request *r)
{
	return r->authenticated && strcmp(r->who.role, "admin") == 0;
}

int
api_new_uuid(char out[DB_UUID_LEN + 1])
{
	unsigned char b[16];
	char hex[33];

	if (crypto_random(b, sizeof(b)) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	util_hex_encode(b, sizeof(b), hex);
	snprintf(out, DB_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	         hex + 16, hex + 20);
	return 0;
}

int
api_audit(struct db_conn *c, const struct http_request *r, const char *action,
          const char *object_type, const char *object_id, const char *org1, const char *org2,
          json_t *detail)
{
	const char *params[7];
	char *text = NULL;
	int rc;

	if (detail == NULL)
		detail = json_object();
	text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	json_decref(detail);
	if (text == NULL)
		return DB_ERROR;
	params[0] = action;
	params[1] = object_type;
	params[2] = object_id;
	params[3] = org1;
	params[4] = org2;
	params[5] = text;
	params[6] = r ? r->addr : NULL;
	rc = db_run(c, "audit_append", 7, params);
	free(text);
	return rc;
}

/* "lockstep/v1/<kind>/<id>/<column>" into out. */
static void
api_aad(char *out, size_t outlen, const char *kind, const char *id, const char *column)
{
	crypto_aad_format(out, outlen, kind, id, column);
}

char *
api_wrap_engagement_key(const char *engagement_id, const unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char aad[160];
	char *param;

	api_aad(aad, sizeof(aad), "engagement", engagement_id, "data_key");
	if (crypto_aead_seal(api_master, aad, strlen(aad), key, CRYPTO_KEY_LEN, &ct, &ctlen) != 0)
		return NULL;
	param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

int
api_engagement_key(struct db_conn *c, const char *engagement_id, unsigned char key[CRYPTO_KEY_LEN])
{
	const char *params[1] = {engagement_id};
	struct db_result *res;
	unsigned char *wrapped = NULL, *pt = NULL;
	size_t wlen = 0, ptlen = 0;
	char aad[160];
	int ret = -1;

	res = db_exec(c, "engagement_secret_get", 1, params, NULL);
	if (res == NULL)
		goto done;
	if (db_rows(res) != 1) {
		ret = 1;
		goto done;
	}
	wrapped = db_get_bytea(res, 0, 0, &wlen);
	api_aad(aad, sizeof(aad), "engagement", engagement_id, "data_key");
	if (wrapped == NULL ||
	    crypto_aead_open(api_master, aad, strlen(aad), wrapped, wlen, &pt, &ptlen) != 0 ||
	    ptlen != CRYPTO_KEY_LEN) {
		log_event(LOG_LEVEL_ERROR, "data_key_unwrap_failed",
		          json_pack("{s:s}", "engagement", engagement_id));
		goto done;
	}
	memcpy(key, pt, CRYPTO_KEY_LEN);
	ret = 0;
done:
	if (pt != NULL) {
		explicit_bzero(pt, ptlen);
		free(pt);
	}
	free(wrapped);
	db_result_free(res);
	return ret;
}

char *
api_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
         const char *column, const char *text)
{
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	char aad[160];
	char *param;

	api_aad(aad, sizeof(aad), kind, row_id, column);
	if (crypto_aead_seal(key, aad, strlen(aad), text, strlen(text), &ct, &ctlen) != 0)
		return NULL;
	param = db_param_bytea(ct, ctlen);
	free(ct);
	return param;
}

json_t *
api_open(const unsigned char key[CRYPTO_KEY_LEN], const char *kind, const char *row_id,
         const char *column, const struct db_result *res, int row, int col)
{
	unsigned char *ct, *pt = NULL;
	size_t ctlen = 0, ptlen = 0;
	char aad[160];
	json_t *out = NULL;

	if (db_is_null(res, row, col))
		return json_null();
	ct = db_get_bytea(res, row, col, &ctlen);
	if (ct == NULL)
		return NULL;
	api_aad(aad, sizeof(aad), kind, row_id, column);
	if (crypto_aead_open(key, aad, strlen(aad), ct, ctlen, &pt, &ptlen) == 0)
		out = json_stringn((const char *)pt, ptlen);
	else
		log_event(
		    LOG_LEVEL_ERROR, "decrypt_failed",
		    json_pack("{s:s, s:s, s:s}", "kind", kind, "id", row_id, "column", column));
	if (pt != NULL) {
		explicit_bzero(pt, ptlen);
		free(pt);
	}
	free(ct);
	return out;
}

json_t *
api_json_col(const struct db_result *res, int row, int col)
{
	json_t *v;

	if (db_is_null(res, row, col))
		return json_null();
	v = json_loads(db_get(res, row, col), JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

static int
api_bool_col(const struct db_result *res, int row, int col)
{
	return strcmp(db_get(res, row, col), "t") == 0;
}

json_t *
api_campaign_json(const struct db_result *res, int row)
{
	long long cohort = 1;

	util_strnum(db_get(res, row, 7), 1, 1000, &cohort);
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:b}", "id",
	                 db_get(res, row, 0), "title", db_get(res, row, 1), "slug",
	                 db_get(res, row, 2), "threat_models", api_json_col(res, row, 3),
	                 "release_at", db_get(res, row, 4), "planned_release_at",
	                 db_get(res, row, 5), "disclosure", db_get(res, row, 6), "min_cohort",
	                 (json_int_t)cohort, "state", db_get(res, row, 8), "created_at",
	                 db_get(res, row, 9), "updated_at", db_get(res, row, 10), "released",
	                 api_bool_col(res, row, 11));
}

static json_t *
api_org_ref(const struct db_result *res, int row, int idcol, int namecol)
{
	return json_pack("{s:s, s:o}", "id", db_get(res, row, idcol), "name",
	                 db_is_null(res, row, namecol) ? json_null()
	                                               : json_string(db_get(res, row, namecol)));
}

json_t *
api_engagement_json(const struct db_result *res, int row)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s}", "id", db_get(res, row, 0),
	                 "campaign_id", db_get(res, row, 1), "campaign_title", db_get(res, row, 9),
	                 "company_org", api_org_ref(res, row, 2, 3), "assessor_org",
	                 api_org_ref(res, row, 4, 5), "lead_assessors", api_json_col(res, row, 6),
	                 "state", db_get(res, row, 7), "created_at", db_get(res, row, 8));
}

json_t *
api_finding_json(const unsigned char key[CRYPTO_KEY_LEN], const struct db_result *res, int row)
{
	const char *id = db_get(res, row, 0);
	json_t *title = api_open(key, "finding", id, "title", res, row, 5);
	json_t *detail = api_open(key, "finding", id, "detail", res, row, 6);
	json_t *response = api_open(key, "finding", id, "response", res, row, 7);
	long long version = 0;

	if (title == NULL || detail == NULL || response == NULL) {
		json_decref(title);
		json_decref(detail);
		json_decref(response);
		return NULL;
	}
	util_strnum(db_get(res, row, 11), 0, 1000000000, &version);
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:s, s:s, s:s, s:s}",
	    "id", id, "engagement_id", db_get(res, row, 1), "threat_model", db_get(res, row, 2),
	    "severity", db_get(res, row, 3), "status", db_get(res, row, 4), "title", title,
	    "detail", detail, "response", response, "atlas", api_json_col(res, row, 8), "cwe",
	    api_json_col(res, row, 9), "cvss",
	    db_is_null(res, row, 10) ? json_null() : json_string(db_get(res, row, 10)), "version",
	    (json_int_t)version, "created_by", db_get(res, row, 12), "created_at",
	    db_get(res, row, 13), "updated_by", db_get(res, row, 14), "updated_at",
	    db_get(res, row, 15));
}

/* ---- validators ---- */

static int
api_in(const char *s, const char *const *set)
{
	for (size_t i = 0; set[i] != NULL; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

int
api_valid_uuid(const char *s)
{
	return util_uuid_valid(s);
}

int
api_valid_threat_model(const char *s)
{
	static const char *const set[] = {"WEIGHTS-EXFIL",  "IP-THEFT",    "TAMPERING",
	                                  "COMPUTE-MISUSE", "PERSISTENCE", NULL};
	return api_in(s, set);
}

int
api_valid_severity(const char *s)
{
	static const char *const set[] = {"critical", "high", "medium", "low", "info", NULL};
	return api_in(s, set);
}

int
api_valid_status(const char *s)
{
	static const char *const set[] = {"open",     "remediating",    "remediated",
	                                  "accepted", "false-positive", NULL};
	return api_in(s, set);
}

int
api_valid_level(const char *s)
{
	static const char *const set[] = {"OC1", "OC2", "OC3", "OC4", "OC5", "not-assessed", NULL};
	return api_in(s, set);
}

int
api_valid_name(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return *s != '\0' && !isspace((unsigned char)s[0]);
}

int
api_valid_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

int
api_valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strchr(at, '.') == NULL)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == '"' || *p == '\\')
			return 0;
	return at[1] != '.' && s[strlen(s) - 1] != '.';
}

int
api_valid_slug(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63 || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

/* n decimal digits at p? */
static int
api_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

int
api_valid_atlas(const char *s)
{
	size_t n = strlen(s);

	/* AML.Tnnnn or AML.Tnnnn.nnn */
	if (strncmp(s, "AML.T", 5) != 0 || !api_digits(s + 5, 4))
		return 0;
	if (n == 9)
		return 1;
	return n == 13 && s[9] == '.' && api_digits(s + 10, 3);
}

int
api_valid_cwe(const char *s)
{
	long long v;

	return strncmp(s, "CWE-", 4) == 0 && util_strnum(s + 4, 1, 99999, &v) == 0 && s[4] != '0';
}

int
api_valid_cvss(const char *s)
{
	const char *p;

	if (strncmp(s, "CVSS:3.1/", 9) == 0)
		p = s + 9;
	else if (strncmp(s, "CVSS:4.0/", 9) == 0)
		p = s + 9;
	else
		return 0;
	/* metric:value pairs separated by '/', e.g. AV:N/AC:L/... */
	while (*p) {
		size_t klen = 0, vlen = 0;

		while (isupper((unsigned char)p[klen]))
			klen++;
		if (klen == 0 || klen > 3 || p[klen] != ':')
			return 0;
		p += klen + 1;
		while (isupper((unsigned char)p[vlen]))
			vlen++;
		if (vlen != 1)
			return 0;
		p += vlen;
		if (*p == '/')
			p++;
		else if (*p != '\0')
			return 0;
		else
			break;
	}
	return p[-1] != '/';
}

int
api_engagement_load(struct db_conn *c, const struct http_request *r, const char *id, int as,
                    struct api_engagement *e, struct api_res *res)
{
	const char *p[1] = {id};
	struct db_result *q;
	enum db_status st;
	int company, assessor, ok;

	memset(e, 0, sizeof(*e));
	if ((q = db_exec(c, "engagement_get", 1, p, &st)) == NULL)
		return st;
	if (db_rows(q) != 1) {
		db_result_free(q);
		return api_fail(res, PROBLEM_NOT_FOUND, NULL);
	}
	company = api_is_kind(r, "company") && strcmp(db_get(q, 0, 2), r->who.org_id) == 0;
	assessor = api_is_kind(r, "assessor") && strcmp(db_get(q, 0, 4), r->who.org_id) == 0;
	ok = as == API_AS_ASSESSOR  ? assessor
	     : as == API_AS_COMPANY ? company
	                            : (company || assessor);
	if (!ok) {
		db_result_free(q);
		return api_fail(res, PROBLEM_NOT_FOUND, NULL);
	}
	snprintf(e->id, sizeof(e->id), "%s", db_get(q, 0, 0));
	snprintf(e->company, sizeof(e->company), "%s", db_get(q, 0, 2));
	snprintf(e->assessor, sizeof(e->assessor), "%s", db_get(q, 0, 4));
	e->threat_models = api_json_col(q, 0, 10);
	e->released = api_bool_col(q, 0, 11);
	db_result_free(q);
	return DB_OK;
}

void
api_engagement_clear(struct api_engagement *e)
{
	json_decref(e->threat_models);
	e->threat_models = NULL;
}

int
api_engagement_has_threat_model(const struct api_engagement *e, const char *code)
{
	size_t i;
	json_t *v;

	json_array_foreach(e->threat_models, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), code) == 0)
			return 1;
	}
	return 0;
}

/* Index of id among the first n entries of ids, or -1. */
static int
api_index_of(const char *const *ids, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return i;
	return -1;
}

json_t *
api_pairing_warnings(const struct db_result *eng, const char *disclosure)
{
	int n = db_rows(eng), nf = 0, nc = 0;
	const char **firms = calloc((size_t)n + 1, sizeof(*firms));
	const char **companies = calloc((size_t)n + 1, sizeof(*companies));
	int *firm_companies = calloc((size_t)n + 1, sizeof(*firm_companies));
	int *firm_first = calloc((size_t)n + 1, sizeof(*firm_first));
	json_t *out = json_array();

	if (firms == NULL || companies == NULL || firm_companies == NULL || firm_first == NULL ||
	    out == NULL) {
		json_decref(out);
		out = NULL;
		goto done;
	}
	if (strcmp(disclosure, "named") == 0)
		goto done;
	for (int i = 0; i < n; i++) {
		const char *co = db_get(eng, i, 2), *as = db_get(eng, i, 4);
		int f = api_index_of(firms, nf, as);

		if (api_index_of(companies, nc, co) < 0)
			companies[nc++] = co;
		if (f < 0) {
			f = nf++;
			firms[f] = as;
			firm_first[f] = i;
			firm_companies[f] = 1;
		} else if (strcmp(db_get(eng, firm_first[f], 2), co) != 0) {
			firm_companies[f]++; /* 2 or more is all that matters */
		}
	}
	if (nc == 1)
		json_array_append_new(
		    out, json_pack("{s:s, s:o, s:s}", "code", "single-company", "company_org",
		                   api_org_ref(eng, 0, 2, 3), "detail",
		                   "Only one company takes part: its label names it."));
	for (int f = 0; f < nf && nc > 1; f++) {
		int row = firm_first[f];

		if (firm_companies[f] != 1)
			continue;
		json_array_append_new(
		    out, json_pack("{s:s, s:o, s:o, s:s}", "code", "assessor-identifies-company",
		                   "assessor_org", api_org_ref(eng, row, 4, 5), "company_org",
		                   api_org_ref(eng, row, 2, 3), "detail",
		                   "This firm assesses only this company in the campaign: whoever "
		                   "knows the pairing learns from the published list of assessors "
		                   "that the company takes part."));
	}
done:
	free(firms);
	free(companies);
	free(firm_companies);
	free(firm_first);
	return out;
}

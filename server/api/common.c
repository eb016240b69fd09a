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
#include <time.h>

#include "api/api.h"
#include "util/email.h"
#include "util/utf8.h"
#include "http/http.h"
#include "http/metrics.h"
#include "publish/publish.h"
#include "publish/publish.h"
#include "util/log.h"
#include "util/util.h"
#include "util/vocab.h"

static struct crypto_signer *api_sign_key;

/* http_auth_fn: resolve a token hash through the store, outside any transaction. */
static int
api_auth_resolve(const unsigned char hash[32], struct util_identity *who,
                 char session_id[UTIL_UUID_LEN + 1], unsigned *scopes, int *api_token)
{
	struct store_auth a;
	struct db_conn *c;
	int rc = DB_ERROR;

	if ((c = db_thread_conn()) != NULL)
		rc = store_auth_resolve(c, hash, &a);
	/* a lost connection is retried once on a fresh one */
	if (rc < 0 && (c = db_thread_conn()) != NULL)
		rc = store_auth_resolve(c, hash, &a);
	if (rc != DB_OK)
		return rc == STORE_NONE ? 1 : -1;
	memcpy(who->user_id, a.user_id, sizeof(who->user_id));
	memcpy(who->org_id, a.org_id, sizeof(who->org_id));
	memcpy(who->org_kind, a.org_kind, sizeof(who->org_kind));
	memcpy(who->role, a.role, sizeof(who->role));
	memcpy(session_id, a.session_id, UTIL_UUID_LEN + 1);
	/* a browser session has every right of its user; an API token its
	 * scopes; a session limited to enrolling a second factor its scopes
	 * and the mark that says so (0007's campaign requirement) */
	*api_token = a.scopes[0] != '\0';
	*scopes = VOCAB_SCOPE_ALL;
	if (*api_token && vocab_scope_bits(a.scopes, scopes) != 0)
		return 1;
	if (*api_token && strcmp(a.kind, "session") == 0)
		*scopes |= VOCAB_SCOPE_ENROL_ONLY;
	return 0;
}

/* "one of a, b, c" for a vocabulary list, into out. */
static void
api_one_of(const char *const *list, char *out, size_t outlen)
{
	size_t off = (size_t)snprintf(out, outlen, "one of ");

	for (size_t i = 0; list[i] != NULL && off < outlen; i++)
		off += (size_t)snprintf(out + off, outlen - off, "%s%s", i ? ", " : "", list[i]);
}

/*
 * json_in_set_rules's describer: what each shared validator accepts, with
 * an example, so that every refusal states its rule (json.h). NULL for an
 * unknown validator (a handler's own table row then carries .rule).
 */
static const char *
api_rule_of(int (*valid)(const char *s))
{
	static char threat_models[256], severities[128], statuses[160], levels[128],
	    disclosures[128];
	static int ready;

	if (!ready) {
		/* filled once, before serving (api_init), read-only afterwards */
		api_one_of(vocab_threat_models, threat_models, sizeof(threat_models));
		api_one_of(vocab_severities, severities, sizeof(severities));
		api_one_of(vocab_finding_statuses, statuses, sizeof(statuses));
		api_one_of(vocab_levels, levels, sizeof(levels));
		api_one_of(vocab_disclosures, disclosures, sizeof(disclosures));
		ready = 1;
	}
	if (valid == api_valid_uuid)
		return "an id (a UUID, e.g. 0b6a4c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b)";
	if (valid == api_valid_threat_model)
		return threat_models;
	if (valid == api_valid_severity)
		return severities;
	if (valid == api_valid_status)
		return statuses;
	if (valid == api_valid_level)
		return levels;
	if (valid == api_valid_disclosure)
		return disclosures;
	if (valid == api_valid_rfc3339)
		return "an RFC 3339 date and time with its offset, e.g. 2027-05-01T12:00:00Z";
	if (valid == api_valid_name)
		return "without control characters, line breaks or bidirectional controls "
		       "(U+202A-U+202E, U+2066-U+2069), not starting with a space";
	if (valid == api_valid_text)
		return "without control characters (line breaks and tabs are fine), every "
		       "bidirectional embedding, override or isolate closed on its own line";
	if (valid == api_valid_email)
		return "an e-mail address, e.g. name@example.org";
	if (valid == api_valid_slug)
		return "a slug of 1 to 63 lower-case letters, digits and hyphens, not starting "
		       "with a hyphen, e.g. frontier-2026";
	if (valid == api_valid_atlas)
		return "a MITRE ATLAS technique id, e.g. AML.T0024 or AML.T0024.001";
	if (valid == api_valid_cwe)
		return "a CWE id, e.g. CWE-79";
	if (valid == api_valid_cvss)
		return "a CVSS 3.1 or 4.0 vector, e.g. "
		       "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
	return NULL;
}

int
api_init(const unsigned char master[CRYPTO_KEY_LEN], struct crypto_signer *signer)
{
	api_sign_key = signer;
	(void)api_rule_of(NULL); /* build the vocabulary texts before any thread reads them */
	json_in_set_rules(api_rule_of);
	if (store_init(master) != 0)
		return -1;
	http_set_auth(api_auth_resolve);
	{
		/* the one HTML "not found" page of /p/… for browsers */
		size_t len = 0;
		char *page = publish_not_found_html(&len);

		if (page == NULL)
			return -1;
		http_set_not_found_page(page, len);
	}
	metrics_set_db_gauge(db_open_connections);
	metrics_add_source(db_metrics_render);
	metrics_add_source(schedule_metrics_render);
	metrics_add_source(audit_sealer_metrics_render);
	return 0;
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
		api_names_add(r, body);
		return http_reply_json(r, res->status ? res->status : 200, body);
	}
	json_decref(res->body);
	res->body = NULL;
	switch (rc) {
	case API_FAIL:
		if (res->problem == PROBLEM_TOO_MANY_REQUESTS && res->wait.seconds > 0)
			return api_throttled(r, &res->wait);
		if (res->field != NULL)
			return http_reply_field(r, res->problem, res->field, res->reason);
		return http_reply_problem(r, res->problem, res->detail);
	case STORE_NONE:
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
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
api_throttled(struct http_request *r, const struct store_throttle_wait *w)
{
	long long secs = w->seconds > 0 ? w->seconds : 1;
	char detail[256], after[24], wait[64], value[24];
	const char *headers[3] = {"Retry-After", value, NULL};
	time_t at = time(NULL) + (time_t)secs;
	struct tm tm;

	snprintf(value, sizeof(value), "%lld", secs);
	if (gmtime_r(&at, &tm) == NULL ||
	    strftime(after, sizeof(after), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(after, sizeof(after), "a moment");
	if (secs < 60)
		snprintf(wait, sizeof(wait), "%lld second%s", secs, secs == 1 ? "" : "s");
	else if (secs % 60 == 0)
		snprintf(wait, sizeof(wait), "%lld minute%s", secs / 60, secs / 60 == 1 ? "" : "s");
	else
		snprintf(wait, sizeof(wait), "%lld min %lld s", secs / 60, secs % 60);
	snprintf(detail, sizeof(detail),
	         "Too many failed log-ins %s; try again in %s (at %s, Retry-After: %lld).",
	         strcmp(w->scope, "address") == 0 ? "from this network address"
	                                          : "for this account",
	         wait, after, secs);
	return http_reply_problem_headers(r, PROBLEM_TOO_MANY_REQUESTS, detail, headers);
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
	char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	int rc;

	json_decref(detail);
	if (detail != NULL && text == NULL)
		return DB_ERROR;
	rc = store_audit_append(c, action, object_type, object_id, org1, org2, text,
	                        r ? r->addr : NULL);
	free(text);
	return rc;
}

json_t *
api_org_json(const struct store_org *o)
{
	/* O: the row keeps its reference */
	return json_pack("{s:s, s:s, s:s, s:O, s:b, s:s}", "id", o->id, "kind", o->kind, "name",
	                 o->name, "aliases", o->aliases, "disabled", o->disabled, "created_at",
	                 o->created_at);
}

json_t *
api_user_json(const struct store_user *u)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id", u->id, "org_id", u->org_id,
	                 "email", u->email, "name", u->name, "role", u->role, "disabled",
	                 u->disabled, "created_at", u->created_at);
}

json_t *
api_me_json(const struct store_me *m)
{
	return json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "user", "id", m->user_id,
	                 "email", m->email, "name", m->user_name, "role", m->role, "org", "id",
	                 m->org_id, "kind", m->org_kind, "name", m->org_name);
}

json_t *
api_me_user_json(const struct store_me *m)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "id", m->user_id, "email",
	                 m->email, "name", m->user_name, "role", m->role, "org", "id", m->org_id,
	                 "kind", m->org_kind, "name", m->org_name);
}

json_t *
api_claim_json(const struct store_claim *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "engagement_id", k->engagement_id,
	                 "threat_model", k->threat_model, "level", k->level, "summary", k->summary,
	                 "updated_by", k->updated_by, "updated_at", k->updated_at);
}

json_t *
api_statement_json(const struct store_statement *s)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "engagement_id", s->engagement_id, "text", s->text,
	                 "updated_by", s->updated_by, "updated_at", s->updated_at);
}

json_t *
api_token_json(const struct store_token *t)
{
	/* o steals the new values, O borrows the scopes */
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:O, s:o, s:o}", "id", t->id, "kind", t->kind,
	                 "name", t->name ? json_string(t->name) : json_null(), "created_at",
	                 t->created_at, "expires_at", t->expires_at, "scopes",
	                 t->scopes ? t->scopes : json_null(), "last_used_at",
	                 t->last_used_at[0] ? json_string(t->last_used_at) : json_null(), "addr",
	                 t->addr ? json_string(t->addr) : json_null());
}

json_t *
api_campaign_json(const struct store_campaign *k)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:b, s:s, s:b, s:b}", "id",
	    k->id, "title", k->title, "slug", k->slug, "threat_models", k->threat_models,
	    "release_at", k->release_at, "planned_release_at", k->planned_release_at, "disclosure",
	    k->disclosure, "min_cohort", (json_int_t)k->min_cohort, "state", k->state, "created_at",
	    k->created_at, "updated_at", k->updated_at, "released", k->released, "review_opens_at",
	    k->review_opens_at, "review_opens_default", k->review_opens_default,
	    "require_second_factor", k->require_second_factor);
}

/* {"id", "name"} of an org; name null when the org is not visible. */
static json_t *
api_org_ref(const char *id, const char *name)
{
	return json_pack("{s:s, s:o}", "id", id, "name", name ? json_string(name) : json_null());
}

json_t *
api_engagement_json(const struct store_engagement *e)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:O, s:s, s:s, s:s}", "id", e->id,
	                 "campaign_id", e->campaign_id, "campaign_title",
	                 e->campaign_title ? e->campaign_title : "", "company_org",
	                 api_org_ref(e->company_org_id, e->company_name), "assessor_org",
	                 api_org_ref(e->assessor_org_id, e->assessor_name), "lead_assessors",
	                 e->lead_assessors, "state", e->state, "stage_changed_at",
	                 e->stage_changed_at, "created_at", e->created_at);
}

json_t *
api_finding_json(const struct store_finding *f)
{
	json_t *v = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:o, s:I, s:s, s:s, s:s, s:s}",
	    "id", f->id, "engagement_id", f->engagement_id, "threat_model", f->threat_model,
	    "severity", f->severity, "status", f->status, "title", f->title, "detail", f->detail,
	    "response", f->response, "atlas", f->atlas, "cwe", f->cwe, "cvss",
	    f->cvss ? json_string(f->cvss) : json_null(), "version", (json_int_t)f->version,
	    "created_by", f->created_by, "created_at", f->created_at, "updated_by", f->updated_by,
	    "updated_at", f->updated_at);

	/* history rows have no deadline */
	if (v != NULL && f->created_at[0] != '\0') {
		json_object_set_new(v, "remediation_due",
		                    f->remediation_due[0] ? json_string(f->remediation_due)
		                                          : json_null());
		json_object_set_new(v, "overdue", json_boolean(f->overdue));
		json_object_set_new(v, "oc_required",
		                    f->oc_required[0] ? json_string(f->oc_required) : json_null());
	}
	return v;
}

/* ---- validators ---- */

int
api_valid_uuid(const char *s)
{
	return util_uuid_valid(s);
}

int
api_valid_threat_model(const char *s)
{
	return vocab_has(vocab_threat_models, s);
}

int
api_valid_severity(const char *s)
{
	return vocab_has(vocab_severities, s);
}

int
api_valid_status(const char *s)
{
	return vocab_has(vocab_finding_statuses, s);
}

int
api_valid_level(const char *s)
{
	return vocab_has(vocab_levels, s);
}

static int
api_valid_totp_code(const char *s)
{
	if (strlen(s) != CRYPTO_TOTP_DIGITS)
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

const struct json_field api_totp_code_fields[] = {
    {.name = "code",
     .type = JSON_FIELD_STRING,
     .required = 1,
     .min_len = CRYPTO_TOTP_DIGITS,
     .max_len = CRYPTO_TOTP_DIGITS,
     .valid = api_valid_totp_code,
     .rule = "a 6-digit code from the authenticator app, e.g. 123456"},
    {.name = NULL}};

int
api_valid_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return 0;
	s += i;
	if (*s == '.') {
		if (!(s[1] >= '0' && s[1] <= '9'))
			return 0;
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	}
	if (strcmp(s, "Z") == 0)
		return 1;
	return (s[0] == '+' || s[0] == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	       s[2] <= '9' && s[3] == ':' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' &&
	       s[5] <= '9' && s[6] == '\0';
}

/*
 * The two text rules (util_utf8_class, util/utf8.h, says which code points
 * they look at and why): names take no control, line break or bidi
 * control; texts take bidi controls only closed on their own line (what
 * UTS #55 asks of source code), which is what right-to-left writing needs.
 */
int
api_valid_name(const char *s)
{
	size_t len;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += len)
		if (util_utf8_class(p, &len) != UTIL_CP_OTHER || *p == '\t')
			return 0;
	return *s != '\0' && !isspace((unsigned char)s[0]);
}

int
api_valid_text(const char *s)
{
	char open[16]; /* 'e' an embedding or override, 'i' an isolate */
	int depth = 0;
	size_t len;

	for (const unsigned char *p = (const unsigned char *)s; *p; p += len) {
		switch (util_utf8_class(p, &len)) {
		case UTIL_CP_OTHER:
			break;
		case UTIL_CP_CONTROL:
			return 0;
		case UTIL_CP_LINE:
			if (depth != 0)
				return 0;
			break;
		case UTIL_CP_EMBED:
		case UTIL_CP_ISOLATE:
			if (depth == (int)sizeof(open))
				return 0;
			open[depth++] = p[1] == 0x80 ? 'e' : 'i';
			break;
		case UTIL_CP_PDF:
			if (depth == 0 || open[depth - 1] != 'e')
				return 0;
			depth--;
			break;
		case UTIL_CP_PDI:
			if (depth == 0 || open[depth - 1] != 'i')
				return 0;
			depth--;
			break;
		}
	}
	return depth == 0;
}

int
api_valid_email(const char *s)
{
	char norm[UTIL_EMAIL_MAX + 1];

	return util_email_normalize(s, norm) == 0;
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
	struct store_engagement row = {0};
	int company, assessor, ok, rc;

	memset(e, 0, sizeof(*e));
	if ((rc = store_engagement_get(c, id, &row)) != DB_OK)
		return rc == STORE_NONE ? api_fail(res, PROBLEM_NOT_FOUND, NULL) : rc;
	company = api_is_kind(r, "company") && strcmp(row.company_org_id, r->who.org_id) == 0;
	assessor = api_is_kind(r, "assessor") && strcmp(row.assessor_org_id, r->who.org_id) == 0;
	ok = as == API_AS_ASSESSOR  ? assessor
	     : as == API_AS_COMPANY ? company
	                            : (company || assessor);
	if (!ok) {
		store_engagement_clear(&row);
		return api_fail(res, PROBLEM_NOT_FOUND, NULL);
	}
	memcpy(e->id, row.id, sizeof(e->id));
	memcpy(e->company, row.company_org_id, sizeof(e->company));
	memcpy(e->assessor, row.assessor_org_id, sizeof(e->assessor));
	e->threat_models = json_incref(row.threat_models);
	e->released = row.released;
	memcpy(e->state, row.state, sizeof(e->state));
	e->review_open = row.review_open;
	store_engagement_clear(&row);
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

/* 1 when text names name or one of aliases (a JSON array) as the release's
 * name check reads them (a check that fails counts as a hit). */
static int
api_text_names(const char *text, const char *name, const json_t *aliases)
{
	json_t *a;
	size_t j;

	if (name != NULL && publish_name_in(text, name) != 0)
		return 1;
	json_array_foreach(aliases, j, a)
	{
		if (json_is_string(a) && publish_name_in(text, json_string_value(a)) != 0)
			return 1;
	}
	return 0;
}

/* 1 when text names a company (name or alias) the caller can see; -1 on failure. */
int
api_names_company(struct db_conn *c, const char *text)
{
	struct store_org *orgs = NULL;
	int n = 0, hit = 0;

	if (store_org_list(c, NULL, 100000, &orgs, &n) != DB_OK)
		return -1;
	for (int i = 0; i < n && !hit; i++)
		hit = strcmp(orgs[i].kind, "company") == 0 &&
		      api_text_names(text, orgs[i].name, orgs[i].aliases);
	store_orgs_free(orgs, n);
	return hit;
}

/*
 * One "name-holds-release" warning in out for each company whose name or
 * one of whose aliases text (a campaign-wide published text: field) names,
 * as the release's name check reads them.
 */
static void
api_name_warnings(json_t *out, const struct store_engagement *eng, int n, const char *field,
                  const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	for (int i = 0; i < n; i++) {
		int seen = 0;

		if (eng[i].company_name == NULL)
			continue;
		for (int j = 0; j < i && !seen; j++)
			seen = strcmp(eng[j].company_org_id, eng[i].company_org_id) == 0;
		if (seen || !api_text_names(text, eng[i].company_name, eng[i].company_aliases))
			continue;
		json_array_append_new(
		    out, json_pack("{s:s, s:s, s:s, s:o, s:s}", "code", "name-holds-release", "field",
		                   field, "text", text, "company_org",
		                   api_org_ref(eng[i].company_org_id, eng[i].company_name), "detail",
		                   "This published text names a participating company: the release "
		                   "will be held at its instant. Change the campaign's title or slug "
		                   "(PATCH) now; an assessor firm's or lead assessor's name can only "
		                   "be withheld when the release is held."));
	}
}

json_t *
api_pairing_warnings(const struct store_engagement *eng, int n, const char *disclosure,
                     const char *slug)
{
	int nf = 0, nc = 0;
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
		const char *co = eng[i].company_org_id, *as = eng[i].assessor_org_id;
		int f = api_index_of(firms, nf, as);

		if (api_index_of(companies, nc, co) < 0)
			companies[nc++] = co;
		if (f < 0) {
			f = nf++;
			firms[f] = as;
			firm_first[f] = i;
			firm_companies[f] = 1;
		} else if (strcmp(eng[firm_first[f]].company_org_id, co) != 0) {
			firm_companies[f]++; /* 2 or more is all that matters */
		}
	}
	if (nc == 1)
		json_array_append_new(
		    out, json_pack("{s:s, s:o, s:s}", "code", "single-company", "company_org",
		                   api_org_ref(eng[0].company_org_id, eng[0].company_name),
		                   "detail", "Only one company takes part: its label names it."));
	/* the texts the release checks campaign-wide: title, slug, firms, leads */
	if (n > 0) {
		api_name_warnings(out, eng, n, "campaign title", eng[0].campaign_title);
		api_name_warnings(out, eng, n, "campaign slug", slug);
	}
	for (int f = 0; f < nf; f++) {
		const struct store_engagement *e = &eng[firm_first[f]];

		api_name_warnings(out, eng, n, "assessor firm", e->assessor_name);
	}
	for (int i = 0; i < n; i++) {
		size_t k;
		json_t *l;

		json_array_foreach(eng[i].lead_assessors, k, l)
		{
			int dup = 0;

			/* each lead once (a firm may list the same lead on several) */
			for (int j = 0; j < i && !dup; j++) {
				size_t m;
				json_t *o;

				json_array_foreach(eng[j].lead_assessors, m, o)
				{
					if (json_equal(o, l))
						dup = 1;
				}
			}
			if (!dup && json_is_string(l))
				api_name_warnings(out, eng, n, "lead assessor", json_string_value(l));
		}
	}
	for (int f = 0; f < nf && nc > 1; f++) {
		const struct store_engagement *e = &eng[firm_first[f]];

		if (firm_companies[f] != 1)
			continue;
		json_array_append_new(
		    out, json_pack("{s:s, s:o, s:o, s:s}", "code", "assessor-identifies-company",
		                   "assessor_org",
		                   api_org_ref(e->assessor_org_id, e->assessor_name), "company_org",
		                   api_org_ref(e->company_org_id, e->company_name), "detail",
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

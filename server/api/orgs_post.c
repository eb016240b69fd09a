/* POST /api/v1/orgs {name, kind, aliases[]}: the coordinator creates an org. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

static int
org_kind_valid(const char *s)
{
	/* the one coordinator org exists from the start (ensure-admin) */
	return vocab_has(vocab_org_kinds, s) && strcmp(s, "coordinator") != 0;
}

static const struct json_field org_fields[] = {{.name = "name",
                                                .type = JSON_FIELD_STRING,
                                                .required = 1,
                                                .min_len = 1,
                                                .max_len = 200,
                                                .valid = api_valid_name},
                                               {.name = "kind",
                                                .type = JSON_FIELD_STRING,
                                                .required = 1,
                                                .min_len = 1,
                                                .max_len = 16,
                                                .valid = org_kind_valid,
                                                .rule = "one of assessor, company"},
                                               {.name = "aliases",
                                                .type = JSON_FIELD_STRING_ARRAY,
                                                .min_len = 1,
                                                .max_len = 200,
                                                .max_items = 32,
                                                .valid = api_valid_name},
                                               {.name = NULL}};

struct org_ctx {
	struct http_request *r;
	char *aliases;
	struct store_org org; /* the result */
};

static int
org_create_tx(struct db_conn *c, void *arg)
{
	struct org_ctx *o = arg;
	int rc;

	rc = store_org_create(c, json_string_value(json_object_get(o->r->json, "kind")),
	                      json_string_value(json_object_get(o->r->json, "name")), o->aliases,
	                      &o->org);
	if (rc != DB_OK)
		return rc;
	return api_audit(c, o->r, "org.create", "org", o->org.id, o->org.id, NULL,
	                 json_pack("{s:s}", "kind", o->org.kind));
}

int
api_orgs_post(struct http_request *r)
{
	struct org_ctx o = {.r = r};
	struct api_res res = {.status = 201};
	json_t *aliases;
	int rc;

	if (!api_is_coordinator(r))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, org_fields)) != HTTP_OK)
		return rc;
	aliases = json_object_get(r->json, "aliases");
	o.aliases = aliases ? json_dumps(aliases, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
	if (o.aliases == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = db_tx(&r->who, "org_create", org_create_tx, &o);
	free(o.aliases);
	if (rc == DB_UNIQUE)
		rc = api_fail(&res, PROBLEM_CONFLICT, "An org with this name exists.");
	if (rc == DB_OK && (res.body = api_org_json(&o.org)) == NULL)
		rc = DB_ERROR;
	store_org_clear(&o.org);
	return api_finish(r, rc, &res);
}

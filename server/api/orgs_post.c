/* POST /api/v1/orgs {name, kind, aliases[]}: the coordinator creates an org. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int
org_kind_valid(const char *s)
{
	return strcmp(s, "assessor") == 0 || strcmp(s, "company") == 0;
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
                                                .valid = org_kind_valid},
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
	struct api_res res;
};

static int
org_create_tx(struct db_conn *c, void *arg)
{
	struct org_ctx *o = arg;
	const char *p[3] = {
	    json_string_value(json_object_get(o->r->json, "kind")),
	    json_string_value(json_object_get(o->r->json, "name")),
	    o->aliases,
	};
	struct db_result *q;
	enum db_status st;
	int rc;

	if ((q = db_exec(c, "org_create", 3, p, &st)) == NULL)
		return st;
	o->res.body = json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", db_get(q, 0, 0), "kind",
	                        db_get(q, 0, 1), "name", db_get(q, 0, 2), "aliases",
	                        api_json_col(q, 0, 3), "created_at", db_get(q, 0, 4));
	rc = api_audit(c, o->r, "org.create", "org", db_get(q, 0, 0), db_get(q, 0, 0), NULL,
	               json_pack("{s:s}", "kind", db_get(q, 0, 1)));
	db_result_free(q);
	return rc;
}

int
api_orgs_post(struct http_request *r)
{
	struct org_ctx o = {.r = r, .res = {.status = 201}};
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
	rc = db_tx(&r->who, org_create_tx, &o);
	free(o.aliases);
	if (rc == DB_UNIQUE)
		rc = api_fail(&o.res, PROBLEM_CONFLICT, "An org with this name exists.");
	return api_finish(r, rc, &o.res);
}

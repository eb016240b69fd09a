/* GET /api/v1/threat-models: the fixed catalogue (reference data, public). */
#include "config.h"

#include "api/api.h"

static int
threat_models_tx(struct db_conn *c, void *arg)
{
	struct api_res *res = arg;
	struct db_result *q;
	enum db_status st;
	json_t *items;

	if ((q = db_exec(c, "threat_models_list", 0, NULL, &st)) == NULL)
		return st;
	items = json_array();
	for (int i = 0; i < db_rows(q); i++)
		json_array_append_new(items,
		                      json_pack("{s:s, s:s, s:s}", "code", db_get(q, i, 0), "name",
		                                db_get(q, i, 1), "description", db_get(q, i, 2)));
	db_result_free(q);
	res->body = json_pack("{s:o}", "items", items);
	return res->body ? DB_OK : DB_ERROR;
}

int
api_threat_models_get(struct http_request *r)
{
	struct api_res res = {.status = 200};

	return api_finish(r, db_tx(NULL, "threat_models", threat_models_tx, &res), &res);
}

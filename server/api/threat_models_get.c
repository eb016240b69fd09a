/* GET /api/v1/threat-models: the fixed catalogue (reference data, public). */
#include "config.h"

#include "api/api.h"

struct threat_models_ctx {
	struct store_threat_model *rows; /* the result */
	int n;
};

static int
threat_models_tx(struct db_conn *c, void *arg)
{
	struct threat_models_ctx *k = arg;

	store_threat_models_free(k->rows, k->n);
	return store_threat_model_list(c, &k->rows, &k->n);
}

int
api_threat_models_get(struct http_request *r)
{
	struct threat_models_ctx k = {0};
	struct api_res res = {.status = 200};
	json_t *items;
	int rc;

	rc = db_tx(NULL, "threat_models", threat_models_tx, &k);
	if (rc == DB_OK) {
		items = json_array();
		for (int i = 0; i < k.n; i++)
			json_array_append_new(
			    items, json_pack("{s:s, s:s, s:s}", "code", k.rows[i].code, "name",
			                     k.rows[i].name, "description", k.rows[i].description));
		/* o steals items */
		if ((res.body = json_pack("{s:o}", "items", items)) == NULL)
			rc = DB_ERROR;
	}
	store_threat_models_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

/* GET /api/v1/me: the caller's user and org. */
#include "config.h"

#include "api/api.h"
#include "util/vocab.h"

static int
me_tx(struct db_conn *c, void *arg)
{
	return store_me_get(c, arg);
}

int
api_me_get(struct http_request *r)
{
	struct store_me me = {0};
	struct api_res res = {.status = 200};
	int rc;

	rc = db_tx(&r->who, "me_get", me_tx, &me);
	if (rc == STORE_NONE)
		rc = api_fail(&res, PROBLEM_UNAUTHORIZED, NULL);
	else if (rc == DB_OK && (res.body = api_me_json(&me)) == NULL)
		rc = DB_ERROR;
	/* issue 9: a session limited to enrolling a second factor says so */
	if (rc == DB_OK && (r->scopes & VOCAB_SCOPE_ENROL_ONLY))
		json_object_set_new(res.body, "second_factor_required", json_true());
	store_me_clear(&me);
	return api_finish(r, rc, &res);
}

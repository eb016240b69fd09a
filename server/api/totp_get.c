/* GET /api/v1/me/totp: the caller's second factor: enabled, pending, recovery codes left. */
#include "config.h"

#include "api/api.h"

struct totp_get_ctx {
	struct store_totp t; /* the result */
	int found;
};

static int
totp_get_tx(struct db_conn *c, void *arg)
{
	struct totp_get_ctx *g = arg;
	int rc = store_totp_state(c, &g->t);

	g->found = rc == DB_OK;
	return rc == STORE_NONE ? DB_OK : rc;
}

int
api_totp_get(struct http_request *r)
{
	struct totp_get_ctx g = {0};
	struct api_res res = {.status = 200};
	int rc;

	rc = db_tx(&r->who, "totp_get", totp_get_tx, &g);
	if (rc == DB_OK) {
		res.body =
		    json_pack("{s:b, s:b, s:s?, s:I}", "enabled", g.found && g.t.confirmed,
		              "pending", g.found && !g.t.confirmed, "confirmed_at",
		              g.found && g.t.confirmed ? g.t.confirmed_at : NULL,
		              "recovery_codes_left", (json_int_t)(g.found ? g.t.recovery_left : 0));
		if (res.body == NULL)
			rc = DB_ERROR;
	}
	return api_finish(r, rc, &res);
}

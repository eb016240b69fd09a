/* DELETE /api/v1/session: log out, revoking the session (or API token) in use. */
#include "config.h"

#include <stdio.h>

#include "api/api.h"
#include "conf.h"
#include "http/http.h"

struct logout_ctx {
	struct http_request *r;
};

static int
logout_tx(struct db_conn *c, void *arg)
{
	struct logout_ctx *l = arg;
	int rc = store_token_revoke(c, l->r->session_id);

	/* already revoked (STORE_NONE) still logs out */
	if (rc < 0)
		return rc;
	return api_audit(c, l->r, "logout", "user", l->r->who.user_id, l->r->who.org_id, NULL,
	                 NULL);
}

int
api_session_delete(struct http_request *r)
{
	struct logout_ctx l = {.r = r};
	struct api_res res = {.status = 204};
	char cookie[160];
	int rc;

	rc = db_tx(&r->who, "logout", logout_tx, &l);
	if (rc == DB_OK) {
		snprintf(cookie, sizeof(cookie),
		         "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", HTTP_SESSION_COOKIE,
		         config.cookie_secure ? "; Secure" : "");
		if (http_set_cookie(r, cookie) != 0)
			rc = DB_ERROR;
	}
	return api_finish(r, rc, &res);
}

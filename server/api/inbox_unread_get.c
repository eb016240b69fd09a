/* GET /api/v1/inbox/unread: {"unread": n}, the count in the web client's header. */
#include "config.h"

#include "api/api.h"

static int
unread_tx(struct db_conn *c, void *arg)
{
	return store_inbox_unread(c, arg);
}

int
api_inbox_unread_get(struct http_request *r)
{
	struct api_res res = {.status = 200};
	long long n = 0;
	int rc = db_tx(&r->who, "inbox_unread", unread_tx, &n);

	if (rc == DB_OK && (res.body = json_pack("{s:I}", "unread", (json_int_t)n)) == NULL)
		rc = DB_ERROR;
	return api_finish(r, rc, &res);
}

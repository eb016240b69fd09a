/* POST /api/v1/inbox/read-all: mark every notification of the caller read → {"marked": n}. */
#include "config.h"

#include "api/api.h"

static int
read_all_tx(struct db_conn *c, void *arg)
{
	return store_inbox_mark_all(c, arg);
}

int
api_inbox_read_all_post(struct http_request *r)
{
	struct api_res res = {.status = 200};
	long long n = 0;
	int rc = db_tx(&r->who, "inbox_mark_all", read_all_tx, &n);

	if (rc == DB_OK && (res.body = json_pack("{s:I}", "marked", (json_int_t)n)) == NULL)
		rc = DB_ERROR;
	return api_finish(r, rc, &res);
}

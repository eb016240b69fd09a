/*
 * POST /api/v1/inbox/{id}/read: mark one of the caller's notifications read
 * (204). Another user's id answers 404 like an unknown one (row-level
 * security: the UPDATE matches nothing).
 */
#include "config.h"

#include "api/api.h"

static int
read_tx(struct db_conn *c, void *arg)
{
	return store_inbox_mark(c, arg);
}

int
api_inbox_read_post(struct http_request *r)
{
	struct api_res res = {.status = 204};
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	rc = db_tx(&r->who, "inbox_mark", read_tx, (void *)http_param(r, 0));
	return api_finish(r, rc, &res);
}

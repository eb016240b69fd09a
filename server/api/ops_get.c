/* GET /healthz, /readyz, /metrics: for operators and load balancers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "conf.h"
#include "http/metrics.h"

static int ops_want_version = -1;

int
api_healthz_get(struct http_request *r)
{
	return http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

int
api_readyz_get(struct http_request *r)
{
	if (ops_want_version < 0)
		ops_want_version = db_migrations_latest(config.sql_dir);
	if (ops_want_version < 1 || !db_ready(ops_want_version))
		return http_reply_problem(
		    r, PROBLEM_UNAVAILABLE,
		    "The database is unreachable or its schema is not current.");
	return http_reply_json(
	    r, 200, json_pack("{s:s, s:i}", "status", "ready", "schema_version", ops_want_version));
}

int
api_metrics_get(struct http_request *r)
{
	char *text = metrics_render();
	int rc;

	if (text == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", text,
	                      strlen(text), NULL);
	free(text);
	return rc;
}

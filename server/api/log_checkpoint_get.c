/*
 * GET /log/checkpoint: the log's latest signed checkpoint (C2SP
 * tlog-checkpoint in a signed note, with the witnesses' cosignatures),
 * text/plain, cacheable for a few seconds only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/log.h"

int
api_log_checkpoint_get(struct http_request *r)
{
	const char *hdr[] = {"Cache-Control", "public, max-age=2", NULL};
	const char *retry[] = {"Retry-After", "1", NULL};
	char *note = NULL;
	long long size = 0;
	int rc;

	rc = api_log_checkpoint(0, &note, &size);
	if (rc == STORE_NONE)
		return http_reply_problem_headers(r, PROBLEM_UNAVAILABLE,
		                                  "The log has no checkpoint yet.", retry);
	if (rc != DB_OK)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	rc = http_reply_bytes(r, 200, "text/plain; charset=utf-8", note, strlen(note), hdr);
	free(note);
	return rc;
}

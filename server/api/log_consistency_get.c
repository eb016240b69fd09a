/*
 * GET /log/proof/consistency?from=<m>[&to=<n>]: an RFC 9162 consistency
 * proof that the tree of size m is a prefix of the tree of size n (by
 * default the latest checkpoint's), with the signed notes of both sizes
 * where they were made.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/log.h"
#include "publish/publish.h"
#include "util/util.h"

int
api_log_consistency_get(struct http_request *r)
{
	const char *fq = http_query(r, "from"), *tq = http_query(r, "to");
	tlog_hash proof[TLOG_MAX_PROOF];
	long long latest = 0, from = 0, to = 0, got;
	char *note = NULL, *old = NULL;
	size_t len = 0;
	json_t *body;
	int rc;

	if (fq == NULL || util_strnum(fq, 1, INT64_MAX, &from) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY, "from must be a positive integer.");
	if (tq != NULL && util_strnum(tq, 1, INT64_MAX, &to) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY, "to must be a positive integer.");
	rc = api_log_checkpoint(0, &note, &latest);
	free(note);
	note = NULL;
	if (rc != DB_OK)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, "The log has no checkpoint yet.");
	if (to == 0)
		to = latest;
	if (to > latest || from > to)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "Need from <= to <= the latest checkpoint's size.");
	if (tlogd_sync() < to || tlogd_consistency((uint64_t)from, (uint64_t)to, proof, &len) != 0)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	if (api_log_checkpoint(to, &note, &got) != DB_OK)
		note = NULL;
	if (api_log_checkpoint(from, &old, &got) != DB_OK)
		old = NULL;
	body = json_pack("{s:I, s:I, s:o, s:o, s:o}", "from", (json_int_t)from, "to",
	                 (json_int_t)to, "proof", api_log_hashes(proof, len), "checkpoint",
	                 note != NULL ? json_string(note) : json_null(), "from_checkpoint",
	                 old != NULL ? json_string(old) : json_null());
	free(note);
	free(old);
	if (body == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	return http_reply_json(r, 200, body);
}

/*
 * GET /log/proof/inclusion?hash=<leaf hash, hex>|index=<i>[&size=<n>]:
 * an RFC 9162 inclusion proof of one entry in the tree of size n (by
 * default the latest checkpoint's), with that checkpoint's signed note, so
 * a client checks both with the log key alone.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/log.h"
#include "publish/publish.h"
#include "util/util.h"

struct inclusion_tx {
	tlog_hash leaf;
	long long idx;
};

static int
inclusion_find_fn(struct db_conn *c, void *arg)
{
	struct inclusion_tx *t = arg;

	t->idx = -1;
	return store_tlog_find(c, t->leaf, &t->idx);
}

int
api_log_inclusion_get(struct http_request *r)
{
	const char *hq = http_query(r, "hash"), *iq = http_query(r, "index"),
	           *sq = http_query(r, "size");
	struct inclusion_tx t = {.idx = -1};
	tlog_hash proof[TLOG_MAX_PROOF], leaf;
	char leaf_hex[2 * TLOG_HASH + 1];
	long long latest = 0, size = 0, index = 0;
	char *note = NULL;
	size_t len = 0;
	json_t *body;
	int rc;

	if ((hq == NULL) == (iq == NULL))
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "Give exactly one of hash (a leaf hash, 64 hex digits) "
		                          "and index.");
	if (hq != NULL &&
	    (strlen(hq) != 2 * TLOG_HASH || util_hex_decode(hq, t.leaf, TLOG_HASH) != 0))
		return http_reply_problem(r, PROBLEM_BAD_QUERY, "hash must be 64 hex digits.");
	if (iq != NULL && util_strnum(iq, 0, INT64_MAX - 1, &index) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "index must be a non-negative integer.");
	if (sq != NULL && util_strnum(sq, 1, INT64_MAX, &size) != 0)
		return http_reply_problem(r, PROBLEM_BAD_QUERY, "size must be a positive integer.");
	rc = api_log_checkpoint(0, &note, &latest);
	free(note);
	note = NULL;
	if (rc != DB_OK)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, "The log has no checkpoint yet.");
	if (size == 0)
		size = latest;
	if (size > latest)
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "size is beyond the latest checkpoint.");
	if (hq != NULL) {
		rc = db_tx(NULL, "log_find", inclusion_find_fn, &t);
		if (rc == DB_OK && t.idx >= size && sq == NULL && tlogd_checkpoint_now() >= 0) {
			/* appended since the last checkpoint: one is signed now */
			rc = api_log_checkpoint(0, &note, &latest);
			free(note);
			note = NULL;
			if (rc != DB_OK)
				return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
			size = latest;
		}
		if (rc == STORE_NONE || (rc == DB_OK && t.idx >= size))
			return http_reply_problem(
			    r, PROBLEM_NOT_FOUND,
			    "No entry with this leaf hash in the tree of that "
			    "size.");
		if (rc != DB_OK)
			return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
		index = t.idx;
	} else if (index >= size) {
		return http_reply_problem(r, PROBLEM_NOT_FOUND,
		                          "No entry at this index in the tree "
		                          "of that size.");
	}
	if (tlogd_sync() < size || tlogd_leaf((uint64_t)index, leaf) != 0 ||
	    tlogd_inclusion((uint64_t)index, (uint64_t)size, proof, &len) != 0)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	/* the signed checkpoint of exactly that size, when one was made */
	if (api_log_checkpoint(size, &note, &latest) != DB_OK)
		note = NULL;
	util_hex_encode(leaf, TLOG_HASH, leaf_hex);
	body =
	    json_pack("{s:I, s:I, s:s, s:o, s:o}", "index", (json_int_t)index, "size",
	              (json_int_t)size, "leaf_hash", leaf_hex, "proof", api_log_hashes(proof, len),
	              "checkpoint", note != NULL ? json_string(note) : json_null());
	free(note);
	if (body == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	return http_reply_json(r, 200, body);
}

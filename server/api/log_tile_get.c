/*
 * GET /log/tile/<L>/<N>[.p/<W>] and /log/tile/entries/<N>[.p/<W>]: the
 * log's Merkle tree and entries as C2SP tlog-tiles. Only what the latest
 * signed checkpoint covers is served (anything else is 404); a tile never
 * changes once served, so it is cacheable forever.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/log.h"
#include "publish/publish.h"

struct tile_tx {
	long long from, to;
	struct store_tlog_entry *rows;
	int n;
};

static int
tile_entries_fn(struct db_conn *c, void *arg)
{
	struct tile_tx *t = arg;

	store_tlog_entries_free(t->rows, t->n);
	t->rows = NULL;
	t->n = 0;
	return store_tlog_entries(c, t->from, t->to, &t->rows, &t->n);
}

/* The entry bundle of [from, to): big-endian uint16 lengths and bodies. */
static int
tile_bundle(struct http_request *r, long long from, long long to)
{
	const char *hdr[] = {"Cache-Control", API_LOG_IMMUTABLE, NULL};
	struct tile_tx t = {.from = from, .to = to};
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = db_tx(NULL, "log_tile_entries", tile_entries_fn, &t);
	if (rc != DB_OK || t.n != (int)(to - from)) {
		store_tlog_entries_free(t.rows, t.n);
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	for (int i = 0; i < t.n; i++)
		len += 2 + strlen(t.rows[i].body);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		store_tlog_entries_free(t.rows, t.n);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	len = 0;
	for (int i = 0; i < t.n; i++) {
		size_t l = strlen(t.rows[i].body);

		buf[len++] = (unsigned char)(l >> 8);
		buf[len++] = (unsigned char)l;
		memcpy(buf + len, t.rows[i].body, l);
		len += l;
	}
	store_tlog_entries_free(t.rows, t.n);
	rc = http_reply_bytes(r, 200, "application/octet-stream", buf, len, hdr);
	free(buf);
	return rc;
}

int
api_log_tile_get(struct http_request *r)
{
	const char *hdr[] = {"Cache-Control", API_LOG_IMMUTABLE, NULL};
	unsigned char buf[TLOG_TILE_WIDTH * TLOG_HASH];
	char *note = NULL;
	long long size = 0;
	uint64_t index, span = 1;
	unsigned width;
	int level;

	if (tlog_tile_parse(r->match.rest, &level, &index, &width) != 0)
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (api_log_checkpoint(0, &note, &size) != DB_OK)
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	free(note);
	for (int l = 0; l < level && l < 8; l++)
		span *= TLOG_TILE_WIDTH;
	if (level > 7 || index > (uint64_t)INT64_MAX / TLOG_TILE_WIDTH / span ||
	    (index * TLOG_TILE_WIDTH + width) * span > (uint64_t)size)
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if (level < 0)
		return tile_bundle(r, (long long)(index * TLOG_TILE_WIDTH),
		                   (long long)(index * TLOG_TILE_WIDTH + width));
	if (tlogd_sync() < size || tlogd_tile(level, index, width, buf) != 0)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	return http_reply_bytes(r, 200, "application/octet-stream", buf, (size_t)width * TLOG_HASH,
	                        hdr);
}

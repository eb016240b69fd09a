/*
 * client/audit.c: `lockstep verify-audit [--log-key FILE] [--export FILE]`:
 * the audit chain checked against the transparency log.
 *
 * The export (GET /api/v1/audit as the coordinator, every page; or a file
 * saved from it with --export, written as it is checked) gives each event
 * with the exact text its hash covers. The chain must hold: each
 * prev_hash is the previous hash, each hash is SHA-256(prev_hash ||
 * hashed), and hashed encodes exactly the event's fields. That alone is
 * what audit_verify() checks, and a database owner can re-chain a trail
 * after editing it. So the log is read too: every entry of the checkpoint
 * signed by the log key (entry bundles, their root recomputed and compared
 * with the checkpoint's), and each audit checkpoint in it (the chain's
 * head hash and length at the time) must match the export: a re-chained
 * trail has other hashes than those the log recorded.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "tlog/tlog.h"
#include "util/util.h"

/* GET path with token as JSON; new reference or NULL with a message. */
static json_t *
audit_get(const char *base_url, const char *token, const char *path)
{
	const char *const accept[] = {"Accept: application/json", NULL};
	struct client_call call = {.path = path, .token = token, .headers = accept, .timeout = 120};
	struct client_response res = {0};
	json_t *j = NULL;

	if (client_request(base_url, &call, &res) == 0) {
		if (res.status == 200)
			j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
		else
			(void)client_report(&res);
	}
	client_response_free(&res);
	return j;
}

/* GET path (anonymous) as bytes into *out; 0 or -1. */
static int
audit_get_bytes(const char *base_url, const char *path, struct client_buf *out)
{
	struct client_call call = {.path = path, .timeout = 120};
	struct client_response res = {0};
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (client_request(base_url, &call, &res) == 0 && res.status == 200) {
		*out = res.body;
		memset(&res.body, 0, sizeof(res.body));
		ret = 0;
	}
	client_response_free(&res);
	return ret;
}

/* The chain of events: 0, or -1 with *why (and the failing id in *bad). */
static int
audit_chain(const json_t *events, const char **why, long long *bad)
{
	static const char *const fields[] = {"at",   "actor_user", "actor_org",   "actor_kind",
	                                     "addr", "action",     "object_type", "object_id",
	                                     "orgs", "detail"};
	unsigned char prev[CRYPTO_SHA256_LEN] = {0}, h[CRYPTO_SHA256_LEN];
	const json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
	{
		const char *ph = json_string_value(json_object_get(e, "prev_hash"));
		const char *hh = json_string_value(json_object_get(e, "hash"));
		const char *text = json_string_value(json_object_get(e, "hashed"));
		unsigned char p[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];
		struct crypto_sha256_stream *s;
		json_t *arr;
		int ok = 1;

		*bad = json_integer_value(json_object_get(e, "id"));
		if (ph == NULL || hh == NULL || text == NULL ||
		    util_hex_decode(ph, p, sizeof(p)) != 0 ||
		    util_hex_decode(hh, want, sizeof(want)) != 0) {
			*why = "an event of the export is malformed";
			return -1;
		}
		if (memcmp(p, prev, sizeof(p)) != 0) {
			*why = "an event's prev_hash is not the previous event's hash (an event is "
			       "missing or was removed)";
			return -1;
		}
		/* the text hashed encodes exactly the event's fields */
		arr = json_loads(text, JSON_DECODE_ANY, NULL);
		if (!json_is_array(arr) || json_array_size(arr) != 10)
			ok = 0;
		for (size_t f = 0; ok && f < 10; f++) {
			json_t *got = json_array_get(arr, f), *have = json_object_get(e, fields[f]);

			if (have == NULL)
				have = json_null();
			if (!json_equal(got, have) && !(json_is_null(got) && json_is_null(have)))
				ok = 0;
		}
		json_decref(arr);
		if (!ok) {
			*why = "an event's hashed text does not encode its fields";
			return -1;
		}
		s = crypto_sha256_stream_new();
		if (s == NULL || crypto_sha256_stream_update(s, prev, sizeof(prev)) != 0 ||
		    crypto_sha256_stream_update(s, text, strlen(text)) != 0 ||
		    crypto_sha256_stream_final(s, h) != 0) {
			crypto_sha256_stream_free(s);
			*why = "cannot hash";
			return -1;
		}
		crypto_sha256_stream_free(s);
		if (memcmp(h, want, sizeof(h)) != 0) {
			*why = "an event's hash is not SHA-256(prev_hash || hashed)";
			return -1;
		}
		memcpy(prev, h, sizeof(prev));
	}
	return 0;
}

/*
 * Every entry of the log up to the signed checkpoint (size, root): fetched
 * as entry bundles, their tree root recomputed and compared. *entries: a
 * new array of strings. 0, or -1 with *why.
 */
static int
audit_log_entries(const char *base_url, const struct tlog_checkpoint *cp, json_t **entries,
                  const char **why)
{
	tlog_hash *leaves = NULL, root;
	json_t *out = json_array();
	int ret = -1;

	*entries = NULL;
	if (cp->size > 10000000 || (leaves = calloc(cp->size ? cp->size : 1, TLOG_HASH)) == NULL) {
		*why = "the log is too large to read whole";
		goto done;
	}
	for (uint64_t t = 0; t * TLOG_TILE_WIDTH < cp->size; t++) {
		uint64_t left = cp->size - t * TLOG_TILE_WIDTH;
		unsigned w = left >= TLOG_TILE_WIDTH ? TLOG_TILE_WIDTH : (unsigned)left;
		char tp[64], path[128];
		struct client_buf b;
		size_t off = 0;

		if (tlog_tile_path(-1, t, w, tp, sizeof(tp)) != 0)
			goto done;
		snprintf(path, sizeof(path), "/log/tile/%s", tp);
		if (audit_get_bytes(base_url, path, &b) != 0) {
			*why = "an entry bundle of the log is not available";
			goto done;
		}
		for (unsigned i = 0; i < w; i++) {
			const unsigned char *p = (const unsigned char *)b.data + off;
			size_t l;

			if (off + 2 > b.len || off + 2 + (l = (size_t)p[0] << 8 | p[1]) > b.len) {
				client_buf_free(&b);
				*why = "an entry bundle is malformed";
				goto done;
			}
			(void)tlog_leaf_hash(p + 2, l, leaves[t * TLOG_TILE_WIDTH + i]);
			json_array_append_new(out, json_stringn((const char *)p + 2, l));
			off += 2 + l;
		}
		client_buf_free(&b);
	}
	if (tlog_root(leaves, cp->size, root) != 0 || memcmp(root, cp->root, TLOG_HASH) != 0) {
		*why = "the log's entries do not hash to the signed checkpoint";
		goto done;
	}
	*entries = out;
	out = NULL;
	ret = 0;
done:
	json_decref(out);
	free(leaves);
	return ret;
}

int
client_cmd_verify_audit(const struct client_ctx *ctx, const char **opts)
{
	const char *logkeyfile = opts[0], *exportfile = opts[1], *why = NULL;
	char token[CLIENT_MAX_TOKEN], path[256];
	struct tlog_vkey k;
	struct tlog_checkpoint cp;
	struct client_buf nb = {0};
	json_t *events = json_array(), *entries = NULL, *out = NULL, *e;
	long long after = 0, bad = 0, checked = 0;
	size_t textlen, i;
	char *note = NULL;
	int ret = CLIENT_EXIT_PROBLEM;

	if (client_log_key(ctx->base_url, logkeyfile, &k) != 0)
		goto done;
	if (client_load_token(ctx->base_url, token) != 0)
		goto done;
	if (token[0] == '\0') {
		fprintf(stderr, "%s: log in first (as the coordinator): %s login EMAIL\n",
		        client_progname, client_progname);
		ret = CLIENT_EXIT_USAGE;
		goto done;
	}
	/* the export, every page */
	for (;;) {
		json_t *page, *items, *next;

		snprintf(path, sizeof(path), "/api/v1/audit?limit=1000&after=%lld", after);
		if ((page = audit_get(ctx->base_url, token, path)) == NULL)
			goto done;
		items = json_object_get(page, "items");
		json_array_extend(events, items);
		next = json_object_get(page, "next");
		if (!json_is_integer(next) || json_integer_value(next) <= after) {
			json_decref(page);
			break;
		}
		after = json_integer_value(next);
		json_decref(page);
	}
	if (exportfile != NULL) {
		char *text = json_dumps(events, JSON_COMPACT);

		if (text == NULL || client_write_private(exportfile, text) != 0) {
			free(text);
			goto done;
		}
		free(text);
	}
	if (audit_chain(events, &why, &bad) != 0)
		goto report;
	/* the log: the signed checkpoint and every entry */
	if (audit_get_bytes(ctx->base_url, "/log/checkpoint", &nb) != 0 ||
	    (note = strndup(nb.data ? nb.data : "", nb.len)) == NULL ||
	    tlog_note_split(note, strlen(note), &textlen) != 0 ||
	    tlog_checkpoint_parse(note, textlen, &cp) != 0 || strcmp(cp.origin, k.name) != 0 ||
	    tlog_note_verify(note, strlen(note), &k, NULL) != 1) {
		why = "the log's checkpoint is not signed by the log key";
		goto report;
	}
	if (audit_log_entries(ctx->base_url, &cp, &entries, &why) != 0)
		goto report;
	json_array_foreach(entries, i, e)
	{
		json_t *body = json_loads(json_string_value(e), 0, NULL);
		const char *type = json_string_value(json_object_get(body, "type"));

		if (type != NULL && strcmp(type, "audit-checkpoint") == 0) {
			long long last = json_integer_value(json_object_get(body, "last_id"));
			long long count = json_integer_value(json_object_get(body, "count"));
			const char *head = json_string_value(json_object_get(body, "head"));
			long long seen = 0;
			int found = 0;
			size_t j;
			json_t *ev;

			json_array_foreach(events, j, ev)
			{
				long long id = json_integer_value(json_object_get(ev, "id"));

				if (id <= last)
					seen++;
				if (id == last && head != NULL &&
				    strcmp(json_string_value(json_object_get(ev, "hash")), head) ==
				        0)
					found = 1;
			}
			if (!found || seen != count) {
				bad = last;
				why = "the audit trail differs from what the transparency log "
				      "recorded "
				      "(an event was changed, removed or the trail re-chained)";
				json_decref(body);
				goto report;
			}
			checked++;
		}
		json_decref(body);
	}
report:
	out =
	    json_pack("{s:b, s:I, s:I, s:s?, s:o}", "verified", why == NULL, "events",
	              (json_int_t)json_array_size(events), "audit_checkpoints", (json_int_t)checked,
	              "why", why, "event", why != NULL ? json_integer(bad) : json_null());
	if (out != NULL) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	if (why != NULL)
		fprintf(stderr, "%s: audit trail NOT VERIFIED: %s\n", client_progname, why);
	else if (checked == 0)
		fprintf(stderr, "%s: note: the log holds no audit checkpoint yet\n",
		        client_progname);
	ret = why == NULL ? 0 : CLIENT_EXIT_PROBLEM;
done:
	explicit_bzero(token, sizeof(token));
	json_decref(events);
	json_decref(entries);
	json_decref(out);
	client_buf_free(&nb);
	free(note);
	return ret;
}

/*
 * GET /feed.xml: an Atom feed of the 50 newest released publications.
 * Runs with no identity: row-level security decides what is released.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "publish/publish.h"
#include "util/util.h"

#define FEED_MAX 50

struct feed_ctx {
	struct db_result *q;
};

static int
feed_tx(struct db_conn *c, void *arg)
{
	struct feed_ctx *k = arg;
	const char *p[2] = {NULL, "50"};
	enum db_status st;

	if ((k->q = db_exec(c, "publications_list", 2, p, &st)) == NULL)
		return st;
	return DB_OK;
}

int
api_feed_get(struct http_request *r)
{
	struct feed_ctx k = {0};
	struct publish_feed_item items[FEED_MAX];
	const struct crypto_signer *s = api_signer();
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	char key[64], feed_id[96];
	const char *hdr[] = {"Cache-Control", "public, max-age=5", NULL};
	char *atom;
	size_t len = 0, n;
	int rc;

	rc = db_tx(NULL, "feed", feed_tx, &k);
	if (rc != DB_OK) {
		db_result_free(k.q);
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	n = (size_t)db_rows(k.q);
	if (n > FEED_MAX)
		n = FEED_MAX;
	for (size_t i = 0; i < n; i++) {
		long long seq = 0;

		util_strnum(db_get(k.q, (int)i, 0), 1, 1LL << 60, &seq);
		items[i].seq = seq;
		items[i].slug = db_get(k.q, (int)i, 1);
		items[i].title = db_get(k.q, (int)i, 2);
		items[i].disclosure = db_get(k.q, (int)i, 3);
		items[i].release_at = db_get(k.q, (int)i, 4);
		items[i].published_at = db_get(k.q, (int)i, 5);
		items[i].hash_hex = db_get(k.q, (int)i, 7);
	}
	key[0] = '\0';
	if (s != NULL) {
		crypto_signer_public(s, pub);
		util_b64url_encode(pub, sizeof(pub), key);
	}
	snprintf(feed_id, sizeof(feed_id), "urn:lockstep:feed:%s", key);
	atom = publish_feed_atom(items, n, feed_id, &len);
	db_result_free(k.q);
	if (atom == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "application/atom+xml; charset=utf-8", atom, len, hdr);
	free(atom);
	return rc;
}

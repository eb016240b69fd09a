/*
 * GET /feed.xml: an Atom feed of the 50 newest released publications.
 * Runs with no identity: row-level security decides what is released.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>

#include "api/api.h"
#include "publish/publish.h"
#include "util/util.h"

#define FEED_MAX 50

struct feed_ctx {
	struct store_publication *rows; /* the result */
	int n;
};

static int
feed_tx(struct db_conn *c, void *arg)
{
	struct feed_ctx *k = arg;

	store_publications_free(k->rows, k->n);
	return store_publication_list(c, NULL, FEED_MAX, &k->rows, &k->n);
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
		store_publications_free(k.rows, k.n);
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	n = (size_t)k.n;
	assert(n <= FEED_MAX);
	for (size_t i = 0; i < n; i++) {
		items[i].seq = k.rows[i].seq;
		items[i].slug = k.rows[i].slug;
		items[i].title = k.rows[i].title;
		items[i].disclosure = k.rows[i].disclosure;
		items[i].release_at = k.rows[i].release_at;
		items[i].published_at = k.rows[i].published_at;
		items[i].hash_hex = k.rows[i].hash;
	}
	key[0] = '\0';
	if (s != NULL) {
		crypto_signer_public(s, pub);
		util_b64url_encode(pub, sizeof(pub), key);
	}
	snprintf(feed_id, sizeof(feed_id), "urn:lockstep:feed:%s", key);
	atom = publish_feed_atom(items, n, feed_id, &len);
	store_publications_free(k.rows, k.n);
	if (atom == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "application/atom+xml; charset=utf-8", atom, len, hdr);
	free(atom);
	return rc;
}

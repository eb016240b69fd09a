/*
 * GET /.well-known/lockstep/signing-keys: the history of the keys that
 * sign publications and receipts, oldest first, each later key endorsed by
 * its predecessor (sql/0011_keys.sql, server/keyring.c), so that a reader
 * who pinned an earlier key can follow a rotation:
 *   {"keys":[{key_id, key, created_at, previous_key_id, statement,
 *             endorsement, jwk:{kty, crv, x, kid, use, alg}}]}
 * key_id and jwk.kid are the RFC 7638 thumbprint of the key's JWK, the one
 * key id that receipts, publications and the CLI use too.
 * key and endorsement are base64url; previous_key_id and endorsement are
 * null for the first key. Public.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "util/util.h"

struct signing_keys_ctx {
	struct store_signing_key *rows; /* the result */
	int n;
};

static int
signing_keys_tx(struct db_conn *c, void *arg)
{
	struct signing_keys_ctx *k = arg;

	store_signing_keys_free(k->rows, k->n);
	k->rows = NULL;
	k->n = 0;
	return store_signing_key_list(c, &k->rows, &k->n);
}

/* base64url of b as a JSON string, or null. */
static json_t *
signing_keys_b64(const struct db_bytes *b)
{
	char *s;
	json_t *j;

	if (b->p == NULL)
		return json_null();
	if ((s = malloc(util_b64url_len(b->len) + 1)) == NULL)
		return NULL;
	util_b64url_encode(b->p, b->len, s);
	j = json_string(s);
	free(s);
	return j;
}

int
api_signing_keys_get(struct http_request *r)
{
	struct signing_keys_ctx k = {0};
	struct api_res res = {.status = 200};
	json_t *keys;
	int rc;

	rc = db_tx(NULL, "signing_keys", signing_keys_tx, &k);
	if (rc == DB_OK) {
		keys = json_array();
		for (int i = 0; i < k.n && keys != NULL; i++) {
			const struct store_signing_key *s = &k.rows[i];

			json_t *x = signing_keys_b64(&s->public_key);

			/* o steals; the jwk's kid is the key id (RFC 7638), as
			 * receipts and publications name it */
			json_array_append_new(
			    keys,
			    json_pack(
			        "{s:s, s:O, s:s, s:o, s:s, s:o, s:{s:s, s:s, s:O, s:s, s:s, s:s}}",
			        "key_id", s->key_id, "key", x, "created_at", s->created_at,
			        "previous_key_id",
			        s->previous_key_id[0] ? json_string(s->previous_key_id)
			                              : json_null(),
			        "statement", s->statement ? s->statement : "", "endorsement",
			        signing_keys_b64(&s->endorsement), "jwk", "kty", "OKP", "crv",
			        "Ed25519", "x", x, "kid", s->key_id, "use", "sig", "alg", "EdDSA"));
			json_decref(x);
		}
		if ((res.body = json_pack("{s:o}", "keys", keys)) == NULL)
			rc = DB_ERROR;
	}
	store_signing_keys_free(k.rows, k.n);
	return api_finish(r, rc, &res);
}

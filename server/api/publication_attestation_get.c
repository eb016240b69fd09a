/*
 * GET /api/v1/publications/{slug}/attestation: the publication as an
 * in-toto Statement v1 (subject: the document's SHA-256; predicate type
 * PUBLICATION_PREDICATE) in a DSSE envelope signed with the publication
 * signing key (Ed25519 over DSSE's pre-authentication encoding), for
 * supply-chain tooling that consumes attestations. Same embargo as the
 * document: before the release instant, and for a slug that never
 * existed, the same 404. Ed25519 is deterministic, so the envelope's bytes
 * never change: cacheable like the document.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "publish/publish.h"
#include "util/util.h"

#define ATTEST_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define PUBLICATION_PREDICATE "https://lockstep.dev/attestation/publication/v1"

struct attest_ctx {
	const char *slug;
	struct store_publication p;
};

static int
attest_tx(struct db_conn *c, void *arg)
{
	struct attest_ctx *k = arg;

	return store_publication_get(c, k->slug, &k->p);
}

/* The publication's log entry leaf hash (hex) into out. 0 or -1. */
static int
attest_leaf(const struct store_publication *p, char out[2 * TLOG_HASH + 1])
{
	json_t *e = json_pack("{s:s, s:I, s:s}", "hash", p->hash, "sequence", (json_int_t)p->seq,
	                      "type", "publication");
	char *canon = NULL;
	size_t len = 0;
	tlog_hash leaf;
	int ret = -1;

	if (e != NULL && (canon = publish_canonical(e, &len)) != NULL &&
	    tlog_leaf_hash(canon, len, leaf) == 0) {
		util_hex_encode(leaf, TLOG_HASH, out);
		ret = 0;
	}
	free(canon);
	json_decref(e);
	return ret;
}

/* The DSSE envelope of k's publication (new reference), or NULL. */
static json_t *
attest_envelope(const struct crypto_signer *signer, const struct store_publication *p)
{
	unsigned char sig[CRYPTO_ED25519_SIG_LEN], pub[CRYPTO_ED25519_PUB_LEN],
	    kd[CRYPTO_SHA256_LEN];
	char leaf[2 * TLOG_HASH + 1], x[64], jwk[128], kid[64], sigb64[128], path[128];
	char *payload = NULL, *pae = NULL, *payload_b64 = NULL;
	size_t plen = 0, pae_len;
	json_t *stmt = NULL, *env = NULL;
	int n;

	if (attest_leaf(p, leaf) != 0)
		return NULL;
	snprintf(path, sizeof(path), "/api/v1/publications/%s", p->slug);
	stmt = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{s:s, s:I, s:s, s:s, s:s, s:s, s:{s:s, "
	                 "s:s}}}",
	                 "_type", "https://in-toto.io/Statement/v1", "subject", "name", path,
	                 "digest", "sha256", p->hash, "predicateType", PUBLICATION_PREDICATE,
	                 "predicate", "slug", p->slug, "sequence", (json_int_t)p->seq, "prev_hash",
	                 p->prev_hash, "release_at", p->release_at, "published_at", p->published_at,
	                 "format", PUBLISH_FORMAT, "transparency_log", "origin", tlogd_origin(),
	                 "leaf_hash", leaf);
	if (stmt == NULL || (payload = publish_canonical(stmt, &plen)) == NULL)
		goto done;
	/* DSSE PAE: "DSSEv1" SP len(type) SP type SP len(body) SP body */
	pae_len = plen + strlen(ATTEST_PAYLOAD_TYPE) + 64;
	if ((pae = malloc(pae_len)) == NULL)
		goto done;
	n = snprintf(pae, pae_len, "DSSEv1 %zu %s %zu ", strlen(ATTEST_PAYLOAD_TYPE),
	             ATTEST_PAYLOAD_TYPE, plen);
	if (n < 0 || (size_t)n + plen > pae_len)
		goto done;
	memcpy(pae + n, payload, plen);
	if (crypto_sign(signer, pae, (size_t)n + plen, sig) != 0)
		goto done;
	/* keyid: the RFC 7638 thumbprint of the key's JWK, as evidence receipts name it */
	crypto_signer_public(signer, pub);
	util_b64url_encode(pub, sizeof(pub), x);
	snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	if (crypto_sha256(jwk, strlen(jwk), kd) != 0)
		goto done;
	util_b64url_encode(kd, sizeof(kd), kid);
	util_b64_encode(sig, sizeof(sig), sigb64);
	if ((payload_b64 = malloc(4 * ((plen + 2) / 3) + 1)) == NULL)
		goto done;
	util_b64_encode(payload, plen, payload_b64);
	env = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "payloadType", ATTEST_PAYLOAD_TYPE, "payload",
	                payload_b64, "signatures", "keyid", kid, "sig", sigb64);
done:
	json_decref(stmt);
	free(payload);
	free(pae);
	free(payload_b64);
	return env;
}

int
api_publication_attestation_get(struct http_request *r)
{
	const struct crypto_signer *signer = api_signer();
	struct attest_ctx k = {.slug = http_param(r, 0)};
	const char *hdr[] = {"Cache-Control", "public, max-age=86400, immutable", NULL};
	json_t *env;
	char *text;
	int rc;

	if (signer == NULL)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	/* an invalid slug and an unreleased one: the same 404 as an unknown one */
	if (!api_valid_slug(k.slug))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	rc = db_tx(NULL, "publication_attestation", attest_tx, &k);
	if (rc != DB_OK) {
		store_publication_clear(&k.p);
		return http_reply_problem(
		    r, rc == STORE_NONE ? PROBLEM_NOT_FOUND : PROBLEM_UNAVAILABLE, NULL);
	}
	env = attest_envelope(signer, &k.p);
	store_publication_clear(&k.p);
	if (env == NULL || (text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(env);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	json_decref(env);
	rc = http_reply_bytes(r, 200, "application/vnd.dsse.envelope.v1+json", text, strlen(text),
	                      hdr);
	free(text);
	return rc;
}

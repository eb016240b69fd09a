/*
 * GET /.well-known/lockstep/signing-key: the Ed25519 public key that signs
 * publications and receipts, as JSON with its key id (the RFC 7638
 * thumbprint), a PEM and a JWK (RFC 8037) whose kid is that key id, or as
 * plain PEM with ?format=pem.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/util.h"

int
api_signing_key_get(struct http_request *r)
{
	const struct crypto_signer *s = api_signer();
	const char *format = http_query(r, "format");
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	char x[64], kid[64];
	char *pem;
	int rc;

	if (s == NULL)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	if ((pem = crypto_signer_public_pem(s)) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	if (format != NULL && strcmp(format, "pem") == 0) {
		rc = http_reply_bytes(r, 200, "application/x-pem-file", pem, strlen(pem), NULL);
		free(pem);
		return rc;
	}
	if (format != NULL && strcmp(format, "json") != 0) {
		free(pem);
		return http_reply_problem(r, PROBLEM_BAD_QUERY, "format must be json or pem.");
	}
	crypto_signer_public(s, pub);
	util_b64url_encode(pub, sizeof(pub), x);
	/* one key id everywhere: the RFC 7638 thumbprint, as receipts
	 * (key_id), the key history (key_id, jwk.kid), the publication
	 * headers (X-Lockstep-Key-Id) and the CLI name it */
	if (crypto_ed25519_key_id(pub, kid) != 0) {
		free(pem);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	rc = http_reply_json(r, 200,
	                     json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}",
	                               "algorithm", "Ed25519", "key_id", kid, "pem", pem, "jwk",
	                               "kty", "OKP", "crv", "Ed25519", "x", x, "kid", kid, "use",
	                               "sig", "alg", "EdDSA"));
	free(pem);
	return rc;
}

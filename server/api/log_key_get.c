/*
 * GET /.well-known/lockstep/log-key: the transparency log's public key
 * (Ed25519): JSON with the origin, the C2SP verifier key (vkey), a PEM and
 * a JWK; ?format=vkey answers the vkey alone (text/plain), ?format=pem the
 * PEM.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "publish/publish.h"
#include "util/util.h"

int
api_log_key_get(struct http_request *r)
{
	const struct crypto_signer *s = tlogd_signer();
	const char *format = http_query(r, "format");
	const char *hdr[] = {"Cache-Control", "public, max-age=300", NULL};
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	char vkey[256], x[64], line[300];
	char *pem;
	int rc;

	if (s == NULL || tlogd_vkey(vkey, sizeof(vkey)) != 0)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	if (format != NULL && strcmp(format, "vkey") == 0) {
		snprintf(line, sizeof(line), "%s\n", vkey);
		return http_reply_bytes(r, 200, "text/plain; charset=utf-8", line, strlen(line),
		                        hdr);
	}
	if ((pem = crypto_signer_public_pem(s)) == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	if (format != NULL && strcmp(format, "pem") == 0) {
		rc = http_reply_bytes(r, 200, "application/x-pem-file", pem, strlen(pem), hdr);
		free(pem);
		return rc;
	}
	if (format != NULL && strcmp(format, "json") != 0) {
		free(pem);
		return http_reply_problem(r, PROBLEM_BAD_QUERY,
		                          "format must be json, vkey or pem.");
	}
	crypto_signer_public(s, pub);
	util_b64url_encode(pub, sizeof(pub), x);
	rc = http_reply_json(r, 200,
	                     json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}",
	                               "algorithm", "Ed25519", "origin", tlogd_origin(), "vkey",
	                               vkey, "pem", pem, "jwk", "kty", "OKP", "crv", "Ed25519", "x",
	                               x, "use", "sig", "alg", "EdDSA"));
	free(pem);
	return rc;
}

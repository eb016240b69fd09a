/*
 * crypto/token.c: bearer tokens for sessions and API keys.
 *
 * A token is 32 CSPRNG bytes as 43 base64url characters. The server
 * stores only SHA-256 of the 43-character string as presented, so a
 * database leak does not yield usable tokens.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "util/util.h"

int
crypto_token_new(char token[CRYPTO_TOKEN_CHARS + 1], unsigned char hash[CRYPTO_SHA256_LEN])
{
	unsigned char raw[CRYPTO_TOKEN_BYTES];
	int ret = -1;

	if (crypto_random(raw, sizeof(raw)) != 0)
		goto done;
	util_b64url_encode(raw, sizeof(raw), token);
	if (crypto_sha256(token, CRYPTO_TOKEN_CHARS, hash) != 0)
		goto done;
	ret = 0;
done:
	if (ret != 0)
		OPENSSL_cleanse(token, CRYPTO_TOKEN_CHARS + 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

/*
 * The shape check decodes the string: a valid token is exactly 43
 * characters that decode, canonically, to exactly 32 bytes.
 */
int
crypto_token_hash(const char *token, unsigned char hash[CRYPTO_SHA256_LEN])
{
	unsigned char raw[CRYPTO_TOKEN_BYTES];
	int ret = -1;

	if (token == NULL || strnlen(token, CRYPTO_TOKEN_CHARS + 1) != CRYPTO_TOKEN_CHARS ||
	    util_b64url_decode(token, raw, sizeof(raw)) != CRYPTO_TOKEN_BYTES) {
		crypto_set_error("token: malformed");
		goto done;
	}
	if (crypto_sha256(token, CRYPTO_TOKEN_CHARS, hash) != 0)
		goto done;
	ret = 0;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

/*
 * crypto/aead.c: AES-256-GCM sealing for data at rest.
 *
 * Layout: version (0x01) || nonce (12, random) || ciphertext || tag (16).
 * The GCM additional data is the version byte followed by the caller's
 * aad, so the header is bound to the ciphertext as well.
 *
 * With a random 96-bit nonce one key should seal well under 2^32
 * messages (NIST SP 800-38D); rotate keys long before that.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

#define CRYPTO_AEAD_VERSION 0x01
#define CRYPTO_AEAD_NONCE_LEN 12
#define CRYPTO_AEAD_TAG_LEN 16
#define CRYPTO_AEAD_HEADER_LEN (1 + CRYPTO_AEAD_NONCE_LEN)
/* GCM limit: 2^39 - 256 bits of plaintext per nonce. */
#define CRYPTO_AEAD_MAX_PT ((UINT64_C(1) << 36) - 32)
#define CRYPTO_AEAD_CHUNK ((size_t)1 << 30)

/*
 * Feed len bytes to an initialised GCM context in int-sized chunks.
 * out NULL means in is additional data. Returns 0, or -1.
 */
static int
crypto_aead_update(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len)
{
	while (len > 0) {
		size_t n = len > CRYPTO_AEAD_CHUNK ? CRYPTO_AEAD_CHUNK : len;
		int outl = 0;

		if (EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1)
			return -1;
		/* GCM is a stream mode: every input byte comes out now. */
		if (out != NULL && (size_t)outl != n)
			return -1;
		in += n;
		if (out != NULL)
			out += n;
		len -= n;
	}
	return 0;
}

/*
 * Set up ctx for AES-256-GCM in direction enc under key and nonce, and
 * feed it the version byte and aad. Returns 0, or -1.
 */
static int
crypto_aead_start(EVP_CIPHER_CTX *ctx, int enc, const unsigned char key[CRYPTO_KEY_LEN],
                  const unsigned char *nonce, const unsigned char *version, const void *aad,
                  size_t aadlen)
{
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, CRYPTO_AEAD_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		return -1;
	if (crypto_aead_update(ctx, NULL, version, 1) != 0 ||
	    crypto_aead_update(ctx, NULL, aad, aadlen) != 0)
		return -1;
	return 0;
}

int
crypto_aead_seal(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
                 const void *pt, size_t ptlen, unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *buf = NULL, *ct, *tag;
	size_t total = 0;
	int ret = -1, n = 0;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (key == NULL || out == NULL || outlen == NULL || (aad == NULL && aadlen > 0) ||
	    (pt == NULL && ptlen > 0)) {
		crypto_set_error("aead_seal: bad arguments");
		goto done;
	}
	if ((uint64_t)ptlen > CRYPTO_AEAD_MAX_PT) {
		crypto_set_error("aead_seal: plaintext too long");
		goto done;
	}
	total = ptlen + CRYPTO_AEAD_OVERHEAD;
	if ((buf = malloc(total)) == NULL) {
		crypto_set_error("aead_seal: out of memory");
		goto done;
	}
	ct = buf + CRYPTO_AEAD_HEADER_LEN;
	tag = ct + ptlen;
	buf[0] = CRYPTO_AEAD_VERSION;
	if (crypto_random(buf + 1, CRYPTO_AEAD_NONCE_LEN) != 0)
		goto done;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    crypto_aead_start(ctx, 1, key, buf + 1, buf, aad, aadlen) != 0 ||
	    crypto_aead_update(ctx, ct, pt, ptlen) != 0 || EVP_EncryptFinal_ex(ctx, tag, &n) != 1 ||
	    n != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CRYPTO_AEAD_TAG_LEN, tag) != 1) {
		crypto_set_error("aead_seal: encryption failed");
		goto done;
	}
	*out = buf;
	*outlen = total;
	buf = NULL;
	ret = 0;
done:
	free(buf);
	EVP_CIPHER_CTX_free(ctx); /* wipes the expanded key */
	return ret;
}

int
crypto_aead_open(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
                 const void *in, size_t inlen, unsigned char **pt, size_t *ptlen)
{
	const unsigned char *src = in;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	size_t ctlen = 0;
	int ret = -1, n = 0;

	if (pt != NULL)
		*pt = NULL;
	if (ptlen != NULL)
		*ptlen = 0;
	if (key == NULL || pt == NULL || ptlen == NULL || (aad == NULL && aadlen > 0) ||
	    (src == NULL && inlen > 0)) {
		crypto_set_error("aead_open: bad arguments");
		goto done;
	}
	if (inlen < CRYPTO_AEAD_OVERHEAD) {
		crypto_set_error("aead_open: input truncated");
		goto done;
	}
	if (src[0] != CRYPTO_AEAD_VERSION) {
		crypto_set_error("aead_open: unknown version 0x%02x", src[0]);
		goto done;
	}
	ctlen = inlen - CRYPTO_AEAD_OVERHEAD;
	if ((buf = malloc(ctlen + 1)) == NULL) {
		crypto_set_error("aead_open: out of memory");
		goto done;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    crypto_aead_start(ctx, 0, key, src + 1, src, aad, aadlen) != 0 ||
	    crypto_aead_update(ctx, buf, src + CRYPTO_AEAD_HEADER_LEN, ctlen) != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CRYPTO_AEAD_TAG_LEN,
	                        (void *)(src + inlen - CRYPTO_AEAD_TAG_LEN)) != 1) {
		crypto_set_error("aead_open: decryption failed");
		goto done;
	}
	/* The tag is checked here; until it passes, buf is not trusted. */
	if (EVP_DecryptFinal_ex(ctx, buf + ctlen, &n) != 1 || n != 0) {
		crypto_set_error("aead_open: authentication failed");
		goto done;
	}
	buf[ctlen] = '\0';
	*pt = buf;
	*ptlen = ctlen;
	buf = NULL;
	ret = 0;
done:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, ctlen + 1);
		free(buf);
	}
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/*
 * crypto/sign.c: Ed25519 signatures (RFC 8032, pure Ed25519: no
 * pre-hash, hence the NULL digest in EVP_DigestSign*). The private key
 * lives in a PKCS#8 PEM file with mode 0600.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"
#include "util/util.h"

#define CRYPTO_SIGNER_FILE_MAX 4096
#define CRYPTO_ED25519_SEED_LEN 32

struct crypto_signer {
	EVP_PKEY *pkey;
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
};

/* PEM password callback that supplies none: encrypted keys fail to load. */
static int
crypto_signer_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/*
 * Wrap pkey in a signer after checking it is Ed25519. On success the
 * signer owns pkey; on failure (NULL) the caller still does.
 */
static struct crypto_signer *
crypto_signer_wrap(EVP_PKEY *pkey)
{
	struct crypto_signer *s = NULL, *ret = NULL;
	size_t publen = CRYPTO_ED25519_PUB_LEN;

	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		crypto_set_error("signer: key is not Ed25519");
		goto done;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		crypto_set_error("signer: out of memory");
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, s->pub, &publen) != 1 ||
	    publen != CRYPTO_ED25519_PUB_LEN) {
		crypto_set_error("signer: cannot extract public key");
		goto done;
	}
	s->pkey = pkey;
	ret = s;
	s = NULL;
done:
	free(s);
	return ret;
}

/*
 * Generate a key and write it to path as unencrypted PKCS#8 PEM.
 * Returns 0 with *out set, 1 if path already exists (*out NULL), -1.
 */
static int
crypto_signer_create(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *pkey = NULL;
	BIO *mem = NULL;
	char *data = NULL;
	long len = 0;
	int rc, ret = -1;

	*out = NULL;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		crypto_set_error("signer: key generation failed");
		goto done;
	}
	/* secmem: the buffer is wiped when freed. */
	if ((mem = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(mem, &data)) <= 0) {
		crypto_set_error("signer: cannot encode private key");
		goto done;
	}
	rc = crypto_file_write_new(path, data, (size_t)len);
	if (rc < 0)
		goto done;
	if (rc == 0) {
		*out = pkey;
		pkey = NULL;
	}
	ret = rc;
done:
	if (data != NULL && len > 0)
		OPENSSL_cleanse(data, (size_t)len);
	BIO_free(mem);
	EVP_PKEY_free(pkey);
	return ret;
}

struct crypto_signer *
crypto_signer_load(const char *path, int create)
{
	char buf[CRYPTO_SIGNER_FILE_MAX];
	struct crypto_signer *ret = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	size_t len = 0;
	int attempt, rc;

	if (path == NULL) {
		crypto_set_error("signer: NULL path");
		goto done;
	}
	/* Second round only if another process created it meanwhile. */
	for (attempt = 0; attempt < 2 && pkey == NULL; attempt++) {
		rc = crypto_file_read_private(path, buf, sizeof(buf), &len);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
			    (pkey = PEM_read_bio_PrivateKey(bio, NULL, crypto_signer_no_password,
			                                    NULL)) == NULL) {
				crypto_set_error("%s: not an unencrypted PEM "
				                 "private key",
				                 path);
				goto done;
			}
			break;
		}
		if (!create) {
			crypto_set_error("%s: no such signing key file", path);
			goto done;
		}
		if (crypto_signer_create(path, &pkey) < 0)
			goto done;
	}
	if (pkey == NULL) {
		crypto_set_error("%s: exists but cannot be opened "
		                 "(dangling symlink?)",
		                 path);
		goto done;
	}
	if ((ret = crypto_signer_wrap(pkey)) == NULL)
		goto done;
	pkey = NULL;
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return ret;
}

struct crypto_signer *
crypto_signer_from_raw(const unsigned char seed[32])
{
	struct crypto_signer *ret = NULL;
	EVP_PKEY *pkey = NULL;

	if (seed == NULL) {
		crypto_set_error("signer: NULL seed");
		goto done;
	}
	if ((pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, seed,
	                                            CRYPTO_ED25519_SEED_LEN)) == NULL) {
		crypto_set_error("signer: bad raw private key");
		goto done;
	}
	if ((ret = crypto_signer_wrap(pkey)) == NULL)
		goto done;
	pkey = NULL;
done:
	EVP_PKEY_free(pkey);
	return ret;
}

void
crypto_signer_free(struct crypto_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey); /* wipes the private key */
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

int
crypto_sign(const struct crypto_signer *s, const void *msg, size_t len,
            unsigned char sig[CRYPTO_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = CRYPTO_ED25519_SIG_LEN;
	int ret = -1;

	if (s == NULL || sig == NULL || (msg == NULL && len > 0)) {
		crypto_set_error("sign: bad arguments");
		goto done;
	}
	if (msg == NULL)
		msg = "";
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, s->pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != CRYPTO_ED25519_SIG_LEN) {
		crypto_set_error("sign: signing failed");
		goto done;
	}
	ret = 0;
done:
	EVP_MD_CTX_free(ctx);
	return ret;
}

int
crypto_verify(const unsigned char pub[CRYPTO_ED25519_PUB_LEN], const void *msg, size_t len,
              const unsigned char sig[CRYPTO_ED25519_SIG_LEN])
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	int ret = 0;

	if (pub == NULL || sig == NULL || (msg == NULL && len > 0)) {
		crypto_set_error("verify: bad arguments");
		goto done;
	}
	if (msg == NULL)
		msg = "";
	if ((pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pub,
	                                           CRYPTO_ED25519_PUB_LEN)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pkey, NULL) != 1) {
		crypto_set_error("verify: bad public key");
		goto done;
	}
	if (EVP_DigestVerify(ctx, sig, CRYPTO_ED25519_SIG_LEN, msg, len) != 1) {
		crypto_set_error("verify: signature invalid");
		goto done;
	}
	ret = 1;
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ret;
}

void
crypto_signer_public(const struct crypto_signer *s, unsigned char pub[CRYPTO_ED25519_PUB_LEN])
{
	memcpy(pub, s->pub, CRYPTO_ED25519_PUB_LEN);
}

int
crypto_ed25519_key_id(const unsigned char pub[CRYPTO_ED25519_PUB_LEN], char out[64])
{
	unsigned char digest[CRYPTO_SHA256_LEN];
	char x[64], jwk[128];

	util_b64url_encode(pub, CRYPTO_ED25519_PUB_LEN, x);
	snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	if (crypto_sha256(jwk, strlen(jwk), digest) != 0)
		return -1;
	util_b64url_encode(digest, sizeof(digest), out);
	return 0;
}

char *
crypto_signer_public_pem(const struct crypto_signer *s)
{
	BIO *mem = NULL;
	char *data = NULL, *ret = NULL;
	long len;

	if (s == NULL) {
		crypto_set_error("signer: NULL signer");
		goto done;
	}
	if ((mem = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(mem, s->pkey) != 1 ||
	    (len = BIO_get_mem_data(mem, &data)) <= 0) {
		crypto_set_error("signer: cannot encode public key");
		goto done;
	}
	if ((ret = malloc((size_t)len + 1)) == NULL) {
		crypto_set_error("signer: out of memory");
		goto done;
	}
	memcpy(ret, data, (size_t)len);
	ret[len] = '\0';
done:
	BIO_free(mem);
	return ret;
}

int
crypto_ed25519_public_from_pem(const char *pem, size_t len,
                               unsigned char pub[CRYPTO_ED25519_PUB_LEN])
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	size_t publen = CRYPTO_ED25519_PUB_LEN;
	int ret = -1;

	if (pem == NULL || len > CRYPTO_SIGNER_FILE_MAX * 16) {
		crypto_set_error("public key: bad arguments");
		goto done;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		crypto_set_error("public key: out of memory");
		goto done;
	}
	if ((pkey = PEM_read_bio_PUBKEY(bio, NULL, crypto_signer_no_password, NULL)) == NULL) {
		crypto_set_error("public key: not a PEM PUBLIC KEY");
		goto done;
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		crypto_set_error("public key: not Ed25519");
		goto done;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    publen != CRYPTO_ED25519_PUB_LEN) {
		crypto_set_error("public key: cannot extract the raw key");
		goto done;
	}
	ret = 0;
done:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return ret;
}

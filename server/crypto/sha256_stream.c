/*
 * crypto/sha256_stream.c: incremental SHA-256 whose state can be saved at
 * a block boundary and restored later (resumable uploads continue the
 * hash in another request, possibly in another process).
 *
 * EVP offers no way to export a digest's midstate, so this file uses the
 * low-level SHA256_CTX (deprecated in OpenSSL 3 but still provided, with
 * the same assembler block functions as EVP). The exported form is our
 * own, independent of the struct layout: the eight 32-bit chaining words
 * and the 64-bit message length in bits, all big-endian.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto/crypto.h"

struct crypto_sha256_stream {
	SHA256_CTX ctx;
};

struct crypto_sha256_stream *
crypto_sha256_stream_new(void)
{
	struct crypto_sha256_stream *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		crypto_set_error("sha256_stream: out of memory");
		return NULL;
	}
	if (SHA256_Init(&s->ctx) != 1) {
		crypto_set_error("sha256_stream: init failed");
		free(s);
		return NULL;
	}
	return s;
}

void
crypto_sha256_stream_free(struct crypto_sha256_stream *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

int
crypto_sha256_stream_update(struct crypto_sha256_stream *s, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (SHA256_Update(&s->ctx, buf, len) != 1) {
		crypto_set_error("sha256_stream: update failed");
		return -1;
	}
	return 0;
}

int
crypto_sha256_stream_final(const struct crypto_sha256_stream *s,
                           unsigned char out[CRYPTO_SHA256_LEN])
{
	SHA256_CTX copy = s->ctx;
	int ok = SHA256_Final(out, &copy) == 1;

	OPENSSL_cleanse(&copy, sizeof(copy));
	if (!ok)
		crypto_set_error("sha256_stream: final failed");
	return ok ? 0 : -1;
}

static void
crypto_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
crypto_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
crypto_sha256_stream_export(const struct crypto_sha256_stream *s,
                            unsigned char out[CRYPTO_SHA256_STATE_LEN])
{
	if (s->ctx.num != 0) {
		crypto_set_error("sha256_stream: not at a block boundary");
		return -1;
	}
	for (int i = 0; i < 8; i++)
		crypto_put32(out + 4 * i, (uint32_t)s->ctx.h[i]);
	crypto_put32(out + 32, (uint32_t)s->ctx.Nh);
	crypto_put32(out + 36, (uint32_t)s->ctx.Nl);
	return 0;
}

int
crypto_sha256_stream_import(struct crypto_sha256_stream *s,
                            const unsigned char in[CRYPTO_SHA256_STATE_LEN])
{
	uint32_t nl = crypto_get32(in + 36);

	if ((nl & 511) != 0) {
		crypto_set_error("sha256_stream: state not at a block boundary");
		return -1;
	}
	if (SHA256_Init(&s->ctx) != 1) {
		crypto_set_error("sha256_stream: init failed");
		return -1;
	}
	for (int i = 0; i < 8; i++)
		s->ctx.h[i] = crypto_get32(in + 4 * i);
	s->ctx.Nh = crypto_get32(in + 32);
	s->ctx.Nl = nl;
	s->ctx.num = 0;
	return 0;
}

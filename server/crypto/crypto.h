/*
 * crypto: every use of OpenSSL in lockstepd goes through this header.
 * All functions are thread-safe. Secrets are wiped with OPENSSL_cleanse.
 */
#ifndef LOCKSTEP_CRYPTO_H
#define LOCKSTEP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN 32
#define CRYPTO_SHA256_LEN 32
#define CRYPTO_TOKEN_BYTES 32
#define CRYPTO_TOKEN_CHARS 43 /* base64url of 32 bytes, no padding */
#define CRYPTO_ED25519_SIG_LEN 64
#define CRYPTO_ED25519_PUB_LEN 32

/*
 * Why the last crypto_* call on this thread failed: a short static or
 * thread-local string, never NULL, never containing secrets. Only
 * meaningful right after a call reported failure; valid until the next
 * crypto_* call on the same thread. The caller does not free it.
 */
const char *crypto_last_error(void);

/*
 * Internal to server/crypto/: record the reason returned by
 * crypto_last_error (printf-style, truncated to a fixed buffer).
 */
void crypto_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Internal to server/crypto/ (implemented in keyfile.c, used by the key
 * and signer loaders).
 *
 * crypto_file_read_private: read at most cap bytes of path into buf,
 * refusing a non-regular file, any group/other permission bit, or a
 * longer file. Returns 0 with *len set, 1 if path does not exist, -1
 * otherwise (reason in crypto_last_error; buf wiped).
 *
 * crypto_file_write_new: create path with O_CREAT|O_EXCL, mode 0600,
 * write buf, fsync file and directory. Returns 0, 1 if path already
 * exists (nothing written), -1 otherwise (a partial file is unlinked).
 */
int crypto_file_read_private(const char *path, void *buf, size_t cap, size_t *len);
int crypto_file_write_new(const char *path, const void *buf, size_t len);

/* Fill buf with len bytes from the CSPRNG. Returns 0, or -1 on failure. */
int crypto_random(void *buf, size_t len);

/* SHA-256 of buf. Returns 0, or -1 on failure. */
int crypto_sha256(const void *buf, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);

/* HMAC-SHA-256 of msg under key. Returns 0, or -1 on failure. */
int crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                       unsigned char out[CRYPTO_SHA256_LEN]);

/* 1 if a and b (len bytes each) are equal, in time independent of where they differ. */
int crypto_equal(const void *a, const void *b, size_t len);

/* ---- passwords (scrypt via EVP_KDF "SCRYPT") ---- */

/*
 * Raw scrypt, exposed for RFC 7914 test vectors. Returns 0, or -1 on
 * invalid parameters or failure.
 */
int crypto_scrypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen, uint64_t n,
                  uint32_t r, uint32_t p, void *out, size_t outlen);

/*
 * Limit how many scrypt computations may run at once in this process
 * (each needs 128*N*r bytes). Callers beyond the limit wait. Call once at
 * start-up; the default is 2. Returns 0, or -1 if max < 1.
 */
int crypto_password_set_concurrency(int max);

/*
 * Default cost used by crypto_password_hash: log2(N) (>= 15 in
 * production; tests may lower it to speed up). Returns 0 or -1 if
 * log2n is outside [10, 20].
 */
int crypto_password_set_cost(unsigned log2n);

/*
 * Hash a password with a fresh 16-byte salt. The result is a
 * NUL-terminated string that carries its parameters, e.g.
 * "$scrypt$ln=15,r=8,p=1$<b64 salt>$<b64 hash>", so the cost can be
 * raised later. Returns a malloc'd string the caller frees, or NULL.
 */
char *crypto_password_hash(const char *password);

/*
 * Verify password against a string made by crypto_password_hash, in
 * constant time with respect to the hash. Returns 1 on match, 0 on
 * mismatch, -1 on a malformed stored string or failure. The stored
 * parameters are bounded before any work: ln in [10, 20], r in [1, 16],
 * p in [1, 4], salt 16..64 bytes, hash 32..64 bytes.
 */
int crypto_password_verify(const char *password, const char *stored);

/*
 * Run one scrypt computation with the current default parameters and
 * discard it: used on login for unknown accounts so that timing does not
 * reveal whether an account exists.
 */
void crypto_password_dummy(const char *password);

/*
 * 1 when stored was made with weaker parameters than crypto_password_hash
 * uses now (a lower log2 N, r or p: the configured cost was raised), so a
 * log-in that just verified it should store a new hash; 0 otherwise
 * (also for a malformed string, which verification refuses anyway).
 */
int crypto_password_needs_rehash(const char *stored);

/* ---- session and API tokens ---- */

/*
 * Make a new token: 32 random bytes, base64url-encoded into token
 * (CRYPTO_TOKEN_CHARS + 1 bytes, NUL-terminated), and its SHA-256 into
 * hash. The hash is SHA-256 over the CRYPTO_TOKEN_CHARS ASCII characters
 * of the token string as presented (not over the decoded bytes), so
 * hash == crypto_sha256(token, CRYPTO_TOKEN_CHARS). Only the hash is
 * stored server-side. Returns 0, or -1.
 */
int crypto_token_new(char token[CRYPTO_TOKEN_CHARS + 1], unsigned char hash[CRYPTO_SHA256_LEN]);

/*
 * Hash a presented token (same hash as crypto_token_new: SHA-256 of the
 * 43-character string). Returns 0, or -1 if token is not exactly
 * CRYPTO_TOKEN_CHARS base64url characters (so garbage never reaches SQL);
 * '=', '+', '/' and a non-canonical last character are refused.
 */
int crypto_token_hash(const char *token, unsigned char hash[CRYPTO_SHA256_LEN]);

/* ---- AEAD: AES-256-GCM ---- */

/*
 * Sealed format: 1 version byte (0x01) || 12-byte random nonce ||
 * ciphertext || 16-byte tag. aad is authenticated, not stored; the
 * version byte is authenticated too (it is fed to GCM ahead of aad).
 */
#define CRYPTO_AEAD_OVERHEAD (1 + 12 + 16)

/*
 * Encrypt pt[0..ptlen) under key with aad. *out is malloc'd (caller
 * frees), *outlen = ptlen + CRYPTO_AEAD_OVERHEAD. Returns 0, or -1.
 */
int crypto_aead_seal(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
                     const void *pt, size_t ptlen, unsigned char **out, size_t *outlen);

/*
 * Decrypt and verify. *pt is malloc'd with one extra NUL byte after
 * *ptlen bytes (so text can be used as a C string); caller frees.
 * Returns 0, or -1 on a wrong key, wrong aad, truncated or tampered
 * input (nothing is returned then).
 */
int crypto_aead_open(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
                     const void *in, size_t inlen, unsigned char **pt, size_t *ptlen);

/* ---- key files ---- */

/*
 * Read a 32-byte symmetric key stored as 64 hex characters (optionally
 * followed by a newline) from path. If the file does not exist and
 * create is non-zero, make a new random key and write it with mode 0600
 * (O_EXCL, so two processes cannot race) and fsync it. Refuses a file
 * with any group or other permission bit or a non-regular file (a
 * symlink is followed and the file it reaches is checked). Returns 0,
 * or -1 with the reason in crypto_last_error().
 */
int crypto_keyfile_load(const char *path, int create, unsigned char key[CRYPTO_KEY_LEN]);

/* ---- Ed25519 signing ---- */

struct crypto_signer;

/*
 * Load an Ed25519 private key (PKCS#8 PEM) from path; if absent and
 * create is non-zero, generate one and write it 0600 (O_EXCL, fsync).
 * Refuses a file with any group or other permission bit, a non-regular
 * file, an encrypted PEM or a key that is not Ed25519.
 * Returns a signer the caller frees with crypto_signer_free, or NULL
 * with the reason in crypto_last_error().
 */
struct crypto_signer *crypto_signer_load(const char *path, int create);

/*
 * Make a signer from a raw 32-byte Ed25519 private key (the RFC 8032
 * seed), e.g. for known-answer tests. Returns a signer the caller frees
 * with crypto_signer_free, or NULL.
 */
struct crypto_signer *crypto_signer_from_raw(const unsigned char seed[32]);
void crypto_signer_free(struct crypto_signer *s); /* accepts NULL */

/* Sign msg. Returns 0, or -1. */
int crypto_sign(const struct crypto_signer *s, const void *msg, size_t len,
                unsigned char sig[CRYPTO_ED25519_SIG_LEN]);

/* Verify sig over msg with raw public key pub. Returns 1 valid, 0 invalid. */
int crypto_verify(const unsigned char pub[CRYPTO_ED25519_PUB_LEN], const void *msg, size_t len,
                  const unsigned char sig[CRYPTO_ED25519_SIG_LEN]);

/*
 * The raw Ed25519 public key of one PEM "PUBLIC KEY" (SubjectPublicKeyInfo,
 * as /.well-known/lockstep/signing-key?format=pem serves it) in
 * pem[0..len). Returns 0, or -1 when it holds no such key or a key of
 * another type (reason in crypto_last_error()).
 */
int crypto_ed25519_public_from_pem(const char *pem, size_t len,
                                   unsigned char pub[CRYPTO_ED25519_PUB_LEN]);

/* Raw 32-byte public key. Never fails for a loaded signer. */
void crypto_signer_public(const struct crypto_signer *s, unsigned char pub[CRYPTO_ED25519_PUB_LEN]);

/*
 * The key id of an Ed25519 public key: the RFC 7638 thumbprint of its JWK
 * ({"crv":"Ed25519","kty":"OKP","x":...}), base64url, 43 characters, into
 * out. Returns 0, or -1.
 */
int crypto_ed25519_key_id(const unsigned char pub[CRYPTO_ED25519_PUB_LEN], char out[64]);

/* SubjectPublicKeyInfo PEM of the public key; malloc'd, caller frees; NULL on failure. */
char *crypto_signer_public_pem(const struct crypto_signer *s);

/* ---- incremental SHA-256 with a savable state ---- */

struct crypto_sha256_stream;

/* Exported state: 8 chaining words and the bit length, big-endian. */
#define CRYPTO_SHA256_STATE_LEN 40

/* A fresh hash; free with crypto_sha256_stream_free. NULL on failure. */
struct crypto_sha256_stream *crypto_sha256_stream_new(void);
void crypto_sha256_stream_free(struct crypto_sha256_stream *s); /* accepts NULL; wipes */
/* Hash len more bytes. Returns 0, or -1. */
int crypto_sha256_stream_update(struct crypto_sha256_stream *s, const void *buf, size_t len);
/* Digest of everything so far; s stays usable. Returns 0, or -1. */
int crypto_sha256_stream_final(const struct crypto_sha256_stream *s,
                               unsigned char out[CRYPTO_SHA256_LEN]);
/*
 * Save the state. Only at a 64-byte block boundary (the total hashed is a
 * multiple of 64); returns 0, or -1 otherwise.
 */
int crypto_sha256_stream_export(const struct crypto_sha256_stream *s,
                                unsigned char out[CRYPTO_SHA256_STATE_LEN]);
/* Restore a state saved by export. Returns 0, or -1 on a malformed state. */
int crypto_sha256_stream_import(struct crypto_sha256_stream *s,
                                const unsigned char in[CRYPTO_SHA256_STATE_LEN]);

/* ---- TOTP second factor (RFC 6238, through liboath) ---- */

#define CRYPTO_TOTP_SECRET_LEN 20 /* bytes: 160 bits, as RFC 4226 recommends */
#define CRYPTO_TOTP_STEP 30       /* seconds */
#define CRYPTO_TOTP_DIGITS 6
#define CRYPTO_TOTP_B32_LEN 32 /* base32 characters of a 20-byte secret */

enum crypto_totp_alg { CRYPTO_TOTP_SHA1 = 0, CRYPTO_TOTP_SHA256, CRYPTO_TOTP_SHA512 };

/*
 * Initialise liboath once (thread-safe, idempotent; also done lazily by the
 * functions below). Returns 0 or -1.
 */
int crypto_totp_init(void);

/*
 * The code of key (keylen bytes) for Unix time t: digits (6..8) decimal
 * digits into out (NUL-terminated), time step step seconds from epoch 0,
 * HMAC alg. Returns 0 or -1.
 */
int crypto_totp_code(const unsigned char *key, size_t keylen, long long t, unsigned step,
                     unsigned digits, enum crypto_totp_alg alg, char out[9]);

/*
 * Check a presented 6-digit code against key (SHA-1, 30-second steps) at
 * time now, accepting the step before and after now (clock drift) but only
 * a step later than after_step (the last step accepted before: a code is
 * used once). Every candidate is compared in constant time. Returns 1 with
 * *step set to the matched step, 0 when it does not match (or was used),
 * -1 on failure.
 */
int crypto_totp_check(const unsigned char *key, size_t keylen, const char *code, long long now,
                      long long after_step, long long *step);

/*
 * RFC 4648 base32 (upper case, no padding) of in[0..len) into out (outlen
 * bytes, NUL-terminated). Returns 0, or -1 when out is too small.
 */
int crypto_base32_encode(const unsigned char *in, size_t len, char *out, size_t outlen);

#endif

/*
 * api/evidence.h: the evidence store shared by the evidence endpoints
 * (evidence_*.c, upload_*.c): encrypted chunked storage, the upload state
 * machine, receipts, and the sweeper.
 *
 * Format at rest. Each file has a fresh 256-bit key, sealed under the
 * engagement's data key (AAD "lockstep/v1/evidence/<id>/file_key"). The
 * plaintext is cut into EVIDENCE_CHUNK-byte pieces (the last may be
 * shorter, or empty for an empty file); piece i is sealed with AES-256-GCM
 * under the file key with AAD "lockstep/v1/evidence/<id>/chunk/<i>/<last|more>",
 * so a chunk cannot be moved to another file or position, and removing
 * trailing chunks is detected because the new last one says "more". The
 * evidence row records the chunk count, the size and the SHA-256 of the
 * plaintext.
 *
 * An upload keeps at most two chunks of plaintext in memory (the one
 * filling, and the one its writer thread is storing).
 */
#ifndef LOCKSTEP_API_EVIDENCE_H
#define LOCKSTEP_API_EVIDENCE_H

#include <stdint.h>

#include "api/api.h"

#define EVIDENCE_CHUNK ((size_t)1 << 20)
#define EVIDENCE_NAME_MAX 255

struct evidence_upload {
	struct util_identity who; /* the uploader (copied) */
	char addr[64];            /* the uploader's address, for audit */
	char id[DB_UUID_LEN + 1];
	char engagement[DB_UUID_LEN + 1];
	char company[DB_UUID_LEN + 1];
	char assessor[DB_UUID_LEN + 1];
	char name[EVIDENCE_NAME_MAX + 1];
	char declared_type[128];  /* "" when none */
	char sniffed_type[64];    /* "" until the first chunk is seen */
	int tus;                  /* resumable (tus) upload */
	long long upload_length;  /* total announced, -1 unknown */
	unsigned long long limit; /* most bytes this upload may have */
	int limit_is_quota;       /* limit comes from the engagement quota */
	unsigned char file_key[CRYPTO_KEY_LEN];
	struct crypto_sha256_stream *hash; /* over the stored chunks */
	unsigned char *buf;                /* EVIDENCE_CHUNK bytes of plaintext not yet stored */
	size_t buf_len;
	int seq;                        /* chunks stored */
	unsigned long long db_size;     /* evidence.size as we last wrote it */
	int finished;                   /* complete: never discard */
	time_t touched;                 /* last write of last_activity */
	struct evidence_writer *writer; /* background chunk writer (evidence_store.c), or NULL */
};

/*
 * A valid evidence file name: 1..255 bytes of UTF-8, no '/', '\\', no
 * control characters, not "." or "..". Returns 1 or 0.
 */
int evidence_name_valid(const char *name);

/*
 * Check a declared media type (type/subtype[; params]) and copy it into
 * out ("" when absent or not acceptable). Never fails.
 */
void evidence_declared_type(const char *ct, char *out, size_t outlen);

/*
 * Start an upload for r in engagement_id: the caller must be its company
 * or assessor (else 404), the finding (may be NULL) must be one of the
 * engagement's, the caller must have fewer than the configured uploads in
 * progress (429), and length (-1: unknown) must fit the per-file limit
 * (413 payload-too-large) and the engagement quota (413 quota-exceeded).
 * Creates the row in state 'uploading' with a fresh wrapped file key.
 * Returns DB_OK with *out (free with evidence_upload_free), API_FAIL with
 * the problem in res, or a negative db_status.
 */
int evidence_upload_start(struct http_request *r, const char *engagement_id, const char *finding,
                          const char *name, const char *declared_type, long long length, int tus,
                          struct api_res *res, struct evidence_upload **out);

/*
 * Resume the caller's own upload in progress id (tus): loads its state,
 * the paused tail into memory and the hash state. Returns DB_OK with *out,
 * API_FAIL (404 when not found / not the caller's), or a db_status.
 */
int evidence_upload_resume(struct http_request *r, const char *id, struct api_res *res,
                           struct evidence_upload **out);

/* Bytes received so far (stored chunks and the tail in memory). */
unsigned long long evidence_upload_offset(const struct evidence_upload *u);

/*
 * Take len more bytes. Stores each chunk as it fills (one transaction
 * each). Returns 0; or -1 with *problem and *detail (static) set: over the
 * limit, or the database failed or the upload vanished.
 */
int evidence_upload_data(struct evidence_upload *u, const char *data, size_t len,
                         enum problem_type *problem, const char **detail);

/*
 * Store the last chunk, check the quota once more, mark the evidence
 * complete, audit "evidence.upload" and build the signed receipt document
 * (see evidence_receipt_signed) into *receipt (caller owns). name: the
 * final name when it is only known now (multipart), else NULL. Returns
 * DB_OK, API_FAIL with res, or a db_status.
 */
int evidence_upload_finish(struct evidence_upload *u, const char *name, struct api_res *res,
                           json_t **receipt);

/*
 * Keep a resumable upload for later: seal the tail held in memory into
 * the row (so nothing received is lost). Returns 0 or -1.
 */
int evidence_upload_pause(struct evidence_upload *u);

/* Delete an unfinished upload and its chunks at once. Returns 0 or -1. */
int evidence_upload_discard(struct evidence_upload *u);

/* Free u (wiping its key and buffer). Accepts NULL. Does not touch the database. */
void evidence_upload_free(struct evidence_upload *u);

/*
 * The receipt {id, name, size, sha256, media_type, engagement,
 * uploaded_by, uploaded_at} of an evidence row (EVIDENCE_COLS in
 * statements.c), signed: {"receipt": {...}, "signature": base64 of the
 * Ed25519 signature over publish_canonical(receipt), "algorithm":
 * "Ed25519", "key_id": RFC 7638 thumbprint of the public JWK}. Returns a
 * new reference or NULL.
 */
json_t *evidence_receipt_signed(const struct db_result *res, int row);

/* The listing entry of an evidence row (EVIDENCE_COLS). New reference or NULL. */
json_t *evidence_json(const struct db_result *res, int row);

/*
 * Unwrap the per-file key of the evidence row (EVIDENCE_COLS) under the
 * engagement's data key. Returns 0, 1 when the engagement key is not
 * visible, or -1 (tampered).
 */
int evidence_file_key(struct db_conn *c, const struct db_result *res, int row,
                      unsigned char key[CRYPTO_KEY_LEN]);

/*
 * Fetch and open chunk seq of evidence id (nchunks in all) as identity
 * who; *out (EVIDENCE_CHUNK bytes, caller's) receives the plaintext and
 * *len its length, which must be EVIDENCE_CHUNK for all but the last.
 * Returns 0, or -1 when the chunk is missing, fails verification or the
 * database fails (*integrity says which: 1 for a bad or missing chunk, 0
 * for a database failure or a file deleted meanwhile).
 */
int evidence_chunk_read(const struct util_identity *who, const char *id, int seq, int nchunks,
                        unsigned long long size, const unsigned char key[CRYPTO_KEY_LEN],
                        unsigned char *out, size_t *len, int *integrity);

/*
 * Remove stale uploads (bounded batches). Returns how many were removed,
 * or -1 on a database failure.
 */
int evidence_sweep(void);

/* Start and stop the periodic sweeper thread (after a first sweep). 0 or -1. */
int evidence_sweeper_start(void);
void evidence_sweeper_stop(void);

#endif

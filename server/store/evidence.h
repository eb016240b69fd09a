/*
 * store/evidence.h: the evidence store (store/evidence.c): encrypted
 * chunked storage, the upload state machine, and the sweeper. A service
 * of the store, not a handler: it knows identities, never HTTP; the api
 * maps its refusals (enum evidence_error) to problems and signs receipts.
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
#ifndef LOCKSTEP_STORE_EVIDENCE_H
#define LOCKSTEP_STORE_EVIDENCE_H

#include <stdint.h>
#include <time.h>

#include "store/store.h"
#include "util/identity.h"

#define EVIDENCE_CHUNK ((size_t)1 << 20)
#define EVIDENCE_NAME_MAX 255

/* Why an evidence operation was refused (api/evidence_view.c answers each). */
enum evidence_error {
	EVIDENCE_E_NONE = 0,
	EVIDENCE_E_NOT_FOUND,   /* unknown, not visible, not the caller's, or not resumable */
	EVIDENCE_E_FINDING,     /* the finding is not one of the engagement's */
	EVIDENCE_E_TOO_MANY,    /* the caller has too many uploads in progress */
	EVIDENCE_E_TOO_LARGE,   /* over the per-file limit */
	EVIDENCE_E_QUOTA,       /* over the engagement's quota */
	EVIDENCE_E_LENGTH,      /* more bytes than the announced Upload-Length (tus) */
	EVIDENCE_E_GONE,        /* the upload vanished: expired, cancelled or changed meanwhile */
	EVIDENCE_E_FORBIDDEN,   /* visible, but only the uploader or an admin may delete it */
	EVIDENCE_E_UNAVAILABLE, /* could not be stored */
};

/* A positive result: refused, *err says why. */
#define EVIDENCE_REFUSED 3

/* A complete evidence file's row (state 'complete'). */
struct store_evidence {
	char id[DB_UUID_LEN + 1];
	char *name;
	long long size;
	char sha256[2 * CRYPTO_SHA256_LEN + 1]; /* hex */
	char *media_type;
	char engagement_id[DB_UUID_LEN + 1];
	char uploaded_by[DB_UUID_LEN + 1];
	char uploaded_at[STORE_TS_LEN];
	char *declared_type; /* NULL when none */
	char *sniffed_type;  /* NULL when none */
	char *finding_id;    /* NULL when none */
	long long chunk_count;
	struct db_bytes file_key; /* wrapped under the engagement's data key */
	char company_org_id[DB_UUID_LEN + 1];
	char assessor_org_id[DB_UUID_LEN + 1];
};

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
	int seq;                    /* chunks stored */
	unsigned long long db_size; /* evidence.size as we last wrote it */
	int finished;               /* complete: never discard */
	int unsynced;               /* a chunk was committed asynchronously since the last sync */
	time_t touched;             /* last write of last_activity */
	struct evidence_writer *writer; /* background chunk writer (evidence.c), or NULL */
};

/*
 * A valid evidence file name: 1..255 bytes of UTF-8, no '/', '\\', no
 * control characters, not "." or "..". Returns 1 or 0.
 */
int evidence_name_valid(const char *name);
/* evidence_name_valid's rule, as a refusal states it */
#define EVIDENCE_NAME_RULE                                                                         \
	"must be 1 to 255 bytes of UTF-8 without '/', '\\', control characters or "              \
	"bidirectional controls (U+202A-U+202E, U+2066-U+2069), not . or .., e.g. capture.pcap"

/*
 * Check a declared media type (type/subtype[; params]) and copy it into
 * out ("" when absent or not acceptable). Never fails.
 */
void evidence_declared_type(const char *ct, char *out, size_t outlen);

/*
 * Start upload id (a new UUID) for who in engagement_id: who must be its
 * company or assessor (else EVIDENCE_E_NOT_FOUND), the finding (may be
 * NULL) must be one of the engagement's, who must have fewer than the
 * configured uploads in progress, and length (-1: unknown) must fit the
 * per-file limit and the engagement quota. Creates the row in state
 * 'uploading' with a fresh wrapped file key. Returns DB_OK with *out (free
 * with evidence_upload_free), EVIDENCE_REFUSED with *err, or a negative
 * db_status.
 */
int evidence_upload_start(const struct util_identity *who, const char *addr, const char *id,
                          const char *engagement_id, const char *finding, const char *name,
                          const char *declared_type, long long length, int tus,
                          enum evidence_error *err, struct evidence_upload **out) STORE_MUST_CHECK;

/*
 * Resume who's own upload in progress id (tus): loads its state, the
 * paused tail into memory and the hash state. Same results as
 * evidence_upload_start.
 */
int evidence_upload_resume(const struct util_identity *who, const char *addr, const char *id,
                           enum evidence_error *err, struct evidence_upload **out) STORE_MUST_CHECK;

/* Bytes received so far (stored chunks and the tail in memory). */
unsigned long long evidence_upload_offset(const struct evidence_upload *u);

/*
 * Take len more bytes. Stores each chunk as it fills (one transaction
 * each). Returns 0; or -1 with *err: over a limit, the database failed,
 * or the upload vanished.
 */
int evidence_upload_data(struct evidence_upload *u, const char *data, size_t len,
                         enum evidence_error *err) STORE_MUST_CHECK;

/*
 * Store the last chunk, check the quota once more, mark the evidence
 * complete and audit "evidence.upload". name: the final name when it is
 * only known now (multipart), else NULL. *row receives the completed row
 * (clear with store_evidence_clear), from which the caller builds the
 * receipt. Returns DB_OK, EVIDENCE_REFUSED with *err, or a db_status.
 */
int evidence_upload_finish(struct evidence_upload *u, const char *name, enum evidence_error *err,
                           struct store_evidence *row) STORE_MUST_CHECK;

/*
 * Keep a resumable upload for later: seal the tail held in memory into
 * the row (so nothing received is lost). Returns 0 or -1.
 */
int evidence_upload_pause(struct evidence_upload *u) STORE_MUST_CHECK;

/* Delete an unfinished upload and its chunks at once. Returns 0 or -1. */
int evidence_upload_discard(struct evidence_upload *u) STORE_MUST_CHECK;

/* Free u (wiping its key and buffer). Accepts NULL. Does not touch the database. */
void evidence_upload_free(struct evidence_upload *u);

/* A complete evidence file visible to the caller: DB_OK, STORE_NONE or a db_status. */
int store_evidence_get(struct db_conn *c, const char *id,
                       struct store_evidence *out) STORE_MUST_CHECK;
/* An engagement's complete files, oldest first, up to limit after the cursor. */
int store_evidence_list(struct db_conn *c, const char *engagement, const char *after, int limit,
                        struct store_evidence **rows, int *n) STORE_MUST_CHECK;
void store_evidence_clear(struct store_evidence *e);
void store_evidences_free(struct store_evidence *rows, int n);

/*
 * Delete evidence id (the uploader, or an admin of the uploader's org):
 * its key is destroyed with it. *out receives what it was. DB_OK;
 * EVIDENCE_REFUSED with *err EVIDENCE_E_FORBIDDEN (visible but not the
 * caller's to delete) or EVIDENCE_E_NOT_FOUND; or a db_status.
 */
int store_evidence_delete(struct db_conn *c, const char *id, enum evidence_error *err,
                          struct store_evidence *out) STORE_MUST_CHECK;

/* Cancel the caller's upload in progress id: *gone 1 when there was one. */
int store_evidence_discard(struct db_conn *c, const char *id, int *gone) STORE_MUST_CHECK;

/*
 * Unwrap the per-file key of e under its engagement's data key. DB_OK,
 * STORE_NONE when the engagement key is not visible, or DB_ERROR
 * (tampered; logged). The caller wipes key.
 */
int evidence_file_key(struct db_conn *c, const struct store_evidence *e,
                      unsigned char key[CRYPTO_KEY_LEN]) STORE_MUST_CHECK;

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
                        unsigned char *out, size_t *len, int *integrity) STORE_MUST_CHECK;

/*
 * Remove stale uploads (bounded batches). Returns how many were removed,
 * or -1 on a database failure.
 */
int evidence_sweep(void);

/* Start and stop the periodic sweeper thread (after a first sweep). 0 or -1. */
int evidence_sweeper_start(void) STORE_MUST_CHECK;
void evidence_sweeper_stop(void);

#endif

/*
 * api/evidence.h: what the evidence endpoints (evidence_*.c, upload_*.c)
 * share on top of the evidence store (store/evidence.h): its refusals as
 * problems, and the JSON and signed receipts of evidence rows
 * (evidence_view.c).
 */
#ifndef LOCKSTEP_API_EVIDENCE_H
#define LOCKSTEP_API_EVIDENCE_H

#include "api/api.h"
#include "store/evidence.h"

/* The problem and detail (static, may be NULL) that answer err. Never fails. */
void api_evidence_problem(enum evidence_error err, enum problem_type *problem, const char **detail);

/* Record err in res (api_fail or api_fail_field); returns API_FAIL. */
int api_evidence_fail(struct api_res *res, enum evidence_error err);

/*
 * evidence_upload_start/resume/finish for request r, with their refusals
 * recorded in res: DB_OK, API_FAIL, or a negative db_status. Start picks
 * the new evidence id. Finish builds the signed receipt (after the
 * commit) into *receipt (caller owns).
 */
int api_evidence_start(struct http_request *r, const char *engagement_id, const char *finding,
                       const char *name, const char *declared_type, long long length, int tus,
                       struct api_res *res, struct evidence_upload **out) DB_MUST_CHECK;
int api_evidence_resume(struct http_request *r, const char *id, struct api_res *res,
                        struct evidence_upload **out) DB_MUST_CHECK;
int api_evidence_finish(struct evidence_upload *u, const char *name, struct api_res *res,
                        json_t **receipt) DB_MUST_CHECK;

/*
 * The receipt {id, name, size, sha256, media_type, engagement,
 * uploaded_by, uploaded_at} of an evidence row, signed: {"receipt":
 * {...}, "signature": base64 of the Ed25519 signature over
 * publish_canonical(receipt), "algorithm": "Ed25519", "key_id": RFC 7638
 * thumbprint of the public JWK}. Returns a new reference or NULL.
 */
json_t *api_evidence_receipt(const struct store_evidence *e);

/* The listing entry of an evidence row. New reference or NULL. */
json_t *api_evidence_json(const struct store_evidence *e);

#endif

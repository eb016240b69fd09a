/*
 * api/evidence_view.c: the evidence store's refusals as problems, and the
 * JSON and signed receipts of evidence rows (see evidence.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/evidence.h"
#include "publish/publish.h"
#include "util/log.h"
#include "util/util.h"

/* One row per refusal: the answer the clients have always seen. */
static const struct {
	enum evidence_error err;
	enum problem_type problem;
	const char *detail;
} api_evidence_problems[] = {
    {EVIDENCE_E_NOT_FOUND, PROBLEM_NOT_FOUND, NULL},
    {EVIDENCE_E_FINDING, PROBLEM_INVALID_FIELD, "not a finding of this engagement"},
    {EVIDENCE_E_TOO_MANY, PROBLEM_TOO_MANY_UPLOADS, NULL},
    {EVIDENCE_E_TOO_LARGE, PROBLEM_PAYLOAD_TOO_LARGE,
     "The file is larger than the per-file limit."},
    {EVIDENCE_E_QUOTA, PROBLEM_QUOTA_EXCEEDED,
     "The engagement's evidence quota would be exceeded."},
    {EVIDENCE_E_LENGTH, PROBLEM_INVALID_UPLOAD, "More bytes than the announced Upload-Length."},
    {EVIDENCE_E_GONE, PROBLEM_NOT_FOUND,
     "The upload no longer exists (expired, cancelled or changed meanwhile)."},
    {EVIDENCE_E_FORBIDDEN, PROBLEM_FORBIDDEN,
     "Only the uploader or an admin of the uploader's org may delete it."},
    {EVIDENCE_E_UNAVAILABLE, PROBLEM_UNAVAILABLE, "The evidence could not be stored."},
};

void
api_evidence_problem(enum evidence_error err, enum problem_type *problem, const char **detail)
{
	*problem = PROBLEM_UNAVAILABLE;
	*detail = "The evidence could not be stored.";
	for (size_t i = 0; i < sizeof(api_evidence_problems) / sizeof(api_evidence_problems[0]);
	     i++)
		if (api_evidence_problems[i].err == err) {
			*problem = api_evidence_problems[i].problem;
			*detail = api_evidence_problems[i].detail;
		}
}

int
api_evidence_fail(struct api_res *res, enum evidence_error err)
{
	enum problem_type problem;
	const char *detail;

	api_evidence_problem(err, &problem, &detail);
	if (err == EVIDENCE_E_FINDING)
		return api_fail_field(res, "finding", detail);
	return api_fail(res, problem, detail);
}

struct evidence_stage_ctx {
	const struct http_request *r;
	const char *engagement;
	struct api_res *res;
};

/* Evidence is added only in fieldwork and reporting (0008's trigger is the backstop). */
static int
evidence_stage_tx(struct db_conn *c, void *arg)
{
	struct evidence_stage_ctx *k = arg;
	struct api_engagement e;
	int rc;

	if ((rc = api_engagement_load(c, k->r, k->engagement, API_AS_PARTICIPANT, &e, k->res)) !=
	    DB_OK)
		return rc;
	if (strcmp(e.state, "fieldwork") != 0 && strcmp(e.state, "reporting") != 0)
		rc = api_fail(k->res, PROBLEM_INVALID_STATE,
		              "Evidence is added only while the engagement is in fieldwork or "
		              "reporting.");
	api_engagement_clear(&e);
	return rc;
}

int
api_evidence_start(struct http_request *r, const char *engagement_id, const char *finding,
                   const char *name, const char *declared_type, long long length, int tus,
                   struct api_res *res, struct evidence_upload **out)
{
	enum evidence_error err = EVIDENCE_E_NONE;
	struct evidence_stage_ctx sk = {.r = r, .engagement = engagement_id, .res = res};
	char id[DB_UUID_LEN + 1];
	int rc;

	*out = NULL;
	if ((rc = db_tx(&r->who, "evidence_stage", evidence_stage_tx, &sk)) != DB_OK)
		return rc;
	if (api_new_uuid(id) != 0)
		return DB_ERROR;
	rc = evidence_upload_start(&r->who, r->addr, id, engagement_id, finding, name,
	                           declared_type, length, tus, &err, out);
	return rc == EVIDENCE_REFUSED ? api_evidence_fail(res, err) : rc;
}

int
api_evidence_resume(struct http_request *r, const char *id, struct api_res *res,
                    struct evidence_upload **out)
{
	enum evidence_error err = EVIDENCE_E_NONE;
	int rc = evidence_upload_resume(&r->who, r->addr, id, &err, out);

	return rc == EVIDENCE_REFUSED ? api_evidence_fail(res, err) : rc;
}

int
api_evidence_finish(struct evidence_upload *u, const char *name, struct api_res *res,
                    json_t **receipt)
{
	enum evidence_error err = EVIDENCE_E_NONE;
	struct store_evidence row = {0};
	int rc;

	*receipt = NULL;
	rc = evidence_upload_finish(u, name, &err, &row);
	if (rc == EVIDENCE_REFUSED)
		return api_evidence_fail(res, err);
	/* the receipt after the commit: a failure here leaves the file stored,
	 * and GET /api/v1/evidence/{id}/receipt answers it again */
	if (rc == DB_OK && (*receipt = api_evidence_receipt(&row)) == NULL)
		rc = DB_ERROR;
	store_evidence_clear(&row);
	return rc;
}

/* RFC 7638 thumbprint of the signing key's JWK, base64url, into out (44 bytes). */
static int
api_evidence_key_id(const struct crypto_signer *s, char out[64])
{
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];

	crypto_signer_public(s, pub);
	return crypto_ed25519_key_id(pub, out);
}

struct receipt_log_tx {
	unsigned char hash[CRYPTO_SHA256_LEN];
	long long idx;
};

static int
receipt_log_fn(struct db_conn *c, void *arg)
{
	struct receipt_log_tx *t = arg;

	return store_tlog_evidence_receipt(c, t->hash, &t->idx);
}

json_t *
api_evidence_receipt(const struct store_evidence *e)
{
	const struct crypto_signer *signer = api_signer();
	unsigned char sig[CRYPTO_ED25519_SIG_LEN];
	char b64[4 * ((CRYPTO_ED25519_SIG_LEN + 2) / 3) + 1], kid[64];
	json_t *receipt, *out = NULL;
	char *canon = NULL;
	size_t clen = 0;

	if (signer == NULL)
		return NULL;
	receipt = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "id", e->id, "name",
	                    e->name, "size", (json_int_t)e->size, "sha256", e->sha256, "media_type",
	                    e->media_type, "engagement", e->engagement_id, "uploaded_by",
	                    e->uploaded_by, "uploaded_at", e->uploaded_at);
	if (receipt == NULL || (canon = publish_canonical(receipt, &clen)) == NULL ||
	    crypto_sign(signer, canon, clen, sig) != 0 || api_evidence_key_id(signer, kid) != 0)
		goto done;
	util_b64_encode(sig, sizeof(sig), b64);
	/* the transparency log records the receipt's hash (once; its own
	 * transaction, after the upload's commit); the receipt is answered
	 * even when the log cannot be written, and that is logged */
	{
		struct receipt_log_tx t = {.idx = -1};

		if (crypto_sha256(canon, clen, t.hash) != 0 ||
		    db_tx(NULL, "tlog_evidence_receipt", receipt_log_fn, &t) != DB_OK)
			log_event(LOG_LEVEL_WARN, "tlog_receipt_failed",
			          json_pack("{s:s}", "evidence", e->id));
	}
	/* o steals receipt; the uploader's id is repeated beside the signed
	 * receipt, where api_names_add names it (the receipt itself is
	 * answered exactly as signed) */
	out = json_pack("{s:o, s:s, s:s, s:s, s:s}", "receipt", receipt, "signature", b64,
	                "algorithm", "Ed25519", "key_id", kid, "uploaded_by", e->uploaded_by);
	receipt = NULL;
done:
	json_decref(receipt);
	free(canon);
	return out;
}

/* A nullable text as JSON. */
static json_t *
api_evidence_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
api_evidence_json(const struct store_evidence *e)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o}", "id", e->id,
	                 "name", e->name, "size", (json_int_t)e->size, "sha256", e->sha256,
	                 "media_type", e->media_type, "declared_type",
	                 api_evidence_str(e->declared_type), "sniffed_type",
	                 api_evidence_str(e->sniffed_type), "engagement", e->engagement_id,
	                 "uploaded_by", e->uploaded_by, "uploaded_at", e->uploaded_at, "finding",
	                 api_evidence_str(e->finding_id));
}

/*
 * PATCH /api/v1/uploads/{id}: append bytes to the caller's own resumable
 * upload (tus core). Headers: Tus-Resumable: 1.0.0, Content-Type:
 * application/offset+octet-stream, Upload-Offset equal to the current
 * offset (else 409 offset-mismatch). A ROUTE_STREAM route: the checks run
 * before the body is read. Whatever arrives is kept, also when the
 * connection drops (the bytes after the last full chunk are sealed into
 * the row), so the next HEAD reports them. 204 with the new Upload-Offset;
 * the PATCH that reaches Upload-Length completes the evidence (its signed
 * receipt is then at /api/v1/evidence/{id}/receipt).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/tus.h"
#include "util/log.h"
#include "util/util.h"

static int
upload_patch_data(struct http_request *r, const char *buf, size_t len)
{
	struct evidence_upload *u = r->stream;
	enum evidence_error err = EVIDENCE_E_NONE;
	enum problem_type problem;
	const char *detail;

	if (evidence_upload_data(u, buf, len, &err) != 0) {
		api_evidence_problem(err, &problem, &detail);
		return http_stream_fail(r, problem, detail);
	}
	return HTTP_OK;
}

static int
upload_patch_end(struct http_request *r)
{
	struct evidence_upload *u = r->stream;
	struct api_res res = {0};
	char offset[24];
	int rc;

	if (u->upload_length >= 0 &&
	    evidence_upload_offset(u) == (unsigned long long)u->upload_length) {
		json_t *receipt = NULL;

		rc = api_evidence_finish(u, NULL, &res, &receipt);
		json_decref(receipt);
		if (rc != DB_OK)
			return api_finish(r, rc, &res);
	} else if (evidence_upload_pause(u) != 0)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	snprintf(offset, sizeof(offset), "%llu", evidence_upload_offset(u));
	{
		const char *h[] = {"Tus-Resumable", TUS_VERSION, "Upload-Offset", offset, NULL};

		return http_reply_bytes(r, 204, NULL, "", 0, h);
	}
}

static void
upload_patch_done(struct http_request *r, int completed)
{
	struct evidence_upload *u = r->stream;

	if (u == NULL)
		return;
	/* keep what arrived before the connection went away */
	if (!completed && !u->finished && evidence_upload_pause(u) != 0)
		log_event(LOG_LEVEL_WARN, "evidence_pause_failed", json_pack("{s:s}", "id", u->id));
	evidence_upload_free(u);
	r->stream = NULL;
}

static const struct http_stream_ops upload_patch_ops = {
    .data = upload_patch_data,
    .end = upload_patch_end,
    .done = upload_patch_done,
};

int
api_upload_patch(struct http_request *r)
{
	const char *ct = http_header(r, "Content-Type");
	const char *off = http_header(r, "Upload-Offset");
	struct api_res res = {0};
	struct evidence_upload *u = NULL;
	long long offset;
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if ((rc = tus_check_version(r)) != HTTP_OK)
		return rc;
	if (ct == NULL || strcasecmp(ct, "application/offset+octet-stream") != 0)
		return http_reply_problem(
		    r, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
		    "PATCH bodies are Content-Type: application/offset+octet-stream.");
	if (off == NULL || util_strnum(off, 0, 0x7fffffffffffffffLL, &offset) != 0)
		return http_reply_problem(r, PROBLEM_INVALID_UPLOAD, "Upload-Offset is required.");
	rc = api_evidence_resume(r, http_param(r, 0), &res, &u);
	if (rc != DB_OK)
		return api_finish(r, rc, &res);
	if ((unsigned long long)offset != evidence_upload_offset(u)) {
		char cur[24];
		const char *h[] = {"Tus-Resumable", TUS_VERSION, "Upload-Offset", cur, NULL};

		snprintf(cur, sizeof(cur), "%llu", evidence_upload_offset(u));
		evidence_upload_free(u);
		return http_reply_problem_headers(r, PROBLEM_OFFSET_MISMATCH, NULL, h);
	}
	if (r->declared_length >= 0 && u->upload_length >= 0 &&
	    (unsigned long long)r->declared_length >
	        (unsigned long long)u->upload_length - evidence_upload_offset(u)) {
		evidence_upload_free(u);
		return http_reply_problem(r, PROBLEM_INVALID_UPLOAD,
		                          "More bytes than the announced Upload-Length.");
	}
	http_stream_accept(r, &upload_patch_ops, u);
	return HTTP_OK;
}

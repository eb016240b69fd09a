/*
 * POST /api/v1/engagements/{id}/evidence?name=...[&finding=...]: the
 * engagement's company or assessor uploads a file of any size. A
 * ROUTE_STREAM route: this handler runs on the first call, before any of
 * the body is read, so a caller who may not upload there (404), a bad name
 * (422), too many uploads in progress (429) or a declared length over the
 * per-file limit or the quota (413) is refused before "100 Continue". The
 * body (raw, any Content-Type, or the first file part of
 * multipart/form-data) is then encrypted and stored chunk by chunk as it
 * arrives; the evidence becomes visible only when complete. 201 with the
 * signed receipt.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/evidence.h"
#include "conf.h"
#include "util/log.h"

struct evidence_post_ctx {
	struct evidence_upload *u;
	int multipart;
	int named; /* ?name= given */
};

static int
evidence_post_data(struct http_request *r, const char *buf, size_t len)
{
	struct evidence_post_ctx *x = r->stream;
	enum evidence_error err = EVIDENCE_E_NONE;
	enum problem_type problem;
	const char *detail;

	if (evidence_upload_data(x->u, buf, len, &err) != 0) {
		api_evidence_problem(err, &problem, &detail);
		return http_stream_fail(r, problem, detail);
	}
	return HTTP_OK;
}

static int
evidence_post_end(struct http_request *r)
{
	struct evidence_post_ctx *x = r->stream;
	struct api_res res = {.status = 201};
	const char *name = NULL;
	json_t *receipt = NULL;
	int rc;

	if (x->multipart) {
		if (!r->part_seen)
			return http_reply_field(r, PROBLEM_INVALID_FIELD, "file",
			                        "no file part in the multipart/form-data body");
		if (!x->named) {
			name = http_part_name(r);
			if (!evidence_name_valid(name))
				return http_reply_field(r, PROBLEM_INVALID_FIELD, "name",
				                        EVIDENCE_NAME_RULE);
		}
		evidence_declared_type(http_part_type(r), x->u->declared_type,
		                       sizeof(x->u->declared_type));
	}
	rc = api_evidence_finish(x->u, name, &res, &receipt);
	if (rc == DB_OK)
		res.body = receipt;
	return api_finish(r, rc, &res);
}

static void
evidence_post_done(struct http_request *r, int completed)
{
	struct evidence_post_ctx *x = r->stream;

	(void)completed;
	if (x == NULL)
		return;
	if (x->u != NULL && !x->u->finished) {
		/* failed, refused or abandoned: nothing of it may remain */
		if (evidence_upload_discard(x->u) != 0)
			log_event(LOG_LEVEL_WARN, "evidence_discard_failed",
			          json_pack("{s:s}", "id", x->u->id));
		else
			log_event(LOG_LEVEL_INFO, "evidence_upload_abandoned",
			          json_pack("{s:s, s:I}", "id", x->u->id, "received",
			                    (json_int_t)evidence_upload_offset(x->u)));
	}
	evidence_upload_free(x->u);
	free(x);
	r->stream = NULL;
}

static const struct http_stream_ops evidence_post_ops = {
    .data = evidence_post_data,
    .end = evidence_post_end,
    .done = evidence_post_done,
};

int
api_evidence_post(struct http_request *r)
{
	const char *name = http_query(r, "name");
	const char *finding = http_query(r, "finding");
	const char *ct = http_header(r, "Content-Type");
	struct api_res res = {0};
	struct evidence_post_ctx *x;
	struct evidence_upload *u = NULL;
	long long length = r->declared_length;
	int multipart, rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	multipart = ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
	if (name == NULL && !multipart)
		return http_reply_field(
		    r, PROBLEM_INVALID_FIELD, "name",
		    "required: give the file name with ?name= (1 to 255 bytes of UTF-8)");
	if (name != NULL && !evidence_name_valid(name))
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "name", EVIDENCE_NAME_RULE);
	if (finding != NULL && !api_valid_uuid(finding))
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "finding",
		                        "not a finding of this engagement");
	if (multipart) {
		/* the body holds part headers and boundaries besides the file */
		if (length >= 0 && (unsigned long long)length > config.evidence_max_bytes + 65536)
			return http_reply_problem(r, PROBLEM_PAYLOAD_TOO_LARGE,
			                          "The file is larger than the per-file limit.");
		length = -1;
	}
	rc = api_evidence_start(r, http_param(r, 0), finding, name != NULL ? name : "upload",
	                        multipart ? NULL : ct, length, 0, &res, &u);
	if (rc != DB_OK)
		return api_finish(r, rc, &res);
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		if (evidence_upload_discard(u) != 0)
			log_event(LOG_LEVEL_WARN, "evidence_discard_failed",
			          json_pack("{s:s}", "id", u->id));
		evidence_upload_free(u);
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	x->u = u;
	x->multipart = multipart;
	x->named = name != NULL;
	http_stream_accept(r, &evidence_post_ops, x);
	return HTTP_OK;
}

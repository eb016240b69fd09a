/*
 * HEAD /api/v1/uploads/{id}: the current offset of the caller's own
 * resumable upload (tus): Upload-Offset, Upload-Length, Upload-Expires.
 * 404 when it does not exist, is someone else's, has expired or is
 * complete (its evidence is then at /api/v1/evidence/{id}).
 */
#include "config.h"

#include <stdio.h>

#include "api/tus.h"
#include "conf.h"

int
api_upload_head(struct http_request *r)
{
	struct api_res res = {0};
	struct evidence_upload *u = NULL;
	char offset[24], length[24], expires[40];
	int rc;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if ((rc = tus_check_version(r)) != HTTP_OK)
		return rc;
	rc = api_evidence_resume(r, http_param(r, 0), &res, &u);
	if (rc != DB_OK)
		return api_finish(r, rc, &res);
	snprintf(offset, sizeof(offset), "%llu", evidence_upload_offset(u));
	snprintf(length, sizeof(length), "%lld", u->upload_length);
	evidence_upload_free(u);
	tus_expires(config.evidence_upload_expiry, expires, sizeof(expires));
	{
		const char *h[] = {"Tus-Resumable",  TUS_VERSION,     "Upload-Offset",
		                   offset,           "Upload-Length", length,
		                   "Upload-Expires", expires,         NULL};

		return http_reply_bytes(r, 200, NULL, "", 0, h);
	}
}

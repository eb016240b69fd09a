/*
 * POST /api/v1/engagements/{id}/uploads: create a resumable upload (tus
 * 1.0 "creation"). Headers: Tus-Resumable: 1.0.0, Upload-Length (the
 * total size; required, Upload-Defer-Length is not supported) and
 * optionally Upload-Metadata with "filename" (required unless ?name= is
 * given), "filetype" and "finding", values base64. The body must be
 * empty. Answers 201 with Location: /api/v1/uploads/{id}, Upload-Offset
 * and Upload-Expires; the same limits as a streamed upload apply, refused
 * with the same problems. An upload of length 0 is complete at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tus.h"
#include "util/log.h"
#include "conf.h"
#include "util/util.h"

int
tus_check_version(struct http_request *r)
{
	const char *v = http_header(r, "Tus-Resumable");

	if (v == NULL || strcmp(v, TUS_VERSION) != 0) {
		const char *h[] = {"Tus-Resumable", TUS_VERSION, "Tus-Version", TUS_VERSION, NULL};

		return http_reply_problem_headers(r, PROBLEM_TUS_VERSION, NULL, h);
	}
	return HTTP_OK;
}

void
tus_expires(unsigned seconds, char *out, size_t outlen)
{
	time_t t = time(NULL) + (time_t)seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/*
 * Find key in a tus Upload-Metadata header ("key b64,key b64") and decode
 * its value into out (NUL-terminated). Returns 1 found, 0 absent, -1 bad.
 */
static int
tus_metadata(const char *h, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = h;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		if (n >= klen && strncmp(p, key, klen) == 0 && (n == klen || p[klen] == ' ')) {
			char b64[1024];
			size_t vlen = n > klen ? n - klen - 1 : 0;
			long got;

			if (vlen >= sizeof(b64))
				return -1;
			memcpy(b64, p + klen + (n > klen ? 1 : 0), vlen);
			b64[vlen] = '\0';
			got = vlen == 0 ? 0 : util_b64_decode(b64, out, outlen - 1);
			if (got < 0)
				return -1;
			out[got] = '\0';
			if (strlen(out) != (size_t)got)
				return -1; /* an embedded NUL */
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int
api_uploads_post(struct http_request *r)
{
	const char *meta = http_header(r, "Upload-Metadata");
	const char *lenh = http_header(r, "Upload-Length");
	char name[EVIDENCE_NAME_MAX + 2], type[130], finding[40];
	char location[96], offset[24], expires[40];
	const char *qname = http_query(r, "name");
	struct api_res res = {0};
	struct evidence_upload *u = NULL;
	long long length;
	int rc, has_finding = 0, has_type = 0;

	if ((rc = api_uuid_param(r, 0)) != HTTP_OK)
		return rc;
	if (!api_is_kind(r, "company") && !api_is_kind(r, "assessor"))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = tus_check_version(r)) != HTTP_OK)
		return rc;
	if (r->body_len > 0)
		return http_reply_problem(
		    r, PROBLEM_INVALID_UPLOAD,
		    "Create the upload with an empty body, then PATCH the bytes.");
	if (lenh == NULL || util_strnum(lenh, 0, 0x7fffffffffffffffLL, &length) != 0)
		return http_reply_problem(r, PROBLEM_INVALID_UPLOAD,
		                          "Upload-Length (a decimal byte count) is required; "
		                          "Upload-Defer-Length is not supported.");
	name[0] = '\0';
	if (qname != NULL)
		snprintf(name, sizeof(name), "%s", qname);
	else if (meta == NULL || tus_metadata(meta, "filename", name, sizeof(name)) != 1)
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "name",
		                        "required (?name= or Upload-Metadata filename)");
	if (strlen(name) > EVIDENCE_NAME_MAX || !evidence_name_valid(name))
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "name", EVIDENCE_NAME_RULE);
	if (meta != NULL) {
		if ((rc = tus_metadata(meta, "filetype", type, sizeof(type))) < 0)
			return http_reply_problem(r, PROBLEM_INVALID_UPLOAD,
			                          "Upload-Metadata is malformed.");
		has_type = rc == 1;
		if ((rc = tus_metadata(meta, "finding", finding, sizeof(finding))) < 0)
			return http_reply_problem(r, PROBLEM_INVALID_UPLOAD,
			                          "Upload-Metadata is malformed.");
		has_finding = rc == 1;
	}
	if (has_finding && !api_valid_uuid(finding))
		return http_reply_field(r, PROBLEM_INVALID_FIELD, "finding",
		                        "not a finding of this engagement");
	if ((unsigned long long)length > config.evidence_max_bytes)
		return http_reply_problem(r, PROBLEM_PAYLOAD_TOO_LARGE,
		                          "The file is larger than the per-file limit.");
	rc = api_evidence_start(r, http_param(r, 0), has_finding ? finding : NULL, name,
	                        has_type ? type : NULL, length, 1, &res, &u);
	if (rc != DB_OK)
		return api_finish(r, rc, &res);
	snprintf(location, sizeof(location), "/api/v1/uploads/%s", u->id);
	if (length == 0) {
		json_t *receipt = NULL;

		rc = api_evidence_finish(u, NULL, &res, &receipt);
		json_decref(receipt);
		if (rc != DB_OK) {
			if (evidence_upload_discard(u) != 0)
				log_event(LOG_LEVEL_WARN, "evidence_discard_failed",
				          json_pack("{s:s}", "id", u->id));
			evidence_upload_free(u);
			return api_finish(r, rc, &res);
		}
	}
	evidence_upload_free(u);
	tus_expires(config.evidence_upload_expiry, expires, sizeof(expires));
	snprintf(offset, sizeof(offset), "0");
	{
		const char *h[] = {"Location",       location,        "Tus-Resumable",
		                   TUS_VERSION,      "Upload-Offset", offset,
		                   "Upload-Expires", expires,         NULL};

		return http_reply_bytes(r, 201, NULL, "", 0, h);
	}
}

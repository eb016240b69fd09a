/*
 * OPTIONS /api/v1/engagements/{id}/uploads: tus 1.0 discovery. Says which
 * protocol version and extensions the server speaks and the largest
 * upload; needs no log-in and reveals nothing about the engagement.
 */
#include "config.h"

#include <stdio.h>

#include "api/tus.h"
#include "conf.h"

int
api_uploads_options(struct http_request *r)
{
	char max[24];
	const char *h[] = {
	    "Tus-Resumable", TUS_VERSION,    "Tus-Version", TUS_VERSION, "Tus-Extension",
	    TUS_EXTENSIONS,  "Tus-Max-Size", max,           NULL};

	snprintf(max, sizeof(max), "%llu", config.evidence_max_bytes);
	return http_reply_bytes(r, 204, NULL, "", 0, h);
}

/*
 * api/tus.h: helpers of the resumable-upload endpoints (uploads_post.c,
 * upload_head.c, upload_patch.c, upload_delete.c), which follow the tus
 * 1.0 core protocol with the creation, expiration and termination
 * extensions (docs/API.md says where lockstep differs).
 */
#ifndef LOCKSTEP_API_TUS_H
#define LOCKSTEP_API_TUS_H

#include "api/evidence.h"

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,expiration,termination"

/* Replies 412 unless the request says "Tus-Resumable: 1.0.0". HTTP_OK or HTTP_REPLIED. */
int tus_check_version(struct http_request *r);

/* RFC 9110 IMF-fixdate of now + seconds into out (at least 32 bytes). */
void tus_expires(unsigned seconds, char *out, size_t outlen);

#endif

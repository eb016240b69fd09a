/* api/log.h: helpers of the transparency log's routes (log_common.c). */
#ifndef LOCKSTEP_API_LOG_H
#define LOCKSTEP_API_LOG_H

#include <jansson.h>

#include "tlog/tlog.h"

/*
 * The stored checkpoint of size (0: the latest, signed now if none is
 * stored yet) with every cosignature collected for it, as one signed
 * note: *note malloc'd (caller frees), *size its tree size. DB_OK,
 * STORE_NONE, or a negative db_status.
 */
int api_log_checkpoint(long long size, char **note, long long *size_out);

/* A JSON array of n hashes in standard base64. New reference or NULL. */
json_t *api_log_hashes(const tlog_hash *h, size_t n);

/* Cache-Control of immutable log resources (tiles, entry bundles). */
#define API_LOG_IMMUTABLE "public, max-age=31536000, immutable"

#endif

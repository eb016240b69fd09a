/*
 * api/log_common.c: what the transparency log's routes share: the latest
 * signed checkpoint with its cosignatures, read anonymously.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/log.h"
#include "publish/publish.h"
#include "util/util.h"

struct log_ckpt_tx {
	long long size; /* in: wanted (0: latest) */
	struct store_tlog_checkpoint k;
	struct store_tlog_cosig *cosigs;
	int ncosigs;
};

static int
log_ckpt_fn(struct db_conn *c, void *arg)
{
	struct log_ckpt_tx *t = arg;
	int rc;

	store_tlog_cosignatures_free(t->cosigs, t->ncosigs);
	t->cosigs = NULL;
	t->ncosigs = 0;
	if ((rc = store_tlog_checkpoint(c, t->size, &t->k)) != DB_OK)
		return rc;
	return store_tlog_cosignatures(c, t->k.size, &t->cosigs, &t->ncosigs);
}

int
api_log_checkpoint(long long size, char **note, long long *out_size)
{
	struct log_ckpt_tx t = {.size = size};
	size_t len = 0;
	char *buf = NULL;
	int rc;

	*note = NULL;
	*out_size = 0;
	rc = db_tx(NULL, "log_checkpoint", log_ckpt_fn, &t);
	if (rc == STORE_NONE && size <= 0) {
		/* the log's thread has not signed one yet: sign now */
		if (tlogd_checkpoint_now() >= 0)
			rc = db_tx(NULL, "log_checkpoint", log_ckpt_fn, &t);
	}
	if (rc != DB_OK)
		goto done;
	len = strlen(t.k.note);
	for (int i = 0; i < t.ncosigs; i++)
		len += strlen(t.cosigs[i].line);
	if ((buf = malloc(len + 1)) == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	len = strlen(t.k.note);
	memcpy(buf, t.k.note, len);
	for (int i = 0; i < t.ncosigs; i++) {
		size_t l = strlen(t.cosigs[i].line);

		memcpy(buf + len, t.cosigs[i].line, l);
		len += l;
	}
	buf[len] = '\0';
	*note = buf;
	*out_size = t.k.size;
done:
	store_tlog_checkpoint_clear(&t.k);
	store_tlog_cosignatures_free(t.cosigs, t.ncosigs);
	return rc;
}

json_t *
api_log_hashes(const tlog_hash *h, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		char b64[64];

		util_b64_encode(h[i], TLOG_HASH, b64);
		json_array_append_new(a, json_string(b64));
	}
	return a;
}

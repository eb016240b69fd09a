/*
 * POST /api/v1/publications/{slug}/corrections {"reason"}: the coordinator
 * corrects a released publication without deleting it: a new document,
 *
 *   {"corrects":{"hash","sequence","slug"},"format":"lockstep-correction-v1",
 *    "issued_at","number","prev_hash","reason"}
 *
 * canonical JSON signed with the publication key, chained to the previous
 * correction of the same publication (or to the publication itself) and
 * logged in the transparency log. Anyone else gets 404, like an unknown or
 * unreleased slug. Under pseudonymous and aggregate disclosure a reason
 * that names a company (name or alias, the release's name check) is
 * refused with 422.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "publish/publish.h"
#include "util/log.h"
#include "util/util.h"

#define CORRECTION_FORMAT "lockstep-correction-v1"

static const struct json_field correction_fields[] = {{.name = "reason",
                                                       .type = JSON_FIELD_STRING,
                                                       .required = 1,
                                                       .min_len = 1,
                                                       .max_len = 2000,
                                                       .valid = api_valid_text},
                                                      {.name = NULL}};

struct correction_ctx {
	const struct http_request *r;
	const char *slug;
	const char *reason;
	/* result */
	char *document;
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	char sig[100];
	long long number, log_idx;
	struct api_res res;
};

static int
correction_tx(struct db_conn *c, void *arg)
{
	struct correction_ctx *k = arg;
	const struct crypto_signer *signer = api_signer();
	struct store_correction_head h;
	unsigned char sig[CRYPTO_ED25519_SIG_LEN], hash[CRYPTO_SHA256_LEN], prev[CRYPTO_SHA256_LEN],
	    pub[CRYPTO_ED25519_PUB_LEN];
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	json_t *doc;
	size_t len = 0;
	int rc;

	free(k->document);
	k->document = NULL;
	if ((rc = store_correction_head(c, k->slug, &h)) != DB_OK)
		return rc;
	if (strcmp(h.disclosure, "named") != 0) {
		int named = api_names_company(c, k->reason);

		if (named < 0)
			return DB_ERROR;
		if (named)
			return api_fail_field(&k->res, "reason", "names a company");
	}
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	doc = json_pack("{s:{s:s, s:I, s:s}, s:s, s:s, s:I, s:s, s:s}", "corrects", "hash",
	                h.pub_hash, "sequence", (json_int_t)h.seq, "slug", k->slug, "format",
	                CORRECTION_FORMAT, "issued_at", now, "number", (json_int_t)h.number,
	                "prev_hash", h.prev_hash, "reason", k->reason);
	if (doc == NULL || signer == NULL || (k->document = publish_canonical(doc, &len)) == NULL ||
	    crypto_sha256(k->document, len, hash) != 0 ||
	    crypto_sign(signer, k->document, len, sig) != 0 ||
	    util_hex_decode(h.prev_hash, prev, sizeof(prev)) != 0) {
		json_decref(doc);
		return DB_ERROR;
	}
	json_decref(doc);
	crypto_signer_public(signer, pub);
	if ((rc = store_correction_store(c, h.seq, h.number, k->document, sig, hash, prev, pub,
	                                 &k->log_idx)) != DB_OK)
		return rc;
	k->number = h.number;
	util_hex_encode(hash, sizeof(hash), k->hash);
	util_b64_encode(sig, sizeof(sig), k->sig);
	return api_audit(c, k->r, "publication.corrected", "publication", k->slug, NULL, NULL,
	                 json_pack("{s:I, s:s, s:I}", "number", (json_int_t)k->number, "hash",
	                           k->hash, "log_index", (json_int_t)k->log_idx));
}

int
api_publication_corrections_post(struct http_request *r)
{
	struct correction_ctx k = {.r = r, .slug = http_param(r, 0)};
	int rc;

	if (!api_is_coordinator(r) || !api_valid_slug(k.slug))
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	if ((rc = api_check_body(r, correction_fields)) != HTTP_OK)
		return rc;
	k.reason = json_string_value(json_object_get(r->json, "reason"));
	k.res.status = 201;
	rc = db_tx(&r->who, "publication_correct", correction_tx, &k);
	/* readers find the correction in a signed checkpoint at once */
	if (rc == DB_OK && tlogd_checkpoint_now() < 0)
		log_event(LOG_LEVEL_WARN, "tlog_checkpoint_failed", NULL);
	if (rc == DB_OK) {
		json_t *doc = json_loads(k.document, 0, NULL);

		/* o steals doc */
		k.res.body = json_pack("{s:I, s:s, s:s, s:s, s:o, s:I}", "number",
		                       (json_int_t)k.number, "hash", k.hash, "signature", k.sig,
		                       "document_text", k.document, "document",
		                       doc ? doc : json_null(), "log_index", (json_int_t)k.log_idx);
		if (k.res.body == NULL)
			rc = DB_ERROR;
	}
	free(k.document);
	return api_finish(r, rc, &k.res);
}

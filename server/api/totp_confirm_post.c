/*
 * POST /api/v1/me/totp/confirm {code}: confirm the enrolment started by
 * POST /api/v1/me/totp with a first valid code. From then on log-in takes
 * two steps. The answer carries ten single-use recovery codes, shown this
 * once (only their hashes are stored).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"

int
api_recovery_codes_new(char codes[API_RECOVERY_CODES][API_RECOVERY_CODE_LEN])
{
	unsigned char raw[10];
	char b32[STORE_RECOVERY_CHARS + 1];

	for (int i = 0; i < API_RECOVERY_CODES; i++) {
		if (crypto_random(raw, sizeof(raw)) != 0 ||
		    crypto_base32_encode(raw, sizeof(raw), b32, sizeof(b32)) != 0) {
			explicit_bzero(raw, sizeof(raw));
			return -1;
		}
		snprintf(codes[i], API_RECOVERY_CODE_LEN, "%.4s-%.4s-%.4s-%.4s", b32, b32 + 4,
		         b32 + 8, b32 + 12);
	}
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b32, sizeof(b32));
	return 0;
}

struct confirm_ctx {
	struct http_request *r;
	const char *code;
	long long now;
	char codes[API_RECOVERY_CODES][API_RECOVERY_CODE_LEN];
	char *list[API_RECOVERY_CODES];
	struct api_res res;
};

static int
confirm_tx(struct db_conn *c, void *arg)
{
	struct confirm_ctx *k = arg;
	int ok = 0, rc;

	rc = store_totp_verify(c, k->r->who.user_id, k->code, k->now, 1, &ok);
	if (rc == STORE_NONE)
		return api_fail(&k->res, PROBLEM_INVALID_STATE,
		                "No enrolment to confirm: start one with POST /api/v1/me/totp.");
	if (rc != DB_OK)
		return rc;
	if (!ok) {
		k->res.problem = PROBLEM_INVALID_FIELD;
		return api_fail_field(&k->res, "code", "wrong or expired code");
	}
	if ((rc = store_recovery_replace(c, k->r->who.user_id, k->list, API_RECOVERY_CODES)) !=
	    DB_OK)
		return rc;
	return api_audit(c, k->r, "totp.enable", "user", k->r->who.user_id, k->r->who.org_id, NULL,
	                 NULL);
}

int
api_totp_confirm_post(struct http_request *r)
{
	struct confirm_ctx k = {.r = r, .res = {.status = 200}};
	json_t *arr;
	int rc;

	if ((rc = api_check_body(r, api_totp_code_fields)) != HTTP_OK)
		return rc;
	k.code = json_string_value(json_object_get(r->json, "code"));
	k.now = (long long)time(NULL);
	if (api_recovery_codes_new(k.codes) != 0)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	for (int i = 0; i < API_RECOVERY_CODES; i++)
		k.list[i] = k.codes[i];
	rc = db_tx(&r->who, "totp_confirm", confirm_tx, &k);
	if (rc == DB_OK) {
		arr = json_array();
		for (int i = 0; arr != NULL && i < API_RECOVERY_CODES; i++)
			json_array_append_new(arr, json_string(k.codes[i]));
		/* o steals arr */
		k.res.body = json_pack("{s:b, s:o}", "enabled", 1, "recovery_codes", arr);
		if (k.res.body == NULL)
			rc = DB_ERROR;
	}
	explicit_bzero(k.codes, sizeof(k.codes));
	return api_finish(r, rc, &k.res);
}

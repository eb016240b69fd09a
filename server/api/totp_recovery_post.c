/*
 * POST /api/v1/me/totp/recovery-codes {code}: ten new recovery codes for
 * the caller's confirmed second factor, replacing the old ones (used or
 * not), shown this once. code is a current TOTP code (not a recovery
 * code: losing them is why one asks for new ones). A wrong code answers
 * 422 and changes nothing.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "api/api.h"

struct recovery_ctx {
	struct http_request *r;
	const char *code;
	long long now;
	char codes[API_RECOVERY_CODES][API_RECOVERY_CODE_LEN];
	char *list[API_RECOVERY_CODES];
	struct api_res res;
};

static int
recovery_tx(struct db_conn *c, void *arg)
{
	struct recovery_ctx *k = arg;
	int ok = 0, rc;

	rc = store_totp_verify(c, k->r->who.user_id, k->code, k->now, 0, &ok);
	if (rc == STORE_NONE)
		return api_fail(&k->res, PROBLEM_INVALID_STATE, "No second factor is enabled.");
	if (rc != DB_OK)
		return rc;
	if (!ok)
		return api_fail_field(&k->res, "code", "wrong or expired code");
	if ((rc = store_recovery_replace(c, k->r->who.user_id, k->list, API_RECOVERY_CODES)) !=
	    DB_OK)
		return rc;
	return api_audit(c, k->r, "totp.recovery_codes", "user", k->r->who.user_id,
	                 k->r->who.org_id, NULL, NULL);
}

int
api_totp_recovery_post(struct http_request *r)
{
	struct recovery_ctx k = {.r = r, .res = {.status = 200}};
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
	rc = db_tx(&r->who, "totp_recovery_codes", recovery_tx, &k);
	if (rc == DB_OK) {
		arr = json_array();
		for (int i = 0; arr != NULL && i < API_RECOVERY_CODES; i++)
			json_array_append_new(arr, json_string(k.codes[i]));
		/* o steals arr */
		if ((k.res.body = json_pack("{s:o}", "recovery_codes", arr)) == NULL)
			rc = DB_ERROR;
	}
	explicit_bzero(k.codes, sizeof(k.codes));
	return api_finish(r, rc, &k.res);
}

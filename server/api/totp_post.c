/*
 * POST /api/v1/me/totp: start enrolling a TOTP second factor (RFC 6238:
 * SHA-1, 6 digits, 30 seconds). A new random secret is sealed and stored
 * unconfirmed, and shown once: as base32, as an otpauth:// URI and as a
 * QR code (SVG drawn by api/qr.c from the module matrix only). Nothing
 * changes for log-in until POST /api/v1/me/totp/confirm with a first
 * valid code. Starting again replaces an unconfirmed secret; a confirmed
 * one must be disabled first (409 invalid-state).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/util.h"

struct totp_post_ctx {
	struct http_request *r;
	unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
	struct store_me me; /* the result: for the URI's label */
	struct api_res res;
};

static int
totp_post_tx(struct db_conn *c, void *arg)
{
	struct totp_post_ctx *t = arg;
	int rc;

	rc = store_totp_begin(c, t->r->who.user_id, t->secret);
	if (rc == STORE_NONE)
		return api_fail(&t->res, PROBLEM_INVALID_STATE,
		                "A second factor is already enabled: disable it first.");
	if (rc != DB_OK)
		return rc;
	if ((rc = store_me_get(c, &t->me)) != DB_OK)
		return rc == STORE_NONE ? DB_ERROR : rc;
	return api_audit(c, t->r, "totp.enrol_start", "user", t->r->who.user_id, t->r->who.org_id,
	                 NULL, NULL);
}

/* Percent-encode s (RFC 3986 unreserved kept) into out; returns 0 or -1 when it does not fit. */
static int
totp_uri_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= outlen)
				return -1;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int
api_totp_post(struct http_request *r)
{
	struct totp_post_ctx t = {.r = r, .res = {.status = 201}};
	char b32[CRYPTO_TOTP_B32_LEN + 1], label[800], uri[1024];
	char *svg = NULL;
	int rc;

	if (crypto_random(t.secret, sizeof(t.secret)) != 0 ||
	    crypto_base32_encode(t.secret, sizeof(t.secret), b32, sizeof(b32)) != 0) {
		explicit_bzero(&t, sizeof(t));
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	}
	rc = db_tx(&r->who, "totp_enrol", totp_post_tx, &t);
	if (rc == DB_OK) {
		if (totp_uri_escape(t.me.email ? t.me.email : "", label, sizeof(label)) != 0 ||
		    snprintf(uri, sizeof(uri),
		             "otpauth://totp/lockstep:%s?secret=%s&issuer=lockstep&algorithm=SHA1"
		             "&digits=%d&period=%d",
		             label, b32, CRYPTO_TOTP_DIGITS,
		             CRYPTO_TOTP_STEP) >= (int)sizeof(uri) ||
		    (svg = api_qr_svg(uri)) == NULL)
			rc = DB_ERROR;
		else
			t.res.body =
			    json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "secret", b32, "uri", uri,
			              "qr_svg", svg, "algorithm", "SHA1", "digits",
			              CRYPTO_TOTP_DIGITS, "period", CRYPTO_TOTP_STEP);
		if (rc == DB_OK && t.res.body == NULL)
			rc = DB_ERROR;
	}
	free(svg);
	explicit_bzero(b32, sizeof(b32));
	explicit_bzero(uri, sizeof(uri));
	explicit_bzero(t.secret, sizeof(t.secret));
	store_me_clear(&t.me);
	return api_finish(r, rc, &t.res);
}

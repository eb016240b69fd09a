/*
 * http/auth.c: turn a presented session token into the request identity.
 * The token itself never leaves this function; only its SHA-256 is used.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "http/http.h"
#include "util/util.h"

int
http_cookie(const struct http_request *r, const char *name, char *out, size_t outlen)
{
	const char *p = http_header(r, MHD_HTTP_HEADER_COOKIE);
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t n = strcspn(v, ";");

			if (n >= outlen)
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

int
http_auth_request(struct http_request *r)
{
	const char *authz = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookies = http_header(r, MHD_HTTP_HEADER_COOKIE);
	char token[CRYPTO_TOKEN_CHARS + 8];
	char hex[2 * CRYPTO_SHA256_LEN + 3];
	const char *params[1];
	struct db_conn *c;
	struct db_result *res;
	enum db_status st;
	int presented = 0;

	r->authenticated = 0;
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) >= sizeof(token))
			return http_reply_problem(r, PROBLEM_UNAUTHORIZED,
			                          "Use Authorization: Bearer <token>.");
		snprintf(token, sizeof(token), "%s", authz + 7);
		presented = 1;
	} else if (cookies != NULL &&
	           http_cookie(r, HTTP_SESSION_COOKIE, token, sizeof(token)) == 0) {
		presented = 1;
		r->via_cookie = 1;
	}
	if (!presented)
		return HTTP_OK;
	if (crypto_token_hash(token, r->token_hash) != 0) {
		explicit_bzero(token, sizeof(token));
		return http_reply_problem(r, PROBLEM_UNAUTHORIZED,
		                          "The session token is invalid or expired.");
	}
	explicit_bzero(token, sizeof(token));
	hex[0] = '\\';
	hex[1] = 'x';
	util_hex_encode(r->token_hash, sizeof(r->token_hash), hex + 2);
	params[0] = hex;
	if ((c = db_thread_conn()) == NULL)
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	res = db_exec(c, "auth_resolve_token", 1, params, &st);
	if (res == NULL) {
		/* a lost connection is retried once on a fresh one */
		if ((c = db_thread_conn()) != NULL)
			res = db_exec(c, "auth_resolve_token", 1, params, &st);
		if (res == NULL)
			return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	if (db_rows(res) != 1) {
		db_result_free(res);
		return http_reply_problem(r, PROBLEM_UNAUTHORIZED,
		                          "The session token is invalid or expired.");
	}
	snprintf(r->who.user_id, sizeof(r->who.user_id), "%s", db_get(res, 0, 0));
	snprintf(r->who.org_id, sizeof(r->who.org_id), "%s", db_get(res, 0, 1));
	snprintf(r->who.org_kind, sizeof(r->who.org_kind), "%s", db_get(res, 0, 2));
	snprintf(r->who.role, sizeof(r->who.role), "%s", db_get(res, 0, 3));
	snprintf(r->session_id, sizeof(r->session_id), "%s", db_get(res, 0, 4));
	db_result_free(res);
	r->authenticated = 1;
	return HTTP_OK;
}

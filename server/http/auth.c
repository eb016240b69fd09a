/*
 * http/auth.c: turn a presented session token into the request identity.
 * The token itself never leaves this function; only its SHA-256 is used.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include <stdio.h>

#include "conf.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "util/util.h"

static http_auth_fn http_auth_resolve;

void
http_set_auth(http_auth_fn fn)
{
	http_auth_resolve = fn;
}

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

/*
 * The session cookie the request carried is no good (malformed, unknown,
 * expired or revoked): the answer also tells the browser to drop it, so
 * a stale cookie never lingers. Returns 0 or -1.
 */
static int
http_auth_clear_cookie(struct http_request *r)
{
	char cookie[160];

	if (!r->via_cookie)
		return 0;
	snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
	         HTTP_SESSION_COOKIE, config.cookie_secure ? "; Secure" : "");
	return http_set_cookie(r, cookie);
}

int
http_auth_request(struct http_request *r)
{
	const char *authz = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookies = http_header(r, MHD_HTTP_HEADER_COOKIE);
	char token[CRYPTO_TOKEN_CHARS + 8];
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
		if (http_auth_clear_cookie(r) != 0)
			return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
		return http_reply_problem(r, PROBLEM_UNAUTHORIZED,
		                          "The session token is invalid or expired.");
	}
	explicit_bzero(token, sizeof(token));
	switch (http_auth_resolve != NULL ? http_auth_resolve(r->token_hash, &r->who, r->session_id,
	                                                      &r->scopes, &r->api_token)
	                                  : -1) {
	case 0:
		break;
	case 1:
		if (http_auth_clear_cookie(r) != 0)
			return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
		return http_reply_problem(r, PROBLEM_UNAUTHORIZED,
		                          "The session token is invalid or expired.");
	default:
		return http_reply_problem(r, PROBLEM_UNAVAILABLE, NULL);
	}
	r->authenticated = 1;
	return HTTP_OK;
}

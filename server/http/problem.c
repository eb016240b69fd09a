/* http/problem.c: the registry of problem types. */
#include "config.h"

#include "http/problem.h"

static const struct problem_info problems[PROBLEM__COUNT] = {
    [PROBLEM_BAD_REQUEST] = {400, "bad-request", "The request is malformed"},
    [PROBLEM_MALFORMED_JSON] = {400, "malformed-json", "The body is not an acceptable JSON object"},
    [PROBLEM_INVALID_FIELD] = {422, "invalid-field", "A field has an invalid value"},
    [PROBLEM_BAD_PATH] = {400, "bad-path", "The request path is not acceptable"},
    [PROBLEM_BAD_QUERY] = {400, "bad-query", "A query parameter is invalid"},
    [PROBLEM_AMBIGUOUS_FRAMING] = {400, "ambiguous-framing", "The request framing is ambiguous"},
    [PROBLEM_UNAUTHORIZED] = {401, "unauthorized", "Authentication is required"},
    [PROBLEM_BAD_CREDENTIALS] = {401, "bad-credentials", "The e-mail address or password is wrong"},
    [PROBLEM_CSRF] = {403, "csrf", "Cookie-authenticated writes need the X-Lockstep-CSRF header"},
    [PROBLEM_INSUFFICIENT_SCOPE] = {403, "insufficient-scope",
                                    "The API token's scopes do not allow this route"},
    [PROBLEM_BAD_CODE] = {401, "bad-code", "Wrong or expired second-factor code or challenge"},
    [PROBLEM_FORBIDDEN] = {403, "forbidden", "This action is not allowed for your role"},
    [PROBLEM_NOT_FOUND] = {404, "not-found", "Not found"},
    [PROBLEM_METHOD_NOT_ALLOWED] = {405, "method-not-allowed", "Method not allowed"},
    [PROBLEM_CONFLICT] = {409, "conflict", "The request conflicts with existing data"},
    [PROBLEM_INVALID_STATE] = {409, "invalid-state",
                               "The resource is not in a state that allows this"},
    [PROBLEM_PAYLOAD_TOO_LARGE] = {413, "payload-too-large", "The request body is too large"},
    [PROBLEM_URI_TOO_LONG] = {414, "uri-too-long", "The request URI is too long"},
    [PROBLEM_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported-media-type",
                                        "The body must be application/json"},
    [PROBLEM_TOO_MANY_REQUESTS] = {429, "too-many-requests", "Too many attempts; try again later"},
    [PROBLEM_HEADERS_TOO_LARGE] = {431, "headers-too-large", "The request headers are too large"},
    [PROBLEM_INTERNAL] = {500, "internal", "Internal error"},
    [PROBLEM_UNAVAILABLE] = {503, "unavailable", "The service is temporarily unavailable"},
    [PROBLEM_QUOTA_EXCEEDED] = {413, "quota-exceeded",
                                "The engagement's evidence quota would be exceeded"},
    [PROBLEM_TOO_MANY_UPLOADS] = {429, "too-many-uploads",
                                  "Too many uploads in progress; finish or cancel one first"},
    [PROBLEM_RANGE_NOT_SATISFIABLE] = {416, "range-not-satisfiable",
                                       "The requested range cannot be served"},
    [PROBLEM_OFFSET_MISMATCH] = {409, "offset-mismatch",
                                 "Upload-Offset does not match the upload's current offset"},
    [PROBLEM_TUS_VERSION] = {412, "tus-version", "Send Tus-Resumable: 1.0.0"},
    [PROBLEM_INVALID_UPLOAD] = {400, "invalid-upload", "The upload request is invalid"},
    [PROBLEM_BAD_HEADER] = {400, "bad-header", "A request header is malformed"},
    [PROBLEM_BUSY] = {503, "busy", "The server is busy; try again shortly"},
    [PROBLEM_INVALID_IMPORT] = {422, "invalid-import",
                                "The imported file has errors; nothing was imported"},
};

const struct problem_info *
problem_get(enum problem_type t)
{
	if ((unsigned)t >= PROBLEM__COUNT)
		t = PROBLEM_INTERNAL;
	return &problems[t];
}

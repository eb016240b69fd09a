/*
 * problem: the one registry of error types (RFC 9457 problem details).
 * Every error reply goes through http_reply_problem() with one of these.
 */
#ifndef LOCKSTEP_PROBLEM_H
#define LOCKSTEP_PROBLEM_H

enum problem_type {
	PROBLEM_BAD_REQUEST,
	PROBLEM_MALFORMED_JSON,
	PROBLEM_INVALID_FIELD,
	PROBLEM_BAD_PATH,
	PROBLEM_BAD_QUERY,
	PROBLEM_AMBIGUOUS_FRAMING,
	PROBLEM_UNAUTHORIZED,
	PROBLEM_BAD_CREDENTIALS,
	PROBLEM_CSRF,
	PROBLEM_FORBIDDEN,
	PROBLEM_NOT_FOUND,
	PROBLEM_METHOD_NOT_ALLOWED,
	PROBLEM_CONFLICT,
	PROBLEM_INVALID_STATE,
	PROBLEM_PAYLOAD_TOO_LARGE,
	PROBLEM_URI_TOO_LONG,
	PROBLEM_UNSUPPORTED_MEDIA_TYPE,
	PROBLEM_TOO_MANY_REQUESTS,
	PROBLEM_HEADERS_TOO_LARGE,
	PROBLEM_INTERNAL,
	PROBLEM_UNAVAILABLE,
	PROBLEM_QUOTA_EXCEEDED,
	PROBLEM_TOO_MANY_UPLOADS,
	PROBLEM_RANGE_NOT_SATISFIABLE,
	PROBLEM_OFFSET_MISMATCH,
	PROBLEM_TUS_VERSION,
	PROBLEM_INVALID_UPLOAD,
	PROBLEM__COUNT
};

struct problem_info {
	unsigned status;
	const char *slug; /* type is "urn:lockstep:problem:<slug>" */
	const char *title;
};

/* Never NULL for a valid type; PROBLEM_INTERNAL's entry for anything else. */
const struct problem_info *problem_get(enum problem_type t);

#endif

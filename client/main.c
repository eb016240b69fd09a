/*
 * lockstep: command-line client for lockstepd's JSON API.
 *
 *   lockstep [--url URL] login EMAIL     password from LOCKSTEP_PASSWORD
 *                                        or asked for without echo
 *   lockstep [--url URL] logout
 *   lockstep [--url URL] me
 *   lockstep [--url URL] get PATH
 *   lockstep [--url URL] post|patch|put PATH JSON   (JSON "-" reads stdin)
 *   lockstep [--url URL] delete PATH
 *   lockstep [--url URL] upload ENGAGEMENT_ID FILE [--name NAME] [--finding ID] [--type TYPE]
 *   lockstep [--url URL] download EVIDENCE_ID OUTFILE
 *   lockstep [--url URL] receipt EVIDENCE_ID
 *   lockstep [--url URL] verify SLUG [--key FILE.pem]
 *   lockstep [--url URL] name-check ENGAGEMENT_ID FILE   (FILE "-" reads stdin)
 *   lockstep [--url URL] import FILE --engagement ID [--threat-model TM] [--format sarif|csv]
 *   lockstep [--url URL] export ENGAGEMENT_ID --out FILE [--format csv|oscal]
 *   lockstep [--url URL] report ENGAGEMENT_ID --out FILE.html [--pdf FILE.pdf]
 *
 * PATH is either absolute ("/api/v1/orgs") or relative to /api/v1
 * ("orgs"). The server comes from --url, else LOCKSTEP_URL, else
 * http://127.0.0.1:8080. The session token is kept, mode 0600, in
 * $XDG_CONFIG_HOME/lockstep/token (or ~/.config/lockstep/token); the
 * server it belongs to is kept beside it in "url", and the token is never
 * sent to another server.
 *
 * upload sends FILE (a regular file, streamed, never held in memory) as a
 * resumable upload to the engagement, resuming after dropped connections
 * and, when run again, after an interruption; it prints the signed receipt
 * and checks its signature and that its SHA-256 and size are the file's.
 * download streams the bytes into OUTFILE, which it creates (0600, never
 * overwriting) and removes again unless the whole file arrived and its
 * SHA-256 matches the receipt's (whose signature must verify).
 *
 * verify checks a publication anonymously (no token is sent): its exact
 * bytes against the Ed25519 signature, with the server's published key or
 * a pinned PEM key file (--key), the SHA-256 the server states, and that
 * the signed document is SLUG's. It prints {slug, verified, sha256,
 * prev_hash, sequence, key, key_source, canonical} and exits 0 only when
 * all hold.
 *
 * Exit status: 0 on a 2xx answer (verify: a valid publication), 1 on a
 * refusal (its problem title and detail go to stderr), a transport error,
 * a SHA-256 mismatch or a publication that does not verify, 2 on a usage
 * error.
 *
 * The commands are one table (client_commands): name, arguments, options;
 * the usage text and the argument checks come from it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util/json.h"
#include "util/util.h"

#define CLIENT_MAX_OPTS 4

/* One command: what it takes and the function that runs it. */
struct client_command {
	const char *name;
	const char *synopsis;                  /* arguments and options, for the usage text */
	int min_args, max_args;                /* positional arguments after the command */
	const char *opts[CLIENT_MAX_OPTS + 1]; /* long options that take a value; NULL ends */
	const char *method;                    /* for the generic API calls, else NULL */
	/*
	 * Runs the command: args are the positional arguments, opts[i] the
	 * value of opts[i] or NULL. Returns the exit status.
	 */
	int (*run)(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
	           const char **opts);
};

static int client_cmd_login(const struct client_ctx *, const struct client_command *, char **,
                            const char **);
static int client_cmd_logout(const struct client_ctx *, const struct client_command *, char **,
                             const char **);
static int client_cmd_call(const struct client_ctx *, const struct client_command *, char **,
                           const char **);
static int client_cmd_receipt(const struct client_ctx *, const struct client_command *, char **,
                              const char **);
static int client_cmd_name_check(const struct client_ctx *, const struct client_command *, char **,
                                 const char **);
static int client_run_upload(const struct client_ctx *, const struct client_command *, char **,
                             const char **);
static int client_run_download(const struct client_ctx *, const struct client_command *, char **,
                               const char **);
static int client_run_verify(const struct client_ctx *, const struct client_command *, char **,
                             const char **);
static int client_run_import(const struct client_ctx *, const struct client_command *, char **,
                             const char **);
static int client_run_export(const struct client_ctx *, const struct client_command *, char **,
                             const char **);
static int client_run_report(const struct client_ctx *, const struct client_command *, char **,
                             const char **);

static const struct client_command client_commands[] = {
    {"login", "EMAIL", 1, 1, {NULL}, NULL, client_cmd_login},
    {"logout", "", 0, 0, {NULL}, NULL, client_cmd_logout},
    {"me", "", 0, 0, {NULL}, "GET", client_cmd_call},
    {"get", "PATH", 1, 1, {NULL}, "GET", client_cmd_call},
    {"delete", "PATH", 1, 1, {NULL}, "DELETE", client_cmd_call},
    {"post", "PATH JSON", 2, 2, {NULL}, "POST", client_cmd_call},
    {"patch", "PATH JSON", 2, 2, {NULL}, "PATCH", client_cmd_call},
    {"put", "PATH JSON", 2, 2, {NULL}, "PUT", client_cmd_call},
    {"upload",
     "ENGAGEMENT_ID FILE [--name NAME] [--finding ID] [--type TYPE]",
     2,
     2,
     {"name", "finding", "type", NULL},
     NULL,
     client_run_upload},
    {"download", "EVIDENCE_ID OUTFILE", 2, 2, {NULL}, NULL, client_run_download},
    {"receipt", "EVIDENCE_ID", 1, 1, {NULL}, NULL, client_cmd_receipt},
    {"verify", "SLUG [--key FILE.pem]", 1, 1, {"key", NULL}, NULL, client_run_verify},
    {"name-check", "ENGAGEMENT_ID FILE", 2, 2, {NULL}, NULL, client_cmd_name_check},
    {"import",
     "FILE --engagement ID [--threat-model TM] [--format sarif|csv]",
     1,
     1,
     {"engagement", "threat-model", "format", NULL},
     NULL,
     client_run_import},
    {"export",
     "ENGAGEMENT_ID --out FILE [--format csv|oscal]",
     1,
     1,
     {"out", "format", NULL},
     NULL,
     client_run_export},
    {"report",
     "ENGAGEMENT_ID --out FILE.html [--pdf FILE.pdf]",
     1,
     1,
     {"out", "pdf", NULL},
     NULL,
     client_run_report},
    {NULL, NULL, 0, 0, {NULL}, NULL, NULL},
};

static void
client_usage(FILE *f)
{
	const char *lead = "usage:";

	for (const struct client_command *c = client_commands; c->name != NULL; c++) {
		fprintf(f, "%-6s %s [--url URL] %s%s%s\n", lead, client_progname, c->name,
		        c->synopsis[0] ? " " : "", c->synopsis);
		lead = "";
	}
	fprintf(f,
	        "PATH is absolute (/api/v1/orgs) or relative to /api/v1 (orgs); JSON \"-\" reads "
	        "stdin.\n"
	        "The server is --url, else $LOCKSTEP_URL, else " CLIENT_DEFAULT_URL ".\n"
	        "login reads the password from $LOCKSTEP_PASSWORD or asks for it.\n"
	        "upload is resumable (run it again after an interruption) and prints the signed\n"
	        "receipt; download never overwrites OUTFILE and keeps it only if its SHA-256\n"
	        "matches the receipt's. Both check the receipt's signature.\n"
	        "verify checks a publication's Ed25519 signature (anonymously) with the\n"
	        "server's key, or with a key you pinned (--key); exit 0 valid, 1 not.\n"
	        "name-check prints the spans of a claim or statement text (FILE, \"-\" reads\n"
	        "stdin) that name a company and would hold a pseudonymous release; exit 0\n"
	        "none, 1 some.\n"
	        "import sends a SARIF 2.1.0 log (*.sarif, *.json) or a CSV file (*.csv; header\n"
	        "title,detail,severity[,threat_model,cwe,atlas,cvss,location]) to the engagement:\n"
	        "all or nothing, each error with its JSON pointer or row; importing the same\n"
	        "file again creates nothing. --threat-model applies where the file names none.\n"
	        "export writes the engagement's findings as CSV, or the engagement as an OSCAL\n"
	        "1.1 assessment-results document (--format oscal), to a new file (--out).\n"
	        "report writes the engagement's printable report (HTML, its stylesheet inline)\n"
	        "to a new file; --pdf also prints it with a local headless Chromium\n"
	        "($LOCKSTEP_CHROMIUM, else /usr/bin/chromium).\n");
}

/* ---- arguments ---- */

/*
 * Normalise a base URL into out (no trailing slash). Returns 0, or -1 if
 * it is not http(s), too long, or holds spaces or control characters.
 */
static int
client_base_url(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in);

	if (strncmp(in, "http://", 7) != 0 && strncmp(in, "https://", 8) != 0)
		return -1;
	if (len >= outlen || len > CLIENT_MAX_URL)
		return -1;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return -1;
	memcpy(out, in, len + 1);
	while (len > 0 && out[len - 1] == '/')
		out[--len] = '\0';
	return 0;
}

/*
 * The request path for arg: kept if it starts with '/', else put under
 * /api/v1/. Returns 0, or -1 for an over-long path or one with spaces,
 * control characters or a fragment.
 */
static int
client_path(const char *arg, char *out, size_t outlen)
{
	int n;

	for (const unsigned char *p = (const unsigned char *)arg; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '#')
			return -1;
	if (arg[0] == '\0')
		return -1;
	n = snprintf(out, outlen, "%s%s", arg[0] == '/' ? "" : "/api/v1/", arg);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/*
 * The JSON body for arg ("-" reads stdin): checked to be one JSON object
 * (at most CLIENT_MAX_REQUEST bytes, nesting JSON_IN_MAX_DEPTH) and
 * re-encoded compactly. Returns a malloc'd string (caller frees), or NULL
 * with a message.
 */
static char *
client_body(const char *arg)
{
	struct client_buf in = {.max = CLIENT_MAX_REQUEST};
	char err[160];
	json_t *j = NULL;
	char *out = NULL;

	if (strcmp(arg, "-") == 0) {
		char chunk[8192];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (client_buf_append(&in, chunk, n) != 0) {
				fprintf(stderr, "%s: the body on stdin is too large\n",
				        client_progname);
				goto done;
			}
		if (ferror(stdin)) {
			fprintf(stderr, "%s: reading stdin: %s\n", client_progname,
			        strerror(errno));
			goto done;
		}
	} else if (client_buf_append(&in, arg, strlen(arg)) != 0) {
		fprintf(stderr, "%s: the body is too large\n", client_progname);
		goto done;
	}
	if ((j = json_in_parse(in.data ? in.data : "", in.len, JSON_IN_MAX_DEPTH, err,
	                       sizeof(err))) == NULL) {
		fprintf(stderr, "%s: the body is not one JSON object: %s\n", client_progname, err);
		goto done;
	}
	out = json_dumps(j, JSON_COMPACT);
done:
	json_decref(j);
	client_buf_free(&in);
	return out;
}

/* ---- the small commands ---- */

/* What a device cookie's value is made of (uuid, digits, base64url, dots). */
#define CLIENT_DEVICE_CHARS "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-_."

/* lockstep login EMAIL: log in, keep the token (0600) and the server's URL. */
static int
client_cmd_login(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                 const char **opts)
{
	char password[CLIENT_MAX_PASSWORD + 1], dir[CLIENT_MAX_PATH - 16], path[CLIENT_MAX_PATH];
	char device[CLIENT_MAX_URL + 160], cookie[CLIENT_MAX_URL + 200];
	const char *headers[] = {cookie, NULL};
	static const char *const keep[] = {"Retry-After", NULL};
	struct client_response res = {0};
	struct client_call call = {.method = "POST", .path = "/api/v1/session"};
	const char *token;
	json_t *req = NULL, *ans = NULL, *pw;
	char *body = NULL;
	int ret = CLIENT_EXIT_PROBLEM;

	(void)cmd;
	(void)opts;
	if (client_config_dir(dir, sizeof(dir)) != 0) {
		fprintf(stderr, "%s: set HOME or XDG_CONFIG_HOME to keep the token\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (client_password(password, sizeof(password)) != 0)
		return CLIENT_EXIT_PROBLEM;
	req = json_pack("{s:s, s:s}", "email", args[0], "password", password);
	explicit_bzero(password, sizeof(password));
	if (req == NULL) {
		fprintf(stderr, "%s: the e-mail address or password is not valid UTF-8\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	body = json_dumps(req, JSON_COMPACT);
	/* Wipe jansson's copy of the password too. */
	if ((pw = json_object_get(req, "password")) != NULL)
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
	call.body = body;
	/* the device cookie of an earlier log-in to this server: the server
	 * lets a known client's log-in go first when log-ins queue up */
	snprintf(path, sizeof(path), "%s/device", dir);
	if (client_read_private(path, device, sizeof(device)) == 1 &&
	    strncmp(device, ctx->base_url, strlen(ctx->base_url)) == 0 &&
	    device[strlen(ctx->base_url)] == ' ' &&
	    strspn(device + strlen(ctx->base_url) + 1, CLIENT_DEVICE_CHARS) ==
	        strlen(device + strlen(ctx->base_url) + 1)) {
		int n = snprintf(cookie, sizeof(cookie), "Cookie: lockstep_device=%s",
		                 device + strlen(ctx->base_url) + 1);

		if (n > 0 && (size_t)n < sizeof(cookie))
			call.headers = headers;
	}
	call.keep = keep;
	/* 503 "busy": log-ins are queued up on the server; wait as it asks (a few times) */
	for (int attempt = 1;; attempt++) {
		long long wait = 1;

		if (body == NULL || client_request(ctx->base_url, &call, &res) != 0)
			goto done;
		if (res.status != 503 || attempt == 5)
			break;
		if (res.kept[0] == NULL || util_strnum(res.kept[0], 1, 30, &wait) != 0)
			break; /* not the log-in queue: report it */
		fprintf(stderr, "%s: the server is busy; trying again in %lld s\n", client_progname,
		        wait);
		client_response_free(&res);
		memset(&res, 0, sizeof(res));
		sleep((unsigned)wait);
	}
	if (res.status != 201) {
		ret = client_report(&res);
		goto done;
	}
	ans = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	token = json_string_value(json_object_get(ans, "token"));
	if (token == NULL || strlen(token) >= CLIENT_MAX_TOKEN ||
	    strpbrk(token, "\r\n \t") != NULL) {
		fprintf(stderr, "%s: the server's answer holds no usable token\n", client_progname);
		goto done;
	}
	if (client_mkdirs(dir) != 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", client_progname, dir,
		        strerror(errno));
		goto done;
	}
	snprintf(path, sizeof(path), "%s/url", dir);
	if (client_write_private(path, ctx->base_url) != 0)
		goto done;
	snprintf(path, sizeof(path), "%s/token", dir);
	if (client_write_private(path, token) != 0)
		goto done;
	explicit_bzero((char *)token, strlen(token));
	{
		const char *dv = json_string_value(json_object_get(ans, "device"));

		int n = dv != NULL && strspn(dv, CLIENT_DEVICE_CHARS) == strlen(dv)
		            ? snprintf(device, sizeof(device), "%s %s", ctx->base_url, dv)
		            : -1;

		if (n > 0 && (size_t)n < sizeof(device)) {
			snprintf(path, sizeof(path), "%s/device", dir);
			if (client_write_private(path, device) != 0)
				goto done;
		}
	}
	/* Show who we are, never the token. */
	json_dumpf(json_object_get(ans, "user"), stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	ret = fflush(stdout) == 0 ? 0 : CLIENT_EXIT_PROBLEM;
done:
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	json_decref(req);
	json_decref(ans);
	client_response_free(&res);
	return ret;
}

/* lockstep logout: end the session on the server and forget the token. */
static int
client_cmd_logout(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	char token[CLIENT_MAX_TOKEN], dir[CLIENT_MAX_PATH - 16], path[CLIENT_MAX_PATH];
	struct client_response res = {0};
	struct client_call call = {.method = "DELETE", .path = "/api/v1/session", .token = token};
	int ret = CLIENT_EXIT_PROBLEM;

	(void)cmd;
	(void)args;
	(void)opts;
	if (client_config_dir(dir, sizeof(dir)) != 0 ||
	    client_load_token(ctx->base_url, token) != 0)
		return CLIENT_EXIT_PROBLEM;
	if (token[0] == '\0') {
		fprintf(stderr, "%s: not logged in at %s\n", client_progname, ctx->base_url);
		return 0;
	}
	if (client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	/* 401: the token had expired or was revoked already; forget it too. */
	if ((res.status < 200 || res.status >= 300) && res.status != 401) {
		ret = client_report(&res);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/token", dir);
	if (unlink(path) != 0 && errno != ENOENT) {
		fprintf(stderr, "%s: cannot remove %s: %s\n", client_progname, path,
		        strerror(errno));
		goto done;
	}
	snprintf(path, sizeof(path), "%s/url", dir);
	(void)unlink(path);
	fprintf(stderr, "%s: logged out\n", client_progname);
	ret = 0;
done:
	explicit_bzero(token, sizeof(token));
	client_response_free(&res);
	return ret;
}

/* One API call as the logged-in user: method to path (and a JSON body). */
static int
client_call_api(const struct client_ctx *ctx, const char *method, const char *path_arg,
                const char *json_arg)
{
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	struct client_response res = {0};
	struct client_call call = {.method = method, .path = path, .token = token};
	char *body = NULL;
	int ret = CLIENT_EXIT_PROBLEM;

	if (client_path(path_arg, path, sizeof(path)) != 0) {
		fprintf(stderr, "%s: invalid path: %s\n", client_progname, path_arg);
		return CLIENT_EXIT_USAGE;
	}
	if (json_arg != NULL && (body = client_body(json_arg)) == NULL)
		return CLIENT_EXIT_USAGE;
	call.body = body;
	if (client_load_token(ctx->base_url, token) != 0)
		goto done;
	if (client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	ret = client_report(&res);
done:
	explicit_bzero(token, sizeof(token));
	free(body);
	client_response_free(&res);
	return ret;
}

/* me, get, delete, post, patch, put. */
static int
client_cmd_call(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                const char **opts)
{
	(void)opts;
	if (cmd->max_args == 0)
		return client_call_api(ctx, cmd->method, "/api/v1/me", NULL);
	return client_call_api(ctx, cmd->method, args[0], cmd->max_args == 2 ? args[1] : NULL);
}

/* lockstep receipt EVIDENCE_ID: print the signed receipt. */
static int
client_cmd_receipt(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                   const char **opts)
{
	char path[CLIENT_MAX_PATH];

	(void)cmd;
	(void)opts;
	if (!util_uuid_valid(args[0])) {
		fprintf(stderr, "%s: EVIDENCE_ID is a lower-case UUID\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/evidence/%s/receipt", args[0]);
	return client_call_api(ctx, "GET", path, NULL);
}

/*
 * lockstep name-check ENGAGEMENT_ID FILE: POST the text of FILE ("-":
 * stdin) to /engagements/{id}/name-check and print the answer. Returns 0
 * when no span would hold the release, CLIENT_EXIT_PROBLEM when one would
 * or on a refusal, CLIENT_EXIT_USAGE on bad arguments.
 */
static int
client_cmd_name_check(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                      const char **opts)
{
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	struct client_buf in = {.max = CLIENT_MAX_REQUEST};
	struct client_response res = {0};
	struct client_call call = {.method = "POST", .path = path, .token = token};
	const char *eng = args[0], *file = args[1];
	char *body = NULL;
	json_t *j = NULL;
	int ret = CLIENT_EXIT_USAGE;

	(void)cmd;
	(void)opts;
	token[0] = '\0';
	if (!util_uuid_valid(eng)) {
		fprintf(stderr, "%s: ENGAGEMENT_ID is a lower-case UUID\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(file, "-") == 0) {
		char chunk[8192];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (client_buf_append(&in, chunk, n) != 0) {
				fprintf(stderr, "%s: the text is too large\n", client_progname);
				goto done;
			}
		if (ferror(stdin)) {
			fprintf(stderr, "%s: reading stdin: %s\n", client_progname,
			        strerror(errno));
			goto done;
		}
	} else if (client_read_file(file, CLIENT_MAX_REQUEST, &in) != 0) {
		goto done;
	}
	snprintf(path, sizeof(path), "/api/v1/engagements/%s/name-check", eng);
	/* s% copies in.len bytes; NULL when they are not UTF-8 */
	j = json_pack("{s:s%}", "text", in.data ? in.data : "", in.len);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	j = NULL;
	if (body == NULL) {
		fprintf(stderr, "%s: the text is not UTF-8\n", client_progname);
		goto done;
	}
	ret = CLIENT_EXIT_PROBLEM;
	call.body = body;
	if (client_load_token(ctx->base_url, token) != 0 ||
	    client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	ret = client_report(&res);
	if (ret == 0 && (j = client_response_json(&res)) != NULL &&
	    json_is_true(json_object_get(j, "hold")))
		ret = CLIENT_EXIT_PROBLEM;
done:
	explicit_bzero(token, sizeof(token));
	json_decref(j);
	free(body);
	client_buf_free(&in);
	client_response_free(&res);
	return ret;
}

static int
client_run_upload(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	(void)cmd;
	return client_cmd_upload(ctx, args, opts);
}

static int
client_run_download(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                    const char **opts)
{
	(void)cmd;
	return client_cmd_download(ctx, args, opts);
}

static int
client_run_verify(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	(void)cmd;
	return client_cmd_verify(ctx, args, opts);
}

static int
client_run_import(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	(void)cmd;
	return client_cmd_import(ctx, args, opts);
}

static int
client_run_export(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	(void)cmd;
	return client_cmd_export(ctx, args, opts);
}

static int
client_run_report(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	(void)cmd;
	return client_cmd_report(ctx, args, opts);
}

/* ---- main ---- */

/*
 * Parse a command's own options (getopt_long over argv, argv[0] being the
 * command's name; options may come before, between or after the
 * arguments, "--" ends them) into opts and its positional arguments into
 * *args and *nargs (pointers into argv). Returns 0, or -1 on a usage error
 * (getopt printed it, or a message is printed here).
 */
static int
client_parse_command(const struct client_command *cmd, int argc, char **argv, const char **opts,
                     char ***args, int *nargs)
{
	struct option longopts[CLIENT_MAX_OPTS + 1];
	int n = 0, c;

	memset(longopts, 0, sizeof(longopts));
	for (; n < CLIENT_MAX_OPTS && cmd->opts[n] != NULL; n++) {
		longopts[n].name = cmd->opts[n];
		longopts[n].has_arg = required_argument;
		longopts[n].val = 1000 + n;
		opts[n] = NULL;
	}
	optind = 0; /* GNU: a full re-initialisation for this second argument vector */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == ':') {
			fprintf(stderr, "%s: %s: %s needs a value\n", client_progname, cmd->name,
			        argv[optind - 1]);
			return -1;
		}
		if (c < 1000 || c >= 1000 + n) {
			fprintf(stderr, "%s: %s: unknown option %s\n", client_progname, cmd->name,
			        argv[optind - 1]);
			return -1;
		}
		opts[c - 1000] = optarg;
	}
	*args = argv + optind;
	*nargs = argc - optind;
	if (*nargs < cmd->min_args || *nargs > cmd->max_args) {
		fprintf(stderr, "%s: usage: %s %s %s\n", client_progname, client_progname,
		        cmd->name, cmd->synopsis);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option global[] = {{"url", required_argument, NULL, 'u'},
	                                       {"help", no_argument, NULL, 'h'},
	                                       {"version", no_argument, NULL, 'V'},
	                                       {NULL, 0, NULL, 0}};
	char base_url[CLIENT_MAX_URL + 1];
	const char *url = getenv("LOCKSTEP_URL");
	const char *opts[CLIENT_MAX_OPTS + 1] = {NULL};
	const struct client_command *cmd;
	struct client_ctx ctx = {.base_url = base_url};
	char **args;
	int c, nargs, ret;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');

		client_progname = slash ? slash + 1 : argv[0];
	}
	/* "+": the global options end at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+h", global, NULL)) != -1) {
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 'h':
			client_usage(stdout);
			return 0;
		case 'V':
			printf("lockstep %s\n", PACKAGE_VERSION);
			return 0;
		default:
			client_usage(stderr);
			return CLIENT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		client_usage(stderr);
		return CLIENT_EXIT_USAGE;
	}
	for (cmd = client_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL) {
		fprintf(stderr, "%s: unknown command %s\n", client_progname, argv[optind]);
		client_usage(stderr);
		return CLIENT_EXIT_USAGE;
	}
	if (url == NULL || url[0] == '\0')
		url = CLIENT_DEFAULT_URL;
	if (client_base_url(url, base_url, sizeof(base_url)) != 0) {
		fprintf(stderr, "%s: the server URL must be http:// or https:// without spaces\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (client_parse_command(cmd, argc - optind, argv + optind, opts, &args, &nargs) != 0)
		return CLIENT_EXIT_USAGE;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "%s: cannot initialise libcurl\n", client_progname);
		return CLIENT_EXIT_PROBLEM;
	}
	ret = cmd->run(&ctx, cmd, args, opts);
	curl_global_cleanup();
	return ret;
}

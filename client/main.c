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
 *   lockstep [--url URL] verify SLUG [--key FILE.pem] [--log-key FILE] [--since FILE]
 *            [--witness FILE] [--min-witnesses K] [--save-checkpoint FILE]
 *   lockstep [--url URL] verify-audit [--log-key FILE] [--export FILE]
 *   lockstep witness serve --key FILE --state DIR [--name NAME] [--listen ADDR:PORT]
 *   lockstep [--url URL] name-check ENGAGEMENT_ID FILE   (FILE "-" reads stdin)
 *   lockstep [--url URL] import FILE --engagement ID [--threat-model TM] [--format sarif|csv]
 *   lockstep [--url URL] export ENGAGEMENT_ID --out FILE [--format csv|oscal]
 *   lockstep [--url URL] report ENGAGEMENT_ID --out FILE.html [--pdf FILE.pdf]
 *   lockstep [--url URL] passwd          change your password: the current one from
 *                                        LOCKSTEP_PASSWORD, the new one from
 *                                        LOCKSTEP_NEW_PASSWORD, or both asked for
 *                                        without echo (the new one twice)
 *   lockstep [--url URL] set-password LINK   use an invitation or reset link (or
 *                                        its token): the new password from
 *                                        LOCKSTEP_NEW_PASSWORD or asked for twice
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

#define CLIENT_MAX_OPTS 8

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
static int client_cmd_workflow(const struct client_ctx *, const struct client_command *, char **,
                               const char **);
static int client_cmd_inbox(const struct client_ctx *, const struct client_command *, char **,
                            const char **);
static int client_cmd_mail(const struct client_ctx *, const struct client_command *, char **,
                           const char **);
static int client_cmd_inbox_read(const struct client_ctx *, const struct client_command *, char **,
                                 const char **);
static int client_cmd_comment(const struct client_ctx *, const struct client_command *, char **,
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
static int client_run_witness(const struct client_ctx *, const struct client_command *, char **,
                              const char **);
static int client_run_verify_audit(const struct client_ctx *, const struct client_command *,
                                   char **, const char **);
static int client_cmd_totp(const struct client_ctx *, const struct client_command *, char **,
                           const char **);
static int client_cmd_token(const struct client_ctx *, const struct client_command *, char **,
                            const char **);
static int client_cmd_passwd(const struct client_ctx *, const struct client_command *, char **,
                             const char **);
static int client_cmd_set_password(const struct client_ctx *, const struct client_command *,
                                   char **, const char **);
static int client_cmd_levels(const struct client_ctx *, const struct client_command *, char **,
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
    {"verify",
     "SLUG [--key FILE.pem] [--log-key FILE] [--since CHECKPOINT] [--witness FILE]\n"
     "       [--min-witnesses K] [--save-checkpoint FILE]",
     1,
     1,
     {"key", "log-key", "since", "witness", "min-witnesses", "save-checkpoint", NULL},
     NULL,
     client_run_verify},
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
    {"verify-audit",
     "[--log-key FILE] [--export FILE]",
     0,
     0,
     {"log-key", "export", NULL},
     NULL,
     client_run_verify_audit},
    {"witness",
     "serve --key FILE --state DIR [--name NAME] [--listen ADDR:PORT]",
     1,
     1,
     {"key", "state", "name", "listen", NULL},
     NULL,
     client_run_witness},
    {"totp",
     "enrol [--qr FILE.svg] | confirm CODE | recovery-codes CODE | status | disable [CODE]",
     1,
     2,
     {"qr", NULL},
     NULL,
     client_cmd_totp},
    {"token",
     "create NAME [--days N] [--scopes S,...] | list | revoke ID",
     1,
     2,
     {"days", "scopes", NULL},
     NULL,
     client_cmd_token},
    {"passwd", "", 0, 0, {NULL}, NULL, client_cmd_passwd},
    {"set-password", "LINK", 1, 1, {NULL}, NULL, client_cmd_set_password},
    {"stage", "ENGAGEMENT_ID STAGE", 2, 2, {NULL}, "POST", client_cmd_workflow},
    {"review", "ENGAGEMENT_ID", 1, 1, {NULL}, "GET", client_cmd_workflow},
    {"hold", "ENGAGEMENT_ID", 1, 1, {NULL}, "GET", client_cmd_workflow},
    {"sign-off", "ENGAGEMENT_ID DRAFT_HASH", 2, 2, {NULL}, "POST", client_cmd_workflow},
    {"respond", "ENGAGEMENT_ID DRAFT_HASH FILE", 3, 3, {NULL}, "POST", client_cmd_workflow},
    {"addendum", "ENGAGEMENT_ID DRAFT_HASH FILE", 3, 3, {NULL}, "PUT", client_cmd_workflow},
    {"dashboard", "CAMPAIGN_ID", 1, 1, {NULL}, "GET", client_cmd_workflow},
    {"inbox", "[unread]", 0, 1, {NULL}, NULL, client_cmd_inbox},
    {"inbox-read", "NOTIFICATION_ID|all", 1, 1, {NULL}, NULL, client_cmd_inbox_read},
    {"mail", "[on|off]", 0, 1, {NULL}, NULL, client_cmd_mail},
    {"comment", "FINDING_ID FILE", 2, 2, {NULL}, NULL, client_cmd_comment},
    {"levels", "ENGAGEMENT_ID", 1, 1, {NULL}, NULL, client_cmd_levels},
    {"emulation",
     "ENGAGEMENT_ID [--capability OCn --access K,... [--person-days N] [--from DATE]\n"
     "       [--to DATE] [--rules FILE]]",
     1,
     1,
     {"capability", "access", "person-days", "from", "to", "rules", NULL},
     NULL,
     client_cmd_levels},
    {"commitments", "ENGAGEMENT_ID", 1, 1, {NULL}, NULL, client_cmd_levels},
    {"commit",
     "ENGAGEMENT_ID --framework CODE --version V --level L --text FILE [--link URL]",
     1,
     1,
     {"framework", "version", "level", "text", "link", NULL},
     NULL,
     client_cmd_levels},
    {"verdict", "COMMITMENT_ID VERDICT FILE", 3, 3, {NULL}, NULL, client_cmd_levels},
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
	fprintf(
	    f,
	    "PATH is absolute (/api/v1/orgs) or relative to /api/v1 (orgs); JSON \"-\" reads "
	    "stdin.\n"
	    "The server is --url, else $LOCKSTEP_URL, else " CLIENT_DEFAULT_URL ".\n"
	    "login reads the password from $LOCKSTEP_PASSWORD or asks for it.\n"
	    "upload is resumable (run it again after an interruption) and prints the signed\n"
	    "receipt; download never overwrites OUTFILE and keeps it only if its SHA-256\n"
	    "matches the receipt's. Both check the receipt's signature and that its key_id\n"
	    "is the RFC 7638 thumbprint of the signing key (the JWK's kid).\n"
	    "stage moves an engagement (planned, fieldwork, reporting, review, closed).\n"
	    "review prints the engagement's review draft (JSON, with its hash); sign-off,\n"
	    "respond (the company) and addendum (the assessor) answer the draft whose\n"
	    "DRAFT_HASH you reviewed: a draft that changed meanwhile is refused (409).\n"
	    "hold shows which of the engagement's texts hold its release, with the spans.\n"
	    "dashboard prints a campaign's grid for the coordinator.\n"
	    "verify checks a publication's Ed25519 signature (anonymously) with the\n"
	    "server's key, or with a key you pinned (--key), and that it is in the\n"
	    "transparency log: in a checkpoint signed by the log key (--log-key FILE: its\n"
	    "vkey line, from /.well-known/lockstep/log-key?format=vkey), consistent with a\n"
	    "checkpoint you saved before (--since FILE; --save-checkpoint FILE saves this\n"
	    "one), cosigned by at least K (--min-witnesses) of the witnesses whose keys are\n"
	    "in --witness FILE (one vkey a line); exit 0 valid, 1 not.\n"
	    "verify-audit (as the coordinator) checks the audit chain and that it matches\n"
	    "every audit checkpoint in the transparency log (a re-chained trail does not);\n"
	    "--export FILE keeps the export it checked; exit 0 valid, 1 not.\n"
	    "witness serve runs a C2SP tlog-witness: it cosigns checkpoints of the logs\n"
	    "whose keys are listed in DIR/logs only when they extend the last one it\n"
	    "cosigned (state in DIR; its key --key FILE is made on first use; its\n"
	    "cosignature key is printed and written to DIR/witness.vkey).\n"
	    "name-check prints the spans of a claim or statement text (FILE, \"-\" reads\n"
	    "stdin) that name a company and would hold a pseudonymous release; exit 0\n"
	    "none, 1 some.\n"
	    "inbox lists your notifications (\"unread\": only those), newest first;\n"
	    "inbox-read marks one (or all) read. mail shows whether your notifications\n"
	    "are also mailed to you; mail on|off changes it. comment adds the text of FILE (\"-\"\n"
	    "reads stdin) to a finding's confidential thread; \"get findings/ID/history\"\n"
	    "shows the thread, risk acceptances and retests with every version.\n"
	    "totp enrol starts a second factor (prints the otpauth:// URI, --qr writes the\n"
	    "QR code as SVG); totp confirm CODE turns it on and prints ten recovery codes.\n"
	    "With a second factor, login asks for a code ($LOCKSTEP_TOTP_CODE) after the\n"
	    "password. totp recovery-codes CODE replaces the recovery codes.\n"
	    "totp disable takes a code or a recovery code, or without one asks\n"
	    "for the password ($LOCKSTEP_PASSWORD).\n"
	    "token create makes an API token (shown once): --days (default 30, at most the\n"
	    "server's LOCKSTEP_TOKEN_MAX_DAYS), --scopes from read, findings:write,\n"
	    "evidence:write, claims:write, statements:write, campaigns:write, users:write,\n"
	    "account:write (default read). token list shows your sessions and tokens.\n"
	    "import sends a SARIF 2.1.0 log (*.sarif, *.json) or a CSV file (*.csv; header\n"
	    "title,detail,severity[,threat_model,cwe,atlas,cvss,location,oc_required]) to the\n"
	    "engagement: all or nothing, each error with its JSON pointer or row; importing the "
	    "same\n"
	    "file again creates nothing. --threat-model applies where the file names none.\n"
	    "export writes the engagement's findings as CSV, or the engagement as an OSCAL\n"
	    "1.1 assessment-results document (--format oscal), to a new file (--out).\n"
	    "levels prints, per threat model, the claim, the level the open findings show\n"
	    "not met (not_met_from) and whether the claim contradicts it; exit 0 none, 1 a\n"
	    "contradiction. emulation prints what the engagement emulated, or (the assessor,\n"
	    "with --capability and --access) sets it: --access from external,\n"
	    "stolen-credentials, insider, ai-insider, physical, supply-chain; --rules FILE the\n"
	    "confidential rules of engagement. commitments lists the company's commitments;\n"
	    "commit declares one (the company; --framework from GET vocabulary's framework,\n"
	    "--text FILE, \"-\" reads stdin); verdict (the assessor) gives one a verdict\n"
	    "(supported, refuted, inconclusive, not-assessed) with the public summary FILE.\n"
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
	/* two-step log-in: the password matched and the account has a second
	 * factor; the answer is a challenge to send back with a code */
	if (res.status == 200 &&
	    (ans = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL)) != NULL &&
	    json_is_string(json_object_get(ans, "challenge"))) {
		struct client_call step = {.method = "POST",
		                           .path = "/api/v1/session/second-factor",
		                           .headers = call.headers};
		char code[64], *step_body;
		json_t *sreq;

		if (client_second_factor(code, sizeof(code)) != 0)
			goto done;
		sreq = json_pack("{s:O, s:s}", "challenge", json_object_get(ans, "challenge"),
		                 "code", code);
		explicit_bzero(code, sizeof(code));
		step_body = sreq ? json_dumps(sreq, JSON_COMPACT) : NULL;
		json_decref(sreq);
		json_decref(ans);
		ans = NULL;
		client_response_free(&res);
		memset(&res, 0, sizeof(res));
		if (step_body == NULL) {
			fprintf(stderr, "%s: the code is not valid UTF-8\n", client_progname);
			goto done;
		}
		step.body = step_body;
		if (client_request(ctx->base_url, &step, &res) != 0) {
			free(step_body);
			goto done;
		}
		free(step_body);
	}
	json_decref(ans);
	ans = NULL;
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

/*
 * A new password into out: LOCKSTEP_NEW_PASSWORD, else asked for twice
 * (the two must match). Returns 0, or -1 with a message.
 */
static int
client_new_password(char *out, size_t cap)
{
	char again[CLIENT_MAX_PASSWORD + 1];
	int ret = -1;

	if (getenv("LOCKSTEP_NEW_PASSWORD") != NULL)
		return client_password_ask("LOCKSTEP_NEW_PASSWORD", "", out, cap);
	if (client_password_ask("LOCKSTEP_NEW_PASSWORD", "New password (12+ characters): ", out,
	                        cap) != 0 ||
	    client_password_ask("LOCKSTEP_NEW_PASSWORD", "Repeat the new password: ", again,
	                        sizeof(again)) != 0)
		goto done;
	if (strcmp(out, again) != 0) {
		fprintf(stderr, "%s: the two new passwords differ\n", client_progname);
		goto done;
	}
	ret = 0;
done:
	explicit_bzero(again, sizeof(again));
	if (ret != 0)
		explicit_bzero(out, cap);
	return ret;
}

/*
 * lockstep passwd: change one's own password (PUT /api/v1/me/password).
 * The session in use stays; every other session and API token of the
 * account is logged out by the server.
 */
static int
client_cmd_passwd(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	char token[CLIENT_MAX_TOKEN];
	char current[CLIENT_MAX_PASSWORD + 1], fresh[CLIENT_MAX_PASSWORD + 1];
	struct client_response res = {0};
	struct client_call call = {.method = "PUT", .path = "/api/v1/me/password", .token = token};
	char *body = NULL;
	int ret = CLIENT_EXIT_PROBLEM;

	(void)cmd;
	(void)args;
	(void)opts;
	if (client_load_token(ctx->base_url, token) != 0)
		return CLIENT_EXIT_PROBLEM;
	if (token[0] == '\0') {
		fprintf(stderr, "%s: not logged in at %s (lockstep login EMAIL)\n", client_progname,
		        ctx->base_url);
		return CLIENT_EXIT_PROBLEM;
	}
	if (client_password_ask("LOCKSTEP_PASSWORD", "Current password: ", current,
	                        sizeof(current)) != 0 ||
	    client_new_password(fresh, sizeof(fresh)) != 0)
		goto done;
	/* jansson copies the strings; the JSON text is wiped below */
	{
		json_t *j =
		    json_pack("{s:s, s:s}", "current_password", current, "new_password", fresh);

		body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
	}
	if (body == NULL)
		goto done;
	call.body = body;
	if (client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	if (res.status == 204) {
		fprintf(
		    stderr,
		    "%s: password changed; your other sessions and API tokens were logged out\n",
		    client_progname);
		ret = 0;
	} else
		ret = client_report(&res);
done:
	explicit_bzero(token, sizeof(token));
	explicit_bzero(current, sizeof(current));
	explicit_bzero(fresh, sizeof(fresh));
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	client_response_free(&res);
	return ret;
}

/*
 * lockstep set-password LINK: use an invitation or password-reset link
 * (the whole link, or the 43-character token after "#link=") to set the
 * password (POST /api/v1/account/accept, anonymous). Then log in.
 */
static int
client_cmd_set_password(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                        const char **opts)
{
	char fresh[CLIENT_MAX_PASSWORD + 1];
	struct client_response res = {0};
	struct client_call call = {.method = "POST", .path = "/api/v1/account/accept"};
	const char *tok = strstr(args[0], "#link=");
	char *body = NULL;
	int ret = CLIENT_EXIT_PROBLEM;

	(void)cmd;
	(void)opts;
	tok = tok != NULL ? tok + 6 : args[0];
	if (strlen(tok) != 43 || strspn(tok, CLIENT_DEVICE_CHARS) != 43 || strchr(tok, '.')) {
		fprintf(stderr, "%s: not an invitation or reset link: %s\n", client_progname,
		        args[0]);
		return CLIENT_EXIT_USAGE;
	}
	if (client_new_password(fresh, sizeof(fresh)) != 0)
		goto done;
	{
		json_t *j = json_pack("{s:s, s:s}", "token", tok, "password", fresh);

		body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
	}
	if (body == NULL)
		goto done;
	call.body = body;
	if (client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	if (res.status == 200) {
		fprintf(stderr, "%s: password set; log in with lockstep login EMAIL\n",
		        client_progname);
		ret = 0;
	} else
		ret = client_report(&res);
done:
	explicit_bzero(fresh, sizeof(fresh));
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
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

/*
 * One authenticated call whose answer the caller reads: 0 with *res
 * filled (whatever the status), or an exit status (message printed).
 */
static int
client_api(const struct client_ctx *ctx, const char *method, const char *path, const char *body,
           struct client_response *res)
{
	char token[CLIENT_MAX_TOKEN];
	struct client_call call = {.method = method, .path = path, .token = token, .body = body};
	int ret = CLIENT_EXIT_PROBLEM;

	if (client_load_token(ctx->base_url, token) == 0 &&
	    client_request(ctx->base_url, &call, res) == 0)
		ret = 0;
	explicit_bzero(token, sizeof(token));
	return ret;
}

/* A code argument: printable ASCII, 6..32 characters. */
static int
client_code_arg(const char *s)
{
	size_t n = strlen(s);

	if (n < 6 || n > 32)
		return -1;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return -1;
	return 0;
}

/* lockstep totp enrol|confirm CODE|status|disable [CODE] */
static int
client_cmd_totp(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                const char **opts)
{
	struct client_response res = {0};
	json_t *ans = NULL, *req = NULL;
	char *body = NULL;
	const char *sub = args[0];
	FILE *qr = NULL;
	int ret = CLIENT_EXIT_PROBLEM, want_code;

	(void)cmd;
	want_code = strcmp(sub, "confirm") == 0 || strcmp(sub, "disable") == 0 ||
	            strcmp(sub, "recovery-codes") == 0;
	if ((want_code && args[1] == NULL && strcmp(sub, "disable") != 0) ||
	    (want_code && args[1] != NULL && client_code_arg(args[1]) != 0) ||
	    (!want_code && args[1] != NULL) ||
	    (!want_code && strcmp(sub, "enrol") != 0 && strcmp(sub, "status") != 0) ||
	    (opts[0] != NULL && strcmp(sub, "enrol") != 0)) {
		fprintf(
		    stderr,
		    "%s: usage: totp enrol [--qr FILE.svg] | confirm CODE | recovery-codes CODE | "
		    "status | disable [CODE]\n",
		    client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(sub, "status") == 0) {
		if (client_api(ctx, "GET", "/api/v1/me/totp", NULL, &res) == 0)
			ret = client_report(&res);
		goto done;
	}
	/* the QR file first: a refusal must not leave a new, unseen secret behind */
	if (opts[0] != NULL && (qr = fopen(opts[0], "wx")) == NULL) {
		fprintf(stderr, "%s: cannot create %s (it must not exist yet): %s\n",
		        client_progname, opts[0], strerror(errno));
		goto done;
	}
	if (want_code && args[1] != NULL) {
		req = json_pack("{s:s}", "code", args[1]);
		body = req ? json_dumps(req, JSON_COMPACT) : NULL;
		if (body == NULL)
			goto done;
	} else if (want_code) { /* disable without a code: with the password */
		char password[CLIENT_MAX_PASSWORD + 1];
		json_t *pw;

		if (client_password(password, sizeof(password)) != 0)
			goto done;
		req = json_pack("{s:s}", "password", password);
		explicit_bzero(password, sizeof(password));
		if (req == NULL || (pw = json_object_get(req, "password")) == NULL) {
			fprintf(stderr, "%s: the password is not valid UTF-8\n", client_progname);
			goto done;
		}
		body = json_dumps(req, JSON_COMPACT);
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
		if (body == NULL)
			goto done;
	}
	if (client_api(ctx, "POST",
	               strcmp(sub, "enrol") == 0            ? "/api/v1/me/totp"
	               : strcmp(sub, "confirm") == 0        ? "/api/v1/me/totp/confirm"
	               : strcmp(sub, "recovery-codes") == 0 ? "/api/v1/me/totp/recovery-codes"
	                                                    : "/api/v1/me/totp/disable",
	               body, &res) != 0)
		goto done;
	if (res.status < 200 || res.status >= 300 || strcmp(sub, "disable") == 0) {
		ret = client_report(&res);
		if (res.status == 204)
			fprintf(stderr,
			        "%s: the second factor is off; log-in takes the password only\n",
			        client_progname);
		goto done;
	}
	if ((ans = client_response_json(&res)) == NULL) {
		fprintf(stderr, "%s: the server's answer is not JSON\n", client_progname);
		goto done;
	}
	if (strcmp(sub, "enrol") == 0) {
		const char *uri = json_string_value(json_object_get(ans, "uri"));
		const char *secret = json_string_value(json_object_get(ans, "secret"));
		const char *svg = json_string_value(json_object_get(ans, "qr_svg"));

		if (uri == NULL || secret == NULL || svg == NULL) {
			fprintf(stderr, "%s: the server's answer holds no URI\n", client_progname);
			goto done;
		}
		if (qr != NULL) {
			int bad = fputs(svg, qr) < 0;

			bad |= fclose(qr) != 0;
			qr = NULL;
			if (bad) {
				fprintf(stderr, "%s: cannot write %s: %s\n", client_progname,
				        opts[0], strerror(errno));
				goto done;
			}
		}
		printf("Add this account to your authenticator app with this URI%s:\n\n  ",
		       opts[0] != NULL ? " or the QR code just written" : "");
		client_put_clean_str(stdout, uri);
		printf("\n\nor type the secret by hand: ");
		client_put_clean_str(stdout, secret);
		printf("\n\nThen turn the second factor on with the code the app shows:\n\n"
		       "  %s totp confirm CODE\n",
		       client_progname);
	} else {
		json_t *codes = json_object_get(ans, "recovery_codes"), *v;
		size_t i;

		printf("%s"
		       "Recovery codes (each works once, instead of a code; they are not shown\n"
		       "again, keep them somewhere safe):\n\n",
		       strcmp(sub, "confirm") == 0
		           ? "The second factor is on: log-in now asks for a "
		             "code after the password.\n"
		           : "New recovery codes: the old ones no longer "
		             "work.\n");
		json_array_foreach(codes, i, v)
		{
			printf("  ");
			client_put_clean_str(stdout,
			                     json_string_value(v) ? json_string_value(v) : "");
			printf("\n");
		}
	}
	ret = fflush(stdout) == 0 ? 0 : CLIENT_EXIT_PROBLEM;
done:
	if (body != NULL)
		explicit_bzero(body, strlen(body));
	if (qr != NULL) { /* not written: remove the empty file we made */
		fclose(qr);
		unlink(opts[0]);
	}
	json_decref(ans);
	json_decref(req);
	free(body);
	client_response_free(&res);
	return ret;
}

/* lockstep token create NAME [--days N] [--scopes S,...] | list | revoke ID */
static int
client_cmd_token(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                 const char **opts)
{
	struct client_response res = {0};
	char path[CLIENT_MAX_PATH];
	json_t *req = NULL, *scopes = NULL;
	char *body = NULL;
	const char *sub = args[0];
	long long days = 30;
	int ret = CLIENT_EXIT_PROBLEM;

	(void)cmd;
	if ((strcmp(sub, "create") == 0 && args[1] == NULL) ||
	    (strcmp(sub, "revoke") == 0 && args[1] == NULL) ||
	    (strcmp(sub, "list") == 0 && args[1] != NULL) ||
	    (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 &&
	     strcmp(sub, "revoke") != 0) ||
	    (strcmp(sub, "create") != 0 && (opts[0] != NULL || opts[1] != NULL)) ||
	    (opts[0] != NULL && util_strnum(opts[0], 1, 365, &days) != 0)) {
		fprintf(
		    stderr,
		    "%s: usage: token create NAME [--days N] [--scopes S,...] | list | revoke ID\n",
		    client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0) {
		if (client_api(ctx, "GET", "/api/v1/tokens", NULL, &res) == 0)
			ret = client_report(&res);
		goto done;
	}
	if (strcmp(sub, "revoke") == 0) {
		if (strlen(args[1]) != 36 || strspn(args[1], "0123456789abcdefABCDEF-") != 36) {
			fprintf(stderr, "%s: %s is not a token id (see token list)\n",
			        client_progname, args[1]);
			return CLIENT_EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/api/v1/tokens/%s", args[1]);
		if (client_api(ctx, "DELETE", path, NULL, &res) == 0)
			ret = client_report(&res);
		goto done;
	}
	req = json_pack("{s:s, s:I}", "name", args[1], "ttl_days", (json_int_t)days);
	if (req != NULL && opts[1] != NULL) {
		const char *p = opts[1];

		scopes = json_array();
		while (scopes != NULL && *p != '\0') {
			size_t n = strcspn(p, ",");

			if (n > 0)
				json_array_append_new(scopes, json_stringn(p, n));
			p += n;
			if (*p == ',')
				p++;
		}
		json_object_set_new(req, "scopes", scopes);
	}
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "%s: the name or scopes are not valid UTF-8\n", client_progname);
		ret = CLIENT_EXIT_USAGE;
		goto done;
	}
	if (client_api(ctx, "POST", "/api/v1/tokens", body, &res) != 0)
		goto done;
	ret = client_report(&res);
	if (res.status == 201)
		fprintf(stderr,
		        "%s: the token is shown this once; send it as \"Authorization: Bearer "
		        "<token>\"\n",
		        client_progname);
done:
	json_decref(req);
	free(body);
	client_response_free(&res);
	return ret;
}

/* lockstep inbox [unread]: the caller's notifications, newest first. */
static int
client_cmd_inbox(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                 const char **opts)
{
	(void)cmd;
	(void)opts;
	if (args[0] != NULL && strcmp(args[0], "unread") != 0) {
		fprintf(stderr, "%s: inbox takes only \"unread\"\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	return client_call_api(
	    ctx, "GET",
	    args[0] != NULL ? "/api/v1/inbox?unread=1&limit=200" : "/api/v1/inbox?limit=200", NULL);
}

/* lockstep mail [on|off]: show or set whether notifications are mailed too. */
static int
client_cmd_mail(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                const char **opts)
{
	(void)cmd;
	(void)opts;
	if (args[0] == NULL)
		return client_call_api(ctx, "GET", "/api/v1/me/notifications", NULL);
	if (strcmp(args[0], "on") != 0 && strcmp(args[0], "off") != 0) {
		fprintf(stderr, "%s: mail takes \"on\" or \"off\"\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	return client_call_api(ctx, "PUT", "/api/v1/me/notifications",
	                       strcmp(args[0], "on") == 0 ? "{\"email\":true}"
	                                                  : "{\"email\":false}");
}

/* lockstep inbox-read ID|all: mark one notification, or all, read. */
static int
client_cmd_inbox_read(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                      const char **opts)
{
	char path[CLIENT_MAX_PATH];

	(void)cmd;
	(void)opts;
	if (strcmp(args[0], "all") == 0)
		return client_call_api(ctx, "POST", "/api/v1/inbox/read-all", NULL);
	if (!util_uuid_valid(args[0])) {
		fprintf(stderr, "%s: NOTIFICATION_ID is a lower-case UUID (or \"all\")\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/inbox/%s/read", args[0]);
	return client_call_api(ctx, "POST", path, NULL);
}

/*
 * lockstep comment FINDING_ID FILE: POST the text of FILE ("-": stdin) as
 * a comment on the finding and print the comment.
 */
static int
client_cmd_comment(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                   const char **opts)
{
	char path[CLIENT_MAX_PATH];
	struct client_buf in = {.max = CLIENT_MAX_REQUEST};
	char *body = NULL;
	json_t *j;
	int ret = CLIENT_EXIT_USAGE;

	(void)cmd;
	(void)opts;
	if (!util_uuid_valid(args[0])) {
		fprintf(stderr, "%s: FINDING_ID is a lower-case UUID\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(args[1], "-") == 0) {
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
	} else if (client_read_file(args[1], CLIENT_MAX_REQUEST, &in) != 0) {
		goto done;
	}
	/* s% copies in.len bytes; NULL when they are not UTF-8 */
	j = json_pack("{s:s%}", "body", in.data ? in.data : "", in.len);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		fprintf(stderr, "%s: the text is not UTF-8\n", client_progname);
		goto done;
	}
	snprintf(path, sizeof(path), "/api/v1/findings/%s/comments", args[0]);
	ret = client_call_api(ctx, "POST", path, body);
done:
	free(body);
	client_buf_free(&in);
	return ret;
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

/* Read FILE ("-": stdin) into in. 0, or -1 (reported). */
static int
client_read_text(const char *file, struct client_buf *in)
{
	if (strcmp(file, "-") == 0) {
		char chunk[8192];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (client_buf_append(in, chunk, n) != 0) {
				fprintf(stderr, "%s: the text is too large\n", client_progname);
				return -1;
			}
		if (ferror(stdin)) {
			fprintf(stderr, "%s: reading stdin: %s\n", client_progname,
			        strerror(errno));
			return -1;
		}
		return 0;
	}
	return client_read_file(file, CLIENT_MAX_REQUEST, in) == 0 ? 0 : -1;
}

/* 1 if s is 64 lower-case hex digits. */
static int
client_valid_hash(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return n == 64;
}

/*
 * The workflow commands (issue 11): stage, review, hold, sign-off,
 * respond, addendum, dashboard. Checks the ids and hash locally (usage error), then
 * one API call; prints its JSON answer. Returns the exit status.
 */
static int
client_cmd_workflow(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                    const char **opts)
{
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	struct client_buf in = {.max = CLIENT_MAX_REQUEST};
	struct client_response res = {0};
	struct client_call call = {.method = cmd->method, .path = path, .token = token};
	const char *name = cmd->name, *id = args[0];
	char *body = NULL;
	json_t *j = NULL;
	int ret = CLIENT_EXIT_USAGE;

	(void)opts;
	token[0] = '\0';
	if (!util_uuid_valid(id)) {
		fprintf(stderr, "%s: %s is a lower-case UUID\n", client_progname,
		        strcmp(name, "dashboard") == 0 ? "CAMPAIGN_ID" : "ENGAGEMENT_ID");
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(name, "stage") == 0) {
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/stage", id);
		j = json_pack("{s:s}", "stage", args[1]);
	} else if (strcmp(name, "review") == 0 || strcmp(name, "hold") == 0) {
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/%s", id, name);
	} else if (strcmp(name, "dashboard") == 0) {
		snprintf(path, sizeof(path), "/api/v1/campaigns/%s/dashboard", id);
	} else {
		if (!client_valid_hash(args[1])) {
			fprintf(stderr, "%s: DRAFT_HASH is the 64 hex digits of the draft's hash\n",
			        client_progname);
			return CLIENT_EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/review/%s", id,
		         strcmp(name, "respond") == 0 ? "response" : name);
		if (strcmp(name, "sign-off") == 0)
			j = json_pack("{s:s}", "draft_hash", args[1]);
		else {
			if (client_read_text(args[2], &in) != 0)
				goto done;
			/* s% copies in.len bytes; NULL when they are not UTF-8 */
			j = json_pack("{s:s, s:s%}", "draft_hash", args[1], "text",
			              in.data ? in.data : "", in.len);
			if (j == NULL) {
				fprintf(stderr, "%s: the text is not UTF-8\n", client_progname);
				goto done;
			}
		}
	}
	if (j != NULL && (body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto done;
	ret = CLIENT_EXIT_PROBLEM;
	call.body = body;
	if (client_load_token(ctx->base_url, token) != 0 ||
	    client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	ret = client_report(&res);
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
client_run_verify_audit(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                        const char **opts)
{
	(void)cmd;
	(void)args;
	return client_cmd_verify_audit(ctx, opts);
}

static int
client_run_witness(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                   const char **opts)
{
	(void)ctx;
	(void)cmd;
	return client_cmd_witness(args, opts);
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

/*
 * Security levels (issue 14): levels, emulation, commitments, commit,
 * verdict. Each builds its request here; the answer is printed as any
 * other (client_report). levels exits 1 when a claim is contradicted.
 */
static int
client_cmd_levels(const struct client_ctx *ctx, const struct client_command *cmd, char **args,
                  const char **opts)
{
	char path[CLIENT_MAX_PATH];
	struct client_buf in = {.max = CLIENT_MAX_REQUEST};
	struct client_response res = {0};
	const char *name = cmd->name, *method = "GET";
	json_t *j = NULL;
	char *body = NULL;
	int ret = CLIENT_EXIT_USAGE;

	if (!util_uuid_valid(args[0])) {
		fprintf(stderr, "%s: %s is a lower-case UUID\n", client_progname,
		        strcmp(name, "verdict") == 0 ? "COMMITMENT_ID" : "ENGAGEMENT_ID");
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(name, "levels") == 0) {
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/levels", args[0]);
	} else if (strcmp(name, "commitments") == 0) {
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/commitments", args[0]);
	} else if (strcmp(name, "emulation") == 0) {
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/emulation", args[0]);
		if (opts[0] != NULL || opts[1] != NULL || opts[2] != NULL || opts[3] != NULL ||
		    opts[4] != NULL || opts[5] != NULL) {
			json_t *acc = json_array();
			char *copy, *tok, *save = NULL;

			if (opts[0] == NULL || opts[1] == NULL) {
				fprintf(stderr,
				        "%s: emulation: --capability and --access go together\n",
				        client_progname);
				json_decref(acc);
				return CLIENT_EXIT_USAGE;
			}
			if ((copy = strdup(opts[1])) == NULL) {
				json_decref(acc);
				return CLIENT_EXIT_PROBLEM;
			}
			for (tok = strtok_r(copy, ", ", &save); tok;
			     tok = strtok_r(NULL, ", ", &save))
				json_array_append_new(acc, json_string(tok));
			free(copy);
			method = "PUT";
			j = json_pack("{s:s, s:o}", "capability", opts[0], "access", acc);
			if (j != NULL && opts[2] != NULL) {
				char *end = NULL;
				long long n = strtoll(opts[2], &end, 10);

				if (end == opts[2] || *end != '\0' || n < 0 || n > 100000) {
					fprintf(stderr,
					        "%s: --person-days is a whole number 0-100000\n",
					        client_progname);
					goto done;
				}
				json_object_set_new(j, "person_days", json_integer(n));
			}
			if (j != NULL && opts[3] != NULL)
				json_object_set_new(j, "fieldwork_from", json_string(opts[3]));
			if (j != NULL && opts[4] != NULL)
				json_object_set_new(j, "fieldwork_to", json_string(opts[4]));
			if (j != NULL && opts[5] != NULL) {
				if (client_read_text(opts[5], &in) != 0)
					goto done;
				/* NULL when the bytes are not UTF-8 */
				json_t *rules = json_stringn(in.data ? in.data : "", in.len);

				if (rules == NULL) {
					fprintf(stderr, "%s: the rules are not UTF-8\n",
					        client_progname);
					goto done;
				}
				json_object_set_new(j, "rules_of_engagement", rules);
			}
		}
	} else if (strcmp(name, "commit") == 0) {
		snprintf(path, sizeof(path), "/api/v1/engagements/%s/commitments", args[0]);
		if (opts[0] == NULL || opts[1] == NULL || opts[2] == NULL || opts[3] == NULL) {
			fprintf(stderr,
			        "%s: commit needs --framework, --version, --level and --text\n",
			        client_progname);
			return CLIENT_EXIT_USAGE;
		}
		if (client_read_text(opts[3], &in) != 0)
			goto done;
		method = "POST";
		/* s% copies in.len bytes; NULL when they are not UTF-8 */
		j = json_pack("{s:s, s:s, s:s, s:s%}", "framework", opts[0], "version", opts[1],
		              "level", opts[2], "text", in.data ? in.data : "", in.len);
		if (j != NULL && opts[4] != NULL)
			json_object_set_new(j, "link", json_string(opts[4]));
		if (j == NULL) {
			fprintf(stderr, "%s: the arguments or the text are not UTF-8\n",
			        client_progname);
			goto done;
		}
	} else {
		snprintf(path, sizeof(path), "/api/v1/commitments/%s/verdict", args[0]);
		if (client_read_text(args[2], &in) != 0)
			goto done;
		method = "PUT";
		j = json_pack("{s:s, s:s%}", "verdict", args[1], "summary", in.data ? in.data : "",
		              in.len);
		if (j == NULL) {
			fprintf(stderr, "%s: the summary is not UTF-8\n", client_progname);
			goto done;
		}
	}
	if (j != NULL && (body = json_dumps(j, JSON_COMPACT)) == NULL) {
		ret = CLIENT_EXIT_PROBLEM;
		goto done;
	}
	if ((ret = client_api(ctx, method, path, body, &res)) != 0)
		goto done;
	ret = client_report(&res);
	if (ret == 0 && strcmp(name, "levels") == 0) {
		json_t *ans = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);

		if (json_array_size(json_object_get(ans, "contradictions")) > 0)
			ret = 1;
		json_decref(ans);
	}
done:
	json_decref(j);
	free(body);
	client_buf_free(&in);
	client_response_free(&res);
	return ret;
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

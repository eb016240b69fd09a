/*
 * client: the lockstep command-line client (see main.c for the commands).
 *
 *   main.c      getopt, the command table, the small commands
 *   config.c    the token file beside the server URL it belongs to, the
 *               password prompt
 *   http.c      one request answered in memory, printing answers
 *   transfer.c  the one streamed upload/download routine; uploads go
 *               through tus and resume after a dropped connection or an
 *               interrupted run
 *   verify.c    publication and receipt signatures, with the server's
 *               libls_crypto (Ed25519, SHA-256) and canonical JSON
 *
 * No module touches OpenSSL: hashing and signatures go through
 * server/crypto/ (libls_crypto), canonical JSON through server/publish/.
 *
 * Exit statuses: 0 success, CLIENT_EXIT_PROBLEM (1) a refusal, transport
 * error, mismatch or a publication that does not verify,
 * CLIENT_EXIT_USAGE (2) a usage error.
 */
#ifndef LOCKSTEP_CLIENT_H
#define LOCKSTEP_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>

#include "crypto/crypto.h"

#define CLIENT_DEFAULT_URL "http://127.0.0.1:8080"
#define CLIENT_MAX_RESPONSE (16u * 1024 * 1024)
#define CLIENT_MAX_REQUEST (16u * 1024 * 1024)
#define CLIENT_MAX_PATH 4096
#define CLIENT_MAX_URL 2048
#define CLIENT_MAX_TOKEN 512
#define CLIENT_MAX_PASSWORD 1024
#define CLIENT_MAX_KEY_FILE (64u * 1024)
/* An upload or download aborts when under 1 byte/s for this long. */
#define CLIENT_STALL_SECONDS 120L
#define CLIENT_SHA256_HEX (2 * CRYPTO_SHA256_LEN + 1)

#define CLIENT_EXIT_PROBLEM 1
#define CLIENT_EXIT_USAGE 2

/* A status that must not be ignored (PgBouncer's _MUSTCHECK). */
#define CLIENT_MUSTCHECK __attribute__((warn_unused_result))

/* The program name for messages ("lockstep" unless argv[0] says otherwise). */
extern const char *client_progname;

/* What every command receives: the normalised server URL (no trailing slash). */
struct client_ctx {
	const char *base_url;
};

/* ---- http.c: buffers, requests answered in memory, printing ---- */

/* A growing byte buffer, bounded by max. */
struct client_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int overflow;
};

/*
 * Append n bytes to b, growing it; refuses (returns -1, sets overflow)
 * past b->max, or returns -1 when out of memory. 0 on success.
 */
CLIENT_MUSTCHECK int client_buf_append(struct client_buf *b, const void *p, size_t n);

/* Wipe and free a buffer's bytes. Accepts an empty buffer. */
void client_buf_free(struct client_buf *b);

/* Response headers a call may ask to keep (client_call.keep). */
#define CLIENT_KEEP_MAX 4

/* One request. Unset members mean: GET, no token, no body, no extra headers. */
struct client_call {
	const char *method; /* NULL: GET */
	const char *path;   /* appended to the base URL */
	const char *token;  /* bearer token, NULL or "" for none */
	const char *body;   /* request body (JSON unless headers name a Content-Type), or NULL */
	const char *const *headers; /* NULL-terminated extra header lines, or NULL */
	const char *const *keep;    /* NULL-terminated response header names to keep */
	long timeout;               /* seconds; 0: 300 */
};

/* One HTTP answer. */
struct client_response {
	long status;
	char *content_type;          /* malloc'd or NULL */
	char *kept[CLIENT_KEEP_MAX]; /* the call's keep headers, malloc'd or NULL */
	struct client_buf body;      /* at most CLIENT_MAX_RESPONSE bytes */
};

/*
 * A curl handle for url with what every request shares: http(s) only, no
 * redirects, the user agent, errbuf (CURL_ERROR_SIZE bytes), and as
 * headers the NULL-terminated extra lines plus, unless token is NULL or
 * "", the bearer token. Returns the handle (curl_easy_cleanup) and in *hdr
 * the header list (curl_slist_free_all after the handle), or NULL when out
 * of memory (message printed).
 */
CURL *client_curl_new(const char *url, const char *token, const char *const *extra,
                      struct curl_slist **hdr, char *errbuf);

/*
 * Send one request to base_url + call->path and keep the answer in memory.
 * Fills res (free with client_response_free, also after a failure).
 * Returns 0 when an answer arrived (whatever its status), -1 on a
 * transport error or an oversized answer (message printed).
 */
CLIENT_MUSTCHECK int client_request(const char *base_url, const struct client_call *call,
                                    struct client_response *res);

void client_response_free(struct client_response *res);

/*
 * Print an answer: a 2xx JSON body pretty on stdout (other bodies as
 * cleaned text); anything else as "HTTP status title: detail" on stderr.
 * Returns the exit status: 0 for 2xx, CLIENT_EXIT_PROBLEM otherwise.
 */
int client_report(const struct client_response *res);

/* The body parsed as JSON (new reference, NULL if it is not JSON). */
json_t *client_response_json(const struct client_response *res);

/*
 * Write server-supplied text to f with control characters (but for
 * newline and tab) replaced, so that an answer cannot drive the terminal.
 */
void client_put_clean(FILE *f, const char *s, size_t n);
void client_put_clean_str(FILE *f, const char *s);

/* "12.3 MiB" for n bytes into out. */
void client_fmt_size(long long n, char *out, size_t outlen);

/* ---- config.c: where the token lives, the password prompt ---- */

/*
 * The directory that holds the token: $XDG_CONFIG_HOME/lockstep or
 * $HOME/.config/lockstep. Returns 0 and fills out, or -1 if neither
 * variable is usable or the path would not fit.
 */
CLIENT_MUSTCHECK int client_config_dir(char *out, size_t outlen);

/* mkdir -p for dir (absolute), new directories mode 0700. -1 on failure. */
CLIENT_MUSTCHECK int client_mkdirs(const char *dir);

/*
 * Read a small private file (at most cap-1 bytes, first line only) into
 * out. Returns 1 if read, 0 if it does not exist, -1 on error (message
 * printed), including a file that others may read or that is not ours.
 */
CLIENT_MUSTCHECK int client_read_private(const char *path, char *out, size_t cap);

/*
 * Replace path with data (plus a newline) atomically, mode 0600: write a
 * temporary file beside it, then rename. Returns 0, or -1 with a message.
 */
CLIENT_MUSTCHECK int client_write_private(const char *path, const char *data);

/*
 * The saved token for base_url into token (CLIENT_MAX_TOKEN bytes), or ""
 * when there is none or it belongs to another server (with a warning).
 * Returns 0, or -1 when the token file is unsafe or unreadable.
 */
CLIENT_MUSTCHECK int client_load_token(const char *base_url, char *token);

/*
 * The password: $LOCKSTEP_PASSWORD, else read from the terminal without
 * echo. Fills out (cap bytes). Returns 0, or -1 with a message.
 */
CLIENT_MUSTCHECK int client_password(char *out, size_t cap);
/*
 * The second factor of a two-step log-in: $LOCKSTEP_TOTP_CODE, else asked
 * on the terminal. Returns 0 or -1 (message printed).
 */
CLIENT_MUSTCHECK int client_second_factor(char *out, size_t cap);

/* As client_password, from the variable env_name, else asking with prompt. */
CLIENT_MUSTCHECK int client_password_ask(const char *env_name, const char *prompt, char *out,
                                         size_t cap);

/*
 * Read a whole small file (at most max bytes) into b (b->max is set).
 * Returns 0, or -1 with a message.
 */
CLIENT_MUSTCHECK int client_read_file(const char *path, size_t max, struct client_buf *b);

/* ---- verify.c: signatures ---- */

/*
 * The server's Ed25519 signing key (anonymous GET of
 * /.well-known/lockstep/signing-key?format=pem). Returns 0, or -1 with a
 * message.
 */
CLIENT_MUSTCHECK int client_server_key(const char *base_url,
                                       unsigned char pub[CRYPTO_ED25519_PUB_LEN]);

/*
 * Check a signed evidence receipt answer {receipt, signature, algorithm,
 * key_id}: the Ed25519 signature over the canonical JSON of "receipt"
 * with pub. Returns 1 valid, 0 not (why in *why, a static string).
 */
CLIENT_MUSTCHECK int client_receipt_valid(const json_t *answer,
                                          const unsigned char pub[CRYPTO_ED25519_PUB_LEN],
                                          const char **why);

/*
 * The receipt's sha256 (64 lower-case hex digits) and size from a receipt
 * answer. Returns 0, or -1 if they are missing or malformed.
 */
CLIENT_MUSTCHECK int client_receipt_fields(const json_t *answer, const char **sha256,
                                           json_int_t *size);

/* ---- tlog.c: the transparency log ---- */

#include "tlog/tlog.h"

#define CLIENT_MAX_WITNESSES 32

struct client_log_opts {
	struct tlog_vkey log_key;                  /* the log's key (pinned or the server's) */
	unsigned char pub[CRYPTO_ED25519_PUB_LEN]; /* the publication key, for corrections */
	const char *since;                         /* a pinned checkpoint file, or NULL */
	const char *save; /* where to save the checkpoint verified, or NULL */
	struct tlog_vkey witnesses[CLIENT_MAX_WITNESSES];
	size_t nwitnesses;
	int min_witnesses;
};

/*
 * The log's verifier key from file (a C2SP vkey line), or from the server
 * when file is NULL. Returns 0, or -1 with a message.
 */
CLIENT_MUSTCHECK int client_log_key(const char *base_url, const char *file, struct tlog_vkey *k);

/* Witness cosignature keys (vkeys of type 0x04, one a line) from file. 0, or -1 with a message. */
CLIENT_MUSTCHECK int client_witness_keys(const char *file, struct tlog_vkey *keys, size_t max,
                                         size_t *n);

/*
 * Check that the publication whose document hashes to doc_hash_hex (with
 * sequence seq) is in a checkpoint signed by o->log_key, consistent with
 * the pinned one (o->since), cosigned by at least o->min_witnesses of
 * o->witnesses, and that every row of doc matches its commitment in the
 * log (commit-then-reveal). Returns 0 with *report (new reference), or -1
 * with *why.
 */
int client_log_check(const char *base_url, const char *doc_hash_hex, long long seq,
                     const json_t *doc, const struct client_log_opts *o, json_t **report,
                     const char **why);

/* ---- audit.c ---- */

/* lockstep verify-audit [--log-key FILE] [--export FILE]. The exit status. */
int client_cmd_verify_audit(const struct client_ctx *ctx, const char **opts);

/* ---- witness.c ---- */

/* lockstep witness serve --key FILE --state DIR [--name N] [--listen A:P]. The exit status. */
int client_cmd_witness(char **args, const char **opts);

/* lockstep verify SLUG [--key FILE.pem]. Returns the exit status. */
int client_cmd_verify(const struct client_ctx *ctx, char **args, const char **opts);

/* ---- transfer.c: streamed uploads and downloads ---- */

/* lockstep upload ENGAGEMENT_ID FILE [--name N] [--finding ID] [--type T]. */
int client_cmd_upload(const struct client_ctx *ctx, char **args, const char **opts);

/* lockstep download EVIDENCE_ID OUTFILE. */
int client_cmd_download(const struct client_ctx *ctx, char **args, const char **opts);

/* ---- formats.c: import and export of findings ---- */

/* lockstep import FILE --engagement ID [--threat-model TM] [--format sarif|csv]: exit status */
int client_cmd_import(const struct client_ctx *ctx, char **args, const char **opts);
/* lockstep export ENGAGEMENT_ID --out FILE [--format csv|oscal]: exit status */
int client_cmd_export(const struct client_ctx *ctx, char **args, const char **opts);
/*
 * lockstep report ENGAGEMENT_ID --out FILE.html [--pdf FILE.pdf]: the
 * printable report, its stylesheet inlined; --pdf prints it with a local
 * headless Chromium. Exit status.
 */
int client_cmd_report(const struct client_ctx *ctx, char **args, const char **opts);
/* Write n bytes to a new file (0600, O_EXCL, no symlink). 0 or -1 (message printed). */
int client_write_new(const char *out, const char *buf, size_t n);

#endif

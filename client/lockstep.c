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
 *
 * PATH is either absolute ("/api/v1/orgs") or relative to /api/v1
 * ("orgs"). The server comes from --url, else LOCKSTEP_URL, else
 * http://127.0.0.1:8080. The session token is kept, mode 0600, in
 * $XDG_CONFIG_HOME/lockstep/token (or ~/.config/lockstep/token); the
 * server it belongs to is kept beside it in "url", and the token is never
 * sent to another server.
 *
 * upload streams FILE (a regular file, never held in memory) as the raw
 * body of POST /api/v1/engagements/{id}/evidence and prints the signed
 * receipt; download streams the bytes into OUTFILE, which it creates (0600,
 * never overwriting) and removes again unless the whole file arrived and
 * its SHA-256 matches the receipt's.
 *
 * verify checks a publication anonymously (no token is sent): its exact
 * bytes against the Ed25519 signature, with the server's published key or
 * a pinned PEM key file (--key), the SHA-256 the server states, and that
 * the signed document is SLUG's. It prints {slug, verified, sha256,
 * prev_hash, sequence, key, key_source} and exits 0 only when all hold.
 *
 * Exit status: 0 on a 2xx answer (verify: a valid publication), 1 on a
 * refusal (its problem title and detail go to stderr), a transport error,
 * a SHA-256 mismatch or a publication that does not verify, 2 on a usage
 * error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "util/json.h"
#include "util/util.h"

#define CLIENT_DEFAULT_URL "http://127.0.0.1:8080"
#define CLIENT_MAX_RESPONSE (16u * 1024 * 1024)
#define CLIENT_MAX_REQUEST (16u * 1024 * 1024)
#define CLIENT_MAX_PATH 4096
#define CLIENT_MAX_URL 2048
#define CLIENT_MAX_TOKEN 512
#define CLIENT_MAX_PASSWORD 1024
/* An upload or download aborts when under 1 byte/s for this long. */
#define CLIENT_STALL_SECONDS 120L
#define CLIENT_SHA256_LEN 32

#define EXIT_PROBLEM 1
#define EXIT_USAGE 2

/* A growing byte buffer, bounded by max. */
struct client_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int overflow;
};

/* One HTTP answer. */
struct client_response {
	long status;
	char *content_type; /* malloc'd or NULL */
	struct client_buf body;
};

static const char *progname = "lockstep";

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [--url URL] login EMAIL\n"
	        "       %s [--url URL] logout | me\n"
	        "       %s [--url URL] get PATH | delete PATH\n"
	        "       %s [--url URL] post|patch|put PATH JSON   (JSON \"-\" reads stdin)\n"
	        "       %s [--url URL] upload ENGAGEMENT_ID FILE [--name NAME] [--finding ID]\n"
	        "                                        [--type TYPE]\n"
	        "       %s [--url URL] download EVIDENCE_ID OUTFILE\n"
	        "       %s [--url URL] receipt EVIDENCE_ID\n"
	        "       %s [--url URL] verify SLUG [--key FILE.pem]\n"
	        "       %s [--url URL] name-check ENGAGEMENT_ID FILE   (FILE \"-\" reads stdin)\n"
	        "PATH is absolute (/api/v1/orgs) or relative to /api/v1 (orgs).\n"
	        "The server is --url, else $LOCKSTEP_URL, else " CLIENT_DEFAULT_URL ".\n"
	        "login reads the password from $LOCKSTEP_PASSWORD or asks for it.\n"
	        "upload prints the signed receipt; download never overwrites OUTFILE and\n"
	        "keeps it only if its SHA-256 matches the receipt's.\n"
	        "verify checks a publication's Ed25519 signature (anonymously) with the\n"
	        "server's key, or with a key you pinned (--key); exit 0 valid, 1 not.\n"
	        "name-check prints the spans of a claim or statement text that name a\n"
	        "company and would hold a pseudonymous release; exit 0 none, 1 some.\n",
	        progname, progname, progname, progname, progname, progname, progname, progname,
	        progname);
}

/* ---- small helpers ---- */

/*
 * Append n bytes to b, growing it; refuses (returns -1, sets overflow)
 * past b->max, or returns -1 when out of memory. 0 on success.
 */
static int
client_buf_append(struct client_buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Wipe and free a buffer's bytes. Accepts an empty buffer. */
static void
client_buf_free(struct client_buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

/*
 * Write server-supplied text to f with control characters (but for
 * newline and tab) replaced, so that an answer cannot drive the terminal.
 */
static void
client_put_clean(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fputc('?', f);
		else
			fputc(c, f);
	}
}

static void
client_put_clean_str(FILE *f, const char *s)
{
	client_put_clean(f, s, strlen(s));
}

/* ---- configuration: server URL and the token file ---- */

/*
 * The directory that holds the token: $XDG_CONFIG_HOME/lockstep or
 * $HOME/.config/lockstep. Returns 0 and fills out, or -1 if neither
 * variable is usable or the path would not fit.
 */
static int
client_config_dir(char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/lockstep", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, outlen, "%s/.config/lockstep", home);
	else
		return -1;
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* mkdir -p for dir (absolute), new directories mode 0700. -1 on failure. */
static int
client_mkdirs(const char *dir)
{
	char tmp[CLIENT_MAX_PATH];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/*
 * Read a small private file (at most cap-1 bytes, first line only) into
 * out. Returns 1 if read, 0 if it does not exist, -1 on error (message
 * printed), including a file that others may read or that is not ours.
 */
static int
client_read_private(const char *path, char *out, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		fprintf(
		    stderr,
		    "%s: %s: not a private regular file of yours (chmod 600 it, or log in again)\n",
		    progname, path);
		close(fd);
		return -1;
	}
	n = read(fd, out, cap - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 1;
}

/*
 * Replace path with data (plus a newline) atomically, mode 0600: write a
 * temporary file beside it, then rename. Returns 0, or -1 with a message.
 */
static int
client_write_private(const char *path, const char *data)
{
	char tmp[CLIENT_MAX_PATH];
	size_t len = strlen(data);
	int fd, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto done;
	if (fchmod(fd, 0600) != 0 || write(fd, data, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		close(fd);
		(void)unlink(tmp);
		goto done;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		(void)unlink(tmp);
		goto done;
	}
	ret = 0;
done:
	if (ret != 0)
		fprintf(stderr, "%s: cannot write %s: %s\n", progname, path, strerror(errno));
	return ret;
}

/*
 * The saved token for base_url into token (CLIENT_MAX_TOKEN bytes), or ""
 * when there is none or it belongs to another server (with a warning).
 * Returns 0, or -1 when the token file is unsafe or unreadable.
 */
static int
client_load_token(const char *base_url, char *token)
{
	char dir[CLIENT_MAX_PATH - 16], path[CLIENT_MAX_PATH], url[CLIENT_MAX_URL + 2];
	int rc;

	token[0] = '\0';
	if (client_config_dir(dir, sizeof(dir)) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/token", dir);
	if ((rc = client_read_private(path, token, CLIENT_MAX_TOKEN)) <= 0)
		return rc;
	snprintf(path, sizeof(path), "%s/url", dir);
	rc = client_read_private(path, url, sizeof(url));
	if (rc < 0 || (rc == 1 && strcmp(url, base_url) != 0)) {
		if (rc == 1) {
			fprintf(stderr, "%s: not sending the saved token: it belongs to ",
			        progname);
			client_put_clean_str(stderr, url);
			fprintf(stderr, " (log in again with --url)\n");
		}
		explicit_bzero(token, CLIENT_MAX_TOKEN);
		token[0] = '\0';
	}
	return rc < 0 ? -1 : 0;
}

/* ---- HTTP ---- */

static size_t
client_on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_buf *b = arg;
	size_t n = size * nmemb;

	return client_buf_append(b, p, n) == 0 ? n : 0;
}

/*
 * Append line to *hdr. Returns 0, or -1 when out of memory (the list is
 * then freed and *hdr is NULL).
 */
static int
client_header(struct curl_slist **hdr, const char *line)
{
	struct curl_slist *h = curl_slist_append(*hdr, line);

	if (h == NULL) {
		curl_slist_free_all(*hdr);
		*hdr = NULL;
		return -1;
	}
	*hdr = h;
	return 0;
}

/*
 * A curl handle for url with what every request shares: http(s) only, no
 * redirects, the user agent, errbuf (CURL_ERROR_SIZE bytes), and as
 * headers the NULL-terminated extra lines plus, unless token is "", the
 * bearer token. Returns the handle (curl_easy_cleanup) and in *hdr the
 * header list (curl_slist_free_all; the handle uses it until cleaned up),
 * or NULL when out of memory.
 */
static CURL *
client_curl_new(const char *url, const char *token, const char *const *extra,
                struct curl_slist **hdr, char *errbuf)
{
	char auth[CLIENT_MAX_TOKEN + 32];
	CURL *curl;
	int rc = 0;

	*hdr = NULL;
	errbuf[0] = '\0';
	for (size_t i = 0; extra != NULL && extra[i] != NULL && rc == 0; i++)
		rc = client_header(hdr, extra[i]);
	if (rc == 0 && token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		rc = client_header(hdr, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (rc != 0 || (curl = curl_easy_init()) == NULL) {
		curl_slist_free_all(*hdr);
		*hdr = NULL;
		fprintf(stderr, "%s: out of memory\n", progname);
		return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "lockstep-cli/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *hdr);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	return curl;
}

/*
 * Perform a prepared request whose answer is kept in memory (at most
 * CLIENT_MAX_RESPONSE bytes) in res->body; fill res->status and
 * res->content_type. Returns 0 when an answer arrived (whatever its
 * status), -1 on a transport error or an oversized answer (message
 * printed).
 */
static int
client_perform(CURL *curl, const char *url, const char *errbuf, struct client_response *res)
{
	const char *ct = NULL;
	CURLcode cc;

	res->body.max = CLIENT_MAX_RESPONSE;
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLIENT_MAX_RESPONSE);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res->body);
	cc = curl_easy_perform(curl);
	if (res->body.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "%s: the answer is larger than %u bytes; refused\n", progname,
		        CLIENT_MAX_RESPONSE);
		return -1;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "%s: %s: %s\n", progname, url,
		        errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		res->content_type = strdup(ct);
	return 0;
}

/*
 * Send one request: method to base_url + path, with the JSON body (or
 * NULL) and the bearer token (or "" for none). Fills res (caller frees
 * with client_response_free). Returns 0 when an answer arrived (whatever
 * its status), -1 on a transport error or an oversized answer (message
 * printed).
 */
static int
client_request(const char *base_url, const char *method, const char *path, const char *body,
               const char *token, struct client_response *res)
{
	char url[CLIENT_MAX_URL + CLIENT_MAX_PATH + 1];
	char errbuf[CURL_ERROR_SIZE];
	/* No "Expect: 100-continue" round trip for large bodies. */
	const char *const with_body[] = {"Accept: application/json",
	                                 "Content-Type: application/json", "Expect:", NULL};
	const char *const without_body[] = {"Accept: application/json", "Expect:", NULL};
	struct curl_slist *hdr = NULL;
	CURL *curl = NULL;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	snprintf(url, sizeof(url), "%s%s", base_url, path);

	curl = client_curl_new(url, token, body != NULL ? with_body : without_body, &hdr, errbuf);
	if (curl == NULL)
		goto done;
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	ret = client_perform(curl, url, errbuf, res);
done:
	curl_slist_free_all(hdr);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}

static void
client_response_free(struct client_response *res)
{
	free(res->content_type);
	client_buf_free(&res->body);
}

static int
client_is_json(const struct client_response *res)
{
	const char *ct = res->content_type;

	return ct != NULL && (strncmp(ct, "application/json", 16) == 0 ||
	                      strncmp(ct, "application/problem+json", 24) == 0);
}

/*
 * Print an answer: a 2xx JSON body pretty on stdout (other bodies as
 * cleaned text); anything else as "HTTP status title: detail" on stderr.
 * Returns the exit status: 0 for 2xx, EXIT_PROBLEM otherwise.
 */
static int
client_report(const struct client_response *res)
{
	json_t *j = NULL;

	if (res->body.len > 0 && client_is_json(res))
		j = json_loadb(res->body.data, res->body.len, JSON_DECODE_ANY, NULL);

	if (res->status >= 200 && res->status < 300) {
		if (j != NULL) {
			/* Non-ASCII stays UTF-8; control characters come out escaped. */
			json_dumpf(j, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else if (res->body.len > 0) {
			if (isatty(STDOUT_FILENO))
				client_put_clean(stdout, res->body.data, res->body.len);
			else
				fwrite(res->body.data, 1, res->body.len, stdout);
		}
		json_decref(j);
		return fflush(stdout) == 0 ? 0 : EXIT_PROBLEM;
	}

	fprintf(stderr, "%s: HTTP %ld", progname, res->status);
	if (json_is_object(j)) {
		const char *title = json_string_value(json_object_get(j, "title"));
		const char *detail = json_string_value(json_object_get(j, "detail"));

		if (title != NULL) {
			fputs(" ", stderr);
			client_put_clean_str(stderr, title);
		}
		if (detail != NULL && detail[0] != '\0') {
			fputs(": ", stderr);
			client_put_clean_str(stderr, detail);
		}
	} else if (res->body.len > 0 && res->body.len < 512) {
		fputs(" ", stderr);
		client_put_clean(stderr, res->body.data, res->body.len);
	}
	fputc('\n', stderr);
	json_decref(j);
	return EXIT_PROBLEM;
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
 * (at most CLIENT_MAX_REQUEST bytes, nesting 16) and re-encoded compactly.
 * Returns a malloc'd string (caller frees), or NULL with a message.
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
				fprintf(stderr, "%s: the body on stdin is too large\n", progname);
				goto done;
			}
		if (ferror(stdin)) {
			fprintf(stderr, "%s: reading stdin: %s\n", progname, strerror(errno));
			goto done;
		}
	} else if (client_buf_append(&in, arg, strlen(arg)) != 0) {
		fprintf(stderr, "%s: the body is too large\n", progname);
		goto done;
	}
	if ((j = json_in_parse(in.data ? in.data : "", in.len, JSON_IN_MAX_DEPTH, err,
	                       sizeof(err))) == NULL) {
		fprintf(stderr, "%s: the body is not one JSON object: %s\n", progname, err);
		goto done;
	}
	out = json_dumps(j, JSON_COMPACT);
done:
	json_decref(j);
	client_buf_free(&in);
	return out;
}

/* ---- the password prompt ---- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_fd = -1;

static void
client_restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The password: $LOCKSTEP_PASSWORD, else read from the terminal without
 * echo. Fills out (cap bytes). Returns 0, or -1 with a message.
 */
static int
client_password(char *out, size_t cap)
{
	const char *env = getenv("LOCKSTEP_PASSWORD");
	struct termios quiet;
	size_t len = 0;
	int fd, ret = -1;
	char c;

	if (env != NULL) {
		if (strlen(env) >= cap) {
			fprintf(stderr, "%s: LOCKSTEP_PASSWORD is too long\n", progname);
			return -1;
		}
		strcpy(out, env);
		return 0;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: no terminal to ask for the password; set LOCKSTEP_PASSWORD\n",
		        progname);
		return -1;
	}
	if (tcgetattr(fd, &saved_tty) != 0) {
		fprintf(stderr, "%s: cannot read the terminal settings\n", progname);
		close(fd);
		return -1;
	}
	quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	tty_fd = fd;
	signal(SIGINT, client_restore_tty);
	signal(SIGTERM, client_restore_tty);
	signal(SIGHUP, client_restore_tty);
	(void)!write(fd, "Password: ", 10);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto done;
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len + 1 >= cap) {
			fprintf(stderr, "%s: the password is too long\n", progname);
			goto done;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	ret = 0;
done:
	c = 0;
	tcsetattr(fd, TCSAFLUSH, &saved_tty);
	(void)!write(fd, "\n", 1);
	tty_fd = -1;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	close(fd);
	if (ret != 0)
		explicit_bzero(out, cap);
	return ret;
}

/* ---- commands ---- */

static int
cmd_login(const char *base_url, const char *email)
{
	char password[CLIENT_MAX_PASSWORD + 1], dir[CLIENT_MAX_PATH - 16], path[CLIENT_MAX_PATH];
	struct client_response res = {0};
	const char *token;
	json_t *req = NULL, *ans = NULL, *pw;
	char *body = NULL;
	int ret = EXIT_PROBLEM;

	if (client_config_dir(dir, sizeof(dir)) != 0) {
		fprintf(stderr, "%s: set HOME or XDG_CONFIG_HOME to keep the token\n", progname);
		return EXIT_USAGE;
	}
	if (client_password(password, sizeof(password)) != 0)
		return EXIT_PROBLEM;
	req = json_pack("{s:s, s:s}", "email", email, "password", password);
	explicit_bzero(password, sizeof(password));
	if (req == NULL) {
		fprintf(stderr, "%s: the e-mail address or password is not valid UTF-8\n",
		        progname);
		return EXIT_USAGE;
	}
	body = json_dumps(req, JSON_COMPACT);
	/* Wipe jansson's copy of the password too. */
	if ((pw = json_object_get(req, "password")) != NULL)
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
	if (body == NULL ||
	    client_request(base_url, "POST", "/api/v1/session", body, "", &res) != 0)
		goto done;
	if (res.status != 201) {
		ret = client_report(&res);
		goto done;
	}
	ans = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	token = json_string_value(json_object_get(ans, "token"));
	if (token == NULL || strlen(token) >= CLIENT_MAX_TOKEN ||
	    strpbrk(token, "\r\n \t") != NULL) {
		fprintf(stderr, "%s: the server's answer holds no usable token\n", progname);
		goto done;
	}
	if (client_mkdirs(dir) != 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", progname, dir, strerror(errno));
		goto done;
	}
	snprintf(path, sizeof(path), "%s/url", dir);
	if (client_write_private(path, base_url) != 0)
		goto done;
	snprintf(path, sizeof(path), "%s/token", dir);
	if (client_write_private(path, token) != 0)
		goto done;
	explicit_bzero((char *)token, strlen(token));
	/* Show who we are, never the token. */
	json_dumpf(json_object_get(ans, "user"), stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	ret = fflush(stdout) == 0 ? 0 : EXIT_PROBLEM;
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

static int
cmd_logout(const char *base_url)
{
	char token[CLIENT_MAX_TOKEN], dir[CLIENT_MAX_PATH - 16], path[CLIENT_MAX_PATH];
	struct client_response res = {0};
	int ret = EXIT_PROBLEM;

	if (client_config_dir(dir, sizeof(dir)) != 0 || client_load_token(base_url, token) != 0)
		return EXIT_PROBLEM;
	if (token[0] == '\0') {
		fprintf(stderr, "%s: not logged in at %s\n", progname, base_url);
		return 0;
	}
	if (client_request(base_url, "DELETE", "/api/v1/session", NULL, token, &res) != 0)
		goto done;
	/* 401: the token had expired or was revoked already; forget it too. */
	if ((res.status < 200 || res.status >= 300) && res.status != 401) {
		ret = client_report(&res);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/token", dir);
	if (unlink(path) != 0 && errno != ENOENT) {
		fprintf(stderr, "%s: cannot remove %s: %s\n", progname, path, strerror(errno));
		goto done;
	}
	snprintf(path, sizeof(path), "%s/url", dir);
	(void)unlink(path);
	fprintf(stderr, "%s: logged out\n", progname);
	ret = 0;
done:
	explicit_bzero(token, sizeof(token));
	client_response_free(&res);
	return ret;
}

static int
cmd_call(const char *base_url, const char *method, const char *path_arg, const char *json_arg)
{
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	struct client_response res = {0};
	char *body = NULL;
	int ret = EXIT_PROBLEM;

	if (client_path(path_arg, path, sizeof(path)) != 0) {
		fprintf(stderr, "%s: invalid path: %s\n", progname, path_arg);
		return EXIT_USAGE;
	}
	if (json_arg != NULL && (body = client_body(json_arg)) == NULL)
		return EXIT_USAGE;
	if (client_load_token(base_url, token) != 0)
		goto done;
	if (client_request(base_url, method, path, body, token, &res) != 0)
		goto done;
	ret = client_report(&res);
done:
	explicit_bzero(token, sizeof(token));
	free(body);
	client_response_free(&res);
	return ret;
}

/*
 * name-check ENGAGEMENT_ID FILE: POST the text of FILE ("-": stdin) to
 * /engagements/{id}/name-check and print the answer. Returns 0 when no
 * span would hold the release, EXIT_PROBLEM when one would or on a
 * refusal, EXIT_USAGE on bad arguments.
 */
static int
cmd_name_check(const char *base_url, const char *engagement, const char *file)
{
	struct client_buf in = {.max = CLIENT_MAX_REQUEST};
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	struct client_response res = {0};
	char *body = NULL;
	json_t *j = NULL;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	int ret = EXIT_PROBLEM;

	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, file, strerror(errno));
		return EXIT_USAGE;
	}
	for (;;) {
		char chunk[8192];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n == 0)
			break;
		if (client_buf_append(&in, chunk, n) != 0) {
			fprintf(stderr, "%s: the text is too large\n", progname);
			ret = EXIT_USAGE;
			goto done;
		}
	}
	if (ferror(f) || snprintf(path, sizeof(path), "/api/v1/engagements/%s/name-check",
	                          engagement) >= (int)sizeof(path)) {
		ret = EXIT_USAGE;
		goto done;
	}
	j = json_pack("{s:s%}", "text", in.data ? in.data : "", in.len);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	j = NULL;
	if (body == NULL) {
		fprintf(stderr, "%s: the text is not UTF-8\n", progname);
		ret = EXIT_USAGE;
		goto done;
	}
	if (client_load_token(base_url, token) != 0 ||
	    client_request(base_url, "POST", path, body, token, &res) != 0)
		goto done;
	ret = client_report(&res);
	if (ret == 0 && (j = json_loadb(res.body.data, res.body.len, 0, NULL)) != NULL &&
	    json_is_true(json_object_get(j, "hold")))
		ret = EXIT_PROBLEM;
done:
	explicit_bzero(token, sizeof(token));
	if (f != stdin)
		fclose(f);
	json_decref(j);
	free(body);
	client_buf_free(&in);
	client_response_free(&res);
	return ret;
}

/* ---- evidence: streamed uploads and downloads ---- */

/* One streamed upload or download. */
struct client_transfer {
	int fd;                   /* the file read (upload) or written (download) */
	curl_off_t size;          /* upload: the bytes to send */
	curl_off_t done;          /* bytes read from or written to fd */
	EVP_MD_CTX *sha;          /* SHA-256 of those bytes */
	CURL *curl;               /* download: to learn the status while writing */
	struct client_buf answer; /* the JSON answer, or a refusal's body */
	int io_errno;             /* a failed read or write: errno; -1: the file shrank */
	int show_progress;        /* stderr is a terminal */
	int shown_permille;       /* last progress shown, or -1 */
	char repr_digest[64];     /* download: the sha-256 of Repr-Digest (base64), or "" */
};

static volatile sig_atomic_t client_interrupted;

static void
client_on_interrupt(int sig)
{
	(void)sig;
	client_interrupted = 1;
}

/*
 * Catch SIGINT, SIGTERM and SIGHUP so that a transfer stops cleanly
 * (a download then removes its partial file); on 0 the handlers go back
 * to the default.
 */
static void
client_catch_interrupts(int on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? client_on_interrupt : SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* "12.3 MiB" for n bytes into out. */
static void
client_fmt_size(curl_off_t n, char *out, size_t outlen)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double x = (double)n;
	size_t i = 0;

	if (n < 1024) {
		snprintf(out, outlen, "%lld B", (long long)n);
		return;
	}
	x /= 1024;
	while (x >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		x /= 1024;
		i++;
	}
	snprintf(out, outlen, "%.1f %s", x, units[i]);
}

/* Progress on stderr (a terminal only); a signal aborts the transfer. */
static int
client_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
	struct client_transfer *t = arg;
	/* Only a download has t->curl set. */
	curl_off_t total = t->curl != NULL ? dltotal : ultotal;
	curl_off_t now = t->curl != NULL ? dlnow : ulnow;
	char a[32], b[32];
	int permille;

	if (client_interrupted)
		return 1;
	if (!t->show_progress || total <= 0)
		return 0;
	permille = now >= total ? 1000 : (int)((double)now * 1000.0 / (double)total);
	if (permille == t->shown_permille)
		return 0;
	t->shown_permille = permille;
	client_fmt_size(now, a, sizeof(a));
	client_fmt_size(total, b, sizeof(b));
	fprintf(stderr, "\r%s: %s of %s (%d%%)   ", progname, a, b, permille / 10);
	return 0;
}

/* Upload: the next bytes of the file, never more than announced. */
static size_t
client_on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct client_transfer *t = arg;
	size_t want = size * nitems;
	ssize_t n;

	if ((curl_off_t)want > t->size - t->done)
		want = (size_t)(t->size - t->done);
	if (want == 0)
		return 0;
	do
		n = read(t->fd, buf, want);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		t->io_errno = n < 0 ? errno : -1;
		return CURL_READFUNC_ABORT;
	}
	if (EVP_DigestUpdate(t->sha, buf, (size_t)n) != 1) {
		t->io_errno = ENOMEM;
		return CURL_READFUNC_ABORT;
	}
	t->done += n;
	return (size_t)n;
}

/*
 * Download: a 200's bytes go to the file (and the hash), any other
 * answer's body to t->answer for the error report.
 */
static size_t
client_on_download(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_transfer *t = arg;
	size_t n = size * nmemb, off = 0;
	long status = 0;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return client_buf_append(&t->answer, p, n) == 0 ? n : 0;
	while (off < n) {
		ssize_t w = write(t->fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			t->io_errno = w < 0 ? errno : EIO;
			return 0;
		}
		off += (size_t)w;
	}
	if (EVP_DigestUpdate(t->sha, p, n) != 1) {
		t->io_errno = ENOMEM;
		return 0;
	}
	t->done += (curl_off_t)n;
	return n;
}

/* Download: keep the sha-256 value of a Repr-Digest header (RFC 9530). */
static size_t
client_on_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct client_transfer *t = arg;
	size_t n = size * nitems;
	char line[512], *v, *end;

	if (n < 12 || n >= sizeof(line) || strncasecmp(p, "Repr-Digest:", 12) != 0)
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	/* Dictionary keys are lower case (RFC 8941), so "sha-256" is exact. */
	if ((v = strstr(line + 12, "sha-256=:")) == NULL)
		return n;
	v += 9;
	if ((end = strchr(v, ':')) == NULL || (size_t)(end - v) >= sizeof(t->repr_digest))
		return n;
	memcpy(t->repr_digest, v, (size_t)(end - v));
	t->repr_digest[end - v] = '\0';
	return n;
}

/* Lower-case hex of a finished SHA-256 into hex (65 bytes). -1 on failure. */
static int
client_sha256_final(EVP_MD_CTX *sha, unsigned char md[CLIENT_SHA256_LEN],
                    char hex[2 * CLIENT_SHA256_LEN + 1])
{
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(sha, md, &len) != 1 || len != CLIENT_SHA256_LEN)
		return -1;
	util_hex_encode(md, len, hex);
	return 0;
}

/*
 * The signed receipt's sha256 (64 lower-case hex digits) and size from a
 * receipt answer j. Returns 0, or -1 if they are missing or malformed.
 */
static int
client_receipt_fields(json_t *j, const char **sha256, json_int_t *size)
{
	json_t *r = json_object_get(j, "receipt");
	const char *h = json_string_value(json_object_get(r, "sha256"));
	json_t *sz = json_object_get(r, "size");

	if (h == NULL || strlen(h) != 2 * CLIENT_SHA256_LEN ||
	    strspn(h, "0123456789abcdef") != strlen(h) || !json_is_integer(sz) ||
	    json_integer_value(sz) < 0)
		return -1;
	*sha256 = h;
	*size = json_integer_value(sz);
	return 0;
}

/* A media type for a header: printable ASCII only, 1-255 bytes. */
static int
client_valid_type(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 255)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/*
 * lockstep upload ENGAGEMENT_ID FILE [--name NAME] [--finding ID] [--type TYPE]:
 * stream FILE as the raw body (Content-Length from its size), print the
 * signed receipt, and check that its SHA-256 and size are those of the
 * bytes sent. Returns the exit status.
 */
static int
cmd_upload(const char *base_url, int argc, char **argv)
{
	char token[CLIENT_MAX_TOKEN], errbuf[CURL_ERROR_SIZE], ctype[300];
	char hex[2 * CLIENT_SHA256_LEN + 1], sent[32];
	unsigned char md[CLIENT_SHA256_LEN];
	const char *pos[2], *name = NULL, *finding = NULL, *type = "application/octet-stream";
	const char *headers[] = {"Accept: application/json", ctype, "Expect: 100-continue", NULL};
	struct client_transfer t = {.fd = -1, .shown_permille = -1};
	struct client_response res = {0};
	struct curl_slist *hdr = NULL;
	const char *want_sha = NULL;
	json_int_t want_size = 0;
	struct stat st;
	char *url = NULL, *ename = NULL;
	const char *ct = NULL;
	json_t *j = NULL;
	CURL *curl = NULL;
	CURLcode cc;
	size_t urllen;
	int npos = 0, opts = 1, ret = EXIT_PROBLEM;

	token[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char **opt = NULL;

		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && strcmp(argv[i], "--name") == 0)
			opt = &name;
		else if (opts && strcmp(argv[i], "--finding") == 0)
			opt = &finding;
		else if (opts && strcmp(argv[i], "--type") == 0)
			opt = &type;
		if (opt != NULL) {
			if (++i >= argc) {
				fprintf(stderr, "%s: %s needs a value\n", progname, argv[i - 1]);
				return EXIT_USAGE;
			}
			*opt = argv[i];
		} else if (opts && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "%s: unknown upload option %s\n", progname, argv[i]);
			return EXIT_USAGE;
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (npos != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!util_uuid_valid(pos[0]) || (finding != NULL && !util_uuid_valid(finding))) {
		fprintf(stderr, "%s: ids are lower-case UUIDs\n", progname);
		return EXIT_USAGE;
	}
	if (!client_valid_type(type)) {
		fprintf(stderr, "%s: --type must be a media type in printable ASCII\n", progname);
		return EXIT_USAGE;
	}
	if (name == NULL) {
		const char *slash = strrchr(pos[1], '/');

		name = slash != NULL ? slash + 1 : pos[1];
	}
	if (name[0] == '\0') {
		fprintf(stderr, "%s: the evidence needs a name (--name)\n", progname);
		return EXIT_USAGE;
	}

	if ((t.fd = open(pos[1], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, pos[1], strerror(errno));
		goto done;
	}
	if (fstat(t.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file (its size is sent before its bytes)\n",
		        progname, pos[1]);
		goto done;
	}
	t.size = (curl_off_t)st.st_size;
	if ((t.sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(t.sha, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", progname);
		goto done;
	}
	if (client_load_token(base_url, token) != 0)
		goto done;
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", type);

	if ((curl = client_curl_new(base_url, token, headers, &hdr, errbuf)) == NULL)
		goto done;
	if ((ename = curl_easy_escape(curl, name, 0)) == NULL)
		goto oom;
	urllen = strlen(base_url) + strlen(ename) + 160;
	if ((url = malloc(urllen)) == NULL)
		goto oom;
	snprintf(url, urllen, "%s/api/v1/engagements/%s/evidence?name=%s%s%s", base_url, pos[0],
	         ename, finding != NULL ? "&finding=" : "", finding != NULL ? finding : "");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	t.show_progress = isatty(STDERR_FILENO);
	res.body.max = CLIENT_MAX_RESPONSE;
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, client_on_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &t);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, t.size);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res.body);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLIENT_MAX_RESPONSE);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, CLIENT_STALL_SECONDS);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, client_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

	client_catch_interrupts(1);
	cc = curl_easy_perform(curl);
	client_catch_interrupts(0);
	if (t.shown_permille >= 0)
		fputc('\n', stderr);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		res.content_type = strdup(ct);
	if (cc != CURLE_OK) {
		if (t.io_errno != 0)
			fprintf(stderr, "%s: %s: %s\n", progname, pos[1],
			        t.io_errno > 0 ? strerror(t.io_errno)
			                       : "the file shrank while it was being sent");
		else if (client_interrupted)
			fprintf(stderr, "%s: interrupted; nothing was stored\n", progname);
		else if (res.status >= 400 && res.body.len > 0)
			ret = client_report(&res); /* refused while the body was being sent */
		else
			fprintf(stderr, "%s: %s: %s\n", progname, url,
			        errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	if (res.status != 201) {
		ret = client_report(&res);
		goto done;
	}
	if (client_sha256_final(t.sha, md, hex) != 0) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", progname);
		goto done;
	}
	j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	if ((ret = client_report(&res)) != 0)
		goto done;
	if (client_receipt_fields(j, &want_sha, &want_size) != 0) {
		fprintf(stderr, "%s: the answer is not a receipt\n", progname);
		ret = EXIT_PROBLEM;
	} else if (strcmp(want_sha, hex) != 0 || want_size != (json_int_t)t.done ||
	           t.done != t.size) {
		fprintf(stderr,
		        "%s: MISMATCH: sent %lld bytes with SHA-256 %s, the receipt says %lld "
		        "bytes, %s\n",
		        progname, (long long)t.done, hex, (long long)want_size, want_sha);
		ret = EXIT_PROBLEM;
	} else {
		client_fmt_size(t.done, sent, sizeof(sent));
		fprintf(stderr, "%s: stored %s; the receipt's SHA-256 is that of the bytes sent\n",
		        progname, sent);
	}
	goto done;
oom:
	fprintf(stderr, "%s: out of memory\n", progname);
done:
	explicit_bzero(token, sizeof(token));
	json_decref(j);
	curl_slist_free_all(hdr);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl_free(ename);
	free(url);
	EVP_MD_CTX_free(t.sha);
	if (t.fd >= 0)
		close(t.fd);
	client_response_free(&res);
	return ret;
}

/*
 * Remove path if it is still the file open as fd (so that a file put in
 * its place meanwhile is left alone).
 */
static void
client_remove_ours(const char *path, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		(void)unlink(path);
}

/*
 * lockstep download EVIDENCE_ID OUTFILE: create OUTFILE (0600, refusing
 * an existing one), stream the bytes into it while hashing them, and keep
 * it only if it is complete and its SHA-256 and size match the signed
 * receipt (and the Repr-Digest header). Prints a JSON summary. Returns
 * the exit status.
 */
static int
cmd_download(const char *base_url, const char *id, const char *outfile)
{
	char token[CLIENT_MAX_TOKEN], errbuf[CURL_ERROR_SIZE], path[CLIENT_MAX_PATH];
	char url[CLIENT_MAX_URL + CLIENT_MAX_PATH + 1], hex[2 * CLIENT_SHA256_LEN + 1];
	unsigned char md[CLIENT_SHA256_LEN], repr[CLIENT_SHA256_LEN + 3];
	const char *const headers[] = {"Accept: */*", NULL};
	struct client_transfer t = {.fd = -1, .shown_permille = -1};
	struct client_response rec = {0}, res = {0};
	struct curl_slist *hdr = NULL;
	const char *want_sha = NULL, *ct = NULL;
	json_int_t want_size = 0;
	json_t *j = NULL, *out = NULL;
	CURL *curl = NULL;
	CURLcode cc;
	int rc, keep = 0, ret = EXIT_PROBLEM;

	token[0] = '\0';
	if (!util_uuid_valid(id)) {
		fprintf(stderr, "%s: EVIDENCE_ID is a lower-case UUID\n", progname);
		return EXIT_USAGE;
	}
	if (outfile[0] == '\0') {
		usage(stderr);
		return EXIT_USAGE;
	}
	t.fd = open(outfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t.fd < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", progname, outfile, strerror(errno),
		        errno == EEXIST ? " (not overwriting it)" : "");
		return EXIT_PROBLEM;
	}
	if ((t.sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(t.sha, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", progname);
		goto done;
	}
	if (client_load_token(base_url, token) != 0)
		goto done;

	/* The receipt first: what the bytes must hash to. */
	snprintf(path, sizeof(path), "/api/v1/evidence/%s/receipt", id);
	if (client_request(base_url, "GET", path, NULL, token, &rec) != 0)
		goto done;
	if (rec.status != 200) {
		ret = client_report(&rec);
		goto done;
	}
	j = json_loadb(rec.body.data ? rec.body.data : "", rec.body.len, 0, NULL);
	if (client_receipt_fields(j, &want_sha, &want_size) != 0) {
		fprintf(stderr, "%s: the server's receipt holds no SHA-256 and size\n", progname);
		goto done;
	}

	snprintf(url, sizeof(url), "%s/api/v1/evidence/%s", base_url, id);
	if ((curl = client_curl_new(url, token, headers, &hdr, errbuf)) == NULL)
		goto done;
	t.curl = curl;
	t.answer.max = CLIENT_MAX_RESPONSE; /* a refusal's body only; the file has no cap */
	t.show_progress = isatty(STDERR_FILENO);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_on_download);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, client_on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, CLIENT_STALL_SECONDS);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, client_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

	client_catch_interrupts(1);
	cc = curl_easy_perform(curl);
	client_catch_interrupts(0);
	if (t.shown_permille >= 0)
		fputc('\n', stderr);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
	if (cc != CURLE_OK) {
		if (t.io_errno != 0)
			fprintf(stderr, "%s: %s: %s\n", progname, outfile, strerror(t.io_errno));
		else if (client_interrupted)
			fprintf(stderr, "%s: interrupted\n", progname);
		else
			fprintf(stderr, "%s: %s: %s (after %lld bytes)\n", progname, url,
			        errbuf[0] ? errbuf : curl_easy_strerror(cc), (long long)t.done);
		goto done;
	}
	if (res.status != 200) {
		res.body = t.answer;
		memset(&t.answer, 0, sizeof(t.answer));
		if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			res.content_type = strdup(ct);
		ret = client_report(&res);
		goto done;
	}
	if (fsync(t.fd) != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, outfile, strerror(errno));
		goto done;
	}
	if (client_sha256_final(t.sha, md, hex) != 0) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", progname);
		goto done;
	}
	if (strcmp(hex, want_sha) != 0 || (json_int_t)t.done != want_size) {
		fprintf(stderr,
		        "%s: MISMATCH: received %lld bytes with SHA-256 %s, the receipt says %lld "
		        "bytes, %s\n",
		        progname, (long long)t.done, hex, (long long)want_size, want_sha);
		goto done;
	}
	if (t.repr_digest[0] != '\0' &&
	    (util_b64_decode(t.repr_digest, repr, sizeof(repr)) != CLIENT_SHA256_LEN ||
	     memcmp(repr, md, CLIENT_SHA256_LEN) != 0)) {
		fprintf(stderr,
		        "%s: MISMATCH: the Repr-Digest header is not the SHA-256 of the bytes\n",
		        progname);
		goto done;
	}
	rc = close(t.fd);
	t.fd = -1;
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, outfile, strerror(errno));
		(void)unlink(outfile);
		fprintf(stderr, "%s: %s removed\n", progname, outfile);
		keep = 1; /* nothing left to remove */
		goto done;
	}
	keep = 1;
	/* o steals the new file name string (NULL if it is not UTF-8: no JSON then) */
	out = json_pack("{s:s, s:o, s:I, s:s, s:s, s:b}", "id", id, "file",
	                json_stringn(outfile, strlen(outfile)), "bytes", (json_int_t)t.done,
	                "sha256", hex, "receipt_sha256", want_sha, "verified", 1);
	if (out == NULL) {
		/* A file name that is not UTF-8: say it without JSON. */
		printf("%lld bytes, sha256 %s, matches the receipt\n", (long long)t.done, hex);
	} else {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	ret = fflush(stdout) == 0 ? 0 : EXIT_PROBLEM;
done:
	if (!keep && t.fd >= 0) {
		client_remove_ours(outfile, t.fd);
		fprintf(stderr, "%s: %s removed\n", progname, outfile);
	}
	if (t.fd >= 0)
		close(t.fd);
	explicit_bzero(token, sizeof(token));
	json_decref(j);
	json_decref(out);
	curl_slist_free_all(hdr);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	EVP_MD_CTX_free(t.sha);
	client_buf_free(&t.answer);
	client_response_free(&rec);
	client_response_free(&res);
	return ret;
}

/* ---- publications: lockstep verify ---- */

#define CLIENT_ED25519_SIG_LEN 64
#define CLIENT_ED25519_PUB_LEN 32
#define CLIENT_MAX_KEY_FILE (64u * 1024)

/* The signature headers of a publication ("" when absent or malformed). */
struct client_pub_headers {
	char signature[128]; /* X-Lockstep-Signature: standard base64 */
	char hash[80];       /* X-Lockstep-Hash: SHA-256 of the body, hex */
	char prev_hash[80];  /* X-Lockstep-Prev-Hash */
	char key[64];        /* X-Lockstep-Signing-Key: raw public key, base64url */
};

/* A campaign slug as the server accepts it: [a-z0-9-]{1,63}, no leading '-'. */
static int
client_valid_slug(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63 || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Copy the value of response header name (trimmed, printable ASCII) into out, or "". */
static void
client_copy_header(CURL *curl, const char *name, char *out, size_t cap)
{
	struct curl_header *h = NULL;
	const char *v;
	size_t len;

	out[0] = '\0';
	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL ||
	    h->value == NULL)
		return;
	v = h->value;
	v += strspn(v, " \t");
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= cap)
		return;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return;
	memcpy(out, v, len);
	out[len] = '\0';
}

/*
 * An anonymous GET of base_url + path (public routes: no token is ever
 * sent) with the given Accept header. Fills res (client_response_free) and,
 * when hdrs is not NULL, the publication headers. Returns 0 when an answer
 * arrived, -1 on a transport error or an oversized answer (message printed).
 */
static int
client_get_public(const char *base_url, const char *path, const char *accept,
                  struct client_response *res, struct client_pub_headers *hdrs)
{
	char url[CLIENT_MAX_URL + CLIENT_MAX_PATH + 1];
	char errbuf[CURL_ERROR_SIZE];
	const char *const headers[] = {accept, NULL};
	struct curl_slist *hdr = NULL;
	CURL *curl;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (hdrs != NULL)
		memset(hdrs, 0, sizeof(*hdrs));
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	if ((curl = client_curl_new(url, "", headers, &hdr, errbuf)) == NULL)
		return -1;
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	if (client_perform(curl, url, errbuf, res) != 0)
		goto done;
	if (hdrs != NULL) {
		client_copy_header(curl, "X-Lockstep-Signature", hdrs->signature,
		                   sizeof(hdrs->signature));
		client_copy_header(curl, "X-Lockstep-Hash", hdrs->hash, sizeof(hdrs->hash));
		client_copy_header(curl, "X-Lockstep-Prev-Hash", hdrs->prev_hash,
		                   sizeof(hdrs->prev_hash));
		client_copy_header(curl, "X-Lockstep-Signing-Key", hdrs->key, sizeof(hdrs->key));
	}
	ret = 0;
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	return ret;
}

/*
 * An Ed25519 public key from PEM text (pem[0..len)). Returns the key
 * (EVP_PKEY_free), or NULL when it is not one PEM "PUBLIC KEY" of type
 * Ed25519.
 */
static EVP_PKEY *
client_ed25519_from_pem(const char *pem, size_t len)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pkey != NULL && EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/*
 * The pinned key from path (a PEM public key file). Returns the key, or
 * NULL with a message.
 */
static EVP_PKEY *
client_load_key_file(const char *path)
{
	struct client_buf b = {.max = CLIENT_MAX_KEY_FILE};
	EVP_PKEY *pkey = NULL;
	char chunk[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (client_buf_append(&b, chunk, n) != 0)
			break;
	if (ferror(f) || b.overflow || !feof(f))
		fprintf(stderr, "%s: %s: cannot read it (or it is over %u bytes)\n", progname, path,
		        CLIENT_MAX_KEY_FILE);
	else if ((pkey = client_ed25519_from_pem(b.data ? b.data : "", b.len)) == NULL)
		fprintf(stderr,
		        "%s: %s: not an Ed25519 public key in PEM (\"BEGIN PUBLIC KEY\"); "
		        "save it from /.well-known/lockstep/signing-key?format=pem\n",
		        progname, path);
	fclose(f);
	client_buf_free(&b);
	return pkey;
}

/* 1 if s is 64 hex digits. */
static int
client_is_sha256_hex(const char *s)
{
	return s != NULL && strlen(s) == 2 * CLIENT_SHA256_LEN &&
	       strspn(s, "0123456789abcdefABCDEF") == 2 * CLIENT_SHA256_LEN;
}

/*
 * lockstep verify SLUG [--key FILE]: fetch the publication's exact bytes,
 * its signature (the X-Lockstep-Signature header, else the /signature
 * route) and, unless a pinned key FILE is given, the server's public key;
 * check the Ed25519 signature, the SHA-256 the server states, and that the
 * signed document is the publication of SLUG. Prints {slug, verified,
 * sha256, prev_hash, sequence, key, key_source}. Anonymous: no token is
 * sent. Returns 0 when valid, EXIT_PROBLEM when not (or on a transport
 * error), EXIT_USAGE on a usage error.
 */
static int
cmd_verify(const char *base_url, int argc, char **argv)
{
	char path[CLIENT_MAX_PATH], hex[2 * CLIENT_SHA256_LEN + 1];
	char keytxt[CLIENT_ED25519_PUB_LEN * 2];
	unsigned char sig[CLIENT_ED25519_SIG_LEN + 3], md[CLIENT_SHA256_LEN];
	unsigned char raw[CLIENT_ED25519_PUB_LEN];
	struct client_response doc = {0}, sigres = {0}, keyres = {0};
	struct client_pub_headers h;
	const char *slug = NULL, *keyfile = NULL, *why = NULL;
	const char *prev = NULL, *doc_slug, *fmt;
	json_t *j = NULL, *out = NULL, *seq;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned int mdlen = 0;
	size_t rawlen = sizeof(raw);
	long siglen = -1;
	int opts = 1, sig_ok = 0, ret = EXIT_PROBLEM;

	for (int i = 0; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
		} else if (opts && strcmp(argv[i], "--key") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "%s: --key needs a file\n", progname);
				return EXIT_USAGE;
			}
			keyfile = argv[i];
		} else if (opts && strncmp(argv[i], "--key=", 6) == 0) {
			keyfile = argv[i] + 6;
		} else if (opts && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "%s: unknown verify option %s\n", progname, argv[i]);
			return EXIT_USAGE;
		} else if (slug == NULL) {
			slug = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (slug == NULL || (keyfile != NULL && keyfile[0] == '\0')) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!client_valid_slug(slug)) {
		fprintf(stderr,
		        "%s: SLUG is 1-63 lower-case letters, digits and dashes (not first)\n",
		        progname);
		return EXIT_USAGE;
	}
	/* A pinned key first: a bad --key is the caller's mistake, not the server's. */
	if (keyfile != NULL && (pkey = client_load_key_file(keyfile)) == NULL)
		return EXIT_USAGE;

	/* The document: exactly the bytes that were signed. */
	snprintf(path, sizeof(path), "/api/v1/publications/%s", slug);
	if (client_get_public(base_url, path, "Accept: application/json", &doc, &h) != 0)
		goto done;
	if (doc.status == 404) {
		fprintf(stderr, "%s: %s: no such publication (or not released yet)\n", progname,
		        slug);
		goto done;
	}
	if (doc.status != 200) {
		(void)client_report(&doc);
		goto done;
	}

	/* The signature: the header, else the raw 64 bytes of the /signature route. */
	if (h.signature[0] != '\0')
		siglen = util_b64_decode(h.signature, sig, sizeof(sig));
	if (siglen != CLIENT_ED25519_SIG_LEN) {
		snprintf(path, sizeof(path), "/api/v1/publications/%s/signature", slug);
		if (client_get_public(base_url, path, "Accept: application/octet-stream", &sigres,
		                      NULL) != 0)
			goto done;
		if (sigres.status != 200) {
			fprintf(stderr, "%s: %s: the signature is not available (HTTP %ld)\n",
			        progname, slug, sigres.status);
			goto done;
		}
		if (sigres.body.len != CLIENT_ED25519_SIG_LEN) {
			fprintf(stderr, "%s: %s: the signature is %zu bytes, not %d\n", progname,
			        slug, sigres.body.len, CLIENT_ED25519_SIG_LEN);
			goto done;
		}
		memcpy(sig, sigres.body.data, CLIENT_ED25519_SIG_LEN);
	}

	/* The key: pinned, or the one the server publishes. */
	if (pkey == NULL) {
		if (client_get_public(base_url, "/.well-known/lockstep/signing-key?format=pem",
		                      "Accept: application/x-pem-file", &keyres, NULL) != 0)
			goto done;
		if (keyres.status != 200) {
			fprintf(stderr,
			        "%s: the server's signing key is not available (HTTP %ld)\n",
			        progname, keyres.status);
			goto done;
		}
		if ((pkey = client_ed25519_from_pem(keyres.body.data ? keyres.body.data : "",
		                                    keyres.body.len)) == NULL) {
			fprintf(stderr, "%s: the server's signing key is not an Ed25519 PEM key\n",
			        progname);
			goto done;
		}
	}
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1 ||
	    rawlen != CLIENT_ED25519_PUB_LEN) {
		fprintf(stderr, "%s: cannot read the public key\n", progname);
		goto done;
	}
	util_b64url_encode(raw, rawlen, keytxt);

	/* SHA-256 of the bytes, and the Ed25519 signature over them. */
	if (EVP_Digest(doc.body.data ? doc.body.data : "", doc.body.len, md, &mdlen, EVP_sha256(),
	               NULL) != 1 ||
	    mdlen != CLIENT_SHA256_LEN || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		fprintf(stderr, "%s: OpenSSL cannot verify Ed25519 signatures here\n", progname);
		goto done;
	}
	util_hex_encode(md, mdlen, hex);
	sig_ok = EVP_DigestVerify(ctx, sig, CLIENT_ED25519_SIG_LEN,
	                          (const unsigned char *)(doc.body.data ? doc.body.data : ""),
	                          doc.body.len) == 1;
	ERR_clear_error();

	/* What the document says about itself (trusted only once signed). */
	j = json_loadb(doc.body.data ? doc.body.data : "", doc.body.len, 0, NULL);
	prev = json_string_value(json_object_get(j, "prev_hash"));
	seq = json_object_get(j, "sequence");
	doc_slug = json_string_value(json_object_get(json_object_get(j, "campaign"), "slug"));
	fmt = json_string_value(json_object_get(j, "format"));

	if (!sig_ok) {
		why = h.key[0] != '\0' && strcmp(h.key, keytxt) != 0
		          ? "the signature does not verify with this key (the server says it "
		            "signed with another one)"
		          : "the signature does not verify: the document or signature was altered, "
		            "or it was signed with another key";
	} else if (h.hash[0] != '\0' && strcasecmp(h.hash, hex) != 0) {
		why = "the server's X-Lockstep-Hash is not the SHA-256 of the document";
	} else if (fmt == NULL || strcmp(fmt, "lockstep-publication-v1") != 0) {
		why = "the signed bytes are not a lockstep publication";
	} else if (doc_slug == NULL || strcmp(doc_slug, slug) != 0) {
		why = "the signed document is the publication of another campaign";
	} else if (!client_is_sha256_hex(prev) || !json_is_integer(seq)) {
		why = "the signed document has no valid prev_hash and sequence";
	} else if (h.prev_hash[0] != '\0' && strcasecmp(h.prev_hash, prev) != 0) {
		why = "the server's X-Lockstep-Prev-Hash differs from the signed prev_hash";
	}

	out = json_pack("{s:s, s:b, s:s, s:o, s:o, s:s, s:s}", "slug", slug, "verified",
	                why == NULL, "sha256", hex, "prev_hash",
	                client_is_sha256_hex(prev) ? json_string(prev) : json_null(), "sequence",
	                json_is_integer(seq) ? json_integer(json_integer_value(seq)) : json_null(),
	                "key", keytxt, "key_source", keyfile != NULL ? "pinned" : "server");
	if (out == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		goto done;
	}
	json_dumpf(out, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	if (fflush(stdout) != 0)
		goto done;
	if (why != NULL) {
		fprintf(stderr, "%s: %s: NOT VERIFIED: %s\n", progname, slug, why);
		goto done;
	}
	if (keyfile == NULL)
		fprintf(stderr,
		        "%s: note: the key came from the server itself; pin it (--key FILE) "
		        "for a check that does not trust the server\n",
		        progname);
	ret = 0;
done:
	json_decref(j);
	json_decref(out);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	client_response_free(&doc);
	client_response_free(&sigres);
	client_response_free(&keyres);
	return ret;
}

/* lockstep receipt EVIDENCE_ID: print the signed receipt. */
static int
cmd_receipt(const char *base_url, const char *id)
{
	char path[CLIENT_MAX_PATH];

	if (!util_uuid_valid(id)) {
		fprintf(stderr, "%s: EVIDENCE_ID is a lower-case UUID\n", progname);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/evidence/%s/receipt", id);
	return cmd_call(base_url, "GET", path, NULL);
}

int
main(int argc, char **argv)
{
	char base_url[CLIENT_MAX_URL + 1];
	const char *url = getenv("LOCKSTEP_URL");
	const char *cmd;
	int i = 1, nargs, ret;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');

		progname = slash ? slash + 1 : argv[0];
	}
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("lockstep %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
			url = argv[++i];
		} else if (strncmp(argv[i], "--url=", 6) == 0) {
			url = argv[i] + 6;
		} else {
			fprintf(stderr, "%s: unknown option %s\n", progname, argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (url == NULL || url[0] == '\0')
		url = CLIENT_DEFAULT_URL;
	if (client_base_url(url, base_url, sizeof(base_url)) != 0) {
		fprintf(stderr, "%s: the server URL must be http:// or https:// without spaces\n",
		        progname);
		return EXIT_USAGE;
	}
	cmd = argv[i++];
	nargs = argc - i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "%s: cannot initialise libcurl\n", progname);
		return EXIT_PROBLEM;
	}
	ret = EXIT_USAGE;
	if (strcmp(cmd, "login") == 0 && nargs == 1)
		ret = cmd_login(base_url, argv[i]);
	else if (strcmp(cmd, "logout") == 0 && nargs == 0)
		ret = cmd_logout(base_url);
	else if (strcmp(cmd, "me") == 0 && nargs == 0)
		ret = cmd_call(base_url, "GET", "/api/v1/me", NULL);
	else if (strcmp(cmd, "get") == 0 && nargs == 1)
		ret = cmd_call(base_url, "GET", argv[i], NULL);
	else if (strcmp(cmd, "delete") == 0 && nargs == 1)
		ret = cmd_call(base_url, "DELETE", argv[i], NULL);
	else if (strcmp(cmd, "post") == 0 && nargs == 2)
		ret = cmd_call(base_url, "POST", argv[i], argv[i + 1]);
	else if (strcmp(cmd, "patch") == 0 && nargs == 2)
		ret = cmd_call(base_url, "PATCH", argv[i], argv[i + 1]);
	else if (strcmp(cmd, "put") == 0 && nargs == 2)
		ret = cmd_call(base_url, "PUT", argv[i], argv[i + 1]);
	else if (strcmp(cmd, "upload") == 0 && nargs >= 2)
		ret = cmd_upload(base_url, nargs, argv + i);
	else if (strcmp(cmd, "download") == 0 && nargs == 2)
		ret = cmd_download(base_url, argv[i], argv[i + 1]);
	else if (strcmp(cmd, "receipt") == 0 && nargs == 1)
		ret = cmd_receipt(base_url, argv[i]);
	else if (strcmp(cmd, "name-check") == 0 && nargs == 2)
		ret = cmd_name_check(base_url, argv[i], argv[i + 1]);
	else if (strcmp(cmd, "verify") == 0 && nargs >= 1)
		ret = cmd_verify(base_url, nargs, argv + i);
	else
		usage(stderr);
	curl_global_cleanup();
	return ret;
}

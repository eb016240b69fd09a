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
 *
 * PATH is either absolute ("/api/v1/orgs") or relative to /api/v1
 * ("orgs"). The server comes from --url, else LOCKSTEP_URL, else
 * http://127.0.0.1:8080. The session token is kept, mode 0600, in
 * $XDG_CONFIG_HOME/lockstep/token (or ~/.config/lockstep/token); the
 * server it belongs to is kept beside it in "url", and the token is never
 * sent to another server.
 *
 * Exit status: 0 on a 2xx answer, 1 on a refusal (its problem title and
 * detail go to stderr) or a transport error, 2 on a usage error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util/json.h"

#define CLIENT_DEFAULT_URL "http://127.0.0.1:8080"
#define CLIENT_MAX_RESPONSE (16u * 1024 * 1024)
#define CLIENT_MAX_REQUEST (16u * 1024 * 1024)
#define CLIENT_MAX_PATH 4096
#define CLIENT_MAX_URL 2048
#define CLIENT_MAX_TOKEN 512
#define CLIENT_MAX_PASSWORD 1024

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
	    "PATH is absolute (/api/v1/orgs) or relative to /api/v1 (orgs).\n"
	    "The server is --url, else $LOCKSTEP_URL, else " CLIENT_DEFAULT_URL ".\n"
	    "login reads the password from $LOCKSTEP_PASSWORD or asks for it.\n",
	    progname, progname, progname, progname);
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
	for (char *p = tmp + 1; ; p++) {
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
		fprintf(stderr, "%s: %s: not a private regular file of yours (chmod 600 it, or log in again)\n",
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
			fprintf(stderr, "%s: not sending the saved token: it belongs to ", progname);
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
 * Send one request: method to base_url + path, with the JSON body (or
 * NULL) and the bearer token (or "" for none). Fills res (caller frees
 * with client_response_free). Returns 0 when an answer arrived (whatever
 * its status), -1 on a transport error or an oversized answer (message
 * printed).
 */
static int
client_request(const char *base_url, const char *method, const char *path,
    const char *body, const char *token, struct client_response *res)
{
	char url[CLIENT_MAX_URL + CLIENT_MAX_PATH + 1], auth[CLIENT_MAX_TOKEN + 32];
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL, *h;
	const char *ct = NULL;
	CURL *curl = NULL;
	CURLcode cc;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->body.max = CLIENT_MAX_RESPONSE;
	snprintf(url, sizeof(url), "%s%s", base_url, path);

	if ((curl = curl_easy_init()) == NULL)
		goto done;
	h = curl_slist_append(hdr, "Accept: application/json");
	if (h != NULL)
		hdr = h;
	if (body != NULL && (h = curl_slist_append(hdr, "Content-Type: application/json")) != NULL)
		hdr = h;
	/* No "Expect: 100-continue" round trip for large bodies. */
	if ((h = curl_slist_append(hdr, "Expect:")) != NULL)
		hdr = h;
	if (token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		if ((h = curl_slist_append(hdr, auth)) != NULL)
			hdr = h;
		explicit_bzero(auth, sizeof(auth));
	}
	if (hdr == NULL)
		goto done;

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "lockstep-cli/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLIENT_MAX_RESPONSE);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res->body);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}

	cc = curl_easy_perform(curl);
	if (res->body.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "%s: the answer is larger than %u bytes; refused\n", progname,
		    CLIENT_MAX_RESPONSE);
		goto done;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "%s: %s: %s\n", progname, url,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		res->content_type = strdup(ct);
	ret = 0;
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
	struct client_buf in = { .max = CLIENT_MAX_REQUEST };
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
	if ((j = json_in_parse(in.data ? in.data : "", in.len, JSON_IN_MAX_DEPTH, err, sizeof(err))) == NULL) {
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
		fprintf(stderr, "%s: no terminal to ask for the password; set LOCKSTEP_PASSWORD\n", progname);
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
	struct client_response res = { 0 };
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
		fprintf(stderr, "%s: the e-mail address or password is not valid UTF-8\n", progname);
		return EXIT_USAGE;
	}
	body = json_dumps(req, JSON_COMPACT);
	/* Wipe jansson's copy of the password too. */
	if ((pw = json_object_get(req, "password")) != NULL)
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
	if (body == NULL || client_request(base_url, "POST", "/api/v1/session", body, "", &res) != 0)
		goto done;
	if (res.status != 201) {
		ret = client_report(&res);
		goto done;
	}
	ans = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	token = json_string_value(json_object_get(ans, "token"));
	if (token == NULL || strlen(token) >= CLIENT_MAX_TOKEN || strpbrk(token, "\r\n \t") != NULL) {
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
	struct client_response res = { 0 };
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
	struct client_response res = { 0 };
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
		fprintf(stderr, "%s: the server URL must be http:// or https:// without spaces\n", progname);
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
	else
		usage(stderr);
	curl_global_cleanup();
	return ret;
}

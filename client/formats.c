/*
 * client/formats.c: lockstep import and export (findings as SARIF or CSV
 * in, CSV out).
 *
 *   lockstep import FILE --engagement ID [--threat-model TM] [--format sarif|csv]
 *   lockstep export ENGAGEMENT_ID --out FILE [--format csv|oscal]
 *   lockstep report ENGAGEMENT_ID --out FILE.html [--pdf FILE.pdf]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "util/util.h"

#define CLIENT_IMPORT_MAX (4u * 1024 * 1024)

/* "sarif" or "csv" from --format or FILE's extension, or NULL. */
static const char *
client_import_format(const char *file, const char *opt)
{
	const char *dot = strrchr(file, '.');

	if (opt != NULL)
		return strcasecmp(opt, "sarif") == 0 ? "sarif"
		       : strcasecmp(opt, "csv") == 0 ? "csv"
		                                     : NULL;
	if (dot == NULL)
		return NULL;
	if (strcasecmp(dot, ".sarif") == 0 || strcasecmp(dot, ".json") == 0)
		return "sarif";
	if (strcasecmp(dot, ".csv") == 0)
		return "csv";
	return NULL;
}

/* Print an invalid-import problem's errors on stderr, one a line. */
static void
client_import_errors(json_t *j)
{
	json_t *errors = json_object_get(j, "errors"), *e;
	size_t i;

	json_array_foreach(errors, i, e)
	{
		const char *ptr = json_string_value(json_object_get(e, "pointer"));
		const char *field = json_string_value(json_object_get(e, "field"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		json_t *row = json_object_get(e, "row"), *line = json_object_get(e, "line");

		fputs("  ", stderr);
		if (ptr != NULL) {
			fputs(ptr[0] ? "" : "(document)", stderr);
			client_put_clean_str(stderr, ptr);
		} else if (json_is_integer(row)) {
			fprintf(stderr, "row %lld", (long long)json_integer_value(row));
			if (json_is_integer(line))
				fprintf(stderr, " (line %lld)",
				        (long long)json_integer_value(line));
		} else if (json_is_integer(line)) {
			fprintf(stderr, "line %lld", (long long)json_integer_value(line));
		}
		if (field != NULL) {
			fputs(" ", stderr);
			client_put_clean_str(stderr, field);
		}
		fputs(": ", stderr);
		client_put_clean_str(stderr, reason ? reason : "invalid");
		fputc('\n', stderr);
	}
	if (json_integer_value(json_object_get(j, "error_count")) > (json_int_t)i)
		fprintf(stderr, "  ... and %lld more\n",
		        (long long)(json_integer_value(json_object_get(j, "error_count")) -
		                    (json_int_t)i));
}

int
client_cmd_import(const struct client_ctx *ctx, char **args, const char **opts)
{
	const char *file = args[0], *eng = opts[0], *tm = opts[1];
	const char *format = client_import_format(file, opts[2]);
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	char ct[64];
	const char *hdr[] = {ct, NULL};
	struct client_buf in = {0};
	struct client_response res = {0};
	struct client_call call = {.method = "POST", .path = path, .token = token, .headers = hdr};
	json_t *j = NULL;
	int ret = CLIENT_EXIT_USAGE;

	token[0] = '\0';
	if (eng == NULL || !util_uuid_valid(eng)) {
		fprintf(stderr, "%s: --engagement ID (a lower-case UUID) is required\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (format == NULL) {
		fprintf(stderr,
		        "%s: say --format sarif or --format csv (or name the file "
		        "*.sarif, *.json or *.csv)\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (tm != NULL) {
		for (const char *p = tm; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-')) {
				fprintf(stderr, "%s: --threat-model is a code like WEIGHTS-EXFIL\n",
				        client_progname);
				return CLIENT_EXIT_USAGE;
			}
		if (strlen(tm) > 32)
			return CLIENT_EXIT_USAGE;
	}
	if (client_read_file(file, CLIENT_IMPORT_MAX, &in) != 0)
		return CLIENT_EXIT_PROBLEM;
	if (in.len == 0 || memchr(in.data, '\0', in.len) != NULL ||
	    client_buf_append(&in, "", 1) != 0) {
		fprintf(stderr, "%s: %s: empty, or holds a NUL byte\n", client_progname, file);
		goto done;
	}
	snprintf(path, sizeof(path), "/api/v1/engagements/%s/findings:import%s%s", eng,
	         tm ? "?threat_model=" : "", tm ? tm : "");
	snprintf(ct, sizeof(ct), "Content-Type: %s",
	         strcmp(format, "csv") == 0 ? "text/csv; charset=utf-8" : "application/sarif+json");
	call.body = in.data;
	ret = CLIENT_EXIT_PROBLEM;
	if (client_load_token(ctx->base_url, token) != 0 ||
	    client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	ret = client_report(&res);
	if (ret != 0 && (j = client_response_json(&res)) != NULL)
		client_import_errors(j);
done:
	explicit_bzero(token, sizeof(token));
	json_decref(j);
	client_buf_free(&in);
	client_response_free(&res);
	return ret;
}

/*
 * Write n bytes to a new file out (0600, never overwriting, not through a
 * symbolic link). 0 or -1 (message printed; a partial file is removed).
 */
int
client_write_new(const char *out, const char *buf, size_t n)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, out, strerror(errno));
		return -1;
	}
	while (off < n) {
		ssize_t w = write(fd, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < n || close(fd) != 0) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, out, strerror(errno));
		if (off < n)
			close(fd);
		unlink(out);
		return -1;
	}
	return 0;
}

int
client_cmd_export(const struct client_ctx *ctx, char **args, const char **opts)
{
	const char *eng = args[0], *out = opts[0], *format = opts[1] ? opts[1] : "csv";
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	static const char *const hdr[] = {"Accept: text/csv, application/json", NULL};
	struct client_response res = {0};
	struct client_call call = {.method = "GET", .path = path, .token = token, .headers = hdr};
	int ret = CLIENT_EXIT_PROBLEM;

	token[0] = '\0';
	if (!util_uuid_valid(eng)) {
		fprintf(stderr, "%s: ENGAGEMENT_ID is a lower-case UUID\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (out == NULL) {
		fprintf(stderr, "%s: --out FILE is required\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (strcmp(format, "csv") != 0 && strcmp(format, "oscal") != 0) {
		fprintf(stderr, "%s: --format is csv or oscal\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/engagements/%s/%s", eng,
	         strcmp(format, "csv") == 0 ? "findings.csv" : "oscal");
	if (client_load_token(ctx->base_url, token) != 0 ||
	    client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	if (res.status != 200) {
		ret = client_report(&res);
		goto done;
	}
	if (client_write_new(out, res.body.data ? res.body.data : "", res.body.len) == 0) {
		fprintf(stderr, "%s: wrote %s (%zu bytes)\n", client_progname, out, res.body.len);
		ret = 0;
	}
done:
	explicit_bzero(token, sizeof(token));
	client_response_free(&res);
	return ret;
}

/* The Chromium to print with: $LOCKSTEP_CHROMIUM, else the first of the usual paths, or NULL. */
static const char *
client_chromium(void)
{
	static const char *const paths[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser",
	                                    "/usr/bin/google-chrome", NULL};
	const char *env = getenv("LOCKSTEP_CHROMIUM");

	if (env != NULL && env[0] != '\0')
		return access(env, X_OK) == 0 ? env : NULL;
	for (size_t i = 0; paths[i] != NULL; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Render html (a file) to pdf with headless Chromium. 0 or -1 (message printed). */
static int
client_print_pdf(const char *html, const char *pdf)
{
	const char *chromium = client_chromium();
	char *abs = NULL, *url = NULL, *out = NULL, *profile = NULL;
	char tmpl[] = "/tmp/lockstep-chromium-XXXXXX";
	int ret = -1, st;
	pid_t pid;

	if (chromium == NULL) {
		fprintf(stderr,
		        "%s: no Chromium found for --pdf (install Debian's chromium, or set "
		        "LOCKSTEP_CHROMIUM); the HTML report was written\n",
		        client_progname);
		return -1;
	}
	if (access(pdf, F_OK) == 0) {
		fprintf(stderr, "%s: %s exists; not overwriting it\n", client_progname, pdf);
		return -1;
	}
	if ((abs = realpath(html, NULL)) == NULL || mkdtemp(tmpl) == NULL ||
	    asprintf(&url, "file://%s", abs) < 0 || asprintf(&out, "--print-to-pdf=%s", pdf) < 0 ||
	    asprintf(&profile, "--user-data-dir=%s", tmpl) < 0) {
		fprintf(stderr, "%s: %s\n", client_progname, strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0)
		goto done;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		/* --no-sandbox: Chromium refuses to run as root with its sandbox; the page is
		 * our own report (no script: the server escapes every text), a local file */
		execl(chromium, chromium, "--headless", "--disable-gpu", "--no-sandbox",
		      "--no-first-run", "--disable-extensions", "--disable-background-networking",
		      "--no-pdf-header-footer", profile, out, url, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    access(pdf, R_OK) != 0) {
		fprintf(stderr, "%s: %s could not print %s\n", client_progname, chromium, pdf);
		goto done;
	}
	ret = 0;
done:
	if (tmpl[strlen(tmpl) - 1] != 'X') {
		char *cmd = NULL;

		/* Chromium's throw-away profile */
		if (asprintf(&cmd, "rm -rf -- '%s'", tmpl) >= 0)
			(void)!system(cmd);
		free(cmd);
	}
	free(abs);
	free(url);
	free(out);
	free(profile);
	return ret;
}

int
client_cmd_report(const struct client_ctx *ctx, char **args, const char **opts)
{
	static const char link[] = "<link rel=\"stylesheet\" href=\"/web/report.css\">";
	const char *eng = args[0], *out = opts[0], *pdf = opts[1];
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	static const char *const hdr[] = {"Accept: text/html", NULL};
	static const char *const css_hdr[] = {"Accept: text/css", NULL};
	struct client_response res = {0}, css = {0};
	struct client_call call = {.method = "GET", .path = path, .token = token, .headers = hdr};
	struct client_call css_call = {
	    .method = "GET", .path = "/web/report.css", .headers = css_hdr};
	struct client_buf page = {.max = CLIENT_MAX_RESPONSE * 2};
	const char *at;
	int ret = CLIENT_EXIT_PROBLEM;

	token[0] = '\0';
	if (!util_uuid_valid(eng)) {
		fprintf(stderr, "%s: ENGAGEMENT_ID is a lower-case UUID\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (out == NULL) {
		fprintf(stderr, "%s: --out FILE.html is required\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/engagements/%s/report", eng);
	if (client_load_token(ctx->base_url, token) != 0 ||
	    client_request(ctx->base_url, &call, &res) != 0)
		goto done;
	if (res.status != 200) {
		ret = client_report(&res);
		goto done;
	}
	/* a self-contained file: the stylesheet goes inline (no CSP applies to a local file) */
	if (client_buf_append(&page, "", 0) != 0 ||
	    client_request(ctx->base_url, &css_call, &css) != 0 || css.status != 200)
		goto done;
	at = res.body.data ? strstr(res.body.data, link) : NULL;
	if (at == NULL) {
		if (client_buf_append(&page, res.body.data, res.body.len) != 0)
			goto done;
	} else if (client_buf_append(&page, res.body.data, (size_t)(at - res.body.data)) != 0 ||
	           client_buf_append(&page, "<style>\n", 8) != 0 ||
	           client_buf_append(&page, css.body.data, css.body.len) != 0 ||
	           client_buf_append(&page, "</style>", 8) != 0 ||
	           client_buf_append(&page, at + strlen(link),
	                             res.body.len - (size_t)(at - res.body.data) - strlen(link)) !=
	               0) {
		goto done;
	}
	if (client_write_new(out, page.data, page.len) != 0)
		goto done;
	fprintf(stderr, "%s: wrote %s\n", client_progname, out);
	if (pdf != NULL) {
		if (client_print_pdf(out, pdf) != 0)
			goto done;
		fprintf(stderr, "%s: wrote %s\n", client_progname, pdf);
	}
	ret = 0;
done:
	explicit_bzero(token, sizeof(token));
	client_buf_free(&page);
	client_response_free(&res);
	client_response_free(&css);
	return ret;
}

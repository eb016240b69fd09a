/*
 * client/http.c: byte buffers, one request answered in memory
 * (client_request) and the printing of answers (client_report).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"

const char *client_progname = "lockstep";

int
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

void
client_buf_free(struct client_buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

void
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

void
client_put_clean_str(FILE *f, const char *s)
{
	client_put_clean(f, s, strlen(s));
}

void
client_fmt_size(long long n, char *out, size_t outlen)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double x = (double)n;
	size_t i = 0;

	if (n < 1024) {
		snprintf(out, outlen, "%lld B", n);
		return;
	}
	x /= 1024;
	while (x >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		x /= 1024;
		i++;
	}
	snprintf(out, outlen, "%.1f %s", x, units[i]);
}

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

CURL *
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
	if (rc == 0 && token != NULL && token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		rc = client_header(hdr, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (rc != 0 || (curl = curl_easy_init()) == NULL) {
		curl_slist_free_all(*hdr);
		*hdr = NULL;
		fprintf(stderr, "%s: out of memory\n", client_progname);
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
 * The value of response header name (trimmed; printable ASCII only, else
 * NULL), malloc'd, or NULL when absent.
 */
static char *
client_kept_header(CURL *curl, const char *name)
{
	struct curl_header *h = NULL;
	const char *v;
	size_t len;
	char *out;

	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL ||
	    h->value == NULL)
		return NULL;
	v = h->value;
	v += strspn(v, " \t");
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return NULL;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, v, len);
	out[len] = '\0';
	return out;
}

int
client_request(const char *base_url, const struct client_call *call, struct client_response *res)
{
	char url[CLIENT_MAX_URL + CLIENT_MAX_PATH + 1];
	char errbuf[CURL_ERROR_SIZE];
	/* No "Expect: 100-continue" round trip for large bodies. */
	const char *lines[16] = {"Expect:"};
	const char *method = call->method != NULL ? call->method : "GET";
	struct curl_slist *hdr = NULL;
	const char *ct = NULL;
	size_t n = 1;
	CURL *curl = NULL;
	CURLcode cc;
	int accept = 0, type = 0, ret = -1;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; call->headers != NULL && call->headers[i] != NULL; i++) {
		accept |= strncasecmp(call->headers[i], "Accept:", 7) == 0;
		type |= strncasecmp(call->headers[i], "Content-Type:", 13) == 0;
	}
	if (!accept)
		lines[n++] = "Accept: application/json";
	if (call->body != NULL && !type)
		lines[n++] = "Content-Type: application/json";
	for (size_t i = 0; call->headers != NULL && call->headers[i] != NULL && n < 15; i++)
		lines[n++] = call->headers[i];
	lines[n] = NULL;
	if (snprintf(url, sizeof(url), "%s%s", base_url, call->path) >= (int)sizeof(url)) {
		fprintf(stderr, "%s: the URL is too long\n", client_progname);
		return -1;
	}
	if ((curl = client_curl_new(url, call->token, lines, &hdr, errbuf)) == NULL)
		goto done;
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, call->timeout > 0 ? call->timeout : 300L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (call->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(call->body));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	}
	res->body.max = CLIENT_MAX_RESPONSE;
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLIENT_MAX_RESPONSE);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res->body);
	cc = curl_easy_perform(curl);
	if (res->body.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "%s: the answer is larger than %u bytes; refused\n",
		        client_progname, CLIENT_MAX_RESPONSE);
		goto done;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, url,
		        errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		res->content_type = strdup(ct);
	for (size_t i = 0; call->keep != NULL && call->keep[i] != NULL && i < CLIENT_KEEP_MAX; i++)
		res->kept[i] = client_kept_header(curl, call->keep[i]);
	ret = 0;
done:
	curl_slist_free_all(hdr);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}

void
client_response_free(struct client_response *res)
{
	free(res->content_type);
	for (size_t i = 0; i < CLIENT_KEEP_MAX; i++)
		free(res->kept[i]);
	client_buf_free(&res->body);
	memset(res, 0, sizeof(*res));
}

static int
client_is_json(const struct client_response *res)
{
	const char *ct = res->content_type;

	return ct != NULL && (strncmp(ct, "application/json", 16) == 0 ||
	                      strncmp(ct, "application/problem+json", 24) == 0);
}

json_t *
client_response_json(const struct client_response *res)
{
	if (res->body.len == 0 || !client_is_json(res))
		return NULL;
	return json_loadb(res->body.data, res->body.len, JSON_DECODE_ANY, NULL);
}

int
client_report(const struct client_response *res)
{
	json_t *j = client_response_json(res);

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
		return fflush(stdout) == 0 ? 0 : CLIENT_EXIT_PROBLEM;
	}

	fprintf(stderr, "%s: HTTP %ld", client_progname, res->status);
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
	return CLIENT_EXIT_PROBLEM;
}

/*
 * GET / and GET /web/{*}: the static browser client from LOCKSTEP_WEB_DIR.
 * The router has already refused empty, "." and ".." segments; names are
 * further limited to [A-Za-z0-9._-] and known extensions, so nothing
 * outside the web directory can be named.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "conf.h"

#define STATIC_MAX (2 * 1024 * 1024)

static const char *
static_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return NULL;
	if (strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	return NULL;
}

static int
static_name_ok(const char *name)
{
	if (*name == '\0' || *name == '.' || strlen(name) > 100)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int
static_send(struct http_request *r, const char *name)
{
	const char *type = static_type(name);
	char path[4096];
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = -1, rc;

	if (!static_name_ok(name) || type == NULL)
		return http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
	snprintf(path, sizeof(path), "%s/%s", config.web_dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX) {
		rc = http_reply_problem(r, PROBLEM_NOT_FOUND, NULL);
		goto done;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
		goto done;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		rc = http_reply_problem(r, PROBLEM_INTERNAL, NULL);
		goto done;
	}
	rc = http_reply_bytes(r, 200, type, buf, (size_t)n, NULL);
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int
api_index_get(struct http_request *r)
{
	return static_send(r, "index.html");
}

int
api_static_get(struct http_request *r)
{
	return static_send(r, r->match.rest);
}

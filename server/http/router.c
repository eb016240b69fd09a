/*
 * router: match a method and path against a static route table
 * (see router.h). Pure string work; no I/O, no allocation.
 *
 * The path given is the one libmicrohttpd hands over: already
 * percent-decoded, without the query string. Validation runs on that
 * decoded form, so "%2e%2e" arrives here as ".." and is refused.
 */
#include <stdio.h>
#include <string.h>

#include "http/router.h"

#define ROUTER_MAX_ALLOW 16 /* distinct methods in one Allow list */

/*
 * Check the path shape. Returns 1 if acceptable and sets *trailing to 1 if
 * the path ends in '/' (other than "/" itself), 0 for ROUTER_BAD_PATH:
 * NULL, not starting with '/', longer than ROUTER_MAX_PATH bytes, a
 * control byte (< 0x20 or 0x7f), an empty segment before the end ("//"),
 * a segment of "." or "..", or a segment longer than ROUTER_MAX_SEGMENT.
 */
static int
router_check_path(const char *path, int *trailing)
{
	const char *seg, *p;
	size_t len, seglen;

	*trailing = 0;
	if (path == NULL || path[0] != '/')
		return 0;
	len = strnlen(path, ROUTER_MAX_PATH + 1);
	if (len > ROUTER_MAX_PATH)
		return 0;
	for (p = path; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	if (len == 1)
		return 1; /* "/" */

	seg = path + 1;
	for (;;) {
		p = strchr(seg, '/');
		seglen = p != NULL ? (size_t)(p - seg) : strlen(seg);
		if (seglen == 0) {
			if (p != NULL)
				return 0; /* "//" */
			*trailing = 1;    /* "/a/" */
			return 1;
		}
		if (seglen > ROUTER_MAX_SEGMENT)
			return 0;
		if ((seglen == 1 && seg[0] == '.') ||
		    (seglen == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (p == NULL)
			return 1;
		seg = p + 1;
	}
}

/*
 * Match a validated, non-trailing path against one pattern. Returns 1 on
 * a match and fills m->params, m->nparams and m->rest; 0 otherwise (m's
 * params may then hold partial captures). A pattern with more than
 * ROUTER_MAX_PARAMS parameters never matches.
 */
static int
router_match_pattern(const char *pattern, const char *path, struct router_match *m)
{
	const char *pp, *sp, *pe, *se;
	size_t plen, slen;

	m->nparams = 0;
	m->rest[0] = '\0';
	if (pattern == NULL || pattern[0] != '/')
		return 0;
	if (strcmp(pattern, "/") == 0 || strcmp(path, "/") == 0)
		return strcmp(pattern, path) == 0;

	pp = pattern + 1;
	sp = path + 1;
	for (;;) {
		pe = strchr(pp, '/');
		if (pe == NULL)
			pe = pp + strlen(pp);
		se = strchr(sp, '/');
		if (se == NULL)
			se = sp + strlen(sp);
		plen = (size_t)(pe - pp);
		slen = (size_t)(se - sp);

		if (plen == 3 && memcmp(pp, "{*}", 3) == 0 && *pe == '\0') {
			/* The rest: one or more segments, already validated. */
			size_t rlen = strlen(sp);

			if (rlen > ROUTER_MAX_PATH)
				return 0;
			memcpy(m->rest, sp, rlen + 1);
			return 1;
		}
		if (plen >= 2 && pp[0] == '{' && pp[plen - 1] == '}') {
			if (m->nparams >= ROUTER_MAX_PARAMS || slen > ROUTER_MAX_SEGMENT)
				return 0;
			memcpy(m->params[m->nparams], sp, slen);
			m->params[m->nparams][slen] = '\0';
			m->nparams++;
		} else if (plen != slen || memcmp(pp, sp, plen) != 0) {
			return 0;
		}

		if (*pe == '\0' || *se == '\0')
			return *pe == '\0' && *se == '\0';
		pp = pe + 1;
		sp = se + 1;
	}
}

/*
 * Fill allow (allowlen bytes, NUL-terminated) with the distinct methods
 * of every route whose pattern matches path, in table order, HEAD right
 * after GET, joined by ", ". An entry that does not fit is left out
 * whole. scratch receives partial captures and is otherwise unused.
 */
static void
router_build_allow(const struct router_route *table, const char *path, struct router_match *scratch,
                   char *allow, size_t allowlen)
{
	const char *methods[ROUTER_MAX_ALLOW];
	size_t n = 0, i, used = 0;
	const struct router_route *r;

	if (allow == NULL || allowlen == 0)
		return;
	allow[0] = '\0';
	for (r = table; r->method != NULL; r++) {
		const char *add[2] = {r->method, NULL};
		size_t a;

		if (!router_match_pattern(r->pattern, path, scratch))
			continue;
		if (strcmp(r->method, "GET") == 0)
			add[1] = "HEAD";
		for (a = 0; a < 2 && add[a] != NULL; a++) {
			for (i = 0; i < n; i++)
				if (strcmp(methods[i], add[a]) == 0)
					break;
			if (i == n && n < ROUTER_MAX_ALLOW)
				methods[n++] = add[a];
		}
	}
	for (i = 0; i < n; i++) {
		size_t mlen = strlen(methods[i]);
		size_t sep = used > 0 ? 2 : 0;

		if (used + sep + mlen + 1 > allowlen)
			break;
		if (sep) {
			memcpy(allow + used, ", ", 2);
			used += 2;
		}
		memcpy(allow + used, methods[i], mlen);
		used += mlen;
		allow[used] = '\0';
	}
}

/*
 * See router.h. Returns ROUTER_BAD_PATH for a malformed path (see
 * router_check_path), ROUTER_NOT_FOUND for a trailing '/' or no matching
 * pattern. A route whose method equals the request's wins, first in table
 * order; otherwise HEAD falls back to the first matching GET route. A NULL
 * method matches no route. m may be NULL; when given, it is reset on entry
 * and filled (route, params, rest) only on ROUTER_FOUND. On
 * ROUTER_METHOD_NOT_ALLOWED, allow receives e.g. "GET, HEAD, PATCH".
 * Never fails otherwise; allocates nothing.
 */
enum router_status
router_match(const struct router_route *table, const char *method, const char *path,
             struct router_match *m, char *allow, size_t allowlen)
{
	enum router_status ret = ROUTER_NOT_FOUND;
	struct router_match local;
	struct router_match *mm = m != NULL ? m : &local;
	const struct router_route *r;
	const struct router_route *head_get = NULL;
	int trailing, known = 0;

	memset(mm, 0, sizeof(*mm));
	if (allow != NULL && allowlen > 0)
		allow[0] = '\0';
	if (!router_check_path(path, &trailing)) {
		ret = ROUTER_BAD_PATH;
		goto done;
	}
	if (table == NULL)
		goto done;
	if (trailing) {
		/* a path ending in '/' matches only a pattern spelt exactly so
		 * ("/p/", the public index), never one with parameters */
		size_t used = 0;

		for (r = table; r->method != NULL; r++) {
			if (strcmp(r->pattern, path) != 0 || strchr(r->pattern, '{') != NULL)
				continue;
			if (method != NULL &&
			    (strcmp(r->method, method) == 0 ||
			     (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))) {
				mm->route = r;
				ret = ROUTER_FOUND;
				goto done;
			}
			if (allow != NULL && used < allowlen)
				used += (size_t)snprintf(
				    allow + used, allowlen - used, "%s%s%s", known ? ", " : "",
				    r->method, strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
			known = 1;
		}
		if (known)
			ret = ROUTER_METHOD_NOT_ALLOWED;
		goto done;
	}

	for (r = table; r->method != NULL; r++) {
		if (!router_match_pattern(r->pattern, path, mm))
			continue;
		known = 1;
		if (method == NULL)
			continue;
		if (strcmp(r->method, method) == 0) {
			mm->route = r;
			ret = ROUTER_FOUND;
			goto done;
		}
		if (head_get == NULL && strcmp(method, "HEAD") == 0 &&
		    strcmp(r->method, "GET") == 0)
			head_get = r;
	}
	if (head_get != NULL) {
		/* Capture again: later rows may have overwritten params. */
		router_match_pattern(head_get->pattern, path, mm);
		mm->route = head_get;
		ret = ROUTER_FOUND;
		goto done;
	}
	if (known) {
		router_build_allow(table, path, mm, allow, allowlen);
		ret = ROUTER_METHOD_NOT_ALLOWED;
	}
done:
	if (ret != ROUTER_FOUND)
		memset(mm, 0, sizeof(*mm)); /* drop partial captures */
	return ret;
}

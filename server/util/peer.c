/* util/peer.c: client addresses and trusted proxies. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/peer.h"
#include "util/util.h"

int
peer_parse_addr(const char *text, size_t len, struct peer_addr *out)
{
	char buf[PEER_TEXT_MAX + 1];
	struct in_addr a4;

	if (len == 0 || len > PEER_TEXT_MAX)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		out->b[10] = 0xff;
		out->b[11] = 0xff;
		memcpy(out->b + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1)
		return 0;
	return -1;
}

static int
peer_is_mapped(const struct peer_addr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

void
peer_format_addr(const struct peer_addr *addr, char *out, size_t outlen)
{
	if (peer_is_mapped(addr)) {
		if (inet_ntop(AF_INET, addr->b + 12, out, (socklen_t)outlen) == NULL)
			snprintf(out, outlen, "unknown");
	} else if (inet_ntop(AF_INET6, addr->b, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "unknown");
}

int
peer_parse_nets(const char *list, struct peer_net *nets, size_t max, char *err, size_t errlen)
{
	size_t n = 0;
	const char *p = list ? list : "";

	for (;;) {
		const char *start, *slash;
		size_t len;
		long long prefix;
		struct peer_net net;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - start);
		slash = memchr(start, '/', len);
		if (peer_parse_addr(start, slash ? (size_t)(slash - start) : len, &net.addr) != 0) {
			snprintf(err, errlen, "not an address: %.*s", (int)(len > 60 ? 60 : len),
			         start);
			return -1;
		}
		net.prefix = 128;
		if (slash != NULL) {
			char num[8];
			size_t nl = len - (size_t)(slash - start) - 1;
			unsigned max_prefix = peer_is_mapped(&net.addr) ? 32 : 128;

			if (nl == 0 || nl >= sizeof(num)) {
				snprintf(err, errlen, "bad prefix length in %.*s",
				         (int)(len > 60 ? 60 : len), start);
				return -1;
			}
			memcpy(num, slash + 1, nl);
			num[nl] = '\0';
			if (util_strnum(num, 0, max_prefix, &prefix) != 0) {
				snprintf(err, errlen, "bad prefix length in %.*s",
				         (int)(len > 60 ? 60 : len), start);
				return -1;
			}
			net.prefix = (unsigned)prefix + (max_prefix == 32 ? 96 : 0);
		}
		if (n == max) {
			snprintf(err, errlen, "more than %zu networks", max);
			return -1;
		}
		nets[n++] = net;
	}
	return (int)n;
}

static int
peer_in_net(const struct peer_addr *a, const struct peer_net *net)
{
	unsigned full = net->prefix / 8, rest = net->prefix % 8;

	if (memcmp(a->b, net->addr.b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a->b[full] ^ net->addr.b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
peer_in_nets(const struct peer_addr *addr, const struct peer_net *nets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (peer_in_net(addr, &nets[i]))
			return 1;
	return 0;
}

/*
 * One node of a Forwarded "for=" value or of an X-Forwarded-For element,
 * trimmed of quotes, brackets and a port. Returns 0 with *out set, or -1.
 */
static int
peer_parse_node(const char *s, size_t len, struct peer_addr *out)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL)
			return -1;
		/* "[v6]" or "[v6]:port" */
		if (close + 1 != s + len && close[1] != ':')
			return -1;
		return peer_parse_addr(s + 1, (size_t)(close - s - 1), out);
	}
	{
		/* IPv4 with an optional ":port"; a bare IPv6 has several colons */
		const char *colon = memchr(s, ':', len);

		if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL)
			len = (size_t)(colon - s);
	}
	return peer_parse_addr(s, len, out);
}

/*
 * The i-th element from the right of a list separated by commas; for
 * Forwarded, the "for=" parameter of that element. Returns 1 with the
 * node's span, 0 when the list has fewer elements, -1 when the element
 * has no usable node.
 */
static int
peer_element_from_right(const char *list, int forwarded, unsigned i, const char **node,
                        size_t *nlen)
{
	const char *end = list + strlen(list), *start;

	for (;;) {
		start = end;
		while (start > list && start[-1] != ',')
			start--;
		if (i == 0)
			break;
		if (start == list)
			return 0;
		end = start - 1;
		i--;
	}
	if (!forwarded) {
		*node = start;
		*nlen = (size_t)(end - start);
		return 1;
	}
	/* forwarded-element: pairs separated by ';' */
	while (start < end) {
		const char *pe = memchr(start, ';', (size_t)(end - start));
		const char *p = start;

		if (pe == NULL)
			pe = end;
		while (p < pe && (*p == ' ' || *p == '\t'))
			p++;
		if (pe - p > 4 && strncasecmp(p, "for=", 4) == 0) {
			*node = p + 4;
			*nlen = (size_t)(pe - p - 4);
			return 1;
		}
		start = pe + 1;
	}
	return -1;
}

int
peer_forwarded_client(const char *forwarded, const char *xff, const struct peer_net *nets, size_t n,
                      struct peer_addr *client)
{
	const char *list = forwarded ? forwarded : xff;
	int is_fwd = forwarded != NULL;

	struct peer_addr last;
	int have_last = 0;

	if (list == NULL)
		return -1;
	for (unsigned i = 0; i < 32; i++) {
		const char *node;
		size_t nlen;
		struct peer_addr a;
		int rc = peer_element_from_right(list, is_fwd, i, &node, &nlen);

		if (rc == 0 && have_last) {
			/* every hop is a trusted proxy: the leftmost is the client */
			*client = last;
			return 0;
		}
		if (rc <= 0)
			return -1;
		if (peer_parse_node(node, nlen, &a) != 0)
			return -1;
		if (!peer_in_nets(&a, nets, n)) {
			*client = a;
			return 0;
		}
		last = a;
		have_last = 1;
	}
	return -1;
}

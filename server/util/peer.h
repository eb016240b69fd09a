/*
 * peer: client addresses. Parsing of address lists (CIDR), and the client
 * address of a request that came through a trusted proxy
 * (X-Forwarded-For, Forwarded). No libmicrohttpd here, so it is
 * unit-testable.
 */
#ifndef LOCKSTEP_PEER_H
#define LOCKSTEP_PEER_H

#include <stddef.h>
#include <stdint.h>

/* An IPv4 address is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
struct peer_addr {
	uint8_t b[16];
};

struct peer_net {
	struct peer_addr addr;
	unsigned prefix; /* 0..128, on the mapped form for IPv4 */
};

#define PEER_MAX_NETS 64
#define PEER_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/*
 * Parse one address (IPv4 or IPv6, no port, no brackets) into *out.
 * Returns 0, or -1 when text is not an address.
 */
int peer_parse_addr(const char *text, size_t len, struct peer_addr *out);

/* Write addr as text (IPv4 for mapped addresses) into out (PEER_TEXT_MAX bytes). */
void peer_format_addr(const struct peer_addr *addr, char *out, size_t outlen);

/*
 * Parse a comma- or space-separated list of addresses and CIDR networks
 * ("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8") into nets (at most max).
 * Returns the count (0 for an empty list), or -1 with a reason in err.
 */
int peer_parse_nets(const char *list, struct peer_net *nets, size_t max, char *err, size_t errlen);

/* 1 if addr is inside one of the n nets, else 0. */
int peer_in_nets(const struct peer_addr *addr, const struct peer_net *nets, size_t n);

/*
 * The client address of a request whose TCP peer is a trusted proxy.
 * forwarded: the "Forwarded" header (RFC 7239) or NULL; xff: the
 * "X-Forwarded-For" header or NULL. Forwarded wins when present. The list
 * is walked from the right (the hop nearest to us) and trusted proxies
 * are skipped: the first address that is not a trusted proxy is the
 * client. Returns 0 with *client set, or -1 when neither header yields an
 * address (no header, a malformed element or "unknown"/obfuscated hop
 * before an untrusted address is found): the caller then keeps the peer.
 */
int peer_forwarded_client(const char *forwarded, const char *xff, const struct peer_net *nets,
                          size_t n, struct peer_addr *client);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef NETD_ADDR_H
#define NETD_ADDR_H

/*
 * Addresses, prefixes, ranges and MACs: the one home of their parsing, formatting, containment,
 * overlap and arithmetic, for both families. Parsers are strict (inet_pton's rules: IPv4 is a
 * dotted quad, no short forms, no octal, no spaces) and take err last; err may be NULL when the
 * caller writes its own message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/err.h>

/* Room for any address, "ADDR/LEN", "[ADDR]" and a MAC, with the NUL. */
#define NETD_IP_STRLEN	   46 /* INET6_ADDRSTRLEN */
#define NETD_PREFIX_STRLEN (NETD_IP_STRLEN + 4)
#define NETD_HOST_STRLEN   (NETD_IP_STRLEN + 2)
#define NETD_MAC_LEN	   6
#define NETD_MAC_STRLEN	   18

/* family is AF_INET or AF_INET6; the union member that goes with it holds the address. */
struct netd_ip {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* ip/len; ip may have host bits set where the caller allows it (see netd_prefix_is_network). */
struct netd_prefix {
	struct netd_ip ip;
	unsigned len;
};

/* first..last, both of one family. */
struct netd_ip_range {
	struct netd_ip first, last;
};

/* ---- addresses ---- */
/* family AF_INET, AF_INET6 or AF_UNSPEC (either). -EINVAL when s is not one. */
int netd_ip_parse(const char *s, int family, struct netd_ip *ip,
		  struct netd_err *err) NETD_MUST_USE;
/* The IPv4 shorthand for the in_addr fields of the public structs. */
int netd_ip4_parse(const char *s, struct in_addr *a, struct netd_err *err) NETD_MUST_USE;
/* s[0..len) need not be NUL-terminated (a field of a larger text). */
int netd_ip_parse_n(const char *s, size_t len, int family, struct netd_ip *ip,
		    struct netd_err *err) NETD_MUST_USE;
/* Canonical text ("10.0.0.1", "fd00::1"; "?" for an unknown family); returns buf. */
const char *netd_ip_format(const struct netd_ip *ip, char *buf, size_t len);
const char *netd_ip4_format(struct in_addr a, char *buf, size_t len);
/* As netd_ip_format with IPv6 in brackets, for text where a ":PORT" follows: "[fd00::1]". */
const char *netd_ip_format_host(const struct netd_ip *ip, char *buf, size_t len);
/* "HOST:REST" where HOST is an IPv4 address or a bracketed IPv6 one ("[::1]:8080"); on success
 * *rest points after the ':'. -EINVAL for anything else (a bare IPv6 address included). */
int netd_ip_parse_host(const char *s, int family, struct netd_ip *ip, const char **rest,
		       struct netd_err *err) NETD_MUST_USE;

struct netd_ip netd_ip_from4(struct in_addr a);
bool netd_ip_is_zero(const struct netd_ip *ip);
bool netd_ip_equal(const struct netd_ip *a, const struct netd_ip *b);
/* Orders by family, then by address (numeric order). */
int netd_ip_cmp(const struct netd_ip *a, const struct netd_ip *b);
/* *out = ip + off; -ERANGE when that passes the end of the family's space. Constant cost. */
int netd_ip_add(const struct netd_ip *ip, uint64_t off, struct netd_ip *out) NETD_MUST_USE;
/* *off = hi - lo; -ERANGE when hi < lo or the distance does not fit 64 bits, -EINVAL when the
 * families differ. */
int netd_ip_diff(const struct netd_ip *lo, const struct netd_ip *hi, uint64_t *off) NETD_MUST_USE;

/* ---- prefixes ---- */
/* "ADDR/LEN" (LEN decimal, at most 2 digits for IPv4, 3 for IPv6, <= 32 or 128). Host bits may
 * be set; the caller decides (netd_prefix_is_network). */
int netd_prefix_parse(const char *s, int family, struct netd_prefix *p,
		      struct netd_err *err) NETD_MUST_USE;
int netd_prefix_parse_n(const char *s, size_t len, int family, struct netd_prefix *p,
			struct netd_err *err) NETD_MUST_USE;
/* "ADDR/LEN"; returns buf. */
const char *netd_prefix_format(const struct netd_prefix *p, char *buf, size_t len);
struct netd_prefix netd_prefix_from4(struct in_addr a, unsigned len);
/* The number of bits in an address of the prefix's family (32 or 128). */
unsigned netd_prefix_max(const struct netd_prefix *p);
/* No host bits set. */
bool netd_prefix_is_network(const struct netd_prefix *p);
/* p with the host bits cleared (the network address). */
struct netd_prefix netd_prefix_network(const struct netd_prefix *p);
/* The last address of p (all host bits set; the broadcast address for IPv4). */
struct netd_ip netd_prefix_last(const struct netd_prefix *p);
/* ip of the same family and inside p. */
bool netd_prefix_contains(const struct netd_prefix *p, const struct netd_ip *ip);
/* An IPv6 prefix inside fc00::/7 (unique local addresses, RFC 4193: private, like 10/8). */
bool netd_prefix_is_ula(const struct netd_prefix *p);
/* a and b share an address (same family). Symmetric. */
bool netd_prefix_overlap(const struct netd_prefix *a, const struct netd_prefix *b);

/* ---- ranges ---- */
/* "FIRST-LAST", blanks around '-' allowed; both of family (AF_UNSPEC: of one family). The order
 * is the caller's to check (it has its own message). */
int netd_range_parse(const char *s, int family, struct netd_ip_range *r,
		     struct netd_err *err) NETD_MUST_USE;

/* ---- MACs ---- */
/* "aa:bb:cc:dd:ee:ff", hex digits of either case, nothing else. */
int netd_mac_parse(const char *s, uint8_t mac[NETD_MAC_LEN], struct netd_err *err) NETD_MUST_USE;
int netd_mac_parse_n(const char *s, size_t len, uint8_t mac[NETD_MAC_LEN],
		     struct netd_err *err) NETD_MUST_USE;
/* Lower case; returns buf. */
const char *netd_mac_format(const uint8_t mac[NETD_MAC_LEN], char *buf, size_t len);

#endif

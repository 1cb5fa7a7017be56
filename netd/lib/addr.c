/* SPDX-License-Identifier: MIT */
/*
 * Addresses, prefixes, ranges and MACs of both families. The only file that calls inet_pton and
 * inet_ntop: one place decides how strict an address is and how it reads back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netd/addr.h>
#include "netconf_priv.h"

static const char *family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "an IPv4 address";
	case AF_INET6:
		return "an IPv6 address";
	}
	return "an IP address";
}

static int bad(struct netd_err *err, const char *s, size_t len, const char *what)
{
	char text[NETD_QUOTE_SHOW + 4], q[NETD_QUOTE_MAX];
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;

	memcpy(text, s, n);
	text[n] = '\0';
	return netd_err_set(err, EINVAL, "%s is not %s", netd_quote(q, sizeof(q), text), what);
}

/* inet_pton wants a NUL-terminated string; a field of a larger text is copied out first. */
int netd_ip_parse_n(const char *s, size_t len, int family, struct netd_ip *ip, struct netd_err *err)
{
	char buf[NETD_IP_STRLEN];
	struct netd_ip out;

	memset(&out, 0, sizeof(out));
	if (!s || len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return bad(err, s ? s : "", s ? len : 0, family_name(family));
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((family == AF_INET || family == AF_UNSPEC) && inet_pton(AF_INET, buf, &out.v4) == 1)
		out.family = AF_INET;
	else if ((family == AF_INET6 || family == AF_UNSPEC) &&
		 inet_pton(AF_INET6, buf, &out.v6) == 1)
		out.family = AF_INET6;
	else
		return bad(err, s, len, family_name(family));
	*ip = out;
	return 0;
}

int netd_ip_parse(const char *s, int family, struct netd_ip *ip, struct netd_err *err)
{
	return netd_ip_parse_n(s, s ? strlen(s) : 0, family, ip, err);
}

int netd_ip4_parse(const char *s, struct in_addr *a, struct netd_err *err)
{
	struct netd_ip ip;
	int r = netd_ip_parse(s, AF_INET, &ip, err);

	if (r == 0)
		*a = ip.v4;
	return r;
}

const char *netd_ip_format(const struct netd_ip *ip, char *buf, size_t len)
{
	if (!len)
		return buf;
	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    !inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->v4 : &ip->v6, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *netd_ip4_format(struct in_addr a, char *buf, size_t len)
{
	struct netd_ip ip = netd_ip_from4(a);

	return netd_ip_format(&ip, buf, len);
}

const char *netd_ip_format_host(const struct netd_ip *ip, char *buf, size_t len)
{
	char a[NETD_IP_STRLEN];

	netd_ip_format(ip, a, sizeof(a));
	if (ip->family == AF_INET6)
		snprintf(buf, len, "[%s]", a);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

int netd_ip_parse_host(const char *s, int family, struct netd_ip *ip, const char **rest,
		       struct netd_err *err)
{
	const char *end;
	struct netd_ip out;
	int r;

	if (!s)
		return bad(err, "", 0, "HOST:..., HOST an IPv4 address or [IPv6 address]");
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':' || family == AF_INET)
			return bad(err, s, strlen(s),
				   "[IPv6 address]:... (a ']' and a ':' after it)");
		r = netd_ip_parse_n(s + 1, (size_t)(end - s - 1), AF_INET6, &out, err);
		end++;
	} else {
		end = strchr(s, ':');
		if (!end || family == AF_INET6)
			return bad(err, s, strlen(s), "IPv4-ADDRESS:...");
		r = netd_ip_parse_n(s, (size_t)(end - s), AF_INET, &out, err);
	}
	if (r < 0)
		return r;
	*ip = out;
	*rest = end + 1;
	return 0;
}

struct netd_ip netd_ip_from4(struct in_addr a)
{
	struct netd_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	ip.v4 = a;
	return ip;
}

/* Network-order bytes of the address, and how many. */
static const uint8_t *ip_bytes(const struct netd_ip *ip, size_t *n)
{
	if (ip->family == AF_INET) {
		*n = 4;
		return (const uint8_t *)&ip->v4;
	}
	*n = ip->family == AF_INET6 ? 16 : 0;
	return ip->v6.s6_addr;
}

static uint8_t *ip_bytes_w(struct netd_ip *ip, size_t *n)
{
	return (uint8_t *)ip_bytes(ip, n);
}

bool netd_ip_is_zero(const struct netd_ip *ip)
{
	size_t n;
	const uint8_t *b = ip_bytes(ip, &n);

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int netd_ip_cmp(const struct netd_ip *a, const struct netd_ip *b)
{
	size_t na, nb;
	const uint8_t *ba = ip_bytes(a, &na), *bb = ip_bytes(b, &nb);

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(ba, bb, na);
}

bool netd_ip_equal(const struct netd_ip *a, const struct netd_ip *b)
{
	return netd_ip_cmp(a, b) == 0;
}

/* Byte-wise add with carry from the last byte: a fixed 4 or 16 steps, whatever off is. */
int netd_ip_add(const struct netd_ip *ip, uint64_t off, struct netd_ip *out)
{
	struct netd_ip r = *ip;
	size_t n;
	uint8_t *b = ip_bytes_w(&r, &n);
	unsigned carry = 0;

	if (!n)
		return -EINVAL;
	for (size_t i = n; i-- > 0;) {
		unsigned v = b[i] + (unsigned)(off & 0xff) + carry;

		b[i] = (uint8_t)v;
		carry = v >> 8;
		off >>= 8;
	}
	if (carry || off)
		return -ERANGE;
	*out = r;
	return 0;
}

int netd_ip_diff(const struct netd_ip *lo, const struct netd_ip *hi, uint64_t *off)
{
	size_t n;
	const uint8_t *a = ip_bytes(lo, &n), *b = ip_bytes(hi, &n);
	uint8_t d[16];
	unsigned borrow = 0;
	uint64_t v = 0;

	if (lo->family != hi->family || !n)
		return -EINVAL;
	for (size_t i = n; i-- > 0;) {
		int x = (int)b[i] - (int)a[i] - (int)borrow;

		borrow = x < 0;
		d[i] = (uint8_t)(x + (borrow ? 256 : 0));
	}
	if (borrow)
		return -ERANGE;
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n && d[i])
			return -ERANGE;
		v = v << 8 | d[i];
	}
	*off = v;
	return 0;
}

/* ---- prefixes ---- */

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

int netd_prefix_parse_n(const char *s, size_t len, int family, struct netd_prefix *p,
			struct netd_err *err)
{
	const char *slash = s ? memchr(s, '/', len) : NULL;
	struct netd_prefix out;
	size_t digits;
	unsigned v = 0;
	int r;

	if (!slash || slash + 1 == s + len)
		return bad(err, s ? s : "", s ? len : 0, "ADDRESS/PREFIX-LENGTH");
	r = netd_ip_parse_n(s, (size_t)(slash - s), family, &out.ip, NULL);
	if (r < 0)
		return bad(err, s, len, "ADDRESS/PREFIX-LENGTH");
	digits = (size_t)(s + len - slash - 1);
	if (digits > (out.ip.family == AF_INET ? 2u : 3u))
		return bad(err, s, len, "ADDRESS/PREFIX-LENGTH");
	for (const char *c = slash + 1; c < s + len; c++) {
		if (*c < '0' || *c > '9')
			return bad(err, s, len, "ADDRESS/PREFIX-LENGTH");
		v = v * 10 + (unsigned)(*c - '0');
	}
	if (v > family_bits(out.ip.family))
		return bad(err, s, len, "ADDRESS/PREFIX-LENGTH");
	out.len = v;
	*p = out;
	return 0;
}

int netd_prefix_parse(const char *s, int family, struct netd_prefix *p, struct netd_err *err)
{
	return netd_prefix_parse_n(s, s ? strlen(s) : 0, family, p, err);
}

const char *netd_prefix_format(const struct netd_prefix *p, char *buf, size_t len)
{
	char a[NETD_IP_STRLEN];

	snprintf(buf, len, "%s/%u", netd_ip_format(&p->ip, a, sizeof(a)), p->len);
	return buf;
}

struct netd_prefix netd_prefix_from4(struct in_addr a, unsigned len)
{
	struct netd_prefix p = {.ip = netd_ip_from4(a), .len = len};

	return p;
}

unsigned netd_prefix_max(const struct netd_prefix *p)
{
	return family_bits(p->ip.family);
}

/* The mask byte for byte i of an address under a prefix of len bits. */
static uint8_t mask_byte(unsigned len, size_t i)
{
	if (len >= (i + 1) * 8)
		return 0xff;
	if (len <= i * 8)
		return 0;
	return (uint8_t)(0xff << (8 - (len - i * 8)));
}

bool netd_prefix_is_network(const struct netd_prefix *p)
{
	size_t n;
	const uint8_t *b = ip_bytes(&p->ip, &n);

	for (size_t i = 0; i < n; i++)
		if (b[i] & (uint8_t)~mask_byte(p->len, i))
			return false;
	return true;
}

struct netd_prefix netd_prefix_network(const struct netd_prefix *p)
{
	struct netd_prefix r = *p;
	size_t n;
	uint8_t *b = ip_bytes_w(&r.ip, &n);

	for (size_t i = 0; i < n; i++)
		b[i] &= mask_byte(p->len, i);
	return r;
}

struct netd_ip netd_prefix_last(const struct netd_prefix *p)
{
	struct netd_ip r = p->ip;
	size_t n;
	uint8_t *b = ip_bytes_w(&r, &n);

	for (size_t i = 0; i < n; i++)
		b[i] |= (uint8_t)~mask_byte(p->len, i);
	return r;
}

/* a and b agree on their first len bits (same family). */
static bool same_bits(const struct netd_ip *a, const struct netd_ip *b, unsigned len)
{
	size_t n;
	const uint8_t *ba = ip_bytes(a, &n), *bb = ip_bytes(b, &n);

	for (size_t i = 0; i < n; i++)
		if ((ba[i] ^ bb[i]) & mask_byte(len, i))
			return false;
	return true;
}

bool netd_prefix_contains(const struct netd_prefix *p, const struct netd_ip *ip)
{
	return p->ip.family == ip->family && family_bits(ip->family) &&
	       same_bits(&p->ip, ip, p->len);
}

bool netd_prefix_is_ula(const struct netd_prefix *p)
{
	return p->ip.family == AF_INET6 && p->len >= 7 && (p->ip.v6.s6_addr[0] & 0xfe) == 0xfc;
}

bool netd_prefix_overlap(const struct netd_prefix *a, const struct netd_prefix *b)
{
	/* Two prefixes overlap exactly when the shorter one contains the other's start. */
	return a->ip.family == b->ip.family && family_bits(a->ip.family) &&
	       same_bits(&a->ip, &b->ip, a->len < b->len ? a->len : b->len);
}

/* ---- ranges ---- */

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int netd_range_parse(const char *s, int family, struct netd_ip_range *r, struct netd_err *err)
{
	const char *dash = s ? strchr(s, '-') : NULL;
	const char *a = s, *ae = dash, *b = dash ? dash + 1 : NULL, *be;
	struct netd_ip_range out;

	if (!dash)
		return bad(err, s ? s : "", s ? strlen(s) : 0, "a range FIRST-LAST");
	be = b + strlen(b);
	while (a < ae && blank(*a))
		a++;
	while (ae > a && blank(ae[-1]))
		ae--;
	while (b < be && blank(*b))
		b++;
	while (be > b && blank(be[-1]))
		be--;
	if (netd_ip_parse_n(a, (size_t)(ae - a), family, &out.first, NULL) < 0 ||
	    netd_ip_parse_n(b, (size_t)(be - b), out.first.family, &out.last, NULL) < 0)
		return bad(err, s, strlen(s), "a range FIRST-LAST");
	*r = out;
	return 0;
}

/* ---- MACs ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int netd_mac_parse_n(const char *s, size_t len, uint8_t mac[NETD_MAC_LEN], struct netd_err *err)
{
	uint8_t out[NETD_MAC_LEN];

	if (!s || len != NETD_MAC_STRLEN - 1)
		return bad(err, s ? s : "", s ? len : 0, "a MAC address aa:bb:cc:dd:ee:ff");
	for (int i = 0; i < NETD_MAC_LEN; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < NETD_MAC_LEN - 1 && s[i * 3 + 2] != ':'))
			return bad(err, s, len, "a MAC address aa:bb:cc:dd:ee:ff");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, out, sizeof(out));
	return 0;
}

int netd_mac_parse(const char *s, uint8_t mac[NETD_MAC_LEN], struct netd_err *err)
{
	return netd_mac_parse_n(s, s ? strlen(s) : 0, mac, err);
}

const char *netd_mac_format(const uint8_t mac[NETD_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

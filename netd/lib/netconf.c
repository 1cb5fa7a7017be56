/* SPDX-License-Identifier: MIT */
/*
 * Subnet files: $NETD_CONFIG_DIR/NAME.conf, key=value lines (ours, or flannel's subnet.env keys).
 * Parse, fill defaults, validate, write back canonically, and the directory operations.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netd/addr.h>
#include <netd/names.h>
#include <netd/netconf.h>
#include "netconf_priv.h"
#include "util.h"

/* What a line sets; keys that set the same thing (subnet, FLANNEL_SUBNET) count as duplicates. */
enum {
	F_SUBNET,
	F_GATEWAY,
	F_RANGE,
	F_BRIDGE,
	F_MTU,
	F_MASQ,
	F_GWMODE,
	F_FLNETWORK,
	F_ROUTES,
	F_INTERNAL,
	F_ICC,
	F_SUBNET6,
	F_GATEWAY6,
	F_RANGE6,
	F_MASQ6,
	F_COUNT,
};

struct seen {
	unsigned line[F_COUNT];
	const char *key[F_COUNT];
};

struct pctx {
	const char *where; /* path, for "PATH:LINE: ..." */
	unsigned line;
	bool lines; /* the text is a file: name its lines */
	struct netd_err *err;
	/* Values are quoted in messages only when the caller handed us the text (command line
	 * options): a file may not be ours (a symlink to /etc/shadow, a CNI subnetFile pointing
	 * anywhere), so for a file the message names file, line and what was expected, no more. */
	bool quote;
};

static const char *const known_keys[] = {
    "subnet",
    "gateway",
    "range",
    "bridge",
    "mtu",
    "masquerade",
    "routes",
    "gateway_mode",
    "FLANNEL_SUBNET",
    "FLANNEL_MTU",
    "FLANNEL_IPMASQ",
    "FLANNEL_NETWORK",
    "internal",
    "icc",
    "subnet6",
    "gateway6",
    "range6",
    "masquerade6",
};

/* " \"VAL\"" after the name of what is bad, or "" when the text is not to be shown. */
static const char *shown(const struct pctx *c, char *buf, size_t len, const char *val)
{
	char q[NETD_QUOTE_MAX];

	buf[0] = '\0';
	if (c->quote)
		snprintf(buf, len, " %s", netd_quote(q, sizeof(q), val));
	return buf;
}

/* A key as messages may name it: one of ours, or any when the text is the caller's. */
static const char *key_name(const struct pctx *c, const char *key)
{
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (!strcmp(key, known_keys[i]))
			return key;
	return c->quote ? key : "the value";
}

static int perr(struct pctx *c, const char *fmt, ...) NETD_PRINTF(2, 3);
static int perr(struct pctx *c, const char *fmt, ...)
{
	char msg[NETD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->lines)
		return netd_err_set(c->err, EINVAL, "%s: %s", c->where, msg);
	return netd_err_set(c->err, EINVAL, "%s:%u: %s", c->where, c->line, msg);
}

/* The subnet as a prefix, and its network and broadcast addresses. */
static struct netd_prefix subnet_of(const struct netd_netconf *nc)
{
	return netd_prefix_from4(nc->subnet, nc->prefix);
}

/* "network" or "broadcast" when ip is that address of sn, else NULL. IPv6 has no broadcast;
 * its network address is the subnet-router anycast address, never a host's. */
static const char *ip_net_or_bcast(const struct netd_prefix *sn, const struct netd_ip *ip)
{
	struct netd_ip last = netd_prefix_last(sn);
	struct netd_prefix net = netd_prefix_network(sn);

	if (netd_ip_equal(ip, &net.ip))
		return "network";
	return sn->ip.family == AF_INET && netd_ip_equal(ip, &last) ? "broadcast" : NULL;
}

static const char *net_or_bcast(const struct netd_prefix *sn, struct in_addr a)
{
	struct netd_ip ip = netd_ip_from4(a);

	return ip_net_or_bcast(sn, &ip);
}

static bool in_subnet(const struct netd_prefix *sn, struct in_addr a)
{
	struct netd_ip ip = netd_ip_from4(a);

	return netd_prefix_contains(sn, &ip);
}

/* "A.B.C.D/P"; host bits may be set (the caller decides). */
static bool parse_cidr(const char *s, struct in_addr *a, unsigned *prefix)
{
	struct netd_prefix p;

	if (netd_prefix_parse(s, AF_INET, &p, NULL) < 0)
		return false;
	*a = p.ip.v4;
	*prefix = p.len;
	return true;
}

static bool parse_ip(const char *s, struct in_addr *a)
{
	return netd_ip4_parse(s, a, NULL) == 0;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		return 0;
	return -1;
}

const char *netd_gateway_mode_name(enum netd_gateway_mode m)
{
	switch (m) {
	case NETD_GATEWAY_NAT:
		return "nat";
	case NETD_GATEWAY_ROUTED:
		return "routed";
	}
	return NULL;
}

int netd_gateway_mode_parse(const char *s, enum netd_gateway_mode *m)
{
	if (!strcmp(s, "nat"))
		*m = NETD_GATEWAY_NAT;
	else if (!strcmp(s, "routed"))
		*m = NETD_GATEWAY_ROUTED;
	else
		return -1;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The gateway against the subnet (both set); why says what is wrong. */
static int check_gateway(const struct netd_netconf *nc, char *why, size_t len)
{
	char sn[INET_ADDRSTRLEN], gs[INET_ADDRSTRLEN];
	struct netd_prefix sub = subnet_of(nc);

	netd_ip4_format(nc->subnet, sn, sizeof(sn));
	netd_ip4_format(nc->gateway, gs, sizeof(gs));
	if (!in_subnet(&sub, nc->gateway)) {
		snprintf(why, len, "gateway %s is outside subnet %s/%u", gs, sn, nc->prefix);
		return -1;
	}
	if (net_or_bcast(&sub, nc->gateway)) {
		snprintf(why, len, "gateway %s is the %s address of subnet %s/%u", gs,
			 net_or_bcast(&sub, nc->gateway), sn, nc->prefix);
		return -1;
	}
	return 0;
}

/* The range against the subnet (and the gateway, if set). */
static int check_range(const struct netd_netconf *nc, char *why, size_t len)
{
	char sn[INET_ADDRSTRLEN], a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
	struct netd_prefix sub = subnet_of(nc);
	struct netd_ip lo = netd_ip_from4(nc->range_start), hi = netd_ip_from4(nc->range_end);
	struct netd_ip gw = netd_ip_from4(nc->gateway);

	netd_ip4_format(nc->subnet, sn, sizeof(sn));
	netd_ip4_format(nc->range_start, a1, sizeof(a1));
	netd_ip4_format(nc->range_end, a2, sizeof(a2));
	if (!netd_prefix_contains(&sub, &lo) || !netd_prefix_contains(&sub, &hi)) {
		snprintf(why, len, "range %s-%s is not inside subnet %s/%u", a1, a2, sn,
			 nc->prefix);
		return -1;
	}
	if (netd_ip_cmp(&lo, &hi) > 0) {
		snprintf(why, len, "range %s-%s: the first address is after the last", a1, a2);
		return -1;
	}
	if (net_or_bcast(&sub, nc->range_start) || net_or_bcast(&sub, nc->range_end)) {
		snprintf(why, len, "range %s-%s includes the %s address of subnet %s/%u", a1, a2,
			 net_or_bcast(&sub, nc->range_start) ?: net_or_bcast(&sub, nc->range_end),
			 sn, nc->prefix);
		return -1;
	}
	if (netd_ip_equal(&lo, &hi) && !netd_ip_is_zero(&gw) && netd_ip_equal(&lo, &gw)) {
		snprintf(why, len, "range %s-%s holds only the gateway: no address to hand out", a1,
			 a2);
		return -1;
	}
	return 0;
}

/*
 * What an IPv6 subnet of a bridge may be: a network prefix of /16 to /120 (longer leaves too
 * few addresses to be worth a network; the allocator's hint and lease names work for any),
 * outside the kinds of address that are never a host's on a link (multicast, link-local,
 * loopback/unspecified/IPv4-compatible, IPv4-mapped).
 */
static int subnet6_check(const struct netd_prefix *p, char *why, size_t len)
{
	static const char *const special[][2] = {
	    {"ff00::/8", "multicast"},
	    {"fe80::/10", "link-local"},
	    {"::/96", "unspecified, loopback or IPv4-compatible"},
	    {"::ffff:0.0.0.0/96", "IPv4-mapped"},
	};
	struct netd_prefix net = netd_prefix_network(p), sp;
	char ms[NETD_PREFIX_STRLEN];

	if (p->len < 16 || p->len > 120) {
		snprintf(why, len, "prefix /%u is not supported (use /16 to /120)", p->len);
		return -1;
	}
	if (!netd_prefix_is_network(p)) {
		snprintf(why, len, "host bits are set; did you mean %s?",
			 netd_prefix_format(&net, ms, sizeof(ms)));
		return -1;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (netd_prefix_parse(special[i][0], AF_INET6, &sp, NULL) == 0 &&
		    netd_prefix_overlap(p, &sp)) {
			snprintf(why, len, "overlaps %s (%s addresses)", special[i][0],
				 special[i][1]);
			return -1;
		}
	return 0;
}

/* The IPv6 gateway against subnet6 (both set). */
static int check_gateway6(const struct netd_netconf *nc, char *why, size_t len)
{
	char sn[NETD_PREFIX_STRLEN], gs[NETD_IP_STRLEN];

	netd_prefix_format(&nc->subnet6, sn, sizeof(sn));
	netd_ip_format(&nc->gateway6, gs, sizeof(gs));
	if (!netd_prefix_contains(&nc->subnet6, &nc->gateway6)) {
		snprintf(why, len, "gateway6 %s is outside subnet6 %s", gs, sn);
		return -1;
	}
	if (ip_net_or_bcast(&nc->subnet6, &nc->gateway6)) {
		snprintf(why, len, "gateway6 %s is the network address of subnet6 %s", gs, sn);
		return -1;
	}
	return 0;
}

/* range6 against subnet6 (and gateway6, if set). */
static int check_range6(const struct netd_netconf *nc, char *why, size_t len)
{
	char sn[NETD_PREFIX_STRLEN], a1[NETD_IP_STRLEN], a2[NETD_IP_STRLEN];
	const struct netd_ip_range *rg = &nc->range6;

	netd_prefix_format(&nc->subnet6, sn, sizeof(sn));
	netd_ip_format(&rg->first, a1, sizeof(a1));
	netd_ip_format(&rg->last, a2, sizeof(a2));
	if (!netd_prefix_contains(&nc->subnet6, &rg->first) ||
	    !netd_prefix_contains(&nc->subnet6, &rg->last)) {
		snprintf(why, len, "range6 %s-%s is not inside subnet6 %s", a1, a2, sn);
		return -1;
	}
	if (netd_ip_cmp(&rg->first, &rg->last) > 0) {
		snprintf(why, len, "range6 %s-%s: the first address is after the last", a1, a2);
		return -1;
	}
	if (ip_net_or_bcast(&nc->subnet6, &rg->first)) {
		snprintf(why, len, "range6 %s-%s includes the network address of subnet6 %s", a1,
			 a2, sn);
		return -1;
	}
	if (netd_ip_equal(&rg->first, &rg->last) && netd_ip_equal(&rg->first, &nc->gateway6)) {
		snprintf(why, len, "range6 %s-%s holds only the gateway: no address to hand out",
			 a1, a2);
		return -1;
	}
	return 0;
}

/* Defaults and checks of the IPv6 half (none: nothing to do, and nothing of it may be set). */
static int finish6(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	struct netd_ip first;
	char why[256];

	if (nc->subnet6.ip.family != AF_INET6) {
		if (nc->subnet6.ip.family || nc->gateway6.family || nc->range6.first.family ||
		    nc->range6.last.family)
			return netd_err_set(
			    err, EINVAL, "%s: gateway6 or range6 without an IPv6 subnet (subnet6)",
			    where);
		nc->masquerade6 = false;
		return 0;
	}
	if (subnet6_check(&nc->subnet6, why, sizeof(why)) < 0) {
		char sn[NETD_PREFIX_STRLEN];

		return netd_err_set(err, EINVAL, "%s: subnet6 %s: %s", where,
				    netd_prefix_format(&nc->subnet6, sn, sizeof(sn)), why);
	}
	/* /16 to /120: network + 1 exists and lies inside. */
	if (netd_ip_add(&nc->subnet6.ip, 1, &first) < 0)
		return netd_err_set(err, EINVAL, "%s: subnet6 has no host addresses", where);
	if (nc->gateway6.family != AF_INET6)
		nc->gateway6 = first;
	if (check_gateway6(nc, why, sizeof(why)) < 0)
		return netd_err_set(err, EINVAL, "%s: %s", where, why);
	/* The whole subnet but its network address (the subnet-router anycast address). */
	if (nc->range6.first.family != AF_INET6 && nc->range6.last.family != AF_INET6) {
		nc->range6.first = first;
		nc->range6.last = netd_prefix_last(&nc->subnet6);
	}
	if (nc->range6.first.family != AF_INET6 || nc->range6.last.family != AF_INET6)
		return netd_err_set(err, EINVAL, "%s: range6 needs both ends", where);
	if (check_range6(nc, why, sizeof(why)) < 0)
		return netd_err_set(err, EINVAL, "%s: %s", where, why);
	return 0;
}

/* The routes against the subnets: on-link gateways, no duplicate destination. */
static int check_routes(const struct netd_netconf *nc, char *why, size_t len)
{
	char sn[NETD_PREFIX_STRLEN], d[NETD_PREFIX_STRLEN], g[NETD_IP_STRLEN];
	struct netd_prefix sub4 = subnet_of(nc);

	if (nc->n_routes > NETD_ROUTES_MAX) {
		snprintf(why, len, "%zu routes: at most %d", nc->n_routes, NETD_ROUTES_MAX);
		return -1;
	}
	for (size_t i = 0; i < nc->n_routes; i++) {
		const struct netd_route *rt = &nc->routes[i];
		bool v6 = rt->dst.ip.family == AF_INET6;
		const struct netd_prefix *sub = v6 ? &nc->subnet6 : &sub4;

		netd_prefix_format(&rt->dst, d, sizeof(d));
		netd_ip_format(&rt->gw, g, sizeof(g));
		netd_prefix_format(sub, sn, sizeof(sn));
		if ((rt->dst.ip.family != AF_INET && !v6) ||
		    rt->dst.len > netd_prefix_max(&rt->dst) || !netd_prefix_is_network(&rt->dst)) {
			snprintf(why, len, "route %s: host bits are set in the destination", d);
			return -1;
		}
		if (!v6 && !netd_netconf_has4(nc)) {
			snprintf(why, len, "route %s: an IPv4 route needs an IPv4 subnet (subnet)",
				 d);
			return -1;
		}
		if (v6 && nc->subnet6.ip.family != AF_INET6) {
			snprintf(why, len, "route %s: an IPv6 route needs an IPv6 subnet (subnet6)",
				 d);
			return -1;
		}
		/* The container reaches a gateway on its own link only. */
		if (!netd_ip_is_zero(&rt->gw) &&
		    (rt->gw.family != rt->dst.ip.family || !netd_prefix_contains(sub, &rt->gw) ||
		     ip_net_or_bcast(sub, &rt->gw))) {
			snprintf(why, len,
				 "route %s via %s: the gateway is not a host address of subnet %s",
				 d, g, sn);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (netd_ip_equal(&nc->routes[k].dst.ip, &rt->dst.ip) &&
			    nc->routes[k].dst.len == rt->dst.len) {
				snprintf(why, len, "route %s is given twice", d);
				return -1;
			}
	}
	return 0;
}

/* "DST/P" or "DST/P via GW" (spaces around "via" as in ip route); either family. */
static bool parse_route(char *s, struct netd_route *rt)
{
	char *via = strstr(s, " via ");

	memset(rt, 0, sizeof(*rt));
	if (netd_prefix_parse(trim(via ? (*via = '\0', s) : s), AF_UNSPEC, &rt->dst, NULL) < 0)
		return false;
	if (via && (netd_ip_parse(trim(via + 5), rt->dst.ip.family, &rt->gw, NULL) < 0 ||
		    netd_ip_is_zero(&rt->gw)))
		return false;
	return true;
}

static int mark(struct pctx *c, struct seen *seen, int field, const char *key)
{
	if (seen->line[field]) {
		if (!strcmp(seen->key[field], key))
			return perr(c, "duplicate key %s (first set on line %u)", key,
				    seen->line[field]);
		return perr(c, "%s conflicts with %s on line %u (both set the same thing)", key,
			    seen->key[field], seen->line[field]);
	}
	seen->line[field] = c->line;
	seen->key[field] = key;
	return 0;
}

static int parse_line(struct pctx *c, struct seen *seen, char *key, char *val,
		      struct netd_netconf *nc)
{
	char q[NETD_QUOTE_MAX + 1], why[160];
	struct netd_prefix pfx;
	struct in_addr a;
	unsigned u;
	int r, b;

	if (!*val)
		return perr(c, "%s has an empty value", key_name(c, key));

	if (!strcmp(key, "subnet")) {
		if ((r = mark(c, seen, F_SUBNET, key)) < 0)
			return r;
		if (!parse_cidr(val, &a, &u))
			return perr(c, "bad subnet%s: want A.B.C.D/PREFIX, e.g. 10.88.0.0/16",
				    shown(c, q, sizeof(q), val));
		if (u < 8 || u > 30)
			return perr(c, "bad subnet%s: prefix /%u is not supported (use /8 to /30)",
				    shown(c, q, sizeof(q), val), u);
		pfx = netd_prefix_from4(a, u);
		if (!netd_prefix_is_network(&pfx)) {
			char net[NETD_PREFIX_STRLEN];

			pfx = netd_prefix_network(&pfx);
			return perr(c, "bad subnet%s: host bits are set; did you mean %s?",
				    shown(c, q, sizeof(q), val),
				    netd_prefix_format(&pfx, net, sizeof(net)));
		}
		nc->subnet = a;
		nc->prefix = u;
	} else if (!strcmp(key, "FLANNEL_SUBNET")) {
		/* flannel hands out the bridge's own address with the prefix: 10.244.1.1/24 */
		if ((r = mark(c, seen, F_SUBNET, key)) < 0)
			return r;
		if (seen->line[F_GATEWAY])
			return perr(c,
				    "FLANNEL_SUBNET conflicts with %s on line %u (both set the "
				    "gateway)",
				    seen->key[F_GATEWAY], seen->line[F_GATEWAY]);
		seen->line[F_GATEWAY] = c->line;
		seen->key[F_GATEWAY] = key;
		if (!parse_cidr(val, &a, &u))
			return perr(c,
				    "bad FLANNEL_SUBNET%s: want A.B.C.D/PREFIX (the bridge "
				    "address), e.g. 10.244.1.1/24",
				    shown(c, q, sizeof(q), val));
		if (u < 8 || u > 30)
			return perr(c,
				    "bad FLANNEL_SUBNET%s: prefix /%u is not supported (use /8 to "
				    "/30)",
				    shown(c, q, sizeof(q), val), u);
		pfx = netd_prefix_from4(a, u);
		pfx = netd_prefix_network(&pfx);
		nc->subnet = pfx.ip.v4;
		nc->prefix = u;
		/* The network address itself is no gateway: leave the default then. */
		nc->gateway.s_addr = a.s_addr == nc->subnet.s_addr ? 0 : a.s_addr;
	} else if (!strcmp(key, "gateway")) {
		if ((r = mark(c, seen, F_GATEWAY, key)) < 0)
			return r;
		if (!parse_ip(val, &a))
			return perr(c, "bad gateway%s: want an IPv4 address A.B.C.D",
				    shown(c, q, sizeof(q), val));
		if (!a.s_addr)
			return perr(c, "bad gateway%s: 0.0.0.0 is no gateway",
				    shown(c, q, sizeof(q), val));
		nc->gateway = a;
	} else if (!strcmp(key, "range")) {
		struct netd_ip_range rg;

		if ((r = mark(c, seen, F_RANGE, key)) < 0)
			return r;
		shown(c, q, sizeof(q), val);
		if (netd_range_parse(val, AF_INET, &rg, NULL) < 0)
			return perr(c, "bad range%s: want FIRST-LAST, e.g. 10.88.0.10-10.88.0.200",
				    q);
		if (netd_ip_is_zero(&rg.first) || netd_ip_is_zero(&rg.last))
			return perr(c, "bad range%s: 0.0.0.0 is not an address to hand out", q);
		if (netd_ip_cmp(&rg.first, &rg.last) > 0)
			return perr(c, "bad range%s: the first address is after the last", q);
		nc->range_start = rg.first.v4;
		nc->range_end = rg.last.v4;
	} else if (!strcmp(key, "bridge")) {
		struct netd_err e = {0};

		if ((r = mark(c, seen, F_BRIDGE, key)) < 0)
			return r;
		if (netd_name_check_ifname(val, &e) < 0)
			return c->quote ? perr(c, "bad bridge: %s", e.msg)
					: perr(c,
					       "bad bridge: want an interface name (letters, "
					       "digits, '_', '.', '-', at most %d)",
					       NETD_IFNAME_MAX);
		snprintf(nc->bridge, sizeof(nc->bridge), "%s", val);
	} else if (!strcmp(key, "mtu") || !strcmp(key, "FLANNEL_MTU")) {
		if ((r = mark(c, seen, F_MTU, key)) < 0)
			return r;
		if (!parse_uint(val, 65535, &u) || u < 68)
			return perr(c, "bad %s%s: want a number from 68 to 65535", key,
				    shown(c, q, sizeof(q), val));
		nc->mtu = u;
	} else if (!strcmp(key, "masquerade") || !strcmp(key, "FLANNEL_IPMASQ")) {
		if ((r = mark(c, seen, F_MASQ, key)) < 0)
			return r;
		b = parse_bool(val);
		if (b < 0)
			return perr(c, "bad %s%s: want yes or no (true/false, 1/0)", key,
				    shown(c, q, sizeof(q), val));
		nc->masquerade = b;
	} else if (!strcmp(key, "routes")) {
		char *save = NULL, *tok;

		if ((r = mark(c, seen, F_ROUTES, key)) < 0)
			return r;
		shown(c, q, sizeof(q), val);
		nc->n_routes = 0;
		for (tok = strtok_r(val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (nc->n_routes == NETD_ROUTES_MAX)
				return perr(c, "routes: more than %d", NETD_ROUTES_MAX);
			if (!parse_route(tok, &nc->routes[nc->n_routes]))
				return perr(c,
					    "bad routes%s: want DST/PREFIX[ via GATEWAY], ... e.g. "
					    "10.1.0.0/16, 192.168.0.0/16 via 10.88.0.254",
					    q);
			nc->n_routes++;
		}
	} else if (!strcmp(key, "gateway_mode")) {
		if ((r = mark(c, seen, F_GWMODE, key)) < 0)
			return r;
		if (netd_gateway_mode_parse(val, &nc->gateway_mode) < 0)
			return perr(c, "bad gateway_mode%s: want nat or routed",
				    shown(c, q, sizeof(q), val));
	} else if (!strcmp(key, "internal") || !strcmp(key, "icc")) {
		bool internal = key[0] == 'i' && key[1] == 'n';

		if ((r = mark(c, seen, internal ? F_INTERNAL : F_ICC, key)) < 0)
			return r;
		b = parse_bool(val);
		if (b < 0)
			return perr(c, "bad %s%s: want yes or no (true/false, 1/0)", key,
				    shown(c, q, sizeof(q), val));
		if (internal)
			nc->internal = b;
		else
			nc->no_icc = !b;
	} else if (!strcmp(key, "subnet6")) {
		if ((r = mark(c, seen, F_SUBNET6, key)) < 0)
			return r;
		if (netd_prefix_parse(val, AF_INET6, &pfx, NULL) < 0)
			return perr(c,
				    "bad subnet6%s: want an IPv6 prefix ADDR/LEN, e.g. fd77::/64",
				    shown(c, q, sizeof(q), val));
		if (subnet6_check(&pfx, why, sizeof(why)) < 0)
			return perr(c, "bad subnet6%s: %s", shown(c, q, sizeof(q), val), why);
		nc->subnet6 = pfx;
	} else if (!strcmp(key, "gateway6")) {
		struct netd_ip ip;

		if ((r = mark(c, seen, F_GATEWAY6, key)) < 0)
			return r;
		if (netd_ip_parse(val, AF_INET6, &ip, NULL) < 0 || netd_ip_is_zero(&ip))
			return perr(c, "bad gateway6%s: want an IPv6 address, e.g. fd77::1",
				    shown(c, q, sizeof(q), val));
		nc->gateway6 = ip;
	} else if (!strcmp(key, "range6")) {
		struct netd_ip_range rg;

		if ((r = mark(c, seen, F_RANGE6, key)) < 0)
			return r;
		shown(c, q, sizeof(q), val);
		if (netd_range_parse(val, AF_INET6, &rg, NULL) < 0)
			return perr(c, "bad range6%s: want FIRST-LAST, e.g. fd77::10-fd77::ff", q);
		if (netd_ip_cmp(&rg.first, &rg.last) > 0)
			return perr(c, "bad range6%s: the first address is after the last", q);
		nc->range6 = rg;
	} else if (!strcmp(key, "masquerade6")) {
		if ((r = mark(c, seen, F_MASQ6, key)) < 0)
			return r;
		b = parse_bool(val);
		if (b < 0)
			return perr(c, "bad masquerade6%s: want yes or no (true/false, 1/0)",
				    shown(c, q, sizeof(q), val));
		nc->masquerade6 = b;
	} else if (!strcmp(key, "FLANNEL_NETWORK")) {
		/* The cluster-wide CIDR: not ours to use, but it must at least be one. */
		if ((r = mark(c, seen, F_FLNETWORK, key)) < 0)
			return r;
		if (!parse_cidr(val, &a, &u))
			return perr(c, "bad FLANNEL_NETWORK%s: want A.B.C.D/PREFIX",
				    shown(c, q, sizeof(q), val));
	} else {
		return perr(c,
			    "unknown key%s; known: subnet, gateway, range, bridge, mtu, "
			    "masquerade, routes, gateway_mode, internal, icc, subnet6, gateway6, "
			    "range6, masquerade6, FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ, "
			    "FLANNEL_NETWORK",
			    shown(c, q, sizeof(q), key));
	}
	return 0;
}

static int finish(struct netd_netconf *nc, const char *where, struct netd_err *err);
static int finish_v6only(struct netd_netconf *nc, const char *where, struct netd_err *err);
static int finish_common(struct netd_netconf *nc, const char *where, struct netd_err *err);

/* The door of a name handed in with a text or a file to parse. */
static int check_name(const char *name, const char *path, struct netd_err *err)
{
	int r = netd_name_check_network(name, err);

	if (r < 0 && path)
		return netd_err_prefix(err, "%s", path);
	return r;
}

/* name has been checked: by the public caller, or as a file name of the config dir. */
static int parse_text(const char *name, const char *path, const char *text, bool quote,
		      struct netd_netconf *nc, struct netd_err *err)
{
	cleanup_free char *buf = NULL;
	char where[NETD_NETNAME_MAX + 16];
	struct pctx c = {
	    .where = path, .line = 0, .lines = path != NULL, .err = err, .quote = quote};
	struct seen seen;
	char why[256];
	struct netd_kv kv = {0};
	const char *pos, *end;
	int r;

	memset(nc, 0, sizeof(*nc));
	memset(&seen, 0, sizeof(seen));
	nc->masquerade = true;
	snprintf(nc->name, sizeof(nc->name), "%s", name);
	if (!path) {
		snprintf(where, sizeof(where), "network %s", name);
		c.where = where;
	}
	buf = strdup(text ? text : "");
	if (!buf)
		return netd_err_set(err, ENOMEM, "%s: out of memory", c.where);

	pos = buf;
	end = buf + strlen(buf);
	while (netd_kv_next(&pos, end, &kv)) {
		char q[NETD_QUOTE_MAX];
		char *line = buf + (kv.line - buf), *key, *val;
		size_t vlen;

		line[kv.len] = '\0';
		c.line = kv.lineno;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		if (!kv.key && !c.quote)
			return perr(&c, "missing '=' (lines are key=value)");
		if (!kv.key)
			return perr(&c, "%s: missing '=' (lines are key=value)",
				    netd_quote(q, sizeof(q), line));
		buf[kv.key + kv.key_len - buf] = '\0';
		key = trim(line);
		val = trim(buf + (kv.val - buf));
		if (!*key)
			return perr(&c, "missing key before '='");
		vlen = strlen(val);
		if (vlen && val[0] == '"') {
			if (vlen < 2 || val[vlen - 1] != '"')
				return perr(&c, "%s: unbalanced '\"' in the value",
					    key_name(&c, key));
			val[vlen - 1] = '\0';
			val++;
			if (strchr(val, '"'))
				return perr(&c, "%s: stray '\"' inside the value",
					    key_name(&c, key));
		}
		r = parse_line(&c, &seen, key, val, nc);
		if (r < 0)
			return r;
	}
	if (!seen.line[F_SUBNET] && !seen.line[F_SUBNET6])
		return netd_err_set(err, EINVAL,
				    "%s: missing subnet (add a line like subnet=10.88.0.0/16, or "
				    "subnet6=fd88::/64 for an IPv6-only network)",
				    c.where);
	/* An IPv6-only network: the IPv4 keys would describe a subnet it does not have. */
	for (int f = F_GATEWAY; f <= F_RANGE && !seen.line[F_SUBNET]; f++)
		if (seen.line[f]) {
			c.line = seen.line[f];
			return perr(&c, "%s without subnet (the network's IPv4 subnet)",
				    seen.key[f]);
		}
	for (int f = F_GATEWAY6; f <= F_MASQ6 && !seen.line[F_SUBNET6]; f++)
		if (seen.line[f]) {
			c.line = seen.line[f];
			return perr(&c, "%s without subnet6 (the network's IPv6 prefix)",
				    seen.key[f]);
		}
	/* A ULA prefix is private like 10/8: masquerade its way out unless told otherwise. */
	if (seen.line[F_SUBNET6] && !seen.line[F_MASQ6])
		nc->masquerade6 = netd_prefix_is_ula(&nc->subnet6);
	if (!netd_ip_is_zero(&nc->gateway6) && check_gateway6(nc, why, sizeof(why)) < 0) {
		c.line = seen.line[F_GATEWAY6];
		return perr(&c, "%s", why);
	}
	if (seen.line[F_RANGE6] && check_range6(nc, why, sizeof(why)) < 0) {
		c.line = seen.line[F_RANGE6];
		return perr(&c, "%s", why);
	}
	/* Checked here too so that the message points at the offending line. */
	if (nc->gateway.s_addr && check_gateway(nc, why, sizeof(why)) < 0) {
		c.line = seen.line[F_GATEWAY];
		return perr(&c, "%s", why);
	}
	if (seen.line[F_RANGE] && check_range(nc, why, sizeof(why)) < 0) {
		c.line = seen.line[F_RANGE];
		return perr(&c, "%s", why);
	}
	if (seen.line[F_ROUTES] && check_routes(nc, why, sizeof(why)) < 0) {
		c.line = seen.line[F_ROUTES];
		return perr(&c, "%s", why);
	}
	return finish(nc, c.where, err);
}

int netd_netconf_parse(const char *name, const char *path, const char *text,
		       struct netd_netconf *nc, struct netd_err *err)
{
	int r = check_name(name, path, err);

	return r < 0 ? r : parse_text(name, path, text, true, nc, err);
}

/*
 * An internal network has no way out: nothing masqueraded (whatever masquerade= says: the
 * forward chain drops what would be), no route to the world, and nothing routed in from outside.
 */
static int check_internal(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	if (!nc->internal)
		return 0;
	nc->masquerade = false;
	nc->masquerade6 = false;
	if (nc->gateway_mode == NETD_GATEWAY_ROUTED)
		return netd_err_set(err, EINVAL,
				    "%s: an internal network cannot be routed (internal: nothing "
				    "enters or leaves it; gateway_mode=routed: everything enters)",
				    where);
	for (size_t i = 0; i < nc->n_routes; i++)
		if (nc->routes[i].dst.len == 0)
			return netd_err_set(
			    err, EINVAL,
			    "%s: an internal network gives no default route "
			    "(%s in routes): it has no way out",
			    where, nc->routes[i].dst.ip.family == AF_INET6 ? "::/0" : "0.0.0.0/0");
	return 0;
}

int netd_netconf_finish(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	if (netd_name_check_network(nc->name, err) < 0)
		return netd_err_prefix(err, "%s", where ? where : "network");
	return finish(nc, where, err);
}

int netd_netconf_finish_checked(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	return finish(nc, where, err);
}

/* netd_netconf_finish for an nc whose name has been checked. */
static int finish(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	char why[256];
	char sn[NETD_PREFIX_STRLEN], ms[NETD_PREFIX_STRLEN];
	struct netd_prefix sub = subnet_of(nc), net = netd_prefix_network(&sub);
	struct netd_ip first, last, bcast = netd_prefix_last(&sub);
	uint64_t size = 0;

	if (!where)
		where = "network";
	if (!netd_netconf_has4(nc))
		return finish_v6only(nc, where, err);
	if (nc->prefix < 8 || nc->prefix > 30)
		return netd_err_set(err, EINVAL,
				    "%s: subnet prefix /%u is not supported (use /8 to /30)", where,
				    nc->prefix);
	if (!netd_prefix_is_network(&sub))
		return netd_err_set(err, EINVAL,
				    "%s: subnet %s has host bits set; did you mean %s?", where,
				    netd_prefix_format(&sub, sn, sizeof(sn)),
				    netd_prefix_format(&net, ms, sizeof(ms)));
	/* /8 to /30: network + 1 and broadcast - 1 exist and lie inside. */
	if (netd_ip_add(&net.ip, 1, &first) < 0 || netd_ip_diff(&net.ip, &bcast, &size) < 0 ||
	    netd_ip_add(&net.ip, size - 1, &last) < 0)
		return netd_err_set(err, EINVAL, "%s: subnet %s has no host addresses", where,
				    netd_prefix_format(&sub, sn, sizeof(sn)));

	if (!nc->gateway.s_addr)
		nc->gateway = first.v4;
	if (check_gateway(nc, why, sizeof(why)) < 0)
		return netd_err_set(err, EINVAL, "%s: %s", where, why);
	/* The whole subnet but network and broadcast; the allocator skips the gateway. */
	if (!nc->range_start.s_addr && !nc->range_end.s_addr) {
		nc->range_start = first.v4;
		nc->range_end = last.v4;
	}
	if (check_range(nc, why, sizeof(why)) < 0)
		return netd_err_set(err, EINVAL, "%s: %s", where, why);

	return finish_common(nc, where, err);
}

/* IPv6 only (docs/ipv6.md): nothing of IPv4 may be set; subnet6 is required. */
static int finish_v6only(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	if (nc->subnet.s_addr || nc->gateway.s_addr || nc->range_start.s_addr ||
	    nc->range_end.s_addr)
		return netd_err_set(err, EINVAL,
				    "%s: gateway or range without an IPv4 subnet (subnet)", where);
	if (!netd_netconf_has6(nc))
		return netd_err_set(err, EINVAL,
				    "%s: no subnet: give an IPv4 subnet, an IPv6 subnet6, or both",
				    where);
	/* Nothing of IPv4 to masquerade; the file says nothing about it either. */
	nc->masquerade = false;
	return finish_common(nc, where, err);
}

/* The parts of finish that do not depend on an IPv4 subnet. */
static int finish_common(struct netd_netconf *nc, const char *where, struct netd_err *err)
{
	char q[NETD_QUOTE_MAX], why[256];
	struct netd_err e = {0};
	int r;

	if (!nc->bridge[0]) {
		if (netd_name_check_ifname(nc->name, &e) < 0)
			return netd_err_set(
			    err, EINVAL,
			    "%s: network name %s is too long for a bridge name (at "
			    "most %d characters): name the bridge with bridge=NAME in a "
			    "subnet file, --bridge NAME with netd network create",
			    where, netd_quote(q, sizeof(q), nc->name), NETD_IFNAME_MAX);
		snprintf(nc->bridge, sizeof(nc->bridge), "%s", nc->name);
	} else if (netd_name_check_ifname(nc->bridge, err) < 0) {
		return netd_err_prefix(err, "%s: bridge", where);
	}
	if (nc->mtu && (nc->mtu < 68 || nc->mtu > 65535))
		return netd_err_set(err, EINVAL, "%s: mtu %u is out of range (68-65535)", where,
				    nc->mtu);
	r = finish6(nc, where, err);
	if (r < 0)
		return r;
	if (check_routes(nc, why, sizeof(why)) < 0)
		return netd_err_set(err, EINVAL, "%s: %s", where, why);
	if (!netd_gateway_mode_name(nc->gateway_mode))
		return netd_err_set(err, EINVAL, "%s: gateway mode %d is not nat or routed", where,
				    (int)nc->gateway_mode);
	return check_internal(nc, where, err);
}

int netd_netconf_format(const struct netd_netconf *nc, char *buf, size_t len)
{
	char sn[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];
	char mtu[24] = "", routes[NETD_ROUTES_MAX * 104 + 16] = "", mode[32] = "";
	char opts[32] = "", v6[4 * NETD_PREFIX_STRLEN + 64] = "";
	char v4[4 * INET_ADDRSTRLEN + 40] = "", masq[24] = "";
	size_t o = 0;

	if (nc->subnet6.ip.family == AF_INET6) {
		char s6[NETD_PREFIX_STRLEN], g6[NETD_IP_STRLEN], l6[NETD_IP_STRLEN],
		    h6[NETD_IP_STRLEN];

		snprintf(v6, sizeof(v6), "subnet6=%s\ngateway6=%s\nrange6=%s-%s\nmasquerade6=%s\n",
			 netd_prefix_format(&nc->subnet6, s6, sizeof(s6)),
			 netd_ip_format(&nc->gateway6, g6, sizeof(g6)),
			 netd_ip_format(&nc->range6.first, l6, sizeof(l6)),
			 netd_ip_format(&nc->range6.last, h6, sizeof(h6)),
			 nc->masquerade6 ? "yes" : "no");
	}
	/* An IPv6-only network has no IPv4 lines at all (its masquerade is IPv6's). */
	if (netd_netconf_has4(nc)) {
		netd_ip4_format(nc->subnet, sn, sizeof(sn));
		netd_ip4_format(nc->gateway, gw, sizeof(gw));
		netd_ip4_format(nc->range_start, lo, sizeof(lo));
		netd_ip4_format(nc->range_end, hi, sizeof(hi));
		snprintf(v4, sizeof(v4), "subnet=%s/%u\ngateway=%s\nrange=%s-%s\n", sn, nc->prefix,
			 gw, lo, hi);
		snprintf(masq, sizeof(masq), "masquerade=%s\n", nc->masquerade ? "yes" : "no");
	}
	if (nc->mtu)
		snprintf(mtu, sizeof(mtu), "mtu=%u\n", nc->mtu);
	for (size_t i = 0; i < nc->n_routes && i < NETD_ROUTES_MAX; i++) {
		char d[NETD_PREFIX_STRLEN], g[NETD_IP_STRLEN + 8] = "";

		netd_prefix_format(&nc->routes[i].dst, d, sizeof(d));
		if (!netd_ip_is_zero(&nc->routes[i].gw)) {
			memcpy(g, " via ", 5);
			netd_ip_format(&nc->routes[i].gw, g + 5, sizeof(g) - 5);
		}
		o += (size_t)snprintf(routes + o, sizeof(routes) - o, "%s%s%s",
				      i ? ", " : "routes=", d, g);
	}
	if (o)
		snprintf(routes + o, sizeof(routes) - o, "\n");
	/* Only when not the default, so that files of nat networks read as before. */
	if (nc->gateway_mode != NETD_GATEWAY_NAT)
		snprintf(mode, sizeof(mode), "gateway_mode=%s\n",
			 netd_gateway_mode_name(nc->gateway_mode));
	snprintf(opts, sizeof(opts), "%s%s", nc->internal ? "internal=yes\n" : "",
		 nc->no_icc ? "icc=no\n" : "");
	return snprintf(buf, len,
			"# netd network %s (subnet file; see docs/subnet-file.md)\n"
			"%s"
			"bridge=%s\n"
			"%s"
			"%s"
			"%s%s%s%s",
			nc->name, v4, nc->bridge, mtu, masq, v6, routes, mode, opts);
}

static int conf_path(char *buf, size_t len, const char *name, struct netd_err *err)
{
	if (netd_path_fmt(buf, len, "%s/%s.conf", netd_config_dir(), name) < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: config dir %s: path too long",
				    name, netd_config_dir());
	return 0;
}

/* The subnet file at path, for network name; -ENOENT (err set) when there is none. */
static int load_path(const char *name, const char *path, struct netd_netconf *nc,
		     struct netd_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r;

	r = netd_file_read(path, 0, &text, &len, err);
	if (r == -ENOENT)
		return netd_err_set(err, ENOENT, "network %s: not defined (no %s)", name, path);
	if (r < 0)
		return netd_err_prefix(err, "network %s", name);
	if (strlen(text) != len)
		return netd_err_set(err, EINVAL, "%s: contains a NUL byte", path);
	return parse_text(name, path, text, false, nc, err);
}

int netd_netconf_read(const char *name, const char *path, struct netd_netconf *nc,
		      struct netd_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r;

	r = check_name(name, path, err);
	if (r < 0)
		return r;
	r = netd_file_read(path, NETD_FILE_FOLLOW, &text, &len, err);
	if (r < 0)
		return r;
	if (len > 65536)
		return netd_err_set(err, EFBIG, "%s: too large for a subnet file", path);
	if (strlen(text) != len)
		return netd_err_set(err, EINVAL, "%s: contains a NUL byte", path);
	return parse_text(name, path, text, false, nc, err);
}

bool netd_netconf_defined(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (netd_path_fmt(path, sizeof(path), "%s/%s.conf", netd_config_dir(), name) < 0)
		return false;
	return lstat(path, &st) == 0;
}

int netd_netconf_load(const char *name, struct netd_netconf *nc, struct netd_err *err)
{
	int r = netd_name_check_network(name, err);

	return r < 0 ? r : netd_netconf_load_checked(name, nc, err);
}

int netd_netconf_load_checked(const char *name, struct netd_netconf *nc, struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = conf_path(path, sizeof(path), name, err);
	if (r < 0)
		return r;
	return load_path(name, path, nc, err);
}

/* Validates nc, writes its text to a temp file in the config dir; returns its fd. */
static int write_temp(const struct netd_netconf *nc, char *path, size_t plen, char *tmp,
		      size_t tlen, struct netd_err *err)
{
	struct netd_netconf v = *nc;
	char text[8192]; /* 32 IPv6 routes with gateways and both subnets fit */
	char where[NETD_NETNAME_MAX + 16];
	cleanup_close int fd = -1;
	const char *dir = netd_config_dir();
	size_t len, off = 0;
	int r;

	snprintf(where, sizeof(where), "network %s", nc->name);
	r = finish(&v, where, err);
	if (r < 0)
		return r;
	r = conf_path(path, plen, nc->name, err);
	if (r < 0)
		return r;
	if (netd_path_fmt(tmp, tlen, "%s/.%s.conf.XXXXXX", dir, nc->name) < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: config dir %s: path too long",
				    nc->name, dir);
	r = netd_netconf_format(&v, text, sizeof(text));
	if (r < 0 || (size_t)r >= sizeof(text))
		return netd_err_set(err, EOVERFLOW, "network %s: subnet file too long", nc->name);
	len = (size_t)r;
	r = netd_mkdirs(dir, false, err);
	if (r < 0)
		return netd_err_prefix(err, "network %s", nc->name);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return netd_err_sys(err, errno, "network %s: create %s", nc->name, tmp);
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	return steal_fd(&fd);
fail:
	r = errno;
	unlink(tmp);
	return netd_err_sys(err, r, "network %s: write %s", nc->name, tmp);
}

/* Puts the definition in place: replacing one (rename), or only where none is (link). */
static int install(const struct netd_netconf *nc, bool replace, struct netd_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	cleanup_close int fd = -1;
	int r;

	fd = write_temp(nc, path, sizeof(path), tmp, sizeof(tmp), err);
	if (fd < 0)
		return fd;
	/* link() fails with EEXIST instead of replacing: two concurrent creates, one wins. */
	r = replace ? rename(tmp, path) : link(tmp, path);
	if (r < 0) {
		r = errno;
		unlink(tmp);
		if (r == EEXIST && !replace)
			return netd_err_set(err, EEXIST, "network %s: already defined (%s)",
					    nc->name, path);
		return netd_err_sys(err, r, "network %s: %s %s", nc->name,
				    replace ? "rename to" : "link", path);
	}
	if (!replace)
		unlink(tmp);
	netd_fsync_dir(netd_config_dir());
	return 0;
}

int netd_netconf_save(const struct netd_netconf *nc, struct netd_err *err)
{
	int r = netd_name_check_network(nc->name, err);

	return r < 0 ? r : netd_netconf_save_checked(nc, err);
}

int netd_netconf_save_checked(const struct netd_netconf *nc, struct netd_err *err)
{
	return install(nc, false, err);
}

int netd_netconf_replace(const struct netd_netconf *nc, struct netd_err *err)
{
	return install(nc, true, err);
}

int netd_netconf_remove(const char *name, struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = netd_name_check_network(name, err);
	if (r < 0)
		return r;
	r = conf_path(path, sizeof(path), name, err);
	if (r < 0)
		return r;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return netd_err_set(err, ENOENT, "network %s: not defined (no %s)", name,
					    path);
		return netd_err_sys(err, errno, "network %s: remove %s", name, path);
	}
	netd_fsync_dir(netd_config_dir());
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Names of the subnet files in dir, sorted; a missing dir holds none. */
static int list_dir(const char *dir, char ***names, size_t *n, struct netd_err *err)
{
	__attribute__((cleanup(closedirp))) DIR *d = NULL;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* nothing defined yet */
		return netd_err_sys(err, errno, "list networks: open %s", dir);
	}
	for (;;) {
		char name[NETD_NETNAME_MAX + 1];
		size_t len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				int e = errno;
				netd_strv_free(v, cnt);
				return netd_err_sys(err, e, "list networks: read %s", dir);
			}
			break;
		}
		if (de->d_type == DT_DIR)
			continue;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || S_ISDIR(st.st_mode))
				continue;
		}
		len = strlen(de->d_name);
		if (len <= 5 || len - 5 > NETD_NETNAME_MAX || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (netd_name_check_network(name, NULL) < 0)
			continue; /* not ours (editor backups, temp files) */
		if (netd_grow((void **)&v, &cap, cnt, sizeof(*v)) < 0) {
			netd_strv_free(v, cnt);
			return netd_err_set(err, ENOMEM, "list networks: out of memory");
		}
		v[cnt] = strdup(name);
		if (!v[cnt]) {
			netd_strv_free(v, cnt);
			return netd_err_set(err, ENOMEM, "list networks: out of memory");
		}
		cnt++;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

int netd_netconf_list(char ***names, size_t *n, struct netd_err *err)
{
	return list_dir(netd_config_dir(), names, n, err);
}

/* ---- every network of this host: netd's dir and netd-cni's ---- */

static bool cni_dir_mode;

void netd_netconf_use_cni_dir(void)
{
	cni_dir_mode = true;
}

/* netd's own dir, whichever this process defines networks in. */
static const char *netd_dir(void)
{
	const char *d = getenv("NETD_CONFIG_DIR");
	return d && *d ? d : "/etc/netd/networks";
}

const char *netd_cni_config_dir(void)
{
	static __thread char buf[NETD_CONF_PATH_MAX];
	const char *d = getenv("NETD_CNI_CONFIG_DIR");

	if (d && *d)
		return d;
	snprintf(buf, sizeof(buf), "%s/cni-networks", netd_state_dir());
	return buf;
}

const char *netd_config_dir(void)
{
	const char *cni = getenv("NETD_CNI_CONFIG_DIR");

	if (!cni_dir_mode)
		return netd_dir();
	/* netd-cni: NETD_CONFIG_DIR alone still means "define them there", as it always did. */
	if (!(cni && *cni) && getenv("NETD_CONFIG_DIR") && *getenv("NETD_CONFIG_DIR"))
		return netd_dir();
	return netd_cni_config_dir();
}

const char *netd_netconf_origin_name(enum netd_netconf_origin origin)
{
	return origin == NETD_NETCONF_CNI ? "cni" : "netd";
}

struct conf_dir {
	char path[NETD_CONF_PATH_MAX];
	enum netd_netconf_origin origin;
	bool here;
};

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The directories networks are defined in, each once; returns how many. */
static size_t conf_dirs(struct conf_dir d[2])
{
	const char *own = netd_config_dir();

	snprintf(d[0].path, sizeof(d[0].path), "%s", netd_dir());
	d[0].origin = NETD_NETCONF_NETD;
	snprintf(d[1].path, sizeof(d[1].path), "%s", netd_cni_config_dir());
	d[1].origin = NETD_NETCONF_CNI;
	/* (NETD_CONFIG_DIR set for netd-cni too: its networks live in netd's dir.) */
	if (same_dir(d[0].path, d[1].path)) {
		d[0].here = true;
		return 1;
	}
	d[0].here = same_dir(d[0].path, own);
	d[1].here = !d[0].here;
	return 2;
}

static void def_load(struct netd_netdef *def, const struct conf_dir *dir, const char *name)
{
	struct netd_err e = {0};

	memset(def, 0, sizeof(*def));
	snprintf(def->nc.name, sizeof(def->nc.name), "%s", name);
	def->origin = dir->origin;
	def->here = dir->here;
	if (netd_path_fmt(def->path, sizeof(def->path), "%s/%s.conf", dir->path, name) < 0) {
		snprintf(def->error, sizeof(def->error), "network %s: %s: path too long", name,
			 dir->path);
		def->error_code = ENAMETOOLONG;
		return;
	}
	if (load_path(name, def->path, &def->nc, &e) < 0) {
		snprintf(def->error, sizeof(def->error), "%s", e.msg[0] ? e.msg : "cannot load");
		def->error_code = e.code ? e.code : EINVAL;
		memset(&def->nc, 0, sizeof(def->nc));
		snprintf(def->nc.name, sizeof(def->nc.name), "%s", name);
	}
}

static int cmp_def(const void *a, const void *b)
{
	const struct netd_netdef *x = a, *y = b;
	int c = strcmp(x->nc.name, y->nc.name);

	return c ? c : (int)x->origin - (int)y->origin;
}

int netd_netconf_list_all(struct netd_netdef **defs, size_t *n, struct netd_err *err)
{
	struct conf_dir dirs[2];
	size_t nd = conf_dirs(dirs), cnt = 0;
	struct netd_netdef *v = NULL;

	*defs = NULL;
	*n = 0;
	for (size_t i = 0; i < nd; i++) {
		char **names = NULL;
		size_t nn = 0;
		struct netd_netdef *nv;
		int r = list_dir(dirs[i].path, &names, &nn, err);

		if (r < 0) {
			free(v);
			return r;
		}
		nv = nn ? realloc(v, (cnt + nn) * sizeof(*v)) : v;
		if (nn && !nv) {
			netd_strv_free(names, nn);
			free(v);
			return netd_err_set(err, ENOMEM, "list networks: out of memory");
		}
		v = nv;
		for (size_t k = 0; k < nn; k++)
			def_load(&v[cnt++], &dirs[i], names[k]);
		netd_strv_free(names, nn);
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_def);
	*defs = v;
	*n = cnt;
	return 0;
}

int netd_netconf_find(const char *name, struct netd_netdef *def, struct netd_err *err)
{
	int r = netd_name_check_network(name, err);

	return r < 0 ? r : netd_netconf_find_checked(name, def, err);
}

int netd_netconf_find_checked(const char *name, struct netd_netdef *def, struct netd_err *err)
{
	struct conf_dir dirs[2];
	size_t nd = conf_dirs(dirs);
	char path[PATH_MAX];
	int r;

	/* This process's own dir first. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nd; i++) {
			struct stat st;

			if (dirs[i].here != (pass == 0))
				continue;
			if (netd_path_fmt(path, sizeof(path), "%s/%s.conf", dirs[i].path, name) <
				0 ||
			    stat(path, &st) < 0)
				continue;
			def_load(def, &dirs[i], name);
			if (def->error[0])
				return netd_err_set(err, def->error_code, "%s", def->error);
			return 0;
		}
	}
	r = conf_path(path, sizeof(path), name, err);
	if (r < 0)
		return r;
	return netd_err_set(err, ENOENT, "network %s: not defined (no %s)", name, path);
}

const struct netd_netdef *netd_netdef_overlapping(const struct netd_netdef *defs, size_t n,
						  const char *self, const struct netd_prefix *net)
{
	for (size_t i = 0; i < n; i++) {
		if (defs[i].error[0] || (self && defs[i].here && !strcmp(defs[i].nc.name, self)))
			continue;
		/* (an IPv6-only network's IPv4 prefix 0 would overlap everything) */
		if (net->ip.family == AF_INET && !netd_netconf_has4(&defs[i].nc))
			continue;
		struct netd_prefix b =
		    net->ip.family == AF_INET6
			? defs[i].nc.subnet6
			: netd_prefix_from4(defs[i].nc.subnet, defs[i].nc.prefix);

		if (b.ip.family == net->ip.family && netd_prefix_overlap(net, &b))
			return &defs[i];
	}
	return NULL;
}

int netd_netconf_check_unique(const struct netd_netconf *nc, struct netd_err *err)
{
	struct netd_netdef *defs = NULL;
	const struct netd_netdef *o;
	size_t n = 0;
	int r;

	r = netd_netconf_list_all(&defs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (strcmp(defs[i].nc.name, nc->name) != 0 || defs[i].here)
			continue;
		r = netd_err_set(err, EEXIST, "network %s: already defined in %s (a %s network)",
				 nc->name, defs[i].path,
				 defs[i].origin == NETD_NETCONF_CNI ? "netd-cni" : "netd");
	}
	for (int fam = 0; fam < 2 && r == 0; fam++) {
		struct netd_prefix mine =
		    fam ? nc->subnet6 : netd_prefix_from4(nc->subnet, nc->prefix);
		char a[NETD_PREFIX_STRLEN], b[NETD_PREFIX_STRLEN];
		struct netd_prefix theirs;

		if (mine.ip.family != (fam ? AF_INET6 : AF_INET) ||
		    (!fam && !netd_netconf_has4(nc)))
			continue;
		o = netd_netdef_overlapping(defs, n, nc->name, &mine);
		if (!o)
			continue;
		theirs = fam ? o->nc.subnet6 : netd_prefix_from4(o->nc.subnet, o->nc.prefix);
		r = netd_err_set(err, EEXIST,
				 "network %s: subnet%s %s overlaps network %s (%s, %s)", nc->name,
				 fam ? "6" : "", netd_prefix_format(&mine, a, sizeof(a)),
				 o->nc.name, netd_prefix_format(&theirs, b, sizeof(b)), o->path);
	}
	free(defs);
	return r;
}

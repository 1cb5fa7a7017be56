/* SPDX-License-Identifier: MIT */
/*
 * An endpoint record's text form (key=value lines, layout in store.h): format and a strict
 * parser, pure (no I/O; fuzzed by tests/fuzz/fuzz_endpoint.c). The files that hold records are
 * endpoint_store.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netd/addr.h>
#include <netd/names.h>
#include "endpoint_record.h"
#include "util.h"

#define MAX_PORTS 65536 /* per record: a full range 1-65535 fits */

void netd_endpoint_clear(struct netd_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->ports);
	memset(ep, 0, sizeof(*ep));
}

void netd_endpoints_free(struct netd_endpoint *eps, size_t n)
{
	if (!eps)
		return;
	for (size_t i = 0; i < n; i++)
		netd_endpoint_clear(&eps[i]);
	free(eps);
}

/* A free-text field (netns path): printable, no newline, fits its buffer. */
static bool text_ok(const char *s, size_t size)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n + 1 >= size || (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return false;
	return true;
}

static bool state_ok(const char *s, size_t size)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n + 1 >= size || !((s[n] >= 'a' && s[n] <= 'z') || s[n] == '-' || s[n] == '_'))
			return false;
	return true;
}

/* Buffer growing by appends; on allocation failure it stays failed. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void NETD_PRINTF(2, 3) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t want = b->len + (size_t)n + 1;
		size_t cap = b->cap ? b->cap : 512;
		while (cap < want)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* The names of an endpoint on its network (dns.c): DNS labels, at most NETD_ALIASES_MAX. */
static int dns_names_ok(const struct netd_endpoint *ep, struct netd_err *err)
{
	struct netd_err e2;

	if (ep->n_aliases > NETD_ALIASES_MAX)
		return netd_err_set(err, EINVAL, "endpoint %s@%s: more than %d aliases", ep->id,
				    ep->ifname, NETD_ALIASES_MAX);
	if (ep->name[0] && netd_name_check_dns(ep->name, &e2) < 0)
		return netd_err_set(err, EINVAL, "endpoint %s@%s: %s", ep->id, ep->ifname, e2.msg);
	for (size_t i = 0; i < ep->n_aliases; i++)
		if (netd_name_check_dns(ep->aliases[i], &e2) < 0)
			return netd_err_set(err, EINVAL, "endpoint %s@%s: alias: %s", ep->id,
					    ep->ifname, e2.msg);
	return 0;
}

int netd_endpoint_format(const struct netd_endpoint *ep, char **out, struct netd_err *err)
{
	struct sbuf b = {0};
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], hip[NETD_IP_STRLEN];
	char mac[NETD_MAC_STRLEN];
	int r;

	if (!text_ok(ep->netns, sizeof(ep->netns)) || !state_ok(ep->state, sizeof(ep->state)))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: invalid netns path or state",
				    ep->id, ep->ifname);
	if ((ep->ip6.family && (ep->ip6.family != AF_INET6 || ep->prefix6 > 128)) ||
	    (ep->gateway6.family && ep->gateway6.family != AF_INET6))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: bad IPv6 address", ep->id,
				    ep->ifname);
	if (ep->prefix > 32 || ep->mtu > 65535 || ep->host_ifindex < 0 || ep->ctr_ifindex < 0 ||
	    ep->created < 0 || ep->pid < 0)
		return netd_err_set(err, EINVAL, "endpoint %s@%s: field out of range", ep->id,
				    ep->ifname);
	if (ep->n_routes > ARRAY_SIZE(ep->routes))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: too many routes", ep->id,
				    ep->ifname);
	if (ep->n_ports > MAX_PORTS || (ep->n_ports && !ep->ports))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: bad port list", ep->id,
				    ep->ifname);
	r = dns_names_ok(ep, err);
	if (r < 0)
		return r;
	netd_ip4_format(ep->ip, ip, sizeof(ip));
	netd_ip4_format(ep->gateway, gw, sizeof(gw));

	sb_printf(&b, "network=%s\nid=%s\nifname=%s\nhost_ifname=%s\nbridge=%s\nnetns=%s\n",
		  ep->network, ep->id, ep->ifname, ep->host_ifname, ep->bridge, ep->netns);
	sb_printf(&b, "mac=%s\n", netd_mac_format(ep->mac, mac, sizeof(mac)));
	/* An endpoint of an IPv6-only network has no IPv4 address: no ip= line, nor gateway=. */
	if (ep->ip.s_addr)
		sb_printf(&b, "ip=%s/%u\n", ip, ep->prefix);
	if (ep->ip.s_addr || ep->gateway.s_addr)
		sb_printf(&b, "gateway=%s\n", gw);
	sb_printf(&b, "mtu=%u\nhost_ifindex=%d\nctr_ifindex=%d\n", ep->mtu, ep->host_ifindex,
		  ep->ctr_ifindex);
	/* Only with an IPv6 address: records of IPv4 endpoints read as they did. */
	if (ep->ip6.family == AF_INET6) {
		char a6[NETD_IP_STRLEN], g6[NETD_IP_STRLEN];

		sb_printf(&b, "ip6=%s/%u\n", netd_ip_format(&ep->ip6, a6, sizeof(a6)), ep->prefix6);
		if (ep->gateway6.family == AF_INET6)
			sb_printf(&b, "gateway6=%s\n",
				  netd_ip_format(&ep->gateway6, g6, sizeof(g6)));
	}
	sb_printf(&b, "created=%" PRId64 "\nstate=%s\npid=%d\n", (int64_t)ep->created, ep->state,
		  ep->pid);
	if (ep->external_ipam)
		sb_printf(&b, "ipam=external\n");
	if (ep->name[0])
		sb_printf(&b, "name=%s\n", ep->name);
	for (size_t i = 0; i < ep->n_aliases; i++)
		sb_printf(&b, "alias=%s\n", ep->aliases[i]);
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct netd_port *p = &ep->ports[i];
		const char *pn = netd_proto_name(p->proto);

		if (!pn || !p->host_port || !p->ctr_port) {
			free(b.p);
			return netd_err_set(err, EINVAL, "endpoint %s@%s: port %zu is invalid",
					    ep->id, ep->ifname, i + 1);
		}
		if (p->host_ip.family != AF_INET && p->host_ip.family != AF_INET6) {
			free(b.p);
			return netd_err_set(err, EINVAL,
					    "endpoint %s@%s: port %zu has no host address family",
					    ep->id, ep->ifname, i + 1);
		}
		netd_ip_format(&p->host_ip, hip, sizeof(hip));
		sb_printf(&b, "port=%s %s %u %u\n", pn, hip, p->host_port, p->ctr_port);
	}
	/* "none" keeps a record without routes apart from one written before routes were. */
	if (!ep->n_routes)
		sb_printf(&b, "route=none\n");
	for (size_t i = 0; i < ep->n_routes && i < ARRAY_SIZE(ep->routes); i++) {
		char dst[NETD_PREFIX_STRLEN], via[NETD_IP_STRLEN];

		netd_prefix_format(&ep->routes[i].dst, dst, sizeof(dst));
		netd_ip_format(&ep->routes[i].gw, via, sizeof(via));
		sb_printf(&b, "route=%s %s\n", dst, via);
	}
	if (b.oom) {
		free(b.p);
		return netd_err_set(err, ENOMEM, "endpoint %s@%s: format: out of memory", ep->id,
				    ep->ifname);
	}
	*out = b.p;
	return 0;
}

static bool parse_ip(const char *s, size_t len, struct in_addr *a)
{
	struct netd_ip ip;

	if (netd_ip_parse_n(s, len, AF_INET, &ip, NULL) < 0)
		return false;
	*a = ip.v4;
	return true;
}

static bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	return netd_mac_parse_n(s, len, mac, NULL) == 0;
}

/* Copies a value into a fixed field; false when it does not fit. */
static bool copy_field(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

/* "DST/PREFIX GW", or "none" (then nothing is added) */
static bool parse_route(const char *s, size_t len, struct netd_endpoint *ep)
{
	const char *sp = memchr(s, ' ', len);
	struct netd_route rt = {0};

	if (len == 4 && !memcmp(s, "none", 4))
		return true;
	if (!sp || ep->n_routes >= ARRAY_SIZE(ep->routes))
		return false;
	if (netd_prefix_parse_n(s, (size_t)(sp - s), AF_UNSPEC, &rt.dst, NULL) < 0 ||
	    !netd_prefix_is_network(&rt.dst) ||
	    netd_ip_parse_n(sp + 1, len - (size_t)(sp + 1 - s), rt.dst.ip.family, &rt.gw, NULL) < 0)
		return false;
	ep->routes[ep->n_routes++] = rt;
	return true;
}

/* "PROTO HOSTIP HOSTPORT CTRPORT" */
static bool parse_port(const char *s, size_t len, struct netd_port *p)
{
	const char *f[4];
	size_t fl[4];
	size_t i = 0, nf = 0;
	uint64_t v;

	/* Exactly four fields separated by single spaces. */
	for (;;) {
		size_t st = i;
		while (i < len && s[i] != ' ')
			i++;
		if (nf == 4)
			return false;
		f[nf] = s + st;
		fl[nf] = i - st;
		nf++;
		if (i == len)
			break;
		i++;
	}
	if (nf != 4)
		return false;
	memset(p, 0, sizeof(*p));
	p->proto = netd_proto_from_text(f[0], fl[0]);
	if (!p->proto || netd_ip_parse_n(f[1], fl[1], AF_UNSPEC, &p->host_ip, NULL) < 0)
		return false;
	if (!netd_parse_uint_n(f[2], fl[2], 65535, &v) || v == 0)
		return false;
	p->host_port = (uint16_t)v;
	if (!netd_parse_uint_n(f[3], fl[3], 65535, &v) || v == 0)
		return false;
	p->ctr_port = (uint16_t)v;
	return true;
}

enum ep_key {
	K_NETWORK,
	K_ID,
	K_IFNAME,
	K_HOST_IFNAME,
	K_BRIDGE,
	K_NETNS,
	K_MAC,
	K_IP,
	K_GATEWAY,
	K_MTU,
	K_HOST_IFINDEX,
	K_CTR_IFINDEX,
	K_CREATED,
	K_STATE,
	K_PID,
	K_IPAM,
	K_PORT,
	K_ROUTE,
	K_NAME,
	K_ALIAS,
	K_IP6,
	K_GATEWAY6,
	K_COUNT,
};

static const char *const ep_keys[K_COUNT] = {
    [K_NETWORK] = "network",
    [K_ID] = "id",
    [K_IFNAME] = "ifname",
    [K_HOST_IFNAME] = "host_ifname",
    [K_BRIDGE] = "bridge",
    [K_NETNS] = "netns",
    [K_MAC] = "mac",
    [K_IP] = "ip",
    [K_GATEWAY] = "gateway",
    [K_MTU] = "mtu",
    [K_HOST_IFINDEX] = "host_ifindex",
    [K_CTR_IFINDEX] = "ctr_ifindex",
    [K_CREATED] = "created",
    [K_STATE] = "state",
    [K_PID] = "pid",
    [K_IPAM] = "ipam",
    [K_PORT] = "port",
    [K_ROUTE] = "route",
    [K_NAME] = "name",
    [K_ALIAS] = "alias",
    [K_IP6] = "ip6",
    [K_GATEWAY6] = "gateway6",
};

/* The names a record is expected to hold (checked by the caller), or NULLs. */
struct ep_names {
	const char *network, *id, *ifname;
};

/* A name read back: the one expected (checked already) is valid as it is. */
static bool name_ok(const char *v, const char *expected,
		    int (*check)(const char *, struct netd_err *))
{
	return (expected && !strcmp(v, expected)) || check(v, NULL) == 0;
}

/* Sets one field from a value; false when the value is not valid for it. */
static bool set_field(struct netd_endpoint *ep, const struct ep_names *x, enum ep_key k,
		      const char *v, size_t vl)
{
	struct netd_err e2;
	uint64_t u;

	switch (k) {
	case K_NETWORK:
		return copy_field(ep->network, sizeof(ep->network), v, vl) &&
		       name_ok(ep->network, x->network, netd_name_check_network);
	case K_ID:
		return copy_field(ep->id, sizeof(ep->id), v, vl) &&
		       name_ok(ep->id, x->id, netd_name_check_id);
	case K_IFNAME:
		return copy_field(ep->ifname, sizeof(ep->ifname), v, vl) &&
		       name_ok(ep->ifname, x->ifname, netd_name_check_ifname);
	case K_HOST_IFNAME:
		return copy_field(ep->host_ifname, sizeof(ep->host_ifname), v, vl) &&
		       (!vl || netd_name_check_ifname(ep->host_ifname, NULL) == 0);
	case K_BRIDGE:
		return copy_field(ep->bridge, sizeof(ep->bridge), v, vl) &&
		       (!vl || netd_name_check_ifname(ep->bridge, NULL) == 0);
	case K_NETNS:
		return copy_field(ep->netns, sizeof(ep->netns), v, vl) &&
		       text_ok(ep->netns, sizeof(ep->netns));
	case K_MAC:
		return parse_mac(v, vl, ep->mac);
	case K_IP: {
		struct netd_prefix p;

		if (netd_prefix_parse_n(v, vl, AF_INET, &p, NULL) < 0)
			return false;
		ep->ip = p.ip.v4;
		ep->prefix = p.len;
		return true;
	}
	case K_GATEWAY:
		return parse_ip(v, vl, &ep->gateway);
	case K_IP6: {
		struct netd_prefix p;

		if (netd_prefix_parse_n(v, vl, AF_INET6, &p, NULL) < 0 || netd_ip_is_zero(&p.ip))
			return false;
		ep->ip6 = p.ip;
		ep->prefix6 = p.len;
		return true;
	}
	case K_GATEWAY6:
		return netd_ip_parse_n(v, vl, AF_INET6, &ep->gateway6, NULL) == 0;
	case K_MTU:
		if (!netd_parse_uint_n(v, vl, 65535, &u))
			return false;
		ep->mtu = (unsigned)u;
		return true;
	case K_HOST_IFINDEX:
	case K_CTR_IFINDEX:
	case K_PID:
		if (!netd_parse_uint_n(v, vl, INT_MAX, &u))
			return false;
		if (k == K_HOST_IFINDEX)
			ep->host_ifindex = (int)u;
		else if (k == K_CTR_IFINDEX)
			ep->ctr_ifindex = (int)u;
		else
			ep->pid = (int)u;
		return true;
	case K_CREATED:
		if (!netd_parse_uint_n(v, vl, INT64_MAX, &u))
			return false;
		ep->created = (time_t)u;
		return true;
	case K_STATE:
		return copy_field(ep->state, sizeof(ep->state), v, vl) &&
		       state_ok(ep->state, sizeof(ep->state));
	case K_IPAM:
		if (vl == 4 && !memcmp(v, "netd", 4))
			ep->external_ipam = false;
		else if (vl == 8 && !memcmp(v, "external", 8))
			ep->external_ipam = true;
		else
			return false;
		return true;
	case K_NAME:
		return copy_field(ep->name, sizeof(ep->name), v, vl) &&
		       netd_name_check_dns(ep->name, &e2) == 0;
	case K_ALIAS:
		if (ep->n_aliases >= NETD_ALIASES_MAX ||
		    !copy_field(ep->aliases[ep->n_aliases], sizeof(ep->aliases[0]), v, vl) ||
		    netd_name_check_dns(ep->aliases[ep->n_aliases], &e2) < 0)
			return false;
		ep->n_aliases++;
		return true;
	case K_PORT:
	case K_ROUTE:
	case K_COUNT:
		break;
	}
	return false;
}

static int add_port(struct netd_endpoint *ep, size_t *cap, const struct netd_port *p)
{
	if (ep->n_ports == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct netd_port *np;

		if (ep->n_ports >= MAX_PORTS)
			return -E2BIG;
		np = realloc(ep->ports, ncap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		ep->ports = np;
		*cap = ncap;
	}
	ep->ports[ep->n_ports++] = *p;
	return 0;
}

static int parse(const char *text, const char *where, const struct ep_names *x,
		 struct netd_endpoint *ep, struct netd_err *err)
{
	struct netd_endpoint tmp = {0};
	bool seen[K_COUNT] = {false};
	size_t cap = 0;
	struct netd_kv kv = {0};
	const char *p = text, *end = text + strlen(text);
	int r = 0;

	if (!where)
		where = "endpoint record";
	memset(ep, 0, sizeof(*ep));
	while (netd_kv_next(&p, end, &kv)) {
		unsigned line = kv.lineno;
		size_t kl = kv.key_len;
		int k;

		if (kv.len == 0 || kv.line[0] == '#')
			continue;
		if (!kv.key) {
			r = netd_err_set(err, EINVAL, "%s:%u: expected key=value", where, line);
			goto fail;
		}
		for (k = 0; k < K_COUNT; k++)
			if (strlen(ep_keys[k]) == kl && !memcmp(ep_keys[k], kv.key, kl))
				break;
		if (k == K_COUNT) {
			/* The key is not quoted: a damaged file may hold anything. */
			r = netd_err_set(
			    err, EINVAL,
			    "%s:%u: unknown key (a record has network, id, ifname, "
			    "host_ifname, bridge, netns, mac, ip, gateway, mtu, "
			    "host_ifindex, ctr_ifindex, created, state, pid, ipam, port)",
			    where, line);
			goto fail;
		}
		if (k == K_PORT) {
			struct netd_port port;

			if (!parse_port(kv.val, kv.val_len, &port)) {
				r = netd_err_set(err, EINVAL,
						 "%s:%u: bad port (want PROTO HOSTIP HOSTPORT "
						 "CTRPORT)",
						 where, line);
				goto fail;
			}
			r = add_port(&tmp, &cap, &port);
			if (r < 0) {
				r = netd_err_set(err, -r, "%s:%u: %s", where, line,
						 r == -ENOMEM ? "out of memory" : "too many ports");
				goto fail;
			}
			continue;
		}
		if (k == K_ROUTE) {
			seen[k] = true;
			if (!parse_route(kv.val, kv.val_len, &tmp)) {
				r = netd_err_set(err, EINVAL,
						 "%s:%u: bad route (want DST/PREFIX GATEWAY)",
						 where, line);
				goto fail;
			}
			continue;
		}
		if (seen[k] && k != K_ALIAS) {
			r = netd_err_set(err, EINVAL, "%s:%u: duplicate key '%s'", where, line,
					 ep_keys[k]);
			goto fail;
		}
		seen[k] = true;
		if (!set_field(&tmp, x, (enum ep_key)k, kv.val, kv.val_len)) {
			r = netd_err_set(err, EINVAL, "%s:%u: bad %s", where, line, ep_keys[k]);
			goto fail;
		}
	}
	for (int k = K_NETWORK; k <= K_IFNAME; k++) {
		if (!seen[k]) {
			r = netd_err_set(err, EINVAL, "%s: missing %s", where, ep_keys[k]);
			goto fail;
		}
	}
	/* Written before routes were recorded: every attach then set the default route. */
	if (!seen[K_ROUTE] && tmp.gateway.s_addr)
		tmp.routes[tmp.n_routes++] =
		    (struct netd_route){.dst.ip.family = AF_INET, .gw = netd_ip_from4(tmp.gateway)};
	*ep = tmp;
	return 0;
fail:
	free(tmp.ports);
	return r;
}

int netd_endpoint_parse(const char *text, const char *where, struct netd_endpoint *ep,
			struct netd_err *err)
{
	return parse(text, where, &(struct ep_names){0}, ep, err);
}

int netd_endpoint_parse_of(const char *text, const char *where, const char *network, const char *id,
			   const char *ifname, struct netd_endpoint *ep, struct netd_err *err)
{
	return parse(text, where, &(struct ep_names){network, id, ifname}, ep, err);
}

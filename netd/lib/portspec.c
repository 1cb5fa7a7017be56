/* SPDX-License-Identifier: MIT */
/* Docker's -p syntax: [[IP:][HOST]:]CTR[/PROTO], with port ranges. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netd/addr.h>
#include <netd/portspec.h>
#include "netconf_priv.h"
#include "util.h"

/* Longest spec we look at: "[ffff:...:ffff]:65535-65535:65535-65535/sctp" is 65. */
#define SPEC_MAX 128

/* The protocols a port can be published for, and their names: the one table. */
static const struct {
	uint8_t proto;
	const char *name;
} protos[] = {
    {NETD_PROTO_TCP, "tcp"},
    {NETD_PROTO_UDP, "udp"},
    {NETD_PROTO_SCTP, "sctp"},
};

const char *netd_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

uint8_t netd_proto_from_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(name, protos[i].name))
			return protos[i].proto;
	return 0;
}

uint8_t netd_proto_from_text(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strlen(protos[i].name) == len && !memcmp(protos[i].name, name, len))
			return protos[i].proto;
	return 0;
}

struct range {
	unsigned lo, hi;
};

/* One port "N" or a range "LO-HI" of ports 1..65535; what names the part in errors. */
static int parse_range(const char *spec, const char *what, const char *s, struct range *r,
		       struct netd_err *err)
{
	char qs[NETD_QUOTE_MAX], qp[NETD_QUOTE_MAX];
	unsigned v[2] = {0, 0};
	const char *p = s;
	int k = 0;

	if (!*s)
		return netd_err_set(err, EINVAL, "port spec %s: %s is empty",
				    netd_quote(qs, sizeof(qs), spec), what);
	for (;;) {
		size_t digits = 0;

		while (*p >= '0' && *p <= '9') {
			if (v[k] <= 65535)
				v[k] = v[k] * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (!digits || (*p && *p != '-') || (*p == '-' && k == 1))
			return netd_err_set(err, EINVAL, "port spec %s: %s %s is not a number%s",
					    netd_quote(qs, sizeof(qs), spec), what,
					    netd_quote(qp, sizeof(qp), s),
					    k == 1 || strchr(s, '-') ? " or range LO-HI" : "");
		if (v[k] < 1 || v[k] > 65535)
			return netd_err_set(
			    err, EINVAL, "port spec %s: %s %s is out of range (1-65535)",
			    netd_quote(qs, sizeof(qs), spec), what, netd_quote(qp, sizeof(qp), s));
		if (!*p)
			break;
		p++; /* '-' */
		k = 1;
	}
	r->lo = v[0];
	r->hi = k ? v[1] : v[0];
	if (r->lo > r->hi)
		return netd_err_set(err, EINVAL,
				    "port spec %s: %s %s: range is reversed (write %u-%u)",
				    netd_quote(qs, sizeof(qs), spec), what,
				    netd_quote(qp, sizeof(qp), s), r->hi, r->lo);
	return 0;
}

int netd_portspec_parse(const char *spec, struct netd_port *out, size_t cap, size_t *n,
			struct netd_err *err)
{
	char qs[NETD_QUOTE_MAX], qp[NETD_QUOTE_MAX];
	char buf[SPEC_MAX + 1];
	char *parts[3] = {NULL, NULL, NULL};
	char *slash, *p;
	struct range host = {0, 0}, ctr;
	struct netd_ip ip = {.family = 0}; /* both families' wildcards */
	uint8_t proto = NETD_PROTO_TCP;
	size_t nparts = 0, count, room;
	int r;

	if (!spec || !*spec)
		return netd_err_set(err, EINVAL,
				    "port spec \"\": empty; use [[IP:][HOST]:]CTR[/tcp|udp|sctp]");
	netd_quote(qs, sizeof(qs), spec);
	if (strlen(spec) > SPEC_MAX)
		return netd_err_set(err, EINVAL, "port spec %s: too long", qs);
	if (!n || *n > cap)
		return netd_err_set(err, EINVAL, "port spec %s: no room for the result", qs);
	memcpy(buf, spec, strlen(spec) + 1);

	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		proto = netd_proto_from_name(slash + 1);
		if (!proto)
			return netd_err_set(err, EINVAL,
					    "port spec %s: protocol %s is not tcp, udp or sctp", qs,
					    netd_quote(qp, sizeof(qp), slash + 1));
	}

	p = buf;
	/* "[V6]:HOST:CTR" or "[V6]::CTR": the bracketed address is the first part. */
	if (buf[0] == '[') {
		const char *rest;
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return netd_err_set(
			    err, EINVAL,
			    "port spec %s: an IPv6 host address is written [ADDR]:HOST:CTR", qs);
		if (netd_ip_parse_host(buf, AF_INET6, &ip, &rest, NULL) < 0) {
			close[1] = '\0';
			return netd_err_set(err, EINVAL,
					    "port spec %s: host IP %s is not an IPv6 address", qs,
					    netd_quote(qp, sizeof(qp), buf));
		}
		r = netd_port_check_host(&ip, err);
		if (r < 0)
			return netd_err_prefix(err, "port spec %s", qs);
		parts[nparts++] = buf;
		p = (char *)rest;
		if (!strchr(p, ':'))
			return netd_err_set(
			    err, EINVAL,
			    "port spec %s: after the IPv6 host address comes HOST:CTR "
			    "(or :CTR)",
			    qs);
	} else if (strchr(buf, ']')) {
		return netd_err_set(err, EINVAL, "port spec %s: ']' without '['", qs);
	}
	for (;;) {
		char *colon = strchr(p, ':');

		if (nparts == 3)
			return netd_err_set(
			    err, EINVAL,
			    "port spec %s: too many ':' (an IPv6 host address goes in "
			    "brackets); use [[IP:][HOST]:]CTR[/PROTO]",
			    qs);
		parts[nparts++] = p;
		if (!colon)
			break;
		*colon = '\0';
		p = colon + 1;
	}

	/* parts: CTR | HOST CTR | IP HOST CTR */
	if (nparts == 3 && !ip.family) {
		if (!*parts[0])
			return netd_err_set(err, EINVAL,
					    "port spec %s: host IP is empty; leave out \"IP:\" to "
					    "publish on every address",
					    qs);
		if (netd_ip_parse(parts[0], AF_INET, &ip, NULL) < 0)
			return netd_err_set(err, EINVAL,
					    "port spec %s: host IP %s is not an IPv4 address (an "
					    "IPv6 one goes in brackets: [ADDR]:HOST:CTR)",
					    qs, netd_quote(qp, sizeof(qp), parts[0]));
	}
	r = parse_range(spec, "container port", parts[nparts - 1], &ctr, err);
	if (r < 0)
		return r;
	if (nparts >= 2 && (nparts == 2 || *parts[1])) {
		r = parse_range(spec, "host port", parts[nparts - 2], &host, err);
		if (r < 0)
			return r;
	}

	count = ctr.hi - ctr.lo + 1;
	if (host.lo && host.hi > host.lo && ctr.hi > ctr.lo && host.hi - host.lo != ctr.hi - ctr.lo)
		return netd_err_set(err, EINVAL,
				    "port spec %s: host range has %u ports, container range %u; "
				    "they must be the same length",
				    qs, host.hi - host.lo + 1, ctr.hi - ctr.lo + 1);
	if (host.lo && host.hi == host.lo && count > 1)
		return netd_err_set(err, EINVAL,
				    "port spec %s: one host port %u for %zu container ports; give "
				    "a host range of the same length or no host port",
				    qs, host.lo, count);
	room = cap - *n;
	if (count > room)
		return netd_err_set(err, EINVAL,
				    "port spec %s: expands to %zu ports, more than the %zu allowed",
				    qs, count, room);

	for (size_t i = 0; i < count; i++) {
		struct netd_port *e = &out[*n + i];

		memset(e, 0, sizeof(*e));
		e->proto = proto;
		e->host_ip = ip;
		e->ctr_port = (uint16_t)(ctr.lo + i);
		if (!host.lo)
			continue; /* host port chosen at publish time */
		/* host_port_max stays 0 unless one port is to be chosen from a host range */
		if (count > 1) {
			e->host_port = (uint16_t)(host.lo + i);
		} else {
			e->host_port = (uint16_t)host.lo;
			if (host.hi > host.lo)
				e->host_port_max = (uint16_t)host.hi;
		}
	}
	*n += count;
	return 0;
}

int netd_port_check_host(const struct netd_ip *ip, struct netd_err *err)
{
	static const struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;

	if (ip->family == AF_INET6 && !memcmp(&ip->v6, &lo6, sizeof(lo6)))
		return netd_err_set(err, EINVAL,
				    "host IP [::1] cannot be published: the kernel does not DNAT "
				    "IPv6 loopback to another interface (IPv6 has no "
				    "route_localnet); publish on [::] or a host address instead");
	if (ip->family && ip->family != AF_INET && ip->family != AF_INET6)
		return netd_err_set(err, EINVAL, "host IP of unknown family %d", ip->family);
	return 0;
}

bool netd_port_hosts_meet(const struct netd_ip *a, const struct netd_ip *b)
{
	if (!a->family || !b->family)
		return true;
	if (a->family != b->family)
		return false;
	return netd_ip_is_zero(a) || netd_ip_is_zero(b) || netd_ip_equal(a, b);
}

void netd_port_host_format(const struct netd_port *p, char *buf, size_t len)
{
	if (!p->host_ip.family)
		snprintf(buf, len, "*");
	else
		netd_ip_format_host(&p->host_ip, buf, len);
}

int netd_port_format(const struct netd_port *p, char *buf, size_t len)
{
	char ip[NETD_HOST_STRLEN];
	char host[16];
	char proto[8];
	const char *pn = netd_proto_name(p->proto);

	netd_port_host_format(p, ip, sizeof(ip));
	if (!p->host_port)
		snprintf(host, sizeof(host), "?");
	else if (p->host_port_max > p->host_port)
		snprintf(host, sizeof(host), "%u-%u", p->host_port, p->host_port_max);
	else
		snprintf(host, sizeof(host), "%u", p->host_port);
	if (pn)
		snprintf(proto, sizeof(proto), "%s", pn);
	else
		snprintf(proto, sizeof(proto), "%u", p->proto);
	return snprintf(buf, len, "%s:%s->%u/%s", ip, host, p->ctr_port, proto);
}

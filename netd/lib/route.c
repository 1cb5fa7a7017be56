/* SPDX-License-Identifier: MIT */
/* Addresses and routes: the container side, the default route's MTU, overlap checks. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netd/addr.h>
#include "explain_priv.h"
#include "link.h"
#include "netconf_priv.h"
#include "nlerr.h"
#include "util.h"

/* The address a route lookup asks about; nothing is ever sent to it. */
#define PUBLIC_PROBE "1.1.1.1"

/* ---- requests ---- */

struct req_ctx {
	netd_nl_obj_fn fn;
	void *arg;
	int perr;
};

static void parsed(struct nl_object *obj, void *arg)
{
	struct req_ctx *c = arg;

	c->fn(obj, c->arg);
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;
	int e = nl_msg_parse(msg, parsed, c);

	if (e < 0 && e != -NLE_MSGTYPE_NOSUPPORT && !c->perr)
		c->perr = e;
	return NL_OK;
}

int netd_nl_request(struct netd_rtnl *r, struct nl_msg *req, netd_nl_obj_fn fn, void *arg)
{
	struct req_ctx ctx = {.fn = fn, .arg = arg};
	struct nl_cb *base = nl_socket_get_cb(r->sk);
	struct nl_cb *cb = base ? nl_cb_clone(base) : NULL;
	bool dump = (nlmsg_hdr(req)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	int nle;

	if (base)
		nl_cb_put(base);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ctx);
	netd_nl_reset(r);
	nle = nl_send_auto(r->sk, req);
	if (nle >= 0)
		nle = nl_recvmsgs(r->sk, cb);
	/* A plain GET is answered by one message, then the ACK we asked for. */
	if (nle >= 0 && !dump)
		nle = nl_wait_for_ack(r->sk);
	nl_cb_put(cb);
	if (nle >= 0)
		nle = ctx.perr;
	return nle < 0 ? nle : 0;
}

/* a as an address of either family; false when it is none (or NULL). */
static bool addr_ip(struct nl_addr *a, struct netd_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (!a)
		return false;
	if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == sizeof(ip->v4))
		memcpy(&ip->v4, nl_addr_get_binary_addr(a), sizeof(ip->v4));
	else if (nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == sizeof(ip->v6))
		memcpy(&ip->v6, nl_addr_get_binary_addr(a), sizeof(ip->v6));
	else
		return false;
	ip->family = nl_addr_get_family(a);
	return true;
}

static bool addr_is(struct nl_addr *a, const struct netd_ip *want)
{
	struct netd_ip ip;

	return addr_ip(a, &ip) && netd_ip_equal(&ip, want);
}

/* RTM_GETROUTE dump of the main table of family (the kernel filters with strict checking on). */
static int dump_main_routes(struct netd_rtnl *r, int family, netd_nl_obj_fn fn, void *arg)
{
	struct rtmsg rtm = {.rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_MAIN};
	cleanup_nl_msg struct nl_msg *req = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);

	if (!req || nlmsg_append(req, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		return -NLE_NOMEM;
	return netd_nl_request(r, req, fn, arg);
}

/* RTM_GETADDR dump of the addresses of family, of one interface when ifindex > 0. */
static int dump_addrs(struct netd_rtnl *r, int family, int ifindex, netd_nl_obj_fn fn, void *arg)
{
	struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family,
				.ifa_index = (unsigned)ifindex};
	cleanup_nl_msg struct nl_msg *req = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);

	if (!req || nlmsg_append(req, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0)
		return -NLE_NOMEM;
	return netd_nl_request(r, req, fn, arg);
}

static bool is_route(struct nl_object *obj)
{
	return strcmp(nl_object_get_type(obj), "route/route") == 0;
}

static bool is_addr(struct nl_object *obj)
{
	return strcmp(nl_object_get_type(obj), "route/addr") == 0;
}

/* ---- the container side ---- */

/* RTM_NEWROUTE dst via gw dev ifindex in the main table of dst's family: replace (what the
 * caller asked for wins), or, exclusive, only when no route to dst is there (-NLE_EXIST). */
static int route_add(struct netd_rtnl *r, int ifindex, const struct netd_prefix *dst,
		     const struct netd_ip *gw, bool exclusive)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	cleanup_nl_addr struct nl_addr *d = netd_nl_ip_addr(&dst->ip, dst->len);
	cleanup_nl_addr struct nl_addr *via = netd_nl_ip_addr(gw, netd_prefix_max(dst));
	int nle;

	if (!rt || !nh || !d || !via) {
		if (nh)
			rtnl_route_nh_free(nh);
		if (rt)
			rtnl_route_put(rt);
		return -NLE_NOMEM;
	}
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(rt, nh); /* rt owns nh from here */
	nle = rtnl_route_set_family(rt, (uint8_t)dst->ip.family);
	if (nle == 0)
		nle = rtnl_route_set_dst(rt, d);
	if (nle == 0) {
		rtnl_route_set_table(rt, RT_TABLE_MAIN);
		rtnl_route_set_type(rt, RTN_UNICAST);
		netd_nl_reset(r);
		nle = rtnl_route_add(r->sk, rt, exclusive ? NLM_F_EXCL : NLM_F_REPLACE);
	}
	rtnl_route_put(rt);
	return nle;
}

/* "default" or "10.1.0.0/16", as ip route writes a destination. */
static void route_dst_text(const struct netd_prefix *dst, char *buf, size_t len)
{
	if (dst->len == 0) {
		snprintf(buf, len, "default");
		return;
	}
	netd_prefix_format(dst, buf, len);
}

/* "ip" or "ip -6" (ipc is "ip ..."): the command for a route or address of family. */
static void ip_cmd_family(const char *ipc, int family, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", ipc, family == AF_INET6 ? " -6" : "");
}

struct any_default {
	int family;
	bool found;
};

static void find_any_default(struct nl_object *obj, void *arg)
{
	struct any_default *f = arg;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst;

	if (!is_route(obj) || rtnl_route_get_family(rt) != f->family ||
	    rtnl_route_get_table(rt) != RT_TABLE_MAIN)
		return;
	dst = rtnl_route_get_dst(rt);
	if (!dst || nl_addr_get_prefixlen(dst) == 0)
		f->found = true;
}

/* dump (of a container's small table): does it have a default route of family? */
static int has_default_route(struct netd_rtnl *r, int family, bool *has)
{
	struct any_default f = {.family = family};
	int nle = -NLE_DUMP_INTR;

	for (int attempt = 0; attempt < 3 && nle == -NLE_DUMP_INTR; attempt++)
		nle = dump_main_routes(r, family, find_any_default, &f);
	*has = f.found;
	return nle;
}

/* The default route of gw's family via gw, added only when the namespace has none of it. */
static int default_if_none(struct netd_rtnl *ns, const char *ipc, int ifindex, const char *ifname,
			   const struct netd_ip *gw, bool *added, struct netd_err *err)
{
	struct netd_prefix any = {.ip = {.family = gw->family}, .len = 0};
	char gws[NETD_IP_STRLEN], ipf[340];
	bool has = false;
	int nle;

	netd_ip_format(gw, gws, sizeof(gws));
	ip_cmd_family(ipc, gw->family, ipf, sizeof(ipf));
	nle = has_default_route(ns, gw->family, &has);
	if (nle < 0)
		return netd_nl_err(err, ns, nle, "list routes");
	if (!has && !netd_dry()) {
		nle = route_add(ns, ifindex, &any, gw, true);
		/* A concurrent attach of another interface got there first: it keeps it. */
		has = nle < 0 && netd_nl_errno(ns, nle) == EEXIST;
		if (nle < 0 && !has)
			return netd_nl_err(err, ns, nle, "default route via %s dev %s: add", gws,
					   ifname);
	}
	if (has) {
		netd_explain("# the namespace has a%s default route already: %s gets none",
			     gw->family == AF_INET6 ? "n IPv6" : "", ifname);
		return 0;
	}
	netd_explain("%s route add default via %s dev %s", ipf, gws, ifname);
	*added = true;
	return 0;
}

/* The routes of cc, then the default routes that are to be added only if there is none. */
static int ctr_routes(struct netd_rtnl *ns, const char *ipc, int ifindex,
		      const struct netd_ctr_conf *cc, struct netd_ctr_defaults *added,
		      struct netd_err *err)
{
	char dst[NETD_PREFIX_STRLEN], gws[NETD_IP_STRLEN], ipf[340];
	int nle, rc;

	for (size_t i = 0; i < cc->n_routes; i++) {
		const struct netd_route *rt = &cc->routes[i];

		route_dst_text(&rt->dst, dst, sizeof(dst));
		netd_ip_format(&rt->gw, gws, sizeof(gws));
		ip_cmd_family(ipc, rt->dst.ip.family, ipf, sizeof(ipf));
		netd_explain("%s route replace %s via %s dev %s", ipf, dst, gws, cc->ifname);
		if (netd_dry())
			continue;
		nle = route_add(ns, ifindex, &rt->dst, &rt->gw, false);
		if (nle < 0)
			return netd_nl_err(err, ns, nle, "%s route via %s dev %s: add", dst, gws,
					   cc->ifname);
	}
	if (cc->default_if_none) {
		struct netd_ip gw = netd_ip_from4(cc->gw);

		rc = default_if_none(ns, ipc, ifindex, cc->ifname, &gw, &added->v4, err);
		if (rc < 0)
			return rc;
	}
	if (cc->default6_if_none) {
		rc = default_if_none(ns, ipc, ifindex, cc->ifname, &cc->gw6, &added->v6, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * net.ipv6.conf of the container's interface, before it comes up. With an IPv6 address:
 * - accept_dad=0 for the link-local address the kernel adds at up (the leased one goes in with
 *   nodad): a tentative address is unusable as a source for a second or more, and the first
 *   packets of the container would go nowhere. The reference bridge and Docker do the same.
 * - router_solicitations=0: the bridge sends no router advertisements (the routes are static),
 *   so nothing answers a solicitation; but the bridge floods each one to every other port, and
 *   with N containers that is N deliveries per solicitation, three of them per ADD in the first
 *   ten seconds and more for hours after. (Its multicast listener reports are flooded the same
 *   way and stay: docs/perf.md.)
 * Without one (an IPv4-only network): IPv6 off on the interface, as Docker does, so it floods
 * nothing at all. An interface without net.ipv6.conf: IPv6 is off in the kernel.
 */
static int ctr_sysctls(const struct netd_ctr_conf *cc, struct netd_err *err)
{
	static const struct netd_if_sysctl v6[] = {{"accept_dad", "0"},
						   {"router_solicitations", "0"}};
	static const struct netd_if_sysctl v4[] = {{"disable_ipv6", "1"}};
	bool has6 = cc->ip6.family == AF_INET6;
	const struct netd_if_sysctl *kv = has6 ? v6 : v4;
	size_t n = has6 ? ARRAY_SIZE(v6) : ARRAY_SIZE(v4);
	int rc;

	if (!netd_dry() && cc->netns_fd >= 0) {
		rc = netd_netns_ip6conf_write(cc->netns_fd, cc->ifname, kv, n, err);
		if (rc == -ENOENT && !has6) {
			netd_err_clear(err);
			return 0;
		}
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n; i++)
		netd_explain("# netd: %s=%s on %s in the namespace (/proc/sys/net/ipv6/conf/%s/%s)",
			     kv[i].key, kv[i].value, cc->ifname, cc->ifname, kv[i].key);
	return 0;
}

/* The IPv6 address without duplicate address detection (ctr_sysctls says why). */
static int ctr_addr6(struct netd_rtnl *ns, const char *ipc, int ifindex,
		     const struct netd_ctr_conf *cc, struct netd_err *err)
{
	char ips[NETD_IP_STRLEN];
	int nle;

	netd_ip_format(&cc->ip6, ips, sizeof(ips));
	if (!netd_dry()) {
		nle = netd_nl_addr_add(ns, ifindex, &cc->ip6, cc->prefix6);
		if (nle < 0 && netd_nl_errno(ns, nle) != EEXIST)
			return netd_nl_err(err, ns, nle, "%s: add address %s/%u", cc->ifname, ips,
					   cc->prefix6);
		if (nle < 0)
			return 0;
	}
	netd_explain("%s -6 addr add %s/%u dev %s nodad", ipc, ips, cc->prefix6, cc->ifname);
	return 0;
}

int netd_ctr_configure(struct netd_rtnl *ns, const struct netd_ctr_conf *cc, int *ifindex,
		       uint8_t mac[6], struct netd_ctr_defaults *added, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	struct netd_link_info info;
	const char *ifname = cc->ifname;
	char ips[INET_ADDRSTRLEN], ipc[320] = "ip";
	int nle, rc;

	memset(added, 0, sizeof(*added));
	rc = netd_nl_check_ifname("container interface", ifname, err);
	if (rc < 0)
		return rc;
	if (cc->prefix > 32)
		return netd_err_set(err, EINVAL, "%s: invalid prefix length %u", ifname,
				    cc->prefix);
	if (cc->ip6.family == AF_INET6 && cc->prefix6 > 128)
		return netd_err_set(err, EINVAL, "%s: invalid IPv6 prefix length %u", ifname,
				    cc->prefix6);
	netd_ip4_format(cc->ip, ips, sizeof(ips));
	if (netd_explain_enabled())
		netd_explain_ip(nl_socket_get_fd(ns->sk), ipc, sizeof(ipc));
	if (netd_dry()) {
		/* The interface does not exist in a dry run: say what would be done. */
		netd_explain("%s link set lo up", ipc);
		rc = ctr_sysctls(cc, err);
		if (rc < 0)
			return rc;
		if (cc->ip.s_addr)
			netd_explain_addr_add(ipc, ifname, cc->ip, cc->prefix);
		if (cc->ip6.family == AF_INET6)
			(void)ctr_addr6(ns, ipc, 0, cc, err);
		netd_explain("%s link set %s up", ipc, ifname);
		if (ifindex)
			*ifindex = 0;
		if (mac)
			memset(mac, 0, 6);
		return ctr_routes(ns, ipc, 0, cc, added, err);
	}

	netd_explain("%s link set lo up", ipc);
	nle = netd_nl_link_modify(ns, 0, "lo", 0, true, NULL);
	if (nle < 0)
		return netd_nl_err(err, ns, nle, "lo: up");
	nle = netd_nl_link_lookup(ns, ifname, &l);
	if (nle < 0) {
		if (netd_nl_errno(ns, nle) == ENODEV)
			return netd_err_set(err, ENODEV, "%s: no such interface in the namespace",
					    ifname);
		return netd_nl_err(err, ns, nle, "%s: get", ifname);
	}
	netd_nl_link_info(l, &info);
	rc = ctr_sysctls(cc, err);
	if (rc < 0)
		return rc;
	if (cc->ip.s_addr) {
		struct netd_ip ip4 = netd_ip_from4(cc->ip);

		nle = netd_nl_addr_add(ns, info.ifindex, &ip4, cc->prefix);
		if (nle < 0 && netd_nl_errno(ns, nle) != EEXIST)
			return netd_nl_err(err, ns, nle, "%s: add address %s/%u", ifname, ips,
					   cc->prefix);
		if (nle == 0)
			netd_explain_addr_add(ipc, ifname, cc->ip, cc->prefix);
	}
	if (cc->ip6.family == AF_INET6) {
		rc = ctr_addr6(ns, ipc, info.ifindex, cc, err);
		if (rc < 0)
			return rc;
	}
	netd_explain("%s link set %s up", ipc, ifname);
	nle = netd_nl_link_modify(ns, info.ifindex, NULL, 0, true, NULL);
	if (nle < 0)
		return netd_nl_err(err, ns, nle, "%s: up", ifname);
	rc = ctr_routes(ns, ipc, info.ifindex, cc, added, err);
	if (rc < 0)
		return rc;
	if (ifindex)
		*ifindex = info.ifindex;
	if (mac)
		memcpy(mac, info.mac, sizeof(info.mac));
	return 0;
}

struct addr_find {
	int ifindex;
	struct netd_ip ip;
	unsigned prefix;
	bool found, tentative;
};

static void find_addr(struct nl_object *obj, void *arg)
{
	struct addr_find *f = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;

	if (!is_addr(obj) || rtnl_addr_get_family(a) != f->ip.family ||
	    rtnl_addr_get_ifindex(a) != f->ifindex)
		return;
	if (addr_is(rtnl_addr_get_local(a), &f->ip) &&
	    rtnl_addr_get_prefixlen(a) == (int)f->prefix) {
		f->found = true;
		f->tentative = (rtnl_addr_get_flags(a) & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) != 0;
	}
}

struct route_find {
	struct netd_prefix dst;
	struct netd_ip gw;
	bool found;
};

static void find_route_via(struct nl_object *obj, void *arg)
{
	struct route_find *f = arg;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst;
	struct netd_ip d;
	unsigned plen;

	if (!is_route(obj) || rtnl_route_get_family(rt) != f->dst.ip.family ||
	    rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST)
		return;
	dst = rtnl_route_get_dst(rt);
	plen = dst ? (unsigned)nl_addr_get_prefixlen(dst) : 0;
	if (plen != f->dst.len || (plen && (!addr_ip(dst, &d) || !netd_ip_equal(&d, &f->dst.ip))))
		return;
	for (int i = 0; i < rtnl_route_get_nnexthops(rt); i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, i);
		if (nh && addr_is(rtnl_route_nh_get_gateway(nh), &f->gw))
			f->found = true;
	}
}

/* ip/prefix on ifindex, not tentative (an IPv6 address still in DAD cannot be used). */
static int check_addr(struct netd_rtnl *ns, const char *ifname, int ifindex,
		      const struct netd_ip *ip, unsigned prefix, struct netd_err *err)
{
	struct addr_find af = {.ifindex = ifindex, .ip = *ip, .prefix = prefix};
	char ips[NETD_IP_STRLEN];
	int nle;

	netd_ip_format(ip, ips, sizeof(ips));
	nle = dump_addrs(ns, ip->family, ifindex, find_addr, &af);
	if (nle < 0)
		return netd_nl_err(err, ns, nle, "%s: list addresses", ifname);
	if (!af.found)
		return netd_err_set(err, ENOENT, "%s: address %s/%u missing", ifname, ips, prefix);
	if (af.tentative)
		return netd_err_set(err, EADDRNOTAVAIL,
				    "%s: address %s/%u is tentative or failed duplicate address "
				    "detection",
				    ifname, ips, prefix);
	return 0;
}

int netd_ctr_check(struct netd_rtnl *ns, const struct netd_ctr_conf *cc, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	const char *ifname = cc->ifname;
	char gws[NETD_IP_STRLEN], dst[NETD_PREFIX_STRLEN];
	int nle, rc, ifindex;

	rc = netd_nl_check_ifname("container interface", ifname, err);
	if (rc < 0)
		return rc;
	nle = netd_nl_link_lookup(ns, ifname, &l);
	if (nle < 0) {
		if (netd_nl_errno(ns, nle) == ENODEV)
			return netd_err_set(err, ENODEV, "%s: no such interface in the namespace",
					    ifname);
		return netd_nl_err(err, ns, nle, "%s: get", ifname);
	}
	ifindex = rtnl_link_get_ifindex(l);
	if (cc->ip.s_addr) {
		struct netd_ip ip = netd_ip_from4(cc->ip);

		rc = check_addr(ns, ifname, ifindex, &ip, cc->prefix, err);
		if (rc < 0)
			return rc;
	}
	if (cc->ip6.family == AF_INET6) {
		rc = check_addr(ns, ifname, ifindex, &cc->ip6, cc->prefix6, err);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < cc->n_routes; i++) {
		struct route_find f = {.dst = cc->routes[i].dst, .gw = cc->routes[i].gw};

		nle = dump_main_routes(ns, f.dst.ip.family, find_route_via, &f);
		if (nle < 0)
			return netd_nl_err(err, ns, nle, "list routes");
		if (!f.found) {
			route_dst_text(&f.dst, dst, sizeof(dst));
			netd_ip_format(&f.gw, gws, sizeof(gws));
			return netd_err_set(
			    err, ENOENT, "no %s%s route via %s", dst,
			    f.dst.len == 0 && f.dst.ip.family == AF_INET6 ? " (IPv6)" : "", gws);
		}
	}
	return 0;
}

/* ---- host side: default MTU, overlaps ---- */

struct route_pick {
	int oif;
	uint32_t mtu;
	bool got;
};

static void pick_route(struct nl_object *obj, void *arg)
{
	struct route_pick *p = arg;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct rtnl_nexthop *nh;

	if (!is_route(obj) || p->got)
		return;
	p->got = true;
	nh = rtnl_route_get_nnexthops(rt) > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;
	p->oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	if (rtnl_route_get_metric(rt, RTAX_MTU, &p->mtu) < 0)
		p->mtu = 0;
}

int netd_route_default_mtu(struct netd_rtnl *r, unsigned *mtu, struct netd_err *err)
{
	struct rtmsg rtm = {.rtm_family = AF_INET, .rtm_dst_len = 32};
	struct route_pick p = {0};
	cleanup_nl_msg struct nl_msg *req = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	cleanup_nl_link struct rtnl_link *l = NULL;
	struct in_addr probe;
	unsigned link_mtu;
	int nle, code;

	if (netd_ip4_parse(PUBLIC_PROBE, &probe, err) < 0)
		return netd_err_prefix(err, "default route: probe address");
	if (!req || nlmsg_append(req, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(req, RTA_DST, sizeof(probe), &probe) < 0)
		return netd_err_set(err, ENOMEM, "default route: lookup: out of memory");
	/* "ip route get": a lookup in the FIB, no packet leaves. */
	nle = netd_nl_request(r, req, pick_route, &p);
	if (nle < 0) {
		code = netd_nl_errno(r, nle);
		if (code == ENETUNREACH || code == EHOSTUNREACH) {
			*mtu = 1500;
			return 0;
		}
		return netd_nl_err(err, r, nle, "default route: lookup " PUBLIC_PROBE);
	}
	if (!p.got || p.oif <= 0) {
		*mtu = 1500;
		return 0;
	}
	netd_nl_reset(r);
	nle = rtnl_link_get_kernel(r->sk, p.oif, NULL, &l);
	if (nle < 0)
		return netd_nl_err(err, r, nle, "default route: link %d", p.oif);
	link_mtu = rtnl_link_get_mtu(l);
	if (p.mtu && (!link_mtu || p.mtu < link_mtu))
		link_mtu = p.mtu;
	*mtu = link_mtu ? link_mtu : 1500;
	return 0;
}

struct overlap_ctx {
	struct netd_prefix net;
	bool hit;
};

/* Whether c's subnet shares an address with a/plen. */
static bool overlaps(const struct overlap_ctx *c, struct nl_addr *a, unsigned plen)
{
	struct netd_prefix p = {.len = plen};

	return addr_ip(a, &p.ip) && netd_prefix_overlap(&c->net, &p);
}

static void overlap_route(struct nl_object *obj, void *arg)
{
	struct overlap_ctx *c = arg;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst;
	int plen;

	if (!is_route(obj) || rtnl_route_get_family(rt) != c->net.ip.family ||
	    rtnl_route_get_table(rt) != RT_TABLE_MAIN)
		return;
	dst = rtnl_route_get_dst(rt);
	plen = dst ? nl_addr_get_prefixlen(dst) : 0;
	/* The default route covers everything and so overlaps nothing in particular. */
	if (plen <= 0 || (unsigned)plen > netd_prefix_max(&c->net))
		return;
	if (overlaps(c, dst, (unsigned)plen))
		c->hit = true;
}

static void overlap_addr(struct nl_object *obj, void *arg)
{
	struct overlap_ctx *c = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	int plen;

	if (!is_addr(obj) || rtnl_addr_get_family(a) != c->net.ip.family)
		return;
	plen = rtnl_addr_get_prefixlen(a);
	if (plen < 0 || (unsigned)plen > netd_prefix_max(&c->net))
		return;
	/* A /0 address is as meaningless as a default route here: only its own host route counts.
	 */
	if (overlaps(c, rtnl_addr_get_local(a), plen ? (unsigned)plen : netd_prefix_max(&c->net)))
		c->hit = true;
}

int netd_route_overlaps(struct netd_rtnl *r, const struct netd_prefix *net, bool *overlap,
			struct netd_err *err)
{
	struct overlap_ctx c = {.net = *net};
	char nets[NETD_PREFIX_STRLEN];
	int nle;

	netd_prefix_format(net, nets, sizeof(nets));
	if ((net->ip.family != AF_INET && net->ip.family != AF_INET6) ||
	    net->len > netd_prefix_max(net))
		return netd_err_set(err, EINVAL, "subnet %s: invalid prefix", nets);
	for (int attempt = 0; attempt < 3; attempt++) {
		nle = dump_main_routes(r, net->ip.family, overlap_route, &c);
		if (nle != -NLE_DUMP_INTR)
			break;
	}
	if (nle < 0)
		return netd_nl_err(err, r, nle, "subnet %s: list routes", nets);
	for (int attempt = 0; !c.hit && attempt < 3; attempt++) {
		nle = dump_addrs(r, net->ip.family, 0, overlap_addr, &c);
		if (nle != -NLE_DUMP_INTR)
			break;
	}
	if (nle < 0)
		return netd_nl_err(err, r, nle, "subnet %s: list addresses", nets);
	*overlap = c.hit;
	return 0;
}

struct local_pick {
	bool got, local;
};

static void pick_local(struct nl_object *obj, void *arg)
{
	struct local_pick *p = arg;

	if (!is_route(obj) || p->got)
		return;
	p->got = true;
	p->local = rtnl_route_get_type((struct rtnl_route *)obj) == RTN_LOCAL;
}

int netd_route_is_local(struct netd_rtnl *r, const struct netd_ip *ip, bool *local,
			struct netd_err *err)
{
	bool v6 = ip->family == AF_INET6;
	struct rtmsg rtm = {.rtm_family = v6 ? AF_INET6 : AF_INET, .rtm_dst_len = v6 ? 128 : 32};
	struct local_pick p = {0};
	cleanup_nl_msg struct nl_msg *req = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	char a[NETD_IP_STRLEN];
	int nle, code;

	netd_ip_format(ip, a, sizeof(a));
	if (!req || nlmsg_append(req, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(req, RTA_DST, v6 ? 16 : 4, v6 ? (const void *)&ip->v6 : (const void *)&ip->v4) <
		0)
		return netd_err_set(err, ENOMEM, "address %s: lookup: out of memory", a);
	/* "ip route get A": the FIB says local when A is one of this host's addresses. */
	nle = netd_nl_request(r, req, pick_local, &p);
	if (nle < 0) {
		code = netd_nl_errno(r, nle);
		if (code == ENETUNREACH || code == EHOSTUNREACH) {
			*local = false;
			return 0;
		}
		return netd_nl_err(err, r, nle, "address %s: route lookup", a);
	}
	*local = p.got && p.local;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Links through libnl-route-3: lookups by name, the bridge, the veth straight into a netns. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <linux/if_link.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/rtnl.h>
#include <netd/addr.h>
#include <netd/names.h>
#include "explain_priv.h"
#include "link.h"
#include "nlerr.h"
#include "util.h"

/* ---- helpers shared with route.c (declared in nlerr.h) ---- */

int netd_nl_check_ifname(const char *what, const char *name, struct netd_err *err)
{
	if (netd_name_check_ifname(name, err) < 0)
		return netd_err_prefix(err, "%s", what);
	return 0;
}

int netd_nl_link_lookup(struct netd_rtnl *r, const char *name, struct rtnl_link **out)
{
	netd_nl_reset(r);
	return rtnl_link_get_kernel(r->sk, 0, name, out);
}

int netd_nl_link_modify(struct netd_rtnl *r, int ifindex, const char *name, unsigned mtu, bool up,
			const char *alias)
{
	cleanup_nl_link struct rtnl_link *orig = rtnl_link_alloc();
	cleanup_nl_link struct rtnl_link *ch = rtnl_link_alloc();

	if (!orig || !ch)
		return -NLE_NOMEM;
	if (ifindex > 0)
		rtnl_link_set_ifindex(orig, ifindex);
	else
		rtnl_link_set_name(ch, name); /* ifi_index 0: the kernel finds it by name */
	if (mtu)
		rtnl_link_set_mtu(ch, mtu);
	if (up)
		rtnl_link_set_flags(ch, IFF_UP);
	if (alias)
		rtnl_link_set_ifalias(ch, alias);
	netd_nl_reset(r);
	return rtnl_link_change(r->sk, orig, ch, 0);
}

struct nl_addr *netd_nl_ip_addr(const struct netd_ip *ip, unsigned prefix)
{
	struct nl_addr *a = ip->family == AF_INET6
				? nl_addr_build(AF_INET6, &ip->v6, sizeof(ip->v6))
				: nl_addr_build(AF_INET, &ip->v4, sizeof(ip->v4));

	if (a)
		nl_addr_set_prefixlen(a, (int)prefix);
	return a;
}

int netd_nl_addr_add(struct netd_rtnl *r, int ifindex, const struct netd_ip *ip, unsigned prefix)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	cleanup_nl_addr struct nl_addr *local = netd_nl_ip_addr(ip, prefix);
	cleanup_nl_addr struct nl_addr *brd = NULL;
	int nle;

	if (!a || !local) {
		if (a)
			rtnl_addr_put(a);
		return -NLE_NOMEM;
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, ip->family);
	nle = rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, (int)prefix);
	if (ip->family == AF_INET6) {
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	} else if (nle == 0 && prefix < 31) {
		struct netd_ip b =
		    netd_ip_from4((struct in_addr){.s_addr = ip->v4.s_addr | htonl(~0u >> prefix)});

		brd = netd_nl_ip_addr(&b, 32);
		nle = brd ? rtnl_addr_set_broadcast(a, brd) : -NLE_NOMEM;
	}
	if (nle == 0) {
		netd_nl_reset(r);
		nle = rtnl_addr_add(r->sk, a, NLM_F_EXCL);
	}
	rtnl_addr_put(a);
	return nle;
}

void netd_nl_link_info(struct rtnl_link *l, struct netd_link_info *info)
{
	struct nl_addr *mac = rtnl_link_get_addr(l);
	const char *kind = rtnl_link_get_type(l);
	const char *alias = rtnl_link_get_ifalias(l);

	memset(info, 0, sizeof(*info));
	info->ifindex = rtnl_link_get_ifindex(l);
	info->mtu = rtnl_link_get_mtu(l);
	info->up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
	info->master = rtnl_link_get_master(l);
	if (mac && nl_addr_get_len(mac) == sizeof(info->mac))
		memcpy(info->mac, nl_addr_get_binary_addr(mac), sizeof(info->mac));
	snprintf(info->kind, sizeof(info->kind), "%s", kind ? kind : "");
	snprintf(info->alias, sizeof(info->alias), "%s", alias ? alias : "");
}

/* ---- links ---- */

int netd_link_get(struct netd_rtnl *r, const char *name, struct netd_link_info *info,
		  struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	int nle, rc;

	rc = netd_nl_check_ifname("link", name, err);
	if (rc < 0)
		return rc;
	nle = netd_nl_link_lookup(r, name, &l);
	if (nle < 0) {
		if (netd_nl_errno(r, nle) == ENODEV)
			return netd_err_set(err, ENODEV, "link %s: does not exist", name);
		return netd_nl_err(err, r, nle, "link %s: get", name);
	}
	netd_nl_link_info(l, info);
	return 0;
}

/* A link already gone counts as deleted, in the explained command too. */
static void explain_link_del(const char *name)
{
	netd_explain("ip link del %s 2>/dev/null || true", name);
}

int netd_link_del(struct netd_rtnl *r, const char *name, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	int nle, rc;

	rc = netd_nl_check_ifname("link", name, err);
	if (rc < 0)
		return rc;
	l = rtnl_link_alloc();
	if (!l)
		return netd_err_set(err, ENOMEM, "link %s: delete: out of memory", name);
	rtnl_link_set_name(l, name);
	if (netd_dry()) {
		cleanup_nl_link struct rtnl_link *cur = NULL;
		if (netd_nl_link_lookup(r, name, &cur) == 0)
			explain_link_del(name);
		return 0;
	}
	netd_nl_reset(r);
	nle = rtnl_link_delete(r->sk, l);
	if (nle < 0 && netd_nl_errno(r, nle) != ENODEV)
		return netd_nl_err(err, r, nle, "link %s: delete", name);
	if (nle == 0)
		explain_link_del(name);
	return 0;
}

int netd_link_set_down(struct netd_rtnl *r, const char *name, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *orig = rtnl_link_alloc();
	cleanup_nl_link struct rtnl_link *ch = rtnl_link_alloc();
	int nle, rc;

	rc = netd_nl_check_ifname("link", name, err);
	if (rc < 0)
		return rc;
	if (!orig || !ch)
		return netd_err_set(err, ENOMEM, "link %s: down: out of memory", name);
	rtnl_link_set_name(ch, name);
	rtnl_link_unset_flags(ch, IFF_UP);
	netd_nl_reset(r);
	nle = rtnl_link_change(r->sk, orig, ch, 0);
	if (nle < 0)
		return netd_nl_err(err, r, nle, "link %s: down", name);
	return 0;
}

/* Best-effort delete on an error path: the first error is the one reported. */
static void undo_del(struct netd_rtnl *r, const char *name)
{
	struct netd_err ignored;
	int rc = netd_link_del(r, name, &ignored);

	(void)rc;
}

/* ---- bridge ---- */

/* net.ipv6.conf.IFNAME.KEY=value on the host; no such directory: IPv6 is off, nothing to do. */
static int ip6conf_set(const char *ifname, const char *key, const char *value, struct netd_err *err)
{
	char path[PATH_MAX];
	int rc;

	rc = netd_path_fmt(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	if (rc < 0)
		return netd_err_set(err, -rc, "sysctl %s: path too long", key);
	if (access(path, F_OK) == 0 || netd_dry())
		return netd_sysctl_write(path, value, err);
	return 0;
}

/*
 * route_localnet: localhost publishing (127.0.0.1:PORT DNATed to a container) sends
 * 127.0.0.1-sourced packets out of the bridge and gets their replies back to 127.0.0.1; without
 * it the kernel drops both as martians. Table ip netd's guard chain (nat.c) drops every other
 * packet to or from 127/8 that does not come in on lo.
 */
static int bridge_sysctls(const char *name, struct netd_err *err)
{
	static const char *const keys[] = {"route_localnet", "arp_notify"};
	char path[PATH_MAX];
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		rc = netd_path_fmt(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", name,
				   keys[i]);
		if (rc < 0)
			return netd_err_set(err, -rc, "sysctl %s: path too long", keys[i]);
		rc = netd_sysctl_write(path, "1", err);
		if (rc < 0)
			return rc;
	}
	/*
	 * accept_dad=0 before the first port gives the bridge carrier, when the kernel adds its
	 * link-local address: the neighbour solicitation for a forwarded packet (published port,
	 * from outside) needs a link-local source that is not tentative, and is not sent at all
	 * until then, so the first connection to a container in the second after the bridge came
	 * up lost its SYN.
	 */
	return ip6conf_set(name, "accept_dad", "0", err);
}

/* Turns a forwarding sysctl on; *switched_on when this call did (a dry run only says it would). */
static int forward_on(const char *path, bool *switched_on, struct netd_err *err)
{
	char cur[16];
	int rc;

	*switched_on = false;
	rc = netd_sysctl_read(path, cur, sizeof(cur), err);
	if (rc < 0 || strcmp(cur, "1") == 0)
		return rc;
	rc = netd_sysctl_write(path, "1", err);
	if (rc == 0 && !netd_dry())
		*switched_on = true;
	return rc;
}

int netd_ip_forward_on(bool *switched_on, struct netd_err *err)
{
	return forward_on("/proc/sys/net/ipv4/ip_forward", switched_on, err);
}

int netd_ip6_forward_on(bool *switched_on, struct netd_err *err)
{
	return forward_on("/proc/sys/net/ipv6/conf/all/forwarding", switched_on, err);
}

int netd_bridge_addr6(struct netd_rtnl *r, const char *name, int ifindex, const struct netd_ip *gw6,
		      unsigned prefix6, struct netd_err *err)
{
	char ip[NETD_IP_STRLEN];
	int nle = 0;

	netd_ip_format(gw6, ip, sizeof(ip));
	/* As on the container side: a bridge without ports has no carrier, and DAD would hold
	 * the gateway address tentative until the first port comes up. The address is the
	 * network's by definition. */
	if (!netd_dry()) {
		nle = netd_nl_addr_add(r, ifindex, gw6, prefix6);
		if (nle < 0 && netd_nl_errno(r, nle) != EEXIST)
			return netd_nl_err(err, r, nle, "bridge %s: add address %s/%u", name, ip,
					   prefix6);
	}
	if (nle == 0)
		netd_explain("ip -6 addr add %s/%u dev %s nodad", ip, prefix6, name);
	return 0;
}

/* Everything after the bridge exists: kind check, sysctls, mtu, up, address. */
static int bridge_setup(struct netd_rtnl *r, const char *name, struct in_addr gw, unsigned prefix,
			unsigned mtu, struct rtnl_link *found, int *ifindex, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *got = NULL;
	struct rtnl_link *l = found;
	const char *kind;
	char ip[INET_ADDRSTRLEN];
	int nle, rc;

	if (!l) {
		nle = netd_nl_link_lookup(r, name, &got);
		if (nle < 0)
			return netd_nl_err(err, r, nle, "bridge %s: get", name);
		l = got;
	}
	kind = rtnl_link_get_type(l);
	if (!kind || strcmp(kind, "bridge") != 0)
		return netd_err_set(err, EEXIST, "bridge %s: exists and is not a bridge (kind %s)",
				    name, kind && *kind ? kind : "none");
	*ifindex = rtnl_link_get_ifindex(l);
	/* Before up: accept_dad must be 0 when a new bridge makes its link-local address. */
	rc = bridge_sysctls(name, err);
	if (rc < 0)
		return netd_err_prefix(err, "bridge %s", name);
	if ((mtu && rtnl_link_get_mtu(l) != mtu) || !(rtnl_link_get_flags(l) & IFF_UP)) {
		unsigned set_mtu = rtnl_link_get_mtu(l) != mtu ? mtu : 0;

		if (set_mtu)
			netd_explain("ip link set %s mtu %u up", name, set_mtu);
		else
			netd_explain("ip link set %s up", name);
		nle = netd_dry() ? 0 : netd_nl_link_modify(r, *ifindex, NULL, set_mtu, true, NULL);
		if (nle < 0)
			return netd_nl_err(err, r, nle, "bridge %s: set mtu %u and up", name, mtu);
	}
	/* A dry run does not list addresses: an existing bridge is taken to have its own. */
	if (gw.s_addr != INADDR_ANY && !netd_dry()) {
		struct netd_ip gw_ip = netd_ip_from4(gw);

		nle = netd_nl_addr_add(r, *ifindex, &gw_ip, prefix);
		if (nle < 0 && netd_nl_errno(r, nle) != EEXIST) {
			netd_ip4_format(gw, ip, sizeof(ip));
			return netd_nl_err(err, r, nle, "bridge %s: add address %s/%u", name, ip,
					   prefix);
		}
		if (nle == 0)
			netd_explain_addr_add("ip", name, gw, prefix);
	}
	return 0;
}

static void explain_bridge_add(const char *name, unsigned mtu)
{
	if (mtu)
		netd_explain("ip link add %s mtu %u type bridge", name, mtu);
	else
		netd_explain("ip link add %s type bridge", name);
}

/* Dry run, no such bridge: what creating and setting it up would do. */
static int bridge_dry_create(const char *name, struct in_addr gw, unsigned prefix, unsigned mtu,
			     int *ifindex, bool *created, struct netd_err *err)
{
	int rc;

	explain_bridge_add(name, mtu);
	rc = bridge_sysctls(name, err);
	if (rc < 0)
		return netd_err_prefix(err, "bridge %s", name);
	netd_explain("ip link set %s up", name);
	if (gw.s_addr != INADDR_ANY)
		netd_explain_addr_add("ip", name, gw, prefix);
	*ifindex = netd_explain_fake_ifindex(name);
	if (created)
		*created = true;
	return 0;
}

int netd_bridge_ensure(struct netd_rtnl *r, const char *name, struct in_addr gw, unsigned prefix,
		       unsigned mtu, int *ifindex, bool *created, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	cleanup_nl_link struct rtnl_link *cur = NULL;
	bool made = false;
	int nle, rc;

	rc = netd_nl_check_ifname("bridge", name, err);
	if (rc < 0)
		return rc;
	if (prefix > 32)
		return netd_err_set(err, EINVAL, "bridge %s: invalid prefix length %u", name,
				    prefix);
	/*
	 * The common case, the bridge is there: one GETLINK, which bridge_setup needs anyway,
	 * instead of a create the kernel refuses first.
	 */
	if (netd_nl_link_lookup(r, name, &cur) == 0) {
		rc = bridge_setup(r, name, gw, prefix, mtu, cur, ifindex, err);
		if (rc == 0 && created)
			*created = false;
		return rc;
	}
	if (netd_dry())
		return bridge_dry_create(name, gw, prefix, mtu, ifindex, created, err);
	l = rtnl_link_alloc();
	if (!l)
		return netd_err_set(err, ENOMEM, "bridge %s: create: out of memory", name);
	nle = rtnl_link_set_type(l, "bridge");
	if (nle == 0) {
		rtnl_link_set_name(l, name);
		if (mtu)
			rtnl_link_set_mtu(l, mtu);
		/* down: bridge_setup writes its sysctls, then sets it up */
		netd_nl_reset(r);
		nle = netd_dry() ? -NLE_EXIST : rtnl_link_add(r->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (nle == 0) {
		made = true;
		explain_bridge_add(name, mtu);
	} else if (netd_nl_errno(r, nle) != EEXIST) {
		return netd_nl_err(err, r, nle, "bridge %s: create", name);
	}

	rc = bridge_setup(r, name, gw, prefix, mtu, NULL, ifindex, err);
	if (rc < 0) {
		/* Leave the host as it was: a bridge this call made goes again. */
		if (made)
			undo_del(r, name);
		return rc;
	}
	if (created)
		*created = made;
	return 0;
}

/* ---- veth ---- */

/* The netns for messages: the path it was opened by, or "net:[4026532xxx]". */
static void describe_netns(int fd, char *buf, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, len - 1);
	if (n > 0)
		buf[n] = '\0';
	else
		snprintf(buf, len, "netns fd %d", fd);
}

/*
 * One RTM_NEWLINK change of the new host end: its alias (the kernel ignores IFLA_IFALIAS when it
 * creates a link) and, as a bridge port, hairpin mode, so a container reaches its own published
 * port through the host address even when br_netfilter DNATs on the bridge path; and port
 * isolation (icc=no: an isolated port forwards to non-isolated ports only, i.e. the bridge
 * itself, so containers of the network cannot reach each other but the host still routes for
 * them). The flags live on the port: they go with the veth.
 */
static int port_setup(struct netd_rtnl *r, int ifindex, const char *alias, bool hairpin,
		      bool isolated)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	struct nlattr *info, *data;

	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (alias && nla_put_string(msg, IFLA_IFALIAS, alias) < 0))
		goto nomem;
	if (hairpin) {
		info = nla_nest_start(msg, IFLA_LINKINFO);
		if (!info || nla_put_string(msg, IFLA_INFO_SLAVE_KIND, "bridge") < 0)
			goto nomem;
		data = nla_nest_start(msg, IFLA_INFO_SLAVE_DATA);
		if (!data || nla_put_u8(msg, IFLA_BRPORT_MODE, 1) < 0 ||
		    (isolated && nla_put_u8(msg, IFLA_BRPORT_ISOLATED, 1) < 0))
			goto nomem;
		nla_nest_end(msg, data);
		nla_nest_end(msg, info);
	}
	netd_nl_reset(r);
	return nl_send_sync(r->sk, msg); /* frees msg */
nomem:
	nlmsg_free(msg);
	return -NLE_NOMEM;
}

static void explain_port_setup(const char *host_name, const char *alias, bool bridge_port,
			       bool isolated)
{
	char q[300];

	if (alias && *alias)
		netd_explain("ip link set %s alias %s", host_name,
			     netd_explain_quote(alias, q, sizeof(q)));
	if (bridge_port)
		netd_explain("ip link set %s type bridge_slave hairpin on%s", host_name,
			     isolated ? " isolated on" : "");
}

/* The RTM_NEWLINK of netd_veth_create_in_ns as one ip command. */
static void explain_veth_add(const char *host_name, const char *peer_name, int netns_fd,
			     unsigned mtu, const uint8_t *mac, int master_ifindex)
{
	char ns[300], master[IFNAMSIZ + 8] = "", mtus[24] = "", macs[40] = "";
	char br[IFNAMSIZ];

	if (!netd_explain_enabled())
		return;
	netd_explain_netns_arg(netns_fd, ns, sizeof(ns));
	if (master_ifindex > 0) {
		netd_explain_ifname(master_ifindex, br, sizeof(br));
		snprintf(master, sizeof(master), " master %s", br);
	}
	if (mtu)
		snprintf(mtus, sizeof(mtus), " mtu %u", mtu);
	if (mac) {
		char m[NETD_MAC_STRLEN];

		snprintf(macs, sizeof(macs), " address %s", netd_mac_format(mac, m, sizeof(m)));
	}
	netd_explain("ip link add %s%s%s up type veth peer name %s netns %s%s%s", host_name, mtus,
		     master, peer_name, ns, mtus, macs);
}

struct link_echo {
	const char *name;
	int ifindex;
	bool acked;
};

/* The kernel's echo of our RTM_NEWLINK: the link of that name is the one we made. */
static int link_echo_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct link_echo *e = arg;
	struct nlattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type == RTM_NEWLINK &&
	    nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) == 0 && tb[IFLA_IFNAME] &&
	    strcmp(nla_get_string(tb[IFLA_IFNAME]), e->name) == 0)
		e->ifindex = ((struct ifinfomsg *)nlmsg_data(h))->ifi_index;
	return NL_OK;
}

static int link_ack_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct link_echo *)arg)->acked = true;
	return NL_STOP;
}

/*
 * rtnl_link_add with NLM_F_ECHO: the new link's ifindex comes with the answer, so no GETLINK
 * after the create (Linux >= 6.3 echoes a created link; older kernels leave *ifindex 0). The
 * echo and the ACK arrive as two datagrams: read until the ACK (or an error).
 */
static int link_add_echo(struct netd_rtnl *r, struct rtnl_link *l, const char *name, int flags,
			 int *ifindex)
{
	struct link_echo e = {.name = name};
	struct nl_cb *base = nl_socket_get_cb(r->sk);
	struct nl_cb *cb = base ? nl_cb_clone(base) : NULL;
	struct nl_msg *msg = NULL;
	int nle;

	*ifindex = 0;
	if (base)
		nl_cb_put(base);
	if (!cb)
		return -NLE_NOMEM;
	nle = rtnl_link_build_add_request(l, flags | NLM_F_ECHO, &msg);
	if (nle < 0) {
		nl_cb_put(cb);
		return nle;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, link_echo_cb, &e);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, link_ack_cb, &e);
	nle = nl_send_auto(r->sk, msg);
	nlmsg_free(msg);
	/* Bounded: the echo and the ACK, one datagram per call. */
	for (int i = 0; nle >= 0 && !e.acked && i < 8; i++)
		nle = nl_recvmsgs(r->sk, cb);
	nl_cb_put(cb);
	if (nle < 0)
		return nle;
	if (!e.acked)
		return -NLE_PROTO_MISMATCH;
	*ifindex = e.ifindex;
	return 0;
}

/*
 * A bridge port carries frames, not addresses: IPv6 off on the host end before the container end
 * brings its carrier up, when the kernel would give it a link-local address, a fe80::/64 and a
 * ff00::/8 route. Those routes are per port: with N ports every IPv6 packet the host routes
 * (each router solicitation and listener report a container floods) scans N siblings of the same
 * prefix, and every link removal walks a fib of N*3 routes, all under the locks the next ADD or
 * DEL waits for (docs/perf.md, "Fifth round").
 */
static int port_no_ipv6(const char *host_name, struct netd_err *err)
{
	return ip6conf_set(host_name, "disable_ipv6", "1", err);
}

/* After the RTM_NEWLINK: the host end's ifindex (unless echoed), alias, hairpin, isolation. */
static int veth_finish(struct netd_rtnl *r, const char *host_name, int ifindex, const char *alias,
		       bool bridge_port, bool isolated, int *host_ifindex, struct netd_err *err)
{
	int nle, rc;

	if (ifindex <= 0) {
		cleanup_nl_link struct rtnl_link *l = NULL;

		nle = netd_nl_link_lookup(r, host_name, &l);
		if (nle < 0)
			return netd_nl_err(err, r, nle, "veth %s: get after create", host_name);
		ifindex = rtnl_link_get_ifindex(l);
	}
	if ((alias && *alias) || bridge_port) {
		nle = port_setup(r, ifindex, alias && *alias ? alias : NULL, bridge_port, isolated);
		if (nle < 0)
			return netd_nl_err(err, r, nle, "veth %s: set alias and %s", host_name,
					   isolated ? "hairpin mode, port isolation"
						    : "hairpin mode");
		explain_port_setup(host_name, alias, bridge_port, isolated);
	}
	if (bridge_port) {
		rc = port_no_ipv6(host_name, err);
		if (rc < 0)
			return rc;
	}
	if (host_ifindex)
		*host_ifindex = ifindex;
	return 0;
}

int netd_veth_create_in_ns(struct netd_rtnl *r, const char *host_name, const char *peer_name,
			   int netns_fd, unsigned mtu, const uint8_t *mac, int master_ifindex,
			   bool isolated, const char *alias, int *host_ifindex,
			   struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *veth = NULL;
	cleanup_nl_link struct rtnl_link *peer = NULL;
	cleanup_nl_link struct rtnl_link *got = NULL;
	cleanup_nl_addr struct nl_addr *lladdr = NULL;
	char ns[64];
	int nle, rc, ifindex;

	rc = netd_nl_check_ifname("veth", host_name, err);
	if (rc == 0)
		rc = netd_nl_check_ifname("veth peer", peer_name, err);
	if (rc < 0)
		return rc;
	describe_netns(netns_fd, ns, sizeof(ns));

	veth = rtnl_link_veth_alloc();
	if (!veth)
		return netd_err_set(err, ENOMEM, "veth %s: out of memory", host_name);
	peer = rtnl_link_veth_get_peer(veth);
	if (mac) {
		lladdr = nl_addr_build(AF_LLC, mac, 6);
		if (!lladdr)
			return netd_err_set(err, ENOMEM, "veth %s: out of memory", host_name);
		rtnl_link_set_addr(peer, lladdr);
	}
	rtnl_link_set_name(veth, host_name);
	if (mtu)
		rtnl_link_set_mtu(veth, mtu);
	if (master_ifindex > 0)
		rtnl_link_set_master(veth, master_ifindex);
	rtnl_link_set_flags(veth, IFF_UP);
	/* The peer is born in the container's namespace: no temporary name on the host. */
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, netns_fd);
	if (mtu)
		rtnl_link_set_mtu(peer, mtu);

	if (netd_dry()) {
		/* Nothing to look up afterwards: say what would be made and stop here. */
		explain_veth_add(host_name, peer_name, netns_fd, mtu, mac, master_ifindex);
		explain_port_setup(host_name, alias, master_ifindex > 0, isolated);
		if (host_ifindex)
			*host_ifindex = 0;
		return master_ifindex > 0 ? port_no_ipv6(host_name, err) : 0;
	}
	netd_nl_reset(r);
	nle = link_add_echo(r, veth, host_name, NLM_F_CREATE | NLM_F_EXCL, &ifindex);
	if (nle < 0) {
		if (netd_nl_errno(r, nle) == EEXIST) {
			/* Which end? One lookup by name on the host tells. */
			bool host = netd_nl_link_lookup(r, host_name, &got) == 0;
			return netd_err_set(err, EEXIST,
					    "veth %s -> %s in %s: create: %s already exists %s",
					    host_name, peer_name, ns, host ? host_name : peer_name,
					    host ? "on the host" : "in the namespace");
		}
		return netd_nl_err(err, r, nle, "veth %s -> %s in %s: create", host_name, peer_name,
				   ns);
	}
	explain_veth_add(host_name, peer_name, netns_fd, mtu, mac, master_ifindex);

	rc = veth_finish(r, host_name, ifindex, alias, master_ifindex > 0, isolated, host_ifindex,
			 err);
	if (rc < 0) {
		/* Deleting the host end takes the peer with it: the host is left as it was. */
		undo_del(r, host_name);
	}
	return rc;
}

/* ---- gc ---- */

struct alias_match {
	char name[IFNAMSIZ];
	struct netd_link_info info;
};

struct alias_collect {
	const char *prefix;
	size_t plen;
	struct alias_match *v;
	size_t n, cap;
	bool nomem;
};

static void collect_alias(struct nl_object *obj, void *arg)
{
	struct alias_collect *c = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *alias, *name;

	if (strcmp(nl_object_get_type(obj), "route/link") != 0)
		return;
	alias = rtnl_link_get_ifalias(l);
	name = rtnl_link_get_name(l);
	if (!alias || !name || strncmp(alias, c->prefix, c->plen) != 0)
		return;
	if (netd_grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v)) < 0) {
		c->nomem = true;
		return;
	}
	snprintf(c->v[c->n].name, sizeof(c->v[c->n].name), "%s", name);
	netd_nl_link_info(l, &c->v[c->n].info);
	c->n++;
}

int netd_link_foreach_alias(struct netd_rtnl *r, const char *alias_prefix, netd_link_fn fn,
			    void *arg, struct netd_err *err)
{
	struct alias_collect c = {.prefix = alias_prefix, .plen = strlen(alias_prefix)};
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	int nle = 0, rc = 0;

	/* A dump that raced with a change is retried (bounded). */
	for (int attempt = 0; attempt < 3; attempt++) {
		cleanup_nl_msg struct nl_msg *req = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);

		c.n = 0;
		c.nomem = false;
		if (!req || nlmsg_append(req, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
			nle = -NLE_NOMEM;
			break;
		}
		nle = netd_nl_request(r, req, collect_alias, &c);
		if (nle != -NLE_DUMP_INTR)
			break;
	}
	if (nle == 0 && c.nomem)
		nle = -NLE_NOMEM;
	if (nle < 0) {
		free(c.v);
		return netd_nl_err(err, r, nle, "links with alias %s*: dump", alias_prefix);
	}
	/* fn runs after the dump is over, so it may use r (delete links, look them up). */
	for (size_t i = 0; i < c.n; i++) {
		rc = fn(c.v[i].name, &c.v[i].info, arg);
		if (rc != 0)
			break;
	}
	free(c.v);
	if (rc < 0)
		return netd_err_sys(err, -rc, "links with alias %s*: callback", alias_prefix);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* `netd doctor`: what would stop container traffic on this host, in plain words. */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netd/dns.h>
#include <netd/addr.h>
#include <netd/doctor.h>
#include <netd/network.h>
#include "claims.h"
#include "endpoint_store.h"
#include "ipam.h"
#include "link.h"
#include "nat.h"
#include "netconf_priv.h"
#include "network_priv.h"
#include "store.h"
#include "tombstone.h"
#include "util.h"

struct findings {
	struct netd_doctor_finding *v;
	size_t n, cap;
	int oom;
};

static void add(struct findings *f, enum netd_doctor_level lvl, const char *what, const char *fmt,
		...) NETD_PRINTF(4, 5);

static void add(struct findings *f, enum netd_doctor_level lvl, const char *what, const char *fmt,
		...)
{
	va_list ap;

	if (netd_grow((void **)&f->v, &f->cap, f->n, sizeof(*f->v)) < 0) {
		f->oom = 1;
		return;
	}
	f->v[f->n].level = lvl;
	snprintf(f->v[f->n].what, sizeof(f->v[f->n].what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(f->v[f->n].text, sizeof(f->v[f->n].text), fmt, ap);
	va_end(ap);
	f->n++;
}

/* Whether every network defined is IPv6-only (and there is one): IPv4 forwarding is then not
 * needed (attach leaves it alone, docs/ipv6.md). */
static bool all_v6only(void)
{
	struct netd_netdef *defs = NULL;
	struct netd_err e;
	size_t n = 0;
	bool v4 = false;

	if (netd_netconf_list_all(&defs, &n, &e) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		v4 |= defs[i].error[0] || netd_netconf_has4(&defs[i].nc);
	free(defs);
	return n && !v4;
}

static void check_forwarding(struct findings *f)
{
	char v[16];
	struct netd_err e;

	if (all_v6only()) {
		add(f, NETD_DOCTOR_OK, "ip_forward",
		    "every network is IPv6-only: IPv4 forwarding is not needed (netd leaves it "
		    "as it is)");
		return;
	}
	if (netd_sysctl_read("/proc/sys/net/ipv4/ip_forward", v, sizeof(v), &e) < 0)
		add(f, NETD_DOCTOR_WARN, "ip_forward", "cannot read net.ipv4.ip_forward: %s",
		    e.msg);
	else if (strcmp(v, "1") != 0)
		add(f, NETD_DOCTOR_FAIL, "ip_forward",
		    "IP forwarding is off (net.ipv4.ip_forward=%s): containers cannot reach "
		    "anything "
		    "beyond this host and published ports do not answer from outside. The next "
		    "netd "
		    "attach turns it on; or write 1 to /proc/sys/net/ipv4/ip_forward.",
		    v);
	else
		add(f, NETD_DOCTOR_OK, "ip_forward",
		    "IP forwarding is on (netd attach turns it on: containers need it). The host "
		    "routes between all its interfaces: table ip netd lets new connections into "
		    "its bridges only through published ports (or into routed networks), but "
		    "traffic between the host's other interfaces is forwarded unless a firewall's "
		    "forward chain drops it.");
}

/* IPv6 forwarding matters once a network is dual-stack (docs/ipv6.md). */
static void check_forwarding6(struct findings *f)
{
	struct netd_netdef *defs = NULL;
	struct netd_err e;
	size_t n = 0;
	bool any = false;
	char v[16];

	if (netd_netconf_list_all(&defs, &n, &e) < 0)
		return; /* check_networks reports it */
	for (size_t i = 0; i < n; i++)
		any |= !defs[i].error[0] && defs[i].nc.subnet6.ip.family == AF_INET6;
	free(defs);
	if (!any)
		return;
	if (netd_sysctl_read("/proc/sys/net/ipv6/conf/all/forwarding", v, sizeof(v), &e) < 0)
		add(f, NETD_DOCTOR_WARN, "ip6_forward",
		    "cannot read net.ipv6.conf.all.forwarding: %s", e.msg);
	else if (strcmp(v, "1") != 0)
		add(f, NETD_DOCTOR_FAIL, "ip6_forward",
		    "IPv6 forwarding is off (net.ipv6.conf.all.forwarding=%s) and a network is "
		    "dual-stack: its containers cannot reach anything beyond this host over IPv6. "
		    "The next netd attach to it turns it on; or write 1 to "
		    "/proc/sys/net/ipv6/conf/all/forwarding.",
		    v);
	else
		add(f, NETD_DOCTOR_OK, "ip6_forward",
		    "IPv6 forwarding is on (a dual-stack network needs it). The host routes IPv6 "
		    "between all its interfaces, and an interface configured by router "
		    "advertisements stops accepting them unless its accept_ra is 2.");
}

static void check_br_netfilter(struct findings *f)
{
	char v[16];
	struct netd_err e;

	if (netd_sysctl_read("/proc/sys/net/bridge/bridge-nf-call-iptables", v, sizeof(v), &e) ==
		0 &&
	    strcmp(v, "1") == 0)
		add(f, NETD_DOCTOR_WARN, "br_netfilter",
		    "br_netfilter is loaded and bridged traffic goes through iptables/nftables "
		    "(bridge-nf-call-iptables=1): a drop policy in another table's forward chain "
		    "can cut traffic between containers on the same bridge (netd's own rules "
		    "allow it). Keep br_netfilter: kube-proxy and Docker need it. Make such "
		    "chains accept traffic of the container bridges instead.");
}

struct chain_scan {
	struct findings *f;
	unsigned drops;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_scan *cs = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *table, *name;

	if (!c)
		return MNL_CB_OK;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		goto out;
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY))
		goto out;
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP &&
	    strcmp(table ? table : "", NETD_NFT_TABLE) != 0) {
		cs->drops++;
		add(cs->f, NETD_DOCTOR_FAIL, "forward-policy",
		    "chain %s in table %s hooks forward with policy drop: traffic to and from "
		    "containers is dropped there unless that table accepts it (iptables: -P "
		    "FORWARD "
		    "ACCEPT, or rules accepting our bridges).",
		    name ? name : "?", table ? table : "?");
	}
out:
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static void check_forward_chains(struct findings *f)
{
	char buf[32768];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct chain_scan cs = {.f = f};
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int r;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		add(f, NETD_DOCTOR_WARN, "nftables", "cannot talk to nf_tables: %s",
		    strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((r = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		r = mnl_cb_run(buf, (size_t)r, seq, portid, chain_cb, &cs);
		if (r <= 0)
			break;
	}
	if (!cs.drops)
		add(f, NETD_DOCTOR_OK, "forward-policy", "no other table drops forwarded traffic");
out:
	mnl_socket_close(nl);
}

static void check_endpoints(struct findings *f)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_endpoint *eps = NULL;
	struct netd_nat_table tab;
	struct netd_err e;
	size_t n = 0, dead = 0, ports = 0;

	if (netd_store_endpoint_list(NULL, &eps, &n, &e) < 0 || netd_rtnl_open(&rt, &e) < 0) {
		add(f, NETD_DOCTOR_WARN, "state", "cannot read state: %s", e.msg);
		netd_endpoints_free(eps, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct netd_link_info li;
		ports += eps[i].n_ports;
		if (netd_link_get(rt, eps[i].host_ifname, &li, &e) == -ENODEV) {
			dead++;
			add(f, NETD_DOCTOR_WARN, "stale-endpoint",
			    "endpoint %s/%s on %s: its veth %s is gone (the namespace died?); "
			    "netd gc removes it",
			    eps[i].id, eps[i].ifname, eps[i].network, eps[i].host_ifname);
		}
	}
	int tr = netd_nat_table_query(&tab, &e);
	if (tr < 0) {
		if (n)
			add(f, NETD_DOCTOR_WARN, "nft-table", "cannot look at table ip netd: %s",
			    e.msg);
	} else if (n && !tab.exists)
		add(f, NETD_DOCTOR_FAIL, "nft-table",
		    "table ip netd is missing (ruleset flushed?): %zu published port(s) and "
		    "masquerading are off. netd gc puts it back from the endpoint records (netd "
		    "serve does within a second).",
		    ports);
	else if (tab.exists && !tab.current)
		add(f, NETD_DOCTOR_WARN, "nft-table",
		    "table ip netd was made by an older netd: its rules are not this version's "
		    "firewall (see docs/design.md). The next attach, or netd serve, replaces it "
		    "and puts every port and network back.");
	else if (n)
		add(f, NETD_DOCTOR_OK, "nft-table", "table ip netd is present");
	/* Its IPv6 twin: made, replaced and restored together with it. */
	if (tr == 0 && tab.exists && netd_nat_table_query6(&tab, &e) == 0) {
		if (n && !tab.exists)
			add(f, NETD_DOCTOR_FAIL, "nft-table",
			    "table ip6 netd is missing: IPv6 published ports and masquerading are "
			    "off. netd gc puts it back (netd serve does within a second).");
		else if (tab.exists && !tab.current)
			add(f, NETD_DOCTOR_WARN, "nft-table",
			    "table ip6 netd was made by an older netd; the next attach, or netd "
			    "serve, replaces it.");
	}
	add(f, NETD_DOCTOR_OK, "endpoints", "%zu endpoint(s), %zu stale", n, dead);
	netd_endpoints_free(eps, n);
}

static int orphan_cb(const char *name, const struct netd_link_info *info, void *arg)
{
	struct findings *f = arg;
	const char *key = info->alias + 5;
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	struct netd_endpoint ep = {0};
	struct netd_err e;

	if (netd_tomb_pending(name) || !netd_key_split(key, net, id, ifn))
		return 0;
	if (netd_store_endpoint_load(net, id, ifn, &ep, &e) == -ENOENT)
		add(f, NETD_DOCTOR_WARN, "leaked-veth",
		    "veth %s (owner %s) belongs to no endpoint: leaked; netd gc removes it", name,
		    key);
	netd_endpoint_clear(&ep);
	return 0;
}

/* Both config dirs (netd's and netd-cni's): what could not work, and networks that overlap. */
static void check_networks(struct findings *f)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_netdef *defs = NULL;
	size_t n = 0;
	struct netd_err e;

	if (netd_netconf_list_all(&defs, &n, &e) < 0 || netd_rtnl_open(&rt, &e) < 0) {
		add(f, NETD_DOCTOR_WARN, "networks", "cannot list networks: %s", e.msg);
		free(defs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct netd_netconf *nc = &defs[i].nc;
		const char *origin = defs[i].origin == NETD_NETCONF_CNI ? " (netd-cni's)" : "";
		const struct netd_netdef *o;
		struct netd_link_info li;
		bool overlap = false, bridge_gone;
		char s[INET_ADDRSTRLEN], os[NETD_PREFIX_STRLEN], s6[NETD_PREFIX_STRLEN] = "";
		char both[NETD_PREFIX_STRLEN + 8] = "", pfx4[8] = "";

		if (defs[i].error[0]) {
			add(f, NETD_DOCTOR_FAIL, "subnet-file", "%s", defs[i].error);
			continue;
		}
		netd_ip4_format(nc->subnet, s, sizeof(s));
		/* Each pair once: the later of the two names it. */
		o = netd_netconf_has4(nc)
			? netd_netdef_overlapping(
			      defs, i, NULL,
			      &(struct netd_prefix){netd_ip_from4(nc->subnet), nc->prefix})
			: NULL;
		if (o || (i && !strcmp(defs[i - 1].nc.name, nc->name))) {
			if (!o)
				o = &defs[i - 1];
			netd_ip4_format(o->nc.subnet, os, sizeof(os));
			add(f, NETD_DOCTOR_FAIL, "network-conflict",
			    "network %s%s (%s/%u, %s) and network %s (%s/%u, %s) %s: attaches to "
			    "either are refused until one of them is removed or changed.",
			    nc->name, origin, s, nc->prefix, defs[i].path, o->nc.name, os,
			    o->nc.prefix, o->path,
			    strcmp(o->nc.name, nc->name) ? "overlap" : "have the same name");
			continue;
		}
		if (nc->subnet6.ip.family == AF_INET6) {
			o = netd_netdef_overlapping(defs, i, NULL, &nc->subnet6);
			netd_prefix_format(&nc->subnet6, s6, sizeof(s6));
			if (o) {
				netd_prefix_format(&o->nc.subnet6, os, sizeof(os));
				add(f, NETD_DOCTOR_FAIL, "network-conflict",
				    "network %s%s (%s, %s) and network %s (%s, %s) overlap: "
				    "attaches "
				    "to either are refused until one of them is removed or "
				    "changed.",
				    nc->name, origin, s6, defs[i].path, o->nc.name, os, o->path);
				continue;
			}
			snprintf(both, sizeof(both), "%s%s", netd_netconf_has4(nc) ? " and " : "",
				 s6);
		}
		if (netd_netconf_has4(nc))
			snprintf(pfx4, sizeof(pfx4), "%u", nc->prefix);
		else
			s[0] = '\0';
		/* With the bridge up its own route overlaps by definition. */
		bridge_gone = netd_link_get(rt, nc->bridge, &li, &e) == -ENODEV;
		if (bridge_gone && netd_netconf_has4(nc) &&
		    netd_route_overlaps(
			rt, &(struct netd_prefix){netd_ip_from4(nc->subnet), nc->prefix}, &overlap,
			&e) == 0 &&
		    overlap)
			add(f, NETD_DOCTOR_FAIL, "subnet-overlap",
			    "network %s%s: subnet %s/%u overlaps a route of this host: containers "
			    "could not reach that part of the network. Pick another subnet.",
			    nc->name, origin, s, nc->prefix);
		else if (bridge_gone && nc->subnet6.ip.family == AF_INET6 &&
			 netd_route_overlaps(rt, &nc->subnet6, &overlap, &e) == 0 && overlap)
			add(f, NETD_DOCTOR_FAIL, "subnet-overlap",
			    "network %s%s: subnet6 %s overlaps an IPv6 route of this host: "
			    "containers could not reach that part of the network. Pick another "
			    "subnet6.",
			    nc->name, origin, s6);
		else
			add(f, NETD_DOCTOR_OK, "network", "network %s%s: %s%s%s%s on bridge %s%s",
			    nc->name, origin, s, s[0] ? "/" : "", pfx4, both, nc->bridge,
			    nc->gateway_mode == NETD_GATEWAY_ROUTED
				? " (routed: every container port is reachable from outside)"
				: "");
	}
	free(defs);
	if (netd_link_foreach_alias(rt, NETD_ALIAS_PREFIX, orphan_cb, f, &e) < 0)
		add(f, NETD_DOCTOR_WARN, "links", "cannot list links: %s", e.msg);
}

/* Names: is there a server binary, and is it running while names are in use. */
static void check_dns(struct findings *f)
{
	struct netd_endpoint *eps = NULL;
	const char *bin = netd_dns_server_path();
	struct netd_err e;
	size_t n = 0, named = 0;
	int pid;

	if (netd_store_endpoint_list(NULL, &eps, &n, &e) == 0)
		for (size_t i = 0; i < n; i++)
			named += netd_dns_named(&eps[i]);
	netd_endpoints_free(eps, n);
	pid = netd_dns_server_pid();
	if (!bin && named)
		add(f, NETD_DOCTOR_WARN, "dns",
		    "aardvark-dns is not installed: %zu endpoint(s) have names that nothing "
		    "answers, so containers cannot find each other by name (they use the host's "
		    "resolvers). Install the aardvark-dns package%s.",
		    named, getenv("NETD_AARDVARK") ? " (or fix $NETD_AARDVARK)" : "");
	else if (!bin)
		add(f, NETD_DOCTOR_WARN, "dns",
		    "aardvark-dns is not installed: containers will not find each other by name "
		    "(--name, --alias); everything else works. Install the aardvark-dns "
		    "package%s.",
		    getenv("NETD_AARDVARK") ? " (or fix $NETD_AARDVARK)" : "");
	else if (named && !pid)
		add(f, NETD_DOCTOR_WARN, "dns",
		    "the name server (%s) is not running although %zu endpoint(s) have names: "
		    "they are not answered. netd serve restarts it within a second; or run netd "
		    "gc.",
		    bin, named);
	else if (named)
		add(f, NETD_DOCTOR_OK, "dns",
		    "name server %s running (pid %d) for %zu named endpoint(s)", bin, pid, named);
	else
		add(f, NETD_DOCTOR_OK, "dns",
		    "name server %s present; it starts with the first named endpoint", bin);
}

/* ---- the state files against each other: records, leases, claims ---- */

struct lease_look {
	struct findings *f;
	const char *network;
	const struct netd_endpoint *eps;
	size_t n;
	bool *leased, *leased6; /* per endpoint: a lease file names its address of that family */
};

static void key_of(const struct netd_endpoint *ep, char *k, size_t len)
{
	netd_store_key(k, len, ep->network, ep->id, ep->ifname);
}

/* The endpoint's address of ip's family, when it has one of its own (not external IPAM). */
static bool ep_holds(const struct netd_endpoint *ep, const struct netd_ip *ip)
{
	if (ep->external_ipam)
		return false;
	if (ip->family == AF_INET)
		return ep->ip.s_addr == ip->v4.s_addr;
	return ep->ip6.family == AF_INET6 && netd_ip_equal(&ep->ip6, ip);
}

static int look_lease(const struct netd_ip *ip, const char *key, void *arg)
{
	struct lease_look *l = arg;
	char a[NETD_IP_STRLEN], k[NETD_KEY_MAX];
	const struct netd_endpoint *holder = NULL;
	bool *leased = ip->family == AF_INET6 ? l->leased6 : l->leased;

	netd_ip_format(ip, a, sizeof(a));
	for (size_t i = 0; i < l->n; i++) {
		if (!ep_holds(&l->eps[i], ip) || strcmp(l->eps[i].network, l->network) != 0)
			continue;
		if (holder) {
			add(l->f, NETD_DOCTOR_FAIL, "duplicate-address",
			    "address %s on network %s is held by two endpoints, %s/%s and %s/%s: "
			    "one "
			    "of them must be detached",
			    a, l->network, holder->id, holder->ifname, l->eps[i].id,
			    l->eps[i].ifname);
			continue;
		}
		holder = &l->eps[i];
		leased[i] = true;
	}
	if (!key) {
		add(l->f, NETD_DOCTOR_FAIL, "damaged-lease",
		    "lease file %s/networks/%s/ips/%s is damaged (not a readable owner key): the "
		    "address must not be handed out again while it may be in use. netd gc rewrites "
		    "it from the endpoint record that holds %s (%s), or releases it when none "
		    "does.",
		    netd_state_dir(), l->network, a, a,
		    holder ? holder->id : "no readable record does");
		return 0;
	}
	if (holder) {
		key_of(holder, k, sizeof(k));
		if (strcmp(k, key) != 0)
			add(l->f, NETD_DOCTOR_FAIL, "lease-owner",
			    "lease of %s on network %s names %s, but endpoint %s/%s holds %s: netd "
			    "gc rewrites the lease",
			    a, l->network, key, holder->id, holder->ifname, a);
		return 0;
	}
	add(l->f, NETD_DOCTOR_WARN, "orphan-lease",
	    "lease of %s on network %s names %s, whose endpoint record does not hold it: netd gc "
	    "releases it",
	    a, l->network, key);
	return 0;
}

struct claim_look {
	struct findings *f;
	const struct netd_endpoint *eps;
	size_t n;
};

static bool ep_lists(const struct netd_endpoint *ep, const struct netd_port *p)
{
	for (size_t i = 0; i < ep->n_ports; i++)
		if (ep->ports[i].proto == p->proto && ep->ports[i].host_port == p->host_port &&
		    netd_ip_equal(&ep->ports[i].host_ip, &p->host_ip))
			return true;
	return false;
}

static int look_claim(const struct netd_port *p, const char *key, void *arg)
{
	struct claim_look *c = arg;
	const struct netd_endpoint *holder = NULL;
	char name[96], k[NETD_KEY_MAX];

	netd_port_format(p, name, sizeof(name));
	for (size_t i = 0; i < c->n && !holder; i++)
		if (strcmp(c->eps[i].state, "removing") != 0 && ep_lists(&c->eps[i], p))
			holder = &c->eps[i];
	if (!key) {
		add(c->f, NETD_DOCTOR_FAIL, "damaged-claim",
		    "claim file of host port %s (under %s/ports) is damaged (not a readable owner "
		    "key): the port stays taken. netd gc rewrites it from the endpoint record that "
		    "publishes the port%s%s, or releases it when none does.",
		    name, netd_state_dir(), holder ? ": " : "", holder ? holder->id : "");
		return 0;
	}
	if (!holder)
		return 0; /* an orphan claim: gc releases it; an attach choosing its port */
	key_of(holder, k, sizeof(k));
	if (strcmp(k, key) != 0)
		add(c->f, NETD_DOCTOR_FAIL, "claim-owner",
		    "claim of host port %s names %s, but endpoint %s/%s publishes it: netd gc "
		    "rewrites the claim",
		    name, key, holder->id, holder->ifname);
	return 0;
}

static void check_state(struct findings *f)
{
	struct netd_endpoint *eps = NULL;
	struct netd_endpoint_damaged *bad = NULL;
	struct netd_err e;
	char path[PATH_MAX], k[NETD_KEY_MAX], owner[NETD_KEY_MAX + 1];
	size_t n = 0, n_bad = 0, problems = f->n;
	bool *leased, *leased6;
	DIR *d;
	struct dirent *de;

	if (netd_store_endpoint_scan(NULL, &eps, &n, &bad, &n_bad, &e) < 0) {
		add(f, NETD_DOCTOR_FAIL, "state", "cannot read the state dir: %s", e.msg);
		return;
	}
	for (size_t i = 0; i < n_bad; i++)
		add(f, NETD_DOCTOR_FAIL, "damaged-record",
		    "%s. netd detach %s --id %s --ifname %s tears it down from what the kernel and "
		    "the other state files say; netd gc does once its namespace is gone.",
		    bad[i].why, bad[i].network, bad[i].id, bad[i].ifname);
	leased = calloc(n ? n : 1, sizeof(*leased));
	leased6 = calloc(n ? n : 1, sizeof(*leased6));
	if (!leased6) {
		free(leased);
		leased = NULL;
	}
	if (netd_path_fmt(path, sizeof(path), "%s/networks", netd_state_dir()) == 0 && leased &&
	    (d = opendir(path))) {
		while ((de = readdir(d))) {
			struct lease_look l = {f, de->d_name, eps, n, leased, leased6};

			if (de->d_name[0] == '.' || netd_name_check_network(de->d_name, NULL) < 0)
				continue;
			if (netd_ipam_foreach_ip(de->d_name, look_lease, &l, &e) < 0)
				add(f, NETD_DOCTOR_WARN, "leases", "cannot read the leases: %s",
				    e.msg);
		}
		closedir(d);
	}
	for (size_t i = 0; leased && i < n; i++) {
		char a[NETD_IP_STRLEN];

		if (eps[i].external_ipam || strcmp(eps[i].state, "ready") != 0)
			continue;
		for (int v6 = 0; v6 < 2; v6++) {
			struct netd_ip ip = v6 ? eps[i].ip6 : netd_ip_from4(eps[i].ip);

			if ((v6 ? leased6 : leased)[i] || (v6 && ip.family != AF_INET6) ||
			    netd_ip_is_zero(&ip))
				continue;
			netd_ip_format(&ip, a, sizeof(a));
			add(f, NETD_DOCTOR_FAIL, "lease-missing",
			    "endpoint %s/%s on %s holds %s, but no lease file names it: the "
			    "allocator could hand %s out again. netd gc leases it again.",
			    eps[i].id, eps[i].ifname, eps[i].network, a, a);
		}
	}
	free(leased6);
	free(leased);
	{
		struct claim_look c = {f, eps, n};
		if (netd_store_port_foreach(look_claim, &c, &e) < 0)
			add(f, NETD_DOCTOR_WARN, "claims", "cannot read the port claims: %s",
			    e.msg);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(eps[i].state, "ready") != 0)
			continue;
		key_of(&eps[i], k, sizeof(k));
		for (size_t j = 0; j < eps[i].n_ports; j++) {
			struct netd_port p = eps[i].ports[j];
			char name[96];

			p.host_port_max = 0;
			if (netd_store_port_owner(&p, owner, sizeof(owner), &e) != -ENOENT)
				continue;
			netd_port_format(&p, name, sizeof(name));
			add(f, NETD_DOCTOR_FAIL, "claim-missing",
			    "endpoint %s/%s publishes host port %s, but no claim file holds it: "
			    "another attach could take the port. netd gc claims it again.",
			    eps[i].id, eps[i].ifname, name);
		}
	}
	if (f->n == problems)
		add(f, NETD_DOCTOR_OK, "state",
		    "endpoint records, leases and port claims agree with each other");
	netd_endpoints_free(eps, n);
	free(bad);
}

int netd_doctor_run(struct netd_doctor_finding **out, size_t *n, struct netd_err *err)
{
	struct findings f = {0};
	int r;

	/* Without it nf_tables answers nothing: every table would look missing. */
	r = netd_need_admin("doctor", err);
	if (r < 0)
		return r;
	check_forwarding(&f);
	check_forwarding6(&f);
	check_forward_chains(&f);
	check_br_netfilter(&f);
	check_networks(&f);
	check_endpoints(&f);
	check_dns(&f);
	check_state(&f);
	if (f.oom) {
		free(f.v);
		return netd_err_set(err, ENOMEM, "doctor: out of memory");
	}
	*out = f.v;
	*n = f.n;
	return 0;
}

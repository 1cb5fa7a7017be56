/* SPDX-License-Identifier: MIT */
/* `netd doctor`: what would stop container traffic on this host, in plain words. */
#include <arpa/inet.h>
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
#include <netd/doctor.h>
#include <netd/network.h>
#include "link.h"
#include "nat.h"
#include "netconf_priv.h"
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

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		void *nv = realloc(f->v, cap * sizeof(*f->v));
		if (!nv) {
			f->oom = 1;
			return;
		}
		f->v = nv;
		f->cap = cap;
	}
	f->v[f->n].level = lvl;
	snprintf(f->v[f->n].what, sizeof(f->v[f->n].what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(f->v[f->n].text, sizeof(f->v[f->n].text), fmt, ap);
	va_end(ap);
	f->n++;
}

static void check_forwarding(struct findings *f)
{
	char v[16];
	struct netd_err e;

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

static void check_br_netfilter(struct findings *f)
{
	char v[16];
	struct netd_err e;

	if (netd_sysctl_read("/proc/sys/net/bridge/bridge-nf-call-iptables", v, sizeof(v), &e) ==
		0 &&
	    strcmp(v, "1") == 0)
		add(f, NETD_DOCTOR_WARN, "br_netfilter",
		    "br_netfilter is loaded and bridged traffic goes through iptables/nftables "
		    "(bridge-nf-call-iptables=1): a drop policy elsewhere can cut traffic between "
		    "containers on the same bridge. Unload it (modprobe -r br_netfilter) unless "
		    "something here needs it.");
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
	netd_nat_table_get(&tab);
	if (n && !tab.exists)
		add(f, NETD_DOCTOR_FAIL, "nft-table",
		    "table ip netd is missing (ruleset flushed?): %zu published port(s) and "
		    "masquerading are off. netd serve puts it back within a second; or run netd "
		    "gc.",
		    ports);
	else if (tab.exists && !tab.current)
		add(f, NETD_DOCTOR_WARN, "nft-table",
		    "table ip netd was made by an older netd: its rules are not this version's "
		    "firewall (see docs/design.md). The next attach, or netd serve, replaces it "
		    "and puts every port and network back.");
	else if (n)
		add(f, NETD_DOCTOR_OK, "nft-table", "table ip netd is present");
	add(f, NETD_DOCTOR_OK, "endpoints", "%zu endpoint(s), %zu stale", n, dead);
	netd_endpoints_free(eps, n);
}

static int orphan_cb(const char *name, const struct netd_link_info *info, void *arg)
{
	struct findings *f = arg;
	const char *key = info->alias + 5;
	const char *slash = strchr(key, '/'), *at = strrchr(key, '@');
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	struct netd_endpoint ep = {0};
	struct netd_err e;

	if (!slash || !at || at < slash || netd_tomb_pending(name))
		return 0;
	snprintf(net, sizeof(net), "%.*s", (int)(slash - key), key);
	snprintf(id, sizeof(id), "%.*s", (int)(at - slash - 1), slash + 1);
	snprintf(ifn, sizeof(ifn), "%s", at + 1);
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
		bool overlap = false;
		char s[INET_ADDRSTRLEN], os[INET_ADDRSTRLEN];

		if (defs[i].error[0]) {
			add(f, NETD_DOCTOR_FAIL, "subnet-file", "%s", defs[i].error);
			continue;
		}
		inet_ntop(AF_INET, &nc->subnet, s, sizeof(s));
		/* Each pair once: the later of the two names it. */
		o = netd_netdef_overlapping(defs, i, NULL, nc->subnet, nc->prefix);
		if (o || (i && !strcmp(defs[i - 1].nc.name, nc->name))) {
			if (!o)
				o = &defs[i - 1];
			inet_ntop(AF_INET, &o->nc.subnet, os, sizeof(os));
			add(f, NETD_DOCTOR_FAIL, "network-conflict",
			    "network %s%s (%s/%u, %s) and network %s (%s/%u, %s) %s: attaches to "
			    "either are refused until one of them is removed or changed.",
			    nc->name, origin, s, nc->prefix, defs[i].path, o->nc.name, os,
			    o->nc.prefix, o->path,
			    strcmp(o->nc.name, nc->name) ? "overlap" : "have the same name");
			continue;
		}
		/* With the bridge up its own route overlaps by definition. */
		if (netd_link_get(rt, nc->bridge, &li, &e) == -ENODEV &&
		    netd_route_overlaps(rt, nc->subnet, nc->prefix, &overlap, &e) == 0 && overlap)
			add(f, NETD_DOCTOR_FAIL, "subnet-overlap",
			    "network %s%s: subnet %s/%u overlaps a route of this host: containers "
			    "could not reach that part of the network. Pick another subnet.",
			    nc->name, origin, s, nc->prefix);
		else
			add(f, NETD_DOCTOR_OK, "network", "network %s%s: %s/%u on bridge %s%s",
			    nc->name, origin, s, nc->prefix, nc->bridge,
			    nc->gateway_mode == NETD_GATEWAY_ROUTED
				? " (routed: every container port is reachable from outside)"
				: "");
	}
	free(defs);
	if (netd_link_foreach_alias(rt, "netd:", orphan_cb, f, &e) < 0)
		add(f, NETD_DOCTOR_WARN, "links", "cannot list links: %s", e.msg);
}

int netd_doctor_run(struct netd_doctor_finding **out, size_t *n, struct netd_err *err)
{
	struct findings f = {0};

	check_forwarding(&f);
	check_forward_chains(&f);
	check_br_netfilter(&f);
	check_networks(&f);
	check_endpoints(&f);
	if (f.oom) {
		free(f.v);
		return netd_err_set(err, ENOMEM, "doctor: out of memory");
	}
	*out = f.v;
	*n = f.n;
	return 0;
}

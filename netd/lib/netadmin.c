/* SPDX-License-Identifier: MIT */
/* Networks as a whole: define, the default network, bridge state, nat restore (remove:
 * network_rm.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netd/addr.h>
#include <netd/network.h>
#include "claims.h"
#include "endpoint_store.h"
#include "explain_priv.h"
#include "ipam.h"
#include "link.h"
#include "nat.h"
#include "netconf_priv.h"
#include "network_priv.h"
#include "store.h"
#include "util.h"

/*
 * Defining a network (create, ensure, the default network) holds this host-wide lock from the
 * check that its name and subnet are free to the write of its subnet file, so two definitions
 * cannot both pass the check. A dry run writes nothing and takes no lock (-1).
 */
static int networks_lock(struct netd_err *err)
{
	char path[4096];
	int r;

	if (netd_dry())
		return -1;
	r = netd_mkdirs(netd_state_dir(), true, err);
	if (r < 0)
		return r;
	if (netd_path_fmt(path, sizeof(path), "%s/netd.lock", netd_state_dir()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "state dir path too long");
	return netd_lock_file(path, err);
}

/* Saves a network's subnet file, saying so; a dry run only says so. */
static int explain_save(struct netd_netconf *nc, struct netd_err *err)
{
	char sub[NETD_PREFIX_STRLEN], gw[NETD_IP_STRLEN];
	struct netd_prefix p = netd_prefix_from4(nc->subnet, nc->prefix);
	struct netd_ip g = netd_ip_from4(nc->gateway);
	bool v4 = netd_netconf_has4(nc);

	/* An IPv6-only network says its IPv6 subnet instead. */
	netd_prefix_format(v4 ? &p : &nc->subnet6, sub, sizeof(sub));
	netd_ip_format(v4 ? &g : &nc->gateway6, gw, sizeof(gw));
	netd_explain(
	    "# netd: network %s: subnet file %s/%s.conf (subnet %s, gateway %s, "
	    "bridge %s, masquerade %s, gateway mode %s); the bridge and table ip netd come "
	    "with the first attach",
	    nc->name, netd_config_dir(), nc->name, sub, gw, nc->bridge,
	    (v4 ? nc->masquerade : nc->masquerade6) ? "yes" : "no",
	    netd_gateway_mode_name(nc->gateway_mode));
	if (netd_dry())
		return 0;
	return netd_netconf_save_checked(nc, err);
}

int netd_default_network_create(struct netd_netconf *nc, struct netd_err *err)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	cleanup_free struct netd_netdef *defs = NULL;
	cleanup_close int lk = -1;
	size_t n = 0;
	int r;

	lk = networks_lock(err);
	if (lk < 0 && !netd_dry())
		return lk;
	/* Someone may have created it while we waited for the lock. */
	r = netd_netconf_load_checked(NETD_DEFAULT_NETWORK, nc, err);
	if (r != -ENOENT)
		return r;
	netd_err_clear(err);
	r = netd_rtnl_open(&rt, err);
	if (r == 0)
		r = netd_netconf_list_all(&defs, &n, err);
	if (r < 0)
		return r;
	/* Docker's ranges first (172.17-31), then 10.89-99: the first /16 nobody routes yet. */
	for (unsigned i = 0; i < 26; i++) {
		struct in_addr net;
		bool busy = false;
		char text[64];

		if (i < 15)
			snprintf(text, sizeof(text), "172.%u.0.0", 17 + i);
		else
			snprintf(text, sizeof(text), "10.%u.0.0", 89 + (i - 15));
		r = netd_ip4_parse(text, &net, err);
		if (r < 0)
			return r;
		struct netd_prefix p = netd_prefix_from4(net, 16);

		r = netd_route_overlaps(rt, &p, &busy, err);
		if (r < 0)
			return r;
		if (busy || netd_netdef_overlapping(defs, n, NULL, &p))
			continue;
		memset(nc, 0, sizeof(*nc));
		snprintf(nc->name, sizeof(nc->name), "%s", NETD_DEFAULT_NETWORK);
		nc->subnet = net;
		nc->prefix = 16;
		nc->masquerade = true;
		r = netd_netconf_finish_checked(nc, "default network", err);
		if (r == 0)
			r = netd_netconf_check_unique(nc, err);
		if (r == 0)
			r = explain_save(nc, err);
		return r;
	}
	return netd_err_set(
	    err, EADDRNOTAVAIL,
	    "default network: every candidate /16 (172.17-31.0.0, 10.89-99.0.0) "
	    "overlaps a host route or another network; create it with netd network create %s "
	    "--subnet ...",
	    NETD_DEFAULT_NETWORK);
}

/*
 * A new IPv6 subnet must not overlap a route or address of the host's (docs/ipv6.md): IPv6 hosts
 * often hold global or ULA prefixes of their own, and the bridge's route would shadow them.
 * Only while the bridge does not exist (its own route overlaps by definition).
 */
static int subnet6_free(const struct netd_netconf *nc, struct netd_err *err)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_link_info li;
	struct netd_err e = {0};
	char sn[NETD_PREFIX_STRLEN];
	bool busy = false;
	int r;

	if (nc->subnet6.ip.family != AF_INET6)
		return 0;
	r = netd_rtnl_open(&rt, err);
	if (r < 0)
		return r;
	if (netd_link_get(rt, nc->bridge, &li, &e) != -ENODEV)
		return 0;
	r = netd_route_overlaps(rt, &nc->subnet6, &busy, err);
	if (r < 0)
		return r;
	if (busy)
		return netd_err_set(
		    err, EEXIST,
		    "network %s: subnet6 %s overlaps an IPv6 route or address of this "
		    "host (ip -6 route): pick another prefix",
		    nc->name, netd_prefix_format(&nc->subnet6, sn, sizeof(sn)));
	return 0;
}

/* The door of create and ensure: the name checked once, then the definition finished (its
 * defaults and checks) for a checked name. */
static int netconf_at_door(struct netd_netconf *nc, struct netd_err *err)
{
	int r = netd_name_check_network(nc->name, err);

	return r < 0 ? r : netd_netconf_finish_checked(nc, nc->name, err);
}

int netd_network_create(struct netd_netconf *nc, struct netd_err *err)
{
	struct netd_netdef *cur;
	cleanup_close int lk = -1;
	int r;

	r = netconf_at_door(nc, err);
	if (r < 0)
		return r;
	lk = networks_lock(err);
	if (lk < 0 && !netd_dry())
		return lk;
	cur = malloc(sizeof(*cur));
	if (!cur)
		return netd_err_set(err, ENOMEM, "network %s: out of memory", nc->name);
	/* Its own name first: a re-run of the same create is "already defined", not an overlap. */
	r = netd_netconf_find_checked(nc->name, cur, err);
	if (r != -ENOENT) {
		if (r == 0)
			r = netd_err_set(err, EEXIST, "network %s: already defined (%s)", nc->name,
					 cur->path);
		free(cur);
		return r;
	}
	free(cur);
	netd_err_clear(err);
	r = netd_netconf_check_unique(nc, err);
	if (r == 0)
		r = subnet6_free(nc, err);
	if (r < 0)
		return r;
	return explain_save(nc, err);
}

static bool netconf_equal(const struct netd_netconf *a, const struct netd_netconf *b)
{
	if (a->n_routes != b->n_routes)
		return false;
	for (size_t i = 0; i < a->n_routes; i++)
		if (!netd_ip_equal(&a->routes[i].dst.ip, &b->routes[i].dst.ip) ||
		    a->routes[i].dst.len != b->routes[i].dst.len ||
		    !netd_ip_equal(&a->routes[i].gw, &b->routes[i].gw))
			return false;
	return strcmp(a->bridge, b->bridge) == 0 && a->subnet.s_addr == b->subnet.s_addr &&
	       a->prefix == b->prefix && a->gateway.s_addr == b->gateway.s_addr &&
	       a->range_start.s_addr == b->range_start.s_addr &&
	       a->range_end.s_addr == b->range_end.s_addr && a->mtu == b->mtu &&
	       a->masquerade == b->masquerade && a->gateway_mode == b->gateway_mode &&
	       a->subnet6.len == b->subnet6.len && netd_ip_equal(&a->subnet6.ip, &b->subnet6.ip) &&
	       netd_ip_equal(&a->gateway6, &b->gateway6) &&
	       netd_ip_equal(&a->range6.first, &b->range6.first) &&
	       netd_ip_equal(&a->range6.last, &b->range6.last) &&
	       a->masquerade6 == b->masquerade6 &&

	       a->internal == b->internal && a->no_icc == b->no_icc;
}

/*
 * internal and icc shape each endpoint's veth (bridge port isolation) and routes when it is
 * attached: a change under existing endpoints would leave them as they were, half one way.
 */
static int options_change_ok(const struct netd_netconf *cur, const struct netd_netconf *nc,
			     struct netd_err *err)
{
	struct netd_endpoint *eps = NULL;
	size_t n = 0;
	int r;

	if (cur->internal == nc->internal && cur->no_icc == nc->no_icc)
		return 0;
	r = netd_store_endpoint_list(nc->name, &eps, &n, err);
	netd_endpoints_free(eps, n);
	if (r < 0 || !n)
		return r;
	return netd_err_set(err, EBUSY,
			    "network %s: %s cannot change while %zu endpoint%s attached (detach "
			    "them first)",
			    nc->name, cur->internal != nc->internal ? "internal" : "icc", n,
			    n == 1 ? " is" : "s are");
}

int netd_network_ensure(struct netd_netconf *nc, struct netd_err *err)
{
	struct netd_netconf cur;
	cleanup_close int lk = -1;
	bool exists;
	int r;

	r = netconf_at_door(nc, err);
	if (r < 0)
		return r;
	/* The common case, every ADD after the first: defined as it is, nothing to write. */
	r = netd_netconf_load_checked(nc->name, &cur, err);
	if (r == 0 && netconf_equal(nc, &cur))
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	lk = networks_lock(err);
	if (lk < 0 && !netd_dry())
		return lk;
	r = netd_netconf_load_checked(nc->name, &cur, err);
	if (r < 0 && r != -ENOENT)
		return r;
	exists = r == 0;
	netd_err_clear(err);
	if (exists && netconf_equal(nc, &cur))
		return 0;
	r = netd_netconf_check_unique(nc, err);
	if (r == 0 && exists)
		r = options_change_ok(&cur, nc, err);
	if (r < 0)
		return r;
	if (netd_dry())
		return explain_save(nc, err);
	return exists ? netd_netconf_replace(nc, err) : netd_netconf_save_checked(nc, err);
}

int netd_network_bridge_state(const struct netd_netconf *nc, struct netd_bridge_state *st,
			      struct netd_err *err)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_link_info li;
	int r;

	memset(st, 0, sizeof(*st));
	r = netd_rtnl_open(&rt, err);
	if (r < 0)
		return r;
	r = netd_link_get(rt, nc->bridge, &li, err);
	if (r == -ENODEV) {
		netd_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	st->exists = true;
	st->up = li.up;
	st->ifindex = li.ifindex;
	st->mtu = li.mtu;
	return 0;
}

static int count_lease(struct in_addr ip, const char *key, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

int netd_network_free_addresses(const char *name, unsigned long *free_count, struct netd_err *err)
{
	struct netd_netconf nc;
	unsigned long used = 0, total;
	uint32_t lo, hi, gw;
	int r;

	r = netd_netconf_load(name, &nc, err);
	if (r < 0)
		return r;
	if (!netd_netconf_has4(&nc)) {
		*free_count = 0; /* no IPv4 addresses at all */
		return 0;
	}
	r = netd_ipam_foreach(name, count_lease, &used, err);
	if (r < 0)
		return r;
	lo = ntohl(nc.range_start.s_addr);
	hi = ntohl(nc.range_end.s_addr);
	gw = ntohl(nc.gateway.s_addr);
	total = (unsigned long)(hi - lo) + 1;
	if (gw >= lo && gw <= hi)
		total--;
	*free_count = used >= total ? 0 : total - used;
	return 0;
}

static int count_lease6(const struct netd_ip *ip, const char *key, void *arg)
{
	if (ip->family == AF_INET6)
		(*(unsigned long *)arg)++;
	return 0;
}

int netd_network_free_addresses6(const char *name, bool *has_range, unsigned long *free_count,
				 struct netd_err *err)
{
	struct netd_netconf nc;
	unsigned long used = 0, total;
	uint64_t span;
	int r;

	r = netd_netconf_load(name, &nc, err);
	if (r < 0)
		return r;
	*free_count = 0;
	*has_range = nc.subnet6.ip.family == AF_INET6;
	if (!*has_range)
		return 0;
	r = netd_ipam_foreach_ip(name, count_lease6, &used, err);
	if (r < 0)
		return r;
	/* A range of 2^64 addresses or more cannot run out by counting. */
	if (netd_ip_diff(&nc.range6.first, &nc.range6.last, &span) < 0 || span >= ULONG_MAX - 1) {
		*free_count = ULONG_MAX;
		return 0;
	}
	total = (unsigned long)span + 1;
	if (netd_ip_cmp(&nc.gateway6, &nc.range6.first) >= 0 &&
	    netd_ip_cmp(&nc.gateway6, &nc.range6.last) <= 0)
		total--;
	*free_count = used >= total ? 0 : total - used;
	return 0;
}

int netd_network_restore_nat(struct netd_err *err)
{
	struct netd_endpoint *eps = NULL;
	char key[NETD_KEY_MAX], owner[NETD_KEY_MAX + 1];
	struct netd_netdef *defs = NULL;
	size_t n = 0, ne = 0;
	int lk = -1;
	int r;

	r = netd_need_admin("restoring table ip netd", err);
	if (r == 0)
		r = netd_nat_ensure(err);
	if (r >= 0)
		r = netd_netconf_list_all(&defs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct netd_netconf *nc = &defs[i].nc;
		struct netd_nat_net nn;

		if (defs[i].error[0])
			continue;
		netd_nat_net_of(nc, &nn);
		r = netd_nat_network_add(&nn, err);
	}
	free(defs);
	if (r < 0)
		return r;
	r = netd_store_endpoint_list(NULL, &eps, &ne, err);
	if (r < 0)
		return r;
	/*
	 * Only a ready endpoint's ports, and only those whose claim is its own, checked under the
	 * ports lock: a teardown unpublishes and releases under it, so what is put back here is
	 * never an element whose claim is being released.
	 */
	for (size_t i = 0; i < ne && r == 0; i++) {
		if (!eps[i].n_ports || strcmp(eps[i].state, "ready") != 0)
			continue;
		if (lk < 0) {
			lk = netd_store_lock_ports(err);
			if (lk < 0) {
				r = lk;
				break;
			}
		}
		const struct netd_nat_ctr ctr = {eps[i].ip, eps[i].ip6};

		netd_store_key(key, sizeof(key), eps[i].network, eps[i].id, eps[i].ifname);
		for (size_t k = 0; k < eps[i].n_ports && r == 0; k++) {
			struct netd_err e2;
			bool present = false;

			if (netd_store_port_owner(&eps[i].ports[k], owner, sizeof(owner), &e2) <
				0 ||
			    strcmp(owner, key) != 0)
				continue;
			r = netd_nat_port_lookup(&eps[i].ports[k], &ctr, &present, err);
			if (r == 0 && !present)
				r = netd_nat_publish(&eps[i].ports[k], 1, &ctr, err);
		}
	}
	if (lk >= 0)
		close(lk);
	netd_endpoints_free(eps, ne);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Networks as a whole: define, remove, the default network, bridge state, nat restore. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netd/addr.h>
#include <netd/network.h>
#include "claims.h"
#include "dns_priv.h"
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
	char sub[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	netd_ip4_format(nc->subnet, sub, sizeof(sub));
	netd_ip4_format(nc->gateway, gw, sizeof(gw));
	netd_explain(
	    "# netd: network %s: subnet file %s/%s.conf (subnet %s/%u, gateway %s, "
	    "bridge %s, masquerade %s, gateway mode %s); the bridge and table ip netd come "
	    "with the first attach",
	    nc->name, netd_config_dir(), nc->name, sub, nc->prefix, gw, nc->bridge,
	    nc->masquerade ? "yes" : "no", netd_gateway_mode_name(nc->gateway_mode));
	if (netd_dry())
		return 0;
	return netd_netconf_save(nc, err);
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
	r = netd_netconf_load(NETD_DEFAULT_NETWORK, nc, err);
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
		r = netd_route_overlaps(rt, net, 16, &busy, err);
		if (r < 0)
			return r;
		if (busy || netd_netdef_overlapping(defs, n, NULL, net, 16))
			continue;
		memset(nc, 0, sizeof(*nc));
		snprintf(nc->name, sizeof(nc->name), "%s", NETD_DEFAULT_NETWORK);
		nc->subnet = net;
		nc->prefix = 16;
		nc->masquerade = true;
		r = netd_netconf_finish(nc, "default network", err);
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

int netd_network_create(struct netd_netconf *nc, struct netd_err *err)
{
	struct netd_netdef *cur;
	cleanup_close int lk = -1;
	int r;

	r = netd_name_check_network(nc->name, err);
	if (r == 0)
		r = netd_netconf_finish(nc, nc->name, err);
	if (r < 0)
		return r;
	lk = networks_lock(err);
	if (lk < 0 && !netd_dry())
		return lk;
	cur = malloc(sizeof(*cur));
	if (!cur)
		return netd_err_set(err, ENOMEM, "network %s: out of memory", nc->name);
	/* Its own name first: a re-run of the same create is "already defined", not an overlap. */
	r = netd_netconf_find(nc->name, cur, err);
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
	if (r < 0)
		return r;
	return explain_save(nc, err);
}

static bool netconf_equal(const struct netd_netconf *a, const struct netd_netconf *b)
{
	if (a->n_routes != b->n_routes)
		return false;
	for (size_t i = 0; i < a->n_routes; i++)
		if (a->routes[i].dst.s_addr != b->routes[i].dst.s_addr ||
		    a->routes[i].prefix != b->routes[i].prefix ||
		    a->routes[i].gw.s_addr != b->routes[i].gw.s_addr)
			return false;
	return strcmp(a->bridge, b->bridge) == 0 && a->subnet.s_addr == b->subnet.s_addr &&
	       a->prefix == b->prefix && a->gateway.s_addr == b->gateway.s_addr &&
	       a->range_start.s_addr == b->range_start.s_addr &&
	       a->range_end.s_addr == b->range_end.s_addr && a->mtu == b->mtu &&
	       a->masquerade == b->masquerade && a->gateway_mode == b->gateway_mode &&
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

	r = netd_name_check_network(nc->name, err);
	if (r == 0)
		r = netd_netconf_finish(nc, nc->name, err);
	if (r < 0)
		return r;
	/* The common case, every ADD after the first: defined as it is, nothing to write. */
	r = netd_netconf_load(nc->name, &cur, err);
	if (r == 0 && netconf_equal(nc, &cur))
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	lk = networks_lock(err);
	if (lk < 0 && !netd_dry())
		return lk;
	r = netd_netconf_load(nc->name, &cur, err);
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
	return exists ? netd_netconf_replace(nc, err) : netd_netconf_save(nc, err);
}

int netd_network_remove(const char *name, bool force, struct netd_err *err)
{
	struct netd_endpoint *eps = NULL;
	struct netd_endpoint_damaged *bad = NULL;
	struct netd_errs es = {.err = err};
	struct netd_netconf nc;
	struct netd_err e = {0};
	cleanup_close int lk = -1;
	size_t n = 0, n_bad = 0;
	int r;

	r = netd_netconf_load(name, &nc, err);
	if (r == -ENOENT) {
		struct netd_netdef *other = malloc(sizeof(*other));
		struct netd_err e2;

		/* Not this process's to remove: the other front end defines it. */
		if (other && netd_netconf_find(name, other, &e2) == 0 && !other->here)
			r = netd_err_set(err, ENOENT,
					 "network %s: not defined here but in %s (a %s network: "
					 "its definition belongs to that side)",
					 name, other->path,
					 other->origin == NETD_NETCONF_CNI ? "netd-cni" : "netd");
		free(other);
	}
	if (r == 0)
		r = netd_need_admin("network rm", err);
	if (r < 0)
		return r;
	/*
	 * The network lock from the listing to the last file (made if the network has no state
	 * yet: a first attach may be about to make it): an attach either reserved before (its
	 * record is listed here) or finds the network gone when it gets the lock.
	 */
	lk = netd_store_lock_network(name, err);
	if (lk < 0)
		return netd_err_prefix(err, "network rm %s", name);
	r = netd_store_endpoint_scan(name, &eps, &n, &bad, &n_bad, err);
	if (r < 0)
		return netd_err_prefix(err, "network rm %s", name);
	if ((n || n_bad) && !force) {
		r = netd_err_set(
		    err, EBUSY,
		    "network %s has %zu endpoint(s) (first: %s/%s); detach them or use "
		    "--force",
		    name, n + n_bad, n ? eps[0].id : bad[0].id, n ? eps[0].ifname : bad[0].ifname);
		goto out;
	}
	/* An attach or a teardown still running owns its endpoint: not ours to take away. */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(eps[i].state, "ready") != 0 && eps[i].pid > 0 &&
		    (kill(eps[i].pid, 0) == 0 || errno == EPERM)) {
			r = netd_err_set(
			    err, EBUSY,
			    "network %s: endpoint %s/%s is being %s by process %d; try "
			    "again once it is done",
			    name, eps[i].id, eps[i].ifname,
			    strcmp(eps[i].state, "creating") == 0 ? "attached" : "detached",
			    eps[i].pid);
			goto out;
		}
	}
	/* Every endpoint, past errors: one that fails stays, with the definition. */
	for (size_t i = 0; i < n; i++) {
		r = netd_endpoint_teardown_flags(&eps[i], NETD_TD_LOCKED, &e);
		netd_errs_note(&es, r, &e);
	}
	for (size_t i = 0; i < n_bad; i++) {
		r = netd_endpoint_teardown_damaged(bad[i].network, bad[i].id, bad[i].ifname,
						   NETD_TD_LOCKED, &e);
		netd_errs_note(&es, r, &e);
	}
	if (!es.first) {
		cleanup_rtnl struct netd_rtnl *rt = NULL;
		struct netd_nat_net nn;
		bool table = false;

		netd_nat_net_of(&nc, &nn);
		r = netd_rtnl_open(&rt, &e);
		if (r == 0)
			r = netd_link_del(rt, nc.bridge, &e);
		netd_errs_note(&es, r, &e);
		r = netd_nat_table_probe(&table, &e);
		if (r == 0 && table)
			r = netd_nat_network_del(&nn, &e);
		netd_errs_note(&es, r, &e);
	}
	/* The definition goes before the state: an attach waiting for the lock then finds the
	 * network undefined and makes nothing. */
	if (!es.first) {
		r = netd_netconf_remove(name, &e);
		netd_errs_note(&es, r, &e);
	}
	if (!es.first) {
		r = netd_ipam_purge(name, &e);
		netd_errs_note(&es, r, &e);
	}
	r = netd_errs_result(&es, NULL);
	if (r < 0)
		netd_err_prefix(err, "network rm %s", name);
	/* The names of the endpoints torn down above (their teardown, under our lock, could not
	 * take it again); with the network gone its server file goes too. */
	close(steal_fd(&lk));
	if (r == 0 && !netd_dry()) {
		r = netd_dns_sync(name, err);
		if (r < 0)
			netd_err_prefix(err, "network rm %s", name);
	}
out:
	netd_endpoints_free(eps, n);
	free(bad);
	return r;
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
		netd_store_key(key, sizeof(key), eps[i].network, eps[i].id, eps[i].ifname);
		for (size_t k = 0; k < eps[i].n_ports && r == 0; k++) {
			struct netd_err e2;
			bool present = false;

			if (netd_store_port_owner(&eps[i].ports[k], owner, sizeof(owner), &e2) <
				0 ||
			    strcmp(owner, key) != 0)
				continue;
			r = netd_nat_port_lookup(&eps[i].ports[k], eps[i].ip, &present, err);
			if (r == 0 && !present)
				r = netd_nat_publish(&eps[i].ports[k], 1, eps[i].ip, err);
		}
	}
	if (lk >= 0)
		close(lk);
	netd_endpoints_free(eps, ne);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * network rm: every endpoint of the network torn down (past errors), then its bridge, its nf_tables
 * chains, its definition and its state, in that order, under the network lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netd/network.h>
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

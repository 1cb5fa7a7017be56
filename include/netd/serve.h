/* SPDX-License-Identifier: MIT */
#ifndef NETD_SERVE_H
#define NETD_SERVE_H

#include <stdbool.h>
#include <netd/err.h>
#include <netd/network.h>

/* What one step of the watcher did, for the front end to print. */
struct netd_serve_report {
	bool gc_ran;
	struct netd_gc_stats gc;
	bool nat_restored;
	bool dns_started; /* the name server was not running and was started */
};

/* A netlink socket subscribed to link events of this netns; close() it when done. */
int netd_serve_open(struct netd_err *err) NETD_MUST_USE;
/*
 * Waits up to timeout_ms for link events. When a link went away, runs gc (a namespace that died
 * took its veth with it); every call also puts table ip netd back from state if it is missing,
 * and starts the name server when named endpoints exist and it is not running (dns.h).
 */
int netd_serve_step(int fd, int timeout_ms, struct netd_serve_report *rep,
		    struct netd_err *err) NETD_MUST_USE;

#endif
